/* uplink_test.c -- the node's tus client (daemon/uplink.h) against the
 * hub's server (daemon/hubhttp.h) in the same process, on 127.0.0.1 and
 * ports picked at run time.  Between them, a relay thread that forwards
 * bytes and, when told to, cuts every connection after a number of bytes
 * from the node: a bad 3G link.  Every wait is bounded (timeouts on both
 * sides, loops with a cap).  Also the PATCH sizes the link state gives
 * (cds_uplink_next_chunk), and the node's rounds (daemon/node.h) against
 * the hub role (daemon/hub.h) on real stores: the catalog coming down by
 * conditional GET. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "alloc.h"
#include "config.h"
#include "hub.h"
#include "hubhttp.h"
#include "node.h"
#include "testutil.h"
#include "uplink.h"

#define MB ((size_t)1 << 20)

/* ==== The hub ======================================================= */

static _Atomic long long fake_now = 1790000000;

static time_t
clockfn(void)
{
	return (time_t)atomic_load(&fake_now);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int done_calls;
static int done_fail;
static uint8_t *done_bytes; /* MB bytes */
static size_t done_len;

static int
on_done(void *ctx, const char *id, const char *path, const char *meta,
	struct cds_hubhttp_reply *reply)
{
	char text[128];
	FILE *f;

	(void)ctx;
	(void)meta;
	pthread_mutex_lock(&mu);
	done_calls++;
	if (done_fail > 0) {
		done_fail--;
		pthread_mutex_unlock(&mu);
		return -1;
	}
	done_len = 0;
	if ((f = fopen(path, "rb")) != NULL) {
		done_len = fread(done_bytes, 1, MB, f);
		fclose(f);
	}
	snprintf(text, sizeof text, "RECEIPT %s %zu", id, done_len);
	pthread_mutex_unlock(&mu);
	reply->status = 201;
	reply->receipt = 1;
	reply->body = (uint8_t *)cds_strdup(text);
	reply->len = strlen(text);
	return 0;
}

static struct cds_hubhttp_config
config(const char *dir)
{
	struct cds_hubhttp_config c;

	memset(&c, 0, sizeof c);
	c.address = "127.0.0.1";
	c.staging_dir = dir;
	c.max_upload = 2 * MB;
	c.idle_timeout = 5;
	c.request_timeout = 20;
	c.done = on_done;
	c.now = clockfn;
	return c;
}

static struct cds_hubhttp *
hub_start(const struct cds_hubhttp_config *c)
{
	struct cds_hubhttp *h = NULL;
	char err[256];

	if (cds_hubhttp_start(c, &h, err, sizeof err) != 0) {
		fprintf(stderr, "hub: %s\n", err);
		fail();
	}
	return h;
}

static void
reset_done(void)
{
	pthread_mutex_lock(&mu);
	done_calls = 0;
	done_fail = 0;
	done_len = 0;
	pthread_mutex_unlock(&mu);
}

/* ==== The relay: a link that can be cut ============================= */

struct relay {
	int lfd;		/* listening */
	uint16_t port;
	_Atomic int target;	/* the hub's port */
	_Atomic long budget;	/* node->hub bytes per connection; 0: all */
	_Atomic int stop;
	_Atomic long cuts;	/* connections cut */
	_Atomic long n304;	/* connections answered first with a 304 */
	pthread_t th;
};

static int
sendall(int fd, const char *b, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, b, n, MSG_NOSIGNAL)) <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
pipe_conn(struct relay *r, int c)
{
	struct sockaddr_in sa;
	struct pollfd p[2];
	static char buf[16384];
	long sent = 0, budget = atomic_load(&r->budget);
	size_t want;
	ssize_t n;
	int s = socket(AF_INET, SOCK_STREAM, 0), first = 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atomic_load(&r->target));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto out;
	while (!atomic_load(&r->stop)) {
		p[0].fd = c;
		p[1].fd = s;
		p[0].events = p[1].events = POLLIN;
		if (poll(p, 2, 100) < 0)
			break;
		if (p[0].revents) {
			want = sizeof buf;
			if (budget > 0 && (long)want > budget - sent)
				want = (size_t)(budget - sent);
			if ((n = recv(c, buf, want, 0)) <= 0 ||
			    sendall(s, buf, (size_t)n) != 0)
				break;
			sent += n;
			if (budget > 0 && sent >= budget) {
				atomic_fetch_add(&r->cuts, 1);
				break; /* the link dies */
			}
		}
		if (p[1].revents) {
			if ((n = recv(s, buf, sizeof buf, 0)) <= 0 ||
			    sendall(c, buf, (size_t)n) != 0)
				break;
			if (first && n >= 12 && memcmp(buf, "HTTP/1.1 304", 12) ==
						      0)
				atomic_fetch_add(&r->n304, 1);
			first = 0;
		}
	}
out:
	if (s >= 0)
		close(s);
	close(c);
}

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	struct pollfd p;
	int c;

	while (!atomic_load(&r->stop)) {
		p.fd = r->lfd;
		p.events = POLLIN;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((c = accept(r->lfd, NULL, NULL)) >= 0)
			pipe_conn(r, c); /* one link at a time */
	}
	return NULL;
}

static void relay_stop(struct relay *r);

