/* report_html.c -- a report as one self-contained HTML page.
 *
 * Contract: one file that needs nothing else -- no external style sheet,
 * script, font or image: the style is inline and the charts are inline
 * SVG drawn here.  The page holds, in order: the title, period, window
 * and the day it was made; a summary (KPIs met, unions not reported, care
 * money per member, members); for each group of KPIs (P3, P2.U, P2.N)
 * one card per KPI with its value, target and status, a bar per unit
 * (the report's unit first, then each unit directly under it) against a
 * dashed target line, and its bars across the school years of the trend,
 * then the table of the group's figures by unit; the care money per
 * member and the activities by kind by unit; the schools that have not
 * reported and since when; the trend as a table; the definitions.
 *
 * Every piece of text from the store or a translation is escaped (& < >
 * " ' and control characters).  The layout is one column on a phone (the
 * charts scale with the width, wide tables scroll sideways) and prints
 * on A4 without cutting a card in two.  Dates dd/mm/yyyy, money
 * "1.234.567 đ", decimals with the language's mark.
 */
#include <stdint.h>
#include <string.h>

#include "lang.h"
#include "out.h"
#include "report.h"

#define LABELMAX 28		/* code points of a label in a chart */

/* ==== Text ============================================================ */

/* s with & < > " ' escaped; control characters other than TAB and LF as
 * spaces. */
static void
esc(FILE *f, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') ||
			    *p == 0x7f)
				fputc(' ', f);
			else
				fputc(*p, f);
		}
	}
}

/* The first max code points of s into buf[n], with "…" when cut. */
static void
shorten(const char *s, size_t max, char *buf, size_t n)
{
	size_t i = 0, cps = 0;

	if (s == NULL)
		s = "";
	while (s[i] != '\0' && cps < max) {
		i++;
		while ((s[i] & 0xc0) == 0x80)
			i++;
		cps++;
	}
	if (s[i] == '\0' || i + 4 > n) {
		snprintf(buf, n, "%.*s", (int)(i < n ? i : n - 1), s);
		return;
	}
	snprintf(buf, n, "%.*s…", (int)i, s);
}

