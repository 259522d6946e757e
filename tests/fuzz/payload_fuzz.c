/* payload_fuzz.c -- the bundle payload reader (SPEC.md "Payload") on
 * arbitrary bytes.  Invariant: whatever reads back re-encodes to the very
 * same bytes (one encoding per payload). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cds_payload_rd r;
	struct cds_change c;
	char err[256];
	cds_buf b;
	int rc;

	if (cds_payload_open(&r, data, size, 100000, err, sizeof err) != 0)
		return 0;
	cds_buf_init(&b, 1u << 26);
	cds_payload_begin(&b, (uint32_t)r.count);
	while ((rc = cds_payload_next(&r, &c, 12, err, sizeof err)) == 1)
		cds_payload_put(&b, &c);
	if (rc == 0 && (b.rc != 0 || b.n != size ||
			memcmp(b.p, data, size) != 0))
		abort();
	cds_buf_free(&b);
	return 0;
}
