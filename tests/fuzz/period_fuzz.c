/* period_fuzz.c -- the period parser (client/period.h) on arbitrary text.
 * Invariants: a parsed period has from <= to, both real ISO dates, and
 * its canonical name parses back to the same period. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cds_period p, q;
	char *s, err[256];
	int y, m, d;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cds_period_parse(s, &p, err, sizeof err) == 0) {
		if (strcmp(p.from, p.to) > 0 ||
		    cds_date_parse(p.from, &y, &m, &d, err, sizeof err) != 0 ||
		    cds_date_parse(p.to, &y, &m, &d, err, sizeof err) != 0 ||
		    cds_period_parse(p.name, &q, err, sizeof err) != 0 ||
		    strcmp(p.from, q.from) != 0 || strcmp(p.to, q.to) != 0 ||
		    p.kind != q.kind)
			abort();
	} else if (err[0] == '\0') {
		abort();	/* a refusal always says why */
	}
	free(s);
	return 0;
}
