/* audit_test.c -- cdsync_audit_dir on a folder a district hub exported
 * with the national catalog beside it, and on the district's audit pack
 * (cdsync_audit_pack): everything holds, and the summary counts what was
 * checked; one byte of a bundle changed is one failure
 * naming the file; a folder without the root of the fingerprint given, no
 * folder, and missing arguments are refused with their reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>

#include "testutil.h"

static char seen[8][512];
static size_t nseen;

static void
collect(void *ctx, const cdsync_audit_item *it)
{
	(void)ctx;
	if (nseen < 8)
		snprintf(seen[nseen], sizeof seen[nseen], "%s|%s|%s", it->what,
			 it->file, it->reason);
	nseen++;
}

static void
activity(cdsync *db, const char *day)
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "held_on", day), 0);
	assert_int_equal(cdsync_rec_set(r, "title", "Thăm hỏi"), 0);
	assert_int_equal(cdsync_rec_set(r, "kind", "care"), 0);
	assert_int_equal(cdsync_insert(db, r), CDSYNC_OK);
	cdsync_rec_free(r);
}

/* The first file of dir whose name ends in ext, into out. */
static void
first(const char *dir, const char *ext, char *out, size_t n)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	assert_non_null(d);
	out[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > strlen(ext) &&
		    strcmp(e->d_name + l - strlen(ext), ext) == 0) {
			snprintf(out, n, "%s/%s", dir, e->d_name);
			break;
		}
	}
	closedir(d);
	assert_true(out[0] != '\0');
}