static void
relay_start(struct relay *r, uint16_t target)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;

	if (r->lfd > 0)
		relay_stop(r); /* left running by a failed test */
	memset(r, 0, sizeof *r);
	atomic_store(&r->target, target);
	r->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->lfd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(r->lfd, 8), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&sa, &sl), 0);
	r->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&r->th, NULL, relay_main, r), 0);
}

static void
relay_stop(struct relay *r)
{
	atomic_store(&r->stop, 1);
	pthread_join(r->th, NULL);
	close(r->lfd);
	r->lfd = 0;
}

static struct relay relay; /* one at a time, outlives a failed test */

/* ==== The node ====================================================== */

static uint8_t *content; /* MB pseudo-random bytes */

struct seen { /* what the progress callback saw */
	unsigned calls;
	uint64_t last, total;
	int backwards;
};

static void
on_progress(void *ctx, uint64_t confirmed, uint64_t total,
	    const struct cds_uplink_resume *st)
{
	struct seen *s = ctx;

	if (st->offset != confirmed || st->length != total)
		s->backwards = 1;
	s->calls++;
	s->last = confirmed;
	s->total = total;
}

static struct cds_uplink_target
target(uint16_t port)
{
	static char url[64];
	static const char *const extra[] = { "Cdsync-Node: TEST-SCHOOL",
					     NULL };
	struct cds_uplink_target t;

	snprintf(url, sizeof url, "http://127.0.0.1:%u/files/",
		 (unsigned)port);
	memset(&t, 0, sizeof t);
	t.base_url = url;
	t.headers = extra;
	t.connect_timeout_ms = 2000;
	t.low_speed_bytes = 1;
	t.low_speed_seconds = 5;
	t.max_time_ms = 20000;
	t.chunk = 64 << 10;
	return t;
}

static void
check_delivered(const struct cds_uplink_result *res)
{
	char want[128];

	pthread_mutex_lock(&mu);
	assert_int_equal(done_len, MB);
	assert_memory_equal(done_bytes, content, MB);
	pthread_mutex_unlock(&mu);
	assert_non_null(res->reply);
	assert_true(res->receipt);
	assert_true(res->reply_len > 8 && res->reply_len < sizeof want);
	snprintf(want, sizeof want, "RECEIPT %.32s %zu",
		 (const char *)res->reply + 8, MB);
	assert_memory_equal(res->reply, want, res->reply_len);
}

/* ==== Tests ========================================================= */

static void
test_a_megabyte_goes_in_one_call(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = hub_start(&c);
	struct cds_uplink_target t = target(cds_hubhttp_port(h));
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	struct seen seen = { 0, 0, 0, 0 };
	char err[512];

	(void)state;
	reset_done();
	memset(&st, 0, sizeof st);
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st,
					 on_progress, &seen, &res, err,
					 sizeof err),
			 CDSYNC_OK);
	check_delivered(&res);
	assert_int_equal(res.status, 201);
	assert_true(st.offset == MB && st.length == MB);
	assert_int_equal(strncmp(st.url, t.base_url, strlen(t.base_url)), 0);
	assert_int_equal(res.requests, 1 + 16); /* POST, 16 PATCHes */
	assert_true(res.body_bytes == MB);
	assert_true(res.header_bytes > 0 && res.header_bytes < 17ull * 400);
	assert_true(seen.calls == 17 && seen.last == MB && seen.total == MB);
	assert_false(seen.backwards);
	assert_int_equal(res.restarts, 0);
	pthread_mutex_lock(&mu);
	assert_int_equal(done_calls, 1);
	pthread_mutex_unlock(&mu);
	cds_uplink_result_free(&res);
	assert_null(res.reply);
	cds_hubhttp_stop(&h);
}

/* Calls until done; the wire bytes of all calls in *wire. */
static int
send_until_done(const struct cds_uplink_target *t, const char *path,
		struct cds_uplink_resume *st, struct cds_uplink_result *res,
		uint64_t *wire, unsigned *calls)
{
	char err[512];
	int rc = -1;

	*wire = 0;
	for (*calls = 0; *calls < 200; (*calls)++) {
		cds_uplink_result_free(res);
		rc = cds_uplink_send(t, path, path ? NULL : content,
				     path ? 0 : MB, st, NULL, NULL, res, err,
				     sizeof err);
		*wire += res->body_bytes + res->header_bytes;
		if (rc != CDS_UPLINK_RETRY)
			break;
		assert_true(strstr(err, "retry later") != NULL);
		if (getenv("TUS_DEBUG"))
			fprintf(stderr, "call %u: at %llu: %s\n", *calls,
				(unsigned long long)st->offset, err);
	}
	(*calls)++;
	if (rc != CDSYNC_OK)
		fprintf(stderr, "send: %d %s\n", rc, err);
	return rc;
}

