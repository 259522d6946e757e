/* out.h -- what the CLI prints: aligned tables, JSON, and the display
 * forms of dates, money and ids.
 *
 * Tables: cells are UTF-8; a cell's width is its number of code points
 * (text is stored NFC, so a precomposed Vietnamese letter is one column),
 * combining marks count 0 and East Asian wide characters 2.  Control
 * characters in a cell print as spaces; cells longer than OUT_CELLMAX
 * columns are cut with "…".  Columns are separated by two spaces, the
 * header is underlined with dashes, the last column is not padded.
 *
 * JSON: a streaming writer with two-space indentation.  Strings are
 * escaped as RFC 8259 asks (quote, backslash, every control character);
 * other UTF-8 passes through.  Keys are English and never translated.
 *
 * Nothing here allocates except struct table; table_free(NULL) is a
 * no-op.  Not thread-safe (one writer per FILE).
 */
#ifndef CLI_OUT_H
#define CLI_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OUT_CELLMAX 40		/* widest cell in a table, in columns */

/* ==== Display forms ==================================================== */

/* Columns taken on a terminal by the UTF-8 string s. */
size_t out_width(const char *s);
/* "YYYY-MM-DD" -> "dd/mm/yyyy"; anything else is copied (cut to 10). */
void out_date(const char *iso, char out[11]);
/* 1234567 -> "1.234.567 đ"; buf of at least 32 bytes. */
void out_money(int64_t v, char *buf, size_t n);
/* The short form of a 32-hex id: its last 8 digits. */
void out_shortid(const char *hex, char out[9]);
/* Hex of 16 bytes: out[33]. */
void out_hex(const uint8_t id[16], char out[33]);
/* The n bytes at p in lower-case hex, into out[2n + 1]. */
void out_hexs(const uint8_t *p, size_t n, char *out);
/* A moment (ms since the epoch) as local "dd/mm/yyyy HH:MM" ("?" when it
 * cannot be written). */
void out_when(uint64_t ms, char *out, size_t n);
/* A number with one decimal, with the decimal mark of the language
 * ("90.5" in English, "90,5" in Vietnamese). */
void out_decimal(double v, char *buf, size_t n);

/* ==== Tables =========================================================== */

struct table;

/* A table of ncols columns whose first row (the header) is `head`.
 * NULL when out of memory. */
struct table *table_new(size_t ncols, const char *const *head);
void table_free(struct table *t);
/* Right-aligns column col (numbers, money). */
void table_right(struct table *t, size_t col);
/* Cuts the cells of column col at max columns instead of OUT_CELLMAX
 * (0: never); for rows added after the call. */
void table_width(struct table *t, size_t col, size_t max);
/* Adds a row of ncols cells (copied; NULL prints as empty).  0, or -1
 * when out of memory. */
int table_add(struct table *t, const char *const *cells);
/* Rows added, not counting the header. */
size_t table_rows(const struct table *t);
void table_print(const struct table *t, FILE *f);

/* ==== JSON ============================================================= */

#define JSON_MAXDEPTH 16

struct json {
	FILE *f;			/* where to write */
	int depth;			/* open objects and arrays */
	int count[JSON_MAXDEPTH];	/* values written at each depth */
	int keyed;			/* a key was just written */
};

void json_init(struct json *j, FILE *f);
void json_obj(struct json *j);		/* { */
void json_obj_end(struct json *j);	/* } */
void json_arr(struct json *j);		/* [ */
void json_arr_end(struct json *j);	/* ] */
/* Finishes the document with a newline. */
void json_done(struct json *j);
void json_key(struct json *j, const char *key);
/* A string, or null when s is NULL. */
void json_str(struct json *j, const char *s);
void json_int(struct json *j, int64_t v);
/* A number with `decimals` digits after the point. */
void json_num(struct json *j, double v, int decimals);
void json_bool(struct json *j, int b);
void json_null(struct json *j);

#endif
