/* faultproxy.c -- a TCP proxy that damages links on purpose.
 *
 * The end to end tests of the daemon (school node -> district hub ->
 * national hub over HTTP, uploads resumed after cuts) need links that
 * break, and the test machines have no tc netem.  faultproxy sits between
 * a client and a server on the loopback interface and cuts, resets,
 * delays, throttles or blackholes their connections on demand.
 *
 * CONTRACT
 *   faultproxy --listen 127.0.0.1:PORT --to 127.0.0.1:PORT [options]
 *
 *   Listens on --listen (port 0: a free port) and forwards every
 *   connection to --to.  Both must be numeric IPv4 loopback addresses
 *   (127.x.x.x); anything else is refused, so that a test never sends
 *   traffic off the machine.  The first line on stdout is "port N", the
 *   port actually bound, flushed at once; nothing else goes to stdout.
 *
 *   Faults, combinable.  N counts the bytes *delivered* to the other side
 *   on one connection, so a peer receives exactly N bytes before the
 *   fault; "up:N" counts only client->server bytes, "down:N" only
 *   server->client ones, plain N both directions together.
 *     --cut-after [up:|down:]N        close both sides (FIN) after N bytes
 *     --reset-after [up:|down:]N      the same with an RST (SO_LINGER 0);
 *                                     bytes still in flight may be lost
 *                                     with it, so a peer gets at most N
 *     --blackhole-after [up:|down:]N  from then on drop everything both
 *                                     ways, sockets kept open (a hung
 *                                     link: a peer that closes is not
 *                                     told to the other one)
 *     --cut-every N        cut the current connection each time N more
 *                          client->server bytes have passed, counted over
 *                          the proxy's lifetime, across connections
 *     --latency MS         deliver each chunk MS ms after it was read (per
 *                          direction, order kept)
 *     --rate BYTES_PER_S   token bucket per direction (burst: 1/20 s worth)
 *     --drop-connections K accept the first K connections, close them
 *   Others:
 *     --max-seconds S  exit after S seconds (default 600); SIGTERM and
 *                      SIGINT end it cleanly too
 *     --buffer BYTES   bound of the queue of each direction (default 65536);
 *                      a side is not read while its queue is full
 *     --log FILE       append one line per connection when it ends:
 *                      "conn ID up N down N up_read N down_read N ms N
 *                      end HOW", HOW one of eof, cut, reset, blackhole,
 *                      error, dropped, exit (still open at the stop)
 *   At exit, one line on stderr:
 *     "faultproxy: connections N dropped N up_read N up_passed N
 *      down_read N down_passed N cuts N resets N blackholes N errors N"
 *   (connections counts the dropped ones; up_read is what clients sent,
 *   as far as the proxy read it, up_passed what servers received).
 *   A socket error on one side (or a failed connect to --to) resets the
 *   other side.  Exit status: 0 after a stop, 2 on a bad argument (the
 *   message names the option and says what is wrong), 1 if the proxy
 *   cannot run.
 *
 * DESIGN
 *   One thread, one ppoll() loop; SIGTERM and SIGINT are blocked outside
 *   ppoll, so a stop is never missed.  A connection is a pair of
 *   non-blocking sockets and two directions; a direction is a FIFO of
 *   chunks stamped with the time they are due (latency), written out
 *   through a token bucket (rate) and never past the byte budget of the
 *   next fault.  Queues are bounded (--buffer), so back-pressure reaches
 *   the sender through TCP.  Up to 4096 connections at once (fewer if
 *   RLIMIT_NOFILE is low; its soft limit is raised to the hard one); more
 *   clients wait in the listen backlog.
 *
 * LIMITS
 *   IPv4 only.  A test tool: not hardened against hostile peers.  Memory
 *   is bounded by connections x 2 x --buffer.  A cut drops what the proxy
 *   holds; a peer that had unread data in flight may get an RST instead
 *   of a FIN (the kernel does that when a socket closes with unread data).
 *   Tested by tests/unit/faultproxy_test.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_MAX  16384               /* bytes read from a socket at once */
#define DRAIN_MAX (1 << 20)           /* bytes dropped unread before a cut */
#define MAX_CONNS 4096                /* connections open at once, at most */
#define BYTES_MAX (UINT64_C(1) << 50) /* largest byte count of an option */
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S  INT64_C(1000000000)

/* ==== Options ==== */

enum count_on {
	COUNT_BOTH, /* both directions of a connection */
	COUNT_UP,   /* client->server only */
	COUNT_DOWN  /* server->client only */
};

