/* merge_test.c -- merging is commutative, associative and idempotent.
 *
 * Property test: for many seeds (500 by default; CDSYNC_PROP_SEEDS sets
 * it), 3 to 5 replicas of one school make random edits through the API
 * -- inserts, concurrent edits of one cell, deletes, edits of rows
 * another replica deleted (re-inserts) -- with clocks that disagree, and
 * exchange their changes in random order with duplicates.  After a full
 * exchange every replica's canonical dump (every table, every value, and
 * the rows held back as invalid) must be byte for byte the same.
 * Then the rules one by one, on two replicas.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "id.h"
#include "merge.h"
#include "store.h"
#include "testutil.h"

/* ==== Deterministic randomness and clocks ============================= */

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static uint64_t now_ms;		/* the "true" time */
static int64_t skew_ms;		/* the clock of the replica writing */

static uint64_t
fakeclock(void)
{
	return now_ms + (uint64_t)skew_ms;
}

/* ==== Moving changes ================================================== */

struct entry {
	struct cds_change c;
	uint8_t *cols;		/* owned copy */
};

struct batch {
	struct entry *e;
	size_t n;
};

static void
batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->e[i].cols);
	free(b->e);
	b->e = NULL;
	b->n = 0;
}

/* Every change in a replica's log. */
static void
log_of(cdsync *db, struct batch *b)
{
	sqlite3_stmt *st;
	size_t cap = 0;

	assert_int_equal(sqlite3_prepare_v2(db->db,
		"SELECT c.tbl, c.rid, c.op, c.hlc, n.node_id, c.base, c.vals "
		"FROM sync_change c JOIN sync_node n ON n.idx = c.node "
		"ORDER BY c.seq", -1, &st, NULL), SQLITE_OK);
	b->n = 0;
	b->e = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct entry *x;

		if (b->n == cap) {
			cap = cap ? 2 * cap : 64;
			b->e = realloc(b->e, cap * sizeof *b->e);
			assert_non_null(b->e);
		}
		x = &b->e[b->n++];
		memset(x, 0, sizeof *x);
		x->c.kind = (uint8_t)sqlite3_column_int(st, 0);
		memcpy(x->c.row, sqlite3_column_blob(st, 1), 16);
		x->c.op = (uint8_t)sqlite3_column_int(st, 2);
		x->c.hlc = (uint64_t)sqlite3_column_int64(st, 3);
		memcpy(x->c.origin, sqlite3_column_blob(st, 4), 16);
		x->c.base = (uint64_t)sqlite3_column_int64(st, 5);
		if (x->c.op == CDS_OP_SET) {
			x->c.ncols = (size_t)sqlite3_column_bytes(st, 6);
			x->cols = malloc(x->c.ncols + 1);
			memcpy(x->cols, sqlite3_column_blob(st, 6), x->c.ncols);
			x->c.cols = x->cols;
		}
	}
	sqlite3_finalize(st);
}

/* Sends `count` changes of `from`'s log to `to`, picked at random (so in
 * random order, some twice), in one merge. */
static void
send(cdsync *from, cdsync *to, size_t count)
{
	struct cds_merge_stats st = { 0 };
	struct cds_change *pick;
	struct batch b;
	size_t i;

	log_of(from, &b);
	if (b.n == 0)
		return;
	pick = malloc((count ? count : 1) * sizeof *pick);
	for (i = 0; i < count; i++)
		pick[i] = b.e[rnd((uint32_t)b.n)].c;
	assert_int_equal(cds_merge_begin(to), CDSYNC_OK);
	if (cds_merge(to, pick, count, 0, &st) != CDSYNC_OK)
		fail_msg("merge: %s", cdsync_errmsg(to));
	assert_int_equal(cds_merge_commit(to), CDSYNC_OK);
	free(pick);
	batch_free(&b);
}

