/* catalog_fuzz.c -- the readers of requests, sheets and catalog files
 * (SPEC.md "Trust"), hand-overs, pairing requests and client
 * certificates on arbitrary bytes.  Invariant: what reads back
 * re-encodes to the same bytes before its signature (one encoding per
 * document). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "catalog.h"
#include "pair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any key: only the bytes before the signature are compared. */
static const uint8_t sk[64];

static void
same_body(const cds_buf *b, const uint8_t *p, size_t n)
{
	if (b->rc != 0 || b->n != n || memcmp(b->p, p, n - 64) != 0)
		abort();
}

/* The readers answer 0, -1 (bad), -2 (memory) or -3 (code). */
static int
in_contract(int r)
{
	return r == 0 || r == -1 || r == -2 || r == -3;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t **sheet = NULL;
	size_t *len = NULL, count = 0, i;
	struct cds_request q;
	struct cds_handover h;
	struct cds_pair_request pq;
	struct cds_client_cert cc;
	uint8_t key[32] = { 0 };
	struct cds_sheet s;
	char err[256];
	cds_buf b;

	cds_buf_init(&b, 1u << 26);
	if (cds_request_read(data, size, &q, err, sizeof err) == 0) {
		cds_request_write(&b, &q, sk);
		same_body(&b, data, size);
	}
	/* a hand-over that verifies came from its old key unchanged */
	if (cds_handover_read(data, size, &h, err, sizeof err) == 0 &&
	    size != CDS_HANDOVER_BYTES)
		abort();
	/* pairing documents: with any key the layout is checked in full;
	 * the certificate also as the node keeps it, without a MAC */
	if (!in_contract(cds_pair_request_read(data, size, key, &pq, err,
					       sizeof err)) ||
	    !in_contract(cds_client_cert_read(data, size, key, &cc, err,
					      sizeof err)) ||
	    !in_contract(cds_client_cert_read(data, size, NULL, &cc, err,
					      sizeof err)))
		abort();
	cds_buf_reset(&b);
	if (cds_sheet_read(data, size, &s, err, sizeof err) == 0) {
		cds_sheet_write(&b, &s, sk);
		same_body(&b, data, size);
		cds_sheet_free(&s);
	}
	if (cds_catalog_split(data, size, &sheet, &len, &count, err,
			      sizeof err) == 0) {
		for (i = 0; i < count; i++)
			if (cds_sheet_read(sheet[i], len[i], &s, err,
					   sizeof err) == 0)
				cds_sheet_free(&s);
		cds_free((void *)sheet);
		cds_free(len);
	}
	cds_buf_free(&b);
	return 0;
}
