/* node.c -- the uplink of cdsyncd; see node.h.
 *
 * uplink.db:
 *   resume(hash PRIMARY KEY, url, offset, length, sha256)
 *       the tus state of each bundle on its way (uplink.h)
 *   state(key PRIMARY KEY, value)
 *       attempts, last_contact_ms, last_ok_ms, last_error, catalog_sent
 *       (the BLAKE2b of the catalog last taken by the hub), catalog_etag
 *       (the ETag of the hub's catalog this node last took in, as the hub
 *       sent it) and catalog_refused (the ETag of one it refused for
 *       good; forgotten on a reload)
 *   held(hash PRIMARY KEY, etag)
 *       each bundle of the outbox the hub holds for a gap, with the ETag
 *       of its receipt then: the next rounds ask for the receipt again
 *       (GET /receipt/HASH, If-None-Match) instead of sending the bundle
 *
 *   state snapshot_sent, up_size
 *       the hash of the newest rollup snapshot the hub above took (or
 *       refused), and the size of this hub's log it holds a checkpoint of
 *   state witnessed
 *       the size of the newest checkpoint of the hub above that this hub
 *       cosigned and the hub above took back (a witness, SPEC.md 12.9)
 *
 * The link to the hub (what it carries between cuts, uplink.h) is kept in
 * memory only: a restart learns it again at the first cuts.
 */
#include "node.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "alloc.h"
#include "i18n.h"
#include "log.h"
#include "uplink.h"

#define MAX_REFUSED 256

struct cds_uplink_doc;
static const char *hub_said(const struct cds_uplink_doc *d, char out[256]);

struct cdsd_node {
	sqlite3 *db;			/* uplink.db */
	cdsd_node_progress_fn progress;	/* NULL: none */
	void *progress_ctx;
	size_t item, items;		/* the bundle on its way, of ... */
	char home[4096];		/* the node's home */
	struct cds_uplink_link link;	/* to the upper hub */
	unsigned attempts;		/* failures in a row */
	size_t nrefused;		/* refused for good, this config */
	uint8_t refused[MAX_REFUSED][32];
};