static void
test_a_link_cut_every_64_KiB_resumes_to_the_end(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = hub_start(&c);
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	uint64_t wire;
	unsigned calls;

	(void)state;
	reset_done();
	relay_start(&relay, cds_hubhttp_port(h));
	atomic_store(&relay.budget, 64 << 10);
	t = target(relay.port);
	memset(&st, 0, sizeof st);
	memset(&res, 0, sizeof res);
	assert_int_equal(send_until_done(&t, NULL, &st, &res, &wire, &calls),
			 CDSYNC_OK);
	check_delivered(&res);
	printf("# 1 MiB over a link cut every 64 KiB: %u calls, %ld cuts, "
	       "%llu bytes sent = %.3f x the bundle\n",
	       calls, (long)atomic_load(&relay.cuts), (unsigned long long)wire,
	       (double)wire / MB);
	assert_true(atomic_load(&relay.cuts) >= 15);
	assert_true(calls >= 16);
	assert_true(wire <= MB + MB / 10); /* resume is cheap: <= 1.10 x */
	pthread_mutex_lock(&mu);
	assert_int_equal(done_calls, 1);
	pthread_mutex_unlock(&mu);
	cds_uplink_result_free(&res);
	relay_stop(&relay);
	cds_hubhttp_stop(&h);
}

static void
test_a_hub_restart_between_calls(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = hub_start(&c);
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	char path[512], err[512], url[CDS_UPLINK_URLMAX];
	uint64_t wire;
	unsigned calls;

	(void)state;
	reset_done();
	snprintf(path, sizeof path, "%s/bundle-0007.cds", tu_tmpdir());
	tu_write(path, content, MB);
	relay_start(&relay, cds_hubhttp_port(h));
	atomic_store(&relay.budget, 300 << 10);
	t = target(relay.port);
	memset(&st, 0, sizeof st);
	assert_int_equal(cds_uplink_send(&t, path, NULL, 0, &st, NULL, NULL,
					 &res, err, sizeof err),
			 CDS_UPLINK_RETRY);
	assert_true(st.offset > 0 && st.offset < MB);
	snprintf(url, sizeof url, "%s", st.url);
	cds_uplink_result_free(&res);
	/* the hub restarts on another port behind the same address */
	cds_hubhttp_stop(&h);
	h = hub_start(&c);
	atomic_store(&relay.target, cds_hubhttp_port(h));
	atomic_store(&relay.budget, 0);
	assert_int_equal(send_until_done(&t, path, &st, &res, &wire, &calls),
			 CDSYNC_OK);
	assert_int_equal(calls, 1);
	assert_string_equal(st.url, url); /* the same upload went on */
	assert_int_equal(res.restarts, 0);
	assert_true(res.body_bytes < MB - (200 << 10)); /* not all again */
	check_delivered(&res);
	cds_uplink_result_free(&res);
	relay_stop(&relay);
	cds_hubhttp_stop(&h);
}

static void
test_an_expired_upload_starts_over(void **state)
{
	const char *dir = tu_tmpdir();
	struct cds_hubhttp_config c = config(dir);
	struct cds_hubhttp *h = hub_start(&c);
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	char err[512], old[CDS_UPLINK_URLMAX];

	(void)state;
	reset_done();
	relay_start(&relay, cds_hubhttp_port(h));
	atomic_store(&relay.budget, 200 << 10);
	t = target(relay.port);
	memset(&st, 0, sizeof st);
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st, NULL,
					 NULL, &res, err, sizeof err),
			 CDS_UPLINK_RETRY);
	assert_true(st.offset > 0);
	snprintf(old, sizeof old, "%s", st.url);
	cds_uplink_result_free(&res);
	atomic_fetch_add(&fake_now, 73LL * 3600);
	atomic_store(&relay.budget, 0);
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st, NULL,
					 NULL, &res, err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(res.restarts, 1);
	assert_string_not_equal(st.url, old);
	check_delivered(&res);
	cds_uplink_result_free(&res);
	relay_stop(&relay);
	cds_hubhttp_stop(&h);
}

static void
test_a_lost_final_answer_is_fetched_again(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = hub_start(&c);
	struct cds_uplink_target t = target(cds_hubhttp_port(h));
	struct cds_uplink_resume st, st2;
	struct cds_uplink_result res;
	char err[512], first[128];

	(void)state;
	reset_done();
	memset(&st, 0, sizeof st);
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st, NULL,
					 NULL, &res, err, sizeof err),
			 CDSYNC_OK);
	snprintf(first, sizeof first, "%.*s", (int)res.reply_len,
		 (char *)res.reply);
	cds_uplink_result_free(&res);
	/* the node crashed before it saved the answer: its state is older */
	st.offset = 3 << 16;
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st, NULL,
					 NULL, &res, err, sizeof err),
			 CDSYNC_OK);
	assert_memory_equal(res.reply, first, res.reply_len);
	assert_true(res.receipt);
	assert_int_equal(res.requests, 2); /* HEAD, GET receipt */
	assert_true(res.body_bytes == 0);
	cds_uplink_result_free(&res);
	pthread_mutex_lock(&mu);
	assert_int_equal(done_calls, 1);
	pthread_mutex_unlock(&mu);

	/* the hub could not take it in at first (503): the next call sends
	 * the empty final PATCH */
	reset_done();
	pthread_mutex_lock(&mu);
	done_fail = 1;
	pthread_mutex_unlock(&mu);
	memset(&st2, 0, sizeof st2);
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st2, NULL,
					 NULL, &res, err, sizeof err),
			 CDS_UPLINK_RETRY);
	assert_int_equal(res.status, 503);
	assert_non_null(strstr(err, "EBUSY"));
	assert_true(st2.offset == MB - (64 << 10)); /* not confirmed */
	cds_uplink_result_free(&res);
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st2, NULL,
					 NULL, &res, err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(res.requests, 2); /* HEAD, empty PATCH */
	assert_true(res.body_bytes == 0);
	check_delivered(&res);
	cds_uplink_result_free(&res);
	pthread_mutex_lock(&mu);
	assert_int_equal(done_calls, 2);
	pthread_mutex_unlock(&mu);

	/* state made for other content is dropped, not resumed */
	content[0] ^= 1;
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st2, NULL,
					 NULL, &res, err, sizeof err),
			 CDSYNC_OK);
	content[0] ^= 1;
	assert_int_equal(res.restarts, 1);
	cds_uplink_result_free(&res);
	cds_hubhttp_stop(&h);
}

