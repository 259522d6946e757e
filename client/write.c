/* write.c -- insert, update, delete and read rows, capturing every write.
 *
 * Contract: a public write either lands whole -- the row(s) and one
 * sync_change row per written row, stamped with one tick of the node's
 * hybrid logical clock -- or leaves nothing at all.  Outside a
 * cdsync_begin() transaction each write is its own BEGIN IMMEDIATE ...
 * COMMIT; inside one it is a savepoint, so a failed write is undone while
 * the caller's transaction stays usable.
 *
 * Values are checked before SQLite sees them (types and ranges when a
 * field is set, rec.c; required fields, references, duplicates and rules
 * across fields here), so messages say which field and why.  The
 * schema's constraints and triggers stay as the backstop.
 *
 * The insert path is the hot one (recording a year of activities, CSV
 * imports): its statements are prepared once per handle and kept.
 */
#include "write.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "i18n.h"
#include "id.h"
#include "kinds.h"
#include "rec.h"
#include "record.h"
#include "text.h"

#define OP_SET 1
#define OP_DELETE 2

struct cds_stmts {
	sqlite3_stmt *ins[CDSYNC_KIND_MAX + 1];	   /* INSERT of all fields */
	sqlite3_stmt *get[CDSYNC_KIND_MAX + 1];	   /* SELECT by id */
	sqlite3_stmt *exists[CDSYNC_KIND_MAX + 1]; /* SELECT 1 by id */
	sqlite3_stmt *del[CDSYNC_KIND_MAX + 1];	   /* DELETE by id */
	sqlite3_stmt *change;			   /* INSERT INTO sync_change */
	sqlite3_stmt *base;			   /* a row's greatest HLC */
	sqlite3_stmt *save, *release;		   /* savepoint w */
	cds_buf buf;				   /* column set scratch */
};

/* ==== Statements ====================================================== */

static struct cds_stmts *
stmts(cdsync *db)
{
	if (db->st == NULL) {
		db->st = cds_calloc(1, sizeof *db->st);
		if (db->st == NULL)
			return NULL;
		cds_buf_init(&db->st->buf, 64u << 20);
	}
	return db->st;
}

/* The code of a kstmt that gave NULL: no room for the statements, or
 * SQLite's (its message is said already). */
static int
kstmt_code(cdsync *db)
{
	return db->st == NULL ? CDSYNC_ENOMEM : cds_sqlcode(db);
}

void
cds_write_end(cdsync *db)
{
	struct cds_stmts *s = db->st;
	int i;

	if (s == NULL)
		return;
	for (i = 0; i <= CDSYNC_KIND_MAX; i++) {
		sqlite3_finalize(s->ins[i]);
		sqlite3_finalize(s->get[i]);
		sqlite3_finalize(s->exists[i]);
		sqlite3_finalize(s->del[i]);
	}
	sqlite3_finalize(s->change);
	sqlite3_finalize(s->base);
	sqlite3_finalize(s->save);
	sqlite3_finalize(s->release);
	cds_buf_free(&s->buf);
	cds_free(s);
	db->st = NULL;
}

/* Column list "a, b, c" of a kind into buf. */
static void
collist(const struct cds_kind *k, char *buf, size_t n)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < k->nfields && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s",
					i ? ", " : "", k->fields[i].name);
}

/* Returns the cached statement of `what` ('i'nsert, 'g'et, 'e'xists,
 * 'd'elete) for kind k, preparing it on first use; NULL on failure with
 * the message set. */
static sqlite3_stmt *
kstmt(cdsync *db, const struct cds_kind *k, char what)
{
	struct cds_stmts *s = stmts(db);
	sqlite3_stmt **slot;
	char cols[1024], sql[2048];
	size_t i, off;

	if (s == NULL) {
		cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		return NULL;
	}
	slot = what == 'i' ? &s->ins[k->kind] : what == 'g' ? &s->get[k->kind]
	       : what == 'e' ? &s->exists[k->kind] : &s->del[k->kind];
	if (*slot != NULL) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
		return *slot;
	}
	collist(k, cols, sizeof cols);
	switch (what) {
	case 'i':
		off = (size_t)snprintf(sql, sizeof sql,
				       "INSERT INTO %s (%s) VALUES (?1", k->name,
				       cols);
		for (i = 1; i < k->nfields; i++)
			off += (size_t)snprintf(sql + off, sizeof sql - off,
						", ?%zu", i + 1);
		snprintf(sql + off, sizeof sql - off, ")");
		break;
	case 'g':
		snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1",
			 cols, k->name);
		break;
	case 'e':
		snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ?1",
			 k->name);
		break;
	default:
		snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = ?1",
			 k->name);
	}
	*slot = cds_prepare(db, sql);
	return *slot;
}

