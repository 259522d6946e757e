/*
 * cdsync.h -- libcdsync, the offline-first store of a cdsync node.
 *
 * A store is one SQLite file holding a union's records (DOMAIN.md) and the
 * change log that sync carries.  Every write made through this API is
 * captured, in the same transaction, as column-level changes (table, row
 * id, column, value, hybrid logical clock, origin node); a write that fails
 * leaves neither row nor change.
 *
 * Conventions
 *  - Functions return an int code from enum cdsync_code: CDSYNC_OK (0) on
 *    success.  On failure, out-parameters hold NULL/0 and
 *    cdsync_errmsg(db) (or cdsync_rec_errmsg(rec)) says what and where, in
 *    the language chosen by the caller's locale (gettext domain "cdsync").
 *  - Handles are opaque.  Every _new/_open has its _free/_close; passing
 *    NULL to those is a no-op.  Memory returned by the library is freed by
 *    the library, never with free().
 *  - A handle is used by one thread at a time.
 *  - Codes are frozen: they travel in files and on the wire.  A number is
 *    never reused.
 */
#ifndef CDSYNC_H
#define CDSYNC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CDSYNC_API __attribute__((visibility("default")))
#define CDSYNC_CHECK __attribute__((warn_unused_result))
#else
#define CDSYNC_API
#define CDSYNC_CHECK
#endif

enum cdsync_code {
	CDSYNC_OK = 0,		/* success */
	CDSYNC_ERROR = 1,	/* failure not covered below */
	CDSYNC_ENOMEM = 2,	/* out of memory */
	CDSYNC_EINVAL = 3,	/* a value or argument is not valid */
	CDSYNC_ENOTFOUND = 4,	/* no such record, field or file */
	CDSYNC_EEXIST = 5,	/* already exists (duplicate) */
	CDSYNC_ECONSTRAINT = 6, /* a rule of the data is broken */
	CDSYNC_EIO = 7,		/* reading or writing a file failed */
	CDSYNC_ETOONEW = 8,	/* store made by a newer program */
	CDSYNC_ECORRUPT = 9,	/* store or input is damaged */
	CDSYNC_EBUSY = 10,	/* store locked by another process */
	CDSYNC_ENOTINIT = 11,	/* store has no node identity yet */
	CDSYNC_EAMBIGUOUS = 12, /* a short reference matches several */
	CDSYNC_EBADINPUT = 13,	/* an input file has bad lines */
	CDSYNC_EREFERENCED = 14, /* record still used by others */
	CDSYNC_EREADONLY = 15,	/* store opened read-only */
	CDSYNC_EBADBUNDLE = 16,	/* a bundle file is malformed or damaged */
	CDSYNC_EUNKNOWNKEY = 17, /* signed by a key this node does not know */
	CDSYNC_EBADSIG = 18,	/* signature does not verify */
	CDSYNC_ENOTRECIPIENT = 19, /* not addressed to this node */
	CDSYNC_EDECRYPT = 20,	/* content does not decrypt or match */
	CDSYNC_EGAP = 21,	/* bundle held: an earlier one is missing */
	CDSYNC_EREPLAY = 22,	/* bundle already merged (not an error) */
	CDSYNC_EFORK = 23,	/* two bundles with one sequence number */
	CDSYNC_EFROZEN = 24,	/* sender frozen until an operator decides */
	CDSYNC_EREVOKED = 25,	/* key revoked or no longer valid */
	CDSYNC_EROLLBACK = 26,	/* older than what this node has */
	CDSYNC_ESCOPE = 27,	/* outside what the signer may speak for */
	CDSYNC_ELOCKED = 28,	/* secret keys locked: a passphrase is needed */
	CDSYNC_EPASSWORD = 29,	/* the passphrase is wrong */
	CDSYNC_EUNREACHABLE = 30, /* the other node does not answer */
	CDSYNC_DONE = 100	/* a cursor has no more rows (not an error) */
};

/* Returns a short, static, translated description of a code. */
CDSYNC_API const char *cdsync_strerror(int code);

/* Row ids are 16 bytes (protocol/SPEC.md "Row ids"). */
#define CDSYNC_IDBYTES 16
CDSYNC_API size_t cdsync_idbytes(void);
/* Text form of an id: 32 lowercase hex digits and a NUL. */
#define CDSYNC_IDHEXBYTES 33

/* ==== Record kinds ==================================================== */

/* The numbers are the kinds' numbers on the wire (SPEC.md "Kinds"). */
typedef enum cdsync_kind {
	CDSYNC_KIND_ORG = 1,
	CDSYNC_KIND_MEMBER = 2,
	CDSYNC_KIND_PLAN = 3,
	CDSYNC_KIND_KEY_TASK = 4,
	CDSYNC_KIND_ACTIVITY = 5,
	CDSYNC_KIND_BENEFIT = 6,
	CDSYNC_KIND_LEGAL_CASE = 7,
	CDSYNC_KIND_LEGAL_EVENT = 8,
	CDSYNC_KIND_COUNCIL_SEAT = 9,
	CDSYNC_KIND_INITIATIVE = 10,
	CDSYNC_KIND_AWARD = 11,
	CDSYNC_KIND_AGREEMENT = 12,
	CDSYNC_KIND_ORG_CHANGE = 13	/* a rename, move or merge of a unit */
} cdsync_kind;
#define CDSYNC_KIND_MAX 13

/* The name of a kind ("member", "activity", ...; also its table name), or
 * NULL for an unknown number. */
CDSYNC_API const char *cdsync_kind_name(cdsync_kind kind);
/* Finds a kind by name; CDSYNC_ENOTFOUND if there is none. */
CDSYNC_API int cdsync_kind_lookup(const char *name, cdsync_kind *kind_out);
/* The fields of a kind, in wire order: index 0 is always "id".  Returns
 * NULL past the last field. */
CDSYNC_API const char *cdsync_kind_field(cdsync_kind kind, size_t index);

/* What a user interface needs to build a form for a field. */
typedef enum cdsync_ftype {
	CDSYNC_FT_ID = 1,	/* the row id (field 0) */
	CDSYNC_FT_REF = 2,	/* id of a row of ref_kind */
	CDSYNC_FT_TEXT = 3,	/* free text */
	CDSYNC_FT_DATE = 4,	/* a calendar day */
	CDSYNC_FT_MONEY = 5,	/* whole VND, >= 0 */
	CDSYNC_FT_INT = 6,	/* a whole number in [min, max] */
	CDSYNC_FT_BOOL = 7,	/* yes/no */
	CDSYNC_FT_CHOICE = 8,	/* one of `choices` */
	CDSYNC_FT_SCHOOL_YEAR = 9 /* "2025-2026"; as an integer, 2025 */
} cdsync_ftype;

typedef struct cdsync_field_info {
	const char *name;	 /* "held_on" */
	const char *label;	 /* translated: "Ngày tổ chức" */
	cdsync_ftype type;
	cdsync_kind ref_kind;	 /* for CDSYNC_FT_REF, else 0 */
	int required;		 /* must be given on insert */
	int64_t min, max;	 /* for CDSYNC_FT_INT */
	const char *const *choices; /* NULL-terminated, for CHOICE */
} cdsync_field_info;

/* Describes field `index` of a kind; CDSYNC_ENOTFOUND past the last. */
CDSYNC_API int cdsync_kind_field_info(cdsync_kind kind, size_t index,
				      cdsync_field_info *info_out);
/* The translated label of a choice value ("care" -> "Chăm lo"), or the
 * value itself if it has none. */
CDSYNC_API const char *cdsync_choice_label(const char *value);
/* The same for the choices of one field, where a word means something of
 * its own ("training" as a council is the training council). */
CDSYNC_API const char *cdsync_field_choice_label(const cdsync_field_info *fi,
						 const char *value);

/* ==== Stores ========================================================== */

typedef struct cdsync cdsync;

#define CDSYNC_OPEN_CREATE 0x1	 /* create the file if missing */
#define CDSYNC_OPEN_READONLY 0x2 /* never write (no upgrade either) */

/*
 * Opens the store at `path`, upgrading it in place to this program's
 * schema (all steps in one transaction).  A store made by a newer program
 * is refused with CDSYNC_ETOONEW and left untouched.
 * Returns CDSYNC_OK and *db_out.  On failure *db_out still holds a handle
 * whose cdsync_errmsg() explains (NULL only on CDSYNC_ENOMEM); close it.
 */
CDSYNC_API int cdsync_open(const char *path, unsigned flags,
			   cdsync **db_out /* OUT */) CDSYNC_CHECK;
CDSYNC_API void cdsync_close(cdsync *db);
/* The message of the last failed call on db ("" after a success). */
CDSYNC_API const char *cdsync_errmsg(const cdsync *db);
/* Schema version of the open store, and the newest this program knows. */
CDSYNC_API int cdsync_schema_version(cdsync *db);
CDSYNC_API int cdsync_schema_latest(void);

typedef enum cdsync_role {
	CDSYNC_ROLE_SCHOOL = 1,	  /* grassroots union node */
	CDSYNC_ROLE_HUB = 2,	  /* upper-level (district, province) hub */
	CDSYNC_ROLE_NATIONAL = 3, /* national hub */
	CDSYNC_ROLE_CLIENT = 4,	  /* a phone or PC paired with a school node */
	CDSYNC_ROLE_AUDITOR = 5	  /* an auditor the national union enrols:
				   * every bundle sealed is encrypted to it
				   * too, so it counts the figures again */
} cdsync_role;

/*
 * Gives a new store its identity: a fresh random node id, its role, and
 * its own org unit (code such as "HN-BD-THCS-NGUYEN-DU", name, optional
 * parent code, which need not be known to this store).  Done once;
 * CDSYNC_EEXIST if the store already has an identity.
 */
CDSYNC_API int cdsync_node_init(cdsync *db, cdsync_role role,
				const char *org_code, const char *org_name,
				const char *parent_code) CDSYNC_CHECK;
/* This node's role, org unit id and node id; CDSYNC_ENOTINIT if none. */
CDSYNC_API int cdsync_node_role(cdsync *db, cdsync_role *role_out);
CDSYNC_API int cdsync_node_org(cdsync *db, uint8_t org_id_out[16]);
CDSYNC_API int cdsync_node_id(cdsync *db, uint8_t node_id_out[16]);

/* Transactions group writes: all of them land, or none.  Writes outside
 * begin/commit are each their own transaction. */
CDSYNC_API int cdsync_begin(cdsync *db) CDSYNC_CHECK;
CDSYNC_API int cdsync_commit(cdsync *db) CDSYNC_CHECK;
CDSYNC_API int cdsync_rollback(cdsync *db);

/* ==== Records ========================================================= */

/*
 * A record is a set of field values of one kind, used both to write and to
 * read.  Values are given and read as text in a canonical form:
 *   - dates as "YYYY-MM-DD" (set also takes "dd/mm/yyyy");
 *   - money as whole VND digits (set also takes "1.234.567", "1.234.567 đ");
 *   - yes/no fields as "1"/"0" (set also takes yes/no/có/không);
 *   - references as 32 hex digits (set_ref takes the 16 bytes);
 *   - text in Unicode NFC (set normalises).
 * Setting NULL or "" clears a field (it becomes NULL in the store).
 */
typedef struct cdsync_rec cdsync_rec;

CDSYNC_API int cdsync_rec_new(cdsync_kind kind,
			      cdsync_rec **rec_out /* OUT */) CDSYNC_CHECK;
