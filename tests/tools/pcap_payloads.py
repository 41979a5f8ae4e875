#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Reads a unixcap pcapng back with tshark; prints the sha256 of each TCP direction and UDP message.

Usage: pcap_payloads.py [--tshark PATH] FILE.pcapng

Output, one line each (INDEX counts from 0 within a direction, in capture order):
    stream SRC->DST NBYTES SHA256            per TCP connection and direction (SRC/DST ip:port)
    message SRC->DST INDEX NBYTES SHA256     per UDP message; datagrams whose comments say
                                             "part K/N of TOTAL bytes" are joined into one message
Stream bytes are ordered by raw TCP sequence number (wrap-around handled); segments without
payload are ignored; a repeated segment contributes its bytes once. A TCP direction that carried
no payload is printed with 0 bytes. Problems (gaps, overlaps that disagree, incomplete or
inconsistent split messages, truncated records, comments with "lost=") go to stderr as
"error: ...". Exit status: 0 clean, 1 tshark failed, 3 output printed but the capture has errors.

The payload is taken from tcp.payload / udp.payload (falling back to data.data), which the
TCP/UDP dissectors add before any sub-dissector runs, so it is complete even when Wireshark
decodes the payload as HTTP, DNS, VXLAN... Fields are read with "-E occurrence=a": the first
occurrence is the outer IP/TCP/UDP layer even when a payload is dissected as an encapsulated
IP packet, and every opt_comment of a packet is seen (occurrence=f would keep only the first).
"""

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile

FIELDS = ["frame.number", "frame.comment", "ip.src", "tcp.srcport", "udp.srcport", "ip.dst",
          "tcp.dstport", "udp.dstport", "tcp.stream", "tcp.seq_raw", "tcp.flags", "tcp.payload",
          "udp.payload", "data.data", "tcp.len", "udp.length", "frame.len", "frame.cap_len"]

# Per-segment view without reassembly or analysis: we want exactly what each record holds.
PREFS = ["tcp.desegment_tcp_streams:FALSE", "tcp.analyze_sequence_numbers:FALSE",
         "ip.defragment:FALSE"]

AGGREGATOR = "\x1f"  # joins repeated occurrences; cannot clash with hex or normal comments
# pcapng Section Header Block type, then classic pcap magics (us/ns, both byte orders).
CAPTURE_MAGICS = (b"\x0a\x0d\x0d\x0a", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4",
                  b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
PART_RE = re.compile(r"part (\d+)/(\d+) of (\d+) bytes")
TCP_FIN, TCP_SYN = 0x01, 0x02


class TsharkError(Exception):
    pass


class StreamDir:
    """One direction of one TCP connection."""

    def __init__(self, stream, src, dst):
        self.stream, self.src, self.dst = stream, src, dst
        self.segments = []  # (frame, seq_raw, flags, payload)
        self.data = b""
        self.errors = []
        self.lost_frames = []


class UdpDir:
    """All UDP datagrams from one ip:port to another."""

    def __init__(self, src, dst):
        self.src, self.dst = src, dst
        self.datagrams = []  # (frame, payload, comment)
        self.messages = []   # joined payloads, bytes
        self.errors = []
        self.lost_frames = []


class Capture:
    def __init__(self):
        self.streams = []  # StreamDir, ordered by tcp.stream then first appearance
        self.udp = []      # UdpDir, ordered by first appearance
        self.errors = []   # every error, as text with its direction

    def lost_frames(self):
        return sorted(f for d in self.streams + self.udp for f in d.lost_frames)


def tshark_command(path, tshark="tshark"):
    cmd = [tshark, "-r", path, "-n", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
           "-E", "aggregator=" + AGGREGATOR, "-E", "quote=n", "-E", "header=n"]
    for field in FIELDS:
        cmd += ["-e", field]
    for pref in PREFS:
        cmd += ["-o", pref]
    return cmd


def run_tshark(path, tshark="tshark"):
    """Yields one dict per frame; raises TsharkError if tshark cannot run or fails."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise TsharkError("%s: %s" % (path, e.strerror)) from e
    # tshark guesses formats: it reads an empty file, or even a few bytes of text, as a valid
    # capture with no IP packets, which would look like "nothing was captured".
    if magic not in CAPTURE_MAGICS:
        raise TsharkError("%s: %s" % (path, "empty file" if not magic else
                                      "not a pcapng or pcap file (magic %s)" % magic.hex()))
    # stderr goes to a file: a pipe left unread could fill up and block tshark.
    with tempfile.TemporaryFile(mode="w+") as err:
        try:
            proc = subprocess.Popen(tshark_command(path, tshark), stdout=subprocess.PIPE,
                                    stderr=err, text=True)
        except OSError as e:
            raise TsharkError("cannot run %s: %s" % (tshark, e)) from e
        with proc:
            for line in proc.stdout:
                cols = line.rstrip("\n").split("\t")
                if len(cols) != len(FIELDS):
                    proc.kill()
                    raise TsharkError("unexpected tshark line with %d fields: %.200r"
                                      % (len(cols), line))
                yield _row(cols)
        if proc.returncode != 0:
            err.seek(0)
            msg = " ".join(l.strip() for l in err if "Running as user" not in l)
            raise TsharkError("tshark exited with status %d: %s" % (proc.returncode, msg))


