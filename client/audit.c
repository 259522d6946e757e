/* audit.c -- the offline audit of a folder of files (cdsync.h "The
 * audit"; SPEC.md §15).
 *
 * Trusts nothing but the national root's fingerprint.  A private scratch
 * store takes the catalogs (the root's sheet checked against the
 * fingerprint, then every sheet chained from it); then every bundle's
 * header and signature are read against the keys of that catalog, every
 * receipt and the inclusion proof beside it are checked against the
 * hub's key and origin, every snapshot's signature and checkpoint, and
 * every consistency proof against a checkpoint of the same hub found in
 * the files.  Then what the files say together: each sender's chain
 * (numbers from 1 without a gap, each bundle naming the one before, one
 * bundle per number), each receipt "merged" with its bundle among the
 * files and the same hash, no bundle first seen after its signer's key
 * was revoked, and for each hub one root per tree size.  Every failure
 * goes to the caller's function with the file and the reason; nothing is
 * written anywhere, and the scratch store goes with the call.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "alloc.h"
#include "bundle.h"
#include "change.h"
#include "merge.h"
#include "snapstore.h"
#include "i18n.h"
#include "id.h"
#include "snapshot.h"
#include "store.h"
#include "tlog.h"
#include "witness.h"

#define NAME_MAX_AUDIT 256

struct ckpt {
	uint8_t node[16];	/* the hub */
	uint64_t size;
	uint8_t root[32];
	char file[NAME_MAX_AUDIT];
	uint8_t *note;		/* the checkpoint as signed */
	size_t nlen;
	size_t cosigs;		/* witnesses whose cosignature verified */
	uint8_t (*by)[16];	/* ... their node ids */
};

/* A consistency proof checked: the log of `node` from size `from` grew to
 * size `to` (from > 0). */
struct link {
	uint8_t node[16];
	uint64_t from, to;
};

struct bund {
	uint8_t node[16];
	char org[80];
	uint64_t seq;
	uint8_t hash[32], prev[32];
	char file[NAME_MAX_AUDIT];
};

struct rcpt {
	cdsync_receipt_info r;
	uint64_t proof_size;	/* the tree its inclusion proof is of */
	char file[NAME_MAX_AUDIT];
};

struct au {
	cdsync *sc;			/* the scratch store */
	cdsync *auditor;		/* its keys open the bundles, or NULL */
	const char *dir;
	char **names;			/* the files, sorted */
	size_t nnames;
	cdsync_audit_fn fn;
	cdsync_audit_progress_fn prog;
	void *ctx;
	cdsync_audit_summary *sum;
	struct ckpt *ck;
	size_t nck, capck;
	struct bund *bd;
	size_t nbd, capbd;
	struct rcpt *rc;
	size_t nrc, caprc;
	struct link *ln;
	size_t nln, capln;
	size_t want;			/* witnesses required (0: none) */
	const char *catfile;		/* the catalog holding the root */
	size_t done;
};

static int
ends(const char *s, const char *ext)
{
	size_t l = strlen(s), e = strlen(ext);

	return l > e && strcmp(s + l - e, ext) == 0;
}

static const char *
path_of(const struct au *a, const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", a->dir, name);
	return buf;
}

/* One failure: to the caller, counted. */
static void
failed(struct au *a, const char *file, const char *what, const char *node,
       uint64_t seq, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
failed(struct au *a, const char *file, const char *what, const char *node,
       uint64_t seq, const char *fmt, ...)
{
	cdsync_audit_item it;
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	memset(&it, 0, sizeof it);
	it.file = file;
	it.what = what;
	snprintf(it.node, sizeof it.node, "%s", node ? node : "");
	it.seq = seq;
	it.reason = reason;
	a->sum->failures++;
	if (a->fn != NULL)
		a->fn(a->ctx, &it);
}

static void
step(struct au *a)
{
	a->done++;
	if (a->prog != NULL)
		a->prog(a->ctx, a->done, a->nnames);
}

/* A node's org code by the catalog (1), or the last 8 hex digits of its
 * id (0: the catalog does not have it). */
static int
org_of(struct au *a, const uint8_t node[16], char *out, size_t n)
{
	sqlite3_stmt *st;
	char hex[33];

	st = cds_prepare(a->sc, "SELECT org_code FROM sync_peer WHERE node_id = "
				"?1");
	if (st != NULL) {
		sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(out, n, "%s",
				 (const char *)sqlite3_column_text(st, 0));
			sqlite3_finalize(st);
			return 1;
		}
		sqlite3_finalize(st);
	}
	cds_id_hex(node, hex);
	snprintf(out, n, "…%s", hex + 24);
	return 0;
}

/* The catalog's signing key of hub `node` and its log's origin: 0, or -1
 * when the catalog does not have it. */
static int
hub_key(struct au *a, const uint8_t node[16], uint8_t pk[32],
	char origin[CDS_CKPT_ORIGIN_MAX + 1])
{
	sqlite3_stmt *st;
	int ok = 0;

	st = cds_prepare(a->sc, "SELECT sign_pk, org_code FROM sync_peer WHERE "
				"node_id = ?1");
	if (st == NULL)
		return -1;
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 32) {
		memcpy(pk, sqlite3_column_blob(st, 0), 32);
		ok = cds_tlog_origin(origin,
				     (const char *)sqlite3_column_text(st, 1),
				     node) == 0;
	}
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static int
add_ckpt(struct au *a, const uint8_t node[16], uint64_t size,
	 const uint8_t root[32], const char *file, const uint8_t *note,
	 size_t nlen)
{
	struct ckpt *c;

	if (a->nck == a->capck) {
		size_t cap = a->capck ? a->capck * 2 : 32;

		if ((c = cds_realloc(a->ck, cap * sizeof *c)) == NULL)
			return CDSYNC_ENOMEM;
		a->ck = c;
		a->capck = cap;
	}
	c = &a->ck[a->nck];
	memset(c, 0, sizeof *c);
	if (note != NULL) {
		if ((c->note = cds_malloc(nlen ? nlen : 1)) == NULL)
			return CDSYNC_ENOMEM;
		memcpy(c->note, note, nlen);
		c->nlen = nlen;
	}
	memcpy(c->node, node, 16);
	c->size = size;
	memcpy(c->root, root, 32);
	snprintf(c->file, sizeof c->file, "%s", file);
	a->nck++;
	a->sum->checkpoints++;
	return CDSYNC_OK;
}

