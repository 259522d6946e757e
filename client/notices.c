/* notices.c -- what merging noticed: lost concurrent edits, rows hidden
 * for breaking a rule, changes stamped too far ahead (cdsync.h "What
 * merging noticed").
 *
 * Lost edits are found from the log alone, when the list is asked for:
 * for each row that more than one node wrote, each column's winner is
 * the set change with the greatest (HLC, origin); another set change of
 * that column lost concurrently when it came from another node, holds
 * another value, and neither writer had seen the other (each one's base,
 * the greatest HLC of the row it knew, is below the other's HLC).  An
 * edit made after seeing the other value is a correction, not a
 * conflict, and is not listed.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "i18n.h"
#include "kinds.h"
#include "rec.h"
#include "record.h"
#include "store.h"

struct item {
	cdsync_notice n;	/* strings point into texts below */
	char *t1, *t2;		/* owned strings */
};

struct cdsync_notices {
	struct item *it;
	size_t n, cap, next;
};

CDSYNC_API void
cdsync_notices_close(cdsync_notices *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++) {
		cds_free(x->it[i].t1);
		cds_free(x->it[i].t2);
	}
	cds_free(x->it);
	cds_free(x);
}

static struct item *
add(cdsync_notices *x)
{
	struct item *p;

	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		if ((p = cds_realloc(x->it, x->cap * sizeof *p)) == NULL)
			return NULL;
		x->it = p;
	}
	p = &x->it[x->n++];
	memset(p, 0, sizeof *p);
	return p;
}

/* One logged set change of a row, decoded. */
struct ent {
	uint64_t hlc, base;
	uint8_t origin[16];
	uint8_t *blob;		/* owned copy of the column set */
	size_t ncols;
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
};

static int
later(const struct ent *a, const struct ent *b)
{
	return a->hlc != b->hlc ? a->hlc > b->hlc
				: memcmp(a->origin, b->origin, 16) > 0;
}

static int
sameval(const cds_val *a, const cds_val *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == CDS_V_INT)
		return a->i == b->i;
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* Canonical text of a value of field col, or NULL for NULL. */
static char *
text(cdsync_rec *r, size_t col, const cds_val *v, int *rc)
{
	char *t;

	*rc = cds_rec_set_val(r, col, v);
	if (*rc != CDSYNC_OK || r->s[col].null)
		return NULL;
	if ((t = cds_strdup(r->s[col].text)) == NULL)
		*rc = CDSYNC_ENOMEM;
	return t;
}

/* Lost edits of one row. */
static int
row_lost(cdsync_notices *x, cdsync_kind kind, const uint8_t row[16],
	 sqlite3_stmt *st)
{
	const struct cds_kind *k = cds_kind(kind);
	struct ent *e = NULL, *g;
	cdsync_rec *r = NULL;
	size_t n = 0, cap = 0, i, j, c, w, l;
	int rc = CDSYNC_OK, step, len;
	char err[128];

	sqlite3_reset(st);
	sqlite3_bind_int(st, 1, (int)kind);
	sqlite3_bind_blob(st, 2, row, 16, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 2) != 16)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			if ((g = cds_realloc(e, cap * sizeof *e)) == NULL) {
				rc = CDSYNC_ENOMEM;
				break;
			}
			e = g;
		}
		memset(&e[n], 0, sizeof e[n]);
		e[n].hlc = (uint64_t)sqlite3_column_int64(st, 0);
		e[n].base = (uint64_t)sqlite3_column_int64(st, 1);
		memcpy(e[n].origin, sqlite3_column_blob(st, 2), 16);
		len = sqlite3_column_bytes(st, 3);
		if ((e[n].blob = cds_malloc((size_t)len + 1)) == NULL) {
			rc = CDSYNC_ENOMEM;
			break;
		}
		if (len > 0)
			memcpy(e[n].blob, sqlite3_column_blob(st, 3),
			       (size_t)len);
		n++;
		if (cds_colset_get(e[n - 1].blob, (size_t)len, e[n - 1].cols,
				   e[n - 1].vals, &e[n - 1].ncols, err,
				   sizeof err) != 0) {
			rc = CDSYNC_ECORRUPT;
			break;
		}
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = CDSYNC_ERROR;
	if (rc == CDSYNC_OK && n > 1)
		rc = cdsync_rec_new(kind, &r);
	for (c = 1; rc == CDSYNC_OK && n > 1 && c < k->nfields; c++) {
		size_t wi = SIZE_MAX, wv = 0;

		/* the winner of column c */
		for (i = 0; i < n; i++)
			for (j = 0; j < e[i].ncols; j++)
				if (e[i].cols[j] == c &&
				    (wi == SIZE_MAX || later(&e[i], &e[wi]))) {
					wi = i;
					wv = j;
				}
		if (wi == SIZE_MAX)
			continue;
		w = wi;
		for (i = 0; i < n && rc == CDSYNC_OK; i++) {
			struct item *it;

			if (i == w || memcmp(e[i].origin, e[w].origin, 16) == 0)
				continue;
			for (l = 0; l < e[i].ncols && e[i].cols[l] != c; l++)
				;
			if (l == e[i].ncols ||
			    sameval(&e[i].vals[l], &e[w].vals[wv]) ||
			    e[w].base >= e[i].hlc || e[i].base >= e[w].hlc)
				continue;
			if ((it = add(x)) == NULL) {
				rc = CDSYNC_ENOMEM;
				break;
			}
			it->n.type = CDSYNC_NOTICE_LOST;
			it->n.kind = kind;
			memcpy(it->n.row, row, 16);
			it->n.field = k->fields[c].name;
			it->t1 = text(r, c, &e[w].vals[wv], &rc);
			if (rc == CDSYNC_OK)
				it->t2 = text(r, c, &e[i].vals[l], &rc);
			it->n.kept = it->t1;
			it->n.lost = it->t2;
			memcpy(it->n.kept_origin, e[w].origin, 16);
			memcpy(it->n.lost_origin, e[i].origin, 16);
			it->n.kept_hlc = e[w].hlc;
			it->n.lost_hlc = e[i].hlc;
		}
	}
	for (i = 0; i < n; i++)
		cds_free(e[i].blob);
	cds_free(e);
	cdsync_rec_free(r);
	return rc;
}

