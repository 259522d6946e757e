/* receipt.h -- signed receipts (SPEC.md "Receipts").
 *
 * A hub that has taken a bundle in answers with a receipt: its own node
 * id and signing key, the bundle's sender, number and hash, whether it
 * merged the bundle or holds it until an earlier one arrives, the time
 * the hub first saw it and the time of the state the receipt reports,
 * both by the hub's clock, and (version 2) the index of the bundle's leaf
 * in the hub's transparency log (SPEC.md 12.1) -- all signed by the hub
 * under the context "cdsync receipt v1" or "cdsync receipt v2".  Each
 * version has one length (CDS_RECEIPT_BYTES_V1, CDS_RECEIPT_BYTES) and one
 * encoding, so the same state of the hub's store gives the same bytes.
 * Hubs write version 2; readers take both.
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

#define CDS_RECEIPT_V1 1		/* version 1: no leaf index */
#define CDS_RECEIPT_V2 2		/* version 2: with the leaf index */
#define CDS_RECEIPT_BYTES_V1 190	/* a whole version 1 receipt */
#define CDS_RECEIPT_SIG_AT_V1 126	/* offset of its signature */
#define CDS_RECEIPT_BYTES 198		/* a whole version 2 receipt */
#define CDS_RECEIPT_SIG_AT 134		/* offset of its signature */
#define CDS_RECEIPT_MAX 198		/* the longest receipt of any version */
#define CDS_RECEIPT_MERGED 1		/* status: merged at the hub */
#define CDS_RECEIPT_HELD 2		/* status: held for a gap */

struct cds_receipt {
	uint8_t version;		/* CDS_RECEIPT_V1 or _V2 */
	uint8_t hub[16];		/* the node that signs it */
	uint8_t hub_pk[32];		/* its Ed25519 key */
	uint8_t node[16];		/* the bundle's sender */
	uint64_t seq;			/* its number in the sender's chain */
	uint8_t hash[32];		/* the bundle's hash (SPEC.md 7.2) */
	uint8_t status;			/* CDS_RECEIPT_MERGED or _HELD */
	uint64_t seen_ms;		/* the hub first took it in */
	uint64_t made_ms;		/* the hub reached `status` */
	uint64_t leaf;			/* v2: its leaf in the hub's log
					 * (SPEC.md 12.1); 0 in v1 */
};

/* The length of a receipt of that version (CDS_RECEIPT_BYTES_V1 or
 * CDS_RECEIPT_BYTES), 0 for a version that does not exist. */
size_t cds_receipt_len(unsigned version);
/* Encodes r in the version r->version says (1 or 2; any other sets
 * b->rc = CDSYNC_EINVAL), signed with sign_sk (whose public half must be
 * r->hub_pk); errors stick in b->rc.  Version 1 does not carry r->leaf. */
void cds_receipt_write(cds_buf *b, const struct cds_receipt *r,
		       const uint8_t sign_sk[64]);
/* Parses p[0..n) into *r with bounds: magic, version 1 or 2, seq >= 1, a
 * known status, exactly cds_receipt_len(version) bytes.  The signature is
 * NOT checked.  0, or -1 with err saying what and at which offset. */
int cds_receipt_read(const uint8_t *p, size_t n, struct cds_receipt *r,
		     char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Checks the signature of a receipt cds_receipt_read accepted, by the key
 * it names (r->hub_pk), under the context of its version.  0; -1 with
 * err; -2 out of memory. */
int cds_receipt_verify(const uint8_t *p, size_t n,
		       const struct cds_receipt *r, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
