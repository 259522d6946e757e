/* snapshot_test.c -- rollup snapshots (SPEC.md §14): the vectors byte for
 * byte and read back, with every cut and a few bad fields refused with
 * their offset; then a national hub, a district hub and two schools on
 * files: the district's snapshot is taken above and recounted the same
 * from the bundles, waits for a bundle not there yet, differs -- naming
 * the cells -- once the district changed a row behind the change log's
 * back, stays the same when a school enrolled since comes up with the
 * district's next sheet (it carries the sheet it counted), refuses a
 * sheet under another key, and is refused unsealed, from the wrong size, with a second root
 * for one size, from a school, or twice; export writes it with its
 * proofs and import takes and checks it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "alloc.h"
#include "snapshot.h"
#include "store.h"
#include "testutil.h"
#include "tlog.h"
#include "vec.h"

#define MAXV 8192

/* ==== The format ====================================================== */

static void
periods(struct cds_snap *s)
{
	int i = 0, y, q;

	snprintf(s->periods[i++], 24, "2023-2028");
	for (y = 2023; y < 2028; y++)
		snprintf(s->periods[i++], 24, "%d-%d", y, y + 1);
	for (y = 2023; y <= 2028; y++)
		snprintf(s->periods[i++], 24, "%d", y);
	for (y = 2023; y <= 2028; y++)
		for (q = 1; q <= 4; q++)
			snprintf(s->periods[i++], 24, "%d-Q%d", y, q);
	assert_int_equal(i, CDS_SNAP_PERIODS);
}

static void
set_unit(struct cds_snap_unit *u, uint8_t id, uint8_t parent, uint8_t level,
	 const char *code)
{
	memset(u, 0, sizeof *u);
	memset(u->id, id, 16);
	if (parent)
		memset(u->parent, parent, 16);
	u->level = level;
	snprintf(u->code, sizeof u->code, "%s", code);
}

/* The vectors' sheet: the district's, edition 3, enrolling its two
 * schools, written with the C writer and signed by sk. */
static void
write_sheet(cds_buf *b, const uint8_t pk[32], const uint8_t sk[64])
{
	static const char *const code[2] = { "HN-CAUGIAY-TH-DICHVONG",
					     "HN-CAUGIAY-THCS-NGHIATAN" };
	static const char *const name[2] = { "Trường Tiểu học Dịch Vọng",
					     "Trường THCS Nghĩa Tân" };
	struct cds_entry e[2];
	struct cds_sheet sh;
	uint8_t seed[32], ssk[64];
	int i;

	memset(&sh, 0, sizeof sh);
	memset(e, 0, sizeof e);
	memset(sh.issuer, 0x22, 16);
	memcpy(sh.issuer_pk, pk, 32);
	sh.serial = 3;
	sh.issued_ms = 1750000000000;
	sh.kpi_version = 1;
	sh.count = 2;
	sh.e = e;
	for (i = 0; i < 2; i++) {
		e[i].type = CDS_ENTRY_NODE;
		memset(e[i].node, i ? 0x30 : 0x20, 16);
		e[i].role = 1;
		memset(seed, i ? 0x31 : 0x21, 32);
		crypto_sign_seed_keypair(e[i].sign_pk, ssk, seed);
		memset(e[i].box_pk, i ? 0x78 : 0x77, 32);
		e[i].from_ms = 1719792000000;
		snprintf(e[i].org_code, sizeof e[i].org_code, "%s", code[i]);
		snprintf(e[i].name, sizeof e[i].name, "%s", name[i]);
		snprintf(e[i].parent_code, sizeof e[i].parent_code,
			 "HN-CAUGIAY");
	}
	cds_sheet_write(b, &sh, sk);
}

/* Writes the vectors' snapshot (full: the one with heads, the sheet and
 * three units; else "empty") with the C writer. */
