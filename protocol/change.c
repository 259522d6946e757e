/* change.c -- see change.h and SPEC.md "Payload". */
#include "change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cdsync/cdsync.h"
#include "i18n.h"

#define T48 ((int64_t)1 << 48)	/* row id time parts are below this */

/* One value on its way into or out of the value streams. */
struct ent {
	uint32_t change;	/* index of its change */
	uint8_t kind;
	uint8_t col;
	cds_val v;		/* writer: the value */
	size_t at, len;		/* reader: its bytes in the payload */
};

/* Stream order: kind, then column, then change. */
static int
by_stream(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->change < y->change ? -1 : x->change > y->change;
}

/* Change order: change, then column. */
static int
by_change(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->change != y->change)
		return x->change < y->change ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

static uint64_t
zigzag(int64_t d)
{
	return d < 0 ? ((uint64_t)(-(d + 1)) << 1) | 1u : (uint64_t)d << 1;
}

static int64_t
unzigzag(uint64_t u)
{
	return (u & 1u) ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1);
}

static int64_t
time48(const uint8_t row[16])
{
	int64_t t = 0;
	int i;

	for (i = 0; i < 6; i++)
		t = t << 8 | row[i];
	return t;
}

static int
popcount(uint64_t m)
{
	int n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

/* ==== Writing ========================================================= */

/* Index of each change's origin in the table of origins (first use
 * first); the table in org[0..*norg). */
static void
origins(const struct cds_change *c, size_t n, uint8_t (*org)[16],
	size_t *norg, uint32_t *oi)
{
	size_t i, j;

	*norg = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < *norg; j++)
			if (memcmp(org[j], c[i].origin, 16) == 0)
				break;
		if (j == *norg)
			memcpy(org[(*norg)++], c[i].origin, 16);
		oi[i] = (uint32_t)j;
	}
}

/* The values of every set change, in change order; *nent of them. */
static struct ent *
values_of(cds_buf *b, const struct cds_change *c, size_t n, uint64_t *mask,
	  size_t *nent)
{
	uint32_t cols[CDS_COLSET_MAX_COLS];
	cds_val vals[CDS_COLSET_MAX_COLS];
	struct ent *e = NULL, *grown;
	size_t i, j, cnt, cap = 0;
	char err[128];

	*nent = 0;
	for (i = 0; i < n; i++) {
		mask[i] = 0;
		if (c[i].op != CDS_OP_SET)
			continue;
		if (cds_colset_get(c[i].cols, c[i].ncols, cols, vals, &cnt,
				   err, sizeof err) != 0)
			goto invalid;
		if (*nent + cnt > cap) {
			cap = cap ? 2 * cap : 256;
			while (cap < *nent + cnt)
				cap *= 2;
			if ((grown = cds_realloc(e, cap * sizeof *e)) == NULL) {
				b->rc = CDSYNC_ENOMEM;
				goto fail;
			}
			e = grown;
		}
		for (j = 0; j < cnt; j++) {
			if (cols[j] == 0 || cols[j] > 63)
				goto invalid;
			mask[i] |= (uint64_t)1 << cols[j];
			memset(&e[*nent], 0, sizeof e[*nent]);
			e[*nent].change = (uint32_t)i;
			e[*nent].kind = c[i].kind;
			e[*nent].col = (uint8_t)cols[j];
			e[*nent].v = vals[j];
			(*nent)++;
		}
	}
	return e;
invalid:
	b->rc = CDSYNC_EINVAL;
fail:
	cds_free(e);
	*nent = 0;
	return NULL;
}

