/* pair.c -- pairing client devices with their school node (cdsync.h
 * "Pairing client devices"; SPEC.md "Pairing").
 *
 * At the node: pair_code keeps the keys of the codes it showed, until
 * used or expired; pair_client every device it certified.  At the
 * device: meta 'pair_key' holds the key of the code it asked with, until
 * the certificate arrives; then 'paired_node', 'paired_pk', 'paired_box'
 * and 'client_cert' say whom it is paired with.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "catalog.h"
#include "files.h"
#include "i18n.h"
#include "keys.h"
#include "pair.h"
#include "store.h"

static int
need_node(cdsync *db, int client)
{
	if (!db->has_node || !db->has_pub)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run 'cdsync "
				 "init' first"));
	if (client && db->role != CDSYNC_ROLE_CLIENT)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("only a client device asks to pair (made "
				 "with 'cdsync init --role client')"));
	if (!client && db->role == CDSYNC_ROLE_CLIENT)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a client device does not pair others: its "
				 "school node does"));
	return CDSYNC_OK;
}


static int
write_file(cdsync *db, const char *path, const cds_buf *b)
{
	char dir[4096], name[1024];
	int wrote;

	cds_file_split(path, dir, sizeof dir, name, sizeof name);
	cds_file_sweep(dir);
	return cds_file_write(db, dir, name, b->p, b->n, &wrote);
}

/* ==== At the node ===================================================== */

CDSYNC_API int
cdsync_pair_code(cdsync *db, unsigned minutes,
		 char code[CDSYNC_PAIR_CODEBYTES])
{
	sqlite3_stmt *st;
	uint8_t key[32];
	uint64_t now = cds_wall_ms();
	int rc;

	cds_ok(db);
	code[0] = '\0';
	if ((rc = need_node(db, 0)) != CDSYNC_OK)
		return rc;
	if (minutes == 0)
		minutes = 10;
	if (minutes > 1440)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a pairing code lives at most a day (1440 "
				 "minutes)"));
	cds_pair_code_new(code);
	if (cds_pair_code_key(code, key) != 0)	/* cannot happen */
		return cds_err(db, CDSYNC_ERROR, "%s", _("pairing code"));
	st = cds_prepare(db, "INSERT INTO pair_code (key, expires_ms) "
			     "VALUES (?1, ?2)");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, key, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (int64_t)(now + minutes * 60000ull));
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("pairing"));
	sqlite3_finalize(st);
	sodium_memzero(key, sizeof key);
	if (rc != CDSYNC_OK) {
		sodium_memzero(code, CDSYNC_PAIR_CODEBYTES);
		code[0] = '\0';
	}
	return rc;
}

/* The request checked against every live code: 0 with *which (the code's
 * key), -1 layout or signature (err says), -3 no code matches. */
static int
match_code(cdsync *db, const uint8_t *p, size_t n, uint8_t which[32],
	   struct cds_pair_request *q, char *err, size_t errlen)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT key FROM pair_code WHERE "
					   "expires_ms > ?1");
	int rc = -3, r;

	if (st == NULL)
		return -2;
	sqlite3_bind_int64(st, 1, (int64_t)cds_wall_ms());
	while (rc == -3 && sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 32)
			continue;
		memcpy(which, sqlite3_column_blob(st, 0), 32);
		r = cds_pair_request_read(p, n, which, q, err, errlen);
		if (r != -3)
			rc = r;
	}
	sqlite3_finalize(st);
	if (rc == -3) {
		/* the layout and signature, said even with no live code */
		uint8_t none[32] = { 0 };

		r = cds_pair_request_read(p, n, none, q, err, errlen);
		if (r == -1 || r == -2)
			rc = r;
		sodium_memzero(which, 32);
	}
	return rc;
}

static void
info_of(const struct cds_pair_request *q, uint64_t paired,
	cdsync_client_info *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->client, q->client, 16);
	snprintf(out->device, sizeof out->device, "%s", q->device);
	cds_fingerprint(q->sign_pk, q->box_pk, out->fingerprint);
	out->paired_ms = paired;
}