/* Code points of s. */
static size_t
cps(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * The bytes of the words every unit under the report's one starts its
 * name with ("Công đoàn Giáo dục huyện "), when one of those names is
 * too long for a chart: its labels leave them out, so "Quản Bạ" and
 * "Yên Minh" stay apart instead of both becoming "Công đoàn Giáo dục
 * huyện…".  0 when there are fewer than two units or nothing to gain.
 */
static size_t
common_words(const cdsync_report *r)
{
	size_t n = cdsync_report_child_count(r), i, len = 0, k, longest = 0;
	const char *first, *s;

	if (n < 2)
		return 0;
	first = cdsync_report_child_at(r, 0)->name;
	for (i = 0; i < n; i++) {
		s = cdsync_report_child_at(r, i)->name;
		if (cps(s) > longest)
			longest = cps(s);
	}
	if (longest <= LABELMAX)
		return 0;
	/* the longest run of whole words ending in a space shared by all */
	for (k = 0; first[k] != '\0'; k++) {
		for (i = 1; i < n; i++)
			if (cdsync_report_child_at(r, i)->name[k] != first[k])
				break;
		if (i < n)
			break;
		if (first[k] == ' ')
			len = k + 1;
	}
	/* every name keeps a word after it */
	for (i = 0; i < n; i++)
		if (cdsync_report_child_at(r, i)->name[len] == '\0')
			return 0;
	return len;
}

/* The label in a chart of row j (0: the report's unit) into buf. */
static void
label(const cdsync_report *r, size_t j, size_t skip, char *buf, size_t n)
{
	const cdsync_report_unit *u;

	u = j == 0 ? cdsync_report_org(r) : cdsync_report_child_at(r, j - 1);

	shorten(u->name + (j == 0 ? 0 : skip), LABELMAX, buf, n);
}

/* The KPI `id` of k, or NULL. */
static const cdsync_kpi *
kpi_by_id(const cdsync_kpis *k, const char *id)
{
	size_t i;

	for (i = 0; i < cdsync_kpi_count(k); i++)
		if (strcmp(cdsync_kpi_at(k, i)->id, id) == 0)
			return cdsync_kpi_at(k, i);
	return NULL;
}

/* "ok", "bad" or "na": the class of a status. */
static const char *
cls(const cdsync_kpi *k)
{
	return !k->applies ? "na" : k->met ? "ok" : "bad";
}

static const char *
mark(const cdsync_kpi *k)
{
	return !k->applies ? "–" : k->met ? "✓" : "✗";
}

/* ==== The style ======================================================= */

static const char STYLE[] =
	":root{--ok:#1a7f37;--bad:#c62828;--na:#6e7781;--line:#d0d7de;"
	"--soft:#f6f8fa;--ink:#1f2328;--accent:#0b4f8a}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;color:var(--ink);background:#fff;font:15px/1.45 "
	"system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',Arial,"
	"sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:16px}\n"
	"header{border-bottom:3px solid var(--accent);padding-bottom:8px}\n"
	"h1{font-size:1.45rem;margin:.2em 0;color:var(--accent)}\n"
	"h2{font-size:1.2rem;margin:1.8em 0 .6em;padding-bottom:.2em;"
	"border-bottom:2px solid var(--line)}\n"
	"h3{font-size:1rem;margin:.2em 0 .4em}\n"
	".meta{color:var(--na);margin:.2em 0}\n"
	"nav{margin:12px 0;font-size:.92rem}\n"
	"nav a{display:inline-block;margin:2px 10px 2px 0;color:"
	"var(--accent)}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(150px,1fr));gap:10px;margin:12px 0}\n"
	".card{border:1px solid var(--line);border-radius:8px;padding:"
	"10px 12px;background:var(--soft)}\n"
	".card .big{font-size:1.5rem;font-weight:650}\n"
	".kpis{display:grid;grid-template-columns:1fr;gap:12px}\n"
	".kpi{border:1px solid var(--line);border-radius:8px;padding:12px;"
	"break-inside:avoid;page-break-inside:avoid}\n"
	".kid{font-family:ui-monospace,Menlo,Consolas,monospace;"
	"font-size:.85rem;color:var(--na)}\n"
	".badge{float:right;font-size:.85rem;font-weight:600;padding:1px 8px;"
	"border-radius:10px;background:var(--soft)}\n"
	".fig{margin:.2em 0 .5em}.fig b{font-size:1.25rem}\n"
	".charts{display:grid;grid-template-columns:3fr 2fr;gap:10px}\n"
	"figure{margin:0}figcaption{font-size:.8rem;color:var(--na)}\n"
	"figure.money{max-width:640px}\n"
	"svg{display:block;width:100%;height:auto}\n"
	"svg.narrow{display:none}\n"
	"svg text{font-family:inherit}\n"
	".ok{color:var(--ok)}.bad{color:var(--bad)}.na{color:var(--na)}\n"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;"
	"margin:8px 0}\n"
	"table{border-collapse:collapse;width:100%;font-size:.88rem}\n"
	"th,td{border-bottom:1px solid var(--line);padding:4px 6px;"
	"text-align:left;vertical-align:top}\n"
	"thead th{background:var(--soft);white-space:nowrap}\n"
	"table.kinds thead th{white-space:normal;min-width:5.5em}\n"
	"td.n,th.n{text-align:right;white-space:nowrap;"
	"font-variant-numeric:tabular-nums}\n"
	"td small{color:var(--na);display:block}\n"
	"td:first-child{min-width:11em}\n"
	"table.missing td{min-width:8em}\n"
	"tr.total td{font-weight:600;background:var(--soft)}\n"
	"footer{margin-top:2em;padding-top:8px;border-top:1px solid "
	"var(--line);color:var(--na);font-size:.85rem}\n"
	"@media (max-width:640px){main{padding:10px}.charts{"
	"grid-template-columns:1fr}h1{font-size:1.25rem}"
	"svg.wide{display:none}svg.narrow{display:block}}\n"
	"@media print{@page{size:A4;margin:12mm}body{font-size:10pt}"
	"svg.wide{display:block}svg.narrow{display:none}"
	"main{max-width:none;padding:0}nav{display:none}"
	".kpis{display:block}.kpi{margin:0 0 8px}"
	"h2{break-after:avoid;page-break-after:avoid}"
	"tr,figure{break-inside:avoid;page-break-inside:avoid}"
	".scroll{overflow:visible}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* ==== Charts ========================================================== */

/* Bar charts come in two shapes, one shown at a time by the style: wide
 * (labels at the left of the bars) for screens and paper, narrow (each
 * label above its bar, the value at its right) for phones, whose width
 * would shrink the wide one's text to nothing. */
struct geo {
	int w;			/* width of the view box */
	int x0;			/* where bars start */
	int bw;			/* their longest */
	int rh;			/* a row */
	int lx, ly;		/* a row's label: x, baseline below its top */
	const char *anchor;	/* of the label */
	int vx, vy;		/* a row's value */
	int by, bh;		/* a row's bar: top below its top, height */
};

static const struct geo wide = { 580, 246, 270, 22, 240, 15, "end", 522,
				 15, 4, 14 };
static const struct geo narrow = { 360, 0, 356, 34, 0, 13, "start", 360,
				   13, 18, 11 };

#define FSS "13"		/* font size of the bar charts */
#define CT 24			/* space above the rows (target label) */
#define CB 20			/* space below (axis) */

static const char *
fill(const cdsync_kpi *k, int first)
{
	if (!k->applies)
		return first ? "#57606a" : "#8c959f";
	if (k->met)
		return first ? "#116329" : "#2da44e";
	return first ? "#a40e26" : "#e5534b";
}

/* The top of a chart's scale: 100 for a share, else the largest of the
 * target and the values, with room. */
static double
scale_max(const cdsync_kpi *k, double vmax)
{
	double m;

	if (k->is_share)
		return 100.0;
	/* whole numbers on the four ticks */
	m = vmax > k->target ? vmax : k->target;
	m = (double)(int64_t)(m * 1.1 + 0.999);
	return 4.0 * (double)(int64_t)((m + 3.0) / 4.0 > 1.0 ? (m + 3.0) / 4.0
							  : 1.0);
}

/* A short axis number: "50%", "3". */
static void
tick(const cdsync_kpi *k, double v, char *buf, size_t n)
{
	if (k->is_share)
		snprintf(buf, n, "%.0f%%", v);
	else if (v == (double)(int64_t)v)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.1f", v);
}

/* The bars of KPI number i for the report's unit and each unit under
 * it, with the target line, in the shape g. */
static void
bars_svg(FILE *f, const cdsync_report *r, size_t i, const struct geo *g,
	 const char *cls_)
{
	const cdsync_report_unit *o = cdsync_report_org(r), *u;
	size_t nc = cdsync_report_child_count(r), n = nc + 1, j;
	const cdsync_kpi *k0 = cdsync_kpi_at(o->kpis, i), *k;
	double vmax = 0, max, x, w, tx;
	char lab[128], val[64], t[32];
	int h = CT + (int)n * g->rh + CB, y, q;
	size_t skip = common_words(r);

	for (j = 0; j < n; j++) {
		u = j == 0 ? o : cdsync_report_child_at(r, j - 1);
		k = cdsync_kpi_at(u->kpis, i);
		if (k != NULL && k->value > vmax)
			vmax = k->value;
	}
	max = scale_max(k0, vmax);
	fprintf(f, "<svg class=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"", cls_, g->w, h);
	esc(f, k0->id);
	fputs("\">\n", f);
	/* grid and axis */
	for (q = 0; q <= 4; q++) {
		x = g->x0 + g->bw * q / 4.0;
		tick(k0, max * q / 4.0, t, sizeof t);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#d8dee4\" stroke-width=\"1\"/>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
			"fill=\"#6e7781\" text-anchor=\"%s\">%s</text>\n",
			x, CT - 4, x, CT + (int)n * g->rh, x, h - 6,
			q == 0 && g->x0 == 0 ? "start"
			: q == 4 && g->x0 + g->bw >= g->w - 4 ? "end"
							      : "middle", t);
	}
	for (j = 0; j < n; j++) {
		u = j == 0 ? o : cdsync_report_child_at(r, j - 1);
		k = cdsync_kpi_at(u->kpis, i);
		if (k == NULL)
			continue;
		y = CT + (int)j * g->rh;
		w = k->value > max ? max : k->value;
		w = w <= 0 ? 0 : g->bw * w / max;
		label(r, j, skip, lab, sizeof lab);
		rep_value(k, val, sizeof val);
		fprintf(f, "<g><title>");
		esc(f, u->name);
		fputs(" (", f);
		esc(f, u->code);
		fprintf(f, "): %s (%lld/%lld)</title>", val,
			(long long)k->num, (long long)k->den);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"" FSS "\" "
			"text-anchor=\"%s\"%s>", g->lx, y + g->ly, g->anchor,
			j == 0 ? " font-weight=\"700\"" : "");
		esc(f, lab);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
			"height=\"%d\" rx=\"2\" fill=\"%s\"/>", g->x0,
			y + g->by, w < 1 && k->value > 0 ? 1.0 : w, g->bh,
			fill(k, j == 0));
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"" FSS "\"%s%s>"
			"%s</text></g>\n", g->vx, y + g->vy,
			g->x0 == 0 ? " text-anchor=\"end\"" : "",
			j == 0 ? " font-weight=\"700\"" : "", val);
	}
	/* the target: across the rows, or (narrow) across each bar only,
	 * clear of the labels and values above them */
	tx = g->x0 + g->bw * (k0->target > max ? max : k0->target) / max;
	rep_target(k0, val, sizeof val);
	if (g->x0 != 0)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
			"y2=\"%d\" stroke=\"#1f2328\" stroke-width=\"2\" "
			"stroke-dasharray=\"5 3\"/>", tx, CT - 6, tx,
			CT + (int)n * g->rh + 2);
	else
		for (j = 0; j < n; j++)
			fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				"y2=\"%d\" stroke=\"#1f2328\" "
				"stroke-width=\"2\" "
				"stroke-dasharray=\"3 2\"/>",
				tx, CT + (int)j * g->rh + g->by - 3, tx,
				CT + (int)j * g->rh + g->by + g->bh + 3);
	fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
		"text-anchor=\"%s\" font-weight=\"600\">", tx, CT - 10,
		tx > g->x0 + g->bw - 60 ? "end" : "middle");
	esc(f, _("Target"));
	fprintf(f, " %s</text>\n</svg>\n", val);
}

