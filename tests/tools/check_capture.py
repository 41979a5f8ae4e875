#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks that a unixcap capture, read back by tshark, holds the traffic a ucgen manifest describes.

Usage: check_capture.py [--tshark PATH] [--no-pair-check] MANIFEST PCAPNG

Checks, one output line each ("ok: ..." or "FAIL: ..."):
  * every "stream DIR NBYTES SHA256" line equals (length and sha256) some captured TCP direction;
  * the "message c2s ..." lines, in index order, are exactly the message list of one captured
    UDP direction; likewise the "message s2c ..." lines;
  * unless --no-pair-check: the directions found for c2s and s2c mirror each other (same
    connection for streams, swapped ip:port for messages).
A stream direction with 0 bytes passes without being looked for (a direction that carried no
payload may have no packets at all). Lines "note: ..." add context (frames marked lost=).
Exit status: 0 all ok, 1 any FAIL (tshark failure included), 2 bad usage or bad manifest.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
import pcap_payloads  # noqa: E402  (found next to this file)

MAX_LISTED = 8  # candidates shown in a FAIL line; more would bury the useful part


class ManifestError(Exception):
    pass


def read_manifest(path):
    """Returns {"stream": {dir: (n, sha)}, "message": {dir: [(n, sha), ...]}, "pids": [...]}."""
    man = {"stream": {}, "message": {}, "pids": []}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            w = line.split()
            try:
                if not w:
                    continue
                if w[0] == "stream" and len(w) == 4 and w[1] in ("c2s", "s2c"):
                    man["stream"][w[1]] = (int(w[2]), w[3])
                elif w[0] == "message" and len(w) == 5 and w[1] in ("c2s", "s2c"):
                    man["message"].setdefault(w[1], {})[int(w[2])] = (int(w[3]), w[4])
                elif w[0] == "pids":
                    man["pids"] = [int(x) for x in w[1:]]
                else:
                    raise ValueError
            except ValueError:
                raise ManifestError("%s:%d: cannot parse %r" % (path, lineno, line.strip()))
    for d, msgs in man["message"].items():
        if sorted(msgs) != list(range(len(msgs))):
            raise ManifestError("%s: %s message indices are not 0..%d" % (path, d, len(msgs) - 1))
        man["message"][d] = [msgs[i] for i in range(len(msgs))]
    return man


def _short(sha):
    return sha[:16]


def _desc_stream(d):
    return "tcp %s->%s (tcp.stream %d)" % (d.src, d.dst, d.stream)


def _problems(d):
    return (" [capture problems: %s]" % "; ".join(d.errors[:3])) if d.errors else ""


def check_stream(cap, direction, n, sha, out):
    """Returns the matching StreamDir (or None) after printing the check's line."""
    if n == 0:
        out.append("ok: stream %s: nothing sent" % direction)
        return None
    for d in cap.streams:
        if len(d.data) == n and d.sha == sha:
            out.append("ok: stream %s %d bytes sha256 %s = %s" % (direction, n, _short(sha),
                                                                _desc_stream(d)))
            return d
    # Show the directions closest in size: they are the likely intended ones.
    near = sorted(cap.streams, key=lambda d: abs(len(d.data) - n))[:MAX_LISTED]
    listed = ", ".join("%s %d bytes sha256 %s%s" % (_desc_stream(d), len(d.data), _short(d.sha),
                                                    _problems(d)) for d in near) or "none"
    out.append("FAIL: stream %s %d bytes sha256 %s: no captured TCP direction matches; "
               "closest in size: %s" % (direction, n, _short(sha), listed))
    return None


def _first_difference(want, got):
    for i, w in enumerate(want):
        if i >= len(got):
            return i, "message %d (%d bytes) missing" % (i, w[0])
        if got[i] != w:
            return i, ("message %d is %d bytes sha256 %s, expected %d bytes sha256 %s"
                       % (i, got[i][0], _short(got[i][1]), w[0], _short(w[1])))
    return len(want), "%d extra messages after the expected %d" % (len(got) - len(want), len(want))


