/* snapstore.c -- rollup snapshots in the store (cdsync.h "Rollup
 * snapshots"; SPEC.md §14).
 *
 * Making: in one write transaction, the rollup brought up to date, no
 * own write left unsealed, a checkpoint of the log signed, then the
 * header (heads from sync_peer and the own chain, the catalog's hash, the
 * tree's day) and every unit of the subtree from the rollup, signed and
 * kept in snapshot_own.
 *
 * Taking, at the hub above: the checkpoint first (cdsync_checkpoint_take,
 * consistent with the last one taken of that hub), then a snapshot whose
 * checkpoint is one taken.  Checking: every bundle the heads name must be
 * merged here, with the same hash; then a private scratch store gets the
 * catalog and exactly the changes those bundles brought, a full rollup
 * of the snapshot's day, and its units are compared with the signed ones,
 * cell by cell.  Nothing of the scratch store outlives the call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "files.h"
#include "i18n.h"
#include "id.h"
#include "keys.h"
#include "merge.h"
#include "rollup.h"
#include "snapshot.h"
#include "snapstore.h"
#include "store.h"
#include "tlog.h"
#include "tlogstore.h"
#include "trust.h"

#define SNAP_KEEP 60		/* own snapshots kept */
#define SNAP_KEEP_IN 30		/* of each hub below, but those that differ */
#define DIFF_KEEP 1000		/* differences kept per snapshot */
#define BATCH 4096		/* changes per cds_merge call */
#define CDS_STR2(x) #x
#define CDS_STR(x) CDS_STR2(x)

static void
hex8(const uint8_t id[16], char out[9])
{
	char hex[33];

	cds_id_hex(id, hex);
	memcpy(out, hex + 24, 9);
}

/* Reads a checkpoint signed by pk under `origin` (NULL: the origin its
 * first line names, for a reader who only wants its size and root). */
static int
ckpt_read(const uint8_t *note, size_t n, const uint8_t pk[32],
	  const char *origin, struct cds_checkpoint *c, char *err,
	  size_t errlen)
{
	char name[CDS_CKPT_ORIGIN_MAX + 1];
	struct cds_note_key k;
	const uint8_t *nl;

	memset(c, 0, sizeof *c);
	if (origin == NULL) {
		nl = memchr(note, '\n', n < sizeof name ? n : sizeof name);
		if (nl == NULL || nl == note) {
			snprintf(err, errlen, "%s",
				 _("checkpoint: no origin line"));
			return -1;
		}
		memcpy(name, note, (size_t)(nl - note));
		name[nl - note] = '\0';
		origin = name;
	}
	k.name = origin;
	memcpy(k.pk, pk, 32);
	if (cds_checkpoint_read(note, n, &k, 1, c, NULL, err, errlen) != 0)
		return -1;
	if (strcmp(c->origin, origin) != 0) {
		snprintf(err, errlen,
			 _("checkpoint: the log is %s, not the hub's (%s)"),
			 c->origin, origin);
		return -1;
	}
	return 0;
}

/* ==== The catalog's hash ============================================== */

/* BLAKE2b-256 of the catalog file (§10.4) holding every sheet of the
 * store in the order of its issuer. */
static int
catalog_hash(cdsync *db, uint8_t out[32])
{
	crypto_generichash_state h;
	sqlite3_stmt *st;
	uint8_t v[10];
	cds_buf b;
	int64_t n;
	int rc;

	st = cds_prepare(db, "SELECT count(*) FROM trust_sheet");
	if (st == NULL)
		return cds_sqlcode(db);
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (n < 0)
		return cds_sqlerr(db, _("catalog"));
	crypto_generichash_init(&h, NULL, 0, 32);
	cds_buf_init(&b, sizeof v);
	cds_buf_bytes(&b, "CDSA\001", 5);
	cds_buf_varint(&b, (uint64_t)n);
	crypto_generichash_update(&h, b.p, b.n);
	st = cds_prepare(db, "SELECT bytes FROM trust_sheet ORDER BY issuer");
	if (st == NULL) {
		cds_buf_free(&b);
		return cds_sqlcode(db);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int len = sqlite3_column_bytes(st, 0);

		cds_buf_reset(&b);
		cds_buf_varint(&b, (uint64_t)len);
		crypto_generichash_update(&h, b.p, b.n);
		crypto_generichash_update(&h, sqlite3_column_blob(st, 0),
					  (unsigned long long)len);
	}
	sqlite3_finalize(st);
	cds_buf_free(&b);
	if (rc != SQLITE_DONE)
		return cds_sqlerr(db, _("catalog"));
	crypto_generichash_final(&h, out, 32);
	return CDSYNC_OK;
}

/* ==== Making ========================================================== */

struct mk {
	cds_buf *b;
	struct cds_snap_unit u;
};

/* A unit of the rollup as a unit of a snapshot: the fields in the order
 * of SPEC.md §14.3. */
static void
to_unit(struct cds_snap_unit *u, const struct cds_rollup_row *r)
{
	int i;

	memcpy(u->id, r->id, 16);
	memcpy(u->parent, r->parent, 16);
	u->level = (uint8_t)r->level;
	if (r->code != NULL)
		snprintf(u->code, sizeof u->code, "%s", r->code);
	else
		cds_id_hex(r->id, u->code);
	for (i = 0; i < CDS_SNAP_PERIODS; i++) {
		const struct cds_kpi_sums *f = &r->f[i];
		int64_t *c = u->cells + (size_t)i * CDS_SNAP_FIELDS;
		int k;

		for (k = 0; k < CDS_KPI_NUN; k++)
			c[k] = f->un[k];
		c[10] = f->cov[0];
		c[11] = f->cov[1];
		c[12] = f->leg[0];
		c[13] = f->leg[1];
		for (k = 0; k < 4; k++)
			c[14 + k] = f->own[k];
		for (k = 0; k < CDS_KPI_NKIND; k++)
			c[18 + k] = f->kinds[k];
	}
}

static int
put_unit(void *ctx, const struct cds_rollup_row *r)
{
	struct mk *m = ctx;

	to_unit(&m->u, r);
	cds_snap_write_unit(m->b, &m->u);
	return m->b->rc == 0 ? CDSYNC_OK : m->b->rc;
}

/* The units of the rollup's subtree of ?1 (sub), for a query that also
 * names this node (?2) and its union (?3): bind_subtree binds them. */
#define SUBTREE                                                             \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM rollup_unit WHERE id = ?1 " \
	"UNION SELECT u.id FROM rollup_unit u JOIN sub ON u.parent_id = "      \
	"sub.id) "

static void
bind_subtree(cdsync *db, sqlite3_stmt *st, const uint8_t root[16])
{
	sqlite3_bind_blob(st, 1, root, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, db->node_id, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, db->org_id, 16, SQLITE_STATIC);
}

/* The heads: every node whose bundles this store merged, with an org in
 * the subtree of root (per the catalog's org code), and this node's own
 * chain when its org is in it. */
static int
load_heads(cdsync *db, const uint8_t root[16], struct cds_snap_head **out,
	   size_t *n)
{
	struct cds_snap_head *h = NULL, *t;
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	st = cds_prepare(db,
	    SUBTREE
	    "SELECT p.node_id, p.last_seq, p.last_hash FROM sync_peer p JOIN "
	    "org_unit o ON o.code = p.org_code JOIN sub ON sub.id = o.id "
	    "WHERE p.last_seq > 0 AND length(p.last_hash) = 32 "
	    "UNION ALL SELECT ?2, b.seq, b.hash FROM sync_bundle_out b "
	    "WHERE b.seq = (SELECT max(seq) FROM sync_bundle_out) AND "
	    "EXISTS (SELECT 1 FROM sub WHERE id = ?3) ORDER BY 1");
	if (st == NULL)
		return cds_sqlcode(db);
	bind_subtree(db, st, root);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((t = cds_realloc(h, cap * sizeof *h)) == NULL) {
				sqlite3_finalize(st);
				cds_free(h);
				return cds_err(db, CDSYNC_ENOMEM, "%s",
					       _("out of memory"));
			}
			h = t;
		}
		memcpy(h[*n].node, sqlite3_column_blob(st, 0), 16);
		h[*n].seq = (uint64_t)sqlite3_column_int64(st, 1);
		memcpy(h[*n].hash, sqlite3_column_blob(st, 2), 32);
		if (*n > 0 && memcmp(h[*n - 1].node, h[*n].node, 16) == 0)
			continue;	/* this node, also a peer of itself */
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cds_free(h);
		*n = 0;
		return cds_sqlerr(db, _("snapshot"));
	}
	*out = h;
	return CDSYNC_OK;
}

