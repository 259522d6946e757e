/* hubhttp_test.c -- the hub's tus server (daemon/hubhttp.h) over raw
 * sockets on 127.0.0.1, a port picked at run time, a fake wall clock for
 * expiry.  Every wait is bounded: a read gives up after a few seconds.
 *
 * The callbacks run in the server's worker thread: they only record what
 * they saw (under a mutex) and the test thread asserts on it; done() can
 * be held at a gate while the test does other requests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "hubhttp.h"
#include "sha1.h"
#include "testutil.h"

/* ==== A fake clock and recording callbacks ========================== */

static _Atomic long long fake_now = 1790000000; /* 2026-09-21 */

static time_t
clockfn(void)
{
	return (time_t)atomic_load(&fake_now);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int done_calls;	      /* done() calls */
static int done_fail;	      /* done() fails this many more times */
static uint8_t done_bytes[1 << 21]; /* the last upload's content */
static size_t done_len;
static char done_meta[512];
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int done_gate;	      /* done() waits while set (10 s at most) */
static int done_waiting;      /* done() calls waiting at the gate */

static void
deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Under mu: holds done() while the gate is shut. */
static void
gate_pass(void)
{
	struct timespec ts;

	if (!done_gate)
		return;
	deadline(&ts, 10000);
	done_waiting++;
	pthread_cond_broadcast(&gate_cv);
	while (done_gate && pthread_cond_timedwait(&gate_cv, &mu, &ts) == 0)
		;
	done_waiting--;
}

static void
gate_shut(void)
{
	pthread_mutex_lock(&mu);
	done_gate = 1;
	pthread_mutex_unlock(&mu);
}

static void
gate_open(void)
{
	pthread_mutex_lock(&mu);
	done_gate = 0;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&mu);
}

/* 1 once n done() calls wait at the gate (5 s at most). */
static int
gate_await(int n)
{
	struct timespec ts;
	int ok;

	deadline(&ts, 5000);
	pthread_mutex_lock(&mu);
	while (done_waiting < n &&
	       pthread_cond_timedwait(&gate_cv, &mu, &ts) == 0)
		;
	ok = done_waiting >= n;
	pthread_mutex_unlock(&mu);
	return ok;
}

static int
on_done(void *ctx, const char *id, const char *path, const char *meta,
	struct cds_hubhttp_reply *reply)
{
	FILE *f;
	char text[128];
	int n;

	(void)ctx;
	pthread_mutex_lock(&mu);
	done_calls++;
	gate_pass();
	if (done_fail > 0) {
		done_fail--;
		pthread_mutex_unlock(&mu);
		return -1;
	}
	done_len = 0;
	if ((f = fopen(path, "rb")) != NULL) {
		done_len = fread(done_bytes, 1, sizeof done_bytes, f);
		fclose(f);
	}
	snprintf(done_meta, sizeof done_meta, "%s", meta);
	pthread_mutex_unlock(&mu);
	n = snprintf(text, sizeof text, "RECEIPT %s %zu", id, done_len);
	reply->status = 201;
	reply->receipt = 1;
	reply->body = (uint8_t *)cds_strdup(text);
	reply->len = (size_t)n;
	snprintf(reply->type, sizeof reply->type, "text/plain");
	return 0;
}

static int
on_get(void *ctx, const char *url, struct cds_hubhttp_reply *reply)
{
	(void)ctx;
	if (strcmp(url, "/catalog") == 0) {
		reply->body = (uint8_t *)cds_strdup("catalog v1");
		reply->len = 10;
		snprintf(reply->etag, sizeof reply->etag, "v1");
		return 0;
	}
	reply->status = 404;
	reply->body = (uint8_t *)cds_strdup("ENOTFOUND no such document");
	reply->len = strlen((char *)reply->body);
	return 0;
}

static int
on_post(void *ctx, const char *url, const uint8_t *body, size_t len,
	struct cds_hubhttp_reply *reply)
{
	char t[128];

	(void)ctx;
	(void)body;
	snprintf(t, sizeof t, "got %zu at %s", len, url);
	reply->body = (uint8_t *)cds_strdup(t);
	reply->len = strlen(t);
	return 0;
}

static int
calls(void)
{
	int n;

	pthread_mutex_lock(&mu);
	n = done_calls;
	pthread_mutex_unlock(&mu);
	return n;
}

static void
reset_calls(void)
{
	pthread_mutex_lock(&mu);
	done_calls = 0;
	done_fail = 0;
	done_len = 0;
	done_gate = 0;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&mu);
}

/* ==== The server ==================================================== */

static struct cds_hubhttp_config
config(const char *dir)
{
	struct cds_hubhttp_config c;

	memset(&c, 0, sizeof c);
	c.address = "127.0.0.1";
	c.staging_dir = dir;
	c.max_upload = 1 << 20;
	c.max_post = 1024;
	c.idle_timeout = 5;
	c.request_timeout = 10;
	c.done = on_done;
	c.get = on_get;
	c.post = on_post;
	c.now = clockfn;
	return c;
}

static struct cds_hubhttp *
start(const struct cds_hubhttp_config *c)
{
	struct cds_hubhttp *h = NULL;
	char err[256];

	if (cds_hubhttp_start(c, &h, err, sizeof err) != 0) {
		fprintf(stderr, "start: %s\n", err);
		fail();
	}
	assert_true(cds_hubhttp_port(h) > 0);
	return h;
}

/* ==== Raw HTTP ====================================================== */

struct answer {
	int status;	  /* 0: none (closed or timed out) */
	int continued;	  /* a 100 Continue came first */
	char head[8192];  /* status line and headers */
	char body[65536];
	size_t nbody;
};
static struct answer A;

#define GET_CATALOG "GET /catalog HTTP/1.1\r\nHost: hub\r\n\r\n"
#define SUM_ABC "sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=" /* sha1("abc") */
#define SUM_SHORT "sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0"

static int
dial(uint16_t port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static void
put(int fd, const void *p, size_t n)
{
	const char *b = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		assert_true(w > 0);
		b += w;
		n -= (size_t)w;
	}
}

static void
puts_(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* Reads up to n bytes within ms; returns bytes, 0 at EOF, -1 timeout. */
static ssize_t
get_some(int fd, char *b, size_t n, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t r;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	r = recv(fd, b, n, 0);
	return r < 0 ? 0 : r; /* a reset is an end too */
}

static const char *
header(const char *name)
{
	static char v[1024];
	const char *p = A.head;
	size_t n = strlen(name), k;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			k = strcspn(p, "\r");
			if (k >= sizeof v)
				k = sizeof v - 1;
			memcpy(v, p, k);
			v[k] = '\0';
			return v;
		}
	}
	return NULL;
}

