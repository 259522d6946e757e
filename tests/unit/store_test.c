/* store_test.c -- opening stores: creation, identity, upgrades from the
 * first migration, refusal of newer and broken files. */
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
#include "store.h"
#include "testutil.h"

static void
test_a_new_store_has_the_latest_schema_and_no_identity(void **state)
{
	const char *path = tu_path(tu_tmpdir(), "s.db");
	cdsync *db = NULL;
	cdsync_role role;
	uint8_t org[16];

	(void)state;
	assert_int_equal(cdsync_open(path, CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	assert_int_equal(cdsync_schema_version(db), cdsync_schema_latest());
	assert_true(cdsync_schema_latest() >= 2);
	assert_int_equal(cdsync_node_role(db, &role), CDSYNC_ENOTINIT);
	assert_string_equal(cdsync_errmsg(db),
			    "this store has no node yet: run 'cdsync init' "
			    "first");
	assert_int_equal(cdsync_node_org(db, org), CDSYNC_ENOTINIT);
	cdsync_close(db);
}

static void
test_identity_is_set_once_and_survives_reopening(void **state)
{
	const char *dir = tu_tmpdir();
	char path[512];
	uint8_t node[16], node2[16], org[16], org2[16];
	cdsync *db = NULL;
	cdsync_role role;

	(void)state;
	snprintf(path, sizeof path, "%s/s.db", dir);
	assert_int_equal(cdsync_open(path, CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	assert_int_equal(cdsync_node_init(db, CDSYNC_ROLE_HUB, "HG-VX",
					  "Công đoàn Giáo dục huyện Vị Xuyên",
					  "HG"), CDSYNC_OK);
	assert_int_equal(cdsync_node_id(db, node), CDSYNC_OK);
	assert_int_equal(cdsync_node_org(db, org), CDSYNC_OK);
	assert_int_equal(cdsync_node_init(db, CDSYNC_ROLE_HUB, "X", "Y", NULL),
			 CDSYNC_EEXIST);
	assert_string_equal(cdsync_errmsg(db),
			    "this store already belongs to a node");
	cdsync_close(db);
	assert_int_equal(cdsync_open(path, 0, &db), CDSYNC_OK);
	assert_int_equal(cdsync_node_id(db, node2), CDSYNC_OK);
	assert_int_equal(cdsync_node_org(db, org2), CDSYNC_OK);
	assert_int_equal(cdsync_node_role(db, &role), CDSYNC_OK);
	assert_int_equal(role, CDSYNC_ROLE_HUB);
	assert_memory_equal(node, node2, 16);
	assert_memory_equal(org, org2, 16);
	/* the org unit is the first captured change */
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change "
				      "WHERE tbl = 1"), 1);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM org_unit WHERE "
				      "level = 'upper' AND code = 'HG-VX'"), 1);
	cdsync_close(db);
}

static void
test_node_init_refuses_a_bad_org_code_and_leaves_nothing(void **state)
{
	const char *path = tu_path(tu_tmpdir(), "s.db");
	cdsync *db = NULL;

	(void)state;
	assert_int_equal(cdsync_open(path, CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	assert_int_equal(cdsync_node_init(db, CDSYNC_ROLE_SCHOOL, "",
					  "Trường", NULL), CDSYNC_EINVAL);
	assert_string_equal(cdsync_errmsg(db),
			    "union: Code (code) is required");
	assert_int_equal(tu_count(db, "SELECT count(*) FROM meta"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM org_unit"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"), 0);
	cdsync_close(db);
}

static void
test_a_missing_store_is_not_created_without_the_flag(void **state)
{
	const char *path = tu_path(tu_tmpdir(), "none.db");
	cdsync *db = NULL;
	FILE *f;

	(void)state;
	assert_int_equal(cdsync_open(path, 0, &db), CDSYNC_ENOTFOUND);
	assert_non_null(strstr(cdsync_errmsg(db), "no store at "));
	cdsync_close(db);
	assert_null(f = fopen(path, "r"));
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long l;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	l = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)l + 1);
	assert_int_equal(fread(b, 1, (size_t)l, f), (size_t)l);
	fclose(f);
	*n = (size_t)l;
	return b;
}

