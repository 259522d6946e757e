/* faultproxy_test.c -- end to end test of tests/tools/faultproxy.c.
 *
 * Runs the real program ($CDSYNC_BIN_DIR/faultproxy) between this test,
 * as the client, and a small server forked from it (echo, sink or source;
 * it reports how each of its connections ended on a pipe), everything on
 * 127.0.0.1 with ports the kernel picks.  Each fault is checked by its
 * effect as the client or the server sees it: exact byte counts before a
 * cut, ECONNRESET after a reset, delays, throughput, a hung link, dropped
 * connections, the counters the proxy prints at exit, its log, and the
 * messages and exit status of bad arguments.
 *
 * Every child is killed by the teardown of each test, failed or not, and
 * dies with this process (PR_SET_PDEATHSIG); each one also stops by itself
 * (faultproxy --max-seconds 30, the server after 60 s).  Every wait has a
 * timeout, so a broken proxy fails the test instead of hanging it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ==== Children, time, files ==== */

#define MAXKIDS 16

static pid_t kids[MAXKIDS];   /* children still to reap */
static char tmpdir[PATH_MAX]; /* this run's files */
static int nfiles;            /* files made in tmpdir, for names */

static int64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
kid_add(pid_t pid)
{
	for (int i = 0; i < MAXKIDS; i++)
		if (kids[i] == 0) {
			kids[i] = pid;
			return;
		}
	kill(pid, SIGKILL);
	fail_msg("more than %d children", MAXKIDS);
}

static void
kid_forget(pid_t pid)
{
	for (int i = 0; i < MAXKIDS; i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

/* In a forked child: die with the test, never outlive it. */
static void
child_init(void)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
}

/* Waits up to ms for pid; its wait status, or -1 on timeout. */
static int
wait_kid(pid_t pid, int ms)
{
	int64_t end = ms_now() + ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			kid_forget(pid);
			return st;
		}
		if (r < 0 || ms_now() >= end)
			return -1;
		sleep_ms(5);
	}
}

