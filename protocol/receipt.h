/* receipt.h -- signed receipts (SPEC.md "Receipts").
 *
 * A hub that has taken a bundle in answers with a receipt: its own node
 * id and signing key, the bundle's sender, number and hash, whether it
 * merged the bundle or holds it until an earlier one arrives, the time
 * the hub first saw it and the time of the state the receipt reports,
 * both by the hub's clock -- all signed by the hub under the context
 * "cdsync receipt v1".  A receipt has one length (CDS_RECEIPT_BYTES) and
 * one encoding, so the same state of the hub's store gives the same
 * bytes.
 *
 * Pure functions: encoding, a bounded reader (doc.h) and the signature.
 * Which hubs a node believes, and for which bundles, is the store's to
 * judge (client/receipt.c).  Reading and verifying are two calls, so that
 * a caller can tell "signed by a key we do not know" (checked between
 * them) from "damaged".
 */
#ifndef CDS_RECEIPT_H
#define CDS_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define CDS_RECEIPT_BYTES 190		/* the whole receipt, signed */
#define CDS_RECEIPT_SIG_AT 126		/* offset of the signature */
#define CDS_RECEIPT_MERGED 1		/* status: merged at the hub */
#define CDS_RECEIPT_HELD 2		/* status: held for a gap */

struct cds_receipt {
	uint8_t hub[16];		/* the node that signs it */
	uint8_t hub_pk[32];		/* its Ed25519 key */
	uint8_t node[16];		/* the bundle's sender */
	uint64_t seq;			/* its number in the sender's chain */
	uint8_t hash[32];		/* the bundle's hash (SPEC.md 7.2) */
	uint8_t status;			/* CDS_RECEIPT_MERGED or _HELD */
	uint64_t seen_ms;		/* the hub first took it in */
	uint64_t made_ms;		/* the hub reached `status` */
};

/* Encodes r signed with sign_sk (whose public half must be r->hub_pk);
 * errors stick in b->rc. */
void cds_receipt_write(cds_buf *b, const struct cds_receipt *r,
		       const uint8_t sign_sk[64]);
/* Parses p[0..n) into *r with bounds: magic, version 1, seq >= 1, a known
 * status, exactly CDS_RECEIPT_BYTES bytes.  The signature is NOT checked.
 * 0, or -1 with err saying what and at which offset. */
int cds_receipt_read(const uint8_t *p, size_t n, struct cds_receipt *r,
		     char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Checks the signature of a receipt cds_receipt_read accepted, by the key
 * it names (r->hub_pk).  0; -1 with err; -2 out of memory. */
int cds_receipt_verify(const uint8_t *p, size_t n,
		       const struct cds_receipt *r, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
