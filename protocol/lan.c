/* lan.c -- LAN sync messages; see lan.h and SPEC.md "LAN sync".
 *
 *   request plain = after_seq:u64 after_hlc:u64 after_origin:16
 *                   own_hlc:u64 want:u64 payload
 *   reply plain   = req_nonce:24 status:u8 acked_hlc:u64 next_seq:u64
 *                   next_hlc:u64 next_origin:16 remaining:u64
 *                   message:text payload
 *   box           = crypto_box_easy_afternm (MAC 16, then the ciphertext)
 */
#include "lan.h"

#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "doc.h"
#include "i18n.h"
#include "cdsync/cdsync.h"

static const char magic[4] = { 'C', 'D', 'S', 'L' };

static void
pos_write(cds_buf *b, const struct cds_lan_pos *p)
{
	cds_doc_u64(b, p->seq);
	cds_doc_u64(b, p->hlc);
	cds_buf_bytes(b, p->origin, 16);
}

static int
pos_read(struct cds_rd *r, struct cds_lan_pos *p)
{
	size_t at = r->off;
	static const uint8_t zero[16];

	if (cds_rd_u64(r, &p->seq) != 0 || cds_rd_u64(r, &p->hlc) != 0 ||
	    cds_rd_bytes(r, p->origin, 16) != 0)
		return -1;
	if (p->hlc >= (uint64_t)1 << 63)
		return cds_rd_bad(r, at + 8, N_("clock out of range"));
	/* the start is all zero; any other position names a change */
	if (p->seq == 0 && (p->hlc != 0 || memcmp(p->origin, zero, 16) != 0))
		return cds_rd_bad(r, at, N_("a position before the first "
					    "change names one"));
	return 0;
}

void
cds_lan_req_write(cds_buf *b, const struct cds_lan_req *r)
{
	pos_write(b, &r->after);
	cds_doc_u64(b, r->own_hlc);
	cds_doc_u64(b, r->want);
	cds_buf_bytes(b, r->payload, r->plen);
}

int
cds_lan_req_read(const uint8_t *p, size_t n, struct cds_lan_req *r,
		 char *err, size_t errlen)
{
	struct cds_rd rd = { p, n, 0, err, errlen, N_("sync request") };

	memset(r, 0, sizeof *r);
	if (pos_read(&rd, &r->after) != 0 || cds_rd_u64(&rd, &r->own_hlc) ||
	    cds_rd_u64(&rd, &r->want) != 0)
		return -1;
	if (r->own_hlc >= (uint64_t)1 << 63)
		return cds_rd_bad(&rd, rd.off - 16, N_("clock out of range"));
	if (rd.off == n)
		return cds_rd_bad(&rd, rd.off, N_("runs past the end"));
	r->payload = p + rd.off;
	r->plen = n - rd.off;
	return 0;
}

void
cds_lan_rep_write(cds_buf *b, const struct cds_lan_rep *r)
{
	cds_buf_bytes(b, r->req_nonce, CDS_LAN_NONCE);
	cds_buf_byte(b, r->status);
	cds_doc_u64(b, r->acked_hlc);
	pos_write(b, &r->next);
	cds_doc_u64(b, r->remaining);
	cds_doc_str(b, r->message);
	cds_buf_bytes(b, r->payload, r->plen);
}

int
cds_lan_rep_read(const uint8_t *p, size_t n, struct cds_lan_rep *r,
		 char *err, size_t errlen)
{
	struct cds_rd rd = { p, n, 0, err, errlen, N_("sync reply") };

	memset(r, 0, sizeof *r);
	if (cds_rd_bytes(&rd, r->req_nonce, CDS_LAN_NONCE) != 0 ||
	    cds_rd_byte(&rd, &r->status) != 0 ||
	    cds_rd_u64(&rd, &r->acked_hlc) != 0)
		return -1;
	if (r->acked_hlc >= (uint64_t)1 << 63)
		return cds_rd_bad(&rd, rd.off - 8, N_("clock out of range"));
	if (pos_read(&rd, &r->next) != 0 ||
	    cds_rd_u64(&rd, &r->remaining) != 0 ||
	    cds_rd_str(&rd, r->message) != 0)
		return -1;
	if (rd.off == n)
		return cds_rd_bad(&rd, rd.off, N_("runs past the end"));
	r->payload = p + rd.off;
	r->plen = n - rd.off;
	return 0;
}

int
cds_lan_key(uint8_t k[32], const uint8_t peer_pk[32], const uint8_t own_sk[32])
{
	return crypto_box_beforenm(k, peer_pk, own_sk) == 0 ? 0 : -1;
}

