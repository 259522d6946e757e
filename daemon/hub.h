/* hub.h -- the hub role of cdsyncd: bundles uploaded over HTTP (tus 1.0,
 * hubhttp.h) are taken into the store exactly once and answered with the
 * hub's signed receipt; the catalog is served for conditional GETs.
 *
 *   /files/...   the tus endpoints; the final answer of an upload is the
 *                receipt (200, Cdsync-Receipt: 1), or a refusal
 *                "ECODE message" (422) that the node must not resend
 *   /catalog     GET: the catalog this hub has (ETag, If-None-Match)
 *
 * Durability: a receipt is made only after cdsync_import_file committed
 * the merge; the store runs in WAL mode with synchronous=FULL, so the
 * commit is on disk when the receipt leaves (docs/daemon.md).  A bundle
 * that cannot be taken in for a passing reason (the store busy, the disk
 * full) is answered 503 and the node tries again later.
 *
 * The hub has a store handle of its own, used only by hubhttp's worker
 * thread, which calls the callbacks one at a time: the handle is never
 * shared.  While a bundle is taken in, the HTTP server goes on receiving
 * the others.
 */
#ifndef CDSD_HUB_H
#define CDSD_HUB_H

#include <stdint.h>

#include "cdsync/cdsync.h"
#include "config.h"

struct cdsd_hub;

/* Opens the store at store_path for hubhttp's worker (keys unlocked with
 * pass/passctx), makes <home>/staging and listens on c->listen_*.  0 and
 * *out, or -1 with err. */
int cdsd_hub_start(const char *home, const char *store_path,
		   const struct cdsd_config *c, cdsync_passphrase_fn pass,
		   void *passctx, struct cdsd_hub **out, char *err,
		   size_t errlen);
/* Stops listening, waits for the bundle being taken in, closes. */
void cdsd_hub_stop(struct cdsd_hub **h);
uint16_t cdsd_hub_port(const struct cdsd_hub *h);

/* The code word of a libcdsync code on the wire ("EBADSIG"). */
const char *cdsd_code_word(int code);

#endif
