/* keys.h -- a node's key pairs in its store (cdsync.h "Keys").
 *
 * meta holds the public keys ('sign_pk', 'box_pk') in the clear and the
 * secret ones either sealed under a passphrase ('keys_sealed', a keybox:
 * protocol/keybox.h) or, for stores made without one, in the clear
 * ('sign_sk', 'box_sk', 'old_box').  Loading a store reads the public
 * keys, and the secret ones only when they are in the clear; the first
 * call that needs them unlocks them through the passphrase callback.
 */
#ifndef CDS_KEYS_H
#define CDS_KEYS_H

#include "store.h"

/* Reads this node's keys from meta (after its identity). */
int cds_keys_load(cdsync *db);
/* Makes this node's first key pairs and stores them (sealed when a
 * passphrase was set), inside the caller's transaction. */
int cds_keys_make(cdsync *db);
/* Makes new key pairs in place of the current ones, keeping the current
 * X25519 pair among the old ones, and stores them inside the caller's
 * transaction.  The caller has copied what it still needs of the old
 * signing key. */
int cds_keys_replace(cdsync *db);
/* CDSYNC_OK when the secret keys are in memory, unlocking them through
 * the passphrase callback if needed; else CDSYNC_ELOCKED,
 * CDSYNC_EPASSWORD or CDSYNC_ENOTINIT with the message set. */
int cds_keys_need(cdsync *db);
/* The X25519 secret key for pk: the current one or an old one; NULL if
 * this node has none (secret keys must be loaded). */
const uint8_t *cds_keys_box_sk(const cdsync *db, const uint8_t pk[32]);
/* Forgets the secret keys and the passphrase (wiped). */
void cds_keys_wipe(cdsync *db);

#endif
