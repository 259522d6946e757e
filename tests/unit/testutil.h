/* testutil.h -- small helpers shared by the unit tests.
 *
 * Temporary directories live under $TMPDIR (or /tmp) and are removed by
 * tu_cleanup().  Stores made here belong to a school node "TEST-SCHOOL".
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cdsync/cdsync.h"

/* A fresh temporary directory (static buffer; valid until the next call). */
const char *tu_tmpdir(void);
/* Removes every directory tu_tmpdir() made. */
void tu_cleanup(void);
/* path = dir + "/" + name in a static buffer. */
const char *tu_path(const char *dir, const char *name);
/* A new store in a new temp dir, with a school node; aborts on failure. */
cdsync *tu_store(void);
/* Writes a file; aborts on failure. */
void tu_write(const char *path, const void *data, size_t len);
/* Number of rows of a SQL count query on the store's file. */
long tu_count(cdsync *db, const char *sql);
/* A new store in a new temp dir with a node of that role, org code (also
 * its name) and parent code (NULL for the national union); aborts on
 * failure. */
cdsync *tu_node(cdsync_role role, const char *code, const char *parent);
/* Enrols child under parent through files in a new temp dir: the
 * request, the parent's approval with the child's fingerprint, the
 * catalog taken in by the child with the root's fingerprint root_fpr. */
void tu_enrol(cdsync *child, cdsync *parent, const char *root_fpr);
/* Exports `from` into a new temp dir and imports every bundle of its
 * outbox into `to` (one taken before is fine).  catalog: a file of that
 * export to take in first (the catalog a hub sends with its bundles), or
 * NULL.  Aborts on failure. */
void tu_carry(cdsync *from, cdsync *to, const char *catalog);
/* Root of the source tree ($CDSYNC_SOURCE_DIR or "."). */
const char *tu_srcdir(void);
/* Runs schema/FILE (e.g. "0001_domain.sql") on db; aborts, saying which
 * file and why, on failure. */
struct sqlite3;
void tu_schema(struct sqlite3 *db, const char *file);
/* A node entry of a catalog sheet: the unit's org code, name (NULL: the
 * code), parent code, role, and the day it is enrolled from
 * ("YYYY-MM-DD", at noon UTC). */
struct tu_entry {
	const char *code, *name, *parent;
	cdsync_role role;
	const char *from;
};
/* Stores edition `serial` of a sheet of `issuer` holding entries e[0..n)
 * in db's trust_sheet (replacing the one stored), signed by a new key;
 * aborts on failure. */
void tu_sheet(struct sqlite3 *db, const char *issuer, uint64_t serial,
	      const struct tu_entry *e, size_t n);

#endif
