/* crash_test.c -- SIGKILL at random points of recording, sealing and
 * exporting, taking bundles in and the hub's rollup; then recovery and
 * the checks the union's promise needs (issue "Nothing lost"):
 *
 *   - recording: every write the child reported committed is there, at
 *     most the one in flight besides, none twice, each with exactly its
 *     captured change;
 *   - export: bundle numbers 1..n without a gap or a number used twice,
 *     every change of the log sealed in exactly one bundle once exported
 *     again;
 *   - ingest: after the killed imports and a final one, the hub has every
 *     bundle merged once (its chain position is n), every activity once,
 *     and the same KPI figures as the school;
 *   - rollup (nights and full runs, between the imports): after each
 *     kill the next night brings the hub's rollup to exactly the figures
 *     counted from its records;
 *   - every store passes PRAGMA integrity_check after every kill.
 *
 * Each kill point forks a child that works on the stores, and kills it
 * after a random delay (SIGKILL: no handler runs, no buffer is flushed;
 * the kernel keeps what was written, as after a process crash).  Usage:
 *
 *   crash_test [KILLS [SEED]]      default 120 kill points, seed from time
 *
 * Prints one line per phase and a summary; exit 0 when every check held.
 * Stores are made without a passphrase (no Argon2id per reopen). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <sqlite3.h>

#include "cdsync/cdsync.h"

static char root[512];
static int failures;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__,       \
				__LINE__);                              \
			fprintf(stderr, __VA_ARGS__);                   \
			fputc('\n', stderr);                            \
			failures++;                                     \
		}                                                       \
	} while (0)

/* 1 if name ends in ".cdsb": a bundle (not a temporary file) */
static int
is_bundle(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".cdsb") == 0 && name[0] != '.';
}

static const char *
at(const char *name)
{
	static char p[4][700];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", root, name);
	return p[k];
}

static cdsync *
open_store(const char *name)
{
	cdsync *db = NULL;
	int rc = cdsync_open(at(name), 0, &db);

	if (rc != CDSYNC_OK) {
		fprintf(stderr, "open %s: %s\n", name,
			db ? cdsync_errmsg(db) : cdsync_strerror(rc));
		exit(2);
	}
	return db;
}

/* One number out of a query on a store's file (a connection of its own,
 * so the checks never go through the code under test). */
