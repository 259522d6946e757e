/* record.c -- see record.h and SPEC.md "Column sets". */
#include "record.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cdsync/cdsync.h"
#include "i18n.h"

/* ==== Writing ========================================================= */

void
cds_buf_init(cds_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void
cds_buf_free(cds_buf *b)
{
	cds_free(b->p);
	memset(b, 0, sizeof *b);
}

void
cds_buf_reset(cds_buf *b)
{
	b->n = 0;
	b->rc = 0;
}

static int
grow(cds_buf *b, size_t add)
{
	size_t cap;
	uint8_t *p;

	if (b->rc != 0)
		return -1;
	if (add > b->max || b->n > b->max - add) {
		b->rc = CDSYNC_EINVAL;
		return -1;
	}
	if (b->n + add <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->n + add)
		cap *= 2;
	if ((p = cds_realloc(b->p, cap)) == NULL) {
		b->rc = CDSYNC_ENOMEM;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
cds_buf_byte(cds_buf *b, uint8_t v)
{
	if (grow(b, 1) == 0)
		b->p[b->n++] = v;
}

void
cds_buf_bytes(cds_buf *b, const void *p, size_t n)
{
	if (n == 0 || grow(b, n) != 0)
		return;
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

void
cds_buf_varint(cds_buf *b, uint64_t v)
{
	if (grow(b, 10) != 0)
		return;
	while (v >= 0x80) {
		b->p[b->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->n++] = (uint8_t)v;
}

static uint64_t
zigzag(int64_t v)
{
	/* all ones for a negative v, without shifting a signed value */
	return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

static int64_t
unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

void
cds_buf_value(cds_buf *b, const cds_val *v)
{
	cds_buf_byte(b, (uint8_t)v->type);
	switch (v->type) {
	case CDS_V_NULL:
		break;
	case CDS_V_INT:
		cds_buf_varint(b, zigzag(v->i));
		break;
	case CDS_V_TEXT:
	case CDS_V_BLOB:
		cds_buf_varint(b, v->n);
		cds_buf_bytes(b, v->p, v->n);
		break;
	}
}

void
cds_colset_put(cds_buf *b, size_t count, const uint32_t *cols,
	       const cds_val *vals)
{
	size_t i;

	cds_buf_varint(b, count);
	for (i = 0; i < count; i++) {
		if (i > 0 && cols[i] <= cols[i - 1] && b->rc == 0)
			b->rc = CDSYNC_EINVAL;
		cds_buf_varint(b, cols[i]);
		cds_buf_value(b, &vals[i]);
	}
}

/* ==== Reading ========================================================= */

struct rd {
	const uint8_t *p;	/* input */
	size_t n;		/* its length */
	size_t off;		/* next byte to read */
	char *err;		/* message buffer */
	size_t errlen;
};

static int
fail(struct rd *r, size_t at, const char *what)
{
	snprintf(r->err, r->errlen, _("offset %zu: %s"), at, _(what));
	return -1;
}

static int
varint(struct rd *r, uint64_t *out)
{
	size_t at = r->off;
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t c;

	for (;;) {
		if (r->off >= r->n)
			return fail(r, at, "varint runs past the end");
		c = r->p[r->off++];
		if (shift == 63 && c > 1)
			return fail(r, at, "varint too large");
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	if (c == 0 && r->off - at > 1)
		return fail(r, at, "varint not in shortest form");
	*out = v;
	return 0;
}

int
cds_colset_get(const uint8_t *p, size_t n, uint32_t *cols, cds_val *vals,
	       size_t *count, char *err, size_t errlen)
{
	struct rd r = { p, n, 0, err, errlen };
	uint64_t cnt, col, len, u;
	size_t i, at;
	uint8_t tag;

	*count = 0;
	if (varint(&r, &cnt) != 0)
		return -1;
	if (cnt > CDS_COLSET_MAX_COLS)
		return fail(&r, 0, "more than 64 columns");
	for (i = 0; i < cnt; i++) {
		at = r.off;
		if (varint(&r, &col) != 0)
			return -1;
		if (col > UINT32_MAX || (i > 0 && col <= cols[i - 1]))
			return fail(&r, at, "columns not strictly increasing");
		cols[i] = (uint32_t)col;
		memset(&vals[i], 0, sizeof vals[i]);
		at = r.off;
		if (r.off >= r.n)
			return fail(&r, at, "value tag missing");
		tag = r.p[r.off++];
		switch (tag) {
		case CDS_V_NULL:
			vals[i].type = CDS_V_NULL;
			break;
		case CDS_V_INT:
			if (varint(&r, &u) != 0)
				return -1;
			vals[i].type = CDS_V_INT;
			vals[i].i = unzigzag(u);
			break;
		case CDS_V_TEXT:
		case CDS_V_BLOB:
			if (varint(&r, &len) != 0)
				return -1;
			if (len > CDS_VALUE_MAX_BYTES)
				return fail(&r, at, "value longer than 1 MiB");
			if (len > r.n - r.off)
				return fail(&r, at, "value runs past the end");
			vals[i].type = (enum cds_vtype)tag;
			vals[i].p = r.p + r.off;
			vals[i].n = (size_t)len;
			r.off += (size_t)len;
			break;
		default:
			return fail(&r, at, "unknown value tag");
		}
	}
	if (r.off != r.n)
		return fail(&r, r.off, "bytes after the last column");
	*count = (size_t)cnt;
	return 0;
}
