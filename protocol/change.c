/* change.c -- see change.h and SPEC.md "Payload". */
#include "change.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

void
cds_payload_begin(cds_buf *b, uint32_t count)
{
	cds_buf_byte(b, CDS_PAYLOAD_VERSION);
	cds_buf_varint(b, count);
}

static void
u64be(cds_buf *b, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	cds_buf_bytes(b, x, 8);
}

void
cds_payload_put(cds_buf *b, const struct cds_change *c)
{
	cds_buf_byte(b, c->kind);
	cds_buf_bytes(b, c->row, 16);
	cds_buf_byte(b, c->op);
	u64be(b, c->hlc);
	cds_buf_bytes(b, c->origin, 16);
	cds_buf_varint(b, c->base);
	if (c->op == CDS_OP_SET) {
		cds_buf_varint(b, c->ncols);
		cds_buf_bytes(b, c->cols, c->ncols);
	}
}

static int
bad(char *err, size_t errlen, size_t off, const char *what)
{
	snprintf(err, errlen, _("payload offset %zu: %s"), off, _(what));
	return -1;
}

/* Reads a shortest-form varint; -1 on malformed. */
static int
varint(struct cds_payload_rd *r, uint64_t *v, char *err, size_t errlen)
{
	size_t at = r->off;
	unsigned shift = 0;
	uint8_t c;

	*v = 0;
	for (;;) {
		if (r->off >= r->n)
			return bad(err, errlen, at, N_("varint runs past the "
						       "end"));
		c = r->p[r->off++];
		if (shift == 63 && c > 1)
			return bad(err, errlen, at, N_("varint too large"));
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	if (c == 0 && r->off - at > 1)
		return bad(err, errlen, at, N_("varint not in shortest form"));
	return 0;
}

int
cds_payload_open(struct cds_payload_rd *r, const uint8_t *p, size_t n,
		 uint64_t max_count, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->p = p;
	r->n = n;
	if (n < 1)
		return bad(err, errlen, 0, N_("empty payload"));
	if (p[0] != CDS_PAYLOAD_VERSION)
		return bad(err, errlen, 0, N_("unknown payload version"));
	r->off = 1;
	if (varint(r, &r->count, err, errlen) != 0)
		return -1;
	if (r->count > max_count)
		return bad(err, errlen, 1, N_("more changes than allowed"));
	return 0;
}

int
cds_payload_next(struct cds_payload_rd *r, struct cds_change *c,
		 unsigned max_kind, char *err, size_t errlen)
{
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	char e[128];
	uint64_t len;
	size_t at = r->off, k;
	int i;

	memset(c, 0, sizeof *c);
	if (r->done == r->count) {
		if (r->off != r->n)
			return bad(err, errlen, r->off,
				   N_("bytes after the last change"));
		return 0;
	}
	if (r->n - r->off < 1 + 16 + 1 + 8 + 16)
		return bad(err, errlen, at, N_("change runs past the end"));
	c->kind = r->p[r->off++];
	if (c->kind < 1 || c->kind > max_kind)
		return bad(err, errlen, at, N_("unknown kind"));
	memcpy(c->row, r->p + r->off, 16);
	r->off += 16;
	c->op = r->p[r->off++];
	if (c->op != CDS_OP_SET && c->op != CDS_OP_DELETE)
		return bad(err, errlen, at + 17, N_("unknown op"));
	for (i = 0; i < 8; i++)
		c->hlc = c->hlc << 8 | r->p[r->off++];
	memcpy(c->origin, r->p + r->off, 16);
	r->off += 16;
	if (varint(r, &c->base, err, errlen) != 0)
		return -1;
	if (c->op == CDS_OP_SET) {
		at = r->off;
		if (varint(r, &len, err, errlen) != 0)
			return -1;
		if (len > r->n - r->off)
			return bad(err, errlen, at,
				   N_("column set runs past the end"));
		c->cols = r->p + r->off;
		c->ncols = (size_t)len;
		r->off += (size_t)len;
		if (cds_colset_get(c->cols, c->ncols, cols, vals, &k, e,
				   sizeof e) != 0) {
			snprintf(err, errlen, _("payload offset %zu: column "
						"set: %s"), at, e);
			return -1;
		}
	}
	r->done++;
	return 1;
}
