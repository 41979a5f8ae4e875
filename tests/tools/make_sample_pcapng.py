#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Builds pcapng files shaped like unixcap output (raw IPv4 + TCP/UDP) to test the capture checkers.

Library use:
    with open(path, "wb") as f:
        w = PcapngWriter(f)
        w.tcp(("10.0.0.1", 1000), ("10.0.0.2", 2000), seq, ack, TCP_ACK | TCP_PSH, b"data")
        for chunk, comment in split_message(big_payload):
            w.udp(("10.0.0.1", 1000), ("10.0.0.2", 2000), chunk, comment=comment)

Command line:
    make_sample_pcapng.py OUT.pcapng [--broken] [--expect FILE]
                          [--stream-manifest FILE] [--dgram-manifest FILE]
writes a sample capture with known payloads; --expect writes the lines pcap_payloads.py must
print for it, the manifests are what ucgen would have written for the sample's traffic (so
check_capture.py must pass on the good sample and fail on the --broken one).
"""

import argparse
import hashlib
import random
import socket
import struct
import sys

LINKTYPE_RAW = 101
UDP_MAX_PAYLOAD = 65507  # 65535 - 20 (IPv4) - 8 (UDP): the largest payload one datagram holds
TCP_MAX_PAYLOAD = 65495  # 65535 - 20 (IPv4) - 20 (TCP)

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def _pad4(data):
    return data + b"\0" * (-len(data) % 4)


def _option(code, value):
    return struct.pack("<HH", code, len(value)) + _pad4(value)


def _block(block_type, body):
    total = 12 + len(body)
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


def _checksum(data):
    """RFC 1071 ones'-complement sum, returned already complemented."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv4(src, dst, proto, l4, ident):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident & 0xFFFF, 0x4000, 64,
                         proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return header[:10] + struct.pack("!H", _checksum(header)) + header[12:] + l4


def _pseudo(src, dst, proto, length):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, length)


