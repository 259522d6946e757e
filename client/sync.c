/* sync.c -- keys, peers, and moving bundles in and out (cdsync.h
 * "Bundles"; SPEC.md sections 7 and 8).
 *
 * Export seals the changes written here since the last bundle into the
 * next bundle of this node's chain -- sequence number, sealed position
 * and the bundle's bytes are stored in one transaction, so a crash never
 * reuses a number -- and writes every stored bundle to a folder.
 * Import checks a file cheapest first and merges it exactly once: the
 * bundle's hash is unique in sync_bundle_in, and the row that says it
 * was merged commits with its changes.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "alloc.h"
#include "bundle.h"
#include "change.h"
#include "changelog.h"
#include "i18n.h"
#include "id.h"
#include "merge.h"
#include "rec.h"
#include "scope.h"
#include "snapstore.h"
#include "store.h"
#include "files.h"
#include "keys.h"
#include "text.h"
#include "tlogstore.h"
#include "trust.h"
#include "write.h"

struct cds_bundle_head;
static int read_bundle(cdsync *db, const char *path, uint8_t **buf,
		       size_t *len);
static int own_head(cdsync *db, int64_t *seq, uint8_t hash[32]);
static int adopt_own(cdsync *db, const char *path, const uint8_t *b,
		     size_t n, const struct cds_bundle_head *h,
		     size_t *changes);

CDSYNC_API void
cdsync_free(void *p)
{
	cds_free(p);
}

static int
need_keys(cdsync *db)
{
	if (db->has_node && db->has_pub)
		return CDSYNC_OK;
	return cds_err(db, CDSYNC_ENOTINIT, "%s",
		       _("this store has no node yet: run 'cdsync init' "
			 "first"));
}

/* This node's org code (into buf). */
static int
own_code(cdsync *db, char *buf, size_t n)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT code FROM org_unit WHERE "
					   "id = ?1");
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, db->org_id, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	snprintf(buf, n, "%s", rc == SQLITE_ROW && sqlite3_column_text(st, 0)
				       ? (const char *)sqlite3_column_text(st, 0)
				       : "?");
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, size_t n, uint8_t *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = (unsigned char)s[2 * i];
		lo = (unsigned char)s[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0'
		     : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0'
		     : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return s[2 * n] == '\0' || s[2 * n] == '\n' || s[2 * n] == '\r'
	       ? 0 : -1;
}

/* ==== Keys and peers ================================================== */

CDSYNC_API int
cdsync_keys_export(cdsync *db, char **out)
{
	char code[80], node[33], sign[65], box[65];
	size_t n = 512;
	int rc;

	cds_ok(db);
	*out = NULL;
	if ((rc = need_keys(db)) != CDSYNC_OK ||
	    (rc = own_code(db, code, sizeof code)) != CDSYNC_OK)
		return rc;
	hex(db->node_id, 16, node);
	hex(db->sign_pk, 32, sign);	/* the pk half */
	hex(db->box_pk, 32, box);
	if ((*out = cds_malloc(n)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	snprintf(*out, n,
		 "cdsync public key v1\nnode %s\norg %s\nsign %s\nbox %s\n",
		 node, code, sign, box);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_peer_add(cdsync *db, const char *text, int upstream)
{
	uint8_t node[16], sign[32], box[32];
	char code[80] = "", line[256];
	const char *p = text, *nl;
	sqlite3_stmt *st;
	int have = 0, lineno = 0, rc;
	size_t len;

	cds_ok(db);
	if ((rc = need_keys(db)) != CDSYNC_OK)
		return rc;
	while (*p) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (len >= sizeof line)
			return cds_err(db, CDSYNC_EBADINPUT,
				       _("public key, line %d: too long"),
				       lineno);
		memcpy(line, p, len);
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		p = nl ? nl + 1 : p + len;
		if (lineno == 1) {
			if (strcmp(line, "cdsync public key v1") != 0)
				return cds_err(db, CDSYNC_EBADINPUT, "%s",
					       _("not a cdsync public key "
						 "(the first line must be "
						 "'cdsync public key v1')"));
		} else if (strncmp(line, "node ", 5) == 0 &&
			   unhex(line + 5, 16, node) == 0) {
			have |= 1;
		} else if (strncmp(line, "org ", 4) == 0 && len > 4 &&
			   len - 4 < sizeof code) {
			memcpy(code, line + 4, len - 4 + 1);
			have |= 2;
		} else if (strncmp(line, "sign ", 5) == 0 &&
			   unhex(line + 5, 32, sign) == 0) {
			have |= 4;
		} else if (strncmp(line, "box ", 4) == 0 &&
			   unhex(line + 4, 32, box) == 0) {
			have |= 8;
		} else if (len > 0) {
			return cds_err(db, CDSYNC_EBADINPUT,
				       _("public key, line %d: not understood"),
				       lineno);
		}
	}
	if (have != 15)
		return cds_err(db, CDSYNC_EBADINPUT, "%s",
			       _("public key: node, org, sign and box lines "
				 "are all needed"));
	if (memcmp(node, db->node_id, 16) == 0)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("that is this node's own key"));
	st = cds_prepare(db, "INSERT INTO sync_peer (node_id, org_code, "
			     "sign_pk, box_pk, upstream) VALUES (?1, ?2, ?3, "
			     "?4, ?5) ON CONFLICT (node_id) DO UPDATE SET "
			     "org_code = excluded.org_code, sign_pk = "
			     "excluded.sign_pk, box_pk = excluded.box_pk, "
			     "upstream = excluded.upstream");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, sign, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, box, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, upstream ? 1 : 0);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("peer"));
	sqlite3_finalize(st);
	return rc;
}

/* ==== Sealing ========================================================= */

static int64_t
state_int(cdsync *db, const char *key)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT value FROM sync_state "
					   "WHERE key = ?1");
	int64_t v = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
set_state_int(cdsync *db, const char *key, int64_t v)
{
	sqlite3_stmt *st = cds_prepare(db, "INSERT OR REPLACE INTO sync_state "
					   "(key, value) VALUES (?1, ?2)");
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, "sync_state");
	sqlite3_finalize(st);
	return rc;
}

/* Builds the payload of the unsealed changes written here (at most
 * CDS_BUNDLE_MAX_CHANGES); *count 0 when there is none; *upto is the log
 * position the bundle seals up to. */
static int
payload(cdsync *db, int64_t from, cds_buf *b, uint32_t *count, int64_t *upto)
{
	struct cds_log_at last;
	sqlite3_stmt *st;
	int more = 0, rc;

	*count = 0;
	*upto = from;
	st = cds_prepare(db, "SELECT coalesce(max(seq), 0) FROM sync_change");
	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) == SQLITE_ROW)
		*upto = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* changes that came in bundles travel in those bundles */
	st = cds_prepare(db, "SELECT c.seq, c.tbl, c.rid, c.op, c.hlc, "
			     "n.node_id, c.base, c.vals FROM sync_change c "
			     "JOIN sync_node n ON n.idx = c.node WHERE c.seq > "
			     "?1 AND c.via IS NULL ORDER BY c.seq");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_int64(st, 1, from);
	rc = cds_log_payload(db, st, CDS_BUNDLE_MAX_CHANGES,
			     CDS_BUNDLE_MAX_PLAIN, b, count, &last, &more);
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK && more)
		*upto = last.seq;
	return rc;
}

