/* csv_test.c -- cds_csv_read: quoting, line ends, line numbers, separators,
 * limits, error texts and allocation failures.  Run with LANG=en. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "csvfile.h"

static cds_csv *
ok(const char *s)
{
	char err[256] = "";
	cds_csv *csv = NULL;

	if (cds_csv_read(s, strlen(s), &csv, err, sizeof err) != 0)
		fail_msg("unexpected error: %s", err);
	assert_non_null(csv);
	return csv;
}

/* Reads b[n], expects failure with exactly the message want. */
static void
bad(const void *b, size_t n, const char *want)
{
	char err[256] = "";
	cds_csv *csv = (cds_csv *)1;

	assert_int_equal(cds_csv_read(b, n, &csv, err, sizeof err), -1);
	assert_null(csv);
	assert_string_equal(err, want);
}

/* Record i starts on line and holds the n strings that follow. */
static void
rec(const cds_csv *csv, size_t i, size_t line, size_t n, ...)
{
	const cds_csv_record *r;
	const char *f;
	va_list ap;
	size_t j;

	assert_true(i < csv->nrecords);
	r = &csv->records[i];
	assert_int_equal(r->line, line);
	assert_int_equal(r->nfields, n);
	va_start(ap, n);
	for (j = 0; j < n; j++) {
		f = va_arg(ap, const char *);
		assert_int_equal(r->lens[j], strlen(f));
		assert_memory_equal(r->fields[j], f, strlen(f) + 1);
	}
	va_end(ap);
}

static void
test_a_plain_file_with_lf_gives_each_line_its_number(void **state)
{
	cds_csv *csv = ok("a,b,c\nd,e,f\n");

	(void)state;
	assert_int_equal(csv->sep, ',');
	assert_int_equal(csv->nrecords, 2);
	rec(csv, 0, 1, 3, "a", "b", "c");
	rec(csv, 1, 2, 3, "d", "e", "f");
	cds_csv_free(csv);
}

static void
test_a_bom_at_the_start_is_dropped(void **state)
{
	cds_csv *csv = ok("\xef\xbb\xbfname;code\nAn;7\n");

	(void)state;
	assert_int_equal(csv->sep, ';');
	assert_int_equal(csv->nrecords, 2);
	rec(csv, 0, 1, 2, "name", "code");
	rec(csv, 1, 2, 2, "An", "7");
	cds_csv_free(csv);
}

static void
test_a_bom_is_dropped_only_at_the_start(void **state)
{
	cds_csv *csv = ok("a,\xef\xbb\xbf" "b\n");

	(void)state;
	assert_int_equal(csv->nrecords, 1);
	rec(csv, 0, 1, 2, "a", "\xef\xbb\xbf" "b");
	cds_csv_free(csv);
}

static void
test_crlf_counts_as_one_line_break(void **state)
{
	cds_csv *csv = ok("a,b\r\nc,d\r\ne,f\r\n");

	(void)state;
	assert_int_equal(csv->nrecords, 3);
	rec(csv, 0, 1, 2, "a", "b");
	rec(csv, 1, 2, 2, "c", "d");
	rec(csv, 2, 3, 2, "e", "f");
	cds_csv_free(csv);
}

static void
test_a_lone_cr_ends_a_line(void **state)
{
	cds_csv *csv = ok("a,b\rc,d\r\re,f");

	(void)state;
	assert_int_equal(csv->nrecords, 3);
	rec(csv, 0, 1, 2, "a", "b");
	rec(csv, 1, 2, 2, "c", "d");
	rec(csv, 2, 4, 2, "e", "f");
	cds_csv_free(csv);
}

static void
test_lf_cr_is_two_line_breaks(void **state)
{
	cds_csv *csv = ok("a\n\rb\n");

	(void)state;
	assert_int_equal(csv->nrecords, 2);
	rec(csv, 0, 1, 1, "a");
	rec(csv, 1, 3, 1, "b");
	cds_csv_free(csv);
}

