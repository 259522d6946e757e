/* vec.h -- reading tests/vectors/NAME.vec files ("name hex" lines; '#'
 * starts a comment).  Header-only, for the unit tests. */
#ifndef VEC_H
#define VEC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Fills out[] with the bytes of vector `name` of file `file`; returns the
 * length, or aborts if it is missing. */
static inline size_t
vec_get(const char *file, const char *name, unsigned char *out, size_t cap)
{
	char path[512], line[4096], *sp;
	size_t n = 0, i;
	FILE *f;

	snprintf(path, sizeof path, "%s/tests/vectors/%s", tu_srcdir(), file);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "vec: cannot open %s\n", path);
		abort();
	}
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || (sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		if (strcmp(line, name) != 0)
			continue;
		for (i = 0, sp++; sp[i] && sp[i + 1] && sp[i] != '\n'; i += 2) {
			unsigned v;

			if (n == cap || sscanf(sp + i, "%2x", &v) != 1)
				abort();
			out[n++] = (unsigned char)v;
		}
		fclose(f);
		return n;
	}
	fclose(f);
	fprintf(stderr, "vec: no vector %s in %s\n", name, path);
	abort();
}

#endif
