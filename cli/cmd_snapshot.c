/* cmd_snapshot.c -- `cdsync snapshot`: the signed rollup snapshots of
 * SPEC.md §14, made at a hub and checked at the hub above.
 *
 * Contract: as the other commands (args.h exit codes).  Verbs:
 *   make [--org CODE] [--out FILE]   sign one now (a hub; its own
 *                                    records sealed in a bundle first)
 *   proof FILE --from N --out FILE   the consistency proof it needs above
 *   show FILE                        what a snapshot file says (offline)
 *   take FILE [--proof FILE]         at the hub above: take it and check it
 *   check                            check those taken, not checked yet
 *   list [--all]                     those taken, and what the check found
 * `check`, `take` and `list` exit 1 when a snapshot differs from the
 * figures of its bundles.  --json everywhere but proof.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

enum {
	T_JSON = TAG_JSON,
	T_ALL = TAG_ALL,
	T_ORG = TAG_ORG,
	T_OUT = TAG_FIELD + 1,
	T_PROOF,
	T_FROM
};

#define SNAP_FILE_MAX ((size_t)1 << 30)
#define PROOF_FILE_MAX ((size_t)256 << 10)
#define DIFFS_SHOWN 20

void
snapshot_help(FILE *f)
{
	fprintf(f, "%s cdsync snapshot %s\n\n", _("Usage:"),
		_("VERB [OPTION...]"));
	help_para(f, _("A hub signs the figures of its rollup for every union "
		       "below it, naming exactly the bundles they come from "
		       "and a checkpoint of its log.  The hub above checks "
		       "them by counting the same figures again from the "
		       "schools' bundles, and names every figure that "
		       "differs."));
	fprintf(f, "\n%s\n", _("Verbs:"));
	help_cmd(f, "make", _("Sign a snapshot now (the daemon does it each "
			      "night)"));
	help_cmd(f, "proof", _("The consistency proof the hub above needs "
			       "with it"));
	help_cmd(f, "show", _("What a snapshot file says"));
	help_cmd(f, "take", _("At the hub above: take a snapshot and check "
			      "it"));
	help_cmd(f, "check", _("Check the snapshots taken and not checked "
			       "yet"));
	help_cmd(f, "list", _("The snapshots taken, and what the check "
			      "found"));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--org CODE"), _("make: the figures of that unit and "
				       "those below it (default: this hub's)"));
	help_opt(f, _("--out FILE"), _("make, proof: write the file"));
	help_opt(f, _("--proof FILE"), _("take: the consistency proof of its "
					 "checkpoint"));
	help_opt(f, _("--from N"), _("proof: the size of the checkpoint the "
				     "hub above holds (0 the first time)"));
	help_opt(f, "--all", _("list: every difference, not the first 20"));
	help_opt(f, "--json", _("the answer as JSON"));
	rec_commonhelp(f);
}

static const char *
state_word(int s)
{
	switch (s) {
	case CDSYNC_SNAP_WAITING:
		return _("waiting for bundles");
	case CDSYNC_SNAP_SAME:
		return _("the same as the bundles");
	case CDSYNC_SNAP_DIFFERS:
		return _("DIFFERS from the bundles");
	default:
		return _("not checked yet");
	}
}

static const char *const state_json[] = { "new", "waiting", "same",
					  "differs" };


static void
info_json(struct json *j, const cdsync_snapshot_info *s, int taken)
{
	char h[65];

	json_key(j, "hash");
	out_hexs(s->hash, 32, h);
	json_str(j, h);
	json_key(j, "hub");
	out_hexs(s->hub, 16, h);
	json_str(j, h);
	if (taken) {
		json_key(j, "hub_code");
		json_str(j, s->hub_code);
	}
	json_key(j, "org");
	json_str(j, s->org);
	json_key(j, "day");
	json_str(j, s->day);
	json_key(j, "tree_size");
	json_int(j, (int64_t)s->tree_size);
	json_key(j, "units");
	json_int(j, (int64_t)s->units);
	json_key(j, "heads");
	json_int(j, (int64_t)s->heads);
	json_key(j, "sheets");
	json_int(j, (int64_t)s->sheets);
	if (!taken)
		return;
	json_key(j, "state");
	json_str(j, state_json[s->state & 3]);
	json_key(j, "differences");
	json_int(j, (int64_t)s->ndiff);
	json_key(j, "note");
	json_str(j, s->note);
}

static void
info_text(const cdsync_snapshot_info *s, int taken)
{
	char day[11], at[32], h[65];

	out_date(s->day, day);
	out_hexs(s->hash, 8, h);
	printf(_("Snapshot %s of %s: %zu unit(s), the tree of %s, the "
		 "bundles of %zu node(s), checkpoint of %llu leaves, %zu "
		 "catalog sheet(s)\n"),
	       h, s->org, s->units, day, s->heads,
	       (unsigned long long)s->tree_size, s->sheets);
	if (!taken)
		return;
	at[0] = '\0';
	if (s->taken_ms > 0)
		out_when((uint64_t)s->taken_ms, at, sizeof at);
	printf(_("  from %s, taken %s: %s\n"), s->hub_code, at,
	       state_word(s->state));
	if (s->state == CDSYNC_SNAP_DIFFERS)
		printf(_("  %zu figure(s) differ; the first: %s\n"), s->ndiff,
		       s->note);
	else if (s->state == CDSYNC_SNAP_WAITING)
		printf("  %s\n", s->note);
}

/* The differences of a snapshot, as text or into a JSON array. */
static void
diffs(cdsync *db, const cdsync_snapshot_info *s, size_t max, struct json *j)
{
	cdsync_snapshot_diff d;
	size_t i;

	if (j != NULL) {
		json_key(j, "cells");
		json_arr(j);
	}
	for (i = 0; i < max && cdsync_snapshot_diff_at(db, s->hash, i, &d) ==
					       CDSYNC_OK;
	     i++) {
		if (j == NULL) {
			printf(_("    %s, %s, %s: signed %" PRId64
				 ", computed from the bundles %" PRId64 "\n"),
			       d.unit, d.period, d.field, d.signed_value,
			       d.computed);
			continue;
		}
		json_obj(j);
		json_key(j, "unit");
		json_str(j, d.unit);
		json_key(j, "period");
		json_str(j, d.period);
		json_key(j, "field");
		json_str(j, d.field);
		json_key(j, "signed");
		json_int(j, d.signed_value);
		json_key(j, "computed");
		json_int(j, d.computed);
		json_obj_end(j);
	}
	if (j != NULL)
		json_arr_end(j);
	else if (s->ndiff > i && i == max)
		printf(_("    ... and %zu more (--all shows them)\n"),
		       s->ndiff - i);
}

