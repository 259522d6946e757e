/* witness.c -- hubs witness the log of the hub above them (cdsync.h
 * "Witnesses"; SPEC.md §12.9).
 *
 * At a hub below (the witness): the consistency proof file the hub above
 * serves, from the size of the last of its checkpoints this hub took, is
 * checked against that checkpoint (tlog_peer: the same table as the
 * checkpoints of the hubs below, for the hub this node sends to), kept,
 * and cosigned (c2sp.org/tlog-cosignature@v1) under this hub's witness
 * name with its catalog signing key.  A log that shrank, or a second root
 * for a size, is refused, and nothing is cosigned.
 *
 * At the hub above: a checkpoint of its own log coming back cosigned is
 * checked against the tree head it signed for that size, and each
 * witness's line (the hubs of the catalog but this one) against the
 * witness's key; the lines are kept (tlog_cosig), the newest per witness
 * and size.  cdsync_tlog_cosigned_at gives a checkpoint with the lines
 * kept.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "i18n.h"
#include "keys.h"
#include "snapstore.h"
#include "store.h"
#include "tlog.h"
#include "tlogstore.h"
#include "witness.h"

#define CDS_STR2(x) #x
#define CDS_STR(x) CDS_STR2(x)

static int
need_hub(cdsync *db)
{
	cdsync_role role;
	int rc;

	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if ((rc = cdsync_node_role(db, &role)) != CDSYNC_OK)
		return rc;
	if (role != CDSYNC_ROLE_HUB && role != CDSYNC_ROLE_NATIONAL)
		return cds_err(db, CDSYNC_ESCOPE, "%s",
			       _("only a hub keeps a log and witnesses "
				 "another's"));
	return CDSYNC_OK;
}

/* The witness name of this node: its origin under cdsync.vn/witness/. */
static int
own_name(cdsync *db, char out[CDS_CKPT_ORIGIN_MAX + 1])
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1];
	int rc;

	if ((rc = cds_tlog_own_origin(db, origin)) != CDSYNC_OK)
		return rc;
	/* "cdsync.vn/hub/" is 14 bytes, "cdsync.vn/witness/" 18 */
	if (strlen(origin) + 4 > CDS_CKPT_ORIGIN_MAX)
		return cds_err(db, CDSYNC_ECORRUPT, "%s",
			       _("the org code is too long for a witness "
				 "name"));
	{
		static const char pre[] = "cdsync.vn/witness/";
		size_t k = strlen(origin + 14);

		memcpy(out, pre, sizeof pre - 1);
		memcpy(out + sizeof pre - 1, origin + 14, k);
		out[sizeof pre - 1 + k] = '\0';
	}
	return CDSYNC_OK;
}

/* Reads note[0..n) as a checkpoint of this hub's own log, signed with
 * its key under its origin: 0 (*c), or -1 with err. */
static int
own_read(cdsync *db, const uint8_t *note, size_t n, struct cds_checkpoint *c,
	 char *err, size_t errlen)
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1];
	struct cds_note_key own;

	if (cds_tlog_own_origin(db, origin) != CDSYNC_OK) {
		snprintf(err, errlen, "%s", cdsync_errmsg(db));
		return -1;
	}
	own.name = origin;
	memcpy(own.pk, db->sign_pk, 32);
	if (cds_checkpoint_read(note, n, &own, 1, c, NULL, err, errlen) != 0)
		return -1;
	if (strcmp(c->origin, origin) != 0) {
		snprintf(err, errlen,
			 _("checkpoint: the log is %s, not this hub's (%s)"),
			 c->origin, origin);
		return -1;
	}
	return 0;
}