struct limit {
	uint64_t n;       /* bytes before the fault; 0: not set */
	enum count_on on; /* which bytes count */
};

enum opt_id {
	OPT_LISTEN,
	OPT_TO,
	OPT_CUT,
	OPT_RESET,
	OPT_BLACKHOLE,
	OPT_EVERY,
	OPT_LATENCY,
	OPT_RATE,
	OPT_DROP,
	OPT_MAXSEC,
	OPT_BUFFER,
	OPT_LOG,
	OPT_N
};

static const char *const optnames[OPT_N] = {
	"--listen",
	"--to",
	"--cut-after",
	"--reset-after",
	"--blackhole-after",
	"--cut-every",
	"--latency",
	"--rate",
	"--drop-connections",
	"--max-seconds",
	"--buffer",
	"--log",
};

static struct opts {
	struct sockaddr_in listen; /* --listen */
	struct sockaddr_in to;     /* --to */
	const char *listen_s;      /* --listen as given, for messages */
	const char *to_s;          /* --to as given */
	struct limit cut;          /* --cut-after */
	struct limit reset;        /* --reset-after */
	struct limit blackhole;    /* --blackhole-after */
	uint64_t cut_every;        /* --cut-every; 0: off */
	int64_t latency;           /* --latency, in ns */
	uint64_t rate;             /* --rate, bytes/s; 0: no cap */
	uint64_t drop;             /* --drop-connections */
	uint64_t max_seconds;      /* --max-seconds */
	size_t buffer;             /* --buffer */
	const char *log;           /* --log; NULL: none */
} O;

static const char usage_text[]
    = "usage: faultproxy --listen 127.0.0.1:PORT --to 127.0.0.1:PORT\n"
      "         [--cut-after [up:|down:]N] [--reset-after [up:|down:]N]\n"
      "         [--blackhole-after [up:|down:]N] [--cut-every N]\n"
      "         [--latency MS] [--rate BYTES_PER_S] [--drop-connections K]\n"
      "         [--max-seconds S] [--buffer BYTES] [--log FILE]\n"
      "Only loopback addresses (127.x.x.x) are accepted; --listen with port\n"
      "0 picks a free port.  The first line on stdout is \"port N\".\n";

static void usage_error(const char *opt, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* Says which option is wrong and how, on stderr, and exits with 2. */
static void
usage_error(const char *opt, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "faultproxy: %s: ", opt);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	exit(2);
}

/* A whole decimal number in [min, max]; exits through usage_error. */
static uint64_t
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end = NULL;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		usage_error(opt, "'%s' is not a whole number", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		usage_error(opt, "'%s' is too large", s);
	if (*end != '\0')
		usage_error(opt, "'%s' is not a whole number", s);
	if (v < min || v > max)
		usage_error(opt,
		    "%llu is out of range (%" PRIu64 " to %" PRIu64 ")", v,
		    min, max);
	return (uint64_t)v;
}

/* "[up:|down:]N" into *l. */
static void
parse_limit(const char *opt, const char *s, struct limit *l)
{
	l->on = COUNT_BOTH;
	if (strncmp(s, "up:", 3) == 0) {
		l->on = COUNT_UP;
		s += 3;
	} else if (strncmp(s, "down:", 5) == 0) {
		l->on = COUNT_DOWN;
		s += 5;
	}
	l->n = parse_u64(opt, s, 1, BYTES_MAX);
}

/* "127.x.x.x:PORT" into *sin; a port of 0 only if zero_ok. */
static void
parse_addr(
    const char *opt, const char *s, bool zero_ok, struct sockaddr_in *sin)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t hl;
	uint64_t port;

	if (colon == NULL)
		usage_error(
		    opt, "'%s' is not HOST:PORT (e.g. 127.0.0.1:8080)", s);
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		usage_error(opt,
		    "'%s' is not a numeric IPv4 loopback address "
		    "(127.x.x.x:PORT)",
		    s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1)
		usage_error(opt,
		    "'%s' is not a numeric IPv4 address; only "
		    "loopback (127.x.x.x) is allowed",
		    host);
	if ((ntohl(a.s_addr) >> 24) != 127)
		usage_error(opt,
		    "%s is not a loopback address; only 127.x.x.x "
		    "is allowed (tests must not send traffic "
		    "elsewhere)",
		    host);
	if (colon[1] < '0' || colon[1] > '9')
		usage_error(opt, "port '%s' is not a whole number", colon + 1);
	port = parse_u64(opt, colon + 1, zero_ok ? 0 : 1, 65535);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr = a;
	sin->sin_port = htons((uint16_t)port);
}

