#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks pcapng files cut short, rotated or written by a killed unixcap, block by block and
against a ucgen manifest.

Usage: pcapng_files.py blocks FILE...
           Each FILE must start with a Section Header Block and be whole blocks to its last
           byte (both length fields agree, lengths are multiples of 4). Prints one line per
           file: "ok FILE: N blocks, M bytes, E packets" or "FAIL FILE: why".
       pcapng_files.py sent MANIFEST FILE...
           Every datagram message tshark shows in the FILEs (joined from its parts as
           pcap_payloads.py does) must be one the manifest lists (same length and sha256),
           each at most once over all FILEs. Prints "ok: N messages, all sent, D distinct"
           or "FAIL: why". Streams are not checked (a stream cut anywhere is a prefix).
Exit status: 0 all ok, 1 any FAIL, 2 bad usage.
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
import pcap_payloads  # noqa: E402  (found next to this file)

SHB, EPB = 0x0A0D0D0A, 6


def walk(path):
    """Returns (blocks, bytes, packets) or raises ValueError saying what is wrong."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 12:
        raise ValueError("%d bytes: not even one block" % len(data))
    if struct.unpack_from("<I", data, 0)[0] != SHB:
        raise ValueError("does not start with a Section Header Block")
    magic = data[8:12]
    order = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">" if magic == b"\x1a\x2b\x3c\x4d" else None
    if order is None:
        raise ValueError("bad byte-order magic %s" % magic.hex())
    off = blocks = packets = 0
    while off < len(data):
        if len(data) - off < 12:
            raise ValueError("%d stray bytes at offset %d" % (len(data) - off, off))
        btype, blen = struct.unpack_from(order + "II", data, off)
        if blen < 12 or blen % 4 or blen > len(data) - off:
            raise ValueError("block at offset %d has length %d (%d bytes left): cut short"
                             % (off, blen, len(data) - off))
        if struct.unpack_from(order + "I", data, off + blen - 4)[0] != blen:
            raise ValueError("block at offset %d: trailing length differs" % off)
        blocks += 1
        packets += btype == EPB
        off += blen
    return blocks, len(data), packets


def cmd_blocks(files):
    bad = 0
    for path in files:
        try:
            blocks, size, packets = walk(path)
            print("ok %s: %d blocks, %d bytes, %d packets" % (path, blocks, size, packets))
        except (OSError, ValueError) as e:
            print("FAIL %s: %s" % (path, e))
            bad += 1
    return 1 if bad else 0


def read_manifest_messages(path):
    sent = set()
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 5 and w[0] == "message":
                sent.add((int(w[3]), w[4]))
    return sent


def cmd_sent(manifest, files):
    sent = read_manifest_messages(manifest)
    if not sent:
        print("FAIL: %s lists no datagram messages" % manifest)
        return 1
    seen, problems, total = set(), [], 0
    for path in files:
        try:
            cap = pcap_payloads.capture_payloads(path)
        except pcap_payloads.TsharkError as e:
            print("FAIL: %s" % e)
            return 1
        for d in cap.udp:
            for m in d.messages:
                key = (len(m), pcap_payloads.sha256(m))
                total += 1
                if key not in sent:
                    problems.append("%s: %s->%s: a %d-byte message that was never sent (%s)"
                                    % (path, d.src, d.dst, key[0], key[1][:16]))
                elif key in seen:
                    problems.append("%s: %s->%s: a %d-byte message seen twice"
                                    % (path, d.src, d.dst, key[0]))
                seen.add(key)
    if problems:
        print("FAIL: " + "; ".join(problems[:5]))
        return 1
    print("ok: %d messages, all sent, %d distinct" % (total, len(seen)))
    return 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "blocks":
        return cmd_blocks(sys.argv[2:])
    if len(sys.argv) >= 4 and sys.argv[1] == "sent":
        return cmd_sent(sys.argv[2], sys.argv[3:])
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
