/* uplink_bench.c -- what a bad link costs an upload (the daemon's tus
 * client, daemon/uplink.c, against the hub's server, daemon/hubhttp.c,
 * with faultproxy between them, all on 127.0.0.1).
 *
 * 1. Cuts: a backlog of B MB (default 10) of bundles of 256 KiB goes up
 *    through a link cut every 64 KiB ($CUT_EVERY bytes from the node);
 *    each upload is called again after a cut until the hub answers with
 *    its receipt, as the daemon's rounds do.  Prints the request bytes on
 *    the wire (bodies and headers) per byte of bundles (goal <= 1.05),
 *    with PATCHes sized by what the link carried between its cuts (a
 *    link state kept over the calls, as the daemon keeps one: uplink.h),
 *    against the same backlog with PATCHes of one size (no link state:
 *    the client before it) and over an uncut link (the protocol's own
 *    overhead), all in the same run; and where the bytes went: bodies
 *    sent again (what was in flight at the cuts), headers, requests.
 *    The proxy drops what it holds when it cuts, as a dying link drops
 *    what is in flight: $CHUNK (bytes per PATCH at most, default 65536)
 *    and $LINKBUF (the proxy's buffer, default 65536) say how much that
 *    is.
 * 2. A slow link: one school year of one school (a bundle of S KiB,
 *    default 24: about 1,400 changes at the 17 bytes a change that
 *    bundle_bench measures) over 50 kbit/s with a 1 s round trip
 *    (faultproxy --rate 6250 --latency 500), timed, with a link state and
 *    without; against the time the bytes alone need at that rate, in the
 *    same run.  Goal: well inside a 5-minute window of signal.
 * The hub's done() answers at once (the transport is measured, not the
 * merge: bundle_bench measures that).  Needs faultproxy beside this
 * program or in $CDSYNC_BIN_DIR.
 *
 * Usage: uplink_bench [BACKLOG_MB] [SCHOOL_YEAR_KIB]
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "alloc.h"
#include "hubhttp.h"
#include "uplink.h"

static int
done(void *ctx, const char *id, const char *path, const char *meta,
     struct cds_hubhttp_reply *r)
{
	static const char rcpt[] = "receipt";

	(void)ctx;
	(void)id;
	(void)meta;
	unlink(path);
	if ((r->body = cds_malloc(sizeof rcpt)) == NULL)
		return -1;
	memcpy(r->body, rcpt, sizeof rcpt);
	r->len = sizeof rcpt;
	r->status = 200;
	r->receipt = 1;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts faultproxy to port `to` with extra arguments; its pid, and its
 * port in *port.  Exits on failure. */
static pid_t
proxy(const char *bin, unsigned to, const char *a1, const char *a2,
      const char *a3, const char *a4, unsigned *port)
{
	char target[64], line[64];
	int fd[2];
	pid_t pid;
	FILE *f;

	snprintf(target, sizeof target, "127.0.0.1:%u", to);
	if (pipe(fd) != 0 || (pid = fork()) < 0) {
		perror("uplink_bench: fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execl(bin, "faultproxy", "--listen", "127.0.0.1:0", "--to",
		      target, "--max-seconds", "3600", a1, a2, a3, a4,
		      (char *)NULL);
		perror("uplink_bench: faultproxy");
		_exit(127);
	}
	close(fd[1]);
	if ((f = fdopen(fd[0], "r")) == NULL ||
	    fgets(line, sizeof line, f) == NULL ||
	    sscanf(line, "port %u", port) != 1) {
		fprintf(stderr, "uplink_bench: faultproxy did not start\n");
		exit(1);
	}
	fclose(f);
	return pid;
}

static void
stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

static size_t chunk = 65536;	/* bytes per PATCH at most: $CHUNK */

/* What sending a backlog took. */
struct run {
	uint64_t wire;		/* request bytes: bodies and headers */
	uint64_t body, header;	/* of which */
	unsigned calls, cuts;	/* cuts: calls that ended in a retry */
	unsigned requests;
	double secs;
};

/* Sends `n` bundles of `size` bytes to port, with a link state or none
 * (link NULL).  Exits on a refusal. */
static void
send_all(unsigned port, size_t n, size_t size, struct cds_uplink_link *link,
	 struct run *r)
{
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	char url[64], err[1024];
	uint8_t *data = malloc(size);
	double t0 = now_s();
	size_t i;
	int rc;

	if (data == NULL)
		exit(1);
	memset(r, 0, sizeof *r);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/files/", port);
	memset(&t, 0, sizeof t);
	t.base_url = url;
	t.chunk = chunk;
	t.max_time_ms = 600000;
	t.link = link;
	for (i = 0; i < n; i++) {
		randombytes_buf(data, size);	/* bundles do not compress */
		memset(&st, 0, sizeof st);
		do {
			rc = cds_uplink_send(&t, NULL, data, size, &st, NULL,
					     NULL, &res, err, sizeof err);
			r->body += res.body_bytes;
			r->header += res.header_bytes;
			r->requests += res.requests;
			cds_uplink_result_free(&res);
			r->calls++;
			r->cuts += rc == CDS_UPLINK_RETRY;
		} while (rc == CDS_UPLINK_RETRY && r->calls < 100000);
		if (rc != CDSYNC_OK) {
			fprintf(stderr, "uplink_bench: %s\n", err);
			exit(1);
		}
	}
	r->wire = r->body + r->header;
	r->secs = now_s() - t0;
	free(data);
}

