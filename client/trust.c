/* trust.c -- enrolment and the signed catalog (cdsync.h "Trust"; SPEC.md
 * "Trust").
 *
 * The store keeps the newest edition of every sheet it has verified
 * (trust_sheet) and the national root key it trusts (meta 'root_pk').
 * Whatever changes them -- a node's first sheet at the national root, an
 * approval or a revocation by a parent, a catalog taken in -- loads all
 * sheets, checks the whole chain again from the root key, and rewrites
 * sync_peer from it, in one transaction: a catalog is used all or not at
 * all.
 */
#include "trust.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "catalog.h"
#include "files.h"
#include "i18n.h"
#include "id.h"
#include "keys.h"

/* The sheets of a catalog, parsed, with their bytes. */
struct cat {
	size_t n;
	struct cds_sheet *s;
	uint8_t **bytes;
	size_t *len;
	size_t *order;		/* chain order, once verified */
};

static void
cat_free(struct cat *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		cds_sheet_free(&c->s[i]);
		cds_free(c->bytes[i]);
	}
	cds_free(c->s);
	cds_free(c->bytes);
	cds_free(c->len);
	cds_free(c->order);
	memset(c, 0, sizeof *c);
}

/* Adds a copy of a sheet's bytes, parsed; `where` names it in messages. */
static int
cat_add(cdsync *db, struct cat *c, const uint8_t *p, size_t n,
	const char *where)
{
	char err[512];
	void *g;
	int rc;

	if ((g = cds_realloc(c->s, (c->n + 1) * sizeof *c->s)) == NULL)
		goto oom;
	c->s = g;
	if ((g = cds_realloc(c->bytes, (c->n + 1) * sizeof *c->bytes)) == NULL)
		goto oom;
	c->bytes = g;
	if ((g = cds_realloc(c->len, (c->n + 1) * sizeof *c->len)) == NULL)
		goto oom;
	c->len = g;
	if ((g = cds_realloc(c->order, (c->n + 1) * sizeof *c->order)) ==
	    NULL)
		goto oom;
	c->order = g;
	rc = cds_sheet_read(p, n, &c->s[c->n], err, sizeof err);
	if (rc == -2)
		goto oom;
	if (rc != 0)
		return cds_err(db, CDSYNC_EBADSIG, "%s: %s", where, err);
	if ((c->bytes[c->n] = cds_malloc(n ? n : 1)) == NULL) {
		cds_sheet_free(&c->s[c->n]);
		goto oom;
	}
	memcpy(c->bytes[c->n], p, n);
	c->len[c->n++] = n;
	return CDSYNC_OK;
oom:
	return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
}

/* Every sheet the store has. */
static int
load_stored(cdsync *db, struct cat *c)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT bytes FROM trust_sheet");
	int rc = CDSYNC_OK, step = SQLITE_DONE;

	memset(c, 0, sizeof *c);
	if (st == NULL)
		return cds_sqlcode(db);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = cat_add(db, c, sqlite3_column_blob(st, 0),
			     (size_t)sqlite3_column_bytes(st, 0),
			     _("a stored catalog sheet"));
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(db, _("catalog"));
	sqlite3_finalize(st);
	if (rc != CDSYNC_OK)
		cat_free(c);
	return rc;
}

/* The root key this node trusts; *have 0 if none yet. */
static int
root_key(cdsync *db, uint8_t pk[32], int *have)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT value FROM meta WHERE key = "
					   "'root_pk'");

	*have = 0;
	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(pk, sqlite3_column_blob(st, 0), 32);
		*have = 1;
	}
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

static int
verify_chain(cdsync *db, struct cat *c, const uint8_t root[32])
{
	char err[512];

	if (c->n == 0)
		return cds_err(db, CDSYNC_ENOTFOUND, "%s",
			       _("this node has no catalog yet"));
	if (cds_trust_chain(c->s, c->n, root, c->order, err, sizeof err) != 0)
		return cds_err(db,
			       strstr(err, "subtree") != NULL ||
			       strstr(err, "did not certify") != NULL
			       ? CDSYNC_ESCOPE : CDSYNC_EUNKNOWNKEY,
			       _("catalog: %s"), err);
	return CDSYNC_OK;
}

/* The entry (sheet k, entry j) certifying a node with this key, else
 * with any key (the last one); 0 if found. */
static int
find_node(const struct cat *c, const uint8_t node[16], const uint8_t *pk,
	  size_t *k_out, size_t *j_out)
{
	size_t k, j;
	int found = 0;

	for (k = 0; k < c->n; k++) {
		const struct cds_sheet *s = &c->s[c->order[k]];

		for (j = 0; j < s->count; j++)
			if (s->e[j].type == CDS_ENTRY_NODE &&
			    memcmp(s->e[j].node, node, 16) == 0 &&
			    (pk == NULL || memcmp(s->e[j].sign_pk, pk, 32) == 0)) {
				*k_out = c->order[k];
				*j_out = j;
				found = 1;
			}
	}
	return found ? 0 : -1;
}

/* Does sheet s hold a node entry for (node, pk)? */
static int
certifies_in(const struct cds_sheet *s, const uint8_t node[16],
	     const uint8_t pk[32])
{
	size_t j;

	for (j = 0; j < s->count; j++)
		if (s->e[j].type == CDS_ENTRY_NODE &&
		    memcmp(s->e[j].node, node, 16) == 0 &&
		    memcmp(s->e[j].sign_pk, pk, 32) == 0)
			return 1;
	return 0;
}

/* When (node, key) was revoked (0: it was not). */
static uint64_t
revoked(const struct cat *c, const uint8_t node[16], const uint8_t pk[32])
{
	size_t k, j;

	for (k = 0; k < c->n; k++)
		for (j = 0; j < c->s[k].count; j++) {
			const struct cds_entry *e = &c->s[k].e[j];

			if (e->type == CDS_ENTRY_REVOKE &&
			    memcmp(e->node, node, 16) == 0 &&
			    memcmp(e->sign_pk, pk, 32) == 0)
				return e->from_ms ? e->from_ms : 1;
		}
	return 0;
}

/* The revocations of a catalog, in the order revoked() meets them:
 * *out (cds_malloc'd, NULL when there are none) and their number; -1 out
 * of memory. */
static long
revocations(const struct cat *c, const struct cds_entry ***out)
{
	size_t k, j, n = 0;

	*out = NULL;
	for (k = 0; k < c->n; k++)
		for (j = 0; j < c->s[k].count; j++)
			n += c->s[k].e[j].type == CDS_ENTRY_REVOKE;
	if (n == 0)
		return 0;
	if ((*out = cds_calloc(n, sizeof(void *))) == NULL)
		return -1;
	n = 0;
	for (k = 0; k < c->n; k++)
		for (j = 0; j < c->s[k].count; j++)
			if (c->s[k].e[j].type == CDS_ENTRY_REVOKE)
				(*out)[n++] = &c->s[k].e[j];
	return (long)n;
}

/* As revoked(), among the revocations rev[0..n). */
static uint64_t
revoked_in(const struct cds_entry *const *rev, size_t n,
	   const uint8_t node[16], const uint8_t pk[32])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(rev[i]->node, node, 16) == 0 &&
		    memcmp(rev[i]->sign_pk, pk, 32) == 0)
			return rev[i]->from_ms ? rev[i]->from_ms : 1;
	return 0;
}

/* The live node entry of an org code (the last one not revoked), or
 * NULL. */
static const struct cds_entry *
by_code(const struct cat *c, const char *code)
{
	const struct cds_entry *best = NULL;
	size_t k, j;

	for (k = 0; k < c->n; k++) {
		const struct cds_sheet *s = &c->s[c->order[k]];

		for (j = 0; j < s->count; j++)
			if (s->e[j].type == CDS_ENTRY_NODE &&
			    strcmp(s->e[j].org_code, code) == 0 &&
			    !revoked(c, s->e[j].node, s->e[j].sign_pk))
				best = &s->e[j];
	}
	return best;
}

/* Every hand-over of the catalog: the old key may sign the bundles
 * before its number, the new key those from it on. */
