/* report_xlsx.c -- a report as an Excel workbook (libxlsxwriter).
 *
 * Contract: sheets, in order: P3, P2.U, P2.N (one per group of KPIs: a
 * row per unit and KPI, the report's unit first, then each unit directly
 * under it), "Money and kinds" (a row per unit: care money per member,
 * members, activities of each kind), "Not reported" (a row per union that
 * has not reported), "Trend" (a row per figure, a column per school
 * year); the last three names are translated.  Each sheet has a title
 * row, a row saying the period and window, then its header row; the rows
 * above the data and the code and name columns are frozen, the header
 * has an autofilter, every column has a width, and the header rows repeat
 * on printed pages.
 *
 * Cells hold numbers, never numbers as text: shares as fractions with a
 * percent format (81.6% is 0.816 shown "0.0%"), counts as whole numbers,
 * money as VND with the format #,##0 "đ" (Excel shows the grouping of
 * its own language: 1.234.567 đ on a Vietnamese Windows), days as dates
 * shown dd/mm/yyyy.  libxlsxwriter writes the file only at
 * workbook_close; its first error is kept and reported.
 */
#include <stdio.h>
#include <string.h>

#include <xlsxwriter.h>

#include "lang.h"
#include "out.h"
#include "report.h"

#define HEADROWS 3		/* title, window, header */

struct book {
	lxw_workbook *wb;
	lxw_error rc;			/* the first error */
	lxw_format *title, *head, *bold, *pct, *cnt, *money, *date, *ok,
		*bad, *na, *wrap;
};

static void
keep(struct book *b, lxw_error rc)
{
	if (b->rc == LXW_NO_ERROR)
		b->rc = rc;
}

static void
str(struct book *b, lxw_worksheet *ws, int row, int col, const char *s,
    lxw_format *fmt)
{
	if (s != NULL && *s != '\0')
		keep(b, worksheet_write_string(ws, (lxw_row_t)row,
					       (lxw_col_t)col, s, fmt));
}

static void
num(struct book *b, lxw_worksheet *ws, int row, int col, double v,
    lxw_format *fmt)
{
	keep(b, worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v,
				       fmt));
}

/* A KPI's value or target as a cell: a fraction for a share. */
static void
kpinum(struct book *b, lxw_worksheet *ws, int row, int col,
       const cdsync_kpi *k, double v)
{
	if (k->is_share)
		num(b, ws, row, col, v / 100.0, b->pct);
	else
		num(b, ws, row, col, v, b->cnt);
}

/* A sheet named `name` (else `fallback`: a translation may not be a valid
 * sheet name), with its title and window rows, its header and widths. */
static lxw_worksheet *
sheet(struct book *b, const struct rep *x, const char *name,
      const char *fallback, const char *title, const char *const *head,
      const double *width, int ncols)
{
	lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);
	char line[1024], win[512];
	const cdsync_report_unit *o = cdsync_report_org(x->r);
	int i;

	if (ws == NULL)
		ws = workbook_add_worksheet(b->wb, fallback);
	if (ws == NULL) {
		keep(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
		return NULL;
	}
	str(b, ws, 0, 0, title, b->title);
	rep_window(x, win, sizeof win);
	snprintf(line, sizeof line, "%s (%s). %s", o->name, o->code, win);
	str(b, ws, 1, 0, line, NULL);
	for (i = 0; i < ncols; i++) {
		str(b, ws, 2, i, head[i], b->head);
		keep(b, worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i,
					     width[i], NULL));
	}
	keep(b, worksheet_set_row(ws, 2, 30, NULL));
	worksheet_freeze_panes(ws, HEADROWS, 2);
	keep(b, worksheet_repeat_rows(ws, 0, HEADROWS - 1));
	worksheet_set_landscape(ws);
	worksheet_fit_to_pages(ws, 1, 0);
	return ws;
}

/* ==== The groups of KPIs ============================================== */

