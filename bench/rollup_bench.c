/* rollup_bench.c -- the nightly rollup on a synthetic national school
 * year.
 *
 * Builds a store (cdsync_open, then plain SQL in one transaction) with a
 * national union, 63 provinces, 700 districts and --schools schools
 * (default 60,000), each with 20-46 members (about 2 million for 60,000
 * schools), 20-30 activities in the school year 2025-2026 of every kind
 * (a quarter of them care, each with 5-20 of the school's members as
 * beneficiaries), a plan, two key tasks, two council seats, an initiative
 * for half of them, a legal case with its answer for three in ten, and
 * agreements of the national union.  Its ids are UUIDv7, as a node
 * writes them, from the day each record is written (a school's members
 * in one sitting in September, an activity on its day, a night's records
 * tonight; BENCH_RANDOM_IDS=1: random ids, as before).  Then, each phase
 * in a child process of its own (so that peak RSS is its own), on the
 * store's own SQLite settings (WAL; the page cache the rollup picks: 512
 * MiB for a full rollup, and the same for the baseline; SQLite's default
 * 2 MiB for a night; BENCH_CACHE_MIB=N sets N MiB in every phase
 * instead):
 *
 *   baseline  a plain C aggregation over a SELECT of the rows the rollup
 *             reads (activities, members with their care days, plans, key
 *             tasks, seats, initiatives, legal cases, agreements): each row
 *             added to per-school, per-period counters in memory;
 *   full      cds_rollup_run(full): every unit for the 36 periods;
 *   night     1% new records (activities with their beneficiaries,
 *             members, legal cases; each table's share of the store) at
 *             random schools, then cds_rollup_run (incremental); a week
 *             of such nights, one after another (BENCH_NIGHTS=N: N), as
 *             the differences a night keeps grow from one to the next;
 *   changes   1% of the schools' activities changed (kind and date), then
 *             the incremental rollup: those schools counted again whole.
 *
 * Prints each phase's time, rows/s and peak RSS, and the ratios: full
 * rows/s to the baseline's (goal >= 0.5), the nights' mean / full (goal
 * <= 0.02; the first and the slowest too),
 * changes / full (for reference).  Finally the national figures of the
 * rollup are checked against the KPI engine (cds_kpi_run) for the school
 * year.
 *
 * Usage: rollup_bench [--schools N] [--dir DIR]
 *                     [--night | --write-night | --rollup | --full |
 *                      --warm-night | --catalog]
 * (--dir keeps the store there; by default a temporary folder, removed.
 * With the --dir of an earlier run, to profile by hand: --night writes one
 * more night and runs its rollup; --write-night only writes it, --rollup
 * only runs the incremental rollup, --full only a full one, each in a
 * process of its own; --warm-night writes a night and rolls it up on the
 * same connection, with a page cache of 256 MiB, as a hub process that
 * kept what its writes read would.  --catalog, on the --dir of an
 * earlier run, puts a national catalog in the store -- 764 sheets, the
 * store's own tree and 700 schools more that have sent nothing, units of
 * the tree by the catalog alone -- then times a full rollup, a night,
 * and a night after a new edition of one district's sheet, when the
 * tree is built again with the catalog read.)
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

#include "catalog.h"
#include "cdsync/cdsync.h"
#include "id.h"
#include "kpi.h"
#include "period.h"
#include "rollup.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
rnd(int n)
{
	return (int)(rnd64() % (uint64_t)n);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_of(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The ms of the start of day "YYYY-MM-DD". */
static uint64_t
day_ms(const char *d)
{
	int y = 0, m = 1, dd = 1;

	if (sscanf(d, "%d-%d-%d", &y, &m, &dd) != 3) {
		fprintf(stderr, "rollup_bench: not a day: %s\n", d);
		exit(1);
	}
	return (uint64_t)days_of(y, m, dd) * 86400000u;
}

/* The ids of the store are UUIDv7, as cdsync_insert makes them (SPEC.md
 * "Time-ordered ids"): rec_ms is the clock of the record's writing, one
 * ms a record.  A school enters its members in one sitting in
 * September, an activity and its beneficiaries are written on the day it
 * is held, a night's records tonight.  BENCH_RANDOM_IDS=1 gives 128
 * random bits instead, the store of the benchmarks before stop 16 (no
 * cdsync node writes such ids). */
static uint64_t rec_ms;
static int random_ids, tonight;

static void
newid(uint8_t id[16])
{
	uint64_t a = rnd64(), b = rnd64();
	uint8_t r[10];

	if (random_ids) {
		memcpy(id, &a, 8);
		memcpy(id + 8, &b, 8);
		return;
	}
	memcpy(r, &a, 8);
	memcpy(r + 8, &b, 2);
	cds_id_make(rec_ms++, r, id);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "rollup_bench: %s: %s\n", what,
		db ? sqlite3_errmsg(db) : "failed");
	exit(1);
}

