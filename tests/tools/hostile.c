/* hostile.c -- a hostile client of the hub's HTTP server (tus 1.0), for
 * tests/e2e/hostile_test.sh.
 *
 * CONTRACT
 *   hostile --to 127.0.0.1:PORT --mode MODE [options]
 *
 *   Attacks the hub at --to (a numeric loopback address; anything else is
 *   refused, so that a test never sends traffic off the machine) from the
 *   source addresses --from, --from + 1, ... (--sources of them, each
 *   connection bound to the next one in turn), so that the hub's per-IP
 *   limit falls on the attacker and not on an honest node on 127.0.0.1.
 *
 *   Modes
 *     slowloris  --count connections, each sends a request line and then
 *                one short header line every --interval ms, never the
 *                blank line that ends the headers
 *     slowbody   --count connections, each creates an upload of --size
 *                bytes and sends its PATCH body a byte every --interval ms
 *     conns      --count connections opened at once, nothing sent
 *                (those three end after --seconds)
 *     garbage    --count whole uploads (POST /files/ creation, then one
 *                PATCH of all the bytes) over --parallel keep-alive
 *                connections; the bytes cycle through kinds that fail the
 *                hub's checks one after the other: random bytes, "CDSB"
 *                with a bad version, a bad recipient count, a header whose
 *                lengths do not add up, a well-formed header from an
 *                unknown node, and, with --template (a real bundle), that
 *                bundle with a flipped signature byte, a flipped signed
 *                header field, a flipped ciphertext byte, its last byte
 *                missing
 *     badoffset  one upload of --size random bytes (sha256 in its
 *                Upload-Metadata) half sent; then PATCHes with bad
 *                Upload-Offset values; then HEAD; then the rest; then
 *                HEAD and the final PATCH again
 *     truncated  requests cut at every stage (request line, headers,
 *                body with FIN, body with RST, chunk), each on its own
 *                connection, with a probe after each that the hub answers
 *     oversize   Upload-Length and Content-Length over --limit (the hub's
 *                max_upload), a body past Upload-Length, a POST document
 *                too large, headers too large; each answer timed
 *   Options
 *     --from 127.0.0.X  first source address (default 127.0.0.2)
 *     --sources K       source addresses used (default 1)
 *     --count N         connections or uploads (default 100)
 *     --seconds S       length of the slow and conns modes (default 10)
 *     --interval MS     between two trickled bytes or lines (default 500)
 *     --size BYTES      upload size for slowbody and badoffset (1000)
 *     --parallel C      connections of the garbage mode (default 8)
 *     --limit BYTES     the hub's max_upload, for oversize (67108864)
 *     --template FILE   a real bundle, for garbage and truncated
 *     --seed N          of the random bytes (default 1)
 *
 * OUTPUT
 *   stdout: "key value" lines, one fact each, e.g. "post_201 10000",
 *   "patch_422 10000", "word_EBADSIG 1111", "refused 992", "dropped 8",
 *   "drop_ms_max 2101", "offset_negative 400", "head_offset 500",
 *   "upload_length_over_status 413", "upload_length_over_ms 1".  Keys:
 *     connections  connections opened (connect() succeeded)
 *     connect_failed  connect() refused or timed out
 *     refused      closed by the hub within 300 ms, nothing answered
 *     dropped      closed by the hub later, nothing answered
 *     drop_ms_min, drop_ms_max  when, after the connection was opened
 *     answered_S   connections that got an answer with status S
 *     open         connections still open when --seconds ended
 *     closed       (garbage) connections the hub ended between requests
 *     post_S, patch_S  (garbage) answers by status; word_W by code word
 *   stderr: a line per problem of the tool itself.  Exit 0 when the
 *   attack ran (whatever the hub did), 2 on a bad argument, 1 if the tool
 *   cannot run (no memory, no socket).
 *
 * LIMITS
 *   IPv4 loopback only.  HTTP/1.1 without pipelining; answers must carry
 *   Content-Length (libmicrohttpd's do).  A test tool: not hardened.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define MAX_CONNS 8192	    /* connections of one run, at most */
#define INBUF 16384	    /* bytes of an answer kept */
#define REFUSE_MS 300	    /* closed sooner: refused */
#define IO_MS 10000	    /* a blocking exchange waits this long */
#define MAX_STATUS 600
#define MAX_WORDS 32

/* ==== Options ======================================================= */

enum mode {
	M_SLOWLORIS,
	M_SLOWBODY,
	M_CONNS,
	M_GARBAGE,
	M_BADOFFSET,
	M_TRUNCATED,
	M_OVERSIZE
};

static const char *const modes[] = { "slowloris", "slowbody", "conns",
				     "garbage",	  "badoffset", "truncated",
				     "oversize" };

static struct {
	struct sockaddr_in to;
	uint32_t from;	   /* host order */
	unsigned sources;
	enum mode mode;
	unsigned count;
	unsigned seconds;
	unsigned interval;
	size_t size;
	unsigned parallel;
	uint64_t limit;
	const char *template;
	uint64_t seed;
} O;

static const char usage_text[] =
	"usage: hostile --to 127.0.0.1:PORT --mode "
	"slowloris|slowbody|conns|garbage|badoffset|truncated|oversize\n"
	"               [--from 127.0.0.2] [--sources K] [--count N] "
	"[--seconds S]\n"
	"               [--interval MS] [--size BYTES] [--parallel C] "
	"[--limit BYTES]\n"
	"               [--template BUNDLE] [--seed N]\n";