CDSYNC_API int
cdsync_witness_from(cdsync *db, uint64_t *size)
{
	sqlite3_stmt *st;
	int rc;

	cds_ok(db);
	if (size == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	*size = 0;
	if ((rc = need_hub(db)) != CDSYNC_OK)
		return rc;
	st = cds_prepare(db, "SELECT max(t.size) FROM tlog_peer t JOIN "
			     "sync_peer p ON p.node_id = t.node_id WHERE "
			     "p.upstream = 1 AND p.role IN (2, 3)");
	if (st == NULL)
		return cds_sqlcode(db);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*size = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? CDSYNC_OK : cds_sqlerr(db, _("witness"));
}

CDSYNC_API int
cdsync_witness_cosign(cdsync *db, const uint8_t *file, size_t len,
		      uint8_t **note, size_t *note_len, uint64_t *held_out)
{
	char name[CDS_CKPT_ORIGIN_MAX + 1], e[CDS_MSGLEN];
	struct cds_checkpoint c;
	struct cds_tlog_file f;
	cds_buf b;
	int rc;

	cds_ok(db);
	if (held_out != NULL)
		*held_out = 0;
	if (file == NULL || note == NULL || note_len == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	*note = NULL;
	*note_len = 0;
	if ((rc = need_hub(db)) != CDSYNC_OK ||
	    (rc = cds_keys_need(db)) != CDSYNC_OK ||
	    (rc = own_name(db, name)) != CDSYNC_OK)
		return rc;
	if (cds_tlog_consistency_read(file, len, &f, e, sizeof e) != 0)
		return cds_err(db, CDSYNC_EBADINPUT, "%s", e);
	/* the cosignature first, in memory: once the checkpoint is kept, no
	 * allocation may fail */
	cds_buf_init(&b, CDS_CKPT_MAX);
	cds_cosig_write(&b, f.ckpt, f.ckpt_len, name, db->sign_sk, db->sign_pk,
			cds_wall_ms() / 1000);
	if (b.rc != 0) {
		rc = b.rc;
		cds_buf_free(&b);
		return rc == CDSYNC_ENOMEM
			       ? cds_err(db, rc, "%s", _("out of memory"))
			       : cds_err(db, CDSYNC_EBADINPUT, "%s",
					 _("checkpoint: no room for one more "
					   "signature"));
	}
	if ((rc = cds_peer_checkpoint_take(db, file, len, 1, held_out, &c)) !=
	    CDSYNC_OK) {
		cds_buf_free(&b);
		return rc;
	}
	*note = b.p;
	*note_len = b.n;
	return CDSYNC_OK;
}

void
cds_witnesses_free(struct cds_witnesses *w)
{
	cds_free(w->k);
	cds_free(w->node);
	cds_free(w->name);
	memset(w, 0, sizeof *w);
}

/* Room for one more witness in w (cap: its room now). */
static int
grow(struct cds_witnesses *w, size_t *cap)
{
	size_t nc = *cap ? *cap * 2 : 16, i;
	void *k, *node, *name;

	if ((k = cds_realloc(w->k, nc * sizeof *w->k)) != NULL)
		w->k = k;
	if ((node = cds_realloc(w->node, nc * sizeof *w->node)) != NULL)
		w->node = node;
	if ((name = cds_realloc(w->name, nc * sizeof *w->name)) != NULL)
		w->name = name;
	if (k == NULL || node == NULL || name == NULL)
		return -1;
	for (i = 0; i < w->n; i++)	/* the names moved */
		w->k[i].name = w->name[i];
	*cap = nc;
	return 0;
}

int
cds_witnesses_load(cdsync *db, const uint8_t log[16], struct cds_witnesses *w)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	memset(w, 0, sizeof *w);
	st = cds_prepare(db, "SELECT node_id, org_code, sign_pk FROM sync_peer "
			     "WHERE role = 2 AND revoked_from IS NULL AND "
			     "node_id != ?1 ORDER BY node_id");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, log, 16, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 1);

		if (w->n == cap && grow(w, &cap) != 0) {
			sqlite3_finalize(st);
			cds_witnesses_free(w);
			return cds_err(db, CDSYNC_ENOMEM, "%s",
				       _("out of memory"));
		}
		if (sqlite3_column_bytes(st, 0) != 16 ||
		    sqlite3_column_bytes(st, 2) != 32 || code == NULL ||
		    cds_tlog_witness_name(w->name[w->n], code,
					  sqlite3_column_blob(st, 0)) != 0)
			continue;
		memcpy(w->node[w->n], sqlite3_column_blob(st, 0), 16);
		memcpy(w->k[w->n].pk, sqlite3_column_blob(st, 2), 32);
		w->k[w->n].name = w->name[w->n];
		w->n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cds_witnesses_free(w);
		return cds_sqlerr(db, _("witness"));
	}
	return CDSYNC_OK;
}

