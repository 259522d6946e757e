/* change.h -- changes and the payload of a bundle (SPEC.md "Changes" and
 * "Payload").
 *
 * A change is one captured write of one row: kind, row id, op (1 set, 2
 * delete), the writer's HLC, the origin node, the base (the greatest HLC
 * of that row the writer knew when it wrote: 0 for a new row, else below
 * the change's own HLC) and, for a set, the column set (record.h).
 *
 * A payload (version 2) holds a bundle's changes column by column, so
 * that zstd finds like next to like: the origins once, then every
 * change's kind, op and origin; row ids (the time part as a delta); HLCs
 * (as deltas) and bases (as distances back); each set's column mask; then
 * the values, grouped by kind and column.  There is one encoding of each
 * list of changes.  The reader checks every bound and the canonical form,
 * and gives the changes back in order with their column sets rebuilt in
 * the encoding of record.h (in memory it allocates, sized from the input).
 */
#ifndef CDS_CHANGE_H
#define CDS_CHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define CDS_PAYLOAD_VERSION 2
#define CDS_OP_SET 1
#define CDS_OP_DELETE 2

struct cds_change {
	uint8_t kind;		/* cdsync_kind */
	uint8_t row[16];	/* row id */
	uint8_t op;		/* CDS_OP_SET or CDS_OP_DELETE */
	uint64_t hlc;		/* writer's clock (below 2^63) */
	uint8_t origin[16];	/* node that wrote it */
	uint64_t base;		/* greatest HLC of the row it had seen */
	const uint8_t *cols;	/* column set (op 1), else NULL */
	size_t ncols;		/* its length in bytes */
};

/* Appends the payload of changes c[0..n) to b (errors stick in b->rc:
 * CDSYNC_EINVAL for a change that cannot be encoded, say a column set that
 * is not canonical or a base not below its HLC). */
void cds_payload_write(cds_buf *b, const struct cds_change *c, size_t n);

/* A decoded payload: the changes, and the memory their column sets live
 * in. */
struct cds_payload {
	struct cds_change *ch;
	size_t count;
	uint8_t *mem;		/* the column sets */
	size_t memlen;		/* its size in bytes */
};

/*
 * Decodes p[0..n): at most max_count changes, kinds 1..max_kind.  Returns
 * 0 with *out filled (free it with cds_payload_free), -1 with err naming
 * the byte offset and the fault, or -2 when out of memory.
 */
int cds_payload_read(const uint8_t *p, size_t n, uint64_t max_count,
		     unsigned max_kind, struct cds_payload *out, char *err,
		     size_t errlen);
void cds_payload_free(struct cds_payload *pl);

#endif
