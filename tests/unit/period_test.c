/* period_test.c -- reporting periods as people write them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "period.h"

/* Parses s, which must be a period of `kind` from..to named `name`. */
static void
period_is(const char *s, enum cds_period_kind kind, const char *from,
	  const char *to, const char *name)
{
	struct cds_period p;
	char err[256] = "";

	if (cds_period_parse(s, &p, err, sizeof err) != 0)
		fail_msg("'%s' refused: %s", s, err);
	assert_int_equal(p.kind, kind);
	assert_string_equal(p.from, from);
	assert_string_equal(p.to, to);
	assert_string_equal(p.name, name);
}

/* Parses s, which must be refused with a message containing `part`. */
static void
refused(const char *s, const char *part)
{
	struct cds_period p;
	char err[256] = "";

	if (cds_period_parse(s, &p, err, sizeof err) != -1)
		fail_msg("'%s' accepted as %s", s ? s : "(null)", p.name);
	if (strstr(err, part) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", s ? s : "(null)",
			 err, part);
}

static void
a_school_year_runs_from_september_to_august(void **state)
{
	(void)state;
	period_is("2025-2026", CDS_PERIOD_SCHOOL_YEAR, "2025-09-01",
		  "2026-08-31", "2025-2026");
	period_is("2000-2001", CDS_PERIOD_SCHOOL_YEAR, "2000-09-01",
		  "2001-08-31", "2000-2001");
}

static void
a_calendar_year_runs_from_january_to_december(void **state)
{
	(void)state;
	period_is("2025", CDS_PERIOD_YEAR, "2025-01-01", "2025-12-31", "2025");
	period_is("2100", CDS_PERIOD_YEAR, "2100-01-01", "2100-12-31", "2100");
}

static void
quarters_are_written_in_several_ways(void **state)
{
	(void)state;
	period_is("2025-Q3", CDS_PERIOD_QUARTER, "2025-07-01", "2025-09-30",
		  "2025-Q3");
	period_is("Q3-2025", CDS_PERIOD_QUARTER, "2025-07-01", "2025-09-30",
		  "2025-Q3");
	period_is("Q3/2025", CDS_PERIOD_QUARTER, "2025-07-01", "2025-09-30",
		  "2025-Q3");
	period_is("2025-q3", CDS_PERIOD_QUARTER, "2025-07-01", "2025-09-30",
		  "2025-Q3");
	period_is("q3/2025", CDS_PERIOD_QUARTER, "2025-07-01", "2025-09-30",
		  "2025-Q3");
}

static void
every_quarter_ends_on_its_last_day(void **state)
{
	(void)state;
	period_is("2024-Q1", CDS_PERIOD_QUARTER, "2024-01-01", "2024-03-31",
		  "2024-Q1");
	period_is("2024-Q2", CDS_PERIOD_QUARTER, "2024-04-01", "2024-06-30",
		  "2024-Q2");
	period_is("2024-Q4", CDS_PERIOD_QUARTER, "2024-10-01", "2024-12-31",
		  "2024-Q4");
}

static void
a_five_year_span_is_the_term(void **state)
{
	(void)state;
	period_is("2023-2028", CDS_PERIOD_TERM, "2023-09-01", "2028-08-31",
		  "2023-2028");
	period_is("2028-2033", CDS_PERIOD_TERM, "2028-09-01", "2033-08-31",
		  "2028-2033");
}

static void
spaces_around_a_period_are_ignored(void **state)
{
	(void)state;
	period_is("  2025-2026\t", CDS_PERIOD_SCHOOL_YEAR, "2025-09-01",
		  "2026-08-31", "2025-2026");
	period_is(" Q1-2026 ", CDS_PERIOD_QUARTER, "2026-01-01", "2026-03-31",
		  "2026-Q1");
}

