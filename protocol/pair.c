/* pair.c -- pairing requests and client certificates; see pair.h and
 * SPEC.md "Pairing".
 *
 *   request = "CDSP" 1 client:16 sign_pk:32 box_pk:32 created_ms:u64
 *             device:text signature:64 mac:32
 *   cert    = "CDSC" 1 node:16 node_pk:32 node_box:32 client:16 sign_pk:32
 *             box_pk:32
 *             issued_ms:u64 until_ms:u64 org_code:text device:text
 *             signature:64 [mac:32]
 *   key     = BLAKE2b-256("cdsync pair v1" NUL ‖ the 12 code digits)
 *   mac     = BLAKE2b-256 keyed with key, over every byte before it
 */
#include "pair.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "doc.h"
#include "i18n.h"

static const char req_magic[4] = { 'C', 'D', 'S', 'P' };
static const char cert_magic[4] = { 'C', 'D', 'S', 'C' };
static const char req_ctx[] = "cdsync pair request v1";
static const char cert_ctx[] = "cdsync client v1";
static const char key_ctx[] = "cdsync pair v1";
static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
cds_pair_code_new(char out[CDS_PAIR_CODE_CHARS + 1])
{
	uint8_t r[8];
	uint64_t v = 0;
	int i, o = 0;

	randombytes_buf(r, sizeof r);
	for (i = 0; i < 8; i++)
		v = v << 8 | r[i];
	for (i = 0; i < 12; i++) {
		if (i == 4 || i == 8)
			out[o++] = '-';
		out[o++] = b32[(v >> (55 - 5 * i)) & 31];
	}
	out[o] = '\0';
	sodium_memzero(r, sizeof r);
}

int
cds_pair_code_key(const char *typed, uint8_t key[32])
{
	char m[sizeof key_ctx + 12];
	size_t i, k = 0;
	int ch;

	memcpy(m, key_ctx, sizeof key_ctx);
	for (i = 0; typed[i]; i++) {
		ch = toupper((unsigned char)typed[i]);
		if (ch == '-' || ch == ' ')
			continue;
		ch = ch == 'O' ? '0' : ch == 'I' || ch == 'L' ? '1' : ch;
		if (strchr(b32, ch) == NULL || ch == '\0' || k == 12) {
			sodium_memzero(m, sizeof m);
			return -1;
		}
		m[sizeof key_ctx + k++] = (char)ch;
	}
	if (k != 12) {
		sodium_memzero(m, sizeof m);
		return -1;
	}
	crypto_generichash(key, 32, (const uint8_t *)m, sizeof m, NULL, 0);
	sodium_memzero(m, sizeof m);
	return 0;
}

static void
mac(cds_buf *b, const uint8_t key[32])
{
	uint8_t t[CDS_PAIR_MAC];

	if (b->rc != 0)
		return;
	crypto_generichash(t, sizeof t, b->p, b->n, key, 32);
	cds_buf_bytes(b, t, sizeof t);
}

/* 1 when the last 32 bytes of p are the MAC of what precedes them. */
static int
mac_ok(const uint8_t *p, size_t n, const uint8_t key[32])
{
	uint8_t t[CDS_PAIR_MAC];

	crypto_generichash(t, sizeof t, p, n - CDS_PAIR_MAC, key, 32);
	return sodium_memcmp(t, p + n - CDS_PAIR_MAC, CDS_PAIR_MAC) == 0;
}

void
cds_pair_request_write(cds_buf *b, const struct cds_pair_request *r,
		       const uint8_t sign_sk[64], const uint8_t code_key[32])
{
	size_t start = b->n;

	cds_buf_bytes(b, req_magic, 4);
	cds_buf_byte(b, 1);
	cds_buf_bytes(b, r->client, 16);
	cds_buf_bytes(b, r->sign_pk, 32);
	cds_buf_bytes(b, r->box_pk, 32);
	cds_doc_u64(b, r->created_ms);
	cds_doc_str(b, r->device);
	cds_doc_sign(b, start, req_ctx, sign_sk);
	mac(b, code_key);
}

int
cds_pair_request_read(const uint8_t *p, size_t n, const uint8_t code_key[32],
		      struct cds_pair_request *q, char *err, size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("pairing request") };
	int rc;

	memset(q, 0, sizeof *q);
	if (n < 5 + CDS_PAIR_MAC)
		return cds_rd_bad(&r, 0, N_("runs past the end"));
	r.n = n - CDS_PAIR_MAC;
	if (cds_rd_magic(&r, req_magic) != 0 ||
	    cds_rd_bytes(&r, q->client, 16) != 0 ||
	    cds_rd_bytes(&r, q->sign_pk, 32) != 0 ||
	    cds_rd_bytes(&r, q->box_pk, 32) != 0 ||
	    cds_rd_u64(&r, &q->created_ms) != 0 ||
	    cds_rd_str(&r, q->device) != 0)
		return -1;
	if ((rc = cds_rd_verify(&r, req_ctx, q->sign_pk)) != 0)
		return rc;
	if (!mac_ok(p, n, code_key)) {
		snprintf(err, errlen, "%s",
			 _("the pairing code does not match"));
		return -3;
	}
	return 0;
}

void
cds_client_cert_write(cds_buf *b, const struct cds_client_cert *c,
		      const uint8_t sign_sk[64], const uint8_t *code_key)
{
	size_t start = b->n;

	cds_buf_bytes(b, cert_magic, 4);
	cds_buf_byte(b, 1);
	cds_buf_bytes(b, c->node, 16);
	cds_buf_bytes(b, c->node_pk, 32);
	cds_buf_bytes(b, c->node_box, 32);
	cds_buf_bytes(b, c->client, 16);
	cds_buf_bytes(b, c->sign_pk, 32);
	cds_buf_bytes(b, c->box_pk, 32);
	cds_doc_u64(b, c->issued_ms);
	cds_doc_u64(b, c->until_ms);
	cds_doc_str(b, c->org_code);
	cds_doc_str(b, c->device);
	cds_doc_sign(b, start, cert_ctx, sign_sk);
	if (code_key != NULL)
		mac(b, code_key);
}

int
cds_client_cert_read(const uint8_t *p, size_t n, const uint8_t *code_key,
		     struct cds_client_cert *c, char *err, size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("client certificate") };
	int rc;

	memset(c, 0, sizeof *c);
	if (code_key != NULL) {
		if (n < 5 + CDS_PAIR_MAC)
			return cds_rd_bad(&r, 0, N_("runs past the end"));
		r.n = n - CDS_PAIR_MAC;
	}
	if (cds_rd_magic(&r, cert_magic) != 0 ||
	    cds_rd_bytes(&r, c->node, 16) != 0 ||
	    cds_rd_bytes(&r, c->node_pk, 32) != 0 ||
	    cds_rd_bytes(&r, c->node_box, 32) != 0 ||
	    cds_rd_bytes(&r, c->client, 16) != 0 ||
	    cds_rd_bytes(&r, c->sign_pk, 32) != 0 ||
	    cds_rd_bytes(&r, c->box_pk, 32) != 0 ||
	    cds_rd_u64(&r, &c->issued_ms) != 0 ||
	    cds_rd_u64(&r, &c->until_ms) != 0 ||
	    cds_rd_str(&r, c->org_code) != 0 || cds_rd_str(&r, c->device) != 0)
		return -1;
	if ((rc = cds_rd_verify(&r, cert_ctx, c->node_pk)) != 0)
		return rc;
	if (code_key != NULL && !mac_ok(p, n, code_key)) {
		snprintf(err, errlen, "%s",
			 _("the pairing code does not match"));
		return -3;
	}
	return 0;
}