CDSYNC_API void cdsync_rec_free(cdsync_rec *rec);
CDSYNC_API cdsync_kind cdsync_rec_kind(const cdsync_rec *rec);
/* The record's id, or NULL before it is inserted or given one. */
CDSYNC_API const uint8_t *cdsync_rec_id(const cdsync_rec *rec);
CDSYNC_API int cdsync_rec_set_id(cdsync_rec *rec, const uint8_t id[16]);
/* Parses `value` for `field`; CDSYNC_EINVAL or CDSYNC_ENOTFOUND (no such
 * field) with cdsync_rec_errmsg() saying why.  The record is unchanged on
 * failure. */
CDSYNC_API int cdsync_rec_set(cdsync_rec *rec, const char *field,
			      const char *value) CDSYNC_CHECK;
CDSYNC_API int cdsync_rec_set_int(cdsync_rec *rec, const char *field,
				  int64_t value) CDSYNC_CHECK;
CDSYNC_API int cdsync_rec_set_ref(cdsync_rec *rec, const char *field,
				  const uint8_t id[16]) CDSYNC_CHECK;
/* The canonical text of a field, or NULL if it is not set or is NULL.  The
 * string belongs to the record and lives until the field changes. */
CDSYNC_API const char *cdsync_rec_get(const cdsync_rec *rec,
				      const char *field);
/* The integer value of an integer, money, yes/no or year field. */
CDSYNC_API int cdsync_rec_get_int(const cdsync_rec *rec, const char *field,
				  int64_t *value_out);
CDSYNC_API const char *cdsync_rec_errmsg(const cdsync_rec *rec);

/*
 * Inserts rec as a new row and captures it.  The id is made here (or, for
 * a beneficiary, derived from activity and member) and can be read with
 * cdsync_rec_id().  Fields left unset take their defaults; "org_id"
 * defaults to this node's org unit.
 */
CDSYNC_API int cdsync_insert(cdsync *db, cdsync_rec *rec) CDSYNC_CHECK;
/* Writes the fields set in rec to the row with rec's id; only those fields
 * change and are captured (a field set to its current value is skipped). */
CDSYNC_API int cdsync_update(cdsync *db, const cdsync_rec *rec) CDSYNC_CHECK;
/* Deletes a row, capturing a tombstone.  Activities take their
 * beneficiaries with them, legal cases their history; a member or key task
 * still referenced is refused with CDSYNC_EREFERENCED. */
CDSYNC_API int cdsync_delete(cdsync *db, cdsync_kind kind,
			     const uint8_t id[16]) CDSYNC_CHECK;
/* Reads one row; *rec_out is freed with cdsync_rec_free(). */
CDSYNC_API int cdsync_get(cdsync *db, cdsync_kind kind, const uint8_t id[16],
			  cdsync_rec **rec_out /* OUT */) CDSYNC_CHECK;
/*
 * Resolves what a person typed to a row id: the full 32-hex id, the last 6
 * or more hex digits of it (as lists show them), or a natural key (a
 * member's code, an org unit's code).  CDSYNC_ENOTFOUND or
 * CDSYNC_EAMBIGUOUS with a message naming the candidates.
 */
CDSYNC_API int cdsync_resolve(cdsync *db, cdsync_kind kind, const char *ref,
			      uint8_t id_out[16]) CDSYNC_CHECK;

/* ==== Queries ========================================================= */

typedef struct cdsync_cursor cdsync_cursor;

/* Steps a cursor: CDSYNC_OK with *rec_out (owned by the cursor, valid until
 * the next step), CDSYNC_DONE at the end, or an error code. */
CDSYNC_API int cdsync_cursor_next(cdsync_cursor *cur,
				  const cdsync_rec **rec_out) CDSYNC_CHECK;
CDSYNC_API void cdsync_cursor_close(cdsync_cursor *cur);

/* All rows of a kind, in their natural order (members by name, activities
 * by date, ...). */
CDSYNC_API int cdsync_list(cdsync *db, cdsync_kind kind,
			   cdsync_cursor **cur_out) CDSYNC_CHECK;
/*
 * Periods are written "2025-2026" (school year 1 Sept - 31 Aug),
 * "2025" (calendar year), "2025-Q3" (quarter) or "2023-2028" (the term).
 */
/* Parses a period as people write it and gives its first and last day as
 * "YYYY-MM-DD".  CDSYNC_EINVAL with a reason in err[errlen] (translated)
 * if it is not one.  Pure: no store needed, thread-safe. */
CDSYNC_API int cdsync_period_window(const char *period, char from[11],
				    char to[11], char *err, size_t errlen);
/* Activities of this node's union held in `period`, of `kind` (an activity
 * kind such as "care", or NULL for all), by date. */
CDSYNC_API int cdsync_query_activities(cdsync *db, const char *period,
				       const char *kind,
				       cdsync_cursor **cur_out) CDSYNC_CHECK;
/* Current members of this node's union who have not benefited from any care
 * activity in `period`, by name. */
CDSYNC_API int cdsync_query_uncared(cdsync *db, const char *period,
				    cdsync_cursor **cur_out) CDSYNC_CHECK;
/* Legal cases not yet resolved, oldest first. */
CDSYNC_API int cdsync_query_open_legal(cdsync *db,
				       cdsync_cursor **cur_out) CDSYNC_CHECK;
/* Legal cases of this node's union opened in `period` (NULL: all). */
CDSYNC_API int cdsync_query_legal(cdsync *db, const char *period,
				  cdsync_cursor **cur_out) CDSYNC_CHECK;
/*
 * Records a new status of a legal case ("open", "advised", "escalated",
 * "resolved") on `date` (NULL: today), with an optional note: the case's
 * status changes and a row is added to its history, in one transaction.
 * Resolving also sets the case's closed_on.  Inserting a legal case adds
 * its first history row ("open", on opened_on) by itself.
 */
CDSYNC_API int cdsync_legal_set_status(cdsync *db, const uint8_t case_id[16],
				       const char *status, const char *date,
				       const char *note) CDSYNC_CHECK;
/* Beneficiaries of one activity. */
CDSYNC_API int cdsync_query_benefits(cdsync *db, const uint8_t activity[16],
				     cdsync_cursor **cur_out) CDSYNC_CHECK;

/* ==== Captured changes ================================================ */

/* One column-level change, as read back from the change log.  Read-only;
 * valid until the next step of its iterator. */
typedef struct cdsync_change {
	uint64_t seq;		/* position in this node's log */
	cdsync_kind kind;	/* table */
	uint8_t row[16];	/* row id */
	const char *field;	/* column, or NULL for a delete */
	const char *value;	/* canonical text, NULL for NULL or delete */
	uint64_t hlc;		/* hybrid logical clock (SPEC.md) */
	uint8_t origin[16];	/* node that made the change */
} cdsync_change;

typedef struct cdsync_changes cdsync_changes;
/* Iterates the captured changes with seq > after_seq, in log order, one
 * column at a time. */
CDSYNC_API int cdsync_changes_open(cdsync *db, uint64_t after_seq,
				   cdsync_changes **it_out) CDSYNC_CHECK;
CDSYNC_API int cdsync_changes_next(cdsync_changes *it,
				   const cdsync_change **ch_out) CDSYNC_CHECK;
CDSYNC_API void cdsync_changes_close(cdsync_changes *it);

/* ==== What merging noticed ============================================ */

typedef enum cdsync_notice_type {
	CDSYNC_NOTICE_LOST = 1,	 /* a concurrent edit of a cell lost */
	CDSYNC_NOTICE_INVALID = 2, /* merged values break a rule: row hidden */
	CDSYNC_NOTICE_FUTURE = 3 /* a change stamped too far ahead arrived */
} cdsync_notice_type;

/* One thing a person should look at after a merge.  Read-only; valid
 * until the next step of its iterator. */
typedef struct cdsync_notice {
	cdsync_notice_type type;
	cdsync_kind kind;	/* table */
	uint8_t row[16];	/* row id */
	const char *field;	/* LOST: the column */
	const char *kept;	/* LOST: the value that won (NULL: none) */
	const char *lost;	/* LOST: the value that lost (NULL: none) */
	uint8_t kept_origin[16], lost_origin[16]; /* LOST: who wrote them */
	uint64_t kept_hlc, lost_hlc;	/* LOST: when */
	const char *reason;	/* INVALID: the rule broken */
	uint64_t hlc;		/* FUTURE: the change's clock */
	int64_t ahead_ms;	/* FUTURE: how far ahead on arrival */
	uint8_t origin[16];	/* FUTURE: who stamped it */
} cdsync_notice;

typedef struct cdsync_notices cdsync_notices;
/*
 * Lists, in this order: every cell where a concurrent edit lost (two
 * nodes wrote different values and neither had seen the other's: the
 * losing value is kept in the log and shown here, never thrown away),
 * every row hidden because its merged values break a rule, and every
 * change that arrived stamped further ahead than the bound.
 */
CDSYNC_API int cdsync_notices_open(cdsync *db,
				   cdsync_notices **it_out) CDSYNC_CHECK;
CDSYNC_API int cdsync_notices_next(cdsync_notices *it,
				   const cdsync_notice **n_out) CDSYNC_CHECK;
CDSYNC_API void cdsync_notices_close(cdsync_notices *it);

/* ==== Bundles: the files that carry changes between nodes ============= */

/* Frees memory the library handed out (a string from cdsync_keys_export). */
CDSYNC_API void cdsync_free(void *p);

/* This node's public keys as a short text file ("cdsync public key v1":
 * node id, org code, Ed25519 and X25519 public keys in hex), for the
 * nodes it sends to and receives from.  *text_out is freed with
 * cdsync_free. */
CDSYNC_API int cdsync_keys_export(cdsync *db, char **text_out) CDSYNC_CHECK;
/* Registers another node from its public key text.  upstream = 1: this
 * node's bundles are encrypted to it (the district hub, the national
 * hub, an auditor).  Registering a node again updates its keys and role
 * (until the signed catalog of the trust issue replaces this). */
CDSYNC_API int cdsync_peer_add(cdsync *db, const char *text,
			       int upstream) CDSYNC_CHECK;

/*
 * Seals every change written on this node since its last bundle into a
 * new bundle (the next number in its chain; the number is taken in the
 * same transaction that marks the changes sealed), then writes into
 * `dir` every bundle of this node and every bundle it received and merged
 * (so a hub forwards its schools' bundles unchanged).  Each file is
 * written atomically (temporary file, fsync, rename, fsync of the
 * folder); a file already there with the same bytes is left alone, so
 * running it twice is harmless.  *sealed: 0 or 1 new bundles; *written:
 * bundle files written now.  A node that took bundles in (a hub) also
 * writes the receipt of each (receipt-CODE-SEQ.cdsr) and beside it its
 * inclusion proof (receipt-CODE-SEQ.tlog-proof) against one checkpoint
 * of its log, signed at the time of the export (SPEC.md §11.2, §12.5).
 */
CDSYNC_API int cdsync_export(cdsync *db, const char *dir, size_t *sealed,
			     size_t *written) CDSYNC_CHECK;

/*
 * Takes in one bundle file, checking cheapest first: size caps, a known
 * sender key, the signature, the chain, decryption, then every change.
 * Returns CDSYNC_OK when its changes were merged (one transaction) and
 * *changes says how many; CDSYNC_EREPLAY if it was merged before
 * (nothing done); CDSYNC_EGAP when an earlier bundle of its sender is
 * missing (kept, merged when the gap fills); CDSYNC_EFORK when it and
 * another valid bundle carry the same number (both kept as evidence,
 * the sender frozen until an operator decides); otherwise an error
 * (CDSYNC_EBADBUNDLE, _EUNKNOWNKEY, _EBADSIG, _ENOTRECIPIENT, _EDECRYPT,
 * _EBADINPUT, _EFROZEN) with nothing merged.  The message names the file
 * and the reason.
 */
