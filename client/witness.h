/* witness.h -- witnesses inside libcdsync (cdsync.h "Witnesses"; SPEC.md
 * §12.9).  The public calls are in cdsync.h; this is what the audit
 * shares with them. */
#ifndef CDS_WITNESS_H
#define CDS_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tlog.h"

/* The witnesses of the log of hub `log` as db's catalog (sync_peer) has
 * them: every other hub of role 2 whose key is not revoked, as note keys
 * (k[i], whose name points into name[i]) with their node ids, in the
 * order of their ids.  Free with cds_witnesses_free (also after an
 * error). */
struct cds_witnesses {
	struct cds_note_key *k;
	uint8_t (*node)[16];
	char (*name)[CDS_CKPT_ORIGIN_MAX + 1];
	size_t n;
};
int cds_witnesses_load(cdsync *db, const uint8_t log[16],
		       struct cds_witnesses *w);
void cds_witnesses_free(struct cds_witnesses *w);

#endif
