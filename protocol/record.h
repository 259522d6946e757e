/* record.h -- the canonical binary encoding of a column set
 * (SPEC.md "Column sets").
 *
 * A column set is the columns one change writes to one row, with their
 * values:  count:varint, then `count` times  column:varint, value.  The
 * columns are strictly increasing; a value is a tag byte and its payload:
 * 0 NULL; 1 integer (zigzag varint); 2 text (length varint, UTF-8 bytes);
 * 3 blob (length varint, bytes).  Varints are unsigned LEB128 in their
 * shortest form.  There is exactly one encoding of each column set, so its
 * bytes can be hashed and signed.
 *
 * The writer threads a sticky error through a growing buffer (SQLite's
 * sessionAppend* manner): after a failed append every later append is a
 * no-op and the buffer's rc says why.  The reader is bounds-checked and
 * refuses anything that is not canonical, naming the byte offset.
 */
#ifndef CDS_RECORD_H
#define CDS_RECORD_H

#include <stddef.h>
#include <stdint.h>

enum cds_vtype { CDS_V_NULL = 0, CDS_V_INT = 1, CDS_V_TEXT = 2,
		 CDS_V_BLOB = 3 };

typedef struct cds_val {
	enum cds_vtype type;
	int64_t i;		/* CDS_V_INT */
	const uint8_t *p;	/* CDS_V_TEXT, CDS_V_BLOB: bytes */
	size_t n;		/* their length */
} cds_val;

typedef struct cds_buf {
	uint8_t *p;		/* bytes (cds_malloc'd) */
	size_t n;		/* used */
	size_t cap;		/* allocated */
	size_t max;		/* growth limit */
	int rc;			/* 0, or CDSYNC_ENOMEM / CDSYNC_EINVAL */
} cds_buf;

/* Limits a decoder enforces. */
#define CDS_COLSET_MAX_COLS 64
#define CDS_VALUE_MAX_BYTES (1u << 20)

void cds_buf_init(cds_buf *b, size_t max);
void cds_buf_free(cds_buf *b);
void cds_buf_reset(cds_buf *b);
void cds_buf_byte(cds_buf *b, uint8_t v);
void cds_buf_bytes(cds_buf *b, const void *p, size_t n);
void cds_buf_varint(cds_buf *b, uint64_t v);
void cds_buf_value(cds_buf *b, const cds_val *v);

/* Appends a whole column set; cols must be strictly increasing. */
void cds_colset_put(cds_buf *b, size_t count, const uint32_t *cols,
		    const cds_val *vals);

/*
 * Decodes a column set from p[0..n) into cols[] and vals[] (room for
 * CDS_COLSET_MAX_COLS each; text and blob values point into p).  Returns
 * 0 and *count, or -1 with err saying what and at which offset.  The
 * whole input must be consumed.
 */
int cds_colset_get(const uint8_t *p, size_t n, uint32_t *cols, cds_val *vals,
		   size_t *count, char *err, size_t errlen);

#endif