/* Sends everything, shuffled, with duplicates. */
static void
send_all(cdsync *from, cdsync *to)
{
	struct cds_merge_stats st = { 0 };
	struct cds_change *all, t;
	struct batch b;
	size_t i, j, n;

	log_of(from, &b);
	n = b.n + b.n / 3;
	all = malloc((n ? n : 1) * sizeof *all);
	for (i = 0; i < b.n; i++)
		all[i] = b.e[i].c;
	for (; i < n; i++)
		all[i] = b.e[rnd((uint32_t)b.n)].c;
	for (i = n; i > 1; i--) {
		j = rnd((uint32_t)i);
		t = all[i - 1];
		all[i - 1] = all[j];
		all[j] = t;
	}
	assert_int_equal(cds_merge_begin(to), CDSYNC_OK);
	if (cds_merge(to, all, n, 0, &st) != CDSYNC_OK)
		fail_msg("merge: %s", cdsync_errmsg(to));
	assert_int_equal(cds_merge_commit(to), CDSYNC_OK);
	free(all);
	batch_free(&b);
}

/* ==== Canonical dump ================================================== */

struct dump {
	char *p;
	size_t n, cap;
};

static void
put(struct dump *d, const void *p, size_t n)
{
	if (n == 0)
		return;
	while (d->n + n + 1 > d->cap) {
		d->cap = d->cap ? 2 * d->cap : 4096;
		d->p = realloc(d->p, d->cap);
		assert_non_null(d->p);
	}
	memcpy(d->p + d->n, p, n);
	d->n += n;
}

/* Every domain table and the invalid list, rows by id, values typed. */
static void
dump(cdsync *db, struct dump *d)
{
	static const char *const t[] = {
		"org_unit", "member", "plan", "key_task", "activity", "benefit",
		"legal_case", "legal_event", "council_seat", "initiative",
		"award", "agreement", "sync_invalid"
	};
	sqlite3_stmt *st;
	char sql[128], tag;
	size_t i;
	int c, n;

	d->n = 0;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1, 2",
			 t[i]);
		assert_int_equal(sqlite3_prepare_v2(db->db, sql, -1, &st,
						    NULL), SQLITE_OK);
		put(d, t[i], strlen(t[i]));
		while (sqlite3_step(st) == SQLITE_ROW)
			for (c = 0; c < sqlite3_column_count(st); c++) {
				tag = (char)('0' + sqlite3_column_type(st, c));
				n = sqlite3_column_bytes(st, c);
				put(d, &tag, 1);
				put(d, &n, sizeof n);
				put(d, sqlite3_column_blob(st, c), (size_t)n);
			}
		sqlite3_finalize(st);
	}
}

/* ==== Random edits ==================================================== */

static cdsync *
replica(void)
{
	cdsync *db = NULL;

	assert_int_equal(cdsync_open(":memory:", CDSYNC_OPEN_CREATE, &db),
			 CDSYNC_OK);
	if (cdsync_node_init(db, CDSYNC_ROLE_SCHOOL, "PROP-SCHOOL",
			     "Trường Thử", NULL) != CDSYNC_OK)
		fail_msg("init: %s", cdsync_errmsg(db));
	return db;
}

