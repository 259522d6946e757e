/* uplink.h -- the node's tus 1.0 client on libcurl: sends one bundle to
 * the upper hub over a bad link, resuming where the hub stopped.
 *
 * One call of cds_uplink_send moves one upload as far as the link allows:
 *   - no upload URL in the resume state: POST creation (Upload-Length,
 *     Upload-Metadata "filename" and "sha256", the hex SHA-256 of the
 *     content, and "voucher" when the target gives one) and the Location
 *     becomes the upload URL;
 *   - an upload URL: HEAD first, and go on from the hub's Upload-Offset
 *     (the node never trusts its own count); 404 or 410 (expired, gone)
 *     starts over with a new POST;
 *   - PATCHes of `chunk` bytes, each with Upload-Checksum sha1;
 *   - the answer to the last PATCH is the hub's reply (a receipt): in res.
 *     If that answer was lost, a later call finds the upload complete on
 *     HEAD and fetches the stored reply (GET URL/receipt), or sends an
 *     empty final PATCH when the hub has not answered it yet.  The hub
 *     merges an upload once however often this happens (hubhttp.h).
 * Within one call a 409 (the hub holds other bytes than we thought) or a
 * 460 (bytes damaged on the way) is followed by a HEAD and a new PATCH, a
 * few times at most.
 *
 * The resume state is plain data the caller keeps (in SQLite, so that it
 * survives restarts) and gives back on the next call for the same
 * content; state made for other content (length or SHA-256 differ) is
 * dropped and the upload starts over.  The progress callback is called
 * whenever the state changes (after creation and after each offset the
 * hub confirms): a caller that saves it there loses at most one PATCH to
 * a crash.
 *
 * Return codes (libcdsync's, see cdsync.h):
 *   CDSYNC_OK           done: res->reply holds the hub's final answer
 *   CDS_UPLINK_RETRY    (CDSYNC_EIO) transient: link cut, timeout, hub
 *                       busy or failing (5xx, 408, 423, 429): call again
 *                       later, after cds_uplink_backoff_ms
 *   CDS_UPLINK_REFUSED  (CDSYNC_ECONSTRAINT) the hub refused for good
 *                       (any other 4xx, or a final answer that refuses
 *                       the bundle): err holds the hub's message,
 *                       res->status its status, res->reply its body
 *   CDSYNC_EINVAL       bad arguments (no URL, empty content, bad header)
 *   CDSYNC_ENOTFOUND    path cannot be opened;  CDSYNC_ECORRUPT: it
 *                       cannot be read, or changed size while read
 *   CDSYNC_ENOMEM
 * err says what and where, e.g. "hub http://h/files/ab..: PATCH at offset
 * 65536: 413 ETOOBIG ...".
 *
 * Threads: a call uses its own curl handle and no global state; calls for
 * different uploads may run in different threads.  The program calls
 * curl_global_init(CURL_GLOBAL_DEFAULT) once before starting threads.
 * The call blocks (bounded by the timeouts); the daemon runs it off its
 * loop.
 */
#ifndef CDS_UPLINK_H
#define CDS_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "cdsync/cdsync.h"

#define CDS_UPLINK_RETRY CDSYNC_EIO
#define CDS_UPLINK_REFUSED CDSYNC_ECONSTRAINT

/* Zero in a number field means the default given in brackets. */
struct cds_uplink_target {
	const char *base_url;	    /* creation URL: "http://hub/files/" */
	const char *const *headers; /* extra "Name: value" lines, NULL
				       ended (a node id), or NULL */
	const char *filename;	    /* metadata "filename"; NULL: the base
				       name of path, or "bundle" */
	long connect_timeout_ms;    /* [10000] */
	long low_speed_bytes;	    /* a request slower than this many
				       bytes a second ... [16] */
	long low_speed_seconds;	    /* ... for this long is aborted [30] */
	long max_time_ms;	    /* the whole call; 0: no limit */
	size_t chunk;		    /* bytes per PATCH [64 KiB] */
	const uint8_t *voucher;	    /* metadata "voucher": this node's
				       receipt for a bundle it forwards
				       (SPEC §10.6), or NULL */
	size_t voucher_len;
};

#define CDS_UPLINK_URLMAX 512

/* What the caller keeps between calls for one content.  All zero for a
 * content never sent. */
struct cds_uplink_resume {
	char url[CDS_UPLINK_URLMAX]; /* upload URL; "" before creation */
	uint64_t offset;	     /* bytes the hub confirmed */
	uint64_t length;	     /* of the content */
	uint8_t sha256[32];	     /* of the content */
};

/* What one call did.  Filled by every call (zeroed first); free with
 * cds_uplink_result_free whatever the code. */
struct cds_uplink_result {
	long status;		/* last HTTP status seen; 0 if none */
	uint8_t *reply;		/* the final answer's body (CDSYNC_OK,
				   CDS_UPLINK_REFUSED), or NULL */
	size_t reply_len;	/* its bytes */
	int receipt;		/* the hub marked it Cdsync-Receipt: 1 */
	uint64_t body_bytes;	/* request bodies sent on the wire (sum of
				   CURLINFO_SIZE_UPLOAD_T) */
	uint64_t header_bytes;	/* request headers sent (CURLINFO_REQUEST_
				   SIZE summed) */
	unsigned requests;	/* HTTP requests made */
	unsigned restarts;	/* times the upload started over */
};

/* Called after each change of st: confirmed == st->offset, total ==
 * st->length.  From the calling thread. */
typedef void (*cds_uplink_progress_cb)(void *ctx, uint64_t confirmed,
				       uint64_t total,
				       const struct cds_uplink_resume *st);

/* Sends the file at path (data must be NULL) or the len bytes at data
 * (path NULL) to t->base_url, resuming from st (in/out).  cb may be NULL.
 * See the codes above; st always describes what the hub holds as far as
 * this call knows. */
int cds_uplink_send(const struct cds_uplink_target *t, const char *path,
		    const uint8_t *data, size_t len,
		    struct cds_uplink_resume *st, cds_uplink_progress_cb cb,
		    void *cbctx, struct cds_uplink_result *res, char *err,
		    size_t errlen) __attribute__((warn_unused_result));
/* Frees res->reply and sets it to NULL.  NULL: no-op. */
void cds_uplink_result_free(struct cds_uplink_result *res);

/* Exponential backoff with full jitter: a delay uniform in
 * [0, min(cap_ms, base_ms * 2^attempt)], drawn from `random` (pass
 * randombytes_random()).  Pure; never overflows. */
uint64_t cds_uplink_backoff_ms(unsigned attempt, uint64_t base_ms,
			       uint64_t cap_ms, uint32_t random);

#endif
