/* report_test.c -- the data of a report (client/report.c): the breakdown
 * by the units under a unit, the unions that have not reported and since
 * when, the trend, the refusals.
 *
 * Each test starts from a fresh in-memory database made from every
 * migration, holding this tree (test numbers in brackets; an id is the
 * number in its last two bytes):
 *
 *   NAT [1] national
 *     P1 [2] upper: S1 [11], S2 [12]; D1 [5] upper: S5 [15]
 *     P2 [3] upper: S3 [13], S4 [14]
 *     P3 [4] upper, empty
 *
 * each school with a node (node number = school number + 100) and a few
 * rows, and adds the bundles, catalog sheets and changes it needs.  Days
 * of bundles are noon UTC, the same day in every time zone of +-11 h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "id.h"
#include "kpi.h"
#include "report.h"
#include "rollup.h"
#include "store.h"
#include "testutil.h"
#include "text.h"

enum { NAT = 1, P1 = 2, P2 = 3, P3 = 4, D1 = 5, S1 = 11, S2 = 12, S3 = 13,
       S4 = 14, S5 = 15 };

static sqlite3 *db;

/* ==== Building the database =========================================== */

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
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

static int
is_migration(const struct dirent *d)
{
	const char *n = d->d_name;
	size_t len = strlen(n);

	return len > 9 && n[0] >= '0' && n[0] <= '9' && n[4] == '_' &&
	       strcmp(n + len - 4, ".sql") == 0;
}

static void
run_migrations(void)
{
	struct dirent **d = NULL;
	char dir[4096];
	int i, n;

	snprintf(dir, sizeof dir, "%s/schema", tu_srcdir());
	n = scandir(dir, &d, is_migration, alphasort);
	if (n < 1)
		fail_msg("no migrations in %s (set CDSYNC_SOURCE_DIR)", dir);
	for (i = 0; i < n; i++) {
		tu_schema(db, d[i]->d_name);
		free(d[i]);
	}
	free(d);
}

/* One statement; `types` names each parameter: 'i' a test id (0: NULL),
 * 'n' an int, 'l' an int64, 't' a text (NULL: NULL). */
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
		case 'l':
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
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
org(int id, const char *code, const char *name, const char *level,
    int parent)
{
	ins("INSERT INTO org_unit (id, code, name, level, parent_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	    "ittti", id, code, name, level, parent);
}

static void
member(int id, int union_)
{
	ins("INSERT INTO member (id, org_id, full_name, joined_on) "
	    "VALUES (?1, ?2, 'Thành viên', '2020-09-01')",
	    "ii", id, union_);
}

static void
act(int id, int org_, const char *date, const char *kind, int cost)
{
	ins("INSERT INTO activity (id, org_id, held_on, title, kind, cost) "
	    "VALUES (?1, ?2, ?3, 'Hoạt động', ?4, ?5)",
	    "iittn", id, org_, date, kind, cost);
}

static void
benefit(int id, int activity, int member_)
{
	ins("INSERT INTO benefit (id, activity_id, member_id) "
	    "VALUES (?1, ?2, ?3)",
	    "iii", id, activity, member_);
}

/* Noon UTC of a day, in ms. */
static int64_t
noon(const char *iso)
{
	int y, m, d;

	assert_int_equal(sscanf(iso, "%4d-%2d-%2d", &y, &m, &d), 3);
	return ((int64_t)cds_date_days(y, m, d) * 86400 + 43200) * 1000;
}

/* The node of school n: its peer row, node number n + 100. */
static void
peer(int node, const char *code)
{
	ins("INSERT INTO sync_peer (node_id, org_code, sign_pk, box_pk, "
	    "catalog) VALUES (?1, ?2, zeroblob(32), zeroblob(32), 1)",
	    "it", node, code);
}

/* A bundle of `node` taken in on `day` with `status`. */
static void
bundle(int node, int seq, const char *status, const char *day)
{
	static int n;
	uint8_t h[32];
	int64_t ms = noon(day);

	memset(h, 0, sizeof h);
	n++;
	h[0] = (uint8_t)n;
	h[1] = (uint8_t)(n >> 8);
	{
		sqlite3_stmt *st = NULL;
		uint8_t nb[16];

		idb(nb, node);
		assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO "
						    "sync_bundle_in (hash, "
						    "node_id, seq, status, "
						    "bytes, seen_ms, "
						    "status_ms) VALUES (?1, "
						    "?2, ?3, ?4, x'00', ?5, "
						    "?5)", -1, &st, NULL),
				 SQLITE_OK);
		sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, nb, 16, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, seq);
		sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, ms);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
}

