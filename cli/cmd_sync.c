/* cmd_sync.c -- moving data between nodes on files: `cdsync keys`, `peer
 * add`, `export`, `import`, `bundle show`, `receipt check` and
 * `conflicts`.
 *
 * Contract: each verb prints what it did in one line per file or item,
 * and exits 0 when everything it was given was taken in (a bundle merged
 * before, or held until an earlier one arrives, counts as taken in: it
 * is said so; so does, in a folder, what travels to other nodes on the
 * same stick: a bundle not addressed to this node, a receipt for the
 * nodes below its signer); 1 when any file was refused or the library
 * failed; 2 on a usage error.  `receipt check` exits 0 only when the
 * receipt and the inclusion proof of its bundle hold together.  Until the
 * signed catalog (the trust
 * issue), the keys of other nodes come as public key files given to
 * `peer add`.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

enum { T_OUT = 1, T_UPSTREAM, T_JSON };

/* Parses the verb's options; EXIT_OK or an exit code (help printed). */
static int
parse(const char *verb, int argc, char **argv, struct optset *os,
      struct args *a, void (*help)(FILE *))
{
	int ex;

	if ((ex = args_parse(verb, argc, argv, os, a)) != EXIT_OK)
		return ex;
	if (a->help) {
		help(stdout);
		return -1;
	}
	return EXIT_OK;
}


