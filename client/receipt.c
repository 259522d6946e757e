/* receipt.c -- receipts and the outbox in the store (cdsync.h "Receipts
 * and the outbox"; SPEC.md "Receipts").
 *
 * A hub makes a receipt (version 2) from what its store recorded when it
 * took a bundle in (sync_bundle_in: sender, number, status, seen_ms,
 * status_ms; tlog_leaf: the bundle's leaf index), so the same state gives
 * the same bytes.  The node below checks a
 * receipt cheapest first -- layout, a signer it knows as upstream with
 * the key it knows, the signature, a bundle it holds -- and keeps it in
 * sync_receipt with one INSERT, so a refusal keeps nothing.  The outbox is
 * a query: the bundles this node holds that no upstream node has said it
 * merged.  Receipts of version 1 (without the leaf) read and count as
 * before.  cdsync_receipt_check is the auditor's offline check of a
 * receipt with the inclusion proof of its bundle (SPEC.md 12.6 step 3).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "files.h"
#include "i18n.h"
#include "keys.h"
#include "receipt.h"
#include "store.h"
#include "tlog.h"
#include "tlogstore.h"

#define RECEIPT_FILE_MAX 4096	/* bytes of a receipt file we read */

/* The last 8 hex digits of a node id, into out[9]. */
static void
tail8(const uint8_t node[16], char out[9])
{
	snprintf(out, 9, "%02x%02x%02x%02x", node[12], node[13], node[14],
		 node[15]);
}

/* The org code of `node` as this node knows it (its own, or a peer's),
 * into out; "" when it does not know it.  1 if it is a known peer. */
