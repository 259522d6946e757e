/* pack.c -- the audit pack (cdsync.h "The audit"; SPEC.md §15.1): what an
 * auditor needs of one subtree, written by a hub into a folder.
 *
 * The subtree is the org units under `org` in the catalog (its parent
 * chains); its nodes' bundles go in whole (own ones from sync_bundle_out,
 * the others merged here), each with this hub's receipt and inclusion
 * proof, then the snapshots of the subtree's hub (this hub's own, with
 * the proofs of its checkpoint; or those a hub below sent up, with the
 * checkpoints of its log taken here), the whole
 * catalog, and in verify/ what stock tools need to check signatures
 * without cdsync: each signer's key as a PEM file, each bundle's signed
 * header and signature, this hub's checkpoint's signed text and
 * signature.  MANIFEST.sha256 lists every file in sha256sum's format.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "alloc.h"
#include "bundle.h"
#include "files.h"
#include "i18n.h"
#include "id.h"
#include "snapstore.h"
#include "store.h"
#include "tlog.h"
#include "tlogstore.h"

struct pk {
	cdsync *db;
	const char *dir;
	size_t files;
	char (*orgs)[256];	/* the subtree's org codes */
	size_t norgs, caporgs;
	uint8_t *note;		/* the checkpoint the proofs are against */
	size_t nlen;
};

/* Writes dir/name ("verify/NAME": into the folder verify/). */
static int
put(struct pk *k, const char *name, const uint8_t *p, size_t n)
{
	char sub[4200];
	int wrote;

	if (strncmp(name, "verify/", 7) == 0) {
		snprintf(sub, sizeof sub, "%s/verify", k->dir);
		return cds_file_write(k->db, sub, name + 7, p, n, &wrote);
	}
	return cds_file_write(k->db, k->dir, name, p, n, &wrote);
}

