/* rollup_test.c -- the nightly rollup against the KPI engine.
 *
 * Random nights on a tree of 3 levels: each night writes a random mix of
 * every kind of row the KPIs read -- adds, edits (a member moving to
 * another school, an activity changing kind or date), deletions -- and,
 * some nights, new schools, a school moved to another district or merged
 * into a neighbour, a school the catalog enrols before any record of it
 * arrives, or the arrival of such a school's org unit.  After each night
 * the incremental rollup runs, and
 *   - a full rollup of a copy of the store gives the same bytes;
 *   - every unit's figures from the rollup equal cds_kpi_run's for
 *     random periods of the term (all of them after the last night).
 * ROLLUP_SEED and ROLLUP_NIGHTS (environment) change the run by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "id.h"
#include "kpi.h"
#include "rollup.h"
#include "testutil.h"

static sqlite3 *db;
static uint64_t rng = 88172645463325252ULL;
static uint32_t next_id = 1;
static int tree_nights = 1;	/* 0: nights write no tree change */

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static void
idb(uint8_t b[16], uint32_t n)
{
	memset(b, 0, 16);
	b[0] = 0x5a;
	b[12] = (uint8_t)(n >> 24);
	b[13] = (uint8_t)(n >> 16);
	b[14] = (uint8_t)(n >> 8);
	b[15] = (uint8_t)n;
}

static void
exec(sqlite3 *d, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(d, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errmsg(d));
}

/* The migrations the rollup stands on, up to and with `last`. */
static void
run_schema(const char *last)
{
	static const char *const names[] = {
		"0001_domain.sql", "0002_sync.sql", "0003_merge.sql",
		"0004_trust.sql", "0005_rotation.sql", "0006_tree.sql",
		"0007_pair.sql", "0008_receipt.sql", "0009_voucher.sql",
		"0010_tlog.sql", "0011_rollup.sql", "0015_rollup_leaf.sql",
		"0016_rollup_beneficiary.sql", "0017_rollup_unit_code.sql",
		"0018_rollup_night.sql", NULL
	};
	int i;

	for (i = 0; names[i] != NULL; i++) {
		tu_schema(db, names[i]);
		if (last != NULL && strcmp(names[i], last) == 0)
			break;
	}
}

/* Runs one statement; types: 'i' an id number (0 NULL), 'n' an int, 't'
 * a text (NULL: NULL).  Returns 0, or -1 when a trigger or constraint
 * refused it (a random write may be refused; nothing is half done). */
