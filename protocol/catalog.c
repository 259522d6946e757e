/* catalog.c -- see catalog.h and SPEC.md "Trust". */
#include "catalog.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cdsync/cdsync.h"
#include "i18n.h"

static const char req_magic[4] = { 'C', 'D', 'S', 'Q' };
static const char sheet_magic[4] = { 'C', 'D', 'S', 'K' };
static const char cat_magic[4] = { 'C', 'D', 'S', 'A' };
static const char ho_magic[4] = { 'C', 'D', 'S', 'H' };
/* Signatures cover a context string (with its NUL) before the bytes, so
 * a signature on one kind of document is never valid on another. */
static const char req_ctx[] = "cdsync request v1";
static const char sheet_ctx[] = "cdsync sheet v1";
static const char ho_ctx[] = "cdsync handover v1";

/* ==== Writing ========================================================= */

static void
u64be(cds_buf *b, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	cds_buf_bytes(b, x, 8);
}

static void
str(cds_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > CDS_TRUST_STR_MAX) {
		if (b->rc == 0)
			b->rc = CDSYNC_EINVAL;
		return;
	}
	cds_buf_varint(b, n);
	cds_buf_bytes(b, s, n);
}

/* ctx (with its NUL) followed by p[0..n), in a new buffer (NULL when out
 * of memory): what a signature covers. */
static uint8_t *
signed_bytes(const char *ctx, const uint8_t *p, size_t n, size_t *len)
{
	size_t c = strlen(ctx) + 1;
	uint8_t *m = cds_malloc(c + n);

	if (m != NULL) {
		memcpy(m, ctx, c);
		if (n > 0)
			memcpy(m + c, p, n);
	}
	*len = c + n;
	return m;
}

/* Signs b->p[start..) under ctx (pure Ed25519) and appends the
 * signature. */
static void
sign(cds_buf *b, size_t start, const char *ctx, const uint8_t sk[64])
{
	uint8_t sig[64], *m;
	size_t len;

	if (b->rc != 0)
		return;
	if ((m = signed_bytes(ctx, b->p + start, b->n - start, &len)) == NULL) {
		b->rc = CDSYNC_ENOMEM;
		return;
	}
	crypto_sign_detached(sig, NULL, m, len, sk);
	cds_free(m);
	cds_buf_bytes(b, sig, sizeof sig);
}

void
cds_request_write(cds_buf *b, const struct cds_request *r,
		  const uint8_t sign_sk[64])
{
	size_t start = b->n;

	cds_buf_bytes(b, req_magic, 4);
	cds_buf_byte(b, 1);
	cds_buf_bytes(b, r->node, 16);
	cds_buf_byte(b, r->role);
	cds_buf_bytes(b, r->sign_pk, 32);
	cds_buf_bytes(b, r->box_pk, 32);
	u64be(b, r->created_ms);
	str(b, r->org_code);
	str(b, r->org_name);
	str(b, r->parent_code);
	sign(b, start, req_ctx, sign_sk);
}

/* The signed part of a hand-over: magic to at_ms (133 bytes). */
static void
ho_body(uint8_t out[CDS_HANDOVER_BYTES - 64], const uint8_t node[16],
	const uint8_t old[32], const uint8_t new_pk[32],
	const uint8_t new_box[32], uint64_t seq, uint64_t at)
{
	int i;

	memcpy(out, ho_magic, 4);
	out[4] = 1;
	memcpy(out + 5, node, 16);
	memcpy(out + 21, old, 32);
	memcpy(out + 53, new_pk, 32);
	memcpy(out + 85, new_box, 32);
	for (i = 7; i >= 0; i--, seq >>= 8, at >>= 8) {
		out[117 + i] = (uint8_t)seq;
		out[125 + i] = (uint8_t)at;
	}
}

/* 1 when sig is old's signature of the hand-over. */
static int
ho_verify(const uint8_t body[CDS_HANDOVER_BYTES - 64], const uint8_t old[32],
	  const uint8_t sig[64])
{
	uint8_t m[sizeof ho_ctx + CDS_HANDOVER_BYTES - 64];

	memcpy(m, ho_ctx, sizeof ho_ctx);
	memcpy(m + sizeof ho_ctx, body, CDS_HANDOVER_BYTES - 64);
	return crypto_sign_verify_detached(sig, m, sizeof m, old) == 0;
}