/* The rows of unit u in the sheet of group g, from row; the next row. */
static int
group_rows(struct book *b, lxw_worksheet *ws, int row,
	   const cdsync_report_unit *u, enum rep_group g, int first)
{
	const cdsync_kpi *k;
	size_t i;

	for (i = 0; i < cdsync_kpi_count(u->kpis); i++) {
		k = cdsync_kpi_at(u->kpis, i);
		if (rep_group_of(k->id) != g)
			continue;
		str(b, ws, row, 0, u->code, first ? b->bold : NULL);
		str(b, ws, row, 1, u->name, first ? b->bold : NULL);
		str(b, ws, row, 2, cdsync_choice_label(u->level), NULL);
		str(b, ws, row, 3, k->id, NULL);
		str(b, ws, row, 4, k->label, b->wrap);
		kpinum(b, ws, row, 5, k, k->value);
		kpinum(b, ws, row, 6, k, k->target);
		str(b, ws, row, 7, rep_status(k),
		    !k->applies ? b->na : k->met ? b->ok : b->bad);
		num(b, ws, row, 8, (double)k->num, b->cnt);
		if (k->is_share)
			num(b, ws, row, 9, (double)k->den, b->cnt);
		row++;
	}
	return row;
}

static void
group_sheet(struct book *b, const struct rep *x, enum rep_group g)
{
	static const double width[] = { 16, 36, 20, 17, 46, 10, 10, 18, 10,
					10 };
	const char *head[10];
	lxw_worksheet *ws;
	char title[512];
	size_t i;
	int row = HEADROWS;

	head[0] = _("Code");
	head[1] = _("Union");
	head[2] = _("Level");
	head[3] = _("KPI");
	head[4] = _("What is measured");
	head[5] = _("Value");
	head[6] = _("Target");
	head[7] = _("Status");
	head[8] = _("Counted");
	head[9] = _("Out of");
	snprintf(title, sizeof title, "%s — %s", rep_group_name(g),
		 rep_group_title(g));
	ws = sheet(b, x, rep_group_name(g), rep_group_name(g), title, head,
		   width, 10);
	if (ws == NULL)
		return;
	row = group_rows(b, ws, row, cdsync_report_org(x->r), g, 1);
	for (i = 0; i < cdsync_report_child_count(x->r); i++)
		row = group_rows(b, ws, row, cdsync_report_child_at(x->r, i),
				 g, 0);
	if (row > HEADROWS)
		keep(b, worksheet_autofilter(ws, HEADROWS - 1, 0,
					     (lxw_row_t)(row - 1), 9));
}

/* ==== Money and kinds ================================================= */

/* The members counted by P2.U.coverage (its denominator). */
static int64_t
members(const cdsync_kpis *k)
{
	size_t i;

	for (i = 0; i < cdsync_kpi_count(k); i++)
		if (strcmp(cdsync_kpi_at(k, i)->id, "P2.U.coverage") == 0)
			return cdsync_kpi_at(k, i)->den;
	return 0;
}

static void
money_row(struct book *b, lxw_worksheet *ws, int row,
	  const cdsync_report_unit *u, int first)
{
	const char *const *kinds = rep_kinds();
	size_t i;

	str(b, ws, row, 0, u->code, first ? b->bold : NULL);
	str(b, ws, row, 1, u->name, first ? b->bold : NULL);
	str(b, ws, row, 2, cdsync_choice_label(u->level), NULL);
	num(b, ws, row, 3, (double)cdsync_kpi_care_per_member(u->kpis),
	    b->money);
	num(b, ws, row, 4, (double)members(u->kpis), b->cnt);
	for (i = 0; kinds && kinds[i]; i++)
		num(b, ws, row, 5 + (int)i,
		    (double)cdsync_kpi_kind_count(u->kpis, kinds[i]), b->cnt);
}