/* Seals the unsealed changes written here into the next bundle. */
static int
seal(cdsync *db, size_t *sealed)
{
	uint8_t (*rcpt)[CDS_BOX_PKBYTES] = NULL, prev[32];
	struct cds_bundle_seal_args a;
	struct cds_bundle_head h;
	sqlite3_stmt *st = NULL;
	uint8_t *bytes = NULL;
	size_t nrcpt = 0, blen = 0;
	int64_t from, upto, last = 0;
	uint32_t count;
	char err[512];
	cds_buf b;
	int rc, haveprev = 0;

	*sealed = 0;
	cds_buf_init(&b, CDS_BUNDLE_MAX_PLAIN);
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		return rc;
	from = state_int(db, "sealed_upto");
	if ((rc = payload(db, from, &b, &count, &upto)) != CDSYNC_OK)
		goto out;
	if (count == 0) {
		rc = set_state_int(db, "sealed_upto", upto);
		goto out;
	}
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		goto out;
	/* the hubs above, and the auditors the national union enrolled:
	 * they count the figures again from the bundles (SPEC.md §15.2) */
	st = cds_prepare(db, "SELECT box_pk FROM sync_peer WHERE upstream = 1 "
			     "OR (role = 5 AND catalog = 1 AND revoked_from IS "
			     "NULL) ORDER BY upstream DESC, node_id");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	if ((rcpt = cds_calloc(CDS_BUNDLE_MAX_RCPT, sizeof *rcpt)) == NULL) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	/* This node is a recipient of its own bundles: restored from an old
	 * backup, it recovers what it sealed since from its own files. */
	memcpy(rcpt[nrcpt++], db->box_pk, 32);
	while (sqlite3_step(st) == SQLITE_ROW && nrcpt < CDS_BUNDLE_MAX_RCPT)
		if (sqlite3_column_bytes(st, 0) == 32)
			memcpy(rcpt[nrcpt++], sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
	st = NULL;
	if (nrcpt == 1) {
		rc = cds_err(db, CDSYNC_ENOTFOUND, "%s",
			     _("this node has nobody to send to: add the upper "
			       "hub's key with 'cdsync peer add FILE "
			       "--upstream'"));
		goto out;
	}
	st = cds_prepare(db, "SELECT seq, hash FROM sync_bundle_out ORDER BY "
			     "seq DESC LIMIT 1");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == 32) {
		last = sqlite3_column_int64(st, 0);
		memcpy(prev, sqlite3_column_blob(st, 1), 32);
		haveprev = 1;
	}
	sqlite3_finalize(st);
	st = NULL;
	memset(&a, 0, sizeof a);
	a.node = db->node_id;
	a.sign_sk = db->sign_sk;
	a.seq = (uint64_t)last + 1;
	a.prev = haveprev ? prev : NULL;
	a.hlc = cds_hlc_tick(&db->clock, cds_wall_ms());
	a.count = count;
	a.rcpt_pk = (const uint8_t(*)[CDS_BOX_PKBYTES])rcpt;
	a.nrcpt = nrcpt;
	rc = cds_bundle_seal(&a, b.p, b.n, &bytes, &blen, &h, err, sizeof err);
	if (rc != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s", err);
		goto out;
	}
	st = cds_prepare(db, "INSERT INTO sync_bundle_out (seq, hash, "
			     "last_seq, changes, bytes) VALUES (?1, ?2, ?3, ?4, "
			     "?5)");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	sqlite3_bind_int64(st, 1, (int64_t)a.seq);
	sqlite3_bind_blob(st, 2, h.hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, upto);
	sqlite3_bind_int64(st, 4, count);
	sqlite3_bind_blob(st, 5, bytes, (int)blen, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = cds_sqlerr(db, _("bundle"));
		goto out;
	}
	if ((rc = set_state_int(db, "sealed_upto", upto)) != CDSYNC_OK ||
	    (rc = set_state_int(db, "hlc", (int64_t)db->clock.last)) != 0)
		goto out;
	*sealed = 1;
out:
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK)
		rc = cds_exec(db, "COMMIT");
	if (rc != CDSYNC_OK) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		*sealed = 0;
	}
	cds_free(rcpt);
	cds_free(bytes);
	cds_buf_free(&b);
	return rc;
}

/* The next bundle of this node, unless it is the national hub: nobody
 * is above it, so what it records is not sealed to anyone. */
static int
seal_up(cdsync *db, size_t *sealed)
{
	*sealed = 0;
	if (db->role == CDSYNC_ROLE_NATIONAL)
		return CDSYNC_OK;
	return seal(db, sealed);
}

CDSYNC_API int
cdsync_seal(cdsync *db, size_t *sealed)
{
	int rc;

	cds_ok(db);
	*sealed = 0;
	if ((rc = need_keys(db)) != CDSYNC_OK)
		return rc;
	if (db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("sealing cannot run inside an open "
				 "transaction"));
	return seal_up(db, sealed);
}

/* ==== Files =========================================================== */

/* 1 if path holds exactly these bytes. */
struct found {
	uint64_t seq;
	char path[4096];
};

static int
byseq(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Before sealing: this node's own bundles in dir that its store lacks
 * (it was restored from an older backup) are recovered first, so the
 * chain goes on from the last bundle this node really sealed. */
static int
recover_from(cdsync *db, const char *dir)
{
	struct cds_bundle_head h;
	struct found *f = NULL, *g;
	struct dirent *e;
	uint8_t *b = NULL, last[32];
	char tag[16], err[512];
	size_t nf = 0, cap = 0, n = 0, i;
	int64_t lastseq;
	int rc;
	DIR *d;

	if ((rc = own_head(db, &lastseq, last)) != CDSYNC_OK)
		return rc;
	snprintf(tag, sizeof tag, "-%02x%02x%02x%02x-", db->node_id[12],
		 db->node_id[13], db->node_id[14], db->node_id[15]);
	if ((d = opendir(dir)) == NULL)
		return CDSYNC_OK;
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, tag) == NULL ||
		    strstr(e->d_name, ".cdsb") == NULL || e->d_name[0] == '.')
			continue;
		if (nf == cap) {
			cap = cap ? 2 * cap : 8;
			if ((g = cds_realloc(f, cap * sizeof *f)) == NULL) {
				closedir(d);
				cds_free(f);
				return cds_err(db, CDSYNC_ENOMEM, "%s",
					       _("out of memory"));
			}
			f = g;
		}
		snprintf(f[nf].path, sizeof f[nf].path, "%s/%s", dir,
			 e->d_name);
		f[nf].seq = 0;
		if (read_bundle(db, f[nf].path, &b, &n) != CDSYNC_OK)
			continue;
		if (cds_bundle_head(b, n, &h, err, sizeof err) == CDSYNC_OK &&
		    memcmp(h.node, db->node_id, 16) == 0 &&
		    (int64_t)h.seq > lastseq)
			f[nf++].seq = h.seq;
		cds_free(b);
	}
	closedir(d);
	cds_ok(db);
	if (nf > 0)
		qsort(f, nf, sizeof *f, byseq);
	for (i = 0, rc = CDSYNC_OK; i < nf && rc == CDSYNC_OK; i++) {
		if ((rc = read_bundle(db, f[i].path, &b, &n)) != CDSYNC_OK)
			break;
		rc = cds_bundle_head(b, n, &h, err, sizeof err);
		if (rc != CDSYNC_OK)
			rc = cds_err(db, rc, "%s: %s", f[i].path, err);
		else
			rc = adopt_own(db, f[i].path, b, n, &h, NULL);
		cds_free(b);
	}
	cds_free(f);
	if (rc != CDSYNC_OK) {
		char old[CDS_MSGLEN];

		memcpy(old, db->msg, sizeof old);
		return cds_err(db, rc, _("%s -- nothing was sealed, so the "
					 "chain does not fork"), old);
	}
	return CDSYNC_OK;
}

/* 1 if this node took any bundle in (merged or held), 0 if not, -1 on an
 * error (message set). */
