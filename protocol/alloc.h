/* alloc.h -- the one allocator of libcdsync and protocol/.
 *
 * Every heap allocation of the libraries goes through these functions so
 * that tests can count allocations and make the Nth one fail (the
 * out-of-memory tests re-run an entry point failing the 1st, 2nd, ...
 * allocation; the only acceptable outcomes are success or CDSYNC_ENOMEM).
 * cds_free(NULL) is a no-op.  The fault hook is process-global and meant
 * for single-threaded tests only.
 */
#ifndef CDS_ALLOC_H
#define CDS_ALLOC_H

#include <stddef.h>

void *cds_malloc(size_t n);
void *cds_calloc(size_t count, size_t size);
void *cds_realloc(void *p, size_t n);
char *cds_strdup(const char *s);
char *cds_strndup(const char *s, size_t n);
void cds_free(void *p);

/* Test hook: after `n` more successful allocations, every allocation fails
 * (n < 0 turns the fault off).  Returns the number of allocations made since
 * the last call. */
long cds_alloc_fail_after(long n);

#endif
