/* catalog_test.c -- requests, sheets and catalog files against
 * tests/vectors/catalog.vec, the readers' refusals, and the chain from
 * the root key (delegation, revoked and unknown signers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "catalog.h"
#include "cdsync/cdsync.h"
#include "vec.h"

/* The keys of the vectors. */
static uint8_t rpk[32], rsk[64], rbox[32], hpk[32], hsk[64], hbox[32];

static int
setup(void **state)
{
	uint8_t seed[32];

	(void)state;
	if (sodium_init() < 0)
		return -1;
	memset(seed, 1, 32);
	crypto_sign_seed_keypair(rpk, rsk, seed);
	memset(seed, 2, 32);
	crypto_scalarmult_base(rbox, seed);
	memset(seed, 3, 32);
	crypto_sign_seed_keypair(hpk, hsk, seed);
	memset(seed, 4, 32);
	crypto_scalarmult_base(hbox, seed);
	return 0;
}

static void
request(struct cds_request *q)
{
	memset(q, 0, sizeof *q);
	memset(q->node, 0x30, 16);
	q->role = CDSYNC_ROLE_HUB;
	memcpy(q->sign_pk, hpk, 32);
	memcpy(q->box_pk, hbox, 32);
	q->created_ms = 1767225600000ull;
	snprintf(q->org_code, sizeof q->org_code, "%s", "HG-VX");
	snprintf(q->org_name, sizeof q->org_name, "%s", "Công đoàn Giáo dục Vị Xuyên");
	snprintf(q->parent_code, sizeof q->parent_code, "%s", "VN");
}

/* The root sheet of the vectors (entries in e[3]). */
static void
root_sheet(struct cds_sheet *s, struct cds_entry *e)
{
	memset(e, 0, 3 * sizeof *e);
	e[0].type = CDS_ENTRY_NODE;
	memset(e[0].node, 0x10, 16);
	e[0].role = CDSYNC_ROLE_NATIONAL;
	memcpy(e[0].sign_pk, rpk, 32);
	memcpy(e[0].box_pk, rbox, 32);
	e[0].from_ms = 1767225600000ull;
	snprintf(e[0].org_code, sizeof e[0].org_code, "%s", "VN");
	snprintf(e[0].name, sizeof e[0].name, "%s", "Công đoàn Giáo dục Việt Nam");
	e[1].type = CDS_ENTRY_NODE;
	memset(e[1].node, 0x30, 16);
	e[1].role = CDSYNC_ROLE_HUB;
	memcpy(e[1].sign_pk, hpk, 32);
	memcpy(e[1].box_pk, hbox, 32);
	e[1].from_ms = 1767225600000ull;
	e[1].until_ms = 1798761600000ull;
	snprintf(e[1].org_code, sizeof e[1].org_code, "%s", "HG-VX");
	snprintf(e[1].name, sizeof e[1].name, "%s", "Công đoàn Giáo dục Vị Xuyên");
	snprintf(e[1].parent_code, sizeof e[1].parent_code, "%s", "VN");
	e[2].type = CDS_ENTRY_REVOKE;
	memset(e[2].node, 0x30, 16);
	memcpy(e[2].sign_pk, hpk, 32);
	e[2].from_ms = 1780272000000ull;
	snprintf(e[2].name, sizeof e[2].name, "%s", "mất máy");
	memset(s, 0, sizeof *s);
	memset(s->issuer, 0x10, 16);
	memcpy(s->issuer_pk, rpk, 32);
	s->serial = 2;
	s->issued_ms = 1780272000000ull;
	s->kpi_version = 1;
	s->count = 3;
	s->e = e;
}

