/* audit_bench.c -- the offline audit of a national school year, against
 * the national hub's own ingest of the same bundles, in the same run.
 *
 * Setup (not timed, but reported): a national hub, an auditor it enrols
 * first, D districts (default 700) of S schools each (default 86: 60,200
 * schools), all enrolled through files and the catalog, keys in the
 * clear (no Argon2 in any figure).  Each school, as in rollup_bench, has
 * 20-46 members (about 2 million in all) and 20-30 activities of the
 * school year, a quarter of them care with 5-20 of its members as
 * beneficiaries; it exports twice (the first term, then the rest), so two
 * bundles a school.  Each district takes its schools' bundles in, seals
 * its own, signs its rollup snapshot and exports it all to a folder; a
 * school's and then a district's store is removed once exported (their
 * files are all the rest needs).
 *
 *   ingest   the national hub takes each district's folder in: its
 *            catalog sheet, then every bundle (the district's and its
 *            schools') with cdsync_import_file: check, decrypt, scope,
 *            merge, log;
 *   (timed apart: the districts' snapshots taken in and recounted by the
 *            national hub; the audit pack written, cdsync_audit_pack)
 *   audit    cdsync_audit_dir on the national pack without keys:
 *            signatures, chains, receipts with their inclusion proofs,
 *            snapshots, checkpoints;
 *   recount  the same at the auditor's node (its keys): also every
 *            district's snapshot counted again from the bundles.
 *
 * Prints each phase's time and changes/s, peak RSS, and the ratios
 * audit / ingest and recount / ingest (goal <= 1.0: an auditor checks
 * what a hub took in no slower than the hub took it in).  Fails unless
 * the audit finds nothing and every snapshot is recounted.
 *
 * Usage: audit_bench [--districts D] [--schools S]
 * The files go under $TMPDIR (default /tmp): about 3 GB at full scale;
 * a tmpfs (TMPDIR=/dev/shm) keeps the setup's fsyncs out of it.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdsync/cdsync.h"

static char tmp[512];
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

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

/* Closes a node and removes its store (and the files SQLite keeps
 * beside it). */
static void
drop(cdsync *db, const char *code)
{
	static const char *const ext[] = { ".db", ".db-wal", ".db-shm",
					   ".db-journal" };
	char path[700];
	size_t i;

	cdsync_close(db);
	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		snprintf(path, sizeof path, "%s/%s%s", tmp, code, ext[i]);
		(void)unlink(path);
	}
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

static const char *const kinds[] = {
	"care", "care", "care", "care", "care", "propaganda", "propaganda",
	"propaganda", "training", "training", "culture", "culture", "culture",
	"health", "health", "emulation", "dialogue", "inspection",
	"remote_support", "welfare"
};

static void
set(cdsync *db, cdsync_rec *r, const char *field, const char *v)
{
	if (cdsync_rec_set(r, field, v) != CDSYNC_OK)
		die(db, field);
}

/* Writes n activities of the school year's months [m0, m0 + months)
 * (from September), each care one with beneficiaries among the school's
 * members; returns the changes written. */
static size_t
activities(cdsync *db, uint8_t (*member)[16], unsigned nm, unsigned n,
	   unsigned m0, unsigned months)
{
	cdsync_rec *r = NULL;
	char day[16], title[64], amount[16];
	uint8_t act[16];
	size_t changes = 0;
	unsigned i, j, b;

	for (i = 0; i < n; i++) {
		unsigned m = (8 + m0 + rnd(months)) % 12 + 1;
		const char *kind = kinds[rnd(20)];

		snprintf(day, sizeof day, "%04u-%02u-%02u",
			 m >= 9 ? 2025u : 2026u, m, 1 + rnd(28));
		snprintf(title, sizeof title, "Hoạt động %u/%u", m0, i);
		if (cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r) != CDSYNC_OK)
			die(db, "activity");
		set(db, r, "held_on", day);
		set(db, r, "title", title);
		set(db, r, "kind", kind);
		if (cdsync_insert(db, r) != CDSYNC_OK)
			die(db, "activity");
		memcpy(act, cdsync_rec_id(r), 16);
		cdsync_rec_free(r);
		changes++;
		if (strcmp(kind, "care") != 0)
			continue;
		b = 5 + rnd(16);
		for (j = 0; j < b && j < nm; j++) {
			snprintf(amount, sizeof amount, "%u",
				 (200 + rnd(9) * 100) * 1000);
			if (cdsync_rec_new(CDSYNC_KIND_BENEFIT, &r) != CDSYNC_OK ||
			    cdsync_rec_set_ref(r, "activity_id", act) !=
				    CDSYNC_OK ||
			    cdsync_rec_set_ref(r, "member_id",
					       member[(i * 7 + j) % nm]) !=
				    CDSYNC_OK)
				die(db, "benefit");
			set(db, r, "amount", amount);
			if (cdsync_insert(db, r) != CDSYNC_OK)
				die(db, "benefit");
			cdsync_rec_free(r);
			changes++;
		}
	}
	return changes;
}

