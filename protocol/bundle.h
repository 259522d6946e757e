/* bundle.h -- bundle files: one node's changes, compressed, encrypted to
 * each recipient, signed, chained (SPEC.md "Bundles").
 *
 * A bundle is  header || signature || ciphertext.  The header says who
 * sent it (node id and Ed25519 public key), its place in the sender's
 * chain (sequence number, hash of the previous bundle), the sizes, the
 * nonce, the BLAKE2b-256 hash of the ciphertext, a commitment to the
 * content key, and for each recipient its X25519 public key and the
 * content key sealed to it (crypto_box_seal).  The Ed25519 signature
 * covers every header byte.  The ciphertext is XChaCha20-Poly1305 (IETF)
 * of the zstd-compressed payload under the content key.
 *
 * A receiver checks cheapest first and stops at the first failure:
 *   cds_bundle_head    sizes and caps, layout (no crypto)
 *   (caller)           is h->sign_pk the known key of h->node?
 *   cds_bundle_verify  the signature
 *   (caller)           the chain: h->seq and h->prev against what it has
 *   cds_bundle_open    our sealed key, its commitment, the ciphertext
 *                      hash, AEAD decryption, zstd with the signed
 *                      plaintext length as the cap
 *   (caller)           parse the payload with bounds (change.h)
 * Every function returns a cdsync_code and writes a reason naming the
 * field (and byte offset where it helps) to err[errlen]; outputs are
 * zeroed/NULL on failure.  Allocation through alloc.h; secrets wiped.
 */
#ifndef CDS_BUNDLE_H
#define CDS_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define CDS_BUNDLE_VERSION 1
#define CDS_BUNDLE_MAX_BYTES (64u << 20)	/* a whole bundle file */
#define CDS_BUNDLE_MAX_PLAIN (256u << 20)	/* its payload, unpacked */
#define CDS_BUNDLE_MAX_CHANGES 1000000u
#define CDS_BUNDLE_MAX_RCPT 8
#define CDS_SIGN_PKBYTES 32
#define CDS_SIGN_SKBYTES 64
#define CDS_BOX_PKBYTES 32
#define CDS_BOX_SKBYTES 32
#define CDS_HASHBYTES 32
#define CDS_SEALEDBYTES 80			/* crypto_box_seal(32) */

struct cds_rcpt {
	uint8_t box_pk[CDS_BOX_PKBYTES];	/* recipient's X25519 key */
	uint8_t sealed[CDS_SEALEDBYTES];	/* content key sealed to it */
};

struct cds_bundle_head {
	uint8_t version;			/* CDS_BUNDLE_VERSION */
	uint8_t node[16];			/* sender node id */
	uint8_t sign_pk[CDS_SIGN_PKBYTES];	/* sender's Ed25519 key */
	uint64_t seq;				/* 1, 2, ... per sender */
	uint8_t prev[CDS_HASHBYTES];		/* hash of bundle seq-1, or 0s */
	uint64_t hlc;				/* sender's clock at sealing */
	uint32_t count;				/* changes in the payload */
	uint64_t plain_len;			/* payload bytes, unpacked */
	uint64_t cipher_len;			/* ciphertext bytes */
	uint8_t nonce[24];			/* XChaCha20-Poly1305 nonce */
	uint8_t cipher_hash[CDS_HASHBYTES];	/* BLAKE2b-256(ciphertext) */
	uint8_t key_commit[CDS_HASHBYTES];	/* commitment to the key */
	uint8_t nrcpt;				/* 1..CDS_BUNDLE_MAX_RCPT */
	struct cds_rcpt rcpt[CDS_BUNDLE_MAX_RCPT];
	size_t head_len;			/* header bytes (signed) */
	uint8_t hash[CDS_HASHBYTES];		/* BLAKE2b-256(header||sig):
						 * the bundle's id, chained */
};

struct cds_bundle_seal_args {
	const uint8_t *node;			/* 16 bytes */
	const uint8_t *sign_sk;			/* 64 bytes (holds the pk) */
	uint64_t seq;
	const uint8_t *prev;			/* 32 bytes; NULL for seq 1 */
	uint64_t hlc;
	uint32_t count;
	const uint8_t (*rcpt_pk)[CDS_BOX_PKBYTES]; /* recipients' keys */
	size_t nrcpt;				/* 1..CDS_BUNDLE_MAX_RCPT */
};

/* Makes a bundle of `payload` (n bytes): *out (cds_malloc'd, *outlen
 * bytes), and its header (hash included) in *h when h is not NULL. */
int cds_bundle_seal(const struct cds_bundle_seal_args *a,
		    const uint8_t *payload, size_t n, uint8_t **out,
		    size_t *outlen, struct cds_bundle_head *h, char *err,
		    size_t errlen);

/* Parses and size-checks the header of b[0..n) into *h (hash included).
 * CDSYNC_EBADBUNDLE with the field and offset on anything off. */
int cds_bundle_head(const uint8_t *b, size_t n, struct cds_bundle_head *h,
		    char *err, size_t errlen);

/* Checks the signature of a parsed bundle against h->sign_pk:
 * CDSYNC_OK or CDSYNC_EBADSIG.  Verify and open read b again and compare
 * its hash with h->hash: CDSYNC_EBADBUNDLE if b is no bundle, and
 * CDSYNC_EINVAL if h was not read from these bytes. */
int cds_bundle_verify(const uint8_t *b, size_t n,
		      const struct cds_bundle_head *h, char *err,
		      size_t errlen) __attribute__((warn_unused_result));

/* Decrypts for the recipient (box_pk, box_sk): CDSYNC_ENOTRECIPIENT if no
 * recipient entry has box_pk; CDSYNC_EDECRYPT if the key does not open or
 * does not match its commitment, the ciphertext hash or the AEAD tag do
 * not match, or zstd does not give exactly h->plain_len bytes;
 * CDSYNC_ENOMEM.  On success *payload (cds_malloc'd; the caller wipes and
 * frees it) holds h->plain_len bytes; on failure it is NULL. */
int cds_bundle_open(const uint8_t *b, size_t n,
		    const struct cds_bundle_head *h,
		    const uint8_t box_pk[CDS_BOX_PKBYTES],
		    const uint8_t box_sk[CDS_BOX_SKBYTES], uint8_t **payload,
		    char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
