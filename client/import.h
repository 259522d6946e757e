/* import.h -- member lists from spreadsheets; see import.c and cdsync.h
 * "Member import". */
#ifndef CDS_IMPORT_H
#define CDS_IMPORT_H

#include <stddef.h>

#include "store.h"

/* cdsync_member_import() on bytes already in memory; `path` only names
 * them in messages.  For tests and the fuzz harness. */
int cds_member_import_mem(cdsync *db, const char *path, const void *buf,
			  size_t len, unsigned flags, cdsync_import **out);

#endif