/* Keeps the newest COSIG_KEEP sizes a witness cosigned: each vouches for
 * every tree up to it, so the newest one is what an audit needs. */
#define COSIG_KEEP 16
static int
prune(cdsync *db, const uint8_t witness[16])
{
	sqlite3_stmt *st;
	int rc;

	st = cds_prepare(db, "DELETE FROM tlog_cosig WHERE witness = ?1 AND "
			     "size < (SELECT min(size) FROM (SELECT size FROM "
			     "tlog_cosig WHERE witness = ?1 ORDER BY size DESC "
			     "LIMIT " CDS_STR(COSIG_KEEP) "))");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, witness, 16, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("witness"));
	sqlite3_finalize(st);
	return rc;
}

CDSYNC_API int
cdsync_tlog_cosigned_take(cdsync *db, const uint8_t *note, size_t len,
			  size_t *witnesses)
{
	char e[CDS_MSGLEN];
	struct cds_cosig *found = NULL;
	struct cds_checkpoint c;
	struct cds_witnesses w;
	sqlite3_stmt *st = NULL;
	size_t k, taken = 0;
	int rc, step;

	cds_ok(db);
	if (witnesses != NULL)
		*witnesses = 0;
	if (note == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	if ((rc = need_hub(db)) != CDSYNC_OK)
		return rc;
	if (own_read(db, note, len, &c, e, sizeof e) != 0)
		return cds_err(db, CDSYNC_EBADSIG, "%s", e);
	st = cds_prepare(db, "SELECT root FROM tlog_checkpoint WHERE size = ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_int64(st, 1, (int64_t)c.size);
	step = sqlite3_step(st);
	rc = step == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 &&
	     memcmp(sqlite3_column_blob(st, 0), c.root, 32) == 0;
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return cds_sqlerr(db, _("witness"));
	if (!rc)
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("checkpoint: this hub signed no tree of %llu "
				 "leaves with that root"),
			       (unsigned long long)c.size);
	if ((rc = cds_witnesses_load(db, db->node_id, &w)) != CDSYNC_OK)
		return rc;
	if (w.n > 0 && (found = cds_calloc(w.n, sizeof *found)) == NULL) {
		cds_witnesses_free(&w);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	switch (cds_cosig_check(note, len, w.k, w.n, found, e, sizeof e)) {
	case 0:
		break;
	case -2:
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	default:
		rc = cds_err(db, CDSYNC_EBADSIG, "%s", e);
		goto out;
	}
	st = cds_prepare(db, "INSERT INTO tlog_cosig (size, witness, time, "
			     "line, taken_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON "
			     "CONFLICT (size, witness) DO UPDATE SET time = "
			     "excluded.time, line = excluded.line, taken_ms = "
			     "excluded.taken_ms WHERE excluded.time > time");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	for (k = 0; k < w.n && rc == CDSYNC_OK; k++) {
		if (found[k].time == UINT64_MAX)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (int64_t)c.size);
		sqlite3_bind_blob(st, 2, w.node[k], 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)found[k].time);
		sqlite3_bind_text(st, 4, (const char *)note + found[k].off,
				  (int)found[k].len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (int64_t)cds_wall_ms());
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cds_sqlerr(db, _("witness"));
		else
			rc = prune(db, w.node[k]);
		taken++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == CDSYNC_OK && taken == 0) {
		rc = cds_err(db, CDSYNC_EUNKNOWNKEY, "%s",
			     _("checkpoint: no cosignature of a witness this "
			       "hub's catalog has"));
		goto out;
	}
	if (rc == CDSYNC_OK && witnesses != NULL) {
		st = cds_prepare(db, "SELECT count(*) FROM tlog_cosig WHERE "
				     "size = ?1");
		if (st == NULL) {
			rc = cds_sqlcode(db);
			goto out;
		}
		sqlite3_bind_int64(st, 1, (int64_t)c.size);
		if (sqlite3_step(st) == SQLITE_ROW)
			*witnesses = (size_t)sqlite3_column_int64(st, 0);
		else
			rc = cds_sqlerr(db, _("witness"));
		sqlite3_finalize(st);
	}
out:
	cds_free(found);
	cds_witnesses_free(&w);
	return rc;
}