static void
bars(FILE *f, const cdsync_report *r, size_t i)
{
	bars_svg(f, r, i, &wide, "wide");
	bars_svg(f, r, i, &narrow, "narrow");
}

#define TW 360			/* trend chart: view box */
#define TH 180
#define TL 40			/* left axis */
#define TR 8
#define TT 26			/* above: values, target label */
#define TB 26			/* below: the years */

/* KPI number i of the report's unit across the school years. */
static void
trend(FILE *f, const cdsync_report *r, size_t i)
{
	size_t ny = cdsync_report_year_count(r), j;
	const cdsync_report_unit *o = cdsync_report_org(r);
	const cdsync_kpi *k0 = cdsync_kpi_at(o->kpis, i), *k;
	const cdsync_report_year *yr;
	double vmax = 0, max, ph = TH - TT - TB, slot, bx, bh, ty, yv;
	char val[64], t[32];
	int g;

	for (j = 0; j < ny; j++) {
		k = cdsync_kpi_at(cdsync_report_year_at(r, j)->kpis, i);
		if (k != NULL && k->value > vmax)
			vmax = k->value;
	}
	max = scale_max(k0, vmax);
	slot = ny ? (double)(TW - TL - TR) / (double)ny : 0;
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		TW, TH);
	esc(f, k0->id);
	fputs("\">\n", f);
	for (g = 0; g <= 4; g++) {
		yv = TT + ph - ph * g / 4.0;
		tick(k0, max * g / 4.0, t, sizeof t);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"#d8dee4\"/><text x=\"%d\" y=\"%.1f\" "
			"font-size=\"10\" fill=\"#6e7781\" "
			"text-anchor=\"end\">%s</text>\n",
			TL, yv, TW - TR, yv, TL - 4, yv + 3, t);
	}
	for (j = 0; j < ny; j++) {
		yr = cdsync_report_year_at(r, j);
		k = cdsync_kpi_at(yr->kpis, i);
		if (k == NULL)
			continue;
		bh = k->value <= 0 ? 0 : ph * (k->value > max ? max
							       : k->value) /
						 max;
		bx = TL + slot * (double)j + slot * 0.18;
		rep_value(k, val, sizeof val);
		fprintf(f, "<g><title>%s: %s (%lld/%lld)</title>", yr->year,
			val, (long long)k->num, (long long)k->den);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" rx=\"2\" fill=\"%s\"/>", bx,
			TT + ph - bh, slot * 0.64, bh, fill(k, 0));
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			"text-anchor=\"middle\">%s</text>",
			bx + slot * 0.32, TT + ph - bh - 4, val);
		/* "2023-24" */
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			"fill=\"#57606a\" text-anchor=\"middle\">%.5s%s</text>"
			"</g>\n", bx + slot * 0.32, TH - 8, yr->year,
			strlen(yr->year) == 9 ? yr->year + 7 : "");
	}
	/* the target, named in the caption */
	ty = TT + ph - ph * (k0->target > max ? max : k0->target) / max;
	fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		"stroke=\"#1f2328\" stroke-width=\"2\" "
		"stroke-dasharray=\"5 3\"/>\n</svg>\n", TL, ty, TW - TR, ty);
}

