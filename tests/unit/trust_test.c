/* trust_test.c -- enrolment and the signed catalog: a three-level tree
 * built on enrolment alone, and every refusal (wrong fingerprint, not a
 * child, forged catalog, rollback, a signer outside its subtree, an
 * unknown signer, revoked and expired keys, changes out of scope), each
 * with its exact message and nothing taken in. */
#define _GNU_SOURCE 1		/* memmem */
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
#include <sodium.h>

#include "catalog.h"
#include "id.h"
#include "store.h"
#include "testutil.h"
#include "trust.h"

static cdsync *nat, *dis, *sch;
static char dir[512];		/* files travel through here */
static char root_fpr[20];

static uint64_t fake_now;
static uint64_t
fakeclock(void)
{
	return fake_now;
}

static cdsync *
node(cdsync_role role, const char *code, const char *name,
     const char *parent)
{
	cdsync *db = NULL;

	assert_int_equal(cdsync_open(tu_path(tu_tmpdir(), "store.db"),
				     CDSYNC_OPEN_CREATE, &db), CDSYNC_OK);
	if (cdsync_node_init(db, role, code, name, parent) != CDSYNC_OK)
		fail_msg("init: %s", cdsync_errmsg(db));
	return db;
}

static const char *
file(const char *name)
{
	static char p[4][600];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

/* child asks, parent approves (with the right fingerprint), child takes
 * the catalog in. */
static void
enrol(cdsync *child, cdsync *parent, const char *req, const char *cat)
{
	char fpr[20];

	assert_int_equal(cdsync_enrol_request(child, file(req)), CDSYNC_OK);
	assert_int_equal(cdsync_fingerprint(child, fpr), CDSYNC_OK);
	if (cdsync_enrol_approve(parent, file(req), fpr, 0, file(cat)) !=
	    CDSYNC_OK)
		fail_msg("approve: %s", cdsync_errmsg(parent));
	if (cdsync_catalog_import(child, file(cat), root_fpr) != CDSYNC_OK)
		fail_msg("catalog: %s", cdsync_errmsg(child));
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

/* The last file (by name) in d ending in ext whose name has `part`. */
static const char *
last_file(const char *d, const char *ext, const char *part)
{
	static char path[1024];
	struct dirent **list;
	int n, i;

	n = scandir(d, &list, NULL, alphasort);
	assert_true(n >= 0);
	path[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strstr(list[i]->d_name, ext) &&
		    strstr(list[i]->d_name, part))
			snprintf(path, sizeof path, "%s/%s", d,
				 list[i]->d_name);
		free(list[i]);
	}
	free(list);
	assert_true(path[0] != '\0');
	return path;
}

/* The newest bundle file in d whose name has `part`. */
static const char *
newest(const char *d, const char *part)
{
	return last_file(d, ".cdsb", part);
}

static size_t
entries(cdsync *db)
{
	cdsync_cat_entry e;
	size_t i = 0;

	while (cdsync_catalog_at(db, i, &e) == CDSYNC_OK)
		i++;
	return i;
}

static int
setup(void **state)
{
	cdsync_cat_entry e;

	(void)state;
	snprintf(dir, sizeof dir, "%s", tu_tmpdir());
	nat = node(CDSYNC_ROLE_NATIONAL, "VN", "Công đoàn Giáo dục Việt Nam",
		   NULL);
	dis = node(CDSYNC_ROLE_HUB, "HG-VX", "Công đoàn Giáo dục Vị Xuyên",
		   "VN");
	sch = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU",
		   "Trường Tiểu học Lũng Cú", "HG-VX");
	assert_int_equal(cdsync_catalog_at(nat, 0, &e), CDSYNC_OK);
	snprintf(root_fpr, sizeof root_fpr, "%s", e.fingerprint);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cds_wall_hook = NULL;
	cdsync_close(nat);
	cdsync_close(dis);
	cdsync_close(sch);
	tu_cleanup();
	return 0;
}