static void usage_error(const char *opt, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void
usage_error(const char *opt, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hostile: %s: ", opt);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	exit(2);
}

static uint64_t
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end = NULL;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		usage_error(opt, "'%s' is not a whole number", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || *end != '\0' || v < min || v > max)
		usage_error(opt, "'%s' is not a whole number from %" PRIu64
				 " to %" PRIu64, s, min, max);
	return (uint64_t)v;
}

/* A numeric 127.x.x.x, in host order. */
static uint32_t
parse_loop(const char *opt, const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
		usage_error(opt, "'%s' is not a numeric loopback address "
				 "(127.x.x.x)", s);
	return ntohl(a.s_addr);
}

static void
parse_args(int argc, char **argv)
{
	const char *to = NULL, *a, *v, *colon;
	char host[INET_ADDRSTRLEN];
	int i, have_mode = 0;
	size_t k;

	O.from = 0x7f000002;
	O.sources = 1;
	O.count = 100;
	O.seconds = 10;
	O.interval = 500;
	O.size = 1000;
	O.parallel = 8;
	O.limit = 64u << 20;
	O.seed = 1;
	for (i = 1; i < argc; i += 2) {
		a = argv[i];
		if (strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (i + 1 >= argc)
			usage_error(a, "needs a value");
		v = argv[i + 1];
		if (strcmp(a, "--to") == 0) {
			to = v;
		} else if (strcmp(a, "--from") == 0) {
			O.from = parse_loop(a, v);
		} else if (strcmp(a, "--sources") == 0) {
			O.sources = (unsigned)parse_u64(a, v, 1, 250);
		} else if (strcmp(a, "--mode") == 0) {
			for (k = 0; k < sizeof modes / sizeof modes[0]; k++)
				if (strcmp(v, modes[k]) == 0)
					break;
			if (k == sizeof modes / sizeof modes[0])
				usage_error(a, "unknown mode '%s'", v);
			O.mode = (enum mode)k;
			have_mode = 1;
		} else if (strcmp(a, "--count") == 0) {
			O.count = (unsigned)parse_u64(a, v, 1, 1000000);
		} else if (strcmp(a, "--seconds") == 0) {
			O.seconds = (unsigned)parse_u64(a, v, 1, 3600);
		} else if (strcmp(a, "--interval") == 0) {
			O.interval = (unsigned)parse_u64(a, v, 1, 600000);
		} else if (strcmp(a, "--size") == 0) {
			O.size = (size_t)parse_u64(a, v, 2, 64u << 20);
		} else if (strcmp(a, "--parallel") == 0) {
			O.parallel = (unsigned)parse_u64(a, v, 1, 1024);
		} else if (strcmp(a, "--limit") == 0) {
			O.limit = parse_u64(a, v, 1, UINT64_C(1) << 62);
		} else if (strcmp(a, "--template") == 0) {
			O.template = v;
		} else if (strcmp(a, "--seed") == 0) {
			O.seed = parse_u64(a, v, 0, UINT64_MAX);
		} else {
			usage_error(a, "unknown option");
		}
	}
	if (to == NULL || !have_mode)
		usage_error("hostile", "--to and --mode are required");
	if ((colon = strrchr(to, ':')) == NULL ||
	    (size_t)(colon - to) >= sizeof host)
		usage_error("--to", "'%s' is not 127.x.x.x:PORT", to);
	memcpy(host, to, (size_t)(colon - to));
	host[colon - to] = '\0';
	O.to.sin_family = AF_INET;
	O.to.sin_addr.s_addr = htonl(parse_loop("--to", host));
	O.to.sin_port = htons((uint16_t)parse_u64("--to", colon + 1, 1, 65535));
	if (O.count > MAX_CONNS && O.mode <= M_CONNS)
		usage_error("--count", "at most %d connections", MAX_CONNS);
}

/* ==== Little helpers ================================================ */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
die(const char *what)
{
	fprintf(stderr, "hostile: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die("malloc");
	return p;
}

static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 24);
}

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* Counts by HTTP status, and by the code word an answer starts with. */
struct tally {
	unsigned status[MAX_STATUS];
	char words[MAX_WORDS][24];
	unsigned nword[MAX_WORDS];
};

static void
tally_word(struct tally *t, const char *body, size_t n)
{
	char w[24];
	size_t i, k;

	for (i = 0; i < n && i < sizeof w - 1 && body[i] >= 'A' &&
		    body[i] <= 'Z';
	     i++)
		w[i] = body[i];
	w[i] = '\0';
	if (i == 0 || (i < n && body[i] != ' '))
		return;
	for (k = 0; k < MAX_WORDS && t->words[k][0]; k++)
		if (strcmp(t->words[k], w) == 0)
			break;
	if (k == MAX_WORDS)
		return;
	snprintf(t->words[k], sizeof t->words[k], "%s", w);
	t->nword[k]++;
}

static void
tally_print(const struct tally *t, const char *prefix)
{
	size_t i;

	for (i = 0; i < MAX_STATUS; i++)
		if (t->status[i])
			printf("%s_%zu %u\n", prefix, i, t->status[i]);
	for (i = 0; i < MAX_WORDS && t->words[i][0]; i++)
		printf("word_%s %u\n", t->words[i], t->nword[i]);
}

/* ==== Sockets ======================================================= */

static unsigned next_source;

/* A socket bound to the next source address, connected to --to
 * (blocking, at most IO_MS); -1 if the connection failed. */
