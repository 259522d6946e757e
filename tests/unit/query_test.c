/* query_test.c -- the queries a user interface needs, and references. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "id.h"
#include "store.h"
#include "testutil.h"

/* Ends the variadic field lists (a typed NULL, as C requires). */
#define END ((const char *)NULL)

static void
add(cdsync *db, cdsync_kind k, uint8_t id[16], ...)
{
	cdsync_rec *r = NULL;
	const char *f, *v;
	va_list ap;

	assert_int_equal(cdsync_rec_new(k, &r), CDSYNC_OK);
	va_start(ap, id);
	while ((f = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (cdsync_rec_set(r, f, v) != CDSYNC_OK)
			fail_msg("%s", cdsync_rec_errmsg(r));
	}
	va_end(ap);
	if (cdsync_insert(db, r) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	if (id)
		memcpy(id, cdsync_rec_id(r), 16);
	cdsync_rec_free(r);
}

static void
benefit(cdsync *db, const uint8_t a[16], const uint8_t m[16])
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_BENEFIT, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_ref(r, "activity_id", a), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_ref(r, "member_id", m), CDSYNC_OK);
	assert_int_equal(cdsync_insert(db, r), CDSYNC_OK);
	cdsync_rec_free(r);
}

/* The values of one field of every row of a cursor, joined by '|'. */
static void
column(cdsync_cursor *cur, const char *field, char *out, size_t n)
{
	const cdsync_rec *r;
	size_t off = 0;
	int rc;

	out[0] = '\0';
	while ((rc = cdsync_cursor_next(cur, &r)) == CDSYNC_OK)
		off += (size_t)snprintf(out + off, n - off, "%s%s",
					off ? "|" : "",
					cdsync_rec_get(r, field));
	assert_int_equal(rc, CDSYNC_DONE);
	cdsync_cursor_close(cur);
}

static cdsync *db;
static uint8_t ma[16], mb[16], mc[16];

