/* text_fuzz.c -- fuzzes the parsers of client/text.h.
 *
 * The input, as a NUL-terminated copy, goes to every parser.  What one
 * accepts must survive a round trip through its writer (dates through
 * cds_date_iso and cds_date_vn, amounts through cds_money_vn, numbers
 * through printf), NFC and folding must be idempotent, and every refusal
 * must come with a reason that is non-empty, NUL-terminated, valid UTF-8
 * without control characters, even when cut to a small buffer.  The first
 * eight bytes also serve as a day number and an amount for the writers.  A
 * broken invariant aborts.  Built with -fsanitize=fuzzer, or with
 * replay.c to run over tests/fuzz/corpus/text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                          \
	do {                                                              \
		if (!(x)) {                                               \
			fprintf(stderr, "text_fuzz: %s:%d: %s\n",         \
				__FILE__, __LINE__, #x);                  \
			abort();                                          \
		}                                                         \
	} while (0)

/* A reason left in err[len] by a refusal. */
static void
reason(const char *err, size_t len)
{
	char e[CDS_ERRLEN], *o;

	CHECK(memchr(err, '\0', len) != NULL);
	CHECK(len == 1 || err[0] != '\0');
	CHECK(cds_text_nfc(err, strlen(err), &o, e, sizeof e) == 0);
	cds_free(o);
}

