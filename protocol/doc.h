/* doc.h -- the small signed documents of SPEC.md "Trust": enrolment
 * requests, sheets, catalogs, hand-overs, pairing requests and client
 * certificates share one way of writing and of reading them.
 *
 * Writing appends to a cds_buf (errors stick in b->rc).  Reading goes
 * through a bounded reader whose getters fail on short input and write
 * "<what> offset N: <why>" into the caller's err; each returns 0 or -1
 * (cds_rd_verify also -2 when out of memory).  Integers are big-endian;
 * text is length:varint (at most 255) and well-formed UTF-8 without NUL.
 * A signature is pure Ed25519 over the context string with its NUL, then
 * every byte of the document before the signature.
 */
#ifndef CDS_DOC_H
#define CDS_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "record.h"

void cds_doc_u64(cds_buf *b, uint64_t v);
/* Text of at most CDS_TRUST_STR_MAX bytes (longer: b->rc = EINVAL). */
void cds_doc_str(cds_buf *b, const char *s);
/* Signs b->p[start..) under ctx and appends the 64-byte signature. */
void cds_doc_sign(cds_buf *b, size_t start, const char *ctx,
		  const uint8_t sk[64]);

struct cds_rd {
	const uint8_t *p;		/* the document */
	size_t n, off;			/* its length, the read position */
	char *err;			/* where messages go */
	size_t errlen;
	const char *what;		/* N_("sheet"), ... for messages */
};

int cds_rd_bad(struct cds_rd *r, size_t off, const char *why);
int cds_rd_need(struct cds_rd *r, size_t k);
int cds_rd_bytes(struct cds_rd *r, void *out, size_t k);
int cds_rd_byte(struct cds_rd *r, uint8_t *v);
int cds_rd_u64(struct cds_rd *r, uint64_t *v);
int cds_rd_varint(struct cds_rd *r, uint64_t *v);
int cds_rd_str(struct cds_rd *r, char out[CDS_TRUST_STR_MAX + 1]);
/* The 4-byte magic and version 1. */
int cds_rd_magic(struct cds_rd *r, const char m[4]);
/* The signature that ends the document (nothing may follow it), by pk
 * under ctx. */
int cds_rd_verify(struct cds_rd *r, const char *ctx, const uint8_t pk[32]);

#endif