def _row(cols):
    """Field name -> value: the outermost occurrence, except all comments joined."""
    row = {f: c.split(AGGREGATOR, 1)[0] for f, c in zip(FIELDS, cols)}
    row["frame.comment"] = " | ".join(cols[FIELDS.index("frame.comment")].split(AGGREGATOR))
    return row


def _payload(row):
    hexdata = row["tcp.payload"] or row["udp.payload"] or row["data.data"]
    return bytes.fromhex(hexdata.replace(":", ""))


def _check_lengths(row, payload, direction):
    """Flags records whose stored payload is shorter than the packet said (data not captured)."""
    frame = int(row["frame.number"])
    if row["tcp.len"]:
        want = int(row["tcp.len"])
    else:
        want = int(row["udp.length"] or 8) - 8
    if len(payload) != want or row["frame.len"] != row["frame.cap_len"]:
        direction.errors.append("frame %d: %d of %d payload bytes in the file (record truncated)"
                                % (frame, len(payload), want))
    if "lost=" in row["frame.comment"]:
        direction.lost_frames.append(frame)
        direction.errors.append("frame %d: data lost (comment %r)" % (frame, row["frame.comment"]))


def collect(rows):
    """Sorts tshark rows into TCP directions and UDP directions (not yet assembled)."""
    cap = Capture()
    tcp, udp = {}, {}
    for row in rows:
        if not row["ip.src"]:
            continue  # not IPv4 (e.g. a D-Bus interface): nothing to check here
        if row["tcp.srcport"]:
            src = "%s:%s" % (row["ip.src"], row["tcp.srcport"])
            dst = "%s:%s" % (row["ip.dst"], row["tcp.dstport"])
            key = (int(row["tcp.stream"]), src, dst)
            if key not in tcp:
                tcp[key] = StreamDir(*key)
            payload = _payload(row)
            _check_lengths(row, payload, tcp[key])
            tcp[key].segments.append((int(row["frame.number"]), int(row["tcp.seq_raw"]),
                                      int(row["tcp.flags"], 16), payload))
        elif row["udp.srcport"]:
            src = "%s:%s" % (row["ip.src"], row["udp.srcport"])
            dst = "%s:%s" % (row["ip.dst"], row["udp.dstport"])
            if (src, dst) not in udp:
                udp[(src, dst)] = UdpDir(src, dst)
            payload = _payload(row)
            _check_lengths(row, payload, udp[(src, dst)])
            udp[(src, dst)].datagrams.append((int(row["frame.number"]), payload,
                                              row["frame.comment"]))
    # Dicts keep insertion order: directions come out in order of first appearance.
    cap.streams = sorted(tcp.values(), key=lambda d: d.stream)
    cap.udp = list(udp.values())
    return cap


def _unwrap(segments):
    """Maps 32-bit sequence numbers to unbounded offsets, following the capture order so
    streams longer than 4 GiB and moderately reordered segments both come out right."""
    out, prev_seq, prev_abs = [], None, 0
    for frame, seq, flags, payload in segments:
        if prev_seq is None:
            absolute = 0
        else:
            absolute = prev_abs + ((seq - prev_seq + 2**31) % 2**32) - 2**31
        prev_seq, prev_abs = seq, absolute
        # The SYN occupies one sequence number: data on a SYN starts one later.
        start = absolute + 1 if flags & TCP_SYN else absolute
        out.append((start, frame, flags, payload))
    return out


def _merge(d, data, base):
    """Concatenates payloads sorted by offset from base; returns (bytes, offset past the end)."""
    buf = bytearray()
    cur = base          # sequence offset just past the last byte in buf
    since_gap = 0       # bytes of buf after the last gap, the only ones an overlap can compare
    for start, frame, _, payload in data:
        if start > cur:
            d.errors.append("frame %d: %d bytes missing before stream offset %d"
                            % (frame, start - cur, start - base))
            cur, since_gap = start, 0
        if start < cur:
            # Retransmitted or overlapping bytes must agree with what is already there; only
            # the bytes after the last gap are in buf at a known position.
            lo, hi = max(start, cur - since_gap), min(cur, start + len(payload))
            end = len(buf)
            if hi > lo and buf[end - (cur - lo):end - (cur - hi)] != payload[lo - start:hi - start]:
                d.errors.append("frame %d: overlapping bytes at stream offset %d differ"
                                % (frame, lo - base))
        fresh = payload[max(cur - start, 0):]
        buf += fresh
        since_gap += len(fresh)
        cur += len(fresh)
    return bytes(buf), cur


