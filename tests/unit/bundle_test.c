/* bundle_test.c -- bundles (SPEC.md §7) against tests/vectors/bundle.vec,
 * a second writer built from the SPEC text alone, and every way a
 * bundle is refused: truncation at every length, a flipped bit in every
 * byte, a wrong signer, a key entry from another bundle, the caps, a zstd
 * frame of the wrong size, and allocation failures.
 *
 * libsodium's randomness is replaced by a deterministic one for the whole
 * run (randombytes_set_implementation): call k of randombytes_buf, counted
 * from the last rng_reset(), gets randombytes_buf_deterministic() with the
 * seed c0 c1 .. df whose first 8 bytes are xored with k (little-endian).
 * The keys come from fixed seeds (see bundle.vec).  Messages are checked
 * word for word; run with LANG=en.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "alloc.h"
#include "bundle.h"
#include "cdsync/cdsync.h"
#include "vec.h"

#define BIG 8192 /* room for every bundle made here */

/* ==== Fixed keys and randomness ======================================= */

static uint8_t sign_pk[32], sign_sk[64];	/* sender, seed 00..1f */
static uint8_t a_pk[32], a_sk[32];		/* recipient A, 20..3f */
static uint8_t b_pk[32], b_sk[32];		/* recipient B, 40..5f */
static uint8_t x_pk[32], x_sk[32];		/* not a recipient, 60..7f */
static uint8_t other_pk[32], other_sk[64];	/* another signer, a0..bf */
static uint8_t node[16];			/* 80..8f */
static uint8_t rng_seed[randombytes_SEEDBYTES]; /* c0..df */
static uint64_t rng_calls;

static void
fill(uint8_t *p, size_t n, unsigned first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static const char *
rng_name(void)
{
	return "cdsync-test";
}

static void
rng_buf(void *const p, const size_t n)
{
	uint8_t seed[randombytes_SEEDBYTES];
	int i;

	memcpy(seed, rng_seed, sizeof seed);
	for (i = 0; i < 8; i++)
		seed[i] ^= (uint8_t)(rng_calls >> (8 * i));
	rng_calls++;
	randombytes_buf_deterministic(p, n, seed);
}

static uint32_t
rng_random(void)
{
	uint32_t v;

	rng_buf(&v, sizeof v);
	return v;
}

static randombytes_implementation rng = {
	rng_name, rng_random, NULL, NULL, rng_buf, NULL,
};

static void
rng_reset(void)
{
	rng_calls = 0;
}

static void
keys(void)
{
	uint8_t seed[32];

	fill(seed, 32, 0x00);
	crypto_sign_seed_keypair(sign_pk, sign_sk, seed);
	fill(seed, 32, 0x20);
	crypto_box_seed_keypair(a_pk, a_sk, seed);
	fill(seed, 32, 0x40);
	crypto_box_seed_keypair(b_pk, b_sk, seed);
	fill(seed, 32, 0x60);
	crypto_box_seed_keypair(x_pk, x_sk, seed);
	fill(seed, 32, 0xa0);
	crypto_sign_seed_keypair(other_pk, other_sk, seed);
	fill(node, 16, 0x80);
	fill(rng_seed, 32, 0xc0);
}

/* ==== Helpers ========================================================= */

static const char phrase[] = "cdsync test payload";

/* "cdsync test payload" `times` times, without NULs. */
static size_t
text_payload(uint8_t *p, size_t times)
{
	size_t i, k = sizeof phrase - 1;

	for (i = 0; i < times; i++)
		memcpy(p + i * k, phrase, k);
	return times * k;
}

static void
set64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void
set32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
args_for(struct cds_bundle_seal_args *a, const uint8_t (*rcpt)[32],
	 size_t nrcpt)
{
	memset(a, 0, sizeof *a);
	a->node = node;
	a->sign_sk = sign_sk;
	a->seq = 1;
	a->prev = NULL;
	a->hlc = 1735689600000ull << 16;
	a->count = 16;
	a->rcpt_pk = rcpt;
	a->nrcpt = nrcpt;
}

/* Seals payload p[0..n) to A and B as bundle 1; returns its length. */
static size_t
seal_ab(const uint8_t *p, size_t n, uint8_t *out)
{
	uint8_t rcpt[2][32];
	struct cds_bundle_seal_args a;
	uint8_t *bytes = NULL;
	size_t len = 0;
	char err[256];

	memcpy(rcpt[0], a_pk, 32);
	memcpy(rcpt[1], b_pk, 32);
	args_for(&a, (const uint8_t(*)[32])rcpt, 2);
	assert_int_equal(cds_bundle_seal(&a, p, n, &bytes, &len, NULL, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_true(len <= BIG);
	memcpy(out, bytes, len);
	cds_free(bytes);
	return len;
}

/* Signs the header of b again with the sender's key (a sender that
 * cheats, or a test that wants to reach the step after the signature). */
static void
resign(uint8_t *b, const uint8_t *sk)
{
	size_t hl = 210 + 112 * (size_t)b[5];

	crypto_sign_detached(b + hl, NULL, b, hl, sk);
}

/* What head, verify and open (as A) say about b[0..n). */
struct verdict {
	int head, verify, open;
	uint8_t *payload;
	uint64_t plain_len;
	char err[256];
};

static void
check(const uint8_t *b, size_t n, const uint8_t *pk, const uint8_t *sk,
      struct verdict *v)
{
	struct cds_bundle_head h;

	memset(v, 0, sizeof *v);
	v->verify = v->open = -1;
	v->head = cds_bundle_head(b, n, &h, v->err, sizeof v->err);
	if (v->head != CDSYNC_OK)
		return;
	v->verify = cds_bundle_verify(b, n, &h, v->err, sizeof v->err);
	if (v->verify != CDSYNC_OK)
		return;
	v->open = cds_bundle_open(b, n, &h, pk, sk, &v->payload, v->err,
				  sizeof v->err);
	v->plain_len = h.plain_len;
	if (v->open != CDSYNC_OK)
		assert_null(v->payload);
}

static void
verdict_free(struct verdict *v)
{
	cds_free(v->payload);
	v->payload = NULL;
}

/* ==== A second writer, from the text of SPEC.md §7 ==================== */

struct spec {
	const uint8_t *frame;		/* the AEAD plaintext, as given */
	size_t flen;
	uint64_t plain_len;		/* the header's claim */
	const uint8_t (*rcpt)[32];
	size_t nrcpt;
	uint64_t seq;
	const uint8_t *prev;		/* NULL: zeros */
	uint64_t hlc;
	uint32_t count;
};

static size_t
forge(const struct spec *s, uint8_t *out)
{
	static const char label[] = "cdsync.bundle.keycommit.v1";
	uint8_t key[32], nonce[24], *c;
	size_t hl = 210 + 112 * s->nrcpt, i;
	unsigned long long clen;

	assert_true(hl + 64 + s->flen + 16 <= BIG);
	randombytes_buf(key, sizeof key);
	randombytes_buf(nonce, sizeof nonce);
	memset(out, 0, hl);
	memcpy(out, "CDSB", 4);
	out[4] = 1;
	out[5] = (uint8_t)s->nrcpt;
	memcpy(out + 6, node, 16);
	memcpy(out + 22, sign_pk, 32);
	set64(out + 54, s->seq);
	if (s->prev)
		memcpy(out + 62, s->prev, 32);
	set64(out + 94, s->hlc);
	set32(out + 102, s->count);
	set64(out + 106, s->plain_len);
	set64(out + 114, s->flen + 16);
	memcpy(out + 122, nonce, 24);
	c = out + hl + 64;
	crypto_aead_xchacha20poly1305_ietf_encrypt(c, &clen, s->frame, s->flen,
						   out, 94, NULL, nonce, key);
	crypto_generichash(out + 146, 32, c, (size_t)clen, NULL, 0);
	crypto_generichash(out + 178, 32, (const uint8_t *)label,
			   sizeof label - 1, key, 32);
	for (i = 0; i < s->nrcpt; i++) {
		memcpy(out + 210 + 112 * i, s->rcpt[i], 32);
		assert_int_equal(crypto_box_seal(out + 210 + 112 * i + 32,
						 key, 32, s->rcpt[i]),
				 0);
	}
	crypto_sign_detached(out + hl, NULL, out, hl, sign_sk);
	sodium_memzero(key, sizeof key);
	return hl + 64 + (size_t)clen;
}

/* zstd frame of p[0..n) at level 3, with the content size (or not). */
static size_t
frame_of(const uint8_t *p, size_t n, int with_size, uint8_t *out,
	 size_t cap)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t r;

	assert_non_null(cc);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(
		cc, ZSTD_c_compressionLevel, 3)));
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(
		cc, ZSTD_c_contentSizeFlag, with_size)));
	r = ZSTD_compress2(cc, out, cap, p, n);
	assert_false(ZSTD_isError(r));
	ZSTD_freeCCtx(cc);
	return r;
}

