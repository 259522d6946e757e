#!/usr/bin/env python3
"""receipt_gen.py -- how tests/vectors/receipt.vec and the version 2 inputs
of tests/fuzz/corpus/receipt/ were made (SPEC.md "Receipts").

Written apart from protocol/receipt.c, from the layout tables of SPEC.md
11.1, with the Ed25519 of pyca/cryptography (OpenSSL).  Not run by the
tests: run it by hand,

    python3 tests/vectors/receipt_gen.py

from the top of the source tree, and commit what it writes.  Ed25519 is
deterministic, so running it again writes the same bytes; the version 1
vectors are the ones this file has held since receipts were added.
"""
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat)

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "fuzz", "corpus", "receipt")

T0 = 1767225600000              # 2026-01-01T00:00:00Z, in ms
HUB = bytes([0x22]) * 16        # the hub that signs
NODE = bytes([0x33]) * 16       # the bundles' sender
MERGED, HELD = 1, 2
CONTEXT = {1: b"cdsync receipt v1\x00", 2: b"cdsync receipt v2\x00"}


def key(seed_byte):
    sk = Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)
    pk = sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return sk, pk


def u64(v):
    return v.to_bytes(8, "big")


def receipt(version, sk, pk, seq, h, status, seen, made, leaf=None):
    """SPEC.md 11.1: "CDSR" version hub hub_pk node seq hash status
    seen_ms made_ms [leaf, version 2] signature."""
    body = (b"CDSR" + bytes([version]) + HUB + pk + NODE + u64(seq) + h +
            bytes([status]) + u64(seen) + u64(made))
    if version == 2:
        body += u64(leaf)
    assert len(body) == {1: 126, 2: 134}[version]
    out = body + sk.sign(CONTEXT[version] + body)
    assert len(out) == {1: 190, 2: 198}[version]
    return out


HEADER = """\
# Receipt vectors (SPEC.md "Receipts"): name, then the bytes in hex.
# Made by tests/vectors/receipt_gen.py, an encoder written apart from
# cdsync (Python with the OpenSSL Ed25519 of pyca/cryptography).
# The hub (node 22 x 16) signs with the Ed25519 key of seed 11 x 32, whose
# public key is hub-pk.  All receipts are for bundles of the sender node
# 33 x 16:
#   receipt-merged     version 1: bundle 7, hash 44 x 32, merged; first
#                      seen at 1767225600000 (2026-01-01T00:00:00Z),
#                      merged at 1767225660000
#   receipt-held       version 1: bundle 9, hash 55 x 32, held for a gap
#                      since 1767229200000 (both times)
#   receipt-v2-merged  version 2: what receipt-merged says, and leaf 41 in
#                      the hub's transparency log
#   receipt-v2-held    version 2: what receipt-held says, and leaf 42
# Version 1 is signed over "cdsync receipt v1" NUL and the 126 bytes
# before the signature (190 bytes in all); version 2 over "cdsync receipt
# v2" NUL and the 134 bytes before it (198 bytes in all).
"""


def main():
    sk, pk = key(0x11)
    merged = dict(seq=7, h=bytes([0x44]) * 32, status=MERGED, seen=T0,
                  made=T0 + 60000)
    held = dict(seq=9, h=bytes([0x55]) * 32, status=HELD,
                seen=T0 + 3600000, made=T0 + 3600000)
    vec = [
        ("hub-pk", pk),
        ("receipt-merged", receipt(1, sk, pk, **merged)),
        ("receipt-held", receipt(1, sk, pk, **held)),
        ("receipt-v2-merged", receipt(2, sk, pk, leaf=41, **merged)),
        ("receipt-v2-held", receipt(2, sk, pk, leaf=42, **held)),
    ]
    with open(os.path.join(HERE, "receipt.vec"), "w") as f:
        f.write(HEADER)
        f.write("".join("%s %s\n" % (n, b.hex()) for n, b in vec))

    # ---- The fuzz corpus: version 2 and the lengths of both versions ----
    v = dict(vec)
    v3 = bytearray(v["receipt-v2-merged"])
    v3[4] = 3
    corpus = {
        "receipt-v2-merged": v["receipt-v2-merged"],
        "receipt-v2-held": v["receipt-v2-held"],
        "receipt-v2-in-190": v["receipt-v2-merged"][:190],
        "receipt-v1-in-198": v["receipt-merged"] + bytes(8),
        "receipt-version-3": bytes(v3),
    }
    os.makedirs(CORPUS, exist_ok=True)
    for name, data in corpus.items():
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