static void
write_vector(cds_buf *b, int full, const uint8_t *note, size_t nlen)
{
	struct cds_snap_head h[2];
	struct cds_snap_sheet sh;
	struct cds_snap s;
	struct cds_snap_unit *u = cds_calloc(1, sizeof *u);
	uint8_t seed[32], sk[64];
	cds_buf sb;

	assert_non_null(u);
	memset(&s, 0, sizeof s);
	memset(seed, 0x11, 32);
	crypto_sign_seed_keypair(s.hub_pk, sk, seed);
	cds_buf_init(&sb, 1024);
	write_sheet(&sb, s.hub_pk, sk);
	assert_int_equal(sb.rc, 0);
	sh.p = sb.p;
	sh.len = sb.n;
	memset(s.hub, 0x22, 16);
	snprintf(s.org, sizeof s.org, "HN-CAUGIAY");
	snprintf(s.day, sizeof s.day, "2026-06-30");
	memset(s.catalog, 0x44, 32);
	s.note = note;
	s.note_len = nlen;
	periods(&s);
	memset(h[0].node, 0x33, 16);
	h[0].seq = 7;
	memset(h[0].hash, 0x66, 32);
	memset(h[1].node, 0x35, 16);
	h[1].seq = 2;
	memset(h[1].hash, 0x55, 32);
	cds_snap_write_head(b, &s, h, full ? 2 : 0, &sh, full ? 1 : 0,
			    full ? 3 : 1);
	cds_buf_free(&sb);
	set_unit(u, 0x10, 0, 2, "HN-CAUGIAY");
	if (full) {
		u->cells[0] = 2, u->cells[8] = 2, u->cells[10] = 40;
		u->cells[11] = 38, u->cells[17] = 1500000, u->cells[20] = 3;
		u->cells[3 * 28 + 0] = 2, u->cells[3 * 28 + 8] = 2;
		u->cells[3 * 28 + 10] = 40, u->cells[3 * 28 + 11] = 38;
		u->cells[3 * 28 + 17] = 1500000, u->cells[23 * 28 + 8] = 1;
	}
	cds_snap_write_unit(b, u);
	if (full) {
		set_unit(u, 0x20, 0x10, 3, "HN-CAUGIAY-TH-DICHVONG");
		u->cells[0] = 1, u->cells[8] = 1, u->cells[10] = 25;
		u->cells[11] = 25, u->cells[17] = 1000000, u->cells[20] = 2;
		cds_snap_write_unit(b, u);
		set_unit(u, 0x30, 0x10, 3, "HN-CAUGIAY-THCS-NGHIATAN");
		u->cells[0] = 1, u->cells[8] = 1, u->cells[10] = 15;
		u->cells[11] = 13, u->cells[17] = 500000, u->cells[20] = 1;
		u->cells[CDS_SNAP_CELLS - 1] = (int64_t)1 << 40;
		cds_snap_write_unit(b, u);
	}
	cds_snap_write_end(b, 0, sk);
	cds_free(u);
}