/* Kills and reaps every child left (the teardown of each test). */
static int
kill_kids(void **state)
{
	(void)state;
	for (int i = 0; i < MAXKIDS; i++)
		if (kids[i] != 0) {
			kill(kids[i], SIGKILL);
			(void)waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	return 0;
}

static int
make_tmpdir(void **state)
{
	const char *t = getenv("TMPDIR");
	struct rlimit rl;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/faultproxy.XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* 300 clients at once and their proxy ends: raise the fd limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
remove_tmpdir(void **state)
{
	DIR *dir = opendir(tmpdir);
	struct dirent *e;
	char p[PATH_MAX + 256];

	(void)state;
	(void)kill_kids(NULL);
	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	closedir(dir);
	rmdir(tmpdir);
	return 0;
}

/* A new file name in tmpdir (static buffer, one per call up to 4). */
static const char *
tmpfile_name(const char *what)
{
	static char names[4][PATH_MAX + 64];
	char *p = names[nfiles % 4];

	snprintf(p, sizeof(names[0]), "%s/%s.%d", tmpdir, what, nfiles);
	nfiles++;
	return p;
}

/* Reads a whole (small) file into buf; its length. */
static size_t
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

/* ==== Test servers ==== */

enum srvmode {
	SRV_ECHO,  /* sends back what it reads */
	SRV_SINK,  /* reads and counts */
	SRV_SOURCE /* writes pattern bytes until the peer goes away */
};

struct server {
	pid_t pid;     /* the forked server */
	uint16_t port; /* where it listens */
	int report;    /* read end: one "BYTES HOW\n" per connection */
};

struct sconn {
	int fd;                  /* -1: slot free */
	uint64_t count;          /* bytes read (echo, sink) or written */
	size_t plen, poff;       /* echo: pending bytes in buf */
	unsigned char buf[4096]; /* echo: what waits to go back */
};

#define SRV_CONNS 512

/* The byte at offset i of what a source sends. */
static unsigned char
pat(uint64_t i)
{
	return (unsigned char)(i % 251);
}

static void
srv_report(int wfd, struct sconn *sc, const char *how)
{
	char line[64];
	int n
	    = snprintf(line, sizeof(line), "%" PRIu64 " %s\n", sc->count, how);

	if (n > 0) {
		ssize_t w = write(wfd, line, (size_t)n);

		(void)w; /* the test sees a missing line as a timeout */
	}
	close(sc->fd);
	sc->fd = -1;
}

/* One connection of the server is ready; serves it by mode. */
static void
srv_serve(enum srvmode mode, struct sconn *sc, short rev, int wfd)
{
	unsigned char buf[16384];
	ssize_t r;

	if (mode == SRV_SOURCE) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pat(sc->count + i);
		r = send(sc->fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (r > 0)
			sc->count += (uint64_t)r;
		else if (r < 0 && errno != EAGAIN)
			srv_report(
			    wfd, sc, errno == ECONNRESET ? "reset" : "error");
		return;
	}
	if (mode == SRV_ECHO && sc->plen > sc->poff) {
		if (!(rev & POLLOUT))
			return;
		r = send(sc->fd, sc->buf + sc->poff, sc->plen - sc->poff,
		    MSG_NOSIGNAL);
		if (r > 0)
			sc->poff += (size_t)r;
		else if (r < 0 && errno != EAGAIN)
			srv_report(wfd, sc, "error");
		return;
	}
	r = recv(sc->fd, mode == SRV_ECHO ? sc->buf : buf,
	    mode == SRV_ECHO ? sizeof(sc->buf) : sizeof(buf), 0);
	if (r == 0) {
		srv_report(wfd, sc, "eof");
	} else if (r < 0) {
		if (errno != EAGAIN)
			srv_report(
			    wfd, sc, errno == ECONNRESET ? "reset" : "error");
	} else {
		sc->count += (uint64_t)r;
		sc->plen = mode == SRV_ECHO ? (size_t)r : 0;
		sc->poff = 0;
	}
}

/* What a connection of the server waits for. */
static short
srv_events(enum srvmode mode, const struct sconn *sc)
{
	if (mode == SRV_SOURCE)
		return POLLOUT;
	if (mode == SRV_ECHO && sc->plen > sc->poff)
		return POLLOUT;
	return POLLIN;
}

/* The forked server's loop; never returns. */
static void
srv_run(int lfd, enum srvmode mode, int wfd)
{
	static struct sconn sc[SRV_CONNS];
	static struct pollfd pf[SRV_CONNS + 1];
	int64_t end = ms_now() + 60000;

	for (int i = 0; i < SRV_CONNS; i++)
		sc[i].fd = -1;
	while (ms_now() < end) {
		pf[0].fd = lfd;
		pf[0].events = POLLIN;
		for (int i = 0; i < SRV_CONNS; i++) {
			pf[i + 1].fd = sc[i].fd;
			pf[i + 1].events = srv_events(mode, &sc[i]);
		}
		if (poll(pf, SRV_CONNS + 1, 200) < 0)
			continue;
		for (int i = 0; i < SRV_CONNS; i++)
			if (sc[i].fd >= 0 && pf[i + 1].revents != 0)
				srv_serve(
				    mode, &sc[i], pf[i + 1].revents, wfd);
		if (pf[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
			int i = 0;

			while (i < SRV_CONNS && sc[i].fd >= 0)
				i++;
			if (fd >= 0 && i == SRV_CONNS)
				close(fd);
			else if (fd >= 0) {
				sc[i].fd = fd;
				sc[i].count = 0;
				sc[i].plen = sc[i].poff = 0;
			}
		}
	}
	_exit(0);
}

/* A listening socket on 127.0.0.1 with a free port; its fd and port. */
static int
listen_any(uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1024), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
server_start(struct server *sv, enum srvmode mode)
{
	int p[2];
	int lfd = listen_any(&sv->port);
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_init();
		close(p[0]);
		srv_run(lfd, mode, p[1]);
	}
	kid_add(pid);
	close(lfd);
	close(p[1]);
	sv->pid = pid;
	sv->report = p[0];
}

static void
server_stop(struct server *sv)
{
	kill(sv->pid, SIGKILL);
	(void)wait_kid(sv->pid, 2000);
	close(sv->report);
}

/* Reads one line of the server's report within ms: true and *bytes and
 * how ("eof", "reset", "error") if one came, false on timeout. */
static bool
server_report(struct server *sv, int ms, uint64_t *bytes, char how[16])
{
	char line[64];
	size_t n = 0;
	int64_t end = ms_now() + ms;

	*bytes = UINT64_MAX;
	how[0] = '\0';
	while (n + 1 < sizeof(line)) {
		struct pollfd pf = { sv->report, POLLIN, 0 };
		int64_t left = end - ms_now();

		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			return false;
		if (read(sv->report, line + n, 1) != 1)
			return false;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return sscanf(line, "%" SCNu64 " %15s", bytes, how) == 2;
}

/* ==== The proxy ==== */

struct proxy {
	pid_t pid;                   /* the faultproxy process */
	uint16_t port;               /* where it listens */
	char errpath[PATH_MAX + 64]; /* its stderr */
};

struct pstats {
	uint64_t connections, dropped, up_read, up_passed, down_read,
	    down_passed, cuts, resets, blackholes, errors;
};

static const char *
proxy_path(void)
{
	static char path[PATH_MAX];
	const char *bin = getenv("CDSYNC_BIN_DIR");

	snprintf(path, sizeof(path), "%s/faultproxy",
	    bin != NULL && bin[0] != '\0' ? bin : ".");
	return path;
}

/* Runs faultproxy with args (NULL-terminated, after the program name)
 * to its end, its stderr into errpath; its wait status, -1 if it ran for
 * more than ms (it is then killed by the teardown). */
static int
run_proxy(const char *const *args, const char *errpath, int ms)
{
	const char *argv[32];
	int argc = 0, efd;
	pid_t pid;

	argv[argc++] = proxy_path();
	while (*args != NULL && argc < 31)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(efd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		child_init();
		if (null >= 0)
			dup2(null, 1);
		dup2(efd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	kid_add(pid);
	close(efd);
	return wait_kid(pid, ms);
}

/* Starts faultproxy --listen 127.0.0.1:0 --to 127.0.0.1:to plus the
 * NULL-terminated extra arguments; reads its "port N" line. */
static void
proxy_start(struct proxy *px, uint16_t to, const char *const *extra)
{
	const char *argv[32];
	char tobuf[32], line[64];
	int argc = 0, out[2], efd;
	size_t n = 0;
	unsigned port = 0;
	int64_t end;
	pid_t pid;

	snprintf(tobuf, sizeof(tobuf), "127.0.0.1:%u", (unsigned)to);
	argv[argc++] = proxy_path();
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--to";
	argv[argc++] = tobuf;
	argv[argc++] = "--max-seconds";
	argv[argc++] = "30";
	while (extra != NULL && *extra != NULL && argc < 31)
		argv[argc++] = *extra++;
	argv[argc] = NULL;
	snprintf(
	    px->errpath, sizeof(px->errpath), "%s", tmpfile_name("stderr"));
	efd = open(
	    px->errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(efd >= 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_init();
		dup2(out[1], 1);
		dup2(efd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	kid_add(pid);
	close(efd);
	close(out[1]);
	end = ms_now() + 5000;
	while (n + 1 < sizeof(line)) {
		struct pollfd pf = { out[0], POLLIN, 0 };
		int64_t left = end - ms_now();

		if (left <= 0 || poll(&pf, 1, (int)left) <= 0
		    || read(out[0], line + n, 1) != 1)
			break;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(out[0]);
	if (sscanf(line, "port %u", &port) != 1 || port == 0 || port > 65535)
		fail_msg("faultproxy did not say its port (got '%s')", line);
	px->pid = pid;
	px->port = (uint16_t)port;
}

/* Reads the counters line of a stopped proxy's stderr. */
static void
proxy_stats(const struct proxy *px, struct pstats *st)
{
	char buf[8192];
	const char *l;

	slurp(px->errpath, buf, sizeof(buf));
	l = strstr(buf, "faultproxy: connections ");
	if (l == NULL)
		fail_msg("no counters on faultproxy's stderr: '%s'", buf);
	assert_int_equal(
	    sscanf(l,
	        "faultproxy: connections %" SCNu64 " dropped %" SCNu64
	        " up_read %" SCNu64 " up_passed %" SCNu64 " down_read %" SCNu64
	        " down_passed %" SCNu64 " cuts %" SCNu64 " resets %" SCNu64
	        " blackholes %" SCNu64 " errors %" SCNu64,
	        &st->connections, &st->dropped, &st->up_read, &st->up_passed,
	        &st->down_read, &st->down_passed, &st->cuts, &st->resets,
	        &st->blackholes, &st->errors),
	    10);
}

/* Stops the proxy with sig; checks it exits with 0 in time (a leak
 * found by ASan would make it fail) and reads its counters. */
static void
proxy_stop(struct proxy *px, int sig, struct pstats *st)
{
	int status;

	kill(px->pid, sig);
	status = wait_kid(px->pid, 5000);
	assert_int_not_equal(status, -1);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	proxy_stats(px, st);
}

/* ==== Client helpers ==== */

static int
tcp_connect(uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Writes all of buf; 0, or the errno of the first failure. */
static int
write_all(int fd, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until want bytes came, the peer closed or failed, or ms passed.
 * Returns the bytes read; *err is 0 (EOF or want reached), the errno of
 * the failure, or ETIMEDOUT. */
static size_t
read_until(int fd, unsigned char *buf, size_t want, int ms, int *err)
{
	int64_t end = ms_now() + ms;
	size_t got = 0;

	*err = 0;
	while (got < want) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int64_t left = end - ms_now();
		ssize_t r;

		if (left <= 0 || poll(&pf, 1, (int)left) == 0) {
			*err = ETIMEDOUT;
			break;
		}
		r = recv(fd, buf + got, want - got, 0);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			break;
		}
		got += (size_t)r;
	}
	return got;
}

/* Checks buf holds the source pattern from offset 0. */
static void
assert_pattern(const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pat(i))
			fail_msg("byte %zu is %u, not %u", i, buf[i], pat(i));
}

/* The log line of a connection that ended how: its up and down counts. */
static void
log_find(const char *path, const char *how, uint64_t *up, uint64_t *down)
{
	char buf[8192], end[32];

	*up = *down = UINT64_MAX;
	snprintf(end, sizeof(end), " end %s\n", how);
	slurp(path, buf, sizeof(buf));
	for (const char *l = buf; *l != '\0';) {
		const char *nl = strchr(l, '\n');
		const char *hit = strstr(l, end);
		uint64_t id;

		if (nl == NULL)
			break;
		if (hit != NULL && hit < nl
		    && sscanf(l,
		           "conn %" SCNu64 " up %" SCNu64 " down %" SCNu64,
		           &id, up, down)
		        == 3)
			return;
		l = nl + 1;
	}
	fail_msg("no connection ended '%s' in the log: %s", how, buf);
}

/* ==== Tests ==== */

struct badcase {
	const char *args[10]; /* after the program name, NULL-terminated */
	const char *says;     /* must be in the message */
};

static void
test_bad_arguments_are_refused_with_status_2(void **state)
{
	static const struct badcase cases[] = {
		{ { "--listen", "10.1.2.3:0", "--to", "127.0.0.1:9", NULL },
		    "--listen: 10.1.2.3 is not a loopback address" },
		{ { "--listen", "127.0.0.1:0", "--to", "192.168.1.1:80",
		      NULL },
		    "--to: 192.168.1.1 is not a loopback address" },
		{ { "--listen", "127.0.0.1:0", "--to", "localhost:80", NULL },
		    "--to: 'localhost' is not a numeric IPv4 address" },
		{ { "--listen", "127.0.0.1:0", "--to", "127.0.0.1:0", NULL },
		    "--to: 0 is out of range" },
		{ { "--listen", "127.0.0.1:70000", "--to", "127.0.0.1:9",
		      NULL },
		    "--listen: 70000 is out of range" },
		{ { "--listen", "127.0.0.1", "--to", "127.0.0.1:9", NULL },
		    "--listen: '127.0.0.1' is not HOST:PORT" },
		{ { "--listen", "127.0.0.1:0", NULL }, "--to: is required" },
		{ { "--to", "127.0.0.1:9", NULL }, "--listen: is required" },
		{ { "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9",
		      "--cut-after", "abc", NULL },
		    "--cut-after: 'abc' is not a whole number" },
		{ { "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9",
		      "--reset-after", "sideways:5", NULL },
		    "--reset-after: 'sideways:5' is not a whole number" },
		{ { "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9",
		      "--latency", "-5", NULL },
		    "--latency: '-5' is not a whole number" },
		{ { "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--rate",
		      "0", NULL },
		    "--rate: 0 is out of range" },
		{ { "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9",
		      "--blackhole-after", NULL },
		    "--blackhole-after: needs a value" },
		{ { "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9",
		      "--cut-every", "1", "--cut-every", "2", NULL },
		    "--cut-every: given twice" },
		{ { "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9",
		      "--bogus", "1", NULL },
		    "--bogus: unknown option" },
		{ { "--listen", "127.0.0.1:4999", "--to", "127.0.0.1:4999",
		      NULL },
		    "--to: 127.0.0.1:4999 is the --listen address" },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const char *errpath = tmpfile_name("bad");
		char msg[4096];
		int status = run_proxy(cases[k].args, errpath, 5000);

		slurp(errpath, msg, sizeof(msg));
		if (status == -1 || !WIFEXITED(status)
		    || WEXITSTATUS(status) != 2)
			fail_msg("case %zu: status %d, not exit 2: %s", k,
			    status, msg);
		if (strstr(msg, cases[k].says) == NULL)
			fail_msg("case %zu: '%s' not in: %s", k, cases[k].says,
			    msg);
	}
}

static void
test_many_connections_pass_unharmed(void **state)
{
	enum { N = 300, BIG = 1 << 20 };
	static int fds[N];
	static unsigned char big[BIG], back[BIG];
	struct server sv;
	struct proxy px;
	struct pstats st;
	uint64_t sum = 0;
	size_t sent = 0, got = 0;
	int fd;

	(void)state;
	server_start(&sv, SRV_ECHO);
	proxy_start(&px, sv.port, NULL);
	for (int i = 0; i < N; i++)
		fds[i] = tcp_connect(px.port);
	for (int i = 0; i < N; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "client %d\n", i);

		assert_int_equal(
		    write_all(fds[i], (const unsigned char *)msg, (size_t)n),
		    0);
		sum += (uint64_t)n;
	}
	for (int i = 0; i < N; i++) {
		char msg[32];
		unsigned char in[32];
		int n = snprintf(msg, sizeof(msg), "client %d\n", i), err;

		assert_int_equal(
		    read_until(fds[i], in, (size_t)n, 5000, &err), n);
		assert_memory_equal(in, msg, n);
		close(fds[i]);
	}

	/* 1 MiB both ways at once through one connection, byte for byte. */
	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)((i * 7) ^ (i >> 9));
	fd = tcp_connect(px.port);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	for (int64_t end = ms_now() + 10000; got < BIG;) {
		struct pollfd pf
		    = { fd, POLLIN | (sent < BIG ? POLLOUT : 0), 0 };
		ssize_t r;

		assert_true(ms_now() < end);
		assert_true(poll(&pf, 1, 1000) >= 0);
		if ((pf.revents & POLLOUT) && sent < BIG) {
			r = send(fd, big + sent, BIG - sent, MSG_NOSIGNAL);
			if (r > 0)
				sent += (size_t)r;
		}
		if (pf.revents & POLLIN) {
			r = recv(fd, back + got, BIG - got, 0);
			assert_true(r > 0 || (r < 0 && errno == EAGAIN));
			if (r > 0)
				got += (size_t)r;
		}
	}
	assert_memory_equal(back, big, BIG);
	close(fd);
	sum += BIG;
	sleep_ms(100);

	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.connections, N + 1);
	assert_int_equal(st.up_passed, sum);
	assert_int_equal(st.down_passed, sum);
	assert_int_equal(st.cuts + st.resets + st.errors + st.dropped, 0);
	server_stop(&sv);
}

static void
test_full_queues_stop_reading(void **state)
{
	struct server sv;
	struct proxy px;
	struct pstats st;
	static const char *const args[] = { "--buffer", "65536", NULL };
	unsigned char b;
	int fd, err;

	(void)state;
	server_start(&sv, SRV_SOURCE);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	assert_int_equal(read_until(fd, &b, 1, 3000, &err), 1);
	sleep_ms(500); /* not reading: the source must be held back */
	proxy_stop(&px, SIGTERM, &st);
	close(fd);
	/* Megabytes reached the client's socket, but what the proxy held at
	 * the stop (read, not passed) is within its queue. */
	assert_true(st.down_passed > 65536);
	assert_true(st.down_read - st.down_passed <= 65536);
	server_stop(&sv);
}

static void
test_cut_after_passes_exactly_n_bytes(void **state)
{
	static unsigned char buf[1 << 20];
	char logarg[PATH_MAX + 64], how[16];
	const char *args[] = { "--cut-after", "10000", "--log", logarg, NULL };
	struct server sv;
	struct proxy px;
	struct pstats st;
	uint64_t up, down, bytes;
	int fd, err;

	(void)state;
	/* Both directions counted, a server that talks: 10000 bytes, FIN. */
	snprintf(logarg, sizeof(logarg), "%s", tmpfile_name("log"));
	server_start(&sv, SRV_SOURCE);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	assert_int_equal(read_until(fd, buf, sizeof(buf), 5000, &err), 10000);
	assert_int_equal(err, 0);
	assert_pattern(buf, 10000);
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.cuts, 1);
	assert_int_equal(st.down_passed, 10000);
	log_find(logarg, "cut", &up, &down);
	assert_int_equal(up, 0);
	assert_int_equal(down, 10000);
	server_stop(&sv);

	/* Both directions with an echo: up + down is 3000, and the client
	 * got what passed down. */
	args[1] = "3000";
	snprintf(logarg, sizeof(logarg), "%s", tmpfile_name("log"));
	server_start(&sv, SRV_ECHO);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	memset(buf, 'e', 2000);
	assert_int_equal(write_all(fd, buf, 2000), 0);
	bytes = read_until(fd, buf, sizeof(buf), 5000, &err);
	assert_true(err == 0 || err == ECONNRESET);
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	log_find(logarg, "cut", &up, &down);
	assert_int_equal(up + down, 3000);
	assert_int_equal(down, bytes);
	server_stop(&sv);

	/* up:N counts what the client sends: the server gets 5000, then
	 * a FIN. */
	args[1] = "up:5000";
	server_start(&sv, SRV_SINK);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	memset(buf, 'u', 50000);
	(void)write_all(fd, buf, 50000);
	assert_true(server_report(&sv, 5000, &bytes, how));
	assert_int_equal(bytes, 5000);
	assert_string_equal(how, "eof");
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.cuts, 1);
	assert_int_equal(st.up_passed, 5000);
	assert_true(st.up_read >= 5000);
	server_stop(&sv);
}

static void
test_reset_after_is_seen_as_econnreset(void **state)
{
	static unsigned char buf[1 << 20];
	const char *args[] = { "--reset-after", "8000", NULL };
	struct server sv;
	struct proxy px;
	struct pstats st;
	uint64_t bytes;
	char how[16];
	size_t n;
	int fd, err;

	(void)state;
	server_start(&sv, SRV_SOURCE);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	n = read_until(fd, buf, sizeof(buf), 5000, &err);
	assert_int_equal(err, ECONNRESET);
	assert_true(n <= 8000);
	assert_pattern(buf, n);
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.resets, 1);
	assert_int_equal(st.down_passed, 8000);
	server_stop(&sv);

	/* up:N: the server reads at most N, then ECONNRESET; so does the
	 * client, on a write or on its next read. */
	args[1] = "up:4000";
	server_start(&sv, SRV_SINK);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	memset(buf, 'r', 40000);
	err = write_all(fd, buf, 40000);
	assert_true(server_report(&sv, 5000, &bytes, how));
	assert_true(bytes <= 4000);
	assert_string_equal(how, "reset");
	if (err == 0)
		(void)read_until(fd, buf, sizeof(buf), 3000, &err);
	assert_int_equal(err, ECONNRESET);
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.resets, 1);
	assert_int_equal(st.up_passed, 4000);
	server_stop(&sv);
}

static void
test_latency_delays_each_chunk_in_order(void **state)
{
	static const char *const args[] = { "--latency", "200", NULL };
	struct server sv;
	struct proxy px;
	struct pstats st;
	unsigned char in[4];
	int64_t t0, t;
	int a, b, err;

	(void)state;
	server_start(&sv, SRV_ECHO);
	proxy_start(&px, sv.port, args);
	a = tcp_connect(px.port);
	b = tcp_connect(px.port);

	/* Two connections at once: both round trips take 2 x 200 ms, not
	 * one after the other (a timer queue, not a sleep). */
	t0 = ms_now();
	assert_int_equal(write_all(a, (const unsigned char *)"a", 1), 0);
	assert_int_equal(write_all(b, (const unsigned char *)"b", 1), 0);
	assert_int_equal(read_until(a, in, 1, 3000, &err), 1);
	assert_int_equal(in[0], 'a');
	assert_int_equal(read_until(b, in + 1, 1, 3000, &err), 1);
	assert_int_equal(in[1], 'b');
	t = ms_now() - t0;
	assert_true(t >= 400);
	assert_true(t < 750);

	/* Order kept, each chunk delayed from when it was sent. */
	t0 = ms_now();
	assert_int_equal(write_all(a, (const unsigned char *)"x", 1), 0);
	sleep_ms(100);
	assert_int_equal(write_all(a, (const unsigned char *)"y", 1), 0);
	assert_int_equal(read_until(a, in, 1, 3000, &err), 1);
	assert_int_equal(in[0], 'x');
	assert_true(ms_now() - t0 >= 400);
	assert_int_equal(read_until(a, in, 1, 3000, &err), 1);
	assert_int_equal(in[0], 'y');
	assert_true(ms_now() - t0 >= 500);
	close(a);
	close(b);
	proxy_stop(&px, SIGTERM, &st);
	server_stop(&sv);
}

static void
test_rate_caps_throughput(void **state)
{
	static unsigned char buf[8192];
	static const char *const args[] = { "--rate", "6250", NULL };
	struct server sv;
	struct proxy px;
	struct pstats st;
	uint64_t bytes;
	char how[16];
	int64_t t0, t;
	int fd, err;

	(void)state;
	/* Down: 6250 bytes at 6250 B/s take about 1 s. */
	server_start(&sv, SRV_SOURCE);
	proxy_start(&px, sv.port, args);
	t0 = ms_now();
	fd = tcp_connect(px.port);
	assert_int_equal(read_until(fd, buf, 6250, 5000, &err), 6250);
	t = ms_now() - t0;
	print_message("rate down: 6250 bytes in %" PRId64 " ms\n", t);
	assert_true(t >= 700 && t <= 1300);
	assert_pattern(buf, 6250);
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	server_stop(&sv);

	/* Up: the same cap the other way. */
	server_start(&sv, SRV_SINK);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	memset(buf, 'w', 6250);
	t0 = ms_now();
	assert_int_equal(write_all(fd, buf, 6250), 0);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_true(server_report(&sv, 5000, &bytes, how));
	t = ms_now() - t0;
	print_message("rate up: 6250 bytes in %" PRId64 " ms\n", t);
	assert_int_equal(bytes, 6250);
	assert_string_equal(how, "eof");
	assert_true(t >= 700 && t <= 1300);
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	server_stop(&sv);
}

static void
test_blackhole_hangs_the_link_open(void **state)
{
	static unsigned char buf[65536];
	char logarg[PATH_MAX + 64], how[16];
	const char *args[]
	    = { "--blackhole-after", "5000", "--log", logarg, NULL };
	struct server sv;
	struct proxy px;
	struct pstats st;
	struct pollfd pf;
	uint64_t up, down, bytes;
	int fd, err;

	(void)state;
	snprintf(logarg, sizeof(logarg), "%s", tmpfile_name("log"));
	server_start(&sv, SRV_SOURCE);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	assert_int_equal(read_until(fd, buf, 5000, 3000, &err), 5000);
	assert_pattern(buf, 5000);
	/* Nothing more comes, and no close either: the read times out. */
	assert_int_equal(read_until(fd, buf, 1, 700, &err), 0);
	assert_int_equal(err, ETIMEDOUT);
	pf.fd = fd;
	pf.events = POLLIN | POLLRDHUP;
	pf.revents = 0;
	assert_int_equal(poll(&pf, 1, 0), 0);
	assert_int_equal(write_all(fd, buf, 1000), 0);
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.blackholes, 1);
	assert_int_equal(st.down_passed, 5000);
	log_find(logarg, "blackhole", &up, &down);
	assert_int_equal(down, 5000);
	server_stop(&sv);

	/* up:N, from the server's side: exactly N bytes, then silence; the
	 * client's close does not reach it either, only the proxy's stop. */
	args[1] = "up:1000";
	server_start(&sv, SRV_SINK);
	proxy_start(&px, sv.port, args);
	fd = tcp_connect(px.port);
	memset(buf, 'b', 3000);
	assert_int_equal(write_all(fd, buf, 3000), 0);
	assert_false(server_report(&sv, 500, &bytes, how));
	close(fd);
	assert_false(server_report(&sv, 300, &bytes, how));
	proxy_stop(&px, SIGTERM, &st);
	assert_true(server_report(&sv, 3000, &bytes, how));
	assert_int_equal(bytes, 1000);
	assert_string_equal(how, "eof");
	assert_int_equal(st.up_passed, 1000);
	assert_int_equal(st.up_read, 3000);
	server_stop(&sv);
}

