/* receipt_fuzz.c -- the receipt reader (SPEC.md "Receipts") on arbitrary
 * bytes.  Invariants: what reads back is of version 1 or 2 and has
 * exactly the length of its version (CDS_RECEIPT_BYTES_V1 or
 * CDS_RECEIPT_BYTES), re-encodes to the same bytes before its signature
 * (one encoding per receipt; version 1 carries no leaf index); the
 * signature check answers 0, -1 or -2 and never reads past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any key: only the bytes before the signature are compared. */
static const uint8_t sk[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cds_receipt r;
	char err[256];
	size_t want;
	cds_buf b;
	int v;

	if (cds_receipt_read(data, size, &r, err, sizeof err) != 0)
		return 0;
	if (r.version == CDS_RECEIPT_V1)
		want = CDS_RECEIPT_BYTES_V1;
	else if (r.version == CDS_RECEIPT_V2)
		want = CDS_RECEIPT_BYTES;
	else
		abort();
	if (size != want || size != cds_receipt_len(r.version) ||
	    size > CDS_RECEIPT_MAX || data[4] != r.version)
		abort();
	if (r.version == CDS_RECEIPT_V1 && r.leaf != 0)
		abort();
	if (r.seq < 1 || (r.status != CDS_RECEIPT_MERGED &&
			  r.status != CDS_RECEIPT_HELD))
		abort();
	cds_buf_init(&b, 4096);
	cds_receipt_write(&b, &r, sk);
	if (b.rc != 0 || b.n != size || memcmp(b.p, data, size - 64) != 0)
		abort();
	cds_buf_free(&b);
	v = cds_receipt_verify(data, size, &r, err, sizeof err);
	if (v != 0 && v != -1 && v != -2)
		abort();
	return 0;
}
