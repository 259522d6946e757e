/* change_test.c -- the payload of a bundle against
 * tests/vectors/payload.vec, and the reader's refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cdsync/cdsync.h"
#include "change.h"
#include "vec.h"

static void
fill(uint8_t *p, uint8_t from)
{
	int i;

	for (i = 0; i < 16; i++)
		p[i] = (uint8_t)(from + i);
}

/* The changes of payload.vec "three-changes" (see that file). */
struct three {
	cds_buf cs0, cs2;
	struct cds_change c[3];
};

static void
three(struct three *t)
{
	static uint8_t org[16], org2[16];
	uint32_t cols[] = { 1, 2, 3, 4, 7, 8 }, cols2[] = { 1, 3, 5 };
	cds_val v[6], v2[3];

	fill(org, 0x60);
	fill(org2, 0x70);
	v[0] = (cds_val){ CDS_V_BLOB, 0, org, 16 };
	v[1] = (cds_val){ CDS_V_TEXT, 0, (const uint8_t *)"2026-01-20", 10 };
	v[2] = (cds_val){ CDS_V_TEXT, 0, (const uint8_t *)"Tết Sum vầy",
			  strlen("Tết Sum vầy") };
	v[3] = (cds_val){ CDS_V_TEXT, 0, (const uint8_t *)"care", 4 };
	v[4] = (cds_val){ CDS_V_INT, 0, NULL, 0 };
	v[5] = (cds_val){ CDS_V_INT, 15500000, NULL, 0 };
	v2[0] = (cds_val){ CDS_V_BLOB, 0, org2, 16 };
	v2[1] = (cds_val){ CDS_V_TEXT, 0, (const uint8_t *)"Lò Thị Mai",
			   strlen("Lò Thị Mai") };
	v2[2] = (cds_val){ CDS_V_NULL, 0, NULL, 0 };
	cds_buf_init(&t->cs0, 1 << 16);
	cds_colset_put(&t->cs0, 6, cols, v);
	cds_buf_init(&t->cs2, 1 << 16);
	cds_colset_put(&t->cs2, 3, cols2, v2);
	memset(t->c, 0, sizeof t->c);
	t->c[0].kind = 5;
	fill(t->c[0].row, 0x20);
	t->c[0].op = CDS_OP_SET;
	t->c[0].hlc = (1760000000000ull << 16) | 3;
	fill(t->c[0].origin, 0x40);
	t->c[0].cols = t->cs0.p;
	t->c[0].ncols = t->cs0.n;
	t->c[1] = t->c[0];
	t->c[1].op = CDS_OP_DELETE;
	t->c[1].hlc = t->c[0].hlc + 65536;
	t->c[1].base = t->c[0].hlc;
	t->c[1].cols = NULL;
	t->c[1].ncols = 0;
	t->c[2].kind = 2;
	fill(t->c[2].row, 0x10);
	t->c[2].op = CDS_OP_SET;
	t->c[2].hlc = t->c[0].hlc + 1;
	fill(t->c[2].origin, 0x50);
	t->c[2].cols = t->cs2.p;
	t->c[2].ncols = t->cs2.n;
}

