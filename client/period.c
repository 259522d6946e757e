/* period.c -- reporting periods; see period.h.
 *
 * Accepted forms (leading and trailing spaces ignored, years 2000..2100):
 *   YYYY-YYYY   school year when the years are one apart (1 Sept - 31
 *               Aug), the term when they are five apart: its five school
 *               years, 1 Sept of the first - 31 Aug of the last (the
 *               2023-2028 term is the school years 2023-2024 to
 *               2027-2028); any other span is refused
 *   YYYY        calendar year
 *   YYYY-Qn, Qn-YYYY, Qn/YYYY   quarter n (1..4), q or Q
 * Every year written must lie in 2000..2100.  Nothing else is a period:
 * "2025/26", "25-26", "2025-Q5", "2025-2025" are refused with a message
 * that names the accepted forms.
 */
#include "period.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cdsync/cdsync.h"
#include "i18n.h"
#include "text.h"

#define YEARMIN 2000
#define YEARMAX 2100

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int
isspc(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Reads exactly four digits at s[*i..n) as a year. */
static int
year4(const char *s, size_t n, size_t *i, int *y)
{
	size_t k;

	if (n - *i < 4)
		return -1;
	for (*y = 0, k = 0; k < 4; k++) {
		if (!isdig(s[*i + k]))
			return -1;
		*y = *y * 10 + (s[*i + k] - '0');
	}
	if (*i + 4 < n && isdig(s[*i + 4]))
		return -1;
	*i += 4;
	return 0;
}

/* Reads "Qn" or "qn" at s[*i..n). */
static int
quarter(const char *s, size_t n, size_t *i, int *q)
{
	if (n - *i < 2 || (s[*i] != 'Q' && s[*i] != 'q') ||
	    !isdig(s[*i + 1]) || (*i + 2 < n && isdig(s[*i + 2])))
		return -1;
	*q = s[*i + 1] - '0';
	*i += 2;
	return 0;
}

static void
fill(struct cds_period *out, enum cds_period_kind kind, int y1, int m1,
     int d1, int y2, int m2, int d2)
{
	out->kind = kind;
	snprintf(out->from, sizeof out->from, "%04d-%02d-%02d", y1, m1, d1);
	snprintf(out->to, sizeof out->to, "%04d-%02d-%02d", y2, m2, d2);
}

int
cds_period_parse(const char *s, struct cds_period *out, char *err,
		 size_t errlen)
{
	static const int qend[5] = { 0, 31, 30, 30, 31 };
	char b[CDS_SHOWMAX + 4];
	size_t n, i = 0;
	int y = 0, y2 = -1, q = -1;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		s = "";
	while (isspc(*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspc(s[n - 1]))
		n--;
	if (n == 0) {
		cds_say(err, errlen, "%s",
		    _("the period is empty: use 2025-2026 (school year), "
		      "2025 (year), 2025-Q3 (quarter) or 2023-2028 (term)"));
		return -1;
	}
	if (quarter(s, n, &i, &q) == 0) {
		/* Qn-YYYY or Qn/YYYY */
		if (i >= n || (s[i] != '-' && s[i] != '/'))
			goto shape;
		i++;
		if (year4(s, n, &i, &y) != 0 || i != n)
			goto shape;
	} else if (year4(s, n, &i, &y) == 0) {
		if (i < n) {
			if (s[i++] != '-')
				goto shape;
			if (quarter(s, n, &i, &q) != 0 &&
			    year4(s, n, &i, &y2) != 0)
				goto shape;
			if (i != n)
				goto shape;
		}
	} else {
		goto shape;
	}
	if (y < YEARMIN || y > YEARMAX ||
	    (y2 >= 0 && (y2 < YEARMIN || y2 > YEARMAX))) {
		cds_say(err, errlen,
		    _("'%s' is not a period: years go from %d to %d"),
		    cds_show(s, n, b), YEARMIN, YEARMAX);
		return -1;
	}
	if (q >= 0) {
		if (q < 1 || q > 4) {
			cds_say(err, errlen,
			    _("'%s' is not a period: quarters are Q1 to Q4"),
			    cds_show(s, n, b));
			return -1;
		}
		fill(out, CDS_PERIOD_QUARTER, y, 3 * q - 2, 1, y, 3 * q,
		     qend[q]);
		snprintf(out->name, sizeof out->name, "%04d-Q%d", y, q);
	} else if (y2 < 0) {
		fill(out, CDS_PERIOD_YEAR, y, 1, 1, y, 12, 31);
		snprintf(out->name, sizeof out->name, "%04d", y);
	} else if (y2 == y + 1) {
		fill(out, CDS_PERIOD_SCHOOL_YEAR, y, 9, 1, y2, 8, 31);
		snprintf(out->name, sizeof out->name, "%04d-%04d", y, y2);
	} else if (y2 == y + 5) {
		fill(out, CDS_PERIOD_TERM, y, 9, 1, y2, 8, 31);
		snprintf(out->name, sizeof out->name, "%04d-%04d", y, y2);
	} else {
		cds_say(err, errlen,
		    _("'%s' is not a period: a school year is two years in a "
		      "row (2025-2026), a term two years five apart "
		      "(2023-2028)"),
		    cds_show(s, n, b));
		return -1;
	}
	return 0;
shape:
	cds_say(err, errlen,
	    _("'%s' is not a period: use 2025-2026 (school year), 2025 "
	      "(year), 2025-Q3 (quarter) or 2023-2028 (term)"),
	    cds_show(s, n, b));
	return -1;
}

CDSYNC_API int
cdsync_period_window(const char *period, char from[11], char to[11],
		     char *err, size_t errlen)
{
	struct cds_period p;

	from[0] = to[0] = '\0';
	if (period == NULL) {
		cds_say(err, errlen, "%s", _("a period is needed, e.g. 2025-2026"));
		return CDSYNC_EINVAL;
	}
	if (cds_period_parse(period, &p, err, errlen) != 0)
		return CDSYNC_EINVAL;
	memcpy(from, p.from, 11);
	memcpy(to, p.to, 11);
	return CDSYNC_OK;
}
