/* bundle_bench.c -- what moving changes in bundles costs, in time and in
 * bytes.
 *
 * A school store records N bundles (default 20) of 1,000 new activities
 * each (one cdsync_begin/commit per bundle, then cdsync_export), then N
 * bundles of 1,000 updates (cost and title of rows it recorded).  Then, in
 * the same run, each phase in a child process of its own (so peak RSS is
 * each one's):
 *   cdsync   a hub store takes every bundle in with cdsync_import_file
 *            (read, verify, decrypt, check, merge, commit), timed per
 *            bundle;
 *   sqlite   the baseline: the same rows (same ids and values) written
 *            with plain prepared INSERTs / UPDATEs under a SQLite session,
 *            one changeset per 1,000 rows (in a child of its own, not
 *            timed against anything), then each changeset applied to a
 *            fresh store of the same schema with sqlite3changeset_apply
 *            in one transaction (BEGIN, apply, COMMIT timed; reading the
 *            changeset file is not).  No conflicts are expected and any
 *            one aborts the run.  The target has the school's org unit
 *            (same org code, same derived id), so foreign keys stay on.
 * All stores are cdsync stores (cdsync_open: WAL, synchronous=FULL).  A
 * change is one row written, as a bundle counts them.  Prints changes/s,
 * p50/p99 time per bundle (with 20 bundles p99 is the slowest), peak RSS,
 * and the ratio of the import rate to the apply rate (goal >= 1.0).
 *
 * Sizes: bytes per change of the bundle files, against the same changes
 * as JSON lines (one object per change, as read back from the school's
 * log with cdsync_changes_next, grouped by row), plain and compressed
 * with zstd level 3, 1,000 lines a frame like a bundle; the ratios
 * bundle/zstd(JSON) (goal <= 0.6) and bundle/JSON (goal <= 0.1).  The
 * size of the payload before zstd and of the SQLite changesets are shown
 * for reference.
 *
 * Finally the hub's activity table is checked to be identical to the
 * baseline's.
 *
 * Usage: bundle_bench [--bundles N] [--dir DIR]
 * (--dir keeps the stores, bundles and changesets there; by default they
 * go to a temporary folder removed at the end.)
 */
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "cdsync/cdsync.h"
#include "store.h"

#define BATCH 1000
#define SCHOOL_CODE "BENCH-SCHOOL"

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
/* Titles as corrected later: none is one of the above. */
static const char *const titles2[] = {
	"Tuyên truyền Luật Công đoàn 2024 (bổ sung)",
	"Tập huấn chuyển đổi số cho giáo viên",
	"Thăm hỏi, tặng quà đoàn viên ốm đau",
	"Hội thao chào mừng Ngày Nhà giáo Việt Nam 20/11",
	"Khám sức khỏe định kỳ năm học 2025-2026",
	"Thi đua dạy tốt học tốt đợt 2",
	"Hội nghị đối thoại với Ban giám hiệu",
	"Kiểm tra tài chính công đoàn quý III",
	"Ủng hộ điểm trường vùng cao Hà Giang",
	"Ưu đãi mua sắm cho đoàn viên dịp Tết",
};

struct row {
	char date[16];
	const char *title, *kind;
	char cost[16];
	char people[8];
	int innovative;
};

/* Per-bundle figures of one phase, through a pipe from its child. */
struct result {
	double secs[2];		/* inserts, updates: sum of bundle times */
	uint64_t p50[2], p99[2]; /* ns per bundle */
	uint64_t changes[2];	/* rows written */
	long rss_kb;		/* peak RSS of the child */
};

/* What the phases share. */
struct bench {
	const char *dir;
	uint32_t nb;		/* bundles in each series */
	uint8_t (*ids)[16];	/* the rows the school recorded */
	char tag[16];		/* "-xxxxxxxx-": school node in file names */
};