static int
add_link(struct au *a, const uint8_t node[16], uint64_t from, uint64_t to)
{
	struct link *l;

	if (a->nln == a->capln) {
		size_t cap = a->capln ? a->capln * 2 : 16;

		if ((l = cds_realloc(a->ln, cap * sizeof *l)) == NULL)
			return CDSYNC_ENOMEM;
		a->ln = l;
		a->capln = cap;
	}
	l = &a->ln[a->nln++];
	memcpy(l->node, node, 16);
	l->from = from;
	l->to = to;
	return CDSYNC_OK;
}

/* The cosignatures of checkpoint c (its note read and checked) by the
 * witnesses of its log: every other hub of the catalog.  A line of one
 * that does not verify is a failure of file f. */
static int
cosigs(struct au *a, struct ckpt *c, const char *f)
{
	struct cds_witnesses w;
	struct cds_cosig *found = NULL;
	char e[512], org[80];
	size_t i, k;
	int rc;

	if ((rc = cds_witnesses_load(a->sc, c->node, &w)) != CDSYNC_OK)
		return rc;
	if (w.n > 0 && (found = cds_calloc(w.n, sizeof *found)) == NULL)
		rc = CDSYNC_ENOMEM;
	if (rc == CDSYNC_OK && w.n > 0) {
		int v = cds_cosig_check(c->note, c->nlen, w.k, w.n, found, e,
					sizeof e);

		if (v == -2) {
			rc = CDSYNC_ENOMEM;
		} else if (v != 0) {
			org_of(a, c->node, org, sizeof org);
			failed(a, f, "checkpoint", org, c->size, "%s", e);
		} else {
			for (i = 0; i < w.n; i++)
				c->cosigs += found[i].time != UINT64_MAX;
			if (c->cosigs > 0 &&
			    (c->by = cds_calloc(c->cosigs, 16)) == NULL)
				rc = CDSYNC_ENOMEM;
			for (i = 0, k = 0; c->by != NULL && i < w.n; i++)
				if (found[i].time != UINT64_MAX)
					memcpy(c->by[k++], w.node[i], 16);
			a->sum->cosignatures += c->cosigs;
		}
	}
	cds_free(found);
	cds_witnesses_free(&w);
	return rc;
}

/* Reads file f of the folder whole: 1, or 0 (a failure of kind `what`
 * said), or -CDSYNC_ENOMEM. */
static int
load(struct au *a, const char *f, const char *what, size_t max, uint8_t **p,
     size_t *n)
{
	char path[4400];
	int rc;

	rc = cdsync_file_load(a->sc, path_of(a, f, path, sizeof path), max, p,
			      n);
	if (rc == CDSYNC_ENOMEM)
		return -rc;
	if (rc != CDSYNC_OK) {
		failed(a, f, what, NULL, 0, "%s", cdsync_errmsg(a->sc));
		return 0;
	}
	return 1;
}

/* ==== The files, one by one ========================================== */

/* 1 when the ciphertext of the bundle at path is the one its signed header
 * names (BLAKE2b-256, SPEC §7.2): a reader who cannot decrypt it checks
 * it so; 0 not; -1 the file does not read. */
static int
cipher_holds(struct au *a, const char *path)
{
	struct cds_bundle_head h;
	uint8_t *p = NULL, hash[32];
	char e[256];
	size_t n = 0;
	int ok;

	if (cdsync_file_load(a->sc, path, CDS_BUNDLE_MAX_BYTES, &p, &n) !=
		    CDSYNC_OK ||
	    cds_bundle_head(p, n, &h, e, sizeof e) != CDSYNC_OK ||
	    h.head_len + 64 + h.cipher_len != n) {
		cds_free(p);
		return -1;
	}
	crypto_generichash(hash, 32, p + h.head_len + 64, h.cipher_len, NULL,
			   0);
	ok = memcmp(hash, h.cipher_hash, 32) == 0;	/* not secret */
	cds_free(p);
	return ok;
}

static int
catalogs(struct au *a, const char *root_fpr)
{
	char path[4400];
	size_t i, root = (size_t)-1;
	int rc;

	/* first the one holding the root's sheet, checked against the
	 * fingerprint; then the others, chained from it */
	for (i = 0; i < a->nnames && root == (size_t)-1; i++) {
		if (!ends(a->names[i], ".cdsa"))
			continue;
		rc = cdsync_catalog_import(a->sc,
					   path_of(a, a->names[i], path,
						   sizeof path),
					   root_fpr);
		if (rc == CDSYNC_ENOMEM)
			return rc;
		if (rc == CDSYNC_OK)
			root = i;
	}
	if (root == (size_t)-1)
		return CDSYNC_ENOTFOUND;
	a->catfile = a->names[root];
	for (i = 0; i < a->nnames; i++) {
		const char *n = a->names[i];

		if (!ends(n, ".cdsa"))
			continue;
		step(a);
		if (i == root) {
			a->sum->catalogs++;
			continue;
		}
		rc = cdsync_catalog_import(a->sc, path_of(a, n, path,
							  sizeof path), NULL);
		if (rc == CDSYNC_OK)
			a->sum->catalogs++;
		else if (rc == CDSYNC_EROLLBACK)
			a->sum->older++;
		else if (rc == CDSYNC_ENOMEM)
			return rc;
		else
			failed(a, n, "catalog", NULL, 0, "%s",
			       cdsync_errmsg(a->sc));
	}
	return CDSYNC_OK;
}

/* At an auditor's node: a sheet of the catalog the auditor holds whose
 * edition among the files is older -- a catalog swapped for an older one
 * hides the revocations and changes since, which the files alone cannot
 * show. */