/* Runs SQL without results; 0, or -1 (logged). */
static int
run(struct cdsd_node *n, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(n->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		cdsd_log(CDSD_ERROR, "uplink.db: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
put_state(struct cdsd_node *n, const char *key, int64_t v, const char *text)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(n->db, "INSERT OR REPLACE INTO state (key, "
				      "value) VALUES (?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (text != NULL)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(st, 2, v);
	if (sqlite3_step(st) != SQLITE_DONE)
		cdsd_log(CDSD_WARN, "uplink.db: %s", sqlite3_errmsg(n->db));
	sqlite3_finalize(st);
}

/* The text value of key into v[cap]; "" when there is none. */
static void
get_state(struct cdsd_node *n, const char *key, char *v, size_t cap)
{
	sqlite3_stmt *st = NULL;

	v[0] = '\0';
	if (sqlite3_prepare_v2(n->db, "SELECT value FROM state WHERE key = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_TEXT)
		snprintf(v, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

int
cdsd_node_open(const char *home, struct cdsd_node **out, char *err,
	       size_t errlen)
{
	struct cdsd_node *n;
	char path[4200];

	*out = NULL;
	if ((n = cds_calloc(1, sizeof *n)) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return -1;
	}
	snprintf(n->home, sizeof n->home, "%s", home);
	snprintf(path, sizeof path, "%s/uplink.db", home);
	if (sqlite3_open(path, &n->db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(n->db));
		goto fail;
	}
	sqlite3_busy_timeout(n->db, 5000);
	if (run(n, "PRAGMA journal_mode = WAL") != 0 ||
	    run(n, "PRAGMA synchronous = FULL") != 0 ||
	    run(n, "CREATE TABLE IF NOT EXISTS resume (hash BLOB PRIMARY KEY, "
		   "url TEXT NOT NULL, offset INTEGER NOT NULL, length "
		   "INTEGER NOT NULL, sha256 BLOB NOT NULL) STRICT") != 0 ||
	    run(n, "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, "
		   "value ANY) STRICT") != 0 ||
	    run(n, "CREATE TABLE IF NOT EXISTS held (hash BLOB PRIMARY KEY, "
		   "etag TEXT NOT NULL) STRICT") != 0) {
		snprintf(err, errlen, _("%s: cannot be set up: %s"), path,
			 sqlite3_errmsg(n->db));
		goto fail;
	}
	*out = n;
	return 0;
fail:
	sqlite3_close(n->db);
	cds_free(n);
	return -1;
}

void
cdsd_node_close(struct cdsd_node **np)
{
	struct cdsd_node *n = np ? *np : NULL;

	if (n == NULL)
		return;
	sqlite3_close(n->db);
	cds_free(n);
	*np = NULL;
}

void
cdsd_node_forgive(struct cdsd_node *n)
{
	n->nrefused = 0;
	(void)run(n, "DELETE FROM state WHERE key = 'catalog_refused'");
}

static int
is_refused(const struct cdsd_node *n, const uint8_t hash[32])
{
	size_t i;

	for (i = 0; i < n->nrefused; i++)
		if (memcmp(n->refused[i], hash, 32) == 0)	/* not secret */
			return 1;
	return 0;
}

/* The resume state of a bundle, or all zero. */
static void
load_resume(struct cdsd_node *n, const uint8_t hash[32],
	    struct cds_uplink_resume *st)
{
	sqlite3_stmt *q = NULL;

	memset(st, 0, sizeof *st);
	if (sqlite3_prepare_v2(n->db, "SELECT url, offset, length, sha256 "
				      "FROM resume WHERE hash = ?1",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 3) == 32) {
		snprintf(st->url, sizeof st->url, "%s",
			 (const char *)sqlite3_column_text(q, 0));
		st->offset = (uint64_t)sqlite3_column_int64(q, 1);
		st->length = (uint64_t)sqlite3_column_int64(q, 2);
		memcpy(st->sha256, sqlite3_column_blob(q, 3), 32);
	}
	sqlite3_finalize(q);
}

struct progress {
	struct cdsd_node *n;
	const uint8_t *hash;
};

/* Saves the resume state each time the hub confirms bytes. */
static void
save_resume(void *ctx, uint64_t confirmed, uint64_t total,
	    const struct cds_uplink_resume *st)
{
	struct progress *p = ctx;
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(p->n->db, "INSERT OR REPLACE INTO resume "
					 "(hash, url, offset, length, sha256) "
					 "VALUES (?1, ?2, ?3, ?4, ?5)",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_blob(q, 1, p->hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, st->url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (int64_t)st->offset);
	sqlite3_bind_int64(q, 4, (int64_t)st->length);
	sqlite3_bind_blob(q, 5, st->sha256, 32, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		cdsd_log(CDSD_WARN, "uplink.db: %s", sqlite3_errmsg(p->n->db));
	sqlite3_finalize(q);
	cdsd_log(CDSD_DEBUG, _("upload: %llu of %llu bytes at the hub"),
		 (unsigned long long)confirmed, (unsigned long long)total);
	if (p->n->progress != NULL)
		p->n->progress(p->n->progress_ctx, p->n->item, p->n->items,
			       confirmed, total);
}

void
cdsd_node_progress(struct cdsd_node *n, cdsd_node_progress_fn fn, void *ctx)
{
	n->progress = fn;
	n->progress_ctx = ctx;
}

static void
drop_resume(struct cdsd_node *n, const uint8_t hash[32])
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(n->db, "DELETE FROM resume WHERE hash = ?1", -1,
			       &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	(void)sqlite3_step(q);
	sqlite3_finalize(q);
}

/* The ETag of the receipt of a bundle the hub holds, kept in etag[]
 * (CDS_UPLINK_ETAGMAX bytes): 1, or 0 none. */
static int
get_held(struct cdsd_node *n, const uint8_t hash[32], char *etag)
{
	sqlite3_stmt *q = NULL;
	int found = 0;

	etag[0] = '\0';
	if (sqlite3_prepare_v2(n->db, "SELECT etag FROM held WHERE hash = ?1",
			       -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0)) {
		snprintf(etag, CDS_UPLINK_ETAGMAX, "%s",
			 (const char *)sqlite3_column_text(q, 0));
		found = etag[0] != '\0';
	}
	sqlite3_finalize(q);
	return found;
}

/* Keeps etag for hash ("" forgets it). */
static void
put_held(struct cdsd_node *n, const uint8_t hash[32], const char *etag)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(n->db, etag[0] ? "INSERT OR REPLACE INTO held "
						"(hash, etag) VALUES (?1, ?2)"
					      : "DELETE FROM held WHERE hash = ?1",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	if (etag[0])
		sqlite3_bind_text(q, 2, etag, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		cdsd_log(CDSD_WARN, "uplink.db: %s", sqlite3_errmsg(n->db));
	sqlite3_finalize(q);
}

/* The ETag the hub gives a receipt's bytes (SPEC 11.2 step 4): the first 16
 * bytes of their BLAKE2b-256, in hex, quoted. */
static void
receipt_etag(const uint8_t *p, size_t len, char *etag)
{
	unsigned char h[32];
	char hex[33];

	crypto_generichash(h, sizeof h, p, len, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, 16);
	snprintf(etag, CDS_UPLINK_ETAGMAX, "\"%s\"", hex);
}

/* url[]: the hub above's endpoint, fmt (printf) after upstream's '/'. */
static void hub_url(char *url, size_t size, const struct cdsd_config *c,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
hub_url(char *url, size_t size, const struct cdsd_config *c, const char *fmt,
	...)
{
	size_t k;
	va_list ap;

	k = (size_t)snprintf(url, size, "%s%s", c->upstream,
			     c->upstream[strlen(c->upstream) - 1] == '/' ? ""
									 : "/");
	if (k >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(url + k, size - k, fmt, ap);
	va_end(ap);
}

/* GETs url (hub_url) over the node's link within the configured timeout;
 * inm as cds_uplink_get's.  Adds the bytes sent to *wire. */
static int
hub_get(struct cdsd_node *n, const struct cdsd_config *c, const char *url,
	const char *inm, struct cds_uplink_doc *doc, uint64_t *wire,
	char *err, size_t errlen)
{
	struct cds_uplink_target t;
	int rc;

	memset(&t, 0, sizeof t);
	t.base_url = url;
	t.link = &n->link;
	t.max_time_ms = (long)c->timeout * 1000;
	rc = cds_uplink_get(&t, url, inm, doc, err, errlen);
	*wire += doc->wire;
	return rc;
}

/* Asks the hub again for the receipt of a bundle it held at the last
 * round (etag: that receipt's), instead of sending the bundle again.
 * 1 still held (304); 0 a new receipt taken, etag[] now its ETag (the
 * bundle merged, or held under a new key of the hub); 3 the hub has not
 * the bundle (404, or no such endpoint: send it); 2 a passing failure. */
static int
ask_receipt(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
	    const cdsync_outbox_item *it, char *etag, uint64_t *wire)
{
	struct cds_uplink_doc doc;
	char url[700], hex[65], err[1024], said[256];
	int rc, out = 2;

	sodium_bin2hex(hex, sizeof hex, it->hash, 32);
	hub_url(url, sizeof url, c, "receipt/%s", hex);
	rc = hub_get(n, c, url, etag, &doc, wire, err, sizeof err);
	if (rc != CDSYNC_OK) {
		put_state(n, "last_error", 0, err);
		cdsd_log(CDSD_WARN, _("%s: receipt not asked now: %s; trying "
				      "again later"),
			 it->name, err);
		goto done;
	}
	put_state(n, "last_contact_ms", (int64_t)now_ms(), NULL);
	switch (doc.status) {
	case 304:
		cdsd_log(CDSD_DEBUG, _("%s: still held at the hub for an "
				       "earlier bundle"),
			 it->name);
		out = 1;
		break;
	case 404:
		cdsd_log(CDSD_INFO, _("%s: the hub has it no more; sending it "
				      "again"),
			 it->name);
		put_held(n, it->hash, "");
		out = 3;
		break;
	case 200:
		rc = cdsync_receipt_take(db, doc.body, doc.len);
		if (rc != CDSYNC_OK && rc != CDSYNC_EREPLAY) {
			cdsd_log(CDSD_ERROR, _("%s: the hub's receipt is not "
					       "taken: %s"),
				 it->name, cdsync_errmsg(db));
			break;
		}
		put_state(n, "last_ok_ms", (int64_t)now_ms(), NULL);
		cdsd_log(CDSD_INFO, _("%s: a new receipt came down, kept"),
			 it->name);
		receipt_etag(doc.body, doc.len, etag);
		out = 0;
		break;
	default:
		cdsd_log(doc.status >= 500 ? CDSD_WARN : CDSD_ERROR,
			 _("%s: the hub gave no receipt: %ld %s"), it->name,
			 doc.status, hub_said(&doc, said));
		/* an older hub without the endpoint: send it as before */
		out = doc.status >= 500 || doc.status == 408 ||
				      doc.status == 429
			      ? 2
			      : 3;
		break;
	}
done:
	cds_uplink_doc_free(&doc);
	return out;
}

/* Sends one bundle.  0 receipted (or refused for good: skipped), 1 still
 * in the outbox after a receipt (held at the hub), 2 a passing failure,
 * -1 a local one.  etag[] (CDS_UPLINK_ETAGMAX bytes) is set to the ETag
 * of the receipt taken, "" none. */
static int
send_one(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
	 const cdsync_outbox_item *it, char *etag, uint64_t *wire)
{
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	struct progress p = { n, it->hash };
	char url[600], err[1024], node[40], hdr[80];
	const char *headers[2] = { hdr, NULL };
	uint8_t *bytes = NULL, *voucher = NULL, id[16];
	size_t len = 0, vlen = 0;
	int rc, out = -1;

	etag[0] = '\0';
	if (cdsync_bundle_bytes(db, it->hash, &bytes, &len) != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
		return -1;
	}
	hub_url(url, sizeof url, c, "files/");
	if (cdsync_node_id(db, id) != CDSYNC_OK)
		memset(id, 0, sizeof id);
	sodium_bin2hex(node, sizeof node, id, 16);
	snprintf(hdr, sizeof hdr, "Cdsync-Node: %s", node);
	memset(&t, 0, sizeof t);
	t.base_url = url;
	t.headers = headers;
	t.filename = it->name;
	t.chunk = c->chunk;
	t.link = &n->link;
	t.max_time_ms = (long)c->timeout * 1000;
	/* a bundle it forwards goes with its own receipt: the time it first
	 * took it in vouches for it above (SPEC §10.6) */
	if (memcmp(it->node, id, 16) != 0 &&	/* not secret */
	    cdsync_receipt_make(db, it->hash, &voucher, &vlen) == CDSYNC_OK) {
		t.voucher = voucher;
		t.voucher_len = vlen;
	}
	load_resume(n, it->hash, &st);
	rc = cds_uplink_send(&t, NULL, bytes, len, &st, save_resume, &p, &res,
			     err, sizeof err);
	*wire += res.body_bytes + res.header_bytes;
	if (res.status != 0)
		put_state(n, "last_contact_ms", (int64_t)now_ms(), NULL);
	switch (rc) {
	case CDSYNC_OK:
		drop_resume(n, it->hash);
		if (!res.receipt || res.reply == NULL) {
			cdsd_log(CDSD_WARN, _("%s: the hub answered without a "
					      "receipt"),
				 it->name);
			out = 2;
			break;
		}
		rc = cdsync_receipt_take(db, res.reply, res.reply_len);
		if (rc != CDSYNC_OK && rc != CDSYNC_EREPLAY) {
			cdsd_log(CDSD_ERROR, _("%s: the hub's receipt is not "
					       "taken: %s"),
				 it->name, cdsync_errmsg(db));
			out = 2;
			break;
		}
		put_state(n, "last_ok_ms", (int64_t)now_ms(), NULL);
		receipt_etag(res.reply, res.reply_len, etag);
		cdsd_log(CDSD_INFO, _("%s sent: %zu bytes, receipt kept"),
			 it->name, len);
		out = 0;
		break;
	case CDS_UPLINK_RETRY:
		put_state(n, "last_error", 0, err);
		cdsd_log(CDSD_WARN, _("%s: %s; trying again later"), it->name,
			 err);
		out = 2;
		break;
	case CDS_UPLINK_REFUSED:
		put_state(n, "last_error", 0, err);
		cdsd_log(CDSD_ERROR, _("%s: the hub refused it: %s"), it->name,
			 err);
		if (n->nrefused < MAX_REFUSED)
			memcpy(n->refused[n->nrefused++], it->hash, 32);
		drop_resume(n, it->hash);
		out = 0;
		break;
	default:
		cdsd_log(CDSD_ERROR, "%s: %s", it->name, err);
		out = -1;
		break;
	}
	cds_uplink_result_free(&res);
	cdsync_free(voucher);
	cdsync_free(bytes);
	return out;
}

/* The start of an answer's body: what fits of it, NUL ended. */
struct answer {
	char text[256];
	size_t n;
};

static size_t
sink(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	size_t k = size * n;

	if (a != NULL && a->n + 1 < sizeof a->text) {
		size_t room = sizeof a->text - 1 - a->n;

		memcpy(a->text + a->n, p, k < room ? k : room);
		a->n += k < room ? k : room;
		a->text[a->n] = '\0';
	}
	return size * n;
}

/* POSTs the n bytes at b to url; *status the hub's answer (0: none),
 * *wire grows by the bytes sent.  0, or -1 (no curl handle). */
static int
post_said(const char *url, const uint8_t *b, size_t n, unsigned timeout,
	  long *status, uint64_t *wire, struct answer *said);

static int
post(const char *url, const uint8_t *b, size_t n, unsigned timeout,
     long *status, uint64_t *wire)
{
	return post_said(url, b, n, timeout, status, wire, NULL);
}

/* The same, keeping the start of the answer in *said (may be NULL). */
static int
post_said(const char *url, const uint8_t *b, size_t n, unsigned timeout,
	  long *status, uint64_t *wire, struct answer *said)
{
	struct curl_slist *hd = NULL;
	curl_off_t up = 0;
	CURL *e;

	*status = 0;
	if ((e = curl_easy_init()) == NULL)
		return -1;
	hd = curl_slist_append(hd, "Content-Type: application/octet-stream");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)b);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, said);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout * 1000);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &up);
	*wire += (uint64_t)up;
	curl_slist_free_all(hd);
	curl_easy_cleanup(e);
	return 0;
}

/* Sends the catalog this node has to the hub (POST upstream/catalog)
 * when it changed since it was last sent: the sheets of this node and of
 * the nodes below it travel up with the bundles they certify, as
 * `cdsync export` writes them beside the bundles.  0 sent or nothing to
 * send, 2 a passing failure. */
static int
send_catalog(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
	     uint64_t *wire)
{
	char url[600], hex[65], sent[65] = "", why[160];
	uint8_t *bytes = NULL, hash[32];
	sqlite3_stmt *q = NULL;
	long status = 0;
	size_t size = 0;
	int out = 2;

	switch (cdsync_catalog_bytes(db, &bytes, &size)) {
	case CDSYNC_OK:
		break;
	case CDSYNC_ENOTFOUND:
		return 0;	/* not enrolled: nothing to vouch for */
	default:
		cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
		return -1;
	}
	crypto_generichash(hash, sizeof hash, bytes, size, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, hash, 32);
	if (sqlite3_prepare_v2(n->db, "SELECT value FROM state WHERE key = "
				      "'catalog_sent'",
			       -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(sent, sizeof sent, "%s",
			 (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (strcmp(sent, hex) == 0) {
		out = 0;
		goto done;
	}
	hub_url(url, sizeof url, c, "catalog");
	if (post(url, bytes, size, c->timeout, &status, wire) != 0) {
		out = -1;
		goto done;
	}
	if (status != 0)
		put_state(n, "last_contact_ms", (int64_t)now_ms(), NULL);
	if (status == 200) {
		put_state(n, "catalog_sent", 0, hex);
		cdsd_log(CDSD_INFO, "%s", _("catalog sent up"));
		out = 0;
	} else if (status >= 400 && status < 500 && status != 408 &&
		   status != 429) {
		/* refused: the bundles go anyway, the hub says why */
		cdsd_log(CDSD_ERROR, _("the hub refused this node's catalog "
				       "(%ld)"),
			 status);
		out = 0;
	} else {
		snprintf(why, sizeof why, _("catalog not sent now (HTTP %ld); "
					    "trying again later"),
			 status);
		put_state(n, "last_error", 0, why);
		cdsd_log(CDSD_WARN, "%s", why);
	}
done:
	cdsync_free(bytes);
	return out;
}

/* The BLAKE2b of the catalog this node has: 0, or -1 if it has none. */
static int
catalog_hash(cdsync *db, uint8_t hash[32])
{
	uint8_t *bytes = NULL;
	size_t size = 0;

	if (cdsync_catalog_bytes(db, &bytes, &size) != CDSYNC_OK)
		return -1;
	crypto_generichash(hash, 32, bytes, size, NULL, 0);
	cdsync_free(bytes);
	return 0;
}

/* The first line of the hub's text answer, printable, for the log. */
static const char *
hub_said(const struct cds_uplink_doc *d, char out[256])
{
	size_t i;

	for (i = 0; i < d->len && i < 255 && d->body[i] != '\n'; i++)
		out[i] = d->body[i] >= ' ' && d->body[i] <= '~'
				 ? (char)d->body[i]
				 : '?';
	out[i] = '\0';
	return i ? out : _("(no message)");
}

/* Takes the hub's catalog down (GET upstream/catalog), so that what is
 * certified or revoked above reaches this node.  If-None-Match carries
 * the ETags of the catalog last taken in and of one refused for good, so
 * that neither comes down again (304) until the hub's catalog changes;
 * an ETag is kept only once its catalog was taken in (or refused for
 * good).  A catalog that cannot be taken in now (the store busy) is
 * fetched again at the next round.  0 done, nothing new, or an answer
 * other than the catalog (logged); 2 no answer (a passing failure); -1 a
 * local one. */
static int
fetch_catalog(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
	      uint64_t *wire)
{
	struct cds_uplink_doc doc;
	cdsync_cat_entry e;
	char url[600], err[1024], said[256], taken[CDS_UPLINK_ETAGMAX],
		refused[CDS_UPLINK_ETAGMAX], inm[2 * CDS_UPLINK_ETAGMAX + 2];
	uint8_t before[32], after[32];
	int rc, had, out = 0;

	switch (cdsync_catalog_at(db, 0, &e)) {
	case CDSYNC_OK:
		break;
	case CDSYNC_ENOTFOUND:
		return 0; /* not enrolled: its first catalog comes by hand,
			     with the root's fingerprint */
	default:
		cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
		return -1;
	}
	get_state(n, "catalog_etag", taken, sizeof taken);
	get_state(n, "catalog_refused", refused, sizeof refused);
	snprintf(inm, sizeof inm, "%s%s%s", taken,
		 taken[0] && refused[0] ? ", " : "", refused);
	hub_url(url, sizeof url, c, "catalog");
	rc = hub_get(n, c, url, inm, &doc, wire, err, sizeof err);
	if (rc == CDS_UPLINK_RETRY) {
		put_state(n, "last_error", 0, err);
		cdsd_log(CDSD_WARN, _("catalog not fetched now: %s; trying "
				      "again later"),
			 err);
		out = 2;
		goto done;
	}
	if (rc != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, _("the hub's catalog: %s"), err);
		out = rc == CDSYNC_ENOMEM ? -1 : 0;
		goto done;
	}
	put_state(n, "last_contact_ms", (int64_t)now_ms(), NULL);
	if (doc.status == 304) {
		cdsd_log(CDSD_DEBUG, "%s", _("the hub's catalog has not "
					     "changed"));
		goto done;
	}
	if (doc.status != 200) {
		cdsd_log(doc.status >= 500 || doc.status == 408 ||
				 doc.status == 429
			 ? CDSD_WARN
			 : CDSD_ERROR,
			 _("the hub at %s gave no catalog: %ld %s"), url,
			 doc.status, hub_said(&doc, said));
		goto done;
	}
	had = catalog_hash(db, before) == 0;
	switch (cdsync_catalog_take(db, doc.body, doc.len)) {
	case CDSYNC_OK:
		if (doc.etag[0] != '\0')
			put_state(n, "catalog_etag", 0, doc.etag);
		(void)run(n, "DELETE FROM state WHERE key = "
			     "'catalog_refused'");
		if (!had || catalog_hash(db, after) != 0 ||
		    memcmp(before, after, 32) != 0) /* not secret */
			cdsd_log(CDSD_INFO, _("a new catalog came down from the "
					      "hub and was taken in (%zu "
					      "bytes)"),
				 doc.len);
		else
			cdsd_log(CDSD_DEBUG, "%s", _("the hub's catalog has "
						     "nothing new for this "
						     "node"));
		break;
	case CDSYNC_EBUSY:
	case CDSYNC_EIO:
	case CDSYNC_ENOMEM:
	case CDSYNC_ELOCKED:
	case CDSYNC_ERROR:
		cdsd_log(CDSD_WARN, _("the hub's catalog is not taken in now: "
				      "%s; trying again at the next round"),
			 cdsync_errmsg(db));
		break;
	default:
		/* for good: not fetched again until the hub's changes */
		cdsd_log(CDSD_ERROR, _("the catalog of the hub at %s (ETag "
				       "%s) is refused: %s"),
			 url, doc.etag[0] ? doc.etag : _("none"),
			 cdsync_errmsg(db));
		if (doc.etag[0] != '\0')
			put_state(n, "catalog_refused", 0, doc.etag);
		break;
	}
done:
	cds_uplink_doc_free(&doc);
	return out;
}

/* A node not enrolled yet, with `root_fingerprint` set, enrols over the
 * network: it POSTs its request to upstream/enrol once (uplink.db state
 * 'enrol_sent'), then each round asks upstream/enrol/NODE, which answers
 * the catalog once the hub's operator approved the request, and takes it
 * in with the root's fingerprint.  0 enrolled (now or before), 1 waiting
 * for the approval, 2 no answer, -1 a local failure or nothing to do it
 * with (logged). */
static int
enrol(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
      uint64_t *wire)
{
	struct cds_uplink_doc doc;
	cdsync_cat_entry e;
	cdsync_request_info ri;
	char path[4300], url[700], err[1024], said[256], sent[8], id[33];
	uint8_t node[16], *b = NULL;
	size_t len = 0;
	long status = 0;
	FILE *f;
	int rc, out = 1;

	switch (cdsync_catalog_at(db, 0, &e)) {
	case CDSYNC_OK:
		return 0;
	case CDSYNC_ENOTFOUND:
		break;
	default:
		cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
		return -1;
	}
	/* a node outside the tree whose upper hub was added by hand
	 * ('cdsync peer add --upstream') sends without a catalog */
	{
		cdsync_peer_info p;
		size_t i;

		for (i = 0; cdsync_peer_at(db, i, &p) == CDSYNC_OK; i++)
			if (p.upstream)
				return 0;
	}
	if (c->root_fingerprint[0] == '\0') {
		cdsd_log(CDSD_ERROR, "%s", _("this node is not enrolled yet: "
					     "set 'root_fingerprint' in "
					     "cdsyncd.conf (the national "
					     "root's, read out by phone) to "
					     "enrol over the network, or take "
					     "the catalog in by hand"));
		return -1;
	}
	get_state(n, "enrol_sent", sent, sizeof sent);
	if (sent[0] == '\0') {
		snprintf(path, sizeof path, "%s/enrol-request.cdsq", n->home);
		if (cdsync_enrol_request(db, path) != CDSYNC_OK ||
		    cdsync_request_read(db, path, &ri) != CDSYNC_OK) {
			cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
			return -1;
		}
		if ((f = fopen(path, "rb")) == NULL ||
		    (b = cds_malloc(16384)) == NULL) {
			if (f != NULL)
				fclose(f);
			cdsd_log(CDSD_ERROR, "%s: %s", path, strerror(errno));
			return -1;
		}
		len = fread(b, 1, 16384, f);
		fclose(f);
		hub_url(url, sizeof url, c, "enrol");
		rc = post(url, b, len, c->timeout, &status, wire);
		cds_free(b);
		if (rc != 0)
			return -1;
		if (status == 0 || status >= 500) {
			cdsd_log(CDSD_WARN, _("the enrolment request did not "
					      "reach the hub (HTTP %ld); "
					      "trying again later"),
				 status);
			return 2;
		}
		put_state(n, "last_contact_ms", (int64_t)now_ms(), NULL);
		if (status != 202 && status != 200) {
			cdsd_log(CDSD_ERROR, _("the hub refused this node's "
					       "enrolment request (HTTP %ld)"),
				 status);
			return -1;
		}
		put_state(n, "enrol_sent", 0, "yes");
		cdsd_log(CDSD_INFO, _("enrolment request sent to the upper "
				      "hub: read the fingerprint %s out to "
				      "the upper union, which approves it"),
			 ri.fingerprint);
	}
	if (cdsync_node_id(db, node) != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
		return -1;
	}
	sodium_bin2hex(id, sizeof id, node, 16);
	hub_url(url, sizeof url, c, "enrol/%s", id);
	rc = hub_get(n, c, url, NULL, &doc, wire, err, sizeof err);
	if (rc != CDSYNC_OK) {
		cdsd_log(rc == CDS_UPLINK_RETRY ? CDSD_WARN : CDSD_ERROR,
			 _("the enrolment answer: %s"), err);
		out = rc == CDS_UPLINK_RETRY ? 2 : -1;
		goto done;
	}
	put_state(n, "last_contact_ms", (int64_t)now_ms(), NULL);
	if (doc.status == 404) {
		cdsd_log(CDSD_INFO, "%s", _("not enrolled yet: the upper union "
					    "has not approved this node's "
					    "request"));
		goto done;
	}
	if (doc.status != 200) {
		cdsd_log(CDSD_WARN, _("the hub gave no enrolment answer: %ld %s"),
			 doc.status, hub_said(&doc, said));
		out = 2;
		goto done;
	}
	snprintf(path, sizeof path, "%s/enrol-answer.cdsa", n->home);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(doc.body, 1, doc.len, f) != doc.len || fclose(f) != 0) {
		cdsd_log(CDSD_ERROR, "%s: %s", path, strerror(errno));
		out = -1;
		goto done;
	}
	if (cdsync_catalog_import(db, path, c->root_fingerprint) !=
	    CDSYNC_OK) {
		/* a wrong root fingerprint, another tree: the operator looks */
		cdsd_log(CDSD_ERROR, _("the catalog the hub answered is not "
				       "taken in: %s"),
			 cdsync_errmsg(db));
		out = -1;
		goto done;
	}
	cdsd_log(CDSD_INFO, "%s", _("enrolled: the upper union approved this "
				    "node, and its catalog is taken in"));
	out = 0;
done:
	cds_uplink_doc_free(&doc);
	return out;
}

/* The hub above refused it for good, or took it: 0; a passing failure:
 * 2; -1 a failure here. */
static int
snapshot_upload(struct cdsd_node *n, const struct cdsd_config *c,
		const uint8_t *snap, size_t len, const uint8_t hash[32],
		const char *name, uint64_t *wire)
{
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	struct progress p = { n, hash };
	char url[600], err[1024];
	int rc, out;

	hub_url(url, sizeof url, c, "files/");
	memset(&t, 0, sizeof t);
	t.base_url = url;
	t.filename = name;
	t.chunk = c->chunk;
	t.link = &n->link;
	t.max_time_ms = (long)c->timeout * 1000;
	load_resume(n, hash, &st);
	rc = cds_uplink_send(&t, NULL, snap, len, &st, save_resume, &p, &res,
			     err, sizeof err);
	*wire += res.body_bytes + res.header_bytes;
	switch (rc) {
	case CDSYNC_OK:
		drop_resume(n, hash);
		cdsd_log(CDSD_INFO, _("%s sent up: %zu bytes"), name, len);
		out = 0;
		break;
	case CDS_UPLINK_RETRY:
		put_state(n, "last_error", 0, err);
		cdsd_log(CDSD_WARN, _("%s: %s; trying again later"), name, err);
		out = 2;
		break;
	case CDS_UPLINK_REFUSED:
		drop_resume(n, hash);
		cdsd_log(CDSD_ERROR, _("%s: the hub refused it: %s"), name, err);
		out = 0;
		break;
	default:
		cdsd_log(CDSD_ERROR, "%s: %s", name, err);
		out = -1;
		break;
	}
	cds_uplink_result_free(&res);
	return out;
}

/* A hub forwards the newest rollup snapshot it made (SPEC.md 14.5): its
 * checkpoint first, POST /checkpoint with the consistency proof from the
 * size the hub above holds (state up_size; a 409 answers it), then the
 * snapshot itself, by tus.  state snapshot_sent: the hash of the last one
 * taken, or refused, above.  0 done or nothing to do, 2 a passing
 * failure, -1 a failure here. */
static int
send_snapshot(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
	      uint64_t *wire)
{
	cdsync_snapshot_info info;
	struct answer said;
	uint8_t *snap = NULL, *proof = NULL, hash[32];
	char hex[65], sent[65], up[32], url[600], name[320], msg[256];
	unsigned long long held;
	cdsync_role role;
	size_t slen = 0, plen = 0;
	long status = 0;
	int rc, tries, out = 2;
	uint64_t from;

	if (cdsync_node_role(db, &role) != CDSYNC_OK ||
	    role != CDSYNC_ROLE_HUB)
		return 0;
	if ((rc = cdsync_snapshot_latest(db, &snap, &slen)) != CDSYNC_OK)
		return rc == CDSYNC_ENOTFOUND ? 0 : -1;
	crypto_generichash(hash, sizeof hash, snap, slen, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, hash, 32);
	get_state(n, "snapshot_sent", sent, sizeof sent);
	if (strcmp(sent, hex) == 0 ||
	    cdsync_snapshot_read(snap, slen, &info, msg, sizeof msg) !=
		    CDSYNC_OK) {
		cdsync_free(snap);
		return 0;
	}
	get_state(n, "up_size", up, sizeof up);
	from = (uint64_t)strtoull(up, NULL, 10);
	hub_url(url, sizeof url, c, "checkpoint");
	for (tries = 0; tries < 2; tries++) {
		if (from > info.tree_size) {
			cdsd_log(CDSD_ERROR,
				 _("the hub above holds a checkpoint of this "
				   "hub's log of %llu leaves, more than the "
				   "%llu of the newest snapshot: was this "
				   "store restored from a backup?"),
				 (unsigned long long)from,
				 (unsigned long long)info.tree_size);
			put_state(n, "snapshot_sent", 0, hex);
			out = 0;
			goto done;
		}
		if (cdsync_snapshot_proof(db, snap, slen, from, &proof,
					  &plen) != CDSYNC_OK) {
			cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
			out = -1;
			goto done;
		}
		memset(&said, 0, sizeof said);
		rc = post_said(url, proof, plen, c->timeout, &status, wire,
			       &said);
		cdsync_free(proof);
		proof = NULL;
		if (rc != 0) {
			out = -1;
			goto done;
		}
		if (status != 409 || sscanf(said.text, "%llu", &held) != 1)
			break;
		from = (uint64_t)held;	/* the size it holds: again */
	}
	if (status != 200) {
		if (status >= 400 && status < 500 && status != 408 &&
		    status != 429) {
			cdsd_log(CDSD_ERROR, _("the hub above refused this "
					       "hub's checkpoint (%ld): %s"),
				 status, said.text);
			put_state(n, "snapshot_sent", 0, hex);
			out = 0;
		} else {
			cdsd_log(CDSD_WARN, _("checkpoint not sent now (HTTP "
					      "%ld); trying again later"),
				 status);
		}
		goto done;
	}
	snprintf(up, sizeof up, "%llu", (unsigned long long)info.tree_size);
	put_state(n, "up_size", 0, up);
	snprintf(name, sizeof name, "snapshot-%s-%llu.cdss", info.org,
		 (unsigned long long)info.tree_size);
	out = snapshot_upload(n, c, snap, slen, hash, name, wire);
	if (out == 0)
		put_state(n, "snapshot_sent", 0, hex);
done:
	cdsync_free(snap);
	return out;
}

/* The tree size a checkpoint note says (its second line), unverified;
 * UINT64_MAX when the note has none. */
static uint64_t
note_size(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i = 0, k;

	while (i < n && p[i] != '\n')
		i++;
	for (k = ++i; i < n && p[i] >= '0' && p[i] <= '9' && i - k < 19; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	return i > k && i < n && p[i] == '\n' ? v : UINT64_MAX;
}

/* A hub witnesses the log of the hub above (SPEC.md 12.9): the
 * consistency proof from the size of the last checkpoint of it this hub
 * took (GET /proof/consistency/SIZE), checked and cosigned here, and the
 * cosigned checkpoint back (POST /cosignature).  state witnessed: the
 * size last cosigned and taken above, not posted again; while the log
 * above has that size (GET /checkpoint, whose size is only read: a lie
 * there costs the lier its cosignature), no proof is asked for.  0 done or
 * nothing to do, 2 a passing failure, -1 a failure here. */
static int
witness(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
	uint64_t *wire)
{
	struct cds_uplink_doc doc;
	struct answer said;
	char url[600], err[1024], hs[256], done[32], got[32];
	uint8_t *note = NULL;
	size_t nlen = 0;
	uint64_t from = 0, size = 0;
	cdsync_role role;
	long status = 0;
	int rc, out = 0, tries = 0;

	if (cdsync_node_role(db, &role) != CDSYNC_OK ||
	    role != CDSYNC_ROLE_HUB)
		return 0;
	if (cdsync_witness_from(db, &from) != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
		return -1;
	}
	get_state(n, "witnessed", done, sizeof done);
	snprintf(got, sizeof got, "%llu", (unsigned long long)from);
	if (from > 0 && strcmp(done, got) == 0) {
		/* cosigned and taken above: a proof only once the log grew */
		hub_url(url, sizeof url, c, "checkpoint");
		rc = hub_get(n, c, url, NULL, &doc, wire, err, sizeof err);
		if (rc == CDSYNC_OK && doc.status == 200 &&
		    note_size(doc.body, doc.len) == from) {
			cdsd_log(CDSD_DEBUG,
				 _("the log of the hub above has not grown since "
				   "this hub cosigned its %llu leaves"),
				 (unsigned long long)from);
			goto done;
		}
		cds_uplink_doc_free(&doc);
	}
again:
	hub_url(url, sizeof url, c, "proof/consistency/%llu",
		(unsigned long long)from);
	rc = hub_get(n, c, url, NULL, &doc, wire, err, sizeof err);
	if (rc == CDS_UPLINK_RETRY) {
		cdsd_log(CDSD_WARN, _("the log of the hub above not witnessed "
				      "now: %s; trying again later"),
			 err);
		out = 2;
		goto done;
	}
	if (rc != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, _("the log of the hub above: %s"), err);
		out = rc == CDSYNC_ENOMEM ? -1 : 0;
		goto done;
	}
	if (doc.status == 400 && from > 0) {
		/* it has fewer leaves than the checkpoint it signed before */
		cdsd_log(CDSD_ERROR,
			 _("the hub above says its log is smaller than the "
			   "%llu leaves of the checkpoint this hub cosigned: "
			   "%s. Its log was rewritten; nothing is cosigned"),
			 (unsigned long long)from, hub_said(&doc, hs));
		goto done;
	}
	if (doc.status != 200) {
		cdsd_log(doc.status >= 500 || doc.status == 408 ||
				 doc.status == 429
			 ? CDSD_WARN
			 : CDSD_ERROR,
			 _("the hub above gave no consistency proof of its "
			   "log: %ld %s"),
			 doc.status, hub_said(&doc, hs));
		out = doc.status >= 500 || doc.status == 408 ||
		      doc.status == 429 ? 2 : 0;
		goto done;
	}
	rc = cdsync_witness_cosign(db, doc.body, doc.len, &note, &nlen, &size);
	if (rc == CDSYNC_EINVAL && tries++ == 0 && size != from) {
		/* this hub holds another size of that hub's log (from before
		 * a move in the tree, or taken meanwhile): from there */
		from = size;
		cds_uplink_doc_free(&doc);
		goto again;
	}
	if (rc == CDSYNC_EINVAL) {	/* next round */
		out = 2;
		goto done;
	}
	if (rc != CDSYNC_OK) {
		cdsd_log(rc == CDSYNC_EBUSY || rc == CDSYNC_EIO ||
				 rc == CDSYNC_ENOMEM
			 ? CDSD_WARN
			 : CDSD_ERROR,
			 _("the log of the hub above is not cosigned: %s"),
			 cdsync_errmsg(db));
		out = rc == CDSYNC_EBUSY || rc == CDSYNC_EIO ? 2 : 0;
		goto done;
	}
	get_state(n, "witnessed", done, sizeof done);
	snprintf(got, sizeof got, "%llu", (unsigned long long)size);
	if (strcmp(done, got) == 0)
		goto done;	/* this tree head, cosigned and taken above */
	hub_url(url, sizeof url, c, "cosignature");
	memset(&said, 0, sizeof said);
	if (post_said(url, note, nlen, c->timeout, &status, wire, &said) != 0) {
		out = -1;
		goto done;
	}
	if (status == 200) {
		put_state(n, "witnessed", 0, got);
		cdsd_log(CDSD_INFO, _("cosigned the checkpoint of the hub "
				      "above: %llu leaves"),
			 (unsigned long long)size);
	} else if (status >= 400 && status < 500 && status != 408 &&
		   status != 429) {
		cdsd_log(CDSD_ERROR, _("the hub above refused this hub's "
				       "cosignature (%ld): %s"),
			 status, said.text);
	} else {
		cdsd_log(CDSD_WARN, _("cosignature not sent now (HTTP %ld); "
				      "trying again later"),
			 status);
		out = 2;
	}
done:
	cdsync_free(note);
	cds_uplink_doc_free(&doc);
	return out;
}

int
cdsd_node_round(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
		uint64_t *retry_ms, size_t *sent, uint64_t *wire)
{
	cdsync_outbox_item it;
	char etag[CDS_UPLINK_ETAGMAX];
	uint8_t hash[32];
	size_t sealed = 0, i = 0, before;
	int rc, r, left = 0;

	*retry_ms = 0;
	*sent = 0;
	*wire = 0;
	/* a node not in the tree yet asks to be enrolled first */
	if ((r = enrol(n, db, c, wire)) != 0) {
		if (r == 1)
			*retry_ms = (uint64_t)c->interval * 1000;
		if (r == 2) {
			n->attempts++;
			put_state(n, "attempts", n->attempts, NULL);
			*retry_ms = cds_uplink_backoff_ms(
				n->attempts - 1, (uint64_t)c->backoff_base * 1000,
				(uint64_t)c->backoff_cap * 1000,
				randombytes_random());
		}
		return r < 0 ? -1 : 1;
	}
	if (cdsync_seal(db, &sealed) != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
		return -1;
	}
	if (sealed)
		cdsd_log(CDSD_INFO, "%s", _("sealed a new bundle of what was "
					    "recorded"));
	/* the catalog first: it may certify the keys of the bundles; then
	 * the hub's down: what was certified or revoked above */
	if ((r = send_catalog(n, db, c, wire)) == 0)
		r = fetch_catalog(n, db, c, wire);
	if (r < 0)
		return -1;
	if (r == 2) {
		n->attempts++;
		put_state(n, "attempts", n->attempts, NULL);
		*retry_ms = cds_uplink_backoff_ms(
			n->attempts - 1, (uint64_t)c->backoff_base * 1000,
			(uint64_t)c->backoff_cap * 1000, randombytes_random());
		if (*retry_ms < 200)
			*retry_ms = 200;
		return 1;
	}
	{
		size_t count = 0;
		uint64_t bytes = 0;

		n->items = cdsync_outbox_size(db, &count, &bytes) == CDSYNC_OK
				   ? count
				   : 0;
		n->item = 0;
		if (count == 0)
			(void)run(n, "DELETE FROM held");
	}
	for (;;) {
		rc = cdsync_outbox_at(db, i, &it);
		if (rc == CDSYNC_ENOTFOUND)
			break;
		n->item++;
		if (rc != CDSYNC_OK) {
			cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(db));
			return -1;
		}
		if (is_refused(n, it.hash)) {
			i++;
			continue;
		}
		before = i;
		r = 3;
		if (get_held(n, it.hash, etag))
			r = ask_receipt(n, db, c, &it, etag, wire);
		if (r == 3)
			r = send_one(n, db, c, &it, etag, wire);
		if (r < 0)
			return -1;
		if (r == 2) {
			n->attempts++;
			put_state(n, "attempts", n->attempts, NULL);
			*retry_ms = cds_uplink_backoff_ms(
				n->attempts - 1, (uint64_t)c->backoff_base * 1000,
				(uint64_t)c->backoff_cap * 1000,
				randombytes_random());
			if (*retry_ms < 200)
				*retry_ms = 200;
			return 1;
		}
		n->attempts = 0;
		if (r == 0 && !is_refused(n, it.hash))
			(*sent)++;
		/* a bundle merged upstream leaves the outbox, and the same
		 * index is the next one; one the hub holds for a gap stays:
		 * go past it */
		memcpy(hash, it.hash, 32);
		if (cdsync_outbox_at(db, before, &it) == CDSYNC_OK &&
		    memcmp(it.hash, hash, 32) == 0) {	/* not secret */
			if (!is_refused(n, hash)) {
				left = 1;
				if (etag[0] != '\0')
					put_held(n, hash, etag);
			}
			i++;
		} else {
			put_held(n, hash, "");
		}
	}
	if ((r = send_snapshot(n, db, c, wire)) < 0)
		return -1;
	if (r == 2)
		left = 1;
	if ((r = witness(n, db, c, wire)) < 0)
		return -1;
	if (r == 2)
		left = 1;
	put_state(n, "attempts", 0, NULL);
	return left;
}
