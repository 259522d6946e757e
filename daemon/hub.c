/* hub.c -- the hub role of cdsyncd; see hub.h.  Besides what hub.h lists,
 * it serves the hub's transparency log (SPEC.md 12), with ETags:
 *   /checkpoint                GET: the signed checkpoint of the log now
 *   /proof/inclusion/HASH      GET: the inclusion proof file of the bundle
 *                              with that hash (64 hex digits); 404 if the
 *                              log has it not
 *   /proof/consistency/SIZE    GET: the consistency proof file from the
 *                              tree of SIZE leaves to the log now; 400 if
 *                              the log is smaller
 * and the enrolment of the nodes below it over the network:
 *   /enrol                     POST: an enrolment request (cdsync enrol
 *                              request), checked and kept in <home>/enrol/
 *                              as CODE-FINGERPRINT.cdsq for the operator to
 *                              approve (cdsync enrol approve FILE
 *                              --fingerprint F, the fingerprint read out by
 *                              phone); 202
 *   /enrol/NODE                GET (32 hex digits): the catalog, once it
 *                              certifies that node (ETag, If-None-Match);
 *                              404 until the operator approved it
 * and receipts again, for a bundle held for a gap:
 *   /receipt/HASH              GET (64 hex digits): its receipt now, with
 *                              an ETag; 404 if the hub never took it in
 * and what a hub below forwards with its bundles (SPEC.md 14.5):
 *   /checkpoint                POST: its checkpoint with the consistency
 *                              proof from the last one taken (409 and the
 *                              size held when from another size)
 *   /files/... *.cdss          a tus upload named *.cdss is a rollup
 *                              snapshot: taken in (200 "OK"), or refused
 */
#include "hub.h"

#include <dirent.h>
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
	cdsync *db;			/* hubhttp's worker uses it */
	struct cds_hubhttp *http;
	char staging[4096];		/* <home>/staging */
	char enrol[4096];		/* <home>/enrol */
};

#define ENROL_MAX_BYTES 16384		/* a request is a few hundred */
#define ENROL_MAX_FILES 1000		/* waiting for the operator */

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

/* msg as the node may read it: the staging file's path (where this hub
 * keeps its files) becomes "upload ID". */
static const char *
unpath(const char *msg, const char *path, const char *id, char *out,
       size_t cap)
{
	const char *at = strstr(msg, path);

	if (at == NULL)
		return msg;
	snprintf(out, cap, "%.*s%s %s%s", (int)(at - msg), msg, _("upload"),
		 id, at + strlen(path));
	return out;
}

#define SNAPSHOT_MAX ((size_t)256 << 20)	/* an uploaded snapshot */

/* An uploaded rollup snapshot of a hub below (SPEC.md 14.5): taken in,
 * then checked by the daemon's loop (cdsync_snapshot_check_all). */
static int
take_snapshot(struct cdsd_hub *h, const char *id, const char *path,
	      struct cds_hubhttp_reply *reply)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int rc;

	rc = cdsync_file_load(h->db, path, SNAPSHOT_MAX, &p, &n);
	if (rc == CDSYNC_EINVAL) {	/* larger than that */
		say(reply, 413, CDSYNC_EINVAL, _("a snapshot is at most 256 MiB"));
		return 0;
	}
	if (rc != CDSYNC_OK) {
		cdsd_log(CDSD_WARN, _("upload %s: the snapshot cannot be read "
				      "now"),
			 id);
		return -1;
	}
	rc = cdsync_snapshot_take(h->db, p, n, NULL);
	cdsync_free(p);
	switch (rc) {
	case CDSYNC_OK:
	case CDSYNC_EREPLAY:
		cdsd_log(CDSD_INFO, "%s", rc == CDSYNC_OK
				? _("a snapshot from below taken in; it is "
				    "checked against the bundles next")
				: cdsync_errmsg(h->db));
		say(reply, 200, CDSYNC_OK, _("snapshot taken"));
		return 0;
	case CDSYNC_EBUSY:
	case CDSYNC_EIO:
	case CDSYNC_ENOMEM:
	case CDSYNC_ERROR:
		cdsd_log(CDSD_WARN, _("upload %s: not taken in now (%s); the "
				      "node will send it again"),
			 id, cdsync_errmsg(h->db));
		return -1;
	default:
		cdsd_log(CDSD_WARN, _("upload %s: snapshot refused: %s"), id,
			 cdsync_errmsg(h->db));
		say(reply, 422, rc, cdsync_errmsg(h->db));
		return 0;
	}
}

