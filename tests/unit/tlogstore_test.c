/* tlogstore_test.c -- the transparency log in the store (client/tlog.c)
 * and on the hub's HTTP endpoint (daemon/hub.c).
 *
 * A district hub takes in bundles from two schools: the log grows by one
 * leaf for each bundle first taken in (a held one when it is held, not
 * again when merged; none for a replay, a refusal or fork evidence), in
 * that order, each leaf repeating its bundle's receipt, which names the
 * leaf's index (version 2); the checkpoint verifies with the hub's key
 * under its origin; every inclusion proof and a consistency proof verify
 * offline; a flipped bit anywhere in a proof file, another key, another
 * origin, a checkpoint of another log and a tampered consistency proof
 * are refused.  A store from before the log gets the same leaves back,
 * also when a receipt asks first.  The hub serves the checkpoint and the
 * proofs over HTTP with ETags (cdsd_hub_start on 127.0.0.1, fetched with
 * libcurl).  Out of memory at every allocation of a proof.
 *
 * Cost of the root, measured here (test_a_large_log_..., which prints
 * it): over 100 000 leaves, cds_tlog_root alone takes 90-130 ms in the
 * Debug build under ASan and UBSan (75-90 ms at -O2 without sanitizers:
 * 200 000 SHA-256 of libsodium's portable code); a whole
 * cdsync_tlog_checkpoint (read the 100 000 hashes from SQLite, root,
 * sign, keep) 140-210 ms, an inclusion proof 210-240 ms, under ASan on 2
 * cores.  Recomputing from the leaf hashes is fine to a few hundred
 * thousand leaves; past that, keep the builder's frontier.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>
#include <sqlite3.h>

#include "alloc.h"
#include "config.h"
#include "hub.h"
#include "receipt.h"
#include "store.h"
#include "testutil.h"
#include "tlog.h"

#define T0 1767225600000ull	/* 2026-01-01T00:00:00Z */

static uint64_t fake_now;
static uint64_t
fakeclock(void)
{
	return fake_now;
}

static cdsync *hub, *sa, *sb;		/* the district, two schools */
static char hub_path[600];		/* its store file */
static char dir_a[512], dir_b[512];	/* what the schools export */
static char origin[CDSYNC_TLOG_ORIGINBYTES];

static cdsync *
node(cdsync_role role, const char *code, char *path, size_t n)
{
	cdsync *db = NULL;
	const char *p = tu_path(tu_tmpdir(), "store.db");

	if (path != NULL)
		snprintf(path, n, "%s", p);
	assert_int_equal(cdsync_open(p, CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	if (cdsync_node_init(db, role, code, code, NULL) != CDSYNC_OK)
		fail_msg("init: %s", cdsync_errmsg(db));
	return db;
}

/* b learns a's keys, and a learns b's as upstream: a sends to b. */
static void
introduce(cdsync *a, cdsync *b)
{
	char *text = NULL;

	assert_int_equal(cdsync_keys_export(a, &text), CDSYNC_OK);
	assert_int_equal(cdsync_peer_add(b, text, 0), CDSYNC_OK);
	cdsync_free(text);
	assert_int_equal(cdsync_keys_export(b, &text), CDSYNC_OK);
	assert_int_equal(cdsync_peer_add(a, text, 1), CDSYNC_OK);
	cdsync_free(text);
}

/* One more bundle of db, exported to dir. */
static void
seal_one(cdsync *db, const char *dir, const char *title)
{
	cdsync_rec *r = NULL;
	size_t sealed = 0, written = 0;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "held_on", "2026-01-20"), 0);
	assert_int_equal(cdsync_rec_set(r, "title", title), 0);
	assert_int_equal(cdsync_rec_set(r, "kind", "care"), 0);
	if (cdsync_insert(db, r) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	cdsync_rec_free(r);
	assert_int_equal(cdsync_export(db, dir, &sealed, &written), 0);
	assert_int_equal(sealed, 1);
}

/* The bundle number seq of the school that exports to dir. */
static const char *
bundle(const char *dir, unsigned seq)
{
	static char path[1024];
	char want[16];
	struct dirent **list;
	int n, i;

	snprintf(want, sizeof want, "-%06u.cdsb", seq);
	n = scandir(dir, &list, NULL, alphasort);
	assert_true(n >= 0);
	path[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strstr(list[i]->d_name, want) != NULL)
			snprintf(path, sizeof path, "%s/%s", dir,
				 list[i]->d_name);
		free(list[i]);
	}
	free(list);
	assert_true(path[0] != '\0');
	return path;
}

static int
take(const char *path)
{
	size_t changes = 0;

	return cdsync_import_file(hub, path, &changes);
}

static uint64_t
log_size(cdsync *db)
{
	uint64_t n = 99;

	if (cdsync_tlog_size(db, &n) != CDSYNC_OK)
		fail_msg("size: %s", cdsync_errmsg(db));
	return n;
}

/* The hash of a bundle file, from its header. */
static void
hash_of(const char *path, uint8_t hash[32])
{
	cdsync_bundle_info info;

	assert_int_equal(cdsync_bundle_read(NULL, path, &info, NULL, NULL),
			 CDSYNC_OK);
	memcpy(hash, info.hash, 32);
}

