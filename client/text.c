/* text.c -- the values people type; see text.h.
 *
 * Unicode work is done by libutf8proc: it allocates with malloc, so what it
 * returns is copied into cds_malloc memory and given back with free().
 * NFC and folding skip it for pure ASCII; yes/no folds its short words on
 * the stack.  Dates are proleptic Gregorian, counted in days from
 * 1970-01-01 through a year that starts on 1 March, so that the leap day
 * is the last day of its year.  Reasons quote the offending value, cut to
 * CDS_SHOWMAX bytes with control characters shown as '?', and are never cut
 * inside a UTF-8 character.
 */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "alloc.h"
#include "i18n.h"

#define MONEYMAX INT64_C(1000000000000000) /* 10^15 VND */
#define DAYSMAX (INT64_C(1) << 39)	   /* |days| cds_date_from_days takes */
#define EPOCH INT64_C(719468)		   /* 1970-01-01 from 0000-03-01 */
#define DONG "\xC4\x91"			   /* U+0111 đ */
#define DONGU "\xC4\x90"		   /* U+0110 Đ */
#define DONGSIGN "\xE2\x82\xAB"		   /* U+20AB ₫ */

/* What cds_text_fold asks of utf8proc. */
#define FOLDOPTS                                                          \
	(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |        \
	 UTF8PROC_STRIPMARK)

static const char *const months[12] = {
	N_("January"), N_("February"), N_("March"),     N_("April"),
	N_("May"),     N_("June"),     N_("July"),      N_("August"),
	N_("September"), N_("October"), N_("November"), N_("December"),
};

/* ==== Small helpers =================================================== */


static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* Ends s at n bytes or fewer, so that no UTF-8 character is left half. */
static void
cut(char *s, size_t n)
{
	size_t j = n, k;
	unsigned char c;

	while (j > 0 && n - j < 3 && ((unsigned char)s[j - 1] & 0xC0) == 0x80)
		j--;
	if (j > 0) {
		c = (unsigned char)s[j - 1];
		k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (j - 1 + k > n)
			n = j - 1;
	}
	s[n] = '\0';
}

void
cds_say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	r = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (r < 0)
		err[0] = '\0';
	else if ((size_t)r >= errlen)
		cut(err, errlen - 1);
}

/* Is code point c a control character we refuse (C0 but TAB, LF, CR; DEL;
 * C1)? */
static int
isctl(utf8proc_int32_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
	       (c >= 0x7F && c < 0xA0);
}

const char *
cds_show(const char *s, size_t n, char buf[CDS_SHOWMAX + 4])
{
	size_t i = 0, o = 0, k;
	utf8proc_ssize_t r;
	utf8proc_int32_t c;

	while (i < n) {
		r = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
				     (utf8proc_ssize_t)(n - i), &c);
		k = r > 0 ? (size_t)r : 1;
		if (o + k > CDS_SHOWMAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (r <= 0 || isctl(c))
			buf[o++] = '?';
		else if (c < 0x20) /* TAB, LF, CR */
			buf[o++] = ' ';
		else {
			memcpy(buf + o, s + i, k);
			o += k;
		}
		i += k;
	}
	buf[o] = '\0';
	return buf;
}

/* Bytes of the blank starting s[0..n): space, TAB, CR, LF, U+00A0 or
 * U+202F (no-break spaces, as spreadsheets write them); 0 if none. */
static size_t
blank(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	if (n >= 1 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' ||
		       p[0] == '\n'))
		return 1;
	if (n >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
		return 2;
	if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF)
		return 3;
	return 0;
}

