/* kpi.c -- the KPIs of DOMAIN.md; see kpi.h.
 *
 * Definitions.  O is the org unit asked for (by code, or this node's).
 *
 * Window: [W0, W1] = [first day of the period, min(last day, as-of)].
 * No as-of date means the last day; one before the first day is refused.
 *
 * Tree: the tree of unions on the as-of date when one is given, else on
 * today (client/tree.h): the org units under their parents at creation,
 * with the renames, moves and mergers that count up to that day.  So
 * --as-of both cuts the window and chooses the tree; without it the
 * figures of any period roll up under the tree as it is now.  A unit
 * merged into another (directly, or through a unit merged later) counts
 * as that unit: every row whose org_id is the merged unit (members,
 * plans, key tasks, activities, council seats, initiatives, legal cases,
 * agreements) is a row of the unit it was merged into, and the merged
 * unit is no longer a unit of its own.  A unit merged away by then has
 * no figures: asking for it is refused (CDSYNC_ENOTFOUND, naming the
 * unit it is part of).
 *
 * Unions: the grassroots units (level 'grassroots') at or below O in
 * that tree, not merged away; when O is grassroots, O alone.  N = their
 * number: a union merged into another counts once, as part of it.  The
 * tree holds the schools the catalog enrols whose records never reached
 * this store (tree.h, rule 1): they have no rows, so they count in N and
 * meet nothing.  O too may be such a unit.
 * "The rows of a union" below are the rows of the union and of the units
 * merged into it; "O's own rows" likewise.
 *
 * Members of a union in the window: its member rows with (joined_on NULL
 * or <= W1) and (left_on NULL or >= W0).
 *
 * A share has is_share = 1 and value = 100 * num / den; it is met when
 * num * 100 >= target * den, decided on the integers.  den 0 gives value
 * 0, not met (P2.N.legal excepted).  A count has is_share = 0, value =
 * num, den = 1, and is met when num >= target.
 *
 * In the order of the result:
 *  1 P3.plan          share of the N unions, target 100: for EVERY school
 *                     year overlapping the window, a plan with
 *                     tied_to_tasks = 1 and school_year = that year's
 *                     first year (2025 is 2025-2026)
 *  2 P3.strategy      share of unions, 100: key_task rows with term_start
 *                     2023, at least one of kind 'strategy' and one of
 *                     kind 'task'
 *  3 P3.linked        share of unions, 100: an activity in the window with
 *                     a key task (key_task_id not NULL)
 *  4 P2.U.propaganda  share of unions, 100: a 'propaganda' activity in the
 *                     window
 *  5 P2.U.councils    share of unions, 100: a council seat with from_on <=
 *                     W1 and (to_on NULL or >= W0)
 *  6 P2.U.innovation  share of unions, 100: an activity with innovative = 1
 *                     in the window
 *  7 P2.U.culture     share of unions, 100: a 'culture' activity and a
 *                     'health' activity in the window
 *  8 P2.U.care        share of unions, 100: a 'care' activity in the window
 *  9 P2.U.coverage    share of members, 90, pooled over the unions: num =
 *                     members of the unions in the window who are
 *                     beneficiaries of a care activity held in the window,
 *                     each counted once; den = members in the window
 * 10 P2.U.creative    share of unions, 30: an initiative with
 *                     clc_proposed = 1 whose year lies between the
 *                     window's first and last calendar year
 * 11 P2.N.legal       share of requests, 100: den = legal cases of the
 *                     unions, and of O itself when O is not grassroots,
 *                     opened in the window; num = those with a history row
 *                     'advised' or 'resolved' dated <= W1 (an escalated
 *                     case counts once it is answered).  With no request
 *                     nothing was left unanswered: den 0 gives value 100,
 *                     met.
 * 12 P2.N.training    count: 'training' activities held by O itself in the
 *                     window; target = the number of calendar years the
 *                     window touches (at least one a year).  Meant for the
 *                     national unit; for any other level it is informative.
 * 13 P2.N.care        count: the same for 'care' activities of O itself
 * 14 P2.N.agreements  count: agreements of O itself signed in the window;
 *                     target 10
 * The three counts are targets of the national union only: their
 * `applies` is 1 when O's level is 'national' (every share applies).
 *
 * Extras: care per member = total cost of the care activities in the
 * window of the unions and of O itself, divided by the den of
 * P2.U.coverage (whole VND, rounded down; 0 when den is 0).  Kind counts:
 * activities of the unions in the window, per activity kind.
 *
 * Every figure is read inside one savepoint, so all of them come from the
 * same state of the store; the tree is computed once per call, into
 * temp.cds_tree, which every statement joins.  Values are bound, never
 * formatted into SQL.
 */
