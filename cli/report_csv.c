/* report_csv.c -- a report as CSV, for spreadsheets and other programs.
 *
 * Contract: RFC 4180 -- fields separated by commas, records ended by
 * CRLF, a field holding a comma, a double quote, CR or LF quoted with
 * double quotes (a quote doubled) -- in UTF-8 preceded by a byte order
 * mark: Excel on a Vietnamese Windows reads a CSV file without one in the
 * ANSI code page (Windows-1258) and breaks every Vietnamese letter.
 * Numbers are machine-readable ('.' before decimals, no grouping).
 *
 * One header record, then one record per (unit, figure):
 *   section,period,from,to,code,name,level,kpi,label,value,target,met,
 *   applies,num,den
 * first (section "units") the unit of the report, then each unit
 * directly under it, each with its 14 KPIs (value: a percent with one
 * decimal, or a count; met and applies 1 or 0), then `care_per_member`
 * (VND) and `activities.KIND` for every activity kind (value only); then
 * (section "trend") the report's unit for each school year, period being
 * the school year.  The list of unions that have not reported is in the
 * other formats (its fields are not figures).
 */
#include <string.h>

#include "lang.h"
#include "out.h"
#include "report.h"

/* One field, quoted when RFC 4180 asks. */
static void
field(FILE *f, const char *s, int last)
{
	const char *p;

	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
	} else {
		fputc('"', f);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	fputs(last ? "\r\n" : ",", f);
}

/* The first seven fields: section, period, window, unit. */
static void
lead(FILE *f, const char *section, const char *period, const cdsync_kpis *k,
     const cdsync_report_unit *u)
{
	field(f, section, 0);
	field(f, period, 0);
	field(f, cdsync_kpi_from(k), 0);
	field(f, cdsync_kpi_to(k), 0);
	field(f, u->code, 0);
	field(f, u->name, 0);
	field(f, u->level, 0);
}

/* Every record of one unit's figures k. */
static void
records(FILE *f, const char *section, const char *period,
	const cdsync_report_unit *u, const cdsync_kpis *k)
{
	const char *const *kinds = rep_kinds();
	const cdsync_kpi *p;
	char v[64], t[32], nb[32], db[32], kind[64];
	size_t i;

	for (i = 0; i < cdsync_kpi_count(k); i++) {
		p = cdsync_kpi_at(k, i);
		snprintf(v, sizeof v, p->is_share ? "%.1f" : "%.0f", p->value);
		snprintf(t, sizeof t, "%.0f", p->target);
		snprintf(nb, sizeof nb, "%lld", (long long)p->num);
		snprintf(db, sizeof db, "%lld", (long long)p->den);
		lead(f, section, period, k, u);
		field(f, p->id, 0);
		field(f, p->label, 0);
		field(f, v, 0);
		field(f, t, 0);
		field(f, p->met ? "1" : "0", 0);
		field(f, p->applies ? "1" : "0", 0);
		field(f, nb, 0);
		field(f, db, 1);
	}
	snprintf(v, sizeof v, "%lld",
		 (long long)cdsync_kpi_care_per_member(k));
	lead(f, section, period, k, u);
	field(f, "care_per_member", 0);
	field(f, _("Care money per member (VND)"), 0);
	field(f, v, 0);
	fputs(",,,,\r\n", f);
	for (i = 0; kinds && kinds[i]; i++) {
		snprintf(kind, sizeof kind, "activities.%s", kinds[i]);
		snprintf(v, sizeof v, "%lld",
			 (long long)cdsync_kpi_kind_count(k, kinds[i]));
		lead(f, section, period, k, u);
		field(f, kind, 0);
		field(f, cdsync_choice_label(kinds[i]), 0);
		field(f, v, 0);
		fputs(",,,,\r\n", f);
	}
}

int
report_csv(const struct rep *x, FILE *f)
{
	const cdsync_report *r = x->r;
	const cdsync_report_unit *o = cdsync_report_org(r), *c;
	const cdsync_report_year *y;
	size_t i;

	fputs("\xef\xbb\xbf", f);	/* BOM: see the top of the file */
	fputs("section,period,from,to,code,name,level,kpi,label,value,target,"
	      "met,applies,num,den\r\n", f);
	records(f, "units", cdsync_report_period(r), o, o->kpis);
	for (i = 0; i < cdsync_report_child_count(r); i++) {
		c = cdsync_report_child_at(r, i);
		records(f, "units", cdsync_report_period(r), c, c->kpis);
	}
	for (i = 0; i < cdsync_report_year_count(r); i++) {
		y = cdsync_report_year_at(r, i);
		records(f, "trend", y->year, o, y->kpis);
	}
	return ferror(f) ? -1 : 0;
}
