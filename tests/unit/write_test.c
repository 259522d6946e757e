/* write_test.c -- every API write is captured exactly, and a failed write
 * leaves neither row nor change. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "id.h"
#include "store.h"
#include "testutil.h"

/* Ends the variadic field lists (a typed NULL, as C requires). */
#define END ((const char *)NULL)

/* A fingerprint of everything in the store: every value of every row of
 * every table (the change log included), hashed (FNV-1a) in table order. */
static void
snapshot(cdsync *db, char *out, size_t n)
{
	sqlite3_stmt *tabs, *st;
	uint64_t h = 1469598103934665603ull;
	char sql[300];
	const unsigned char *p;
	int i, len, j;

	assert_int_equal(sqlite3_prepare_v2(db->db,
		"SELECT name FROM sqlite_schema WHERE type = 'table' "
		"ORDER BY name", -1, &tabs, NULL), SQLITE_OK);
	while (sqlite3_step(tabs) == SQLITE_ROW) {
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1",
			 (const char *)sqlite3_column_text(tabs, 0));
		assert_int_equal(sqlite3_prepare_v2(db->db, sql, -1, &st, NULL),
				 SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW)
			for (i = 0; i < sqlite3_column_count(st); i++) {
				p = sqlite3_column_blob(st, i);
				len = sqlite3_column_bytes(st, i);
				for (j = 0; j < len; j++)
					h = (h ^ p[j]) * 1099511628211ull;
				h = (h ^ 0xff) * 1099511628211ull;
			}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tabs);
	snprintf(out, n, "%016llx changes=%ld", (unsigned long long)h,
		 tu_count(db, "SELECT count(*) FROM sync_change"));
}

