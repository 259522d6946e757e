/* keys.c -- a node's key pairs in its store; see keys.h and cdsync.h
 * "Keys". */
#include "keys.h"

#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "keybox.h"

/* ==== Reading ========================================================= */

/* One meta value as a blob of exactly n bytes (n 0: any length into
 * *len, at most cap); 1 if there, 0 if not. */
static int
meta_blob(cdsync *db, const char *key, uint8_t *out, size_t n, size_t cap,
	  size_t *len)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT value FROM meta WHERE "
					   "key = ?1");
	size_t got;
	int found = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		got = (size_t)sqlite3_column_bytes(st, 0);
		if ((n && got == n) || (!n && got <= cap)) {
			if (got > 0)
				memcpy(out, sqlite3_column_blob(st, 0), got);
			if (len)
				*len = got;
			found = 1;
		}
	}
	sqlite3_finalize(st);
	return found;
}

/* 1 if meta has the key, 0 if not, -1 on error. */
static int
meta_has(cdsync *db, const char *key)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT 1 FROM meta WHERE key = ?1");
	int found;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int
cds_keys_load(cdsync *db)
{
	uint8_t old[16 * 64];
	size_t n = 0;
	int a, b;

	db->has_pub = db->has_keys = db->keys_sealed = 0;
	db->nold = 0;
	a = meta_blob(db, "sign_pk", db->sign_pk, 32, 0, NULL);
	b = meta_blob(db, "box_pk", db->box_pk, 32, 0, NULL);
	if (a < 0 || b < 0)
		return CDSYNC_ERROR;
	db->has_pub = a && b;
	if ((db->keys_sealed = meta_has(db, "keys_sealed")) < 0)
		return CDSYNC_ERROR;
	if (db->keys_sealed)
		return db->has_pub ? CDSYNC_OK
				   : cds_err(db, CDSYNC_ECORRUPT, "%s",
					     _("store: the node's public keys "
					       "are missing"));
	a = meta_blob(db, "sign_sk", db->sign_sk, 64, 0, NULL);
	b = meta_blob(db, "box_sk", db->box_sk, 32, 0, NULL);
	if (a < 0 || b < 0)
		return CDSYNC_ERROR;
	if (!a || !b)
		return CDSYNC_OK;	/* no keys yet (before migration 3) */
	/* stores from before the public keys were kept apart */
	memcpy(db->sign_pk, db->sign_sk + 32, 32);
	crypto_scalarmult_base(db->box_pk, db->box_sk);
	if (meta_blob(db, "old_box", old, 0, sizeof old, &n) > 0 &&
	    n % 64 == 0) {
		memcpy(db->old_box, old, n);
		db->nold = n / 64;
	}
	sodium_memzero(old, sizeof old);
	db->has_pub = db->has_keys = 1;
	return CDSYNC_OK;
}

/* ==== Writing ========================================================= */

static int
put(sqlite3_stmt *st, cdsync *db, const char *key, const void *p, size_t n)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, p, (int)n, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					       : cds_sqlerr(db, _("keys"));
}

/* Writes the keys in memory to meta: sealed under db->pass if there is
 * one, else in the clear.  Inside the caller's transaction. */