static int
ins(const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	const char *t;
	uint8_t b[16];
	uint32_t v;
	va_list ap;
	int i, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	va_start(ap, types);
	for (i = 0; types[i]; i++) {
		switch (types[i]) {
		case 'i':
			if ((v = va_arg(ap, uint32_t)) != 0) {
				idb(b, v);
				sqlite3_bind_blob(st, i + 1, b, 16,
						  SQLITE_TRANSIENT);
			}
			break;
		case 'n':
			sqlite3_bind_int(st, i + 1, va_arg(ap, int));
			break;
		default:
			if ((t = va_arg(ap, const char *)) != NULL)
				sqlite3_bind_text(st, i + 1, t, -1,
						  SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CONSTRAINT)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ==== The tree ======================================================== */

#define MAXU 64
static uint32_t unit[MAXU];		/* id numbers */
static char ulevel[MAXU];		/* 'n', 'u' (upper), 'g' */
static int uparent[MAXU];		/* index, -1 */
static int nunit;
static uint32_t mem[4096];		/* members and their union index */
static int memu[4096];
static int nmem;
static uint32_t act[4096];
static int actu[4096];
static int nact;
static uint32_t cases[512];
static int ncases;

static void
org(char level, int parent)
{
	char code[24];

	unit[nunit] = next_id++;
	ulevel[nunit] = level;
	uparent[nunit] = parent;
	snprintf(code, sizeof code, "U%02d", nunit);
	ins("INSERT INTO org_unit (id, code, name, level, parent_id) "
	    "VALUES (?1, ?2, ?2, ?3, ?4)",
	    "itti", unit[nunit], code,
	    level == 'n' ? "national" : level == 'u' ? "upper" : "grassroots",
	    parent >= 0 ? unit[parent] : 0);
	nunit++;
}

static int
any(char level)
{
	int i, n = 0, k;

	for (i = 0; i < nunit; i++)
		n += ulevel[i] == level;
	k = (int)rnd((uint32_t)n);
	for (i = 0; i < nunit; i++)
		if (ulevel[i] == level && k-- == 0)
			return i;
	return 0;
}

/* A date from June 2022 to February 2029 (around the term). */
static void
date(char d[11])
{
	int y = 2022 + (int)rnd(7), m = 1 + (int)rnd(12), dd = 1 + (int)rnd(28);

	if (y == 2022 && m < 6)
		m += 6;
	if (y == 2028 && m > 2 && rnd(2))
		y = 2029, m = 1 + (int)rnd(2);
	d[0] = (char)('0' + y / 1000);
	d[1] = (char)('0' + y / 100 % 10);
	d[2] = (char)('0' + y / 10 % 10);
	d[3] = (char)('0' + y % 10);
	d[4] = d[7] = '-';
	d[5] = (char)('0' + m / 10);
	d[6] = (char)('0' + m % 10);
	d[8] = (char)('0' + dd / 10);
	d[9] = (char)('0' + dd % 10);
	d[10] = '\0';
}

static const char *const kinds[] = {
	"propaganda", "training", "care", "culture", "health", "emulation",
	"dialogue", "inspection", "remote_support", "welfare"
};

/* ==== The catalog ===================================================== */

static const char *one(const char *sql);

/* The schools the sheet of U00 enrols, and whether the org unit of each
 * has arrived. */
#define MAXC 16
static struct tu_entry cat[MAXC];
static char ccode[MAXC][16], cparent[MAXC][16], cday[MAXC][11];
static int ncat, carrived[MAXC];
static uint64_t cserial;

/* The UTC day `days` from today. */
static void
utc_day(int days, char d[11])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(d, 11, "%Y-%m-%d", &tm);
}

/* A new edition of U00's sheet enrols a school from `days` from today,
 * under a district. */
static void
enrol(int days)
{
	int i = ncat++;

	snprintf(ccode[i], sizeof ccode[i], "C%02d", i);
	snprintf(cparent[i], sizeof cparent[i], "U%02d", 3 + (int)rnd(4));
	utc_day(days, cday[i]);
	cat[i].code = ccode[i];
	cat[i].name = NULL;
	cat[i].parent = cparent[i];
	cat[i].role = CDSYNC_ROLE_SCHOOL;
	cat[i].from = cday[i];
	tu_sheet(db, "U00", ++cserial, cat, (size_t)ncat);
}

/* The org unit of catalog school i arrives (the id its code derives,
 * under its district), with a care activity of its own. */
static void
arrive(int i)
{
	sqlite3_stmt *st = NULL;
	uint8_t id[16], a[16];
	char d[11];

	cds_id_name("cdsync.org.v1", ccode[i], id);
	idb(a, next_id++);
	date(d);
	if (sqlite3_prepare_v2(db, "INSERT INTO org_unit (id, code, name, "
				   "level, parent_id) VALUES (?1, ?2, ?2, "
				   "'grassroots', (SELECT id FROM org_unit "
				   "WHERE code = ?3))",
			       -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ccode[i], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cparent[i], -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "INSERT INTO activity (id, org_id, held_on, "
				   "title, kind, cost) VALUES (?1, ?2, ?3, "
				   "'Hoạt động', 'care', 100000)",
			       -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_bind_blob(st, 1, a, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, id, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	carrived[i] = 1;
}

/* ==== One night ======================================================= */

static void
night(int n)
{
	char d[11], d2[11], today[11];
	time_t now = time(NULL);
	struct tm tm;
	int i, j, u, k;

	localtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	exec(db, "BEGIN");
	for (i = 0; i < n; i++) {
		switch (rnd(16)) {
		case 0:
		case 1:
		case 2:	/* an activity, of a union mostly */
			u = rnd(6) ? any('g') : rnd(2) ? any('u') : 0;
			date(d);
			k = (int)rnd(10);
			act[nact] = next_id++;
			actu[nact] = u;
			if (ins("INSERT INTO activity (id, org_id, held_on, "
				"title, kind, innovative, cost) VALUES (?1, ?2, "
				"?3, 'Hoạt động', ?4, ?5, ?6)",
				"iittnn", act[nact], unit[u], d, kinds[k],
				(int)rnd(2), (int)rnd(5) * 100000) == 0 &&
			    nact < 4095)
				nact++;
			break;
		case 3:
		case 4:	/* a member */
			u = any('g');
			mem[nmem] = next_id++;
			memu[nmem] = u;
			date(d);
			date(d2);
			if (ins("INSERT INTO member (id, org_id, full_name, "
				"joined_on, left_on) VALUES (?1, ?2, 'Đoàn "
				"viên', ?3, ?4)",
				"iitt", mem[nmem], unit[u], rnd(3) ? NULL : d,
				rnd(4) || strcmp(d2, d) < 0 ? NULL : d2) == 0 &&
			    nmem < 4095)
				nmem++;
			break;
		case 5:	/* a benefit: a member of the activity's union (the
			 * schema takes no other), found from a random one on */
			if (nact == 0 || nmem == 0)
				break;
			k = (int)rnd((uint32_t)nact);
			u = (int)rnd((uint32_t)nmem);
			for (j = 0; j < nmem && memu[u] != actu[k]; j++)
				u = (u + 1) % nmem;
			if (memu[u] != actu[k])
				break;
			(void)ins("INSERT INTO benefit (id, activity_id, "
				  "member_id) VALUES (?1, ?2, ?3)",
				  "iii", next_id++, act[k], mem[u]);
			break;
		case 6:	/* a member moves to another school */
			if (nmem == 0)
				break;
			k = (int)rnd((uint32_t)nmem);
			u = any('g');
			if (ins("UPDATE member SET org_id = ?2 WHERE id = ?1",
				"ii", mem[k], unit[u]) == 0)
				memu[k] = u;
			break;
		case 7:	/* an activity changes kind and date */
			if (nact == 0)
				break;
			date(d);
			(void)ins("UPDATE activity SET kind = ?2, held_on = ?3 "
				  "WHERE id = ?1",
				  "itt", act[rnd((uint32_t)nact)],
				  kinds[rnd(10)], d);
			break;
		case 8:	/* an activity deleted, with its benefits */
			if (nact == 0)
				break;
			k = (int)rnd((uint32_t)nact);
			(void)ins("DELETE FROM benefit WHERE activity_id = ?1",
				  "i", act[k]);
			(void)ins("DELETE FROM activity WHERE id = ?1", "i",
				  act[k]);
			break;
		case 9:
			(void)ins("INSERT INTO plan (id, org_id, school_year, "
				  "title, tied_to_tasks) VALUES (?1, ?2, ?3, "
				  "'Kế hoạch', ?4)",
				  "iinn", next_id++, unit[any('g')],
				  2022 + (int)rnd(7), (int)(rnd(5) != 0));
			break;
		case 10:
			(void)ins("INSERT INTO key_task (id, org_id, term_start, "
				  "kind, title) VALUES (?1, ?2, ?3, ?4, 'Nhiệm "
				  "vụ')",
				  "iint", next_id++, unit[any('g')],
				  rnd(6) ? 2023 : 2018,
				  rnd(2) ? "task" : "strategy");
			break;
		case 11:	/* a council seat */
			if (nmem == 0)
				break;
			k = (int)rnd((uint32_t)nmem);
			date(d);
			date(d2);
			(void)ins("INSERT INTO council_seat (id, org_id, "
				  "member_id, council, from_on, to_on) VALUES "
				  "(?1, ?2, ?3, 'salary', ?4, ?5)",
				  "iiitt", next_id++, unit[memu[k]], mem[k],
				  strcmp(d, d2) < 0 ? d : d2,
				  rnd(2) ? NULL : strcmp(d, d2) < 0 ? d2 : d);
			break;
		case 12:
			(void)ins("INSERT INTO initiative (id, org_id, title, "
				  "author, year, clc_proposed) VALUES (?1, ?2, "
				  "'Sáng kiến', 'Tác giả', ?3, ?4)",
				  "iinn", next_id++, unit[any('g')],
				  2022 + (int)rnd(7), (int)rnd(2));
			break;
		case 13:	/* a legal case, of a union or above */
			date(d);
			cases[ncases] = next_id++;
			if (ins("INSERT INTO legal_case (id, org_id, opened_on, "
				"topic) VALUES (?1, ?2, ?3, 'Tư vấn')",
				"iit", cases[ncases],
				unit[rnd(4) ? any('g') : any('u')], d) == 0 &&
			    ncases < 511)
				ncases++;
			break;
		case 14:	/* its answer, some time */
			if (ncases == 0)
				break;
			date(d);
			(void)ins("INSERT INTO legal_event (id, case_id, at, "
				  "status) VALUES (?1, ?2, ?3, ?4)",
				  "iitt", next_id++,
				  cases[rnd((uint32_t)ncases)], d,
				  rnd(3) ? "advised" : "escalated");
			break;
		default:
			date(d);
			(void)ins("INSERT INTO agreement (id, org_id, partner, "
				  "title, signed_on) VALUES (?1, ?2, 'Đối tác', "
				  "'Thỏa thuận', ?3)",
				  "iit", next_id++,
				  unit[rnd(3) ? 0 : any('u')], d);
		}
	}
	/* the tree: a new school, a school moved, a merger, a school of the
	 * catalog (enrolled from yesterday, in UTC), its org unit */
	k = tree_nights ? (int)rnd(12) : 11;
	if (k == 0 && nunit < MAXU)
		org('g', any('u') + 0);
	if (k == 3 && ncat < MAXC)
		enrol(-1);
	for (i = 0; k == 4 && i < ncat; i++)
		if (!carrived[i]) {
			arrive(i);
			break;
		}
	if (k == 1 || k == 2) {
		int a = any('g'), b = any('g'), to = any('u');

		if (k == 1 && ulevel[to] == 'u' && uparent[to] >= 0)
			(void)ins("INSERT INTO org_change (id, org_id, "
				  "subject_id, effective_on, change, "
				  "parent_id) VALUES (?1, ?2, ?3, ?4, 'move', "
				  "?5)",
				  "iiiti", next_id++, unit[0], unit[a], today,
				  unit[to]);
		if (k == 2 && a != b)
			(void)ins("INSERT INTO org_change (id, org_id, "
				  "subject_id, effective_on, change, into_id) "
				  "VALUES (?1, ?2, ?3, ?4, 'merge', ?5)",
				  "iiiti", next_id++, unit[0], unit[a], today,
				  unit[b]);
	}
	exec(db, "COMMIT");
}

/* ==== The checks ====================================================== */

/* Appends x to the string *s (len bytes, room for cap). */
static void
append(char **s, size_t *len, size_t *cap, const char *x)
{
	size_t l = strlen(x);
	char *t;

	while (*len + l + 1 > *cap) {
		t = realloc(*s, *cap * 2);
		assert_non_null(t);
		*s = t;
		*cap *= 2;
	}
	memcpy(*s + *len, x, l + 1);
	*len += l;
}

/* Reads the pairs of varints of blob p (len bytes) -- zeros skipped, then
 * a value, zigzag when `zz` -- adding each value to v[0..n). */
static void
add_pairs(const uint8_t *p, size_t len, int zz, int64_t *v, size_t n)
{
	size_t k = 0, j = 0;

	while (k < len) {
		uint64_t x[2] = { 0, 0 };
		int i, shift;

		for (i = 0; i < 2; i++)
			for (shift = 0; k < len; shift += 7) {
				x[i] |= (uint64_t)(p[k] & 127) << shift;
				if (p[k++] < 128)
					break;
			}
		j += (size_t)x[0];
		assert_true(j < n);
		v[j++] += zz ? (int64_t)(x[1] >> 1) ^ -(int64_t)(x[1] & 1)
			     : (int64_t)x[1];
	}
}

/* Every row of rollup_unit with its leaf (what rollup_leaf keeps plus the
 * difference rollup_leaf_diff keeps), as one string (caller frees). */
static char *
dump(sqlite3 *d)
{
	sqlite3_stmt *st = NULL;
	size_t len = 0, cap = 1 << 16, j;
	char *s = malloc(cap), item[64];
	static int64_t v[4096];

	assert_non_null(s);
	s[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT hex(u.id), l.leaf, "
					       "x.diff, hex(ifnull(u.sums, "
					       "'')) FROM rollup_unit u LEFT "
					       "JOIN rollup_leaf l ON l.id = "
					       "u.id LEFT JOIN "
					       "rollup_leaf_diff x ON x.id = "
					       "u.id ORDER BY u.id",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		memset(v, 0, sizeof v);
		add_pairs(sqlite3_column_blob(st, 1),
			  (size_t)sqlite3_column_bytes(st, 1), 0, v, 4096);
		add_pairs(sqlite3_column_blob(st, 2),
			  (size_t)sqlite3_column_bytes(st, 2), 1, v, 4096);
		append(&s, &len, &cap,
		       (const char *)sqlite3_column_text(st, 0));
		append(&s, &len, &cap, ":");
		for (j = 0; j < 4096; j++) {
			if (v[j] == 0)
				continue;
			snprintf(item, sizeof item, "%zu=%lld ", j,
				 (long long)v[j]);
			append(&s, &len, &cap, item);
		}
		append(&s, &len, &cap, ":");
		append(&s, &len, &cap,
		       (const char *)sqlite3_column_text(st, 3));
		append(&s, &len, &cap, ",");
	}
	sqlite3_finalize(st);
	return s;
}

/* The members' care the rollup keeps (rollup_care), one line
 * "org member win care" (hex ids) each; NULL when a blob is damaged
 * (caller frees). */
static char *
cares(sqlite3 *d)
{
	sqlite3_stmt *st = NULL;
	size_t len = 0, cap = 4096, k, n;
	char *s = malloc(cap), line[128];

	assert_non_null(s);
	s[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT hex(org_id), care FROM "
					       "rollup_care ORDER BY org_id",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *org = sqlite3_column_text(st, 0);
		const uint8_t *p = sqlite3_column_blob(st, 1);

		n = (size_t)sqlite3_column_bytes(st, 1);
		for (k = 0; k < n;) {
			uint64_t v[2] = { 0, 0 };
			int i, j, shift;
			char id[33];

			if (n - k < 17)
				fail_msg("a damaged care of %s", org);
			for (i = 0; i < 16; i++)
				snprintf(id + (size_t)i * 2, 3, "%02X", p[k + i]);
			k += 16;
			/* care << 1 | (window all periods), else the window */
			for (j = 0; j < 2 && (j == 0 || !(v[0] & 1)); j++)
				for (shift = 0; k < n; shift += 7) {
					v[j] |= (uint64_t)(p[k] & 127) << shift;
					if (p[k++] < 128)
						break;
				}
			snprintf(line, sizeof line, "%s %s %llu %llu\n",
				 (const char *)org, id,
				 (unsigned long long)(v[0] & 1 ? 0 : v[1]),
				 (unsigned long long)(v[0] >> 1));
			append(&s, &len, &cap, line);
		}
	}
	sqlite3_finalize(st);
	return s;
}

/* A full rollup of a copy of the store gives what the incremental one
 * left; the care the incremental one keeps for a member is the full
 * one's (it keeps none for a member added since, until a benefit is
 * added to it). */
static void
check_full(void)
{
	sqlite3 *copy = NULL;
	sqlite3_backup *b;
	char err[512] = "", *a, *c, *line, *save = NULL;
	cdsync_rollup_stats st;

	assert_int_equal(sqlite3_open(":memory:", &copy), SQLITE_OK);
	b = sqlite3_backup_init(copy, "main", db, "main");
	assert_non_null(b);
	assert_int_equal(sqlite3_backup_step(b, -1), SQLITE_DONE);
	sqlite3_backup_finish(b);
	/* a full rollup runs with a large cache, and gives the connection's
	 * back */
	assert_int_equal(sqlite3_exec(copy, "PRAGMA cache_size = -1234", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	if (cds_rollup_run(copy, 1, NULL, NULL, &st, err, sizeof err) !=
	    CDSYNC_OK)
		fail_msg("full rollup: %s", err);
	assert_int_equal(st.full, 1);
	{
		sqlite3_stmt *q = NULL;

		assert_int_equal(sqlite3_prepare_v2(copy, "PRAGMA cache_size",
						    -1, &q, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), -1234);
		sqlite3_finalize(q);
	}
	a = dump(db);
	c = dump(copy);
	if (strcmp(a, c) != 0)
		fail_msg("the incremental rollup differs from the full one");
	free(a);
	free(c);
	a = cares(db);
	c = cares(copy);
	for (line = strtok_r(a, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(c, line) == NULL)
			fail_msg("care kept %s, not in the full rollup's",
				 line);
	free(a);
	free(c);
	sqlite3_close(copy);
}

/* The rollup's figures of the unit with `code` for the period `name`
 * equal the engine's: 1, or 0 when it has none (merged away, or not in
 * the tree yet). */
static int
check_unit(const char *code, const char *name)
{
	char err[512];
	cdsync_kpis *a, *b;
	int k, rc;

	rc = cds_kpi_run(db, NULL, code, name, NULL, &a, err, sizeof err);
	if (rc == CDSYNC_ENOTFOUND)
		return 0;
	if (rc != CDSYNC_OK)
		fail_msg("engine %s %s: %s", code, name, err);
	if (cds_rollup_kpis(db, code, name, &b, err, sizeof err) != CDSYNC_OK)
		fail_msg("rollup %s %s: %s", code, name, err);
	assert_int_equal(cdsync_kpi_count(a), cdsync_kpi_count(b));
	for (k = 0; k < (int)cdsync_kpi_count(a); k++) {
		const cdsync_kpi *x = cdsync_kpi_at(a, (size_t)k),
				 *y = cdsync_kpi_at(b, (size_t)k);

		if (x->num != y->num || x->den != y->den || x->met != y->met ||
		    x->applies != y->applies || x->value != y->value)
			fail_msg("%s %s %s: engine %lld/%lld, rollup "
				 "%lld/%lld",
				 code, name, x->id, (long long)x->num,
				 (long long)x->den, (long long)y->num,
				 (long long)y->den);
	}
	assert_int_equal(cdsync_kpi_care_per_member(a),
			 cdsync_kpi_care_per_member(b));
	for (k = 0; k < 10; k++)
		assert_int_equal(cdsync_kpi_kind_count(a, kinds[k]),
				 cdsync_kpi_kind_count(b, kinds[k]));
	cdsync_kpi_free(a);
	cdsync_kpi_free(b);
	return 1;
}

/* The rollup's figures of every unit (and school of the catalog) not
 * merged away for period i equal the engine's. */
static int
check_period(int i)
{
	char code[24], name[24];
	int u, checked = 0;

	cds_rollup_period(i, name);
	for (u = 0; u < nunit; u++) {
		snprintf(code, sizeof code, "U%02d", u);
		checked += check_unit(code, name);
	}
	for (u = 0; u < ncat; u++)
		checked += check_unit(ccode[u], name);
	return checked;
}

static void
random_nights(void **state)
{
	const char *s = getenv("ROLLUP_SEED"), *ns = getenv("ROLLUP_NIGHTS");
	int nights = ns ? (int)strtol(ns, NULL, 10) : 30, i, p, full_runs = 0,
	    figures = 0;
	cdsync_rollup_stats st;
	char err[512] = "";

	(void)state;
	if (s != NULL)
		rng = strtoull(s, NULL, 10) | 1;
	for (i = 0; i < nights; i++) {
		night(20 + (int)rnd(60));
		if (cds_rollup_run(db, 0, NULL, NULL, &st, err, sizeof err) !=
		    CDSYNC_OK)
			fail_msg("night %d: %s", i, err);
		full_runs += st.full;
		assert_true(st.recomputed <= st.units);
		check_full();
		for (p = 0; p < 3; p++)
			figures += check_period((int)rnd(36));
	}
	for (p = 0; p < 36; p++)
		figures += check_period(p);
	/* most nights were incremental: only the first and the tree's
	 * moves and mergers recompute all */
	assert_true(full_runs < nights / 2 + 1);
	print_message("rollup: %d nights, %d of them full, %d unit-periods "
		      "checked against the engine\n",
		      nights, full_runs, figures);
}

/* A night without writes recomputes nothing; a write to one school
 * recomputes that school only. */
static void
incremental_is_small(void **state)
{
	cdsync_rollup_stats st;
	char err[512] = "";

	(void)state;
	night(50);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.recomputed, 0);
	ins("INSERT INTO activity (id, org_id, held_on, title, kind) VALUES "
	    "(?1, ?2, '2025-10-01', 'Tết', 'care')",
	    "ii", next_id++, unit[9]);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.recomputed, 0);	/* added to its figures */
	assert_int_equal(st.rows, 1);
	check_full();
	(void)check_period(1);
	/* a change is counted again whole: that school only */
	exec(db, "UPDATE activity SET kind = 'culture' WHERE title = 'Tết'");
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.recomputed, 1);
	assert_int_equal(st.rows, 0);
	check_full();
	(void)check_period(1);
}

static const char *one(const char *sql);

/* Rolls up; the night is incremental and counts `whole` units again. */
static void
night_counts(size_t whole)
{
	cdsync_rollup_stats st;
	char err[512] = "";

	if (cds_rollup_run(db, 0, NULL, NULL, &st, err, sizeof err) !=
	    CDSYNC_OK)
		fail_msg("rollup: %s", err);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.recomputed, whole);
	check_full();
	(void)check_period(3);	/* 2025-2026 */
	(void)check_period(23);	/* 2025-Q4 */
}

/* A member covered by care already gains coverage only in the periods
 * of a care benefit added that it had none in; a benefit added before
 * the store had its member (kept without one) has the member's union
 * counted again whole. */
/* Adds a benefit of activity a to member m. */
static void
benefit(uint32_t a, uint32_t m)
{
	ins("INSERT INTO benefit (id, activity_id, member_id) VALUES (?1, ?2, "
	    "?3)",
	    "iii", next_id++, a, m);
}

/* Rolls up; the rollup counts all (full 1) or not. */
static void
rollup_is(int full)
{
	cdsync_rollup_stats st;
	char err[512] = "";

	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, full);
}

static void
care_before(void **state)
{
	uint32_t m = next_id++, m2 = next_id++, a[4];
	int i;
	static const char *const days[4] = { "2025-10-01", "2025-10-15",
					     "2026-03-01", "2026-05-01" };

	(void)state;
	for (i = 0; i < 4; i++) {
		a[i] = next_id++;
		ins("INSERT INTO activity (id, org_id, held_on, title, kind) "
		    "VALUES (?1, ?2, ?3, 'Tết', 'care')",
		    "iit", a[i], unit[7], days[i]);
	}
	ins("INSERT INTO member (id, org_id, full_name) VALUES (?1, ?2, 'A'), "
	    "(?3, ?2, 'B')",
	    "iii", m, unit[7], m2);
	benefit(a[0], m);
	rollup_is(1);
	/* the same quarter, then a quarter (and year) it had none in */
	benefit(a[1], m);
	benefit(a[2], m);
	assert_string_equal(one("SELECT count(*) FROM rollup_beneficiary"),
			    "2");
	night_counts(0);
	/* kept without its member */
	benefit(a[3], m2);
	exec(db, "UPDATE rollup_beneficiary SET org_id = x''");
	night_counts(1);
	/* the care kept for its school damaged: all again */
	exec(db, "UPDATE rollup_care SET care = x'00'");
	benefit(a[3], m);
	rollup_is(1);
	check_full();
	(void)check_period(3);
	/* a store kept by the rollup before the care (layout v3): all again,
	 * the care kept with it */
	exec(db, "UPDATE rollup_state SET value = replace(value, 'v4 ', 'v3 ') "
		 "WHERE key = 'periods'; DELETE FROM rollup_care");
	rollup_is(1);
	assert_string_equal(one("SELECT count(*) FROM rollup_care"), "1");
	rollup_is(0);
}

/* A member who benefited from care at one school moves to another;
 * then the care activity moves out of the year: the coverage of the
 * school the member is at now changes, though nothing of it was
 * written. */
static void
moved_beneficiary(void **state)
{
	cdsync_rollup_stats st;
	uint32_t a = next_id++, m = next_id++;
	char err[512] = "";

	(void)state;
	ins("INSERT INTO member (id, org_id, full_name) VALUES (?1, ?2, 'A')",
	    "ii", m, unit[7]);
	ins("INSERT INTO activity (id, org_id, held_on, title, kind) VALUES "
	    "(?1, ?2, '2025-10-01', 'Tết', 'care')",
	    "ii", a, unit[7]);
	ins("INSERT INTO benefit (id, activity_id, member_id) VALUES (?1, ?2, "
	    "?3)",
	    "iii", next_id++, a, m);
	ins("UPDATE member SET org_id = ?2 WHERE id = ?1", "ii", m, unit[8]);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	(void)check_period(1);
	ins("UPDATE activity SET held_on = '2024-10-01' WHERE id = ?1", "i", a);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.recomputed, 2);
	(void)check_period(1);	/* 2025-2026: U08 lost its covered member */
	(void)check_period(2);	/* 2026-2027 */
	check_full();
}

/* The tree kept from the last rollup is used only while it is today's:
 * a merger that took effect since the day it was built (here: today,
 * with the mark of the write removed, as if it had been recorded days
 * before to take effect today) makes the rollup build the tree again. */
static void
kept_tree(void **state)
{
	cdsync_rollup_stats st;
	char err[512] = "", today[11], sql[256];
	time_t now = time(NULL);
	struct tm tm;

	(void)state;
	localtime_r(&now, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	tree_nights = 0;
	night(40);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	night(20);	/* no tree change: the kept tree serves */
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 0);
	check_full();
	ins("INSERT INTO org_change (id, org_id, subject_id, effective_on, "
	    "change, into_id) VALUES (?1, ?2, ?3, ?4, 'merge', ?5)",
	    "iiiti", next_id++, unit[0], unit[11], today, unit[7]);
	exec(db, "DELETE FROM rollup_state WHERE key = 'tree_changed'");
	snprintf(sql, sizeof sql, "UPDATE rollup_state SET value = "
		 "date('%s', '-1 day') WHERE key = 'tree_day'", today);
	exec(db, sql);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 1);	/* a merger: all again */
	check_full();
	(void)check_period(1);
	(void)check_period(0);
}

/* A school the catalog enrols from a later day joins the kept tree on
 * that day: the rollup keeps the day ('tree_next') and builds the tree
 * again when it has come.  Here the day is brought to today by hand: the
 * sheet enrols the school from yesterday, the mark of its write removed,
 * 'tree_next' today -- as if the eve's rollup had kept the tree. */
static void
catalog_school_joins_on_its_day(void **state)
{
	cdsync_rollup_stats st;
	char err[512] = "", day[11];

	(void)state;
	tree_nights = 0;
	night(40);
	enrol(2);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	utc_day(2, day);
	assert_string_equal(one("SELECT value FROM rollup_state WHERE key = "
				"'tree_next'"),
			    day);
	assert_string_equal(one("SELECT count(*) FROM rollup_unit WHERE code "
				"= 'C00'"),
			    "0");
	assert_int_equal(check_period(1), nunit);
	utc_day(-1, cday[0]);
	tu_sheet(db, "U00", ++cserial, cat, 1);
	exec(db, "DELETE FROM rollup_state WHERE key = 'tree_changed'");
	exec(db, "UPDATE rollup_state SET value = date('now', 'localtime') "
		 "WHERE key = 'tree_next'");
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 0);	/* one unit more: not all again */
	assert_string_equal(one("SELECT count(*) FROM rollup_unit WHERE code "
				"= 'C00'"),
			    "1");
	assert_string_equal(one("SELECT value FROM rollup_state WHERE key = "
				"'tree_next'"),
			    "");
	assert_int_equal(check_period(1), nunit + 1);
	check_full();
	/* its org unit arrives: the same unit, its records in */
	arrive(0);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 0);
	assert_int_equal(check_period(1) + check_period(0), 2 * (nunit + 1));
	check_full();
}