def assemble_stream(d):
    """Orders the payload of a TCP direction by sequence number into d.data.

    The SYN (if captured) fixes where the data must start and the FIN where it must end, so
    bytes missing at either edge are reported, not only holes in the middle."""
    segs = _unwrap(d.segments)
    data = sorted((s for s in segs if s[3]), key=lambda s: (s[0], s[1]))
    syns = [s[0] for s in segs if s[2] & TCP_SYN]
    fins = [(s[0] + len(s[3]), s[1]) for s in segs if s[2] & TCP_FIN]
    if not data and not syns:
        d.data = b""
        return
    base = syns[0] if syns else data[0][0]
    if data and data[0][0] < base:
        d.errors.append("frame %d: payload before the SYN's sequence number" % data[0][1])
    d.data, cur = _merge(d, data, base)
    for fin_at, frame in fins:
        if fin_at != cur:
            d.errors.append("frame %d: FIN at stream offset %d but the data ends at %d"
                            % (frame, fin_at - base, cur - base))


class _Pending:
    """A split message being joined from its parts."""

    def __init__(self, frame, n, total):
        self.first_frame, self.n, self.total = frame, n, total
        self.parts = []   # K of each part seen, in order
        self.chunks = []


def _finish(d, pend):
    data = b"".join(pend.chunks)
    if pend.parts != list(range(1, pend.n + 1)):
        d.errors.append("frame %d: split message of %d bytes incomplete: parts %s of %d"
                        % (pend.first_frame, pend.total, pend.parts, pend.n))
    elif len(data) != pend.total:
        d.errors.append("frame %d: split message has %d bytes, its comments say %d"
                        % (pend.first_frame, len(data), pend.total))
    d.messages.append(data)


def join_messages(d):
    """Builds d.messages from d.datagrams, joining runs of 'part K/N of TOTAL bytes'.

    A broken run (parts missing or repeated, or another N/TOTAL) still yields one message, so
    the indices of the following messages stay comparable."""
    pend = None
    for frame, payload, comment in d.datagrams:
        m = PART_RE.search(comment)
        k, n, total = (int(x) for x in m.groups()) if m else (0, 0, 0)
        # A part numbered higher than the last one continues the run even across a missing
        # part, so one lost datagram does not shift the index of every later message.
        if pend is not None and (m is None or k <= pend.parts[-1]
                                 or (n, total) != (pend.n, pend.total)):
            _finish(d, pend)
            pend = None
        if m is None:
            d.messages.append(payload)
            continue
        if pend is None:
            pend = _Pending(frame, n, total)
        pend.parts.append(k)
        pend.chunks.append(payload)
        if k >= n:
            _finish(d, pend)
            pend = None
    if pend is not None:
        _finish(d, pend)


def capture_payloads(path, tshark="tshark"):
    """Runs tshark on path and returns a Capture with assembled streams and joined messages."""
    cap = collect(run_tshark(path, tshark))
    for d in cap.streams:
        assemble_stream(d)
    for d in cap.udp:
        join_messages(d)
    for d in cap.streams:
        cap.errors += ["tcp %s->%s: %s" % (d.src, d.dst, e) for e in d.errors]
    for d in cap.udp:
        cap.errors += ["udp %s->%s: %s" % (d.src, d.dst, e) for e in d.errors]
    return cap


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def format_lines(cap):
    lines = ["stream %s->%s %d %s" % (d.src, d.dst, len(d.data), sha256(d.data))
             for d in cap.streams]
    for d in cap.udp:
        lines += ["message %s->%s %d %d %s" % (d.src, d.dst, i, len(m), sha256(m))
                  for i, m in enumerate(d.messages)]
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tshark", default="tshark", help="tshark binary (default: from PATH)")
    ap.add_argument("pcapng")
    args = ap.parse_args()
    try:
        cap = capture_payloads(args.pcapng, args.tshark)
    except TsharkError as e:
        print("pcap_payloads: %s" % e, file=sys.stderr)
        return 1
    for line in format_lines(cap):
        print(line)
    for e in cap.errors:
        print("error: %s" % e, file=sys.stderr)
    return 3 if cap.errors else 0


if __name__ == "__main__":
    sys.exit(main())