static int
find_opt(const char *a)
{
	for (int i = 0; i < OPT_N; i++)
		if (strcmp(a, optnames[i]) == 0)
			return i;
	return -1;
}

/* Fills O from the command line; exits with 2 on any mistake. */
static void
parse_args(int argc, char **argv)
{
	bool seen[OPT_N] = { false };

	O.max_seconds = 600;
	O.buffer = 65536;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v;
		int id;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			exit(0);
		}
		id = find_opt(a);
		if (id < 0)
			usage_error(a,
			    a[0] == '-' ? "unknown option"
			                : "unexpected argument");
		if (i + 1 >= argc)
			usage_error(a, "needs a value");
		if (seen[id])
			usage_error(a, "given twice");
		seen[id] = true;
		v = argv[++i];
		switch (id) {
		case OPT_LISTEN:
			O.listen_s = v;
			parse_addr(a, v, true, &O.listen);
			break;
		case OPT_TO:
			O.to_s = v;
			parse_addr(a, v, false, &O.to);
			break;
		case OPT_CUT:
			parse_limit(a, v, &O.cut);
			break;
		case OPT_RESET:
			parse_limit(a, v, &O.reset);
			break;
		case OPT_BLACKHOLE:
			parse_limit(a, v, &O.blackhole);
			break;
		case OPT_EVERY:
			O.cut_every = parse_u64(a, v, 1, BYTES_MAX);
			break;
		case OPT_LATENCY:
			O.latency
			    = (int64_t)parse_u64(a, v, 0, 60000) * NS_PER_MS;
			break;
		case OPT_RATE:
			O.rate = parse_u64(a, v, 1, UINT64_C(10000000000));
			break;
		case OPT_DROP:
			O.drop = parse_u64(a, v, 0, UINT64_C(1000000000));
			break;
		case OPT_MAXSEC:
			O.max_seconds = parse_u64(a, v, 1, 86400);
			break;
		case OPT_BUFFER:
			O.buffer = (size_t)parse_u64(a, v, 1024, 64 << 20);
			break;
		case OPT_LOG:
			if (v[0] == '\0')
				usage_error(a, "needs a file name");
			O.log = v;
			break;
		default:
			usage_error(a, "unknown option");
		}
	}
	if (!seen[OPT_LISTEN])
		usage_error(
		    "--listen", "is required (e.g. --listen 127.0.0.1:0)");
	if (!seen[OPT_TO])
		usage_error("--to", "is required (e.g. --to 127.0.0.1:8080)");
	if (O.listen.sin_port != 0 && O.listen.sin_port == O.to.sin_port
	    && O.listen.sin_addr.s_addr == O.to.sin_addr.s_addr)
		usage_error("--to",
		    "%s is the --listen address (the proxy would "
		    "connect to itself)",
		    O.to_s);
}

/* ==== State, clock and signals ==== */

enum end {
	END_EOF,       /* both sides closed their sending side, all passed */
	END_CUT,       /* --cut-after, --cut-every */
	END_RESET,     /* --reset-after */
	END_BLACKHOLE, /* blackholed, then both peers closed (or the stop) */
	END_ERROR,     /* a socket error or a failed connect */
	END_DROPPED,   /* --drop-connections */
	END_EXIT       /* still open when the proxy stopped */
};

static const char *const endnames[] = {
	"eof",
	"cut",
	"reset",
	"blackhole",
	"error",
	"dropped",
	"exit",
};

struct chunk {
	struct chunk *next;   /* next in the FIFO of its direction */
	int64_t due;          /* monotonic ns when it may be delivered */
	size_t len;           /* bytes in data */
	size_t off;           /* bytes of data already delivered */
	unsigned char data[]; /* what was read */
};

struct dir {
	struct chunk *head; /* FIFO of what is read and not delivered */
	struct chunk *tail; /* last of the FIFO, NULL if empty */
	size_t queued;      /* undelivered bytes in the FIFO */
	bool eof;           /* the source closed its sending side */
	bool shut;          /* that end passed on (shutdown SHUT_WR) */
	bool blocked;       /* a write hit EAGAIN: wait for POLLOUT */
	double tokens;      /* token bucket (--rate), bytes */
	int64_t refilled;   /* when tokens were last refilled */
	uint64_t nread;     /* bytes read from the source */
	uint64_t passed;    /* bytes written to the destination */
};

