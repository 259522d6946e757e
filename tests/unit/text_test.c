/* text_test.c -- client/text.c: Unicode text, dates, money, yes/no, whole
 * numbers.  Run with LANG=en: the reasons are compared word for word.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "text.h"

/* "Nguyễn Thị Hồng Nhung", decomposed (NFD) and precomposed (NFC). */
#define NAME_NFD                                                          \
	"Nguye\xCC\x82\xCC\x83n Thi\xCC\xA3 Ho\xCC\x82\xCC\x80ng Nhung"
#define NAME_NFC "Nguy\xE1\xBB\x85n Th\xE1\xBB\x8B H\xE1\xBB\x93ng Nhung"

/* ==== Helpers ========================================================= */

static void
nfc_is(const char *s, size_t len, const char *want)
{
	char err[CDS_ERRLEN] = "", *out = (char *)"unset";

	assert_int_equal(cds_text_nfc(s, len, &out, err, sizeof err), 0);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_string_equal(err, "");
	cds_free(out);
}

static void
nfc_bad(const char *s, size_t len, const char *why)
{
	char err[CDS_ERRLEN] = "", *out = (char *)"unset";

	assert_int_equal(cds_text_nfc(s, len, &out, err, sizeof err), -1);
	assert_null(out);
	assert_string_equal(err, why);
}

static void
fold_is(const char *s, const char *want)
{
	char *f = cds_text_fold(s);

	assert_non_null(f);
	assert_string_equal(f, want);
	cds_free(f);
}

static void
date_ok(const char *s, int y, int m, int d)
{
	char err[CDS_ERRLEN] = "";
	int yy = -1, mm = -1, dd = -1;

	assert_int_equal(cds_date_parse(s, &yy, &mm, &dd, err, sizeof err),
			 0);
	assert_int_equal(yy, y);
	assert_int_equal(mm, m);
	assert_int_equal(dd, d);
}

static void
date_bad(const char *s, const char *why)
{
	char err[CDS_ERRLEN] = "";
	int yy = -1, mm = -1, dd = -1;

	assert_int_equal(cds_date_parse(s, &yy, &mm, &dd, err, sizeof err),
			 -1);
	assert_string_equal(err, why);
	assert_int_equal(yy, 0);
	assert_int_equal(mm, 0);
	assert_int_equal(dd, 0);
}

static void
money_ok(const char *s, int64_t want)
{
	char err[CDS_ERRLEN] = "";
	int64_t v = -1;

	assert_int_equal(cds_money_parse(s, &v, err, sizeof err), 0);
	assert_int_equal(v, want);
}

static void
money_bad(const char *s, const char *why)
{
	char err[CDS_ERRLEN] = "";
	int64_t v = -1;

	assert_int_equal(cds_money_parse(s, &v, err, sizeof err), -1);
	assert_string_equal(err, why);
	assert_int_equal(v, 0);
}

static void
bool_is(const char *s, int want)
{
	char err[CDS_ERRLEN] = "";
	int b = -1;

	assert_int_equal(cds_bool_parse(s, &b, err, sizeof err), 0);
	assert_int_equal(b, want);
}

static void
bool_bad(const char *s, const char *why)
{
	char err[CDS_ERRLEN] = "";
	int b = -1;

	assert_int_equal(cds_bool_parse(s, &b, err, sizeof err), -1);
	assert_string_equal(err, why);
	assert_int_equal(b, 0);
}

static void
int_ok(const char *s, int64_t min, int64_t max, int64_t want)
{
	char err[CDS_ERRLEN] = "";
	int64_t v = -1;

	assert_int_equal(cds_int_parse(s, min, max, &v, err, sizeof err), 0);
	assert_int_equal(v, want);
}

static void
int_bad(const char *s, int64_t min, int64_t max, const char *why)
{
	char err[CDS_ERRLEN] = "";
	int64_t v = -1;

	assert_int_equal(cds_int_parse(s, min, max, &v, err, sizeof err), -1);
	assert_string_equal(err, why);
	assert_int_equal(v, 0);
}