CDSYNC_API int cdsync_import_file(cdsync *db, const char *path,
				  size_t *changes) CDSYNC_CHECK;

/* Where this node stands in moving its data. */
typedef struct cdsync_sync_status {
	uint64_t last_sealed;	/* number of its last bundle (0: none) */
	uint64_t unsealed;	/* changes written here, not yet in one */
	size_t peers;		/* nodes whose keys it knows */
	size_t held;		/* bundles waiting for an earlier one */
	size_t frozen;		/* nodes frozen after a fork */
	size_t notices;		/* what merging noticed (conflicts) */
	size_t outbox;		/* bundles still to go up (cdsync_outbox_at) */
	uint64_t outbox_bytes;	/* their bytes */
	uint64_t last_receipt_ms; /* hub's clock in the newest receipt kept
				   * here (its made_ms); 0: none */
	char last_receipt_from[80]; /* org code of the hub that signed it */
} cdsync_sync_status;

/* One node this node knows, with its chain as seen here. */
typedef struct cdsync_peer_info {
	uint8_t node[16];
	char org[80];		/* its org code */
	int upstream;		/* this node's bundles are encrypted to it */
	uint64_t last_seq;	/* its last bundle merged here */
	size_t held;		/* its bundles waiting for a missing one */
	uint64_t missing_from;	/* first missing number (0: no gap) */
	uint64_t missing_to;	/* last missing number */
	size_t evidence;	/* bundles kept as evidence of a fork */
	int frozen;		/* nothing merged from it until decided */
} cdsync_peer_info;

CDSYNC_API int cdsync_sync_status_get(cdsync *db,
				      cdsync_sync_status *st) CDSYNC_CHECK;
/* An operator's decision about a node frozen after a fork: keep the
 * chain as merged here (the other bundle stays as evidence) and take in
 * its bundles again.  `ref` is the node's org code or the hex of its id
 * (8 or more digits at the end).  CDSYNC_ENOTFOUND, or CDSYNC_EINVAL if
 * it is not frozen. */
CDSYNC_API int cdsync_peer_unfreeze(cdsync *db, const char *ref) CDSYNC_CHECK;
/* The i-th known node (by org code); CDSYNC_ENOTFOUND past the last. */
CDSYNC_API int cdsync_peer_at(cdsync *db, size_t i,
			      cdsync_peer_info *out) CDSYNC_CHECK;

/* ==== Keys: at rest under a passphrase, rotation ===================== */

/*
 * A node's secret keys (Ed25519 to sign, X25519 to receive) are kept in
 * its store encrypted under a passphrase (Argon2id, XChaCha20-Poly1305:
 * SPEC.md "Secret keys at rest").  Public work -- recording, lists, KPIs,
 * the fingerprint -- never needs them; sealing, opening and signing do.
 * When one of those finds the keys locked it asks the passphrase
 * callback, if one is set, and otherwise fails with CDSYNC_ELOCKED.  A
 * wrong passphrase gives CDSYNC_EPASSWORD and changes nothing.  Secret
 * keys and the passphrase are wiped from memory by cdsync_lock() and
 * cdsync_close().
 */

/* Writes the passphrase (NUL-terminated) into buf[size]; returns 0, or
 * non-zero when the person gave none (the call then fails with
 * CDSYNC_ELOCKED).  The library wipes buf after use. */
typedef int (*cdsync_passphrase_fn)(void *ctx, char *buf, size_t size);
CDSYNC_API void cdsync_passphrase_cb(cdsync *db, cdsync_passphrase_fn fn,
				     void *ctx);

/*
 * Sets the passphrase the keys are sealed under (at least 8 bytes).
 * Before cdsync_node_init(): the one the new keys will have.  After it:
 * seals the keys again under the new passphrase (they must be unlocked,
 * or their current passphrase come from the callback); a store whose
 * keys were kept in the clear (made by the library without a passphrase,
 * or by an older program) gets them sealed.  CDSYNC_EINVAL if too short.
 */
CDSYNC_API int cdsync_passphrase_set(cdsync *db,
				     const char *passphrase) CDSYNC_CHECK;
/* Opens the secret keys with the passphrase (NULL: ask the callback):
 * CDSYNC_OK (also when they are not sealed), CDSYNC_EPASSWORD,
 * CDSYNC_ELOCKED, CDSYNC_ENOTINIT. */
CDSYNC_API int cdsync_unlock(cdsync *db, const char *passphrase) CDSYNC_CHECK;
/* Wipes the secret keys and the passphrase from memory (if they are
 * sealed; keys kept in the clear stay usable). */
CDSYNC_API void cdsync_lock(cdsync *db);
/* 1 when the keys are sealed under a passphrase, 0 when they are kept
 * in the clear, -1 when the store has no node. */
CDSYNC_API int cdsync_keys_sealed(cdsync *db);

/*
 * Replaces this node's two key pairs with new ones.  The old signing key
 * signs a hand-over (SPEC.md "Hand-over") naming the new keys and the
 * first bundle they sign; this node's parent takes it in (cdsync_import
 * of a handover-*.cdsh file, which cdsync_export writes) and certifies
 * the new keys in its sheet of the catalog.  Bundles keep one chain
 * across keys; those signed before stay valid with the old key.  The old
 * signing key is destroyed; the old X25519 key is kept (sealed) so that
 * bundles already sealed to it still open.  Needs an enrolled node.
 */
CDSYNC_API int cdsync_keys_rotate(cdsync *db) CDSYNC_CHECK;
/*
 * At a parent: takes in a child's hand-over file, checked against the
 * catalog (signed by the child's certified, unrevoked key), and certifies
 * the new keys in this node's sheet (a new edition, which travels with
 * the next export).  CDSYNC_EREPLAY if it was taken before (nothing to
 * do), CDSYNC_ESCOPE if the node is not a child of this one,
 * CDSYNC_EBADSIG or CDSYNC_EBADINPUT for a damaged file.
 */
CDSYNC_API int cdsync_handover_import(cdsync *db,
				      const char *path) CDSYNC_CHECK;

/* ==== Pairing client devices ========================================== */

/*
 * A client device (a phone app or another PC at the school: a store made
 * with CDSYNC_ROLE_CLIENT and the school's org code) pairs with its school
 * node once (SPEC.md "Pairing"):
 *   1. the node shows a code (cdsync_pair_code), which its operator reads
 *      to the person holding the device;
 *   2. the device writes a request with its keys, authenticated with the
 *      code (cdsync_pair_request);
 *   3. the node checks the request against its live codes and certifies
 *      the device (cdsync_pair_approve; the code is used up);
 *   4. the device takes the certificate in (cdsync_pair_finish), checked
 *      with the same code and the node's signature.
 * The node's LAN sync takes only certified, unrevoked devices
 * (cdsync_client_check).
 */

/* One device this node certified. */
typedef struct cdsync_client_info {
	uint8_t client[16];	/* its node id */
	char device[256];	/* the name it gave ("Điện thoại cô Mỷ") */
	char fingerprint[20];	/* of its keys */
	uint64_t paired_ms;
	uint64_t revoked_ms;	/* 0: not revoked */
} cdsync_client_info;

#define CDSYNC_PAIR_CODEBYTES 15	/* "XXXX-XXXX-XXXX" and a NUL */

/* At the node: a new pairing code, valid for `minutes` (0: 10, at most
 * 1440) and for one device. */
CDSYNC_API int cdsync_pair_code(cdsync *db, unsigned minutes,
				char code_out[CDSYNC_PAIR_CODEBYTES]) CDSYNC_CHECK;
/* At the device: writes its pairing request for `code` to path
 * (atomically).  `device` names it for the node's list. */
CDSYNC_API int cdsync_pair_request(cdsync *db, const char *code,
				   const char *device,
				   const char *path) CDSYNC_CHECK;
/* At the node: checks a request (CDSYNC_EBADSIG: no live code of this
 * node matches it -- a wrong, used or expired code; or a bad signature),
 * certifies the device and writes the certificate to cert_path.  *out
 * (may be NULL) describes the device. */
CDSYNC_API int cdsync_pair_approve(cdsync *db, const char *request_path,
				   const char *cert_path,
				   cdsync_client_info *out) CDSYNC_CHECK;
/* At the device: takes the certificate in.  CDSYNC_EBADSIG if it does not
 * carry the code this device asked with, or its signature fails;
 * CDSYNC_EINVAL if it certifies another device. */
CDSYNC_API int cdsync_pair_finish(cdsync *db, const char *cert_path) CDSYNC_CHECK;
/* At the node: CDSYNC_OK when `client` is a device it certified with
 * `sign_pk` and has not revoked; CDSYNC_EUNKNOWNKEY (never paired, or
 * another key) or CDSYNC_EREVOKED, with a message. */
CDSYNC_API int cdsync_client_check(cdsync *db, const uint8_t client[16],
				   const uint8_t sign_pk[32]) CDSYNC_CHECK;
/* The i-th certified device, by pairing time; CDSYNC_ENOTFOUND past the
 * last. */
CDSYNC_API int cdsync_client_at(cdsync *db, size_t i,
				cdsync_client_info *out) CDSYNC_CHECK;
/* Revokes a device (its id in hex, 8 or more digits at the end, or its
 * name) from now on. */
CDSYNC_API int cdsync_client_revoke(cdsync *db, const char *ref) CDSYNC_CHECK;
/* At the device: the school node it is paired with (CDSYNC_ENOTFOUND
 * before pairing). */
CDSYNC_API int cdsync_paired_node(cdsync *db, uint8_t node_out[16],
				  char fingerprint_out[20]) CDSYNC_CHECK;

/* ==== LAN sync: a device and its school node ========================= */

/*
 * A paired device syncs with its school node over nanomsg (SPEC.md "LAN
 * sync"): "tcp://192.168.1.10:7420" on the school's network,
 * "ipc:///run/cdsync/lan" on the same machine.  One call pushes what the
 * device recorded and the node does not hold yet, and pulls what the
 * node holds and the device does not (what the school and its other
 * devices recorded), in batches until both sides are level.  Each batch
 * commits together with the position it reached, so a cut link or a
 * crash loses nothing, repeats nothing, and the next call goes on from
 * there.  When the node does not answer within timeout_ms (0: 10 s) the
 * call returns CDSYNC_EUNREACHABLE and the device goes on working on its
 * own store: what it records waits for the next sync.
 */
typedef struct cdsync_lan_progress {
	uint64_t sent;		/* changes of this device the node took */
	uint64_t to_send;	/* changes it had to send at the start */
	uint64_t received;	/* changes received */
	uint64_t to_receive;	/* received, plus what the node has left */
	uint64_t applied;	/* received ones that were new here */
} cdsync_lan_progress;

/* Called after every batch (and once at the start). */
typedef void (*cdsync_lan_progress_fn)(void *arg,
				       const cdsync_lan_progress *p);

/* At a paired device: syncs with the node at `endpoint` (NULL: the one of
 * the last sync that reached it).  fn may be NULL; *out (may be NULL)
 * says what this call moved, also on failure. */
CDSYNC_API int cdsync_lan_sync(cdsync *db, const char *endpoint,
			       unsigned timeout_ms, cdsync_lan_progress_fn fn,
			       void *arg, cdsync_lan_progress *out) CDSYNC_CHECK;