/* A random row id of a kind in db, or 0 if none. */
static int
some_row(cdsync *db, cdsync_kind k, uint8_t id[16])
{
	sqlite3_stmt *st;
	char sql[128];
	int found = 0;

	snprintf(sql, sizeof sql, "SELECT id FROM %s ORDER BY id LIMIT 1 "
				  "OFFSET ?1", cdsync_kind_name(k));
	assert_int_equal(sqlite3_prepare_v2(db->db, sql, -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(st, 1, (int)rnd(6));
	if (sqlite3_step(st) == SQLITE_ROW) {
		memcpy(id, sqlite3_column_blob(st, 0), 16);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

static const char *const names[] = { "An", "Bình", "Chi", "Dũng", "Hoa" };
static const char *const kinds[] = { "care", "training", "culture",
				     "propaganda", "health" };

static void
edit(cdsync *db)
{
	cdsync_rec *r = NULL;
	uint8_t a[16], m[16];
	char buf[32];
	int rc = CDSYNC_OK;

	switch (rnd(8)) {
	case 0:		/* a new member */
		(void)!cdsync_rec_new(CDSYNC_KIND_MEMBER, &r);
		snprintf(buf, sizeof buf, "%s %u", names[rnd(5)], rnd(1000));
		(void)!cdsync_rec_set(r, "full_name", buf);
		(void)!cdsync_rec_set_int(r, "birth_year", 1960 + rnd(40));
		rc = cdsync_insert(db, r);
		break;
	case 1:		/* a new activity */
		(void)!cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r);
		snprintf(buf, sizeof buf, "2025-%02u-%02u", 1 + rnd(12),
			 1 + rnd(28));
		(void)!cdsync_rec_set(r, "held_on", buf);
		(void)!cdsync_rec_set(r, "title", names[rnd(5)]);
		(void)!cdsync_rec_set(r, "kind", kinds[rnd(5)]);
		(void)!cdsync_rec_set_int(r, "cost", rnd(10) * 100000);
		rc = cdsync_insert(db, r);
		break;
	case 2:		/* a beneficiary */
		if (!some_row(db, CDSYNC_KIND_ACTIVITY, a) ||
		    !some_row(db, CDSYNC_KIND_MEMBER, m))
			return;
		(void)!cdsync_rec_new(CDSYNC_KIND_BENEFIT, &r);
		(void)!cdsync_rec_set_ref(r, "activity_id", a);
		(void)!cdsync_rec_set_ref(r, "member_id", m);
		(void)!cdsync_rec_set_int(r, "amount", rnd(5) * 100000);
		rc = cdsync_insert(db, r);
		break;
	case 3:		/* edit one cell of an activity: often the same */
	case 4:
		if (!some_row(db, CDSYNC_KIND_ACTIVITY, a))
			return;
		(void)!cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r);
		(void)!cdsync_rec_set_id(r, a);
		if (rnd(2))
			(void)!cdsync_rec_set_int(r, "cost",
						  rnd(10) * 100000);
		else
			(void)!cdsync_rec_set(r, "title", names[rnd(5)]);
		rc = cdsync_update(db, r);
		break;
	case 5:		/* edit a member's dates: may break a rule merged */
		if (!some_row(db, CDSYNC_KIND_MEMBER, m))
			return;
		(void)!cdsync_rec_new(CDSYNC_KIND_MEMBER, &r);
		(void)!cdsync_rec_set_id(r, m);
		snprintf(buf, sizeof buf, "20%02u-09-01", 10 + rnd(10));
		(void)!cdsync_rec_set(r, rnd(2) ? "joined_on" : "left_on",
				      buf);
		rc = cdsync_update(db, r);
		break;
	case 6:		/* delete an activity (and its beneficiaries) */
		if (!some_row(db, CDSYNC_KIND_ACTIVITY, a))
			return;
		rc = cdsync_delete(db, CDSYNC_KIND_ACTIVITY, a);
		break;
	default:	/* delete a beneficiary */
		if (!some_row(db, CDSYNC_KIND_BENEFIT, a))
			return;
		rc = cdsync_delete(db, CDSYNC_KIND_BENEFIT, a);
	}
	/* Refusals are fine (duplicate beneficiary, dates in the wrong
	 * order here, a row an orphan points at); failures are not. */
	if (rc != CDSYNC_OK && rc != CDSYNC_EEXIST && rc != CDSYNC_EINVAL &&
	    rc != CDSYNC_ECONSTRAINT && rc != CDSYNC_EREFERENCED &&
	    rc != CDSYNC_ENOTFOUND)
		fail_msg("edit: %d %s", rc, cdsync_errmsg(db));
	cdsync_rec_free(r);
}

static void
one_seed(uint64_t seed)
{
	cdsync *rep[5];
	int64_t skew[5] = { 0 };
	struct dump d0 = { 0 }, d = { 0 };
	int nrep, i, j, step, a, b;

	rng = seed * 2654435761u + 88172645463325252ull;
	nrep = 3 + (int)rnd(3);
	now_ms = 1760000000000ull;
	for (i = 0; i < nrep; i++) {
		/* clocks off by up to an hour; one in ten two years ahead,
		 * one in ten two years behind */
		skew[i] = (int64_t)rnd(7200000) - 3600000;
		switch (rnd(10)) {
		case 0:
			skew[i] += 2 * 365LL * 86400000;
			break;
		case 1:
			skew[i] -= 2 * 365LL * 86400000;
			break;
		default:
			break;
		}
		skew_ms = skew[i];
		rep[i] = replica();
	}
	for (step = 0; step < 40; step++) {
		now_ms += rnd(50);
		i = (int)rnd((uint32_t)nrep);
		/* now and then a clock is set back a year (a dead battery,
		 * a wrong date typed in): its HLC still only moves forward */
		if (rnd(40) == 0)
			skew[i] -= 365LL * 86400000;
		skew_ms = skew[i];
		if (rnd(4) == 0) {
			j = (int)rnd((uint32_t)nrep);
			if (j != i)
				send(rep[i], rep[j], 1 + rnd(12));
		} else {
			edit(rep[i]);
		}
	}
	/* everyone hears everyone, twice over, in random orders */
	for (step = 0; step < 2; step++)
		for (a = 0; a < nrep; a++)
			for (b = 0; b < nrep; b++)
				if (a != b) {
					skew_ms = skew[b];
					send_all(rep[a], rep[b]);
				}
	dump(rep[0], &d0);
	for (i = 1; i < nrep; i++) {
		dump(rep[i], &d);
		if (d.n != d0.n || memcmp(d.p, d0.p, d.n) != 0)
			fail_msg("seed %llu: replica %d differs from replica 0",
				 (unsigned long long)seed, i);
	}
	free(d0.p);
	free(d.p);
	for (i = 0; i < nrep; i++)
		cdsync_close(rep[i]);
}

static void
test_replicas_converge_whatever_the_order_for_many_seeds(void **state)
{
	const char *s = getenv("CDSYNC_PROP_SEEDS");
	uint64_t n = s ? strtoull(s, NULL, 10) : 500, seed;

	(void)state;
	cds_wall_hook = fakeclock;
	for (seed = 1; seed <= n; seed++)
		one_seed(seed);
	cds_wall_hook = NULL;
}

/* ==== The rules, one by one =========================================== */

static cdsync *x, *y;

static int
setup(void **state)
{
	(void)state;
	cds_wall_hook = fakeclock;
	now_ms = 1760000000000ull;
	skew_ms = 0;
	x = replica();
	y = replica();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cdsync_close(x);
	cdsync_close(y);
	cds_wall_hook = NULL;
	return 0;
}

static void
activity(cdsync *db, uint8_t id[16], const char *title)
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "held_on", "2025-10-01"), 0);
	assert_int_equal(cdsync_rec_set(r, "title", title), 0);
	assert_int_equal(cdsync_rec_set(r, "kind", "care"), 0);
	assert_int_equal(cdsync_insert(db, r), CDSYNC_OK);
	memcpy(id, cdsync_rec_id(r), 16);
	cdsync_rec_free(r);
}

