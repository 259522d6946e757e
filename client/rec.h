/* rec.h -- the inside of a cdsync_rec, shared by write.c and query.c.
 *
 * A record holds one slot per field of its kind.  A slot is unset (not
 * mentioned), NULL, or a value kept both in its native form (integer,
 * 16-byte reference, text) and as canonical text for cdsync_rec_get().
 * Parsing and checking of single values happens when a field is set, so a
 * record that exists only holds valid values.
 */
#ifndef CDS_REC_H
#define CDS_REC_H

#include <sqlite3.h>

#include "cdsync/cdsync.h"
#include "kinds.h"
#include "record.h"

struct cds_slot {
	unsigned char set;	/* field mentioned */
	unsigned char null;	/* ... as NULL */
	int64_t i;		/* integer-like types */
	uint8_t ref[16];	/* CDSYNC_FT_REF */
	char *text;		/* canonical text, cds_malloc'd (not NULL
				 * when set && !null) */
};

struct cdsync_rec {
	const struct cds_kind *k;	/* its kind */
	int has_id;			/* id known */
	uint8_t id[16];			/* the row id */
	struct cds_slot *s;		/* k->nfields slots; s[0] is id */
	char err[640];			/* last error of a setter */
};

/* Loads slot values from a row whose columns are the kind's fields in
 * order, starting at column `first`. */
int cds_rec_load(cdsync_rec *r, sqlite3_stmt *st, int first);
/* Binds slot i's value to parameter `param`. */
int cds_rec_bind(const cdsync_rec *r, size_t i, sqlite3_stmt *st, int param);
/* The value of slot i for the column-set encoding. */
void cds_rec_val(const cdsync_rec *r, size_t i, cds_val *v);
/* Sets slot i from a stored value (column set or row); for merges and
 * backfills.  Returns a code. */
int cds_rec_set_val(cdsync_rec *r, size_t i, const cds_val *v);
/* Checks that slot i holds a value the API itself could have written
 * (right type, in range, canonical text, a listed choice): for values
 * that arrive from other nodes.  `scratch` (a record of the same kind,
 * or NULL) saves an allocation.  0, -1 with the reason in r->err, or -2
 * out of memory (nothing said of the value). */
int cds_rec_check(cdsync_rec *r, size_t i, cdsync_rec *scratch);
/* Sets a slot to NULL or clears it entirely. */
void cds_rec_clear(cdsync_rec *r, size_t i);

#endif