static int
took_any(cdsync *db)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT 1 FROM sync_bundle_in WHERE "
					   "status IN ('merged', 'held') "
					   "LIMIT 1");
	int step;

	if (st == NULL)
		return -1;
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		cds_sqlerr(db, _("receipt"));
		return -1;
	}
	return step == SQLITE_ROW;
}

/* At a hub: receipt-CODE-SEQ.cdsr for every bundle it merged or holds
 * (SPEC.md "Receipts"), and beside each receipt-CODE-SEQ.tlog-proof, the
 * bundle's inclusion proof against one checkpoint of the log, signed now
 * (SPEC.md 11.2, 12.5).  The same store gives the same receipts, so
 * writing them again leaves the files alone; a proof already in the
 * folder is left as it is (it still proves the leaf against the
 * checkpoint inside it), so an export costs the bundles new since.  A
 * bundle taken in meanwhile (by cdsyncd) gets its receipt now and its
 * proof at the next export. */
static int
write_receipts(cdsync *db, const char *dir)
{
	struct cds_tlog_proofs *proofs = NULL;
	struct missing {
		uint8_t hash[32];
		char name[320];
	} *miss = NULL, *m;
	sqlite3_stmt *st;
	uint8_t *r = NULL, hash[32];
	size_t n = 0, nmiss = 0, cap = 0, i;
	/* "receipt-" CODE (an org code: at most 255 bytes) "-" SEQ (at most
	 * 19 digits) ".tlog-proof" */
	char name[320], path[4500];
	struct stat sb;
	int rc = CDSYNC_OK, step = SQLITE_DONE, wrote, any;

	if ((any = took_any(db)) <= 0)
		return any < 0 ? CDSYNC_ERROR : CDSYNC_OK;
	st = cds_prepare(db, "SELECT coalesce(p.org_code, 'node'), b.seq, "
			     "b.hash FROM sync_bundle_in b LEFT JOIN sync_peer "
			     "p ON p.node_id = b.node_id WHERE b.status IN "
			     "('merged', 'held') ORDER BY 1, 2, b.node_id");
	if (st == NULL)
		return cds_sqlcode(db);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		int len;

		if (sqlite3_column_bytes(st, 2) != 32)
			continue;
		memcpy(hash, sqlite3_column_blob(st, 2), 32);
		len = snprintf(name, sizeof name, "receipt-%s-%06lld.cdsr",
			       c ? c : "node",
			       (long long)sqlite3_column_int64(st, 1));
		if (len < 5 || (size_t)len + 7 >= sizeof name) {
			rc = cds_err(db, CDSYNC_ECORRUPT, "%s",
				     _("receipt: an org code too long for a "
				       "file name"));
			break;
		}
		if ((rc = cdsync_receipt_make(db, hash, &r, &n)) != CDSYNC_OK)
			break;
		rc = cds_file_write(db, dir, name, r, n, &wrote);
		cds_free(r);
		r = NULL;
		if (rc != CDSYNC_OK)
			break;
		/* receipt-CODE-SEQ.cdsr -> receipt-CODE-SEQ.tlog-proof, once:
		 * a proof written whole stays a proof (its checkpoint inside
		 * it), so a bigger log writes only the new bundles' -- after
		 * this read: the proofs sign a checkpoint, a write, which a
		 * read still open here could not make once another program
		 * wrote to the store meanwhile */
		snprintf(name + len - 5, sizeof name - (size_t)(len - 5),
			 ".tlog-proof");
		snprintf(path, sizeof path, "%s/%s", dir, name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
			continue;
		if (nmiss == cap) {
			cap = cap ? cap * 2 : 64;
			if ((m = cds_realloc(miss, cap * sizeof *m)) == NULL) {
				rc = cds_err(db, CDSYNC_ENOMEM, "%s",
					     _("out of memory"));
				break;
			}
			miss = m;
		}
		memcpy(miss[nmiss].hash, hash, 32);
		memcpy(miss[nmiss].name, name, sizeof name);
		nmiss++;
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(db, _("receipt"));
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK && nmiss > 0)
		rc = cds_tlog_proofs_open(db, &proofs);
	for (i = 0; rc == CDSYNC_OK && i < nmiss; i++) {
		rc = cds_tlog_proofs_file(db, proofs, miss[i].hash, &r, &n);
		if (rc == CDSYNC_ENOTFOUND) {	/* taken in since */
			cds_ok(db);
			rc = CDSYNC_OK;
			continue;
		}
		if (rc == CDSYNC_OK)
			rc = cds_file_write(db, dir, miss[i].name, r, n, &wrote);
		cds_free(r);
		r = NULL;
	}
	cds_tlog_proofs_close(proofs);
	cds_free(miss);
	return rc;
}

CDSYNC_API int
cdsync_export(cdsync *db, const char *dir, size_t *sealed, size_t *written)
{
	sqlite3_stmt *st = NULL;
	struct stat sb;
	char name[200], code[80], node[33];
	int rc, wrote, step;

	cds_ok(db);
	*sealed = *written = 0;
	if ((rc = need_keys(db)) != CDSYNC_OK)
		return rc;
	if (db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("export cannot run inside an open "
				 "transaction"));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("%s is not a folder"), dir);
	cds_file_sweep(dir);	/* what killed exports left half-written */
	if ((rc = recover_from(db, dir)) != CDSYNC_OK ||
	    (rc = seal_up(db, sealed)) != CDSYNC_OK)
		return rc;
	if ((rc = own_code(db, code, sizeof code)) != CDSYNC_OK)
		return rc;
	hex(db->node_id, 16, node);
	/* this node's bundles, then the ones it forwards */
	st = cds_prepare(db, "SELECT ?1, ?2, seq, bytes FROM sync_bundle_out "
			     "UNION ALL SELECT coalesce(p.org_code, 'node'), "
			     "lower(hex(b.node_id)), b.seq, b.bytes FROM "
			     "sync_bundle_in b LEFT JOIN sync_peer p ON "
			     "p.node_id = b.node_id WHERE b.status = 'merged' "
			     "ORDER BY 1, 2, 3");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		const char *nd = (const char *)sqlite3_column_text(st, 1);

		snprintf(name, sizeof name, "%s-%s-%06lld.cdsb",
			 c ? c : "node", nd && strlen(nd) == 32 ? nd + 24 : "",
			 (long long)sqlite3_column_int64(st, 2));
		rc = cds_file_write(db, dir, name, sqlite3_column_blob(st, 3),
				  (size_t)sqlite3_column_bytes(st, 3), &wrote);
		if (rc != CDSYNC_OK)
			break;
		*written += (size_t)wrote;
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(db, _("bundle"));
	sqlite3_finalize(st);
	/* a receipt for every bundle taken in from below, to go back down */
	if (rc == CDSYNC_OK)
		rc = write_receipts(db, dir);
	/* the sheets this node signs, and those below it, travel up too */
	if (rc == CDSYNC_OK)
		rc = cds_trust_export(db, dir, &wrote);
	/* and a hub's newest rollup snapshot, with its checkpoint's proofs */
	if (rc == CDSYNC_OK)
		rc = cds_snapshot_export(db, dir, written);
	return rc;
}

/* ==== Import ========================================================== */

struct peer {
	int found;			/* the node is known here */
	uint8_t sign[32];		/* its key */
	char code[80];			/* its org code */
	int64_t last_seq;		/* its chain head merged here */
	uint8_t last_hash[32];
	int frozen;
	int64_t valid_until;		/* ms; 0: no end */
	int64_t revoked_from;		/* ms; 0: not revoked */
	int64_t key_from;		/* first bundle its key signs */
};