static cdsync_rec *
rec(cdsync_kind k, ...)
{
	cdsync_rec *r = NULL;
	const char *f, *v;
	va_list ap;

	assert_int_equal(cdsync_rec_new(k, &r), CDSYNC_OK);
	va_start(ap, k);
	while ((f = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (cdsync_rec_set(r, f, v) != CDSYNC_OK)
			fail_msg("set %s=%s: %s", f, v, cdsync_rec_errmsg(r));
	}
	va_end(ap);
	return r;
}

static void
add(cdsync *db, cdsync_rec *r, uint8_t id[16])
{
	if (cdsync_insert(db, r) != CDSYNC_OK)
		fail_msg("insert: %s", cdsync_errmsg(db));
	if (id)
		memcpy(id, cdsync_rec_id(r), 16);
	cdsync_rec_free(r);
}

struct want {
	cdsync_kind kind;
	const char *field;	/* NULL: a delete */
	const char *value;
};

static void
expect_changes(cdsync *db, uint64_t after, const struct want *w, size_t n,
	       const uint8_t *rows /* n x 16 */)
{
	cdsync_changes *it = NULL;
	const cdsync_change *ch;
	uint8_t node[16];
	uint64_t lasthlc = 0, lastseq = 0;
	size_t i = 0;
	int rc;

	assert_int_equal(cdsync_node_id(db, node), CDSYNC_OK);
	assert_int_equal(cdsync_changes_open(db, after, &it), CDSYNC_OK);
	while ((rc = cdsync_changes_next(it, &ch)) == CDSYNC_OK) {
		if (i >= n)
			fail_msg("unexpected change %s.%s=%s",
				 cdsync_kind_name(ch->kind),
				 ch->field ? ch->field : "(delete)",
				 ch->value ? ch->value : "NULL");
		assert_int_equal(ch->kind, w[i].kind);
		if (w[i].field == NULL)
			assert_null(ch->field);
		else
			assert_string_equal(ch->field, w[i].field);
		if (w[i].value == NULL)
			assert_null(ch->value);
		else
			assert_string_equal(ch->value, w[i].value);
		assert_memory_equal(ch->origin, node, 16);
		assert_memory_equal(ch->row, rows + 16 * i, 16);
		/* one clock tick per written row, increasing */
		if (ch->seq != lastseq)
			assert_true(ch->hlc > lasthlc);
		else
			assert_true(ch->hlc == lasthlc);
		lasthlc = ch->hlc;
		lastseq = ch->seq;
		i++;
	}
	assert_int_equal(rc, CDSYNC_DONE);
	assert_int_equal(i, n);
	cdsync_changes_close(it);
}

static uint64_t
maxseq(cdsync *db)
{
	return (uint64_t)tu_count(db, "SELECT coalesce(max(seq), 0) FROM "
				      "sync_change");
}

static void
test_a_series_of_writes_yields_exactly_these_changes(void **state)
{
	cdsync *db = tu_store();
	uint8_t org[16], m[16], a[16], b[16], rows[20 * 16];
	char orghex[33], mhex[33], ahex[33];
	cdsync_rec *r;
	uint64_t s0 = maxseq(db);
	size_t i;

	(void)state;
	assert_int_equal(cdsync_node_org(db, org), CDSYNC_OK);
	cds_id_hex(org, orghex);
	add(db, rec(CDSYNC_KIND_MEMBER, "full_name", "Nguyễn Văn An", "code",
		    "M001", "sex", "male", "birth_year", "1985", "job",
		    "teacher", "joined_on", "01/09/2010", END), m);
	add(db, rec(CDSYNC_KIND_ACTIVITY, "held_on", "20/01/2026", "title",
		    "Tết Sum vầy", "kind", "care", "cost", "1.500.000 đ", END),
	    a);
	r = rec(CDSYNC_KIND_BENEFIT, "amount", "500000", END);
	assert_int_equal(cdsync_rec_set_ref(r, "activity_id", a), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_ref(r, "member_id", m), CDSYNC_OK);
	add(db, r, b);
	/* an update writes only what changed */
	r = rec(CDSYNC_KIND_MEMBER, "job", "manager", "sex", "male", END);
	assert_int_equal(cdsync_rec_set_id(r, m), CDSYNC_OK);
	assert_int_equal(cdsync_update(db, r), CDSYNC_OK);
	/* the same update again changes nothing and captures nothing */
	assert_int_equal(cdsync_update(db, r), CDSYNC_OK);
	cdsync_rec_free(r);
	/* deleting the activity takes its beneficiary with it */
	assert_int_equal(cdsync_delete(db, CDSYNC_KIND_ACTIVITY, a), CDSYNC_OK);

	cds_id_hex(m, mhex);
	cds_id_hex(a, ahex);
	{
		const struct want w[] = {
			{ CDSYNC_KIND_MEMBER, "org_id", orghex },
			{ CDSYNC_KIND_MEMBER, "code", "M001" },
			{ CDSYNC_KIND_MEMBER, "full_name", "Nguyễn Văn An" },
			{ CDSYNC_KIND_MEMBER, "sex", "male" },
			{ CDSYNC_KIND_MEMBER, "birth_year", "1985" },
			{ CDSYNC_KIND_MEMBER, "job", "teacher" },
			{ CDSYNC_KIND_MEMBER, "joined_on", "2010-09-01" },
			{ CDSYNC_KIND_ACTIVITY, "org_id", orghex },
			{ CDSYNC_KIND_ACTIVITY, "held_on", "2026-01-20" },
			{ CDSYNC_KIND_ACTIVITY, "title", "Tết Sum vầy" },
			{ CDSYNC_KIND_ACTIVITY, "kind", "care" },
			{ CDSYNC_KIND_ACTIVITY, "innovative", "0" },
			{ CDSYNC_KIND_ACTIVITY, "cost", "1500000" },
			{ CDSYNC_KIND_BENEFIT, "activity_id", ahex },
			{ CDSYNC_KIND_BENEFIT, "member_id", mhex },
			{ CDSYNC_KIND_BENEFIT, "amount", "500000" },
			{ CDSYNC_KIND_MEMBER, "job", "manager" },
			{ CDSYNC_KIND_BENEFIT, NULL, NULL },
			{ CDSYNC_KIND_ACTIVITY, NULL, NULL },
		};
		const uint8_t *who[] = { m, m, m, m, m, m, m, a, a, a, a, a, a,
					 b, b, b, m, b, a };

		for (i = 0; i < sizeof who / sizeof who[0]; i++)
			memcpy(rows + 16 * i, who[i], 16);
		expect_changes(db, s0, w, sizeof w / sizeof w[0], rows);
	}
	assert_int_equal(tu_count(db, "SELECT count(*) FROM activity"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM benefit"), 0);
	cdsync_close(db);
}

static void
test_a_beneficiary_id_is_derived_from_activity_and_member(void **state)
{
	cdsync *db = tu_store();
	uint8_t m[16], a[16], b[16], want[16];
	cdsync_rec *r;

	(void)state;
	add(db, rec(CDSYNC_KIND_MEMBER, "full_name", "Lê Thị Bình", END), m);
	add(db, rec(CDSYNC_KIND_ACTIVITY, "held_on", "2026-01-20", "title",
		    "Bữa cơm công đoàn", "kind", "care", END), a);
	r = rec(CDSYNC_KIND_BENEFIT, END);
	assert_int_equal(cdsync_rec_set_ref(r, "activity_id", a), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_ref(r, "member_id", m), CDSYNC_OK);
	add(db, r, b);
	cds_id_derive("cdsync.benefit.v1", a, m, want);
	assert_memory_equal(b, want, 16);
	cdsync_close(db);
}

/* Runs a write that must fail with `code` and `msg`, and checks that the
 * store did not change at all. */
static void
refused(cdsync *db, int rc, int code, const char *msg, const char *before)
{
	char after[1024];

	if (rc != code)
		fail_msg("expected code %d, got %d: %s", code, rc,
			 cdsync_errmsg(db));
	assert_string_equal(cdsync_errmsg(db), msg);
	snapshot(db, after, sizeof after);
	assert_string_equal(before, after);
}

static void
test_bad_values_are_refused_when_set_with_a_clear_reason(void **state)
{
	cdsync_rec *r = NULL;

	(void)state;
	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "kind", "party"), CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "kind: 'party' is not one of: propaganda, training, "
			    "care, culture, health, emulation, dialogue, "
			    "inspection, remote_support, welfare");
	assert_int_equal(cdsync_rec_set(r, "held_on", "31/02/2025"),
			 CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "held_on: '31/02/2025' is not a real date "
			    "(February 2025 has 28 days)");
	assert_int_equal(cdsync_rec_set(r, "held_on", "2025/02/03"),
			 CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "held_on: '2025/02/03' is not a date: use "
			    "dd/mm/yyyy or yyyy-mm-dd");
	assert_int_equal(cdsync_rec_set(r, "cost", "-5"), CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "cost: '-5': the amount cannot be negative");
	assert_int_equal(cdsync_rec_set_int(r, "cost", -5), CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "cost: money cannot be negative");
	assert_int_equal(cdsync_rec_set(r, "cost", "1.5"), CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "cost: '1.5': separators must split the digits in "
			    "groups of 3, as in 1.234.567 (no decimals)");
	assert_int_equal(cdsync_rec_set(r, "innovative", "maybe"),
			 CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "innovative: 'maybe' is not yes or no: write có or "
			    "không (or 1 or 0)");
	assert_int_equal(cdsync_rec_set(r, "participants", "-1"),
			 CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "participants: '-1' is out of range: it must be "
			    "between 0 and 1000000");
	assert_int_equal(cdsync_rec_set(r, "colour", "red"), CDSYNC_ENOTFOUND);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "activity has no field 'colour'");
	/* nothing was set by the failures */
	assert_null(cdsync_rec_get(r, "kind"));
	assert_null(cdsync_rec_get(r, "held_on"));
	assert_null(cdsync_rec_get(r, "cost"));
	assert_int_equal(cdsync_rec_set(r, "kind", "remote-support"),
			 CDSYNC_OK);
	assert_string_equal(cdsync_rec_get(r, "kind"), "remote_support");
	cdsync_rec_free(r);

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_PLAN, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "school_year", "2025-2027"),
			 CDSYNC_EINVAL);
	assert_string_equal(cdsync_rec_errmsg(r),
			    "school_year: '2025-2027' is not a school year: "
			    "write it as 2025-2026");
	assert_int_equal(cdsync_rec_set(r, "school_year", "2025-2026"),
			 CDSYNC_OK);
	assert_string_equal(cdsync_rec_get(r, "school_year"), "2025-2026");
	cdsync_rec_free(r);
}

