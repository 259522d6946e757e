/* tlogstore.c -- the transparency log in the store (cdsync.h "The transparency
 * log"; SPEC.md §12).
 *
 * The log is the table tlog_leaf (schema/0010_tlog.sql): one 65-byte leaf
 * per bundle first taken in, index from 0, with its RFC 9162 leaf hash.
 * sync.c appends the leaf (cds_tlog_store_append) in the transaction that
 * first takes the bundle in, merged or held; a replay, a refusal and fork
 * evidence get none.  Everything else is computed from the leaf hashes
 * when asked: the root (cds_tlog_root, O(n): about 80 ms for 100 000
 * leaves at -O2, see tests/unit/tlogstore_test.c), the inclusion and
 * consistency proofs (protocol/tlog.c), and the checkpoint, signed with
 * this node's catalog signing key under the origin of SPEC.md §12.4.  Every tree
 * head signed is kept in tlog_checkpoint; a second root for a size this
 * node signed before is refused (CDSYNC_ECORRUPT), never signed.
 *
 * The offline checks (cdsync_tlog_check_*) take no store: an auditor runs
 * them with the hub's key and origin from the catalog.
 *
 * Limits: each call loads every leaf hash (32 bytes a leaf: 3.2 MB for
 * 100 000 leaves) and hashes them again; a log past a few hundred
 * thousand leaves wants the builder's frontier (for checkpoints) and
 * stored subtree hashes (for proofs) instead.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "tlogstore.h"

#include "alloc.h"
#include "i18n.h"
#include "keys.h"
#include "store.h"
#include "tlog.h"

/* A proof file or checkpoint we make: a checkpoint is a few hundred bytes
 * with one signature; a proof adds at most 65 lines of 45 bytes. */
#define TLOG_OUT_MAX CDS_TLOG_FILE_MAX

/* ==== Appending (inside the caller's transaction) ==================== */

static int
insert_leaf(cdsync *db, const struct cds_tlog_leaf *l)
{
	uint8_t leaf[CDS_TLOG_LEAF_BYTES], h[32];
	sqlite3_stmt *st;
	int rc;

	cds_tlog_leaf_encode(l, leaf);
	cds_tlog_leaf_hash(leaf, sizeof leaf, h);
	st = cds_prepare(db, "INSERT INTO tlog_leaf (idx, bundle, leaf, hash) "
			     "VALUES ((SELECT coalesce(max(idx) + 1, 0) FROM "
			     "tlog_leaf), ?1, ?2, ?3)");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, l->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, leaf, sizeof leaf, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, h, 32, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
	     ? CDSYNC_OK : cds_sqlerr(db, _("transparency log"));
	sqlite3_finalize(st);
	return rc;
}

/* A store upgraded with bundles already taken in: their leaves, in the
 * order it took them in (sync_bundle_in.id up to the one sync_state's
 * 'tlog_backfill' names), once.  Inside the caller's transaction. */
static int
catch_up(cdsync *db)
{
	struct cds_tlog_leaf l;
	sqlite3_stmt *st;
	int step = SQLITE_DONE, rc = CDSYNC_OK;

	st = cds_prepare(db, "SELECT b.hash, b.node_id, b.seq, b.seen_ms FROM "
			     "sync_bundle_in b WHERE b.id <= (SELECT value FROM "
			     "sync_state WHERE key = 'tlog_backfill') AND "
			     "b.status IN ('merged', 'held') AND NOT EXISTS "
			     "(SELECT 1 FROM tlog_leaf t WHERE t.bundle = "
			     "b.hash) ORDER BY b.id");
	if (st == NULL)
		return cds_sqlcode(db);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 32 ||
		    sqlite3_column_bytes(st, 1) != 16 ||
		    sqlite3_column_int64(st, 2) < 1) {
			rc = cds_err(db, CDSYNC_ECORRUPT, "%s",
				     _("transparency log: a damaged bundle "
				       "row"));
			break;
		}
		memcpy(l.hash, sqlite3_column_blob(st, 0), 32);
		memcpy(l.node, sqlite3_column_blob(st, 1), 16);
		l.seq = (uint64_t)sqlite3_column_int64(st, 2);
		l.seen_ms = (uint64_t)sqlite3_column_int64(st, 3);
		rc = insert_leaf(db, &l);
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(db, _("transparency log"));
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK)
		rc = cds_exec(db, "DELETE FROM sync_state WHERE key = "
				  "'tlog_backfill'");
	return rc;
}

