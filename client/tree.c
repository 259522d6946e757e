/* tree.c -- the tree of unions on a date; see tree.h for the rules.
 *
 * Sections: SQLite helpers, the temp tables, the parents the catalog
 * names, judging and applying one change, the build, then the public
 * entry points (cdsync.h "Tree changes"): recording a rename, move or
 * merge, the tree of a date as a list, the changes with their verdicts.
 *
 * The build is one pass: one INSERT ... SELECT of every org unit into
 * temp.cds_tree, then a few point reads and updates per change.  Walks up
 * the tree are bounded by the number of units, so a cycle in stored
 * parents (bad data) cannot hang it.  Values are bound, never formatted
 * into SQL.
 */
#include "tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "catalog.h"
#include "i18n.h"
#include "id.h"
#include "store.h"
#include "text.h"
#include "write.h"

/* ==== SQLite helpers ================================================== */

static int
sqlcode(sqlite3 *db)
{
	switch (sqlite3_errcode(db) & 0xff) {
	case SQLITE_NOMEM:
		return CDSYNC_ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return CDSYNC_EBUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return CDSYNC_ECORRUPT;
	default:
		return CDSYNC_ERROR;
	}
}

/* Sets err from the last SQLite error on db and returns its code. */
static int
sqlfail(sqlite3 *db, char *err, size_t errlen)
{
	cds_say(err, errlen, "%s: %s", _("computing the tree of unions"),
	    _(sqlite3_errmsg(db)));
	return sqlcode(db);
}

/* The 16 bytes of column i, or NULL when it is not a 16-byte blob. */
static const uint8_t *
col16(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, i) != 16)
		return NULL;
	return sqlite3_column_blob(st, i);
}

/* ==== The temp tables ================================================= */

/* The tables a tree is built in, and room for them in memory: at a
 * national hub they hold 61,000 units and as many catalog entries
 * (about 20 MB), which SQLite's default of 2 MB for the temp schema
 * would spill to a temporary file and read back (a night that builds the
 * tree again: 0.99 s, with room 0.84 s; README, Benchmarks).  The cache
 * grows only as pages are used: a school's small tree takes no more. */
static const char TEMP_SQL[] =
	"CREATE TEMP TABLE IF NOT EXISTS cds_tree ("
	"id BLOB PRIMARY KEY, parent_id BLOB, level TEXT, name TEXT, "
	"rep BLOB NOT NULL, merged_on TEXT, code TEXT, known INTEGER) "
	"WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS temp.cds_tree_parent "
	"ON cds_tree (parent_id);"
	"CREATE INDEX IF NOT EXISTS temp.cds_tree_rep ON cds_tree (rep);"
	"CREATE INDEX IF NOT EXISTS temp.cds_tree_code ON cds_tree (code);"
	"CREATE TEMP TABLE IF NOT EXISTS cds_treebase ("
	"id BLOB PRIMARY KEY, parent_id BLOB NOT NULL, "
	"from_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS cds_treecat ("
	"id BLOB PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL, "
	"level TEXT NOT NULL, parent_id BLOB, parent_code TEXT, "
	"from_ms INTEGER NOT NULL, first_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS cds_treestamp ("
	"k INTEGER PRIMARY KEY, n INTEGER, s INTEGER, b INTEGER);"
	"PRAGMA temp.cache_size = -65536;";	/* KiB: 64 MiB at most */

/* *yes = 1 when the store has table `name` (later migrations are
 * optional: the KPI tests hold the domain tables only). */
static int
has_table(sqlite3 *db, const char *name, int *yes, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*yes = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_master WHERE "
			       "type = 'table' AND name = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return sqlfail(db, err, errlen);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlfail(db, err, errlen);
	return CDSYNC_OK;
}

/* ==== The parents the catalog names =================================== */

/* The catalog's schools and hubs: the newest enrolment of a unit names
 * its code, name, level and parent (as cds_treebase takes the newest
 * parent); first_ms is its earliest. */
static const char TREECAT_INS[] =
	"INSERT INTO temp.cds_treecat (id, code, name, level, parent_id, "
	"parent_code, from_ms, first_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?7, "
	"?6, ?6) "
	"ON CONFLICT (id) DO UPDATE SET "
	"code = CASE WHEN excluded.from_ms >= from_ms THEN excluded.code "
	"ELSE code END, "
	"name = CASE WHEN excluded.from_ms >= from_ms THEN excluded.name "
	"ELSE name END, "
	"level = CASE WHEN excluded.from_ms >= from_ms THEN excluded.level "
	"ELSE level END, "
	"parent_id = CASE WHEN excluded.from_ms >= from_ms THEN "
	"excluded.parent_id ELSE parent_id END, "
	"parent_code = CASE WHEN excluded.from_ms >= from_ms THEN "
	"excluded.parent_code ELSE parent_code END, "
	"from_ms = max(from_ms, excluded.from_ms), "
	"first_ms = min(first_ms, excluded.first_ms)";