static void
test_snapshots_match_their_vectors(void **st)
{
	static uint8_t want[MAXV], note[1024], sheet[1024];
	struct cds_snap_unit *u = cds_calloc(1, sizeof *u);
	struct cds_snap_sheet sh;
	struct cds_snap_head h;
	struct cds_snap s;
	size_t n, nlen, off;
	char err[256];
	cds_buf b;
	int k;

	(void)st;
	assert_non_null(u);
	nlen = vec_get("snapshot.vec", "note", note, sizeof note);
	for (k = 0; k < 2; k++) {
		n = vec_get("snapshot.vec", k ? "empty" : "snapshot", want,
			    sizeof want);
		cds_buf_init(&b, MAXV);
		write_vector(&b, !k, note, nlen);
		assert_int_equal(b.rc, 0);
		assert_int_equal(b.n, n);
		assert_memory_equal(b.p, want, n);
		cds_buf_free(&b);
		assert_int_equal(cds_snap_read(want, n, &s, err, sizeof err),
				 0);
		assert_int_equal(cds_snap_verify(want, n, &s, err, sizeof err),
				 0);
		assert_string_equal(s.org, "HN-CAUGIAY");
		assert_string_equal(s.day, "2026-06-30");
		assert_int_equal(s.note_len, nlen);
		assert_memory_equal(s.note, note, nlen);
		assert_string_equal(s.periods[35], "2028-Q4");
		assert_int_equal(s.nheads, k ? 0 : 2);
		assert_int_equal(s.nsheets, k ? 0 : 1);
		assert_int_equal(s.nunits, k ? 1 : 3);
	}
	/* the sheet carried is the vectors' sheet, byte for byte */
	nlen = vec_get("snapshot.vec", "sheet", sheet, sizeof sheet);
	n = vec_get("snapshot.vec", "snapshot", want, sizeof want);
	assert_int_equal(cds_snap_read(want, n, &s, err, sizeof err), 0);
	off = s.sheets_at;
	cds_snap_sheet_next(want, &s, &off, &sh);
	assert_int_equal(sh.len, nlen);
	assert_memory_equal(sh.p, sheet, nlen);
	assert_true(off < s.units_at);
	/* the full one, read back unit by unit */
	n = vec_get("snapshot.vec", "snapshot", want, sizeof want);
	assert_int_equal(cds_snap_read(want, n, &s, err, sizeof err), 0);
	cds_snap_head_at(&s, 0, &h);
	assert_int_equal(h.node[0], 0x33);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.hash[31], 0x66);
	off = s.units_at;
	assert_int_equal(cds_snap_next(want, &s, &off, u, err, sizeof err), 1);
	assert_string_equal(u->code, "HN-CAUGIAY");
	assert_int_equal(u->cells[17], 1500000);
	assert_int_equal(u->cells[23 * 28 + 8], 1);
	assert_int_equal(u->cells[1], 0);
	assert_int_equal(cds_snap_next(want, &s, &off, u, err, sizeof err), 1);
	assert_int_equal(u->parent[0], 0x10);
	assert_int_equal(u->level, 3);
	assert_int_equal(cds_snap_next(want, &s, &off, u, err, sizeof err), 1);
	assert_int_equal(u->cells[CDS_SNAP_CELLS - 1], (int64_t)1 << 40);
	assert_int_equal(cds_snap_next(want, &s, &off, u, err, sizeof err), 0);
	assert_string_equal(cds_snap_field(13), "P2.N.legal");
	assert_string_equal(cds_snap_field(27), "kind.welfare");
	/* one bit of a figure changed: the signature no longer holds */
	want[s.units_at + 40] ^= 1;
	if (cds_snap_read(want, n, &s, err, sizeof err) == 0)
		assert_int_equal(cds_snap_verify(want, n, &s, err, sizeof err),
				 -1);
	cds_free(u);
}

