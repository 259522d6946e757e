/* tlogstore.h -- the transparency log in the store, inside libcdsync
 * (cdsync.h "The transparency log"; SPEC.md §12).  The public calls are in
 * cdsync.h; this is what sync.c needs. */
#ifndef CDS_TLOGSTORE_H
#define CDS_TLOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tlog.h"

/* This node's log's origin (SPEC.md 12.4), from its org code. */
int cds_tlog_own_origin(cdsync *db, char out[CDS_CKPT_ORIGIN_MAX + 1]);

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

/* The index of the leaf of the bundle with this hash, for its receipt
 * (SPEC.md 11.1 version 2): a plain read, or, while the leaves of before
 * the log are still to be written, those first (in a transaction of its
 * own or a savepoint).  CDSYNC_ENOTFOUND (*index 0) with a message when
 * the log has no leaf for it. */
int cds_tlog_store_index(cdsync *db, const uint8_t hash[32],
			 uint64_t *index);

/* Inclusion proofs of many bundles against one checkpoint: cdsync_export
 * writes one beside each receipt (SPEC.md 11.2).  cds_tlog_proofs_open
 * reads every leaf hash, builds the levels of the tree and signs the
 * checkpoint of the log as it is, once, in one transaction; each
 * cds_tlog_proofs_file then costs O(log^2 n) hashes and gives the bytes
 * cdsync_tlog_inclusion would give for that tree (*file freed with
 * cds_free; CDSYNC_ENOTFOUND for a bundle with no leaf in that tree --
 * never taken in, or taken in since the checkpoint).  Needs the secret
 * keys.  cds_tlog_proofs_close(NULL) is a no-op. */
struct cds_tlog_proofs;
int cds_tlog_proofs_open(cdsync *db, struct cds_tlog_proofs **out);
int cds_tlog_proofs_file(cdsync *db, const struct cds_tlog_proofs *p,
			 const uint8_t hash[32], uint8_t **file, size_t *len);
void cds_tlog_proofs_close(struct cds_tlog_proofs *p);
/* The checkpoint of that tree, as signed (p's until it is closed). */
const uint8_t *cds_tlog_proofs_note(const struct cds_tlog_proofs *p,
				    size_t *len);

#endif
