/* colset_fuzz.c -- the column set decoder (SPEC.md §5) on arbitrary
 * bytes.  Invariant: whatever decodes re-encodes to the very same bytes
 * (there is exactly one encoding of each column set). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	char err[128];
	size_t n;
	cds_buf b;

	if (cds_colset_get(data, size, cols, vals, &n, err, sizeof err) != 0)
		return 0;
	cds_buf_init(&b, 1u << 26);
	cds_colset_put(&b, n, cols, vals);
	if (b.rc != 0 || b.n != size || memcmp(b.p, data, size) != 0)
		abort();
	cds_buf_free(&b);
	return 0;
}
