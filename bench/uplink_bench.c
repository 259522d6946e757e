/* uplink_bench.c -- what a bad link costs an upload (the daemon's tus
 * client, daemon/uplink.c, against the hub's server, daemon/hubhttp.c,
 * with faultproxy between them, all on 127.0.0.1).
 *
 * 1. Cuts: a backlog of B MB (default 10) of bundles of 256 KiB goes up
 *    through a link cut every 64 KiB; each upload is called again after a
 *    cut until the hub answers with its receipt, as the daemon's rounds
 *    do.  Prints the request bytes on the wire (bodies and headers) per
 *    byte of bundles (goal <= 1.05), against the same backlog over an
 *    uncut link in the same run (the protocol's own overhead).  The
 *    proxy drops what it holds when it cuts, as a dying link drops what
 *    is in flight: $CHUNK (bytes per PATCH, default 65536) and $LINKBUF
 *    (the proxy's buffer, default 65536) say how much that is.
 * 2. A slow link: one school year of one school (a bundle of S KiB,
 *    default 24: about 1,400 changes at the 17 bytes a change that
 *    bundle_bench measures) over 50 kbit/s with a 1 s round trip
 *    (faultproxy --rate 6250 --latency 500), timed; against the time the
 *    bytes alone need at that rate, in the same run.  Goal: well inside a
 *    5-minute window of signal.
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

/* Sends `n` bundles of `size` bytes to port; returns the wire bytes and
 * the calls made in *calls.  Exits on a refusal. */
static size_t chunk = 65536;	/* bytes per PATCH: $CHUNK */

static uint64_t
send_all(unsigned port, size_t n, size_t size, unsigned *calls,
	 double *secs)
{
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	char url[64], err[1024];
	uint8_t *data = malloc(size);
	uint64_t wire = 0;
	double t0 = now_s();
	size_t i;
	int rc;

	if (data == NULL)
		exit(1);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/files/", port);
	memset(&t, 0, sizeof t);
	t.base_url = url;
	t.chunk = chunk;
	t.max_time_ms = 600000;
	*calls = 0;
	for (i = 0; i < n; i++) {
		randombytes_buf(data, size);	/* bundles do not compress */
		memset(&st, 0, sizeof st);
		do {
			rc = cds_uplink_send(&t, NULL, data, size, &st, NULL,
					     NULL, &res, err, sizeof err);
			wire += res.body_bytes + res.header_bytes;
			cds_uplink_result_free(&res);
			(*calls)++;
		} while (rc == CDS_UPLINK_RETRY && *calls < 100000);
		if (rc != CDSYNC_OK) {
			fprintf(stderr, "uplink_bench: %s\n", err);
			exit(1);
		}
	}
	*secs = now_s() - t0;
	free(data);
	return wire;
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
	size_t bsize = (size_t)256 * 1024, n, year;
	uint64_t clean, cut;
	unsigned port, pport, calls_clean, calls_cut, calls_slow;
	double secs, raw;
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
	printf("backlog: %zu bundles of %zu KiB (%.1f MB)\n", n, bsize / 1024,
	       (double)(n * bsize) / 1048576.0);
	clean = send_all(port, n, bsize, &calls_clean, &secs);
	printf("  uncut link:            %12llu bytes on the wire, %.4fx the "
	       "bundles, %u calls, %.2f s\n",
	       (unsigned long long)clean, (double)clean / (double)(n * bsize),
	       calls_clean, secs);
	if (getenv("CHUNK") != NULL)
		chunk = (size_t)strtoul(getenv("CHUNK"), NULL, 10);
	pid = proxy(bin, port, "--cut-every", "65536", "--buffer",
		    getenv("LINKBUF") ? getenv("LINKBUF") : "65536", &pport);
	cut = send_all(pport, n, bsize, &calls_cut, &secs);
	stop(pid);
	printf("  cut every 64 KiB:      %12llu bytes on the wire, %.4fx the "
	       "bundles (goal <= 1.05), %u calls, %.2f s\n",
	       (unsigned long long)cut, (double)cut / (double)(n * bsize),
	       calls_cut, secs);
	printf("  ratio cut / uncut:     %.4f\n", (double)cut / (double)clean);
	year = (size_t)(kib * 1024);
	pid = proxy(bin, port, "--rate", "6250", "--latency", "500", &pport);
	(void)send_all(pport, 1, year, &calls_slow, &secs);
	stop(pid);
	raw = (double)year / 6250.0;
	printf("school year: %zu KiB over 50 kbit/s, 1 s round trip: %.1f s "
	       "(%u call), the bytes alone %.1f s: %.2fx; a 5-minute window "
	       "holds %.0f such years\n",
	       year / 1024, secs, calls_slow, raw, secs / raw, 300.0 / secs);
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
