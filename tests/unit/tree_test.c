/* tree_test.c -- the tree of a date (client/tree.c) and the KPIs under it.
 *
 * Most tests start from a fresh in-memory database made from the schema
 * files, holding this tree (test numbers in brackets; an id is the number
 * in its last two bytes):
 *
 *   NAT [1] national
 *     P1 [2] upper: S1 [11], S2 [12] grassroots; D1 [5] upper: S5 [15]
 *     P2 [3] upper: S3 [13], S4 [14]
 *     P3 [4] upper, empty
 *
 * and add the org_change rows they need (ids 101, 102, ... in recording
 * order).  The tests of the public API use a hub store of their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "catalog.h"
#include "change.h"
#include "id.h"
#include "kpi.h"
#include "merge.h"
#include "record.h"
#include "scope.h"
#include "store.h"
#include "testutil.h"
#include "tree.h"

enum { NAT = 1, P1 = 2, P2 = 3, P3 = 4, D1 = 5, S1 = 11, S2 = 12, S3 = 13,
       S4 = 14, S5 = 15 };

static sqlite3 *db;

/* A NULL text for the variadic helpers. */
#define NOTEXT ((const char *)NULL)

/* ==== Building the database =========================================== */

static void
idb(uint8_t b[16], int n)
{
	memset(b, 0, 16);
	b[14] = (uint8_t)(n >> 8);
	b[15] = (uint8_t)n;
}

static int
num(const void *p)
{
	const uint8_t *b = p;

	return b == NULL ? 0 : b[14] << 8 | b[15];
}

static void
exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

/* A migration's name: NNNN_*.sql. */
static int
is_migration(const struct dirent *d)
{
	const char *n = d->d_name;
	size_t len = strlen(n);

	return len > 9 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' &&
	       n[1] <= '9' && n[2] >= '0' && n[2] <= '9' && n[3] >= '0' &&
	       n[3] <= '9' && n[4] == '_' && strcmp(n + len - 4, ".sql") == 0;
}

/* Every migration of schema/, in order, as the store runs them. */
static void
run_migrations(void)
{
	struct dirent **d = NULL;
	char dir[4096];
	int i, n;

	snprintf(dir, sizeof dir, "%s/schema", tu_srcdir());
	n = scandir(dir, &d, is_migration, alphasort);
	if (n < 1)
		fail_msg("no migrations in %s (set CDSYNC_SOURCE_DIR)", dir);
	for (i = 0; i < n; i++) {
		tu_schema(db, d[i]->d_name);
		free(d[i]);
	}
	free(d);
}

/* One statement; `types` names each parameter: 'i' a test id (0: NULL),
 * 'n' an int, 't' a text (NULL: NULL).  Returns SQLite's result. */