static void
retitle(cdsync *db, const uint8_t id[16], const char *title)
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_id(r, id), 0);
	assert_int_equal(cdsync_rec_set(r, "title", title), 0);
	assert_int_equal(cdsync_update(db, r), CDSYNC_OK);
	cdsync_rec_free(r);
}

static const char *
title(cdsync *db, const uint8_t id[16], char *buf, size_t n)
{
	cdsync_rec *r = NULL;

	if (cdsync_get(db, CDSYNC_KIND_ACTIVITY, id, &r) != CDSYNC_OK)
		return "(none)";
	snprintf(buf, n, "%s", cdsync_rec_get(r, "title"));
	cdsync_rec_free(r);
	return buf;
}

static void
test_the_later_edit_of_a_cell_wins_on_both_sides(void **state)
{
	uint8_t a[16];
	char b1[64], b2[64];

	(void)state;
	activity(x, a, "Thăm hỏi");
	send_all(x, y);
	now_ms += 10;
	retitle(x, a, "Thăm hỏi ốm đau");
	now_ms += 10;
	retitle(y, a, "Thăm hỏi gia đình");	/* later: wins */
	send_all(x, y);
	send_all(y, x);
	assert_string_equal(title(x, a, b1, sizeof b1), "Thăm hỏi gia đình");
	assert_string_equal(title(y, a, b2, sizeof b2), "Thăm hỏi gia đình");
}

