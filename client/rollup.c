/* rollup.c -- the nightly rollup; see rollup.h.
 *
 * Fields.  For each unit and period the rollup keeps NF integers; the
 * first NUNION are what a grassroots union (with the units merged into
 * it) gives the sums of every unit above it, the rest what a unit gives
 * its own figures only (kpi.c's "O itself"):
 *   F_UNIONS            1 for a union (N)
 *   F_PLAN..F_CREATIVE  1 when the union meets KPI 1-8 or 10 over the
 *                       period (P2.U.culture: a culture and a health
 *                       activity)
 *   F_MEMBERS, F_COVERED  its members in the window, and those of them
 *                       who benefited from a care activity held in it
 *   F_LEGAL, F_LEGALOK  its legal cases opened in the window, and those
 *                       with an 'advised' or 'resolved' event by its end
 *   F_CARECOST          the cost of its care activities in the window
 *   F_KIND + k          its activities of kind k in the window
 *   F_OTRAIN, F_OCARE, F_OAGREE  the unit's own trainings, care
 *                       activities and agreements (every level)
 *   F_OLEGAL, F_OLEGALOK, F_OCARECOST  as above, of a unit above the
 *                       grassroots (a union has them in its union part)
 *   F_XCULT, F_XHEALTH  a union's culture and health activities (1 when
 *                       any), of which F_CULTURE is made
 * The figures of O are its union part (a union: its own leaf; above:
 * the sum over the unions under it, walked as kpi.c walks them) with the
 * own part of O's leaf.
 *
 * Encoding.  rollup_leaf.leaf is NP x NF and rollup_unit.sums NP x
 * NUNION values, period-major, in the order of the periods of
 * rollup_state 'periods' ("v4", the layout, then their names,
 * space-separated; another value counts everything again), written as
 * pairs of unsigned LEB128 varints for the values above 0: the zeros
 * skipped since the last one, then the value; the zeros after the last
 * pair are implied.  The same
 * figures give the same bytes.  A blob that does not decode to exactly
 * that many values is damaged, and the next rollup recomputes all.  A
 * unit's leaf is rollup_leaf's plus the difference rollup_leaf_diff may
 * keep for it (encode_pairs: the same pairs, each a zigzag varint),
 * which is what a night writes (put_diff).  rollup_care keeps each
 * union's members' care (put_mcare): see schema/0018_rollup_night.sql.
 *
 * Statements read one unit's rows at a time through the org_id indexes:
 * a full rollup counts every unit so.  Rows added since (rollup_new;
 * benefits in rollup_beneficiary) are read by id, gathered by the unit
 * they add to (add_new), and added to its leaf kept one unit at a time
 * (apply_new): the same functions
 * (add_activity, add_member, ...) build a leaf from all of a unit's rows
 * and add one row to a leaf, so the two cannot drift apart; flags are
 * only ever set by a row added, and anything that could clear one
 * (a change, a removal) counts its unit again whole.  A benefit added
 * adds to its member's coverage only in the periods it was not covered
 * in: the night takes that from the care kept for the member's unit
 * (add_benefits), not from all its benefits.
 */
#include "rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "i18n.h"
#include "id.h"
#include "kpi.h"
#include "period.h"
#include "store.h"
#include "text.h"
#include "tree.h"

#define NP CDS_ROLLUP_PERIODS	/* periods of the term */

enum {
	F_UNIONS, F_PLAN, F_STRATEGY, F_LINKED, F_PROP, F_COUNCILS, F_INNOV,
	F_CULTURE, F_CARE, F_CREATIVE, F_MEMBERS, F_COVERED, F_LEGAL,
	F_LEGALOK, F_CARECOST, F_KIND,
	NUNION = F_KIND + CDS_KPI_NKIND,
	F_OTRAIN = NUNION, F_OCARE, F_OAGREE, F_OLEGAL, F_OLEGALOK,
	F_OCARECOST, F_XCULT, F_XHEALTH, NF
};

#define LEAF_N ((size_t)NP * (size_t)NF)		/* values of a leaf */
#define SUMS_N ((size_t)NP * (size_t)NUNION)	/* values of sums */

enum { L_NATIONAL, L_UPPER, L_GRASSROOTS };

/* The activity kinds, in kpi.c's order (the schema's CHECK). */
static const char *const kinds[CDS_KPI_NKIND] = {
	"propaganda", "training", "care", "culture", "health", "emulation",
	"dialogue", "inspection", "remote_support", "welfare"
};

struct period {
	char name[16];
	char from[11], to[11];
	int d0, d1;		/* from, to as yyyymmdd */
	int y1, y2, sy1, sy2;	/* calendar and school years touched */
};

struct unit {
	uint8_t id[16];
	int parent, rep;	/* indexes, -1 none */
	int level;		/* L_* */
	int next;		/* the next unit counting as the same rep */
	int first;		/* a rep: the first unit counting as it */
	int dirty;		/* a rep: its leaf is to be recomputed */
	int fresh;		/* its row in rollup_unit is to be written */
	int64_t *sums;		/* a rep above the grassroots: NP x NUNION */
	int touched;		/* sums changed */
};

/* A set of ids, each with its index in the order put: open addressing
 * on hash_id. */
struct idset {
	uint8_t (*id)[16];
	uint64_t *v;		/* a value for each id */
	size_t n, room;
	int *slot;		/* index + 1, 0 empty */
	size_t cap;
};

struct tree {
	struct unit *u;
	size_t n;
	struct idset ids;	/* the units' ids, valued by their index */
};

/* A member's care as rollup_care keeps it for its unit: the periods
 * whose window it is in, those with a care activity it benefited from
 * (bit i: period i). */
struct mcare {
	uint8_t id[16];
	uint64_t win, care;
};

struct ctx {
	sqlite3 *db;
	struct period p[NP];
	char names[NP * 16 + 8];
	sqlite3_stmt *st[8];	/* the reads of one unit's rows */
	sqlite3_stmt *cget, *cput, *cdel; /* a unit's members' care, kept */
	sqlite3_stmt *dput, *ddel;	/* a leaf's difference, kept */
	int64_t *base;		/* a leaf as rollup_leaf keeps it */
	struct mcare *mc;	/* a unit's members' care, read or made */
	size_t nmc, cmc;
	int full;		/* every unit counted: rollup_care emptied */
	const char *day;	/* the tree's day; NULL: today */
	char *err;
	size_t errlen;
};

enum { Q_ACT, Q_MEM, Q_PLAN, Q_TASK, Q_SEAT, Q_INIT, Q_LEGAL, Q_AGREE };

static const char *const reads[8] = {
	"SELECT held_on, kind, key_task_id IS NOT NULL, innovative, cost "
	"FROM activity WHERE org_id = ?1",
	"SELECT m.joined_on, m.left_on, (SELECT group_concat(a.held_on) "
	"FROM benefit f JOIN activity a ON a.id = f.activity_id "
	"WHERE f.member_id = m.id AND a.kind = 'care'), m.id "
	"FROM member m WHERE m.org_id = ?1",
	"SELECT school_year FROM plan WHERE org_id = ?1 AND tied_to_tasks = 1",
	"SELECT kind FROM key_task WHERE org_id = ?1 AND term_start = 2023",
	"SELECT from_on, to_on FROM council_seat WHERE org_id = ?1",
	"SELECT year FROM initiative WHERE org_id = ?1 AND clc_proposed = 1",
	"SELECT c.opened_on, (SELECT min(e.at) FROM legal_event e "
	"WHERE e.case_id = c.id AND e.status IN ('advised', 'resolved')) "
	"FROM legal_case c WHERE c.org_id = ?1",
	"SELECT signed_on FROM agreement WHERE org_id = ?1",
};

static int
fail(struct ctx *c, sqlite3_stmt *st)
{
	return cds_sql_fail(c->db, st, _("the rollup"), c->err, c->errlen);
}

/* ==== Periods and dates =============================================== */

/* "YYYY-MM-DD" (or NULL) as yyyymmdd (0). */
static int
day(const unsigned char *s)
{
	int i, v = 0;

	if (s == NULL)
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7)
			v = v * 10 + (s[i] - '0');
	return v;
}

const char *
cds_rollup_period(int i, char name[24])
{
	if (i == 0)
		snprintf(name, 24, "2023-2028");
	else if (i <= 5)
		snprintf(name, 24, "%d-%d", 2022 + i, 2023 + i);
	else if (i <= 11)
		snprintf(name, 24, "%d", 2017 + i);
	else
		snprintf(name, 24, "%d-Q%d", 2023 + (i - 12) / 4,
			 (i - 12) % 4 + 1);
	return name;
}

static int
periods(struct ctx *c)
{
	char name[24], e[CDS_ERRLEN];
	struct cds_period cp;
	size_t k = 0, i;

	for (i = 0; i < NP; i++) {
		cds_rollup_period((int)i, name);
		if (cds_period_parse(name, &cp, e, sizeof e) != 0) {
			cds_say(c->err, c->errlen, "%s: %s", name, e);
			return CDSYNC_ERROR;
		}
		snprintf(c->p[i].name, sizeof c->p[i].name, "%s", cp.name);
		memcpy(c->p[i].from, cp.from, 11);
		memcpy(c->p[i].to, cp.to, 11);
		c->p[i].d0 = day((const unsigned char *)cp.from);
		c->p[i].d1 = day((const unsigned char *)cp.to);
		c->p[i].y1 = c->p[i].d0 / 10000;
		c->p[i].y2 = c->p[i].d1 / 10000;
		c->p[i].sy1 = c->p[i].y1 - (c->p[i].d0 / 100 % 100 < 9);
		c->p[i].sy2 = c->p[i].y2 - (c->p[i].d1 / 100 % 100 < 9);
		k += (size_t)snprintf(c->names + k, sizeof c->names - k, "%s%s",
				      i ? " " : "v4 ", cp.name);
	}
	return CDSYNC_OK;
}

/* The periods holding day d (0: none). */
static uint64_t
holding(const struct ctx *c, int d)
{
	uint64_t m = 0;
	int i;

	for (i = 0; i < NP && d; i++)
		if (c->p[i].d0 <= d && d <= c->p[i].d1)
			m |= (uint64_t)1 << i;
	return m;
}

/* The periods whose window meets [d0, d1] (0: open). */
static uint64_t
meeting(const struct ctx *c, int d0, int d1)
{
	uint64_t m = 0;
	int i;

	for (i = 0; i < NP; i++)
		if ((d0 == 0 || d0 <= c->p[i].d1) &&
		    (d1 == 0 || d1 >= c->p[i].d0))
			m |= (uint64_t)1 << i;
	return m;
}

/* ==== The tree ======================================================== */

/* A hash of an id: both halves mixed (a UUIDv7's first is its time,
 * shared by the ids written in one millisecond). */
static size_t
hash_id(const uint8_t id[16])
{
	uint64_t a, b, h;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
	return (size_t)(h ^ (h >> 31));
}

