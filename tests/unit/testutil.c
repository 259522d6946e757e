/* testutil.c -- see testutil.h. */
#include "testutil.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "catalog.h"
#include "id.h"
#include "store.h"
#include "text.h"

static char dirs[512][256];
static int ndirs;

const char *
tu_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	if (ndirs == 512)
		abort();
	snprintf(dirs[ndirs], sizeof dirs[0], "%s/cdsync-test-XXXXXX",
		 t && *t ? t : "/tmp");
	if (mkdtemp(dirs[ndirs]) == NULL)
		abort();
	return dirs[ndirs++];
}

void
tu_cleanup(void)
{
	char cmd[300];

	while (ndirs > 0) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dirs[--ndirs]);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dirs[ndirs]);
	}
}

const char *
tu_path(const char *dir, const char *name)
{
	static char p[512];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

cdsync *
tu_store(void)
{
	cdsync *db = NULL;

	if (cdsync_open(tu_path(tu_tmpdir(), "store.db"), CDSYNC_OPEN_CREATE,
			&db) != CDSYNC_OK ||
	    cdsync_node_init(db, CDSYNC_ROLE_SCHOOL, "TEST-SCHOOL",
			     "Trường Tiểu học Thử nghiệm", "TEST-DISTRICT") !=
		    CDSYNC_OK) {
		fprintf(stderr, "tu_store: %s\n", cdsync_errmsg(db));
		abort();
	}
	return db;
}

void
tu_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

long
tu_count(cdsync *db, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

const char *
tu_srcdir(void)
{
	const char *s = getenv("CDSYNC_SOURCE_DIR");

	return s && *s ? s : ".";
}

void
tu_schema(sqlite3 *db, const char *file)
{
	char path[4096], *sql = NULL, *msg = NULL;
	long n = -1;
	FILE *f;

	snprintf(path, sizeof path, "%s/schema/%s", tu_srcdir(), file);
	if ((f = fopen(path, "rb")) != NULL && fseek(f, 0, SEEK_END) == 0 &&
	    (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (sql = malloc((size_t)n + 1)) != NULL &&
	    fread(sql, 1, (size_t)n, f) == (size_t)n) {
		sql[n] = '\0';
		if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			fprintf(stderr, "%s: %s\n", path,
				msg ? msg : sqlite3_errmsg(db));
			abort();
		}
	} else {
		fprintf(stderr, "cannot read %s (set CDSYNC_SOURCE_DIR)\n",
			path);
		abort();
	}
	fclose(f);
	free(sql);
}

cdsync *
tu_node(cdsync_role role, const char *code, const char *parent)
{
	cdsync *db = NULL;

	if (cdsync_open(tu_path(tu_tmpdir(), "store.db"), CDSYNC_OPEN_CREATE,
			&db) != CDSYNC_OK ||
	    cdsync_node_init(db, role, code, code, parent) != CDSYNC_OK) {
		fprintf(stderr, "tu_node %s: %s\n", code, cdsync_errmsg(db));
		abort();
	}
	return db;
}

void
tu_enrol(cdsync *child, cdsync *parent, const char *root_fpr)
{
	char req[600], cat[600], fpr[20];
	const char *d = tu_tmpdir();

	snprintf(req, sizeof req, "%s/req", d);
	snprintf(cat, sizeof cat, "%s/cat", d);
	if (cdsync_enrol_request(child, req) != CDSYNC_OK ||
	    cdsync_fingerprint(child, fpr) != CDSYNC_OK ||
	    cdsync_enrol_approve(parent, req, fpr, 0, cat) != CDSYNC_OK ||
	    cdsync_catalog_import(child, cat, root_fpr) != CDSYNC_OK) {
		fprintf(stderr, "tu_enrol: %s / %s\n", cdsync_errmsg(child),
			cdsync_errmsg(parent));
		abort();
	}
}

void
tu_carry(cdsync *from, cdsync *to, const char *catalog)
{
	const char *d = tu_tmpdir();
	size_t sealed, written, changes, i;
	cdsync_outbox_item it;
	char path[700];
	int rc;

	if (cdsync_export(from, d, &sealed, &written) != CDSYNC_OK) {
		fprintf(stderr, "export: %s\n", cdsync_errmsg(from));
		abort();
	}
	if (catalog != NULL) {
		snprintf(path, sizeof path, "%s/%s", d, catalog);
		rc = cdsync_catalog_import(to, path, NULL);
		if (rc != CDSYNC_OK && rc != CDSYNC_EROLLBACK) {
			fprintf(stderr, "catalog: %s\n", cdsync_errmsg(to));
			abort();
		}
	}
	for (i = 0; cdsync_outbox_at(from, i, &it) == CDSYNC_OK; i++) {
		snprintf(path, sizeof path, "%s/%s", d, it.name);
		rc = cdsync_import_file(to, path, &changes);
		if (rc != CDSYNC_OK && rc != CDSYNC_EREPLAY) {
			fprintf(stderr, "import %s: %s\n", it.name,
				cdsync_errmsg(to));
			abort();
		}
	}
}

void
tu_sheet(sqlite3 *db, const char *issuer, uint64_t serial,
	 const struct tu_entry *e, size_t n)
{
	uint8_t pk[32], sk[64];
	struct cds_sheet s;
	sqlite3_stmt *st = NULL;
	cds_buf b;
	size_t i;
	int y, m, d;

	crypto_sign_keypair(pk, sk);
	memset(&s, 0, sizeof s);
	cds_id_name("cdsync.org.v1", issuer, s.issuer);
	memcpy(s.issuer_pk, pk, 32);
	s.serial = serial;
	s.issued_ms = 1750000000000u;
	s.count = n;
	if ((s.e = calloc(n ? n : 1, sizeof *s.e)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (sscanf(e[i].from, "%4d-%2d-%2d", &y, &m, &d) != 3)
			abort();
		s.e[i].type = CDS_ENTRY_NODE;
		cds_id_name("cdsync.node.test", e[i].code, s.e[i].node);
		s.e[i].role = (uint8_t)e[i].role;
		randombytes_buf(s.e[i].sign_pk, 32);
		randombytes_buf(s.e[i].box_pk, 32);
		s.e[i].from_ms = ((uint64_t)cds_date_days(y, m, d) * 86400 +
				  43200) * 1000u;	/* noon */
		snprintf(s.e[i].org_code, sizeof s.e[i].org_code, "%s",
			 e[i].code);
		snprintf(s.e[i].name, sizeof s.e[i].name, "%s",
			 e[i].name ? e[i].name : e[i].code);
		snprintf(s.e[i].parent_code, sizeof s.e[i].parent_code, "%s",
			 e[i].parent);
	}
	cds_buf_init(&b, 1u << 20);
	cds_sheet_write(&b, &s, sk);
	if (b.rc != 0 ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO trust_sheet "
				   "(issuer, serial, bytes) VALUES (?1, ?2, ?3)",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "tu_sheet %s: %s\n", issuer, sqlite3_errmsg(db));
		abort();
	}
	sqlite3_bind_blob(st, 1, s.issuer, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)serial);
	sqlite3_bind_blob(st, 3, b.p, (int)b.n, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "tu_sheet %s: %s\n", issuer, sqlite3_errmsg(db));
		abort();
	}
	sqlite3_finalize(st);
	cds_buf_free(&b);
	free(s.e);
}
