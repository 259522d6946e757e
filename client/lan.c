/* lan.c -- the LAN sync of a paired device with its school node (cdsync.h
 * "LAN sync"; SPEC.md "LAN sync").
 *
 * The device pushes its own changes (sync_change.node = 1) newer than
 * the newest of them the node said it holds, and pulls the node's log
 * after the last position it took; meta 'lan_state' keeps that position
 * and that clock, written in the transaction that merges each batch.  The
 * node merges a device's changes as its own writes (via NULL), so that
 * its next bundle carries them up, and answers with the next batch of its
 * log, leaving out the device's own changes unless the device says it
 * lacks them (a phone restored from an old backup gets them back).
 *
 * The socket is nanomsg REQ/REP: one request, one reply, within the
 * timeout; a reply that does not come is a node that cannot be reached.
 */
#include <stdio.h>
#include <string.h>

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>

#include "alloc.h"
#include "change.h"
#include "changelog.h"
#include "i18n.h"
#include "keys.h"
#include "lan.h"
#include "merge.h"
#include "scope.h"
#include "store.h"

#define BATCH 1000			/* changes a message carries */
#define BATCH_BYTES (1u << 20)		/* column-set bytes, about */
#define STATE_BYTES 40			/* meta 'lan_state' */

/* ==== Shared ========================================================== */

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int64_t
one_int(cdsync *db, const char *sql, const uint8_t *blob)
{
	sqlite3_stmt *st = cds_prepare(db, sql);
	int64_t v = -1;

	if (st == NULL)
		return -1;
	if (blob != NULL)
		sqlite3_bind_blob(st, 1, blob, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		cds_sqlerr(db, _("change log"));
	sqlite3_finalize(st);
	return v;
}

/* Reads a payload of at most BATCH changes; a code. */
static int
read_payload(cdsync *db, const uint8_t *p, size_t n, struct cds_payload *pl,
	     const char *what)
{
	char err[512];
	int rc = cds_payload_read(p, n, BATCH, CDSYNC_KIND_MAX, pl, err,
				  sizeof err);

	if (rc == -2)
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	if (rc != 0)
		return cds_err(db, CDSYNC_EBADINPUT, "%s: %s", what, err);
	return CDSYNC_OK;
}

static void
drop_payload(struct cds_payload *pl)
{
	if (pl->mem != NULL)
		sodium_memzero(pl->mem, pl->memlen);
	cds_payload_free(pl);
}

/* ==== At the node ===================================================== */

struct device {
	uint8_t id[16], sign_pk[32], box_pk[32];
	int64_t idx;			/* sync_node.idx, 0: none yet */
};

/* A refusal the device cannot authenticate, carrying db's message. */
static int
refuse(cdsync *db, int code, uint8_t **reply, size_t *rlen)
{
	cds_buf b;

	cds_buf_init(&b, CDS_LAN_MAX);
	cds_lan_refusal_write(&b, (uint8_t)code, cdsync_errmsg(db));
	if (b.rc != 0) {
		cds_buf_free(&b);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	*reply = b.p;
	*rlen = b.n;
	return code;
}

static int
find_device(cdsync *db, const uint8_t id[16], struct device *d)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT sign_pk, box_pk FROM "
					   "pair_client WHERE client_id = ?1");
	int found = 0;

	if (st == NULL)
		return cds_sqlcode(db);
	memset(d, 0, sizeof *d);
	memcpy(d->id, id, 16);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 32 &&
	    sqlite3_column_bytes(st, 1) == 32) {
		memcpy(d->sign_pk, sqlite3_column_blob(st, 0), 32);
		memcpy(d->box_pk, sqlite3_column_blob(st, 1), 32);
		found = 1;
	}
	sqlite3_finalize(st);
	if (!found)	/* says why: never paired */
		return cdsync_client_check(db, id, d->sign_pk);
	return CDSYNC_OK;
}


/* Checks what a device pushed and merges it as this node's own writes,
 * inside the caller's transaction. */
