/* keys_test.c -- secret keys at rest: the keybox vector (checked byte for
 * byte, and opened again with libsodium's primitives alone), a wrong
 * passphrase, a keybox moved to another node, damaged keyboxes; a store
 * whose keys are sealed: locked after opening, the callback asked only
 * when keys are needed, a wrong passphrase changes nothing, a changed
 * passphrase, and a store with keys in the clear sealed on request. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "keybox.h"
#include "store.h"
#include "testutil.h"
#include "vec.h"

#define PASS "Lũng Cú 2026"

/* The vector's inputs (tests/vectors/keybox.vec says the same). */
static void
inputs(struct cds_keys *k, uint8_t node[16], uint8_t salt[16],
       uint8_t nonce[24])
{
	memset(k, 0, sizeof *k);
	memset(k->sign_seed, 0x01, 32);
	memset(k->box_sk, 0x02, 32);
	k->nold = 1;
	memset(k->old[0] + 32, 0x03, 32);
	crypto_scalarmult_base(k->old[0], k->old[0] + 32);
	memset(node, 0x30, 16);
	memset(salt, 0x11, 16);
	memset(nonce, 0x22, 24);
}

static void
test_the_keybox_vector_is_exact_and_opens_with_plain_libsodium(void **st)
{
	uint8_t node[16], salt[16], nonce[24], want[512], key[32], plain[256];
	unsigned long long plen;
	struct cds_keys k, back;
	char err[256];
	size_t n;
	cds_buf b;

	(void)st;
	inputs(&k, node, salt, nonce);
	cds_buf_init(&b, 4096);
	cds_keybox_seal(&b, &k, node, PASS, 1, crypto_pwhash_MEMLIMIT_MIN,
			salt, nonce);
	assert_int_equal(b.rc, 0);
	n = vec_get("keybox.vec", "keybox", want, sizeof want);
	assert_int_equal(b.n, n);
	assert_memory_equal(b.p, want, n);
	/* a reader with nothing but libsodium and SPEC.md */
	assert_int_equal(crypto_pwhash(key, 32, PASS, strlen(PASS), want + 21,
				       1, crypto_pwhash_MEMLIMIT_MIN,
				       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	{
		uint8_t ad[16 + CDS_KEYBOX_HEAD];

		memcpy(ad, node, 16);
		memcpy(ad + 16, want, CDS_KEYBOX_HEAD);
		assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
					 plain, &plen, NULL,
					 want + CDS_KEYBOX_HEAD,
					 n - CDS_KEYBOX_HEAD, ad, sizeof ad,
					 want + 37, key),
				 0);
	}
	assert_int_equal(plen, 65 + 64);
	assert_memory_equal(plain, k.sign_seed, 32);
	assert_memory_equal(plain + 32, k.box_sk, 32);
	assert_int_equal(plain[64], 1);
	assert_memory_equal(plain + 65, k.old[0], 64);
	/* and with ours */
	assert_int_equal(cds_keybox_open(want, n, node, PASS, &back, err,
					 sizeof err),
			 0);
	assert_memory_equal(&back, &k, sizeof k);
	cds_buf_free(&b);
}

static void
test_a_wrong_passphrase_another_node_or_damage_opens_nothing(void **st)
{
	uint8_t node[16], salt[16], nonce[24], box[512], other[16];
	struct cds_keys k, back;
	char err[256];
	size_t n, i;

	(void)st;
	inputs(&k, node, salt, nonce);
	n = vec_get("keybox.vec", "keybox", box, sizeof box);
	assert_int_equal(cds_keybox_open(box, n, node, "Lung Cu 2026", &back,
					 err, sizeof err),
			 -3);
	assert_string_equal(err, "the passphrase is wrong");
	memset(other, 0x31, 16);
	assert_int_equal(cds_keybox_open(box, n, other, PASS, &back, err,
					 sizeof err),
			 -3);
	/* every bit of the sealed part and of the salt matters */
	for (i = 21; i < n; i += 7) {
		box[i] ^= 0x40;
		assert_int_equal(cds_keybox_open(box, n, node, PASS, &back,
						 err, sizeof err),
				 -3);
		box[i] ^= 0x40;
	}
	/* the layout is checked before any work */
	assert_int_equal(cds_keybox_open(box, 3, node, PASS, &back, err,
					 sizeof err),
			 -1);
	assert_string_equal(err, "keys offset 0: not a cdsync key file");
	box[4] = 2;
	assert_int_equal(cds_keybox_open(box, n, node, PASS, &back, err,
					 sizeof err),
			 -1);
	assert_string_equal(err, "keys offset 4: unknown version");
	box[4] = 1;
	assert_int_equal(cds_keybox_open(box, n - 1, node, PASS, &back, err,
					 sizeof err),
			 -1);
	assert_string_equal(err, "keys offset 61: the sealed keys have a "
				 "wrong length");
	box[13] = 0x7f;		/* memory: far beyond 1 GiB */
	assert_int_equal(cds_keybox_open(box, n, node, PASS, &back, err,
					 sizeof err),
			 -1);
	assert_string_equal(err, "keys offset 13: Argon2id memory out of "
				 "range");
}

static int
give(void *ctx, char *buf, size_t size)
{
	int *asked = ctx;

	(*asked)++;
	snprintf(buf, size, "%s", *asked > 10 ? "" : PASS);
	return *asked > 10 ? -1 : 0;
}