static void
head(cds_buf *b, uint8_t type)
{
	cds_buf_bytes(b, magic, 4);
	cds_buf_byte(b, 1);
	cds_buf_byte(b, type);
}

void
cds_lan_seal(cds_buf *b, uint8_t type, const uint8_t *client,
	     const uint8_t *node_box, const uint8_t *nonce, const uint8_t k[32],
	     const uint8_t *plain, size_t n, uint8_t *nonce_out)
{
	uint8_t iv[CDS_LAN_NONCE];
	size_t at;

	if (nonce != NULL)
		memcpy(iv, nonce, sizeof iv);
	else
		randombytes_buf(iv, sizeof iv);
	if (nonce_out != NULL)
		memcpy(nonce_out, iv, sizeof iv);
	head(b, type);
	if (type == CDS_LAN_REQUEST) {
		cds_buf_bytes(b, client, 16);
		cds_buf_bytes(b, node_box, 32);
	}
	cds_buf_bytes(b, iv, sizeof iv);
	if (n > CDS_LAN_MAX || b->n + n + CDS_LAN_MAC > CDS_LAN_MAX) {
		if (b->rc == 0)
			b->rc = CDSYNC_EINVAL;
		return;
	}
	at = b->n;
	/* room for the box, then seal in place */
	cds_buf_bytes(b, plain, n);
	cds_buf_bytes(b, iv, CDS_LAN_MAC);
	if (b->rc != 0)
		return;
	memmove(b->p + at + CDS_LAN_MAC, b->p + at, n);
	crypto_box_easy_afternm(b->p + at, b->p + at + CDS_LAN_MAC, n, iv, k);
}

void
cds_lan_text(char out[CDS_TRUST_STR_MAX + 1], const char *s)
{
	size_t n = strlen(s);

	/* a long text is cut at a character boundary */
	if (n > CDS_TRUST_STR_MAX) {
		n = CDS_TRUST_STR_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

void
cds_lan_refusal_write(cds_buf *b, uint8_t code, const char *message)
{
	char m[CDS_TRUST_STR_MAX + 1];

	cds_lan_text(m, message);
	head(b, CDS_LAN_REFUSAL);
	cds_buf_byte(b, code);
	cds_doc_str(b, m);
}

int
cds_lan_env_read(const uint8_t *p, size_t n, struct cds_lan_env *e,
		 char *err, size_t errlen)
{
	struct cds_rd rd = { p, n, 0, err, errlen, N_("sync message") };

	memset(e, 0, sizeof *e);
	if (n > CDS_LAN_MAX)
		return cds_rd_bad(&rd, CDS_LAN_MAX, N_("too long"));
	if (cds_rd_magic(&rd, magic) != 0 || cds_rd_byte(&rd, &e->type) != 0)
		return -1;
	switch (e->type) {
	case CDS_LAN_REQUEST:
		if (cds_rd_bytes(&rd, e->client, 16) != 0 ||
		    cds_rd_bytes(&rd, e->node_box, 32) != 0)
			return -1;
		/* fall through */
	case CDS_LAN_REPLY:
		if (cds_rd_bytes(&rd, e->nonce, CDS_LAN_NONCE) != 0 ||
		    cds_rd_need(&rd, CDS_LAN_MAC) != 0)
			return -1;
		e->box = p + rd.off;
		e->boxlen = n - rd.off;
		return 0;
	case CDS_LAN_REFUSAL:
		if (cds_rd_byte(&rd, &e->code) != 0 ||
		    cds_rd_str(&rd, e->message) != 0)
			return -1;
		if (rd.off != n)
			return cds_rd_bad(&rd, rd.off,
					  N_("bytes after the message"));
		if (e->code == 0)
			return cds_rd_bad(&rd, 6, N_("a refusal without a "
						     "reason"));
		return 0;
	default:
		return cds_rd_bad(&rd, 5, N_("unknown message type"));
	}
}

int
cds_lan_open(const struct cds_lan_env *e, const uint8_t k[32], uint8_t **plain,
	     size_t *n)
{
	uint8_t *m;

	*plain = NULL;
	*n = 0;
	if (e->boxlen < CDS_LAN_MAC)
		return -1;
	/* one byte more, so that an empty box still has memory */
	if ((m = cds_malloc(e->boxlen - CDS_LAN_MAC + 1)) == NULL)
		return -2;
	if (crypto_box_open_easy_afternm(m, e->box, e->boxlen, e->nonce, k) !=
	    0) {
		cds_free(m);
		return -1;
	}
	*plain = m;
	*n = e->boxlen - CDS_LAN_MAC;
	return 0;
}
