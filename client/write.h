/* write.h -- the write path: every insert, update and delete of a domain
 * row, and its capture into sync_change in the same transaction.
 *
 * Public entry points (cdsync_insert, _update, _delete, _get, _resolve,
 * _legal_set_status) live in write.c.  The functions below are for the
 * other client modules.
 */
#ifndef CDS_WRITE_H
#define CDS_WRITE_H

#include "store.h"

/* Inserts r (defaults filled, checked, captured) inside the caller's
 * transaction; `self` allows the org unit insert of cdsync_node_init. */
int cds_write_insert(cdsync *db, cdsync_rec *r, int self);
/* Captures every existing row of a kind as one change (migration 0002). */
int cds_write_backfill(cdsync *db, cdsync_kind kind);
/* The greatest HLC of a row in the log (0 if none). */
int cds_write_base(cdsync *db, cdsync_kind kind, const uint8_t id[16],
		   uint64_t *base);
/* Frees the cached statements (cdsync_close). */
void cds_write_end(cdsync *db);

/* Resets the cached statements, so that none holds a read transaction
 * (an old snapshot) open after the write: another connection's commit
 * would then make this one's next write fail with SQLITE_BUSY_SNAPSHOT,
 * whatever the busy timeout.  Called at the end of every write. */
void cds_write_idle(cdsync *db);

#endif