/* ==== Vectors ========================================================= */

static void
test_the_keys_match_the_vectors(void **state)
{
	uint8_t want[64];

	(void)state;
	assert_int_equal(vec_get("bundle.vec", "sender-pk", want, 64), 32);
	assert_memory_equal(sign_pk, want, 32);
	assert_int_equal(vec_get("bundle.vec", "rcpt-a-pk", want, 64), 32);
	assert_memory_equal(a_pk, want, 32);
	assert_int_equal(vec_get("bundle.vec", "rcpt-b-pk", want, 64), 32);
	assert_memory_equal(b_pk, want, 32);
	assert_int_equal(vec_get("bundle.vec", "node", want, 64), 16);
	assert_memory_equal(node, want, 16);
}

/* Depends on zstd 1.5.x making the same frame at level 3. */
static void
test_sealing_with_fixed_randomness_gives_the_vectors(void **state)
{
	static uint8_t p[BIG], want[BIG], prev[32], hash[32];
	uint8_t rcpt[2][32];
	struct cds_bundle_seal_args a;
	struct cds_bundle_head h;
	uint8_t *bytes = NULL;
	size_t n, len = 0, wn, i;
	char err[256];

	(void)state;
	memcpy(rcpt[0], a_pk, 32);
	memcpy(rcpt[1], b_pk, 32);
	/* bundle 1: the phrase 16 times, to A and B */
	n = vec_get("bundle.vec", "payload-1", p, sizeof p);
	args_for(&a, (const uint8_t(*)[32])rcpt, 2);
	rng_reset();
	assert_int_equal(cds_bundle_seal(&a, p, n, &bytes, &len, &h, err,
					 sizeof err),
			 CDSYNC_OK);
	wn = vec_get("bundle.vec", "bundle-1", want, sizeof want);
	assert_int_equal(len, wn);
	assert_memory_equal(bytes, want, wn);
	assert_int_equal(vec_get("bundle.vec", "hash-1", hash, 32), 32);
	assert_memory_equal(h.hash, hash, 32);
	cds_free(bytes);
	/* bundle 2: bytes 00..ff, to A only, chained to bundle 1 */
	n = vec_get("bundle.vec", "payload-2", p, sizeof p);
	for (i = 0; i < 256; i++)
		assert_int_equal(p[i], i);
	memcpy(prev, hash, 32);
	args_for(&a, (const uint8_t(*)[32])rcpt, 1);
	a.seq = 2;
	a.prev = prev;
	a.hlc = (1735689600000ull << 16) + 1;
	a.count = 1;
	rng_reset();
	assert_int_equal(cds_bundle_seal(&a, p, n, &bytes, &len, &h, err,
					 sizeof err),
			 CDSYNC_OK);
	wn = vec_get("bundle.vec", "bundle-2", want, sizeof want);
	assert_int_equal(len, wn);
	assert_memory_equal(bytes, want, wn);
	assert_int_equal(vec_get("bundle.vec", "hash-2", hash, 32), 32);
	assert_memory_equal(h.hash, hash, 32);
	cds_free(bytes);
}

