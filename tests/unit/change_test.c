/* change_test.c -- the payload of a bundle against
 * tests/vectors/payload.vec, and the reader's refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "change.h"
#include "vec.h"

static void
fill(uint8_t *p, uint8_t from)
{
	int i;

	for (i = 0; i < 16; i++)
		p[i] = (uint8_t)(from + i);
}

static void
test_payloads_match_the_vectors(void **state)
{
	uint8_t want[1024], org[16];
	uint32_t cols[] = { 1, 2, 3, 4, 7, 8 };
	cds_val v[6];
	struct cds_change c[2];
	cds_buf cs, b;
	size_t n;

	(void)state;
	fill(org, 0x60);
	v[0] = (cds_val){ CDS_V_BLOB, 0, org, 16 };
	v[1] = (cds_val){ CDS_V_TEXT, 0, (const uint8_t *)"2026-01-20", 10 };
	v[2] = (cds_val){ CDS_V_TEXT, 0, (const uint8_t *)"Tết Sum vầy",
			  strlen("Tết Sum vầy") };
	v[3] = (cds_val){ CDS_V_TEXT, 0, (const uint8_t *)"care", 4 };
	v[4] = (cds_val){ CDS_V_INT, 0, NULL, 0 };
	v[5] = (cds_val){ CDS_V_INT, 15500000, NULL, 0 };
	cds_buf_init(&cs, 1 << 16);
	cds_colset_put(&cs, 6, cols, v);
	memset(c, 0, sizeof c);
	c[0].kind = 5;
	fill(c[0].row, 0x20);
	c[0].op = CDS_OP_SET;
	c[0].hlc = (1760000000000ull << 16) | 3;
	fill(c[0].origin, 0x40);
	c[0].cols = cs.p;
	c[0].ncols = cs.n;
	c[1] = c[0];
	c[1].op = CDS_OP_DELETE;
	c[1].hlc = c[0].hlc + 65536;
	c[1].base = c[0].hlc;
	c[1].cols = NULL;
	c[1].ncols = 0;
	cds_buf_init(&b, 1 << 16);
	cds_payload_begin(&b, 2);
	cds_payload_put(&b, &c[0]);
	cds_payload_put(&b, &c[1]);
	assert_int_equal(b.rc, 0);
	n = vec_get("payload.vec", "two-changes", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	cds_buf_reset(&b);
	cds_payload_begin(&b, 0);
	n = vec_get("payload.vec", "empty", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	cds_buf_free(&b);
	cds_buf_free(&cs);
}

static void
test_the_reader_gives_back_what_was_written(void **state)
{
	uint8_t p[1024];
	size_t n = vec_get("payload.vec", "two-changes", p, sizeof p);
	struct cds_payload_rd r;
	struct cds_change c;
	char err[128];

	(void)state;
	assert_int_equal(cds_payload_open(&r, p, n, 10, err, sizeof err), 0);
	assert_int_equal(cds_payload_next(&r, &c, 12, err, sizeof err), 1);
	assert_int_equal(c.kind, 5);
	assert_int_equal(c.op, CDS_OP_SET);
	assert_true(c.hlc == ((1760000000000ull << 16) | 3));
	assert_int_equal(c.row[0], 0x20);
	assert_int_equal(c.origin[15], 0x4f);
	assert_int_equal(cds_payload_next(&r, &c, 12, err, sizeof err), 1);
	assert_int_equal(c.op, CDS_OP_DELETE);
	assert_true(c.base == ((1760000000000ull << 16) | 3));
	assert_null(c.cols);
	assert_int_equal(cds_payload_next(&r, &c, 12, err, sizeof err), 0);
}

static void
refused(const uint8_t *p, size_t n, uint64_t max, const char *msg)
{
	struct cds_payload_rd r;
	struct cds_change c;
	char err[128] = "";
	int rc;

	if (cds_payload_open(&r, p, n, max, err, sizeof err) == 0) {
		while ((rc = cds_payload_next(&r, &c, 12, err, sizeof err)) ==
		       1)
			;
		assert_int_equal(rc, -1);
	}
	assert_string_equal(err, msg);
}

static void
test_the_reader_refuses_damage_naming_the_offset(void **state)
{
	uint8_t p[1024], q[1024];
	size_t n = vec_get("payload.vec", "two-changes", p, sizeof p), i;

	(void)state;
	refused(p, 0, 10, "payload offset 0: empty payload");
	memcpy(q, p, n);
	q[0] = 2;
	refused(q, n, 10, "payload offset 0: unknown payload version");
	refused(p, n, 1, "payload offset 1: more changes than allowed");
	memcpy(q, p, n);
	q[2] = 13;
	refused(q, n, 10, "payload offset 2: unknown kind");
	memcpy(q, p, n);
	q[2 + 17] = 7;
	refused(q, n, 10, "payload offset 19: unknown op");
	memcpy(q, p, n);
	q[n] = 0;
	refused(q, n + 1, 10, "payload offset 164: bytes after the last "
			      "change");
	/* every truncation is refused */
	for (i = 0; i < n; i++) {
		struct cds_payload_rd r;
		struct cds_change c;
		char err[128];
		int rc = 0;

		if (cds_payload_open(&r, p, i, 10, err, sizeof err) == 0)
			while ((rc = cds_payload_next(&r, &c, 12, err,
						      sizeof err)) == 1)
				;
		assert_true(rc <= 0 && (rc == -1 || i < 2));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payloads_match_the_vectors),
		cmocka_unit_test(test_the_reader_gives_back_what_was_written),
		cmocka_unit_test(test_the_reader_refuses_damage_naming_the_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
