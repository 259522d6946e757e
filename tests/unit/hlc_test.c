/* hlc_test.c -- the hybrid logical clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "hlc.h"

static void
test_tick_follows_the_wall_clock(void **state)
{
	cds_hlc c = { 0 };

	(void)state;
	assert_true(cds_hlc_tick(&c, 1000) == (1000ull << 16));
	assert_true(cds_hlc_tick(&c, 1005) == (1005ull << 16));
}

static void
test_tick_counts_within_one_millisecond(void **state)
{
	cds_hlc c = { 0 };

	(void)state;
	cds_hlc_tick(&c, 1000);
	assert_true(cds_hlc_tick(&c, 1000) == (1000ull << 16) + 1);
	assert_true(cds_hlc_tick(&c, 1000) == (1000ull << 16) + 2);
}

static void
test_tick_never_goes_back_when_the_clock_does(void **state)
{
	cds_hlc c = { 0 };
	uint64_t a, b;

	(void)state;
	a = cds_hlc_tick(&c, 5000);
	b = cds_hlc_tick(&c, 10);	/* someone set the PC back */
	assert_true(b > a);
	assert_true(CDS_HLC_MS(b) == 5000);
}

static void
test_counter_overflow_carries_into_the_time(void **state)
{
	cds_hlc c = { (7ull << 16) | 0xffff };

	(void)state;
	assert_true(cds_hlc_tick(&c, 7) == (8ull << 16));
}

static void
test_received_values_move_the_clock_and_far_future_is_flagged(void **state)
{
	cds_hlc c = { 0 };
	uint64_t remote = (100000ull << 16) | 3;

	(void)state;
	assert_int_equal(cds_hlc_recv(&c, remote, 99000, 5000), 0);
	assert_true(cds_hlc_tick(&c, 99000) == remote + 1);
	/* 2035 seen from 2026: flagged, and still taken in */
	assert_int_equal(cds_hlc_recv(&c, 2051222400000ull << 16,
				      1795000000000ull, 86400000ull), 1);
	assert_true(CDS_HLC_MS(cds_hlc_tick(&c, 1795000000000ull)) ==
		    2051222400000ull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tick_follows_the_wall_clock),
		cmocka_unit_test(test_tick_counts_within_one_millisecond),
		cmocka_unit_test(test_tick_never_goes_back_when_the_clock_does),
		cmocka_unit_test(test_counter_overflow_carries_into_the_time),
		cmocka_unit_test(test_received_values_move_the_clock_and_far_future_is_flagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
