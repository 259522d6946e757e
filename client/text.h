/* text.h -- the values people type: Unicode text, dates, money, yes/no.
 *
 * Contract: every parser takes a NUL-terminated string, ignores leading
 * and trailing blanks (space, TAB, CR, LF and the no-break spaces U+00A0
 * and U+202F that spreadsheets write), and on failure returns -1, sets its
 * outputs to 0 and writes a short reason to err[errlen]; on success
 * returns 0.  Reasons are msgids of the "cdsync" gettext domain passed
 * through _(), so they are English unless the program chose Vietnamese;
 * they quote the offending value (at most 40 bytes, then "...", control
 * characters as '?'), are cut to errlen without splitting a UTF-8
 * character, and err may be NULL when errlen is 0.  Nothing here keeps
 * state; every function is thread-safe.  Allocation goes through
 * protocol/alloc.h.
 */
#ifndef CDS_TEXT_H
#define CDS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define CDS_ERRLEN 256

/* Writes a reason to err[errlen] (nothing if err is NULL), cut short on a
 * UTF-8 character boundary.  Shared by every parser's messages. */
void cds_say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* s[0..n) made fit to quote in a reason: on one line (control characters
 * as '?', line breaks as spaces), at most CDS_SHOWMAX bytes and then
 * "...", never half a UTF-8 character.  Returns buf. */
#define CDS_SHOWMAX 40
const char *cds_show(const char *s, size_t n, char buf[CDS_SHOWMAX + 4]);

/* Checks that s[0..len) is valid UTF-8 with no NUL and no control
 * characters other than TAB, LF and CR (C0, DEL and C1 are refused), and
 * returns its NFC form in *out (NUL-terminated, freed with cds_free).
 * Pure ASCII is copied as is.  Blanks are kept.  Returns 0; -1 on bad
 * text; -2 when out of memory (err says "out of memory").  *out is NULL
 * on failure. */
int cds_text_nfc(const char *s, size_t len, char **out, char *err,
		 size_t errlen);

/* A key for matching words people write differently: NFC, Unicode case
 * folding, diacritics removed, 'đ' and 'Đ' as 'd', runs of blanks (as
 * above), '_' and '-' as one space, trimmed.  "Họ và tên" and
 * "HO  VA TEN" give "ho va ten".  Control characters are kept.  Returns
 * a string freed with cds_free, or NULL on invalid UTF-8 or no memory. */
char *cds_text_fold(const char *s);
/* The same into *out (NULL on failure): 0, -1 for invalid UTF-8 (or s
 * NULL), -2 for no memory. */
int cds_text_fold_to(const char *s, char **out);

/* Dates: "dd/mm/yyyy", "d/m/yyyy", "dd-mm-yyyy", "dd.mm.yyyy" or
 * "yyyy-mm-dd"; day and month may have one digit in every form, the year
 * must have four; years 1900..2100; a real calendar day (leap years). */
int cds_date_parse(const char *s, int *y, int *m, int *d, char *err,
		   size_t errlen);
/* out[11]: "YYYY-MM-DD"; values too wide for it are clamped. */
void cds_date_iso(int y, int m, int d, char out[11]);
/* out[11]: "dd/mm/yyyy" from an ISO date string; copies iso as-is if it is
 * not one (a real "YYYY-MM-DD" day), cut to 10 bytes between characters. */
void cds_date_vn(const char *iso, char out[11]);
/* Days since 1970-01-01 (may be negative) in the proleptic Gregorian
 * calendar, and back; cds_date_from_days clamps days to +-2^39. */
int64_t cds_date_days(int y, int m, int d);
void cds_date_from_days(int64_t days, int *y, int *m, int *d);

/* Money in whole VND: "1234567", "1.234.567", "1,234,567", "1 234 567"
 * (or no-break spaces), optionally followed by "đ", "₫", "d", "vnd" or
 * "vnđ" in any case, with or without a space before.  Group separators
 * must split digits in threes, all of one kind: "1.500" is 1500 while
 * "1.5", "1.50" and "1.234,50" are refused.  Negative amounts, fractions
 * and amounts above 10^15 (10^15 itself is fine) are refused. */
int cds_money_parse(const char *s, int64_t *out, char *err, size_t errlen);
/* "1.234.567 đ", "0 đ" ("-1.500 đ" for a negative v); buf of at least
 * 32 bytes, a shorter one gets a prefix cut between characters. */
void cds_money_vn(int64_t v, char *buf, size_t n);

/* yes/no: 1/0, yes/no, y/n, true/false, có/không (any case, with or
 * without diacritics, NFC or NFD) give 1/0.  "x" and "" are refused. */
int cds_bool_parse(const char *s, int *out, char *err, size_t errlen);

/* A whole number in [min, max]: digits with an optional leading '-'. */
int cds_int_parse(const char *s, int64_t min, int64_t max, int64_t *out,
		  char *err, size_t errlen);

#endif
