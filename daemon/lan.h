/* lan.h -- the LAN side of cdsyncd: a school node's paired devices (the
 * phones and PCs of the school, cdsync.h "LAN sync") sync with it over
 * nanomsg REQ/REP on the endpoints of `lan` (config.h): TCP on the
 * school's network, IPC on the same machine.
 *
 * A thread with a store handle of its own takes one request at a time
 * and answers it with cdsync_lan_answer: every message is sealed with the
 * pairing keys, so the socket itself needs no trust; a device the node
 * did not pair, or unpaired, is refused with the reason.  What devices
 * push is merged as this node's own writes, so its next bundle carries
 * it up.  Stopping waits for the request in progress.
 */
#ifndef CDSD_LAN_H
#define CDSD_LAN_H

#include <stddef.h>

#include "cdsync/cdsync.h"
#include "config.h"

struct cdsd_lan;

/* Opens the store at store_path for the thread (keys unlocked with
 * pass/passctx) and binds every endpoint of c->lan.  0 and *out, or -1
 * with err naming the endpoint and why. */
int cdsd_lan_start(const char *store_path, const struct cdsd_config *c,
		   cdsync_passphrase_fn pass, void *passctx,
		   struct cdsd_lan **out, char *err, size_t errlen);
/* Stops the thread, closes the socket and the store; NULL: no-op. */
void cdsd_lan_stop(struct cdsd_lan **l);
/* Requests answered and refused since the start. */
void cdsd_lan_counts(const struct cdsd_lan *l, unsigned long *served,
		     unsigned long *refused);

#endif