/* 1 when leaves of before the log are still to be written, 0 if not, -1
 * on an error (message set). */
static int
backfill_pending(cdsync *db)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT 1 FROM sync_state WHERE "
					   "key = 'tlog_backfill'");
	int step;

	if (st == NULL)
		return -1;
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		cds_sqlerr(db, _("transparency log"));
		return -1;
	}
	return step == SQLITE_ROW;
}

int
cds_tlog_store_append(cdsync *db, const uint8_t hash[32],
		      const uint8_t node[16], uint64_t seq, uint64_t seen_ms)
{
	struct cds_tlog_leaf l;
	int rc, pending;

	if ((pending = backfill_pending(db)) < 0)
		return CDSYNC_ERROR;
	if (pending && (rc = catch_up(db)) != CDSYNC_OK)
		return rc;
	memcpy(l.hash, hash, 32);
	memcpy(l.node, node, 16);
	l.seq = seq;
	l.seen_ms = seen_ms;
	return insert_leaf(db, &l);
}

/* ==== Reading the log ================================================= */

/* Opens what the calls below run in: a transaction of their own (IMMEDIATE
 * when they write, so that no leaf is appended meanwhile), or a savepoint
 * inside the caller's.  *own says which, for tx_close. */
static int
tx_open(cdsync *db, int write, int *own)
{
	int rc;

	*own = 0;
	if (sqlite3_get_autocommit(db->db)) {
		rc = cds_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
		*own = rc == CDSYNC_OK ? 1 : 0;
	} else {
		rc = cds_exec(db, "SAVEPOINT tlog");
		*own = rc == CDSYNC_OK ? 2 : 0;
	}
	return rc;
}

/* Ends what tx_open opened: kept when rc is CDSYNC_OK, undone if not.
 * Returns rc, or the error of the commit. */
static int
tx_close(cdsync *db, int own, int rc)
{
	if (own == 1 && rc == CDSYNC_OK)
		rc = cds_exec(db, "COMMIT");
	else if (own == 2 && rc == CDSYNC_OK)
		rc = cds_exec(db, "RELEASE tlog");
	if (rc != CDSYNC_OK && own != 0)
		sqlite3_exec(db->db, own == 1 ? "ROLLBACK"
					      : "ROLLBACK TO tlog; RELEASE tlog",
			     NULL, NULL, NULL);
	return rc;
}

/* Opens for the calls below and writes the leaves of before the log if
 * they are still missing (a store opened read-only cannot:
 * CDSYNC_EREADONLY). */
static int
begin(cdsync *db, int *own)
{
	int writable = !(db->flags & CDSYNC_OPEN_READONLY);
	int rc, pending;

	if ((rc = tx_open(db, writable, own)) != CDSYNC_OK)
		return rc;
	if ((pending = backfill_pending(db)) < 0)
		return tx_close(db, *own, CDSYNC_ERROR);
	if (pending && !writable)
		return tx_close(db, *own,
				cds_err(db, CDSYNC_EREADONLY, "%s",
					_("transparency log: the bundles taken "
					  "in before the log existed have no "
					  "leaves yet; open the store for "
					  "writing once")));
	if (pending && (rc = catch_up(db)) != CDSYNC_OK)
		return tx_close(db, *own, rc);
	return CDSYNC_OK;
}

static int
count_leaves(cdsync *db, uint64_t *size)
{
	sqlite3_stmt *st;
	int64_t count = 0, top = -1;
	int step;

	*size = 0;
	st = cds_prepare(db, "SELECT count(*), coalesce(max(idx), -1) FROM "
			     "tlog_leaf");
	if (st == NULL)
		return cds_sqlcode(db);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		count = sqlite3_column_int64(st, 0);
		top = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW)
		return cds_sqlerr(db, _("transparency log"));
	if (top != count - 1)
		return cds_err(db, CDSYNC_ECORRUPT,
			       _("transparency log: %lld leaves, but the last "
				 "has index %lld"),
			       (long long)count, (long long)top);
	*size = (uint64_t)count;
	return CDSYNC_OK;
}

