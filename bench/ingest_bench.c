/* ingest_bench.c -- how fast a hub takes bundles in over HTTP when many
 * schools upload at once, against the same bundles imported offline, one
 * after another, in the same run.
 *
 * Setup (not timed): a hub store (role hub) and U school stores (default
 * 100), all made without a passphrase (keys kept in the clear: no Argon2
 * in any figure), which know each other through cdsync_keys_export and
 * cdsync_peer_add alone (the hub is each school's upstream; each school a
 * sender known at the hub; no catalog).  Each school's first bundle is
 * its org unit (from node init); the hub takes every one of those in with
 * cdsync_import_file, which checks that keys, signatures and encryption
 * work before anything is timed.  Then each school records B bundles
 * (default 1) of C new activities (default 1,000, bundle_bench's rows),
 * one cdsync_begin/commit and cdsync_seal each; their bytes come from
 * cdsync_outbox_at and cdsync_bundle_bytes.  The hub store is
 * checkpointed (WAL) and copied twice: all phases start from the same
 * file.
 *
 *   offline  a copy takes every bundle in with cdsync_import_file, one
 *            after another (school by school, each chain in order), from
 *            files written before the clock starts;
 *   HTTP     the original store served by cdsd_hub_start (the daemon's
 *            hub role: tus over libmicrohttpd on 127.0.0.1, done() imports
 *            each completed upload and answers with cdsync_receipt_make);
 *            U threads, one a school, each sending its bundles in order
 *            with cds_uplink_send (64 KiB PATCHes), all released together
 *            by a barrier.  Timed from the first thread's start to the
 *            last receipt.  Every upload must end with a receipt
 *            (Cdsync-Receipt: 1); any other end aborts the run.
 *   offline again, after HTTP, on the other copy: the same baseline at
 *            the end of the run.  On a shared machine the speed of the
 *            same import drifts by 10% and more within one run; the
 *            baseline taken before and after HTTP shows by how much.
 *
 * Prints bundles, changes and bytes; changes/s of each phase and the ratio
 * HTTP/offline (offline before HTTP, goal >= 0.95), and the ratio to the
 * mean of the two offline rates; p50/p99 time per bundle (offline: one
 * import; HTTP: one cds_uplink_send, creation to receipt, queueing at the
 * hub included); CPU seconds of each phase (for HTTP, split into the
 * hub's threads, read from /proc, and the uploaders'), since on a shared
 * machine wall time mixes the hub's work with its waits.  Then checks
 * that the hub holds exactly U*B*C activities, each baseline's value for
 * value, and that every school's chain is complete with nothing held:
 * every change taken in exactly once.
 *
 * The hub's staging keeps a finished upload (its receipt) until it
 * expires, and hubhttp holds at most 1,000 uploads: U*B is at most 1,000.
 *
 * Usage: ingest_bench [--schools U] [--bundles B] [--changes C]
 * (stores and bundles go to a temporary folder under $TMPDIR or /tmp,
 * removed at the end).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include <curl/curl.h>

#include "cdsync/cdsync.h"
#include "config.h"
#include "hub.h"
#include "log.h"
#include "uplink.h"

#define MAX_UPLOADS 1000	/* hubhttp's default max_uploads */

static const char *const kinds[] = { "propaganda", "training", "care",
				     "culture", "health", "emulation",
				     "dialogue", "inspection",
				     "remote_support", "welfare" };
static const char *const titles[] = {
	"Tuyên truyền Luật Công đoàn 2024", "Tập huấn kỹ năng chuyển đổi số",
	"Thăm hỏi đoàn viên ốm đau", "Hội thao chào mừng 20/11",
	"Khám sức khỏe định kỳ", "Phát động thi đua dạy tốt học tốt",
	"Đối thoại với Ban giám hiệu", "Tự kiểm tra tài chính công đoàn",
	"Quyên góp ủng hộ điểm trường vùng cao", "Chương trình ưu đãi mua sắm",
};

struct row {
	char date[16];
	const char *title, *kind;
	char cost[16];
	char people[8];
	int innovative;
};