/* A school's year: members and the first term's activities, an export,
 * the rest of the year, an export.  Returns the changes written. */
static size_t
school_year(cdsync *db, const char *out)
{
	uint8_t member[46][16];
	cdsync_rec *r = NULL;
	char code[16], name[64], born[8];
	size_t changes = 0, sealed, written;
	unsigned nm = 20 + rnd(27), na = 20 + rnd(11), i;

	if (cdsync_begin(db) != CDSYNC_OK)
		die(db, "begin");
	for (i = 0; i < nm; i++) {
		snprintf(code, sizeof code, "GV%03u", i);
		snprintf(name, sizeof name, "Giàng Thị Mỷ %u", i);
		snprintf(born, sizeof born, "%u", 1965 + rnd(35));
		if (cdsync_rec_new(CDSYNC_KIND_MEMBER, &r) != CDSYNC_OK)
			die(db, "member");
		set(db, r, "code", code);
		set(db, r, "full_name", name);
		set(db, r, "birth_year", born);
		if (cdsync_insert(db, r) != CDSYNC_OK)
			die(db, "member");
		memcpy(member[i], cdsync_rec_id(r), 16);
		cdsync_rec_free(r);
		changes++;
	}
	changes += activities(db, member, nm, na / 2, 0, 4);
	if (cdsync_commit(db) != CDSYNC_OK ||
	    cdsync_export(db, out, &sealed, &written) != CDSYNC_OK)
		die(db, "the first term's export");
	if (cdsync_begin(db) != CDSYNC_OK)
		die(db, "begin");
	changes += activities(db, member, nm, na - na / 2, 4, 8);
	if (cdsync_commit(db) != CDSYNC_OK ||
	    cdsync_export(db, out, &sealed, &written) != CDSYNC_OK)
		die(db, "the year's export");
	return changes;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Takes the files of dir ending in suffix in, in name order (a node's
 * bundles by number): bundles with cdsync_import_file, catalogs and
 * snapshots with theirs.  Returns the changes merged; *files the files. */
static size_t
take(cdsync *db, const char *dir, const char *suffix, size_t *files)
{
	struct dirent **e = NULL;
	cdsync_snapshot_info si;
	char path[1200];
	size_t changes, total = 0;
	int n, i, rc;

	if ((n = scandir(dir, &e, NULL, by_name)) < 0)
		die(NULL, dir);
	for (i = 0; i < n; i++) {
		if (!ends(e[i]->d_name, suffix) || e[i]->d_name[0] == '.') {
			free(e[i]);
			continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, e[i]->d_name);
		free(e[i]);
		(*files)++;
		if (strcmp(suffix, ".cdsa") == 0) {
			rc = cdsync_catalog_import(db, path, NULL);
			if (rc != CDSYNC_OK && rc != CDSYNC_EROLLBACK)
				die(db, path);
		} else if (strcmp(suffix, ".cdss") == 0) {
			if (cdsync_snapshot_import(db, path, &si) != CDSYNC_OK)
				die(db, path);
			if (si.state != CDSYNC_SNAP_SAME) {
				fprintf(stderr, "audit_bench: %s: %s\n", path,
					si.note);
				exit(1);
			}
		} else {
			changes = 0;
			rc = cdsync_import_file(db, path, &changes);
			if (rc != CDSYNC_OK && rc != CDSYNC_EREPLAY)
				die(db, path);
			total += changes;
		}
	}
	free(e);
	return total;
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
	unsigned nd = 700, ns = 86, d, i;
	cdsync *nat, *aud, *dis, *sch;
	cdsync_cat_entry e;
	cdsync_audit_summary s;
	char root[20], dir[700], path[1200], code[64], dcode[32], err[1024];
	size_t sealed, written, recorded = 0, total = 0, nb = 0, nsnap = 0;
	size_t ncat = 0, files = 0, taken = 0;
	uint8_t *snap = NULL;
	size_t sn = 0;
	double t0, tsetup, tdis = 0, ti = 0, tsnap = 0, tpack, ta, tr;
	struct rusage ru;
	const char *t = getenv("TMPDIR");

	for (i = 1; i + 1 < (unsigned)argc; i += 2) {
		if (strcmp(argv[i], "--districts") == 0)
			nd = arg(argv[i + 1], 1, 2000, "--districts");
		else if (strcmp(argv[i], "--schools") == 0)
			ns = arg(argv[i + 1], 1, 2000, "--schools");
		else {
			fprintf(stderr, "usage: audit_bench [--districts D] "
					"[--schools S]\n");
			return 2;
		}
	}
	if (argc % 2 == 0) {
		fprintf(stderr, "usage: audit_bench [--districts D] "
				"[--schools S]\n");
		return 2;
	}
	snprintf(tmp, sizeof tmp, "%s/audit_bench.XXXXXX", t ? t : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	printf("setup: a national hub, an auditor, %u districts of %u "
	       "schools (%u schools), in %s\n", nd, ns, nd * ns, tmp);
	fflush(stdout);
	t0 = now();
	nat = node(CDSYNC_ROLE_NATIONAL, "VN", NULL);
	if (cdsync_catalog_at(nat, 0, &e) != CDSYNC_OK)
		die(nat, "catalog");
	snprintf(root, sizeof root, "%s", e.fingerprint);
	aud = node(CDSYNC_ROLE_AUDITOR, "KT-VN", "VN");
	enrol(aud, nat, root);
	for (d = 0; d < nd; d++) {
		double td;

		snprintf(dcode, sizeof dcode, "T%02u-H%03u", d / 12, d);
		dis = node(CDSYNC_ROLE_HUB, dcode, "VN");
		enrol(dis, nat, root);
		snprintf(dir, sizeof dir, "%s/in-%s", tmp, dcode);
		if (mkdir(dir, 0700) != 0)
			die(NULL, dir);
		for (i = 0; i < ns; i++) {
			snprintf(code, sizeof code, "%s-S%03u", dcode, i);
			sch = node(CDSYNC_ROLE_SCHOOL, code, dcode);
			enrol(sch, dis, root);
			recorded += school_year(sch, dir);
			drop(sch, code);
		}
		td = now();
		(void)take(dis, dir, ".cdsb", &taken);
		tdis += now() - td;
		snprintf(dir, sizeof dir, "%s/up-%s", tmp, dcode);
		if (mkdir(dir, 0700) != 0 ||
		    cdsync_seal(dis, &sealed) != CDSYNC_OK ||
		    cdsync_snapshot_make(dis, NULL, &snap, &sn) != CDSYNC_OK ||
		    cdsync_export(dis, dir, &sealed, &written) != CDSYNC_OK)
			die(dis, "the district's export");
		cdsync_free(snap);
		snap = NULL;
		drop(dis, dcode);
		snprintf(path, sizeof path, "rm -rf '%s/in-%s'", tmp, dcode);
		if (system(path) != 0)
			die(NULL, path);
		if ((d + 1) % 50 == 0 || d + 1 == nd) {
			printf("  %u of %u districts, %.0f s\n", d + 1, nd,
			       now() - t0);
			fflush(stdout);
		}
	}
	tsetup = now() - t0;

	/* the national hub takes each district's folder in */
	for (d = 0; d < nd; d++) {
		snprintf(dcode, sizeof dcode, "T%02u-H%03u", d / 12, d);
		snprintf(dir, sizeof dir, "%s/up-%s", tmp, dcode);
		t0 = now();
		(void)take(nat, dir, ".cdsa", &ncat);
		total += take(nat, dir, ".cdsb", &nb);
		ti += now() - t0;
		t0 = now();
		(void)take(nat, dir, ".cdss", &nsnap);
		tsnap += now() - t0;
		snprintf(path, sizeof path, "rm -rf '%s'", dir);
		if (system(path) != 0)
			die(NULL, path);
		if ((d + 1) % 100 == 0 || d + 1 == nd) {
			printf("  the national hub: %u of %u districts taken in, "
			       "%.0f s\n", d + 1, nd, ti + tsnap);
			fflush(stdout);
		}
	}
	snprintf(dir, sizeof dir, "%s/pack-VN", tmp);
	t0 = now();
	if (cdsync_audit_pack(nat, "VN", "2025-2026", dir, &files) !=
	    CDSYNC_OK)
		die(nat, "audit pack");
	tpack = now() - t0;

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
	    s.recounted != nd) {
		fprintf(stderr, "audit_bench: recount: %s (%zu failures, %zu "
				"recounted, %s)\n",
			err, s.failures, s.recounted, s.why);
		return 1;
	}
	tr = now() - t0;
	getrusage(RUSAGE_SELF, &ru);

	printf("%zu changes recorded; setup %.0f s (the districts' own ingest "
	       "%.1f s of it)\n", recorded, tsetup, tdis);
	printf("%zu bundles, %zu changes merged at the national hub; the "
	       "pack: %zu files, %zu bundles, %zu receipts with their proofs, "
	       "%zu snapshots, %zu checkpoints of %zu logs\n",
	       nb, total, files, s.bundles, s.receipts, s.snapshots,
	       s.checkpoints, s.hubs);
	printf("ingest   %8.2f s  %9.0f changes/s\n", ti, (double)total / ti);
	printf("(the national hub's recount of %zu snapshots %.2f s; the "
	       "pack written in %.2f s)\n", nsnap, tsnap, tpack);
	printf("audit    %8.2f s  %9.0f changes/s  %.3f x the ingest (goal "
	       "<= 1.0)\n", ta, (double)total / ta, ta / ti);
	printf("recount  %8.2f s  %9.0f changes/s  %.3f x the ingest (goal "
	       "<= 1.0)\n", tr, (double)total / tr, tr / ti);
	printf("peak RSS %ld MiB\n", ru.ru_maxrss / 1024);
	cdsync_close(aud);
	cdsync_close(nat);
	snprintf(path, sizeof path, "rm -rf '%s'", tmp);
	if (system(path) != 0)
		fprintf(stderr, "audit_bench: %s left behind\n", tmp);
	return 0;
}