CDSYNC_API int
cdsync_notices_open(cdsync *db, cdsync_notices **out)
{
	cdsync_notices *x;
	sqlite3_stmt *rows = NULL, *ents = NULL, *st = NULL;
	struct item *it;
	int rc = CDSYNC_OK;

	cds_ok(db);
	*out = NULL;
	if ((x = cds_calloc(1, sizeof *x)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	rows = cds_prepare(db, "SELECT tbl, rid FROM sync_change GROUP BY "
			       "tbl, rid HAVING count(DISTINCT node) > 1 "
			       "ORDER BY tbl, rid");
	ents = cds_prepare(db, "SELECT c.hlc, c.base, n.node_id, c.vals FROM "
			       "sync_change c JOIN sync_node n ON n.idx = "
			       "c.node WHERE c.tbl = ?1 AND c.rid = ?2 AND "
			       "c.op = 1 ORDER BY c.seq");
	if (rows == NULL || ents == NULL) {
		rc = CDSYNC_ERROR;
		goto out;
	}
	while (rc == CDSYNC_OK && sqlite3_step(rows) == SQLITE_ROW) {
		uint8_t row[16];

		if (sqlite3_column_bytes(rows, 1) != 16)
			continue;
		memcpy(row, sqlite3_column_blob(rows, 1), 16);
		rc = row_lost(x, (cdsync_kind)sqlite3_column_int(rows, 0), row,
			      ents);
	}
	if (rc != CDSYNC_OK)
		goto out;
	st = cds_prepare(db, "SELECT tbl, rid, reason FROM sync_invalid "
			     "ORDER BY tbl, rid");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	while (rc == CDSYNC_OK && sqlite3_step(st) == SQLITE_ROW) {
		if ((it = add(x)) == NULL ||
		    (it->t1 = cds_strdup((const char *)sqlite3_column_text(
			     st, 2) ? (const char *)sqlite3_column_text(st, 2)
				    : "")) == NULL) {
			rc = CDSYNC_ENOMEM;
			break;
		}
		it->n.type = CDSYNC_NOTICE_INVALID;
		it->n.kind = (cdsync_kind)sqlite3_column_int(st, 0);
		if (sqlite3_column_bytes(st, 1) == 16)
			memcpy(it->n.row, sqlite3_column_blob(st, 1), 16);
		it->n.reason = it->t1;
	}
	sqlite3_finalize(st);
	st = cds_prepare(db, "SELECT c.tbl, c.rid, c.hlc, f.ahead_ms, "
			     "n.node_id FROM sync_future f JOIN sync_change c "
			     "ON c.seq = f.seq JOIN sync_node n ON n.idx = "
			     "c.node ORDER BY f.seq");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	while (rc == CDSYNC_OK && sqlite3_step(st) == SQLITE_ROW) {
		if ((it = add(x)) == NULL) {
			rc = CDSYNC_ENOMEM;
			break;
		}
		it->n.type = CDSYNC_NOTICE_FUTURE;
		it->n.kind = (cdsync_kind)sqlite3_column_int(st, 0);
		if (sqlite3_column_bytes(st, 1) == 16)
			memcpy(it->n.row, sqlite3_column_blob(st, 1), 16);
		it->n.hlc = (uint64_t)sqlite3_column_int64(st, 2);
		it->n.ahead_ms = sqlite3_column_int64(st, 3);
		if (sqlite3_column_bytes(st, 4) == 16)
			memcpy(it->n.origin, sqlite3_column_blob(st, 4), 16);
	}
out:
	sqlite3_finalize(rows);
	sqlite3_finalize(ents);
	sqlite3_finalize(st);
	if (rc != CDSYNC_OK) {
		cdsync_notices_close(x);
		if (db->msg[0] == '\0')
			cds_err(db, rc, "%s", cdsync_strerror(rc));
		return rc;
	}
	*out = x;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_notices_next(cdsync_notices *x, const cdsync_notice **out)
{
	*out = NULL;
	if (x->next >= x->n)
		return CDSYNC_DONE;
	*out = &x->it[x->next++].n;
	return CDSYNC_OK;
}
