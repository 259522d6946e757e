/* store.c -- opening a store, its migrations, its identity, transactions
 * and error messages.  See store.h and cdsync.h "Stores".
 *
 * Migrations: schema/NNNN_*.sql are embedded in order; PRAGMA user_version
 * counts how many a store has.  Opening runs the missing ones, with their
 * C steps (a store from before the sync tables gets its rows captured as
 * changes), and sets user_version, all in one transaction: an upgrade
 * happens whole or not at all.  A store with a higher user_version than
 * this program knows is refused before anything is written to it (not
 * even the journal mode).
 */
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "alloc.h"
#include "i18n.h"
#include "id.h"
#include "keys.h"
#include "kinds.h"
#include "merge.h"
#include "trust.h"
#include "write.h"

struct cds_embedded {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct cds_embedded cds_migrations[];

/* ==== Messages ======================================================== */

int
cds_err(cdsync *db, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->msg, sizeof db->msg, fmt, ap);
	va_end(ap);
	return code;
}

/* Puts `prefix: ` before the current message (the message is copied
 * first: vsnprintf may not read what it writes). */
static int
prefixed(cdsync *db, int code, const char *prefix)
{
	char old[CDS_MSGLEN];

	memcpy(old, db->msg, sizeof old);
	return cds_err(db, code, "%s: %s", prefix, old);
}

void
cds_ok(cdsync *db)
{
	db->msg[0] = '\0';
}

/* Messages of SQLite and of schema/ triggers that reach users through
 * cds_sqlerr(); listed so that xgettext extracts them (po/vi.po). */
static const char *const sqlite_msgids[] __attribute__((unused)) = {
	N_("benefit: member is not in the union of the activity"),
	N_("council_seat: member is not in this union"),
	N_("disk I/O error"),
	N_("database or disk is full"),
	N_("unable to open database file"),
	N_("attempt to write a readonly database"),
	N_("FOREIGN KEY constraint failed"),
	N_("constraint failed"),
	N_("interrupted"),
	N_("query aborted"),
	N_("string or blob too big"),
	N_("access permission denied"),
};

int
cds_sqlerr(cdsync *db, const char *what)
{
	int ext = sqlite3_extended_errcode(db->db);
	const char *m = sqlite3_errmsg(db->db);
	int code = cds_sqlcode(db);

	switch (ext & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		m = _("the store is in use by another program; try again");
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		m = _("the store file is damaged or is not a cdsync store");
		break;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
		/* say what the disk said: a full one is for the user to
		 * fix, a failing one for whoever looks after the machine */
		switch (sqlite3_system_errno(db->db)) {
		case ENOSPC:
		case EDQUOT:
			m = _("the disk is full: free some space and try "
			      "again; the store is unchanged");
			break;
		case EIO:
			m = _("the disk failed to read or write (EIO): the "
			      "store is unchanged; check the disk and try "
			      "again");
			break;
		default:
			if ((ext & 0xff) == SQLITE_FULL)
				m = _("the disk is full: free some space and "
				      "try again; the store is unchanged");
		}
		break;
	default:
		break;
	}
	/* Trigger messages are ours and carry their own subject; SQLite's
	 * words for the rest are shown after ours, translated where we have
	 * them (po/vi.po has the common ones). */
	if (ext == SQLITE_CONSTRAINT_TRIGGER)
		return cds_err(db, code, "%s", _(m));
	return cds_err(db, code, "%s: %s", what, _(m));
}

CDSYNC_API const char *
cdsync_errmsg(const cdsync *db)
{
	return db ? db->msg : _("out of memory");
}

