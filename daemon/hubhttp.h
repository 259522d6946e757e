/* hubhttp.h -- the hub's HTTP server: resumable uploads (tus 1.0) of the
 * bundles that nodes send, and small documents, on libmicrohttpd.
 *
 * Endpoints
 *   /files/              OPTIONS (discovery), POST (creation)
 *   /files/ID            HEAD (offset), PATCH (bytes), OPTIONS
 *   /files/ID/receipt    GET: the stored final answer of upload ID
 *   anything else        GET/HEAD -> cfg.get, POST -> cfg.post, else 404
 * tus 1.0.0 core with the creation, checksum (sha1) and expiration
 * extensions.  ID is 32 lowercase hex digits from randombytes; any other
 * form is answered 404 before the file system is touched.
 *
 * Every error answer is text/plain, one line: a code word, a space and a
 * message saying what was wrong and where, e.g.
 *   ECONFLICT Upload-Offset 1000 but the upload holds 640 bytes
 * Code words: EINVAL (400, 431), ENOTFOUND (404), EMETHOD (405),
 * ECONFLICT (409), EGONE (410), EVERSION (412), ETOOBIG (413), ETYPE (415),
 * ECHECKSUM (460), EIO (500, 507), EBUSY (503).
 *
 * Staging directory (one per hub, nothing else should live there)
 *   ID.info    length, times, Upload-Metadata; crash-safe, written once,
 *              at creation
 *   ID.data    the bytes received; its size is the upload's offset
 *   ID.reply   the final answer (status, receipt flag, body) and the
 *              finished upload's expiry, with a checksum; written whole
 *              (temporary file, rename) but not fsynced: see Completion
 * A file is written crash-safe as: temporary file, fsync, rename, fsync of
 * the directory.  Bytes of a PATCH are fsynced before it is answered and
 * when it is cut, so the offset a HEAD reports is always bytes on disk: a
 * server started again on the same directory continues every upload.
 *
 * What is kept of a PATCH
 *   - a complete PATCH whose Upload-Checksum matches, or that has none;
 *   - a PATCH cut mid-body (client gone, timeout, or superseded: a HEAD
 *     or a newer PATCH of the same upload ends a PATCH still writing, as
 *     the client gave up on it; so the offset a HEAD reports stays true):
 *     the bytes that arrived, even when it had an Upload-Checksum (it
 *     cannot be checked; this is what makes resume cheap).  The whole
 *     upload is checked against the "sha256" key of Upload-Metadata,
 *     when given, before done is called; a mismatch resets
 *     the upload to offset 0 and answers 460;
 *   - nothing of a complete PATCH whose checksum does not match (460), or
 *     whose body runs past Upload-Length (413).
 *
 * Completion and exactly-once
 *   When the last byte arrives, the PATCH waits for done(), which the
 *   worker thread calls for one upload at a time, in the order they
 *   completed; the PATCH is answered when done() returns, and meanwhile
 *   the server goes on with the other requests.  If done() returns 0, its
 *   reply is stored (ID.reply) and sent; every later final PATCH (an
 *   empty PATCH at Upload-Offset == Upload-Length) and GET
 *   /files/ID/receipt repeats the stored reply and done() is not called
 *   again for ID, across restarts too; a final PATCH that comes while
 *   done() runs for ID waits for it and gets its stored reply.  HEAD of
 *   a finished upload carries "Cdsync-Receipt: 1".  Once a reply with a
 *   4xx status (a refusal) is stored, the upload's bytes are dropped:
 *   ID.data keeps its size but no blocks (a hole), so garbage does not
 *   fill the disk until it expires; done() copies what it keeps of an
 *   upload it refuses (a link would lose the bytes too).
 *   done() must be idempotent (importing a bundle already merged is a
 *   no-op, and answers the same), as it is called again for ID, by the
 *   next final PATCH, whenever its reply is not stored: the process died
 *   between done() and the reply, the reply could not be written (it is
 *   sent all the same), or the machine crashed before the reply reached
 *   the disk.  ID.reply is not fsynced because the store done() writes to
 *   is the point of truth: its commit is durable before done() returns,
 *   and a reply lost or torn (its checksum tells) reads as none.  If
 *   done() returns non-zero (a passing failure: disk full, database
 *   busy), the PATCH is answered 503 and nothing is stored: the next
 *   final PATCH calls done() again.  So it is for a PATCH still waiting
 *   its turn when the server stops (503, or the connection ends).
 *
 * Limits: Upload-Length over max_upload is answered 413 from the headers,
 * before any body is read; at most max_uploads uploads are in progress in
 * staging at once (a finished one, kept with its reply until it expires,
 * does not count);
 * request headers over max_header bytes are refused (431); POST documents
 * over max_post bytes are refused (413).  connection_limit and
 * per_ip_limit bound connections (the one over the limit is closed
 * unanswered); idle_timeout drops a connection that sends nothing for
 * that long (libmicrohttpd's own timeout, reset by every byte); and
 * request_timeout bounds the total time of one request, headers and body,
 * so a client that trickles a byte a second is dropped too (libmicrohttpd
 * 0.9.75 has no such limit; a watchdog thread shuts the socket down).  A
 * PATCH cut by request_timeout keeps its bytes, so a long upload over a
 * slow link goes on with its next PATCH.
 *
 * Uploads expire expiry_hours after creation, or after completion for a
 * finished one (its stored reply says when, and lives as long); expired
 * uploads are answered 410 and removed on start and every sweep_seconds
 * (never one that a PATCH writes to or that waits for done()).
 *
 * Threads: the server runs in libmicrohttpd's internal polling thread, a
 * worker thread for the callbacks and a watchdog thread; the caller's
 * thread is never used after cds_hubhttp_start returns.  The callbacks
 * are called from the worker, one at a time, never concurrently with each
 * other, in the order their requests came; each such request (a final
 * PATCH, a document) waits, suspended, while the polling thread serves
 * the others (creations, bytes, HEADs).  A slow callback delays only the
 * requests that need one.  They must not call cds_hubhttp_stop.  Whatever
 * they share with other threads of the program (a store handle) they
 * protect themselves.
 */