static void
money_sheet(struct book *b, const struct rep *x)
{
	const char *const *kinds = rep_kinds();
	const char *head[5 + 16];
	double width[5 + 16] = { 16, 36, 20, 18, 12 };
	lxw_worksheet *ws;
	size_t i, n = 5, c;

	head[0] = _("Code");
	head[1] = _("Union");
	head[2] = _("Level");
	head[3] = _("Care money per member");
	head[4] = _("Members");
	for (i = 0; kinds && kinds[i] && n < 5 + 16; i++, n++) {
		head[n] = cdsync_choice_label(kinds[i]);
		width[n] = 14;
	}
	ws = sheet(b, x, _("Money and kinds"), "Money", _("Care money per "
		   "member and activities by kind"), head, width, (int)n);
	if (ws == NULL)
		return;
	money_row(b, ws, HEADROWS, cdsync_report_org(x->r), 1);
	c = cdsync_report_child_count(x->r);
	for (i = 0; i < c; i++)
		money_row(b, ws, HEADROWS + 1 + (int)i,
			  cdsync_report_child_at(x->r, i), 0);
	keep(b, worksheet_autofilter(ws, HEADROWS - 1, 0,
				     (lxw_row_t)(HEADROWS + c),
				     (lxw_col_t)(n - 1)));
}

/* ==== Not reported ==================================================== */

static void
missing_sheet(struct book *b, const struct rep *x)
{
	static const double width[] = { 20, 40, 16, 20, 12, 16 };
	const cdsync_report_missing *m;
	const char *head[6];
	lxw_datetime dt;
	lxw_worksheet *ws;
	size_t i, n = cdsync_report_missing_count(x->r);
	int row;

	head[0] = _("Code");
	head[1] = _("Union");
	head[2] = _("Under");
	head[3] = _("Last bundle taken in");
	head[4] = _("Held bundles");
	head[5] = _("In this store");
	ws = sheet(b, x, _("Not reported"), "Missing",
		   _("Schools that have not reported"), head, width, 6);
	if (ws == NULL)
		return;
	for (i = 0; i < n; i++) {
		m = cdsync_report_missing_at(x->r, i);
		row = HEADROWS + (int)i;
		str(b, ws, row, 0, m->code, NULL);
		str(b, ws, row, 1, m->name, NULL);
		str(b, ws, row, 2, m->under, NULL);
		if (m->last_day != NULL &&
		    sscanf(m->last_day, "%4d-%2d-%2d", &dt.year, &dt.month,
			   &dt.day) == 3) {
			dt.hour = dt.min = 0;
			dt.sec = 0;
			keep(b, worksheet_write_datetime(ws, (lxw_row_t)row, 3,
							 &dt, b->date));
		} else {
			str(b, ws, row, 3, _("never"), NULL);
		}
		num(b, ws, row, 4, (double)m->held, b->cnt);
		str(b, ws, row, 5, m->known ? _("yes") : _("enrolled only"),
		    NULL);
	}
	if (n > 0)
		keep(b, worksheet_autofilter(ws, HEADROWS - 1, 0,
					     (lxw_row_t)(HEADROWS + n - 1),
					     5));
}

/* ==== Trend =========================================================== */

