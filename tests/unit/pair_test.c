/* pair_test.c -- pairing client devices: the request and certificate
 * vectors, codes as people type them, and at the stores: a wrong, used or
 * expired code, a tampered request, a certificate for another device or
 * of another union, the checks the LAN sync makes (never paired, another
 * key, unpaired), each with its exact message and nothing recorded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "pair.h"
#include "store.h"
#include "testutil.h"
#include "vec.h"

static uint64_t fake_now;
static uint64_t
fakeclock(void)
{
	return fake_now;
}

static void
test_the_documents_match_their_vectors(void **st)
{
	struct cds_pair_request q, q2;
	struct cds_client_cert c, c2;
	uint8_t seed[32], csk[64], nsk[64], key[32], bsk[32], want[1024];
	char err[256];
	size_t n;
	cds_buf b;

	(void)st;
	memset(&q, 0, sizeof q);
	memset(&c, 0, sizeof c);
	memset(seed, 7, 32);
	crypto_sign_seed_keypair(q.sign_pk, csk, seed);
	memset(bsk, 8, 32);
	crypto_scalarmult_base(q.box_pk, bsk);
	memset(q.client, 0x40, 16);
	q.created_ms = 1767225600000ull;
	snprintf(q.device, sizeof q.device, "%s", "Điện thoại cô Mỷ");
	assert_int_equal(cds_pair_code_key("K7QM-3XRT-9PWA", key), 0);
	cds_buf_init(&b, 4096);
	cds_pair_request_write(&b, &q, csk, key);
	n = vec_get("pair.vec", "request", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	assert_int_equal(cds_pair_request_read(want, n, key, &q2, err,
					       sizeof err),
			 0);
	assert_memory_equal(&q, &q2, sizeof q);
	memset(seed, 9, 32);
	crypto_sign_seed_keypair(c.node_pk, nsk, seed);
	memset(bsk, 10, 32);
	crypto_scalarmult_base(c.node_box, bsk);
	memset(c.node, 0x50, 16);
	memcpy(c.client, q.client, 16);
	memcpy(c.sign_pk, q.sign_pk, 32);
	memcpy(c.box_pk, q.box_pk, 32);
	c.issued_ms = 1767225660000ull;
	snprintf(c.org_code, sizeof c.org_code, "%s", "HG-VX-TH-LUNGCU");
	snprintf(c.device, sizeof c.device, "%s", q.device);
	cds_buf_reset(&b);
	cds_client_cert_write(&b, &c, nsk, key);
	n = vec_get("pair.vec", "certificate", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	assert_int_equal(cds_client_cert_read(want, n, key, &c2, err,
					      sizeof err),
			 0);
	assert_memory_equal(&c, &c2, sizeof c);
	/* as the node keeps it: without the MAC */
	assert_int_equal(cds_client_cert_read(want, n - CDS_PAIR_MAC, NULL,
					      &c2, err, sizeof err),
			 0);
	/* another code: the MAC does not match */
	assert_int_equal(cds_pair_code_key("K7QM-3XRT-9PWB", key), 0);
	assert_int_equal(cds_client_cert_read(want, n, key, &c2, err,
					      sizeof err),
			 -3);
	assert_string_equal(err, "the pairing code does not match");
	cds_buf_free(&b);
}

static void
test_codes_read_as_people_type_them(void **st)
{
	uint8_t a[32], b[32];
	char code[CDS_PAIR_CODE_CHARS + 1];
	int i;

	(void)st;
	assert_int_equal(cds_pair_code_key("K7QM-3XRT-9PWA", a), 0);
	assert_int_equal(cds_pair_code_key("k7qm 3xrt 9pwa", b), 0);
	assert_memory_equal(a, b, 32);
	assert_int_equal(cds_pair_code_key("1000-0000-0000", a), 0);
	assert_int_equal(cds_pair_code_key("I0O0-OOOO-oooo", b), 0);
	assert_memory_equal(a, b, 32);
	assert_int_equal(cds_pair_code_key("L000-0000-0000", b), 0);
	assert_memory_equal(a, b, 32);
	assert_int_equal(cds_pair_code_key("K7QM-3XRT-9PW", a), -1);
	assert_int_equal(cds_pair_code_key("K7QM-3XRT-9PWAA", a), -1);
	assert_int_equal(cds_pair_code_key("K7QM-3XRT-9PWU", a), -1);
	assert_int_equal(cds_pair_code_key("", a), -1);
	for (i = 0; i < 50; i++) {
		cds_pair_code_new(code);
		assert_int_equal(strlen(code), 14);
		assert_true(code[4] == '-' && code[9] == '-');
		assert_int_equal(cds_pair_code_key(code, a), 0);
	}
}