/* The snapshots taken (all, or only those changed by a check: from index
 * 0 to n), with their differences.  Exit 1 when one differs. */
static int
show_taken(cdsync *db, const struct args *a, size_t n)
{
	cdsync_snapshot_info s;
	size_t i, max = args_get(a, T_ALL) ? (size_t)-1 : DIFFS_SHOWN;
	int js = args_get(a, T_JSON) != NULL, ex = EXIT_OK;
	struct json j;

	if (js) {
		json_init(&j, stdout);
		json_arr(&j);
	}
	for (i = 0; i < n && cdsync_snapshot_at(db, i, &s) == CDSYNC_OK; i++) {
		if (s.state == CDSYNC_SNAP_DIFFERS)
			ex = EXIT_FAIL;
		if (js) {
			json_obj(&j);
			info_json(&j, &s, 1);
			diffs(db, &s, max, &j);
			json_obj_end(&j);
			continue;
		}
		info_text(&s, 1);
		if (s.state == CDSYNC_SNAP_DIFFERS)
			diffs(db, &s, max, NULL);
	}
	if (js) {
		json_arr_end(&j);
		json_done(&j);
	} else if (i == 0) {
		printf("%s\n", _("No snapshot was taken from below yet."));
	}
	return ex;
}

static int
load(cdsync *db, const char *path, size_t max, uint8_t **p, size_t *n)
{
	int rc = cdsync_file_load(db, path, max, p, n);

	return rc == CDSYNC_OK ? EXIT_OK : lib_err(db, rc);
}