static void
test_a_store_from_a_newer_program_is_refused_and_left_untouched(void **state)
{
	const char *path = tu_path(tu_tmpdir(), "new.db");
	char p2[512], pragma[600], *before, *after;
	size_t nb, na;
	sqlite3 *s;
	cdsync *db = NULL;

	(void)state;
	snprintf(p2, sizeof p2, "%s", path);
	assert_int_equal(sqlite3_open(p2, &s), SQLITE_OK);
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
		 cdsync_schema_latest() + 1);
	assert_int_equal(sqlite3_exec(s, "CREATE TABLE future (x);", NULL, NULL,
				      NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, pragma, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	before = slurp(p2, &nb);
	assert_int_equal(cdsync_open(p2, 0, &db), CDSYNC_ETOONEW);
	snprintf(pragma, sizeof pragma, "schema version %d, newer",
		 cdsync_schema_latest() + 1);
	assert_non_null(strstr(cdsync_errmsg(db), pragma));
	assert_non_null(strstr(cdsync_errmsg(db),
			       "install a newer cdsync. The store was not "
			       "changed."));
	cdsync_close(db);
	after = slurp(p2, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	/* no WAL or journal file appeared */
	snprintf(pragma, sizeof pragma, "%s-wal", p2);
	assert_null(fopen(pragma, "r"));
	free(before);
	free(after);
}

static void
test_a_file_that_is_not_a_store_is_refused_with_its_name(void **state)
{
	const char *dir = tu_tmpdir();
	char path[512];
	cdsync *db = NULL;

	(void)state;
	snprintf(path, sizeof path, "%s/members.csv", dir);
	tu_write(path, "Họ và tên\nNguyễn Văn An\n", 27);
	assert_int_equal(cdsync_open(path, 0, &db), CDSYNC_ECORRUPT);
	assert_non_null(strstr(cdsync_errmsg(db), "members.csv"));
	assert_non_null(strstr(cdsync_errmsg(db),
			       "the store file is damaged or is not a cdsync "
			       "store"));
	cdsync_close(db);
}

/* Builds a store file exactly as migration 0001 made it. */
static void
make_v1(const char *path)
{
	char fx[512], *sql;
	size_t n;
	sqlite3 *s;

	snprintf(fx, sizeof fx, "%s/tests/fixtures/store_v1.sql", tu_srcdir());
	sql = slurp(fx, &n);
	sql[n] = '\0';
	assert_int_equal(sqlite3_open(path, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	free(sql);
}

static void
test_a_store_from_the_first_migration_is_upgraded_in_place(void **state)
{
	const char *path = tu_path(tu_tmpdir(), "v1.db");
	char p[512];
	cdsync *db = NULL;
	cdsync_rec *r = NULL;
	uint8_t id[16];
	cdsync_changes *it = NULL;
	const cdsync_change *ch;
	int n = 0, tomb = 0;

	(void)state;
	snprintf(p, sizeof p, "%s", path);
	make_v1(p);
	assert_int_equal(cdsync_open(p, 0, &db), CDSYNC_OK);
	assert_int_equal(cdsync_schema_version(db), cdsync_schema_latest());
	/* identity and rows kept */
	assert_int_equal(cdsync_resolve(db, CDSYNC_KIND_MEMBER, "M002", id),
			 CDSYNC_OK);
	assert_int_equal(cdsync_get(db, CDSYNC_KIND_MEMBER, id, &r), CDSYNC_OK);
	assert_string_equal(cdsync_rec_get(r, "full_name"), "Lò Văn Páo");
	cdsync_rec_free(r);
	/* every existing row was captured once, parents first */
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"),
			 1 + 3 + 1 + 2);
	assert_int_equal(tu_count(db, "SELECT tbl FROM sync_change ORDER BY "
				      "seq LIMIT 1"), CDSYNC_KIND_ORG);
	assert_int_equal(cdsync_changes_open(db, 0, &it), CDSYNC_OK);
	while (cdsync_changes_next(it, &ch) == CDSYNC_OK) {
		n++;
		tomb += ch->field == NULL;
	}
	cdsync_changes_close(it);
	/* org: 3 fields set (no parent); members: 7 + 7 + 6 (NULL dates
	 * are not captured); activity: 9 (no key task, no note);
	 * beneficiaries: 2 x 4 */
	assert_int_equal(n, 3 + 20 + 9 + 8);
	assert_int_equal(tomb, 0);
	/* and it records like a new one */
	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_MEMBER, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "full_name", "Vàng A Dế"), CDSYNC_OK);
	assert_int_equal(cdsync_insert(db, r), CDSYNC_OK);
	cdsync_rec_free(r);
	cdsync_close(db);
	/* a second open changes nothing more */
	assert_int_equal(cdsync_open(p, 0, &db), CDSYNC_OK);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"),
			 1 + 3 + 1 + 2 + 1);
	cdsync_close(db);
}

static void
test_read_only_open_writes_nothing(void **state)
{
	const char *path = tu_path(tu_tmpdir(), "v1.db");
	char p[512];
	cdsync *db = NULL;
	cdsync_rec *r = NULL;

	(void)state;
	snprintf(p, sizeof p, "%s", path);
	make_v1(p);
	assert_int_equal(cdsync_open(p, CDSYNC_OPEN_READONLY, &db),
			 CDSYNC_EREADONLY);
	assert_non_null(strstr(cdsync_errmsg(db), "must be upgraded"));
	cdsync_close(db);
	assert_int_equal(cdsync_open(p, 0, &db), CDSYNC_OK);
	cdsync_close(db);
	assert_int_equal(cdsync_open(p, CDSYNC_OPEN_READONLY, &db), CDSYNC_OK);
	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_MEMBER, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "full_name", "A"), CDSYNC_OK);
	assert_int_equal(cdsync_insert(db, r), CDSYNC_EREADONLY);
	cdsync_rec_free(r);
	cdsync_close(db);
}

static void
test_open_survives_every_allocation_failure(void **state)
{
	const char *dir = tu_tmpdir();
	char path[512];
	cdsync *db = NULL;
	long n;
	int rc;

	(void)state;
	snprintf(path, sizeof path, "%s/s.db", dir);
	assert_int_equal(cdsync_open(path, CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	cdsync_close(db);
	for (n = 0;; n++) {
		cds_alloc_fail_after(n);
		rc = cdsync_open(path, 0, &db);
		cds_alloc_fail_after(-1);
		cdsync_close(db);
		if (rc == CDSYNC_OK)
			break;
		assert_int_equal(rc, CDSYNC_ENOMEM);
	}
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
		cmocka_unit_test(test_a_new_store_has_the_latest_schema_and_no_identity),
		cmocka_unit_test(test_identity_is_set_once_and_survives_reopening),
		cmocka_unit_test(test_node_init_refuses_a_bad_org_code_and_leaves_nothing),
		cmocka_unit_test(test_a_missing_store_is_not_created_without_the_flag),
		cmocka_unit_test(test_a_store_from_a_newer_program_is_refused_and_left_untouched),
		cmocka_unit_test(test_a_file_that_is_not_a_store_is_refused_with_its_name),
		cmocka_unit_test(test_a_store_from_the_first_migration_is_upgraded_in_place),
		cmocka_unit_test(test_read_only_open_writes_nothing),
		cmocka_unit_test(test_open_survives_every_allocation_failure),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
