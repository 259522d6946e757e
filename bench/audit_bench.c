/* audit_bench.c -- the offline audit of a hub's files, against the hub's
 * own ingest of the same bundles, in the same run.
 *
 * Setup (not timed): a national hub, an auditor it enrols first, a
 * district hub and U schools (default 300) under it, all enrolled through
 * files and the catalog, keys in the clear (no Argon2 in any figure).
 * Each school records C activities (default 300) in one transaction and
 * exports its bundles to a folder of its own.
 *
 *   ingest   the district takes every school's bundles in with
 *            cdsync_import_file (check, decrypt, scope, merge, log),
 *            school by school;
 *   (not timed: the district seals its own, makes its snapshot and
 *            exports everything, with the national catalog, to a folder)
 *   audit    cdsync_audit_dir on that folder without keys: signatures,
 *            chains, receipts with their inclusion proofs, snapshots,
 *            checkpoints;
 *   recount  the same at the auditor's node (its keys): also every
 *            snapshot's figures counted again from the bundles.
 *
 * Prints each phase's time and changes/s, and the ratios audit / ingest
 * and recount / ingest (goal <= 1.0: an auditor checks what a hub took in
 * no slower than the hub took it in).  Fails unless the audit finds
 * nothing and the recount recounted the snapshot.
 *
 * Usage: audit_bench [--schools U] [--activities C]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdsync/cdsync.h"

static char tmp[512];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(cdsync *db, const char *what)
{
	fprintf(stderr, "audit_bench: %s: %s\n", what,
		db ? cdsync_errmsg(db) : "");
	exit(1);
}

static cdsync *
node(cdsync_role role, const char *code, const char *parent)
{
	char path[700];
	cdsync *db = NULL;

	snprintf(path, sizeof path, "%s/%s.db", tmp, code);
	if (cdsync_open(path, CDSYNC_OPEN_CREATE, &db) != CDSYNC_OK ||
	    cdsync_node_init(db, role, code, code, parent) != CDSYNC_OK)
		die(db, code);
	return db;
}

static void
enrol(cdsync *child, cdsync *parent, const char *root)
{
	char req[700], cat[700], fpr[20];

	snprintf(req, sizeof req, "%s/req.cdsq", tmp);
	snprintf(cat, sizeof cat, "%s/cat.cdsa", tmp);
	if (cdsync_enrol_request(child, req) != CDSYNC_OK ||
	    cdsync_fingerprint(child, fpr) != CDSYNC_OK)
		die(child, "enrol request");
	if (cdsync_enrol_approve(parent, req, fpr, 0, cat) != CDSYNC_OK)
		die(parent, "enrol approve");
	if (cdsync_catalog_import(child, cat, root) != CDSYNC_OK)
		die(child, "catalog import");
}

static const char *const kinds[] = { "care", "culture", "health",
				     "training", "propaganda" };

static void
record(cdsync *db, unsigned c, unsigned seed)
{
	cdsync_rec *r = NULL;
	char day[16], title[64];
	unsigned i;

	if (cdsync_begin(db) != CDSYNC_OK)
		die(db, "begin");
	for (i = 0; i < c; i++) {
		snprintf(day, sizeof day, "2025-%02u-%02u", 9 + i % 4,
			 1 + (i * 7 + seed) % 28);
		snprintf(title, sizeof title, "Hoạt động %u", i);
		if (cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r) != CDSYNC_OK ||
		    cdsync_rec_set(r, "held_on", day) != CDSYNC_OK ||
		    cdsync_rec_set(r, "title", title) != CDSYNC_OK ||
		    cdsync_rec_set(r, "kind", kinds[(i + seed) % 5]) !=
			    CDSYNC_OK ||
		    cdsync_insert(db, r) != CDSYNC_OK)
			die(db, "activity");
		cdsync_rec_free(r);
		r = NULL;
	}
	if (cdsync_commit(db) != CDSYNC_OK)
		die(db, "commit");
}

static unsigned
arg(const char *s, unsigned lo, unsigned hi, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "audit_bench: %s must be %u to %u\n", what, lo,
			hi);
		exit(2);
	}
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	unsigned u = 300, c = 300, i;
	cdsync *nat, *aud, *dis, **sch;
	cdsync_cat_entry e;
	cdsync_audit_summary s;
	cdsync_outbox_item it;
	char root[20], dir[700], path[1200], code[64], err[1024];
	size_t sealed, written, changes, total = 0, nb = 0, k;
	uint8_t *snap = NULL;
	size_t sn = 0;
	double t0, ti, ta, tr;
	const char *t = getenv("TMPDIR");

	for (i = 1; i + 1 < (unsigned)argc; i += 2) {
		if (strcmp(argv[i], "--schools") == 0)
			u = arg(argv[i + 1], 1, 5000, "--schools");
		else if (strcmp(argv[i], "--activities") == 0)
			c = arg(argv[i + 1], 1, 100000, "--activities");
		else {
			fprintf(stderr, "usage: audit_bench [--schools U] "
					"[--activities C]\n");
			return 2;
		}
	}
	snprintf(tmp, sizeof tmp, "%s/audit_bench.XXXXXX", t ? t : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	printf("setup: a national hub, an auditor, a district hub, %u "
	       "schools of %u activities each\n", u, c);
	fflush(stdout);
	nat = node(CDSYNC_ROLE_NATIONAL, "VN", NULL);
	if (cdsync_catalog_at(nat, 0, &e) != CDSYNC_OK)
		die(nat, "catalog");
	snprintf(root, sizeof root, "%s", e.fingerprint);
	aud = node(CDSYNC_ROLE_AUDITOR, "KT-VN", "VN");
	enrol(aud, nat, root);
	dis = node(CDSYNC_ROLE_HUB, "HG-VX", "VN");
	enrol(dis, nat, root);
	if ((sch = calloc(u, sizeof *sch)) == NULL)
		return 1;
	for (i = 0; i < u; i++) {
		snprintf(code, sizeof code, "HG-VX-S%04u", i);
		sch[i] = node(CDSYNC_ROLE_SCHOOL, code, "HG-VX");
		enrol(sch[i], dis, root);
		record(sch[i], c, i);
		snprintf(dir, sizeof dir, "%s/out-%04u", tmp, i);
		if (mkdir(dir, 0700) != 0 ||
		    cdsync_export(sch[i], dir, &sealed, &written) != CDSYNC_OK)
			die(sch[i], "export");
	}

	/* ingest: every school's bundles, school by school */
	t0 = now();
	for (i = 0; i < u; i++) {
		snprintf(dir, sizeof dir, "%s/out-%04u", tmp, i);
		for (k = 0; cdsync_outbox_at(sch[i], k, &it) == CDSYNC_OK; k++) {
			snprintf(path, sizeof path, "%s/%s", dir, it.name);
			if (cdsync_import_file(dis, path, &changes) != CDSYNC_OK)
				die(dis, path);
			total += changes;
			nb++;
		}
	}
	ti = now() - t0;

	/* the district's files, as an auditor gets them */
	snprintf(dir, sizeof dir, "%s/audit", tmp);
	if (mkdir(dir, 0700) != 0 ||
	    cdsync_seal(dis, &sealed) != CDSYNC_OK ||
	    cdsync_snapshot_make(dis, NULL, &snap, &sn) != CDSYNC_OK ||
	    cdsync_export(dis, dir, &sealed, &written) != CDSYNC_OK)
		die(dis, "the district's export");
	cdsync_free(snap);
	snprintf(path, sizeof path, "%s/catalog-VN.cdsa", dir);
	if (cdsync_catalog_export(nat, path) != CDSYNC_OK)
		die(nat, "catalog export");

	t0 = now();
	if (cdsync_audit_dir(dir, root, 0, NULL, NULL, NULL, NULL, &s, err,
			     sizeof err) != CDSYNC_OK || s.failures != 0) {
		fprintf(stderr, "audit_bench: audit: %s (%zu failures)\n", err,
			s.failures);
		return 1;
	}
	ta = now() - t0;
	t0 = now();
	if (cdsync_audit_dir(dir, root, 0, aud, NULL, NULL, NULL, &s, err,
			     sizeof err) != CDSYNC_OK || s.failures != 0 ||
	    s.recounted != 1) {
		fprintf(stderr, "audit_bench: recount: %s (%zu failures, %s)\n",
			err, s.failures, s.why);
		return 1;
	}
	tr = now() - t0;

	printf("%zu bundles, %zu changes; the audit read %zu bundles, %zu "
	       "receipts with their proofs, %zu snapshot(s)\n",
	       nb, total, s.bundles, s.receipts, s.snapshots);
	printf("ingest   %8.2f s  %9.0f changes/s\n", ti, (double)total / ti);
	printf("audit    %8.2f s  %9.0f changes/s  %.2f x the ingest (goal "
	       "<= 1.0)\n", ta, (double)total / ta, ta / ti);
	printf("recount  %8.2f s  %9.0f changes/s  %.2f x the ingest (goal "
	       "<= 1.0)\n", tr, (double)total / tr, tr / ti);
	for (i = 0; i < u; i++)
		cdsync_close(sch[i]);
	free(sch);
	cdsync_close(dis);
	cdsync_close(aud);
	cdsync_close(nat);
	snprintf(path, sizeof path, "rm -rf '%s'", tmp);
	if (system(path) != 0)
		fprintf(stderr, "audit_bench: %s left behind\n", tmp);
	return 0;
}