/* A damaged leaf is not trusted: reading says so, the next rollup
 * recomputes all. */
static void
damaged(void **state)
{
	cdsync_rollup_stats st;
	cdsync_kpis *k = NULL;
	char err[512] = "";

	(void)state;
	night(30);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	exec(db, "UPDATE rollup_unit SET sums = x'ff' WHERE level = "
		 "'national'");
	assert_int_equal(cds_rollup_kpis(db, "U00", "2025-2026", &k, err,
					 sizeof err),
			 CDSYNC_ECORRUPT);
	assert_null(k);
	assert_non_null(strstr(err, "--full"));
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 1);
	(void)check_period(0);
	/* a damaged leaf of a school a row is added to: all again, and
	 * the leaves of the other schools written before it was met are
	 * not counted twice (U09 is met last, after U07 and U08) */
	exec(db, "UPDATE rollup_leaf SET leaf = x'80' WHERE id = (SELECT id "
		 "FROM org_unit WHERE code = 'U09')");
	ins("INSERT INTO activity (id, org_id, held_on, title, kind) VALUES "
	    "(?1, ?2, '2025-10-01', 'Tết', 'care')",
	    "ii", next_id++, unit[7]);
	ins("INSERT INTO activity (id, org_id, held_on, title, kind) VALUES "
	    "(?1, ?2, '2025-10-02', 'Tết', 'care')",
	    "ii", next_id++, unit[8]);
	ins("INSERT INTO activity (id, org_id, held_on, title, kind) VALUES "
	    "(?1, ?2, '2025-10-03', 'Tết', 'care')",
	    "ii", next_id++, unit[9]);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	assert_int_equal(st.full, 1);
	(void)check_period(1);
	check_full();
	/* outside the term, and a unit the rollup does not know */
	assert_int_equal(cds_rollup_kpis(db, "U00", "2030", &k, err,
					 sizeof err),
			 CDSYNC_ENOTFOUND);
	assert_int_equal(cds_rollup_kpis(db, "NOPE", "2025", &k, err,
					 sizeof err),
			 CDSYNC_ENOTFOUND);
}