CDSYNC_API int
cdsync_pair_approve(cdsync *db, const char *request_path,
		    const char *cert_path, cdsync_client_info *out)
{
	struct cds_pair_request q;
	struct cds_client_cert c;
	sqlite3_stmt *st = NULL;
	uint8_t *p = NULL, key[32];
	char err[512];
	size_t n = 0;
	cds_buf b, plain;
	int rc;

	cds_ok(db);
	if (out)
		memset(out, 0, sizeof *out);
	cds_buf_init(&b, 4096);
	cds_buf_init(&plain, 4096);
	if ((rc = need_node(db, 0)) != CDSYNC_OK)
		goto out;
	if ((rc = cds_file_read(db, request_path, 4096, _("a pairing request"),
				CDSYNC_EBADINPUT, &p, &n)) != CDSYNC_OK)
		goto out;
	switch (match_code(db, p, n, key, &q, err, sizeof err)) {
	case 0:
		break;
	case -2:
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	case -3:
		rc = cds_err(db, CDSYNC_EBADSIG,
			     _("%s: no live pairing code of this node matches "
			       "it: the code was mistyped, used already or "
			       "has expired; show a new one with 'cdsync pair "
			       "code'"),
			     request_path);
		goto out;
	default:
		rc = cds_err(db, strstr(err, "signature") ? CDSYNC_EBADSIG
							  : CDSYNC_EBADINPUT,
			     "%s: %s", request_path, err);
		goto out;
	}
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		goto out;
	memset(&c, 0, sizeof c);
	memcpy(c.node, db->node_id, 16);
	memcpy(c.node_pk, db->sign_pk, 32);
	memcpy(c.node_box, db->box_pk, 32);
	memcpy(c.client, q.client, 16);
	memcpy(c.sign_pk, q.sign_pk, 32);
	memcpy(c.box_pk, q.box_pk, 32);
	c.issued_ms = cds_wall_ms();
	snprintf(c.device, sizeof c.device, "%s", q.device);
	if ((rc = cds_own_code(db, c.org_code, sizeof c.org_code)) != CDSYNC_OK)
		goto out;
	cds_client_cert_write(&b, &c, db->sign_sk, key);
	cds_client_cert_write(&plain, &c, db->sign_sk, NULL);
	if (b.rc != 0 || plain.rc != 0) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		goto out;
	st = cds_prepare(db, "INSERT OR REPLACE INTO pair_client (client_id, "
			     "sign_pk, box_pk, device, paired_ms, revoked_ms, "
			     "cert) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto fail;
	}
	sqlite3_bind_blob(st, 1, q.client, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, q.sign_pk, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, q.box_pk, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, q.device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)c.issued_ms);
	sqlite3_bind_blob(st, 6, plain.p, (int)plain.n, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = cds_sqlerr(db, _("pairing"));
		goto fail;
	}
	sqlite3_finalize(st);
	/* the code works once */
	st = cds_prepare(db, "DELETE FROM pair_code WHERE key = ?1 OR "
			     "expires_ms <= ?2");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto fail;
	}
	sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)cds_wall_ms());
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = cds_sqlerr(db, _("pairing"));
		goto fail;
	}
	if ((rc = write_file(db, cert_path, &b)) != CDSYNC_OK ||
	    (rc = cds_exec(db, "COMMIT")) != CDSYNC_OK)
		goto fail;
	if (out)
		info_of(&q, c.issued_ms, out);
	goto out;
fail:
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sodium_memzero(key, sizeof key);
	sqlite3_finalize(st);
	cds_buf_free(&b);
	cds_buf_free(&plain);
	cds_free(p);
	return rc;
}

CDSYNC_API int
cdsync_client_check(cdsync *db, const uint8_t client[16],
		    const uint8_t sign_pk[32])
{
	sqlite3_stmt *st;
	char hex[33], day[32];
	int rc;

	cds_ok(db);
	sodium_bin2hex(hex, sizeof hex, client, 16);
	st = cds_prepare(db, "SELECT sign_pk, coalesce(revoked_ms, 0), device "
			     "FROM pair_client WHERE client_id = ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, client, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = cds_err(db, CDSYNC_EUNKNOWNKEY,
			     _("device …%s is not paired with this node: "
			       "pair it with 'cdsync pair code' first"),
			     hex + 24);
	else if (sqlite3_column_bytes(st, 0) != 32 ||
		 sodium_memcmp(sqlite3_column_blob(st, 0), sign_pk, 32) != 0)
		rc = cds_err(db, CDSYNC_EUNKNOWNKEY,
			     _("device …%s speaks with a key this node did "
			       "not certify"),
			     hex + 24);
	else if (sqlite3_column_int64(st, 1) != 0) {
		cds_day_text((uint64_t)sqlite3_column_int64(st, 1), day,
			     sizeof day);
		rc = cds_err(db, CDSYNC_EREVOKED,
			     _("device %s (…%s) was unpaired on %s"),
			     (const char *)sqlite3_column_text(st, 2),
			     hex + 24, day);
	} else
		rc = CDSYNC_OK;
	sqlite3_finalize(st);
	return rc;
}