/* Every leaf hash, in order, into *hashes (cds_malloc'd, n * 32 bytes;
 * never NULL on success). */
static int
load_hashes(cdsync *db, uint8_t (**hashes)[32], size_t *n)
{
	uint8_t (*h)[32];
	sqlite3_stmt *st;
	uint64_t size;
	size_t i = 0;
	int rc, step;

	*hashes = NULL;
	*n = 0;
	if ((rc = count_leaves(db, &size)) != CDSYNC_OK)
		return rc;
	if (size > SIZE_MAX / 32 - 1)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if ((h = cds_malloc((size_t)size * 32 + 32)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	st = cds_prepare(db, "SELECT hash FROM tlog_leaf ORDER BY idx");
	if (st == NULL) {
		cds_free(h);
		return cds_sqlcode(db);
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (i >= size || sqlite3_column_bytes(st, 0) != 32)
			break;
		memcpy(h[i++], sqlite3_column_blob(st, 0), 32);
	}
	sqlite3_finalize(st);
	if (step == SQLITE_ROW || i != size) {
		cds_free(h);
		return step == SQLITE_ROW || step == SQLITE_DONE
		       ? cds_err(db, CDSYNC_ECORRUPT, "%s",
				 _("transparency log: a damaged leaf"))
		       : cds_sqlerr(db, _("transparency log"));
	}
	*hashes = h;
	*n = (size_t)size;
	return CDSYNC_OK;
}

/* This node's origin (SPEC.md §12.4), from its org code and node id. */
int
cds_tlog_own_origin(cdsync *db, char out[CDS_CKPT_ORIGIN_MAX + 1])
{
	sqlite3_stmt *st;
	char code[256];
	int step;

	code[0] = '\0';
	st = cds_prepare(db, "SELECT code FROM org_unit WHERE id = ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, db->org_id, 16, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		snprintf(code, sizeof code, "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return cds_sqlerr(db, _("transparency log"));
	if (cds_tlog_origin(out, code, db->node_id) != 0)
		return cds_err(db, CDSYNC_ECORRUPT, "%s",
			       _("transparency log: this node has no org "
				 "code"));
	return CDSYNC_OK;
}

/* Signs the checkpoint of the tree of the n leaf hashes into *note, and
 * keeps it in tlog_checkpoint (unless the store is read-only): never a
 * second root for one size. */
static int
sign_head(cdsync *db, const uint8_t (*hashes)[32], size_t n, cds_buf *note)
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1];
	uint8_t root[32];
	sqlite3_stmt *st;
	int rc, step, differs = 0;

	if ((rc = cds_keys_need(db)) != CDSYNC_OK ||
	    (rc = cds_tlog_own_origin(db, origin)) != CDSYNC_OK)
		return rc;
	cds_tlog_root(hashes, n, root);
	st = cds_prepare(db, "SELECT root FROM tlog_checkpoint WHERE size = "
			     "?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_int64(st, 1, (int64_t)n);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		differs = sqlite3_column_bytes(st, 0) != 32 ||
			  memcmp(sqlite3_column_blob(st, 0), root, 32) != 0;
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return cds_sqlerr(db, _("transparency log"));
	if (differs)
		return cds_err(db, CDSYNC_ECORRUPT,
			       _("transparency log: this node signed another "
				 "root for the tree of %zu leaves before; it "
				 "signs no second one"),
			       n);
	cds_checkpoint_write(note, origin, (uint64_t)n, root, origin,
			     db->sign_sk, db->sign_pk);
	if (note->rc != 0)
		return cds_err(db, note->rc == CDSYNC_ENOMEM ? CDSYNC_ENOMEM
							     : CDSYNC_ERROR,
			       "%s", note->rc == CDSYNC_ENOMEM
			       ? _("out of memory")
			       : _("transparency log: cannot sign the "
				   "checkpoint"));
	if (db->flags & CDSYNC_OPEN_READONLY)
		return CDSYNC_OK;
	st = cds_prepare(db, "INSERT INTO tlog_checkpoint (size, root, note, "
			     "signed_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
			     "(size) DO UPDATE SET note = excluded.note, "
			     "signed_ms = excluded.signed_ms WHERE note IS NOT "
			     "excluded.note");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_int64(st, 1, (int64_t)n);
	sqlite3_bind_blob(st, 2, root, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, note->p, (int)note->n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)cds_wall_ms());
	rc = sqlite3_step(st) == SQLITE_DONE
	     ? CDSYNC_OK : cds_sqlerr(db, _("transparency log"));
	sqlite3_finalize(st);
	return rc;
}

/* Hands a finished buffer to the caller (or frees it on failure). */
static int
hand_out(cdsync *db, int rc, cds_buf *b, uint8_t **out, size_t *len)
{
	if (rc == CDSYNC_OK && b->rc != 0)
		rc = cds_err(db, b->rc == CDSYNC_ENOMEM ? CDSYNC_ENOMEM
							: CDSYNC_ERROR,
			     "%s", b->rc == CDSYNC_ENOMEM
			     ? _("out of memory")
			     : _("transparency log: cannot write the file"));
	if (rc != CDSYNC_OK) {
		cds_buf_free(b);
		return rc;
	}
	*out = b->p;
	*len = b->n;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_tlog_size(cdsync *db, uint64_t *size)
{
	int rc, own;

	cds_ok(db);
	*size = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK ||
	    (rc = begin(db, &own)) != CDSYNC_OK)
		return rc;
	rc = tx_close(db, own, count_leaves(db, size));
	if (rc != CDSYNC_OK)
		*size = 0;
	return rc;
}

/* The leaf of a bundle: its index and bytes. */
static int
find_leaf(cdsync *db, const uint8_t hash[32], uint64_t *index,
	  uint8_t leaf[CDS_TLOG_LEAF_BYTES])
{
	sqlite3_stmt *st;
	char h[17];
	int step, ok = 0;

	st = cds_prepare(db, "SELECT idx, leaf FROM tlog_leaf WHERE bundle = "
			     "?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) >= 0 &&
	    sqlite3_column_bytes(st, 1) == CDS_TLOG_LEAF_BYTES) {
		*index = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(leaf, sqlite3_column_blob(st, 1), CDS_TLOG_LEAF_BYTES);
		ok = 1;
	}
	sqlite3_finalize(st);
	if (step == SQLITE_ROW && !ok)
		return cds_err(db, CDSYNC_ECORRUPT, "%s",
			       _("transparency log: a damaged leaf"));
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return cds_sqlerr(db, _("transparency log"));
	if (!ok) {
		sodium_bin2hex(h, sizeof h, hash, 8);
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("bundle %s… is not in this node's "
				 "transparency log (it was never taken in "
				 "here, or only kept as evidence of a fork)"),
			       h);
	}
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_tlog_index(cdsync *db, const uint8_t bundle_hash[32], uint64_t *index)
{
	uint8_t leaf[CDS_TLOG_LEAF_BYTES];
	int rc, own;

	cds_ok(db);
	*index = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK ||
	    (rc = begin(db, &own)) != CDSYNC_OK)
		return rc;
	rc = tx_close(db, own, find_leaf(db, bundle_hash, index, leaf));
	if (rc != CDSYNC_OK)
		*index = 0;
	return rc;
}

