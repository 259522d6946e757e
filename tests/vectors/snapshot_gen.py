#!/usr/bin/env python3
"""snapshot_gen.py -- how tests/vectors/snapshot.vec and the seeds of
tests/fuzz/corpus/snapshot/ were made (SPEC.md "Rollup snapshots").

Written apart from protocol/snapshot.c, from SPEC.md section 14.1, with
the Ed25519 of pyca/cryptography (OpenSSL); the checkpoint inside is made
by tlog_gen.py's signed-note code.  Not run by the tests: run it by hand,

    python3 tests/vectors/snapshot_gen.py

from the top of the source tree, and commit what it writes.  Ed25519 is
deterministic, so running it again writes the same bytes.
"""
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tlog_gen import checkpoint, key, origin_of  # noqa: E402

CORPUS = os.path.join(HERE, "..", "fuzz", "corpus", "snapshot")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def text(s):
    b = s.encode()
    assert len(b) <= 255
    return varint(len(b)) + b


def periods():
    names = ["2023-2028"]
    names += ["%d-%d" % (y, y + 1) for y in range(2023, 2028)]
    names += ["%d" % y for y in range(2023, 2029)]
    names += ["%d-Q%d" % (y, q) for y in range(2023, 2029)
              for q in range(1, 5)]
    assert len(names) == 36
    return names


def unit(uid, parent, level, code, cells):
    """cells: {index: value}, index = period * 28 + field."""
    out = uid + parent + bytes([level]) + text(code)
    idx = sorted(i for i, v in cells.items() if v > 0)
    out += varint(len(idx))
    prev = -1
    for i in idx:
        assert 0 <= i < 36 * 28
        out += varint(i - prev - 1) + varint(cells[i])
        prev = i
    return out


def sheet(sk, pk, issuer, serial, issued_ms, entries):
    """A sheet (SPEC.md 10.3) of node entries (type 1): entries are
    (node, role, sign_pk, box_pk, from_ms, until_ms, code, name, parent)."""
    body = b"CDSK\x01" + issuer + pk + serial.to_bytes(8, "big")
    body += issued_ms.to_bytes(8, "big") + (1).to_bytes(4, "big")
    body += varint(len(entries))
    for node, role, spk, bpk, frm, until, code, name, parent in entries:
        body += b"\x01" + node + bytes([role]) + spk + bpk
        body += frm.to_bytes(8, "big") + until.to_bytes(8, "big")
        body += text(code) + text(name) + text(parent)
    return body + sk.sign(b"cdsync sheet v1\x00" + body)


def snapshot(sk, pk, hub, org, day, catalog, note, heads, sheets, units):
    body = b"CDSS\x01" + hub + pk + text(org) + text(day) + catalog
    body += varint(len(note)) + note
    body += varint(len(heads))
    for node, seq, h in sorted(heads):
        body += node + seq.to_bytes(8, "big") + h
    body += varint(len(sheets))
    for sh in sorted(sheets, key=lambda b: b[5:21]):
        body += varint(len(sh)) + sh
    body += bytes([36]) + b"".join(text(p) for p in periods())
    body += bytes([28])
    body += varint(len(units))
    for u in sorted(units, key=lambda u: u[0]):
        body += unit(*u)
    sig = sk.sign(b"cdsync snapshot v1\x00" + body)
    return body + sig