/* One bundle of one school. */
struct bundle {
	uint8_t *bytes;		/* cdsync_free'd */
	size_t len;
	char path[1100];	/* its file, for the offline phase */
	uint64_t lat;		/* ns of its HTTP upload */
};

/* One uploader: a school's bundles, sent in order. */
struct worker {
	pthread_t tid;
	pthread_barrier_t *go;
	const char *url;
	struct bundle *b;	/* nb of them */
	uint32_t nb;
	uint64_t start, end;	/* ns */
	unsigned receipts, requests;
	uint64_t wire;		/* request bytes on the wire */
	int failed;
	char err[1024];
};

static uint64_t
ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Deterministic rows (capture_bench's and bundle_bench's). */
static void
mkrow(uint32_t i, struct row *r)
{
	uint32_t x = i * 2654435761u;
	int day = (int)(x % 365), m, d;
	static const int mdays[] = { 30, 31, 30, 31, 31, 28, 31, 30, 31, 30,
				     31, 31 };	/* Sep 2025 .. Aug 2026 */

	for (m = 0; day >= mdays[m]; m++)
		day -= mdays[m];
	d = day + 1;
	snprintf(r->date, sizeof r->date, "%04d-%02d-%02d",
		 m < 4 ? 2025 : 2026, (m + 8) % 12 + 1, d % 32);
	r->kind = kinds[x % 10];
	r->title = titles[(x >> 8) % 10];
	snprintf(r->cost, sizeof r->cost, "%u", (x >> 4) % 50 * 100000);
	snprintf(r->people, sizeof r->people, "%u", (x >> 12) % 60);
	r->innovative = (x >> 20) % 7 == 0;
}

/* CPU time of the whole process (all threads), in s. */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time (user + system, s) of this process's threads other than the
 * main one, from /proc: after the uploaders are joined, the hub's (its
 * HTTP thread, the worker that takes the bundles in, and its watchdog).
 * -1 if /proc cannot be read. */
static double
other_threads_cpu_s(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[300], buf[1024], *p;
	unsigned long long ut, st, ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	if (d == NULL || hz <= 0)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' ||
		    strtol(e->d_name, NULL, 10) == (long)getpid())
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/stat",
			 e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* after "(comm)": state and 10 more fields, then utime
		 * and stime */
		if ((p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			   "%*u %llu %llu", &ut, &st) == 2)
			ticks += ut + st;
	}
	closedir(d);
	return (double)ticks / (double)hz;
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void fail(cdsync *db, const char *what) __attribute__((noreturn));
static void sqlfail(sqlite3 *db, const char *what)
	__attribute__((noreturn));

static void
fail(cdsync *db, const char *what)
{
	if (db)
		fprintf(stderr, "ingest_bench: %s: %s\n", what,
			cdsync_errmsg(db));
	else
		fprintf(stderr, "ingest_bench: %s\n", what);
	exit(1);
}

static void
sqlfail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "ingest_bench: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

/* The offline phase: the store at path takes the nb bundles in, one after
 * another; their times in lat[], the sum in *secs, the process's CPU in
 * *cpu.  Returns the changes taken in. */
static uint64_t
offline(const char *path, const struct bundle *bs, size_t nb, uint64_t *lat,
	double *secs, double *cpu)
{
	cdsync *db = NULL;
	uint64_t changes = 0, t0;
	size_t n, c;

	if (cdsync_open(path, 0, &db) != CDSYNC_OK)
		fail(db, path);
	*secs = 0;
	*cpu = cpu_s();
	for (n = 0; n < nb; n++) {
		c = 0;
		t0 = ns();
		if (cdsync_import_file(db, bs[n].path, &c) != CDSYNC_OK)
			fail(db, "import");
		lat[n] = ns() - t0;
		*secs += (double)lat[n] / 1e9;
		changes += c;
	}
	*cpu = cpu_s() - *cpu;
	cdsync_close(db);
	return changes;
}