static int
stale_catalog(struct au *a)
{
	sqlite3_stmt *mine, *theirs;
	char org[80];
	int rc;

	if (a->auditor == NULL)
		return CDSYNC_OK;
	if ((mine = cds_prepare(a->auditor, "SELECT issuer, serial FROM "
					    "trust_sheet")) == NULL)
		return CDSYNC_ERROR;
	if ((theirs = cds_prepare(a->sc, "SELECT serial FROM trust_sheet "
					 "WHERE issuer = ?1")) == NULL) {
		sqlite3_finalize(mine);
		return CDSYNC_ERROR;
	}
	while ((rc = sqlite3_step(mine)) == SQLITE_ROW) {
		int64_t here = sqlite3_column_int64(mine, 1), files;

		if (sqlite3_column_bytes(mine, 0) != 16)
			continue;
		sqlite3_reset(theirs);
		sqlite3_bind_blob(theirs, 1, sqlite3_column_blob(mine, 0), 16,
				  SQLITE_TRANSIENT);
		if (sqlite3_step(theirs) != SQLITE_ROW)
			continue;	/* not among the files: nothing to say */
		files = sqlite3_column_int64(theirs, 0);
		if (files >= here)
			continue;
		org_of(a, sqlite3_column_blob(mine, 0), org, sizeof org);
		failed(a, a->catfile, "catalog", org, (uint64_t)files,
		       _("the files hold edition %lld of the catalog sheet of "
			 "%s, and this auditor's node holds edition %lld: the "
			 "catalog among the files is older, and may hide a "
			 "revocation or a change since"),
		       (long long)files, org, (long long)here);
	}
	sqlite3_finalize(mine);
	sqlite3_finalize(theirs);
	return rc == SQLITE_DONE ? CDSYNC_OK : CDSYNC_ERROR;
}

static int
bundles(struct au *a)
{
	cdsync_bundle_info info;
	char path[4400], org[80];
	struct bund *b;
	size_t i;
	int rc, known;

	for (i = 0; i < a->nnames; i++) {
		const char *n = a->names[i];

		if (!ends(n, ".cdsb"))
			continue;
		step(a);
		a->sum->bundles++;
		rc = cdsync_bundle_read(a->sc, path_of(a, n, path, sizeof path),
					&info, NULL, NULL);
		if (rc == CDSYNC_ENOMEM)
			return rc;
		if (rc != CDSYNC_OK && rc != CDSYNC_EDECRYPT &&
		    rc != CDSYNC_ENOTRECIPIENT) {
			failed(a, n, "bundle", NULL, 0, "%s",
			       cdsync_errmsg(a->sc));
			continue;
		}
		known = org_of(a, info.node, org, sizeof org);
		if (!info.signature_ok || cipher_holds(a, path) != 1) {
			failed(a, n, "bundle", org, info.seq, "%s",
			       _("its signature does not verify: the bundle "
				 "was changed after it was signed"));
			continue;
		}
		if (!known) {
			failed(a, n, "bundle", org, info.seq,
			       _("sent by node %s, which the catalog does not "
				 "have: nobody enrolled signed it"),
			       org);
			continue;
		}
		if (!info.sender_known) {
			failed(a, n, "bundle", org, info.seq,
			       _("signed by a key the catalog does not give "
				 "%s: a bundle the school did not sign"),
			       org);
			continue;
		}
		if (a->nbd == a->capbd) {
			size_t cap = a->capbd ? a->capbd * 2 : 64;

			if ((b = cds_realloc(a->bd, cap * sizeof *b)) == NULL)
				return CDSYNC_ENOMEM;
			a->bd = b;
			a->capbd = cap;
		}
		b = &a->bd[a->nbd++];
		memcpy(b->node, info.node, 16);
		snprintf(b->org, sizeof b->org, "%s", org);
		b->seq = info.seq;
		memcpy(b->hash, info.hash, 32);
		memcpy(b->prev, info.prev, 32);
		snprintf(b->file, sizeof b->file, "%s", n);
	}
	return CDSYNC_OK;
}

static int
receipts(struct au *a)
{
	cdsync_receipt_info r;
	cdsync_tlog_head h;
	cdsync_tlog_entry e;
	char path[4400], proof[4400], name[NAME_MAX_AUDIT + 16];
	struct rcpt *x;
	struct stat sb;
	size_t i, l;
	int rc;

	for (i = 0; i < a->nnames; i++) {
		const char *n = a->names[i];

		if (!ends(n, ".cdsr"))
			continue;
		step(a);
		a->sum->receipts++;
		l = strlen(n);
		snprintf(name, sizeof name, "%.*s.tlog-proof", (int)(l - 5), n);
		path_of(a, name, proof, sizeof proof);
		if (stat(proof, &sb) != 0) {
			failed(a, n, "receipt", NULL, 0,
			       _("no inclusion proof beside it (%s): nothing "
				 "shows the hub logged the bundle"),
			       name);
			continue;
		}
		a->sum->proofs++;
		rc = cdsync_receipt_check(a->sc, path_of(a, n, path, sizeof path),
					  proof, &r, &h, &e);
		if (rc == CDSYNC_ENOMEM)
			return rc;
		if (rc != CDSYNC_OK) {
			failed(a, n, "receipt", NULL, 0, "%s",
			       cdsync_errmsg(a->sc));
			continue;
		}
		if ((rc = add_ckpt(a, r.hub, h.size, h.root, name, NULL, 0)) !=
		    CDSYNC_OK)
			return rc;
		if (a->nrc == a->caprc) {
			size_t cap = a->caprc ? a->caprc * 2 : 64;

			if ((x = cds_realloc(a->rc, cap * sizeof *x)) == NULL)
				return CDSYNC_ENOMEM;
			a->rc = x;
			a->caprc = cap;
		}
		x = &a->rc[a->nrc++];
		x->r = r;
		x->proof_size = h.size;
		snprintf(x->file, sizeof x->file, "%s", n);
	}
	return CDSYNC_OK;
}

static int
by_node_seq(const void *x, const void *y)
{
	const struct bund *a = x, *b = y;
	int c = memcmp(a->node, b->node, 16);

	if (c != 0)
		return c;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return memcmp(a->hash, b->hash, 32);
}