/* ==== Unicode text ==================================================== */

static void
test_nfc_composes_a_decomposed_vietnamese_name(void **state)
{
	(void)state;
	assert_string_not_equal(NAME_NFD, NAME_NFC);
	nfc_is(NAME_NFD, strlen(NAME_NFD), NAME_NFC);
	nfc_is(NAME_NFC, strlen(NAME_NFC), NAME_NFC);
}

static void
test_nfc_copies_ascii_text_unchanged(void **state)
{
	(void)state;
	nfc_is("Tran Van An", 11, "Tran Van An");
	nfc_is("", 0, "");
	nfc_is("a\tb\r\nc", 6, "a\tb\r\nc");
}

static void
test_nfc_reads_only_len_bytes(void **state)
{
	(void)state;
	nfc_is("abcdef", 3, "abc");
	nfc_is(NAME_NFD "xyz", strlen(NAME_NFD), NAME_NFC);
}

static void
test_nfc_refuses_invalid_utf8(void **state)
{
	(void)state;
	nfc_bad("ab\xC4", 3,
		"the text is not valid UTF-8 (bad byte 0xC4 at character 3)");
	nfc_bad("\x80", 1,
		"the text is not valid UTF-8 (bad byte 0x80 at character 1)");
	nfc_bad("x\xC0\x80", 3, /* overlong NUL */
		"the text is not valid UTF-8 (bad byte 0xC0 at character 2)");
	nfc_bad("\xED\xA0\x80", 3, /* surrogate */
		"the text is not valid UTF-8 (bad byte 0xED at character 1)");
	nfc_bad("\xF4\x90\x80\x80", 4, /* above U+10FFFF */
		"the text is not valid UTF-8 (bad byte 0xF4 at character 1)");
	nfc_bad("Ho\xE0 t\xEAn", 7, /* Windows-1258 */
		"the text is not valid UTF-8 (bad byte 0xE0 at character 3)");
	/* The position counts characters, not bytes. */
	nfc_bad("\xC4\x91\xC4\x91\xFF", 5,
		"the text is not valid UTF-8 (bad byte 0xFF at character 3)");
}

static void
test_nfc_refuses_control_characters(void **state)
{
	(void)state;
	nfc_bad("a\x01", 2,
		"the text contains an invisible control character (U+0001) at "
		"character 2");
	nfc_bad("ab\0c", 4,
		"the text contains an invisible control character (U+0000) at "
		"character 3");
	nfc_bad("\x7F", 1,
		"the text contains an invisible control character (U+007F) at "
		"character 1");
	nfc_bad("\xC4\x91\xC2\x85", 4,
		"the text contains an invisible control character (U+0085) at "
		"character 2");
	nfc_bad("\x1B[31m", 5,
		"the text contains an invisible control character (U+001B) at "
		"character 1");
}

static void
test_nfc_reports_no_memory_apart_from_bad_text(void **state)
{
	char err[CDS_ERRLEN] = "", *out = (char *)"unset";

	(void)state;
	cds_alloc_fail_after(0);
	assert_int_equal(cds_text_nfc("abc", 3, &out, err, sizeof err), -2);
	assert_null(out);
	assert_string_equal(err, "out of memory");
	out = (char *)"unset";
	err[0] = '\0';
	assert_int_equal(cds_text_nfc(NAME_NFD, strlen(NAME_NFD), &out, err,
				      sizeof err),
			 -2);
	assert_null(out);
	assert_string_equal(err, "out of memory");
	cds_alloc_fail_after(-1);
}

static void
test_fold_removes_case_and_diacritics(void **state)
{
	(void)state;
	fold_is("Họ và tên", "ho va ten");
	fold_is("HO  VA TEN", "ho va ten");
	fold_is("HỌ VÀ TÊN", "ho va ten");
	fold_is("Giới tính", "gioi tinh");
	fold_is("Năm sinh", "nam sinh");
	fold_is("Công việc", "cong viec");
	fold_is("Mã", "ma");
}