#ifndef CDS_HUBHTTP_H
#define CDS_HUBHTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ==== Callbacks ===================================================== */

/* What a callback answers.  The server zeroes it before the call. */
struct cds_hubhttp_reply {
	unsigned status; /* HTTP status; 0 is 200 */
	uint8_t *body;	 /* cds_malloc'd by the callback, cds_free'd by
			    the server after the answer; NULL if none */
	size_t len;	 /* bytes in body, at most CDS_HUBHTTP_REPLYMAX */
	int receipt;	 /* done(): body is a receipt (Cdsync-Receipt: 1) */
	char etag[72];	 /* get(): entity tag, without quotes; "" none */
	char type[64];	 /* Content-Type; "" is application/octet-stream */
};
#define CDS_HUBHTTP_REPLYMAX (1u << 20)

/* The last byte of upload `id` arrived: the bytes are in the file `path`
 * (in the staging directory; copy or link what is kept: the file goes
 * when the upload expires; copy what is kept of a refused upload: its
 * bytes go as soon as its refusal is stored).  `metadata` is the upload's Upload-Metadata
 * header as the client sent it ("" if none), already checked by
 * cds_tus_meta_check.  Fill reply (a 2xx status and the receipt, or an
 * error status and a body starting with a code word) and return 0: the
 * reply is stored and final.  Return non-zero to have the client try the
 * final PATCH again later (503).  A 204 with a body is sent as 200.
 * Must be idempotent (see above). */
typedef int (*cds_hubhttp_done_fn)(void *ctx, const char *id,
				   const char *path, const char *metadata,
				   struct cds_hubhttp_reply *reply);
/* GET or HEAD of `url` (decoded path, no query) outside /files/.  Fill
 * reply and return 0; with an etag and a 2xx status the server answers
 * If-None-Match itself (304).  Non-zero: 503. */
typedef int (*cds_hubhttp_get_fn)(void *ctx, const char *url,
				  struct cds_hubhttp_reply *reply);
/* POST of a small document (at most max_post bytes) to `url` outside
 * /files/.  Fill reply and return 0; non-zero: 503. */
typedef int (*cds_hubhttp_post_fn)(void *ctx, const char *url,
				   const uint8_t *body, size_t len,
				   struct cds_hubhttp_reply *reply);

/* ==== Server ======================================================== */