static void
test_a_snapshot_is_read_with_bounds(void **st)
{
	static uint8_t v[MAXV], w[MAXV + 8];
	struct cds_snap s;
	size_t n, i, at;
	char err[256];

	(void)st;
	n = vec_get("snapshot.vec", "snapshot", v, sizeof v);
	for (i = 0; i < n - 64; i++) {
		err[0] = '\0';
		assert_int_equal(cds_snap_read(v, i, &s, err, sizeof err), -1);
		assert_non_null(strstr(err, "snapshot offset"));
	}
	memcpy(w, v, n);
	w[n] = 0;
	assert_int_equal(cds_snap_read(w, n + 1, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "bytes after the signature"));
	memcpy(w, v, n);
	w[4] = 2;
	assert_int_equal(cds_snap_read(w, n, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "snapshot offset 4"));
	/* the sheet carried: one bit of it changed, its own signature fails */
	assert_int_equal(cds_snap_read(v, n, &s, err, sizeof err), 0);
	memcpy(w, v, n);
	w[s.sheets_at + 40] ^= 1;
	assert_int_equal(cds_snap_read(w, n, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "not signed by its key"));
	/* the number of periods: after the sheets */
	assert_int_equal(cds_snap_read(v, n, &s, err, sizeof err), 0);
	at = s.sheets_at;
	for (i = 0; i < s.nsheets; i++) {
		struct cds_snap_sheet sh;

		cds_snap_sheet_next(v, &s, &at, &sh);
	}
	assert_int_equal(v[at], 36);
	memcpy(w, v, n);
	w[at] = 35;
	assert_int_equal(cds_snap_read(w, n, &s, err, sizeof err), -1);
	snprintf((char *)w, 64, "snapshot offset %zu: not the 36", at);
	assert_non_null(strstr(err, (char *)w));
	/* heads out of order: the second one's node below the first's */
	assert_int_equal(cds_snap_read(v, n, &s, err, sizeof err), 0);
	at = (size_t)(s.heads - v);
	memcpy(w, v, n);
	w[at + 56] = 0x01;
	assert_int_equal(cds_snap_read(w, n, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "heads not in node order"));
	/* a unit's level */
	assert_int_equal(cds_snap_read(v, n, &s, err, sizeof err), 0);
	memcpy(w, v, n);
	w[s.units_at + 32] = 9;
	assert_int_equal(cds_snap_read(w, n, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown level"));
}

static void
test_the_writer_refuses_what_a_reader_would(void **st)
{
	struct cds_snap_unit *u = cds_calloc(1, sizeof *u);
	struct cds_snap_head h[2];
	struct cds_snap s;
	cds_buf b;

	(void)st;
	assert_non_null(u);
	memset(&s, 0, sizeof s);
	memset(h, 0, sizeof h);
	h[0].node[0] = 2;
	h[1].node[0] = 1;
	h[0].seq = h[1].seq = 1;
	cds_buf_init(&b, MAXV);
	cds_snap_write_head(&b, &s, h, 2, NULL, 0, 0);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	{	/* sheets out of issuer order, or too short to name one */
		static uint8_t a[32], z[32];
		struct cds_snap_sheet sh[2] = { { z, sizeof z }, { a, sizeof a } };

		memset(z, 0xff, sizeof z);
		cds_buf_init(&b, MAXV);
		cds_snap_write_head(&b, &s, h + 1, 1, sh, 2, 0);
		assert_int_equal(b.rc, CDSYNC_EINVAL);
		cds_buf_free(&b);
		sh[0].len = 20;
		cds_buf_init(&b, MAXV);
		cds_snap_write_head(&b, &s, h + 1, 1, sh, 1, 0);
		assert_int_equal(b.rc, CDSYNC_EINVAL);
		cds_buf_free(&b);
	}
	cds_buf_init(&b, MAXV);
	set_unit(u, 1, 0, 1, "VN");
	u->cells[5] = -1;
	cds_snap_write_unit(&b, u);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	cds_free(u);
}

/* ==== A district's snapshot, checked above ============================ */

static cdsync *nat, *dis, *sch, *sib;
static char root_fpr[20];

static void
activity(cdsync *db, const char *day, const char *kind)
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "held_on", day), 0);
	assert_int_equal(cdsync_rec_set(r, "title", "Thăm hỏi"), 0);
	assert_int_equal(cdsync_rec_set(r, "kind", kind), 0);
	if (cdsync_insert(db, r) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	cdsync_rec_free(r);
}

/* Every bundle of `from` (a fresh export) into `to`; a hub's bundles go
 * with the sheets of the nodes below, in its catalog. */
static void
carry(cdsync *from, cdsync *to)
{
	cdsync_role role;

	assert_int_equal(cdsync_node_role(from, &role), CDSYNC_OK);
	tu_carry(from, to,
		 role == CDSYNC_ROLE_HUB ? "catalog-HG-VX.cdsa" : NULL);
}