def check_messages(cap, direction, want, out):
    """Returns the UdpDir whose whole message list equals want (or None), printing the result."""
    for d in cap.udp:
        if d.digests == want:
            out.append("ok: message %s: all %d messages (%d bytes) = udp %s->%s"
                       % (direction, len(want), sum(n for n, _ in want), d.src, d.dst))
            return d
    # Rank directions by how many leading messages agree, to point at the first difference.
    ranked = sorted(cap.udp, key=lambda d: -_first_difference(want, d.digests)[0])
    listed = "; ".join("udp %s->%s (%d messages): %s%s"
                       % (d.src, d.dst, len(d.digests), _first_difference(want, d.digests)[1],
                          _problems(d)) for d in ranked[:MAX_LISTED]) or "no UDP traffic"
    out.append("FAIL: message %s: no captured UDP direction holds exactly the %d messages; %s"
               % (direction, len(want), listed))
    return None


def check_pairs(kind, c2s, s2c, out):
    if c2s is None or s2c is None:
        return  # a side with nothing sent or not found: nothing to pair (already reported)
    same_conn = getattr(c2s, "stream", None) == getattr(s2c, "stream", None)
    if c2s.src == s2c.dst and c2s.dst == s2c.src and same_conn:
        out.append("ok: %s c2s %s->%s and s2c %s->%s mirror each other"
                   % (kind, c2s.src, c2s.dst, s2c.src, s2c.dst))
    else:
        out.append("FAIL: %s c2s %s->%s and s2c %s->%s are not the two directions of one %s"
                   % (kind, c2s.src, c2s.dst, s2c.src, s2c.dst,
                      "connection" if kind == "stream" else "socket pair"))


def check(man, cap, pair_check=True):
    """Returns the output lines for a parsed manifest against a Capture."""
    for d in cap.streams:
        d.sha = pcap_payloads.sha256(d.data)
    for d in cap.udp:
        d.digests = [(len(m), pcap_payloads.sha256(m)) for m in d.messages]
    out = []
    found = {}
    for direction, (n, sha) in sorted(man["stream"].items()):
        found[direction] = check_stream(cap, direction, n, sha, out)
    if pair_check:
        check_pairs("stream", found.get("c2s"), found.get("s2c"), out)
    found = {}
    for direction, want in sorted(man["message"].items()):
        found[direction] = check_messages(cap, direction, want, out)
    if pair_check:
        check_pairs("message", found.get("c2s"), found.get("s2c"), out)
    lost = cap.lost_frames()
    if lost:
        out.append("note: %d frames in the capture say lost= (first: %s)"
                   % (len(lost), ", ".join(map(str, lost[:10]))))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tshark", default="tshark", help="tshark binary (default: from PATH)")
    ap.add_argument("--no-pair-check", action="store_true",
                    help="do not require c2s and s2c to be mirror directions")
    ap.add_argument("manifest", nargs="+", help="one or more generator manifests")
    ap.add_argument("pcapng")
    args = ap.parse_args()
    try:
        mans = [(os.path.basename(m), read_manifest(m)) for m in args.manifest]
    except (OSError, ManifestError) as e:
        print("check_capture: %s" % e, file=sys.stderr)
        return 2
    try:
        cap = pcap_payloads.capture_payloads(args.pcapng, args.tshark)
    except pcap_payloads.TsharkError as e:
        print("FAIL: reading %s: %s" % (args.pcapng, e))
        return 1
    failed = False
    for name, man in mans:
        # several manifests share one tshark pass over a large capture
        for line in check(man, cap, not args.no_pair_check):
            kind, _, rest = line.partition(": ")
            print("%s: [%s] %s" % (kind, name, rest))
            failed = failed or kind == "FAIL"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
