/* rollup.h -- the nightly rollup: every KPI of every org unit for every
 * period of the term, kept in the store and brought up to date by
 * recomputing only the units the writes since the last rollup touched.
 *
 * The figures are kpi.c's, to the integer: for a unit O and a period P,
 * what cds_kpi_run gives for O over P without an as-of date, under the
 * tree of the day of the rollup.  The rollup keeps, per unit, the sums
 * its own rows give for each period (its "leaf"), and per unit above the
 * grassroots the sum of the leaves of the unions under it; a unit's
 * figures are those sums with its own leaf (rollup.c says which field is
 * whose).  The periods are those of the programme term 2023-2028: the
 * term, its five school years, its six calendar years and their 24
 * quarters.
 *
 * Incremental: the store's triggers (schema/0011_rollup.sql) keep the
 * rows added since the last rollup and the units whose rows were changed
 * or removed.  A rollup adds each added row to the leaf of its unit (an
 * activity to its kind's counts and flags, a benefit to its member's
 * coverage, ...), counts the units marked again whole from their rows
 * (the unit each counts as, after mergers), and takes the difference of
 * every leaf it changed up to the sums of the units above.  It builds
 * the tree again only when what the tree is made of was written since,
 * or a tree change took effect since the day it was built.  It counts
 * everything again when there is no rollup yet, when asked, when the
 * tree changed other than by new units (a move, a merger, one taking
 * effect today), or when what it kept cannot be read.  Either way, one
 * write transaction: the figures and the emptied marks land together, or
 * not at all.
 */
#ifndef CDS_ROLLUP_H
#define CDS_ROLLUP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "cdsync/cdsync.h"
#include "kpi.h"

#define CDS_ROLLUP_PERIODS 36

/* The name of the i-th period the rollup keeps (0 <= i < 36: the term,
 * its school years, calendar years, then quarters), in name[24]. */
const char *cds_rollup_period(int i, char name[24]);

/* Brings the rollup up to date (full: recompute everything).  fn (may be
 * NULL) is called after each unit recomputed with (done, total).  *st
 * (may be NULL) says what was done.  Opens its own write transaction:
 * not inside one.  A cdsync_code; err[errlen] says why on failure. */
int cds_rollup_run(sqlite3 *db, int full, cdsync_rollup_fn fn, void *ctx,
		   cdsync_rollup_stats *st, char *err, size_t errlen);

/* The same, with the tree of `day` ("YYYY-MM-DD"; NULL: today) instead
 * of today's: what a recompute of a snapshot of that day needs. */
int cds_rollup_run_day(sqlite3 *db, int full, const char *day,
		       cdsync_rollup_fn fn, void *ctx, cdsync_rollup_stats *st,
		       char *err, size_t errlen);

/* The incremental rollup inside the caller's write transaction (BEGIN
 * IMMEDIATE): what a snapshot signs in the same transaction as it brings
 * the figures up to date.  Nothing is committed or undone here. */
int cds_rollup_in_tx(sqlite3 *db, char *err, size_t errlen);

/* One unit's figures as the last rollup left them, for every period. */
struct cds_rollup_row {
	uint8_t id[16];
	uint8_t parent[16];	/* zero for the root asked for */
	int level;		/* 1 national, 2 upper, 3 grassroots */
	const char *code;	/* NULL when the store has no org_unit row */
	struct cds_kpi_sums f[CDS_ROLLUP_PERIODS];
};
typedef int (*cds_rollup_each_fn)(void *ctx, const struct cds_rollup_row *r);
/* Calls fn for every unit of the subtree of `root` (itself included) that
 * is not merged away, in id order, stopping at the first code fn returns
 * other than CDSYNC_OK (and returning it).  fn NULL: only counts them
 * into *count.  A root not in the rollup gives no unit. */
int cds_rollup_each(sqlite3 *db, const uint8_t root[16], cds_rollup_each_fn fn,
		    void *ctx, size_t *count, char *err, size_t errlen);

/* The KPIs of the unit `org_code` for `period` as the last rollup left
 * them.  CDSYNC_ENOTFOUND: no rollup yet, a period outside the term, a
 * unit not in it or merged away (err says which); CDSYNC_ECORRUPT: what
 * was kept cannot be read (run a full rollup). */
int cds_rollup_kpis(sqlite3 *db, const char *org_code, const char *period,
		    cdsync_kpis **out, char *err, size_t errlen);

#endif
