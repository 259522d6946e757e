/* cmd_audit.c -- `cdsync audit DIR --root-fingerprint F`: an auditor's
 * offline check of a folder of files (cdsync_audit_dir; SPEC.md §15).
 *
 * Contract: as the other commands (args.h exit codes), but it opens no
 * store: an auditor needs none.  Prints what was checked, then each
 * failure with its file and reason (--json: one object); on a terminal a
 * progress bar on stderr.  Exit 0 only if everything holds, 1 when
 * something does not (or the audit cannot run), 2 for a bad command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

enum {
	T_JSON = TAG_JSON,
	T_ORG = TAG_ORG,
	T_PERIOD = TAG_PERIOD,
	T_ROOT = TAG_FIELD + 1,
	T_OUT,
	T_RECOUNT,
	T_WITNESSES
};

void
audit_help(FILE *f)
{
	fprintf(f, "%s cdsync audit %s --root-fingerprint F [--recount] "
		   "[--json]\n",
		_("Usage:"), _("FOLDER"));
	fprintf(f, "       cdsync audit pack [--org CODE] [--period P] --out "
		   "%s\n\n",
		_("FOLDER"));
	help_para(f, _("Checks a folder of files -- bundles, receipts with "
		       "their inclusion proofs, rollup snapshots, checkpoints "
		       "and catalogs -- trusting no hub, only the national "
		       "union's root, by its fingerprint: every signature "
		       "against the catalog, every sender's chain whole, "
		       "every receipt's bundle logged and among the files, "
		       "every hub's log one and growing.  Says each thing "
		       "that does not hold, with its file.  Needs no store."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--root-fingerprint F"),
		 _("the national root's fingerprint, as read out by phone"));
	help_opt(f, "--recount", _("at an auditor's node (cdsync init --role "
				   "auditor, enrolled by the national "
				   "union): count every snapshot's figures "
				   "again from the bundles, opened with its "
				   "keys"));
	help_opt(f, _("--witnesses N"),
		 _("require every bundle the national hub logged to be in a "
		   "tree of its log that N witnesses (district hubs) "
		   "cosigned"));
	help_opt(f, "--json", _("the answer as JSON"));
	fprintf(f, "\n%s\n", _("cdsync audit pack, at a hub:"));
	help_para(f, _("Writes into FOLDER what an auditor needs for the "
		       "union CODE (default: this hub's) and those below it: "
		       "their bundles, this hub's receipts with their proofs, "
		       "the snapshots, this hub's checkpoint, the catalog, the "
		       "files stock tools (openssl, sha256sum) check "
		       "signatures with, and a manifest."));
	help_opt(f, _("--org CODE"), _("the union at the top of the pack"));
	help_opt(f, _("--period P"), _("the period the audit is for (noted "
				       "in PACK.txt; chains go in whole)"));
	help_opt(f, _("--out FOLDER"), _("where to write it"));
}

static int
pack(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	const char *out;
	size_t files = 0;
	int ex, rc;

	if (optset_add(&os, "org", T_ORG, OPT_VALUE) != 0 ||
	    optset_add(&os, "period", T_PERIOD, OPT_VALUE) != 0 ||
	    optset_add(&os, "out", T_OUT, OPT_VALUE) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse("audit pack", argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		audit_help(stdout);
		goto out;
	}
	if ((ex = args_positional("audit pack", &a, 0, 0, "")) != EXIT_OK)
		goto out;
	if ((out = args_get(&a, T_OUT)) == NULL) {
		ex = usage_err("audit pack", "%s",
			       _("give --out FOLDER: where to write the pack"));
		goto out;
	}
	if ((ex = home_open(&db)) != EXIT_OK)
		goto out;
	rc = cdsync_audit_pack(db, args_get(&a, T_ORG), args_get(&a, T_PERIOD),
			       out, &files);
	if (rc != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	printf(_("Audit pack written to %s: %zu file(s), listed in "
		 "MANIFEST.sha256; README.txt says how to check it.\n"),
	       out, files);
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

struct out {
	struct json *j;		/* NULL: text */
	int bar, drawn;
};