/* Does not depend on zstd's encoder: only on the format. */
static void
test_the_stored_vectors_open_to_their_payloads(void **state)
{
	static uint8_t b[BIG], p[BIG], want[BIG];
	static const char label[] = "cdsync.bundle.keycommit.v1";
	uint8_t hash[32], key[32], commit[32], prev[32];
	struct cds_bundle_head h;
	uint8_t *got = NULL;
	size_t n, pn;
	char err[256];

	(void)state;
	n = vec_get("bundle.vec", "bundle-1", b, sizeof b);
	pn = vec_get("bundle.vec", "payload-1", want, sizeof want);
	assert_int_equal(cds_bundle_head(b, n, &h, err, sizeof err), 0);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.nrcpt, 2);
	assert_int_equal(h.head_len, 434);
	assert_int_equal(h.seq, 1);
	assert_int_equal(h.count, 16);
	assert_int_equal(h.hlc, 1735689600000ull << 16);
	assert_int_equal(h.plain_len, pn);
	assert_int_equal(h.cipher_len, n - 434 - 64);
	assert_memory_equal(h.node, node, 16);
	assert_memory_equal(h.sign_pk, sign_pk, 32);
	assert_memory_equal(h.rcpt[0].box_pk, a_pk, 32);
	assert_memory_equal(h.rcpt[1].box_pk, b_pk, 32);
	vec_get("bundle.vec", "hash-1", hash, 32);
	assert_memory_equal(h.hash, hash, 32);
	/* the content key of the vector and its commitment */
	assert_int_equal(vec_get("bundle.vec", "key-1", key, 32), 32);
	crypto_generichash(commit, 32, (const uint8_t *)label,
			   sizeof label - 1, key, 32);
	assert_memory_equal(h.key_commit, commit, 32);
	assert_int_equal(cds_bundle_verify(b, n, &h, err, sizeof err), 0);
	assert_int_equal(cds_bundle_open(b, n, &h, a_pk, a_sk, &got, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_memory_equal(got, want, pn);
	cds_free(got);
	assert_int_equal(cds_bundle_open(b, n, &h, b_pk, b_sk, &got, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_memory_equal(got, want, pn);
	cds_free(got);

	memcpy(prev, hash, 32);
	n = vec_get("bundle.vec", "bundle-2", b, sizeof b);
	pn = vec_get("bundle.vec", "payload-2", p, sizeof p);
	assert_int_equal(cds_bundle_head(b, n, &h, err, sizeof err), 0);
	assert_int_equal(h.seq, 2);
	assert_memory_equal(h.prev, prev, 32);
	assert_int_equal(h.nrcpt, 1);
	vec_get("bundle.vec", "hash-2", hash, 32);
	assert_memory_equal(h.hash, hash, 32);
	assert_int_equal(cds_bundle_verify(b, n, &h, err, sizeof err), 0);
	assert_int_equal(cds_bundle_open(b, n, &h, a_pk, a_sk, &got, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_memory_equal(got, p, pn);
	cds_free(got);
	assert_int_equal(cds_bundle_open(b, n, &h, b_pk, b_sk, &got, err,
					 sizeof err),
			 CDSYNC_ENOTRECIPIENT);
	assert_null(got);
}

static void
test_a_writer_from_the_spec_makes_the_same_bytes(void **state)
{
	static uint8_t p[BIG], frame[BIG], mine[BIG];
	uint8_t rcpt[2][32];
	struct cds_bundle_seal_args a;
	struct spec s;
	uint8_t *bytes = NULL;
	size_t n, len = 0, mn;
	char err[256];

	(void)state;
	memcpy(rcpt[0], a_pk, 32);
	memcpy(rcpt[1], b_pk, 32);
	n = text_payload(p, 40);
	args_for(&a, (const uint8_t(*)[32])rcpt, 2);
	a.seq = 9;
	memset(mine, 0x5a, 32);
	a.prev = mine;
	a.hlc = 12345;
	a.count = 40;
	memset(&s, 0, sizeof s);
	s.flen = frame_of(p, n, 1, frame, sizeof frame);
	s.frame = frame;
	s.plain_len = n;
	s.rcpt = (const uint8_t(*)[32])rcpt;
	s.nrcpt = 2;
	s.seq = 9;
	s.prev = mine;
	s.hlc = 12345;
	s.count = 40;
	rng_reset();
	mn = forge(&s, mine + 32);
	rng_reset();
	assert_int_equal(cds_bundle_seal(&a, p, n, &bytes, &len, NULL, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_int_equal(len, mn);
	assert_memory_equal(bytes, mine + 32, mn);
	cds_free(bytes);
}

/* ==== Round trips ===================================================== */

static void
test_each_recipient_opens_and_no_one_else(void **state)
{
	static uint8_t p[BIG], b[BIG];
	struct cds_bundle_head h;
	uint8_t *got = NULL;
	size_t n, len;
	char err[256];

	(void)state;
	n = text_payload(p, 100);
	len = seal_ab(p, n, b);
	assert_int_equal(cds_bundle_head(b, len, &h, err, sizeof err), 0);
	assert_int_equal(cds_bundle_verify(b, len, &h, err, sizeof err), 0);
	assert_int_equal(cds_bundle_open(b, len, &h, a_pk, a_sk, &got, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_int_equal(h.plain_len, n);
	assert_memory_equal(got, p, n);
	cds_free(got);
	assert_int_equal(cds_bundle_open(b, len, &h, b_pk, b_sk, &got, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_memory_equal(got, p, n);
	cds_free(got);
	got = (uint8_t *)1;
	assert_int_equal(cds_bundle_open(b, len, &h, x_pk, x_sk, &got, err,
					 sizeof err),
			 CDSYNC_ENOTRECIPIENT);
	assert_null(got);
	assert_string_equal(err, "not a recipient: none of the 2 recipient "
				 "keys at offset 210 is this node's key");
	/* A's public key with B's secret key: the entry does not open */
	assert_int_equal(cds_bundle_open(b, len, &h, a_pk, b_sk, &got, err,
					 sizeof err),
			 CDSYNC_EDECRYPT);
	assert_string_equal(err, "offset 242: recipient 1: the content key "
				 "does not open with this node's key");
}

static void
test_the_header_seal_returns_is_the_one_head_reads(void **state)
{
	static uint8_t p[BIG];
	uint8_t rcpt[3][32], prev[32];
	struct cds_bundle_seal_args a;
	struct cds_bundle_head h1, h2;
	uint8_t *bytes = NULL;
	size_t n, len = 0;
	char err[256];

	(void)state;
	memcpy(rcpt[0], b_pk, 32);
	memcpy(rcpt[1], x_pk, 32);
	memcpy(rcpt[2], a_pk, 32);
	memset(prev, 0xee, 32);
	n = text_payload(p, 3);
	args_for(&a, (const uint8_t(*)[32])rcpt, 3);
	a.seq = 0x0102030405060708ull;
	a.prev = prev;
	a.hlc = UINT64_MAX;
	a.count = CDS_BUNDLE_MAX_CHANGES;
	assert_int_equal(cds_bundle_seal(&a, p, n, &bytes, &len, &h1, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_int_equal(cds_bundle_head(bytes, len, &h2, err, sizeof err),
			 0);
	assert_int_equal(h1.seq, a.seq);
	assert_int_equal(h1.hlc, UINT64_MAX);
	assert_int_equal(h1.count, CDS_BUNDLE_MAX_CHANGES);
	assert_int_equal(h1.nrcpt, 3);
	assert_int_equal(h1.head_len, 210 + 3 * 112);
	assert_int_equal(len, h1.head_len + 64 + h1.cipher_len);
	assert_memory_equal(h1.prev, prev, 32);
	assert_memory_equal(h1.rcpt[2].box_pk, a_pk, 32);
	assert_memory_equal(h1.hash, h2.hash, 32);
	assert_memory_equal(h1.rcpt, h2.rcpt, sizeof h1.rcpt);
	assert_memory_equal(h1.key_commit, h2.key_commit, 32);
	assert_memory_equal(h1.cipher_hash, h2.cipher_hash, 32);
	assert_memory_equal(h1.nonce, h2.nonce, 24);
	/* big-endian on the wire */
	assert_int_equal(bytes[54], 0x01);
	assert_int_equal(bytes[61], 0x08);
	cds_free(bytes);
}

static void
test_an_empty_payload_round_trips(void **state)
{
	uint8_t b[BIG];
	struct cds_bundle_head h;
	uint8_t *got = NULL;
	size_t len;
	char err[256];

	(void)state;
	len = seal_ab(NULL, 0, b);
	assert_int_equal(cds_bundle_head(b, len, &h, err, sizeof err), 0);
	assert_int_equal(h.plain_len, 0);
	assert_int_equal(cds_bundle_verify(b, len, &h, err, sizeof err), 0);
	assert_int_equal(cds_bundle_open(b, len, &h, b_pk, b_sk, &got, err,
					 sizeof err),
			 CDSYNC_OK);
	assert_non_null(got);
	cds_free(got);
}

/* ==== Signature ======================================================= */

static void
test_a_swapped_signing_key_fails_the_signature(void **state)
{
	static uint8_t p[BIG], b[BIG];
	struct cds_bundle_head h;
	size_t n, len;
	char err[256];

	(void)state;
	n = text_payload(p, 5);
	len = seal_ab(p, n, b);
	/* in the header's bytes */
	memcpy(b + 22, other_pk, 32);
	assert_int_equal(cds_bundle_head(b, len, &h, err, sizeof err), 0);
	assert_memory_equal(h.sign_pk, other_pk, 32);
	assert_int_equal(cds_bundle_verify(b, len, &h, err, sizeof err),
			 CDSYNC_EBADSIG);
	assert_string_equal(err, "offset 434: the signature does not match "
				 "the header and the sender's key");
	/* in the parsed header only */
	memcpy(b + 22, sign_pk, 32);
	assert_int_equal(cds_bundle_head(b, len, &h, err, sizeof err), 0);
	assert_int_equal(cds_bundle_verify(b, len, &h, err, sizeof err), 0);
	memcpy(h.sign_pk, other_pk, 32);
	assert_int_equal(cds_bundle_verify(b, len, &h, err, sizeof err),
			 CDSYNC_EBADSIG);
	/* signed by another key that claims to be the sender */
	resign(b, other_sk);
	assert_int_equal(cds_bundle_head(b, len, &h, err, sizeof err), 0);
	assert_int_equal(cds_bundle_verify(b, len, &h, err, sizeof err),
			 CDSYNC_EBADSIG);
}

static void
test_a_header_from_other_bytes_is_refused(void **state)
{
	static uint8_t p[BIG], b1[BIG], b2[BIG];
	struct cds_bundle_head h1;
	uint8_t *got = (uint8_t *)1;
	size_t n, l1, l2;
	char err[256];

	(void)state;
	n = text_payload(p, 5);
	l1 = seal_ab(p, n, b1);
	l2 = seal_ab(p, n, b2);
	assert_int_equal(cds_bundle_head(b1, l1, &h1, err, sizeof err), 0);
	assert_int_equal(cds_bundle_verify(b2, l2, &h1, err, sizeof err),
			 CDSYNC_EINVAL);
	assert_string_equal(err, "the parsed header given was not read from "
				 "these bundle bytes");
	assert_int_equal(cds_bundle_open(b2, l2, &h1, a_pk, a_sk, &got, err,
					 sizeof err),
			 CDSYNC_EINVAL);
	assert_null(got);
	/* and bytes that are no bundle at all */
	assert_int_equal(cds_bundle_verify(b2, 10, &h1, err, sizeof err),
			 CDSYNC_EBADBUNDLE);
}

/* ==== Damage ========================================================== */

static void
test_every_truncation_is_refused(void **state)
{
	static uint8_t p[BIG], b[BIG], want[128];
	struct cds_bundle_head h;
	size_t n, len, i;
	char err[256];

	(void)state;
	n = text_payload(p, 2);
	len = seal_ab(p, n, b);
	for (i = 0; i < len; i++) {
		err[0] = '\0';
		assert_int_equal(cds_bundle_head(b, i, &h, err, sizeof err),
				 CDSYNC_EBADBUNDLE);
		assert_true(strncmp(err, "truncated: ", 11) == 0);
		assert_int_equal(h.head_len, 0);
		assert_int_equal(h.nrcpt, 0);
	}
	assert_int_equal(cds_bundle_head(b, 0, &h, err, sizeof err),
			 CDSYNC_EBADBUNDLE);
	assert_string_equal(err, "truncated: 0 bytes, a bundle has at least "
				 "402");
	assert_int_equal(cds_bundle_head(b, 5, &h, err, sizeof err),
			 CDSYNC_EBADBUNDLE);
	assert_string_equal(err, "truncated: 5 bytes, a bundle has at least "
				 "402");
	assert_int_equal(cds_bundle_head(b, 433, &h, err, sizeof err),
			 CDSYNC_EBADBUNDLE);
	assert_string_equal(err, "truncated: 433 bytes, the header alone has "
				 "434");
	cds_bundle_head(b, len - 1, &h, err, sizeof err);
	snprintf((char *)want, sizeof want,
		 "truncated: %zu bytes, the header says %zu", len - 1, len);
	assert_string_equal(err, (char *)want);
	/* and one byte too many */
	b[len] = 0;
	assert_int_equal(cds_bundle_head(b, len + 1, &h, err, sizeof err),
			 CDSYNC_EBADBUNDLE);
	snprintf((char *)want, sizeof want,
		 "too long: %zu bytes, the header says %zu", len + 1, len);
	assert_string_equal(err, (char *)want);
}

static void
test_a_flipped_bit_anywhere_is_refused(void **state)
{
	static uint8_t p[BIG], b[BIG];
	struct verdict v;
	size_t n, len, i, cipher;
	int bit, refused;

	(void)state;
	n = text_payload(p, 4);
	len = seal_ab(p, n, b);
	cipher = 434 + 64;
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			check(b, len, a_pk, a_sk, &v);
			refused = v.head != 0 || v.verify != 0 || v.open != 0;
			if (!refused) {
				fprintf(stderr, "byte %zu bit %d accepted\n",
					i, bit);
				fail();
			}
			/* header and signature: the signature; ciphertext:
			 * its hash */
			if (i < cipher)
				assert_true(v.head != 0 || v.verify != 0);
			else
				assert_string_equal(v.err,
						    "offset 146: the "
						    "ciphertext hash does not "
						    "match the ciphertext");
			verdict_free(&v);
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_OK);
	assert_memory_equal(v.payload, p, n);
	verdict_free(&v);
}

/* Whatever a flip does, open never gives another payload: checked without
 * the signature, for a reader that opens before verifying. */
static void
test_open_alone_never_gives_another_payload(void **state)
{
	static uint8_t p[BIG], b[BIG];
	struct cds_bundle_head h;
	uint8_t *got;
	size_t n, len, i;
	char err[256];
	int rc;

	(void)state;
	n = text_payload(p, 4);
	len = seal_ab(p, n, b);
	for (i = 0; i < len; i++) {
		b[i] ^= 0x01;
		got = NULL;
		if (cds_bundle_head(b, len, &h, err, sizeof err) == 0) {
			rc = cds_bundle_open(b, len, &h, a_pk, a_sk, &got,
					     err, sizeof err);
			if (rc == CDSYNC_OK) {
				assert_int_equal(h.plain_len, n);
				assert_memory_equal(got, p, n);
			} else {
				assert_null(got);
			}
			cds_free(got);
		}
		b[i] ^= 0x01;
	}
}

static void
test_a_key_entry_from_elsewhere_fails_the_commitment(void **state)
{
	static uint8_t p[BIG], b1[BIG], b2[BIG];
	struct verdict v;
	size_t n, l1;

	(void)state;
	n = text_payload(p, 6);
	l1 = seal_ab(p, n, b1);
	seal_ab(p, n, b2);
	/* A's entry of bundle 2 (another content key) into bundle 1, signed
	 * by the sender as if it were honest */
	memcpy(b1 + 210 + 32, b2 + 210 + 32, 80);
	resign(b1, sign_sk);
	check(b1, l1, a_pk, a_sk, &v);
	assert_int_equal(v.head, 0);
	assert_int_equal(v.verify, 0);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	assert_string_equal(v.err, "offset 178: the content key of recipient "
				   "1 does not match the key commitment");
	/* B's entry is still the right one */
	check(b1, l1, b_pk, b_sk, &v);
	assert_int_equal(v.open, CDSYNC_OK);
	assert_memory_equal(v.payload, p, n);
	verdict_free(&v);
}

static void
test_a_ciphertext_in_another_header_does_not_decrypt(void **state)
{
	static uint8_t p[BIG], b[BIG], c[BIG];
	struct verdict v;
	size_t n, len, off;
	static const size_t in_ad[] = { 6, 22, 54, 62 };

	(void)state;
	n = text_payload(p, 6);
	len = seal_ab(p, n, b);
	/* node, signing key, seq, prev: bound by the associated data even
	 * when the header is signed again (here seq 1 -> 3 needs a prev) */
	for (off = 0; off < sizeof in_ad / sizeof in_ad[0]; off++) {
		memcpy(c, b, len);
		c[in_ad[off] + 5] ^= 0x04;
		if (in_ad[off] == 54)
			memset(c + 62, 0x77, 32);
		if (in_ad[off] == 62)
			c[61] = 2;
		if (in_ad[off] == 22) {
			memcpy(c + 22, other_pk, 32);
			resign(c, other_sk);
		} else {
			resign(c, sign_sk);
		}
		check(c, len, a_pk, a_sk, &v);
		assert_int_equal(v.head, 0);
		assert_int_equal(v.verify, 0);
		assert_int_equal(v.open, CDSYNC_EDECRYPT);
		assert_string_equal(v.err, "offset 498: the ciphertext does "
					   "not decrypt (its tag does not "
					   "match)");
	}
	/* the clock is signed but not associated data */
	memcpy(c, b, len);
	c[100] ^= 0x04;
	resign(c, sign_sk);
	check(c, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_OK);
	assert_memory_equal(v.payload, p, n);
	verdict_free(&v);
}

/* ==== Caps and layout ================================================= */

/* Sets a field of a copy of b and returns what head says. */
static int
head_with(const uint8_t *b, size_t len, size_t off, const uint8_t *v,
	  size_t vn, char *err, size_t errlen)
{
	static uint8_t c[BIG];
	struct cds_bundle_head h;

	memcpy(c, b, len);
	if (vn > 0)
		memcpy(c + off, v, vn);
	return cds_bundle_head(c, len, &h, err, errlen);
}

static void
test_the_caps_and_the_layout_are_checked_first(void **state)
{
	static uint8_t p[BIG], b[BIG];
	uint8_t v[32], *huge;
	struct cds_bundle_head h;
	size_t n, len, i;
	char err[256];
	static const struct {
		size_t off, n;
		uint64_t val;
		const char *msg;
	} cases[] = {
		{ 0, 1, 'X', "offset 0: not a bundle (it does not start with "
			     "\"CDSB\")" },
		{ 4, 1, 2, "offset 4: version 2 is not supported (this "
			   "program reads version 1)" },
		{ 4, 1, 0, "offset 4: version 0 is not supported (this "
			   "program reads version 1)" },
		{ 5, 1, 0, "offset 5: recipient count 0 (a bundle has at "
			   "least 1)" },
		{ 5, 1, 9, "offset 5: recipient count 9 is more than 8" },
		{ 5, 1, 255, "offset 5: recipient count 255 is more than 8" },
		{ 5, 1, 3, "truncated: 434 bytes, the header alone has 546" },
		{ 5, 1, 2, "truncated: 434 bytes, the header says 546" },
		{ 54, 8, 0, "offset 54: sequence number 0 (they start at 1)" },
		{ 54, 8, 2, "offset 62: previous hash of bundle 2 is all "
			    "zeros" },
		{ 102, 4, CDS_BUNDLE_MAX_CHANGES + 1,
		  "offset 102: change count 1000001 is more than 1000000" },
		{ 102, 4, UINT32_MAX,
		  "offset 102: change count 4294967295 is more than "
		  "1000000" },
		{ 106, 8, CDS_BUNDLE_MAX_PLAIN + 1ull,
		  "offset 106: payload length 268435457 is more than 256 "
		  "MiB" },
		{ 106, 8, UINT64_MAX,
		  "offset 106: payload length 18446744073709551615 is more "
		  "than 256 MiB" },
		{ 114, 8, 15, "offset 114: ciphertext length 15 is less than "
			      "its 16-byte tag" },
		{ 114, 8, 0, "offset 114: ciphertext length 0 is less than "
			     "its 16-byte tag" },
		{ 114, 8, UINT64_MAX,
		  "offset 114: ciphertext length 18446744073709551615 does "
		  "not fit in a bundle (64 MiB)" },
		{ 114, 8, CDS_BUNDLE_MAX_BYTES,
		  "offset 114: ciphertext length 67108864 does not fit in a "
		  "bundle (64 MiB)" },
		{ 114, 8, 17, "too long: 434 bytes, the header says 403" },
	};

	(void)state;
	/* The first 434 bytes of a sealed bundle, read as one recipient
	 * (header 322 bytes), the signature, and a 48-byte ciphertext: head
	 * does no crypto, so this passes, and each case breaks one thing. */
	n = text_payload(p, 1);
	len = seal_ab(p, n, b);
	assert_true(len > 434);
	len = 434;
	b[5] = 1;
	set64(b + 114, 48);
	assert_int_equal(cds_bundle_head(b, len, &h, err, sizeof err), 0);
	assert_int_equal(h.head_len, 322);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t k;

		for (k = 0; k < cases[i].n; k++)
			v[k] = (uint8_t)(cases[i].val >>
					 (8 * (cases[i].n - 1 - k)));
		assert_int_equal(head_with(b, len, cases[i].off, v,
					   cases[i].n, err, sizeof err),
				 CDSYNC_EBADBUNDLE);
		assert_string_equal(err, cases[i].msg);
	}
	/* bundle 1 with a previous hash */
	memset(v, 0x11, 32);
	assert_int_equal(head_with(b, len, 62, v, 32, err, sizeof err),
			 CDSYNC_EBADBUNDLE);
	assert_string_equal(err, "offset 62: previous hash of bundle 1 is not "
				 "all zeros");
	/* one key twice */
	b[5] = 2;
	set64(b + 114, 16);
	len = 434 + 64 + 16;
	memcpy(b + 210 + 112, b + 210, 32);
	assert_int_equal(cds_bundle_head(b, len, &h, err, sizeof err),
			 CDSYNC_EBADBUNDLE);
	assert_string_equal(err, "offset 322: recipient 2 has the same key as "
				 "recipient 1");
	/* the size of the file, before anything is read */
	huge = calloc(CDS_BUNDLE_MAX_BYTES + 1u, 1);
	assert_non_null(huge);
	assert_int_equal(cds_bundle_head(huge, CDS_BUNDLE_MAX_BYTES + 1u, &h,
					 err, sizeof err),
			 CDSYNC_EBADBUNDLE);
	assert_string_equal(err, "67108865 bytes is more than a bundle may "
				 "have (64 MiB)");
	free(huge);
}

/* ==== The zstd frame ================================================== */

static void
test_a_frame_of_another_size_than_signed_is_refused(void **state)
{
	static uint8_t p[BIG], frame[BIG], b[BIG], bad[BIG];
	uint8_t rcpt[1][32];
	struct verdict v;
	struct spec s;
	size_t n, len, pos;
	char want[256];

	(void)state;
	memcpy(rcpt[0], a_pk, 32);
	n = text_payload(p, 16);	/* 304 bytes */
	memset(&s, 0, sizeof s);
	s.flen = frame_of(p, n, 1, frame, sizeof frame);
	s.frame = frame;
	s.rcpt = (const uint8_t(*)[32])rcpt;
	s.nrcpt = 1;
	s.seq = 1;
	s.count = 1;
	/* the right size opens */
	s.plain_len = n;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_OK);
	assert_memory_equal(v.payload, p, n);
	verdict_free(&v);
	/* the header says more, or less, than the frame */
	s.plain_len = n + 1;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.verify, 0);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	assert_string_equal(v.err, "the zstd frame says 304 bytes, the header "
				   "(offset 106) says 305");
	s.plain_len = n - 1;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	assert_string_equal(v.err, "the zstd frame says 304 bytes, the header "
				   "(offset 106) says 303");
	/* the frame lies about its own size, and the header agrees */
	memcpy(bad, frame, s.flen);
	assert_int_equal(bad[4] >> 6, 1);	/* a 2-byte size field */
	pos = 5 + !((bad[4] >> 5) & 1);
	bad[pos]++;				/* 304 - 256 + 1 */
	assert_int_equal(ZSTD_getFrameContentSize(bad, s.flen), n + 1);
	s.frame = bad;
	s.plain_len = n + 1;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	snprintf(want, sizeof want, "the zstd frame does not decompress: %s",
		 ZSTD_getErrorName(ZSTD_decompress(p + n, n + 1, bad,
						   s.flen)));
	assert_string_equal(v.err, want);
	/* a frame that does not say its size */
	s.flen = frame_of(p, n, 0, bad, sizeof bad);
	assert_int_equal(ZSTD_getFrameContentSize(bad, s.flen),
			 ZSTD_CONTENTSIZE_UNKNOWN);
	s.plain_len = n;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	assert_string_equal(v.err, "the zstd frame does not state its size");
	/* bytes after the frame, and a second frame */
	s.flen = frame_of(p, n, 1, bad, sizeof bad);
	memcpy(bad + s.flen, frame, s.flen);
	s.flen *= 2;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	assert_string_equal(v.err, "the decrypted payload is not exactly one "
				   "zstd frame (bytes after the frame)");
	/* no frame at all: the payload itself, or nothing */
	s.frame = p;
	s.flen = n;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	assert_string_equal(v.err, "the decrypted payload is not a zstd "
				   "frame");
	s.flen = 0;
	s.plain_len = 0;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	assert_string_equal(v.err, "the decrypted payload is not a zstd "
				   "frame");
	/* a skippable frame is not the payload either */
	memcpy(bad, "\x50\x2a\x4d\x18\x00\x00\x00\x00", 8);
	s.frame = bad;
	s.flen = 8;
	len = forge(&s, b);
	check(b, len, a_pk, a_sk, &v);
	assert_int_equal(v.open, CDSYNC_EDECRYPT);
	assert_string_equal(v.err, "the decrypted payload is not a zstd "
				   "frame");
}

/* ==== Sealing refuses ================================================= */

static void
test_seal_refuses_bad_arguments(void **state)
{
	static uint8_t p[BIG];
	uint8_t rcpt[9][32], prev[32], zero[32] = { 0 }, badsk[64];
	struct cds_bundle_seal_args a;
	struct cds_bundle_head h;
	uint8_t *bytes = (uint8_t *)1;
	size_t n, len = 7, i;
	char err[256];

	(void)state;
	for (i = 0; i < 9; i++)
		fill(rcpt[i], 32, (unsigned)(i * 7 + 1));
	memcpy(rcpt[0], a_pk, 32);
	memset(prev, 0x33, 32);
	n = text_payload(p, 2);

#define REFUSED(msg)                                                         \
	do {                                                                 \
		memset(&h, 0xff, sizeof h);                                  \
		assert_int_equal(cds_bundle_seal(&a, p, n, &bytes, &len, &h, \
						 err, sizeof err),           \
				 CDSYNC_EINVAL);                             \
		assert_string_equal(err, msg);                               \
		assert_null(bytes);                                          \
		assert_int_equal(len, 0);                                    \
		assert_int_equal(h.nrcpt, 0);                                \
		assert_int_equal(h.seq, 0);                                  \
	} while (0)

	args_for(&a, (const uint8_t(*)[32])rcpt, 1);
	a.seq = 0;
	REFUSED("bundle: sequence number 0 (they start at 1)");
	a.seq = 2;
	REFUSED("bundle 2 needs the hash of bundle 1");
	a.prev = zero;
	REFUSED("bundle 2 needs the hash of bundle 1");
	a.seq = 1;
	a.prev = prev;
	REFUSED("bundle 1 cannot have a previous bundle");
	a.prev = zero;
	a.nrcpt = 0;
	REFUSED("bundle: 0 recipients (from 1 to 8)");
	a.nrcpt = 9;
	REFUSED("bundle: 9 recipients (from 1 to 8)");
	a.nrcpt = 3;
	memcpy(rcpt[2], rcpt[0], 32);
	REFUSED("bundle: recipients 1 and 3 have the same key");
	memset(rcpt[2], 0, 32);		/* a low-order point */
	REFUSED("bundle: recipient 3: not a usable X25519 public key");
	fill(rcpt[2], 32, 99);
	a.count = CDS_BUNDLE_MAX_CHANGES + 1;
	REFUSED("bundle: 1000001 changes is more than 1000000");
	a.count = 1;
	n = CDS_BUNDLE_MAX_PLAIN + 1u;
	REFUSED("bundle: a payload of 268435457 bytes is more than 256 MiB");
	n = 10;
	/* a secret key whose public half is not its own */
	memcpy(badsk, sign_sk, 64);
	memcpy(badsk + 32, other_pk, 32);
	a.sign_sk = badsk;
	REFUSED("bundle: the signing key is not a valid Ed25519 secret key");
	a.sign_sk = sign_sk;
	/* and the same arguments, mended, seal */
	assert_int_equal(cds_bundle_seal(&a, p, n, &bytes, &len, &h, err,
					 sizeof err),
			 CDSYNC_OK);
	cds_free(bytes);
#undef REFUSED
}

/* ==== Out of memory =================================================== */

static void
test_each_failed_allocation_gives_enomem_and_no_leak(void **state)
{
	static uint8_t p[BIG], b[BIG];
	uint8_t rcpt[2][32];
	struct cds_bundle_seal_args a;
	struct cds_bundle_head h;
	uint8_t *bytes, *got;
	size_t n, len, blen = 0;
	long k;
	char err[256];
	int rc;

	(void)state;
	memcpy(rcpt[0], a_pk, 32);
	memcpy(rcpt[1], b_pk, 32);
	n = text_payload(p, 50);
	args_for(&a, (const uint8_t(*)[32])rcpt, 2);
	for (k = 0;; k++) {
		bytes = (uint8_t *)1;
		len = 1;
		cds_alloc_fail_after(k);
		rc = cds_bundle_seal(&a, p, n, &bytes, &len, &h, err,
				     sizeof err);
		cds_alloc_fail_after(-1);
		if (rc == CDSYNC_OK)
			break;
		assert_int_equal(rc, CDSYNC_ENOMEM);
		assert_string_equal(err, "out of memory");
		assert_null(bytes);
		assert_int_equal(len, 0);
		assert_true(k < 100);
	}
	assert_true(k >= 3);	/* frame, bundle, header */
	memcpy(b, bytes, len);
	blen = len;
	cds_free(bytes);
	assert_int_equal(cds_bundle_head(b, blen, &h, err, sizeof err), 0);
	for (k = 0;; k++) {
		got = (uint8_t *)1;
		cds_alloc_fail_after(k);
		rc = cds_bundle_open(b, blen, &h, b_pk, b_sk, &got, err,
				     sizeof err);
		cds_alloc_fail_after(-1);
		if (rc == CDSYNC_OK)
			break;
		assert_int_equal(rc, CDSYNC_ENOMEM);
		assert_string_equal(err, "out of memory");
		assert_null(got);
		assert_true(k < 100);
	}
	assert_int_equal(k, 2);	/* the frame, the payload */
	assert_memory_equal(got, p, n);
	cds_free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_keys_match_the_vectors),
		cmocka_unit_test(
			test_sealing_with_fixed_randomness_gives_the_vectors),
		cmocka_unit_test(
			test_the_stored_vectors_open_to_their_payloads),
		cmocka_unit_test(
			test_a_writer_from_the_spec_makes_the_same_bytes),
		cmocka_unit_test(test_each_recipient_opens_and_no_one_else),
		cmocka_unit_test(
			test_the_header_seal_returns_is_the_one_head_reads),
		cmocka_unit_test(test_an_empty_payload_round_trips),
		cmocka_unit_test(
			test_a_swapped_signing_key_fails_the_signature),
		cmocka_unit_test(test_a_header_from_other_bytes_is_refused),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_a_flipped_bit_anywhere_is_refused),
		cmocka_unit_test(test_open_alone_never_gives_another_payload),
		cmocka_unit_test(
			test_a_key_entry_from_elsewhere_fails_the_commitment),
		cmocka_unit_test(
			test_a_ciphertext_in_another_header_does_not_decrypt),
		cmocka_unit_test(
			test_the_caps_and_the_layout_are_checked_first),
		cmocka_unit_test(
			test_a_frame_of_another_size_than_signed_is_refused),
		cmocka_unit_test(test_seal_refuses_bad_arguments),
		cmocka_unit_test(
			test_each_failed_allocation_gives_enomem_and_no_leak),
	};

	randombytes_set_implementation(&rng);
	if (sodium_init() < 0)
		return 1;
	keys();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
