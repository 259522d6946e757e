/* record_test.c -- the column set encoding against tests/vectors/colset.vec,
 * and the decoder's refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "record.h"
#include "vec.h"

static cds_val
I(int64_t v)
{
	cds_val x = { CDS_V_INT, v, NULL, 0 };
	return x;
}

static cds_val
T(const char *s)
{
	cds_val x = { CDS_V_TEXT, 0, (const uint8_t *)s, strlen(s) };
	return x;
}

static void
check(const char *name, size_t n, const uint32_t *cols, const cds_val *vals)
{
	unsigned char want[1024];
	uint32_t c2[CDS_COLSET_MAX_COLS];
	cds_val v2[CDS_COLSET_MAX_COLS];
	size_t wn = vec_get("colset.vec", name, want, sizeof want), n2, i;
	char err[128];
	cds_buf b;

	cds_buf_init(&b, 1 << 20);
	cds_colset_put(&b, n, cols, vals);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.n, wn);
	assert_memory_equal(b.p, want, wn);
	/* and back */
	assert_int_equal(cds_colset_get(want, wn, c2, v2, &n2, err, sizeof err), 0);
	assert_int_equal(n2, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(c2[i], cols[i]);
		assert_int_equal(v2[i].type, vals[i].type);
		assert_true(v2[i].i == vals[i].i);
		assert_int_equal(v2[i].n, vals[i].n);
		if (vals[i].n)
			assert_memory_equal(v2[i].p, vals[i].p, vals[i].n);
	}
	cds_buf_free(&b);
}

static void
test_encodings_match_the_vectors(void **state)
{
	static const uint8_t blob[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
					  11, 12, 13, 14, 15 };
	uint32_t c1[] = { 1 }, c2[] = { 2 }, c8[] = { 8 }, c3[] = { 3 },
		 c6[] = { 6 }, c5[] = { 5 }, c200[] = { 200 };
	uint32_t ca[] = { 2, 3, 4, 5, 7, 8, 9, 10 };
	cds_val v[8];
	cds_val nul = { CDS_V_NULL, 0, NULL, 0 };
	cds_val bl = { CDS_V_BLOB, 0, blob, 16 };

	(void)state;
	check("empty", 0, NULL, NULL);
	v[0] = I(0);
	check("int-zero", 1, c1, v);
	v[0] = I(-1);
	check("int-minus-one", 1, c2, v);
	v[0] = I(15500000);
	check("int-money", 1, c8, v);
	v[0] = I(INT64_MIN);
	check("int-min", 1, c1, v);
	v[0] = I(INT64_MAX);
	check("int-max", 1, c1, v);
	v[0] = T("Tết Sum vầy");
	check("text-vietnamese", 1, c3, v);
	check("blob-16", 1, c6, &bl);
	check("null", 1, c5, &nul);
	v[0] = T("2025-01-20");
	v[1] = T("Tết Sum vầy cho đoàn viên");
	v[2] = T("care");
	v[3] = T("tet_sum_vay");
	v[4] = I(1);
	v[5] = I(15500000);
	v[6] = T("union");
	v[7] = I(38);
	check("activity", 8, ca, v);
	v[0] = T("x");
	check("high-column", 1, c200, v);
}

static void
test_writer_refuses_unordered_columns(void **state)
{
	uint32_t cols[] = { 3, 3 };
	cds_val v[2] = { I(1), I(2) };
	cds_buf b;

	(void)state;
	cds_buf_init(&b, 1024);
	cds_colset_put(&b, 2, cols, v);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
}

static void
test_writer_stops_at_its_limit(void **state)
{
	uint32_t cols[] = { 1 };
	cds_val v[1] = { T("a longer text than the limit") };
	cds_buf b;

	(void)state;
	cds_buf_init(&b, 8);
	cds_colset_put(&b, 1, cols, v);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_byte(&b, 1);	/* sticky: a no-op now */
	assert_true(b.n <= 8);
	cds_buf_free(&b);
}

static void
expect_refusal(const char *hex, const char *msg)
{
	uint8_t in[64];
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	size_t n = 0, count;
	char err[128];
	unsigned v;

	while (hex[2 * n] && sscanf(hex + 2 * n, "%2x", &v) == 1)
		in[n++] = (uint8_t)v;
	assert_int_equal(cds_colset_get(in, n, cols, vals, &count, err,
					sizeof err), -1);
	assert_string_equal(err, msg);
	assert_int_equal(count, 0);
}

static void
test_decoder_refuses_what_is_not_canonical(void **state)
{
	(void)state;
	expect_refusal("", "offset 0: varint runs past the end");
	expect_refusal("8000", "offset 0: varint not in shortest form");
	expect_refusal("0101018000", "offset 3: varint not in shortest form");
	expect_refusal("02020100010100",
		       "offset 4: columns not strictly increasing");
	expect_refusal("0101", "offset 2: value tag missing");
	expect_refusal("010109", "offset 2: unknown value tag");
	expect_refusal("01010205414243", "offset 2: value runs past the end");
	expect_refusal("01010100ff", "offset 4: bytes after the last column");
	expect_refusal("41", "offset 0: more than 64 columns");
	expect_refusal("010101ffffffffffffffffff02", "offset 3: varint too large");
}

static void
test_decoder_refuses_every_truncation(void **state)
{
	unsigned char want[1024];
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	size_t n = vec_get("colset.vec", "activity", want, sizeof want), i, c;
	char err[128];

	(void)state;
	for (i = 0; i < n; i++)
		assert_int_equal(cds_colset_get(want, i, cols, vals, &c, err,
						sizeof err), -1);
	assert_int_equal(cds_colset_get(want, n, cols, vals, &c, err,
					sizeof err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encodings_match_the_vectors),
		cmocka_unit_test(test_writer_refuses_unordered_columns),
		cmocka_unit_test(test_writer_stops_at_its_limit),
		cmocka_unit_test(test_decoder_refuses_what_is_not_canonical),
		cmocka_unit_test(test_decoder_refuses_every_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