#include "kpi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "i18n.h"
#include "period.h"
#include "store.h"
#include "text.h"
#include "tree.h"

#define NKPI 14
#define NKIND CDS_KPI_NKIND
#define NUNI CDS_KPI_NUN	/* columns of UNIONS_SQL */

struct cdsync_kpis {
	size_t n;			/* KPIs in k */
	cdsync_kpi k[NKPI];
	char from[11], to[11];		/* the window */
	int64_t care_per_member;	/* VND */
	int64_t kinds[NKIND];		/* activities per kind, as kinds[] */
};

/* The activity kinds of the schema's CHECK, in its order. */
static const char *const kinds[NKIND] = {
	"propaganda", "training", "care", "culture", "health", "emulation",
	"dialogue", "inspection", "remote_support", "welfare"
};

/* What every statement is given: ?1 the org unit O, ?2 and ?3 the window,
 * ?4 and ?5 the school years it overlaps (by first year), ?6 and ?7 the
 * calendar years it touches. */
struct win {
	uint8_t org[16];
	int national;		/* O is the national union */
	char from[11], to[11];
	int sy1, sy2;
	int y1, y2;
};

/* sub: ?1 and every unit below it in the tree of the date (temp.cds_tree,
 * units merged away left out), except that a grassroots ?1 stands alone;
 * UNION (not UNION ALL) ends the walk even if the tree has a cycle.
 * u: the unions; scope: the unions and O itself. */
#define WITH_UNIONS                                                       \
	"WITH RECURSIVE sub(id, level) AS ("                              \
	"SELECT id, level FROM temp.cds_tree WHERE id = ?1 "              \
	"UNION SELECT t.id, t.level FROM temp.cds_tree t JOIN sub s "      \
	"ON t.parent_id = s.id WHERE t.rep = t.id "                       \
	"AND NOT (s.id = ?1 AND s.level = 'grassroots')), "               \
	"u(id) AS (SELECT id FROM sub WHERE level = 'grassroots'), "       \
	"scope(id) AS (SELECT id FROM u UNION SELECT ?1) "

/* `col` (an org_id) is a unit that counts as `who`: who itself or a unit
 * merged into it; or as one of the units of the set `set`. */
#define OWNED(col, who)                                                   \
	col " IN (SELECT r.id FROM temp.cds_tree r WHERE r.rep = " who ")"
#define OWNED_IN(col, set)                                                \
	col " IN (SELECT r.id FROM temp.cds_tree r WHERE r.rep IN "       \
	"(SELECT id FROM " set "))"

/* Number of unions u for which `cond` holds. */
#define UCOUNT(cond) "coalesce(sum(" cond "), 0)"
/* An activity of union u in the window for which `cond` holds. */
#define UACT(cond)                                                        \
	"EXISTS (SELECT 1 FROM activity a WHERE " OWNED("a.org_id", "u.id") \
	" AND a.held_on BETWEEN ?2 AND ?3 AND " cond ")"
#define UTASK(kind)                                                       \
	"EXISTS (SELECT 1 FROM key_task k WHERE " OWNED("k.org_id", "u.id") \
	" AND k.term_start = 2023 AND k.kind = '" kind "')"

