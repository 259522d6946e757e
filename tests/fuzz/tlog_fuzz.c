/* tlog_fuzz.c -- the transparency log's readers and verifiers (SPEC.md
 * "Transparency log") on arbitrary bytes.  Each input is tried as:
 *
 *   - a checkpoint, checked with the keys of tests/vectors/tlog.vec (the
 *     hub's, seeds 11 x 32 and 12 x 32): what is accepted with one
 *     signature line and no extension line under the hub's origin must be
 *     exactly what cds_checkpoint_write makes of its fields (one
 *     encoding);
 *   - an inclusion proof file and a consistency proof file: what reads
 *     back re-encodes to the same bytes; the checks answer 0 or -1;
 *   - raw verifier input, index:u64 size:u64 a:32 b:32 path:32*k: the
 *     verifiers answer 0 or -1, and a proof accepted for one root is
 *     refused for that root with a bit flipped;
 *   - a small tree (size from the first byte, leaves from the input):
 *     every proof made of it verifies, and the builder gives its root.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char origin[] =
	"cdsync.vn/hub/HN-CAUGIAY/22222222222222222222222222222222";
/* log-root-3 of tlog.vec: the checkpoint a consistency file grows from */
static const uint8_t root3[32] = {
	0x7b, 0x25, 0xc3, 0xaa, 0xcc, 0x72, 0x3c, 0xf6, 0x5a, 0xd5, 0xf8,
	0x15, 0x43, 0x77, 0x47, 0x3a, 0xb9, 0x6e, 0xd2, 0xf8, 0x39, 0xcc,
	0x36, 0xd5, 0x56, 0xa1, 0xe6, 0x9e, 0x34, 0xa1, 0x5e, 0x5d,
};

static uint8_t sk[64];
static struct cds_note_key keys[2];

static void
init(void)
{
	static int done;
	uint8_t seed[32];

	if (done)
		return;
	done = 1;
	if (sodium_init() < 0)
		abort();
	keys[0].name = origin;
	keys[1].name = origin;
	memset(seed, 0x12, 32);
	crypto_sign_seed_keypair(keys[1].pk, sk, seed);
	memset(seed, 0x11, 32);
	crypto_sign_seed_keypair(keys[0].pk, sk, seed);
}

static uint64_t
u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
checkpoint(const uint8_t *data, size_t size)
{
	struct cds_checkpoint c;
	unsigned char sb[2];
	char err[256];
	cds_buf b;

	if (cds_checkpoint_read(data, size, keys, 2, &c, sb, err,
				sizeof err) != 0)
		return;
	if (sb[0] != 1 || c.text_len >= size || c.nsig < 1 ||
	    c.nsig > CDS_CKPT_SIGS_MAX)
		abort();
	{	/* cosignatures of the witness of tlog.vec, and our own */
		static const char wname[] = "cdsync.vn/witness/HN-BADINH/"
					    "23232323232323232323232323232323";
		struct cds_note_key w[2];
		struct cds_cosig t[2];

		w[0] = keys[0];
		w[1].name = wname;
		memcpy(w[1].pk, keys[1].pk, 32);
		if (cds_cosig_check(data, size, w, 2, t, err, sizeof err) ==
			    0 &&
		    ((t[0].time != UINT64_MAX && t[0].time > (uint64_t)INT64_MAX) ||
		     (t[1].time != UINT64_MAX && t[1].time > (uint64_t)INT64_MAX)))
			abort();
		w[0].name = wname;	/* the hub's key as a witness */
		cds_buf_init(&b, 1 << 20);
		cds_cosig_write(&b, data, size, wname, sk, keys[0].pk, 1);
		if (b.rc == 0 &&
		    (cds_cosig_check(b.p, b.n, w, 1, t, err, sizeof err) != 0 ||
		     t[0].time != 1))
			abort();
		cds_buf_free(&b);
	}
	if (c.nsig != 1 || c.next != 0 || strcmp(c.origin, origin) != 0)
		return;
	cds_buf_init(&b, 1 << 20);
	cds_checkpoint_write(&b, c.origin, c.size, c.root, origin, sk,
			     keys[0].pk);
	if (b.rc != 0 || b.n != size || memcmp(b.p, data, size) != 0)
		abort();
	cds_buf_free(&b);
}