static void
other_shapes_are_refused_with_the_accepted_forms(void **state)
{
	struct cds_period p;
	char err[256];

	(void)state;
	assert_int_equal(cds_period_parse("2025/26", &p, err, sizeof err),
			 -1);
	assert_string_equal(err,
			    "'2025/26' is not a period: use 2025-2026 (school "
			    "year), 2025 (year), 2025-Q3 (quarter) or "
			    "2023-2028 (term)");
	refused("25-26", "2025-Q3 (quarter)");
	refused("2025-26", "2025-Q3 (quarter)");
	refused("2025/2026", "2025-Q3 (quarter)");
	refused("20250", "2023-2028 (term)");
	refused("2025-", "2025 (year)");
	refused("Q3", "2025-Q3 (quarter)");
	refused("Q3 2025", "2025-Q3 (quarter)");
	refused("2025-Q3x", "2025-Q3 (quarter)");
	refused("2025-Q31", "2025-Q3 (quarter)");
	refused("2025 - 2026", "2025-2026 (school year)");
	refused("school year", "2025-2026 (school year)");
	refused("2025-2026-2027", "2025-2026 (school year)");
}

static void
an_empty_period_is_refused(void **state)
{
	(void)state;
	refused("", "the period is empty");
	refused("   ", "the period is empty");
	refused(NULL, "the period is empty");
}

static void
spans_other_than_one_or_five_years_are_refused(void **state)
{
	(void)state;
	refused("2025-2025", "a term two years five apart (2023-2028)");
	refused("2025-2027", "a school year is two years in a row");
	refused("2026-2025", "a school year is two years in a row");
	refused("2023-2029", "a term two years five apart");
}

static void
quarters_run_from_one_to_four(void **state)
{
	(void)state;
	refused("2025-Q0", "quarters are Q1 to Q4");
	refused("Q5/2025", "quarters are Q1 to Q4");
}

static void
years_outside_2000_to_2100_are_refused(void **state)
{
	(void)state;
	refused("1999", "years go from 2000 to 2100");
	refused("2101", "years go from 2000 to 2100");
	refused("1999-2000", "years go from 2000 to 2100");
	refused("2100-2101", "years go from 2000 to 2100");
	refused("Q1-1999", "years go from 2000 to 2100");
	refused("2025-0000", "years go from 2000 to 2100");
	refused("0000", "years go from 2000 to 2100");
}

static void
a_long_or_odd_value_is_quoted_short_and_safe(void **state)
{
	char s[200], err[256];
	struct cds_period p;

	(void)state;
	memset(s, 'x', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	assert_int_equal(cds_period_parse(s, &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "xxx...' is not a period"));
	assert_true(strlen(err) < 200);
	assert_int_equal(cds_period_parse("20\x01" "25", &p, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "'20?25'"));
	/* "ạ" is 3 bytes; the quote is never cut inside it */
	memset(s, 'a', 39);
	memcpy(s + 39, "\xe1\xba\xa1" "bbbbbbbb", 12);
	assert_int_equal(cds_period_parse(s, &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "aaa...'"));
}

static void
a_refusal_clears_the_result_and_tolerates_no_buffer(void **state)
{
	struct cds_period p;
	char err[8];

	(void)state;
	memset(&p, 0x55, sizeof p);
	assert_int_equal(cds_period_parse("nope", &p, NULL, 0), -1);
	assert_int_equal(p.kind, 0);
	assert_string_equal(p.name, "");
	assert_int_equal(cds_period_parse("nope", &p, err, sizeof err), -1);
	assert_int_equal(strlen(err), sizeof err - 1);
	/* a message cut short never ends inside a character */
	assert_int_equal(cds_period_parse("\xe1\xba\xa1\xe1\xba\xa1", &p,
					  err, 4),
			 -1);
	assert_string_equal(err, "'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_school_year_runs_from_september_to_august),
		cmocka_unit_test(
			a_calendar_year_runs_from_january_to_december),
		cmocka_unit_test(quarters_are_written_in_several_ways),
		cmocka_unit_test(every_quarter_ends_on_its_last_day),
		cmocka_unit_test(a_five_year_span_is_the_term),
		cmocka_unit_test(spaces_around_a_period_are_ignored),
		cmocka_unit_test(
			other_shapes_are_refused_with_the_accepted_forms),
		cmocka_unit_test(an_empty_period_is_refused),
		cmocka_unit_test(
			spans_other_than_one_or_five_years_are_refused),
		cmocka_unit_test(quarters_run_from_one_to_four),
		cmocka_unit_test(years_outside_2000_to_2100_are_refused),
		cmocka_unit_test(a_long_or_odd_value_is_quoted_short_and_safe),
		cmocka_unit_test(
			a_refusal_clears_the_result_and_tolerates_no_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
