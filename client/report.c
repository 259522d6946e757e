/* report.c -- the data of a report; see report.h and cdsync.h "Reports".
 *
 * Definitions.  O is the org unit asked for, W0..W1 the window of the
 * period cut at the as-of day A (kpi.c); the tree is the tree of A (of
 * today without A), as kpi.c uses.
 *
 * Figures: every figure is kpi.c's, never computed here: O's over the
 * period; for each unit directly under O in the tree (parent O, not
 * merged away; by code), that unit's over its own subtree, with the same
 * period and A; the trend: O's for each school year from 2023-2024 (the
 * 2023-2028 term's first) to the one holding W1, with the same A (so a
 * year is cut at A, and one not started by W1 is not there).  The tree
 * is built once and every figure read under it (cds_kpi_run_in_tree):
 * a district of a national store has hundreds of schools.
 *
 * Unions: the grassroots unions at or below O in the tree, not merged
 * away (O alone when O is grassroots): those kpi.c counts.  The tree
 * holds the unions this store knows only from the catalog too (tree.h,
 * rule 1: enrolled on or before A, nothing of them merged here): they
 * are in the KPI denominators, and in the list below as never reported
 * and not known.
 *
 * Reported.  The nodes of a union: the nodes this store knows (sync_peer:
 * from the catalog or added by hand) whose org code is the union's or
 * that of a unit merged into it by A.  A bundle of the union: a row of
 * sync_bundle_in from one of its nodes -- sent by the school or forwarded
 * by a hub below, the same bytes; its day: the local calendar day of its
 * seen_ms, when this store first took it in, by this store's clock.
 *
 *   A union has reported when a bundle of it with status 'merged' was
 *   taken in on a day >= W0.
 *
 * This is judged on what the store holds now, as the figures are: they
 * count records by their own dates up to A, whenever those arrived, so a
 * bundle taken in after A (the school-year report sent in September for
 * a review as of 31 August) counts as a report too.  A only bounds the
 * tree and the schools known from the catalog (enrolled by then).
 *
 * A union that has not is listed with since = the day of its newest
 * merged bundle (before W0 then), or never; and held = its bundles held
 * waiting for an earlier one (status 'held': taken in, not merged, their
 * records not in the figures yet).  This node's own union (or the one it
 * is part of) has always reported: its records are written here.  The
 * list runs never first, then the oldest since first, then by code; each
 * names the unit directly under O that holds it (itself when it is one).
 *
 * Everything is read inside one savepoint, so all figures come from the
 * same state of the store.  Values are bound, never formatted into SQL.
 */
#include "report.h"
#include "rollup.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "i18n.h"
#include "id.h"
#include "kpi.h"
#include "period.h"
#include "store.h"
#include "text.h"
#include "tree.h"

/* A unit with its figures. */
struct unit {
	cdsync_report_unit pub;		/* what the accessors give */
	uint8_t id[16];
	char *code, *name, *level;	/* owned */
	cdsync_kpis *kpis;		/* owned */
};

/* A union that has not reported. */
struct miss {
	cdsync_report_missing pub;	/* what the accessors give */
	char *code, *name, *under;	/* owned; under may be NULL */
	char day[11];			/* "YYYY-MM-DD" or "" for never */
};

/* One school year of the trend. */
struct year {
	cdsync_report_year pub;		/* what the accessors give */
	char name[24];			/* "2023-2024" */
	cdsync_kpis *kpis;		/* owned */
};

struct cdsync_report {
	char period[16];		/* canonical name of the period */
	char as_of[11];			/* "YYYY-MM-DD", or "" for none */
	struct unit org;		/* O */
	size_t nchild;			/* units directly under O */
	struct unit *child;
	size_t nunion;			/* unions under O, catalog's too */
	size_t nmiss, capmiss;		/* those that have not reported */
	struct miss *miss;
	size_t nyear;			/* school years of the trend */
	struct year *year;
	int rollup;			/* figures from the last rollup */
};

/* ==== Helpers ========================================================= */

/* Sets err from the last SQLite error on db, finalizes st and returns the
 * code for it. */
static int
sqlfail(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
	return cds_sql_fail(db, st, _("computing the report"), err, errlen);
}

