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
	struct cds_payload pl;
	char err[256];
	cds_buf b;

	if (cds_payload_read(data, size, 100000, 12, &pl, err, sizeof err) !=
	    0)
		return 0;
	cds_buf_init(&b, 1u << 26);
	cds_payload_write(&b, pl.ch, pl.count);
	if (b.rc != 0 || b.n != size || memcmp(b.p, data, size) != 0)
		abort();
	cds_buf_free(&b);
	cds_payload_free(&pl);
	return 0;
}