static cdsync *
store(const char *dir, const char *name, cdsync_role role,
      const char *code)
{
	cdsync *db = NULL;

	assert_int_equal(cdsync_open(tu_path(dir, name), CDSYNC_OPEN_CREATE,
				     &db),
			 0);
	if (cdsync_node_init(db, role, code, "Trường Tiểu học Lũng Cú",
			     "HG-VX") != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	return db;
}

static void
test_a_phone_pairs_with_its_school_node_once(void **st)
{
	const char *d = tu_tmpdir();
	cdsync *sch = store(d, "s.db", CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU");
	cdsync *ph = store(d, "p.db", CDSYNC_ROLE_CLIENT, "HG-VX-TH-LUNGCU");
	cdsync *ph2 = store(d, "p2.db", CDSYNC_ROLE_CLIENT, "HG-VX-TH-LUNGCU");
	cdsync *other = store(d, "o.db", CDSYNC_ROLE_SCHOOL, "HG-VX-MN-HOASEN");
	char code[CDSYNC_PAIR_CODEBYTES], code2[CDSYNC_PAIR_CODEBYTES];
	char req[600], cert[600], bad[600], msg[1200], fpr[20];
	cdsync_client_info info;
	uint8_t id[16], node[16], pk[32];
	uint8_t buf[4096];
	size_t n;
	FILE *f;

	(void)st;
	snprintf(req, sizeof req, "%s", tu_path(d, "req.cdsp"));
	snprintf(cert, sizeof cert, "%s", tu_path(d, "cert.cdsc"));
	snprintf(bad, sizeof bad, "%s", tu_path(d, "bad.cdsp"));
	/* the roles */
	assert_int_equal(cdsync_pair_code(ph, 0, code), CDSYNC_EINVAL);
	assert_string_equal(cdsync_errmsg(ph), "a client device does not pair "
					       "others: its school node does");
	assert_int_equal(cdsync_pair_request(sch, "K7QM-3XRT-9PWA", "x", req),
			 CDSYNC_EINVAL);
	assert_int_equal(cdsync_pair_code(sch, 1441, code), CDSYNC_EINVAL);
	/* never paired: the LAN sync refuses it */
	assert_int_equal(cdsync_node_id(ph, id), 0);
	memcpy(pk, ph->sign_pk, 32);
	assert_int_equal(cdsync_client_check(sch, id, pk), CDSYNC_EUNKNOWNKEY);
	assert_non_null(strstr(cdsync_errmsg(sch), "is not paired with this "
				"node: pair it with 'cdsync pair code' first"));
	/* a mistyped code */
	assert_int_equal(cdsync_pair_code(sch, 0, code), 0);
	assert_int_equal(cdsync_pair_request(ph, "K7QM-3XRT", "Điện thoại",
					     req),
			 CDSYNC_EINVAL);
	assert_string_equal(cdsync_errmsg(ph), "'K7QM-3XRT' is not a pairing "
					       "code: it has 12 letters and "
					       "digits, like K7QM-3XRT-9PWA");
	assert_int_equal(cdsync_pair_request(ph, code[0] == 'A'
						 ? "B000-0000-0000"
						 : "A000-0000-0000",
					     "Điện thoại", req),
			 0);
	assert_int_equal(cdsync_pair_approve(sch, req, cert, &info),
			 CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s: no live pairing code of this node "
		 "matches it: the code was mistyped, used already or has "
		 "expired; show a new one with 'cdsync pair code'", req);
	assert_string_equal(cdsync_errmsg(sch), msg);
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM pair_client"), 0);
	/* the right one */
	assert_int_equal(cdsync_pair_request(ph, code, "Điện thoại cô Mỷ",
					     req),
			 0);
	/* a request with a byte changed in its name is refused */
	f = fopen(req, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	buf[90] ^= 1;
	tu_write(bad, buf, n);
	assert_int_equal(cdsync_pair_approve(sch, bad, cert, &info),
			 CDSYNC_EBADSIG);
	assert_non_null(strstr(cdsync_errmsg(sch), "the signature does not "
				"verify"));
	assert_int_equal(cdsync_pair_approve(sch, req, cert, &info), 0);
	assert_string_equal(info.device, "Điện thoại cô Mỷ");
	assert_memory_equal(info.client, id, 16);
	/* a code works once */
	assert_int_equal(cdsync_pair_approve(sch, req, tu_path(d, "c2"),
					     &info),
			 CDSYNC_EBADSIG);
	/* a certificate with another code's MAC is not the device's */
	assert_int_equal(cdsync_pair_code(sch, 0, code2), 0);
	assert_int_equal(cdsync_pair_request(ph2, code2, "Máy tính phòng "
					     "hội đồng", tu_path(d, "r2")),
			 0);
	assert_int_equal(cdsync_pair_finish(ph2, cert), CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s: it does not carry the pairing code "
		 "this device asked with", cert);
	assert_string_equal(cdsync_errmsg(ph2), msg);
	/* the device takes its own */
	assert_int_equal(cdsync_paired_node(ph, node, fpr), CDSYNC_ENOTFOUND);
	assert_int_equal(cdsync_pair_finish(ph, cert), 0);
	assert_int_equal(cdsync_paired_node(ph, node, fpr), 0);
	assert_memory_equal(node, sch->node_id, 16);
	assert_int_equal(cdsync_fingerprint(sch, msg), 0);
	assert_string_equal(fpr, msg);
	assert_int_equal(cdsync_client_check(sch, id, pk), CDSYNC_OK);
	/* another key under the device's id is not it */
	assert_int_equal(cdsync_client_check(sch, id, ph2->sign_pk),
			 CDSYNC_EUNKNOWNKEY);
	assert_non_null(strstr(cdsync_errmsg(sch), "speaks with a key this "
				"node did not certify"));
	/* a certificate of another union's node */
	{
		char c3[CDSYNC_PAIR_CODEBYTES], r3[600], k3[600];

		snprintf(r3, sizeof r3, "%s", tu_path(d, "r3"));
		snprintf(k3, sizeof k3, "%s", tu_path(d, "c3"));

		assert_int_equal(cdsync_pair_code(other, 0, c3), 0);
		assert_int_equal(cdsync_pair_request(ph2, c3, "Máy B", r3), 0);
		assert_int_equal(cdsync_pair_approve(other, r3, k3, NULL), 0);
		assert_int_equal(cdsync_pair_finish(ph2, k3),
				 CDSYNC_ESCOPE);
		assert_non_null(strstr(cdsync_errmsg(ph2), "the node that "
					"signed it speaks for HG-VX-MN-HOASEN, "
					"but this device records for "
					"HG-VX-TH-LUNGCU"));
		assert_int_equal(cdsync_paired_node(ph2, node, fpr),
				 CDSYNC_ENOTFOUND);
	}
	/* an expired code */
	assert_int_equal(cdsync_pair_code(sch, 1, code2), 0);
	assert_int_equal(cdsync_pair_request(ph2, code2, "Máy C", bad), 0);
	fake_now = cds_wall_ms() + 61000;
	cds_wall_hook = fakeclock;
	assert_int_equal(cdsync_pair_approve(sch, bad, cert, NULL),
			 CDSYNC_EBADSIG);
	cds_wall_hook = NULL;
	/* unpaired: refused from then on */
	assert_int_equal(cdsync_client_revoke(sch, "không có"),
			 CDSYNC_ENOTFOUND);
	assert_int_equal(cdsync_client_revoke(sch, "Điện thoại cô Mỷ"), 0);
	assert_int_equal(cdsync_client_check(sch, id, pk), CDSYNC_EREVOKED);
	assert_non_null(strstr(cdsync_errmsg(sch), "device Điện thoại cô Mỷ "
				"(…"));
	assert_non_null(strstr(cdsync_errmsg(sch), ") was unpaired on "));
	assert_int_equal(cdsync_client_at(sch, 0, &info), 0);
	assert_true(info.revoked_ms != 0);
	assert_int_equal(cdsync_client_at(sch, 1, &info), CDSYNC_ENOTFOUND);
	cdsync_close(sch);
	cdsync_close(ph);
	cdsync_close(ph2);
	cdsync_close(other);
	tu_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_documents_match_their_vectors),
		cmocka_unit_test(test_codes_read_as_people_type_them),
		cmocka_unit_test(test_a_phone_pairs_with_its_school_node_once),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