static void
test_documents_match_the_vectors(void **state)
{
	static uint8_t want[8192];
	struct cds_request q;
	struct cds_sheet s;
	struct cds_entry e[3];
	const uint8_t *sh[1];
	size_t n, len[1];
	char fpr[CDS_FPR_CHARS + 1];
	cds_buf b, c;

	(void)state;
	cds_buf_init(&b, 1 << 20);
	request(&q);
	cds_request_write(&b, &q, hsk);
	n = vec_get("catalog.vec", "request", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	cds_buf_reset(&b);
	root_sheet(&s, e);
	cds_sheet_write(&b, &s, rsk);
	n = vec_get("catalog.vec", "root-sheet", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	cds_buf_init(&c, 1 << 20);
	sh[0] = b.p;
	len[0] = b.n;
	cds_catalog_write(&c, sh, len, 1);
	n = vec_get("catalog.vec", "catalog", want, sizeof want);
	assert_int_equal(c.n, n);
	assert_memory_equal(c.p, want, n);
	cds_fingerprint(rpk, rbox, fpr);
	assert_string_equal(fpr, "0R97-8ZZH-71AF-N9ZV");
	cds_buf_free(&b);
	cds_buf_free(&c);
}

static void
test_the_readers_give_back_what_was_written(void **state)
{
	static uint8_t p[8192];
	struct cds_request q;
	struct cds_sheet s;
	const uint8_t **sh;
	size_t n, *len, count;
	char err[256];

	(void)state;
	n = vec_get("catalog.vec", "request", p, sizeof p);
	assert_int_equal(cds_request_read(p, n, &q, err, sizeof err), 0);
	assert_string_equal(q.org_name, "Công đoàn Giáo dục Vị Xuyên");
	assert_string_equal(q.parent_code, "VN");
	assert_int_equal(q.role, CDSYNC_ROLE_HUB);
	assert_memory_equal(q.sign_pk, hpk, 32);
	n = vec_get("catalog.vec", "root-sheet", p, sizeof p);
	assert_int_equal(cds_sheet_read(p, n, &s, err, sizeof err), 0);
	assert_int_equal(s.count, 3);
	assert_true(s.serial == 2);
	assert_int_equal(s.kpi_version, 1);
	assert_string_equal(s.e[0].parent_code, "");
	assert_true(s.e[1].until_ms == 1798761600000ull);
	assert_int_equal(s.e[2].type, CDS_ENTRY_REVOKE);
	assert_string_equal(s.e[2].name, "mất máy");
	cds_sheet_free(&s);
	n = vec_get("catalog.vec", "catalog", p, sizeof p);
	assert_int_equal(cds_catalog_split(p, n, &sh, &len, &count, err,
					   sizeof err),
			 0);
	assert_int_equal(count, 1);
	assert_int_equal(cds_sheet_read(sh[0], len[0], &s, err, sizeof err),
			 0);
	cds_sheet_free(&s);
	cds_free((void *)sh);
	cds_free(len);
}

static void
refused_sheet(const uint8_t *p, size_t n, const char *msg)
{
	struct cds_sheet s;
	char err[256] = "";

	assert_int_equal(cds_sheet_read(p, n, &s, err, sizeof err), -1);
	assert_null(s.e);
	assert_string_equal(err, msg);
}

static void
test_the_readers_refuse_damage_naming_the_offset(void **state)
{
	static uint8_t p[8192], q[8192];
	struct cds_request rq;
	size_t n, i;
	char err[256], want[128];

	(void)state;
	n = vec_get("catalog.vec", "root-sheet", p, sizeof p);
	memcpy(q, p, n);
	q[0] = 'X';
	refused_sheet(q, n, "sheet offset 0: not this kind of file");
	memcpy(q, p, n);
	q[4] = 2;
	refused_sheet(q, n, "sheet offset 4: unknown version");
	/* one bit of the signed part */
	memcpy(q, p, n);
	q[30] ^= 1;
	snprintf(want, sizeof want,
		 "sheet offset %zu: the signature does not verify", n - 64);
	refused_sheet(q, n, want);
	memcpy(q, p, n);
	q[n] = 0;
	snprintf(want, sizeof want, "sheet offset %zu: bytes after the "
				    "signature",
		 n - 64);
	refused_sheet(q, n + 1, want);
	/* the first entry's type (after the 73-byte head and the count) */
	memcpy(q, p, n);
	q[74] = 9;
	refused_sheet(q, n, "sheet offset 74: unknown entry type");
	memcpy(q, p, n);
	q[74 + 17] = 7;
	refused_sheet(q, n, "sheet offset 91: unknown role");
	/* every truncation is refused */
	for (i = 0; i < n; i++) {
		struct cds_sheet s;

		assert_int_not_equal(cds_sheet_read(p, i, &s, err, sizeof err),
				     0);
	}
	n = vec_get("catalog.vec", "request", p, sizeof p);
	for (i = 0; i < n; i++)
		assert_int_not_equal(cds_request_read(p, i, &rq, err,
						      sizeof err),
				     0);
	/* a name that is not UTF-8: the org name starts after the 5-byte
	 * magic and version, node, role, two keys, time and code */
	memcpy(q, p, n);
	q[5 + 16 + 1 + 64 + 8 + 6 + 1] = 0xff;
	assert_int_equal(cds_request_read(q, n, &rq, err, sizeof err), -1);
	assert_string_equal(err, "request offset 100: text is not valid "
				 "UTF-8");
	/* a request signed by another key than the one it names */
	memcpy(q, p, n);
	memcpy(q + 22, rpk, 32);
	assert_int_equal(cds_request_read(q, n, &rq, err, sizeof err), -1);
	snprintf(want, sizeof want, "request offset %zu: the signature does "
				    "not verify",
		 n - 64);
	assert_string_equal(err, want);
}

/* A signed sheet of issuer (node id byte, key) with these entries. */
static void
sheet_of(uint8_t id, const uint8_t *pk, const uint8_t *sk,
	 struct cds_entry *e, size_t n, struct cds_sheet *out)
{
	struct cds_sheet s;
	char err[256];
	cds_buf b;

	memset(&s, 0, sizeof s);
	memset(s.issuer, id, 16);
	memcpy(s.issuer_pk, pk, 32);
	s.serial = 1;
	s.count = n;
	s.e = e;
	cds_buf_init(&b, 1 << 20);
	cds_sheet_write(&b, &s, sk);
	assert_int_equal(b.rc, 0);
	assert_int_equal(cds_sheet_read(b.p, b.n, out, err, sizeof err), 0);
	cds_buf_free(&b);
}

static void
node_entry(struct cds_entry *e, uint8_t id, const uint8_t *pk,
	   const char *code, const char *parent)
{
	memset(e, 0, sizeof *e);
	e->type = CDS_ENTRY_NODE;
	memset(e->node, id, 16);
	e->role = CDSYNC_ROLE_HUB;
	memcpy(e->sign_pk, pk, 32);
	snprintf(e->org_code, sizeof e->org_code, "%s", code);
	snprintf(e->parent_code, sizeof e->parent_code, "%s", parent);
}

static void
test_the_chain_runs_from_the_root_key_down_the_subtrees(void **state)
{
	struct cds_entry re[2], he[2];
	struct cds_sheet s[2];
	uint8_t spk[32], ssk[64];
	size_t order[2];
	char err[256];

	(void)state;
	crypto_sign_keypair(spk, ssk);
	node_entry(&re[0], 0x10, rpk, "VN", "");
	node_entry(&re[1], 0x30, hpk, "HG-VX", "VN");
	node_entry(&he[0], 0x50, spk, "HG-VX-TH-LC", "HG-VX");
	sheet_of(0x10, rpk, rsk, re, 2, &s[0]);
	sheet_of(0x30, hpk, hsk, he, 1, &s[1]);
	/* given in any order, chained root first */
	{
		struct cds_sheet t[2] = { s[1], s[0] };

		assert_int_equal(cds_trust_chain(t, 2, rpk, order, err,
						 sizeof err),
				 0);
		assert_int_equal(order[0], 1);
		assert_int_equal(order[1], 0);
	}
	/* another root key trusts none of it */
	assert_int_equal(cds_trust_chain(s, 2, spk, order, err, sizeof err),
			 -1);
	assert_string_equal(err, "no sheet is signed by the national root "
				 "key this node trusts");
	cds_sheet_free(&s[1]);
	/* the hub certifies a school under another district */
	node_entry(&he[0], 0x50, spk, "HG-BQ-TH-X", "HG-BQ");
	sheet_of(0x30, hpk, hsk, he, 1, &s[1]);
	assert_int_equal(cds_trust_chain(s, 2, rpk, order, err, sizeof err),
			 -1);
	assert_string_equal(err, "the sheet of HG-VX certifies HG-BQ-TH-X "
				 "under HG-BQ, outside its own subtree");
	cds_sheet_free(&s[1]);
	/* a sheet signed by a key nobody certifies */
	node_entry(&he[0], 0x50, spk, "HG-VX-TH-LC", "HG-VX");
	sheet_of(0x30, spk, ssk, he, 1, &s[1]);
	assert_int_equal(cds_trust_chain(s, 2, rpk, order, err, sizeof err),
			 -1);
	assert_string_equal(err, "a sheet of node 30303030 is signed by a key "
				 "no trusted sheet certifies");
	cds_sheet_free(&s[1]);
	cds_sheet_free(&s[0]);
	/* the root revoked the hub's key: its sheet is not trusted */
	{
		struct cds_entry r3[3];

		node_entry(&r3[0], 0x10, rpk, "VN", "");
		node_entry(&r3[1], 0x30, hpk, "HG-VX", "VN");
		memset(&r3[2], 0, sizeof r3[2]);
		r3[2].type = CDS_ENTRY_REVOKE;
		memset(r3[2].node, 0x30, 16);
		memcpy(r3[2].sign_pk, hpk, 32);
		sheet_of(0x10, rpk, rsk, r3, 3, &s[0]);
		sheet_of(0x30, hpk, hsk, he, 1, &s[1]);
		assert_int_equal(cds_trust_chain(s, 2, rpk, order, err,
						 sizeof err),
				 -1);
		assert_string_equal(err, "the sheet of node 30303030 is signed "
					 "by a key that was revoked");
		/* two sheets of one issuer */
		{
			struct cds_sheet t[2] = { s[1], s[1] };

			assert_int_equal(cds_trust_chain(t, 2, rpk, order, err,
							 sizeof err),
					 -1);
			assert_string_equal(err, "two sheets of node 30303030 "
						 "in one catalog");
		}
		cds_sheet_free(&s[0]);
		cds_sheet_free(&s[1]);
	}
	/* a root sheet that does not certify the root itself */
	node_entry(&re[0], 0x10, rpk, "VN", "XX");
	sheet_of(0x10, rpk, rsk, re, 2, &s[0]);
	assert_int_equal(cds_trust_chain(s, 1, rpk, order, err, sizeof err),
			 -1);
	assert_string_equal(err, "the root sheet does not certify the root "
				 "itself");
	cds_sheet_free(&s[0]);
}


static void
test_a_handover_matches_its_vector_and_refuses_damage(void **state)
{
	uint8_t want[512], seed[32], sk[64], nsk[64], bsk[32];
	struct cds_handover h, back;
	char err[256];
	size_t n, i;
	cds_buf b;

	(void)state;
	memset(&h, 0, sizeof h);
	memset(seed, 3, 32);
	crypto_sign_seed_keypair(h.old_pk, sk, seed);
	memset(seed, 5, 32);
	crypto_sign_seed_keypair(h.new_pk, nsk, seed);
	memset(bsk, 6, 32);
	crypto_scalarmult_base(h.new_box, bsk);
	memset(h.node, 0x30, 16);
	h.from_seq = 7;
	h.at_ms = 1780272000000ull;
	cds_buf_init(&b, 4096);
	cds_handover_write(&b, &h, sk);
	n = vec_get("catalog.vec", "handover", want, sizeof want);
	assert_int_equal(n, CDS_HANDOVER_BYTES);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	assert_int_equal(cds_handover_read(want, n, &back, err, sizeof err), 0);
	assert_memory_equal(&back, &h, sizeof h);
	/* a flipped bit anywhere, or a cut, is refused */
	for (i = 0; i < n; i++) {
		want[i] ^= 0x10;
		assert_int_not_equal(cds_handover_read(want, n, &back, err,
						       sizeof err),
				     0);
		want[i] ^= 0x10;
	}
	assert_int_equal(cds_handover_read(want, n - 1, &back, err,
					   sizeof err),
			 -1);
	assert_string_equal(err, "hand-over offset 133: runs past the end");
	cds_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documents_match_the_vectors),
		cmocka_unit_test(test_a_handover_matches_its_vector_and_refuses_damage),
		cmocka_unit_test(test_the_readers_give_back_what_was_written),
		cmocka_unit_test(test_the_readers_refuse_damage_naming_the_offset),
		cmocka_unit_test(test_the_chain_runs_from_the_root_key_down_the_subtrees),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
