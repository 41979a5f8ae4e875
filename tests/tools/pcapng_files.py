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
       pcapng_files.py processes FILE
           Every packet must carry epb_processid_threadid (option 8, 8 bytes) naming the pid its
           comment gives, or the comment's peer_pid; a packet with payload, and a read's ACK,
           the pid and tid of the process that did the I/O; and a process block (a Wireshark
           custom block, PEN 32622, entry type 3, little-endian) must describe each pid before
           its first packet. Prints "ok: N packets, D with payload, A read ACKs, P processes,
           B process blocks" and one "process PID NAME PATH ppid=N uid=N user=U start_ns=N
           ARGV..." line per block, in file order, or "FAIL: why".
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


def epb_fields(data, off, blen, order):
    """(packet bytes, {option code: value}) of the EPB at off."""
    caplen = struct.unpack_from(order + "I", data, off + 20)[0]
    pkt = data[off + 28:off + 28 + caplen]
    opt, end, opts = off + 28 + ((caplen + 3) & ~3), off + blen - 4, {}
    while opt + 4 <= end:
        code, olen = struct.unpack_from(order + "HH", data, opt)
        if code == 0:
            break
        opts.setdefault(code, data[opt + 4:opt + 4 + olen])
        opt += 4 + ((olen + 3) & ~3)
    return pkt, opts


def comment_fields(comment):
    meta, _, note = comment.partition("; ")
    fields = dict(w.split("=", 1) for w in meta.split(" ")[1:] if "=" in w)
    return fields, note


def payload_len(pkt):
    """Payload bytes the synthetic IPv4 header says its TCP segment or datagram had."""
    total, proto, ihl = struct.unpack(">H", pkt[2:4])[0], pkt[9], (pkt[0] & 15) * 4
    if proto == 6:
        return total - ihl - (pkt[ihl + 12] >> 4) * 4
    return total - ihl - 8


def check_process(pkt, opts, order):
    """Why this packet's option 8 is wrong, or None; and what kind of packet it is."""
    fields, note = comment_fields(opts.get(1, b"").decode("utf-8", "replace"))
    own = (int(fields.get("pid", 0)), int(fields.get("tid", 0)))
    peer = int(fields.get("peer_pid", 0))
    if len(pkt) >= 20 and payload_len(pkt) > 0:
        kind = "payload"
    elif note.startswith("read ") or note.startswith("peeked "):
        kind = "read ACK"
    else:
        kind = "other"
    if 8 not in opts:  # no process known (a loss report), or a handshake no process made
        return ("no epb_processid_threadid" if kind != "other" and own[0] else None), kind
    if len(opts[8]) != 8:
        return "an epb_processid_threadid of %d bytes" % len(opts[8]), kind
    pid, tid = struct.unpack(order + "II", opts[8])
    if kind == "other":
        return (None if pid in (own[0], peer) else
                "pid %d is neither the comment's pid nor its peer_pid" % pid), kind
    if (pid, tid) != own:
        return "a %s packet says pid %d tid %d, its comment pid %d tid %d" % (
            kind, pid, tid, own[0], own[1]), kind
    return None, kind


def process_entry(data, off, blen, order):
    """(pid, {option code: bytes}) of a Wireshark process block, or None for another block."""
    if struct.unpack_from(order + "I", data, off + 8)[0] != 32622:
        return None
    etype, elen = struct.unpack_from("<II", data, off + 12)
    if etype != 3:
        return None
    if elen < 4 or 20 + elen > blen - 4:
        raise ValueError("process entry at offset %d: length %d runs past its block" % (off, elen))
    pid, at, end, opts = struct.unpack_from("<I", data, off + 20)[0], off + 24, off + 20 + elen, {}
    while at + 4 <= end:
        code, olen = struct.unpack_from("<HH", data, at)
        if code == 0:
            break
        if at + 4 + olen > end:
            raise ValueError("process entry at offset %d: option %d runs past it" % (off, code))
        opts[code] = data[at + 4:at + 4 + olen]
        at += 4 + ((olen + 3) & ~3)
    return pid, opts


def cmd_processes(path):
    with open(path, "rb") as f:
        data = f.read()
    order = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    off, counts, pids, problems = 0, {"payload": 0, "read ACK": 0, "other": 0}, set(), []
    described, lines = set(), []
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from(order + "II", data, off)
        if blen < 12:
            break
        entry = process_entry(data, off, blen, order) if btype == 0xBAD else None
        if entry:
            pid, opts = entry
            described.add(pid)
            argv = opts.get(4, b"").rstrip(b"\0").split(b"\0")
            num = {k: struct.unpack("<I" if k != 9 else "<Q", opts[k])[0]
                   for k in (5, 6, 9) if k in opts and len(opts[k]) == (8 if k == 9 else 4)}
            lines.append("process %d %s %s ppid=%s uid=%s user=%s start_ns=%s %s" % (
                pid, opts.get(2, b"?").decode(errors="replace"),
                opts.get(3, b"?").decode(errors="replace"), num.get(5, "?"), num.get(6, "?"),
                opts.get(7, b"?").decode(errors="replace"), num.get(9, "?"),
                " ".join(a.decode(errors="replace") for a in argv)))
        if btype == EPB:
            pkt, opts = epb_fields(data, off, blen, order)
            why, kind = check_process(pkt, opts, order)
            pid = struct.unpack(order + "I", opts[8][:4])[0] if len(opts.get(8, b"")) == 8 else 0
            if not why and pid and pid not in described:
                why = "pid %d before any process block describes it" % pid
            if why:
                problems.append("packet at offset %d: %s" % (off, why))
            else:
                counts[kind] += 1
                if 8 in opts:
                    pids.add(struct.unpack(order + "I", opts[8][:4])[0])
        off += blen
    if problems:
        print("FAIL: %d packets: %s" % (len(problems), "; ".join(problems[:3])))
        return 1
    print("ok: %d packets, %d with payload, %d read ACKs, %d processes, %d process blocks"
          % (sum(counts.values()), counts["payload"], counts["read ACK"], len(pids), len(lines)))
    print("\n".join(lines))
    return 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "blocks":
        return cmd_blocks(sys.argv[2:])
    if len(sys.argv) == 3 and sys.argv[1] == "processes":
        return cmd_processes(sys.argv[2])
    if len(sys.argv) >= 4 and sys.argv[1] == "sent":
        return cmd_sent(sys.argv[2], sys.argv[3:])
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