CDSYNC_API const char *
cdsync_strerror(int code)
{
	switch (code) {
	case CDSYNC_OK: return _("success");
	case CDSYNC_ERROR: return _("failed");
	case CDSYNC_ENOMEM: return _("out of memory");
	case CDSYNC_EINVAL: return _("invalid value");
	case CDSYNC_ENOTFOUND: return _("not found");
	case CDSYNC_EEXIST: return _("already exists");
	case CDSYNC_ECONSTRAINT: return _("breaks a rule of the data");
	case CDSYNC_EIO: return _("input/output error");
	case CDSYNC_ETOONEW: return _("made by a newer version of cdsync");
	case CDSYNC_ECORRUPT: return _("damaged data");
	case CDSYNC_EBUSY: return _("in use by another program");
	case CDSYNC_ENOTINIT: return _("node not set up");
	case CDSYNC_EAMBIGUOUS: return _("ambiguous reference");
	case CDSYNC_EBADINPUT: return _("input file has bad lines");
	case CDSYNC_EREFERENCED: return _("still in use by other records");
	case CDSYNC_EREADONLY: return _("read-only");
	case CDSYNC_EBADBUNDLE: return _("malformed or damaged bundle");
	case CDSYNC_EUNKNOWNKEY: return _("signed by an unknown key");
	case CDSYNC_EBADSIG: return _("signature does not verify");
	case CDSYNC_ENOTRECIPIENT: return _("not addressed to this node");
	case CDSYNC_EDECRYPT: return _("content does not decrypt");
	case CDSYNC_EGAP: return _("held until an earlier bundle arrives");
	case CDSYNC_EREPLAY: return _("already merged");
	case CDSYNC_EFORK: return _("two different bundles with one number");
	case CDSYNC_EFROZEN: return _("sender frozen");
	case CDSYNC_EREVOKED: return _("key revoked or no longer valid");
	case CDSYNC_EROLLBACK: return _("older than what this node has");
	case CDSYNC_ESCOPE: return _("outside what the signer may speak for");
	case CDSYNC_ELOCKED: return _("secret keys locked: a passphrase is needed");
	case CDSYNC_EPASSWORD: return _("the passphrase is wrong");
	case CDSYNC_EUNREACHABLE: return _("the other node does not answer");
	case CDSYNC_DONE: return _("no more rows");
	}
	return _("unknown error");
}

CDSYNC_API size_t
cdsync_idbytes(void)
{
	return CDSYNC_IDBYTES;
}

/* ==== Helpers ========================================================= */

int
cds_exec(cdsync *db, const char *sql)
{
	if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return cds_sqlerr(db, _("store"));
	return CDSYNC_OK;
}

sqlite3_stmt *
cds_prepare(cdsync *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK) {
		cds_sqlerr(db, _("store"));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

uint64_t (*cds_wall_hook)(void);

uint64_t
cds_wall_ms(void)
{
	struct timespec ts;

	if (cds_wall_hook != NULL)
		return cds_wall_hook();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
cds_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void
cds_day_text(uint64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, n, "%d/%m/%Y %H:%M", &tm);
}

static int
uservers(cdsync *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL)
	    != SQLITE_OK)
		return cds_sqlerr(db, _("store"));
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return cds_sqlerr(db, _("store"));
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_schema_latest(void)
{
	int n = 0;

	while (cds_migrations[n].name != NULL)
		n++;
	return n;
}

CDSYNC_API int
cdsync_schema_version(cdsync *db)
{
	int v = 0;

	return uservers(db, &v) == CDSYNC_OK ? v : -1;
}

/* ==== Identity ======================================================== */