static void
test_fold_writes_dong_letter_as_d(void **state)
{
	(void)state;
	fold_is("Đoàn", "doan");
	fold_is("đoàn", "doan");
	fold_is("CÔNG ĐOÀN", "cong doan");
}

static void
test_fold_makes_one_space_of_blanks_underscores_dashes(void **state)
{
	(void)state;
	fold_is("  ho_va--ten  ", "ho va ten");
	fold_is("ho _-_ va\t\tten\r\n", "ho va ten");
	fold_is("Họ\xC2\xA0và\xC2\xA0tên", "ho va ten");
	fold_is("__--  ", "");
	fold_is("", "");
}

static void
test_fold_gives_the_same_key_to_nfc_and_nfd(void **state)
{
	(void)state;
	fold_is(NAME_NFD, "nguyen thi hong nhung");
	fold_is(NAME_NFC, "nguyen thi hong nhung");
}

static void
test_fold_returns_null_for_invalid_utf8_or_no_memory(void **state)
{
	(void)state;
	assert_null(cds_text_fold("Ho\xE0 t\xEAn"));
	assert_null(cds_text_fold("\xC4"));
	assert_null(cds_text_fold(NULL));
	cds_alloc_fail_after(0);
	assert_null(cds_text_fold("abc"));
	assert_null(cds_text_fold("Họ và tên"));
	cds_alloc_fail_after(-1);
}

/* ==== Dates =========================================================== */

static void
test_date_parse_accepts_every_documented_form(void **state)
{
	(void)state;
	date_ok("05/03/2025", 2025, 3, 5);
	date_ok("5/3/2025", 2025, 3, 5);
	date_ok("05/3/2025", 2025, 3, 5);
	date_ok("5/03/2025", 2025, 3, 5);
	date_ok("05-03-2025", 2025, 3, 5);
	date_ok("5-3-2025", 2025, 3, 5);
	date_ok("05.03.2025", 2025, 3, 5);
	date_ok("5.3.2025", 2025, 3, 5);
	date_ok("2025-03-05", 2025, 3, 5);
	date_ok("2025-3-5", 2025, 3, 5);
	date_ok("31/12/2025", 2025, 12, 31);
}

static void
test_date_parse_ignores_blanks_around_the_date(void **state)
{
	(void)state;
	date_ok("  05/03/2025\t", 2025, 3, 5);
	date_ok("\xC2\xA0" "2025-03-05 \r\n", 2025, 3, 5);
	date_bad("05 /03/2025",
		 "'05 /03/2025' is not a date: use dd/mm/yyyy or yyyy-mm-dd");
}

static void
test_date_parse_knows_february_29_of_leap_years(void **state)
{
	(void)state;
	date_ok("29/02/2024", 2024, 2, 29);
	date_ok("2000-02-29", 2000, 2, 29);
	date_bad("29/02/2025", "'29/02/2025' is not a real date (February "
			       "2025 has 28 days)");
	date_bad("29/02/1900", "'29/02/1900' is not a real date (February "
			       "1900 has 28 days)");
	date_bad("30/02/2024", "'30/02/2024' is not a real date (February "
			       "2024 has 29 days)");
	date_bad("31/02/2025", "'31/02/2025' is not a real date (February "
			       "2025 has 28 days)");
	date_bad("2100-02-29", "'2100-02-29' is not a real date (February "
			       "2100 has 28 days)");
}

static void
test_date_parse_refuses_days_a_month_does_not_have(void **state)
{
	(void)state;
	date_bad("31/04/2025",
		 "'31/04/2025' is not a real date (April 2025 has 30 days)");
	date_bad("2025-11-31", "'2025-11-31' is not a real date (November "
			       "2025 has 30 days)");
	date_bad("32/01/2025",
		 "'32/01/2025' is not a real date (January 2025 has 31 days)");
	date_bad("00/05/2025",
		 "'00/05/2025' is not a real date (there is no day 0)");
	date_bad("2025-05-00",
		 "'2025-05-00' is not a real date (there is no day 0)");
}

