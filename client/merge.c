/* merge.c -- folding changes from other nodes into the store; see merge.h
 * and SPEC.md "Merge".
 *
 * For each change: check its values (a node that follows the protocol
 * never sends a value its own API would refuse), find or add its origin
 * in sync_node, skip it if the log has it (same row, origin and HLC),
 * append it, move the clock past it (flagging it if it is too far
 * ahead), and remember its row.  Then each touched row is folded from all
 * of its changes and written to, or removed from, its table.
 */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "i18n.h"
#include "id.h"
#include "kinds.h"
#include "rec.h"
#include "write.h"

/* UPDATE statements by (kind, set of columns), reused round-robin. */
#define NUPD 32

struct cds_mstmts {
	sqlite3_stmt *node, *addnode, *dup, *log, *rows, *future;
	sqlite3_stmt *ins[CDSYNC_KIND_MAX + 1];	/* INSERT of all fields */
	sqlite3_stmt *get[CDSYNC_KIND_MAX + 1];	/* SELECT by id */
	sqlite3_stmt *del[CDSYNC_KIND_MAX + 1];
	struct {
		int kind;
		uint64_t mask;
		sqlite3_stmt *st;
	} upd[NUPD];
	size_t nextupd;			/* slot to reuse next */
	sqlite3_stmt *invalid, *valid;
	int any_invalid;		/* sync_invalid may have rows */
	cdsync_rec *rec[CDSYNC_KIND_MAX + 1];	/* scratch records: a change, */
	cdsync_rec *tmp[CDSYNC_KIND_MAX + 1];	/* a value's check */
	uint8_t lastnode[16];		/* origin looked up last */
	int64_t lastidx;		/* its sync_node.idx (0: none) */
};

/* A cached scratch record of kind k in set[] (NULL when out of memory). */
static cdsync_rec *
scratch(cdsync_rec **set, cdsync_kind k)
{
	if (set[k] == NULL && cdsync_rec_new(k, &set[k]) != CDSYNC_OK)
		return NULL;
	return set[k];
}

void
cds_merge_end(cdsync *db)
{
	struct cds_mstmts *m = db->mst;
	int i;

	if (m == NULL)
		return;
	sqlite3_finalize(m->node);
	sqlite3_finalize(m->addnode);
	sqlite3_finalize(m->dup);
	sqlite3_finalize(m->log);
	sqlite3_finalize(m->rows);
	sqlite3_finalize(m->future);
	sqlite3_finalize(m->invalid);
	sqlite3_finalize(m->valid);
	for (i = 0; i <= CDSYNC_KIND_MAX; i++) {
		sqlite3_finalize(m->ins[i]);
		sqlite3_finalize(m->get[i]);
		sqlite3_finalize(m->del[i]);
		cdsync_rec_free(m->rec[i]);
		cdsync_rec_free(m->tmp[i]);
	}
	for (i = 0; i < NUPD; i++)
		sqlite3_finalize(m->upd[i].st);
	cds_free(m);
	db->mst = NULL;
}

/* Resets every cached statement: none may hold a read transaction (an
 * old snapshot) open after the merge, or another connection's commit
 * makes this one's next write fail with SQLITE_BUSY_SNAPSHOT. */
static void
idle(cdsync *db)
{
	struct cds_mstmts *m = db->mst;
	int i;

	cds_write_idle(db);
	if (m == NULL)
		return;
	sqlite3_reset(m->node);
	sqlite3_reset(m->addnode);
	sqlite3_reset(m->dup);
	sqlite3_reset(m->log);
	sqlite3_reset(m->rows);
	sqlite3_reset(m->future);
	sqlite3_reset(m->invalid);
	sqlite3_reset(m->valid);
	for (i = 0; i <= CDSYNC_KIND_MAX; i++) {
		sqlite3_reset(m->ins[i]);
		sqlite3_reset(m->get[i]);
		sqlite3_reset(m->del[i]);
	}
	for (i = 0; i < NUPD; i++)
		sqlite3_reset(m->upd[i].st);
}

