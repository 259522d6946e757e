/* tlog.h -- the hub's transparency log (SPEC.md "Transparency log").
 *
 * Every bundle a hub takes in becomes one leaf of a Merkle tree hashed as
 * in RFC 9162 section 2.1 (SHA-256; leaf hash SHA-256(0x00 || leaf),
 * interior SHA-256(0x01 || left || right); a tree of n leaves splits at
 * the largest power of two below n).  The hub signs checkpoints (tree
 * heads) as C2SP signed notes; auditors check, offline, inclusion proofs
 * (c2sp.org/tlog-proof@v1 files) and consistency proofs (the body of a
 * c2sp.org/tlog-witness add-checkpoint request) against them.
 *
 * Pure functions, no store, no allocation except through the cds_buf of
 * the writers (whose errors stick in b->rc: CDSYNC_EINVAL for arguments
 * the format cannot carry, CDSYNC_ENOMEM).  The readers and verifiers
 * take untrusted bytes, read nothing past n, allocate nothing, and
 * return 0, or -1 with err saying what and where ("checkpoint line 3:
 * root hash is not base64").  After a failure their outputs are zeroed.
 * No global state: every function may run on any thread.
 *
 * Proof hashes travel as arrays of 32-byte hashes, the leaf side first,
 * as RFC 9162 orders them.  Tree sizes and indices are uint64_t; in-memory
 * lists of leaf hashes are indexed by size_t.
 */
#ifndef CDS_TLOG_H
#define CDS_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define CDS_TLOG_HASH 32		/* SHA-256 */
/* The longest proof of a tree below 2^64 leaves: an inclusion proof has
 * at most 64 hashes, a consistency proof at most 65. */
#define CDS_TLOG_PATH_MAX 65
#define CDS_TLOG_LEAF_BYTES 65		/* a leaf (SPEC.md 12.1) */
#define CDS_TLOG_LEAF_BUNDLE 1		/* leaf kind: a bundle taken in */
#define CDS_CKPT_MAX 131072		/* a signed note, at most (bytes) */
#define CDS_CKPT_SIGS_MAX 100		/* signature lines, at most */
#define CDS_CKPT_ORIGIN_MAX 1023	/* an origin or key name (bytes) */
#define CDS_TLOG_EXTRA_MAX 256		/* extra data of a proof file */
#define CDS_TLOG_FILE_MAX (CDS_CKPT_MAX + 8192)	/* a proof file */

/* ==== Leaves ============================================================ */

/* One bundle the hub took in (merged or held for a gap). */
struct cds_tlog_leaf {
	uint8_t hash[32];		/* the bundle's hash (SPEC.md 7.2) */
	uint8_t node[16];		/* its sender */
	uint64_t seq;			/* its number in the sender's chain */
	uint64_t seen_ms;		/* first taken in, by the hub's clock */
};

/* The 65 bytes of a leaf: kind 1, hash, node, seq and seen_ms big-endian. */
void cds_tlog_leaf_encode(const struct cds_tlog_leaf *l,
			  uint8_t out[CDS_TLOG_LEAF_BYTES]);
/* Parses a leaf: exactly 65 bytes, kind 1, seq >= 1.  0, or -1 with err
 * ("leaf offset 0: unknown kind"). */