/* A merge of `subject` into `into` recorded by `author`. */
static void
merge(int id, int author, int subject, const char *on, int into)
{
	ins("INSERT INTO org_change (id, org_id, subject_id, effective_on, "
	    "change, into_id) VALUES (?1, ?2, ?3, ?4, 'merge', ?5)",
	    "iiiti", id, author, subject, on, into);
}

/* Schools: S1 3 members, S2 2, S3 4, S4 1, S5 2; care in 2025-2026 in
 * S1 (2 benefit), S3 (4 benefit), S5 (1); propaganda in S2; care in
 * 2024-2025 in S2 (both); a training of NAT itself. */
static int
setup(void **state)
{
	static const int schools[] = { S1, S2, S3, S4, S5 };
	static const int nmem[] = { 3, 2, 4, 1, 2 };
	static const char *const codes[] = { "S1", "S2", "S3", "S4", "S5" };
	int s, i;

	(void)state;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	exec("PRAGMA foreign_keys = ON");
	run_migrations();
	org(NAT, "NAT", "Công đoàn Giáo dục Việt Nam", "national", 0);
	org(P1, "P1", "Tỉnh Một", "upper", NAT);
	org(P2, "P2", "Tỉnh Hai", "upper", NAT);
	org(P3, "P3", "Tỉnh Ba", "upper", NAT);
	org(D1, "D1", "Huyện Một", "upper", P1);
	org(S1, "S1", "Trường Một", "grassroots", P1);
	org(S2, "S2", "Trường Hai", "grassroots", P1);
	org(S3, "S3", "Trường Ba", "grassroots", P2);
	org(S4, "S4", "Trường Bốn", "grassroots", P2);
	org(S5, "S5", "Trường Năm", "grassroots", D1);
	for (s = 0; s < 5; s++) {
		for (i = 0; i < nmem[s]; i++)
			member(1000 + 100 * s + i, schools[s]);
		peer(schools[s] + 100, codes[s]);
	}
	act(2000, S1, "2025-12-20", "care", 600000);
	benefit(3000, 2000, 1000);
	benefit(3001, 2000, 1001);
	act(2002, S3, "2026-01-20", "care", 2000000);
	for (i = 0; i < 4; i++)
		benefit(3200 + i, 2002, 1200 + i);
	act(2004, S5, "2026-02-02", "care", 200000);
	benefit(3400, 2004, 1400);
	act(2010, S2, "2025-10-10", "propaganda", 0);
	act(2011, S2, "2025-01-25", "care", 400000);
	benefit(3100, 2011, 1100);
	benefit(3101, 2011, 1101);
	act(2020, NAT, "2025-11-11", "training", 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cds_alloc_fail_after(-1);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	db = NULL;
	tu_cleanup();
	return 0;
}

/* ==== Reading reports ================================================= */

static cdsync_report *
report(const uint8_t *self, const char *code, const char *period,
       const char *as_of)
{
	cdsync_report *r = NULL;
	char err[1024] = "";

	if (cds_report_run(db, self, code, period, as_of, &r, err,
			   sizeof err) != CDSYNC_OK)
		fail_msg("%s %s %s: %s", code ? code : "(self)", period,
			 as_of ? as_of : "-", err);
	assert_non_null(r);
	return r;
}

static cdsync_kpis *
kpis(const char *code, const char *period, const char *as_of)
{
	cdsync_kpis *k = NULL;
	char err[512] = "";

	if (cds_kpi_run(db, NULL, code, period, as_of, &k, err, sizeof err) !=
	    CDSYNC_OK)
		fail_msg("%s %s: %s", code, period, err);
	return k;
}

static const cdsync_kpi *
kpi(const cdsync_kpis *k, const char *id)
{
	size_t i;

	for (i = 0; i < cdsync_kpi_count(k); i++)
		if (strcmp(cdsync_kpi_at(k, i)->id, id) == 0)
			return cdsync_kpi_at(k, i);
	fail_msg("no KPI %s", id);
	return NULL;
}

/* a and b hold the same figures. */
static void
same(const cdsync_kpis *a, const cdsync_kpis *b)
{
	const cdsync_kpi *x, *y;
	size_t i;

	assert_int_equal(cdsync_kpi_count(a), cdsync_kpi_count(b));
	for (i = 0; i < cdsync_kpi_count(a); i++) {
		x = cdsync_kpi_at(a, i);
		y = cdsync_kpi_at(b, i);
		assert_string_equal(x->id, y->id);
		if (x->num != y->num || x->den != y->den || x->met != y->met ||
		    x->applies != y->applies)
			fail_msg("%s: %lld/%lld against %lld/%lld", x->id,
				 (long long)x->num, (long long)x->den,
				 (long long)y->num, (long long)y->den);
	}
	assert_int_equal(cdsync_kpi_care_per_member(a),
			 cdsync_kpi_care_per_member(b));
	assert_int_equal(cdsync_kpi_kind_count(a, "care"),
			 cdsync_kpi_kind_count(b, "care"));
	assert_string_equal(cdsync_kpi_from(a), cdsync_kpi_from(b));
	assert_string_equal(cdsync_kpi_to(a), cdsync_kpi_to(b));
}

/* The not-reported list as "CODE<under>@DAY+held" lines ("never" for no
 * day, "*" after a union known from the catalog only). */
static const char *
missing(const cdsync_report *r)
{
	static char out[2048];
	const cdsync_report_missing *m;
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < cdsync_report_missing_count(r); i++) {
		m = cdsync_report_missing_at(r, i);
		len += (size_t)snprintf(out + len, sizeof out - len,
					"%s%s<%s>@%s+%lld ", m->code,
					m->known ? "" : "*",
					m->under ? m->under : "-",
					m->last_day ? m->last_day : "never",
					(long long)m->held);
		assert_true(m->name != NULL && *m->name != '\0');
		assert_true((m->last_day == NULL) == (m->last_ms == 0));
	}
	return out;
}

