#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks that the source tree's #include arrows point down the layers, as the data flows.

Usage: check_layers.py [SRC_DIR]   (default: src)
Prints one line per include that points up or sideways into another folder of the same
layer, and exits 1 if there is any; exits 0 with nothing printed otherwise.
"""
import os
import re
import sys

# Bottom first. A file may include headers of its own folder and of lower layers only.
LAYERS = [
    ["records"],                                # the kernel/user record ABI
    ["core"],                                   # what every layer shares
    ["format"],                                 # file formats: pcapng, comments, synthetic headers
    ["capture", "readback", "proxy", "inventory"],  # sources of messages, and the socket list
    ["conversations"],                          # who talks to whom, TCP state
    ["sinks"],                                  # pcapng files, text, JSON, top's screen
    ["cli"],                                    # the program
]
RANK = {folder: i for i, layer in enumerate(LAYERS) for folder in layer}
INCLUDE = re.compile(r'\s*#\s*include\s+"([a-z_]+)/[^"]+"')


def violations(src):
    for folder in sorted(os.listdir(src)):
        if folder not in RANK:
            continue  # hooks/ is the BPF side: it includes records/ only, checked by its build
        for name in sorted(os.listdir(os.path.join(src, folder))):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(src, folder, name)
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m or m.group(1) not in RANK:
                        continue
                    to = m.group(1)
                    if RANK[to] > RANK[folder] or (RANK[to] == RANK[folder] and to != folder):
                        yield f"{path}:{n}: {folder}/ includes {line.strip()[9:].strip()}"


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "src"
    found = list(violations(src))
    for v in found:
        print(v)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