/* Reads one answer into A; for HEAD (or 204/304) no body is read. */
static int
answer(int fd, int head_only, int ms)
{
	static char raw[sizeof A.head + sizeof A.body];
	size_t n = 0, hn, cl = 0;
	const char *e, *v;
	ssize_t r;

	memset(&A, 0, sizeof A);
	for (;;) {
		raw[n] = '\0';
		if ((e = strstr(raw, "\r\n\r\n")) != NULL) {
			hn = (size_t)(e + 4 - raw);
			if (strncmp(raw, "HTTP/1.1 100", 12) == 0) {
				A.continued = 1;
				memmove(raw, raw + hn, n - hn);
				n -= hn;
				continue;
			}
			break;
		}
		if (n + 1 >= sizeof A.head)
			return -1;
		r = get_some(fd, raw + n, sizeof A.head - 1 - n, ms);
		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	memcpy(A.head, raw, hn);
	A.head[hn] = '\0';
	if (sscanf(A.head, "HTTP/1.%*d %d", &A.status) != 1)
		return -1;
	if (head_only || A.status == 204 || A.status == 304)
		return 0;
	if ((v = header("Content-Length")) != NULL)
		cl = strtoul(v, NULL, 10);
	assert_true(cl < sizeof A.body);
	memcpy(A.body, raw + hn, n - hn);
	A.nbody = n - hn;
	while (A.nbody < cl) {
		r = get_some(fd, A.body + A.nbody, cl - A.nbody, ms);
		if (r <= 0)
			return -1;
		A.nbody += (size_t)r;
	}
	A.body[A.nbody] = '\0';
	return 0;
}

/* One request on a new connection; the answer is in A. */
static int
ask(uint16_t port, const char *req, const void *body, size_t n)
{
	int fd = dial(port), head_only = strncmp(req, "HEAD ", 5) == 0;

	puts_(fd, req);
	if (n > 0)
		put(fd, body, n);
	if (answer(fd, head_only, 5000) != 0)
		A.status = 0;
	close(fd);
	return A.status;
}

static int
tus_post(uint16_t port, uint64_t len, const char *meta)
{
	char req[2048];

	snprintf(req, sizeof req,
		 "POST /files/ HTTP/1.1\r\nHost: hub\r\n"
		 "Tus-Resumable: 1.0.0\r\nUpload-Length: %llu\r\n"
		 "%s%s%sContent-Length: 0\r\n\r\n",
		 (unsigned long long)len, meta ? "Upload-Metadata: " : "",
		 meta ? meta : "", meta ? "\r\n" : "");
	return ask(port, req, NULL, 0);
}

/* Creates an upload; its id in id[33]. */
static void
create(uint16_t port, uint64_t len, char id[33])
{
	const char *loc;

	assert_int_equal(tus_post(port, len, NULL), 201);
	loc = header("Location");
	assert_non_null(loc);
	assert_int_equal(strncmp(loc, "/files/", 7), 0);
	assert_int_equal(strlen(loc), 7 + 32);
	memcpy(id, loc + 7, 33);
}

static int
tus_head(uint16_t port, const char *id)
{
	char req[256];

	snprintf(req, sizeof req,
		 "HEAD /files/%s HTTP/1.1\r\nHost: hub\r\nTus-Resumable: "
		 "1.0.0\r\n\r\n",
		 id);
	return ask(port, req, NULL, 0);
}

static long long
head_offset(uint16_t port, const char *id)
{
	const char *v;

	if (tus_head(port, id) != 200 || (v = header("Upload-Offset")) == NULL)
		return -1;
	return strtoll(v, NULL, 10);
}

/* The request head of a PATCH; `extra` are more header lines. */
static const char *
patch_head(const char *id, uint64_t off, size_t n, const char *extra)
{
	static char req[1024];

	snprintf(req, sizeof req,
		 "PATCH /files/%s HTTP/1.1\r\nHost: hub\r\n"
		 "Tus-Resumable: 1.0.0\r\nUpload-Offset: %llu\r\n"
		 "Content-Type: application/offset+octet-stream\r\n"
		 "Content-Length: %zu\r\n%s\r\n",
		 id, (unsigned long long)off, n, extra ? extra : "");
	return req;
}

static int
tus_patch(uint16_t port, const char *id, uint64_t off, const void *p,
	  size_t n, const char *extra)
{
	return ask(port, patch_head(id, off, n, extra), p, n);
}

static const char *
sha1_header(const void *p, size_t n)
{
	static char h[80];
	uint8_t d[CDS_SHA1_BYTES];
	char b[32];

	cds_sha1(p, n, d);
	sodium_bin2base64(b, sizeof b, d, sizeof d,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(h, sizeof h, "Upload-Checksum: sha1 %s\r\n", b);
	return h;
}

static void
fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 8));
}

static int
exists(const char *dir, const char *id, const char *ext)
{
	char p[512];
	struct stat sb;

	snprintf(p, sizeof p, "%s/%s.%s", dir, id, ext);
	return stat(p, &sb) == 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ==== Tests ========================================================= */

static void
test_options_lists_the_tus_version_extensions_and_limits(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);

	(void)state;
	assert_int_equal(ask(cds_hubhttp_port(h),
			     "OPTIONS /files/ HTTP/1.1\r\nHost: hub\r\n\r\n",
			     NULL, 0),
			 204);
	assert_string_equal(header("Tus-Version"), "1.0.0");
	assert_string_equal(header("Tus-Resumable"), "1.0.0");
	assert_string_equal(header("Tus-Extension"),
			    "creation,checksum,expiration");
	assert_string_equal(header("Tus-Max-Size"), "1048576");
	assert_string_equal(header("Tus-Checksum-Algorithm"), "sha1");
	cds_hubhttp_stop(&h);
	assert_null(h);
}

static void
test_post_creates_an_upload_that_head_describes(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	char id[33];

	(void)state;
	assert_int_equal(tus_post(port, 1000, "filename YS5iaW4=,flag"), 201);
	assert_string_equal(header("Tus-Resumable"), "1.0.0");
	/* expiry: 72 h after the fake now, 1790000000 */
	assert_string_equal(header("Upload-Expires"),
			    "Thu, 24 Sep 2026 14:13:20 GMT");
	memcpy(id, header("Location") + 7, 33);
	assert_true(exists(dir, id, "info") && exists(dir, id, "data"));
	assert_int_equal(tus_head(port, id), 200);
	assert_string_equal(header("Upload-Offset"), "0");
	assert_string_equal(header("Upload-Length"), "1000");
	assert_string_equal(header("Upload-Metadata"),
			    "filename YS5iaW4=,flag");
	assert_string_equal(header("Cache-Control"), "no-store");
	assert_string_equal(header("Upload-Expires"),
			    "Thu, 24 Sep 2026 14:13:20 GMT");
	assert_null(header("Cdsync-Receipt"));
	cds_hubhttp_stop(&h);
}

static void
test_bad_creations_are_refused_with_a_code_word(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);

	(void)state;
	assert_int_equal(tus_post(port, 10, "filename not*base64"), 400);
	assert_int_equal(strncmp(A.body, "EINVAL Upload-Metadata: ", 24), 0);
	assert_non_null(strstr(A.body, "\"filename\""));
	assert_int_equal(tus_post(port, 10, "a YQ==,a YQ=="), 400);
	assert_non_null(strstr(A.body, "given twice"));
	assert_int_equal(tus_post(port, 10, "sha256 YWJj"), 400);
	assert_non_null(strstr(A.body, "sha256 must be 64 hex"));
	assert_int_equal(tus_post(port, 0, NULL), 400);
	assert_int_equal(strncmp(A.body, "EINVAL Upload-Length", 20), 0);
	assert_int_equal(ask(port,
			     "POST /files/ HTTP/1.1\r\nHost: hub\r\n"
			     "Tus-Resumable: 1.0.0\r\n"
			     "Content-Length: 0\r\n\r\n",
			     NULL, 0),
			 400);
	assert_string_equal(A.body,
			    "EINVAL POST /files/ needs Upload-Length\n");
	assert_int_equal(ask(port,
			     "POST /files/ HTTP/1.1\r\nHost: hub\r\n"
			     "Upload-Length: 5\r\nContent-Length: 0\r\n\r\n",
			     NULL, 0),
			 412);
	assert_string_equal(header("Tus-Version"), "1.0.0");
	assert_int_equal(
		strncmp(A.body, "EVERSION Tus-Resumable is missing", 33), 0);
	assert_int_equal(ask(port,
			     "DELETE /files/ HTTP/1.1\r\nHost: hub\r\n\r\n",
			     NULL, 0),
			 405);
	assert_int_equal(strncmp(A.body, "EMETHOD ", 8), 0);
	cds_hubhttp_stop(&h);
}