static int
take_push(cdsync *db, const struct device *d, const struct cds_payload *pl)
{
	struct cds_merge_stats ms = { 0, 0, 0 };
	char code[CDS_TRUST_STR_MAX + 1], hex[33];
	size_t i;
	int rc;

	for (i = 0; i < pl->count; i++)
		if (memcmp(pl->ch[i].origin, d->id, 16) != 0) {
			sodium_bin2hex(hex, sizeof hex, pl->ch[i].origin, 16);
			return cds_err(db, CDSYNC_ESCOPE,
				       _("change %zu was written by node …%s: "
					 "a device sends only what it "
					 "recorded itself"),
				       i + 1, hex + 24);
		}
	if (pl->count == 0)
		return CDSYNC_OK;
	if ((rc = cds_own_code(db, code, sizeof code)) != CDSYNC_OK)
		return rc;
	rc = cds_scope_check(db, pl->ch, pl->count, db->org_id, code);
	if (rc == CDSYNC_OK)
		rc = cds_merge(db, pl->ch, pl->count, 0, &ms);
	return rc;
}

/* The next batch of this node's log for the device, after q->after. */
static int
pull(cdsync *db, const struct device *d, const struct cds_lan_req *q,
     struct cds_lan_rep *r, cds_buf *out)
{
	struct cds_log_at last;
	sqlite3_stmt *st = NULL;
	uint64_t from = q->after.seq;
	uint32_t count = 0;
	int more = 0, rc, ok;
	int64_t left;

	/* the device's position must name the change this log has there: a
	 * node restored from a backup, or another node, starts it over */
	if (from > 0) {
		st = cds_prepare(db, "SELECT c.hlc, n.node_id FROM sync_change "
				     "c JOIN sync_node n ON n.idx = c.node "
				     "WHERE c.seq = ?1");
		if (st == NULL) {
			rc = cds_sqlcode(db);
			goto out;
		}
		sqlite3_bind_int64(st, 1, (int64_t)from);
		ok = sqlite3_step(st) == SQLITE_ROW &&
		     (uint64_t)sqlite3_column_int64(st, 0) == q->after.hlc &&
		     sqlite3_column_bytes(st, 1) == 16 &&
		     memcmp(sqlite3_column_blob(st, 1), q->after.origin, 16) ==
			     0;
		sqlite3_finalize(st);
		st = NULL;
		if (!ok)
			from = 0;
	}
	st = cds_prepare(db, "SELECT c.seq, c.tbl, c.rid, c.op, c.hlc, "
			     "n.node_id, c.base, c.vals FROM sync_change c JOIN "
			     "sync_node n ON n.idx = c.node WHERE c.seq > ?1 AND "
			     "(n.node_id != ?2 OR c.hlc > ?3) ORDER BY c.seq");
	if (st == NULL) {
		rc = cds_sqlcode(db);
		goto out;
	}
	sqlite3_bind_int64(st, 1, (int64_t)from);
	sqlite3_bind_blob(st, 2, d->id, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)q->own_hlc);
	memset(&last, 0, sizeof last);
	rc = cds_log_payload(db, st, q->want < BATCH ? (size_t)q->want : BATCH,
			     BATCH_BYTES, out, &count, &last, &more);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != CDSYNC_OK)
		goto out;
	if (count > 0) {
		r->next.seq = (uint64_t)last.seq;
		r->next.hlc = last.hlc;
		memcpy(r->next.origin, last.origin, 16);
	} else if (from > 0) {
		r->next = q->after;
	}
	left = 0;
	if (more) {
		st = cds_prepare(db, "SELECT count(*) FROM sync_change c JOIN "
				     "sync_node n ON n.idx = c.node WHERE c.seq "
				     "> ?1 AND (n.node_id != ?2 OR c.hlc > "
				     "?3)");
		if (st == NULL) {
			rc = cds_sqlcode(db);
			goto out;
		}
		sqlite3_bind_int64(st, 1, (int64_t)r->next.seq);
		sqlite3_bind_blob(st, 2, d->id, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)q->own_hlc);
		if (sqlite3_step(st) == SQLITE_ROW)
			left = sqlite3_column_int64(st, 0);
		else
			rc = cds_sqlerr(db, _("change log"));
		sqlite3_finalize(st);
		st = NULL;
	}
	r->remaining = (uint64_t)left;