static int
apply_handovers(cdsync *db, const struct cat *c)
{
	sqlite3_stmt *old = NULL, *cur = NULL;
	size_t k, j;
	int rc = CDSYNC_OK;

	old = cds_prepare(db, "INSERT OR REPLACE INTO sync_key_old (node_id, "
			      "sign_pk, upto_seq) VALUES (?1, ?2, ?3)");
	cur = cds_prepare(db, "UPDATE sync_peer SET key_from_seq = ?3 WHERE "
			      "node_id = ?1 AND sign_pk = ?2");
	if (old == NULL || cur == NULL) {
		rc = CDSYNC_ERROR;
		goto out;
	}
	for (k = 0; k < c->n && rc == CDSYNC_OK; k++)
		for (j = 0; j < c->s[k].count && rc == CDSYNC_OK; j++) {
			const struct cds_entry *e = &c->s[k].e[j];

			if (e->type != CDS_ENTRY_HANDOVER)
				continue;
			sqlite3_reset(old);
			sqlite3_bind_blob(old, 1, e->node, 16, SQLITE_STATIC);
			sqlite3_bind_blob(old, 2, e->sign_pk, 32,
					  SQLITE_STATIC);
			sqlite3_bind_int64(old, 3, (int64_t)e->seq);
			sqlite3_reset(cur);
			sqlite3_bind_blob(cur, 1, e->node, 16, SQLITE_STATIC);
			sqlite3_bind_blob(cur, 2, e->new_pk, 32,
					  SQLITE_STATIC);
			sqlite3_bind_int64(cur, 3, (int64_t)e->seq);
			if (sqlite3_step(old) != SQLITE_DONE ||
			    sqlite3_step(cur) != SQLITE_DONE)
				rc = cds_sqlerr(db, _("peer"));
		}
out:
	sqlite3_finalize(old);
	sqlite3_finalize(cur);
	return rc;
}

/* The nodes the sheets c->s[k] with fresh[k] speak of (their node
 * entries and revocations), sorted: *out (cds_malloc'd), their number;
 * -1 out of memory. */
static long
touched(const struct cat *c, const unsigned char *fresh, uint8_t (**out)[16])
{
	size_t k, j, n = 0;

	for (k = 0; k < c->n; k++)
		n += fresh[k] ? c->s[k].count : 0;
	if ((*out = cds_calloc(n ? n : 1, 16)) == NULL)
		return -1;
	n = 0;
	for (k = 0; k < c->n; k++)
		for (j = 0; fresh[k] && j < c->s[k].count; j++)
			memcpy((*out)[n++], c->s[k].e[j].node, 16);
	if (n > 1)
		qsort(*out, n, 16, cds_id_order);
	return (long)n;
}

/* Writes sync_peer from a verified catalog: every node it certifies is
 * a known sender, this node's ancestors are its upstream recipients.
 * With `fresh` (a flag for each of c's sheets, those new in the store),
 * only the nodes the fresh sheets speak of are written: a district's
 * sheet taken in at the national hub writes its own schools, not the
 * 60,000 rows of the catalog.  All are written when a fresh sheet speaks
 * of this node or one of its ancestors (the upstream flags may change). */
static int
apply(cdsync *db, const struct cat *c, const unsigned char *fresh)
{
	const struct cds_entry *me = NULL, *up, **rev = NULL;
	const char *code = "";
	uint8_t anc[16][16], (*only)[16] = NULL;
	size_t nanc = 0, k, j, a;
	sqlite3_stmt *st;
	uint64_t rv;
	long nrev, nonly = -1;
	int rc = CDSYNC_OK, isup;

	/* this node's entry: with its key, or (a rotation its parent has
	 * not certified yet) its last one */
	if (find_node(c, db->node_id, db->sign_pk, &k, &j) == 0 ||
	    find_node(c, db->node_id, NULL, &k, &j) == 0)
		me = &c->s[k].e[j];
	/* the chain of parents up to the root */
	for (up = me; up != NULL && nanc < 16; up = by_code(c, code)) {
		if (up != me)
			memcpy(anc[nanc++], up->node, 16);
		if (up->parent_code[0] == '\0')
			break;
		code = up->parent_code;
	}
	if (fresh != NULL) {
		if ((nonly = touched(c, fresh, &only)) < 0)
			return cds_err(db, CDSYNC_ENOMEM, "%s",
				       _("out of memory"));
		for (a = 0; a <= nanc && nonly >= 0; a++)
			if (bsearch(a < nanc ? anc[a] : db->node_id, only,
				    (size_t)nonly, 16, cds_id_order) != NULL)
				nonly = -1;	/* all of it */
	}
	st = cds_prepare(db, "INSERT INTO sync_peer (node_id, org_code, "
			     "sign_pk, box_pk, upstream, role, valid_from, "
			     "valid_until, revoked_from, catalog) VALUES (?1, "
			     "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1) ON CONFLICT "
			     "(node_id) DO UPDATE SET org_code = "
			     "excluded.org_code, sign_pk = excluded.sign_pk, "
			     "box_pk = excluded.box_pk, upstream = "
			     "excluded.upstream, role = excluded.role, "
			     "valid_from = excluded.valid_from, valid_until = "
			     "excluded.valid_until, revoked_from = "
			     "excluded.revoked_from, catalog = 1");
	if (st == NULL) {
		cds_free(only);
		return cds_sqlcode(db);
	}
	/* the revocations once: a national catalog has 60,000 entries */
	if ((nrev = revocations(c, &rev)) < 0) {
		sqlite3_finalize(st);
		cds_free(only);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	/* in chain order, so a later key of a node (a re-enrolment) wins
	 * over an earlier one */
	for (k = 0; k < c->n && rc == CDSYNC_OK; k++) {
		const struct cds_sheet *s = &c->s[c->order[k]];

		for (j = 0; j < s->count && rc == CDSYNC_OK; j++) {
			const struct cds_entry *e = &s->e[j];

			if (e->type != CDS_ENTRY_NODE ||
			    memcmp(e->node, db->node_id, 16) == 0 ||
			    (nonly >= 0 &&
			     bsearch(e->node, only, (size_t)nonly, 16,
				     cds_id_order) == NULL))
				continue;
			rv = revoked_in(rev, (size_t)nrev, e->node,
					e->sign_pk);
			for (isup = 0, a = 0; a < nanc; a++)
				isup |= memcmp(anc[a], e->node, 16) == 0;
			sqlite3_reset(st);
			sqlite3_bind_blob(st, 1, e->node, 16, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, e->org_code, -1,
					  SQLITE_STATIC);
			sqlite3_bind_blob(st, 3, e->sign_pk, 32, SQLITE_STATIC);
			sqlite3_bind_blob(st, 4, e->box_pk, 32, SQLITE_STATIC);
			sqlite3_bind_int(st, 5, isup && !rv);
			sqlite3_bind_int(st, 6, e->role);
			sqlite3_bind_int64(st, 7, (int64_t)e->from_ms);
			if (e->until_ms)
				sqlite3_bind_int64(st, 8, (int64_t)e->until_ms);
			else
				sqlite3_bind_null(st, 8);
			if (rv)
				sqlite3_bind_int64(st, 9, (int64_t)rv);
			else
				sqlite3_bind_null(st, 9);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = cds_sqlerr(db, _("peer"));
		}
	}
	sqlite3_finalize(st);
	cds_free(rev);
	cds_free(only);
	if (rc == CDSYNC_OK)
		rc = apply_handovers(db, c);
	return rc;
}

/* Stores a sheet's bytes (replacing its older edition). */
static int
store_sheet(cdsync *db, const struct cds_sheet *s, const uint8_t *p,
	    size_t n)
{
	sqlite3_stmt *st = cds_prepare(db, "INSERT OR REPLACE INTO trust_sheet "
					   "(issuer, serial, bytes) VALUES "
					   "(?1, ?2, ?3)");
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, s->issuer, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)s->serial);
	sqlite3_bind_blob(st, 3, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("catalog"));
	sqlite3_finalize(st);
	return rc;
}

static int
set_root(cdsync *db, const uint8_t pk[32])
{
	sqlite3_stmt *st = cds_prepare(db, "INSERT OR REPLACE INTO meta (key, "
					   "value) VALUES ('root_pk', ?1)");
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, pk, 32, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("catalog"));
	sqlite3_finalize(st);
	return rc;
}

/* This node's org code and name. */
static int
own_org(cdsync *db, char code[CDS_TRUST_STR_MAX + 1],
	char name[CDS_TRUST_STR_MAX + 1])
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT code, name FROM org_unit "
					   "WHERE id = ?1");
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, db->org_id, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(code, CDS_TRUST_STR_MAX + 1, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(name, CDS_TRUST_STR_MAX + 1, "%s",
			 (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return cds_err(db, CDSYNC_ENOTFOUND, "%s",
			       _("this node's own union is missing"));
	return CDSYNC_OK;
}

static int
need_node_keys(cdsync *db)
{
	if (!db->has_node || !db->has_pub)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run 'cdsync "
				 "init' first"));
	return CDSYNC_OK;
}

/* A buffer's sticky error as a code and message: out of memory, or the
 * document does not fit (`toobig` says what, translated). */
static int
buf_err(cdsync *db, const cds_buf *b, const char *toobig)
{
	if (b->rc == CDSYNC_ENOMEM)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	return cds_err(db, CDSYNC_EINVAL, "%s", toobig);
}

/* The catalog file of the sheets of c in chain order (only those with
 * pick[k] set, if pick is not NULL) into b (cds_buf_init'd by this). */