static void
test_failed_writes_leave_neither_row_nor_change(void **state)
{
	cdsync *db = tu_store();
	uint8_t m[16], m2[16], a[16], other[16], ghost[16];
	char before[1024];
	cdsync_rec *r;
	sqlite3_stmt *st;

	(void)state;
	add(db, rec(CDSYNC_KIND_MEMBER, "full_name", "Phạm Văn Cường", "code",
		    "M010", END), m);
	add(db, rec(CDSYNC_KIND_ACTIVITY, "held_on", "2026-03-08", "title",
		    "Gặp mặt 8/3", "kind", "care", END), a);
	/* a member of another union, as a merge would bring it */
	cds_id_new(other);
	cds_id_new(m2);
	assert_int_equal(sqlite3_prepare_v2(db->db,
		"INSERT INTO org_unit VALUES (?1, 'OTHER', 'Trường khác', "
		"'grassroots', NULL)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, other, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db->db,
		"INSERT INTO member (id, org_id, full_name) VALUES "
		"(?1, ?2, 'Người ngoài')", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, m2, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, other, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	snapshot(db, before, sizeof before);

	/* a required field missing */
	r = rec(CDSYNC_KIND_ACTIVITY, "title", "Không ngày", "kind", "care", END);
	refused(db, cdsync_insert(db, r), CDSYNC_EINVAL,
		"activity: Date (held_on) is required", before);
	assert_null(cdsync_rec_id(r));
	cdsync_rec_free(r);

	/* a beneficiary who is not a member of the activity's union */
	r = rec(CDSYNC_KIND_BENEFIT, END);
	assert_int_equal(cdsync_rec_set_ref(r, "activity_id", a), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_ref(r, "member_id", m2), CDSYNC_OK);
	refused(db, cdsync_insert(db, r), CDSYNC_ECONSTRAINT,
		"benefit: member is not in the union of the activity", before);
	cdsync_rec_free(r);

	/* a reference to nothing */
	cds_id_make(1735689600000ull, (const uint8_t *)"0123456789", ghost);
	r = rec(CDSYNC_KIND_ACTIVITY, "held_on", "2026-03-08", "title", "X",
		"kind", "training", "key_task_id",
		"01941f297c0070308233343536373839", END);
	refused(db, cdsync_insert(db, r), CDSYNC_ENOTFOUND,
		"activity: Key task served (key_task_id): there is no key task "
		"with id 01941f297c0070308233343536373839", before);
	cdsync_rec_free(r);

	/* the same member code twice in one union */
	r = rec(CDSYNC_KIND_MEMBER, "full_name", "Phạm Văn Cường", "code",
		"M010", END);
	refused(db, cdsync_insert(db, r), CDSYNC_EEXIST,
		"member: code M010 is already used by another member of this "
		"union", before);
	cdsync_rec_free(r);

	/* dates in the wrong order */
	r = rec(CDSYNC_KIND_MEMBER, "left_on", "2001-01-01", END);
	assert_int_equal(cdsync_rec_set_id(r, m), CDSYNC_OK);
	assert_int_equal(cdsync_update(db, r), CDSYNC_OK); /* no joined_on */
	cdsync_rec_free(r);
	snapshot(db, before, sizeof before);
	r = rec(CDSYNC_KIND_MEMBER, "joined_on", "2010-09-05", END);
	assert_int_equal(cdsync_rec_set_id(r, m), CDSYNC_OK);
	refused(db, cdsync_update(db, r), CDSYNC_EINVAL,
		"member: Left (left_on) 01/01/2001 is before Joined "
		"(joined_on) 05/09/2010", before);
	cdsync_rec_free(r);

	/* an outcome for an initiative never proposed */
	r = rec(CDSYNC_KIND_INITIATIVE, "title", "Sổ tay số", "author",
		"Phạm Văn Cường", "year", "2025", "clc_outcome", "awarded", END);
	refused(db, cdsync_insert(db, r), CDSYNC_EINVAL,
		"initiative: a certificate outcome needs clc_proposed = yes",
		before);
	cdsync_rec_free(r);

	/* a member still used is not deleted */
	r = rec(CDSYNC_KIND_BENEFIT, END);
	assert_int_equal(cdsync_rec_set_ref(r, "activity_id", a), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_ref(r, "member_id", m), CDSYNC_OK);
	add(db, r, NULL);
	snapshot(db, before, sizeof before);
	{
		char msg[256], hex[33];

		cds_id_hex(m, hex);
		snprintf(msg, sizeof msg,
			 "member %s is still used by 1 beneficiary record(s); "
			 "a member who leaves is marked with 'member leave', "
			 "not deleted", hex + 24);
		refused(db, cdsync_delete(db, CDSYNC_KIND_MEMBER, m),
			CDSYNC_EREFERENCED, msg, before);
	}
	/* the same beneficiary twice */
	r = rec(CDSYNC_KIND_BENEFIT, END);
	assert_int_equal(cdsync_rec_set_ref(r, "activity_id", a), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_ref(r, "member_id", m), CDSYNC_OK);
	refused(db, cdsync_insert(db, r), CDSYNC_EEXIST,
		"beneficiary: this member already benefited from this activity",
		before);
	cdsync_rec_free(r);
	cdsync_close(db);
}

static void
test_a_failed_write_inside_a_transaction_spares_the_others(void **state)
{
	cdsync *db = tu_store();
	cdsync_rec *bad;
	long n0;

	(void)state;
	n0 = tu_count(db, "SELECT count(*) FROM sync_change");
	assert_int_equal(cdsync_begin(db), CDSYNC_OK);
	add(db, rec(CDSYNC_KIND_MEMBER, "full_name", "Đỗ Thị Dung", END), NULL);
	bad = rec(CDSYNC_KIND_MEMBER, "code", "X", END);
	assert_int_equal(cdsync_insert(db, bad), CDSYNC_EINVAL);
	cdsync_rec_free(bad);
	add(db, rec(CDSYNC_KIND_MEMBER, "full_name", "Hoàng Văn Em", END),
	    NULL);
	assert_int_equal(cdsync_commit(db), CDSYNC_OK);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member"), 2);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"),
			 n0 + 2);
	/* and a rolled back transaction leaves nothing */
	assert_int_equal(cdsync_begin(db), CDSYNC_OK);
	add(db, rec(CDSYNC_KIND_MEMBER, "full_name", "Bùi Văn Phong", END),
	    NULL);
	assert_int_equal(cdsync_rollback(db), CDSYNC_OK);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member"), 2);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"),
			 n0 + 2);
	cdsync_close(db);
}