static int
vtry(const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;
	const char *t;
	uint8_t b[16];
	int i, n, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	for (i = 0; types[i]; i++) {
		switch (types[i]) {
		case 'i':
			if ((n = va_arg(ap, int)) != 0) {
				idb(b, n);
				sqlite3_bind_blob(st, i + 1, b, 16,
						  SQLITE_TRANSIENT);
			}
			break;
		case 'n':
			sqlite3_bind_int(st, i + 1, va_arg(ap, int));
			break;
		default:
			if ((t = va_arg(ap, const char *)) != NULL)
				sqlite3_bind_text(st, i + 1, t, -1,
						  SQLITE_TRANSIENT);
		}
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc;
}

static int
try(const char *sql, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = vtry(sql, types, ap);
	va_end(ap);
	return rc;
}

static void
ins(const char *sql, const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	if (vtry(sql, types, ap) != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	va_end(ap);
}

static void
org(int id, const char *code, const char *level, int parent)
{
	ins("INSERT INTO org_unit (id, code, name, level, parent_id) "
	    "VALUES (?1, ?2, ?2, ?3, ?4)",
	    "itti", id, code, level, parent);
}

/* A change: rename (target 0, name), move or merge (target). */
static void
chg(int id, int author, int subject, const char *on, const char *change,
    const char *name, int target)
{
	int move = strcmp(change, "move") == 0;
	int merge = strcmp(change, "merge") == 0;

	ins("INSERT INTO org_change (id, org_id, subject_id, effective_on, "
	    "change, name, parent_id, into_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    "iiitttii", id, author, subject, on, change, name,
	    move ? target : 0, merge ? target : 0);
}

static void
member(int id, int union_, const char *joined)
{
	ins("INSERT INTO member (id, org_id, full_name, joined_on) "
	    "VALUES (?1, ?2, 'Thành viên', ?3)",
	    "iit", id, union_, joined);
}

static void
act(int id, int org_, const char *date, const char *kind, int cost)
{
	ins("INSERT INTO activity (id, org_id, held_on, title, kind, cost) "
	    "VALUES (?1, ?2, ?3, 'Hoạt động', ?4, ?5)",
	    "iittn", id, org_, date, kind, cost);
}

static void
benefit(int id, int activity, int member_)
{
	ins("INSERT INTO benefit (id, activity_id, member_id) "
	    "VALUES (?1, ?2, ?3)",
	    "iii", id, activity, member_);
}

static int
setup(void **state)
{
	(void)state;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	exec("PRAGMA foreign_keys = ON");
	run_migrations();
	org(NAT, "NAT", "national", 0);
	org(P1, "P1", "upper", NAT);
	org(P2, "P2", "upper", NAT);
	org(P3, "P3", "upper", NAT);
	org(D1, "D1", "upper", P1);
	org(S1, "S1", "grassroots", P1);
	org(S2, "S2", "grassroots", P1);
	org(S3, "S3", "grassroots", P2);
	org(S4, "S4", "grassroots", P2);
	org(S5, "S5", "grassroots", D1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cds_alloc_fail_after(-1);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	db = NULL;
	tu_cleanup();
	return 0;
}

/* ==== Building and reading the tree =================================== */

/* What the build said about each change, by change number. */
static int why[512];
static char reason[512][CDS_TREE_REASONLEN];
static int judged;

static int
note(void *ctx, const struct cds_tree_change *c)
{
	int n = num(c->id);

	(void)ctx;
	assert_true(n < 512);
	why[n] = c->why;
	snprintf(reason[n], sizeof reason[n], "%s", c->reason);
	judged++;
	return CDSYNC_OK;
}

/* Builds the tree of `date`, which must work. */
static void
build(const char *date)
{
	char err[512] = "";

	memset(why, -1, sizeof why);
	memset(reason, 0, sizeof reason);
	judged = 0;
	if (cds_tree_build(db, date, note, NULL, err, sizeof err) != CDSYNC_OK)
		fail_msg("build %s: %s", date ? date : "(today)", err);
}

/* One column of temp.cds_tree for unit n: 0 parent, 1 rep (numbers),
 * 2 name, 3 merged_on (text, into a static buffer). */
static const char *
col(int n, int which, int *out)
{
	static char text[320];
	static const char *const sql[] = {
		"SELECT parent_id FROM temp.cds_tree WHERE id = ?1",
		"SELECT rep FROM temp.cds_tree WHERE id = ?1",
		"SELECT name FROM temp.cds_tree WHERE id = ?1",
		"SELECT merged_on FROM temp.cds_tree WHERE id = ?1",
	};
	sqlite3_stmt *st = NULL;
	uint8_t b[16];
	const unsigned char *t;

	idb(b, n);
	assert_int_equal(sqlite3_prepare_v2(db, sql[which], -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, b, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (which < 2) {
		*out = sqlite3_column_type(st, 0) == SQLITE_NULL
			       ? 0
			       : num(sqlite3_column_blob(st, 0));
		sqlite3_finalize(st);
		return NULL;
	}
	t = sqlite3_column_text(st, 0);
	snprintf(text, sizeof text, "%s", t ? (const char *)t : "");
	sqlite3_finalize(st);
	return text;
}

static int
parent(int n)
{
	int v;

	col(n, 0, &v);
	return v;
}

static int
rep(int n)
{
	int v;

	col(n, 1, &v);
	return v;
}

static const char *
name(int n)
{
	return col(n, 2, NULL);
}

/* ==== Renames, moves, merges ========================================== */

static void
a_rename_takes_effect_on_its_day(void **state)
{
	(void)state;
	chg(101, P1, S1, "2025-03-01", "rename", "Trường Hoa Ban", 0);
	chg(102, NAT, S1, "2025-09-01", "rename", "Trường Liên cấp Hoa Ban",
	    0);
	build("2025-02-28");
	assert_string_equal(name(S1), "S1");
	assert_int_equal(judged, 0);
	build("01/03/2025");
	assert_string_equal(name(S1), "Trường Hoa Ban");
	assert_int_equal(why[101], CDS_TREE_APPLIED);
	build("2025-09-01");
	assert_string_equal(name(S1), "Trường Liên cấp Hoa Ban");
	assert_int_equal(judged, 2);
	/* a rename changes nothing else */
	assert_int_equal(parent(S1), P1);
	assert_int_equal(rep(S1), S1);
}

static void
a_move_changes_the_parent_from_its_day(void **state)
{
	(void)state;
	chg(101, NAT, S2, "2025-07-01", "move", NULL, P2);
	build("2025-06-30");
	assert_int_equal(parent(S2), P1);
	build("2025-07-01");
	assert_int_equal(parent(S2), P2);
	assert_int_equal(why[101], CDS_TREE_APPLIED);
	/* the store itself is not touched */
	assert_int_equal(try("SELECT 1 FROM org_unit WHERE id = ?1 AND "
			     "parent_id = ?2", "ii", S2, P1), SQLITE_ROW);
}

static void
a_merge_makes_a_unit_part_of_another_with_its_children(void **state)
{
	(void)state;
	chg(101, NAT, P2, "2025-07-01", "merge", NULL, P1);
	build("2025-06-30");
	assert_int_equal(rep(P2), P2);
	assert_int_equal(parent(S3), P2);
	build("2025-07-01");
	assert_int_equal(rep(P2), P1);
	assert_string_equal(col(P2, 3, NULL), "2025-07-01");
	assert_int_equal(parent(S3), P1);
	assert_int_equal(parent(S4), P1);
	/* its schools stay unions of their own */
	assert_int_equal(rep(S3), S3);
	assert_int_equal(rep(S4), S4);
}

static void
chains_of_changes_follow_each_other(void **state)
{
	(void)state;
	/* S4 goes into S3, then P2 (with S3) into P1, then a move of S5
	 * under the merged P2 lands under P1, then D1 into P3 */
	chg(101, P2, S4, "2025-01-15", "merge", NULL, S3);
	chg(102, NAT, P2, "2025-07-01", "merge", NULL, P1);
	chg(103, NAT, S5, "2025-08-01", "move", NULL, P2);
	chg(104, NAT, P1, "2025-09-01", "merge", NULL, P3);
	chg(105, NAT, S4, "2025-10-01", "rename", "Bị nhập", 0);
	build(CDS_TREE_ALL);
	assert_int_equal(why[101], CDS_TREE_APPLIED);
	assert_int_equal(why[102], CDS_TREE_APPLIED);
	assert_int_equal(why[103], CDS_TREE_APPLIED);
	assert_int_equal(why[104], CDS_TREE_APPLIED);
	/* S4 counts as S3; P2 as P1 as P3 */
	assert_int_equal(rep(S4), S3);
	assert_int_equal(rep(P2), P3);
	assert_int_equal(rep(P1), P3);
	assert_int_equal(parent(S3), P3);
	assert_int_equal(parent(S5), P3);
	assert_int_equal(parent(D1), P3);
	/* a merged unit is not renamed any more */
	assert_int_equal(why[105], CDS_TREE_MERGED);
	assert_string_equal(reason[105], "S4 had been merged into S3 on "
			    "15/01/2025");
	build("2025-08-15");
	assert_int_equal(parent(S5), P1);
	assert_int_equal(rep(P1), P1);
}

static void
changes_of_one_day_apply_in_recording_order(void **state)
{
	(void)state;
	chg(102, NAT, S1, "2025-07-01", "move", NULL, P3);
	chg(101, NAT, S1, "2025-07-01", "move", NULL, P2);
	chg(103, NAT, S2, "2025-07-01", "rename", "Tên mới", 0);
	chg(104, NAT, S2, "2025-07-01", "merge", NULL, S1);
	chg(105, NAT, S3, "2025-07-01", "merge", NULL, S4);
	chg(106, NAT, S3, "2025-07-01", "rename", "Quá muộn", 0);
	build("2025-07-01");
	/* 101 (to P2) then 102 (to P3) */
	assert_int_equal(parent(S1), P3);
	/* renamed, then merged */
	assert_string_equal(name(S2), "Tên mới");
	assert_int_equal(rep(S2), S1);
	/* merged, then a rename that comes too late */
	assert_int_equal(rep(S3), S4);
	assert_int_equal(why[106], CDS_TREE_MERGED);
}

static void
a_change_by_a_union_not_above_the_unit_is_ignored(void **state)
{
	(void)state;
	chg(101, P2, S1, "2025-07-01", "move", NULL, P2);	/* a sibling */
	chg(102, S2, S1, "2025-07-01", "rename", "X", 0);	/* a peer */
	chg(103, S1, S1, "2025-07-01", "rename", "Tự đổi tên", 0);
	chg(104, P1, S5, "2025-07-01", "move", NULL, P1);	/* above D1 */
	chg(105, D1, P1, "2025-07-01", "rename", "Y", 0);	/* a child */
	chg(106, NAT, S3, "2025-07-01", "move", NULL, P3);	/* national */
	build("2025-12-31");
	assert_int_equal(why[101], CDS_TREE_AUTHOR);
	assert_string_equal(reason[101], "P2 may not change the place of S1: "
			    "it is neither the national union nor above it "
			    "in the tree on 01/07/2025");
	assert_int_equal(parent(S1), P1);
	assert_int_equal(why[102], CDS_TREE_AUTHOR);
	assert_string_equal(reason[102], "S2 may not rename S1: it is neither "
			    "the national union, nor above it in the tree on "
			    "01/07/2025, nor that unit itself");
	assert_int_equal(why[103], CDS_TREE_APPLIED);
	assert_string_equal(name(S1), "Tự đổi tên");
	assert_int_equal(why[104], CDS_TREE_APPLIED);
	assert_int_equal(parent(S5), P1);
	assert_int_equal(why[105], CDS_TREE_AUTHOR);
	assert_int_equal(why[106], CDS_TREE_APPLIED);
	assert_int_equal(parent(S3), P3);
	assert_string_equal(reason[106], "");
}

static void
authority_is_judged_on_the_tree_just_before_the_change(void **state)
{
	(void)state;
	/* after S3 moves under P1, P1 may rename it and P2 may not */
	chg(101, NAT, S3, "2025-07-01", "move", NULL, P1);
	chg(102, P1, S3, "2025-07-02", "rename", "Của P1", 0);
	chg(103, P2, S3, "2025-07-03", "rename", "Của P2", 0);
	/* before the move, P1 may not */
	chg(104, P1, S4, "2025-06-01", "rename", "Không được", 0);
	build("2025-12-31");
	assert_int_equal(why[102], CDS_TREE_APPLIED);
	assert_int_equal(why[103], CDS_TREE_AUTHOR);
	assert_int_equal(why[104], CDS_TREE_AUTHOR);
	assert_string_equal(name(S3), "Của P1");
	assert_string_equal(name(S4), "S4");
}

static void
a_cycle_is_refused(void **state)
{
	(void)state;
	chg(101, NAT, P1, "2025-07-01", "move", NULL, D1);	/* its child */
	chg(102, NAT, P1, "2025-07-01", "move", NULL, S5);	/* grandchild */
	chg(103, NAT, P1, "2025-07-01", "merge", NULL, D1);	/* its child */
	chg(104, NAT, S4, "2025-07-01", "merge", NULL, S3);
	chg(105, NAT, S3, "2025-07-02", "merge", NULL, S4);	/* its part */
	chg(106, NAT, P3, "2025-07-02", "move", NULL, S1);	/* grassroots */
	build("2025-12-31");
	assert_int_equal(why[101], CDS_TREE_CYCLE);
	assert_string_equal(reason[101], "P1 cannot be moved under D1, which "
			    "is below it in the tree on 01/07/2025: that would "
			    "make a cycle");
	/* the cycle is found before the rule about grassroots unions */
	assert_int_equal(why[102], CDS_TREE_CYCLE);
	assert_int_equal(why[103], CDS_TREE_CYCLE);
	assert_string_equal(reason[103], "P1 cannot be merged into D1, which "
			    "is below it in the tree on 01/07/2025");
	assert_int_equal(why[104], CDS_TREE_APPLIED);
	assert_int_equal(why[105], CDS_TREE_CYCLE);
	assert_string_equal(reason[105], "S3 cannot be merged into S4, which "
			    "is already part of it");
	assert_int_equal(why[106], CDS_TREE_GRASSROOTS);
	assert_string_equal(reason[106], "P3 cannot be moved under S1: a "
			    "grassroots union has no units under it");
	assert_int_equal(parent(P1), NAT);
	assert_int_equal(parent(P3), NAT);
}

static void
a_merge_joins_one_level_and_the_root_stays_put(void **state)
{
	(void)state;
	chg(101, NAT, S1, "2025-07-01", "merge", NULL, P2);
	chg(102, NAT, NAT, "2025-07-01", "merge", NULL, P1);
	chg(103, NAT, NAT, "2025-07-01", "move", NULL, P1);
	chg(104, NAT, NAT, "2025-07-01", "rename", "CĐGD Việt Nam", 0);
	build("2025-12-31");
	assert_int_equal(why[101], CDS_TREE_LEVEL);
	assert_string_equal(reason[101], "S1 (grassroots union) cannot be "
			    "merged into P2 (upper-level union): a merger "
			    "joins two unions of the same level");
	assert_int_equal(why[102], CDS_TREE_ROOT);
	assert_string_equal(reason[102], "NAT is the national union, the root "
			    "of the tree: it is never moved or merged");
	assert_int_equal(why[103], CDS_TREE_ROOT);
	assert_int_equal(why[104], CDS_TREE_APPLIED);
	assert_string_equal(name(NAT), "CĐGD Việt Nam");
}

static void
a_change_naming_an_unknown_unit_waits_for_it(void **state)
{
	(void)state;
	/* a change merged before the unit's own row arrived */
	exec("PRAGMA foreign_keys = OFF");
	chg(101, NAT, 77, "2025-07-01", "rename", "Chưa biết", 0);
	chg(102, NAT, S1, "2025-07-01", "move", NULL, 78);
	chg(103, 79, S1, "2025-07-01", "rename", "Ai?", 0);
	exec("PRAGMA foreign_keys = ON");
	build("2025-12-31");
	assert_int_equal(why[101], CDS_TREE_UNKNOWN);
	assert_string_equal(reason[101], "the unit it changes (…0000004d) is "
			    "not in this store");
	assert_int_equal(why[102], CDS_TREE_UNKNOWN);
	assert_string_equal(reason[102], "the unit it names (…0000004e) is "
			    "not in this store");
	assert_int_equal(why[103], CDS_TREE_UNKNOWN);
	org(77, "LATE", "grassroots", P1);
	build("2025-12-31");
	assert_int_equal(why[101], CDS_TREE_APPLIED);
	assert_string_equal(name(77), "Chưa biết");
}

static void
the_schema_keeps_each_change_to_its_field(void **state)
{
	static const char sql[] =
		"INSERT INTO org_change (id, org_id, subject_id, "
		"effective_on, change, name, parent_id, into_id) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

	(void)state;
	/* a rename without a name, a move with a name */
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-07-01",
			     "rename", NOTEXT, 0, 0), SQLITE_CONSTRAINT);
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-07-01",
			     "move", "X", P2, 0), SQLITE_CONSTRAINT);
	/* a move with into_id, a merge with parent_id */
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-07-01",
			     "move", NOTEXT, 0, P2), SQLITE_CONSTRAINT);
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-07-01",
			     "merge", NOTEXT, P2, 0), SQLITE_CONSTRAINT);
	/* under itself, into itself */
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-07-01",
			     "move", NOTEXT, S1, 0), SQLITE_CONSTRAINT);
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-07-01",
			     "merge", NOTEXT, 0, S1), SQLITE_CONSTRAINT);
	/* a date that is not one, a change that is not one */
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-13-01",
			     "rename", "X", 0, 0), SQLITE_CONSTRAINT);
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-07-01",
			     "split", NOTEXT, 0, 0), SQLITE_CONSTRAINT);
	/* a unit that does not exist */
	assert_int_equal(try(sql, "iiitttii", 101, NAT, 99, "2025-07-01",
			     "rename", "X", 0, 0), SQLITE_CONSTRAINT);
	assert_int_equal(try(sql, "iiitttii", 101, NAT, S1, "2025-07-01",
			     "rename", "X", 0, 0), SQLITE_DONE);
}

