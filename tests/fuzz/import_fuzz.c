/* import_fuzz.c -- member import (CSV, header matching, every field
 * parser, the write path) on arbitrary bytes.
 *
 * One in-memory store is made once; each input is imported as a dry run,
 * so nothing accumulates.  Invariants: on CDSYNC_OK a report exists and
 * its counts add up; CDSYNC_EBADINPUT comes with a report listing bad
 * lines (or, when the file as a whole is refused, none); other codes come
 * without one; the store holds no member afterwards.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "import.h"
#include "store.h"

static cdsync *db;

static long
members(void)
{
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM member", -1, &st,
			       NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cdsync_import *rep = NULL;
	size_t lines, a, u, n, b;
	int rc;

	if (db == NULL &&
	    (cdsync_open(":memory:", CDSYNC_OPEN_CREATE, &db) != CDSYNC_OK ||
	     cdsync_node_init(db, CDSYNC_ROLE_SCHOOL, "FUZZ", "Fuzz", NULL)))
		abort();
	rc = cds_member_import_mem(db, "fuzz.csv", data, size,
				   CDSYNC_IMPORT_DRY_RUN, &rep);
	if (rc == CDSYNC_OK || (rc == CDSYNC_EBADINPUT && rep != NULL)) {
		if (rep == NULL)
			abort();
		cdsync_import_counts(rep, &lines, &a, &u, &n, &b);
		if (rc == CDSYNC_OK && a + u + n + b != lines)
			abort();
		if (rc == CDSYNC_EBADINPUT && (b == 0 || a + u + n != 0))
			abort();
	} else if (rc != CDSYNC_ENOMEM && rep != NULL) {
		abort();
	}
	cdsync_import_free(rep);
	if (members() != 0)
		abort();
	return 0;
}