/* ==== Sections ======================================================== */

static void
summary(FILE *f, const struct rep *x)
{
	const cdsync_report_unit *o = cdsync_report_org(x->r);
	const cdsync_kpi *k, *cov = kpi_by_id(o->kpis, "P2.U.coverage");
	size_t i, met = 0, app = 0;
	char money[40];

	for (i = 0; i < cdsync_kpi_count(o->kpis); i++) {
		k = cdsync_kpi_at(o->kpis, i);
		if (!k->applies)
			continue;
		app++;
		met += k->met != 0;
	}
	out_money(cdsync_kpi_care_per_member(o->kpis), money, sizeof money);
	fputs("<section class=\"cards\">\n", f);
	fprintf(f, "<div class=\"card\"><div>%s</div><div class=\"big\">"
		"%zu / %zu</div></div>\n", _("KPIs met"), met, app);
	fprintf(f, "<div class=\"card\"><div>%s</div><div class=\"big %s\">"
		"%zu / %zu</div></div>\n", _("Unions that have not reported"),
		cdsync_report_missing_count(x->r) ? "bad" : "ok",
		cdsync_report_missing_count(x->r),
		cdsync_report_union_count(x->r));
	fprintf(f, "<div class=\"card\"><div>%s</div><div class=\"big\">"
		"%s</div></div>\n", _("Care money per member"), money);
	fprintf(f, "<div class=\"card\"><div>%s</div><div class=\"big\">"
		"%lld</div></div>\n", _("Members"),
		cov ? (long long)cov->den : 0LL);
	fputs("</section>\n", f);
}