/* ==== The breakdown =================================================== */

static void
the_breakdown_gives_each_unit_under_it_its_own_subtree(void **state)
{
	cdsync_report *r;
	const cdsync_report_unit *o, *c;
	cdsync_kpis *k;
	static const char *const want[] = { "P1", "P2", "P3" };
	static const char *const ids[] = { "P2.U.care", "P2.U.coverage",
					   "P2.U.propaganda", "P3.plan" };
	int64_t num, den;
	size_t i, j;

	(void)state;
	r = report(NULL, "NAT", "2025-2026", NULL);
	o = cdsync_report_org(r);
	assert_string_equal(o->code, "NAT");
	assert_string_equal(o->name, "Công đoàn Giáo dục Việt Nam");
	assert_string_equal(o->level, "national");
	assert_string_equal(cdsync_report_period(r), "2025-2026");
	assert_null(cdsync_report_as_of(r));
	/* the units directly under NAT, by code: not D1, not the schools */
	assert_int_equal(cdsync_report_child_count(r), 3);
	for (i = 0; i < 3; i++) {
		c = cdsync_report_child_at(r, i);
		assert_string_equal(c->code, want[i]);
		assert_string_equal(c->level, "upper");
		/* exactly the figures of that unit asked alone */
		k = kpis(want[i], "2025-2026", NULL);
		same(c->kpis, k);
		cdsync_kpi_free(k);
	}
	assert_null(cdsync_report_child_at(r, 3));
	/* O's figures are the KPIs' own */
	k = kpis("NAT", "2025-2026", NULL);
	same(o->kpis, k);
	cdsync_kpi_free(k);
	/* the unions split between the units under NAT: shares of unions
	 * and of members add up */
	for (j = 0; j < sizeof ids / sizeof ids[0]; j++) {
		for (num = den = 0, i = 0; i < 3; i++) {
			c = cdsync_report_child_at(r, i);
			num += kpi(c->kpis, ids[j])->num;
			den += kpi(c->kpis, ids[j])->den;
		}
		assert_int_equal(num, kpi(o->kpis, ids[j])->num);
		assert_int_equal(den, kpi(o->kpis, ids[j])->den);
	}
	/* the values themselves: P1 holds S1, S2 and (through D1) S5 */
	c = cdsync_report_child_at(r, 0);
	assert_int_equal(kpi(c->kpis, "P2.U.care")->num, 2);
	assert_int_equal(kpi(c->kpis, "P2.U.care")->den, 3);
	assert_int_equal(kpi(c->kpis, "P2.U.coverage")->num, 3);
	assert_int_equal(kpi(c->kpis, "P2.U.coverage")->den, 7);
	assert_int_equal(kpi(c->kpis, "P2.U.propaganda")->num, 1);
	assert_int_equal(cdsync_kpi_care_per_member(c->kpis), 800000 / 7);
	c = cdsync_report_child_at(r, 1);
	assert_int_equal(kpi(c->kpis, "P2.U.coverage")->num, 4);
	assert_int_equal(kpi(c->kpis, "P2.U.coverage")->den, 5);
	assert_int_equal(cdsync_kpi_care_per_member(c->kpis), 400000);
	c = cdsync_report_child_at(r, 2);
	assert_int_equal(kpi(c->kpis, "P2.U.care")->den, 0);
	/* NAT's own training is NAT's, in no unit under it */
	assert_int_equal(kpi(o->kpis, "P2.N.training")->num, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(kpi(cdsync_report_child_at(r, i)->kpis,
				     "P2.N.training")->num, 0);
	cdsync_report_free(r);
	/* one level down: P1's units are S1, S2 and D1 */
	r = report(NULL, "P1", "2025-2026", NULL);
	assert_int_equal(cdsync_report_child_count(r), 3);
	assert_string_equal(cdsync_report_child_at(r, 0)->code, "D1");
	assert_string_equal(cdsync_report_child_at(r, 1)->code, "S1");
	assert_string_equal(cdsync_report_child_at(r, 2)->code, "S2");
	assert_string_equal(cdsync_report_child_at(r, 1)->level,
			    "grassroots");
	assert_int_equal(kpi(cdsync_report_child_at(r, 0)->kpis,
			     "P2.U.care")->den, 1);
	cdsync_report_free(r);
}

static void
a_school_s_report_has_no_units_under_it(void **state)
{
	cdsync_report *r;

	(void)state;
	r = report(NULL, "S3", "2025-2026", NULL);
	assert_int_equal(cdsync_report_child_count(r), 0);
	assert_null(cdsync_report_child_at(r, 0));
	assert_int_equal(cdsync_report_union_count(r), 1);
	assert_string_equal(cdsync_report_org(r)->level, "grassroots");
	assert_int_equal(kpi(cdsync_report_org(r)->kpis, "P2.U.coverage")->num,
			 4);
	/* never seen here: listed, under no unit */
	assert_string_equal(missing(r), "S3<->@never+0 ");
	cdsync_report_free(r);
}

static void
the_breakdown_follows_the_tree_of_the_date(void **state)
{
	cdsync_report *r;

	(void)state;
	/* P2 merges into P1 from 01/01/2026; S5 moves under P3 */
	merge(501, NAT, P2, "2026-01-01", P1);
	ins("INSERT INTO org_change (id, org_id, subject_id, effective_on, "
	    "change, parent_id) VALUES (?1, ?2, ?3, '2026-01-01', 'move', "
	    "?4)", "iiii", 502, NAT, S5, P3);
	r = report(NULL, "NAT", "2025-2026", "2025-12-31");
	assert_int_equal(cdsync_report_child_count(r), 3);
	cdsync_report_free(r);
	r = report(NULL, "NAT", "2025-2026", "2026-01-01");
	/* P2 is part of P1 now: two units under NAT */
	assert_int_equal(cdsync_report_child_count(r), 2);
	assert_string_equal(cdsync_report_child_at(r, 0)->code, "P1");
	assert_string_equal(cdsync_report_child_at(r, 1)->code, "P3");
	assert_int_equal(kpi(cdsync_report_child_at(r, 0)->kpis,
			     "P2.U.care")->den, 4);
	assert_int_equal(kpi(cdsync_report_child_at(r, 1)->kpis,
			     "P2.U.care")->den, 1);
	cdsync_report_free(r);
}

/* ==== Not reported ==================================================== */

/* S1 reported in the window; S2 before it only; S3 before it, and a
 * bundle held in it; S4 never; S5 on W0 itself; S4's node's evidence
 * does not count. */
static void
bundles(void)
{
	bundle(S1 + 100, 1, "merged", "2025-06-01");
	bundle(S1 + 100, 2, "merged", "2025-10-01");
	bundle(S2 + 100, 1, "merged", "2025-06-15");
	bundle(S3 + 100, 1, "merged", "2025-03-01");
	bundle(S3 + 100, 3, "held", "2025-10-05");
	bundle(S4 + 100, 1, "evidence", "2025-10-06");
	bundle(S5 + 100, 1, "merged", "2025-09-01");
}

static void
a_union_has_reported_with_a_merged_bundle_taken_in_since_w0(void **state)
{
	cdsync_report *r;

	(void)state;
	bundles();
	r = report(NULL, "NAT", "2025-2026", NULL);
	assert_int_equal(cdsync_report_union_count(r), 5);
	/* never first, then the oldest, each with the unit under NAT */
	assert_string_equal(missing(r), "S4<P2>@never+0 "
					"S3<P2>@2025-03-01+1 "
					"S2<P1>@2025-06-15+0 ");
	assert_int_equal(cdsync_report_missing_at(r, 1)->last_ms,
			 noon("2025-03-01"));
	assert_int_equal(cdsync_report_missing_at(r, 0)->known, 1);
	assert_null(cdsync_report_missing_at(r, 3));
	cdsync_report_free(r);
	/* a district's view: under is the school itself, or D1 */
	r = report(NULL, "P1", "2025-2026", NULL);
	assert_string_equal(missing(r), "S2<S2>@2025-06-15+0 ");
	cdsync_report_free(r);
	/* a quarter before (from 01/04/2025, no as-of day: every bundle
	 * counts): only S3's of March is before it */
	r = report(NULL, "NAT", "2025-Q2", NULL);
	assert_string_equal(missing(r), "S4<P2>@never+0 "
					"S3<P2>@2025-03-01+1 ");
	cdsync_report_free(r);
}

static void
bundles_taken_in_after_the_as_of_day_count_too(void **state)
{
	cdsync_report *r;

	(void)state;
	bundles();
	/* S1's October bundle came after the as-of day: it is a report all
	 * the same (its records count in the figures) */
	r = report(NULL, "NAT", "2025-2026", "2025-09-30");
	assert_string_equal(missing(r), "S4<P2>@never+0 "
					"S3<P2>@2025-03-01+1 "
					"S2<P1>@2025-06-15+0 ");
	assert_string_equal(cdsync_report_as_of(r), "2025-09-30");
	cdsync_report_free(r);
	/* a late bundle makes S2 reported for its school year */
	bundle(S2 + 100, 2, "merged", "2025-09-15");
	r = report(NULL, "NAT", "2024-2025", "31/08/2025");
	assert_string_equal(missing(r), "S4<P2>@never+0 ");
	cdsync_report_free(r);
}

static void
schools_enrolled_but_never_seen_are_listed_as_never(void **state)
{
	static const struct tu_entry p1[] = {
		{ "S1", "Trường Một", "P1", 1, "2024-09-01" },
		{ "P1-NEW", "Trường Mới", "P1", 1, "2025-08-01" },
		{ "D1-NEW", "Trường Vùng Cao", "D1", 1, "2025-08-02" },
		{ "P1-LATE", "Trường Muộn", "P1", 1, "2026-03-01" },
	};
	static const struct tu_entry nat[] = {
		{ "P1", "Tỉnh Một", "NAT", 2, "2024-01-01" },
		{ "H9", "Tỉnh Chín", "NAT", 2, "2025-01-01" },
	};
	static const struct tu_entry h9[] = {
		{ "H9-S", "Trường Chín", "H9", 1, "2025-02-01" },
	};
	cdsync_report *r;

	(void)state;
	bundles();
	tu_sheet(db, "P1", 1, p1, 4);
	tu_sheet(db, "NAT", 1, nat, 2);
	tu_sheet(db, "H9", 1, h9, 1);
	r = report(NULL, "NAT", "2025-2026", "2026-01-31");
	/* S1 is in the store already: once; P1-LATE was not enrolled yet;
	 * H9 itself is known from the catalog only, and so is its school */
	assert_int_equal(cdsync_report_union_count(r), 8);
	assert_string_equal(missing(r), "D1-NEW*<P1>@never+0 "
					"H9-S*<H9>@never+0 "
					"P1-NEW*<P1>@never+0 "
					"S4<P2>@never+0 "
					"S3<P2>@2025-03-01+1 "
					"S2<P1>@2025-06-15+0 ");
	assert_string_equal(cdsync_report_missing_at(r, 2)->name,
			    "Trường Mới");
	/* the catalog's units are units of the tree: H9 is a unit under
	 * NAT, and the three enrolled schools count in the shares of
	 * unions (they have met nothing here) */
	assert_int_equal(cdsync_report_child_count(r), 4);
	assert_int_equal(kpi(cdsync_report_org(r)->kpis, "P2.U.care")->den, 8);
	assert_int_equal(kpi(cdsync_report_org(r)->kpis, "P2.U.care")->num, 2);
	cdsync_report_free(r);
	r = report(NULL, "NAT", "2025-2026", NULL);
	assert_int_equal(cdsync_report_union_count(r), 9);
	cdsync_report_free(r);
	/* a node of a catalog-only school whose bundle is merged (its org
	 * unit row not come yet): reported */
	peer(300, "P1-NEW");
	bundle(300, 1, "merged", "2025-12-01");
	r = report(NULL, "P1", "2025-2026", "2026-01-31");
	assert_string_equal(missing(r), "D1-NEW*<D1>@never+0 "
					"S2<S2>@2025-06-15+0 ");
	cdsync_report_free(r);
}

static void
a_merged_school_reports_through_the_union_it_is_part_of(void **state)
{
	cdsync_report *r;

	(void)state;
	/* S2 is part of S1 from 01/09/2025; only S2's node sends */
	merge(501, P1, S2, "2025-09-01", S1);
	exec("DELETE FROM sync_peer WHERE org_code = 'S1'");
	bundle(S2 + 100, 1, "merged", "2025-10-02");
	r = report(NULL, "P1", "2025-2026", NULL);
	/* S1 (with S2) and S5 */
	assert_int_equal(cdsync_report_union_count(r), 2);
	assert_string_equal(missing(r), "S5<D1>@never+0 ");
	cdsync_report_free(r);
	/* before the merger S2 is a union of its own (its bundle is its
	 * report), S1 has no node */
	r = report(NULL, "P1", "2024-2025", "2025-08-31");
	assert_int_equal(cdsync_report_union_count(r), 3);
	assert_string_equal(missing(r), "S1<S1>@never+0 S5<D1>@never+0 ");
	cdsync_report_free(r);
}

static void
this_node_s_own_union_has_always_reported(void **state)
{
	cdsync_report *r;
	uint8_t self[16];

	(void)state;
	bundles();
	idb(self, S4);
	r = report(self, "P2", "2025-2026", NULL);
	assert_int_equal(cdsync_report_union_count(r), 2);
	assert_string_equal(missing(r), "S3<S3>@2025-03-01+1 ");
	cdsync_report_free(r);
	/* with no code, the report is of this node's own union */
	r = report(self, NULL, "2025-2026", NULL);
	assert_string_equal(cdsync_report_org(r)->code, "S4");
	assert_string_equal(missing(r), "");
	cdsync_report_free(r);
}

/* ==== The trend ======================================================= */

static void
the_trend_runs_from_2023_2024_to_the_period_s_school_year(void **state)
{
	static const struct {
		const char *period, *as_of;
		size_t n;
		const char *last;
	} c[] = {
		{ "2025-2026", NULL, 3, "2025-2026" },
		{ "2025-Q3", NULL, 3, "2025-2026" },	/* ends 30/09/2025 */
		{ "2025-Q2", NULL, 2, "2024-2025" },
		{ "2023-2028", NULL, 5, "2027-2028" },
		{ "2023-2028", "2025-01-31", 2, "2024-2025" },
		{ "2023-2024", NULL, 1, "2023-2024" },
		{ "2023", NULL, 1, "2023-2024" },	/* ends 31/12/2023 */
		{ "2023-Q2", NULL, 0, NULL },
		{ "2020-2021", NULL, 0, NULL },
	};
	const cdsync_report_year *y;
	cdsync_report *r;
	cdsync_kpis *k;
	char want[16];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		r = report(NULL, "P1", c[i].period, c[i].as_of);
		if (cdsync_report_year_count(r) != c[i].n)
			fail_msg("%s: %zu school years, wanted %zu",
				 c[i].period, cdsync_report_year_count(r),
				 c[i].n);
		for (j = 0; j < c[i].n; j++) {
			y = cdsync_report_year_at(r, j);
			snprintf(want, sizeof want, "%zu-%zu", 2023 + j,
				 2024 + j);
			assert_string_equal(y->year, want);
			/* the KPIs of that school year, cut at the same day */
			k = kpis("P1", y->year, c[i].as_of);
			same(y->kpis, k);
			cdsync_kpi_free(k);
		}
		if (c[i].last != NULL)
			assert_string_equal(
				cdsync_report_year_at(r, c[i].n - 1)->year,
				c[i].last);
		assert_null(cdsync_report_year_at(r, c[i].n));
		cdsync_report_free(r);
	}
	/* the values: care in P1 in 2024-2025 (S2) and 2025-2026 (S1, S5) */
	r = report(NULL, "P1", "2025-2026", NULL);
	assert_int_equal(kpi(cdsync_report_year_at(r, 0)->kpis,
			     "P2.U.care")->num, 0);
	assert_int_equal(kpi(cdsync_report_year_at(r, 1)->kpis,
			     "P2.U.care")->num, 1);
	assert_int_equal(kpi(cdsync_report_year_at(r, 2)->kpis,
			     "P2.U.care")->num, 2);
	assert_string_equal(cdsync_kpi_from(cdsync_report_year_at(r, 1)->kpis),
			    "2024-09-01");
	cdsync_report_free(r);
	/* a trend year cut at the as-of day */
	r = report(NULL, "P1", "2025-2026", "2025-12-31");
	assert_string_equal(cdsync_kpi_to(cdsync_report_year_at(r, 2)->kpis),
			    "2025-12-31");
	assert_string_equal(cdsync_kpi_to(cdsync_report_year_at(r, 1)->kpis),
			    "2025-08-31");
	cdsync_report_free(r);
}

