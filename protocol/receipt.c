/* receipt.c -- signed receipts; see receipt.h and SPEC.md "Receipts".
 *
 *   receipt = "CDSR" version:u8 hub:16 hub_pk:32 node:16 seq:u64 hash:32
 *             status:u8 seen_ms:u64 made_ms:u64
 *             [leaf:u64]        ; version 2 only
 *             signature:64      ; by hub_pk, "cdsync receipt v1" / "v2"
 *
 * Version 1: 190 bytes, the signature at offset 126.  Version 2: 198
 * bytes, the leaf index at 126, the signature at 134.
 */
#include "receipt.h"

#include <string.h>

#include "cdsync/cdsync.h"
#include "doc.h"
#include "i18n.h"

static const char magic[4] = { 'C', 'D', 'S', 'R' };
static const char ctx_v1[] = "cdsync receipt v1";
static const char ctx_v2[] = "cdsync receipt v2";

size_t
cds_receipt_len(unsigned version)
{
	return version == CDS_RECEIPT_V1   ? CDS_RECEIPT_BYTES_V1
	       : version == CDS_RECEIPT_V2 ? CDS_RECEIPT_BYTES
					   : 0;
}

static const char *
context(unsigned version)
{
	return version == CDS_RECEIPT_V1 ? ctx_v1 : ctx_v2;
}

void
cds_receipt_write(cds_buf *b, const struct cds_receipt *r,
		  const uint8_t sign_sk[64])
{
	size_t start = b->n;

	if (b->rc != 0)
		return;
	if (cds_receipt_len(r->version) == 0) {
		b->rc = CDSYNC_EINVAL;
		return;
	}
	cds_buf_bytes(b, magic, 4);
	cds_buf_byte(b, r->version);
	cds_buf_bytes(b, r->hub, 16);
	cds_buf_bytes(b, r->hub_pk, 32);
	cds_buf_bytes(b, r->node, 16);
	cds_doc_u64(b, r->seq);
	cds_buf_bytes(b, r->hash, 32);
	cds_buf_byte(b, r->status);
	cds_doc_u64(b, r->seen_ms);
	cds_doc_u64(b, r->made_ms);
	if (r->version == CDS_RECEIPT_V2)
		cds_doc_u64(b, r->leaf);
	cds_doc_sign(b, start, context(r->version), sign_sk);
}

int
cds_receipt_read(const uint8_t *p, size_t n, struct cds_receipt *q,
		 char *err, size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("receipt") };
	size_t at;

	memset(q, 0, sizeof *q);
	if (n < 5 || memcmp(p, magic, 4) != 0)
		return cds_rd_bad(&r, 0, N_("not this kind of file"));
	q->version = p[4];
	if (cds_receipt_len(q->version) == 0) {
		q->version = 0;
		return cds_rd_bad(&r, 4, N_("unknown version"));
	}
	r.off = 5;
	if (cds_rd_bytes(&r, q->hub, 16) != 0 ||
	    cds_rd_bytes(&r, q->hub_pk, 32) != 0 ||
	    cds_rd_bytes(&r, q->node, 16) != 0)
		goto bad;
	at = r.off;
	if (cds_rd_u64(&r, &q->seq) != 0)
		goto bad;
	if (q->seq < 1) {
		cds_rd_bad(&r, at, N_("bundle number 0 (they start at 1)"));
		goto bad;
	}
	if (cds_rd_bytes(&r, q->hash, 32) != 0)
		goto bad;
	at = r.off;
	if (cds_rd_byte(&r, &q->status) != 0)
		goto bad;
	if (q->status != CDS_RECEIPT_MERGED && q->status != CDS_RECEIPT_HELD) {
		cds_rd_bad(&r, at, N_("unknown status"));
		goto bad;
	}
	if (cds_rd_u64(&r, &q->seen_ms) != 0 ||
	    cds_rd_u64(&r, &q->made_ms) != 0)
		goto bad;
	if (q->version == CDS_RECEIPT_V2 && cds_rd_u64(&r, &q->leaf) != 0)
		goto bad;
	if (r.n - r.off != 64) {
		cds_rd_bad(&r, r.off, r.n - r.off < 64
				      ? N_("runs past the end")
				      : N_("bytes after the signature"));
		goto bad;
	}
	return 0;
bad:
	memset(q, 0, sizeof *q);
	return -1;
}

int
cds_receipt_verify(const uint8_t *p, size_t n, const struct cds_receipt *q,
		   char *err, size_t errlen)
{
	size_t len = cds_receipt_len(q->version);
	struct cds_rd r = { p, n, 0, err, errlen, N_("receipt") };

	if (len == 0 || n != len || p[4] != q->version)
		return cds_rd_bad(&r, 0, N_("not a receipt that was read"));
	r.off = len - 64;	/* the signature */
	return cds_rd_verify(&r, context(q->version), q->hub_pk);
}
