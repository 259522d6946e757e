/* cmd_report.c -- `cdsync report`: the report people read of a union and
 * the unions under it, as one HTML page, an Excel workbook, CSV or JSON.
 *
 * Contract: `cdsync report (--period P | --preset midterm|final)
 * [--org CODE] [--as-of DATE] [--format F] [--out FILE]`.  The data is
 * cdsync_report_compute()'s (cdsync.h "Reports"); this file adds the
 * presets of the programmes' reviews, the choice of format (--format, or
 * the extension of --out), and the output: --out FILE is written whole
 * or not at all (a temporary file beside it, fsync, rename, fsync of the
 * folder), without --out html, csv and json go to stdout and xlsx is
 * refused (a workbook is not for a terminal).  JSON is written here (the
 * shape is in docs/reports.md); the helpers report.h shares are at the
 * end.  Exit codes as args.h: 0, 1 (the library or the disk failed), 2
 * (the command line is wrong).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"
#include "report.h"

/* Options of this verb only (records.h's tags are below 100). */
enum { TAG_PRESET = 60, TAG_FORMAT, TAG_OUT, TAG_ROLLUP };

enum fmt { FMT_NONE = 0, FMT_HTML, FMT_XLSX, FMT_CSV, FMT_JSON };

static const struct {
	const char *name;		/* --format NAME */
	const char *ext;		/* of --out FILE */
	enum fmt fmt;
} formats[] = {
	{ "html", ".html", FMT_HTML }, { "html", ".htm", FMT_HTML },
	{ "xlsx", ".xlsx", FMT_XLSX }, { "csv", ".csv", FMT_CSV },
	{ "json", ".json", FMT_JSON },
};
#define NFORMATS (sizeof formats / sizeof formats[0])

/* The programmes' reviews (seeds, "IV. Tiến độ"): held in Q3 2026 and Q3
 * 2028, each looking back at the programme from its start, so each is the
 * term counted up to the end of the school year before it. */
static const struct {
	const char *name;
	const char *period;
	const char *as_of;
} presets[] = {
	{ "midterm", "2023-2028", "2026-08-31" },
	{ "final", "2023-2028", "2028-08-31" },
};
#define NPRESETS (sizeof presets / sizeof presets[0])

/* ==== Help ============================================================ */