/* N, then the unions meeting KPIs 1-8 and 10. */
static const char UNIONS_SQL[] =
	WITH_UNIONS
	"SELECT count(*), "
	UCOUNT("(SELECT count(DISTINCT p.school_year) FROM plan p "
	       "WHERE " OWNED("p.org_id", "u.id") " AND p.tied_to_tasks = 1 "
	       "AND p.school_year BETWEEN ?4 AND ?5) = ?5 - ?4 + 1") ", "
	UCOUNT(UTASK("strategy") " AND " UTASK("task")) ", "
	UCOUNT(UACT("a.key_task_id IS NOT NULL")) ", "
	UCOUNT(UACT("a.kind = 'propaganda'")) ", "
	UCOUNT("EXISTS (SELECT 1 FROM council_seat c WHERE "
	       OWNED("c.org_id", "u.id") " AND c.from_on <= ?3 "
	       "AND (c.to_on IS NULL OR c.to_on >= ?2))")
	", "
	UCOUNT(UACT("a.innovative = 1")) ", "
	UCOUNT(UACT("a.kind = 'culture'") " AND "
	       UACT("a.kind = 'health'")) ", "
	UCOUNT(UACT("a.kind = 'care'")) ", "
	UCOUNT("EXISTS (SELECT 1 FROM initiative i WHERE "
	       OWNED("i.org_id", "u.id") " AND i.clc_proposed = 1 "
	       "AND i.year BETWEEN ?6 AND ?7)")
	" FROM u";

/* Members in the window, and those of them who benefited from care. */
static const char COVERAGE_SQL[] =
	WITH_UNIONS
	", m(id) AS (SELECT b.id FROM member b "
	"WHERE " OWNED_IN("b.org_id", "u") " "
	"AND (b.joined_on IS NULL OR b.joined_on <= ?3) "
	"AND (b.left_on IS NULL OR b.left_on >= ?2)) "
	"SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM benefit f "
	"JOIN activity a ON a.id = f.activity_id WHERE f.member_id = m.id "
	"AND a.kind = 'care' AND a.held_on BETWEEN ?2 AND ?3)), 0) FROM m";

/* Legal requests opened in the window, and those answered by W1. */
static const char LEGAL_SQL[] =
	WITH_UNIONS
	"SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM legal_event e "
	"WHERE e.case_id = c.id AND e.status IN ('advised', 'resolved') "
	"AND e.at <= ?3)), 0) FROM legal_case c "
	"WHERE " OWNED_IN("c.org_id", "scope") " "
	"AND c.opened_on BETWEEN ?2 AND ?3";

/* O's own trainings, care activities and agreements; the cost of care. */
static const char OWN_SQL[] =
	WITH_UNIONS
	"SELECT (SELECT count(*) FROM activity a WHERE "
	OWNED("a.org_id", "?1") " "
	"AND a.kind = 'training' AND a.held_on BETWEEN ?2 AND ?3), "
	"(SELECT count(*) FROM activity a WHERE " OWNED("a.org_id", "?1") " "
	"AND a.kind = 'care' AND a.held_on BETWEEN ?2 AND ?3), "
	"(SELECT count(*) FROM agreement g WHERE " OWNED("g.org_id", "?1") " "
	"AND g.signed_on BETWEEN ?2 AND ?3), "
	"(SELECT coalesce(sum(a.cost), 0) FROM activity a "
	"WHERE " OWNED_IN("a.org_id", "scope") " AND a.kind = 'care' "
	"AND a.held_on BETWEEN ?2 AND ?3)";

/* Activities of the unions in the window per kind, as kinds[]. */
#define KCOUNT(kind) "coalesce(sum(a.kind = '" kind "'), 0)"
static const char KINDS_SQL[] =
	WITH_UNIONS
	"SELECT " KCOUNT("propaganda") ", " KCOUNT("training") ", "
	KCOUNT("care") ", " KCOUNT("culture") ", " KCOUNT("health") ", "
	KCOUNT("emulation") ", " KCOUNT("dialogue") ", "
	KCOUNT("inspection") ", " KCOUNT("remote_support") ", "
	KCOUNT("welfare") " FROM activity a "
	"WHERE " OWNED_IN("a.org_id", "u") " "
	"AND a.held_on BETWEEN ?2 AND ?3";