static int
code_of(cdsync *db, const uint8_t node[16], char *out, size_t n)
{
	sqlite3_stmt *st;
	int found = 0;

	out[0] = '\0';
	if (memcmp(node, db->node_id, 16) == 0) {
		st = cds_prepare(db, "SELECT code FROM org_unit WHERE id = ?1");
		if (st == NULL)
			return 0;
		sqlite3_bind_blob(st, 1, db->org_id, 16, SQLITE_STATIC);
	} else {
		st = cds_prepare(db, "SELECT org_code FROM sync_peer WHERE "
				     "node_id = ?1");
		if (st == NULL)
			return 0;
		sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL) {
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* A node for messages: its org code, else "node …" and the end of its
 * id. */
static void
who(cdsync *db, const uint8_t node[16], char *out, size_t n)
{
	char code[80], t[9];

	code_of(db, node, code, sizeof code);
	tail8(node, t);
	if (code[0] != '\0')
		snprintf(out, n, "%s", code);
	else
		snprintf(out, n, _("node …%s"), t);
}

/* ==== Making (at a hub) =============================================== */

CDSYNC_API int
cdsync_receipt_make(cdsync *db, const uint8_t hash[32], uint8_t **out,
		    size_t *len)
{
	struct cds_receipt r;
	sqlite3_stmt *st;
	char name[120], h[17];
	cds_buf b;
	int rc, step;

	cds_ok(db);
	*out = NULL;
	*len = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	memset(&r, 0, sizeof r);
	st = cds_prepare(db, "SELECT node_id, seq, status, seen_ms, status_ms "
			     "FROM sync_bundle_in WHERE hash = ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 16) {
		const char *s = (const char *)sqlite3_column_text(st, 2);

		memcpy(r.node, sqlite3_column_blob(st, 0), 16);
		r.seq = (uint64_t)sqlite3_column_int64(st, 1);
		r.status = s == NULL ? 0
			   : strcmp(s, "merged") == 0 ? CDS_RECEIPT_MERGED
			   : strcmp(s, "held") == 0 ? CDS_RECEIPT_HELD : 0;
		r.seen_ms = (uint64_t)sqlite3_column_int64(st, 3);
		r.made_ms = (uint64_t)sqlite3_column_int64(st, 4);
	} else if (step != SQLITE_DONE && step != SQLITE_ROW) {
		rc = cds_sqlerr(db, _("bundle"));
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW) {
		sodium_bin2hex(h, sizeof h, hash, 8);
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("no bundle with hash %s… was taken in here"),
			       h);
	}
	if (r.status == 0) {
		who(db, r.node, name, sizeof name);
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("bundle %llu of %s is kept here only as "
				 "evidence of a fork: it was not taken in, "
				 "and has no receipt"),
			       (unsigned long long)r.seq, name);
	}
	/* its leaf, appended when it was taken in (SPEC §12.8) */
	rc = cds_tlog_store_index(db, hash, &r.leaf);
	if (rc == CDSYNC_ENOTFOUND) {
		who(db, r.node, name, sizeof name);
		return cds_err(db, CDSYNC_ECORRUPT,
			       _("bundle %llu of %s was taken in here but has "
				 "no leaf in this node's transparency log: the "
				 "store is damaged; no receipt made"),
			       (unsigned long long)r.seq, name);
	}
	if (rc != CDSYNC_OK)
		return rc;
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		return rc;
	r.version = CDS_RECEIPT_V2;
	memcpy(r.hub, db->node_id, 16);
	memcpy(r.hub_pk, db->sign_pk, 32);
	memcpy(r.hash, hash, 32);
	cds_buf_init(&b, RECEIPT_FILE_MAX);
	cds_receipt_write(&b, &r, db->sign_sk);
	if (b.rc != 0) {
		cds_buf_free(&b);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	*out = b.p;		/* the buffer is the receipt (cds_malloc'd) */
	*len = b.n;
	return CDSYNC_OK;
}

/* ==== Taking (at the node below) ===================================== */

/* The bundle a receipt names, if this node holds it: its sender and
 * number (*held 0 when it does not hold it). */
static int
held_bundle(cdsync *db, const uint8_t hash[32], int *held, uint8_t node[16],
	    uint64_t *seq)
{
	sqlite3_stmt *st;
	int step;

	*held = 0;
	st = cds_prepare(db, "SELECT seq FROM sync_bundle_out WHERE hash = ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		*held = 1;
		memcpy(node, db->node_id, 16);
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return cds_sqlerr(db, _("bundle"));
	if (*held)
		return CDSYNC_OK;
	st = cds_prepare(db, "SELECT node_id, seq FROM sync_bundle_in WHERE "
			     "hash = ?1 AND status IN ('merged', 'held')");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 16) {
		*held = 1;
		memcpy(node, sqlite3_column_blob(st, 0), 16);
		*seq = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return cds_sqlerr(db, _("bundle"));
	return CDSYNC_OK;
}

/* Keeps a hub's receipt as its voucher for the time it first saw a
 * bundle (CDSYNC_EREPLAY when kept before). */
static int
vouch(cdsync *db, const char *what, const char *hub, const char *sender,
      const struct cds_receipt *r, const uint8_t *p, size_t n)
{
	sqlite3_stmt *st;
	char day[32];
	int rc;

	if (memcmp(r->node, r->hub, 16) == 0)	/* not secret */
		return cds_err(db, CDSYNC_ESCOPE,
			       _("%s: %s vouches for its own bundle; nothing "
				 "kept"),
			       what, hub);
	st = cds_prepare(db, "INSERT INTO sync_voucher (hash, hub, node_id, "
			     "seq, seen_ms, bytes) VALUES (?1, ?2, ?3, ?4, ?5, "
			     "?6) ON CONFLICT (hash, hub) DO NOTHING");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, r->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, r->hub, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, r->node, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)r->seq);
	sqlite3_bind_int64(st, 5, (int64_t)r->seen_ms);
	sqlite3_bind_blob(st, 6, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("receipt"));
	sqlite3_finalize(st);
	if (rc != CDSYNC_OK)
		return rc;
	if (sqlite3_changes(db->db) == 0)
		return cds_err(db, CDSYNC_EREPLAY,
			       _("%s: the voucher of %s for bundle %llu of %s "
				 "was kept before; nothing to do"),
			       what, hub, (unsigned long long)r->seq, sender);
	cds_day_text(r->seen_ms, day, sizeof day);
	return cds_err(db, CDSYNC_OK,
		       _("%s: kept as the voucher of %s: it first saw bundle "
			 "%llu of %s on %s"),
		       what, hub, (unsigned long long)r->seq, sender, day);
}