void
report_help(FILE *f)
{
	fprintf(f, "%s cdsync report (--period %s | --preset midterm|final)\n"
		   "         [--org %s] [--as-of %s] [--rollup] "
		   "[--format html|xlsx|csv|json] [--out %s]\n\n",
		_("Usage:"), _("PERIOD"), _("CODE"), _("DATE"), _("FILE"));
	help_para(f, _("Makes the report people read of this union (or "
		       "--org CODE) and of the unions under it: every KPI "
		       "with its value, its target and whether it is met, for "
		       "the union and for each union directly under it, with "
		       "charts; the care money per member and the activities "
		       "by kind; the schools that have not reported, and "
		       "since when; and the trend over the school years of "
		       "the 2023-2028 term up to the period's."));
	fputc('\n', f);
	help_para(f, _("A school has reported when this computer took in, "
		       "and merged, a bundle of the school's node (sent by "
		       "the school or forwarded by a hub below) on a day from "
		       "the first day of the period on; one that came after "
		       "the as-of day counts too, as its records count in the "
		       "figures. The others are listed with the day this "
		       "computer took in their last bundle, or 'never': a "
		       "school that is enrolled but whose bundles never came "
		       "is listed too. This node's own union has always "
		       "reported."));
	fputc('\n', f);
	help_para(f, _("The programmes hold their mid-term review (sơ kết) "
		       "in Q3 2026 and their final review (tổng kết) in Q3 "
		       "2028. A review looks back at what was done since the "
		       "programme started, not at that quarter alone: "
		       "--preset midterm is the term 2023-2028 counted up to "
		       "31/08/2026 (the school years 2023-2024 to 2025-2026, "
		       "the last one closing just before the review), "
		       "--preset final the whole term, up to 31/08/2028. "
		       "--as-of moves the day (that of the review meeting, "
		       "say)."));
	fprintf(f, "\n%s\n", _("Formats:"));
	help_opt(f, "html", _("one page that needs no other file, with "
			      "charts and tables; reads on a phone and "
			      "prints"));
	help_opt(f, "xlsx", _("an Excel workbook: a sheet for each group "
			      "of KPIs, for money and kinds, for the schools "
			      "that have not reported and for the trend; "
			      "numbers are numbers (needs --out)"));
	help_opt(f, "csv", _("one row per union and figure (RFC 4180: "
			     "commas, CRLF, '.' before decimals), UTF-8 "
			     "with a BOM: Excel on a Vietnamese Windows reads "
			     "a CSV file without a BOM in the ANSI code page "
			     "and breaks every Vietnamese letter; for Excel "
			     "the xlsx format is better still"));
	help_opt(f, "json", _("the same data for other programs (keys in "
			      "English, numbers as numbers)"));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--period PERIOD"),
		 _("a school year (2025-2026), a year (2025), a quarter "
		   "(2025-Q3) or the term (2023-2028)"));
	help_opt(f, "--preset midterm|final",
		 _("the mid-term or the final review of the programmes (see "
		   "above), instead of --period"));
	help_opt(f, _("--org CODE"),
		 _("another union known to this computer (a hub: a union "
		   "under it)"));
	help_opt(f, _("--as-of DATE"),
		 _("count only what was recorded up to this day (default: "
		   "the end of the period), under the tree of unions as it "
		   "was on this day (default: as it is today; see 'cdsync "
		   "org')"));
	help_opt(f, "--rollup",
		 _("read the figures the last rollup counted ('cdsync "
		   "rollup'): at once at a national hub; whole periods of "
		   "the term 2023-2028, no --as-of"));
	help_opt(f, _("--format FORMAT"),
		 _("html, xlsx, csv or json (default: from the extension of "
		   "--out)"));
	help_opt(f, _("--out FILE"),
		 _("write the report to FILE, whole or not at all (default: "
		   "the screen)"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n", _("Examples:"));
	fputs("  cdsync report --period 2025-2026 --out bao-cao.html\n"
	      "  cdsync report --org HG-VX --period 2026-Q1 --format csv\n"
	      "  cdsync report --preset midterm --out so-ket.xlsx\n", f);
}

/* ==== Writing ========================================================= */

/* Renders x in format fmt to f. */
static int
render(const struct rep *x, enum fmt fmt, FILE *f)
{
	switch (fmt) {
	case FMT_HTML:
		return report_html(x, f);
	case FMT_CSV:
		return report_csv(x, f);
	case FMT_JSON:
		return report_json(x, f);
	default:
		errno = EINVAL;
		return -1;
	}
}

/* The folder of path into dir[n] ("." when it has none). */
static int
folder(const char *path, char *dir, size_t n)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (slash == NULL) {
		snprintf(dir, n, ".");
		return 0;
	}
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len + 1 > n)
		return -1;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return 0;
}

/* Flushes the file descriptor fd to disk (fsync) and closes it. */
static int
sync_close(int fd)
{
	int rc = fsync(fd);
	int e = errno;

	if (close(fd) != 0 && rc == 0)
		return -1;
	errno = e;
	return rc;
}

/*
 * Writes the report to path, as Redis writes its dump: a temporary file
 * in the same folder (so the rename stays on one file system), written,
 * flushed and fsynced, renamed over path, then the folder fsynced so the
 * new name is on disk too.  On any failure the temporary file is removed
 * and path is as it was.  Returns an exit code, the message printed.
 */
static int
write_atomic(const struct rep *x, enum fmt fmt, const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32], err[512] = "";
	const char *base = strrchr(path, '/');
	const char *op = "open";
	FILE *f = NULL;
	mode_t mask;
	int fd = -1, e;

	base = base ? base + 1 : path;
	if (*base == '\0' || folder(path, dir, sizeof dir) != 0 ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, base) >=
		    sizeof tmp) {
		msg_err(_("cannot write %s: %s"), path,
			strerror(ENAMETOOLONG));
		return EXIT_FAIL;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		msg_err(_("cannot write %s: %s"), path, strerror(errno));
		return EXIT_FAIL;
	}
	/* mkstemp makes it 0600; a report is a file like any other */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		op = "chmod";
		goto fail;
	}
	if (fmt == FMT_XLSX) {
		close(fd);
		fd = -1;
		op = "xlsx";
		if (report_xlsx(x, tmp, err, sizeof err) != 0)
			goto fail;
		op = "open";
		if ((fd = open(tmp, O_RDONLY)) < 0)
			goto fail;
	} else {
		op = "write";
		if ((f = fdopen(fd, "w")) == NULL)
			goto fail;
		fd = -1;
		if (render(x, fmt, f) != 0 || fflush(f) != 0 || ferror(f))
			goto fail;
		op = "fsync";
		if (fsync(fileno(f)) != 0)
			goto fail;
		e = fclose(f);
		f = NULL;
		if (e != 0)
			goto fail;
	}
	if (fd >= 0) {
		op = "fsync";
		e = sync_close(fd);
		fd = -1;
		if (e != 0)
			goto fail;
	}
	op = "rename";
	if (rename(tmp, path) != 0)
		goto fail;
	/* the new name: a failure here leaves a whole file in place */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		if (fsync(fd) != 0 && errno != EINVAL)
			msg_err(_("cannot write %s: %s"), dir,
				strerror(errno));
		close(fd);
	}
	return EXIT_OK;
