/* catalog.c -- see catalog.h and SPEC.md "Trust". */
#include "catalog.h"
#include "doc.h"

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
	cds_doc_u64(b, r->created_ms);
	cds_doc_str(b, r->org_code);
	cds_doc_str(b, r->org_name);
	cds_doc_str(b, r->parent_code);
	cds_doc_sign(b, start, req_ctx, sign_sk);
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
		cds_doc_u64(b, e->seq);
		cds_doc_u64(b, e->from_ms);
		cds_buf_bytes(b, e->sig, 64);
		return;
	}
	if (e->type == CDS_ENTRY_REVOKE) {
		cds_buf_bytes(b, e->sign_pk, 32);
		cds_doc_u64(b, e->from_ms);
		cds_doc_str(b, e->name);
		return;
	}
	cds_buf_byte(b, e->role);
	cds_buf_bytes(b, e->sign_pk, 32);
	cds_buf_bytes(b, e->box_pk, 32);
	cds_doc_u64(b, e->from_ms);
	cds_doc_u64(b, e->until_ms);
	cds_doc_str(b, e->org_code);
	cds_doc_str(b, e->name);
	cds_doc_str(b, e->parent_code);
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
	cds_doc_u64(b, s->serial);
	cds_doc_u64(b, s->issued_ms);
	k[0] = (uint8_t)(s->kpi_version >> 24);
	k[1] = (uint8_t)(s->kpi_version >> 16);
	k[2] = (uint8_t)(s->kpi_version >> 8);
	k[3] = (uint8_t)s->kpi_version;
	cds_buf_bytes(b, k, 4);
	cds_buf_varint(b, s->count);
	for (i = 0; i < s->count; i++)
		entry(b, &s->e[i]);
	cds_doc_sign(b, start, sheet_ctx, sign_sk);
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

int
cds_request_read(const uint8_t *p, size_t n, struct cds_request *q,
		 char *err, size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("request") };
	size_t at;

	memset(q, 0, sizeof *q);
	if (cds_rd_magic(&r, req_magic) != 0 || cds_rd_bytes(&r, q->node, 16) != 0)
		return -1;
	at = r.off;
	if (cds_rd_byte(&r, &q->role) != 0)
		return -1;
	if (q->role < 1 || q->role > 5 || q->role == 4)
		return cds_rd_bad(&r, at, N_("unknown role"));
	if (cds_rd_bytes(&r, q->sign_pk, 32) != 0 || cds_rd_bytes(&r, q->box_pk, 32) != 0 ||
	    cds_rd_u64(&r, &q->created_ms) != 0)
		return -1;
	at = r.off;
	if (cds_rd_str(&r, q->org_code) != 0)
		return -1;
	if (q->org_code[0] == '\0')
		return cds_rd_bad(&r, at, N_("empty org code"));
	if (cds_rd_str(&r, q->org_name) != 0 || cds_rd_str(&r, q->parent_code) != 0)
		return -1;
	return cds_rd_verify(&r, req_ctx, q->sign_pk);
}

int
cds_handover_read(const uint8_t *p, size_t n, struct cds_handover *h,
		  char *err, size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("hand-over") };
	uint8_t body[CDS_HANDOVER_BYTES - 64];

	memset(h, 0, sizeof *h);
	if (cds_rd_magic(&r, ho_magic) != 0 || cds_rd_bytes(&r, h->node, 16) != 0 ||
	    cds_rd_bytes(&r, h->old_pk, 32) != 0 || cds_rd_bytes(&r, h->new_pk, 32) != 0 ||
	    cds_rd_bytes(&r, h->new_box, 32) != 0 || cds_rd_u64(&r, &h->from_seq) != 0 ||
	    cds_rd_u64(&r, &h->at_ms) != 0)
		return -1;
	if (h->from_seq < 1)
		return cds_rd_bad(&r, 117, N_("a hand-over from bundle 0"));
	if (r.n - r.off != 64)
		return cds_rd_bad(&r, r.off, r.n - r.off < 64
					  ? N_("runs past the end")
					  : N_("bytes after the signature"));
	memcpy(h->sig, p + r.off, 64);
	ho_body(body, h->node, h->old_pk, h->new_pk, h->new_box, h->from_seq,
		h->at_ms);
	if (!ho_verify(body, h->old_pk, h->sig))
		return cds_rd_bad(&r, r.off, N_("the signature does not verify"));
	return 0;
}