void
cds_payload_write(cds_buf *b, const struct cds_change *c, size_t n)
{
	uint8_t (*org)[16] = NULL;
	uint32_t *oi = NULL;
	uint64_t *mask = NULL;
	struct ent *e = NULL;
	size_t norg = 0, nent = 0, i;
	int64_t prev = 0;

	if (b->rc != 0)
		return;
	if (n > UINT32_MAX) {
		b->rc = CDSYNC_EINVAL;
		return;
	}
	for (i = 0; i < n; i++)
		if (c[i].kind == 0 || c[i].hlc > INT64_MAX ||
		    (c[i].op != CDS_OP_SET && c[i].op != CDS_OP_DELETE) ||
		    (c[i].base != 0 && c[i].base >= c[i].hlc)) {
			b->rc = CDSYNC_EINVAL;
			return;
		}
	if (n > 0 && ((org = cds_malloc(n * sizeof *org)) == NULL ||
		      (oi = cds_malloc(n * sizeof *oi)) == NULL ||
		      (mask = cds_malloc(n * sizeof *mask)) == NULL)) {
		b->rc = CDSYNC_ENOMEM;
		goto out;
	}
	if (n > 0) {
		origins(c, n, org, &norg, oi);
		e = values_of(b, c, n, mask, &nent);
		if (b->rc != 0)
			goto out;
	}
	cds_buf_byte(b, CDS_PAYLOAD_VERSION);
	cds_buf_varint(b, n);
	cds_buf_varint(b, norg);
	if (norg > 0)
		cds_buf_bytes(b, org, norg * 16);
	for (i = 0; i < n; i++) {
		cds_buf_byte(b, c[i].kind);
		cds_buf_byte(b, c[i].op);
		cds_buf_varint(b, oi[i]);
	}
	for (i = 0; i < n; i++) {
		cds_buf_varint(b, zigzag(time48(c[i].row) - prev));
		prev = time48(c[i].row);
		cds_buf_bytes(b, c[i].row + 6, 10);
	}
	for (i = 0, prev = 0; i < n; i++) {
		cds_buf_varint(b, zigzag((int64_t)c[i].hlc - prev));
		prev = (int64_t)c[i].hlc;
		cds_buf_varint(b, c[i].base ? c[i].hlc - c[i].base : 0);
	}
	for (i = 0; i < n; i++)
		if (c[i].op == CDS_OP_SET)
			cds_buf_varint(b, mask[i]);
	if (nent > 0)
		qsort(e, nent, sizeof *e, by_stream);
	for (i = 0; i < nent; i++)
		cds_buf_value(b, &e[i].v);
out:
	cds_free(e);
	cds_free(mask);
	cds_free(oi);
	cds_free(org);
}

/* ==== Reading ========================================================= */

struct rd {
	const uint8_t *p;
	size_t n, off;
	char *err;
	size_t errlen;
};

static int
bad(struct rd *r, size_t off, const char *what)
{
	snprintf(r->err, r->errlen, _("payload offset %zu: %s"), off,
		 _(what));
	return -1;
}

