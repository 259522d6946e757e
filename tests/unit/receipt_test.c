/* receipt_test.c -- signed receipts and the outbox: the vectors of both
 * versions, byte for byte and read back, and the lengths and versions
 * each refuses; a school -> district -> national round trip on
 * files with the receipts coming back (the outbox empties only when a hub
 * above says "merged"; a held bundle's receipt leaves it in); every
 * refusal -- a flipped bit, a sibling school's or a child's signature, a
 * bundle the node does not hold, a receipt cut at every length -- with
 * its exact message and nothing kept; a receipt taken twice; receipts of
 * version 2 carrying the bundle's leaf (cdsync_tlog_index), those of
 * version 1 still taken; a receipt checked with the inclusion proof an
 * export writes beside it, and every way that check fails; cdsync_seal
 * sealing as export does; cdsync_bundle_bytes giving the bytes export
 * writes; out of memory at every allocation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>

#include "alloc.h"
#include "receipt.h"
#include "store.h"
#include "testutil.h"
#include "vec.h"

#define T0 1767225600000ull	/* 2026-01-01T00:00:00Z */

static uint64_t fake_now;
static uint64_t
fakeclock(void)
{
	return fake_now;
}

/* ==== The format ====================================================== */

static void
vector_receipt(uint8_t version, uint8_t seq, uint8_t hashbyte,
	       uint8_t status, uint64_t seen, uint64_t made, uint64_t leaf,
	       struct cds_receipt *r, uint8_t sk[64])
{
	uint8_t seed[32];

	memset(r, 0, sizeof *r);
	memset(seed, 0x11, 32);
	crypto_sign_seed_keypair(r->hub_pk, sk, seed);
	r->version = version;
	memset(r->hub, 0x22, 16);
	memset(r->node, 0x33, 16);
	r->seq = seq;
	memset(r->hash, hashbyte, 32);
	r->status = status;
	r->seen_ms = seen;
	r->made_ms = made;
	r->leaf = leaf;
}

static void
test_receipts_match_their_vectors(void **st)
{
	static const struct {
		const char *name;
		uint8_t version, seq, hash, status;
		uint64_t seen, made, leaf;
		size_t len;
	} v[4] = {
		{ "receipt-merged", 1, 7, 0x44, CDS_RECEIPT_MERGED, T0,
		  T0 + 60000, 0, CDS_RECEIPT_BYTES_V1 },
		{ "receipt-held", 1, 9, 0x55, CDS_RECEIPT_HELD, T0 + 3600000,
		  T0 + 3600000, 0, CDS_RECEIPT_BYTES_V1 },
		{ "receipt-v2-merged", 2, 7, 0x44, CDS_RECEIPT_MERGED, T0,
		  T0 + 60000, 41, CDS_RECEIPT_BYTES },
		{ "receipt-v2-held", 2, 9, 0x55, CDS_RECEIPT_HELD,
		  T0 + 3600000, T0 + 3600000, 42, CDS_RECEIPT_BYTES },
	};
	struct cds_receipt r, back;
	uint8_t sk[64], want[256], pk[32];
	char err[256];
	size_t n, k;
	cds_buf b;

	(void)st;
	assert_int_equal(vec_get("receipt.vec", "hub-pk", pk, sizeof pk), 32);
	assert_int_equal(cds_receipt_len(1), 190);
	assert_int_equal(cds_receipt_len(2), 198);
	assert_int_equal(cds_receipt_len(0), 0);
	assert_int_equal(cds_receipt_len(3), 0);
	for (k = 0; k < 4; k++) {
		vector_receipt(v[k].version, v[k].seq, v[k].hash, v[k].status,
			       v[k].seen, v[k].made, v[k].leaf, &r, sk);
		assert_memory_equal(r.hub_pk, pk, 32);
		cds_buf_init(&b, 4096);
		cds_receipt_write(&b, &r, sk);
		n = vec_get("receipt.vec", v[k].name, want, sizeof want);
		assert_int_equal(n, v[k].len);
		assert_int_equal(b.rc, 0);
		assert_int_equal(b.n, n);
		assert_memory_equal(b.p, want, n);
		cds_buf_free(&b);
		/* the reader opens the stored bytes into the same fields */
		assert_int_equal(cds_receipt_read(want, n, &back, err,
						  sizeof err), 0);
		assert_memory_equal(&back, &r, sizeof r);
		assert_int_equal(back.version, v[k].version);
		assert_int_equal(back.leaf, v[k].leaf);
		assert_int_equal(cds_receipt_verify(want, n, &back, err,
						    sizeof err), 0);
	}
	/* version 1 does not carry the leaf: the same bytes whatever it is */
	vector_receipt(1, 7, 0x44, CDS_RECEIPT_MERGED, T0, T0 + 60000, 41, &r,
		       sk);
	cds_buf_init(&b, 4096);
	cds_receipt_write(&b, &r, sk);
	n = vec_get("receipt.vec", "receipt-merged", want, sizeof want);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	cds_buf_free(&b);
	/* a version the writer does not know writes nothing */
	r.version = 3;
	cds_buf_init(&b, 4096);
	cds_receipt_write(&b, &r, sk);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	assert_int_equal(b.n, 0);
	cds_buf_free(&b);
	r.version = 0;
	cds_buf_init(&b, 4096);
	cds_receipt_write(&b, &r, sk);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	sodium_memzero(sk, sizeof sk);
}