void
cds_handover_write(cds_buf *b, struct cds_handover *h,
		   const uint8_t old_sk[64])
{
	uint8_t body[CDS_HANDOVER_BYTES - 64];
	uint8_t m[sizeof ho_ctx + sizeof body];

	ho_body(body, h->node, h->old_pk, h->new_pk, h->new_box, h->from_seq,
		h->at_ms);
	memcpy(m, ho_ctx, sizeof ho_ctx);
	memcpy(m + sizeof ho_ctx, body, sizeof body);
	crypto_sign_detached(h->sig, NULL, m, sizeof m, old_sk);
	cds_buf_bytes(b, body, sizeof body);
	cds_buf_bytes(b, h->sig, 64);
}

static void
entry(cds_buf *b, const struct cds_entry *e)
{
	cds_buf_byte(b, e->type);
	cds_buf_bytes(b, e->node, 16);
	if (e->type == CDS_ENTRY_HANDOVER) {
		cds_buf_bytes(b, e->sign_pk, 32);
		cds_buf_bytes(b, e->new_pk, 32);
		cds_buf_bytes(b, e->new_box, 32);
		u64be(b, e->seq);
		u64be(b, e->from_ms);
		cds_buf_bytes(b, e->sig, 64);
		return;
	}
	if (e->type == CDS_ENTRY_REVOKE) {
		cds_buf_bytes(b, e->sign_pk, 32);
		u64be(b, e->from_ms);
		str(b, e->name);
		return;
	}
	cds_buf_byte(b, e->role);
	cds_buf_bytes(b, e->sign_pk, 32);
	cds_buf_bytes(b, e->box_pk, 32);
	u64be(b, e->from_ms);
	u64be(b, e->until_ms);
	str(b, e->org_code);
	str(b, e->name);
	str(b, e->parent_code);
}

void
cds_sheet_write(cds_buf *b, const struct cds_sheet *s,
		const uint8_t sign_sk[64])
{
	size_t start = b->n, i;
	uint8_t k[4];

	cds_buf_bytes(b, sheet_magic, 4);
	cds_buf_byte(b, 1);
	cds_buf_bytes(b, s->issuer, 16);
	cds_buf_bytes(b, s->issuer_pk, 32);
	u64be(b, s->serial);
	u64be(b, s->issued_ms);
	k[0] = (uint8_t)(s->kpi_version >> 24);
	k[1] = (uint8_t)(s->kpi_version >> 16);
	k[2] = (uint8_t)(s->kpi_version >> 8);
	k[3] = (uint8_t)s->kpi_version;
	cds_buf_bytes(b, k, 4);
	cds_buf_varint(b, s->count);
	for (i = 0; i < s->count; i++)
		entry(b, &s->e[i]);
	sign(b, start, sheet_ctx, sign_sk);
}

void
cds_catalog_write(cds_buf *b, const uint8_t *const *sheet, const size_t *len,
		  size_t n)
{
	size_t i;

	cds_buf_bytes(b, cat_magic, 4);
	cds_buf_byte(b, 1);
	cds_buf_varint(b, n);
	for (i = 0; i < n; i++) {
		cds_buf_varint(b, len[i]);
		cds_buf_bytes(b, sheet[i], len[i]);
	}
}

/* ==== Reading ========================================================= */

struct rd {
	const uint8_t *p;
	size_t n, off;
	char *err;
	size_t errlen;
	const char *what;	/* "request", "sheet", "catalog" */
};

static int
bad(struct rd *r, size_t off, const char *why)
{
	snprintf(r->err, r->errlen, _("%s offset %zu: %s"), _(r->what), off,
		 _(why));
	return -1;
}

static int
need(struct rd *r, size_t k)
{
	if (r->n - r->off < k)
		return bad(r, r->off, N_("runs past the end"));
	return 0;
}

static int
bytes(struct rd *r, void *out, size_t k)
{
	if (need(r, k) != 0)
		return -1;
	memcpy(out, r->p + r->off, k);
	r->off += k;
	return 0;
}

static int
byte(struct rd *r, uint8_t *v)
{
	return bytes(r, v, 1);
}

