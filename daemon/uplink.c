/* uplink.c -- see uplink.h.
 *
 * Sections: the content (a file or memory); the link (the PATCH size);
 * one HTTP request; the tus steps (creation, HEAD, PATCH, receipt); the
 * call; a document by conditional GET; backoff.
 */
#include "uplink.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "hubhttp.h"
#include "i18n.h"
#include "sha1.h"

#define DEF_CONNECT_MS 10000L
#define DEF_LOW_BYTES 16L
#define DEF_LOW_SECONDS 30L
#define DEF_CHUNK (64u << 10)
#define MAX_CHUNK (16u << 20)
#define MAX_CONFLICTS 3 /* 409 or 460 answers in one call */
#define MAX_RESTARTS 2	/* new POSTs in one call */
#define MAX_HEADERS 16	/* extra headers of a target */
#define MIN_PATCH (4u << 10) /* first PATCH past the last cut's point */
#define OVERSHOOT 64	/* bytes a PATCH may run past that point */
#define GUESS_HEADER 256 /* bytes of a PATCH's headers, before measured */
#define HEAL 8		/* mean spans without a cut: the cuts forgotten */
#define SPAN_MAX ((uint64_t)1 << 40)

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ==== The content =================================================== */

struct src {
	int fd;		     /* the file, or -1 */
	const uint8_t *mem;  /* or the bytes */
	uint64_t len;
	uint8_t *buf;	     /* a chunk read from the file */
	const char *path;
};

/* Points *p at n bytes of the content from off. */
static int
src_get(struct src *s, uint64_t off, size_t n, const uint8_t **p, char *err,
	size_t errlen)
{
	size_t got = 0;
	ssize_t r;

	if (s->fd < 0) {
		*p = s->mem + off;
		return CDSYNC_OK;
	}
	while (got < n) {
		r = pread(s->fd, s->buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			seterr(err, errlen,
			       _("%s: cannot read %zu bytes at offset "
				 "%llu: %s"),
			       s->path, n, (unsigned long long)off + got,
			       r < 0 ? strerror(errno) : _("the file shrank"));
			return CDSYNC_ECORRUPT;
		}
		got += (size_t)r;
	}
	*p = s->buf;
	return CDSYNC_OK;
}

static int
src_sha256(struct src *s, size_t chunk, uint8_t out[32], char *err,
	   size_t errlen)
{
	crypto_hash_sha256_state st;
	const uint8_t *p;
	uint64_t off;
	size_t n;
	int rc;

	crypto_hash_sha256_init(&st);
	for (off = 0; off < s->len; off += n) {
		n = s->len - off < chunk ? (size_t)(s->len - off) : chunk;
		if ((rc = src_get(s, off, n, &p, err, errlen)) != CDSYNC_OK)
			return rc;
		crypto_hash_sha256_update(&st, p, n);
	}
	crypto_hash_sha256_final(&st, out);
	return CDSYNC_OK;
}

/* ==== The link ===================================================== */

static uint64_t
isqrt(uint64_t v)
{
	uint64_t x = v, y;

	if (v < 2)
		return v;
	for (y = x / 2 + 1; y < x; y = (x + v / x) / 2)
		x = y;
	return x;
}

static uint64_t
span_mean(const struct cds_uplink_link *l)
{
	return l->avg ? l->avg / 2 + l->span / 2 : l->span;
}

/* Where a kind of span (the last two, the bytes since) places the next
 * cut: 1 and *left, the bytes that fit before it once hdr more went (<=
 * 0: past it), if it is regular; else 0. */
static int
expect(uint64_t span, uint64_t prev, uint64_t since, uint64_t hdr,
       int64_t *left)
{
	uint64_t d = span > prev ? span - prev : prev - span;

	if (span == 0 || prev == 0 || d > span / 8)
		return 0;
	*left = (int64_t)span - (int64_t)(since + hdr); /* all < 2^41 */
	return 1;
}