static int
sheets_buf(cdsync *db, const struct cat *c, const int *pick, cds_buf *b)
{
	const uint8_t **p = NULL;
	size_t *len = NULL, k, m;
	int rc;

	cds_buf_init(b, CDS_CATALOG_MAX_BYTES);
	if (c->n > 0 && ((p = cds_calloc(c->n, sizeof *p)) == NULL ||
			 (len = cds_calloc(c->n, sizeof *len)) == NULL)) {
		cds_free((void *)p);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	for (k = 0, m = 0; k < c->n; k++) {
		if (pick != NULL && !pick[c->order[k]])
			continue;
		p[m] = c->bytes[c->order[k]];
		len[m++] = c->len[c->order[k]];
	}
	cds_catalog_write(b, p, len, m);
	cds_free((void *)p);
	cds_free(len);
	if (b->rc != 0) {
		rc = buf_err(db, b, _("the catalog is too large"));
		cds_buf_free(b);
		return rc;
	}
	return CDSYNC_OK;
}

/* Writes that catalog file to path (atomically). */
static int
write_sheets(cdsync *db, const struct cat *c, const int *pick,
	     const char *path)
{
	char dir[4096], name[1024];
	cds_buf b;
	int rc, wrote;

	if ((rc = sheets_buf(db, c, pick, &b)) != CDSYNC_OK)
		return rc;
	cds_file_split(path, dir, sizeof dir, name, sizeof name);
	cds_file_sweep(dir);
	rc = cds_file_write(db, dir, name, b.p, b.n, &wrote);
	cds_buf_free(&b);
	return rc;
}

static int
write_catalog(cdsync *db, const struct cat *c, const char *path)
{
	return write_sheets(db, c, NULL, path);
}

static int export_handovers(cdsync *db, const char *dir, const char *code);

/* ==== Fingerprints ==================================================== */

CDSYNC_API int
cdsync_fingerprint(cdsync *db, char out[20])
{
	int rc;

	cds_ok(db);
	out[0] = '\0';
	if ((rc = need_node_keys(db)) != CDSYNC_OK)
		return rc;
	cds_fingerprint(db->sign_pk, db->box_pk, out);
	return CDSYNC_OK;
}

/* Compares a fingerprint as typed (any case, dashes and spaces anywhere,
 * O for 0 and I or L for 1, as Crockford base32 allows). */
static int
same_fpr(const char *typed, const char *fpr)
{
	char a[64], b[64];
	size_t i, na = 0, nb = 0;
	int ch;

	for (i = 0; typed[i] && na < sizeof a - 1; i++) {
		ch = toupper((unsigned char)typed[i]);
		if (ch == '-' || ch == ' ')
			continue;
		a[na++] = (char)(ch == 'O' ? '0' : ch == 'I' || ch == 'L' ? '1'
									  : ch);
	}
	for (i = 0; fpr[i] && nb < sizeof b - 1; i++)
		if (fpr[i] != '-')
			b[nb++] = fpr[i];
	a[na] = b[nb] = '\0';
	return strcmp(a, b) == 0;
}

/* ==== The root ======================================================== */

int
cds_trust_root(cdsync *db)
{
	struct cds_sheet s;
	struct cds_entry e;
	cds_buf b;
	int rc;

	memset(&s, 0, sizeof s);
	memset(&e, 0, sizeof e);
	e.type = CDS_ENTRY_NODE;
	memcpy(e.node, db->node_id, 16);
	e.role = CDSYNC_ROLE_NATIONAL;
	memcpy(e.sign_pk, db->sign_pk, 32);
	memcpy(e.box_pk, db->box_pk, 32);
	e.from_ms = cds_wall_ms();
	if ((rc = own_org(db, e.org_code, e.name)) != CDSYNC_OK)
		return rc;
	memcpy(s.issuer, db->node_id, 16);
	memcpy(s.issuer_pk, db->sign_pk, 32);
	s.serial = 1;
	s.issued_ms = e.from_ms;
	s.kpi_version = CDS_KPI_VERSION;
	s.count = 1;
	s.e = &e;
	cds_buf_init(&b, CDS_CATALOG_MAX_BYTES);
	cds_sheet_write(&b, &s, db->sign_sk);
	if (b.rc != 0)
		rc = buf_err(db, &b, _("the union's code or name is too long "
				       "for the catalog"));
	else if ((rc = store_sheet(db, &s, b.p, b.n)) == CDSYNC_OK)
		rc = set_root(db, s.issuer_pk);
	cds_buf_free(&b);
	return rc;
}

/* ==== Requests ======================================================== */

CDSYNC_API int
cdsync_enrol_request(cdsync *db, const char *path)
{
	struct cds_request q;
	sqlite3_stmt *st;
	char dir[4096], name[1024];
	cds_buf b;
	int rc, wrote;

	cds_ok(db);
	if ((rc = need_node_keys(db)) != CDSYNC_OK)
		return rc;
	if (db->role == CDSYNC_ROLE_NATIONAL)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("the national hub is the root of trust: it "
				 "enrols others and needs no enrolment"));
	memset(&q, 0, sizeof q);
	memcpy(q.node, db->node_id, 16);
	q.role = (uint8_t)db->role;
	memcpy(q.sign_pk, db->sign_pk, 32);
	memcpy(q.box_pk, db->box_pk, 32);
	q.created_ms = cds_wall_ms();
	if ((rc = own_org(db, q.org_code, q.org_name)) != CDSYNC_OK)
		return rc;
	if ((st = cds_prepare(db, "SELECT value FROM meta WHERE key = "
				  "'parent_code'")) == NULL)
		return CDSYNC_ERROR;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(q.parent_code, sizeof q.parent_code, "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (q.parent_code[0] == '\0')
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("this node has no parent union: give one "
				 "with 'cdsync init --parent CODE'"));
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		return rc;
	cds_buf_init(&b, 4096);
	cds_request_write(&b, &q, db->sign_sk);
	if (b.rc != 0) {
		rc = buf_err(db, &b, _("the union's code or name is too long "
				       "for a request"));
		cds_buf_free(&b);
		return rc;
	}
	cds_file_split(path, dir, sizeof dir, name, sizeof name);
	cds_file_sweep(dir);
	rc = cds_file_write(db, dir, name, b.p, b.n, &wrote);
	cds_buf_free(&b);
	return rc;
}