static void
test_payloads_match_the_vectors(void **state)
{
	uint8_t want[1024];
	struct three t;
	cds_buf b;
	size_t n;

	(void)state;
	three(&t);
	cds_buf_init(&b, 1 << 16);
	cds_payload_write(&b, t.c, 3);
	assert_int_equal(b.rc, 0);
	n = vec_get("payload.vec", "three-changes", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	cds_buf_reset(&b);
	cds_payload_write(&b, NULL, 0);
	n = vec_get("payload.vec", "empty", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	cds_buf_free(&b);
	cds_buf_free(&t.cs0);
	cds_buf_free(&t.cs2);
}

static void
test_the_writer_refuses_what_it_cannot_encode(void **state)
{
	struct three t;
	struct cds_change c;
	cds_buf b;

	(void)state;
	three(&t);
	cds_buf_init(&b, 1 << 16);
	c = t.c[1];
	c.base = c.hlc;			/* a base not below its clock */
	cds_payload_write(&b, &c, 1);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_reset(&b);
	c = t.c[0];
	c.ncols--;			/* a damaged column set */
	cds_payload_write(&b, &c, 1);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_reset(&b);
	c = t.c[0];
	c.hlc = (uint64_t)1 << 63;	/* beyond SQLite's integers */
	cds_payload_write(&b, &c, 1);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	cds_buf_free(&t.cs0);
	cds_buf_free(&t.cs2);
}

static void
test_the_reader_gives_back_what_was_written(void **state)
{
	uint8_t p[1024];
	size_t n = vec_get("payload.vec", "three-changes", p, sizeof p), i;
	struct cds_payload pl;
	struct three t;
	char err[128];

	(void)state;
	three(&t);
	assert_int_equal(cds_payload_read(p, n, 10, 12, &pl, err, sizeof err),
			 0);
	assert_int_equal(pl.count, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pl.ch[i].kind, t.c[i].kind);
		assert_memory_equal(pl.ch[i].row, t.c[i].row, 16);
		assert_int_equal(pl.ch[i].op, t.c[i].op);
		assert_true(pl.ch[i].hlc == t.c[i].hlc);
		assert_memory_equal(pl.ch[i].origin, t.c[i].origin, 16);
		assert_true(pl.ch[i].base == t.c[i].base);
		assert_int_equal(pl.ch[i].ncols, t.c[i].ncols);
		if (t.c[i].cols == NULL)
			assert_null(pl.ch[i].cols);
		else
			assert_memory_equal(pl.ch[i].cols, t.c[i].cols,
					    t.c[i].ncols);
	}
	cds_payload_free(&pl);
	n = vec_get("payload.vec", "empty", p, sizeof p);
	assert_int_equal(cds_payload_read(p, n, 10, 12, &pl, err, sizeof err),
			 0);
	assert_int_equal(pl.count, 0);
	cds_payload_free(&pl);
	cds_buf_free(&t.cs0);
	cds_buf_free(&t.cs2);
}

static void
refused(const uint8_t *p, size_t n, uint64_t max, const char *msg)
{
	struct cds_payload pl;
	char err[128] = "";

	assert_int_equal(cds_payload_read(p, n, max, 12, &pl, err, sizeof err),
			 -1);
	assert_null(pl.ch);
	assert_string_equal(err, msg);
}

/* Offsets in "three-changes": 0 version, 1 count, 2 origins (2), 3 and 19
 * the origins, 35 the heads (3 bytes each), 44 the row ids, 89 the
 * clocks, 109 the masks, 112 the values. */
static void
test_the_reader_refuses_damage_naming_the_offset(void **state)
{
	uint8_t p[1024], q[1024];
	size_t n = vec_get("payload.vec", "three-changes", p, sizeof p), i;

	(void)state;
	refused(p, 0, 10, "payload offset 0: empty payload");
	memcpy(q, p, n);
	q[0] = 1;
	refused(q, n, 10, "payload offset 0: unknown payload version");
	refused(p, n, 2, "payload offset 1: more changes than allowed");
	memcpy(q, p, n);
	q[35] = 13;
	refused(q, n, 10, "payload offset 35: unknown kind");
	memcpy(q, p, n);
	q[36] = 7;
	refused(q, n, 10, "payload offset 36: unknown op");
	memcpy(q, p, n);
	q[37] = 1;
	refused(q, n, 10, "payload offset 37: origin out of order or "
			  "unknown");
	memcpy(q, p, n);
	q[43] = 0;
	refused(q, n, 10, "payload offset 44: an origin that no change "
			  "names");
	memcpy(q, p, n);
	memcpy(q + 19, q + 3, 16);
	refused(q, n, 10, "payload offset 3: an origin listed twice");
	memcpy(q, p, n);
	q[2] = 4;
	refused(q, n, 10, "payload offset 2: more origins than changes");
	memcpy(q, p, n);
	q[n] = 0;
	refused(q, n + 1, 10, "payload offset 206: bytes after the last "
			      "value");
	/* every truncation is refused */
	for (i = 0; i < n; i++) {
		struct cds_payload pl;
		char err[128];

		assert_int_equal(cds_payload_read(p, i, 10, 12, &pl, err,
						  sizeof err),
				 -1);
	}
}

/* Damage deeper in: a base at its clock, column 0 in a mask, an unknown
 * value tag. */
static void
test_the_reader_refuses_bad_clocks_masks_and_values(void **state)
{
	/* one delete, hlc 5, back 5 (base 0 written the wrong way) */
	static const uint8_t at_clock[] = {
		2, 1, 1, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
		0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 5, 2, 0, 0, 1, 2, 3,
		4, 5, 6, 7, 8, 9, 10, 0x0a, 5
	};
	struct three t;
	struct cds_payload pl;
	cds_buf b;

	(void)state;
	refused(at_clock, sizeof at_clock, 10,
		"payload offset 34: base not below its clock");
	three(&t);
	cds_buf_init(&b, 1 << 16);
	cds_payload_write(&b, t.c, 2);	/* the set and its delete */
	assert_int_equal(b.rc, 0);
	/* 19 heads, 25 rows, 53 clocks, 69 the set's mask, 71 values */
	assert_int_equal(b.p[69], 0x9e);
	b.p[69] = 0x9f;
	refused(b.p, b.n, 10, "payload offset 69: column 0 in a column mask");
	b.p[69] = 0x9e;
	assert_int_equal(b.p[71], CDS_V_BLOB);	/* org_id, first of all */
	b.p[71] = 9;
	refused(b.p, b.n, 10, "payload offset 71: unknown value tag");
	b.p[71] = CDS_V_BLOB;
	assert_int_equal(cds_payload_read(b.p, b.n, 10, 12, &pl, NULL, 0), 0);
	cds_payload_free(&pl);
	cds_buf_free(&b);
	cds_buf_free(&t.cs0);
	cds_buf_free(&t.cs2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payloads_match_the_vectors),
		cmocka_unit_test(test_the_writer_refuses_what_it_cannot_encode),
		cmocka_unit_test(test_the_reader_gives_back_what_was_written),
		cmocka_unit_test(test_the_reader_refuses_damage_naming_the_offset),
		cmocka_unit_test(test_the_reader_refuses_bad_clocks_masks_and_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