/* Reads meta and sync_node into db; no identity is not an error. */
static int
load_identity(cdsync *db)
{
	sqlite3_stmt *st;
	const void *p;
	int rc = CDSYNC_OK, found = 0;

	db->has_node = 0;
	st = cds_prepare(db, "SELECT key, value FROM meta");
	if (st == NULL)
		return cds_sqlcode(db);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		if (k == NULL)
			continue;
		p = sqlite3_column_blob(st, 1);
		if (strcmp(k, "node_id") == 0 && p &&
		    sqlite3_column_bytes(st, 1) == 16) {
			memcpy(db->node_id, p, 16);
			found |= 1;
		} else if (strcmp(k, "org_id") == 0 && p &&
			   sqlite3_column_bytes(st, 1) == 16) {
			memcpy(db->org_id, p, 16);
			found |= 2;
		} else if (strcmp(k, "role") == 0) {
			db->role = (cdsync_role)sqlite3_column_int(st, 1);
			found |= 4;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cds_sqlerr(db, _("store"));
	if ((found & 7) != 7)
		return CDSYNC_OK;
	db->has_node = 1;
	db->local_node = 1;
	return cds_keys_load(db);
}

/* The clock starts past every value this node has made or seen. */
static int
load_clock(cdsync *db)
{
	sqlite3_stmt *st;
	uint64_t h = 0;

	st = cds_prepare(db,
			 "SELECT max(coalesce((SELECT value FROM sync_state "
			 "WHERE key = 'hlc'), 0), coalesce((SELECT hlc FROM "
			 "sync_change ORDER BY seq DESC LIMIT 1), 0))");
	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) == SQLITE_ROW)
		h = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	db->clock.last = h;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_node_init(cdsync *db, cdsync_role role, const char *org_code,
		 const char *org_name, const char *parent_code)
{
	/* a client device records for its school's union */
	static const char *const lv[] = { "", "grassroots", "upper",
					  "national", "grassroots", "upper" };
	cdsync_rec *org = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	cds_ok(db);
	if (db->has_node)
		return cds_err(db, CDSYNC_EEXIST, "%s",
			       _("this store already belongs to a node"));
	if (role < CDSYNC_ROLE_SCHOOL || role > CDSYNC_ROLE_AUDITOR)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("role must be school, hub, national, client or "
				 "auditor"));
	if (org_code == NULL || org_name == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a node needs an org code and an org name"));
	if ((rc = cdsync_rec_new(CDSYNC_KIND_ORG, &org)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", _("out of memory"));
	if ((rc = cdsync_rec_set(org, "code", org_code)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set(org, "name", org_name)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set(org, "level", lv[role])) != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s", cdsync_rec_errmsg(org));
		goto out;
	}
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		goto out;
	cds_id_new(db->node_id);
	st = cds_prepare(db,
			 "INSERT INTO meta (key, value) VALUES ('node_id', ?1),"
			 " ('role', ?2), ('parent_code', ?3)");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto fail;
	}
	sqlite3_bind_blob(st, 1, db->node_id, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)role);
	if (parent_code)
		sqlite3_bind_text(st, 3, parent_code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = cds_sqlerr(db, _("node"));
		goto fail;
	}
	if ((rc = cds_exec(db, "INSERT INTO sync_node (idx, node_id) "
			       "SELECT 1, value FROM meta WHERE key = "
			       "'node_id'")) != CDSYNC_OK)
		goto fail;
	db->has_node = 1;
	db->role = role;
	db->local_node = 1;
	if ((rc = cds_keys_make(db)) != CDSYNC_OK)
		goto fail;
	/* The org unit is this node's first captured row; meta points at
	 * it.  Its id is derived from its code (SPEC.md "Row ids"), so
	 * every node that knows the code knows the id. */
	{
		uint8_t oid[16];

		if (cdsync_rec_get(org, "code") == NULL) {
			rc = cds_err(db, CDSYNC_EINVAL, "%s",
				     _("union: Code (code) is required"));
			goto fail;
		}
		cds_id_name("cdsync.org.v1", cdsync_rec_get(org, "code"), oid);
		if ((rc = cdsync_rec_set_id(org, oid)) != CDSYNC_OK)
			goto fail;
	}
	if ((rc = cds_write_insert(db, org, 1)) != CDSYNC_OK)
		goto fail;
	/* A device does not speak for its union's own row: it shows this
	 * one until the school node's row arrives with the first sync,
	 * which replaces it; so it keeps no change of it to send. */
	if ((role == CDSYNC_ROLE_CLIENT || role == CDSYNC_ROLE_AUDITOR) &&
	    (rc = cds_exec(db, "DELETE FROM sync_change WHERE node = 1")) !=
		    CDSYNC_OK)
		goto fail;
	memcpy(db->org_id, cdsync_rec_id(org), 16);
	sqlite3_finalize(st);
	st = cds_prepare(db, "INSERT INTO meta (key, value) "
			     "VALUES ('org_id', ?1)");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto fail;
	}
	sqlite3_bind_blob(st, 1, db->org_id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = cds_sqlerr(db, _("node"));
		goto fail;
	}
	/* the national hub is the root of trust from its first moment */
	if (role == CDSYNC_ROLE_NATIONAL && (rc = cds_trust_root(db)) != 0)
		goto fail;
	if ((rc = cds_exec(db, "COMMIT")) != CDSYNC_OK)
		goto fail;
	goto out;
fail:
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	db->has_node = 0;
	cds_keys_wipe(db);
	db->has_pub = 0;
out:
	sqlite3_finalize(st);
	cdsync_rec_free(org);
	return rc;
}

CDSYNC_API int
cdsync_node_role(cdsync *db, cdsync_role *role)
{
	*role = 0;
	if (!db->has_node)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run "
				 "'cdsync init' first"));
	*role = db->role;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_node_org(cdsync *db, uint8_t out[16])
{
	memset(out, 0, 16);
	if (!db->has_node)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run "
				 "'cdsync init' first"));
	memcpy(out, db->org_id, 16);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_node_id(cdsync *db, uint8_t out[16])
{
	memset(out, 0, 16);
	if (!db->has_node)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run "
				 "'cdsync init' first"));
	memcpy(out, db->node_id, 16);
	return CDSYNC_OK;
}