/* POST /checkpoint: a checkpoint of a hub below with its consistency
 * proof from the last one this hub took of it (the body of a tlog-witness
 * add-checkpoint request).  200; 409 with the size held (text/x.tlog.size,
 * as tlog-witness answers) when the proof is from another size. */
static int
post_checkpoint(struct cdsd_hub *h, const uint8_t *body, size_t len,
		struct cds_hubhttp_reply *reply)
{
	uint64_t held = 0;
	int rc;

	rc = cdsync_checkpoint_take(h->db, body, len, &held);
	if (rc == CDSYNC_OK) {
		say(reply, 200, CDSYNC_OK, _("checkpoint taken"));
		return 0;
	}
	if (rc == CDSYNC_EBUSY || rc == CDSYNC_EIO || rc == CDSYNC_ENOMEM)
		return -1;
	if (rc == CDSYNC_EINVAL) {
		if ((reply->body = cds_malloc(24)) == NULL)
			return -1;
		reply->len = (size_t)snprintf((char *)reply->body, 24,
					      "%llu\n",
					      (unsigned long long)held);
		reply->status = 409;
		snprintf(reply->type, sizeof reply->type, "text/x.tlog.size");
		return 0;
	}
	cdsd_log(CDSD_WARN, _("a checkpoint from below refused: %s"),
		 cdsync_errmsg(h->db));
	say(reply, 422, rc, cdsync_errmsg(h->db));
	return 0;
}

/* POST /cosignature: a checkpoint of this hub's log, cosigned by a hub
 * below as its witness (SPEC.md 12.9).  200 with how many witnesses
 * cosigned that tree head; 422 when a line does not verify, or the
 * checkpoint is not one this hub signed. */
static int
post_cosignature(struct cdsd_hub *h, const uint8_t *body, size_t len,
		 struct cds_hubhttp_reply *reply)
{
	char said[96];
	size_t n = 0;
	int rc;

	rc = cdsync_tlog_cosigned_take(h->db, body, len, &n);
	if (rc == CDSYNC_OK) {
		snprintf(said, sizeof said,
			 _("cosignature taken: %zu witnesses cosigned this "
			   "tree head"),
			 n);
		say(reply, 200, CDSYNC_OK, said);
		return 0;
	}
	if (rc == CDSYNC_EBUSY || rc == CDSYNC_EIO || rc == CDSYNC_ENOMEM)
		return -1;
	cdsd_log(CDSD_WARN, _("a cosignature from below refused: %s"),
		 cdsync_errmsg(h->db));
	say(reply, 422, rc, cdsync_errmsg(h->db));
	return 0;
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

