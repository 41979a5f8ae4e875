#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# An HTTP/2 cleartext client (prior knowledge) on a unix socket for test_protocols.sh that
# waits for the server's SETTINGS before sending its own preface, so the server's bytes are the
# connection's first message — what happens by chance with servers that write SETTINGS right
# after accept() (Go's gRPC, nghttp2). Needs python3-h2: run it with /usr/bin/python3.
# Usage: proto_h2_client.py SOCKET PATH   (prints the response body; exit 0 on :status 200)
import socket
import sys

import h2.config
import h2.connection
import h2.events


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: proto_h2_client.py SOCKET PATH")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    first = s.recv(65535)  # the server's preface
    if not first:
        sys.exit("proto_h2_client: the server sent nothing first")
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(1, [(":method", "GET"), (":path", sys.argv[2]), (":scheme", "http"),
                          (":authority", "localhost")], end_stream=True)
    status, body, done, data = None, b"", False, first
    while not done:
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status = dict((k.decode() if isinstance(k, bytes) else k,
                               v.decode() if isinstance(v, bytes) else v)
                              for k, v in ev.headers).get(":status")
            elif isinstance(ev, h2.events.DataReceived):
                body += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                done = True
        out = conn.data_to_send()
        if out:
            s.sendall(out)
        if not done:
            data = s.recv(65535)
            if not data:
                break
    conn.close_connection()
    s.sendall(conn.data_to_send())
    s.shutdown(socket.SHUT_WR)
    while s.recv(65535):  # until the server closes too
        pass
    s.close()
    sys.stdout.write(body.decode(errors="replace"))
    sys.exit(0 if status == "200" else 1)


if __name__ == "__main__":
    main()