int
cds_tlog_store_index(cdsync *db, const uint8_t hash[32], uint64_t *index)
{
	uint8_t leaf[CDS_TLOG_LEAF_BYTES];
	int rc, own, pending;

	*index = 0;
	if ((pending = backfill_pending(db)) < 0)
		return CDSYNC_ERROR;
	if (!pending)
		rc = find_leaf(db, hash, index, leaf);
	else if ((rc = begin(db, &own)) == CDSYNC_OK)
		rc = tx_close(db, own, find_leaf(db, hash, index, leaf));
	if (rc != CDSYNC_OK)
		*index = 0;
	return rc;
}

CDSYNC_API int
cdsync_tlog_checkpoint(cdsync *db, uint8_t **note, size_t *len)
{
	uint8_t (*hashes)[32] = NULL;
	size_t n = 0;
	cds_buf b;
	int rc, own;

	cds_ok(db);
	*note = NULL;
	*len = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK ||
	    (rc = begin(db, &own)) != CDSYNC_OK)
		return rc;
	cds_buf_init(&b, TLOG_OUT_MAX);
	rc = load_hashes(db, &hashes, &n);
	if (rc == CDSYNC_OK)
		rc = sign_head(db, (const uint8_t (*)[32])hashes, n, &b);
	cds_free(hashes);
	rc = tx_close(db, own, rc);
	return hand_out(db, rc, &b, note, len);
}