/* Checks a receipt (`what` names it in messages) and keeps it. */
static int
take(cdsync *db, const char *what, const uint8_t *p, size_t n)
{
	struct cds_receipt r;
	sqlite3_stmt *st;
	uint8_t pk[32], node[16];
	uint64_t seq = 0;
	char err[256], hub[120], sender[120], t[9];
	int rc, found = 0, upstream = 0, role = 0, held;

	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if (db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a receipt cannot be taken inside an open "
				 "transaction"));
	/* 1. the layout */
	if (cds_receipt_read(p, n, &r, err, sizeof err) != 0)
		return cds_err(db, CDSYNC_EBADINPUT, "%s: %s", what, err);
	who(db, r.node, sender, sizeof sender);
	if (memcmp(r.hub, db->node_id, 16) == 0)
		return cds_err(db, CDSYNC_ESCOPE,
			       _("%s: this node's own receipt for bundle %llu "
				 "of %s; it goes down to the node that sent "
				 "it"),
			       what, (unsigned long long)r.seq, sender);
	/* 2. a signer this node knows, with the key it knows, above it */
	st = cds_prepare(db, "SELECT sign_pk, upstream, coalesce(role, 0) FROM "
			     "sync_peer WHERE node_id = ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, r.hub, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 32) {
		found = 1;
		memcpy(pk, sqlite3_column_blob(st, 0), 32);
		upstream = sqlite3_column_int(st, 1);
		role = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	who(db, r.hub, hub, sizeof hub);
	if (!found) {
		tail8(r.hub, t);
		return cds_err(db, CDSYNC_EUNKNOWNKEY,
			       _("%s: signed by node …%s, which this node does "
				 "not know; nothing kept"),
			       what, t);
	}
	if (sodium_memcmp(pk, r.hub_pk, 32) != 0)
		return cds_err(db, CDSYNC_EUNKNOWNKEY,
			       _("%s: signed with a key that is not the one "
				 "known for %s; nothing kept"),
			       what, hub);
	if (!upstream && role != CDSYNC_ROLE_HUB)
		return cds_err(db, CDSYNC_ESCOPE,
			       _("%s: signed by %s, which is not above this "
				 "node: its receipts are for the nodes below "
				 "it; nothing kept"),
			       what, hub);
	/* 3. the signature */
	rc = cds_receipt_verify(p, n, &r, err, sizeof err);
	if (rc == -2)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (rc != 0)
		return cds_err(db, CDSYNC_EBADSIG, _("%s: %s; nothing kept"),
			       what, err);
	/* 3b. a hub below vouches for when it first saw a bundle of a node
	 * below it (SPEC §10.6): kept for the revocation check at import */
	if (!upstream)
		return vouch(db, what, hub, sender, &r, p, n);
	/* 4. a bundle this node holds */
	if ((rc = held_bundle(db, r.hash, &held, node, &seq)) != CDSYNC_OK)
		return rc;
	if (!held)
		return cds_err(db, CDSYNC_ESCOPE,
			       _("%s: the receipt of %s is for bundle %llu of "
				 "%s, which this node does not hold; nothing "
				 "kept"),
			       what, hub, (unsigned long long)r.seq, sender);
	if (memcmp(node, r.node, 16) != 0 || seq != r.seq) {
		char real[120];

		who(db, node, real, sizeof real);
		return cds_err(db, CDSYNC_EBADINPUT,
			       _("%s: the receipt of %s names bundle %llu of "
				 "%s, but the bundle with its hash is bundle "
				 "%llu of %s; nothing kept"),
			       what, hub, (unsigned long long)r.seq, sender,
			       (unsigned long long)seq, real);
	}
	/* 5. kept, once */
	st = cds_prepare(db, "INSERT INTO sync_receipt (hash, hub, status, "
			     "node_id, seq, seen_ms, made_ms, taken_ms, bytes) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON "
			     "CONFLICT (hash, hub, status) DO NOTHING");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, r.hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, r.hub, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r.status);
	sqlite3_bind_blob(st, 4, r.node, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)r.seq);
	sqlite3_bind_int64(st, 6, (int64_t)r.seen_ms);
	sqlite3_bind_int64(st, 7, (int64_t)r.made_ms);
	sqlite3_bind_int64(st, 8, (int64_t)cds_wall_ms());
	sqlite3_bind_blob(st, 9, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("receipt"));
	sqlite3_finalize(st);
	if (rc != CDSYNC_OK)
		return rc;
	if (sqlite3_changes(db->db) == 0)
		return cds_err(db, CDSYNC_EREPLAY,
			       _("%s: the receipt of %s for bundle %llu of %s "
				 "was kept before; nothing to do"),
			       what, hub, (unsigned long long)r.seq, sender);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_receipt_take(cdsync *db, const uint8_t *bytes, size_t len)
{
	cds_ok(db);
	return take(db, _("receipt"), bytes, len);
}

