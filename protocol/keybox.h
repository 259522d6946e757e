/* keybox.h -- a node's secret keys at rest, under a passphrase (SPEC.md
 * "Secret keys at rest").
 *
 * A keybox holds the Ed25519 signing seed, the X25519 secret key and the
 * X25519 key pairs of earlier keys (kept after a rotation, so bundles
 * sealed to them still open), encrypted with XChaCha20-Poly1305 under a
 * key that Argon2id derives from the passphrase and a random salt.  The
 * node id and the header are authenticated, so a keybox moved into another
 * store does not open.  Pure functions; every secret on the stack is
 * wiped before return.
 */
#ifndef CDS_KEYBOX_H
#define CDS_KEYBOX_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define CDS_KEYBOX_MAX_OLD 16		/* earlier box keys kept */
#define CDS_KEYBOX_HEAD 61		/* magic to the end of the nonce */
#define CDS_PASS_MIN 8			/* bytes of a passphrase, at least */

/* What a keybox holds, in the clear. */
struct cds_keys {
	uint8_t sign_seed[32];		/* Ed25519 seed */
	uint8_t box_sk[32];		/* X25519 secret key */
	size_t nold;			/* earlier box key pairs */
	uint8_t old[CDS_KEYBOX_MAX_OLD][64];	/* pk (32) then sk (32) */
};

/* Argon2id cost: libsodium's "interactive" limits (64 MiB, 2 passes),
 * which a school PC or a phone can pay at each unlock. */
void cds_keybox_default_cost(uint64_t *opslimit, uint64_t *memlimit);

/*
 * Seals k for node under passphrase into b, with the given salt and
 * nonce (random ones from the caller; fixed ones in the vectors).  Errors
 * stick in b->rc: CDSYNC_ENOMEM when Argon2id cannot get its memory.
 */
void cds_keybox_seal(cds_buf *b, const struct cds_keys *k,
		     const uint8_t node[16], const char *passphrase,
		     uint64_t opslimit, uint64_t memlimit,
		     const uint8_t salt[16], const uint8_t nonce[24]);

/*
 * Opens a keybox.  0 with *k filled; -1 with err when the bytes are not a
 * keybox (what and at which offset); -3 when the passphrase is wrong (or
 * the box belongs to another node, or was altered: the three cannot be
 * told apart); -2 when out of memory.  *k is wiped on failure.
 */
int cds_keybox_open(const uint8_t *p, size_t n, const uint8_t node[16],
		    const char *passphrase, struct cds_keys *k, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

#endif