/* One cell of a figure: the value, marked, and what it comes from. */
static void
cell(FILE *f, const cdsync_kpi *k)
{
	char v[64];

	if (k == NULL) {
		fputs("<td class=\"n\">–</td>", f);
		return;
	}
	rep_value(k, v, sizeof v);
	fprintf(f, "<td class=\"n\"><span class=\"%s\">%s %s</span>", cls(k),
		mark(k), v);
	if (k->is_share)
		fprintf(f, "<small>%lld/%lld</small>", (long long)k->num,
			(long long)k->den);
	fputs("</td>", f);
}

/* The name cell of a unit's row. */
static void
unit_cell(FILE *f, const cdsync_report_unit *u)
{
	fputs("<td>", f);
	esc(f, u->name);
	fputs("<small>", f);
	esc(f, u->code);
	fputs("</small></td>", f);
}

static void
group_table(FILE *f, const cdsync_report *r, enum rep_group g)
{
	const cdsync_report_unit *o = cdsync_report_org(r), *u;
	const cdsync_kpi *k;
	size_t i, j, n = cdsync_report_child_count(r) + 1;

	fputs("<div class=\"scroll\"><table>\n<thead><tr><th>", f);
	esc(f, _("Union"));
	fputs("</th>", f);
	for (i = 0; i < cdsync_kpi_count(o->kpis); i++) {
		k = cdsync_kpi_at(o->kpis, i);
		if (rep_group_of(k->id) != g)
			continue;
		fputs("<th class=\"n\" title=\"", f);
		esc(f, k->label);
		fputs("\">", f);
		esc(f, k->id);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (j = 0; j < n; j++) {
		u = j == 0 ? o : cdsync_report_child_at(r, j - 1);
		fputs(j == 0 ? "<tr class=\"total\">" : "<tr>", f);
		unit_cell(f, u);
		for (i = 0; i < cdsync_kpi_count(o->kpis); i++) {
			k = cdsync_kpi_at(o->kpis, i);
			if (rep_group_of(k->id) != g)
				continue;
			cell(f, cdsync_kpi_at(u->kpis, i));
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
}

static void
group(FILE *f, const struct rep *x, enum rep_group g)
{
	const cdsync_report *r = x->r;
	const cdsync_report_unit *o = cdsync_report_org(r);
	const cdsync_kpi *k;
	char v[64], t[32];
	size_t i;

	fprintf(f, "<section id=\"%s\">\n<h2>", rep_group_name(g));
	esc(f, rep_group_name(g));
	fputs(" — ", f);
	esc(f, rep_group_title(g));
	fputs("</h2>\n<div class=\"kpis\">\n", f);
	for (i = 0; i < cdsync_kpi_count(o->kpis); i++) {
		k = cdsync_kpi_at(o->kpis, i);
		if (rep_group_of(k->id) != g)
			continue;
		rep_value(k, v, sizeof v);
		rep_target(k, t, sizeof t);
		fprintf(f, "<article class=\"kpi\" id=\"kpi-%s\">\n", k->id);
		fprintf(f, "<span class=\"badge %s\">%s ", cls(k), mark(k));
		esc(f, rep_status(k));
		fprintf(f, "</span><span class=\"kid\">%s</span>\n<h3>",
			k->id);
		esc(f, k->label);
		fprintf(f, "</h3>\n<p class=\"fig\"><b class=\"%s\">%s</b>",
			cls(k), v);
		if (k->is_share)
			fprintf(f, " (%lld/%lld)", (long long)k->num,
				(long long)k->den);
		fputs(" · ", f);
		esc(f, _("Target"));
		fprintf(f, " %s</p>\n<div class=\"charts\"><figure>"
			"<figcaption>", t);
		esc(f, cdsync_report_child_count(r) ? _("By union")
						     : _("This union"));
		fputs("</figcaption>\n", f);
		bars(f, r, i);
		fputs("</figure>", f);
		if (cdsync_report_year_count(r) > 0) {
			fputs("<figure><figcaption>", f);
			esc(f, _("By school year"));
			fputs(" (", f);
			esc(f, _("dashed line: target"));
			fprintf(f, " %s)</figcaption>\n", t);
			trend(f, r, i);
			fputs("</figure>", f);
		}
		fputs("</div>\n</article>\n", f);
	}
	fputs("</div>\n", f);
	group_table(f, r, g);
	fputs("</section>\n", f);
}

/* Care money per member by unit: bars without a target, in the shape
 * g (whose value column holds the money). */
static void
money_svg(FILE *f, const cdsync_report *r, const struct geo *g,
	  const char *cls_)
{
	const cdsync_report_unit *o = cdsync_report_org(r), *u;
	size_t n = cdsync_report_child_count(r) + 1, j;
	double vmax = 1, bw = g->x0 ? g->bw - 60 : g->bw, w;
	char lab[128], money[40];
	int h = 8 + (int)n * g->rh + 4, y;
	size_t skip = common_words(r);

	for (j = 0; j < n; j++) {
		u = j == 0 ? o : cdsync_report_child_at(r, j - 1);
		if ((double)cdsync_kpi_care_per_member(u->kpis) > vmax)
			vmax = (double)cdsync_kpi_care_per_member(u->kpis);
	}
	fprintf(f, "<svg class=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
		cls_, g->w, h);
	for (j = 0; j < n; j++) {
		u = j == 0 ? o : cdsync_report_child_at(r, j - 1);
		y = 8 + (int)j * g->rh;
		w = bw * (double)cdsync_kpi_care_per_member(u->kpis) / vmax;
		label(r, j, skip, lab, sizeof lab);
		out_money(cdsync_kpi_care_per_member(u->kpis), money,
			  sizeof money);
		fprintf(f, "<g><title>");
		esc(f, u->name);
		fprintf(f, ": %s</title><text x=\"%d\" y=\"%d\" "
			"font-size=\"" FSS "\" text-anchor=\"%s\"%s>", money,
			g->lx, y + g->ly, g->anchor,
			j == 0 ? " font-weight=\"700\"" : "");
		esc(f, lab);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
			"height=\"%d\" rx=\"2\" fill=\"%s\"/>", g->x0,
			y + g->by, w, g->bh, j == 0 ? "#0b4f8a" : "#4f8fd1");
		if (g->x0 == 0)
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"" FSS
				"\" text-anchor=\"end\">%s</text></g>\n",
				g->vx, y + g->vy, money);
		else
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\""
				FSS "\">%s</text></g>\n", g->x0 + w + 6,
				y + g->vy, money);
	}
	fputs("</svg>\n", f);
}