int cds_tlog_leaf_decode(const uint8_t *p, size_t n, struct cds_tlog_leaf *l,
			 char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* RFC 9162 hashes: SHA-256(0x00 || p[0..n)) of any leaf input, and
 * SHA-256(0x01 || left || right). */
void cds_tlog_leaf_hash(const uint8_t *p, size_t n, uint8_t out[32]);
void cds_tlog_node_hash(const uint8_t left[32], const uint8_t right[32],
			uint8_t out[32]);

/* ==== Trees ============================================================= */

/* MTH over n leaf hashes (n = 0: SHA-256 of nothing).  O(n) time, no
 * recursion, O(log n) memory. */
void cds_tlog_root(const uint8_t (*leaf_hashes)[32], size_t n,
		   uint8_t root[32]);

/* The incremental builder (a "compact range" from 0): the roots of the
 * perfect subtrees the tree of `size` leaves is made of, one for each bit
 * set in size, the largest (leftmost) first.  A hub keeps this (at most
 * 64 hashes) and its tree head without rereading its log.  A value type
 * of fixed size: declare it, cds_tlog_builder_init it; nothing to free.
 * The fields may be stored and put back as they were. */
struct cds_tlog_builder {
	uint64_t size;			/* leaves so far */
	uint8_t part[64][32];		/* part[0..popcount(size)) */
};

void cds_tlog_builder_init(struct cds_tlog_builder *b);
/* Appends one leaf hash.  0; -1 when the tree has 2^64 - 1 leaves
 * already (nothing changes). */
int cds_tlog_builder_push(struct cds_tlog_builder *b,
			  const uint8_t leaf_hash[32]);
/* The root of the tree of b->size leaves (cds_tlog_root of them). */
void cds_tlog_builder_root(const struct cds_tlog_builder *b,
			   uint8_t root[32]);

/* ==== Proofs (RFC 9162 2.1.3 and 2.1.4) ================================= */

/* PATH(index, D[n]): the inclusion proof of leaf `index` in the tree of
 * the n leaf hashes, into proof[] (room for CDS_TLOG_PATH_MAX), *len
 * hashes.  0; -1 when index >= n (*len = 0). */
int cds_tlog_inclusion_proof(const uint8_t (*leaf_hashes)[32], size_t n,
			     uint64_t index,
			     uint8_t proof[CDS_TLOG_PATH_MAX][32], size_t *len);
/* Many inclusion proofs of one tree (a hub's export writes one beside
 * each receipt): the roots of the perfect subtrees above the leaves --
 * of 2 leaves, of 4, ... -- kept level after level in levels[], which the
 * caller allocates with room for cds_tlog_levels_len(n) hashes (fewer
 * than n) and fills once with cds_tlog_levels_build (O(n)).  Then each
 * proof costs O(log^2 n) hashes instead of O(n), and cds_tlog_levels_root
 * O(log n).  They give the same bytes as cds_tlog_inclusion_proof and
 * cds_tlog_root over the same leaf hashes, which must not change in
 * between. */
size_t cds_tlog_levels_len(size_t n);
void cds_tlog_levels_build(const uint8_t (*leaf_hashes)[32], size_t n,
			   uint8_t (*levels)[32]);
void cds_tlog_levels_root(const uint8_t (*leaf_hashes)[32], size_t n,
			  const uint8_t (*levels)[32], uint8_t root[32]);
/* As cds_tlog_inclusion_proof: 0; -1 when index >= n (*len = 0). */
int cds_tlog_levels_proof(const uint8_t (*leaf_hashes)[32], size_t n,
			  const uint8_t (*levels)[32], uint64_t index,
			  uint8_t proof[CDS_TLOG_PATH_MAX][32], size_t *len);
/* The verification of RFC 9162 2.1.3.2: 0 when proof[0..len) leads from
 * leaf_hash at `index` to `root` in a tree of `size` leaves; -1 otherwise,
 * and when index >= size or len > CDS_TLOG_PATH_MAX. */
int cds_tlog_inclusion_verify(uint64_t index, uint64_t size,
			      const uint8_t leaf_hash[32],
			      const uint8_t (*proof)[32], size_t len,
			      const uint8_t root[32])
	__attribute__((warn_unused_result));

/* PROOF(m, D[n]): the consistency proof from the tree of the first m leaf
 * hashes to the tree of all n, into proof[] (room for CDS_TLOG_PATH_MAX),
 * *len hashes; empty when m = n.  0; -1 when m = 0 or m > n. */
int cds_tlog_consistency_proof(const uint8_t (*leaf_hashes)[32], size_t n,
			       uint64_t m,
			       uint8_t proof[CDS_TLOG_PATH_MAX][32],
			       size_t *len);
/* The verification of RFC 9162 2.1.4.2: 0 when proof[0..len) shows that
 * the tree of m leaves with old_root is the start of the tree of n leaves
 * with new_root.  m = n: 0 when the proof is empty and the roots are
 * equal.  -1 otherwise, and always when m = 0, m > n or len >
 * CDS_TLOG_PATH_MAX. */
int cds_tlog_consistency_verify(uint64_t m, uint64_t n,
				const uint8_t old_root[32],
				const uint8_t new_root[32],
				const uint8_t (*proof)[32], size_t len)
	__attribute__((warn_unused_result));

/* ==== Checkpoints (C2SP signed notes) =================================== */

/* The origin of a cdsync hub's log, which is also its key name:
 * "cdsync.vn/hub/" CODE "/" NODE, CODE the org code with every byte
 * outside A-Z a-z 0-9 - . _ ~ written %XX, NODE the 32 hex digits of
 * the hub's node id.  0; -1 when org_code is empty or over 255 bytes. */
int cds_tlog_origin(char out[CDS_CKPT_ORIGIN_MAX + 1], const char *org_code,
		    const uint8_t node[16]);

/* The node id NODE of a checkpoint whose first line (its origin) is that
 * of a cdsync hub, "cdsync.vn/hub/CODE/NODE": 0, or -1 for another
 * origin. */
int cds_tlog_origin_node(const uint8_t *note, size_t n, uint8_t node[16]);

/* The 4-byte key ID of an Ed25519 key in signed notes:
 * SHA-256(name || 0x0A || 0x01 || pk)[0..4). */
void cds_note_key_id(const char *name, const uint8_t pk[32], uint8_t id[4]);

/* A key a reader believes: a name and an Ed25519 public key. */
struct cds_note_key {
	const char *name;		/* the key name, e.g. the origin */
	uint8_t pk[32];
};

struct cds_checkpoint {
	char origin[CDS_CKPT_ORIGIN_MAX + 1];	/* line 1 */
	uint64_t size;			/* line 2: the tree size */
	uint8_t root[32];		/* line 3: its root hash */
	size_t next;			/* extension lines (not interpreted) */
	size_t text_len;		/* bytes the signatures cover */
	size_t nsig;			/* signature lines, known keys or not */
};

/* Writes the checkpoint of a tree (origin, size, root) signed by one
 * Ed25519 key (sign_sk, whose public half is sign_pk) under key_name.
 * The origin must be one line of UTF-8 without control characters, at
 * most CDS_CKPT_ORIGIN_MAX bytes; the key name the same, without Unicode
 * spaces or '+'; else b->rc = CDSYNC_EINVAL (also when sign_pk is not
 * the public half of sign_sk). */
void cds_checkpoint_write(cds_buf *b, const char *origin, uint64_t size,
			  const uint8_t root[32], const char *key_name,
			  const uint8_t sign_sk[64], const uint8_t sign_pk[32]);
/* Writes note[0..n) with one more signature line, by sign_sk under
 * key_name, over the same text (a second key of the hub during a
 * hand-over; any co-signer).  The note must have the shape of a signed
 * note (its signatures are not checked: read it first) and the result
 * must stay within CDS_CKPT_MAX bytes and CDS_CKPT_SIGS_MAX lines; else
 * b->rc = CDSYNC_EINVAL. */
void cds_checkpoint_cosign(cds_buf *b, const uint8_t *note, size_t n,
			   const char *key_name, const uint8_t sign_sk[64],
			   const uint8_t sign_pk[32]);
/* Reads a checkpoint p[0..n) with bounds and checks its signatures
 * against keys[0..nkeys) (nkeys >= 1).  keys[0] is the log's own key; the
 * others are any more keys the caller believes (the hub's next key,
 * witnesses).  A signature line whose name and key ID are those of a
 * given key must verify; lines of other keys are ignored (signed-note).
 * 0 when the note is well formed, keys[0] signed it and every line of a
 * given key verified; signed_by[i] (if not NULL: nkeys bytes) is then 1
 * for each key that signed, else 0.  -1 with err otherwise.  The origin
 * is returned, not judged: compare it with the one expected. */
int cds_checkpoint_read(const uint8_t *p, size_t n,
			const struct cds_note_key *keys, size_t nkeys,
			struct cds_checkpoint *c, unsigned char *signed_by,
			char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* ==== Cosignatures (c2sp.org/tlog-cosignature@v1, SPEC.md 12.9) ====== */

/* The name under which hub `node` of org `org_code` cosigns other hubs'
 * checkpoints as a witness: "cdsync.vn/witness/" CODE "/" NODE, encoded
 * as cds_tlog_origin.  0, or -1 as cds_tlog_origin. */
int cds_tlog_witness_name(char out[CDS_CKPT_ORIGIN_MAX + 1],
			  const char *org_code, const uint8_t node[16]);

/* The key ID of an Ed25519 cosigner: SHA-256(name || 0x0A || 0x04 ||
 * pk)[0..4). */
void cds_cosig_key_id(const char *name, const uint8_t pk[32], uint8_t id[4]);

/* Writes note[0..n) (a signed checkpoint, read and checked before) with
 * one more line: the cosignature/v1 of its text by sign_sk under name at
 * time t (seconds since 1970), "— name base64(key ID || t, 8 bytes big
 * endian || Ed25519 signature)", the signature over "cosignature/v1" LF
 * "time " t LF and the note's text.  EINVAL when the note has not the
 * shape of a signed note, name is not a key name, t > 2^63 - 1, the key
 * pair does not match, or the result would pass CDS_CKPT_MAX bytes or
 * CDS_CKPT_SIGS_MAX lines; ENOMEM. */
void cds_cosig_write(cds_buf *b, const uint8_t *note, size_t n,
		     const char *name, const uint8_t sign_sk[64],
		     const uint8_t sign_pk[32], uint64_t t);

/* A witness's cosignature found in a checkpoint: its time (UINT64_MAX:
 * none) and its line, p[off..off + len) with the LF. */
struct cds_cosig {
	uint64_t time;
	size_t off, len;
};

/* Checks the cosignatures of the checkpoint p[0..n) by witnesses
 * w[0..nw): a signature line whose name and cosignature key ID are a
 * witness's must be 76 bytes and verify; other lines are ignored (the
 * log's own signature is cds_checkpoint_read's).  found[k] (nw entries,
 * or NULL) is then witness k's cosignature, the newest if it signed
 * twice.  0, or -1 with err naming the line, or -2 out of memory. */
int cds_cosig_check(const uint8_t *p, size_t n, const struct cds_note_key *w,
		    size_t nw, struct cds_cosig *found, char *err,
		    size_t errlen)
	__attribute__((warn_unused_result));

/* ==== Proof files ======================================================= */

/* An inclusion proof file (c2sp.org/tlog-proof@v1) or a consistency proof
 * file (the tlog-witness add-checkpoint body), as read: nothing in it is
 * checked but its syntax. */
struct cds_tlog_file {
	uint64_t at;			/* the leaf's index, or the old size */
	uint8_t extra[CDS_TLOG_EXTRA_MAX];	/* inclusion: the leaf */
	size_t extra_len;
	int has_extra;			/* an "extra" line was there */
	uint8_t path[CDS_TLOG_PATH_MAX][32];	/* the proof */
	size_t len;			/* its hashes */
	const uint8_t *ckpt;		/* the checkpoint, inside the input */
	size_t ckpt_len;
};

/* Writes an inclusion proof file: the header line, "extra" with the leaf
 * bytes (leaf NULL: no extra line), "index", the proof, a blank line and
 * the checkpoint ckpt[0..ckpt_len) as it is.  EINVAL when len > 64 or
 * leaf_len > CDS_TLOG_EXTRA_MAX. */
void cds_tlog_inclusion_write(cds_buf *b, uint64_t index, const uint8_t *leaf,
			      size_t leaf_len, const uint8_t (*proof)[32],
			      size_t len, const uint8_t *ckpt,
			      size_t ckpt_len);
/* Writes a consistency proof file: "old M", the proof, a blank line and
 * the checkpoint of the new size.  EINVAL when len > 63. */
void cds_tlog_consistency_write(cds_buf *b, uint64_t old,
				const uint8_t (*proof)[32], size_t len,
				const uint8_t *ckpt, size_t ckpt_len);
/* Parse the two kinds of file with bounds (at most CDS_TLOG_FILE_MAX
 * bytes).  0, or -1 with err ("inclusion proof line 4: not a base64
 * hash"). */
int cds_tlog_inclusion_read(const uint8_t *p, size_t n,
			    struct cds_tlog_file *f, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int cds_tlog_consistency_read(const uint8_t *p, size_t n,
			      struct cds_tlog_file *f, char *err,
			      size_t errlen)
	__attribute__((warn_unused_result));

/* What an auditor runs on an inclusion proof file (SPEC.md 12.6): reads
 * it, reads and checks its checkpoint by keys (as cds_checkpoint_read),
 * decodes the leaf its extra line carries, and checks that the leaf is in
 * the checkpoint's tree at the index the file names.  0 with *c, *leaf,
 * *index (and signed_by) filled; -1 with err. */
int cds_tlog_inclusion_check(const uint8_t *p, size_t n,
			     const struct cds_note_key *keys, size_t nkeys,
			     struct cds_checkpoint *c,
			     struct cds_tlog_leaf *leaf, uint64_t *index,
			     unsigned char *signed_by, char *err,
			     size_t errlen)
	__attribute__((warn_unused_result));
/* The same for a consistency proof file, from a checkpoint `old` the
 * auditor already trusts: the file's old size must be old->size, its
 * checkpoint (checked by keys) of the same origin, no smaller, and the
 * proof must show that it extends old.  0 with *c filled; -1 with err. */
int cds_tlog_consistency_check(const uint8_t *p, size_t n,
			       const struct cds_note_key *keys, size_t nkeys,
			       const struct cds_checkpoint *old,
			       struct cds_checkpoint *c,
			       unsigned char *signed_by, char *err,
			       size_t errlen)
	__attribute__((warn_unused_result));

#endif
