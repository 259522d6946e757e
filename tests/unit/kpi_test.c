/* kpi_test.c -- the KPIs of DOMAIN.md on crafted data.
 *
 * Each test starts from a fresh in-memory store made from the schema
 * files, holding this tree (ids in brackets):
 *
 *   NAT [1] national
 *     HUB [2] upper:  S1 [11], S2 [12], S3 [13] grassroots
 *     HUB2 [3] upper: S4 [14] grassroots
 *     EMPTY [4] upper, no unions
 *   OUT [15] grassroots, outside the tree
 *
 * and adds the rows it needs.  Unless a test says otherwise the period is
 * the school year 2025-2026: 01/09/2025 - 31/08/2026.
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

#include "alloc.h"
#include "kpi.h"
#include "store.h"
#include "testutil.h"

enum { NAT = 1, HUB = 2, HUB2 = 3, EMPTY = 4, S1 = 11, S2 = 12, S3 = 13,
       S4 = 14, OUT = 15 };

static sqlite3 *db;

/* ==== Building the store ============================================== */

/* The 16-byte id of test number n. */
static void
idb(uint8_t b[16], int n)
{
	memset(b, 0, 16);
	b[14] = (uint8_t)(n >> 8);
	b[15] = (uint8_t)n;
}

static void
exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s", msg ? msg : sqlite3_errmsg(db));
}

/* Runs one INSERT.  `types` names each parameter in turn: 'i' a test id
 * number (0: NULL), 'n' an int, 't' a text (NULL: NULL). */