static void
files(const uint8_t *data, size_t size)
{
	struct cds_checkpoint c, old;
	struct cds_tlog_file f;
	struct cds_tlog_leaf leaf;
	uint64_t index;
	char err[256];
	cds_buf b;
	int rc;

	if (cds_tlog_inclusion_read(data, size, &f, err, sizeof err) == 0) {
		cds_buf_init(&b, 1 << 20);
		cds_tlog_inclusion_write(&b, f.at,
					 f.has_extra ? f.extra : NULL,
					 f.extra_len,
					 (const uint8_t (*)[32])f.path, f.len,
					 f.ckpt, f.ckpt_len);
		if (b.rc != 0 || b.n != size || memcmp(b.p, data, size) != 0)
			abort();
		cds_buf_free(&b);
		rc = cds_tlog_inclusion_check(data, size, keys, 2, &c, &leaf,
					      &index, NULL, err, sizeof err);
		if (rc != 0 && rc != -1)
			abort();
		if (rc == 0 && index >= c.size)
			abort();
	}
	if (cds_tlog_consistency_read(data, size, &f, err, sizeof err) == 0) {
		cds_buf_init(&b, 1 << 20);
		cds_tlog_consistency_write(&b, f.at,
					   (const uint8_t (*)[32])f.path,
					   f.len, f.ckpt, f.ckpt_len);
		if (b.rc != 0 || b.n != size || memcmp(b.p, data, size) != 0)
			abort();
		cds_buf_free(&b);
		memset(&old, 0, sizeof old);
		memcpy(old.origin, origin, sizeof origin);
		old.size = 3;
		memcpy(old.root, root3, 32);
		rc = cds_tlog_consistency_check(data, size, keys, 2, &old, &c,
						NULL, err, sizeof err);
		if (rc != 0 && rc != -1)
			abort();
	}
}

static void
raw(const uint8_t *data, size_t size)
{
	uint8_t path[CDS_TLOG_PATH_MAX][32], r[32];
	uint64_t index, n;
	size_t len;
	int rc;

	if (size < 80)
		return;
	index = u64(data);
	n = u64(data + 8);
	len = (size - 80) / 32;
	if (len > CDS_TLOG_PATH_MAX)
		len = CDS_TLOG_PATH_MAX;
	memcpy(path, data + 80, len * 32);
	rc = cds_tlog_inclusion_verify(index, n, data + 16,
				       (const uint8_t (*)[32])path, len,
				       data + 48);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == 0) {
		memcpy(r, data + 48, 32);
		r[0] ^= 1;
		if (cds_tlog_inclusion_verify(index, n, data + 16,
					      (const uint8_t (*)[32])path, len,
					      r) == 0)
			abort();
	}
	rc = cds_tlog_consistency_verify(index, n, data + 16, data + 48,
					 (const uint8_t (*)[32])path, len);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == 0 && index != n) {
		memcpy(r, data + 48, 32);
		r[31] ^= 0x80;
		if (cds_tlog_consistency_verify(index, n, data + 16, r,
						(const uint8_t (*)[32])path,
						len) == 0)
			abort();
	}
}

static void
tree(const uint8_t *data, size_t size)
{
	uint8_t h[64][32], proof[CDS_TLOG_PATH_MAX][32], r1[32], r2[32];
	struct cds_tlog_builder b;
	size_t n, i, m, len;

	if (size < 2)
		return;
	n = (size_t)(data[0] % 64) + 1;
	cds_tlog_builder_init(&b);
	for (i = 0; i < n; i++) {
		cds_tlog_leaf_hash(data + i % size, size - i % size, h[i]);
		if (cds_tlog_builder_push(&b, h[i]) != 0)
			abort();
	}
	cds_tlog_root((const uint8_t (*)[32])h, n, r2);
	cds_tlog_builder_root(&b, r1);
	if (memcmp(r1, r2, 32) != 0)
		abort();
	i = data[1] % n;
	if (cds_tlog_inclusion_proof((const uint8_t (*)[32])h, n, i, proof,
				     &len) != 0 ||
	    cds_tlog_inclusion_verify(i, n, h[i], (const uint8_t (*)[32])proof,
				      len, r2) != 0)
		abort();
	m = i + 1;
	cds_tlog_root((const uint8_t (*)[32])h, m, r1);
	if (cds_tlog_consistency_proof((const uint8_t (*)[32])h, n, m, proof,
				       &len) != 0 ||
	    cds_tlog_consistency_verify(m, n, r1, r2,
					(const uint8_t (*)[32])proof,
					len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	checkpoint(data, size);
	files(data, size);
	raw(data, size);
	tree(data, size);
	return 0;
}