static void
exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(db, sql);
	return st;
}

static void
step(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die(db, sqlite3_sql(st));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static sqlite3 *
open_db(const char *path)
{
	const char *mib = getenv("BENCH_CACHE_MIB");
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(db, path);
	exec(db, "PRAGMA journal_mode = WAL");
	exec(db, "PRAGMA synchronous = NORMAL");
	/* the store's own cache (the rollup sets a large one for a full
	 * rollup), unless BENCH_CACHE_MIB says another */
	if (mib != NULL) {
		char q[64];

		snprintf(q, sizeof q, "PRAGMA cache_size = -%ld",
			 strtol(mib, NULL, 10) * 1024);
		exec(db, q);
	}
	if (getenv("BENCH_MMAP"))
		exec(db, "PRAGMA mmap_size = 2147418112");
	exec(db, "PRAGMA foreign_keys = OFF");
	return db;
}

/* ==== The store ======================================================= */

struct gen {
	sqlite3 *db;
	sqlite3_stmt *org, *mem, *act, *ben, *plan, *task, *seat, *init,
		*lcase, *levent, *agree;
	uint8_t (*schools)[16];
	int nschools;
	uint64_t rows;
};

static const char *const kinds[] = {
	"care", "care", "care", "care", "care", "propaganda", "propaganda",
	"propaganda", "training", "training", "culture", "culture", "culture",
	"health", "health", "emulation", "dialogue", "inspection",
	"remote_support", "welfare"
};

/* A day of the school year 2025-2026. */
static void
day_sy(char d[11])
{
	int m = 1 + rnd(12), dd = 1 + rnd(28);

	/* Digits by hand: m is 1..12 and dd 1..28, which snprintf's
	 * truncation check cannot see through rnd(). */
	memcpy(d, m >= 9 ? "2025-" : "2026-", 5);
	d[5] = (char)('0' + m / 10);
	d[6] = (char)('0' + m % 10);
	d[7] = '-';
	d[8] = (char)('0' + dd / 10);
	d[9] = (char)('0' + dd % 10);
	d[10] = '\0';
}

static void
org(struct gen *g, uint8_t id[16], const char *code, const char *level,
    const uint8_t *parent)
{
	newid(id);
	sqlite3_bind_blob(g->org, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_text(g->org, 2, code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(g->org, 3, level, -1, SQLITE_STATIC);
	if (parent)
		sqlite3_bind_blob(g->org, 4, parent, 16, SQLITE_STATIC);
	step(g->db, g->org);
}

/* One activity of school s with its beneficiaries among mem[0..nm). */
static void
activity(struct gen *g, const uint8_t s[16], uint8_t (*mem)[16], int nm)
{
	const char *k = kinds[rnd(20)];
	uint8_t id[16], bid[16];
	char d[11];
	int i, nb, start;
	uint64_t was = rec_ms;

	day_sy(d);
	if (!tonight)	/* written on its day, its beneficiaries with it */
		rec_ms = day_ms(d) + (uint64_t)rnd(36000000);
	newid(id);
	sqlite3_bind_blob(g->act, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_blob(g->act, 2, s, 16, SQLITE_STATIC);
	sqlite3_bind_text(g->act, 3, d, -1, SQLITE_STATIC);
	sqlite3_bind_text(g->act, 4, k, -1, SQLITE_STATIC);
	sqlite3_bind_int(g->act, 5, rnd(10) == 0);
	sqlite3_bind_int64(g->act, 6, strcmp(k, "care") == 0
					      ? (int64_t)(1 + rnd(10)) * 1000000
					      : 0);
	step(g->db, g->act);
	g->rows++;
	if (strcmp(k, "care") != 0 || nm == 0) {
		if (!tonight)
			rec_ms = was;
		return;
	}
	nb = 5 + rnd(16);
	if (nb > nm)
		nb = nm;
	start = rnd(nm);
	for (i = 0; i < nb; i++) {
		newid(bid);
		sqlite3_bind_blob(g->ben, 1, bid, 16, SQLITE_STATIC);
		sqlite3_bind_blob(g->ben, 2, id, 16, SQLITE_STATIC);
		sqlite3_bind_blob(g->ben, 3, mem[(start + i) % nm], 16,
				  SQLITE_STATIC);
		step(g->db, g->ben);
		g->rows++;
	}
	if (!tonight)
		rec_ms = was;
}

static void
member(struct gen *g, const uint8_t s[16], uint8_t id[16])
{
	newid(id);
	sqlite3_bind_blob(g->mem, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_blob(g->mem, 2, s, 16, SQLITE_STATIC);
	if (rnd(20) == 0)
		sqlite3_bind_text(g->mem, 3, "2026-03-31", -1, SQLITE_STATIC);
	step(g->db, g->mem);
	g->rows++;
}

static void
legal(struct gen *g, const uint8_t s[16])
{
	uint8_t id[16], eid[16];
	char d[11];

	uint64_t was = rec_ms;

	day_sy(d);
	if (!tonight)
		rec_ms = day_ms(d) + (uint64_t)rnd(36000000);
	newid(id);
	sqlite3_bind_blob(g->lcase, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_blob(g->lcase, 2, s, 16, SQLITE_STATIC);
	sqlite3_bind_text(g->lcase, 3, d, -1, SQLITE_STATIC);
	step(g->db, g->lcase);
	newid(eid);
	sqlite3_bind_blob(g->levent, 1, eid, 16, SQLITE_STATIC);
	sqlite3_bind_blob(g->levent, 2, id, 16, SQLITE_STATIC);
	sqlite3_bind_text(g->levent, 3, d, -1, SQLITE_STATIC);
	step(g->db, g->levent);
	g->rows += 2;
	if (!tonight)
		rec_ms = was;
}

static void
gen_open(struct gen *g, sqlite3 *db)
{
	memset(g, 0, sizeof *g);
	g->db = db;
	g->org = prep(db, "INSERT INTO org_unit (id, code, name, level, "
			  "parent_id) VALUES (?1, ?2, ?2, ?3, ?4)");
	g->mem = prep(db, "INSERT INTO member (id, org_id, full_name, "
			  "left_on) VALUES (?1, ?2, 'Đoàn viên', ?3)");
	g->act = prep(db, "INSERT INTO activity (id, org_id, held_on, title, "
			  "kind, innovative, cost) VALUES (?1, ?2, ?3, "
			  "'Hoạt động', ?4, ?5, ?6)");
	g->ben = prep(db, "INSERT INTO benefit (id, activity_id, member_id) "
			  "VALUES (?1, ?2, ?3)");
	g->plan = prep(db, "INSERT INTO plan (id, org_id, school_year, title) "
			   "VALUES (?1, ?2, 2025, 'Kế hoạch')");
	g->task = prep(db, "INSERT INTO key_task (id, org_id, kind, title) "
			   "VALUES (?1, ?2, ?3, 'Nhiệm vụ')");
	g->seat = prep(db, "INSERT INTO council_seat (id, org_id, member_id, "
			   "council, from_on) VALUES (?1, ?2, ?3, 'salary', "
			   "'2025-09-01')");
	g->init = prep(db, "INSERT INTO initiative (id, org_id, title, "
			   "author, year, clc_proposed) VALUES (?1, ?2, "
			   "'Sáng kiến', 'Tác giả', 2026, 1)");
	g->lcase = prep(db, "INSERT INTO legal_case (id, org_id, opened_on, "
			    "topic) VALUES (?1, ?2, ?3, 'Tư vấn')");
	g->levent = prep(db, "INSERT INTO legal_event (id, case_id, at, "
			     "status) VALUES (?1, ?2, ?3, 'advised')");
	g->agree = prep(db, "INSERT INTO agreement (id, org_id, partner, "
			    "title, signed_on) VALUES (?1, ?2, 'Đối tác', "
			    "'Thỏa thuận', '2025-12-01')");
}

static void
gen_close(struct gen *g)
{
	sqlite3_stmt *s[] = { g->org, g->mem, g->act, g->ben, g->plan,
			      g->task, g->seat, g->init, g->lcase, g->levent,
			      g->agree };
	size_t i;

	for (i = 0; i < sizeof s / sizeof s[0]; i++)
		sqlite3_finalize(s[i]);
}

static void
build(const char *path, int nschools)
{
	uint8_t nat[16], prov[63][16], dist[700][16], id[16], mem[46][16];
	char code[32];
	struct gen g;
	sqlite3 *db;
	double t0 = now_s();
	int i, k, nm;

	db = open_db(path);
	exec(db, "PRAGMA journal_mode = OFF");
	exec(db, "PRAGMA synchronous = OFF");
	exec(db, "BEGIN");
	gen_open(&g, db);
	rec_ms = day_ms("2025-08-15");	/* the tree, before the year */
	org(&g, nat, "VN", "national", NULL);
	for (i = 0; i < 63; i++) {
		snprintf(code, sizeof code, "P%02d", i);
		org(&g, prov[i], code, "upper", nat);
	}
	for (i = 0; i < 700; i++) {
		snprintf(code, sizeof code, "P%02d-D%03d", i % 63, i);
		org(&g, dist[i], code, "upper", prov[i % 63]);
	}
	g.schools = malloc((size_t)nschools * 16);
	if (g.schools == NULL)
		die(NULL, "out of memory");
	g.nschools = nschools;
	for (i = 0; i < nschools; i++) {
		snprintf(code, sizeof code, "S%06d", i);
		org(&g, g.schools[i], code, "grassroots", dist[i % 700]);
		/* its sitting: the schools over the first two weeks */
		rec_ms = day_ms("2025-09-03") + (uint64_t)i * 20000;
		nm = 20 + rnd(27);
		for (k = 0; k < nm; k++)
			member(&g, g.schools[i], mem[k]);
		for (k = 20 + rnd(11); k > 0; k--)
			activity(&g, g.schools[i], mem, nm);
		newid(id);
		sqlite3_bind_blob(g.plan, 1, id, 16, SQLITE_STATIC);
		sqlite3_bind_blob(g.plan, 2, g.schools[i], 16, SQLITE_STATIC);
		step(db, g.plan);
		for (k = 0; k < 2; k++) {
			newid(id);
			sqlite3_bind_blob(g.task, 1, id, 16, SQLITE_STATIC);
			sqlite3_bind_blob(g.task, 2, g.schools[i], 16,
					  SQLITE_STATIC);
			sqlite3_bind_text(g.task, 3, k ? "task" : "strategy",
					  -1, SQLITE_STATIC);
			step(db, g.task);
			newid(id);
			sqlite3_bind_blob(g.seat, 1, id, 16, SQLITE_STATIC);
			sqlite3_bind_blob(g.seat, 2, g.schools[i], 16,
					  SQLITE_STATIC);
			sqlite3_bind_blob(g.seat, 3, mem[k], 16, SQLITE_STATIC);
			step(db, g.seat);
		}
		if (rnd(2)) {
			newid(id);
			sqlite3_bind_blob(g.init, 1, id, 16, SQLITE_STATIC);
			sqlite3_bind_blob(g.init, 2, g.schools[i], 16,
					  SQLITE_STATIC);
			step(db, g.init);
		}
		if (rnd(10) < 3)
			legal(&g, g.schools[i]);
		g.rows += 6;
	}
	for (i = 0; i < 10; i++) {
		newid(id);
		sqlite3_bind_blob(g.agree, 1, id, 16, SQLITE_STATIC);
		sqlite3_bind_blob(g.agree, 2, nat, 16, SQLITE_STATIC);
		step(db, g.agree);
	}
	gen_close(&g);
	exec(db, "COMMIT");
	exec(db, "PRAGMA journal_mode = WAL");
	sqlite3_close(db);
	free(g.schools);
	printf("store: %d schools, %" PRIu64 " rows, built in %.1f s\n",
	       nschools, g.rows, now_s() - t0);
	fflush(stdout);
}

/* ==== The phases ====================================================== */

static long
peak_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Per-school counters of the baseline: per period of the 36, what the
 * rollup counts for a union, without its rules. */
struct acc {
	uint8_t id[16];
	int64_t v[36][8];
};

/* A slot for id: both halves mixed (a UUIDv7 begins with its time, the
 * same in its first bytes for every school of a sitting; the low bits of
 * a product of the first half alone collided). */
static size_t
slot(const uint8_t *id, size_t cap)
{
	uint64_t a, b, h;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	h = a ^ (b * 0x9e3779b97f4a7c15ULL);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (cap - 1);
}

static int
dnum(const unsigned char *s)
{
	if (s == NULL)
		return 0;
	return ((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
		(s[3] - '0')) * 10000 +
	       ((s[5] - '0') * 10 + (s[6] - '0')) * 100 +
	       (s[8] - '0') * 10 + (s[9] - '0');
}

/* The baseline: each row of each SELECT added to its school's counters,
 * over the 36 periods (a day compared with every window). */
static void
baseline(const char *path, double *secs, uint64_t *rows)
{
	static const char *const q[] = {
		"SELECT org_id, held_on, kind, key_task_id IS NOT NULL, "
		"innovative, cost FROM activity",
		"SELECT m.org_id, m.joined_on, m.left_on, (SELECT "
		"group_concat(a.held_on) FROM benefit f JOIN activity a ON "
		"a.id = f.activity_id WHERE f.member_id = m.id AND a.kind = "
		"'care') FROM member m",
		"SELECT org_id, school_year FROM plan WHERE tied_to_tasks = 1",
		"SELECT org_id, kind FROM key_task WHERE term_start = 2023",
		"SELECT org_id, from_on, to_on FROM council_seat",
		"SELECT org_id, year FROM initiative WHERE clc_proposed = 1",
		"SELECT c.org_id, c.opened_on, (SELECT min(e.at) FROM "
		"legal_event e WHERE e.case_id = c.id AND e.status IN "
		"('advised', 'resolved')) FROM legal_case c",
		"SELECT org_id, signed_on FROM agreement",
	};
	int d0[36], d1[36], i, p;
	size_t cap = 1, k, j;
	struct acc *a;
	sqlite3 *db = open_db(path);
	sqlite3_stmt *st;
	double t0;

	if (getenv("BENCH_CACHE_MIB") == NULL)	/* the full rollup's cache */
		exec(db, "PRAGMA cache_size = -524288");
	for (i = 0; i < 36; i++) {	/* the rollup's 36 windows */
		struct cds_period cp;
		char name[24], e[256];

		if (cds_period_parse(cds_rollup_period(i, name), &cp, e,
				     sizeof e) != 0)
			die(NULL, e);
		d0[i] = dnum((const unsigned char *)cp.from);
		d1[i] = dnum((const unsigned char *)cp.to);
	}
	while (cap < (size_t)2 * 61000 * 2)
		cap *= 2;
	if ((a = calloc(cap, sizeof *a)) == NULL)
		die(NULL, "out of memory");
	*rows = 0;
	t0 = now_s();
	for (j = 0; j < sizeof q / sizeof q[0]; j++) {
		st = prep(db, q[j]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const uint8_t *id = sqlite3_column_blob(st, 0);
			const unsigned char *t = sqlite3_column_text(st, 1);
			int d = sqlite3_column_type(st, 1) == SQLITE_TEXT
					? dnum(t)
					: sqlite3_column_int(st, 1);

			if (id == NULL)
				continue;
			for (k = slot(id, cap);
			     memcmp(a[k].id, id, 16) != 0 &&
			     (a[k].id[0] | a[k].id[1] | a[k].id[15]) != 0;
			     k = (k + 1) & (cap - 1))
				;
			memcpy(a[k].id, id, 16);
			for (p = 0; p < 36; p++)
				if (d0[p] <= d && d <= d1[p])
					a[k].v[p][j] += 1 + sqlite3_column_int64(st, 3);
			(*rows)++;
		}
		sqlite3_finalize(st);
	}
	*secs = now_s() - t0;
	free(a);
	sqlite3_close(db);
}

/* 1% new records, or 1% of the activities changed. */
static void
night_on(sqlite3 *db, int change)
{
	sqlite3_stmt *pick, *upd;
	uint8_t s[16], mem[46][16], (*all)[16] = NULL;
	struct gen g;
	int64_t n, i, k, nm, ns = 0;

	exec(db, "BEGIN");
	tonight = 1;
	rec_ms = (uint64_t)time(NULL) * 1000;
	if (change) {
		/* 1% of the activities, at random: kind and date changed */
		upd = prep(db, "UPDATE activity SET kind = ?2, held_on = ?3 "
			       "WHERE id = ?1");
		pick = prep(db, "SELECT id FROM activity WHERE abs(random()) % "
				"100 = 0");
		while (sqlite3_step(pick) == SQLITE_ROW) {
			char d[11];

			day_sy(d);
			sqlite3_bind_blob(upd, 1, sqlite3_column_blob(pick, 0),
					  16, SQLITE_TRANSIENT);
			sqlite3_bind_text(upd, 2, kinds[rnd(20)], -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(upd, 3, d, -1, SQLITE_TRANSIENT);
			step(db, upd);
		}
		sqlite3_finalize(pick);
		sqlite3_finalize(upd);
		exec(db, "COMMIT");
		return;
	}
	/* 1% of each kind of record, at random schools: a school's new
	 * activities go with new beneficiaries among its members */
	gen_open(&g, db);
	pick = prep(db, "SELECT count(*) FROM activity");
	if (sqlite3_step(pick) != SQLITE_ROW)
		die(db, "count");
	n = sqlite3_column_int64(pick, 0) / 100;
	sqlite3_finalize(pick);
	pick = prep(db, "SELECT id FROM org_unit WHERE level = 'grassroots'");
	while (sqlite3_step(pick) == SQLITE_ROW) {
		if ((ns & (ns - 1)) == 0) {
			uint8_t (*more)[16] =
				realloc(all, (size_t)(ns ? 2 * ns : 1) * 16);

			if (more == NULL)
				die(NULL, "out of memory");
			all = more;
		}
		memcpy(all[ns++], sqlite3_column_blob(pick, 0), 16);
	}
	if (ns == 0)
		die(NULL, "no school");
	upd = prep(db, "SELECT id FROM member WHERE org_id = ?1 LIMIT 46");
	for (i = 0; i < n; i += 1) {
		memcpy(s, all[rnd((int)ns)], 16);
		sqlite3_reset(upd);
		sqlite3_bind_blob(upd, 1, s, 16, SQLITE_STATIC);
		for (nm = 0; nm < 46 && sqlite3_step(upd) == SQLITE_ROW; nm++)
			memcpy(mem[nm], sqlite3_column_blob(upd, 0), 16);
		activity(&g, s, mem, (int)nm);
		if (i % 3 == 0)		/* members: 4 for 3 activities */
			for (k = 0; k < 4; k++)
				member(&g, s, mem[0]);
		if (i % 80 == 0)
			legal(&g, s);
	}
	sqlite3_finalize(pick);
	sqlite3_finalize(upd);
	free(all);
	gen_close(&g);
	exec(db, "COMMIT");
	printf("night: %" PRIu64 " new records written\n", g.rows);
	fflush(stdout);
}

static void
night(const char *path, int change)
{
	sqlite3 *db = open_db(path);

	night_on(db, change);
	sqlite3_close(db);
}

/* Runs the rollup on db; prints what it did. */
static double
rollup_on(sqlite3 *db, int full, const char *name)
{
	cdsync_rollup_stats st;
	char err[512];
	double t0 = now_s(), t;

	if (cds_rollup_run(db, full, NULL, NULL, &st, err, sizeof err) !=
	    CDSYNC_OK) {
		fprintf(stderr, "rollup_bench: %s: %s\n", name, err);
		exit(1);
	}
	t = now_s() - t0;
	printf("%-9s %8.2f s  %zu units, %zu counted whole, %zu records added"
	       "%s; peak RSS %ld MiB\n",
	       name, t, st.units, st.recomputed, st.rows,
	       st.full ? " (full)" : "", peak_kib() / 1024);
	fflush(stdout);
	return t;
}

static double
rollup(const char *path, int full, const char *name)
{
	sqlite3 *db = open_db(path);
	double t = rollup_on(db, full, name);

	sqlite3_close(db);
	return t;
}

/* The national figures of the rollup against the engine's. */
static int
check(const char *path)
{
	cdsync_kpis *a = NULL, *b = NULL;
	sqlite3 *db = open_db(path);
	char err[512];
	size_t i;
	int bad = 0;

	if (cds_kpi_run(db, NULL, "VN", "2025-2026", NULL, &a, err,
			sizeof err) != CDSYNC_OK ||
	    cds_rollup_kpis(db, "VN", "2025-2026", &b, err, sizeof err) !=
		    CDSYNC_OK) {
		fprintf(stderr, "rollup_bench: check: %s\n", err);
		exit(1);
	}
	for (i = 0; i < cdsync_kpi_count(a); i++) {
		const cdsync_kpi *x = cdsync_kpi_at(a, i), *y = cdsync_kpi_at(b, i);

		if (x->num != y->num || x->den != y->den) {
			printf("DIFFERENT %s: engine %lld/%lld, rollup "
			       "%lld/%lld\n",
			       x->id, (long long)x->num, (long long)x->den,
			       (long long)y->num, (long long)y->den);
			bad = 1;
		}
	}
	printf("check: the national figures for 2025-2026 %s the KPI "
	       "engine's (P2.U.coverage %lld/%lld)\n",
	       bad ? "DIFFER FROM" : "equal",
	       (long long)cdsync_kpi_at(b, 8)->num,
	       (long long)cdsync_kpi_at(b, 8)->den);
	cdsync_kpi_free(a);
	cdsync_kpi_free(b);
	sqlite3_close(db);
	return bad;
}

/* The time a phase printed on the pipe, in a child of its own. */
/* ==== A national catalog (--catalog) ================================ */

/* One sheet of issuer (serial) with the node entries e[0..n), signed by
 * sk, into trust_sheet.  The rollup reads the sheets as they are stored
 * (their chain was checked when they came in); one key signs them all. */
static void
put_sheet(sqlite3 *db, const uint8_t issuer[16], uint64_t serial,
	  struct cds_entry *e, size_t n, const uint8_t pk[32],
	  const uint8_t sk[64])
{
	struct cds_sheet sh;
	sqlite3_stmt *st;
	cds_buf b;

	memset(&sh, 0, sizeof sh);
	memcpy(sh.issuer, issuer, 16);
	memcpy(sh.issuer_pk, pk, 32);
	sh.serial = serial;
	sh.issued_ms = day_ms("2025-08-20");
	sh.kpi_version = 1;
	sh.count = n;
	sh.e = e;
	cds_buf_init(&b, CDS_CATALOG_MAX_BYTES);
	cds_sheet_write(&b, &sh, sk);
	if (b.rc != 0)
		die(NULL, "a sheet");
	st = prep(db, "INSERT OR REPLACE INTO trust_sheet (issuer, serial, "
		      "bytes) VALUES (?1, ?2, ?3)");
	sqlite3_bind_blob(st, 1, issuer, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)serial);
	sqlite3_bind_blob(st, 3, b.p, (int)b.n, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		die(db, "trust_sheet");
	sqlite3_finalize(st);
	cds_buf_free(&b);
}

static void
entry(struct cds_entry *e, cdsync_role role, const char *code,
      const char *parent, const char *from)
{
	memset(e, 0, sizeof *e);
	e->type = CDS_ENTRY_NODE;
	newid(e->node);
	e->role = (uint8_t)role;
	randombytes_buf(e->sign_pk, 32);
	randombytes_buf(e->box_pk, 32);
	e->from_ms = day_ms(from);
	snprintf(e->org_code, sizeof e->org_code, "%s", code);
	snprintf(e->name, sizeof e->name, "%s", code);
	snprintf(e->parent_code, sizeof e->parent_code, "%s", parent);
}

/* The catalog of the store's tree: the national sheet enrols the 63
 * provinces, each province its districts, each district its schools
 * and one school more that has sent nothing (X + the district's
 * number): 700 silent schools, units of the tree only by the catalog.
 * extra > 0: district 0's sheet again, edition 2, with `extra` more such
 * schools enrolled today. */
static void
put_catalog(const char *path, int nschools, int extra)
{
	static struct cds_entry e[2000];
	static const uint8_t seed[32] = "cdsync bench catalog key seed..";
	uint8_t pk[32], sk[64], nat[16], prov[63][16], dist[700][16];
	char code[32], parent[32], today[16];
	sqlite3 *db = open_db(path);
	uint64_t was = rng;
	time_t now = time(NULL);
	struct tm tm;
	int i, j, n;
	double t0 = now_s();

	if (sodium_init() < 0)
		die(NULL, "libsodium");
	rng = 0x5eed5eed5eedULL;	/* the same nodes every time */
	crypto_sign_seed_keypair(pk, sk, seed);
	gmtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	newid(nat);
	for (i = 0; i < 63; i++)
		newid(prov[i]);
	for (i = 0; i < 700; i++)
		newid(dist[i]);
	exec(db, "BEGIN");
	if (extra == 0) {
		for (i = 0; i < 63; i++) {
			snprintf(code, sizeof code, "P%02d", i);
			entry(&e[i], CDSYNC_ROLE_HUB, code, "VN", "2023-08-01");
		}
		put_sheet(db, nat, 1, e, 63, pk, sk);
		for (i = 0; i < 63; i++) {
			snprintf(parent, sizeof parent, "P%02d", i);
			for (n = 0, j = i; j < 700; j += 63, n++) {
				snprintf(code, sizeof code, "P%02d-D%03d", i, j);
				entry(&e[n], CDSYNC_ROLE_HUB, code, parent,
				      "2023-08-01");
			}
			put_sheet(db, prov[i], 1, e, (size_t)n, pk, sk);
		}
	}
	for (j = 0; j < (extra ? 1 : 700); j++) {
		snprintf(parent, sizeof parent, "P%02d-D%03d", j % 63, j);
		for (n = 0, i = j; i < nschools && n < 1900; i += 700, n++) {
			snprintf(code, sizeof code, "S%06d", i);
			entry(&e[n], CDSYNC_ROLE_SCHOOL, code, parent,
			      "2025-08-20");
		}
		snprintf(code, sizeof code, "X%06d", j);
		entry(&e[n++], CDSYNC_ROLE_SCHOOL, code, parent, "2025-08-20");
		for (i = 0; i < extra && n < 2000; i++) {
			snprintf(code, sizeof code, "Y%06d", i);
			entry(&e[n++], CDSYNC_ROLE_SCHOOL, code, parent, today);
		}
		put_sheet(db, dist[j], extra ? 2 : 1, e, (size_t)n, pk, sk);
	}
	exec(db, "COMMIT");
	sqlite3_close(db);
	rng = was;
	if (extra == 0)
		printf("catalog: 764 sheets (the nation, 63 provinces, 700 "
		       "districts) enrolling %d schools, 700 of them that "
		       "sent nothing, written in %.1f s\n",
		       nschools + 700, now_s() - t0);
	else
		printf("catalog: district P00-D000's sheet, edition 2, "
		       "enrolling %d more schools today\n",
		       extra);
	fflush(stdout);
}

static double
child(const char *path, int what, uint64_t *rows)
{
	int fd[2], status;
	double v[2] = { 0, 0 };
	pid_t pid = -1;

	if (pipe(fd) != 0 || (pid = fork()) < 0)
		die(NULL, "fork");
	if (pid == 0) {
		close(fd[0]);
		switch (what) {
		case 0: {
			uint64_t r = 0;

			baseline(path, &v[0], &r);
			v[1] = (double)r;
			printf("baseline  %8.2f s  %" PRIu64 " rows, %.0f "
			       "rows/s; peak RSS %ld MiB\n",
			       v[0], r, (double)r / v[0], peak_kib() / 1024);
			break;
		}
		case 1:
			v[0] = rollup(path, 1, "full");
			break;
		case 2:
			night(path, 0);
			v[0] = rollup(path, 0, "night");
			break;
		case 3:
			night(path, 1);
			v[0] = rollup(path, 0, "changes");
			break;
		default:
			v[0] = check(path);
		}
		fflush(stdout);
		if (write(fd[1], v, sizeof v) != (ssize_t)sizeof v)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], v, sizeof v) != (ssize_t)sizeof v)
		v[0] = -1;
	close(fd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die(NULL, "a phase failed");
	if (rows)
		*rows = (uint64_t)v[1];
	return v[0];
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *phase = NULL;
	char tmpl[] = "/tmp/rollup-bench-XXXXXX", path[4200];
	int schools = 60000, i;
	double tb, tf, tn = 0, tc, tfirst = 0, tmax = 0;
	const char *ns = getenv("BENCH_NIGHTS");
	int nights = ns ? (int)strtol(ns, NULL, 10) : 7, k;
	uint64_t rows = 0;
	cdsync *c = NULL;
	const char *rid = getenv("BENCH_RANDOM_IDS");

	random_ids = rid != NULL && strcmp(rid, "0") != 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--schools") == 0 && i + 1 < argc)
			schools = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--night") == 0 ||
			 strcmp(argv[i], "--write-night") == 0 ||
			 strcmp(argv[i], "--rollup") == 0 ||
			 strcmp(argv[i], "--warm-night") == 0 ||
			 strcmp(argv[i], "--full") == 0 ||
			 strcmp(argv[i], "--catalog") == 0)
			phase = argv[i] + 2;
		else {
			fprintf(stderr, "usage: rollup_bench [--schools N] "
					"[--dir DIR] [--night | --write-night "
					"| --rollup | --full | --warm-night "
					"| --catalog]\n");
			return 2;
		}
	}
	if (schools < 1 || schools > 1000000) {
		fprintf(stderr, "rollup_bench: --schools from 1 to 1000000\n");
		return 2;
	}
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL)
		die(NULL, "mkdtemp");
	snprintf(path, sizeof path, "%s/hub.db", dir);
	if (phase != NULL) {	/* by hand, to profile: one more night */
		rng ^= (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
		if (strcmp(phase, "full") == 0) {
			rollup(path, 1, "full");
			return 0;
		}
		if (strcmp(phase, "catalog") == 0) {
			sqlite3 *db = open_db(path);
			sqlite3_stmt *st = prep(db, "SELECT count(*) FROM "
						"org_unit WHERE level = "
						"'grassroots'");
			double ts;

			/* the schools the store was built with */
			if (sqlite3_step(st) != SQLITE_ROW)
				die(db, "org_unit");
			schools = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
			sqlite3_close(db);
			put_catalog(path, schools, 0);
			tf = child(path, 1, NULL);
			tn = child(path, 2, NULL);
			put_catalog(path, schools, 5);
			ts = child(path, 2, NULL);
			printf("\nwith the catalog: night %.4f x the full "
			       "rollup; a night after a new edition of one "
			       "district's sheet (the tree built again) "
			       "%.4f x\n",
			       tn / tf, ts / tf);
			return 0;
		}
		if (strcmp(phase, "warm-night") == 0) {
			/* the night written and rolled up on one connection
			 * with a page cache of 256 MiB (BENCH_CACHE_MIB:
			 * another): what the writes read stays warm */
			sqlite3 *db = open_db(path);

			if (getenv("BENCH_CACHE_MIB") == NULL)
				exec(db, "PRAGMA cache_size = -262144");
			night_on(db, 0);
			rollup_on(db, 0, "warm");
			sqlite3_close(db);
			return 0;
		}
		if (strcmp(phase, "rollup") != 0)
			night(path, 0);
		if (strcmp(phase, "write-night") != 0)
			rollup(path, 0, "night");
		return 0;
	}
	unlink(path);
	if (cdsync_open(path, CDSYNC_OPEN_CREATE, &c) != CDSYNC_OK)
		die(NULL, cdsync_errmsg(c));
	cdsync_close(c);
	if (nights < 1)
		nights = 1;
	build(path, schools);
	tb = child(path, 0, &rows);
	tf = child(path, 1, NULL);
	/* a week of nights: what a night keeps apart from the leaves grows
	 * from night to night, so the first after a full rollup is not the
	 * whole story */
	for (k = 0; k < nights; k++) {
		double t = child(path, 2, NULL);

		tn += t;
		tmax = t > tmax ? t : tmax;
		if (k == 0)
			tfirst = t;
	}
	tn /= nights;
	tc = child(path, 3, NULL);
	i = (int)child(path, 4, NULL);
	printf("\nfull rollup: %.0f rows/s, %.2f x the baseline's (goal >= "
	       "0.5)\n",
	       (double)rows / tf, tb / tf);
	printf("night with 1%% new records, the mean of %d: %.4f x the full "
	       "rollup (goal <= 0.02); the first %.4f x, the slowest %.4f "
	       "x\n",
	       nights, tn / tf, tfirst / tf, tmax / tf);
	printf("night with 1%% of the activities changed: %.3f x the full "
	       "rollup\n",
	       tc / tf);
	if (strncmp(dir, "/tmp/rollup-bench-", 18) == 0) {
		char wal[4300];

		unlink(path);
		snprintf(wal, sizeof wal, "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof wal, "%s-shm", path);
		unlink(wal);
		rmdir(dir);
	}
	return i;
}