size_t
cds_uplink_next_chunk(const struct cds_uplink_link *l, size_t chunk)
{
	uint64_t lo, hdr, cap, mean, run, conn, n;
	int64_t left[2], ahead = INT64_MAX, past = INT64_MAX;
	int k[2], i;

	if (chunk == 0)
		return 1;
	if (l == NULL || l->span == 0)
		return chunk;
	lo = MIN_PATCH < chunk ? MIN_PATCH : chunk;
	hdr = l->header ? l->header : GUESS_HEADER;
	if (hdr > CDS_HUBHTTP_REPLYMAX)
		hdr = CDS_HUBHTTP_REPLYMAX; /* keeps 2 * hdr * mean < 2^64 */
	run = l->run < SPAN_MAX ? l->run : SPAN_MAX;
	conn = l->conn < SPAN_MAX ? l->conn : SPAN_MAX;
	cap = chunk;
	k[0] = expect(l->span, l->prev, run, hdr, &left[0]);
	k[1] = expect(l->cspan, l->cprev, conn, hdr, &left[1]);
	if (!k[0] && !k[1]) {
		/* cuts at random: a PATCH of P loses P/2 at a cut on average
		 * and costs hdr/P in headers; least for P = sqrt(2 hdr mean) */
		mean = span_mean(l);
		cap = isqrt(2 * hdr * mean);
		cap = cap < lo ? lo : cap > chunk ? chunk : cap;
		k[0] = 1;
		left[0] = (int64_t)l->span - (int64_t)(run + hdr);
	}
	for (i = 0; i < 2; i++) {
		if (!k[i])
			continue;
		if (left[i] > 0 && left[i] < ahead)
			ahead = left[i];
		if (left[i] <= 0 && -left[i] < past)
			past = -left[i];
	}
	/* past a cut expected: from lo, doubling; and never more than
	 * OVERSHOOT past the nearest one ahead */
	n = past == INT64_MAX ? UINT64_MAX
	    : (uint64_t)past > lo ? (uint64_t)past : lo;
	if (ahead != INT64_MAX && (uint64_t)ahead + OVERSHOOT < n)
		n = (uint64_t)ahead + OVERSHOOT;
	return (size_t)(n < cap ? n : cap);
}

void
cds_uplink_link_opened(struct cds_uplink_link *l)
{
	if (l != NULL)
		l->conn = 0;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void
cds_uplink_link_carried(struct cds_uplink_link *l, uint64_t bytes)
{
	uint64_t m;

	if (l == NULL)
		return;
	l->run = add_sat(l->run, bytes);
	l->conn = add_sat(l->conn, bytes);
	if (l->span == 0)
		return;
	m = span_mean(l);
	if (m < l->span)
		m = l->span;
	if (l->run / HEAL >= m) /* the link holds now */
		l->span = l->prev = l->avg = l->cspan = l->cprev = 0;
}

void
cds_uplink_link_cut(struct cds_uplink_link *l, uint64_t bytes)
{
	uint64_t run, conn;

	if (l == NULL)
		return;
	l->open = 0;
	run = add_sat(l->run, bytes);
	conn = add_sat(l->conn, bytes);
	if (run == 0)
		return;		/* nothing went through: nothing learned */
	if (l->span != 0)
		l->avg = l->avg ? l->avg / 2 + l->span / 2 : l->span;
	l->prev = l->span;
	l->span = run < SPAN_MAX ? run : SPAN_MAX;
	l->cprev = l->cspan;
	l->cspan = conn < SPAN_MAX ? conn : SPAN_MAX;
	l->run = l->conn = 0;
}

void
cds_uplink_link_kept(struct cds_uplink_link *l, uint64_t bytes)
{
	if (l == NULL || l->span == 0)
		return;
	l->span = bytes < SPAN_MAX - l->span ? l->span + bytes : SPAN_MAX;
	if (l->cspan != 0)
		l->cspan = bytes < SPAN_MAX - l->cspan ? l->cspan + bytes
						       : SPAN_MAX;
}

/* ==== One HTTP request ============================================== */

struct resp {		 /* what the hub answered */
	long status;
	int has_offset;
	uint64_t offset; /* Upload-Offset */
	int has_length;
	uint64_t length; /* Upload-Length */
	int receipt;	 /* Cdsync-Receipt: 1 */
	char location[CDS_UPLINK_URLMAX];
	int location_long;
	char etag[CDS_UPLINK_ETAGMAX]; /* "" none, or too long */
	uint8_t *body;	 /* cds_malloc'd */
	size_t n;
	int toobig;	 /* body over CDS_HUBHTTP_REPLYMAX */
};

struct call {
	const struct cds_uplink_target *t;
	struct cds_uplink_link *link;	/* t->link */
	const struct cds_uplink_resume *st;
	CURL *curl;
	struct cds_uplink_result *res;
	int64_t deadline; /* monotonic ms; 0: none */
	long connect_ms, low_bytes, low_s;
	char cerr[CURL_ERROR_SIZE];
	char *err;
	size_t errlen;
};

static void
resp_clear(struct resp *r)
{
	cds_free(r->body);
	memset(r, 0, sizeof *r);
}

/* "Name: value\r\n" -> value if the name matches, trimmed into v[cap]. */
static int
header_is(const char *b, size_t n, const char *name, char *v, size_t cap)
{
	size_t k = strlen(name), i, j;

	if (n <= k || strncasecmp(b, name, k) != 0 || b[k] != ':')
		return 0;
	for (i = k + 1; i < n && (b[i] == ' ' || b[i] == '\t'); i++)
		;
	for (j = n; j > i && (b[j - 1] == '\r' || b[j - 1] == '\n' ||
			      b[j - 1] == ' ' || b[j - 1] == '\t');
	     j--)
		;
	if (j - i >= cap)
		return -1;
	memcpy(v, b + i, j - i);
	v[j - i] = '\0';
	return 1;
}

static size_t
on_header(char *b, size_t size, size_t nitems, void *ud)
{
	struct resp *r = ud;
	size_t n = size * nitems;
	char v[32];
	int k;

	if (n >= 5 && memcmp(b, "HTTP/", 5) == 0) { /* not secret */
		/* a new answer (after a 100 Continue): forget the last */
		r->has_offset = r->has_length = r->receipt = 0;
		r->location[0] = '\0';
		r->location_long = 0;
		r->etag[0] = '\0';
		return n;
	}
	if (header_is(b, n, "Upload-Offset", v, sizeof v) == 1)
		r->has_offset = cds_tus_parse_u64(v, &r->offset) == CDSYNC_OK;
	else if (header_is(b, n, "Upload-Length", v, sizeof v) == 1)
		r->has_length = cds_tus_parse_u64(v, &r->length) == CDSYNC_OK;
	else if (header_is(b, n, "Cdsync-Receipt", v, sizeof v) == 1)
		r->receipt = strcmp(v, "1") == 0;
	else if ((k = header_is(b, n, "Location", r->location,
				sizeof r->location)) != 0)
		r->location_long = k < 0;
	else if (header_is(b, n, "ETag", r->etag, sizeof r->etag) < 0)
		r->etag[0] = '\0';
	return n;
}

static size_t
on_body(char *b, size_t size, size_t nitems, void *ud)
{
	struct resp *r = ud;
	size_t n = size * nitems;
	uint8_t *p;

	if (n > CDS_HUBHTTP_REPLYMAX - r->n) {
		r->toobig = 1;
		return 0;
	}
	if ((p = cds_realloc(r->body, r->n + n)) == NULL)
		return 0;
	memcpy(p + r->n, b, n);
	r->body = p;
	r->n += n;
	return n;
}

/* The first line of the hub's text answer, printable, for a message. */
static const char *
said(const struct resp *r, char out[256])
{
	size_t i;

	for (i = 0; i < r->n && i < 255 && r->body[i] != '\n'; i++)
		out[i] = r->body[i] >= ' ' && r->body[i] <= '~'
				 ? (char)r->body[i]
				 : '?';
	out[i] = '\0';
	return i ? out : _("(no message)");
}

/* A PATCH body, given to curl by on_read. */
struct body {
	const uint8_t *p;
	size_t n;
	size_t off;	    /* bytes given to curl */
	curl_off_t sent;    /* most bytes curl said it had sent */
};

/* curl resets CURLINFO_SIZE_UPLOAD_T when it gets a request ready to be
 * sent again (see on_seek): what it had sent is kept here. */
static int
on_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	curl_off_t ulnow)
{
	struct body *b = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (ulnow > b->sent)
		b->sent = ulnow;
	return 0;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	struct body *b = ud;
	size_t k = size * nitems;

	if (k > b->n - b->off)
		k = b->n - b->off;
	memcpy(buf, b->p + b->off, k);
	b->off += k;
	return k;
}