fail:
	e = errno;
	if (f != NULL)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	if (err[0] != '\0')
		msg_err(_("cannot write %s: %s"), path, err);
	else
		msg_err(_("cannot write %s (%s): %s"), path, op, strerror(e));
	return EXIT_FAIL;
}

/* ==== JSON ============================================================ */

/* The KPIs, the care money and the kinds of k, as keys of an object. */
static void
json_figures(struct json *j, const cdsync_kpis *k)
{
	const char *const *kinds = rep_kinds();
	const cdsync_kpi *p;
	size_t i;

	json_key(j, "kpis");
	json_arr(j);
	for (i = 0; i < cdsync_kpi_count(k); i++) {
		p = cdsync_kpi_at(k, i);
		json_obj(j);
		json_key(j, "id");
		json_str(j, p->id);
		json_key(j, "group");
		json_str(j, rep_group_name(rep_group_of(p->id)));
		json_key(j, "label");
		json_str(j, p->label);
		json_key(j, "share");
		json_bool(j, p->is_share);
		json_key(j, "value");
		json_num(j, p->value, p->is_share ? 1 : 0);
		json_key(j, "target");
		json_num(j, p->target, 0);
		json_key(j, "met");
		json_bool(j, p->met);
		json_key(j, "applies");
		json_bool(j, p->applies);
		json_key(j, "num");
		json_int(j, p->num);
		json_key(j, "den");
		json_int(j, p->den);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "care_per_member");
	json_int(j, cdsync_kpi_care_per_member(k));
	json_key(j, "activities_by_kind");
	json_obj(j);
	for (i = 0; kinds && kinds[i]; i++) {
		json_key(j, kinds[i]);
		json_int(j, cdsync_kpi_kind_count(k, kinds[i]));
	}
	json_obj_end(j);
}

static void
json_unit(struct json *j, const cdsync_report_unit *u)
{
	json_obj(j);
	json_key(j, "code");
	json_str(j, u->code);
	json_key(j, "name");
	json_str(j, u->name);
	json_key(j, "level");
	json_str(j, u->level);
	json_figures(j, u->kpis);
	json_obj_end(j);
}