/* A client and its server.  dir[d] reads fd[d] and writes fd[1 - d]. */
struct conn {
	int fd[2];         /* [0] client, [1] server; -1 once closed */
	struct dir dir[2]; /* [0] up (client->server), [1] down */
	bool connecting;   /* connect() to the server in progress */
	bool blackholed;   /* dropping everything both ways */
	bool dead;         /* ended; dropped by sweep() */
	uint64_t id;       /* 1, 2, ... in accept order */
	int64_t started;   /* monotonic ns of the accept */
};

static struct proxy {
	int lfd;              /* listening socket */
	struct conn *conns;   /* open connections, nconns of them */
	size_t nconns;        /* in use in conns */
	size_t maxconns;      /* capacity of conns */
	struct pollfd *pfds;  /* 1 + 2 * maxconns: listener, then pairs */
	FILE *log;            /* --log, or NULL */
	sigset_t waitmask;    /* signal mask during ppoll */
	int64_t deadline;     /* monotonic ns of --max-seconds */
	int64_t accept_pause; /* no accept() before this (EMFILE) */
	uint64_t every_left;  /* up bytes before the next --cut-every */
	double burst;         /* token bucket size, bytes */
	uint64_t burst_min;   /* smallest write worth waiting for */
	uint64_t accepted;    /* connections accepted, dropped included */
	uint64_t dropped;     /* closed by --drop-connections */
	uint64_t nread[2];    /* bytes read, [0] from clients, [1] servers */
	uint64_t passed[2];   /* bytes delivered, [0] to servers */
	uint64_t cuts, resets, blackholes, errors; /* faults and errors */
} P = { .lfd = -1 };

static volatile sig_atomic_t stop_signal; /* SIGTERM or SIGINT seen */

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Prints "faultproxy: what: strerror(errno)"; returns -1. */
static int
fail(const char *what)
{
	fprintf(stderr, "faultproxy: %s: %s\n", what, strerror(errno));
	return -1;
}

/* ==== Chunk queues ==== */

/* Appends a copy of buf to d; -1 if out of memory. */
static int
dir_push(struct dir *d, const unsigned char *buf, size_t n, int64_t due)
{
	struct chunk *ch = malloc(sizeof(*ch) + n);

	if (ch == NULL)
		return -1;
	ch->next = NULL;
	ch->due = due;
	ch->len = n;
	ch->off = 0;
	memcpy(ch->data, buf, n);
	if (d->tail != NULL)
		d->tail->next = ch;
	else
		d->head = ch;
	d->tail = ch;
	d->queued += n;
	return 0;
}

/* Frees the head chunk of d (not empty). */
static void
dir_pop(struct dir *d)
{
	struct chunk *ch = d->head;

	d->head = ch->next;
	if (d->head == NULL)
		d->tail = NULL;
	d->queued -= ch->len - ch->off;
	free(ch);
}

static void
dir_clear(struct dir *d)
{
	while (d->head != NULL)
		dir_pop(d);
}

/* Refills the bucket of d up to now; returns the whole tokens in it. */
static uint64_t
bucket_refill(struct dir *d, int64_t now)
{
	d->tokens += (double)(now - d->refilled) * (double)O.rate / 1e9;
	if (d->tokens > P.burst)
		d->tokens = P.burst;
	d->refilled = now;
	return (uint64_t)d->tokens;
}

/* Tokens worth waiting for before writing n bytes. */
static uint64_t
bucket_need(size_t n)
{
	return n < P.burst_min ? n : P.burst_min;
}

/* ==== Connections ==== */

static void
log_end(uint64_t id, const uint64_t passed[2], const uint64_t nread[2],
    int64_t ms, enum end how)
{
	if (P.log == NULL)
		return;
	fprintf(P.log,
	    "conn %" PRIu64 " up %" PRIu64 " down %" PRIu64 " up_read %" PRIu64
	    " down_read %" PRIu64 " ms %" PRId64 " end %s\n",
	    id, passed[0], passed[1], nread[0], nread[1], ms, endnames[how]);
}

/* Reads and drops what side s has pending (a cut), so that its close
 * sends a FIN rather than an RST where the kernel allows. */
