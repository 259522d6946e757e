/* bundle.c -- see bundle.h and SPEC.md §7 "Bundles".
 *
 * A bundle is  header || signature(64) || ciphertext, every integer
 * big-endian.  The header (SPEC.md §7.1):
 *
 *   0 magic "CDSB"  4 version  5 nrcpt  6 node(16)  22 sign_pk(32)
 *   54 seq(u64)  62 prev(32)  94 hlc(u64)  102 count(u32)
 *   106 plain_len(u64)  114 cipher_len(u64)  122 nonce(24)
 *   146 cipher_hash(32)  178 key_commit(32)
 *   210 nrcpt x (box_pk(32) sealed_key(80))
 *
 * The ciphertext is XChaCha20-Poly1305-IETF of one zstd frame under a
 * fresh content key, with header bytes 0..93 as associated data; the
 * content key is sealed to each recipient (crypto_box_seal) and committed
 * to by a keyed BLAKE2b-256; the Ed25519 signature covers the header;
 * the bundle's hash is BLAKE2b-256(header || signature).
 *
 * Reading goes cheapest first: cds_bundle_head checks sizes and caps
 * without any crypto; cds_bundle_verify the signature; cds_bundle_open
 * the key, its commitment, the ciphertext hash, the AEAD tag and the
 * zstd frame, whose size must be the signed plain_len.  The content key,
 * its decrypted copies and every buffer of compressed plaintext are wiped
 * on every path.
 */
#include "bundle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "alloc.h"
#include "cdsync/cdsync.h"
#include "i18n.h"
#include "record.h"

/* ==== Layout (SPEC.md §7.1) ========================================== */

#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_NRCPT 5
#define OFF_NODE 6
#define OFF_SIGNPK 22
#define OFF_SEQ 54
#define OFF_PREV 62
#define OFF_HLC 94	 /* also the length of the associated data */
#define OFF_COUNT 102
#define OFF_PLAIN 106
#define OFF_CIPHER 114
#define OFF_NONCE 122
#define OFF_CHASH 146
#define OFF_COMMIT 178
#define OFF_RCPT 210	 /* the fixed part ends here */
#define AD_BYTES OFF_HLC /* magic .. prev */
#define RCPT_BYTES (CDS_BOX_PKBYTES + CDS_SEALEDBYTES)
#define SIG_BYTES 64
#define TAG_BYTES 16
#define KEY_BYTES 32
#define NONCE_BYTES 24
#define ZSTD_LEVEL 3
/* the smallest bundle: one recipient, an empty ciphertext but its tag */
#define MIN_BYTES (OFF_RCPT + RCPT_BYTES + SIG_BYTES + TAG_BYTES)

static const uint8_t magic[4] = { 'C', 'D', 'S', 'B' };
static const char commit_label[] = "cdsync.bundle.keycommit.v1";
static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

_Static_assert(crypto_sign_BYTES == SIG_BYTES, "Ed25519 signature size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == CDS_SIGN_PKBYTES, "sign pk");
_Static_assert(crypto_sign_SECRETKEYBYTES == CDS_SIGN_SKBYTES, "sign sk");
_Static_assert(crypto_box_PUBLICKEYBYTES == CDS_BOX_PKBYTES, "box pk");
_Static_assert(crypto_box_SECRETKEYBYTES == CDS_BOX_SKBYTES, "box sk");
_Static_assert(crypto_box_SEALBYTES + KEY_BYTES == CDS_SEALEDBYTES,
	       "a sealed content key");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == KEY_BYTES,
	       "AEAD key");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == NONCE_BYTES,
	       "AEAD nonce");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == TAG_BYTES,
	       "AEAD tag");
_Static_assert(crypto_generichash_KEYBYTES_MIN <= KEY_BYTES &&
		       crypto_generichash_KEYBYTES_MAX >= KEY_BYTES,
	       "BLAKE2b key");
_Static_assert(OFF_RCPT + CDS_BUNDLE_MAX_RCPT * RCPT_BYTES + SIG_BYTES <
		       CDS_BUNDLE_MAX_BYTES,
	       "a header fits in a bundle");