/* May `pk` sign bundle `seq` of `node`, whose current key `cur` signs
 * from bundle cur_from on?  0 yes; 1 unknown key; 2 a key handed over
 * before bundle *upto; 3 the current key before its hand-over. */
static int
signer_key(cdsync *db, const uint8_t node[16], const uint8_t pk[32],
	   uint64_t seq, const uint8_t cur[32], int64_t cur_from,
	   int64_t *upto)
{
	sqlite3_stmt *st;
	int r = 1;

	*upto = cur_from;
	if (sodium_memcmp(pk, cur, 32) == 0)
		return (int64_t)seq >= cur_from ? 0 : 3;
	st = cds_prepare(db, "SELECT upto_seq FROM sync_key_old WHERE "
			     "node_id = ?1 AND sign_pk = ?2");
	if (st == NULL)
		return 1;
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, pk, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*upto = sqlite3_column_int64(st, 0);
		r = (int64_t)seq < *upto ? 0 : 2;
	}
	sqlite3_finalize(st);
	return r;
}

static int
load_peer(cdsync *db, const uint8_t node[16], struct peer *p)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT sign_pk, org_code, "
					   "last_seq, last_hash, frozen, "
					   "coalesce(valid_until, 0), "
					   "coalesce(revoked_from, 0), "
					   "key_from_seq FROM "
					   "sync_peer WHERE node_id = ?1");

	memset(p, 0, sizeof *p);
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 32) {
		p->found = 1;
		memcpy(p->sign, sqlite3_column_blob(st, 0), 32);
		snprintf(p->code, sizeof p->code, "%s",
			 (const char *)sqlite3_column_text(st, 1));
		p->last_seq = sqlite3_column_int64(st, 2);
		if (sqlite3_column_bytes(st, 3) == 32)
			memcpy(p->last_hash, sqlite3_column_blob(st, 3), 32);
		p->frozen = sqlite3_column_int(st, 4);
		p->valid_until = sqlite3_column_int64(st, 5);
		p->revoked_from = sqlite3_column_int64(st, 6);
		p->key_from = sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* The earliest time the sender's parent hub vouches it first took the
 * bundle in (a receipt kept in sync_voucher), if before `now`; else now. */
static uint64_t
first_logged(cdsync *db, const struct cds_bundle_head *h, uint64_t now)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT hub, seen_ms FROM "
					   "sync_voucher WHERE hash = ?1 AND "
					   "node_id = ?2 AND seq = ?3 ORDER BY "
					   "seen_ms");
	uint64_t when = now;

	if (st == NULL)
		return now;
	sqlite3_bind_blob(st, 1, h->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, h->node, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)h->seq);
	while (when == now && sqlite3_step(st) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == 16 &&
		    (uint64_t)sqlite3_column_int64(st, 1) < now &&
		    cds_trust_parent(db, sqlite3_column_blob(st, 0), h->node))
			when = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	cds_ok(db);
	return when;
}

/* Records a received bundle; *id its row.  The time this node first
 * takes it in is kept for its receipt (SPEC.md "Receipts"); a bundle
 * taken in (merged or held, not evidence) becomes the next leaf of the
 * transparency log with that time, in the caller's transaction. */
static int
store_in(cdsync *db, const struct cds_bundle_head *h, const uint8_t *b,
	 size_t n, const char *status, const char *note, int64_t *id)
{
	sqlite3_stmt *st = cds_prepare(db, "INSERT INTO sync_bundle_in (hash, "
					   "node_id, seq, status, bytes, note, "
					   "seen_ms, status_ms) VALUES (?1, "
					   "?2, ?3, ?4, ?5, ?6, ?7, ?7)");
	uint64_t now = cds_wall_ms();
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, h->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, h->node, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)h->seq);
	sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, b, (int)n, SQLITE_STATIC);
	if (note)
		sqlite3_bind_text(st, 6, note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (int64_t)now);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("bundle"));
	sqlite3_finalize(st);
	if (id)
		*id = sqlite3_last_insert_rowid(db->db);
	if (rc == CDSYNC_OK && strcmp(status, "evidence") != 0)
		rc = cds_tlog_store_append(db, h->hash, h->node, h->seq, now);
	return rc;
}

/* Wipes and frees a decoded payload (it holds plaintext). */
static void
drop_payload(struct cds_payload *pl)
{
	if (pl->mem != NULL)
		sodium_memzero(pl->mem, pl->memlen);
	cds_payload_free(pl);
}

/* Decrypts and parses a bundle into *pl (the plaintext is wiped once
 * parsed; free *pl with drop_payload). */
static int
decode(cdsync *db, const char *path, const uint8_t *b, size_t n,
       const struct cds_bundle_head *h, struct cds_payload *pl)
{
	const uint8_t *pk = NULL, *sk = NULL;
	uint8_t *plain = NULL;
	char err[512];
	size_t i;
	int rc;

	memset(pl, 0, sizeof *pl);
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		return rc;
	/* the current X25519 key, or one kept from before a rotation */
	for (i = 0; i < h->nrcpt && sk == NULL; i++)
		if ((sk = cds_keys_box_sk(db, h->rcpt[i].box_pk)) != NULL)
			pk = h->rcpt[i].box_pk;
	if (sk == NULL)
		return cds_err(db, CDSYNC_ENOTRECIPIENT,
			       _("%s: not addressed to this node"), path);
	rc = cds_bundle_open(b, n, h, pk, sk, &plain, err, sizeof err);
	if (rc != CDSYNC_OK)
		return cds_err(db, rc, "%s: %s", path, err);
	rc = cds_payload_read(plain, (size_t)h->plain_len, h->count,
			      CDSYNC_KIND_MAX, pl, err, sizeof err);
	sodium_memzero(plain, (size_t)h->plain_len);
	cds_free(plain);
	if (rc == -2)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (rc != 0)
		return cds_err(db, CDSYNC_EBADBUNDLE, "%s: %s", path, err);
	if (pl->count != h->count) {
		drop_payload(pl);
		return cds_err(db, CDSYNC_EBADBUNDLE, "%s: %s", path,
			       _("the change count does not match the "
				 "header"));
	}
	return CDSYNC_OK;
}

int
cds_bundle_decode(cdsync *db, const char *path, const uint8_t *b, size_t n,
		  struct cds_bundle_head *h, struct cds_payload *pl)
{
	char err[512];

	memset(pl, 0, sizeof *pl);
	if (cds_bundle_head(b, n, h, err, sizeof err) != CDSYNC_OK)
		return cds_err(db, CDSYNC_EBADBUNDLE, "%s: %s", path, err);
	if (cds_bundle_verify(b, n, h, err, sizeof err) != CDSYNC_OK)
		return cds_err(db, CDSYNC_EBADSIG, "%s: %s", path, err);
	return decode(db, path, b, n, h, pl);
}

static int
set_peer_head(cdsync *db, const struct cds_bundle_head *h)
{
	sqlite3_stmt *st = cds_prepare(db, "UPDATE sync_peer SET last_seq = "
					   "?1, last_hash = ?2 WHERE node_id "
					   "= ?3");
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_int64(st, 1, (int64_t)h->seq);
	sqlite3_bind_blob(st, 2, h->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, h->node, 16, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("peer"));
	sqlite3_finalize(st);
	return rc;
}

/* Merges a decoded bundle that is next in its chain, in one transaction
 * with the row that records it (new, or a held one now merged). */