static void
test_date_parse_refuses_month_0_and_month_13(void **state)
{
	(void)state;
	date_bad("13/13/2025",
		 "'13/13/2025' is not a real date (there is no month 13)");
	date_bad("2025-13-01",
		 "'2025-13-01' is not a real date (there is no month 13)");
	date_bad("01/00/2025",
		 "'01/00/2025' is not a real date (there is no month 0)");
	/* Month first, as American spreadsheets write it. */
	date_bad("3/25/2025", "'3/25/2025' is not a real date (there is no "
			      "month 25; the day comes first: dd/mm/yyyy)");
}

static void
test_date_parse_keeps_years_between_1900_and_2100(void **state)
{
	(void)state;
	date_ok("01/01/1900", 1900, 1, 1);
	date_ok("2100-12-31", 2100, 12, 31);
	date_bad("31/12/1899",
		 "'31/12/1899': the year must be between 1900 and 2100");
	date_bad("2101-01-01",
		 "'2101-01-01': the year must be between 1900 and 2100");
	date_bad("01/01/0000",
		 "'01/01/0000': the year must be between 1900 and 2100");
	date_bad("05/03/25",
		 "'05/03/25': write the year with 4 digits, as in dd/mm/yyyy");
}

static void
test_date_parse_refuses_other_shapes(void **state)
{
	static const char *const bad[] = {
		"abc",	      "2025/03/05",	    "2025.03.05",
		"05/03-2025", "5/3/2025 10:00",     "1/2/3/2025",
		"05//2025",   "005/03/2025",	    "2025-003-05",
		"+5/3/2025",  "05/03/20255",	    "05/03/202",
		"5 March 2025", "45721",	    "05/03/2025.",
		"/03/2025",   "05/03/",		    "2025-03",
		"-5/3/2025",  "\xEF\xBC\x95/3/2025" /* fullwidth 5 */,
	};
	char want[CDS_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(want, sizeof want,
			 "'%s' is not a date: use dd/mm/yyyy or yyyy-mm-dd",
			 bad[i]);
		date_bad(bad[i], want);
	}
	date_bad("", "the date is empty: use dd/mm/yyyy or yyyy-mm-dd");
	date_bad("   ", "the date is empty: use dd/mm/yyyy or yyyy-mm-dd");
	date_bad(NULL, "the date is empty: use dd/mm/yyyy or yyyy-mm-dd");
}

static void
test_date_parse_quotes_long_or_odd_values_cut_short(void **state)
{
	char s[100];

	(void)state;
	memset(s, 'x', 99);
	s[99] = '\0';
	date_bad(s, "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is not a "
		    "date: use dd/mm/yyyy or yyyy-mm-dd");
	/* 'đ' is two bytes: the quote stops before the one that would pass
	 * 40 bytes rather than in the middle of it. */
	date_bad("x\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91"
		 "\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91"
		 "\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91",
		 "'x\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91"
		 "\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91"
		 "\xC4\x91\xC4\x91\xC4\x91\xC4\x91\xC4\x91...' is not a "
		 "date: use dd/mm/yyyy or yyyy-mm-dd");
	date_bad("1\x01/2\xFF/2025",
		 "'1?/2?/2025' is not a date: use dd/mm/yyyy or yyyy-mm-dd");
}

static void
test_date_iso_and_date_vn_write_both_forms(void **state)
{
	char out[11];

	(void)state;
	cds_date_iso(2025, 3, 5, out);
	assert_string_equal(out, "2025-03-05");
	cds_date_iso(1900, 12, 31, out);
	assert_string_equal(out, "1900-12-31");
	cds_date_vn("2025-03-05", out);
	assert_string_equal(out, "05/03/2025");
	cds_date_vn("2024-02-29", out);
	assert_string_equal(out, "29/02/2024");
}