static void
print_run(const char *what, const struct run *r, uint64_t bundles)
{
	uint64_t again = r->body > bundles ? r->body - bundles : 0;

	printf("  %-26s %10llu bytes on the wire, %.4fx the bundles, %u "
	       "calls, %.2f s\n"
	       "  %-26s   bodies sent again %llu (%llu a cut), headers "
	       "%llu in %u requests (%.0f each)\n",
	       what, (unsigned long long)r->wire,
	       (double)r->wire / (double)bundles, r->calls, r->secs, "",
	       (unsigned long long)again,
	       (unsigned long long)(r->cuts ? again / r->cuts : 0),
	       (unsigned long long)r->header, r->requests,
	       r->requests ? (double)r->header / r->requests : 0.0);
}

int
main(int argc, char **argv)
{
	struct cds_hubhttp_config hc;
	struct cds_hubhttp *hub = NULL;
	char dir[] = "/tmp/uplink-bench-XXXXXX", bin[PATH_MAX], err[1024];
	const char *bd = getenv("CDSYNC_BIN_DIR");
	double mb = argc > 1 ? atof(argv[1]) : 10.0;
	double kib = argc > 2 ? atof(argv[2]) : 24.0;
	const char *every = getenv("CUT_EVERY") ? getenv("CUT_EVERY")
						: "65536";
	struct cds_uplink_link link;
	struct run clean, fixed, fitted, slow_fixed, slow;
	size_t bsize = (size_t)256 * 1024, n, year;
	uint64_t bundles;
	unsigned port, pport;
	double raw;
	pid_t pid;
	char *slash;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	if (bd != NULL) {
		snprintf(bin, sizeof bin, "%s/faultproxy", bd);
	} else {
		ssize_t l = readlink("/proc/self/exe", bin, sizeof bin - 32);

		if (l <= 0)
			return 1;
		bin[l] = '\0';
		if ((slash = strrchr(bin, '/')) != NULL)
			snprintf(slash + 1, 16, "faultproxy");
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&hc, 0, sizeof hc);
	hc.address = "127.0.0.1";
	hc.staging_dir = dir;
	hc.done = done;
	hc.max_uploads = 100000;
	if (cds_hubhttp_start(&hc, &hub, err, sizeof err) != CDSYNC_OK) {
		fprintf(stderr, "uplink_bench: %s\n", err);
		return 1;
	}
	port = cds_hubhttp_port(hub);
	n = (size_t)(mb * 1024 * 1024 / (double)bsize);
	if (n == 0)
		n = 1;
	bundles = (uint64_t)n * bsize;
	if (getenv("CHUNK") != NULL)
		chunk = (size_t)strtoul(getenv("CHUNK"), NULL, 10);
	printf("backlog: %zu bundles of %zu KiB (%.1f MB), PATCHes of at most "
	       "%zu bytes\n",
	       n, bsize / 1024, (double)bundles / 1048576.0, chunk);
	memset(&link, 0, sizeof link);
	send_all(port, n, bsize, &link, &clean);
	print_run("uncut link:", &clean, bundles);
	pid = proxy(bin, port, "--cut-every", every, "--buffer",
		    getenv("LINKBUF") ? getenv("LINKBUF") : "65536", &pport);
	send_all(pport, n, bsize, NULL, &fixed);
	stop(pid);
	printf("cut every %s bytes (goal <= 1.05):\n", every);
	print_run("PATCHes of one size:", &fixed, bundles);
	memset(&link, 0, sizeof link);
	pid = proxy(bin, port, "--cut-every", every, "--buffer",
		    getenv("LINKBUF") ? getenv("LINKBUF") : "65536", &pport);
	send_all(pport, n, bsize, &link, &fitted);
	stop(pid);
	print_run("PATCHes fit to the link:", &fitted, bundles);
	printf("  ratio fitted / one size: %.4f; fitted / uncut: %.4f; one "
	       "size / uncut: %.4f\n",
	       (double)fitted.wire / (double)fixed.wire,
	       (double)fitted.wire / (double)clean.wire,
	       (double)fixed.wire / (double)clean.wire);
	year = (size_t)(kib * 1024);
	raw = (double)year / 6250.0;
	pid = proxy(bin, port, "--rate", "6250", "--latency", "500", &pport);
	send_all(pport, 1, year, NULL, &slow_fixed);
	stop(pid);
	memset(&link, 0, sizeof link);
	pid = proxy(bin, port, "--rate", "6250", "--latency", "500", &pport);
	send_all(pport, 1, year, &link, &slow);
	stop(pid);
	printf("school year: %zu KiB over 50 kbit/s, 1 s round trip: %.1f s "
	       "(%u call; %.1f s without a link state: %.2fx), the bytes "
	       "alone %.1f s: %.2fx; a 5-minute window holds %.0f such "
	       "years\n",
	       year / 1024, slow.secs, slow.calls, slow_fixed.secs,
	       slow.secs / slow_fixed.secs, raw, slow.secs / raw,
	       300.0 / slow.secs);
	cds_hubhttp_stop(&hub);
	curl_global_cleanup();
	{
		char cmd[64];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