static void
test_a_quoted_comma_stays_in_its_field(void **state)
{
	cds_csv *csv = ok("\"Hà Nội, Việt Nam\",x\n");

	(void)state;
	assert_int_equal(csv->nrecords, 1);
	rec(csv, 0, 1, 2, "Hà Nội, Việt Nam", "x");
	cds_csv_free(csv);
}

static void
test_a_doubled_quote_reads_as_one_quote(void **state)
{
	cds_csv *csv = ok("\"say \"\"hi\"\"\",\"\"\"\",\"\"\n");

	(void)state;
	assert_int_equal(csv->nrecords, 1);
	rec(csv, 0, 1, 3, "say \"hi\"", "\"", "");
	cds_csv_free(csv);
}

static void
test_a_quoted_newline_is_kept_and_counted(void **state)
{
	cds_csv *csv = ok("h1,h2\n\"one\ntwo\",x\n\"3\r\n4\r5\",y\nlast,z\n");

	(void)state;
	assert_int_equal(csv->nrecords, 4);
	rec(csv, 0, 1, 2, "h1", "h2");
	rec(csv, 1, 2, 2, "one\ntwo", "x");
	rec(csv, 2, 4, 2, "3\r\n4\r5", "y");
	rec(csv, 3, 7, 2, "last", "z");
	cds_csv_free(csv);
}

static void
test_blank_lines_are_skipped_but_counted(void **state)
{
	cds_csv *csv = ok("\n\na,b\n\n\r\n   \n\rc,d\n\n");

	(void)state;
	assert_int_equal(csv->nrecords, 2);
	rec(csv, 0, 3, 2, "a", "b");
	rec(csv, 1, 8, 2, "c", "d");
	cds_csv_free(csv);
}

static void
test_the_last_line_needs_no_line_break(void **state)
{
	cds_csv *csv = ok("a,b\nc,\"d\"");

	(void)state;
	assert_int_equal(csv->nrecords, 2);
	rec(csv, 0, 1, 2, "a", "b");
	rec(csv, 1, 2, 2, "c", "d");
	cds_csv_free(csv);
	csv = ok("x,");
	assert_int_equal(csv->nrecords, 1);
	rec(csv, 0, 1, 2, "x", "");
	cds_csv_free(csv);
}

static void
test_empty_fields_are_kept(void **state)
{
	cds_csv *csv = ok(",,\n,x,\n");

	(void)state;
	assert_int_equal(csv->nrecords, 2);
	rec(csv, 0, 1, 3, "", "", "");
	rec(csv, 1, 2, 3, "", "x", "");
	cds_csv_free(csv);
}

static void
test_semicolons_on_the_first_line_make_the_separator(void **state)
{
	cds_csv *csv = ok("Họ và tên;Năm sinh;Ghi chú, khác\nAn;1980;a,b\n");

	(void)state;
	assert_int_equal(csv->sep, ';');
	assert_int_equal(csv->nrecords, 2);
	rec(csv, 0, 1, 3, "Họ và tên", "Năm sinh", "Ghi chú, khác");
	rec(csv, 1, 2, 3, "An", "1980", "a,b");
	cds_csv_free(csv);
}

static void
test_tabs_on_the_first_line_make_the_separator(void **state)
{
	cds_csv *csv = ok("a\tb;c\tc,d\n\t x \t\t\n");

	(void)state;
	assert_int_equal(csv->sep, '\t');
	assert_int_equal(csv->nrecords, 2);
	rec(csv, 0, 1, 3, "a", "b;c", "c,d");
	rec(csv, 1, 2, 4, "", "x", "", "");
	cds_csv_free(csv);
}

static void
test_a_tie_goes_to_the_comma(void **state)
{
	cds_csv *csv = ok("a,b;c\n");

	(void)state;
	assert_int_equal(csv->sep, ',');
	rec(csv, 0, 1, 2, "a", "b;c");
	cds_csv_free(csv);
	csv = ok("a\tb;c\n");
	assert_int_equal(csv->sep, ';');
	rec(csv, 0, 1, 2, "a\tb", "c");
	cds_csv_free(csv);
	csv = ok("abc\n");
	assert_int_equal(csv->sep, ',');
	cds_csv_free(csv);
}

