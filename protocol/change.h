/* change.h -- changes and the payload of a bundle (SPEC.md "Changes" and
 * "Payload").
 *
 * A change is one captured write of one row: kind, row id, op (1 set, 2
 * delete), the writer's HLC, the origin node, the base (the greatest HLC
 * of that row the writer knew when it wrote: 0 for a new row) and, for a
 * set, the column set (record.h).  A payload is
 *     version u8 (1) | count varint | count x change
 *     change = kind u8 | row 16 | op u8 | hlc u64 | origin 16 |
 *              base varint | (op 1: colset length varint | colset)
 * The reader checks bounds, kind and op, the column set's canonical form
 * (record.h) and that the count matches; it never allocates: column sets
 * point into the payload.
 */
#ifndef CDS_CHANGE_H
#define CDS_CHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define CDS_PAYLOAD_VERSION 1
#define CDS_OP_SET 1
#define CDS_OP_DELETE 2

struct cds_change {
	uint8_t kind;		/* cdsync_kind */
	uint8_t row[16];	/* row id */
	uint8_t op;		/* CDS_OP_SET or CDS_OP_DELETE */
	uint64_t hlc;		/* writer's clock */
	uint8_t origin[16];	/* node that wrote it */
	uint64_t base;		/* greatest HLC of the row it had seen */
	const uint8_t *cols;	/* column set (op 1), else NULL */
	size_t ncols;		/* its length in bytes */
};

/* Writes the payload header for `count` changes. */
void cds_payload_begin(cds_buf *b, uint32_t count);
/* Appends one change. */
void cds_payload_put(cds_buf *b, const struct cds_change *c);

struct cds_payload_rd {
	const uint8_t *p;	/* payload */
	size_t n;		/* its length */
	size_t off;		/* next byte */
	uint64_t count;		/* changes announced */
	uint64_t done;		/* changes read */
};

/* Starts reading: checks the version and reads the count (which must not
 * exceed max_count).  0, or -1 with err naming the offset. */
int cds_payload_open(struct cds_payload_rd *r, const uint8_t *p, size_t n,
		     uint64_t max_count, char *err, size_t errlen);
/* The next change: 1 and *c, 0 at the end (having checked that the count
 * matched and nothing follows), -1 with err on malformed input.  kinds
 * above max_kind are refused. */
int cds_payload_next(struct cds_payload_rd *r, struct cds_change *c,
		     unsigned max_kind, char *err, size_t errlen);

#endif