/* Puts node entry x (a school's or a hub's) into temp.cds_treecat. */
static int
put_cat(sqlite3 *db, sqlite3_stmt *cat, const struct cds_entry *x,
	char *err, size_t errlen)
{
	uint8_t id[16], pid[16];

	cds_id_name("cdsync.org.v1", x->org_code, id);
	sqlite3_reset(cat);
	sqlite3_bind_blob(cat, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_text(cat, 2, x->org_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(cat, 3, x->name[0] ? x->name : x->org_code, -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(cat, 4, x->role == CDSYNC_ROLE_SCHOOL ? "grassroots"
								: "upper",
			  -1, SQLITE_STATIC);
	if (x->parent_code[0] != '\0') {
		cds_id_name("cdsync.org.v1", x->parent_code, pid);
		sqlite3_bind_blob(cat, 5, pid, 16, SQLITE_TRANSIENT);
		sqlite3_bind_text(cat, 7, x->parent_code, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(cat, 5);
		sqlite3_bind_null(cat, 7);
	}
	sqlite3_bind_int64(cat, 6, (int64_t)x->from_ms);
	if (sqlite3_step(cat) != SQLITE_DONE)
		return sqlfail(db, err, errlen);
	return CDSYNC_OK;
}

/* Reads the stored catalog's node entries into temp.cds_treebase (id of
 * the unit -> id of its parent) and its schools and hubs into
 * temp.cds_treecat, unless trust_sheet is as it was when they were last
 * read.  Sheets were verified when they came in; one that does not parse
 * now is passed over (its units keep no parent). */
static int
catalog_base(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL, *ins = NULL, *cat = NULL;
	struct cds_sheet s;
	int64_t now[3] = { 0, 0, 0 }, was[3] = { -1, -1, -1 };
	uint8_t id[16], pid[16];
	char e[CDS_ERRLEN];
	size_t j;
	int rc = CDSYNC_OK, step, r, i;

	if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(sum(serial), 0), "
			       "coalesce(sum(length(bytes)), 0) FROM "
			       "trust_sheet", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto sqlerr;
	for (i = 0; i < 3; i++)
		now[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT n, s, b FROM temp.cds_treestamp "
			       "WHERE k = 1", -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		for (i = 0; i < 3; i++)
			was[i] = sqlite3_column_int64(st, i);
	else if (step != SQLITE_DONE)
		goto sqlerr;
	sqlite3_finalize(st);
	st = NULL;
	if (memcmp(now, was, sizeof now) == 0)
		return CDSYNC_OK;
	if (sqlite3_exec(db, "DELETE FROM temp.cds_treebase; DELETE FROM "
			 "temp.cds_treecat", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, TREECAT_INS, -1, &cat, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT bytes FROM trust_sheet", -1, &st,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO temp.cds_treebase (id, "
			       "parent_id, from_ms) VALUES (?1, ?2, ?3) ON "
			       "CONFLICT (id) DO UPDATE SET parent_id = "
			       "excluded.parent_id, from_ms = excluded.from_ms "
			       "WHERE excluded.from_ms >= from_ms", -1, &ins,
			       NULL) != SQLITE_OK)
		goto sqlerr;
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		r = cds_sheet_read(sqlite3_column_blob(st, 0),
				   (size_t)sqlite3_column_bytes(st, 0), &s, e,
				   sizeof e);
		if (r == -2) {
			cds_say(err, errlen, "%s", _("out of memory"));
			rc = CDSYNC_ENOMEM;
			break;
		}
		if (r != 0)
			continue;
		for (j = 0; j < s.count && rc == CDSYNC_OK; j++) {
			const struct cds_entry *x = &s.e[j];

			if (x->type != CDS_ENTRY_NODE ||
			    x->org_code[0] == '\0')
				continue;
			if ((x->role == CDSYNC_ROLE_SCHOOL ||
			     x->role == CDSYNC_ROLE_HUB) &&
			    (rc = put_cat(db, cat, x, err, errlen)) !=
				    CDSYNC_OK)
				break;
			if (x->parent_code[0] == '\0')
				continue;
			cds_id_name("cdsync.org.v1", x->org_code, id);
			cds_id_name("cdsync.org.v1", x->parent_code, pid);
			sqlite3_reset(ins);
			sqlite3_bind_blob(ins, 1, id, 16, SQLITE_STATIC);
			sqlite3_bind_blob(ins, 2, pid, 16, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 3, (int64_t)x->from_ms);
			if (sqlite3_step(ins) != SQLITE_DONE)
				rc = sqlfail(db, err, errlen);
		}
		cds_sheet_free(&s);
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = sqlfail(db, err, errlen);
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	sqlite3_finalize(cat);
	st = ins = cat = NULL;
	if (rc != CDSYNC_OK)
		return rc;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO temp.cds_treestamp "
			       "(k, n, s, b) VALUES (1, ?1, ?2, ?3)", -1, &st,
			       NULL) != SQLITE_OK)
		goto sqlerr;
	for (i = 0; i < 3; i++)
		sqlite3_bind_int64(st, i + 1, now[i]);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlerr;
	sqlite3_finalize(st);
	return CDSYNC_OK;
sqlerr:
	rc = sqlfail(db, err, errlen);
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	sqlite3_finalize(cat);
	return rc;
}

/* ==== The base tree =================================================== */

/* The catalog's units that no org unit is, enrolled by the day ?1 (UTC,
 * so that any machine draws the same tree of a day), under the parent
 * their enrolment names: the org unit of that code, else the unit its
 * code derives. */
static const char BASE_CAT[] =
	"INSERT INTO temp.cds_tree (id, parent_id, level, name, rep, "
	"merged_on, code, known) SELECT c.id, nullif(coalesce((SELECT o.id "
	"FROM org_unit o WHERE o.code = c.parent_code), c.parent_id), c.id), "
	"c.level, c.name, c.id, NULL, c.code, 0 FROM temp.cds_treecat c "
	"WHERE date(c.first_ms / 1000, 'unixepoch') <= ?1 AND NOT EXISTS "
	"(SELECT 1 FROM org_unit o WHERE o.id = c.id) AND NOT EXISTS "
	"(SELECT 1 FROM org_unit o WHERE o.code = c.code)";

/* Fills temp.cds_tree with every org unit under its parent at creation,
 * and with the catalog's units enrolled by `day` when the store has a
 * catalog (tree.h, rule 1); *n is the number of units. */
static int
base(sqlite3 *db, int has_meta, int has_trust, const char *day, int64_t *n,
     char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	uint8_t self[16], pid[16];
	const unsigned char *pc;
	int own = 0;

	*n = 0;
	if (has_meta) {
		if (sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta "
				       "WHERE key = 'org_id'), (SELECT value "
				       "FROM meta WHERE key = 'parent_code')",
				       -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW)
			goto sqlerr;
		pc = sqlite3_column_text(st, 1);
		if (col16(st, 0) != NULL && pc != NULL && pc[0] != '\0') {
			memcpy(self, col16(st, 0), 16);
			cds_id_name("cdsync.org.v1", (const char *)pc, pid);
			own = 1;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (sqlite3_exec(db, "DELETE FROM temp.cds_tree", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO temp.cds_tree (id, parent_id, "
			       "level, name, rep, merged_on, code, known) "
			       "SELECT o.id, nullif(coalesce(o.parent_id, "
			       "b.parent_id, CASE WHEN o.id = ?1 THEN ?2 END), "
			       "o.id), o.level, o.name, o.id, NULL, o.code, 1 "
			       "FROM org_unit o LEFT JOIN temp.cds_treebase b "
			       "ON b.id = o.id",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	if (own) {
		sqlite3_bind_blob(st, 1, self, 16, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, pid, 16, SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlerr;
	*n = sqlite3_changes(db);
	sqlite3_finalize(st);
	st = NULL;
	if (!has_trust)
		return CDSYNC_OK;
	if (sqlite3_prepare_v2(db, BASE_CAT, -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlerr;
	*n += sqlite3_changes(db);
	sqlite3_finalize(st);
	return CDSYNC_OK;
sqlerr:
	sqlite3_finalize(st);
	return sqlfail(db, err, errlen);
}

/* ==== Judging and applying one change ================================= */

struct bld {
	sqlite3 *db;
	char *err;
	size_t errlen;
	int64_t nunits;			/* bound of every walk up */
	sqlite3_stmt *get;		/* a unit of temp.cds_tree */
	sqlite3_stmt *code;		/* an org unit's code */
	sqlite3_stmt *rename, *move;	/* rule 2 */
	sqlite3_stmt *merge1, *merge2;
};

/* A unit as the tree has it now. */
struct unit {
	int found;			/* in the store */
	int has_parent;
	uint8_t parent[16];
	uint8_t rep[16];		/* itself, or the unit it is part of */
	char level[16];
	char merged_on[11];		/* "" when not merged */
};

static int
getunit(struct bld *b, const uint8_t id[16], struct unit *u)
{
	const unsigned char *t;
	const uint8_t *p;
	int rc;

	memset(u, 0, sizeof *u);
	sqlite3_reset(b->get);
	sqlite3_bind_blob(b->get, 1, id, 16, SQLITE_STATIC);
	rc = sqlite3_step(b->get);
	if (rc == SQLITE_ROW) {
		u->found = 1;
		if ((p = col16(b->get, 0)) != NULL) {
			u->has_parent = 1;
			memcpy(u->parent, p, 16);
		}
		if ((t = sqlite3_column_text(b->get, 1)) != NULL)
			snprintf(u->level, sizeof u->level, "%s",
				 (const char *)t);
		if ((p = col16(b->get, 2)) != NULL)
			memcpy(u->rep, p, 16);
		if ((t = sqlite3_column_text(b->get, 3)) != NULL)
			snprintf(u->merged_on, sizeof u->merged_on, "%s",
				 (const char *)t);
	}
	sqlite3_reset(b->get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlfail(b->db, b->err, b->errlen);
	return CDSYNC_OK;
}

static int
is_live(const struct unit *u, const uint8_t id[16])
{
	return u->found && memcmp(u->rep, id, 16) == 0;
}

/* *yes = 1 when `above` is a proper ancestor of `id` in the tree now. */
static int
is_below(struct bld *b, const uint8_t id[16], const uint8_t above[16],
	 int *yes)
{
	struct unit u;
	uint8_t up[16];
	int64_t steps;
	int rc;

	*yes = 0;
	if ((rc = getunit(b, id, &u)) != CDSYNC_OK)
		return rc;
	for (steps = 0; u.found && u.has_parent && steps <= b->nunits;
	     steps++) {
		if (memcmp(u.parent, above, 16) == 0) {
			*yes = 1;
			return CDSYNC_OK;
		}
		memcpy(up, u.parent, 16);	/* getunit clears u */
		if ((rc = getunit(b, up, &u)) != CDSYNC_OK)
			return rc;
	}
	return CDSYNC_OK;
}

/* What judging found, for the reason. */
struct verdict {
	int why;			/* enum cds_tree_why */
	int which;			/* UNKNOWN: 0 unit, 1 author, 2 target;
					 * CYCLE: 1 when the target is part
					 * of the unit */
	uint8_t rep[16];		/* MERGED: the unit it is part of */
	char merged_on[11];		/* MERGED: since */
	char level[2][16];		/* LEVEL: the unit's, the target's */
	uint8_t to[16];			/* move, merge: the target's rep */
};

/* Judges change c against the tree just before it (tree.h, rule 3). */
static int
judge(struct bld *b, const struct cds_tree_change *c, struct verdict *v)
{
	struct unit s, a, t, tr;
	int rename = strcmp(c->change, "rename") == 0;
	int merge = strcmp(c->change, "merge") == 0;
	int rc, yes;

	memset(v, 0, sizeof *v);
	if ((rc = getunit(b, c->subject, &s)) != CDSYNC_OK ||
	    (rc = getunit(b, c->author, &a)) != CDSYNC_OK)
		return rc;
	if (!s.found || !a.found) {
		v->why = CDS_TREE_UNKNOWN;
		v->which = !s.found ? 0 : 1;
		return CDSYNC_OK;
	}
	if (!is_live(&s, c->subject)) {
		v->why = CDS_TREE_MERGED;
		memcpy(v->rep, s.rep, 16);
		memcpy(v->merged_on, s.merged_on, sizeof v->merged_on);
		return CDSYNC_OK;
	}
	if (!rename && strcmp(s.level, "national") == 0) {
		v->why = CDS_TREE_ROOT;
		return CDSYNC_OK;
	}
	yes = (strcmp(a.level, "national") == 0 && is_live(&a, c->author)) ||
	      (rename && memcmp(c->author, c->subject, 16) == 0);
	if (!yes && (rc = is_below(b, c->subject, c->author, &yes)) != 0)
		return rc;
	if (!yes) {
		v->why = CDS_TREE_AUTHOR;
		return CDSYNC_OK;
	}
	if (rename)
		return CDSYNC_OK;
	if ((rc = getunit(b, c->target, &t)) != CDSYNC_OK)
		return rc;
	if (!t.found) {
		v->why = CDS_TREE_UNKNOWN;
		v->which = 2;
		return CDSYNC_OK;
	}
	memcpy(v->to, t.rep, 16);
	if ((rc = getunit(b, v->to, &tr)) != CDSYNC_OK)
		return rc;
	if (memcmp(v->to, c->subject, 16) == 0) {
		v->why = CDS_TREE_CYCLE;
		v->which = 1;
		return CDSYNC_OK;
	}
	if (merge && strcmp(tr.level, s.level) != 0) {
		v->why = CDS_TREE_LEVEL;
		memcpy(v->level[0], s.level, sizeof v->level[0]);
		memcpy(v->level[1], tr.level, sizeof v->level[1]);
		return CDSYNC_OK;
	}
	if ((rc = is_below(b, v->to, c->subject, &yes)) != CDSYNC_OK)
		return rc;
	if (yes) {
		v->why = CDS_TREE_CYCLE;
		return CDSYNC_OK;
	}
	if (!merge && strcmp(tr.level, "grassroots") == 0)
		v->why = CDS_TREE_GRASSROOTS;
	return CDSYNC_OK;
}

static int
step_done(struct bld *b, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? CDSYNC_OK : sqlfail(b->db, b->err,
						      b->errlen);
}

/* Applies an accepted change (tree.h, rule 2). */
static int
apply(struct bld *b, const struct cds_tree_change *c, const struct verdict *v)
{
	int rc;

	if (strcmp(c->change, "rename") == 0) {
		sqlite3_bind_blob(b->rename, 1, c->subject, 16, SQLITE_STATIC);
		sqlite3_bind_text(b->rename, 2, c->name, -1, SQLITE_STATIC);
		return step_done(b, b->rename);
	}
	if (strcmp(c->change, "move") == 0) {
		sqlite3_bind_blob(b->move, 1, c->subject, 16, SQLITE_STATIC);
		sqlite3_bind_blob(b->move, 2, v->to, 16, SQLITE_STATIC);
		return step_done(b, b->move);
	}
	/* merge: the unit and its parts count as the target from now on,
	 * and its children move under it */
	sqlite3_bind_blob(b->merge1, 1, c->subject, 16, SQLITE_STATIC);
	sqlite3_bind_blob(b->merge1, 2, v->to, 16, SQLITE_STATIC);
	sqlite3_bind_text(b->merge1, 3, c->effective_on, -1, SQLITE_STATIC);
	if ((rc = step_done(b, b->merge1)) != CDSYNC_OK)
		return rc;
	sqlite3_bind_blob(b->merge2, 1, c->subject, 16, SQLITE_STATIC);
	sqlite3_bind_blob(b->merge2, 2, v->to, 16, SQLITE_STATIC);
	return step_done(b, b->merge2);
}

/* ==== Reasons ========================================================= */

/* An org unit's code into out, or "…" and the end of its id. */
static void
unit_code(struct bld *b, const uint8_t id[16], char *out, size_t n)
{
	const unsigned char *t;
	char hex[33];

	cds_id_hex(id, hex);
	snprintf(out, n, "…%s", hex + 24);
	sqlite3_reset(b->code);
	sqlite3_bind_blob(b->code, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(b->code) == SQLITE_ROW &&
	    (t = sqlite3_column_text(b->code, 0)) != NULL)
		snprintf(out, n, "%s", (const char *)t);
	sqlite3_reset(b->code);
}

static const char *
level_label(const char *level)
{
	if (strcmp(level, "national") == 0)
		return _("national union");
	if (strcmp(level, "upper") == 0)
		return _("upper-level union");
	if (strcmp(level, "grassroots") == 0)
		return _("grassroots union");
	return level;
}

/* The reason of verdict v on change c into c->reason. */
static void
explain(struct bld *b, struct cds_tree_change *c, const struct verdict *v)
{
	char *r = c->reason, rep[80], day[11], since[11];
	const char *s = c->subject_code, *t = c->target_code;
	size_t n = sizeof c->reason;
	int move = strcmp(c->change, "move") == 0;

	r[0] = '\0';
	cds_date_vn(c->effective_on, day);
	switch (v->why) {
	case CDS_TREE_APPLIED:
		break;
	case CDS_TREE_UNKNOWN:
		if (v->which == 0)
			cds_say(r, n, _("the unit it changes (%s) is not in "
					"this store"), s);
		else if (v->which == 1)
			cds_say(r, n, _("the union that recorded it (%s) is "
					"not in this store"), c->author_code);
		else
			cds_say(r, n, _("the unit it names (%s) is not in "
					"this store"), t);
		break;
	case CDS_TREE_MERGED:
		unit_code(b, v->rep, rep, sizeof rep);
		cds_date_vn(v->merged_on, since);
		cds_say(r, n, _("%s had been merged into %s on %s"), s, rep,
		    since);
		break;
	case CDS_TREE_ROOT:
		cds_say(r, n, _("%s is the national union, the root of the "
				"tree: it is never moved or merged"), s);
		break;
	case CDS_TREE_AUTHOR:
		if (strcmp(c->change, "rename") == 0)
			cds_say(r, n, _("%s may not rename %s: it is neither "
					"the national union, nor above it in "
					"the tree on %s, nor that unit "
					"itself"), c->author_code, s, day);
		else
			cds_say(r, n, _("%s may not change the place of %s: "
					"it is neither the national union nor "
					"above it in the tree on %s"),
			    c->author_code, s, day);
		break;
	case CDS_TREE_CYCLE:
		if (move && v->which)
			cds_say(r, n, _("%s cannot be moved under %s, which "
					"is part of it since a merger"), s, t);
		else if (move)
			cds_say(r, n, _("%s cannot be moved under %s, which "
					"is below it in the tree on %s: that "
					"would make a cycle"), s, t, day);
		else if (v->which)
			cds_say(r, n, _("%s cannot be merged into %s, which "
					"is already part of it"), s, t);
		else
			cds_say(r, n, _("%s cannot be merged into %s, which "
					"is below it in the tree on %s"), s, t,
			    day);
		break;
	case CDS_TREE_GRASSROOTS:
		cds_say(r, n, _("%s cannot be moved under %s: a grassroots "
				"union has no units under it"), s, t);
		break;
	case CDS_TREE_LEVEL:
		cds_say(r, n, _("%s (%s) cannot be merged into %s (%s): a "
				"merger joins two unions of the same level"),
		    s, level_label(v->level[0]), t, level_label(v->level[1]));
		break;
	default:
		break;
	}
}

/* ==== The build ======================================================= */

static const char CHANGES_SQL[] =
	"SELECT c.id, c.org_id, c.subject_id, c.effective_on, c.change, "
	"c.name, coalesce(c.parent_id, c.into_id), c.note FROM org_change c "
	"WHERE c.effective_on <= ?1 ORDER BY c.effective_on, c.id";

/* Judges and applies every change up to `date` in order. */
static int
changes(struct bld *b, const char *date, cds_tree_fn fn, void *ctx)
{
	struct cds_tree_change c;
	struct verdict v;
	sqlite3_stmt *st = NULL;
	char acode[80], scode[80], tcode[80];
	const uint8_t *p;
	const unsigned char *t;
	int rc = CDSYNC_OK, step;

	if (sqlite3_prepare_v2(b->db, CHANGES_SQL, -1, &st, NULL) != SQLITE_OK)
		return sqlfail(b->db, b->err, b->errlen);
	sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof c);
		if ((p = col16(st, 0)) != NULL)
			memcpy(c.id, p, 16);
		if ((p = col16(st, 1)) != NULL)
			memcpy(c.author, p, 16);
		if ((p = col16(st, 2)) != NULL)
			memcpy(c.subject, p, 16);
		if ((p = col16(st, 6)) != NULL)
			memcpy(c.target, p, 16);
		if ((t = sqlite3_column_text(st, 3)) != NULL)
			snprintf(c.effective_on, sizeof c.effective_on, "%s",
				 (const char *)t);
		t = sqlite3_column_text(st, 4);
		c.change = t ? (const char *)t : "";
		c.name = (const char *)sqlite3_column_text(st, 5);
		c.note = (const char *)sqlite3_column_text(st, 7);
		if (strcmp(c.change, "rename") != 0 &&
		    strcmp(c.change, "move") != 0 &&
		    strcmp(c.change, "merge") != 0)
			continue;	/* the schema's CHECK refuses these */
		if (strcmp(c.change, "rename") == 0 && c.name == NULL)
			continue;
		if ((rc = judge(b, &c, &v)) != CDSYNC_OK)
			break;
		if (v.why == CDS_TREE_APPLIED &&
		    (rc = apply(b, &c, &v)) != CDSYNC_OK)
			break;
		if (fn == NULL)
			continue;
		unit_code(b, c.author, acode, sizeof acode);
		unit_code(b, c.subject, scode, sizeof scode);
		c.author_code = acode;
		c.subject_code = scode;
		if (strcmp(c.change, "rename") != 0) {
			unit_code(b, c.target, tcode, sizeof tcode);
			c.target_code = tcode;
		}
		c.why = v.why;
		explain(b, &c, &v);
		rc = fn(ctx, &c);
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = sqlfail(b->db, b->err, b->errlen);
	sqlite3_finalize(st);
	return rc;
}

static int
prepare(struct bld *b, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(b->db, sql, -1, st, NULL) != SQLITE_OK)
		return sqlfail(b->db, b->err, b->errlen);
	return CDSYNC_OK;
}

/* The ISO form of a date given to the build into out. */
static int
pick_date(const char *date, char out[11], char *err, size_t errlen)
{
	char e[CDS_ERRLEN];
	int y, m, d;

	if (date == NULL) {
		cds_today(out);
		return CDSYNC_OK;
	}
	if (strcmp(date, CDS_TREE_ALL) == 0) {
		memcpy(out, CDS_TREE_ALL, 11);
		return CDSYNC_OK;
	}
	if (cds_date_parse(date, &y, &m, &d, e, sizeof e) != 0) {
		cds_say(err, errlen, "%s", e);
		return CDSYNC_EINVAL;
	}
	cds_date_iso(y, m, d, out);
	return CDSYNC_OK;
}

int
cds_tree_build(sqlite3 *db, const char *date, cds_tree_fn fn, void *ctx,
	       char *err, size_t errlen)
{
	struct bld b;
	char day[11];
	int rc, has_change, has_trust, has_meta;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((rc = pick_date(date, day, err, errlen)) != CDSYNC_OK)
		return rc;
	memset(&b, 0, sizeof b);
	b.db = db;
	b.err = err;
	b.errlen = errlen;
	if (sqlite3_exec(db, TEMP_SQL, NULL, NULL, NULL) != SQLITE_OK)
		return sqlfail(db, err, errlen);
	if ((rc = has_table(db, "org_change", &has_change, err, errlen)) ||
	    (rc = has_table(db, "trust_sheet", &has_trust, err, errlen)) ||
	    (rc = has_table(db, "meta", &has_meta, err, errlen)))
		return rc;
	if (has_trust && (rc = catalog_base(db, err, errlen)) != CDSYNC_OK)
		return rc;
	if ((rc = base(db, has_meta, has_trust, day, &b.nunits, err,
		       errlen)) != CDSYNC_OK ||
	    !has_change)
		return rc;
	if ((rc = prepare(&b, &b.get, "SELECT parent_id, level, rep, "
			  "merged_on FROM temp.cds_tree WHERE id = ?1")) ||
	    (rc = prepare(&b, &b.code, "SELECT code FROM temp.cds_tree "
			  "WHERE id = ?1")) ||
	    (rc = prepare(&b, &b.rename, "UPDATE temp.cds_tree SET name = ?2 "
			  "WHERE id = ?1")) ||
	    (rc = prepare(&b, &b.move, "UPDATE temp.cds_tree SET parent_id = "
			  "?2 WHERE id = ?1")) ||
	    (rc = prepare(&b, &b.merge1, "UPDATE temp.cds_tree SET rep = ?2, "
			  "merged_on = coalesce(merged_on, ?3) WHERE rep = "
			  "?1")) ||
	    (rc = prepare(&b, &b.merge2, "UPDATE temp.cds_tree SET parent_id "
			  "= ?2 WHERE parent_id = ?1 AND rep = id")))
		goto out;
	rc = changes(&b, day, fn, ctx);
out:
	sqlite3_finalize(b.get);
	sqlite3_finalize(b.code);
	sqlite3_finalize(b.rename);
	sqlite3_finalize(b.move);
	sqlite3_finalize(b.merge1);
	sqlite3_finalize(b.merge2);
	return rc;
}

/* ==== Recording a change ============================================== */

/* The id of the org unit with `code`; CDSYNC_ENOTFOUND with the message
 * set when there is none. */
static int
unit_by_code(cdsync *db, const char *code, uint8_t id[16])
{
	char b[CDS_SHOWMAX + 4];
	sqlite3_stmt *st;
	int rc;

	if ((st = cds_prepare(db, "SELECT id FROM org_unit WHERE code = ?1"))
	    == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && col16(st, 0) != NULL) {
		memcpy(id, col16(st, 0), 16);
		sqlite3_finalize(st);
		return CDSYNC_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cds_sqlerr(db, _("union"));
	return cds_err(db, CDSYNC_ENOTFOUND,
		       _("there is no org unit with the code '%s'"),
		       cds_show(code, strlen(code), b));
}

/* The changes that count before a new one is recorded, then what the
 * build says about them and it afterwards. */
struct check {
	uint8_t *ok;			/* ids that count, 16 bytes each */
	size_t n, cap;
	int after;			/* second build */
	int failed;			/* out of memory */
	uint8_t id[16];			/* the new change */
	int why;			/* its verdict */
	char reason[CDS_TREE_REASONLEN];
	int broken;			/* an earlier one no longer counts */
	char what[CDS_TREE_REASONLEN];
};

static int
check_fn(void *ctx, const struct cds_tree_change *c)
{
	struct check *k = ctx;
	uint8_t *p;
	char day[11];

	if (!k->after) {
		if (c->why != CDS_TREE_APPLIED)
			return CDSYNC_OK;
		if (k->n == k->cap) {
			k->cap = k->cap ? 2 * k->cap : 32;
			if ((p = cds_realloc(k->ok, k->cap * 16)) == NULL) {
				k->failed = 1;
				return CDSYNC_ENOMEM;
			}
			k->ok = p;
		}
		memcpy(k->ok + 16 * k->n++, c->id, 16);
		return CDSYNC_OK;
	}
	if (memcmp(c->id, k->id, 16) == 0) {
		k->why = c->why;
		memcpy(k->reason, c->reason, sizeof k->reason);
		return CDSYNC_OK;
	}
	if (c->why == CDS_TREE_APPLIED || k->broken || k->n == 0 ||
	    bsearch(c->id, k->ok, k->n, 16, cds_id_order) == NULL)
		return CDSYNC_OK;
	k->broken = 1;
	cds_date_vn(c->effective_on, day);
	cds_say(k->what, sizeof k->what,
	    strcmp(c->change, "rename") == 0
		    ? _("it would make the rename of %s on %s no longer count "
			"(%s)")
	    : strcmp(c->change, "move") == 0
		    ? _("it would make the move of %s on %s no longer count "
			"(%s)")
		    : _("it would make the merger of %s on %s no longer count "
			"(%s)"),
	    c->subject_code, day, c->reason);
	return CDSYNC_OK;
}

/* Records change `change` of the unit `code`: `field` of the org_change
 * row is `value` (a name, or a code for a reference). */
static int
record(cdsync *db, const char *change, const char *code, const char *field,
       const char *value, const char *date, const char *note)
{
	struct check k;
	cdsync_rec *r = NULL;
	uint8_t subj[16], tgt[16];
	char err[CDS_MSGLEN];
	int rc, open = 0, rename = strcmp(change, "rename") == 0;

	cds_ok(db);
	memset(&k, 0, sizeof k);
	if (!db->has_node)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run 'cdsync "
				 "init' first"));
	if (code == NULL || value == NULL || date == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	if ((rc = unit_by_code(db, code, subj)) != CDSYNC_OK ||
	    (!rename && (rc = unit_by_code(db, value, tgt)) != CDSYNC_OK))
		return rc;
	if (!rename && memcmp(subj, tgt, 16) == 0)
		return cds_err(db, CDSYNC_ECONSTRAINT,
			       strcmp(change, "move") == 0
			       ? _("%s cannot be moved under itself; nothing "
				   "was recorded")
			       : _("%s cannot be merged into itself; nothing "
				   "was recorded"),
			       code);
	if ((rc = cdsync_rec_new(CDSYNC_KIND_ORG_CHANGE, &r)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", _("out of memory"));
	if ((rc = cdsync_rec_set_ref(r, "subject_id", subj)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set(r, "change", change)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set(r, "effective_on", date)) != CDSYNC_OK ||
	    (rc = rename ? cdsync_rec_set(r, field, value)
			 : cdsync_rec_set_ref(r, field, tgt)) != CDSYNC_OK ||
	    (note != NULL &&
	     (rc = cdsync_rec_set(r, "note", note)) != CDSYNC_OK)) {
		rc = cds_err(db, rc, "%s", cdsync_rec_errmsg(r));
		goto out;
	}
	if (rename && (cdsync_rec_get(r, "name") == NULL ||
		       cdsync_rec_get(r, "name")[0] == '\0')) {
		rc = cds_err(db, CDSYNC_EINVAL, "%s",
			     _("a rename needs the new name"));
		goto out;
	}
	if ((rc = cds_save(db)) != CDSYNC_OK)
		goto out;
	open = 1;
	if ((rc = cds_tree_build(db->db, CDS_TREE_ALL, check_fn, &k, err,
				 sizeof err)) != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s", k.failed ? _("out of memory") : err);
		goto out;
	}
	if (k.n > 1)
		qsort(k.ok, k.n, 16, cds_id_order);
	if ((rc = cds_write_insert(db, r, 0)) != CDSYNC_OK)
		goto out;
	memcpy(k.id, cdsync_rec_id(r), 16);
	k.after = 1;
	k.why = -1;
	if ((rc = cds_tree_build(db->db, CDS_TREE_ALL, check_fn, &k, err,
				 sizeof err)) != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s", err);
		goto out;
	}
	if (k.why != CDS_TREE_APPLIED) {
		rc = k.why == CDS_TREE_AUTHOR	 ? CDSYNC_ESCOPE
		     : k.why == CDS_TREE_UNKNOWN ? CDSYNC_ENOTFOUND
						 : CDSYNC_ECONSTRAINT;
		rc = cds_err(db, rc, _("%s; nothing was recorded"),
			     k.why < 0 ? _("the change was not found again")
				       : k.reason);
		goto out;
	}
	if (k.broken) {
		rc = cds_err(db, CDSYNC_ECONSTRAINT,
			     _("%s; nothing was recorded"), k.what);
		goto out;
	}
	rc = cds_release(db);
	open = rc != CDSYNC_OK;
out:
	if (open)
		cds_undo(db);
	cds_free(k.ok);
	cdsync_rec_free(r);
	return rc;
}

CDSYNC_API int
cdsync_org_rename(cdsync *db, const char *code, const char *name,
		  const char *date, const char *note)
{
	return record(db, "rename", code, "name", name, date, note);
}

CDSYNC_API int
cdsync_org_move(cdsync *db, const char *code, const char *parent_code,
		const char *date, const char *note)
{
	return record(db, "move", code, "parent_id", parent_code, date, note);
}

CDSYNC_API int
cdsync_org_merge(cdsync *db, const char *code, const char *into_code,
		 const char *date, const char *note)
{
	return record(db, "merge", code, "into_id", into_code, date, note);
}

/* ==== The tree of a date, as a list =================================== */

struct tnode {
	uint8_t id[16];
	uint8_t parent[16];
	uint8_t rep[16];
	int has_parent;
	char *code, *name, *level, *merged_on;	/* owned */
	size_t up;			/* index of the parent, or SIZE_MAX */
	size_t kid;			/* first child, reverse code order */
	size_t sib;			/* next sibling */
	size_t part;			/* first unit merged into it */
	size_t nextpart;		/* next unit merged into the same */
	size_t repi;			/* index of rep */
	int seen;
};

struct cdsync_tree {
	struct tnode *t;		/* by code */
	size_t n;
	size_t *order;			/* t indices, in the order listed */
	int *depth;			/* their depth */
	size_t norder, next;
	cdsync_tree_unit cur;		/* what next() gave */
};

#define NONE ((size_t)-1)

CDSYNC_API void
cdsync_tree_close(cdsync_tree *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++) {
		cds_free(x->t[i].code);
		cds_free(x->t[i].name);
		cds_free(x->t[i].level);
		cds_free(x->t[i].merged_on);
	}
	cds_free(x->t);
	cds_free(x->order);
	cds_free(x->depth);
	cds_free(x);
}

/* A copy of column i's text, or NULL; *bad = 1 when out of memory. */
static char *
coldup(sqlite3_stmt *st, int i, int *bad)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *s;

	if (t == NULL)
		return NULL;
	if ((s = cds_strdup((const char *)t)) == NULL)
		*bad = 1;
	return s;
}

/* Index into x->t of the unit with id, through byid (sorted by the id,
 * the first member: cds_id_order). */
struct idx {
	uint8_t id[16];
	size_t i;
};

static size_t
find(const struct idx *byid, size_t n, const uint8_t id[16])
{
	struct idx key;
	const struct idx *p;

	memset(&key, 0, sizeof key);
	memcpy(key.id, id, 16);
	p = bsearch(&key, byid, n, sizeof *byid, cds_id_order);
	return p ? p->i : NONE;
}

static int
live(const struct tnode *u)
{
	return memcmp(u->rep, u->id, 16) == 0;
}

/* Lists the subtree of root into x->order, depth first: a unit, the
 * units merged into it, then its children (by code). */
static void
walk(cdsync_tree *x, size_t root, size_t *stack, int *sdepth)
{
	size_t top = 0, i, j;
	int d;

	stack[top] = root;
	sdepth[top++] = 0;
	while (top > 0) {
		top--;
		i = stack[top];
		d = sdepth[top];
		if (x->t[i].seen)
			continue;
		x->t[i].seen = 1;
		x->order[x->norder] = i;
		x->depth[x->norder++] = d;
		for (j = x->t[i].part; j != NONE; j = x->t[j].nextpart) {
			x->t[j].seen = 1;
			x->order[x->norder] = j;
			x->depth[x->norder++] = d + 1;
		}
		for (j = x->t[i].kid; j != NONE; j = x->t[j].sib)
			if (!x->t[j].seen && top < x->n) {
				stack[top] = j;
				sdepth[top++] = d + 1;
			}
	}
}

/* Puts the units in the order they are listed. */
static int
arrange(cdsync_tree *x)
{
	struct idx *byid = NULL;
	size_t *stack = NULL, i, p;
	int *sdepth = NULL;

	if (x->n == 0)
		return CDSYNC_OK;
	if ((byid = cds_calloc(x->n, sizeof *byid)) == NULL ||
	    (stack = cds_calloc(x->n + 1, sizeof *stack)) == NULL ||
	    (sdepth = cds_calloc(x->n + 1, sizeof *sdepth)) == NULL ||
	    (x->order = cds_calloc(x->n, sizeof *x->order)) == NULL ||
	    (x->depth = cds_calloc(x->n, sizeof *x->depth)) == NULL) {
		cds_free(byid);
		cds_free(stack);
		cds_free(sdepth);
		return CDSYNC_ENOMEM;
	}
	for (i = 0; i < x->n; i++) {
		memcpy(byid[i].id, x->t[i].id, 16);
		byid[i].i = i;
		x->t[i].up = x->t[i].kid = x->t[i].sib = NONE;
		x->t[i].part = x->t[i].nextpart = x->t[i].repi = NONE;
	}
	qsort(byid, x->n, sizeof *byid, cds_id_order);
	/* children in reverse code order (walk pushes them so the first
	 * comes out first); parts in code order */
	for (i = 0; i < x->n; i++) {
		struct tnode *u = &x->t[i];

		if (!live(u) || !u->has_parent)
			continue;
		p = find(byid, x->n, u->parent);
		if (p == NONE || !live(&x->t[p]))
			continue;
		u->up = p;
		u->sib = x->t[p].kid;
		x->t[p].kid = i;
	}
	for (i = x->n; i-- > 0;) {
		struct tnode *u = &x->t[i];

		if (live(u) || (p = find(byid, x->n, u->rep)) == NONE)
			continue;
		u->repi = p;
		u->nextpart = x->t[p].part;
		x->t[p].part = i;
	}
	for (i = 0; i < x->n; i++)
		if (live(&x->t[i]) && x->t[i].up == NONE)
			walk(x, i, stack, sdepth);
	/* units on a cycle of stored parents have no root: list them too */
	for (i = 0; i < x->n; i++)
		if (!x->t[i].seen && live(&x->t[i]))
			walk(x, i, stack, sdepth);
	for (i = 0; i < x->n; i++)
		if (!x->t[i].seen) {
			x->order[x->norder] = i;
			x->depth[x->norder++] = 0;
		}
	cds_free(byid);
	cds_free(stack);
	cds_free(sdepth);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_tree_open(cdsync *db, const char *as_of, cdsync_tree **out)
{
	cdsync_tree *x = NULL;
	struct tnode *t;
	sqlite3_stmt *st = NULL;
	char err[CDS_MSGLEN];
	const uint8_t *p;
	size_t cap = 0;
	int rc, step, bad = 0;

	cds_ok(db);
	if (out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	*out = NULL;
	if ((rc = cds_tree_build(db->db, as_of, NULL, NULL, err,
				 sizeof err)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", err);
	if ((x = cds_calloc(1, sizeof *x)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if ((st = cds_prepare(db, "SELECT t.id, t.parent_id, t.rep, o.code, "
				  "t.name, t.level, t.merged_on FROM "
				  "temp.cds_tree t JOIN org_unit o ON o.id = "
				  "t.id ORDER BY o.code")) == NULL) {
		rc = CDSYNC_ERROR;
		goto fail;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (col16(st, 0) == NULL || col16(st, 2) == NULL)
			continue;
		if (x->n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((t = cds_realloc(x->t, cap * sizeof *t)) == NULL) {
				bad = 1;
				break;
			}
			x->t = t;
		}
		t = &x->t[x->n++];
		memset(t, 0, sizeof *t);
		memcpy(t->id, col16(st, 0), 16);
		if ((p = col16(st, 1)) != NULL) {
			memcpy(t->parent, p, 16);
			t->has_parent = 1;
		}
		memcpy(t->rep, col16(st, 2), 16);
		t->code = coldup(st, 3, &bad);
		t->name = coldup(st, 4, &bad);
		t->level = coldup(st, 5, &bad);
		t->merged_on = coldup(st, 6, &bad);
		if (bad)
			break;
	}
	if (!bad && step != SQLITE_DONE) {
		rc = cds_sqlerr(db, _("tree of unions"));
		goto fail;
	}
	if (bad || arrange(x) != CDSYNC_OK) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto fail;
	}
	sqlite3_finalize(st);
	*out = x;
	return CDSYNC_OK;
fail:
	sqlite3_finalize(st);
	cdsync_tree_close(x);
	return rc;
}

CDSYNC_API int
cdsync_tree_next(cdsync_tree *x, const cdsync_tree_unit **unit_out)
{
	const struct tnode *u;
	size_t i;

	if (unit_out == NULL)
		return CDSYNC_EINVAL;
	*unit_out = NULL;
	if (x == NULL)
		return CDSYNC_EINVAL;
	if (x->next >= x->norder)
		return CDSYNC_DONE;
	i = x->order[x->next];
	u = &x->t[i];
	memset(&x->cur, 0, sizeof x->cur);
	memcpy(x->cur.id, u->id, 16);
	x->cur.code = u->code;
	x->cur.name = u->name;
	x->cur.level = u->level;
	x->cur.depth = x->depth[x->next];
	x->next++;
	if (live(u)) {
		if (u->up != NONE)
			x->cur.parent = x->t[u->up].code;
	} else {
		if (u->repi != NONE)
			x->cur.merged_into = x->t[u->repi].code;
		x->cur.merged_on = u->merged_on;
	}
	*unit_out = &x->cur;
	return CDSYNC_OK;
}

/* ==== The changes, with their verdicts ================================ */

struct citem {
	cdsync_tree_change c;		/* strings point into s */
	char *s[7];			/* owned */
};

struct cdsync_tree_changes {
	struct citem *it;
	size_t n, cap, next;
	int failed;			/* out of memory while listing */
};

CDSYNC_API void
cdsync_tree_changes_close(cdsync_tree_changes *x)
{
	size_t i, j;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++)
		for (j = 0; j < 7; j++)
			cds_free(x->it[i].s[j]);
	cds_free(x->it);
	cds_free(x);
}

/* A copy of s (NULL stays NULL) into *slot; the copy, or NULL. */
static const char *
keep(char **slot, const char *s, int *bad)
{
	if (s == NULL)
		return NULL;
	if ((*slot = cds_strdup(s)) == NULL)
		*bad = 1;
	return *slot;
}

static int
list_fn(void *ctx, const struct cds_tree_change *c)
{
	cdsync_tree_changes *x = ctx;
	struct citem *p;
	int bad = 0, move = strcmp(c->change, "move") == 0;

	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		if ((p = cds_realloc(x->it, x->cap * sizeof *p)) == NULL) {
			x->failed = 1;
			return CDSYNC_ENOMEM;
		}
		x->it = p;
	}
	p = &x->it[x->n++];
	memset(p, 0, sizeof *p);
	memcpy(p->c.id, c->id, 16);
	memcpy(p->c.effective_on, c->effective_on, sizeof c->effective_on);
	p->c.change = keep(&p->s[0], c->change, &bad);
	p->c.author = keep(&p->s[1], c->author_code, &bad);
	p->c.subject = keep(&p->s[2], c->subject_code, &bad);
	p->c.name = keep(&p->s[3], c->name, &bad);
	if (move)
		p->c.parent = keep(&p->s[4], c->target_code, &bad);
	else
		p->c.into = keep(&p->s[4], c->target_code, &bad);
	p->c.note = keep(&p->s[5], c->note, &bad);
	p->c.applied = c->why == CDS_TREE_APPLIED;
	if (!p->c.applied)
		p->c.reason = keep(&p->s[6], c->reason, &bad);
	if (bad) {
		x->failed = 1;
		return CDSYNC_ENOMEM;
	}
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_tree_changes_open(cdsync *db, cdsync_tree_changes **out)
{
	cdsync_tree_changes *x;
	char err[CDS_MSGLEN];
	int rc;

	cds_ok(db);
	if (out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	*out = NULL;
	if ((x = cds_calloc(1, sizeof *x)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	rc = cds_tree_build(db->db, CDS_TREE_ALL, list_fn, x, err, sizeof err);
	if (rc != CDSYNC_OK) {
		cds_err(db, rc, "%s", x->failed ? _("out of memory") : err);
		cdsync_tree_changes_close(x);
		return rc;
	}
	*out = x;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_tree_changes_next(cdsync_tree_changes *x,
			 const cdsync_tree_change **change_out)
{
	if (change_out == NULL)
		return CDSYNC_EINVAL;
	*change_out = NULL;
	if (x == NULL)
		return CDSYNC_EINVAL;
	if (x->next >= x->n)
		return CDSYNC_DONE;
	*change_out = &x->it[x->next++].c;
	return CDSYNC_OK;
}