/* Reads a shortest-form varint; -1 on malformed. */
static int
varint(struct rd *r, uint64_t *v)
{
	size_t at = r->off;
	unsigned shift = 0;
	uint8_t c;

	*v = 0;
	for (;;) {
		if (r->off >= r->n)
			return bad(r, at, N_("varint runs past the end"));
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

static int
cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* 1 if the table of origins names one node twice (-2: out of memory). */
static int
twice(const uint8_t *org, size_t norg)
{
	uint8_t *s;
	size_t i;
	int dup = 0;

	if (norg < 2)
		return 0;
	if ((s = cds_malloc(norg * 16)) == NULL)
		return -2;
	memcpy(s, org, norg * 16);
	qsort(s, norg, 16, cmp16);
	for (i = 1; i < norg && !dup; i++)
		dup = memcmp(s + 16 * (i - 1), s + 16 * i, 16) == 0;
	cds_free(s);
	return dup;
}

/* The kind, op and origin of every change. */
static int
read_heads(struct rd *r, struct cds_change *ch, size_t count,
	   const uint8_t *org, uint64_t norg, unsigned max_kind)
{
	uint64_t oi, seen = 0;
	size_t i, at;

	for (i = 0; i < count; i++) {
		at = r->off;
		if (r->n - r->off < 2)
			return bad(r, at, N_("change runs past the end"));
		ch[i].kind = r->p[r->off++];
		if (ch[i].kind < 1 || ch[i].kind > max_kind)
			return bad(r, at, N_("unknown kind"));
		ch[i].op = r->p[r->off++];
		if (ch[i].op != CDS_OP_SET && ch[i].op != CDS_OP_DELETE)
			return bad(r, at + 1, N_("unknown op"));
		if (varint(r, &oi) != 0)
			return -1;
		if (oi >= norg || oi > seen)
			return bad(r, at + 2, N_("origin out of order or "
						 "unknown"));
		if (oi == seen)
			seen++;
		memcpy(ch[i].origin, org + 16 * oi, 16);
	}
	if (seen != norg)
		return bad(r, r->off, N_("an origin that no change names"));
	return 0;
}

/* Row ids, then HLCs and bases. */
static int
read_rows_clocks(struct rd *r, struct cds_change *ch, size_t count)
{
	int64_t prev = 0, t, d;
	uint64_t u, back;
	size_t i, at, b;

	for (i = 0; i < count; i++) {
		at = r->off;
		if (varint(r, &u) != 0)
			return -1;
		d = unzigzag(u);
		if (d >= T48 || d <= -T48 || prev + d < 0 ||
		    prev + d >= T48)
			return bad(r, at, N_("row id time out of range"));
		t = prev + d;
		prev = t;
		if (r->n - r->off < 10)
			return bad(r, at, N_("change runs past the end"));
		for (b = 0; b < 6; b++)
			ch[i].row[b] = (uint8_t)(t >> (8 * (5 - b)));
		memcpy(ch[i].row + 6, r->p + r->off, 10);
		r->off += 10;
	}
	for (i = 0, prev = 0; i < count; i++) {
		at = r->off;
		if (varint(r, &u) != 0)
			return -1;
		d = unzigzag(u);
		if ((d > 0 && prev > INT64_MAX - d) || prev + d < 0)
			return bad(r, at, N_("clock out of range"));
		prev += d;
		ch[i].hlc = (uint64_t)prev;
		at = r->off;
		if (varint(r, &back) != 0)
			return -1;
		if (back != 0 && back >= ch[i].hlc)
			return bad(r, at, N_("base not below its clock"));
		ch[i].base = back ? ch[i].hlc - back : 0;
	}
	return 0;
}

/* One value's bytes: tag and payload (SPEC.md "Column sets"). */
static int
read_value(struct rd *r, struct ent *e)
{
	uint64_t v;

	e->at = r->off;
	if (r->off >= r->n)
		return bad(r, e->at, N_("value runs past the end"));
	switch (r->p[r->off++]) {
	case CDS_V_NULL:
		break;
	case CDS_V_INT:
		if (varint(r, &v) != 0)
			return -1;
		break;
	case CDS_V_TEXT:
	case CDS_V_BLOB:
		if (varint(r, &v) != 0)
			return -1;
		if (v > CDS_VALUE_MAX_BYTES)
			return bad(r, e->at, N_("value too long"));
		if (v > r->n - r->off)
			return bad(r, e->at, N_("value runs past the end"));
		r->off += (size_t)v;
		break;
	default:
		return bad(r, e->at, N_("unknown value tag"));
	}
	e->len = r->off - e->at;
	return 0;
}

/* The masks of the set changes, then their values; column sets rebuilt
 * into out->mem. */
static int
read_values(struct rd *r, struct cds_payload *out)
{
	struct cds_change *ch = out->ch;
	uint64_t *mask = NULL, m;
	struct ent *e = NULL;
	size_t i, k, nent = 0, size = 0, at;
	int rc = -2, col;
	uint8_t *w;

	if ((mask = cds_calloc(out->count ? out->count : 1, sizeof *mask)) ==
	    NULL)
		return -2;
	for (i = 0; i < out->count; i++) {
		if (ch[i].op != CDS_OP_SET)
			continue;
		at = r->off;
		if (varint(r, &mask[i]) != 0) {
			rc = -1;
			goto out;
		}
		if (mask[i] & 1u) {
			rc = bad(r, at, N_("column 0 in a column mask"));
			goto out;
		}
		nent += (size_t)popcount(mask[i]);
		/* count, and per value a column and at least a tag */
		size += 1 + 2 * (size_t)popcount(mask[i]);
	}
	if (nent > r->n - r->off) {	/* each value takes a byte or more */
		rc = bad(r, r->off, N_("value runs past the end"));
		goto out;
	}
	if (nent > 0) {
		if ((e = cds_calloc(nent, sizeof *e)) == NULL)
			goto out;
		for (i = 0, k = 0; i < out->count; i++)
			for (m = mask[i], col = 0; m; m >>= 1, col++)
				if (m & 1u) {
					e[k].change = (uint32_t)i;
					e[k].kind = ch[i].kind;
					e[k++].col = (uint8_t)col;
				}
		qsort(e, nent, sizeof *e, by_stream);
	}
	for (k = 0; k < nent; k++)
		if (read_value(r, &e[k]) != 0) {
			rc = -1;
			goto out;
		}
	if (r->off != r->n) {
		rc = bad(r, r->off, N_("bytes after the last value"));
		goto out;
	}
	for (k = 0; k < nent; k++)
		size += e[k].len - 1;
	if ((out->mem = cds_malloc(size ? size : 1)) == NULL)
		goto out;
	out->memlen = size ? size : 1;
	if (nent > 0)
		qsort(e, nent, sizeof *e, by_change);
	w = out->mem;
	for (i = 0, k = 0; i < out->count; i++) {
		if (ch[i].op != CDS_OP_SET)
			continue;
		ch[i].cols = w;
		*w++ = (uint8_t)popcount(mask[i]);	/* < 64: one byte */
		for (; k < nent && e[k].change == i; k++) {
			*w++ = e[k].col;		/* < 64: one byte */
			memcpy(w, r->p + e[k].at, e[k].len);
			w += e[k].len;
		}
		ch[i].ncols = (size_t)(w - ch[i].cols);
	}
	rc = 0;
out:
	cds_free(e);
	cds_free(mask);
	return rc;
}

int
cds_payload_read(const uint8_t *p, size_t n, uint64_t max_count,
		 unsigned max_kind, struct cds_payload *out, char *err,
		 size_t errlen)
{
	struct rd r = { p, n, 1, err, errlen };
	uint64_t count, norg;
	const uint8_t *org;
	size_t at;
	int rc;

	memset(out, 0, sizeof *out);
	if (n < 1)
		return bad(&r, 0, N_("empty payload"));
	if (p[0] != CDS_PAYLOAD_VERSION)
		return bad(&r, 0, N_("unknown payload version"));
	if (varint(&r, &count) != 0)
		return -1;
	if (count > max_count)
		return bad(&r, 1, N_("more changes than allowed"));
	at = r.off;
	if (varint(&r, &norg) != 0)
		return -1;
	if (norg > count)
		return bad(&r, at, N_("more origins than changes"));
	if (norg > (r.n - r.off) / 16)
		return bad(&r, at, N_("change runs past the end"));
	org = p + r.off;
	if ((rc = twice(org, (size_t)norg)) != 0)
		return rc < 0 ? rc : bad(&r, r.off, N_("an origin listed twice"));
	r.off += (size_t)norg * 16;
	/* a change takes 16 bytes or more (head 3, row 11, clock 2) */
	if (count > (r.n - r.off) / 16)
		return bad(&r, r.off, N_("change runs past the end"));
	out->count = (size_t)count;
	if (count > 0 &&
	    (out->ch = cds_calloc((size_t)count, sizeof *out->ch)) == NULL)
		return -2;
	if ((rc = read_heads(&r, out->ch, out->count, org, norg, max_kind)) ==
		    0 &&
	    (rc = read_rows_clocks(&r, out->ch, out->count)) == 0)
		rc = read_values(&r, out);
	if (rc != 0)
		cds_payload_free(out);
	return rc;
}

void
cds_payload_free(struct cds_payload *pl)
{
	cds_free(pl->ch);
	cds_free(pl->mem);
	memset(pl, 0, sizeof *pl);
}