/* Whether ids x and y are the same (ids are not secret). */
static int
same_id(const uint8_t x[16], const uint8_t y[16])
{
	uint64_t a[2], b[2];

	memcpy(a, x, 16);
	memcpy(b, y, 16);
	return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

static void
idset_free(struct idset *s)
{
	cds_free(s->id);
	cds_free(s->v);
	cds_free(s->slot);
	memset(s, 0, sizeof *s);
}

/* The index of id in s, or -1. */
static long
idset_find(const struct idset *s, const uint8_t id[16])
{
	size_t i;

	if (s->cap == 0)
		return -1;
	for (i = hash_id(id) & (s->cap - 1); s->slot[i];
	     i = (i + 1) & (s->cap - 1))
		if (same_id(s->id[s->slot[i] - 1], id))
			return s->slot[i] - 1;
	return -1;
}

/* The index of id in s, put there (value 0) if it was not; -2 out of
 * memory. */
static long
idset_put(struct idset *s, const uint8_t id[16])
{
	long at = idset_find(s, id);
	size_t i, k;

	if (at >= 0)
		return at;
	if (2 * (s->n + 1) > s->cap) {	/* grow: the ids again */
		size_t cap = s->cap ? s->cap * 2 : 4096;
		int *slot = cds_calloc(cap, sizeof *slot);

		if (slot == NULL)
			return -2;
		cds_free(s->slot);
		s->slot = slot;
		s->cap = cap;
		for (k = 0; k < s->n; k++) {
			for (i = hash_id(s->id[k]) & (cap - 1); slot[i];
			     i = (i + 1) & (cap - 1))
				;
			slot[i] = (int)k + 1;
		}
	}
	if (s->n == s->room) {
		size_t room = s->room ? s->room * 2 : 2048;
		void *a = cds_realloc(s->id, room * sizeof *s->id), *b;

		if (a == NULL)
			return -2;
		s->id = a;
		if ((b = cds_realloc(s->v, room * sizeof *s->v)) == NULL)
			return -2;
		s->v = b;
		s->room = room;
	}
	for (i = hash_id(id) & (s->cap - 1); s->slot[i];
	     i = (i + 1) & (s->cap - 1))
		;
	memcpy(s->id[s->n], id, 16);
	s->v[s->n] = 0;
	s->slot[i] = (int)s->n + 1;
	return (long)s->n++;
}

/* The index of unit id in t, or -1. */
static int
find(const struct tree *t, const uint8_t id[16])
{
	long k = idset_find(&t->ids, id);

	return k < 0 || t->ids.v == NULL ? -1 : (int)t->ids.v[k];
}

static void
tree_free(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		cds_free(t->u[i].sums);
	cds_free(t->u);
	idset_free(&t->ids);
	memset(t, 0, sizeof *t);
}

static int
level_of(const unsigned char *s)
{
	if (s && strcmp((const char *)s, "national") == 0)
		return L_NATIONAL;
	if (s && strcmp((const char *)s, "grassroots") == 0)
		return L_GRASSROOTS;
	return L_UPPER;
}

static const char *
level_name(int l)
{
	return l == L_NATIONAL ? "national"
	       : l == L_GRASSROOTS ? "grassroots"
				   : "upper";
}

static int is_rep(const struct tree *t, int i);
static int column_values(sqlite3_stmt *st, int i, int64_t *v, size_t n);

/* A unit's parent and rep as read, before every id has an index. */
struct place {
	uint8_t p[16], r[16];
	int hp, hr;		/* has a parent, a rep */
};

/* Reads a tree from sql (id, parent_id, rep, level[, sums]) into *t, in
 * one pass.  With `sums` (the tree rollup_unit kept), the sums of each
 * rep above the grassroots too; *damaged set when one cannot be read. */
static int
tree_load(struct ctx *c, const char *sql, struct tree *t, int sums,
	  int *damaged)
{
	sqlite3_stmt *st = NULL;
	struct place *pl = NULL;
	size_t n = 0, i, cap = 0;
	const void *b;
	int rc, k;

	memset(t, 0, sizeof *t);
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct unit *u;

		if (n == cap) {
			struct place *q;

			cap = cap ? cap * 2 : 256;
			if ((u = cds_realloc(t->u, cap * sizeof *u)) == NULL)
				goto nomem;
			t->u = u;
			if ((q = cds_realloc(pl, cap * sizeof *q)) == NULL)
				goto nomem;
			pl = q;
		}
		u = &t->u[n];
		memset(u, 0, sizeof *u);
		b = sqlite3_column_blob(st, 0);
		if (b == NULL || sqlite3_column_bytes(st, 0) != 16)
			continue;
		memcpy(u->id, b, 16);
		u->level = level_of(sqlite3_column_text(st, 3));
		u->next = u->first = -1;
		b = sqlite3_column_blob(st, 1);
		if ((pl[n].hp = b && sqlite3_column_bytes(st, 1) == 16))
			memcpy(pl[n].p, b, 16);
		b = sqlite3_column_blob(st, 2);
		if ((pl[n].hr = b && sqlite3_column_bytes(st, 2) == 16))
			memcpy(pl[n].r, b, 16);
		n++;
		if (!sums || u->level == L_GRASSROOTS ||
		    sqlite3_column_type(st, 4) == SQLITE_NULL)
			continue;	/* none kept: not a rep */
		if ((u->sums = cds_malloc(SUMS_N * sizeof(int64_t))) == NULL)
			goto nomem;
		if (column_values(st, 4, u->sums, SUMS_N) != 0)
			*damaged = 1;
	}
	if (rc != SQLITE_DONE)
		goto sqlerr;
	sqlite3_finalize(st);
	st = NULL;
	t->n = n;
	for (i = 0; i < n; i++) {	/* a repeated id: its first unit */
		size_t had = t->ids.n;
		long at = idset_put(&t->ids, t->u[i].id);

		if (at == -2)
			goto nomem;
		if (t->ids.n > had)
			t->ids.v[at] = i;
	}
	/* parents and reps, now that every id has an index */
	for (i = 0; i < n; i++) {
		t->u[i].parent = pl[i].hp ? find(t, pl[i].p) : -1;
		k = pl[i].hr ? find(t, pl[i].r) : (int)i;
		t->u[i].rep = k < 0 ? (int)i : k;
	}
	cds_free(pl);
	for (i = 0; t->u != NULL && i < n; i++) { /* the units of each rep */
		struct unit *r = &t->u[t->u[i].rep];

		t->u[i].next = r->first;
		r->first = (int)i;
		if (sums && t->u[i].sums != NULL && !is_rep(t, (int)i)) {
			cds_free(t->u[i].sums);
			t->u[i].sums = NULL;
		}
		if (sums && t->u[i].sums == NULL && is_rep(t, (int)i) &&
		    t->u[i].level != L_GRASSROOTS)
			*damaged = 1;	/* a rep above without its sums */
	}
	return CDSYNC_OK;
sqlerr:
	rc = fail(c, st);
	cds_free(pl);
	t->n = n;
	tree_free(t);
	return rc;
nomem:
	sqlite3_finalize(st);
	cds_free(pl);
	t->n = n;
	tree_free(t);
	cds_say(c->err, c->errlen, "%s", _("out of memory"));
	return CDSYNC_ENOMEM;
}

static int
is_rep(const struct tree *t, int i)
{
	return t->u[i].rep == i;
}

/* ==== Encoding ======================================================== */

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* The varint at p[*k..len) into *x; 0, or -1 damaged. */
static int
get_varint(const uint8_t *p, size_t len, size_t *k, uint64_t *x)
{
	int s;

	for (*x = 0, s = 0;; s += 7) {
		if (*k >= len || s > 56)
			return -1;
		*x |= (uint64_t)(p[*k] & 0x7f) << s;
		if (!(p[(*k)++] & 0x80))
			return 0;
	}
}

/* Adds the pairs of varints of p (len bytes; see encode_pairs, zz as
 * there) to the n values at v: 0, -1 when they do not fit n values. */
static int
add_pairs(const uint8_t *p, size_t len, int zz, int64_t *v, size_t n)
{
	uint64_t run, x;
	size_t i = 0, k = 0;

	while (k < len) {
		if (get_varint(p, len, &k, &run) != 0 || run >= n - i ||
		    get_varint(p, len, &k, &x) != 0 || x == 0 ||
		    (!zz && x > INT64_MAX))
			return -1;
		i += (size_t)run;
		v[i++] += zz ? (int64_t)(x >> 1) ^ -(int64_t)(x & 1)
			     : (int64_t)x;
		if (i == n && k < len)
			return -1;
	}
	return 0;
}

/* Decodes exactly n values from p[0..len) into v (pairs: zeros skipped,
 * then a value above 0; the zeros after the last pair implied); 0, or -1
 * damaged. */
static int
get_varints(const uint8_t *p, size_t len, int64_t *v, size_t n)
{
	memset(v, 0, n * sizeof *v);
	return add_pairs(p, len, 0, v, n);
}

/* Encodes the n values at v as pairs of varints: the zeros skipped, then
 * the value -- with `zz`, a difference that may be below 0, as a zigzag
 * varint (-1 -> 1, 1 -> 2, -2 -> 3, ...); without, a value above 0 (one
 * at or below 0 counts as 0).  Into *out (cds_malloc, NULL when every
 * value is 0); its size, or -1 out of memory. */
static long
encode_pairs(const int64_t *v, size_t n, int zz, uint8_t **out)
{
	uint64_t run = 0, x;
	uint8_t *p;
	size_t k = 0, j;

	*out = NULL;
	if ((p = cds_malloc(n * 20 + 1)) == NULL)
		return -1;
	for (j = 0; j < n; j++) {
		if (zz ? v[j] == 0 : v[j] <= 0) {
			run++;
			continue;
		}
		x = (uint64_t)v[j];
		if (zz)
			x = x << 1 ^ (uint64_t)(v[j] < 0 ? -1 : 0);
		k += put_varint(p + k, run);
		k += put_varint(p + k, x);
		run = 0;
	}
	if (k == 0) {
		cds_free(p);
		return 0;
	}
	*out = p;
	return (long)k;
}

/* Binds the n values at v, encoded, as parameter i of st (a blob of no
 * bytes when every one is 0). */
static int
bind_values(sqlite3_stmt *st, int i, const int64_t *v, size_t n)
{
	uint8_t *p;
	long k = encode_pairs(v, n, 0, &p);

	if (k < 0)
		return SQLITE_NOMEM;
	if (k == 0)
		return sqlite3_bind_zeroblob(st, i, 0);
	return sqlite3_bind_blob(st, i, p, (int)k, cds_free);
}

/* Column i of st decoded into n values; -1 NULL or damaged. */
static int
column_values(sqlite3_stmt *st, int i, int64_t *v, size_t n)
{
	const void *p = sqlite3_column_blob(st, i);

	if (sqlite3_column_type(st, i) != SQLITE_BLOB)
		return -1;
	return get_varints(p, (size_t)sqlite3_column_bytes(st, i), v, n);
}

/* Adds the differences of column i of st (encode_pairs with zz; NULL:
 * none) to the n values at v: 0, -1 damaged. */
static int
column_diff(sqlite3_stmt *st, int i, int64_t *v, size_t n)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	if (sqlite3_column_type(st, i) != SQLITE_BLOB)
		return -1;
	return add_pairs(sqlite3_column_blob(st, i),
			 (size_t)sqlite3_column_bytes(st, i), 1, v, n);
}

/* A unit's leaf from columns i (its leaf) and j (its difference, if any)
 * of st: 0, -1 damaged. */
static int
column_leaf(sqlite3_stmt *st, int i, int j, int64_t *leaf)
{
	return column_values(st, i, leaf, LEAF_N) != 0 ||
			       column_diff(st, j, leaf, LEAF_N) != 0
		       ? -1
		       : 0;
}

/* ==== What one row gives a leaf ====================================== */