/* The sheets of the catalog whose issuers speak for a union of the
 * subtree of root (this hub's own among them): the editions that enrol
 * its units, carried whole so that a recount uses the same ones.  *mem
 * holds the bytes; free it and *out. */
static int
load_sheets(cdsync *db, const uint8_t root[16], struct cds_snap_sheet **out,
	    size_t *n, uint8_t **mem)
{
	struct cds_snap_sheet *v = NULL;
	uint8_t *m = NULL, *t;
	size_t cap = 0, used = 0, room = 0, i;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*mem = NULL;
	*n = 0;
	st = cds_prepare(db,
	    SUBTREE
	    "SELECT t.bytes FROM trust_sheet t WHERE (t.issuer = ?2 AND "
	    "EXISTS (SELECT 1 FROM sub WHERE id = ?3)) OR EXISTS (SELECT 1 "
	    "FROM sync_peer p JOIN rollup_unit u ON u.code = p.org_code JOIN "
	    "sub ON sub.id = u.id WHERE p.node_id = t.issuer) ORDER BY "
	    "t.issuer");
	if (st == NULL)
		return cds_sqlcode(db);
	bind_subtree(db, st, root);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(st, 0);

		if (*n == cap) {
			struct cds_snap_sheet *w;

			cap = cap ? cap * 2 : 16;
			if ((w = cds_realloc(v, cap * sizeof *v)) == NULL)
				goto oom;
			v = w;
		}
		if (used + len > room) {
			room = (used + len) * 2;
			if ((t = cds_realloc(m, room)) == NULL)
				goto oom;
			m = t;
		}
		if (len > 0 && m != NULL)
			memcpy(m + used, sqlite3_column_blob(st, 0), len);
		v[*n].p = NULL;		/* m may move: set below */
		v[*n].len = len;
		used += len;
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cds_free(v);
		cds_free(m);
		*n = 0;
		return cds_sqlerr(db, _("snapshot"));
	}
	for (i = 0, used = 0; i < *n; used += v[i++].len)
		v[i].p = m + used;
	*out = v;
	*mem = m;
	return CDSYNC_OK;
oom:
	sqlite3_finalize(st);
	cds_free(v);
	cds_free(m);
	*n = 0;
	return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
}

static int
root_of(cdsync *db, const char *org_code, uint8_t root[16], char *code,
	size_t n)
{
	sqlite3_stmt *st;
	int rc;

	if (org_code == NULL) {
		memcpy(root, db->org_id, 16);
		return cds_own_code(db, code, n);
	}
	st = cds_prepare(db, "SELECT id, code FROM org_unit WHERE code = ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_text(st, 1, org_code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 16) {
		memcpy(root, sqlite3_column_blob(st, 0), 16);
		snprintf(code, n, "%s", (const char *)sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
		return CDSYNC_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cds_sqlerr(db, _("snapshot"));
	return cds_err(db, CDSYNC_ENOTFOUND, _("no org unit has the code '%s'"),
		       org_code);
}

static int
one_i64(cdsync *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st = cds_prepare(db, sql);

	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return cds_sqlerr(db, _("snapshot"));
	}
	*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* Inside the transaction: everything but the rollup. */
static int
make_in(cdsync *db, const uint8_t root[16], const char *code, cds_buf *b)
{
	struct cds_snap_head *heads = NULL;
	struct cds_snap_sheet *sheets = NULL;
	struct cds_snap s;
	struct mk *m = NULL;
	uint8_t *note = NULL, *sheet_mem = NULL, hash[32];
	char err[CDS_MSGLEN];
	size_t nheads = 0, nsheets = 0, nunits = 0, i;
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;

	memset(&s, 0, sizeof s);
	if ((rc = one_i64(db, "SELECT (SELECT count(*) FROM rollup_new) + "
			      "(SELECT count(*) FROM rollup_beneficiary) + "
			      "(SELECT count(*) FROM rollup_dirty)",
			  &v)) != CDSYNC_OK)
		return rc;
	if (v > 0)
		return CDSYNC_EBUSY;	/* rows waiting after the rollup */
	if ((rc = one_i64(db, "SELECT count(*) FROM sync_change WHERE via IS "
			      "NULL AND seq > coalesce((SELECT value FROM "
			      "sync_state WHERE key = 'sealed_upto'), 0)",
			  &v)) != CDSYNC_OK)
		return rc;
	if (v > 0)
		return cds_err(db, CDSYNC_EINVAL,
			       _("%lld of this hub's own changes are in no "
				 "bundle yet, so nobody could check the "
				 "figures they are in: seal them first "
				 "('cdsync export', or let the daemon send "
				 "them up)"),
			       (long long)v);
	st = cds_prepare(db, "SELECT value FROM rollup_state WHERE key = "
			     "'tree_day'");
	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_TEXT)
		snprintf(s.day, sizeof s.day, "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (strlen(s.day) != 10)
		return cds_err(db, CDSYNC_ECORRUPT, "%s",
			       _("the rollup kept in the store has no tree "
				 "day: run 'cdsync rollup --full'"));
	memcpy(s.hub, db->node_id, 16);
	memcpy(s.hub_pk, db->sign_pk, 32);
	snprintf(s.org, sizeof s.org, "%s", code);
	if ((rc = catalog_hash(db, s.catalog)) != CDSYNC_OK ||
	    (rc = cdsync_tlog_checkpoint(db, &note, &s.note_len)) != CDSYNC_OK)
		return rc;
	s.note = note;
	for (i = 0; i < CDS_SNAP_PERIODS; i++)
		cds_rollup_period((int)i, s.periods[i]);
	if ((rc = load_heads(db, root, &heads, &nheads)) != CDSYNC_OK ||
	    (rc = load_sheets(db, root, &sheets, &nsheets, &sheet_mem)) !=
		    CDSYNC_OK)
		goto out;
	if ((rc = cds_rollup_each(db->db, root, NULL, NULL, &nunits, err,
				  sizeof err)) != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s", err);
		goto out;
	}
	if (nunits == 0) {
		rc = cds_err(db, CDSYNC_ENOTFOUND,
			     _("the rollup has no figures for '%s' yet: run "
			       "'cdsync rollup'"),
			     code);
		goto out;
	}
	cds_snap_write_head(b, &s, heads, nheads, sheets, nsheets, nunits);
	if ((m = cds_calloc(1, sizeof *m)) == NULL) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	m->b = b;
	rc = cds_rollup_each(db->db, root, put_unit, m, NULL, err, sizeof err);
	if (rc == CDSYNC_OK && b->rc == 0)
		cds_snap_write_end(b, 0, db->sign_sk);
	if (rc == CDSYNC_OK && b->rc != 0)
		rc = cds_err(db, b->rc, "%s",
			     b->rc == CDSYNC_ENOMEM
				     ? _("out of memory")
				     : _("snapshot: a figure cannot be written"));
	else if (rc != CDSYNC_OK && rc != b->rc)
		rc = cds_err(db, rc, "%s", err);
	if (rc != CDSYNC_OK)
		goto out;
	crypto_generichash(hash, 32, b->p, b->n, NULL, 0);
	st = cds_prepare(db, "INSERT OR IGNORE INTO snapshot_own (hash, "
			     "org_code, tree_size, made_ms, bytes) VALUES (?1, "
			     "?2, ?3, ?4, ?5)");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	{
		struct cds_checkpoint th;

		if (ckpt_read(note, s.note_len, s.hub_pk, NULL, &th, err,
			      sizeof err) != 0)
			th.size = 0;
		sqlite3_bind_int64(st, 3, (int64_t)th.size);
	}
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)cds_wall_ms());
	sqlite3_bind_blob(st, 5, b->p, (int)b->n, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("snapshot"));
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK)
		rc = cds_exec(db, "DELETE FROM snapshot_own WHERE hash NOT IN "
				  "(SELECT hash FROM snapshot_own ORDER BY "
				  "made_ms DESC LIMIT " CDS_STR(SNAP_KEEP) ")");