def tcp_packet(src, dst, seq, ack, flags, payload, ident=0):
    """IPv4+TCP packet; src and dst are (ip, port). Checksums are real so no dissector complains."""
    if len(payload) > TCP_MAX_PAYLOAD:
        raise ValueError("TCP payload too long for one IPv4 packet")
    header = struct.pack("!HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                         5 << 4, flags, 65535, 0, 0)
    csum = _checksum(_pseudo(src[0], dst[0], 6, len(header) + len(payload)) + header + payload)
    header = header[:16] + struct.pack("!H", csum) + header[18:]
    return _ipv4(src[0], dst[0], 6, header + payload, ident)


def udp_packet(src, dst, payload, ident=0):
    """IPv4+UDP packet; src and dst are (ip, port)."""
    if len(payload) > UDP_MAX_PAYLOAD:
        raise ValueError("UDP payload too long for one IPv4 packet")
    length = 8 + len(payload)
    header = struct.pack("!HHHH", src[1], dst[1], length, 0)
    csum = _checksum(_pseudo(src[0], dst[0], 17, length) + header + payload) or 0xFFFF
    return _ipv4(src[0], dst[0], 17, header[:6] + struct.pack("!H", csum) + payload, ident)


def split_message(payload):
    """Splits a message the way unixcap does: [(chunk, comment or None)], parts numbered from 1."""
    if len(payload) <= UDP_MAX_PAYLOAD:
        return [(payload, None)]
    chunks = [payload[i:i + UDP_MAX_PAYLOAD] for i in range(0, len(payload), UDP_MAX_PAYLOAD)]
    return [(c, "part %d/%d of %d bytes" % (k, len(chunks), len(payload)))
            for k, c in enumerate(chunks, 1)]


class PcapngWriter:
    """Writes one section with one LINKTYPE_RAW interface and nanosecond timestamps."""

    def __init__(self, f, ts_ns=1_700_000_000_000_000_000):
        self.f = f
        self.ts_ns = ts_ns
        self.ident = 0
        shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        shb += _option(4, b"make_sample_pcapng.py") + _option(0, b"")
        f.write(_block(0x0A0D0D0A, shb))
        idb = struct.pack("<HHI", LINKTYPE_RAW, 0, 262144)
        idb += _option(2, b"unix") + _option(9, b"\x09") + _option(0, b"")
        f.write(_block(1, idb))

    def packet(self, data, comment=None, origlen=None, caplen=None):
        """Enhanced Packet Block. comment: a string or a list of strings (one opt_comment
        each); caplen < len(data) stores a truncated packet (data was lost)."""
        stored = data if caplen is None else data[:caplen]
        self.ts_ns += 1000
        body = struct.pack("<IIIII", 0, self.ts_ns >> 32, self.ts_ns & 0xFFFFFFFF, len(stored),
                           len(data) if origlen is None else origlen)
        body += _pad4(stored)
        comments = [comment] if isinstance(comment, str) else (comment or [])
        for text in comments:
            body += _option(1, text.encode())
        if comments:
            body += _option(0, b"")
        self.f.write(_block(6, body))

    def tcp(self, src, dst, seq, ack, flags, payload=b"", comment=None, caplen=None):
        self.ident += 1
        self.packet(tcp_packet(src, dst, seq, ack, flags, payload, self.ident), comment,
                    caplen=None if caplen is None else 40 + caplen)

    def udp(self, src, dst, payload, comment=None, caplen=None):
        self.ident += 1
        self.packet(udp_packet(src, dst, payload, self.ident), comment,
                    caplen=None if caplen is None else 28 + caplen)


# ---------------------------------------------------------------------------------------------
# The sample capture.

def _ep(text):
    ip, port = text.split(":")
    return ip, int(port)


def _noise(rng, n):
    """Random bytes that still contain every byte value (when n >= 256), like ucgen's payloads."""
    head = list(range(256))
    rng.shuffle(head)
    return (bytes(head) + rng.randbytes(max(0, n - 256)))[:n]


def _vxlan_lookalike():
    """A valid VXLAN+Ethernet+IPv4+UDP packet: Wireshark dissects it, adding a second ip.src."""
    inner = udp_packet(("192.168.9.9", 1111), ("192.168.8.8", 2222), b"inner", 7)
    eth = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
    return struct.pack("!BBHI", 0x08, 0, 0, 0x00012300) + eth + inner


class Sample:
    """Traffic of the sample: stream byte strings and message lists per direction."""

    def __init__(self, seed=7):
        rng = random.Random(seed)
        self.http_c = "10.1.0.1:40001", "10.1.0.2:80"
        self.http_req = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n" + _noise(rng, 90000)
        self.http_resp = (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                          + _noise(rng, 70000))
        self.tiny_c = "10.1.0.3:5000", "10.1.0.4:6000"
        self.tiny_req = b"\0"
        self.dns_c = "10.2.0.1:53000", "10.2.0.2:53"
        dns_query = bytes.fromhex("123401000001000000000000076578616d706c6503636f6d0000010001")
        self.dns_req = [dns_query, b"", _noise(rng, 150000), b"\xff"]
        self.dns_resp = [_noise(rng, 200), _noise(rng, UDP_MAX_PAYLOAD),
                         _noise(rng, UDP_MAX_PAYLOAD + 1)]
        self.vx = "10.3.0.1:4789", "10.3.0.2:4789"
        self.vx_msgs = [_vxlan_lookalike(), _noise(rng, 300)]


def _segments(data, sizes):
    out, off = [], 0
    for size in sizes:
        out.append((off, data[off:off + size]))
        off += size
    assert off == len(data)
    return out


def _write_tcp(w, s, broken):
    cli, srv = _ep(s.http_c[0]), _ep(s.http_c[1])
    # Client ISN close to 2**32 so the client's sequence numbers wrap inside the stream.
    cisn, sisn = 0xFFFF0000, 1000
    w.tcp(cli, srv, cisn, 0, TCP_SYN)
    w.tcp(srv, cli, sisn, cisn + 1, TCP_SYN | TCP_ACK)
    w.tcp(cli, srv, cisn + 1, sisn + 1, TCP_ACK)
    req = _segments(s.http_req, [100, 40000, len(s.http_req) - 40100])
    resp = _segments(s.http_resp, [TCP_MAX_PAYLOAD, len(s.http_resp) - TCP_MAX_PAYLOAD])
    # Out of order on purpose: the second request segment is written first, and the first
    # response segment is repeated (a retransmission must not duplicate bytes).
    order = [("c", 1), ("c", 0), ("s", 0), ("c", 2), ("s", 0), ("s", 1)]
    if broken:
        order.remove(("c", 2))  # a gap: the last request segment never reaches the file
    for side, i in order:
        if side == "c":
            off, data = req[i]
            w.tcp(cli, srv, cisn + 1 + off, sisn + 1, TCP_ACK | TCP_PSH, data)
        else:
            off, data = resp[i]
            w.tcp(srv, cli, sisn + 1 + off, cisn + 1, TCP_ACK | TCP_PSH, data)
    end_c, end_s = cisn + 1 + len(s.http_req), sisn + 1 + len(s.http_resp)
    w.tcp(cli, srv, end_c, end_s, TCP_FIN | TCP_ACK)
    w.tcp(srv, cli, end_s, end_c + 1, TCP_FIN | TCP_ACK)
    w.tcp(cli, srv, end_c + 1, end_s + 1, TCP_ACK)

    a, b = _ep(s.tiny_c[0]), _ep(s.tiny_c[1])
    w.tcp(a, b, 5, 0, TCP_SYN)
    w.tcp(b, a, 9, 6, TCP_SYN | TCP_ACK)
    w.tcp(a, b, 6, 10, TCP_ACK | TCP_PSH, s.tiny_req)


def _write_udp(w, s, broken):
    c, d = _ep(s.dns_c[0]), _ep(s.dns_c[1])
    for i in range(max(len(s.dns_req), len(s.dns_resp))):
        if i < len(s.dns_req):
            parts = split_message(s.dns_req[i])
            if broken and len(parts) == 3:
                del parts[1]  # an incomplete split message
            for chunk, comment in parts:
                w.udp(c, d, chunk, comment)
        if i < len(s.dns_resp):
            for chunk, comment in split_message(s.dns_resp[i]):
                if broken and comment and comment.startswith("part 2/"):
                    # Data lost in the capture: a truncated record, marked in a second comment.
                    w.udp(d, c, chunk, [comment, "lost=1"], caplen=len(chunk) // 2)
                else:
                    w.udp(d, c, chunk, comment)
    a, b = _ep(s.vx[0]), _ep(s.vx[1])
    for m in s.vx_msgs:
        w.udp(a, b, m)


def write_sample(path, broken=False):
    s = Sample()
    with open(path, "wb") as f:
        w = PcapngWriter(f)
        _write_tcp(w, s, broken)
        _write_udp(w, s, broken)
    return s


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def expected_lines(s):
    """What pcap_payloads.py must print for the good sample."""
    lines = []
    for (src, dst), data in [((s.http_c[0], s.http_c[1]), s.http_req),
                             ((s.http_c[1], s.http_c[0]), s.http_resp),
                             ((s.tiny_c[0], s.tiny_c[1]), s.tiny_req),
                             ((s.tiny_c[1], s.tiny_c[0]), b"")]:
        lines.append("stream %s->%s %d %s" % (src, dst, len(data), _sha(data)))
    for (src, dst), msgs in [((s.dns_c[0], s.dns_c[1]), s.dns_req),
                             ((s.dns_c[1], s.dns_c[0]), s.dns_resp),
                             ((s.vx[0], s.vx[1]), s.vx_msgs)]:
        for i, m in enumerate(msgs):
            lines.append("message %s->%s %d %d %s" % (src, dst, i, len(m), _sha(m)))
    return lines


def manifests(s):
    """ucgen-style manifests for the sample's HTTP connection and DNS message exchange."""
    stream = ["stream c2s %d %s" % (len(s.http_req), _sha(s.http_req)),
              "stream s2c %d %s" % (len(s.http_resp), _sha(s.http_resp)), "pids 1 2"]
    dgram = ["message c2s %d %d %s" % (i, len(m), _sha(m)) for i, m in enumerate(s.dns_req)]
    dgram += ["message s2c %d %d %s" % (i, len(m), _sha(m)) for i, m in enumerate(s.dns_resp)]
    return stream, dgram + ["pids 1 2"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--broken", action="store_true",
                    help="drop a TCP segment and a UDP part, truncate another part")
    ap.add_argument("--expect", help="write the expected pcap_payloads.py output (good sample)")
    ap.add_argument("--stream-manifest", help="write a ucgen stream manifest for the sample")
    ap.add_argument("--dgram-manifest", help="write a ucgen dgram manifest for the sample")
    args = ap.parse_args()
    s = write_sample(args.out, args.broken)
    stream, dgram = manifests(s)
    for path, lines in [(args.expect, expected_lines(s)), (args.stream_manifest, stream),
                        (args.dgram_manifest, dgram)]:
        if path:
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