static long
count(const char *name, const char *sql)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *st = NULL;
	long v = -1;

	if (sqlite3_open_v2(at(name), &d, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_prepare_v2(d, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "%s: %s: %s\n", name, sql, sqlite3_errmsg(d));
	sqlite3_finalize(st);
	sqlite3_close(d);
	return v;
}

static void
integrity(const char *name, int point)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *st = NULL;
	const char *r = "?";

	if (sqlite3_open_v2(at(name), &d, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_prepare_v2(d, "PRAGMA integrity_check", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		r = (const char *)sqlite3_column_text(st, 0);
	CHECK(strcmp(r, "ok") == 0, "kill %d: %s: integrity_check: %s", point,
	      name, r);
	sqlite3_finalize(st);
	sqlite3_close(d);
}

static void
make(const char *name, cdsync_role role, const char *code,
     const char *org_name, const char *parent)
{
	cdsync *db = NULL;

	if (cdsync_open(at(name), CDSYNC_OPEN_CREATE, &db) != CDSYNC_OK ||
	    cdsync_node_init(db, role, code, org_name, parent) != CDSYNC_OK) {
		fprintf(stderr, "init %s: %s\n", name, cdsync_errmsg(db));
		exit(2);
	}
	cdsync_close(db);
}

static void
introduce(const char *school, const char *hub)
{
	cdsync *s = open_store(school), *h = open_store(hub);
	char *text = NULL;

	if (cdsync_keys_export(s, &text) != CDSYNC_OK ||
	    cdsync_peer_add(h, text, 0) != CDSYNC_OK)
		exit(2);
	cdsync_free(text);
	if (cdsync_keys_export(h, &text) != CDSYNC_OK ||
	    cdsync_peer_add(s, text, 1) != CDSYNC_OK)
		exit(2);
	cdsync_free(text);
	cdsync_close(s);
	cdsync_close(h);
}

static int
activity(cdsync *db, long i)
{
	cdsync_rec *r = NULL;
	char title[64];
	int rc;

	snprintf(title, sizeof title, "act-%06ld", i);
	if (cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r) != CDSYNC_OK)
		return CDSYNC_ENOMEM;
	rc = cdsync_rec_set(r, "held_on", "2026-01-20");
	if (rc == CDSYNC_OK)
		rc = cdsync_rec_set(r, "title", title);
	if (rc == CDSYNC_OK)
		rc = cdsync_rec_set(r, "kind", i % 3 ? "care" : "culture");
	if (rc == CDSYNC_OK)
		rc = cdsync_insert(db, r);
	cdsync_rec_free(r);
	return rc;
}

/* Runs work(arg) in a child killed after `us` microseconds (or when it
 * ends).  The child writes acknowledgements to fd; returns the last
 * number it acknowledged (-1: none). */
static long
killed(void (*work)(int fd, long from), long from, long us)
{
	int p[2];
	pid_t pid;
	long last = -1, v;
	FILE *f;
	char line[64];
	int status;

	if (pipe(p) != 0)
		exit(2);
	if ((pid = fork()) < 0)
		exit(2);
	if (pid == 0) {
		close(p[0]);
		work(p[1], from);
		_exit(0);
	}
	close(p[1]);
	{
		struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	f = fdopen(p[0], "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%ld", &v) == 1)
			last = v;
	if (f != NULL)
		fclose(f);
	return last;
}

static void
ack(int fd, long v)
{
	char b[32];
	int n = snprintf(b, sizeof b, "%ld\n", v);

	if (write(fd, b, (size_t)n) != n)
		_exit(3);
}

/* ==== Recording ======================================================== */

static void
record(int fd, long from)
{
	cdsync *db = open_store("school.db");
	long i;

	for (i = from; i < from + 100000; i++) {
		if (activity(db, i) != CDSYNC_OK)
			_exit(4);
		ack(fd, i);
	}
}

static long next_act;	/* the next activity number to write */

/* How many writes from `from` on were acknowledged. */
static long
acks(long acked, long from)
{
	return acked < 0 ? 0 : acked - from + 1;
}

static void
phase_record(int point, long us)
{
	long acked = acks(killed(record, next_act, us), next_act);
	long n, distinct, changes;
	char sql[256];

	integrity("school.db", point);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM activity WHERE title "
		 ">= 'act-%06ld'", next_act);
	n = count("school.db", sql);
	distinct = count("school.db", "SELECT count(DISTINCT title) - "
				      "count(*) FROM activity");
	/* each acknowledged write is there; at most the one in flight too */
	CHECK(n >= acked && n <= acked + 1,
	      "kill %d: recording: %ld new activities, %ld acknowledged", point,
	      n, acked);
	CHECK(distinct == 0, "kill %d: an activity is there twice", point);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM sync_change WHERE tbl "
		 "= %d", (int)CDSYNC_KIND_ACTIVITY);
	changes = count("school.db", sql);
	CHECK(changes == count("school.db", "SELECT count(*) FROM activity"),
	      "kill %d: %ld captured changes of activities for %ld rows", point,
	      changes, count("school.db", "SELECT count(*) FROM activity"));
	next_act += n;
}

/* ==== Sealing and exporting ============================================ */

static void
export(int fd, long from)
{
	cdsync *db = open_store("school.db");
	size_t sealed, written;
	long i;

	for (i = from; i < from + 1000; i++) {
		if (activity(db, i) != CDSYNC_OK)
			_exit(4);
		ack(fd, i);
		if (i % 7 == 0 &&
		    cdsync_export(db, at("out"), &sealed, &written) != 0)
			_exit(5);
	}
}

