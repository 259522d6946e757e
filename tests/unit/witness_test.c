/* witness_test.c -- district hubs witness the national hub's log (SPEC.md
 * §12.9): a national hub and two district hubs on files.  Each district
 * cosigns the national checkpoints that extend the last one it cosigned,
 * from 0 and then from there; the national hub keeps the lines and gives
 * its checkpoints with them; a second root for a size, a proof from
 * another size, a bad or unknown cosignature, a tree never signed and a
 * school are refused, and nothing is cosigned then.  Finally the
 * national hub's audit pack passes the audit requiring both witnesses,
 * and fails it requiring three, naming the receipts. */
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
#include "id.h"
#include "store.h"
#include "testutil.h"
#include "tlog.h"

static cdsync *nat, *d1, *d2, *sch;
static char root_fpr[20];

static void
activity(cdsync *db, const char *day)
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "held_on", day), 0);
	assert_int_equal(cdsync_rec_set(r, "title", "Tập huấn"), 0);
	assert_int_equal(cdsync_rec_set(r, "kind", "training"), 0);
	if (cdsync_insert(db, r) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	cdsync_rec_free(r);
}

/* A district records an activity and its bundle goes to the national
 * hub, whose log grows by one. */
static void
send_up(cdsync *from, const char *day)
{
	activity(from, day);
	tu_carry(from, nat, NULL);
}

/* One witness round of district w: the proof from the size it holds,
 * cosigned, taken back above.  The code of the first step that fails. */
static int
round_of(cdsync *w, size_t *witnesses, uint64_t *size)
{
	uint8_t *f = NULL, *note = NULL;
	size_t fn = 0, nn = 0;
	uint64_t from = 0;
	int rc;

	if ((rc = cdsync_witness_from(w, &from)) != CDSYNC_OK)
		return rc;
	if (cdsync_tlog_consistency(nat, from, &f, &fn) != CDSYNC_OK)
		fail_msg("consistency: %s", cdsync_errmsg(nat));
	rc = cdsync_witness_cosign(w, f, fn, &note, &nn, size);
	cdsync_free(f);
	if (rc != CDSYNC_OK)
		return rc;
	rc = cdsync_tlog_cosigned_take(nat, note, nn, witnesses);
	cdsync_free(note);
	return rc;
}

static int
setup(void **state)
{
	cdsync_cat_entry e;

	(void)state;
	nat = tu_node(CDSYNC_ROLE_NATIONAL, "VN", NULL);
	d1 = tu_node(CDSYNC_ROLE_HUB, "HG-VX", "VN");
	d2 = tu_node(CDSYNC_ROLE_HUB, "HG-YM", "VN");
	sch = tu_node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU", "HG-VX");
	assert_int_equal(cdsync_catalog_at(nat, 0, &e), CDSYNC_OK);
	snprintf(root_fpr, sizeof root_fpr, "%s", e.fingerprint);
	tu_enrol(d1, nat, root_fpr);
	tu_enrol(d2, nat, root_fpr);
	tu_enrol(sch, d1, root_fpr);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cdsync_close(nat);
	cdsync_close(d1);
	cdsync_close(d2);
	cdsync_close(sch);
	tu_cleanup();
	return 0;
}

/* The witness names and keys of both districts. */
static void
keys_of(struct cds_note_key k[2], char names[2][CDS_CKPT_ORIGIN_MAX + 1])
{
	assert_int_equal(cds_tlog_witness_name(names[0], "HG-VX", d1->node_id),
			 0);
	assert_int_equal(cds_tlog_witness_name(names[1], "HG-YM", d2->node_id),
			 0);
	k[0].name = names[0];
	memcpy(k[0].pk, d1->sign_pk, 32);
	k[1].name = names[1];
	memcpy(k[1].pk, d2->sign_pk, 32);
}