static int
read_request(cdsync *db, const char *path, struct cds_request *q)
{
	uint8_t *p = NULL;
	size_t n = 0;
	char err[512];
	int rc;

	if ((rc = cds_file_read(db, path, 65536, _("a request"),
				CDSYNC_EBADINPUT, &p, &n)) != CDSYNC_OK)
		return rc;
	rc = cds_request_read(p, n, q, err, sizeof err);
	cds_free(p);
	if (rc == -2)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (rc != 0)
		return cds_err(db, strstr(err, "signature") ? CDSYNC_EBADSIG
							    : CDSYNC_EBADINPUT,
			       "%s: %s", path, err);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_request_read(cdsync *db, const char *path, cdsync_request_info *out)
{
	struct cds_request q;
	int rc;

	cds_ok(db);
	memset(out, 0, sizeof *out);
	if ((rc = read_request(db, path, &q)) != CDSYNC_OK)
		return rc;
	memcpy(out->node, q.node, 16);
	out->role = (cdsync_role)q.role;
	snprintf(out->org, sizeof out->org, "%s", q.org_code);
	snprintf(out->name, sizeof out->name, "%s", q.org_name);
	snprintf(out->parent, sizeof out->parent, "%s", q.parent_code);
	cds_fingerprint(q.sign_pk, q.box_pk, out->fingerprint);
	out->created_ms = q.created_ms;
	return CDSYNC_OK;
}

/* ==== This node's own sheet =========================================== */

/* Adds an entry to this node's sheet (a new edition), checks the whole
 * catalog again, stores it and applies it, in one transaction. */
static int
extend_own(cdsync *db, struct cat *c, const struct cds_entry *add,
	   size_t nadd)
{
	struct cds_sheet s, *old = NULL;
	uint8_t root[32];
	size_t k;
	cds_buf b;
	int rc, have;

	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		return rc;
	for (k = 0; k < c->n; k++)
		if (memcmp(c->s[k].issuer, db->node_id, 16) == 0)
			old = &c->s[k];
	memset(&s, 0, sizeof s);
	memcpy(s.issuer, db->node_id, 16);
	memcpy(s.issuer_pk, db->sign_pk, 32);
	s.serial = old ? old->serial + 1 : 1;
	s.issued_ms = cds_wall_ms();
	s.kpi_version = old ? old->kpi_version : CDS_KPI_VERSION;
	s.count = (old ? old->count : 0) + nadd;
	if ((s.e = cds_calloc(s.count, sizeof *s.e)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (old)
		memcpy(s.e, old->e, old->count * sizeof *s.e);
	memcpy(s.e + s.count - nadd, add, nadd * sizeof *s.e);
	cds_buf_init(&b, CDS_CATALOG_MAX_BYTES);
	cds_sheet_write(&b, &s, db->sign_sk);
	cds_free(s.e);
	if (b.rc != 0) {
		rc = buf_err(db, &b, _("the entry does not fit in the catalog"));
		cds_buf_free(&b);
		return rc;
	}
	/* replace the old edition in c by the new one, and check all */
	if (old) {
		k = (size_t)(old - c->s);
		cds_sheet_free(&c->s[k]);
		cds_free(c->bytes[k]);
		c->s[k] = c->s[c->n - 1];
		c->bytes[k] = c->bytes[c->n - 1];
		c->len[k] = c->len[c->n - 1];
		c->n--;
	}
	rc = cat_add(db, c, b.p, b.n, _("this node's sheet"));
	cds_buf_free(&b);
	if (rc != CDSYNC_OK || (rc = root_key(db, root, &have)) != CDSYNC_OK)
		return rc;
	if ((rc = verify_chain(db, c, root)) != CDSYNC_OK)
		return rc;
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		return rc;
	if ((rc = store_sheet(db, &c->s[c->n - 1], c->bytes[c->n - 1],
			      c->len[c->n - 1])) != CDSYNC_OK ||
	    (rc = apply(db, c, NULL)) != CDSYNC_OK ||
	    (rc = cds_exec(db, "COMMIT")) != CDSYNC_OK) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return CDSYNC_OK;
}

/* Loads and verifies this node's catalog, and checks that it certifies
 * this node with its key (so that it may certify others). */
static int
own_catalog(cdsync *db, struct cat *c)
{
	uint8_t root[32];
	size_t k, j;
	int rc, have;

	memset(c, 0, sizeof *c);	/* freeable on every path */
	if ((rc = root_key(db, root, &have)) != CDSYNC_OK)
		return rc;
	if (!have)
		return cds_err(db, CDSYNC_ENOTFOUND, "%s",
			       _("this node is not enrolled yet: it has no "
				 "catalog (take in the one its parent "
				 "approved with 'cdsync catalog import')"));
	if ((rc = load_stored(db, c)) != CDSYNC_OK)
		return rc;
	if ((rc = verify_chain(db, c, root)) != CDSYNC_OK) {
		cat_free(c);
		return rc;
	}
	if (find_node(c, db->node_id, db->sign_pk, &k, &j) != 0 ||
	    revoked(c, db->node_id, db->sign_pk)) {
		cat_free(c);
		return cds_err(db, CDSYNC_EREVOKED, "%s",
			       _("the catalog this node has does not certify "
				 "its key (not enrolled, or revoked)"));
	}
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_enrol_approve(cdsync *db, const char *request_path,
		     const char *fingerprint, unsigned days,
		     const char *catalog_path)
{
	char code[CDS_TRUST_STR_MAX + 1], name[CDS_TRUST_STR_MAX + 1];
	char fpr[CDS_FPR_CHARS + 1], hex[33];
	const struct cds_entry *have;
	struct cds_request q;
	struct cds_entry e;
	struct cat c;
	size_t k, j;
	int rc;

	memset(&c, 0, sizeof c);
	cds_ok(db);
	if ((rc = need_node_keys(db)) != CDSYNC_OK)
		return rc;
	if (db->role == CDSYNC_ROLE_SCHOOL)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a school node does not enrol others: its "
				 "parent hub does"));
	if ((rc = read_request(db, request_path, &q)) != CDSYNC_OK)
		return rc;
	cds_fingerprint(q.sign_pk, q.box_pk, fpr);
	if (fingerprint == NULL || !same_fpr(fingerprint, fpr))
		return cds_err(db, CDSYNC_EBADSIG,
			       _("%s: the fingerprint does not match: the "
				 "request's keys have %s; ask the union that "
				 "sent it to read its own out again"),
			       request_path, fpr);
	if ((rc = own_org(db, code, name)) != CDSYNC_OK)
		return rc;
	if (strcmp(q.parent_code, code) != 0)
		return cds_err(db, CDSYNC_ESCOPE,
			       _("%s: %s asks to be enrolled under %s, but "
				 "this node is %s"),
			       request_path, q.org_code, q.parent_code, code);
	if (q.role == CDSYNC_ROLE_AUDITOR && db->role != CDSYNC_ROLE_NATIONAL)
		return cds_err(db, CDSYNC_ESCOPE,
			       _("%s: an auditor is enrolled by the national "
				 "union, not under %s"),
			       request_path, code);
	if (q.role != CDSYNC_ROLE_AUDITOR &&
	    (q.role == CDSYNC_ROLE_NATIONAL || (int)q.role > (int)db->role))
		return cds_err(db, CDSYNC_ESCOPE,
			       _("%s: a %s node cannot be enrolled under a "
				 "%s node"),
			       request_path,
			       q.role == CDSYNC_ROLE_SCHOOL ? "school"
			       : q.role == CDSYNC_ROLE_HUB ? "hub" : "national",
			       db->role == CDSYNC_ROLE_HUB ? "hub" : "national");
	if ((rc = own_catalog(db, &c)) != CDSYNC_OK)
		return rc;
	if (find_node(&c, q.node, q.sign_pk, &k, &j) == 0 &&
	    !revoked(&c, q.node, q.sign_pk)) {
		/* approved before: hand the catalog out again */
		rc = write_catalog(db, &c, catalog_path);
		cat_free(&c);
		return rc;
	}
	if ((have = by_code(&c, q.org_code)) != NULL &&
	    memcmp(have->node, q.node, 16) != 0) {
		sodium_bin2hex(hex, sizeof hex, have->node, 16);
		cat_free(&c);
		return cds_err(db, CDSYNC_EEXIST,
			       _("%s already has a node enrolled (…%s); "
				 "revoke it first with 'cdsync enrol revoke "
				 "%s'"),
			       q.org_code, hex + 24, q.org_code);
	}
	memset(&e, 0, sizeof e);
	e.type = CDS_ENTRY_NODE;
	memcpy(e.node, q.node, 16);
	e.role = q.role;
	memcpy(e.sign_pk, q.sign_pk, 32);
	memcpy(e.box_pk, q.box_pk, 32);
	e.from_ms = cds_wall_ms();
	e.until_ms = days ? e.from_ms + (uint64_t)days * 86400000u : 0;
	snprintf(e.org_code, sizeof e.org_code, "%s", q.org_code);
	snprintf(e.name, sizeof e.name, "%s", q.org_name);
	snprintf(e.parent_code, sizeof e.parent_code, "%s", q.parent_code);
	if ((rc = extend_own(db, &c, &e, 1)) == CDSYNC_OK)
		rc = write_catalog(db, &c, catalog_path);
	cat_free(&c);
	return rc;
}

CDSYNC_API int
cdsync_enrol_revoke(cdsync *db, const char *org_code, const char *reason)
{
	char code[CDS_TRUST_STR_MAX + 1], name[CDS_TRUST_STR_MAX + 1];
	const struct cds_entry *child;
	struct cds_entry e;
	struct cat c;
	int rc;

	memset(&c, 0, sizeof c);
	cds_ok(db);
	if ((rc = need_node_keys(db)) != CDSYNC_OK)
		return rc;
	if ((rc = own_org(db, code, name)) != CDSYNC_OK ||
	    (rc = own_catalog(db, &c)) != CDSYNC_OK)
		return rc;
	if ((child = by_code(&c, org_code)) == NULL ||
	    strcmp(child->parent_code, code) != 0) {
		cat_free(&c);
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("%s is not an enrolled child of this node "
				 "(%s)"),
			       org_code, code);
	}
	memset(&e, 0, sizeof e);
	e.type = CDS_ENTRY_REVOKE;
	memcpy(e.node, child->node, 16);
	memcpy(e.sign_pk, child->sign_pk, 32);
	e.from_ms = cds_wall_ms();
	snprintf(e.name, sizeof e.name, "%s", reason ? reason : "");
	rc = extend_own(db, &c, &e, 1);
	cat_free(&c);
	return rc;
}

/* ==== Taking in and handing out ======================================= */

/* Checks an incoming sheet against the stored edition of its issuer:
 * older is a rollback, the same number with other bytes an equivocation.
 * *newer 1 when it replaces what is stored (or nothing is). */
static int
against_stored(cdsync *db, const struct cat *have, const struct cat *in,
	       size_t i, int *newer)
{
	char hex[33];
	size_t k;

	*newer = 1;
	for (k = 0; k < have->n; k++) {
		if (memcmp(have->s[k].issuer, in->s[i].issuer, 16) != 0)
			continue;
		sodium_bin2hex(hex, sizeof hex, in->s[i].issuer, 16);
		if (in->s[i].serial < have->s[k].serial) {
			*newer = -1;	/* refused; the caller says so */
			return cds_err(db, CDSYNC_EROLLBACK,
				       _("catalog: the sheet of node …%s is "
					 "edition %llu, older than edition "
					 "%llu this node has; it was not "
					 "taken in"),
				       hex + 24,
				       (unsigned long long)in->s[i].serial,
				       (unsigned long long)have->s[k].serial);
		}
		if (in->s[i].serial == have->s[k].serial) {
			if (in->len[i] != have->len[k] ||
			    memcmp(in->bytes[i], have->bytes[k],
				   in->len[i]) != 0)
				return cds_err(db, CDSYNC_EFORK,
					       _("catalog: two different "
						 "sheets of node …%s carry "
						 "edition %llu"),
					       hex + 24,
					       (unsigned long long)
						       in->s[i].serial);
			*newer = 0;
		}
	}
	return CDSYNC_OK;
}

/* Takes in the catalog file p[0..n); `path` names it in messages. */
static int
take_catalog(cdsync *db, const char *path, const uint8_t *p, size_t n,
	     const char *root_fingerprint)
{
	struct cat in, all;
	const uint8_t **sheet = NULL;
	size_t *len = NULL, count = 0, i, k, j;
	uint8_t root[32];
	char err[512], where[4200], fpr[CDS_FPR_CHARS + 1], older[CDS_MSGLEN];
	size_t ntake = 0;
	int rc, have, newer, *take = NULL;
	unsigned char *fresh = NULL;

	memset(&in, 0, sizeof in);
	memset(&all, 0, sizeof all);
	if (n > CDS_CATALOG_MAX_BYTES)
		return cds_err(db, CDSYNC_EBADINPUT,
			       _("%s: larger than a catalog may be"), path);
	rc = cds_catalog_split(p, n, &sheet, &len, &count, err, sizeof err);
	if (rc != 0) {
		rc = rc == -2 ? cds_err(db, CDSYNC_ENOMEM, "%s",
					_("out of memory"))
			      : cds_err(db, CDSYNC_EBADINPUT, "%s: %s", path,
					err);
		goto out;
	}
	for (i = 0; i < count && rc == CDSYNC_OK; i++) {
		snprintf(where, sizeof where, _("%s, sheet %zu"), path, i + 1);
		rc = cat_add(db, &in, sheet[i], len[i], where);
	}
	if (rc != CDSYNC_OK)
		goto out;
	/* the root key: the one this node trusts, or on its first catalog
	 * the self-certified sheet's, checked against the fingerprint */
	if ((rc = root_key(db, root, &have)) != CDSYNC_OK)
		goto out;
	if (!have) {
		for (i = 0; i < in.n; i++) {
			for (j = 0; j < in.s[i].count; j++)
				if (in.s[i].e[j].type == CDS_ENTRY_NODE &&
				    in.s[i].e[j].parent_code[0] == '\0' &&
				    memcmp(in.s[i].e[j].node, in.s[i].issuer,
					   16) == 0 &&
				    memcmp(in.s[i].e[j].sign_pk,
					   in.s[i].issuer_pk, 32) == 0)
					break;
			if (j < in.s[i].count)
				break;
		}
		if (i == in.n) {
			rc = cds_err(db, CDSYNC_EUNKNOWNKEY,
				     _("%s: no sheet of the national root in "
				       "it; this node's first catalog must "
				       "come from its parent's approval"),
				     path);
			goto out;
		}
		memcpy(root, in.s[i].issuer_pk, 32);
		cds_fingerprint(in.s[i].e[j].sign_pk, in.s[i].e[j].box_pk, fpr);
		if (root_fingerprint != NULL &&
		    !same_fpr(root_fingerprint, fpr)) {
			rc = cds_err(db, CDSYNC_EBADSIG,
				     _("%s: the national root's fingerprint "
				       "is %s, not the one given"),
				     path, fpr);
			goto out;
		}
	}
	/* every incoming sheet against the stored editions */
	if ((rc = load_stored(db, &all)) != CDSYNC_OK)
		goto out;
	if (in.n > 0 && (take = cds_calloc(in.n, sizeof *take)) == NULL) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	/* an older edition is refused (and the rest still taken); two
	 * editions with one number refuse everything */
	older[0] = '\0';
	for (i = 0; i < in.n && rc == CDSYNC_OK; i++) {
		rc = against_stored(db, &all, &in, i, &newer);
		if (rc == CDSYNC_EROLLBACK) {
			if (older[0] == '\0')
				snprintf(older, sizeof older, "%s",
					 cdsync_errmsg(db));
			rc = CDSYNC_OK;
		}
		take[i] = newer > 0;
		ntake += newer > 0;
	}
	if (rc != CDSYNC_OK)
		goto out;
	if (ntake == 0) {
		if (older[0] != '\0')
			rc = cds_err(db, CDSYNC_EROLLBACK, "%s: %s", path,
				     older);
		goto out;	/* nothing new */
	}
	/* the catalog as it would be: stored sheets, newer ones replaced */
	for (i = 0; i < in.n && rc == CDSYNC_OK; i++) {
		if (!take[i])
			continue;
		for (k = 0; k < all.n; k++)
			if (memcmp(all.s[k].issuer, in.s[i].issuer, 16) == 0)
				break;
		if (k < all.n) {
			cds_sheet_free(&all.s[k]);
			cds_free(all.bytes[k]);
			all.s[k] = all.s[all.n - 1];
			all.bytes[k] = all.bytes[all.n - 1];
			all.len[k] = all.len[all.n - 1];
			all.n--;
		}
		rc = cat_add(db, &all, in.bytes[i], in.len[i], path);
	}
	if (rc != CDSYNC_OK || (rc = verify_chain(db, &all, root)) != CDSYNC_OK)
		goto out;
	/* the sheets new in the store: only their nodes are written */
	if ((fresh = cds_calloc(all.n ? all.n : 1, 1)) == NULL) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	for (k = 0; k < all.n; k++)
		for (i = 0; i < in.n; i++)
			fresh[k] |= take[i] && memcmp(all.s[k].issuer,
						      in.s[i].issuer, 16) == 0;
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		goto out;
	for (i = 0; i < in.n && rc == CDSYNC_OK; i++)
		if (take[i])
			rc = store_sheet(db, &in.s[i], in.bytes[i], in.len[i]);
	if (rc == CDSYNC_OK && !have)
		rc = set_root(db, root);
	if (rc == CDSYNC_OK)
		rc = apply(db, &all, have ? fresh : NULL);
	if (rc == CDSYNC_OK)
		rc = cds_exec(db, "COMMIT");
	if (rc != CDSYNC_OK)
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
out:
	cds_free(take);
	cds_free(fresh);
	cds_free((void *)sheet);
	cds_free(len);
	cat_free(&in);
	cat_free(&all);
	return rc;
}

CDSYNC_API int
cdsync_catalog_import(cdsync *db, const char *path,
		      const char *root_fingerprint)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int rc;

	cds_ok(db);
	if ((rc = need_node_keys(db)) != CDSYNC_OK)
		return rc;
	if ((rc = cds_file_read(db, path, CDS_CATALOG_MAX_BYTES,
				_("a catalog"), CDSYNC_EBADINPUT, &p, &n)) !=
	    CDSYNC_OK)
		return rc;
	rc = take_catalog(db, path, p, n, root_fingerprint);
	cds_free(p);
	return rc;
}

