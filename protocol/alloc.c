/* alloc.c -- see alloc.h. */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static long fail_after = -1; /* allocations left before failing; <0: off */
static long count;           /* allocations since last cds_alloc_fail_after */

static int
failnow(void)
{
	count++;
	if (fail_after < 0)
		return 0;
	if (fail_after == 0)
		return 1;
	fail_after--;
	return 0;
}

long
cds_alloc_fail_after(long n)
{
	long c = count;

	fail_after = n;
	count = 0;
	return c;
}

void *
cds_malloc(size_t n)
{
	return failnow() ? NULL : malloc(n ? n : 1);
}

void *
cds_calloc(size_t count_, size_t size)
{
	return failnow() ? NULL : calloc(count_ ? count_ : 1, size ? size : 1);
}

void *
cds_realloc(void *p, size_t n)
{
	return failnow() ? NULL : realloc(p, n ? n : 1);
}

char *
cds_strndup(const char *s, size_t n)
{
	char *d = cds_malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
cds_strdup(const char *s)
{
	return cds_strndup(s, strlen(s));
}

void
cds_free(void *p)
{
	free(p);
}
