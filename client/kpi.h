/* kpi.h -- the KPIs of DOMAIN.md, computed from a store's tables.
 *
 * cds_kpi_run is the whole computation on a bare SQLite connection that
 * holds the schema (schema/0001_domain.sql), so it can be tested without
 * a cdsync handle; cdsync_kpi_compute is a thin wrapper around it.
 * kpi.c's opening comment defines every figure.
 */
#ifndef CDS_KPI_H
#define CDS_KPI_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "cdsync/cdsync.h"

/*
 * Computes the KPIs of the org unit `org_code` (NULL: the org unit whose
 * id is self_org) over `period` (period.h), counting what happened up to
 * `as_of` (what cds_date_parse accepts; NULL: the end of the period),
 * under the tree of unions of `as_of` (NULL: of today; tree.h).  Reads
 * db; writes only its temp tables (temp.cds_tree, which read-only
 * connections allow).  Returns a cdsync_code:
 *   CDSYNC_OK        *out holds the figures (free with cdsync_kpi_free)
 *   CDSYNC_EINVAL    bad period or as-of date, or as_of before the period
 *   CDSYNC_ENOTFOUND no org unit has that code (or id), or the tree of
 *                    the date has merged it into another unit
 *   CDSYNC_ENOMEM    out of memory
 *   CDSYNC_ERROR     SQLite failed (EBUSY/ECORRUPT where SQLite says so)
 * On failure *out is NULL and err[errlen] holds a translated message.
 */
int cds_kpi_run(sqlite3 *db, const uint8_t self_org[16],
		const char *org_code, const char *period, const char *as_of,
		cdsync_kpis **out, char *err, size_t errlen);

/*
 * The same, under the tree temp.cds_tree holds already: the caller built
 * it with cds_tree_build for the same date (as_of, or today when as_of is
 * NULL) and wrote nothing to the tree's tables since.  For a caller that
 * asks the figures of many units of one date (report.c), so the tree is
 * built once instead of once per unit.
 */
int cds_kpi_run_in_tree(sqlite3 *db, const uint8_t self_org[16],
			const char *org_code, const char *period,
			const char *as_of, cdsync_kpis **out, char *err,
			size_t errlen);

/* What every KPI of one org unit and window is computed from (kpi.c's
 * opening comment): un[0] N, un[1..9] the unions meeting KPIs 1-8 and
 * 10; cov[0] members in the window, cov[1] those covered by care; leg[0]
 * legal requests, leg[1] those answered; own[0..2] O's own trainings,
 * care activities and agreements, own[3] the cost of care of the unions
 * and O; kinds[] activities of the unions per kind.  rollup.c keeps these
 * sums per unit and period. */
#define CDS_KPI_NUN 10
#define CDS_KPI_NKIND 10
struct cds_kpi_sums {
	int64_t un[CDS_KPI_NUN];
	int64_t cov[2];
	int64_t leg[2];
	int64_t own[4];
	int64_t kinds[CDS_KPI_NKIND];
};

/* A cdsync_kpis for the window [from, to] ("YYYY-MM-DD"), figures to be
 * filled; NULL out of memory.  Freed with cdsync_kpi_free. */
cdsync_kpis *cds_kpi_new(const char *from, const char *to);
/* Fills k's KPIs, care per member and kind counts from f; national: O is
 * the national union; years: the calendar years the window touches. */
void cds_kpi_fill(cdsync_kpis *k, const struct cds_kpi_sums *f,
		  int national, int years);

/* For the SQL of kpi.c and report.c: sets err to "what: SQLite's
 * message", finalizes st (may be NULL) and returns the code for the last
 * error on db (ENOMEM, EBUSY, ECORRUPT or ERROR). */
int cds_sql_fail(sqlite3 *db, sqlite3_stmt *st, const char *what, char *err,
		 size_t errlen);

#endif