static void
a_cycle_in_stored_parents_does_not_hang_the_build(void **state)
{
	(void)state;
	exec("PRAGMA foreign_keys = OFF");
	ins("UPDATE org_unit SET parent_id = ?1 WHERE id = ?2", "ii", S5, P1);
	exec("PRAGMA foreign_keys = ON");
	/* P1 -> D1 -> S5 -> P1: nobody there is under NAT any more */
	chg(101, NAT, S1, "2025-07-01", "rename", "Vẫn được", 0);
	chg(102, D1, P1, "2025-07-01", "rename", "Vòng", 0);
	build("2025-12-31");
	assert_int_equal(why[101], CDS_TREE_APPLIED);
	/* D1 is above P1 on the cycle; the walk ends */
	assert_int_equal(why[102], CDS_TREE_APPLIED);
	/* and so does one that finds no author on the cycle */
	chg(103, P2, P1, "2025-07-02", "rename", "Không", 0);
	build("2025-12-31");
	assert_int_equal(why[103], CDS_TREE_AUTHOR);
	assert_string_equal(name(P1), "Vòng");
}

static void
a_bad_date_is_refused(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(cds_tree_build(db, "31/02/2026", NULL, NULL, err,
					sizeof err), CDSYNC_EINVAL);
	assert_true(err[0] != '\0');
	/* NULL is today: the tree builds */
	build(NULL);
	assert_int_equal(parent(S1), P1);
}

