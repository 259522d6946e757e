/* kinds.h -- what each record kind is made of.
 *
 * One static table describes every kind: its table, its fields in wire
 * order (the order of the columns in schema/, SPEC.md "Kinds"), each
 * field's type, rules and label.  The record, write and query code is
 * generic over this table; a unit test checks it against the schema
 * (PRAGMA table_info) so the two cannot drift apart.  Field numbers and
 * kind numbers are frozen: new fields are appended, never renumbered.
 */
#ifndef CDS_KINDS_H
#define CDS_KINDS_H

#include <stddef.h>
#include <stdint.h>

#include "cdsync/cdsync.h"

struct cds_field {
	const char *name;		/* column name */
	const char *label;		/* English msgid of its label */
	cdsync_ftype type;
	cdsync_kind ref;		/* for CDSYNC_FT_REF */
	int required;			/* NOT NULL with no default */
	int64_t min, max;		/* CDSYNC_FT_INT / YEAR ranges */
	size_t maxlen;			/* CDSYNC_FT_TEXT, in bytes */
	const char *const *choices;	/* CDSYNC_FT_CHOICE */
	const char *dflt;		/* default value (canonical text) */
};

struct cds_kind {
	cdsync_kind kind;
	const char *name;		/* also the table name */
	const char *label;		/* English msgid */
	const struct cds_field *fields;
	size_t nfields;
	int org;			/* index of org_id, or -1 */
	int parent;			/* index of the owning ref (benefit's
					 * activity_id), or -1 */
	const char *order;		/* ORDER BY of natural order */
	int natural;			/* index of a natural key, or -1 */
};

const struct cds_kind *cds_kind(cdsync_kind kind);
/* Index of a field by name, or -1. */
int cds_field_index(const struct cds_kind *k, const char *name);
/* The kinds in an order where referenced rows come first. */
extern const cdsync_kind cds_kind_order[CDSYNC_KIND_MAX];

#endif