static void
test_a_receipt_is_read_with_bounds(void **st)
{
	struct cds_receipt r;
	uint8_t want[256], x[256];
	char err[256], msg[128];
	size_t n, i;
	int bit;

	(void)st;
	n = vec_get("receipt.vec", "receipt-merged", want, sizeof want);
	/* cut at every length: refused by the reader, with the offset */
	for (i = 0; i < n; i++) {
		assert_int_equal(cds_receipt_read(want, i, &r, err, sizeof err),
				 -1);
		assert_int_equal(strncmp(err, "receipt offset ", 15), 0);
	}
	assert_int_equal(cds_receipt_read(want, 0, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 0: not this kind of file");
	assert_int_equal(cds_receipt_read(want, 100, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 77: runs past the end");
	assert_int_equal(cds_receipt_read(want, 189, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 126: runs past the end");
	memcpy(x, want, n);
	x[n] = 0;
	assert_int_equal(cds_receipt_read(x, n + 1, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 126: bytes after the "
				 "signature");
	/* fields the reader judges */
	memcpy(x, want, n);
	x[4] = 3;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 4: unknown version");
	x[4] = 0;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 4: unknown version");
	/* a version 1 receipt called version 2 is 8 bytes short */
	x[4] = 2;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 134: runs past the end");
	/* a version 1 receipt of 198 bytes has bytes after its signature */
	memcpy(x, want, n);
	memset(x + n, 0, 8);
	assert_int_equal(cds_receipt_read(x, CDS_RECEIPT_BYTES, &r, err,
					  sizeof err), -1);
	assert_string_equal(err, "receipt offset 126: bytes after the "
				 "signature");
	memcpy(x, want, n);
	memset(x + 69, 0, 8);
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 69: bundle number 0 (they "
				 "start at 1)");
	memcpy(x, want, n);
	x[109] = 3;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 109: unknown status");
	/* one flipped bit anywhere: the reader or the signature refuses */
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(x, want, n);
			x[i] ^= (uint8_t)(1u << bit);
			if (cds_receipt_read(x, n, &r, err, sizeof err) != 0)
				continue;
			assert_int_equal(cds_receipt_verify(x, n, &r, err,
							    sizeof err),
					 -1);
		}
	}
	memcpy(x, want, n);
	x[150] ^= 1;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), 0);
	assert_int_equal(cds_receipt_verify(x, n, &r, err, sizeof err), -1);
	snprintf(msg, sizeof msg, "receipt offset %d: the signature does not "
				  "verify", CDS_RECEIPT_SIG_AT_V1);
	assert_string_equal(err, msg);
}

static void
test_a_version_2_receipt_is_read_with_bounds(void **st)
{
	struct cds_receipt r;
	uint8_t want[256], v1[256], x[256];
	char err[256];
	size_t n, n1, i;
	int bit;

	(void)st;
	n = vec_get("receipt.vec", "receipt-v2-merged", want, sizeof want);
	n1 = vec_get("receipt.vec", "receipt-merged", v1, sizeof v1);
	assert_int_equal(n, CDS_RECEIPT_BYTES);
	assert_int_equal(n1, CDS_RECEIPT_BYTES_V1);
	/* cut at every length: refused, with the offset */
	for (i = 0; i < n; i++) {
		assert_int_equal(cds_receipt_read(want, i, &r, err, sizeof err),
				 -1);
		assert_int_equal(strncmp(err, "receipt offset ", 15), 0);
		assert_int_equal(r.version, 0);
	}
	assert_int_equal(cds_receipt_read(want, 130, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 126: runs past the end");
	/* version 2 in the 190 bytes of version 1 */
	assert_int_equal(cds_receipt_read(want, CDS_RECEIPT_BYTES_V1, &r, err,
					  sizeof err), -1);
	assert_string_equal(err, "receipt offset 134: runs past the end");
	assert_int_equal(cds_receipt_read(want, n - 1, &r, err, sizeof err),
			 -1);
	assert_string_equal(err, "receipt offset 134: runs past the end");
	memcpy(x, want, n);
	x[n] = 0;
	assert_int_equal(cds_receipt_read(x, n + 1, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 134: bytes after the "
				 "signature");
	/* version 1 in 198 bytes: the leaf and signature read as version 1 */
	memcpy(x, want, n);
	x[4] = 1;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 126: bytes after the "
				 "signature");
	/* an unknown version, with the length of either */
	memcpy(x, want, n);
	x[4] = 3;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 4: unknown version");
	assert_int_equal(cds_receipt_read(x, CDS_RECEIPT_BYTES_V1, &r, err,
					  sizeof err), -1);
	assert_string_equal(err, "receipt offset 4: unknown version");
	memcpy(x, want, n);
	x[4] = 0xff;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 4: unknown version");
	/* the fields judged as in version 1 */
	memcpy(x, want, n);
	memset(x + 69, 0, 8);
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 69: bundle number 0 (they "
				 "start at 1)");
	memcpy(x, want, n);
	x[109] = 0;
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 109: unknown status");
	/* any leaf index reads; it is signed like every other field */
	memcpy(x, want, n);
	memset(x + 126, 0xff, 8);
	assert_int_equal(cds_receipt_read(x, n, &r, err, sizeof err), 0);
	assert_true(r.leaf == UINT64_MAX);
	assert_int_equal(cds_receipt_verify(x, n, &r, err, sizeof err), -1);
	assert_string_equal(err, "receipt offset 134: the signature does not "
				 "verify");
	/* one flipped bit anywhere: the reader or the signature refuses */
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(x, want, n);
			x[i] ^= (uint8_t)(1u << bit);
			if (cds_receipt_read(x, n, &r, err, sizeof err) != 0)
				continue;
			assert_int_equal(cds_receipt_verify(x, n, &r, err,
							    sizeof err),
					 -1);
		}
	}
	/* a version 2 signature does not hold under version 1's context:
	 * the same fields, the leaf dropped, the v2 signature put at 126 */
	memcpy(x, want, CDS_RECEIPT_SIG_AT_V1);
	x[4] = 1;
	memcpy(x + CDS_RECEIPT_SIG_AT_V1, want + CDS_RECEIPT_SIG_AT, 64);
	assert_int_equal(cds_receipt_read(x, n1, &r, err, sizeof err), 0);
	assert_int_equal(cds_receipt_verify(x, n1, &r, err, sizeof err), -1);
	/* the verifier takes only what the reader read, at its length */
	assert_int_equal(cds_receipt_read(want, n, &r, err, sizeof err), 0);
	assert_int_equal(cds_receipt_verify(want, n1, &r, err, sizeof err),
			 -1);
	assert_string_equal(err, "receipt offset 0: not a receipt that was "
				 "read");
	assert_int_equal(cds_receipt_read(v1, n1, &r, err, sizeof err), 0);
	assert_int_equal(cds_receipt_verify(want, n1, &r, err, sizeof err),
			 -1);
	assert_string_equal(err, "receipt offset 0: not a receipt that was "
				 "read");
}

/* ==== A tree of stores ================================================ */

static cdsync *nat, *dis, *sch, *sib;
static char root_fpr[20];
static char dir[512];			/* files for enrolment */

static cdsync *
node(cdsync_role role, const char *code, const char *parent)
{
	cdsync *db = NULL;

	assert_int_equal(cdsync_open(tu_path(tu_tmpdir(), "store.db"),
				     CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	if (cdsync_node_init(db, role, code, code, parent) != CDSYNC_OK)
		fail_msg("init: %s", cdsync_errmsg(db));
	return db;
}

static const char *
in(const char *d, const char *name)
{
	static char p[4][600];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", d, name);
	return p[k];
}

static void
enrol(cdsync *child, cdsync *parent)
{
	char fpr[20];

	assert_int_equal(cdsync_enrol_request(child, in(dir, "req")), 0);
	assert_int_equal(cdsync_fingerprint(child, fpr), CDSYNC_OK);
	if (cdsync_enrol_approve(parent, in(dir, "req"), fpr, 0,
				 in(dir, "cat")) != CDSYNC_OK)
		fail_msg("approve: %s", cdsync_errmsg(parent));
	if (cdsync_catalog_import(child, in(dir, "cat"), root_fpr) !=
	    CDSYNC_OK)
		fail_msg("catalog: %s", cdsync_errmsg(child));
}

static void
activity(cdsync *db, const char *title)
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "held_on", "2026-01-20"), 0);
	assert_int_equal(cdsync_rec_set(r, "title", title), 0);
	assert_int_equal(cdsync_rec_set(r, "kind", "care"), 0);
	if (cdsync_insert(db, r) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	cdsync_rec_free(r);
}

/* The whole of a file (at most cap bytes); its length. */
static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static size_t
outbox_len(cdsync *db)
{
	cdsync_outbox_item it;
	size_t i = 0;

	while (cdsync_outbox_at(db, i, &it) == CDSYNC_OK)
		i++;
	assert_string_equal(cdsync_errmsg(db), "");
	return i;
}

/* Writes bytes to d/name and imports them as a bundle at db. */
static int
deliver(cdsync *db, const char *d, const char *name, const uint8_t *p,
	size_t n)
{
	size_t changes = 0;

	tu_write(in(d, name), p, n);
	return cdsync_import_file(db, in(d, name), &changes);
}

static int
setup(void **state)
{
	cdsync_cat_entry e;

	(void)state;
	fake_now = T0;
	cds_wall_hook = fakeclock;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	nat = node(CDSYNC_ROLE_NATIONAL, "VN", NULL);
	dis = node(CDSYNC_ROLE_HUB, "HG-VX", "VN");
	sch = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU", "HG-VX");
	sib = node(CDSYNC_ROLE_SCHOOL, "HG-VX-MN-HOASEN", "HG-VX");
	assert_int_equal(cdsync_catalog_at(nat, 0, &e), CDSYNC_OK);
	snprintf(root_fpr, sizeof root_fpr, "%s", e.fingerprint);
	enrol(dis, nat);
	enrol(sib, dis);
	enrol(sch, dis);	/* its catalog knows the sibling too */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cds_wall_hook = NULL;
	cdsync_close(nat);
	cdsync_close(dis);
	cdsync_close(sch);
	cdsync_close(sib);
	tu_cleanup();
	return 0;
}

/* ==== The round trip ================================================== */

static void
test_receipts_come_back_down_the_tree_on_files(void **state)
{
	const char *stick = tu_tmpdir(), *up = tu_tmpdir();
	cdsync_outbox_item it, mine;
	cdsync_sync_status s;
	cdsync_receipt_info ri;
	struct cds_receipt r;
	uint8_t file[8192], *bytes = NULL, *made = NULL;
	uint64_t leaf = 99;
	size_t sealed, written, n, len, mlen;
	char err[256], msg[1024], name[64];
	struct stat sb1, sb2;

	(void)state;
	/* the school's first bundle: in its outbox, as export wrote it */
	activity(sch, "Tết Sum vầy");
	assert_int_equal(cdsync_export(sch, stick, &sealed, &written), 0);
	assert_int_equal(outbox_len(sch), 1);
	assert_int_equal(cdsync_outbox_at(sch, 0, &mine), CDSYNC_OK);
	assert_int_equal(mine.seq, 1);
	assert_int_equal(cdsync_node_id(sch, it.node), 0);
	assert_memory_equal(mine.node, it.node, 16);
	n = slurp(in(stick, mine.name), file, sizeof file);
	assert_int_equal(n, mine.len);
	assert_int_equal(cdsync_bundle_bytes(sch, mine.hash, &bytes, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(bytes, file, n);
	cdsync_free(bytes);
	bytes = NULL;
	assert_int_equal(cdsync_outbox_at(sch, 1, &it), CDSYNC_ENOTFOUND);
	assert_int_equal(cdsync_sync_status_get(sch, &s), 0);
	assert_int_equal(s.outbox, 1);
	assert_int_equal(s.outbox_bytes, n);
	assert_int_equal(s.last_receipt_ms, 0);
	assert_string_equal(s.last_receipt_from, "");
	/* the district takes it in, and its export writes the receipt */
	fake_now = T0 + 1000;
	assert_int_equal(cdsync_import_file(dis, in(stick, mine.name), &n), 0);
	fake_now = T0 + 5000;
	assert_int_equal(cdsync_export(dis, stick, &sealed, &written), 0);
	n = slurp(in(stick, "receipt-HG-VX-TH-LUNGCU-000001.cdsr"), file,
		  sizeof file);
	assert_int_equal(n, CDS_RECEIPT_BYTES);
	assert_int_equal(cdsync_receipt_make(dis, mine.hash, &made, &mlen), 0);
	assert_int_equal(mlen, n);
	assert_memory_equal(made, file, n);
	/* made from the store: the same bytes later, and written again the
	 * file is left alone */
	assert_int_equal(stat(in(stick, "receipt-HG-VX-TH-LUNGCU-000001.cdsr"),
			      &sb1), 0);
	fake_now = T0 + 9000;
	assert_int_equal(cdsync_receipt_make(dis, mine.hash, &bytes, &len), 0);
	assert_int_equal(len, mlen);
	assert_memory_equal(bytes, made, mlen);
	cdsync_free(bytes);
	bytes = NULL;
	assert_int_equal(cdsync_export(dis, stick, &sealed, &written), 0);
	assert_int_equal(stat(in(stick, "receipt-HG-VX-TH-LUNGCU-000001.cdsr"),
			      &sb2), 0);
	assert_int_equal(sb1.st_ino, sb2.st_ino);
	/* what it says: the district's time, not the school's */
	assert_int_equal(cds_receipt_read(made, mlen, &r, err, sizeof err), 0);
	assert_int_equal(cdsync_node_id(dis, it.node), 0);
	assert_memory_equal(r.hub, it.node, 16);
	assert_memory_equal(r.hub_pk, dis->sign_pk, 32);
	assert_memory_equal(r.node, mine.node, 16);
	assert_memory_equal(r.hash, mine.hash, 32);
	assert_int_equal(r.seq, 1);
	assert_int_equal(r.status, CDS_RECEIPT_MERGED);
	assert_int_equal(r.seen_ms, T0 + 1000);
	assert_int_equal(r.made_ms, T0 + 1000);
	/* version 2: the bundle's leaf in the district's log */
	assert_int_equal(r.version, CDS_RECEIPT_V2);
	assert_int_equal(cdsync_tlog_index(dis, mine.hash, &leaf), CDSYNC_OK);
	assert_true(r.leaf == leaf);
	assert_true(leaf == 0);		/* the district's first bundle in */
	/* and beside it, the inclusion proof of that leaf */
	n = slurp(in(stick, "receipt-HG-VX-TH-LUNGCU-000001.tlog-proof"),
		  file, sizeof file);
	assert_int_equal(memcmp(file, "c2sp.org/tlog-proof@v1\n", 23), 0);
	assert_non_null(strstr((const char *)file, "\nindex 0\n"));
	/* the school keeps it: its outbox is empty */
	fake_now = T0 + 20000;
	assert_int_equal(cdsync_receipt_import(sch, in(stick, "receipt-HG-VX-"
							      "TH-LUNGCU-"
							      "000001.cdsr")),
			 CDSYNC_OK);
	assert_int_equal(outbox_len(sch), 0);
	assert_int_equal(cdsync_sync_status_get(sch, &s), 0);
	assert_int_equal(s.outbox, 0);
	assert_int_equal(s.outbox_bytes, 0);
	assert_int_equal(s.last_receipt_ms, T0 + 1000);
	assert_string_equal(s.last_receipt_from, "HG-VX");
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_receipt "
				       "WHERE taken_ms = 1767225620000"), 1);
	assert_int_equal(cdsync_receipt_read(sch, in(stick, "receipt-HG-VX-TH-"
							    "LUNGCU-000001."
							    "cdsr"), &ri),
			 0);
	assert_string_equal(ri.hub_org, "HG-VX");
	assert_string_equal(ri.org, "HG-VX-TH-LUNGCU");
	assert_int_equal(ri.merged, 1);
	assert_int_equal(ri.seen_ms, T0 + 1000);
	assert_int_equal(ri.version, 2);
	assert_int_equal(ri.has_leaf, 1);
	assert_true(ri.leaf == leaf);
	/* a second time: nothing to do */
	assert_int_equal(cdsync_receipt_take(sch, made, mlen), CDSYNC_EREPLAY);
	assert_string_equal(cdsync_errmsg(sch), "receipt: the receipt of HG-VX "
						"for bundle 1 of "
						"HG-VX-TH-LUNGCU was kept "
						"before; nothing to do");
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_receipt"), 1);
	cdsync_free(made);
	made = NULL;
	/* the district's outbox: its own bundle, then the school's */
	assert_int_equal(outbox_len(dis), 2);
	assert_int_equal(cdsync_outbox_at(dis, 0, &it), 0);
	assert_int_equal(cdsync_node_id(dis, file), 0);
	assert_memory_equal(it.node, file, 16);
	snprintf(name, sizeof name, "HG-VX-%02x%02x%02x%02x-000001.cdsb",
		 file[12], file[13], file[14], file[15]);
	assert_string_equal(it.name, name);
	assert_int_equal(cdsync_outbox_at(dis, 1, &it), 0);
	assert_memory_equal(it.hash, mine.hash, 32);
	assert_string_equal(it.name, mine.name);
	/* up to the national hub, whose receipts come back to the district */
	assert_int_equal(cdsync_export(dis, up, &sealed, &written), 0);
	assert_int_equal(cdsync_catalog_import(nat, in(up, "catalog-HG-VX."
							   "cdsa"), NULL),
			 CDSYNC_OK);
	assert_int_equal(cdsync_outbox_at(dis, 0, &it), 0);
	fake_now = T0 + 60000;
	assert_int_equal(cdsync_import_file(nat, in(up, it.name), &n), 0);
	/* the district's receipt for the school is no receipt for the
	 * national hub, but its voucher for when the district first saw the
	 * bundle (SPEC §10.6): kept apart, once */
	assert_int_equal(cdsync_receipt_import(nat, in(stick, "receipt-HG-VX-"
							      "TH-LUNGCU-"
							      "000001.cdsr")),
			 CDSYNC_OK);
	snprintf(msg, sizeof msg, "%s: kept as the voucher of HG-VX: it first "
		 "saw bundle 1 of HG-VX-TH-LUNGCU on ",
		 in(stick, "receipt-HG-VX-TH-LUNGCU-000001.cdsr"));
	assert_memory_equal(cdsync_errmsg(nat), msg, strlen(msg));
	assert_int_equal(tu_count(nat, "SELECT count(*) FROM sync_voucher"), 1);
	assert_int_equal(tu_count(nat, "SELECT count(*) FROM sync_receipt"), 0);
	assert_int_equal(cdsync_receipt_import(nat, in(stick, "receipt-HG-VX-"
							      "TH-LUNGCU-"
							      "000001.cdsr")),
			 CDSYNC_EREPLAY);
	assert_int_equal(cdsync_import_file(nat, in(up, mine.name), &n), 0);
	assert_int_equal(outbox_len(nat), 0);	/* nobody above it */
	/* the national hub's export: nothing sealed, receipts written */
	assert_int_equal(cdsync_export(nat, up, &sealed, &written), 0);
	assert_int_equal(sealed, 0);
	assert_int_equal(cdsync_receipt_import(dis, in(up, "receipt-HG-VX-"
							   "000001.cdsr")),
			 CDSYNC_OK);
	assert_int_equal(outbox_len(dis), 1);
	assert_int_equal(cdsync_receipt_import(dis, in(up, "receipt-HG-VX-TH-"
							   "LUNGCU-000001."
							   "cdsr")),
			 CDSYNC_OK);
	assert_int_equal(outbox_len(dis), 0);
	assert_int_equal(cdsync_sync_status_get(dis, &s), 0);
	assert_string_equal(s.last_receipt_from, "VN");
	assert_int_equal(s.last_receipt_ms, T0 + 60000);
	/* the national hub is above the school too: it keeps that one */
	assert_int_equal(cdsync_receipt_import(sch, in(up, "receipt-HG-VX-TH-"
							   "LUNGCU-000001."
							   "cdsr")),
			 CDSYNC_OK);
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_receipt"), 2);
	/* but not the one for the district's own bundle */
	assert_int_equal(cdsync_receipt_import(sch, in(up, "receipt-HG-VX-"
							   "000001.cdsr")),
			 CDSYNC_ESCOPE);
	snprintf(msg, sizeof msg, "%s: the receipt of VN is for bundle 1 of "
		 "HG-VX, which this node does not hold; nothing kept",
		 in(up, "receipt-HG-VX-000001.cdsr"));
	assert_string_equal(cdsync_errmsg(sch), msg);
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_receipt"), 2);
}

static void
test_a_held_bundle_stays_in_the_outbox(void **state)
{
	const char *d = tu_tmpdir();
	cdsync_outbox_item it2, it3;
	struct cds_receipt r;
	uint8_t *b = NULL, *held = NULL, *merged = NULL;
	uint64_t leaf = 0, leaf2 = 0;
	size_t sealed, len, hlen, mlen;
	char err[256];

	(void)state;
	/* two bundles; the district gets the second one first */
	fake_now = T0 + 100000;
	activity(sch, "Hội thao");
	assert_int_equal(cdsync_seal(sch, &sealed), 0);
	assert_int_equal(sealed, 1);
	activity(sch, "Khám sức khoẻ");
	assert_int_equal(cdsync_seal(sch, &sealed), 0);
	assert_int_equal(outbox_len(sch), 2);
	assert_int_equal(cdsync_outbox_at(sch, 0, &it2), 0);
	assert_int_equal(cdsync_outbox_at(sch, 1, &it3), 0);
	assert_int_equal(it2.seq, 2);
	assert_int_equal(it3.seq, 3);
	assert_int_equal(cdsync_bundle_bytes(sch, it3.hash, &b, &len), 0);
	fake_now = T0 + 200000;
	assert_int_equal(deliver(dis, d, it3.name, b, len), CDSYNC_EGAP);
	cdsync_free(b);
	b = NULL;
	/* held: the receipt says so, and the bundle stays in the outbox */
	assert_int_equal(cdsync_receipt_make(dis, it3.hash, &held, &hlen), 0);
	assert_int_equal(cds_receipt_read(held, hlen, &r, err, sizeof err), 0);
	assert_int_equal(r.status, CDS_RECEIPT_HELD);
	assert_int_equal(r.seen_ms, T0 + 200000);
	assert_int_equal(r.made_ms, T0 + 200000);
	assert_int_equal(cdsync_receipt_take(sch, held, hlen), CDSYNC_OK);
	assert_int_equal(outbox_len(sch), 2);
	/* the gap fills: both merged, each receipt says when */
	assert_int_equal(cdsync_bundle_bytes(sch, it2.hash, &b, &len), 0);
	fake_now = T0 + 300000;
	assert_int_equal(deliver(dis, d, it2.name, b, len), CDSYNC_OK);
	cdsync_free(b);
	b = NULL;
	assert_int_equal(cdsync_receipt_make(dis, it3.hash, &merged, &mlen), 0);
	assert_int_equal(cds_receipt_read(merged, mlen, &r, err, sizeof err),
			 0);
	assert_int_equal(r.status, CDS_RECEIPT_MERGED);
	assert_int_equal(r.seen_ms, T0 + 200000);	/* first seen */
	assert_int_equal(r.made_ms, T0 + 300000);	/* merged */
	/* logged once, when it was held: the same leaf in both receipts */
	assert_int_equal(cdsync_tlog_index(dis, it3.hash, &leaf), CDSYNC_OK);
	assert_true(r.leaf == leaf);
	assert_int_equal(cds_receipt_read(held, hlen, &r, err, sizeof err), 0);
	assert_true(r.leaf == leaf);
	/* the bundle that filled the gap came after it in the log */
	assert_int_equal(cdsync_tlog_index(dis, it2.hash, &leaf2), CDSYNC_OK);
	assert_true(leaf2 == leaf + 1);
	assert_int_equal(cdsync_receipt_take(sch, merged, mlen), CDSYNC_OK);
	assert_int_equal(outbox_len(sch), 1);
	assert_int_equal(cdsync_outbox_at(sch, 0, &it3), 0);
	assert_int_equal(it3.seq, 2);
	assert_int_equal(cdsync_receipt_make(dis, it2.hash, &b, &len), 0);
	assert_int_equal(cdsync_receipt_take(sch, b, len), CDSYNC_OK);
	assert_int_equal(outbox_len(sch), 0);
	/* held and merged are two receipts, both kept */
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_receipt "
				       "WHERE seq = 3"), 2);
	/* a held receipt that comes late changes nothing */
	assert_int_equal(cdsync_receipt_take(sch, held, hlen), CDSYNC_EREPLAY);
	assert_int_equal(outbox_len(sch), 0);
	cdsync_free(b);
	cdsync_free(held);
	cdsync_free(merged);
}

/* ==== Refusals ======================================================== */

/* A receipt signed by `by` (any store's keys) saying what r says. */
static size_t
forge(cdsync *by, struct cds_receipt *r, uint8_t *out)
{
	cds_buf b;
	size_t n;

	assert_int_equal(cdsync_node_id(by, r->hub), 0);
	memcpy(r->hub_pk, by->sign_pk, 32);
	cds_buf_init(&b, 4096);
	cds_receipt_write(&b, r, by->sign_sk);
	assert_int_equal(b.rc, 0);
	n = b.n;
	memcpy(out, b.p, n);
	cds_buf_free(&b);
	return n;
}

static void
test_forged_and_misdirected_receipts_are_refused(void **state)
{
	const char *d = tu_tmpdir();
	cdsync_outbox_item it;
	struct cds_receipt r;
	uint8_t *good = NULL, x[512];
	size_t sealed, n, i, changes;
	long kept;
	char msg[1024], tail[9];

	(void)state;
	activity(sch, "Đối thoại");
	assert_int_equal(cdsync_export(sch, d, &sealed, &changes), 0);
	assert_int_equal(cdsync_outbox_at(sch, 0, &it), 0);
	assert_int_equal(cdsync_import_file(dis, in(d, it.name), &changes), 0);
	assert_int_equal(cdsync_receipt_make(dis, it.hash, &good, &n), 0);
	assert_int_equal(cds_receipt_read(good, n, &r, msg, sizeof msg), 0);
	kept = tu_count(sch, "SELECT count(*) FROM sync_receipt");
	/* a flipped bit in the signature, in the times */
	memcpy(x, good, n);
	x[CDS_RECEIPT_SIG_AT + 3] ^= 0x10;
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_EBADSIG);
	assert_string_equal(cdsync_errmsg(sch), "receipt: receipt offset 134: "
						"the signature does not "
						"verify; nothing kept");
	memcpy(x, good, n);
	x[115] ^= 1;		/* seen_ms: a hub saying "earlier" */
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_EBADSIG);
	/* in the hub's id: a node this school does not know */
	memcpy(x, good, n);
	x[20] ^= 1;
	snprintf(tail, sizeof tail, "%02x%02x%02x%02x", x[17], x[18], x[19],
		 x[20]);
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_EUNKNOWNKEY);
	snprintf(msg, sizeof msg, "receipt: signed by node …%s, which this "
		 "node does not know; nothing kept", tail);
	assert_string_equal(cdsync_errmsg(sch), msg);
	/* in the hub's key */
	memcpy(x, good, n);
	x[30] ^= 1;
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_EUNKNOWNKEY);
	assert_string_equal(cdsync_errmsg(sch), "receipt: signed with a key "
						"that is not the one known "
						"for HG-VX; nothing kept");
	/* signed by a sibling school, properly: not a node above */
	n = forge(sib, &r, x);
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_ESCOPE);
	assert_string_equal(cdsync_errmsg(sch), "receipt: signed by "
						"HG-VX-MN-HOASEN, which is "
						"not above this node: its "
						"receipts are for the nodes "
						"below it; nothing kept");
	/* by the school itself */
	n = forge(sch, &r, x);
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_ESCOPE);
	assert_string_equal(cdsync_errmsg(sch), "receipt: this node's own "
						"receipt for bundle 4 of "
						"HG-VX-TH-LUNGCU; it goes "
						"down to the node that sent "
						"it");
	/* by the district, for a bundle the school does not hold */
	memset(r.hash, 0x5a, 32);
	n = forge(dis, &r, x);
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_ESCOPE);
	assert_string_equal(cdsync_errmsg(sch), "receipt: the receipt of HG-VX "
						"is for bundle 4 of "
						"HG-VX-TH-LUNGCU, which this "
						"node does not hold; nothing "
						"kept");
	/* for its bundle, under another number */
	memcpy(r.hash, it.hash, 32);
	r.seq = 9;
	n = forge(dis, &r, x);
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_EBADINPUT);
	assert_string_equal(cdsync_errmsg(sch), "receipt: the receipt of HG-VX "
						"names bundle 9 of "
						"HG-VX-TH-LUNGCU, but the "
						"bundle with its hash is "
						"bundle 4 of HG-VX-TH-LUNGCU; "
						"nothing kept");
	/* cut at every length, and one byte too many */
	n = CDS_RECEIPT_BYTES;
	for (i = 0; i <= n; i++) {
		memcpy(x, good, n);
		x[n] = 0;
		assert_int_equal(cdsync_receipt_take(sch, x, i == n ? n + 1 : i),
				 CDSYNC_EBADINPUT);
		assert_int_equal(strncmp(cdsync_errmsg(sch), "receipt: receipt "
					 "offset ", 24), 0);
	}
	assert_string_equal(cdsync_errmsg(sch), "receipt: receipt offset 134: "
						"bytes after the signature");
	/* a file: named in the message, too big, missing */
	memcpy(x, good, n);
	x[0] = 'X';
	tu_write(in(d, "bad.cdsr"), x, n);
	assert_int_equal(cdsync_receipt_import(sch, in(d, "bad.cdsr")),
			 CDSYNC_EBADINPUT);
	snprintf(msg, sizeof msg, "%s: receipt offset 0: not this kind of file",
		 in(d, "bad.cdsr"));
	assert_string_equal(cdsync_errmsg(sch), msg);
	{
		static uint8_t big[5000];

		tu_write(in(d, "big.cdsr"), big, sizeof big);
	}
	assert_int_equal(cdsync_receipt_import(sch, in(d, "big.cdsr")),
			 CDSYNC_EBADINPUT);
	assert_int_equal(cdsync_receipt_import(sch, in(d, "none.cdsr")),
			 CDSYNC_ENOTFOUND);
	/* nothing was kept by any of them */
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_receipt"),
			 kept);
	/* and the good one still is */
	assert_int_equal(cdsync_receipt_take(sch, good, n), CDSYNC_OK);
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_receipt"),
			 kept + 1);
	cdsync_free(good);
	/* a hub makes receipts only for what it took in */
	good = NULL;
	memset(x, 0x77, 32);
	assert_int_equal(cdsync_receipt_make(dis, x, &good, &n),
			 CDSYNC_ENOTFOUND);
	assert_null(good);
	assert_string_equal(cdsync_errmsg(dis), "no bundle with hash "
						"7777777777777777… was taken "
						"in here");
	assert_int_equal(cdsync_receipt_make(sch, it.hash, &good, &n),
			 CDSYNC_ENOTFOUND);
	assert_int_equal(cdsync_bundle_bytes(sch, x, &good, &n),
			 CDSYNC_ENOTFOUND);
	assert_string_equal(cdsync_errmsg(sch), "this node holds no bundle "
						"with hash 7777777777777777…");
}

