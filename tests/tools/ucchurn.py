#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Connection churn for the memory test: many short conversations, each finished at once.

    ucchurn.py DIR STREAMS SERVER_PATHS DGRAM_SOCKETS PAIRS

In one process named "ucchurn" (so a capture can select it with --comm):
  - STREAMS connections to one listening socket DIR/stream.sock: a request and a reply each,
    then both ends closed;
  - SERVER_PATHS listening sockets on paths of their own, one such connection each (every
    path is a new server address);
  - DGRAM_SOCKETS unbound datagram sockets, each sending one message to DIR/dgram.sock, then
    closed;
  - PAIRS socketpairs of each type (stream, datagram, seqpacket), a message each way, then
    closed.
Prints one line: the numbers of TCP connections and UDP flows a capture should show.
"""
import os
import socket
import sys


def exchange(client, server):
    client.sendall(b"request")
    server.recv(64)
    server.sendall(b"reply")
    client.recv(64)
    client.close()
    server.close()


def streams(path, n):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    for _ in range(n):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(path)
        server, _ = listener.accept()
        exchange(client, server)
    listener.close()
    os.unlink(path)


def datagrams(path, n):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    for _ in range(n):
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sender.sendto(b"datagram", path)
        server.recv(64)
        sender.close()
    server.close()
    os.unlink(path)


def pairs(kind, n):
    for _ in range(n):
        a, b = socket.socketpair(socket.AF_UNIX, kind)
        exchange(a, b)


def main():
    directory = sys.argv[1]
    n_streams, n_paths, n_dgrams, n_pairs = (int(a) for a in sys.argv[2:6])
    with open("/proc/self/comm", "w") as comm:
        comm.write("ucchurn")
    streams(os.path.join(directory, "stream.sock"), n_streams)
    for i in range(n_paths):
        streams(os.path.join(directory, "s%d.sock" % i), 1)
    datagrams(os.path.join(directory, "dgram.sock"), n_dgrams)
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
        pairs(kind, n_pairs)
    print(n_streams + n_paths + n_pairs, n_dgrams + 2 * n_pairs)


if __name__ == "__main__":
    main()
