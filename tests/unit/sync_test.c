/* sync_test.c -- bundles on files: export, import exactly once, the
 * chain (gaps held, forks kept as evidence), and every refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "store.h"
#include "testutil.h"

static cdsync *school, *hub, *nat, *stranger;
static char out1[512], out2[512];

static cdsync *
node(cdsync_role role, const char *code, const char *name)
{
	cdsync *db = NULL;

	assert_int_equal(cdsync_open(tu_path(tu_tmpdir(), "store.db"),
				     CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	if (cdsync_node_init(db, role, code, name, NULL) != CDSYNC_OK)
		fail_msg("init: %s", cdsync_errmsg(db));
	return db;
}

/* b learns a's keys; upstream: a sends to b. */
static void
introduce(cdsync *a, cdsync *b, int upstream)
{
	char *text = NULL;

	assert_int_equal(cdsync_keys_export(a, &text), CDSYNC_OK);
	assert_int_equal(cdsync_peer_add(b, text, 0), CDSYNC_OK);
	cdsync_free(text);
	if (upstream) {
		assert_int_equal(cdsync_keys_export(b, &text), CDSYNC_OK);
		assert_int_equal(cdsync_peer_add(a, text, 1), CDSYNC_OK);
		cdsync_free(text);
	}
}

static void
activity(cdsync *db, const char *title)
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "held_on", "2026-01-20"), 0);
	assert_int_equal(cdsync_rec_set(r, "title", title), 0);
	assert_int_equal(cdsync_rec_set(r, "kind", "care"), 0);
	if (cdsync_insert(db, r) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	cdsync_rec_free(r);
}

/* The only (or n-th, by name) .cdsb file of dir whose name has `part`. */
static const char *
bundle(const char *dir, const char *part, int nth)
{
	static char path[1024];
	struct dirent **list;
	int n, i, k = 0;

	n = scandir(dir, &list, NULL, alphasort);
	assert_true(n >= 0);
	path[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strstr(list[i]->d_name, ".cdsb") &&
		    strstr(list[i]->d_name, part) && k++ == nth)
			snprintf(path, sizeof path, "%s/%s", dir,
				 list[i]->d_name);
		free(list[i]);
	}
	free(list);
	assert_true(path[0] != '\0');
	return path;
}

/* "-xxxxxxxx-": the part of a bundle file name that names its node. */
static const char *
tag(cdsync *db)
{
	static char t[16];
	uint8_t id[16];

	assert_int_equal(cdsync_node_id(db, id), CDSYNC_OK);
	snprintf(t, sizeof t, "-%02x%02x%02x%02x-", id[12], id[13], id[14],
		 id[15]);
	return t;
}

static long
count(cdsync *db, const char *sql)
{
	return tu_count(db, sql);
}

static int
setup(void **state)
{
	(void)state;
	school = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU",
		      "Trường Tiểu học Lũng Cú");
	hub = node(CDSYNC_ROLE_HUB, "HG-VX", "Công đoàn Giáo dục Vị Xuyên");
	nat = node(CDSYNC_ROLE_NATIONAL, "VN", "Công đoàn Giáo dục Việt Nam");
	stranger = node(CDSYNC_ROLE_SCHOOL, "XX", "Trường lạ");
	introduce(school, hub, 1);
	introduce(school, nat, 1);
	introduce(hub, nat, 1);
	snprintf(out1, sizeof out1, "%s", tu_tmpdir());
	snprintf(out2, sizeof out2, "%s", tu_tmpdir());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cdsync_close(school);
	cdsync_close(hub);
	cdsync_close(nat);
	cdsync_close(stranger);
	tu_cleanup();
	return 0;
}