static void
money_bars(FILE *f, const cdsync_report *r)
{
	fprintf(f, "<figure class=\"money\"><figcaption>");
	esc(f, _("Care money per member"));
	fputs("</figcaption>\n", f);
	money_svg(f, r, &wide, "wide");
	money_svg(f, r, &narrow, "narrow");
	fputs("</figure>\n", f);
}

static void
money(FILE *f, const struct rep *x)
{
	const cdsync_report *r = x->r;
	const cdsync_report_unit *o = cdsync_report_org(r), *u;
	const char *const *kinds = rep_kinds();
	const cdsync_kpi *cov;
	size_t n = cdsync_report_child_count(r) + 1, i, j;
	char m[40];

	fputs("<section id=\"money\">\n<h2>", f);
	esc(f, _("Care money per member and activities by kind"));
	fputs("</h2>\n", f);
	money_bars(f, r);
	fputs("<div class=\"scroll\"><table class=\"kinds\">\n<thead><tr><th>",
	      f);
	esc(f, _("Union"));
	fputs("</th><th class=\"n\">", f);
	esc(f, _("Care money per member"));
	fputs("</th><th class=\"n\">", f);
	esc(f, _("Members"));
	fputs("</th>", f);
	for (i = 0; kinds && kinds[i]; i++) {
		fputs("<th class=\"n\">", f);
		esc(f, cdsync_choice_label(kinds[i]));
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (j = 0; j < n; j++) {
		u = j == 0 ? o : cdsync_report_child_at(r, j - 1);
		cov = kpi_by_id(u->kpis, "P2.U.coverage");
		out_money(cdsync_kpi_care_per_member(u->kpis), m, sizeof m);
		fputs(j == 0 ? "<tr class=\"total\">" : "<tr>", f);
		unit_cell(f, u);
		fprintf(f, "<td class=\"n\">%s</td><td class=\"n\">%lld"
			"</td>", m, cov ? (long long)cov->den : 0LL);
		for (i = 0; kinds && kinds[i]; i++)
			fprintf(f, "<td class=\"n\">%lld</td>",
				(long long)cdsync_kpi_kind_count(u->kpis,
								 kinds[i]));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n</section>\n", f);
}

/* The name of the unit with `code` directly under the report's unit, or
 * the code itself (a hub known from the catalog only). */
static const char *
child_name(const cdsync_report *r, const char *code)
{
	const cdsync_report_unit *u;
	size_t i;

	for (i = 0; i < cdsync_report_child_count(r); i++) {
		u = cdsync_report_child_at(r, i);
		if (strcmp(u->code, code) == 0)
			return u->name;
	}
	return code;
}

static void
missing(FILE *f, const struct rep *x)
{
	const cdsync_report *r = x->r;
	const cdsync_report_unit *o = cdsync_report_org(r);
	const cdsync_report_missing *m;
	size_t n = cdsync_report_missing_count(r), i;
	char day[11], line[512];
	int deep = 0;

	fputs("<section id=\"missing\">\n<h2>", f);
	esc(f, _("Schools that have not reported"));
	fputs("</h2>\n<p>", f);
	out_date(cdsync_kpi_from(o->kpis), day);
	if (n == 0)
		snprintf(line, sizeof line,
			 _("All %zu unions have reported since %s."),
			 cdsync_report_union_count(r), day);
	else
		snprintf(line, sizeof line,
			 _("%zu of %zu unions have not reported since %s, the "
			   "first day of the period:"),
			 n, cdsync_report_union_count(r), day);
	esc(f, line);
	fputs("</p>\n", f);
	if (n == 0) {
		fputs("</section>\n", f);
		return;
	}
	/* the column of the unit under this one only when it says more */
	for (i = 0; i < n; i++) {
		m = cdsync_report_missing_at(r, i);
		deep |= m->under != NULL && strcmp(m->under, m->code) != 0;
	}
	fputs("<div class=\"scroll\"><table class=\"missing\">\n<thead><tr>"
	      "<th>", f);
	esc(f, _("Union"));
	if (deep) {
		fputs("</th><th>", f);
		esc(f, _("Under"));
	}
	fputs("</th><th class=\"n\">", f);
	esc(f, _("Last bundle taken in"));
	fputs("</th><th class=\"n\">", f);
	esc(f, _("Held bundles"));
	fputs("</th></tr></thead>\n<tbody>\n", f);
	for (i = 0; i < n; i++) {
		m = cdsync_report_missing_at(r, i);
		fputs("<tr><td>", f);
		esc(f, m->name);
		fputs("<small>", f);
		esc(f, m->code);
		if (!m->known) {
			fputs(" · ", f);
			esc(f, _("enrolled, nothing received"));
		}
		fputs("</small></td>", f);
		if (deep) {
			fputs("<td>", f);
			if (m->under != NULL) {
				esc(f, child_name(r, m->under));
				fputs("<small>", f);
				esc(f, m->under);
				fputs("</small>", f);
			}
			fputs("</td>", f);
		}
		if (m->last_day != NULL) {
			out_date(m->last_day, day);
			fprintf(f, "<td class=\"n\">%s", day);
		} else {
			fputs("<td class=\"n bad\">", f);
			esc(f, _("never"));
		}
		fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n",
			(long long)m->held);
	}
	fputs("</tbody></table></div>\n</section>\n", f);
}

static void
trend_table(FILE *f, const struct rep *x)
{
	const cdsync_report *r = x->r;
	const cdsync_report_unit *o = cdsync_report_org(r);
	size_t ny = cdsync_report_year_count(r), i, j;
	const cdsync_report_year *y;
	const cdsync_kpi *k;
	char t[32], m[40];

	fputs("<section id=\"trend\">\n<h2>", f);
	esc(f, _("The trend over the school years"));
	fputs("</h2>\n", f);
	if (ny == 0) {
		fputs("<p>", f);
		esc(f, _("The period ends before the 2023-2028 term."));
		fputs("</p>\n</section>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table>\n<thead><tr><th>", f);
	esc(f, _("KPI"));
	fputs("</th><th class=\"n\">", f);
	esc(f, _("Target"));
	fputs("</th>", f);
	for (j = 0; j < ny; j++)
		fprintf(f, "<th class=\"n\">%s</th>",
			cdsync_report_year_at(r, j)->year);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < cdsync_kpi_count(o->kpis); i++) {
		k = cdsync_kpi_at(o->kpis, i);
		rep_target(k, t, sizeof t);
		fprintf(f, "<tr><td>%s<small>", k->id);
		esc(f, k->label);
		fprintf(f, "</small></td><td class=\"n\">%s</td>", t);
		for (j = 0; j < ny; j++) {
			y = cdsync_report_year_at(r, j);
			cell(f, cdsync_kpi_at(y->kpis, i));
		}
		fputs("</tr>\n", f);
	}
	fputs("<tr><td>", f);
	esc(f, _("Care money per member"));
	fputs("</td><td></td>", f);
	for (j = 0; j < ny; j++) {
		out_money(cdsync_kpi_care_per_member(
				  cdsync_report_year_at(r, j)->kpis),
			  m, sizeof m);
		fprintf(f, "<td class=\"n\">%s</td>", m);
	}
	fputs("</tr>\n</tbody></table></div>\n</section>\n", f);
}

static void
footer(FILE *f, const struct rep *x)
{
	char day[11];

	out_date(x->made, day);
	fputs("<footer>\n<p>", f);
	esc(f, _("A school has reported when this computer took in, and "
		 "merged, a bundle of the school's node on a day from the "
		 "first day of the period on; the day shown for the others is "
		 "that of their last bundle. A school enrolled whose bundles "
		 "never came is listed as never. The KPIs count the unions "
		 "whose records this computer holds."));
	fputs("</p>\n<p>", f);
	esc(f, _("Each figure is computed from the records the schools "
		 "signed and sent; a unit's figures cover its whole "
		 "subtree, under the tree of unions of the as-of day."));
	fputs("</p>\n<p>", f);
	fprintf(f, _("Made with cdsync on %s."), day);
	fputs("</p>\n</footer>\n", f);
}

int
report_html(const struct rep *x, FILE *f)
{
	const char *preset = rep_preset_text(x->preset);
	char title[768], win[512], day[11];
	enum rep_group g;

	rep_title(x, title, sizeof title);
	rep_window(x, win, sizeof win);
	out_date(x->made, day);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
		"<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		"content=\"width=device-width, initial-scale=1\">\n<title>",
		lang_is_english() ? "en" : "vi");
	esc(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n"
		"<header>\n<h1>", STYLE);
	esc(f, title);
	fputs("</h1>\n<p class=\"meta\">", f);
	esc(f, win);
	fputs("</p>\n", f);
	if (preset != NULL) {
		fputs("<p class=\"meta\">", f);
		esc(f, preset);
		fputs("</p>\n", f);
	}
	fputs("<p class=\"meta\">", f);
	fprintf(f, _("Made on %s."), day);
	fputs("</p>\n</header>\n<nav>", f);
	for (g = REP_P3; g < REP_NGROUPS; g++)
		fprintf(f, "<a href=\"#%s\">%s</a>", rep_group_name(g),
			rep_group_name(g));
	fputs("<a href=\"#money\">", f);
	esc(f, _("Money and kinds"));
	fputs("</a><a href=\"#missing\">", f);
	esc(f, _("Not reported"));
	fputs("</a><a href=\"#trend\">", f);
	esc(f, _("Trend"));
	fputs("</a></nav>\n", f);
	summary(f, x);
	for (g = REP_P3; g < REP_NGROUPS; g++)
		group(f, x, g);
	money(f, x);
	missing(f, x);
	trend_table(f, x);
	footer(f, x);
	fputs("</main>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