/* When a reused connection dies before an answer, curl sends the request
 * again on a new one, rewinding the body.  Once bytes went out the hub
 * may have kept them: refuse, so that the next call asks the hub (HEAD)
 * instead of sending the same bytes again to be refused with 409. */
static int
on_seek(void *ud, curl_off_t offset, int origin)
{
	struct body *b = ud;

	if (origin != SEEK_SET || offset != 0 || b->off > 0)
		return CURL_SEEKFUNC_FAIL;
	return CURL_SEEKFUNC_OK;
}

enum method { M_HEAD, M_GET, M_POST, M_PATCH };

static const char *const method_names[] = { "HEAD", "GET", "POST",
					    "PATCH" };

/* What one request tells about the link: it carried the request, or it
 * was cut after bytes went out (a PATCH cut: the next HEAD says how much
 * of its body the hub kept). */
static void
account(struct call *x, enum method m, CURLcode cc, uint64_t head,
	uint64_t body)
{
	struct cds_uplink_link *l = x->link;

	if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR) { /* answered */
		cds_uplink_link_carried(l, head + body);
		if (m == M_PATCH && head <= UINT32_MAX)
			l->header = (uint32_t)head;
	} else if (head > 0 || body > 0) {
		cds_uplink_link_cut(l, head);
		if (m == M_PATCH && body > 0) {
			l->open = 1;
			l->open_offset = x->st->offset;
			memcpy(l->open_sha256, x->st->sha256, 32);
		}
	}
}

/* Makes one request.  CDSYNC_OK when the hub answered (any status, in
 * rs); CDS_UPLINK_RETRY on a transport failure; CDS_UPLINK_REFUSED if
 * the answer is too big; CDSYNC_EINVAL for a URL curl refuses. */