/* ==== Migrations ====================================================== */

/* After 0002 (the sync tables): a store that already had a node gets it
 * in sync_node and every existing row captured as one change, so nothing
 * recorded before sync existed is left out of sync. */
static int
after_sync_tables(cdsync *db)
{
	size_t i;
	int rc;

	if ((rc = load_identity(db)) != CDSYNC_OK)
		return rc;
	if (!db->has_node)
		return CDSYNC_OK;
	if ((rc = cds_exec(db, "INSERT INTO sync_node (idx, node_id) "
			       "SELECT 1, value FROM meta WHERE key = "
			       "'node_id'")) != CDSYNC_OK)
		return rc;
	if ((rc = load_clock(db)) != CDSYNC_OK)
		return rc;
	for (i = 0; i < CDSYNC_KIND_MAX; i++)
		if ((rc = cds_write_backfill(db, cds_kind_order[i])) !=
		    CDSYNC_OK)
			return rc;
	return CDSYNC_OK;
}

static int
migrate(cdsync *db, int from, int to)
{
	char *sql = NULL;
	char pragma[64];
	int v, rc;

	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		return rc;
	/* Someone else may have upgraded it meanwhile. */
	if ((rc = uservers(db, &from)) != CDSYNC_OK)
		goto fail;
	for (v = from; v < to; v++) {
		sql = cds_strndup((const char *)cds_migrations[v].data,
				  cds_migrations[v].len);
		if (sql == NULL) {
			rc = cds_err(db, CDSYNC_ENOMEM, "%s",
				     _("out of memory"));
			goto fail;
		}
		if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			rc = cds_sqlerr(db, cds_migrations[v].name);
			goto fail;
		}
		cds_free(sql);
		sql = NULL;
	}
	/* The C steps run on the newest schema, the one the code writes:
	 * a store from before the change log gets its rows captured (0002),
	 * a node from before bundles gets its keys (0003). */
	if (from < 2 && (rc = after_sync_tables(db)) != CDSYNC_OK)
		goto fail;
	if (from < 3 && (rc = load_identity(db)) == CDSYNC_OK &&
	    db->has_node && !db->has_keys)
		rc = cds_keys_make(db);
	if (rc != CDSYNC_OK)
		goto fail;
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", to);
	if ((rc = cds_exec(db, pragma)) != CDSYNC_OK ||
	    (rc = cds_exec(db, "COMMIT")) != CDSYNC_OK)
		goto fail;
	return CDSYNC_OK;
fail:
	cds_free(sql);
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* ==== Open and close ================================================== */

CDSYNC_API int
cdsync_open(const char *path, unsigned flags, cdsync **out)
{
	struct stat sb;
	cdsync *db;
	int v = 0, latest, rc, oflags;

	*out = NULL;
	if ((db = cds_calloc(1, sizeof *db)) == NULL)
		return CDSYNC_ENOMEM;
	*out = db;
	db->flags = flags;
	/* keys, random ids and sealed memory all need libsodium started
	 * (idempotent, thread-safe) */
	if (sodium_init() < 0)
		return cds_err(db, CDSYNC_ERROR, "%s",
			       _("libsodium cannot start"));
	latest = cdsync_schema_latest();
	if (!(flags & CDSYNC_OPEN_CREATE) && stat(path, &sb) != 0)
		return cds_err(db, CDSYNC_ENOTFOUND, _("no store at %s: %s"),
			       path, strerror(errno));
	oflags = (flags & CDSYNC_OPEN_READONLY) ? SQLITE_OPEN_READONLY
		 : SQLITE_OPEN_READWRITE |
		   ((flags & CDSYNC_OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db->db, oflags | SQLITE_OPEN_NOMUTEX, NULL)
	    != SQLITE_OK) {
		rc = db->db ? cds_sqlerr(db, path)
			    : cds_err(db, CDSYNC_ENOMEM, "%s",
				      _("out of memory"));
		return rc;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, 5000);
	if ((rc = uservers(db, &v)) != CDSYNC_OK) {
		/* Not a database at all: say where. */
		return prefixed(db, rc, path);
	}
	if (v > latest)
		return cds_err(db, CDSYNC_ETOONEW,
			       _("%s: the store has schema version %d, newer "
				 "than this program knows (%d); install a "
				 "newer cdsync. The store was not changed."),
			       path, v, latest);
	if (!(flags & CDSYNC_OPEN_READONLY)) {
		/* Durability: a commit is on disk before it returns (WAL,
		 * synchronous=FULL).  See docs/storage.md. */
		if ((rc = cds_exec(db, "PRAGMA journal_mode = WAL")) ||
		    (rc = cds_exec(db, "PRAGMA synchronous = FULL")))
			return prefixed(db, rc, path);
	} else if (v < latest) {
		return cds_err(db, CDSYNC_EREADONLY,
			       _("%s: the store must be upgraded (version %d "
				 "to %d); open it once without read-only"),
			       path, v, latest);
	}
	if ((rc = cds_exec(db, "PRAGMA foreign_keys = ON")) != CDSYNC_OK)
		return rc;
	if (v < latest && (rc = migrate(db, v, latest)) != CDSYNC_OK) {
		char old[CDS_MSGLEN];

		memcpy(old, db->msg, sizeof old);
		return cds_err(db, rc, _("%s: upgrading the store failed, "
					 "nothing was changed: %s"),
			       path, old);
	}
	if ((rc = load_identity(db)) != CDSYNC_OK ||
	    (rc = load_clock(db)) != CDSYNC_OK)
		return rc;
	cds_ok(db);
	return CDSYNC_OK;
}