static void
test_a_refusal_is_permanent_and_says_why(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h;
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	char err[512];

	(void)state;
	c.max_upload = 100 << 10;
	h = hub_start(&c);
	t = target(cds_hubhttp_port(h));
	memset(&st, 0, sizeof st);
	assert_int_equal(cds_uplink_send(&t, NULL, content, MB, &st, NULL,
					 NULL, &res, err, sizeof err),
			 CDS_UPLINK_REFUSED);
	assert_int_equal(res.status, 413);
	assert_non_null(strstr(err, "413 ETOOBIG Upload-Length 1048576 "
				    "exceeds this hub's limit of 102400 "
				    "bytes"));
	assert_non_null(strstr(err, t.base_url));
	assert_string_equal(st.url, "");
	assert_int_equal(res.requests, 1);
	cds_uplink_result_free(&res);
	cds_hubhttp_stop(&h);
}

static void
test_bad_arguments_and_no_hub(void **state)
{
	static const char *const bad[] = { "X-Evil: a\r\nHost: b", NULL };
	struct cds_uplink_target t = target(1);
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	char err[512];
	int fd;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;

	(void)state;
	memset(&st, 0, sizeof st);
	assert_int_equal(cds_uplink_send(&t, NULL, NULL, 0, &st, NULL, NULL,
					 &res, err, sizeof err),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_uplink_send(&t, "/x", content, 1, &st, NULL, NULL,
					 &res, err, sizeof err),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_uplink_send(&t, NULL, content, 0, &st, NULL, NULL,
					 &res, err, sizeof err),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_uplink_send(&t, "/nonexistent/bundle", NULL, 0,
					 &st, NULL, NULL, &res, err,
					 sizeof err),
			 CDSYNC_ENOTFOUND);
	assert_non_null(strstr(err, "/nonexistent/bundle"));
	t.headers = bad;
	assert_int_equal(cds_uplink_send(&t, NULL, content, 10, &st, NULL,
					 NULL, &res, err, sizeof err),
			 CDSYNC_EINVAL);
	t.headers = NULL;
	t.base_url = "ftp://127.0.0.1/files/";
	assert_int_equal(cds_uplink_send(&t, NULL, content, 10, &st, NULL,
					 NULL, &res, err, sizeof err),
			 CDSYNC_EINVAL);
	/* a port where nothing listens: transient */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	t = target(ntohs(sa.sin_port));
	assert_int_equal(cds_uplink_send(&t, NULL, content, 10, &st, NULL,
					 NULL, &res, err, sizeof err),
			 CDS_UPLINK_RETRY);
	assert_non_null(strstr(err, "retry later"));
	assert_int_equal(res.status, 0);
	cds_uplink_result_free(&res);
	cds_uplink_result_free(NULL);
}

static void
test_backoff_stays_within_bounds(void **state)
{
	static const uint32_t rnd[] = { 0, 1, 12345, 0x80000000u,
					0xffffffffu };
	uint64_t ceil, v, base = 500, cap = 15ull * 60 * 1000;
	unsigned a, i;

	(void)state;
	for (a = 0; a <= 20; a++) {
		ceil = base << a < cap ? base << a : cap;
		for (i = 0; i < sizeof rnd / sizeof rnd[0]; i++) {
			v = cds_uplink_backoff_ms(a, base, cap, rnd[i]);
			assert_true(v <= ceil);
		}
		assert_true(cds_uplink_backoff_ms(a, base, cap, 0) == 0);
		/* the top of the range is reached */
		assert_true(cds_uplink_backoff_ms(a, base, cap, 0xffffffffu) >=
			    ceil - ceil / 1000 - 1);
		for (i = 0; i < 100; i++) {
			v = cds_uplink_backoff_ms(a, base, cap,
						  randombytes_random());
			assert_true(v <= ceil);
		}
	}
	assert_true(cds_uplink_backoff_ms(1000000, base, cap, 0xffffffffu) <=
		    cap);
	assert_true(cds_uplink_backoff_ms(3, 0, cap, 0xffffffffu) == 0);
	assert_true(cds_uplink_backoff_ms(3, base, 0, 0xffffffffu) == 0);
	assert_true(cds_uplink_backoff_ms(0, 5000, 1000, 0xffffffffu) <= 1000);
	assert_true(cds_uplink_backoff_ms(70, 1, UINT64_MAX, 0xffffffffu) >
		    UINT64_MAX / 2); /* saturates, no wrap */
	assert_true(cds_uplink_backoff_ms(UINT32_MAX, UINT64_MAX / 3,
					  UINT64_MAX, 0x80000000u) >
		    UINT64_MAX / 3);
}