static int
request(struct call *x, enum method m, const char *url,
	const char *const *more, const uint8_t *body, size_t n,
	struct resp *rs)
{
	const struct cds_uplink_target *t = x->t;
	struct body bd = { body, n, 0, 0 };
	struct curl_slist *hl = NULL, *nl;
	curl_off_t up = 0;
	long reqsize = 0, left = 0;
	CURLcode cc;
	size_t i;
	int rc = CDSYNC_OK;

	resp_clear(rs);
	if (x->deadline > 0 && (left = (long)(x->deadline - mono_ms())) <= 0) {
		seterr(x->err, x->errlen,
		       _("hub %s: gave up after max_time_ms %ld"), url,
		       t->max_time_ms);
		return CDS_UPLINK_RETRY;
	}
	nl = curl_slist_append(hl, "Tus-Resumable: " CDS_TUS_VERSION);
	for (i = 0; nl && t->headers && t->headers[i]; i++)
		nl = curl_slist_append(hl = nl, t->headers[i]);
	for (i = 0; nl && more && more[i]; i++)
		nl = curl_slist_append(hl = nl, more[i]);
	if (nl)
		nl = curl_slist_append(hl = nl, "Expect:"); /* no round trip */
	if (nl == NULL) {
		curl_slist_free_all(hl);
		seterr(x->err, x->errlen, _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	hl = nl;
	curl_easy_reset(x->curl);
	x->cerr[0] = '\0';
	curl_easy_setopt(x->curl, CURLOPT_URL, url);
	curl_easy_setopt(x->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, x->cerr);
	curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT_MS, x->connect_ms);
	curl_easy_setopt(x->curl, CURLOPT_LOW_SPEED_LIMIT, x->low_bytes);
	curl_easy_setopt(x->curl, CURLOPT_LOW_SPEED_TIME, x->low_s);
	if (x->deadline > 0)
		curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(x->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->curl, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(x->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x->curl, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(x->curl, CURLOPT_XFERINFODATA, &bd);
	switch (m) {
	case M_HEAD:
		curl_easy_setopt(x->curl, CURLOPT_NOBODY, 1L);
		break;
	case M_GET:
		curl_easy_setopt(x->curl, CURLOPT_HTTPGET, 1L);
		break;
	case M_POST:
		curl_easy_setopt(x->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)0);
		curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, "");
		break;
	case M_PATCH:
		curl_easy_setopt(x->curl, CURLOPT_CUSTOMREQUEST, "PATCH");
		curl_easy_setopt(x->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)n);
		curl_easy_setopt(x->curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(x->curl, CURLOPT_READDATA, &bd);
		curl_easy_setopt(x->curl, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(x->curl, CURLOPT_SEEKDATA, &bd);
		break;
	}
	cc = curl_easy_perform(x->curl);
	if (curl_easy_getinfo(x->curl, CURLINFO_SIZE_UPLOAD_T, &up) !=
		    CURLE_OK ||
	    up < bd.sent)
		up = bd.sent;
	if (up > 0)
		x->res->body_bytes += (uint64_t)up;
	if (curl_easy_getinfo(x->curl, CURLINFO_REQUEST_SIZE, &reqsize) ==
		    CURLE_OK &&
	    reqsize > 0)
		x->res->header_bytes += (uint64_t)reqsize;
	x->res->requests++;
	if (x->link != NULL)
		account(x, m, cc, reqsize > 0 ? (uint64_t)reqsize : 0,
			up > 0 ? (uint64_t)up : 0);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE,
				  &rs->status);
		x->res->status = rs->status;
	} else if (cc == CURLE_WRITE_ERROR && rs->toobig) {
		seterr(x->err, x->errlen,
		       _("hub %s: %s: the answer exceeds %u bytes"), url,
		       method_names[m], CDS_HUBHTTP_REPLYMAX);
		rc = CDS_UPLINK_REFUSED;
	} else if (cc == CURLE_URL_MALFORMAT ||
		   cc == CURLE_UNSUPPORTED_PROTOCOL) {
		seterr(x->err, x->errlen, _("hub %s: not a usable URL: %s"),
		       url, x->cerr[0] ? x->cerr : curl_easy_strerror(cc));
		rc = CDSYNC_EINVAL;
	} else if (cc == CURLE_SEND_FAIL_REWIND) {	/* on_seek refused */
		seterr(x->err, x->errlen,
		       _("hub %s: %s failed, retry later: the connection was "
			 "lost after part of the request went out; the hub "
			 "is asked how much it has"),
		       url, method_names[m]);
		rc = CDS_UPLINK_RETRY;
	} else {
		seterr(x->err, x->errlen,
		       _("hub %s: %s failed, retry later: %s"), url,
		       method_names[m],
		       x->cerr[0] ? x->cerr : curl_easy_strerror(cc));
		rc = CDS_UPLINK_RETRY;
	}
	curl_slist_free_all(hl);
	return rc;
}

