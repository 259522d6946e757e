/* tlog_test.c -- the transparency log (SPEC.md "Transparency log"): the
 * RFC 9162 trees, proofs and checkpoints of tests/vectors/tlog.vec (made
 * by tlog_gen.py, apart from tlog.c) byte for byte; every inclusion and
 * consistency proof of every tree of 1 to 16 leaves made and verified,
 * and refused after any one flipped bit, at a wrong index or size; the
 * edge cases (index >= size, size 0, m = n, m = 0); the builder against
 * cds_tlog_root for every size up to 300, and the proofs and roots made
 * from the levels of a tree against those made from its leaves;
 * checkpoints and proof files written, read back, and each refusal with
 * its exact message; out of memory in the writers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cdsync/cdsync.h"
#include "tlog.h"
#include "vec.h"

#define V "tlog.vec"

static uint8_t leaf_in[13][64];		/* the leaf inputs of the vectors */
static size_t leaf_len[13];
static uint8_t lh[13][32];		/* their leaf hashes */
static uint8_t log_lh[5][32];		/* the hub's log */
static uint8_t hub_pk[32], hub_sk[64], next_pk[32], next_sk[64];
static uint8_t other_pk[32], other_sk[64];
static char origin[CDS_CKPT_ORIGIN_MAX + 1];

static int
setup(void **state)
{
	uint8_t seed[32], leaf[CDS_TLOG_LEAF_BYTES];
	char name[32];
	size_t i;

	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (i = 0; i < 13; i++) {
		snprintf(name, sizeof name, "leaf-%zu", i);
		leaf_len[i] = vec_get(V, name, leaf_in[i], sizeof leaf_in[i]);
		cds_tlog_leaf_hash(leaf_in[i], leaf_len[i], lh[i]);
	}
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "log-leaf-%zu", i);
		if (vec_get(V, name, leaf, sizeof leaf) != sizeof leaf)
			return -1;
		cds_tlog_leaf_hash(leaf, sizeof leaf, log_lh[i]);
	}
	memset(seed, 0x11, 32);
	crypto_sign_seed_keypair(hub_pk, hub_sk, seed);
	memset(seed, 0x12, 32);
	crypto_sign_seed_keypair(next_pk, next_sk, seed);
	memset(seed, 0x13, 32);
	crypto_sign_seed_keypair(other_pk, other_sk, seed);
	memset(seed, 0x22, 16);
	return cds_tlog_origin(origin, "HN-CAUGIAY", seed);
}

static int
teardown(void **state)
{
	(void)state;
	sodium_memzero(hub_sk, sizeof hub_sk);
	sodium_memzero(next_sk, sizeof next_sk);
	sodium_memzero(other_sk, sizeof other_sk);
	return 0;
}

/* n synthetic leaf hashes: of the leaf inputs "i" as 4 bytes. */
static void
synthetic(uint8_t (*h)[32], size_t n)
{
	uint8_t in[4];
	size_t i;

	for (i = 0; i < n; i++) {
		in[0] = (uint8_t)(i >> 24);
		in[1] = (uint8_t)(i >> 16);
		in[2] = (uint8_t)(i >> 8);
		in[3] = (uint8_t)i;
		cds_tlog_leaf_hash(in, 4, h[i]);
	}
}

/* ==== Trees and proofs against the vectors ============================== */

static void
test_roots_match_their_vectors(void **st)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 13 };
	struct cds_tlog_builder b;
	uint8_t want[32], got[32];
	char name[32];
	size_t k, i;

	(void)st;
	for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		snprintf(name, sizeof name, "root-%zu", sizes[k]);
		assert_int_equal(vec_get(V, name, want, sizeof want), 32);
		cds_tlog_root((const uint8_t (*)[32])lh, sizes[k], got);
		assert_memory_equal(got, want, 32);
		cds_tlog_builder_init(&b);
		for (i = 0; i < sizes[k]; i++)
			assert_int_equal(cds_tlog_builder_push(&b, lh[i]), 0);
		cds_tlog_builder_root(&b, got);
		assert_memory_equal(got, want, 32);
	}
	/* size 0 is SHA-256 of nothing */
	crypto_hash_sha256(want, NULL, 0);
	cds_tlog_root(NULL, 0, got);
	assert_memory_equal(got, want, 32);
}

static void
test_inclusion_proofs_match_their_vectors(void **st)
{
	static const size_t sizes[] = { 7, 13 };
	uint8_t want[CDS_TLOG_PATH_MAX * 32], proof[CDS_TLOG_PATH_MAX][32];
	uint8_t root[32], lv[16][32];
	char name[64];
	size_t k, m, n, len;

	(void)st;
	for (k = 0; k < 2; k++) {
		cds_tlog_root((const uint8_t (*)[32])lh, sizes[k], root);
		for (m = 0; m < sizes[k]; m++) {
			snprintf(name, sizeof name, "path-%zu-%zu", sizes[k], m);
			n = vec_get(V, name, want, sizeof want);
			assert_int_equal(cds_tlog_inclusion_proof(
				(const uint8_t (*)[32])lh, sizes[k], m, proof,
				&len), 0);
			assert_int_equal(len * 32, n);
			assert_memory_equal(proof, want, n);
			assert_int_equal(cds_tlog_inclusion_verify(
				m, sizes[k], lh[m],
				(const uint8_t (*)[32])want, len, root), 0);
			/* and from the levels of the tree, for many proofs */
			assert_true(cds_tlog_levels_len(sizes[k]) <=
				    sizeof lv / sizeof lv[0]);
			cds_tlog_levels_build((const uint8_t (*)[32])lh,
					      sizes[k], lv);
			assert_int_equal(cds_tlog_levels_proof(
				(const uint8_t (*)[32])lh, sizes[k],
				(const uint8_t (*)[32])lv, m, proof, &len), 0);
			assert_int_equal(len * 32, n);
			assert_memory_equal(proof, want, n);
		}
	}
}

static void
test_consistency_proofs_match_their_vectors(void **st)
{
	uint8_t want[CDS_TLOG_PATH_MAX * 32], proof[CDS_TLOG_PATH_MAX][32];
	uint8_t r1[32], r2[32];
	char name[32];
	size_t m, n, k, len;

	(void)st;
	for (n = 1; n <= 8; n++) {
		cds_tlog_root((const uint8_t (*)[32])lh, n, r2);
		for (m = 1; m <= n; m++) {
			cds_tlog_root((const uint8_t (*)[32])lh, m, r1);
			assert_int_equal(cds_tlog_consistency_proof(
				(const uint8_t (*)[32])lh, n, m, proof, &len),
				0);
			if (m == n) {
				/* the empty proof, not listed */
				assert_int_equal(len, 0);
			} else {
				snprintf(name, sizeof name, "proof-%zu-%zu", m,
					 n);
				k = vec_get(V, name, want, sizeof want);
				assert_int_equal(len * 32, k);
				assert_memory_equal(proof, want, k);
			}
			assert_int_equal(cds_tlog_consistency_verify(
				m, n, r1, r2, (const uint8_t (*)[32])proof,
				len), 0);
		}
	}
}

/* ==== Every proof of every small tree =================================== */

#define SMALL 16
#define WRONG 20			/* sizes tried as wrong ones: 1..19 */

