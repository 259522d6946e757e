/* files.h -- reading and writing the files that carry data between nodes
 * (bundles, requests, catalogs).
 *
 * cds_file_read reads a whole regular file of at most `max` bytes;
 * cds_file_write writes one atomically (a temporary file, fsync, rename,
 * fsync of the folder) and leaves a file that already holds the same
 * bytes alone; cds_file_sweep removes what killed runs left in a folder.  Both set db's message naming the file and the fault.
 */
#ifndef CDS_FILES_H
#define CDS_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* *buf is cds_malloc'd (one spare byte); `what` names the kind of file
 * in the message ("a bundle"); a file over max gives code toobig. */
int cds_file_read(cdsync *db, const char *path, size_t max, const char *what,
		  int toobig, uint8_t **buf, size_t *len);
/* Writes dir/name; *wrote 0 when it was already there.  Temporary files
 * of killed runs are not looked for here (one pass over a folder of
 * 100,000 files per file written would be quadratic): a command that
 * writes into a folder calls cds_file_sweep on it once. */
int cds_file_write(cdsync *db, const char *dir, const char *name,
		   const uint8_t *p, size_t n, int *wrote);
/* Removes the temporary files ".NAME.tmp-PID" in dir that a run killed
 * before its rename left there (PID no longer running; a file left alone
 * because it holds the same bytes sweeps nothing). */
void cds_file_sweep(const char *dir);
/* Splits a path into its folder and file name (into dir and name). */
void cds_file_split(const char *path, char *dir, size_t dn, char *name,
		    size_t nn);

#endif