/* Returns a cached statement, preparing it on first use. */
static sqlite3_stmt *
ms(cdsync *db, sqlite3_stmt **slot, const char *sql)
{
	if (*slot == NULL)
		*slot = cds_prepare(db, sql);
	else
		sqlite3_reset(*slot);
	if (*slot != NULL)
		sqlite3_clear_bindings(*slot);
	return *slot;
}

static struct cds_mstmts *
mstmts(cdsync *db)
{
	if (db->mst == NULL)
		db->mst = cds_calloc(1, sizeof *db->mst);
	return db->mst;
}

/* ==== Transactions ==================================================== */

int
cds_merge_begin(cdsync *db)
{
	int rc;

	if (db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a merge cannot run inside an open "
				 "transaction"));
	if ((rc = cds_exec(db, "PRAGMA foreign_keys = OFF")) != CDSYNC_OK)
		return rc;
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK) {
		sqlite3_exec(db->db, "PRAGMA foreign_keys = ON", NULL, NULL,
			     NULL);
		return rc;
	}
	return CDSYNC_OK;
}

int
cds_merge_commit(cdsync *db)
{
	int rc;

	idle(db);
	rc = cds_exec(db, "COMMIT");

	if (rc != CDSYNC_OK)
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(db->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	return rc;
}

void
cds_merge_rollback(cdsync *db)
{
	idle(db);
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(db->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	/* sync_node may have lost rows: forget the cached lookup */
	if (db->mst != NULL)
		db->mst->lastidx = 0;
}

/* ==== Checking values ================================================= */

/* Checks a change against its kind: known columns, every value one the
 * API could have written. */
static int
check(cdsync *db, const struct cds_change *c, size_t index)
{
	const struct cds_kind *k = cds_kind((cdsync_kind)c->kind);
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	cdsync_rec *r = NULL;
	char e[128], hex[33];
	size_t n, i;
	int rc = CDSYNC_OK, bad;

	cds_id_hex(c->row, hex);
	if (k == NULL)
		return cds_err(db, CDSYNC_EBADINPUT,
			       _("change %zu: unknown kind %u"), index + 1,
			       c->kind);
	if (c->op != CDS_OP_SET)
		return CDSYNC_OK;
	if (cds_colset_get(c->cols, c->ncols, cols, vals, &n, e, sizeof e))
		return cds_err(db, CDSYNC_EBADINPUT, _("change %zu (%s %s): %s"),
			       index + 1, k->name, hex + 24, e);
	if ((r = scratch(db->mst->rec, k->kind)) == NULL ||
	    scratch(db->mst->tmp, k->kind) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	for (i = 0; i < n && rc == CDSYNC_OK; i++) {
		if (cols[i] == 0 || cols[i] >= k->nfields) {
			rc = cds_err(db, CDSYNC_EBADINPUT,
				     _("change %zu (%s %s): %s has no column "
				       "%u"),
				     index + 1, k->name, hex + 24, k->name,
				     cols[i]);
			break;
		}
		rc = cds_rec_set_val(r, cols[i], &vals[i]);
		if (rc == CDSYNC_ECORRUPT)
			rc = cds_err(db, CDSYNC_EBADINPUT,
				     _("change %zu (%s %s): %s: value of the "
				       "wrong type"),
				     index + 1, k->name, hex + 24,
				     k->fields[cols[i]].name);
		else if (rc != CDSYNC_OK)
			rc = cds_err(db, rc, "%s", _("out of memory"));
		else if ((bad = cds_rec_check(r, cols[i],
					      db->mst->tmp[k->kind])) == -2)
			rc = cds_err(db, CDSYNC_ENOMEM, "%s",
				     _("out of memory"));
		else if (bad != 0)
			rc = cds_err(db, CDSYNC_EBADINPUT,
				     _("change %zu (%s %s): %s"), index + 1,
				     k->name, hex + 24, r->err);
	}
	return rc;
}

/* ==== The log ========================================================= */

/* sync_node.idx of an origin, added if new. */
static int
nodeidx(cdsync *db, const uint8_t node[16], int64_t *idx)
{
	struct cds_mstmts *m = db->mst;
	sqlite3_stmt *st;
	int rc;

	if (m->lastidx && memcmp(m->lastnode, node, 16) == 0) {
		*idx = m->lastidx;
		return CDSYNC_OK;
	}
	if ((st = ms(db, &m->node, "SELECT idx FROM sync_node WHERE "
				   "node_id = ?1")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*idx = sqlite3_column_int64(st, 0);
	} else if (rc == SQLITE_DONE) {
		if ((st = ms(db, &m->addnode, "INSERT INTO sync_node (node_id) "
					      "VALUES (?1)")) == NULL)
			return CDSYNC_ERROR;
		sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			return cds_sqlerr(db, _("change log"));
		*idx = sqlite3_last_insert_rowid(db->db);
	} else {
		return cds_sqlerr(db, _("change log"));
	}
	memcpy(m->lastnode, node, 16);
	m->lastidx = *idx;
	return CDSYNC_OK;
}

/* Appends a change unless the log has it; *added says which, *fresh
 * whether the log had nothing of its row before. */
static int
append(cdsync *db, const struct cds_change *c, int64_t via, int *added,
       int *fresh, int64_t *seq)
{
	struct cds_mstmts *m = db->mst;
	sqlite3_stmt *st;
	int64_t node = 0;
	int rc;

	*added = *fresh = 0;
	if ((rc = nodeidx(db, c->origin, &node)) != CDSYNC_OK)
		return rc;
	if ((st = ms(db, &m->dup, "SELECT count(*), coalesce(max(node = ?3 "
				  "AND hlc = ?4), 0) FROM sync_change WHERE "
				  "tbl = ?1 AND rid = ?2")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_int(st, 1, c->kind);
	sqlite3_bind_blob(st, 2, c->row, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, node);
	sqlite3_bind_int64(st, 4, (int64_t)c->hlc);
	if (sqlite3_step(st) != SQLITE_ROW)
		return cds_sqlerr(db, _("change log"));
	if (sqlite3_column_int(st, 1))
		return CDSYNC_OK;	/* the log has it */
	*fresh = sqlite3_column_int64(st, 0) == 0;
	if ((st = ms(db, &m->log, "INSERT INTO sync_change (tbl, rid, op, "
				  "hlc, node, vals, base, via) VALUES (?1, "
				  "?2, ?3, ?4, ?5, ?6, ?7, ?8)")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_int(st, 1, c->kind);
	sqlite3_bind_blob(st, 2, c->row, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, c->op);
	sqlite3_bind_int64(st, 4, (int64_t)c->hlc);
	sqlite3_bind_int64(st, 5, node);
	if (c->op == CDS_OP_SET)
		sqlite3_bind_blob(st, 6, c->cols, (int)c->ncols,
				  SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (int64_t)c->base);
	if (via != 0)
		sqlite3_bind_int64(st, 8, via);
	if (sqlite3_step(st) != SQLITE_DONE)
		return cds_sqlerr(db, _("change log"));
	*seq = sqlite3_last_insert_rowid(db->db);
	*added = 1;
	return CDSYNC_OK;
}

/* ==== Folding a row =================================================== */

struct cell {
	int set;		/* some change wrote it */
	uint64_t hlc;		/* of the winning change */
	uint8_t origin[16];	/* ... and its origin */
	cds_val v;		/* its value (points into the copies) */
};

/* (h1, o1) > (h2, o2)? */
static int
later(uint64_t h1, const uint8_t *o1, uint64_t h2, const uint8_t *o2)
{
	return h1 != h2 ? h1 > h2 : memcmp(o1, o2, 16) > 0;
}

static void
collist(const struct cds_kind *k, char *buf, size_t n, int excluded)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = excluded ? 1 : 0; i < k->nfields && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off,
					excluded ? "%s%s = excluded.%s" : "%s%s",
					i > (excluded ? 1u : 0u) ? ", " : "",
					k->fields[i].name, k->fields[i].name);
}

/* The cached INSERT of all fields, or the SELECT of a row, of kind k. */
static sqlite3_stmt *
rowstmt(cdsync *db, const struct cds_kind *k, int insert)
{
	sqlite3_stmt **slot = insert ? &db->mst->ins[k->kind]
				     : &db->mst->get[k->kind];
	char cols[1024], sql[2048];
	size_t i, off;

	if (*slot != NULL)
		return ms(db, slot, NULL);
	collist(k, cols, sizeof cols, 0);
	if (insert) {
		off = (size_t)snprintf(sql, sizeof sql,
				       "INSERT INTO %s (%s) VALUES (?1",
				       k->name, cols);
		for (i = 1; i < k->nfields; i++)
			off += (size_t)snprintf(sql + off, sizeof sql - off,
						", ?%zu", i + 1);
		snprintf(sql + off, sizeof sql - off, ")");
	} else {
		snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1",
			 cols, k->name);
	}
	return ms(db, slot, sql);
}

/* The cached UPDATE of the columns in mask (bit i = field i). */
static sqlite3_stmt *
updstmt(cdsync *db, const struct cds_kind *k, uint64_t mask)
{
	struct cds_mstmts *m = db->mst;
	char sql[2048];
	size_t i, j, off;
	int p = 2;

	for (j = 0; j < NUPD; j++)
		if (m->upd[j].st != NULL && m->upd[j].kind == (int)k->kind &&
		    m->upd[j].mask == mask)
			return ms(db, &m->upd[j].st, NULL);
	j = m->nextupd++ % NUPD;
	sqlite3_finalize(m->upd[j].st);
	m->upd[j].st = NULL;
	off = (size_t)snprintf(sql, sizeof sql, "UPDATE %s SET ", k->name);
	for (i = 1; i < k->nfields; i++) {
		if (!(mask & ((uint64_t)1 << i)))
			continue;
		off += (size_t)snprintf(sql + off, sizeof sql - off,
					"%s%s = ?%d", p > 2 ? ", " : "",
					k->fields[i].name, p);
		p++;
	}
	snprintf(sql + off, sizeof sql - off, " WHERE id = ?1");
	m->upd[j].kind = (int)k->kind;
	m->upd[j].mask = mask;
	return ms(db, &m->upd[j].st, sql);
}

static int
record_invalid(cdsync *db, const struct cds_kind *k, const uint8_t row[16],
	       const char *reason)
{
	sqlite3_stmt *st;

	if ((st = ms(db, &db->mst->invalid,
		     "INSERT OR REPLACE INTO sync_invalid (tbl, rid, reason) "
		     "VALUES (?1, ?2, ?3)")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_int(st, 1, (int)k->kind);
	sqlite3_bind_blob(st, 2, row, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		return cds_sqlerr(db, _("change log"));
	return CDSYNC_OK;
}

static int
remove_row(cdsync *db, const struct cds_kind *k, const uint8_t row[16])
{
	char sql[128];
	sqlite3_stmt *st;

	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = ?1", k->name);
	if ((st = ms(db, &db->mst->del[k->kind], sql)) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_blob(st, 1, row, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return cds_sqlerr(db, k->name);
	return CDSYNC_OK;
}

static int
clear_invalid(cdsync *db, const struct cds_kind *k, const uint8_t row[16])
{
	sqlite3_stmt *st;

	if ((st = ms(db, &db->mst->valid, "DELETE FROM sync_invalid WHERE "
					  "tbl = ?1 AND rid = ?2")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_int(st, 1, (int)k->kind);
	sqlite3_bind_blob(st, 2, row, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return cds_sqlerr(db, _("change log"));
	return CDSYNC_OK;
}

/* Binds a cell's value (NULL when no change wrote it).  The value was
 * checked against its field on the way in, so its type is the column's. */
static void
bind_cell(sqlite3_stmt *st, int param, const struct cell *c)
{
	if (!c->set || c->v.type == CDS_V_NULL)
		sqlite3_bind_null(st, param);
	else if (c->v.type == CDS_V_INT)
		sqlite3_bind_int64(st, param, c->v.i);
	else if (c->v.type == CDS_V_TEXT)
		sqlite3_bind_text(st, param, (const char *)c->v.p, (int)c->v.n,
				  SQLITE_STATIC);
	else
		sqlite3_bind_blob(st, param, c->v.p, (int)c->v.n,
				  SQLITE_STATIC);
}

/* Does column col of the current result row hold the cell's value? */
static int
same_cell(sqlite3_stmt *st, int col, const struct cell *c)
{
	int t = sqlite3_column_type(st, col);
	const void *p;
	size_t n;

	if (!c->set || c->v.type == CDS_V_NULL)
		return t == SQLITE_NULL;
	if (c->v.type == CDS_V_INT)
		return t == SQLITE_INTEGER &&
		       sqlite3_column_int64(st, col) == c->v.i;
	if (t != (c->v.type == CDS_V_TEXT ? SQLITE_TEXT : SQLITE_BLOB))
		return 0;
	p = c->v.type == CDS_V_TEXT ? (const void *)sqlite3_column_text(st, col)
				    : sqlite3_column_blob(st, col);
	n = (size_t)sqlite3_column_bytes(st, col);
	return n == c->v.n && (n == 0 || memcmp(p, c->v.p, n) == 0);
}

/* Writes the fold of cells to the table (or removes the row): an INSERT
 * of a new row, an UPDATE of the columns that changed, nothing when
 * nothing did.  One statement, so a rule it breaks undoes just it (SQLite
 * rolls the statement back) and the row is hidden and listed. */
static int
show(cdsync *db, const struct cds_kind *k, const uint8_t row[16],
     struct cell *cell, int exists, int absent)
{
	struct cds_mstmts *m = db->mst;
	sqlite3_stmt *st;
	char reason[CDS_MSGLEN];
	uint64_t mask = 0;
	size_t i;
	int rc, step, p;

	for (i = 1; exists && i < k->nfields; i++)
		if (k->fields[i].required &&
		    (!cell[i].set || cell[i].v.type == CDS_V_NULL))
			exists = 0;	/* not all here yet */
	if (!exists) {
		if ((rc = remove_row(db, k, row)) != CDSYNC_OK)
			return rc;
		return m->any_invalid ? clear_invalid(db, k, row) : CDSYNC_OK;
	}
	/* the row as it is now (a row the log had nothing of is not there) */
	if (absent) {
		step = SQLITE_DONE;
		st = NULL;
	} else {
		if ((st = rowstmt(db, k, 0)) == NULL)
			return CDSYNC_ERROR;
		sqlite3_bind_blob(st, 1, row, 16, SQLITE_STATIC);
		step = sqlite3_step(st);
	}
	if (step == SQLITE_ROW) {
		for (i = 1; i < k->nfields; i++)
			if (!same_cell(st, (int)i, &cell[i]))
				mask |= (uint64_t)1 << i;
		sqlite3_reset(st);
		if (mask == 0)
			return CDSYNC_OK;	/* nothing changed */
		if ((st = updstmt(db, k, mask)) == NULL)
			return CDSYNC_ERROR;
		sqlite3_bind_blob(st, 1, row, 16, SQLITE_STATIC);
		for (i = 1, p = 2; i < k->nfields; i++)
			if (mask & ((uint64_t)1 << i))
				bind_cell(st, p++, &cell[i]);
	} else if (step == SQLITE_DONE) {
		if (st != NULL)
			sqlite3_reset(st);
		if ((st = rowstmt(db, k, 1)) == NULL)
			return CDSYNC_ERROR;
		sqlite3_bind_blob(st, 1, row, 16, SQLITE_STATIC);
		for (i = 1; i < k->nfields; i++)
			bind_cell(st, (int)i + 1, &cell[i]);
	} else {
		sqlite3_reset(st);
		return cds_sqlerr(db, k->name);
	}
	if (sqlite3_step(st) == SQLITE_DONE) {
		sqlite3_reset(st);
		return m->any_invalid ? clear_invalid(db, k, row) : CDSYNC_OK;
	}
	/* The fold breaks a rule: keep it in the log, hide it, list it. */
	snprintf(reason, sizeof reason, "%s", sqlite3_errmsg(db->db));
	sqlite3_reset(st);
	if ((rc = remove_row(db, k, row)) != CDSYNC_OK)
		return rc;
	m->any_invalid = 1;
	return record_invalid(db, k, row, reason);
}

/* Folds every change of one row and shows the result. */
static int
fold(cdsync *db, cdsync_kind kind, const uint8_t row[16])
{
	const struct cds_kind *k = cds_kind(kind);
	struct cell cell[CDS_COLSET_MAX_COLS];
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	uint8_t **copies = NULL, **grown, sorigin[16], dorigin[16];
	uint64_t shlc = 0, dhlc = 0, hlc;
	size_t ncopies = 0, cap = 0, n, i;
	int hasset = 0, hasdel = 0, rc = CDSYNC_OK, step, len;
	const uint8_t *origin, *blob;
	char e[128];
	sqlite3_stmt *st;

	memset(cell, 0, sizeof cell);
	if ((st = ms(db, &db->mst->rows,
		     "SELECT c.op, c.hlc, n.node_id, c.vals FROM sync_change c "
		     "JOIN sync_node n ON n.idx = c.node WHERE c.tbl = ?1 AND "
		     "c.rid = ?2")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_int(st, 1, (int)kind);
	sqlite3_bind_blob(st, 2, row, 16, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		hlc = (uint64_t)sqlite3_column_int64(st, 1);
		origin = sqlite3_column_blob(st, 2);
		if (origin == NULL || sqlite3_column_bytes(st, 2) != 16)
			continue;
		if (sqlite3_column_int(st, 0) == CDS_OP_DELETE) {
			if (!hasdel || later(hlc, origin, dhlc, dorigin)) {
				dhlc = hlc;
				memcpy(dorigin, origin, 16);
				hasdel = 1;
			}
			continue;
		}
		if (!hasset || later(hlc, origin, shlc, sorigin)) {
			shlc = hlc;
			memcpy(sorigin, origin, 16);
			hasset = 1;
		}
		/* Values must outlive the step: keep a copy of the blob. */
		len = sqlite3_column_bytes(st, 3);
		blob = sqlite3_column_blob(st, 3);
		if (ncopies == cap) {
			cap = cap ? 2 * cap : 8;
			grown = cds_realloc(copies, cap * sizeof *copies);
			if (grown == NULL) {
				rc = cds_err(db, CDSYNC_ENOMEM, "%s",
					     _("out of memory"));
				break;
			}
			copies = grown;
		}
		if ((copies[ncopies] = cds_malloc((size_t)len + 1)) == NULL) {
			rc = cds_err(db, CDSYNC_ENOMEM, "%s",
				     _("out of memory"));
			break;
		}
		if (len > 0)
			memcpy(copies[ncopies], blob, (size_t)len);
		if (cds_colset_get(copies[ncopies++], (size_t)len, cols, vals,
				   &n, e, sizeof e) != 0) {
			rc = cds_err(db, CDSYNC_ECORRUPT, _("change log: %s"),
				     e);
			break;
		}
		for (i = 0; i < n; i++) {
			struct cell *c = &cell[cols[i]];

			if (cols[i] >= k->nfields)
				continue;	/* checked on the way in */
			if (!c->set || later(hlc, origin, c->hlc, c->origin)) {
				c->set = 1;
				c->hlc = hlc;
				memcpy(c->origin, origin, 16);
				c->v = vals[i];
			}
		}
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(db, _("change log"));
	sqlite3_reset(st);
	if (rc == CDSYNC_OK)
		rc = show(db, k, row, cell,
			  hasset && (!hasdel ||
				     later(shlc, sorigin, dhlc, dorigin)), 0);
	for (i = 0; i < ncopies; i++)
		cds_free(copies[i]);
	cds_free(copies);
	return rc;
}

/* A new row that one set change makes: its fold is that change. */
static int
fold_fresh(cdsync *db, const struct cds_change *c)
{
	const struct cds_kind *k = cds_kind((cdsync_kind)c->kind);
	struct cell cell[CDS_COLSET_MAX_COLS];
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	char e[128];
	size_t n, i;

	memset(cell, 0, sizeof cell);
	if (cds_colset_get(c->cols, c->ncols, cols, vals, &n, e, sizeof e))
		return cds_err(db, CDSYNC_EBADINPUT, "%s", e);
	for (i = 0; i < n; i++) {
		cell[cols[i]].set = 1;
		cell[cols[i]].hlc = c->hlc;
		memcpy(cell[cols[i]].origin, c->origin, 16);
		cell[cols[i]].v = vals[i];
	}
	return show(db, k, c->row, cell, 1, 1);
}

/* ==== Merging ========================================================= */

static int
future_bound(cdsync *db, uint64_t *ms_out)
{
	sqlite3_stmt *st;

	*ms_out = CDS_FUTURE_BOUND_MS;
	st = cds_prepare(db, "SELECT value FROM sync_state WHERE key = "
			     "'future_bound_ms'");
	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) > 0)
		*ms_out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

struct rowref {
	uint8_t kind;
	uint8_t row[16];
	const struct cds_change *c;	/* the change that touched it */
	int fresh;			/* the log had nothing of it */
};

static int
rowcmp(const void *a, const void *b)
{
	const struct rowref *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return memcmp(x->row, y->row, 16);
}

int
cds_merge(cdsync *db, const struct cds_change *ch, size_t n, int64_t via,
	  struct cds_merge_stats *stats)
{
	struct rowref *rows = NULL;
	sqlite3_stmt *st;
	uint64_t bound, wall;
	size_t i, nrows = 0;
	int64_t seq;
	int rc, added, fresh;
	size_t j;

	cds_ok(db);
	if (mstmts(db) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	for (i = 0; i < n; i++)
		if ((rc = check(db, &ch[i], i)) != CDSYNC_OK)
			return rc;
	if ((rc = future_bound(db, &bound)) != CDSYNC_OK)
		return rc;
	st = cds_prepare(db, "SELECT EXISTS (SELECT 1 FROM sync_invalid)");
	if (st == NULL)
		return cds_sqlcode(db);
	db->mst->any_invalid = sqlite3_step(st) != SQLITE_ROW ||
			       sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	if (n > 0 && (rows = cds_calloc(n, sizeof *rows)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	wall = cds_wall_ms();
	for (i = 0; i < n; i++) {
		if ((rc = append(db, &ch[i], via, &added, &fresh, &seq)) !=
		    CDSYNC_OK)
			goto out;
		if (!added) {
			stats->duplicates++;
			continue;
		}
		stats->applied++;
		rows[nrows].kind = ch[i].kind;
		memcpy(rows[nrows].row, ch[i].row, 16);
		rows[nrows].c = &ch[i];
		rows[nrows++].fresh = fresh;
		if (cds_hlc_recv(&db->clock, ch[i].hlc, wall, bound)) {
			stats->future++;
			st = ms(db, &db->mst->future,
				"INSERT OR IGNORE INTO sync_future (seq, "
				"ahead_ms) VALUES (?1, ?2)");
			if (st == NULL) {
				rc = CDSYNC_ERROR;
				goto out;
			}
			sqlite3_bind_int64(st, 1, seq);
			sqlite3_bind_int64(st, 2,
					   (int64_t)(CDS_HLC_MS(ch[i].hlc) -
						     wall));
			if (sqlite3_step(st) != SQLITE_DONE) {
				rc = cds_sqlerr(db, _("change log"));
				goto out;
			}
		}
	}
	/* Each touched row once, in a fixed order. */
	if (nrows > 0)
		qsort(rows, nrows, sizeof *rows, rowcmp);
	for (i = 0; i < nrows; i = j) {
		/* rows[i..j) are the changes of one row */
		for (j = i + 1; j < nrows && rowcmp(&rows[j], &rows[i]) == 0;
		     j++)
			;
		if (j == i + 1 && rows[i].fresh && rows[i].c->op == CDS_OP_SET)
			rc = fold_fresh(db, rows[i].c);
		else
			rc = fold(db, (cdsync_kind)rows[i].kind, rows[i].row);
		if (rc != CDSYNC_OK)
			goto out;
	}
	/* The clock survives a restart even if no local write follows. */
	st = cds_prepare(db, "INSERT OR REPLACE INTO sync_state (key, value) "
			     "VALUES ('hlc', ?1)");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	sqlite3_bind_int64(st, 1, (int64_t)db->clock.last);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, "sync_state");
	sqlite3_finalize(st);
out:
	cds_free(rows);
	return rc;
}