static cdsync *
newstore(const char *path, cdsync_role role, const char *code,
	 const char *org_name)
{
	cdsync *db = NULL;

	if (cdsync_open(path, CDSYNC_OPEN_CREATE, &db) != CDSYNC_OK)
		fail(db, path);
	if (cdsync_node_init(db, role, code, org_name, NULL) != CDSYNC_OK)
		fail(db, "node init");
	if (cdsync_keys_sealed(db) != 0)
		fail(NULL, "keys sealed under a passphrase: the run would "
		     "measure Argon2");
	return db;
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "ingest_bench: cannot write %s\n", path);
		exit(1);
	}
}

static void
copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;

	if (in == NULL || out == NULL) {
		fprintf(stderr, "ingest_bench: cannot copy %s to %s\n", from,
			to);
		exit(1);
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			fail(NULL, "copy: short write");
	if (ferror(in) || fclose(out) != 0)
		fail(NULL, "copy failed");
	fclose(in);
}

/* Moves everything in the WAL into the store file and empties it. */
static void
checkpoint(const char *path)
{
	sqlite3 *db;
	char side[1100];
	struct stat sb;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != 0 ||
	    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
			 NULL) != SQLITE_OK)
		sqlfail(db, "checkpoint");
	sqlite3_close(db);
	snprintf(side, sizeof side, "%s-wal", path);
	if (stat(side, &sb) == 0 && sb.st_size != 0)
		fail(NULL, "the WAL is not empty after the checkpoint");
}

/*
 * School u: a store that knows the hub (and the hub it), its org-unit
 * bundle taken in at the hub, then nb bundles of nc activities, their
 * bytes in b[] and files in dir/in.
 */
static void
school(const char *dir, uint32_t u, cdsync *hub, const char *hubkeys,
       uint32_t nb, uint32_t nc, struct bundle *b)
{
	cdsync *s;
	cdsync_rec *rec;
	cdsync_outbox_item it;
	struct row r;
	char path[1024], code[32], name[64], *text = NULL;
	uint8_t *bytes;
	size_t sealed = 0, len, changes = 0, i;
	uint32_t k, j;

	snprintf(path, sizeof path, "%s/school-%04" PRIu32 ".db", dir, u);
	snprintf(code, sizeof code, "BENCH-S%04" PRIu32, u);
	snprintf(name, sizeof name, "Trường Bench số %" PRIu32, u);
	s = newstore(path, CDSYNC_ROLE_SCHOOL, code, name);
	if (cdsync_peer_add(s, hubkeys, 1) != CDSYNC_OK)
		fail(s, "peer add (hub at school)");
	if (cdsync_keys_export(s, &text) != CDSYNC_OK)
		fail(s, "keys");
	if (cdsync_peer_add(hub, text, 0) != CDSYNC_OK)
		fail(hub, "peer add (school at hub)");
	cdsync_free(text);
	if (cdsync_seal(s, &sealed) != CDSYNC_OK || sealed != 1)
		fail(s, "seal (org unit)");
	for (k = 0; k < nb; k++) {
		if (cdsync_begin(s) != CDSYNC_OK)
			fail(s, "begin");
		for (j = 0; j < nc; j++) {
			mkrow(k * nc + j, &r);
			if (cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &rec) != 0 ||
			    cdsync_rec_set(rec, "held_on", r.date) != 0 ||
			    cdsync_rec_set(rec, "title", r.title) != 0 ||
			    cdsync_rec_set(rec, "kind", r.kind) != 0 ||
			    cdsync_rec_set_int(rec, "innovative",
					       r.innovative) != 0 ||
			    cdsync_rec_set(rec, "cost", r.cost) != 0 ||
			    cdsync_rec_set(rec, "participants",
					   r.people) != 0 ||
			    cdsync_insert(s, rec) != CDSYNC_OK)
				fail(s, "insert");
			cdsync_rec_free(rec);
		}
		if (cdsync_commit(s) != CDSYNC_OK)
			fail(s, "commit");
		if (cdsync_seal(s, &sealed) != CDSYNC_OK || sealed != 1)
			fail(s, "seal");
	}
	/* the outbox: this node's own bundles, in chain order */
	for (i = 0; i <= nb; i++) {
		if (cdsync_outbox_at(s, i, &it) != CDSYNC_OK)
			fail(s, "outbox");
		if (it.seq != i + 1)
			fail(NULL, "outbox out of chain order");
		if (cdsync_bundle_bytes(s, it.hash, &bytes, &len) !=
			    CDSYNC_OK)
			fail(s, "bundle bytes");
		if (len != it.len)
			fail(NULL, "bundle bytes: wrong length");
		if (i == 0) {
			/* the org unit: taken in now, the check that this
			 * school's bundles import at all */
			snprintf(path, sizeof path, "%s/in/%s", dir, it.name);
			write_file(path, bytes, len);
			if (cdsync_import_file(hub, path, &changes) !=
				    CDSYNC_OK || changes == 0)
				fail(hub, "import of the org-unit bundle");
			cdsync_free(bytes);
			continue;
		}
		b[i - 1].bytes = bytes;
		b[i - 1].len = len;
		snprintf(b[i - 1].path, sizeof b[i - 1].path, "%s/in/%s", dir,
			 it.name);
		write_file(b[i - 1].path, bytes, len);
	}
	if (cdsync_outbox_at(s, nb + 1, &it) != CDSYNC_ENOTFOUND)
		fail(NULL, "more bundles in the outbox than sealed");
	cdsync_close(s);
}

