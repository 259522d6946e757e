/* keybox.c -- secret keys at rest under a passphrase; see keybox.h and
 * SPEC.md "Secret keys at rest".
 *
 *   keybox = "CDSX" version:u8 (1) opslimit:u64 memlimit:u64 salt:16
 *            nonce:24 sealed
 *   sealed = XChaCha20-Poly1305-IETF(key, nonce, ad = node ‖ header,
 *            sign_seed:32 box_sk:32 nold:u8 nold × (box_pk:32 box_sk:32))
 *   key    = Argon2id v1.3 (passphrase, salt, opslimit, memlimit), 32 bytes
 */
#include "keybox.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "cdsync/cdsync.h"
#include "i18n.h"

static const uint8_t box_magic[4] = { 'C', 'D', 'S', 'X' };

#define PLAIN_MAX (65 + CDS_KEYBOX_MAX_OLD * 64)

void
cds_keybox_default_cost(uint64_t *opslimit, uint64_t *memlimit)
{
	*opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	*memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

static void
be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The key from the passphrase; 0, or -2 when Argon2id has no memory. */
static int
derive(uint8_t key[32], const char *pass, const uint8_t salt[16],
       uint64_t ops, uint64_t mem)
{
	if (crypto_pwhash(key, 32, pass, strlen(pass), salt, ops, (size_t)mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -2;
	return 0;
}

void
cds_keybox_seal(cds_buf *b, const struct cds_keys *k, const uint8_t node[16],
		const char *passphrase, uint64_t opslimit, uint64_t memlimit,
		const uint8_t salt[16], const uint8_t nonce[24])
{
	uint8_t head[CDS_KEYBOX_HEAD], ad[16 + CDS_KEYBOX_HEAD];
	uint8_t plain[PLAIN_MAX], sealed[PLAIN_MAX + 16], key[32];
	unsigned long long clen;
	size_t n = 0, i;

	if (b->rc != 0)
		return;
	if (k->nold > CDS_KEYBOX_MAX_OLD) {
		b->rc = CDSYNC_EINVAL;
		return;
	}
	memcpy(head, box_magic, 4);
	head[4] = 1;
	be64(head + 5, opslimit);
	be64(head + 13, memlimit);
	memcpy(head + 21, salt, 16);
	memcpy(head + 37, nonce, 24);
	memcpy(ad, node, 16);
	memcpy(ad + 16, head, sizeof head);
	memcpy(plain, k->sign_seed, 32);
	memcpy(plain + 32, k->box_sk, 32);
	plain[64] = (uint8_t)k->nold;
	n = 65;
	for (i = 0; i < k->nold; i++, n += 64)
		memcpy(plain + n, k->old[i], 64);
	if (derive(key, passphrase, salt, opslimit, memlimit) != 0) {
		b->rc = CDSYNC_ENOMEM;
		goto out;
	}
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, &clen, plain, n, ad,
						   sizeof ad, NULL, nonce, key);
	cds_buf_bytes(b, head, sizeof head);
	cds_buf_bytes(b, sealed, (size_t)clen);
out:
	sodium_memzero(plain, sizeof plain);
	sodium_memzero(key, sizeof key);
}

static int
bad(char *err, size_t errlen, size_t off, const char *why)
{
	snprintf(err, errlen, _("keys offset %zu: %s"), off, _(why));
	return -1;
}

int
cds_keybox_open(const uint8_t *p, size_t n, const uint8_t node[16],
		const char *passphrase, struct cds_keys *k, char *err,
		size_t errlen)
{
	uint8_t ad[16 + CDS_KEYBOX_HEAD], plain[PLAIN_MAX], key[32];
	unsigned long long plen;
	uint64_t ops, mem;
	size_t i;
	int rc = -3;

	memset(k, 0, sizeof *k);
	if (n < 4 || memcmp(p, box_magic, 4) != 0)	/* not secret */
		return bad(err, errlen, 0, N_("not a cdsync key file"));
	if (n < 5 || p[4] != 1)
		return bad(err, errlen, 4, N_("unknown version"));
	if (n < CDS_KEYBOX_HEAD + 65 + 16)
		return bad(err, errlen, n, N_("runs past the end"));
	if (n > CDS_KEYBOX_HEAD + PLAIN_MAX + 16 ||
	    (n - CDS_KEYBOX_HEAD - 16 - 65) % 64 != 0)
		return bad(err, errlen, CDS_KEYBOX_HEAD,
			   N_("the sealed keys have a wrong length"));
	ops = get64(p + 5);
	mem = get64(p + 13);
	/* a file's own cost is not trusted without bounds: at most what
	 * libsodium calls "sensitive" (1 GiB, 4 passes) */
	if (ops < crypto_pwhash_OPSLIMIT_MIN ||
	    ops > crypto_pwhash_OPSLIMIT_SENSITIVE)
		return bad(err, errlen, 5, N_("Argon2id passes out of range"));
	if (mem < crypto_pwhash_MEMLIMIT_MIN ||
	    mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return bad(err, errlen, 13, N_("Argon2id memory out of range"));
	memcpy(ad, node, 16);
	memcpy(ad + 16, p, CDS_KEYBOX_HEAD);
	if (derive(key, passphrase, p + 21, ops, mem) != 0) {
		rc = -2;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    plain, &plen, NULL, p + CDS_KEYBOX_HEAD,
		    n - CDS_KEYBOX_HEAD, ad, sizeof ad, p + 37, key) != 0)
		goto out;
	if (plen < 65 || plain[64] > CDS_KEYBOX_MAX_OLD ||
	    plen != 65 + (size_t)plain[64] * 64) {
		rc = bad(err, errlen, CDS_KEYBOX_HEAD,
			 N_("the sealed keys have a wrong length"));
		goto out;
	}
	memcpy(k->sign_seed, plain, 32);
	memcpy(k->box_sk, plain + 32, 32);
	k->nold = plain[64];
	for (i = 0; i < k->nold; i++)
		memcpy(k->old[i], plain + 65 + i * 64, 64);
	rc = 0;
out:
	if (rc == -3)
		snprintf(err, errlen, "%s", _("the passphrase is wrong"));
	if (rc != 0)
		sodium_memzero(k, sizeof *k);
	sodium_memzero(plain, sizeof plain);
	sodium_memzero(key, sizeof key);
	return rc;
}