static void
test_a_clock_set_back_still_moves_forward(void **state)
{
	uint8_t a[16];
	char b1[64], b2[64];

	(void)state;
	skew_ms = 2LL * 365 * 86400000;	/* two years ahead... */
	activity(x, a, "Họp tổ");
	send_all(x, y);
	skew_ms = -2LL * 365 * 86400000;	/* ...then set four back */
	now_ms += 10;
	retitle(x, a, "Họp tổ chuyên môn");	/* still the later edit */
	now_ms += 10;
	skew_ms = 0;
	send_all(x, y);
	send_all(y, x);
	assert_string_equal(title(x, a, b1, sizeof b1), "Họp tổ chuyên môn");
	assert_string_equal(title(y, a, b2, sizeof b2), "Họp tổ chuyên môn");
	/* y, two years behind x's first clock, edits after seeing it: wins */
	skew_ms = -2LL * 365 * 86400000;
	now_ms += 10;
	retitle(y, a, "Họp tổ chuyên môn tháng 9");
	skew_ms = 0;
	send_all(y, x);
	assert_string_equal(title(x, a, b1, sizeof b1),
			    "Họp tổ chuyên môn tháng 9");
}

/* The notices of a store, as "type:field:kept:lost" lines. */
static void
notices(cdsync *db, char *out, size_t n)
{
	cdsync_notices *it = NULL;
	const cdsync_notice *no;
	size_t off = 0;

	out[0] = '\0';
	assert_int_equal(cdsync_notices_open(db, &it), CDSYNC_OK);
	while (cdsync_notices_next(it, &no) == CDSYNC_OK)
		off += (size_t)snprintf(out + off, n - off, "%d:%s:%s:%s;",
					no->type, no->field ? no->field : "",
					no->kept ? no->kept : "",
					no->lost ? no->lost : "");
	cdsync_notices_close(it);
}

static void
test_a_concurrent_edit_that_lost_is_listed_and_a_correction_is_not(
	void **state)
{
	uint8_t a[16];
	char got[512];

	(void)state;
	activity(x, a, "Thăm hỏi");
	send_all(x, y);
	now_ms += 10;
	retitle(x, a, "Thăm hỏi ốm đau");
	now_ms += 10;
	retitle(y, a, "Thăm hỏi gia đình");	/* neither saw the other */
	send_all(x, y);
	send_all(y, x);
	notices(x, got, sizeof got);
	assert_string_equal(got, "1:title:Thăm hỏi gia đình:Thăm hỏi ốm đau;");
	notices(y, got, sizeof got);
	assert_string_equal(got, "1:title:Thăm hỏi gia đình:Thăm hỏi ốm đau;");
	/* x corrects it having seen both values: the conflict is resolved,
	 * and nothing is listed any more */
	now_ms += 10;
	retitle(x, a, "Thăm hỏi gia đình đoàn viên");
	send_all(x, y);
	notices(y, got, sizeof got);
	assert_string_equal(got, "");
}

static void
test_an_edit_after_a_delete_brings_the_row_back(void **state)
{
	uint8_t a[16];
	char b1[64], b2[64];

	(void)state;
	activity(x, a, "Hội thao");
	send_all(x, y);
	now_ms += 10;
	assert_int_equal(cdsync_delete(x, CDSYNC_KIND_ACTIVITY, a), CDSYNC_OK);
	now_ms += 10;
	retitle(y, a, "Hội thao 20/11");	/* y has not seen the delete */
	send_all(x, y);
	send_all(y, x);
	assert_string_equal(title(x, a, b1, sizeof b1), "Hội thao 20/11");
	assert_string_equal(title(y, a, b2, sizeof b2), "Hội thao 20/11");
	/* and a later delete wins again */
	now_ms += 10;
	assert_int_equal(cdsync_delete(y, CDSYNC_KIND_ACTIVITY, a), CDSYNC_OK);
	send_all(y, x);
	assert_string_equal(title(x, a, b1, sizeof b1), "(none)");
}