static void
the_own_unit_takes_the_parent_it_was_set_up_with(void **state)
{
	uint8_t want[16];

	(void)state;
	/* meta gives the own unit's parent when org_unit has none */
	exec("PRAGMA foreign_keys = OFF");
	ins("UPDATE org_unit SET parent_id = NULL WHERE id = ?1", "i", S4);
	exec("PRAGMA foreign_keys = ON");
	ins("INSERT INTO meta (key, value) VALUES ('org_id', ?1)", "i", S4);
	ins("INSERT INTO meta (key, value) VALUES ('parent_code', ?1)", "t",
	    "NOWHERE");
	build(CDS_TREE_ALL);
	/* the id derived from the code (a unit this store does not hold) */
	cds_id_name("cdsync.org.v1", "NOWHERE", want);
	{
		sqlite3_stmt *st = NULL;
		uint8_t s4[16];

		idb(s4, S4);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT parent_id = "
						    "?2 FROM temp.cds_tree "
						    "WHERE id = ?1", -1, &st,
						    NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, s4, 16, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, want, 16, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 1);
		sqlite3_finalize(st);
	}
	/* other units keep theirs */
	assert_int_equal(parent(S3), P2);
}

/* ==== Parents from the catalog ======================================== */

/* The id a code has everywhere. */
static void
cid(const char *code, uint8_t out[16])
{
	cds_id_name("cdsync.org.v1", code, out);
}

