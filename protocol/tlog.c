/* tlog.c -- the hub's transparency log; see tlog.h and SPEC.md
 * "Transparency log".
 *
 *   leaf       = 0x01 hash:32 node:16 seq:u64 seen_ms:u64      ; 65 bytes
 *   leaf hash  = SHA-256(0x00 || leaf)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH(D[n])  = the tree of RFC 9162 2.1.1, split at the largest power
 *                of two below n
 *   checkpoint = origin LF size LF base64(root) LF *(extension LF)
 *                LF 1*("— " name SP base64(key ID:4 || signature:64) LF)
 *   inclusion  = "c2sp.org/tlog-proof@v1" LF ["extra " base64(leaf) LF]
 *                "index " i LF *(base64(hash) LF) LF checkpoint
 *   consistency= "old " m LF *(base64(hash) LF) LF checkpoint
 *
 * Sections: hashing; leaves; trees and the builder; proofs; text helpers
 * (base64, decimals, UTF-8, lines); checkpoints; proof files.  Nothing
 * here recurses: trees are walked from the top with a loop, and subtree
 * roots are folded with the builder.
 */
#include "tlog.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cdsync/cdsync.h"
#include "alloc.h"
#include "doc.h"
#include "i18n.h"
#include "id.h"

/* ==== Hashing =========================================================== */

void
cds_tlog_leaf_hash(const uint8_t *p, size_t n, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	static const uint8_t zero = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &zero, 1);
	if (n > 0)
		crypto_hash_sha256_update(&st, p, n);
	crypto_hash_sha256_final(&st, out);
}

/* out may be left or right: both are read before out is written. */
void
cds_tlog_node_hash(const uint8_t left[32], const uint8_t right[32],
		   uint8_t out[32])
{
	crypto_hash_sha256_state st;
	static const uint8_t one = 0x01;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &one, 1);
	crypto_hash_sha256_update(&st, left, 32);
	crypto_hash_sha256_update(&st, right, 32);
	crypto_hash_sha256_final(&st, out);
}

static int
same(const uint8_t a[32], const uint8_t b[32])
{
	return memcmp(a, b, 32) == 0;	/* public hashes, not secret */
}

/* ==== Leaves ============================================================ */

static void
put_u64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

void
cds_tlog_leaf_encode(const struct cds_tlog_leaf *l,
		     uint8_t out[CDS_TLOG_LEAF_BYTES])
{
	out[0] = CDS_TLOG_LEAF_BUNDLE;
	memcpy(out + 1, l->hash, 32);
	memcpy(out + 33, l->node, 16);
	put_u64(out + 49, l->seq);
	put_u64(out + 57, l->seen_ms);
}

int
cds_tlog_leaf_decode(const uint8_t *p, size_t n, struct cds_tlog_leaf *l,
		     char *err, size_t errlen)
{
	struct cds_rd r = { p, n, 0, err, errlen, N_("leaf") };
	uint8_t kind;

	memset(l, 0, sizeof *l);
	if (cds_rd_byte(&r, &kind) != 0)
		return -1;
	if (kind != CDS_TLOG_LEAF_BUNDLE)
		return cds_rd_bad(&r, 0, N_("unknown kind"));
	if (cds_rd_bytes(&r, l->hash, 32) != 0 ||
	    cds_rd_bytes(&r, l->node, 16) != 0 ||
	    cds_rd_u64(&r, &l->seq) != 0 || cds_rd_u64(&r, &l->seen_ms) != 0)
		goto fail;
	if (l->seq < 1) {
		cds_rd_bad(&r, 49, N_("bundle number 0 (they start at 1)"));
		goto fail;
	}
	if (r.off != n) {
		cds_rd_bad(&r, r.off, N_("bytes after the leaf"));
		goto fail;
	}
	return 0;
fail:
	memset(l, 0, sizeof *l);
	return -1;
}

/* ==== Trees and the builder ============================================= */

/* The largest power of two smaller than n (n >= 2): k < n <= 2k. */
static uint64_t
split_at(uint64_t n)
{
	uint64_t k = 1;

	while (k <= (n - 1) / 2)
		k <<= 1;
	return k;
}

static size_t
popcount(uint64_t v)
{
	size_t c = 0;

	for (; v != 0; v &= v - 1)
		c++;
	return c;
}

void
cds_tlog_builder_init(struct cds_tlog_builder *b)
{
	memset(b, 0, sizeof *b);
}

/* The new leaf closes one perfect subtree for each low bit set in size:
 * merge it with those parts, right to left, and keep the result. */
int
cds_tlog_builder_push(struct cds_tlog_builder *b, const uint8_t leaf_hash[32])
{
	uint8_t cur[32];
	uint64_t s = b->size;
	size_t top = popcount(s);

	if (s == UINT64_MAX)
		return -1;
	memcpy(cur, leaf_hash, 32);
	for (; s & 1; s >>= 1)
		cds_tlog_node_hash(b->part[--top], cur, cur);
	memcpy(b->part[top], cur, 32);
	b->size++;
	return 0;
}

/* The parts are the left subtrees of the RFC split, from the largest
 * down: fold them from the right. */
void
cds_tlog_builder_root(const struct cds_tlog_builder *b, uint8_t root[32])
{
	size_t top = popcount(b->size);
	uint8_t cur[32];

	if (top == 0) {
		crypto_hash_sha256(root, NULL, 0);
		return;
	}
	memcpy(cur, b->part[top - 1], 32);
	while (--top > 0)
		cds_tlog_node_hash(b->part[top - 1], cur, cur);
	memcpy(root, cur, 32);
}

void
cds_tlog_root(const uint8_t (*leaf_hashes)[32], size_t n, uint8_t root[32])
{
	struct cds_tlog_builder b;
	size_t i;

	cds_tlog_builder_init(&b);
	for (i = 0; i < n; i++)
		(void)cds_tlog_builder_push(&b, leaf_hashes[i]);
	cds_tlog_builder_root(&b, root);
}

/* ==== Proofs ============================================================ */

static void
reverse(uint8_t (*h)[32], size_t n)
{
	uint8_t t[32];
	size_t i;

	for (i = 0; i < n / 2; i++) {
		memcpy(t, h[i], 32);
		memcpy(h[i], h[n - 1 - i], 32);
		memcpy(h[n - 1 - i], t, 32);
	}
}

/* PATH(m, D[n]) walked from the top: at each split, the sibling subtree
 * of the side that holds the leaf.  That lists the proof root side
 * first; RFC 9162 lists it leaf side first. */
