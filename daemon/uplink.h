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
 *   - PATCHes of at most `chunk` bytes, each with Upload-Checksum sha1,
 *     sized by cds_uplink_next_chunk when the caller keeps a link state
 *     (t->link; else all of `chunk`);
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
 * different uploads may run in different threads, each with a link state
 * of its own (or none).  The program calls
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

/*
 * The link, learned over calls: how many bytes it carries between cuts,
 * so that a PATCH does not straddle the next one.  What a cut costs is
 * what was in flight: the bytes of the PATCH past the point where the
 * link died (the hub keeps the rest, hubhttp.h).  Large PATCHes cost
 * little in headers and much at a cut; small ones the other way round.
 *
 * All zero at first (no cut seen: every PATCH is `chunk` bytes).  The
 * caller keeps one for its link to the hub, in memory, and gives it to
 * every call over that link (t->link), one call at a time.  A call counts
 * the request bytes that reached the hub (headers, and the body bytes it
 * kept: after a cut, the next HEAD says how many) since the last cut
 * (`run`) and since its connection opened (`conn`: every call opens
 * one); a request that dies after bytes went out is a cut, and each
 * count becomes the last span of its kind.  Some links die after so many
 * bytes, whatever the connections; some drop each connection after so
 * many: a kind whose last two spans are within an eighth of each other
 * is regular and places the next cut.  Then cds_uplink_next_chunk:
 *   - never lets a PATCH run more than 64 bytes past the nearest cut a
 *     regular kind places ahead: where cuts come regularly, the next one
 *     is cut at its end, and nearly nothing is lost;
 *   - past such a point, starts again small (4 KiB) and doubles with
 *     each PATCH the hub confirms, back to `chunk` (and still not past
 *     the point the other kind places ahead, if it does);
 *   - while neither kind is regular (cuts at random), caps PATCHes at
 *     sqrt(2 * headers * mean span), the size that makes headers and the
 *     expected loss at a cut least, the last one ending where the last
 *     span would;
 *   - forgets the cuts once the link has carried eight mean spans
 *     without one.
 */
struct cds_uplink_link {
	uint64_t run;		  /* bytes carried since the last cut */
	uint64_t span;		  /* between the last two cuts; 0: none */
	uint64_t prev;		  /* the span before; 0: none */
	uint64_t avg;		  /* spans before `span`, each new one
				     weighing half; 0: none */
	uint64_t conn;		  /* bytes carried since the connection
				     opened (or the last cut) */
	uint64_t cspan;		  /* of the connection the last cut ended */
	uint64_t cprev;		  /* of the one the cut before ended */
	uint32_t header;	  /* bytes of the last PATCH's headers */
	int open;		  /* the last cut took a PATCH of this ... */
	uint64_t open_offset;	  /* ... at this offset: the next HEAD of */
	uint8_t open_sha256[32];  /* this content says what the hub kept */
};

/* Bytes for the next PATCH, in [1, chunk] (chunk > 0), from l (NULL or
 * all zero: chunk).  Pure. */
size_t cds_uplink_next_chunk(const struct cds_uplink_link *l, size_t chunk);
/* A new connection opens (conn = 0). */
void cds_uplink_link_opened(struct cds_uplink_link *l);
/* bytes more reached the hub without a cut. */
void cds_uplink_link_carried(struct cds_uplink_link *l, uint64_t bytes);
/* The link was cut after `bytes` more of the request in flight reached
 * the hub (as far as the caller knows; see cds_uplink_link_kept). */
void cds_uplink_link_cut(struct cds_uplink_link *l, uint64_t bytes);
/* The hub turned out to hold `bytes` more of the spans the last cut
 * ended. */
void cds_uplink_link_kept(struct cds_uplink_link *l, uint64_t bytes);

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
	size_t chunk;		    /* bytes per PATCH at most [64 KiB] */
	struct cds_uplink_link *link; /* what the link carried between
				       cuts, learned and updated by the
				       call; NULL: every PATCH of `chunk` */
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

/* A small document (a catalog) the hub serves, by conditional GET. */
#define CDS_UPLINK_ETAGMAX 128
struct cds_uplink_doc {
	long status;		/* the hub's answer: 200, 304, ... */
	uint8_t *body;		/* its body, or NULL; at most
				   CDS_HUBHTTP_REPLYMAX bytes */
	size_t len;
	char etag[CDS_UPLINK_ETAGMAX]; /* its ETag as sent, quotes and all;
				   "" none (or longer than this) */
	uint64_t wire;		/* request bytes sent */
};

/* GETs url (any URL of the hub; t->base_url, chunk and voucher are not
 * used) with t's headers and timeouts and, when inm is neither NULL nor
 * "", "If-None-Match: <inm>" (one or more entity tags, comma separated,
 * as the ETags of earlier answers give them).  Codes as cds_uplink_send:
 * CDSYNC_OK when the hub answered, whatever the status (in doc->status:
 * 304 when one of inm's tags is the document's); CDS_UPLINK_RETRY when it
 * did not (err says why); CDS_UPLINK_REFUSED for a body too big;
 * CDSYNC_EINVAL, CDSYNC_ENOMEM.  doc is filled by every call (zeroed
 * first): free with cds_uplink_doc_free whatever the code.  The request
 * counts on t->link as the uploads' requests do. */
int cds_uplink_get(const struct cds_uplink_target *t, const char *url,
		   const char *inm, struct cds_uplink_doc *doc, char *err,
		   size_t errlen) __attribute__((warn_unused_result));
/* Frees doc->body and sets it to NULL.  NULL: no-op. */
void cds_uplink_doc_free(struct cds_uplink_doc *doc);

/* Exponential backoff with full jitter: a delay uniform in
 * [0, min(cap_ms, base_ms * 2^attempt)], drawn from `random` (pass
 * randombytes_random()).  Pure; never overflows. */
uint64_t cds_uplink_backoff_ms(unsigned attempt, uint64_t base_ms,
			       uint64_t cap_ms, uint32_t random);

#endif