CDSYNC_API int
cdsync_catalog_take(cdsync *db, const uint8_t *bytes, size_t len)
{
	uint8_t root[32];
	int rc, have;

	cds_ok(db);
	if ((rc = need_node_keys(db)) != CDSYNC_OK ||
	    (rc = root_key(db, root, &have)) != CDSYNC_OK)
		return rc;
	/* a first catalog names the root this node will trust: only with
	 * the fingerprint its operator heard (cdsync_catalog_import) */
	if (!have)
		return cds_err(db, CDSYNC_ENOTFOUND, "%s",
			       _("this node has no catalog yet; its first one "
				 "comes with 'cdsync catalog import "
				 "--root-fingerprint'"));
	return take_catalog(db, _("catalog"), bytes, len, NULL);
}

/* The catalog this node has, loaded and checked from the root. */
static int
stored_catalog(cdsync *db, struct cat *c)
{
	uint8_t root[32];
	int rc, have;

	memset(c, 0, sizeof *c);
	if ((rc = root_key(db, root, &have)) != CDSYNC_OK)
		return rc;
	if (!have)
		return cds_err(db, CDSYNC_ENOTFOUND, "%s",
			       _("this node has no catalog yet"));
	if ((rc = load_stored(db, c)) != CDSYNC_OK)
		return rc;
	if ((rc = verify_chain(db, c, root)) != CDSYNC_OK)
		cat_free(c);
	return rc;
}