static int
nomem(char *err, size_t errlen)
{
	cds_say(err, errlen, "%s", _("out of memory"));
	return CDSYNC_ENOMEM;
}

/* A copy of column i (text), or NULL for SQL NULL; *rc = CDSYNC_ENOMEM
 * when the copy fails. */
static char *
coldup(sqlite3_stmt *st, int i, int *rc)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *s;

	if (t == NULL)
		return NULL;
	if ((s = cds_strdup((const char *)t)) == NULL)
		*rc = CDSYNC_ENOMEM;
	return s;
}

/* *yes = 1 when the query `sql` (one bound text ?1 = name) gives a row. */
static int
exists(sqlite3 *db, const char *sql, const char *name, int *yes, char *err,
       size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*yes = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlfail(db, st, err, errlen);
	*yes = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* The first year of the school year (1 Sept - 31 Aug) holding ISO date
 * d. */
static int
school_year(const char *d)
{
	int y = 0, m = 0, i;

	for (i = 0; i < 4; i++)
		y = y * 10 + (d[i] - '0');
	m = (d[5] - '0') * 10 + (d[6] - '0');
	return y - (m < 9);
}

static void
unit_clear(struct unit *u)
{
	cds_free(u->code);
	cds_free(u->name);
	cds_free(u->level);
	cdsync_kpi_free(u->kpis);
	memset(u, 0, sizeof *u);
}

/* ==== O and the units under it ======================================== */

/* Reads code, name and level of unit u->id from the tree. */
static int
read_unit(sqlite3 *db, struct unit *u, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = CDSYNC_OK, step;

	if (sqlite3_prepare_v2(db, "SELECT code, name, level FROM "
			       "temp.cds_tree WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	sqlite3_bind_blob(st, 1, u->id, 16, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) != SQLITE_ROW) {
		if (step != SQLITE_DONE)
			return sqlfail(db, st, err, errlen);
		sqlite3_finalize(st);
		cds_say(err, errlen, "%s",
		    _("the org unit of the report is not in the tree"));
		return CDSYNC_ENOTFOUND;
	}
	u->code = coldup(st, 0, &rc);
	u->name = coldup(st, 1, &rc);
	u->level = coldup(st, 2, &rc);
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK && (u->code == NULL || u->name == NULL ||
				u->level == NULL))
		rc = CDSYNC_ENOMEM;
	return rc == CDSYNC_OK ? rc : nomem(err, errlen);
}

/* The id of O: the unit with `code`, else self. */
static int
find_org(sqlite3 *db, const uint8_t self[16], const char *code,
	 uint8_t id[16], char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const void *p;
	int step;

	if (code == NULL) {
		memcpy(id, self, 16);
		return CDSYNC_OK;
	}
	if (sqlite3_prepare_v2(db, "SELECT id FROM temp.cds_tree WHERE "
			       "code = ?1", -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW)
		return sqlfail(db, st, err, errlen);	/* kpi found it */
	p = sqlite3_column_blob(st, 0);
	if (p == NULL || sqlite3_column_bytes(st, 0) != 16)
		return sqlfail(db, st, err, errlen);
	memcpy(id, p, 16);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* The units directly under O in the tree, by code (their figures come
 * later, once the statement is done). */
static int
children(sqlite3 *db, cdsync_report *r, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct unit *u;
	size_t cap = 0;
	const void *p;
	int rc = CDSYNC_OK, step;

	if (sqlite3_prepare_v2(db, "SELECT id, code, name, level FROM "
			       "temp.cds_tree WHERE parent_id = ?1 AND "
			       "rep = id AND id <> ?1 ORDER BY code",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	sqlite3_bind_blob(st, 1, r->org.id, 16, SQLITE_STATIC);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->nchild == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct unit *n = cds_realloc(r->child,
						     ncap * sizeof *n);

			if (n == NULL) {
				rc = CDSYNC_ENOMEM;
				break;
			}
			r->child = n;
			cap = ncap;
		}
		u = &r->child[r->nchild++];
		memset(u, 0, sizeof *u);
		p = sqlite3_column_blob(st, 0);
		if (p != NULL && sqlite3_column_bytes(st, 0) == 16)
			memcpy(u->id, p, 16);
		u->code = coldup(st, 1, &rc);
		u->name = coldup(st, 2, &rc);
		u->level = coldup(st, 3, &rc);
		if (rc == CDSYNC_OK && (u->code == NULL || u->name == NULL ||
					u->level == NULL))
			rc = CDSYNC_ENOMEM;
	}
	if (rc != CDSYNC_OK) {
		sqlite3_finalize(st);
		return nomem(err, errlen);
	}
	if (step != SQLITE_DONE)
		return sqlfail(db, st, err, errlen);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* ==== Who has not reported ============================================ */

/* ?1 O, ?2 W0, ?4 this node's own unit or NULL.
 * units: the tree's units not merged away; sub: O and every unit below
 * it, each with `top`, the unit directly under O it is in (the walk stops
 * at a grassroots O, and UNION ends it even on a cycle); u: the unions;
 * alias: the codes that count as a unit (its own, those merged into
 * it). */
#define MISSING_HEAD                                                      \
	"WITH RECURSIVE "                                                 \
	"units(id, parent, level, known) AS (SELECT id, parent_id, "      \
	"level, known FROM temp.cds_tree WHERE rep = id), "               \
	"sub(id, level, top) AS (SELECT id, level, NULL FROM units "      \
	"WHERE id = ?1 UNION SELECT n.id, n.level, coalesce(s.top, n.id) "\
	"FROM units n JOIN sub s ON n.parent = s.id "                     \
	"WHERE NOT (s.id = ?1 AND s.level = 'grassroots')), "             \
	"u(id, top, known) AS (SELECT s.id, s.top, n.known FROM sub s "   \
	"JOIN units n ON n.id = s.id WHERE s.level = 'grassroots'), "     \
	"alias(unit, code) AS (SELECT rep, code FROM temp.cds_tree), "

/* took: per unit, the newest merged bundle of its nodes and the number
 * held. */
#define MISSING_TOOK                                                      \
	"took(unit, last_ms, held) AS (SELECT a.unit, max(CASE WHEN "     \
	"b.status = 'merged' THEN b.seen_ms END), "                       \
	"sum(b.status = 'held') FROM alias a JOIN sync_peer p ON "        \
	"p.org_code = a.code JOIN sync_bundle_in b ON b.node_id = "       \
	"p.node_id WHERE b.status IN ('merged', 'held') GROUP BY a.unit) "
/* A store without the sync tables (the domain tables only) knows no
 * bundle. */
#define MISSING_NOTOOK                                                    \
	"took(unit, last_ms, held) AS (SELECT NULL, NULL, NULL WHERE 0) "

#define MISSING_TAIL                                                      \
	"SELECT nm.code, nm.name, tp.code, u.known, t.last_ms, "          \
	"coalesce(t.held, 0), date(t.last_ms / 1000, 'unixepoch', "       \
	"'localtime'), u.id IS (SELECT rep FROM temp.cds_tree WHERE id = "\
	"?4) FROM u JOIN temp.cds_tree nm ON nm.id = u.id LEFT JOIN "     \
	"temp.cds_tree tp ON tp.id = u.top LEFT JOIN took t ON "          \
	"t.unit = u.id "                                                  \
	"ORDER BY t.last_ms IS NOT NULL, t.last_ms, nm.code"

static const char MISSING_SQL[] = MISSING_HEAD MISSING_TOOK MISSING_TAIL;
static const char MISSING_BARE_SQL[] =
	MISSING_HEAD MISSING_NOTOOK MISSING_TAIL;

/* Adds a union that has not reported from the row of st. */
static int
add_missing(cdsync_report *r, sqlite3_stmt *st)
{
	const unsigned char *day;
	struct miss *m;
	int rc = CDSYNC_OK;

	if (r->nmiss == r->capmiss) {
		size_t ncap = r->capmiss ? 2 * r->capmiss : 16;
		struct miss *n = cds_realloc(r->miss, ncap * sizeof *n);

		if (n == NULL)
			return CDSYNC_ENOMEM;
		r->miss = n;
		r->capmiss = ncap;
	}
	m = &r->miss[r->nmiss++];
	memset(m, 0, sizeof *m);
	m->code = coldup(st, 0, &rc);
	m->name = coldup(st, 1, &rc);
	m->under = coldup(st, 2, &rc);
	m->pub.known = sqlite3_column_int(st, 3);
	m->pub.last_ms = sqlite3_column_int64(st, 4);
	m->pub.held = sqlite3_column_int64(st, 5);
	if ((day = sqlite3_column_text(st, 6)) != NULL)
		snprintf(m->day, sizeof m->day, "%s", (const char *)day);
	if (rc == CDSYNC_OK && (m->code == NULL || m->name == NULL))
		rc = CDSYNC_ENOMEM;
	return rc;
}

/* Fills r->nunion and the unions of O that have not reported. */
static int
missing(sqlite3 *db, cdsync_report *r, const uint8_t self[16],
	const char *w0, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *day;
	int rc, yes, step;

	/* the columns 0003 and 0008 add */
	if ((rc = exists(db, "SELECT 1 FROM pragma_table_info(?1) WHERE "
			 "name = 'seen_ms'", "sync_bundle_in", &yes, err,
			 errlen)) != CDSYNC_OK)
		return rc;
	if (sqlite3_prepare_v2(db, yes ? MISSING_SQL : MISSING_BARE_SQL, -1,
			       &st, NULL) != SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	sqlite3_bind_blob(st, 1, r->org.id, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w0, -1, SQLITE_STATIC);
	if (self != NULL)
		sqlite3_bind_blob(st, 4, self, 16, SQLITE_STATIC);
	rc = CDSYNC_OK;
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		r->nunion++;
		if (sqlite3_column_int(st, 7))
			continue;	/* this node's own union */
		day = sqlite3_column_text(st, 6);
		if (day != NULL && strcmp((const char *)day, w0) >= 0)
			continue;	/* reported */
		rc = add_missing(r, st);
	}
	if (rc != CDSYNC_OK) {
		sqlite3_finalize(st);
		return nomem(err, errlen);
	}
	if (step != SQLITE_DONE)
		return sqlfail(db, st, err, errlen);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* ==== The figures ===================================================== */

/* The figures of the unit `code` for `period`: counted (kpi.c), or read
 * from the last rollup (rollup.c) when the report asks so and the period
 * is one the rollup keeps (a school year of the trend after the term is
 * counted). */
static int
unit_kpis(sqlite3 *db, const cdsync_report *r, const char *code,
	  const char *period, const char *as_of, cdsync_kpis **out, char *e,
	  size_t n)
{
	if (r->rollup && !(strlen(period) == 9 && strcmp(period, "2027-2028") >
							  0))
		return cds_rollup_kpis(db, code, period, out, e, n);
	return cds_kpi_run_in_tree(db, NULL, code, period, as_of, out, e, n);
}

/* The figures of the children and of the trend; a failure names the
 * unit and the school year. */
static int
figures(sqlite3 *db, cdsync_report *r, const char *period,
	const char *as_of, char *err, size_t errlen)
{
	char e[CDS_MSGLEN];
	int y, last, rc = CDSYNC_OK;
	size_t i;

	for (i = 0; i < r->nchild && rc == CDSYNC_OK; i++) {
		rc = unit_kpis(db, r, r->child[i].code, period, as_of,
			       &r->child[i].kpis, e, sizeof e);
		if (rc != CDSYNC_OK)
			cds_say(err, errlen, _("the figures of %s: %s"),
			    r->child[i].code, e);
	}
	if (rc != CDSYNC_OK)
		return rc;
	last = school_year(cdsync_kpi_to(r->org.kpis));
	if (last < CDS_REPORT_FIRST_YEAR)
		return CDSYNC_OK;
	r->year = cds_calloc((size_t)last - CDS_REPORT_FIRST_YEAR + 1,
			     sizeof *r->year);
	if (r->year == NULL)
		return nomem(err, errlen);
	for (y = CDS_REPORT_FIRST_YEAR; y <= last && rc == CDSYNC_OK; y++) {
		struct year *x = &r->year[r->nyear++];

		snprintf(x->name, sizeof x->name, "%d-%d", y, y + 1);
		rc = unit_kpis(db, r, r->org.code, x->name, as_of, &x->kpis, e,
			       sizeof e);
		if (rc != CDSYNC_OK)
			cds_say(err, errlen, _("the figures of %s for %s: %s"),
			    r->org.code, x->name, e);
	}
	return rc;
}

/* Points the public parts at what r owns, once nothing moves. */
static void
seal(cdsync_report *r)
{
	size_t i;

	r->org.pub.code = r->org.code;
	r->org.pub.name = r->org.name;
	r->org.pub.level = r->org.level;
	r->org.pub.kpis = r->org.kpis;
	for (i = 0; i < r->nchild; i++) {
		struct unit *u = &r->child[i];

		u->pub.code = u->code;
		u->pub.name = u->name;
		u->pub.level = u->level;
		u->pub.kpis = u->kpis;
	}
	for (i = 0; i < r->nmiss; i++) {
		struct miss *m = &r->miss[i];

		m->pub.code = m->code;
		m->pub.name = m->name;
		m->pub.under = m->under;
		m->pub.last_day = m->day[0] ? m->day : NULL;
	}
	for (i = 0; i < r->nyear; i++) {
		r->year[i].pub.year = r->year[i].name;
		r->year[i].pub.kpis = r->year[i].kpis;
	}
}

/* ==== Entry points ==================================================== */

/* cds_report_run and cds_report_run_rollup. */
static int
run(sqlite3 *db, const uint8_t self_org[16], const char *org_code,
    const char *period, const char *as_of, int rollup, cdsync_report **out,
    char *err, size_t errlen)
{
	struct cds_period p;
	cdsync_report *r;
	char e[CDS_ERRLEN], w0[11];
	const char *asof = NULL;
	int y, m, d, rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || db == NULL) {
		cds_say(err, errlen, "%s", _("invalid argument"));
		return CDSYNC_EINVAL;
	}
	*out = NULL;
	if (org_code == NULL && self_org == NULL) {
		cds_say(err, errlen, "%s", _("no org unit given"));
		return CDSYNC_EINVAL;
	}
	if (period == NULL) {
		cds_say(err, errlen, "%s",
		    _("a period is needed, e.g. 2025-2026"));
		return CDSYNC_EINVAL;
	}
	if (cds_period_parse(period, &p, e, sizeof e) != 0) {
		cds_say(err, errlen, "%s", e);
		return CDSYNC_EINVAL;
	}
	if ((r = cds_calloc(1, sizeof *r)) == NULL)
		return nomem(err, errlen);
	r->rollup = rollup;
	snprintf(r->period, sizeof r->period, "%s", p.name);
	if (as_of != NULL) {
		if (cds_date_parse(as_of, &y, &m, &d, e, sizeof e) != 0) {
			cds_free(r);
			cds_say(err, errlen, "%s: %s", _("as-of date"), e);
			return CDSYNC_EINVAL;
		}
		cds_date_iso(y, m, d, r->as_of);
		asof = r->as_of;
	}
	if (sqlite3_exec(db, "SAVEPOINT cds_report", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		cds_free(r);
		return sqlfail(db, NULL, err, errlen);
	}
	/* the tree of the date, once; then O's figures: kpi.c judges the
	 * as-of date against the period and O (unknown, merged away) and
	 * says so */
	rc = cds_tree_build(db, asof, NULL, NULL, err, errlen);
	if (rc == CDSYNC_OK && !rollup)
		rc = cds_kpi_run_in_tree(db, self_org, org_code, p.name, asof,
					 &r->org.kpis, err, errlen);
	else if (rc == CDSYNC_OK && org_code != NULL)	/* says what is not */
		rc = cds_rollup_kpis(db, org_code, p.name, &r->org.kpis, err,
				     errlen);
	if (rc == CDSYNC_OK)
		rc = find_org(db, self_org, org_code, r->org.id, err, errlen);
	if (rc == CDSYNC_OK)
		rc = read_unit(db, &r->org, err, errlen);
	if (rc == CDSYNC_OK && rollup && r->org.kpis == NULL)
		rc = cds_rollup_kpis(db, r->org.code, p.name, &r->org.kpis, err,
				     errlen);
	if (rc == CDSYNC_OK)
		snprintf(w0, sizeof w0, "%s", cdsync_kpi_from(r->org.kpis));
	if (rc == CDSYNC_OK)
		rc = children(db, r, err, errlen);
	if (rc == CDSYNC_OK)
		rc = missing(db, r, self_org, w0, err, errlen);
	if (rc == CDSYNC_OK)
		rc = figures(db, r, p.name, asof, err, errlen);
	/* Only read: releasing cannot lose anything, also after a
	 * failure. */
	sqlite3_exec(db, "RELEASE cds_report", NULL, NULL, NULL);
	if (rc != CDSYNC_OK) {
		cdsync_report_free(r);
		return rc;
	}
	seal(r);
	*out = r;
	return CDSYNC_OK;
}

int
cds_report_run(sqlite3 *db, const uint8_t self_org[16], const char *org_code,
	       const char *period, const char *as_of, cdsync_report **out,
	       char *err, size_t errlen)
{
	return run(db, self_org, org_code, period, as_of, 0, out, err,
		   errlen);
}

int
cds_report_run_rollup(sqlite3 *db, const uint8_t self_org[16],
		      const char *org_code, const char *period,
		      cdsync_report **out, char *err, size_t errlen)
{
	return run(db, self_org, org_code, period, NULL, 1, out, err, errlen);
}

/* cdsync_report_compute and cdsync_report_from_rollup. */
static int
compute(cdsync *db, const char *org_code, const char *period,
	const char *as_of, int rollup, cdsync_report **report_out)
{
	char err[CDS_MSGLEN];
	int rc;

	if (db == NULL)
		return CDSYNC_EINVAL;
	cds_ok(db);
	if (report_out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("invalid argument"));
	*report_out = NULL;
	if (!db->has_node && org_code == NULL)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run 'cdsync "
				 "init' first"));
	rc = run(db->db, db->has_node ? db->org_id : NULL, org_code, period,
		 as_of, rollup, report_out, err, sizeof err);
	if (rc != CDSYNC_OK)
		return cds_err(db, rc, "%s", err);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_report_compute(cdsync *db, const char *org_code, const char *period,
		      const char *as_of, cdsync_report **report_out)
{
	return compute(db, org_code, period, as_of, 0, report_out);
}

CDSYNC_API int
cdsync_report_from_rollup(cdsync *db, const char *org_code,
			  const char *period, cdsync_report **report_out)
{
	return compute(db, org_code, period, NULL, 1, report_out);
}

CDSYNC_API void
cdsync_report_free(cdsync_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	unit_clear(&r->org);
	for (i = 0; i < r->nchild; i++)
		unit_clear(&r->child[i]);
	cds_free(r->child);
	for (i = 0; i < r->nmiss; i++) {
		cds_free(r->miss[i].code);
		cds_free(r->miss[i].name);
		cds_free(r->miss[i].under);
	}
	cds_free(r->miss);
	for (i = 0; i < r->nyear; i++)
		cdsync_kpi_free(r->year[i].kpis);
	cds_free(r->year);
	cds_free(r);
}

CDSYNC_API const char *
cdsync_report_period(const cdsync_report *r)
{
	return r ? r->period : NULL;
}

CDSYNC_API const char *
cdsync_report_as_of(const cdsync_report *r)
{
	return r && r->as_of[0] ? r->as_of : NULL;
}

CDSYNC_API const cdsync_report_unit *
cdsync_report_org(const cdsync_report *r)
{
	return r ? &r->org.pub : NULL;
}

CDSYNC_API size_t
cdsync_report_child_count(const cdsync_report *r)
{
	return r ? r->nchild : 0;
}

CDSYNC_API const cdsync_report_unit *
cdsync_report_child_at(const cdsync_report *r, size_t i)
{
	return r && i < r->nchild ? &r->child[i].pub : NULL;
}

CDSYNC_API size_t
cdsync_report_union_count(const cdsync_report *r)
{
	return r ? r->nunion : 0;
}

CDSYNC_API size_t
cdsync_report_missing_count(const cdsync_report *r)
{
	return r ? r->nmiss : 0;
}

CDSYNC_API const cdsync_report_missing *
cdsync_report_missing_at(const cdsync_report *r, size_t i)
{
	return r && i < r->nmiss ? &r->miss[i].pub : NULL;
}

CDSYNC_API size_t
cdsync_report_year_count(const cdsync_report *r)
{
	return r ? r->nyear : 0;
}

CDSYNC_API const cdsync_report_year *
cdsync_report_year_at(const cdsync_report *r, size_t i)
{
	return r && i < r->nyear ? &r->year[i].pub : NULL;
}
