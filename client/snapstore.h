/* snapstore.h -- rollup snapshots in the store, inside libcdsync
 * (cdsync.h "Rollup snapshots"; SPEC.md §14).  The public calls are in
 * cdsync.h; this is what export needs. */
#ifndef CDS_SNAPSTORE_H
#define CDS_SNAPSTORE_H

#include <stddef.h>

#include "store.h"

/* At a hub below the national one, into dir: the newest snapshot it
 * made, as snapshot-CODE-SIZE.cdss, and the consistency proofs of its
 * checkpoint from 0 and from the checkpoints of the 16 newest smaller
 * ones kept, as checkpoint-CODE-FROM-SIZE.tlog-consistency (the hub above
 * takes the one from the size it holds).  Nothing when there is
 * none.  *written grows by 1 for a snapshot file new in dir. */
int cds_snapshot_export(cdsync *db, const char *dir, size_t *written);

#endif