static int
setup(void **state)
{
	cdsync_cat_entry e;

	(void)state;
	nat = tu_node(CDSYNC_ROLE_NATIONAL, "VN", NULL);
	dis = tu_node(CDSYNC_ROLE_HUB, "HG-VX", "VN");
	sch = tu_node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU", "HG-VX");
	sib = tu_node(CDSYNC_ROLE_SCHOOL, "HG-VX-MN-HOASEN", "HG-VX");
	assert_int_equal(cdsync_catalog_at(nat, 0, &e), CDSYNC_OK);
	snprintf(root_fpr, sizeof root_fpr, "%s", e.fingerprint);
	tu_enrol(dis, nat, root_fpr);
	tu_enrol(sch, dis, root_fpr);
	tu_enrol(sib, dis, root_fpr);
	activity(sch, "2025-10-20", "care");
	activity(sch, "2025-11-20", "culture");
	activity(sib, "2026-03-08", "care");
	carry(sch, dis);
	carry(sib, dis);
	carry(dis, nat);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cdsync_close(nat);
	cdsync_close(dis);
	cdsync_close(sch);
	cdsync_close(sib);
	tu_cleanup();
	return 0;
}

/* The district's snapshot now, and the proof of its checkpoint from
 * `from`, taken at the national hub: the code of the snapshot's take. */
static int
forward(uint64_t from, uint8_t hash[32])
{
	uint8_t *p = NULL, *f = NULL;
	size_t n = 0, fn = 0;
	uint64_t held = 0;
	int rc;

	if (cdsync_snapshot_make(dis, NULL, &p, &n) != CDSYNC_OK)
		fail_msg("make: %s", cdsync_errmsg(dis));
	if (cdsync_snapshot_proof(dis, p, n, from, &f, &fn) != CDSYNC_OK)
		fail_msg("proof: %s", cdsync_errmsg(dis));
	if (cdsync_checkpoint_take(nat, f, fn, &held) != CDSYNC_OK)
		fail_msg("checkpoint: %s", cdsync_errmsg(nat));
	rc = cdsync_snapshot_take(nat, p, n, hash);
	cdsync_free(p);
	cdsync_free(f);
	return rc;
}

static uint64_t
log_size(cdsync *db)
{
	uint64_t n = 0;

	assert_int_equal(cdsync_tlog_size(db, &n), CDSYNC_OK);
	return n;
}

static void
test_a_district_snapshot_is_recounted_the_same(void **state)
{
	cdsync_snapshot_info s;
	uint8_t hash[32];

	(void)state;
	assert_int_equal(forward(0, hash), CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_check(nat, hash, &s), CDSYNC_OK);
	assert_int_equal(s.state, CDSYNC_SNAP_SAME);
	assert_string_equal(s.org, "HG-VX");
	assert_string_equal(s.hub_code, "HG-VX");
	assert_int_equal(s.units, 3);	/* the district and its two schools */
	assert_int_equal(s.heads, 3);
	assert_int_equal(s.sheets, 1);	/* the district's, enrolling them */
	assert_int_equal(s.tree_size, log_size(dis));
	assert_int_equal(s.ndiff, 0);
	/* taken twice: said, nothing kept twice */
	{
		uint8_t *p = NULL;
		size_t n = 0;

		assert_int_equal(cdsync_snapshot_latest(dis, &p, &n),
				 CDSYNC_OK);
		assert_int_equal(cdsync_snapshot_take(nat, p, n, NULL),
				 CDSYNC_EREPLAY);
		/* the district is no hub below itself; a school not a hub */
		assert_int_equal(cdsync_snapshot_take(dis, p, n, NULL),
				 CDSYNC_ESCOPE);
		cdsync_free(p);
	}
	{
		uint8_t *p = NULL;
		size_t n = 0;

		assert_int_equal(cdsync_snapshot_make(sch, NULL, &p, &n),
				 CDSYNC_ESCOPE);
		assert_null(p);
	}
}