static int
setup(void **state)
{
	int i;

	(void)state;
	nunit = nmem = nact = ncases = ncat = 0;
	cserial = 0;
	memset(carrived, 0, sizeof carrived);
	tree_nights = 1;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	exec(db, "PRAGMA foreign_keys = ON");
	run_schema(NULL);
	org('n', -1);			/* U00 */
	org('u', 0);			/* U01, U02: provinces */
	org('u', 0);
	for (i = 0; i < 4; i++)		/* U03-U06: districts */
		org('u', 1 + i / 2);
	for (i = 0; i < 20; i++)	/* U07-U26: schools */
		org('g', 3 + i % 4);
	return 0;
}

/* The first column of the one row of sql, as text ("" NULL). */
static const char *
one(const char *sql)
{
	static char out[512];
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, sizeof out, "%s",
		 sqlite3_column_text(st, 0)
			 ? (const char *)sqlite3_column_text(st, 0)
			 : "");
	sqlite3_finalize(st);
	return out;
}

/* db anew: an empty store of the migrations up to and with `last`. */
static void
store_upto(const char *last)
{
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	run_schema(last);
}

/* 0015 moves the leaves a rollup kept in rollup_unit to rollup_leaf:
 * each leaf there, once, and the tree and sums where they were. */
static void
leaves_move_to_their_table(void **state)
{
	(void)state;
	store_upto("0011_rollup.sql");
	exec(db, "INSERT INTO rollup_unit (id, parent_id, rep, level, leaf, "
		 "sums) VALUES (x'01010101010101010101010101010101', NULL, "
		 "x'01010101010101010101010101010101', 'national', x'0a01', "
		 "x'0b02'), (x'02020202020202020202020202020202', "
		 "x'01010101010101010101010101010101', "
		 "x'02020202020202020202020202020202', 'grassroots', x'0c03', "
		 "NULL), (x'03030303030303030303030303030303', "
		 "x'01010101010101010101010101010101', "
		 "x'02020202020202020202020202020202', 'grassroots', NULL, "
		 "NULL)");
	tu_schema(db, "0015_rollup_leaf.sql");
	assert_string_equal(one("SELECT group_concat(hex(id) || ':' || "
				"hex(leaf), ',') FROM (SELECT * FROM "
				"rollup_leaf ORDER BY id)"),
			    "01010101010101010101010101010101:0A01,"
			    "02020202020202020202020202020202:0C03");
	assert_string_equal(one("SELECT group_concat(level || ':' || "
				"CASE WHEN sums IS NULL THEN '-' ELSE "
				"hex(sums) END, ',') FROM (SELECT * FROM "
				"rollup_unit ORDER BY id)"),
			    "national:0B02,grassroots:-,grassroots:-");
	assert_string_equal(one("SELECT count(*) FROM pragma_table_info("
				"'rollup_unit') WHERE name = 'leaf'"),
			    "0");
}