/* What an answer's status means for the upload. */
enum verdict { V_OK, V_GONE, V_CONFLICT, V_CHECKSUM, V_RETRY, V_REFUSED };

static enum verdict
judge(long status)
{
	if (status >= 200 && status < 300)
		return V_OK;
	if (status == 404 || status == 410)
		return V_GONE;
	if (status == 409)
		return V_CONFLICT;
	if (status == 460)
		return V_CHECKSUM;
	if (status == 408 || status == 423 || status == 429 || status >= 500)
		return V_RETRY;
	return V_REFUSED;
}

/* The error of an answer that ends the call. */
static int
answer_err(struct call *x, const char *url, const char *what,
	   const struct resp *rs, enum verdict v)
{
	char b[256];

	seterr(x->err, x->errlen, _("hub %s: %s: %ld %s"), url, what,
	       rs->status, said(rs, b));
	return v == V_REFUSED ? CDS_UPLINK_REFUSED : CDS_UPLINK_RETRY;
}

/* ==== The tus steps ================================================= */

/* Resolves the Location of a creation against the base URL; refuses one
 * pointing to another origin than the base (scheme, host, port). */
static int
resolve(const char *base, const char *loc, char *out, size_t cap)
{
	CURLUPart parts[3] = { CURLUPART_SCHEME, CURLUPART_HOST,
			       CURLUPART_PORT };
	CURLU *a = curl_url(), *b = curl_url();
	char *pa = NULL, *pb = NULL, *s = NULL;
	int rc = -1, i;

	if (a == NULL || b == NULL ||
	    curl_url_set(a, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(b, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(b, CURLUPART_URL, loc, 0) != CURLUE_OK)
		goto out;
	for (i = 0; i < 3; i++) {
		if (curl_url_get(a, parts[i], &pa, CURLU_DEFAULT_PORT) !=
			    CURLUE_OK ||
		    curl_url_get(b, parts[i], &pb, CURLU_DEFAULT_PORT) !=
			    CURLUE_OK ||
		    strcasecmp(pa, pb) != 0)
			goto out;
		curl_free(pa);
		curl_free(pb);
		pa = pb = NULL;
	}
	if (curl_url_get(b, CURLUPART_URL, &s, 0) != CURLUE_OK ||
	    strlen(s) >= cap)
		goto out;
	memcpy(out, s, strlen(s) + 1);
	rc = 0;
out:
	curl_free(pa);
	curl_free(pb);
	curl_free(s);
	curl_url_cleanup(a);
	curl_url_cleanup(b);
	return rc;
}

static int
create(struct call *x, struct cds_uplink_resume *st, const char *meta,
       struct resp *rs)
{
	const char *base = x->t->base_url;
	char lenh[48], *metah;
	const char *more[4];
	size_t mn = strlen(meta) + 32;
	enum verdict v;
	int rc;

	if ((metah = cds_malloc(mn)) == NULL) {
		seterr(x->err, x->errlen, _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	snprintf(lenh, sizeof lenh, "Upload-Length: %llu",
		 (unsigned long long)st->length);
	snprintf(metah, mn, "Upload-Metadata: %s", meta);
	more[0] = lenh;
	more[1] = metah;
	more[2] = "Content-Type:";
	more[3] = NULL;
	rc = request(x, M_POST, base, more, NULL, 0, rs);
	cds_free(metah);
	if (rc != CDSYNC_OK)
		return rc;
	if ((v = judge(rs->status)) != V_OK || rs->status != 201)
		return answer_err(x, base, _("creation"), rs,
				  v == V_OK || v == V_GONE || v == V_CONFLICT
					  ? V_REFUSED
					  : v);
	if (rs->location[0] == '\0' || rs->location_long ||
	    resolve(base, rs->location, st->url, sizeof st->url) != 0) {
		st->url[0] = '\0';
		seterr(x->err, x->errlen,
		       _("hub %s: creation: unusable Location \"%.200s\""),
		       base, rs->location);
		return CDS_UPLINK_REFUSED;
	}
	st->offset = 0;
	return CDSYNC_OK;
}

/* Sends bytes [st->offset, st->offset + n) (n may be 0: the final PATCH
 * of a complete upload). */
static int
patch(struct call *x, struct cds_uplink_resume *st, const uint8_t *p,
      size_t n, struct resp *rs)
{
	uint8_t sum[CDS_SHA1_BYTES];
	char offh[48], sumh[64], b64[32], what[64];
	const char *more[5];
	int rc;

	cds_sha1(p, n, sum);
	sodium_bin2base64(b64, sizeof b64, sum, sizeof sum,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(offh, sizeof offh, "Upload-Offset: %llu",
		 (unsigned long long)st->offset);
	snprintf(sumh, sizeof sumh, "Upload-Checksum: sha1 %s", b64);
	more[0] = offh;
	more[1] = sumh;
	more[2] = "Content-Type: application/offset+octet-stream";
	more[3] = NULL;
	rc = request(x, M_PATCH, st->url, more, p, n, rs);
	if (rc == CDSYNC_OK && judge(rs->status) == V_OK &&
	    (!rs->has_offset || rs->offset != st->offset + n)) {
		snprintf(what, sizeof what, "PATCH at offset %llu",
			 (unsigned long long)st->offset);
		seterr(x->err, x->errlen,
		       _("hub %s: %s of %zu bytes: answered without the "
			 "Upload-Offset %llu"),
		       st->url, what, n, (unsigned long long)st->offset + n);
		return CDS_UPLINK_RETRY;
	}
	return rc;
}

static void
take_reply(struct cds_uplink_result *res, struct resp *rs)
{
	res->reply = rs->body;
	res->reply_len = rs->n;
	res->receipt = rs->receipt;
	rs->body = NULL;
	rs->n = 0;
}

/* ==== The call ====================================================== */

static int
check_headers(const char *const *h, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; h && h[i]; i++)
		if (i == MAX_HEADERS || strchr(h[i], ':') == NULL ||
		    strpbrk(h[i], "\r\n") != NULL) {
			seterr(err, errlen,
			       _("uplink: extra header %zu is not one "
				 "\"Name: value\" line (at most %d)"),
			       i + 1, MAX_HEADERS);
			return CDSYNC_EINVAL;
		}
	return CDSYNC_OK;
}

static void
make_meta(const struct cds_uplink_target *t, const char *path,
	  const uint8_t sha[32], char *meta, size_t cap)
{
	const char *name = t->filename, *slash;
	char hex[65];

	if (name == NULL && path != NULL)
		name = (slash = strrchr(path, '/')) ? slash + 1 : path;
	if (name == NULL || *name == '\0')
		name = "bundle";
	meta[0] = '\0';
	if (cds_tus_meta_add(meta, cap, "filename", (const uint8_t *)name,
			     strlen(name)) != CDSYNC_OK)
		(void)cds_tus_meta_add(meta, cap, "filename",
				       (const uint8_t *)"bundle", 6);
	sodium_bin2hex(hex, sizeof hex, sha, 32);
	(void)cds_tus_meta_add(meta, cap, "sha256", (const uint8_t *)hex, 64);
	if (t->voucher != NULL && t->voucher_len > 0)
		(void)cds_tus_meta_add(meta, cap, "voucher", t->voucher,
				       t->voucher_len);
}

static void
progress(cds_uplink_progress_cb cb, void *ctx,
	 const struct cds_uplink_resume *st)
{
	if (cb)
		cb(ctx, st->offset, st->length, st);
}

static void
restart(struct cds_uplink_resume *st, struct cds_uplink_result *res)
{
	st->url[0] = '\0';
	st->offset = 0;
	res->restarts++;
}

int
cds_uplink_send(const struct cds_uplink_target *t, const char *path,
		const uint8_t *data, size_t len, struct cds_uplink_resume *st,
		cds_uplink_progress_cb cb, void *cbctx,
		struct cds_uplink_result *res, char *err, size_t errlen)
{
	struct src s = { -1, NULL, 0, NULL, NULL };
	struct call x;
	struct resp rs;
	struct stat sb;
	const uint8_t *p;
	uint8_t sha[32];
	char meta[CDS_TUS_METAMAX + 1], url[CDS_UPLINK_URLMAX + 16], what[64];
	size_t chunk, n;
	unsigned conflicts = 0, restarts = 0;
	int rc, need_head, e;
	enum verdict v;

	memset(&x, 0, sizeof x);
	memset(&rs, 0, sizeof rs);
	if (res != NULL)
		memset(res, 0, sizeof *res);
	if (err && errlen)
		err[0] = '\0';
	if (t == NULL || t->base_url == NULL || st == NULL || res == NULL ||
	    (path == NULL) == (data == NULL)) {
		seterr(err, errlen,
		       _("uplink: needs a target with a base URL, resume "
			 "state, a result and one of path or data"));
		return CDSYNC_EINVAL;
	}
	if ((rc = check_headers(t->headers, err, errlen)) != CDSYNC_OK)
		return rc;
	chunk = t->chunk ? t->chunk : DEF_CHUNK;
	if (chunk > MAX_CHUNK)
		chunk = MAX_CHUNK;
	s.path = path;
	if (path != NULL) {
		if ((s.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
		    fstat(s.fd, &sb) != 0) {
			e = errno;
			seterr(err, errlen, _("%s: %s"), path, strerror(e));
			rc = e == ENOENT ? CDSYNC_ENOTFOUND : CDSYNC_ECORRUPT;
			goto out;
		}
		s.len = (uint64_t)sb.st_size;
		if ((s.buf = cds_malloc(chunk)) == NULL) {
			seterr(err, errlen, _("out of memory"));
			rc = CDSYNC_ENOMEM;
			goto out;
		}
	} else {
		s.mem = data;
		s.len = len;
	}
	if (s.len == 0) {
		seterr(err, errlen, _("uplink: %s is empty: nothing to send"),
		       path ? path : _("the content"));
		rc = CDSYNC_EINVAL;
		goto out;
	}
	if ((rc = src_sha256(&s, chunk, sha, err, errlen)) != CDSYNC_OK)
		goto out;
	if (st->url[0] != '\0' &&
	    (st->length != s.len || sodium_memcmp(st->sha256, sha, 32) != 0 ||
	     memchr(st->url, '\0', sizeof st->url) == NULL))
		restart(st, res); /* state of other content */
	st->length = s.len;
	memcpy(st->sha256, sha, 32);
	make_meta(t, path, sha, meta, sizeof meta);

	x.t = t;
	x.link = t->link;
	x.st = st;
	x.res = res;
	x.err = err;
	x.errlen = errlen;
	x.connect_ms = t->connect_timeout_ms > 0 ? t->connect_timeout_ms
						 : DEF_CONNECT_MS;
	x.low_bytes = t->low_speed_bytes > 0 ? t->low_speed_bytes
					     : DEF_LOW_BYTES;
	x.low_s = t->low_speed_seconds > 0 ? t->low_speed_seconds
					   : DEF_LOW_SECONDS;
	x.deadline = t->max_time_ms > 0 ? mono_ms() + t->max_time_ms : 0;
	if ((x.curl = curl_easy_init()) == NULL) {
		seterr(err, errlen, _("uplink: libcurl cannot start"));
		rc = CDSYNC_ENOMEM;
		goto out;
	}

	cds_uplink_link_opened(x.link); /* a curl handle of its own */
	need_head = st->url[0] != '\0';
	for (;;) {
		if (st->url[0] == '\0') {
			if (restarts++ > MAX_RESTARTS) {
				seterr(err, errlen,
				       _("hub %s: the upload was lost %u "
					 "times in one call; retry later"),
				       t->base_url, restarts - 1);
				rc = CDS_UPLINK_RETRY;
				goto out;
			}
			if (x.link)
				x.link->open = 0; /* its span is closed */
			if ((rc = create(&x, st, meta, &rs)) != CDSYNC_OK)
				goto out;
			progress(cb, cbctx, st);
			need_head = 0;
		}
		if (need_head) {
			rc = request(&x, M_HEAD, st->url, NULL, NULL, 0, &rs);
			if (rc != CDSYNC_OK)
				goto out;
			v = judge(rs.status);
			if (v == V_GONE || (v == V_OK &&
					    ((rs.has_length &&
					      rs.length != s.len) ||
					     (rs.has_offset &&
					      rs.offset > s.len)))) {
				restart(st, res); /* expired, or not ours */
				continue;
			}
			if (v != V_OK || !rs.has_offset) {
				rc = answer_err(&x, st->url, "HEAD", &rs,
						v == V_OK || v == V_CONFLICT ||
								v == V_CHECKSUM
							? V_RETRY
							: v);
				goto out;
			}
			if (x.link && x.link->open &&
			    x.link->open_offset <= rs.offset &&
			    sodium_memcmp(x.link->open_sha256, sha, 32) == 0)
				cds_uplink_link_kept(x.link, rs.offset -
						     x.link->open_offset);
			if (x.link)
				x.link->open = 0;
			st->offset = rs.offset;
			progress(cb, cbctx, st);
			need_head = 0;
			if (rs.receipt) {
				snprintf(url, sizeof url, "%s/receipt",
					 st->url);
				rc = request(&x, M_GET, url, NULL, NULL, 0,
					     &rs);
				if (rc != CDSYNC_OK)
					goto out;
				if ((v = judge(rs.status)) != V_OK)
					rc = answer_err(&x, url, "GET", &rs,
							v == V_GONE ? V_RETRY
								    : v);
				take_reply(res, &rs);
				goto out;
			}
		}
		n = cds_uplink_next_chunk(x.link, chunk);
		if (s.len - st->offset < n)
			n = (size_t)(s.len - st->offset);
		if ((rc = src_get(&s, st->offset, n, &p, err, errlen)) !=
		    CDSYNC_OK)
			goto out;
		if ((rc = patch(&x, st, p, n, &rs)) != CDSYNC_OK)
			goto out;
		v = judge(rs.status);
		if (v == V_OK) {
			st->offset += n;
			progress(cb, cbctx, st);
			if (st->offset == s.len) {
				take_reply(res, &rs);
				rc = CDSYNC_OK;
				goto out;
			}
			continue;
		}
		if (v == V_GONE) {
			restart(st, res);
			continue;
		}
		snprintf(what, sizeof what, "PATCH at offset %llu",
			 (unsigned long long)st->offset);
		if ((v == V_CONFLICT || v == V_CHECKSUM) &&
		    ++conflicts <= MAX_CONFLICTS) {
			need_head = 1;
			continue;
		}
		rc = answer_err(&x, st->url, what, &rs,
				v == V_REFUSED ? V_REFUSED : V_RETRY);
		if (v == V_REFUSED && st->offset + n == s.len)
			take_reply(res, &rs); /* the hub refused the bundle */
		goto out;
	}
out:
	resp_clear(&rs);
	if (x.curl)
		curl_easy_cleanup(x.curl);
	if (s.fd >= 0)
		close(s.fd);
	cds_free(s.buf);
	return rc;
}

void
cds_uplink_result_free(struct cds_uplink_result *res)
{
	if (res == NULL)
		return;
	cds_free(res->reply);
	res->reply = NULL;
	res->reply_len = 0;
}

/* ==== A document by conditional GET ================================= */

int
cds_uplink_get(const struct cds_uplink_target *t, const char *url,
	       const char *inm, struct cds_uplink_doc *doc, char *err,
	       size_t errlen)
{
	struct cds_uplink_result res;
	struct call x;
	struct resp rs;
	const char *more[2] = { NULL, NULL };
	char *inmh = NULL;
	size_t k;
	int rc;

	memset(&x, 0, sizeof x);
	memset(&rs, 0, sizeof rs);
	memset(&res, 0, sizeof res);
	if (doc != NULL)
		memset(doc, 0, sizeof *doc);
	if (err && errlen)
		err[0] = '\0';
	if (t == NULL || url == NULL || doc == NULL) {
		seterr(err, errlen,
		       _("uplink: needs a target, a URL and a document"));
		return CDSYNC_EINVAL;
	}
	if ((rc = check_headers(t->headers, err, errlen)) != CDSYNC_OK)
		return rc;
	if (inm != NULL && *inm != '\0') {
		if (strpbrk(inm, "\r\n") != NULL) {
			seterr(err, errlen,
			       _("uplink: If-None-Match is not one line"));
			return CDSYNC_EINVAL;
		}
		k = strlen(inm) + sizeof "If-None-Match: ";
		if ((inmh = cds_malloc(k)) == NULL) {
			seterr(err, errlen, _("out of memory"));
			return CDSYNC_ENOMEM;
		}
		snprintf(inmh, k, "If-None-Match: %s", inm);
		more[0] = inmh;
	}
	x.t = t;
	x.link = t->link;
	x.res = &res;
	x.err = err;
	x.errlen = errlen;
	x.connect_ms = t->connect_timeout_ms > 0 ? t->connect_timeout_ms
						 : DEF_CONNECT_MS;
	x.low_bytes = t->low_speed_bytes > 0 ? t->low_speed_bytes
					     : DEF_LOW_BYTES;
	x.low_s = t->low_speed_seconds > 0 ? t->low_speed_seconds
					   : DEF_LOW_SECONDS;
	x.deadline = t->max_time_ms > 0 ? mono_ms() + t->max_time_ms : 0;
	if ((x.curl = curl_easy_init()) == NULL) {
		cds_free(inmh);
		seterr(err, errlen, _("uplink: libcurl cannot start"));
		return CDSYNC_ENOMEM;
	}
	cds_uplink_link_opened(x.link);
	rc = request(&x, M_GET, url, more, NULL, 0, &rs);
	doc->wire = res.header_bytes + res.body_bytes;
	if (rc == CDSYNC_OK) {
		doc->status = rs.status;
		memcpy(doc->etag, rs.etag, sizeof doc->etag);
		doc->body = rs.body;
		doc->len = rs.n;
		rs.body = NULL;
		rs.n = 0;
	}
	resp_clear(&rs);
	curl_easy_cleanup(x.curl);
	cds_free(inmh);
	return rc;
}

void
cds_uplink_doc_free(struct cds_uplink_doc *doc)
{
	if (doc == NULL)
		return;
	cds_free(doc->body);
	doc->body = NULL;
	doc->len = 0;
}

/* ==== Backoff ======================================================= */

uint64_t
cds_uplink_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
		      uint32_t random)
{
	uint64_t ceil = base_ms < cap_ms ? base_ms : cap_ms, span;
	unsigned i;

	if (ceil == 0)
		return 0;
	for (i = 0; i < attempt && ceil < cap_ms; i++)
		ceil = ceil > cap_ms / 2 ? cap_ms : ceil * 2;
	/* floor(span * random / 2^32), span = ceil + 1: uniform in
	 * [0, ceil] without 128-bit arithmetic */
	span = ceil == UINT64_MAX ? ceil : ceil + 1;
	return (span >> 32) * random + (((span & 0xffffffffu) * random) >> 32);
}