/* Zero in a number field means the default given in brackets. */
struct cds_hubhttp_config {
	const char *address;	 /* numeric IPv4 or IPv6 address of one
				    interface; required (wildcards refused) */
	uint16_t port;		 /* 0: a free port, see cds_hubhttp_port */
	const char *staging_dir; /* existing directory, writable */
	uint64_t max_upload;	 /* Tus-Max-Size, bytes [64 MiB] */
	unsigned max_uploads;	 /* uploads in progress at once [1000] */
	size_t max_post;	 /* bytes of one POST document [64 KiB] */
	size_t max_header;	 /* bytes of a request's headers [8 KiB] */
	unsigned connection_limit; /* connections at once [64] */
	unsigned per_ip_limit;	   /* connections from one address [8] */
	unsigned idle_timeout;	   /* seconds without a byte [30] */
	unsigned request_timeout;  /* seconds for one request [300] */
	unsigned expiry_hours;	   /* life of an upload [72] */
	unsigned sweep_seconds;	   /* removal of expired uploads [600] */
	cds_hubhttp_done_fn done;  /* required */
	cds_hubhttp_get_fn get;	   /* NULL: GET outside /files/ is 404 */
	cds_hubhttp_post_fn post;  /* NULL: POST outside /files/ is 404 */
	void *ctx;		   /* first argument of the callbacks */
	time_t (*now)(void);	   /* wall clock for expiry; NULL: time() */
};

struct cds_hubhttp;

/* Removes expired uploads and leftovers from the staging directory, then
 * listens.  CDSYNC_OK and *out set; on failure *out is NULL, err says what
 * and where, and the code is CDSYNC_EINVAL (configuration),
 * CDSYNC_ENOTFOUND (no staging directory), CDSYNC_EIO (cannot listen or
 * read the directory) or CDSYNC_ENOMEM.  cfg is copied. */
int cds_hubhttp_start(const struct cds_hubhttp_config *cfg,
		      struct cds_hubhttp **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Waits for the callback running, if one is; answers the requests still
 * waiting for one 503 (or ends their connections); stops listening, ends
 * the connections (a PATCH in progress keeps the bytes it got), joins the
 * threads and frees *h; sets *h to NULL.  NULL or *h == NULL: no-op.  Not
 * from a callback. */
void cds_hubhttp_stop(struct cds_hubhttp **h);
/* The port the server listens on. */
uint16_t cds_hubhttp_port(const struct cds_hubhttp *h);

/* ==== tus header parsers (shared with uplink.c; fuzzed) ============= */

#define CDS_TUS_VERSION "1.0.0"
#define CDS_TUS_METAMAX 4096	 /* bytes of an Upload-Metadata header */
#define CDS_TUS_METAPAIRS 32	 /* pairs in it */
#define CDS_TUS_METAKEYMAX 64	 /* bytes of one key */

/* Upload-Offset, Upload-Length: decimal digits only, at most INT64_MAX
 * (an off_t).  CDSYNC_OK or CDSYNC_EINVAL. */
int cds_tus_parse_u64(const char *s, uint64_t *out);
/* Upload-Metadata: "key value,key value,key": keys of 1..64 printable
 * ASCII bytes without space or comma, unique; values standard base64 with
 * padding; at most CDS_TUS_METAPAIRS pairs and CDS_TUS_METAMAX bytes.
 * CDSYNC_OK or CDSYNC_EINVAL with the reason (and the pair) in err. */
int cds_tus_meta_check(const char *s, char *err, size_t errlen);
/* Decodes the value of `key` of a checked header into val[cap]; *len its
 * bytes.  CDSYNC_OK, CDSYNC_ENOTFOUND (no such key, or a key without
 * value), CDSYNC_EINVAL (malformed, or cap too small). */
int cds_tus_meta_get(const char *s, const char *key, uint8_t *val,
		     size_t cap, size_t *len);
/* Appends ",key base64(val)" (no comma when s is empty) to s[cap].
 * CDSYNC_OK, or CDSYNC_EINVAL if the key is not valid or it does not fit
 * (s is left as it was). */
int cds_tus_meta_add(char *s, size_t cap, const char *key,
		     const uint8_t *val, size_t len);
/* Upload-Checksum: "sha1 " and the base64 of 20 bytes.  CDSYNC_OK and
 * sha1[] set, or CDSYNC_EINVAL with the reason in err (an algorithm
 * other than sha1 is refused too). */
int cds_tus_parse_checksum(const char *s, uint8_t sha1[20], char *err,
			   size_t errlen);
/* An RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") in English
 * whatever the locale; out holds at least 30 bytes. */
void cds_tus_httpdate(time_t t, char out[30]);

#endif