static void
test_legal_cases_keep_their_status_history(void **state)
{
	cdsync *db = tu_store();
	uint8_t c[16];
	cdsync_rec *r;

	(void)state;
	add(db, rec(CDSYNC_KIND_LEGAL_CASE, "opened_on", "05/10/2025", "topic",
		    "Chế độ thai sản", END), c);
	assert_int_equal(cdsync_legal_set_status(db, c, "escalated",
						 "12/10/2025", "Gửi tổ tư vấn"),
			 CDSYNC_OK);
	assert_int_equal(cdsync_legal_set_status(db, c, "resolved",
						 "2025-11-02", END),
			 CDSYNC_OK);
	assert_int_equal(cdsync_legal_set_status(db, c, "closed", NULL, NULL),
			 CDSYNC_EINVAL);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM legal_event"), 3);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM legal_event WHERE "
				      "status = 'escalated' AND at = "
				      "'2025-10-12'"), 1);
	assert_int_equal(cdsync_get(db, CDSYNC_KIND_LEGAL_CASE, c, &r),
			 CDSYNC_OK);
	assert_string_equal(cdsync_rec_get(r, "status"), "resolved");
	assert_string_equal(cdsync_rec_get(r, "closed_on"), "2025-11-02");
	cdsync_rec_free(r);
	/* deleting the case takes its history with it, with tombstones */
	assert_int_equal(cdsync_delete(db, CDSYNC_KIND_LEGAL_CASE, c), CDSYNC_OK);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM legal_event"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change WHERE "
				      "op = 2"), 4);
	cdsync_close(db);
}