int
cds_stamp(cdsync *db, int64_t stamp[2])
{
	sqlite3_stmt *st = cds_prepare(db, "PRAGMA data_version");
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		stamp[0] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	stamp[1] = sqlite3_total_changes64(db->db);
	return rc == SQLITE_ROW ? CDSYNC_OK : cds_sqlerr(db, _("store"));
}

CDSYNC_API void
cdsync_close(cdsync *db)
{
	if (db == NULL)
		return;
	cds_write_end(db);
	cds_merge_end(db);
	cds_catcache_free(db);
	cds_peercache_free(db);
	cds_keys_wipe(db);
	if (db->db) {
		if (db->txdepth)
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(db->db);
	}
	cds_free(db);
}

/* ==== Transactions ==================================================== */

CDSYNC_API int
cdsync_begin(cdsync *db)
{
	int rc;

	cds_ok(db);
	if (db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a transaction is already open"));
	if ((rc = cds_exec(db, "BEGIN IMMEDIATE")) != CDSYNC_OK)
		return rc;
	db->txdepth = 1;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_commit(cdsync *db)
{
	int rc;

	cds_ok(db);
	if (!db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("no transaction is open"));
	cds_write_idle(db);
	if ((rc = cds_exec(db, "COMMIT")) != CDSYNC_OK)
		return rc;
	db->txdepth = 0;
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_rollback(cdsync *db)
{
	if (!db->txdepth)
		return CDSYNC_OK;
	db->txdepth = 0;
	cds_write_idle(db);
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	/* The clock may have moved past values now rolled back; that is
	 * harmless (it only ever moves forward). */
	return CDSYNC_OK;
}

int
cds_meta_put(cdsync *db, const char *key, const void *p, size_t n)
{
	sqlite3_stmt *st = cds_prepare(db, "INSERT OR REPLACE INTO meta (key, "
					   "value) VALUES (?1, ?2)");
	int rc;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? CDSYNC_OK
					      : cds_sqlerr(db, _("node"));
	sqlite3_finalize(st);
	return rc;
}

int
cds_meta_get(cdsync *db, const char *key, void *out, size_t n)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT value FROM meta WHERE "
					   "key = ?1");
	int found = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == (int)n) {
		memcpy(out, sqlite3_column_blob(st, 0), n);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int
cds_own_code(cdsync *db, char *code, size_t n)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT code FROM org_unit WHERE "
					   "id = ?1");
	int found = 0;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, db->org_id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(code, n, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found ? CDSYNC_OK
		     : cds_err(db, CDSYNC_ENOTFOUND, "%s",
			       _("this node's own union is missing"));
}

int
cds_need_node(cdsync *db)
{
	if (db->has_node && db->has_pub)
		return CDSYNC_OK;
	return cds_err(db, CDSYNC_ENOTINIT, "%s",
		       _("this store has no node yet: run 'cdsync init' "
			 "first"));
}