static void
test_the_tree_is_built_on_enrolment_alone(void **state)
{
	cdsync_request_info q;
	cdsync_cat_entry e;
	char fpr[20], msg[512];
	size_t sealed, written, n;

	(void)state;
	/* the root certifies itself */
	assert_int_equal(entries(nat), 1);
	assert_int_equal(cdsync_catalog_at(nat, 0, &e), CDSYNC_OK);
	assert_string_equal(e.org, "VN");
	assert_string_equal(e.parent, "");
	assert_int_equal(e.kpi_version, 1);
	/* a request says who asks, signed by its own key */
	assert_int_equal(cdsync_enrol_request(dis, file("dis.req")), 0);
	assert_int_equal(cdsync_request_read(nat, file("dis.req"), &q), 0);
	assert_string_equal(q.org, "HG-VX");
	assert_string_equal(q.parent, "VN");
	assert_int_equal(q.role, CDSYNC_ROLE_HUB);
	assert_int_equal(cdsync_fingerprint(dis, fpr), CDSYNC_OK);
	assert_string_equal(q.fingerprint, fpr);
	/* a fingerprint misheard over the phone is refused */
	assert_int_equal(cdsync_enrol_approve(nat, file("dis.req"),
					      "AAAA-BBBB-CCCC-DDDD", 0,
					      file("dis.cdsa")),
			 CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg,
		 "%s: the fingerprint does not match: the request's keys "
		 "have %s; ask the union that sent it to read its own out "
		 "again", file("dis.req"), fpr);
	assert_string_equal(cdsync_errmsg(nat), msg);
	assert_int_equal(entries(nat), 1);
	/* a school does not enrol others; a node enrols its own children */
	assert_int_equal(cdsync_enrol_approve(sch, file("dis.req"), fpr, 0,
					      file("x.cdsa")),
			 CDSYNC_EINVAL);
	/* the right one, typed loosely (lower case, no dashes) */
	{
		char loose[20];
		size_t i, k = 0;

		for (i = 0; fpr[i]; i++)
			if (fpr[i] != '-')
				loose[k++] = (char)(fpr[i] >= 'A' &&
						   fpr[i] <= 'Z'
						   ? fpr[i] + 32 : fpr[i]);
		loose[k] = '\0';
		assert_int_equal(cdsync_enrol_approve(nat, file("dis.req"),
						      loose, 0,
						      file("dis.cdsa")),
				 CDSYNC_OK);
	}
	/* the wrong root fingerprint: nothing taken */
	assert_int_equal(cdsync_catalog_import(dis, file("dis.cdsa"),
					       "AAAA-BBBB-CCCC-DDDD"),
			 CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s: the national root's fingerprint is "
				  "%s, not the one given",
		 file("dis.cdsa"), root_fpr);
	assert_string_equal(cdsync_errmsg(dis), msg);
	assert_int_equal(entries(dis), 0);
	assert_int_equal(cdsync_catalog_import(dis, file("dis.cdsa"),
					       root_fpr),
			 CDSYNC_OK);
	assert_int_equal(entries(dis), 2);
	/* a school under the district: asking the national hub is wrong */
	assert_int_equal(cdsync_enrol_request(sch, file("sch.req")), 0);
	assert_int_equal(cdsync_fingerprint(sch, fpr), CDSYNC_OK);
	assert_int_equal(cdsync_enrol_approve(nat, file("sch.req"), fpr, 0,
					      file("sch.cdsa")),
			 CDSYNC_ESCOPE);
	snprintf(msg, sizeof msg, "%s: HG-VX-TH-LUNGCU asks to be enrolled "
				  "under HG-VX, but this node is VN",
		 file("sch.req"));
	assert_string_equal(cdsync_errmsg(nat), msg);
	enrol(sch, dis, "sch.req", "sch.cdsa");
	assert_int_equal(entries(sch), 3);
	/* bundles flow up on the catalog alone: no key file copied */
	activity(sch, "Tết Sum vầy");
	assert_int_equal(cdsync_export(sch, dir, &sealed, &written), 0);
	n = 0;
	assert_int_equal(cdsync_import_file(dis, newest(dir, "LUNGCU"), &n),
			 CDSYNC_OK);
	assert_int_equal(n, 2);		/* its org unit and the activity */
	assert_int_equal(cdsync_export(dis, dir, &sealed, &written), 0);
	/* the district's export carries its sheet up */
	assert_int_equal(cdsync_catalog_import(nat, file("catalog-HG-VX.cdsa"),
					       NULL),
			 CDSYNC_OK);
	assert_int_equal(entries(nat), 3);
	n = 0;
	assert_int_equal(cdsync_import_file(nat, newest(dir, "LUNGCU"), &n),
			 CDSYNC_OK);
	assert_int_equal(tu_count(nat, "SELECT count(*) FROM activity"), 1);
}

/* A catalog file made of sheets signed here (for the forgeries). */
static void
write_catalog(const char *path, const uint8_t *const *s, const size_t *len,
	      size_t n)
{
	cds_buf b;

	cds_buf_init(&b, 1 << 20);
	cds_catalog_write(&b, s, len, n);
	assert_int_equal(b.rc, 0);
	tu_write(path, b.p, b.n);
	cds_buf_free(&b);
}

