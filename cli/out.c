/* out.c -- tables, JSON and display forms; see out.h. */
#include "out.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lang.h"

/* ==== UTF-8 ============================================================ */

/* Decodes one code point at s (which is not at its NUL); returns its
 * length in bytes (1 for a byte that is not valid UTF-8, taken as is). */
static size_t
decode(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*cp = s[0] & 0x1f;
		n = 2;
	} else if ((s[0] & 0xf0) == 0xe0) {
		*cp = s[0] & 0x0f;
		n = 3;
	} else if ((s[0] & 0xf8) == 0xf0) {
		*cp = s[0] & 0x07;
		n = 4;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

static int
combining(uint32_t c)
{
	return (c >= 0x0300 && c <= 0x036f) || (c >= 0x1ab0 && c <= 0x1aff) ||
	       (c >= 0x1dc0 && c <= 0x1dff) || (c >= 0x20d0 && c <= 0x20ff) ||
	       (c >= 0xfe20 && c <= 0xfe2f) || c == 0x200b || c == 0x200d;
}

static int
wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	       (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	       (c >= 0xffe0 && c <= 0xffe6) ||
	       (c >= 0x1f300 && c <= 0x1f64f) ||
	       (c >= 0x1f900 && c <= 0x1f9ff) ||
	       (c >= 0x20000 && c <= 0x3fffd);
}

static size_t
cpwidth(uint32_t c)
{
	if (combining(c))
		return 0;
	return wide(c) ? 2 : 1;
}

size_t
out_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;
	uint32_t c;

	while (*p) {
		p += decode(p, &c);
		w += cpwidth(c);
	}
	return w;
}

/* ==== Display forms ==================================================== */

void
out_date(const char *iso, char out[11])
{
	size_t i;

	if (iso != NULL && strlen(iso) == 10 && iso[4] == '-' &&
	    iso[7] == '-') {
		out[0] = iso[8];
		out[1] = iso[9];
		out[2] = '/';
		out[3] = iso[5];
		out[4] = iso[6];
		out[5] = '/';
		memcpy(out + 6, iso, 4);
		out[10] = '\0';
		return;
	}
	for (i = 0; iso != NULL && iso[i] && i < 10; i++)
		out[i] = iso[i];
	out[i] = '\0';
}

void
out_money(int64_t v, char *buf, size_t n)
{
	char digits[24], grouped[40];
	size_t len, i, o = 0;
	int neg = v < 0;

	snprintf(digits, sizeof digits, "%" PRIu64,
		 neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	len = strlen(digits);
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			grouped[o++] = '.';
		grouped[o++] = digits[i];
	}
	grouped[o] = '\0';
	snprintf(buf, n, "%s%s đ", neg ? "-" : "", grouped);
}

void
out_shortid(const char *hex, char out[9])
{
	size_t n = hex ? strlen(hex) : 0;

	if (n >= 8)
		memcpy(out, hex + n - 8, 8), out[8] = '\0';
	else if (n > 0)
		memcpy(out, hex, n), out[n] = '\0';
	else
		out[0] = '\0';
}

void
out_hexs(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
out_hex(const uint8_t id[16], char out[33])
{
	out_hexs(id, 16, out);
}

void
out_when(uint64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, n, "%d/%m/%Y %H:%M", &tm) == 0)
		snprintf(out, n, "?");
}

void
out_decimal(double v, char *buf, size_t n)
{
	char *dot;

	snprintf(buf, n, "%.1f", v);
	if (!lang_is_english() && (dot = strchr(buf, '.')) != NULL)
		*dot = ',';
}

/* ==== Tables =========================================================== */

struct table {
	size_t ncols;			/* columns */
	size_t nrows, cap;		/* rows including the header */
	char **cells;			/* nrows * ncols, owned */
	unsigned char *right;		/* per column: right-aligned */
	size_t *max;			/* per column: widest cell, 0: any */
};

/* A copy of s fit for one table cell: control characters as spaces, cut
 * to max columns (0: no limit) with an ellipsis. */
static char *
cellcopy(const char *s, size_t max)
{
	const unsigned char *p;
	size_t n, w = 0, len, limit;
	char *c, *o;
	uint32_t cp;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if ((c = malloc(len + sizeof "…")) == NULL)
		return NULL;
	/* Room for the ellipsis when the text does not fit. */
	if (max == 0)
		limit = SIZE_MAX;
	else
		limit = out_width(s) > max ? max - 1 : max;
	o = c;
	for (p = (const unsigned char *)s; *p; p += n) {
		n = decode(p, &cp);
		if (w + cpwidth(cp) > limit) {
			memcpy(o, "…", sizeof "…" - 1);
			o += sizeof "…" - 1;
			break;
		}
		w += cpwidth(cp);
		if (cp < 0x20 || cp == 0x7f) {
			*o++ = ' ';
		} else {
			memcpy(o, p, n);
			o += n;
		}
	}
	*o = '\0';
	return c;
}