/* ==== Version 1; a receipt checked with its proof ===================== */

static void
test_receipts_of_version_1_still_count(void **state)
{
	const char *d = tu_tmpdir();
	cdsync_outbox_item it;
	cdsync_receipt_info ri;
	cdsync_tlog_head head;
	cdsync_tlog_entry e;
	struct cds_receipt r;
	uint8_t *good = NULL, *proof = NULL, x[512];
	uint64_t leaf = 0;
	size_t sealed, n, plen, changes, before;
	char err[256];

	(void)state;
	activity(sch, "Thăm hỏi");
	assert_int_equal(cdsync_export(sch, d, &sealed, &changes), 0);
	before = outbox_len(sch);
	assert_int_equal(cdsync_outbox_at(sch, before - 1, &it), 0);
	assert_int_equal(cdsync_import_file(dis, in(d, it.name), &changes), 0);
	assert_int_equal(cdsync_receipt_make(dis, it.hash, &good, &n), 0);
	assert_int_equal(n, CDS_RECEIPT_BYTES);
	assert_int_equal(cds_receipt_read(good, n, &r, err, sizeof err), 0);
	/* what a hub made before version 2: the same fields, no leaf */
	r.version = CDS_RECEIPT_V1;
	n = forge(dis, &r, x);
	assert_int_equal(n, CDS_RECEIPT_BYTES_V1);
	assert_int_equal(cdsync_receipt_take(sch, x, n), CDSYNC_OK);
	assert_int_equal(outbox_len(sch), before - 1);
	/* its version 2 says nothing new to the outbox */
	assert_int_equal(cdsync_receipt_take(sch, good, CDS_RECEIPT_BYTES),
			 CDSYNC_EREPLAY);
	/* read from a file */
	tu_write(in(d, "old.cdsr"), x, n);
	assert_int_equal(cdsync_receipt_read(sch, in(d, "old.cdsr"), &ri), 0);
	assert_int_equal(ri.version, 1);
	assert_int_equal(ri.has_leaf, 0);
	assert_true(ri.leaf == 0);
	assert_true(ri.seq == it.seq);
	assert_int_equal(ri.merged, 1);
	/* checked with the proof of its bundle, which says the leaf */
	assert_int_equal(cdsync_tlog_inclusion(dis, it.hash, &proof, &plen), 0);
	tu_write(in(d, "old.tlog-proof"), proof, plen);
	if (cdsync_receipt_check(sch, in(d, "old.cdsr"),
				 in(d, "old.tlog-proof"), &ri, &head,
				 &e) != CDSYNC_OK)
		fail_msg("check: %s", cdsync_errmsg(sch));
	assert_int_equal(cdsync_tlog_index(dis, it.hash, &leaf), 0);
	assert_true(e.index == leaf);
	assert_int_equal(ri.version, 1);
	assert_int_equal(ri.has_leaf, 0);
	cdsync_free(proof);
	cdsync_free(good);
}