static void
test_a_snapshot_waits_for_its_bundles(void **state)
{
	cdsync_snapshot_info s;
	uint8_t hash[32];
	uint64_t first;

	(void)state;
	assert_int_equal(forward(0, hash), CDSYNC_OK);
	first = log_size(dis);
	activity(sch, "2026-04-01", "health");
	carry(sch, dis);		/* at the district, not above yet */
	assert_int_equal(forward(first, hash), CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_check(nat, hash, &s), CDSYNC_OK);
	assert_int_equal(s.state, CDSYNC_SNAP_WAITING);
	assert_non_null(strstr(s.note, "bundle 2 of node"));
	assert_non_null(strstr(s.note, "is not merged here yet"));
	carry(dis, nat);
	{
		size_t checked = 0, differ = 0;

		assert_int_equal(cdsync_snapshot_check_all(nat, &checked,
							   &differ),
				 CDSYNC_OK);
		assert_int_equal(checked, 2);	/* the first one too */
		assert_int_equal(differ, 0);
	}
	assert_int_equal(cdsync_snapshot_at(nat, 0, &s), CDSYNC_OK);
	assert_int_equal(s.state, CDSYNC_SNAP_SAME);
}

static void
test_a_row_changed_behind_the_log_is_named(void **state)
{
	cdsync_snapshot_info s;
	cdsync_snapshot_diff d;
	uint8_t hash[32];
	size_t i;
	int found = 0;

	(void)state;
	/* the district's store changes a school's activity directly */
	assert_int_equal(sqlite3_exec(dis->db, "UPDATE activity SET kind = "
					       "'care' WHERE kind = 'culture'",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(forward(0, hash), CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_check(nat, hash, &s), CDSYNC_OK);
	assert_int_equal(s.state, CDSYNC_SNAP_DIFFERS);
	assert_true(s.ndiff > 4);
	assert_non_null(strstr(s.note, "HG-VX"));
	for (i = 0; cdsync_snapshot_diff_at(nat, s.hash, i, &d) == CDSYNC_OK;
	     i++)
		if (strcmp(d.unit, "HG-VX-TH-LUNGCU") == 0 &&
		    strcmp(d.period, "2025-Q4") == 0 &&
		    strcmp(d.field, "kind.culture") == 0) {
			assert_int_equal(d.signed_value, 0);
			assert_int_equal(d.computed, 1);
			found = 1;
		}
	assert_int_equal(i, s.ndiff);
	assert_true(found);
}

/* The district's snapshot, rewritten with the sheets sh[0..n) carried
 * in place of its own and signed again by the district. */
static void
resign(const uint8_t *p, size_t n, const struct cds_snap_sheet *sh,
       size_t nsh, cds_buf *b)
{
	struct cds_snap_unit *u = cds_calloc(1, sizeof *u);
	struct cds_snap_head *h;
	struct cds_snap s;
	char err[256];
	size_t i, off;

	assert_non_null(u);
	assert_int_equal(cds_snap_read(p, n, &s, err, sizeof err), 0);
	h = cds_calloc(s.nheads + 1, sizeof *h);
	assert_non_null(h);
	for (i = 0; i < s.nheads; i++)
		cds_snap_head_at(&s, i, &h[i]);
	cds_buf_init(b, n + 4096);
	cds_snap_write_head(b, &s, h, s.nheads, sh, nsh, s.nunits);
	off = s.units_at;
	while (cds_snap_next(p, &s, &off, u, err, sizeof err) == 1)
		cds_snap_write_unit(b, u);
	cds_snap_write_end(b, 0, dis->sign_sk);
	assert_int_equal(b->rc, 0);
	cds_free(h);
	cds_free(u);
}

static void
test_a_school_enrolled_since_does_not_move_a_snapshot(void **state)
{
	cdsync_snapshot_info s;
	cdsync *late;
	uint8_t hash[32], *p = NULL;
	size_t n = 0;
	uint64_t first;
	cds_buf b;

	(void)state;
	/* made and taken before the third school is enrolled; checked
	 * after the district's new sheet came up */
	assert_int_equal(forward(0, hash), CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_latest(dis, &p, &n), CDSYNC_OK);
	first = log_size(dis);
	late = tu_node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-THANHDUC", "HG-VX");
	tu_enrol(late, dis, root_fpr);
	carry(dis, nat);
	assert_int_equal(tu_count(nat, "SELECT count(*) FROM trust_sheet "
				       "WHERE instr(bytes, 'THANHDUC') > 0"),
			 1);
	assert_int_equal(cdsync_snapshot_check(nat, hash, &s), CDSYNC_OK);
	assert_int_equal(s.state, CDSYNC_SNAP_SAME);
	assert_int_equal(s.units, 3);
	/* the next one counts it (it has sent nothing: a union that meets
	 * no KPI), and is recounted the same */
	assert_int_equal(forward(first, hash), CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_check(nat, hash, &s), CDSYNC_OK);
	assert_int_equal(s.state, CDSYNC_SNAP_SAME);
	assert_int_equal(s.units, 4);
	/* the first one without the sheet it counted: the recount takes
	 * the sheet held here, and names the school it did not count */
	resign(p, n, NULL, 0, &b);
	assert_int_equal(cdsync_snapshot_take(nat, b.p, b.n, hash),
			 CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_check(nat, hash, &s), CDSYNC_OK);
	assert_int_equal(s.state, CDSYNC_SNAP_DIFFERS);
	assert_non_null(strstr(s.note, "HG-VX-TH-THANHDUC"));
	cds_buf_free(&b);
	/* a sheet of the district's signed by another key is refused */
	{
		cds_buf sb;
		struct cds_sheet sh;
		struct cds_snap_sheet x;
		uint8_t pk[32], sk[64];
		char err[256];
		struct cds_snap sn;
		size_t off;

		assert_int_equal(cds_snap_read(p, n, &sn, err, sizeof err), 0);
		off = sn.sheets_at;
		cds_snap_sheet_next(p, &sn, &off, &x);
		assert_int_equal(cds_sheet_read(x.p, x.len, &sh, err,
						sizeof err),
				 0);
		crypto_sign_keypair(pk, sk);
		memcpy(sh.issuer_pk, pk, 32);
		cds_buf_init(&sb, x.len + 64);
		cds_sheet_write(&sb, &sh, sk);
		cds_sheet_free(&sh);
		x.p = sb.p;
		x.len = sb.n;
		resign(p, n, &x, 1, &b);
		cds_buf_free(&sb);
	}
	assert_int_equal(cdsync_snapshot_take(nat, b.p, b.n, NULL),
			 CDSYNC_EBADSIG);
	assert_non_null(strstr(cdsync_errmsg(nat), "do not chain"));
	cds_buf_free(&b);
	cdsync_free(p);
	cdsync_close(late);
}

static void
test_what_is_refused(void **state)
{
	uint8_t *p = NULL, *f = NULL, hash[32];
	size_t n = 0, fn = 0;
	uint64_t held = 0, size;
	cds_buf b;
	char origin[CDS_CKPT_ORIGIN_MAX + 1];
	uint8_t root[32];

	(void)state;
	/* own changes not sealed: no snapshot */
	activity(dis, "2026-05-01", "training");
	assert_int_equal(cdsync_snapshot_make(dis, NULL, &p, &n),
			 CDSYNC_EINVAL);
	assert_non_null(strstr(cdsync_errmsg(dis), "in no bundle yet"));
	assert_int_equal(cdsync_seal(dis, &n), CDSYNC_OK);
	assert_int_equal(forward(0, hash), CDSYNC_OK);
	size = log_size(dis);
	/* a snapshot before its checkpoint was taken */
	activity(sch, "2026-05-02", "care");
	carry(sch, dis);
	assert_int_equal(cdsync_snapshot_make(dis, NULL, &p, &n), CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_take(nat, p, n, NULL), CDSYNC_EGAP);
	/* its proof from another size than the one held: told which */
	assert_int_equal(cdsync_snapshot_proof(dis, p, n, 0, &f, &fn),
			 CDSYNC_OK);
	assert_int_equal(cdsync_checkpoint_take(nat, f, fn, &held),
			 CDSYNC_EINVAL);
	assert_int_equal(held, size);
	cdsync_free(f);
	cdsync_free(p);
	/* a second root for the size held: two views of one log */
	memset(root, 0x5a, 32);
	assert_int_equal(cds_tlog_origin(origin, "HG-VX", dis->node_id), 0);
	cds_buf_init(&b, 1 << 16);
	cds_buf_bytes(&b, "old ", 4);
	{
		char num[24];

		snprintf(num, sizeof num, "%llu\n\n", (unsigned long long)size);
		cds_buf_bytes(&b, num, strlen(num));
	}
	cds_checkpoint_write(&b, origin, size, root, origin, dis->sign_sk,
			     dis->sign_pk);
	assert_int_equal(b.rc, 0);
	assert_int_equal(cdsync_checkpoint_take(nat, b.p, b.n, &held),
			 CDSYNC_EBADSIG);
	assert_non_null(strstr(cdsync_errmsg(nat), "two different roots"));
	cds_buf_free(&b);
}

static void
test_export_and_import_carry_it_with_its_proof(void **state)
{
	cdsync_snapshot_info s;
	const char *d = tu_tmpdir();
	char path[700];
	uint8_t hash[32], *p = NULL;
	size_t sealed, written, n = 0;

	(void)state;
	assert_int_equal(forward(0, hash), CDSYNC_OK);
	activity(sib, "2026-05-03", "welfare");
	carry(sib, dis);
	carry(dis, nat);
	assert_int_equal(cdsync_snapshot_make(dis, NULL, &p, &n), CDSYNC_OK);
	cdsync_free(p);
	assert_int_equal(cdsync_export(dis, d, &sealed, &written), CDSYNC_OK);
	snprintf(path, sizeof path, "%s/snapshot-HG-VX-%llu.cdss", d,
		 (unsigned long long)log_size(dis));
	assert_int_equal(cdsync_snapshot_import(nat, path, &s), CDSYNC_OK);
	assert_int_equal(s.state, CDSYNC_SNAP_SAME);
	/* at a school the district is the hub above, not one below */
	assert_int_equal(cdsync_snapshot_import(sib, path, &s), CDSYNC_ESCOPE);
}

static void
test_old_snapshots_are_pruned_those_that_differ_kept(void **state)
{
	uint8_t hash[32];
	size_t c[4];
	uint64_t from = 0;
	int i;

	(void)state;
	/* one that differs first: kept as evidence whatever comes after */
	assert_int_equal(sqlite3_exec(dis->db, "UPDATE activity SET kind = "
					       "'care' WHERE kind = 'culture'",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(forward(from, hash), CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_check(nat, hash, NULL), CDSYNC_OK);
	from = log_size(dis);
	for (i = 0; i < 31; i++) {
		char day[16];

		snprintf(day, sizeof day, "2026-02-%02d", i % 28 + 1);
		activity(sch, day, "health");
		carry(sch, dis);
		assert_int_equal(forward(from, hash), CDSYNC_OK);
		from = log_size(dis);
	}
	assert_int_equal(cdsync_snapshot_counts(nat, c), CDSYNC_OK);
	assert_int_equal(c[CDSYNC_SNAP_DIFFERS], 1);
	assert_int_equal(c[CDSYNC_SNAP_NEW] + c[CDSYNC_SNAP_WAITING] +
				 c[CDSYNC_SNAP_SAME],
			 30);
	assert_int_equal(tu_count(nat, "SELECT count(*) FROM snapshot_in"), 31);
	assert_true(tu_count(nat, "SELECT count(*) FROM snapshot_diff") > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshots_match_their_vectors),
		cmocka_unit_test(test_a_snapshot_is_read_with_bounds),
		cmocka_unit_test(test_the_writer_refuses_what_a_reader_would),
		cmocka_unit_test_setup_teardown(
			test_a_district_snapshot_is_recounted_the_same, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_snapshot_waits_for_its_bundles, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_row_changed_behind_the_log_is_named, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_school_enrolled_since_does_not_move_a_snapshot,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_what_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_export_and_import_carry_it_with_its_proof, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_old_snapshots_are_pruned_those_that_differ_kept,
			setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