def main():
    sk, pk = key(0x11)
    hub = bytes([0x22]) * 16
    org = "HN-CAUGIAY"
    origin = origin_of(org, hub)
    root = hashlib.sha256(b"the tree of five bundles").digest()
    note = checkpoint(origin, 5, root, [(origin, sk, pk)])
    catalog = bytes([0x44]) * 32
    heads = [(bytes([0x35]) * 16, 2, bytes([0x55]) * 32),
             (bytes([0x33]) * 16, 7, bytes([0x66]) * 32)]
    district = bytes([0x10]) * 16
    # the district: two unions, 40 members of whom 38 were cared for,
    # 1,500,000 đồng of care, over the term (period 0) and 2025-2026
    # (period 3); one union met P2.U.care in 2025-Q4 (period 23)
    units = [
        (district, bytes(16), 2, org,
         {0: 2, 8: 2, 10: 40, 11: 38, 17: 1500000, 20: 3,
          3 * 28 + 0: 2, 3 * 28 + 8: 2, 3 * 28 + 10: 40,
          3 * 28 + 11: 38, 3 * 28 + 17: 1500000, 23 * 28 + 8: 1}),
        (bytes([0x20]) * 16, district, 3, "HN-CAUGIAY-TH-DICHVONG",
         {0: 1, 8: 1, 10: 25, 11: 25, 17: 1000000, 20: 2}),
        (bytes([0x30]) * 16, district, 3, "HN-CAUGIAY-THCS-NGHIATAN",
         {0: 1, 8: 1, 10: 15, 11: 13, 17: 500000, 20: 1,
          36 * 28 - 1: 2 ** 40}),
    ]
    # the district's sheet, edition 3, enrols the two schools (keys of
    # seeds 21 x 32 and 31 x 32) from 1 July 2024
    schools = [
        (bytes([0x20]) * 16, 1, key(0x21)[1], bytes([0x77]) * 32,
         1719792000000, 0, "HN-CAUGIAY-TH-DICHVONG",
         "Trường Tiểu học Dịch Vọng", org),
        (bytes([0x30]) * 16, 1, key(0x31)[1], bytes([0x78]) * 32,
         1719792000000, 0, "HN-CAUGIAY-THCS-NGHIATAN",
         "Trường THCS Nghĩa Tân", org),
    ]
    sh = sheet(sk, pk, hub, 3, 1750000000000, schools)
    snap = snapshot(sk, pk, hub, org, "2026-06-30", catalog, note, heads,
                    [sh], units)
    empty = snapshot(sk, pk, hub, org, "2026-06-30", catalog, note, [], [],
                     [(district, bytes(16), 2, org, {})])
    lines = [
        "# Rollup snapshot vectors (SPEC.md \"Rollup snapshots\"): name,",
        "# then the bytes in hex.  The district hub HN-CAUGIAY (node",
        "# 22 x 16) signs with the Ed25519 key of seed 11 x 32 (hub-pk);",
        "# note is its checkpoint of size 5 (root: SHA-256 of \"the tree",
        "# of five bundles\"); catalog 44 x 32; day 2026-06-30.",
        "#   snapshot  heads (33 x 16, bundle 7, hash 66 x 32) and",
        "#             (35 x 16, bundle 2, hash 55 x 32); the sheet",
        "#             (edition 3, issued at 1750000000000 ms) of the",
        "#             district enrolling its two schools (nodes 20 x 16",
        "#             and 30 x 16, keys of seeds 21 and 31 x 32, box keys",
        "#             77 and 78 x 32, from 1719792000000 ms); units 10 x 16",
        "#             (the district, upper), 20 x 16 and 30 x 16 (two",
        "#             unions under it), the figures of snapshot_gen.py",
        "#   empty     no heads, no sheet, the district alone with no figure",
        "# Made by tests/vectors/snapshot_gen.py (Python with the OpenSSL",
        "# Ed25519 of pyca/cryptography), apart from protocol/snapshot.c.",
        "hub-pk " + pk.hex(),
        "note " + note.hex(),
        "sheet " + sh.hex(),
        "snapshot " + snap.hex(),
        "empty " + empty.hex(),
    ]
    with open(os.path.join(HERE, "snapshot.vec"), "w") as f:
        f.write("\n".join(lines) + "\n")
    os.makedirs(CORPUS, exist_ok=True)
    for name, b in (("snapshot", snap), ("empty", empty),
                    ("truncated", snap[:200])):
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main()