CDSYNC_API int
cdsync_tlog_inclusion(cdsync *db, const uint8_t bundle_hash[32],
		      uint8_t **file, size_t *len)
{
	uint8_t (*hashes)[32] = NULL;
	uint8_t leaf[CDS_TLOG_LEAF_BYTES], proof[CDS_TLOG_PATH_MAX][32];
	uint64_t index = 0;
	size_t n = 0, plen = 0;
	cds_buf note, b;
	int rc, own;

	cds_ok(db);
	*file = NULL;
	*len = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK ||
	    (rc = begin(db, &own)) != CDSYNC_OK)
		return rc;
	cds_buf_init(&note, TLOG_OUT_MAX);
	cds_buf_init(&b, TLOG_OUT_MAX);
	rc = find_leaf(db, bundle_hash, &index, leaf);
	if (rc == CDSYNC_OK)
		rc = load_hashes(db, &hashes, &n);
	if (rc == CDSYNC_OK)
		rc = sign_head(db, (const uint8_t (*)[32])hashes, n, &note);
	if (rc == CDSYNC_OK &&
	    cds_tlog_inclusion_proof((const uint8_t (*)[32])hashes, n, index,
				     proof, &plen) != 0)
		rc = cds_err(db, CDSYNC_ECORRUPT,
			     _("transparency log: leaf %llu is past the end "
			       "of the tree of %zu leaves"),
			     (unsigned long long)index, n);
	if (rc == CDSYNC_OK)
		cds_tlog_inclusion_write(&b, index, leaf, sizeof leaf,
					 (const uint8_t (*)[32])proof, plen,
					 note.p, note.n);
	cds_free(hashes);
	cds_buf_free(&note);
	rc = tx_close(db, own, rc);
	return hand_out(db, rc, &b, file, len);
}

CDSYNC_API int
cdsync_tlog_consistency(cdsync *db, uint64_t old_size, uint8_t **file,
			size_t *len)
{
	uint8_t (*hashes)[32] = NULL;
	uint8_t proof[CDS_TLOG_PATH_MAX][32];
	size_t n = 0, plen = 0;
	cds_buf note, b;
	int rc, own;

	cds_ok(db);
	*file = NULL;
	*len = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK ||
	    (rc = begin(db, &own)) != CDSYNC_OK)
		return rc;
	cds_buf_init(&note, TLOG_OUT_MAX);
	cds_buf_init(&b, TLOG_OUT_MAX);
	rc = load_hashes(db, &hashes, &n);
	if (rc == CDSYNC_OK && old_size > n)
		rc = cds_err(db, CDSYNC_EINVAL,
			     _("transparency log: no consistency proof from "
			       "size %llu: the log has %zu leaves"),
			     (unsigned long long)old_size, n);
	if (rc == CDSYNC_OK)
		rc = sign_head(db, (const uint8_t (*)[32])hashes, n, &note);
	/* from size 0 the proof is empty (a witness's first request) */
	if (rc == CDSYNC_OK && old_size > 0 &&
	    cds_tlog_consistency_proof((const uint8_t (*)[32])hashes, n,
				       old_size, proof, &plen) != 0)
		rc = cds_err(db, CDSYNC_ERROR, "%s",
			     _("transparency log: no consistency proof"));
	if (rc == CDSYNC_OK)
		cds_tlog_consistency_write(&b, old_size,
					   (const uint8_t (*)[32])proof, plen,
					   note.p, note.n);
	cds_free(hashes);
	cds_buf_free(&note);
	rc = tx_close(db, own, rc);
	return hand_out(db, rc, &b, file, len);
}

