/* catalog.h -- enrolment requests and the signed catalog (SPEC.md
 * "Trust").
 *
 * A request is a new node's public keys and place in the tree, signed by
 * its own new key.  The catalog is a set of sheets; a sheet is one node's
 * signed, numbered list of entries about its own children: a node entry
 * (keys, org unit, role, validity) certifies a child, a revocation
 * withdraws a child's key from a time on.  The national root signs its
 * own sheet, which certifies itself and the level below; every other
 * sheet is trusted when a trusted sheet certifies its issuer's key, and
 * holds entries for its issuer's children only (delegation).
 *
 * Everything here is pure: encoding, parsing with bounds, signatures, and
 * the chain from a root key.  The store keeps the sheets, refuses an older
 * sheet than it has (client/trust.c) and applies them.
 */
#ifndef CDS_CATALOG_H
#define CDS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define CDS_TRUST_STR_MAX 255		/* bytes of a code, name or reason */
#define CDS_SHEET_MAX_ENTRIES 20000
#define CDS_CATALOG_MAX_SHEETS 4096
#define CDS_CATALOG_MAX_BYTES (32u << 20)
#define CDS_FPR_CHARS 19		/* "XXXX-XXXX-XXXX-XXXX" */

#define CDS_ENTRY_NODE 1
#define CDS_ENTRY_REVOKE 2
#define CDS_ENTRY_HANDOVER 3
#define CDS_HANDOVER_BYTES 197		/* a hand-over file, signed */

struct cds_request {
	uint8_t node[16];
	uint8_t role;			/* cdsync_role */
	uint8_t sign_pk[32];
	uint8_t box_pk[32];
	uint64_t created_ms;
	char org_code[CDS_TRUST_STR_MAX + 1];
	char org_name[CDS_TRUST_STR_MAX + 1];
	char parent_code[CDS_TRUST_STR_MAX + 1];
};

/* Encodes r and signs it with sign_sk (whose public half must be
 * r->sign_pk); errors stick in b->rc. */
void cds_request_write(cds_buf *b, const struct cds_request *r,
		       const uint8_t sign_sk[64]);
/* Parses a request and checks its signature by its own key.  0, -1 with
 * err saying what and at which offset, or -2 when out of memory. */
int cds_request_read(const uint8_t *p, size_t n, struct cds_request *r,
		     char *err, size_t errlen);

struct cds_entry {
	uint8_t type;			/* CDS_ENTRY_NODE or _REVOKE */
	uint8_t node[16];
	uint8_t role;			/* node */
	uint8_t sign_pk[32];		/* node: its key; revoke: the key */
	uint8_t box_pk[32];		/* node */
	uint64_t from_ms;		/* node: valid from; revoke: from */
	uint64_t until_ms;		/* node: valid until (0: no end) */
	char org_code[CDS_TRUST_STR_MAX + 1];	/* node */
	char name[CDS_TRUST_STR_MAX + 1];	/* node: org name; revoke:
						 * the reason */
	char parent_code[CDS_TRUST_STR_MAX + 1];	/* node ("" root) */
	uint8_t new_pk[32];		/* hand-over: the new signing key */
	uint8_t new_box[32];		/* hand-over: the new X25519 key */
	uint64_t seq;			/* hand-over: first bundle it signs */
	uint8_t sig[64];		/* hand-over: by the old key */
};

/* A hand-over (SPEC.md "Hand-over"): the key sign_pk of `node` hands
 * over to new_pk (and the X25519 key new_box) from bundle from_seq of
 * its chain on; signed by the old key.  A sheet's hand-over entry carries
 * the same fields and signature. */
struct cds_handover {
	uint8_t node[16];
	uint8_t old_pk[32];
	uint8_t new_pk[32];
	uint8_t new_box[32];
	uint64_t from_seq;
	uint64_t at_ms;
	uint8_t sig[64];
};

/* Encodes h signed with old_sk (whose public half is h->old_pk); the
 * signature is also written to h->sig.  Errors stick in b->rc. */
void cds_handover_write(cds_buf *b, struct cds_handover *h,
			const uint8_t old_sk[64]);
/* Parses a hand-over and checks its signature by the old key.  0, -1 with
 * err, -2 out of memory. */
int cds_handover_read(const uint8_t *p, size_t n, struct cds_handover *h,
		      char *err, size_t errlen)
	__attribute__((warn_unused_result));

struct cds_sheet {
	uint8_t issuer[16];		/* issuer's node id */
	uint8_t issuer_pk[32];		/* the key that signs it */
	uint64_t serial;		/* grows with each new edition */
	uint64_t issued_ms;
	uint32_t kpi_version;		/* KPI definitions (root sheet) */
	size_t count;
	struct cds_entry *e;		/* count entries */
};

/* Encodes s and signs it with sign_sk; errors stick in b->rc. */
void cds_sheet_write(cds_buf *b, const struct cds_sheet *s,
		     const uint8_t sign_sk[64]);
/* Parses a sheet and checks that it is signed by the key it names (the
 * chain decides whether that key is trusted).  0; -1 with err; -2 out of
 * memory.  Free with cds_sheet_free. */
int cds_sheet_read(const uint8_t *p, size_t n, struct cds_sheet *s,
		   char *err, size_t errlen);
void cds_sheet_free(struct cds_sheet *s);

/* A catalog file: sheets, each with its length. */
void cds_catalog_write(cds_buf *b, const uint8_t *const *sheet,
		       const size_t *len, size_t n);
/* Splits a catalog file into its sheets (pointers into p); *sheet and
 * *len are cds_malloc'd.  0, -1 with err, -2 out of memory. */
int cds_catalog_split(const uint8_t *p, size_t n, const uint8_t ***sheet,
		      size_t **len, size_t *count, char *err, size_t errlen);

/*
 * Orders sheets into a chain from the root key: order[0] is the sheet
 * signed by root_pk, which must certify its own issuer; each later sheet
 * is signed by a key that an earlier one certifies (a node entry with the
 * same node id and key), and every node entry of a sheet names its
 * issuer's org code as its parent and every revocation a node that sheet
 * certifies.  Refuses (-1, err naming the sheet) a sheet no trusted key
 * signs, an entry outside its signer's subtree, two sheets from one
 * issuer.  order has room for n.
 */
int cds_trust_chain(const struct cds_sheet *s, size_t n,
		    const uint8_t root_pk[32], size_t *order, char *err,
		    size_t errlen);

/* A key's fingerprint for reading over the phone: 80 bits of
 * BLAKE2b(sign_pk || box_pk) in Crockford base32, "XXXX-XXXX-XXXX-XXXX". */
void cds_fingerprint(const uint8_t sign_pk[32], const uint8_t box_pk[32],
		     char out[CDS_FPR_CHARS + 1]);

#endif