static int
merge_next(cdsync *db, const char *path, const struct cds_bundle_head *h,
	   const uint8_t *b, size_t n, int64_t held_id, size_t *changes)
{
	struct cds_merge_stats ms = { 0, 0, 0 };
	struct cds_payload pl;
	struct peer p;
	sqlite3_stmt *st;
	uint8_t org[16];
	int64_t id = held_id;
	int rc;

	if ((rc = decode(db, path, b, n, h, &pl)) != 0)
		return rc;
	if ((rc = load_peer(db, h->node, &p)) != CDSYNC_OK)
		goto out;
	cds_id_name("cdsync.org.v1", p.code, org);
	if ((rc = cds_merge_begin(db)) != CDSYNC_OK)
		goto out;
	/* every change inside the signer's scope, or nothing is merged */
	rc = cds_scope_check(db, pl.ch, pl.count, org, p.code);
	if (rc == CDSYNC_OK && held_id == 0) {
		rc = store_in(db, h, b, n, "merged", NULL, &id);
	} else if (rc == CDSYNC_OK) {
		st = cds_prepare(db, "UPDATE sync_bundle_in SET status = "
				     "'merged', status_ms = ?2 WHERE id = ?1");
		if (st == NULL) {
			rc = cds_sqlcode(db);
		} else {
			sqlite3_bind_int64(st, 1, held_id);
			sqlite3_bind_int64(st, 2, (int64_t)cds_wall_ms());
			rc = sqlite3_step(st) == SQLITE_DONE
			     ? CDSYNC_OK : cds_sqlerr(db, _("bundle"));
			sqlite3_finalize(st);
		}
	}
	if (rc == CDSYNC_OK)
		rc = cds_merge(db, pl.ch, pl.count, id, &ms);
	if (rc == CDSYNC_OK)
		rc = set_peer_head(db, h);
	if (rc != CDSYNC_OK) {
		char old[CDS_MSGLEN];

		memcpy(old, db->msg, sizeof old);
		cds_merge_rollback(db);
		cds_err(db, rc, "%s: %s", path, old);
		goto out;
	}
	rc = cds_merge_commit(db);
	if (rc == CDSYNC_OK && changes)
		*changes += pl.count;
out:
	drop_payload(&pl);
	return rc;
}

/* How this node keeps the bundle of that hash: "merged", "held",
 * "evidence", or NULL (not at all, or the store failed). */
static const char *
known(cdsync *db, const uint8_t hash[32])
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT status FROM sync_bundle_in "
					   "WHERE hash = ?1");
	const char *status = NULL, *t;

	if (st == NULL)
		return NULL;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(st, 0)) != NULL)
		status = strcmp(t, "merged") == 0 ? "merged"
			 : strcmp(t, "held") == 0 ? "held"
						  : "evidence";
	sqlite3_finalize(st);
	return status;
}

/* Merges held bundles of a sender that are now next in its chain. */
static int
drain_held(cdsync *db, const uint8_t node[16], size_t *changes)
{
	struct cds_bundle_head h;
	struct peer p;
	sqlite3_stmt *st;
	uint8_t *b;
	size_t n;
	int64_t id;
	char err[512], name[64];
	int rc;

	for (;;) {
		if ((rc = load_peer(db, node, &p)) != CDSYNC_OK)
			return rc;
		st = cds_prepare(db, "SELECT id, bytes FROM sync_bundle_in "
				     "WHERE node_id = ?1 AND status = 'held' "
				     "AND seq = ?2 LIMIT 1");
		if (st == NULL)
			return cds_sqlcode(db);
		sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, p.last_seq + 1);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return CDSYNC_OK;
		}
		id = sqlite3_column_int64(st, 0);
		n = (size_t)sqlite3_column_bytes(st, 1);
		b = cds_malloc(n + 1);
		if (b != NULL && n > 0)
			memcpy(b, sqlite3_column_blob(st, 1), n);
		sqlite3_finalize(st);
		if (b == NULL)
			return cds_err(db, CDSYNC_ENOMEM, "%s",
				       _("out of memory"));
		snprintf(name, sizeof name, _("held bundle %lld of %s"),
			 (long long)p.last_seq + 1, p.code);
		rc = cds_bundle_head(b, n, &h, err, sizeof err);
		if (rc == CDSYNC_OK &&
		    (p.last_seq == 0 ||
		     sodium_memcmp(h.prev, p.last_hash, 32) == 0))
			rc = merge_next(db, name, &h, b, n, id, changes);
		cds_free(b);
		if (rc != CDSYNC_OK)
			return rc;
	}
}

static int
read_bundle(cdsync *db, const char *path, uint8_t **buf, size_t *len)
{
	return cds_file_read(db, path, CDS_BUNDLE_MAX_BYTES, _("a bundle"),
			     CDSYNC_EBADBUNDLE, buf, len);
}

/* Keeps a bundle that forks its sender's chain, and freezes the sender. */
static int
fork_evidence(cdsync *db, const char *path, const struct cds_bundle_head *h,
	      const uint8_t *b, size_t n, const struct peer *p)
{
	sqlite3_stmt *st;
	char who[120];
	int rc;

	snprintf(who, sizeof who, "%s (%02x%02x%02x%02x)", p->code,
		 h->node[12], h->node[13], h->node[14], h->node[15]);
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		return rc;
	rc = store_in(db, h, b, n, "evidence", _("same number as a bundle "
						 "already received"), NULL);
	if (rc == CDSYNC_OK &&
	    (st = cds_prepare(db, "UPDATE sync_peer SET frozen = 1 WHERE "
				  "node_id = ?1")) != NULL) {
		sqlite3_bind_blob(st, 1, h->node, 16, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cds_sqlerr(db, _("peer"));
		sqlite3_finalize(st);
	}
	if (rc == CDSYNC_OK)
		rc = cds_exec(db, "COMMIT");
	if (rc != CDSYNC_OK) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return cds_err(db, CDSYNC_EFORK,
		       _("%s: node %s sealed two different bundles numbered "
			 "%llu; this one is kept as evidence beside the one "
			 "merged before, and the node is frozen until an "
			 "operator decides ('cdsync peer unfreeze')"),
		       path, who, (unsigned long long)h->seq);
}

/* ==== Recovering this node's own bundles ============================== */

/* The last bundle this node sealed: *seq 0 if none. */
static int
own_head(cdsync *db, int64_t *seq, uint8_t hash[32])
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT seq, hash FROM "
					   "sync_bundle_out ORDER BY seq DESC "
					   "LIMIT 1");

	*seq = 0;
	memset(hash, 0, 32);
	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == 32) {
		*seq = sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/*
 * A bundle this node sealed that its store does not have -- the store was
 * restored from an older backup.  Checked with this node's own key, it
 * must continue the chain the store knows; its changes are recovered
 * (marked as sealed in it) and it takes its place in the chain, so the
 * next bundle continues the chain instead of forking it.
 */
static int
adopt_own(cdsync *db, const char *path, const uint8_t *b, size_t n,
	  const struct cds_bundle_head *h, size_t *changes)
{
	struct cds_merge_stats ms = { 0, 0, 0 };
	struct cds_payload pl;
	uint8_t last[32];
	sqlite3_stmt *st;
	int64_t lastseq;
	size_t i;
	char err[512];
	int rc;

	if (signer_key(db, db->node_id, h->sign_pk, h->seq, db->sign_pk, 1,
		       &lastseq) != 0)
		return cds_err(db, CDSYNC_EUNKNOWNKEY,
			       _("%s: carries this node's id but not its key"),
			       path);
	if ((rc = cds_bundle_verify(b, n, h, err, sizeof err)) != CDSYNC_OK)
		return cds_err(db, rc, "%s: %s", path, err);
	if ((rc = own_head(db, &lastseq, last)) != CDSYNC_OK)
		return rc;
	if ((int64_t)h->seq <= lastseq) {
		st = cds_prepare(db, "SELECT 1 FROM sync_bundle_out WHERE seq "
				     "= ?1 AND hash = ?2");
		if (st == NULL)
			return cds_sqlcode(db);
		sqlite3_bind_int64(st, 1, (int64_t)h->seq);
		sqlite3_bind_blob(st, 2, h->hash, 32, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return cds_err(db, CDSYNC_EREPLAY,
				       _("%s: this node's own bundle %llu, "
					 "already in its store"),
				       path, (unsigned long long)h->seq);
		return cds_err(db, CDSYNC_EFORK,
			       _("%s: this node's own bundle %llu differs from "
				 "the one in its store"),
			       path, (unsigned long long)h->seq);
	}
	if ((int64_t)h->seq != lastseq + 1)
		return cds_err(db, CDSYNC_EGAP,
			       _("%s: this node's own bundle %llu, but its "
				 "store ends at %lld: recover the ones between "
				 "first"),
			       path, (unsigned long long)h->seq,
			       (long long)lastseq);
	if (sodium_memcmp(h->prev, last, 32) != 0)
		return cds_err(db, CDSYNC_EFORK,
			       _("%s: this node's own bundle %llu does not "
				 "follow the last one in its store"),
			       path, (unsigned long long)h->seq);
	if ((rc = decode(db, path, b, n, h, &pl)) != 0)
		return rc;
	if ((rc = cds_merge_begin(db)) != CDSYNC_OK)
		goto out;
	rc = cds_merge(db, pl.ch, pl.count, -(int64_t)h->seq, &ms);
	/* changes the backup already had were sealed in this bundle too */
	st = rc == CDSYNC_OK
	     ? cds_prepare(db, "UPDATE sync_change SET via = ?1 WHERE tbl = "
			       "?2 AND rid = ?3 AND hlc = ?4 AND node = 1 AND "
			       "via IS NULL")
	     : NULL;
	for (i = 0; st != NULL && i < pl.count && rc == CDSYNC_OK; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, -(int64_t)h->seq);
		sqlite3_bind_int(st, 2, pl.ch[i].kind);
		sqlite3_bind_blob(st, 3, pl.ch[i].row, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (int64_t)pl.ch[i].hlc);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cds_sqlerr(db, _("change log"));
	}
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK &&
	    (st = cds_prepare(db, "INSERT INTO sync_bundle_out (seq, hash, "
				  "last_seq, changes, bytes) VALUES (?1, ?2, "
				  "(SELECT coalesce(max(seq), 0) FROM "
				  "sync_change), ?3, ?4)")) != NULL) {
		sqlite3_bind_int64(st, 1, (int64_t)h->seq);
		sqlite3_bind_blob(st, 2, h->hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)pl.count);
		sqlite3_bind_blob(st, 4, b, (int)n, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = cds_sqlerr(db, _("bundle"));
		sqlite3_finalize(st);
	}
	if (rc != CDSYNC_OK) {
		cds_merge_rollback(db);
		goto out;
	}
	rc = cds_merge_commit(db);
	if (rc == CDSYNC_OK && changes)
		*changes += ms.applied;
out:
	drop_payload(&pl);
	return rc;
}

