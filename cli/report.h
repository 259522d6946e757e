/* report.h -- `cdsync report`: a report (cdsync.h "Reports") rendered for
 * people and for other programs.
 *
 * cmd_report.c runs the command (options, presets, the atomic --out) and
 * writes JSON; report_html.c, report_xlsx.c and report_csv.c write one
 * format each.  The helpers below are shared by the renderers so that
 * every format says the same thing in the same words: the KPI groups of
 * the programmes, values and targets as text, the status words.
 *
 * Text formats show dates as dd/mm/yyyy, money as "1.234.567 đ" and
 * decimals with the language's mark; CSV, JSON and the cells of XLSX hold
 * machine-readable numbers.  Labels are translated (Vietnamese unless
 * LANG asks for English, lang.h); JSON keys and CSV headers never are.
 * Nothing here is thread-safe (gettext, one writer per FILE).
 */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <cdsync/cdsync.h>

/* What a renderer is given. */
struct rep {
	const cdsync_report *r;		/* the data */
	const char *preset;		/* "midterm", "final" or NULL */
	const char *made;		/* the day it is made, "YYYY-MM-DD" */
};

/* The groups of KPIs, in the order every format shows them. */
enum rep_group {
	REP_P3 = 0,			/* Programme 3 */
	REP_P2U = 1,			/* Programme 2, the unions' targets */
	REP_P2N = 2,			/* Programme 2, the national union's */
	REP_NGROUPS = 3
};

/* The group of a KPI id ("P2.U.care" -> REP_P2U). */
enum rep_group rep_group_of(const char *kpi_id);
/* Its short name ("P3", "P2.U", "P2.N") and its translated title. */
const char *rep_group_name(enum rep_group g);
const char *rep_group_title(enum rep_group g);
/* "81,6%" (a share, one decimal, the language's mark) or "3". */
void rep_value(const cdsync_kpi *k, char *buf, size_t n);
/* "100%", "≥ 90%", "≥ 1". */
void rep_target(const cdsync_kpi *k, char *buf, size_t n);
/* The translated status word: met, not met, not for this level. */
const char *rep_status(const cdsync_kpi *k);
/* The activity kinds, in the schema's order (NULL-terminated). */
const char *const *rep_kinds(void);
/* The title of the report, translated ("Report on the programmes: NAME
 * (CODE)" or the review of a preset). */
void rep_title(const struct rep *x, char *buf, size_t n);
/* "Period 2025-2026: 01/09/2025 – 31/08/2026" and, with an as-of date,
 * "; counted up to dd/mm/yyyy". */
void rep_window(const struct rep *x, char *buf, size_t n);
/* The translated explanation of a preset, or NULL. */
const char *rep_preset_text(const char *preset);

/* Each writes the whole report; 0, or -1 when writing failed (errno set
 * by stdio).  report_xlsx writes the workbook at `path` (libxlsxwriter
 * writes files only) and puts what failed into err[n]. */
int report_html(const struct rep *x, FILE *f);
int report_csv(const struct rep *x, FILE *f);
int report_json(const struct rep *x, FILE *f);
int report_xlsx(const struct rep *x, const char *path, char *err, size_t n);

/* The command. */
int cmd_report(int argc, char **argv);
void report_help(FILE *f);

#endif