/* At the school node: answers one request of a device (the bytes read
 * from the socket).  *reply (free with cdsync_free) is what goes back,
 * also when the request is refused: CDSYNC_OK when the device was
 * served, else the code of the refusal (the message says why, for the
 * log); no reply (NULL) only for CDSYNC_ENOMEM and store failures. */
CDSYNC_API int cdsync_lan_answer(cdsync *db, const uint8_t *req, size_t n,
				 uint8_t **reply, size_t *reply_len) CDSYNC_CHECK;
/* At a device: the endpoint of its last sync that reached the node, when
 * it ended (ms; 0 and "" before the first), and how many changes of this
 * device the node does not hold yet (as far as the device knows). */
CDSYNC_API int cdsync_lan_last(cdsync *db, char endpoint[256], uint64_t *ms,
			       uint64_t *pending) CDSYNC_CHECK;

/* ==== Trust: enrolment and the signed catalog ======================== */

/* This node's key fingerprint ("XXXX-XXXX-XXXX-XXXX"), to read out over the
 * phone when it enrols or approves. */
CDSYNC_API int cdsync_fingerprint(cdsync *db, char out[20]) CDSYNC_CHECK;

/* What an enrolment request says (checked: signed by its own key). */
typedef struct cdsync_request_info {
	uint8_t node[16];
	cdsync_role role;
	char org[256];		/* org code */
	char name[256];		/* org name */
	char parent[256];	/* parent org code */
	char fingerprint[20];	/* of the requesting node's keys */
	uint64_t created_ms;
} cdsync_request_info;

/* Writes this node's enrolment request to `path` (atomically): its keys
 * and place in the tree, signed by its own key. */
CDSYNC_API int cdsync_enrol_request(cdsync *db, const char *path) CDSYNC_CHECK;
/* Reads and checks a request file (db gives the message; any store). */
CDSYNC_API int cdsync_request_read(cdsync *db, const char *path,
				   cdsync_request_info *out) CDSYNC_CHECK;
/*
 * Approves a child's request at its parent (a hub or the national hub that
 * is itself in the catalog): `fingerprint` must be the request's, as the
 * child's operator read it out; the child goes into this node's sheet of
 * the catalog, valid from now for `days` days (0: no end), and becomes a
 * known sender.  The catalog the child needs is written to `catalog_path`.
 * CDSYNC_EBADSIG (fingerprint), CDSYNC_ESCOPE (not a child of this node),
 * CDSYNC_EEXIST (the unit already has another node).
 */
CDSYNC_API int cdsync_enrol_approve(cdsync *db, const char *request_path,
				    const char *fingerprint, unsigned days,
				    const char *catalog_path) CDSYNC_CHECK;
/* Revokes the key of a child of this node (by org code) from now on:
 * bundles it signs from now are refused; earlier ones still count. */
CDSYNC_API int cdsync_enrol_revoke(cdsync *db, const char *org_code,
				   const char *reason) CDSYNC_CHECK;
/*
 * Takes in a catalog file: every sheet is checked against the national
 * root key this node trusts (the first catalog a node takes gives that
 * key: `root_fingerprint`, if not NULL, must then match it), against its
 * signer's subtree, and against the editions this node has (an older one
 * is refused: CDSYNC_EROLLBACK).  Then the nodes it certifies become
 * known senders, and this node's ancestors the recipients of its bundles.
 * Nothing changes unless all of it holds.
 */
CDSYNC_API int cdsync_catalog_import(cdsync *db, const char *path,
				     const char *root_fingerprint) CDSYNC_CHECK;
/* Writes the catalog this node has to `path` (atomically). */
CDSYNC_API int cdsync_catalog_export(cdsync *db, const char *path) CDSYNC_CHECK;
/* The same catalog file as bytes (*bytes freed with cdsync_free): what a
 * daemon sends or serves, with no file in between. */
CDSYNC_API int cdsync_catalog_bytes(cdsync *db, uint8_t **bytes,
				    size_t *len) CDSYNC_CHECK;
/* Takes in a catalog file given as bytes, exactly as
 * cdsync_catalog_import takes a file (never a node's first catalog: that
 * one needs its root fingerprint, from cdsync_catalog_import). */
CDSYNC_API int cdsync_catalog_take(cdsync *db, const uint8_t *bytes,
				   size_t len) CDSYNC_CHECK;

/* One node the catalog certifies (or revokes). */
typedef struct cdsync_cat_entry {
	uint8_t node[16];
	cdsync_role role;
	char org[256];		/* org code */
	char name[256];		/* org name */
	char parent[256];	/* parent org code ("" for the root) */
	char issuer[256];	/* org code of the node that signed it */
	char fingerprint[20];
	uint64_t valid_from;	/* ms since the epoch */
	uint64_t valid_until;	/* 0: no end */
	uint64_t revoked_from;	/* 0: not revoked */
	char reason[256];	/* of the revocation */
	uint64_t edition;	/* serial of the sheet it is in */
	uint32_t kpi_version;	/* KPI definitions of the root sheet */
} cdsync_cat_entry;

/* The i-th node of the catalog, in chain order from the root;
 * CDSYNC_ENOTFOUND past the last (or when the store has no catalog). */
CDSYNC_API int cdsync_catalog_at(cdsync *db, size_t i,
				 cdsync_cat_entry *out) CDSYNC_CHECK;

/* What a bundle file says about itself (its header), for people. */
typedef struct cdsync_bundle_info {
	int version;
	uint8_t node[16];	/* sender node */
	char org[80];		/* sender's org code, if this node knows it */
	uint8_t sign_pk[32];	/* sender's signing key */
	uint64_t seq;		/* number in the sender's chain */
	uint8_t prev[32];	/* hash of the previous bundle */
	uint8_t hash[32];	/* this bundle's hash */
	uint64_t hlc;		/* sender's clock when sealed */
	uint32_t count;		/* changes inside */
	uint64_t plain_len;	/* payload bytes, unpacked */
	uint64_t file_len;	/* bytes of the file */
	int nrcpt;		/* recipients */
	uint8_t rcpt[8][32];	/* their X25519 keys */
	int signature_ok;	/* signature verifies with sign_pk */
	int sender_known;	/* sign_pk is the key known for the node */
	int readable;		/* this node is a recipient and decrypted it */
} cdsync_bundle_info;

/* Called for each column-level change of a bundle (seq is 0). */
typedef int (*cdsync_change_cb)(void *ctx, const cdsync_change *ch);

/*
 * Reads a bundle file for inspection: fills *info from its header and
 * checks its signature; with a store (db may be NULL) also whether the
 * sender is known and, if this node is a recipient, decrypts it and
 * calls cb (when not NULL) for every change.  Nothing is merged.
 * CDSYNC_EBADBUNDLE (or _EDECRYPT) with the reason for a damaged file.
 */
CDSYNC_API int cdsync_bundle_read(cdsync *db, const char *path,
				  cdsync_bundle_info *info, cdsync_change_cb cb,
				  void *ctx) CDSYNC_CHECK;

/* ==== Receipts and the outbox ===================================== */

/*
 * A hub that took a bundle in answers with a signed receipt (SPEC.md
 * "Receipts"): it names the bundle (sender, number, hash), says whether
 * the hub merged it or holds it until an earlier one arrives, and the
 * time the hub first saw it, by the hub's clock.  The node that sent the
 * bundle keeps the receipt; a bundle leaves its outbox once a node above
 * it says "merged".  Receipts travel down as files (cdsync_export at a
 * hub writes receipt-CODE-SEQ.cdsr for every bundle it took in, and the
 * bundle's inclusion proof in the hub's log beside it: see
 * cdsync_receipt_check) or in the answer to an upload (the daemon).
 */

/* One bundle this node must still get to its upper hub: its own, or one it
 * forwards, not yet receipted by an upstream node. */
typedef struct cdsync_outbox_item {
	uint8_t node[16];	/* the bundle's sender */
	uint64_t seq;		/* its number in the sender's chain */
	uint8_t hash[32];	/* the bundle's hash (SPEC §7) */
	uint64_t len;		/* bytes of the file */
	char name[200];		/* the file name export would give it */
} cdsync_outbox_item;
/* Seals what was recorded since the last bundle into a new one (as
 * cdsync_export does, without writing files); *sealed 0 or 1. */
CDSYNC_API int cdsync_seal(cdsync *db, size_t *sealed) CDSYNC_CHECK;
/* The i-th bundle of the outbox: this node's own first, then forwarded
 * ones, each chain in order; CDSYNC_ENOTFOUND past the last. */
CDSYNC_API int cdsync_outbox_at(cdsync *db, size_t i, cdsync_outbox_item *out) CDSYNC_CHECK;
/* The bytes of a bundle this node holds (own or received), by hash;
 * *bytes freed with cdsync_free. */
CDSYNC_API int cdsync_bundle_bytes(cdsync *db, const uint8_t hash[32], uint8_t **bytes, size_t *len) CDSYNC_CHECK;
/* At a hub: a signed receipt for a bundle it took in (merged, or held
 * waiting for a gap), naming the time it first saw it and the bundle's
 * leaf in its transparency log (a receipt of version 2, SPEC §11.1);
 * *out freed with cdsync_free.  CDSYNC_ENOTFOUND if it never took it in. */
CDSYNC_API int cdsync_receipt_make(cdsync *db, const uint8_t hash[32], uint8_t **out, size_t *len) CDSYNC_CHECK;
/* At the node that sent it: checks a receipt (signed by a node it knows
 * as upstream, for a bundle it holds) and keeps it; the bundle leaves the
 * outbox once merged upstream.  CDSYNC_EREPLAY when already kept. */
CDSYNC_API int cdsync_receipt_take(cdsync *db, const uint8_t *bytes, size_t len) CDSYNC_CHECK;
CDSYNC_API int cdsync_receipt_import(cdsync *db, const char *path) CDSYNC_CHECK;

/*
 * More on the calls above:
 *  - cdsync_seal: the node's next bundle, in one transaction with the
 *    changes it seals (the national hub, with nobody above it, seals
 *    nothing: *sealed 0).  Needs the secret keys (CDSYNC_ELOCKED) and an
 *    upstream node (CDSYNC_ENOTFOUND); not inside cdsync_begin.
 *  - cdsync_outbox_at: a bundle leaves the outbox when this node keeps a
 *    receipt of status "merged" for it from a node that is upstream of
 *    it (a "held" receipt leaves it in).  The national hub's outbox is
 *    empty.  `name` is "CODE-NODE-SEQ.cdsb" as cdsync_export writes it.
 *  - cdsync_bundle_bytes: a bundle this node sealed, or one it received
 *    (merged, held, or kept as evidence).  CDSYNC_ENOTFOUND otherwise.
 *  - cdsync_receipt_make: needs the secret keys.  The receipt is made from
 *    the store alone (the times are those the hub recorded when it took
 *    the bundle in and when it reached its status; the leaf is the one
 *    appended when it took it in), so asking again gives the same bytes.
 *    CDSYNC_ENOTFOUND also for a bundle kept only as evidence of a fork;
 *    CDSYNC_ECORRUPT for a bundle taken in that has no leaf in the log
 *    (it always has one).  Receipts of version 1 (190 bytes, without the
 *    leaf), which hubs made before, are still taken and read.
 *  - cdsync_receipt_take checks, in this order (nothing is kept on a
 *    failure; the message names the receipt -- "receipt", or the file for
 *    cdsync_receipt_import -- and why):
 *      CDSYNC_EBADINPUT   not a receipt (its layout; the offset is named)
 *      CDSYNC_ESCOPE      signed by this node itself: it goes down to the
 *                         node that sent the bundle
 *      CDSYNC_EUNKNOWNKEY signed by a node this node does not know, or
 *                         with another key than the one known for it
 *      CDSYNC_ESCOPE      signed by a node that is not upstream of this
 *                         one (a node below it, a sibling): not for it
 *      CDSYNC_EBADSIG     the signature does not verify
 *      CDSYNC_ESCOPE      for a bundle this node does not hold (its own,
 *                         or one it forwards): not for it
 *      CDSYNC_EBADINPUT   the bundle with its hash has another sender or
 *                         number than the receipt says
 *      CDSYNC_EREPLAY     this hub's receipt with this status for that
 *                         bundle is kept already (nothing to do)
 *  - cdsync_receipt_import: cdsync_receipt_take of a file (at most 4 KiB);
 *    CDSYNC_ENOTFOUND or CDSYNC_EIO if it cannot be read.
 */