static void
test_a_school_year_travels_school_to_district_to_national(void **state)
{
	size_t sealed, written, n = 0;

	(void)state;
	activity(school, "Tết Sum vầy");
	activity(school, "Hội thao 20/11");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written),
			 CDSYNC_OK);
	assert_int_equal(sealed, 1);
	assert_int_equal(written, 1);
	/* twice is harmless: nothing new sealed, nothing rewritten */
	assert_int_equal(cdsync_export(school, out1, &sealed, &written),
			 CDSYNC_OK);
	assert_int_equal(sealed, 0);
	assert_int_equal(written, 0);
	assert_int_equal(cdsync_import_file(hub, bundle(out1, "LUNGCU", 0),
					    &n), CDSYNC_OK);
	assert_int_equal(n, 3);	/* org unit, two activities */
	assert_int_equal(count(hub, "SELECT count(*) FROM activity"), 2);
	/* again: a no-op with a message */
	assert_int_equal(cdsync_import_file(hub, bundle(out1, "LUNGCU", 0),
					    &n), CDSYNC_EREPLAY);
	assert_non_null(strstr(cdsync_errmsg(hub), "was merged before"));
	assert_int_equal(count(hub, "SELECT count(*) FROM sync_change WHERE "
				    "tbl = 5"), 2);
	/* the district forwards it unchanged, with its own */
	assert_int_equal(cdsync_export(hub, out2, &sealed, &written),
			 CDSYNC_OK);
	assert_int_equal(written, 2);
	assert_int_equal(cdsync_import_file(nat, bundle(out2, "LUNGCU", 0),
					    &n), CDSYNC_OK);
	assert_int_equal(cdsync_import_file(nat, bundle(out2, tag(hub), 0),
					    &n), CDSYNC_OK);
	assert_int_equal(count(nat, "SELECT count(*) FROM activity"), 2);
	assert_int_equal(count(nat, "SELECT count(*) FROM org_unit"), 3);
}

static void
test_a_gap_is_held_until_it_fills(void **state)
{
	size_t sealed, written, n;
	char first[1024], second[1024];

	(void)state;
	activity(school, "Một");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	activity(school, "Hai");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	snprintf(first, sizeof first, "%s", bundle(out1, "LUNGCU", 0));
	snprintf(second, sizeof second, "%s", bundle(out1, "LUNGCU", 1));
	assert_int_equal(cdsync_import_file(hub, second, &n), CDSYNC_EGAP);
	assert_non_null(strstr(cdsync_errmsg(hub), "held: bundle 1 of node HG-VX-TH-LUNGCU "));
	assert_int_equal(count(hub, "SELECT count(*) FROM activity"), 0);
	{
		cdsync_sync_status s;
		cdsync_peer_info p;
		size_t i;

		assert_int_equal(cdsync_sync_status_get(hub, &s), CDSYNC_OK);
		assert_int_equal(s.held, 1);
		for (i = 0; cdsync_peer_at(hub, i, &p) == CDSYNC_OK; i++)
			if (strcmp(p.org, "HG-VX-TH-LUNGCU") == 0)
				break;
		assert_string_equal(p.org, "HG-VX-TH-LUNGCU");
		assert_int_equal(p.held, 1);
		assert_int_equal(p.missing_from, 1);
		assert_int_equal(p.missing_to, 1);
		assert_int_equal(p.last_seq, 0);
	}
	assert_int_equal(cdsync_import_file(hub, first, &n), CDSYNC_OK);
	assert_int_equal(n, 1 + 1 + 1);	/* org, one, then the held one */
	assert_int_equal(count(hub, "SELECT count(*) FROM activity"), 2);
}