CDSYNC_API int
cdsync_catalog_export(cdsync *db, const char *path)
{
	struct cat c;
	int rc;

	cds_ok(db);
	if ((rc = stored_catalog(db, &c)) != CDSYNC_OK)
		return rc;
	rc = write_catalog(db, &c, path);
	cat_free(&c);
	return rc;
}

CDSYNC_API int
cdsync_catalog_bytes(cdsync *db, uint8_t **out, size_t *len)
{
	struct cat c;
	cds_buf b;
	int rc;

	cds_ok(db);
	*out = NULL;
	*len = 0;
	if ((rc = stored_catalog(db, &c)) != CDSYNC_OK)
		return rc;
	rc = sheets_buf(db, &c, NULL, &b);
	cat_free(&c);
	if (rc != CDSYNC_OK)
		return rc;
	*out = b.p;		/* cds_malloc'd: freed with cdsync_free */
	*len = b.n;
	return CDSYNC_OK;
}

int
cds_trust_export(cdsync *db, const char *dir, int *wrote)
{
	char code[CDS_TRUST_STR_MAX + 1], name[CDS_TRUST_STR_MAX + 1];
	char path[4400];
	uint8_t root[32];
	struct cat c;
	size_t k, j;
	int rc, have, *pick = NULL, any = 0;

	*wrote = 0;
	if ((rc = root_key(db, root, &have)) != CDSYNC_OK || !have)
		return rc;
	if ((rc = own_org(db, code, name)) != CDSYNC_OK ||
	    (rc = export_handovers(db, dir, code)) != CDSYNC_OK)
		return rc;
	if ((rc = load_stored(db, &c)) != CDSYNC_OK)
		return rc;
	if ((rc = verify_chain(db, &c, root)) != CDSYNC_OK)
		goto out;
	if ((pick = cds_calloc(c.n, sizeof *pick)) == NULL) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	/* this node's sheet and those below it (chain order puts a sheet
	 * after the one that certifies its issuer) */
	for (k = 0; k < c.n; k++) {
		const struct cds_sheet *s = &c.s[c.order[k]];

		if (memcmp(s->issuer, db->node_id, 16) == 0) {
			pick[c.order[k]] = any = 1;
			continue;
		}
		for (j = 0; j < k; j++)
			if (pick[c.order[j]] &&
			    certifies_in(&c.s[c.order[j]], s->issuer,
					 s->issuer_pk))
				pick[c.order[k]] = 1;
	}
	if (!any)
		goto out;		/* it certifies nobody: nothing to send */
	snprintf(path, sizeof path, "%s/catalog-%s.cdsa", dir, code);
	if ((rc = write_sheets(db, &c, pick, path)) == CDSYNC_OK)
		*wrote = 1;
out:
	cds_free(pick);
	cat_free(&c);
	return rc;
}

/* What cdsync_catalog_at reads, verified once and kept while the store
 * is unchanged: nothing written through this handle since
 * (sqlite3_total_changes64) nor by another connection (PRAGMA
 * data_version).  A loop over all entries of a national catalog then
 * costs one load and one check, not one per entry. */
/* An index row: a key, then a sheet and an entry of it. */
struct catix {
	uint8_t id[16];
	size_t k, j;
};

struct cds_catcache {
	struct cat c;
	int64_t stamp[2];		/* cds_stamp when it was loaded */
	size_t n;			/* node entries, in chain order */
	struct {
		size_t k, j;		/* sheet (index into c.s), entry */
	} *ix;
	struct {
		const char *code;	/* of each sheet: its issuer's */
	} *issuer;
	long nrev;
	const struct cds_entry **rev;	/* the revocations */
	struct catix *byunit, *bynode;	/* node entries by org id, node id */
	struct catix *bysheet;		/* sheets by issuer */
};

void
cds_catcache_free(cdsync *db)
{
	struct cds_catcache *cc = db->catcache;

	if (cc == NULL)
		return;
	cat_free(&cc->c);
	cds_free(cc->ix);
	cds_free(cc->issuer);
	cds_free(cc->rev);
	cds_free(cc->byunit);
	cds_free(cc->bynode);
	cds_free(cc->bysheet);
	cds_free(cc);
	db->catcache = NULL;
}