static void
test_a_receipt_is_checked_with_the_proof_beside_it(void **state)
{
	const char *d = tu_tmpdir();
	cdsync *other;
	cdsync_receipt_info ri;
	cdsync_tlog_head head;
	cdsync_tlog_entry e;
	struct cds_receipt r;
	uint8_t file[8192], x[512], hub[16];
	char text[8192], *at;
	char r1[700], p1[700], p2[700], bad[700], msg[2048], hex[33];
	char origin[CDSYNC_TLOG_ORIGINBYTES], err[256];
	uint64_t size = 0, leaf = 0;
	size_t sealed, written, n;
	cds_buf b;

	(void)state;
	assert_int_equal(cdsync_export(dis, d, &sealed, &written), 0);
	snprintf(r1, sizeof r1, "%s", in(d, "receipt-HG-VX-TH-LUNGCU-000001."
					    "cdsr"));
	snprintf(p1, sizeof p1, "%s", in(d, "receipt-HG-VX-TH-LUNGCU-000001."
					    "tlog-proof"));
	snprintf(p2, sizeof p2, "%s", in(d, "receipt-HG-VX-TH-LUNGCU-000002."
					    "tlog-proof"));
	snprintf(bad, sizeof bad, "%s", in(d, "bad.tlog-proof"));
	assert_int_equal(cdsync_tlog_size(dis, &size), 0);
	/* at the school: the district's key and origin from its catalog */
	if (cdsync_receipt_check(sch, r1, p1, &ri, &head, &e) != CDSYNC_OK)
		fail_msg("check: %s", cdsync_errmsg(sch));
	assert_string_equal(cdsync_errmsg(sch), "");
	assert_string_equal(ri.hub_org, "HG-VX");
	assert_string_equal(ri.org, "HG-VX-TH-LUNGCU");
	assert_true(ri.seq == 1);
	assert_int_equal(ri.version, 2);
	assert_int_equal(ri.has_leaf, 1);
	assert_true(e.index == ri.leaf);
	assert_int_equal(cdsync_tlog_index(dis, ri.hash, &leaf), 0);
	assert_true(leaf == e.index);
	assert_true(head.size == size);
	assert_memory_equal(e.hash, ri.hash, 32);
	assert_memory_equal(e.node, ri.node, 16);
	assert_int_equal(cdsync_node_id(dis, hub), 0);
	assert_int_equal(cdsync_tlog_origin("HG-VX", hub, origin,
					    sizeof origin), 0);
	assert_string_equal(head.origin, origin);
	/* a sibling school knows the district too; the district itself */
	assert_int_equal(cdsync_receipt_check(sib, r1, p1, NULL, NULL, NULL),
			 CDSYNC_OK);
	assert_int_equal(cdsync_receipt_check(dis, r1, p1, NULL, NULL, NULL),
			 CDSYNC_OK);
	/* the proof of another bundle: outputs zeroed, the reason said */
	assert_int_equal(cdsync_receipt_check(sch, r1, p2, &ri, &head, &e),
			 CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s: the leaf it proves is not the one "
		 "rebuilt from %s: another bundle hash", p2, r1);
	assert_string_equal(cdsync_errmsg(sch), msg);
	assert_true(ri.seq == 0 && ri.version == 0);
	assert_true(head.size == 0);
	assert_true(e.index == 0 && e.seq == 0);
	/* one byte of its index line changed */
	n = slurp(p1, file, sizeof file);
	assert_true(n < sizeof text);
	memcpy(text, file, n);
	text[n] = '\0';
	assert_non_null(at = strstr(text, "\nindex "));
	at[7] = at[7] == '9' ? '8' : (char)(at[7] + 1);
	tu_write(bad, text, n);
	assert_int_equal(cdsync_receipt_check(sch, r1, bad, &ri, &head, &e),
			 CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s: inclusion proof: the proof does not "
		 "lead from leaf %llu to the root of the tree of size %llu",
		 bad, (unsigned long long)(leaf + 1),
		 (unsigned long long)size);
	assert_string_equal(cdsync_errmsg(sch), msg);
	/* a proof file that does not read; none */
	tu_write(bad, "hello\n", 6);
	assert_int_equal(cdsync_receipt_check(sch, r1, bad, NULL, NULL, NULL),
			 CDSYNC_EBADINPUT);
	snprintf(msg, sizeof msg, "%s: inclusion proof line 1: not a "
		 "c2sp.org/tlog-proof@v1 file", bad);
	assert_string_equal(cdsync_errmsg(sch), msg);
	assert_int_equal(cdsync_receipt_check(sch, r1, in(d, "none"), NULL,
					      NULL, NULL), CDSYNC_ENOTFOUND);
	/* a receipt by the district saying another leaf */
	n = slurp(r1, file, sizeof file);
	assert_int_equal(cds_receipt_read(file, n, &r, err, sizeof err), 0);
	r.leaf = leaf + 7;
	n = forge(dis, &r, x);
	tu_write(in(d, "other-leaf.cdsr"), x, n);
	assert_int_equal(cdsync_receipt_check(sch, in(d, "other-leaf.cdsr"), p1,
					      NULL, NULL, NULL),
			 CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s: it proves leaf %llu of the log, but "
		 "the receipt %s says leaf %llu", p1, (unsigned long long)leaf,
		 in(d, "other-leaf.cdsr"), (unsigned long long)(leaf + 7));
	assert_string_equal(cdsync_errmsg(sch), msg);
	/* damaged receipts */
	n = slurp(r1, file, sizeof file);
	file[CDS_RECEIPT_SIG_AT + 9] ^= 4;
	tu_write(in(d, "flipped.cdsr"), file, n);
	assert_int_equal(cdsync_receipt_check(sch, in(d, "flipped.cdsr"), p1,
					      NULL, NULL, NULL),
			 CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s: receipt offset 134: the signature does "
		 "not verify", in(d, "flipped.cdsr"));
	assert_string_equal(cdsync_errmsg(sch), msg);
	tu_write(in(d, "cut.cdsr"), file, 190);
	assert_int_equal(cdsync_receipt_check(sch, in(d, "cut.cdsr"), p1, NULL,
					      NULL, NULL), CDSYNC_EBADINPUT);
	/* a hub this store does not know: no origin for its log */
	other = node(CDSYNC_ROLE_HUB, "HG-KHAC", "VN");
	n = slurp(r1, file, sizeof file);
	assert_int_equal(cds_receipt_read(file, n, &r, err, sizeof err), 0);
	n = forge(other, &r, x);
	tu_write(in(d, "stranger.cdsr"), x, n);
	assert_int_equal(cdsync_receipt_check(sch, in(d, "stranger.cdsr"), p1,
					      NULL, NULL, NULL),
			 CDSYNC_EUNKNOWNKEY);
	sodium_bin2hex(hex, sizeof hex, r.hub, 16);
	snprintf(msg, sizeof msg, "%s: signed by the hub %s, which this store "
		 "does not know: without its org code the origin of its log is "
		 "not known here; take in a catalog that lists it",
		 in(d, "stranger.cdsr"), hex);
	assert_string_equal(cdsync_errmsg(sch), msg);
	cdsync_close(other);
	/* the district's id with a key that is not the district's */
	memcpy(r.hub, hub, 16);
	memcpy(r.hub_pk, nat->sign_pk, 32);
	cds_buf_init(&b, 4096);
	cds_receipt_write(&b, &r, nat->sign_sk);
	assert_int_equal(b.rc, 0);
	tu_write(in(d, "wrong-key.cdsr"), b.p, b.n);
	cds_buf_free(&b);
	assert_int_equal(cdsync_receipt_check(sch, in(d, "wrong-key.cdsr"), p1,
					      NULL, NULL, NULL),
			 CDSYNC_EUNKNOWNKEY);
	snprintf(msg, sizeof msg, "%s: signed with a key that is not one this "
		 "store knows for HG-VX", in(d, "wrong-key.cdsr"));
	assert_string_equal(cdsync_errmsg(sch), msg);
	/* and the good pair still holds */
	assert_int_equal(cdsync_receipt_check(sch, r1, p1, NULL, NULL, NULL),
			 CDSYNC_OK);
}

