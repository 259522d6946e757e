/* node.h -- the uplink of cdsyncd: moves this node's outbox to its upper
 * hub over HTTP whenever a link exists.
 *
 * A round seals what was recorded since the last bundle, sends this
 * node's catalog up when it changed (POST /catalog) and takes the hub's
 * down when that changed (GET /catalog, conditional on the ETag of the
 * one last taken in: revocations and enrolments certified above reach
 * the node so), then sends each bundle of the outbox (this node's own,
 * then those it forwards; see cdsync_outbox_at) with tus, resumed from
 * the byte the hub holds, and keeps the signed receipt the hub answers
 * with; a bundle leaves the outbox once a receipt says it is merged
 * upstream.  A catalog the node refuses (not of its tree, older than
 * its own) is logged and not fetched again until the hub's changes or
 * the configuration is reloaded.  A cut link or a hub that fails (5xx)
 * ends the round: the next one waits a backoff that doubles with each
 * failure, with jitter.  A bundle the hub refuses for good (a bad
 * signature, out of scope) is logged and skipped until the configuration
 * is reloaded.
 *
 * The resume state of each upload, the times of the last contact and
 * the last receipt, and the ETag of the hub's catalog last taken in live
 * in <home>/uplink.db (SQLite, WAL, synchronous FULL): a restart, or a
 * crash, loses at most the PATCH in flight.  `cdsync status` reads the
 * times from there.  The PATCHes follow what the link carried between its
 * cuts (uplink.h), learned in memory over the rounds.
 */
#ifndef CDSD_NODE_H
#define CDSD_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "cdsync/cdsync.h"
#include "config.h"

struct cdsd_node;

int cdsd_node_open(const char *home, struct cdsd_node **out, char *err,
		   size_t errlen);
void cdsd_node_close(struct cdsd_node **n);
/* Forgets the bundles and the catalog refused for good (after a
 * reload): they are tried again. */
void cdsd_node_forgive(struct cdsd_node *n);

/* Called as the hub confirms bytes of the bundle on its way: the item-th
 * (from 1) of the outbox's `items`, `confirmed` of its `total` bytes.
 * For a progress bar (cdsync sync); the daemon sets none. */
typedef void (*cdsd_node_progress_fn)(void *ctx, size_t item, size_t items,
				      uint64_t confirmed, uint64_t total);
void cdsd_node_progress(struct cdsd_node *n, cdsd_node_progress_fn fn,
			void *ctx);

/*
 * One round.  Returns 0 when nothing is left to send, 1 when something is
 * (a failure: *retry_ms is how long to wait; or bundles the hub holds
 * waiting for a gap), -1 on a local failure (logged).  *sent counts the
 * bundles receipted in this round, *wire the request bytes sent.
 */
int cdsd_node_round(struct cdsd_node *n, cdsync *db,
		    const struct cdsd_config *c, uint64_t *retry_ms,
		    size_t *sent, uint64_t *wire);

#endif