static int
read_file(cdsync *db, const char *path, uint8_t **p, size_t *n)
{
	return cds_file_read(db, path, RECEIPT_FILE_MAX, _("a receipt"),
			     CDSYNC_EBADINPUT, p, n);
}

CDSYNC_API int
cdsync_receipt_import(cdsync *db, const char *path)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int rc;

	cds_ok(db);
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if ((rc = read_file(db, path, &p, &n)) != CDSYNC_OK)
		return rc;
	rc = take(db, path, p, n);
	cds_free(p);
	return rc;
}

/* What a receipt that read says, for people. */
static void
info_of(cdsync *db, const struct cds_receipt *r, cdsync_receipt_info *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->hub, r->hub, 16);
	memcpy(out->node, r->node, 16);
	memcpy(out->hash, r->hash, 32);
	out->seq = r->seq;
	out->merged = r->status == CDS_RECEIPT_MERGED;
	out->seen_ms = r->seen_ms;
	out->made_ms = r->made_ms;
	out->version = r->version;
	out->has_leaf = r->version >= CDS_RECEIPT_V2;
	out->leaf = out->has_leaf ? r->leaf : 0;
	if (db->has_node) {
		code_of(db, r->hub, out->hub_org, sizeof out->hub_org);
		code_of(db, r->node, out->org, sizeof out->org);
	}
}

/* Reads a receipt file and checks its layout and its signature by the key
 * it names: into *r. */