static int
setup(void **state)
{
	uint8_t id[16];

	(void)state;
	fake_now = T0;
	cds_wall_hook = fakeclock;
	hub = node(CDSYNC_ROLE_HUB, "HG-VX", hub_path, sizeof hub_path);
	sa = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU", NULL, 0);
	sb = node(CDSYNC_ROLE_SCHOOL, "HG-VX-MN-HOASEN", NULL, 0);
	introduce(sa, hub);
	introduce(sb, hub);
	snprintf(dir_a, sizeof dir_a, "%s", tu_tmpdir());
	snprintf(dir_b, sizeof dir_b, "%s", tu_tmpdir());
	assert_int_equal(cdsync_node_id(hub, id), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_origin("HG-VX", id, origin,
					    sizeof origin), CDSYNC_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cds_wall_hook = NULL;
	cdsync_close(hub);
	cdsync_close(sa);
	cdsync_close(sb);
	tu_cleanup();
	return 0;
}

/* The log of the hub after A3 (held), A1, a replay of A1, B1, A2 (merged,
 * and A3 with it), at times T0 + 1 s, 2 s, ... */
static void
five_bundles(void)
{
	uint64_t base = log_size(hub);
	long merged = tu_count(hub, "SELECT count(*) FROM sync_bundle_in "
				    "WHERE status = 'merged'");
	unsigned i;

	for (i = 1; i <= 3; i++)
		seal_one(sa, dir_a, "Trường Lũng Cú");
	seal_one(sb, dir_b, "Trường Hoa Sen");
	fake_now = T0 + 1000;
	assert_int_equal(take(bundle(dir_a, 3)), CDSYNC_EGAP);
	assert_int_equal(log_size(hub), base + 1);	/* logged when held */
	fake_now = T0 + 2000;
	assert_int_equal(take(bundle(dir_a, 3)), CDSYNC_EGAP);
	assert_int_equal(log_size(hub), base + 1);	/* held before */
	assert_int_equal(take(bundle(dir_a, 1)), CDSYNC_OK);
	assert_int_equal(log_size(hub), base + 2);
	fake_now = T0 + 3000;
	assert_int_equal(take(bundle(dir_a, 1)), CDSYNC_EREPLAY);
	assert_int_equal(log_size(hub), base + 2);	/* a replay */
	fake_now = T0 + 4000;
	assert_int_equal(take(bundle(dir_b, 1)), CDSYNC_OK);
	assert_int_equal(log_size(hub), base + 3);
	fake_now = T0 + 5000;
	assert_int_equal(take(bundle(dir_a, 2)), CDSYNC_OK);
	/* A2 is a new leaf; A3, merged now, is not logged again */
	assert_int_equal(log_size(hub), base + 4);
	assert_int_equal(tu_count(hub, "SELECT count(*) FROM sync_bundle_in "
				       "WHERE status = 'merged'"), merged + 4);
}

/* ==== The log grows ==================================================== */

static void
test_the_log_grows_by_one_leaf_per_bundle_first_taken_in(void **state)
{
	static const struct {
		const char *dir;
		unsigned seq;
		uint64_t seen, index;
	} want[4] = {
		{ dir_a, 3, T0 + 1000, 0 },
		{ dir_a, 1, T0 + 2000, 1 },
		{ dir_b, 1, T0 + 4000, 2 },
		{ dir_a, 2, T0 + 5000, 3 },
	};
	uint8_t hash[32], leaf[CDS_TLOG_LEAF_BYTES], junk[64];
	struct cds_tlog_leaf l;
	struct cds_receipt r;
	uint8_t *rc_bytes = NULL;
	uint64_t index = 99;
	sqlite3_stmt *st;
	char err[256];
	size_t n, k;

	(void)state;
	assert_int_equal(log_size(hub), 0);
	five_bundles();
	/* in the order taken in; each leaf is what its receipt says */
	for (k = 0; k < 4; k++) {
		hash_of(bundle(want[k].dir, want[k].seq), hash);
		assert_int_equal(cdsync_tlog_index(hub, hash, &index),
				 CDSYNC_OK);
		assert_int_equal(index, want[k].index);
		assert_int_equal(cdsync_receipt_make(hub, hash, &rc_bytes, &n),
				 CDSYNC_OK);
		assert_int_equal(cds_receipt_read(rc_bytes, n, &r, err,
						  sizeof err), 0);
		cdsync_free(rc_bytes);
		rc_bytes = NULL;
		assert_int_equal(r.seen_ms, want[k].seen);
		assert_int_equal(r.seq, want[k].seq);
		/* version 2: the receipt says the leaf */
		assert_int_equal(r.version, CDS_RECEIPT_V2);
		assert_true(r.leaf == index);
		memcpy(l.hash, r.hash, 32);
		memcpy(l.node, r.node, 16);
		l.seq = r.seq;
		l.seen_ms = r.seen_ms;
		cds_tlog_leaf_encode(&l, leaf);
		st = NULL;
		assert_int_equal(sqlite3_prepare_v2(hub->db, "SELECT leaf FROM "
							     "tlog_leaf WHERE "
							     "idx = ?1", -1,
						    &st, NULL), SQLITE_OK);
		sqlite3_bind_int64(st, 1, (int64_t)index);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_bytes(st, 0),
				 CDS_TLOG_LEAF_BYTES);
		assert_memory_equal(sqlite3_column_blob(st, 0), leaf,
				    CDS_TLOG_LEAF_BYTES);
		sqlite3_finalize(st);
	}
	/* a refusal adds nothing: a damaged bundle */
	{
		static uint8_t buf[1 << 16];
		char p[600];
		FILE *f;

		snprintf(p, sizeof p, "%s", tu_path(tu_tmpdir(), "bad.cdsb"));
		seal_one(sb, dir_b, "Hai");
		f = fopen(bundle(dir_b, 2), "rb");
		assert_non_null(f);
		n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		buf[n - 1] ^= 1;
		tu_write(p, buf, n);
		assert_int_not_equal(take(p), CDSYNC_OK);
		assert_int_equal(log_size(hub), 4);
	}
	/* a bundle the hub never took in has no leaf */
	memset(junk, 0x5a, 32);
	assert_int_equal(cdsync_tlog_index(hub, junk, &index),
			 CDSYNC_ENOTFOUND);
	assert_int_equal(index, 0);
	assert_non_null(strstr(cdsync_errmsg(hub), "is not in this node's "
						   "transparency log"));
	/* a leaf never changes, and is never removed */
	assert_int_not_equal(sqlite3_exec(hub->db, "UPDATE tlog_leaf SET "
						   "hash = hash", NULL, NULL,
					  NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(hub->db, "DELETE FROM tlog_leaf",
					  NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(log_size(hub), 4);
}

static void
test_fork_evidence_gets_no_leaf(void **state)
{
	const char *copy = tu_path(tu_tmpdir(), "copy.db");
	char path[1024], dir_t[512];
	sqlite3_backup *bk;
	sqlite3 *dst;
	cdsync *twin = NULL;

	(void)state;
	snprintf(path, sizeof path, "%s", copy);
	snprintf(dir_t, sizeof dir_t, "%s", tu_tmpdir());
	seal_one(sa, dir_a, "Một");
	/* the school restored from a backup seals another bundle 2 */
	assert_int_equal(sqlite3_open(path, &dst), SQLITE_OK);
	bk = sqlite3_backup_init(dst, "main", sa->db, "main");
	assert_non_null(bk);
	assert_int_equal(sqlite3_backup_step(bk, -1), SQLITE_DONE);
	assert_int_equal(sqlite3_backup_finish(bk), SQLITE_OK);
	sqlite3_close(dst);
	seal_one(sa, dir_a, "Bản gốc");
	assert_int_equal(cdsync_open(path, 0, &twin), CDSYNC_OK);
	seal_one(twin, dir_t, "Bản sao lưu");
	assert_int_equal(take(bundle(dir_a, 1)), CDSYNC_OK);
	assert_int_equal(take(bundle(dir_a, 2)), CDSYNC_OK);
	assert_int_equal(log_size(hub), 2);
	assert_int_equal(take(bundle(dir_t, 2)), CDSYNC_EFORK);
	assert_int_equal(tu_count(hub, "SELECT count(*) FROM sync_bundle_in "
				       "WHERE status = 'evidence'"), 1);
	assert_int_equal(log_size(hub), 2);
	cdsync_close(twin);
}

/* ==== Checkpoints and proofs ========================================== */

static void
test_checkpoints_and_proofs_verify_offline(void **state)
{
	static const unsigned seqs[4][2] = { { 0, 3 }, { 0, 1 }, { 1, 1 },
					     { 0, 2 } };
	uint8_t *note = NULL, *again = NULL, *file = NULL, *old = NULL;
	uint8_t *cons = NULL, hash[32], *rb = NULL;
	size_t nlen, alen, flen, olen, clen, rlen, k;
	cdsync_tlog_head head, h2;
	cdsync_tlog_entry e;
	struct cds_receipt r;
	char err[512];

	(void)state;
	/* the empty log has a checkpoint too */
	assert_int_equal(cdsync_tlog_checkpoint(hub, &old, &olen), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_check_checkpoint(old, olen, hub->sign_pk,
						      origin, &head, err,
						      sizeof err), CDSYNC_OK);
	assert_int_equal(head.size, 0);
	cdsync_free(old);
	fake_now = T0;
	seal_one(sa, dir_a, "Một");
	seal_one(sa, dir_a, "Hai");
	assert_int_equal(take(bundle(dir_a, 1)), CDSYNC_OK);
	assert_int_equal(take(bundle(dir_a, 2)), CDSYNC_OK);
	/* a checkpoint of size 2, which an auditor keeps */
	assert_int_equal(cdsync_tlog_checkpoint(hub, &old, &olen), CDSYNC_OK);
	/* then the log of five_bundles on top (sizes 2 -> 6) */
	snprintf(dir_a, sizeof dir_a, "%s", tu_tmpdir());
	cdsync_close(sa);
	sa = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-MINHTAN", NULL, 0);
	introduce(sa, hub);
	five_bundles();
	assert_int_equal(log_size(hub), 6);
	assert_int_equal(cdsync_tlog_checkpoint(hub, &note, &nlen), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_check_checkpoint(note, nlen, hub->sign_pk,
						      origin, &head, err,
						      sizeof err), CDSYNC_OK);
	assert_string_equal(err, "");
	assert_string_equal(head.origin, origin);
	assert_int_equal(head.size, 6);
	assert_non_null(strstr((const char *)note, "\n6\n"));
	/* the same log, the same bytes */
	assert_int_equal(cdsync_tlog_checkpoint(hub, &again, &alen),
			 CDSYNC_OK);
	assert_int_equal(alen, nlen);
	assert_memory_equal(again, note, nlen);
	cdsync_free(again);
	assert_int_equal(tu_count(hub, "SELECT count(*) FROM tlog_checkpoint"),
			 3);	/* sizes 0, 2 and 6 */
	/* every bundle's inclusion proof, checked as an auditor does: the
	 * leaf is the one the receipt describes */
	for (k = 0; k < 4; k++) {
		hash_of(bundle(seqs[k][0] ? dir_b : dir_a, seqs[k][1]), hash);
		assert_int_equal(cdsync_tlog_inclusion(hub, hash, &file,
						       &flen), CDSYNC_OK);
		assert_int_equal(memcmp(file, "c2sp.org/tlog-proof@v1\n", 23),
				 0);
		assert_int_equal(cdsync_tlog_check_inclusion(file, flen,
							     hub->sign_pk,
							     origin, &h2, &e,
							     err, sizeof err),
				 CDSYNC_OK);
		assert_int_equal(h2.size, 6);
		assert_memory_equal(h2.root, head.root, 32);
		assert_int_equal(e.index, k + 2);
		assert_memory_equal(e.hash, hash, 32);
		assert_int_equal(cdsync_receipt_make(hub, hash, &rb, &rlen),
				 CDSYNC_OK);
		assert_int_equal(cds_receipt_read(rb, rlen, &r, err,
						  sizeof err), 0);
		assert_memory_equal(e.node, r.node, 16);
		assert_int_equal(e.seq, r.seq);
		assert_int_equal(e.seen_ms, r.seen_ms);
		assert_true(e.index == r.leaf);
		cdsync_free(rb);
		cdsync_free(file);
		file = NULL;
	}
	/* the log only grew: from the kept checkpoint of size 2 */
	assert_int_equal(cdsync_tlog_consistency(hub, 2, &cons, &clen),
			 CDSYNC_OK);
	assert_int_equal(memcmp(cons, "old 2\n", 6), 0);
	assert_int_equal(cdsync_tlog_check_consistency(cons, clen,
						       hub->sign_pk, origin,
						       old, olen, &h2, err,
						       sizeof err), CDSYNC_OK);
	assert_int_equal(h2.size, 6);
	assert_memory_equal(h2.root, head.root, 32);
	cdsync_free(cons);
	/* from the size now: an empty proof that holds */
	assert_int_equal(cdsync_tlog_consistency(hub, 6, &cons, &clen),
			 CDSYNC_OK);
	assert_int_equal(cdsync_tlog_check_consistency(cons, clen,
						       hub->sign_pk, origin,
						       note, nlen, &h2, err,
						       sizeof err), CDSYNC_OK);
	cdsync_free(cons);
	/* from 0 (a witness's first request): an empty proof */
	assert_int_equal(cdsync_tlog_consistency(hub, 0, &cons, &clen),
			 CDSYNC_OK);
	assert_int_equal(memcmp(cons, "old 0\n\n", 7), 0);
	cdsync_free(cons);
	/* past the end */
	cons = (uint8_t *)1;
	assert_int_equal(cdsync_tlog_consistency(hub, 7, &cons, &clen),
			 CDSYNC_EINVAL);
	assert_null(cons);
	assert_int_equal(clen, 0);
	assert_string_equal(cdsync_errmsg(hub), "transparency log: no "
						"consistency proof from size "
						"7: the log has 6 leaves");
	cdsync_free(note);
	cdsync_free(old);
}

/* Every single-bit change of p[0..n) is refused by check (0 = OK). */
static void
every_flip_refused(const uint8_t *p, size_t n,
		   int (*check)(const uint8_t *, size_t))
{
	uint8_t *x = malloc(n + 1);
	size_t i;
	int bit;

	assert_non_null(x);
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(x, p, n);
			x[i] ^= (uint8_t)(1u << bit);
			if (check(x, n) == CDSYNC_OK)
				fail_msg("byte %zu bit %d: accepted", i, bit);
		}
	free(x);
}

static int
incl_ok(const uint8_t *p, size_t n)
{
	return cdsync_tlog_check_inclusion(p, n, hub->sign_pk, origin, NULL,
					   NULL, NULL, 0);
}

static const uint8_t *trusted;
static size_t trusted_len;

static int
cons_ok(const uint8_t *p, size_t n)
{
	return cdsync_tlog_check_consistency(p, n, hub->sign_pk, origin,
					     trusted, trusted_len, NULL, NULL,
					     0);
}

static void
test_tampered_proofs_and_other_logs_are_refused(void **state)
{
	uint8_t *file = NULL, *note = NULL, *old = NULL, *cons = NULL;
	uint8_t hash[32], other[32], id[16], *x;
	char err[512], other_origin[CDSYNC_TLOG_ORIGINBYTES];
	size_t flen, nlen, olen, clen;
	cdsync_tlog_head head;
	cdsync_tlog_entry e;
	cds_buf b;

	(void)state;
	seal_one(sa, dir_a, "Một");
	assert_int_equal(take(bundle(dir_a, 1)), CDSYNC_OK);
	seal_one(sb, dir_b, "Một");
	assert_int_equal(take(bundle(dir_b, 1)), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_checkpoint(hub, &old, &olen), CDSYNC_OK);
	seal_one(sa, dir_a, "Hai");
	assert_int_equal(take(bundle(dir_a, 2)), CDSYNC_OK);
	hash_of(bundle(dir_a, 1), hash);
	assert_int_equal(cdsync_tlog_inclusion(hub, hash, &file, &flen),
			 CDSYNC_OK);
	assert_int_equal(incl_ok(file, flen), CDSYNC_OK);
	/* a flipped bit anywhere: refused */
	every_flip_refused(file, flen, incl_ok);
	/* cut at every length: refused */
	for (clen = 0; clen < flen; clen++)
		assert_int_not_equal(incl_ok(file, clen), CDSYNC_OK);
	/* a proof line changed to another valid hash: the proof fails */
	x = malloc(flen + 1);
	assert_non_null(x);
	memcpy(x, file, flen);
	{
		char *line = strstr((char *)x, "\nindex 0\n");

		assert_non_null(line);
		line += 9;
		line[0] = line[0] == 'A' ? 'B' : 'A';
	}
	assert_int_equal(cdsync_tlog_check_inclusion(x, flen, hub->sign_pk,
						     origin, &head, &e, err,
						     sizeof err),
			 CDSYNC_EBADSIG);
	assert_string_equal(err, "inclusion proof: the proof does not lead "
				 "from leaf 0 to the root of the tree of size "
				 "3");
	assert_int_equal(head.size, 0);
	assert_int_equal(e.index, 0);
	free(x);
	/* not a proof file */
	assert_int_equal(cdsync_tlog_check_inclusion((const uint8_t *)"old 1\n",
						     6, hub->sign_pk, origin,
						     NULL, NULL, err,
						     sizeof err),
			 CDSYNC_EBADINPUT);
	assert_string_equal(err, "inclusion proof line 1: not a "
				 "c2sp.org/tlog-proof@v1 file");
	/* another key: a school's */
	assert_int_equal(cdsync_tlog_check_inclusion(file, flen, sa->sign_pk,
						     origin, NULL, NULL, err,
						     sizeof err),
			 CDSYNC_EBADSIG);
	/* another origin: the name of the key is not the one signed */
	assert_int_equal(cdsync_node_id(hub, id), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_origin("HG-XX", id, other_origin,
					    sizeof other_origin), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_check_inclusion(file, flen, hub->sign_pk,
						     other_origin, NULL, NULL,
						     err, sizeof err),
			 CDSYNC_EBADSIG);
	assert_non_null(strstr(err, "no signature by cdsync.vn/hub/HG-XX/"));
	/* a checkpoint of another log, signed by the hub's key under its
	 * own name: refused for its origin */
	assert_int_equal(cdsync_tlog_checkpoint(hub, &note, &nlen), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_check_checkpoint(note, nlen, hub->sign_pk,
						      origin, &head, err,
						      sizeof err), CDSYNC_OK);
	cds_buf_init(&b, CDS_CKPT_MAX);
	cds_checkpoint_write(&b, other_origin, head.size, head.root, origin,
			     hub->sign_sk, hub->sign_pk);
	assert_int_equal(b.rc, 0);
	assert_int_equal(cdsync_tlog_check_checkpoint(b.p, b.n, hub->sign_pk,
						      origin, &head, err,
						      sizeof err),
			 CDSYNC_EBADSIG);
	assert_int_equal(strncmp(err, "checkpoint: of the log "
				      "cdsync.vn/hub/HG-XX/", 43), 0);
	cds_buf_free(&b);
	/* no key, no origin */
	assert_int_equal(cdsync_tlog_check_checkpoint(note, nlen, NULL, origin,
						      NULL, err, sizeof err),
			 CDSYNC_EINVAL);
	assert_int_equal(cdsync_tlog_check_checkpoint(note, nlen, hub->sign_pk,
						      "", NULL, err,
						      sizeof err),
			 CDSYNC_EINVAL);
	/* consistency: tampered, against another tree, wrong size */
	assert_int_equal(cdsync_tlog_consistency(hub, 2, &cons, &clen),
			 CDSYNC_OK);
	trusted = old;
	trusted_len = olen;
	assert_int_equal(cons_ok(cons, clen), CDSYNC_OK);
	every_flip_refused(cons, clen, cons_ok);
	/* a trusted checkpoint of size 2 with another root: a split view */
	memset(other, 0x77, 32);
	cds_buf_init(&b, CDS_CKPT_MAX);
	cds_checkpoint_write(&b, origin, 2, other, origin, hub->sign_sk,
			     hub->sign_pk);
	assert_int_equal(cdsync_tlog_check_consistency(cons, clen,
						       hub->sign_pk, origin,
						       b.p, b.n, &head, err,
						       sizeof err),
			 CDSYNC_EBADSIG);
	assert_string_equal(err, "consistency proof: the tree of size 3 does "
				 "not extend the trusted tree of size 2");
	cds_buf_free(&b);
	/* the trusted checkpoint is the one of size 3: the file is from 2 */
	assert_int_equal(cdsync_tlog_check_consistency(cons, clen,
						       hub->sign_pk, origin,
						       note, nlen, &head, err,
						       sizeof err),
			 CDSYNC_EBADSIG);
	assert_string_equal(err, "consistency proof: the proof is from size "
				 "2, not from the trusted size 3");
	cdsync_free(cons);
	cdsync_free(file);
	cdsync_free(note);
	cdsync_free(old);
}

/* Drops what the migrations after 0010_tlog.sql made: their triggers,
 * tables and indexes. */
static void
drop_rollup(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char sql[200];
	int n = 0;

	for (;;) {
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, name FROM "
						       "sqlite_schema WHERE "
						       "(name LIKE 'rollup_%' OR "
						       "name LIKE 'snapshot_%' OR "
						       "name LIKE 'tlog_peer%' OR "
						       "name LIKE 'tlog_cosig%' OR "
						       "name = 'sync_change_via') "
						       "AND type IN ('trigger', "
						       "'table', 'index') ORDER BY "
						       "type DESC LIMIT 1",
						    -1, &st, NULL),
				 SQLITE_OK);
		if (sqlite3_step(st) != SQLITE_ROW)
			break;
		snprintf(sql, sizeof sql, "DROP %s %s",
			 (const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
		st = NULL;
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
				 SQLITE_OK);
		n++;
	}
	sqlite3_finalize(st);
	assert_true(n > 4);
}

/* A store from before the log: its bundles get their leaves, in order. */
static void
test_a_store_from_before_the_log_gets_its_leaves(void **state)
{
	uint8_t *before = NULL, *after = NULL, *rb = NULL, *ra = NULL;
	uint8_t hash[32];
	size_t blen, alen, rblen, ralen;

	(void)state;
	five_bundles();
	assert_int_equal(cdsync_tlog_checkpoint(hub, &before, &blen),
			 CDSYNC_OK);
	/* the receipt of the last bundle taken in: leaf 3 */
	hash_of(bundle(dir_a, 2), hash);
	assert_int_equal(cdsync_receipt_make(hub, hash, &rb, &rblen),
			 CDSYNC_OK);
	assert_int_equal(rblen, CDS_RECEIPT_BYTES);
	assert_int_equal(rb[CDS_RECEIPT_SIG_AT - 1], 3);
	/* the store as it was before 0010_tlog.sql (and the migrations
	 * after it), opened again: the migrations run, and the first use of
	 * the log writes the leaves */
	drop_rollup(hub->db);
	assert_int_equal(sqlite3_exec(hub->db, "DROP TABLE tlog_leaf; DROP "
					       "TABLE tlog_checkpoint; PRAGMA "
					       "user_version = 9", NULL, NULL,
				      NULL), SQLITE_OK);
	cdsync_close(hub);
	hub = NULL;
	assert_int_equal(cdsync_open(hub_path, 0, &hub), CDSYNC_OK);
	assert_int_equal(cdsync_schema_version(hub), cdsync_schema_latest());
	assert_int_equal(tu_count(hub, "SELECT value FROM sync_state WHERE "
				       "key = 'tlog_backfill'"),
			 tu_count(hub, "SELECT max(id) FROM sync_bundle_in"));
	assert_int_equal(tu_count(hub, "SELECT count(*) FROM tlog_leaf"), 0);
	/* a receipt asked first writes the leaves, and says the same leaf */
	assert_int_equal(cdsync_receipt_make(hub, hash, &ra, &ralen),
			 CDSYNC_OK);
	assert_int_equal(ralen, rblen);
	assert_memory_equal(ra, rb, rblen);
	cdsync_free(ra);
	cdsync_free(rb);
	assert_int_equal(tu_count(hub, "SELECT count(*) FROM tlog_leaf"), 4);
	assert_int_equal(log_size(hub), 4);
	assert_int_equal(tu_count(hub, "SELECT count(*) FROM sync_state WHERE "
				       "key = 'tlog_backfill'"), 0);
	assert_int_equal(cdsync_tlog_checkpoint(hub, &after, &alen),
			 CDSYNC_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	cdsync_free(before);
	cdsync_free(after);
	/* a second root for a size once signed is never signed */
	assert_int_equal(sqlite3_exec(hub->db, "UPDATE tlog_checkpoint SET "
					       "root = zeroblob(32) WHERE "
					       "size = 4", NULL, NULL, NULL),
			 SQLITE_OK);
	after = (uint8_t *)1;
	assert_int_equal(cdsync_tlog_checkpoint(hub, &after, &alen),
			 CDSYNC_ECORRUPT);
	assert_null(after);
	assert_string_equal(cdsync_errmsg(hub), "transparency log: this node "
						"signed another root for the "
						"tree of 4 leaves before; it "
						"signs no second one");
}

/* Out of memory at every allocation of a proof: a file, or ENOMEM. */
static void
test_out_of_memory_gives_a_proof_or_enomem(void **state)
{
	uint8_t *file, hash[32];
	size_t flen;
	long k;
	int rc;

	(void)state;
	five_bundles();
	hash_of(bundle(dir_b, 1), hash);
	for (k = 0;; k++) {
		file = NULL;
		cds_alloc_fail_after(k);
		rc = cdsync_tlog_inclusion(hub, hash, &file, &flen);
		cds_alloc_fail_after(-1);
		if (rc == CDSYNC_OK) {
			assert_int_equal(incl_ok(file, flen), CDSYNC_OK);
			cdsync_free(file);
			break;
		}
		assert_int_equal(rc, CDSYNC_ENOMEM);
		assert_null(file);
		assert_true(k < 100);
	}
	for (k = 0;; k++) {
		file = NULL;
		cds_alloc_fail_after(k);
		rc = cdsync_tlog_consistency(hub, 2, &file, &flen);
		cds_alloc_fail_after(-1);
		if (rc == CDSYNC_OK) {
			cdsync_free(file);
			break;
		}
		assert_int_equal(rc, CDSYNC_ENOMEM);
		assert_true(k < 100);
	}
	assert_int_equal(log_size(hub), 4);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* 100 000 leaves: the cost of a root, a checkpoint and a proof. */
static void
test_a_large_log_is_answered_from_its_leaf_hashes(void **state)
{
	enum { N = 100000 };
	uint8_t (*h)[32] = malloc((size_t)N * 32), root[32], leaf[65];
	uint8_t *note = NULL, *file = NULL;
	struct cds_tlog_leaf l;
	struct cds_tlog_builder bld;
	struct timespec t0;
	sqlite3_stmt *st = NULL;
	cdsync_tlog_head head;
	cdsync_tlog_entry e;
	size_t i, nlen, flen;
	uint8_t built[32];

	(void)state;
	assert_non_null(h);
	cds_tlog_builder_init(&bld);
	assert_int_equal(sqlite3_exec(hub->db, "BEGIN", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(hub->db, "INSERT INTO tlog_leaf "
						     "VALUES (?1, ?2, ?3, ?4)",
					    -1, &st, NULL), SQLITE_OK);
	memset(&l, 0, sizeof l);
	memset(l.node, 0x33, 16);
	for (i = 0; i < N; i++) {
		l.hash[0] = (uint8_t)i;
		l.hash[1] = (uint8_t)(i >> 8);
		l.hash[2] = (uint8_t)(i >> 16);
		l.seq = i + 1;
		l.seen_ms = T0 + i;
		cds_tlog_leaf_encode(&l, leaf);
		cds_tlog_leaf_hash(leaf, sizeof leaf, h[i]);
		assert_int_equal(cds_tlog_builder_push(&bld, h[i]), 0);
		sqlite3_bind_int64(st, 1, (int64_t)i);
		sqlite3_bind_blob(st, 2, l.hash, 32, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, leaf, 65, SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, h[i], 32, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_exec(hub->db, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cds_tlog_root((const uint8_t (*)[32])h, N, root);
	print_message("root of %d leaf hashes: %.1f ms\n", N, ms_since(&t0));
	cds_tlog_builder_root(&bld, built);
	assert_memory_equal(built, root, 32);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cdsync_tlog_checkpoint(hub, &note, &nlen), CDSYNC_OK);
	print_message("checkpoint of %d leaves: %.1f ms\n", N, ms_since(&t0));
	assert_int_equal(cdsync_tlog_check_checkpoint(note, nlen, hub->sign_pk,
						      origin, &head, NULL, 0),
			 CDSYNC_OK);
	assert_int_equal(head.size, N);
	assert_memory_equal(head.root, root, 32);
	l.hash[0] = (uint8_t)77777;
	l.hash[1] = (uint8_t)(77777 >> 8);
	l.hash[2] = (uint8_t)(77777 >> 16);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cdsync_tlog_inclusion(hub, l.hash, &file, &flen),
			 CDSYNC_OK);
	print_message("inclusion proof in %d leaves: %.1f ms\n", N,
		      ms_since(&t0));
	assert_int_equal(cdsync_tlog_check_inclusion(file, flen, hub->sign_pk,
						     origin, &head, &e, NULL,
						     0), CDSYNC_OK);
	assert_int_equal(e.index, 77777);
	assert_int_equal(e.seq, 77778);
	cdsync_free(note);
	cdsync_free(file);
	free(h);
}

/* ==== Over HTTP ======================================================= */

struct got {
	long status;
	char etag[128];
	uint8_t body[1 << 16];
	size_t n;
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct got *g = ctx;
	size_t n = size * nmemb;

	if (n > sizeof g->body - g->n)
		return 0;
	memcpy(g->body + g->n, p, n);
	g->n += n;
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct got *g = ctx;
	size_t n = size * nmemb, k;

	if (n > 6 && strncasecmp(p, "ETag: ", 6) == 0) {
		k = n - 6;
		while (k > 0 && (p[6 + k - 1] == '\r' || p[6 + k - 1] == '\n'))
			k--;
		if (k < sizeof g->etag) {
			memcpy(g->etag, p + 6, k);
			g->etag[k] = '\0';
		}
	}
	return n;
}

/* GET http://127.0.0.1:port/path (If-None-Match: inm unless NULL). */
static void
fetch(uint16_t port, const char *path, const char *inm, struct got *g)
{
	struct curl_slist *hd = NULL;
	char url[512], line[200];
	CURL *c = curl_easy_init();

	assert_non_null(c);
	memset(g, 0, sizeof *g);
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port,
		 path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, g);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (inm != NULL) {
		snprintf(line, sizeof line, "If-None-Match: %s", inm);
		hd = curl_slist_append(hd, line);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &g->status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(c);
}

static void
test_the_hub_serves_its_log_over_http(void **state)
{
	static struct got g, g2;
	struct cdsd_config cfg;
	struct cdsd_hub *d = NULL;
	cdsync_tlog_head head;
	cdsync_tlog_entry e;
	uint8_t *note = NULL, *old = NULL, hash[32];
	size_t nlen, olen;
	char err[512], path[200], hex[65];
	uint16_t port;

	(void)state;
	seal_one(sa, dir_a, "Một");
	seal_one(sb, dir_b, "Một");
	assert_int_equal(take(bundle(dir_a, 1)), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_checkpoint(hub, &old, &olen), CDSYNC_OK);
	assert_int_equal(take(bundle(dir_b, 1)), CDSYNC_OK);
	assert_int_equal(cdsync_tlog_checkpoint(hub, &note, &nlen), CDSYNC_OK);
	cdsd_config_defaults(&cfg);
	snprintf(cfg.listen_addr, sizeof cfg.listen_addr, "127.0.0.1");
	cfg.listen_port = 0;
	if (cdsd_hub_start(tu_tmpdir(), hub_path, &cfg, NULL, NULL, &d, err,
			   sizeof err) != 0)
		fail_msg("hub: %s", err);
	port = cdsd_hub_port(d);
	/* the checkpoint: the store's bytes, with an ETag; 304 when unchanged */
	fetch(port, "/checkpoint", NULL, &g);
	assert_int_equal(g.status, 200);
	assert_int_equal(g.n, nlen);
	assert_memory_equal(g.body, note, nlen);
	assert_true(strlen(g.etag) > 2 && g.etag[0] == '"');
	fetch(port, "/checkpoint", g.etag, &g2);
	assert_int_equal(g2.status, 304);
	assert_int_equal(g2.n, 0);
	/* the inclusion proof of each bundle */
	hash_of(bundle(dir_b, 1), hash);
	sodium_bin2hex(hex, sizeof hex, hash, 32);
	snprintf(path, sizeof path, "/proof/inclusion/%s", hex);
	fetch(port, path, NULL, &g);
	assert_int_equal(g.status, 200);
	assert_int_equal(cdsync_tlog_check_inclusion(g.body, g.n,
						     hub->sign_pk, origin,
						     &head, &e, err,
						     sizeof err), CDSYNC_OK);
	assert_int_equal(e.index, 1);
	assert_int_equal(head.size, 2);
	assert_true(g.etag[0] == '"');
	fetch(port, path, g.etag, &g2);
	assert_int_equal(g2.status, 304);
	/* a hash the log has not; not a hash */
	memset(hex, 'a', 64);
	snprintf(path, sizeof path, "/proof/inclusion/%s", hex);
	fetch(port, path, NULL, &g);
	assert_int_equal(g.status, 404);
	assert_int_equal(memcmp(g.body, "ENOTFOUND bundle aaaaaaaaaaaaaaaa",
				33), 0);
	fetch(port, "/proof/inclusion/abc", NULL, &g);
	assert_int_equal(g.status, 400);
	assert_int_equal(memcmp(g.body, "EINVAL ", 7), 0);
	/* consistency from the size an auditor kept */
	fetch(port, "/proof/consistency/1", NULL, &g);
	assert_int_equal(g.status, 200);
	assert_int_equal(cdsync_tlog_check_consistency(g.body, g.n,
						       hub->sign_pk, origin,
						       old, olen, &head, err,
						       sizeof err), CDSYNC_OK);
	assert_int_equal(head.size, 2);
	fetch(port, "/proof/consistency/01", NULL, &g);
	assert_int_equal(g.status, 400);
	fetch(port, "/proof/consistency/18446744073709551616", NULL, &g);
	assert_int_equal(g.status, 400);
	fetch(port, "/proof/consistency/3", NULL, &g);
	assert_int_equal(g.status, 400);
	{
		static const char w[] = "EINVAL transparency log: no "
					"consistency proof from size 3: the "
					"log has 2 leaves";

		assert_int_equal(g.n, sizeof w - 1);
		assert_memory_equal(g.body, w, sizeof w - 1);
	}
	/* the log grows: a new checkpoint, a new ETag */
	fetch(port, "/checkpoint", NULL, &g2);
	seal_one(sa, dir_a, "Hai");
	assert_int_equal(take(bundle(dir_a, 2)), CDSYNC_OK);
	fetch(port, "/checkpoint", g2.etag, &g);
	assert_int_equal(g.status, 200);
	assert_int_equal(cdsync_tlog_check_checkpoint(g.body, g.n,
						      hub->sign_pk, origin,
						      &head, err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(head.size, 3);
	assert_string_not_equal(g.etag, g2.etag);
	fetch(port, "/nothing", NULL, &g);
	assert_int_equal(g.status, 404);
	cdsd_hub_stop(&d);
	cdsync_free(note);
	cdsync_free(old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_the_log_grows_by_one_leaf_per_bundle_first_taken_in,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_evidence_gets_no_leaf,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_checkpoints_and_proofs_verify_offline, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tampered_proofs_and_other_logs_are_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_store_from_before_the_log_gets_its_leaves,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_out_of_memory_gives_a_proof_or_enomem, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_large_log_is_answered_from_its_leaf_hashes,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_the_hub_serves_its_log_over_http, setup,
			teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
