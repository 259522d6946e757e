/* lan.h -- the messages of the LAN sync between a paired device and its
 * school node (SPEC.md "LAN sync").  Pure functions; no store, no socket.
 *
 * A request goes from the device to the node, a reply back; each is an
 * envelope around a box (XSalsa20-Poly1305 under the X25519 key the two
 * pairing key pairs share), so only the two of them read it and each
 * knows the other wrote it.  A node that cannot open a request answers
 * with a refusal, which is not authenticated: a device takes it as a
 * failure to sync, never as data.
 *
 *   request = "CDSL" 1 type:u8 (1) client:16 node_box:32 nonce:24 box
 *   reply   = "CDSL" 1 type:u8 (2) nonce:24 box
 *   refusal = "CDSL" 1 type:u8 (3) code:u8 message:text
 *
 * Inside a request's box: what the device pulled last (after), its own
 * newest clock, how many changes it takes back, then a payload (SPEC.md
 * "Payload") of the changes it pushes.  Inside a reply's box: the nonce
 * of the request it answers, a status, the node's newest clock of the
 * device's changes (what it holds of them), where the pulled batch ends,
 * how many changes are left after it, a message, and the payload of the
 * batch.
 */
#ifndef CDS_LAN_H
#define CDS_LAN_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

#define CDS_LAN_MAX (16u << 20)	/* bytes of a message, at most */
#define CDS_LAN_NONCE 24
#define CDS_LAN_MAC 16

enum { CDS_LAN_REQUEST = 1, CDS_LAN_REPLY = 2, CDS_LAN_REFUSAL = 3 };

/* A position in the node's change log: its sequence number, and the
 * clock and origin of the change there (all zero: the start). */
struct cds_lan_pos {
	uint64_t seq, hlc;
	uint8_t origin[16];
};

struct cds_lan_req {
	struct cds_lan_pos after;	/* the last change pulled */
	uint64_t own_hlc;		/* the device's newest own change */
	uint64_t want;			/* changes it takes back, at most */
	const uint8_t *payload;		/* pushed changes (points into the */
	size_t plen;			/* plaintext read) */
};

struct cds_lan_rep {
	uint8_t req_nonce[CDS_LAN_NONCE];	/* of the request answered */
	uint8_t status;			/* 0, or the CDSYNC_E* of a refusal */
	uint64_t acked_hlc;		/* newest change of the device held */
	struct cds_lan_pos next;	/* where the batch ends */
	uint64_t remaining;		/* changes still to pull after it */
	char message[CDS_TRUST_STR_MAX + 1];	/* why, when status != 0 */
	const uint8_t *payload;		/* the pulled batch */
	size_t plen;
};

/* What an envelope says (box points into the bytes read). */
struct cds_lan_env {
	uint8_t type;
	uint8_t client[16];		/* request */
	uint8_t node_box[32];		/* request: the key it is sealed to */
	uint8_t nonce[CDS_LAN_NONCE];	/* request, reply */
	const uint8_t *box;		/* request, reply */
	size_t boxlen;
	uint8_t code;			/* refusal */
	char message[CDS_TRUST_STR_MAX + 1];	/* refusal */
};

/* The plaintexts; errors stick in b->rc. */
void cds_lan_req_write(cds_buf *b, const struct cds_lan_req *r);
void cds_lan_rep_write(cds_buf *b, const struct cds_lan_rep *r);
/* 0, or -1 with err naming the offset (the payload is not parsed here). */
int cds_lan_req_read(const uint8_t *p, size_t n, struct cds_lan_req *r,
		     char *err, size_t errlen)
	__attribute__((warn_unused_result));
int cds_lan_rep_read(const uint8_t *p, size_t n, struct cds_lan_rep *r,
		     char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The key a device and its node share: from one side's X25519 secret
 * and the other's public key.  -1 for a public key of low order. */
int cds_lan_key(uint8_t k[32], const uint8_t peer_pk[32],
		const uint8_t own_sk[32]) __attribute__((warn_unused_result));

/* Writes a request (client and node_box set) or a reply envelope around
 * the boxed plain[0..n) with nonce (random when NULL; the nonce used is
 * copied to nonce_out when not NULL). */
void cds_lan_seal(cds_buf *b, uint8_t type, const uint8_t *client,
		  const uint8_t *node_box, const uint8_t *nonce,
		  const uint8_t k[32], const uint8_t *plain, size_t n,
		  uint8_t *nonce_out);
/* s cut to at most CDS_TRUST_STR_MAX bytes at a character boundary. */
void cds_lan_text(char out[CDS_TRUST_STR_MAX + 1], const char *s);
void cds_lan_refusal_write(cds_buf *b, uint8_t code, const char *message);
/* Reads an envelope.  0, or -1 with err. */
int cds_lan_env_read(const uint8_t *p, size_t n, struct cds_lan_env *e,
		     char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Opens the box of e: 0 and *plain (cds_malloc'd, *n bytes; the caller
 * wipes and frees it), -1 if it does not authenticate under k, -2 out of
 * memory. */
int cds_lan_open(const struct cds_lan_env *e, const uint8_t k[32],
		 uint8_t **plain, size_t *n)
	__attribute__((warn_unused_result));

#endif
