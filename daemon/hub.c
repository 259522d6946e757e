/* hub.c -- the hub role of cdsyncd; see hub.h.  Besides what hub.h lists,
 * it serves the hub's transparency log (SPEC.md 12), with ETags:
 *   /checkpoint                GET: the signed checkpoint of the log now
 *   /proof/inclusion/HASH      GET: the inclusion proof file of the bundle
 *                              with that hash (64 hex digits); 404 if the
 *                              log has it not
 *   /proof/consistency/SIZE    GET: the consistency proof file from the
 *                              tree of SIZE leaves to the log now; 400 if
 *                              the log is smaller
 */
#include "hub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "alloc.h"
#include "hubhttp.h"
#include "i18n.h"
#include "log.h"

struct cdsd_hub {
	cdsync *db;			/* the HTTP thread's store handle */
	struct cds_hubhttp *http;
	char staging[4096];		/* <home>/staging */
};

const char *
cdsd_code_word(int code)
{
	static const char *const words[] = {
		"OK", "ERROR", "ENOMEM", "EINVAL", "ENOTFOUND", "EEXIST",
		"ECONSTRAINT", "EIO", "ETOONEW", "ECORRUPT", "EBUSY",
		"ENOTINIT", "EAMBIGUOUS", "EBADINPUT", "EREFERENCED",
		"EREADONLY", "EBADBUNDLE", "EUNKNOWNKEY", "EBADSIG",
		"ENOTRECIPIENT", "EDECRYPT", "EGAP", "EREPLAY", "EFORK",
		"EFROZEN", "EREVOKED", "EROLLBACK", "ESCOPE", "ELOCKED",
		"EPASSWORD"
	};

	if (code >= 0 && (size_t)code < sizeof words / sizeof words[0])
		return words[code];
	return "ERROR";
}

/* A reply body: "WORD message". */
static void
say(struct cds_hubhttp_reply *r, unsigned status, int code, const char *msg)
{
	size_t n = strlen(cdsd_code_word(code)) + 1 + strlen(msg) + 1;

	r->status = status;
	if ((r->body = cds_malloc(n)) == NULL)
		return;
	r->len = (size_t)snprintf((char *)r->body, n, "%s %s",
				  cdsd_code_word(code), msg);
	snprintf(r->type, sizeof r->type, "text/plain; charset=utf-8");
}

/* The last byte of an upload arrived: take the bundle in and answer with
 * the receipt. */
static int
done(void *ctx, const char *id, const char *path, const char *meta,
     struct cds_hubhttp_reply *reply)
{
	struct cdsd_hub *h = ctx;
	cdsync_bundle_info info;
	uint8_t *rcpt = NULL;
	char said[1024];
	uint8_t v[512];
	size_t changes = 0, len = 0, vlen = 0;
	int rc, vr;

	/* the hub below vouches for when it first took the bundle in */
	if (cds_tus_meta_get(meta, "voucher", v, sizeof v, &vlen) ==
	    CDSYNC_OK) {
		vr = cdsync_receipt_take(h->db, v, vlen);
		if (vr != CDSYNC_OK && vr != CDSYNC_EREPLAY)
			cdsd_log(CDSD_WARN, _("upload %s: its voucher is not "
					      "taken: %s"),
				 id, cdsync_errmsg(h->db));
	}
	rc = cdsync_import_file(h->db, path, &changes);
	snprintf(said, sizeof said, "%s", cdsync_errmsg(h->db));
	switch (rc) {
	case CDSYNC_OK:
	case CDSYNC_EREPLAY:
	case CDSYNC_EGAP:
		break;
	case CDSYNC_EBUSY:
	case CDSYNC_EIO:
	case CDSYNC_ENOMEM:
	case CDSYNC_ERROR:
	case CDSYNC_ELOCKED:
		/* passing: the node tries again */
		cdsd_log(CDSD_WARN, _("upload %s: not taken in now (%s); the "
				      "node will send it again"),
			 id, cdsync_errmsg(h->db));
		return -1;
	default:
		cdsd_log(CDSD_WARN, _("upload %s: refused: %s"), id,
			 cdsync_errmsg(h->db));
		say(reply, 422, rc, cdsync_errmsg(h->db));
		return 0;
	}
	/* the header only (no store: nothing decrypted twice) */
	if (cdsync_bundle_read(NULL, path, &info, NULL, NULL) != CDSYNC_OK ||
	    cdsync_receipt_make(h->db, info.hash, &rcpt, &len) != CDSYNC_OK) {
		cdsd_log(CDSD_WARN, _("upload %s: no receipt now (%s); the "
				      "node will ask again"),
			 id, cdsync_errmsg(h->db));
		return -1;
	}
	if (rc == CDSYNC_OK)
		cdsd_log(CDSD_INFO, _("bundle %llu of node …%02x%02x%02x%02x "
				      "taken in: %zu change(s)"),
			 (unsigned long long)info.seq, info.node[12],
			 info.node[13], info.node[14], info.node[15], changes);
	else
		cdsd_log(CDSD_INFO, "%s", said);
	if ((reply->body = cds_malloc(len)) == NULL) {
		cdsync_free(rcpt);
		return -1;
	}
	memcpy(reply->body, rcpt, len);
	reply->len = len;
	reply->status = 200;
	reply->receipt = 1;
	cdsync_free(rcpt);
	return 0;
}