static void
test_every_kind_can_be_created_read_listed_updated_and_deleted(void **state)
{
	cdsync *db = tu_store();
	uint8_t m[16], t[16], id[16];
	cdsync_cursor *cur;
	const cdsync_rec *row;
	cdsync_rec *r, *got;
	struct {
		cdsync_kind k;
		const char *f1, *v1, *f2, *v2, *f3, *v3, *f4, *v4;
		const char *ef, *ev;	/* an edit */
	} c[] = {
		{ CDSYNC_KIND_PLAN, "school_year", "2025", "title",
		  "Kế hoạch năm học", NULL, NULL, NULL, NULL, "tied_to_tasks",
		  "no" },
		{ CDSYNC_KIND_KEY_TASK, "kind", "strategy", "title",
		  "Chiến lược 2023-2028", NULL, NULL, NULL, NULL, "detail",
		  "Chuyển đổi số" },
		{ CDSYNC_KIND_ACTIVITY, "held_on", "2025-12-01", "title",
		  "Tập huấn", "kind", "training", NULL, NULL, "participants",
		  "40" },
		{ CDSYNC_KIND_LEGAL_CASE, "opened_on", "2025-12-01", "topic",
		  "Hợp đồng", NULL, NULL, NULL, NULL, "note", "Đã gọi điện" },
		{ CDSYNC_KIND_COUNCIL_SEAT, "council", "salary", "from_on",
		  "2025-09-01", NULL, NULL, NULL, NULL, "to_on", "2026-08-31" },
		{ CDSYNC_KIND_INITIATIVE, "title", "Ứng dụng điểm danh",
		  "author", "Nguyễn Văn An", "year", "2025", "clc_proposed",
		  "yes", "clc_outcome", "pending" },
		{ CDSYNC_KIND_AWARD, "awarded_on", "2025-11-20", "title",
		  "Giấy khen", "recipient_kind", "collective", "recipient",
		  "Tổ Toán", "issuer", "Sở GD&ĐT" },
		{ CDSYNC_KIND_AGREEMENT, "partner", "Ngân hàng X", "title",
		  "Ưu đãi vay", "signed_on", "2025-10-10", NULL, NULL,
		  "ends_on", "2027-10-10" },
	};
	size_t i;
	int n, rc;

	(void)state;
	add(db, rec(CDSYNC_KIND_MEMBER, "full_name", "Nguyễn Văn An", "code",
		    "A1", END), m);
	add(db, rec(CDSYNC_KIND_KEY_TASK, "kind", "task", "title",
		    "Nâng cao chất lượng dạy học", END), t);
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		r = rec(c[i].k, c[i].f1, c[i].v1, c[i].f2, c[i].v2, c[i].f3,
			c[i].v3, c[i].f4, c[i].v4, END);
		if (c[i].k == CDSYNC_KIND_COUNCIL_SEAT)
			assert_int_equal(cdsync_rec_set_ref(r, "member_id", m),
					 CDSYNC_OK);
		add(db, r, id);
		/* get */
		assert_int_equal(cdsync_get(db, c[i].k, id, &got), CDSYNC_OK);
		assert_string_equal(cdsync_rec_get(got, c[i].f2) ?
				    cdsync_rec_get(got, c[i].f2) : "",
				    cdsync_rec_get(got, c[i].f2));
		cdsync_rec_free(got);
		/* update */
		r = rec(c[i].k, c[i].ef, c[i].ev, END);
		assert_int_equal(cdsync_rec_set_id(r, id), CDSYNC_OK);
		if (cdsync_update(db, r) != CDSYNC_OK)
			fail_msg("%s: %s", cdsync_kind_name(c[i].k),
				 cdsync_errmsg(db));
		cdsync_rec_free(r);
		assert_int_equal(cdsync_get(db, c[i].k, id, &got), CDSYNC_OK);
		assert_non_null(cdsync_rec_get(got, c[i].ef));
		cdsync_rec_free(got);
		/* list */
		assert_int_equal(cdsync_list(db, c[i].k, &cur), CDSYNC_OK);
		n = 0;
		while ((rc = cdsync_cursor_next(cur, &row)) == CDSYNC_OK)
			n += memcmp(cdsync_rec_id(row), id, 16) == 0;
		assert_int_equal(rc, CDSYNC_DONE);
		assert_int_equal(n, 1);
		cdsync_cursor_close(cur);
		/* delete */
		assert_int_equal(cdsync_delete(db, c[i].k, id), CDSYNC_OK);
		assert_int_equal(cdsync_get(db, c[i].k, id, &got),
				 CDSYNC_ENOTFOUND);
		assert_null(got);
	}
	/* a key task an activity serves is not deleted */
	r = rec(CDSYNC_KIND_ACTIVITY, "held_on", "2025-12-02", "title", "Dự giờ",
		"kind", "inspection", END);
	assert_int_equal(cdsync_rec_set_ref(r, "key_task_id", t), CDSYNC_OK);
	add(db, r, NULL);
	assert_int_equal(cdsync_delete(db, CDSYNC_KIND_KEY_TASK, t),
			 CDSYNC_EREFERENCED);
	cdsync_close(db);
}