static void
test_districts_cosign_what_extends_what_they_saw(void **state)
{
	char names[2][CDS_CKPT_ORIGIN_MAX + 1], err[256];
	struct cds_note_key k[2];
	struct cds_cosig found[2];
	struct cds_checkpoint c;
	uint8_t *note = NULL;
	size_t n = 0, w = 0;
	uint64_t size = 0, from = 0;

	(void)state;
	keys_of(k, names);
	send_up(d1, "2025-10-01");
	send_up(d2, "2025-10-02");
	/* first rounds: from 0, which proves nothing but is the start */
	assert_int_equal(cdsync_witness_from(d1, &from), CDSYNC_OK);
	assert_true(from == 0);
	assert_int_equal(round_of(d1, &w, &size), CDSYNC_OK);
	assert_int_equal(w, 1);
	assert_true(size == 2);
	assert_int_equal(round_of(d2, &w, &size), CDSYNC_OK);
	assert_int_equal(w, 2);
	assert_int_equal(cdsync_witness_from(d1, &from), CDSYNC_OK);
	assert_true(from == 2);
	/* the national hub gives its checkpoint with both lines */
	assert_int_equal(cdsync_tlog_cosigned_at(nat, 2, &note, &n),
			 CDSYNC_OK);
	assert_int_equal(cds_cosig_check(note, n, k, 2, found, err, sizeof err),
			 0);
	assert_true(found[0].time != UINT64_MAX);
	assert_true(found[1].time != UINT64_MAX);
	cdsync_free(note);
	assert_int_equal(cdsync_tlog_cosigned_at(nat, 3, &note, &n),
			 CDSYNC_ENOTFOUND);
	assert_non_null(strstr(cdsync_errmsg(nat), "of 3 leaves"));
	/* the log grows: cosigned from the size held */
	send_up(d1, "2025-11-01");
	send_up(d1, "2025-11-02");
	assert_int_equal(round_of(d1, &w, &size), CDSYNC_OK);
	assert_true(size == 4);
	assert_int_equal(w, 1);
	/* the log now: the newest tree, with d1's line only */
	assert_int_equal(cdsync_tlog_cosigned_at(nat, UINT64_MAX, &note, &n),
			 CDSYNC_OK);
	assert_int_equal(cds_cosig_check(note, n, k, 2, found, err, sizeof err),
			 0);
	assert_true(found[0].time != UINT64_MAX);
	assert_true(found[1].time == UINT64_MAX);
	{
		struct cds_note_key own;
		char origin[CDS_CKPT_ORIGIN_MAX + 1];

		assert_int_equal(cds_tlog_origin(origin, "VN", nat->node_id),
				 0);
		own.name = origin;
		memcpy(own.pk, nat->sign_pk, 32);
		assert_int_equal(cds_checkpoint_read(note, n, &own, 1, &c, NULL,
						     err, sizeof err),
				 0);
		assert_true(c.size == 4);
		assert_int_equal(c.nsig, 2);
	}
	cdsync_free(note);
	/* the tree of 2 keeps both lines */
	assert_int_equal(cdsync_tlog_cosigned_at(nat, 2, &note, &n),
			 CDSYNC_OK);
	assert_int_equal(cds_cosig_check(note, n, k, 2, found, err, sizeof err),
			 0);
	assert_true(found[1].time != UINT64_MAX);
	assert_non_null(strstr((const char *)note, "\n2\n"));
	cdsync_free(note);
}

static void
test_a_history_that_does_not_extend_is_not_cosigned(void **state)
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1], num[32];
	uint8_t root[32], *f = NULL, *note = NULL;
	size_t fn = 0, nn = 0, w = 0;
	uint64_t from = 0, held = 0, size = 0;
	cds_buf b;

	(void)state;
	assert_int_equal(cdsync_witness_from(d1, &from), CDSYNC_OK);
	assert_true(from == 4);
	/* a second root for the size d1 cosigned: two views of one log */
	assert_int_equal(cds_tlog_origin(origin, "VN", nat->node_id), 0);
	memset(root, 0x5a, 32);
	cds_buf_init(&b, 1 << 16);
	snprintf(num, sizeof num, "old %llu\n\n", (unsigned long long)from);
	cds_buf_bytes(&b, num, strlen(num));
	cds_checkpoint_write(&b, origin, from, root, origin, nat->sign_sk,
			     nat->sign_pk);
	assert_int_equal(b.rc, 0);
	assert_int_equal(cdsync_witness_cosign(d1, b.p, b.n, &note, &nn, &held),
			 CDSYNC_EBADSIG);
	assert_non_null(strstr(cdsync_errmsg(d1), "VN's checkpoint"));
	assert_null(note);
	cds_buf_free(&b);
	/* a proof from another size than the one held: told which */
	assert_int_equal(cdsync_tlog_consistency(nat, 2, &f, &fn), CDSYNC_OK);
	assert_int_equal(cdsync_witness_cosign(d1, f, fn, &note, &nn, &held),
			 CDSYNC_EINVAL);
	assert_true(held == 4);
	cdsync_free(f);
	/* nothing changed: the next honest round goes on from 4 */
	assert_int_equal(cdsync_witness_from(d1, &from), CDSYNC_OK);
	assert_true(from == 4);
	assert_int_equal(round_of(d1, &w, &size), CDSYNC_OK);
	assert_true(size == 4);
	/* a school is no witness */
	assert_int_equal(cdsync_tlog_consistency(nat, 0, &f, &fn), CDSYNC_OK);
	assert_int_equal(cdsync_witness_cosign(sch, f, fn, &note, &nn, &held),
			 CDSYNC_ESCOPE);
	/* the national hub does not witness its own log */
	assert_int_equal(cdsync_witness_cosign(nat, f, fn, &note, &nn, &held),
			 CDSYNC_ESCOPE);
	cdsync_free(f);
}