/* ==== Refusals ======================================================== */

static void
refused(const uint8_t *self, const char *code, const char *period,
	const char *as_of, int rc, const char *part)
{
	cdsync_report *r = (cdsync_report *)&r;
	char err[1024] = "";

	assert_int_equal(cds_report_run(db, self, code, period, as_of, &r, err,
					sizeof err),
			 rc);
	assert_null(r);
	if (strstr(err, part) == NULL)
		fail_msg("message '%s' lacks '%s'", err, part);
}

static void
bad_requests_are_refused_with_what_and_where(void **state)
{
	cdsync_report *r = NULL;
	char err[256];

	(void)state;
	refused(NULL, "NOPE", "2025-2026", NULL, CDSYNC_ENOTFOUND,
		"there is no org unit with the code 'NOPE'");
	refused(NULL, "P1", "2025/26", NULL, CDSYNC_EINVAL, "2025/26");
	refused(NULL, "P1", NULL, NULL, CDSYNC_EINVAL, "a period is needed");
	refused(NULL, "P1", "2025-2026", "31/02/2026", CDSYNC_EINVAL,
		"as-of date");
	refused(NULL, "P1", "2025-2026", "2025-08-31", CDSYNC_EINVAL,
		"is before the period starts");
	refused(NULL, NULL, "2025-2026", NULL, CDSYNC_EINVAL,
		"no org unit given");
	merge(501, NAT, P2, "2025-07-01", P1);
	refused(NULL, "P2", "2025-2026", "2025-12-31", CDSYNC_ENOTFOUND,
		"P2 was merged into P1 on 01/07/2025");
	assert_int_equal(cds_report_run(db, NULL, "P1", "2025-2026", NULL,
					NULL, err, sizeof err),
			 CDSYNC_EINVAL);
	assert_int_equal(cds_report_run(NULL, NULL, "P1", "2025-2026", NULL,
					&r, err, sizeof err),
			 CDSYNC_EINVAL);
	/* nothing is left open */
	assert_int_equal(sqlite3_get_autocommit(db), 1);
}