static void
drain(struct conn *c, int s)
{
	unsigned char buf[READ_MAX];
	size_t total = 0;

	while (total < DRAIN_MAX) {
		ssize_t r = recv(c->fd[s], buf, sizeof(buf), 0);

		if (r <= 0)
			break;
		total += (size_t)r;
		c->dir[s].nread += (uint64_t)r;
		P.nread[s] += (uint64_t)r;
	}
}

/* Ends c the way how says (FIN, RST), logs it and marks it for sweep().
 * No-op on an ended connection. */
static void
conn_end(struct conn *c, enum end how)
{
	static const struct linger rst = { 1, 0 };
	uint64_t passed[2], nread[2];

	if (c->dead)
		return;
	for (int s = 0; s < 2; s++) {
		if (c->fd[s] < 0)
			continue;
		if (how == END_CUT)
			drain(c, s);
		if (how == END_RESET || how == END_ERROR)
			(void)setsockopt(c->fd[s], SOL_SOCKET, SO_LINGER, &rst,
			    sizeof(rst));
		close(c->fd[s]);
		c->fd[s] = -1;
	}
	if (how == END_CUT)
		P.cuts++;
	else if (how == END_RESET)
		P.resets++;
	else if (how == END_ERROR)
		P.errors++;
	for (int d = 0; d < 2; d++) {
		passed[d] = c->dir[d].passed;
		nread[d] = c->dir[d].nread;
		dir_clear(&c->dir[d]);
	}
	log_end(
	    c->id, passed, nread, (now_ns() - c->started) / NS_PER_MS, how);
	c->dead = true;
}

/* Drops the ended connections from P.conns, closing the gaps (a
 * connection is moved, never pointed to from elsewhere). */
static void
sweep(void)
{
	size_t j = 0;

	for (size_t i = 0; i < P.nconns; i++) {
		if (P.conns[i].dead)
			continue;
		if (j != i)
			P.conns[j] = P.conns[i];
		j++;
	}
	P.nconns = j;
}

static void
nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Takes the accepted client cfd and starts connecting to --to. */
static void
conn_open(int cfd, int64_t now)
{
	struct conn *c = &P.conns[P.nconns++];
	int sfd;

	memset(c, 0, sizeof(*c));
	c->id = P.accepted;
	c->started = now;
	c->fd[0] = cfd;
	c->fd[1] = -1;
	for (int d = 0; d < 2; d++) {
		c->dir[d].tokens = P.burst;
		c->dir[d].refilled = now;
	}
	nodelay(cfd);
	sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sfd < 0) {
		(void)fail("socket");
		conn_end(c, END_ERROR);
		return;
	}
	c->fd[1] = sfd;
	nodelay(sfd);
	if (connect(sfd, (const struct sockaddr *)&O.to, sizeof(O.to)) == 0)
		return;
	if (errno == EINPROGRESS) {
		c->connecting = true;
		return;
	}
	fprintf(stderr, "faultproxy: conn %" PRIu64 ": connect to %s: %s\n",
	    c->id, O.to_s, strerror(errno));
	conn_end(c, END_ERROR);
}

/* The non-blocking connect of c finished (POLLOUT or an error). */
static void
connect_done(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		fprintf(stderr,
		    "faultproxy: conn %" PRIu64 ": connect to %s: %s\n", c->id,
		    O.to_s, strerror(err));
		conn_end(c, END_ERROR);
		return;
	}
	c->connecting = false;
}

/* Accepts what the backlog holds, while there is room. */
static void
accept_some(int64_t now)
{
	static const uint64_t zero[2] = { 0, 0 };

	while (P.nconns < P.maxconns) {
		int fd
		    = accept4(P.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				(void)fail("accept");
				P.accept_pause = now + 100 * NS_PER_MS;
			}
			return;
		}
		P.accepted++;
		if (P.accepted <= O.drop) {
			close(fd);
			P.dropped++;
			log_end(P.accepted, zero, zero, 0, END_DROPPED);
			continue;
		}
		conn_open(fd, now);
	}
}

/* ==== Faults ==== */

static uint64_t
counted(const struct conn *c, enum count_on on)
{
	switch (on) {
	case COUNT_UP:
		return c->dir[0].passed;
	case COUNT_DOWN:
		return c->dir[1].passed;
	default:
		return c->dir[0].passed + c->dir[1].passed;
	}
}

/* Bytes direction d of c may still deliver before l fires. */
static uint64_t
limit_room(const struct conn *c, const struct limit *l, int d)
{
	uint64_t k;

	if (l->n == 0 || (l->on == COUNT_UP && d != 0)
	    || (l->on == COUNT_DOWN && d != 1))
		return UINT64_MAX;
	k = counted(c, l->on);
	return k >= l->n ? 0 : l->n - k;
}