static void
test_the_hub_keeps_only_good_cosignatures(void **state)
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1], name[CDS_CKPT_ORIGIN_MAX + 1];
	uint8_t *f = NULL, *note = NULL, root[32];
	size_t fn = 0, nn = 0, w = 0;
	uint64_t held = 0;
	uint8_t keep;
	cds_buf b;

	(void)state;
	assert_int_equal(cdsync_tlog_consistency(nat, 4, &f, &fn), CDSYNC_OK);
	assert_int_equal(cdsync_witness_cosign(d2, f, fn, &note, &nn, &held),
			 CDSYNC_EINVAL);	/* d2 holds 2 */
	cdsync_free(f);
	assert_int_equal(cdsync_tlog_consistency(nat, 2, &f, &fn), CDSYNC_OK);
	assert_int_equal(cdsync_witness_cosign(d2, f, fn, &note, &nn, &held),
			 CDSYNC_OK);
	cdsync_free(f);
	/* a byte of the cosignature changed (another base64 digit) */
	keep = note[nn - 20];
	note[nn - 20] = keep == 'A' ? 'B' : 'A';
	assert_int_equal(cdsync_tlog_cosigned_take(nat, note, nn, &w),
			 CDSYNC_EBADSIG);
	assert_non_null(strstr(cdsync_errmsg(nat), "cosignature by "
						     "cdsync.vn/witness/HG-YM"));
	note[nn - 20] = keep;
	assert_int_equal(cdsync_tlog_cosigned_take(nat, note, nn, &w),
			 CDSYNC_OK);
	assert_int_equal(w, 2);
	cdsync_free(note);
	/* a cosignature by a key the catalog does not have as a witness */
	assert_int_equal(cdsync_tlog_checkpoint(nat, &note, &nn), CDSYNC_OK);
	assert_int_equal(cds_tlog_witness_name(name, "HG-VX-TH-LUNGCU",
					       sch->node_id),
			 0);
	cds_buf_init(&b, 1 << 17);
	cds_cosig_write(&b, note, nn, name, sch->sign_sk, sch->sign_pk, 1);
	assert_int_equal(b.rc, 0);
	cdsync_free(note);
	assert_int_equal(cdsync_tlog_cosigned_take(nat, b.p, b.n, &w),
			 CDSYNC_EUNKNOWNKEY);
	cds_buf_free(&b);
	/* a tree the hub never signed */
	assert_int_equal(cds_tlog_origin(origin, "VN", nat->node_id), 0);
	memset(root, 0x77, 32);
	cds_buf_init(&b, 1 << 16);
	cds_checkpoint_write(&b, origin, 3, root, origin, nat->sign_sk,
			     nat->sign_pk);
	assert_int_equal(cdsync_tlog_cosigned_take(nat, b.p, b.n, &w),
			 CDSYNC_ENOTFOUND);
	cds_buf_free(&b);
	/* another hub's checkpoint */
	assert_int_equal(cdsync_tlog_cosigned_take(d1, (const uint8_t *)"x\n",
						   2, &w),
			 CDSYNC_EBADSIG);
}

