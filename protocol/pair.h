/* pair.h -- pairing a client device with its school node (SPEC.md
 * "Pairing").
 *
 * The node shows a short code (60 random bits, "XXXX-XXXX-XXXX" in
 * Crockford base32) that its operator reads to the person holding the
 * client.  The client sends a pairing request with its keys, signed by
 * its own key and authenticated with a key derived from the code; the
 * node answers with a client certificate signed by its own key and
 * authenticated with the same code key, so each side knows the other is
 * the one the code was shown to.  Pure functions; no store.
 */
#ifndef CDS_PAIR_H
#define CDS_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

#define CDS_PAIR_CODE_CHARS 14		/* "XXXX-XXXX-XXXX" */
#define CDS_PAIR_MAC 32

struct cds_pair_request {
	uint8_t client[16];		/* the client's node id */
	uint8_t sign_pk[32];
	uint8_t box_pk[32];
	uint64_t created_ms;
	char device[CDS_TRUST_STR_MAX + 1];	/* "Điện thoại của cô Mỷ" */
};

struct cds_client_cert {
	uint8_t node[16];		/* the school node that certifies */
	uint8_t node_pk[32];		/* its signing key */
	uint8_t node_box[32];		/* its X25519 key */
	uint8_t client[16];
	uint8_t sign_pk[32];
	uint8_t box_pk[32];
	uint64_t issued_ms;
	uint64_t until_ms;		/* 0: no end */
	char org_code[CDS_TRUST_STR_MAX + 1];	/* the school's union */
	char device[CDS_TRUST_STR_MAX + 1];
};

/* A new code: 60 random bits as "XXXX-XXXX-XXXX". */
void cds_pair_code_new(char out[CDS_PAIR_CODE_CHARS + 1]);
/* The 32-byte key of a code as typed (any case, dashes and spaces
 * anywhere, O for 0, I and L for 1); -1 if it is not 12 base32 digits. */
int cds_pair_code_key(const char *typed, uint8_t key[32]);

/* Encodes r signed with sign_sk and authenticated with the code key;
 * errors stick in b->rc. */
void cds_pair_request_write(cds_buf *b, const struct cds_pair_request *r,
			    const uint8_t sign_sk[64],
			    const uint8_t code_key[32]);
/* Parses a request, checks its signature by its own key and its code
 * MAC.  0; -1 with err (layout or signature); -3 the code does not
 * match; -2 out of memory. */
int cds_pair_request_read(const uint8_t *p, size_t n,
			  const uint8_t code_key[32],
			  struct cds_pair_request *r, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Encodes c signed with the node's sign_sk and authenticated with the
 * code key (code_key NULL: no MAC, as kept in the store). */
void cds_client_cert_write(cds_buf *b, const struct cds_client_cert *c,
			   const uint8_t sign_sk[64],
			   const uint8_t *code_key);
/* Parses a certificate (with a MAC when code_key is not NULL), checks
 * the node's signature by the key it names.  0; -1; -3 the code does not
 * match; -2. */
int cds_client_cert_read(const uint8_t *p, size_t n,
			 const uint8_t *code_key, struct cds_client_cert *c,
			 char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