/* ==== Small helpers =================================================== */

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
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

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
put64(cds_buf *b, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	cds_buf_bytes(b, x, sizeof x);
}

static void
put32(cds_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	cds_buf_bytes(b, x, sizeof x);
}

static int
allzero(const uint8_t *p, size_t n)
{
	return sodium_is_zero(p, n);
}

static size_t
headlen(size_t nrcpt)
{
	return OFF_RCPT + nrcpt * RCPT_BYTES;
}

/* BLAKE2b-256 keyed with the content key over the label. */
static void
keycommit(uint8_t out[CDS_HASHBYTES], const uint8_t key[KEY_BYTES])
{
	crypto_generichash(out, CDS_HASHBYTES,
			   (const unsigned char *)commit_label,
			   sizeof commit_label - 1, key, KEY_BYTES);
}

/* A zstd result as a cdsync code: out of memory or else `other`. */
static int
zcode(size_t r, int other)
{
	return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation
		       ? CDSYNC_ENOMEM
		       : other;
}

/* libsodium must be started before use; cheap after the first time. */
static int
started(char *err, size_t errlen)
{
	if (sodium_init() >= 0)
		return 1;
	say(err, errlen, "%s", _("libsodium cannot start"));
	return 0;
}

/* ==== Reading the header ============================================== */