/* The bundle `seq` of `node` among the files (a->bd, sorted by
 * by_node_seq), the one with `hash` when given (a forked chain has two),
 * or NULL. */
static const struct bund *
bundle_of(const struct au *a, const uint8_t node[16], uint64_t seq,
	  const uint8_t *hash)
{
	size_t lo = 0, hi = a->nbd, i;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		const struct bund *b = &a->bd[m];
		int c = memcmp(b->node, node, 16);

		if (c < 0 || (c == 0 && b->seq < seq))
			lo = m + 1;
		else
			hi = m;
	}
	for (i = lo; i < a->nbd && a->bd[i].seq == seq &&
		     memcmp(a->bd[i].node, node, 16) == 0;
	     i++)
		if (hash == NULL || memcmp(a->bd[i].hash, hash, 32) == 0)
			return &a->bd[i];
	return NULL;
}

/* Each cell a recount finds different, as a failure of the snapshot. */
struct recount {
	struct au *a;
	const char *file;
};

static int
recount_diff(void *ctx, const char *unit, const char *period,
	     const char *field, int64_t theirs, int64_t ours)
{
	struct recount *r = ctx;

	failed(r->a, r->file, "snapshot", unit, 0,
	       _("%s, %s, %s: signed %lld, counted from the bundles %lld"),
	       unit, period, field, (long long)theirs, (long long)ours);
	return CDSYNC_OK;
}

/* Counts the snapshot's figures again from the bundles among the files
 * it names, opened with the auditor's keys: 1 recounted, 0 it cannot be
 * (*why says why), < 0 an error code negated. */
static int
recount(struct au *a, const char *file, const uint8_t *p,
	const struct cds_snap *s, char *why, size_t whylen)
{
	struct cds_snap_head hd;
	struct cds_bundle_head h;
	struct cds_merge_stats ms;
	struct cds_payload pl;
	struct recount r = { a, file };
	char path[4400], org[80];
	cdsync *sc = NULL;
	uint8_t *b = NULL;
	size_t i, n = 0, ndiff = 0;
	uint64_t q;
	int rc, out = 1;

	if ((rc = cdsync_open("", CDSYNC_OPEN_CREATE, &sc)) != CDSYNC_OK ||
	    (rc = cds_exec(sc, "PRAGMA synchronous = OFF")) != CDSYNC_OK ||
	    (rc = cds_merge_begin(sc)) != CDSYNC_OK) {
		snprintf(why, whylen, "%s", sc ? cdsync_errmsg(sc) : "");
		cdsync_close(sc);
		return rc == CDSYNC_ENOMEM ? -rc : 0;
	}
	memset(&ms, 0, sizeof ms);
	for (i = 0; i < s->nheads && out == 1; i++) {
		cds_snap_head_at(s, i, &hd);
		org_of(a, hd.node, org, sizeof org);
		for (q = 1; q <= hd.seq && out == 1; q++) {
			const struct bund *x = bundle_of(
				a, hd.node, q, q == hd.seq ? hd.hash : NULL);

			if (x == NULL) {
				snprintf(why, whylen,
					 _("bundle %llu of %s, which it counts, "
					   "is not among the files"),
					 (unsigned long long)q, org);
				out = 0;
				break;
			}
			rc = cdsync_file_load(a->sc,
					      path_of(a, x->file, path,
						      sizeof path),
					      CDS_BUNDLE_MAX_BYTES, &b, &n);
			if (rc == CDSYNC_OK)
				rc = cds_bundle_decode(a->auditor, x->file, b, n,
						       &h, &pl);
			cds_free(b);
			b = NULL;
			if (rc == CDSYNC_ENOMEM) {
				out = -rc;
				break;
			}
			if (rc != CDSYNC_OK) {
				snprintf(why, whylen, "%s",
					 rc == CDSYNC_ENOTRECIPIENT
						 ? _("a bundle it counts is not "
						     "encrypted to this auditor "
						     "(sealed before the auditor "
						     "was enrolled)")
						 : cdsync_errmsg(a->auditor));
				out = 0;
				break;
			}
			rc = cds_merge(sc, pl.ch, pl.count, 1, &ms);
			if (pl.mem != NULL)
				sodium_memzero(pl.mem, pl.memlen);
			cds_payload_free(&pl);
			if (rc != CDSYNC_OK) {
				snprintf(why, whylen, "%s", cdsync_errmsg(sc));
				out = rc == CDSYNC_ENOMEM ? -rc : 0;
			}
		}
	}
	if (out == 1 && cds_merge_commit(sc) != CDSYNC_OK) {
		snprintf(why, whylen, "%s", cdsync_errmsg(sc));
		out = 0;
	} else if (out != 1) {
		cds_merge_rollback(sc);
	}
	if (out == 1 &&
	    (rc = cds_snapshot_copy_catalog(a->sc, sc, p, s)) != CDSYNC_OK) {
		snprintf(why, whylen, "%s", cdsync_errmsg(a->sc));
		out = rc == CDSYNC_ENOMEM ? -rc : 0;
	}
	if (out == 1) {
		rc = cds_snapshot_recount(a->sc, sc, p, s, recount_diff, &r,
					  &ndiff);
		if (rc != CDSYNC_OK) {
			snprintf(why, whylen, "%s", cdsync_errmsg(a->sc));
			out = rc == CDSYNC_ENOMEM ? -rc : 0;
		}
	}
	cdsync_close(sc);
	return out;
}

static int
by_code(const void *x, const void *y)
{
	return strcmp((const char *)x, (const char *)y);
}

/* The head of `node` in s (heads sorted by node id): its seq, or 0. */
static uint64_t
head_of(const struct cds_snap *s, const uint8_t node[16])
{
	struct cds_snap_head hd;
	size_t lo = 0, hi = s->nheads;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		int c;

		cds_snap_head_at(s, m, &hd);
		if ((c = memcmp(hd.node, node, 16)) == 0)
			return hd.seq;
		if (c < 0)
			lo = m + 1;
		else
			hi = m;
	}
	return 0;
}