static void *
upload(void *arg)
{
	struct worker *w = arg;
	struct cds_uplink_target t;
	struct cds_uplink_resume st;
	struct cds_uplink_result res;
	uint64_t t0;
	uint32_t k;
	int rc;

	memset(&t, 0, sizeof t);
	t.base_url = w->url;
	t.chunk = 65536;
	t.max_time_ms = 600000;
	pthread_barrier_wait(w->go);
	w->start = ns();
	for (k = 0; k < w->nb; k++) {
		memset(&st, 0, sizeof st);
		t0 = ns();
		rc = cds_uplink_send(&t, NULL, w->b[k].bytes, w->b[k].len,
				     &st, NULL, NULL, &res, w->err,
				     sizeof w->err);
		w->b[k].lat = ns() - t0;
		w->requests += res.requests;
		w->wire += res.body_bytes + res.header_bytes;
		if (rc != CDSYNC_OK || res.receipt != 1) {
			if (rc == CDSYNC_OK)
				snprintf(w->err, sizeof w->err,
					 "status %ld without a receipt",
					 res.status);
			w->failed = 1;
			cds_uplink_result_free(&res);
			break;
		}
		w->receipts++;
		cds_uplink_result_free(&res);
	}
	w->end = ns();
	return NULL;
}

/* p50 and p99 of n times (sorted here), in ms. */
static void
pcts(uint64_t *lat, size_t n, double *p50, double *p99)
{
	qsort(lat, n, sizeof *lat, cmp);
	*p50 = (double)lat[n / 2] / 1e6;
	*p99 = (double)lat[n * 99 / 100] / 1e6;
}

/* The hub's activities: their count, and rows in it and not in the
 * baseline or the other way round (*diff). */
static long
compare(const char *hub, const char *base, long *diff)
{
	char sql[1200];
	sqlite3 *db;
	sqlite3_stmt *st;
	long rows = -1;

	*diff = -1;
	if (sqlite3_open_v2(hub, &db, SQLITE_OPEN_READONLY, NULL) != 0)
		sqlfail(db, hub);
	snprintf(sql, sizeof sql, "ATTACH '%s' AS base", base);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM "
			       "main.activity), (SELECT count(*) FROM "
			       "(SELECT * FROM main.activity EXCEPT SELECT * "
			       "FROM base.activity)) + (SELECT count(*) FROM "
			       "(SELECT * FROM base.activity EXCEPT SELECT * "
			       "FROM main.activity))", -1, &st, NULL) != 0)
		sqlfail(db, "compare");
	if (sqlite3_step(st) == SQLITE_ROW) {
		rows = (long)sqlite3_column_int64(st, 0);
		*diff = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rows;
}