static void
test_a_sealed_store_asks_for_its_passphrase_only_when_needed(void **st)
{
	const char *d = tu_tmpdir();
	cdsync *db = NULL;
	char fpr[20], fpr2[20], path[600];
	int asked = 0;
	cdsync_rec *r = NULL;

	(void)st;
	snprintf(path, sizeof path, "%s", tu_path(d, "s.db"));
	assert_int_equal(cdsync_open(path, CDSYNC_OPEN_CREATE, &db), 0);
	assert_int_equal(cdsync_passphrase_set(db, "ngắn"), CDSYNC_EINVAL);
	assert_string_equal(cdsync_errmsg(db), "the passphrase is too short: "
					       "at least 8 characters");
	assert_int_equal(cdsync_passphrase_set(db, PASS), 0);
	assert_int_equal(cdsync_node_init(db, CDSYNC_ROLE_SCHOOL, "T-1",
					  "Trường thử", "T"),
			 0);
	assert_int_equal(cdsync_keys_sealed(db), 1);
	assert_int_equal(cdsync_fingerprint(db, fpr), 0);
	cdsync_close(db);
	/* no secret in the clear in the file */
	assert_int_equal(cdsync_open(path, 0, &db), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM meta WHERE key "
				      "IN ('sign_sk', 'box_sk')"),
			 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM meta WHERE key "
				      "= 'keys_sealed'"),
			 1);
	/* public work needs no passphrase */
	assert_int_equal(cdsync_fingerprint(db, fpr2), 0);
	assert_string_equal(fpr, fpr2);
	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_MEMBER, &r), 0);
	assert_int_equal(cdsync_rec_set(r, "full_name", "Vàng Thị Mỷ"), 0);
	assert_int_equal(cdsync_insert(db, r), 0);
	cdsync_rec_free(r);
	/* signing does: locked without a callback */
	assert_int_equal(cdsync_enrol_request(db, tu_path(d, "q")),
			 CDSYNC_ELOCKED);
	assert_string_equal(cdsync_errmsg(db), "this node's secret keys are "
					       "locked: its passphrase is "
					       "needed");
	/* a wrong one is refused and changes nothing */
	assert_int_equal(cdsync_unlock(db, "Lung Cu 2026"), CDSYNC_EPASSWORD);
	assert_string_equal(cdsync_errmsg(db), "the passphrase is wrong: the "
					       "keys of this node stay "
					       "locked");
	assert_int_equal(cdsync_enrol_request(db, tu_path(d, "q")),
			 CDSYNC_ELOCKED);
	/* the callback is asked once, when needed */
	cdsync_passphrase_cb(db, give, &asked);
	assert_int_equal(cdsync_fingerprint(db, fpr2), 0);
	assert_int_equal(asked, 0);
	assert_int_equal(cdsync_enrol_request(db, tu_path(d, "q")), 0);
	assert_int_equal(asked, 1);
	assert_int_equal(cdsync_enrol_request(db, tu_path(d, "q")), 0);
	assert_int_equal(asked, 1);
	/* locked again, and asked again */
	cdsync_lock(db);
	assert_int_equal(cdsync_enrol_request(db, tu_path(d, "q")), 0);
	assert_int_equal(asked, 2);
	/* a new passphrase: the old one no longer opens the keys */
	assert_int_equal(cdsync_passphrase_set(db, "mật khẩu mới 2027"), 0);
	cdsync_close(db);
	assert_int_equal(cdsync_open(path, 0, &db), 0);
	assert_int_equal(cdsync_unlock(db, PASS), CDSYNC_EPASSWORD);
	assert_int_equal(cdsync_unlock(db, "mật khẩu mới 2027"), 0);
	assert_int_equal(cdsync_fingerprint(db, fpr2), 0);
	assert_string_equal(fpr, fpr2);
	cdsync_close(db);
	tu_cleanup();
}

static void
test_keys_kept_in_the_clear_get_sealed_on_request(void **st)
{
	cdsync *db = tu_store();	/* made without a passphrase */
	char fpr[20], fpr2[20];

	(void)st;
	assert_int_equal(cdsync_keys_sealed(db), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM meta WHERE key "
				      "IN ('sign_sk', 'box_sk')"),
			 2);
	assert_int_equal(cdsync_fingerprint(db, fpr), 0);
	assert_int_equal(cdsync_passphrase_set(db, PASS), 0);
	assert_int_equal(cdsync_keys_sealed(db), 1);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM meta WHERE key "
				      "IN ('sign_sk', 'box_sk', 'old_box')"),
			 0);
	cdsync_lock(db);
	assert_int_equal(cdsync_unlock(db, PASS), 0);
	assert_int_equal(cdsync_fingerprint(db, fpr2), 0);
	assert_string_equal(fpr, fpr2);
	cdsync_close(db);
	tu_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_keybox_vector_is_exact_and_opens_with_plain_libsodium),
		cmocka_unit_test(test_a_wrong_passphrase_another_node_or_damage_opens_nothing),
		cmocka_unit_test(test_a_sealed_store_asks_for_its_passphrase_only_when_needed),
		cmocka_unit_test(test_keys_kept_in_the_clear_get_sealed_on_request),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