/* Whether receipt r binds snapshot s of a tree of `size` leaves: its
 * hub's, merged on arrival, in that tree. */
static int
binds(const cdsync_receipt_info *r, const struct cds_snap *s, uint64_t size)
{
	return memcmp(r->hub, s->hub, 16) == 0 && r->merged && r->has_leaf &&
	       r->leaf < size && r->made_ms == r->seen_ms;
}

/* The bundles a snapshot must count and does not: every bundle of a unit
 * of its subtree that its hub logged in the tree the snapshot names
 * (leaf below `size`) and merged as it took it in (a receipt whose
 * made_ms is its seen_ms: not held, so merged before the checkpoint)
 * must be at or below the snapshot's head for its sender.  A hub that
 * leaves a school out of its figures leaves it out of the heads too, and
 * the recount cannot see it; the receipts can. */
static int
left_out(struct au *a, const char *f, const uint8_t *p,
	 const struct cds_snap *s, uint64_t size)
{
	struct cds_snap_unit *u = NULL;
	char e[256], org[80], code[CDS_TRUST_STR_MAX + 1];
	char(*units)[CDS_TRUST_STR_MAX + 1] = NULL;
	size_t i, nu = 0, cu = 0, off = s->units_at;
	int rc = CDSYNC_OK, got, any = 0;

	for (i = 0; i < a->nrc && !any; i++)
		any = binds(&a->rc[i].r, s, size);
	if (!any)
		return CDSYNC_OK;
	if ((u = cds_malloc(sizeof *u)) == NULL)
		return CDSYNC_ENOMEM;
	while ((got = cds_snap_next(p, s, &off, u, e, sizeof e)) == 1) {
		if (nu == cu) {
			size_t c = cu ? cu * 2 : 64;
			char(*m)[CDS_TRUST_STR_MAX + 1] =
				cds_realloc(units, c * sizeof *units);

			if (m == NULL) {
				rc = CDSYNC_ENOMEM;
				goto out;
			}
			units = m;
			cu = c;
		}
		snprintf(units[nu++], sizeof *units, "%s", u->code);
	}
	if (got != 0)
		goto out;	/* snapshots() says what is wrong with it */
	if (nu > 1)
		qsort(units, nu, sizeof *units, by_code);
	for (i = 0; i < a->nrc; i++) {
		const cdsync_receipt_info *r = &a->rc[i].r;
		uint64_t head;

		if (!binds(r, s, size))
			continue;
		org_of(a, r->node, code, sizeof code);
		if (nu == 0 ||
		    bsearch(code, units, nu, sizeof *units, by_code) == NULL)
			continue;	/* not a unit of its subtree */
		if ((head = head_of(s, r->node)) >= r->seq)
			continue;
		org_of(a, s->hub, org, sizeof org);
		if (head == 0)
			failed(a, f, "snapshot", code, r->seq,
			       _("%s logged bundle %llu of %s at leaf %llu, in "
				 "the tree this snapshot names (%llu leaves), "
				 "and the snapshot counts no bundle of %s: a "
				 "union left out of its figures"),
			       org, (unsigned long long)r->seq, code,
			       (unsigned long long)r->leaf,
			       (unsigned long long)size, code);
		else
			failed(a, f, "snapshot", code, r->seq,
			       _("%s logged bundle %llu of %s at leaf %llu, in "
				 "the tree this snapshot names (%llu leaves), "
				 "and the snapshot counts %s only up to bundle "
				 "%llu: bundles left out of its figures"),
			       org, (unsigned long long)r->seq, code,
			       (unsigned long long)r->leaf,
			       (unsigned long long)size, code,
			       (unsigned long long)head);
	}
out:
	cds_free(u);
	cds_free(units);
	return rc;
}

static int
snapshots(struct au *a)
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1], e[512], org[80];
	cdsync_tlog_head h;
	struct cds_snap s;
	uint8_t *p = NULL, pk[32];
	size_t i, n;
	int rc;

	for (i = 0; i < a->nnames; i++) {
		const char *f = a->names[i];

		if (!ends(f, ".cdss"))
			continue;
		step(a);
		a->sum->snapshots++;
		if ((rc = load(a, f, "snapshot", CDS_SNAP_MAX, &p, &n)) <= 0) {
			if (rc < 0)
				return -rc;
			continue;
		}
		if (cds_snap_read(p, n, &s, e, sizeof e) != 0) {
			failed(a, f, "snapshot", NULL, 0, "%s", e);
		} else if ((org_of(a, s.hub, org, sizeof org),
			    hub_key(a, s.hub, pk, origin)) != 0) {
			failed(a, f, "snapshot", org, 0, "%s",
			       _("signed by a hub the catalog does not have"));
		} else if (memcmp(pk, s.hub_pk, 32) != 0) {	/* not secret */
			failed(a, f, "snapshot", org, 0,
			       _("signed with a key that is not %s's in the "
				 "catalog"),
			       org);
		} else if ((rc = cds_snap_verify(p, n, &s, e, sizeof e)) != 0) {
			if (rc == -2) {
				cds_free(p);
				return CDSYNC_ENOMEM;
			}
			failed(a, f, "snapshot", org, 0, "%s", e);
		} else if (cdsync_tlog_check_checkpoint(s.note, s.note_len, pk,
							origin, &h, e,
							sizeof e) != CDSYNC_OK) {
			failed(a, f, "snapshot", org, 0, "%s", e);
		} else if ((rc = add_ckpt(a, s.hub, h.size, h.root, f, s.note,
					  s.note_len)) != CDSYNC_OK ||
			   (rc = left_out(a, f, p, &s, h.size)) != CDSYNC_OK) {
			cds_free(p);
			return rc;
		} else if (a->auditor != NULL) {
			char why[512] = "";
			int k = recount(a, f, p, &s, why, sizeof why);

			if (k < 0) {
				cds_free(p);
				return -k;
			}
			if (k == 1) {
				a->sum->recounted++;
			} else {
				a->sum->unrecounted++;
				if (a->sum->why[0] == '\0')
					snprintf(a->sum->why,
						 sizeof a->sum->why, "%s: %s",
						 f, why);
			}
		}
		cds_free(p);
		p = NULL;
	}
	return CDSYNC_OK;
}