static char *
slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *b;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((b = malloc(max + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(b, 1, max, f);
	fclose(f);
	b[n] = '\0';
	return b;
}

/* ==== keys ============================================================ */

void
keys_help(FILE *f)
{
	fprintf(f, "%s cdsync keys [--out %s]\n", _("Usage:"), _("FILE"));
	fprintf(f, "       cdsync keys passphrase | rotate   (%s)\n\n",
		_("see 'cdsync keys rotate --help'"));
	help_para(f, _("Prints this computer's public keys, to give to the "
		       "nodes it sends to and receives from (they add them "
		       "with 'cdsync peer add')."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--out FILE"), _("write them to FILE"));
	rec_commonhelp(f);
}

int
cmd_keys(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	char *text = NULL;
	const char *out;
	FILE *f;
	int ex, rc;

	if (argc > 0 && (strcmp(argv[0], "passphrase") == 0 ||
			 strcmp(argv[0], "rotate") == 0))
		return cmd_keys_secret(argc, argv);
	if (optset_add(&os, "out", T_OUT, OPT_VALUE) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = parse("keys", argc, argv, &os, &a, keys_help)) != EXIT_OK)
		goto out;
	if ((ex = args_positional("keys", &a, 0, 0, "")) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_keys_export(db, &text)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if ((out = args_get(&a, T_OUT)) == NULL) {
		fputs(text, stdout);
	} else if ((f = fopen(out, "w")) == NULL || fputs(text, f) < 0 ||
		   fclose(f) != 0) {
		msg_err(_("cannot write %s"), out);
		ex = EXIT_FAIL;
	} else {
		printf(_("This computer's public keys are in %s.\n"), out);
	}
out:
	ex = ex < 0 ? EXIT_OK : ex;
	cdsync_free(text);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== peer add ======================================================== */

void
peer_help(FILE *f)
{
	fprintf(f, "%s cdsync peer add %s [--upstream]\n", _("Usage:"),
		_("FILE"));
	fprintf(f, "       cdsync peer unfreeze %s\n\n", _("UNION-CODE"));
	help_para(f, _("Registers another node from its public key file "
		       "(made by 'cdsync keys' there): this node then takes "
		       "in the bundles it signs."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--upstream",
		 _("this node's bundles are also encrypted to it: the upper "
		   "hub, the national hub, an auditor"));
	help_para(f, _("'peer unfreeze' is the operator's decision about a "
		       "node frozen after sending two different bundles with "
		       "one number: its chain goes on from the bundles merged "
		       "here, and the other one stays as evidence."));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync peer add huyen-vi-xuyen.pub --upstream\n",
		_("Example:"));
}

int
cmd_peer(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	char *text = NULL;
	int ex, rc;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		peer_help(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[0], "unfreeze") == 0) {
		if (argc != 2 || argv[1][0] == '-') {
			peer_help(stderr);
			return EXIT_USAGE;
		}
		if ((ex = home_open(&db)) != EXIT_OK)
			return ex;
		if ((rc = cdsync_peer_unfreeze(db, argv[1])) != CDSYNC_OK) {
			ex = lib_err(db, rc);
		} else {
			printf(_("Node %s is no longer frozen: its chain goes on "
				 "from the bundles merged here; the other "
				 "bundle stays as evidence.\n"), argv[1]);
			ex = EXIT_OK;
		}
		cdsync_close(db);
		return ex;
	}
	if (strcmp(argv[0], "add") != 0) {
		msg_err(_("'%s' is not a verb of 'cdsync peer'"), argv[0]);
		return EXIT_USAGE;
	}
	if (optset_add(&os, "upstream", T_UPSTREAM, OPT_FLAG) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = parse("peer add", argc - 1, argv + 1, &os, &a,
			peer_help)) != EXIT_OK)
		goto out;
	if ((ex = args_positional("peer add", &a, 1, 1,
				  _("the public key file"))) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((text = slurp(a.pos[0], 4096)) == NULL) {
		msg_err(_("cannot read %s"), a.pos[0]);
		ex = EXIT_FAIL;
		goto out;
	}
	rc = cdsync_peer_add(db, text, args_get(&a, T_UPSTREAM) != NULL);
	if (rc != CDSYNC_OK) {
		msg_err("%s: %s", a.pos[0], cdsync_errmsg(db));
		ex = EXIT_FAIL;
		goto out;
	}
	printf(args_get(&a, T_UPSTREAM)
	       ? _("Added %s: this node now sends its bundles to it.\n")
	       : _("Added %s: this node now takes in its bundles.\n"),
	       a.pos[0]);
out:
	ex = ex < 0 ? EXIT_OK : ex;
	free(text);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== export ========================================================== */

void
export_help(FILE *f)
{
	fprintf(f, "%s cdsync export --out %s\n\n", _("Usage:"), _("FOLDER"));
	help_para(f, _("Seals what was recorded here since the last bundle "
		       "into a new bundle (signed, encrypted to the upper "
		       "hubs) and writes every bundle of this node, and every "
		       "bundle it received from below, into FOLDER: a USB "
		       "stick, a folder sent by chat.  Running it again is "
		       "harmless."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--out FOLDER"), _("where to write the bundles"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync export --out /media/usb/cdsync\n",
		_("Example:"));
}

int
cmd_export(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	const char *dir;
	size_t sealed = 0, written = 0;
	int ex, rc;

	if (optset_add(&os, "out", T_OUT, OPT_VALUE) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = parse("export", argc, argv, &os, &a, export_help)) !=
	    EXIT_OK)
		goto out;
	if ((ex = args_positional("export", &a, 0, 0, "")) != EXIT_OK)
		goto out;
	if ((dir = args_get(&a, T_OUT)) == NULL) {
		ex = usage_err("export", "%s",
			       _("--out FOLDER is required"));
		goto out;
	}
	mkdir(dir, 0755);	/* an existing folder is fine */
	if ((ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_export(db, dir, &sealed, &written)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (sealed)
		printf("%s\n", _("Sealed a new bundle of what was recorded "
				 "since the last one."));
	else
		printf("%s\n", _("Nothing new was recorded since the last "
				 "bundle."));
	printf(_("Bundle files written to %s: %zu.\n"), dir, written);
out:
	ex = ex < 0 ? EXIT_OK : ex;
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== import ========================================================== */

void
bundles_import_help(FILE *f)
{
	fprintf(f, "%s cdsync import %s...\n\n", _("Usage:"),
		_("FILE|FOLDER"));
	help_para(f, _("Takes in bundle files (*.cdsb; a folder: every bundle "
		       "in it): checks each one's sender, signature and "
		       "chain, decrypts it and merges its changes, exactly "
		       "once.  A bundle after a missing one is kept and "
		       "merged when the gap fills.  Catalog files (*.cdsa) "
		       "in a folder are taken in first, then the hand-overs "
		       "of rotated keys (*.cdsh) of this node's children, "
		       "then the receipts (*.cdsr) of the hubs above this "
		       "node for the bundles it sent up; after the bundles, "
		       "the rollup snapshots (*.cdss) of the hubs below, each "
		       "with the consistency proof of its checkpoint beside "
		       "it, checked by counting their figures again from the "
		       "bundles.  In a folder, what is for other nodes is "
		       "said and skipped."));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync import /media/usb/cdsync\n",
		_("Example:"));
}

static int
ends(const char *name, const char *ext)
{
	size_t l = strlen(name), e = strlen(ext);

	return l > e && strcmp(name + l - e, ext) == 0;
}

/* Catalogs first (they may certify the senders of the bundles), then
 * hand-overs (new keys of the senders), then receipts (signed by hubs
 * the catalog certifies, for bundles this node holds already), then
 * bundles. */
static int
rank(const char *name)
{
	return ends(name, ".cdsa") ? 0 : ends(name, ".cdsh") ? 1
	       : ends(name, ".cdsr") ? 2 : ends(name, ".cdss") ? 4 : 3;
}

static int
byname(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	if (rank(x) != rank(y))
		return rank(x) - rank(y);
	return strcmp(x, y);
}

/* Takes in a child's hand-over; 1 if it counts as a failure.  One meant
 * for another node (a stick carried further up) is said and skipped. */
static int
import_handover(cdsync *db, const char *path)
{
	switch (cdsync_handover_import(db, path)) {
	case CDSYNC_OK:
		printf(_("%s: the new keys of a child node are certified in "
			 "this node's sheet of the catalog.\n"),
		       path);
		return 0;
	case CDSYNC_EREPLAY:
	case CDSYNC_ESCOPE:
		printf("%s\n", cdsync_errmsg(db));
		return 0;
	default:
		msg_err("%s", cdsync_errmsg(db));
		return 1;
	}
}

/* Takes in a catalog found among bundles; 1 if it counts as a failure.
 * A node's first catalog comes only from 'cdsync catalog import', where
 * its operator checks the root's fingerprint; an older edition than the
 * node has (a stale copy) is said and skipped. */
static int
import_catalog(cdsync *db, const char *path)
{
	cdsync_cat_entry e;
	int rc;

	if (cdsync_catalog_at(db, 0, &e) != CDSYNC_OK) {
		printf(_("%s: skipped: this node has no catalog yet; take its "
			 "first one with 'cdsync catalog import'\n"),
		       path);
		return 0;
	}
	rc = cdsync_catalog_import(db, path, NULL);
	if (rc == CDSYNC_OK) {
		printf(_("%s: catalog taken in.\n"), path);
		return 0;
	}
	if (rc == CDSYNC_EROLLBACK) {
		printf("%s\n", cdsync_errmsg(db));
		return 0;
	}
	msg_err("%s", cdsync_errmsg(db));
	return 1;
}



/* Takes in a receipt of a hub above this node; 1 if it counts as a
 * failure.  One kept before is said.  In a folder, one that is not for
 * this node -- its own, one a hub signed for the nodes below it, one for
 * a bundle this node does not hold -- is said and skipped: a stick
 * carries the receipts of many nodes. */
static int
import_receipt(cdsync *db, const char *path, int infolder)
{
	cdsync_receipt_info ri;
	char seen[32], said[128];

	switch (cdsync_receipt_import(db, path)) {
	case CDSYNC_OK:
		if (cdsync_errmsg(db)[0] != '\0') {	/* a hub's voucher */
			printf("%s\n", cdsync_errmsg(db));
			return 0;
		}
		if (cdsync_receipt_read(db, path, &ri) != CDSYNC_OK) {
			printf(_("%s: receipt kept.\n"), path);
			return 0;
		}
		out_when(ri.seen_ms, seen, sizeof seen);
		if (ri.has_leaf)
			snprintf(said, sizeof said,
				 _("it first saw it on %s; leaf %" PRIu64
				   " in the hub's log"),
				 seen, ri.leaf);
		else
			snprintf(said, sizeof said, _("it first saw it on %s"),
				 seen);
		printf(ri.merged
		       ? _("%s: receipt kept: %s merged bundle %" PRIu64
			   " of %s (%s).\n")
		       : _("%s: receipt kept: %s holds bundle %" PRIu64
			   " of %s until the ones before it arrive (%s).\n"),
		       path, ri.hub_org, ri.seq, ri.org, said);
		return 0;
	case CDSYNC_EREPLAY:
		printf("%s\n", cdsync_errmsg(db));
		return 0;
	case CDSYNC_ESCOPE:
		if (infolder) {
			printf("%s\n", cdsync_errmsg(db));
			return 0;
		}
		msg_err("%s", cdsync_errmsg(db));
		return 1;
	default:
		msg_err("%s", cdsync_errmsg(db));
		return 1;
	}
}

/* Takes in a rollup snapshot of a hub below and checks it against the
 * bundles (after them: rank 4); 1 if it counts as a failure -- a refusal,
 * or figures that differ.  In a folder, one of another hub (a stick
 * carried down, or this hub's own) is said and skipped. */
static int
import_snapshot(cdsync *db, const char *path, int infolder)
{
	cdsync_snapshot_info s;
	int rc = cdsync_snapshot_import(db, path, &s);

	if ((rc == CDSYNC_ESCOPE || rc == CDSYNC_EUNKNOWNKEY) && infolder) {
		printf(_("%s: %s; skipped\n"), path, cdsync_errmsg(db));
		return 0;
	}
	if (rc != CDSYNC_OK) {
		msg_err("%s", cdsync_errmsg(db));
		return 1;
	}
	switch (s.state) {
	case CDSYNC_SNAP_SAME:
		printf(_("%s: snapshot of %s (%zu units) taken: the same "
			 "figures as the bundles, recounted here.\n"),
		       path, s.org, s.units);
		return 0;
	case CDSYNC_SNAP_WAITING:
		printf(_("%s: snapshot of %s taken; checked once its bundles "
			 "are here: %s.\n"),
		       path, s.org, s.note);
		return 0;
	default:
		msg_err(_("%s: the snapshot of %s DIFFERS from its bundles "
			  "in %zu figure(s); the first: %s (see 'cdsync "
			  "snapshot list')"),
			path, s.org, s.ndiff, s.note);
		return 1;
	}
}

/* Imports one file (found in a folder, or named); 1 if it counts as a
 * failure. */
static int
import_one(cdsync *db, const char *path, int infolder)
{
	size_t changes = 0;
	int rc;

	if (rank(path) == 0)
		return import_catalog(db, path);
	if (rank(path) == 1)
		return import_handover(db, path);
	if (rank(path) == 2)
		return import_receipt(db, path, infolder);
	if (rank(path) == 4)
		return import_snapshot(db, path, infolder);
	rc = cdsync_import_file(db, path, &changes);

	switch (rc) {
	case CDSYNC_OK:
		printf(_("%s: merged %zu change(s).\n"), path, changes);
		return 0;
	case CDSYNC_EREPLAY:
	case CDSYNC_EGAP:
		printf("%s\n", cdsync_errmsg(db));
		return 0;
	case CDSYNC_ENOTRECIPIENT:
		/* a stick from a hub carries bundles for other nodes too */
		if (infolder) {
			printf(_("%s; skipped: it travels to other nodes\n"),
			       cdsync_errmsg(db));
			return 0;
		}
		msg_err("%s", cdsync_errmsg(db));
		return 1;
	default:
		msg_err("%s", cdsync_errmsg(db));
		return 1;
	}
}

int
cmd_import(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	struct stat sb;
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t i, j, n, cap;
	int ex, bad = 0;
	DIR *d;

	if ((ex = parse("import", argc, argv, &os, &a, bundles_import_help)) !=
	    EXIT_OK)
		goto out;
	if ((ex = args_positional("import", &a, 1, 1000,
				  _("a bundle file or folder"))) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	for (i = 0; i < a.npos; i++) {
		if (stat(a.pos[i], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			bad += import_one(db, a.pos[i], 0);
			fflush(stdout);	/* what was merged is said at once */
			continue;
		}
		if ((d = opendir(a.pos[i])) == NULL) {
			msg_err(_("cannot read the folder %s"), a.pos[i]);
			bad++;
			continue;
		}
		n = cap = 0;
		names = NULL;
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);

			if (e->d_name[0] == '.' || l < 6 ||
			    (rank(e->d_name) == 3 &&
			     !ends(e->d_name, ".cdsb")))
				continue;
			if (n == cap) {
				char **grown;

				cap = cap ? 2 * cap : 32;
				grown = realloc(names, cap * sizeof *names);
				if (grown == NULL)
					break;
				names = grown;
			}
			if ((names[n] = strdup(e->d_name)) != NULL)
				n++;
		}
		closedir(d);
		/* file names sort by sender, then number: chains in order */
		if (names != NULL)
			qsort(names, n, sizeof *names, byname);
		for (j = 0; names != NULL && j < n; j++) {
			snprintf(path, sizeof path, "%s/%s", a.pos[i],
				 names[j]);
			bad += import_one(db, path, 1);
			fflush(stdout);
			free(names[j]);
		}
		free(names);
		names = NULL;
	}
	ex = bad ? EXIT_FAIL : EXIT_OK;
out:
	ex = ex < 0 ? EXIT_OK : ex;
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== bundle show ===================================================== */

void
bundle_help(FILE *f)
{
	fprintf(f, "%s cdsync bundle show %s [--json]\n\n", _("Usage:"),
		_("FILE"));
	help_para(f, _("Shows a bundle file: who sealed it, its number in "
		       "the sender's chain, whom it is encrypted to, whether "
		       "its signature holds, and -- if this node is one of "
		       "its recipients -- the changes inside.  Nothing is "
		       "merged."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--json", _("print JSON"));
	rec_commonhelp(f);
}

struct showctx {
	struct json *j;		/* JSON output, or NULL for text */
	size_t n;		/* changes shown */
};

static int
show_change(void *ctx, const cdsync_change *c)
{
	struct showctx *s = ctx;
	char hex[33], shortid[9];

	out_hex(c->row, hex);
	out_shortid(hex, shortid);
	if (s->j != NULL) {
		json_obj(s->j);
		json_key(s->j, "kind");
		json_str(s->j, cdsync_kind_name(c->kind));
		json_key(s->j, "row");
		json_str(s->j, hex);
		json_key(s->j, "field");
		json_str(s->j, c->field);
		json_key(s->j, "value");
		json_str(s->j, c->value);
		json_key(s->j, "hlc");
		json_int(s->j, (int64_t)c->hlc);
		json_obj_end(s->j);
	} else {
		printf("  %-12s %s  %-14s %s\n", cdsync_kind_name(c->kind),
		       shortid, c->field ? c->field : _("(deleted)"),
		       c->value ? c->value : "");
	}
	s->n++;
	return 0;
}

int
cmd_bundle(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	struct json j = { 0 };
	struct showctx s = { NULL, 0 };
	cdsync_bundle_info bi;
	cdsync *db = NULL;
	char node[33], h[65], prev[65], key[65];
	int ex, rc, json, i;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		bundle_help(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[0], "show") != 0) {
		msg_err(_("'%s' is not a verb of 'cdsync bundle'"), argv[0]);
		return EXIT_USAGE;
	}
	if (optset_add(&os, "json", T_JSON, OPT_FLAG) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = parse("bundle show", argc - 1, argv + 1, &os, &a,
			bundle_help)) != EXIT_OK)
		goto out;
	if ((ex = args_positional("bundle show", &a, 1, 1,
				  _("the bundle file"))) != EXIT_OK)
		goto out;
	/* a store helps (sender known? readable?) but is not needed */
	if (home_open(&db) != EXIT_OK)
		db = NULL;
	json = args_get(&a, T_JSON) != NULL;
	if (json) {
		json_init(&j, stdout);
		s.j = &j;
	}
	rc = cdsync_bundle_read(db, a.pos[0], &bi, NULL, NULL);
	if (rc != CDSYNC_OK) {
		if (db)
			msg_err("%s", cdsync_errmsg(db));
		else
			msg_err("%s: %s", a.pos[0], cdsync_strerror(rc));
		ex = EXIT_FAIL;
		goto out;
	}
	out_hexs(bi.node, 16, node);
	out_hexs(bi.hash, 32, h);
	out_hexs(bi.prev, 32, prev);
	out_hexs(bi.sign_pk, 32, key);
	if (json) {
		json_obj(&j);
		json_key(&j, "node");
		json_str(&j, node);
		json_key(&j, "org");
		json_str(&j, bi.org[0] ? bi.org : NULL);
		json_key(&j, "seq");
		json_int(&j, (int64_t)bi.seq);
		json_key(&j, "hash");
		json_str(&j, h);
		json_key(&j, "prev");
		json_str(&j, prev);
		json_key(&j, "sign_key");
		json_str(&j, key);
		json_key(&j, "hlc");
		json_int(&j, (int64_t)bi.hlc);
		json_key(&j, "changes");
		json_int(&j, bi.count);
		json_key(&j, "bytes");
		json_int(&j, (int64_t)bi.file_len);
		json_key(&j, "recipients");
		json_arr(&j);
		for (i = 0; i < bi.nrcpt; i++) {
			out_hexs(bi.rcpt[i], 32, key);
			json_str(&j, key);
		}
		json_arr_end(&j);
		json_key(&j, "signature_ok");
		json_bool(&j, bi.signature_ok);
		json_key(&j, "sender_known");
		json_bool(&j, bi.sender_known);
		json_key(&j, "readable");
		json_bool(&j, bi.readable);
		json_key(&j, "content");
		json_arr(&j);
	} else {
		printf(_("Bundle %" PRIu64 " of node %s%s%s%s\n"), bi.seq, node,
		       bi.org[0] ? " (" : "", bi.org, bi.org[0] ? ")" : "");
		printf(_("  hash:        %s\n"), h);
		printf(_("  previous:    %s\n"), prev);
		printf(_("  changes:     %" PRIu32 ", %" PRIu64 " bytes\n"),
		       bi.count, bi.file_len);
		printf(_("  recipients:  %d\n"), bi.nrcpt);
		printf(_("  signature:   %s\n"),
		       bi.signature_ok ? _("holds") : _("DOES NOT HOLD"));
		printf(_("  sender:      %s\n"),
		       bi.sender_known ? _("known to this node")
				       : _("not known to this node"));
	}
	if (bi.readable && db != NULL) {
		if (!json)
			printf("%s\n", _("Content:"));
		if (cdsync_bundle_read(db, a.pos[0], &bi, show_change, &s) !=
		    CDSYNC_OK) {
			msg_err("%s", cdsync_errmsg(db));
			ex = EXIT_FAIL;
		}
	} else if (!json) {
		printf("%s\n", _("Content: not readable here (this node is not "
				 "one of its recipients)."));
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_done(&j);
	}
out:
	ex = ex < 0 ? EXIT_OK : ex;
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== receipt check =================================================== */

void
receipt_help(FILE *f)
{
	fprintf(f, "%s cdsync receipt check %s [%s] [--json]\n\n", _("Usage:"),
		_("RECEIPT"), _("PROOF"));
	help_para(f, _("Checks, offline, that the bundle a hub gave a receipt "
		       "for is in the hub's transparency log: the receipt's "
		       "signature, then the inclusion proof (PROOF; without "
		       "it, the .tlog-proof file beside the receipt, which a "
		       "hub's export writes) against the hub's key and the "
		       "origin of its log, taken from this node's catalog, "
		       "and that the proof is of the receipt's bundle, at the "
		       "leaf the receipt says.  Exits 0 only when all of it "
		       "holds."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--json", _("print JSON"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync receipt check "
		   "/media/usb/cdsync/receipt-HG-VX-TH-LUNGCU-000001.cdsr\n",
		_("Example:"));
}

/* The proof beside a receipt: receipt-X.cdsr -> receipt-X.tlog-proof
 * (any other name: NAME.tlog-proof).  NULL out of memory. */
static char *
proof_beside(const char *receipt)
{
	static const char ext[] = ".tlog-proof";
	size_t n = strlen(receipt);
	char *p;

	if ((p = malloc(n + sizeof ext)) == NULL)
		return NULL;
	if (ends(receipt, ".cdsr"))
		n -= 5;
	memcpy(p, receipt, n);
	memcpy(p + n, ext, sizeof ext);
	return p;
}

int
cmd_receipt(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	struct json j = { 0 };
	cdsync_receipt_info ri;
	cdsync_tlog_head head;
	cdsync_tlog_entry e;
	cdsync *db = NULL;
	char *beside = NULL, hub[33], node[33], h[65], root[65], sender[96];
	const char *proof;
	int ex, rc;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		receipt_help(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[0], "check") != 0) {
		msg_err(_("'%s' is not a verb of 'cdsync receipt'"), argv[0]);
		return EXIT_USAGE;
	}
	if (optset_add(&os, "json", T_JSON, OPT_FLAG) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = parse("receipt check", argc - 1, argv + 1, &os, &a,
			receipt_help)) != EXIT_OK)
		goto out;
	if ((ex = args_positional("receipt check", &a, 1, 2,
				  _("the receipt file"))) != EXIT_OK)
		goto out;
	if (a.npos == 2) {
		proof = a.pos[1];
	} else if ((beside = proof_beside(a.pos[0])) == NULL) {
		ex = EXIT_FAIL;
		goto out;
	} else {
		proof = beside;
	}
	if ((ex = home_open(&db)) != EXIT_OK)
		goto out;
	rc = cdsync_receipt_check(db, a.pos[0], proof, &ri, &head, &e);
	if (rc != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	out_hexs(ri.hub, 16, hub);
	out_hexs(ri.node, 16, node);
	if (ri.org[0] != '\0') {
		snprintf(sender, sizeof sender, "%s", ri.org);
	} else {
		char tail[9];

		out_shortid(node, tail);
		snprintf(sender, sizeof sender, _("node %s"), tail);
	}
	if (args_get(&a, T_JSON) != NULL) {
		out_hexs(ri.hash, 32, h);
		out_hexs(head.root, 32, root);
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "receipt");
		json_str(&j, a.pos[0]);
		json_key(&j, "proof");
		json_str(&j, proof);
		json_key(&j, "version");
		json_int(&j, ri.version);
		json_key(&j, "hub");
		json_str(&j, hub);
		json_key(&j, "hub_org");
		json_str(&j, ri.hub_org);
		json_key(&j, "node");
		json_str(&j, node);
		json_key(&j, "org");
		json_str(&j, ri.org[0] ? ri.org : NULL);
		json_key(&j, "seq");
		json_int(&j, (int64_t)ri.seq);
		json_key(&j, "hash");
		json_str(&j, h);
		json_key(&j, "merged");
		json_bool(&j, ri.merged);
		json_key(&j, "seen_ms");
		json_int(&j, (int64_t)ri.seen_ms);
		json_key(&j, "made_ms");
		json_int(&j, (int64_t)ri.made_ms);
		json_key(&j, "receipt_leaf");
		if (ri.has_leaf)
			json_int(&j, (int64_t)ri.leaf);
		else
			json_str(&j, NULL);
		json_key(&j, "leaf");
		json_int(&j, (int64_t)e.index);
		json_key(&j, "origin");
		json_str(&j, head.origin);
		json_key(&j, "tree_size");
		json_int(&j, (int64_t)head.size);
		json_key(&j, "root");
		json_str(&j, root);
		json_obj_end(&j);
		json_done(&j);
	} else {
		printf(_("%s: bundle %" PRIu64 " of %s is leaf %" PRIu64
			 " of the log of %s, checkpoint of size %" PRIu64
			 ".\n"),
		       a.pos[0], ri.seq, sender, e.index, ri.hub_org,
		       head.size);
		if (!ri.has_leaf)
			printf("%s\n", _("The receipt is of version 1, which "
					 "does not say its leaf: the proof "
					 "does."));
	}
	ex = EXIT_OK;
out:
	ex = ex < 0 ? EXIT_OK : ex;
	free(beside);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== conflicts ======================================================= */

void
conflicts_help(FILE *f)
{
	fprintf(f, "%s cdsync conflicts [--json]\n\n", _("Usage:"));
	help_para(f, _("Lists what merging noticed: values that lost to a "
		       "concurrent edit on another computer (they are kept, "
		       "never thrown away), records hidden because merged "
		       "edits break a rule, and changes from a computer "
		       "whose clock is far ahead."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--json", _("print JSON"));
	rec_commonhelp(f);
}

int
cmd_conflicts(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	struct json j = { 0 };
	cdsync_notices *it = NULL;
	const cdsync_notice *no;
	cdsync *db = NULL;
	char hex[33], shortid[9];
	int ex, rc, json;
	size_t n = 0;

	if (optset_add(&os, "json", T_JSON, OPT_FLAG) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = parse("conflicts", argc, argv, &os, &a, conflicts_help)) !=
	    EXIT_OK)
		goto out;
	if ((ex = args_positional("conflicts", &a, 0, 0, "")) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_notices_open(db, &it)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	json = args_get(&a, T_JSON) != NULL;
	if (json) {
		json_init(&j, stdout);
		json_arr(&j);
	}
	while (cdsync_notices_next(it, &no) == CDSYNC_OK) {
		out_hex(no->row, hex);
		out_shortid(hex, shortid);
		n++;
		if (json) {
			json_obj(&j);
			json_key(&j, "type");
			json_str(&j, no->type == CDSYNC_NOTICE_LOST ? "lost"
				 : no->type == CDSYNC_NOTICE_INVALID
				 ? "invalid" : "future");
			json_key(&j, "kind");
			json_str(&j, cdsync_kind_name(no->kind));
			json_key(&j, "row");
			json_str(&j, hex);
			json_key(&j, "field");
			json_str(&j, no->field);
			json_key(&j, "kept");
			json_str(&j, no->kept);
			json_key(&j, "lost");
			json_str(&j, no->lost);
			json_key(&j, "reason");
			json_str(&j, no->reason);
			json_key(&j, "ahead_ms");
			json_int(&j, no->ahead_ms);
			json_obj_end(&j);
			continue;
		}
		switch (no->type) {
		case CDSYNC_NOTICE_LOST:
			printf(_("%s %s, %s: kept '%s'; a concurrent edit "
				 "wrote '%s'\n"),
			       cdsync_kind_name(no->kind), shortid, no->field,
			       no->kept ? no->kept : "", no->lost ? no->lost
								  : "");
			break;
		case CDSYNC_NOTICE_INVALID:
			printf(_("%s %s is hidden: merged edits break a rule "
				 "(%s)\n"),
			       cdsync_kind_name(no->kind), shortid,
			       no->reason);
			break;
		default:
			printf(_("%s %s: changed by a computer whose clock was "
				 "%" PRId64 " hours ahead\n"),
			       cdsync_kind_name(no->kind), shortid,
			       no->ahead_ms / 3600000);
		}
	}
	if (json) {
		json_arr_end(&j);
		json_done(&j);
	} else if (n == 0) {
		printf("%s\n", _("Nothing to look at: no conflicts."));
	}
out:
	ex = ex < 0 ? EXIT_OK : ex;
	cdsync_notices_close(it);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== status ========================================================== */

void
status_help(FILE *f)
{
	fprintf(f, "%s cdsync status [--json]\n\n", _("Usage:"));
	help_para(f, _("Where this node stands: its last bundle, what was "
		       "recorded since and is not yet in a bundle, the bundles "
		       "still waiting to go up (no hub above has sent a "
		       "receipt saying it merged them) and the last receipt, "
		       "when cdsyncd runs here the last contact with the "
		       "upper hub and the failure it is retrying after, the "
		       "nodes it knows with the last bundle merged from each, "
		       "bundles waiting for a missing one (a gap), nodes "
		       "frozen after sending two bundles with one number, "
		       "and how many things merging noticed."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--json", _("print JSON"));
	rec_commonhelp(f);
}

/* What cdsyncd last saw of the upper hub (its <home>/uplink.db, when
 * it runs on this node): the last contact, and the error that ends its
 * rounds while it retries.  As JSON keys when j is not NULL. */
static void
daemon_state(struct json *j)
{
	char path[4200], last[24];
	sqlite3_stmt *st = NULL;
	sqlite3 *u = NULL;
	int64_t contact = 0, attempts = 0;
	char error[1024] = "";

	if (home_store_path(path, sizeof path - 16) != 0)
		return;
	snprintf(strrchr(path, '/') + 1, 16, "uplink.db");
	if (sqlite3_open_v2(path, &u, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(u, "SELECT key, value FROM state", -1, &st,
			       NULL) != SQLITE_OK) {
		sqlite3_close(u);	/* no daemon here: nothing to say */
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		if (k == NULL)
			continue;
		if (strcmp(k, "last_contact_ms") == 0)
			contact = sqlite3_column_int64(st, 1);
		else if (strcmp(k, "attempts") == 0)
			attempts = sqlite3_column_int64(st, 1);
		else if (strcmp(k, "last_error") == 0 &&
			 sqlite3_column_text(st, 1))
			snprintf(error, sizeof error, "%s",
				 (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	sqlite3_close(u);
	if (j != NULL) {
		json_key(j, "last_contact_ms");
		json_int(j, contact);
		json_key(j, "retrying");
		json_bool(j, attempts > 0);
		json_key(j, "last_error");
		json_str(j, attempts > 0 ? error : NULL);
		return;
	}
	if (contact) {
		out_when((uint64_t)contact, last, sizeof last);
		printf(_("Last contact with the upper hub: %s\n"), last);
	} else {
		printf("%s\n", _("Last contact with the upper hub: none yet"));
	}
	if (attempts > 0)
		printf(_("The daemon is trying again after %lld failure(s); "
			 "the last: %s\n"),
		       (long long)attempts, error);
}

/* A paired device: its last sync with the school node, and what waits. */
static int
device_status(cdsync *db, int json)
{
	char ep[256], last[24];
	cdsync_sync_status s;
	struct json j;
	uint64_t ms, pending;
	int rc;

	if ((rc = cdsync_lan_last(db, ep, &ms, &pending)) != CDSYNC_OK ||
	    (rc = cdsync_sync_status_get(db, &s)) != CDSYNC_OK)
		return lib_err(db, rc);
	if (json) {
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "node");
		json_str(&j, ep[0] ? ep : NULL);
		json_key(&j, "last_sync_ms");
		json_int(&j, (int64_t)ms);
		json_key(&j, "pending");
		json_int(&j, (int64_t)pending);
		json_key(&j, "notices");
		json_int(&j, (int64_t)s.notices);
		json_obj_end(&j);
		json_done(&j);
		return EXIT_OK;
	}
	if (ms) {
		out_when(ms, last, sizeof last);
		printf(_("Last sync with the school node: %s, at %s\n"), last,
		       ep);
	} else {
		printf("%s\n", _("Last sync with the school node: none yet "
				 "(run 'cdsync sync --lan ADDRESS')"));
	}
	printf(_("Recorded here, not yet at the school node: %" PRIu64
		 " change(s)\n"), pending);
	if (s.notices)
		printf(_("Merging noticed %zu thing(s): see 'cdsync "
			 "conflicts'.\n"), s.notices);
	return EXIT_OK;
}

/* The rollup's freshness, at a node that has one (a hub). */
static void
rollup_state(cdsync *db, struct json *j)
{
	cdsync_rollup_state r;
	char at[24];

	if (cdsync_rollup_info(db, &r) != CDSYNC_OK || r.made_ms == 0)
		return;
	if (j != NULL) {
		json_key(j, "rollup_ms");
		json_int(j, r.made_ms);
		json_key(j, "rollup_added");
		json_int(j, (int64_t)r.added);
		json_key(j, "rollup_changed");
		json_int(j, (int64_t)r.changed);
		return;
	}
	out_when((uint64_t)r.made_ms, at, sizeof at);
	printf(_("Last rollup: %s; since then %zu record(s) added and %zu "
		 "unit(s) with records changed ('cdsync rollup')\n"),
	       at, r.added, r.changed);
}

/* At a hub: the newest snapshot it signed; at a hub with hubs below,
 * what the checks of theirs found. */
static void
snapshot_state(cdsync *db, struct json *j)
{
	cdsync_snapshot_info s;
	uint8_t *p = NULL;
	size_t n = 0, c[4];
	char err[256];
	int mine;

	mine = cdsync_snapshot_latest(db, &p, &n) == CDSYNC_OK &&
	       cdsync_snapshot_read(p, n, &s, err, sizeof err) == CDSYNC_OK;
	cdsync_free(p);
	if (cdsync_snapshot_counts(db, c) != CDSYNC_OK)
		memset(c, 0, sizeof c);
	if (j != NULL) {
		if (mine) {
			json_key(j, "snapshot_tree_size");
			json_int(j, (int64_t)s.tree_size);
		}
		json_key(j, "snapshots_same");
		json_int(j, (int64_t)c[CDSYNC_SNAP_SAME]);
		json_key(j, "snapshots_waiting");
		json_int(j, (int64_t)(c[CDSYNC_SNAP_WAITING] +
				      c[CDSYNC_SNAP_NEW]));
		json_key(j, "snapshots_differ");
		json_int(j, (int64_t)c[CDSYNC_SNAP_DIFFERS]);
		return;
	}
	if (mine) {
		char day[11];

		out_date(s.day, day);
		printf(_("Newest snapshot signed here: %zu unit(s), the tree of "
			 "%s, checkpoint of %llu leaves\n"),
		       s.units, day, (unsigned long long)s.tree_size);
	}
	if (c[0] + c[1] + c[2] + c[3] > 0)
		printf(_("Snapshots from below: %zu the same as their bundles, "
			 "%zu waiting, %zu DIFFER%s\n"),
		       c[CDSYNC_SNAP_SAME],
		       c[CDSYNC_SNAP_WAITING] + c[CDSYNC_SNAP_NEW],
		       c[CDSYNC_SNAP_DIFFERS],
		       c[CDSYNC_SNAP_DIFFERS] ? _(" (see 'cdsync snapshot "
						  "list')")
					      : "");
}

/* At a hub: how far its witnesses cosigned its log, and how far it
 * cosigned the log of the hub above (SPEC.md 12.9). */
static void
witness_state(cdsync *db, struct json *j)
{
	uint64_t log = 0, wsize = 0, above = 0;
	size_t w = 0;

	if (cdsync_tlog_size(db, &log) != CDSYNC_OK ||
	    cdsync_tlog_witnessed(db, &wsize, &w) != CDSYNC_OK ||
	    cdsync_witness_from(db, &above) != CDSYNC_OK)
		return;
	if (j != NULL) {
		json_key(j, "log_size");
		json_int(j, (int64_t)log);
		json_key(j, "witnessed_size");
		json_int(j, (int64_t)wsize);
		json_key(j, "witnesses");
		json_int(j, (int64_t)w);
		json_key(j, "witnessed_above");
		json_int(j, (int64_t)above);
		return;
	}
	if (w > 0 || log > 0)
		printf(P_("Log: %llu leaf", "Log: %llu leaves", log),
		       (unsigned long long)log);
	if (w > 0)
		printf(P_("; %zu witness cosigned it up to size %llu\n",
			  "; %zu witnesses cosigned it up to size %llu\n", w),
		       w, (unsigned long long)wsize);
	else if (log > 0)
		printf("%s", _("; no witness has cosigned it yet\n"));
	if (above > 0)
		printf(P_("As a witness: cosigned the log of the hub above up "
			  "to %llu leaf\n",
			  "As a witness: cosigned the log of the hub above up "
			  "to %llu leaves\n",
			  above),
		       (unsigned long long)above);
}

int
cmd_status(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	struct json j = { 0 };
	cdsync_sync_status s;
	cdsync_peer_info p;
	struct table *t = NULL;
	cdsync *db = NULL;
	const char *head[6], *cells[6];
	char node[33], shortid[9], last[24], wait[64], state[128];
	cdsync_role role;
	size_t i;
	int ex, rc, json;

	if (optset_add(&os, "json", T_JSON, OPT_FLAG) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = parse("status", argc, argv, &os, &a, status_help)) !=
	    EXIT_OK)
		goto out;
	if ((ex = args_positional("status", &a, 0, 0, "")) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_sync_status_get(db, &s)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	json = args_get(&a, T_JSON) != NULL;
	if ((rc = cdsync_node_role(db, &role)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (role == CDSYNC_ROLE_CLIENT) {
		ex = device_status(db, json);
		goto out;
	}
	if (json) {
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "last_sealed");
		json_int(&j, (int64_t)s.last_sealed);
		json_key(&j, "unsealed");
		json_int(&j, (int64_t)s.unsealed);
		json_key(&j, "held");
		json_int(&j, (int64_t)s.held);
		json_key(&j, "frozen");
		json_int(&j, (int64_t)s.frozen);
		json_key(&j, "notices");
		json_int(&j, (int64_t)s.notices);
		json_key(&j, "outbox");
		json_int(&j, (int64_t)s.outbox);
		json_key(&j, "outbox_bytes");
		json_int(&j, (int64_t)s.outbox_bytes);
		json_key(&j, "last_receipt_ms");
		json_int(&j, (int64_t)s.last_receipt_ms);
		json_key(&j, "last_receipt_from");
		json_str(&j, s.last_receipt_ms ? s.last_receipt_from : NULL);
		rollup_state(db, &j);
		snapshot_state(db, &j);
		witness_state(db, &j);
		daemon_state(&j);
		json_key(&j, "peers");
		json_arr(&j);
	} else {
		printf(_("Bundles sealed here: %" PRIu64 "; changes not yet in "
			 "a bundle: %" PRIu64 "%s\n"),
		       s.last_sealed, s.unsealed,
		       s.unsealed ? _(" (run 'cdsync export')") : "");
		printf(_("Waiting to go up: %zu bundle(s), %" PRIu64
			 " bytes\n"), s.outbox, s.outbox_bytes);
		if (s.last_receipt_ms) {
			out_when(s.last_receipt_ms, last, sizeof last);
			printf(_("Last receipt: %s from %s\n"), last,
			       s.last_receipt_from);
		} else {
			printf("%s\n", _("Last receipt: none yet"));
		}
		rollup_state(db, NULL);
		snapshot_state(db, NULL);
		witness_state(db, NULL);
		daemon_state(NULL);
		head[0] = _("Union");
		head[1] = _("Node");
		head[2] = _("Sends to it");
		head[3] = _("Last merged");
		head[4] = _("Waiting");
		head[5] = _("State");
		if ((t = table_new(6, head)) == NULL) {
			ex = EXIT_FAIL;
			goto out;
		}
	}
	for (i = 0; cdsync_peer_at(db, i, &p) == CDSYNC_OK; i++) {
		out_hexs(p.node, 16, node);
		if (json) {
			json_obj(&j);
			json_key(&j, "org");
			json_str(&j, p.org);
			json_key(&j, "node");
			json_str(&j, node);
			json_key(&j, "upstream");
			json_bool(&j, p.upstream);
			json_key(&j, "last_seq");
			json_int(&j, (int64_t)p.last_seq);
			json_key(&j, "held");
			json_int(&j, (int64_t)p.held);
			json_key(&j, "missing_from");
			json_int(&j, (int64_t)p.missing_from);
			json_key(&j, "missing_to");
			json_int(&j, (int64_t)p.missing_to);
			json_key(&j, "evidence");
			json_int(&j, (int64_t)p.evidence);
			json_key(&j, "frozen");
			json_bool(&j, p.frozen);
			json_obj_end(&j);
			continue;
		}
		out_shortid(node, shortid);
		snprintf(last, sizeof last, "%" PRIu64, p.last_seq);
		if (p.held && p.missing_from == p.missing_to)
			snprintf(wait, sizeof wait,
				 _("%zu (missing %" PRIu64 ")"), p.held,
				 p.missing_from);
		else if (p.held)
			snprintf(wait, sizeof wait,
				 _("%zu (missing %" PRIu64 "-%" PRIu64 ")"),
				 p.held, p.missing_from, p.missing_to);
		else
			snprintf(wait, sizeof wait, "0");
		if (p.frozen)
			snprintf(state, sizeof state,
				 _("FROZEN: %zu bundle(s) kept as evidence"),
				 p.evidence);
		else
			snprintf(state, sizeof state, "%s", _("ok"));
		cells[0] = p.org;
		cells[1] = shortid;
		cells[2] = p.upstream ? _("yes") : _("no");
		cells[3] = last;
		cells[4] = wait;
		cells[5] = state;
		if (table_add(t, cells) != 0) {
			ex = EXIT_FAIL;
			goto out;
		}
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_done(&j);
	} else {
		if (i > 0)
			table_print(t, stdout);
		else
			printf("%s\n", _("No other node is known yet ('cdsync "
					 "peer add')."));
		if (s.notices)
			printf(_("Merging noticed %zu thing(s) to look at: "
				 "'cdsync conflicts'.\n"), s.notices);
	}
out:
	ex = ex < 0 ? EXIT_OK : ex;
	table_free(t);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