/* Every school's chain at the hub ends at bundle nb + 1, nothing held,
 * nothing frozen; returns the schools seen. */
static uint32_t
chains(const char *path, uint32_t nb)
{
	cdsync *db = NULL;
	cdsync_peer_info pi;
	uint32_t n = 0;
	size_t i;

	if (cdsync_open(path, CDSYNC_OPEN_READONLY, &db) != CDSYNC_OK)
		fail(db, path);
	for (i = 0; cdsync_peer_at(db, i, &pi) == CDSYNC_OK; i++) {
		if (pi.upstream)
			continue;
		if (pi.last_seq != (uint64_t)nb + 1 || pi.held != 0 ||
		    pi.frozen || pi.evidence != 0) {
			fprintf(stderr, "ingest_bench: school %s: last bundle "
				"%" PRIu64 " (expected %" PRIu32 "), %zu held"
				"%s\n", pi.org, pi.last_seq, nb + 1, pi.held,
				pi.frozen ? ", frozen" : "");
			exit(1);
		}
		n++;
	}
	cdsync_close(db);
	return n;
}

static uint32_t
arg_u32(const char *s, uint32_t lo, uint32_t hi, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "ingest_bench: %s must be a number from %"
			PRIu32 " to %" PRIu32 "\n", what, lo, hi);
		exit(2);
	}
	return (uint32_t)v;
}