/* ==== Many proofs against one checkpoint (cdsync_export) ============= */

struct cds_tlog_proofs {
	uint8_t (*hashes)[32];		/* every leaf hash of the tree */
	uint8_t (*levels)[32];		/* cds_tlog_levels_build of them */
	size_t n;			/* leaves in the tree */
	cds_buf note;			/* its checkpoint, as signed */
};

const uint8_t *
cds_tlog_proofs_note(const struct cds_tlog_proofs *p, size_t *len)
{
	*len = p->note.n;
	return p->note.p;
}

void
cds_tlog_proofs_close(struct cds_tlog_proofs *p)
{
	if (p == NULL)
		return;
	cds_free(p->hashes);
	cds_free(p->levels);
	cds_buf_free(&p->note);
	cds_free(p);
}

int
cds_tlog_proofs_open(cdsync *db, struct cds_tlog_proofs **out)
{
	struct cds_tlog_proofs *p;
	int rc, own;

	*out = NULL;
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if ((p = cds_malloc(sizeof *p)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	memset(p, 0, sizeof *p);
	cds_buf_init(&p->note, TLOG_OUT_MAX);
	if ((rc = begin(db, &own)) != CDSYNC_OK) {
		cds_tlog_proofs_close(p);
		return rc;
	}
	rc = load_hashes(db, &p->hashes, &p->n);
	if (rc == CDSYNC_OK &&
	    (p->levels = cds_malloc(cds_tlog_levels_len(p->n) * 32 + 32)) ==
		    NULL)
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (rc == CDSYNC_OK)
		rc = sign_head(db, (const uint8_t (*)[32])p->hashes, p->n,
			       &p->note);
	rc = tx_close(db, own, rc);
	if (rc != CDSYNC_OK) {
		cds_tlog_proofs_close(p);
		return rc;
	}
	cds_tlog_levels_build((const uint8_t (*)[32])p->hashes, p->n,
			      p->levels);
	*out = p;
	return CDSYNC_OK;
}

/* The leaves are append-only, so a leaf below p->n read now is the one
 * the tree was built from. */
int
cds_tlog_proofs_file(cdsync *db, const struct cds_tlog_proofs *p,
		     const uint8_t hash[32], uint8_t **file, size_t *len)
{
	uint8_t leaf[CDS_TLOG_LEAF_BYTES], proof[CDS_TLOG_PATH_MAX][32];
	uint64_t index = 0;
	size_t plen = 0;
	cds_buf b;
	int rc;

	*file = NULL;
	*len = 0;
	if ((rc = find_leaf(db, hash, &index, leaf)) != CDSYNC_OK)
		return rc;
	if (index >= p->n ||
	    cds_tlog_levels_proof((const uint8_t (*)[32])p->hashes, p->n,
				  (const uint8_t (*)[32])p->levels, index,
				  proof, &plen) != 0)
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("transparency log: leaf %llu came after the "
				 "checkpoint of %zu leaves"),
			       (unsigned long long)index, p->n);
	cds_buf_init(&b, TLOG_OUT_MAX);
	cds_tlog_inclusion_write(&b, index, leaf, sizeof leaf,
				 (const uint8_t (*)[32])proof, plen,
				 p->note.p, p->note.n);
	return hand_out(db, CDSYNC_OK, &b, file, len);
}

/* ==== Checking, offline =============================================== */

CDSYNC_API int
cdsync_tlog_origin(const char *org_code, const uint8_t node[16], char *out,
		   size_t n)
{
	char o[CDS_CKPT_ORIGIN_MAX + 1];

	if (out != NULL && n > 0)
		out[0] = '\0';
	if (org_code == NULL || node == NULL || out == NULL ||
	    cds_tlog_origin(o, org_code, node) != 0 || strlen(o) >= n)
		return CDSYNC_EINVAL;
	memcpy(out, o, strlen(o) + 1);
	return CDSYNC_OK;
}

/* The key an auditor believes: the hub's signing key under its origin. */
static int
key_of(const uint8_t pk[32], const char *origin, struct cds_note_key *k,
       char *err, size_t errlen)
{
	if (pk == NULL || origin == NULL || origin[0] == '\0' ||
	    strlen(origin) > CDS_CKPT_ORIGIN_MAX) {
		snprintf(err, errlen, "%s",
			 _("transparency log: no key or no origin to check "
			   "against"));
		return CDSYNC_EINVAL;
	}
	k->name = origin;
	memcpy(k->pk, pk, 32);
	return CDSYNC_OK;
}

static void
head_out(const struct cds_checkpoint *c, cdsync_tlog_head *out)
{
	if (out == NULL)
		return;
	snprintf(out->origin, sizeof out->origin, "%s", c->origin);
	out->size = c->size;
	memcpy(out->root, c->root, 32);
}

/* The origin read must be the one expected (SPEC.md §12.6 step 1). */
static int
same_origin(const struct cds_checkpoint *c, const char *origin, char *err,
	    size_t errlen)
{
	if (strcmp(c->origin, origin) == 0)
		return CDSYNC_OK;
	snprintf(err, errlen, _("checkpoint: of the log %s, not of %s"),
		 c->origin, origin);
	return CDSYNC_EBADSIG;
}

CDSYNC_API int
cdsync_tlog_check_checkpoint(const uint8_t *note, size_t len,
			     const uint8_t hub_sign_pk[32], const char *origin,
			     cdsync_tlog_head *out, char *err, size_t errlen)
{
	struct cds_checkpoint c;
	struct cds_note_key k;
	char e[512];
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof *out);
	e[0] = '\0';
	if ((rc = key_of(hub_sign_pk, origin, &k, e, sizeof e)) == CDSYNC_OK) {
		if (note == NULL ||
		    cds_checkpoint_read(note, len, &k, 1, &c, NULL, e,
					sizeof e) != 0)
			rc = CDSYNC_EBADSIG;
		else
			rc = same_origin(&c, origin, e, sizeof e);
	}
	if (rc == CDSYNC_OK)
		head_out(&c, out);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", rc == CDSYNC_OK ? "" : e);
	return rc;
}