static void
the_accessors_take_null(void **state)
{
	(void)state;
	cdsync_report_free(NULL);
	assert_null(cdsync_report_period(NULL));
	assert_null(cdsync_report_as_of(NULL));
	assert_null(cdsync_report_org(NULL));
	assert_int_equal(cdsync_report_child_count(NULL), 0);
	assert_null(cdsync_report_child_at(NULL, 0));
	assert_int_equal(cdsync_report_union_count(NULL), 0);
	assert_int_equal(cdsync_report_missing_count(NULL), 0);
	assert_null(cdsync_report_missing_at(NULL, 0));
	assert_int_equal(cdsync_report_year_count(NULL), 0);
	assert_null(cdsync_report_year_at(NULL, 0));
}

/* ==== Out of memory =================================================== */

static void
a_failing_allocation_gives_enomem_and_frees_everything(void **state)
{
	cdsync_report *r;
	char err[512];
	long n;
	int rc;

	(void)state;
	bundles();
	for (n = 0; n < 5000; n++) {
		r = (cdsync_report *)&r;
		cds_alloc_fail_after(n);
		rc = cds_report_run(db, NULL, "NAT", "2025-2026", NULL, &r,
				    err, sizeof err);
		cds_alloc_fail_after(-1);
		if (rc == CDSYNC_OK)
			break;
		assert_int_equal(rc, CDSYNC_ENOMEM);
		assert_null(r);
		assert_int_equal(sqlite3_get_autocommit(db), 1);
	}
	assert_int_equal(rc, CDSYNC_OK);
	assert_string_equal(missing(r), "S4<P2>@never+0 "
					"S3<P2>@2025-03-01+1 "
					"S2<P1>@2025-06-15+0 ");
	cdsync_report_free(r);
}