/* ==== The transparency log (SPEC.md 12.4, 12.5) ==================== */

/* Answers with a file of the log made by the store (text, ETag the hash
 * of its bytes, so If-None-Match gets 304 until the log grows), or with
 * the refusal: 404 for what the log has not, 400 for a bad request, 503
 * (return -1) for a passing failure. */
static int
log_reply(cdsync *db, int rc, uint8_t *p, size_t len,
	  struct cds_hubhttp_reply *reply)
{
	unsigned char hash[32];

	switch (rc) {
	case CDSYNC_OK:
		break;
	case CDSYNC_ENOTFOUND:
		say(reply, 404, rc, cdsync_errmsg(db));
		return 0;
	case CDSYNC_EINVAL:
		say(reply, 400, rc, cdsync_errmsg(db));
		return 0;
	case CDSYNC_EBUSY:
	case CDSYNC_EIO:
	case CDSYNC_ENOMEM:
	case CDSYNC_ELOCKED:
		cdsd_log(CDSD_WARN, _("transparency log: not answered now: %s"),
			 cdsync_errmsg(db));
		return -1;
	default:
		cdsd_log(CDSD_ERROR, _("transparency log: %s"),
			 cdsync_errmsg(db));
		say(reply, 500, rc, cdsync_errmsg(db));
		return 0;
	}
	if (len > CDS_HUBHTTP_REPLYMAX || (reply->body = cds_malloc(len)) ==
					  NULL) {
		cdsync_free(p);
		return -1;
	}
	memcpy(reply->body, p, len);
	reply->len = len;
	cdsync_free(p);
	crypto_generichash(hash, sizeof hash, reply->body, reply->len, NULL,
			   0);
	sodium_bin2hex(reply->etag, sizeof reply->etag, hash, 16);
	snprintf(reply->type, sizeof reply->type, "text/plain; charset=utf-8");
	reply->status = 200;
	return 0;
}

