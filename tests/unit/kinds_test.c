/* kinds_test.c -- the kind table of client/kinds.c matches schema/. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "kinds.h"
#include "store.h"
#include "testutil.h"

static const char *
sqltype(cdsync_ftype t)
{
	switch (t) {
	case CDSYNC_FT_ID:
	case CDSYNC_FT_REF:
		return "BLOB";
	case CDSYNC_FT_TEXT:
	case CDSYNC_FT_DATE:
	case CDSYNC_FT_CHOICE:
		return "TEXT";
	default:
		return "INTEGER";
	}
}

static void
test_every_kind_matches_its_table_column_by_column(void **state)
{
	cdsync *db = tu_store();
	const struct cds_kind *k;
	const struct cds_field *f;
	sqlite3_stmt *st;
	char sql[128];
	const char *tsql;
	size_t i, j;
	int kind;

	(void)state;
	for (kind = 1; kind <= CDSYNC_KIND_MAX; kind++) {
		k = cds_kind((cdsync_kind)kind);
		assert_non_null(k);
		assert_int_equal(k->kind, kind);
		snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", k->name);
		assert_int_equal(sqlite3_prepare_v2(db->db, sql, -1, &st, NULL),
				 SQLITE_OK);
		for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++) {
			assert_true(i < k->nfields);
			f = &k->fields[i];
			assert_string_equal(sqlite3_column_text(st, 1),
					    f->name);
			assert_string_equal(sqlite3_column_text(st, 2),
					    sqltype(f->type));
			/* required in C <=> NOT NULL without default */
			if (i > 0)
				assert_int_equal(f->required,
					sqlite3_column_int(st, 3) &&
					sqlite3_column_type(st, 4) ==
						SQLITE_NULL);
		}
		assert_int_equal(i, k->nfields);
		sqlite3_finalize(st);
		/* every choice is allowed by the table's CHECK */
		snprintf(sql, sizeof sql, "SELECT sql FROM sqlite_schema "
					  "WHERE name = '%s'", k->name);
		assert_int_equal(sqlite3_prepare_v2(db->db, sql, -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		tsql = (const char *)sqlite3_column_text(st, 0);
		for (i = 0; i < k->nfields; i++) {
			f = &k->fields[i];
			for (j = 0; f->choices && f->choices[j]; j++) {
				snprintf(sql, sizeof sql, "'%s'",
					 f->choices[j]);
				if (strstr(tsql, sql) == NULL)
					fail_msg("%s.%s: %s not in schema",
						 k->name, f->name, sql);
			}
		}
		sqlite3_finalize(st);
	}
	cdsync_close(db);
}

static void
test_kinds_are_found_by_name_and_number(void **state)
{
	cdsync_field_info fi;
	cdsync_kind k;

	(void)state;
	assert_int_equal(cdsync_kind_lookup("activity", &k), CDSYNC_OK);
	assert_int_equal(k, CDSYNC_KIND_ACTIVITY);
	assert_int_equal(cdsync_kind_lookup("party", &k), CDSYNC_ENOTFOUND);
	assert_string_equal(cdsync_kind_name(CDSYNC_KIND_BENEFIT), "benefit");
	assert_null(cdsync_kind_name((cdsync_kind)99));
	assert_string_equal(cdsync_kind_field(CDSYNC_KIND_MEMBER, 0), "id");
	assert_null(cdsync_kind_field(CDSYNC_KIND_MEMBER, 99));
	assert_int_equal(cdsync_kind_field_info(CDSYNC_KIND_ACTIVITY, 8, &fi),
			 CDSYNC_OK);
	assert_string_equal(fi.name, "cost");
	assert_int_equal(fi.type, CDSYNC_FT_MONEY);
	assert_string_equal(fi.label, "Cost");
	assert_int_equal(cdsync_kind_field_info(CDSYNC_KIND_ACTIVITY, 99, &fi),
			 CDSYNC_ENOTFOUND);
	assert_string_equal(cdsync_choice_label("care"), "care");
	assert_string_equal(cdsync_choice_label("unheard-of"), "unheard-of");
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
		cmocka_unit_test(test_every_kind_matches_its_table_column_by_column),
		cmocka_unit_test(test_kinds_are_found_by_name_and_number),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