/* What a receipt says, for people. */
typedef struct cdsync_receipt_info {
	uint8_t hub[16];	/* the node that signed it */
	char hub_org[80];	/* its org code, if this node knows it */
	uint8_t node[16];	/* the bundle's sender */
	char org[80];		/* its org code, if this node knows it */
	uint64_t seq;		/* the bundle's number */
	uint8_t hash[32];	/* the bundle's hash */
	int merged;		/* 1 merged at the hub; 0 held for a gap */
	uint64_t seen_ms;	/* hub's clock: it first took the bundle in */
	uint64_t made_ms;	/* hub's clock: the bundle reached that state */
	int version;		/* 1, or 2: hubs write 2, which says the leaf */
	int has_leaf;		/* 1 if it says the bundle's leaf (version 2) */
	uint64_t leaf;		/* that leaf's index in the hub's transparency
				 * log (SPEC §12.1); 0 without has_leaf */
} cdsync_receipt_info;

/* Reads a receipt file (version 1 or 2) and checks its layout and its
 * signature by the key it names (not whether this node believes that key:
 * cdsync_receipt_take does); fills *out.  Nothing is kept.
 * CDSYNC_EBADINPUT, CDSYNC_EBADSIG, CDSYNC_ENOTFOUND, CDSYNC_EIO with a
 * message. */
CDSYNC_API int cdsync_receipt_read(cdsync *db, const char *path,
				   cdsync_receipt_info *out) CDSYNC_CHECK;
/* The number of bundles in the outbox and their bytes. */
CDSYNC_API int cdsync_outbox_size(cdsync *db, size_t *count,
				  uint64_t *bytes) CDSYNC_CHECK;

/* ==== The transparency log ========================================= */

/*
 * Every bundle a node first takes in -- merged, or held for a gap; never a
 * replay, a refusal or one kept as evidence of a fork -- becomes the next
 * leaf of its transparency log (SPEC.md "Transparency log"): a Merkle tree
 * hashed as in RFC 9162, leaf 0 first.  The leaf is appended in the same
 * transaction that first takes the bundle in, so a bundle with a receipt
 * always has a leaf, and its leaf repeats what its receipt says (hash,
 * sender, number, seen_ms).  The hub signs checkpoints of its tree (C2SP
 * signed notes, with its catalog signing key, under its origin
 * "cdsync.vn/hub/CODE/NODE") and gives proof files that an auditor checks
 * offline, with the hub's key and origin from the catalog alone.
 *
 * Files come out as bytes (free them with cdsync_free), exactly as
 * SPEC.md §12.4-12.5 writes them: a checkpoint, an inclusion proof
 * (c2sp.org/tlog-proof@v1) and a consistency proof (the body of a
 * c2sp.org/tlog-witness add-checkpoint request).  The daemon serves them
 * as GET /checkpoint, /proof/inclusion/HASH and /proof/consistency/SIZE.
 */

#define CDSYNC_TLOG_ORIGINBYTES 1024	/* an origin and its NUL, at most */

/* A checkpoint, as checked. */
typedef struct cdsync_tlog_head {
	char origin[CDSYNC_TLOG_ORIGINBYTES];	/* the log it is of */
	uint64_t size;		/* leaves in the tree */
	uint8_t root[32];	/* its RFC 9162 root (SHA-256) */
} cdsync_tlog_head;

/* A leaf, as proven: one bundle the hub took in. */
typedef struct cdsync_tlog_entry {
	uint64_t index;		/* its place in the log, from 0 */
	uint8_t hash[32];	/* the bundle's hash */
	uint8_t node[16];	/* its sender */
	uint64_t seq;		/* its number in the sender's chain */
	uint64_t seen_ms;	/* hub's clock: when it first took it in */
} cdsync_tlog_entry;

/* The number of leaves of this node's log into *size.  CDSYNC_OK, or an
 * error with *size 0. */
CDSYNC_API int cdsync_tlog_size(cdsync *db, uint64_t *size) CDSYNC_CHECK;
/* The index of the leaf of the bundle with this hash into *index.
 * CDSYNC_ENOTFOUND (*index 0) when this node never took it in (or keeps
 * it only as evidence of a fork). */
CDSYNC_API int cdsync_tlog_index(cdsync *db, const uint8_t bundle_hash[32],
				 uint64_t *index) CDSYNC_CHECK;
/* The signed checkpoint of the whole log as it is now, into *note (*len
 * bytes, freed with cdsync_free). */
CDSYNC_API int cdsync_tlog_checkpoint(cdsync *db, uint8_t **note,
				      size_t *len) CDSYNC_CHECK;
/* The inclusion proof file of the bundle with this hash against the
 * checkpoint of the log as it is now (which the file carries), into
 * *file (*len bytes, freed with cdsync_free). */
CDSYNC_API int cdsync_tlog_inclusion(cdsync *db,
				     const uint8_t bundle_hash[32],
				     uint8_t **file, size_t *len) CDSYNC_CHECK;
/* The consistency proof file from the tree of the first old_size leaves
 * to the log as it is now (whose checkpoint the file carries), into *file
 * (*len bytes, freed with cdsync_free). */
CDSYNC_API int cdsync_tlog_consistency(cdsync *db, uint64_t old_size,
				       uint8_t **file,
				       size_t *len) CDSYNC_CHECK;

/*
 * More on the calls above:
 *  - They need a node (CDSYNC_ENOTINIT).  The signing ones
 *    (cdsync_tlog_checkpoint, _inclusion, _consistency) need the secret
 *    keys (CDSYNC_ELOCKED, CDSYNC_EPASSWORD).  Each reads the log in one
 *    transaction of its own (or a savepoint inside cdsync_begin), so a
 *    proof and the checkpoint it carries are of one tree.
 *  - Checkpoints: Ed25519 is deterministic, so the same log gives the
 *    same bytes however often it is asked.  Every tree head signed is
 *    kept in the store; should the store hold another root for a size it
 *    signed before, nothing is signed (CDSYNC_ECORRUPT).
 *  - cdsync_tlog_inclusion: CDSYNC_ENOTFOUND as cdsync_tlog_index.
 *  - cdsync_tlog_consistency: old_size 0 gives a file with an empty proof
 *    (what a witness is sent first; it proves nothing);
 *    CDSYNC_EINVAL when old_size is larger than the log.
 *  - A store upgraded from before the log gives the bundles it took in
 *    before their leaves, in the order it took them in, at the first of
 *    these calls or of a bundle taken in (one write; a store opened
 *    read-only answers CDSYNC_EREADONLY until then).
 *  - On failure *note / *file is NULL, *len 0, and cdsync_errmsg says
 *    what and where.
 */

/* The origin of a hub's log, which is also the name of its key:
 * "cdsync.vn/hub/" CODE "/" NODE (SPEC.md §12.4), CODE the hub's org
 * code percent-encoded, NODE its node id in hex, into out[n] (n >=
 * CDSYNC_TLOG_ORIGINBYTES is always enough).  CDSYNC_OK, or
 * CDSYNC_EINVAL (out "") for an empty code or one over 255 bytes, or n
 * too small. */
CDSYNC_API int cdsync_tlog_origin(const char *org_code,
				  const uint8_t node[16], char *out,
				  size_t n) CDSYNC_CHECK;

/*
 * The offline checks of an auditor (SPEC.md §12.6), without a store:
 * hub_sign_pk is the hub's signing key and origin the hub's origin
 * (cdsync_tlog_origin of its org code and node id), both from the
 * catalog.  Each returns CDSYNC_OK and fills its outputs (NULL: not
 * wanted), or, with the outputs zeroed and err[errlen] (if not NULL)
 * saying what and where ("inclusion proof line 4: not a base64 hash"):
 *   CDSYNC_EINVAL     no key, or no origin
 *   CDSYNC_EBADINPUT  the proof file does not read (its checkpoint aside)
 *   CDSYNC_EBADSIG    the checkpoint is damaged, not signed by that key
 *                     under that origin, or of another log; or the proof
 *                     does not hold
 * Thread-safe: they share nothing.
 */

/* Checks a checkpoint; *out its origin, size and root. */
CDSYNC_API int cdsync_tlog_check_checkpoint(const uint8_t *note, size_t len,
					    const uint8_t hub_sign_pk[32],
					    const char *origin,
					    cdsync_tlog_head *out, char *err,
					    size_t errlen) CDSYNC_CHECK;
/* Checks an inclusion proof file: its checkpoint (*head), and that its
 * leaf (*entry) is leaf entry->index of that tree.  Compare the entry
 * with the bundle's receipt: the same hash, sender, number and seen_ms. */
CDSYNC_API int cdsync_tlog_check_inclusion(const uint8_t *file, size_t len,
					   const uint8_t hub_sign_pk[32],
					   const char *origin,
					   cdsync_tlog_head *head,
					   cdsync_tlog_entry *entry, char *err,
					   size_t errlen) CDSYNC_CHECK;
/* Checks a consistency proof file against trusted[0..trusted_len), the
 * last checkpoint of that hub the caller trusts (itself checked here):
 * the file must be from its size, and its checkpoint (*out: trust it
 * from now on) of the same log, no smaller, and extend it.  A trusted
 * tree of size 0 proves nothing: CDSYNC_EBADSIG. */
CDSYNC_API int cdsync_tlog_check_consistency(const uint8_t *file, size_t len,
					     const uint8_t hub_sign_pk[32],
					     const char *origin,
					     const uint8_t *trusted,
					     size_t trusted_len,
					     cdsync_tlog_head *out, char *err,
					     size_t errlen) CDSYNC_CHECK;