static void
test_every_inclusion_proof_verifies_and_nothing_else(void **st)
{
	uint8_t h[WRONG][32], roots[WRONG + 1][32];
	uint8_t proof[CDS_TLOG_PATH_MAX][32], x[CDS_TLOG_PATH_MAX][32];
	uint8_t r[32], l[32];
	size_t n, i, j, s, len, k;
	int bit;

	(void)st;
	synthetic(h, WRONG);
	for (s = 0; s <= WRONG; s++)
		cds_tlog_root((const uint8_t (*)[32])h, s, roots[s]);
	for (n = 1; n <= SMALL; n++) {
		for (i = 0; i < n; i++) {
			assert_int_equal(cds_tlog_inclusion_proof(
				(const uint8_t (*)[32])h, n, i, proof, &len),
				0);
			assert_int_equal(cds_tlog_inclusion_verify(
				i, n, h[i], (const uint8_t (*)[32])proof, len,
				roots[n]), 0);
			/* one flipped bit in the proof, the root, the leaf */
			for (k = 0; k < len * 256; k++) {
				memcpy(x, proof, len * 32);
				x[k / 256][k % 256 / 8] ^=
					(uint8_t)(1u << (k % 8));
				assert_int_equal(cds_tlog_inclusion_verify(
					i, n, h[i], (const uint8_t (*)[32])x,
					len, roots[n]), -1);
			}
			for (bit = 0; bit < 256; bit++) {
				memcpy(r, roots[n], 32);
				r[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				assert_int_equal(cds_tlog_inclusion_verify(
					i, n, h[i],
					(const uint8_t (*)[32])proof, len, r),
					-1);
				memcpy(l, h[i], 32);
				l[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				assert_int_equal(cds_tlog_inclusion_verify(
					i, n, l, (const uint8_t (*)[32])proof,
					len, roots[n]), -1);
			}
			/* another index in the same tree; another tree of
			 * the same leaves, at any index */
			for (j = 0; j < n + 2; j++)
				if (j != i)
					assert_int_equal(
						cds_tlog_inclusion_verify(
							j, n, h[i],
							(const uint8_t (*)[32])
								proof,
							len, roots[n]), -1);
			for (s = 1; s < WRONG; s++)
				for (j = 0; j < s && s != n; j++)
					assert_int_equal(
						cds_tlog_inclusion_verify(
							j, s, h[i],
							(const uint8_t (*)[32])
								proof,
							len, roots[s]), -1);
			/* one hash less, one more */
			if (len > 0)
				assert_int_equal(cds_tlog_inclusion_verify(
					i, n, h[i],
					(const uint8_t (*)[32])proof, len - 1,
					roots[n]), -1);
			memcpy(proof[len], roots[n], 32);
			assert_int_equal(cds_tlog_inclusion_verify(
				i, n, h[i], (const uint8_t (*)[32])proof,
				len + 1, roots[n]), -1);
		}
	}
}

static void
test_every_consistency_proof_verifies_and_nothing_else(void **st)
{
	uint8_t h[WRONG][32], roots[WRONG + 1][32];
	uint8_t proof[CDS_TLOG_PATH_MAX][32], x[CDS_TLOG_PATH_MAX][32];
	uint8_t r[32];
	size_t n, m, s, t, len, k;
	int bit;

	(void)st;
	synthetic(h, WRONG);
	for (s = 0; s <= WRONG; s++)
		cds_tlog_root((const uint8_t (*)[32])h, s, roots[s]);
	for (n = 1; n <= SMALL; n++) {
		for (m = 1; m <= n; m++) {
			assert_int_equal(cds_tlog_consistency_proof(
				(const uint8_t (*)[32])h, n, m, proof, &len),
				0);
			assert_int_equal(cds_tlog_consistency_verify(
				m, n, roots[m], roots[n],
				(const uint8_t (*)[32])proof, len), 0);
			for (k = 0; k < len * 256; k++) {
				memcpy(x, proof, len * 32);
				x[k / 256][k % 256 / 8] ^=
					(uint8_t)(1u << (k % 8));
				assert_int_equal(cds_tlog_consistency_verify(
					m, n, roots[m], roots[n],
					(const uint8_t (*)[32])x, len), -1);
			}
			for (bit = 0; bit < 256; bit++) {
				memcpy(r, roots[m], 32);
				r[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				assert_int_equal(cds_tlog_consistency_verify(
					m, n, r, roots[n],
					(const uint8_t (*)[32])proof, len),
					-1);
				memcpy(r, roots[n], 32);
				r[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				assert_int_equal(cds_tlog_consistency_verify(
					m, n, roots[m], r,
					(const uint8_t (*)[32])proof, len),
					-1);
			}
			/* other sizes, with their true roots */
			for (s = 1; s < WRONG; s++)
				for (t = s; t < WRONG; t++)
					if (s != m || t != n)
						assert_int_equal(
							cds_tlog_consistency_verify(
								s, t, roots[s],
								roots[t],
								(const uint8_t(*)[32])
									proof,
								len),
							len == 0 && s == t
								? 0
								: -1);
			if (len > 0)
				assert_int_equal(cds_tlog_consistency_verify(
					m, n, roots[m], roots[n],
					(const uint8_t (*)[32])proof, len - 1),
					-1);
			memcpy(proof[len], roots[n], 32);
			assert_int_equal(cds_tlog_consistency_verify(
				m, n, roots[m], roots[n],
				(const uint8_t (*)[32])proof, len + 1), -1);
		}
	}
}

static void
test_edge_cases_are_refused_as_rfc_9162_says(void **st)
{
	uint8_t h[8][32], proof[CDS_TLOG_PATH_MAX + 1][32], r4[32], r5[32];
	uint8_t empty[32];
	size_t len = 99;
	struct cds_tlog_builder b;

	(void)st;
	synthetic(h, 8);
	cds_tlog_root((const uint8_t (*)[32])h, 4, r4);
	cds_tlog_root((const uint8_t (*)[32])h, 5, r5);
	crypto_hash_sha256(empty, NULL, 0);
	/* index >= size; size 0 */
	assert_int_equal(cds_tlog_inclusion_proof((const uint8_t (*)[32])h, 5,
						  5, proof, &len), -1);
	assert_int_equal(len, 0);
	assert_int_equal(cds_tlog_inclusion_proof((const uint8_t (*)[32])h, 0,
						  0, proof, &len), -1);
	assert_int_equal(cds_tlog_inclusion_verify(5, 5, h[4],
		(const uint8_t (*)[32])proof, 0, r5), -1);
	assert_int_equal(cds_tlog_inclusion_verify(0, 0, empty,
		(const uint8_t (*)[32])proof, 0, empty), -1);
	assert_int_equal(cds_tlog_inclusion_verify(UINT64_MAX, 5, h[4],
		(const uint8_t (*)[32])proof, 0, r5), -1);
	/* the one leaf of a tree of 1 is its root, with the empty proof */
	cds_tlog_root((const uint8_t (*)[32])h, 1, r4);
	assert_memory_equal(r4, h[0], 32);
	assert_int_equal(cds_tlog_inclusion_proof((const uint8_t (*)[32])h, 1,
						  0, proof, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(cds_tlog_inclusion_verify(0, 1, h[0],
		(const uint8_t (*)[32])proof, 0, r4), 0);
	/* a proof longer than any can be */
	memset(proof, 0, sizeof proof);
	assert_int_equal(cds_tlog_inclusion_verify(0, UINT64_MAX, h[0],
		(const uint8_t (*)[32])proof, CDS_TLOG_PATH_MAX + 1, r5), -1);
	assert_int_equal(cds_tlog_consistency_verify(1, UINT64_MAX, h[0], r5,
		(const uint8_t (*)[32])proof, CDS_TLOG_PATH_MAX + 1), -1);
	/* m = 0 and m > n, made or checked */
	cds_tlog_root((const uint8_t (*)[32])h, 4, r4);
	len = 99;
	assert_int_equal(cds_tlog_consistency_proof((const uint8_t (*)[32])h, 5,
						    0, proof, &len), -1);
	assert_int_equal(len, 0);
	assert_int_equal(cds_tlog_consistency_proof((const uint8_t (*)[32])h, 5,
						    6, proof, &len), -1);
	assert_int_equal(cds_tlog_consistency_proof((const uint8_t (*)[32])h, 0,
						    0, proof, &len), -1);
	assert_int_equal(cds_tlog_consistency_verify(0, 5, empty, r5,
		(const uint8_t (*)[32])proof, 0), -1);
	assert_int_equal(cds_tlog_consistency_verify(0, 0, empty, empty,
		(const uint8_t (*)[32])proof, 0), -1);
	assert_int_equal(cds_tlog_consistency_verify(5, 4, r5, r4,
		(const uint8_t (*)[32])proof, 0), -1);
	/* m = n: the empty proof and the same root, nothing else */
	assert_int_equal(cds_tlog_consistency_proof((const uint8_t (*)[32])h, 5,
						    5, proof, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(cds_tlog_consistency_verify(5, 5, r5, r5,
		(const uint8_t (*)[32])proof, 0), 0);
	assert_int_equal(cds_tlog_consistency_verify(5, 5, r5, r4,
		(const uint8_t (*)[32])proof, 0), -1);
	memcpy(proof[0], r5, 32);
	assert_int_equal(cds_tlog_consistency_verify(5, 5, r5, r5,
		(const uint8_t (*)[32])proof, 1), -1);
	/* m < n needs a proof */
	assert_int_equal(cds_tlog_consistency_verify(4, 5, r4, r5,
		(const uint8_t (*)[32])proof, 0), -1);
	/* a full builder takes no more */
	cds_tlog_builder_init(&b);
	b.size = UINT64_MAX;
	assert_int_equal(cds_tlog_builder_push(&b, h[0]), -1);
	assert_true(b.size == UINT64_MAX);
}

static void
test_the_builder_gives_the_root_of_every_size_up_to_300(void **st)
{
	static uint8_t h[300][32];
	struct cds_tlog_builder b;
	uint8_t want[32], got[32];
	size_t n;

	(void)st;
	synthetic(h, 300);
	cds_tlog_builder_init(&b);
	cds_tlog_builder_root(&b, got);
	cds_tlog_root((const uint8_t (*)[32])h, 0, want);
	assert_memory_equal(got, want, 32);
	for (n = 1; n <= 300; n++) {
		assert_int_equal(cds_tlog_builder_push(&b, h[n - 1]), 0);
		assert_true(b.size == n);
		cds_tlog_builder_root(&b, got);
		cds_tlog_root((const uint8_t (*)[32])h, n, want);
		assert_memory_equal(got, want, 32);
	}
}

/* The root of every tree up to 300 leaves from its levels as from its
 * leaves; every proof up to 100 leaves, and some of each larger tree
 * (the ends, the middle, a third); index n and past refused alike. */
static void
test_the_levels_give_every_proof_and_root_up_to_300(void **st)
{
	static uint8_t h[300][32], lv[300][32];
	uint8_t want[CDS_TLOG_PATH_MAX][32], got[CDS_TLOG_PATH_MAX][32];
	uint8_t rw[32], rg[32];
	size_t n, i, wl, gl;

	(void)st;
	synthetic(h, 300);
	assert_int_equal(cds_tlog_levels_len(0), 0);
	assert_int_equal(cds_tlog_levels_len(1), 0);
	assert_int_equal(cds_tlog_levels_len(2), 1);
	assert_int_equal(cds_tlog_levels_len(7), 4);	/* 3 + 1 */
	assert_int_equal(cds_tlog_levels_len(300), 296);
	cds_tlog_levels_root((const uint8_t (*)[32])h, 0,
			     (const uint8_t (*)[32])lv, rg);
	cds_tlog_root((const uint8_t (*)[32])h, 0, rw);
	assert_memory_equal(rg, rw, 32);
	for (n = 1; n <= 300; n++) {
		assert_true(cds_tlog_levels_len(n) < n);
		memset(lv, 0xee, sizeof lv);
		cds_tlog_levels_build((const uint8_t (*)[32])h, n, lv);
		/* nothing written past its length */
		for (i = cds_tlog_levels_len(n); i < 300; i++)
			assert_int_equal(lv[i][0], 0xee);
		cds_tlog_levels_root((const uint8_t (*)[32])h, n,
				     (const uint8_t (*)[32])lv, rg);
		cds_tlog_root((const uint8_t (*)[32])h, n, rw);
		assert_memory_equal(rg, rw, 32);
		for (i = 0; i < n + 2; i++) {
			int a, b;

			if (n > 100 && i > 1 && i != n / 3 && i != n / 2 &&
			    i + 2 < n)
				continue;
			a = cds_tlog_inclusion_proof(
				(const uint8_t (*)[32])h, n, i, want, &wl);
			b = cds_tlog_levels_proof(
				(const uint8_t (*)[32])h, n,
				(const uint8_t (*)[32])lv, i, got, &gl);

			assert_int_equal(a, b);
			assert_int_equal(a, i < n ? 0 : -1);
			assert_int_equal(wl, gl);
			if (a == 0)
				assert_memory_equal(got, want, wl * 32);
		}
	}
}

/* ==== Leaves and the hub's log ========================================== */

static void
test_leaves_match_their_vectors(void **st)
{
	static const uint8_t who[5] = { 0x33, 0x34, 0x33, 0x33, 0x34 };
	static const uint64_t seq[5] = { 1, 1, 2, 3, 2 };
	struct cds_tlog_leaf l, back;
	uint8_t want[80], got[CDS_TLOG_LEAF_BYTES], x[80], hh[32];
	char name[32], err[256];
	size_t i;

	(void)st;
	for (i = 0; i < 5; i++) {
		memset(&l, 0, sizeof l);
		memset(l.hash, 0x40 + (int)i, 32);
		memset(l.node, who[i], 16);
		l.seq = seq[i];
		l.seen_ms = 1767225600000ull + 60000 * i;
		cds_tlog_leaf_encode(&l, got);
		snprintf(name, sizeof name, "log-leaf-%zu", i);
		assert_int_equal(vec_get(V, name, want, sizeof want), 65);
		assert_memory_equal(got, want, 65);
		snprintf(name, sizeof name, "log-leaf-hash-%zu", i);
		assert_int_equal(vec_get(V, name, hh, sizeof hh), 32);
		assert_memory_equal(log_lh[i], hh, 32);
		assert_int_equal(cds_tlog_leaf_decode(want, 65, &back, err,
						      sizeof err), 0);
		assert_memory_equal(&back, &l, sizeof l);
	}
	/* the refusals, with the offset */
	assert_int_equal(cds_tlog_leaf_decode(want, 0, &back, err, sizeof err),
			 -1);
	assert_string_equal(err, "leaf offset 0: runs past the end");
	assert_int_equal(cds_tlog_leaf_decode(want, 64, &back, err,
					      sizeof err), -1);
	assert_string_equal(err, "leaf offset 57: runs past the end");
	memcpy(x, want, 65);
	x[65] = 0;
	assert_int_equal(cds_tlog_leaf_decode(x, 66, &back, err, sizeof err),
			 -1);
	assert_string_equal(err, "leaf offset 65: bytes after the leaf");
	x[0] = 2;
	assert_int_equal(cds_tlog_leaf_decode(x, 65, &back, err, sizeof err),
			 -1);
	assert_string_equal(err, "leaf offset 0: unknown kind");
	memcpy(x, want, 65);
	memset(x + 49, 0, 8);
	assert_int_equal(cds_tlog_leaf_decode(x, 65, &back, err, sizeof err),
			 -1);
	assert_string_equal(err, "leaf offset 49: bundle number 0 (they start "
				 "at 1)");
	for (i = 0; i < sizeof back; i++)
		assert_int_equal(((uint8_t *)&back)[i], 0);
}

static void
test_origins_and_key_ids_match_their_vectors(void **st)
{
	char o[CDS_CKPT_ORIGIN_MAX + 1], code[300];
	uint8_t want[CDS_CKPT_ORIGIN_MAX + 1], node[16], id[4];
	size_t n;

	(void)st;
	memset(node, 0x22, 16);
	n = vec_get(V, "origin", want, sizeof want);
	assert_int_equal(strlen(origin), n);
	assert_memory_equal(origin, want, n);
	assert_int_equal(cds_tlog_origin(o, "Sở GD+ĐT 1/2%", node), 0);
	n = vec_get(V, "origin-odd", want, sizeof want);
	assert_int_equal(strlen(o), n);
	assert_memory_equal(o, want, n);
	assert_int_equal(vec_get(V, "hub-pk", want, sizeof want), 32);
	assert_memory_equal(want, hub_pk, 32);
	assert_int_equal(vec_get(V, "hub-pk-next", want, sizeof want), 32);
	assert_memory_equal(want, next_pk, 32);
	cds_note_key_id(origin, hub_pk, id);
	assert_int_equal(vec_get(V, "hub-key-id", want, sizeof want), 4);
	assert_memory_equal(want, id, 4);
	/* no code, or one longer than an org code may be */
	assert_int_equal(cds_tlog_origin(o, "", node), -1);
	assert_string_equal(o, "");
	memset(code, 'A', 256);
	code[256] = '\0';
	assert_int_equal(cds_tlog_origin(o, code, node), -1);
	code[255] = '\0';
	assert_int_equal(cds_tlog_origin(o, code, node), 0);
	memset(code, '+', 255);
	assert_int_equal(cds_tlog_origin(o, code, node), 0);
	assert_int_equal(strlen(o), 14 + 765 + 1 + 32);
}

/* ==== Checkpoints ======================================================= */

static struct cds_note_key hub_key, next_key, other_key;

static void
keys_init(void)
{
	hub_key.name = origin;
	memcpy(hub_key.pk, hub_pk, 32);
	next_key.name = origin;
	memcpy(next_key.pk, next_pk, 32);
	other_key.name = origin;
	memcpy(other_key.pk, other_pk, 32);
}

static void
test_checkpoints_match_their_vectors(void **st)
{
	static const struct {
		const char *name;
		size_t size;
	} v[3] = { { "checkpoint-0", 0 }, { "checkpoint-3", 3 },
		   { "checkpoint-5", 5 } };
	uint8_t want[1024], root[32], vroot[32], sb[3];
	struct cds_note_key keys[3];
	struct cds_checkpoint c;
	char err[256];
	size_t k, n;
	cds_buf b, b2;

	(void)st;
	keys_init();
	for (k = 0; k < 3; k++) {
		cds_tlog_root((const uint8_t (*)[32])log_lh, v[k].size, root);
		if (v[k].size > 0) {
			assert_int_equal(vec_get(V, v[k].size == 3
						  ? "log-root-3" : "log-root-5",
						 vroot, 32), 32);
			assert_memory_equal(root, vroot, 32);
		}
		cds_buf_init(&b, 1 << 20);
		cds_checkpoint_write(&b, origin, v[k].size, root, origin,
				     hub_sk, hub_pk);
		assert_int_equal(b.rc, 0);
		n = vec_get(V, v[k].name, want, sizeof want);
		assert_int_equal(b.n, n);
		assert_memory_equal(b.p, want, n);
		cds_buf_free(&b);
		assert_int_equal(cds_checkpoint_read(want, n, &hub_key, 1, &c,
						     sb, err, sizeof err), 0);
		assert_string_equal(c.origin, origin);
		assert_true(c.size == v[k].size);
		assert_memory_equal(c.root, root, 32);
		assert_int_equal(c.next, 0);
		assert_int_equal(c.nsig, 1);
		assert_int_equal(sb[0], 1);
	}
	/* signed by the hub's key and its next one (a hand-over), in one
	 * note: the same name, two key IDs */
	cds_tlog_root((const uint8_t (*)[32])log_lh, 5, root);
	cds_buf_init(&b, 1 << 20);
	cds_checkpoint_write(&b, origin, 5, root, origin, hub_sk, hub_pk);
	cds_buf_init(&b2, 1 << 20);
	cds_checkpoint_cosign(&b2, b.p, b.n, origin, next_sk, next_pk);
	assert_int_equal(b2.rc, 0);
	n = vec_get(V, "checkpoint-5-two", want, sizeof want);
	assert_int_equal(b2.n, n);
	assert_memory_equal(b2.p, want, n);
	cds_buf_free(&b);
	cds_buf_free(&b2);
	keys[0] = hub_key;
	keys[1] = next_key;
	keys[2] = other_key;
	assert_int_equal(cds_checkpoint_read(want, n, keys, 3, &c, sb, err,
					     sizeof err), 0);
	assert_int_equal(c.nsig, 2);
	assert_int_equal(sb[0], 1);
	assert_int_equal(sb[1], 1);
	assert_int_equal(sb[2], 0);
	/* only the old key known: the other line is ignored */
	assert_int_equal(cds_checkpoint_read(want, n, &hub_key, 1, &c, NULL,
					     err, sizeof err), 0);
	/* the next key as the log's own */
	assert_int_equal(cds_checkpoint_read(want, n, &next_key, 1, &c, sb,
					     err, sizeof err), 0);
	/* a key that did not sign, as the log's own */
	keys[0] = other_key;
	keys[1] = hub_key;
	assert_int_equal(cds_checkpoint_read(want, n, keys, 2, &c, sb, err,
					     sizeof err), -1);
	assert_string_equal(err, "checkpoint: no signature by "
				 "cdsync.vn/hub/HN-CAUGIAY/"
				 "22222222222222222222222222222222");
	assert_int_equal(sb[0], 0);
	assert_int_equal(sb[1], 0);
	assert_int_equal(c.size, 0);
	assert_string_equal(c.origin, "");
}

/* ==== Cosignatures ====================================================== */

static void
test_cosignatures_match_their_vectors(void **st)
{
	uint8_t want[2048], c5[1024], wpk[32], wsk[64], seed[32], id[4],
		node[16];
	char name[CDS_CKPT_ORIGIN_MAX + 1], err[256];
	struct cds_note_key w[2];
	struct cds_checkpoint c;
	struct cds_cosig t[2];
	size_t n, n5;
	cds_buf b;

	(void)st;
	keys_init();
	memset(node, 0x23, 16);
	assert_int_equal(cds_tlog_witness_name(name, "HN-BADINH", node), 0);
	n = vec_get(V, "witness-name", want, sizeof want);
	assert_int_equal(strlen(name), n);
	assert_memory_equal(name, want, n);
	memset(seed, 0x21, 32);
	crypto_sign_seed_keypair(wpk, wsk, seed);
	assert_int_equal(vec_get(V, "witness-pk", want, sizeof want), 32);
	assert_memory_equal(want, wpk, 32);
	cds_cosig_key_id(name, wpk, id);
	assert_int_equal(vec_get(V, "witness-key-id", want, sizeof want), 4);
	assert_memory_equal(want, id, 4);
	/* the witness cosigns checkpoint-5: the vector's bytes */
	n5 = vec_get(V, "checkpoint-5", c5, sizeof c5);
	cds_buf_init(&b, 1 << 20);
	cds_cosig_write(&b, c5, n5, name, wsk, wpk, 1767225600);
	assert_int_equal(b.rc, 0);
	n = vec_get(V, "cosigned-5", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	cds_buf_free(&b);
	/* the log's reader ignores the cosignature; the witness's check finds
	 * it, and its time */
	assert_int_equal(cds_checkpoint_read(want, n, &hub_key, 1, &c, NULL,
					     err, sizeof err), 0);
	assert_int_equal(c.nsig, 2);
	w[0].name = origin;		/* the log's key is no witness */
	memcpy(w[0].pk, hub_pk, 32);
	w[1].name = name;
	memcpy(w[1].pk, wpk, 32);
	assert_int_equal(cds_cosig_check(want, n, w, 2, t, err, sizeof err),
			 0);
	assert_true(t[0].time == UINT64_MAX);
	assert_true(t[1].time == 1767225600);
	assert_int_equal(t[1].off + t[1].len, n);	/* the last line */
	assert_memory_equal(want + t[1].off, "\xe2\x80\x94 cdsync.vn/witness/",
			    22);
	/* not cosigned: no time */
	assert_int_equal(cds_cosig_check(c5, n5, &w[1], 1, t, err, sizeof err),
			 0);
	assert_true(t[0].time == UINT64_MAX);
	/* a signature byte changed */
	want[n - 10] ^= 1;
	assert_int_equal(cds_cosig_check(want, n, w, 2, t, err, sizeof err),
			 -1);
	assert_string_equal(err, "checkpoint line 6: the cosignature by "
				 "cdsync.vn/witness/HN-BADINH/"
				 "23232323232323232323232323232323 does not "
				 "verify");
	want[n - 10] ^= 1;
	/* the same line under another checkpoint does not verify */
	{
		size_t line = n5, n3 = vec_get(V, "checkpoint-3", c5, sizeof c5);

		memcpy(c5 + n3, want + line, n - line);
		assert_int_equal(cds_cosig_check(c5, n3 + n - line, &w[1], 1,
						 t, err, sizeof err), -1);
		assert_non_null(strstr(err, "does not verify"));
	}
	/* a key pair that does not match, a time past 2^63 - 1 */
	cds_buf_init(&b, 1 << 20);
	cds_cosig_write(&b, want, n, name, wsk, hub_pk, 1);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	cds_buf_init(&b, 1 << 20);
	cds_cosig_write(&b, want, n, name, wsk, wpk, (uint64_t)INT64_MAX + 1);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	/* cosigned twice, later: the newest time */
	cds_buf_init(&b, 1 << 20);
	cds_cosig_write(&b, want, n, name, wsk, wpk, 1767225700);
	assert_int_equal(b.rc, 0);
	assert_int_equal(cds_cosig_check(b.p, b.n, &w[1], 1, t, err,
					 sizeof err), 0);
	assert_true(t[0].time == 1767225700);
	cds_buf_free(&b);
	sodium_memzero(wsk, sizeof wsk);
}

static void
test_a_checkpoint_round_trips(void **st)
{
	static const uint64_t sizes[] = { 0, 1, 9, 10, 1234567,
					  UINT64_MAX - 1, UINT64_MAX };
	static const char *origins[] = {
		"example.com/log",
		"Sở Giáo dục và Đào tạo Hà Nội",	/* spaces are allowed */
		"x",
	};
	uint8_t root[32];
	struct cds_note_key k;
	struct cds_checkpoint c;
	char err[256];
	size_t i, j;
	cds_buf b;

	(void)st;
	k.name = "witness.example/w1";
	memcpy(k.pk, hub_pk, 32);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (j = 0; j < 3; j++) {
			memset(root, (int)(i * 7 + j), 32);
			cds_buf_init(&b, 1 << 20);
			cds_checkpoint_write(&b, origins[j], sizes[i], root,
					     "witness.example/w+1",	/* '+' */
					     hub_sk, hub_pk);
			assert_int_equal(b.rc, CDSYNC_EINVAL);
			cds_buf_free(&b);
			cds_buf_init(&b, 1 << 20);
			cds_checkpoint_write(&b, origins[j], sizes[i], root,
					     k.name, hub_sk, hub_pk);
			assert_int_equal(b.rc, 0);
			if (cds_checkpoint_read(b.p, b.n, &k, 1, &c, NULL, err,
						sizeof err) != 0)
				fail_msg("%s", err);
			assert_string_equal(c.origin, origins[j]);
			assert_true(c.size == sizes[i]);
			assert_memory_equal(c.root, root, 32);
			assert_int_equal(c.text_len + 1 +
					 strlen("\xe2\x80\x94 ") +
					 strlen(k.name) + 1 + 92 + 1, b.n);
			cds_buf_free(&b);
		}
	}
}

static void
test_the_writers_refuse_what_the_format_cannot_carry(void **st)
{
	uint8_t root[32] = { 0 }, bad_sk[64];
	char longer[CDS_CKPT_ORIGIN_MAX + 2];
	cds_buf b;

	(void)st;
	memset(longer, 'o', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	memcpy(bad_sk, next_sk, 64);	/* its public half is not hub_pk */
#define REFUSED(origin_, name_, sk_)                                        \
	do {                                                                \
		cds_buf_init(&b, 1 << 20);                                  \
		cds_checkpoint_write(&b, origin_, 5, root, name_, sk_,      \
				     hub_pk);                               \
		assert_int_equal(b.rc, CDSYNC_EINVAL);                      \
		assert_int_equal(b.n, 0);                                   \
		cds_buf_free(&b);                                           \
	} while (0)
	REFUSED("", "n", hub_sk);
	REFUSED("a\nb", "n", hub_sk);
	REFUSED("a\rb", "n", hub_sk);
	REFUSED("a\xff", "n", hub_sk);
	REFUSED(longer, "n", hub_sk);
	REFUSED("o", "", hub_sk);
	REFUSED("o", "a b", hub_sk);
	REFUSED("o", "a\xc2\xa0" "b", hub_sk);		/* U+00A0 */
	REFUSED("o", "a\xe3\x80\x80" "b", hub_sk);	/* U+3000 */
	REFUSED("o", "a+b", hub_sk);
	REFUSED("o", "n", bad_sk);			/* another key pair */
#undef REFUSED
	longer[CDS_CKPT_ORIGIN_MAX] = '\0';
	cds_buf_init(&b, 1 << 20);
	cds_checkpoint_write(&b, longer, 5, root, longer, hub_sk, hub_pk);
	assert_int_equal(b.rc, 0);
	cds_buf_free(&b);
	/* cosigning something that is not a signed note */
	cds_buf_init(&b, 1 << 20);
	cds_checkpoint_cosign(&b, (const uint8_t *)"o\n5\n", 4, "n", hub_sk,
			      hub_pk);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	cds_buf_init(&b, 1 << 20);
	cds_checkpoint_cosign(&b, (const uint8_t *)"o\n5\n\n", 5, "n", hub_sk,
			      hub_pk);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	cds_buf_init(&b, 1 << 20);
	cds_checkpoint_cosign(&b, (const uint8_t *)"o\n5\n\n- x", 8, "n",
			      hub_sk, hub_pk);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	/* proof files too long for their formats */
	cds_buf_init(&b, 1 << 20);
	cds_tlog_inclusion_write(&b, 0, NULL, 0, NULL, 65,
				 (const uint8_t *)"c", 1);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	cds_buf_init(&b, 1 << 20);
	cds_tlog_inclusion_write(&b, 0, root, CDS_TLOG_EXTRA_MAX + 1, NULL, 0,
				 (const uint8_t *)"c", 1);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
	cds_buf_init(&b, 1 << 20);
	cds_tlog_consistency_write(&b, 1, NULL, 64, (const uint8_t *)"c", 1);
	assert_int_equal(b.rc, CDSYNC_EINVAL);
	cds_buf_free(&b);
}

/* note = text + "\n" + sigs, signed by the hub over text when sign. */
static size_t
note(uint8_t *out, size_t cap, const char *text, const char *sigs, int sign)
{
	cds_buf b, b2;
	size_t n;

	cds_buf_init(&b, 1 << 20);
	cds_buf_bytes(&b, text, strlen(text));
	cds_buf_byte(&b, '\n');
	cds_buf_bytes(&b, sigs, strlen(sigs));
	if (!sign) {
		assert_int_equal(b.rc, 0);
		assert_true(b.n <= cap);
		memcpy(out, b.p, b.n);
		n = b.n;
		cds_buf_free(&b);
		return n;
	}
	cds_buf_init(&b2, 1 << 20);
	cds_checkpoint_cosign(&b2, b.p, b.n, origin, hub_sk, hub_pk);
	assert_int_equal(b2.rc, 0);
	assert_true(b2.n <= cap);
	memcpy(out, b2.p, b2.n);
	n = b2.n;
	cds_buf_free(&b);
	cds_buf_free(&b2);
	return n;
}

/* Replaces the first `from` in p[0..n) by `to`, into out (which may be
 * p); the new length. */
static size_t
subst(const uint8_t *p, size_t n, const char *from, const char *to,
      uint8_t *out)
{
	static uint8_t tmp[CDS_TLOG_FILE_MAX];
	size_t f = strlen(from), t = strlen(to), i, j;

	for (i = 0; i + f <= n; i++)
		if (memcmp(p + i, from, f) == 0)
			break;
	assert_true(i + f <= n);
	assert_true(n - f + t <= sizeof tmp);
	memcpy(tmp, p, i);
	for (j = 0; j < t; j++)
		tmp[i + j] = (uint8_t)to[j];
	memcpy(tmp + i + t, p + i + f, n - i - f);
	memcpy(out, tmp, n - f + t);	/* out may be p */
	return n - f + t;
}

/* The length of "— x AAAAAAA=" LF, a signature line of nobody we know. */
#define DUMMY ((size_t)15)

/* Reads p[0..n) with the hub's key; it must fail with message msg. */
static void
refused(const uint8_t *p, size_t n, const char *msg)
{
	struct cds_checkpoint c;
	unsigned char sb[1] = { 7 };
	char err[256];

	assert_int_equal(cds_checkpoint_read(p, n, &hub_key, 1, &c, sb, err,
					     sizeof err), -1);
	assert_string_equal(err, msg);
	assert_int_equal(sb[0], 0);
	assert_int_equal(c.size, 0);
}

static void
test_a_checkpoint_is_refused_with_its_reason(void **st)
{
	static uint8_t c5[1024], x[CDS_CKPT_MAX + 8192], y[1024];
	char msg[2600], text[2048], sigs[8192], root64[64];
	struct cds_checkpoint c;
	const char *nl;
	size_t n, k, i;
	char err[256];

	(void)st;
	keys_init();
	n = vec_get(V, "checkpoint-5", c5, sizeof c5);
	/* the root line, as written */
	nl = memchr(c5 + strlen(origin) + 3, '\n', n - strlen(origin) - 3);
	k = (size_t)(nl - (const char *)c5) - strlen(origin) - 3;
	memcpy(root64, c5 + strlen(origin) + 3, k);
	root64[k] = '\0';
	assert_int_equal(strlen(root64), 44);

	/* a missing blank line */
	k = subst(c5, n, "=\n\n", "=\n", x);
	refused(x, k, "checkpoint: no blank line between the text and the "
		      "signatures");
	/* the tree size */
	refused(x, subst(c5, n, "\n5\n", "\n05\n", x),
		"checkpoint line 2: tree size has a leading zero");
	refused(x, subst(c5, n, "\n5\n", "\n00\n", x),
		"checkpoint line 2: tree size has a leading zero");
	refused(x, subst(c5, n, "\n5\n", "\n18446744073709551616\n", x),
		"checkpoint line 2: tree size is too large");
	refused(x, subst(c5, n, "\n5\n", "\n99999999999999999999999\n", x),
		"checkpoint line 2: tree size is too large");
	refused(x, subst(c5, n, "\n5\n", "\n-5\n", x),
		"checkpoint line 2: tree size is not a decimal number");
	refused(x, subst(c5, n, "\n5\n", "\n+5\n", x),
		"checkpoint line 2: tree size is not a decimal number");
	refused(x, subst(c5, n, "\n5\n", "\n5 \n", x),
		"checkpoint line 2: tree size is not a decimal number");
	refused(x, subst(c5, n, "\n5\n", "\n\n", x),
		"checkpoint line 2: tree size is not a decimal number");
	refused(x, subst(c5, n, "\n5\n", "\n0x5\n", x),
		"checkpoint line 2: tree size is not a decimal number");
	/* a size of 2^64 - 1 is read, then the signature no longer holds */
	snprintf(msg, sizeof msg, "checkpoint line 5: the signature by %s "
				  "does not verify", origin);
	refused(x, subst(c5, n, "\n5\n", "\n18446744073709551615\n", x), msg);
	refused(x, subst(c5, n, "\n5\n", "\n6\n", x), msg);
	/* the root hash */
	refused(x, subst(c5, n, "=\n\n", "!\n\n", x),
		"checkpoint line 3: root hash is not base64");
	refused(x, subst(c5, n, "=\n\n", "\n\n", x),
		"checkpoint line 3: root hash is not base64");
	refused(x, subst(c5, n, "U=\n\n", "V=\n\n", x),	/* bits left over */
		"checkpoint line 3: root hash is not base64");
	refused(x, subst(c5, n, root64, "AAAA", x),
		"checkpoint line 3: root hash is not 32 bytes");
	refused(x, subst(c5, n, root64,
			 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", x),
		"checkpoint line 3: root hash is not 32 bytes");
	refused(x, subst(c5, n, root64,
			 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", x),
		"checkpoint line 3: root hash is not 32 bytes");
	/* no signature by the expected key: an unknown key's only */
	snprintf(text, sizeof text, "%s\n5\n%s\n", origin, root64);
	k = note(x, sizeof x, text, "\xe2\x80\x94 x AAAAAAA=\n", 0);
	snprintf(msg, sizeof msg, "checkpoint: no signature by %s", origin);
	refused(x, k, msg);
	{
		cds_buf b;
		uint8_t r5[32];

		/* by another key under the hub's name */
		cds_tlog_root((const uint8_t (*)[32])log_lh, 5, r5);
		cds_buf_init(&b, 1 << 20);
		cds_checkpoint_write(&b, origin, 5, r5, origin, other_sk,
				     other_pk);
		refused(b.p, b.n, msg);
		cds_buf_free(&b);
	}
	/* a signature that does not verify: one flipped bit of it */
	memcpy(x, c5, n);
	x[n - 10] ^= 1;
	snprintf(msg, sizeof msg, "checkpoint line 5: the signature by %s "
				  "does not verify", origin);
	refused(x, n, msg);
	/* ... even beside a good one: the whole note is refused */
	memcpy(x, c5, n);
	memcpy(x + n, c5 + n - (n - (size_t)(nl - (const char *)c5) - 2),
	       n - (size_t)(nl - (const char *)c5) - 2);
	k = n + n - (size_t)(nl - (const char *)c5) - 2;
	x[k - 10] ^= 1;
	snprintf(msg, sizeof msg, "checkpoint line 6: the signature by %s "
				  "does not verify", origin);
	refused(x, k, msg);
	/* extension lines: allowed, counted, signed like the rest */
	snprintf(text, sizeof text, "%s\n5\n%s\nan extension\nanother\n",
		 origin, root64);
	k = note(x, sizeof x, text, "\xe2\x80\x94 x AAAAAAA=\n", 1);
	assert_int_equal(cds_checkpoint_read(x, k, &hub_key, 1, &c, NULL, err,
					     sizeof err), 0);
	assert_int_equal(c.next, 2);
	assert_int_equal(c.nsig, 2);
	assert_true(c.size == 5);
	snprintf(text, sizeof text, "%s\n5\n%s\n\nafter an empty line\n",
		 origin, root64);
	k = note(x, sizeof x, text, "\xe2\x80\x94 x AAAAAAA=\n", 1);
	refused(x, k, "checkpoint line 4: empty extension line");
	/* too few lines, an empty origin, a long one */
	k = note(x, sizeof x, "o\n5\n", "\xe2\x80\x94 x AAAAAAA=\n", 1);
	refused(x, k, "checkpoint: fewer than 3 lines before the blank line");
	snprintf(text, sizeof text, "\n5\n%s\n", root64);
	k = note(x, sizeof x, text, "\xe2\x80\x94 x AAAAAAA=\n", 1);
	refused(x, k, "checkpoint line 1: empty origin");
	memset(text, 'o', CDS_CKPT_ORIGIN_MAX + 1);
	snprintf(text + CDS_CKPT_ORIGIN_MAX + 1,
		 sizeof text - CDS_CKPT_ORIGIN_MAX - 1, "\n5\n%s\n", root64);
	k = note(x, sizeof x, text, "\xe2\x80\x94 x AAAAAAA=\n", 1);
	refused(x, k, "checkpoint line 1: origin longer than 1023 bytes");
	/* signature lines that are not */
	snprintf(text, sizeof text, "%s\n5\n%s\n", origin, root64);
	k = note(x, sizeof x, text, "- x AAAAAAA=\n", 1);
	refused(x, k, "checkpoint line 5: not a signature line (an em dash, a "
		      "space, a key name, a space, the signature)");
	k = note(x, sizeof x, text, "\xe2\x80\x94x AAAAAAA=\n", 1);
	refused(x, k, "checkpoint line 5: not a signature line (an em dash, a "
		      "space, a key name, a space, the signature)");
	k = note(x, sizeof x, text, "\xe2\x80\x94 a+b AAAAAAA=\n", 1);
	refused(x, k, "checkpoint line 5: bad key name");
	k = note(x, sizeof x, text, "\xe2\x80\x94 a\xc2\xa0" "b AAAAAAA=\n", 1);
	refused(x, k, "checkpoint line 5: bad key name");
	k = note(x, sizeof x, text, "\xe2\x80\x94  AAAAAAA=\n", 1);
	refused(x, k, "checkpoint line 5: bad key name");
	k = note(x, sizeof x, text, "\xe2\x80\x94 x\n", 1);
	refused(x, k, "checkpoint line 5: no signature after the key name");
	k = note(x, sizeof x, text, "\xe2\x80\x94 x AAAAAA*=\n", 1);
	refused(x, k, "checkpoint line 5: signature is not base64");
	k = note(x, sizeof x, text, "\xe2\x80\x94 x AAAAAAA= \n", 1);
	refused(x, k, "checkpoint line 5: signature is not base64");
	k = note(x, sizeof x, text, "\xe2\x80\x94 x \n", 1);
	refused(x, k, "checkpoint line 5: signature too short");
	k = note(x, sizeof x, text, "\xe2\x80\x94 x AAAA\n", 1);
	refused(x, k, "checkpoint line 5: signature too short");
	/* control characters, bad UTF-8 */
	refused(x, subst(c5, n, "\n", "\r\n", x),
		"checkpoint line 1: a control character");
	refused(x, subst(c5, n, "HN-", "HN\t", x),
		"checkpoint line 1: a control character");
	memcpy(x, c5, n);
	x[strlen(origin) + 3] = '\0';
	refused(x, n, "checkpoint line 3: a control character");
	refused(x, subst(c5, n, "HN-", "HN\xff", x),
		"checkpoint line 1: not valid UTF-8");
	refused(x, subst(c5, n, "HN-", "HN\xc0\xaf", x),	/* overlong */
		"checkpoint line 1: not valid UTF-8");
	refused(x, subst(c5, n, "HN-", "HN\xed\xa0\x80", x),	/* surrogate */
		"checkpoint line 1: not valid UTF-8");
	refused(x, subst(c5, n, "HN-", "HN\xe2\x80", x),	/* cut short */
		"checkpoint line 1: not valid UTF-8");
	/* the end of the note */
	refused(c5, n - 1, "checkpoint line 5: the last line does not end in "
			   "a newline");
	refused(c5, (size_t)(nl - (const char *)c5) + 2,
		"checkpoint: no signature lines");
	refused(c5, 0, "checkpoint: no blank line between the text and the "
		       "signatures");
	/* a note without an LF LF after its signatures' text is cut */
	refused(c5, (size_t)(nl - (const char *)c5) + 1,
		"checkpoint: no blank line between the text and the "
		"signatures");
	/* no key given */
	assert_int_equal(cds_checkpoint_read(c5, n, &hub_key, 0, &c, NULL, err,
					     sizeof err), -1);
	assert_string_equal(err, "checkpoint: no key to check it with");
	/* at most 100 signature lines; 99 unknown and the hub's is fine */
	snprintf(text, sizeof text, "%s\n5\n%s\n", origin, root64);
	for (i = 0; i < 100; i++)
		memcpy(sigs + DUMMY * i, "\xe2\x80\x94 x AAAAAAA=\n", DUMMY);
	sigs[DUMMY * 99] = '\0';
	k = note(x, sizeof x, text, sigs, 1);
	assert_int_equal(cds_checkpoint_read(x, k, &hub_key, 1, &c, NULL, err,
					     sizeof err), 0);
	assert_int_equal(c.nsig, 100);
	memcpy(sigs + DUMMY * 99, "\xe2\x80\x94 x AAAAAAA=\n", DUMMY);
	sigs[DUMMY * 100] = '\0';
	k = note(x, sizeof x, text, sigs, 0);
	{
		cds_buf b;

		cds_buf_init(&b, 1 << 20);
		cds_checkpoint_cosign(&b, x, k, origin, hub_sk, hub_pk);
		assert_int_equal(b.rc, CDSYNC_EINVAL);	/* 101 lines */
		cds_buf_free(&b);
	}
	memcpy(x + k, c5 + (size_t)(nl - (const char *)c5) + 2,
	       n - (size_t)(nl - (const char *)c5) - 2);
	k += n - (size_t)(nl - (const char *)c5) - 2;
	refused(x, k, "checkpoint: more than 100 signatures");
	/* at most CDS_CKPT_MAX bytes: a note of exactly that is read */
	snprintf(text, sizeof text, "%s\n5\n%s\n", origin, root64);
	k = strlen(text);
	memcpy(x, text, k);
	i = CDS_CKPT_MAX - k - 1 - 1 - strlen("\xe2\x80\x94 x AAAAAAA=\n") -
	    (strlen("\xe2\x80\x94 ") + strlen(origin) + 1 + 92 + 1);
	memset(x + k, 'e', i);
	x[k + i] = '\n';
	x[k + i + 1] = '\n';
	memcpy(x + k + i + 2, "\xe2\x80\x94 x AAAAAAA=\n",
	       strlen("\xe2\x80\x94 x AAAAAAA=\n"));
	{
		cds_buf b;

		cds_buf_init(&b, 1 << 20);
		cds_checkpoint_cosign(&b, x, k + i + 2 +
				      strlen("\xe2\x80\x94 x AAAAAAA=\n"),
				      origin, hub_sk, hub_pk);
		assert_int_equal(b.rc, 0);
		assert_int_equal(b.n, CDS_CKPT_MAX);
		assert_int_equal(cds_checkpoint_read(b.p, b.n, &hub_key, 1, &c,
						     NULL, err, sizeof err), 0);
		assert_int_equal(c.next, 1);
		memcpy(x, b.p, b.n);
		cds_buf_free(&b);
		/* one byte more in the extension line */
		cds_buf_init(&b, 1 << 20);
		cds_buf_bytes(&b, x, k);
		cds_buf_byte(&b, 'e');
		cds_buf_bytes(&b, x + k, CDS_CKPT_MAX - k);
		refused(b.p, b.n, "checkpoint: longer than 131072 bytes");
		/* nor will the cosigner make it */
		cds_buf_reset(&b);
		cds_checkpoint_cosign(&b, x, CDS_CKPT_MAX, "y", other_sk,
				      other_pk);
		assert_int_equal(b.rc, CDSYNC_EINVAL);
		assert_int_equal(b.n, 0);
		cds_buf_free(&b);
	}
	/* the same text signed twice by the hub: both lines verified */
	memcpy(y, c5, n);
	memcpy(y + n, c5 + (size_t)(nl - (const char *)c5) + 2,
	       n - (size_t)(nl - (const char *)c5) - 2);
	k = n + n - (size_t)(nl - (const char *)c5) - 2;
	assert_int_equal(cds_checkpoint_read(y, k, &hub_key, 1, &c, NULL, err,
					     sizeof err), 0);
	assert_int_equal(c.nsig, 2);
}

/* ==== Proof files ======================================================= */

static size_t
proof_file(uint8_t *out, size_t cap, int inclusion, uint64_t at,
	   const uint8_t *extra, size_t extra_len, const uint8_t (*path)[32],
	   size_t len, const uint8_t *ckpt, size_t ckpt_len)
{
	cds_buf b;
	size_t n;

	cds_buf_init(&b, 1 << 20);
	if (inclusion)
		cds_tlog_inclusion_write(&b, at, extra, extra_len, path, len,
					 ckpt, ckpt_len);
	else
		cds_tlog_consistency_write(&b, at, path, len, ckpt, ckpt_len);
	assert_int_equal(b.rc, 0);
	assert_true(b.n <= cap);
	memcpy(out, b.p, b.n);
	n = b.n;
	cds_buf_free(&b);
	return n;
}

static void
test_proof_files_match_their_vectors(void **st)
{
	static uint8_t c3[1024], c5[1024], want[4096], leaf[80];
	uint8_t path[CDS_TLOG_PATH_MAX][32];
	struct cds_checkpoint c, old;
	struct cds_tlog_leaf l;
	struct cds_tlog_file f;
	size_t n3, n5, n, len, k;
	uint64_t index;
	char err[256];
	static uint8_t got[4096];

	(void)st;
	keys_init();
	n3 = vec_get(V, "checkpoint-3", c3, sizeof c3);
	n5 = vec_get(V, "checkpoint-5", c5, sizeof c5);
	assert_int_equal(vec_get(V, "log-leaf-3", leaf, sizeof leaf), 65);
	/* inclusion of leaf 3 in the tree of 5 */
	assert_int_equal(cds_tlog_inclusion_proof(
		(const uint8_t (*)[32])log_lh, 5, 3, path, &len), 0);
	k = proof_file(got, sizeof got, 1, 3, leaf, 65,
		       (const uint8_t (*)[32])path, len, c5, n5);
	n = vec_get(V, "inclusion-3-5", want, sizeof want);
	assert_int_equal(k, n);
	assert_memory_equal(got, want, n);
	assert_int_equal(cds_tlog_inclusion_read(want, n, &f, err, sizeof err),
			 0);
	assert_true(f.at == 3);
	assert_int_equal(f.has_extra, 1);
	assert_int_equal(f.extra_len, 65);
	assert_memory_equal(f.extra, leaf, 65);
	assert_int_equal(f.len, len);
	assert_memory_equal(f.path, path, len * 32);
	assert_int_equal(f.ckpt_len, n5);
	assert_memory_equal(f.ckpt, c5, n5);
	if (cds_tlog_inclusion_check(want, n, &hub_key, 1, &c, &l, &index,
				     NULL, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_true(index == 3);
	assert_true(c.size == 5);
	assert_true(l.seq == 3);
	assert_true(l.seen_ms == 1767225600000ull + 3ull * 60000);
	/* consistency from 3 to 5 */
	assert_int_equal(cds_tlog_consistency_proof(
		(const uint8_t (*)[32])log_lh, 5, 3, path, &len), 0);
	k = proof_file(got, sizeof got, 0, 3, NULL, 0,
		       (const uint8_t (*)[32])path, len, c5, n5);
	n = vec_get(V, "consistency-3-5", want, sizeof want);
	assert_int_equal(k, n);
	assert_memory_equal(got, want, n);
	assert_int_equal(cds_tlog_consistency_read(want, n, &f, err,
						   sizeof err), 0);
	assert_true(f.at == 3);
	assert_int_equal(f.has_extra, 0);
	assert_int_equal(f.len, len);
	assert_int_equal(cds_checkpoint_read(c3, n3, &hub_key, 1, &old, NULL,
					     err, sizeof err), 0);
	if (cds_tlog_consistency_check(want, n, &hub_key, 1, &old, &c, NULL,
				       err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_true(c.size == 5);
}

static void
incl_refused(const uint8_t *p, size_t n, const char *msg)
{
	struct cds_checkpoint c;
	struct cds_tlog_leaf l;
	uint64_t index = 7;
	char err[256];

	assert_int_equal(cds_tlog_inclusion_check(p, n, &hub_key, 1, &c, &l,
						  &index, NULL, err,
						  sizeof err), -1);
	assert_string_equal(err, msg);
	assert_true(index == 0);
	assert_true(c.size == 0);
	assert_true(l.seq == 0);
}

static void
test_an_inclusion_proof_file_is_refused_with_its_reason(void **st)
{
	static uint8_t good[4096], x[CDS_TLOG_FILE_MAX + 2], c5[1024];
	static uint8_t leaf[80], path[70][32];
	struct cds_tlog_file f;
	size_t n, n5, k, i, len;
	char err[256], msg[2600];

	(void)st;
	keys_init();
	n = vec_get(V, "inclusion-3-5", good, sizeof good);
	n5 = vec_get(V, "checkpoint-5", c5, sizeof c5);
	assert_int_equal(vec_get(V, "log-leaf-3", leaf, sizeof leaf), 65);
	assert_int_equal(cds_tlog_inclusion_proof(
		(const uint8_t (*)[32])log_lh, 5, 3, path, &len), 0);
	/* the syntax */
	incl_refused(x, subst(good, n, "@v1", "@v2", x),
		     "inclusion proof line 1: not a c2sp.org/tlog-proof@v1 "
		     "file");
	incl_refused(good, 10, "inclusion proof line 1: not a "
			       "c2sp.org/tlog-proof@v1 file");
	incl_refused(good, 23, "inclusion proof line 2: no \"index\" line");
	incl_refused(x, subst(good, n, "index 3", "indx 3", x),
		     "inclusion proof line 3: no \"index\" line");
	incl_refused(x, subst(good, n, "index 3", "index", x),
		     "inclusion proof line 3: no \"index\" line");
	incl_refused(x, subst(good, n, "index 3", "index03", x),
		     "inclusion proof line 3: no \"index\" line");
	incl_refused(x, subst(good, n, "index 3", "index 03", x),
		     "inclusion proof line 3: index has a leading zero");
	incl_refused(x, subst(good, n, "index 3", "index 3x", x),
		     "inclusion proof line 3: index is not a decimal number");
	incl_refused(x, subst(good, n, "index 3", "index ", x),
		     "inclusion proof line 3: index is not a decimal number");
	incl_refused(x, subst(good, n, "index 3",
			      "index 18446744073709551616", x),
		     "inclusion proof line 3: index is too large");
	incl_refused(x, subst(good, n, "extra A", "extra *", x),
		     "inclusion proof line 2: extra data is not base64");
	incl_refused(x, subst(good, n, "k=\n", "k\n", x),
		     "inclusion proof line 4: not a base64 hash");
	incl_refused(x, subst(good, n, "=\n8VRa", "=\nAAAA\n8VRa", x),
		     "inclusion proof line 6: not a base64 hash");
	incl_refused(good, 200, "inclusion proof: no blank line before the "
				"checkpoint");
	k = proof_file(x, sizeof x, 1, 3, leaf, 65,
		       (const uint8_t (*)[32])path, len, c5, 0);
	incl_refused(x, k, "inclusion proof: no checkpoint after the blank "
			   "line");
	/* 64 hashes are read, 65 are not */
	memset(path, 0, sizeof path);
	k = proof_file(x, sizeof x, 1, 3, leaf, 65,
		       (const uint8_t (*)[32])path, 64, c5, n5);
	assert_int_equal(cds_tlog_inclusion_read(x, k, &f, err, sizeof err),
			 0);
	assert_int_equal(f.len, 64);
	k = subst(x, k, "index 3\n", "index 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				      "AAAAAAAAAAAAAAA=\n", x);
	incl_refused(x, k, "inclusion proof line 68: more than 64 hashes");
	/* extra data: at most 256 bytes */
	k = proof_file(x, sizeof x, 1, 3, (const uint8_t *)path, 256,
		       (const uint8_t (*)[32])path, 0, c5, n5);
	assert_int_equal(cds_tlog_inclusion_read(x, k, &f, err, sizeof err),
			 0);
	assert_int_equal(f.extra_len, 256);
	k = subst(x, k, "extra ", "extra AAAA", x);
	incl_refused(x, k, "inclusion proof line 2: extra data longer than "
			   "256 bytes");
	/* the meaning: the leaf, its place, the proof, the checkpoint */
	k = proof_file(x, sizeof x, 1, 3, NULL, 0, (const uint8_t (*)[32])path,
		       0, c5, n5);
	incl_refused(x, k, "inclusion proof: no leaf (the extra line is "
			   "missing)");
	memset(path, 0, sizeof path);
	assert_int_equal(cds_tlog_inclusion_proof(
		(const uint8_t (*)[32])log_lh, 5, 3, path, &len), 0);
	leaf[0] = 2;
	k = proof_file(x, sizeof x, 1, 3, leaf, 65,
		       (const uint8_t (*)[32])path, len, c5, n5);
	incl_refused(x, k, "leaf offset 0: unknown kind");
	leaf[0] = 1;
	k = proof_file(x, sizeof x, 1, 5, leaf, 65,
		       (const uint8_t (*)[32])path, len, c5, n5);
	incl_refused(x, k, "inclusion proof: leaf 5 is past the end of the "
			   "tree of size 5");
	k = proof_file(x, sizeof x, 1, 2, leaf, 65,
		       (const uint8_t (*)[32])path, len, c5, n5);
	incl_refused(x, k, "inclusion proof: the proof does not lead from "
			   "leaf 2 to the root of the tree of size 5");
	leaf[64] ^= 1;		/* another time of first sight */
	k = proof_file(x, sizeof x, 1, 3, leaf, 65,
		       (const uint8_t (*)[32])path, len, c5, n5);
	incl_refused(x, k, "inclusion proof: the proof does not lead from "
			   "leaf 3 to the root of the tree of size 5");
	leaf[64] ^= 1;
	k = proof_file(x, sizeof x, 1, 3, leaf, 65,
		       (const uint8_t (*)[32])path, len - 1, c5, n5);
	incl_refused(x, k, "inclusion proof: the proof does not lead from "
			   "leaf 3 to the root of the tree of size 5");
	memcpy(x, good, n);
	x[n - 10] ^= 1;
	snprintf(msg, sizeof msg, "checkpoint line 5: the signature by %s "
				  "does not verify", origin);
	incl_refused(x, n, msg);
	/* cut anywhere: refused, never read past the end */
	for (i = 0; i < n; i++) {
		struct cds_checkpoint c;
		struct cds_tlog_leaf l;
		uint64_t index;

		memcpy(x, good, i);
		assert_int_equal(cds_tlog_inclusion_check(
			x, i, &hub_key, 1, &c, &l, &index, NULL, err,
			sizeof err), -1);
	}
	/* and too long */
	memset(x, 'A', CDS_TLOG_FILE_MAX + 1);
	assert_int_equal(cds_tlog_inclusion_read(x, CDS_TLOG_FILE_MAX + 1, &f,
						 err, sizeof err), -1);
	assert_string_equal(err, "inclusion proof: longer than 139264 bytes");
}

static void
cons_refused(const uint8_t *p, size_t n, const struct cds_checkpoint *old,
	     const char *msg)
{
	struct cds_checkpoint c;
	unsigned char sb[1] = { 9 };
	char err[256];

	assert_int_equal(cds_tlog_consistency_check(p, n, &hub_key, 1, old, &c,
						    sb, err, sizeof err), -1);
	assert_string_equal(err, msg);
	assert_true(c.size == 0);
	assert_int_equal(sb[0], 0);
}

static void
test_a_consistency_proof_file_is_refused_with_its_reason(void **st)
{
	static uint8_t good[4096], x[8192], c0[1024], c3[1024], c5[1024];
	static uint8_t path[70][32];
	struct cds_checkpoint old0, old3, old5, c, o;
	struct cds_tlog_file f;
	size_t n, n0, n3, n5, k, len, i;
	char err[256], msg[2600];

	(void)st;
	keys_init();
	n = vec_get(V, "consistency-3-5", good, sizeof good);
	n0 = vec_get(V, "checkpoint-0", c0, sizeof c0);
	n3 = vec_get(V, "checkpoint-3", c3, sizeof c3);
	n5 = vec_get(V, "checkpoint-5", c5, sizeof c5);
	assert_int_equal(cds_checkpoint_read(c0, n0, &hub_key, 1, &old0, NULL,
					     err, sizeof err), 0);
	assert_int_equal(cds_checkpoint_read(c3, n3, &hub_key, 1, &old3, NULL,
					     err, sizeof err), 0);
	assert_int_equal(cds_checkpoint_read(c5, n5, &hub_key, 1, &old5, NULL,
					     err, sizeof err), 0);
	/* the syntax */
	cons_refused(x, subst(good, n, "old 3", "old 03", x), &old3,
		     "consistency proof line 1: old has a leading zero");
	cons_refused(x, subst(good, n, "old 3", "old -3", x), &old3,
		     "consistency proof line 1: old is not a decimal number");
	cons_refused(x, subst(good, n, "old 3", "new 3", x), &old3,
		     "consistency proof line 1: no \"old\" line");
	cons_refused(good, 3, &old3, "consistency proof line 1: no \"old\" "
				     "line");
	cons_refused(x, subst(good, n, "old 3", "old 0", x), &old3,
		     "consistency proof line 2: a proof from size 0 must be "
		     "empty");
	cons_refused(x, subst(good, n, "=\nlgR", "\nlgR", x), &old3,
		     "consistency proof line 2: not a base64 hash");
	memset(path, 0, sizeof path);
	k = proof_file(x, sizeof x, 0, 3, NULL, 0, (const uint8_t (*)[32])path,
		       63, c5, n5);
	assert_int_equal(cds_tlog_consistency_read(x, k, &f, err, sizeof err),
			 0);
	assert_int_equal(f.len, 63);
	k = subst(x, k, "old 3\n", "old 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				  "AAAAAAAAAAA=\n", x);
	cons_refused(x, k, &old3,
		     "consistency proof line 65: more than 63 hashes");
	cons_refused(good, n - n5 - 1, &old3, "consistency proof: no blank "
					      "line before the checkpoint");
	cons_refused(good, n - n5, &old3, "consistency proof: no checkpoint "
					  "after the blank line");
	/* the meaning */
	cons_refused(good, n, &old5, "consistency proof: the proof is from "
				     "size 3, not from the trusted size 5");
	o = old3;
	o.origin[0] = 'C';
	snprintf(msg, sizeof msg, "consistency proof: the checkpoint is of the "
				  "log %s, not of %s", origin, o.origin);
	cons_refused(good, n, &o, msg);
	k = proof_file(x, sizeof x, 0, 5, NULL, 0, (const uint8_t (*)[32])path,
		       0, c3, n3);
	cons_refused(x, k, &old5, "consistency proof: the log shrank from 5 "
				  "to 3 leaves");
	k = proof_file(x, sizeof x, 0, 0, NULL, 0, (const uint8_t (*)[32])path,
		       0, c5, n5);
	assert_int_equal(cds_tlog_consistency_read(x, k, &f, err, sizeof err),
			 0);
	cons_refused(x, k, &old0, "consistency proof: nothing to check from a "
				  "tree of size 0");
	k = proof_file(x, sizeof x, 0, 5, NULL, 0, (const uint8_t (*)[32])path,
		       0, c5, n5);
	assert_int_equal(cds_tlog_consistency_check(x, k, &hub_key, 1, &old5,
						    &c, NULL, err, sizeof err),
			 0);
	o = old5;
	o.root[0] ^= 1;
	cons_refused(x, k, &o, "consistency proof: two different roots for "
			       "the tree of size 5");
	assert_int_equal(cds_tlog_consistency_proof(
		(const uint8_t (*)[32])log_lh, 5, 3, path, &len), 0);
	path[1][7] ^= 0x80;
	k = proof_file(x, sizeof x, 0, 3, NULL, 0, (const uint8_t (*)[32])path,
		       len, c5, n5);
	cons_refused(x, k, &old3, "consistency proof: the tree of size 5 does "
				  "not extend the trusted tree of size 3");
	path[1][7] ^= 0x80;
	o = old3;
	o.root[31] ^= 1;
	cons_refused(good, n, &o, "consistency proof: the tree of size 5 does "
				  "not extend the trusted tree of size 3");
	memcpy(x, good, n);
	x[n - 10] ^= 1;
	snprintf(msg, sizeof msg, "checkpoint line 5: the signature by %s "
				  "does not verify", origin);
	cons_refused(x, n, &old3, msg);
	for (i = 0; i < n; i++) {
		memcpy(x, good, i);
		assert_int_equal(cds_tlog_consistency_check(
			x, i, &hub_key, 1, &old3, &c, NULL, err, sizeof err),
			-1);
	}
}

/* ==== Out of memory ===================================================== */

static void
test_out_of_memory_in_the_writers_gives_enomem_or_the_bytes(void **st)
{
	uint8_t root[32], want[1024], leaf[80];
	uint8_t path[CDS_TLOG_PATH_MAX][32];
	size_t n, len, k;
	int done, rc;
	cds_buf b;
	long fail;

	(void)st;
	cds_tlog_root((const uint8_t (*)[32])log_lh, 5, root);
	n = vec_get(V, "checkpoint-5", want, sizeof want);
	for (fail = 0, done = 0; !done && fail < 50; fail++) {
		cds_buf_init(&b, 1 << 20);
		cds_alloc_fail_after(fail);
		cds_checkpoint_write(&b, origin, 5, root, origin, hub_sk,
				     hub_pk);
		cds_alloc_fail_after(-1);
		rc = b.rc;
		assert_true(rc == 0 || rc == CDSYNC_ENOMEM);
		if (rc == 0) {
			assert_int_equal(b.n, n);
			assert_memory_equal(b.p, want, n);
			done = 1;
		}
		cds_buf_free(&b);
	}
	assert_true(done);
	assert_int_equal(vec_get(V, "log-leaf-3", leaf, sizeof leaf), 65);
	assert_int_equal(cds_tlog_inclusion_proof(
		(const uint8_t (*)[32])log_lh, 5, 3, path, &len), 0);
	k = n;
	for (fail = 0, done = 0; !done && fail < 50; fail++) {
		cds_buf_init(&b, 1 << 20);
		cds_alloc_fail_after(fail);
		cds_tlog_inclusion_write(&b, 3, leaf, 65,
					 (const uint8_t (*)[32])path, len,
					 want, k);
		cds_checkpoint_cosign(&b, want, k, "y", next_sk, next_pk);
		cds_alloc_fail_after(-1);
		rc = b.rc;
		assert_true(rc == 0 || rc == CDSYNC_ENOMEM);
		done = rc == 0;
		cds_buf_free(&b);
	}
	assert_true(done);
}

/* The node id in a hub's origin, and other origins refused. */
static void
test_the_node_of_an_origin(void **st)
{
	static const char good[] = "cdsync.vn/hub/HN-CAUGIAY/"
				   "22222222222222222222222222222222\n5\n";
	static const char other[] = "example.com/log/22222222222222222222"
				    "222222222222\n5\n";
	uint8_t node[16], want[16];

	(void)st;
	memset(want, 0x22, 16);
	assert_int_equal(cds_tlog_origin_node((const uint8_t *)good,
					      sizeof good - 1, node), 0);
	assert_memory_equal(node, want, 16);
	assert_int_equal(cds_tlog_origin_node((const uint8_t *)other,
					      sizeof other - 1, node), -1);
	assert_int_equal(cds_tlog_origin_node((const uint8_t *)"x", 1, node),
			 -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots_match_their_vectors),
		cmocka_unit_test(test_the_node_of_an_origin),
		cmocka_unit_test(test_inclusion_proofs_match_their_vectors),
		cmocka_unit_test(test_consistency_proofs_match_their_vectors),
		cmocka_unit_test(
			test_every_inclusion_proof_verifies_and_nothing_else),
		cmocka_unit_test(
			test_every_consistency_proof_verifies_and_nothing_else),
		cmocka_unit_test(test_edge_cases_are_refused_as_rfc_9162_says),
		cmocka_unit_test(
			test_the_builder_gives_the_root_of_every_size_up_to_300),
		cmocka_unit_test(
			test_the_levels_give_every_proof_and_root_up_to_300),
		cmocka_unit_test(test_leaves_match_their_vectors),
		cmocka_unit_test(test_origins_and_key_ids_match_their_vectors),
		cmocka_unit_test(test_checkpoints_match_their_vectors),
		cmocka_unit_test(test_cosignatures_match_their_vectors),
		cmocka_unit_test(test_a_checkpoint_round_trips),
		cmocka_unit_test(
			test_the_writers_refuse_what_the_format_cannot_carry),
		cmocka_unit_test(test_a_checkpoint_is_refused_with_its_reason),
		cmocka_unit_test(test_proof_files_match_their_vectors),
		cmocka_unit_test(
			test_an_inclusion_proof_file_is_refused_with_its_reason),
		cmocka_unit_test(
			test_a_consistency_proof_file_is_refused_with_its_reason),
		cmocka_unit_test(
			test_out_of_memory_in_the_writers_gives_enomem_or_the_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