out:
	cds_free(m);
	cds_free(heads);
	cds_free(sheets);
	cds_free(sheet_mem);
	cdsync_free(note);
	return rc;
}

CDSYNC_API int
cdsync_snapshot_make(cdsync *db, const char *org_code, uint8_t **out,
		     size_t *len)
{
	uint8_t root[16];
	char code[CDS_TRUST_STR_MAX + 1], err[CDS_MSGLEN];
	cds_buf b;
	int rc;

	cds_ok(db);
	if (out == NULL || len == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	*out = NULL;
	*len = 0;
	if (db->txdepth > 0)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a snapshot has a transaction of its own: "
				 "not inside cdsync_begin"));
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if (db->role != CDSYNC_ROLE_HUB && db->role != CDSYNC_ROLE_NATIONAL)
		return cds_err(db, CDSYNC_ESCOPE, "%s",
			       _("only a hub makes snapshots: the hub above "
				 "counts a school's figures from its bundles"));
	if ((rc = cds_keys_need(db)) != CDSYNC_OK ||
	    (rc = root_of(db, org_code, root, code, sizeof code)) != CDSYNC_OK)
		return rc;
	cds_buf_init(&b, CDS_SNAP_MAX);
	/* the rollup brought up to date and signed in one write transaction:
	 * nothing can be written between them */
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) == CDSYNC_OK) {
		if ((rc = cds_rollup_in_tx(db->db, err, sizeof err)) !=
		    CDSYNC_OK)
			rc = cds_err(db, rc, "%s", err);
		else
			rc = make_in(db, root, code, &b);
		if (rc == CDSYNC_OK)
			rc = cds_exec(db, "COMMIT");
		if (rc != CDSYNC_OK)
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc == CDSYNC_EBUSY)
		rc = cds_err(db, rc, "%s",
			     _("the store keeps changing: try the snapshot "
			       "again"));
	if (rc != CDSYNC_OK) {
		cds_buf_free(&b);
		return rc;
	}
	*out = b.p;
	*len = b.n;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_snapshot_latest(cdsync *db, uint8_t **out, size_t *len)
{
	sqlite3_stmt *st;
	int rc;

	cds_ok(db);
	*out = NULL;
	*len = 0;
	st = cds_prepare(db, "SELECT bytes FROM snapshot_own ORDER BY made_ms "
			     "DESC LIMIT 1");
	if (st == NULL)
		return cds_sqlcode(db);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if ((*out = cds_malloc(n ? n : 1)) == NULL) {
			sqlite3_finalize(st);
			return cds_err(db, CDSYNC_ENOMEM, "%s",
				       _("out of memory"));
		}
		memcpy(*out, sqlite3_column_blob(st, 0), n);
		*len = n;
		sqlite3_finalize(st);
		return CDSYNC_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cds_sqlerr(db, _("snapshot"));
	return cds_err(db, CDSYNC_ENOTFOUND, "%s",
		       _("this hub has made no snapshot yet"));
}

/* ==== Reading ========================================================= */

static void
fill_info(const struct cds_snap *s, const uint8_t *p, size_t n,
	  cdsync_snapshot_info *out)
{
	struct cds_checkpoint th;
	char e[CDS_MSGLEN];

	memset(out, 0, sizeof *out);
	crypto_generichash(out->hash, 32, p, n, NULL, 0);
	memcpy(out->hub, s->hub, 16);
	snprintf(out->org, sizeof out->org, "%s", s->org);
	memcpy(out->day, s->day, 11);
	out->units = s->nunits;
	out->heads = s->nheads;
	out->sheets = s->nsheets;
	if (ckpt_read(s->note, s->note_len, s->hub_pk, NULL, &th, e,
		      sizeof e) == 0) {
		out->tree_size = th.size;
		memcpy(out->root, th.root, 32);
	}
}

CDSYNC_API int
cdsync_snapshot_read(const uint8_t *p, size_t n, cdsync_snapshot_info *out,
		     char *err, size_t errlen)
{
	struct cds_snap s;
	char e[CDS_MSGLEN];
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = cds_snap_read(p, n, &s, e, sizeof e)) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "%s", e);
		return rc == -2 ? CDSYNC_ENOMEM : CDSYNC_EBADINPUT;
	}
	if ((rc = cds_snap_verify(p, n, &s, e, sizeof e)) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "%s",
				 rc == -2 ? _("out of memory") : e);
		return rc == -2 ? CDSYNC_ENOMEM : CDSYNC_EBADSIG;
	}
	fill_info(&s, p, n, out);
	return CDSYNC_OK;
}

/* ==== Checkpoints of the hubs below =================================== */

struct hub {
	uint8_t node[16];
	uint8_t pk[32];
	char code[CDS_TRUST_STR_MAX + 1];
	char origin[CDS_CKPT_ORIGIN_MAX + 1];
};

/* The hub with node id `node`, as the catalog names it: below this node
 * (above 0), or the hub this node sends to (above 1). */
static int
hub_peer(cdsync *db, const uint8_t node[16], struct hub *h, int above)
{
	sqlite3_stmt *st;
	char n8[9];
	int rc, role, up;

	hex8(node, n8);
	memset(h, 0, sizeof *h);
	memcpy(h->node, node, 16);
	if (memcmp(node, db->node_id, 16) == 0)
		return cds_err(db, CDSYNC_ESCOPE,
			       above ? _("node …%s is this node, not the hub "
					 "above it")
				     : _("node …%s is this node, not a hub "
					 "below it"),
			       n8);
	st = cds_prepare(db, "SELECT sign_pk, org_code, coalesce(role, 0), "
			     "upstream FROM sync_peer WHERE node_id = ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return cds_sqlerr(db, _("snapshot"));
		return cds_err(db, CDSYNC_EUNKNOWNKEY,
			       _("node …%s is not in this node's catalog"), n8);
	}
	memcpy(h->pk, sqlite3_column_blob(st, 0), 32);
	snprintf(h->code, sizeof h->code, "%s",
		 (const char *)sqlite3_column_text(st, 1));
	role = sqlite3_column_int(st, 2);
	up = sqlite3_column_int(st, 3);
	sqlite3_finalize(st);
	if ((role != CDSYNC_ROLE_HUB &&
	     !(above && role == CDSYNC_ROLE_NATIONAL)) ||
	    up != above)
		return cds_err(db, CDSYNC_ESCOPE,
			       above ? _("%s (…%s) is not the hub above this "
					 "node")
				     : _("%s (…%s) is not a hub below this "
					 "node"),
			       h->code, n8);
	if (cds_tlog_origin(h->origin, h->code, node) != 0)
		return cds_err(db, CDSYNC_ECORRUPT, "%s",
			       _("the catalog has a bad org code"));
	return CDSYNC_OK;
}

static int
hub_below(cdsync *db, const uint8_t node[16], struct hub *h)
{
	return hub_peer(db, node, h, 0);
}

/* The newest checkpoint taken of hub `node`: 1 found, 0 none, < 0 an
 * error code negated. */
static int
held_of(cdsync *db, const uint8_t node[16], uint64_t *size, uint8_t **note,
	size_t *len)
{
	sqlite3_stmt *st;
	int rc;

	*size = 0;
	*note = NULL;
	*len = 0;
	st = cds_prepare(db, "SELECT size, note FROM tlog_peer WHERE node_id = "
			     "?1 ORDER BY size DESC LIMIT 1");
	if (st == NULL)
		return -CDSYNC_ERROR;
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		*len = (size_t)sqlite3_column_bytes(st, 1);
		if ((*note = cds_malloc(*len + 1)) == NULL) {
			sqlite3_finalize(st);
			return -cds_err(db, CDSYNC_ENOMEM, "%s",
					_("out of memory"));
		}
		memcpy(*note, sqlite3_column_blob(st, 1), *len);
		sqlite3_finalize(st);
		return 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -cds_sqlerr(db, _("snapshot"));
}

CDSYNC_API int
cdsync_checkpoint_take(cdsync *db, const uint8_t *file, size_t len,
		       uint64_t *held_out)
{
	struct cds_checkpoint c;

	return cds_peer_checkpoint_take(db, file, len, 0, held_out, &c);
}