static int
isascii7(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* A folded key: no capital ASCII, no 'đ', no '_', '-' or blank other than
 * single inner spaces, and folding it again changes nothing. */
static void
folded(const char *f)
{
	size_t n = strlen(f), i;
	char *g;

	CHECK(n == 0 || (f[0] != ' ' && f[n - 1] != ' '));
	for (i = 0; i < n; i++) {
		CHECK(!(f[i] >= 'A' && f[i] <= 'Z'));
		CHECK(f[i] != '_' && f[i] != '-' && f[i] != '\t' &&
		      f[i] != '\r' && f[i] != '\n');
		CHECK(!(f[i] == ' ' && f[i + 1] == ' '));
		CHECK(!((unsigned char)f[i] == 0xC4 &&
			((unsigned char)f[i + 1] == 0x90 ||
			 (unsigned char)f[i + 1] == 0x91)));
		CHECK(!((unsigned char)f[i] == 0xC2 &&
			(unsigned char)f[i + 1] == 0xA0));
	}
	g = cds_text_fold(f);
	CHECK(g != NULL && strcmp(f, g) == 0);
	cds_free(g);
}

static void
text(const char *s, size_t n)
{
	char err[CDS_ERRLEN], e[CDS_ERRLEN], *o = NULL, *o2 = NULL, *f, *g;
	int r;

	memset(err, 'z', sizeof err);
	r = cds_text_nfc(s, n, &o, err, sizeof err);
	f = cds_text_fold(s);
	if (f != NULL)
		folded(f);
	if (r != 0) {
		CHECK(r == -1 && o == NULL);
		reason(err, sizeof err);
		cds_free(f);
		return;
	}
	CHECK(o != NULL);
	if (isascii7(s, n))
		CHECK(strlen(o) == n && memcmp(o, s, n) == 0);
	/* NFC of NFC is itself. */
	CHECK(cds_text_nfc(o, strlen(o), &o2, e, sizeof e) == 0);
	CHECK(strcmp(o, o2) == 0);
	/* Valid text (s has no NUL, as NFC took it) always folds, and to the
	 * same key as its NFC form. */
	CHECK(strlen(s) == n);
	CHECK(f != NULL);
	g = cds_text_fold(o);
	CHECK(g != NULL && strcmp(f, g) == 0);
	cds_free(g);
	cds_free(f);
	cds_free(o2);
	cds_free(o);
}

static void
date(const char *s, size_t errlen)
{
	char err[CDS_ERRLEN], iso[11], vn[11];
	int y, m, d, y2, m2, d2;
	int64_t days;

	memset(err, 'z', sizeof err);
	if (cds_date_parse(s, &y, &m, &d, err, errlen) != 0) {
		CHECK(y == 0 && m == 0 && d == 0);
		reason(err, errlen);
		return;
	}
	CHECK(y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 &&
	      d <= 31);
	cds_date_iso(y, m, d, iso);
	CHECK(strlen(iso) == 10);
	CHECK(cds_date_parse(iso, &y2, &m2, &d2, err, sizeof err) == 0);
	CHECK(y == y2 && m == m2 && d == d2);
	cds_date_vn(iso, vn);
	CHECK(strlen(vn) == 10 && vn[2] == '/' && vn[5] == '/');
	CHECK(cds_date_parse(vn, &y2, &m2, &d2, err, sizeof err) == 0);
	CHECK(y == y2 && m == m2 && d == d2);
	days = cds_date_days(y, m, d);
	CHECK(days >= cds_date_days(1900, 1, 1) &&
	      days <= cds_date_days(2100, 12, 31));
	cds_date_from_days(days, &y2, &m2, &d2);
	CHECK(y == y2 && m == m2 && d == d2);
}

static void
money(const char *s, size_t errlen)
{
	char err[CDS_ERRLEN], b[32];
	int64_t v, v2;

	memset(err, 'z', sizeof err);
	if (cds_money_parse(s, &v, err, errlen) != 0) {
		CHECK(v == 0);
		reason(err, errlen);
		return;
	}
	CHECK(v >= 0 && v <= INT64_C(1000000000000000));
	cds_money_vn(v, b, sizeof b);
	CHECK(cds_money_parse(b, &v2, err, sizeof err) == 0 && v == v2);
}

static void
yesno(const char *s, size_t errlen)
{
	char err[CDS_ERRLEN];
	int b;

	memset(err, 'z', sizeof err);
	if (cds_bool_parse(s, &b, err, errlen) != 0) {
		CHECK(b == 0);
		reason(err, errlen);
		return;
	}
	CHECK(b == 0 || b == 1);
}

static void
whole(const char *s, int64_t min, int64_t max, size_t errlen)
{
	char err[CDS_ERRLEN], b[32];
	int64_t v, v2;

	memset(err, 'z', sizeof err);
	if (cds_int_parse(s, min, max, &v, err, errlen) != 0) {
		CHECK(v == 0);
		reason(err, errlen);
		return;
	}
	CHECK(v >= min && v <= max);
	snprintf(b, sizeof b, "%lld", (long long)v);
	CHECK(cds_int_parse(b, min, max, &v2, err, sizeof err) == 0);
	CHECK(v == v2);
}

/* The writers, on a number taken from the input. */
static void
writers(int64_t x, const char *s, size_t cut)
{
	char b[32], c[32], vn[11], e[CDS_ERRLEN], *o;
	int y, m, d;
	int64_t v;

	cds_money_vn(x, b, sizeof b);
	CHECK(strlen(b) < sizeof b);
	if (x >= 0 && x <= INT64_C(1000000000000000))
		CHECK(cds_money_parse(b, &v, e, sizeof e) == 0 && v == x);
	/* A short buffer gets a prefix, cut between characters. */
	cds_money_vn(x, c, cut);
	CHECK(strlen(c) < cut && strncmp(b, c, strlen(c)) == 0);
	CHECK(cds_text_nfc(c, strlen(c), &o, e, sizeof e) == 0);
	cds_free(o);

	cds_date_from_days(x, &y, &m, &d);
	CHECK(m >= 1 && m <= 12 && d >= 1 && d <= 31);
	if (x >= -(INT64_C(1) << 39) && x <= (INT64_C(1) << 39))
		CHECK(cds_date_days(y, m, d) == x);
	(void)cds_date_days((int)x, (int)(x >> 32), (int)(x >> 16));

	cds_date_vn(s, vn);
	CHECK(strlen(vn) <= 10);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	uint64_t u = 0;
	size_t i, errlen;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < size && i < 8; i++)
		u = u << 8 | data[i];
	/* Reasons in a full buffer, and in one of 1..64 bytes. */
	errlen = 1 + (size_t)(u % 64);

	text(s, size);
	date(s, CDS_ERRLEN);
	date(s, errlen);
	money(s, CDS_ERRLEN);
	money(s, errlen);
	yesno(s, CDS_ERRLEN);
	yesno(s, errlen);
	whole(s, INT64_MIN, INT64_MAX, CDS_ERRLEN);
	whole(s, -100, 100, errlen);
	whole(s, 1900, 2100, CDS_ERRLEN);
	whole(s, (int64_t)(u >> 1) - INT64_C(0x3fffffffffffffff),
	      (int64_t)(u >> 1), CDS_ERRLEN);
	writers((int64_t)u, s, 1 + (size_t)(u % 32));
	free(s);
	return 0;
}