/* ==== Helpers ========================================================= */

/* The n-digit number at s. */
static int
dnum(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* The first year of the school year (1 Sept - 31 Aug) holding ISO date
 * d. */
static int
school_year(const char *d)
{
	return dnum(d, 4) - (dnum(d + 5, 2) < 9);
}

int
cds_sql_fail(sqlite3 *db, sqlite3_stmt *st, const char *what, char *err,
	     size_t errlen)
{
	int code;

	switch (sqlite3_errcode(db) & 0xff) {
	case SQLITE_NOMEM:
		code = CDSYNC_ENOMEM;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = CDSYNC_EBUSY;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		code = CDSYNC_ECORRUPT;
		break;
	default:
		code = CDSYNC_ERROR;
	}
	cds_say(err, errlen, "%s: %s", what, _(sqlite3_errmsg(db)));
	sqlite3_finalize(st);
	return code;
}

/* Sets err from the last SQLite error on db, finalizes st and returns the
 * code for it. */
static int
sqlfail(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
	return cds_sql_fail(db, st, _("computing the KPIs"), err, errlen);
}

static int
bind(sqlite3_stmt *st, int i, const struct win *w)
{
	switch (i) {
	case 1:
		return sqlite3_bind_blob(st, 1, w->org, 16, SQLITE_STATIC);
	case 2:
		return sqlite3_bind_text(st, 2, w->from, -1, SQLITE_STATIC);
	case 3:
		return sqlite3_bind_text(st, 3, w->to, -1, SQLITE_STATIC);
	case 4:
		return sqlite3_bind_int(st, 4, w->sy1);
	case 5:
		return sqlite3_bind_int(st, 5, w->sy2);
	case 6:
		return sqlite3_bind_int(st, 6, w->y1);
	case 7:
		return sqlite3_bind_int(st, 7, w->y2);
	default:
		return SQLITE_RANGE;
	}
}

/* Runs sql, which gives one row, and puts its first n columns in v. */
static int
row(sqlite3 *db, const char *sql, const struct win *w, int64_t *v, int n,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int i, np, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	np = sqlite3_bind_parameter_count(st);
	for (i = 1, rc = SQLITE_OK; i <= np && rc == SQLITE_OK; i++)
		rc = bind(st, i, w);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return sqlfail(db, st, err, errlen);
	for (i = 0; i < n; i++)
		v[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* Finds the id of the unit of the tree with `code` (an org unit, or one
 * known from the catalog only), or checks that `self` is an org unit. */
static int
find_org(sqlite3 *db, const uint8_t self[16], const char *code,
	 uint8_t id[16], char *err, size_t errlen)
{
	char b[CDS_SHOWMAX + 4];
	sqlite3_stmt *st = NULL;
	const void *p;
	int rc;

	if (code == NULL && self == NULL) {
		cds_say(err, errlen, "%s", _("no org unit given"));
		return CDSYNC_EINVAL;
	}
	if (sqlite3_prepare_v2(db,
			       code ? "SELECT id FROM temp.cds_tree WHERE "
				      "code = ?1"
				    : "SELECT id FROM org_unit WHERE id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	if (code)
		rc = sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	else
		rc = sqlite3_bind_blob(st, 1, self, 16, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		if (code)
			cds_say(err, errlen,
			    _("there is no org unit with the code '%s'"),
			    cds_show(code, strlen(code), b));
		else
			cds_say(err, errlen, "%s",
			    _("this node's org unit is not in the store"));
		return CDSYNC_ENOTFOUND;
	}
	if (rc != SQLITE_ROW)
		return sqlfail(db, st, err, errlen);
	p = sqlite3_column_blob(st, 0);
	if (p == NULL || sqlite3_column_bytes(st, 0) != 16)
		return sqlfail(db, st, err, errlen);
	memcpy(id, p, 16);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

static void
share(cdsync_kpi *x, const char *id, const char *label, int64_t num,
      int64_t den, int64_t target)
{
	x->applies = 1;
	x->id = id;
	x->label = label;
	x->is_share = 1;
	x->num = num;
	x->den = den;
	x->target = (double)target;
	x->value = den > 0 ? 100.0 * (double)num / (double)den : 0.0;
	x->met = den > 0 && num * 100 >= target * den;
}

static void
count(cdsync_kpi *x, const char *id, const char *label, int64_t num,
      int64_t target, int applies)
{
	x->applies = applies;
	x->id = id;
	x->label = label;
	x->is_share = 0;
	x->num = num;
	x->den = 1;
	x->target = (double)target;
	x->value = (double)num;
	x->met = num >= target;
}

/* Sets w->national from O's level. */
static int
level(sqlite3 *db, struct win *w, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT level = 'national' FROM "
			       "temp.cds_tree WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	sqlite3_bind_blob(st, 1, w->org, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlfail(db, st, err, errlen);
	w->national = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* Refuses an O that the tree of the date has merged into another unit:
 * its rows are that unit's now. */
static int
merged_away(sqlite3 *db, const struct win *w, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char day[11];
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT t.code, r.code, t.merged_on FROM "
			       "temp.cds_tree t JOIN temp.cds_tree r ON r.id = "
			       "t.rep WHERE t.id = ?1 AND t.rep IS NOT t.id",
			       -1, &st, NULL) !=
	    SQLITE_OK)
		return sqlfail(db, st, err, errlen);
	sqlite3_bind_blob(st, 1, w->org, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return CDSYNC_OK;
	}
	if (rc != SQLITE_ROW)
		return sqlfail(db, st, err, errlen);
	cds_date_vn((const char *)sqlite3_column_text(st, 2), day);
	cds_say(err, errlen,
	    _("%s was merged into %s on %s: its records count as those of "
	      "%s (ask for %s, or for a day before the merger)"),
	    (const char *)sqlite3_column_text(st, 0),
	    (const char *)sqlite3_column_text(st, 1), day,
	    (const char *)sqlite3_column_text(st, 1),
	    (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return CDSYNC_ENOTFOUND;
}

/* Reads every figure of window w into k (inside one savepoint). */
static int
figures(sqlite3 *db, const struct win *w, cdsync_kpis *k, char *err,
	size_t errlen)
{
	struct cds_kpi_sums f;
	int rc;

	if ((rc = row(db, UNIONS_SQL, w, f.un, NUNI, err, errlen)) != 0 ||
	    (rc = row(db, COVERAGE_SQL, w, f.cov, 2, err, errlen)) != 0 ||
	    (rc = row(db, LEGAL_SQL, w, f.leg, 2, err, errlen)) != 0 ||
	    (rc = row(db, OWN_SQL, w, f.own, 4, err, errlen)) != 0 ||
	    (rc = row(db, KINDS_SQL, w, f.kinds, NKIND, err, errlen)) != 0)
		return rc;
	cds_kpi_fill(k, &f, w->national, w->y2 - w->y1 + 1);
	return CDSYNC_OK;
}

void
cds_kpi_fill(cdsync_kpis *k, const struct cds_kpi_sums *f, int national,
	     int years)
{
	const int64_t *un = f->un, *cov = f->cov, *leg = f->leg,
		      *own = f->own;
	cdsync_kpi *x = k->k;

	memcpy(k->kinds, f->kinds, sizeof k->kinds);
	share(x++, "P3.plan", _("Unions with a plan tied to school tasks"),
	      un[1], un[0], 100);
	share(x++, "P3.strategy",
	      _("Unions with key tasks and a strategy for 2023-2028"), un[2],
	      un[0], 100);
	share(x++, "P3.linked",
	      _("Unions with an activity linked to a key task"), un[3], un[0],
	      100);
	share(x++, "P2.U.propaganda",
	      _("Unions with legal and policy propaganda"), un[4], un[0], 100);
	share(x++, "P2.U.councils",
	      _("Unions with a member on the unit's councils"), un[5], un[0],
	      100);
	share(x++, "P2.U.innovation",
	      _("Unions with an innovative way of care"), un[6], un[0], 100);
	share(x++, "P2.U.culture",
	      _("Unions with culture or sports and health care activities"),
	      un[7], un[0], 100);
	share(x++, "P2.U.care", _("Unions that organised care"), un[8], un[0],
	      100);
	share(x++, "P2.U.coverage", _("Members who benefited from care"),
	      cov[1], cov[0], 90);
	share(x++, "P2.U.creative",
	      _("Unions with an initiative proposed for the Creative Labour "
		"Certificate"),
	      un[9], un[0], 30);
	share(x, "P2.N.legal", _("Legal consultation requests answered"),
	      leg[1], leg[0], 100);
	if (leg[0] == 0) {
		x->value = 100.0;
		x->met = 1;
	}
	x++;
	count(x++, "P2.N.training",
	      _("Trainings on law and policy held by this unit"), own[0],
	      years, national);
	count(x++, "P2.N.care", _("Care activities held by this unit"),
	      own[1], years, national);
	count(x++, "P2.N.agreements", _("Cooperation agreements signed"),
	      own[2], 10, national);
	k->n = (size_t)(x - k->k);
	k->care_per_member = cov[0] > 0 ? own[3] / cov[0] : 0;
}

cdsync_kpis *
cds_kpi_new(const char *from, const char *to)
{
	cdsync_kpis *k = cds_calloc(1, sizeof *k);

	if (k != NULL) {
		snprintf(k->from, sizeof k->from, "%s", from);
		snprintf(k->to, sizeof k->to, "%s", to);
	}
	return k;
}

/* ==== Entry points ==================================================== */

/* cds_kpi_run and cds_kpi_run_in_tree: `build` says whether to compute
 * the tree of the date first. */
static int
run(sqlite3 *db, const uint8_t self_org[16], const char *org_code,
    const char *period, const char *as_of, int build, cdsync_kpis **out,
    char *err, size_t errlen)
{
	struct cds_period p;
	struct win w;
	cdsync_kpis *k;
	char e[CDS_ERRLEN], iso[11], vn[11];
	int y, m, d, rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || db == NULL) {
		cds_say(err, errlen, "%s", _("invalid argument"));
		return CDSYNC_EINVAL;
	}
	*out = NULL;
	if (period == NULL) {
		cds_say(err, errlen, "%s",
		    _("a period is needed, e.g. 2025-2026"));
		return CDSYNC_EINVAL;
	}
	if (cds_period_parse(period, &p, e, sizeof e) != 0) {
		cds_say(err, errlen, "%s", e);
		return CDSYNC_EINVAL;
	}
	memset(&w, 0, sizeof w);
	memcpy(w.from, p.from, sizeof w.from);
	memcpy(w.to, p.to, sizeof w.to);
	if (as_of != NULL) {
		if (cds_date_parse(as_of, &y, &m, &d, e, sizeof e) != 0) {
			cds_say(err, errlen, "%s: %s", _("as-of date"), e);
			return CDSYNC_EINVAL;
		}
		cds_date_iso(y, m, d, iso);
		if (strcmp(iso, w.from) < 0) {
			cds_date_vn(iso, vn);
			cds_say(err, errlen,
			    _("as-of date %s is before the period starts"),
			    vn);
			return CDSYNC_EINVAL;
		}
		if (strcmp(iso, w.to) < 0)
			memcpy(w.to, iso, sizeof w.to);
	}
	w.y1 = dnum(w.from, 4);
	w.y2 = dnum(w.to, 4);
	w.sy1 = school_year(w.from);
	w.sy2 = school_year(w.to);
	if ((k = cds_calloc(1, sizeof *k)) == NULL) {
		cds_say(err, errlen, "%s", _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	memcpy(k->from, w.from, sizeof k->from);
	memcpy(k->to, w.to, sizeof k->to);
	if (sqlite3_exec(db, "SAVEPOINT cds_kpi", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		cds_free(k);
		return sqlfail(db, NULL, err, errlen);
	}
	rc = build ? cds_tree_build(db, as_of != NULL ? iso : NULL, NULL,
				    NULL, err, errlen)
		   : CDSYNC_OK;
	if (rc == CDSYNC_OK)
		rc = find_org(db, self_org, org_code, w.org, err, errlen);
	if (rc == CDSYNC_OK)
		rc = merged_away(db, &w, err, errlen);
	if (rc == CDSYNC_OK)
		rc = level(db, &w, err, errlen);
	if (rc == CDSYNC_OK)
		rc = figures(db, &w, k, err, errlen);
	/* Only read: releasing cannot lose anything, also after a
	 * failure. */
	sqlite3_exec(db, "RELEASE cds_kpi", NULL, NULL, NULL);
	if (rc != CDSYNC_OK) {
		cds_free(k);
		return rc;
	}
	*out = k;
	return CDSYNC_OK;
}

int
cds_kpi_run(sqlite3 *db, const uint8_t self_org[16], const char *org_code,
	    const char *period, const char *as_of, cdsync_kpis **out,
	    char *err, size_t errlen)
{
	return run(db, self_org, org_code, period, as_of, 1, out, err, errlen);
}

int
cds_kpi_run_in_tree(sqlite3 *db, const uint8_t self_org[16],
		    const char *org_code, const char *period,
		    const char *as_of, cdsync_kpis **out, char *err,
		    size_t errlen)
{
	return run(db, self_org, org_code, period, as_of, 0, out, err, errlen);
}

CDSYNC_API int
cdsync_kpi_compute(cdsync *db, const char *org_code, const char *period,
		   const char *as_of, cdsync_kpis **kpis_out)
{
	char err[CDS_MSGLEN];
	int rc;

	cds_ok(db);
	if (kpis_out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("invalid argument"));
	*kpis_out = NULL;
	if (!db->has_node && org_code == NULL)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run 'cdsync "
				 "init' first"));
	rc = cds_kpi_run(db->db, db->org_id, org_code, period, as_of,
			 kpis_out, err, sizeof err);
	if (rc != CDSYNC_OK)
		return cds_err(db, rc, "%s", err);
	return CDSYNC_OK;
}

CDSYNC_API size_t
cdsync_kpi_count(const cdsync_kpis *k)
{
	return k ? k->n : 0;
}

CDSYNC_API const cdsync_kpi *
cdsync_kpi_at(const cdsync_kpis *k, size_t i)
{
	return k && i < k->n ? &k->k[i] : NULL;
}

CDSYNC_API const char *
cdsync_kpi_from(const cdsync_kpis *k)
{
	return k ? k->from : NULL;
}

CDSYNC_API const char *
cdsync_kpi_to(const cdsync_kpis *k)
{
	return k ? k->to : NULL;
}

CDSYNC_API int64_t
cdsync_kpi_care_per_member(const cdsync_kpis *k)
{
	return k ? k->care_per_member : 0;
}

CDSYNC_API int64_t
cdsync_kpi_kind_count(const cdsync_kpis *k, const char *activity_kind)
{
	size_t i;

	if (k == NULL || activity_kind == NULL)
		return -1;
	for (i = 0; i < NKIND; i++)
		if (strcmp(kinds[i], activity_kind) == 0)
			return k->kinds[i];
	return -1;
}

CDSYNC_API void
cdsync_kpi_free(cdsync_kpis *k)
{
	cds_free(k);
}
