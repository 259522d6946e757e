/* tlogstore.h -- the transparency log in the store, inside libcdsync
 * (cdsync.h "The transparency log"; SPEC.md §12).  The public calls are in
 * cdsync.h; this is what sync.c needs. */
#ifndef CDS_TLOGSTORE_H
#define CDS_TLOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Appends the leaf of a bundle first taken in (merged or held) to the
 * log, inside the caller's transaction, with the seen_ms it records: the
 * bundle's leaf becomes the next of the log (SPEC.md §12.1). */
int cds_tlog_store_append(cdsync *db, const uint8_t hash[32],
			  const uint8_t node[16], uint64_t seq,
			  uint64_t seen_ms);

/* The consistency proof file (SPEC.md §12.5) from size `old` (0: an
 * empty proof) to the checkpoint note[0..note_len) this node signed of
 * its own log earlier: what a hub above needs before a snapshot naming
 * that checkpoint.  *file freed with cdsync_free. */
int cds_tlog_store_consistency_to(cdsync *db, uint64_t old,
				  const uint8_t *note, size_t note_len,
				  uint8_t **file, size_t *len);

#endif