CDSYNC_API int
cdsync_import_file(cdsync *db, const char *path, size_t *changes)
{
	struct cds_bundle_head h;
	struct cds_payload pl = { NULL, 0, NULL, 0 };
	struct peer p;
	sqlite3_stmt *st;
	uint8_t *b = NULL, zero[32] = { 0 };
	size_t n = 0;
	char err[512], who[120];
	const char *status = NULL;
	int64_t upto;
	int rc;

	cds_ok(db);
	if (changes)
		*changes = 0;
	if ((rc = need_keys(db)) != CDSYNC_OK)
		return rc;
	if (db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("import cannot run inside an open "
				 "transaction"));
	if ((rc = read_bundle(db, path, &b, &n)) != CDSYNC_OK)
		return rc;
	/* 1. sizes and layout */
	if ((rc = cds_bundle_head(b, n, &h, err, sizeof err)) != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s: %s", path, err);
		goto out;
	}
	if (memcmp(h.node, db->node_id, 16) == 0) {
		/* after a restore from an older backup */
		rc = adopt_own(db, path, b, n, &h, changes);
		goto out;
	}
	/* 2. a known key */
	if ((rc = load_peer(db, h.node, &p)) != CDSYNC_OK)
		goto out;
	snprintf(who, sizeof who, "%s (%02x%02x%02x%02x)",
		 p.found ? p.code : _("unknown union"), h.node[12], h.node[13],
		 h.node[14],
		 h.node[15]);
	if (!p.found) {
		rc = cds_err(db, CDSYNC_EUNKNOWNKEY,
			     _("%s: sent by node %s, which this node's "
			       "catalog does not certify (take in a newer "
			       "catalog, or add its key with 'cdsync peer "
			       "add')"),
			     path, who);
		goto out;
	}
	switch (signer_key(db, h.node, h.sign_pk, h.seq, p.sign, p.key_from,
			   &upto)) {
	case 0:
		break;
	case 2:
		rc = cds_err(db, CDSYNC_EREVOKED,
			     _("%s: bundle %llu of node %s is signed with a "
			       "key it handed over from bundle %lld on"),
			     path, (unsigned long long)h.seq, who,
			     (long long)upto);
		goto out;
	case 3:
		rc = cds_err(db, CDSYNC_EUNKNOWNKEY,
			     _("%s: bundle %llu of node %s is signed with its "
			       "new key, which signs from bundle %lld on"),
			     path, (unsigned long long)h.seq, who,
			     (long long)upto);
		goto out;
	default:
		rc = cds_err(db, CDSYNC_EUNKNOWNKEY,
			     _("%s: signed with a key that is not the one "
			       "known for node %s"), path, who);
		goto out;
	}
	/* 3. the signature */
	if ((rc = cds_bundle_verify(b, n, &h, err, sizeof err)) != 0) {
		rc = cds_err(db, rc, "%s: %s", path, err);
		goto out;
	}
	/* 4. the chain */
	status = known(db, h.hash);
	/* Known already.  A crash between merging a bundle and merging the
	 * held ones it unblocked leaves those held with no gap before them:
	 * whichever of the sender's bundles comes again finishes that. */
	if (status != NULL && strcmp(status, "evidence") != 0) {
		size_t drained = 0;

		if ((rc = drain_held(db, h.node, &drained)) != CDSYNC_OK)
			goto out;
		if (changes)
			*changes += drained;
		if (strcmp(status, "held") == 0 && drained > 0 &&
		    (status = known(db, h.hash)) != NULL &&
		    strcmp(status, "merged") == 0) {
			rc = CDSYNC_OK;
			goto out;
		}
	}
	if (status != NULL) {
		rc = cds_err(db, strcmp(status, "merged") == 0 ? CDSYNC_EREPLAY
				 : strcmp(status, "held") == 0 ? CDSYNC_EGAP
							       : CDSYNC_EFORK,
			     strcmp(status, "merged") == 0
			     ? _("%s: bundle %llu of node %s was merged "
				 "before; nothing to do")
			     : strcmp(status, "held") == 0
			     ? _("%s: bundle %llu of node %s is already held, "
				 "waiting for the ones before it")
			     : _("%s: bundle %llu of node %s is already kept "
				 "as evidence"),
			     path, (unsigned long long)h.seq, who);
		goto out;
	}
	/* 4b. still valid (a bundle merged before stays merged): the time
	 * that counts is when a hub first logged the bundle -- this node, or
	 * the sender's parent hub by its voucher -- never a school's clock */
	if (p.revoked_from || p.valid_until) {
		uint64_t now = cds_wall_ms();
		char day[32];

		/* a hub below may vouch that it logged the bundle earlier
		 * (its receipt, §10.6): then that time counts */
		if ((p.revoked_from && now >= (uint64_t)p.revoked_from) ||
		    (p.valid_until && now > (uint64_t)p.valid_until))
			now = first_logged(db, &h, now);

		if (p.revoked_from && now >= (uint64_t)p.revoked_from) {
			cds_day_text((uint64_t)p.revoked_from, day,
				     sizeof day);
			rc = cds_err(db, CDSYNC_EREVOKED,
				     _("%s: signed by the key of %s, which was "
				       "revoked on %s; bundles that arrive "
				       "after that are refused"),
				     path, who, day);
			goto out;
		}
		if (p.valid_until && now > (uint64_t)p.valid_until) {
			cds_day_text((uint64_t)p.valid_until, day, sizeof day);
			rc = cds_err(db, CDSYNC_EREVOKED,
				     _("%s: the enrolment of %s ended on %s; "
				       "its parent must enrol it again"),
				     path, who, day);
			goto out;
		}
	}
	if (p.frozen) {
		rc = cds_err(db, CDSYNC_EFROZEN,
			     _("%s: node %s is frozen after two bundles with "
			       "one number; nothing is merged from it until "
			       "an operator decides"), path, who);
		goto out;
	}
	if ((int64_t)h.seq <= p.last_seq ||
	    ((int64_t)h.seq == p.last_seq + 1 &&
	     sodium_memcmp(h.prev, p.last_seq ? p.last_hash : zero, 32) !=
		     0)) {
		rc = fork_evidence(db, path, &h, b, n, &p);
		goto out;
	}
	/* 5.-6. decrypt and parse before holding or merging anything */
	if ((rc = decode(db, path, b, n, &h, &pl)) != 0)
		goto out;
	if ((int64_t)h.seq > p.last_seq + 1) {
		st = cds_prepare(db, "SELECT 1 FROM sync_bundle_in WHERE "
				     "node_id = ?1 AND seq = ?2");
		if (st == NULL) {
			rc = cds_sqlcode(db);
			goto out;
		}
		sqlite3_bind_blob(st, 1, h.node, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)h.seq);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW) {
			rc = fork_evidence(db, path, &h, b, n, &p);
			goto out;
		}
		/* held: the row and its leaf in one transaction */
		if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
			goto out;
		if ((rc = store_in(db, &h, b, n, "held", NULL, NULL)) == 0)
			rc = cds_exec(db, "COMMIT");
		if (rc != CDSYNC_OK) {
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
		if ((int64_t)h.seq == p.last_seq + 2)
			rc = cds_err(db, CDSYNC_EGAP,
				     _("%s: held: bundle %lld of node %s has "
				       "not arrived yet; this one is merged "
				       "when it does"),
				     path, (long long)p.last_seq + 1, who);
		else
			rc = cds_err(db, CDSYNC_EGAP,
				     _("%s: held: bundles %lld to %llu of node "
				       "%s have not arrived yet; this one is "
				       "merged when they do"),
				     path, (long long)p.last_seq + 1,
				     (unsigned long long)(h.seq - 1), who);
		goto out;
	}
	drop_payload(&pl);
	/* 7. merge, then whatever it unblocks */
	if ((rc = merge_next(db, path, &h, b, n, 0, changes)) == CDSYNC_OK)
		rc = drain_held(db, h.node, changes);
