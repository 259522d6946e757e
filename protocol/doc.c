/* doc.c -- signed documents: writing and bounded reading; see doc.h. */
#include "doc.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cdsync/cdsync.h"
#include "i18n.h"

void
cds_doc_u64(cds_buf *b, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	cds_buf_bytes(b, x, 8);
}

void
cds_doc_str(cds_buf *b, const char *s)
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
void
cds_doc_sign(cds_buf *b, size_t start, const char *ctx, const uint8_t sk[64])
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


int
cds_rd_bad(struct cds_rd *r, size_t off, const char *why)
{
	snprintf(r->err, r->errlen, _("%s offset %zu: %s"), _(r->what), off,
		 _(why));
	return -1;
}

int
cds_rd_need(struct cds_rd *r, size_t k)
{
	if (r->n - r->off < k)
		return cds_rd_bad(r, r->off, N_("runs past the end"));
	return 0;
}

int
cds_rd_bytes(struct cds_rd *r, void *out, size_t k)
{
	if (cds_rd_need(r, k) != 0)
		return -1;
	memcpy(out, r->p + r->off, k);
	r->off += k;
	return 0;
}

int
cds_rd_byte(struct cds_rd *r, uint8_t *v)
{
	return cds_rd_bytes(r, v, 1);
}

int
cds_rd_u64(struct cds_rd *r, uint64_t *v)
{
	uint8_t x[8];
	int i;

	if (cds_rd_bytes(r, x, 8) != 0)
		return -1;
	*v = 0;
	for (i = 0; i < 8; i++)
		*v = *v << 8 | x[i];
	return 0;
}

int
cds_rd_varint(struct cds_rd *r, uint64_t *v)
{
	size_t at = r->off;
	unsigned shift = 0;
	uint8_t c;

	*v = 0;
	for (;;) {
		if (r->off >= r->n)
			return cds_rd_bad(r, at, N_("runs past the end"));
		c = r->p[r->off++];
		if (shift == 63 && c > 1)
			return cds_rd_bad(r, at, N_("varint too large"));
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	if (c == 0 && r->off - at > 1)
		return cds_rd_bad(r, at, N_("varint not in shortest form"));
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
int
cds_rd_str(struct cds_rd *r, char out[CDS_TRUST_STR_MAX + 1])
{
	size_t at = r->off;
	uint64_t len;

	if (cds_rd_varint(r, &len) != 0)
		return -1;
	if (len > CDS_TRUST_STR_MAX)
		return cds_rd_bad(r, at, N_("text too long"));
	if (cds_rd_need(r, (size_t)len) != 0)
		return -1;
	if (memchr(r->p + r->off, 0, (size_t)len) != NULL ||
	    !utf8_ok(r->p + r->off, (size_t)len))
		return cds_rd_bad(r, at, N_("text is not valid UTF-8"));
	memcpy(out, r->p + r->off, (size_t)len);
	out[len] = '\0';
	r->off += (size_t)len;
	return 0;
}

int
cds_rd_magic(struct cds_rd *r, const char m[4])
{
	uint8_t v;

	if (r->n < 5 || memcmp(r->p, m, 4) != 0)
		return cds_rd_bad(r, 0, N_("not this kind of file"));
	r->off = 4;
	if (cds_rd_byte(r, &v) != 0 || v != 1)
		return cds_rd_bad(r, 4, N_("unknown version"));
	return 0;
}

/* Checks the signature that ends the input, over what precedes it under
 * ctx, by pk. */
int
cds_rd_verify(struct cds_rd *r, const char *ctx, const uint8_t pk[32])
{
	uint8_t *m;
	size_t len;
	int ok;

	if (r->n - r->off != 64)
		return cds_rd_bad(r, r->off, r->n - r->off < 64
				       ? N_("runs past the end")
				       : N_("bytes after the signature"));
	if ((m = signed_bytes(ctx, r->p, r->off, &len)) == NULL)
		return -2;
	ok = crypto_sign_verify_detached(r->p + r->off, m, len, pk) == 0;
	cds_free(m);
	if (!ok)
		return cds_rd_bad(r, r->off, N_("the signature does not verify"));
	return 0;
}

