/* capture_bench.c -- what change capture costs.
 *
 * Records N activities (default 100,000) two ways, in the same run, each
 * in a child process of its own (so peak RSS is each one's):
 *   plain    prepared INSERTs of the same rows into the same schema,
 *            no capture, no checks (the baseline);
 *   cdsync   the library as an app uses it: cdsync_rec_new, set each
 *            field from text, cdsync_insert (checks + capture), free.
 * Both commit every 1,000 rows, on a store with WAL and synchronous=FULL.
 * Prints writes/s, the ratio cdsync/plain in time per write, p50/p99
 * latency of one write, and peak RSS.
 *
 * With --ids M it also inserts M rows (default 1,000,000) with
 * time-ordered ids and with random ids, plain, and prints the ratio.
 *
 * Usage: capture_bench [N] [--ids [M]] [--dir DIR]
 */
#include <inttypes.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cdsync/cdsync.h"
#include "id.h"
#include "store.h"

#define BATCH 1000

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

static uint64_t
ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Deterministic rows: the same in both phases. */
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

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	double secs;		/* total wall time of the writes */
	uint64_t p50, p99;	/* ns per write */
	long rss_kb;		/* peak RSS of the child */
};

static cdsync *
newstore(const char *dir, const char *name)
{
	char path[1024];
	cdsync *db = NULL;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	if (cdsync_open(path, CDSYNC_OPEN_CREATE, &db) != CDSYNC_OK ||
	    cdsync_node_init(db, CDSYNC_ROLE_SCHOOL, "BENCH", "Trường Bench",
			     NULL) != CDSYNC_OK) {
		fprintf(stderr, "bench: %s\n", cdsync_errmsg(db));
		exit(1);
	}
	return db;
}

/* Phase "plain": prepared INSERTs, ids as given by `idfn`. */
static void
plain(const char *dir, uint32_t n, int random_ids, uint64_t *lat,
      double *secs)
{
	cdsync *db = newstore(dir, random_ids ? "rand.db" : "plain.db");
	sqlite3_stmt *st;
	struct row r;
	uint8_t id[16], org[16];
	uint64_t t0, t1, start;
	uint32_t i;

	(void)cdsync_node_org(db, org);
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO activity (id, org_id, held_on, "
			       "title, kind, programme, key_task_id, "
			       "innovative, cost, funding, participants, note) "
			       "VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, ?6, "
			       "?7, NULL, ?8, NULL)",
			       -1, &st, NULL) != SQLITE_OK)
		exit(1);
	start = ns();
	for (i = 0; i < n; i++) {
		if (i % BATCH == 0)
			sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL);
		mkrow(i, &r);
		t0 = ns();
		if (random_ids)
			randombytes_buf(id, 16);
		else
			cds_id_new(id);
		sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, org, 16, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r.date, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r.title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r.kind, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, r.innovative);
		sqlite3_bind_int64(st, 7, strtoll(r.cost, NULL, 10));
		sqlite3_bind_int64(st, 8, strtoll(r.people, NULL, 10));
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "bench: %s\n", sqlite3_errmsg(db->db));
			exit(1);
		}
		sqlite3_reset(st);
		t1 = ns();
		if (lat)
			lat[i] = t1 - t0;
		if (i % BATCH == BATCH - 1 || i == n - 1)
			sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
	}
	*secs = (double)(ns() - start) / 1e9;
	sqlite3_finalize(st);
	cdsync_close(db);
}

