/* import_test.c -- member lists as spreadsheets write them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "testutil.h"

/* "Lê Thị Hồng" with every letter decomposed (NFD). */
#define NFD_HONG "Le\xcc\x82 Thi\xcc\xa3 Ho\xcc\x82\xcc\x80ng"

static const char good[] =
	"\xef\xbb\xbf" "STT;Mã;Họ và tên;Giới tính;Năm sinh;Công việc;"
	"Ngày vào công đoàn\r\n"
	"1;M001;\"Nguyễn Văn An\";Nam;1985;Giáo viên;01/09/2010\r\n"
	"2;M002;\"Trần Thị Bình; CN\";Nữ;12/05/1990;Nhân viên;\r\n"
	"3;M003;" NFD_HONG ";nữ;1992;GV;2015-09-01\r\n"
	";;;;;;\r\n";	/* Excel's formatted empty row */

static const char *
file(const char *name, const char *text)
{
	static char p[512];

	snprintf(p, sizeof p, "%s", tu_path(tu_tmpdir(), name));
	tu_write(p, text, strlen(text));
	return p;
}

static void
counts(cdsync_import *rep, size_t added, size_t updated, size_t unchanged,
       size_t bad)
{
	size_t a, u, n, b;

	cdsync_import_counts(rep, NULL, &a, &u, &n, &b);
	assert_int_equal(a, added);
	assert_int_equal(u, updated);
	assert_int_equal(n, unchanged);
	assert_int_equal(b, bad);
}

static void
test_a_spreadsheet_file_imports_and_a_second_import_adds_nobody(void **state)
{
	cdsync *db = tu_store();
	cdsync_import *rep = NULL;
	const char *path = file("members.csv", good);
	cdsync_rec *r = NULL;
	uint8_t id[16];
	long changes;

	(void)state;
	assert_int_equal(cdsync_member_import(db, path, 0, &rep), CDSYNC_OK);
	counts(rep, 3, 0, 0, 0);
	cdsync_import_free(rep);
	/* NFD stored as NFC; a birth date keeps only its year */
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member WHERE "
				      "full_name = 'Lê Thị Hồng' AND job = "
				      "'teacher' AND sex = 'female'"), 1);
	assert_int_equal(cdsync_resolve(db, CDSYNC_KIND_MEMBER, "M002", id),
			 CDSYNC_OK);
	assert_int_equal(cdsync_get(db, CDSYNC_KIND_MEMBER, id, &r), CDSYNC_OK);
	assert_string_equal(cdsync_rec_get(r, "full_name"), "Trần Thị Bình; CN");
	assert_string_equal(cdsync_rec_get(r, "birth_year"), "1990");
	assert_null(cdsync_rec_get(r, "joined_on"));
	cdsync_rec_free(r);
	changes = tu_count(db, "SELECT count(*) FROM sync_change");
	assert_int_equal(cdsync_member_import(db, path, 0, &rep), CDSYNC_OK);
	counts(rep, 0, 0, 3, 0);
	cdsync_import_free(rep);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member"), 3);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"),
			 changes);
	/* a changed file updates what changed, and only that */
	path = file("members2.csv",
		    "Mã,Họ và tên,Công việc\n"
		    "M001,Nguyễn Văn An,Giáo viên\n"
		    "M002,Trần Thị Bình; CN,Hiệu trưởng\n");
	assert_int_equal(cdsync_member_import(db, path, 0, &rep), CDSYNC_OK);
	counts(rep, 0, 1, 1, 0);
	cdsync_import_free(rep);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"),
			 changes + 1);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member WHERE "
				      "code = 'M002' AND job = 'manager'"), 1);
	cdsync_close(db);
}

static void
test_members_without_codes_match_by_name_and_birth_year(void **state)
{
	cdsync *db = tu_store();
	cdsync_import *rep = NULL;

	(void)state;
	assert_int_equal(cdsync_member_import(db,
		file("a.csv", "Họ tên\tNăm sinh\n" NFD_HONG "\t1992\n"
			      "Lê Văn Tám\t1980\n"), 0, &rep), CDSYNC_OK);
	counts(rep, 2, 0, 0, 0);
	cdsync_import_free(rep);
	/* typed again, precomposed and in capitals */
	assert_int_equal(cdsync_member_import(db,
		file("b.csv", "HO TEN\tNAM SINH\nLÊ THỊ HỒNG\t1992\n"
			      "Lê Văn Tám\t1981\n"), 0, &rep), CDSYNC_OK);
	counts(rep, 1, 1, 0, 0);
	cdsync_import_free(rep);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member"), 3);
	cdsync_close(db);
}