static int
consistency(struct au *a)
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1], e[512], org[80];
	struct cds_tlog_file tf;
	cdsync_tlog_head h;
	uint8_t *p = NULL, pk[32], node[16];
	size_t i, k, n;
	int rc;

	for (i = 0; i < a->nnames; i++) {
		const char *f = a->names[i];
		const struct ckpt *old = NULL;

		if (!ends(f, ".tlog-consistency"))
			continue;
		step(a);
		if ((rc = load(a, f, "checkpoint", CDS_TLOG_FILE_MAX, &p, &n)) <= 0) {
			if (rc < 0)
				return -rc;
			continue;
		}
		if (cds_tlog_consistency_read(p, n, &tf, e, sizeof e) != 0 ||
		    cds_tlog_origin_node(tf.ckpt, tf.ckpt_len, node) != 0) {
			failed(a, f, "checkpoint", NULL, 0, "%s",
			       e[0] ? e : _("not the log of a cdsync hub"));
			goto next;
		}
		org_of(a, node, org, sizeof org);
		if (hub_key(a, node, pk, origin) != 0) {
			failed(a, f, "checkpoint", org, 0, "%s",
			       _("the log of a hub the catalog does not have"));
			goto next;
		}
		for (k = 0; k < a->nck && old == NULL; k++)
			if (memcmp(a->ck[k].node, node, 16) == 0 &&
			    a->ck[k].size == tf.at && a->ck[k].note != NULL)
				old = &a->ck[k];
		if (tf.at > 0 && old == NULL) {
			a->sum->unchecked++;	/* no checkpoint to start from */
			goto next;
		}
		a->sum->consistency++;
		rc = tf.at == 0 ? cdsync_tlog_check_checkpoint(
					  tf.ckpt, tf.ckpt_len, pk, origin, &h,
					  e, sizeof e)
				: cdsync_tlog_check_consistency(
					  p, n, pk, origin, old->note,
					  old->nlen, &h, e, sizeof e);
		if (rc != CDSYNC_OK) {
			failed(a, f, "checkpoint", org, tf.at,
			       _("%s (the log of %s was rewritten, or shown "
				 "in two versions)"),
			       e, org);
			goto next;
		}
		if ((rc = add_ckpt(a, node, h.size, h.root, f, tf.ckpt,
				   tf.ckpt_len)) != CDSYNC_OK ||
		    (rc = cosigs(a, &a->ck[a->nck - 1], f)) != CDSYNC_OK ||
		    (tf.at > 0 &&
		     (rc = add_link(a, node, tf.at, h.size)) != CDSYNC_OK)) {
			cds_free(p);
			return rc;
		}
next:
		cds_free(p);
		p = NULL;
	}
	return CDSYNC_OK;
}

/* Checkpoints on their own (*.checkpoint: a signed note, §12.4). */
static int
notes(struct au *a)
{
	char origin[CDS_CKPT_ORIGIN_MAX + 1], e[512], org[80];
	cdsync_tlog_head h;
	uint8_t *p = NULL, pk[32], node[16];
	size_t i, n;
	int rc;

	for (i = 0; i < a->nnames; i++) {
		const char *f = a->names[i];

		if (!ends(f, ".checkpoint"))
			continue;
		step(a);
		if ((rc = load(a, f, "checkpoint", CDS_CKPT_MAX, &p, &n)) <= 0) {
			if (rc < 0)
				return -rc;
			continue;
		}
		if (cds_tlog_origin_node(p, n, node) != 0) {
			failed(a, f, "checkpoint", NULL, 0, "%s",
			       _("not the log of a cdsync hub"));
		} else if ((org_of(a, node, org, sizeof org),
			    hub_key(a, node, pk, origin)) != 0) {
			failed(a, f, "checkpoint", org, 0, "%s",
			       _("the log of a hub the catalog does not have"));
		} else if (cdsync_tlog_check_checkpoint(p, n, pk, origin, &h, e,
							sizeof e) != CDSYNC_OK) {
			failed(a, f, "checkpoint", org, 0, "%s", e);
		} else if ((rc = add_ckpt(a, node, h.size, h.root, f, p, n)) !=
				   CDSYNC_OK ||
			   (rc = cosigs(a, &a->ck[a->nck - 1], f)) !=
				   CDSYNC_OK) {
			cds_free(p);
			return rc;
		}
		cds_free(p);
		p = NULL;
	}
	return CDSYNC_OK;
}

/* ==== What the files say together ===================================== */

static void
chains(struct au *a)
{
	size_t i, j;

	for (i = 0; i < a->nbd; i = j) {
		uint64_t expect = 1;

		a->sum->nodes++;
		for (j = i; j < a->nbd &&
			    memcmp(a->bd[j].node, a->bd[i].node, 16) == 0;
		     j++) {
			const struct bund *b = &a->bd[j];

			if (j > i && b->seq == a->bd[j - 1].seq) {
				if (memcmp(b->hash, a->bd[j - 1].hash, 32) != 0)
					failed(a, b->file, "bundle", b->org,
					       b->seq,
					       _("two different bundles with "
						 "number %llu of %s (the other "
						 "is %s): a forked chain"),
					       (unsigned long long)b->seq,
					       b->org, a->bd[j - 1].file);
				a->sum->repeated++;
				continue;	/* the same bundle twice */
			}
			if (b->seq > expect)
				failed(a, b->file, "bundle", b->org, expect,
				       _("bundles %llu to %llu of %s are not "
					 "among the files: the chain has a "
					 "gap (dropped?)"),
				       (unsigned long long)expect,
				       (unsigned long long)(b->seq - 1),
				       b->org);
			else if (j > i && b->seq == a->bd[j - 1].seq + 1 &&
				 memcmp(b->prev, a->bd[j - 1].hash, 32) != 0)
				failed(a, b->file, "bundle", b->org, b->seq,
				       _("it does not name bundle %llu of "
					 "%s as the one before it (%s): the "
					 "chain is broken"),
				       (unsigned long long)(b->seq - 1),
				       b->org, a->bd[j - 1].file);
			expect = b->seq + 1;
		}
	}
}

