/* snapstore.h -- rollup snapshots in the store, inside libcdsync
 * (cdsync.h "Rollup snapshots"; SPEC.md §14).  The public calls are in
 * cdsync.h; this is what export needs. */
#ifndef CDS_SNAPSTORE_H
#define CDS_SNAPSTORE_H

#include <stddef.h>

#include "snapshot.h"
#include "tlog.h"
#include "store.h"

/* At a hub below the national one, into dir: the newest snapshot it
 * made, as snapshot-CODE-SIZE.cdss, and the consistency proofs of its
 * checkpoint from 0 and from the checkpoints of the 16 newest smaller
 * ones kept, as checkpoint-CODE-FROM-SIZE.tlog-consistency (the hub above
 * takes the one from the size it holds).  Nothing when there is
 * none.  *written grows by 1 for a snapshot file new in dir. */
int cds_snapshot_export(cdsync *db, const char *dir, size_t *written);

/* Copies into the scratch store sc, which holds the changes a recount of
 * snapshot p (read as *s) counts, the part of db's catalog that its tree
 * needs (cds_catalog_copy_some): the snapshot's union and every union it
 * lists, every union in the changes, every sender -- with the editions
 * of the sheets the snapshot carries in place of db's, so that units
 * enrolled since (or not yet here) do not move its figures.  Errors in
 * db's message. */
int cds_snapshot_copy_catalog(cdsync *db, cdsync *sc, const uint8_t *p,
			      const struct cds_snap *s);

/* Each cell of a snapshot that a recount finds different: the unit's
 * code, the period, the field's name, the signed value and the one
 * counted.  A code other than CDSYNC_OK stops the recount. */
typedef int (*cds_snap_diff_fn)(void *ctx, const char *unit,
				const char *period, const char *field,
				int64_t signed_value, int64_t counted);
/* Counts the figures of snapshot p (read as *s) again in the scratch
 * store sc, which holds the catalog and exactly the changes of the
 * bundles the snapshot names (a full rollup of its day), and compares
 * them cell by cell: fn for each that differs, *ndiff how many.  Errors
 * in db's message. */
int cds_snapshot_recount(cdsync *db, cdsync *sc, const uint8_t *p,
			 const struct cds_snap *s, cds_snap_diff_fn fn,
			 void *ctx, size_t *ndiff);

/* cdsync_checkpoint_take, of a hub below (above 0) or of the hub this
 * node sends to (above 1, a witness's): the checkpoint taken is *out. */
int cds_peer_checkpoint_take(cdsync *db, const uint8_t *file, size_t len,
			     int above, uint64_t *held_out,
			     struct cds_checkpoint *out);

#endif