static int
rd_u64(struct rd *r, uint64_t *v)
{
	uint8_t x[8];
	int i;

	if (bytes(r, x, 8) != 0)
		return -1;
	*v = 0;
	for (i = 0; i < 8; i++)
		*v = *v << 8 | x[i];
	return 0;
}

static int
varint(struct rd *r, uint64_t *v)
{
	size_t at = r->off;
	unsigned shift = 0;
	uint8_t c;

	*v = 0;
	for (;;) {
		if (r->off >= r->n)
			return bad(r, at, N_("runs past the end"));
		c = r->p[r->off++];
		if (shift == 63 && c > 1)
			return bad(r, at, N_("varint too large"));
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	if (c == 0 && r->off - at > 1)
		return bad(r, at, N_("varint not in shortest form"));
	return 0;
}

/* 1 if p[0..n) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
static int
utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0, k, len;
	uint32_t c;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
		if (len == 0 || c > 0xf4 || n - i < len)
			return 0;
		c &= 0x3fu >> (len - 1);
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3fu);
		}
		if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
		    (len == 4 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* A text of at most CDS_TRUST_STR_MAX bytes of UTF-8 without NUL. */
static int
rd_str(struct rd *r, char out[CDS_TRUST_STR_MAX + 1])
{
	size_t at = r->off;
	uint64_t len;

	if (varint(r, &len) != 0)
		return -1;
	if (len > CDS_TRUST_STR_MAX)
		return bad(r, at, N_("text too long"));
	if (need(r, (size_t)len) != 0)
		return -1;
	if (memchr(r->p + r->off, 0, (size_t)len) != NULL ||
	    !utf8_ok(r->p + r->off, (size_t)len))
		return bad(r, at, N_("text is not valid UTF-8"));
	memcpy(out, r->p + r->off, (size_t)len);
	out[len] = '\0';
	r->off += (size_t)len;
	return 0;
}

static int
magic(struct rd *r, const char m[4])
{
	uint8_t v;

	if (r->n < 5 || memcmp(r->p, m, 4) != 0)
		return bad(r, 0, N_("not this kind of file"));
	r->off = 4;
	if (byte(r, &v) != 0 || v != 1)
		return bad(r, 4, N_("unknown version"));
	return 0;
}

/* Checks the signature that ends the input, over what precedes it under
 * ctx, by pk. */
static int
verify(struct rd *r, const char *ctx, const uint8_t pk[32])
{
	uint8_t *m;
	size_t len;
	int ok;

	if (r->n - r->off != 64)
		return bad(r, r->off, r->n - r->off < 64
				       ? N_("runs past the end")
				       : N_("bytes after the signature"));
	if ((m = signed_bytes(ctx, r->p, r->off, &len)) == NULL)
		return -2;
	ok = crypto_sign_verify_detached(r->p + r->off, m, len, pk) == 0;
	cds_free(m);
	if (!ok)
		return bad(r, r->off, N_("the signature does not verify"));
	return 0;
}

int
cds_request_read(const uint8_t *p, size_t n, struct cds_request *q,
		 char *err, size_t errlen)
{
	struct rd r = { p, n, 0, err, errlen, N_("request") };
	size_t at;

	memset(q, 0, sizeof *q);
	if (magic(&r, req_magic) != 0 || bytes(&r, q->node, 16) != 0)
		return -1;
	at = r.off;
	if (byte(&r, &q->role) != 0)
		return -1;
	if (q->role < 1 || q->role > 3)
		return bad(&r, at, N_("unknown role"));
	if (bytes(&r, q->sign_pk, 32) != 0 || bytes(&r, q->box_pk, 32) != 0 ||
	    rd_u64(&r, &q->created_ms) != 0)
		return -1;
	at = r.off;
	if (rd_str(&r, q->org_code) != 0)
		return -1;
	if (q->org_code[0] == '\0')
		return bad(&r, at, N_("empty org code"));
	if (rd_str(&r, q->org_name) != 0 || rd_str(&r, q->parent_code) != 0)
		return -1;
	return verify(&r, req_ctx, q->sign_pk);
}

int
cds_handover_read(const uint8_t *p, size_t n, struct cds_handover *h,
		  char *err, size_t errlen)
{
	struct rd r = { p, n, 0, err, errlen, N_("hand-over") };
	uint8_t body[CDS_HANDOVER_BYTES - 64];

	memset(h, 0, sizeof *h);
	if (magic(&r, ho_magic) != 0 || bytes(&r, h->node, 16) != 0 ||
	    bytes(&r, h->old_pk, 32) != 0 || bytes(&r, h->new_pk, 32) != 0 ||
	    bytes(&r, h->new_box, 32) != 0 || rd_u64(&r, &h->from_seq) != 0 ||
	    rd_u64(&r, &h->at_ms) != 0)
		return -1;
	if (h->from_seq < 1)
		return bad(&r, 117, N_("a hand-over from bundle 0"));
	if (r.n - r.off != 64)
		return bad(&r, r.off, r.n - r.off < 64
					  ? N_("runs past the end")
					  : N_("bytes after the signature"));
	memcpy(h->sig, p + r.off, 64);
	ho_body(body, h->node, h->old_pk, h->new_pk, h->new_box, h->from_seq,
		h->at_ms);
	if (!ho_verify(body, h->old_pk, h->sig))
		return bad(&r, r.off, N_("the signature does not verify"));
	return 0;
}

static int
rd_entry(struct rd *r, struct cds_entry *e)
{
	size_t at = r->off;

	memset(e, 0, sizeof *e);
	if (byte(r, &e->type) != 0)
		return -1;
	if (e->type != CDS_ENTRY_NODE && e->type != CDS_ENTRY_REVOKE &&
	    e->type != CDS_ENTRY_HANDOVER)
		return bad(r, at, N_("unknown entry type"));
	if (bytes(r, e->node, 16) != 0)
		return -1;
	if (e->type == CDS_ENTRY_HANDOVER) {
		uint8_t body[CDS_HANDOVER_BYTES - 64];

		if (bytes(r, e->sign_pk, 32) != 0 ||
		    bytes(r, e->new_pk, 32) != 0 ||
		    bytes(r, e->new_box, 32) != 0 || rd_u64(r, &e->seq) != 0 ||
		    rd_u64(r, &e->from_ms) != 0 || bytes(r, e->sig, 64) != 0)
			return -1;
		ho_body(body, e->node, e->sign_pk, e->new_pk, e->new_box,
			e->seq, e->from_ms);
		if (e->seq < 1)
			return bad(r, at, N_("a hand-over from bundle 0"));
		if (!ho_verify(body, e->sign_pk, e->sig))
			return bad(r, at, N_("a hand-over not signed by the "
					     "old key"));
		return 0;
	}
	if (e->type == CDS_ENTRY_REVOKE)
		return bytes(r, e->sign_pk, 32) != 0 ||
		       rd_u64(r, &e->from_ms) != 0 || rd_str(r, e->name) != 0
		       ? -1 : 0;
	at = r->off;
	if (byte(r, &e->role) != 0)
		return -1;
	if (e->role < 1 || e->role > 3)
		return bad(r, at, N_("unknown role"));
	if (bytes(r, e->sign_pk, 32) != 0 || bytes(r, e->box_pk, 32) != 0 ||
	    rd_u64(r, &e->from_ms) != 0 || rd_u64(r, &e->until_ms) != 0)
		return -1;
	at = r->off;
	if (rd_str(r, e->org_code) != 0)
		return -1;
	if (e->org_code[0] == '\0')
		return bad(r, at, N_("empty org code"));
	return rd_str(r, e->name) != 0 || rd_str(r, e->parent_code) != 0 ? -1
									   : 0;
}

int
cds_sheet_read(const uint8_t *p, size_t n, struct cds_sheet *s, char *err,
	       size_t errlen)
{
	struct rd r = { p, n, 0, err, errlen, N_("sheet") };
	uint8_t k[4];
	uint64_t count;
	size_t at, i;
	int rc;

	memset(s, 0, sizeof *s);
	if (magic(&r, sheet_magic) != 0 || bytes(&r, s->issuer, 16) != 0 ||
	    bytes(&r, s->issuer_pk, 32) != 0 || rd_u64(&r, &s->serial) != 0 ||
	    rd_u64(&r, &s->issued_ms) != 0 || bytes(&r, k, 4) != 0)
		return -1;
	s->kpi_version = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 |
			 (uint32_t)k[2] << 8 | k[3];
	at = r.off;
	if (varint(&r, &count) != 0)
		return -1;
	/* an entry takes more than 20 bytes */
	if (count > CDS_SHEET_MAX_ENTRIES || count > (n - r.off) / 20)
		return bad(&r, at, N_("too many entries"));
	if (count > 0 &&
	    (s->e = cds_calloc((size_t)count, sizeof *s->e)) == NULL)
		return -2;
	s->count = (size_t)count;
	for (i = 0; i < s->count; i++)
		if (rd_entry(&r, &s->e[i]) != 0)
			goto fail;
	if ((rc = verify(&r, sheet_ctx, s->issuer_pk)) == 0)
		return 0;
	cds_sheet_free(s);
	return rc;
fail:
	cds_sheet_free(s);
	return -1;
}

void
cds_sheet_free(struct cds_sheet *s)
{
	cds_free(s->e);
	memset(s, 0, sizeof *s);
}

int
cds_catalog_split(const uint8_t *p, size_t n, const uint8_t ***sheet,
		  size_t **len, size_t *count, char *err, size_t errlen)
{
	struct rd r = { p, n, 0, err, errlen, N_("catalog") };
	uint64_t c, l;
	size_t at, i;

	*sheet = NULL;
	*len = NULL;
	*count = 0;
	if (n > CDS_CATALOG_MAX_BYTES)
		return bad(&r, 0, N_("file too large"));
	if (magic(&r, cat_magic) != 0)
		return -1;
	at = r.off;
	if (varint(&r, &c) != 0)
		return -1;
	if (c > CDS_CATALOG_MAX_SHEETS || c > n - r.off)
		return bad(&r, at, N_("too many sheets"));
	if (c > 0 && ((*sheet = cds_calloc((size_t)c, sizeof **sheet)) ==
			      NULL ||
		      (*len = cds_calloc((size_t)c, sizeof **len)) == NULL)) {
		cds_free((void *)*sheet);
		*sheet = NULL;
		return -2;
	}
	for (i = 0; i < c; i++) {
		at = r.off;
		if (varint(&r, &l) != 0)
			goto fail;
		if (l > r.n - r.off) {
			bad(&r, at, N_("runs past the end"));
			goto fail;
		}
		(*sheet)[i] = p + r.off;
		(*len)[i] = (size_t)l;
		r.off += (size_t)l;
	}
	if (r.off != n) {
		bad(&r, r.off, N_("bytes after the last sheet"));
		goto fail;
	}
	*count = (size_t)c;
	return 0;
fail:
	cds_free((void *)*sheet);
	cds_free(*len);
	*sheet = NULL;
	*len = NULL;
	return -1;
}

/* ==== The chain ======================================================= */

void
cds_fingerprint(const uint8_t sign_pk[32], const uint8_t box_pk[32],
		char out[CDS_FPR_CHARS + 1])
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint8_t keys[64], h[10];
	size_t i, o = 0;
	unsigned bits = 0, acc = 0;

	memcpy(keys, sign_pk, 32);
	memcpy(keys + 32, box_pk, 32);
	crypto_generichash(h, sizeof h, keys, sizeof keys, NULL, 0);
	for (i = 0; i < sizeof h; i++) {
		acc = (acc << 8) | h[i];
		bits += 8;
		while (bits >= 5) {
			if (o == 4 || o == 9 || o == 14)
				out[o++] = '-';
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[o] = '\0';
}

/* Index of the node entry in s certifying (node, pk), or -1; -2 if s
 * also revokes that key. */
static long
certifies(const struct cds_sheet *s, const uint8_t node[16],
	  const uint8_t pk[32])
{
	size_t i;
	long at = -1;

	for (i = 0; i < s->count; i++) {
		if (memcmp(s->e[i].node, node, 16) != 0 ||
		    memcmp(s->e[i].sign_pk, pk, 32) != 0)
			continue;
		if (s->e[i].type == CDS_ENTRY_REVOKE)
			return -2;
		if (s->e[i].type == CDS_ENTRY_NODE && at < 0)
			at = (long)i;
	}
	return at;
}

/* Checks that every entry of s lies in the subtree of `code`: node
 * entries name it as parent (the root's own entry excepted), revocations
 * name a node s certifies. */
static int
in_subtree(const struct cds_sheet *s, const char *code, int root,
	   char *err, size_t errlen)
{
	char hex[33];
	size_t i, j;

	for (i = 0; i < s->count; i++) {
		const struct cds_entry *e = &s->e[i];

		if (e->type == CDS_ENTRY_NODE) {
			if (root && memcmp(e->node, s->issuer, 16) == 0 &&
			    e->parent_code[0] == '\0')
				continue;	/* the root itself */
			if (strcmp(e->parent_code, code) == 0)
				continue;
			snprintf(err, errlen,
				 _("the sheet of %s certifies %s under %s, "
				   "outside its own subtree"),
				 code, e->org_code,
				 e->parent_code[0] ? e->parent_code : "-");
			return -1;
		}
		for (j = 0; j < s->count; j++)
			if (s->e[j].type == CDS_ENTRY_NODE &&
			    memcmp(s->e[j].node, e->node, 16) == 0)
				break;
		if (j == s->count) {
			sodium_bin2hex(hex, sizeof hex, e->node, 16);
			snprintf(err, errlen,
				 e->type == CDS_ENTRY_REVOKE
				 ? _("the sheet of %s revokes node %s, which "
				     "it did not certify")
				 : _("the sheet of %s hands over a key of "
				     "node %s, which it did not certify"),
				 code, hex + 24);
			return -1;
		}
		if (e->type == CDS_ENTRY_HANDOVER &&
		    (certifies(s, e->node, e->sign_pk) == -1 ||
		     certifies(s, e->node, e->new_pk) == -1)) {
			sodium_bin2hex(hex, sizeof hex, e->node, 16);
			snprintf(err, errlen,
				 _("the sheet of %s hands over a key of node "
				   "%s without certifying both keys"),
				 code, hex + 24);
			return -1;
		}
	}
	return 0;
}

int
cds_trust_chain(const struct cds_sheet *s, size_t n,
		const uint8_t root_pk[32], size_t *order, char *err,
		size_t errlen)
{
	char hex[65];
	size_t i, j, k, done = 0;
	long at;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (memcmp(s[i].issuer, s[j].issuer, 16) == 0) {
				sodium_bin2hex(hex, sizeof hex, s[i].issuer,
					       16);
				snprintf(err, errlen,
					 _("two sheets of node %s in one "
					   "catalog"),
					 hex + 24);
				return -1;
			}
	for (i = 0; i < n; i++)
		if (memcmp(s[i].issuer_pk, root_pk, 32) == 0)
			break;
	if (i == n) {
		snprintf(err, errlen, "%s",
			 _("no sheet is signed by the national root key this "
			   "node trusts"));
		return -1;
	}
	at = certifies(&s[i], s[i].issuer, root_pk);
	if (at < 0 || s[i].e[at].parent_code[0] != '\0') {
		snprintf(err, errlen, "%s",
			 _("the root sheet does not certify the root itself"));
		return -1;
	}
	if (in_subtree(&s[i], s[i].e[at].org_code, 1, err, errlen) != 0)
		return -1;
	order[done++] = i;
	/* each trusted sheet vouches for the sheets of the nodes it
	 * certifies (n is small: a catalog is a path or a tree of sheets) */
	for (k = 0; k < done; k++) {
		const struct cds_sheet *t = &s[order[k]];

		for (i = 0; i < n; i++) {
			for (j = 0; j < done; j++)
				if (order[j] == i)
					break;
			if (j < done)
				continue;
			at = certifies(t, s[i].issuer, s[i].issuer_pk);
			if (at == -2) {
				sodium_bin2hex(hex, sizeof hex, s[i].issuer,
					       16);
				snprintf(err, errlen,
					 _("the sheet of node %s is signed by "
					   "a key that was revoked"),
					 hex + 24);
				return -1;
			}
			if (at < 0)
				continue;
			if (in_subtree(&s[i], t->e[at].org_code, 0, err,
				       errlen) != 0)
				return -1;
			order[done++] = i;
		}
	}
	if (done < n) {
		for (i = 0; i < n; i++) {
			for (j = 0; j < done; j++)
				if (order[j] == i)
					break;
			if (j == done)
				break;
		}
		sodium_bin2hex(hex, sizeof hex, s[i].issuer, 16);
		snprintf(err, errlen,
			 _("a sheet of node %s is signed by a key no trusted "
			   "sheet certifies"),
			 hex + 24);
		return -1;
	}
	return 0;
}