/* ==== Through the public API ========================================== */

static void
a_store_reports_on_its_own_union_and_says_what_failed(void **state)
{
	cdsync *s = tu_store();
	cdsync_report *r = NULL;

	(void)state;
	assert_int_equal(cdsync_report_compute(s, NULL, "2025-2026",
					       "31/12/2025", &r),
			 CDSYNC_OK);
	assert_string_equal(cdsync_report_org(r)->code, "TEST-SCHOOL");
	assert_string_equal(cdsync_report_as_of(r), "2025-12-31");
	assert_int_equal(cdsync_report_union_count(r), 1);
	assert_int_equal(cdsync_report_missing_count(r), 0);
	assert_int_equal(cdsync_report_year_count(r), 3);
	assert_string_equal(cdsync_errmsg(s), "");
	cdsync_report_free(r);
	r = (cdsync_report *)&r;
	assert_int_equal(cdsync_report_compute(s, "NOPE", "2025-2026", NULL,
					       &r),
			 CDSYNC_ENOTFOUND);
	assert_null(r);
	assert_non_null(strstr(cdsync_errmsg(s), "NOPE"));
	assert_int_equal(cdsync_report_compute(s, NULL, "2025-2026", NULL,
					       NULL),
			 CDSYNC_EINVAL);
	assert_int_equal(cdsync_report_compute(NULL, NULL, "2025-2026", NULL,
					       &r),
			 CDSYNC_EINVAL);
	cdsync_close(s);
}