/* ==== The link state: PATCH sizes ==================================== */

/* The PATCHes the policy gives while the link carries `carry` more bytes
 * (each PATCH with `hdr` bytes of headers), as the call does. */
static unsigned
patches_through(struct cds_uplink_link *l, size_t chunk, uint64_t hdr,
		uint64_t carry, size_t *first, size_t *last)
{
	uint64_t done = 0;
	unsigned k = 0;
	size_t n;

	*first = *last = 0;
	while (done < carry) {
		n = cds_uplink_next_chunk(l, chunk);
		assert_true(n >= 1 && n <= chunk);
		if (k == 0)
			*first = n;
		*last = n;
		cds_uplink_link_carried(l, hdr + n);
		l->header = (uint32_t)hdr;
		done += hdr + n;
		k++;
	}
	return k;
}

static void
test_patch_sizes_follow_the_cuts_of_the_link(void **state)
{
	struct cds_uplink_link l;
	size_t n, first, last;
	unsigned i, k;
	uint32_t r;

	(void)state;
	/* no link state, or no cut seen: all of chunk */
	assert_int_equal(cds_uplink_next_chunk(NULL, 65536), 65536);
	memset(&l, 0, sizeof l);
	assert_int_equal(cds_uplink_next_chunk(&l, 65536), 65536);
	assert_int_equal(cds_uplink_next_chunk(&l, 0), 1);
	cds_uplink_link_carried(&l, 10u << 20);
	assert_int_equal(cds_uplink_next_chunk(&l, 65536), 65536);
	/* a cut with nothing carried since the last teaches nothing */
	memset(&l, 0, sizeof l);
	cds_uplink_link_cut(&l, 0);
	assert_true(l.span == 0);
	assert_int_equal(cds_uplink_next_chunk(&l, 65536), 65536);

	/* a link cut after 65536 bytes: a HEAD (115), a PATCH's headers
	 * (256) and 65165 bytes of its body the hub kept */
	memset(&l, 0, sizeof l);
	l.header = 256;
	cds_uplink_link_carried(&l, 115);
	cds_uplink_link_cut(&l, 256);
	cds_uplink_link_kept(&l, 65165);
	assert_true(l.span == 65536 && l.run == 0 && l.prev == 0);
	/* one span says nothing of how regular the cuts are: capped at
	 * sqrt(2 * 256 * 65536) */
	assert_int_equal(cds_uplink_next_chunk(&l, 65536), 5792);
	/* chunk is a bound too, the least of it 4 KiB or chunk */
	assert_int_equal(cds_uplink_next_chunk(&l, 3000), 3000);
	assert_int_equal(cds_uplink_next_chunk(&l, 5000), 5000);
	/* a second span as long: the next PATCH after the HEAD ends 64
	 * bytes past where the link is expected to die */
	cds_uplink_link_carried(&l, 115);
	cds_uplink_link_cut(&l, 256);
	cds_uplink_link_kept(&l, 65165);
	assert_true(l.span == 65536 && l.prev == 65536);
	cds_uplink_link_carried(&l, 115);
	assert_int_equal(cds_uplink_next_chunk(&l, 65536),
			 65536 - 115 - 256 + 64);
	/* and with PATCHes of at most 16 KiB, the last before that point
	 * is cut short to end there */
	memset(&l, 0, sizeof l);
	l.header = 256;
	for (i = 0; i < 2; i++) {
		cds_uplink_link_carried(&l, 65536 - 256);
		cds_uplink_link_cut(&l, 256);
	}
	k = patches_through(&l, 16384, 256, 65536 - 256 - 64, &first, &last);
	assert_int_equal(k, 4);
	assert_int_equal(first, 16384);
	assert_int_equal(last, 65536 + 64 - 3 * (16384 + 256) - 256);
	assert_true(l.run == 65536 + 64);
	/* the link outlived the span: from 4 KiB, about doubling, back to
	 * chunk within a few PATCHes */
	assert_int_equal(cds_uplink_next_chunk(&l, 65536), 4096);
	last = 0;
	for (i = 0; i < 6; i++) {
		n = cds_uplink_next_chunk(&l, 65536);
		assert_true(n >= last);
		last = n;
		cds_uplink_link_carried(&l, 256 + n);
	}
	assert_int_equal(last, 65536);
	/* eight spans without a cut: the cuts are forgotten */
	assert_true(l.span != 0);
	cds_uplink_link_carried(&l, 8 * 65536);
	assert_true(l.span == 0 && l.prev == 0 && l.avg == 0);
	assert_int_equal(cds_uplink_next_chunk(&l, 65536), 65536);

	/* a link that drops each connection after 100,000 bytes: after a
	 * call whose connection ended without a cut, the next PATCH ends
	 * where the link would die by its bytes, and the PATCHes after it,
	 * from 4 KiB doubling, where the connection would */
	memset(&l, 0, sizeof l);
	l.header = 256;
	for (i = 0; i < 2; i++) {
		cds_uplink_link_opened(&l);
		cds_uplink_link_carried(&l, 100000 - 256);
		cds_uplink_link_cut(&l, 256);
	}
	assert_true(l.cspan == 100000 && l.cprev == 100000);
	cds_uplink_link_opened(&l);
	cds_uplink_link_carried(&l, 30000);
	cds_uplink_link_opened(&l);
	assert_int_equal(cds_uplink_next_chunk(&l, 1u << 20),
			 100000 - 30000 - 256 + 64);
	k = patches_through(&l, 1u << 20, 256, 100000 + 64, &first, &last);
	assert_int_equal(first, 100000 - 30000 - 256 + 64);
	assert_int_equal(k, 5); /* then 4096, 4672, 9600, and the rest */
	assert_true(l.conn == 100000 + 64);
	cds_uplink_link_cut(&l, 0);
	assert_true(l.cspan == 100064 && l.span == 130064);

	/* spans far apart (cuts at random): capped by the mean */
	memset(&l, 0, sizeof l);
	l.header = 256;
	cds_uplink_link_carried(&l, 65536);
	cds_uplink_link_cut(&l, 0);
	cds_uplink_link_carried(&l, 20000);
	cds_uplink_link_cut(&l, 0);
	/* mean 65536 / 2 + 20000 / 2 = 42768: sqrt(2 * 256 * 42768) */
	assert_int_equal(cds_uplink_next_chunk(&l, 65536), 4679);

	/* whatever happens, a size in [1, chunk] */
	memset(&l, 0, sizeof l);
	for (i = 0; i < 20000; i++) {
		r = randombytes_uniform(4);
		if (r == 0)
			cds_uplink_link_cut(&l, randombytes_uniform(600));
		else if (r == 1)
			cds_uplink_link_kept(&l, randombytes_uniform(1u << 20));
		else
			cds_uplink_link_carried(&l,
						randombytes_uniform(1u << 18));
		l.header = randombytes_uniform(2) ? 0 : randombytes_random();
		n = 1 + randombytes_uniform(1u << 20);
		assert_true(cds_uplink_next_chunk(&l, n) >= 1 &&
			    cds_uplink_next_chunk(&l, n) <= n);
	}
	/* huge numbers saturate, no wrap */
	l.run = UINT64_MAX - 5;
	cds_uplink_link_carried(&l, 100);
	assert_true(l.run == UINT64_MAX);
	cds_uplink_link_cut(&l, 100);
	assert_true(l.span == (uint64_t)1 << 40 && l.run == 0);
	cds_uplink_link_kept(&l, UINT64_MAX);
	assert_true(l.span == (uint64_t)1 << 40);
	assert_true(cds_uplink_next_chunk(&l, 65536) >= 1);
}