static int
dial(int nonblock)
{
	struct sockaddr_in me;
	struct timeval tv = { IO_MS / 1000, 0 };
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	memset(&me, 0, sizeof me);
	me.sin_family = AF_INET;
	me.sin_addr.s_addr = htonl(O.from + next_source++ % O.sources);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0)
		die("bind to the source address");
	if (connect(fd, (struct sockaddr *)&O.to, sizeof O.to) != 0) {
		close(fd);
		return -1;
	}
	if (nonblock)
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Sends all of p (blocking socket); -1 if the peer is gone. */
static int
send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One parsed answer. */
struct answer {
	int status;	    /* 0: none */
	int close;	    /* Connection: close */
	uint64_t offset;    /* Upload-Offset, or UINT64_MAX */
	char location[128]; /* Location, or "" */
	char body[512];	    /* the start of the body */
	size_t nbody;
};

/* Looks for a whole answer at the start of in[0..n); its bytes, 0 if it
 * is not whole yet, -1 if it is not HTTP. */
static long
parse_answer(const char *in, size_t n, struct answer *a)
{
	const char *end = NULL, *p, *e;
	uint64_t cl = 0;
	size_t i, head;

	for (i = 0; i + 3 < n; i++)
		if (memcmp(in + i, "\r\n\r\n", 4) == 0) {
			end = in + i;
			break;
		}
	if (end == NULL)
		return n >= INBUF ? -1 : 0;
	head = (size_t)(end - in) + 4;
	memset(a, 0, sizeof *a);
	a->offset = UINT64_MAX;
	if (n < 12 || strncmp(in, "HTTP/1.", 7) != 0)
		return -1;
	a->status = (int)strtol(in + 9, NULL, 10);
	for (p = strstr(in, "\r\n") + 2; p < end; p = e + 2) {
		e = strstr(p, "\r\n");
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			cl = strtoull(p + 15, NULL, 10);
		else if (strncasecmp(p, "Upload-Offset:", 14) == 0)
			a->offset = strtoull(p + 14, NULL, 10);
		else if (strncasecmp(p, "Connection:", 11) == 0)
			a->close = strstr(p, "close") != NULL &&
				   strstr(p, "close") < e;
		else if (strncasecmp(p, "Location:", 9) == 0) {
			const char *v = p + 9;

			while (*v == ' ')
				v++;
			snprintf(a->location, sizeof a->location, "%.*s",
				 (int)(e - v), v);
		}
	}
	if (cl > INBUF - head) {
		fprintf(stderr, "hostile: an answer of %" PRIu64
				" bytes is too long for this tool\n", cl);
		return -1;
	}
	if (n < head + cl)
		return 0;
	a->nbody = cl < sizeof a->body - 1 ? (size_t)cl : sizeof a->body - 1;
	memcpy(a->body, in + head, a->nbody);
	a->body[a->nbody] = '\0';
	return (long)(head + cl);
}

/* Reads one answer on a blocking socket; a->status 0 if the connection
 * ended (or timed out) first. */