/* ==== Transactions around one write =================================== */

void
cds_write_idle(cdsync *db)
{
	struct cds_stmts *s = db->st;
	int i;

	if (s == NULL)
		return;
	for (i = 0; i <= CDSYNC_KIND_MAX; i++) {
		sqlite3_reset(s->ins[i]);
		sqlite3_reset(s->get[i]);
		sqlite3_reset(s->exists[i]);
		sqlite3_reset(s->del[i]);
	}
	sqlite3_reset(s->change);
	sqlite3_reset(s->base);
}

int
cds_save(cdsync *db)
{
	struct cds_stmts *s = stmts(db);

	if (s == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (!db->txdepth)
		return cds_exec(db, "BEGIN IMMEDIATE");
	if (s->save == NULL && (s->save = cds_prepare(db, "SAVEPOINT w")) ==
				       NULL)
		return CDSYNC_ERROR;
	sqlite3_reset(s->save);
	if (sqlite3_step(s->save) != SQLITE_DONE)
		return cds_sqlerr(db, "savepoint");
	return CDSYNC_OK;
}

int
cds_release(cdsync *db)
{
	struct cds_stmts *s = db->st;

	cds_write_idle(db);
	if (!db->txdepth)
		return cds_exec(db, "COMMIT");
	if (s->release == NULL &&
	    (s->release = cds_prepare(db, "RELEASE w")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_reset(s->release);
	if (sqlite3_step(s->release) != SQLITE_DONE)
		return cds_sqlerr(db, "savepoint");
	return CDSYNC_OK;
}

void
cds_undo(cdsync *db)
{
	cds_write_idle(db);
	sqlite3_exec(db->db, db->txdepth ? "ROLLBACK TO w; RELEASE w"
					 : "ROLLBACK", NULL, NULL, NULL);
}

/* ==== Capture ========================================================= */

/* The greatest HLC of a row in the log (0 if none): the base of a change
 * to a row that exists (SPEC.md "Changes"). */
int
cds_write_base(cdsync *db, cdsync_kind kind, const uint8_t id[16],
	       uint64_t *base)
{
	struct cds_stmts *s = stmts(db);
	int rc;

	*base = 0;
	if (s == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (s->base == NULL &&
	    (s->base = cds_prepare(db, "SELECT max(hlc) FROM sync_change "
				       "WHERE tbl = ?1 AND rid = ?2")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_reset(s->base);
	sqlite3_bind_int(s->base, 1, (int)kind);
	sqlite3_bind_blob(s->base, 2, id, 16, SQLITE_STATIC);
	rc = sqlite3_step(s->base);
	if (rc == SQLITE_ROW)
		*base = (uint64_t)sqlite3_column_int64(s->base, 0);
	sqlite3_reset(s->base);
	if (rc != SQLITE_ROW)
		return cds_sqlerr(db, _("change log"));
	return CDSYNC_OK;
}

/*
 * Appends one change to the log: the fields of r selected by mask (bit i
 * = field i; the id never is), or a tombstone when op is OP_DELETE.  A
 * change to a row that exists (update, delete) carries its base.
 */
static int
capture(cdsync *db, const struct cds_kind *k, const uint8_t id[16], int op,
	const cdsync_rec *r, uint64_t mask, int isnew)
{
	uint64_t base = 0;
	int rc;
	struct cds_stmts *s = stmts(db);
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	size_t i, n = 0;
	uint64_t hlc;

	if (s == NULL)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (!isnew && (rc = cds_write_base(db, k->kind, id, &base)) != 0)
		return rc;
	if (s->change == NULL &&
	    (s->change = cds_prepare(db,
				     "INSERT INTO sync_change (tbl, rid, op, "
				     "hlc, node, vals, base) VALUES (?1, ?2, "
				     "?3, ?4, ?5, ?6, ?7)")) == NULL)
		return CDSYNC_ERROR;
	sqlite3_reset(s->change);
	if (op == OP_SET) {
		for (i = 1; i < k->nfields; i++)
			if (mask & ((uint64_t)1 << i)) {
				cols[n] = (uint32_t)i;
				cds_rec_val(r, i, &vals[n]);
				n++;
			}
		cds_buf_reset(&s->buf);
		cds_colset_put(&s->buf, n, cols, vals);
		if (s->buf.rc != 0)
			return cds_err(db, s->buf.rc, "%s",
				       _("out of memory"));
		sqlite3_bind_blob(s->change, 6, s->buf.p, (int)s->buf.n,
				  SQLITE_STATIC);
	} else {
		sqlite3_bind_null(s->change, 6);
	}
	hlc = cds_hlc_tick(&db->clock, cds_wall_ms());
	sqlite3_bind_int(s->change, 1, (int)k->kind);
	sqlite3_bind_blob(s->change, 2, id, 16, SQLITE_STATIC);
	sqlite3_bind_int(s->change, 3, op);
	sqlite3_bind_int64(s->change, 4, (int64_t)hlc);
	sqlite3_bind_int64(s->change, 5, db->local_node);
	sqlite3_bind_int64(s->change, 7, (int64_t)base);
	if (sqlite3_step(s->change) != SQLITE_DONE)
		return cds_sqlerr(db, _("change log"));
	sqlite3_reset(s->change);
	return CDSYNC_OK;
}

/* ==== Checks ========================================================== */

static int
need_node(cdsync *db)
{
	if (db->has_node)
		return CDSYNC_OK;
	return cds_err(db, CDSYNC_ENOTINIT, "%s",
		       _("this store has no node yet: run 'cdsync init' "
			 "first"));
}

/* 1 if a row of kind k with this id exists, 0 if not, <0 on error. */
static int
exists(cdsync *db, const struct cds_kind *k, const uint8_t id[16])
{
	sqlite3_stmt *st = kstmt(db, k, 'e');
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	cds_sqlerr(db, k->name);
	return -1;
}

static int
same(const struct cds_slot *a, const struct cds_slot *b)
{
	if (a->null || b->null)
		return a->null == b->null;
	return strcmp(a->text, b->text) == 0;
}

/* A date field that must not come before another one. */
struct order_rule {
	cdsync_kind kind;
	const char *early, *late;
};
static const struct order_rule order_rules[] = {
	{ CDSYNC_KIND_MEMBER, "joined_on", "left_on" },
	{ CDSYNC_KIND_LEGAL_CASE, "opened_on", "closed_on" },
	{ CDSYNC_KIND_COUNCIL_SEAT, "from_on", "to_on" },
	{ CDSYNC_KIND_AGREEMENT, "signed_on", "ends_on" },
};

static int
isnull(const cdsync_rec *r, int i)
{
	return i < 0 || !r->s[i].set || r->s[i].null;
}

/*
 * Checks a whole row as it will be stored: required fields, references
 * (those in `refmask` only), rules across fields, duplicates.
 */
static int
check_row(cdsync *db, const cdsync_rec *r, uint64_t refmask, int self)
{
	const struct cds_kind *k = r->k;
	const struct cds_field *f;
	char hex[33];
	size_t i;
	int e;

	for (i = 1; i < k->nfields; i++) {
		f = &k->fields[i];
		if (f->required && isnull(r, (int)i))
			return cds_err(db, CDSYNC_EINVAL,
				       _("%s: %s (%s) is required"),
				       _(k->label), _(f->label), f->name);
		if (f->type != CDSYNC_FT_REF || isnull(r, (int)i) ||
		    !(refmask & ((uint64_t)1 << i)))
			continue;
		if ((int)i == k->org && !self &&
		    memcmp(r->s[i].ref, db->org_id, 16) == 0)
			continue;	/* this node's own org unit */
		if ((e = exists(db, cds_kind(f->ref), r->s[i].ref)) < 0)
			return CDSYNC_ERROR;
		if (e == 0) {
			cds_id_hex(r->s[i].ref, hex);
			return cds_err(db, CDSYNC_ENOTFOUND,
				       _("%s: %s (%s): there is no %s with id "
					 "%s"),
				       _(k->label), _(f->label), f->name,
				       _(cds_kind(f->ref)->label), hex);
		}
	}
	for (i = 0; i < sizeof order_rules / sizeof order_rules[0]; i++) {
		const struct order_rule *o = &order_rules[i];
		int a, b;

		if (o->kind != k->kind)
			continue;
		a = cds_field_index(k, o->early);
		b = cds_field_index(k, o->late);
		if (!isnull(r, a) && !isnull(r, b) &&
		    strcmp(r->s[b].text, r->s[a].text) < 0) {
			char da[11], db_[11];

			cds_date_vn(r->s[a].text, da);
			cds_date_vn(r->s[b].text, db_);
			return cds_err(db, CDSYNC_EINVAL,
				       _("%s: %s (%s) %s is before %s (%s) "
					 "%s"),
				       _(k->label), _(k->fields[b].label),
				       o->late, db_, _(k->fields[a].label),
				       o->early, da);
		}
	}
	if (k->kind == CDSYNC_KIND_INITIATIVE) {
		int p = cds_field_index(k, "clc_proposed");
		int o = cds_field_index(k, "clc_outcome");

		if (!isnull(r, o) && (isnull(r, p) || r->s[p].i == 0))
			return cds_err(db, CDSYNC_EINVAL, "%s",
				       _("initiative: a certificate outcome "
					 "needs clc_proposed = yes"));
	}
	return CDSYNC_OK;
}

/* A member code is unique within its union. */
static int
check_member_code(cdsync *db, const cdsync_rec *r)
{
	int c = cds_field_index(r->k, "code");
	sqlite3_stmt *st;
	int rc;

	if (isnull(r, c))
		return CDSYNC_OK;
	st = cds_prepare(db, "SELECT 1 FROM member WHERE org_id = ?1 AND "
			     "code = ?2 AND id IS NOT ?3");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, r->s[1].ref, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->s[c].text, -1, SQLITE_STATIC);
	if (r->has_id)
		sqlite3_bind_blob(st, 3, r->id, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return cds_err(db, CDSYNC_EEXIST,
			       _("member: code %s is already used by another "
				 "member of this union"),
			       r->s[c].text);
	if (rc != SQLITE_DONE)
		return cds_sqlerr(db, "member");
	return CDSYNC_OK;
}

/* ==== Insert ========================================================== */

static int
fill_defaults(cdsync *db, cdsync_rec *r)
{
	const struct cds_kind *k = r->k;
	size_t i;
	int rc;

	for (i = 1; i < k->nfields; i++) {
		if (r->s[i].set)
			continue;
		if ((int)i == k->org) {
			if ((rc = cdsync_rec_set_ref(r, "org_id", db->org_id)))
				return cds_err(db, rc, "%s", r->err);
		} else if (k->fields[i].dflt != NULL) {
			if ((rc = cdsync_rec_set(r, k->fields[i].name,
						 k->fields[i].dflt)))
				return cds_err(db, rc, "%s", r->err);
		}
	}
	return CDSYNC_OK;
}

/* Adds a row to a legal case's history (inside the caller's savepoint). */
static int
legal_event(cdsync *db, const uint8_t case_id[16], const char *status,
	    const char *date, const char *note)
{
	cdsync_rec *ev = NULL;
	int rc;

	if ((rc = cdsync_rec_new(CDSYNC_KIND_LEGAL_EVENT, &ev)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", _("out of memory"));
	if ((rc = cdsync_rec_set_ref(ev, "case_id", case_id)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set(ev, "status", status)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set(ev, "at", date)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set(ev, "note", note)) != CDSYNC_OK) {
		rc = cds_err(db, rc, "%s", cdsync_rec_errmsg(ev));
		goto out;
	}
	rc = cds_write_insert(db, ev, 0);
out:
	cdsync_rec_free(ev);
	return rc;
}

int
cds_write_insert(cdsync *db, cdsync_rec *r, int self)
{
	const struct cds_kind *k = r->k;
	sqlite3_stmt *st;
	uint64_t mask = 0;
	uint8_t id[16];
	size_t i;
	int rc, a, m;

	if ((rc = fill_defaults(db, r)) != CDSYNC_OK ||
	    (rc = check_row(db, r, ~(uint64_t)0, self)) != CDSYNC_OK)
		return rc;
	if (k->kind == CDSYNC_KIND_MEMBER &&
	    (rc = check_member_code(db, r)) != CDSYNC_OK)
		return rc;
	if (k->kind == CDSYNC_KIND_BENEFIT) {
		a = cds_field_index(k, "activity_id");
		m = cds_field_index(k, "member_id");
		cds_id_derive("cdsync.benefit.v1", r->s[a].ref, r->s[m].ref,
			      id);
		if ((rc = exists(db, k, id)) != 0)
			return rc < 0 ? CDSYNC_ERROR
				      : cds_err(db, CDSYNC_EEXIST, "%s",
						_("beneficiary: this member "
						  "already benefited from this "
						  "activity"));
	} else if (r->has_id) {
		memcpy(id, r->id, 16);	/* internal: a derived id */
	} else {
		cds_id_new(id);
	}
	if ((rc = cdsync_rec_set_id(r, id)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", _("out of memory"));
	if ((st = kstmt(db, k, 'i')) == NULL)
		return kstmt_code(db);
	for (i = 0; i < k->nfields; i++) {
		if (!r->s[i].set)
			r->s[i].null = r->s[i].set = 1;
		cds_rec_bind(r, i, st, (int)i + 1);
		if (i > 0 && !r->s[i].null)
			mask |= (uint64_t)1 << i;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return cds_sqlerr(db, _(k->label));
	if ((rc = capture(db, k, id, OP_SET, r, mask, 1)) != CDSYNC_OK) {
		/* Not captured (out of memory, disk full): the row goes too,
		 * so a caller without a savepoint keeps neither. */
		if ((st = kstmt(db, k, 'd')) != NULL) {
			sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_reset(st);
		}
		return rc;
	}
	if (k->kind == CDSYNC_KIND_LEGAL_CASE)
		return legal_event(db, id, cdsync_rec_get(r, "status"),
				   cdsync_rec_get(r, "opened_on"), NULL);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_insert(cdsync *db, cdsync_rec *r)
{
	int rc, light;

	cds_ok(db);
	if ((rc = need_node(db)) != CDSYNC_OK)
		return rc;
	if (r->has_id)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("this record already has an id: use "
				 "cdsync_update to change it"));
	if (r->k->kind == CDSYNC_KIND_ORG)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("org units come from the node set-up and "
				 "the catalog, not from cdsync_insert"));
	/*
	 * Inside the caller's transaction a row of one statement needs no
	 * savepoint (which costs about a tenth of a write): each statement is
	 * atomic, bad data fails at the row's INSERT, and a capture that
	 * fails after it deletes the row again.  A legal case writes its
	 * first status too, so it keeps the savepoint.
	 */
	light = db->txdepth && r->k->kind != CDSYNC_KIND_LEGAL_CASE;
	if (!light && (rc = cds_save(db)) != CDSYNC_OK)
		return rc;
	if ((rc = cds_write_insert(db, r, 0)) != CDSYNC_OK) {
		if (!light)
			cds_undo(db);
		/* The record must not keep an id for a row that is gone. */
		r->has_id = 0;
		cds_rec_clear(r, 0);
		return rc;
	}
	return light ? CDSYNC_OK : cds_release(db);
}

/* ==== Read ============================================================ */

/* Loads a row into a new record; CDSYNC_ENOTFOUND if absent (message
 * set). */
static int
load(cdsync *db, const struct cds_kind *k, const uint8_t id[16],
     cdsync_rec **out)
{
	sqlite3_stmt *st;
	char hex[33];
	int rc;

	*out = NULL;
	if ((st = kstmt(db, k, 'g')) == NULL)
		return kstmt_code(db);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		cds_id_hex(id, hex);
		cds_err(db, CDSYNC_ENOTFOUND, _("there is no %s with id %s"),
			_(k->label), hex);
		return CDSYNC_ENOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		rc = cds_sqlerr(db, k->name);
		sqlite3_reset(st);
		return rc != CDSYNC_OK ? rc : CDSYNC_ERROR;
	}
	if ((rc = cdsync_rec_new(k->kind, out)) == CDSYNC_OK)
		rc = cds_rec_load(*out, st, 0);
	sqlite3_reset(st);
	if (rc != CDSYNC_OK) {
		cdsync_rec_free(*out);
		*out = NULL;
		cds_err(db, rc, "%s", cdsync_strerror(rc));
		return rc;
	}
	(*out)->has_id = 1;
	memcpy((*out)->id, id, 16);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_get(cdsync *db, cdsync_kind kind, const uint8_t id[16],
	   cdsync_rec **out)
{
	const struct cds_kind *k = cds_kind(kind);

	cds_ok(db);
	*out = NULL;
	if (k == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("unknown record kind"));
	return load(db, k, id, out);
}

/* ==== Update ========================================================== */

static int
do_update(cdsync *db, const cdsync_rec *r, uint64_t *changed,
	  cdsync_rec **curp)
{
	const struct cds_kind *k = r->k;
	cdsync_rec *cur = NULL;
	sqlite3_stmt *st = NULL;
	char sql[2048];
	size_t i, off;
	int rc, p;

	*changed = 0;
	if ((rc = load(db, k, r->id, &cur)) != CDSYNC_OK || cur == NULL)
		return rc != CDSYNC_OK ? rc : CDSYNC_ERROR;
	*curp = cur;
	for (i = 1; i < k->nfields; i++) {
		if (!r->s[i].set || same(&r->s[i], &cur->s[i]))
			continue;
		if ((int)i == k->org || (int)i == k->parent ||
		    (k->kind == CDSYNC_KIND_BENEFIT &&
		     strcmp(k->fields[i].name, "member_id") == 0))
			return cds_err(db, CDSYNC_EINVAL,
				       _("%s: %s (%s) cannot change; delete the "
					 "record and add a new one"),
				       _(k->label), _(k->fields[i].label),
				       k->fields[i].name);
		cds_free(cur->s[i].text);
		cur->s[i] = r->s[i];
		cur->s[i].text = r->s[i].null ? NULL
					      : cds_strdup(r->s[i].text);
		if (!r->s[i].null && cur->s[i].text == NULL)
			return cds_err(db, CDSYNC_ENOMEM, "%s",
				       _("out of memory"));
		*changed |= (uint64_t)1 << i;
	}
	if (*changed == 0)
		return CDSYNC_OK;
	if ((rc = check_row(db, cur, *changed, 0)) != CDSYNC_OK)
		return rc;
	if (k->kind == CDSYNC_KIND_MEMBER &&
	    (rc = check_member_code(db, cur)) != CDSYNC_OK)
		return rc;
	off = (size_t)snprintf(sql, sizeof sql, "UPDATE %s SET ", k->name);
	for (i = 1, p = 2; i < k->nfields; i++)
		if (*changed & ((uint64_t)1 << i)) {
			off += (size_t)snprintf(sql + off, sizeof sql - off,
						"%s%s = ?%d", p > 2 ? ", " : "",
						k->fields[i].name, p);
			p++;
		}
	snprintf(sql + off, sizeof sql - off, " WHERE id = ?1");
	if ((st = cds_prepare(db, sql)) == NULL)
		return CDSYNC_ERROR;
	sqlite3_bind_blob(st, 1, r->id, 16, SQLITE_STATIC);
	for (i = 1, p = 2; i < k->nfields; i++)
		if (*changed & ((uint64_t)1 << i))
			cds_rec_bind(cur, i, st, p++);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cds_sqlerr(db, _(k->label));
	return capture(db, k, r->id, OP_SET, cur, *changed, 0);
}

CDSYNC_API int
cdsync_update(cdsync *db, const cdsync_rec *r)
{
	cdsync_rec *cur = NULL;
	char today[11];
	uint64_t changed;
	int rc, s;

	cds_ok(db);
	if ((rc = need_node(db)) != CDSYNC_OK)
		return rc;
	if (!r->has_id)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("the record has no id: say which row to "
				 "change"));
	if ((rc = cds_save(db)) != CDSYNC_OK)
		return rc;
	rc = do_update(db, r, &changed, &cur);
	s = cds_field_index(r->k, "status");
	if (rc == CDSYNC_OK && cur != NULL &&
	    r->k->kind == CDSYNC_KIND_LEGAL_CASE &&
	    (changed & ((uint64_t)1 << s))) {
		cds_today(today);
		rc = legal_event(db, r->id, cur->s[s].text, today, NULL);
	}
	cdsync_rec_free(cur);
	if (rc != CDSYNC_OK) {
		cds_undo(db);
		return rc;
	}
	return cds_release(db);
}

CDSYNC_API int
cdsync_legal_set_status(cdsync *db, const uint8_t case_id[16],
			const char *status, const char *date, const char *note)
{
	cdsync_rec *r = NULL, *cur = NULL;
	char today[11];
	uint64_t changed;
	int rc;

	cds_ok(db);
	if ((rc = need_node(db)) != CDSYNC_OK)
		return rc;
	if (date == NULL) {
		cds_today(today);
		date = today;
	}
	if ((rc = cdsync_rec_new(CDSYNC_KIND_LEGAL_CASE, &r)) != CDSYNC_OK)
		return cds_err(db, rc, "%s", _("out of memory"));
	if ((rc = cdsync_rec_set_id(r, case_id)) != CDSYNC_OK ||
	    (rc = cdsync_rec_set(r, "status", status)) != CDSYNC_OK ||
	    (strcmp(r->s[cds_field_index(r->k, "status")].text,
		    "resolved") == 0 &&
	     (rc = cdsync_rec_set(r, "closed_on", date)) != CDSYNC_OK)) {
		rc = cds_err(db, rc, "%s", cdsync_rec_errmsg(r));
		cdsync_rec_free(r);
		return rc;
	}
	if ((rc = cds_save(db)) != CDSYNC_OK) {
		cdsync_rec_free(r);
		return rc;
	}
	rc = do_update(db, r, &changed, &cur);
	if (rc == CDSYNC_OK)
		rc = legal_event(db, case_id, status, date, note);
	cdsync_rec_free(cur);
	cdsync_rec_free(r);
	if (rc != CDSYNC_OK) {
		cds_undo(db);
		return rc;
	}
	return cds_release(db);
}

/* ==== Delete ========================================================== */

/* Deletes one row and captures its tombstone. */
static int
drop(cdsync *db, const struct cds_kind *k, const uint8_t id[16])
{
	sqlite3_stmt *st = kstmt(db, k, 'd');
	int rc;

	if (st == NULL)
		return kstmt_code(db);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return cds_sqlerr(db, _(k->label));
	return capture(db, k, id, OP_DELETE, NULL, 0, 0);
}

/* Deletes the children of a row (kinds whose `parent` field points at
 * it), each with its tombstone.  Ids are collected before deleting. */
static int
drop_children(cdsync *db, const struct cds_kind *k, const uint8_t id[16])
{
	const struct cds_kind *c;
	sqlite3_stmt *st;
	uint8_t *ids = NULL, *p;
	size_t n, cap, j;
	char sql[256];
	int i, step, rc = CDSYNC_OK;

	for (i = 1; i <= CDSYNC_KIND_MAX && rc == CDSYNC_OK; i++) {
		c = cds_kind((cdsync_kind)i);
		if (c->parent < 0 || c->fields[c->parent].ref != k->kind)
			continue;
		snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1",
			 c->name, c->fields[c->parent].name);
		if ((st = cds_prepare(db, sql)) == NULL)
			return CDSYNC_ERROR;
		sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
		n = cap = 0;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				if ((p = cds_realloc(ids, cap * 16)) == NULL) {
					rc = cds_err(db, CDSYNC_ENOMEM, "%s",
						     _("out of memory"));
					break;
				}
				ids = p;
			}
			if (sqlite3_column_bytes(st, 0) == 16)
				memcpy(ids + 16 * n++,
				       sqlite3_column_blob(st, 0), 16);
		}
		if (rc == CDSYNC_OK && step != SQLITE_DONE)
			rc = cds_sqlerr(db, c->name);
		sqlite3_finalize(st);
		for (j = 0; j < n && rc == CDSYNC_OK; j++)
			rc = drop(db, c, ids + 16 * j);
	}
	cds_free(ids);
	return rc;
}

/* Refuses to delete a row other rows still point at (children aside). */
static int
check_unused(cdsync *db, const struct cds_kind *k, const uint8_t id[16])
{
	const struct cds_kind *c;
	sqlite3_stmt *st;
	char sql[256], hex[33];
	size_t j;
	int i, rc;
	int64_t n;

	for (i = 1; i <= CDSYNC_KIND_MAX; i++) {
		c = cds_kind((cdsync_kind)i);
		for (j = 1; j < c->nfields; j++) {
			if (c->fields[j].type != CDSYNC_FT_REF ||
			    c->fields[j].ref != k->kind || (int)j == c->parent)
				continue;
			snprintf(sql, sizeof sql,
				 "SELECT count(*) FROM %s WHERE %s = ?1",
				 c->name, c->fields[j].name);
			if ((st = cds_prepare(db, sql)) == NULL)
				return CDSYNC_ERROR;
			sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
			rc = sqlite3_step(st);
			n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
			sqlite3_finalize(st);
			if (rc != SQLITE_ROW)
				return cds_sqlerr(db, c->name);
			if (n == 0)
				continue;
			cds_id_hex(id, hex);
			return cds_err(db, CDSYNC_EREFERENCED,
				       k->kind == CDSYNC_KIND_MEMBER
				       ? _("%s %s is still used by %" PRId64
					   " %s record(s); a member who leaves "
					   "is marked with 'member leave', not "
					   "deleted")
				       : _("%s %s is still used by %" PRId64
					   " %s record(s)"),
				       _(k->label), hex + 24, n, _(c->label));
		}
	}
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_delete(cdsync *db, cdsync_kind kind, const uint8_t id[16])
{
	const struct cds_kind *k = cds_kind(kind);
	char hex[33];
	int rc, e;

	cds_ok(db);
	if ((rc = need_node(db)) != CDSYNC_OK)
		return rc;
	if (k == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("unknown record kind"));
	if (kind == CDSYNC_KIND_ORG)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("org units are removed through the catalog, "
				 "not deleted"));
	if ((e = exists(db, k, id)) <= 0) {
		if (e < 0)
			return CDSYNC_ERROR;
		cds_id_hex(id, hex);
		return cds_err(db, CDSYNC_ENOTFOUND,
			       _("there is no %s with id %s"), _(k->label), hex);
	}
	if ((rc = check_unused(db, k, id)) != CDSYNC_OK)
		return rc;
	if ((rc = cds_save(db)) != CDSYNC_OK)
		return rc;
	if ((rc = drop_children(db, k, id)) != CDSYNC_OK ||
	    (rc = drop(db, k, id)) != CDSYNC_OK) {
		cds_undo(db);
		return rc;
	}
	return cds_release(db);
}

/* ==== Resolve ========================================================= */

static int
ishex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/* Runs a query of ids bound to `ref`; 1 if exactly one (in id), 0 if
 * none, 2 if several (message lists some), <0 on error. */
static int
one_id(cdsync *db, const struct cds_kind *k, const char *sql,
       const char *ref, uint8_t id[16])
{
	sqlite3_stmt *st;
	char list[200], hex[33];	/* list: up to 5 full ids */
	size_t off = 0;
	int n = 0, rc;

	if ((st = cds_prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (k->org >= 0)
		sqlite3_bind_blob(st, 2, db->org_id, 16, SQLITE_STATIC);
	list[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 16)
			continue;
		if (n++ == 0)
			memcpy(id, sqlite3_column_blob(st, 0), 16);
		cds_id_hex(sqlite3_column_blob(st, 0), hex);
		if (n <= 5 && off < sizeof list)
			off += (size_t)snprintf(list + off, sizeof list - off,
						"%s%s", n > 1 ? ", " : "", hex);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cds_sqlerr(db, k->name);
		return -1;
	}
	if (n > 1) {
		cds_err(db, CDSYNC_EAMBIGUOUS,
			_("'%s' matches %d %s records (%s%s); give more of "
			  "the id"),
			ref, n, _(k->label), list, n > 5 ? ", ..." : "");
		return 2;
	}
	return n;
}

CDSYNC_API int
cdsync_resolve(cdsync *db, cdsync_kind kind, const char *ref,
	       uint8_t id[16])
{
	const struct cds_kind *k = cds_kind(kind);
	char sql[256];
	size_t n;
	int rc;

	cds_ok(db);
	memset(id, 0, 16);
	if (k == NULL || ref == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("unknown record kind"));
	n = strlen(ref);
	/* A natural key first: member codes may look like hex. */
	if (k->natural >= 0) {
		snprintf(sql, sizeof sql,
			 "SELECT id FROM %s WHERE %s = ?1%s", k->name,
			 k->fields[k->natural].name,
			 k->org >= 0 ? " AND org_id = ?2" : "");
		if ((rc = one_id(db, k, sql, ref, id)) != 0)
			return rc == 1 ? CDSYNC_OK
			       : rc == 2 ? CDSYNC_EAMBIGUOUS : CDSYNC_ERROR;
	}
	if (n == 32 && cds_id_parse(ref, id) == 0) {
		if ((rc = exists(db, k, id)) == 1)
			return CDSYNC_OK;
		if (rc < 0)
			return CDSYNC_ERROR;
	} else if (n >= 6 && n < 32 && ishex(ref, n)) {
		snprintf(sql, sizeof sql,
			 "SELECT id FROM %s WHERE hex(id) LIKE '%%' || "
			 "upper(?1)%s ORDER BY id", k->name,
			 k->org >= 0 ? " AND org_id = ?2" : "");
		if ((rc = one_id(db, k, sql, ref, id)) != 0)
			return rc == 1 ? CDSYNC_OK
			       : rc == 2 ? CDSYNC_EAMBIGUOUS : CDSYNC_ERROR;
	}
	memset(id, 0, 16);
	return cds_err(db, CDSYNC_ENOTFOUND, _("no %s matches '%s'"),
		       _(k->label), ref);
}

/* ==== Backfill (migration 0002) ======================================= */

int
cds_write_backfill(cdsync *db, cdsync_kind kind)
{
	const struct cds_kind *k = cds_kind(kind);
	cdsync_rec *r = NULL;
	sqlite3_stmt *st;
	char cols[1024], sql[1200];
	uint64_t mask;
	size_t i;
	int rc, step;

	collist(k, cols, sizeof cols);
	snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY id", cols,
		 k->name);
	if ((st = cds_prepare(db, sql)) == NULL)
		return CDSYNC_ERROR;
	rc = CDSYNC_OK;
	while (rc == CDSYNC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		cdsync_rec_free(r);
		r = NULL;
		if ((rc = cdsync_rec_new(kind, &r)) != CDSYNC_OK ||
		    (rc = cds_rec_load(r, st, 0)) != CDSYNC_OK) {
			rc = cds_err(db, rc, "%s", cdsync_strerror(rc));
			break;
		}
		for (i = 1, mask = 0; i < k->nfields; i++)
			if (!r->s[i].null)
				mask |= (uint64_t)1 << i;
		rc = capture(db, k, r->s[0].ref, OP_SET, r, mask, 1);
	}
	if (rc == CDSYNC_OK && step != SQLITE_DONE)
		rc = cds_sqlerr(db, k->name);
	cdsync_rec_free(r);
	sqlite3_finalize(st);
	return rc;
}
