#!/usr/bin/env python3
"""tlog_gen.py -- how tests/vectors/tlog.vec and tests/fuzz/corpus/tlog/
were made (SPEC.md "Transparency log").

Written apart from protocol/tlog.c, from the definitions of RFC 9162
section 2.1 (MTH, PATH, PROOF/SUBPROOF, over the leaf inputs, recursively,
as the RFC states them) and from c2sp.org/signed-note, tlog-checkpoint,
tlog-proof and tlog-witness, with Python's hashlib and the Ed25519 of
pyca/cryptography (OpenSSL).  Not run by the tests: run it by hand,

    python3 tests/vectors/tlog_gen.py

from the top of the source tree, and commit what it writes.  Ed25519 is
deterministic, so running it again writes the same bytes.
"""
import base64
import hashlib
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat)

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "fuzz", "corpus", "tlog")


# ---- RFC 9162 section 2.1, over the leaf inputs --------------------------

def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(d):
    return sha256(b"\x00" + d)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def split(n):
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    if len(d) == 0:
        return sha256(b"")
    if len(d) == 1:
        return leaf_hash(d[0])
    k = split(len(d))
    return node_hash(mth(d[:k]), mth(d[k:]))


def path(m, d):
    """PATH(m, D[n]): the inclusion proof of leaf m, leaf side first."""
    if len(d) <= 1:
        return []
    k = split(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = split(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m, d):
    """PROOF(m, D[n]) for 0 < m <= n (empty when m = n)."""
    return subproof(m, d, True)


# ---- Signed notes and checkpoints -----------------------------------------

def b64(b):
    return base64.b64encode(b).decode()


def key(seed_byte):
    sk = Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)
    pk = sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return sk, pk


def key_id(name, pk):
    return sha256(name.encode() + b"\n" + b"\x01" + pk)[:4]


def sig_line(text, name, sk, pk):
    sig = sk.sign(text)
    return ("\u2014 " + name + " " + b64(key_id(name, pk) + sig) +
            "\n").encode()


def cosig_line(text, name, sk, pk, t):
    """c2sp.org/tlog-cosignature@v1, Ed25519: key ID with type 0x04, the
    time (u64 big endian), the signature over the cosigned message."""
    kid = sha256(name.encode() + b"\n" + b"\x04" + pk)[:4]
    msg = b"cosignature/v1\n" + ("time %d\n" % t).encode() + text
    return ("\u2014 " + name + " " +
            b64(kid + t.to_bytes(8, "big") + sk.sign(msg)) + "\n").encode()


def checkpoint_text(origin, size, root):
    return ("%s\n%d\n%s\n" % (origin, size, b64(root))).encode()


def checkpoint(origin, size, root, signers):
    text = checkpoint_text(origin, size, root)
    return text + b"\n" + b"".join(sig_line(text, n, s, p)
                                   for (n, s, p) in signers)


def origin_of(code, node):
    """cdsync.vn/hub/<code, percent-encoded>/<node id in hex>."""
    keep = (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            b"0123456789-._~")
    enc = "".join(chr(c) if c in keep else "%%%02X" % c
                  for c in code.encode())
    return "cdsync.vn/hub/" + enc + "/" + node.hex()


def witness_of(code, node):
    """cdsync.vn/witness/<code, percent-encoded>/<node id in hex>."""
    return "cdsync.vn/witness/" + origin_of(code, node)[len("cdsync.vn/hub/"):]


def cdsync_leaf(h, node, seq, seen_ms):
    return (b"\x01" + h + node + seq.to_bytes(8, "big") +
            seen_ms.to_bytes(8, "big"))


# ---- The vectors ----------------------------------------------------------

# Leaf inputs: the eight of the RFC 6962 reference tests (Certificate
# Transparency's merkle_tree_test), then five more for the tree of 13.
LEAVES = [bytes.fromhex(x) for x in [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
    "70", "8081", "909192", "a0a1a2a3", "b0b1b2b3b4"]]

# The published roots of the reference tests, as a check of this script.
KNOWN = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

T0 = 1767225600000          # 2026-01-01T00:00:00Z
HUB = bytes([0x22]) * 16
CODE = "HN-CAUGIAY"