out:
	sqlite3_finalize(st);
	return rc;
}

/* Seals the reply r (its payload in pay) for the device under k. */
static int
answer(cdsync *db, const uint8_t k[32], struct cds_lan_rep *r,
       const cds_buf *pay, uint8_t **reply, size_t *rlen)
{
	cds_buf plain, b;
	int rc = CDSYNC_OK;

	r->payload = pay->p;
	r->plen = pay->n;
	cds_buf_init(&plain, CDS_LAN_MAX);
	cds_buf_init(&b, CDS_LAN_MAX);
	cds_lan_rep_write(&plain, r);
	if (plain.rc == 0)
		cds_lan_seal(&b, CDS_LAN_REPLY, NULL, NULL, NULL, k, plain.p,
			     plain.n, NULL);
	if (plain.rc != 0 || b.rc != 0) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		cds_buf_free(&b);
	} else {
		*reply = b.p;
		*rlen = b.n;
	}
	if (plain.p != NULL)
		sodium_memzero(plain.p, plain.n);
	cds_buf_free(&plain);
	return rc;
}

CDSYNC_API int
cdsync_lan_answer(cdsync *db, const uint8_t *req, size_t n, uint8_t **reply,
		  size_t *rlen)
{
	static const uint8_t empty[] = { 2, 0, 0 };	/* a payload of none */
	struct cds_lan_env e;
	struct cds_lan_req q;
	struct cds_lan_rep r;
	struct device d;
	const uint8_t *sk;
	uint8_t k[32], *plain = NULL;
	size_t plen = 0;
	char err[512];
	struct cds_payload pl;
	cds_buf pay;
	int rc, status, o, intx = 0;

	cds_ok(db);
	*reply = NULL;
	*rlen = 0;
	if (!db->has_node || db->role == CDSYNC_ROLE_CLIENT)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("only a school node answers its devices"));
	if (cds_lan_env_read(req, n, &e, err, sizeof err) != 0) {
		cds_err(db, CDSYNC_EBADINPUT, "%s", err);
		return refuse(db, CDSYNC_EBADINPUT, reply, rlen);
	}
	if (e.type != CDS_LAN_REQUEST) {
		cds_err(db, CDSYNC_EINVAL, "%s",
			_("a sync message that is not a request"));
		return refuse(db, CDSYNC_EINVAL, reply, rlen);
	}
	if ((rc = find_device(db, e.client, &d)) != CDSYNC_OK)
		return rc == CDSYNC_EUNKNOWNKEY ? refuse(db, rc, reply, rlen)
						: rc;
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		return rc;
	if ((sk = cds_keys_box_sk(db, e.node_box)) == NULL) {
		cds_err(db, CDSYNC_ENOTRECIPIENT, "%s",
			_("the request is sealed to a key this node does not "
			  "have: pair the device again"));
		return refuse(db, CDSYNC_ENOTRECIPIENT, reply, rlen);
	}
	if (cds_lan_key(k, d.box_pk, sk) != 0 ||
	    (o = cds_lan_open(&e, k, &plain, &plen)) == -1) {
		sodium_memzero(k, sizeof k);
		cds_err(db, CDSYNC_EDECRYPT, "%s",
			_("the request does not open with the keys of the "
			  "device it names"));
		return refuse(db, CDSYNC_EDECRYPT, reply, rlen);
	}
	if (o == -2) {
		sodium_memzero(k, sizeof k);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	/* from here on the device is who it says: it gets a sealed answer */
	memset(&r, 0, sizeof r);
	memcpy(r.req_nonce, e.nonce, CDS_LAN_NONCE);
	cds_buf_init(&pay, CDS_LAN_MAX);
	cds_buf_bytes(&pay, empty, sizeof empty);
	memset(&pl, 0, sizeof pl);
	status = cdsync_client_check(db, d.id, d.sign_pk);
	if (status == CDSYNC_OK && cds_lan_req_read(plain, plen, &q, err,
						     sizeof err) != 0)
		status = cds_err(db, CDSYNC_EBADINPUT, "%s", err);
	if (status == CDSYNC_OK)
		status = read_payload(db, q.payload, q.plen, &pl,
				      _("the changes sent"));
	/* One transaction: the push merged, the batch read and the reply
	 * made, or nothing kept (the device sends it all again). */
	if (status == CDSYNC_OK) {
		status = pl.count > 0 ? cds_merge_begin(db)
				      : cds_exec(db, "BEGIN");
		intx = status == CDSYNC_OK;
	}
	if (status == CDSYNC_OK)
		status = take_push(db, &d, &pl);
	if (status == CDSYNC_OK) {
		int64_t a = one_int(db, "SELECT coalesce(max(c.hlc), 0) FROM "
					"sync_change c JOIN sync_node n ON "
					"n.idx = c.node WHERE n.node_id = ?1",
				    d.id);
		if (a < 0) {
			status = CDSYNC_ERROR;
		} else {
			r.acked_hlc = (uint64_t)a;
			cds_buf_reset(&pay);
			status = pull(db, &d, &q, &r, &pay);
		}
	}
	if (status == CDSYNC_OK) {
		rc = answer(db, k, &r, &pay, reply, rlen);
		if (rc == CDSYNC_OK)
			rc = pl.count > 0 ? cds_merge_commit(db)
					  : cds_exec(db, "COMMIT");
		else if (pl.count > 0)
			cds_merge_rollback(db);
		else
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		if (rc != CDSYNC_OK) {
			cdsync_free(*reply);
			*reply = NULL;
			*rlen = 0;
		}
		goto out;
	}
	if (intx) {
		if (pl.count > 0)
			cds_merge_rollback(db);
		else
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (status == CDSYNC_ENOMEM || status == CDSYNC_ERROR) {
		rc = status;
		goto out;
	}
	/* refused: said to the device, and nothing of it kept */
	{
		char keep[1024];

		snprintf(keep, sizeof keep, "%s", cdsync_errmsg(db));
		memset(&r, 0, sizeof r);
		memcpy(r.req_nonce, e.nonce, CDS_LAN_NONCE);
		r.status = (uint8_t)status;
		cds_lan_text(r.message, keep);
		cds_buf_reset(&pay);
		cds_buf_bytes(&pay, empty, sizeof empty);
		rc = answer(db, k, &r, &pay, reply, rlen);
		if (rc == CDSYNC_OK)
			rc = cds_err(db, status, "%s", keep);
	}
out:
	sodium_memzero(k, sizeof k);
	if (plain != NULL)
		sodium_memzero(plain, plen);
	cds_free(plain);
	drop_payload(&pl);
	cds_buf_free(&pay);
	return rc;
}

/* ==== At the device =================================================== */

struct link {
	int sock;			/* nanomsg REQ, -1: none */
	const char *endpoint;
	unsigned timeout_ms;
	uint8_t node_box[32], k[32];
};

/* What the device keeps between syncs: where its pull stands and the
 * newest of its changes the node holds. */
struct lan_state {
	struct cds_lan_pos after;
	uint64_t acked;
};

static int
state_get(cdsync *db, struct lan_state *s)
{
	uint8_t b[STATE_BYTES];
	int found = cds_meta_get(db, "lan_state", b, sizeof b);

	memset(s, 0, sizeof *s);
	if (found < 0)
		return cds_sqlerr(db, _("node"));
	if (found) {
		s->after.seq = get64(b);
		s->after.hlc = get64(b + 8);
		memcpy(s->after.origin, b + 16, 16);
		s->acked = get64(b + 32);
	}
	return CDSYNC_OK;
}

static int
state_put(cdsync *db, const struct lan_state *s)
{
	uint8_t b[STATE_BYTES];

	put64(b, s->after.seq);
	put64(b + 8, s->after.hlc);
	memcpy(b + 16, s->after.origin, 16);
	put64(b + 32, s->acked);
	return cds_meta_put(db, "lan_state", b, sizeof b);
}

/* This device's changes newer than `acked`. */
static int
own_pending(cdsync *db, uint64_t acked, uint64_t *n)
{
	sqlite3_stmt *st = cds_prepare(db, "SELECT count(*) FROM sync_change "
					   "WHERE node = 1 AND hlc > ?1");
	int rc = CDSYNC_OK;

	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_int64(st, 1, (int64_t)acked);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		rc = cds_sqlerr(db, _("change log"));
	sqlite3_finalize(st);
	return rc;
}

static int
unreachable(cdsync *db, const struct link *l, const char *what)
{
	return cds_err(db, CDSYNC_EUNREACHABLE,
		       _("the school node at %s does not answer (%s, after "
			 "%u s): what this device records stays here and "
			 "goes at the next sync"),
		       l->endpoint, what, (l->timeout_ms + 999) / 1000);
}

static int
link_open(cdsync *db, struct link *l)
{
	int max = (int)CDS_LAN_MAX, t = (int)l->timeout_ms;

	if (strncmp(l->endpoint, "tcp://", 6) != 0 &&
	    strncmp(l->endpoint, "ipc://", 6) != 0)
		return cds_err(db, CDSYNC_EINVAL,
			       _("'%s' is not the address of a school node: "
				 "write tcp://ADDRESS:PORT (the school's "
				 "network) or ipc://PATH (this computer)"),
			       l->endpoint);
	if ((l->sock = nn_socket(AF_SP, NN_REQ)) < 0)
		return cds_err(db, CDSYNC_ERROR, _("LAN sync: %s"),
			       nn_strerror(nn_errno()));
	/* a request is sent again only by us, with a new nonce */
	if (nn_setsockopt(l->sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max,
			  sizeof max) < 0 ||
	    nn_setsockopt(l->sock, NN_SOL_SOCKET, NN_RCVTIMEO, &t, sizeof t) <
		    0 ||
	    nn_setsockopt(l->sock, NN_SOL_SOCKET, NN_SNDTIMEO, &t, sizeof t) <
		    0 ||
	    nn_setsockopt(l->sock, NN_REQ, NN_REQ_RESEND_IVL, &t, sizeof t) <
		    0 ||
	    nn_connect(l->sock, l->endpoint) < 0) {
		int e = nn_errno();

		nn_close(l->sock);
		l->sock = -1;
		return cds_err(db, CDSYNC_EINVAL,
			       _("'%s' is not the address of a school node: "
				 "%s"),
			       l->endpoint, nn_strerror(e));
	}
	return CDSYNC_OK;
}

/* Sends one request and opens its reply into *rep (its payload points
 * into *plain, which the caller wipes and frees). */
static int
round_trip(cdsync *db, struct link *l, const cds_buf *req,
	   struct cds_lan_rep *rep, uint8_t **plain, size_t *plen)
{
	uint8_t nonce[CDS_LAN_NONCE];
	struct cds_lan_env e;
	char err[512];
	cds_buf b;
	void *msg = NULL;
	int got, o, rc;

	*plain = NULL;
	cds_buf_init(&b, CDS_LAN_MAX);
	cds_lan_seal(&b, CDS_LAN_REQUEST, db->node_id, l->node_box, NULL,
		     l->k, req->p, req->n, nonce);
	if (b.rc != 0) {
		cds_buf_free(&b);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	rc = nn_send(l->sock, b.p, b.n, 0);
	cds_buf_free(&b);
	if (rc < 0)
		return unreachable(db, l, nn_strerror(nn_errno()));
	if ((got = nn_recv(l->sock, &msg, NN_MSG, 0)) < 0)
		return unreachable(db, l, nn_strerror(nn_errno()));
	if (cds_lan_env_read(msg, (size_t)got, &e, err, sizeof err) != 0) {
		rc = cds_err(db, CDSYNC_EBADINPUT,
			     _("the answer from %s: %s"), l->endpoint, err);
		goto out;
	}
	if (e.type == CDS_LAN_REFUSAL) {
		rc = cds_err(db, e.code < CDSYNC_DONE ? e.code : CDSYNC_ERROR,
			     _("the school node refuses this device: %s"),
			     e.message);
		goto out;
	}
	o = e.type == CDS_LAN_REPLY ? cds_lan_open(&e, l->k, plain, plen) : -1;
	if (o == -2) {
		rc = cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
		goto out;
	}
	if (o != 0 ||
	    cds_lan_rep_read(*plain, *plen, rep, err, sizeof err) != 0 ||
	    sodium_memcmp(rep->req_nonce, nonce, sizeof nonce) != 0) {
		rc = cds_err(db, CDSYNC_EDECRYPT,
			     _("the answer from %s is not the paired node's "
			       "answer to this request"),
			     l->endpoint);
		goto out;
	}
	if (rep->status != 0) {
		rc = cds_err(db, rep->status < CDSYNC_DONE ? rep->status
							    : CDSYNC_ERROR,
			     _("the school node refuses this device's "
			       "changes: %s"),
			     rep->message);
		goto out;
	}
	rc = CDSYNC_OK;
out:
	nn_freemsg(msg);
	if (rc != CDSYNC_OK && *plain != NULL) {
		sodium_memzero(*plain, *plen);
		cds_free(*plain);
		*plain = NULL;
	}
	return rc;
}

/* Builds the next request: this device's changes newer than s->acked.
 * *last_hlc the newest one in it, *more 1 when others wait, *newest the
 * newest change of this device. */
static int
next_request(cdsync *db, const struct lan_state *s, cds_buf *req,
	     uint32_t *count, uint64_t *last_hlc, int *more, uint64_t *newest)
{
	struct cds_lan_req q;
	struct cds_log_at last;
	sqlite3_stmt *st;
	cds_buf pay;
	int64_t own;
	int rc;

	own = one_int(db, "SELECT coalesce(max(hlc), 0) FROM sync_change "
			  "WHERE node = 1", NULL);
	if (own < 0)
		return CDSYNC_ERROR;
	*newest = (uint64_t)own;
	st = cds_prepare(db, "SELECT c.seq, c.tbl, c.rid, c.op, c.hlc, "
			     "n.node_id, c.base, c.vals FROM sync_change c JOIN "
			     "sync_node n ON n.idx = c.node WHERE c.node = 1 "
			     "AND c.hlc > ?1 ORDER BY c.hlc");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_int64(st, 1, (int64_t)s->acked);
	cds_buf_init(&pay, CDS_LAN_MAX);
	memset(&last, 0, sizeof last);
	rc = cds_log_payload(db, st, BATCH, BATCH_BYTES, &pay, count, &last,
			     more);
	sqlite3_finalize(st);
	*last_hlc = last.hlc;
	if (rc == CDSYNC_OK) {
		memset(&q, 0, sizeof q);
		q.after = s->after;
		q.own_hlc = (uint64_t)own;
		q.want = BATCH;
		q.payload = pay.p;
		q.plen = pay.n;
		cds_buf_reset(req);
		cds_lan_req_write(req, &q);
		if (req->rc != 0)
			rc = cds_err(db, CDSYNC_ENOMEM, "%s",
				     _("out of memory"));
	}
	cds_buf_free(&pay);
	return rc;
}

/* The union's row a device made at init, with no change in its log
 * (store.c), gives way to the node's row when that arrives: the merge
 * takes a row the log knew nothing of as absent. */
static int
placeholder(cdsync *db, const struct cds_payload *pl)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = CDSYNC_OK;

	for (i = 0; i < pl->count; i++)
		if (pl->ch[i].kind == CDSYNC_KIND_ORG &&
		    memcmp(pl->ch[i].row, db->org_id, 16) == 0)
			break;
	if (i == pl->count)
		return CDSYNC_OK;
	st = cds_prepare(db, "DELETE FROM org_unit WHERE id = ?1 AND NOT "
			     "EXISTS (SELECT 1 FROM sync_change WHERE tbl = ?2 "
			     "AND rid = ?1)");
	if (st == NULL)
		return cds_sqlcode(db);
	sqlite3_bind_blob(st, 1, db->org_id, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, CDSYNC_KIND_ORG);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = cds_sqlerr(db, _("union"));
	sqlite3_finalize(st);
	return rc;
}

/* Merges a pulled batch and keeps the new state, in one transaction. */
static int
take_pull(cdsync *db, const struct cds_lan_rep *rep,
	  const struct lan_state *s, struct cds_merge_stats *ms)
{
	struct cds_payload pl;
	int rc;

	if ((rc = read_payload(db, rep->payload, rep->plen, &pl,
			       _("the changes received"))) != CDSYNC_OK)
		return rc;
	if ((rc = cds_merge_begin(db)) == CDSYNC_OK) {
		rc = placeholder(db, &pl);
		if (rc == CDSYNC_OK)
			rc = cds_merge(db, pl.ch, pl.count, CDS_VIA_LAN, ms);
		if (rc == CDSYNC_OK)
			rc = state_put(db, s);
		if (rc == CDSYNC_OK)
			rc = cds_merge_commit(db);
		else
			cds_merge_rollback(db);
	}
	drop_payload(&pl);
	return rc;
}

static int
done(cdsync *db, const char *endpoint)
{
	uint8_t t[8];
	int rc;

	put64(t, cds_wall_ms());
	if ((rc = cds_meta_put(db, "lan_endpoint", endpoint,
			       strlen(endpoint))) == CDSYNC_OK)
		rc = cds_meta_put(db, "lan_last_ms", t, sizeof t);
	return rc;
}

CDSYNC_API int
cdsync_lan_sync(cdsync *db, const char *endpoint, unsigned timeout_ms,
		cdsync_lan_progress_fn fn, void *arg, cdsync_lan_progress *out)
{
	cdsync_lan_progress p;
	struct cds_merge_stats ms;
	struct cds_lan_rep rep;
	struct lan_state s;
	struct link l;
	char saved[256];
	uint8_t *plain = NULL;
	size_t plen = 0;
	uint64_t last_hlc = 0, newest = 0;
	uint32_t count = 0;
	uint8_t node[16];
	cds_buf req;
	int rc, more, found;

	cds_ok(db);
	memset(&p, 0, sizeof p);
	memset(&rep, 0, sizeof rep);
	if (out != NULL)
		*out = p;
	memset(&l, 0, sizeof l);
	l.sock = -1;
	l.timeout_ms = timeout_ms ? timeout_ms : 10000;
	if (!db->has_node || db->role != CDSYNC_ROLE_CLIENT)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("only a paired device syncs over the LAN (a "
				 "store made with 'cdsync init --role "
				 "client')"));
	if ((found = cds_meta_get(db, "paired_node", node, 16)) > 0)
		found = cds_meta_get(db, "paired_box", l.node_box, 32);
	if (found < 0)
		return cds_sqlerr(db, _("node"));
	if (found == 0)
		return cds_err(db, CDSYNC_ENOTFOUND, "%s",
			       _("this device is not paired with its school "
				 "node yet: 'cdsync pair request', then "
				 "'cdsync pair finish'"));
	if (endpoint == NULL) {
		if ((rc = cdsync_lan_last(db, saved, &last_hlc, &newest)) !=
		    CDSYNC_OK)
			return rc;
		if (saved[0] == '\0')
			return cds_err(db, CDSYNC_EINVAL, "%s",
				       _("no address of the school node yet: "
					 "give it once, like "
					 "tcp://192.168.1.10:7420"));
		endpoint = saved;
	}
	if (strlen(endpoint) >= sizeof saved)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("the address of the school node is too "
				 "long"));
	l.endpoint = endpoint;
	if ((rc = cds_keys_need(db)) != CDSYNC_OK)
		return rc;
	if (cds_lan_key(l.k, l.node_box, db->box_sk) != 0)
		return cds_err(db, CDSYNC_ECORRUPT, "%s",
			       _("the school node's key kept at pairing is "
				 "not a valid key: pair again"));
	if ((rc = state_get(db, &s)) != CDSYNC_OK)
		goto out;
	if ((rc = own_pending(db, s.acked, &p.to_send)) != CDSYNC_OK)
		goto out;
	if (fn != NULL)
		fn(arg, &p);
	if ((rc = link_open(db, &l)) != CDSYNC_OK)
		goto out;
	cds_buf_init(&req, CDS_LAN_MAX);
	for (;;) {
		rc = next_request(db, &s, &req, &count, &last_hlc, &more,
				  &newest);
		if (rc == CDSYNC_OK)
			rc = round_trip(db, &l, &req, &rep, &plain, &plen);
		if (rc != CDSYNC_OK)
			break;
		/* the node holds less than was sent: it kept nothing of it */
		if (count > 0 && rep.acked_hlc < last_hlc) {
			sodium_memzero(plain, plen);
			cds_free(plain);
			plain = NULL;
			rc = cds_err(db, CDSYNC_ERROR,
				     _("the school node at %s did not keep the "
				       "changes sent; nothing is lost here, "
				       "they go again at the next sync"),
				     endpoint);
			break;
		}
		s.after = rep.next;
		s.acked = rep.acked_hlc;
		memset(&ms, 0, sizeof ms);
		rc = take_pull(db, &rep, &s, &ms);
		sodium_memzero(plain, plen);
		cds_free(plain);
		plain = NULL;
		if (rc != CDSYNC_OK)
			break;
		p.sent += count;
		p.received += ms.applied + ms.duplicates;
		p.applied += ms.applied;
		p.to_receive = p.received + rep.remaining;
		if (p.sent > p.to_send)
			p.to_send = p.sent;
		if (fn != NULL)
			fn(arg, &p);
		/* level: nothing left either way (a node restored from a
		 * backup holds less of this device than before: it goes
		 * again) */
		if (!more && rep.remaining == 0 && s.acked >= newest)
			break;
	}
	cds_buf_free(&req);
	if (rc == CDSYNC_OK)
		rc = done(db, endpoint);
