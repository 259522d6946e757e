/* cmd_rollup.c -- `cdsync rollup`: bring the nightly rollup up to date
 * now (client/rollup.h).
 *
 * Contract: as the other commands (args.h exit codes).  Recomputes the
 * units written to since the last rollup, or all of them with --full;
 * on a terminal draws a progress bar on stderr; at the end prints one
 * line of what was done (--json: an object).  `cdsync kpi --rollup`
 * then reads the figures from it.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

enum { T_JSON = TAG_JSON, T_FULL = TAG_FIELD + 1 };

void
rollup_help(FILE *f)
{
	fprintf(f, "%s cdsync rollup [--full] [--json]\n\n", _("Usage:"));
	help_para(f, _("Brings the figures of every union up to date for every "
		       "period of the term 2023-2028 (the term, its school "
		       "years, calendar years and quarters), as a hub does "
		       "each night: only the unions whose records changed "
		       "since the last rollup are counted again.  'cdsync kpi "
		       "--rollup' then reads the figures from it at once."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--full", _("count every union again (after a repair, or "
				"to check)"));
	help_opt(f, "--json", _("what was done, as JSON"));
	rec_commonhelp(f);
}

struct bar {
	int on, drawn;
};

static void
draw(void *arg, size_t done, size_t total)
{
	struct bar *b = arg;
	char line[32];
	int i, fill;

	if (!b->on || (done != total && done % 64 != 0))
		return;
	fill = total ? (int)(done * 20 / total) : 20;
	for (i = 0; i < 20; i++)
		line[i] = i < fill ? '#' : '.';
	line[20] = '\0';
	fprintf(stderr, "\r");
	fprintf(stderr, _("[%s] %zu/%zu unions and units counted"), line, done,
		total);
	fflush(stderr);
	b->drawn = 1;
}

void
rollup_said(cdsync *db, FILE *f)
{
	cdsync_rollup_state r;
	char at[32] = "";
	struct tm tm;
	time_t t;

	if (cdsync_rollup_info(db, &r) != CDSYNC_OK || r.made_ms == 0)
		return;
	t = (time_t)(r.made_ms / 1000);
	if (localtime_r(&t, &tm) != NULL)
		strftime(at, sizeof at, "%d/%m/%Y %H:%M", &tm);
	fprintf(f, _("Counted by the rollup of %s; since then %zu record(s) "
		     "added and %zu unit(s) with records changed.\n"),
		at, r.added, r.changed);
}

int
cmd_rollup(int argc, char **argv)
{
	const char *verb = "rollup";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync_rollup_stats st;
	struct bar b = { 0, 0 };
	struct timespec t0, t1;
	cdsync *db = NULL;
	struct json j;
	double secs;
	int ex, rc;

	if (optset_add(&os, "full", T_FULL, OPT_FLAG) != 0 ||
	    optset_add(&os, "json", T_JSON, OPT_FLAG) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		rollup_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 0, 0, "")) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	b.on = args_get(&a, T_JSON) == NULL && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cdsync_rollup(db, args_get(&a, T_FULL) != NULL, draw, &b, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (b.drawn)
		fputc('\n', stderr);
	if (rc != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (args_get(&a, T_JSON) != NULL) {
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "full");
		json_bool(&j, st.full);
		json_key(&j, "units");
		json_int(&j, (int64_t)st.units);
		json_key(&j, "recomputed");
		json_int(&j, (int64_t)st.recomputed);
		json_key(&j, "rows");
		json_int(&j, (int64_t)st.rows);
		json_key(&j, "periods");
		json_int(&j, (int64_t)st.periods);
		json_key(&j, "seconds");
		json_num(&j, secs, 3);
		json_obj_end(&j);
		json_done(&j);
		goto out;
	}
	if (st.full)
		printf(_("Rollup: every one of the %zu units counted again "
			 "(%zu periods each), in %.1f s.\n"),
		       st.units, st.periods, secs);
	else
		printf(_("Rollup: %zu units, %zu periods each; %zu new "
			 "record(s) added to their unit's figures, %zu "
			 "unit(s) with changed records counted again, in "
			 "%.1f s.\n"),
		       st.units, st.periods, st.rows, st.recomputed, secs);
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