CDSYNC_API int
cdsync_tlog_check_inclusion(const uint8_t *file, size_t len,
			    const uint8_t hub_sign_pk[32], const char *origin,
			    cdsync_tlog_head *head, cdsync_tlog_entry *entry,
			    char *err, size_t errlen)
{
	struct cds_tlog_file f;
	struct cds_checkpoint c;
	struct cds_tlog_leaf l;
	struct cds_note_key k;
	uint64_t index = 0;
	char e[512];
	int rc;

	if (head != NULL)
		memset(head, 0, sizeof *head);
	if (entry != NULL)
		memset(entry, 0, sizeof *entry);
	e[0] = '\0';
	rc = key_of(hub_sign_pk, origin, &k, e, sizeof e);
	if (rc == CDSYNC_OK &&
	    (file == NULL ||
	     cds_tlog_inclusion_read(file, len, &f, e, sizeof e) != 0))
		rc = CDSYNC_EBADINPUT;
	if (rc == CDSYNC_OK &&
	    cds_tlog_inclusion_check(file, len, &k, 1, &c, &l, &index, NULL, e,
				     sizeof e) != 0)
		rc = CDSYNC_EBADSIG;
	if (rc == CDSYNC_OK)
		rc = same_origin(&c, origin, e, sizeof e);
	if (rc == CDSYNC_OK) {
		head_out(&c, head);
		if (entry != NULL) {
			entry->index = index;
			memcpy(entry->hash, l.hash, 32);
			memcpy(entry->node, l.node, 16);
			entry->seq = l.seq;
			entry->seen_ms = l.seen_ms;
		}
	}
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", rc == CDSYNC_OK ? "" : e);
	return rc;
}