out:
	drop_payload(&pl);
	cds_free(b);
	return rc;
}

/* ==== Inspection ====================================================== */

CDSYNC_API int
cdsync_bundle_read(cdsync *db, const char *path, cdsync_bundle_info *info,
		   cdsync_change_cb cb, void *ctx)
{
	struct cds_bundle_head h;
	struct cds_payload pl = { NULL, 0, NULL, 0 };
	struct peer p;
	cdsync_rec *r = NULL;
	cdsync_change out;
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	uint8_t *b = NULL;
	size_t n = 0, i, j, k;
	char err[512];
	cdsync tmp;
	int64_t upto;
	int rc, isrcpt = 0;

	memset(info, 0, sizeof *info);
	if (db == NULL) {
		memset(&tmp, 0, sizeof tmp);
		db = &tmp;	/* for messages only */
	} else {
		cds_ok(db);
	}
	if ((rc = read_bundle(db, path, &b, &n)) != CDSYNC_OK)
		goto out;
	if ((rc = cds_bundle_head(b, n, &h, err, sizeof err)) != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s: %s", path, err);
		goto out;
	}
	info->version = h.version;
	memcpy(info->node, h.node, 16);
	memcpy(info->sign_pk, h.sign_pk, 32);
	info->seq = h.seq;
	memcpy(info->prev, h.prev, 32);
	memcpy(info->hash, h.hash, 32);
	info->hlc = h.hlc;
	info->count = h.count;
	info->plain_len = h.plain_len;
	info->file_len = n;
	info->nrcpt = h.nrcpt;
	for (i = 0; i < h.nrcpt && i < 8; i++) {
		memcpy(info->rcpt[i], h.rcpt[i].box_pk, 32);
		if (db != &tmp && db->has_pub &&
		    (sodium_memcmp(h.rcpt[i].box_pk, db->box_pk, 32) == 0 ||
		     cds_keys_box_sk(db, h.rcpt[i].box_pk) != NULL))
			isrcpt = 1;
	}
	info->signature_ok = cds_bundle_verify(b, n, &h, err, sizeof err) ==
			     CDSYNC_OK;
	if (db == &tmp || !db->has_pub) {
		rc = CDSYNC_OK;
		goto out;
	}
	if ((rc = load_peer(db, h.node, &p)) != CDSYNC_OK)
		goto out;
	if (p.found) {
		snprintf(info->org, sizeof info->org, "%s", p.code);
		info->sender_known = signer_key(db, h.node, h.sign_pk, h.seq,
						p.sign, p.key_from, &upto) == 0;
	}
	if (!isrcpt || !info->signature_ok) {
		rc = CDSYNC_OK;
		goto out;
	}
	if ((rc = decode(db, path, b, n, &h, &pl)) == CDSYNC_ELOCKED) {
		cds_ok(db);	/* the header, without the content */
		rc = CDSYNC_OK;
		goto out;
	}
	if (rc != CDSYNC_OK)
		goto out;
	info->readable = 1;
	for (i = 0; cb != NULL && i < pl.count && rc == CDSYNC_OK; i++) {
		memset(&out, 0, sizeof out);
		out.kind = (cdsync_kind)pl.ch[i].kind;
		memcpy(out.row, pl.ch[i].row, 16);
		out.hlc = pl.ch[i].hlc;
		memcpy(out.origin, pl.ch[i].origin, 16);
		if (pl.ch[i].op == CDS_OP_DELETE) {
			rc = cb(ctx, &out) ? CDSYNC_ERROR : CDSYNC_OK;
			continue;
		}
		if (cds_colset_get(pl.ch[i].cols, pl.ch[i].ncols, cols, vals, &k,
				   err, sizeof err) != 0) {
			rc = cds_err(db, CDSYNC_EBADBUNDLE, "%s: %s", path, err);
			break;
		}
		if ((rc = cdsync_rec_new(out.kind, &r)) != CDSYNC_OK) {
			rc = cds_err(db, rc, "%s", _("out of memory"));
			break;
		}
		for (j = 0; j < k && rc == CDSYNC_OK; j++) {
			if (cols[j] == 0)
				continue;
			if ((rc = cds_rec_set_val(r, cols[j], &vals[j])) ==
			    CDSYNC_ENOMEM) {
				rc = cds_err(db, rc, "%s", _("out of memory"));
				break;
			}
			if (rc != CDSYNC_OK) {	/* not of the column's type */
				rc = CDSYNC_OK;
				continue;
			}
			out.field = cdsync_kind_field(out.kind, cols[j]);
			out.value = cdsync_rec_get(r, out.field);
			rc = cb(ctx, &out) ? CDSYNC_ERROR : CDSYNC_OK;
		}
		cdsync_rec_free(r);
		r = NULL;
	}
out:
	cdsync_rec_free(r);
	drop_payload(&pl);
	cds_free(b);
	return rc;
}