/* A store of a rollup (layout v3) with member A of unit 01, a care
 * activity of it and a benefit of that activity to A. */
static const char *const one_benefit =
	"INSERT INTO rollup_state (key, value) VALUES ('periods', 'v3'); "
	"INSERT INTO member (id, org_id, full_name) VALUES "
	"(x'0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a', "
	"x'01010101010101010101010101010101', 'A'); INSERT INTO activity "
	"(id, org_id, held_on, title, kind) VALUES "
	"(x'0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c', "
	"x'01010101010101010101010101010101', '2025-10-01', 'T', 'care'); "
	"INSERT INTO benefit (id, activity_id, member_id) VALUES "
	"(x'0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d', "
	"x'0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c', "
	"x'0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a')";

/* 0016 keeps the members with benefits added: those added before it
 * too, and each once. */
static void
beneficiaries_are_kept(void **state)
{
	(void)state;
	store_upto("0015_rollup_leaf.sql");
	exec(db, one_benefit);
	exec(db, "INSERT INTO member (id, org_id, full_name) VALUES "
		 "(x'0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', "
		 "x'01010101010101010101010101010101', 'B')");
	tu_schema(db, "0016_rollup_beneficiary.sql");
	assert_string_equal(one("SELECT group_concat(hex(member_id)) FROM "
				"rollup_beneficiary"),
			    "0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A");
	exec(db, "INSERT INTO benefit (id, activity_id, member_id) VALUES "
		 "(x'0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e', "
		 "x'0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c', "
		 "x'0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), "
		 "(x'0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f', "
		 "x'0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c', "
		 "x'0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b')");
	assert_string_equal(one("SELECT count(*) || ' ' || group_concat("
				"substr(hex(member_id), 1, 2)) FROM (SELECT * "
				"FROM rollup_beneficiary ORDER BY 1)"),
			    "2 0A,0B");
	assert_string_equal(one("SELECT count(*) FROM rollup_new WHERE tbl "
				"= 'benefit'"),
			    "3");
}