static void
test_separators_inside_quotes_do_not_count_for_the_guess(void **state)
{
	cds_csv *csv = ok("\"a;b;c\",d\n");

	(void)state;
	assert_int_equal(csv->sep, ',');
	rec(csv, 0, 1, 2, "a;b;c", "d");
	cds_csv_free(csv);
}

static void
test_the_guess_skips_leading_blank_lines(void **state)
{
	cds_csv *csv = ok("\r\n\na;b\n");

	(void)state;
	assert_int_equal(csv->sep, ';');
	rec(csv, 0, 3, 2, "a", "b");
	cds_csv_free(csv);
}

static void
test_vietnamese_text_passes_through_unchanged(void **state)
{
	/* precomposed and decomposed forms, and an invalid byte */
	cds_csv *csv = ok("Nguyễn Thị Hồng,Ngữ văn,Nguye\xcc\x82\xcc\x83n,"
			  "\xff\xfe\n");

	(void)state;
	assert_int_equal(csv->nrecords, 1);
	rec(csv, 0, 1, 4, "Nguyễn Thị Hồng", "Ngữ văn",
	    "Nguye\xcc\x82\xcc\x83n", "\xff\xfe");
	cds_csv_free(csv);
}

static void
test_spaces_around_unquoted_fields_are_trimmed_not_inside(void **state)
{
	cds_csv *csv = ok("  a b  , \"  c, d \"  ,e\t\n");

	(void)state;
	assert_int_equal(csv->nrecords, 1);
	rec(csv, 0, 1, 3, "a b", "  c, d ", "e\t");
	cds_csv_free(csv);
}

static void
test_a_stray_quote_in_an_unquoted_field_is_kept(void **state)
{
	cds_csv *csv = ok("12\" pipe,5\n");

	(void)state;
	rec(csv, 0, 1, 2, "12\" pipe", "5");
	cds_csv_free(csv);
}

static void
test_text_after_a_closing_quote_stays_in_the_quoted_field(void **state)
{
	cds_csv *csv = ok("\"ab\"cd, e\",f\n");

	(void)state;
	rec(csv, 0, 1, 2, "ab\"cd, e", "f");
	cds_csv_free(csv);
	bad("\"ab\"cd,e\nx\n", 12,
	    "line 1: quoted field not closed at end of file");
}

static void
test_nul_bytes_keep_their_length(void **state)
{
	static const char in[] = "a\0b,c\n";
	char err[64];
	cds_csv *csv;

	(void)state;
	assert_int_equal(cds_csv_read(in, sizeof in - 1, &csv, err,
				      sizeof err), 0);
	assert_int_equal(csv->nrecords, 1);
	assert_int_equal(csv->records[0].nfields, 2);
	assert_int_equal(csv->records[0].lens[0], 3);
	assert_memory_equal(csv->records[0].fields[0], "a\0b", 4);
	assert_string_equal(csv->records[0].fields[1], "c");
	cds_csv_free(csv);
}

static void
test_empty_input_gives_no_records(void **state)
{
	static const char *in[] = { "", "\xef\xbb\xbf", "\n\r\n\r", "   \n" };
	char err[64];
	cds_csv *csv;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		assert_int_equal(cds_csv_read(in[i], strlen(in[i]), &csv, err,
					      sizeof err), 0);
		assert_non_null(csv);
		assert_int_equal(csv->sep, ',');
		assert_int_equal(csv->nrecords, 0);
		cds_csv_free(csv);
	}
	assert_int_equal(cds_csv_read(NULL, 0, &csv, err, sizeof err), 0);
	assert_int_equal(csv->nrecords, 0);
	cds_csv_free(csv);
	cds_csv_free(NULL);
}

static void
test_an_unterminated_quote_is_an_error_naming_its_line(void **state)
{
	static const char *in = "a,b\n\nc,\"d\ne,f\n";

	(void)state;
	bad(in, strlen(in), "line 3: quoted field not closed at end of file");
	bad("\"", 1, "line 1: quoted field not closed at end of file");
	bad("x\n\"a\"\"", 6, "line 2: quoted field not closed at end of file");
}

