/* snapshot.c -- signed rollup snapshots; see snapshot.h and SPEC.md
 * "Rollup snapshots". */
#include "snapshot.h"

#include <stdio.h>
#include <string.h>

#include "doc.h"
#include "cdsync/cdsync.h"
#include "i18n.h"

static const char magic[4] = { 'C', 'D', 'S', 'S' };
static const char ctx[] = "cdsync snapshot v1";

#define HEAD_BYTES 56
#define SHEET_ISSUER 5		/* "CDSK" version, then the issuer */

static const char *const fields[CDS_SNAP_FIELDS] = {
	"unions", "P3.plan", "P3.strategy", "P3.linked", "P2.U.propaganda",
	"P2.U.councils", "P2.U.innovation", "P2.U.culture", "P2.U.care",
	"P2.U.creative", "members", "P2.U.coverage", "legal.requests",
	"P2.N.legal", "P2.N.training", "P2.N.care", "P2.N.agreements",
	"care.cost", "kind.propaganda", "kind.training", "kind.care",
	"kind.culture", "kind.health", "kind.emulation", "kind.dialogue",
	"kind.inspection", "kind.remote_support", "kind.welfare"
};

const char *
cds_snap_field(int f)
{
	return f >= 0 && f < CDS_SNAP_FIELDS ? fields[f] : "?";
}

/* ==== Writing ========================================================= */

void
cds_snap_write_head(cds_buf *b, const struct cds_snap *s,
		    const struct cds_snap_head *heads, size_t nheads,
		    const struct cds_snap_sheet *sheets, size_t nsheets,
		    size_t nunits)
{
	size_t i;

	cds_buf_bytes(b, magic, 4);
	cds_buf_byte(b, 1);
	cds_buf_bytes(b, s->hub, 16);
	cds_buf_bytes(b, s->hub_pk, 32);
	cds_doc_str(b, s->org);
	cds_doc_str(b, s->day);
	cds_buf_bytes(b, s->catalog, 32);
	if (s->note_len > CDS_SNAP_NOTE_MAX && b->rc == 0)
		b->rc = CDSYNC_EINVAL;
	cds_buf_varint(b, s->note_len);
	cds_buf_bytes(b, s->note, s->note_len);
	cds_buf_varint(b, nheads);
	for (i = 0; i < nheads; i++) {
		if (i > 0 && memcmp(heads[i - 1].node, heads[i].node, 16) >= 0 &&
		    b->rc == 0)
			b->rc = CDSYNC_EINVAL;
		cds_buf_bytes(b, heads[i].node, 16);
		cds_doc_u64(b, heads[i].seq);
		cds_buf_bytes(b, heads[i].hash, 32);
	}
	cds_buf_varint(b, nsheets);
	for (i = 0; i < nsheets; i++) {
		if (sheets[i].len < SHEET_ISSUER + 16 ||
		    (i > 0 && memcmp(sheets[i - 1].p + SHEET_ISSUER,
				     sheets[i].p + SHEET_ISSUER, 16) >= 0)) {
			if (b->rc == 0)
				b->rc = CDSYNC_EINVAL;
			continue;
		}
		cds_buf_varint(b, sheets[i].len);
		cds_buf_bytes(b, sheets[i].p, sheets[i].len);
	}
	cds_buf_byte(b, CDS_SNAP_PERIODS);
	for (i = 0; i < CDS_SNAP_PERIODS; i++)
		cds_doc_str(b, s->periods[i]);
	cds_buf_byte(b, CDS_SNAP_FIELDS);
	cds_buf_varint(b, nunits);
}

void
cds_snap_write_unit(cds_buf *b, const struct cds_snap_unit *u)
{
	size_t i, n = 0;
	int64_t prev = -1;

	cds_buf_bytes(b, u->id, 16);
	cds_buf_bytes(b, u->parent, 16);
	cds_buf_byte(b, u->level);
	cds_doc_str(b, u->code);
	for (i = 0; i < CDS_SNAP_CELLS; i++) {
		if (u->cells[i] < 0 && b->rc == 0)
			b->rc = CDSYNC_EINVAL;
		n += u->cells[i] > 0;
	}
	cds_buf_varint(b, n);
	for (i = 0; i < CDS_SNAP_CELLS; i++) {
		if (u->cells[i] <= 0)
			continue;
		cds_buf_varint(b, (uint64_t)((int64_t)i - prev - 1));
		cds_buf_varint(b, (uint64_t)u->cells[i]);
		prev = (int64_t)i;
	}
}

void
cds_snap_write_end(cds_buf *b, size_t start, const uint8_t sk[64])
{
	cds_doc_sign(b, start, ctx, sk);
}

/* ==== Reading ========================================================= */