static int
store_keys(cdsync *db)
{
	struct cds_keys k;
	uint8_t salt[16], nonce[24];
	uint64_t ops, mem;
	sqlite3_stmt *st;
	cds_buf b;
	size_t i;
	int rc;

	if ((st = cds_prepare(db, "INSERT OR REPLACE INTO meta (key, value) "
				  "VALUES (?1, ?2)")) == NULL)
		return CDSYNC_ERROR;
	cds_buf_init(&b, 4096);
	if ((rc = put(st, db, "sign_pk", db->sign_pk, 32)) != CDSYNC_OK ||
	    (rc = put(st, db, "box_pk", db->box_pk, 32)) != CDSYNC_OK)
		goto out;
	if (db->pass == NULL) {
		if ((rc = put(st, db, "sign_sk", db->sign_sk, 64)) ==
			    CDSYNC_OK &&
		    (rc = put(st, db, "box_sk", db->box_sk, 32)) == CDSYNC_OK)
			rc = put(st, db, "old_box", db->old_box,
				 db->nold * 64);
		goto out;
	}
	memset(&k, 0, sizeof k);
	memcpy(k.sign_seed, db->sign_sk, 32);	/* the seed half */
	memcpy(k.box_sk, db->box_sk, 32);
	k.nold = db->nold;
	for (i = 0; i < db->nold; i++)
		memcpy(k.old[i], db->old_box[i], 64);
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	cds_keybox_default_cost(&ops, &mem);
	cds_keybox_seal(&b, &k, db->node_id, db->pass, ops, mem, salt, nonce);
	sodium_memzero(&k, sizeof k);
	if (b.rc != 0) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s",
			     _("out of memory while sealing the keys"));
		goto out;
	}
	if ((rc = put(st, db, "keys_sealed", b.p, b.n)) != CDSYNC_OK ||
	    (rc = cds_exec(db, "DELETE FROM meta WHERE key IN ('sign_sk', "
			       "'box_sk', 'old_box')")) != CDSYNC_OK)
		goto out;
	db->keys_sealed = 1;
out:
	sqlite3_finalize(st);
	cds_buf_free(&b);
	return rc;
}

int
cds_keys_make(cdsync *db)
{
	crypto_sign_keypair(db->sign_pk, db->sign_sk);
	crypto_box_keypair(db->box_pk, db->box_sk);
	db->nold = 0;
	db->has_pub = db->has_keys = 1;
	return store_keys(db);
}

int
cds_keys_replace(cdsync *db)
{
	size_t i;

	if (db->nold == CDS_KEYBOX_MAX_OLD) {	/* the oldest goes */
		for (i = 1; i < db->nold; i++)
			memcpy(db->old_box[i - 1], db->old_box[i], 64);
		db->nold--;
	}
	memcpy(db->old_box[db->nold], db->box_pk, 32);
	memcpy(db->old_box[db->nold] + 32, db->box_sk, 32);
	db->nold++;
	crypto_sign_keypair(db->sign_pk, db->sign_sk);
	crypto_box_keypair(db->box_pk, db->box_sk);
	return store_keys(db);
}

/* ==== Unlocking ======================================================= */

static int
remember(cdsync *db, const char *pass)
{
	size_t n = strlen(pass) + 1;

	if (db->pass != NULL)
		sodium_free(db->pass);
	if ((db->pass = sodium_malloc(n)) == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	memcpy(db->pass, pass, n);
	return CDSYNC_OK;
}

static int
open_with(cdsync *db, const char *pass)
{
	uint8_t box[4096], pk[32];
	struct cds_keys k;
	char err[256];
	size_t n = 0, i;
	int rc;

	if ((rc = meta_blob(db, "keys_sealed", box, 0, sizeof box, &n)) <= 0)
		return rc < 0 ? CDSYNC_ERROR
			      : cds_err(db, CDSYNC_ECORRUPT, "%s",
					_("store: the sealed keys are "
					  "missing"));
	rc = cds_keybox_open(box, n, db->node_id, pass, &k, err, sizeof err);
	if (rc == -2)
		return cds_err(db, CDSYNC_ENOMEM, "%s",
			       _("out of memory while opening the keys"));
	if (rc == -3)
		return cds_err(db, CDSYNC_EPASSWORD, "%s",
			       _("the passphrase is wrong: the keys of this "
				 "node stay locked"));
	if (rc != 0)
		return cds_err(db, CDSYNC_ECORRUPT, _("store: %s"), err);
	crypto_sign_seed_keypair(pk, db->sign_sk, k.sign_seed);
	memcpy(db->box_sk, k.box_sk, 32);
	db->nold = k.nold;
	for (i = 0; i < k.nold; i++)
		memcpy(db->old_box[i], k.old[i], 64);
	sodium_memzero(&k, sizeof k);
	if (sodium_memcmp(pk, db->sign_pk, 32) != 0) {
		cds_keys_wipe(db);
		return cds_err(db, CDSYNC_ECORRUPT, "%s",
			       _("store: the sealed keys do not match the "
				 "node's public keys"));
	}
	db->has_keys = 1;
	return remember(db, pass);
}

int
cds_keys_need(cdsync *db)
{
	char buf[1024];
	int rc;

	if (!db->has_node || !db->has_pub)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run 'cdsync "
				 "init' first"));
	if (db->has_keys)
		return CDSYNC_OK;
	if (db->pass_cb == NULL ||
	    db->pass_cb(db->pass_ctx, buf, sizeof buf) != 0) {
		sodium_memzero(buf, sizeof buf);
		return cds_err(db, CDSYNC_ELOCKED, "%s",
			       _("this node's secret keys are locked: its "
				 "passphrase is needed"));
	}
	buf[sizeof buf - 1] = '\0';
	rc = open_with(db, buf);
	sodium_memzero(buf, sizeof buf);
	return rc;
}