static void
test_upload_length_over_the_limit_is_413_before_any_body(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	int64_t t0;
	int fd;

	(void)state;
	/* the client announces a body and waits for 100 Continue: the hub
	 * must answer from the headers alone */
	fd = dial(cds_hubhttp_port(h));
	t0 = now_ms();
	puts_(fd, "POST /files/ HTTP/1.1\r\nHost: hub\r\n"
		  "Tus-Resumable: 1.0.0\r\n"
		  "Upload-Length: 1048577\r\nExpect: 100-continue\r\n"
		  "Content-Length: 1048577\r\n\r\n");
	assert_int_equal(answer(fd, 0, 3000), 0);
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(A.status, 413);
	assert_false(A.continued);
	assert_string_equal(A.body,
			    "ETOOBIG Upload-Length 1048577 exceeds this "
			    "hub's limit of 1048576 bytes (Tus-Max-Size)\n");
	close(fd);
	cds_hubhttp_stop(&h);
}

static void
test_patch_refusals_412_415_409_413(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	uint8_t b[640];
	char id[33], req[512];

	(void)state;
	fill(b, sizeof b, 1);
	create(port, 1000, id);
	assert_int_equal(tus_patch(port, id, 0, b, 640, NULL), 204);
	assert_string_equal(header("Upload-Offset"), "640");

	snprintf(req, sizeof req,
		 "PATCH /files/%s HTTP/1.1\r\nHost: hub\r\n"
		 "Upload-Offset: 640\r\n"
		 "Content-Type: application/offset+octet-stream\r\n"
		 "Content-Length: 1\r\n\r\n",
		 id);
	assert_int_equal(ask(port, req, "x", 1), 412);
	assert_string_equal(header("Tus-Version"), "1.0.0");

	snprintf(req, sizeof req,
		 "PATCH /files/%s HTTP/1.1\r\nHost: hub\r\n"
		 "Tus-Resumable: 1.0.0\r\nUpload-Offset: 640\r\n"
		 "Content-Type: text/plain\r\n"
		 "Content-Length: 1\r\n\r\n",
		 id);
	assert_int_equal(ask(port, req, "x", 1), 415);
	assert_int_equal(strncmp(A.body, "ETYPE PATCH needs Content-Type", 30),
			 0);

	assert_int_equal(tus_patch(port, id, 1000, b, 10, NULL), 409);
	assert_string_equal(A.body, "ECONFLICT Upload-Offset 1000 but the "
				    "upload holds 640 bytes\n");
	assert_string_equal(header("Upload-Offset"), "640");

	assert_int_equal(tus_patch(port, id, 640, b, 361, NULL), 413);
	assert_int_equal(strncmp(A.body,
				 "ETOOBIG a body of 361 bytes at offset 640 "
				 "runs past Upload-Length 1000",
				 70),
			 0);
	assert_int_equal(head_offset(port, id), 640);
	assert_int_equal(calls(), 0);
	cds_hubhttp_stop(&h);
}

static void
test_a_checksum_mismatch_is_460_and_keeps_nothing(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	uint8_t b[500];
	char id[33], sum[80];

	(void)state;
	fill(b, sizeof b, 2);
	create(port, 1000, id);
	snprintf(sum, sizeof sum, "%s", sha1_header(b, 499)); /* not all */
	assert_int_equal(tus_patch(port, id, 0, b, 500, sum), 460);
	assert_int_equal(
		strncmp(A.body, "ECHECKSUM Upload-Checksum sha1 ", 31), 0);
	assert_non_null(strstr(A.body, "none of them was kept"));
	assert_int_equal(head_offset(port, id), 0);
	/* a checksum that matches is kept */
	assert_int_equal(tus_patch(port, id, 0, b, 500, sha1_header(b, 500)),
			 204);
	assert_int_equal(head_offset(port, id), 500);
	/* a checksum header that does not parse is 400 */
	assert_int_equal(tus_patch(port, id, 500, b, 10,
				   "Upload-Checksum: md5 abc=\r\n"),
			 400);
	assert_non_null(strstr(A.body, "\"md5\" is not supported"));
	assert_int_equal(head_offset(port, id), 500);
	cds_hubhttp_stop(&h);
}

static long long
offset_soon(uint16_t port, const char *id, long long want)
{
	long long got = -1;
	int i;

	for (i = 0; i < 100; i++) { /* 2 s at most */
		if ((got = head_offset(port, id)) == want)
			break;
		usleep(20000);
	}
	return got;
}

static void
test_a_patch_cut_mid_body_keeps_the_bytes_that_arrived(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	uint8_t b[1000];
	char id[33];
	int fd;

	(void)state;
	fill(b, sizeof b, 3);
	create(port, 1000, id);
	/* half the body, then the link dies: checksum or not, the 500
	 * bytes that arrived stay */
	fd = dial(port);
	puts_(fd, patch_head(id, 0, 1000, sha1_header(b, 1000)));
	put(fd, b, 500);
	usleep(100000);
	close(fd);
	assert_int_equal(offset_soon(port, id, 500), 500);
	assert_int_equal(tus_patch(port, id, 500, b + 500, 500, NULL), 201);
	assert_int_equal(calls(), 1);
	pthread_mutex_lock(&mu);
	assert_int_equal(done_len, 1000);
	assert_memory_equal(done_bytes, b, 1000);
	pthread_mutex_unlock(&mu);
	reset_calls();
	cds_hubhttp_stop(&h);
}

static void
test_a_head_or_a_newer_patch_takes_over_from_a_stale_one(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	uint8_t b[1000];
	char id[33], id2[33], x[16];
	int stale, stale2;

	(void)state;
	fill(b, sizeof b, 4);
	/* a connection the client thinks is dead, then a HEAD: the offset
	 * it reports stays true, the stale PATCH writes no more */
	create(port, 1000, id);
	stale = dial(port);
	puts_(stale, patch_head(id, 0, 1000, NULL));
	put(stale, b, 300);
	usleep(200000);
	assert_int_equal(head_offset(port, id), 300);
	put(stale, b + 300, 10);
	usleep(100000);
	assert_int_equal(head_offset(port, id), 300);
	assert_true(get_some(stale, x, sizeof x, 3000) >= 0); /* dropped */
	close(stale);
	assert_int_equal(tus_patch(port, id, 300, b + 300, 700, NULL), 201);
	assert_int_equal(calls(), 1);
	pthread_mutex_lock(&mu);
	assert_memory_equal(done_bytes, b, 1000);
	pthread_mutex_unlock(&mu);
	/* straight to a PATCH, without a HEAD */
	create(port, 1000, id2);
	stale2 = dial(port);
	puts_(stale2, patch_head(id2, 0, 1000, NULL));
	put(stale2, b, 400);
	usleep(200000);
	assert_int_equal(tus_patch(port, id2, 400, b + 400, 600, NULL), 201);
	put(stale2, b + 400, 10);
	assert_true(get_some(stale2, x, sizeof x, 3000) >= 0);
	close(stale2);
	assert_int_equal(calls(), 2);
	reset_calls();
	cds_hubhttp_stop(&h);
}