/* The stored sheet of a node, as bytes (into buf). */
static size_t
stored_sheet(cdsync *db, cdsync *issuer, uint8_t *buf, size_t cap)
{
	sqlite3_stmt *st;
	size_t n = 0;

	assert_int_equal(sqlite3_prepare_v2(db->db, "SELECT bytes FROM "
					    "trust_sheet WHERE issuer = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, issuer->node_id, 16, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = (size_t)sqlite3_column_bytes(st, 0);
	assert_true(n <= cap);
	memcpy(buf, sqlite3_column_blob(st, 0), n);
	sqlite3_finalize(st);
	return n;
}

static void
test_forged_old_and_overreaching_catalogs_are_refused(void **state)
{
	static uint8_t natb[65536], disb[65536], forged[65536];
	const uint8_t *s[2];
	size_t len[2], nn, nd;
	struct cds_sheet sheet;
	char err[256], msg[1024];
	cds_buf b;
	size_t before = entries(nat);

	(void)state;
	nn = stored_sheet(nat, nat, natb, sizeof natb);
	nd = stored_sheet(nat, dis, disb, sizeof disb);
	/* forged: one bit of the district's sheet flipped */
	memcpy(forged, disb, nd);
	forged[nd - 66] ^= 1;	/* a letter of the last parent code */
	s[0] = natb;
	len[0] = nn;
	s[1] = forged;
	len[1] = nd;
	write_catalog(file("forged.cdsa"), s, len, 2);
	assert_int_equal(cdsync_catalog_import(nat, file("forged.cdsa"), NULL),
			 CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s, sheet 2: sheet offset %zu: the "
				  "signature does not verify",
		 file("forged.cdsa"), nd - 64);
	assert_string_equal(cdsync_errmsg(nat), msg);
	assert_int_equal(entries(nat), before);
	/* outside its subtree: the district certifies a school under another
	 * district, signed with its real key */
	assert_int_equal(cds_sheet_read(disb, nd, &sheet, err, sizeof err), 0);
	sheet.serial += 10;
	snprintf(sheet.e[0].parent_code, sizeof sheet.e[0].parent_code,
		 "HG-BQ");
	cds_buf_init(&b, 1 << 20);
	cds_sheet_write(&b, &sheet, dis->sign_sk);
	cds_sheet_free(&sheet);
	assert_int_equal(b.rc, 0);
	s[1] = b.p;
	len[1] = b.n;
	write_catalog(file("over.cdsa"), s, len, 2);
	cds_buf_free(&b);
	assert_int_equal(cdsync_catalog_import(nat, file("over.cdsa"), NULL),
			 CDSYNC_ESCOPE);
	assert_string_equal(cdsync_errmsg(nat),
			    "catalog: the sheet of HG-VX certifies "
			    "HG-VX-TH-LUNGCU under HG-BQ, outside its own "
			    "subtree");
	assert_int_equal(entries(nat), before);
	/* unknown signer: a sheet signed by a key no sheet certifies */
	{
		uint8_t pk[32], sk[64];

		assert_int_equal(cds_sheet_read(disb, nd, &sheet, err,
						sizeof err),
				 0);
		crypto_sign_keypair(pk, sk);
		memcpy(sheet.issuer_pk, pk, 32);
		sheet.serial += 10;
		cds_buf_init(&b, 1 << 20);
		cds_sheet_write(&b, &sheet, sk);
		cds_sheet_free(&sheet);
		s[1] = b.p;
		len[1] = b.n;
		write_catalog(file("stranger.cdsa"), s, len, 2);
		cds_buf_free(&b);
		assert_int_equal(cdsync_catalog_import(nat,
						       file("stranger.cdsa"),
						       NULL),
				 CDSYNC_EUNKNOWNKEY);
		{
			char hex[33];

			cds_id_hex(dis->node_id, hex);
			snprintf(msg, sizeof msg,
				 "catalog: a sheet of node %s is signed by a "
				 "key no trusted sheet certifies",
				 hex + 24);
			assert_string_equal(cdsync_errmsg(nat), msg);
		}
		assert_int_equal(entries(nat), before);
	}
	/* rollback: the district's first edition, after a newer one */
	assert_int_equal(cdsync_catalog_export(dis, file("old.cdsa")), 0);
	assert_int_equal(cdsync_enrol_revoke(dis, "HG-VX-TH-LUNGCU",
					     "thử thu hồi"),
			 CDSYNC_OK);
	assert_int_equal(cdsync_catalog_export(dis, file("new.cdsa")), 0);
	assert_int_equal(cdsync_catalog_import(nat, file("new.cdsa"), NULL),
			 CDSYNC_OK);
	assert_int_equal(cdsync_catalog_import(nat, file("old.cdsa"), NULL),
			 CDSYNC_EROLLBACK);
	{
		char hex[33];

		cds_id_hex(dis->node_id, hex);
		snprintf(msg, sizeof msg,
			 "%s: catalog: the sheet of node …%s is edition 1, "
			 "older than edition 2 this node has; it was not "
			 "taken in",
			 file("old.cdsa"), hex + 24);
		assert_string_equal(cdsync_errmsg(nat), msg);
	}
	/* another sheet with the same edition number: refused whole */
	{
		char hex[33];

		nd = stored_sheet(nat, dis, disb, sizeof disb);
		assert_int_equal(cds_sheet_read(disb, nd, &sheet, err,
						sizeof err),
				 0);
		snprintf(sheet.e[sheet.count - 1].name,
			 sizeof sheet.e[0].name, "%s", "lý do khác");
		cds_buf_init(&b, 1 << 20);
		cds_sheet_write(&b, &sheet, dis->sign_sk);
		cds_sheet_free(&sheet);
		s[1] = b.p;
		len[1] = b.n;
		write_catalog(file("twin.cdsa"), s, len, 2);
		cds_buf_free(&b);
		assert_int_equal(cdsync_catalog_import(nat, file("twin.cdsa"),
						       NULL),
				 CDSYNC_EFORK);
		cds_id_hex(dis->node_id, hex);
		snprintf(msg, sizeof msg, "catalog: two different sheets of "
					  "node …%s carry edition 2",
			 hex + 24);
		assert_string_equal(cdsync_errmsg(nat), msg);
	}
	/* nothing older came back: the revocation stands */
	{
		cdsync_cat_entry e;

		assert_int_equal(cdsync_catalog_at(nat, 2, &e), CDSYNC_OK);
		assert_string_equal(e.org, "HG-VX-TH-LUNGCU");
		assert_true(e.revoked_from != 0);
		assert_string_equal(e.reason, "thử thu hồi");
	}
}

static void
test_revoked_and_expired_keys_are_refused(void **state)
{
	size_t sealed, written, n = 0;
	long before;
	char fpr[20];
	const char *msg;

	(void)state;
	/* the school's key was revoked in the previous test */
	before = tu_count(dis, "SELECT count(*) FROM activity");
	activity(sch, "Hội thao sau khi mất máy");
	assert_int_equal(cdsync_export(sch, dir, &sealed, &written), 0);
	assert_int_equal(cdsync_import_file(dis, newest(dir, "LUNGCU"), &n),
			 CDSYNC_EREVOKED);
	msg = cdsync_errmsg(dis);
	assert_non_null(strstr(msg, "which was revoked on "));
	assert_non_null(strstr(msg, "; bundles that arrive after that are "
				    "refused"));
	assert_int_equal(tu_count(dis, "SELECT count(*) FROM activity"),
			 before);
	/* an enrolment of one day, two days later */
	{
		cdsync *sch2 = node(CDSYNC_ROLE_SCHOOL, "HG-VX-THCS-THANHTHUY",
				    "Trường THCS Thanh Thủy", "HG-VX");

		assert_int_equal(cdsync_enrol_request(sch2, file("s2.req")),
				 0);
		assert_int_equal(cdsync_fingerprint(sch2, fpr), 0);
		assert_int_equal(cdsync_enrol_approve(dis, file("s2.req"),
						      fpr, 1,
						      file("s2.cdsa")),
				 CDSYNC_OK);
		assert_int_equal(cdsync_catalog_import(sch2, file("s2.cdsa"),
						       root_fpr),
				 CDSYNC_OK);
		activity(sch2, "Thăm hỏi");
		assert_int_equal(cdsync_export(sch2, dir, &sealed, &written),
				 0);
		fake_now = cds_wall_ms() + 2 * 86400000ull;
		cds_wall_hook = fakeclock;
		assert_int_equal(cdsync_import_file(dis,
						    newest(dir, "THANHTHUY"),
						    &n),
				 CDSYNC_EREVOKED);
		cds_wall_hook = NULL;
		assert_non_null(strstr(cdsync_errmsg(dis),
				       "ended on "));
		assert_non_null(strstr(cdsync_errmsg(dis),
				       "; its parent must enrol it again"));
		assert_int_equal(tu_count(dis, "SELECT count(*) FROM "
					       "activity"),
				 before);
		/* within its time it is taken */
		assert_int_equal(cdsync_import_file(dis,
						    newest(dir, "THANHTHUY"),
						    &n),
				 CDSYNC_OK);
		cdsync_close(sch2);
	}
}

static void
test_a_change_outside_the_signers_union_refuses_the_bundle(void **state)
{
	cdsync *s3 = node(CDSYNC_ROLE_SCHOOL, "HG-VX-MN-HOASEN",
			  "Trường Mầm non Hoa Sen", "HG-VX");
	uint8_t other[16];
	size_t sealed, written, n = 0;
	char fpr[20], hex[33], msg[512];
	sqlite3_stmt *st;
	long before, held;

	(void)state;
	assert_int_equal(cdsync_enrol_request(s3, file("s3.req")), 0);
	assert_int_equal(cdsync_fingerprint(s3, fpr), 0);
	assert_int_equal(cdsync_enrol_approve(dis, file("s3.req"), fpr, 0,
					      file("s3.cdsa")),
			 CDSYNC_OK);
	assert_int_equal(cdsync_catalog_import(s3, file("s3.cdsa"), root_fpr),
			 CDSYNC_OK);
	activity(s3, "Hoạt động của trường khác");
	/* the school's store is tampered with: the activity claims to be
	 * the district's (another union) */
	cds_id_name("cdsync.org.v1", "HG-VX", other);
	{
		uint8_t vals[1024], *at;
		size_t vn;
		int64_t seq;

		assert_int_equal(sqlite3_prepare_v2(s3->db,
						    "SELECT seq, vals FROM "
						    "sync_change WHERE tbl = 5",
						    -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		seq = sqlite3_column_int64(st, 0);
		vn = (size_t)sqlite3_column_bytes(st, 1);
		assert_true(vn <= sizeof vals);
		memcpy(vals, sqlite3_column_blob(st, 1), vn);
		sqlite3_finalize(st);
		at = memmem(vals, vn, s3->org_id, 16);
		assert_non_null(at);
		memcpy(at, other, 16);
		assert_int_equal(sqlite3_prepare_v2(s3->db,
						    "UPDATE sync_change SET "
						    "vals = ?1 WHERE seq = ?2",
						    -1, &st, NULL),
				 SQLITE_OK);
		sqlite3_bind_blob(st, 1, vals, (int)vn, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, seq);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	assert_int_equal(cdsync_export(s3, dir, &sealed, &written), 0);
	before = tu_count(dis, "SELECT count(*) FROM sync_change");
	held = tu_count(dis, "SELECT count(*) FROM sync_bundle_in");
	assert_int_equal(cdsync_import_file(dis, newest(dir, "HOASEN"), &n),
			 CDSYNC_ESCOPE);
	{
		char rowhex[33];
		uint8_t row[16];

		assert_int_equal(sqlite3_prepare_v2(s3->db,
						    "SELECT rid FROM "
						    "sync_change WHERE tbl = 5",
						    -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		memcpy(row, sqlite3_column_blob(st, 0), 16);
		sqlite3_finalize(st);
		cds_id_hex(row, rowhex);
		(void)hex;
		snprintf(msg, sizeof msg,
			 "%s: change 2 (activity …%s) writes a row of union "
			 "HG-VX, but HG-VX-MN-HOASEN may only write its own "
			 "union's rows; nothing of this bundle was merged",
			 newest(dir, "HOASEN"), rowhex + 24);
	}
	assert_string_equal(cdsync_errmsg(dis), msg);
	assert_int_equal(tu_count(dis, "SELECT count(*) FROM sync_change"),
			 before);
	assert_int_equal(tu_count(dis, "SELECT count(*) FROM sync_bundle_in"),
			 held);
	cdsync_close(s3);
}


/* Copies a closed store file. */
static void
copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	char buf[65536];
	size_t n;

	assert_non_null(a);
	assert_non_null(b);
	while ((n = fread(buf, 1, sizeof buf, a)) > 0)
		assert_int_equal(fwrite(buf, 1, n, b), n);
	fclose(a);
	assert_int_equal(fclose(b), 0);
}

static const char *
sub(const char *name)
{
	static char p[4][700];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	mkdir(p[k], 0700);
	return p[k];
}

static void
test_a_rotated_key_keeps_the_chain_and_old_bundles_count(void **state)
{
	char p4[600], bak[600], ho[800], bad[800], b1[1024], b2[1024];
	char msg[1200], fpr0[20], fpr1[20], cat[800];
	const char *d4 = sub("s4"), *d5 = sub("s4-old"), *d6 = sub("dis-up");
	cdsync *s4 = NULL, *old = NULL;
	cdsync_bundle_info bi;
	size_t sealed, written, n = 0;
	uint8_t *bytes;
	long len;
	FILE *f;

	(void)state;
	snprintf(p4, sizeof p4, "%s/s4.db", dir);
	snprintf(bak, sizeof bak, "%s/s4-backup.db", dir);
	assert_int_equal(cdsync_open(p4, CDSYNC_OPEN_CREATE, &s4), CDSYNC_OK);
	assert_int_equal(cdsync_node_init(s4, CDSYNC_ROLE_SCHOOL,
					  "HG-VX-TH-NAMHA",
					  "Trường Tiểu học Nấm Hả", "HG-VX"),
			 CDSYNC_OK);
	enrol(s4, dis, "s4.req", "s4.cdsa");
	activity(s4, "Trước khi đổi khoá");
	assert_int_equal(cdsync_export(s4, d4, &sealed, &written), 0);
	snprintf(b1, sizeof b1, "%s", newest(d4, "NAMHA"));
	/* a backup with the old key in it */
	cdsync_close(s4);
	copy_file(p4, bak);
	assert_int_equal(cdsync_open(p4, 0, &s4), CDSYNC_OK);
	assert_int_equal(cdsync_fingerprint(s4, fpr0), CDSYNC_OK);
	assert_int_equal(cdsync_keys_rotate(s4), CDSYNC_OK);
	assert_int_equal(cdsync_fingerprint(s4, fpr1), CDSYNC_OK);
	assert_string_not_equal(fpr0, fpr1);
	/* a second rotation waits until the parent certified the first */
	assert_int_equal(cdsync_keys_rotate(s4), CDSYNC_EREVOKED);
	activity(s4, "Sau khi đổi khoá");
	assert_int_equal(cdsync_export(s4, d4, &sealed, &written), 0);
	assert_int_equal(sealed, 1);
	snprintf(b2, sizeof b2, "%s", newest(d4, "NAMHA"));
	assert_non_null(strstr(b2, "-000002.cdsb"));
	snprintf(ho, sizeof ho, "%s/handover-HG-VX-TH-NAMHA-000002.cdsh", d4);
	/* before the parent has the hand-over, the new key is unknown */
	assert_int_equal(cdsync_import_file(dis, b1, &n), CDSYNC_OK);
	assert_int_equal(cdsync_import_file(dis, b2, &n), CDSYNC_EUNKNOWNKEY);
	assert_non_null(strstr(cdsync_errmsg(dis), "signed with a key that "
				"is not the one known for node "
				"HG-VX-TH-NAMHA"));
	/* a hand-over with a bit flipped in the new key is refused */
	f = fopen(ho, "rb");
	assert_non_null(f);
	bytes = malloc(4096);
	len = (long)fread(bytes, 1, 4096, f);
	fclose(f);
	assert_int_equal(len, 197);
	bytes[60] ^= 1;
	snprintf(bad, sizeof bad, "%s/bad.cdsh", dir);
	tu_write(bad, bytes, (size_t)len);
	free(bytes);
	assert_int_equal(cdsync_handover_import(dis, bad), CDSYNC_EBADSIG);
	snprintf(msg, sizeof msg, "%s: hand-over offset 133: the signature "
		 "does not verify", bad);
	assert_string_equal(cdsync_errmsg(dis), msg);
	/* only the parent takes it */
	assert_int_equal(cdsync_handover_import(nat, ho), CDSYNC_ESCOPE);
	assert_non_null(strstr(cdsync_errmsg(nat), "is not a child of this "
				"node (VN) with that key; its parent takes "
				"its hand-over"));
	assert_int_equal(cdsync_handover_import(dis, ho), CDSYNC_OK);
	assert_int_equal(cdsync_handover_import(dis, ho), CDSYNC_EREPLAY);
	assert_int_equal(cdsync_import_file(dis, b2, &n), CDSYNC_OK);
	assert_int_equal(n, 1);
	/* the old key signs nothing from bundle 2 on: the backup tries */
	assert_int_equal(cdsync_open(bak, 0, &old), CDSYNC_OK);
	activity(old, "Từ bản sao lưu cũ");
	assert_int_equal(cdsync_export(old, d5, &sealed, &written), 0);
	assert_int_equal(cdsync_import_file(dis, newest(d5, "NAMHA"), &n),
			 CDSYNC_EREVOKED);
	assert_non_null(strstr(cdsync_errmsg(dis), "bundle 2 of node "
				"HG-VX-TH-NAMHA"));
	assert_non_null(strstr(cdsync_errmsg(dis), "is signed with a key it "
				"handed over from bundle 2 on"));
	cdsync_close(old);
	/* the national hub learns the new key from the district's sheet;
	 * the bundle signed with the old key still verifies */
	assert_int_equal(cdsync_export(dis, d6, &sealed, &written), 0);
	snprintf(cat, sizeof cat, "%s/catalog-HG-VX.cdsa", d6);
	if (cdsync_catalog_import(nat, cat, NULL) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(nat));
	assert_int_equal(cdsync_import_file(nat, b1, &n), CDSYNC_OK);
	assert_int_equal(cdsync_import_file(nat, b2, &n), CDSYNC_OK);
	assert_int_equal(cdsync_bundle_read(nat, b1, &bi, NULL, NULL), 0);
	assert_true(bi.signature_ok && bi.sender_known && bi.readable);
	assert_int_equal(cdsync_bundle_read(nat, b2, &bi, NULL, NULL), 0);
	assert_true(bi.signature_ok && bi.sender_known && bi.readable);
	/* the school takes its parent's new sheet: rotating again works */
	if (cdsync_catalog_import(s4, cat, NULL) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(s4));
	assert_int_equal(cdsync_keys_rotate(s4), CDSYNC_OK);
	/* the national root does not rotate by hand-over */
	assert_int_equal(cdsync_keys_rotate(nat), CDSYNC_EINVAL);
	cdsync_close(s4);
}

static void
test_a_handover_signed_by_a_revoked_key_is_refused(void **state)
{
	cdsync *s6 = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-PHINGLUONG",
			  "Trường Tiểu học Phìn Lường", "HG-VX");
	const char *d7 = sub("s6");
	char ho[800], msg[1200];
	size_t sealed, written;
	long editions;

	(void)state;
	enrol(s6, dis, "s6.req", "s6.cdsa");
	/* the laptop is lost; whoever has it rotates the key before the
	 * school hears of the revocation */
	assert_int_equal(cdsync_enrol_revoke(dis, "HG-VX-TH-PHINGLUONG",
					     "mất máy"),
			 CDSYNC_OK);
	assert_int_equal(cdsync_keys_rotate(s6), CDSYNC_OK);
	assert_int_equal(cdsync_export(s6, d7, &sealed, &written), 0);
	snprintf(ho, sizeof ho, "%s/handover-HG-VX-TH-PHINGLUONG-000001.cdsh",
		 d7);
	editions = tu_count(dis, "SELECT sum(serial) FROM trust_sheet");
	assert_int_equal(cdsync_handover_import(dis, ho), CDSYNC_EREVOKED);
	snprintf(msg, sizeof msg, "%s: the key of HG-VX-TH-PHINGLUONG that "
		 "signed this hand-over is revoked", ho);
	assert_string_equal(cdsync_errmsg(dis), msg);
	assert_int_equal(tu_count(dis, "SELECT sum(serial) FROM trust_sheet"),
			 editions);
	cdsync_close(s6);
}

static void
test_a_bundle_logged_before_a_revocation_counts_by_its_hubs_voucher(
	void **state)
{
	cdsync *s7 = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-THANGMO",
			  "Trường Tiểu học Thàng Mò", "HG-VX");
	const char *d8 = sub("s7"), *d9 = sub("dis-up-2");
	char b[1024], cat[800], rcpt[1024];
	size_t sealed, written, n = 0;
	long before;

	(void)state;
	enrol(s7, dis, "s7.req", "s7.cdsa");
	activity(s7, "Thăm hỏi đoàn viên ốm");
	assert_int_equal(cdsync_export(s7, d8, &sealed, &written), 0);
	snprintf(b, sizeof b, "%s", newest(d8, "THANGMO"));
	/* the district logs it, then (a second later) revokes the school */
	assert_int_equal(cdsync_import_file(dis, b, &n), CDSYNC_OK);
	fake_now = cds_wall_ms() + 1000;
	cds_wall_hook = fakeclock;
	assert_int_equal(cdsync_enrol_revoke(dis, "HG-VX-TH-THANGMO",
					     "mất máy"),
			 CDSYNC_OK);
	assert_int_equal(cdsync_export(dis, d9, &sealed, &written), 0);
	/* the national hub hears of the revocation, and gets the bundle
	 * after it */
	fake_now += 1000;
	snprintf(cat, sizeof cat, "%s/catalog-HG-VX.cdsa", d9);
	if (cdsync_catalog_import(nat, cat, NULL) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(nat));
	before = tu_count(nat, "SELECT count(*) FROM activity");
	assert_int_equal(cdsync_import_file(nat, b, &n), CDSYNC_EREVOKED);
	assert_non_null(strstr(cdsync_errmsg(nat), "which was revoked on "));
	assert_int_equal(tu_count(nat, "SELECT count(*) FROM activity"),
			 before);
	/* the district's receipt vouches that it logged it before */
	snprintf(rcpt, sizeof rcpt, "%s", last_file(d9, ".cdsr", "THANGMO"));
	assert_int_equal(cdsync_receipt_import(nat, rcpt), CDSYNC_OK);
	assert_non_null(strstr(cdsync_errmsg(nat), "kept as the voucher of "
				"HG-VX: it first saw bundle 1 of "
				"HG-VX-TH-THANGMO on "));
	assert_int_equal(cdsync_receipt_import(nat, rcpt), CDSYNC_EREPLAY);
	assert_int_equal(cdsync_import_file(nat, b, &n), CDSYNC_OK);
	assert_int_equal(tu_count(nat, "SELECT count(*) FROM activity"),
			 before + 1);
	/* a voucher does not help a bundle the hub saw after it: the school
	 * records again and its next bundle is refused at both */
	activity(s7, "Ghi sau khi bị thu hồi");
	assert_int_equal(cdsync_export(s7, d8, &sealed, &written), 0);
	assert_int_equal(cdsync_import_file(dis, newest(d8, "THANGMO"), &n),
			 CDSYNC_EREVOKED);
	cds_wall_hook = NULL;
	cdsync_close(s7);
}

/* A catalog as bytes is the file cdsync_catalog_export writes, and taken
 * in as bytes it is checked as a file is; a first catalog only comes with
 * its root fingerprint. */
static void
test_a_catalog_travels_as_bytes_as_it_does_as_a_file(void **state)
{
	cdsync *fresh = node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-MOI",
			     "Trường mới", "HG-VX");
	static uint8_t buf[1 << 16];
	cdsync_cat_entry e;
	uint8_t *bytes = NULL;
	size_t len = 0, n;
	FILE *f;

	(void)state;
	assert_int_equal(cdsync_catalog_bytes(dis, &bytes, &len), CDSYNC_OK);
	assert_int_equal(cdsync_catalog_export(dis, file("bytes.cdsa")),
			 CDSYNC_OK);
	f = fopen(file("bytes.cdsa"), "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_int_equal(n, len);
	assert_memory_equal(buf, bytes, len);
	/* the national hub has it all: nothing new, no fault */
	assert_int_equal(cdsync_catalog_take(nat, bytes, len), CDSYNC_OK);
	/* damaged bytes are refused as a damaged file is */
	bytes[len / 2] ^= 1;
	assert_int_not_equal(cdsync_catalog_take(nat, bytes, len), CDSYNC_OK);
	bytes[len / 2] ^= 1;
	/* a node's first catalog needs the root fingerprint */
	assert_int_equal(cdsync_catalog_take(fresh, bytes, len),
			 CDSYNC_ENOTFOUND);
	assert_string_equal(cdsync_errmsg(fresh),
			    "this node has no catalog yet; its first one comes "
			    "with 'cdsync catalog import --root-fingerprint'");
	assert_int_equal(cdsync_catalog_at(fresh, 0, &e), CDSYNC_ENOTFOUND);
	cdsync_free(bytes);
	cdsync_close(fresh);
}

/* cdsync_catalog_at keeps the checked catalog between calls: an approval
 * through another handle on the same store, or through this one, is
 * seen at the next call. */
static void
test_the_catalog_read_sees_every_approval(void **state)
{
	char path[600], fpr[20];
	cdsync *a = NULL, *b = NULL, *h1, *h2;

	(void)state;
	snprintf(path, sizeof path, "%s", tu_path(tu_tmpdir(), "vn.db"));
	assert_int_equal(cdsync_open(path, CDSYNC_OPEN_CREATE, &a), CDSYNC_OK);
	assert_int_equal(cdsync_node_init(a, CDSYNC_ROLE_NATIONAL, "VN", "VN",
					  NULL),
			 CDSYNC_OK);
	assert_int_equal(cdsync_open(path, 0, &b), CDSYNC_OK);
	assert_int_equal(entries(a), 1);
	h1 = node(CDSYNC_ROLE_HUB, "HG-VX", "Vị Xuyên", "VN");
	h2 = node(CDSYNC_ROLE_HUB, "HG-YM", "Yên Minh", "VN");
	/* by the other handle */
	assert_int_equal(cdsync_enrol_request(h1, file("h1.req")), CDSYNC_OK);
	assert_int_equal(cdsync_fingerprint(h1, fpr), CDSYNC_OK);
	assert_int_equal(cdsync_enrol_approve(b, file("h1.req"), fpr, 0,
					      file("h1.cat")),
			 CDSYNC_OK);
	assert_int_equal(entries(a), 2);
	/* by this one */
	assert_int_equal(cdsync_enrol_request(h2, file("h2.req")), CDSYNC_OK);
	assert_int_equal(cdsync_fingerprint(h2, fpr), CDSYNC_OK);
	assert_int_equal(cdsync_enrol_approve(a, file("h2.req"), fpr, 0,
					      file("h2.cat")),
			 CDSYNC_OK);
	assert_int_equal(entries(a), 3);
	assert_int_equal(entries(b), 3);
	cdsync_close(h1);
	cdsync_close(h2);
	cdsync_close(b);
	cdsync_close(a);
}

/* A sheet taken in writes the peers it speaks of, not the whole
 * catalog: at the national hub a district's new edition (revoking one of
 * its schools) writes that school's row alone, and the revocation holds;
 * the other district's school is not touched.  A recount's scratch store
 * gets the sheets of one district's tree, not all of them. */
static void
test_a_sheet_taken_in_writes_only_its_own_peers(void **state)
{
	cdsync *v, *h1, *h2, *s1, *s2;
	char fpr[20];
	cdsync_cat_entry e;

	(void)state;
	v = node(CDSYNC_ROLE_NATIONAL, "VN", "VN", NULL);
	assert_int_equal(cdsync_catalog_at(v, 0, &e), CDSYNC_OK);
	snprintf(fpr, sizeof fpr, "%s", e.fingerprint);
	h1 = node(CDSYNC_ROLE_HUB, "H1", "H1", "VN");
	h2 = node(CDSYNC_ROLE_HUB, "H2", "H2", "VN");
	s1 = node(CDSYNC_ROLE_SCHOOL, "H1-S1", "S1", "H1");
	s2 = node(CDSYNC_ROLE_SCHOOL, "H2-S2", "S2", "H2");
	tu_enrol(h1, v, fpr);
	tu_enrol(h2, v, fpr);
	tu_enrol(s1, h1, fpr);
	tu_enrol(s2, h2, fpr);
	assert_int_equal(cdsync_catalog_export(h1, file("h1.cdsa")), 0);
	assert_int_equal(cdsync_catalog_export(h2, file("h2.cdsa")), 0);
	assert_int_equal(cdsync_catalog_import(v, file("h1.cdsa"), NULL), 0);
	assert_int_equal(cdsync_catalog_import(v, file("h2.cdsa"), NULL), 0);
	assert_int_equal(tu_count(v, "SELECT count(*) FROM sync_peer WHERE "
				     "org_code IN ('H1-S1', 'H2-S2') AND "
				     "revoked_from IS NULL"),
			 2);
	assert_int_equal(sqlite3_exec(v->db,
				      "CREATE TEMP TABLE w (code TEXT); "
				      "CREATE TEMP TRIGGER wu AFTER UPDATE ON "
				      "main.sync_peer BEGIN INSERT INTO w "
				      "VALUES (new.org_code); END; "
				      "CREATE TEMP TRIGGER wi AFTER INSERT ON "
				      "main.sync_peer BEGIN INSERT INTO w "
				      "VALUES (new.org_code); END;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	if (cdsync_enrol_revoke(h1, "H1-S1", "the laptop was stolen") !=
	    CDSYNC_OK)
		fail_msg("revoke: %s", cdsync_errmsg(h1));
	assert_int_equal(cdsync_catalog_export(h1, file("h1b.cdsa")), 0);
	if (cdsync_catalog_import(v, file("h1b.cdsa"), NULL) != CDSYNC_OK)
		fail_msg("import: %s", cdsync_errmsg(v));
	assert_int_equal(tu_count(v, "SELECT count(*) FROM w WHERE code IS "
				     "NOT 'H1-S1'"),
			 0);
	assert_true(tu_count(v, "SELECT count(*) FROM w") >= 1);
	assert_int_equal(tu_count(v, "SELECT count(*) FROM sync_peer WHERE "
				     "org_code = 'H1-S1' AND revoked_from IS "
				     "NOT NULL"),
			 1);
	assert_int_equal(tu_count(v, "SELECT count(*) FROM sync_peer WHERE "
				     "org_code = 'H2-S2' AND revoked_from IS "
				     "NULL"),
			 1);
	/* a recount of H1 takes the sheets of its tree: the root's, which
	 * certifies H1, and H1's, which certifies its school; not H2's */
	{
		cdsync *sc = NULL;
		uint8_t unit[1][16];

		assert_int_equal(cdsync_open("", CDSYNC_OPEN_CREATE, &sc), 0);
		cds_id_name("cdsync.org.v1", "H1", unit[0]);
		assert_int_equal(cds_catalog_copy_some(
					 v, sc, (const uint8_t(*)[16])unit, 1,
					 NULL, 0, NULL, NULL, 0),
				 CDSYNC_OK);
		assert_int_equal(tu_count(sc, "SELECT count(*) FROM "
					      "trust_sheet"),
				 2);
		assert_int_equal(tu_count(sc, "SELECT count(*) FROM trust_sheet "
					      "WHERE instr(bytes, 'H1-S1') > 0"),
				 1);
		assert_int_equal(tu_count(sc, "SELECT count(*) FROM trust_sheet "
					      "WHERE instr(bytes, 'H2-S2') > 0"),
				 0);
		cdsync_close(sc);
	}
	cdsync_close(s2);
	cdsync_close(s1);
	cdsync_close(h2);
	cdsync_close(h1);
	cdsync_close(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_tree_is_built_on_enrolment_alone),
		cmocka_unit_test(test_the_catalog_read_sees_every_approval),
		cmocka_unit_test(test_a_sheet_taken_in_writes_only_its_own_peers),
		cmocka_unit_test(test_forged_old_and_overreaching_catalogs_are_refused),
		cmocka_unit_test(test_revoked_and_expired_keys_are_refused),
		cmocka_unit_test(test_a_change_outside_the_signers_union_refuses_the_bundle),
		cmocka_unit_test(test_a_rotated_key_keeps_the_chain_and_old_bundles_count),
		cmocka_unit_test(test_a_handover_signed_by_a_revoked_key_is_refused),
		cmocka_unit_test(test_a_bundle_logged_before_a_revocation_counts_by_its_hubs_voucher),
		cmocka_unit_test(test_a_catalog_travels_as_bytes_as_it_does_as_a_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