/* Receipts against the bundles, and revocations against the receipts.
 * CDSYNC_OK, or CDSYNC_ENOMEM. */
static int
received(struct au *a)
{
	cdsync_cat_entry e;
	char hub[80], org[80], day[32];
	size_t i, k;
	int rc;

	for (i = 0; i < a->nrc; i++) {
		const cdsync_receipt_info *r = &a->rc[i].r;
		const struct bund *b = bundle_of(a, r->node, r->seq, NULL);

		org_of(a, r->hub, hub, sizeof hub);
		org_of(a, r->node, org, sizeof org);
		if (b == NULL && r->merged)
			failed(a, a->rc[i].file, "receipt", org, r->seq,
			       _("%s says it merged bundle %llu of %s, and the "
				 "bundle is not among the files (dropped?)"),
			       hub, (unsigned long long)r->seq, org);
		else if (b != NULL &&
			 memcmp(b->hash, r->hash, 32) != 0)	/* not secret */
			failed(a, b->file, "bundle", org, r->seq,
			       _("not the bundle %s received as number %llu "
				 "of %s (%s names another): replaced or "
				 "altered"),
			       hub, (unsigned long long)r->seq, org,
			       a->rc[i].file);
	}
	/* a bundle is judged by when a hub first logged it (SPEC §10.6) */
	for (k = 0; (rc = cdsync_catalog_at(a->sc, k, &e)) == CDSYNC_OK;
	     k++) {
		if (e.revoked_from == 0)
			continue;
		for (i = 0; i < a->nbd; i++) {
			const struct bund *b = &a->bd[i];
			uint64_t first = UINT64_MAX;
			size_t j;

			if (memcmp(b->node, e.node, 16) != 0)
				continue;
			for (j = 0; j < a->nrc; j++)
				if (memcmp(a->rc[j].r.hash, b->hash, 32) == 0 &&
				    a->rc[j].r.seen_ms < first)
					first = a->rc[j].r.seen_ms;
			if (first < e.revoked_from)
				continue;	/* logged in time: it counts */
			cds_day_text(e.revoked_from, day, sizeof day);
			failed(a, b->file, "bundle", b->org, b->seq,
			       _("signed by the key of %s revoked on %s, and "
				 "no hub logged it before: it must not "
				 "count"),
			       b->org, day);
		}
	}
	return rc == CDSYNC_ENOTFOUND ? CDSYNC_OK : rc;
}

/* Two checkpoints of one hub's log of one size with two roots: said once
 * for each size, naming a file of each root. */
static void
views(struct au *a)
{
	char org[80];
	size_t i, j, k;

	for (i = 0; i < a->nck; i++) {
		const struct ckpt *x = &a->ck[i];

		for (k = 0; k < i; k++)	/* this size said already */
			if (a->ck[k].size == x->size &&
			    memcmp(a->ck[k].node, x->node, 16) == 0)
				break;
		if (k < i)
			continue;
		for (j = i + 1; j < a->nck; j++)
			if (a->ck[j].size == x->size &&
			    memcmp(a->ck[j].node, x->node, 16) == 0 &&
			    memcmp(a->ck[j].root, x->root, 32) != 0)
				break;
		if (j == a->nck)
			continue;
		org_of(a, x->node, org, sizeof org);
		failed(a, a->ck[j].file, "checkpoint", org, x->size,
		       _("%s signed two different trees of size %llu (another "
			 "in %s): a split view"),
		       org, (unsigned long long)x->size, x->file);
	}
	for (i = 0; i < a->nck; i++) {
		for (j = 0; j < i; j++)
			if (memcmp(a->ck[j].node, a->ck[i].node, 16) == 0)
				break;
		a->sum->hubs += j == i;
	}
}