static void
test_bad_ids_are_404_before_the_file_system(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	char p[512], upper[] = "0123456789ABCDEF0123456789ABCDEF";
	const char *info = "cdsync-upload 1\nlength 5\ncreated 1\n"
			   "expires 9999999999\nmetadata \n";

	(void)state;
	/* files that would answer if the name were looked up */
	snprintf(p, sizeof p, "%s/%s.info", dir, upper);
	tu_write(p, info, strlen(info));
	snprintf(p, sizeof p, "%s/%s.data", dir, upper);
	tu_write(p, "abc", 3);
	assert_int_equal(tus_head(port, upper), 404);
	assert_int_equal(tus_patch(port, upper, 3, "de", 2, NULL), 404);
	assert_int_equal(strncmp(A.body, "ENOTFOUND no upload 0123456789AB",
				 32),
			 0);
	assert_non_null(strstr(A.body, "32 lowercase hex digits"));
	assert_int_equal(tus_head(port, "..%2f..%2f..%2fetc%2fpasswd"), 404);
	assert_int_equal(tus_patch(port, "../../../../tmp/x", 0, "a", 1, NULL),
			 404);
	assert_int_equal(tus_head(port, "0123456789abcdef0123456789abcde"),
			 404);
	assert_int_equal(tus_head(port, "0123456789abcdef0123456789abcdef0"),
			 404);
	/* a well-formed id nobody created */
	assert_int_equal(tus_head(port, "0123456789abcdef0123456789abcdef"),
			 404);
	/* the staged bytes are untouched */
	snprintf(p, sizeof p, "%s/%s.data", dir, upper);
	{
		struct stat sb;

		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(sb.st_size, 3);
	}
	cds_hubhttp_stop(&h);
}

static void
test_a_restarted_server_continues_an_upload(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = start(&c);
	uint8_t b[4000];
	char id[33];

	(void)state;
	fill(b, sizeof b, 5);
	create(cds_hubhttp_port(h), 4000, id);
	assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 0, b, 1500,
				   sha1_header(b, 1500)),
			 204);
	cds_hubhttp_stop(&h);
	h = start(&c);
	assert_int_equal(head_offset(cds_hubhttp_port(h), id), 1500);
	assert_string_equal(header("Upload-Length"), "4000");
	assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 1500, b + 1500,
				   2500, sha1_header(b + 1500, 2500)),
			 201);
	assert_int_equal(calls(), 1);
	pthread_mutex_lock(&mu);
	assert_int_equal(done_len, 4000);
	assert_memory_equal(done_bytes, b, 4000);
	pthread_mutex_unlock(&mu);
	reset_calls();
	cds_hubhttp_stop(&h);
}

/* An upload's state is saved unsynced until the hub says an offset of
 * it: one a power cut tore is answered 404 (the node creates it again),
 * its files removed -- at once, or at the next start. */
static void
test_an_upload_whose_state_a_power_cut_tore_starts_again(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = start(&c);
	char id[33], id2[33], p[512];
	struct stat sb;

	(void)state;
	create(cds_hubhttp_port(h), 100, id);
	create(cds_hubhttp_port(h), 100, id2);
	snprintf(p, sizeof p, "%s/%s.info", dir, id);
	tu_write(p, "cdsync-upl", 10);	/* what a power cut left */
	assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 0, "x", 1, NULL),
			 404);
	assert_non_null(strstr(A.body, "cut off by a power cut"));
	assert_int_equal(stat(p, &sb), -1);
	snprintf(p, sizeof p, "%s/%s.data", dir, id);
	assert_int_equal(stat(p, &sb), -1);
	/* the other, torn too, goes at the next start */
	cds_hubhttp_stop(&h);
	snprintf(p, sizeof p, "%s/%s.info", dir, id2);
	tu_write(p, "", 0);
	h = start(&c);
	assert_int_equal(stat(p, &sb), -1);
	assert_int_equal(tus_head(cds_hubhttp_port(h), id2), 404);
	cds_hubhttp_stop(&h);
}

/* max_uploads bounds the uploads in progress: finished ones, kept with
 * their reply until they expire, do not count (a district taking its
 * schools' bundles all week would otherwise answer 503 within days). */
static void
test_finished_uploads_do_not_count_against_the_limit(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h;
	uint16_t port;
	uint8_t b[10];
	char id[33], open1[33], open2[33];
	int i;

	(void)state;
	c.max_uploads = 2;
	h = start(&c);
	port = cds_hubhttp_port(h);
	fill(b, sizeof b, 9);
	for (i = 0; i < 5; i++) {	/* five finished, one after another */
		create(port, sizeof b, id);
		assert_int_equal(tus_patch(port, id, 0, b, sizeof b, NULL),
				 201);
	}
	/* two in progress reach the limit */
	create(port, sizeof b, open1);
	create(port, sizeof b, open2);
	assert_int_equal(tus_post(port, sizeof b, NULL), 503);
	assert_non_null(strstr(A.body, "EBUSY 2 uploads are in progress"));
	/* one finishes: room again; and after a restart the count holds */
	assert_int_equal(tus_patch(port, open1, 0, b, sizeof b, NULL), 201);
	cds_hubhttp_stop(&h);
	h = start(&c);
	port = cds_hubhttp_port(h);
	create(port, sizeof b, id);
	assert_int_equal(tus_post(port, sizeof b, NULL), 503);
	cds_hubhttp_stop(&h);
	tu_cleanup();
}

static void
test_done_is_called_once_across_retries_and_restarts(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	uint8_t b[100];
	char id[33], receipt[128];

	(void)state;
	fill(b, sizeof b, 6);
	create(port, 100, id);
	assert_int_equal(tus_patch(port, id, 0, b, 60, NULL), 204);
	assert_int_equal(tus_patch(port, id, 60, b + 60, 40, NULL), 201);
	assert_string_equal(header("Cdsync-Receipt"), "1");
	assert_string_equal(header("Upload-Offset"), "100");
	snprintf(receipt, sizeof receipt, "RECEIPT %s 100", id);
	assert_string_equal(A.body, receipt);
	assert_int_equal(calls(), 1);

	/* the client lost the answer and sends the last PATCH again */
	assert_int_equal(tus_patch(port, id, 60, b + 60, 40, NULL), 409);
	/* ... or, after a HEAD, an empty final PATCH */
	assert_int_equal(tus_head(port, id), 200);
	assert_string_equal(header("Upload-Offset"), "100");
	assert_string_equal(header("Cdsync-Receipt"), "1");
	assert_int_equal(tus_patch(port, id, 100, "", 0, NULL), 201);
	assert_string_equal(A.body, receipt);
	assert_string_equal(header("Cdsync-Receipt"), "1");
	assert_int_equal(calls(), 1);

	/* the hub restarts */
	cds_hubhttp_stop(&h);
	h = start(&c);
	port = cds_hubhttp_port(h);
	assert_int_equal(tus_patch(port, id, 100, "", 0, NULL), 201);
	assert_string_equal(A.body, receipt);
	{
		char req[256];

		snprintf(req, sizeof req,
			 "GET /files/%s/receipt HTTP/1.1\r\nHost: hub\r\n\r\n",
			 id);
		assert_int_equal(ask(port, req, NULL, 0), 201);
		assert_string_equal(A.body, receipt);
		assert_string_equal(header("Cdsync-Receipt"), "1");
		assert_string_equal(header("Content-Type"), "text/plain");
	}
	assert_int_equal(calls(), 1);
	reset_calls();
	cds_hubhttp_stop(&h);
}