static void
read_answer(int fd, struct answer *a)
{
	char *in = xmalloc(INBUF);
	size_t n = 0;
	ssize_t r;
	long k = 0;

	memset(a, 0, sizeof *a);
	while ((k = parse_answer(in, n, a)) == 0) {
		r = recv(fd, in + n, INBUF - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (k <= 0)
		memset(a, 0, sizeof *a);
	free(in);
}

/* One request on a new connection: head, then body; the answer in *a.
 * The connection is closed after. */
static void
exchange(const char *head, const void *body, size_t n, struct answer *a)
{
	int fd = dial(0);

	memset(a, 0, sizeof *a);
	if (fd < 0)
		return;
	if (send_all(fd, head, strlen(head)) == 0 &&
	    (n == 0 || send_all(fd, body, n) == 0))
		read_answer(fd, a);
	else
		read_answer(fd, a); /* it may have answered and closed */
	close(fd);
}

/* POST /files/ of `length` bytes (and metadata, if not NULL); the upload's
 * path in loc, or "" with the status in *status. */
static void
create_upload(uint64_t length, const char *meta, char *loc, size_t cap,
	      int *status)
{
	struct answer a;
	char head[1024];

	snprintf(head, sizeof head,
		 "POST /files/ HTTP/1.1\r\nHost: hub\r\nTus-Resumable: "
		 "1.0.0\r\nUpload-Length: %" PRIu64 "\r\n%s%s%s\r\n",
		 length, meta ? "Upload-Metadata: " : "", meta ? meta : "",
		 meta ? "\r\n" : "");
	exchange(head, NULL, 0, &a);
	*status = a.status;
	snprintf(loc, cap, "%s", a.status == 201 ? a.location : "");
}

static void
post_head(char *out, size_t cap, size_t length)
{
	snprintf(out, cap,
		 "POST /files/ HTTP/1.1\r\nHost: hub\r\nTus-Resumable: "
		 "1.0.0\r\nUpload-Length: %zu\r\n\r\n",
		 length);
}

static void
patch_head(char *out, size_t cap, const char *loc, const char *offset,
	   const char *length)
{
	snprintf(out, cap,
		 "PATCH %s HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
		 "Content-Type: application/offset+octet-stream\r\n"
		 "Upload-Offset: %s\r\n%s%s%s\r\n",
		 loc, offset, length ? "Content-Length: " : "",
		 length ? length : "", length ? "\r\n" : "");
}

/* HEAD of an upload: its Upload-Offset, or UINT64_MAX. */
static uint64_t
head_offset(const char *loc)
{
	struct answer a;
	char head[512];

	snprintf(head, sizeof head,
		 "HEAD %s HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n\r\n",
		 loc);
	exchange(head, NULL, 0, &a);
	return a.status == 200 ? a.offset : UINT64_MAX;
}

/* 1 if the hub answers OPTIONS /files/ (204). */
static int
probe(void)
{
	struct answer a;

	exchange("OPTIONS /files/ HTTP/1.1\r\nHost: hub\r\n\r\n", NULL, 0,
		 &a);
	return a.status == 204;
}

/* ==== Slow clients, many connections (poll) ========================= */

struct slow {
	int fd;		 /* -1: ended */
	int64_t opened;	 /* ms */
	int64_t next;	 /* next trickle */
	uint64_t left;	 /* body bytes still to trickle (slowbody) */
	char in[1024];
	size_t nin;
};

static void
slow_run(void)
{
	struct slow *c = calloc(O.count, sizeof *c);
	struct pollfd *pf = calloc(O.count, sizeof *pf);
	unsigned *idx = calloc(O.count, sizeof *idx);
	unsigned i, n, nopen = 0, failed = 0, refused = 0, dropped = 0;
	unsigned answered[MAX_STATUS] = { 0 }, created = 0;
	int64_t start = now_ms(), end, t, dmin = -1, dmax = -1;
	char head[1024], loc[128];
	struct answer a;
	ssize_t r;
	int st;

	if (c == NULL || pf == NULL || idx == NULL)
		die("calloc");
	for (i = 0; i < O.count; i++) {
		c[i].fd = -1;
		if (O.mode == M_SLOWBODY) {
			create_upload(O.size, NULL, loc, sizeof loc, &st);
			if (st != 201) {
				failed++;
				continue;
			}
			created++;
		}
		if ((c[i].fd = dial(0)) < 0) {
			failed++;
			continue;
		}
		c[i].opened = now_ms();
		c[i].next = c[i].opened + O.interval;
		if (O.mode == M_SLOWLORIS) {
			snprintf(head, sizeof head,
				 "POST /files/ HTTP/1.1\r\nHost: hub\r\n");
		} else if (O.mode == M_SLOWBODY) {
			char len[24];

			snprintf(len, sizeof len, "%zu", O.size);
			patch_head(head, sizeof head, loc, "0", len);
			c[i].left = O.size;
		} else {
			head[0] = '\0';
		}
		if (head[0] && send_all(c[i].fd, head, strlen(head)) != 0) {
			/* ended at once: a refusal */
			close(c[i].fd);
			c[i].fd = -1;
			refused++;
			continue;
		}
		(void)fcntl(c[i].fd, F_SETFL,
			    fcntl(c[i].fd, F_GETFL) | O_NONBLOCK);
		nopen++;
	}
	printf("connections %u\n", nopen + refused);
	printf("connect_failed %u\n", failed);
	if (O.mode == M_SLOWBODY)
		printf("created %u\n", created);
	end = start + 1000 * (int64_t)O.seconds;
	while ((t = now_ms()) < end) {
		for (i = 0, n = 0; i < O.count; i++) {
			if (c[i].fd < 0)
				continue;
			if (O.mode != M_CONNS && t >= c[i].next &&
			    (O.mode == M_SLOWLORIS || c[i].left > 0)) {
				if (O.mode == M_SLOWLORIS)
					r = send(c[i].fd, "X-a: b\r\n", 8,
						 MSG_NOSIGNAL);
				else
					r = send(c[i].fd, "x", 1, MSG_NOSIGNAL);
				if (r > 0 && O.mode == M_SLOWBODY)
					c[i].left--;
				c[i].next = t + O.interval;
			}
			pf[n].fd = c[i].fd;
			pf[n].events = POLLIN;
			idx[n++] = i;
		}
		if (n == 0)
			break;
		if (poll(pf, n, 50) < 0 && errno != EINTR)
			die("poll");
		t = now_ms();
		for (i = 0; i < n; i++) {
			struct slow *s = &c[idx[i]];

			if (pf[i].revents == 0)
				continue;
			r = recv(s->fd, s->in + s->nin,
				 sizeof s->in - 1 - s->nin, 0);
			if (r > 0) {
				s->nin += (size_t)r;
				if (s->nin < sizeof s->in - 1)
					continue;
			} else if (r < 0 &&
				   (errno == EAGAIN || errno == EINTR)) {
				continue;
			}
			/* the hub ended it, or sent an answer */
			s->in[s->nin] = '\0';
			if (s->nin >= 12 && strncmp(s->in, "HTTP/1.", 7) == 0) {
				st = (int)strtol(s->in + 9, NULL, 10);
				if (st > 0 && st < MAX_STATUS)
					answered[st]++;
				if (r > 0 || parse_answer(s->in, s->nin, &a) == 0)
					continue; /* wait for the close */
			} else if (t - s->opened < REFUSE_MS) {
				refused++;
			} else {
				dropped++;
				if (dmin < 0 || t - s->opened < dmin)
					dmin = t - s->opened;
				if (t - s->opened > dmax)
					dmax = t - s->opened;
			}
			close(s->fd);
			s->fd = -1;
			nopen--;
		}
	}
	printf("refused %u\n", refused);
	printf("dropped %u\n", dropped);
	printf("drop_ms_min %lld\n", (long long)dmin);
	printf("drop_ms_max %lld\n", (long long)dmax);
	for (i = 0; i < MAX_STATUS; i++)
		if (answered[i])
			printf("answered_%u %u\n", i, answered[i]);
	printf("open %u\n", nopen);
	printf("seconds %.1f\n", (double)(now_ms() - start) / 1000);
	for (i = 0; i < O.count; i++)
		if (c[i].fd >= 0)
			close(c[i].fd);
	free(c);
	free(pf);
	free(idx);
}

/* ==== Garbage bundles =============================================== */

/* A real bundle to damage, or none. */
static uint8_t *tpl;
static size_t ntpl, tpl_h; /* bytes; header length */

static void
load_template(void)
{
	FILE *f;
	long n;

	if (O.template == NULL)
		return;
	if ((f = fopen(O.template, "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 402 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "hostile: --template %s: cannot be read, or "
				"not a bundle\n", O.template);
		exit(2);
	}
	ntpl = (size_t)n;
	tpl = xmalloc(ntpl);
	if (fread(tpl, 1, ntpl, f) != ntpl || memcmp(tpl, "CDSB", 4) != 0) {
		fprintf(stderr, "hostile: --template %s: not a bundle\n",
			O.template);
		exit(2);
	}
	fclose(f);
	tpl_h = 210 + 112 * (size_t)tpl[5];
	if (tpl_h + 64 + get_be(tpl + 114, 8) != ntpl) {
		fprintf(stderr, "hostile: --template %s: its length is not "
				"the one its header says\n", O.template);
		exit(2);
	}
}

/* A well-formed header of one recipient, node and keys random, and a
 * ciphertext of `c` bytes; `skew` added to the stated length. */
static size_t
fake_bundle(uint8_t *b, size_t c, int64_t skew)
{
	size_t h = 210 + 112;

	fill(b, h + 64 + c);
	memcpy(b, "CDSB", 4);
	b[4] = 1;
	b[5] = 1;
	put_be(b + 54, 1, 8);		/* seq 1 */
	memset(b + 62, 0, 32);		/* prev: zeros for seq 1 */
	put_be(b + 102, 1, 4);		/* one change */
	put_be(b + 106, 64, 8);		/* plain_len */
	put_be(b + 114, (uint64_t)((int64_t)c + skew), 8);
	return h + 64 + c;
}

enum { G_RANDOM, G_VERSION, G_NRCPT, G_LENGTHS, G_UNKNOWN, G_SIG, G_FIELD,
       G_CIPHER, G_SHORT, G_KINDS };

/* The bytes of garbage upload i into b (cap bytes); their count. */
static size_t
garbage(uint8_t *b, size_t cap, unsigned i)
{
	unsigned kinds = tpl ? G_KINDS : G_UNKNOWN + 1;
	size_t n = 402 + rnd() % 1200;

	(void)cap;
	switch (i % kinds) {
	case G_RANDOM:
		fill(b, n);
		if (memcmp(b, "CDSB", 4) == 0)
			b[0] = 'X';
		return n;
	case G_VERSION:
		fill(b, n);
		memcpy(b, "CDSB\x02", 5);
		return n;
	case G_NRCPT:
		fill(b, n);
		memcpy(b, "CDSB\x01\x09", 6);
		return n;
	case G_LENGTHS:
		return fake_bundle(b, 16 + rnd() % 800, 1);
	case G_UNKNOWN:
		return fake_bundle(b, 16 + rnd() % 800, 0);
	case G_SIG:
		memcpy(b, tpl, ntpl);
		b[tpl_h + rnd() % 64] ^= 0x01;
		return ntpl;
	case G_FIELD:
		memcpy(b, tpl, ntpl);
		b[94 + rnd() % 8] ^= 0x80; /* hlc: signed, not checked */
		return ntpl;
	case G_CIPHER:
		memcpy(b, tpl, ntpl);
		b[tpl_h + 64 + rnd() % (ntpl - tpl_h - 64)] ^= 0x01;
		return ntpl;
	default:
		memcpy(b, tpl, ntpl);
		return ntpl - 1;
	}
}

enum gstate { GS_CONNECT, GS_POST, GS_PATCH, GS_DONE };

struct gconn {
	int fd;
	enum gstate st;
	uint8_t *out; /* what is still to send */
	size_t nout, oout;
	char in[INBUF];
	size_t nin;
	unsigned upload; /* its number */
	uint8_t *bytes;	 /* its bytes */
	size_t len;
	int again;	 /* cut before its answer: send it again */
};

static void
gconn_queue(struct gconn *g, const char *head, const uint8_t *body,
	    size_t n)
{
	size_t hn = strlen(head);

	free(g->out);
	g->out = xmalloc(hn + n);
	memcpy(g->out, head, hn);
	if (n)
		memcpy(g->out + hn, body, n);
	g->nout = hn + n;
	g->oout = 0;
}

static void
garbage_run(void)
{
	struct gconn *g = calloc(O.parallel, sizeof *g);
	struct pollfd *pf = calloc(O.parallel, sizeof *pf);
	size_t cap = 4096 + ntpl;
	struct tally post = { 0 }, patch = { 0 };
	unsigned next = 0, done = 0, closed = 0, fails = 0, answers, i;
	int64_t start = now_ms();
	char head[1024], len[24];
	struct answer a;
	ssize_t r;
	long k;

	if (g == NULL || pf == NULL)
		die("calloc");
	for (i = 0; i < O.parallel; i++) {
		g[i].fd = -1;
		g[i].st = GS_CONNECT;
		g[i].bytes = xmalloc(cap);
	}
	while (done < O.count && fails < 1000) {
		for (i = 0; i < O.parallel; i++) {
			if (g[i].st == GS_CONNECT &&
			    (next < O.count || g[i].again)) {
				if ((g[i].fd = dial(1)) < 0) {
					fails++;
					pf[i].fd = -1;
					continue;
				}
				if (!g[i].again) {
					g[i].upload = next++;
					g[i].len = garbage(g[i].bytes, cap,
							   g[i].upload);
				}
				g[i].again = 0;
				post_head(head, sizeof head, g[i].len);
				gconn_queue(&g[i], head, NULL, 0);
				g[i].st = GS_POST;
			}
			pf[i].fd = g[i].st == GS_POST || g[i].st == GS_PATCH
					   ? g[i].fd
					   : -1;
			pf[i].events = POLLIN |
				       (g[i].oout < g[i].nout ? POLLOUT : 0);
			pf[i].revents = 0;
		}
		if (poll(pf, O.parallel, 1000) < 0 && errno != EINTR)
			die("poll");
		for (i = 0; i < O.parallel; i++) {
			struct gconn *c = &g[i];

			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			if ((pf[i].revents & POLLOUT) && c->oout < c->nout) {
				r = send(c->fd, c->out + c->oout,
					 c->nout - c->oout, MSG_NOSIGNAL);
				if (r > 0)
					c->oout += (size_t)r;
			}
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = recv(c->fd, c->in + c->nin, INBUF - c->nin, 0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r > 0)
				c->nin += (size_t)r;
			k = parse_answer(c->in, c->nin, &a);
			if (k == 0 && r > 0)
				continue;
			if (k <= 0) {
				/* ended by the hub without an answer: the
				 * upload is started again on a new one */
				closed++;
				close(c->fd);
				c->fd = -1;
				c->nin = 0;
				c->again = c->st == GS_POST || c->st == GS_PATCH;
				c->st = GS_CONNECT;
				continue;
			}
			memmove(c->in, c->in + k, c->nin - (size_t)k);
			c->nin -= (size_t)k;
			if (c->st == GS_POST) {
				if (a.status > 0 && a.status < MAX_STATUS)
					post.status[a.status]++;
				if (a.status == 201 && a.location[0]) {
					c->st = GS_PATCH;
					snprintf(len, sizeof len, "%zu",
						 c->len);
					patch_head(head, sizeof head,
						   a.location, "0", len);
					gconn_queue(c, head, c->bytes, c->len);
				} else {
					done++;
					c->st = GS_DONE;
				}
			} else {
				if (a.status > 0 && a.status < MAX_STATUS)
					patch.status[a.status]++;
				tally_word(&patch, a.body, a.nbody);
				done++;
				c->st = GS_DONE;
			}
			if (c->st == GS_DONE) {
				if (a.close) {
					closed++;
					close(c->fd);
					c->fd = -1;
					c->st = GS_CONNECT;
				} else if (next < O.count) {
					c->upload = next++;
					c->len = garbage(c->bytes, cap,
							 c->upload);
					post_head(head, sizeof head, c->len);
					gconn_queue(c, head, NULL, 0);
					c->st = GS_POST;
				}
			}
		}
	}
	for (i = 0, answers = 0; i < MAX_STATUS; i++)
		answers += post.status[i] + patch.status[i];
	printf("uploads %u\n", done);
	printf("requests %u\n", answers);
	tally_print(&post, "post");
	tally_print(&patch, "patch");
	printf("closed %u\n", closed);
	printf("connect_failed %u\n", fails);
	printf("seconds %.1f\n", (double)(now_ms() - start) / 1000);
	for (i = 0; i < O.parallel; i++) {
		if (g[i].fd >= 0)
			close(g[i].fd);
		free(g[i].out);
		free(g[i].bytes);
	}
	free(g);
	free(pf);
}

/* ==== Bad Upload-Offset values ====================================== */

static void
print_answer(const char *label, const struct answer *a)
{
	char w[24];
	size_t i;

	printf("%s %d\n", label, a->status);
	for (i = 0; i < a->nbody && i < sizeof w - 1 && a->body[i] >= 'A' &&
		    a->body[i] <= 'Z';
	     i++)
		w[i] = a->body[i];
	w[i] = '\0';
	if (i > 0)
		printf("%s_word %s\n", label, w);
}

static void
badoffset_run(void)
{
	static const struct {
		const char *label, *value;
	} bad[] = {
		{ "offset_negative", "-1" },
		{ "offset_nonnumeric", "abc" },
		{ "offset_empty", "" },
		{ "offset_plus", "+%zu" },
		{ "offset_hex", "0x%zx" },
		{ "offset_fraction", "%zu.0" },
		{ "offset_overflow", "99999999999999999999" },
		{ "offset_int64_max", "9223372036854775807" },
		{ "offset_beyond_length", "%zu+1" },
		{ "offset_zero", "0" },
		{ "offset_low", "%zu-1" },
		{ "offset_high", "%zu+1h" },
	};
	uint8_t *b = xmalloc(O.size + 16), sum[32];
	char hex[65], b64[128], meta[160], loc[128], head[1024], len[24];
	char off[64];
	size_t half = O.size / 2, i;
	struct answer a;
	int st;

	fill(b, O.size + 16);
	b[0] = 'X'; /* not "CDSB" */
	crypto_hash_sha256(sum, b, O.size);
	sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
	sodium_bin2base64(b64, sizeof b64, (const uint8_t *)hex, 64,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(meta, sizeof meta, "sha256 %s", b64);
	create_upload(O.size, meta, loc, sizeof loc, &st);
	printf("create %d\n", st);
	if (st != 201)
		goto out;
	snprintf(len, sizeof len, "%zu", half);
	patch_head(head, sizeof head, loc, "0", len);
	exchange(head, b, half, &a);
	print_answer("first_half", &a);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *v = bad[i].value;

		if (strcmp(v, "%zu+1") == 0)
			snprintf(off, sizeof off, "%zu", O.size + 1);
		else if (strcmp(v, "%zu-1") == 0)
			snprintf(off, sizeof off, "%zu", half - 1);
		else if (strcmp(v, "%zu+1h") == 0)
			snprintf(off, sizeof off, "%zu", half + 1);
		else if (strcmp(v, "+%zu") == 0)
			snprintf(off, sizeof off, "+%zu", half);
		else if (strcmp(v, "0x%zx") == 0)
			snprintf(off, sizeof off, "0x%zx", half);
		else if (strcmp(v, "%zu.0") == 0)
			snprintf(off, sizeof off, "%zu.0", half);
		else
			snprintf(off, sizeof off, "%s", v);
		patch_head(head, sizeof head, loc, off, "10");
		exchange(head, b + half, 10, &a);
		print_answer(bad[i].label, &a);
	}
	/* no Upload-Offset at all */
	snprintf(head, sizeof head,
		 "PATCH %s HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
		 "Content-Type: application/offset+octet-stream\r\n"
		 "Content-Length: 10\r\n\r\n", loc);
	exchange(head, b + half, 10, &a);
	print_answer("offset_missing", &a);
	/* Upload-Offset given twice, the second one wrong */
	snprintf(head, sizeof head,
		 "PATCH %s HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
		 "Content-Type: application/offset+octet-stream\r\n"
		 "Upload-Offset: 0\r\nUpload-Offset: %zu\r\n"
		 "Content-Length: 10\r\n\r\n", loc, half);
	exchange(head, b + half, 10, &a);
	print_answer("offset_twice", &a);
	/* the right offset, a body running past Upload-Length */
	snprintf(len, sizeof len, "%zu", O.size - half + 1);
	snprintf(off, sizeof off, "%zu", half);
	patch_head(head, sizeof head, loc, off, len);
	exchange(head, b + half, O.size - half + 1, &a);
	print_answer("body_past_length", &a);
	printf("expect_offset %zu\n", half);
	printf("head_offset %" PRIu64 "\n", head_offset(loc));
	snprintf(len, sizeof len, "%zu", O.size - half);
	patch_head(head, sizeof head, loc, off, len);
	exchange(head, b + half, O.size - half, &a);
	print_answer("final", &a);
	/* once refused, its bytes dropped: still whole, the same answer */
	printf("head_after_final %" PRIu64 "\n", head_offset(loc));
	snprintf(off, sizeof off, "%zu", O.size);
	patch_head(head, sizeof head, loc, off, "0");
	exchange(head, NULL, 0, &a);
	print_answer("final_again", &a);
out:
	free(b);
}

/* ==== Truncated requests ============================================ */

/* Sends head and n bytes of body on a new connection and ends it (an RST
 * with `reset`), without waiting for an answer. */
static void
cut(const char *head, const void *body, size_t n, int reset)
{
	struct linger lg = { 1, 0 };
	char junk[512];
	int fd = dial(0);

	if (fd < 0)
		return;
	(void)send_all(fd, head, strlen(head));
	if (n > 0)
		(void)send_all(fd, body, n);
	usleep(100000); /* let the hub read it */
	if (reset) {
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	} else {
		shutdown(fd, SHUT_WR);
		while (recv(fd, junk, sizeof junk, 0) > 0)
			;
	}
	close(fd);
}

static void
truncated_run(void)
{
	size_t n = tpl ? ntpl : O.size, got;
	uint8_t *b = xmalloc(n);
	char loc[128], head[1024], len[24];
	uint64_t off;
	int st;

	if (tpl)
		memcpy(b, tpl, n);
	else
		fill(b, n);
	printf("length %zu\n", n);
	cut("PATCH /files/0123", NULL, 0, 0);
	printf("request_line %s\n", probe() ? "answered" : "no_answer");
	cut("POST /files/ HTTP/1.1\r\nHost: hub\r\nTus-Resum", NULL, 0, 0);
	printf("header_line %s\n", probe() ? "answered" : "no_answer");
	snprintf(head, sizeof head,
		 "POST /files/ HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0"
		 "\r\nUpload-Length: %zu\r\n", n);
	cut(head, NULL, 0, 0);
	printf("headers_unended %s\n", probe() ? "answered" : "no_answer");
	/* all but the last byte, then FIN: the bytes are kept, the upload
	 * does not end */
	create_upload(n, NULL, loc, sizeof loc, &st);
	snprintf(len, sizeof len, "%zu", n);
	patch_head(head, sizeof head, loc, "0", len);
	cut(head, b, n - 1, 0);
	printf("body_fin %s\n", probe() ? "answered" : "no_answer");
	off = head_offset(loc);
	printf("body_fin_offset %" PRIu64 "\n", off);
	/* the last byte sent at the wrong offset: refused, the upload stays
	 * unfinished */
	if (off != UINT64_MAX && off > 0) {
		struct answer a;
		char o[24];

		snprintf(o, sizeof o, "%" PRIu64, off - 1);
		patch_head(head, sizeof head, loc, o, "1");
		exchange(head, b + n - 1, 1, &a);
		printf("body_fin_wrong_offset %d\n", a.status);
	}
	/* half, then RST */
	create_upload(n, NULL, loc, sizeof loc, &st);
	patch_head(head, sizeof head, loc, "0", len);
	got = n / 2;
	cut(head, b, got, 1);
	printf("body_rst %s\n", probe() ? "answered" : "no_answer");
	printf("body_rst_offset %" PRIu64 "\n", head_offset(loc));
	/* a chunk cut in its middle */
	create_upload(n, NULL, loc, sizeof loc, &st);
	snprintf(head, sizeof head,
		 "PATCH %s HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
		 "Content-Type: application/offset+octet-stream\r\n"
		 "Upload-Offset: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "%zx\r\n", loc, n);
	cut(head, b, n / 3, 0);
	printf("chunk %s\n", probe() ? "answered" : "no_answer");
	printf("chunk_offset %" PRIu64 "\n", head_offset(loc));
	/* a document cut */
	cut("POST /enrol HTTP/1.1\r\nHost: hub\r\nContent-Length: 1000\r\n\r\n",
	    b, 10, 0);
	printf("document %s\n", probe() ? "answered" : "no_answer");
	free(b);
}

/* ==== Oversized ===================================================== */

static void
timed(const char *label, const char *head, const void *body, size_t n)
{
	struct answer a;
	int64_t t0 = now_ms();
	char k[80];

	exchange(head, body, n, &a);
	snprintf(k, sizeof k, "%s_status", label);
	print_answer(k, &a);
	printf("%s_ms %lld\n", label, (long long)(now_ms() - t0));
}

static void
oversize_run(void)
{
	size_t big = 64u << 10, hn;
	uint8_t *b = xmalloc(big + 8);
	char head[1024], loc[128], *h;
	int st;

	fill(b, big + 8);
	snprintf(head, sizeof head,
		 "POST /files/ HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
		 "Upload-Length: %" PRIu64 "\r\n\r\n", O.limit + 1);
	timed("upload_length_over", head, NULL, 0);
	timed("upload_length_huge",
	      "POST /files/ HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
	      "Upload-Length: 9223372036854775807\r\n\r\n", NULL, 0);
	timed("upload_length_overflow",
	      "POST /files/ HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
	      "Upload-Length: 18446744073709551616\r\n\r\n", NULL, 0);
	/* creation with a body: refused from the headers, the body (never
	 * sent) not waited for */
	snprintf(head, sizeof head,
		 "POST /files/ HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
		 "Upload-Length: %" PRIu64 "\r\nContent-Type: "
		 "application/offset+octet-stream\r\nContent-Length: %" PRIu64
		 "\r\n\r\n", O.limit + 1, O.limit + 1);
	timed("creation_with_body", head, NULL, 0);
	/* a PATCH whose Content-Length runs past Upload-Length, body never
	 * sent */
	create_upload(100, NULL, loc, sizeof loc, &st);
	patch_head(head, sizeof head, loc, "0", "1000000000");
	timed("patch_content_length", head, NULL, 0);
	/* chunked, so the hub learns only while reading: 200 bytes into an
	 * upload of 100 */
	snprintf(head, sizeof head,
		 "PATCH %s HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n"
		 "Content-Type: application/offset+octet-stream\r\n"
		 "Upload-Offset: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "c8\r\n", loc);
	hn = strlen(head);
	memcpy(b + 200, "\r\n0\r\n\r\n", 7);
	{
		char *all = xmalloc(hn + 207 + 1);

		memcpy(all, head, hn);
		memcpy(all + hn, b, 207);
		all[hn + 207] = '\0';
		for (size_t i = hn; i < hn + 200; i++)
			if (all[i] == '\0')
				all[i] = 'z';
		timed("patch_past_length", all, NULL, 0);
		free(all);
	}
	printf("patch_past_length_offset %" PRIu64 "\n", head_offset(loc));
	timed("document",
	      "POST /enrol HTTP/1.1\r\nHost: hub\r\nContent-Length: 10485760"
	      "\r\n\r\n", NULL, 0);
	/* headers: 16 KiB (over the hub's 8 KiB) and 64 KiB (over
	 * libmicrohttpd's buffer) */
	h = xmalloc(big + 256);
	snprintf(h, big + 256, "GET /catalog HTTP/1.1\r\nHost: hub\r\nX-Big: ");
	hn = strlen(h);
	memset(h + hn, 'a', 16384);
	memcpy(h + hn + 16384, "\r\n\r\n", 5);
	timed("header_16k", h, NULL, 0);
	memset(h + hn, 'a', big);
	memcpy(h + hn + big, "\r\n\r\n", 5);
	timed("header_64k", h, NULL, 0);
	free(h);
	free(b);
}

/* ==== Main ========================================================== */

int
main(int argc, char **argv)
{
	struct rlimit rl;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "hostile: libsodium cannot start\n");
		return 1;
	}
	rng = O.seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
	if (rng == 0)
		rng = 1;
	load_template();
	printf("mode %s\n", modes[O.mode]);
	switch (O.mode) {
	case M_SLOWLORIS:
	case M_SLOWBODY:
	case M_CONNS:
		slow_run();
		break;
	case M_GARBAGE:
		garbage_run();
		break;
	case M_BADOFFSET:
		badoffset_run();
		break;
	case M_TRUNCATED:
		truncated_run();
		break;
	default:
		oversize_run();
		break;
	}
	free(tpl);
	return fflush(stdout) == 0 ? 0 : 1;
}
