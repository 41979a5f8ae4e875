#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Edits the unixcap metadata of a pcapng file, as a hostile user would, keeping it a valid pcapng.

    pcapng_edit.py IN OUT [--where TEXT] [--block N] --replace OLD NEW [--replace OLD NEW ...]

In every packet comment and every unixcap custom block (PEN 32473) that contains TEXT (default:
any) or that is block N (1-based, every block counted), each OLD becomes NEW; the block and option
lengths are written again. Prints how many blocks changed; exit 1 when none did (so a test whose
edit no longer applies fails instead of testing nothing). Little-endian sections only.
"""

import argparse
import struct
import sys

SHB, EPB, CB_COPY, CB_NOCOPY = 0x0A0D0D0A, 6, 0x00000BAD, 0x40000BAD
UC_PEN = 32473
OPT_COMMENT = 1


def pad4(data):
    return data + b"\0" * (-len(data) % 4)


def block(block_type, body):
    total = 12 + len(body)
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


def edit_text(text, replacements):
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def edit_packet(body, change):
    """The body of an enhanced packet block with its comment option changed."""
    caplen = struct.unpack_from("<I", body, 12)[0]
    head = body[: 20 + len(pad4(body[20 : 20 + caplen]))]
    opts, p = [], len(head)
    while p + 4 <= len(body):
        code, length = struct.unpack_from("<HH", body, p)
        if code == 0:
            break
        value = body[p + 4 : p + 4 + length]
        p += 4 + len(pad4(value))
        if code == OPT_COMMENT:
            value = change(value)
        opts.append(struct.pack("<HH", code, len(value)) + pad4(value))
    return head + b"".join(opts) + struct.pack("<HH", 0, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--where", default="")
    ap.add_argument("--block", type=int)
    ap.add_argument("--replace", nargs=2, action="append", required=True, metavar=("OLD", "NEW"))
    args = ap.parse_args()
    replacements = [(o.encode(), n.encode()) for o, n in args.replace]
    data = open(args.input, "rb").read()
    out, off, number, changed = [], 0, 0, 0

    def selected(text):
        return (args.block is None or args.block == number) and args.where.encode() in text

    def change(text):
        nonlocal changed
        if not selected(text):
            return text
        new = edit_text(text, replacements)
        changed += new != text
        return new

    while off + 12 <= len(data):
        number += 1
        block_type, total = struct.unpack_from("<II", data, off)
        if block_type == SHB and data[off + 8 : off + 12] != b"\x4d\x3c\x2b\x1a":
            sys.exit("pcapng_edit.py: only little-endian sections are supported")
        body = data[off + 8 : off + total - 4]
        if block_type == EPB:
            body = edit_packet(body, change)
        elif block_type in (CB_COPY, CB_NOCOPY) and struct.unpack_from("<I", body)[0] == UC_PEN:
            text = body[4:].split(b"\0", 1)[0]
            body = body[:4] + pad4(change(text) + b"\0")
        out.append(block(block_type, body))
        off += total
    open(args.output, "wb").write(b"".join(out) + data[off:])
    print(f"{changed} blocks changed")
    sys.exit(0 if changed else 1)


if __name__ == "__main__":
    main()