/* A hub's store that lost a leaf (the log is append-only; here by hand):
 * no receipt is made for that bundle, and the message says why. */
static void
test_a_bundle_without_a_leaf_is_a_damaged_store(void **state)
{
	sqlite3_stmt *st = NULL;
	uint8_t hash[32], node_id[16], *out = NULL;
	size_t n = 5;

	(void)state;
	memset(hash, 0x66, 32);
	assert_int_equal(cdsync_node_id(sch, node_id), 0);
	assert_int_equal(sqlite3_prepare_v2(dis->db, "INSERT INTO "
					     "sync_bundle_in (hash, node_id, "
					     "seq, status, bytes, seen_ms, "
					     "status_ms) VALUES (?1, ?2, 999, "
					     "'merged', x'00', 1, 1)", -1, &st,
					     NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, node_id, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(cdsync_receipt_make(dis, hash, &out, &n),
			 CDSYNC_ECORRUPT);
	assert_null(out);
	assert_int_equal(n, 0);
	assert_string_equal(cdsync_errmsg(dis), "bundle 999 of "
						"HG-VX-TH-LUNGCU was taken in "
						"here but has no leaf in this "
						"node's transparency log: the "
						"store is damaged; no receipt "
						"made");
	assert_int_equal(sqlite3_exec(dis->db, "DELETE FROM sync_bundle_in "
					       "WHERE seq = 999", NULL, NULL,
				      NULL), SQLITE_OK);
}

/* ==== Sealing ========================================================= */

static void
test_seal_seals_as_export_does(void **state)
{
	const char *d = tu_tmpdir();
	cdsync_sync_status s;
	cdsync_outbox_item it;
	uint8_t *b = NULL, file[8192];
	size_t sealed = 9, written, n, len, changes;
	uint64_t last;

	(void)state;
	assert_int_equal(cdsync_sync_status_get(sch, &s), 0);
	last = s.last_sealed;
	/* nothing new: nothing sealed */
	assert_int_equal(cdsync_seal(sch, &sealed), 0);
	assert_int_equal(sealed, 0);
	activity(sch, "Tuyên truyền");
	activity(sch, "Tập huấn");
	assert_int_equal(cdsync_seal(sch, &sealed), 0);
	assert_int_equal(sealed, 1);
	assert_int_equal(cdsync_sync_status_get(sch, &s), 0);
	assert_int_equal(s.last_sealed, last + 1);
	assert_int_equal(s.unsealed, 0);
	/* export then seals nothing more and writes that bundle */
	assert_int_equal(cdsync_export(sch, d, &sealed, &written), 0);
	assert_int_equal(sealed, 0);
	assert_int_equal(cdsync_outbox_at(sch, 0, &it), 0);
	assert_int_equal(it.seq, last + 1);
	n = slurp(in(d, it.name), file, sizeof file);
	assert_int_equal(cdsync_bundle_bytes(sch, it.hash, &b, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(b, file, n);
	cdsync_free(b);
	/* a bundle like any other: the district merges both changes */
	assert_int_equal(cdsync_import_file(dis, in(d, it.name), &changes), 0);
	assert_int_equal(changes, 2);
	/* export seals the same way (the next number, chained) */
	activity(sch, "Văn nghệ");
	assert_int_equal(cdsync_export(sch, d, &sealed, &written), 0);
	assert_int_equal(sealed, 1);
	assert_int_equal(cdsync_outbox_at(sch, 1, &it), 0);
	assert_int_equal(it.seq, last + 2);
	assert_int_equal(cdsync_import_file(dis, in(d, it.name), &changes), 0);
	/* not inside a transaction; at the national hub, nothing to seal */
	assert_int_equal(cdsync_begin(sch), 0);
	assert_int_equal(cdsync_seal(sch, &sealed), CDSYNC_EINVAL);
	assert_string_equal(cdsync_errmsg(sch), "sealing cannot run inside an "
						"open transaction");
	assert_int_equal(cdsync_rollback(sch), 0);
	assert_int_equal(cdsync_seal(nat, &sealed), 0);
	assert_int_equal(sealed, 0);
	assert_int_equal(cdsync_outbox_at(nat, 0, &it), CDSYNC_ENOTFOUND);
}

/* ==== Out of memory =================================================== */

static void
test_out_of_memory_gives_enomem_or_success(void **state)
{
	const char *d = tu_tmpdir();
	cdsync_outbox_item it;
	uint8_t *r = NULL, *b = NULL;
	size_t sealed, written, n = 0, len = 0, changes;
	long k;
	int rc, done = 0;

	(void)state;
	activity(sch, "Phúc lợi");
	assert_int_equal(cdsync_export(sch, d, &sealed, &written), 0);
	assert_int_equal(cdsync_outbox_at(sch, (size_t)outbox_len(sch) - 1,
					  &it), 0);
	assert_int_equal(cdsync_import_file(dis, in(d, it.name), &changes), 0);
	for (k = 0; !done && k < 200; k++) {
		cds_alloc_fail_after(k);
		rc = cdsync_receipt_make(dis, it.hash, &r, &n);
		cds_alloc_fail_after(-1);
		assert_true(rc == CDSYNC_OK || rc == CDSYNC_ENOMEM);
		if (rc == CDSYNC_OK)
			done = 1;
		else
			cdsync_free(r);
	}
	assert_true(done);
	for (k = 0, done = 0; !done && k < 200; k++) {
		cds_alloc_fail_after(k);
		rc = cdsync_bundle_bytes(sch, it.hash, &b, &len);
		cds_alloc_fail_after(-1);
		assert_true(rc == CDSYNC_OK || rc == CDSYNC_ENOMEM);
		done = rc == CDSYNC_OK;
	}
	cdsync_free(b);
	for (k = 0, done = 0; !done && k < 200; k++) {
		cds_alloc_fail_after(k);
		rc = cdsync_receipt_take(sch, r, n);
		cds_alloc_fail_after(-1);
		assert_true(rc == CDSYNC_OK || rc == CDSYNC_ENOMEM);
		done = rc == CDSYNC_OK;
	}
	assert_true(done);
	assert_int_equal(cdsync_receipt_take(sch, r, n), CDSYNC_EREPLAY);
	cdsync_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receipts_match_their_vectors),
		cmocka_unit_test(test_a_receipt_is_read_with_bounds),
		cmocka_unit_test(test_a_version_2_receipt_is_read_with_bounds),
		cmocka_unit_test(test_receipts_come_back_down_the_tree_on_files),
		cmocka_unit_test(test_a_held_bundle_stays_in_the_outbox),
		cmocka_unit_test(test_forged_and_misdirected_receipts_are_refused),
		cmocka_unit_test(test_receipts_of_version_1_still_count),
		cmocka_unit_test(
			test_a_receipt_is_checked_with_the_proof_beside_it),
		cmocka_unit_test(
			test_a_bundle_without_a_leaf_is_a_damaged_store),
		cmocka_unit_test(test_seal_seals_as_export_does),
		cmocka_unit_test(test_out_of_memory_gives_enomem_or_success),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