static uint64_t
ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Deterministic rows (capture_bench's): the same in every phase. */
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

/* The update of row i: a corrected title and a higher cost. */
static void
mkupd(uint32_t i, const char **title, int64_t *cost)
{
	uint32_t x = i * 2654435761u;

	*title = titles2[(x >> 16) % 10];
	*cost = (int64_t)((x >> 4) % 50 * 100000) + 150000;
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

/* Reports a failed call (with db's message if there is a db) and
 * exits. */
static void
fail(cdsync *db, const char *what)
{
	if (db)
		fprintf(stderr, "bundle_bench: %s: %s\n", what,
			cdsync_errmsg(db));
	else
		fprintf(stderr, "bundle_bench: %s\n", what);
	exit(1);
}

static void
sqlfail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bundle_bench: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void
path_of(const struct bench *b, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", b->dir, name);
}

static cdsync *
newstore(const struct bench *b, const char *name, cdsync_role role,
	 const char *code, const char *org_name)
{
	char path[1024], side[1040];
	cdsync *db = NULL;

	path_of(b, name, path, sizeof path);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	if (cdsync_open(path, CDSYNC_OPEN_CREATE, &db) != CDSYNC_OK)
		fail(db, path);
	if (cdsync_node_init(db, role, code, org_name, NULL) != CDSYNC_OK)
		fail(db, "node init");
	return db;
}

static cdsync *
openstore(const struct bench *b, const char *name, unsigned flags)
{
	char path[1024];
	cdsync *db = NULL;

	path_of(b, name, path, sizeof path);
	if (cdsync_open(path, flags, &db) != CDSYNC_OK)
		fail(db, path);
	return db;
}

/* The school's bundle number seq, as cdsync_export names it. */
static void
bundle_path(const struct bench *b, uint32_t seq, char *out, size_t n)
{
	snprintf(out, n, "%s/out/%s%s%06" PRIu32 ".cdsb", b->dir,
		 SCHOOL_CODE, b->tag, seq);
}

static void
export1(cdsync *db, const char *out, uint64_t *lat)
{
	size_t sealed = 0, written = 0;
	uint64_t t0 = ns();

	if (cdsync_export(db, out, &sealed, &written) != CDSYNC_OK)
		fail(db, "export");
	if (lat)
		*lat = ns() - t0;
	if (sealed != 1) {
		fprintf(stderr, "bundle_bench: export sealed %zu bundles\n",
			sealed);
		exit(1);
	}
}

/*
 * The school: bundle 1 is its org unit (from node init); bundles 2 ..
 * nb + 1 the inserts, nb + 2 .. 2 nb + 1 the updates.  Times recording
 * and exporting, for the record.
 */
static void
school(struct bench *b, double rec_secs[2], uint64_t *exp_lat)
{
	cdsync *s, *h;
	cdsync_rec *rec;
	struct row r;
	char out[1024], *text = NULL, cost[24];
	uint8_t node[16];
	uint64_t t0;
	uint32_t k, j, i;
	const char *title;
	int64_t c;

	s = newstore(b, "school.db", CDSYNC_ROLE_SCHOOL, SCHOOL_CODE,
		     "Trường THCS Bench");
	h = newstore(b, "hub.db", CDSYNC_ROLE_HUB, "BENCH-HUB",
		     "Công đoàn Giáo dục Bench");
	if (cdsync_keys_export(h, &text) != CDSYNC_OK)
		fail(h, "keys");
	if (cdsync_peer_add(s, text, 1) != CDSYNC_OK)
		fail(s, "peer add");
	cdsync_free(text);
	if (cdsync_keys_export(s, &text) != CDSYNC_OK)
		fail(s, "keys");
	if (cdsync_peer_add(h, text, 0) != CDSYNC_OK)
		fail(h, "peer add");
	cdsync_free(text);
	cdsync_close(h);
	if (cdsync_node_id(s, node) != CDSYNC_OK)
		fail(s, "node id");
	snprintf(b->tag, sizeof b->tag, "-%02x%02x%02x%02x-", node[12],
		 node[13], node[14], node[15]);
	snprintf(out, sizeof out, "%s/out", b->dir);
	if (mkdir(out, 0700) != 0) {
		fprintf(stderr, "bundle_bench: cannot make %s: %s (give an "
			"empty folder)\n", out, strerror(errno));
		exit(1);
	}
	export1(s, out, NULL);
	rec_secs[0] = rec_secs[1] = 0;
	for (k = 0; k < b->nb; k++) {
		t0 = ns();
		if (cdsync_begin(s) != CDSYNC_OK)
			fail(s, "begin");
		for (j = 0; j < BATCH; j++) {
			i = k * BATCH + j;
			mkrow(i, &r);
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
			memcpy(b->ids[i], cdsync_rec_id(rec), 16);
			cdsync_rec_free(rec);
		}
		if (cdsync_commit(s) != CDSYNC_OK)
			fail(s, "commit");
		rec_secs[0] += (double)(ns() - t0) / 1e9;
		export1(s, out, &exp_lat[k]);
	}
	for (k = 0; k < b->nb; k++) {
		t0 = ns();
		if (cdsync_begin(s) != CDSYNC_OK)
			fail(s, "begin");
		for (j = 0; j < BATCH; j++) {
			i = k * BATCH + j;
			mkupd(i, &title, &c);
			snprintf(cost, sizeof cost, "%" PRId64, c);
			if (cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &rec) != 0 ||
			    cdsync_rec_set_id(rec, b->ids[i]) != 0 ||
			    cdsync_rec_set(rec, "title", title) != 0 ||
			    cdsync_rec_set(rec, "cost", cost) != 0 ||
			    cdsync_update(s, rec) != CDSYNC_OK)
				fail(s, "update");
			cdsync_rec_free(rec);
		}
		if (cdsync_commit(s) != CDSYNC_OK)
			fail(s, "commit");
		rec_secs[1] += (double)(ns() - t0) / 1e9;
		export1(s, out, &exp_lat[b->nb + k]);
	}
	cdsync_close(s);
}

static void
percentiles(uint64_t *lat, uint32_t n, struct result *res, int series)
{
	qsort(lat, n, sizeof *lat, cmp);
	res->p50[series] = lat[n / 2];
	res->p99[series] = lat[(size_t)n * 99 / 100];
}

/* Phase "cdsync": the hub imports every bundle, in order. */
static void
hub(const struct bench *b, struct result *res)
{
	cdsync *h = openstore(b, "hub.db", 0);
	uint64_t *lat = calloc(b->nb, sizeof *lat), t0;
	char path[1024];
	size_t n = 0;
	uint32_t k;
	int series;

	if (lat == NULL)
		fail(NULL, "out of memory");
	bundle_path(b, 1, path, sizeof path);
	if (cdsync_import_file(h, path, &n) != CDSYNC_OK)
		fail(h, "import");
	for (series = 0; series < 2; series++) {
		for (k = 0; k < b->nb; k++) {
			bundle_path(b, 2 + (uint32_t)series * b->nb + k, path,
				    sizeof path);
			t0 = ns();
			if (cdsync_import_file(h, path, &n) != CDSYNC_OK)
				fail(h, "import");
			lat[k] = ns() - t0;
			res->secs[series] += (double)lat[k] / 1e9;
			res->changes[series] += n;
		}
		if (res->changes[series] != (uint64_t)b->nb * BATCH) {
			fprintf(stderr, "bundle_bench: the hub took %" PRIu64
				" changes, expected %" PRIu64 "\n",
				res->changes[series],
				(uint64_t)b->nb * BATCH);
			exit(1);
		}
		percentiles(lat, b->nb, res, series);
	}
	free(lat);
	cdsync_close(h);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "bundle_bench: cannot write %s\n", path);
		exit(1);
	}
}