CDSYNC_API int
cdsync_client_at(cdsync *db, size_t i, cdsync_client_info *out)
{
	sqlite3_stmt *st;
	int rc = CDSYNC_ENOTFOUND;

	cds_ok(db);
	memset(out, 0, sizeof *out);
	st = cds_prepare(db, "SELECT client_id, sign_pk, box_pk, device, "
			     "paired_ms, coalesce(revoked_ms, 0) FROM "
			     "pair_client ORDER BY paired_ms, client_id "
			     "LIMIT 1 OFFSET ?1");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_int64(st, 1, (int64_t)i);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 16 &&
	    sqlite3_column_bytes(st, 1) == 32 &&
	    sqlite3_column_bytes(st, 2) == 32) {
		memcpy(out->client, sqlite3_column_blob(st, 0), 16);
		cds_fingerprint(sqlite3_column_blob(st, 1),
				sqlite3_column_blob(st, 2), out->fingerprint);
		snprintf(out->device, sizeof out->device, "%s",
			 (const char *)sqlite3_column_text(st, 3));
		out->paired_ms = (uint64_t)sqlite3_column_int64(st, 4);
		out->revoked_ms = (uint64_t)sqlite3_column_int64(st, 5);
		rc = CDSYNC_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

CDSYNC_API int
cdsync_client_revoke(cdsync *db, const char *ref)
{
	/* by name, or by the end of the id in hex (8 digits or more) */
	static const char where[] =
		" FROM pair_client WHERE revoked_ms IS NULL AND (device = ?1 "
		"OR (length(?1) >= 8 AND lower(hex(client_id)) LIKE '%' || "
		"lower(?1)))";
	char sql[512];
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	cds_ok(db);
	if ((rc = need_node(db, 0)) != CDSYNC_OK)
		return rc;
	if (ref == NULL)
		ref = "";
	snprintf(sql, sizeof sql, "SELECT count(*)%s", where);
	if ((st = cds_prepare(db, sql)) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (n == 0)
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("no paired device is called or numbered %s"),
			       ref);
	if (n > 1)
		return cds_err(db, CDSYNC_EAMBIGUOUS,
			       _("%lld paired devices are called or numbered "
				 "%s: give more digits of the one to unpair"),
			       (long long)n, ref);
	snprintf(sql, sizeof sql, "UPDATE pair_client SET revoked_ms = ?2 "
				  "WHERE client_id IN (SELECT client_id%s)",
		 where);
	if ((st = cds_prepare(db, sql)) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)cds_wall_ms());
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("pairing"));
	sqlite3_finalize(st);
	return rc;
}

/* ==== At the device =================================================== */

CDSYNC_API int
cdsync_pair_request(cdsync *db, const char *code, const char *device,
		    const char *path)
{
	struct cds_pair_request q;
	uint8_t key[32];
	cds_buf b;
	int rc;

	cds_ok(db);
	if ((rc = need_node(db, 1)) != CDSYNC_OK)
		return rc;
	if (code == NULL || cds_pair_code_key(code, key) != 0)
		return cds_err(db, CDSYNC_EINVAL,
			       _("'%s' is not a pairing code: it has 12 "
				 "letters and digits, like K7QM-3XRT-9PWA"),
			       code ? code : "");
	if (device == NULL || device[0] == '\0' ||
	    strlen(device) > CDS_TRUST_STR_MAX) {
		sodium_memzero(key, sizeof key);
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("the device needs a name of 1 to 255 bytes, "
				 "for the node's list"));
	}
	if ((rc = cds_keys_need(db)) != CDSYNC_OK) {
		sodium_memzero(key, sizeof key);
		return rc;
	}
	memset(&q, 0, sizeof q);
	memcpy(q.client, db->node_id, 16);
	memcpy(q.sign_pk, db->sign_pk, 32);
	memcpy(q.box_pk, db->box_pk, 32);
	q.created_ms = cds_wall_ms();
	snprintf(q.device, sizeof q.device, "%s", device);
	cds_buf_init(&b, 4096);
	cds_pair_request_write(&b, &q, db->sign_sk, key);
	if (b.rc != 0)
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	else if ((rc = cds_meta_put(db, "pair_key", key, 32)) == CDSYNC_OK)
		rc = write_file(db, path, &b);
	sodium_memzero(key, sizeof key);
	cds_buf_free(&b);
	return rc;
}