/* The role of node `node` in the catalog (0: not there). */
static int
role_of(struct au *a, const uint8_t node[16])
{
	sqlite3_stmt *st;
	int role = 0;

	st = cds_prepare(a->sc, "SELECT coalesce(role, 0) FROM sync_peer WHERE "
				"node_id = ?1");
	if (st == NULL)
		return 0;
	sqlite3_bind_blob(st, 1, node, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		role = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return role;
}

/* 1 when the files prove the log of `node` at size x and at size y are
 * one history: the same size, or a consistency proof checked from the
 * smaller to the larger. */
static int
linked(const struct au *a, const uint8_t node[16], uint64_t x, uint64_t y)
{
	uint64_t lo = x < y ? x : y, hi = x < y ? y : x;
	size_t i;

	if (x == y)
		return 1;
	for (i = 0; i < a->nln; i++)
		if (memcmp(a->ln[i].node, node, 16) == 0 &&
		    a->ln[i].from == lo && a->ln[i].to == hi)
			return 1;
	return 0;
}

/* With a->want witnesses required: every receipt of the national hub
 * must be of a bundle logged in a tree that many witnesses vouch for --
 * each has cosigned a checkpoint of that log larger than its leaf, one
 * history with the tree of its inclusion proof (the same tree, or a
 * consistency proof between them among the files).  A witness that
 * cosigned a larger tree checked it extends all it saw before, so the
 * witnesses need not have cosigned one and the same size. */
static int
witnessed(struct au *a)
{
	uint8_t (*seen)[16] = NULL;
	char hub[80];
	size_t i, k, j, n, most, cap = 0;

	if (a->want == 0)
		return CDSYNC_OK;
	for (k = 0; k < a->nck; k++)
		cap += a->ck[k].cosigs;
	if (cap > 0 && (seen = cds_calloc(cap, 16)) == NULL)
		return CDSYNC_ENOMEM;
	for (i = 0; i < a->nrc; i++) {
		const struct rcpt *x = &a->rc[i];

		if (role_of(a, x->r.hub) != CDSYNC_ROLE_NATIONAL)
			continue;
		org_of(a, x->r.hub, hub, sizeof hub);
		n = most = 0;
		for (k = 0; k < a->nck; k++) {
			const struct ckpt *c = &a->ck[k];
			size_t b;

			if (memcmp(c->node, x->r.hub, 16) != 0)
				continue;
			if (c->cosigs > most)
				most = c->cosigs;
			if (seen == NULL || c->by == NULL || c->size <= x->r.leaf ||
			    !linked(a, c->node, c->size, x->proof_size))
				continue;
			for (b = 0; b < c->cosigs; b++) {
				for (j = 0; j < n; j++)
					if (memcmp(seen[j], c->by[b], 16) == 0)
						break;
				if (j == n)
					memcpy(seen[n++], c->by[b], 16);
			}
		}
		if (n >= a->want) {
			if (x->r.leaf + 1 > a->sum->witnessed)
				a->sum->witnessed = x->r.leaf + 1;
			continue;
		}
		if (most == 0)
			failed(a, x->file, "receipt", hub, x->r.leaf,
			       _("no checkpoint of %s's log among the files "
				 "carries the cosignatures of %zu witnesses "
				 "(at most %zu): nothing shows %s showed others "
				 "the same history"),
			       hub, a->want, most, hub);
		else
			failed(a, x->file, "receipt", hub, x->r.leaf,
			       _("%s logged this bundle at leaf %llu, and %zu "
				 "of the %zu witnesses required cosigned a "
				 "larger tree of its log linked to the tree "
				 "of its proof (%llu leaves): not witnessed "
				 "yet"),
			       hub, (unsigned long long)x->r.leaf, n, a->want,
			       (unsigned long long)x->proof_size);
	}
	cds_free(seen);
	return CDSYNC_OK;
}

/* ==== The call ======================================================== */

static int
byname(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
list(struct au *a, char *err, size_t errlen)
{
	struct dirent *de;
	char path[4400];
	struct stat sb;
	size_t cap = 0;
	char **t;
	DIR *d;

	if ((d = opendir(a->dir)) == NULL) {
		snprintf(err, errlen, _("cannot read the folder %s"), a->dir);
		return CDSYNC_ENOTFOUND;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= NAME_MAX_AUDIT ||
		    stat(path_of(a, de->d_name, path, sizeof path), &sb) != 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (a->nnames == cap) {
			cap = cap ? cap * 2 : 64;
			if ((t = cds_realloc(a->names, cap * sizeof *t)) ==
			    NULL) {
				closedir(d);
				return CDSYNC_ENOMEM;
			}
			a->names = t;
		}
		if ((a->names[a->nnames] = cds_strdup(de->d_name)) == NULL) {
			closedir(d);
			return CDSYNC_ENOMEM;
		}
		a->nnames++;
	}
	closedir(d);
	if (a->nnames > 1)
		qsort(a->names, a->nnames, sizeof *a->names, byname);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_audit_dir(const char *dir, const char *root_fingerprint,
		 size_t witnesses, cdsync *auditor, cdsync_audit_fn fn,
		 cdsync_audit_progress_fn prog, void *ctx,
		 cdsync_audit_summary *out, char *err, size_t errlen)
{
	cdsync_audit_summary sum;
	struct au a;
	size_t i;
	int rc;

	memset(&sum, 0, sizeof sum);
	memset(&a, 0, sizeof a);
	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (dir == NULL || root_fingerprint == NULL || err == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "%s", _("invalid argument"));
		return CDSYNC_EINVAL;
	}
	a.dir = dir;
	a.want = witnesses;
	a.auditor = auditor;
	a.fn = fn;
	a.prog = prog;
	a.ctx = ctx;
	a.sum = &sum;
	if ((rc = list(&a, err, errlen)) != CDSYNC_OK)
		goto out;
	if ((rc = cdsync_open("", CDSYNC_OPEN_CREATE, &a.sc)) != CDSYNC_OK ||
	    (rc = cdsync_node_init(a.sc, CDSYNC_ROLE_SCHOOL, "cdsync-audit",
				   "cdsync audit", NULL)) != CDSYNC_OK) {
		snprintf(err, errlen, _("the audit's scratch store: %s"),
			 a.sc ? cdsync_errmsg(a.sc) : cdsync_strerror(rc));
		goto out;
	}
	(void)cds_exec(a.sc, "PRAGMA synchronous = OFF");
	rc = catalogs(&a, root_fingerprint);
	if (rc == CDSYNC_ENOTFOUND) {
		snprintf(err, errlen,
			 _("%s: no catalog holds the national root's sheet "
			   "with the fingerprint %s: nothing can be checked"),
			 dir, root_fingerprint);
		goto out;
	}
	if (rc == CDSYNC_OK)
		rc = stale_catalog(&a);
	if (rc == CDSYNC_OK)
		rc = bundles(&a);
	if (a.nbd > 1)		/* for bundle_of and chains */
		qsort(a.bd, a.nbd, sizeof *a.bd, by_node_seq);
	if (rc == CDSYNC_OK)
		rc = receipts(&a);
	if (rc == CDSYNC_OK)
		rc = snapshots(&a);
	if (rc == CDSYNC_OK)
		rc = notes(&a);
	if (rc == CDSYNC_OK)
		rc = consistency(&a);
	if (rc == CDSYNC_ENOMEM) {
		snprintf(err, errlen, "%s", _("out of memory"));
		goto out;
	}
	chains(&a);
	if ((rc = received(&a)) != CDSYNC_OK) {
		snprintf(err, errlen, "%s",
			 rc == CDSYNC_ENOMEM ? _("out of memory")
					     : cdsync_errmsg(a.sc));
		goto out;
	}
	views(&a);
	if ((rc = witnessed(&a)) != CDSYNC_OK) {
		snprintf(err, errlen, "%s", _("out of memory"));
		goto out;
	}
out:
	if (out != NULL)
		*out = sum;
	for (i = 0; i < a.nnames; i++)
		cds_free(a.names[i]);
	cds_free(a.names);
	for (i = 0; i < a.nck; i++) {
		cds_free(a.ck[i].note);
		cds_free(a.ck[i].by);
	}
	cds_free(a.ck);
	cds_free(a.bd);
	cds_free(a.rc);
	cds_free(a.ln);
	cdsync_close(a.sc);
	return rc;
}