static int
rd_unit(struct cds_rd *r, struct cds_snap_unit *u)
{
	uint64_t n, skip, v, k;
	size_t at;
	int64_t i = -1;

	memset(u->cells, 0, sizeof u->cells);
	if (cds_rd_bytes(r, u->id, 16) != 0 ||
	    cds_rd_bytes(r, u->parent, 16) != 0)
		return -1;
	at = r->off;
	if (cds_rd_byte(r, &u->level) != 0)
		return -1;
	if (u->level < 1 || u->level > 3)
		return cds_rd_bad(r, at, N_("unknown level"));
	if (cds_rd_str(r, u->code) != 0)
		return -1;
	if (u->code[0] == '\0')
		return cds_rd_bad(r, r->off - 1, N_("empty unit code"));
	at = r->off;
	if (cds_rd_varint(r, &n) != 0)
		return -1;
	if (n > CDS_SNAP_CELLS)
		return cds_rd_bad(r, at, N_("more cells than a unit has"));
	for (k = 0; k < n; k++) {
		at = r->off;
		if (cds_rd_varint(r, &skip) != 0)
			return -1;
		if (skip >= (uint64_t)CDS_SNAP_CELLS ||
		    i + 1 + (int64_t)skip >= CDS_SNAP_CELLS)
			return cds_rd_bad(r, at, N_("cell past the last period"));
		i += 1 + (int64_t)skip;
		at = r->off;
		if (cds_rd_varint(r, &v) != 0)
			return -1;
		if (v == 0)
			return cds_rd_bad(r, at, N_("a cell of 0 is left out, "
						    "not written"));
		if (v > (uint64_t)INT64_MAX)
			return cds_rd_bad(r, at, N_("figure too large"));
		u->cells[i] = (int64_t)v;
	}
	return 0;
}

/* The sheets: each a sheet (§10.3) signed by the key it names, issuers
 * strictly increasing, at most a catalog's worth. */
static int
rd_sheets(struct cds_rd *r, struct cds_snap *s)
{
	struct cds_sheet sh;
	uint8_t prev[16];
	uint64_t v, i, len;
	size_t at, total = 0;
	char e[256];
	int k;

	at = r->off;
	if (cds_rd_varint(r, &v) != 0)
		return -1;
	if (v > CDS_CATALOG_MAX_SHEETS)
		return cds_rd_bad(r, at, N_("more sheets than a catalog has"));
	s->nsheets = (size_t)v;
	s->sheets_at = r->off;
	for (i = 0; i < v; i++) {
		at = r->off;
		if (cds_rd_varint(r, &len) != 0)
			return -1;
		if (len > r->n - r->off)
			return cds_rd_bad(r, at, N_("sheet runs past the end"));
		total += (size_t)len;
		if (total > CDS_CATALOG_MAX_BYTES)
			return cds_rd_bad(r, at, N_("sheets longer than a "
						    "catalog"));
		k = cds_sheet_read(r->p + r->off, (size_t)len, &sh, e,
				   sizeof e);
		if (k == -2) {
			cds_rd_bad(r, r->off, N_("out of memory"));
			return -2;
		}
		if (k != 0)
			return cds_rd_bad(r, r->off, N_("a sheet that does not "
							"read or is not signed "
							"by its key"));
		if (i > 0 && memcmp(prev, sh.issuer, 16) >= 0) {
			cds_sheet_free(&sh);
			return cds_rd_bad(r, r->off, N_("sheets not in issuer "
							"order"));
		}
		memcpy(prev, sh.issuer, 16);
		cds_sheet_free(&sh);
		r->off += (size_t)len;
	}
	return 0;
}

void
cds_snap_sheet_next(const uint8_t *p, const struct cds_snap *s, size_t *off,
		    struct cds_snap_sheet *out)
{
	struct cds_rd r = { p, s->units_at, *off, NULL, 0, N_("snapshot") };
	uint64_t len = 0;

	/* read and checked by cds_snap_read: it holds */
	(void)cds_rd_varint(&r, &len);
	out->p = p + r.off;
	out->len = (size_t)len;
	*off = r.off + (size_t)len;
}