/*
 * A receipt and the inclusion proof of its bundle, checked offline
 * (SPEC.md §12.6 step 3): cdsync_export at a hub writes, beside each
 * receipt-CODE-SEQ.cdsr, receipt-CODE-SEQ.tlog-proof, the proof of that
 * bundle against the checkpoint of the log at the time of the export.
 *
 * cdsync_receipt_check reads the receipt file (as cdsync_receipt_read:
 * its layout and its signature by the key it names), then needs the hub
 * to be known here -- this node itself, or a node of the catalog (or
 * added with 'peer add') -- for its org code, whence the origin of its
 * log (cdsync_tlog_origin), and for its key: the receipt's must be the
 * key known for it, now or before a hand-over, and the proof's checkpoint
 * must be signed with the key known now.  Then the proof file
 * (cdsync_tlog_check_inclusion against that key and origin), whose leaf
 * must be the one rebuilt from the receipt (its hash, sender, number and
 * seen_ms) and, for a receipt of version 2, whose index must be the leaf
 * the receipt says.  Nothing is kept.  CDSYNC_OK with *receipt (what the
 * receipt says), *head (the checkpoint) and *entry (the leaf proven, its
 * index) filled (each may be NULL); or, with them zeroed and the message
 * naming the file and what fails:
 *   CDSYNC_ENOTFOUND, CDSYNC_EIO   a file cannot be read
 *   CDSYNC_EBADINPUT   the receipt or the proof file does not read
 *   CDSYNC_EBADSIG     the receipt's signature does not verify; the
 *                      proof does not hold (its checkpoint is not the
 *                      hub's, or does not lead to its root); or it holds
 *                      for another leaf than the receipt's, or at another
 *                      index than the receipt says
 *   CDSYNC_EUNKNOWNKEY this store does not know the hub (so neither the
 *                      origin of its log), or not the key that signed
 *   CDSYNC_ENOTINIT    this store has no node
 *   CDSYNC_EINVAL      no receipt path, or no proof path
 */
CDSYNC_API int cdsync_receipt_check(cdsync *db, const char *receipt_path,
				    const char *proof_path,
				    cdsync_receipt_info *receipt,
				    cdsync_tlog_head *head,
				    cdsync_tlog_entry *entry) CDSYNC_CHECK;

/* ==== Witnesses ======================================================= */

/*
 * Hubs witness the log of the hubs above them (SPEC.md §12.9), so that a
 * hub cannot show one history to some and another to others unnoticed:
 * each district hub cosigns the national hub's checkpoints
 * (c2sp.org/tlog-cosignature@v1) once it has checked that each extends
 * the last one it cosigned, and the audit requires the cosignatures of
 * as many witnesses as the auditor asks (cdsync_audit_dir).
 *
 *  - cdsync_witness_from: at a hub, the size of the newest checkpoint of
 *    a hub above that it took (0: none yet); the consistency proof it
 *    asks for (GET /proof/consistency/SIZE) starts there, and, should the
 *    hub that answers be another (a move in the tree), again from the
 *    size cdsync_witness_cosign says this hub holds of that one.
 *  - cdsync_witness_cosign: at a hub, with its keys: that proof file
 *    (SPEC.md §12.5), checked as cdsync_checkpoint_take checks one from
 *    below (from the size held, *held_out; CDSYNC_EINVAL from another;
 *    CDSYNC_EBADSIG when it does not extend it: a log rewritten or shown
 *    in two versions, nothing cosigned), kept, and cosigned: *note is the
 *    checkpoint with this hub's cosignature line (freed with
 *    cdsync_free), what the hub above takes (POST /cosignature).
 *  - cdsync_tlog_cosigned_take: at the hub whose log it is: a checkpoint
 *    it signed (that size and root), with cosignatures; each line of a
 *    witness (every other hub of the catalog, not revoked) must verify,
 *    and those lines are kept (the newest 16 sizes of each witness);
 *    *witnesses: how many witnesses have now cosigned that size.  CDSYNC_EBADSIG (a signature does not verify),
 *    CDSYNC_ENOTFOUND (no such tree head signed here),
 *    CDSYNC_EUNKNOWNKEY (no line of a known witness).
 *  - cdsync_tlog_cosigned_at: the checkpoint of `size` this hub signed
 *    (UINT64_MAX: of the log as it is now), with every cosignature kept
 *    for it; CDSYNC_ENOTFOUND when this hub signed none of that size.
 *  - cdsync_tlog_witnessed: the largest size of this hub's log that any
 *    witness cosigned, and how many did (0 and 0: none yet).
 *  - CDSYNC_ESCOPE at a node that is not a hub.
 */
CDSYNC_API int cdsync_witness_from(cdsync *db, uint64_t *size) CDSYNC_CHECK;
CDSYNC_API int cdsync_witness_cosign(cdsync *db, const uint8_t *file,
				     size_t len, uint8_t **note,
				     size_t *note_len,
				     uint64_t *held_out) CDSYNC_CHECK;
CDSYNC_API int cdsync_tlog_cosigned_take(cdsync *db, const uint8_t *note,
					 size_t len,
					 size_t *witnesses) CDSYNC_CHECK;
CDSYNC_API int cdsync_tlog_cosigned_at(cdsync *db, uint64_t size,
				       uint8_t **note,
				       size_t *len) CDSYNC_CHECK;
CDSYNC_API int cdsync_tlog_witnessed(cdsync *db, uint64_t *size,
				     size_t *witnesses) CDSYNC_CHECK;

/* ==== Member import =================================================== */

typedef struct cdsync_import cdsync_import;

#define CDSYNC_IMPORT_SKIP_BAD 0x1 /* import good lines, report bad ones */
#define CDSYNC_IMPORT_DRY_RUN 0x2  /* check everything, write nothing */

/*
 * Imports a member list (CSV as spreadsheets write it: UTF-8 with or
 * without BOM, comma, semicolon or tab separated, CRLF or LF, quoted
 * fields) into this node's union.  Members are matched by code, or by name
 * and birth year when the file has no code, so importing a file again adds
 * nobody twice and updates what changed.  If any line is bad, nothing is
 * imported (CDSYNC_EBADINPUT) unless CDSYNC_IMPORT_SKIP_BAD is given; the
 * report lists every bad line either way.  *report_out is set (free it
 * with cdsync_import_free) whenever the lines could be checked: on
 * CDSYNC_OK, and on CDSYNC_EBADINPUT for bad lines.  A file refused as a
 * whole (empty, not CSV, no column for the name) gives CDSYNC_EBADINPUT,
 * no report, and a message naming the file and the reason.
 */
CDSYNC_API int cdsync_member_import(cdsync *db, const char *path,
				    unsigned flags,
				    cdsync_import **report_out) CDSYNC_CHECK;
CDSYNC_API void cdsync_import_free(cdsync_import *rep);
/* Counts: lines read, members added, updated, unchanged, bad lines. */
CDSYNC_API void cdsync_import_counts(const cdsync_import *rep, size_t *lines,
				     size_t *added, size_t *updated,
				     size_t *unchanged, size_t *bad);
/* The i-th bad line: its number in the file and the reason; NULL past the
 * end. */
CDSYNC_API const char *cdsync_import_bad(const cdsync_import *rep, size_t i,
					 size_t *line_out);

/* ==== KPIs ============================================================ */

typedef struct cdsync_kpis cdsync_kpis;

typedef struct cdsync_kpi {
	const char *id;		/* "P2.U.care" (DOMAIN.md) */
	const char *label;	/* translated description */
	int is_share;		/* 1: value and target are percentages */
	double value;		/* percent, or a count */
	double target;		/* percent, or a count */
	int met;		/* value reaches target */
	int64_t num, den;	/* what the value was computed from */
	int applies;		/* 1: a target for this org unit's level (the
				 * P2.N counts are the national union's) */
} cdsync_kpi;

/*
 * Computes the KPIs of DOMAIN.md for the org unit `org_code` (NULL: this
 * node's) over `period`, counting what is recorded up to `as_of`
 * ("YYYY-MM-DD" or dd/mm/yyyy; NULL: the end of the period).  Shares of
 * unions count each grassroots union under the org unit once.
 * The figures follow the tree of `as_of` (NULL: of today), with the tree
 * changes up to that day (cdsync_tree_open): a merged unit's records
 * count as those of the unit it was merged into, and a grassroots union
 * merged into another is not a union of its own any more.  An org unit
 * merged away by then has no figures of its own: CDSYNC_ENOTFOUND, with
 * a message naming the unit it is part of.
 */
CDSYNC_API int cdsync_kpi_compute(cdsync *db, const char *org_code,
				  const char *period, const char *as_of,
				  cdsync_kpis **kpis_out) CDSYNC_CHECK;
CDSYNC_API size_t cdsync_kpi_count(const cdsync_kpis *k);
CDSYNC_API const cdsync_kpi *cdsync_kpi_at(const cdsync_kpis *k, size_t i);
/* The window the figures cover, as "YYYY-MM-DD". */
CDSYNC_API const char *cdsync_kpi_from(const cdsync_kpis *k);
CDSYNC_API const char *cdsync_kpi_to(const cdsync_kpis *k);
/* Extra figures: care money per member (VND), activities of each kind. */
CDSYNC_API int64_t cdsync_kpi_care_per_member(const cdsync_kpis *k);
CDSYNC_API int64_t cdsync_kpi_kind_count(const cdsync_kpis *k,
					 const char *activity_kind);
CDSYNC_API void cdsync_kpi_free(cdsync_kpis *k);

/* ==== The nightly rollup ============================================= */

/*
 * Every KPI of every org unit for every period of the programme term
 * 2023-2028 (the term, its school years, calendar years and quarters),
 * kept in the store: the same figures as cdsync_kpi_compute without an
 * as-of date, under the tree of the day of the rollup.  cdsync_rollup
 * brings them up to date: each record added since the last rollup is
 * added to its unit's figures, the units with records changed or removed
 * are counted again (the store keeps both, in the transaction of each
 * write); everything with `full`, when there is no rollup yet, or when
 * the tree changed other than by new units.  fn (may be NULL) is called
 * after each unit recomputed; *st (may be NULL) says what was done.  One
 * write transaction: not inside cdsync_begin.  cdsync_rollup_kpis reads
 * one unit's figures from the last rollup: CDSYNC_ENOTFOUND with no
 * rollup yet, for a period outside the term, or a unit not in it.
 */
typedef struct cdsync_rollup_stats {
	int full;		/* 1: everything was recomputed */
	size_t units;		/* org units in the tree */
	size_t recomputed;	/* units whose own figures were recomputed */
	size_t rows;		/* rows added, each to its unit's figures */
	size_t periods;		/* periods kept for each */
} cdsync_rollup_stats;
typedef void (*cdsync_rollup_fn)(void *ctx, size_t done, size_t total);
CDSYNC_API int cdsync_rollup(cdsync *db, int full, cdsync_rollup_fn fn,
			     void *ctx, cdsync_rollup_stats *st) CDSYNC_CHECK;
CDSYNC_API int cdsync_rollup_kpis(cdsync *db, const char *org_code,
				  const char *period,
				  cdsync_kpis **out) CDSYNC_CHECK;
/* How fresh the rollup is: when it was last brought up to date, and what
 * changed since (records added, units with records changed or removed).
 * made_ms 0: no rollup yet. */
typedef struct cdsync_rollup_state {
	int64_t made_ms;	/* ms since the epoch; 0 none */
	size_t added;		/* records added since */
	size_t changed;		/* units with records changed since */
} cdsync_rollup_state;
CDSYNC_API int cdsync_rollup_info(cdsync *db,
				  cdsync_rollup_state *out) CDSYNC_CHECK;

/* ==== Rollup snapshots ================================================ */