/* Each adds what one row of a unit gives that unit's leaf (NP x NF); gr:
 * the unit is a union.  A flag is set, never cleared: a row added sets
 * it, and a row changed or removed has its unit counted again. */

static void
add_each(int64_t *leaf, uint64_t m, int f, int64_t v)
{
	int i;

	for (i = 0; m; i++, m >>= 1)
		if (m & 1)
			leaf[i * NF + f] += v;
}

static void
set_each(int64_t *leaf, uint64_t m, int f)
{
	int i;

	for (i = 0; m; i++, m >>= 1)
		if (m & 1)
			leaf[i * NF + f] = 1;
}

static int
kind_index(const unsigned char *s)
{
	int k;

	for (k = 0; s && k < CDS_KPI_NKIND; k++)
		if (strcmp((const char *)s, kinds[k]) == 0)
			return k;
	return CDS_KPI_NKIND;
}

/* An activity held on d. */
static void
add_activity(const struct ctx *c, int64_t *leaf, int gr, int d, int k,
	     int linked, int innovative, int64_t cost)
{
	uint64_t m = holding(c, d);

	if (k == 1)
		add_each(leaf, m, F_OTRAIN, 1);
	if (k == 2)
		add_each(leaf, m, F_OCARE, 1);
	if (!gr) {
		if (k == 2)
			add_each(leaf, m, F_OCARECOST, cost);
		return;
	}
	if (k < CDS_KPI_NKIND)
		add_each(leaf, m, F_KIND + k, 1);
	if (linked)
		set_each(leaf, m, F_LINKED);
	if (innovative)
		set_each(leaf, m, F_INNOV);
	if (k == 0)
		set_each(leaf, m, F_PROP);
	if (k == 3)
		set_each(leaf, m, F_XCULT);
	if (k == 4)
		set_each(leaf, m, F_XHEALTH);
	if (k == 2) {
		set_each(leaf, m, F_CARE);
		add_each(leaf, m, F_CARECOST, cost);
	}
}

/* The care days of a member, "YYYY-MM-DD,YYYY-MM-DD..." (group_concat),
 * as the periods holding one. */
static uint64_t
care_days(const struct ctx *c, const unsigned char *s)
{
	uint64_t m = 0;

	while (s && strlen((const char *)s) >= 10) {
		m |= holding(c, day(s));
		s += 10;
		if (*s == ',')
			s++;
	}
	return m;
}

/* A member of a union, in the windows `in`, covered by care in `care`
 * (sign -1 takes one out). */
static void
add_member(int64_t *leaf, uint64_t in, uint64_t care, int sign)
{
	add_each(leaf, in, F_MEMBERS, sign);
	add_each(leaf, in & care, F_COVERED, sign);
}

/* A legal case opened on d, first answered on a (0: not yet). */
static void
add_case(const struct ctx *c, int64_t *leaf, int gr, int d, int a, int sign)
{
	uint64_t m = holding(c, d);
	int i;

	add_each(leaf, m, gr ? F_LEGAL : F_OLEGAL, sign);
	for (i = 0; i < NP && a; i++)
		if ((m >> i & 1) && a <= c->p[i].d1)
			leaf[i * NF + (gr ? F_LEGALOK : F_OLEGALOK)] += sign;
}

static void
add_seat(const struct ctx *c, int64_t *leaf, int from, int to)
{
	set_each(leaf, meeting(c, from, to), F_COUNCILS);
}

static void
add_initiative(const struct ctx *c, int64_t *leaf, int year)
{
	int i;

	for (i = 0; i < NP; i++)
		if (c->p[i].y1 <= year && year <= c->p[i].y2)
			leaf[i * NF + F_CREATIVE] = 1;
}

/* The flags made of others, once the rows are in. */
static void
settle(int64_t *leaf)
{
	int i;

	for (i = 0; i < NP; i++)
		leaf[i * NF + F_CULTURE] =
			leaf[i * NF + F_XCULT] && leaf[i * NF + F_XHEALTH];
}

/* ==== One unit's leaf ================================================= */

static int
step_rows(struct ctx *c, int q, const uint8_t id[16])
{
	sqlite3_reset(c->st[q]);
	return sqlite3_bind_blob(c->st[q], 1, id, 16, SQLITE_STATIC);
}

static struct mcare *mcare_push(struct ctx *c);
static int put_mcare(struct ctx *c, const uint8_t org[16], int clear);

/* The leaf of rep r (NP x NF, zeroed here) from the rows of every unit
 * that counts as it; for a union, the care of each unit's members, kept
 * anew (rollup_care). */