/* Bundle numbers in the folder: 1..n, one file each. */
static long
bundles_in_folder(int point)
{
	DIR *d = opendir(at("out"));
	struct dirent *e;
	long max = 0, files = 0, seq;
	char *dash;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!is_bundle(e->d_name) ||
		    strstr(e->d_name, "HG-VX-TH-LUNGCU") == NULL)
			continue;
		dash = strrchr(e->d_name, '-');
		seq = dash ? strtol(dash + 1, NULL, 10) : 0;
		files++;
		if (seq > max)
			max = seq;
	}
	closedir(d);
	CHECK(files == max, "kill %d: export: %ld bundle files for numbers "
			    "1..%ld", point, files, max);
	return max;
}

static void
phase_export(int point, long us)
{
	long acked = acks(killed(export, next_act, us), next_act), n;
	char sql[256];

	integrity("school.db", point);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM activity WHERE title "
		 ">= 'act-%06ld'", next_act);
	n = count("school.db", sql);
	CHECK(n >= acked && n <= acked + 1,
	      "kill %d: export: %ld new activities, %ld acknowledged", point,
	      n, acked);
	next_act += n;
	/* numbers sealed in the store = files (temporary files are not
	 * bundles; a half-written one never has the final name) */
	CHECK(bundles_in_folder(point) <=
		      count("school.db", "SELECT count(*) FROM "
					 "sync_bundle_out"),
	      "kill %d: a bundle file with a number the store did not seal",
	      point);
	CHECK(count("school.db", "SELECT count(*) FROM sync_bundle_out") ==
		      count("school.db", "SELECT coalesce(max(seq), 0) FROM "
					 "sync_bundle_out"),
	      "kill %d: the numbers sealed have a gap", point);
}

/* ==== Taking bundles in ================================================ */