static void
test_a_failing_done_is_called_again_by_the_next_final_patch(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	char id[33], req[256];

	(void)state;
	reset_calls();
	pthread_mutex_lock(&mu);
	done_fail = 1;
	pthread_mutex_unlock(&mu);
	create(port, 5, id);
	assert_int_equal(tus_patch(port, id, 0, "hello", 5, NULL), 503);
	assert_int_equal(
		strncmp(A.body, "EBUSY the hub cannot take upload", 32), 0);
	assert_int_equal(tus_head(port, id), 200);
	assert_null(header("Cdsync-Receipt"));
	snprintf(req, sizeof req,
		 "GET /files/%s/receipt HTTP/1.1\r\nHost: hub\r\n\r\n", id);
	assert_int_equal(ask(port, req, NULL, 0), 404);
	assert_int_equal(tus_patch(port, id, 5, "", 0, NULL), 201);
	assert_int_equal(calls(), 2);
	assert_int_equal(tus_patch(port, id, 5, "", 0, NULL), 201);
	assert_int_equal(calls(), 2);
	reset_calls();
	cds_hubhttp_stop(&h);
}

static void
test_a_reply_lost_before_it_was_stored_calls_done_again(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = start(&c);
	char id[33], p[512];

	(void)state;
	reset_calls();
	create(cds_hubhttp_port(h), 5, id);
	assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 0, "hello", 5,
				   NULL),
			 201);
	cds_hubhttp_stop(&h);
	/* as if the hub died after done() and before ID.reply was written:
	 * done() runs again, which is why it must be idempotent */
	snprintf(p, sizeof p, "%s/%s.reply", dir, id);
	assert_int_equal(unlink(p), 0);
	h = start(&c);
	assert_int_equal(tus_head(cds_hubhttp_port(h), id), 200);
	assert_null(header("Cdsync-Receipt"));
	assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 5, "", 0, NULL),
			 201);
	assert_int_equal(calls(), 2);
	reset_calls();
	cds_hubhttp_stop(&h);
}

static int
tus_receipt(uint16_t port, const char *id)
{
	char req[256];

	snprintf(req, sizeof req,
		 "GET /files/%s/receipt HTTP/1.1\r\nHost: hub\r\n\r\n", id);
	return ask(port, req, NULL, 0);
}

/* Sends a PATCH on a connection of its own and leaves the answer to be
 * read (answer()); returns the socket. */
static int
patch_async(uint16_t port, const char *id, uint64_t off, const char *body)
{
	int fd = dial(port);

	puts_(fd, patch_head(id, off, strlen(body), NULL));
	puts_(fd, body);
	return fd;
}

/* done() runs in a worker thread: while it takes one upload in, the
 * server goes on with the others (creation, bytes, HEAD), and the final
 * PATCH is answered with the reply once done() returns. */
static void
test_the_server_goes_on_while_done_runs(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	char a[33], b[33], receipt[128];
	int fd;

	(void)state;
	reset_calls();
	create(port, 5, a);
	gate_shut();
	fd = patch_async(port, a, 0, "hello");
	assert_true(gate_await(1));
	create(port, 10, b);
	assert_int_equal(tus_patch(port, b, 0, "01234", 5, NULL), 204);
	assert_int_equal(head_offset(port, b), 5);
	assert_int_equal(head_offset(port, a), 5);
	assert_null(header("Cdsync-Receipt")); /* not yet */
	gate_open();
	assert_int_equal(answer(fd, 0, 5000), 0);
	close(fd);
	assert_int_equal(A.status, 201);
	snprintf(receipt, sizeof receipt, "RECEIPT %s 5", a);
	assert_string_equal(A.body, receipt);
	assert_string_equal(header("Cdsync-Receipt"), "1");
	assert_string_equal(header("Upload-Offset"), "5");
	assert_string_equal(header("Tus-Resumable"), "1.0.0");
	assert_int_equal(calls(), 1);
	assert_int_equal(tus_patch(port, b, 5, "56789", 5, NULL), 201);
	assert_int_equal(calls(), 2);
	reset_calls();
	cds_hubhttp_stop(&h);
}

/* A final PATCH waiting for done() is not idle: libmicrohttpd does not
 * time a suspended connection out, and its timer starts again when it is
 * resumed. */
static void
test_a_final_patch_may_wait_for_done_longer_than_the_idle_timeout(
	void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h;
	char a[33];
	int fd;

	(void)state;
	c.idle_timeout = 1;
	h = start(&c);
	reset_calls();
	create(cds_hubhttp_port(h), 5, a);
	gate_shut();
	fd = patch_async(cds_hubhttp_port(h), a, 0, "hello");
	assert_true(gate_await(1));
	usleep(2500000);
	gate_open();
	assert_int_equal(answer(fd, 0, 5000), 0);
	close(fd);
	assert_int_equal(A.status, 201);
	assert_string_equal(header("Cdsync-Receipt"), "1");
	assert_int_equal(calls(), 1);
	reset_calls();
	cds_hubhttp_stop(&h);
}

/* A node whose answer is slow asks again (an empty final PATCH) while
 * done() still takes the upload in: the second PATCH waits behind the
 * first and gets the same reply; done() is called once. */
static void
test_a_final_patch_again_while_done_runs_gets_the_same_reply(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	char a[33], receipt[128];
	int f1, f2;

	(void)state;
	reset_calls();
	create(port, 5, a);
	gate_shut();
	f1 = patch_async(port, a, 0, "hello");
	assert_true(gate_await(1));
	f2 = patch_async(port, a, 5, "");
	/* f2 is queued behind f1 by now, or finds f1's reply stored: the
	 * same answer either way */
	usleep(200000);
	gate_open();
	snprintf(receipt, sizeof receipt, "RECEIPT %s 5", a);
	assert_int_equal(answer(f1, 0, 5000), 0);
	assert_int_equal(A.status, 201);
	assert_string_equal(A.body, receipt);
	assert_int_equal(answer(f2, 0, 5000), 0);
	assert_int_equal(A.status, 201);
	assert_string_equal(A.body, receipt);
	assert_string_equal(header("Cdsync-Receipt"), "1");
	close(f1);
	close(f2);
	assert_int_equal(calls(), 1);
	reset_calls();
	cds_hubhttp_stop(&h);
}

static void *
stopper(void *arg)
{
	cds_hubhttp_stop(arg);
	return NULL;
}

/* Stopping while done() runs waits for it; what is queued behind it is
 * answered 503 or cut, and taken in after the restart: every upload
 * once, none lost. */