/* Copies a file with one change applied by fn. */
static const char *
altered(const char *src, const char *name, void (*fn)(uint8_t *, size_t *))
{
	static char path[1024];
	uint8_t buf[1 << 16];
	size_t n;
	FILE *f = fopen(src, "rb");

	assert_non_null(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	fn(buf, &n);
	snprintf(path, sizeof path, "%s/%s", out2, name);
	tu_write(path, buf, n);
	return path;
}

static void truncate1(uint8_t *b, size_t *n) { (void)b; *n -= 1; }
static void flip_last(uint8_t *b, size_t *n) { b[*n - 1] ^= 1; }
/* the last byte of the signed hlc: only the signature can tell */
static void flip_hlc(uint8_t *b, size_t *n) { (void)n; b[6 + 16 + 32 + 8 + 32 + 7] ^= 1; }

static void
test_damaged_or_foreign_bundles_are_refused_and_merge_nothing(void **state)
{
	size_t sealed, written, n;
	char good[1024];
	long before;

	(void)state;
	activity(school, "Tết Sum vầy");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	snprintf(good, sizeof good, "%s", bundle(out1, "LUNGCU", 0));
	before = count(hub, "SELECT count(*) FROM sync_change");

	assert_int_equal(cdsync_import_file(hub, altered(good, "t.cdsb",
							 truncate1), &n),
			 CDSYNC_EBADBUNDLE);
	assert_non_null(strstr(cdsync_errmsg(hub), "t.cdsb: "));
	assert_int_equal(cdsync_import_file(hub, altered(good, "f.cdsb",
							 flip_last), &n),
			 CDSYNC_EDECRYPT);
	assert_non_null(strstr(cdsync_errmsg(hub), "f.cdsb: "));
	assert_int_equal(cdsync_import_file(hub, altered(good, "s.cdsb",
							 flip_hlc), &n),
			 CDSYNC_EBADSIG);
	/* a sender this node does not know */
	activity(stranger, "Lạ");
	{
		char *t = NULL;

		assert_int_equal(cdsync_keys_export(hub, &t), CDSYNC_OK);
		assert_int_equal(cdsync_peer_add(stranger, t, 1), CDSYNC_OK);
		cdsync_free(t);
	}
	assert_int_equal(cdsync_export(stranger, out2, &sealed, &written), 0);
	assert_int_equal(cdsync_import_file(hub, bundle(out2, "XX-", 0), &n),
			 CDSYNC_EUNKNOWNKEY);
	assert_non_null(strstr(cdsync_errmsg(hub), "which this node's catalog "
						   "does not certify"));
	/* a bundle not addressed to this node: the national hub is a
	 * recipient of the school's, the stranger is not */
	{
		char *t = NULL;

		assert_int_equal(cdsync_keys_export(school, &t), CDSYNC_OK);
		assert_int_equal(cdsync_peer_add(stranger, t, 0), CDSYNC_OK);
		cdsync_free(t);
	}
	assert_int_equal(cdsync_import_file(stranger, good, &n),
			 CDSYNC_ENOTRECIPIENT);
	assert_int_equal(count(hub, "SELECT count(*) FROM sync_change"),
			 before);
	assert_int_equal(count(hub, "SELECT count(*) FROM sync_bundle_in"), 0);
	/* and the good one still goes in */
	assert_int_equal(cdsync_import_file(hub, good, &n), CDSYNC_OK);
}

static void
test_two_bundles_with_one_number_are_kept_and_freeze_the_sender(
	void **state)
{
	size_t sealed, written, n;
	char first[1024], path[1024];
	cdsync *twin;

	(void)state;
	/* a school node restored from an old backup: same keys, same
	 * chain position, different content */
	snprintf(path, sizeof path, "%s/copy.db", tu_tmpdir());
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	{
		sqlite3 *dst;
		sqlite3_backup *bk;

		assert_int_equal(sqlite3_open(path, &dst), SQLITE_OK);
		bk = sqlite3_backup_init(dst, "main", school->db, "main");
		assert_non_null(bk);
		assert_int_equal(sqlite3_backup_step(bk, -1), SQLITE_DONE);
		assert_int_equal(sqlite3_backup_finish(bk), SQLITE_OK);
		sqlite3_close(dst);
	}
	activity(school, "Bản gốc");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	snprintf(first, sizeof first, "%s", bundle(out1, "LUNGCU", 1));
	assert_int_equal(cdsync_open(path, 0, &twin), CDSYNC_OK);
	activity(twin, "Bản sao lưu");
	assert_int_equal(cdsync_export(twin, out2, &sealed, &written), 0);
	assert_int_equal(cdsync_import_file(hub, bundle(out1, "LUNGCU", 0),
					    &n), CDSYNC_OK);
	assert_int_equal(cdsync_import_file(hub, first, &n), CDSYNC_OK);
	assert_int_equal(cdsync_import_file(hub, bundle(out2, "LUNGCU", 1),
					    &n), CDSYNC_EFORK);
	assert_non_null(strstr(cdsync_errmsg(hub), "sealed two different "
						   "bundles numbered 2"));
	assert_int_equal(count(hub, "SELECT count(*) FROM sync_bundle_in "
				    "WHERE status = 'evidence'"), 1);
	assert_int_equal(count(hub, "SELECT count(*) FROM activity WHERE "
				    "title = 'Bản sao lưu'"), 0);
	/* frozen: nothing more from it until an operator decides */
	activity(school, "Sau đó");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	assert_int_equal(cdsync_import_file(hub, bundle(out1, "LUNGCU", 2),
					    &n), CDSYNC_EFROZEN);
	/* the operator decides: the chain merged here goes on */
	assert_int_equal(cdsync_peer_unfreeze(hub, "HG-VX-TH-LUNGCU"),
			 CDSYNC_OK);
	assert_int_equal(cdsync_import_file(hub, bundle(out1, "LUNGCU", 2),
					    &n), CDSYNC_OK);
	assert_int_equal(count(hub, "SELECT count(*) FROM activity WHERE "
				    "title = 'Sau đó'"), 1);
	assert_int_equal(cdsync_peer_unfreeze(hub, "HG-VX-TH-LUNGCU"),
			 CDSYNC_EINVAL);
	cdsync_close(twin);
}

static void
backup(cdsync *db, const char *path)
{
	sqlite3 *dst;
	sqlite3_backup *bk;

	assert_int_equal(sqlite3_open(path, &dst), SQLITE_OK);
	bk = sqlite3_backup_init(dst, "main", db->db, "main");
	assert_non_null(bk);
	assert_int_equal(sqlite3_backup_step(bk, -1), SQLITE_DONE);
	assert_int_equal(sqlite3_backup_finish(bk), SQLITE_OK);
	sqlite3_close(dst);
}

static void
test_a_node_restored_from_a_backup_continues_its_chain(void **state)
{
	size_t sealed, written, n;
	char path[1024];
	cdsync *restored;
	int i;

	(void)state;
	snprintf(path, sizeof path, "%s/backup.db", tu_tmpdir());
	activity(school, "Trước sao lưu");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	backup(school, path);
	activity(school, "Sau sao lưu");	/* lost with the PC... */
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	/* ... which is restored from the backup, and used again */
	assert_int_equal(cdsync_open(path, 0, &restored), CDSYNC_OK);
	activity(restored, "Sau khôi phục");
	assert_int_equal(cdsync_export(restored, out1, &sealed, &written),
			 CDSYNC_OK);
	assert_int_equal(sealed, 1);
	/* what was sealed after the backup came back from its own bundle */
	assert_int_equal(tu_count(restored, "SELECT count(*) FROM activity"),
			 3);
	/* and the district takes in 1, 2, 3: one chain, no fork */
	for (i = 0; i < 3; i++)
		assert_int_equal(cdsync_import_file(hub, bundle(out1, "LUNGCU",
								i), &n),
				 CDSYNC_OK);
	assert_int_equal(tu_count(hub, "SELECT count(*) FROM activity"), 3);
	assert_int_equal(tu_count(hub, "SELECT count(*) FROM sync_bundle_in "
				       "WHERE status = 'merged'"), 3);
	/* nothing was sealed twice: bundle 3 holds only the new activity */
	assert_int_equal(tu_count(restored, "SELECT changes FROM "
					    "sync_bundle_out WHERE seq = 3"),
			 1);
	cdsync_close(restored);
}

/* Two connections to one store take turns writing, as the daemon's HTTP
 * thread and its loop do, or a clerk's CLI beside the daemon: a statement
 * left stepped once kept an old snapshot open, and every later write of
 * that connection failed with SQLITE_BUSY_SNAPSHOT, whatever the busy
 * timeout. */
static void
test_two_connections_to_one_store_take_turns_writing(void **state)
{
	const char *path = sqlite3_db_filename(hub->db, "main");
	cdsync *other = NULL;
	size_t sealed, written, n = 0;

	(void)state;
	assert_int_equal(cdsync_open(path, 0, &other), CDSYNC_OK);
	activity(school, "Một");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	assert_int_equal(cdsync_import_file(hub, bundle(out1, tag(school), 0),
					    &n),
			 CDSYNC_OK);
	activity(other, "Ghi ở máy huyện, chương trình khác");
	activity(school, "Hai");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	if (cdsync_import_file(hub, bundle(out1, tag(school), 1), &n) !=
	    CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(hub));
	activity(hub, "Ghi ở máy huyện");
	activity(other, "Ghi ở máy huyện, lần nữa");
	activity(hub, "Ghi ở máy huyện, lần nữa");
	assert_int_equal(count(hub, "SELECT count(*) FROM activity"), 6);
	cdsync_close(other);
}

/* cdsync_peer_at keeps the list of peers between calls (a national hub
 * has 60,000): a peer registered through another connection to the
 * store, or through this one, is in the next call's list, and a state
 * changed by a bundle taken in is seen. */
static size_t
peers(cdsync *db, const char *org, cdsync_peer_info *found)
{
	cdsync_peer_info p;
	size_t i;

	for (i = 0; cdsync_peer_at(db, i, &p) == CDSYNC_OK; i++)
		if (org != NULL && strcmp(p.org, org) == 0)
			*found = p;
	return i;
}

static void
test_the_list_of_peers_sees_every_change(void **state)
{
	const char *path = sqlite3_db_filename(hub->db, "main");
	cdsync_peer_info p;
	cdsync *other = NULL, *x;
	size_t before, sealed, written, n = 0;
	char *text = NULL;

	(void)state;
	assert_int_equal(cdsync_open(path, 0, &other), CDSYNC_OK);
	before = peers(hub, NULL, &p);
	/* through the other connection */
	assert_int_equal(cdsync_keys_export(stranger, &text), CDSYNC_OK);
	assert_int_equal(cdsync_peer_add(other, text, 0), CDSYNC_OK);
	cdsync_free(text);
	assert_int_equal(peers(hub, NULL, &p), before + 1);
	/* through this one */
	x = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-MOI", "Trường mới");
	assert_int_equal(cdsync_keys_export(x, &text), CDSYNC_OK);
	assert_int_equal(cdsync_peer_add(hub, text, 0), CDSYNC_OK);
	cdsync_free(text);
	memset(&p, 0, sizeof p);
	assert_int_equal(peers(hub, "HG-VX-TH-MOI", &p), before + 2);
	assert_string_equal(p.org, "HG-VX-TH-MOI");
	cdsync_close(x);
	/* a bundle taken in moves the school's last bundle */
	memset(&p, 0, sizeof p);
	(void)peers(hub, "HG-VX-TH-LUNGCU", &p);
	assert_int_equal(p.last_seq, 0);
	activity(school, "Một");
	assert_int_equal(cdsync_export(school, out1, &sealed, &written), 0);
	assert_int_equal(cdsync_import_file(hub, bundle(out1, tag(school), 0),
					    &n),
			 CDSYNC_OK);
	(void)peers(hub, "HG-VX-TH-LUNGCU", &p);
	assert_int_equal(p.last_seq, 1);
	cdsync_close(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_a_school_year_travels_school_to_district_to_national,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_gap_is_held_until_it_fills, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_damaged_or_foreign_bundles_are_refused_and_merge_nothing,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_two_bundles_with_one_number_are_kept_and_freeze_the_sender,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_node_restored_from_a_backup_continues_its_chain,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_two_connections_to_one_store_take_turns_writing,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_the_list_of_peers_sees_every_change, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