CDSYNC_API int
cdsync_tlog_check_consistency(const uint8_t *file, size_t len,
			      const uint8_t hub_sign_pk[32],
			      const char *origin, const uint8_t *trusted,
			      size_t trusted_len, cdsync_tlog_head *out,
			      char *err, size_t errlen)
{
	struct cds_tlog_file f;
	struct cds_checkpoint old, c;
	struct cds_note_key k;
	char e[512];
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof *out);
	e[0] = '\0';
	rc = key_of(hub_sign_pk, origin, &k, e, sizeof e);
	/* the trusted checkpoint first: by the same key, of the same log */
	if (rc == CDSYNC_OK &&
	    (trusted == NULL ||
	     cds_checkpoint_read(trusted, trusted_len, &k, 1, &old, NULL, e,
				 sizeof e) != 0))
		rc = CDSYNC_EBADSIG;
	if (rc == CDSYNC_OK)
		rc = same_origin(&old, origin, e, sizeof e);
	if (rc == CDSYNC_OK &&
	    (file == NULL ||
	     cds_tlog_consistency_read(file, len, &f, e, sizeof e) != 0))
		rc = CDSYNC_EBADINPUT;
	if (rc == CDSYNC_OK &&
	    cds_tlog_consistency_check(file, len, &k, 1, &old, &c, NULL, e,
				       sizeof e) != 0)
		rc = CDSYNC_EBADSIG;
	if (rc == CDSYNC_OK)
		head_out(&c, out);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", rc == CDSYNC_OK ? "" : e);
	return rc;
}

int
cds_tlog_store_consistency_to(cdsync *db, uint64_t old, const uint8_t *note,
			      size_t note_len, uint8_t **file, size_t *len)
{
	uint8_t (*hashes)[32] = NULL, proof[CDS_TLOG_PATH_MAX][32], root[32];
	char origin[CDS_CKPT_ORIGIN_MAX + 1], e[CDS_MSGLEN];
	struct cds_checkpoint c;
	struct cds_note_key k;
	size_t n = 0, plen = 0;
	cds_buf b;
	int rc, own;

	*file = NULL;
	*len = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK ||
	    (rc = cds_tlog_own_origin(db, origin)) != CDSYNC_OK)
		return rc;
	k.name = origin;
	memcpy(k.pk, db->sign_pk, 32);
	if (cds_checkpoint_read(note, note_len, &k, 1, &c, NULL, e, sizeof e))
		return cds_err(db, CDSYNC_EBADSIG, _("transparency log: %s"), e);
	if (old > c.size)
		return cds_err(db, CDSYNC_EINVAL,
			       _("transparency log: no consistency proof from "
				 "size %llu to the smaller size %llu"),
			       (unsigned long long)old,
			       (unsigned long long)c.size);
	if ((rc = begin(db, &own)) != CDSYNC_OK)
		return rc;
	cds_buf_init(&b, TLOG_OUT_MAX);
	rc = load_hashes(db, &hashes, &n);
	if (rc == CDSYNC_OK && c.size > n)
		rc = cds_err(db, CDSYNC_ECORRUPT,
			     _("transparency log: a checkpoint of size %llu "
			       "for a log of %zu leaves"),
			     (unsigned long long)c.size, n);
	if (rc == CDSYNC_OK) {
		cds_tlog_root((const uint8_t (*)[32])hashes, (size_t)c.size,
			      root);
		if (memcmp(root, c.root, 32) != 0)
			rc = cds_err(db, CDSYNC_ECORRUPT, "%s",
				     _("transparency log: the checkpoint's "
				       "root is not the log's"));
	}
	if (rc == CDSYNC_OK && old > 0 &&
	    cds_tlog_consistency_proof((const uint8_t (*)[32])hashes,
				       (size_t)c.size, old, proof, &plen) != 0)
		rc = cds_err(db, CDSYNC_ECORRUPT, "%s",
			     _("transparency log: no consistency proof"));
	if (rc == CDSYNC_OK)
		cds_tlog_consistency_write(&b, old,
					   (const uint8_t (*)[32])proof, plen,
					   note, note_len);
	cds_free(hashes);
	rc = tx_close(db, own, rc);
	return hand_out(db, rc, &b, file, len);
}