static void
test_a_stop_while_done_runs_loses_nothing_and_repeats_nothing(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	char id[2][33];
	pthread_t t;
	int fd[2], i;

	(void)state;
	reset_calls();
	create(port, 5, id[0]);
	create(port, 5, id[1]);
	gate_shut();
	fd[0] = patch_async(port, id[0], 0, "hello");
	assert_true(gate_await(1));
	fd[1] = patch_async(port, id[1], 0, "world");
	usleep(200000);
	assert_int_equal(pthread_create(&t, NULL, stopper, &h), 0);
	usleep(200000);
	gate_open();
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_null(h);
	for (i = 0; i < 2; i++) {
		if (answer(fd[i], 0, 2000) == 0)
			assert_true(A.status == 201 || A.status == 503);
		close(fd[i]);
	}
	i = calls();
	assert_true(i == 1 || i == 2);
	h = start(&c);
	port = cds_hubhttp_port(h);
	for (i = 0; i < 2; i++) {
		assert_int_equal(tus_head(port, id[i]), 200);
		assert_string_equal(header("Upload-Offset"), "5");
		if (header("Cdsync-Receipt") == NULL)
			assert_int_equal(tus_patch(port, id[i], 5, "", 0,
						   NULL),
					 201);
		assert_int_equal(tus_receipt(port, id[i]), 201);
	}
	assert_int_equal(calls(), 2);
	reset_calls();
	cds_hubhttp_stop(&h);
}

/* ID.reply is not fsynced (the callback's store is the point of truth):
 * one torn by a crash of the machine (empty, short, damaged) reads as no
 * reply, and the next final PATCH calls done() again.  A reply of
 * version 1 (without its expiry and checksum) is still answered. */
static void
test_a_torn_reply_reads_as_none_and_done_runs_again(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = start(&c);
	static const char v1[] = "cdsync-reply 1\nstatus 200\nreceipt 1\n"
				 "type text/plain\nlength 3\n\nold";
	char id[33], p[512], buf[1024], receipt[128];
	size_t n, cut[3];
	FILE *f;
	int i;

	(void)state;
	reset_calls();
	create(cds_hubhttp_port(h), 5, id);
	assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 0, "hello", 5,
				   NULL),
			 201);
	snprintf(receipt, sizeof receipt, "RECEIPT %s 5", id);
	assert_string_equal(A.body, receipt);
	cds_hubhttp_stop(&h);
	snprintf(p, sizeof p, "%s/%s.reply", dir, id);
	assert_non_null(f = fopen(p, "rb"));
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(n > 20 && n < sizeof buf);
	assert_int_equal(strncmp(buf, "cdsync-reply 2\n", 15), 0);
	cut[0] = 0;	/* empty */
	cut[1] = n - 1; /* short */
	cut[2] = n;	/* its last byte damaged */
	for (i = 0; i < 3; i++) {
		if (i == 2)
			buf[n - 1] ^= 1;
		tu_write(p, buf, cut[i]);
		h = start(&c);
		assert_int_equal(tus_head(cds_hubhttp_port(h), id), 200);
		assert_null(header("Cdsync-Receipt"));
		assert_int_equal(tus_receipt(cds_hubhttp_port(h), id), 404);
		assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 5, "", 0,
					   NULL),
				 201);
		assert_string_equal(A.body, receipt);
		assert_int_equal(calls(), 2 + i);
		assert_int_equal(tus_head(cds_hubhttp_port(h), id), 200);
		assert_string_equal(header("Cdsync-Receipt"), "1");
		cds_hubhttp_stop(&h);
		if (i == 2)
			buf[n - 1] ^= 1;
	}
	tu_write(p, v1, sizeof v1 - 1);
	h = start(&c);
	assert_int_equal(tus_receipt(cds_hubhttp_port(h), id), 200);
	assert_string_equal(A.body, "old");
	assert_string_equal(header("Cdsync-Receipt"), "1");
	assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 5, "", 0, NULL),
			 200);
	assert_string_equal(A.body, "old");
	assert_int_equal(calls(), 4);
	reset_calls();
	cds_hubhttp_stop(&h);
}

/* A finished upload and its reply live expiry_hours from its completion
 * (the reply says when), not from its creation; across restarts too. */
static void
test_a_finished_upload_lives_expiry_hours_after_its_completion(
	void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = start(&c);
	char id[33], date[30];
	long long done_at;

	(void)state;
	reset_calls();
	create(cds_hubhttp_port(h), 5, id);
	atomic_fetch_add(&fake_now, 71LL * 3600);
	assert_int_equal(tus_patch(cds_hubhttp_port(h), id, 0, "hello", 5,
				   NULL),
			 201);
	done_at = atomic_load(&fake_now);
	cds_tus_httpdate((time_t)(done_at + 72LL * 3600), date);
	assert_string_equal(header("Upload-Expires"), date);
	/* past the creation's 72 h: still there, after a restart too */
	atomic_fetch_add(&fake_now, 2LL * 3600);
	assert_int_equal(tus_head(cds_hubhttp_port(h), id), 200);
	assert_string_equal(header("Cdsync-Receipt"), "1");
	assert_string_equal(header("Upload-Expires"), date);
	cds_hubhttp_stop(&h);
	h = start(&c);
	assert_int_equal(tus_receipt(cds_hubhttp_port(h), id), 201);
	assert_string_equal(header("Upload-Expires"), date);
	/* and gone 72 h after its completion */
	atomic_store(&fake_now, done_at + 72LL * 3600);
	assert_int_equal(tus_head(cds_hubhttp_port(h), id), 410);
	assert_false(exists(dir, id, "info") || exists(dir, id, "data") ||
		     exists(dir, id, "reply"));
	assert_int_equal(calls(), 1);
	reset_calls();
	cds_hubhttp_stop(&h);
}