/* Parses b[0..n) into *h (the caller zeroes it); SPEC.md §7.4 step 1. */
static int
parse(const uint8_t *b, size_t n, struct cds_bundle_head *h, char *err,
      size_t errlen)
{
	uint64_t total;
	size_t i, j, at;

	if (n > CDS_BUNDLE_MAX_BYTES) {
		say(err, errlen, _("%zu bytes is more than a bundle may have "
				   "(%u MiB)"),
		    n, CDS_BUNDLE_MAX_BYTES >> 20);
		return CDSYNC_EBADBUNDLE;
	}
	if (n < sizeof magic) {
		say(err, errlen, _("truncated: %zu bytes, a bundle has at "
				   "least %d"),
		    n, MIN_BYTES);
		return CDSYNC_EBADBUNDLE;
	}
	if (memcmp(b + OFF_MAGIC, magic, sizeof magic) != 0) {
		say(err, errlen, _("offset %d: not a bundle (it does not "
				   "start with \"CDSB\")"),
		    OFF_MAGIC);
		return CDSYNC_EBADBUNDLE;
	}
	if (n <= OFF_NRCPT) {
		say(err, errlen, _("truncated: %zu bytes, a bundle has at "
				   "least %d"),
		    n, MIN_BYTES);
		return CDSYNC_EBADBUNDLE;
	}
	h->version = b[OFF_VERSION];
	if (h->version != CDS_BUNDLE_VERSION) {
		say(err, errlen, _("offset %d: version %u is not supported "
				   "(this program reads version %d)"),
		    OFF_VERSION, h->version, CDS_BUNDLE_VERSION);
		return CDSYNC_EBADBUNDLE;
	}
	h->nrcpt = b[OFF_NRCPT];
	if (h->nrcpt == 0) {
		say(err, errlen, _("offset %d: recipient count 0 (a bundle "
				   "has at least 1)"),
		    OFF_NRCPT);
		return CDSYNC_EBADBUNDLE;
	}
	if (h->nrcpt > CDS_BUNDLE_MAX_RCPT) {
		say(err, errlen, _("offset %d: recipient count %u is more "
				   "than %d"),
		    OFF_NRCPT, h->nrcpt, CDS_BUNDLE_MAX_RCPT);
		return CDSYNC_EBADBUNDLE;
	}
	h->head_len = headlen(h->nrcpt);
	if (n < h->head_len) {
		say(err, errlen, _("truncated: %zu bytes, the header alone "
				   "has %zu"),
		    n, h->head_len);
		return CDSYNC_EBADBUNDLE;
	}
	memcpy(h->node, b + OFF_NODE, sizeof h->node);
	memcpy(h->sign_pk, b + OFF_SIGNPK, sizeof h->sign_pk);
	h->seq = get64(b + OFF_SEQ);
	memcpy(h->prev, b + OFF_PREV, sizeof h->prev);
	h->hlc = get64(b + OFF_HLC);
	h->count = get32(b + OFF_COUNT);
	h->plain_len = get64(b + OFF_PLAIN);
	h->cipher_len = get64(b + OFF_CIPHER);
	memcpy(h->nonce, b + OFF_NONCE, sizeof h->nonce);
	memcpy(h->cipher_hash, b + OFF_CHASH, sizeof h->cipher_hash);
	memcpy(h->key_commit, b + OFF_COMMIT, sizeof h->key_commit);
	if (h->seq == 0) {
		say(err, errlen, _("offset %d: sequence number 0 (they start "
				   "at 1)"),
		    OFF_SEQ);
		return CDSYNC_EBADBUNDLE;
	}
	if (h->seq == 1 && !allzero(h->prev, sizeof h->prev)) {
		say(err, errlen, _("offset %d: previous hash of bundle 1 is "
				   "not all zeros"),
		    OFF_PREV);
		return CDSYNC_EBADBUNDLE;
	}
	if (h->seq > 1 && allzero(h->prev, sizeof h->prev)) {
		say(err, errlen, _("offset %d: previous hash of bundle %llu "
				   "is all zeros"),
		    OFF_PREV, (unsigned long long)h->seq);
		return CDSYNC_EBADBUNDLE;
	}
	if (h->count > CDS_BUNDLE_MAX_CHANGES) {
		say(err, errlen, _("offset %d: change count %lu is more than "
				   "%u"),
		    OFF_COUNT, (unsigned long)h->count,
		    CDS_BUNDLE_MAX_CHANGES);
		return CDSYNC_EBADBUNDLE;
	}
	if (h->plain_len > CDS_BUNDLE_MAX_PLAIN) {
		say(err, errlen, _("offset %d: payload length %llu is more "
				   "than %u MiB"),
		    OFF_PLAIN, (unsigned long long)h->plain_len,
		    CDS_BUNDLE_MAX_PLAIN >> 20);
		return CDSYNC_EBADBUNDLE;
	}
	if (h->cipher_len < TAG_BYTES) {
		say(err, errlen, _("offset %d: ciphertext length %llu is "
				   "less than its %d-byte tag"),
		    OFF_CIPHER, (unsigned long long)h->cipher_len, TAG_BYTES);
		return CDSYNC_EBADBUNDLE;
	}
	if (h->cipher_len > CDS_BUNDLE_MAX_BYTES - h->head_len - SIG_BYTES) {
		say(err, errlen, _("offset %d: ciphertext length %llu does "
				   "not fit in a bundle (%u MiB)"),
		    OFF_CIPHER, (unsigned long long)h->cipher_len,
		    CDS_BUNDLE_MAX_BYTES >> 20);
		return CDSYNC_EBADBUNDLE;
	}
	total = h->head_len + SIG_BYTES + h->cipher_len;
	if (n < total) {
		say(err, errlen, _("truncated: %zu bytes, the header says "
				   "%llu"),
		    n, (unsigned long long)total);
		return CDSYNC_EBADBUNDLE;
	}
	if (n > total) {
		say(err, errlen, _("too long: %zu bytes, the header says "
				   "%llu"),
		    n, (unsigned long long)total);
		return CDSYNC_EBADBUNDLE;
	}
	for (i = 0; i < h->nrcpt; i++) {
		at = OFF_RCPT + i * RCPT_BYTES;
		memcpy(h->rcpt[i].box_pk, b + at, CDS_BOX_PKBYTES);
		memcpy(h->rcpt[i].sealed, b + at + CDS_BOX_PKBYTES,
		       CDS_SEALEDBYTES);
		for (j = 0; j < i; j++) {
			if (memcmp(h->rcpt[j].box_pk, h->rcpt[i].box_pk,
				   CDS_BOX_PKBYTES) != 0)
				continue;
			say(err, errlen, _("offset %zu: recipient %zu has the "
					   "same key as recipient %zu"),
			    at, i + 1, j + 1);
			return CDSYNC_EBADBUNDLE;
		}
	}
	crypto_generichash(h->hash, sizeof h->hash, b,
			   h->head_len + SIG_BYTES, NULL, 0);
	return CDSYNC_OK;
}

