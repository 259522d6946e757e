/* id_test.c -- row ids against tests/vectors/id.vec, and their order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"
#include "vec.h"

static void
test_ids_match_the_vectors(void **state)
{
	static const uint8_t rnd[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	uint8_t id[16], b[16], want[16], d[16];
	int i;

	(void)state;
	cds_id_make(1735689600000ull, rnd, id);
	assert_int_equal(vec_get("id.vec", "new", want, 16), 16);
	assert_memory_equal(id, want, 16);
	for (i = 0; i < 16; i++)
		b[i] = (uint8_t)(0x10 + i);
	cds_id_derive("cdsync.benefit.v1", id, b, d);
	assert_int_equal(vec_get("id.vec", "derived", want, 16), 16);
	assert_memory_equal(d, want, 16);
}

static void
test_new_ids_carry_version_and_time(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	cds_id_new(a);
	cds_id_new(b);
	assert_int_equal(a[6] >> 4, 7);
	assert_int_equal(a[8] >> 6, 2);
	assert_memory_not_equal(a, b, 16);
	/* the first 6 bytes are a time: b is not older than a */
	assert_true(memcmp(a, b, 6) <= 0);
}

static void
test_hex_round_trips_and_refuses_garbage(void **state)
{
	uint8_t id[16], back[16];
	char hex[33];

	(void)state;
	cds_id_new(id);
	cds_id_hex(id, hex);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(cds_id_parse(hex, back), 0);
	assert_memory_equal(id, back, 16);
	assert_int_equal(cds_id_parse("01941F297C0070018203040506070809", back), 0);
	assert_int_equal(back[0], 0x01);
	assert_int_equal(cds_id_parse("01941f297c007001820304050607080", back), -1);
	assert_int_equal(cds_id_parse("01941f297c00700182030405060708090", back), -1);
	assert_int_equal(cds_id_parse("01941f297c0070018203040506070g09", back), -1);
}

/* Ids sort as their bytes, the last byte too: a later id after an
 * earlier one, and bsearch finds one in a sorted list. */
static void
test_ids_sort_in_byte_order(void **state)
{
	uint8_t id[3][16], rnd[10] = { 0 };

	(void)state;
	cds_id_make(2000, rnd, id[0]);
	cds_id_make(1000, rnd, id[1]);
	memcpy(id[2], id[1], 16);
	id[2][15] ^= 1;
	assert_true(cds_id_order(id[1], id[0]) < 0);
	assert_true(cds_id_order(id[0], id[1]) > 0);
	assert_true(cds_id_order(id[1], id[2]) < 0);
	assert_int_equal(cds_id_order(id[0], id[0]), 0);
	qsort(id, 3, 16, cds_id_order);
	assert_true(cds_id_order(id[0], id[1]) < 0 &&
		    cds_id_order(id[1], id[2]) < 0);
	assert_ptr_equal(bsearch(id[1], id, 3, 16, cds_id_order), id[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_match_the_vectors),
		cmocka_unit_test(test_new_ids_carry_version_and_time),
		cmocka_unit_test(test_hex_round_trips_and_refuses_garbage),
		cmocka_unit_test(test_ids_sort_in_byte_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