static int
byname(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* MANIFEST.sha256 of every file of the folder and of verify/, in
 * sha256sum's format, sorted by name. */
static int
manifest(struct pk *k)
{
	char **names = NULL, **t, path[4400], hex[65];
	static const char *const subs[2] = { "", "verify/" };
	uint8_t h[32], *p = NULL;
	struct dirent *e;
	size_t n = 0, cap = 0, i, len;
	cds_buf b;
	int rc = CDSYNC_OK, s, wrote;
	DIR *d;

	for (s = 0; s < 2 && rc == CDSYNC_OK; s++) {
		snprintf(path, sizeof path, "%s/%s", k->dir, subs[s]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			struct stat sb;
			char *nm;

			snprintf(path, sizeof path, "%s/%s%s", k->dir, subs[s],
				 e->d_name);
			if (e->d_name[0] == '.' ||
			    strcmp(e->d_name, "MANIFEST.sha256") == 0 ||
			    stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				if ((t = cds_realloc(names, cap * sizeof *t)) ==
				    NULL) {
					rc = CDSYNC_ENOMEM;
					break;
				}
				names = t;
			}
			len = strlen(subs[s]) + strlen(e->d_name) + 1;
			if ((nm = cds_malloc(len)) == NULL) {
				rc = CDSYNC_ENOMEM;
				break;
			}
			snprintf(nm, len, "%s%s", subs[s], e->d_name);
			names[n++] = nm;
		}
		closedir(d);
	}
	if (n > 1)
		qsort(names, n, sizeof *names, byname);
	/* a national pack: 360,000 files, a manifest of about 50 MB */
	cds_buf_init(&b, (size_t)1 << 30);
	for (i = 0; i < n && rc == CDSYNC_OK; i++) {
		size_t fl = 0;

		snprintf(path, sizeof path, "%s/%s", k->dir, names[i]);
		if ((rc = cds_file_read(k->db, path, (size_t)1 << 30,
					_("a file"), CDSYNC_EIO, &p, &fl)) !=
		    CDSYNC_OK)
			break;
		crypto_hash_sha256(h, p, fl);
		cds_free(p);
		sodium_bin2hex(hex, sizeof hex, h, 32);
		cds_buf_bytes(&b, hex, 64);
		cds_buf_bytes(&b, "  ", 2);
		cds_buf_bytes(&b, names[i], strlen(names[i]));
		cds_buf_byte(&b, '\n');
	}
	if (rc == CDSYNC_OK && b.rc == CDSYNC_EINVAL)
		rc = cds_err(k->db, CDSYNC_EINVAL, "%s",
			     _("MANIFEST.sha256: more than 1 GiB of names; "
			       "make packs of smaller subtrees"));
	else if (rc == CDSYNC_ENOMEM || b.rc != 0)
		rc = cds_err(k->db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (rc == CDSYNC_OK)
		rc = cds_file_write(k->db, k->dir, "MANIFEST.sha256", b.p, b.n,
				    &wrote);
	if (rc == CDSYNC_OK)
		k->files = n + 1;
	cds_buf_free(&b);
	for (i = 0; i < n; i++)
		cds_free(names[i]);
	cds_free(names);
	return rc;
}

static int
cmp_org(const void *x, const void *y)
{
	return strcmp((const char *)x, (const char *)y);
}

/* k->orgs is sorted (subtree). */
static int
in_tree(const struct pk *k, const char *org)
{
	return k->norgs > 0 && bsearch(org, k->orgs, k->norgs,
				       sizeof *k->orgs, cmp_org) != NULL;
}

/* A node of the catalog: its union and that union's parent. */
struct edge {
	char *org, *parent;
};

static int
cmp_edge(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;
	int c = strcmp(a->parent, b->parent);

	return c != 0 ? c : strcmp(a->org, b->org);
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
push_org(struct pk *k, const char *org)
{
	if (k->norgs == k->caporgs) {
		size_t cap = k->caporgs ? 2 * k->caporgs : 64;
		char (*t)[256] = cds_realloc(k->orgs, cap * sizeof *t);

		if (t == NULL)
			return cds_err(k->db, CDSYNC_ENOMEM, "%s",
				       _("out of memory"));
		k->orgs = t;
		k->caporgs = cap;
	}
	snprintf(k->orgs[k->norgs++], 256, "%s", org);
	return CDSYNC_OK;
}

/* The org codes of the subtree of `org`, from the catalog's parents,
 * sorted: the catalog's edges sorted by parent, walked breadth first
 * from org, each union once (a national catalog: 60,000 and more). */
static int
subtree(struct pk *k, const char *org)
{
	cdsync_cat_entry e;
	struct edge *ed = NULL;
	char **names = NULL, *seen = NULL;
	size_t n = 0, cap = 0, nn = 0, i, q;
	int rc = CDSYNC_OK, found = 0, r;

	for (i = 0; rc == CDSYNC_OK; i++) {
		if ((r = cdsync_catalog_at(k->db, i, &e)) != CDSYNC_OK) {
			if (r != CDSYNC_ENOTFOUND)	/* else: the end */
				rc = r;
			break;
		}
		found |= strcmp(e.org, org) == 0;
		if (n == cap) {
			struct edge *t;

			cap = cap ? 2 * cap : 256;
			if ((t = cds_realloc(ed, cap * sizeof *t)) == NULL) {
				rc = CDSYNC_ENOMEM;
				break;
			}
			ed = t;
		}
		ed[n].org = cds_strdup(e.org);
		ed[n].parent = cds_strdup(e.parent);
		if (ed[n].org == NULL || ed[n].parent == NULL) {
			cds_free(ed[n].org);
			cds_free(ed[n].parent);
			rc = CDSYNC_ENOMEM;
			break;
		}
		n++;
	}
	if (rc == CDSYNC_OK && !found)
		rc = cds_err(k->db, CDSYNC_ENOTFOUND,
			     _("the catalog has no union with the code '%s'"),
			     org);
	if (rc == CDSYNC_OK && ((names = cds_calloc(n + 1, sizeof *names)) ==
					NULL ||
				(seen = cds_calloc(n + 1, 1)) == NULL))
		rc = CDSYNC_ENOMEM;
	if (rc == CDSYNC_OK && n > 0) {	/* n > 0: found */
		qsort(ed, n, sizeof *ed, cmp_edge);
		for (i = 0; i < n; i++)
			names[i] = ed[i].org;
		qsort(names, n, sizeof *names, cmp_str);
		for (i = 0; i < n; i++)	/* each union once */
			if (nn == 0 || strcmp(names[nn - 1], names[i]) != 0)
				names[nn++] = names[i];
	}
	if (rc == CDSYNC_OK)
		rc = push_org(k, org);
	for (q = 0; rc == CDSYNC_OK && q < k->norgs; q++) {
		size_t lo = 0, hi = n;
		char up[256];	/* k->orgs moves as it grows */

		snprintf(up, sizeof up, "%s", k->orgs[q]);
		while (lo < hi) {	/* the first edge under `up` */
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(ed[mid].parent, up) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (i = lo; rc == CDSYNC_OK && i < n &&
			     strcmp(ed[i].parent, up) == 0;
		     i++) {
			char **at = bsearch(&ed[i].org, names, nn,
					    sizeof *names, cmp_str);
			size_t u = at != NULL ? (size_t)(at - names) : 0;

			if (at == NULL || seen[u] || strcmp(ed[i].org, org) == 0)
				continue;
			seen[u] = 1;
			rc = push_org(k, ed[i].org);
		}
	}
	if (rc == CDSYNC_OK && k->orgs != NULL)
		qsort(k->orgs, k->norgs, sizeof *k->orgs, cmp_org);
	else if (rc == CDSYNC_ENOMEM)
		rc = cds_err(k->db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	for (i = 0; i < n; i++) {
		cds_free(ed[i].org);
		cds_free(ed[i].parent);
	}
	cds_free(ed);
	cds_free(names);
	cds_free(seen);
	return rc;
}

/* A signer's key as a PEM file (SubjectPublicKeyInfo of Ed25519). */
static int
put_pem(struct pk *k, const char *code, const uint8_t node[16],
	const uint8_t pkey[32])
{
	static const uint8_t spki[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
					  0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
	uint8_t der[44];
	char b64[80], name[400], text[200], hex[33];

	memcpy(der, spki, 12);
	memcpy(der + 12, pkey, 32);
	sodium_bin2base64(b64, sizeof b64, der, sizeof der,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof text,
		 "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
		 b64);
	cds_id_hex(node, hex);
	snprintf(name, sizeof name, "verify/%s-%s.pem", code, hex + 24);
	return put(k, name, (const uint8_t *)text, strlen(text));
}

/* A bundle, its receipt and proof, its header and signature for stock
 * tools. */
static int
put_bundle(struct pk *k, struct cds_tlog_proofs *proofs, const char *code,
	   const uint8_t node[16], int64_t seq, const uint8_t *p, size_t n)
{
	struct cds_bundle_head h;
	uint8_t *r = NULL;
	char name[400], hex[33], e[256];
	size_t rn = 0;
	int rc;

	cds_id_hex(node, hex);
	snprintf(name, sizeof name, "%s-%s-%06lld.cdsb", code, hex + 24,
		 (long long)seq);
	if ((rc = put(k, name, p, n)) != CDSYNC_OK)
		return rc;
	if (cds_bundle_head(p, n, &h, e, sizeof e) == CDSYNC_OK &&
	    h.head_len + 64 <= n) {
		snprintf(name, sizeof name, "verify/%s-%s-%06lld.header", code,
			 hex + 24, (long long)seq);
		if ((rc = put(k, name, p, h.head_len)) != CDSYNC_OK)
			return rc;
		snprintf(name, sizeof name, "verify/%s-%s-%06lld.sig", code,
			 hex + 24, (long long)seq);
		if ((rc = put(k, name, p + h.head_len, 64)) != CDSYNC_OK)
			return rc;
	}
	if (memcmp(node, k->db->node_id, 16) == 0)
		return CDSYNC_OK;	/* its own: receipts come from above */
	rc = cdsync_receipt_make(k->db, h.hash, &r, &rn);
	if (rc == CDSYNC_OK) {
		snprintf(name, sizeof name, "receipt-%s-%06lld.cdsr", code,
			 (long long)seq);
		rc = put(k, name, r, rn);
		cdsync_free(r);
		r = NULL;
	}
	if (rc == CDSYNC_OK &&
	    (rc = cds_tlog_proofs_file(k->db, proofs, h.hash, &r, &rn)) ==
		    CDSYNC_OK) {
		snprintf(name, sizeof name, "receipt-%s-%06lld.tlog-proof",
			 code, (long long)seq);
		rc = put(k, name, r, rn);
		cds_free(r);
	} else if (rc == CDSYNC_ENOTFOUND) {
		cds_ok(k->db);	/* taken in since the checkpoint */
		rc = CDSYNC_OK;
	}
	return rc;
}

static int
bundles(struct pk *k)
{
	struct cds_tlog_proofs *proofs = NULL;
	sqlite3_stmt *st;
	char own[256];
	int rc = CDSYNC_OK, step;

	if ((rc = cds_own_code(k->db, own, sizeof own)) != CDSYNC_OK)
		return rc;
	if ((rc = cds_tlog_proofs_open(k->db, &proofs)) != CDSYNC_OK)
		return rc;
	st = cds_prepare(k->db,
	    "SELECT ?1, ?2, seq, bytes FROM sync_bundle_out UNION ALL SELECT "
	    "p.org_code, b.node_id, b.seq, b.bytes FROM sync_bundle_in b JOIN "
	    "sync_peer p ON p.node_id = b.node_id WHERE b.status = 'merged' "
	    "ORDER BY 1, 2, 3");
	if (st == NULL) {
		cds_tlog_proofs_close(proofs);
		return cds_sqlcode(k->db);
	}
	sqlite3_bind_text(st, 1, own, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, k->db->node_id, 16, SQLITE_STATIC);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);

		if (code == NULL || !in_tree(k, code) ||
		    sqlite3_column_bytes(st, 1) != 16)
			continue;
		rc = put_bundle(k, proofs, code, sqlite3_column_blob(st, 1),
				sqlite3_column_int64(st, 2),
				sqlite3_column_blob(st, 3),
				(size_t)sqlite3_column_bytes(st, 3));
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(k->db, _("bundle"));
	sqlite3_finalize(st);
	if (rc == CDSYNC_OK) {
		const uint8_t *note = cds_tlog_proofs_note(proofs, &k->nlen);

		if ((k->note = cds_malloc(k->nlen ? k->nlen : 1)) == NULL)
			rc = cds_err(k->db, CDSYNC_ENOMEM, "%s",
				     _("out of memory"));
		else
			memcpy(k->note, note, k->nlen);
	}
	cds_tlog_proofs_close(proofs);
	return rc;
}

/* The keys of the nodes of the subtree and of this hub, as PEM. */
static int
keys(struct pk *k)
{
	sqlite3_stmt *st;
	char own[256];
	int rc = CDSYNC_OK, step;

	if ((rc = cds_own_code(k->db, own, sizeof own)) != CDSYNC_OK ||
	    (rc = put_pem(k, own, k->db->node_id, k->db->sign_pk)) !=
		    CDSYNC_OK)
		return rc;
	st = cds_prepare(k->db, "SELECT org_code, node_id, sign_pk FROM "
				"sync_peer ORDER BY org_code, node_id");
	if (st == NULL)
		return cds_sqlcode(k->db);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);

		if (code == NULL || !in_tree(k, code) ||
		    sqlite3_column_bytes(st, 1) != 16 ||
		    sqlite3_column_bytes(st, 2) != 32)
			continue;
		rc = put_pem(k, code, sqlite3_column_blob(st, 1),
			     sqlite3_column_blob(st, 2));
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(k->db, _("bundle"));
	sqlite3_finalize(st);
	return rc;
}

/* Reads note[0..n) as a checkpoint of this hub's log (org code own). */
static int
own_ckpt(struct pk *k, const char *own, const uint8_t *note, size_t n,
	 struct cds_checkpoint *c)
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1], e[512];
	struct cds_note_key key;

	if (cds_tlog_origin(origin, own, k->db->node_id) != 0)
		return cds_err(k->db, CDSYNC_ECORRUPT, "%s",
			       _("this hub's org code makes no origin"));
	key.name = origin;
	memcpy(key.pk, k->db->sign_pk, 32);
	if (cds_checkpoint_read(note, n, &key, 1, c, NULL, e, sizeof e) != 0)
		return cds_err(k->db, CDSYNC_ECORRUPT, "%s", e);
	return CDSYNC_OK;
}

/* One checkpoint of this hub's log, of size `size`, with the witnesses'
 * lines kept for it, as checkpoint-CODE-SIZE.checkpoint, and the
 * consistency proof between it and the pack's checkpoint c (note[0..n)),
 * as checkpoint-CODE-FROM-SIZE.tlog-consistency. */
static int
cosigned_one(struct pk *k, const char *own, uint64_t size,
	     const struct cds_checkpoint *c, const uint8_t *note, size_t n)
{
	struct cds_checkpoint w;
	char name[400];
	uint8_t *cn = NULL, *f = NULL;
	size_t cl = 0, fl = 0;
	int rc;

	memset(&w, 0, sizeof w);
	if ((rc = cdsync_tlog_cosigned_at(k->db, size, &cn, &cl)) !=
	    CDSYNC_OK)
		return rc;
	if ((rc = own_ckpt(k, own, cn, cl, &w)) != CDSYNC_OK) {
		cdsync_free(cn);
		return rc;
	}
	snprintf(name, sizeof name, "checkpoint-%s-%llu.checkpoint", own,
		 (unsigned long long)w.size);
	rc = put(k, name, cn, cl);
	if (rc == CDSYNC_OK && w.size != c->size) {
		/* from the smaller to the larger: either may be newer */
		uint64_t lo = w.size < c->size ? w.size : c->size;
		uint64_t hi = w.size < c->size ? c->size : w.size;

		if (w.size < c->size)
			rc = cds_tlog_store_consistency_to(k->db, w.size, note,
							   n, &f, &fl);
		else
			rc = cds_tlog_store_consistency_to(k->db, c->size, cn,
							   cl, &f, &fl);
		if (rc == CDSYNC_OK) {
			snprintf(name, sizeof name,
				 "checkpoint-%s-%llu-%llu.tlog-consistency",
				 own, (unsigned long long)lo,
				 (unsigned long long)hi);
			rc = put(k, name, f, fl);
		}
	}
	cdsync_free(f);
	cdsync_free(cn);
	return rc;
}

/* The newest checkpoint of this hub's log each witness cosigned (SPEC.md
 * 12.9), with the lines kept for it, and its consistency proof with the
 * pack's checkpoint c: a witness vouches for every tree up to the one it
 * cosigned.  Nothing when no witness cosigned any. */
static int
witnessed(struct pk *k, const char *own, const struct cds_checkpoint *c,
	  const uint8_t *note, size_t n)
{
	sqlite3_stmt *st;
	int rc = CDSYNC_OK, step;

	st = cds_prepare(k->db, "SELECT DISTINCT s FROM (SELECT max(size) AS "
				"s FROM tlog_cosig GROUP BY witness) ORDER BY "
				"s");
	if (st == NULL)
		return cds_sqlcode(k->db);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = cosigned_one(k, own,
				  (uint64_t)sqlite3_column_int64(st, 0), c,
				  note, n);
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(k->db, _("witness"));
	sqlite3_finalize(st);
	return rc;
}

/* This hub's checkpoint now, and its signed text and signature. */
static int
checkpoint(struct pk *k)
{
	struct cds_checkpoint c;
	char own[256];
	uint8_t *note = NULL, sig[80];
	const uint8_t *line, *end, *sp;
	size_t n = 0, got = 0;
	int rc;

	if ((rc = cds_own_code(k->db, own, sizeof own)) != CDSYNC_OK)
		return rc;
	if (k->note != NULL) {	/* the tree of the inclusion proofs */
		note = k->note;
		n = k->nlen;
		k->note = NULL;
	} else if ((rc = cdsync_tlog_checkpoint(k->db, &note, &n)) !=
		   CDSYNC_OK) {
		return rc;
	}
	memset(&c, 0, sizeof c);
	if ((rc = own_ckpt(k, own, note, n, &c)) != CDSYNC_OK) {
		cdsync_free(note);
		return rc;
	}
	{
		char name[400];

		snprintf(name, sizeof name, "checkpoint-%s-%llu.checkpoint",
			 own, (unsigned long long)c.size);
		rc = put(k, name, note, n);
		if (rc == CDSYNC_OK)
			rc = witnessed(k, own, &c, note, n);
	}
	if (rc == CDSYNC_OK)
		rc = put(k, "verify/checkpoint.text", note, c.text_len);
	/* the signature line after the blank line: "— NAME BASE64" */
	line = note + c.text_len + 1;
	end = memchr(line, '\n', n - c.text_len - 1);
	sp = end != NULL ? line + (end - line) : NULL;
	while (sp != NULL && sp > line && sp[-1] != ' ')
		sp--;
	if (rc == CDSYNC_OK &&
	    (sp == NULL ||
	     sodium_base642bin(sig, sizeof sig, (const char *)sp,
			       (size_t)(end - sp), NULL, &got, NULL,
			       sodium_base64_VARIANT_ORIGINAL) != 0 ||
	     got != 68))
		rc = cds_err(k->db, CDSYNC_ECORRUPT, "%s",
			     _("this hub's checkpoint has no signature line"));
	if (rc == CDSYNC_OK)
		rc = put(k, "verify/checkpoint.sig", sig + 4, 64);
	cdsync_free(note);
	return rc;
}

/* The snapshots taken from the hub below whose union is `org`, and the
 * checkpoints of its log this hub took (none: nothing). */
static int
taken(struct pk *k, const char *org)
{
	sqlite3_stmt *st;
	char name[400];
	int rc = CDSYNC_OK, step;

	st = cds_prepare(k->db, "SELECT tree_size, bytes FROM snapshot_in "
				"WHERE org_code = ?1 ORDER BY tree_size, "
				"taken_ms");
	if (st == NULL)
		return cds_sqlcode(k->db);
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(name, sizeof name, "snapshot-%s-%lld.cdss", org,
			 (long long)sqlite3_column_int64(st, 0));
		rc = put(k, name, sqlite3_column_blob(st, 1),
			 (size_t)sqlite3_column_bytes(st, 1));
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(k->db, _("snapshot"));
	sqlite3_finalize(st);
	if (rc != CDSYNC_OK)
		return rc;
	/* and the checkpoints of that hub's log this hub took, each one
	 * consistent with the one before when it was taken */
	st = cds_prepare(k->db, "SELECT t.size, t.note FROM tlog_peer t JOIN "
				"sync_peer p ON p.node_id = t.node_id WHERE "
				"p.org_code = ?1 ORDER BY t.size");
	if (st == NULL)
		return cds_sqlcode(k->db);
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(name, sizeof name, "checkpoint-%s-%lld.checkpoint",
			 org, (long long)sqlite3_column_int64(st, 0));
		rc = put(k, name, sqlite3_column_blob(st, 1),
			 (size_t)sqlite3_column_bytes(st, 1));
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(k->db, _("snapshot"));
	sqlite3_finalize(st);
	return rc;
}

/* The snapshots of the subtree: this hub's own, with its proofs, when the
 * subtree is its union; and those it took from every hub below in the
 * subtree, with the checkpoints of their logs it took. */
static int
snapshots(struct pk *k, const char *org)
{
	char own[256], hub[256];
	sqlite3_stmt *st;
	size_t w = 0;
	int rc, step = SQLITE_DONE;

	if ((rc = cds_own_code(k->db, own, sizeof own)) != CDSYNC_OK)
		return rc;
	if (strcmp(own, org) == 0 &&
	    (rc = cds_snapshot_export(k->db, k->dir, &w)) != CDSYNC_OK)
		return rc;
	/* the hubs below that sent any: a query for each of a national
	 * tree's 60,000 unions would read those tables 60,000 times */
	st = cds_prepare(k->db, "SELECT org_code FROM snapshot_in UNION "
				"SELECT p.org_code FROM tlog_peer t JOIN "
				"sync_peer p ON p.node_id = t.node_id ORDER BY 1");
	if (st == NULL)
		return cds_sqlcode(k->db);
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);

		if (code != NULL && strcmp(code, own) != 0 &&
		    in_tree(k, code) &&
		    snprintf(hub, sizeof hub, "%s", code) < (int)sizeof hub)
			rc = taken(k, hub);
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(k->db, _("snapshot"));
	sqlite3_finalize(st);
	return rc;
}

static const char readme[] =
	"This folder was written by 'cdsync audit pack'.\n"
	"\n"
	"Check it with cdsync (no store needed), with the national root's\n"
	"fingerprint as it is read out to you:\n"
	"\n"
	"    cdsync audit . --root-fingerprint XXXX-XXXX-XXXX-XXXX\n"
	"\n"
	"Or, in part, with stock tools (protocol/SPEC.md 15.1):\n"
	"\n"
	"    sha256sum -c MANIFEST.sha256\n"
	"    openssl pkeyutl -verify -pubin -inkey verify/CODE-NODE.pem \\\n"
	"        -rawin -in verify/BUNDLE.header -sigfile verify/BUNDLE.sig\n"
	"    openssl pkeyutl -verify -pubin -inkey verify/HUB-NODE.pem \\\n"
	"        -rawin -in verify/checkpoint.text -sigfile "
	"verify/checkpoint.sig\n";

CDSYNC_API int
cdsync_audit_pack(cdsync *db, const char *org_code, const char *period,
		  const char *dir, size_t *files)
{
	char sub[4200], own[256];
	struct pk k;
	int rc;

	cds_ok(db);
	if (files != NULL)
		*files = 0;
	if (dir == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	if ((rc = cds_need_node(db)) != CDSYNC_OK)
		return rc;
	if (db->role != CDSYNC_ROLE_HUB && db->role != CDSYNC_ROLE_NATIONAL)
		return cds_err(db, CDSYNC_ESCOPE, "%s",
			       _("an audit pack is written at a hub, which "
				 "holds the bundles and their receipts"));
	if ((rc = cds_own_code(db, own, sizeof own)) != CDSYNC_OK)
		return rc;
	memset(&k, 0, sizeof k);
	k.db = db;
	k.dir = dir;
	snprintf(sub, sizeof sub, "%s/verify", dir);
	if ((mkdir(dir, 0777) != 0 && errno != EEXIST) ||
	    (mkdir(sub, 0777) != 0 && errno != EEXIST)) {
		rc = cds_err(db, CDSYNC_EIO, _("cannot make the folder %s: %s"),
			     sub, strerror(errno));
		goto out;
	}
	cds_file_sweep(dir);	/* what a killed pack left half-written */
	cds_file_sweep(sub);
	if ((rc = subtree(&k, org_code != NULL ? org_code : own)) !=
		    CDSYNC_OK ||
	    (rc = bundles(&k)) != CDSYNC_OK ||
	    (rc = keys(&k)) != CDSYNC_OK ||
	    (rc = checkpoint(&k)) != CDSYNC_OK ||
	    (rc = snapshots(&k, org_code != NULL ? org_code : own)) !=
		    CDSYNC_OK)
		goto out;
	{
		uint8_t *cat = NULL;
		size_t n = 0;

		if ((rc = cdsync_catalog_bytes(db, &cat, &n)) != CDSYNC_OK)
			goto out;
		rc = put(&k, "catalog.cdsa", cat, n);
		cdsync_free(cat);
		if (rc != CDSYNC_OK)
			goto out;
	}
	{
		char text[600];

		snprintf(text, sizeof text,
			 "org %s\nperiod %s\nwritten by %s\n",
			 org_code != NULL ? org_code : own,
			 period != NULL ? period : "2023-2028", own);
		if ((rc = put(&k, "PACK.txt", (const uint8_t *)text,
			      strlen(text))) != CDSYNC_OK ||
		    (rc = put(&k, "README.txt", (const uint8_t *)readme,
			      sizeof readme - 1)) != CDSYNC_OK)
			goto out;
	}
	rc = manifest(&k);
	if (rc == CDSYNC_OK && files != NULL)
		*files = k.files;
out:
	cds_free(k.orgs);
	cds_free(k.note);
	return rc;
}