/* A tree size in a URL: decimal, no sign, no leading zero, < 2^64. */
static int
url_size(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 20 ||
		    x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* GET /checkpoint, /proof/inclusion/HASH (64 hex digits) and
 * /proof/consistency/SIZE.  1 when url is none of them. */
static int
get_log(struct cdsd_hub *h, const char *url, struct cds_hubhttp_reply *reply)
{
	static const char incl[] = "/proof/inclusion/";
	static const char cons[] = "/proof/consistency/";
	uint8_t *p = NULL, bundle[32];
	const char *end = NULL;
	uint64_t old = 0;
	size_t len = 0, got = 0;
	int rc;

	if (strcmp(url, "/checkpoint") == 0) {
		rc = cdsync_tlog_checkpoint(h->db, &p, &len);
	} else if (strncmp(url, incl, sizeof incl - 1) == 0) {
		url += sizeof incl - 1;
		if (strlen(url) != 64 ||
		    sodium_hex2bin(bundle, sizeof bundle, url, 64, NULL, &got,
				   &end) != 0 || got != 32 || *end != '\0') {
			say(reply, 400, CDSYNC_EINVAL,
			    _("the bundle hash is not 64 hex digits"));
			return 0;
		}
		rc = cdsync_tlog_inclusion(h->db, bundle, &p, &len);
	} else if (strncmp(url, cons, sizeof cons - 1) == 0) {
		if (url_size(url + sizeof cons - 1, &old) != 0) {
			say(reply, 400, CDSYNC_EINVAL,
			    _("the old tree size is not a decimal number "
			      "without a leading zero"));
			return 0;
		}
		rc = cdsync_tlog_consistency(h->db, old, &p, &len);
	} else {
		return 1;
	}
	return log_reply(h->db, rc, p, len, reply);
}

/* GET /catalog: the catalog this hub has; and the log's files above. */
static int
get(void *ctx, const char *url, struct cds_hubhttp_reply *reply)
{
	struct cdsd_hub *h = ctx;
	unsigned char hash[32];
	uint8_t *bytes = NULL;
	size_t len = 0;
	int rc;

	if ((rc = get_log(h, url, reply)) != 1)
		return rc;
	if (strcmp(url, "/catalog") != 0) {
		say(reply, 404, CDSYNC_ENOTFOUND, _("no such document"));
		return 0;
	}
	if ((rc = cdsync_catalog_bytes(h->db, &bytes, &len)) != CDSYNC_OK) {
		if (rc == CDSYNC_ENOMEM)
			return -1;
		say(reply, 404, rc, cdsync_errmsg(h->db));
		return 0;
	}
	if (len > CDS_HUBHTTP_REPLYMAX ||
	    (reply->body = cds_malloc(len)) == NULL) {
		cdsync_free(bytes);
		return -1;
	}
	memcpy(reply->body, bytes, len);
	cdsync_free(bytes);
	reply->len = len;
	crypto_generichash(hash, sizeof hash, reply->body, reply->len, NULL,
			   0);
	sodium_bin2hex(reply->etag, sizeof reply->etag, hash, 16);
	reply->status = 200;
	return 0;
}

/* POST /catalog: sheets from below (the uploading node's, and those of
 * the nodes below it), taken in as `cdsync import` takes catalog files:
 * all checked against the chain from the root, older editions skipped. */
static int
post(void *ctx, const char *url, const uint8_t *body, size_t len,
     struct cds_hubhttp_reply *reply)
{
	struct cdsd_hub *h = ctx;
	int rc;

	if (strcmp(url, "/catalog") != 0) {
		say(reply, 404, CDSYNC_ENOTFOUND, _("no such document"));
		return 0;
	}
	rc = cdsync_catalog_take(h->db, body, len);
	if (rc == CDSYNC_OK || rc == CDSYNC_EROLLBACK) {
		/* an older copy of a sheet beside newer ones is no fault */
		say(reply, 200, CDSYNC_OK, rc == CDSYNC_OK
					       ? _("catalog taken in")
					       : cdsync_errmsg(h->db));
		if (rc == CDSYNC_OK)
			cdsd_log(CDSD_INFO, "%s", _("catalog sheets from below "
						    "taken in"));
		return 0;
	}
	if (rc == CDSYNC_EBUSY || rc == CDSYNC_EIO || rc == CDSYNC_ENOMEM)
		return -1;
	cdsd_log(CDSD_WARN, _("catalog from below refused: %s"),
		 cdsync_errmsg(h->db));
	say(reply, 422, rc, cdsync_errmsg(h->db));
	return 0;
}

int
cdsd_hub_start(const char *home, const char *store_path,
	       const struct cdsd_config *c, cdsync_passphrase_fn pass,
	       void *passctx, struct cdsd_hub **out, char *err,
	       size_t errlen)
{
	struct cds_hubhttp_config hc;
	struct cdsd_hub *h;
	int rc;

	*out = NULL;
	if ((h = cds_calloc(1, sizeof *h)) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return -1;
	}
	snprintf(h->staging, sizeof h->staging, "%s/staging", home);
	if (mkdir(h->staging, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, _("cannot make the folder %s: %s"),
			 h->staging, strerror(errno));
		goto fail;
	}
	if ((rc = cdsync_open(store_path, 0, &h->db)) != CDSYNC_OK) {
		snprintf(err, errlen, "%s", h->db ? cdsync_errmsg(h->db)
						  : cdsync_strerror(rc));
		goto fail;
	}
	cdsync_passphrase_cb(h->db, pass, passctx);
	if (cdsync_unlock(h->db, NULL) != CDSYNC_OK) {
		snprintf(err, errlen, "%s", cdsync_errmsg(h->db));
		goto fail;
	}
	memset(&hc, 0, sizeof hc);
	hc.address = c->listen_addr;
	hc.port = c->listen_port;
	hc.staging_dir = h->staging;
	hc.max_upload = c->max_upload;
	hc.connection_limit = c->connection_limit;
	hc.per_ip_limit = c->per_ip_limit;
	hc.idle_timeout = c->idle_timeout;
	hc.request_timeout = c->request_timeout;
	hc.done = done;
	hc.get = get;
	hc.post = post;
	hc.ctx = h;
	if (cds_hubhttp_start(&hc, &h->http, err, errlen) != CDSYNC_OK)
		goto fail;
	*out = h;
	return 0;
fail:
	cdsync_close(h->db);
	cds_free(h);
	return -1;
}

void
cdsd_hub_stop(struct cdsd_hub **hp)
{
	struct cdsd_hub *h = hp ? *hp : NULL;

	if (h == NULL)
		return;
	cds_hubhttp_stop(&h->http);
	cdsync_close(h->db);
	cds_free(h);
	*hp = NULL;
}

uint16_t
cdsd_hub_port(const struct cdsd_hub *h)
{
	return cds_hubhttp_port(h->http);
}