out:
	if (l.sock >= 0)
		nn_close(l.sock);
	sodium_memzero(l.k, sizeof l.k);
	if (out != NULL)
		*out = p;
	return rc;
}

CDSYNC_API int
cdsync_lan_last(cdsync *db, char endpoint[256], uint64_t *ms,
		uint64_t *pending)
{
	struct lan_state s;
	sqlite3_stmt *st;
	uint8_t t[8];
	int found, rc;

	cds_ok(db);
	endpoint[0] = '\0';
	*ms = 0;
	*pending = 0;
	st = cds_prepare(db, "SELECT value FROM meta WHERE key = "
			     "'lan_endpoint'");
	if (st == NULL)
		return cds_sqlcode(db);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) > 0 &&
	    sqlite3_column_bytes(st, 0) < 256) {
		memcpy(endpoint, sqlite3_column_blob(st, 0),
		       (size_t)sqlite3_column_bytes(st, 0));
		endpoint[sqlite3_column_bytes(st, 0)] = '\0';
	}
	sqlite3_finalize(st);
	if ((found = cds_meta_get(db, "lan_last_ms", t, sizeof t)) < 0)
		return cds_sqlerr(db, _("node"));
	if (found)
		*ms = get64(t);
	if ((rc = state_get(db, &s)) != CDSYNC_OK)
		return rc;
	return own_pending(db, s.acked, pending);
}