static void
test_date_vn_copies_what_is_not_an_iso_date(void **state)
{
	char out[11];

	(void)state;
	cds_date_vn("", out);
	assert_string_equal(out, "");
	cds_date_vn("05/03/2025", out);
	assert_string_equal(out, "05/03/2025");
	cds_date_vn("2025-02-30", out);
	assert_string_equal(out, "2025-02-30");
	cds_date_vn("2025-3-5", out);
	assert_string_equal(out, "2025-3-5");
	cds_date_vn("not a date at all", out);
	assert_string_equal(out, "not a date");
	cds_date_vn("2025-03-05x", out);
	assert_string_equal(out, "2025-03-05");
	/* Cut to 10 bytes, but not inside the 'đ' at bytes 10 and 11. */
	cds_date_vn("abcdefghi\xC4\x91", out);
	assert_string_equal(out, "abcdefghi");
	cds_date_vn("abcdefgh\xC4\x91", out);
	assert_string_equal(out, "abcdefgh\xC4\x91");
	cds_date_vn(NULL, out);
	assert_string_equal(out, "");
}

static void
test_date_days_counts_from_1970_01_01(void **state)
{
	(void)state;
	assert_int_equal(cds_date_days(1970, 1, 1), 0);
	assert_int_equal(cds_date_days(1969, 12, 31), -1);
	assert_int_equal(cds_date_days(1900, 1, 1), -25567);
	assert_int_equal(cds_date_days(2000, 3, 1), 11017);
	assert_int_equal(cds_date_days(2024, 2, 29), 19782);
	assert_int_equal(cds_date_days(2100, 12, 31), 47846);
}