static int
read_signed(cdsync *db, const char *path, struct cds_receipt *r)
{
	uint8_t *p = NULL;
	size_t n = 0;
	char err[256];
	int rc;

	if ((rc = read_file(db, path, &p, &n)) != CDSYNC_OK)
		return rc;
	if (cds_receipt_read(p, n, r, err, sizeof err) != 0) {
		cds_free(p);
		return cds_err(db, CDSYNC_EBADINPUT, "%s: %s", path, err);
	}
	rc = cds_receipt_verify(p, n, r, err, sizeof err);
	cds_free(p);
	if (rc == -2)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (rc != 0)
		return cds_err(db, CDSYNC_EBADSIG, "%s: %s", path, err);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_receipt_read(cdsync *db, const char *path, cdsync_receipt_info *out)
{
	struct cds_receipt r;
	int rc;

	cds_ok(db);
	memset(out, 0, sizeof *out);
	if ((rc = read_signed(db, path, &r)) != CDSYNC_OK)
		return rc;
	info_of(db, &r, out);
	return CDSYNC_OK;
}

/* ==== Checking a receipt with its inclusion proof ====================== */

/* The hub as this store knows it: its org code and the key it signs with
 * now (this node itself, or a known node).  0 unknown, 1 known, -1 an
 * error (message set). */
static int
known_hub(cdsync *db, const uint8_t hub[16], char *code, size_t n,
	  uint8_t pk[32])
{
	sqlite3_stmt *st;
	int step, found = 0;

	code[0] = '\0';
	if (memcmp(hub, db->node_id, 16) == 0) {	/* not secret */
		memcpy(pk, db->sign_pk, 32);
		return code_of(db, hub, code, n) && code[0] != '\0';
	}
	st = cds_prepare(db, "SELECT org_code, sign_pk FROM sync_peer WHERE "
			     "node_id = ?1");
	if (st == NULL)
		return -1;
	sqlite3_bind_blob(st, 1, hub, 16, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL &&
	    sqlite3_column_bytes(st, 1) == 32) {
		snprintf(code, n, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		memcpy(pk, sqlite3_column_blob(st, 1), 32);
		found = code[0] != '\0';
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		cds_sqlerr(db, _("receipt"));
		return -1;
	}
	return found;
}

/* 1 if pk is a key the hub signed with before a hand-over (SPEC §10.8),
 * 0 if not, -1 on an error. */
static int
former_key(cdsync *db, const uint8_t hub[16], const uint8_t pk[32])
{
	sqlite3_stmt *st;
	int step;

	st = cds_prepare(db, "SELECT 1 FROM sync_key_old WHERE node_id = ?1 "
			     "AND sign_pk = ?2");
	if (st == NULL)
		return -1;
	sqlite3_bind_blob(st, 1, hub, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, pk, 32, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		cds_sqlerr(db, _("receipt"));
		return -1;
	}
	return step == SQLITE_ROW;
}

/* The field in which the leaf of a proof and the one rebuilt from a
 * receipt differ; NULL when they are the same leaf. */
static const char *
other_leaf(const struct cds_receipt *r, const cdsync_tlog_entry *e)
{
	struct cds_tlog_leaf a, b;
	uint8_t la[CDS_TLOG_LEAF_BYTES], lb[CDS_TLOG_LEAF_BYTES];

	memcpy(a.hash, r->hash, 32);
	memcpy(a.node, r->node, 16);
	a.seq = r->seq;
	a.seen_ms = r->seen_ms;
	memcpy(b.hash, e->hash, 32);
	memcpy(b.node, e->node, 16);
	b.seq = e->seq;
	b.seen_ms = e->seen_ms;
	cds_tlog_leaf_encode(&a, la);
	cds_tlog_leaf_encode(&b, lb);
	if (memcmp(la, lb, sizeof la) == 0)	/* public */
		return NULL;
	if (memcmp(a.hash, b.hash, 32) != 0)
		return _("another bundle hash");
	if (memcmp(a.node, b.node, 16) != 0)
		return _("another sender");
	if (a.seq != b.seq)
		return _("another bundle number");
	return _("another time the hub first saw it");
}

static int
check(cdsync *db, const char *rpath, const char *ppath,
      cdsync_receipt_info *ri, cdsync_tlog_head *head,
      cdsync_tlog_entry *entry)
{
	struct cds_receipt r;
	uint8_t pk[32], *p = NULL;
	char code[256], origin[CDSYNC_TLOG_ORIGINBYTES], hex[33], err[512];
	const char *why;
	size_t n = 0;
	int rc, known;

	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	/* the receipt: its layout, its signature by the key it names */
	if ((rc = read_signed(db, rpath, &r)) != CDSYNC_OK)
		return rc;
	info_of(db, &r, ri);
	/* the hub: known here, for its log's origin and its key */
	if ((known = known_hub(db, r.hub, code, sizeof code, pk)) < 0)
		return CDSYNC_ERROR;
	sodium_bin2hex(hex, sizeof hex, r.hub, 16);
	if (!known)
		return cds_err(db, CDSYNC_EUNKNOWNKEY,
			       _("%s: signed by the hub %s, which this store "
				 "does not know: without its org code the "
				 "origin of its log is not known here; take in "
				 "a catalog that lists it"),
			       rpath, hex);
	if (sodium_memcmp(pk, r.hub_pk, 32) != 0) {
		if ((known = former_key(db, r.hub, r.hub_pk)) < 0)
			return CDSYNC_ERROR;
		if (!known)
			return cds_err(db, CDSYNC_EUNKNOWNKEY,
				       _("%s: signed with a key that is not "
					 "one this store knows for %s"),
				       rpath, code);
	}
	if (cdsync_tlog_origin(code, r.hub, origin, sizeof origin) !=
	    CDSYNC_OK)
		return cds_err(db, CDSYNC_EUNKNOWNKEY,
			       _("%s: the org code of %s gives no origin of a "
				 "log"),
			       rpath, code);
	/* the proof: of that log, signed with the hub's key */
	rc = cds_file_read(db, ppath, CDS_TLOG_FILE_MAX,
			   _("an inclusion proof"), CDSYNC_EBADINPUT, &p, &n);
	if (rc != CDSYNC_OK)
		return rc;
	rc = cdsync_tlog_check_inclusion(p, n, pk, origin, head, entry, err,
					 sizeof err);
	cds_free(p);
	if (rc != CDSYNC_OK)
		return cds_err(db, rc == CDSYNC_EINVAL ? CDSYNC_EBADSIG : rc,
			       "%s: %s", ppath, err);
	/* of the receipt's leaf, at the index it says */
	if ((why = other_leaf(&r, entry)) != NULL)
		return cds_err(db, CDSYNC_EBADSIG,
			       _("%s: the leaf it proves is not the one "
				 "rebuilt from %s: %s"),
			       ppath, rpath, why);
	if (r.version >= CDS_RECEIPT_V2 && entry->index != r.leaf)
		return cds_err(db, CDSYNC_EBADSIG,
			       _("%s: it proves leaf %llu of the log, but the "
				 "receipt %s says leaf %llu"),
			       ppath, (unsigned long long)entry->index, rpath,
			       (unsigned long long)r.leaf);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_receipt_check(cdsync *db, const char *receipt_path,
		     const char *proof_path, cdsync_receipt_info *receipt,
		     cdsync_tlog_head *head, cdsync_tlog_entry *entry)
{
	cdsync_receipt_info ri;
	cdsync_tlog_head h;
	cdsync_tlog_entry e;
	int rc;

	cds_ok(db);
	memset(&ri, 0, sizeof ri);
	memset(&h, 0, sizeof h);
	memset(&e, 0, sizeof e);
	if (receipt_path == NULL || proof_path == NULL)
		rc = cds_err(db, CDSYNC_EINVAL, "%s",
			     _("a receipt and its proof file are needed"));
	else
		rc = check(db, receipt_path, proof_path, &ri, &h, &e);
	if (rc != CDSYNC_OK) {
		memset(&ri, 0, sizeof ri);
		memset(&h, 0, sizeof h);
		memset(&e, 0, sizeof e);
	}
	if (receipt != NULL)
		*receipt = ri;
	if (head != NULL)
		*head = h;
	if (entry != NULL)
		*entry = e;
	return rc;
}

/* ==== The outbox ====================================================== */

/* Bundles this node holds that no upstream node has said it merged: its
 * own (kind 0), then forwarded ones (kind 1), by sender and number.
 * ?1 this node's id, ?2 its org code. */
#define OUTBOX_SQL                                                         \
	"SELECT 0 AS k, ?1 AS n, o.seq AS s, o.hash AS h, length(o.bytes) "   \
	"AS l, ?2 AS c FROM "                                                 \
	"sync_bundle_out o WHERE NOT EXISTS (SELECT 1 FROM sync_receipt r "  \
	"JOIN sync_peer p ON p.node_id = r.hub WHERE r.hash = o.hash AND "   \
	"r.status = 1 AND p.upstream = 1) UNION ALL SELECT 1, b.node_id, "   \
	"b.seq, b.hash, length(b.bytes), coalesce(q.org_code, 'node') FROM " \
	"sync_bundle_in b LEFT JOIN sync_peer q ON q.node_id = b.node_id "   \
	"WHERE b.status = 'merged' AND NOT EXISTS (SELECT 1 FROM "           \
	"sync_receipt r JOIN sync_peer p ON p.node_id = r.hub WHERE r.hash " \
	"= b.hash AND r.status = 1 AND p.upstream = 1)"

/* Prepares sql (which uses OUTBOX_SQL) with ?1 and ?2 bound; *code is
 * where ?2's text lives.  NULL with the message set. */
static sqlite3_stmt *
outbox_stmt(cdsync *db, const char *sql, char *code, size_t n)
{
	sqlite3_stmt *st;

	if (!code_of(db, db->node_id, code, n) || code[0] == '\0')
		snprintf(code, n, "node");
	if ((st = cds_prepare(db, sql)) == NULL)
		return NULL;
	sqlite3_bind_blob(st, 1, db->node_id, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
	return st;
}

CDSYNC_API int
cdsync_outbox_at(cdsync *db, size_t i, cdsync_outbox_item *out)
{
	sqlite3_stmt *st;
	char code[80], hexid[33];
	const char *c;
	int rc;

	cds_ok(db);
	memset(out, 0, sizeof *out);
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if (db->role == CDSYNC_ROLE_NATIONAL)
		return CDSYNC_ENOTFOUND;	/* nobody above it */
	st = outbox_stmt(db, OUTBOX_SQL " ORDER BY k, n, s LIMIT 1 OFFSET ?3",
			 code, sizeof code);
	if (st == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_int64(st, 3, (int64_t)i);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || sqlite3_column_bytes(st, 1) != 16 ||
	    sqlite3_column_bytes(st, 3) != 32) {
		rc = rc == SQLITE_DONE ? CDSYNC_ENOTFOUND
		     : rc == SQLITE_ROW ? cds_err(db, CDSYNC_ECORRUPT, "%s",
						 _("outbox: a damaged bundle "
						   "row"))
					: cds_sqlerr(db, _("outbox"));
		sqlite3_finalize(st);
		return rc;
	}
	memcpy(out->node, sqlite3_column_blob(st, 1), 16);
	out->seq = (uint64_t)sqlite3_column_int64(st, 2);
	memcpy(out->hash, sqlite3_column_blob(st, 3), 32);
	out->len = (uint64_t)sqlite3_column_int64(st, 4);
	c = (const char *)sqlite3_column_text(st, 5);
	sodium_bin2hex(hexid, sizeof hexid, out->node, 16);
	snprintf(out->name, sizeof out->name, "%s-%s-%06llu.cdsb",
		 c ? c : "node", hexid + 24, (unsigned long long)out->seq);
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_outbox_size(cdsync *db, size_t *count, uint64_t *bytes)
{
	sqlite3_stmt *st;
	char code[80];
	int rc;

	cds_ok(db);
	*count = 0;
	*bytes = 0;
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if (db->role == CDSYNC_ROLE_NATIONAL)
		return CDSYNC_OK;
	st = outbox_stmt(db, "SELECT count(*), coalesce(sum(l), 0) FROM ("
			     OUTBOX_SQL ")", code, sizeof code);
	if (st == NULL)
		return CDSYNC_ERROR;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*count = (size_t)sqlite3_column_int64(st, 0);
		*bytes = (uint64_t)sqlite3_column_int64(st, 1);
		rc = CDSYNC_OK;
	} else {
		rc = cds_sqlerr(db, _("outbox"));
	}
	sqlite3_finalize(st);
	return rc;
}

CDSYNC_API int
cdsync_bundle_bytes(cdsync *db, const uint8_t hash[32], uint8_t **bytes,
		    size_t *len)
{
	static const char *const sql[2] = {
		"SELECT bytes FROM sync_bundle_out WHERE hash = ?1",
		"SELECT bytes FROM sync_bundle_in WHERE hash = ?1",
	};
	sqlite3_stmt *st;
	char h[17];
	size_t k, n;
	int step;

	cds_ok(db);
	*bytes = NULL;
	*len = 0;
	for (k = 0; k < 2; k++) {
		if ((st = cds_prepare(db, sql[k])) == NULL)
			return CDSYNC_ERROR;
		sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
		step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			n = (size_t)sqlite3_column_bytes(st, 0);
			if ((*bytes = cds_malloc(n + 1)) == NULL) {
				sqlite3_finalize(st);
				return cds_err(db, CDSYNC_ENOMEM, "%s",
					       _("out of memory"));
			}
			if (n > 0)
				memcpy(*bytes, sqlite3_column_blob(st, 0), n);
			*len = n;
			sqlite3_finalize(st);
			return CDSYNC_OK;
		}
		sqlite3_finalize(st);
		if (step != SQLITE_DONE)
			return cds_sqlerr(db, _("bundle"));
	}
	sodium_bin2hex(h, sizeof h, hash, 8);
	return cds_err(db, CDSYNC_ENOTFOUND,
		       _("this node holds no bundle with hash %s…"), h);
}