int
cds_bundle_head(const uint8_t *b, size_t n, struct cds_bundle_head *h,
		char *err, size_t errlen)
{
	int rc;

	memset(h, 0, sizeof *h);
	if (!started(err, errlen))
		return CDSYNC_ERROR;
	if ((rc = parse(b, n, h, err, errlen)) != CDSYNC_OK)
		memset(h, 0, sizeof *h);
	return rc;
}

/* Re-reads b into *mine and checks that h was read from the same bytes,
 * so that a stale or mixed-up header never steers a read out of b. */
static int
same(const uint8_t *b, size_t n, const struct cds_bundle_head *h,
     struct cds_bundle_head *mine, char *err, size_t errlen)
{
	int rc;

	memset(mine, 0, sizeof *mine);
	if ((rc = parse(b, n, mine, err, errlen)) != CDSYNC_OK)
		return rc;
	if (memcmp(mine->hash, h->hash, sizeof mine->hash) != 0) {
		say(err, errlen, "%s", _("the parsed header given was not "
					 "read from these bundle bytes"));
		return CDSYNC_EINVAL;
	}
	return CDSYNC_OK;
}

/* ==== Verifying ======================================================= */

int
cds_bundle_verify(const uint8_t *b, size_t n,
		  const struct cds_bundle_head *h, char *err, size_t errlen)
{
	struct cds_bundle_head mine;
	int rc;

	if (!started(err, errlen))
		return CDSYNC_ERROR;
	if ((rc = same(b, n, h, &mine, err, errlen)) != CDSYNC_OK)
		return rc;
	if (crypto_sign_verify_detached(b + mine.head_len, b, mine.head_len,
					h->sign_pk) != 0) {
		say(err, errlen, _("offset %zu: the signature does not match "
				   "the header and the sender's key"),
		    mine.head_len);
		return CDSYNC_EBADSIG;
	}
	return CDSYNC_OK;
}

/* ==== Opening ========================================================= */

