/* snapshot.h -- signed rollup snapshots (SPEC.md "Rollup snapshots").
 *
 * A hub's snapshot states the figures its nightly rollup gives for every
 * org unit of a subtree and every period of the term, and names exactly
 * what they were computed from: the checkpoint of the hub's log (§12.4,
 * carried whole), the hash of its catalog, the tree's day, for each node
 * whose bundles count the last bundle merged (its "head"), and the
 * editions of the catalog sheets of its subtree (carried whole: they
 * enrol the units that have sent nothing yet).  The
 * same inputs give the same bytes on any machine: units in id order,
 * cells sparse in a fixed order, integers only, no time of making.
 *
 * Pure functions over a cds_buf and a bounded reader (doc.h).  Writing is
 * streamed -- the header, then each unit, then the signature -- so a hub
 * never holds more than the bytes.  Reading checks the layout and the
 * canonical form; the signature is checked by cds_snap_verify, a call of
 * its own, so a caller can tell "a key we do not know" from "damaged".
 * What a hub or an auditor does with a snapshot is client/snapstore.c's.
 */
#ifndef CDS_SNAPSHOT_H
#define CDS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "record.h"

#define CDS_SNAP_PERIODS 36	/* the term, 5 school years, 6 years, 24 q */
#define CDS_SNAP_FIELDS 28	/* the sums of one unit and period */
#define CDS_SNAP_CELLS 1008	/* PERIODS x FIELDS */
#define CDS_SNAP_NOTE_MAX 131072	/* a checkpoint (§12.4) */
#define CDS_SNAP_MAX ((size_t)1 << 30)	/* a whole snapshot */

struct cds_snap_head {
	uint8_t node[16];	/* a node whose bundles count */
	uint64_t seq;		/* its last bundle merged */
	uint8_t hash[32];	/* that bundle's hash */
};

/* A catalog sheet carried in a snapshot (§10.3 bytes, signed). */
struct cds_snap_sheet {
	const uint8_t *p;
	size_t len;
};

struct cds_snap {
	uint8_t hub[16];			/* the node that signs */
	uint8_t hub_pk[32];			/* its Ed25519 key */
	char org[CDS_TRUST_STR_MAX + 1];	/* the subtree's root unit */
	char day[CDS_TRUST_STR_MAX + 1];	/* the tree's day */
	uint8_t catalog[32];			/* BLAKE2b of the catalog */
	const uint8_t *note;			/* the checkpoint, signed */
	size_t note_len;
	size_t nheads;
	const uint8_t *heads;	/* nheads x 56 bytes: cds_snap_head_at */
	size_t nsheets;
	size_t sheets_at;	/* offset of the first: cds_snap_sheet_next */
	char periods[CDS_SNAP_PERIODS][24];	/* their names */
	size_t nunits;
	size_t units_at;	/* offset of the first unit */
	size_t sig_at;		/* offset of the signature */
};

struct cds_snap_unit {
	uint8_t id[16];
	uint8_t parent[16];	/* zero for the root */
	uint8_t level;		/* 1 national, 2 upper, 3 grassroots */
	char code[CDS_TRUST_STR_MAX + 1];
	int64_t cells[CDS_SNAP_CELLS];	/* period * FIELDS + field */
};

/* Writing: the header (heads sorted by node id, strictly; sheets by
 * issuer, strictly; periods[i] the names), then each unit (ids strictly
 * increasing, cells >= 0), then the end, which signs everything from
 * `start` (b->n before the header) with sign_sk.  Errors stick in b->rc
 * (EINVAL for out of order, a sheet too short to name its issuer, or a
 * cell below 0). */
void cds_snap_write_head(cds_buf *b, const struct cds_snap *s,
			 const struct cds_snap_head *heads, size_t nheads,
			 const struct cds_snap_sheet *sheets, size_t nsheets,
			 size_t nunits);
void cds_snap_write_unit(cds_buf *b, const struct cds_snap_unit *u);
void cds_snap_write_end(cds_buf *b, size_t start, const uint8_t sk[64]);

/* Reads p[0..n): the header into *s (pointers into p), then every unit
 * for its layout, so that a snapshot read is whole (each sheet carried
 * is read and its own signature checked).  0, or -1 with err saying what
 * and at which offset, -2 out of memory.  The snapshot's signature is
 * NOT checked. */
int cds_snap_read(const uint8_t *p, size_t n, struct cds_snap *s, char *err,
		  size_t errlen) __attribute__((warn_unused_result));
/* The i-th head of a snapshot read. */
void cds_snap_head_at(const struct cds_snap *s, size_t i,
		      struct cds_snap_head *h);
/* The sheet at *off (starting at s->sheets_at) of a snapshot
 * cds_snap_read accepted, into *out (pointing into p); *off moves past
 * it.  Call it s->nsheets times. */
void cds_snap_sheet_next(const uint8_t *p, const struct cds_snap *s,
			 size_t *off, struct cds_snap_sheet *out);
/* Iterates the units of a snapshot cds_snap_read accepted: *off starts at
 * s->units_at; 1 with *u filled, 0 at the end, -1 with err. */
int cds_snap_next(const uint8_t *p, const struct cds_snap *s, size_t *off,
		  struct cds_snap_unit *u, char *err, size_t errlen);
/* Checks the signature by s->hub_pk.  0; -1 with err; -2 out of memory. */
int cds_snap_verify(const uint8_t *p, size_t n, const struct cds_snap *s,
		    char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The name of field f (0 <= f < CDS_SNAP_FIELDS): "unions", "P3.plan",
 * ..., "kind.welfare" -- the KPI or figure it counts. */
const char *cds_snap_field(int f);

#endif
