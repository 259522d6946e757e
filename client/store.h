/* store.h -- the inside of a cdsync handle, shared by the client modules.
 *
 * struct cdsync owns the SQLite connection, the prepared statements the
 * write path reuses, the node's identity and clock, and the message of the
 * last error.  Every public function that fails calls cds_err() so that
 * cdsync_errmsg() says what and where; cds_err() returns its code so a
 * caller can write `return cds_err(db, CDSYNC_EINVAL, ...)`.
 */
#ifndef CDS_STORE_H
#define CDS_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "cdsync/cdsync.h"
#include "hlc.h"

#define CDS_MSGLEN 1024

struct cds_stmts;			/* write.c's statement cache */
struct cds_mstmts;			/* merge.c's statement cache */
struct cds_catcache;			/* trust.c's verified catalog */
struct cds_peercache;			/* sync.c's list of peers */

struct cdsync {
	sqlite3 *db;			/* the connection */
	unsigned flags;			/* CDSYNC_OPEN_* */
	int has_node;			/* identity present (meta.node_id) */
	cdsync_role role;		/* this node's role */
	uint8_t node_id[16];		/* this node's id */
	uint8_t org_id[16];		/* this node's org unit */
	int64_t local_node;		/* sync_node.idx of this node */
	cds_hlc clock;			/* hybrid logical clock */
	int txdepth;			/* cdsync_begin nesting (0 or 1) */
	struct cds_stmts *st;		/* cached statements (write.c) */
	struct cds_mstmts *mst;		/* cached statements (merge.c) */
	struct cds_catcache *catcache;	/* cdsync_catalog_at's (trust.c) */
	struct cds_peercache *peercache; /* cdsync_peer_at's (sync.c) */
	int has_pub;			/* public keys below are known */
	int has_keys;			/* secret keys below are loaded */
	int keys_sealed;		/* at rest under a passphrase (keys.c) */
	uint8_t sign_pk[32];		/* Ed25519 public key */
	uint8_t sign_sk[64];		/* Ed25519 secret key (holds pk) */
	uint8_t box_pk[32];		/* X25519 public key */
	uint8_t box_sk[32];		/* X25519 secret key */
	size_t nold;			/* earlier X25519 pairs (rotations) */
	uint8_t old_box[16][64];	/* their pk then sk */
	char *pass;			/* the passphrase (sodium_malloc'd),
					 * to seal new keys; else NULL */
	cdsync_passphrase_fn pass_cb;	/* asks for it when needed */
	void *pass_ctx;			/* for pass_cb */
	char msg[CDS_MSGLEN];		/* last error message */
};

/* Sets db's message from a printf format (translate the format with _()
 * before) and returns code. */
int cds_err(cdsync *db, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Maps the last SQLite error on db->db to a code and message, prefixed
 * with `what` ("member"...).  Returns the code. */
int cds_sqlerr(cdsync *db, const char *what);
/* The code of SQLite's last error on db (CDSYNC_ENOMEM, _EBUSY, _EIO,
 * ...; CDSYNC_ERROR for the rest, never CDSYNC_OK), the message left as
 * it is: after cds_prepare, which has said what failed.  Defined below,
 * after struct cdsync. */
static inline int cds_sqlcode(cdsync *db);
/* Clears the message (called at the start of every public function). */
void cds_ok(cdsync *db);

/* Runs SQL with no result rows; returns a code (message set on error). */
int cds_exec(cdsync *db, const char *sql);
/* Prepares a statement or sets the message; NULL on failure. */
sqlite3_stmt *cds_prepare(cdsync *db, const char *sql);

/* meta: sets key to the n bytes at p (a code); reads a value of exactly
 * n bytes into out (1 found, 0 not, -1 error). */
int cds_meta_put(cdsync *db, const char *key, const void *p, size_t n);
int cds_meta_get(cdsync *db, const char *key, void *out, size_t n);

/* What a cache of the store's rows is checked against: PRAGMA
 * data_version (writes by other connections) and total changes (writes
 * through this one).  The same stamp, the same rows. */
int cds_stamp(cdsync *db, int64_t stamp[2]);

/* CDSYNC_OK when the store has a node (its id and public keys), else
 * CDSYNC_ENOTINIT with a message saying to run 'cdsync init'. */
int cds_need_node(cdsync *db);

/* This node's org code into code[n]; CDSYNC_ENOTFOUND (with a message)
 * when its union's row is missing. */
int cds_own_code(cdsync *db, char *code, size_t n);

/* Savepoints around one public write, so a failure undoes all of it
 * while an outer cdsync_begin() transaction stays open. */
int cds_save(cdsync *db);
int cds_release(cdsync *db);
void cds_undo(cdsync *db);

/* sync.c: the changes of the bundle b[0..n) (named path in messages) for
 * a node it is encrypted to -- its header read and its signature checked
 * (not against the catalog), then opened with this node's keys: into *pl
 * (free with cds_payload_free).  CDSYNC_ENOTRECIPIENT, CDSYNC_EBADBUNDLE,
 * CDSYNC_EBADSIG, CDSYNC_EDECRYPT, CDSYNC_ENOMEM. */
struct cds_bundle_head;
struct cds_payload;
int cds_bundle_decode(cdsync *db, const char *path, const uint8_t *b,
		      size_t n, struct cds_bundle_head *h,
		      struct cds_payload *pl);

/* Frees what cdsync_peer_at keeps between calls (cdsync_close). */
void cds_peercache_free(cdsync *db);

/* Milliseconds since the Unix epoch, from the system clock, or from
 * cds_wall_hook when a test sets it. */
uint64_t cds_wall_ms(void);
extern uint64_t (*cds_wall_hook)(void);
/* Today's date as "YYYY-MM-DD" in local time. */
void cds_today(char out[11]);
/* A moment (ms since the epoch) as local "dd/mm/yyyy HH:MM". */
void cds_day_text(uint64_t ms, char *out, size_t n);

static inline int
cds_sqlcode(cdsync *db)
{
	switch (sqlite3_extended_errcode(db->db) & 0xff) {
	case SQLITE_NOMEM:
		return CDSYNC_ENOMEM;
	case SQLITE_CONSTRAINT:
		return CDSYNC_ECONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return CDSYNC_EBUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return CDSYNC_ECORRUPT;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
		return CDSYNC_EIO;
	case SQLITE_READONLY:
		return CDSYNC_EREADONLY;
	default:
		return CDSYNC_ERROR;
	}
}

#endif