static int
setup(void **state)
{
	uint8_t a1[16], a2[16], c1[16];

	(void)state;
	db = tu_store();
	add(db, CDSYNC_KIND_MEMBER, ma, "full_name", "Vũ Thị An", "code", "A",
	    "joined_on", "2010-09-01", END);
	add(db, CDSYNC_KIND_MEMBER, mb, "full_name", "Đinh Văn Bảo", "code",
	    "B", "left_on", "2025-06-30", END);
	add(db, CDSYNC_KIND_MEMBER, mc, "full_name", "Cao Thị Cúc", "code", "C",
	    "joined_on", "2026-01-01", END);
	add(db, CDSYNC_KIND_ACTIVITY, a1, "held_on", "2025-10-01", "title",
	    "Thăm hỏi", "kind", "care", END);
	add(db, CDSYNC_KIND_ACTIVITY, NULL, "held_on", "2025-11-01", "title",
	    "Tập huấn", "kind", "training", END);
	add(db, CDSYNC_KIND_ACTIVITY, a2, "held_on", "2025-08-31", "title",
	    "Tết Trung thu", "kind", "care", END);
	add(db, CDSYNC_KIND_ACTIVITY, NULL, "held_on", "2026-08-31", "title",
	    "Tổng kết", "kind", "emulation", END);
	benefit(db, a1, ma);
	benefit(db, a2, mc);
	add(db, CDSYNC_KIND_LEGAL_CASE, c1, "opened_on", "2025-09-10",
	    "topic", "Lương", END);
	add(db, CDSYNC_KIND_LEGAL_CASE, NULL, "opened_on", "2025-09-01",
	    "topic", "Bảo hiểm", END);
	assert_int_equal(cdsync_legal_set_status(db, c1, "resolved",
						 "2025-09-20", END),
			 CDSYNC_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cdsync_close(db);
	tu_cleanup();
	return 0;
}

static void
test_activities_of_a_school_year_by_kind(void **state)
{
	cdsync_cursor *cur;
	char got[512];

	(void)state;
	assert_int_equal(cdsync_query_activities(db, "2025-2026", NULL, &cur),
			 CDSYNC_OK);
	column(cur, "title", got, sizeof got);
	assert_string_equal(got, "Thăm hỏi|Tập huấn|Tổng kết");
	assert_int_equal(cdsync_query_activities(db, "2025-2026", "care", &cur),
			 CDSYNC_OK);
	column(cur, "held_on", got, sizeof got);
	assert_string_equal(got, "2025-10-01");
	assert_int_equal(cdsync_query_activities(db, "2025-Q3", NULL, &cur),
			 CDSYNC_OK);
	column(cur, "title", got, sizeof got);
	assert_string_equal(got, "Tết Trung thu");
	assert_int_equal(cdsync_query_activities(db, "2025-2026", "party",
						 &cur), CDSYNC_EINVAL);
	assert_null(cur);
	assert_string_equal(cdsync_errmsg(db),
			    "'party' is not an activity kind");
	assert_int_equal(cdsync_query_activities(db, "năm nay", NULL, &cur),
			 CDSYNC_EINVAL);
	assert_non_null(strstr(cdsync_errmsg(db), "năm nay"));
}

static void
test_members_not_yet_cared_for_this_year(void **state)
{
	cdsync_cursor *cur;
	char got[512];

	(void)state;
	/* An benefited; Bảo left before the year; Cúc joined in it */
	assert_int_equal(cdsync_query_uncared(db, "2025-2026", &cur),
			 CDSYNC_OK);
	column(cur, "code", got, sizeof got);
	assert_string_equal(got, "C");
	/* the year before: Cúc benefited (31/08/2025), An did not, Bảo was
	 * still a member */
	assert_int_equal(cdsync_query_uncared(db, "2024-2025", &cur),
			 CDSYNC_OK);
	column(cur, "code", got, sizeof got);
	assert_string_equal(got, "A|B");
}

static void
test_open_legal_cases_oldest_first(void **state)
{
	cdsync_cursor *cur;
	char got[512];

	(void)state;
	assert_int_equal(cdsync_query_open_legal(db, &cur), CDSYNC_OK);
	column(cur, "topic", got, sizeof got);
	assert_string_equal(got, "Bảo hiểm");
	assert_int_equal(cdsync_query_legal(db, NULL, &cur), CDSYNC_OK);
	column(cur, "topic", got, sizeof got);
	assert_string_equal(got, "Bảo hiểm|Lương");
}

static void
test_references_resolve_by_code_short_id_and_full_id(void **state)
{
	uint8_t id[16];
	char hex[33];
	sqlite3_stmt *st;
	static const char *ids[] = { "0194000000007000800000000aabbcc1",
				     "0194000000017000800000000aabbcc1" };
	int i;

	(void)state;
	assert_int_equal(cdsync_resolve(db, CDSYNC_KIND_MEMBER, "B", id),
			 CDSYNC_OK);
	assert_memory_equal(id, mb, 16);
	cds_id_hex(mc, hex);
	assert_int_equal(cdsync_resolve(db, CDSYNC_KIND_MEMBER, hex + 24, id),
			 CDSYNC_OK);
	assert_memory_equal(id, mc, 16);
	assert_int_equal(cdsync_resolve(db, CDSYNC_KIND_MEMBER, hex, id),
			 CDSYNC_OK);
	assert_memory_equal(id, mc, 16);
	assert_int_equal(cdsync_resolve(db, CDSYNC_KIND_MEMBER, "Z9", id),
			 CDSYNC_ENOTFOUND);
	assert_string_equal(cdsync_errmsg(db), "no member matches 'Z9'");
	for (i = 0; i < 2; i++) {
		assert_int_equal(cds_id_parse(ids[i], id), 0);
		assert_int_equal(sqlite3_prepare_v2(db->db,
			"INSERT INTO plan (id, org_id, school_year, title) "
			"SELECT ?1, value, 2025, 'P' FROM meta WHERE "
			"key = 'org_id'", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	assert_int_equal(cdsync_resolve(db, CDSYNC_KIND_PLAN, "aabbcc1", id),
			 CDSYNC_EAMBIGUOUS);
	assert_string_equal(cdsync_errmsg(db),
			    "'aabbcc1' matches 2 plan records "
			    "(0194000000007000800000000aabbcc1, "
			    "0194000000017000800000000aabbcc1); give more of "
			    "the id");
	assert_int_equal(cdsync_resolve(db, CDSYNC_KIND_PLAN,
					"17000800000000aabbcc1", id),
			 CDSYNC_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_activities_of_a_school_year_by_kind),
		cmocka_unit_test(test_members_not_yet_cared_for_this_year),
		cmocka_unit_test(test_open_legal_cases_oldest_first),
		cmocka_unit_test(test_references_resolve_by_code_short_id_and_full_id),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