static void
test_a_file_with_bad_lines_imports_nothing_and_names_every_line(void **state)
{
	cdsync *db = tu_store();
	cdsync_import *rep = NULL;
	size_t line;
	const char *path;
	long changes;

	(void)state;
	path = file("bad.csv",
		    "Mã,Họ và tên,Giới tính,Năm sinh,Ghi chú\n"
		    "M001,Nguyễn Văn An,Nam,1985,\n"
		    "M002,Trần Thị Bình,X,1990,\n"
		    "M003,Phạm Văn Cường,Nam,19x0,\"ghi chú\n"
		    "hai dòng\"\n"
		    "M004,,Nữ,1991,\n"
		    "M001,Nguyễn Văn An,Nam,1985,\n"
		    "M005,Hà Thị Giang,Nữ,1993,\n");
	changes = tu_count(db, "SELECT count(*) FROM sync_change");
	assert_int_equal(cdsync_member_import(db, path, 0, &rep),
			 CDSYNC_EBADINPUT);
	assert_non_null(strstr(cdsync_errmsg(db),
			       "4 bad line(s); nothing was imported"));
	counts(rep, 0, 0, 0, 4);
	assert_string_equal(cdsync_import_bad(rep, 0, &line),
			    "column 'Giới tính': 'X' is not Nam or Nữ");
	assert_int_equal(line, 3);
	assert_non_null(strstr(cdsync_import_bad(rep, 1, &line),
			       "column 'Năm sinh': "));
	assert_int_equal(line, 4);
	assert_string_equal(cdsync_import_bad(rep, 2, &line),
			    "column 'Họ và tên': the name is empty");
	assert_int_equal(line, 6);	/* the note above took two lines */
	assert_string_equal(cdsync_import_bad(rep, 3, &line),
			    "the same member as line 2 (M001)");
	assert_int_equal(line, 7);
	assert_null(cdsync_import_bad(rep, 4, &line));
	cdsync_import_free(rep);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM sync_change"),
			 changes);
	/* --skip-bad takes the good lines */
	assert_int_equal(cdsync_member_import(db, path, CDSYNC_IMPORT_SKIP_BAD,
					      &rep), CDSYNC_OK);
	counts(rep, 2, 0, 0, 4);
	cdsync_import_free(rep);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member"), 2);
	cdsync_close(db);
}

static void
test_a_dry_run_checks_everything_and_writes_nothing(void **state)
{
	cdsync *db = tu_store();
	cdsync_import *rep = NULL;

	(void)state;
	assert_int_equal(cdsync_member_import(db, file("m.csv", good),
					      CDSYNC_IMPORT_DRY_RUN, &rep),
			 CDSYNC_OK);
	counts(rep, 3, 0, 0, 0);
	cdsync_import_free(rep);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member"), 0);
	cdsync_close(db);
}

static void
test_files_that_cannot_be_member_lists_are_refused_whole(void **state)
{
	cdsync *db = tu_store();
	cdsync_import *rep = NULL;

	(void)state;
	assert_int_equal(cdsync_member_import(db,
		file("x.csv", "Số,Lớp\n1,4A\n"), 0, &rep), CDSYNC_EBADINPUT);
	assert_null(rep);
	assert_non_null(strstr(cdsync_errmsg(db),
			       "line 1: no column for the member's full name"));
	assert_int_equal(cdsync_member_import(db, file("e.csv", ""), 0, &rep),
			 CDSYNC_EBADINPUT);
	assert_non_null(strstr(cdsync_errmsg(db), "the file is empty"));
	assert_int_equal(cdsync_member_import(db, "/nonexistent/m.csv", 0,
					      &rep), CDSYNC_ENOTFOUND);
	assert_non_null(strstr(cdsync_errmsg(db),
			       "cannot open /nonexistent/m.csv"));
	/* Windows-1258 bytes, not UTF-8 */
	assert_int_equal(cdsync_member_import(db,
		file("w.csv", "Ho ten\nNguy\xea\xf0n\n"), 0, &rep),
		CDSYNC_EBADINPUT);
	assert_non_null(rep);
	assert_non_null(strstr(cdsync_import_bad(rep, 0, NULL),
			       "column 'Ho ten': "));
	cdsync_import_free(rep);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM member"), 0);
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
		cmocka_unit_test(test_a_spreadsheet_file_imports_and_a_second_import_adds_nobody),
		cmocka_unit_test(test_members_without_codes_match_by_name_and_birth_year),
		cmocka_unit_test(test_a_file_with_bad_lines_imports_nothing_and_names_every_line),
		cmocka_unit_test(test_a_dry_run_checks_everything_and_writes_nothing),
		cmocka_unit_test(test_files_that_cannot_be_member_lists_are_refused_whole),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