/* ==== Status ========================================================== */

static int64_t
one_int(cdsync *db, const char *sql, const uint8_t *blob)
{
	sqlite3_stmt *st = cds_prepare(db, sql);
	int64_t v = 0;

	if (st == NULL)
		return -1;
	if (blob)
		sqlite3_bind_blob(st, 1, blob, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

CDSYNC_API int
cdsync_sync_status_get(cdsync *db, cdsync_sync_status *s)
{
	cdsync_notices *it = NULL;
	const cdsync_notice *no;
	sqlite3_stmt *st;
	int rc;

	cds_ok(db);
	memset(s, 0, sizeof *s);
	if ((rc = need_keys(db)) != CDSYNC_OK)
		return rc;
	s->last_sealed = (uint64_t)one_int(db, "SELECT coalesce(max(seq), 0) "
					       "FROM sync_bundle_out", NULL);
	s->unsealed = (uint64_t)one_int(
		db, "SELECT count(*) FROM sync_change WHERE via IS NULL AND "
		    "seq > coalesce((SELECT value FROM sync_state WHERE key = "
		    "'sealed_upto'), 0)", NULL);
	s->peers = (size_t)one_int(db, "SELECT count(*) FROM sync_peer", NULL);
	s->held = (size_t)one_int(db, "SELECT count(*) FROM sync_bundle_in "
				      "WHERE status = 'held'", NULL);
	s->frozen = (size_t)one_int(db, "SELECT count(*) FROM sync_peer WHERE "
					"frozen = 1", NULL);
	if ((rc = cdsync_notices_open(db, &it)) != CDSYNC_OK)
		return rc;
	while (cdsync_notices_next(it, &no) == CDSYNC_OK)
		s->notices++;
	cdsync_notices_close(it);
	/* what is still to go up, and the newest word from above */
	if ((rc = cdsync_outbox_size(db, &s->outbox, &s->outbox_bytes)) !=
	    CDSYNC_OK)
		return rc;
	st = cds_prepare(db, "SELECT r.made_ms, coalesce(p.org_code, '') FROM "
			     "sync_receipt r LEFT JOIN sync_peer p ON p.node_id "
			     "= r.hub ORDER BY r.made_ms DESC, r.id DESC LIMIT "
			     "1");
	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->last_receipt_ms = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(s->last_receipt_from, sizeof s->last_receipt_from,
			 "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return CDSYNC_OK;
}

/* The peers as cdsync_peer_at lists them, read once and kept while the
 * store is unchanged (cds_stamp): a national hub has 60,000, and
 * reading the i-th with LIMIT 1 OFFSET i made a loop over them
 * quadratic (`cdsync status` took minutes). */
struct cds_peercache {
	int64_t stamp[2];
	size_t n;
	cdsync_peer_info *p;	/* held, missing, evidence: read per call */
};

void
cds_peercache_free(cdsync *db)
{
	if (db->peercache == NULL)
		return;
	cds_free(db->peercache->p);
	cds_free(db->peercache);
	db->peercache = NULL;
}

static int
peercache(cdsync *db, struct cds_peercache **out)
{
	struct cds_peercache *pc;
	sqlite3_stmt *st;
	int64_t stamp[2];
	size_t cap = 0;
	int rc;

	if ((rc = cds_stamp(db, stamp)) != CDSYNC_OK)
		return rc;
	if (db->peercache != NULL &&
	    memcmp(db->peercache->stamp, stamp, sizeof stamp) == 0) {
		*out = db->peercache;
		return CDSYNC_OK;
	}
	cds_peercache_free(db);
	if ((pc = db->peercache = cds_calloc(1, sizeof *pc)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	st = cds_prepare(db, "SELECT node_id, org_code, upstream, last_seq, "
			     "frozen FROM sync_peer ORDER BY org_code, node_id");
	if (st == NULL) {
		cds_peercache_free(db);
		return cds_sqlcode(db);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cdsync_peer_info *r;

		if (sqlite3_column_bytes(st, 0) != 16)
			continue;
		if (pc->n == cap) {
			size_t c = cap ? cap * 2 : 64;

			if ((r = cds_realloc(pc->p, c * sizeof *r)) == NULL)
				break;
			pc->p = r;
			cap = c;
		}
		r = &pc->p[pc->n++];
		memset(r, 0, sizeof *r);
		memcpy(r->node, sqlite3_column_blob(st, 0), 16);
		snprintf(r->org, sizeof r->org, "%s",
			 sqlite3_column_text(st, 1) != NULL
				 ? (const char *)sqlite3_column_text(st, 1)
				 : "");
		r->upstream = sqlite3_column_int(st, 2);
		r->last_seq = (uint64_t)sqlite3_column_int64(st, 3);
		r->frozen = sqlite3_column_int(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cds_peercache_free(db);
		return rc == SQLITE_ROW ? cds_err(db, CDSYNC_ENOMEM, "%s",
						  _("out of memory"))
					: cds_sqlerr(db, _("peer"));
	}
	memcpy(pc->stamp, stamp, sizeof stamp);
	*out = pc;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_peer_at(cdsync *db, size_t i, cdsync_peer_info *out)
{
	struct cds_peercache *pc = NULL;
	int rc;

	cds_ok(db);
	memset(out, 0, sizeof *out);
	if ((rc = peercache(db, &pc)) != CDSYNC_OK)
		return rc;
	if (pc == NULL || i >= pc->n)
		return CDSYNC_ENOTFOUND;
	*out = pc->p[i];
	out->held = (size_t)one_int(db, "SELECT count(*) FROM sync_bundle_in "
					"WHERE node_id = ?1 AND status = "
					"'held'", out->node);
	out->evidence = (size_t)one_int(db, "SELECT count(*) FROM "
					    "sync_bundle_in WHERE node_id = "
					    "?1 AND status = 'evidence'",
					out->node);
	if (out->held > 0) {
		out->missing_from = out->last_seq + 1;
		out->missing_to = (uint64_t)one_int(
			db, "SELECT min(seq) FROM sync_bundle_in WHERE node_id "
			    "= ?1 AND status = 'held'", out->node) - 1;
	}
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_peer_unfreeze(cdsync *db, const char *ref)
{
	sqlite3_stmt *st;
	uint8_t node[16];
	int found = 0, frozen = 0, rc;

	cds_ok(db);
	st = cds_prepare(db, "SELECT node_id, frozen FROM sync_peer WHERE "
			     "org_code = ?1 OR (length(?1) >= 8 AND "
			     "lower(hex(node_id)) LIKE '%' || lower(?1))");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (found++ == 0 && sqlite3_column_bytes(st, 0) == 16) {
			memcpy(node, sqlite3_column_blob(st, 0), 16);
			frozen = sqlite3_column_int(st, 1);
		}
	}
	sqlite3_finalize(st);
	if (found == 0)
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("no known node matches '%s'"), ref);
	if (found > 1)
		return cds_err(db, CDSYNC_EAMBIGUOUS,
			       _("'%s' matches %d known nodes; give more of "
				 "the id"), ref, found);
	if (!frozen)
		return cds_err(db, CDSYNC_EINVAL, _("node %s is not frozen"),
			       ref);
	st = cds_prepare(db, "UPDATE sync_peer SET frozen = 0 WHERE node_id "
			     "= ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("peer"));
	sqlite3_finalize(st);
	return rc;
}