static void
test_headers_over_the_limit_are_431(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h;
	char req[2048], pad[1200];

	(void)state;
	c.max_header = 1024;
	h = start(&c);
	memset(pad, 'a', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	snprintf(req, sizeof req,
		 "GET /catalog HTTP/1.1\r\nHost: hub\r\nX-Pad: %s\r\n\r\n",
		 pad);
	assert_int_equal(ask(cds_hubhttp_port(h), req, NULL, 0), 431);
	assert_int_equal(strncmp(A.body, "EINVAL request headers of ", 26), 0);
	assert_int_equal(ask(cds_hubhttp_port(h),
			     "GET /catalog HTTP/1.1\r\nHost: hub\r\n\r\n",
			     NULL, 0),
			 200);
	cds_hubhttp_stop(&h);
}

static void
test_a_wrong_sha256_in_the_metadata_resets_the_upload(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	char meta[200], id[33], zeros[65];

	(void)state;
	reset_calls();
	memset(zeros, '0', 64);
	zeros[64] = '\0';
	meta[0] = '\0';
	assert_int_equal(cds_tus_meta_add(meta, sizeof meta, "sha256",
					  (const uint8_t *)zeros, 64),
			 0);
	assert_int_equal(tus_post(port, 5, meta), 201);
	memcpy(id, header("Location") + 7, 33);
	assert_int_equal(tus_patch(port, id, 0, "hello", 5, NULL), 460);
	assert_non_null(strstr(A.body, "it was reset to offset 0"));
	assert_string_equal(header("Upload-Offset"), "0");
	assert_int_equal(head_offset(port, id), 0);
	assert_int_equal(calls(), 0);
	cds_hubhttp_stop(&h);
}

static void
test_documents_get_with_etags_and_post_with_a_cap(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = start(&c);
	uint16_t port = cds_hubhttp_port(h);
	char big[2048];

	(void)state;
	assert_int_equal(ask(port, GET_CATALOG, NULL, 0), 200);
	assert_string_equal(A.body, "catalog v1");
	assert_string_equal(header("ETag"), "\"v1\"");
	assert_int_equal(ask(port,
			     "GET /catalog HTTP/1.1\r\nHost: hub\r\n"
			     "If-None-Match: \"v1\"\r\n\r\n",
			     NULL, 0),
			 304);
	assert_string_equal(header("ETag"), "\"v1\"");
	assert_int_equal(ask(port,
			     "GET /catalog HTTP/1.1\r\nHost: hub\r\n"
			     "If-None-Match: \"v0\", W/\"v1\"\r\n\r\n",
			     NULL, 0),
			 304);
	assert_int_equal(ask(port,
			     "GET /catalog HTTP/1.1\r\nHost: hub\r\n"
			     "If-None-Match: \"v0\"\r\n\r\n",
			     NULL, 0),
			 200);
	assert_int_equal(ask(port,
			     "GET /nothing HTTP/1.1\r\nHost: hub\r\n\r\n",
			     NULL, 0),
			 404);
	assert_int_equal(ask(port,
			     "POST /enrol HTTP/1.1\r\nHost: hub\r\n"
			     "Content-Length: 5\r\n\r\n",
			     "hello", 5),
			 200);
	assert_string_equal(A.body, "got 5 at /enrol");
	memset(big, 'x', sizeof big);
	assert_int_equal(ask(port,
			     "POST /enrol HTTP/1.1\r\nHost: hub\r\n"
			     "Content-Length: 2048\r\n\r\n",
			     NULL, 0),
			 413);
	assert_int_equal(
		strncmp(A.body, "ETOOBIG a document of 2048 bytes", 32), 0);
	/* chunked: no Content-Length to refuse early, capped as it comes */
	memcpy(big, "401\r\n", 6); /* 1025 bytes, one over; the NUL is */
	memcpy(big + 5 + 1025, "\r\n0\r\n\r\n", 8); /* overwritten */
	assert_int_equal(ask(port,
			     "POST /enrol HTTP/1.1\r\nHost: hub\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n",
			     big, 5 + 1025 + 7),
			 413);
	assert_int_equal(strncmp(A.body, "ETOOBIG the document exceeds", 28),
			 0);
	cds_hubhttp_stop(&h);
}

static void
test_expired_uploads_are_gone_and_removed(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h;
	char a[33], b[33], d[33];
	int i;

	(void)state;
	c.sweep_seconds = 1;
	h = start(&c);
	create(cds_hubhttp_port(h), 10, a);
	create(cds_hubhttp_port(h), 10, b);
	create(cds_hubhttp_port(h), 10, d);
	atomic_fetch_add(&fake_now, 72LL * 3600);
	/* on access: 410 and removed */
	assert_int_equal(tus_patch(cds_hubhttp_port(h), a, 0, "x", 1, NULL),
			 410);
	assert_int_equal(strncmp(A.body, "EGONE upload ", 13), 0);
	assert_false(exists(dir, a, "info") || exists(dir, a, "data"));
	/* by the periodic sweep */
	for (i = 0; i < 150 && (exists(dir, b, "info") ||
				exists(dir, b, "data"));
	     i++)	/* a loaded machine may run it late */
		usleep(100000);
	assert_false(exists(dir, b, "info") || exists(dir, b, "data"));
	cds_hubhttp_stop(&h);
	/* at start */
	c.sweep_seconds = 600;
	h = start(&c);
	create(cds_hubhttp_port(h), 10, d);
	cds_hubhttp_stop(&h);
	assert_true(exists(dir, d, "info"));
	atomic_fetch_add(&fake_now, 73LL * 3600);
	h = start(&c);
	assert_false(exists(dir, d, "info") || exists(dir, d, "data"));
	assert_int_equal(tus_head(cds_hubhttp_port(h), d), 404);
	cds_hubhttp_stop(&h);
}

static void
test_idle_and_trickling_clients_are_dropped_others_served(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h;
	const char *slow = "GET /catalog HTTP/1.1\r\nHost: hub\r\n"
			   "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
	int idle, trickle, dropped_idle = 0, dropped_trickle = 0;
	int64_t t0, t_idle = 0, t_trickle = 0;
	size_t i = 0;
	char x[16];

	(void)state;
	c.idle_timeout = 1;
	c.request_timeout = 2;
	h = start(&c);
	t0 = now_ms();
	idle = dial(cds_hubhttp_port(h));
	puts_(idle, "GET /cat");
	trickle = dial(cds_hubhttp_port(h));
	/* a byte every 250 ms never lets the idle timeout fire; the whole
	 * header would take 20 s */
	while (now_ms() - t0 < 6000 && (!dropped_idle || !dropped_trickle)) {
		if (!dropped_trickle) {
			if (send(trickle, slow + i, 1, MSG_NOSIGNAL) != 1 ||
			    get_some(trickle, x, sizeof x, 0) == 0) {
				dropped_trickle = 1;
				t_trickle = now_ms() - t0;
			}
			i = (i + 1) % strlen(slow);
		}
		if (!dropped_idle && get_some(idle, x, sizeof x, 0) == 0) {
			dropped_idle = 1;
			t_idle = now_ms() - t0;
		}
		/* meanwhile another client is served at once */
		assert_int_equal(ask(cds_hubhttp_port(h), GET_CATALOG, NULL,
				     0),
				 200);
		usleep(250000);
	}
	assert_true(dropped_idle);
	assert_true(dropped_trickle);
	assert_true(t_idle >= 700 && t_idle < 2600);
	assert_true(t_trickle >= 1700 && t_trickle < 3600);
	close(idle);
	close(trickle);
	cds_hubhttp_stop(&h);
}

static void
test_the_per_ip_limit_refuses_one_connection_too_many(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h;
	int a, b, extra;
	char x[16];

	(void)state;
	c.per_ip_limit = 2;
	h = start(&c);
	a = dial(cds_hubhttp_port(h));
	b = dial(cds_hubhttp_port(h));
	puts_(a, "GET /catalog HTTP/1.1\r\n");
	puts_(b, "GET /catalog HTTP/1.1\r\n");
	usleep(100000);
	extra = dial(cds_hubhttp_port(h));
	puts_(extra, "GET /catalog HTTP/1.1\r\nHost: hub\r\n\r\n");
	assert_int_equal(get_some(extra, x, sizeof x, 3000), 0); /* closed */
	close(extra);
	/* the two within the limit are still served */
	puts_(a, "Host: hub\r\n\r\n");
	assert_int_equal(answer(a, 0, 3000), 0);
	assert_int_equal(A.status, 200);
	close(a);
	puts_(b, "Host: hub\r\n\r\n");
	assert_int_equal(answer(b, 0, 3000), 0);
	assert_int_equal(A.status, 200);
	close(b);
	cds_hubhttp_stop(&h);
}

static void
test_start_needs_an_explicit_address_and_a_staging_folder(void **state)
{
	static const char *const bad[] = { NULL, "", "0.0.0.0", "::",
					   "localhost", "127.0.0.1:80" };
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = (struct cds_hubhttp *)&c;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		c.address = bad[i];
		assert_int_equal(cds_hubhttp_start(&c, &h, err, sizeof err),
				 CDSYNC_EINVAL);
		assert_null(h);
		assert_int_equal(strncmp(err, "hubhttp: ", 9), 0);
	}
	c.address = "127.0.0.1";
	c.staging_dir = "/nonexistent/cdsync-staging";
	assert_int_equal(cds_hubhttp_start(&c, &h, err, sizeof err),
			 CDSYNC_ENOTFOUND);
	assert_non_null(strstr(err, "/nonexistent/cdsync-staging"));
	c.staging_dir = tu_tmpdir();
	c.done = NULL;
	assert_int_equal(cds_hubhttp_start(&c, &h, err, sizeof err),
			 CDSYNC_EINVAL);
	cds_hubhttp_stop(NULL);
	cds_hubhttp_stop(&h);
}