static bool
limit_hit(const struct conn *c, const struct limit *l)
{
	return l->n != 0 && counted(c, l->on) >= l->n;
}

/* Bytes direction d of c may deliver before the next fault. */
static uint64_t
fault_room(const struct conn *c, int d)
{
	uint64_t r = limit_room(c, &O.cut, d);
	uint64_t k = limit_room(c, &O.reset, d);

	if (k < r)
		r = k;
	k = limit_room(c, &O.blackhole, d);
	if (k < r)
		r = k;
	if (O.cut_every != 0 && d == 0 && P.every_left < r)
		r = P.every_left;
	return r;
}

/* Drops both queues of c and everything it will read from now on. */
static void
conn_blackhole(struct conn *c)
{
	dir_clear(&c->dir[0]);
	dir_clear(&c->dir[1]);
	c->blackholed = true;
	P.blackholes++;
}

/* Fires the fault whose budget is spent, if any; true if one fired. */
static bool
fault_fire(struct conn *c)
{
	if (limit_hit(c, &O.reset)) {
		conn_end(c, END_RESET);
		return true;
	}
	if (limit_hit(c, &O.cut)) {
		conn_end(c, END_CUT);
		return true;
	}
	if (O.cut_every != 0 && P.every_left == 0) {
		P.every_left = O.cut_every;
		conn_end(c, END_CUT);
		return true;
	}
	if (limit_hit(c, &O.blackhole)) {
		conn_blackhole(c);
		return true;
	}
	return false;
}

/* ==== Moving bytes ==== */

/* Reads what side s of c offers: queued, or dropped if blackholed. */
static void
side_read(struct conn *c, int s, int64_t now)
{
	unsigned char buf[READ_MAX];
	struct dir *d = &c->dir[s];
	size_t want = sizeof(buf);
	ssize_t r;

	if (!c->blackholed) {
		size_t room = O.buffer - d->queued;

		if (room < want)
			want = room;
		if (want == 0)
			return;
	}
	r = recv(c->fd[s], buf, want, 0);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (c->blackholed)
			d->eof = true;
		else
			conn_end(c, END_ERROR);
		return;
	}
	if (r == 0) {
		d->eof = true;
		return;
	}
	d->nread += (uint64_t)r;
	P.nread[s] += (uint64_t)r;
	if (c->blackholed)
		return;
	if (dir_push(d, buf, (size_t)r, now + O.latency) != 0) {
		fprintf(stderr,
		    "faultproxy: conn %" PRIu64 ": out of memory\n", c->id);
		conn_end(c, END_ERROR);
	}
}

/* Writes what direction d of c may deliver now: chunks that are due,
 * within the bucket and the budget of the next fault, which it fires. */
static void
dir_flush(struct conn *c, int d, int64_t now)
{
	struct dir *dr = &c->dir[d];
	int out = c->fd[1 - d];

	while (dr->head != NULL && !dr->blocked) {
		struct chunk *ch = dr->head;
		size_t n = ch->len - ch->off;
		uint64_t room;
		ssize_t w;

		if (ch->due > now)
			break;
		if (O.rate != 0) {
			uint64_t avail = bucket_refill(dr, now);

			if (avail < bucket_need(n))
				break;
			if (n > avail)
				n = (size_t)avail;
		}
		room = fault_room(c, d);
		if (n > room)
			n = (size_t)room;
		if (n == 0)
			break; /* NEVER: a spent budget has fired */
		w = send(out, ch->data + ch->off, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				dr->blocked = true;
				break;
			}
			conn_end(c, END_ERROR);
			return;
		}
		ch->off += (size_t)w;
		dr->queued -= (size_t)w;
		dr->passed += (uint64_t)w;
		P.passed[d] += (uint64_t)w;
		if (O.rate != 0)
			dr->tokens -= (double)w;
		if (O.cut_every != 0 && d == 0)
			P.every_left -= (uint64_t)w;
		if (ch->off == ch->len)
			dir_pop(dr);
		if (fault_fire(c))
			return;
	}
	if (dr->head == NULL && dr->eof && !dr->shut) {
		(void)shutdown(out, SHUT_WR);
		dr->shut = true;
	}
}

