#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# An HTTP/2 cleartext server (prior knowledge, no upgrade) on a unix socket for
# test_protocols.sh. Needs the h2 package (Debian python3-h2), so run it with /usr/bin/python3.
# Answers every request with 200, content-type text/plain, x-unixcap-test: h2 and the body
# "hello over h2 <path>\n". One connection at a time; serves until SIGTERM/SIGINT.
# By default the server's preface (SETTINGS) is sent once the client's preface has arrived, so
# the client's "PRI * HTTP/2.0" is always the connection's first message; --settings-first
# sends it right after accept(), as nghttp2 and Go servers do, racing the client.
# Usage: proto_h2_server.py SOCKET [--settings-first]
import os
import signal
import socket
import sys

import h2.config
import h2.connection
import h2.events


def serve(conn_sock, settings_first):
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    if settings_first:
        conn_sock.sendall(conn.data_to_send())
    paths = {}
    while True:
        data = conn_sock.recv(65535)
        if not data:
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                hdrs = {}
                for k, v in ev.headers:
                    k = k.decode() if isinstance(k, bytes) else k
                    v = v.decode() if isinstance(v, bytes) else v
                    hdrs[k] = v
                paths[ev.stream_id] = hdrs.get(":path", "/")
            elif isinstance(ev, h2.events.DataReceived):
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                body = ("hello over h2 %s\n" % paths.get(ev.stream_id, "?")).encode()
                conn.send_headers(ev.stream_id, [
                    (":status", "200"),
                    ("content-type", "text/plain"),
                    ("content-length", str(len(body))),
                    ("x-unixcap-test", "h2"),
                ])
                conn.send_data(ev.stream_id, body, end_stream=True)
            elif isinstance(ev, h2.events.ConnectionTerminated):
                out = conn.data_to_send()
                if out:
                    conn_sock.sendall(out)
                return
        out = conn.data_to_send()
        if out:
            conn_sock.sendall(out)


def main():
    args = [a for a in sys.argv[1:] if a != "--settings-first"]
    if len(args) != 1:
        sys.exit("usage: proto_h2_server.py SOCKET [--settings-first]")
    path = args[0]
    settings_first = "--settings-first" in sys.argv[1:]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            c, _ = srv.accept()
            try:
                serve(c, settings_first)
            except (ConnectionError, h2.exceptions.ProtocolError) as e:
                sys.stderr.write("proto_h2_server: %s\n" % e)
            finally:
                c.close()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.close()
        try:
            os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