/*
 * A hub's signed statement of its rollup (SPEC.md §14): the figures of
 * every org unit of its subtree for every period of the term, with what
 * they were computed from -- a checkpoint of the hub's log, the hash of
 * its catalog, the tree's day, and for each node whose bundles count the
 * last bundle merged.  Deterministic: the same inputs give the same
 * bytes.  The hub above takes the checkpoint (a consistency proof from
 * the last one it took of that hub), then the snapshot, and checks it by
 * recomputing the figures from the school bundles it merged itself.
 *
 *  - cdsync_snapshot_make: at a hub, with the secret keys.  Brings the
 *    rollup up to date first; refused (CDSYNC_EINVAL) while the hub's
 *    own writes are not all sealed in bundles.  org_code NULL: this
 *    hub's union.  Kept (the newest 60) for cdsync_snapshot_latest.
 *  - cdsync_snapshot_proof: at the hub that made it, the consistency
 *    proof file (SPEC.md §12.5) from size `old` to the snapshot's
 *    checkpoint; what cdsync_checkpoint_take wants above.
 *  - cdsync_checkpoint_take: at the hub above, a consistency proof file
 *    of a hub below: from the size of the last checkpoint taken of that
 *    hub (0 at first; *held_out says which; CDSYNC_EINVAL when it is
 *    from another), checked with the hub's key of the catalog
 *    (CDSYNC_EUNKNOWNKEY, CDSYNC_ESCOPE for a node not a hub below,
 *    CDSYNC_EBADSIG when it does not hold: a log rewritten).
 *  - cdsync_snapshot_take: a snapshot of a hub below, whose checkpoint
 *    was taken (CDSYNC_EGAP if not; CDSYNC_EBADSIG for a second root of
 *    one size); CDSYNC_EREPLAY for one taken before.
 *  - cdsync_snapshot_check: recomputes it: every bundle it names must be
 *    merged here (else state WAITING, or DIFFERS for another bundle of
 *    that number), then the figures from exactly those bundles' changes
 *    under the tree of its day, cell by cell (DIFFERS, naming each cell:
 *    cdsync_snapshot_diff_at) or SAME.  _check_all does it for every
 *    snapshot new or waiting.  A transaction of its own.
 */
enum {
	CDSYNC_SNAP_NEW = 0,
	CDSYNC_SNAP_WAITING = 1,	/* a bundle it names is not here yet */
	CDSYNC_SNAP_SAME = 2,		/* recomputed: the same figures */
	CDSYNC_SNAP_DIFFERS = 3		/* recomputed: cells differ */
};
typedef struct cdsync_snapshot_info {
	uint8_t hash[32];	/* BLAKE2b-256 of its bytes */
	uint8_t hub[16];	/* the hub that signed it */
	char hub_code[256];	/* its org code (taken ones) */
	char org[256];		/* the root unit of the figures */
	char day[16];		/* the tree's day, YYYY-MM-DD */
	uint64_t tree_size;	/* its checkpoint: size and root */
	uint8_t root[32];
	size_t units, heads;
	size_t sheets;		/* catalog sheets it carries (SPEC §14.1) */
	int state;		/* CDSYNC_SNAP_* (taken ones) */
	size_t ndiff;		/* cells that differ */
	char note[512];		/* the first difference, or what waits */
	int64_t taken_ms, checked_ms;
} cdsync_snapshot_info;
typedef struct cdsync_snapshot_diff {
	char unit[256];		/* org code */
	char period[24];	/* "2025-2026", "2026-Q1", ... */
	char field[32];		/* "P2.U.care", "members", ... */
	int64_t signed_value;	/* what the snapshot says */
	int64_t computed;	/* what the bundles give */
} cdsync_snapshot_diff;

CDSYNC_API int cdsync_snapshot_make(cdsync *db, const char *org_code,
				    uint8_t **out, size_t *len) CDSYNC_CHECK;
CDSYNC_API int cdsync_snapshot_latest(cdsync *db, uint8_t **out,
				      size_t *len) CDSYNC_CHECK;
CDSYNC_API int cdsync_snapshot_proof(cdsync *db, const uint8_t *snapshot,
				     size_t len, uint64_t old, uint8_t **file,
				     size_t *file_len) CDSYNC_CHECK;
/* Layout and signature only (by the key it names), without a store. */
CDSYNC_API int cdsync_snapshot_read(const uint8_t *bytes, size_t len,
				    cdsync_snapshot_info *out, char *err,
				    size_t errlen) CDSYNC_CHECK;
CDSYNC_API int cdsync_checkpoint_take(cdsync *db, const uint8_t *file,
				      size_t len,
				      uint64_t *held_out) CDSYNC_CHECK;
CDSYNC_API int cdsync_snapshot_take(cdsync *db, const uint8_t *bytes,
				    size_t len,
				    uint8_t hash_out[32]) CDSYNC_CHECK;
CDSYNC_API int cdsync_snapshot_check(cdsync *db, const uint8_t hash[32],
				     cdsync_snapshot_info *out) CDSYNC_CHECK;
CDSYNC_API int cdsync_snapshot_check_all(cdsync *db, size_t *checked,
					 size_t *differ) CDSYNC_CHECK;
/* A snapshot file written by 'cdsync export' at a hub below: its
 * checkpoint taken first with the proof beside it
 * (checkpoint-CODE-FROM-SIZE.tlog-consistency, FROM the size held here;
 * CDSYNC_EGAP when it is missing), then the snapshot taken and checked
 * (*out; CDSYNC_OK whatever the check found: see out->state). */
CDSYNC_API int cdsync_snapshot_import(cdsync *db, const char *path,
				      cdsync_snapshot_info *out) CDSYNC_CHECK;
/* How many snapshots taken from below are in each state (counts[state],
 * CDSYNC_SNAP_*).  The newest 30 of each hub are kept, and every one that
 * differs. */
CDSYNC_API int cdsync_snapshot_counts(cdsync *db,
				      size_t counts[4]) CDSYNC_CHECK;
/* The i-th snapshot taken, newest first; CDSYNC_ENOTFOUND past the end. */
CDSYNC_API int cdsync_snapshot_at(cdsync *db, size_t i,
				  cdsync_snapshot_info *out) CDSYNC_CHECK;
/* The i-th difference found (at most 1,000 kept); CDSYNC_ENOTFOUND past
 * the end. */
CDSYNC_API int cdsync_snapshot_diff_at(cdsync *db, const uint8_t hash[32],
				       size_t i,
				       cdsync_snapshot_diff *out) CDSYNC_CHECK;

/* ==== The audit ====================================================== */

/*
 * An auditor's check of a folder of files (SPEC.md §15), trusting no hub:
 * only the national root, by its fingerprint (read out by phone, as at
 * enrolment).  Offline, without a store of the caller's: the catalogs
 * (*.cdsa) are checked from the root; every bundle (*.cdsb) for its
 * signature by the key the catalog gives its sender; every receipt
 * (*.cdsr) with the inclusion proof beside it (*.tlog-proof) against its
 * hub's key and log; every snapshot (*.cdss) for its signature and its
 * checkpoint; every consistency proof (*.tlog-consistency) against a
 * checkpoint of the same log in the files.  Then together: each sender's
 * chain whole (from 1, no gap, each naming the one before, one bundle per
 * number); each receipt "merged" with its bundle among the files, the
 * same one; no bundle first logged after its signer's key was revoked;
 * one root per size of each hub's log.  fn (may be NULL) gets every
 * failure; prog (may be NULL) each file done.  CDSYNC_OK when the audit
 * ran -- then *out says what was checked and how many failures (0: all
 * holds) -- or, with err saying why: CDSYNC_ENOTFOUND (no folder, or no
 * catalog with the root of that fingerprint), CDSYNC_ENOMEM, CDSYNC_EINVAL.
 * With `auditor` (may be NULL), the store of a node of role
 * CDSYNC_ROLE_AUDITOR, its keys unlocked: every snapshot's figures are
 * counted again from exactly the bundles it names among the files,
 * opened with those keys (every bundle sealed after the national union
 * enrolled the auditor is encrypted to it), cell by cell; each cell that
 * differs is a failure ("UNIT, PERIOD, FIELD: signed N, counted from the
 * bundles M").  A snapshot whose bundles are not all among the files, or
 * not all encrypted to the auditor, is counted as not recounted, with the
 * first reason in out->why.
 * Every checkpoint's cosignatures by witnesses (the other hubs of the
 * catalog, SPEC.md §12.9) are checked; one that does not verify is a
 * failure.  With `witnesses` > 0, each receipt of the national hub must
 * be of a bundle logged in a tree that many witnesses vouch for: that
 * many distinct witnesses each cosigned a checkpoint among the files
 * larger than the bundle's leaf, the same tree as its inclusion proof's
 * or linked to it by a consistency proof among the files; else a
 * failure of the receipt.
 */
typedef struct cdsync_audit_item {
	const char *file;	/* in the folder */
	const char *what;	/* "bundle", "receipt", "snapshot",
				 * "checkpoint", "catalog" */
	char node[80];		/* the node it is about ("" none) */
	uint64_t seq;		/* its bundle number or tree size (0 none) */
	const char *reason;	/* translated */
} cdsync_audit_item;
typedef void (*cdsync_audit_fn)(void *ctx, const cdsync_audit_item *it);
typedef void (*cdsync_audit_progress_fn)(void *ctx, size_t done,
					 size_t total);
typedef struct cdsync_audit_summary {
	size_t catalogs, older;	/* taken; older editions beside newer */
	size_t bundles, nodes;	/* bundle files; their senders */
	size_t repeated;	/* bundle files that are another's bundle
				 * again (a replay): counted once */
	size_t receipts, proofs;
	size_t snapshots;
	size_t checkpoints, hubs;	/* read in all the files; their logs */
	size_t consistency;	/* consistency proofs checked */
	size_t unchecked;	/* ... without a checkpoint to start from */
	size_t cosignatures;	/* witnesses' cosignatures that verified */
	uint64_t witnessed;	/* with `witnesses`: the national log is
				 * witnessed up to this many leaves, as far as
				 * the receipts among the files go */
	size_t recounted;	/* snapshots counted again (with `auditor`) */
	size_t unrecounted;	/* ... that could not be: *why the first */
	char why[600];
	size_t failures;
} cdsync_audit_summary;
CDSYNC_API int cdsync_audit_dir(const char *dir, const char *root_fingerprint,
				size_t witnesses, cdsync *auditor,
				cdsync_audit_fn fn,
				cdsync_audit_progress_fn prog, void *ctx,
				cdsync_audit_summary *out, char *err,
				size_t errlen) CDSYNC_CHECK;

/* At a hub: an audit pack for the subtree of org_code (NULL: this hub's
 * union) into dir (made if missing): the bundles of every node of that
 * subtree that this hub holds, whole chains, each with this hub's receipt
 * and inclusion proof; the snapshots of the subtree's hub (this hub's own
 * with the proofs of its checkpoint, or those taken from the hub below);
 * this hub's checkpoint (checkpoint-CODE-SIZE.checkpoint); the whole
 * catalog; in verify/
 * what stock tools need (each signer's key as PEM, each bundle's signed
 * header and signature, the checkpoint's signed text and signature); a
 * README; and MANIFEST.sha256 of every file (sha256sum -c).  `period`
 * (may be NULL) is written in PACK.txt: the pack holds whole chains,
 * whatever the period.  *files: the files in the pack.  CDSYNC_ENOTFOUND
 * for a code the catalog does not have, CDSYNC_ESCOPE at a school. */
CDSYNC_API int cdsync_audit_pack(cdsync *db, const char *org_code,
				 const char *period, const char *dir,
				 size_t *files) CDSYNC_CHECK;

/* Files as the library writes them: atomically (a temporary file beside,
 * fsync, rename, fsync of the folder), a file with the same bytes left
 * alone; and read whole, at most max bytes (CDSYNC_EINVAL above). */
CDSYNC_API int cdsync_file_save(cdsync *db, const char *path,
				const uint8_t *bytes, size_t len) CDSYNC_CHECK;
CDSYNC_API int cdsync_file_load(cdsync *db, const char *path, size_t max,
				uint8_t **bytes, size_t *len) CDSYNC_CHECK;

/* ==== Tree changes: rename, move, merge ============================== */