/* 0018 keeps each benefit added by its member's unit, as the benefit
 * found it (x'' when the store had no such member), member and activity,
 * those a store had added among them. */
static void
beneficiaries_keep_their_unit(void **state)
{
	(void)state;
	store_upto("0017_rollup_unit_code.sql");
	exec(db, one_benefit);
	tu_schema(db, "0018_rollup_night.sql");
	assert_string_equal(one("SELECT substr(hex(org_id), 1, 2) || ' ' || "
				"substr(hex(member_id), 1, 2) || ' ' || "
				"substr(hex(activity_id), 1, 2) FROM "
				"rollup_beneficiary"),
			    "01 0A 0C");
	exec(db, "INSERT INTO benefit (id, activity_id, member_id) VALUES "
		 "(x'0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e', "
		 "x'0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c', "
		 "x'0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b')");
	assert_string_equal(one("SELECT group_concat(iif(org_id = x'', '-', "
				"substr(hex(org_id), 1, 2)) || ':' || "
				"substr(hex(member_id), 1, 2), ' ') FROM "
				"(SELECT * FROM rollup_beneficiary ORDER BY "
				"member_id)"),
			    "01:0A -:0B");
	assert_string_equal(one("SELECT count(*) FROM rollup_care"), "0");
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	db = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(random_nights, setup, teardown),
		cmocka_unit_test_setup_teardown(incremental_is_small, setup,
						teardown),
		cmocka_unit_test_setup_teardown(care_before, setup, teardown),
		cmocka_unit_test_setup_teardown(moved_beneficiary, setup,
						teardown),
		cmocka_unit_test_setup_teardown(kept_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(catalog_school_joins_on_its_day,
						setup, teardown),
		cmocka_unit_test_setup_teardown(damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(leaves_move_to_their_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(beneficiaries_are_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(beneficiaries_keep_their_unit,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