CDSYNC_API int
cdsync_tlog_cosigned_at(cdsync *db, uint64_t size, uint8_t **note,
			size_t *len)
{
	uint8_t *p = NULL;
	sqlite3_stmt *st;
	size_t n = 0, lines = 1;
	cds_buf b;
	int rc;

	cds_ok(db);
	if (note == NULL || len == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	*note = NULL;
	*len = 0;
	if ((rc = need_hub(db)) != CDSYNC_OK)
		return rc;
	if (size == UINT64_MAX) {	/* its size is in the note */
		char e[CDS_MSGLEN];
		struct cds_checkpoint c;

		if ((rc = cdsync_tlog_checkpoint(db, &p, &n)) != CDSYNC_OK)
			return rc;
		if (own_read(db, p, n, &c, e, sizeof e) != 0) {
			cdsync_free(p);
			return cds_err(db, CDSYNC_ECORRUPT, "%s", e);
		}
		size = c.size;
	} else {
		st = cds_prepare(db, "SELECT note FROM tlog_checkpoint WHERE "
				     "size = ?1");
		if (st == NULL)
			return cds_sqlcode(db);
		sqlite3_bind_int64(st, 1, (int64_t)size);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			n = (size_t)sqlite3_column_bytes(st, 0);
			if ((p = cds_malloc(n ? n : 1)) != NULL)
				memcpy(p, sqlite3_column_blob(st, 0), n);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return rc == SQLITE_DONE
				       ? cds_err(db, CDSYNC_ENOTFOUND,
						 _("this hub signed no "
						   "checkpoint of %llu leaves"),
						 (unsigned long long)size)
				       : cds_sqlerr(db, _("witness"));
		if (p == NULL)
			return cds_err(db, CDSYNC_ENOMEM, "%s",
				       _("out of memory"));
	}
	cds_buf_init(&b, CDS_CKPT_MAX);
	cds_buf_bytes(&b, p, n);
	cds_free(p);
	st = cds_prepare(db, "SELECT line FROM tlog_cosig WHERE size = ?1 "
			     "ORDER BY witness");
	if (st == NULL) {
		cds_buf_free(&b);
		return cds_sqlcode(db);
	}
	sqlite3_bind_int64(st, 1, (int64_t)size);
	/* as many lines as a note may carry, the log's own first */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       lines < CDS_CKPT_SIGS_MAX) {
		size_t k = (size_t)sqlite3_column_bytes(st, 0);

		if (b.n + k > CDS_CKPT_MAX)
			break;
		cds_buf_bytes(&b, sqlite3_column_text(st, 0), k);
		lines++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		cds_buf_free(&b);
		return cds_sqlerr(db, _("witness"));
	}
	if (b.rc != 0) {
		cds_buf_free(&b);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	*note = b.p;
	*len = b.n;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_tlog_witnessed(cdsync *db, uint64_t *size, size_t *witnesses)
{
	sqlite3_stmt *st;
	int rc;

	cds_ok(db);
	if (size == NULL || witnesses == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	*size = 0;
	*witnesses = 0;
	if ((rc = need_hub(db)) != CDSYNC_OK)
		return rc;
	st = cds_prepare(db, "SELECT size, count(*) FROM tlog_cosig GROUP BY "
			     "size ORDER BY size DESC LIMIT 1");
	if (st == NULL)
		return cds_sqlcode(db);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		*witnesses = (size_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? CDSYNC_OK
		       : cds_sqlerr(db, _("witness"));
}