static void
test_date_from_days_gives_back_every_day_from_1900_to_2100(void **state)
{
	int64_t n, first = cds_date_days(1900, 1, 1);
	int y = 1900, m = 1, d = 1, yy, mm, dd;
	static const int len[] = { 31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31 };

	(void)state;
	for (n = first; y <= 2100; n++) {
		cds_date_from_days(n, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d)
			fail_msg("day %lld: %d-%d-%d, want %d-%d-%d",
				 (long long)n, yy, mm, dd, y, m, d);
		assert_int_equal(cds_date_days(y, m, d), n);
		if (++d > len[m - 1] +
			      (m == 2 && y % 4 == 0 &&
			       (y % 100 != 0 || y % 400 == 0))) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_int_equal(n - first, 73414); /* 201 years */
}

/* ==== Money =========================================================== */

static void
test_money_parse_accepts_every_group_separator(void **state)
{
	(void)state;
	money_ok("1234567", 1234567);
	money_ok("1.234.567", 1234567);
	money_ok("1,234,567", 1234567);
	money_ok("1 234 567", 1234567);
	money_ok("1\xC2\xA0" "234\xC2\xA0" "567", 1234567);
	money_ok("1\xE2\x80\xAF" "234\xE2\x80\xAF" "567", 1234567);
	money_ok("0", 0);
	money_ok("000", 0);
	money_ok("999", 999);
	money_ok("  50.000  ", 50000);
}

static void
test_money_parse_reads_a_dot_as_a_thousands_separator(void **state)
{
	(void)state;
	money_ok("1.500", 1500);
	money_ok("1,500", 1500);
	money_ok("12.500.000", 12500000);
}

static void
test_money_parse_accepts_every_currency_mark(void **state)
{
	static const char *const marks[] = {
		"\xC4\x91", "\xC4\x90", "\xE2\x82\xAB", "d",   "D",
		"vnd",	    "VND",	"Vnd",		"vn\xC4\x91",
		"VN\xC4\x90", "vN\xC4\x90",
	};
	char s[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		snprintf(s, sizeof s, "1.500.000%s", marks[i]);
		money_ok(s, 1500000);
		snprintf(s, sizeof s, "1.500.000 %s", marks[i]);
		money_ok(s, 1500000);
		snprintf(s, sizeof s, "1500000\xC2\xA0%s ", marks[i]);
		money_ok(s, 1500000);
	}
}

static void
test_money_parse_refuses_groups_not_of_three_digits(void **state)
{
	static const char *const bad[] = {
		"1.5",	    "1.50",	  "1,5",       "1500.00",
		"1234.567", "1.2345",	  "1.234.56",  "1..234",
		"1.234.",   "1 234  567", "1,234,5678",
	};
	char want[CDS_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(want, sizeof want,
			 "'%s': separators must split the digits in groups "
			 "of 3, as in 1.234.567 (no decimals)",
			 bad[i]);
		money_bad(bad[i], want);
	}
}

static void
test_money_parse_refuses_mixed_separators(void **state)
{
	(void)state;
	money_bad("1.234,50", "'1.234,50': use one kind of separator and no "
			      "decimals, as in 1.234.567");
	money_bad("1,234.567", "'1,234.567': use one kind of separator and "
			       "no decimals, as in 1.234.567");
	money_bad("1 234.567", "'1 234.567': use one kind of separator and "
			       "no decimals, as in 1.234.567");
}

static void
test_money_parse_refuses_negative_amounts(void **state)
{
	(void)state;
	money_bad("-5", "'-5': the amount cannot be negative");
	money_bad(" -1.000 đ", "'-1.000 đ': the amount cannot be negative");
	money_bad("\xE2\x88\x92" "500", /* U+2212 minus sign */
		  "'\xE2\x88\x92" "500': the amount cannot be negative");
}

static void
test_money_parse_refuses_amounts_above_10_to_the_15(void **state)
{
	(void)state;
	money_ok("1.000.000.000.000.000", INT64_C(1000000000000000));
	money_ok("999999999999999 đ", INT64_C(999999999999999));
	money_bad("1.000.000.000.000.001",
		  "'1.000.000.000.000.001' is too large (the most is "
		  "1.000.000.000.000.000 đ)");
	money_bad("99999999999999999999999999",
		  "'99999999999999999999999999' is too large (the most is "
		  "1.000.000.000.000.000 đ)");
}

static void
test_money_parse_refuses_empty_and_garbage(void **state)
{
	static const char *const bad[] = {
		"abc",	 "\xC4\x91", "vnd", "12abc",	"+5",	".500",
		",500",	 "5 USD",    "$5",  "1.234 đồng", "5đ đ",
		"5 d d", "1e6",	     "0x10",
	};
	char want[CDS_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(want, sizeof want,
			 "'%s' is not an amount of money: write it as "
			 "1.234.567 or 1234567",
			 bad[i]);
		money_bad(bad[i], want);
	}
	money_bad("", "the amount is empty");
	money_bad(" \t ", "the amount is empty");
	money_bad(NULL, "the amount is empty");
}

static void
test_money_vn_groups_digits_by_three_and_adds_dong(void **state)
{
	char b[32];

	(void)state;
	cds_money_vn(0, b, sizeof b);
	assert_string_equal(b, "0 đ");
	cds_money_vn(999, b, sizeof b);
	assert_string_equal(b, "999 đ");
	cds_money_vn(1000, b, sizeof b);
	assert_string_equal(b, "1.000 đ");
	cds_money_vn(1234567, b, sizeof b);
	assert_string_equal(b, "1.234.567 đ");
	cds_money_vn(INT64_C(1000000000000000), b, sizeof b);
	assert_string_equal(b, "1.000.000.000.000.000 đ");
	cds_money_vn(-1500, b, sizeof b);
	assert_string_equal(b, "-1.500 đ");
	cds_money_vn(INT64_MIN, b, sizeof b);
	assert_string_equal(b, "-9.223.372.036.854.775.808 đ");
}

static void
test_money_vn_cuts_a_short_buffer_between_characters(void **state)
{
	char b[8];

	(void)state;
	memset(b, 'z', sizeof b);
	cds_money_vn(0, b, 4); /* "0 " + half of 'đ' */
	assert_string_equal(b, "0 ");
	cds_money_vn(0, b, 5);
	assert_string_equal(b, "0 đ");
	cds_money_vn(1234567, b, 4);
	assert_string_equal(b, "1.2");
	b[0] = 'z';
	cds_money_vn(1, b, 0);
	assert_int_equal(b[0], 'z');
}

static void
test_money_vn_output_parses_back(void **state)
{
	static const int64_t v[] = { 0, 1, 999, 1000, 1500, 1234567,
				     INT64_C(1000000000000000) };
	char b[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		cds_money_vn(v[i], b, sizeof b);
		money_ok(b, v[i]);
	}
}

/* ==== Yes/no and whole numbers ======================================== */

static void
test_bool_parse_accepts_every_form_in_any_case(void **state)
{
	static const char *const yes[] = {
		"1",   "yes",	  "YES", "Yes",		"y",  "Y",
		"true", "TRUE",	  "có",  "Có",		"CÓ", "co",
		"CO",  "co\xCC\x81" /* NFD */, " có ",
	};
	static const char *const no[] = {
		"0",	 "no",	  "NO",	   "n",	    "N",
		"false", "False", "không", "Không", "KHÔNG",
		"khong", "KHONG", "kho\xCC\x82ng" /* NFD */,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
		bool_is(yes[i], 1);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		bool_is(no[i], 0);
}

static void
test_bool_parse_refuses_x_empty_and_other_words(void **state)
{
	static const char *const bad[] = {
		"x",   "X",	"2",	  "-1",	 "yess", "c",  "k",
		"có không", "true false", "ok", "\xC4", "01", "y e s",
		"_1", "y-es", "co\xC2\xA0khong",
		"khôngggggggggggggggggggggggggggggggggggggggggggg",
	};
	char want[CDS_ERRLEN], q[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(q, sizeof q, "%s", bad[i]);
		if (strlen(q) > 40)
			memcpy(q + 40, "...", 4);
		if (strcmp(q, "\xC4") == 0)
			q[0] = '?';
		snprintf(want, sizeof want,
			 "'%s' is not yes or no: write có or không (or 1 or "
			 "0)",
			 q);
		bool_bad(bad[i], want);
	}
	bool_bad("", "the yes/no value is empty: write có or không (or 1 or "
		     "0)");
	bool_bad("  ", "the yes/no value is empty: write có or không (or 1 "
		       "or 0)");
}

static void
test_int_parse_accepts_whole_numbers_in_range(void **state)
{
	(void)state;
	int_ok("1985", 1900, 2100, 1985);
	int_ok(" 0 ", -5, 5, 0);
	int_ok("-5", -5, 5, -5);
	int_ok("-0", -5, 5, 0);
	int_ok("007", 0, 10, 7);
	int_ok("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
	int_ok("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
}

static void
test_int_parse_refuses_numbers_out_of_range(void **state)
{
	(void)state;
	int_bad("1899", 1900, 2100,
		"'1899' is out of range: it must be between 1900 and 2100");
	int_bad("2101", 1900, 2100,
		"'2101' is out of range: it must be between 1900 and 2100");
	int_bad("-1", 0, 10,
		"'-1' is out of range: it must be between 0 and 10");
	int_bad("9223372036854775808", INT64_MIN, INT64_MAX,
		"'9223372036854775808' is out of range: it must be between "
		"-9223372036854775808 and 9223372036854775807");
	int_bad("-9223372036854775809", INT64_MIN, INT64_MAX,
		"'-9223372036854775809' is out of range: it must be between "
		"-9223372036854775808 and 9223372036854775807");
	int_bad("99999999999999999999999", 0, 10,
		"'99999999999999999999999' is out of range: it must be "
		"between 0 and 10");
}

static void
test_int_parse_refuses_what_is_not_a_whole_number(void **state)
{
	static const char *const bad[] = {
		"1.5", "1,5", "+5", "-", "--5", "1 000", "abc", "5a", "0x10",
		"1e3", "\xEF\xBC\x95" /* fullwidth 5 */,
	};
	char want[CDS_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(want, sizeof want, "'%s' is not a whole number",
			 bad[i]);
		int_bad(bad[i], 0, 100, want);
	}
	int_bad("", 0, 100, "the number is empty");
	int_bad(" ", 0, 100, "the number is empty");
}

/* ==== Reasons ========================================================= */

static void
test_reasons_are_cut_to_the_buffer_between_characters(void **state)
{
	const char *full = "'x' is not yes or no: write có or không (or 1 "
			   "or 0)";
	size_t at = (size_t)(strstr(full, "ó") - full);
	char err[CDS_ERRLEN];
	int b;

	(void)state;
	/* Room for the first byte of 'ó' only: it is left out. */
	memset(err, 'z', sizeof err);
	assert_int_equal(cds_bool_parse("x", &b, err, at + 2), -1);
	assert_int_equal(strlen(err), at);
	assert_memory_equal(err, full, at);
	/* Room for all of it. */
	assert_int_equal(cds_bool_parse("x", &b, err, at + 3), -1);
	assert_int_equal(strlen(err), at + 2);
	/* No room, or no buffer, is not an error. */
	err[0] = 'z';
	assert_int_equal(cds_bool_parse("x", &b, err, 0), -1);
	assert_int_equal(err[0], 'z');
	assert_int_equal(cds_bool_parse("x", &b, NULL, 0), -1);
	assert_int_equal(cds_bool_parse("x", &b, err, 1), -1);
	assert_string_equal(err, "");
}

#define T(f) cmocka_unit_test(f)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_nfc_composes_a_decomposed_vietnamese_name),
		T(test_nfc_copies_ascii_text_unchanged),
		T(test_nfc_reads_only_len_bytes),
		T(test_nfc_refuses_invalid_utf8),
		T(test_nfc_refuses_control_characters),
		T(test_nfc_reports_no_memory_apart_from_bad_text),
		T(test_fold_removes_case_and_diacritics),
		T(test_fold_writes_dong_letter_as_d),
		T(test_fold_makes_one_space_of_blanks_underscores_dashes),
		T(test_fold_gives_the_same_key_to_nfc_and_nfd),
		T(test_fold_returns_null_for_invalid_utf8_or_no_memory),
		T(test_date_parse_accepts_every_documented_form),
		T(test_date_parse_ignores_blanks_around_the_date),
		T(test_date_parse_knows_february_29_of_leap_years),
		T(test_date_parse_refuses_days_a_month_does_not_have),
		T(test_date_parse_refuses_month_0_and_month_13),
		T(test_date_parse_keeps_years_between_1900_and_2100),
		T(test_date_parse_refuses_other_shapes),
		T(test_date_parse_quotes_long_or_odd_values_cut_short),
		T(test_date_iso_and_date_vn_write_both_forms),
		T(test_date_vn_copies_what_is_not_an_iso_date),
		T(test_date_days_counts_from_1970_01_01),
		T(test_date_from_days_gives_back_every_day_from_1900_to_2100),
		T(test_money_parse_accepts_every_group_separator),
		T(test_money_parse_reads_a_dot_as_a_thousands_separator),
		T(test_money_parse_accepts_every_currency_mark),
		T(test_money_parse_refuses_groups_not_of_three_digits),
		T(test_money_parse_refuses_mixed_separators),
		T(test_money_parse_refuses_negative_amounts),
		T(test_money_parse_refuses_amounts_above_10_to_the_15),
		T(test_money_parse_refuses_empty_and_garbage),
		T(test_money_vn_groups_digits_by_three_and_adds_dong),
		T(test_money_vn_cuts_a_short_buffer_between_characters),
		T(test_money_vn_output_parses_back),
		T(test_bool_parse_accepts_every_form_in_any_case),
		T(test_bool_parse_refuses_x_empty_and_other_words),
		T(test_int_parse_accepts_whole_numbers_in_range),
		T(test_int_parse_refuses_numbers_out_of_range),
		T(test_int_parse_refuses_what_is_not_a_whole_number),
		T(test_reasons_are_cut_to_the_buffer_between_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