/* Bytes of the blank ending s[0..n); 0 if none. */
static size_t
blankend(const char *s, size_t n)
{
	if (n >= 1 && blank(s + n - 1, 1) == 1)
		return 1;
	if (n >= 2 && blank(s + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && blank(s + n - 3, 3) == 3)
		return 3;
	return 0;
}

/* s without its leading and trailing blanks; the length left in *np. */
static const char *
trim(const char *s, size_t *np)
{
	size_t n, k;

	if (s == NULL)
		s = "";
	n = strlen(s);
	while ((k = blank(s, n)) > 0) {
		s += k;
		n -= k;
	}
	while ((k = blankend(s, n)) > 0)
		n -= k;
	*np = n;
	return s;
}

/* ==== Unicode text ==================================================== */

/* The tail of folding: p[0..n), already case-folded without marks, into o
 * with ASCII lowercased, 'đ' and 'Đ' as 'd' and, if gaps, each run of
 * blanks, '_' and '-' as one space, no space at either end.  o has room
 * for n + 1 bytes (the result is never longer). */
static void
squeeze(const char *p, size_t n, char *o, int gaps)
{
	size_t i = 0, k, j = 0;
	int gap = 0;

	while (i < n) {
		if (gaps && ((k = blank(p + i, n - i)) > 0 || p[i] == '_' ||
			     p[i] == '-')) {
			gap = 1;
			i += k > 0 ? k : 1;
			continue;
		}
		if (gap && j > 0)
			o[j++] = ' ';
		gap = 0;
		if (n - i >= 2 && (memcmp(p + i, DONG, 2) == 0 ||
				   memcmp(p + i, DONGU, 2) == 0)) {
			o[j++] = 'd';
			i += 2;
		} else if (p[i] >= 'A' && p[i] <= 'Z') {
			o[j++] = (char)(p[i++] - 'A' + 'a');
		} else {
			o[j++] = p[i++];
		}
	}
	o[j] = '\0';
}

static int
ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Folds a short word s[0..n) into buf[bufsz] without allocating, blanks,
 * '_' and '-' left as they are; -1 if it is too long or not UTF-8. */
static int
foldword(const char *s, size_t n, char *buf, size_t bufsz)
{
	utf8proc_int32_t cp[17]; /* reencode ends 16 4-byte ones with NUL */
	utf8proc_ssize_t r;

	if (n > 48)
		return -1;
	r = utf8proc_decompose((const utf8proc_uint8_t *)s,
			       (utf8proc_ssize_t)n, cp, 16, FOLDOPTS);
	if (r < 0 || r > 16)
		return -1;
	if ((r = utf8proc_reencode(cp, r, FOLDOPTS)) < 0 ||
	    (size_t)r >= bufsz)
		return -1;
	squeeze((const char *)cp, (size_t)r, buf, 0);
	return 0;
}

int
cds_text_nfc(const char *s, size_t len, char **out, char *err, size_t errlen)
{
	utf8proc_uint8_t *u = NULL;
	utf8proc_ssize_t r = 1;
	utf8proc_int32_t c;
	size_t i, nc;
	int hi = 0;

	*out = NULL;
	if (s == NULL)
		len = 0;
	if (len > (size_t)PTRDIFF_MAX / 8) {
		cds_say(err, errlen, _("the text is too long"));
		return -1;
	}
	for (i = 0, nc = 1; i < len; i += (size_t)r, nc++) {
		c = (unsigned char)s[i];
		r = 1;
		if (c >= 0x80) {
			hi = 1;
			r = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
					     (utf8proc_ssize_t)(len - i), &c);
		}
		if (r < 0) {
			cds_say(err, errlen,
			    _("the text is not valid UTF-8 (bad byte 0x%02X at "
			      "character %zu)"),
			    (unsigned)(unsigned char)s[i], nc);
			return -1;
		}
		if (isctl(c)) {
			cds_say(err, errlen,
			    _("the text contains an invisible control "
			      "character (U+%04X) at character %zu"),
			    (unsigned)c, nc);
			return -1;
		}
	}
	if (hi) {
		r = utf8proc_map((const utf8proc_uint8_t *)s,
				 (utf8proc_ssize_t)len, &u,
				 UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		if (r < 0) {
			if (r == UTF8PROC_ERROR_NOMEM)
				goto nomem;
			if (r == UTF8PROC_ERROR_OVERFLOW)
				cds_say(err, errlen, _("the text is too long"));
			else if (r == UTF8PROC_ERROR_INVALIDUTF8)
				cds_say(err, errlen,
				    _("the text is not valid UTF-8"));
			else
				cds_say(err, errlen,
				    _("the text cannot be normalised (%s)"),
				    utf8proc_errmsg(r));
			return -1;
		}
		s = (const char *)u;
		len = (size_t)r;
	}
	if ((*out = cds_malloc(len + 1)) == NULL) {
		free(u);
		goto nomem;
	}
	if (len > 0)
		memcpy(*out, s, len);
	(*out)[len] = '\0';
	free(u);
	return 0;
nomem:
	cds_say(err, errlen, _("out of memory"));
	return -2;
}

int
cds_text_fold_to(const char *s, char **out)
{
	utf8proc_uint8_t *u = NULL;
	utf8proc_ssize_t r;
	size_t n;
	char *o;

	*out = NULL;
	if (s == NULL)
		return -1;
	n = strlen(s);
	if (!ascii(s, n)) {
		r = utf8proc_map((const utf8proc_uint8_t *)s, 0, &u,
				 UTF8PROC_NULLTERM | FOLDOPTS);
		if (r < 0)
			return r == UTF8PROC_ERROR_NOMEM ? -2 : -1;
		s = (const char *)u;
		n = (size_t)r;
	}
	if ((o = cds_malloc(n + 1)) != NULL)
		squeeze(s, n, o, 1);
	free(u);
	if (o == NULL)
		return -2;
	*out = o;
	return 0;
}

char *
cds_text_fold(const char *s)
{
	char *o;

	(void)cds_text_fold_to(s, &o);
	return o;
}

/* ==== Dates =========================================================== */

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const unsigned char t[12] = { 31, 28, 31, 30, 31, 30,
					     31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : t[m - 1];
}

/* a / b rounded down (b > 0). */
static int64_t
fdiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Days from 0000-03-01 to y-m-d.  The year is counted from March: month
 * mp = 0 is March, 11 is February, and the lengths of March..January
 * (31 30 31 30 31 31 30 31 30 31 31) are the steps of (153 mp + 2) / 5. */
static int64_t
civil(int64_t y, int64_t m, int64_t d)
{
	int64_t mp;

	if (m <= 2) {
		y--;
		mp = m + 9;
	} else {
		mp = m - 3;
	}
	return 365 * y + fdiv(y, 4) - fdiv(y, 100) + fdiv(y, 400) +
	       (153 * mp + 2) / 5 + d - 1;
}

int64_t
cds_date_days(int y, int m, int d)
{
	return civil(y, m, d) - EPOCH;
}

void
cds_date_from_days(int64_t days, int *y, int *m, int *d)
{
	int64_t z, yy, doy, mp;

	if (days > DAYSMAX)
		days = DAYSMAX;
	if (days < -DAYSMAX)
		days = -DAYSMAX;
	z = days + EPOCH;
	/* A guess within a year or so (146097 days per 400 years), then
	 * the March-based year that holds day z. */
	yy = fdiv(z * 400, 146097);
	while (civil(yy + 1, 3, 1) <= z)
		yy++;
	while (civil(yy, 3, 1) > z)
		yy--;
	doy = z - civil(yy, 3, 1);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

/* Writes v as w digits, zero padded. */
static void
putnum(char *o, int64_t v, int w)
{
	while (w > 0) {
		w--;
		o[w] = (char)('0' + v % 10);
		v /= 10;
	}
}

static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void
cds_date_iso(int y, int m, int d, char out[11])
{
	putnum(out, clamp(y, 0, 9999), 4);
	out[4] = '-';
	putnum(out + 5, clamp(m, 0, 99), 2);
	out[7] = '-';
	putnum(out + 8, clamp(d, 0, 99), 2);
	out[10] = '\0';
}

/* Reads the digits at s[*i..n); their number, the value of the first five
 * in *v. */
static size_t
digits(const char *s, size_t n, size_t *i, int *v)
{
	size_t k = 0;

	*v = 0;
	for (; *i < n && isdig(s[*i]); (*i)++, k++)
		if (k < 5)
			*v = *v * 10 + (s[*i] - '0');
	return k;
}

void
cds_date_vn(const char *iso, char out[11])
{
	size_t i = 0, n;
	int y, m, d;

	if (iso == NULL)
		iso = "";
	n = strlen(iso);
	if (n == 10 && digits(iso, n, &i, &y) == 4 && iso[i++] == '-' &&
	    digits(iso, n, &i, &m) == 2 && iso[i++] == '-' &&
	    digits(iso, n, &i, &d) == 2 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= mdays(y, m)) {
		putnum(out, d, 2);
		out[2] = '/';
		putnum(out + 3, m, 2);
		out[5] = '/';
		putnum(out + 6, y, 4);
		out[10] = '\0';
		return;
	}
	n = n > 10 ? 10 : n;
	memcpy(out, iso, n);
	cut(out, n);
}

int
cds_date_parse(const char *s, int *y, int *m, int *d, char *err,
	       size_t errlen)
{
	char b[CDS_SHOWMAX + 4];
	size_t n, i = 0, na, nb, nc;
	int a, bm, c, yy, mm, dd, dayfirst = 1;
	char sep = 0;
	const char *p = trim(s, &n);

	*y = *m = *d = 0;
	if (n == 0) {
		cds_say(err, errlen,
		    _("the date is empty: use dd/mm/yyyy or yyyy-mm-dd"));
		return -1;
	}
	na = digits(p, n, &i, &a);
	if (i < n)
		sep = p[i++];
	nb = digits(p, n, &i, &bm);
	if (i < n && p[i] == sep)
		i++;
	else
		nb = 0;
	nc = digits(p, n, &i, &c);
	if (i != n || na == 0 || nb == 0 || nc == 0 ||
	    (sep != '/' && sep != '-' && sep != '.'))
		goto shape;
	if (na == 4 && sep == '-') {
		if (nb > 2 || nc > 2)
			goto shape;
		yy = a;
		mm = bm;
		dd = c;
		dayfirst = 0;
	} else {
		if (na > 2 || nb > 2 || (nc != 2 && nc != 4))
			goto shape;
		if (nc == 2) {
			cds_say(err, errlen,
			    _("'%s': write the year with 4 digits, as in "
			      "dd/mm/yyyy"),
			    cds_show(p, n, b));
			return -1;
		}
		yy = c;
		mm = bm;
		dd = a;
	}
	if (yy < 1900 || yy > 2100) {
		cds_say(err, errlen,
		    _("'%s': the year must be between 1900 and 2100"),
		    cds_show(p, n, b));
		return -1;
	}
	if (mm < 1 || mm > 12) {
		if (dayfirst && mm > 12 && mm <= 31 && dd >= 1 &&
		    dd <= 12)
			cds_say(err, errlen,
			    _("'%s' is not a real date (there is no month "
			      "%d; the day comes first: dd/mm/yyyy)"),
			    cds_show(p, n, b), mm);
		else
			cds_say(err, errlen,
			    _("'%s' is not a real date (there is no month "
			      "%d)"),
			    cds_show(p, n, b), mm);
		return -1;
	}
	if (dd < 1) {
		cds_say(err, errlen,
		    _("'%s' is not a real date (there is no day 0)"),
		    cds_show(p, n, b));
		return -1;
	}
	if (dd > mdays(yy, mm)) {
		cds_say(err, errlen,
		    _("'%s' is not a real date (%s %d has %d days)"),
		    cds_show(p, n, b), _(months[mm - 1]), yy, mdays(yy, mm));
		return -1;
	}
	*y = yy;
	*m = mm;
	*d = dd;
	return 0;
shape:
	cds_say(err, errlen, _("'%s' is not a date: use dd/mm/yyyy or yyyy-mm-dd"),
	    cds_show(p, n, b));
	return -1;
}

/* ==== Money =========================================================== */

/* Bytes of the currency mark ending s[0..n), in any case; 0 if none. */
static size_t
mark(const char *s, size_t n)
{
	static const char *const marks[] = { "vn" DONG, "vn" DONGU, "vnd",
					     DONGSIGN,  DONG,       DONGU,
					     "d" };
	size_t i, j, k;
	char c;

	for (i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		if ((k = strlen(marks[i])) > n)
			continue;
		for (j = 0; j < k; j++) {
			c = s[n - k + j];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != marks[i][j])
				break;
		}
		if (j == k)
			return k;
	}
	return 0;
}

/* The kind of group separator at s[0..n) -- 1 '.', 2 ',', 3 a space --
 * and its length in *k; 0 if there is none. */
static int
sepkind(const char *s, size_t n, size_t *k)
{
	*k = 1;
	if (s[0] == '.')
		return 1;
	if (s[0] == ',')
		return 2;
	if (s[0] != '\t' && s[0] != '\r' && s[0] != '\n' &&
	    (*k = blank(s, n)) > 0)
		return 3;
	return 0;
}

int
cds_money_parse(const char *s, int64_t *out, char *err, size_t errlen)
{
	char b[CDS_SHOWMAX + 4];
	size_t n, m, i, k, grp = 0, ngrp = 0;
	int kind = 0, sk;
	int64_t v = 0;
	const char *p = trim(s, &n);

	*out = 0;
	if (n == 0) {
		cds_say(err, errlen, _("the amount is empty"));
		return -1;
	}
	if (p[0] == '-' || (n >= 3 && memcmp(p, "\xE2\x88\x92", 3) == 0)) {
		cds_say(err, errlen, _("'%s': the amount cannot be negative"),
		    cds_show(p, n, b));
		return -1;
	}
	m = n;
	if ((k = mark(p, m)) > 0) {
		m -= k;
		while ((k = blankend(p, m)) > 0)
			m -= k;
	}
	if (m == 0 || !isdig(p[0]))
		goto garbage;
	for (i = 0; i < m; i += k) {
		k = 1;
		if (!isdig(p[i]) && sepkind(p + i, m - i, &k) == 0)
			goto garbage;
	}
	for (i = 0; i < m; i += k) {
		k = 1;
		if (isdig(p[i])) {
			if (v <= MONEYMAX)
				v = v * 10 + (p[i] - '0');
			grp++;
			continue;
		}
		sk = sepkind(p + i, m - i, &k);
		if (kind != 0 && sk != kind) {
			cds_say(err, errlen,
			    _("'%s': use one kind of separator and no "
			      "decimals, as in 1.234.567"),
			    cds_show(p, n, b));
			return -1;
		}
		if (grp == 0 || (ngrp == 0 ? grp > 3 : grp != 3))
			goto groups;
		kind = sk;
		ngrp++;
		grp = 0;
	}
	if (kind != 0 && grp != 3)
		goto groups;
	if (v > MONEYMAX) {
		cds_say(err, errlen,
		    _("'%s' is too large (the most is "
		      "1.000.000.000.000.000 đ)"),
		    cds_show(p, n, b));
		return -1;
	}
	*out = v;
	return 0;
groups:
	cds_say(err, errlen,
	    _("'%s': separators must split the digits in groups of 3, as in "
	      "1.234.567 (no decimals)"),
	    cds_show(p, n, b));
	return -1;
garbage:
	cds_say(err, errlen,
	    _("'%s' is not an amount of money: write it as 1.234.567 or "
	      "1234567"),
	    cds_show(p, n, b));
	return -1;
}

void
cds_money_vn(int64_t v, char *buf, size_t n)
{
	char t[40];
	size_t i = sizeof t, k = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	if (buf == NULL || n == 0)
		return;
	t[--i] = '\0';
	i -= 3;
	memcpy(t + i, " " DONG, 3);
	do {
		if (k > 0 && k % 3 == 0)
			t[--i] = '.';
		t[--i] = (char)('0' + u % 10);
		u /= 10;
		k++;
	} while (u > 0);
	if (v < 0)
		t[--i] = '-';
	k = sizeof t - 1 - i;
	if (k > n - 1)
		k = n - 1;
	memcpy(buf, t + i, k);
	cut(buf, k);
}

/* ==== Yes/no and whole numbers ======================================== */

int
cds_bool_parse(const char *s, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "co" };
	static const char *const no[] = { "0", "no", "n", "false", "khong" };
	char b[CDS_SHOWMAX + 4], w[64];
	size_t n, i;
	const char *p = trim(s, &n);

	*out = 0;
	if (n == 0) {
		cds_say(err, errlen,
		    _("the yes/no value is empty: write có or không (or 1 or "
		      "0)"));
		return -1;
	}
	if (foldword(p, n, w, sizeof w) == 0) {
		for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
			if (strcmp(w, yes[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcmp(w, no[i]) == 0)
				return 0;
		}
	}
	cds_say(err, errlen,
	    _("'%s' is not yes or no: write có or không (or 1 or 0)"),
	    cds_show(p, n, b));
	return -1;
}

int
cds_int_parse(const char *s, int64_t min, int64_t max, int64_t *out,
	      char *err, size_t errlen)
{
	char b[CDS_SHOWMAX + 4];
	size_t n, i = 0;
	uint64_t u = 0, lim, dg;
	int64_t v = 0;
	int neg = 0, over = 0;
	const char *p = trim(s, &n);

	*out = 0;
	if (n == 0) {
		cds_say(err, errlen, _("the number is empty"));
		return -1;
	}
	if (p[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n)
		goto garbage;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (!isdig(p[i]))
			goto garbage;
		dg = (uint64_t)(p[i] - '0');
		if (u > (lim - dg) / 10)
			over = 1;
		else
			u = u * 10 + dg;
	}
	if (!over && neg)
		v = u > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)u;
	else if (!over)
		v = (int64_t)u;
	if (over || v < min || v > max) {
		cds_say(err, errlen,
		    _("'%s' is out of range: it must be between %lld and "
		      "%lld"),
		    cds_show(p, n, b), (long long)min, (long long)max);
		return -1;
	}
	*out = v;
	return 0;
garbage:
	cds_say(err, errlen, _("'%s' is not a whole number"), cds_show(p, n, b));
	return -1;
}