int
cds_bundle_open(const uint8_t *b, size_t n,
		const struct cds_bundle_head *h,
		const uint8_t box_pk[CDS_BOX_PKBYTES],
		const uint8_t box_sk[CDS_BOX_SKBYTES], uint8_t **payload,
		char *err, size_t errlen)
{
	struct cds_bundle_head m;
	uint8_t key[KEY_BYTES], commit[CDS_HASHBYTES], chash[CDS_HASHBYTES];
	uint8_t *frame = NULL, *plain = NULL;
	const uint8_t *c;
	size_t i, flen = 0, r;
	unsigned long long got;
	int rc;

	*payload = NULL;
	if (!started(err, errlen))
		return CDSYNC_ERROR;
	if ((rc = same(b, n, h, &m, err, errlen)) != CDSYNC_OK)
		goto out;
	c = b + m.head_len + SIG_BYTES;
	/* 1. our entry */
	for (i = 0; i < m.nrcpt; i++)
		if (memcmp(m.rcpt[i].box_pk, box_pk, CDS_BOX_PKBYTES) == 0)
			break;
	if (i == m.nrcpt) {
		say(err, errlen, _("not a recipient: none of the %u recipient "
				   "keys at offset %d is this node's key"),
		    m.nrcpt, OFF_RCPT);
		rc = CDSYNC_ENOTRECIPIENT;
		goto out;
	}
	/* 2. the content key and its commitment */
	if (crypto_box_seal_open(key, m.rcpt[i].sealed, CDS_SEALEDBYTES,
				 box_pk, box_sk) != 0) {
		say(err, errlen, _("offset %zu: recipient %zu: the content "
				   "key does not open with this node's key"),
		    OFF_RCPT + i * RCPT_BYTES + CDS_BOX_PKBYTES, i + 1);
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	keycommit(commit, key);
	if (sodium_memcmp(commit, m.key_commit, sizeof commit) != 0) {
		say(err, errlen, _("offset %d: the content key of recipient "
				   "%zu does not match the key commitment"),
		    OFF_COMMIT, i + 1);
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	/* 3. the ciphertext is the one the header names */
	crypto_generichash(chash, sizeof chash, c, (size_t)m.cipher_len, NULL,
			   0);
	if (sodium_memcmp(chash, m.cipher_hash, sizeof chash) != 0) {
		say(err, errlen, _("offset %d: the ciphertext hash does not "
				   "match the ciphertext"),
		    OFF_CHASH);
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	/* 4. AEAD, with magic..prev as associated data */
	flen = (size_t)m.cipher_len - TAG_BYTES;
	if ((frame = cds_malloc(flen)) == NULL) {
		say(err, errlen, "%s", _("out of memory"));
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    frame, &got, NULL, c, m.cipher_len, b, AD_BYTES, m.nonce,
		    key) != 0 ||
	    got != flen) {
		say(err, errlen, _("offset %zu: the ciphertext does not "
				   "decrypt (its tag does not match)"),
		    m.head_len + SIG_BYTES);
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	/* 5. one zstd frame that states the signed length */
	if (flen < sizeof zstd_magic ||
	    memcmp(frame, zstd_magic, sizeof zstd_magic) != 0) {
		say(err, errlen, "%s", _("the decrypted payload is not a zstd "
					 "frame"));
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	r = ZSTD_findFrameCompressedSize(frame, flen);
	if (ZSTD_isError(r) || r != flen) {
		say(err, errlen, _("the decrypted payload is not exactly one "
				   "zstd frame (%s)"),
		    ZSTD_isError(r) ? ZSTD_getErrorName(r)
				    : _("bytes after the frame"));
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	got = ZSTD_getFrameContentSize(frame, flen);
	if (got == ZSTD_CONTENTSIZE_UNKNOWN || got == ZSTD_CONTENTSIZE_ERROR) {
		say(err, errlen, "%s", _("the zstd frame does not state its "
					 "size"));
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	if (got != m.plain_len) {
		say(err, errlen, _("the zstd frame says %llu bytes, the "
				   "header (offset %d) says %llu"),
		    got, OFF_PLAIN, (unsigned long long)m.plain_len);
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	if ((plain = cds_malloc((size_t)m.plain_len)) == NULL) {
		say(err, errlen, "%s", _("out of memory"));
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	r = ZSTD_decompress(plain, (size_t)m.plain_len, frame, flen);
	if (ZSTD_isError(r)) {
		rc = zcode(r, CDSYNC_EDECRYPT);
		say(err, errlen, _("the zstd frame does not decompress: %s"),
		    ZSTD_getErrorName(r));
		goto out;
	}
	if (r != m.plain_len) {
		say(err, errlen, _("the zstd frame gives %zu bytes, the "
				   "header (offset %d) says %llu"),
		    r, OFF_PLAIN, (unsigned long long)m.plain_len);
		rc = CDSYNC_EDECRYPT;
		goto out;
	}
	*payload = plain;
	plain = NULL;
	rc = CDSYNC_OK;
out:
	sodium_memzero(key, sizeof key);
	if (frame != NULL) {
		sodium_memzero(frame, flen);
		cds_free(frame);
	}
	if (plain != NULL) {
		sodium_memzero(plain, (size_t)m.plain_len);
		cds_free(plain);
	}
	return rc;
}

/* ==== Sealing ========================================================= */

/* Checks the arguments of cds_bundle_seal (SPEC.md §7.3 step 1). */
static int
checkargs(const struct cds_bundle_seal_args *a, const uint8_t *payload,
	  size_t n, char *err, size_t errlen)
{
	size_t i, j;

	if (a == NULL || a->node == NULL || a->sign_sk == NULL ||
	    a->rcpt_pk == NULL || (payload == NULL && n > 0)) {
		say(err, errlen, "%s", _("bundle: missing argument"));
		return CDSYNC_EINVAL;
	}
	if (a->seq == 0) {
		say(err, errlen, "%s", _("bundle: sequence number 0 (they "
					 "start at 1)"));
		return CDSYNC_EINVAL;
	}
	if (a->seq == 1 && a->prev != NULL &&
	    !allzero(a->prev, CDS_HASHBYTES)) {
		say(err, errlen, "%s", _("bundle 1 cannot have a previous "
					 "bundle"));
		return CDSYNC_EINVAL;
	}
	if (a->seq > 1 && (a->prev == NULL || allzero(a->prev,
						      CDS_HASHBYTES))) {
		say(err, errlen, _("bundle %llu needs the hash of bundle "
				   "%llu"),
		    (unsigned long long)a->seq,
		    (unsigned long long)(a->seq - 1));
		return CDSYNC_EINVAL;
	}
	if (a->nrcpt == 0 || a->nrcpt > CDS_BUNDLE_MAX_RCPT) {
		say(err, errlen, _("bundle: %zu recipients (from 1 to %d)"),
		    a->nrcpt, CDS_BUNDLE_MAX_RCPT);
		return CDSYNC_EINVAL;
	}
	for (i = 0; i < a->nrcpt; i++)
		for (j = 0; j < i; j++)
			if (memcmp(a->rcpt_pk[i], a->rcpt_pk[j],
				   CDS_BOX_PKBYTES) == 0) {
				say(err, errlen, _("bundle: recipients %zu "
						   "and %zu have the same "
						   "key"),
				    j + 1, i + 1);
				return CDSYNC_EINVAL;
			}
	if (n > CDS_BUNDLE_MAX_PLAIN) {
		say(err, errlen, _("bundle: a payload of %zu bytes is more "
				   "than %u MiB"),
		    n, CDS_BUNDLE_MAX_PLAIN >> 20);
		return CDSYNC_EINVAL;
	}
	if (a->count > CDS_BUNDLE_MAX_CHANGES) {
		say(err, errlen, _("bundle: %lu changes is more than %u"),
		    (unsigned long)a->count, CDS_BUNDLE_MAX_CHANGES);
		return CDSYNC_EINVAL;
	}
	return CDSYNC_OK;
}

int
cds_bundle_seal(const struct cds_bundle_seal_args *a,
		const uint8_t *payload, size_t n, uint8_t **out,
		size_t *outlen, struct cds_bundle_head *h, char *err,
		size_t errlen)
{
	static const uint8_t none[1] = { 0 };
	static const uint8_t zeros[CDS_HASHBYTES] = { 0 };
	uint8_t key[KEY_BYTES], nonce[NONCE_BYTES], pk[CDS_SIGN_PKBYTES];
	uint8_t chash[CDS_HASHBYTES], commit[CDS_HASHBYTES];
	uint8_t sealed[CDS_SEALEDBYTES];
	uint8_t *frame = NULL, *bytes = NULL, *c;
	size_t bound = 0, flen, hl, total = 0, i;
	unsigned long long clen;
	cds_buf hd;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (h != NULL)
		memset(h, 0, sizeof *h);
	cds_buf_init(&hd, 0);
	if ((rc = checkargs(a, payload, n, err, errlen)) != CDSYNC_OK)
		goto out;
	if (!started(err, errlen)) {
		rc = CDSYNC_ERROR;
		goto out;
	}
	hl = headlen(a->nrcpt);
	cds_buf_init(&hd, hl);
	/* 2. one zstd frame, its size stated */
	bound = ZSTD_compressBound(n);
	if (ZSTD_isError(bound) || (frame = cds_malloc(bound)) == NULL) {
		say(err, errlen, "%s", _("out of memory"));
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	flen = ZSTD_compress(frame, bound, payload ? payload : none, n,
			     ZSTD_LEVEL);
	if (ZSTD_isError(flen)) {
		rc = zcode(flen, CDSYNC_ERROR);
		say(err, errlen, _("bundle: zstd: %s"),
		    ZSTD_getErrorName(flen));
		goto out;
	}
	if (flen > CDS_BUNDLE_MAX_BYTES - hl - SIG_BYTES - TAG_BYTES) {
		say(err, errlen, _("bundle: the payload compresses to %zu "
				   "bytes, more than a bundle may have (%u "
				   "MiB)"),
		    flen, CDS_BUNDLE_MAX_BYTES >> 20);
		rc = CDSYNC_EINVAL;
		goto out;
	}
	total = hl + SIG_BYTES + flen + TAG_BYTES;
	if ((bytes = cds_malloc(total)) == NULL) {
		say(err, errlen, "%s", _("out of memory"));
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	c = bytes + hl + SIG_BYTES;
	/* 3. fresh content key and nonce */
	randombytes_buf(key, sizeof key);
	randombytes_buf(nonce, sizeof nonce);
	/* 4. magic .. prev, the associated data */
	crypto_sign_ed25519_sk_to_pk(pk, a->sign_sk);
	cds_buf_bytes(&hd, magic, sizeof magic);
	cds_buf_byte(&hd, CDS_BUNDLE_VERSION);
	cds_buf_byte(&hd, (uint8_t)a->nrcpt);
	cds_buf_bytes(&hd, a->node, 16);
	cds_buf_bytes(&hd, pk, sizeof pk);
	put64(&hd, a->seq);
	cds_buf_bytes(&hd, a->prev ? a->prev : zeros, CDS_HASHBYTES);
	if (hd.rc != 0)
		goto buferr;
	/* 5. encrypt */
	crypto_aead_xchacha20poly1305_ietf_encrypt(c, &clen, frame, flen,
						   hd.p, AD_BYTES, NULL,
						   nonce, key);
	sodium_memzero(frame, bound);
	cds_free(frame);
	frame = NULL;
	/* 6. the rest of the header */
	crypto_generichash(chash, sizeof chash, c, (size_t)clen, NULL, 0);
	keycommit(commit, key);
	put64(&hd, a->hlc);
	put32(&hd, a->count);
	put64(&hd, n);
	put64(&hd, clen);
	cds_buf_bytes(&hd, nonce, sizeof nonce);
	cds_buf_bytes(&hd, chash, sizeof chash);
	cds_buf_bytes(&hd, commit, sizeof commit);
	/* 7. the content key, sealed to each recipient */
	for (i = 0; i < a->nrcpt; i++) {
		if (crypto_box_seal(sealed, key, sizeof key, a->rcpt_pk[i]) !=
		    0) {
			say(err, errlen, _("bundle: recipient %zu: not a "
					   "usable X25519 public key"),
			    i + 1);
			rc = CDSYNC_EINVAL;
			goto out;
		}
		cds_buf_bytes(&hd, a->rcpt_pk[i], CDS_BOX_PKBYTES);
		cds_buf_bytes(&hd, sealed, sizeof sealed);
	}
	if (hd.rc != 0)
		goto buferr;
	if (hd.n != hl || clen != flen + TAG_BYTES) {
		say(err, errlen, "%s", _("bundle: internal size mismatch"));
		rc = CDSYNC_ERROR;
		goto out;
	}
	/* 8. sign the header, and check the key signs what it claims */
	memcpy(bytes, hd.p, hl);
	crypto_sign_detached(bytes + hl, NULL, bytes, hl, a->sign_sk);
	if (crypto_sign_verify_detached(bytes + hl, bytes, hl, pk) != 0) {
		say(err, errlen, "%s", _("bundle: the signing key is not a "
					 "valid Ed25519 secret key"));
		rc = CDSYNC_EINVAL;
		goto out;
	}
	if (h != NULL && parse(bytes, total, h, err, errlen) != CDSYNC_OK) {
		rc = CDSYNC_ERROR;
		goto out;
	}
	*out = bytes;
	*outlen = total;
	bytes = NULL;
	rc = CDSYNC_OK;
	goto out;
buferr:
	rc = hd.rc == CDSYNC_ENOMEM ? CDSYNC_ENOMEM : CDSYNC_ERROR;
	say(err, errlen, "%s", rc == CDSYNC_ENOMEM
				       ? _("out of memory")
				       : _("bundle: the header does not fit"));
out:
	sodium_memzero(key, sizeof key);
	if (frame != NULL) {
		sodium_memzero(frame, bound);
		cds_free(frame);
	}
	cds_free(bytes);
	cds_buf_free(&hd);
	if (rc != CDSYNC_OK && h != NULL)
		memset(h, 0, sizeof *h);
	return rc;
}