static void
corg(const char *code, const char *level)
{
	sqlite3_stmt *st = NULL;
	uint8_t id[16];

	cid(code, id);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO org_unit (id, "
					    "code, name, level) VALUES (?1, "
					    "?2, ?2, ?3)", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, level, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The code of the parent of the unit with `code` in temp.cds_tree. */
static const char *
cparent(const char *code)
{
	static char out[80];
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	uint8_t id[16];

	cid(code, id);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT o.code FROM "
					    "temp.cds_tree t LEFT JOIN "
					    "org_unit o ON o.id = t.parent_id "
					    "WHERE t.id = ?1", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	t = sqlite3_column_text(st, 0);
	snprintf(out, sizeof out, "%s", t ? (const char *)t : "-");
	sqlite3_finalize(st);
	return out;
}

static void
units_without_a_parent_take_that_of_their_enrolment(void **state)
{
	static const struct tu_entry kids[] = {
		{ "HG", NULL, "VN", CDSYNC_ROLE_HUB, "2025-06-15" },
		{ "TQ", NULL, "VN", CDSYNC_ROLE_HUB, "2025-06-15" },
	};
	static const struct tu_entry schools[] = {
		{ "HG-A", NULL, "HG", CDSYNC_ROLE_SCHOOL, "2025-06-15" },
		{ "HG-B", NULL, "HG", CDSYNC_ROLE_SCHOOL, "2025-06-15" },
	};
	static const struct tu_entry moved[] = {
		{ "HG-A", NULL, "HG", CDSYNC_ROLE_SCHOOL, "2025-06-15" },
		{ "HG-B", NULL, "TQ", CDSYNC_ROLE_SCHOOL, "2025-06-16" },
	};

	(void)state;
	corg("VN", "national");
	corg("HG", "upper");
	corg("TQ", "upper");
	corg("HG-A", "grassroots");
	corg("HG-B", "grassroots");
	build(CDS_TREE_ALL);
	assert_string_equal(cparent("HG-A"), "-");
	tu_sheet(db, "VN", 1, kids, 2);
	tu_sheet(db, "HG", 1, schools, 2);
	build(CDS_TREE_ALL);
	assert_string_equal(cparent("HG"), "VN");
	assert_string_equal(cparent("TQ"), "VN");
	assert_string_equal(cparent("HG-A"), "HG");
	assert_string_equal(cparent("HG-B"), "HG");
	assert_string_equal(cparent("VN"), "-");
	/* a newer edition is read again (HG-B re-enrolled under TQ) */
	tu_sheet(db, "HG", 2, moved, 2);
	build(CDS_TREE_ALL);
	assert_string_equal(cparent("HG-B"), "TQ");
	assert_string_equal(cparent("HG-A"), "HG");
	/* the stored parent wins */
	{
		uint8_t a[16], p[16];
		sqlite3_stmt *st = NULL;

		cid("HG-A", a);
		cid("TQ", p);
		assert_int_equal(sqlite3_prepare_v2(db, "UPDATE org_unit SET "
						    "parent_id = ?2 WHERE id "
						    "= ?1", -1, &st, NULL),
				 SQLITE_OK);
		sqlite3_bind_blob(st, 1, a, 16, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, p, 16, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	build(CDS_TREE_ALL);
	assert_string_equal(cparent("HG-A"), "TQ");
	/* a damaged sheet is passed over */
	exec("UPDATE trust_sheet SET bytes = substr(bytes, 2)");
	build(CDS_TREE_ALL);
	assert_string_equal(cparent("HG-B"), "-");
}

/* ==== KPIs under the tree ============================================= */

static cdsync_kpis *
kpis(const char *code, const char *period, const char *as_of)
{
	cdsync_kpis *k = NULL;
	char err[512] = "";

	if (cds_kpi_run(db, NULL, code, period, as_of, &k, err, sizeof err) !=
	    CDSYNC_OK)
		fail_msg("%s %s %s: %s", code, period, as_of ? as_of : "-",
			 err);
	return k;
}

/* Each school: members, a care activity most of them benefited from, a
 * propaganda activity in some, plans for two school years in S1; every
 * date before 30/06/2025 (the day before the province merger). */
static void
school_year_data(void)
{
	static const int schools[] = { S1, S2, S3, S4, S5 };
	int s, i, m, a;

	for (s = 0; s < 5; s++) {
		for (i = 0; i < 4 + s; i++) {
			m = 1000 + 100 * s + i;
			member(m, schools[s], "2020-09-01");
		}
		a = 2000 + s;
		act(a, schools[s], "2025-01-20", "care", 1000000 * (s + 1));
		for (i = 0; i < 3 + s % 2; i++)
			benefit(3000 + 100 * s + i, a, 1000 + 100 * s + i);
		if (s % 2 == 0)
			act(2100 + s, schools[s], "2025-03-10", "propaganda",
			    0);
	}
	ins("INSERT INTO plan (id, org_id, school_year, title) VALUES "
	    "(?1, ?2, 2024, 'Kế hoạch')", "ii", 4001, S1);
	ins("INSERT INTO plan (id, org_id, school_year, title) VALUES "
	    "(?1, ?2, 2025, 'Kế hoạch')", "ii", 4002, S1);
	/* the provinces' own: a training and an agreement each */
	act(2201, P1, "2025-04-01", "training", 0);
	act(2202, P2, "2025-04-02", "training", 0);
	ins("INSERT INTO agreement (id, org_id, partner, title, signed_on) "
	    "VALUES (?1, ?2, 'Ngân hàng', 'Ưu đãi', '2025-05-05')", "ii", 4101,
	    P2);
}

static void
same_figures(const cdsync_kpis *a, const cdsync_kpis *b)
{
	const cdsync_kpi *x, *y;
	size_t i;

	assert_int_equal(cdsync_kpi_count(a), cdsync_kpi_count(b));
	for (i = 0; i < cdsync_kpi_count(a); i++) {
		x = cdsync_kpi_at(a, i);
		y = cdsync_kpi_at(b, i);
		if (x->num != y->num || x->den != y->den)
			fail_msg("%s: %lld/%lld against %lld/%lld", x->id,
				 (long long)x->num, (long long)x->den,
				 (long long)y->num, (long long)y->den);
	}
	assert_int_equal(cdsync_kpi_care_per_member(a),
			 cdsync_kpi_care_per_member(b));
	assert_int_equal(cdsync_kpi_kind_count(a, "care"),
			 cdsync_kpi_kind_count(b, "care"));
	assert_int_equal(cdsync_kpi_kind_count(a, "propaganda"),
			 cdsync_kpi_kind_count(b, "propaganda"));
}

/* The unit with `code` in temp.cds_tree as "level known parent name"
 * (the parent's code, "-" for none), or "-" when the tree has none;
 * fails when it has two. */
static const char *
cunit(const char *code)
{
	static char out[200];
	sqlite3_stmt *st = NULL;
	const unsigned char *p;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT t.level, t.known, "
					    "p.code, t.name FROM "
					    "temp.cds_tree t LEFT JOIN "
					    "temp.cds_tree p ON p.id = "
					    "t.parent_id WHERE t.code = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return "-";
	}
	p = sqlite3_column_text(st, 2);
	snprintf(out, sizeof out, "%s %d %s %s", sqlite3_column_text(st, 0),
		 sqlite3_column_int(st, 1), p ? (const char *)p : "-",
		 sqlite3_column_text(st, 3));
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	return out;
}

/* P2.U.care of `code` in 2025: "num/den". */
static const char *
care(const char *code, const char *as_of)
{
	static char out[40];
	cdsync_kpis *k = kpis(code, "2025", as_of);

	assert_string_equal(cdsync_kpi_at(k, 7)->id, "P2.U.care");
	snprintf(out, sizeof out, "%lld/%lld",
		 (long long)cdsync_kpi_at(k, 7)->num,
		 (long long)cdsync_kpi_at(k, 7)->den);
	cdsync_kpi_free(k);
	return out;
}

static void
units_the_catalog_enrols_join_the_tree_on_their_day(void **state)
{
	static const struct tu_entry nat[] = {
		{ "P1", NULL, "NAT", CDSYNC_ROLE_HUB, "2024-01-01" },
		{ "H9", "Tỉnh Chín", "NAT", CDSYNC_ROLE_HUB, "2025-01-01" },
		{ "KT", "Kiểm toán", "NAT", CDSYNC_ROLE_AUDITOR, "2025-01-01" },
	};
	static const struct tu_entry p1[] = {
		{ "S1", NULL, "P1", CDSYNC_ROLE_SCHOOL, "2024-09-01" },
		{ "P1-NEW", "Trường Mới", "P1", CDSYNC_ROLE_SCHOOL,
		  "2025-10-15" },
	};
	static const struct tu_entry h9[] = {
		{ "H9-S", NULL, "H9", CDSYNC_ROLE_SCHOOL, "2025-02-01" },
	};
	sqlite3_stmt *st = NULL;
	uint8_t id[16], pid[16];

	(void)state;
	school_year_data();
	tu_sheet(db, "NAT", 1, nat, 3);
	tu_sheet(db, "P1", 1, p1, 2);
	tu_sheet(db, "H9", 1, h9, 1);
	build("2025-10-14");
	/* an org unit is one unit, whatever id the catalog derives for
	 * it; the catalog's others are units, under their parents */
	assert_string_equal(cunit("S1"), "grassroots 1 P1 S1");
	assert_string_equal(cunit("P1"), "upper 1 NAT P1");
	assert_string_equal(cunit("H9"), "upper 0 NAT Tỉnh Chín");
	assert_string_equal(cunit("H9-S"), "grassroots 0 H9 H9-S");
	assert_string_equal(cunit("KT"), "-");	/* an auditor is no unit */
	/* enrolled from the day after */
	assert_string_equal(cunit("P1-NEW"), "-");
	build("2025-10-15");
	assert_string_equal(cunit("P1-NEW"), "grassroots 0 P1 Trường Mới");
	/* in the shares of unions they are unions that did nothing: P1
	 * holds S1, S2, S5 and, from its day, P1-NEW; H9 holds H9-S */
	assert_string_equal(care("P1", "14/10/2025"), "3/3");
	assert_string_equal(care("P1", "15/10/2025"), "3/4");
	assert_string_equal(care("H9", "15/10/2025"), "0/1");
	assert_string_equal(care("H9-S", "15/10/2025"), "0/1");
	assert_string_equal(care("NAT", "15/10/2025"), "5/7");
	/* its records come, with its org unit (the id its code derives):
	 * still one unit, now known */
	cds_id_name("cdsync.org.v1", "P1-NEW", id);
	idb(pid, P1);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO org_unit (id, "
					    "code, name, level, parent_id) "
					    "VALUES (?1, 'P1-NEW', 'Trường "
					    "Mới', 'grassroots', ?2)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, pid, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	build("2025-10-15");
	assert_string_equal(cunit("P1-NEW"), "grassroots 1 P1 Trường Mới");
	assert_string_equal(care("P1", "15/10/2025"), "3/4");
}

static void
a_province_merger_pools_figures_and_keeps_national_ones(void **state)
{
	cdsync_kpis *p1b, *p2b, *p1a, *nb, *na, *nn;
	const cdsync_kpi *x, *y, *z;
	char err[512] = "";
	cdsync_kpis *k = NULL;
	size_t i;

	(void)state;
	school_year_data();
	chg(101, NAT, P2, "2025-07-01", "merge", NULL, P1);
	p1b = kpis("P1", "2025", "30/06/2025");
	p2b = kpis("P2", "2025", "30/06/2025");
	nb = kpis("NAT", "2025", "30/06/2025");
	p1a = kpis("P1", "2025", "31/12/2025");
	na = kpis("NAT", "2025", "31/12/2025");
	/* before: each its own (P1: S1, S2, S5; P2: S3, S4) */
	assert_int_equal(cdsync_kpi_at(p1b, 0)->den, 3);
	assert_int_equal(cdsync_kpi_at(p2b, 0)->den, 2);
	/* after: P1 is the pool of both, figure by figure */
	for (i = 0; i < cdsync_kpi_count(p1a); i++) {
		x = cdsync_kpi_at(p1a, i);
		y = cdsync_kpi_at(p1b, i);
		z = cdsync_kpi_at(p2b, i);
		assert_string_equal(x->id, y->id);
		if (x->num != y->num + z->num ||
		    (x->is_share && x->den != y->den + z->den))
			fail_msg("%s: %lld/%lld is not %lld/%lld + %lld/%lld",
				 x->id, (long long)x->num, (long long)x->den,
				 (long long)y->num, (long long)y->den,
				 (long long)z->num, (long long)z->den);
	}
	assert_int_equal(cdsync_kpi_at(p1a, 0)->den, 5);
	/* P2's own training and agreement are P1's now */
	assert_int_equal(cdsync_kpi_at(p1a, 11)->num, 2);
	assert_int_equal(cdsync_kpi_at(p1a, 13)->num, 1);
	assert_int_equal(cdsync_kpi_kind_count(p1a, "care"), 5);
	assert_int_equal(cdsync_kpi_care_per_member(p1a),
			 15000000 / (4 + 5 + 6 + 7 + 8));
	/* the national figures are the same either way */
	same_figures(nb, na);
	/* and the same as with no merger at all */
	exec("DELETE FROM org_change");
	nn = kpis("NAT", "2025", "31/12/2025");
	same_figures(na, nn);
	/* P2 after the merger has no figures of its own */
	chg(101, NAT, P2, "2025-07-01", "merge", NULL, P1);
	assert_int_equal(cds_kpi_run(db, NULL, "P2", "2025", "31/12/2025", &k,
				     err, sizeof err), CDSYNC_ENOTFOUND);
	assert_null(k);
	assert_string_equal(err, "P2 was merged into P1 on 01/07/2025: its "
			    "records count as those of P1 (ask for P1, or for "
			    "a day before the merger)");
	cdsync_kpi_free(p1b);
	cdsync_kpi_free(p2b);
	cdsync_kpi_free(p1a);
	cdsync_kpi_free(nb);
	cdsync_kpi_free(na);
	cdsync_kpi_free(nn);
}

static void
merged_grassroots_unions_count_once(void **state)
{
	cdsync_kpis *b, *a, *s1, *nb, *na;

	(void)state;
	school_year_data();
	/* S2 (no propaganda) merges into S1 (propaganda); S3 into S4 */
	chg(101, P1, S2, "2025-07-01", "merge", NULL, S1);
	b = kpis("P1", "2025", "30/06/2025");
	a = kpis("P1", "2025", "31/12/2025");
	/* P2.U.propaganda: S1 and S5 of S1, S2, S5 before; S1 (with S2)
	 * and S5 of two after */
	assert_string_equal(cdsync_kpi_at(a, 3)->id, "P2.U.propaganda");
	assert_int_equal(cdsync_kpi_at(b, 3)->num, 2);
	assert_int_equal(cdsync_kpi_at(b, 3)->den, 3);
	assert_int_equal(cdsync_kpi_at(a, 3)->num, 2);
	assert_int_equal(cdsync_kpi_at(a, 3)->den, 2);
	/* coverage pools every member, once */
	assert_int_equal(cdsync_kpi_at(a, 8)->den, cdsync_kpi_at(b, 8)->den);
	assert_int_equal(cdsync_kpi_at(a, 8)->num, cdsync_kpi_at(b, 8)->num);
	/* S1's own figures now hold S2's rows */
	s1 = kpis("S1", "2025", "31/12/2025");
	assert_int_equal(cdsync_kpi_at(s1, 0)->den, 1);
	assert_int_equal(cdsync_kpi_at(s1, 8)->den, 4 + 5);
	assert_int_equal(cdsync_kpi_kind_count(s1, "care"), 2);
	/* the nation: one union fewer, the same members */
	nb = kpis("NAT", "2025", "30/06/2025");
	na = kpis("NAT", "2025", "31/12/2025");
	assert_int_equal(cdsync_kpi_at(nb, 0)->den, 5);
	assert_int_equal(cdsync_kpi_at(na, 0)->den, 4);
	assert_int_equal(cdsync_kpi_at(na, 8)->den, cdsync_kpi_at(nb, 8)->den);
	cdsync_kpi_free(b);
	cdsync_kpi_free(a);
	cdsync_kpi_free(s1);
	cdsync_kpi_free(nb);
	cdsync_kpi_free(na);
}

static void
without_as_of_the_kpis_use_the_tree_of_today(void **state)
{
	cdsync_kpis *k;

	(void)state;
	school_year_data();
	/* a move long ago counts today; one in 2099 not yet */
	chg(101, NAT, S3, "2001-01-01", "move", NULL, P3);
	chg(102, NAT, S4, "2099-01-01", "move", NULL, P3);
	k = kpis("P3", "2025", NULL);
	assert_int_equal(cdsync_kpi_at(k, 0)->den, 1);
	cdsync_kpi_free(k);
}

/* ==== The public API, on a hub's store ================================ */

static cdsync *
hub(const char *code, const char *parent_code)
{
	cdsync *h = NULL;

	if (cdsync_open(tu_path(tu_tmpdir(), "store.db"), CDSYNC_OPEN_CREATE,
			&h) != CDSYNC_OK ||
	    cdsync_node_init(h, CDSYNC_ROLE_HUB, code, code, parent_code) !=
		    CDSYNC_OK)
		fail_msg("hub: %s", cdsync_errmsg(h));
	return h;
}

/* An org unit in h's store (not captured: as if merged). */
static void
unit(cdsync *h, const char *code, const char *level, const char *parent)
{
	sqlite3_stmt *st = NULL;
	uint8_t id[16], pid[16];

	cid(code, id);
	assert_int_equal(sqlite3_prepare_v2(h->db, "INSERT INTO org_unit (id, "
					    "code, name, level, parent_id) "
					    "VALUES (?1, ?2, ?2, ?3, ?4)", -1,
					    &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, level, -1, SQLITE_STATIC);
	if (parent != NULL) {
		cid(parent, pid);
		sqlite3_bind_blob(st, 4, pid, 16, SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("unit %s: %s", code, sqlite3_errmsg(h->db));
	sqlite3_finalize(st);
}

/*   NAT national
 *     P1 (this hub; its parent comes from its set-up): S1, S2, S4; D1:
 *        D2
 *     P2: S3 */
static cdsync *
hub_tree(void)
{
	cdsync *h = hub("P1", "NAT");

	unit(h, "NAT", "national", NULL);
	unit(h, "P2", "upper", "NAT");
	unit(h, "S1", "grassroots", "P1");
	unit(h, "S2", "grassroots", "P1");
	unit(h, "S4", "grassroots", "P1");
	unit(h, "D1", "upper", "P1");
	unit(h, "D2", "upper", "D1");
	unit(h, "S3", "grassroots", "P2");
	return h;
}

static long
counts(cdsync *h)
{
	return tu_count(h, "SELECT count(*) FROM org_change") * 1000 +
	       tu_count(h, "SELECT count(*) FROM sync_change");
}

/* The unit `code` of the tree of as_of: its parent and merged-into codes
 * as "parent/into" ("-" for none). */
static const char *
where(cdsync *h, const char *as_of, const char *code)
{
	static char out[200];
	const cdsync_tree_unit *u;
	cdsync_tree *t = NULL;
	int rc;

	assert_int_equal(cdsync_tree_open(h, as_of, &t), CDSYNC_OK);
	snprintf(out, sizeof out, "(none)");
	while ((rc = cdsync_tree_next(t, &u)) == CDSYNC_OK)
		if (strcmp(u->code, code) == 0)
			snprintf(out, sizeof out, "%s/%s %s d%d",
				 u->parent ? u->parent : "-",
				 u->merged_into ? u->merged_into : "-",
				 u->name, u->depth);
	assert_int_equal(rc, CDSYNC_DONE);
	cdsync_tree_close(t);
	return out;
}

static void
a_refused_change_names_the_rule_and_records_nothing(void **state)
{
	cdsync *h = hub_tree();
	long before;

	(void)state;
	assert_string_equal(where(h, "2025-01-01", "P1"), "NAT/- P1 d1");
	assert_int_equal(cdsync_org_rename(h, "S1", "Trường Hoa Ban",
					   "01/09/2025", "Quyết định 12"),
			 CDSYNC_OK);
	assert_string_equal(where(h, "2025-09-01", "S1"),
			    "P1/- Trường Hoa Ban d2");
	assert_string_equal(where(h, "2025-08-31", "S1"), "P1/- S1 d2");
	before = counts(h);
	/* an unknown code */
	assert_int_equal(cdsync_org_move(h, "S9", "D1", "2025-09-01", NULL),
			 CDSYNC_ENOTFOUND);
	assert_string_equal(cdsync_errmsg(h),
			    "there is no org unit with the code 'S9'");
	assert_int_equal(cdsync_org_merge(h, "S1", "NOPE", "2025-09-01",
					  NULL), CDSYNC_ENOTFOUND);
	/* a cycle */
	assert_int_equal(cdsync_org_move(h, "D1", "D2", "2025-09-01", NULL),
			 CDSYNC_ECONSTRAINT);
	assert_string_equal(cdsync_errmsg(h),
			    "D1 cannot be moved under D2, which is below it in "
			    "the tree on 01/09/2025: that would make a cycle; "
			    "nothing was recorded");
	assert_int_equal(cdsync_org_move(h, "D1", "D1", "2025-09-01", NULL),
			 CDSYNC_ECONSTRAINT);
	assert_string_equal(cdsync_errmsg(h), "D1 cannot be moved under "
			    "itself; nothing was recorded");
	/* another level */
	assert_int_equal(cdsync_org_merge(h, "S1", "D1", "2025-09-01", NULL),
			 CDSYNC_ECONSTRAINT);
	assert_string_equal(cdsync_errmsg(h),
			    "S1 (grassroots union) cannot be merged into D1 "
			    "(upper-level union): a merger joins two unions "
			    "of the same level; nothing was recorded");
	/* not above it */
	assert_int_equal(cdsync_org_move(h, "S3", "D1", "2025-09-01", NULL),
			 CDSYNC_ESCOPE);
	assert_string_equal(cdsync_errmsg(h),
			    "P1 may not change the place of S3: it is neither "
			    "the national union nor above it in the tree on "
			    "01/09/2025; nothing was recorded");
	assert_int_equal(cdsync_org_rename(h, "P2", "X", "2025-09-01", NULL),
			 CDSYNC_ESCOPE);
	/* a bad date, an empty name */
	assert_int_equal(cdsync_org_rename(h, "S1", "X", "31/02/2026", NULL),
			 CDSYNC_EINVAL);
	assert_int_equal(cdsync_org_rename(h, "S1", "", "2026-02-01", NULL),
			 CDSYNC_EINVAL);
	assert_int_equal(counts(h), before);
	/* the unit itself may rename itself; P1 moves its own */
	assert_int_equal(cdsync_org_rename(h, "P1", "CĐGD tỉnh", "2025-09-01",
					   NULL), CDSYNC_OK);
	assert_int_equal(cdsync_org_move(h, "S4", "D2", "2025-10-01", NULL),
			 CDSYNC_OK);
	assert_string_equal(where(h, "2025-10-01", "S4"), "D2/- S4 d4");
	assert_int_equal(cdsync_org_merge(h, "S2", "S1", "2025-11-01", NULL),
			 CDSYNC_OK);
	assert_string_equal(where(h, "2025-11-01", "S2"), "-/S1 S2 d3");
	assert_int_equal(cdsync_org_rename(h, "S2", "Z", "2025-12-01", NULL),
			 CDSYNC_ECONSTRAINT);
	assert_string_equal(cdsync_errmsg(h), "S2 had been merged into S1 on "
			    "01/11/2025; nothing was recorded");
	/* a change dated before one that counts, which it would void */
	before = counts(h);
	assert_int_equal(cdsync_org_merge(h, "S4", "S1", "2025-09-15", NULL),
			 CDSYNC_ECONSTRAINT);
	assert_string_equal(cdsync_errmsg(h),
			    "it would make the move of S4 on 01/10/2025 no "
			    "longer count (S4 had been merged "
			    "into S1 on 15/09/2025); nothing was recorded");
	/* a rename needs a name */
	if (cdsync_org_rename(h, "S1", "  ", "2026-02-01", NULL) !=
	    CDSYNC_EINVAL)
		fail_msg("%s", cdsync_errmsg(h));
	assert_string_equal(cdsync_errmsg(h), "a rename needs the new name");
	assert_int_equal(counts(h), before);
	cdsync_close(h);
}

static void
the_changes_are_listed_with_those_ignored_and_why(void **state)
{
	cdsync *h = hub_tree();
	const cdsync_tree_change *c;
	cdsync_tree_changes *it = NULL;
	cdsync_rec *r = NULL;
	uint8_t s3[16];
	int n = 0;

	(void)state;
	assert_int_equal(cdsync_org_move(h, "S4", "D1", "2025-10-01",
					 "Theo quyết định 7"), CDSYNC_OK);
	/* a change by the generic insert is stored even where it does not
	 * count, and listed as ignored */
	cid("S3", s3);
	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ORG_CHANGE, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_ref(r, "subject_id", s3), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "change", "rename"), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "name", "Không được"), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "effective_on", "2025-09-01"),
			 CDSYNC_OK);
	assert_int_equal(cdsync_insert(h, r), CDSYNC_OK);
	cdsync_rec_free(r);
	assert_int_equal(cdsync_tree_changes_open(h, &it), CDSYNC_OK);
	while (cdsync_tree_changes_next(it, &c) == CDSYNC_OK) {
		n++;
		if (n == 1) {
			assert_string_equal(c->effective_on, "2025-09-01");
			assert_string_equal(c->change, "rename");
			assert_string_equal(c->author, "P1");
			assert_string_equal(c->subject, "S3");
			assert_string_equal(c->name, "Không được");
			assert_false(c->applied);
			assert_string_equal(c->reason, "P1 may not rename S3: "
					    "it is neither the national union, "
					    "nor above it in the tree on "
					    "01/09/2025, nor that unit itself");
		} else {
			assert_string_equal(c->change, "move");
			assert_string_equal(c->parent, "D1");
			assert_null(c->into);
			assert_string_equal(c->note, "Theo quyết định 7");
			assert_true(c->applied);
			assert_null(c->reason);
		}
	}
	assert_int_equal(n, 2);
	assert_int_equal(cdsync_tree_changes_next(it, &c), CDSYNC_DONE);
	cdsync_tree_changes_close(it);
	cdsync_close(h);
}

static void
the_tree_lists_each_unit_its_parts_then_its_children(void **state)
{
	static const char *const want[] = {
		"0 NAT", "1 P1", "2 D1", "3 D2", "2 S1", "3 S2 <S1", "2 S4",
		"1 P2", "2 S3"
	};
	cdsync *h = hub_tree();
	const cdsync_tree_unit *u;
	cdsync_tree *t = NULL;
	char line[100];
	size_t i = 0;

	(void)state;
	assert_int_equal(cdsync_org_merge(h, "S2", "S1", "2025-11-01", NULL),
			 CDSYNC_OK);
	assert_int_equal(cdsync_tree_open(h, "2025-12-31", &t), CDSYNC_OK);
	while (cdsync_tree_next(t, &u) == CDSYNC_OK) {
		assert_true(i < sizeof want / sizeof want[0]);
		snprintf(line, sizeof line, "%d %s%s%s", u->depth, u->code,
			 u->merged_into ? " <" : "",
			 u->merged_into ? u->merged_into : "");
		assert_string_equal(line, want[i]);
		if (u->merged_into != NULL)
			assert_string_equal(u->merged_on, "2025-11-01");
		i++;
	}
	assert_int_equal(i, sizeof want / sizeof want[0]);
	cdsync_tree_close(t);
	assert_int_equal(cdsync_tree_open(h, "2025-13-01", &t), CDSYNC_EINVAL);
	assert_null(t);
	cdsync_close(h);
}

static void
a_read_only_store_gives_its_tree_and_records_nothing(void **state)
{
	cdsync *h = hub_tree(), *ro = NULL;
	cdsync_kpis *k = NULL;
	char path[4096];

	(void)state;
	assert_int_equal(cdsync_org_merge(h, "S2", "S1", "2025-11-01", NULL),
			 CDSYNC_OK);
	snprintf(path, sizeof path, "%s", sqlite3_db_filename(h->db, "main"));
	cdsync_close(h);
	assert_int_equal(cdsync_open(path, CDSYNC_OPEN_READONLY, &ro),
			 CDSYNC_OK);
	assert_string_equal(where(ro, "2025-12-31", "S2"), "-/S1 S2 d3");
	assert_int_equal(cdsync_kpi_compute(ro, "P1", "2025-2026", NULL, &k),
			 CDSYNC_OK);
	assert_int_equal(cdsync_kpi_at(k, 0)->den, 2);
	cdsync_kpi_free(k);
	assert_int_equal(cdsync_kpi_compute(ro, "S2", "2025-2026", NULL, &k),
			 CDSYNC_ENOTFOUND);
	assert_int_equal(cdsync_org_rename(ro, "S1", "X", "2025-12-01", NULL),
			 CDSYNC_EREADONLY);
	cdsync_close(ro);
}

static void
a_failing_allocation_gives_enomem_and_nothing_else(void **state)
{
	cdsync *h = hub_tree();
	cdsync_tree_changes *it;
	cdsync_tree *t;
	long n, before;
	int rc;

	(void)state;
	assert_int_equal(cdsync_org_merge(h, "S2", "S1", "2025-11-01", NULL),
			 CDSYNC_OK);
	before = counts(h);
	for (n = 0; n < 200; n++) {
		cds_alloc_fail_after(n);
		t = NULL;
		rc = cdsync_tree_open(h, "2025-12-31", &t);
		cds_alloc_fail_after(-1);
		assert_true(rc == CDSYNC_OK || rc == CDSYNC_ENOMEM);
		cdsync_tree_close(t);
		cds_alloc_fail_after(n);
		it = NULL;
		rc = cdsync_tree_changes_open(h, &it);
		cds_alloc_fail_after(-1);
		assert_true(rc == CDSYNC_OK || rc == CDSYNC_ENOMEM);
		cdsync_tree_changes_close(it);
		cds_alloc_fail_after(n);
		rc = cdsync_org_rename(h, "S1", "Tên", "2025-12-01", NULL);
		cds_alloc_fail_after(-1);
		assert_true(rc == CDSYNC_OK || rc == CDSYNC_ENOMEM);
		if (rc == CDSYNC_OK)
			break;
		assert_int_equal(counts(h), before);
	}
	assert_true(n < 200);
	cdsync_close(h);
}

/* ==== Carried by bundles like any other kind ========================== */

/* Every change in a store's log. */
static size_t
log_of(cdsync *h, struct cds_change *c, uint8_t (*cols)[512], size_t max)
{
	sqlite3_stmt *st;
	size_t n = 0;

	assert_int_equal(sqlite3_prepare_v2(h->db,
		"SELECT c.tbl, c.rid, c.op, c.hlc, n.node_id, c.base, c.vals "
		"FROM sync_change c JOIN sync_node n ON n.idx = c.node "
		"ORDER BY c.seq", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && n < max) {
		memset(&c[n], 0, sizeof c[n]);
		c[n].kind = (uint8_t)sqlite3_column_int(st, 0);
		memcpy(c[n].row, sqlite3_column_blob(st, 1), 16);
		c[n].op = (uint8_t)sqlite3_column_int(st, 2);
		c[n].hlc = (uint64_t)sqlite3_column_int64(st, 3);
		memcpy(c[n].origin, sqlite3_column_blob(st, 4), 16);
		c[n].base = (uint64_t)sqlite3_column_int64(st, 5);
		c[n].ncols = (size_t)sqlite3_column_bytes(st, 6);
		assert_true(c[n].ncols <= sizeof cols[n]);
		memcpy(cols[n], sqlite3_column_blob(st, 6), c[n].ncols);
		c[n].cols = cols[n];
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static void
a_tree_change_travels_like_any_other_record(void **state)
{
	struct cds_merge_stats ms = { 0 };
	static uint8_t cols[8][512];
	struct cds_change c[8];
	struct cds_payload pl;
	uint8_t p1[16];
	cdsync *a = hub_tree(), *b = NULL;
	char err[256];
	cds_buf buf;
	size_t n;

	(void)state;
	memset(c, 0, sizeof c);
	assert_int_equal(cdsync_org_move(a, "S4", "D1", "2025-10-01", NULL),
			 CDSYNC_OK);
	n = log_of(a, c, cols, 8);
	assert_int_equal(n, 2);		/* P1's own row, the change */
	assert_int_equal(c[1].kind, CDSYNC_KIND_ORG_CHANGE);
	/* the payload carries kind 13; a reader that knows 12 refuses it */
	cds_buf_init(&buf, 1u << 20);
	cds_payload_write(&buf, c, n);
	assert_int_equal(buf.rc, 0);
	assert_int_equal(cds_payload_read(buf.p, buf.n, n, CDSYNC_KIND_MAX,
					  &pl, err, sizeof err), 0);
	assert_int_equal(pl.count, n);
	assert_int_equal(pl.ch[1].kind, CDSYNC_KIND_ORG_CHANGE);
	cds_payload_free(&pl);
	assert_int_equal(cds_payload_read(buf.p, buf.n, n, 12, &pl, err,
					  sizeof err), -1);
	cds_buf_free(&buf);
	/* the change is P1's own: in scope for a bundle P1 signs */
	b = hub("NAT-HUB", NULL);
	unit(b, "NAT", "national", NULL);
	unit(b, "P1", "upper", "NAT");
	unit(b, "D1", "upper", "P1");
	unit(b, "S4", "grassroots", "P1");
	cid("P1", p1);
	assert_int_equal(cds_scope_check(b, &c[1], 1, p1, "P1"), CDSYNC_OK);
	assert_int_equal(cds_scope_check(b, &c[1], 1, b->org_id, "NAT-HUB"),
			 CDSYNC_ESCOPE);
	/* merged, it lands in the table and moves S4 there too */
	assert_int_equal(cds_merge_begin(b), CDSYNC_OK);
	assert_int_equal(cds_merge(b, &c[1], 1, 0, &ms), CDSYNC_OK);
	assert_int_equal(cds_merge_commit(b), CDSYNC_OK);
	assert_int_equal(ms.applied, 1);
	assert_int_equal(tu_count(b, "SELECT count(*) FROM org_change"), 1);
	assert_string_equal(where(b, "2025-10-01", "S4"), "D1/- S4 d3");
	assert_string_equal(where(b, "2025-09-30", "S4"), "P1/- S4 d2");
	cdsync_close(a);
	cdsync_close(b);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_rename_takes_effect_on_its_day),
		T(a_move_changes_the_parent_from_its_day),
		T(a_merge_makes_a_unit_part_of_another_with_its_children),
		T(chains_of_changes_follow_each_other),
		T(changes_of_one_day_apply_in_recording_order),
		T(a_change_by_a_union_not_above_the_unit_is_ignored),
		T(authority_is_judged_on_the_tree_just_before_the_change),
		T(a_cycle_is_refused),
		T(a_merge_joins_one_level_and_the_root_stays_put),
		T(a_change_naming_an_unknown_unit_waits_for_it),
		T(the_schema_keeps_each_change_to_its_field),
		T(a_cycle_in_stored_parents_does_not_hang_the_build),
		T(a_bad_date_is_refused),
		T(the_own_unit_takes_the_parent_it_was_set_up_with),
		T(units_without_a_parent_take_that_of_their_enrolment),
		T(units_the_catalog_enrols_join_the_tree_on_their_day),
		T(a_province_merger_pools_figures_and_keeps_national_ones),
		T(merged_grassroots_unions_count_once),
		T(without_as_of_the_kpis_use_the_tree_of_today),
		T(a_refused_change_names_the_rule_and_records_nothing),
		T(the_changes_are_listed_with_those_ignored_and_why),
		T(the_tree_lists_each_unit_its_parts_then_its_children),
		T(a_read_only_store_gives_its_tree_and_records_nothing),
		T(a_failing_allocation_gives_enomem_and_nothing_else),
		T(a_tree_change_travels_like_any_other_record),
	};
#undef T

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
