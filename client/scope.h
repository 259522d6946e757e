/* scope.h -- what a signer may write (SPEC.md "Trust", scope).
 *
 * A node speaks for its own union only: every change of a bundle must
 * touch a row of the signer's org unit -- its org unit row itself, a row
 * whose org_id is that unit, or a row owned by one (a beneficiary by its
 * activity, a legal case's history by the case).  A change that does not
 * name its union (an update without org_id, a delete) takes it from an
 * earlier change of the same bundle, else from the row in the store, else
 * from the row's changes in the log; a row whose union cannot be found is
 * out of scope too.
 *
 * cds_scope_check returns CDSYNC_OK, or CDSYNC_ESCOPE with a message
 * naming the first change out of scope, what it touches and whose it is.
 */
#ifndef CDS_SCOPE_H
#define CDS_SCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "change.h"
#include "store.h"

int cds_scope_check(cdsync *db, const struct cds_change *ch, size_t n,
		    const uint8_t org[16], const char *org_code);

#endif