const uint8_t *
cds_keys_box_sk(const cdsync *db, const uint8_t pk[32])
{
	size_t i;

	if (!db->has_keys)
		return NULL;
	if (sodium_memcmp(pk, db->box_pk, 32) == 0)
		return db->box_sk;
	for (i = 0; i < db->nold; i++)
		if (sodium_memcmp(pk, db->old_box[i], 32) == 0)
			return db->old_box[i] + 32;
	return NULL;
}

void
cds_keys_wipe(cdsync *db)
{
	sodium_memzero(db->sign_sk, sizeof db->sign_sk);
	sodium_memzero(db->box_sk, sizeof db->box_sk);
	sodium_memzero(db->old_box, sizeof db->old_box);
	if (db->pass != NULL)
		sodium_free(db->pass);
	db->pass = NULL;
	db->has_keys = 0;
}

/* ==== Public ========================================================== */

CDSYNC_API void
cdsync_passphrase_cb(cdsync *db, cdsync_passphrase_fn fn, void *ctx)
{
	db->pass_cb = fn;
	db->pass_ctx = ctx;
}

CDSYNC_API int
cdsync_passphrase_set(cdsync *db, const char *passphrase)
{
	int rc;

	cds_ok(db);
	if (passphrase == NULL || strlen(passphrase) < CDS_PASS_MIN)
		return cds_err(db, CDSYNC_EINVAL,
			       _("the passphrase is too short: at least %d "
				 "characters"),
			       CDS_PASS_MIN);
	if (!db->has_node)
		return remember(db, passphrase);
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		return rc;
	if ((rc = remember(db, passphrase)) != CDSYNC_OK ||
	    (rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		return rc;
	if ((rc = store_keys(db)) != CDSYNC_OK ||
	    (rc = cds_exec(db, "COMMIT")) != CDSYNC_OK) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		/* memory and store disagree now: start again from the
		 * store */
		cds_keys_wipe(db);
		cds_keys_load(db);
		return rc;
	}
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_unlock(cdsync *db, const char *passphrase)
{
	cds_ok(db);
	if (!db->has_node || !db->has_pub)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run 'cdsync "
				 "init' first"));
	if (!db->keys_sealed || db->has_keys)
		return CDSYNC_OK;
	if (passphrase == NULL)
		return cds_keys_need(db);	/* asks the callback */
	return open_with(db, passphrase);
}

CDSYNC_API void
cdsync_lock(cdsync *db)
{
	if (db != NULL && db->keys_sealed)
		cds_keys_wipe(db);
}

CDSYNC_API int
cdsync_keys_sealed(cdsync *db)
{
	if (!db->has_node || !db->has_pub)
		return -1;
	return db->keys_sealed;
}