/* ==== From the rollup ================================================= */

/* The report read from the last rollup holds the figures the report
 * counts: its unit's, each unit's under it, the trend's; the list of
 * unions not reported is the same; a period outside the term, a unit the
 * rollup has not, and no rollup at all are refused. */
static void
a_report_from_the_rollup_holds_the_counted_figures(void **state)
{
	static const char *const periods[] = { "2025-2026", "2023-2028",
					       "2026-Q1", "2025" };
	cdsync_report *a, *b = NULL;
	char err[1024] = "", msa[2048];
	cdsync_rollup_stats st;
	size_t i, j;

	(void)state;
	assert_int_equal(cds_report_run_rollup(db, NULL, "NAT", "2025-2026",
					       &b, err, sizeof err),
			 CDSYNC_ENOTFOUND);	/* no rollup yet */
	assert_null(b);
	assert_int_equal(cds_rollup_run(db, 0, NULL, NULL, &st, err,
					sizeof err),
			 CDSYNC_OK);
	for (j = 0; j < sizeof periods / sizeof periods[0]; j++) {
		a = report(NULL, "NAT", periods[j], NULL);
		if (cds_report_run_rollup(db, NULL, "NAT", periods[j], &b, err,
					  sizeof err) != CDSYNC_OK)
			fail_msg("%s: %s", periods[j], err);
		same(cdsync_report_org(a)->kpis, cdsync_report_org(b)->kpis);
		assert_int_equal(cdsync_report_child_count(a),
				 cdsync_report_child_count(b));
		for (i = 0; i < cdsync_report_child_count(a); i++)
			same(cdsync_report_child_at(a, i)->kpis,
			     cdsync_report_child_at(b, i)->kpis);
		assert_int_equal(cdsync_report_year_count(a),
				 cdsync_report_year_count(b));
		for (i = 0; i < cdsync_report_year_count(a); i++)
			same(cdsync_report_year_at(a, i)->kpis,
			     cdsync_report_year_at(b, i)->kpis);
		snprintf(msa, sizeof msa, "%s", missing(a));
		assert_string_equal(msa, missing(b));
		cdsync_report_free(a);
		cdsync_report_free(b);
		b = NULL;
	}
	assert_int_equal(cds_report_run_rollup(db, NULL, "NAT", "2030", &b,
					       err, sizeof err),
			 CDSYNC_ENOTFOUND);
	assert_non_null(strstr(err, "2023-2028"));
	if (cds_report_run_rollup(db, NULL, "NOPE", "2025", &b, err,
				  sizeof err) != CDSYNC_ENOTFOUND)
		fail_msg("NOPE: %s", err);
	assert_null(b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(the_breakdown_gives_each_unit_under_it_its_own_subtree),
		T(a_school_s_report_has_no_units_under_it),
		T(the_breakdown_follows_the_tree_of_the_date),
		T(a_union_has_reported_with_a_merged_bundle_taken_in_since_w0),
		T(bundles_taken_in_after_the_as_of_day_count_too),
		T(schools_enrolled_but_never_seen_are_listed_as_never),
		T(a_merged_school_reports_through_the_union_it_is_part_of),
		T(this_node_s_own_union_has_always_reported),
		T(the_trend_runs_from_2023_2024_to_the_period_s_school_year),
		T(bad_requests_are_refused_with_what_and_where),
		T(the_accessors_take_null),
		T(a_failing_allocation_gives_enomem_and_frees_everything),
		T(a_store_reports_on_its_own_union_and_says_what_failed),
		T(a_report_from_the_rollup_holds_the_counted_figures),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
