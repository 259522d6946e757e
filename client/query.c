/* query.c -- cursors over records, the queries a user interface needs,
 * and reading the change log back as column-level changes.
 *
 * Contract: a cursor holds one prepared statement and one record it
 * refills on each step; it must be closed before its store.  Periods are
 * parsed by period.c; every query binds its values (no text is ever
 * formatted into SQL except table and column names from kinds.c).
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "i18n.h"
#include "kinds.h"
#include "period.h"
#include "rec.h"
#include "record.h"
#include "store.h"
#include "text.h"

struct cdsync_cursor {
	cdsync *db;			/* its store */
	sqlite3_stmt *st;		/* the query */
	cdsync_rec *rec;		/* the current row */
};

/* Column list of kind k, each prefixed with `alias.`. */
static void
cols(const struct cds_kind *k, const char *alias, char *buf, size_t n)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < k->nfields && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s.%s",
					i ? ", " : "", alias, k->fields[i].name);
}

/* Prepares "SELECT <fields of k> FROM <k> AS t <rest>" as a cursor; the
 * caller binds parameters to (*out)->st. */
static int
cursor(cdsync *db, cdsync_kind kind, const char *rest, cdsync_cursor **out)
{
	const struct cds_kind *k = cds_kind(kind);
	cdsync_cursor *c;
	char c1[1024], sql[3072];
	int rc;

	*out = NULL;
	if (k == NULL) {
		cds_err(db, CDSYNC_EINVAL, "%s", _("unknown record kind"));
		return CDSYNC_EINVAL;
	}
	if ((c = cds_calloc(1, sizeof *c)) == NULL) {
		cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	c->db = db;
	if (cdsync_rec_new(kind, &c->rec) != CDSYNC_OK) {
		cds_free(c);
		cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	cols(k, "t", c1, sizeof c1);
	snprintf(sql, sizeof sql, "SELECT %s FROM %s AS t %s", c1, k->name,
		 rest);
	if (sqlite3_prepare_v2(db->db, sql, -1, &c->st, NULL) != SQLITE_OK) {
		rc = cds_sqlerr(db, k->name);
		cdsync_cursor_close(c);
		return rc != CDSYNC_OK ? rc : CDSYNC_ERROR;
	}
	*out = c;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_cursor_next(cdsync_cursor *c, const cdsync_rec **out)
{
	int rc;

	*out = NULL;
	rc = sqlite3_step(c->st);
	if (rc == SQLITE_DONE)
		return CDSYNC_DONE;
	if (rc != SQLITE_ROW)
		return cds_sqlerr(c->db, _("query"));
	if ((rc = cds_rec_load(c->rec, c->st, 0)) != CDSYNC_OK)
		return cds_err(c->db, rc, "%s", cdsync_strerror(rc));
	c->rec->has_id = 1;
	memcpy(c->rec->id, c->rec->s[0].ref, 16);
	*out = c->rec;
	return CDSYNC_OK;
}

CDSYNC_API void
cdsync_cursor_close(cdsync_cursor *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->st);
	cdsync_rec_free(c->rec);
	cds_free(c);
}

static int
period(cdsync *db, const char *s, struct cds_period *p)
{
	char e[CDS_ERRLEN];

	if (s == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a period is needed, e.g. 2025-2026"));
	if (cds_period_parse(s, p, e, sizeof e) != 0)
		return cds_err(db, CDSYNC_EINVAL, "%s", e);
	return CDSYNC_OK;
}

static int
need_node(cdsync *db)
{
	if (db->has_node)
		return CDSYNC_OK;
	return cds_err(db, CDSYNC_ENOTINIT, "%s",
		       _("this store has no node yet: run 'cdsync init' "
			 "first"));
}

CDSYNC_API int
cdsync_list(cdsync *db, cdsync_kind kind, cdsync_cursor **out)
{
	const struct cds_kind *k = cds_kind(kind);
	char rest[256];

	cds_ok(db);
	*out = NULL;
	if (k == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("unknown record kind"));
	snprintf(rest, sizeof rest, "ORDER BY %s", k->order);
	return cursor(db, kind, rest, out);
}

CDSYNC_API int
cdsync_query_activities(cdsync *db, const char *per, const char *kind,
			cdsync_cursor **out)
{
	const struct cds_field *f;
	struct cds_period p;
	size_t i;
	int rc;

	cds_ok(db);
	*out = NULL;
	if ((rc = need_node(db)) != CDSYNC_OK ||
	    (rc = period(db, per, &p)) != CDSYNC_OK)
		return rc;
	if (kind != NULL) {
		f = &cds_kind(CDSYNC_KIND_ACTIVITY)->fields[cds_field_index(
			cds_kind(CDSYNC_KIND_ACTIVITY), "kind")];
		for (i = 0; f->choices[i] && strcmp(f->choices[i], kind) != 0;
		     i++)
			;
		if (f->choices[i] == NULL)
			return cds_err(db, CDSYNC_EINVAL,
				       _("'%s' is not an activity kind"), kind);
	}
	rc = cursor(db, CDSYNC_KIND_ACTIVITY,
		    "WHERE t.org_id = ?1 AND t.held_on BETWEEN ?2 AND ?3 "
		    "AND (?4 IS NULL OR t.kind = ?4) ORDER BY t.held_on, t.id",
		    out);
	if (rc != CDSYNC_OK)
		return rc;
	sqlite3_bind_blob((*out)->st, 1, db->org_id, 16, SQLITE_TRANSIENT);
	sqlite3_bind_text((*out)->st, 2, p.from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text((*out)->st, 3, p.to, -1, SQLITE_TRANSIENT);
	if (kind)
		sqlite3_bind_text((*out)->st, 4, kind, -1, SQLITE_TRANSIENT);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_query_uncared(cdsync *db, const char *per, cdsync_cursor **out)
{
	struct cds_period p;
	int rc;

	cds_ok(db);
	*out = NULL;
	if ((rc = need_node(db)) != CDSYNC_OK ||
	    (rc = period(db, per, &p)) != CDSYNC_OK)
		return rc;
	rc = cursor(db, CDSYNC_KIND_MEMBER,
		    "WHERE t.org_id = ?1 "
		    "AND (t.joined_on IS NULL OR t.joined_on <= ?3) "
		    "AND (t.left_on IS NULL OR t.left_on >= ?2) "
		    "AND NOT EXISTS (SELECT 1 FROM benefit b JOIN activity a "
		    "ON a.id = b.activity_id WHERE b.member_id = t.id "
		    "AND a.kind = 'care' AND a.held_on BETWEEN ?2 AND ?3) "
		    "ORDER BY t.full_name, t.code, t.id",
		    out);
	if (rc != CDSYNC_OK)
		return rc;
	sqlite3_bind_blob((*out)->st, 1, db->org_id, 16, SQLITE_TRANSIENT);
	sqlite3_bind_text((*out)->st, 2, p.from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text((*out)->st, 3, p.to, -1, SQLITE_TRANSIENT);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_query_open_legal(cdsync *db, cdsync_cursor **out)
{
	int rc;

	cds_ok(db);
	*out = NULL;
	if ((rc = need_node(db)) != CDSYNC_OK)
		return rc;
	rc = cursor(db, CDSYNC_KIND_LEGAL_CASE,
		    "WHERE t.org_id = ?1 AND t.status <> 'resolved' "
		    "ORDER BY t.opened_on, t.id",
		    out);
	if (rc == CDSYNC_OK)
		sqlite3_bind_blob((*out)->st, 1, db->org_id, 16,
				  SQLITE_TRANSIENT);
	return rc;
}

CDSYNC_API int
cdsync_query_legal(cdsync *db, const char *per, cdsync_cursor **out)
{
	struct cds_period p;
	int rc;

	cds_ok(db);
	*out = NULL;
	if ((rc = need_node(db)) != CDSYNC_OK)
		return rc;
	if (per != NULL && (rc = period(db, per, &p)) != CDSYNC_OK)
		return rc;
	rc = cursor(db, CDSYNC_KIND_LEGAL_CASE,
		    "WHERE t.org_id = ?1 AND (?2 IS NULL OR t.opened_on "
		    "BETWEEN ?2 AND ?3) ORDER BY t.opened_on, t.id",
		    out);
	if (rc != CDSYNC_OK)
		return rc;
	sqlite3_bind_blob((*out)->st, 1, db->org_id, 16, SQLITE_TRANSIENT);
	if (per != NULL) {
		sqlite3_bind_text((*out)->st, 2, p.from, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text((*out)->st, 3, p.to, -1, SQLITE_TRANSIENT);
	}
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_query_benefits(cdsync *db, const uint8_t activity[16],
		      cdsync_cursor **out)
{
	int rc;

	cds_ok(db);
	rc = cursor(db, CDSYNC_KIND_BENEFIT,
		    "LEFT JOIN member m ON m.id = t.member_id "
		    "WHERE t.activity_id = ?1 ORDER BY m.full_name, t.id",
		    out);
	if (rc == CDSYNC_OK)
		sqlite3_bind_blob((*out)->st, 1, activity, 16,
				  SQLITE_TRANSIENT);
	return rc;
}

/* ==== The change log, column by column ================================ */

struct cdsync_changes {
	cdsync *db;			/* its store */
	sqlite3_stmt *st;		/* log rows */
	size_t left;			/* changes of the row not given yet */
	int tomb;			/* the row is a delete */
	size_t ncols;			/* columns of the row */
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	uint8_t *blob;			/* copy of the row's column set */
	cdsync_rec *rec[CDSYNC_KIND_MAX + 1]; /* to render values */
	cdsync_change ch;		/* what next() hands out */
};

CDSYNC_API int
cdsync_changes_open(cdsync *db, uint64_t after, cdsync_changes **out)
{
	cdsync_changes *it;

	cds_ok(db);
	*out = NULL;
	if ((it = cds_calloc(1, sizeof *it)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	it->db = db;
	if (sqlite3_prepare_v2(db->db,
			       "SELECT c.seq, c.tbl, c.rid, c.op, c.hlc, "
			       "n.node_id, c.vals FROM sync_change c JOIN "
			       "sync_node n ON n.idx = c.node WHERE c.seq > ?1 "
			       "ORDER BY c.seq",
			       -1, &it->st, NULL) != SQLITE_OK) {
		int rc = cds_sqlerr(db, _("change log"));

		cdsync_changes_close(it);
		return rc;
	}
	sqlite3_bind_int64(it->st, 1, (int64_t)after);
	*out = it;
	return CDSYNC_OK;
}

/* Loads the next log row; CDSYNC_DONE at the end. */
static int
nextrow(cdsync_changes *it)
{
	char e[CDS_ERRLEN];
	const void *p;
	int rc, n;

	rc = sqlite3_step(it->st);
	if (rc == SQLITE_DONE)
		return CDSYNC_DONE;
	if (rc != SQLITE_ROW)
		return cds_sqlerr(it->db, _("change log"));
	memset(&it->ch, 0, sizeof it->ch);
	it->ch.seq = (uint64_t)sqlite3_column_int64(it->st, 0);
	it->ch.kind = (cdsync_kind)sqlite3_column_int(it->st, 1);
	if (cds_kind(it->ch.kind) == NULL ||
	    sqlite3_column_bytes(it->st, 2) != 16 ||
	    sqlite3_column_bytes(it->st, 5) != 16)
		return cds_err(it->db, CDSYNC_ECORRUPT,
			       _("change %llu: damaged log row"),
			       (unsigned long long)it->ch.seq);
	memcpy(it->ch.row, sqlite3_column_blob(it->st, 2), 16);
	it->ch.hlc = (uint64_t)sqlite3_column_int64(it->st, 4);
	memcpy(it->ch.origin, sqlite3_column_blob(it->st, 5), 16);
	it->ncols = 0;
	cds_free(it->blob);
	it->blob = NULL;
	it->tomb = sqlite3_column_int(it->st, 3) == 2;
	if (it->tomb) {
		it->left = 1;	/* one change, no field */
		return CDSYNC_OK;
	}
	n = sqlite3_column_bytes(it->st, 6);
	p = sqlite3_column_blob(it->st, 6);
	if ((it->blob = cds_malloc((size_t)n)) == NULL)
		return cds_err(it->db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (n > 0)
		memcpy(it->blob, p, (size_t)n);
	if (cds_colset_get(it->blob, (size_t)n, it->cols, it->vals, &it->ncols,
			   e, sizeof e) != 0)
		return cds_err(it->db, CDSYNC_ECORRUPT, _("change %llu: %s"),
			       (unsigned long long)it->ch.seq, e);
	it->left = it->ncols;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_changes_next(cdsync_changes *it, const cdsync_change **out)
{
	const struct cds_kind *k;
	cdsync_rec *r;
	uint32_t col;
	int rc;

	*out = NULL;
	while (it->left == 0)
		if ((rc = nextrow(it)) != CDSYNC_OK)
			return rc;
	it->left--;
	if (it->tomb) {
		it->ch.field = NULL;
		it->ch.value = NULL;
		*out = &it->ch;
		return CDSYNC_OK;
	}
	k = cds_kind(it->ch.kind);
	col = it->cols[it->ncols - it->left - 1];
	if (col == 0 || col >= k->nfields)
		return cds_err(it->db, CDSYNC_ECORRUPT,
			       _("change %llu: %s has no column %u"),
			       (unsigned long long)it->ch.seq, k->name, col);
	if (it->rec[k->kind] == NULL &&
	    (rc = cdsync_rec_new(k->kind, &it->rec[k->kind])) != CDSYNC_OK)
		return cds_err(it->db, rc, "%s", _("out of memory"));
	r = it->rec[k->kind];
	if ((rc = cds_rec_set_val(r, col, &it->vals[it->ncols - it->left - 1]))
	    != CDSYNC_OK)
		return cds_err(it->db, rc, _("change %llu: column %s: %s"),
			       (unsigned long long)it->ch.seq,
			       k->fields[col].name, cdsync_strerror(rc));
	it->ch.field = k->fields[col].name;
	it->ch.value = r->s[col].null ? NULL : r->s[col].text;
	*out = &it->ch;
	return CDSYNC_OK;
}

CDSYNC_API void
cdsync_changes_close(cdsync_changes *it)
{
	int i;

	if (it == NULL)
		return;
	sqlite3_finalize(it->st);
	for (i = 0; i <= CDSYNC_KIND_MAX; i++)
		cdsync_rec_free(it->rec[i]);
	cds_free(it->blob);
	cds_free(it);
}