static void
test_a_district_export_is_audited(void **state)
{
	cdsync *nat, *dis, *sch, *aud;
	cdsync_cat_entry e;
	cdsync_audit_summary s;
	char root[20], err[512], path[1024], stick[600];
	const char *dir, *d2;
	size_t sealed, written, changes, i;
	cdsync_outbox_item it;
	uint8_t *p = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	nat = tu_node(CDSYNC_ROLE_NATIONAL, "VN", NULL);
	dis = tu_node(CDSYNC_ROLE_HUB, "HG-VX", "VN");
	sch = tu_node(CDSYNC_ROLE_SCHOOL, "HG-VX-TH-LUNGCU", "HG-VX");
	assert_int_equal(cdsync_catalog_at(nat, 0, &e), CDSYNC_OK);
	snprintf(root, sizeof root, "%s", e.fingerprint);
	/* the auditor first: every bundle sealed below is encrypted to it */
	aud = tu_node(CDSYNC_ROLE_AUDITOR, "KT-VN", "VN");
	tu_enrol(aud, nat, root);
	tu_enrol(dis, nat, root);
	tu_enrol(sch, dis, root);
	activity(sch, "2025-10-20");
	snprintf(stick, sizeof stick, "%s", tu_tmpdir());
	assert_int_equal(cdsync_export(sch, stick, &sealed, &written),
			 CDSYNC_OK);
	for (i = 0; cdsync_outbox_at(sch, i, &it) == CDSYNC_OK; i++) {
		snprintf(path, sizeof path, "%s/%s", stick, it.name);
		assert_int_equal(cdsync_import_file(dis, path, &changes),
				 CDSYNC_OK);
	}
	dir = tu_tmpdir();
	assert_int_equal(cdsync_seal(dis, &sealed), CDSYNC_OK);
	assert_int_equal(cdsync_snapshot_make(dis, NULL, &p, &n), CDSYNC_OK);
	cdsync_free(p);
	p = NULL;
	assert_int_equal(cdsync_export(dis, dir, &sealed, &written), CDSYNC_OK);
	snprintf(path, sizeof path, "%s/catalog-VN.cdsa", dir);
	assert_int_equal(cdsync_catalog_export(nat, path), CDSYNC_OK);

	nseen = 0;
	assert_int_equal(cdsync_audit_dir(dir, root, 0, NULL, collect, NULL, NULL, &s,
					  err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(s.failures, 0);
	assert_int_equal(nseen, 0);
	assert_int_equal(s.catalogs, 2);
	assert_int_equal(s.bundles, 2);	/* the school's and the district's */
	assert_int_equal(s.nodes, 2);
	assert_int_equal(s.receipts, 1);
	assert_int_equal(s.proofs, 1);
	assert_int_equal(s.hubs, 1);
	assert_int_equal(s.snapshots, 1);
	assert_int_equal(s.recounted, 0);	/* no auditor given */
	/* the auditor counts the district's figures again: the same */
	assert_int_equal(cdsync_audit_dir(dir, root, 0, aud, collect, NULL, NULL,
					  &s, err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(s.failures, 0);
	assert_int_equal(s.recounted, 1);
	assert_int_equal(s.unrecounted, 0);
	/* a district enrols no auditor */
	{
		cdsync *a2 = tu_node(CDSYNC_ROLE_AUDITOR, "KT-2", "HG-VX");
		char fpr[20], req[600], cat[600];

		snprintf(req, sizeof req, "%s/req", tu_tmpdir());
		snprintf(cat, sizeof cat, "%s/cat", tu_tmpdir());
		assert_int_equal(cdsync_enrol_request(a2, req), CDSYNC_OK);
		assert_int_equal(cdsync_fingerprint(a2, fpr), CDSYNC_OK);
		assert_int_equal(cdsync_enrol_approve(dis, req, fpr, 0, cat),
				 CDSYNC_ESCOPE);
		assert_non_null(strstr(cdsync_errmsg(dis), "an auditor is "
							   "enrolled by the "
							   "national union"));
		cdsync_close(a2);
	}

	/* the district's audit pack holds too; a school writes none */
	{
		const char *pk = tu_tmpdir();
		size_t files = 0;

		assert_int_equal(cdsync_audit_pack(dis, NULL, "2025-2026", pk,
						   &files),
				 CDSYNC_OK);
		assert_true(files > 8);
		assert_int_equal(cdsync_audit_dir(pk, root, 0, NULL, collect, NULL, NULL,
						  &s, err, sizeof err),
				 CDSYNC_OK);
		assert_int_equal(s.failures, 0);
		assert_int_equal(s.bundles, 2);
		assert_int_equal(cdsync_audit_pack(dis, "NO-SUCH-UNION", NULL,
						   pk, &files),
				 CDSYNC_ENOTFOUND);
		assert_int_equal(cdsync_audit_pack(sch, NULL, NULL, pk, &files),
				 CDSYNC_ESCOPE);
	}

	/* one byte of the school's bundle changed, in a copy */
	d2 = tu_tmpdir();
	first(dir, "000001.cdsb", path, sizeof path);
	assert_int_equal(cdsync_file_load(sch, path, 1 << 20, &p, &n),
			 CDSYNC_OK);
	p[n - 10] ^= 1;
	snprintf(path, sizeof path, "%s/HG-VX-TH-LUNGCU-x-000001.cdsb", d2);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
	cdsync_free(p);
	snprintf(path, sizeof path, "%s/catalog-VN.cdsa", d2);
	assert_int_equal(cdsync_catalog_export(nat, path), CDSYNC_OK);
	nseen = 0;
	assert_int_equal(cdsync_audit_dir(d2, root, 0, NULL, collect, NULL, NULL, &s,
					  err, sizeof err),
			 CDSYNC_OK);
	assert_int_equal(s.failures, 1);
	assert_non_null(strstr(seen[0], "bundle|HG-VX-TH-LUNGCU-x-000001.cdsb|"
					"its signature does not verify"));

	/* refusals */
	assert_int_equal(cdsync_audit_dir(dir, "AAAA-BBBB-CCCC-DDDD", 0, NULL, NULL, NULL,
					  NULL, &s, err, sizeof err),
			 CDSYNC_ENOTFOUND);
	assert_non_null(strstr(err, "no catalog holds the national root's "
				    "sheet with the fingerprint "
				    "AAAA-BBBB-CCCC-DDDD"));
	assert_int_equal(cdsync_audit_dir("/nonexistent/folder", root, 0, NULL, NULL,
					  NULL, NULL, &s, err, sizeof err),
			 CDSYNC_ENOTFOUND);
	assert_non_null(strstr(err, "cannot read the folder"));
	assert_int_equal(cdsync_audit_dir(NULL, root, 0, NULL, NULL, NULL, NULL, &s, err,
					  sizeof err),
			 CDSYNC_EINVAL);
	cdsync_close(nat);
	cdsync_close(dis);
	cdsync_close(sch);
	cdsync_close(aud);
	tu_cleanup();
}

/* A pack of a tree wider than the buffers it starts with: the subtree
 * walk grows its list of unions while it reads it (100 schools). */
static void
test_a_pack_of_a_wide_tree(void **state)
{
	cdsync *nat, *dis, *sch[100];
	cdsync_cat_entry e;
	char root[20], code[32], dir[600];
	size_t files = 0, i;

	(void)state;
	nat = tu_node(CDSYNC_ROLE_NATIONAL, "VN", NULL);
	assert_int_equal(cdsync_catalog_at(nat, 0, &e), CDSYNC_OK);
	snprintf(root, sizeof root, "%s", e.fingerprint);
	dis = tu_node(CDSYNC_ROLE_HUB, "HG-VX", "VN");
	tu_enrol(dis, nat, root);
	for (i = 0; i < 100; i++) {
		snprintf(code, sizeof code, "HG-VX-S%03zu", i);
		sch[i] = tu_node(CDSYNC_ROLE_SCHOOL, code, "HG-VX");
		tu_enrol(sch[i], dis, root);
	}
	tu_carry(dis, nat, "catalog-HG-VX.cdsa");
	snprintf(dir, sizeof dir, "%s/pack", tu_tmpdir());
	if (cdsync_audit_pack(nat, "VN", NULL, dir, &files) != CDSYNC_OK)
		fail_msg("pack: %s", cdsync_errmsg(nat));
	assert_true(files > 0);
	assert_int_equal(cdsync_audit_pack(nat, "HG-VX-S099", NULL, dir,
					   &files),
			 CDSYNC_OK);
	for (i = 0; i < 100; i++)
		cdsync_close(sch[i]);
	cdsync_close(dis);
	cdsync_close(nat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_district_export_is_audited),
		cmocka_unit_test(test_a_pack_of_a_wide_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