CDSYNC_API int
cdsync_pair_finish(cdsync *db, const char *cert_path)
{
	char own[CDS_TRUST_STR_MAX + 1], err[512];
	struct cds_client_cert c;
	uint8_t *p = NULL, key[32];
	size_t n = 0;
	int rc, r;

	cds_ok(db);
	if ((rc = need_node(db, 1)) != CDSYNC_OK)
		return rc;
	if ((r = cds_meta_get(db, "pair_key", key, 32)) <= 0)
		return r < 0 ? CDSYNC_ERROR
			     : cds_err(db, CDSYNC_EINVAL, "%s",
				       _("this device has not asked to pair: "
					 "run 'cdsync pair request' first"));
	if ((rc = cds_file_read(db, cert_path, 4096, _("a client certificate"),
				CDSYNC_EBADINPUT, &p, &n)) != CDSYNC_OK)
		goto out;
	r = cds_client_cert_read(p, n, key, &c, err, sizeof err);
	if (r == -2) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	if (r != 0) {
		rc = cds_err(db, r == -3 || strstr(err, "signature")
				 ? CDSYNC_EBADSIG : CDSYNC_EBADINPUT,
			     r == -3 ? _("%s: it does not carry the pairing "
					 "code this device asked with")
				     : "%s: %s",
			     cert_path, err);
		goto out;
	}
	if (memcmp(c.client, db->node_id, 16) != 0 ||
	    sodium_memcmp(c.sign_pk, db->sign_pk, 32) != 0) {
		rc = cds_err(db, CDSYNC_EINVAL,
			     _("%s: it certifies another device"), cert_path);
		goto out;
	}
	if ((rc = cds_own_code(db, own, sizeof own)) != CDSYNC_OK)
		goto out;
	if (strcmp(own, c.org_code) != 0) {
		rc = cds_err(db, CDSYNC_ESCOPE,
			     _("%s: the node that signed it speaks for %s, "
			       "but this device records for %s"),
			     cert_path, c.org_code, own);
		goto out;
	}
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		goto out;
	if ((rc = cds_meta_put(db, "paired_node", c.node, 16)) != CDSYNC_OK ||
	    (rc = cds_meta_put(db, "paired_pk", c.node_pk, 32)) != CDSYNC_OK ||
	    (rc = cds_meta_put(db, "paired_box", c.node_box, 32)) != CDSYNC_OK ||
	    (rc = cds_meta_put(db, "client_cert", p, n - CDS_PAIR_MAC)) !=
		    CDSYNC_OK ||
	    (rc = cds_exec(db, "DELETE FROM meta WHERE key = 'pair_key'")) !=
		    CDSYNC_OK ||
	    (rc = cds_exec(db, "COMMIT")) != CDSYNC_OK)
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sodium_memzero(key, sizeof key);
	cds_free(p);
	return rc;
}

CDSYNC_API int
cdsync_paired_node(cdsync *db, uint8_t node[16], char fpr[20])
{
	uint8_t pk[32], box[32];
	int a, b, c;

	cds_ok(db);
	memset(node, 0, 16);
	fpr[0] = '\0';
	a = cds_meta_get(db, "paired_node", node, 16);
	b = cds_meta_get(db, "paired_pk", pk, 32);
	c = cds_meta_get(db, "paired_box", box, 32);
	if (a < 0 || b < 0 || c < 0)
		return CDSYNC_ERROR;
	if (!a || !b || !c)
		return cds_err(db, CDSYNC_ENOTFOUND, "%s",
			       _("this device is not paired with a node yet"));
	cds_fingerprint(pk, box, fpr);
	return CDSYNC_OK;
}