int
cds_peer_checkpoint_take(cdsync *db, const uint8_t *file, size_t len,
			 int above, uint64_t *held_out, struct cds_checkpoint *out)
{
	struct cds_checkpoint old, c;
	struct cds_tlog_file f;
	struct cds_note_key k;
	struct hub h;
	uint8_t node[16], *held = NULL;
	uint64_t hsize = 0;
	size_t hlen = 0;
	char e[CDS_MSGLEN];
	sqlite3_stmt *st;
	int rc, have;

	cds_ok(db);
	if (held_out != NULL)
		*held_out = 0;
	if (file == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if (cds_tlog_consistency_read(file, len, &f, e, sizeof e) != 0)
		return cds_err(db, CDSYNC_EBADINPUT, "%s", e);
	if (cds_tlog_origin_node(f.ckpt, f.ckpt_len, node) != 0)
		return cds_err(db, CDSYNC_EBADINPUT, "%s",
			       _("checkpoint line 1: not the origin of a "
				 "cdsync hub's log"));
	if ((rc = hub_peer(db, node, &h, above)) != CDSYNC_OK)
		return rc;
	if ((have = held_of(db, node, &hsize, &held, &hlen)) < 0)
		return -have;
	if (held_out != NULL)
		*held_out = hsize;
	if (f.at != hsize) {
		cds_free(held);
		return cds_err(db, CDSYNC_EINVAL,
			       _("this node holds the checkpoint of size %llu "
				 "of %s's log: the consistency proof must be "
				 "from that size, not from %llu"),
			       (unsigned long long)hsize, h.code,
			       (unsigned long long)f.at);
	}
	k.name = h.origin;
	memcpy(k.pk, h.pk, 32);
	if (!have || hsize == 0) {	/* an empty tree proves nothing */
		rc = ckpt_read(f.ckpt, f.ckpt_len, h.pk, h.origin, &c, e,
			       sizeof e);
	} else {
		rc = cds_checkpoint_read(held, hlen, &k, 1, &old, NULL, e,
					 sizeof e);
		if (rc == 0)
			rc = cds_tlog_consistency_check(file, len, &k, 1, &old,
							&c, NULL, e, sizeof e);
	}
	cds_free(held);
	if (rc != 0)
		return cds_err(db, CDSYNC_EBADSIG, _("%s's checkpoint: %s"),
			       h.code, e);
	st = cds_prepare(db, "INSERT OR IGNORE INTO tlog_peer (node_id, size, "
			     "root, note, taken_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)c.size);
	sqlite3_bind_blob(st, 3, c.root, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, f.ckpt, (int)f.ckpt_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)cds_wall_ms());
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("snapshot"));
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK && held_out != NULL)
		*held_out = c.size;
	if (rc == CDSYNC_OK)
		*out = c;
	return rc;
}

/* ==== Taking a snapshot from below ==================================== */

static int with_carried(cdsync *db, cdsync *sc, const uint8_t *p,
			const struct cds_snap *s, const uint8_t (*units)[16],
			size_t nu, const uint8_t (*nodes)[16], size_t nn);

/* Reads and checks a snapshot of a hub below: layout, signer, signature,
 * the sheets it carries (they chain to this node's root), checkpoint (of
 * its log, one taken), root.  *h is the hub. */
static int
snap_check_sig(cdsync *db, const uint8_t *p, size_t n, struct cds_snap *s,
	       struct hub *h, struct cds_checkpoint *c)
{
	char e[CDS_MSGLEN];
	sqlite3_stmt *st;
	int rc, found;

	if ((rc = cds_snap_read(p, n, s, e, sizeof e)) != 0)
		return cds_err(db, rc == -2 ? CDSYNC_ENOMEM : CDSYNC_EBADINPUT,
			       "%s", e);
	if ((rc = hub_below(db, s->hub, h)) != CDSYNC_OK)
		return rc;
	if (memcmp(h->pk, s->hub_pk, 32) != 0)
		return cds_err(db, CDSYNC_EUNKNOWNKEY,
			       _("snapshot: signed with a key that is not "
				 "%s's key in the catalog"),
			       h->code);
	if ((rc = cds_snap_verify(p, n, s, e, sizeof e)) != 0)
		return rc == -2 ? cds_err(db, CDSYNC_ENOMEM, "%s",
					  _("out of memory"))
				: cds_err(db, CDSYNC_EBADSIG, "%s", e);
	if (ckpt_read(s->note, s->note_len, s->hub_pk, h->origin, c, e,
		      sizeof e) != 0)
		return cds_err(db, CDSYNC_EBADSIG, _("snapshot: %s"), e);
	if (strcmp(s->org, h->code) != 0)
		return cds_err(db, CDSYNC_ESCOPE,
			       _("snapshot: %s signed the figures of %s, not "
				 "of its own union"),
			       h->code, s->org);
	if (s->nsheets > 0 &&
	    (rc = with_carried(db, NULL, p, s, NULL, 0, NULL, 0)) != CDSYNC_OK)
		return rc;
	st = cds_prepare(db, "SELECT root = ?3 FROM tlog_peer WHERE node_id = "
			     "?1 AND size = ?2");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, s->hub, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)c->size);
	sqlite3_bind_blob(st, 3, c->root, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	found = rc == SQLITE_ROW ? 1 + sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cds_sqlerr(db, _("snapshot"));
	if (found == 1)
		return cds_err(db, CDSYNC_EBADSIG,
			       _("snapshot: %s's checkpoint of size %llu has "
				 "another root than the one taken before: two "
				 "views of one log"),
			       h->code, (unsigned long long)c->size);
	if (found == 0)
		return cds_err(db, CDSYNC_EGAP,
			       _("snapshot: %s's checkpoint of size %llu was "
				 "not taken here first (its consistency proof "
				 "goes before the snapshot)"),
			       h->code, (unsigned long long)c->size);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_snapshot_take(cdsync *db, const uint8_t *p, size_t n,
		     uint8_t hash_out[32])
{
	struct cds_checkpoint c;
	struct cds_snap s;
	struct hub h;
	uint8_t hash[32];
	sqlite3_stmt *st;
	int rc;

	cds_ok(db);
	memset(&c, 0, sizeof c);
	if (p == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	if ((rc = cds_need_node(db)) != CDSYNC_OK ||
	    (rc = snap_check_sig(db, p, n, &s, &h, &c)) != CDSYNC_OK)
		return rc;
	crypto_generichash(hash, 32, p, n, NULL, 0);
	if (hash_out != NULL)
		memcpy(hash_out, hash, 32);
	st = cds_prepare(db, "INSERT OR IGNORE INTO snapshot_in (hash, hub_id, "
			     "org_code, tree_size, taken_ms, bytes) VALUES (?1, "
			     "?2, ?3, ?4, ?5, ?6)");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, s.hub, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s.org, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)c.size);
	sqlite3_bind_int64(st, 5, (int64_t)cds_wall_ms());
	sqlite3_bind_blob(st, 6, p, (int)n, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return cds_sqlerr(db, _("snapshot"));
	}
	sqlite3_finalize(st);
	if (sqlite3_changes(db->db) == 0)
		return cds_err(db, CDSYNC_EREPLAY, "%s",
			       _("this snapshot was taken before"));
	/* a hub signs one a night: the newest are kept, and every one that
	 * differed (evidence) */
	st = cds_prepare(db, "DELETE FROM snapshot_in WHERE hub_id = ?1 AND "
			     "state <> 'differs' AND hash NOT IN (SELECT hash "
			     "FROM snapshot_in WHERE hub_id = ?1 ORDER BY "
			     "tree_size DESC, taken_ms DESC LIMIT ?2)");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, s.hub, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, SNAP_KEEP_IN);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("snapshot"));
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK)
		rc = cds_exec(db, "DELETE FROM snapshot_diff WHERE hash NOT IN "
				  "(SELECT hash FROM snapshot_in)");
	return rc;
}

/* ==== Checking: the recompute ========================================= */

/* Every bundle a head names must be merged here with the hash named;
 * else *why says which is missing (1) or another (2).  0: all here. */