	if (cds_tus_meta_get(meta, "filename", v, sizeof v - 1, &vlen) ==
		    CDSYNC_OK && vlen > 5 &&
	    memcmp(v + vlen - 5, ".cdss", 5) == 0)
		return take_snapshot(h, id, path, reply);

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
		say(reply, 422, rc,
		    unpath(cdsync_errmsg(h->db), path, id, said,
			   sizeof said));
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

/* A 200 answer of the n bytes at p (the store's, freed here), with the
 * ETag of its bytes (the first 16 of their BLAKE2b-256, in hex: SPEC.md
 * 11.2, 12.8), so If-None-Match gets 304 while they are the same.  0, or
 * -1 too large or out of memory. */
static int
answer(struct cds_hubhttp_reply *reply, uint8_t *p, size_t n)
{
	unsigned char hash[32];

	if (n > CDS_HUBHTTP_REPLYMAX || (reply->body = cds_malloc(n)) == NULL) {
		cdsync_free(p);
		return -1;
	}
	memcpy(reply->body, p, n);
	reply->len = n;
	cdsync_free(p);
	crypto_generichash(hash, sizeof hash, reply->body, n, NULL, 0);
	sodium_bin2hex(reply->etag, sizeof reply->etag, hash, 16);
	reply->status = 200;
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
	if (answer(reply, p, len) != 0)
		return -1;
	snprintf(reply->type, sizeof reply->type, "text/plain; charset=utf-8");
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

	if (strcmp(url, "/checkpoint") == 0) {	/* with its cosignatures */
		rc = cdsync_tlog_cosigned_at(h->db, UINT64_MAX, &p, &len);
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

/* The catalog as the answer to a GET (ETag: its hash); 1 when there is
 * none (reply set), -1 out of memory. */
static int
catalog_reply(struct cdsd_hub *h, struct cds_hubhttp_reply *reply)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	int rc;

	if ((rc = cdsync_catalog_bytes(h->db, &bytes, &len)) != CDSYNC_OK) {
		if (rc == CDSYNC_ENOMEM)
			return -1;
		say(reply, 404, rc, cdsync_errmsg(h->db));
		return 1;
	}
	return answer(reply, bytes, len);
}

/* GET /enrol/NODE: the catalog once it certifies the node, else 404. */
static int
get_enrol(struct cdsd_hub *h, const char *hex, struct cds_hubhttp_reply *reply)
{
	cdsync_cat_entry e;
	uint8_t node[16];
	size_t i, n;
	int found = 0, rc = CDSYNC_ENOTFOUND;

	if (strlen(hex) != 32 ||
	    sodium_hex2bin(node, sizeof node, hex, 32, NULL, &n, NULL) != 0 ||
	    n != 16) {
		say(reply, 400, CDSYNC_EINVAL,
		    _("a node id is 32 hex digits, as its enrolment request "
		      "says"));
		return 0;
	}
	for (i = 0; !found && (rc = cdsync_catalog_at(h->db, i, &e)) ==
				      CDSYNC_OK;
	     i++)
		found = memcmp(e.node, node, 16) == 0 && e.revoked_from == 0;
	if (!found && rc == CDSYNC_ENOMEM)
		return -1;
	if (!found && rc != CDSYNC_ENOTFOUND) {
		say(reply, 503, rc, cdsync_errmsg(h->db));
		return 0;
	}
	if (!found) {
		say(reply, 404, CDSYNC_ENOTFOUND,
		    _("not enrolled yet: the upper union has not approved "
		      "this node's request; read its fingerprint out to them"));
		return 0;
	}
	return catalog_reply(h, reply) < 0 ? -1 : 0;
}

/* POST /enrol: a request from below, kept for the operator. */
static int
post_enrol(struct cdsd_hub *h, const uint8_t *body, size_t len,
	   struct cds_hubhttp_reply *reply)
{
	cdsync_request_info info;
	char tmp[4200], path[4800], msg[1024];
	struct dirent *de;
	size_t files = 0;
	FILE *f;
	DIR *d;
	int rc;

	if (len == 0 || len > ENROL_MAX_BYTES) {
		say(reply, 413, CDSYNC_EINVAL,
		    _("an enrolment request is at most 16 KiB"));
		return 0;
	}
	if ((d = opendir(h->enrol)) != NULL) {
		while ((de = readdir(d)) != NULL)
			files += de->d_name[0] != '.';
		closedir(d);
	}
	if (files >= ENROL_MAX_FILES) {
		say(reply, 503, CDSYNC_EBUSY,
		    _("too many enrolment requests wait for the operator; "
		      "try again later"));
		return 0;
	}
	snprintf(tmp, sizeof tmp, "%s/.incoming-%ld", h->enrol,
		 (long)getpid());
	if ((f = fopen(tmp, "wb")) == NULL ||
	    fwrite(body, 1, len, f) != len || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		if (f != NULL)
			fclose(f);
		unlink(tmp);
		say(reply, 503, CDSYNC_EIO, _("the request cannot be kept now"));
		return 0;
	}
	fclose(f);
	rc = cdsync_request_read(h->db, tmp, &info);
	if (rc != CDSYNC_OK) {
		unlink(tmp);
		if (rc == CDSYNC_ENOMEM)
			return -1;
		say(reply, 422, rc, cdsync_errmsg(h->db));
		return 0;
	}
	snprintf(path, sizeof path, "%s/%s-%s.cdsq", h->enrol, info.org,
		 info.fingerprint);
	if (strchr(info.org, '/') != NULL || rename(tmp, path) != 0) {
		unlink(tmp);
		say(reply, 503, CDSYNC_EIO, _("the request cannot be kept now"));
		return 0;
	}
	cdsd_log(CDSD_INFO, _("enrolment request of %s (%s), fingerprint %s, "
			      "kept as %s: approve it with 'cdsync enrol "
			      "approve %s --fingerprint %s' once its operator "
			      "has read the fingerprint out"),
		 info.org, info.name, info.fingerprint, path, path,
		 info.fingerprint);
	snprintf(msg, sizeof msg,
		 _("the request of %s is kept; the upper union approves it "
		   "once you have read it the fingerprint %s"),
		 info.org, info.fingerprint);
	say(reply, 202, CDSYNC_OK, msg);
	return 0;
}

/* GET /receipt/HASH: the receipt of a bundle this hub took in, as it
 * stands now (held, or merged since), with the ETag of its bytes: a node
 * asks again with If-None-Match each round for a bundle held for a gap,
 * instead of sending the bundle again; 404 for one it never took in. */
static int
get_receipt(struct cdsd_hub *h, const char *hex,
	    struct cds_hubhttp_reply *reply)
{
	uint8_t hash[32], *p = NULL;
	const char *end = NULL;
	size_t got = 0, len = 0;
	int rc;

	if (strlen(hex) != 64 ||
	    sodium_hex2bin(hash, sizeof hash, hex, 64, NULL, &got, &end) !=
		    0 ||
	    got != 32 || *end != '\0') {
		say(reply, 400, CDSYNC_EINVAL,
		    _("the bundle hash is not 64 hex digits"));
		return 0;
	}
	switch ((rc = cdsync_receipt_make(h->db, hash, &p, &len))) {
	case CDSYNC_OK:
		break;
	case CDSYNC_ENOTFOUND:
		say(reply, 404, rc, _("this hub never took that bundle in"));
		return 0;
	case CDSYNC_EBUSY:
	case CDSYNC_EIO:
	case CDSYNC_ENOMEM:
		cdsd_log(CDSD_WARN, _("receipt: not answered now: %s"),
			 cdsync_errmsg(h->db));
		return -1;
	default:
		cdsd_log(CDSD_ERROR, _("receipt: %s"), cdsync_errmsg(h->db));
		say(reply, 500, rc, cdsync_errmsg(h->db));
		return 0;
	}
	return answer(reply, p, len);
}

/* GET /catalog: the catalog this hub has; and the log's files above. */
static int
get(void *ctx, const char *url, struct cds_hubhttp_reply *reply)
{
	struct cdsd_hub *h = ctx;
	int rc;

	if ((rc = get_log(h, url, reply)) != 1)
		return rc;
	if (strncmp(url, "/receipt/", 9) == 0)
		return get_receipt(h, url + 9, reply);
	if (strncmp(url, "/enrol/", 7) == 0)
		return get_enrol(h, url + 7, reply);
	if (strcmp(url, "/catalog") != 0) {
		say(reply, 404, CDSYNC_ENOTFOUND, _("no such document"));
		return 0;
	}
	return catalog_reply(h, reply) < 0 ? -1 : 0;
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

	if (strcmp(url, "/enrol") == 0)
		return post_enrol(h, body, len, reply);
	if (strcmp(url, "/checkpoint") == 0)
		return post_checkpoint(h, body, len, reply);
	if (strcmp(url, "/cosignature") == 0)
		return post_cosignature(h, body, len, reply);
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
	snprintf(h->enrol, sizeof h->enrol, "%s/enrol", home);
	if (mkdir(h->enrol, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, _("cannot make the folder %s: %s"),
			 h->enrol, strerror(errno));
		goto fail;
	}
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