static void
ingest(int fd, long from)
{
	cdsync *db = open_store("hub.db");
	DIR *d = opendir(at("out"));
	struct dirent *e;
	size_t changes;
	char path[1200];
	long k = from;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (!is_bundle(e->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", at("out"), e->d_name);
		/* held, replayed or merged: all fine here */
		if (cdsync_import_file(db, path, &changes) == CDSYNC_ENOMEM)
			_exit(4);
		ack(fd, k++);
	}
	if (d != NULL)
		closedir(d);
}

static void
phase_ingest(int point, long us)
{
	(void)killed(ingest, 0, us);
	integrity("hub.db", point);
	CHECK(count("hub.db", "SELECT count(DISTINCT title) - count(*) FROM "
			      "activity") == 0,
	      "kill %d: ingest: an activity is there twice", point);
	CHECK(count("hub.db", "SELECT count(*) FROM sync_bundle_in WHERE "
			      "status = 'evidence'") <= 0,
	      "kill %d: ingest: a bundle was kept as fork evidence", point);
}

/* ==== The rollup ======================================================= */

static void
rollup(int fd, long from)
{
	cdsync *db = open_store("hub.db");
	long k;

	for (k = from; k < from + 1000; k++) {
		if (cdsync_rollup(db, rand() % 4 == 0, NULL, NULL, NULL) !=
		    CDSYNC_OK)
			_exit(4);
		ack(fd, k);
	}
}

/* 1 when the rollup of the school's unit has the figures counted from
 * the hub's records (no rollup yet: nothing to compare, 1). */
static int
rollup_agrees(cdsync *h, int point)
{
	cdsync_kpis *a = NULL, *b = NULL;
	size_t i;
	int rc, same = 1;

	rc = cdsync_rollup_kpis(h, "HG-VX-TH-LUNGCU", "2025-2026", &b);
	if (rc == CDSYNC_ENOTFOUND)
		return 1;
	if (rc != CDSYNC_OK ||
	    cdsync_kpi_compute(h, "HG-VX-TH-LUNGCU", "2025-2026", NULL, &a) !=
		    CDSYNC_OK) {
		fprintf(stderr, "kill %d: rollup figures: %s\n", point,
			cdsync_errmsg(h));
		cdsync_kpi_free(b);
		return 0;
	}
	same = cdsync_kpi_count(a) == cdsync_kpi_count(b) &&
	       cdsync_kpi_kind_count(a, "care") ==
		       cdsync_kpi_kind_count(b, "care");
	for (i = 0; same && i < cdsync_kpi_count(a); i++)
		same = cdsync_kpi_at(a, i)->num == cdsync_kpi_at(b, i)->num &&
		       cdsync_kpi_at(a, i)->den == cdsync_kpi_at(b, i)->den;
	cdsync_kpi_free(a);
	cdsync_kpi_free(b);
	return same;
}

static void
phase_rollup(int point, long us)
{
	cdsync *h;

	(void)killed(rollup, 0, us);
	integrity("hub.db", point);
	h = open_store("hub.db");
	/* the night after the kill: whatever the killed run left */
	if (cdsync_rollup(h, 0, NULL, NULL, NULL) != CDSYNC_OK) {
		fprintf(stderr, "kill %d: rollup: %s\n", point,
			cdsync_errmsg(h));
		failures++;
	} else {
		CHECK(rollup_agrees(h, point),
		      "kill %d: rollup: the night after the kill left figures "
		      "other than the records give",
		      point);
	}
	cdsync_close(h);
}

/* ==== The end ========================================================== */

static void
final_checks(void)
{
	cdsync *s = open_store("school.db"), *h;
	cdsync_kpis *a = NULL, *b = NULL;
	size_t sealed = 0, written = 0, changes, i;
	long n;

	/* export once more, then take everything in */
	if (cdsync_export(s, at("out"), &sealed, &written) != CDSYNC_OK)
		fprintf(stderr, "export: %s\n", cdsync_errmsg(s)), failures++;
	cdsync_close(s);
	n = bundles_in_folder(-1);
	{
		DIR *d = opendir(at("out"));
		struct dirent *e;
		long left = 0;

		while (d != NULL && (e = readdir(d)) != NULL)
			if (strstr(e->d_name, ".tmp-") != NULL)
				left++;
		if (d != NULL)
			closedir(d);
		CHECK(left == 0, "%ld temporary files left in the folder after "
				 "a whole export", left);
	}
	h = open_store("hub.db");
	{
		DIR *d = opendir(at("out"));
		struct dirent *e;
		char path[1200];
		int rc;

		while (d != NULL && (e = readdir(d)) != NULL) {
			if (!is_bundle(e->d_name))
				continue;
			snprintf(path, sizeof path, "%s/%s", at("out"),
				 e->d_name);
			rc = cdsync_import_file(h, path, &changes);
			CHECK(rc == CDSYNC_OK || rc == CDSYNC_EREPLAY ||
				      rc == CDSYNC_EGAP,
			      "final import of %s: %s", e->d_name,
			      cdsync_errmsg(h));
		}
		if (d != NULL)
			closedir(d);
	}
	cdsync_close(h);
	CHECK(count("hub.db", "SELECT count(*) FROM sync_bundle_in WHERE "
			      "status = 'held'") == 0,
	      "bundles still held for a gap at the hub");
	CHECK(count("hub.db", "SELECT max(last_seq) FROM sync_peer") == n,
	      "the hub's chain of the school ends at %ld, the school sealed "
	      "%ld",
	      count("hub.db", "SELECT max(last_seq) FROM sync_peer"), n);
	CHECK(count("hub.db", "SELECT count(*) FROM activity") == next_act,
	      "the hub has %ld activities, the school recorded %ld",
	      count("hub.db", "SELECT count(*) FROM activity"), next_act);
	CHECK(count("school.db", "SELECT count(*) FROM activity") == next_act,
	      "the school has %ld activities, it recorded %ld",
	      count("school.db", "SELECT count(*) FROM activity"), next_act);
	CHECK(count("hub.db", "SELECT count(DISTINCT title) - count(*) FROM "
			      "activity") == 0,
	      "an activity is at the hub twice");
	/* the same figures at both ends */
	s = open_store("school.db");
	h = open_store("hub.db");
	if (cdsync_kpi_compute(s, NULL, "2025-2026", NULL, &a) == CDSYNC_OK &&
	    cdsync_kpi_compute(h, "HG-VX-TH-LUNGCU", "2025-2026", NULL, &b) ==
		    CDSYNC_OK) {
		CHECK(cdsync_kpi_count(a) == cdsync_kpi_count(b),
		      "KPI tables of different lengths");
		for (i = 0; i < cdsync_kpi_count(a) && i < cdsync_kpi_count(b);
		     i++)
			CHECK(cdsync_kpi_at(a, i)->num ==
					      cdsync_kpi_at(b, i)->num &&
				      cdsync_kpi_at(a, i)->den ==
					      cdsync_kpi_at(b, i)->den,
			      "KPI %s differs between school and hub",
			      cdsync_kpi_at(a, i)->id);
		CHECK(cdsync_kpi_kind_count(a, "care") ==
			      cdsync_kpi_kind_count(b, "care"),
		      "care activities differ between school and hub");
	} else {
		fprintf(stderr, "kpi: %s / %s\n", cdsync_errmsg(s),
			cdsync_errmsg(h));
		failures++;
	}
	cdsync_kpi_free(a);
	cdsync_kpi_free(b);
	cdsync_close(s);
	/* and the hub's rollup, a night after it all, the same */
	if (cdsync_rollup(h, 0, NULL, NULL, NULL) != CDSYNC_OK)
		fprintf(stderr, "rollup: %s\n", cdsync_errmsg(h)), failures++;
	else
		CHECK(rollup_agrees(h, -1), "the hub's rollup at the end has "
					    "figures other than its records");
	cdsync_close(h);
	integrity("school.db", -1);
	integrity("hub.db", -1);
}

int
main(int argc, char **argv)
{
	long kills = argc > 1 ? strtol(argv[1], NULL, 10) : 120;
	unsigned seed = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10)
				 : (unsigned)time(NULL);
	const char *t = getenv("TMPDIR");
	long k, per[4] = { 0, 0, 0, 0 };
	char cmd[600];

	setvbuf(stdout, NULL, _IONBF, 0);
	snprintf(root, sizeof root, "%s/cdsync-crash-XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(root) == NULL || mkdir(at("out"), 0700) != 0)
		return 2;
	printf("crash_test: %ld kill points, seed %u, in %s\n", kills, seed,
	       root);
	srand(seed);
	make("school.db", CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU",
	     "Trường Tiểu học Lũng Cú", "HG-VX");
	make("hub.db", CDSYNC_ROLE_HUB, "HG-VX", "Công đoàn Giáo dục Vị Xuyên",
	     NULL);
	introduce("school.db", "hub.db");
	for (k = 0; k < kills; k++) {
		int phase = rand() % 4;
		/* 1 ms to 60 ms: from before the store is open to deep in the
		 * work (a write takes well under a millisecond) */
		long us = 1000 + rand() % 60000;

		if (phase == 0)
			phase_record((int)k, us);
		else if (phase == 1)
			phase_export((int)k, us);
		else if (phase == 2)
			phase_ingest((int)k, us);
		else
			phase_rollup((int)k, us);
		per[phase]++;
	}
	final_checks();
	printf("kills: %ld while recording, %ld while exporting, %ld while "
	       "taking bundles in, %ld in the rollup; %ld activities, %ld "
	       "bundles\n",
	       per[0], per[1], per[2], per[3], next_act,
	       count("school.db", "SELECT count(*) FROM sync_bundle_out"));
	printf("%s: %d failure(s)\n", failures ? "FAILED" : "ok", failures);
	if (failures == 0 && getenv("KEEP") == NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		if (system(cmd) != 0)
			return 2;
	}
	return failures ? 1 : 0;
}