static void
trend_sheet(struct book *b, const struct rep *x)
{
	const char *const *kinds = rep_kinds();
	const cdsync_report_unit *o = cdsync_report_org(x->r);
	size_t ny = cdsync_report_year_count(x->r), i, j;
	const char *head[3 + 80];
	double width[3 + 80] = { 17, 46, 10 };
	const cdsync_report_year *y;
	const cdsync_kpi *k;
	lxw_worksheet *ws;
	int row, col;

	if (ny > 80)
		ny = 80;
	head[0] = _("KPI");
	head[1] = _("What is measured");
	head[2] = _("Target");
	for (j = 0; j < ny; j++) {
		head[3 + j] = cdsync_report_year_at(x->r, j)->year;
		width[3 + j] = 12;
	}
	ws = sheet(b, x, _("Trend"), "Trend",
		   _("The trend over the school years"), head, width,
		   (int)(3 + ny));
	if (ws == NULL)
		return;
	row = HEADROWS;
	for (i = 0; i < cdsync_kpi_count(o->kpis); i++, row++) {
		k = cdsync_kpi_at(o->kpis, i);
		str(b, ws, row, 0, k->id, NULL);
		str(b, ws, row, 1, k->label, b->wrap);
		kpinum(b, ws, row, 2, k, k->target);
		for (j = 0; j < ny; j++) {
			y = cdsync_report_year_at(x->r, j);
			if (i < cdsync_kpi_count(y->kpis))
				kpinum(b, ws, row, 3 + (int)j,
				       cdsync_kpi_at(y->kpis, i),
				       cdsync_kpi_at(y->kpis, i)->value);
		}
	}
	str(b, ws, row, 0, "care_per_member", NULL);
	str(b, ws, row, 1, _("Care money per member"), NULL);
	for (j = 0; j < ny; j++)
		num(b, ws, row, 3 + (int)j,
		    (double)cdsync_kpi_care_per_member(
			    cdsync_report_year_at(x->r, j)->kpis),
		    b->money);
	row++;
	for (i = 0; kinds && kinds[i]; i++, row++) {
		str(b, ws, row, 0, kinds[i], NULL);
		str(b, ws, row, 1, cdsync_choice_label(kinds[i]), NULL);
		for (j = 0, col = 3; j < ny; j++, col++)
			num(b, ws, row, col,
			    (double)cdsync_kpi_kind_count(
				    cdsync_report_year_at(x->r, j)->kpis,
				    kinds[i]),
			    b->cnt);
	}
}

/* ==== The workbook ==================================================== */

static lxw_format *
format(struct book *b)
{
	lxw_format *f = workbook_add_format(b->wb);

	if (f == NULL)
		keep(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
	return f;
}

int
report_xlsx(const struct rep *x, const char *path, char *err, size_t n)
{
	lxw_doc_properties props;
	struct book b;
	char title[512];
	enum rep_group g;
	lxw_error rc;

	memset(&b, 0, sizeof b);
	if ((b.wb = workbook_new(path)) == NULL) {
		snprintf(err, n, "%s", _("cannot start the workbook"));
		return -1;
	}
	b.title = format(&b);
	b.head = format(&b);
	b.bold = format(&b);
	b.pct = format(&b);
	b.cnt = format(&b);
	b.money = format(&b);
	b.date = format(&b);
	b.ok = format(&b);
	b.bad = format(&b);
	b.na = format(&b);
	b.wrap = format(&b);
	if (b.rc == LXW_NO_ERROR) {
		format_set_bold(b.title);
		format_set_font_size(b.title, 14);
		format_set_bold(b.head);
		format_set_text_wrap(b.head);
		format_set_align(b.head, LXW_ALIGN_VERTICAL_TOP);
		format_set_bg_color(b.head, 0xDDEBF7);
		format_set_bottom(b.head, LXW_BORDER_THIN);
		format_set_bold(b.bold);
		format_set_num_format(b.pct, "0.0%");
		format_set_num_format(b.cnt, "0");
		format_set_num_format(b.money, "#,##0 \"đ\"");
		format_set_num_format(b.date, "dd/mm/yyyy");
		format_set_font_color(b.ok, 0x1A7F37);
		format_set_font_color(b.bad, 0xC62828);
		format_set_font_color(b.na, 0x6E7781);
		format_set_text_wrap(b.wrap);
		format_set_align(b.wrap, LXW_ALIGN_VERTICAL_TOP);
		for (g = REP_P3; g < REP_NGROUPS; g++)
			group_sheet(&b, x, g);
		money_sheet(&b, x);
		missing_sheet(&b, x);
		trend_sheet(&b, x);
		rep_title(x, title, sizeof title);
		memset(&props, 0, sizeof props);
		props.title = title;
		props.author = "cdsync";
		props.comments = (char *)rep_preset_text(x->preset);
		keep(&b, workbook_set_properties(b.wb, &props));
	}
	rc = workbook_close(b.wb);	/* writes the file; frees the book */
	if (b.rc == LXW_NO_ERROR)
		b.rc = rc;
	if (b.rc != LXW_NO_ERROR) {
		snprintf(err, n, "%s", lxw_strerror(b.rc));
		return -1;
	}
	return 0;
}