int
main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[1024], hubpath[1024], basepath[1024];
	char afterpath[1024];
	char home[1024], url[64], err[1024], *hubkeys = NULL, cmd[1200];
	uint32_t U = 100, B = 1, C = 1000, u, k;
	struct bundle *bs;
	struct worker *ws;
	struct cdsd_config cfg;
	struct cdsd_hub *hub = NULL;
	pthread_barrier_t go;
	cdsync *h = NULL;
	uint64_t *lat, t0, t1, changes = 0, bytes = 0, wire = 0;
	uint64_t expect;
	size_t n, nb;
	unsigned receipts = 0, requests = 0;
	double setup, off_s, http_s, off_rate, http_rate, p50, p99;
	double op50, op99, off_cpu, http_cpu, hub_cpu;
	double aft_s, aft_cpu, aft_rate, ap50, ap99;
	long rows, diff;
	int i, failed = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--schools") == 0 && i + 1 < argc) {
			U = arg_u32(argv[++i], 1, MAX_UPLOADS, "--schools");
		} else if (strcmp(argv[i], "--bundles") == 0 && i + 1 < argc) {
			B = arg_u32(argv[++i], 1, MAX_UPLOADS, "--bundles");
		} else if (strcmp(argv[i], "--changes") == 0 && i + 1 < argc) {
			C = arg_u32(argv[++i], 1, 100000, "--changes");
		} else {
			fprintf(stderr, "usage: ingest_bench [--schools U] "
				"[--bundles B] [--changes C]\n");
			return 2;
		}
	}
	if ((uint64_t)U * B > MAX_UPLOADS) {
		fprintf(stderr, "ingest_bench: at most %d uploads (schools x "
			"bundles): the hub keeps each finished one\n",
			MAX_UPLOADS);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof dir, "%s/cdsync-ingest-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("ingest_bench: mkdtemp");
		return 1;
	}
	for (k = 0; dir[k] != '\0'; k++)
		if (dir[k] == '\'')
			fail(NULL, "a quote in the folder name");
	nb = (size_t)U * B;
	expect = (uint64_t)nb * C;
	bs = calloc(nb, sizeof *bs);
	ws = calloc(U, sizeof *ws);
	lat = calloc(nb, sizeof *lat);
	if (bs == NULL || ws == NULL || lat == NULL)
		fail(NULL, "out of memory");
	printf("ingest_bench: %" PRIu32 " schools x %" PRIu32 " bundle(s) of "
	       "%" PRIu32 " new activities, hub store WAL + synchronous=FULL, "
	       "in %s\n", U, B, C, dir);
	fflush(stdout);

	/* ==== Setup ==================================================== */
	t0 = ns();
	snprintf(hubpath, sizeof hubpath, "%s/hub.db", dir);
	snprintf(basepath, sizeof basepath, "%s/base.db", dir);
	snprintf(afterpath, sizeof afterpath, "%s/after.db", dir);
	snprintf(path, sizeof path, "%s/in", dir);
	if (mkdir(path, 0700) != 0)
		fail(NULL, "cannot make the bundle folder");
	h = newstore(hubpath, CDSYNC_ROLE_HUB, "BENCH-HUB",
		     "Công đoàn Giáo dục Bench");
	if (cdsync_keys_export(h, &hubkeys) != CDSYNC_OK)
		fail(h, "keys");
	for (u = 0; u < U; u++)
		school(dir, u, h, hubkeys, B, C, bs + (size_t)u * B);
	cdsync_free(hubkeys);
	cdsync_close(h);
	checkpoint(hubpath);
	copy_file(hubpath, basepath);
	copy_file(hubpath, afterpath);
	for (n = 0; n < nb; n++)
		bytes += bs[n].len;
	setup = (double)(ns() - t0) / 1e9;
	printf("setup: %.1f s (stores made, org units taken in at the hub, "
	       "bundles recorded and sealed)\n", setup);
	printf("load: %zu bundles, %" PRIu64 " changes, %" PRIu64 " bytes "
	       "(%.1f a change, %.1f KiB a bundle)\n", nb, expect, bytes,
	       (double)bytes / (double)expect,
	       (double)bytes / (double)nb / 1024.0);
	fflush(stdout);

	/* ==== Offline: a copy imports every bundle, one after another === */
	changes = offline(basepath, bs, nb, lat, &off_s, &off_cpu);
	if (changes != expect) {
		fprintf(stderr, "ingest_bench: offline import took %" PRIu64
			" changes, expected %" PRIu64 "\n", changes, expect);
		return 1;
	}
	pcts(lat, nb, &op50, &op99);
	off_rate = (double)changes / off_s;

	/* ==== HTTP: U uploaders at once to the hub role ================= */
	snprintf(home, sizeof home, "%s/hubhome", dir);
	if (mkdir(home, 0700) != 0)
		fail(NULL, "cannot make the hub's home");
	cdsd_log_level(CDSD_WARN);	/* not a line per bundle */
	cdsd_config_defaults(&cfg);
	snprintf(cfg.listen_addr, sizeof cfg.listen_addr, "127.0.0.1");
	cfg.listen_port = 0;
	cfg.connection_limit = U + 16;	/* all from 127.0.0.1 */
	cfg.per_ip_limit = U + 16;
	if (cdsd_hub_start(home, hubpath, &cfg, NULL, NULL, &hub, err,
			   sizeof err) != 0) {
		fprintf(stderr, "ingest_bench: hub: %s\n", err);
		return 1;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%u/files/",
		 (unsigned)cdsd_hub_port(hub));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (pthread_barrier_init(&go, NULL, U + 1) != 0)
		fail(NULL, "barrier");
	for (u = 0; u < U; u++) {
		ws[u].go = &go;
		ws[u].url = url;
		ws[u].b = bs + (size_t)u * B;
		ws[u].nb = B;
		if (pthread_create(&ws[u].tid, NULL, upload, &ws[u]) != 0)
			fail(NULL, "cannot start a thread");
	}
	pthread_barrier_wait(&go);
	http_cpu = cpu_s();
	for (u = 0; u < U; u++)
		pthread_join(ws[u].tid, NULL);
	http_cpu = cpu_s() - http_cpu;
	hub_cpu = other_threads_cpu_s();
	pthread_barrier_destroy(&go);
	cdsd_hub_stop(&hub);
	curl_global_cleanup();
	t0 = UINT64_MAX;
	t1 = 0;
	for (u = 0; u < U; u++) {
		if (ws[u].failed) {
			fprintf(stderr, "ingest_bench: school %" PRIu32 ": %s\n",
				u, ws[u].err);
			failed++;
		}
		if (ws[u].start < t0)
			t0 = ws[u].start;
		if (ws[u].end > t1)
			t1 = ws[u].end;
		receipts += ws[u].receipts;
		requests += ws[u].requests;
		wire += ws[u].wire;
	}
	if (failed || receipts != nb) {
		fprintf(stderr, "ingest_bench: %u receipts for %zu uploads "
			"(%d uploader(s) failed)\n", receipts, nb, failed);
		return 1;
	}
	http_s = (double)(t1 - t0) / 1e9;
	http_rate = (double)expect / http_s;
	for (n = 0; n < nb; n++)
		lat[n] = bs[n].lat;
	pcts(lat, nb, &p50, &p99);

	/* ==== Offline again, on the other copy: the baseline's drift ==== */
	if (offline(afterpath, bs, nb, lat, &aft_s, &aft_cpu) != expect) {
		fprintf(stderr, "ingest_bench: the second offline import "
			"took other changes than the first\n");
		return 1;
	}
	pcts(lat, nb, &ap50, &ap99);
	aft_rate = (double)expect / aft_s;

	printf("\n%-40s %10s %8s %8s %8s %8s\n", "", "changes/s",
	       "total s", "CPU s", "p50 ms", "p99 ms");
	printf("%-40s %10.0f %8.2f %8.2f %8.2f %8.2f\n",
	       "offline cdsync_import_file, one by one", off_rate, off_s,
	       off_cpu, op50, op99);
	snprintf(err, sizeof err, "HTTP, %" PRIu32 " uploaders at once", U);
	printf("%-40s %10.0f %8.2f %8.2f %8.2f %8.2f\n", err, http_rate,
	       http_s, http_cpu, p50, p99);
	printf("%-40s %10.0f %8.2f %8.2f %8.2f %8.2f\n",
	       "offline again, after HTTP", aft_rate, aft_s, aft_cpu, ap50,
	       ap99);
	printf("ratio HTTP/offline (changes/s): %.2f  (goal >= 0.95)\n",
	       http_rate / off_rate);
	printf("ratio HTTP/mean of offline before and after: %.2f  (the "
	       "baseline moved %+.0f%% within the run)\n",
	       http_rate / ((off_rate + aft_rate) / 2),
	       100.0 * (aft_rate - off_rate) / off_rate);
	printf("CPU: offline %.2f s (one thread); HTTP %.2f s, of which the "
	       "hub's threads %.2f s, the uploaders %.2f s\n", off_cpu,
	       http_cpu, hub_cpu, http_cpu - hub_cpu);
	printf("HTTP: %u receipts for %zu uploads, %u requests (%.1f an "
	       "upload), %.3fx the bundle bytes on the wire\n", receipts, nb,
	       requests, (double)requests / (double)nb,
	       (double)wire / (double)bytes);

	/* ==== Every change exactly once ================================= */
	rows = compare(hubpath, basepath, &diff);
	if (rows >= 0 && diff == 0)
		rows = compare(hubpath, afterpath, &diff);
	if (rows < 0 || (uint64_t)rows != expect || diff != 0) {
		fprintf(stderr, "ingest_bench: the hub holds %ld activities "
			"(expected %" PRIu64 "), %ld differ from a "
			"baseline's\n", rows, expect, diff);
		return 1;
	}
	if ((u = chains(hubpath, B)) != U) {
		fprintf(stderr, "ingest_bench: the hub knows %" PRIu32
			" schools, expected %" PRIu32 "\n", u, U);
		return 1;
	}
	printf("check: the hub holds %ld activities (%" PRIu32 " x %" PRIu32
	       " x %" PRIu32 "), each baseline's value for value; all %" PRIu32
	       " chains complete, nothing held: every change exactly once\n",
	       rows, U, B, C, U);

	for (n = 0; n < nb; n++)
		cdsync_free(bs[n].bytes);
	free(bs);
	free(ws);
	free(lat);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return 0;
}