static void
test_a_field_of_65536_bytes_is_accepted_and_one_more_refused(void **state)
{
	char *b = malloc(400000);
	size_t n, i;
	char err[128];
	cds_csv *csv;

	(void)state;
	assert_non_null(b);
	memcpy(b, "h\n\"x\",", 6);
	memset(b + 6, 'v', CDS_CSV_MAX_FIELD);
	memcpy(b + 6 + CDS_CSV_MAX_FIELD, ",y\n", 3);
	n = 6 + CDS_CSV_MAX_FIELD + 3;
	assert_int_equal(cds_csv_read(b, n, &csv, err, sizeof err), 0);
	assert_int_equal(csv->nrecords, 2);
	assert_int_equal(csv->records[1].nfields, 3);
	assert_int_equal(csv->records[1].lens[1], CDS_CSV_MAX_FIELD);
	for (i = 0; i < CDS_CSV_MAX_FIELD; i++)
		if (csv->records[1].fields[1][i] != 'v')
			fail();
	assert_int_equal(csv->records[1].fields[1][i], '\0');
	cds_csv_free(csv);

	/* one byte more, then far more (libcsv's buffer is capped) */
	memset(b + 6, 'v', CDS_CSV_MAX_FIELD + 1);
	memcpy(b + 6 + CDS_CSV_MAX_FIELD + 1, ",y\n", 3);
	bad(b, n + 1, "line 2: field 2 is longer than 65536 bytes");
	memset(b + 6, 'v', 299000);
	bad(b, 6 + 299000, "line 2: field 2 is longer than 65536 bytes");
	free(b);
}

static void
test_reading_a_huge_field_stops_early(void **state)
{
	size_t n = 4u << 20;
	char *b = malloc(n);
	long small, big;

	(void)state;
	assert_non_null(b);
	memset(b, 'v', n);
	cds_alloc_fail_after(-1);
	bad(b, 300000, "line 1: field 1 is longer than 65536 bytes");
	small = cds_alloc_fail_after(-1);
	bad(b, n, "line 1: field 1 is longer than 65536 bytes");
	big = cds_alloc_fail_after(-1);
	assert_int_equal(small, big);
	free(b);
}

static void
test_256_fields_are_accepted_and_257_refused(void **state)
{
	char b[4 * CDS_CSV_MAX_FIELDS + 16];
	size_t n = 0, i;
	char err[128];
	cds_csv *csv;

	(void)state;
	memcpy(b, "h\n", 2);
	n = 2;
	for (i = 0; i < CDS_CSV_MAX_FIELDS; i++) {
		b[n++] = (char)('a' + i % 26);
		b[n++] = ',';
	}
	b[n - 1] = '\n';
	assert_int_equal(cds_csv_read(b, n, &csv, err, sizeof err), 0);
	assert_int_equal(csv->nrecords, 2);
	assert_int_equal(csv->records[1].line, 2);
	assert_int_equal(csv->records[1].nfields, CDS_CSV_MAX_FIELDS);
	assert_string_equal(csv->records[1].fields[255], "v");
	cds_csv_free(csv);
	b[n - 1] = ',';
	b[n++] = 'z';
	bad(b, n, "line 2: more than 256 fields");
	b[n++] = '\n';
	bad(b, n, "line 2: more than 256 fields");
}

static void
test_input_over_the_size_limit_is_refused_before_parsing(void **state)
{
	char *b = calloc(1, (size_t)CDS_CSV_MAX_BYTES + 1);

	(void)state;
	assert_non_null(b);
	cds_alloc_fail_after(0);	/* it must not even allocate */
	bad(b, (size_t)CDS_CSV_MAX_BYTES + 1, "the file is larger than 64 MB");
	assert_int_equal(cds_alloc_fail_after(-1), 0);
	free(b);
}