static void
ins(const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	const char *t;
	uint8_t b[16];
	va_list ap;
	int i, n;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	va_start(ap, types);
	for (i = 0; types[i]; i++) {
		switch (types[i]) {
		case 'i':
			if ((n = va_arg(ap, int)) != 0) {
				idb(b, n);
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
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

static void
org(int id, const char *code, const char *level, int parent)
{
	ins("INSERT INTO org_unit (id, code, name, level, parent_id) "
	    "VALUES (?1, ?2, ?2, ?3, ?4)",
	    "itti", id, code, level, parent);
}

static void
member(int id, int union_, const char *joined, const char *left)
{
	ins("INSERT INTO member (id, org_id, full_name, joined_on, left_on) "
	    "VALUES (?1, ?2, 'Thành viên', ?3, ?4)",
	    "iitt", id, union_, joined, left);
}

/* An activity; task 0 for none. */
static void
act(int id, int org_, const char *date, const char *kind, int task,
    int innovative, int cost)
{
	ins("INSERT INTO activity (id, org_id, held_on, title, kind, "
	    "key_task_id, innovative, cost) "
	    "VALUES (?1, ?2, ?3, 'Hoạt động', ?4, ?5, ?6, ?7)",
	    "iittinn", id, org_, date, kind, task, innovative, cost);
}

static void
benefit(int id, int activity, int member_)
{
	ins("INSERT INTO benefit (id, activity_id, member_id) "
	    "VALUES (?1, ?2, ?3)",
	    "iii", id, activity, member_);
}

static void
plan(int id, int union_, int year, int tied)
{
	ins("INSERT INTO plan (id, org_id, school_year, title, tied_to_tasks) "
	    "VALUES (?1, ?2, ?3, 'Kế hoạch', ?4)",
	    "iinn", id, union_, year, tied);
}

static void
task(int id, int union_, int term_start, const char *kind)
{
	ins("INSERT INTO key_task (id, org_id, term_start, kind, title) "
	    "VALUES (?1, ?2, ?3, ?4, 'Nhiệm vụ')",
	    "iint", id, union_, term_start, kind);
}

static void
seat(int id, int union_, int member_, const char *from, const char *to)
{
	ins("INSERT INTO council_seat (id, org_id, member_id, council, "
	    "from_on, to_on) VALUES (?1, ?2, ?3, 'school', ?4, ?5)",
	    "iiitt", id, union_, member_, from, to);
}

static void
initiative(int id, int union_, int year, int clc)
{
	ins("INSERT INTO initiative (id, org_id, title, author, year, "
	    "clc_proposed) VALUES (?1, ?2, 'Sáng kiến', 'Tác giả', ?3, ?4)",
	    "iinn", id, union_, year, clc);
}

static void
legal(int id, int org_, const char *opened)
{
	ins("INSERT INTO legal_case (id, org_id, opened_on, topic) "
	    "VALUES (?1, ?2, ?3, 'Chế độ')",
	    "iit", id, org_, opened);
	ins("INSERT INTO legal_event (id, case_id, at, status) "
	    "VALUES (?1, ?1, ?2, 'open')",
	    "it", id, opened);
}

static void
event(int id, int case_, const char *at, const char *status)
{
	ins("INSERT INTO legal_event (id, case_id, at, status) "
	    "VALUES (?1, ?2, ?3, ?4)",
	    "iitt", id, case_, at, status);
}

static void
agreement(int id, int org_, const char *signed_on)
{
	ins("INSERT INTO agreement (id, org_id, partner, title, signed_on) "
	    "VALUES (?1, ?2, 'Đối tác', 'Thỏa thuận', ?3)",
	    "iit", id, org_, signed_on);
}

static int
setup(void **state)
{
	(void)state;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	exec("PRAGMA foreign_keys = ON");
	tu_schema(db, "0001_domain.sql");
	tu_schema(db, "0002_sync.sql");
	org(NAT, "NAT", "national", 0);
	org(HUB, "HUB", "upper", NAT);
	org(HUB2, "HUB2", "upper", NAT);
	org(EMPTY, "EMPTY", "upper", NAT);
	org(S1, "S1", "grassroots", HUB);
	org(S2, "S2", "grassroots", HUB);
	org(S3, "S3", "grassroots", HUB);
	org(S4, "S4", "grassroots", HUB2);
	org(OUT, "OUT", "grassroots", 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cds_alloc_fail_after(-1);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	db = NULL;
	return 0;
}

/* ==== Reading the figures ============================================= */

/* The KPIs of org `code` (NULL: NAT as this node's), which must work. */
static cdsync_kpis *
kpis(const char *code, const char *period, const char *as_of)
{
	cdsync_kpis *k = NULL;
	uint8_t self[16];
	char err[512] = "";

	idb(self, NAT);
	if (cds_kpi_run(db, self, code, period, as_of, &k, err, sizeof err) !=
	    CDSYNC_OK)
		fail_msg("%s %s: %s", code ? code : "(self)", period, err);
	assert_non_null(k);
	return k;
}

/* Fails unless the KPI `id` of k has these figures (value as "%.2f"). */
static void
kpi_is(const cdsync_kpis *k, const char *id, int64_t num, int64_t den,
       const char *value, int target, int met)
{
	const cdsync_kpi *x = NULL;
	char v[64];
	size_t i;

	for (i = 0; i < cdsync_kpi_count(k); i++)
		if (strcmp(cdsync_kpi_at(k, i)->id, id) == 0)
			x = cdsync_kpi_at(k, i);
	if (x == NULL)
		fail_msg("no KPI %s", id);
	snprintf(v, sizeof v, "%.2f", x->value);
	if (x->num != num || x->den != den || strcmp(v, value) != 0 ||
	    x->target != (double)target || x->met != met)
		fail_msg("%s: num %lld den %lld value %s target %g met %d; "
			 "wanted %lld %lld %s %d %d",
			 id, (long long)x->num, (long long)x->den, v,
			 x->target, x->met, (long long)num, (long long)den,
			 value, target, met);
}

/* The `applies` flag of KPI `id`. */
static int
applies(const cdsync_kpis *k, const char *id)
{
	size_t i;

	for (i = 0; i < cdsync_kpi_count(k); i++)
		if (strcmp(cdsync_kpi_at(k, i)->id, id) == 0)
			return cdsync_kpi_at(k, i)->applies;
	fail_msg("no KPI %s", id);
	return -1;
}

/* Runs cds_kpi_run expecting failure `code` with a message containing
 * `part`. */
static void
refused(const char *code, const char *period, const char *as_of, int rc,
	const char *part)
{
	cdsync_kpis *k = (cdsync_kpis *)&k;
	uint8_t self[16];
	char err[512] = "";

	idb(self, HUB);
	assert_int_equal(cds_kpi_run(db, self, code, period, as_of, &k, err,
				     sizeof err),
			 rc);
	assert_null(k);
	if (strstr(err, part) == NULL)
		fail_msg("message '%s' lacks '%s'", err, part);
}

/* ==== Tests =========================================================== */

static void
the_kpis_come_in_the_order_of_the_domain_table(void **state)
{
	static const char *const ids[] = {
		"P3.plan",	   "P3.strategy",    "P3.linked",
		"P2.U.propaganda", "P2.U.councils",  "P2.U.innovation",
		"P2.U.culture",	   "P2.U.care",	     "P2.U.coverage",
		"P2.U.creative",   "P2.N.legal",     "P2.N.training",
		"P2.N.care",	   "P2.N.agreements"
	};
	cdsync_kpis *k;
	size_t i;

	(void)state;
	k = kpis("HUB", "2025-2026", NULL);
	assert_int_equal(cdsync_kpi_count(k), 14);
	for (i = 0; i < 14; i++) {
		const cdsync_kpi *x = cdsync_kpi_at(k, i);

		assert_string_equal(x->id, ids[i]);
		assert_non_null(x->label);
		assert_true(strlen(x->label) > 0);
		assert_int_equal(x->is_share, i < 11);
	}
	assert_null(cdsync_kpi_at(k, 14));
	assert_string_equal(cdsync_kpi_from(k), "2025-09-01");
	assert_string_equal(cdsync_kpi_to(k), "2026-08-31");
	cdsync_kpi_free(k);
}

static void
the_first_and_last_day_count_and_a_day_outside_does_not(
	void **state)
{
	cdsync_kpis *k;

	(void)state;
	act(201, S1, "2025-09-01", "care", 0, 0, 0);
	act(202, S2, "2026-08-31", "care", 0, 0, 0);
	act(203, S3, "2025-08-31", "care", 0, 0, 0);
	act(204, S3, "2026-09-01", "care", 0, 0, 0);
	act(205, S4, "2026-01-01", "care", 0, 0, 0);	/* other hub */
	act(206, OUT, "2026-01-01", "care", 0, 0, 0);	/* outside */
	k = kpis("HUB", "2025-2026", NULL);
	kpi_is(k, "P2.U.care", 2, 3, "66.67", 100, 0);
	assert_int_equal(cdsync_kpi_kind_count(k, "care"), 2);
	cdsync_kpi_free(k);
}

static void
a_hub_where_two_of_three_unions_qualify_is_at_66_67_percent(void **state)
{
	static const char *const shares[] = {
		"P3.plan",	"P3.strategy",	   "P3.linked",
		"P2.U.propaganda", "P2.U.councils", "P2.U.innovation",
		"P2.U.culture",	"P2.U.care"
	};
	cdsync_kpis *k;
	size_t i;

	(void)state;
	member(121, S1, NULL, NULL);
	member(122, S2, NULL, NULL);
	member(123, S3, NULL, NULL);
	/* plans: S3's for 2025-2026 is not tied to the school's tasks */
	plan(601, S1, 2025, 1);
	plan(602, S2, 2025, 1);
	plan(603, S2, 2024, 1);
	plan(604, S3, 2025, 0);
	plan(605, S3, 2024, 1);
	/* key tasks: S3's task is for another term */
	task(401, S1, 2023, "strategy");
	task(402, S1, 2023, "task");
	task(403, S2, 2023, "strategy");
	task(404, S2, 2023, "task");
	task(405, S2, 2023, "task");
	task(406, S3, 2023, "strategy");
	task(407, S3, 2028, "task");
	/* linked to a key task: S3's only one is the day before */
	act(501, S1, "2025-11-01", "emulation", 402, 0, 0);
	act(502, S2, "2026-08-31", "emulation", 404, 0, 0);
	act(503, S3, "2025-08-31", "emulation", 406, 0, 0);
	act(504, S3, "2025-12-01", "emulation", 0, 0, 0);
	/* propaganda: S3's is the day after */
	act(511, S1, "2025-09-01", "propaganda", 0, 0, 0);
	act(512, S2, "2026-03-03", "propaganda", 0, 0, 0);
	act(513, S3, "2026-09-01", "propaganda", 0, 0, 0);
	act(514, S3, "2026-01-01", "training", 0, 0, 0);
	/* innovation: S3's innovative one is before the window */
	act(521, S1, "2025-10-10", "dialogue", 0, 1, 0);
	act(522, S2, "2025-10-10", "inspection", 0, 1, 0);
	act(523, S3, "2025-08-15", "dialogue", 0, 1, 0);
	act(524, S3, "2025-10-10", "dialogue", 0, 0, 0);
	/* culture and health: S3's health activity is after the window */
	act(531, S1, "2025-12-12", "culture", 0, 0, 0);
	act(532, S1, "2026-01-01", "health", 0, 0, 0);
	act(533, S2, "2026-05-05", "culture", 0, 0, 0);
	act(534, S2, "2026-05-05", "health", 0, 0, 0);
	act(535, S3, "2026-02-02", "culture", 0, 0, 0);
	act(536, S3, "2026-09-01", "health", 0, 0, 0);
	/* care */
	act(541, S1, "2025-09-01", "care", 0, 0, 0);
	act(542, S2, "2026-08-31", "care", 0, 0, 0);
	act(543, S3, "2025-08-31", "care", 0, 0, 0);
	/* council seats: S1's ends on the first day, S2's starts on the
	 * last day, S3's ended the day before the window and the next
	 * starts the day after */
	seat(701, S1, 121, "2020-01-01", "2025-09-01");
	seat(702, S2, 122, "2026-08-31", NULL);
	seat(703, S3, 123, "2020-01-01", "2025-08-31");
	seat(704, S3, 123, "2026-09-01", NULL);
	/* initiatives: S3's are not proposed or not in 2025..2026 */
	initiative(801, S1, 2025, 1);
	initiative(802, S2, 2026, 1);
	initiative(803, S3, 2025, 0);
	initiative(804, S3, 2024, 1);
	initiative(805, S3, 2027, 1);
	/* qualifying rows outside the hub change nothing */
	act(551, S4, "2026-01-01", "propaganda", 0, 1, 0);
	act(552, OUT, "2026-01-01", "care", 0, 1, 0);
	initiative(806, OUT, 2025, 1);

	k = kpis("HUB", "2025-2026", NULL);
	for (i = 0; i < sizeof shares / sizeof shares[0]; i++)
		kpi_is(k, shares[i], 2, 3, "66.67", 100, 0);
	kpi_is(k, "P2.U.coverage", 0, 3, "0.00", 90, 0);
	kpi_is(k, "P2.U.creative", 2, 3, "66.67", 30, 1);
	kpi_is(k, "P2.N.legal", 0, 0, "100.00", 100, 1);
	kpi_is(k, "P2.N.training", 0, 1, "0.00", 2, 0);
	kpi_is(k, "P2.N.care", 0, 1, "0.00", 2, 0);
	kpi_is(k, "P2.N.agreements", 0, 1, "0.00", 10, 0);
	assert_int_equal(cdsync_kpi_kind_count(k, "emulation"), 3);
	assert_int_equal(cdsync_kpi_kind_count(k, "propaganda"), 2);
	assert_int_equal(cdsync_kpi_kind_count(k, "training"), 1);
	assert_int_equal(cdsync_kpi_kind_count(k, "dialogue"), 2);
	assert_int_equal(cdsync_kpi_kind_count(k, "inspection"), 1);
	assert_int_equal(cdsync_kpi_kind_count(k, "culture"), 3);
	assert_int_equal(cdsync_kpi_kind_count(k, "health"), 2);
	assert_int_equal(cdsync_kpi_kind_count(k, "care"), 2);
	assert_int_equal(cdsync_kpi_kind_count(k, "remote_support"), 0);
	assert_int_equal(cdsync_kpi_kind_count(k, "welfare"), 0);
	assert_int_equal(cdsync_kpi_care_per_member(k), 0);
	cdsync_kpi_free(k);

	/* each union alone: S1 meets every union KPI, S3 none */
	k = kpis("S1", "2025-2026", NULL);
	for (i = 0; i < sizeof shares / sizeof shares[0]; i++)
		kpi_is(k, shares[i], 1, 1, "100.00", 100, 1);
	kpi_is(k, "P2.U.creative", 1, 1, "100.00", 30, 1);
	cdsync_kpi_free(k);
	k = kpis("S3", "2025-2026", NULL);
	for (i = 0; i < sizeof shares / sizeof shares[0]; i++)
		kpi_is(k, shares[i], 0, 1, "0.00", 100, 0);
	kpi_is(k, "P2.U.creative", 0, 1, "0.00", 30, 0);
	cdsync_kpi_free(k);
}

static void
coverage_counts_members_of_the_window_once(void **state)
{
	cdsync_kpis *k;

	(void)state;
	member(101, S1, "2010-09-01", NULL);		/* A */
	member(102, S1, NULL, "2025-08-31");		/* B left before */
	member(103, S1, "2026-03-02", NULL);		/* C joins after */
	member(104, S1, NULL, NULL);			/* D */
	member(105, S1, "2026-03-01", NULL);		/* E joins on as-of */
	member(106, S1, "2001-01-01", "2025-09-01");	/* F left day 1 */
	member(107, S2, NULL, NULL);			/* G */
	member(108, OUT, NULL, NULL);			/* H elsewhere */
	member(109, HUB, NULL, NULL);			/* hub staff */
	act(201, S1, "2025-12-20", "care", 0, 0, 3000000);
	benefit(901, 201, 101);
	benefit(902, 201, 104);
	benefit(903, 201, 102);		/* B is no member now */
	act(202, S1, "2026-01-25", "care", 0, 0, 1000000);
	benefit(904, 202, 104);		/* D benefits twice */
	benefit(905, 202, 103);		/* C is not a member yet */
	act(203, S1, "2026-02-01", "care", 0, 0, 500003); /* nobody */
	act(204, S1, "2026-03-02", "care", 0, 0, 9000000); /* after as-of */
	benefit(906, 204, 105);
	act(205, S1, "2026-01-01", "training", 0, 0, 800000);
	benefit(907, 205, 106);		/* not care */
	act(206, S2, "2026-02-15", "care", 0, 0, 600000);
	benefit(908, 206, 107);
	act(207, HUB, "2026-01-10", "care", 0, 0, 400000); /* the hub's */
	benefit(910, 207, 109);
	act(208, OUT, "2026-01-10", "care", 0, 0, 7000000);
	benefit(909, 208, 108);

	k = kpis("HUB", "2025-2026", "2026-03-01");
	assert_string_equal(cdsync_kpi_to(k), "2026-03-01");
	/* members A D E F G; benefited A D G */
	kpi_is(k, "P2.U.coverage", 3, 5, "60.00", 90, 0);
	/* (3000000 + 1000000 + 500003 + 600000 + 400000) / 5, rounded
	 * down */
	assert_int_equal(cdsync_kpi_care_per_member(k), 1100000);
	assert_int_equal(cdsync_kpi_kind_count(k, "care"), 4);
	assert_int_equal(cdsync_kpi_kind_count(k, "training"), 1);
	kpi_is(k, "P2.U.care", 2, 3, "66.67", 100, 0);
	kpi_is(k, "P2.N.care", 1, 1, "1.00", 2, 0);
	cdsync_kpi_free(k);

	/* a grassroots union alone: its own care only */
	k = kpis("S1", "2025-2026", "2026-03-01");
	kpi_is(k, "P2.U.coverage", 2, 4, "50.00", 90, 0);
	assert_int_equal(cdsync_kpi_care_per_member(k),
			 (3000000 + 1000000 + 500003) / 4);
	cdsync_kpi_free(k);
}

static void
coverage_of_nine_in_ten_members_is_met(void **state)
{
	cdsync_kpis *k;
	int i;

	(void)state;
	act(201, S1, "2026-01-01", "care", 0, 0, 0);
	for (i = 0; i < 10; i++) {
		member(100 + i, S1, NULL, NULL);
		if (i < 9)
			benefit(900 + i, 201, 100 + i);
	}
	k = kpis("S1", "2025-2026", NULL);
	kpi_is(k, "P2.U.coverage", 9, 10, "90.00", 90, 1);
	cdsync_kpi_free(k);
}

static void
as_of_clips_the_window_and_never_extends_it(void **state)
{
	cdsync_kpis *k;

	(void)state;
	act(201, S1, "2026-01-15", "propaganda", 0, 0, 0);
	act(202, S2, "2026-01-16", "propaganda", 0, 0, 0);
	k = kpis("HUB", "2025-2026", "15/01/2026");
	assert_string_equal(cdsync_kpi_from(k), "2025-09-01");
	assert_string_equal(cdsync_kpi_to(k), "2026-01-15");
	kpi_is(k, "P2.U.propaganda", 1, 3, "33.33", 100, 0);
	/* the window still touches two calendar years */
	kpi_is(k, "P2.N.training", 0, 1, "0.00", 2, 0);
	cdsync_kpi_free(k);

	k = kpis("HUB", "2025-2026", "2027-01-01");
	assert_string_equal(cdsync_kpi_to(k), "2026-08-31");
	kpi_is(k, "P2.U.propaganda", 2, 3, "66.67", 100, 0);
	cdsync_kpi_free(k);

	k = kpis("HUB", "2025-2026", " 2025-09-01 ");
	assert_string_equal(cdsync_kpi_to(k), "2025-09-01");
	kpi_is(k, "P2.U.propaganda", 0, 3, "0.00", 100, 0);
	kpi_is(k, "P2.N.training", 0, 1, "0.00", 1, 0);
	cdsync_kpi_free(k);
}

static void
a_plan_is_needed_for_every_school_year_the_window_overlaps(void **state)
{
	cdsync_kpis *k;

	(void)state;
	plan(601, S1, 2024, 1);
	plan(602, S1, 2025, 1);
	plan(603, S1, 2025, 1);		/* two for one year */
	plan(604, S2, 2025, 1);
	plan(605, S3, 2024, 0);
	plan(606, S3, 2025, 1);
	plan(607, S2, 2022, 1);
	plan(608, S2, 2023, 1);
	/* the calendar year 2025 overlaps 2024-2025 and 2025-2026 */
	k = kpis("HUB", "2025", NULL);
	kpi_is(k, "P3.plan", 1, 3, "33.33", 100, 0);
	cdsync_kpi_free(k);
	/* up to August it overlaps 2024-2025 alone */
	k = kpis("HUB", "2025", "2025-08-31");
	kpi_is(k, "P3.plan", 1, 3, "33.33", 100, 0);
	cdsync_kpi_free(k);
	k = kpis("HUB", "2025-2026", NULL);
	kpi_is(k, "P3.plan", 3, 3, "100.00", 100, 1);
	cdsync_kpi_free(k);
	/* the term up to mid 2024 overlaps 2022-2023 and 2023-2024 */
	k = kpis("HUB", "2023-2028", "30/06/2024");
	kpi_is(k, "P3.plan", 1, 3, "33.33", 100, 0);
	cdsync_kpi_free(k);
	k = kpis("HUB", "2025-Q4", NULL);
	kpi_is(k, "P3.plan", 3, 3, "100.00", 100, 1);
	cdsync_kpi_free(k);
}

static void
legal_requests_are_answered_when_advised_by_the_window_end(
	void **state)
{
	cdsync_kpis *k;

	(void)state;
	legal(301, S1, "2025-10-01");
	event(311, 301, "2025-10-05", "advised");
	legal(302, S2, "2026-08-31");
	event(312, 302, "2026-08-31", "escalated");
	legal(303, S3, "2026-01-01");
	event(313, 303, "2026-09-10", "resolved");	/* too late */
	legal(304, HUB, "2026-02-01");			/* the hub's own */
	event(314, 304, "2026-03-01", "resolved");
	legal(305, S1, "2025-08-31");			/* before */
	event(315, 305, "2025-09-02", "resolved");
	legal(306, OUT, "2026-01-01");
	event(316, 306, "2026-01-02", "advised");
	legal(307, S4, "2026-01-01");
	event(317, 307, "2026-01-02", "advised");
	legal(308, S1, "2026-05-01");
	event(318, 308, "2026-05-02", "escalated");
	event(319, 308, "2026-06-01", "advised");
	legal(309, S2, "2026-08-30");
	event(320, 309, "2026-08-31", "advised");	/* last day */

	k = kpis("HUB", "2025-2026", NULL);
	kpi_is(k, "P2.N.legal", 4, 6, "66.67", 100, 0);
	cdsync_kpi_free(k);
	k = kpis("HUB", "2025-2026", "2026-05-15");
	kpi_is(k, "P2.N.legal", 2, 4, "50.00", 100, 0);
	cdsync_kpi_free(k);
	k = kpis("S1", "2025-2026", NULL);
	kpi_is(k, "P2.N.legal", 2, 2, "100.00", 100, 1);
	cdsync_kpi_free(k);
	/* the national unit counts its own and the unions', not the hubs' */
	k = kpis("NAT", "2025-2026", NULL);
	kpi_is(k, "P2.N.legal", 4, 6, "66.67", 100, 0);
	cdsync_kpi_free(k);
}

static void
the_national_unit_counts_its_own_trainings_and_agreements(
	void **state)
{
	cdsync_kpis *k;
	char d[11];
	int i;

	(void)state;
	act(201, NAT, "2025-10-10", "training", 0, 0, 0);
	act(202, NAT, "2026-04-04", "training", 0, 0, 0);
	act(203, NAT, "2026-09-01", "training", 0, 0, 0);
	act(204, HUB, "2026-01-01", "training", 0, 0, 0);
	act(205, S1, "2026-01-01", "training", 0, 0, 0);
	act(206, NAT, "2026-01-20", "care", 0, 0, 2000000);
	act(207, NAT, "2026-09-01", "care", 0, 0, 0);
	for (i = 0; i < 10; i++) {
		snprintf(d, sizeof d, "20%02d-10-15", 23 + i / 2);
		agreement(401 + i, NAT, d);
	}
	agreement(411, NAT, "2022-12-31");
	agreement(412, HUB, "2024-01-01");
	agreement(413, S1, "2026-01-01");
	agreement(414, HUB, "2026-01-01");

	k = kpis(NULL, "2025-2026", NULL);	/* this node: NAT */
	assert_int_equal(applies(k, "P2.N.training"), 1);
	assert_int_equal(applies(k, "P2.N.agreements"), 1);
	assert_int_equal(applies(k, "P2.U.care"), 1);
	kpi_is(k, "P2.N.training", 2, 1, "2.00", 2, 1);
	kpi_is(k, "P2.N.care", 1, 1, "1.00", 2, 0);
	kpi_is(k, "P2.N.agreements", 2, 1, "2.00", 10, 0);
	/* every union of every hub, once */
	kpi_is(k, "P2.U.care", 0, 4, "0.00", 100, 0);
	assert_int_equal(cdsync_kpi_kind_count(k, "training"), 1);
	assert_int_equal(cdsync_kpi_kind_count(k, "care"), 0);
	cdsync_kpi_free(k);

	k = kpis("NAT", "2023-2028", NULL);
	kpi_is(k, "P2.N.training", 3, 1, "3.00", 6, 0);
	kpi_is(k, "P2.N.agreements", 10, 1, "10.00", 10, 1);
	cdsync_kpi_free(k);

	/* for a hub the same figures are its own, for information: they
	 * are not its targets */
	k = kpis("HUB", "2025-2026", NULL);
	assert_int_equal(applies(k, "P2.N.training"), 0);
	assert_int_equal(applies(k, "P2.N.care"), 0);
	assert_int_equal(applies(k, "P2.N.agreements"), 0);
	assert_int_equal(applies(k, "P2.N.legal"), 1);
	kpi_is(k, "P2.N.training", 1, 1, "1.00", 2, 0);
	kpi_is(k, "P2.N.agreements", 1, 1, "1.00", 10, 0);
	cdsync_kpi_free(k);
}

static void
strategy_needs_a_strategy_and_a_task_for_the_2023_term(void **state)
{
	cdsync_kpis *k;

	(void)state;
	task(401, S1, 2023, "strategy");
	task(402, S1, 2023, "task");
	task(403, S2, 2023, "strategy");
	task(404, S3, 2023, "task");
	task(405, S3, 2018, "strategy");
	k = kpis("HUB", "2025", NULL);
	kpi_is(k, "P3.strategy", 1, 3, "33.33", 100, 0);
	cdsync_kpi_free(k);
}

static void
an_org_without_unions_has_empty_shares_and_no_requests(void **state)
{
	cdsync_kpis *k;
	size_t i;

	(void)state;
	k = kpis("EMPTY", "2025-2026", NULL);
	for (i = 0; i < 10; i++) {
		const cdsync_kpi *x = cdsync_kpi_at(k, i);

		assert_int_equal(x->num, 0);
		assert_int_equal(x->den, 0);
		assert_true(x->value == 0.0);
		assert_int_equal(x->met, 0);
	}
	kpi_is(k, "P2.N.legal", 0, 0, "100.00", 100, 1);
	assert_int_equal(cdsync_kpi_care_per_member(k), 0);
	cdsync_kpi_free(k);
}

static void
a_grassroots_org_is_its_only_union_a_hub_reaches_all(
	void **state)
{
	cdsync_kpis *k;
	uint8_t self[16];
	char err[256];

	(void)state;
	/* odd data: a grassroots unit under a grassroots unit */
	org(16, "S1-ANNEX", "grassroots", S1);
	act(201, 16, "2026-01-01", "care", 0, 0, 0);
	act(202, S1, "2026-01-01", "care", 0, 0, 0);
	k = kpis("S1", "2025-2026", NULL);
	kpi_is(k, "P2.U.care", 1, 1, "100.00", 100, 1);
	assert_int_equal(cdsync_kpi_kind_count(k, "care"), 1);
	cdsync_kpi_free(k);
	k = kpis("HUB", "2025-2026", NULL);
	kpi_is(k, "P2.U.care", 2, 4, "50.00", 100, 0);
	cdsync_kpi_free(k);
	/* this node's own org when no code is given */
	k = NULL;
	idb(self, S1);
	assert_int_equal(cds_kpi_run(db, self, NULL, "2025-2026", NULL, &k,
				     err, sizeof err),
			 CDSYNC_OK);
	kpi_is(k, "P2.U.care", 1, 1, "100.00", 100, 1);
	cdsync_kpi_free(k);
}

static void
a_cycle_in_the_tree_does_not_loop(void **state)
{
	cdsync_kpis *k;

	(void)state;
	org(20, "LOOP-A", "upper", 0);
	org(21, "LOOP-B", "upper", 20);
	org(22, "LOOP-S", "grassroots", 21);
	/* LOOP-A under LOOP-B (id 21 = 0x15) */
	exec("UPDATE org_unit SET parent_id = "
	     "x'00000000000000000000000000000015' WHERE code = 'LOOP-A'");
	k = kpis("LOOP-A", "2025-2026", NULL);
	kpi_is(k, "P2.U.care", 0, 1, "0.00", 100, 0);
	cdsync_kpi_free(k);
}

static void
a_bad_period_or_date_is_refused(void **state)
{
	(void)state;
	refused("HUB", "2025/26", NULL, CDSYNC_EINVAL,
		"'2025/26' is not a period: use 2025-2026 (school year), "
		"2025 (year), 2025-Q3 (quarter) or 2023-2028 (term)");
	refused("HUB", NULL, NULL, CDSYNC_EINVAL, "a period is needed");
	refused("HUB", "2025-2026", "2025-13-01", CDSYNC_EINVAL,
		"as-of date: ");
	refused("HUB", "2025-2026", "", CDSYNC_EINVAL, "as-of date: ");
	refused("HUB", "2025-2026", "31/08/2025", CDSYNC_EINVAL,
		"as-of date 31/08/2025 is before the period starts");
	refused("HUB", "2025-Q3", "2025-06-30", CDSYNC_EINVAL,
		"as-of date 30/06/2025 is before the period starts");
}

static void
an_unknown_org_code_is_not_found(void **state)
{
	cdsync_kpis *k = (cdsync_kpis *)&k;
	uint8_t self[16];
	char err[256];

	(void)state;
	refused("NOPE", "2025-2026", NULL, CDSYNC_ENOTFOUND,
		"there is no org unit with the code 'NOPE'");
	refused("HUB'; DROP TABLE member; --", "2025", NULL,
		CDSYNC_ENOTFOUND, "DROP TABLE");
	idb(self, 99);
	assert_int_equal(cds_kpi_run(db, self, NULL, "2025", NULL, &k, err,
				     sizeof err),
			 CDSYNC_ENOTFOUND);
	assert_null(k);
	assert_non_null(strstr(err, "not in the store"));
	assert_int_equal(cds_kpi_run(db, NULL, NULL, "2025", NULL, &k, err,
				     sizeof err),
			 CDSYNC_EINVAL);
}

static void
a_failing_allocation_gives_enomem_and_nothing_else(void **state)
{
	cdsync_kpis *k = (cdsync_kpis *)&k;
	char err[256];

	(void)state;
	cds_alloc_fail_after(0);
	assert_int_equal(cds_kpi_run(db, NULL, "HUB", "2025", NULL, &k, err,
				     sizeof err),
			 CDSYNC_ENOMEM);
	cds_alloc_fail_after(-1);
	assert_null(k);
}

static void
the_accessors_accept_null_and_unknown_kinds(void **state)
{
	cdsync_kpis *k;

	(void)state;
	assert_int_equal(cdsync_kpi_count(NULL), 0);
	assert_null(cdsync_kpi_at(NULL, 0));
	assert_null(cdsync_kpi_from(NULL));
	assert_null(cdsync_kpi_to(NULL));
	assert_int_equal(cdsync_kpi_care_per_member(NULL), 0);
	assert_int_equal(cdsync_kpi_kind_count(NULL, "care"), -1);
	cdsync_kpi_free(NULL);
	k = kpis("HUB", "2025", NULL);
	assert_int_equal(cdsync_kpi_kind_count(k, "party"), -1);
	assert_int_equal(cdsync_kpi_kind_count(k, NULL), -1);
	assert_int_equal(cdsync_kpi_kind_count(k, "Care"), -1);
	assert_int_equal(cdsync_kpi_kind_count(k, "welfare"), 0);
	assert_null(cdsync_kpi_at(k, (size_t)-1));
	cdsync_kpi_free(k);
}

static void
compute_needs_a_node_or_a_code_and_reports_on_the_handle(
	void **state)
{
	struct cdsync h;
	cdsync_kpis *k = NULL;

	(void)state;
	memset(&h, 0, sizeof h);
	h.db = db;
	assert_int_equal(cdsync_kpi_compute(&h, NULL, "2025", NULL, &k),
			 CDSYNC_ENOTINIT);
	assert_null(k);
	assert_non_null(strstr(h.msg, "cdsync init"));
	assert_int_equal(cdsync_kpi_compute(&h, "HUB", "2025", NULL, &k),
			 CDSYNC_OK);
	assert_string_equal(h.msg, "");
	kpi_is(k, "P2.U.care", 0, 3, "0.00", 100, 0);
	cdsync_kpi_free(k);
	h.has_node = 1;
	idb(h.org_id, S2);
	assert_int_equal(cdsync_kpi_compute(&h, NULL, "2025", NULL, &k),
			 CDSYNC_OK);
	kpi_is(k, "P2.U.care", 0, 1, "0.00", 100, 0);
	cdsync_kpi_free(k);
	k = NULL;
	assert_int_equal(cdsync_kpi_compute(&h, NULL, "2025/26", NULL, &k),
			 CDSYNC_EINVAL);
	assert_null(k);
	assert_non_null(strstr(h.msg, "'2025/26' is not a period"));
	assert_int_equal(cdsync_kpi_compute(&h, "NOPE", "2025", NULL, &k),
			 CDSYNC_ENOTFOUND);
	assert_non_null(strstr(h.msg, "NOPE"));
}

static void
a_failing_query_reports_sqlite_s_message(void **state)
{
	cdsync_kpis *k = (cdsync_kpis *)&k;
	char err[256];

	(void)state;
	exec("DROP TABLE agreement");
	assert_int_equal(cds_kpi_run(db, NULL, "HUB", "2025", NULL, &k, err,
				     sizeof err),
			 CDSYNC_ERROR);
	assert_null(k);
	assert_non_null(strstr(err, "no such table: agreement"));
	/* and the savepoint was let go */
	assert_int_equal(sqlite3_get_autocommit(db), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(the_kpis_come_in_the_order_of_the_domain_table),
		T(the_first_and_last_day_count_and_a_day_outside_does_not),
		T(a_hub_where_two_of_three_unions_qualify_is_at_66_67_percent),
		T(coverage_counts_members_of_the_window_once),
		T(coverage_of_nine_in_ten_members_is_met),
		T(as_of_clips_the_window_and_never_extends_it),
		T(a_plan_is_needed_for_every_school_year_the_window_overlaps),
		T(legal_requests_are_answered_when_advised_by_the_window_end),
		T(the_national_unit_counts_its_own_trainings_and_agreements),
		T(strategy_needs_a_strategy_and_a_task_for_the_2023_term),
		T(an_org_without_unions_has_empty_shares_and_no_requests),
		T(a_grassroots_org_is_its_only_union_a_hub_reaches_all),
		T(a_cycle_in_the_tree_does_not_loop),
		T(a_bad_period_or_date_is_refused),
		T(an_unknown_org_code_is_not_found),
		T(a_failing_allocation_gives_enomem_and_nothing_else),
		T(the_accessors_accept_null_and_unknown_kinds),
		T(compute_needs_a_node_or_a_code_and_reports_on_the_handle),
		T(a_failing_query_reports_sqlite_s_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