static void
test_the_audit_requires_the_witnesses_asked(void **state)
{
	char dir[700];
	cdsync_audit_summary s;
	char err[512];
	size_t files = 0;

	(void)state;
	snprintf(dir, sizeof dir, "%s/pack", tu_tmpdir());
	/* witnesses for the tree of 4: both */
	{
		size_t w = 0;
		uint64_t size = 0;

		assert_int_equal(round_of(d2, &w, &size), CDSYNC_OK);
		assert_true(size == 4);
		assert_int_equal(w, 2);
	}
	send_up(d2, "2025-12-01");	/* logged after: not witnessed */
	assert_int_equal(cdsync_audit_pack(nat, NULL, NULL, dir, &files),
			 CDSYNC_OK);
	assert_int_equal(cdsync_audit_dir(dir, root_fpr, 2, NULL, NULL, NULL,
					  NULL, &s, err, sizeof err),
			 CDSYNC_OK);
	assert_true(s.witnessed == 4);
	assert_int_equal(s.cosignatures, 2);
	assert_int_equal(s.failures, 1);	/* the bundle after */
	/* once witnessed, everything holds; three are more than there are */
	{
		size_t w = 0;
		uint64_t size = 0;

		assert_int_equal(round_of(d1, &w, &size), CDSYNC_OK);
		assert_int_equal(round_of(d2, &w, &size), CDSYNC_OK);
		assert_true(size == 5);
	}
	assert_int_equal(cdsync_audit_pack(nat, NULL, NULL, dir, &files),
			 CDSYNC_OK);
	assert_int_equal(cdsync_audit_dir(dir, root_fpr, 2, NULL, NULL, NULL,
					  NULL, &s, err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(s.failures, 0);
	assert_true(s.witnessed == 5);
	assert_int_equal(cdsync_audit_dir(dir, root_fpr, 3, NULL, NULL, NULL,
					  NULL, &s, err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(s.failures, 5);	/* each national receipt */
	assert_int_equal(cdsync_audit_dir(dir, root_fpr, 0, NULL, NULL, NULL,
					  NULL, &s, err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(s.failures, 0);
	/* witnesses that cosigned different sizes: each vouches for every
	 * tree up to its own -- d2 the tree of 6, d1 the tree of 7 */
	{
		size_t w = 0;
		uint64_t size = 0;

		send_up(d1, "2026-01-10");
		assert_int_equal(round_of(d2, &w, &size), CDSYNC_OK);
		assert_true(size == 6);
		send_up(d2, "2026-01-11");
		assert_int_equal(round_of(d1, &w, &size), CDSYNC_OK);
		assert_true(size == 7);
		assert_int_equal(w, 1);	/* one witness at each size */
	}
	assert_int_equal(cdsync_audit_pack(nat, NULL, NULL, dir, &files),
			 CDSYNC_OK);
	assert_int_equal(cdsync_audit_dir(dir, root_fpr, 2, NULL, NULL, NULL,
					  NULL, &s, err, sizeof err),
			 CDSYNC_OK);
	assert_true(s.witnessed == 6);	/* leaves 0-5 */
	assert_int_equal(s.failures, 1);	/* leaf 6: d1's alone */
	/* the hub keeps a witness's newest 16 sizes, not every one */
	{
		char sql[200], hex[33];
		size_t w = 0, i;
		uint64_t size = 0;

		for (i = 0; i < 18; i++) {
			send_up(d1, "2026-02-01");
			assert_int_equal(round_of(d1, &w, &size), CDSYNC_OK);
		}
		cds_id_hex(d1->node_id, hex);
		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM tlog_cosig WHERE "
			 "lower(hex(witness)) = '%s'", hex);
		assert_int_equal(tu_count(nat, sql), 16);
		snprintf(sql, sizeof sql,
			 "SELECT max(size) FROM tlog_cosig WHERE "
			 "lower(hex(witness)) = '%s'", hex);
		assert_int_equal(tu_count(nat, sql), (int)size);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_districts_cosign_what_extends_what_they_saw),
		cmocka_unit_test(
			test_a_history_that_does_not_extend_is_not_cosigned),
		cmocka_unit_test(test_the_hub_keeps_only_good_cosignatures),
		cmocka_unit_test(test_the_audit_requires_the_witnesses_asked),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