/* The same MiB over the same link cut after 100,000 bytes of each
 * connection, without a link state, then twice with one (it learns the
 * link at its first two cuts, and keeps it): PATCHes that end where the
 * link dies lose next to nothing at a cut; PATCHes of 64 KiB lose what
 * is left of the second one of each connection. */
static void
test_a_link_state_makes_a_cut_link_cheap(void **state)
{
	struct cds_hubhttp_config c = config(tu_tmpdir());
	struct cds_hubhttp *h = hub_start(&c);
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	struct cds_uplink_link link;
	uint64_t wire[3];
	unsigned calls;
	int pass;

	(void)state;
	relay_start(&relay, cds_hubhttp_port(h));
	atomic_store(&relay.budget, 100000);
	t = target(relay.port);
	memset(&link, 0, sizeof link);
	for (pass = 0; pass < 3; pass++) {
		reset_done();
		t.link = pass ? &link : NULL;
		memset(&st, 0, sizeof st);
		memset(&res, 0, sizeof res);
		assert_int_equal(send_until_done(&t, NULL, &st, &res,
						 &wire[pass], &calls),
				 CDSYNC_OK);
		check_delivered(&res);
		cds_uplink_result_free(&res);
		pthread_mutex_lock(&mu);
		assert_int_equal(done_calls, 1);
		pthread_mutex_unlock(&mu);
	}
	printf("# 1 MiB over a link cut after 100,000 bytes: %.4f x the "
	       "bundle with PATCHes of one size; fit to the link %.4f x "
	       "(learning it), then %.4f x\n",
	       (double)wire[0] / MB, (double)wire[1] / MB,
	       (double)wire[2] / MB);
	assert_true(link.span > 90000 && link.span <= 100000);
	assert_true(wire[0] > MB + MB / 5);	/* > 1.2 x */
	assert_true(wire[1] < wire[0]);
	assert_true(wire[2] <= MB + MB / 50);	/* <= 1.02 x */
	relay_stop(&relay);
	cds_hubhttp_stop(&h);
}

/* ==== The node's rounds: the catalog comes down ====================== */