static void
test_first_connections_are_dropped(void **state)
{
	static const char *const args[] = { "--drop-connections", "2", NULL };
	struct server sv;
	struct proxy px;
	struct pstats st;
	unsigned char in[8];
	int fd, err;

	(void)state;
	server_start(&sv, SRV_ECHO);
	proxy_start(&px, sv.port, args);
	for (int i = 0; i < 2; i++) {
		fd = tcp_connect(px.port);
		assert_int_equal(read_until(fd, in, 1, 2000, &err), 0);
		assert_true(err == 0 || err == ECONNRESET);
		close(fd);
	}
	fd = tcp_connect(px.port);
	assert_int_equal(write_all(fd, (const unsigned char *)"ping", 4), 0);
	assert_int_equal(read_until(fd, in, 4, 2000, &err), 4);
	assert_memory_equal(in, "ping", 4);
	close(fd);
	proxy_stop(&px, SIGINT, &st); /* SIGINT stops it as SIGTERM does */
	assert_int_equal(st.connections, 3);
	assert_int_equal(st.dropped, 2);
	server_stop(&sv);
}

static void
test_unreachable_server_is_an_error(void **state)
{
	struct proxy px;
	struct pstats st;
	unsigned char in[8];
	uint16_t port;
	int fd, err;

	(void)state;
	close(listen_any(&port)); /* a port where nothing listens now */
	proxy_start(&px, port, NULL);
	fd = tcp_connect(px.port);
	assert_int_equal(read_until(fd, in, 1, 2000, &err), 0);
	assert_true(err == 0 || err == ECONNRESET);
	close(fd);
	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.errors, 1);
}

