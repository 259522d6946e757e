/* cmd_legal.c -- legal consultations: `legal update` records a new status
 * of a case; `legal open` (the kind's add verb), list (with --open), show,
 * edit and delete are records.c's.
 *
 * Contract: `legal update REF --status S [--date D] [--note N]` calls
 * cdsync_legal_set_status(), which changes the case's status and adds a
 * row to its history in one transaction (resolving also closes the case).
 * The status and date are checked first (as the history row will check
 * them) so that a mistake is a usage error (exit 2) naming the option.
 */
#include <string.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

/* The field info of legal_case.status, for its choices. */
static int
status_info(cdsync_field_info *fi)
{
	size_t i;

	for (i = 1; cdsync_kind_field_info(CDSYNC_KIND_LEGAL_CASE, i, fi) ==
		    CDSYNC_OK;
	     i++)
		if (strcmp(fi->name, "status") == 0)
			return 0;
	return -1;
}

static void
update_help(FILE *f)
{
	cdsync_field_info fi;
	size_t i;

	fprintf(f, "%s cdsync legal update %s --status %s [--date %s] "
		   "[--note %s]\n\n",
		_("Usage:"), _("REF"), _("STATUS"), _("DATE"), _("TEXT"));
	help_para(f, _("Records what happened to a legal consultation: the "
		       "new status, the day, and a note.  The history of "
		       "the case is kept.  REF is the short id shown by "
		       "'cdsync legal list'."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--status STATUS"), _("the new status, one of:"));
	if (status_info(&fi) == 0 && fi.choices != NULL)
		for (i = 0; fi.choices[i]; i++)
			fprintf(f, "%32s%-10s %s\n", "", fi.choices[i],
				cdsync_choice_label(fi.choices[i]));
	help_opt(f, _("--date DATE"),
		 _("the day; dd/mm/yyyy or yyyy-mm-dd (default: today)"));
	help_opt(f, _("--note TEXT"), _("what was advised or decided"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  %s\n", _("Example:"),
		_("cdsync legal update 1a2b3c4d --status advised --date "
		  "12/03/2026 --note \"Explained the overtime rules\""));
}

static int
legal_update(const struct kindspec *ks, int argc, char **argv)
{
	const char *verb = "legal update";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_rec *check = NULL, *now = NULL;
	const char *status, *date, *note;
	char sum[1024], shortid[9], day[11];
	uint8_t id[16];
	int ex, rc;

	if (optset_add(&os, "status", TAG_STATUS, OPT_VALUE) != 0 ||
	    optset_add(&os, "date", TAG_DATE, OPT_VALUE) != 0 ||
	    optset_add(&os, "on", TAG_DATE, OPT_VALUE) != 0 ||
	    optset_add(&os, "note", TAG_NOTE, OPT_VALUE) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		update_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 1, 1, _("REF (which case)"))) !=
	    EXIT_OK)
		goto out;
	if ((status = args_get(&a, TAG_STATUS)) == NULL) {
		ex = usage_err(verb, "%s",
			       _("--status is required (open, advised, "
				 "escalated or resolved)"));
		goto out;
	}
	date = args_get(&a, TAG_DATE);
	note = args_get(&a, TAG_NOTE);
	/* Check the values the way the library will, to name the option. */
	if ((rc = cdsync_rec_new(CDSYNC_KIND_LEGAL_EVENT, &check)) !=
	    CDSYNC_OK) {
		ex = lib_err(NULL, rc);
		goto out;
	}
	if (cdsync_rec_set(check, "status", status) != CDSYNC_OK) {
		msg_err("--status: %s", rec_reason(check));
		ex = EXIT_USAGE;
		goto out;
	}
	if (date != NULL &&
	    (ex = rec_check_date("--date", date, day)) != EXIT_OK)
		goto out;
	if ((ex = home_open(&db)) != EXIT_OK ||
	    (ex = rec_resolve(db, CDSYNC_KIND_LEGAL_CASE, NULL, a.pos[0],
			      id)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_legal_set_status(db, id, status, date, note)) !=
		    CDSYNC_OK ||
	    (rc = cdsync_get(db, CDSYNC_KIND_LEGAL_CASE, id, &now)) !=
		    CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	rec_shortid(now, shortid);
	rec_summary(db, ks, now, sum, sizeof sum);
	printf(_("Saved %s %s: %s"), _(ks->what), shortid, sum);
	putchar('\n');
out:
	cdsync_rec_free(now);
	cdsync_rec_free(check);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

int
cmd_legal(const struct kindspec *ks, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "update") == 0)
		return legal_update(ks, argc - 1, argv + 1);
	return records_verb(ks, argc, argv);
}