/* Phase "cdsync": the public API with capture. */
static void
lib(const char *dir, uint32_t n, uint64_t *lat, double *secs)
{
	cdsync *db = newstore(dir, "cdsync.db");
	cdsync_rec *rec;
	struct row r;
	uint64_t t0, start;
	uint32_t i;

	start = ns();
	for (i = 0; i < n; i++) {
		if (i % BATCH == 0 && cdsync_begin(db) != CDSYNC_OK)
			exit(1);
		mkrow(i, &r);
		t0 = ns();
		if (cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &rec) != CDSYNC_OK ||
		    cdsync_rec_set(rec, "held_on", r.date) != CDSYNC_OK ||
		    cdsync_rec_set(rec, "title", r.title) != CDSYNC_OK ||
		    cdsync_rec_set(rec, "kind", r.kind) != CDSYNC_OK ||
		    cdsync_rec_set_int(rec, "innovative", r.innovative) ||
		    cdsync_rec_set(rec, "cost", r.cost) != CDSYNC_OK ||
		    cdsync_rec_set(rec, "participants", r.people) ||
		    cdsync_insert(db, rec) != CDSYNC_OK) {
			fprintf(stderr, "bench: %s\n", cdsync_errmsg(db));
			exit(1);
		}
		cdsync_rec_free(rec);
		lat[i] = ns() - t0;
		if ((i % BATCH == BATCH - 1 || i == n - 1) &&
		    cdsync_commit(db) != CDSYNC_OK)
			exit(1);
	}
	*secs = (double)(ns() - start) / 1e9;
	cdsync_close(db);
}

/* Runs one phase in a child; returns its figures through a pipe. */
static struct result
run(const char *dir, uint32_t n, char phase)
{
	struct result res;
	struct rusage ru;
	int fd[2], status;
	pid_t pid;

	memset(&res, 0, sizeof res);
	if (pipe(fd) != 0 || (pid = fork()) < 0)
		exit(1);
	if (pid == 0) {
		uint64_t *lat = phase == 'r' || phase == 't'
				? NULL : calloc(n, sizeof *lat);

		close(fd[0]);
		if (phase == 'c')
			lib(dir, n, lat, &res.secs);
		else
			plain(dir, n, phase == 'r', lat, &res.secs);
		if (lat) {
			qsort(lat, n, sizeof *lat, cmp);
			res.p50 = lat[n / 2];
			res.p99 = lat[(size_t)n * 99 / 100];
		}
		if (write(fd[1], &res, sizeof res) != sizeof res)
			_exit(1);
		free(lat);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &res, sizeof res) != sizeof res ||
	    wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: phase %c failed\n", phase);
		exit(1);
	}
	close(fd[0]);
	res.rss_kb = ru.ru_maxrss;
	return res;
}

int
main(int argc, char **argv)
{
	uint32_t n = 100000, ids = 0;
	const char *dir = NULL;
	char tmpl[] = "/tmp/cdsync-bench-XXXXXX", cmd[600];
	struct result p, c, t, r;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ids") == 0) {
			ids = 1000000;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				ids = (uint32_t)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else {
			n = (uint32_t)strtoul(argv[i], NULL, 10);
		}
	}
	if (n == 0 || sodium_init() < 0)
		return 2;
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL)
		return 1;
	printf("capture_bench: %" PRIu32 " activities, commit every %d, "
	       "WAL + synchronous=FULL, in %s\n", n, BATCH, dir);
	p = run(dir, n, 'p');
	c = run(dir, n, 'c');
	printf("%-8s %12s %10s %10s %12s\n", "", "writes/s", "p50 us",
	       "p99 us", "peak RSS MB");
	printf("%-8s %12.0f %10.1f %10.1f %12.1f\n", "plain", n / p.secs,
	       p.p50 / 1e3, p.p99 / 1e3, p.rss_kb / 1024.0);
	printf("%-8s %12.0f %10.1f %10.1f %12.1f\n", "cdsync", n / c.secs,
	       c.p50 / 1e3, c.p99 / 1e3, c.rss_kb / 1024.0);
	printf("ratio cdsync/plain (time per write): %.2fx  (goal <= 1.5x)\n",
	       c.secs / p.secs);
	if (ids) {
		t = run(dir, ids, 't');
		r = run(dir, ids, 'r');
		printf("ids, %" PRIu32 " plain inserts: time-ordered %.0f/s, "
		       "random %.0f/s, time-ordered is %.2fx faster\n", ids,
		       ids / t.secs, ids / r.secs, r.secs / t.secs);
	}
	if (strcmp(dir, tmpl) == 0) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