def main():
    out = []

    def put(name, data):
        out.append("%s %s" % (name, data.hex()))

    for n, want in KNOWN.items():
        assert mth(LEAVES[:n]).hex() == want, n
    for i, d in enumerate(LEAVES):
        put("leaf-%d" % i, d)
    for n in list(range(0, 9)) + [13]:
        put("root-%d" % n, mth(LEAVES[:n]))
    for n in (7, 13):
        for m in range(n):
            put("path-%d-%d" % (n, m), b"".join(path(m, LEAVES[:n])))
    for n in range(1, 9):
        for m in range(1, n):
            put("proof-%d-%d" % (m, n), b"".join(proof(m, LEAVES[:n])))
        assert proof(n, LEAVES[:n]) == []

    # A hub's log: five bundles of two schools, as the hub took them in.
    a, b = bytes([0x33]) * 16, bytes([0x34]) * 16
    taken = [(a, 1), (b, 1), (a, 2), (a, 3), (b, 2)]
    log = [cdsync_leaf(bytes([0x40 + i]) * 32, who, seq, T0 + 60000 * i)
           for i, (who, seq) in enumerate(taken)]
    origin = origin_of(CODE, HUB)
    sk1, pk1 = key(0x11)
    sk2, pk2 = key(0x12)        # the hub's next key, after a hand-over
    sk3, pk3 = key(0x13)        # a key nobody was told about
    put("origin", origin.encode())
    put("origin-odd", origin_of("Sở GD+ĐT 1/2%", HUB).encode())
    put("hub-pk", pk1)
    put("hub-pk-next", pk2)
    put("hub-key-id", key_id(origin, pk1))
    for i, lf in enumerate(log):
        put("log-leaf-%d" % i, lf)
        put("log-leaf-hash-%d" % i, leaf_hash(lf))
    c3 = checkpoint(origin, 3, mth(log[:3]), [(origin, sk1, pk1)])
    c5 = checkpoint(origin, 5, mth(log), [(origin, sk1, pk1)])
    c5two = checkpoint(origin, 5, mth(log),
                       [(origin, sk1, pk1), (origin, sk2, pk2)])
    c0 = checkpoint(origin, 0, mth([]), [(origin, sk1, pk1)])
    put("log-root-3", mth(log[:3]))
    put("log-root-5", mth(log))
    put("checkpoint-0", c0)
    put("checkpoint-3", c3)
    put("checkpoint-5", c5)
    put("checkpoint-5-two", c5two)
    incl = (b"c2sp.org/tlog-proof@v1\n" +
            ("extra %s\n" % b64(log[3])).encode() + b"index 3\n" +
            b"".join((b64(h) + "\n").encode() for h in path(3, log)) +
            b"\n" + c5)
    cons = (b"old 3\n" +
            b"".join((b64(h) + "\n").encode() for h in proof(3, log)) +
            b"\n" + c5)
    put("inclusion-3-5", incl)
    put("consistency-3-5", cons)

    # A witness: the district hub HN-BADINH (node 23 x 16, seed 21 x 32)
    # cosigns checkpoint-5 at 1767225600 (2026-01-01T00:00:00Z).
    wname = witness_of("HN-BADINH", bytes([0x23]) * 16)
    skw, pkw = key(0x21)
    text5 = checkpoint_text(origin, 5, mth(log))
    cos5 = c5 + cosig_line(text5, wname, skw, pkw, T0 // 1000)
    put("witness-name", wname.encode())
    put("witness-pk", pkw)
    put("witness-key-id", sha256(wname.encode() + b"\n\x04" + pkw)[:4])
    put("cosigned-5", cos5)

    with open(os.path.join(HERE, "tlog.vec"), "w") as f:
        f.write(HEADER)
        f.write("\n".join(out) + "\n")

    # ---- The fuzz corpus ----
    line1 = sig_line(text5, origin, sk1, pk1)
    bad_sig = bytearray(c5)
    bad_sig[-10] ^= 0x01 if bad_sig[-10] != ord("A") else 0x02
    corpus = {
        "checkpoint-0": c0,
        "checkpoint-3": c3,
        "checkpoint-5": c5,
        "checkpoint-5-two": c5two,
        "inclusion-3-5": incl,
        "consistency-3-5": cons,
        "consistency-0-5": b"old 0\n\n" + c5,
        "inclusion-truncated": incl[:len(incl) // 2],
        "no-blank-line": text5 + line1,
        "size-leading-zero": c5.replace(b"\n5\n", b"\n05\n", 1),
        "size-overflow": checkpoint(origin, 18446744073709551616,
                                    mth(log), [(origin, sk1, pk1)]),
        "root-not-base64": c5.replace(b"=\n", b"!\n", 1),
        "root-31-bytes": checkpoint_text(origin, 5, mth(log)[:31]) +
        b"\n" + line1,
        "unknown-key-only": checkpoint(origin, 5, mth(log),
                                       [(origin, sk3, pk3)]),
        "bad-signature": bytes(bad_sig),
        "extension-line": checkpoint_text(origin, 5, mth(log)) +
        b"ext\n\n" + sig_line(text5 + b"ext\n", origin, sk1, pk1),
        "crlf": c5.replace(b"\n", b"\r\n"),
        "control-character": c5.replace(b"HN-", b"HN\x01", 1),
        "not-utf8": c5.replace(b"HN-", b"HN\xff", 1),
        "no-signature": text5 + b"\n",
        "raw-inclusion-3-5": (3).to_bytes(8, "big") + (5).to_bytes(8, "big")
        + leaf_hash(log[3]) + mth(log) + b"".join(path(3, log)),
        "raw-consistency-3-5": (3).to_bytes(8, "big") +
        (5).to_bytes(8, "big") + mth(log[:3]) + mth(log) +
        b"".join(proof(3, log)),
        "cosigned-5": cos5,
        "cosigned-5-cut": cos5[:-30] + b"\n",
        "cosigned-5-bad": cos5[:-10] + bytes([cos5[-10] ^ 1]) + cos5[-9:],
        "empty": b"",
    }
    os.makedirs(CORPUS, exist_ok=True)
    for name, data in corpus.items():
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(data)


HEADER = """\
# Transparency log vectors (SPEC.md "Transparency log"): name, then the
# bytes in hex.  Made by tests/vectors/tlog_gen.py (Python's hashlib and
# pyca/cryptography, written apart from protocol/tlog.c from the
# definitions of RFC 9162 2.1 and the C2SP specifications); the script
# also checks the roots of sizes 0-8 against the published RFC 6962
# reference values.
#
# The Merkle tree (RFC 9162 2.1, SHA-256):
#   leaf-I        the leaf inputs: the eight of the RFC 6962 reference
#                 tests, then 70, 8081, 909192, a0a1a2a3, b0b1b2b3b4
#   root-N        MTH of the first N leaves (N = 0..8 and 13)
#   path-N-M      PATH(M, D[N]): the inclusion proof of leaf M in the tree
#                 of N, sibling of the leaf first, hashes concatenated
#   proof-M-N     PROOF(M, D[N]): the consistency proof from size M to N,
#                 1 <= M < N <= 8 (M = N: the empty proof, not listed)
#
# A hub's log: the district hub HN-CAUGIAY (node 22 x 16) took in five
# bundles, of schools 33 x 16 (bundles 1, 2, 3) and 34 x 16 (1, 2), in the
# order (33,1) (34,1) (33,2) (33,3) (34,2), with bundle hashes 40 x 32 ...
# 44 x 32, first seen at 1767225600000 (2026-01-01T00:00:00Z) + 60000 x i.
#   origin            its origin and key name
#   origin-odd        the origin of org code "Sở GD+ĐT 1/2%" (percent-encoded)
#   hub-pk            its Ed25519 key (seed 11 x 32); hub-key-id its key ID
#   hub-pk-next       its next key after a hand-over (seed 12 x 32)
#   log-leaf-I        the leaf of bundle I (65 bytes); log-leaf-hash-I
#   log-root-3/-5     the roots at sizes 3 and 5
#   checkpoint-0/3/5  checkpoints (signed notes) of sizes 0, 3 and 5
#   checkpoint-5-two  size 5 signed by both keys (hub-pk, then hub-pk-next)
#   inclusion-3-5     c2sp.org/tlog-proof@v1 of leaf 3 in checkpoint-5
#   consistency-3-5   the tlog-witness body: old 3, the proof, checkpoint-5
#
# A witness (c2sp.org/tlog-cosignature@v1): the district hub HN-BADINH,
# node 23 x 16, Ed25519 seed 21 x 32.
#   witness-name      its name as a cosigner (cdsync.vn/witness/...)
#   witness-pk        its key; witness-key-id its cosignature key ID
#   cosigned-5        checkpoint-5 with its cosignature of time 1767225600
"""

if __name__ == "__main__":
    main()
