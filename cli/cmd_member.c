/* cmd_member.c -- the member verbs beyond the generic ones: import from a
 * spreadsheet, leave, and the members care has not reached.
 *
 * Contract: `member import FILE [--skip-bad] [--dry-run]` hands the file
 * to cdsync_member_import() and prints its counts; every bad line is
 * printed as "line N: reason" on stderr; when the library refuses the
 * whole file (a bad line without --skip-bad) nothing is written and the
 * exit code is 1.  `member leave REF [--on DATE]` sets left_on (today by
 * default).  `member uncared --period P [--json]` lists the current
 * members who have not benefited from a care activity in P.  Every other
 * verb is records.c's.
 */
#include <string.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

static void
import_help(FILE *f)
{
	fprintf(f, "%s cdsync member import %s [--skip-bad] [--dry-run]\n\n",
		_("Usage:"), _("FILE.csv"));
	help_para(f, _("Reads the member list of this union from a "
		       "spreadsheet saved as CSV (Excel: Save As, \"CSV "
		       "UTF-8\").  The first line names the columns, in "
		       "Vietnamese or English: member code, full name, sex, "
		       "birth year, job, joined, left.  Importing the same "
		       "file again adds nobody twice; changed lines update "
		       "the member."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--skip-bad",
		 _("import the good lines even if some lines are wrong (the "
		   "wrong ones are listed)"));
	help_opt(f, "--dry-run", _("check the file only; write nothing"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync member import %s\n", _("Example:"),
		_("members.csv"));
}

static int
member_import(int argc, char **argv)
{
	const char *verb = "member import";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync_import *rep = NULL;
	cdsync *db = NULL;
	size_t lines, added, updated, unchanged, bad, i, line;
	const char *why;
	unsigned flags = 0;
	int ex, rc;

	if (optset_add(&os, "skip-bad", TAG_SKIP_BAD, OPT_FLAG) != 0 ||
	    optset_add(&os, "dry-run", TAG_DRY_RUN, OPT_FLAG) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		import_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 1, 1, _("the file to import"))) !=
		    EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if (args_get(&a, TAG_SKIP_BAD))
		flags |= CDSYNC_IMPORT_SKIP_BAD;
	if (args_get(&a, TAG_DRY_RUN))
		flags |= CDSYNC_IMPORT_DRY_RUN;
	rc = cdsync_member_import(db, a.pos[0], flags, &rep);
	if (rep == NULL) {
		ex = lib_err(db, rc != CDSYNC_OK ? rc : CDSYNC_ERROR);
		goto out;
	}
	cdsync_import_counts(rep, &lines, &added, &updated, &unchanged, &bad);
	if (rc == CDSYNC_OK) {
		printf(_("Lines read: %zu. Added: %zu, updated: %zu, "
			 "unchanged: %zu, bad: %zu."),
		       lines, added, updated, unchanged, bad);
		putchar('\n');
	}
	fflush(stdout);
	for (i = 0; (why = cdsync_import_bad(rep, i, &line)) != NULL; i++) {
		fprintf(stderr, _("line %zu: %s"), line, why);
		fputc('\n', stderr);
	}
	if (rc == CDSYNC_EBADINPUT) {
		msg_err(_("nothing was imported: %zu line(s) of %s are wrong. "
			  "Correct them and import again, or give --skip-bad "
			  "to import the other lines."),
			bad, a.pos[0]);
		ex = EXIT_FAIL;
		goto out;
	}
	if (rc != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (flags & CDSYNC_IMPORT_DRY_RUN)
		printf("%s\n", _("Checked only (--dry-run): nothing was "
				 "written."));
out:
	cdsync_import_free(rep);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

static void
leave_help(FILE *f)
{
	fprintf(f, "%s cdsync member leave %s [--on %s]\n\n",
		_("Usage:"), _("MEMBER"), _("DATE"));
	help_para(f, _("Records that a member left the union (moved, "
		       "retired).  The member stays in the records of past "
		       "years."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--on DATE"),
		 _("the day the member left; dd/mm/yyyy or yyyy-mm-dd "
		   "(default: today)"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync member leave GV001 --on 31/08/2026\n",
		_("Example:"));
}

static int
member_leave(int argc, char **argv)
{
	const char *verb = "member leave";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_rec *r = NULL, *now = NULL;
	char today[11], day[11];
	const char *on, *name;
	uint8_t id[16];
	int ex, rc;

	if (optset_add(&os, "on", TAG_ON, OPT_VALUE) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		leave_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 1, 1, _("the member"))) !=
		    EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK ||
	    (ex = rec_resolve(db, CDSYNC_KIND_MEMBER, NULL, a.pos[0], id)) !=
		    EXIT_OK)
		goto out;
	if ((on = args_get(&a, TAG_ON)) == NULL) {
		home_today(today);
		on = today;
	}
	if ((rc = cdsync_rec_new(CDSYNC_KIND_MEMBER, &r)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set_id(r, id)) != CDSYNC_OK) {
		ex = lib_err(NULL, rc);
		goto out;
	}
	if (cdsync_rec_set(r, "left_on", on) != CDSYNC_OK) {
		msg_err("--on: %s", rec_reason(r));
		ex = EXIT_USAGE;
		goto out;
	}
	if ((rc = cdsync_update(db, r)) != CDSYNC_OK ||
	    (rc = cdsync_get(db, CDSYNC_KIND_MEMBER, id, &now)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	name = cdsync_rec_get(now, "full_name");
	out_date(cdsync_rec_get(now, "left_on"), day);
	printf(_("%s left the union on %s."), name ? name : a.pos[0], day);
	putchar('\n');
out:
	cdsync_rec_free(now);
	cdsync_rec_free(r);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

static void
uncared_help(FILE *f)
{
	fprintf(f, "%s cdsync member uncared --period %s [--json]\n\n",
		_("Usage:"), _("PERIOD"));
	help_para(f, _("Lists the members of this union who have not "
		       "benefited from any care activity in the period: "
		       "those the union still has to reach."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--period PERIOD"),
		 _("a school year (2025-2026), a year (2025), a quarter "
		   "(2025-Q3) or the term (2023-2028)"));
	help_opt(f, "--json", _("print JSON (every field, for other "
				"programs)"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync member uncared --period 2025-2026\n",
		_("Example:"));
}

static int
member_uncared(const struct kindspec *ks, int argc, char **argv)
{
	const char *verb = "member uncared";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_cursor *cur = NULL;
	char from[11], to[11], f[11], t[11];
	const char *period;
	int ex, rc, json;

	if (optset_add(&os, "period", TAG_PERIOD, OPT_VALUE) != 0 ||
	    optset_add(&os, "json", TAG_JSON, OPT_FLAG) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		uncared_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 0, 0, "")) != EXIT_OK)
		goto out;
	if ((period = args_get(&a, TAG_PERIOD)) == NULL) {
		ex = usage_err(verb, "%s",
			       _("--period is required, e.g. --period "
				 "2025-2026"));
		goto out;
	}
	if ((ex = rec_period(verb, period, from, to)) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_query_uncared(db, period, &cur)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	json = args_get(&a, TAG_JSON) != NULL;
	if (!json) {
		out_date(from, f);
		out_date(to, t);
		printf(_("Members who have not benefited from care in %s "
			 "(%s – %s):"),
		       period, f, t);
		putchar('\n');
	}
	ex = rec_print_rows(db, ks, cur, NULL, json);
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

int
cmd_member(const struct kindspec *ks, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return member_import(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "leave") == 0)
		return member_leave(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "uncared") == 0)
		return member_uncared(ks, argc - 1, argv + 1);
	return records_verb(ks, argc, argv);
}