static void
test_insert_survives_every_allocation_failure(void **state)
{
	cdsync *db = tu_store();
	cdsync_rec *r = NULL;
	long n, rows = 0;
	int rc;

	(void)state;
	for (n = 0;; n++) {
		r = NULL;
		cds_alloc_fail_after(n);
		rc = cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r);
		if (rc == CDSYNC_OK)
			rc = cdsync_rec_set(r, "held_on", "2026-01-02");
		if (rc == CDSYNC_OK)
			rc = cdsync_rec_set(r, "title", "Hội thao");
		if (rc == CDSYNC_OK)
			rc = cdsync_rec_set(r, "kind", "culture");
		if (rc == CDSYNC_OK)
			rc = cdsync_insert(db, r);
		cds_alloc_fail_after(-1);
		cdsync_rec_free(r);
		if (rc == CDSYNC_OK)
			break;
		assert_int_equal(rc, CDSYNC_ENOMEM);
		/* nothing half-written */
		assert_int_equal(tu_count(db, "SELECT count(*) FROM activity"),
				 rows);
	}
	assert_int_equal(tu_count(db, "SELECT count(*) FROM activity"), 1);
	cdsync_close(db);
}

/* Inside a transaction an insert takes no savepoint: a capture that fails
 * after the row's INSERT (here a full disk, made by a trigger) must take
 * the row away again and spare the transaction's other writes. */