int
report_json(const struct rep *x, FILE *f)
{
	const cdsync_report *r = x->r;
	const cdsync_report_unit *o = cdsync_report_org(r);
	const cdsync_report_missing *m;
	const cdsync_report_year *y;
	struct json j;
	size_t i;

	json_init(&j, f);
	json_obj(&j);
	json_key(&j, "period");
	json_str(&j, cdsync_report_period(r));
	json_key(&j, "preset");
	json_str(&j, x->preset);
	json_key(&j, "from");
	json_str(&j, cdsync_kpi_from(o->kpis));
	json_key(&j, "to");
	json_str(&j, cdsync_kpi_to(o->kpis));
	json_key(&j, "as_of");
	json_str(&j, cdsync_report_as_of(r));
	json_key(&j, "org");
	json_unit(&j, o);
	json_key(&j, "children");
	json_arr(&j);
	for (i = 0; i < cdsync_report_child_count(r); i++)
		json_unit(&j, cdsync_report_child_at(r, i));
	json_arr_end(&j);
	json_key(&j, "unions");
	json_int(&j, (int64_t)cdsync_report_union_count(r));
	json_key(&j, "not_reported");
	json_arr(&j);
	for (i = 0; i < cdsync_report_missing_count(r); i++) {
		m = cdsync_report_missing_at(r, i);
		json_obj(&j);
		json_key(&j, "code");
		json_str(&j, m->code);
		json_key(&j, "name");
		json_str(&j, m->name);
		json_key(&j, "under");
		json_str(&j, m->under);
		json_key(&j, "last_day");
		json_str(&j, m->last_day);
		json_key(&j, "held");
		json_int(&j, m->held);
		json_key(&j, "known");
		json_bool(&j, m->known);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "trend");
	json_arr(&j);
	for (i = 0; i < cdsync_report_year_count(r); i++) {
		y = cdsync_report_year_at(r, i);
		json_obj(&j);
		json_key(&j, "year");
		json_str(&j, y->year);
		json_key(&j, "from");
		json_str(&j, cdsync_kpi_from(y->kpis));
		json_key(&j, "to");
		json_str(&j, cdsync_kpi_to(y->kpis));
		json_figures(&j, y->kpis);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_done(&j);
	return ferror(f) ? -1 : 0;
}

/* ==== The command ===================================================== */

int
cmd_report(int argc, char **argv)
{
	const char *verb = "report";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_report *r = NULL;
	struct rep x;
	const char *period, *asof, *preset, *fname, *out;
	char from[11], to[11], iso[11], today[11];
	enum fmt fmt = FMT_NONE;
	size_t i, len;
	int ex, rc;

	if (optset_add(&os, "period", TAG_PERIOD, OPT_VALUE) != 0 ||
	    optset_add(&os, "preset", TAG_PRESET, OPT_VALUE) != 0 ||
	    optset_add(&os, "as-of", TAG_AS_OF, OPT_VALUE) != 0 ||
	    optset_add(&os, "org", TAG_ORG, OPT_VALUE) != 0 ||
	    optset_add(&os, "format", TAG_FORMAT, OPT_VALUE) != 0 ||
	    optset_add(&os, "out", TAG_OUT, OPT_VALUE) != 0 ||
	    optset_add(&os, "rollup", TAG_ROLLUP, OPT_FLAG) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		report_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 0, 0, "")) != EXIT_OK)
		goto out;
	period = args_get(&a, TAG_PERIOD);
	asof = args_get(&a, TAG_AS_OF);
	preset = args_get(&a, TAG_PRESET);
	out = args_get(&a, TAG_OUT);
	if (preset != NULL) {
		for (i = 0; i < NPRESETS; i++)
			if (strcmp(preset, presets[i].name) == 0)
				break;
		if (i == NPRESETS) {
			ex = usage_err(verb, _("unknown preset '%s': use "
					       "midterm or final"), preset);
			goto out;
		}
		if (period != NULL) {
			ex = usage_err(verb, "%s",
				       _("give --period or --preset, not "
					 "both"));
			goto out;
		}
		preset = presets[i].name;
		period = presets[i].period;
		if (asof == NULL)
			asof = presets[i].as_of;
	}
	if (period == NULL) {
		ex = usage_err(verb, "%s",
			       _("--period is required, e.g. --period "
				 "2025-2026 (or --preset midterm)"));
		goto out;
	}
	if ((ex = rec_period(verb, period, from, to)) != EXIT_OK)
		goto out;
	if (asof != NULL) {
		if ((ex = rec_check_date("--as-of", asof, iso)) != EXIT_OK)
			goto out;
		asof = iso;
	}
	if ((fname = args_get(&a, TAG_FORMAT)) != NULL) {
		for (i = 0; i < NFORMATS; i++)
			if (strcmp(fname, formats[i].name) == 0)
				fmt = formats[i].fmt;
		if (fmt == FMT_NONE) {
			ex = usage_err(verb, _("unknown format '%s': use "
					       "html, xlsx, csv or json"),
				       fname);
			goto out;
		}
	} else if (out != NULL) {
		len = strlen(out);
		for (i = 0; i < NFORMATS && fmt == FMT_NONE; i++)
			if (len > strlen(formats[i].ext) &&
			    strcasecmp(out + len - strlen(formats[i].ext),
				       formats[i].ext) == 0)
				fmt = formats[i].fmt;
	}
	if (fmt == FMT_NONE) {
		ex = usage_err(verb, "%s",
			       _("--format is required (html, xlsx, csv or "
				 "json) unless --out FILE ends in one of "
				 "them"));
		goto out;
	}
	if (out != NULL && *out == '\0') {
		ex = usage_err(verb, "%s", _("--out needs a file name"));
		goto out;
	}
	if (fmt == FMT_XLSX && out == NULL) {
		ex = usage_err(verb, "%s",
			       _("an xlsx workbook is not printed on the "
				 "screen: give --out FILE.xlsx"));
		goto out;
	}
	if (args_get(&a, TAG_ROLLUP) != NULL && asof != NULL) {
		ex = usage_err(verb, "%s",
			       _("--rollup reads whole periods: it takes no "
				 "--as-of, nor a preset that gives one"));
		goto out;
	}
	if ((ex = home_open(&db)) != EXIT_OK)
		goto out;
	if (args_get(&a, TAG_ROLLUP) != NULL)
		rc = cdsync_report_from_rollup(db, args_get(&a, TAG_ORG),
					       period, &r);
	else
		rc = cdsync_report_compute(db, args_get(&a, TAG_ORG), period,
					   asof, &r);
	if (rc != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	home_today(today);
	x.r = r;
	x.preset = preset;
	x.made = today;
	if (out != NULL) {
		ex = write_atomic(&x, fmt, out);
	} else if (render(&x, fmt, stdout) != 0 || fflush(stdout) != 0) {
		msg_err(_("cannot write the report: %s"), strerror(errno));
		ex = EXIT_FAIL;
	}
	if (ex == EXIT_OK && args_get(&a, TAG_ROLLUP) != NULL)
		rollup_said(db, stderr);	/* the report may be on stdout */
out:
	cdsync_report_free(r);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== Shared by the renderers ========================================= */

enum rep_group
rep_group_of(const char *id)
{
	if (strncmp(id, "P3.", 3) == 0)
		return REP_P3;
	if (strncmp(id, "P2.N.", 5) == 0)
		return REP_P2N;
	return REP_P2U;
}

const char *
rep_group_name(enum rep_group g)
{
	static const char *const names[REP_NGROUPS] = { "P3", "P2.U",
							"P2.N" };

	return names[g];
}

const char *
rep_group_title(enum rep_group g)
{
	switch (g) {
	case REP_P3:
		return _("Programme 3: union activity tied to the tasks of "
			 "each school");
	case REP_P2U:
		return _("Programme 2: care and protection, the unions' "
			 "targets");
	default:
		return _("Programme 2: care and protection, the national "
			 "union's targets");
	}
}

void
rep_value(const cdsync_kpi *k, char *buf, size_t n)
{
	char d[32];

	if (k->is_share) {
		out_decimal(k->value, d, sizeof d);
		snprintf(buf, n, "%s%%", d);
	} else {
		snprintf(buf, n, "%.0f", k->value);
	}
}

void
rep_target(const cdsync_kpi *k, char *buf, size_t n)
{
	if (k->is_share && k->target >= 100.0)
		snprintf(buf, n, "%.0f%%", k->target);
	else
		snprintf(buf, n, "≥ %.0f%s", k->target,
			 k->is_share ? "%" : "");
}

const char *
rep_status(const cdsync_kpi *k)
{
	if (!k->applies)
		return _("not for this level");
	return k->met ? _("met") : _("not met");
}

const char *const *
rep_kinds(void)
{
	cdsync_field_info fi;
	size_t i;

	for (i = 1; cdsync_kind_field_info(CDSYNC_KIND_ACTIVITY, i, &fi) ==
		    CDSYNC_OK;
	     i++)
		if (strcmp(fi.name, "kind") == 0)
			return fi.choices;
	return NULL;
}

void
rep_title(const struct rep *x, char *buf, size_t n)
{
	const cdsync_report_unit *o = cdsync_report_org(x->r);

	if (x->preset != NULL && strcmp(x->preset, "midterm") == 0)
		snprintf(buf, n, _("Mid-term review of the programmes: %s "
				   "(%s)"), o->name, o->code);
	else if (x->preset != NULL && strcmp(x->preset, "final") == 0)
		snprintf(buf, n, _("Final review of the programmes: %s (%s)"),
			 o->name, o->code);
	else
		snprintf(buf, n, _("Report on the programmes: %s (%s)"),
			 o->name, o->code);
}

void
rep_window(const struct rep *x, char *buf, size_t n)
{
	const cdsync_report_unit *o = cdsync_report_org(x->r);
	char from[11], to[11], day[11];
	size_t len;

	out_date(cdsync_kpi_from(o->kpis), from);
	out_date(cdsync_kpi_to(o->kpis), to);
	snprintf(buf, n, _("Period %s: %s – %s"), cdsync_report_period(x->r),
		 from, to);
	if (cdsync_report_as_of(x->r) != NULL) {
		len = strlen(buf);
		out_date(cdsync_report_as_of(x->r), day);
		snprintf(buf + len, n - len, _("; counted up to %s"), day);
	}
}

const char *
rep_preset_text(const char *preset)
{
	if (preset == NULL)
		return NULL;
	if (strcmp(preset, "midterm") == 0)
		return _("The mid-term review (sơ kết) of the programmes, "
			 "held in Q3 2026: the term 2023-2028 counted up to "
			 "31/08/2026, the school years 2023-2024 to "
			 "2025-2026.");
	return _("The final review (tổng kết) of the programmes, held in Q3 "
		 "2028: the whole term 2023-2028, up to 31/08/2028.");
}