/* Uploads total bytes through port, resuming after each cut from what the
 * server says it got; the bytes each connection got go to got[]. */
static int
upload_resumed(
    struct server *sv, uint16_t port, size_t total, uint64_t *got, int maxconn)
{
	static unsigned char data[1 << 20];
	size_t off = 0;
	int nconn = 0;

	assert_true(total <= sizeof(data));
	memset(data, 'c', total);
	while (off < total) {
		int fd = tcp_connect(port);
		char how[16];

		assert_true(nconn < maxconn);
		(void)write_all(fd, data + off, total - off);
		(void)shutdown(fd, SHUT_WR);
		assert_true(server_report(sv, 5000, &got[nconn], how));
		assert_string_equal(how, "eof");
		off += got[nconn];
		nconn++;
		close(fd);
	}
	assert_int_equal(off, total);
	return nconn;
}

static void
test_cut_every_counts_over_the_lifetime(void **state)
{
	static unsigned char buf[20000];
	static const char *const args64k[] = { "--cut-every", "65536", NULL };
	static const char *const args10k[] = { "--cut-every", "10000", NULL };
	struct server sv;
	struct proxy px;
	struct pstats st;
	const size_t upload = (size_t)300 * 1024;
	uint64_t got[20] = { 0 }, bytes;
	char how[16];
	int n, fd;

	(void)state;
	/* 300 KB cut every 64 KiB: 4 cuts, 5 connections. */
	server_start(&sv, SRV_SINK);
	proxy_start(&px, sv.port, args64k);
	n = upload_resumed(&sv, px.port, upload, got, 20);
	assert_int_equal(n, 5);
	for (int i = 0; i < 4; i++)
		assert_int_equal(got[i], 65536);
	assert_int_equal(got[4], upload - (size_t)4 * 65536);
	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.cuts, 4);
	assert_int_equal(st.connections, 5);
	assert_int_equal(st.up_passed, upload);
	assert_true(st.up_read >= upload);
	server_stop(&sv);

	/* The count goes on across connections: 6000 pass whole, the next
	 * connection is cut at 10000 in all, the one after at 20000. */
	server_start(&sv, SRV_SINK);
	proxy_start(&px, sv.port, args10k);
	memset(buf, 'l', sizeof(buf));
	for (int i = 0; i < 3; i++) {
		static const size_t send[3] = { 6000, 20000, 20000 };
		static const uint64_t want[3] = { 6000, 4000, 10000 };

		fd = tcp_connect(px.port);
		(void)write_all(fd, buf, send[i]);
		(void)shutdown(fd, SHUT_WR);
		assert_true(server_report(&sv, 5000, &bytes, how));
		assert_int_equal(bytes, want[i]);
		close(fd);
	}
	proxy_stop(&px, SIGTERM, &st);
	assert_int_equal(st.cuts, 2);
	assert_int_equal(st.up_passed, 20000);
	server_stop(&sv);
}

