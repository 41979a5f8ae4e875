#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks a capture of `ucconc threads` against the order its reader got the writes in.

Usage: check_order.py [--tshark PATH] --size S ORDER MANIFEST PCAPNG

ORDER is ucconc's --order file (one "W I" per write, in the order the reader got them),
MANIFEST its "stream c2s BYTES SHA256" line. The capture's data direction is cut into its
writes (one TCP segment of S bytes each), and these must hold:
  * every byte is there: the captured writes, put in the reader's order, hash as the manifest
    says (so only their order may differ);
  * a write whose comment does not say order=unknown is in its true place relative to every
    other such write: two unmarked writes are never in the opposite order to the reader's.
Prints one "ok: ..." or "FAIL: ..." line per check and how many writes were marked or out of
place. Exit status: 0 all ok, 1 any FAIL, 2 bad usage.
"""

import argparse
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import pcap_payloads  # noqa: E402

HEAD_RE = re.compile(rb"^\[w(\d+) #(\d+)\]")


def data_segments(pcapng, tshark):
    """The payload segments of the direction whose packets say event=data, in capture order."""
    segs, port = [], None
    for row in pcap_payloads.run_tshark(pcapng, tshark):
        if not row["tcp.srcport"] or not row["tcp.len"] or row["tcp.len"] == "0":
            continue
        if "event=data" not in row["frame.comment"]:
            continue
        port = port or row["tcp.srcport"]
        if row["tcp.srcport"] == port:
            segs.append((bytes.fromhex(row["tcp.payload"].replace(":", "")),
                         "order=unknown" in row["frame.comment"]))
    return segs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("order")
    ap.add_argument("manifest")
    ap.add_argument("pcapng")
    args = ap.parse_args()
    try:
        with open(args.order) as f:
            reader = [tuple(int(x) for x in line.split()) for line in f]
        with open(args.manifest) as f:
            _, _, nbytes, sha = next(l.split() for l in f if l.startswith("stream c2s "))
    except (OSError, ValueError, StopIteration) as e:
        print("check_order: %s" % e, file=sys.stderr)
        return 2
    try:
        segs = data_segments(args.pcapng, args.tshark)
    except pcap_payloads.TsharkError as e:
        print("FAIL: reading %s: %s" % (args.pcapng, e))
        return 1
    where = {w: k for k, w in enumerate(reader)}
    ids = []
    for payload, _ in segs:
        m = HEAD_RE.match(payload)
        ids.append((int(m.group(1)), int(m.group(2))) if m and len(payload) == args.size else None)
    if None in ids or sorted(ids) != sorted(reader) or sum(len(p) for p, _ in segs) != int(nbytes):
        print("FAIL: the capture holds %d segments (%d bytes), not the %d writes of %d bytes read"
              % (len(segs), sum(len(p) for p, _ in segs), len(reader), args.size))
        return 1
    in_reader_order = sorted(range(len(ids)), key=lambda k: where[ids[k]])
    digest = hashlib.sha256(b"".join(segs[k][0] for k in in_reader_order)).hexdigest()
    failed = digest != sha
    print("%s: the %d captured writes, in the reader's order, hash as read (%s)"
          % ("FAIL" if failed else "ok", len(ids), digest[:16]))
    last, bad = -1, 0
    for k, (_, marked) in enumerate(segs):
        if marked:
            continue
        if where[ids[k]] < last:
            bad += 1
        last = max(last, where[ids[k]])
    marked = sum(1 for _, m in segs if m)
    moved = sum(1 for k in range(len(ids)) if where[ids[k]] != k)
    print("%s: unmarked writes are in the reader's order (%d of %d marked order=unknown, %d "
          "out of place, %d unmarked ones out of order)"
          % ("FAIL" if bad else "ok", marked, len(ids), moved, bad))
    return 1 if failed or bad else 0


if __name__ == "__main__":
    sys.exit(main())