static int
leaf_of(struct ctx *c, const struct tree *t, int r, int64_t *leaf)
{
	int u, rc, y, i, gr = t->u[r].level == L_GRASSROOTS, strat = 0;
	const unsigned char *s;
	uint8_t plan[101];
	sqlite3_stmt *st;

	memset(leaf, 0, LEAF_N * sizeof *leaf);
	memset(plan, 0, sizeof plan);
	for (u = t->u[r].first; u >= 0; u = t->u[u].next) {
		const uint8_t *id = t->u[u].id;

		st = c->st[Q_ACT];
		step_rows(c, Q_ACT, id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			add_activity(c, leaf, gr,
				     day(sqlite3_column_text(st, 0)),
				     kind_index(sqlite3_column_text(st, 1)),
				     sqlite3_column_int(st, 2),
				     sqlite3_column_int(st, 3),
				     sqlite3_column_int64(st, 4));
		if (rc != SQLITE_DONE)
			return fail(c, NULL);
		st = c->st[Q_LEGAL];
		step_rows(c, Q_LEGAL, id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			add_case(c, leaf, gr, day(sqlite3_column_text(st, 0)),
				 day(sqlite3_column_text(st, 1)), 1);
		if (rc != SQLITE_DONE)
			return fail(c, NULL);
		st = c->st[Q_AGREE];
		step_rows(c, Q_AGREE, id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			add_each(leaf, holding(c, day(sqlite3_column_text(st, 0))),
				 F_OAGREE, 1);
		if (rc != SQLITE_DONE)
			return fail(c, NULL);
		if (!gr)
			continue;
		st = c->st[Q_MEM];
		step_rows(c, Q_MEM, id);
		c->nmc = 0;	/* and its members' care, kept anew */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			uint64_t w = meeting(c,
					     day(sqlite3_column_text(st, 0)),
					     day(sqlite3_column_text(st, 1)));
			uint64_t h = care_days(c, sqlite3_column_text(st, 2));
			struct mcare *m;

			add_member(leaf, w, h, 1);
			if (sqlite3_column_bytes(st, 3) != 16)
				continue;
			if ((m = mcare_push(c)) == NULL)
				return CDSYNC_ENOMEM;
			memcpy(m->id, sqlite3_column_blob(st, 3), 16);
			m->win = w;
			m->care = h;
		}
		if (rc != SQLITE_DONE)
			return fail(c, NULL);
		if ((rc = put_mcare(c, id, !c->full)) != CDSYNC_OK)
			return rc;
		st = c->st[Q_PLAN];
		step_rows(c, Q_PLAN, id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if ((y = sqlite3_column_int(st, 0)) >= 2000 &&
			    y <= 2100)
				plan[y - 2000] = 1;
		if (rc != SQLITE_DONE)
			return fail(c, NULL);
		st = c->st[Q_TASK];
		step_rows(c, Q_TASK, id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if ((s = sqlite3_column_text(st, 0)) != NULL)
				strat |= strcmp((const char *)s, "strategy")
						 ? 1
						 : 2;
		if (rc != SQLITE_DONE)
			return fail(c, NULL);
		st = c->st[Q_SEAT];
		step_rows(c, Q_SEAT, id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			add_seat(c, leaf, day(sqlite3_column_text(st, 0)),
				 day(sqlite3_column_text(st, 1)));
		if (rc != SQLITE_DONE)
			return fail(c, NULL);
		st = c->st[Q_INIT];
		step_rows(c, Q_INIT, id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			add_initiative(c, leaf, sqlite3_column_int(st, 0));
		if (rc != SQLITE_DONE)
			return fail(c, NULL);
	}
	settle(leaf);
	if (!gr)
		return CDSYNC_OK;
	for (i = 0; i < NP; i++) {
		int64_t *x = leaf + (size_t)i * NF;
		int ok = 1;

		x[F_UNIONS] = 1;
		for (y = c->p[i].sy1; y <= c->p[i].sy2; y++)
			ok &= y >= 2000 && y <= 2100 && plan[y - 2000];
		x[F_PLAN] = ok;
		x[F_STRATEGY] = strat == 3;
	}
	return CDSYNC_OK;
}

/* ==== The run ========================================================= */

/* Whether the layout of what the last rollup kept (rollup_state
 * 'periods') is this one's; *full set when not. */
static int
layout_kept(struct ctx *c, int *full)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(c->db, "SELECT value FROM rollup_state WHERE "
				      "key = 'periods'",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(c, st);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(c, st);
	*full = rc != SQLITE_ROW ||
		sqlite3_column_type(st, 0) != SQLITE_TEXT ||
		strcmp((const char *)sqlite3_column_text(st, 0), c->names) != 0;
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* What rollup_unit keeps, checked against the new tree t: 0 the same
 * tree but for units t has and it has not (those are marked dirty), 1
 * anything else (recompute all).  Loads the sums of the reps above the
 * grassroots. */
static int
compare(struct ctx *c, struct tree *t, int *full)
{
	sqlite3_stmt *st = NULL;
	const void *b;
	size_t i;
	int rc, k, p, r;

	*full = 1;
	if (t->n == 0 || t->u == NULL)
		return CDSYNC_OK;
	if ((rc = layout_kept(c, &k)) != CDSYNC_OK || k)
		return rc;
	if (sqlite3_prepare_v2(c->db, "SELECT id, parent_id, rep, level, "
				      "sums FROM rollup_unit",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		b = sqlite3_column_blob(st, 0);
		if (b == NULL || sqlite3_column_bytes(st, 0) != 16 ||
		    (k = find(t, b)) < 0)
			goto changed;
		b = sqlite3_column_blob(st, 1);
		p = b && sqlite3_column_bytes(st, 1) == 16 ? find(t, b) : -1;
		b = sqlite3_column_blob(st, 2);
		r = b && sqlite3_column_bytes(st, 2) == 16 ? find(t, b) : -2;
		if (p != t->u[k].parent || r != t->u[k].rep ||
		    level_of(sqlite3_column_text(st, 3)) != t->u[k].level ||
		    t->u[k].touched)
			goto changed;
		t->u[k].touched = 1;	/* seen; cleared below */
		if (is_rep(t, k) && t->u[k].level != L_GRASSROOTS) {
			if ((t->u[k].sums = cds_malloc(SUMS_N *
						       sizeof(int64_t))) ==
			    NULL) {
				sqlite3_finalize(st);
				cds_say(c->err, c->errlen, "%s",
					_("out of memory"));
				return CDSYNC_ENOMEM;
			}
			if (column_values(st, 4, t->u[k].sums,
					  SUMS_N) != 0)
				goto changed;
		}
	}
	if (rc != SQLITE_DONE)
		return fail(c, st);
	sqlite3_finalize(st);
	for (i = 0; i < t->n; i++) {
		if (!t->u[i].touched) {	/* new: its rep is recomputed */
			t->u[i].fresh = 1;
			t->u[t->u[i].rep].dirty = 1;
			if (is_rep(t, (int)i) &&
			    t->u[i].level != L_GRASSROOTS &&
			    (t->u[i].sums = cds_calloc(
				     SUMS_N, sizeof(int64_t))) == NULL) {
				cds_say(c->err, c->errlen, "%s",
					_("out of memory"));
				return CDSYNC_ENOMEM;
			}
		}
		t->u[i].touched = t->u[i].fresh;
	}
	*full = 0;
	return CDSYNC_OK;
changed:
	sqlite3_finalize(st);
	for (i = 0; i < t->n; i++) {
		cds_free(t->u[i].sums);
		t->u[i].sums = NULL;
		t->u[i].touched = 0;
	}
	return CDSYNC_OK;
}

/* Marks dirty the reps of the units in rollup_dirty. */
static int
mark_dirty(struct ctx *c, struct tree *t)
{
	sqlite3_stmt *st = NULL;
	const void *b;
	int rc, k;

	if (t->u == NULL)
		return CDSYNC_OK;
	if (sqlite3_prepare_v2(c->db, "SELECT org_id FROM rollup_dirty", -1,
			       &st, NULL) != SQLITE_OK)
		return fail(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		b = sqlite3_column_blob(st, 0);
		if (b != NULL && sqlite3_column_bytes(st, 0) == 16 &&
		    (k = find(t, b)) >= 0)
			t->u[t->u[k].rep].dirty = 1;
	}
	if (rc != SQLITE_DONE)
		return fail(c, st);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* Adds sign x the union part of leaf to the sums above union r. */
static void
propagate(struct tree *t, int r, const int64_t *leaf, int sign)
{
	size_t steps = 0;
	int a, i, f;

	for (a = t->u[r].parent; a >= 0 && is_rep(t, a) && steps < t->n;
	     a = t->u[a].parent, steps++) {
		if (t->u[a].sums == NULL)
			continue;	/* a union under a union */
		for (i = 0; i < NP; i++)
			for (f = 0; f < NUNION; f++)
				t->u[a].sums[i * NUNION + f] +=
					sign * leaf[i * NF + f];
		t->u[a].touched = 1;
	}
}

/* Adds the union part of the difference d (NP x NF) to the sums above
 * union r: as propagate, but only its values other than 0 (a night's
 * difference has a few dozen of a leaf's 900). */
static void
propagate_diff(struct tree *t, int r, const int64_t *d)
{
	uint16_t at[SUMS_N];
	int64_t v[SUMS_N];
	size_t n = 0, k, steps = 0;
	int a, i, f;

	for (i = 0; i < NP; i++)
		for (f = 0; f < NUNION; f++)
			if (d[i * NF + f] != 0) {
				at[n] = (uint16_t)(i * NUNION + f);
				v[n++] = d[i * NF + f];
			}
	if (n == 0)
		return;
	for (a = t->u[r].parent; a >= 0 && is_rep(t, a) && steps < t->n;
	     a = t->u[a].parent, steps++) {
		if (t->u[a].sums == NULL)
			continue;	/* a union under a union */
		for (k = 0; k < n; k++)
			t->u[a].sums[at[k]] += v[k];
		t->u[a].touched = 1;
	}
}

static int
put_state(struct ctx *c, const char *key, const char *text, int64_t v)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO rollup_state "
				      "(key, value) VALUES (?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(c, st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (text)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, v);
	if (sqlite3_step(st) != SQLITE_DONE)
		return fail(c, st);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ==== Rows added ===================================================== */

#define DAMAGED 1000		/* a leaf kept cannot be read: count all */

/* The rows added since the last rollup (rollup_new), by what they add to
 * a unit: each statement's first column is the org_id of the unit whose
 * leaf the row adds to. */
enum { N_ACT, N_MEM, N_BEN, N_CASE, N_EVENT, N_AGREE, N_SEAT, N_INIT,
       N_COUNT };

#define NOT_NEW(tbl, col) \
	col " NOT IN (SELECT id FROM rollup_new WHERE tbl = '" tbl "')"
#define CARE_DAYS                                                         \
	"(SELECT group_concat(a.held_on) FROM benefit f JOIN activity a ON " \
	"a.id = f.activity_id WHERE f.member_id = m.id AND a.kind = 'care')"
#define ANSWERED(cond)                                                    \
	"(SELECT min(e.at) FROM legal_event e WHERE e.case_id = c.id AND "   \
	"e.status IN ('advised', 'resolved')" cond ")"

static const char *const news[N_COUNT] = {
	"SELECT a.org_id, a.held_on, a.kind, a.key_task_id IS NOT NULL, "
	"a.innovative, a.cost FROM rollup_new n JOIN activity a ON a.id = "
	"n.id WHERE n.tbl = 'activity'",
	/* a member added: what it gives with all its benefits */
	"SELECT m.org_id, m.joined_on, m.left_on, " CARE_DAYS " FROM "
	"rollup_new n JOIN member m ON m.id = n.id WHERE n.tbl = 'member'",
	NULL,	/* N_BEN: add_benefits */
	"SELECT c.org_id, c.opened_on, " ANSWERED("") " FROM rollup_new n "
	"JOIN legal_case c ON c.id = n.id WHERE n.tbl = 'legal_case'",
	/* a case with events added: its answer before them, and with them */
	"SELECT c.org_id, c.opened_on, "
	ANSWERED(" AND " NOT_NEW("legal_event", "e.id")) ", " ANSWERED("")
	" FROM legal_case c WHERE c.id IN (SELECT e.case_id FROM rollup_new "
	"n JOIN legal_event e ON e.id = n.id WHERE n.tbl = 'legal_event') "
	"AND " NOT_NEW("legal_case", "c.id"),
	"SELECT g.org_id, g.signed_on FROM rollup_new n JOIN agreement g ON "
	"g.id = n.id WHERE n.tbl = 'agreement'",
	"SELECT s.org_id, s.from_on, s.to_on FROM rollup_new n JOIN "
	"council_seat s ON s.id = n.id WHERE n.tbl = 'council_seat'",
	"SELECT i.org_id, i.year FROM rollup_new n JOIN initiative i ON "
	"i.id = n.id WHERE n.tbl = 'initiative' AND i.clc_proposed = 1",
};

/* A row added, as read: what it adds to the leaf of rep r. */
struct added {
	int r, q;
	int d, k, a, b;		/* its day, kind, flags or second day */
	int64_t cost;
	uint64_t in, was, now;	/* a member's windows and care */
};

/* The rows added, gathered, then applied one rep at a time: a night
 * touches 14,000 schools, and a leaf for each in memory at once was 270
 * MB of fresh pages for the kernel to zero. */
struct deltas {
	struct added *a;
	size_t n, cap;
	size_t rows;
};

static int
by_rep(const void *x, const void *y)
{
	const struct added *a = x, *b = y;

	return a->r != b->r ? (a->r < b->r ? -1 : 1) : 0;
}

/* Room for one more entry of size sz in *p (n used, *cap held). */
static int
room(struct ctx *c, void **p, size_t n, size_t *cap, size_t sz)
{
	void *x;
	size_t k;

	if (n < *cap)
		return CDSYNC_OK;
	k = *cap ? *cap * 2 : 4096;
	if ((x = cds_realloc(*p, k * sz)) == NULL) {
		cds_say(c->err, c->errlen, "%s", _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	*p = x;
	*cap = k;
	return CDSYNC_OK;
}

static struct added *
push(struct ctx *c, struct deltas *d)
{
	struct added *x;

	if (room(c, (void **)&d->a, d->n, &d->cap, sizeof *d->a) != CDSYNC_OK)
		return NULL;
	x = &d->a[d->n++];
	memset(x, 0, sizeof *x);
	return x;
}

/* An id of an idset with its index there, to sort by the id, its first
 * member (cds_id_order; no global: two stores may roll up at once in two
 * threads). */
struct sorted {
	uint8_t id[16];
	int i;
};

/* ==== The members' care =============================================== */

static int
by_mcare(const void *x, const void *y)
{
	return memcmp(((const struct mcare *)x)->id,
		      ((const struct mcare *)y)->id, 16); /* not secret */
}

/* Every period of the term: the window of a member who joined before it
 * and has not left. */
#define ALL_PERIODS ((UINT64_C(1) << NP) - 1)

/* Room for one more entry in the ctx's list of members' care. */
static struct mcare *
mcare_push(struct ctx *c)
{
	if (room(c, (void **)&c->mc, c->nmc, &c->cmc, sizeof *c->mc) !=
	    CDSYNC_OK)
		return NULL;
	return &c->mc[c->nmc++];
}

/* Writes the ctx's list as the care kept for unit org (sorted here), or
 * removes what was kept when the list is empty and `clear`. */
static int
put_mcare(struct ctx *c, const uint8_t org[16], int clear)
{
	sqlite3_stmt *st;
	uint8_t *p;
	size_t i, k = 0;

	if (c->nmc == 0 && !clear)
		return CDSYNC_OK;
	if (c->nmc > 1)
		qsort(c->mc, c->nmc, sizeof *c->mc, by_mcare);
	if ((p = cds_malloc(c->nmc * 36 + 1)) == NULL) { /* 16 + 2 x 10 */
		cds_say(c->err, c->errlen, "%s", _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	for (i = 0; i < c->nmc; i++) {
		int all = c->mc[i].win == ALL_PERIODS;

		memcpy(p + k, c->mc[i].id, 16);
		k += 16;
		k += put_varint(p + k, c->mc[i].care << 1 | (uint64_t)all);
		if (!all)
			k += put_varint(p + k, c->mc[i].win);
	}
	st = k > 0 ? c->cput : c->cdel;
	sqlite3_reset(st);
	sqlite3_bind_blob(st, 1, org, 16, SQLITE_STATIC);
	if (k > 0)
		sqlite3_bind_blob(st, 2, p, (int)k, cds_free);
	else
		cds_free(p);
	return sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK : fail(c, NULL);
}

/* Reads the care kept for unit org into the ctx's list (empty when none
 * is kept).  DAMAGED when what is kept cannot be read. */
static int
get_mcare(struct ctx *c, const uint8_t org[16])
{
	const uint8_t *p;
	struct mcare *m;
	size_t len, k = 0;
	int rc;

	c->nmc = 0;
	sqlite3_reset(c->cget);
	sqlite3_bind_blob(c->cget, 1, org, 16, SQLITE_STATIC);
	if ((rc = sqlite3_step(c->cget)) == SQLITE_DONE)
		return CDSYNC_OK;
	if (rc != SQLITE_ROW)
		return fail(c, NULL);
	p = sqlite3_column_blob(c->cget, 0);
	len = (size_t)sqlite3_column_bytes(c->cget, 0);
	for (rc = CDSYNC_OK; k < len && rc == CDSYNC_OK;) {
		if (len - k < 17) {
			rc = DAMAGED;
		} else if ((m = mcare_push(c)) == NULL) {
			rc = CDSYNC_ENOMEM;
		} else {
			memcpy(m->id, p + k, 16);
			k += 16;
			m->win = ALL_PERIODS;
			if (get_varint(p, len, &k, &m->care) != 0 ||
			    (!(m->care & 1) &&
			     get_varint(p, len, &k, &m->win) != 0) ||
			    (m->win | m->care >> 1) > ALL_PERIODS ||
			    (c->nmc > 1 && memcmp(m[-1].id, m->id, 16) >= 0))
				rc = DAMAGED;
			m->care >>= 1;
		}
	}
	sqlite3_reset(c->cget);	/* the unit's row is written next */
	return rc;
}

/* A member a benefit was added to, whose care the rollup did not keep:
 * its window and its care from its row and its benefits but those added
 * (of the activities acts[b[0..nb)]).  *found 0 when the store has no
 * such member. */
static int
care_of(struct ctx *c, const uint8_t id[16], const uint8_t (*acts)[16],
	const size_t *b, size_t nb, struct mcare *m, int *found)
{
	sqlite3_stmt *st = NULL, *act = NULL;
	const void *a;
	size_t i;
	int rc = CDSYNC_OK, step;

	*found = 0;
	memcpy(m->id, id, 16);
	m->win = m->care = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT joined_on, left_on FROM member "
				      "WHERE id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(c, st);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		*found = 1;
		m->win = meeting(c, day(sqlite3_column_text(st, 0)),
				 day(sqlite3_column_text(st, 1)));
	} else if (step != SQLITE_DONE) {
		return fail(c, st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (!*found)
		return CDSYNC_OK;
	if (sqlite3_prepare_v2(c->db, "SELECT activity_id FROM benefit WHERE "
				      "member_id = ?1",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT held_on FROM activity WHERE id = "
				      "?1 AND kind = 'care'",
			       -1, &act, NULL) != SQLITE_OK) {
		rc = fail(c, NULL);
		goto out;
	}
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		a = sqlite3_column_blob(st, 0);
		if (a == NULL || sqlite3_column_bytes(st, 0) != 16)
			continue;
		for (i = 0; i < nb && memcmp(acts[b[i]], a, 16) != 0; i++)
			;
		if (i < nb)
			continue;	/* added: not in its care before */
		sqlite3_reset(act);
		sqlite3_bind_blob(act, 1, a, 16, SQLITE_TRANSIENT);
		if ((step = sqlite3_step(act)) == SQLITE_ROW)
			m->care |= holding(c, day(sqlite3_column_text(act, 0)));
		else if (step != SQLITE_DONE)
			rc = fail(c, NULL);
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = fail(c, NULL);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(act);
	return rc;
}

/* A member with benefits added: its unit and id, the rep it adds to, its
 * benefits added (b[b0..b0+nb), indexes into the activities named). */
struct bmem {
	uint8_t org[16], id[16];
	int r;
	size_t b0, nb;
};

/* Marks dirty the rep of the unit member m belongs to now: a benefit was
 * added to it when the store had no such member (so none was kept with
 * it); the night counts that union again whole. */
static int
dirty_member(struct ctx *c, struct tree *t, const uint8_t m[16])
{
	sqlite3_stmt *st = NULL;
	const void *o;
	int rc, k;

	if (sqlite3_prepare_v2(c->db, "SELECT org_id FROM member WHERE id = "
				      "?1",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(c, st);
	sqlite3_bind_blob(st, 1, m, 16, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = sqlite3_column_blob(st, 0);
		if (o != NULL && sqlite3_column_bytes(st, 0) == 16 &&
		    (k = find(t, o)) >= 0)
			t->u[t->u[k].rep].dirty = 1;
	} else if (rc != SQLITE_DONE) {
		return fail(c, st);
	}
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* The members of unit m[0].org (m[0..n)) with benefits added, as N_BEN
 * rows: each one's care as kept (rollup_care) or, not kept, as its rows
 * give it without the benefits added (was), with them (now); what is
 * kept for the unit written anew when that changed. */
static int
unit_benefits(struct ctx *c, struct deltas *d, const struct bmem *m,
	      size_t n, const size_t *b, const struct idset *acts)
{
	struct mcare *k, one, key;
	struct added *x;
	size_t i, j, had, lo, hi;
	uint64_t h;
	int rc, changed = 0, found;

	if ((rc = get_mcare(c, m[0].org)) != CDSYNC_OK)
		return rc;
	had = c->nmc;
	for (i = 0; i < n && rc == CDSYNC_OK; i++) {
		for (h = 0, j = 0; j < m[i].nb; j++)
			h |= acts->v[b[m[i].b0 + j]];
		memcpy(key.id, m[i].id, 16);
		for (lo = 0, hi = had, k = NULL; lo < hi && k == NULL;) {
			size_t mid = lo + (hi - lo) / 2;
			int o = by_mcare(&key, &c->mc[mid]);

			if (o == 0)
				k = &c->mc[mid];
			else if (o < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (k == NULL) {	/* not kept: from its rows */
			rc = care_of(c, m[i].id,
				     (const uint8_t(*)[16])acts->id,
				     b + m[i].b0, m[i].nb, &one, &found);
			if (rc != CDSYNC_OK || !found)
				continue;
			if ((k = mcare_push(c)) == NULL) {
				rc = CDSYNC_ENOMEM;
				break;
			}
			*k = one;
			changed = 1;
		}
		if ((k->care | h) == k->care)
			continue;	/* its care as it was: adds nothing */
		if ((x = push(c, d)) == NULL) {
			rc = CDSYNC_ENOMEM;
			break;
		}
		x->r = m[i].r;
		x->q = N_BEN;
		x->in = k->win;
		x->was = k->care;
		x->now = k->care | h;
		d->rows++;
		k->care |= h;
		changed = 1;
	}
	if (rc == CDSYNC_ENOMEM)
		cds_say(c->err, c->errlen, "%s", _("out of memory"));
	if (rc == CDSYNC_OK && changed)
		rc = put_mcare(c, m[0].org, 0);
	return rc;
}

/* The members with benefits added (not themselves added), as N_BEN rows:
 * the periods of their care before those benefits (was) and with them
 * (now).  Read so that each page is read about once: the benefits added,
 * by the unit and member they went to (rollup_beneficiary); the
 * activities they name, each once, in store order; then unit by unit the
 * care the rollup keeps for its members (rollup_care, a row for each
 * unit), written back with what was added (a national night adds 47,000
 * benefits to 46,000 members of 3,800 schools).  A member whose care is
 * not kept (added since its unit was last counted whole) has it from its
 * rows: its benefits but those added. */
static int
add_benefits(struct ctx *c, struct tree *t, struct deltas *d)
{
	sqlite3_stmt *st = NULL;
	struct idset acts;
	struct bmem *m = NULL;
	size_t *b = NULL;
	struct sorted *order = NULL;
	size_t nm = 0, cm = 0, nb = 0, cb = 0, i, j;
	int rc = CDSYNC_OK, step = SQLITE_DONE, k, skip = 1;
	long a;
	const uint8_t *o, *v, *w;

	memset(&acts, 0, sizeof acts);
	/* in key order: unit by unit, each member's benefits together */
	if (sqlite3_prepare_v2(c->db, "SELECT org_id, member_id, activity_id "
				      "FROM rollup_beneficiary WHERE "
				      NOT_NEW("member", "member_id"),
			       -1, &st, NULL) != SQLITE_OK)
		return fail(c, st);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		o = sqlite3_column_blob(st, 0);
		v = sqlite3_column_blob(st, 1);
		w = sqlite3_column_blob(st, 2);
		if (v == NULL || sqlite3_column_bytes(st, 1) != 16 ||
		    w == NULL || sqlite3_column_bytes(st, 2) != 16)
			continue;
		if (o == NULL || sqlite3_column_bytes(st, 0) != 16) {
			rc = dirty_member(c, t, v);	/* had no member */
			continue;
		}
		if (nm == 0 || memcmp(m[nm - 1].org, o, 16) != 0 ||
		    memcmp(m[nm - 1].id, v, 16) != 0) { /* not secret */
			skip = (k = find(t, o)) < 0 ||
			       t->u[t->u[k].rep].level != L_GRASSROOTS ||
			       t->u[t->u[k].rep].dirty;	/* or whole */
			if (skip)
				continue;
			if ((rc = room(c, (void **)&m, nm, &cm, sizeof *m)) !=
			    CDSYNC_OK)
				break;
			memcpy(m[nm].org, o, 16);
			memcpy(m[nm].id, v, 16);
			m[nm].r = t->u[k].rep;
			m[nm].b0 = nb;
			m[nm++].nb = 0;
		} else if (skip) {
			continue;
		}
		if ((rc = room(c, (void **)&b, nb, &cb, sizeof *b)) !=
		    CDSYNC_OK)
			break;
		if ((a = idset_put(&acts, w)) < 0) {
			rc = CDSYNC_ENOMEM;
			cds_say(c->err, c->errlen, "%s", _("out of memory"));
			break;
		}
		b[nb++] = (size_t)a;
		m[nm - 1].nb++;
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = fail(c, NULL);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != CDSYNC_OK || nm == 0)
		goto out;
	/* each activity once, in store order: its care periods */
	if ((order = cds_malloc(acts.n * sizeof *order)) == NULL) {
		cds_say(c->err, c->errlen, "%s", _("out of memory"));
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	for (i = 0; i < acts.n; i++) {
		memcpy(order[i].id, acts.id[i], 16);
		order[i].i = (int)i;
	}
	qsort(order, acts.n, sizeof *order, cds_id_order);
	if (sqlite3_prepare_v2(c->db, "SELECT held_on FROM activity WHERE id = "
				      "?1 AND kind = 'care'",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = fail(c, st);
		goto out;
	}
	for (i = 0; i < acts.n && rc == CDSYNC_OK; i++) {
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, order[i].id, 16, SQLITE_STATIC);
		if ((step = sqlite3_step(st)) == SQLITE_ROW)
			acts.v[order[i].i] =
				holding(c, day(sqlite3_column_text(st, 0)));
		else if (step != SQLITE_DONE)
			rc = fail(c, NULL);
	}
	/* unit by unit */
	for (i = 0; i < nm && rc == CDSYNC_OK; i = j) {
		for (j = i + 1; j < nm && memcmp(m[j].org, m[i].org, 16) == 0;
		     j++)
			;
		rc = unit_benefits(c, d, m + i, j - i, b, &acts);
	}
out:
	sqlite3_finalize(st);
	idset_free(&acts);
	cds_free(order);
	cds_free(m);
	cds_free(b);
	return rc;
}

/* Reads the rows of rollup_new into d, by the rep they add to (none for
 * a rep counted again whole). */
static int
add_new(struct ctx *c, struct tree *t, struct deltas *d)
{
	sqlite3_stmt *st = NULL;
	struct added *x;
	const void *b;
	int q, rc = CDSYNC_OK, k, r, gr, step;
	size_t i, j;

	if (t->u == NULL)
		return CDSYNC_OK;
	for (q = 0; q < N_COUNT && rc == CDSYNC_OK; q++) {
		if (q == N_BEN) {
			rc = add_benefits(c, t, d);
			continue;
		}
		if (sqlite3_prepare_v2(c->db, news[q], -1, &st, NULL) !=
		    SQLITE_OK)
			return fail(c, st);
		while (rc == CDSYNC_OK &&
		       (step = sqlite3_step(st)) == SQLITE_ROW) {
			b = sqlite3_column_blob(st, 0);
			if (b == NULL || sqlite3_column_bytes(st, 0) != 16 ||
			    (k = find(t, b)) < 0)
				continue;
			r = t->u[k].rep;
			gr = t->u[r].level == L_GRASSROOTS;
			if (!gr && q != N_ACT && q != N_CASE &&
			    q != N_EVENT && q != N_AGREE)
				continue;	/* counted for unions only */
			if (t->u[r].dirty)
				continue;	/* counted again whole */
			if ((x = push(c, d)) == NULL) {
				sqlite3_finalize(st);
				return CDSYNC_ENOMEM;
			}
			x->r = r;
			x->q = q;
			d->rows++;
			switch (q) {
			case N_ACT:
				x->d = day(sqlite3_column_text(st, 1));
				x->k = kind_index(sqlite3_column_text(st, 2));
				x->a = sqlite3_column_int(st, 3);
				x->b = sqlite3_column_int(st, 4);
				x->cost = sqlite3_column_int64(st, 5);
				break;
			case N_MEM:
				x->in = meeting(c,
						day(sqlite3_column_text(st, 1)),
						day(sqlite3_column_text(st, 2)));
				x->now = care_days(c, sqlite3_column_text(st, 3));
				break;
			case N_CASE:
				x->d = day(sqlite3_column_text(st, 1));
				x->a = day(sqlite3_column_text(st, 2));
				break;
			case N_EVENT:
				x->d = day(sqlite3_column_text(st, 1));
				x->a = day(sqlite3_column_text(st, 2));
				x->b = day(sqlite3_column_text(st, 3));
				break;
			case N_AGREE:
				x->d = day(sqlite3_column_text(st, 1));
				break;
			case N_SEAT:
				x->d = day(sqlite3_column_text(st, 1));
				x->a = day(sqlite3_column_text(st, 2));
				break;
			default:
				x->k = sqlite3_column_int(st, 1);
			}
		}
		if (rc == CDSYNC_OK && step != SQLITE_DONE)
			rc = fail(c, NULL);
		sqlite3_finalize(st);
		st = NULL;
	}
	/* a rep marked dirty since (dirty_member): counted again whole */
	for (i = j = 0; i < d->n; i++)
		if (!t->u[d->a[i].r].dirty)
			d->a[j++] = d->a[i];
	d->rows -= d->n - j;
	d->n = j;
	if (d->n > 1)
		qsort(d->a, d->n, sizeof *d->a, by_rep);
	return rc;
}

/* Adds row x to leaf. */
static void
add_one(const struct ctx *c, int64_t *leaf, int gr, const struct added *x)
{
	switch (x->q) {
	case N_ACT:
		add_activity(c, leaf, gr, x->d, x->k, x->a, x->b, x->cost);
		break;
	case N_MEM:
		add_member(leaf, x->in, x->now, 1);
		break;
	case N_BEN:	/* out as it was before the benefits, in with them */
		add_member(leaf, x->in, x->was, -1);
		add_member(leaf, x->in, x->now, 1);
		break;
	case N_CASE:
		add_case(c, leaf, gr, x->d, x->a, 1);
		break;
	case N_EVENT:
		add_case(c, leaf, gr, x->d, x->a, -1);
		add_case(c, leaf, gr, x->d, x->b, 1);
		break;
	case N_AGREE:
		add_each(leaf, holding(c, x->d), F_OAGREE, 1);
		break;
	case N_SEAT:
		add_seat(c, leaf, x->d, x->a);
		break;
	default:
		add_initiative(c, leaf, x->k);
	}
}

/* Writes the leaf of unit id with `put` (the upsert of rollup_leaf). */
static int
put_leaf(struct ctx *c, sqlite3_stmt *put, const uint8_t id[16],
	 const int64_t *leaf)
{
	sqlite3_reset(put);
	sqlite3_bind_blob(put, 1, id, 16, SQLITE_STATIC);
	if (bind_values(put, 2, leaf, LEAF_N) != SQLITE_OK) {
		cds_say(c->err, c->errlen, "%s", _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	return sqlite3_step(put) == SQLITE_DONE ? CDSYNC_OK : fail(c, NULL);
}

/* Removes the difference kept for unit id (rollup_leaf_diff). */
static int
drop_diff(struct ctx *c, const uint8_t id[16])
{
	sqlite3_reset(c->ddel);
	sqlite3_bind_blob(c->ddel, 1, id, 16, SQLITE_STATIC);
	return sqlite3_step(c->ddel) == SQLITE_DONE ? CDSYNC_OK
						    : fail(c, NULL);
}

/* Keeps leaf for unit id, whose leaf in rollup_leaf is base (nbase bytes
 * encoded; `had` a difference kept): as its difference from base in
 * rollup_leaf_diff while that takes at most half the bytes of base, else
 * as the leaf itself (put_leaf with `put`) with no difference.  So a
 * night writes a few bytes for each leaf it adds to, not the leaf; a
 * difference grown that large is written into its leaf.  scratch: room
 * for LEAF_N values. */
static int
put_diff(struct ctx *c, sqlite3_stmt *put, const uint8_t id[16],
	 const int64_t *leaf, const int64_t *base, size_t nbase, int had,
	 int64_t *scratch)
{
	uint8_t *p;
	size_t v;
	long k;
	int rc;

	for (v = 0; v < LEAF_N; v++)
		scratch[v] = leaf[v] - base[v];
	if ((k = encode_pairs(scratch, LEAF_N, 1, &p)) < 0) {
		cds_say(c->err, c->errlen, "%s", _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	if (k > 0 && (size_t)k * 2 <= nbase) {
		sqlite3_reset(c->dput);
		sqlite3_bind_blob(c->dput, 1, id, 16, SQLITE_STATIC);
		sqlite3_bind_blob(c->dput, 2, p, (int)k, cds_free);
		return sqlite3_step(c->dput) == SQLITE_DONE ? CDSYNC_OK
							    : fail(c, NULL);
	}
	cds_free(p);
	if (k > 0 && (rc = put_leaf(c, put, id, leaf)) != CDSYNC_OK)
		return rc;
	return had ? drop_diff(c, id) : CDSYNC_OK;
}

/* Applies the rows gathered in d, rep by rep: its leaf as kept (read
 * with `get`: the leaf in rollup_leaf, the difference in
 * rollup_leaf_diff), the rows added, the leaf kept (put_diff, with `put`
 * for rollup_leaf) and the difference sent up.  DAMAGED when a leaf kept
 * cannot be read (the caller counts all). */
static int
apply_new(struct ctx *c, struct tree *t, const struct deltas *d,
	  sqlite3_stmt *get, sqlite3_stmt *put, int64_t *leaf, int64_t *was)
{
	size_t i, j, nbase;
	int rc = CDSYNC_OK, r, gr, had;

	for (i = 0; i < d->n && rc == CDSYNC_OK; i = j) {
		r = d->a[i].r;
		gr = t->u[r].level == L_GRASSROOTS;
		sqlite3_reset(get);
		sqlite3_bind_blob(get, 1, t->u[r].id, 16, SQLITE_STATIC);
		switch (sqlite3_step(get)) {
		case SQLITE_ROW:
			if (column_values(get, 0, c->base, LEAF_N) != 0)
				break;
			memcpy(was, c->base, LEAF_N * sizeof *was);
			if (column_diff(get, 1, was, LEAF_N) == 0)
				goto read;
			break;
		case SQLITE_DONE:
			break;
		default:
			rc = fail(c, NULL);
			goto out;
		}
		rc = DAMAGED;
		goto out;
read:
		nbase = (size_t)sqlite3_column_bytes(get, 0);
		had = sqlite3_column_type(get, 1) != SQLITE_NULL;
		memcpy(leaf, was, LEAF_N * sizeof *leaf);
		for (j = i; j < d->n && d->a[j].r == r; j++)
			add_one(c, leaf, gr, &d->a[j]);
		settle(leaf);
		if (gr) {	/* the difference goes up, in one walk */
			size_t v;

			for (v = 0; v < LEAF_N; v++)
				was[v] = leaf[v] - was[v];
			propagate_diff(t, r, was);
		}
		rc = put_diff(c, put, t->u[r].id, leaf, c->base, nbase, had,
			      was);
	}
out:
	sqlite3_reset(get);	/* the caller reads with it again */
	return rc;
}

/* Whether the tree the last rollup kept (rollup_unit) is today's: no
 * write to what the tree is made of since (rollup_state 'tree_changed'),
 * no change taking effect after the day it was built ('tree_day') up to
 * today, and no unit of the catalog joining it by today ('tree_next').
 * 1 yes, 0 build it again, or an error code < 0. */
static int
tree_kept(struct ctx *c, const char *today)
{
	sqlite3_stmt *st = NULL;
	char built[11] = "";
	int rc, kept = 0;

	if (sqlite3_prepare_v2(c->db, "SELECT key, value FROM rollup_state "
				      "WHERE key IN ('tree_changed', "
				      "'tree_day', 'tree_next')",
			       -1, &st, NULL) != SQLITE_OK)
		return -fail(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);

		if ((k && strcmp(k, "tree_changed") == 0) ||
		    (k && strcmp(k, "tree_next") == 0 && v &&
		     strcmp(v, today) <= 0)) {
			sqlite3_finalize(st);
			return 0;
		}
		if (k && strcmp(k, "tree_day") == 0 && v)
			snprintf(built, sizeof built, "%s", v);
	}
	if (rc != SQLITE_DONE)
		return -fail(c, st);
	sqlite3_finalize(st);
	if (strlen(built) != 10 || strcmp(built, today) > 0)
		return 0;
	st = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT NOT EXISTS (SELECT 1 FROM "
				      "org_change WHERE effective_on > ?1 AND "
				      "effective_on <= ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return -fail(c, st);
	sqlite3_bind_text(st, 1, built, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, today, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -fail(c, st);
	kept = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return kept;
}

/* Builds the tree of today and loads it into t; keeps in rollup_state
 * 'tree_next' the first day after it on which a unit the catalog enrols
 * joins the tree (tree.h, rule 1), until which the tree may be kept. */
static int
tree_today(struct ctx *c, struct tree *t)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = cds_tree_build(c->db, c->day, NULL, NULL, c->err,
				 c->errlen)) != CDSYNC_OK)
		return rc;
	if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO rollup_state "
				      "(key, value) SELECT 'tree_next', "
				      "min(date(c.first_ms / 1000, "
				      "'unixepoch')) FROM temp.cds_treecat c "
				      "WHERE NOT EXISTS (SELECT 1 FROM "
				      "temp.cds_tree t WHERE t.id = c.id) AND "
				      "NOT EXISTS (SELECT 1 FROM temp.cds_tree "
				      "t WHERE t.code = c.code)",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		return fail(c, st);
	sqlite3_finalize(st);
	return tree_load(c, "SELECT id, parent_id, rep, level FROM "
			    "temp.cds_tree ORDER BY id",
			 t, 0, NULL);
}

/* The row of unit u in rollup_unit: its place in tree t (its code from
 * the tree built). */
static int
put_place(struct ctx *c, const struct tree *t, const struct unit *u,
	  sqlite3_stmt *put)
{
	sqlite3_reset(put);
	sqlite3_bind_blob(put, 1, u->id, 16, SQLITE_STATIC);
	if (u->parent >= 0)
		sqlite3_bind_blob(put, 2, t->u[u->parent].id, 16,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(put, 2);
	sqlite3_bind_blob(put, 3, t->u[u->rep].id, 16, SQLITE_STATIC);
	sqlite3_bind_text(put, 4, level_name(u->level), -1, SQLITE_STATIC);
	return sqlite3_step(put) == SQLITE_DONE ? CDSYNC_OK : fail(c, NULL);
}

/* Inside the transaction: the whole rollup. */
static int
rollup(struct ctx *c, int full, cdsync_rollup_fn fn, void *fctx,
       cdsync_rollup_stats *stats)
{
	sqlite3_stmt *old = NULL, *put = NULL, *putleaf = NULL, *sums = NULL;
	int64_t *leaf = NULL, *was = NULL;
	size_t i, total = 0, done = 0;
	struct deltas d;
	struct tree t;
	char today[16];
	int rc, k, refull = 0, f, kept;

	memset(&d, 0, sizeof d);
	memset(&t, 0, sizeof t);
	if (c->day != NULL) {
		snprintf(today, sizeof today, "%s", c->day);
	} else {
		time_t now = time(NULL);
		struct tm tm;

		if (localtime_r(&now, &tm) == NULL ||
		    strftime(today, sizeof today, "%Y-%m-%d", &tm) != 10) {
			cds_say(c->err, c->errlen, "%s",
				_("the rollup: no date today"));
			return CDSYNC_ERROR;
		}
	}
	if ((rc = periods(c)) != CDSYNC_OK)
		return rc;
	/* the tree of today: the one kept when nothing changed it */
	if ((kept = full ? 0 : tree_kept(c, today)) < 0)
		return -kept;
	if (!kept && (rc = tree_today(c, &t)) != CDSYNC_OK)
		return rc;
	/* the tree kept is what rollup_unit holds: nothing to compare */
	if (kept && (rc = tree_load(c, "SELECT id, parent_id, rep, level, "
				       "sums FROM rollup_unit ORDER BY id",
				    &t, 1, &refull)) != CDSYNC_OK)
		return rc;
	if (kept && !refull && (rc = layout_kept(c, &refull)) != CDSYNC_OK)
		goto done;
	refull |= kept && t.n == 0;
	if (!full && !kept && (rc = compare(c, &t, &refull)) != CDSYNC_OK)
		goto done;
	full = full || refull;
	if (full && kept) {	/* all again: the units' rows from its tree */
		tree_free(&t);
		kept = 0;
		if ((rc = tree_today(c, &t)) != CDSYNC_OK)
			return rc;
	}
	if (!full && (rc = mark_dirty(c, &t)) != CDSYNC_OK)
		goto done;
	leaf = cds_malloc(LEAF_N * sizeof *leaf);
	was = cds_malloc(LEAF_N * sizeof *was);
	c->base = cds_malloc(LEAF_N * sizeof *c->base);
	if (leaf == NULL || was == NULL || c->base == NULL)
		goto nomem;
	c->full = full;
	if (sqlite3_prepare_v2(c->db, "SELECT care FROM rollup_care WHERE "
				      "org_id = ?1",
			       -1, &c->cget, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO rollup_care "
				      "(org_id, care) VALUES (?1, ?2)",
			       -1, &c->cput, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "DELETE FROM rollup_care WHERE org_id = "
				      "?1",
			       -1, &c->cdel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "INSERT INTO rollup_leaf_diff (id, diff) "
				      "VALUES (?1, ?2) ON CONFLICT (id) DO "
				      "UPDATE SET diff = excluded.diff",
			       -1, &c->dput, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "DELETE FROM rollup_leaf_diff WHERE id = "
				      "?1",
			       -1, &c->ddel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT l.leaf, x.diff FROM rollup_leaf "
				      "l LEFT JOIN rollup_leaf_diff x ON x.id "
				      "= l.id WHERE l.id = ?1",
			       -1, &old, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "INSERT INTO rollup_leaf (id, leaf) "
				      "VALUES (?1, ?2) ON CONFLICT (id) DO "
				      "UPDATE SET leaf = excluded.leaf",
			       -1, &putleaf, NULL) != SQLITE_OK) {
		rc = fail(c, NULL);
		goto done;
	}
	/* rows added to units not counted again whole */
	if (!full &&
	    ((rc = add_new(c, &t, &d)) != CDSYNC_OK ||
	     (rc = apply_new(c, &t, &d, old, putleaf, leaf, was)) != CDSYNC_OK))
		goto done;	/* DAMAGED: the caller counts all */
	for (i = 0; i < t.n; i++) {
		t.u[i].fresh |= full;
		if (full && is_rep(&t, (int)i))
			t.u[i].dirty = 1;
		if (full && is_rep(&t, (int)i) &&
		    t.u[i].level != L_GRASSROOTS &&
		    (t.u[i].sums = cds_calloc(SUMS_N,
					      sizeof(int64_t))) == NULL)
			goto nomem;
		total += t.u[i].dirty;
	}
	for (k = 0; k < 8; k++)
		if (sqlite3_prepare_v2(c->db, reads[k], -1, &c->st[k], NULL) !=
		    SQLITE_OK) {
			rc = fail(c, NULL);
			goto done;
		}
	if (full && (sqlite3_exec(c->db, "DELETE FROM rollup_unit; DELETE FROM "
					 "rollup_leaf; DELETE FROM "
					 "rollup_care; DELETE FROM "
					 "rollup_leaf_diff",
				  NULL, NULL, NULL) != SQLITE_OK)) {
		rc = fail(c, NULL);
		goto done;
	}
	if (sqlite3_prepare_v2(c->db,
			       kept ? "INSERT INTO rollup_unit (id, parent_id, "
				      "rep, level) VALUES (?1, ?2, ?3, ?4) ON "
				      "CONFLICT (id) DO NOTHING"
				    : "INSERT INTO rollup_unit (id, parent_id, "
				      "rep, level, code) VALUES (?1, ?2, ?3, "
				      "?4, (SELECT code FROM temp.cds_tree "
				      "WHERE id = ?1)) ON CONFLICT (id) DO "
				      "NOTHING",
			       -1, &put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "UPDATE rollup_unit SET sums = ?2 "
				      "WHERE id = ?1",
			       -1, &sums, NULL) != SQLITE_OK) {
		rc = fail(c, NULL);
		goto done;
	}
	/* every unit has its row: the place in the tree; reps their leaf */
	for (i = 0; i < t.n; i++) {
		struct unit *u = &t.u[i];
		int gr = u->level == L_GRASSROOTS, r = is_rep(&t, (int)i);

		if (!u->fresh && !(r && u->dirty))
			continue;
		if (r) {
			if ((rc = leaf_of(c, &t, (int)i, leaf)) != CDSYNC_OK)
				goto done;
			if (gr && !full) {
				/* the difference goes up: old out, new in */
				sqlite3_reset(old);
				sqlite3_bind_blob(old, 1, u->id, 16,
						  SQLITE_STATIC);
				if ((f = sqlite3_step(old)) == SQLITE_ROW &&
				    column_leaf(old, 0, 1, was) == 0)
					propagate(&t, (int)i, was, -1);
				else if (f != SQLITE_ROW && f != SQLITE_DONE) {
					rc = fail(c, NULL);
					goto done;
				}
			}
			if (gr)
				propagate(&t, (int)i, leaf, 1);
		}
		if (u->fresh && (rc = put_place(c, &t, u, put)) != CDSYNC_OK)
			goto done;
		if (r && (rc = put_leaf(c, putleaf, u->id, leaf)) != CDSYNC_OK)
			goto done;
		if (r && !full && (rc = drop_diff(c, u->id)) != CDSYNC_OK)
			goto done;
		if (r && fn != NULL)
			fn(fctx, ++done, total);
		else if (r)
			done++;
	}
	for (i = 0; i < t.n; i++) {
		if (t.u[i].sums == NULL || (!full && !t.u[i].touched))
			continue;
		sqlite3_reset(sums);
		sqlite3_bind_blob(sums, 1, t.u[i].id, 16, SQLITE_STATIC);
		if (bind_values(sums, 2, t.u[i].sums, SUMS_N) !=
		    SQLITE_OK)
			goto nomem;
		if (sqlite3_step(sums) != SQLITE_DONE) {
			rc = fail(c, NULL);
			goto done;
		}
	}
	if (sqlite3_exec(c->db, "DELETE FROM rollup_dirty; DELETE FROM "
				"rollup_new; DELETE FROM rollup_beneficiary",
			 NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(c, NULL);
		goto done;
	}
	if (sqlite3_exec(c->db, "DELETE FROM rollup_state WHERE key = "
				"'tree_changed'",
			 NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(c, NULL);
		goto done;
	}
	if ((rc = put_state(c, "periods", c->names, 0)) != CDSYNC_OK ||
	    (!kept && (rc = put_state(c, "tree_day", today, 0)) !=
			      CDSYNC_OK) ||
	    (rc = put_state(c, "made_ms", NULL, now_ms())) != CDSYNC_OK ||
	    (full && (rc = put_state(c, "full_ms", NULL, now_ms())) !=
			     CDSYNC_OK))
		goto done;
	if (stats != NULL) {
		stats->full = full;
		stats->units = t.n;
		stats->recomputed = done;
		stats->rows = d.rows;
		stats->periods = NP;
	}
	rc = CDSYNC_OK;
	goto done;
nomem:
	cds_say(c->err, c->errlen, "%s", _("out of memory"));
	rc = CDSYNC_ENOMEM;
done:
	for (k = 0; k < 8; k++) {
		sqlite3_finalize(c->st[k]);
		c->st[k] = NULL;
	}
	sqlite3_finalize(c->cget);
	sqlite3_finalize(c->cput);
	sqlite3_finalize(c->cdel);
	c->cget = c->cput = c->cdel = NULL;
	sqlite3_finalize(c->dput);
	sqlite3_finalize(c->ddel);
	c->dput = c->ddel = NULL;
	cds_free(c->base);
	c->base = NULL;
	cds_free(c->mc);
	c->mc = NULL;
	c->nmc = c->cmc = 0;
	sqlite3_finalize(old);
	sqlite3_finalize(put);
	sqlite3_finalize(putleaf);
	sqlite3_finalize(sums);
	cds_free(d.a);
	cds_free(leaf);
	cds_free(was);
	tree_free(&t);
	return rc;
}

int
cds_rollup_run(sqlite3 *db, int full, cdsync_rollup_fn fn, void *ctx,
	       cdsync_rollup_stats *st, char *err, size_t errlen)
{
	return cds_rollup_run_day(db, full, NULL, fn, ctx, st, err, errlen);
}

/* The page cache of a full rollup (KiB).  A full rollup reads each
 * school's rows once, in school order, and the pages above them again and
 * again: a large cache pays (52.7 s against 59.2 s with SQLite's default
 * 2 MiB, bench/rollup_bench.c on the national year).  A night reads a few
 * pages of many schools at random, where a large cache only costs the
 * memory it fills (5.8 s against 4.2 s): it keeps the connection's. */
#define FULL_CACHE_KIB 524288

/* The connection's cache_size, to set back after a full rollup. */
static int64_t
cache_size(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -2000;	/* SQLite's default */

	if (sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
cache_set(sqlite3 *db, int64_t v)
{
	char q[48];

	snprintf(q, sizeof q, "PRAGMA cache_size = %lld", (long long)v);
	(void)sqlite3_exec(db, q, NULL, NULL, NULL);
}

/* The rollup in the caller's write transaction; the page cache set for
 * a full one and set back. */
static int
run_in(sqlite3 *db, int full, const char *day, cdsync_rollup_fn fn,
       void *ctx, cdsync_rollup_stats *st, char *err, size_t errlen)
{
	int64_t cache = cache_size(db);
	struct ctx c;
	int rc;

	memset(&c, 0, sizeof c);
	c.db = db;
	c.day = day;
	c.err = err;
	c.errlen = errlen;
	if (st != NULL)
		memset(st, 0, sizeof *st);
	if (full && (cache >= 0 ? cache * 4 : -cache) < FULL_CACHE_KIB)
		cache_set(db, -FULL_CACHE_KIB);
	rc = rollup(&c, full, fn, ctx, st);
	/* A damaged leaf met midway: what the night wrote is leaves in
	 * rollup_leaf, which the full run deletes and writes anew. */
	if (rc == DAMAGED) {
		if ((cache >= 0 ? cache * 4 : -cache) < FULL_CACHE_KIB)
			cache_set(db, -FULL_CACHE_KIB);
		rc = rollup(&c, 1, fn, ctx, st);
	}
	if (cache_size(db) != cache)
		cache_set(db, cache);
	return rc;
}

int
cds_rollup_run_day(sqlite3 *db, int full, const char *day,
		   cdsync_rollup_fn fn, void *ctx, cdsync_rollup_stats *st,
		   char *err, size_t errlen)
{
	int rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return cds_sql_fail(db, NULL, _("the rollup"), err, errlen);
	rc = run_in(db, full, day, fn, ctx, st, err, errlen);
	if (rc == CDSYNC_OK &&
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = cds_sql_fail(db, NULL, _("the rollup"), err, errlen);
	if (rc != CDSYNC_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int
cds_rollup_in_tx(sqlite3 *db, char *err, size_t errlen)
{
	return run_in(db, 0, NULL, NULL, NULL, NULL, err, errlen);
}

/* ==== Reading ========================================================= */

/* The figures of period i of a unit from its leaf and (above the
 * grassroots; NULL for a union) its sums: what cds_kpi_fill takes. */
static void
to_sums(const int64_t *leaf, const int64_t *sums, int i,
	struct cds_kpi_sums *f)
{
	const int64_t *x = leaf + (size_t)i * NF;
	const int64_t *u = sums == NULL ? x : sums + (size_t)i * NUNION;
	int k;

	memset(f, 0, sizeof *f);
	for (k = 0; k < CDS_KPI_NUN; k++)
		f->un[k] = u[F_UNIONS + k];
	f->cov[0] = u[F_MEMBERS];
	f->cov[1] = u[F_COVERED];
	f->leg[0] = u[F_LEGAL] + x[F_OLEGAL];
	f->leg[1] = u[F_LEGALOK] + x[F_OLEGALOK];
	f->own[0] = x[F_OTRAIN];
	f->own[1] = x[F_OCARE];
	f->own[2] = x[F_OAGREE];
	f->own[3] = u[F_CARECOST] + x[F_OCARECOST];
	for (k = 0; k < CDS_KPI_NKIND; k++)
		f->kinds[k] = u[F_KIND + k];
}

int
cds_rollup_kpis(sqlite3 *db, const char *org_code, const char *period,
		cdsync_kpis **out, char *err, size_t errlen)
{
	int64_t leaf[LEAF_N], sums[SUMS_N];
	struct cds_kpi_sums f;
	struct cds_period cp;
	sqlite3_stmt *st = NULL;
	char e[CDS_ERRLEN], b[CDS_SHOWMAX + 4];
	struct ctx c;
	int rc, i = 0, lv;

	memset(&c, 0, sizeof c);
	c.db = db;
	c.err = err;
	c.errlen = errlen;
	*out = NULL;
	if (org_code == NULL || period == NULL) {
		cds_say(err, errlen, "%s", _("invalid argument"));
		return CDSYNC_EINVAL;
	}
	if (cds_period_parse(period, &cp, e, sizeof e) != 0) {
		cds_say(err, errlen, "%s", e);
		return CDSYNC_EINVAL;
	}
	if ((rc = periods(&c)) != CDSYNC_OK)
		return rc;
	while (i < NP && strcmp(c.p[i].name, cp.name) != 0)
		i++;
	if (i == NP) {
		cds_say(err, errlen,
		    _("the rollup keeps the periods of the term 2023-2028; "
		      "%s is not one of them"),
		    cp.name);
		return CDSYNC_ENOTFOUND;
	}
	if (sqlite3_prepare_v2(db, "SELECT l.leaf, u.sums, u.level, "
				   "u.rep = u.id, (SELECT value FROM "
				   "rollup_state WHERE key = 'periods'), "
				   "x.diff FROM rollup_unit u LEFT JOIN "
				   "rollup_leaf l ON l.id = u.id LEFT JOIN "
				   "rollup_leaf_diff x ON x.id = u.id WHERE "
				   "u.code = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(&c, st);
	sqlite3_bind_text(st, 1, org_code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		cds_say(err, errlen,
		    _("the last rollup has no figures for '%s': no rollup "
		      "yet, or the unit is newer (run 'cdsync rollup')"),
		    cds_show(org_code, strlen(org_code), b));
		return CDSYNC_ENOTFOUND;
	}
	if (rc != SQLITE_ROW)
		return fail(&c, st);
	lv = level_of(sqlite3_column_text(st, 2));
	if (!sqlite3_column_int(st, 3)) {
		sqlite3_finalize(st);
		cds_say(err, errlen,
		    _("%s was merged into another unit: its records count as "
		      "that unit's"),
		    cds_show(org_code, strlen(org_code), b));
		return CDSYNC_ENOTFOUND;
	}
	if (sqlite3_column_type(st, 4) != SQLITE_TEXT ||
	    strcmp((const char *)sqlite3_column_text(st, 4), c.names) != 0 ||
	    column_leaf(st, 0, 5, leaf) != 0 ||
	    (lv != L_GRASSROOTS &&
	     column_values(st, 1, sums, SUMS_N) != 0)) {
		sqlite3_finalize(st);
		cds_say(err, errlen, "%s",
			_("the rollup kept in the store cannot be read: run "
			  "'cdsync rollup --full'"));
		return CDSYNC_ECORRUPT;
	}
	sqlite3_finalize(st);
	to_sums(leaf, lv == L_GRASSROOTS ? NULL : sums, i, &f);
	if ((*out = cds_kpi_new(c.p[i].from, c.p[i].to)) == NULL) {
		cds_say(err, errlen, "%s", _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	cds_kpi_fill(*out, &f, lv == L_NATIONAL, c.p[i].y2 - c.p[i].y1 + 1);
	return CDSYNC_OK;
}

/* The units of the subtree of root (not merged away) in id order. */
#define SUBTREE \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM rollup_unit WHERE id = ?1 " \
	"UNION SELECT u.id FROM rollup_unit u JOIN sub ON u.parent_id = " \
	"sub.id) "

int
cds_rollup_each(sqlite3 *db, const uint8_t root[16], cds_rollup_each_fn fn,
		void *fctx, size_t *count, char *err, size_t errlen)
{
	int64_t *leaf = NULL, *sums = NULL;
	struct cds_rollup_row *row = NULL;
	sqlite3_stmt *st = NULL;
	struct ctx c;
	int rc, i, lv;

	memset(&c, 0, sizeof c);
	c.db = db;
	c.err = err;
	c.errlen = errlen;
	if ((rc = periods(&c)) != CDSYNC_OK)
		return rc;
	if (fn == NULL) {
		if (sqlite3_prepare_v2(db, SUBTREE "SELECT count(*) FROM sub "
					   "JOIN rollup_unit u ON u.id = sub.id "
					   "WHERE u.rep = u.id",
				       -1, &st, NULL) != SQLITE_OK)
			return fail(&c, st);
		sqlite3_bind_blob(st, 1, root, 16, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			return fail(&c, st);
		*count = (size_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return CDSYNC_OK;
	}
	leaf = cds_malloc(LEAF_N * sizeof *leaf);
	sums = cds_malloc(SUMS_N * sizeof *sums);
	row = cds_malloc(sizeof *row);
	if (leaf == NULL || sums == NULL || row == NULL) {
		cds_say(err, errlen, "%s", _("out of memory"));
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	if (sqlite3_prepare_v2(db, SUBTREE "SELECT u.id, u.parent_id, u.level, "
				   "u.code, l.leaf, u.sums, (SELECT value "
				   "FROM rollup_state WHERE key = 'periods'), "
				   "x.diff FROM sub JOIN rollup_unit u ON u.id "
				   "= sub.id LEFT JOIN rollup_leaf l ON l.id = "
				   "u.id LEFT JOIN rollup_leaf_diff x ON x.id = "
				   "u.id WHERE u.rep = u.id ORDER BY u.id",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = fail(&c, st);
		st = NULL;
		goto out;
	}
	sqlite3_bind_blob(st, 1, root, 16, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *pid = sqlite3_column_blob(st, 1);

		lv = level_of(sqlite3_column_text(st, 2));
		if (sqlite3_column_bytes(st, 0) != 16 ||
		    sqlite3_column_type(st, 6) != SQLITE_TEXT ||
		    strcmp((const char *)sqlite3_column_text(st, 6), c.names) !=
			    0 ||
		    column_leaf(st, 4, 7, leaf) != 0 ||
		    (lv != L_GRASSROOTS &&
		     column_values(st, 5, sums, SUMS_N) != 0)) {
			cds_say(err, errlen, "%s",
				_("the rollup kept in the store cannot be read: "
				  "run 'cdsync rollup --full'"));
			rc = CDSYNC_ECORRUPT;
			goto out;
		}
		memcpy(row->id, sqlite3_column_blob(st, 0), 16);
		memset(row->parent, 0, 16);
		if (pid != NULL && sqlite3_column_bytes(st, 1) == 16 &&
		    memcmp(row->id, root, 16) != 0)
			memcpy(row->parent, pid, 16);
		row->level = lv + 1;
		row->code = (const char *)sqlite3_column_text(st, 3);
		for (i = 0; i < NP; i++)
			to_sums(leaf, lv == L_GRASSROOTS ? NULL : sums, i,
				&row->f[i]);
		if ((rc = fn(fctx, row)) != CDSYNC_OK)
			goto out;
	}
	rc = rc == SQLITE_DONE ? CDSYNC_OK : fail(&c, NULL);
out:
	sqlite3_finalize(st);
	cds_free(leaf);
	cds_free(sums);
	cds_free(row);
	return rc;
}

/* ==== The API ========================================================= */

CDSYNC_API int
cdsync_rollup(cdsync *db, int full, cdsync_rollup_fn fn, void *ctx,
	      cdsync_rollup_stats *st)
{
	char err[CDS_MSGLEN];
	int rc;

	cds_ok(db);
	if (db->txdepth > 0)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a rollup has a transaction of its own: not "
				 "inside cdsync_begin"));
	if ((rc = cds_rollup_run(db->db, full, fn, ctx, st, err,
				 sizeof err)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", err);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_rollup_kpis(cdsync *db, const char *org_code, const char *period,
		   cdsync_kpis **out)
{
	char err[CDS_MSGLEN];
	int rc;

	cds_ok(db);
	if (out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	if ((rc = cds_rollup_kpis(db->db, org_code, period, out, err,
				  sizeof err)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", err);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_rollup_info(cdsync *db, cdsync_rollup_state *out)
{
	sqlite3_stmt *st;

	cds_ok(db);
	if (out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	memset(out, 0, sizeof *out);
	st = cds_prepare(db, "SELECT (SELECT value FROM rollup_state WHERE "
			     "key = 'made_ms'), (SELECT count(*) FROM "
			     "rollup_new) + (SELECT count(*) FROM "
			     "rollup_beneficiary), (SELECT count(*) FROM "
			     "rollup_dirty)");
	if (st == NULL)
		return cds_sqlerr(db, _("the rollup"));
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return cds_sqlerr(db, _("the rollup"));
	}
	out->made_ms = sqlite3_column_int64(st, 0);
	out->added = (size_t)sqlite3_column_int64(st, 1);
	out->changed = (size_t)sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}