static int
heads_here(cdsync *db, const struct cds_snap *s, char *why, size_t n,
	   int *state)
{
	struct cds_snap_head hd;
	sqlite3_stmt *st;
	char n8[9];
	size_t i;
	int rc;

	*state = 0;
	st = cds_prepare(db, "SELECT b.hash, coalesce((SELECT org_code FROM "
			     "sync_peer WHERE node_id = ?1), '') FROM "
			     "sync_bundle_in b WHERE b.node_id = ?1 AND b.seq "
			     "= ?2 AND b.status = 'merged'");
	if (st == NULL)
		return cds_sqlcode(db);
	for (i = 0; i < s->nheads && *state == 0; i++) {
		cds_snap_head_at(s, i, &hd);
		hex8(hd.node, n8);
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, hd.node, 16, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (int64_t)hd.seq);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			snprintf(why, n,
				 _("bundle %llu of node …%s is not merged here "
				   "yet"),
				 (unsigned long long)hd.seq, n8);
			*state = 1;
		} else if (rc != SQLITE_ROW) {
			sqlite3_finalize(st);
			return cds_sqlerr(db, _("snapshot"));
		} else if (sqlite3_column_bytes(st, 0) != 32 ||
			   memcmp(sqlite3_column_blob(st, 0), hd.hash, 32) !=
				   0) {
			snprintf(why, n,
				 _("bundle %llu of %s (…%s) is not the one "
				   "merged here: the snapshot was computed "
				   "from another bundle of that number"),
				 (unsigned long long)hd.seq,
				 (const char *)sqlite3_column_text(st, 1), n8);
			*state = 2;
		}
	}
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* A batch of changes read from the log, their column sets copied. */
struct batch {
	struct cds_change ch[BATCH];
	size_t n;
	uint8_t *mem;
	size_t used, cap;
	size_t at[BATCH];	/* offsets of the column sets in mem */
};

static int
flush(cdsync *sc, struct batch *b)
{
	struct cds_merge_stats ms;
	size_t i;
	int rc;

	memset(&ms, 0, sizeof ms);
	for (i = 0; i < b->n; i++)
		if (b->ch[i].op == CDS_OP_SET)
			b->ch[i].cols = b->mem + b->at[i];
	rc = cds_merge(sc, b->ch, b->n, 1, &ms);
	b->n = 0;
	b->used = 0;
	return rc;
}

/* Adds id to the growing list *v of *n (capacity *cap); -1 out of
 * memory. */
static int
add_id(uint8_t (**v)[16], size_t *n, size_t *cap, const uint8_t id[16])
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		uint8_t(*m)[16] = cds_realloc(*v, c * sizeof **v);

		if (m == NULL)
			return -1;
		*v = m;
		*cap = c;
	}
	memcpy((*v)[(*n)++], id, 16);
	return 0;
}

/* cds_catalog_copy_some with the sheets snapshot p carries (sc NULL:
 * only that they chain to this node's root). */