static int
do_make(cdsync *db, const struct args *a)
{
	cdsync_snapshot_info s;
	const char *out = args_get(a, T_OUT);
	uint8_t *p = NULL;
	size_t n = 0;
	char err[512];
	int rc, ex = EXIT_OK;
	struct json j;

	/* this hub's own records first into a bundle, as the daemon does:
	 * every figure then comes from a bundle */
	if ((rc = cdsync_seal(db, &n)) != CDSYNC_OK)
		return lib_err(db, rc);
	if (n > 0 && args_get(a, T_JSON) == NULL)
		printf("%s\n", _("This hub's own records since its last bundle "
				 "are sealed in a new one (it goes up with the "
				 "next export or round of the daemon)."));
	if ((rc = cdsync_snapshot_make(db, args_get(a, T_ORG), &p, &n)) !=
	    CDSYNC_OK)
		return lib_err(db, rc);
	if (out != NULL && (rc = cdsync_file_save(db, out, p, n)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto done;
	}
	if (cdsync_snapshot_read(p, n, &s, err, sizeof err) != CDSYNC_OK) {
		msg_err("%s", err);
		ex = EXIT_FAIL;
		goto done;
	}
	if (args_get(a, T_JSON) != NULL) {
		json_init(&j, stdout);
		json_obj(&j);
		info_json(&j, &s, 0);
		json_key(&j, "bytes");
		json_int(&j, (int64_t)n);
		json_obj_end(&j);
		json_done(&j);
		goto done;
	}
	info_text(&s, 0);
	if (out != NULL)
		printf(_("Signed and written to %s (%zu bytes).\n"), out, n);
	else
		printf(_("Signed (%zu bytes); the daemon sends it up.\n"), n);
done:
	cdsync_free(p);
	return ex;
}

static int
do_proof(cdsync *db, const struct args *a)
{
	const char *from = args_get(a, T_FROM), *out = args_get(a, T_OUT);
	uint8_t *p = NULL, *f = NULL;
	size_t n = 0, fn = 0;
	char *end = NULL;
	unsigned long long old;
	int rc, ex;

	if (from == NULL || out == NULL)
		return usage_err("snapshot proof", "%s",
				 _("give --from N and --out FILE"));
	old = strtoull(from, &end, 10);
	if (end == from || *end != '\0' || from[0] == '-')
		return usage_err("snapshot proof",
				 _("--from: '%s' is not a tree size"), from);
	if ((ex = load(db, a->pos[0], SNAP_FILE_MAX, &p, &n)) != EXIT_OK)
		return ex;
	rc = cdsync_snapshot_proof(db, p, n, (uint64_t)old, &f, &fn);
	if (rc == CDSYNC_OK)
		rc = cdsync_file_save(db, out, f, fn);
	cdsync_free(p);
	cdsync_free(f);
	if (rc != CDSYNC_OK)
		return lib_err(db, rc);
	printf(_("The consistency proof from size %llu is in %s.\n"), old,
	       out);
	return EXIT_OK;
}

static int
do_show(cdsync *db, const struct args *a)
{
	cdsync_snapshot_info s;
	uint8_t *p = NULL;
	size_t n = 0;
	char err[512];
	struct json j;
	int rc, ex;

	if ((ex = load(db, a->pos[0], SNAP_FILE_MAX, &p, &n)) != EXIT_OK)
		return ex;
	rc = cdsync_snapshot_read(p, n, &s, err, sizeof err);
	cdsync_free(p);
	if (rc != CDSYNC_OK) {
		msg_err("%s: %s", a->pos[0], err);
		return EXIT_FAIL;
	}
	if (args_get(a, T_JSON) != NULL) {
		json_init(&j, stdout);
		json_obj(&j);
		info_json(&j, &s, 0);
		json_obj_end(&j);
		json_done(&j);
		return EXIT_OK;
	}
	info_text(&s, 0);
	printf("%s\n", _("Its signature holds, by the key it names; 'cdsync "
			 "snapshot take' at the hub above checks the key and "
			 "the figures."));
	return EXIT_OK;
}

static int
do_take(cdsync *db, const struct args *a)
{
	const char *pf = args_get(a, T_PROOF);
	cdsync_snapshot_info s;
	uint8_t *p = NULL, *f = NULL, hash[32];
	size_t n = 0, fn = 0;
	uint64_t held = 0;
	int rc, ex;

	if (pf != NULL) {
		if ((ex = load(db, pf, PROOF_FILE_MAX, &f, &fn)) != EXIT_OK)
			return ex;
		rc = cdsync_checkpoint_take(db, f, fn, &held);
		cdsync_free(f);
		if (rc != CDSYNC_OK)
			return lib_err(db, rc);
		printf(_("Checkpoint of %llu leaves taken: consistent with the "
			 "ones before.\n"),
		       (unsigned long long)held);
	}
	if ((ex = load(db, a->pos[0], SNAP_FILE_MAX, &p, &n)) != EXIT_OK)
		return ex;
	rc = cdsync_snapshot_take(db, p, n, hash);
	cdsync_free(p);
	if (rc != CDSYNC_OK && rc != CDSYNC_EREPLAY)
		return lib_err(db, rc);
	if ((rc = cdsync_snapshot_check(db, hash, &s)) != CDSYNC_OK)
		return lib_err(db, rc);
	return show_taken(db, a, 1);
}

static int
do_check(cdsync *db, const struct args *a)
{
	size_t checked = 0, differ = 0;
	int rc;

	if ((rc = cdsync_snapshot_check_all(db, &checked, &differ)) !=
	    CDSYNC_OK)
		return lib_err(db, rc);
	if (args_get(a, T_JSON) == NULL)
		printf(_("%zu snapshot(s) checked, %zu differ.\n"), checked,
		       differ);
	return show_taken(db, a, (size_t)-1);
}

static const struct {
	const char *name;
	size_t npos;
	int (*run)(cdsync *db, const struct args *a);
} verbs[] = {
	{ "make", 0, do_make }, { "proof", 1, do_proof },
	{ "show", 1, do_show }, { "take", 1, do_take },
	{ "check", 0, do_check }, { "list", 0, NULL },
};

int
cmd_snapshot(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	char full[32];
	size_t v, nv = sizeof verbs / sizeof verbs[0];
	int ex;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
		snapshot_help(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (v = 0; v < nv && strcmp(verbs[v].name, argv[0]) != 0; v++)
		;
	if (v == nv) {
		msg_err(_("'%s' is not something cdsync snapshot can do"),
			argv[0]);
		fprintf(stderr, "%s\n", _("Try 'cdsync snapshot --help'."));
		return EXIT_USAGE;
	}
	snprintf(full, sizeof full, "snapshot %s", argv[0]);
	if (optset_add(&os, "json", T_JSON, OPT_FLAG) != 0 ||
	    optset_add(&os, "all", T_ALL, OPT_FLAG) != 0 ||
	    optset_add(&os, "org", T_ORG, OPT_VALUE) != 0 ||
	    optset_add(&os, "out", T_OUT, OPT_VALUE) != 0 ||
	    optset_add(&os, "proof", T_PROOF, OPT_VALUE) != 0 ||
	    optset_add(&os, "from", T_FROM, OPT_VALUE) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(full, argc - 1, argv + 1, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		snapshot_help(stdout);
		goto out;
	}
	if ((ex = args_positional(full, &a, verbs[v].npos, verbs[v].npos,
				  _("a snapshot file"))) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	ex = verbs[v].run != NULL ? verbs[v].run(db, &a)
				  : show_taken(db, &a, (size_t)-1);
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