static void
test_header_parsers(void **state)
{
	uint8_t v[64], sum[20];
	char meta[128], err[256], date[30];
	uint64_t n;
	size_t len;

	(void)state;
	assert_int_equal(cds_tus_parse_u64("0", &n), 0);
	assert_true(n == 0);
	assert_int_equal(cds_tus_parse_u64("9223372036854775807", &n), 0);
	assert_true(n == INT64_MAX);
	assert_int_equal(cds_tus_parse_u64("9223372036854775808", &n),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_tus_parse_u64("", &n), CDSYNC_EINVAL);
	assert_int_equal(cds_tus_parse_u64("-1", &n), CDSYNC_EINVAL);
	assert_int_equal(cds_tus_parse_u64("1 ", &n), CDSYNC_EINVAL);
	assert_int_equal(cds_tus_parse_u64("+5", &n), CDSYNC_EINVAL);

	assert_int_equal(cds_tus_meta_check("", err, sizeof err), 0);
	assert_int_equal(cds_tus_meta_check("a YQ==,b,c ", err, sizeof err),
			 0);
	assert_int_equal(cds_tus_meta_check("a YQ", err, sizeof err),
			 CDSYNC_EINVAL); /* padding is required */
	assert_int_equal(cds_tus_meta_check("a YR==", err, sizeof err),
			 CDSYNC_EINVAL); /* stray bits */
	assert_int_equal(cds_tus_meta_check(",a YQ==", err, sizeof err),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_tus_meta_check("a YQ==,", err, sizeof err),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_tus_meta_get("a YQ==,b,c Y2NjYw==", "c", v,
					  sizeof v, &len),
			 0);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "cccc", 4);
	assert_int_equal(cds_tus_meta_get("a YQ==,b", "b", v, sizeof v, &len),
			 0);
	assert_int_equal(len, 0);
	assert_int_equal(cds_tus_meta_get("a YQ==", "z", v, sizeof v, &len),
			 CDSYNC_ENOTFOUND);
	assert_int_equal(cds_tus_meta_get("c Y2NjYw==", "c", v, 3, &len),
			 CDSYNC_EINVAL);
	meta[0] = '\0';
	assert_int_equal(cds_tus_meta_add(meta, sizeof meta, "filename",
					  (const uint8_t *)"world.pdf", 9),
			 0);
	assert_int_equal(cds_tus_meta_add(meta, sizeof meta, "flag", NULL, 0),
			 0);
	assert_string_equal(meta, "filename d29ybGQucGRm,flag");
	assert_int_equal(cds_tus_meta_add(meta, sizeof meta, "bad key",
					  (const uint8_t *)"x", 1),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_tus_meta_add(meta, 30, "more",
					  (const uint8_t *)"xxxxxxxx", 8),
			 CDSYNC_EINVAL);
	assert_string_equal(meta, "filename d29ybGQucGRm,flag");

	assert_int_equal(cds_tus_parse_checksum(SUM_ABC, sum, err, sizeof err),
			 0);
	assert_int_equal(sum[0], 0xa9);
	assert_int_equal(sum[19], 0x9d);
	assert_int_equal(
		cds_tus_parse_checksum(SUM_SHORT, sum, err, sizeof err),
		CDSYNC_EINVAL);
	assert_int_equal(cds_tus_parse_checksum("md5 1B2M2Y8AsgTpgAmY7PhCfg==",
						sum, err, sizeof err),
			 CDSYNC_EINVAL);
	assert_non_null(strstr(err, "\"md5\""));
	assert_int_equal(cds_tus_parse_checksum("sha1", sum, err, sizeof err),
			 CDSYNC_EINVAL);
	/* bytes outside the alphabet (libsodium 1.0.18 takes \377 for '/'),
	 * and bits after the last byte: not the one canonical base64 */
	assert_int_equal(cds_tus_parse_checksum("sha1 qZk+Nfil\377name"
						"iVxeFDCbJzQ2J0=",
						sum, err, sizeof err),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_tus_parse_checksum("sha1 qZk+NkcGgWq6PiVxeFDC"
						"bJzQ2J1=",
						sum, err, sizeof err),
			 CDSYNC_EINVAL);

	cds_tus_httpdate(784111777, date);
	assert_string_equal(date, "Sun, 06 Nov 1994 08:49:37 GMT");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_lists_the_tus_version_extensions_and_limits),
		cmocka_unit_test(test_post_creates_an_upload_that_head_describes),
		cmocka_unit_test(test_bad_creations_are_refused_with_a_code_word),
		cmocka_unit_test(test_upload_length_over_the_limit_is_413_before_any_body),
		cmocka_unit_test(test_patch_refusals_412_415_409_413),
		cmocka_unit_test(test_a_checksum_mismatch_is_460_and_keeps_nothing),
		cmocka_unit_test(test_a_patch_cut_mid_body_keeps_the_bytes_that_arrived),
		cmocka_unit_test(test_a_head_or_a_newer_patch_takes_over_from_a_stale_one),
		cmocka_unit_test(test_bad_ids_are_404_before_the_file_system),
		cmocka_unit_test(test_a_restarted_server_continues_an_upload),
		cmocka_unit_test(test_done_is_called_once_across_retries_and_restarts),
		cmocka_unit_test(test_finished_uploads_do_not_count_against_the_limit),
		cmocka_unit_test(test_a_failing_done_is_called_again_by_the_next_final_patch),
		cmocka_unit_test(test_a_reply_lost_before_it_was_stored_calls_done_again),
		cmocka_unit_test(test_the_server_goes_on_while_done_runs),
		cmocka_unit_test(test_a_final_patch_may_wait_for_done_longer_than_the_idle_timeout),
		cmocka_unit_test(test_a_final_patch_again_while_done_runs_gets_the_same_reply),
		cmocka_unit_test(test_a_stop_while_done_runs_loses_nothing_and_repeats_nothing),
		cmocka_unit_test(test_a_torn_reply_reads_as_none_and_done_runs_again),
		cmocka_unit_test(test_a_finished_upload_lives_expiry_hours_after_its_completion),
		cmocka_unit_test(test_a_wrong_sha256_in_the_metadata_resets_the_upload),
		cmocka_unit_test(test_headers_over_the_limit_are_431),
		cmocka_unit_test(test_documents_get_with_etags_and_post_with_a_cap),
		cmocka_unit_test(test_expired_uploads_are_gone_and_removed),
		cmocka_unit_test(test_idle_and_trickling_clients_are_dropped_others_served),
		cmocka_unit_test(test_the_per_ip_limit_refuses_one_connection_too_many),
		cmocka_unit_test(test_start_needs_an_explicit_address_and_a_staging_folder),
		cmocka_unit_test(
			test_an_upload_whose_state_a_power_cut_tore_starts_again),
		cmocka_unit_test(test_header_parsers),
	};
	int rc;

	if (sodium_init() < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