static int
with_carried(cdsync *db, cdsync *sc, const uint8_t *p,
	     const struct cds_snap *s, const uint8_t (*units)[16], size_t nu,
	     const uint8_t (*nodes)[16], size_t nn)
{
	struct cds_snap_sheet sh;
	const uint8_t **xs = NULL;
	size_t *xlen = NULL, i, off;
	int rc;

	if (s->nsheets > 0 &&
	    ((xs = cds_calloc(s->nsheets, sizeof *xs)) == NULL ||
	     (xlen = cds_calloc(s->nsheets, sizeof *xlen)) == NULL)) {
		cds_free(xs);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	for (i = 0, off = s->sheets_at; i < s->nsheets; i++) {
		cds_snap_sheet_next(p, s, &off, &sh);
		xs[i] = sh.p;
		xlen[i] = sh.len;
	}
	rc = cds_catalog_copy_some(db, sc, units, nu, nodes, nn,
				   (const uint8_t *const *)xs, xlen,
				   s->nsheets);
	cds_free(xs);
	cds_free(xlen);
	return rc;
}

int
cds_snapshot_copy_catalog(cdsync *db, cdsync *sc, const uint8_t *p,
			  const struct cds_snap *s)
{
	struct cds_snap_head hd;
	struct cds_snap_unit u;
	uint8_t(*units)[16] = NULL, (*nodes)[16] = NULL, id[16];
	size_t nu = 0, cu = 0, nn = 0, cn = 0, i, off = s->units_at;
	sqlite3_stmt *st = NULL;
	char e[CDS_MSGLEN];
	int rc = CDSYNC_OK, r;

	/* the snapshot's union, every union it lists, every union the
	 * changes counted name, and the senders of the bundles */
	cds_id_name("cdsync.org.v1", s->org, id);
	if (add_id(&units, &nu, &cu, id) != 0)
		goto oom;
	while ((r = cds_snap_next(p, s, &off, &u, e, sizeof e)) > 0)
		if (add_id(&units, &nu, &cu, u.id) != 0)
			goto oom;
	if (r < 0) {
		rc = cds_err(db, CDSYNC_EBADINPUT, "%s", e);
		goto out;
	}
	if (sqlite3_prepare_v2(sc->db, "SELECT id FROM org_unit", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = cds_err(db, cds_sqlerr(sc, "org_unit"), "%s",
			     cdsync_errmsg(sc));
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == 16 &&
		    add_id(&units, &nu, &cu, sqlite3_column_blob(st, 0)) != 0)
			goto oom;
	if (r != SQLITE_DONE) {
		rc = cds_err(db, cds_sqlerr(sc, "org_unit"), "%s",
			     cdsync_errmsg(sc));
		goto out;
	}
	for (i = 0; i < s->nheads; i++) {
		cds_snap_head_at(s, i, &hd);
		if (add_id(&nodes, &nn, &cn, hd.node) != 0)
			goto oom;
	}
	rc = with_carried(db, sc, p, s, (const uint8_t(*)[16])units, nu,
			  (const uint8_t(*)[16])nodes, nn);
	goto out;
oom:
	rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
out:
	sqlite3_finalize(st);
	cds_free(units);
	cds_free(nodes);
	return rc;
}

/* The changes of the bundles the heads name, then the part of the
 * catalog their tree needs, from db into the scratch store sc. */
static int
fill_scratch(cdsync *db, cdsync *sc, const uint8_t *p,
	     const struct cds_snap *s)
{
	struct cds_snap_head hd;
	struct batch *b;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, step;

	if ((b = cds_calloc(1, sizeof *b)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	st = cds_prepare(db, "SELECT c.tbl, c.rid, c.op, c.hlc, n.node_id, "
			     "c.base, c.vals FROM sync_change c JOIN sync_node "
			     "n ON n.idx = c.node WHERE c.via IN (SELECT id "
			     "FROM sync_bundle_in WHERE node_id = ?1 AND seq "
			     "<= ?2 AND status = 'merged') ORDER BY c.seq");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	if ((rc = cds_merge_begin(sc)) != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s", cdsync_errmsg(sc));
		goto out;
	}
	for (i = 0; i < s->nheads && rc == CDSYNC_OK; i++) {
		cds_snap_head_at(s, i, &hd);
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, hd.node, 16, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (int64_t)hd.seq);
		while (rc == CDSYNC_OK &&
		       (step = sqlite3_step(st)) == SQLITE_ROW) {
			struct cds_change *c = &b->ch[b->n];
			size_t vl = (size_t)sqlite3_column_bytes(st, 6);

			if (b->used + vl > b->cap) {
				size_t cap = (b->used + vl) * 2 + 65536;
				uint8_t *m = cds_realloc(b->mem, cap);

				if (m == NULL) {
					rc = cds_err(db, CDSYNC_ENOMEM, "%s",
						     _("out of memory"));
					break;
				}
				b->mem = m;
				b->cap = cap;
			}
			memset(c, 0, sizeof *c);
			c->kind = (uint8_t)sqlite3_column_int(st, 0);
			memcpy(c->row, sqlite3_column_blob(st, 1), 16);
			c->op = (uint8_t)sqlite3_column_int(st, 2);
			c->hlc = (uint64_t)sqlite3_column_int64(st, 3);
			memcpy(c->origin, sqlite3_column_blob(st, 4), 16);
			c->base = (uint64_t)sqlite3_column_int64(st, 5);
			if (c->op == CDS_OP_SET && vl > 0)
				memcpy(b->mem + b->used,
				       sqlite3_column_blob(st, 6), vl);
			b->at[b->n] = b->used;
			c->ncols = vl;
			b->used += vl;
			if (++b->n == BATCH && (rc = flush(sc, b)) != CDSYNC_OK)
				rc = cds_err(db, rc, "%s", cdsync_errmsg(sc));
		}
		if (rc == CDSYNC_OK && step != SQLITE_DONE)
			rc = cds_sqlerr(db, _("change log"));
	}
	if (rc == CDSYNC_OK && b->n > 0 && (rc = flush(sc, b)) != CDSYNC_OK)
		rc = cds_err(db, rc, "%s", cdsync_errmsg(sc));
	if (rc == CDSYNC_OK && (rc = cds_merge_commit(sc)) != CDSYNC_OK)
		rc = cds_err(db, rc, "%s", cdsync_errmsg(sc));
	if (rc != CDSYNC_OK)
		cds_merge_rollback(sc);
	if (rc == CDSYNC_OK)
		rc = cds_snapshot_copy_catalog(db, sc, p, s);
out:
	sqlite3_finalize(st);
	cds_free(b->mem);
	cds_free(b);
	return rc;
}

/* Comparing the units computed with the ones signed, both in id order. */
struct cmp {
	cdsync *db;
	const uint8_t *p;
	const struct cds_snap *s;
	size_t off;			/* next signed unit */
	int more;			/* *u holds a signed unit not yet used */
	struct cds_snap_unit u;		/* the signed one */
	struct cds_snap_unit mine;	/* the computed one */
	cds_snap_diff_fn fn;		/* each cell that differs */
	void *ctx;
	size_t ndiff;
	int rc;
};

static int
diff(struct cmp *m, const char *unit, size_t cell, int64_t theirs,
     int64_t ours)
{
	m->ndiff++;
	return m->fn(m->ctx, unit, m->s->periods[cell / CDS_SNAP_FIELDS],
		     cds_snap_field((int)(cell % CDS_SNAP_FIELDS)), theirs,
		     ours);
}

/* What the hub above keeps of a difference (snapshot_diff). */
struct keep {
	cdsync *db;
	const uint8_t *hash;
	size_t n;
	char first[256];
};

static int
keep_diff(void *ctx, const char *unit, const char *period, const char *field,
	  int64_t theirs, int64_t ours)
{
	struct keep *k = ctx;
	sqlite3_stmt *st;
	int rc;

	if (k->n == 0)
		snprintf(k->first, sizeof k->first,
			 _("%s, %s, %s: signed %lld, computed %lld"), unit,
			 period, field, (long long)theirs, (long long)ours);
	if (k->n++ >= DIFF_KEEP)
		return CDSYNC_OK;
	st = cds_prepare(k->db, "INSERT INTO snapshot_diff (hash, n, unit, "
				"period, field, signed, computed) VALUES (?1, "
				"?2, ?3, ?4, ?5, ?6, ?7)");
	if (st == NULL)
		return cds_sqlcode(k->db);
	sqlite3_bind_blob(st, 1, k->hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)k->n);
	sqlite3_bind_text(st, 3, unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, field, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, theirs);
	sqlite3_bind_int64(st, 7, ours);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(k->db, _("snapshot"));
	sqlite3_finalize(st);
	return rc;
}

/* Compares a (signed, computed) pair; either may be NULL (missing: all
 * zero). */
static int
cmp_cells(struct cmp *m, const char *code, const struct cds_snap_unit *a,
	  const struct cds_snap_unit *b)
{
	size_t i;

	for (i = 0; i < CDS_SNAP_CELLS; i++) {
		int64_t x = a != NULL ? a->cells[i] : 0;
		int64_t y = b != NULL ? b->cells[i] : 0;
		int rc;

		if (x != y && (rc = diff(m, code, i, x, y)) != CDSYNC_OK)
			return rc;
	}
	return CDSYNC_OK;
}

/* Advances the signed side: 1 a unit in m->u, 0 none left, < 0 error. */
static int
next_signed(struct cmp *m)
{
	char e[CDS_MSGLEN];
	int r;

	if (m->more)
		return 1;
	r = cds_snap_next(m->p, m->s, &m->off, &m->u, e, sizeof e);
	if (r < 0)
		return -cds_err(m->db, CDSYNC_EBADINPUT, "%s", e);
	m->more = r;
	return r;
}

static int
cmp_unit(void *ctx, const struct cds_rollup_row *r)
{
	struct cmp *m = ctx;
	int rc, k;

	to_unit(&m->mine, r);
	for (;;) {
		if ((k = next_signed(m)) < 0)
			return -k;
		if (k == 0 || memcmp(m->u.id, m->mine.id, 16) > 0)
			return cmp_cells(m, m->mine.code, NULL, &m->mine);
		m->more = 0;
		if (memcmp(m->u.id, m->mine.id, 16) == 0)
			return cmp_cells(m, m->mine.code, &m->u, &m->mine);
		if ((rc = cmp_cells(m, m->u.code, &m->u, NULL)) != CDSYNC_OK)
			return rc;
	}
}

static int
set_state(cdsync *db, const uint8_t hash[32], const char *state,
	  size_t ndiff, const char *note)
{
	sqlite3_stmt *st;
	int rc;

	/* a snapshot still waiting for the same bundle is left as it was:
	 * the daemon looks every few seconds */
	st = cds_prepare(db, "UPDATE snapshot_in SET state = ?2, ndiff = ?3, "
			     "note = ?4, checked_ms = ?5 WHERE hash = ?1 AND "
			     "(state IS NOT ?2 OR ndiff IS NOT ?3 OR note IS "
			     "NOT ?4 OR ?2 NOT IN ('waiting'))");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)ndiff);
	if (note != NULL && note[0] != '\0')
		sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)cds_wall_ms());
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("snapshot"));
	sqlite3_finalize(st);
	return rc;
}

