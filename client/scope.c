/* scope.c -- see scope.h. */
#include "scope.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "id.h"
#include "kinds.h"

/* Statements prepared once per bundle. */
struct sc {
	cdsync *db;
	const struct cds_change *ch;
	size_t n;
	sqlite3_stmt *col[CDSYNC_KIND_MAX + 1];	/* owner column of a row */
	sqlite3_stmt *log;			/* its set changes */
};

/* The column of kind k that says whose a row is: org_id, or the owning
 * reference; -1 for the org unit itself. */
static int
owner_col(const struct cds_kind *k)
{
	return k->org >= 0 ? k->org : k->parent;
}

/* The 16-byte value of column c in a set change's column set; 1 if
 * present (and a 16-byte blob), 0 if the change does not write it, -1 if
 * it writes something else there (NULL, or not an id). */
static int
colval(const struct cds_change *c, int col, uint8_t out[16])
{
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	char e[128];
	size_t n, i;

	if (c->op != CDS_OP_SET ||
	    cds_colset_get(c->cols, c->ncols, cols, vals, &n, e, sizeof e))
		return 0;
	for (i = 0; i < n; i++)
		if ((int)cols[i] == col) {
			if (vals[i].type != CDS_V_BLOB || vals[i].n != 16)
				return -1;
			memcpy(out, vals[i].p, 16);
			return 1;
		}
	return 0;
}

/* The owner reference of (kind, row) as the store has it: the table's
 * row, else the newest change in the log that wrote it.  1 if found. */
static int
stored_owner(struct sc *s, const struct cds_kind *k, const uint8_t row[16],
	     uint8_t out[16])
{
	struct cds_change c;
	char sql[160];
	sqlite3_stmt *st;
	int col = owner_col(k), found = 0;

	if (s->col[k->kind] == NULL) {
		snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1",
			 k->fields[col].name, k->name);
		if ((s->col[k->kind] = cds_prepare(s->db, sql)) == NULL)
			return -1;
	}
	st = s->col[k->kind];
	sqlite3_reset(st);
	sqlite3_bind_blob(st, 1, row, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 16) {
		memcpy(out, sqlite3_column_blob(st, 0), 16);
		found = 1;
	}
	sqlite3_reset(st);
	if (found)
		return 1;
	if (s->log == NULL &&
	    (s->log = cds_prepare(s->db, "SELECT vals FROM sync_change WHERE "
					 "tbl = ?1 AND rid = ?2 AND op = 1 "
					 "ORDER BY hlc DESC")) == NULL)
		return -1;
	st = s->log;
	sqlite3_reset(st);
	sqlite3_bind_int(st, 1, (int)k->kind);
	sqlite3_bind_blob(st, 2, row, 16, SQLITE_STATIC);
	memset(&c, 0, sizeof c);
	c.op = CDS_OP_SET;
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		c.cols = sqlite3_column_blob(st, 0);
		c.ncols = (size_t)sqlite3_column_bytes(st, 0);
		found = colval(&c, col, out) == 1;
	}
	sqlite3_reset(st);
	return found;
}

/*
 * The union of (kind, row), as change `at` of the bundle leaves it (at =
 * n: as any change of the bundle writes it): from change `at` itself,
 * else the last earlier change of the bundle that writes the owner
 * column, else the store.  1 if found, 0 if not, -1 on error or when a
 * change writes something that is not an id there.
 */
static int
union_of(struct sc *s, cdsync_kind kind, const uint8_t row[16], size_t at,
	 int depth, uint8_t out[16])
{
	const struct cds_kind *k = cds_kind(kind);
	uint8_t ref[16];
	size_t j;
	int col, r = 0;

	if (k == NULL || depth > 3)
		return 0;
	if (kind == CDSYNC_KIND_ORG) {
		memcpy(out, row, 16);
		return 1;
	}
	col = owner_col(k);
	if (col < 0)
		return 0;
	for (j = at < s->n ? at + 1 : s->n; j-- > 0 && r == 0;)
		if (s->ch[j].kind == kind &&
		    memcmp(s->ch[j].row, row, 16) == 0)
			r = colval(&s->ch[j], col, ref);
	if (r == 0)
		r = stored_owner(s, k, row, ref);
	if (r != 1)
		return r < 0 ? -1 : 0;
	if (k->org >= 0) {
		memcpy(out, ref, 16);
		return 1;
	}
	/* owned by another row: its union */
	return union_of(s, k->fields[col].ref, ref, s->n, depth + 1, out);
}

/* An org unit's code, or the end of its id. */
static void
org_name(cdsync *db, const uint8_t id[16], char *out, size_t n)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT code FROM org_unit WHERE "
					   "id = ?1");
	char hex[33];

	cds_id_hex(id, hex);
	snprintf(out, n, "…%s", hex + 24);
	if (st == NULL)
		return;
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

int
cds_scope_check(cdsync *db, const struct cds_change *ch, size_t n,
		const uint8_t org[16], const char *org_code)
{
	struct sc s;
	uint8_t u[16];
	char hex[33], whose[120];
	size_t i, k;
	int r, rc = CDSYNC_OK;

	memset(&s, 0, sizeof s);
	s.db = db;
	s.ch = ch;
	s.n = n;
	for (i = 0; i < n && rc == CDSYNC_OK; i++) {
		const struct cds_kind *kd = cds_kind((cdsync_kind)ch[i].kind);

		if (kd == NULL)
			continue;	/* refused by the merge's checks */
		r = union_of(&s, (cdsync_kind)ch[i].kind, ch[i].row, i, 0, u);
		if (r == 1 && memcmp(u, org, 16) == 0)
			continue;
		cds_id_hex(ch[i].row, hex);
		if (r == 1) {
			org_name(db, u, whose, sizeof whose);
			rc = cds_err(db, CDSYNC_ESCOPE,
				     _("change %zu (%s …%s) writes a row of "
				       "union %s, but %s may only write its "
				       "own union's rows; nothing of this "
				       "bundle was merged"),
				     i + 1, kd->name, hex + 24, whose,
				     org_code);
		} else {
			rc = cds_err(db, CDSYNC_ESCOPE,
				     _("change %zu (%s …%s) writes a row whose "
				       "union is not known here, so it cannot "
				       "be shown to be %s's own; nothing of "
				       "this bundle was merged"),
				     i + 1, kd->name, hex + 24, org_code);
		}
	}
	for (k = 0; k <= CDSYNC_KIND_MAX; k++)
		sqlite3_finalize(s.col[k]);
	sqlite3_finalize(s.log);
	return rc;
}