static cdsync *
store_at(const char *path, cdsync_role role, const char *code,
	 const char *name, const char *parent)
{
	cdsync *db = NULL;

	assert_int_equal(cdsync_open(path, CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	if (cdsync_node_init(db, role, code, name, parent) != CDSYNC_OK)
		fail_msg("init %s: %s", code, cdsync_errmsg(db));
	return db;
}

/* child asks, parent approves, child takes the catalog in (by hand,
 * with the root's fingerprint). */
static void
enrol_under(cdsync *child, cdsync *parent, cdsync *root, const char *dir,
	    const char *name)
{
	cdsync_cat_entry e;
	char req[600], cat[600], fpr[20];

	snprintf(req, sizeof req, "%s/%s.req", dir, name);
	snprintf(cat, sizeof cat, "%s/%s.cdsa", dir, name);
	assert_int_equal(cdsync_catalog_at(root, 0, &e), CDSYNC_OK);
	assert_int_equal(cdsync_enrol_request(child, req), CDSYNC_OK);
	assert_int_equal(cdsync_fingerprint(child, fpr), CDSYNC_OK);
	if (cdsync_enrol_approve(parent, req, fpr, 0, cat) != CDSYNC_OK)
		fail_msg("approve: %s", cdsync_errmsg(parent));
	if (cdsync_catalog_import(child, cat, e.fingerprint) != CDSYNC_OK)
		fail_msg("catalog: %s", cdsync_errmsg(child));
}

/* The text of key in <home>/uplink.db, "" if none. */
static const char *
uplink_state(const char *home, const char *key)
{
	static char v[256];
	char path[600];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;

	v[0] = '\0';
	snprintf(path, sizeof path, "%s/uplink.db", home);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
					 NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM state "
						"WHERE key = ?1",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(v, sizeof v, "%s",
			 (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

/* The ETag the hub role gives the catalog of db (hub.c: the first 16
 * bytes of its BLAKE2b, in hex), quoted as on the wire. */
static const char *
etag_of(cdsync *db)
{
	static char tag[40];
	uint8_t *bytes = NULL, hash[32];
	char hex[33];
	size_t len = 0;

	assert_int_equal(cdsync_catalog_bytes(db, &bytes, &len), CDSYNC_OK);
	crypto_generichash(hash, sizeof hash, bytes, len, NULL, 0);
	cdsync_free(bytes);
	sodium_bin2hex(hex, sizeof hex, hash, 16);
	snprintf(tag, sizeof tag, "\"%s\"", hex);
	return tag;
}

/* The entry of org in db's catalog, or fails. */
static cdsync_cat_entry
entry_of(cdsync *db, const char *org, int *found)
{
	cdsync_cat_entry e;
	size_t i;

	*found = 0;
	for (i = 0; cdsync_catalog_at(db, i, &e) == CDSYNC_OK; i++)
		if (strcmp(e.org, org) == 0) {
			*found = 1;
			return e;
		}
	memset(&e, 0, sizeof e);
	return e;
}

/* One round of node n; its 304s in *got304. */
static int
round_of(struct cdsd_node *n, cdsync *db, const struct cdsd_config *c,
	 long *got304)
{
	uint64_t retry = 0, wire = 0;
	size_t sent = 0;
	long before = atomic_load(&relay.n304);
	int rc = cdsd_node_round(n, db, c, &retry, &sent, &wire);

	*got304 = atomic_load(&relay.n304) - before;
	return rc;
}

static struct cdsd_hub *
role_hub(const char *home, const char *store)
{
	struct cdsd_config hc;
	struct cdsd_hub *h = NULL;
	char err[512];

	cdsd_config_defaults(&hc);
	snprintf(hc.listen_addr, sizeof hc.listen_addr, "127.0.0.1");
	hc.listen_port = 0;
	if (cdsd_hub_start(home, store, &hc, NULL, NULL, &h, err,
			   sizeof err) != 0)
		fail_msg("hub: %s", err);
	return h;
}

static void
test_a_round_takes_the_hubs_catalog_down_when_it_changed(void **state)
{
	const char *files = tu_tmpdir();
	char nat_p[600], dis_p[600], sch_p[600], new_p[600], nat2_p[600],
		dis2_p[600], hub_home[600], hub2_home[600], node_home[600],
		etag[128], err[512];
	cdsync *nat, *dis, *sch, *fresh, *nat2, *dis2;
	struct cdsd_hub *hub, *hub2;
	struct cdsd_node *node = NULL;
	struct cdsd_config nc;
	cdsync_cat_entry e;
	long n304;
	int found;

	(void)state;
	snprintf(nat_p, sizeof nat_p, "%s/store.db", tu_tmpdir());
	snprintf(dis_p, sizeof dis_p, "%s/store.db", tu_tmpdir());
	snprintf(sch_p, sizeof sch_p, "%s/store.db", tu_tmpdir());
	snprintf(new_p, sizeof new_p, "%s/store.db", tu_tmpdir());
	snprintf(nat2_p, sizeof nat2_p, "%s/store.db", tu_tmpdir());
	snprintf(dis2_p, sizeof dis2_p, "%s/store.db", tu_tmpdir());
	snprintf(hub_home, sizeof hub_home, "%s", tu_tmpdir());
	snprintf(hub2_home, sizeof hub2_home, "%s", tu_tmpdir());
	snprintf(node_home, sizeof node_home, "%s", tu_tmpdir());
	nat = store_at(nat_p, CDSYNC_ROLE_NATIONAL, "VN",
		       "Công đoàn Giáo dục Việt Nam", NULL);
	dis = store_at(dis_p, CDSYNC_ROLE_HUB, "HG-VX",
		       "Công đoàn Giáo dục Vị Xuyên", "VN");
	sch = store_at(sch_p, CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU",
		       "Trường Tiểu học Lũng Cú", "HG-VX");
	enrol_under(dis, nat, nat, files, "dis");
	enrol_under(sch, dis, nat, files, "sch");

	/* the district's hub, behind the relay; the school's node */
	hub = role_hub(hub_home, dis_p);
	relay_start(&relay, cdsd_hub_port(hub));
	cdsd_config_defaults(&nc);
	snprintf(nc.upstream, sizeof nc.upstream, "http://127.0.0.1:%u/",
		 (unsigned)relay.port);
	nc.timeout = 20;
	if (cdsd_node_open(node_home, &node, err, sizeof err) != 0)
		fail_msg("node: %s", err);

	/* the first round takes the hub's catalog: its ETag is kept */
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 0);
	snprintf(etag, sizeof etag, "%s", uplink_state(node_home,
						       "catalog_etag"));
	assert_string_equal(etag, etag_of(dis));
	/* the next one asks with it: 304, nothing taken */
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 1);
	assert_string_equal(uplink_state(node_home, "catalog_etag"), etag);

	/* the district enrols a school: the node's next round has it */
	fresh = store_at(new_p, CDSYNC_ROLE_SCHOOL, "HG-VX-TH-MOI",
			 "Trường mới", "HG-VX");
	enrol_under(fresh, dis, nat, files, "fresh");
	(void)entry_of(sch, "HG-VX-TH-MOI", &found);
	assert_false(found);
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 0);
	e = entry_of(sch, "HG-VX-TH-MOI", &found);
	assert_true(found);
	assert_true(e.revoked_from == 0);
	assert_string_not_equal(uplink_state(node_home, "catalog_etag"), etag);
	assert_string_equal(uplink_state(node_home, "catalog_etag"),
			    etag_of(dis));
	/* ... and revokes it: the revocation comes down too */
	assert_int_equal(cdsync_enrol_revoke(dis, "HG-VX-TH-MOI", "closed"),
			 CDSYNC_OK);
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 0);
	e = entry_of(sch, "HG-VX-TH-MOI", &found);
	assert_true(found);
	assert_true(e.revoked_from != 0);
	snprintf(etag, sizeof etag, "%s", uplink_state(node_home,
						       "catalog_etag"));
	assert_string_equal(etag, etag_of(dis));
	/* the ETag survives a restart of the node */
	cdsd_node_close(&node);
	assert_null(node);
	if (cdsd_node_open(node_home, &node, err, sizeof err) != 0)
		fail_msg("node: %s", err);
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 1);

	/* a hub of another tree: its catalog is refused, once; the next
	 * round asks with its ETag too and gets 304 */
	nat2 = store_at(nat2_p, CDSYNC_ROLE_NATIONAL, "VN", "Khác", NULL);
	dis2 = store_at(dis2_p, CDSYNC_ROLE_HUB, "HG-VX", "Khác", "VN");
	enrol_under(dis2, nat2, nat2, files, "dis2");
	hub2 = role_hub(hub2_home, dis2_p);
	atomic_store(&relay.target, cdsd_hub_port(hub2));
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 0);
	assert_string_equal(uplink_state(node_home, "catalog_refused"),
			    etag_of(dis2));
	assert_string_equal(uplink_state(node_home, "catalog_etag"), etag);
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 1);
	/* a reload forgives it: fetched (and refused) again */
	cdsd_node_forgive(node);
	assert_string_equal(uplink_state(node_home, "catalog_refused"), "");
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 0);
	assert_string_equal(uplink_state(node_home, "catalog_refused"),
			    etag_of(dis2));
	/* nothing of it was taken */
	e = entry_of(sch, "HG-VX-TH-MOI", &found);
	assert_true(found && e.revoked_from != 0);
	/* back to the district: its catalog has not changed, 304 */
	atomic_store(&relay.target, cdsd_hub_port(hub));
	assert_int_equal(round_of(node, sch, &nc, &n304), 0);
	assert_int_equal(n304, 1);

	cdsd_node_close(&node);
	relay_stop(&relay);
	cdsd_hub_stop(&hub2);
	cdsd_hub_stop(&hub);
	cdsync_close(dis2);
	cdsync_close(nat2);
	cdsync_close(fresh);
	cdsync_close(sch);
	cdsync_close(dis);
	cdsync_close(nat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_megabyte_goes_in_one_call),
		cmocka_unit_test(test_a_link_cut_every_64_KiB_resumes_to_the_end),
		cmocka_unit_test(test_a_hub_restart_between_calls),
		cmocka_unit_test(test_an_expired_upload_starts_over),
		cmocka_unit_test(test_a_lost_final_answer_is_fetched_again),
		cmocka_unit_test(test_a_refusal_is_permanent_and_says_why),
		cmocka_unit_test(test_bad_arguments_and_no_hub),
		cmocka_unit_test(test_backoff_stays_within_bounds),
		cmocka_unit_test(test_patch_sizes_follow_the_cuts_of_the_link),
		cmocka_unit_test(test_a_link_state_makes_a_cut_link_cheap),
		cmocka_unit_test(
			test_a_round_takes_the_hubs_catalog_down_when_it_changed),
	};
	uint8_t seed[randombytes_SEEDBYTES] = { 7 };
	int rc;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	content = malloc(MB);
	done_bytes = malloc(MB);
	if (content == NULL || done_bytes == NULL)
		return 1;
	randombytes_buf_deterministic(content, MB, seed);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(content);
	free(done_bytes);
	curl_global_cleanup();
	tu_cleanup();
	return rc;
}