int
cds_snapshot_recount(cdsync *db, cdsync *sc, const uint8_t *p,
		     const struct cds_snap *s, cds_snap_diff_fn fn, void *ctx,
		     size_t *ndiff)
{
	struct cmp *m = NULL;
	uint8_t root[16];
	char err[CDS_MSGLEN];
	int rc, k;

	*ndiff = 0;
	if ((rc = cds_rollup_run_day(sc->db, 1, s->day, NULL, NULL, NULL, err,
				     sizeof err)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", err);
	if ((m = cds_calloc(1, sizeof *m)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	m->db = db;
	m->p = p;
	m->s = s;
	m->off = s->units_at;
	m->fn = fn;
	m->ctx = ctx;
	cds_id_name("cdsync.org.v1", s->org, root);
	db->msg[0] = '\0';
	rc = cds_rollup_each(sc->db, root, cmp_unit, m, NULL, err, sizeof err);
	if (rc != CDSYNC_OK && db->msg[0] == '\0')
		rc = cds_err(db, rc, "%s", err);
	while (rc == CDSYNC_OK && (k = next_signed(m)) != 0) {
		if (k < 0) {
			rc = -k;
			break;
		}
		m->more = 0;
		rc = cmp_cells(m, m->u.code, &m->u, NULL);
	}
	*ndiff = m->ndiff;
	cds_free(m);
	return rc;
}

/* Recomputes the snapshot p[0..n) (read as *s) and records the result. */
static int
recompute(cdsync *db, const uint8_t hash[32], const uint8_t *p,
	  const struct cds_snap *s)
{
	struct keep k;
	cdsync *sc = NULL;
	size_t ndiff = 0;
	int rc;

	memset(&k, 0, sizeof k);
	k.db = db;
	k.hash = hash;
	if ((rc = cdsync_open("", CDSYNC_OPEN_CREATE, &sc)) != CDSYNC_OK) {
		rc = cds_err(db, rc, _("the scratch store of the recompute: %s"),
			     sc != NULL ? cdsync_errmsg(sc) : "");
		goto out;
	}
	if ((rc = cds_exec(sc, "PRAGMA synchronous = OFF")) != CDSYNC_OK ||
	    (rc = fill_scratch(db, sc, p, s)) != CDSYNC_OK)
		goto out;
	if ((rc = cds_exec(db, "SAVEPOINT snapcheck")) != CDSYNC_OK)
		goto out;
	{
		sqlite3_stmt *st = cds_prepare(db, "DELETE FROM snapshot_diff "
						   "WHERE hash = ?1");

		if (st == NULL) {
			rc = cds_sqlcode(db);
			goto undo;
		}
		sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE
			     ? CDSYNC_OK
			     : cds_sqlerr(db, _("snapshot"));
		sqlite3_finalize(st);
		if (rc != CDSYNC_OK)
			goto undo;
	}
	rc = cds_snapshot_recount(db, sc, p, s, keep_diff, &k, &ndiff);
	if (rc == CDSYNC_OK)
		rc = set_state(db, hash, ndiff ? "differs" : "same", ndiff,
			       k.first);
undo:
	if (rc == CDSYNC_OK)
		rc = cds_exec(db, "RELEASE snapcheck");
	if (rc != CDSYNC_OK)
		sqlite3_exec(db->db, "ROLLBACK TO snapcheck; RELEASE snapcheck",
			     NULL, NULL, NULL);
out:
	cdsync_close(sc);
	return rc;
}

static const char *const states[] = { "new", "waiting", "same", "differs" };

static int
state_of(const unsigned char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (s != NULL && strcmp((const char *)s, states[i]) == 0)
			return i;
	return 0;
}

/* The row of snapshot_in for hash (or the i-th newest when hash is NULL)
 * into *out; its bytes into *bytes when not NULL.  CDSYNC_ENOTFOUND. */
static int
load_in(cdsync *db, const uint8_t *hash, size_t i, cdsync_snapshot_info *out,
	uint8_t **bytes, size_t *len)
{
	struct cds_snap s;
	sqlite3_stmt *st;
	char e[CDS_MSGLEN];
	int rc, k = 0;

	st = cds_prepare(db, hash != NULL
				     ? "SELECT bytes, state, ndiff, note, "
				       "taken_ms, checked_ms, coalesce((SELECT "
				       "org_code FROM sync_peer WHERE node_id = "
				       "hub_id), '') FROM snapshot_in WHERE hash "
				       "= ?1"
				     : "SELECT bytes, state, ndiff, note, "
				       "taken_ms, checked_ms, coalesce((SELECT "
				       "org_code FROM sync_peer WHERE node_id = "
				       "hub_id), '') FROM snapshot_in ORDER BY "
				       "taken_ms DESC, hash LIMIT 1 OFFSET ?2");
	if (st == NULL)
		return cds_sqlcode(db);
	if (hash != NULL)
		sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, (int64_t)i);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return cds_sqlerr(db, _("snapshot"));
		return hash != NULL
			       ? cds_err(db, CDSYNC_ENOTFOUND, "%s",
					 _("no snapshot with that hash was "
					   "taken here"))
			       : CDSYNC_ENOTFOUND;
	}
	{
		const uint8_t *p = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (p == NULL ||
		    (k = cds_snap_read(p, n, &s, e, sizeof e)) != 0) {
			sqlite3_finalize(st);
			return cds_err(db, k == -2 ? CDSYNC_ENOMEM
						   : CDSYNC_ECORRUPT,
				       _("a snapshot kept here does not read: "
					 "%s"),
				       p == NULL ? "" : e);
		}
		fill_info(&s, p, n, out);
		if (bytes != NULL) {
			if ((*bytes = cds_malloc(n)) == NULL) {
				sqlite3_finalize(st);
				return cds_err(db, CDSYNC_ENOMEM, "%s",
					       _("out of memory"));
			}
			memcpy(*bytes, p, n);
			*len = n;
		}
	}
	out->state = state_of(sqlite3_column_text(st, 1));
	out->ndiff = (size_t)sqlite3_column_int64(st, 2);
	if (sqlite3_column_type(st, 3) == SQLITE_TEXT)
		snprintf(out->note, sizeof out->note, "%s",
			 (const char *)sqlite3_column_text(st, 3));
	out->taken_ms = sqlite3_column_int64(st, 4);
	out->checked_ms = sqlite3_column_int64(st, 5);
	snprintf(out->hub_code, sizeof out->hub_code, "%s",
		 (const char *)sqlite3_column_text(st, 6));
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_snapshot_check(cdsync *db, const uint8_t hash[32],
		      cdsync_snapshot_info *out)
{
	cdsync_snapshot_info info;
	struct cds_snap s;
	uint8_t *p = NULL;
	size_t n = 0;
	char why[CDS_MSGLEN], e[CDS_MSGLEN];
	int rc, state, k = 0;

	cds_ok(db);
	if (hash == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	if (db->txdepth > 0)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a snapshot check has a transaction of its "
				 "own: not inside cdsync_begin"));
	if ((rc = load_in(db, hash, 0, &info, &p, &n)) != CDSYNC_OK)
		return rc;
	if ((k = cds_snap_read(p, n, &s, e, sizeof e)) != 0) {
		cds_free(p);
		return cds_err(db, k == -2 ? CDSYNC_ENOMEM : CDSYNC_ECORRUPT,
			       "%s", e);
	}
	why[0] = '\0';
	if ((rc = cds_exec(db, "BEGIN")) != CDSYNC_OK)
		goto out;
	rc = heads_here(db, &s, why, sizeof why, &state);
	if (rc == CDSYNC_OK && state != 0)
		rc = set_state(db, hash, state == 1 ? "waiting" : "differs", 0,
			       why);
	else if (rc == CDSYNC_OK)
		rc = recompute(db, hash, p, &s);
	/* what it found, read before the commit: a failure to read it
	 * then undoes the check, which is said, rather than leave a check
	 * done and reported failed */
	if (rc == CDSYNC_OK && out != NULL)
		rc = load_in(db, hash, 0, out, NULL, NULL);
	if (rc == CDSYNC_OK)
		rc = cds_exec(db, "COMMIT");
	if (rc != CDSYNC_OK)
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
out:
	cds_free(p);
	return rc;
}

CDSYNC_API int
cdsync_snapshot_check_all(cdsync *db, size_t *checked, size_t *differ)
{
	cdsync_snapshot_info info;
	uint8_t (*hashes)[32] = NULL, (*t)[32];
	sqlite3_stmt *st;
	size_t n = 0, cap = 0, i;
	int rc = CDSYNC_OK, step;

	cds_ok(db);
	if (checked != NULL)
		*checked = 0;
	if (differ != NULL)
		*differ = 0;
	st = cds_prepare(db, "SELECT hash FROM snapshot_in WHERE state IN "
			     "('new', 'waiting') ORDER BY taken_ms, hash");
	if (st == NULL)
		return cds_sqlcode(db);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((t = cds_realloc(hashes, cap * 32)) == NULL) {
				sqlite3_finalize(st);
				cds_free(hashes);
				return cds_err(db, CDSYNC_ENOMEM, "%s",
					       _("out of memory"));
			}
			hashes = t;
		}
		memcpy(hashes[n++], sqlite3_column_blob(st, 0), 32);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		cds_free(hashes);
		return cds_sqlerr(db, _("snapshot"));
	}
	for (i = 0; i < n && rc == CDSYNC_OK; i++) {
		rc = cdsync_snapshot_check(db, hashes[i], &info);
		if (rc == CDSYNC_OK && checked != NULL &&
		    info.state != CDSYNC_SNAP_WAITING)
			(*checked)++;
		if (rc == CDSYNC_OK && differ != NULL &&
		    info.state == CDSYNC_SNAP_DIFFERS)
			(*differ)++;
	}
	cds_free(hashes);
	return rc;
}