struct table *
table_new(size_t ncols, const char *const *head)
{
	struct table *t;
	size_t i;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->ncols = ncols;
	if ((t->right = calloc(ncols, 1)) == NULL ||
	    (t->max = calloc(ncols, sizeof *t->max)) == NULL) {
		table_free(t);
		return NULL;
	}
	for (i = 0; i < ncols; i++)
		t->max[i] = OUT_CELLMAX;
	if (table_add(t, head) != 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t->max);
	free(t);
}

void
table_right(struct table *t, size_t col)
{
	if (col < t->ncols)
		t->right[col] = 1;
}

void
table_width(struct table *t, size_t col, size_t max)
{
	if (col < t->ncols)
		t->max[col] = max;
}

int
table_add(struct table *t, const char *const *cells)
{
	size_t i, base;
	char **nc;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		nc = realloc(t->cells, cap * t->ncols * sizeof *nc);
		if (nc == NULL)
			return -1;
		t->cells = nc;
		t->cap = cap;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		t->cells[base + i] = cellcopy(cells[i], t->max[i]);
		if (t->cells[base + i] == NULL) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

size_t
table_rows(const struct table *t)
{
	return t->nrows - 1;
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

/* Writes one line of the table, without trailing spaces. */
static void
line(const struct table *t, size_t r, const size_t *w, FILE *f)
{
	size_t c, gap, spaces = 0;
	const char *s;

	for (c = 0; c < t->ncols; c++) {
		s = t->cells[r * t->ncols + c];
		gap = w[c] - out_width(s);
		if (c > 0)
			spaces += 2;
		if (t->right[c] && r > 0)
			spaces += gap;
		if (*s != '\0') {
			pad(f, spaces);
			spaces = 0;
			fputs(s, f);
		}
		if (!(t->right[c] && r > 0))
			spaces += gap;
	}
	fputc('\n', f);
}

void
table_print(const struct table *t, FILE *f)
{
	size_t *w, r, c, cw;

	if ((w = calloc(t->ncols, sizeof *w)) == NULL)
		return;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if ((cw = out_width(t->cells[r * t->ncols + c])) >
			    w[c])
				w[c] = cw;
	for (r = 0; r < t->nrows; r++) {
		line(t, r, w, f);
		if (r == 0) {
			for (c = 0; c < t->ncols; c++) {
				if (c > 0)
					fputs("  ", f);
				for (cw = 0; cw < w[c]; cw++)
					fputc('-', f);
			}
			fputc('\n', f);
		}
	}
	free(w);
}

/* ==== JSON ============================================================= */

void
json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof *j);
	j->f = f;
}

static void
indent(struct json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Before any value: a comma and a new line inside a container, nothing
 * right after a key. */
static void
before(struct json *j)
{
	if (j->keyed) {
		j->keyed = 0;
		return;
	}
	if (j->depth > 0 && j->depth <= JSON_MAXDEPTH) {
		if (j->count[j->depth - 1] > 0)
			fputc(',', j->f);
		indent(j);
		j->count[j->depth - 1]++;
	}
}

static void
jopen(struct json *j, int c)
{
	before(j);
	fputc(c, j->f);
	if (j->depth < JSON_MAXDEPTH)
		j->count[j->depth] = 0;
	j->depth++;
}

static void
jclose(struct json *j, int c)
{
	int had;

	j->depth--;
	had = j->depth < JSON_MAXDEPTH ? j->count[j->depth] : 1;
	if (had)
		indent(j);
	fputc(c, j->f);
}

void
json_obj(struct json *j)
{
	jopen(j, '{');
}

void
json_obj_end(struct json *j)
{
	jclose(j, '}');
}

void
json_arr(struct json *j)
{
	jopen(j, '[');
}

void
json_arr_end(struct json *j)
{
	jclose(j, ']');
}

void
json_done(struct json *j)
{
	fputc('\n', j->f);
}

static void
string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void
json_key(struct json *j, const char *key)
{
	before(j);
	string(j->f, key);
	fputs(": ", j->f);
	j->keyed = 1;
}

void
json_str(struct json *j, const char *s)
{
	before(j);
	if (s == NULL)
		fputs("null", j->f);
	else
		string(j->f, s);
}

void
json_int(struct json *j, int64_t v)
{
	before(j);
	fprintf(j->f, "%" PRId64, v);
}

void
json_num(struct json *j, double v, int decimals)
{
	before(j);
	fprintf(j->f, "%.*f", decimals, v);
}

void
json_bool(struct json *j, int b)
{
	before(j);
	fputs(b ? "true" : "false", j->f);
}

void
json_null(struct json *j)
{
	before(j);
	fputs("null", j->f);
}