static void
test_max_seconds_stops_the_proxy(void **state)
{
	static const char *const args[] = { "--listen", "127.0.0.1:0", "--to",
		"127.0.0.1:9", "--max-seconds", "1", NULL };
	const char *errpath = tmpfile_name("maxsec");
	struct proxy px;
	struct pstats st;
	int64_t t0 = ms_now(), t;
	int status;

	(void)state;
	status = run_proxy(args, errpath, 4000);
	t = ms_now() - t0;
	assert_int_not_equal(status, -1);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(t >= 900);
	snprintf(px.errpath, sizeof(px.errpath), "%s", errpath);
	proxy_stats(&px, &st);
	assert_int_equal(st.connections, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
		    test_bad_arguments_are_refused_with_status_2, kill_kids),
		cmocka_unit_test_teardown(
		    test_many_connections_pass_unharmed, kill_kids),
		cmocka_unit_test_teardown(
		    test_full_queues_stop_reading, kill_kids),
		cmocka_unit_test_teardown(
		    test_cut_after_passes_exactly_n_bytes, kill_kids),
		cmocka_unit_test_teardown(
		    test_reset_after_is_seen_as_econnreset, kill_kids),
		cmocka_unit_test_teardown(
		    test_latency_delays_each_chunk_in_order, kill_kids),
		cmocka_unit_test_teardown(
		    test_rate_caps_throughput, kill_kids),
		cmocka_unit_test_teardown(
		    test_blackhole_hangs_the_link_open, kill_kids),
		cmocka_unit_test_teardown(
		    test_first_connections_are_dropped, kill_kids),
		cmocka_unit_test_teardown(
		    test_unreachable_server_is_an_error, kill_kids),
		cmocka_unit_test_teardown(
		    test_cut_every_counts_over_the_lifetime, kill_kids),
		cmocka_unit_test_teardown(
		    test_max_seconds_stops_the_proxy, kill_kids),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