int
cds_tlog_inclusion_proof(const uint8_t (*leaf_hashes)[32], size_t n,
			 uint64_t index, uint8_t proof[CDS_TLOG_PATH_MAX][32],
			 size_t *len)
{
	size_t lo = 0, sz = n, m, k = 0;

	*len = 0;
	if (index >= n)
		return -1;
	m = (size_t)index;
	while (sz > 1) {
		size_t s = (size_t)split_at(sz);

		if (m < s) {
			cds_tlog_root(leaf_hashes + lo + s, sz - s, proof[k++]);
			sz = s;
		} else {
			cds_tlog_root(leaf_hashes + lo, s, proof[k++]);
			lo += s;
			m -= s;
			sz -= s;
		}
	}
	reverse(proof, k);
	*len = k;
	return 0;
}

/* ---- Many proofs of one tree ---- */

/* levels[] holds level 1 (n / 2 roots of 2 leaves), then level 2 (n / 4
 * roots of 4), and so on: the perfect subtree i of level l covers the
 * leaves [i * 2^l, (i + 1) * 2^l) and exists when i < n >> l. */
size_t
cds_tlog_levels_len(size_t n)
{
	size_t len = 0;

	while ((n >>= 1) != 0)
		len += n;
	return len;
}

void
cds_tlog_levels_build(const uint8_t (*leaf_hashes)[32], size_t n,
		      uint8_t (*levels)[32])
{
	const uint8_t (*below)[32] = leaf_hashes;
	size_t i, k;

	for (k = n >> 1; k != 0; k >>= 1) {
		for (i = 0; i < k; i++)
			cds_tlog_node_hash(below[2 * i], below[2 * i + 1],
					   levels[i]);
		below = (const uint8_t (*)[32])levels;
		levels += k;
	}
}

/* The root of the perfect subtree of 2^l leaves that starts at leaf a (a
 * multiple of 2^l). */
static const uint8_t *
perfect(const uint8_t (*leaf_hashes)[32], size_t n,
	const uint8_t (*levels)[32], unsigned l, size_t a)
{
	size_t off = 0;
	unsigned j;

	if (l == 0)
		return leaf_hashes[a];
	for (j = 1; j < l; j++)
		off += n >> j;
	return levels[off + (a >> l)];
}

/* MTH of the len leaves from a, where a is a multiple of the largest power
 * of two not above len (so every part below is a perfect subtree): the
 * RFC split takes the largest power of two below len to the left, so the
 * root folds the parts of len's bits, largest first, from the right. */
static void
range_root(const uint8_t (*leaf_hashes)[32], size_t n,
	   const uint8_t (*levels)[32], size_t a, size_t len,
	   uint8_t out[32])
{
	const uint8_t *part[64];
	size_t k = 0;
	unsigned l;

	for (l = 64; l-- > 0;) {
		if (!((len >> l) & 1))
			continue;
		part[k++] = perfect(leaf_hashes, n, levels, l, a);
		a += (size_t)1 << l;
	}
	memcpy(out, part[--k], 32);
	while (k-- > 0)
		cds_tlog_node_hash(part[k], out, out);
}

void
cds_tlog_levels_root(const uint8_t (*leaf_hashes)[32], size_t n,
		     const uint8_t (*levels)[32], uint8_t root[32])
{
	if (n == 0) {
		crypto_hash_sha256(root, NULL, 0);
		return;
	}
	range_root(leaf_hashes, n, levels, 0, n, root);
}

/* cds_tlog_inclusion_proof's walk, with each sibling's root from the
 * levels: at every step lo is a multiple of the split s, so the left
 * sibling is a perfect subtree and the right one a range_root. */
int
cds_tlog_levels_proof(const uint8_t (*leaf_hashes)[32], size_t n,
		      const uint8_t (*levels)[32], uint64_t index,
		      uint8_t proof[CDS_TLOG_PATH_MAX][32], size_t *len)
{
	size_t lo = 0, sz = n, m, k = 0;
	unsigned l;

	*len = 0;
	if (index >= n)
		return -1;
	m = (size_t)index;
	while (sz > 1) {
		size_t s = (size_t)split_at(sz);

		for (l = 0; ((size_t)1 << l) < s; l++)
			;
		if (m < s) {
			range_root(leaf_hashes, n, levels, lo + s, sz - s,
				   proof[k++]);
			sz = s;
		} else {
			memcpy(proof[k++],
			       perfect(leaf_hashes, n, levels, l, lo), 32);
			lo += s;
			m -= s;
			sz -= s;
		}
	}
	reverse(proof, k);
	*len = k;
	return 0;
}

/* SUBPROOF(m, D[n], b) walked from the top the same way; when m reaches
 * the size of the subtree, its root ends the proof unless that subtree
 * is the old tree itself (b still true). */
int
cds_tlog_consistency_proof(const uint8_t (*leaf_hashes)[32], size_t n,
			   uint64_t m, uint8_t proof[CDS_TLOG_PATH_MAX][32],
			   size_t *len)
{
	size_t lo = 0, sz = n, mm, k = 0;
	int whole = 1;

	*len = 0;
	if (m == 0 || m > n)
		return -1;
	mm = (size_t)m;
	while (mm != sz) {
		size_t s = (size_t)split_at(sz);

		if (mm <= s) {
			cds_tlog_root(leaf_hashes + lo + s, sz - s, proof[k++]);
			sz = s;
		} else {
			cds_tlog_root(leaf_hashes + lo, s, proof[k++]);
			lo += s;
			mm -= s;
			sz -= s;
			whole = 0;
		}
	}
	if (!whole)
		cds_tlog_root(leaf_hashes + lo, sz, proof[k++]);
	reverse(proof, k);
	*len = k;
	return 0;
}

int
cds_tlog_inclusion_verify(uint64_t index, uint64_t size,
			  const uint8_t leaf_hash[32],
			  const uint8_t (*proof)[32], size_t len,
			  const uint8_t root[32])
{
	uint64_t fn, sn;
	uint8_t r[32];
	size_t i;

	if (index >= size || len > CDS_TLOG_PATH_MAX)
		return -1;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, 32);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			cds_tlog_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			cds_tlog_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && same(r, root) ? 0 : -1;
}

