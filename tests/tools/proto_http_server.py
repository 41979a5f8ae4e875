#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# A small HTTP/1.1 server on a unix socket for test_protocols.sh (python3 stdlib only):
#   GET /small -> a short JSON document
#   GET /big   -> SIZE bytes (default 200000) of deterministic data
# Usage: proto_http_server.py SOCKET [--big-sha256-to FILE]
# Writes the /big body's sha256 to FILE if asked; serves until SIGTERM/SIGINT.
import hashlib
import http.server
import os
import signal
import socketserver
import sys

BIG_SIZE = 200000


def big_body():
    out = bytearray()
    i = 0
    while len(out) < BIG_SIZE:
        out += hashlib.sha256(str(i).encode()).hexdigest().encode() + b"\n"
        i += 1
    return bytes(out[:BIG_SIZE])


BIG = big_body()
SMALL = b'{"status":"ok","name":"unixcap"}\n'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):  # a unix peer has no (host, port)
        return "unix"

    def do_GET(self):
        if self.path == "/small":
            body, ctype = SMALL, "application/json"
        elif self.path == "/big":
            body, ctype = BIG, "application/octet-stream"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("proto_http_server: " + (fmt % args) + "\n")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: proto_http_server.py SOCKET [--big-sha256-to FILE]")
    path = sys.argv[1]
    if "--big-sha256-to" in sys.argv:
        with open(sys.argv[sys.argv.index("--big-sha256-to") + 1], "w") as f:
            f.write(hashlib.sha256(BIG).hexdigest() + "\n")
    if os.path.exists(path):
        os.unlink(path)
    srv = Server(path, Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.server_close()
        try:
            os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