/* db->catcache, fresh; CDSYNC_ENOTFOUND without a catalog. */
static int
catcache(cdsync *db, struct cds_catcache **out)
{
	struct cds_catcache *cc = db->catcache;
	uint8_t root[32];
	int64_t stamp[2];
	size_t k, j, n = 0, ik, ij;
	int rc, have;

	if ((rc = cds_stamp(db, stamp)) != CDSYNC_OK)
		return rc;
	if (cc != NULL && memcmp(cc->stamp, stamp, sizeof stamp) == 0) {
		*out = cc;
		return CDSYNC_OK;
	}
	cds_catcache_free(db);
	if ((rc = root_key(db, root, &have)) != CDSYNC_OK)
		return rc;
	if (!have)
		return CDSYNC_ENOTFOUND;
	if ((cc = cds_calloc(1, sizeof *cc)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if ((rc = load_stored(db, &cc->c)) != CDSYNC_OK ||
	    (rc = verify_chain(db, &cc->c, root)) != CDSYNC_OK) {
		cat_free(&cc->c);
		cds_free(cc);
		return rc;
	}
	for (k = 0; k < cc->c.n; k++)
		for (j = 0; j < cc->c.s[k].count; j++)
			n += cc->c.s[k].e[j].type == CDS_ENTRY_NODE;
	cc->ix = cds_calloc(n ? n : 1, sizeof *cc->ix);
	cc->issuer = cds_calloc(cc->c.n, sizeof *cc->issuer);
	cc->nrev = revocations(&cc->c, &cc->rev);
	if (cc->ix == NULL || cc->issuer == NULL || cc->nrev < 0) {
		db->catcache = cc;
		cds_catcache_free(db);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	for (k = 0; k < cc->c.n; k++) {
		const struct cds_sheet *s = &cc->c.s[cc->c.order[k]];

		cc->issuer[cc->c.order[k]].code =
			find_node(&cc->c, s->issuer, s->issuer_pk, &ik, &ij) ==
				0
				? cc->c.s[ik].e[ij].org_code
				: "?";
		for (j = 0; j < s->count; j++)
			if (s->e[j].type == CDS_ENTRY_NODE) {
				cc->ix[cc->n].k = cc->c.order[k];
				cc->ix[cc->n++].j = j;
			}
	}
	memcpy(cc->stamp, stamp, sizeof stamp);
	db->catcache = cc;
	*out = cc;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_catalog_at(cdsync *db, size_t i, cdsync_cat_entry *out)
{
	struct cds_catcache *cc = NULL;
	const struct cds_sheet *s;
	const struct cds_entry *e;
	size_t r;
	int rc;

	cds_ok(db);
	memset(out, 0, sizeof *out);
	if ((rc = catcache(db, &cc)) != CDSYNC_OK)
		return rc;
	if (cc == NULL || i >= cc->n)
		return CDSYNC_ENOTFOUND;
	s = &cc->c.s[cc->ix[i].k];
	e = &s->e[cc->ix[i].j];
	memcpy(out->node, e->node, 16);
	out->role = (cdsync_role)e->role;
	snprintf(out->org, sizeof out->org, "%s", e->org_code);
	snprintf(out->name, sizeof out->name, "%s", e->name);
	snprintf(out->parent, sizeof out->parent, "%s", e->parent_code);
	snprintf(out->issuer, sizeof out->issuer, "%s", cc->issuer[cc->ix[i].k].code);
	cds_fingerprint(e->sign_pk, e->box_pk, out->fingerprint);
	out->valid_from = e->from_ms;
	out->valid_until = e->until_ms;
	for (r = 0; r < (size_t)cc->nrev; r++)	/* as revoked(): the first */
		if (memcmp(cc->rev[r]->node, e->node, 16) == 0 &&
		    memcmp(cc->rev[r]->sign_pk, e->sign_pk, 32) == 0) {
			out->revoked_from = cc->rev[r]->from_ms
						    ? cc->rev[r]->from_ms
						    : 1;
			snprintf(out->reason, sizeof out->reason, "%s",
				 cc->rev[r]->name);
			break;
		}
	out->edition = s->serial;
	out->kpi_version = cc->c.s[cc->c.order[0]].kpi_version;
	return CDSYNC_OK;
}

/* ==== A part of the catalog, for a recount ============================ */

static int
by_ix(const void *x, const void *y)
{
	return memcmp(((const struct catix *)x)->id,
		      ((const struct catix *)y)->id, 16);
}

/* The indexes of cc by unit, node and issuer, built once. */
static int
catixes(struct cds_catcache *cc)
{
	size_t i, n = cc->n ? cc->n : 1;

	if (cc->bysheet != NULL)
		return 0;
	cc->byunit = cds_calloc(n, sizeof *cc->byunit);
	cc->bynode = cds_calloc(n, sizeof *cc->bynode);
	cc->bysheet = cds_calloc(cc->c.n ? cc->c.n : 1, sizeof *cc->bysheet);
	if (cc->byunit == NULL || cc->bynode == NULL || cc->bysheet == NULL) {
		cds_free(cc->byunit);
		cds_free(cc->bynode);
		cds_free(cc->bysheet);
		cc->byunit = cc->bynode = cc->bysheet = NULL;
		return -1;
	}
	for (i = 0; i < cc->n; i++) {
		const struct cds_entry *e = &cc->c.s[cc->ix[i].k].e[cc->ix[i].j];

		cds_id_name("cdsync.org.v1", e->org_code, cc->byunit[i].id);
		memcpy(cc->bynode[i].id, e->node, 16);
		cc->byunit[i].k = cc->bynode[i].k = cc->ix[i].k;
		cc->byunit[i].j = cc->bynode[i].j = cc->ix[i].j;
	}
	for (i = 0; i < cc->c.n; i++) {
		memcpy(cc->bysheet[i].id, cc->c.s[i].issuer, 16);
		cc->bysheet[i].k = i;
	}
	qsort(cc->byunit, cc->n, sizeof *cc->byunit, by_ix);
	qsort(cc->bynode, cc->n, sizeof *cc->bynode, by_ix);
	qsort(cc->bysheet, cc->c.n, sizeof *cc->bysheet, by_ix);
	return 0;
}

/* The rows of ix[0..n) with key id: [*lo, return). */
static size_t
keyed(const struct catix *ix, size_t n, const uint8_t id[16], size_t *lo)
{
	size_t a = 0, b = n;

	while (a < b) {
		size_t m = a + (b - a) / 2;

		if (memcmp(ix[m].id, id, 16) < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	for (b = a; b < n && memcmp(ix[b].id, id, 16) == 0; b++)
		;
	return b;
}

/* Marks sheet k (and pushes it to be followed up the chain). */
static void
mark(uint8_t *on, size_t *todo, size_t *nt, size_t k)
{
	if (!on[k]) {
		on[k] = 1;
		todo[(*nt)++] = k;
	}
}

/* Marks the sheets holding entries keyed id in ix, and, when kids, the
 * sheets those entries' nodes issue. */
static void
mark_keyed(const struct cds_catcache *cc, const struct catix *ix,
	   const uint8_t id[16], int kids, uint8_t *on, size_t *todo,
	   size_t *nt)
{
	size_t i, lo, hi = keyed(ix, cc->n, id, &lo), l2, h2, j;

	for (i = lo; i < hi; i++) {
		mark(on, todo, nt, ix[i].k);
		if (!kids)
			continue;
		h2 = keyed(cc->bysheet, cc->c.n,
			   cc->c.s[ix[i].k].e[ix[i].j].node, &l2);
		for (j = l2; j < h2; j++)
			mark(on, todo, nt, cc->bysheet[j].k);
	}
}

/* A sheet a recount may take: parsed, its bytes, and whether it stays. */
struct pick {
	const struct cds_sheet *s;
	const uint8_t *bytes;
	size_t len;
	int live;
};

/* 1 when a sheet of set[0..n) still live certifies t's issuer with the
 * key that signs t. */
static int
vouched(const struct pick *set, size_t n, const struct cds_sheet *t)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!set[i].live || set[i].s == t)
			continue;
		for (j = 0; j < set[i].s->count; j++)
			if (set[i].s->e[j].type == CDS_ENTRY_NODE &&
			    memcmp(set[i].s->e[j].node, t->issuer, 16) == 0 &&
			    memcmp(set[i].s->e[j].sign_pk, t->issuer_pk, 32) ==
				    0)	/* not secret */
				return 1;
	}
	return 0;
}

/* The live sheets of set[0..n) -- those carried, then ours -- must chain
 * to the root (cds_trust_chain, on shallow copies: each is parsed and
 * its signature checked already). */
static int
chains(cdsync *db, const struct pick *set, size_t n, const uint8_t root[32],
       int have)
{
	struct cds_sheet *s;
	size_t *order, i, k = 0;
	char err[512];
	int rc = CDSYNC_OK;

	s = cds_calloc(n ? n : 1, sizeof *s);
	order = cds_calloc(n ? n : 1, sizeof *order);
	if (s == NULL || order == NULL) {
		cds_free(s);
		cds_free(order);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	for (i = 0; i < n; i++)
		if (set[i].live)
			s[k++] = *set[i].s;
	if (!have || cds_trust_chain(s, k, root, order, err, sizeof err) != 0)
		rc = cds_err(db, CDSYNC_EBADSIG,
			     _("the catalog sheets the snapshot carries do not "
			       "chain to the root this node trusts: %s"),
			     have ? err : _("this node has no catalog yet"));
	cds_free(s);
	cds_free(order);
	return rc;
}

int
cds_catalog_copy_some(cdsync *db, cdsync *sc, const uint8_t (*units)[16],
		      size_t nunits, const uint8_t (*nodes)[16], size_t nnodes,
		      const uint8_t *const *xs, const size_t *xlen, size_t nx)
{
	struct cds_catcache *cc = NULL;
	struct pick *set = NULL;
	struct cat x;
	size_t *todo = NULL, nt = 0, n = 0, i, j, lo, hi;
	uint8_t *on = NULL, root[32];
	sqlite3_stmt *ins = NULL;
	int rc, have = 0, again;

	memset(&x, 0, sizeof x);
	if ((rc = catcache(db, &cc)) == CDSYNC_ENOTFOUND && nx > 0)
		return cds_err(db, CDSYNC_EUNKNOWNKEY, "%s",
			       _("this node has no catalog to check the sheets "
				 "the snapshot carries against"));
	if (rc != CDSYNC_OK || cc == NULL)
		return rc == CDSYNC_ENOTFOUND ? CDSYNC_OK : rc;
	if (nx > 0 && (rc = root_key(db, root, &have)) != CDSYNC_OK)
		return rc;
	for (i = 0; i < nx; i++)
		if ((rc = cat_add(db, &x, xs[i], xlen[i],
				  _("a catalog sheet the snapshot carries"))) !=
		    CDSYNC_OK)
			goto out;
	if (catixes(cc) != 0 ||
	    (on = cds_calloc(cc->c.n ? cc->c.n : 1, 1)) == NULL ||
	    (todo = cds_calloc(cc->c.n ? cc->c.n : 1, sizeof *todo)) == NULL ||
	    (set = cds_calloc(cc->c.n + nx + 1, sizeof *set)) == NULL) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	for (i = 0; i < nunits; i++)
		mark_keyed(cc, cc->byunit, units[i], 1, on, todo, &nt);
	for (i = 0; i < nnodes; i++)
		mark_keyed(cc, cc->bynode, nodes[i], 0, on, todo, &nt);
	for (i = 0; i < nx; i++)	/* who certifies the sheets carried */
		mark_keyed(cc, cc->bynode, x.s[i].issuer, 0, on, todo, &nt);
	while (nt > 0) {	/* up the chain: who certifies each issuer */
		size_t k = todo[--nt];

		mark_keyed(cc, cc->bynode, cc->c.s[k].issuer, 0, on, todo,
			   &nt);
	}
	for (i = 0; i < nx; i++) {	/* a sheet carried replaces ours */
		hi = keyed(cc->bysheet, cc->c.n, x.s[i].issuer, &lo);
		for (j = lo; j < hi; j++)
			on[cc->bysheet[j].k] = 0;
		set[n].s = &x.s[i];
		set[n].bytes = x.bytes[i];
		set[n].len = x.len[i];
		set[n++].live = 1;	/* carried: must chain */
	}
	for (i = 0; i < cc->c.n; i++)
		if (on[i]) {
			set[n].s = &cc->c.s[i];
			set[n].bytes = cc->c.bytes[i];
			set[n].len = cc->c.len[i];
			set[n++].live = 1;
		}
	/* a sheet of ours whose issuer the editions carried do not certify
	 * (enrolled since) is of no use to the recount: left out */
	do {
		again = 0;
		for (i = nx; nx > 0 && i < n; i++) {
			if (!set[i].live ||
			    (have && memcmp(set[i].s->issuer_pk, root, 32) ==
					     0) ||	/* not secret */
			    vouched(set, n, set[i].s))
				continue;
			set[i].live = 0;
			again = 1;
		}
	} while (again);
	if (nx > 0 && (rc = chains(db, set, n, root, have)) != CDSYNC_OK)
		goto out;
	if (sc == NULL)
		goto out;
	if (sqlite3_prepare_v2(sc->db, "INSERT INTO trust_sheet (issuer, "
				       "serial, bytes) VALUES (?1, ?2, ?3)",
			       -1, &ins, NULL) != SQLITE_OK) {
		rc = cds_err(db, cds_sqlerr(sc, "trust_sheet"), "%s",
			     cdsync_errmsg(sc));
		goto out;
	}
	for (i = 0; i < n && rc == CDSYNC_OK; i++) {
		if (!set[i].live)
			continue;
		sqlite3_bind_blob(ins, 1, set[i].s->issuer, 16, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, (int64_t)set[i].s->serial);
		sqlite3_bind_blob(ins, 3, set[i].bytes, (int)set[i].len,
				  SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = cds_err(db, cds_sqlerr(sc, "trust_sheet"), "%s",
				     cdsync_errmsg(sc));
		sqlite3_reset(ins);
	}
out:
	sqlite3_finalize(ins);
	cat_free(&x);
	cds_free(on);
	cds_free(todo);
	cds_free(set);
	return rc;
}

/* ==== Rotation ======================================================== */

CDSYNC_API int
cdsync_keys_rotate(cdsync *db)
{
	struct cds_handover h;
	sqlite3_stmt *st = NULL;
	uint8_t old_sk[64];
	struct cat c;
	cds_buf b;
	int rc;

	cds_ok(db);
	memset(&h, 0, sizeof h);
	if ((rc = need_node_keys(db)) != CDSYNC_OK)
		return rc;
	if (db->role == CDSYNC_ROLE_NATIONAL)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("the national root key is trusted by every "
				 "node as it is: it is not rotated by a "
				 "hand-over"));
	if (db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("keys cannot be rotated inside an open "
				 "transaction"));
	if ((rc = own_catalog(db, &c)) != CDSYNC_OK)
		return rc;
	cat_free(&c);
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		return rc;
	cds_buf_init(&b, CDS_HANDOVER_BYTES);
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		goto out;
	if ((st = cds_prepare(db, "SELECT coalesce(max(seq), 0) + 1 FROM "
				  "sync_bundle_out")) == NULL) {
		rc = CDSYNC_ERROR;
		goto fail;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		h.from_seq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	memcpy(h.node, db->node_id, 16);
	memcpy(h.old_pk, db->sign_pk, 32);
	memcpy(old_sk, db->sign_sk, 64);
	if ((rc = cds_keys_replace(db)) != CDSYNC_OK)
		goto fail;
	memcpy(h.new_pk, db->sign_pk, 32);
	memcpy(h.new_box, db->box_pk, 32);
	h.at_ms = cds_wall_ms();
	cds_handover_write(&b, &h, old_sk);
	if (b.rc != 0) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto fail;
	}
	if ((st = cds_prepare(db, "INSERT INTO trust_handover (node_id, "
				  "old_pk, seq, bytes) VALUES (?1, ?2, ?3, "
				  "?4)")) == NULL) {
		rc = CDSYNC_ERROR;
		goto fail;
	}
	sqlite3_bind_blob(st, 1, h.node, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, h.old_pk, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)h.from_seq);
	sqlite3_bind_blob(st, 4, b.p, (int)b.n, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = cds_sqlerr(db, _("keys"));
		goto fail;
	}
	sqlite3_finalize(st);
	if ((st = cds_prepare(db, "INSERT OR REPLACE INTO sync_key_old "
				  "(node_id, sign_pk, upto_seq) VALUES (?1, "
				  "?2, ?3)")) == NULL) {
		rc = CDSYNC_ERROR;
		goto fail;
	}
	sqlite3_bind_blob(st, 1, h.node, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, h.old_pk, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)h.from_seq);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = cds_sqlerr(db, _("keys"));
		goto fail;
	}
	if ((rc = cds_exec(db, "COMMIT")) == CDSYNC_OK)
		goto out;
fail:
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	/* the keys in memory may be the new ones: back to the store's */
	cds_keys_wipe(db);
	cds_keys_load(db);
out:
	sodium_memzero(old_sk, sizeof old_sk);
	sqlite3_finalize(st);
	cds_buf_free(&b);
	return rc;
}

CDSYNC_API int
cdsync_handover_import(cdsync *db, const char *path)
{
	char code[CDS_TRUST_STR_MAX + 1], name[CDS_TRUST_STR_MAX + 1];
	char err[512], hex[33];
	struct cds_handover h;
	struct cds_entry e[2];
	uint8_t *p = NULL;
	size_t n = 0, k, j;
	struct cat c;
	int rc;

	cds_ok(db);
	memset(&c, 0, sizeof c);
	if ((rc = need_node_keys(db)) != CDSYNC_OK)
		return rc;
	if ((rc = cds_file_read(db, path, 4096, _("a hand-over"),
				CDSYNC_EBADINPUT, &p, &n)) != CDSYNC_OK)
		return rc;
	rc = cds_handover_read(p, n, &h, err, sizeof err);
	cds_free(p);
	if (rc == -2)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (rc != 0)
		return cds_err(db, strstr(err, "signature") ? CDSYNC_EBADSIG
							    : CDSYNC_EBADINPUT,
			       "%s: %s", path, err);
	sodium_bin2hex(hex, sizeof hex, h.node, 16);
	if (memcmp(h.node, db->node_id, 16) == 0)
		return cds_err(db, CDSYNC_EREPLAY,
			       _("%s: this node's own hand-over; it goes to "
				 "its parent"), path);
	if ((rc = own_org(db, code, name)) != CDSYNC_OK ||
	    (rc = own_catalog(db, &c)) != CDSYNC_OK)
		return rc;
	if (c.s == NULL || find_node(&c, h.node, h.old_pk, &k, &j) != 0 ||
	    memcmp(c.s[k].issuer, db->node_id, 16) != 0) {
		cat_free(&c);
		return cds_err(db, CDSYNC_ESCOPE,
			       _("%s: node …%s is not a child of this node "
				 "(%s) with that key; its parent takes its "
				 "hand-over"),
			       path, hex + 24, code);
	}
	if (revoked(&c, h.node, h.old_pk)) {
		rc = cds_err(db, CDSYNC_EREVOKED,
			     _("%s: the key of %s that signed this hand-over "
			       "is revoked"),
			     path, c.s[k].e[j].org_code);
		cat_free(&c);
		return rc;
	}
	if (find_node(&c, h.node, h.new_pk, &k, &j) == 0) {
		cat_free(&c);
		return cds_err(db, CDSYNC_EREPLAY,
			       _("%s: the new key of node …%s is in the "
				 "catalog already; nothing to do"),
			       path, hex + 24);
	}
	(void)find_node(&c, h.node, h.old_pk, &k, &j);
	memset(e, 0, sizeof e);
	e[0] = c.s[k].e[j];		/* the same union, role, validity */
	memcpy(e[0].sign_pk, h.new_pk, 32);
	memcpy(e[0].box_pk, h.new_box, 32);
	e[1].type = CDS_ENTRY_HANDOVER;
	memcpy(e[1].node, h.node, 16);
	memcpy(e[1].sign_pk, h.old_pk, 32);
	memcpy(e[1].new_pk, h.new_pk, 32);
	memcpy(e[1].new_box, h.new_box, 32);
	e[1].seq = h.from_seq;
	e[1].from_ms = h.at_ms;
	memcpy(e[1].sig, h.sig, 64);
	rc = extend_own(db, &c, e, 2);
	cat_free(&c);
	return rc;
}

/* Writes this node's own hand-overs into dir (for its parent). */
static int
export_handovers(cdsync *db, const char *dir, const char *code)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT seq, bytes FROM "
					   "trust_handover WHERE node_id = ?1 "
					   "ORDER BY seq");
	char name[400];
	int rc = CDSYNC_OK, wrote;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, db->node_id, 16, SQLITE_STATIC);
	while (rc == CDSYNC_OK && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(name, sizeof name, "handover-%s-%06lld.cdsh", code,
			 (long long)sqlite3_column_int64(st, 0));
		rc = cds_file_write(db, dir, name, sqlite3_column_blob(st, 1),
				    (size_t)sqlite3_column_bytes(st, 1),
				    &wrote);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ==== Vouchers ======================================================== */

int
cds_trust_parent(cdsync *db, const uint8_t hub[16], const uint8_t node[16])
{
	uint8_t root[32];
	struct cat c;
	size_t k, j, hk, hj;
	int have, ok = 0;

	memset(&c, 0, sizeof c);
	if (root_key(db, root, &have) != CDSYNC_OK || !have ||
	    load_stored(db, &c) != CDSYNC_OK)
		return 0;
	if (verify_chain(db, &c, root) == CDSYNC_OK &&
	    find_node(&c, node, NULL, &k, &j) == 0 &&
	    find_node(&c, hub, NULL, &hk, &hj) == 0 &&
	    memcmp(c.s[k].issuer, hub, 16) == 0 &&
	    !revoked(&c, hub, c.s[hk].e[hj].sign_pk))
		ok = 1;
	cat_free(&c);
	return ok;
}
