/* report.h -- the data of a report read by people (cdsync.h "Reports").
 *
 * A report is, for one org unit O, a period and an as-of date, the KPI
 * figures of O (kpi.c), the same figures for each unit directly under O
 * in the tree of the date, the grassroots unions under O that have not
 * reported and since when, and O's figures for each school year from
 * 2023-2024 on.  report.c's opening comment defines "reported".
 *
 * cds_report_run is the whole computation on a bare SQLite connection
 * holding the schema, so it can be tested without a cdsync handle;
 * cdsync_report_compute is a thin wrapper around it.  Nothing here
 * renders: the CLI (cli/report_*.c) turns a report into HTML, XLSX, CSV
 * or JSON.
 */
#ifndef CDS_REPORT_H
#define CDS_REPORT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "cdsync/cdsync.h"

/* The first school year of the trend: the 2023-2028 term's first. */
#define CDS_REPORT_FIRST_YEAR 2023

/*
 * Computes the report of the org unit `org_code` (NULL: the unit whose id
 * is self_org) over `period` (period.h) as of `as_of` (what
 * cds_date_parse accepts; NULL: the end of the period, under the tree of
 * today), as cds_kpi_run counts.  self_org (may be NULL) is this node's
 * own unit: its records are in the store, so it has always reported.
 * Reads db; writes only its temp tables.  Returns a cdsync_code:
 *   CDSYNC_OK        *out holds the report (free with cdsync_report_free)
 *   CDSYNC_EINVAL    bad period or as-of date, or as_of before the period
 *   CDSYNC_ENOTFOUND no org unit has that code (or id), or the tree of
 *                    the date has merged it into another unit
 *   CDSYNC_ENOMEM    out of memory
 *   CDSYNC_ERROR     SQLite failed (EBUSY/ECORRUPT where SQLite says so)
 * On failure *out is NULL and err[errlen] holds a translated message that
 * names the unit (and school year) whose figures failed.
 */
int cds_report_run(sqlite3 *db, const uint8_t self_org[16],
		   const char *org_code, const char *period, const char *as_of,
		   cdsync_report **out, char *err, size_t errlen);

/* The same report, its figures read from the last rollup (rollup.h)
 * instead of counted: at once at a national hub.  No as-of date; a
 * period the rollup keeps (CDSYNC_ENOTFOUND otherwise, and for a unit
 * the last rollup has not); the school years of the trend after the
 * term are counted. */
int cds_report_run_rollup(sqlite3 *db, const uint8_t self_org[16],
			  const char *org_code, const char *period,
			  cdsync_report **out, char *err, size_t errlen);

#endif