static void
test_a_clock_far_ahead_is_flagged_but_accepted(void **state)
{
	struct cds_merge_stats st = { 0 };
	uint8_t a[16];
	char b[64];
	struct batch bt;

	(void)state;
	skew_ms = 9LL * 365 * 86400000;	/* a PC that thinks it is 2034 */
	activity(x, a, "Tương lai");
	skew_ms = 0;
	log_of(x, &bt);
	assert_int_equal(cds_merge_begin(y), CDSYNC_OK);
	assert_int_equal(cds_merge(y, &bt.e[bt.n - 1].c, 1, 0, &st),
			 CDSYNC_OK);
	assert_int_equal(cds_merge_commit(y), CDSYNC_OK);
	batch_free(&bt);
	assert_int_equal(st.applied, 1);
	assert_int_equal(st.future, 1);
	assert_int_equal(tu_count(y, "SELECT count(*) FROM sync_future"), 1);
	{
		cdsync_notices *it = NULL;
		const cdsync_notice *no;

		assert_int_equal(cdsync_notices_open(y, &it), CDSYNC_OK);
		assert_int_equal(cdsync_notices_next(it, &no), CDSYNC_OK);
		assert_int_equal(no->type, CDSYNC_NOTICE_FUTURE);
		assert_true(no->ahead_ms > 8LL * 365 * 86400000);
		assert_int_equal(cdsync_notices_next(it, &no), CDSYNC_DONE);
		cdsync_notices_close(it);
	}
	assert_string_equal(title(y, a, b, sizeof b), "Tương lai");
}

static void
test_a_change_with_a_value_the_api_would_refuse_is_refused(void **state)
{
	struct cds_merge_stats st = { 0 };
	struct cds_change c;
	uint32_t cols[] = { 8 };	/* cost */
	cds_val v[] = { { CDS_V_INT, -5, NULL, 0 } };
	cds_buf b;
	uint8_t node[16];
	long before = tu_count(y, "SELECT count(*) FROM sync_change");

	(void)state;
	cds_buf_init(&b, 1024);
	cds_colset_put(&b, 1, cols, v);
	memset(&c, 0, sizeof c);
	c.kind = CDSYNC_KIND_ACTIVITY;
	cds_id_new(c.row);
	c.op = CDS_OP_SET;
	c.hlc = (1760000000000ull << 16);
	assert_int_equal(cdsync_node_id(x, node), CDSYNC_OK);
	memcpy(c.origin, node, 16);
	c.cols = b.p;
	c.ncols = b.n;
	assert_int_equal(cds_merge_begin(y), CDSYNC_OK);
	assert_int_equal(cds_merge(y, &c, 1, 0, &st), CDSYNC_EBADINPUT);
	cds_merge_rollback(y);
	assert_non_null(strstr(cdsync_errmsg(y), "change 1 (activity "));
	assert_non_null(strstr(cdsync_errmsg(y), "cost: "));
	assert_int_equal(tu_count(y, "SELECT count(*) FROM sync_change"),
			 before);
	cds_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest rules[] = {
		cmocka_unit_test_setup_teardown(
			test_the_later_edit_of_a_cell_wins_on_both_sides, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_an_edit_after_a_delete_brings_the_row_back, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_concurrent_edit_that_lost_is_listed_and_a_correction_is_not,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_clock_far_ahead_is_flagged_but_accepted, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_change_with_a_value_the_api_would_refuse_is_refused,
			setup, teardown),
		cmocka_unit_test(
			test_replicas_converge_whatever_the_order_for_many_seeds),
		cmocka_unit_test_setup_teardown(
			test_a_clock_set_back_still_moves_forward, setup,
			teardown),
	};

	return cmocka_run_group_tests(rules, NULL, NULL);
}