static void
item(void *ctx, const cdsync_audit_item *it)
{
	struct out *o = ctx;

	if (o->drawn) {
		fputs("\r\033[K", stderr);
		o->drawn = 0;
	}
	if (o->j == NULL) {
		printf("  %s: %s\n", it->file, it->reason);
		return;
	}
	json_obj(o->j);
	json_key(o->j, "file");
	json_str(o->j, it->file);
	json_key(o->j, "kind");
	json_str(o->j, it->what);
	json_key(o->j, "node");
	json_str(o->j, it->node);
	json_key(o->j, "seq");
	json_int(o->j, (int64_t)it->seq);
	json_key(o->j, "reason");
	json_str(o->j, it->reason);
	json_obj_end(o->j);
}

static void
progress(void *ctx, size_t done, size_t total)
{
	struct out *o = ctx;

	if (!o->bar || (done != total && done % 32 != 0))
		return;
	fprintf(stderr, "\r");
	fprintf(stderr, _("checking: %zu/%zu files"), done, total);
	fflush(stderr);
	o->drawn = 1;
}

int
cmd_audit(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync_audit_summary s;
	struct out o = { NULL, 0, 0 };
	cdsync *db = NULL;
	cdsync_role role;
	struct json j;
	const char *root, *w;
	char err[1024];
	size_t want = 0;
	int ex, rc;

	if (argc > 0 && strcmp(argv[0], "pack") == 0)
		return pack(argc - 1, argv + 1);
	if (optset_add(&os, "root-fingerprint", T_ROOT, OPT_VALUE) != 0 ||
	    optset_add(&os, "json", T_JSON, OPT_FLAG) != 0 ||
	    optset_add(&os, "recount", T_RECOUNT, OPT_FLAG) != 0 ||
	    optset_add(&os, "witnesses", T_WITNESSES, OPT_VALUE) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse("audit", argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		audit_help(stdout);
		goto out;
	}
	if ((ex = args_positional("audit", &a, 1, 1, _("a folder"))) !=
	    EXIT_OK)
		goto out;
	if ((root = args_get(&a, T_ROOT)) == NULL) {
		ex = usage_err("audit", "%s",
			       _("give --root-fingerprint: the audit trusts "
				 "the national root by its fingerprint alone"));
		goto out;
	}
	if ((w = args_get(&a, T_WITNESSES)) != NULL) {
		char *end = NULL;
		unsigned long v;

		errno = 0;
		v = strtoul(w, &end, 10);
		if (w[0] < '0' || w[0] > '9' || *end != '\0' || errno != 0 ||
		    v > 4096) {
			ex = usage_err("audit", _("--witnesses %s: a number of "
						  "witnesses from 0 to 4096"),
				       w);
			goto out;
		}
		want = (size_t)v;
	}
	if (args_get(&a, T_RECOUNT) != NULL) {
		if ((ex = home_open(&db)) != EXIT_OK)
			goto out;
		if (cdsync_node_role(db, &role) != CDSYNC_OK ||
		    role != CDSYNC_ROLE_AUDITOR) {
			msg_err("%s", _("--recount needs an auditor's node: "
					"'cdsync init --role auditor', enrolled "
					"by the national union"));
			ex = EXIT_FAIL;
			goto out;
		}
		if ((rc = cdsync_unlock(db, NULL)) != CDSYNC_OK) {
			ex = lib_err(db, rc);
			goto out;
		}
	}
	if (args_get(&a, T_JSON) != NULL) {
		json_init(&j, stdout);
		o.j = &j;
		json_obj(&j);
		json_key(&j, "failures");
		json_arr(&j);
	}
	o.bar = o.j == NULL && isatty(STDERR_FILENO);
	if (o.j == NULL)
		printf(_("Audit of %s:\n"), a.pos[0]);
	rc = cdsync_audit_dir(a.pos[0], root, want, db, item, progress, &o, &s,
			      err, sizeof err);
	if (o.drawn)
		fputs("\r\033[K", stderr);
	if (rc != CDSYNC_OK) {
		if (o.j != NULL) {
			json_arr_end(&j);
			json_key(&j, "error");
			json_str(&j, err);
			json_obj_end(&j);
			json_done(&j);
		}
		msg_err("%s", err);
		ex = EXIT_FAIL;
		goto out;
	}
	if (o.j != NULL) {
		json_arr_end(&j);
		json_key(&j, "catalogs");
		json_int(&j, (int64_t)s.catalogs);
		json_key(&j, "bundles");
		json_int(&j, (int64_t)s.bundles);
		json_key(&j, "nodes");
		json_int(&j, (int64_t)s.nodes);
		json_key(&j, "repeated");
		json_int(&j, (int64_t)s.repeated);
		json_key(&j, "receipts");
		json_int(&j, (int64_t)s.receipts);
		json_key(&j, "proofs");
		json_int(&j, (int64_t)s.proofs);
		json_key(&j, "snapshots");
		json_int(&j, (int64_t)s.snapshots);
		json_key(&j, "checkpoints");
		json_int(&j, (int64_t)s.checkpoints);
		json_key(&j, "hubs");
		json_int(&j, (int64_t)s.hubs);
		json_key(&j, "consistency");
		json_int(&j, (int64_t)s.consistency);
		json_key(&j, "unchecked");
		json_int(&j, (int64_t)s.unchecked);
		json_key(&j, "cosignatures");
		json_int(&j, (int64_t)s.cosignatures);
		json_key(&j, "witnesses_required");
		json_int(&j, (int64_t)want);
		json_key(&j, "witnessed_size");
		json_int(&j, (int64_t)s.witnessed);
		json_key(&j, "recounted");
		json_int(&j, (int64_t)s.recounted);
		json_key(&j, "not_recounted");
		json_int(&j, (int64_t)s.unrecounted);
		json_key(&j, "ok");
		json_bool(&j, s.failures == 0);
		json_obj_end(&j);
		json_done(&j);
	} else {
		printf(_("Checked: %zu catalog(s), %zu bundle(s) of %zu "
			 "node(s), %zu receipt(s) with %zu inclusion "
			 "proof(s), %zu snapshot(s), %zu checkpoint(s) of %zu "
			 "hub log(s), %zu consistency proof(s)"),
		       s.catalogs, s.bundles, s.nodes, s.receipts, s.proofs,
		       s.snapshots, s.checkpoints, s.hubs, s.consistency);
		if (s.unchecked)
			printf(_(" (%zu more without a checkpoint of their "
				 "log to start from)"),
			       s.unchecked);
		printf(".\n");
		if (s.repeated)
			printf(_("%zu bundle file(s) hold a bundle another file "
				 "holds too (a replay): each bundle counts "
				 "once.\n"),
			       s.repeated);
		if (s.cosignatures > 0 || want > 0) {
			printf(_("Witnesses: %zu cosignature(s) verified; "
				 "required for each bundle the national hub "
				 "logged: %zu"),
			       s.cosignatures, want);
			if (want > 0 && s.witnessed > 0)
				printf(_(" (they cover its log up to %llu "
					 "leaves)"),
				       (unsigned long long)s.witnessed);
			printf(".\n");
		}
		if (s.failures == 0)
			printf("%s\n", _("Everything holds."));
		else
			printf(_("%zu thing(s) do not hold (above).\n"),
			       s.failures);
		if (db == NULL)
			printf("%s\n", _("Not checked here: the figures of the "
					 "snapshots against the bundles' "
					 "contents (only the bundles' recipients "
					 "can read them: --recount at an "
					 "auditor's node)."));
		else
			printf(_("Snapshots counted again from the bundles: "
				 "%zu; not: %zu%s%s\n"),
			       s.recounted, s.unrecounted,
			       s.unrecounted ? _(" -- the first: ") : "",
			       s.unrecounted ? s.why : "");
	}
	ex = s.failures == 0 ? EXIT_OK : EXIT_FAIL;
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
