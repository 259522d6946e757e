/* period.h -- reporting periods (DOMAIN.md "Periods").
 *
 * A period is written as people say it:
 *   "2025-2026"  school year, 1 Sept 2025 - 31 Aug 2026
 *   "2025"       calendar year
 *   "2025-Q3"    quarter (also "Q3-2025", "Q3/2025", lower case q)
 *   "2023-2028"  the programme term: its five school years, 1 Sept 2023 -
 *                31 Aug 2028 (any span of exactly five years is a term)
 * Parsing is pure: no clock, no state, thread-safe.  Messages follow
 * text.h's contract (English msgid through _(), -1 on failure).
 */
#ifndef CDS_PERIOD_H
#define CDS_PERIOD_H

#include <stddef.h>

enum cds_period_kind {
	CDS_PERIOD_SCHOOL_YEAR = 1,
	CDS_PERIOD_YEAR = 2,
	CDS_PERIOD_QUARTER = 3,
	CDS_PERIOD_TERM = 4
};

struct cds_period {
	enum cds_period_kind kind;
	char from[11];		/* first day, "YYYY-MM-DD" */
	char to[11];		/* last day, "YYYY-MM-DD" */
	char name[16];		/* canonical: "2025-2026", "2025", "2025-Q3" */
};

int cds_period_parse(const char *s, struct cds_period *out, char *err,
		     size_t errlen);

#endif