/*
 * Org units are never rewritten: a unit keeps its id and its records.
 * Changes to the tree are records of their own (kind org_change), each
 * decided by one union and taking effect on a day, and the tree of any
 * date is computed from them: start from the org units under the parent
 * each was set up with (or enrolled under, as the catalog says), then
 * apply the changes up to that date in date order (one day's in the
 * order they were recorded).  A change counts only if the union that
 * recorded it is the national union or above the unit in the tree just
 * before it (for a rename, also the unit itself), and it keeps the tree
 * a tree; others are ignored and listed with the reason
 * (cdsync_tree_changes_open).  A merged unit's records count as those of
 * the unit it was merged into, and its children move under that unit.
 */

/*
 * Record a change decided by this node's union, effective on `date`
 * ("YYYY-MM-DD" or dd/mm/yyyy): the unit with code `code` takes the name
 * `name`; moves under the unit `parent_code`; merges into the unit
 * `into_code` (of the same level).  `note` may be NULL.  The change is
 * judged against the tree of its date with every change recorded so far
 * and must count, and must leave every change that counted counting.
 * Returns CDSYNC_OK, or, with nothing recorded:
 *   CDSYNC_ENOTFOUND   a code names no org unit of this store
 *   CDSYNC_EINVAL      a bad date or name
 *   CDSYNC_ESCOPE      this union is neither the national union nor above
 *                      the unit on that date (nor, for a rename, the unit)
 *   CDSYNC_ECONSTRAINT the unit is the national union (never moved or
 *                      merged) or was merged already; a move under
 *                      itself, under a unit below it (a cycle) or under a
 *                      grassroots union; a merge into itself, into a unit
 *                      below it or part of it, or into a unit of another
 *                      level; or a later change would no longer count
 *   CDSYNC_ENOTINIT, CDSYNC_EREADONLY, CDSYNC_EBUSY, CDSYNC_ENOMEM
 * cdsync_errmsg() names the units and the rule.
 */
CDSYNC_API int cdsync_org_rename(cdsync *db, const char *code,
				 const char *name, const char *date,
				 const char *note) CDSYNC_CHECK;
CDSYNC_API int cdsync_org_move(cdsync *db, const char *code,
			       const char *parent_code, const char *date,
			       const char *note) CDSYNC_CHECK;
CDSYNC_API int cdsync_org_merge(cdsync *db, const char *code,
				const char *into_code, const char *date,
				const char *note) CDSYNC_CHECK;

/* One unit of the tree of a date.  Read-only; valid until the next step
 * of its iterator. */
typedef struct cdsync_tree_unit {
	uint8_t id[16];
	const char *code;
	const char *name;	/* its name on that date */
	const char *level;	/* "national", "upper" or "grassroots" */
	const char *parent;	/* code of its parent on that date; NULL for a
				 * root, a parent this store does not know,
				 * and a merged unit */
	const char *merged_into; /* code of the unit it is part of since a
				  * merger on or before that date, or NULL */
	const char *merged_on;	/* "YYYY-MM-DD" of that merger, or NULL */
	int depth;		/* 0 for a root; a merged unit is one below
				 * the unit it is part of */
} cdsync_tree_unit;

typedef struct cdsync_tree cdsync_tree;
/* The tree as it is on `as_of` ("YYYY-MM-DD" or dd/mm/yyyy; NULL: today),
 * depth first from the roots: each unit, then the units merged into it,
 * then its children, by code.  Works on read-only stores.  CDSYNC_EINVAL
 * for a bad date. */
CDSYNC_API int cdsync_tree_open(cdsync *db, const char *as_of,
				cdsync_tree **it_out) CDSYNC_CHECK;
/* CDSYNC_OK with *unit_out (owned by the iterator), or CDSYNC_DONE. */
CDSYNC_API int cdsync_tree_next(cdsync_tree *it,
				const cdsync_tree_unit **unit_out) CDSYNC_CHECK;
CDSYNC_API void cdsync_tree_close(cdsync_tree *it);

/* One recorded change with its verdict.  Read-only; valid until the
 * iterator is closed.  A unit this store does not know is shown as "…"
 * and the last 8 hex digits of its id. */
typedef struct cdsync_tree_change {
	uint8_t id[16];		/* the org_change record */
	char effective_on[11];	/* "YYYY-MM-DD" */
	const char *change;	/* "rename", "move" or "merge" */
	const char *author;	/* code of the union that recorded it */
	const char *subject;	/* code of the unit changed */
	const char *name;	/* rename: the new name, else NULL */
	const char *parent;	/* move: code of the new parent, else NULL */
	const char *into;	/* merge: code of the unit, else NULL */
	const char *note;	/* or NULL */
	int applied;		/* 1: part of the tree; 0: ignored */
	const char *reason;	/* ignored: why (translated), else NULL */
} cdsync_tree_change;

typedef struct cdsync_tree_changes cdsync_tree_changes;
/* Every recorded change, in the order the tree applies them. */
CDSYNC_API int cdsync_tree_changes_open(cdsync *db,
					cdsync_tree_changes **it_out)
	CDSYNC_CHECK;
CDSYNC_API int cdsync_tree_changes_next(cdsync_tree_changes *it,
					const cdsync_tree_change **change_out)
	CDSYNC_CHECK;
CDSYNC_API void cdsync_tree_changes_close(cdsync_tree_changes *it);

/* ==== Reports ========================================================= */

/*
 * A report is what people read at any node, typically a district or the
 * national hub: for one org unit, a period and an as-of date, its KPI
 * figures (cdsync_kpi_compute), the same figures for each unit directly
 * under it in the tree of the date (each over its own subtree), the
 * grassroots unions under it that have not reported and since when, and
 * its figures for each school year of the 2023-2028 term up to the
 * period's.  Data only: the CLI renders it (HTML, XLSX, CSV, JSON).
 *
 * Not reported.  The unions of a report are the grassroots unions at or
 * below the unit in the tree of the date (those the KPIs count), and the
 * schools the store knows only from the catalog: enrolled (on or before
 * the as-of day) under a unit of that subtree, whose org unit the store
 * does not hold (none of their records came).  The nodes of a union are the nodes this store knows
 * whose org code is the union's, or that of a unit merged into it.  A
 * union has reported when this store took in a bundle of one of its
 * nodes (from the school, or forwarded by a hub below), and merged it, on
 * a day (local time, this store's clock: when it first took it in) from
 * the first day of the period's window on.  That is judged on what the
 * store holds now, as the figures are (they count records by their own
 * dates, whenever those arrived): a bundle taken in after the as-of day
 * counts too.  A union that has not is listed with the day of its newest
 * merged bundle (NULL: never), and the bundles of it held waiting for an
 * earlier one.  This node's own union has always reported: its records
 * are written here.
 */
typedef struct cdsync_report cdsync_report;

/* A unit of a report.  Owned by the report; valid until it is freed. */
typedef struct cdsync_report_unit {
	const char *code;
	const char *name;	/* its name on the as-of date */
	const char *level;	/* "national", "upper" or "grassroots" */
	const cdsync_kpis *kpis; /* its figures, over its whole subtree (the
				  * cdsync_kpi_* accessors read them; never
				  * cdsync_kpi_free them) */
} cdsync_report_unit;

/* A union that has not reported.  Owned by the report. */
typedef struct cdsync_report_missing {
	const char *code;
	const char *name;	/* on the as-of date, or as enrolled */
	const char *under;	/* code of the unit directly under the
				 * report's unit that holds it (itself when it
				 * is one); NULL when the report is of this
				 * union itself */
	const char *last_day;	/* "YYYY-MM-DD": the day this store took in
				 * its newest merged bundle (before the
				 * window); NULL: never */
	int64_t last_ms;	/* that moment, ms since the epoch by this
				 * store's clock; 0: never */
	int64_t held;		/* its bundles held waiting for an earlier
				 * one (not in the figures yet) */
	int known;		/* 1: the store holds its org unit; 0: known
				 * from its enrolment in the catalog only */
} cdsync_report_missing;

/* One school year of the trend.  Owned by the report. */
typedef struct cdsync_report_year {
	const char *year;	/* "2023-2024" */
	const cdsync_kpis *kpis; /* the unit's figures for that school year,
				  * cut at the as-of date */
} cdsync_report_year;

/*
 * Computes the report of the org unit `org_code` (NULL: this node's) over
 * `period` (as cdsync_kpi_compute reads it: "2025-2026", "2025",
 * "2025-Q3", "2023-2028"), counting what is recorded up to `as_of`
 * ("YYYY-MM-DD" or dd/mm/yyyy; NULL: the end of the period), under the
 * tree of `as_of` (NULL: of today), exactly as cdsync_kpi_compute
 * counts; all figures are read from one state of the store.  Works on
 * read-only stores.  Returns CDSYNC_OK and *report_out (free it with
 * cdsync_report_free), or, with *report_out NULL:
 *   CDSYNC_EINVAL     a bad period or as-of date, or an as-of date before
 *                     the period
 *   CDSYNC_ENOTFOUND  no org unit has that code, or the tree of the date
 *                     has merged it into another (the message names it)
 *   CDSYNC_ENOTINIT   no org_code and the store has no node
 *   CDSYNC_ENOMEM, CDSYNC_EBUSY, CDSYNC_ECORRUPT, CDSYNC_ERROR
 * cdsync_errmsg() says what failed and for which unit and school year.
 */
CDSYNC_API int cdsync_report_compute(cdsync *db, const char *org_code,
				     const char *period, const char *as_of,
				     cdsync_report **report_out) CDSYNC_CHECK;
/* The same report with its figures read from the last rollup
 * (cdsync_rollup) instead of counted: at once at a national hub.  No
 * as-of date; `period` one the rollup keeps (CDSYNC_ENOTFOUND otherwise,
 * or for a unit newer than the last rollup). */
CDSYNC_API int cdsync_report_from_rollup(cdsync *db, const char *org_code,
					 const char *period,
					 cdsync_report **report_out) CDSYNC_CHECK;
CDSYNC_API void cdsync_report_free(cdsync_report *r);
/* The period's canonical name ("2025-2026"), and the as-of date
 * ("YYYY-MM-DD", NULL when none was given). */
CDSYNC_API const char *cdsync_report_period(const cdsync_report *r);
CDSYNC_API const char *cdsync_report_as_of(const cdsync_report *r);
/* The unit of the report, with its figures. */
CDSYNC_API const cdsync_report_unit *
cdsync_report_org(const cdsync_report *r);
/* The units directly under it in the tree of the date, by code (none for
 * a grassroots union); NULL past the last. */
CDSYNC_API size_t cdsync_report_child_count(const cdsync_report *r);
CDSYNC_API const cdsync_report_unit *
cdsync_report_child_at(const cdsync_report *r, size_t i);
/* The unions of the report (the tree's and the catalog's), and those that
 * have not reported: never first, then the oldest, then by code. */
CDSYNC_API size_t cdsync_report_union_count(const cdsync_report *r);
CDSYNC_API size_t cdsync_report_missing_count(const cdsync_report *r);
CDSYNC_API const cdsync_report_missing *
cdsync_report_missing_at(const cdsync_report *r, size_t i);
/* The trend: the school years from 2023-2024 to the one holding the last
 * day of the window (none for a period ending before 1 Sept 2023). */
CDSYNC_API size_t cdsync_report_year_count(const cdsync_report *r);
CDSYNC_API const cdsync_report_year *
cdsync_report_year_at(const cdsync_report *r, size_t i);

#ifdef __cplusplus
}
#endif
#endif