static void
test_a_failed_capture_inside_a_transaction_leaves_no_row(void **state)
{
	cdsync *db = tu_store();
	cdsync_rec *r;
	long n0;

	(void)state;
	n0 = tu_count(db, "SELECT count(*) FROM sync_change");
	assert_int_equal(sqlite3_exec(db->db,
				      "CREATE TEMP TABLE fail (on_ INTEGER);"
				      "INSERT INTO fail VALUES (0);"
				      "CREATE TEMP TRIGGER full BEFORE INSERT "
				      "ON main.sync_change WHEN (SELECT on_ "
				      "FROM fail) BEGIN SELECT RAISE(ABORT, "
				      "'database or disk is full'); END;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(cdsync_begin(db), CDSYNC_OK);
	add(db, rec(CDSYNC_KIND_ACTIVITY, "held_on", "2026-01-02", "title",
		    "Hội thao", "kind", "culture", END), NULL);
	sqlite3_exec(db->db, "UPDATE fail SET on_ = 1", NULL, NULL, NULL);
	r = rec(CDSYNC_KIND_ACTIVITY, "held_on", "2026-01-03", "title",
		"Hội diễn", "kind", "culture", END);
	assert_int_not_equal(cdsync_insert(db, r), CDSYNC_OK);
	assert_non_null(strstr(cdsync_errmsg(db), "disk is full"));
	assert_false(cdsync_rec_id(r) != NULL);
	cdsync_rec_free(r);
	sqlite3_exec(db->db, "UPDATE fail SET on_ = 0", NULL, NULL, NULL);
	add(db, rec(CDSYNC_KIND_ACTIVITY, "held_on", "2026-01-04", "title",
		    "Hội thi", "kind", "culture", END), NULL);
	assert_int_equal(cdsync_commit(db), CDSYNC_OK);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM activity"), 2);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM activity WHERE "
				      "title = 'Hội diễn'"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"),
			 n0 + 2);
	cdsync_close(db);
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_series_of_writes_yields_exactly_these_changes),
		cmocka_unit_test(test_a_beneficiary_id_is_derived_from_activity_and_member),
		cmocka_unit_test(test_bad_values_are_refused_when_set_with_a_clear_reason),
		cmocka_unit_test(test_failed_writes_leave_neither_row_nor_change),
		cmocka_unit_test(test_a_failed_write_inside_a_transaction_spares_the_others),
		cmocka_unit_test(test_legal_cases_keep_their_status_history),
		cmocka_unit_test(test_every_kind_can_be_created_read_listed_updated_and_deleted),
		cmocka_unit_test(test_insert_survives_every_allocation_failure),
		cmocka_unit_test(test_a_failed_capture_inside_a_transaction_leaves_no_row),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
