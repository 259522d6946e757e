/* receipt.c -- signed receipts; see receipt.h and SPEC.md "Receipts".
 *
 *   receipt = "CDSR" 1 hub:16 hub_pk:32 node:16 seq:u64 hash:32
 *             status:u8 seen_ms:u64 made_ms:u64
 *             signature:64      ; by hub_pk, "cdsync receipt v1"
 *
 * 190 bytes; the signature starts at offset 126.
 */
#include "receipt.h"

#include <string.h>

#include "doc.h"
#include "i18n.h"

static const char magic[4] = { 'C', 'D', 'S', 'R' };
static const char ctx[] = "cdsync receipt v1";

void
cds_receipt_write(cds_buf *b, const struct cds_receipt *r,
		  const uint8_t sign_sk[64])
{
	size_t start = b->n;

	cds_buf_bytes(b, magic, 4);
	cds_buf_byte(b, 1);
	cds_buf_bytes(b, r->hub, 16);
	cds_buf_bytes(b, r->hub_pk, 32);
	cds_buf_bytes(b, r->node, 16);
	cds_doc_u64(b, r->seq);
	cds_buf_bytes(b, r->hash, 32);
	cds_buf_byte(b, r->status);
	cds_doc_u64(b, r->seen_ms);
	cds_doc_u64(b, r->made_ms);
	cds_doc_sign(b, start, ctx, sign_sk);
}

int
cds_receipt_read(const uint8_t *p, size_t n, struct cds_receipt *q,
		 char *err, size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("receipt") };
	size_t at;

	memset(q, 0, sizeof *q);
	if (cds_rd_magic(&r, magic) != 0 || cds_rd_bytes(&r, q->hub, 16) != 0 ||
	    cds_rd_bytes(&r, q->hub_pk, 32) != 0 ||
	    cds_rd_bytes(&r, q->node, 16) != 0)
		return -1;
	at = r.off;
	if (cds_rd_u64(&r, &q->seq) != 0)
		return -1;
	if (q->seq < 1)
		return cds_rd_bad(&r, at, N_("bundle number 0 (they start "
					     "at 1)"));
	if (cds_rd_bytes(&r, q->hash, 32) != 0)
		return -1;
	at = r.off;
	if (cds_rd_byte(&r, &q->status) != 0)
		return -1;
	if (q->status != CDS_RECEIPT_MERGED && q->status != CDS_RECEIPT_HELD)
		return cds_rd_bad(&r, at, N_("unknown status"));
	if (cds_rd_u64(&r, &q->seen_ms) != 0 ||
	    cds_rd_u64(&r, &q->made_ms) != 0)
		return -1;
	if (r.n - r.off != 64)
		return cds_rd_bad(&r, r.off, r.n - r.off < 64
					     ? N_("runs past the end")
					     : N_("bytes after the signature"));
	return 0;
}

int
cds_receipt_verify(const uint8_t *p, size_t n, const struct cds_receipt *q,
		   char *err, size_t errlen)
{
	struct cds_rd r = { p, n, CDS_RECEIPT_SIG_AT, err, errlen,
			    N_("receipt") };

	if (n != CDS_RECEIPT_BYTES)
		return cds_rd_bad(&r, 0, N_("not a receipt that was read"));
	return cds_rd_verify(&r, ctx, q->hub_pk);
}