static int
rd_entry(struct cds_rd *r, struct cds_entry *e)
{
	size_t at = r->off;

	memset(e, 0, sizeof *e);
	if (cds_rd_byte(r, &e->type) != 0)
		return -1;
	if (e->type != CDS_ENTRY_NODE && e->type != CDS_ENTRY_REVOKE &&
	    e->type != CDS_ENTRY_HANDOVER)
		return cds_rd_bad(r, at, N_("unknown entry type"));
	if (cds_rd_bytes(r, e->node, 16) != 0)
		return -1;
	if (e->type == CDS_ENTRY_HANDOVER) {
		uint8_t body[CDS_HANDOVER_BYTES - 64];

		if (cds_rd_bytes(r, e->sign_pk, 32) != 0 ||
		    cds_rd_bytes(r, e->new_pk, 32) != 0 ||
		    cds_rd_bytes(r, e->new_box, 32) != 0 || cds_rd_u64(r, &e->seq) != 0 ||
		    cds_rd_u64(r, &e->from_ms) != 0 || cds_rd_bytes(r, e->sig, 64) != 0)
			return -1;
		ho_body(body, e->node, e->sign_pk, e->new_pk, e->new_box,
			e->seq, e->from_ms);
		if (e->seq < 1)
			return cds_rd_bad(r, at, N_("a hand-over from bundle 0"));
		if (!ho_verify(body, e->sign_pk, e->sig))
			return cds_rd_bad(r, at, N_("a hand-over not signed by the "
					     "old key"));
		return 0;
	}
	if (e->type == CDS_ENTRY_REVOKE)
		return cds_rd_bytes(r, e->sign_pk, 32) != 0 ||
		       cds_rd_u64(r, &e->from_ms) != 0 || cds_rd_str(r, e->name) != 0
		       ? -1 : 0;
	at = r->off;
	if (cds_rd_byte(r, &e->role) != 0)
		return -1;
	if (e->role < 1 || e->role > 5 || e->role == 4)
		return cds_rd_bad(r, at, N_("unknown role"));
	if (cds_rd_bytes(r, e->sign_pk, 32) != 0 || cds_rd_bytes(r, e->box_pk, 32) != 0 ||
	    cds_rd_u64(r, &e->from_ms) != 0 || cds_rd_u64(r, &e->until_ms) != 0)
		return -1;
	at = r->off;
	if (cds_rd_str(r, e->org_code) != 0)
		return -1;
	if (e->org_code[0] == '\0')
		return cds_rd_bad(r, at, N_("empty org code"));
	return cds_rd_str(r, e->name) != 0 || cds_rd_str(r, e->parent_code) != 0 ? -1
									   : 0;
}

int
cds_sheet_read(const uint8_t *p, size_t n, struct cds_sheet *s, char *err,
	       size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("sheet") };
	uint8_t k[4];
	uint64_t count;
	size_t at, i;
	int rc;

	memset(s, 0, sizeof *s);
	if (cds_rd_magic(&r, sheet_magic) != 0 || cds_rd_bytes(&r, s->issuer, 16) != 0 ||
	    cds_rd_bytes(&r, s->issuer_pk, 32) != 0 || cds_rd_u64(&r, &s->serial) != 0 ||
	    cds_rd_u64(&r, &s->issued_ms) != 0 || cds_rd_bytes(&r, k, 4) != 0)
		return -1;
	s->kpi_version = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 |
			 (uint32_t)k[2] << 8 | k[3];
	at = r.off;
	if (cds_rd_varint(&r, &count) != 0)
		return -1;
	/* an entry takes more than 20 bytes */
	if (count > CDS_SHEET_MAX_ENTRIES || count > (n - r.off) / 20)
		return cds_rd_bad(&r, at, N_("too many entries"));
	if (count > 0 &&
	    (s->e = cds_calloc((size_t)count, sizeof *s->e)) == NULL)
		return -2;
	s->count = (size_t)count;
	for (i = 0; i < s->count; i++)
		if (rd_entry(&r, &s->e[i]) != 0)
			goto fail;
	if ((rc = cds_rd_verify(&r, sheet_ctx, s->issuer_pk)) == 0)
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
	struct cds_rd r = { p, n, 0, err, errlen, N_("catalog") };
	uint64_t c, l;
	size_t at, i;

	*sheet = NULL;
	*len = NULL;
	*count = 0;
	if (n > CDS_CATALOG_MAX_BYTES)
		return cds_rd_bad(&r, 0, N_("file too large"));
	if (cds_rd_magic(&r, cat_magic) != 0)
		return -1;
	at = r.off;
	if (cds_rd_varint(&r, &c) != 0)
		return -1;
	if (c > CDS_CATALOG_MAX_SHEETS || c > n - r.off)
		return cds_rd_bad(&r, at, N_("too many sheets"));
	if (c > 0 && ((*sheet = cds_calloc((size_t)c, sizeof **sheet)) ==
			      NULL ||
		      (*len = cds_calloc((size_t)c, sizeof **len)) == NULL)) {
		cds_free((void *)*sheet);
		*sheet = NULL;
		return -2;
	}
	for (i = 0; i < c; i++) {
		at = r.off;
		if (cds_rd_varint(&r, &l) != 0)
			goto fail;
		if (l > r.n - r.off) {
			cds_rd_bad(&r, at, N_("runs past the end"));
			goto fail;
		}
		(*sheet)[i] = p + r.off;
		(*len)[i] = (size_t)l;
		r.off += (size_t)l;
	}
	if (r.off != n) {
		cds_rd_bad(&r, r.off, N_("bytes after the last sheet"));
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