/* Moves what can move on c without waiting; ends it when it is over. */
static void
conn_service(struct conn *c, int64_t now)
{
	if (c->dead || c->connecting)
		return;
	if (c->blackholed) {
		if (c->dir[0].eof && c->dir[1].eof)
			conn_end(c, END_BLACKHOLE);
		return;
	}
	for (int d = 0; d < 2; d++) {
		dir_flush(c, d, now);
		if (c->dead || c->blackholed)
			return;
	}
	if (c->dir[0].shut && c->dir[1].shut)
		conn_end(c, END_EOF);
}

/* When direction d of c can move next by itself (INT64_MAX: never). */
static int64_t
dir_wake(struct conn *c, int d, int64_t now)
{
	struct dir *dr = &c->dir[d];

	if (c->blackholed || c->connecting || dr->head == NULL || dr->blocked)
		return INT64_MAX;
	if (dr->head->due > now)
		return dr->head->due;
	if (O.rate != 0) {
		double need
		    = (double)bucket_need(dr->head->len - dr->head->off);

		(void)bucket_refill(dr, now);
		if (dr->tokens < need)
			return now
			    + (int64_t)((need - dr->tokens) * 1e9
			        / (double)O.rate)
			    + 1;
	}
	return now;
}

/* The poll events side s of c waits for (0: none, not polled). */
static short
side_events(const struct conn *c, int s)
{
	const struct dir *in = &c->dir[s];
	short ev = 0;

	if (c->fd[s] < 0)
		return 0;
	if (c->blackholed)
		return in->eof ? 0 : POLLIN;
	if (s == 1 && c->connecting)
		return POLLOUT;
	if (!in->eof && in->queued < O.buffer)
		ev |= POLLIN;
	if (c->dir[1 - s].blocked)
		ev |= POLLOUT;
	return ev;
}

/* Acts on the poll results of c's two sockets. */
static void
conn_events(struct conn *c, const struct pollfd *pf, int64_t now)
{
	for (int s = 0; s < 2 && !c->dead; s++) {
		short rev = pf[s].revents;

		if (pf[s].fd < 0 || rev == 0)
			continue;
		if (s == 1 && c->connecting) {
			connect_done(c);
			continue;
		}
		if (rev & POLLOUT)
			c->dir[1 - s].blocked = false;
		if (rev & (POLLIN | POLLHUP | POLLERR))
			side_read(c, s, now);
	}
}

/* ==== Event loop ==== */

/* Fills P.pfds: the listener, then two entries per connection; lowers
 * *wake to the first timer (latency, rate) due. */
static nfds_t
build_pollset(int64_t now, int64_t *wake)
{
	nfds_t n = 1;

	P.pfds[0].fd
	    = P.nconns < P.maxconns && now >= P.accept_pause ? P.lfd : -1;
	P.pfds[0].events = POLLIN;
	P.pfds[0].revents = 0;
	if (P.accept_pause > now && P.accept_pause < *wake)
		*wake = P.accept_pause;
	for (size_t i = 0; i < P.nconns; i++) {
		struct conn *c = &P.conns[i];

		for (int s = 0; s < 2; s++) {
			short ev = side_events(c, s);
			int64_t t = dir_wake(c, s, now);

			P.pfds[n].fd = ev != 0 ? c->fd[s] : -1;
			P.pfds[n].events = ev;
			P.pfds[n].revents = 0;
			n++;
			if (t < *wake)
				*wake = t;
		}
	}
	return n;
}

/* Runs until a signal or --max-seconds; 0, or -1 if ppoll failed. */
static int
run(void)
{
	for (;;) {
		int64_t now = now_ns();
		int64_t wake = P.deadline;
		struct timespec ts;
		size_t npairs;
		nfds_t n;

		if (stop_signal != 0 || now >= P.deadline)
			return 0;
		for (size_t i = 0; i < P.nconns; i++)
			conn_service(&P.conns[i], now);
		sweep();
		n = build_pollset(now, &wake);
		if (wake < now)
			wake = now;
		ts.tv_sec = (time_t)((wake - now) / NS_PER_S);
		ts.tv_nsec = (long)((wake - now) % NS_PER_S);
		if (ppoll(P.pfds, n, &ts, &P.waitmask) < 0) {
			if (errno == EINTR)
				continue;
			return fail("ppoll");
		}
		now = now_ns();
		npairs = (size_t)(n - 1) / 2;
		for (size_t i = 0; i < npairs; i++)
			conn_events(&P.conns[i], &P.pfds[1 + 2 * i], now);
		if (P.pfds[0].revents & POLLIN)
			accept_some(now);
		sweep();
	}
}