int
cds_tlog_consistency_verify(uint64_t m, uint64_t n, const uint8_t old_root[32],
			    const uint8_t new_root[32],
			    const uint8_t (*proof)[32], size_t len)
{
	uint8_t fr[32], sr[32];
	uint64_t fn, sn;
	size_t i;
	int pow2;

	if (m == 0 || m > n || len > CDS_TLOG_PATH_MAX)
		return -1;
	if (m == n)
		return len == 0 && same(old_root, new_root) ? 0 : -1;
	if (len == 0)
		return -1;
	/* Step 2: a power of two is a subtree of the new tree whose root the
	 * verifier has; the path is then old_root followed by the proof. */
	pow2 = (m & (m - 1)) == 0;
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, pow2 ? old_root : proof[0], 32);
	memcpy(sr, fr, 32);
	for (i = pow2 ? 0 : 1; i < len; i++) {
		const uint8_t *c = proof[i];

		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			cds_tlog_node_hash(c, fr, fr);
			cds_tlog_node_hash(c, sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			cds_tlog_node_hash(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && same(fr, old_root) && same(sr, new_root) ? 0 : -1;
}

/* ==== Text helpers ====================================================== */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends base64 (RFC 4648 section 4, padded) of p[0..n). */
static void
b64_put(cds_buf *b, const uint8_t *p, size_t n)
{
	char q[4];
	size_t i;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64chars[v >> 18 & 63];
		q[1] = b64chars[v >> 12 & 63];
		q[2] = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		cds_buf_bytes(b, q, 4);
	}
}

static int
b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static void
b64_emit(uint8_t *out, size_t cap, size_t *o, uint32_t byte)
{
	if (*o < cap)
		out[*o] = (uint8_t)byte;
	(*o)++;
}

/* Decodes s[0..n), padded base64 in its one canonical form (length a
 * multiple of 4, '=' only at the end, unused bits zero).  Writes at most
 * cap bytes to out and the decoded length, however long, to *total.
 * 0, or -1 when s is not that. */
static int
b64_get(const uint8_t *s, size_t n, uint8_t *out, size_t cap, size_t *total)
{
	size_t i, o = 0;

	*total = 0;
	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		int last = i + 4 == n, c, d;
		int a = b64_val(s[i]), b = b64_val(s[i + 1]);

		if (a < 0 || b < 0)
			return -1;
		b64_emit(out, cap, &o, (uint32_t)(a << 2 | b >> 4));
		if (last && s[i + 2] == '=') {
			if (s[i + 3] != '=' || (b & 0x0f) != 0)
				return -1;
			break;
		}
		if ((c = b64_val(s[i + 2])) < 0)
			return -1;
		b64_emit(out, cap, &o, (uint32_t)((b & 0x0f) << 4 | c >> 2));
		if (last && s[i + 3] == '=') {
			if ((c & 0x03) != 0)
				return -1;
			break;
		}
		if ((d = b64_val(s[i + 3])) < 0)
			return -1;
		b64_emit(out, cap, &o, (uint32_t)((c & 0x03) << 6 | d));
	}
	*total = o;
	return 0;
}

enum { DEC_OK, DEC_NOT, DEC_ZERO, DEC_BIG };

/* An ASCII decimal with no leading zero (but "0"), below 2^64. */
static int
dec_get(const uint8_t *s, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0)
		return DEC_NOT;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return DEC_NOT;
	if (s[0] == '0' && n > 1)
		return DEC_ZERO;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (*v > (UINT64_MAX - d) / 10) {
			*v = 0;
			return DEC_BIG;
		}
		*v = *v * 10 + d;
	}
	return DEC_OK;
}

static void
dec_put(cds_buf *b, uint64_t v)
{
	char s[24];
	int k = snprintf(s, sizeof s, "%" PRIu64, v);

	cds_buf_bytes(b, s, (size_t)k);
}

/* The length (1-4) of the well-formed UTF-8 sequence at p[0..n) and its
 * code point; 0 if there is none (overlong, surrogate, past U+10FFFF,
 * cut short). */
static size_t
utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len, k;
	uint32_t c = p[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
	if (len == 0 || c > 0xf4 || n < len)
		return 0;
	c &= 0x3fu >> (len - 1);
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[k] & 0x3fu);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode's White_Space, as Go's unicode.IsSpace (signed-note names). */
static int
is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	       c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	       c == 0x3000;
}

/* p[0..n) is well-formed UTF-8 without control characters (below U+0020)
 * other than LF.  0; else -1 with *line (1-based) and *why. */
static int
text_ok(const uint8_t *p, size_t n, size_t *line, const char **why)
{
	size_t i = 0;
	uint32_t c;

	*line = 1;
	while (i < n) {
		size_t k = utf8_next(p + i, n - i, &c);

		if (k == 0) {
			*why = N_("not valid UTF-8");
			return -1;
		}
		if (c == '\n')
			(*line)++;
		else if (c < 0x20) {
			*why = N_("a control character");
			return -1;
		}
		i += k;
	}
	return 0;
}

/* 1 if s[0..n) is a key name: not empty, well-formed UTF-8, no control
 * character, no Unicode space, no '+', at most CDS_CKPT_ORIGIN_MAX
 * bytes. */
static int
name_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;
	uint32_t c;

	if (n == 0 || n > CDS_CKPT_ORIGIN_MAX)
		return 0;
	while (i < n) {
		size_t k = utf8_next(s + i, n - i, &c);

		if (k == 0 || c < 0x20 || is_space(c) || c == '+')
			return 0;
		i += k;
	}
	return 1;
}

/* 1 if s is one line of text: not empty, UTF-8, no control character, at
 * most CDS_CKPT_ORIGIN_MAX bytes. */
static int
line_ok(const char *s)
{
	size_t n = strlen(s), line;
	const char *why;

	return n > 0 && n <= CDS_CKPT_ORIGIN_MAX &&
	       text_ok((const uint8_t *)s, n, &line, &why) == 0 &&
	       memchr(s, '\n', n) == NULL;
}

struct line {
	const uint8_t *p;		/* its bytes, without the LF */
	size_t n;
};

/* The line at p[*off..n) that ends in LF; -1 if no LF follows. */
static int
line_get(const uint8_t *p, size_t n, size_t *off, struct line *l)
{
	const uint8_t *e;

	if (*off >= n ||
	    (e = memchr(p + *off, '\n', n - *off)) == NULL)
		return -1;
	l->p = p + *off;
	l->n = (size_t)(e - l->p);
	*off += l->n + 1;
	return 0;
}

static int
starts(const struct line *l, const char *s)
{
	size_t k = strlen(s);

	return l->n >= k && memcmp(l->p, s, k) == 0;
}