int
cds_snap_read(const uint8_t *p, size_t n, struct cds_snap *s, char *err,
	      size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("snapshot") };
	struct cds_snap_unit u;
	uint8_t prev[16], c;
	uint64_t v, i, seq;
	size_t at;
	int k;

	memset(s, 0, sizeof *s);
	if (n > CDS_SNAP_MAX)
		return cds_rd_bad(&r, 0, N_("longer than 1 GiB"));
	if (cds_rd_magic(&r, magic) != 0 || cds_rd_bytes(&r, s->hub, 16) != 0 ||
	    cds_rd_bytes(&r, s->hub_pk, 32) != 0)
		return -1;
	at = r.off;
	if (cds_rd_str(&r, s->org) != 0)
		return -1;
	if (s->org[0] == '\0')
		return cds_rd_bad(&r, at, N_("empty org code"));
	at = r.off;
	if (cds_rd_str(&r, s->day) != 0)
		return -1;
	if (strlen(s->day) != 10 || s->day[4] != '-' || s->day[7] != '-')
		return cds_rd_bad(&r, at, N_("the day is not YYYY-MM-DD"));
	if (cds_rd_bytes(&r, s->catalog, 32) != 0)
		return -1;
	at = r.off;
	if (cds_rd_varint(&r, &v) != 0)
		return -1;
	if (v > CDS_SNAP_NOTE_MAX)
		return cds_rd_bad(&r, at, N_("checkpoint longer than 131072 "
					     "bytes"));
	if (cds_rd_need(&r, (size_t)v) != 0)
		return -1;
	s->note = p + r.off;
	s->note_len = (size_t)v;
	r.off += (size_t)v;
	at = r.off;
	if (cds_rd_varint(&r, &v) != 0)
		return -1;
	if (v > (n - r.off) / HEAD_BYTES)
		return cds_rd_bad(&r, at, N_("more heads than bytes"));
	s->nheads = (size_t)v;
	s->heads = p + r.off;
	for (i = 0; i < v; i++) {
		at = r.off;
		if (i > 0 && memcmp(prev, p + at, 16) >= 0)
			return cds_rd_bad(&r, at, N_("heads not in node order"));
		memcpy(prev, p + at, 16);
		r.off += 16;
		at = r.off;
		if (cds_rd_u64(&r, &seq) != 0)
			return -1;
		if (seq < 1)
			return cds_rd_bad(&r, at, N_("bundle number 0 (they "
						     "start at 1)"));
		r.off += 32;
	}
	if ((k = rd_sheets(&r, s)) != 0)
		return k;
	at = r.off;
	if (cds_rd_byte(&r, &c) != 0)
		return -1;
	if (c != CDS_SNAP_PERIODS)
		return cds_rd_bad(&r, at, N_("not the 36 periods of the term"));
	for (i = 0; i < CDS_SNAP_PERIODS; i++) {
		char name[CDS_TRUST_STR_MAX + 1];

		at = r.off;
		if (cds_rd_str(&r, name) != 0)
			return -1;
		if (name[0] == '\0' || strlen(name) >= sizeof s->periods[i])
			return cds_rd_bad(&r, at, N_("bad period name"));
		memcpy(s->periods[i], name, strlen(name) + 1);
	}
	at = r.off;
	if (cds_rd_byte(&r, &c) != 0)
		return -1;
	if (c != CDS_SNAP_FIELDS)
		return cds_rd_bad(&r, at, N_("not the 28 figures of version 1"));
	at = r.off;
	if (cds_rd_varint(&r, &v) != 0)
		return -1;
	if (v > (n - r.off) / 36)
		return cds_rd_bad(&r, at, N_("more units than bytes"));
	s->nunits = (size_t)v;
	s->units_at = r.off;
	for (i = 0; i < v; i++) {
		at = r.off;
		if (rd_unit(&r, &u) != 0)
			return -1;
		if (i > 0 && memcmp(prev, u.id, 16) >= 0)
			return cds_rd_bad(&r, at, N_("units not in id order"));
		memcpy(prev, u.id, 16);
	}
	s->sig_at = r.off;
	if (cds_rd_need(&r, 64) != 0)
		return -1;
	if (n - r.off > 64)
		return cds_rd_bad(&r, r.off + 64, N_("bytes after the "
						     "signature"));
	return 0;
}

void
cds_snap_head_at(const struct cds_snap *s, size_t i, struct cds_snap_head *h)
{
	const uint8_t *q = s->heads + i * HEAD_BYTES;
	int k;

	memcpy(h->node, q, 16);
	h->seq = 0;
	for (k = 0; k < 8; k++)
		h->seq = h->seq << 8 | q[16 + k];
	memcpy(h->hash, q + 24, 32);
}

int
cds_snap_next(const uint8_t *p, const struct cds_snap *s, size_t *off,
	      struct cds_snap_unit *u, char *err, size_t errlen)
{
	struct cds_rd r = { p, s->sig_at, *off, err, errlen, N_("snapshot") };

	if (*off >= s->sig_at)
		return 0;
	if (rd_unit(&r, u) != 0)
		return -1;
	*off = r.off;
	return 1;
}

int
cds_snap_verify(const uint8_t *p, size_t n, const struct cds_snap *s,
		char *err, size_t errlen)
{
	struct cds_rd r = { p, n, s->sig_at, err, errlen, N_("snapshot") };

	return cds_rd_verify(&r, ctx, s->hub_pk);
}
