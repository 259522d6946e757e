/* changelog.h -- reading changes out of the change log into a payload
 * (SPEC.md "Payload"), for bundles (sync.c) and the LAN sync (lan.c).
 */
#ifndef CDS_CHANGELOG_H
#define CDS_CHANGELOG_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

/* Where the last change read sits in the log. */
struct cds_log_at {
	int64_t seq;
	uint64_t hlc;
	uint8_t origin[16];
};

/*
 * Steps st, whose columns are (seq, tbl, rid, op, hlc, origin node id,
 * base, vals), and appends to b the payload of its rows: at most max
 * changes, and no more once the column sets read reach maxbytes (at
 * least one change is taken).  *count is the number taken (0: an empty
 * payload), *last the position of the last one (untouched when none),
 * *more 1 when st had rows left.  CDSYNC_ENOMEM, or CDSYNC_ECORRUPT for
 * a change that cannot be encoded; st is left for the caller to finalize.
 */
int cds_log_payload(cdsync *db, sqlite3_stmt *st, size_t max,
		    size_t maxbytes, cds_buf *b, uint32_t *count,
		    struct cds_log_at *last, int *more);

#endif
