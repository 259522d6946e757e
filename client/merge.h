/* merge.h -- merging changes from other nodes (SPEC.md "Merge").
 *
 * The change log is the state; the domain tables show it.  A row's value
 * is the fold of every change of that row in the log: each column takes
 * the value of the set change with the greatest (HLC, origin node id)
 * that wrote it; the row exists when its greatest set is greater than its
 * greatest delete, and is shown when it also has every required field
 * and breaks no rule of the data (else it is listed in sync_invalid).
 * The fold takes maxima only, so merging is commutative, associative and
 * idempotent: any order, any duplicates, the same tables.
 *
 * Merging needs foreign keys off (a beneficiary may come before its
 * member; a delete may leave a concurrent child behind), so it runs in a
 * transaction of its own: cds_merge_begin ... cds_merge_commit (or
 * _rollback), never inside cdsync_begin.
 */
#ifndef CDS_MERGE_H
#define CDS_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "change.h"
#include "store.h"

struct cds_merge_stats {
	size_t applied;		/* changes new to this node */
	size_t duplicates;	/* changes it had already */
	size_t future;		/* flagged: stamped too far ahead */
};

/* Default bound for "too far ahead" (sync_state.future_bound_ms). */
#define CDS_FUTURE_BOUND_MS ((uint64_t)24 * 3600 * 1000)

int cds_merge_begin(cdsync *db);
int cds_merge_commit(cdsync *db);
void cds_merge_rollback(cdsync *db);

/* Merges n changes, checking every value against its field first
 * (CDSYNC_EBADINPUT names the change and the field; nothing of the batch
 * is kept then -- roll back).  `via` is the sync_bundle_in.id they came
 * in, minus the number of this node's own bundle they are recovered
 * from (-seq), or 0.  Adds to *st. */
/* `via` of the changes a device received from its school node over the
 * LAN: not from a bundle, and not its own to send. */
#define CDS_VIA_LAN ((int64_t)1 << 62)

int cds_merge(cdsync *db, const struct cds_change *ch, size_t n, int64_t via,
	      struct cds_merge_stats *st);

/* Frees the cached statements (cdsync_close). */
void cds_merge_end(cdsync *db);

#endif