static void
test_every_allocation_failure_is_clean(void **state)
{
	char in[4096], err[128];
	cds_csv *csv;
	size_t n = 0, i;
	long k;
	int rc;

	(void)state;
	n += (size_t)snprintf(in + n, sizeof in - n, "\xef\xbb\xbf"
			      "h1;h2;h3;h4;h5;h6;h7;h8;h9;h10;h11\r\n");
	for (i = 0; i < 20; i++)
		n += (size_t)snprintf(in + n, sizeof in - n,
				      "%zu;\"q;\n%zu\";x\r\n", i, i);
	memset(in + n, 'L', 300);
	n += 300;
	memcpy(in + n, ";\"\"", 3);	/* no line break at the end */
	n += 3;
	for (k = 0; ; k++) {
		csv = (cds_csv *)1;
		cds_alloc_fail_after(k);
		rc = cds_csv_read(in, n, &csv, err, sizeof err);
		cds_alloc_fail_after(-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, -2);
		assert_null(csv);
		assert_string_equal(err, "out of memory");
		assert_true(k < 100000);
	}
	assert_true(k > 30);
	assert_non_null(csv);
	assert_int_equal(csv->sep, ';');
	assert_int_equal(csv->nrecords, 22);
	assert_int_equal(csv->records[0].nfields, 11);
	rec(csv, 0, 1, 11, "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8",
	    "h9", "h10", "h11");
	rec(csv, 20, 40, 3, "19", "q;\n19", "x");
	assert_int_equal(csv->records[21].line, 42);
	assert_int_equal(csv->records[21].lens[0], 300);
	assert_string_equal(csv->records[21].fields[1], "");
	cds_csv_free(csv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_a_plain_file_with_lf_gives_each_line_its_number),
		cmocka_unit_test(test_a_bom_at_the_start_is_dropped),
		cmocka_unit_test(test_a_bom_is_dropped_only_at_the_start),
		cmocka_unit_test(test_crlf_counts_as_one_line_break),
		cmocka_unit_test(test_a_lone_cr_ends_a_line),
		cmocka_unit_test(test_lf_cr_is_two_line_breaks),
		cmocka_unit_test(test_a_quoted_comma_stays_in_its_field),
		cmocka_unit_test(test_a_doubled_quote_reads_as_one_quote),
		cmocka_unit_test(test_a_quoted_newline_is_kept_and_counted),
		cmocka_unit_test(test_blank_lines_are_skipped_but_counted),
		cmocka_unit_test(test_the_last_line_needs_no_line_break),
		cmocka_unit_test(test_empty_fields_are_kept),
		cmocka_unit_test(
		    test_semicolons_on_the_first_line_make_the_separator),
		cmocka_unit_test(
		    test_tabs_on_the_first_line_make_the_separator),
		cmocka_unit_test(test_a_tie_goes_to_the_comma),
		cmocka_unit_test(
		    test_separators_inside_quotes_do_not_count_for_the_guess),
		cmocka_unit_test(test_the_guess_skips_leading_blank_lines),
		cmocka_unit_test(
		    test_vietnamese_text_passes_through_unchanged),
		cmocka_unit_test(
		    test_spaces_around_unquoted_fields_are_trimmed_not_inside),
		cmocka_unit_test(
		    test_a_stray_quote_in_an_unquoted_field_is_kept),
		cmocka_unit_test(
		    test_text_after_a_closing_quote_stays_in_the_quoted_field),
		cmocka_unit_test(test_nul_bytes_keep_their_length),
		cmocka_unit_test(test_empty_input_gives_no_records),
		cmocka_unit_test(
		    test_an_unterminated_quote_is_an_error_naming_its_line),
		cmocka_unit_test(
		    test_a_field_of_65536_bytes_is_accepted_and_one_more_refused),
		cmocka_unit_test(test_reading_a_huge_field_stops_early),
		cmocka_unit_test(test_256_fields_are_accepted_and_257_refused),
		cmocka_unit_test(
		    test_input_over_the_size_limit_is_refused_before_parsing),
		cmocka_unit_test(test_every_allocation_failure_is_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