static void
cs_path(const struct bench *b, int series, uint32_t k, char *out, size_t n)
{
	snprintf(out, n, "%s/cs-%c-%04" PRIu32 ".bin", b->dir,
		 series ? 'u' : 'i', k);
}

/*
 * Phase "record": the same rows written plainly under a session into a
 * store of the same schema; one changeset file per 1,000 rows.  Not part
 * of the comparison (the school's cost is capture_bench's business).
 */
static void
record(const struct bench *b, struct result *res)
{
	cdsync *db = newstore(b, "base-src.db", CDSYNC_ROLE_SCHOOL,
			      SCHOOL_CODE, "Trường THCS Bench");
	sqlite3_session *ses;
	sqlite3_stmt *ins, *upd, *st;
	struct row r;
	uint8_t org[16];
	char path[1024];
	const char *title;
	void *cs;
	int64_t c;
	int ncs, series;
	uint32_t k, j, i;
	uint64_t t0;

	if (cdsync_node_org(db, org) != CDSYNC_OK)
		fail(db, "org");
	if (sqlite3_prepare_v2(db->db,
			       "INSERT INTO activity (id, org_id, held_on, "
			       "title, kind, programme, key_task_id, "
			       "innovative, cost, funding, participants, "
			       "note) VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, "
			       "?6, ?7, NULL, ?8, NULL)", -1, &ins,
			       NULL) != 0 ||
	    sqlite3_prepare_v2(db->db,
			       "UPDATE activity SET title = ?2, cost = ?3 "
			       "WHERE id = ?1", -1, &upd, NULL) != 0)
		sqlfail(db->db, "prepare");
	for (series = 0; series < 2; series++) {
		t0 = ns();
		for (k = 0; k < b->nb; k++) {
			if (sqlite3session_create(db->db, "main", &ses) != 0 ||
			    sqlite3session_attach(ses, "activity") != 0)
				sqlfail(db->db, "session");
			if (sqlite3_exec(db->db, "BEGIN", NULL, NULL,
					 NULL) != SQLITE_OK)
				sqlfail(db->db, "begin");
			for (j = 0; j < BATCH; j++) {
				i = k * BATCH + j;
				st = series ? upd : ins;
				sqlite3_bind_blob(st, 1, b->ids[i], 16,
						  SQLITE_STATIC);
				if (series) {
					mkupd(i, &title, &c);
					sqlite3_bind_text(st, 2, title, -1,
							  SQLITE_STATIC);
					sqlite3_bind_int64(st, 3, c);
				} else {
					mkrow(i, &r);
					sqlite3_bind_blob(st, 2, org, 16,
							  SQLITE_STATIC);
					sqlite3_bind_text(st, 3, r.date, -1,
							  SQLITE_STATIC);
					sqlite3_bind_text(st, 4, r.title, -1,
							  SQLITE_STATIC);
					sqlite3_bind_text(st, 5, r.kind, -1,
							  SQLITE_STATIC);
					sqlite3_bind_int(st, 6, r.innovative);
					sqlite3_bind_int64(st, 7,
						strtoll(r.cost, NULL, 10));
					sqlite3_bind_int64(st, 8,
						strtoll(r.people, NULL, 10));
				}
				if (sqlite3_step(st) != SQLITE_DONE ||
				    sqlite3_changes(db->db) != 1)
					sqlfail(db->db, "baseline write");
				sqlite3_reset(st);
			}
			if (sqlite3_exec(db->db, "COMMIT", NULL, NULL,
					 NULL) != SQLITE_OK)
				sqlfail(db->db, "commit");
			if (sqlite3session_changeset(ses, &ncs, &cs) != 0)
				sqlfail(db->db, "changeset");
			cs_path(b, series, k, path, sizeof path);
			write_file(path, cs, (size_t)ncs);
			sqlite3_free(cs);
			sqlite3session_delete(ses);
			res->changes[series] += BATCH;
		}
		res->secs[series] = (double)(ns() - t0) / 1e9;
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	cdsync_close(db);
}

static void *
read_file(const char *path, size_t *n)
{
	struct stat sb;
	void *p;
	FILE *f = fopen(path, "rb");

	if (f == NULL || fstat(fileno(f), &sb) != 0 ||
	    (p = malloc((size_t)sb.st_size + 1)) == NULL ||
	    fread(p, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		fprintf(stderr, "bundle_bench: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*n = (size_t)sb.st_size;
	return p;
}

static int
on_conflict(void *ctx, int why, sqlite3_changeset_iter *it)
{
	(void)why;
	(void)it;
	++*(int *)ctx;
	return SQLITE_CHANGESET_ABORT;
}

/* Changes in a changeset (one per row). */
static uint64_t
cs_count(void *p, size_t n)
{
	sqlite3_changeset_iter *it;
	uint64_t count = 0;

	if (sqlite3changeset_start(&it, (int)n, p) != SQLITE_OK)
		return 0;
	while (sqlite3changeset_next(it) == SQLITE_ROW)
		count++;
	sqlite3changeset_finalize(it);
	return count;
}

/* Phase "sqlite": the changesets applied to a fresh store, in order, each
 * read from its file before the clock starts. */
static void
apply(const struct bench *b, struct result *res)
{
	cdsync *db = newstore(b, "base-dst.db", CDSYNC_ROLE_SCHOOL,
			      SCHOOL_CODE, "Trường THCS Bench");
	uint64_t *lat = calloc(b->nb, sizeof *lat), t0;
	char path[1024];
	size_t n;
	void *p;
	uint32_t k;
	int series, conflicts = 0, rc;

	if (lat == NULL)
		fail(NULL, "out of memory");
	for (series = 0; series < 2; series++) {
		for (k = 0; k < b->nb; k++) {
			cs_path(b, series, k, path, sizeof path);
			p = read_file(path, &n);
			t0 = ns();
			if (sqlite3_exec(db->db, "BEGIN", NULL, NULL,
					 NULL) != SQLITE_OK)
				sqlfail(db->db, "begin");
			rc = sqlite3changeset_apply(db->db, (int)n, p, NULL,
						    on_conflict, &conflicts);
			if (rc != SQLITE_OK || conflicts != 0) {
				fprintf(stderr, "bundle_bench: apply: %d "
					"conflicts: %s\n", conflicts,
					sqlite3_errmsg(db->db));
				exit(1);
			}
			if (sqlite3_exec(db->db, "COMMIT", NULL, NULL,
					 NULL) != SQLITE_OK)
				sqlfail(db->db, "commit");
			lat[k] = ns() - t0;
			res->secs[series] += (double)lat[k] / 1e9;
			res->changes[series] += cs_count(p, n);
			free(p);
		}
		percentiles(lat, b->nb, res, series);
	}
	free(lat);
	cdsync_close(db);
}

/* Runs one phase in a child; returns its figures through a pipe. */
static struct result
run(const struct bench *b, char phase)
{
	struct result res;
	struct rusage ru;
	int fd[2], status;
	pid_t pid;

	memset(&res, 0, sizeof res);
	fflush(stdout);
	if (pipe(fd) != 0 || (pid = fork()) < 0)
		exit(1);
	if (pid == 0) {
		close(fd[0]);
		if (phase == 'h')
			hub(b, &res);
		else if (phase == 'r')
			record(b, &res);
		else
			apply(b, &res);
		if (write(fd[1], &res, sizeof res) != sizeof res)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &res, sizeof res) != sizeof res ||
	    wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bundle_bench: phase %c failed\n", phase);
		exit(1);
	}
	close(fd[0]);
	res.rss_kb = ru.ru_maxrss;
	return res;
}

/* ==== Sizes =========================================================== */

struct jbuf {
	char *p;
	size_t n, cap;
};

static void
jb_put(struct jbuf *j, const char *s, size_t n)
{
	if (j->n + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 65536;

		while (j->n + n + 1 > cap)
			cap *= 2;
		if ((j->p = realloc(j->p, cap)) == NULL)
			fail(NULL, "out of memory");
		j->cap = cap;
	}
	memcpy(j->p + j->n, s, n);
	j->n += n;
}

static void jb_printf(struct jbuf *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
jb_printf(struct jbuf *j, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		fail(NULL, "a JSON line is too long");
	jb_put(j, tmp, (size_t)n);
}

/* A JSON string: quotes, backslashes and control characters escaped,
 * UTF-8 as it is. */
static void
jb_str(struct jbuf *j, const char *s)
{
	const char *run0 = s;

	jb_put(j, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch != '"' && ch != '\\' && ch >= 0x20)
			continue;
		jb_put(j, run0, (size_t)(s - run0));
		if (ch == '"' || ch == '\\')
			jb_printf(j, "\\%c", ch);
		else
			jb_printf(j, "\\u%04x", ch);
		run0 = s + 1;
	}
	jb_put(j, run0, (size_t)(s - run0));
	jb_put(j, "\"", 1);
}

static void
hex16(const uint8_t *p, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[32] = '\0';
}

/* 1 if a field of an activity is a number in JSON. */
static int
numeric(const char *field)
{
	cdsync_field_info fi;
	size_t i;

	for (i = 1; cdsync_kind_field_info(CDSYNC_KIND_ACTIVITY, i, &fi) ==
		    CDSYNC_OK; i++)
		if (strcmp(fi.name, field) == 0)
			return fi.type == CDSYNC_FT_MONEY ||
			       fi.type == CDSYNC_FT_INT ||
			       fi.type == CDSYNC_FT_BOOL ||
			       fi.type == CDSYNC_FT_SCHOOL_YEAR;
	return 0;
}

struct sizes {
	uint64_t bundle[2], plain[2], json[2], zjson[2], cs[2];
	uint64_t lines[2];
};

/* Ends one JSON line; every 1,000 lines, compresses them as one frame. */
static void
json_flush(struct jbuf *j, struct sizes *sz, uint32_t nb, uint64_t *lines)
{
	int series = *lines >= (uint64_t)nb * BATCH;
	size_t cap, z;
	void *dst;

	jb_put(j, "}}\n", 3);
	sz->lines[series]++;
	if (++*lines % BATCH != 0)
		return;
	cap = ZSTD_compressBound(j->n);
	if ((dst = malloc(cap)) == NULL)
		fail(NULL, "out of memory");
	z = ZSTD_compress(dst, cap, j->p, j->n, 3);
	if (ZSTD_isError(z)) {
		fprintf(stderr, "bundle_bench: zstd: %s\n",
			ZSTD_getErrorName(z));
		exit(1);
	}
	/* the insert series ends where the updates begin */
	series = *lines > (uint64_t)nb * BATCH;
	sz->json[series] += j->n;
	sz->zjson[series] += z;
	free(dst);
	j->n = 0;
}

/* The school's activity changes as JSON lines, from its log. */
static void
json_sizes(const struct bench *b, struct sizes *sz)
{
	cdsync *db = openstore(b, "school.db", CDSYNC_OPEN_READONLY);
	cdsync_changes *it = NULL;
	const cdsync_change *ch;
	sqlite3_stmt *st;
	struct jbuf j = { NULL, 0, 0 };
	char rowhex[33], orighex[33];
	uint64_t seq = 0, lines = 0;
	int rc, inrow = 0;

	if (sqlite3_prepare_v2(db->db, "SELECT base FROM sync_change WHERE "
			       "seq = ?1", -1, &st, NULL) != SQLITE_OK)
		sqlfail(db->db, "base");
	if (cdsync_changes_open(db, 0, &it) != CDSYNC_OK)
		fail(db, "changes");
	while ((rc = cdsync_changes_next(it, &ch)) == CDSYNC_OK) {
		if (ch->kind != CDSYNC_KIND_ACTIVITY)
			continue;
		if (!inrow || ch->seq != seq) {
			if (inrow)
				json_flush(&j, sz, b->nb, &lines);
			inrow = 1;
			seq = ch->seq;
			sqlite3_bind_int64(st, 1, (int64_t)seq);
			if (sqlite3_step(st) != SQLITE_ROW)
				sqlfail(db->db, "base");
			hex16(ch->row, rowhex);
			hex16(ch->origin, orighex);
			jb_printf(&j, "{\"kind\":\"%s\",\"row\":\"%s\","
				  "\"op\":\"%s\",\"hlc\":%" PRIu64 ","
				  "\"origin\":\"%s\",\"base\":%lld,"
				  "\"cols\":{",
				  cdsync_kind_name(ch->kind), rowhex,
				  ch->field ? "set" : "delete", ch->hlc,
				  orighex,
				  (long long)sqlite3_column_int64(st, 0));
			sqlite3_reset(st);
		} else {
			jb_put(&j, ",", 1);
		}
		if (ch->field == NULL)
			continue;
		jb_str(&j, ch->field);
		jb_put(&j, ":", 1);
		if (ch->value == NULL)
			jb_put(&j, "null", 4);
		else if (numeric(ch->field))
			jb_put(&j, ch->value, strlen(ch->value));
		else
			jb_str(&j, ch->value);
	}
	if (rc != CDSYNC_DONE)
		fail(db, "changes");
	if (inrow)
		json_flush(&j, sz, b->nb, &lines);
	if (lines != 2 * (uint64_t)b->nb * BATCH || j.n != 0) {
		fprintf(stderr, "bundle_bench: %" PRIu64 " activity changes "
			"in the log, expected %" PRIu64 "\n", lines,
			2 * (uint64_t)b->nb * BATCH);
		exit(1);
	}
	free(j.p);
	sqlite3_finalize(st);
	cdsync_changes_close(it);
	cdsync_close(db);
}

static uint64_t
file_size(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "bundle_bench: no file %s\n", path);
		exit(1);
	}
	return (uint64_t)sb.st_size;
}

static void
sizes(const struct bench *b, struct sizes *sz)
{
	cdsync_bundle_info info;
	char path[1024];
	uint32_t k;
	int series;

	memset(sz, 0, sizeof *sz);
	for (series = 0; series < 2; series++)
		for (k = 0; k < b->nb; k++) {
			bundle_path(b, 2 + (uint32_t)series * b->nb + k, path,
				    sizeof path);
			sz->bundle[series] += file_size(path);
			if (cdsync_bundle_read(NULL, path, &info, NULL,
					       NULL) != CDSYNC_OK) {
				fprintf(stderr, "bundle_bench: %s: not a "
					"bundle\n", path);
				exit(1);
			}
			sz->plain[series] += info.plain_len;
			cs_path(b, series, k, path, sizeof path);
			sz->cs[series] += file_size(path);
		}
	json_sizes(b, sz);
}

/* The hub's activities are exactly the baseline's: rows in one and not
 * the other, both ways; returns the row count. */
static long
check(const struct bench *b)
{
	char path[1024], sql[1200];
	sqlite3 *db;
	sqlite3_stmt *st;
	long rows = -1, diff = -1;

	path_of(b, "hub.db", path, sizeof path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != 0)
		sqlfail(db, path);
	path_of(b, "base-dst.db", path, sizeof path);
	snprintf(sql, sizeof sql, "ATTACH '%s' AS base", path);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM "
			       "main.activity), (SELECT count(*) FROM "
			       "(SELECT * FROM main.activity EXCEPT SELECT * "
			       "FROM base.activity)) + (SELECT count(*) FROM "
			       "(SELECT * FROM base.activity EXCEPT SELECT * "
			       "FROM main.activity))", -1, &st, NULL) != 0)
		sqlfail(db, "check");
	if (sqlite3_step(st) == SQLITE_ROW) {
		rows = (long)sqlite3_column_int64(st, 0);
		diff = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (diff != 0) {
		fprintf(stderr, "bundle_bench: hub and baseline differ in %ld "
			"rows\n", diff);
		exit(1);
	}
	return rows;
}