/* ==== Main ==== */

/* Signals, limits, memory, the log and the listener; -1 on failure
 * (said on stderr).  Exits with 2 if the log cannot be opened. */
static int
setup(void)
{
	struct sigaction sa;
	sigset_t block;
	struct rlimit rl;
	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	int one = 1;
	uint64_t nofile = 1024;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0
	    || sigaction(SIGINT, &sa, NULL) != 0)
		return fail("sigaction");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return fail("sigaction");
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, &P.waitmask) != 0)
		return fail("sigprocmask");
	sigdelset(&P.waitmask, SIGTERM);
	sigdelset(&P.waitmask, SIGINT);

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rlim_t cur = rl.rlim_cur;

			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				rl.rlim_cur = cur;
		}
		nofile = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX
		                                      : (uint64_t)rl.rlim_cur;
	}
	P.maxconns = nofile > 96 ? (size_t)((nofile - 32) / 2) : 32;
	if (P.maxconns > MAX_CONNS)
		P.maxconns = MAX_CONNS;
	P.conns = calloc(P.maxconns, sizeof(struct conn));
	P.pfds = calloc(1 + 2 * P.maxconns, sizeof(*P.pfds));
	if (P.conns == NULL || P.pfds == NULL)
		return fail("calloc");

	if (O.log != NULL) {
		P.log = fopen(O.log, "a");
		if (P.log == NULL) {
			fprintf(stderr, "faultproxy: --log: %s: %s\n", O.log,
			    strerror(errno));
			return 2;
		}
		setvbuf(P.log, NULL, _IOLBF, 0);
	}

	P.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (P.lfd < 0)
		return fail("socket");
	(void)setsockopt(P.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(P.lfd, (const struct sockaddr *)&O.listen, sizeof(O.listen))
	    != 0) {
		fprintf(stderr, "faultproxy: --listen %s: bind: %s\n",
		    O.listen_s, strerror(errno));
		return -1;
	}
	if (listen(P.lfd, 1024) != 0)
		return fail("listen");
	memset(&bound, 0, sizeof(bound));
	if (getsockname(P.lfd, (struct sockaddr *)&bound, &blen) != 0)
		return fail("getsockname");
	if (bound.sin_port == O.to.sin_port
	    && bound.sin_addr.s_addr == O.to.sin_addr.s_addr) {
		fprintf(stderr,
		    "faultproxy: --to: %s is the address bound by "
		    "--listen (the proxy would connect to itself)\n",
		    O.to_s);
		return 2;
	}

	P.deadline = now_ns() + (int64_t)O.max_seconds * NS_PER_S;
	P.every_left = O.cut_every;
	P.burst = O.rate >= 20 ? (double)O.rate / 20.0 : 1.0;
	P.burst_min = (uint64_t)P.burst / 4 > 0 ? (uint64_t)P.burst / 4 : 1;
	printf("port %u\n", (unsigned)ntohs(bound.sin_port));
	if (fflush(stdout) != 0)
		return fail("stdout");
	return 0;
}

/* Ends every connection, prints the counters, frees everything. */
static void
teardown(bool counters)
{
	if (P.conns != NULL) {
		for (size_t i = 0; i < P.nconns; i++)
			conn_end(&P.conns[i],
			    P.conns[i].blackholed ? END_BLACKHOLE : END_EXIT);
		sweep();
	}
	if (counters)
		fprintf(stderr,
		    "faultproxy: connections %" PRIu64 " dropped %" PRIu64
		    " up_read %" PRIu64 " up_passed %" PRIu64
		    " down_read %" PRIu64 " down_passed %" PRIu64
		    " cuts %" PRIu64 " resets %" PRIu64 " blackholes %" PRIu64
		    " errors %" PRIu64 "\n",
		    P.accepted, P.dropped, P.nread[0], P.passed[0], P.nread[1],
		    P.passed[1], P.cuts, P.resets, P.blackholes, P.errors);
	if (P.lfd >= 0)
		close(P.lfd);
	if (P.log != NULL)
		fclose(P.log);
	free(P.conns);
	free(P.pfds);
}

int
main(int argc, char **argv)
{
	int rc;

	parse_args(argc, argv);
	rc = setup();
	if (rc != 0) {
		teardown(false);
		return rc < 0 ? 1 : rc;
	}
	rc = run();
	teardown(true);
	return rc == 0 ? 0 : 1;
}