CDSYNC_API int
cdsync_snapshot_counts(cdsync *db, size_t counts[4])
{
	sqlite3_stmt *st;
	int rc;

	cds_ok(db);
	memset(counts, 0, 4 * sizeof *counts);
	st = cds_prepare(db, "SELECT state, count(*) FROM snapshot_in GROUP BY "
			     "state");
	if (st == NULL)
		return cds_sqlcode(db);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		counts[state_of(sqlite3_column_text(st, 0))] +=
			(size_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CDSYNC_OK : cds_sqlerr(db, _("snapshot"));
}

CDSYNC_API int
cdsync_snapshot_at(cdsync *db, size_t i, cdsync_snapshot_info *out)
{
	cds_ok(db);
	if (out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	memset(out, 0, sizeof *out);
	return load_in(db, NULL, i, out, NULL, NULL);
}

CDSYNC_API int
cdsync_snapshot_diff_at(cdsync *db, const uint8_t hash[32], size_t i,
			cdsync_snapshot_diff *out)
{
	sqlite3_stmt *st;
	int rc;

	cds_ok(db);
	if (hash == NULL || out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	memset(out, 0, sizeof *out);
	st = cds_prepare(db, "SELECT unit, period, field, signed, computed "
			     "FROM snapshot_diff WHERE hash = ?1 ORDER BY n "
			     "LIMIT 1 OFFSET ?2");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)i);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out->unit, sizeof out->unit, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(out->period, sizeof out->period, "%s",
			 (const char *)sqlite3_column_text(st, 1));
		snprintf(out->field, sizeof out->field, "%s",
			 (const char *)sqlite3_column_text(st, 2));
		out->signed_value = sqlite3_column_int64(st, 3);
		out->computed = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return CDSYNC_OK;
	return rc == SQLITE_DONE ? CDSYNC_ENOTFOUND
				 : cds_sqlerr(db, _("snapshot"));
}

CDSYNC_API int
cdsync_snapshot_proof(cdsync *db, const uint8_t *snapshot, size_t len,
		      uint64_t old, uint8_t **file, size_t *file_len)
{
	struct cds_snap s;
	char e[CDS_MSGLEN];
	int rc, k = 0;

	cds_ok(db);
	if (snapshot == NULL || file == NULL || file_len == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	*file = NULL;
	*file_len = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if ((k = cds_snap_read(snapshot, len, &s, e, sizeof e)) != 0)
		return cds_err(db, k == -2 ? CDSYNC_ENOMEM : CDSYNC_EBADINPUT,
			       "%s", e);
	if (memcmp(s.hub, db->node_id, 16) != 0)
		return cds_err(db, CDSYNC_ESCOPE, "%s",
			       _("snapshot: signed by another hub"));
	return cds_tlog_store_consistency_to(db, old, s.note, s.note_len, file,
					     file_len);
}

/* ==== Files (export, import) ========================================== */

int
cds_snapshot_export(cdsync *db, const char *dir, size_t *written)
{
	struct cds_checkpoint c;
	struct cds_snap s;
	sqlite3_stmt *st;
	uint8_t *p = NULL, *f = NULL;
	uint64_t froms[17];
	size_t n = 0, fn = 0, nf = 0, i;
	char name[400], e[CDS_MSGLEN];
	int rc, wrote, step, k = 0;

	if (db->role != CDSYNC_ROLE_HUB)
		return CDSYNC_OK;
	rc = cdsync_snapshot_latest(db, &p, &n);
	if (rc == CDSYNC_ENOTFOUND) {
		cds_ok(db);
		return CDSYNC_OK;
	}
	if (rc != CDSYNC_OK)
		return rc;
	if ((k = cds_snap_read(p, n, &s, e, sizeof e)) != 0 ||
	    ckpt_read(s.note, s.note_len, s.hub_pk, NULL, &c, e, sizeof e)) {
		cds_free(p);
		return cds_err(db, k == -2 ? CDSYNC_ENOMEM : CDSYNC_ECORRUPT,
			       _("the newest snapshot kept here does not read: "
				 "%s"),
			       e);
	}
	/* proofs from 0 and from the checkpoints of the snapshots before
	 * (forwarded by the daemon, or on an earlier stick) */
	froms[nf++] = 0;
	st = cds_prepare(db, "SELECT DISTINCT tree_size FROM snapshot_own "
			     "WHERE tree_size > 0 AND tree_size < ?1 ORDER BY "
			     "tree_size DESC LIMIT 16");
	if (st == NULL) {
		cds_free(p);
		return cds_sqlcode(db);
	}
	sqlite3_bind_int64(st, 1, (int64_t)c.size);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		froms[nf++] = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	rc = step == SQLITE_DONE ? CDSYNC_OK : cds_sqlerr(db, _("snapshot"));
	for (i = 0; i < nf && rc == CDSYNC_OK; i++) {
		rc = cds_tlog_store_consistency_to(db, froms[i], s.note,
						   s.note_len, &f, &fn);
		if (rc != CDSYNC_OK)
			break;
		snprintf(name, sizeof name,
			 "checkpoint-%s-%llu-%llu.tlog-consistency", s.org,
			 (unsigned long long)froms[i],
			 (unsigned long long)c.size);
		rc = cds_file_write(db, dir, name, f, fn, &wrote);
		cdsync_free(f);
		f = NULL;
	}
	snprintf(name, sizeof name, "snapshot-%s-%llu.cdss", s.org,
		 (unsigned long long)c.size);
	if (rc == CDSYNC_OK &&
	    (rc = cds_file_write(db, dir, name, p, n, &wrote)) == CDSYNC_OK)
		*written += (size_t)wrote;
	cds_free(p);
	return rc;
}

CDSYNC_API int
cdsync_snapshot_import(cdsync *db, const char *path,
		       cdsync_snapshot_info *out)
{
	struct cds_checkpoint c;
	struct cds_snap s;
	struct hub h;
	uint8_t *p = NULL, *f = NULL, *held = NULL, hash[32];
	uint64_t hsize = 0, now = 0;
	size_t n = 0, fn = 0, hlen = 0;
	char dir[4096], name[1024], pf[5200], e[CDS_MSGLEN];
	int rc, have, k = 0;

	cds_ok(db);
	if (path == NULL || out == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	memset(out, 0, sizeof *out);
	if ((rc = cds_need_node(db)) != CDSYNC_OK ||
	    (rc = cds_file_read(db, path, CDS_SNAP_MAX, _("a snapshot"),
				CDSYNC_EBADINPUT, &p, &n)) != CDSYNC_OK)
		return rc;
	if ((k = cds_snap_read(p, n, &s, e, sizeof e)) != 0) {
		rc = cds_err(db, k == -2 ? CDSYNC_ENOMEM : CDSYNC_EBADINPUT,
			     "%s: %s", path, e);
		goto out;
	}
	if ((rc = hub_below(db, s.hub, &h)) != CDSYNC_OK)
		goto out;
	if (ckpt_read(s.note, s.note_len, s.hub_pk, h.origin, &c, e,
		      sizeof e) != 0) {
		rc = cds_err(db, CDSYNC_EBADSIG, _("%s: %s"), path, e);
		goto out;
	}
	if ((have = held_of(db, s.hub, &hsize, &held, &hlen)) < 0) {
		rc = -have;
		goto out;
	}
	cds_free(held);
	/* its checkpoint first, by the proof from the size held here */
	if (!have || hsize != c.size) {
		cds_file_split(path, dir, sizeof dir, name, sizeof name);
		snprintf(pf, sizeof pf,
			 "%s/checkpoint-%s-%llu-%llu.tlog-consistency", dir,
			 h.code, (unsigned long long)hsize,
			 (unsigned long long)c.size);
		rc = cds_file_read(db, pf, CDS_TLOG_FILE_MAX,
				   _("a consistency proof"), CDSYNC_EBADINPUT,
				   &f, &fn);
		if (rc == CDSYNC_ENOTFOUND) {
			rc = cds_err(db, CDSYNC_EGAP,
				     _("%s: this node holds the checkpoint of "
				       "size %llu of %s's log, and no "
				       "consistency proof from it is beside "
				       "the snapshot (%s): ask %s for "
				       "'cdsync snapshot proof --from %llu'"),
				     path, (unsigned long long)hsize, h.code,
				     pf, h.code, (unsigned long long)hsize);
			goto out;
		}
		if (rc != CDSYNC_OK ||
		    (rc = cdsync_checkpoint_take(db, f, fn, &now)) !=
			    CDSYNC_OK)
			goto out;
	}
	rc = cdsync_snapshot_take(db, p, n, hash);
	if (rc != CDSYNC_OK && rc != CDSYNC_EREPLAY)
		goto out;
	rc = cdsync_snapshot_check(db, hash, out);
out:
	cds_free(f);
	cds_free(p);
	return rc;
}