static void
line(const char *name, const struct result *r, int series)
{
	printf("%-34s %10.0f %8.2f %8.2f %8.1f\n", name,
	       (double)r->changes[series] / r->secs[series],
	       (double)r->p50[series] / 1e6, (double)r->p99[series] / 1e6,
	       r->rss_kb / 1024.0);
}

int
main(int argc, char **argv)
{
	struct bench b;
	struct result h, base, rec;
	struct sizes sz;
	char tmpl[] = "/tmp/cdsync-bench-XXXXXX", cmd[600];
	double rec_secs[2], ratio[2];
	uint64_t *exp_lat, n;
	long rows;
	int i, s;

	memset(&b, 0, sizeof b);
	b.nb = 20;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bundles") == 0 && i + 1 < argc) {
			b.nb = (uint32_t)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			b.dir = argv[++i];
		} else {
			fprintf(stderr, "usage: bundle_bench [--bundles N] "
				"[--dir DIR]\n");
			return 2;
		}
	}
	if (b.nb == 0 || b.nb > 1000 || sodium_init() < 0)
		return 2;
	if (b.dir == NULL && (b.dir = mkdtemp(tmpl)) == NULL)
		return 1;
	n = (uint64_t)b.nb * BATCH;
	b.ids = calloc(n, sizeof *b.ids);
	exp_lat = calloc(2 * (size_t)b.nb, sizeof *exp_lat);
	if (b.ids == NULL || exp_lat == NULL)
		return 1;
	printf("bundle_bench: %" PRIu32 " bundles of %d inserts, then %"
	       PRIu32 " of %d updates (cost, title), WAL + "
	       "synchronous=FULL, in %s\n", b.nb, BATCH, b.nb, BATCH, b.dir);
	school(&b, rec_secs, exp_lat);
	qsort(exp_lat, 2 * (size_t)b.nb, sizeof *exp_lat, cmp);
	printf("school: recorded %.0f inserts/s, %.0f updates/s; "
	       "cdsync_export p50 %.1f ms, max %.1f ms a bundle\n",
	       (double)n / rec_secs[0], (double)n / rec_secs[1],
	       (double)exp_lat[b.nb] / 1e6,
	       (double)exp_lat[2 * b.nb - 1] / 1e6);
	h = run(&b, 'h');
	rec = run(&b, 'r');
	base = run(&b, 'a');
	printf("baseline: recorded with a session %.0f inserts/s, "
	       "%.0f updates/s\n\n", (double)n / rec.secs[0],
	       (double)n / rec.secs[1]);
	printf("%-34s %10s %8s %8s %8s\n", "per bundle of 1,000",
	       "changes/s", "p50 ms", "p99 ms", "RSS MB");
	line("cdsync import (inserts)", &h, 0);
	line("sqlite3changeset_apply (inserts)", &base, 0);
	line("cdsync import (updates)", &h, 1);
	line("sqlite3changeset_apply (updates)", &base, 1);
	for (s = 0; s < 2; s++)
		ratio[s] = ((double)h.changes[s] / h.secs[s]) /
			   ((double)base.changes[s] / base.secs[s]);
	printf("ratio import/apply (changes/s): inserts %.2f, updates %.2f  "
	       "(goal >= 1.0)\n\n", ratio[0], ratio[1]);
	sizes(&b, &sz);
	printf("%-34s %10s %10s\n", "bytes per change", "inserts", "updates");
	printf("%-34s %10.1f %10.1f\n", "bundle (.cdsb files)",
	       (double)sz.bundle[0] / (double)n,
	       (double)sz.bundle[1] / (double)n);
	printf("%-34s %10.1f %10.1f\n", "bundle payload, before zstd",
	       (double)sz.plain[0] / (double)n,
	       (double)sz.plain[1] / (double)n);
	printf("%-34s %10.1f %10.1f\n", "JSON lines",
	       (double)sz.json[0] / (double)n, (double)sz.json[1] / (double)n);
	printf("%-34s %10.1f %10.1f\n", "zstd -3 (JSON lines, 1,000 a frame)",
	       (double)sz.zjson[0] / (double)n,
	       (double)sz.zjson[1] / (double)n);
	printf("%-34s %10.1f %10.1f\n", "sqlite3 changeset (reference)",
	       (double)sz.cs[0] / (double)n, (double)sz.cs[1] / (double)n);
	printf("ratio bundle/zstd(JSON): inserts %.2f, updates %.2f  "
	       "(goal <= 0.6)\n", (double)sz.bundle[0] / (double)sz.zjson[0],
	       (double)sz.bundle[1] / (double)sz.zjson[1]);
	printf("ratio bundle/JSON:       inserts %.3f, updates %.3f  "
	       "(goal <= 0.1)\n", (double)sz.bundle[0] / (double)sz.json[0],
	       (double)sz.bundle[1] / (double)sz.json[1]);
	rows = check(&b);
	printf("check: the hub's %ld activities are the baseline's, value "
	       "for value\n", rows);
	free(b.ids);
	free(exp_lat);
	if (strcmp(b.dir, tmpl) == 0) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", b.dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