static int bad(char *err, size_t errlen, const char *what, size_t line,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "<what> line N: <why>", or "<what>: <why>" when line is 0; -1. */
static int
bad(char *err, size_t errlen, const char *what, size_t line, const char *fmt,
    ...)
{
	char why[2 * CDS_CKPT_ORIGIN_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(err, errlen, _("%s line %zu: %s"), _(what), line,
			 why);
	else
		snprintf(err, errlen, _("%s: %s"), _(what), why);
	return -1;
}

/* ==== Checkpoints ======================================================= */

static const char what_ckpt[] = N_("checkpoint");
static const char em_dash[] = "\xe2\x80\x94 ";	/* U+2014, a space */

/* prefix CODE "/" NODE, CODE percent-encoded (SPEC.md 12.4). */
static int
named(char out[CDS_CKPT_ORIGIN_MAX + 1], const char *prefix,
      const char *org_code, const uint8_t node[16])
{
	static const char hex[] = "0123456789abcdef", HEX[] =
		"0123456789ABCDEF";
	size_t n = strlen(org_code), i, o = strlen(prefix);

	out[0] = '\0';
	if (n == 0 || n > CDS_TRUST_STR_MAX)
		return -1;
	memcpy(out, prefix, o);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)org_code[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = HEX[c >> 4];
			out[o++] = HEX[c & 15];
		}
	}
	out[o++] = '/';
	for (i = 0; i < 16; i++) {
		out[o++] = hex[node[i] >> 4];
		out[o++] = hex[node[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

int
cds_tlog_origin(char out[CDS_CKPT_ORIGIN_MAX + 1], const char *org_code,
		const uint8_t node[16])
{
	return named(out, "cdsync.vn/hub/", org_code, node);
}

int
cds_tlog_witness_name(char out[CDS_CKPT_ORIGIN_MAX + 1], const char *org_code,
		      const uint8_t node[16])
{
	return named(out, "cdsync.vn/witness/", org_code, node);
}

#define ALG_ED25519 0x01		/* signed-note signature types */
#define ALG_COSIG 0x04			/* cosignature/v1, Ed25519 */
#define SIG_NOTE (4 + 64)		/* key ID, signature */
#define SIG_COSIG (4 + 8 + 64)		/* key ID, time, signature */

static void
key_id_alg(const uint8_t *name, size_t n, const uint8_t pk[32], uint8_t alg,
	   uint8_t id[4])
{
	crypto_hash_sha256_state st;
	const uint8_t sep[2] = { 0x0a, alg };
	uint8_t h[32];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, name, n);
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	memcpy(id, h, 4);
}

static void
key_id(const uint8_t *name, size_t n, const uint8_t pk[32], uint8_t id[4])
{
	key_id_alg(name, n, pk, ALG_ED25519, id);
}

void
cds_note_key_id(const char *name, const uint8_t pk[32], uint8_t id[4])
{
	key_id((const uint8_t *)name, strlen(name), pk, id);
}

void
cds_cosig_key_id(const char *name, const uint8_t pk[32], uint8_t id[4])
{
	key_id_alg((const uint8_t *)name, strlen(name), pk, ALG_COSIG, id);
}

/* 1 if sign_pk is the public half of sign_sk (libsodium's secret key is
 * the seed followed by the public key). */
static int
pair_ok(const uint8_t sign_sk[64], const uint8_t sign_pk[32])
{
	return sodium_memcmp(sign_sk + 32, sign_pk, 32) == 0;
}

/* Appends "— name base64(key ID || signature)" LF, the signature by
 * sign_sk over b->p[start..start + text_len). */
static void
sig_line(cds_buf *b, size_t start, size_t text_len, const char *name,
	 const uint8_t sign_sk[64], const uint8_t sign_pk[32])
{
	uint8_t s[4 + 64];

	if (b->rc != 0)
		return;
	cds_note_key_id(name, sign_pk, s);
	crypto_sign_detached(s + 4, NULL, b->p + start, text_len, sign_sk);
	cds_buf_bytes(b, em_dash, 4);
	cds_buf_bytes(b, name, strlen(name));
	cds_buf_byte(b, ' ');
	b64_put(b, s, sizeof s);
	cds_buf_byte(b, '\n');
}

void
cds_checkpoint_write(cds_buf *b, const char *origin, uint64_t size,
		     const uint8_t root[32], const char *key_name,
		     const uint8_t sign_sk[64], const uint8_t sign_pk[32])
{
	size_t start = b->n, text_len;

	if (b->rc != 0)
		return;
	if (!line_ok(origin) ||
	    !name_ok((const uint8_t *)key_name, strlen(key_name)) ||
	    !pair_ok(sign_sk, sign_pk)) {
		b->rc = CDSYNC_EINVAL;
		return;
	}
	cds_buf_bytes(b, origin, strlen(origin));
	cds_buf_byte(b, '\n');
	dec_put(b, size);
	cds_buf_byte(b, '\n');
	b64_put(b, root, 32);
	cds_buf_byte(b, '\n');
	text_len = b->n - start;
	cds_buf_byte(b, '\n');
	sig_line(b, start, text_len, key_name, sign_sk, sign_pk);
}

/* The offset of the blank line that ends the text of note p[0..n) (the
 * last LF LF: the text is p[0..split + 1)), or -1. */
static long
note_split(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = n; i >= 2; i--)
		if (p[i - 2] == '\n' && p[i - 1] == '\n')
			return (long)(i - 2);
	return -1;
}

/* The offset of the blank line of note[0..n) when one more signature
 * line by key_name may go on it (the shape of a signed note, room for a
 * line, a key name, a matching key pair), else -1. */
static long
one_more(const uint8_t *note, size_t n, const char *key_name,
	 const uint8_t sign_sk[64], const uint8_t sign_pk[32])
{
	size_t i, lines = 0;
	long split;

	split = n <= CDS_CKPT_MAX ? note_split(note, n) : -1;
	if (split < 0 || (size_t)split + 2 == n || note[n - 1] != '\n' ||
	    !name_ok((const uint8_t *)key_name, strlen(key_name)) ||
	    !pair_ok(sign_sk, sign_pk))
		return -1;
	for (i = (size_t)split + 2; i < n; i++)
		lines += note[i] == '\n';
	return lines >= CDS_CKPT_SIGS_MAX ? -1 : split;
}

void
cds_checkpoint_cosign(cds_buf *b, const uint8_t *note, size_t n,
		      const char *key_name, const uint8_t sign_sk[64],
		      const uint8_t sign_pk[32])
{
	size_t start = b->n;
	long split;

	if (b->rc != 0)
		return;
	if ((split = one_more(note, n, key_name, sign_sk, sign_pk)) < 0) {
		b->rc = CDSYNC_EINVAL;
		return;
	}
	cds_buf_bytes(b, note, n);
	sig_line(b, start, (size_t)split + 1, key_name, sign_sk, sign_pk);
	if (b->rc == 0 && b->n - start > CDS_CKPT_MAX) {
		b->n = start;
		b->rc = CDSYNC_EINVAL;
	}
}

/* Lines 1-3 and the extension lines of the text p[0..n) (n > 0, ending
 * in LF) into c; *lines is how many there are. */
static int
ckpt_text(const uint8_t *p, size_t n, struct cds_checkpoint *c,
	  size_t *lines, char *err, size_t errlen)
{
	struct line l;
	size_t off = 0, ln = 0, total;

	*lines = 0;
	while (line_get(p, n, &off, &l) == 0) {
		ln++;
		if (ln == 1) {
			if (l.n == 0)
				return bad(err, errlen, what_ckpt, ln,
					   _("empty origin"));
			if (l.n > CDS_CKPT_ORIGIN_MAX)
				return bad(err, errlen, what_ckpt, ln,
					   _("origin longer than %d bytes"),
					   CDS_CKPT_ORIGIN_MAX);
			memcpy(c->origin, l.p, l.n);
			c->origin[l.n] = '\0';
		} else if (ln == 2) {
			switch (dec_get(l.p, l.n, &c->size)) {
			case DEC_NOT:
				return bad(err, errlen, what_ckpt, ln,
					   _("tree size is not a decimal "
					     "number"));
			case DEC_ZERO:
				return bad(err, errlen, what_ckpt, ln,
					   _("tree size has a leading zero"));
			case DEC_BIG:
				return bad(err, errlen, what_ckpt, ln,
					   _("tree size is too large"));
			default:
				break;
			}
		} else if (ln == 3) {
			if (b64_get(l.p, l.n, c->root, 32, &total) != 0)
				return bad(err, errlen, what_ckpt, ln,
					   _("root hash is not base64"));
			if (total != 32)
				return bad(err, errlen, what_ckpt, ln,
					   _("root hash is not 32 bytes"));
		} else {
			if (l.n == 0)
				return bad(err, errlen, what_ckpt, ln,
					   _("empty extension line"));
			c->next++;
		}
	}
	*lines = ln;
	if (ln < 3)
		return bad(err, errlen, what_ckpt, 0,
			   _("fewer than 3 lines before the blank line"));
	return 0;
}

/* One signature line: its key name and the first 76 bytes of its
 * decoded signature (a cosignature's length), *total its decoded
 * length. */
struct sigline {
	const uint8_t *name;
	size_t name_n;
	uint8_t sig[SIG_COSIG];
	size_t total;
};

static int
sig_parse(const struct line *l, struct sigline *s, size_t ln, char *err,
	  size_t errlen)
{
	const uint8_t *sp;

	if (!starts(l, em_dash))
		return bad(err, errlen, what_ckpt, ln,
			   _("not a signature line (an em dash, a space, a key "
			     "name, a space, the signature)"));
	s->name = l->p + 4;
	sp = memchr(s->name, ' ', l->n - 4);
	if (sp == NULL)
		return bad(err, errlen, what_ckpt, ln,
			   _("no signature after the key name"));
	s->name_n = (size_t)(sp - s->name);
	if (!name_ok(s->name, s->name_n))
		return bad(err, errlen, what_ckpt, ln, _("bad key name"));
	sp++;
	if (b64_get(sp, (size_t)(l->p + l->n - sp), s->sig, sizeof s->sig,
		    &s->total) != 0)
		return bad(err, errlen, what_ckpt, ln,
			   _("signature is not base64"));
	if (s->total < 5)
		return bad(err, errlen, what_ckpt, ln,
			   _("signature too short"));
	return 0;
}

/* 1 if line s is by key k: same name and key ID. */
static int
sig_by(const struct sigline *s, const struct cds_note_key *k)
{
	uint8_t id[4];

	if (k->name == NULL || s->name == NULL ||
	    strlen(k->name) != s->name_n ||
	    memcmp(k->name, s->name, s->name_n) != 0)
		return 0;
	key_id(s->name, s->name_n, k->pk, id);
	return memcmp(id, s->sig, 4) == 0;	/* public IDs, not secret */
}

static int
ckpt_read(const uint8_t *p, size_t n, const struct cds_note_key *keys,
	  size_t nkeys, struct cds_checkpoint *c, unsigned char *signed_by,
	  char *err, size_t errlen)
{
	struct sigline s;
	struct line l;
	const char *why;
	size_t ln, first = 0, off, k;
	long split;
	int by_log = 0;

	if (keys == NULL || nkeys == 0)
		return bad(err, errlen, what_ckpt, 0,
			   _("no key to check it with"));
	if (n > CDS_CKPT_MAX)
		return bad(err, errlen, what_ckpt, 0,
			   _("longer than %d bytes"), CDS_CKPT_MAX);
	if (text_ok(p, n, &ln, &why) != 0)
		return bad(err, errlen, what_ckpt, ln, "%s", _(why));
	if ((split = note_split(p, n)) < 0)
		return bad(err, errlen, what_ckpt, 0,
			   _("no blank line between the text and the "
			     "signatures"));
	c->text_len = (size_t)split + 1;
	if (c->text_len + 1 == n)
		return bad(err, errlen, what_ckpt, 0, _("no signature lines"));
	/* Lines are counted over the whole note: the text, the blank line,
	 * then the signatures. */
	if (ckpt_text(p, c->text_len, c, &first, err, errlen) != 0)
		return -1;
	first += 2;
	memset(&s, 0, sizeof s);
	off = c->text_len + 1;
	for (ln = first; off < n; ln++) {
		if (line_get(p, n, &off, &l) != 0)
			return bad(err, errlen, what_ckpt, ln,
				   _("the last line does not end in a "
				     "newline"));
		if (ln - first == CDS_CKPT_SIGS_MAX)
			return bad(err, errlen, what_ckpt, 0,
				   _("more than %d signatures"),
				   CDS_CKPT_SIGS_MAX);
		if (sig_parse(&l, &s, ln, err, errlen) != 0)
			return -1;
	}
	c->nsig = ln - first;
	/* Every line is well formed: now the signatures of known keys. */
	off = c->text_len + 1;
	for (ln = first; line_get(p, n, &off, &l) == 0; ln++) {
		if (sig_parse(&l, &s, ln, err, errlen) != 0)
			return -1;	/* not after the first pass */
		for (k = 0; k < nkeys; k++) {
			if (!sig_by(&s, &keys[k]))
				continue;
			if (s.total != SIG_NOTE ||
			    crypto_sign_verify_detached(s.sig + 4, p,
							c->text_len,
							keys[k].pk) != 0)
				return bad(err, errlen, what_ckpt, ln,
					   _("the signature by %s does not "
					     "verify"), keys[k].name);
			if (k == 0)
				by_log = 1;
			if (signed_by != NULL)
				signed_by[k] = 1;
		}
	}
	if (!by_log)
		return bad(err, errlen, what_ckpt, 0,
			   _("no signature by %s"), keys[0].name);
	return 0;
}

int
cds_checkpoint_read(const uint8_t *p, size_t n,
		    const struct cds_note_key *keys, size_t nkeys,
		    struct cds_checkpoint *c, unsigned char *signed_by,
		    char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	if (signed_by != NULL && nkeys > 0)
		memset(signed_by, 0, nkeys);
	if (ckpt_read(p, n, keys, nkeys, c, signed_by, err, errlen) == 0)
		return 0;
	memset(c, 0, sizeof *c);
	if (signed_by != NULL && nkeys > 0)
		memset(signed_by, 0, nkeys);
	return -1;
}

/* ==== Proof files ======================================================= */

static const char what_incl[] = N_("inclusion proof");
static const char what_cons[] = N_("consistency proof");
static const char proof_header[] = "c2sp.org/tlog-proof@v1";

#define INCL_PATH_MAX 64		/* an inclusion proof below 2^64 */
#define CONS_LINES_MAX 63		/* tlog-witness: at most 63 lines */

static void
hash_lines(cds_buf *b, const uint8_t (*proof)[32], size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		b64_put(b, proof[i], 32);
		cds_buf_byte(b, '\n');
	}
}

void
cds_tlog_inclusion_write(cds_buf *b, uint64_t index, const uint8_t *leaf,
			 size_t leaf_len, const uint8_t (*proof)[32],
			 size_t len, const uint8_t *ckpt, size_t ckpt_len)
{
	if (b->rc != 0)
		return;
	if (len > INCL_PATH_MAX || leaf_len > CDS_TLOG_EXTRA_MAX) {
		b->rc = CDSYNC_EINVAL;
		return;
	}
	cds_buf_bytes(b, proof_header, sizeof proof_header - 1);
	cds_buf_byte(b, '\n');
	if (leaf != NULL) {
		cds_buf_bytes(b, "extra ", 6);
		b64_put(b, leaf, leaf_len);
		cds_buf_byte(b, '\n');
	}
	cds_buf_bytes(b, "index ", 6);
	dec_put(b, index);
	cds_buf_byte(b, '\n');
	hash_lines(b, proof, len);
	cds_buf_byte(b, '\n');
	cds_buf_bytes(b, ckpt, ckpt_len);
}

void
cds_tlog_consistency_write(cds_buf *b, uint64_t old,
			   const uint8_t (*proof)[32], size_t len,
			   const uint8_t *ckpt, size_t ckpt_len)
{
	if (b->rc != 0)
		return;
	if (len > CONS_LINES_MAX) {
		b->rc = CDSYNC_EINVAL;
		return;
	}
	cds_buf_bytes(b, "old ", 4);
	dec_put(b, old);
	cds_buf_byte(b, '\n');
	hash_lines(b, proof, len);
	cds_buf_byte(b, '\n');
	cds_buf_bytes(b, ckpt, ckpt_len);
}

/* "index N" or "old N" at line ln. */
static int
number_line(const struct line *l, const char *word, uint64_t *v,
	    const char *what, size_t ln, char *err, size_t errlen)
{
	size_t k = strlen(word);

	if (!starts(l, word) || l->n == k || l->p[k] != ' ')
		return bad(err, errlen, what, ln, _("no \"%s\" line"), word);
	switch (dec_get(l->p + k + 1, l->n - k - 1, v)) {
	case DEC_NOT:
		return bad(err, errlen, what, ln,
			   _("%s is not a decimal number"), word);
	case DEC_ZERO:
		return bad(err, errlen, what, ln, _("%s has a leading zero"),
			   word);
	case DEC_BIG:
		return bad(err, errlen, what, ln, _("%s is too large"), word);
	default:
		return 0;
	}
}

/* The hash lines up to the blank line, then the checkpoint. */
static int
proof_rest(const uint8_t *p, size_t n, size_t off, size_t ln, size_t max,
	   struct cds_tlog_file *f, const char *what, char *err,
	   size_t errlen)
{
	struct line l;
	size_t total;

	for (;; ln++) {
		if (line_get(p, n, &off, &l) != 0)
			return bad(err, errlen, what, 0,
				   _("no blank line before the checkpoint"));
		if (l.n == 0)
			break;
		if (f->len == max)
			return bad(err, errlen, what, ln,
				   _("more than %zu hashes"), max);
		if (b64_get(l.p, l.n, f->path[f->len], 32, &total) != 0 ||
		    total != 32)
			return bad(err, errlen, what, ln,
				   _("not a base64 hash"));
		f->len++;
	}
	if (off == n)
		return bad(err, errlen, what, 0,
			   _("no checkpoint after the blank line"));
	f->ckpt = p + off;
	f->ckpt_len = n - off;
	return 0;
}

static int
incl_read(const uint8_t *p, size_t n, struct cds_tlog_file *f, char *err,
	  size_t errlen)
{
	struct line l;
	size_t off = 0, ln = 1;

	if (n > CDS_TLOG_FILE_MAX)
		return bad(err, errlen, what_incl, 0, _("longer than %d bytes"),
			   CDS_TLOG_FILE_MAX);
	if (line_get(p, n, &off, &l) != 0 ||
	    l.n != sizeof proof_header - 1 ||
	    memcmp(l.p, proof_header, l.n) != 0)
		return bad(err, errlen, what_incl, 1,
			   _("not a c2sp.org/tlog-proof@v1 file"));
	if (line_get(p, n, &off, &l) != 0)
		return bad(err, errlen, what_incl, 2, _("no \"%s\" line"),
			   "index");
	ln = 2;
	if (starts(&l, "extra ")) {
		if (b64_get(l.p + 6, l.n - 6, f->extra, sizeof f->extra,
			    &f->extra_len) != 0)
			return bad(err, errlen, what_incl, ln,
				   _("extra data is not base64"));
		if (f->extra_len > sizeof f->extra)
			return bad(err, errlen, what_incl, ln,
				   _("extra data longer than %d bytes"),
				   CDS_TLOG_EXTRA_MAX);
		f->has_extra = 1;
		if (line_get(p, n, &off, &l) != 0)
			return bad(err, errlen, what_incl, 3,
				   _("no \"%s\" line"), "index");
		ln = 3;
	}
	if (number_line(&l, "index", &f->at, what_incl, ln, err, errlen) != 0)
		return -1;
	return proof_rest(p, n, off, ln + 1, INCL_PATH_MAX, f, what_incl, err,
			  errlen);
}

int
cds_tlog_inclusion_read(const uint8_t *p, size_t n, struct cds_tlog_file *f,
			char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	if (incl_read(p, n, f, err, errlen) == 0)
		return 0;
	memset(f, 0, sizeof *f);
	return -1;
}

static int
cons_read(const uint8_t *p, size_t n, struct cds_tlog_file *f, char *err,
	  size_t errlen)
{
	struct line l;
	size_t off = 0;

	if (n > CDS_TLOG_FILE_MAX)
		return bad(err, errlen, what_cons, 0, _("longer than %d bytes"),
			   CDS_TLOG_FILE_MAX);
	if (line_get(p, n, &off, &l) != 0)
		return bad(err, errlen, what_cons, 1, _("no \"%s\" line"),
			   "old");
	if (number_line(&l, "old", &f->at, what_cons, 1, err, errlen) != 0 ||
	    proof_rest(p, n, off, 2, CONS_LINES_MAX, f, what_cons, err,
		       errlen) != 0)
		return -1;
	if (f->at == 0 && f->len > 0)
		return bad(err, errlen, what_cons, 2,
			   _("a proof from size 0 must be empty"));
	return 0;
}

int
cds_tlog_consistency_read(const uint8_t *p, size_t n,
			  struct cds_tlog_file *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	if (cons_read(p, n, f, err, errlen) == 0)
		return 0;
	memset(f, 0, sizeof *f);
	return -1;
}

static int
incl_check(const uint8_t *p, size_t n, const struct cds_note_key *keys,
	   size_t nkeys, struct cds_checkpoint *c, struct cds_tlog_leaf *leaf,
	   unsigned char *signed_by, char *err, size_t errlen,
	   uint64_t *index)
{
	struct cds_tlog_file f;
	uint8_t h[32];

	if (cds_tlog_inclusion_read(p, n, &f, err, errlen) != 0 ||
	    cds_checkpoint_read(f.ckpt, f.ckpt_len, keys, nkeys, c,
				signed_by, err, errlen) != 0)
		return -1;
	if (!f.has_extra)
		return bad(err, errlen, what_incl, 0,
			   _("no leaf (the extra line is missing)"));
	if (cds_tlog_leaf_decode(f.extra, f.extra_len, leaf, err, errlen) != 0)
		return -1;
	if (f.at >= c->size)
		return bad(err, errlen, what_incl, 0,
			   _("leaf %llu is past the end of the tree of size "
			     "%llu"), (unsigned long long)f.at,
			   (unsigned long long)c->size);
	cds_tlog_leaf_hash(f.extra, f.extra_len, h);
	if (cds_tlog_inclusion_verify(f.at, c->size, h,
				      (const uint8_t (*)[32])f.path, f.len,
				      c->root) != 0)
		return bad(err, errlen, what_incl, 0,
			   _("the proof does not lead from leaf %llu to the "
			     "root of the tree of size %llu"),
			   (unsigned long long)f.at,
			   (unsigned long long)c->size);
	*index = f.at;
	return 0;
}

int
cds_tlog_inclusion_check(const uint8_t *p, size_t n,
			 const struct cds_note_key *keys, size_t nkeys,
			 struct cds_checkpoint *c, struct cds_tlog_leaf *leaf,
			 uint64_t *index, unsigned char *signed_by, char *err,
			 size_t errlen)
{
	*index = 0;
	memset(leaf, 0, sizeof *leaf);
	if (incl_check(p, n, keys, nkeys, c, leaf, signed_by, err, errlen,
		       index) == 0)
		return 0;
	*index = 0;
	memset(leaf, 0, sizeof *leaf);
	memset(c, 0, sizeof *c);
	if (signed_by != NULL && nkeys > 0)
		memset(signed_by, 0, nkeys);
	return -1;
}

static int
cons_check(const uint8_t *p, size_t n, const struct cds_note_key *keys,
	   size_t nkeys, const struct cds_checkpoint *old,
	   struct cds_checkpoint *c, unsigned char *signed_by, char *err,
	   size_t errlen)
{
	struct cds_tlog_file f;

	if (cds_tlog_consistency_read(p, n, &f, err, errlen) != 0)
		return -1;
	if (f.at != old->size)
		return bad(err, errlen, what_cons, 0,
			   _("the proof is from size %llu, not from the "
			     "trusted size %llu"), (unsigned long long)f.at,
			   (unsigned long long)old->size);
	if (cds_checkpoint_read(f.ckpt, f.ckpt_len, keys, nkeys, c, signed_by,
				err, errlen) != 0)
		return -1;
	if (strcmp(c->origin, old->origin) != 0)
		return bad(err, errlen, what_cons, 0,
			   _("the checkpoint is of the log %s, not of %s"),
			   c->origin, old->origin);
	if (c->size < old->size)
		return bad(err, errlen, what_cons, 0,
			   _("the log shrank from %llu to %llu leaves"),
			   (unsigned long long)old->size,
			   (unsigned long long)c->size);
	if (old->size == 0)
		return bad(err, errlen, what_cons, 0,
			   _("nothing to check from a tree of size 0"));
	if (c->size == old->size && !same(c->root, old->root))
		return bad(err, errlen, what_cons, 0,
			   _("two different roots for the tree of size %llu"),
			   (unsigned long long)c->size);
	if (cds_tlog_consistency_verify(old->size, c->size, old->root,
					c->root,
					(const uint8_t (*)[32])f.path, f.len) !=
	    0)
		return bad(err, errlen, what_cons, 0,
			   _("the tree of size %llu does not extend the "
			     "trusted tree of size %llu"),
			   (unsigned long long)c->size,
			   (unsigned long long)old->size);
	return 0;
}

int
cds_tlog_consistency_check(const uint8_t *p, size_t n,
			   const struct cds_note_key *keys, size_t nkeys,
			   const struct cds_checkpoint *old,
			   struct cds_checkpoint *c, unsigned char *signed_by,
			   char *err, size_t errlen)
{
	if (cons_check(p, n, keys, nkeys, old, c, signed_by, err, errlen) ==
	    0)
		return 0;
	memset(c, 0, sizeof *c);
	if (signed_by != NULL && nkeys > 0)
		memset(signed_by, 0, nkeys);
	return -1;
}

int
cds_tlog_origin_node(const uint8_t *note, size_t n, uint8_t node[16])
{
	static const char pre[] = "cdsync.vn/hub/";
	const uint8_t *nl = memchr(note, '\n', n);
	char hex[33];

	if (nl == NULL || nl - note < (ptrdiff_t)(sizeof pre - 1) + 34 ||
	    memcmp(note, pre, sizeof pre - 1) != 0 || nl[-33] != '/')
		return -1;
	memcpy(hex, nl - 32, 32);
	hex[32] = '\0';
	return cds_id_parse(hex, node);
}

/* ==== Cosignatures (c2sp.org/tlog-cosignature, cosignature/v1) ======== */

static void
be64_put(uint8_t p[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
be64_get(const uint8_t p[8])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The message a cosignature signs: "cosignature/v1" LF "time " T LF, then
 * the text text[0..n).  NULL when out of memory. */
static uint8_t *
cosig_message(const uint8_t *text, size_t n, uint64_t t, size_t *len)
{
	char head[48];
	uint8_t *m;
	int h = snprintf(head, sizeof head, "cosignature/v1\ntime %llu\n",
			 (unsigned long long)t);

	if ((m = cds_malloc((size_t)h + n)) == NULL)
		return NULL;
	memcpy(m, head, (size_t)h);
	memcpy(m + h, text, n);
	*len = (size_t)h + n;
	return m;
}

void
cds_cosig_write(cds_buf *b, const uint8_t *note, size_t n, const char *name,
		const uint8_t sign_sk[64], const uint8_t sign_pk[32],
		uint64_t t)
{
	uint8_t s[SIG_COSIG], *m;
	size_t start = b->n, mlen = 0;
	long split;

	if (b->rc != 0)
		return;
	if (t > (uint64_t)INT64_MAX ||
	    (split = one_more(note, n, name, sign_sk, sign_pk)) < 0) {
		b->rc = CDSYNC_EINVAL;
		return;
	}
	if ((m = cosig_message(note, (size_t)split + 1, t, &mlen)) == NULL) {
		b->rc = CDSYNC_ENOMEM;
		return;
	}
	cds_cosig_key_id(name, sign_pk, s);
	be64_put(s + 4, t);
	crypto_sign_detached(s + 12, NULL, m, mlen, sign_sk);
	cds_free(m);
	cds_buf_bytes(b, note, n);
	cds_buf_bytes(b, em_dash, 4);
	cds_buf_bytes(b, name, strlen(name));
	cds_buf_byte(b, ' ');
	b64_put(b, s, sizeof s);
	cds_buf_byte(b, '\n');
	if (b->rc == 0 && b->n - start > CDS_CKPT_MAX) {
		b->n = start;
		b->rc = CDSYNC_EINVAL;
	}
}

/* 1 if line s is by witness k: same name and cosignature key ID. */
static int
cosig_by(const struct sigline *s, const struct cds_note_key *k)
{
	uint8_t id[4];

	if (k->name == NULL || s->name == NULL ||
	    strlen(k->name) != s->name_n ||
	    memcmp(k->name, s->name, s->name_n) != 0)
		return 0;
	key_id_alg(s->name, s->name_n, k->pk, ALG_COSIG, id);
	return memcmp(id, s->sig, 4) == 0;	/* public IDs, not secret */
}

int
cds_cosig_check(const uint8_t *p, size_t n, const struct cds_note_key *w,
		size_t nw, struct cds_cosig *found, char *err, size_t errlen)
{
	struct cds_checkpoint c;
	struct sigline s;
	struct line l;
	uint8_t *m = NULL;
	size_t ln, off, k, mlen = 0, first = 0;

	if (found != NULL)
		for (k = 0; k < nw; k++) {
			found[k].time = UINT64_MAX;
			found[k].off = found[k].len = 0;
		}
	memset(&c, 0, sizeof c);
	/* the shape first, with what cds_checkpoint_read says of it */
	if (n > CDS_CKPT_MAX)
		return bad(err, errlen, what_ckpt, 0, _("longer than %d bytes"),
			   CDS_CKPT_MAX);
	{
		const char *why;

		if (text_ok(p, n, &ln, &why) != 0)
			return bad(err, errlen, what_ckpt, ln, "%s", _(why));
	}
	{
		long split = note_split(p, n);

		if (split < 0)
			return bad(err, errlen, what_ckpt, 0,
				   _("no blank line between the text and the "
				     "signatures"));
		c.text_len = (size_t)split + 1;
	}
	if (ckpt_text(p, c.text_len, &c, &first, err, errlen) != 0)
		return -1;
	first += 2;
	off = c.text_len + 1;
	memset(&s, 0, sizeof s);
	for (ln = first; off < n; ln++) {
		size_t at = off;
		uint64_t t;

		if (line_get(p, n, &off, &l) != 0)
			return bad(err, errlen, what_ckpt, ln,
				   _("the last line does not end in a "
				     "newline"));
		if (sig_parse(&l, &s, ln, err, errlen) != 0)
			return -1;
		for (k = 0; k < nw; k++) {
			if (!cosig_by(&s, &w[k]))
				continue;
			t = s.total == SIG_COSIG ? be64_get(s.sig + 4) : 0;
			if (s.total == SIG_COSIG && t <= (uint64_t)INT64_MAX) {
				cds_free(m);
				if ((m = cosig_message(p, c.text_len, t,
						       &mlen)) == NULL) {
					(void)bad(err, errlen, what_ckpt, ln,
						  "%s", _("out of memory"));
					return -2;
				}
			}
			if (s.total != SIG_COSIG || t > (uint64_t)INT64_MAX ||
			    crypto_sign_verify_detached(s.sig + 12, m, mlen,
							w[k].pk) != 0) {
				cds_free(m);
				return bad(err, errlen, what_ckpt, ln,
					   _("the cosignature by %s does not "
					     "verify"),
					   w[k].name);
			}
			if (found != NULL && (found[k].time == UINT64_MAX ||
					      t > found[k].time)) {
				found[k].time = t;
				found[k].off = at;
				found[k].len = off - at;
			}
		}
	}
	cds_free(m);
	return 0;
}
