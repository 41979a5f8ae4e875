#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Servers and clients on unix sockets for test_proxy.sh (python3 stdlib only).

Usage: proxy_peers.py COMMAND ARGS...
  http-server SOCK LOG [--barrier N]   raw HTTP/1.x responder, one request per connection:
        GET /big...  -> 200, Content-Length, BIG_SIZE bytes (with --barrier N, the response
                        waits until N /big requests are in: proves clients are served at once;
                        503 if they never are)
        GET /eof...  -> HTTP/1.0 200 without Content-Length: the body ends when the server
                        closes
        POST /upload -> reads until the client shuts down writing, answers "got N SHA256"
        GET /huge... -> HUGE_SIZE bytes, for a client that reads slowly
     and appends "conn RECV_SHA SENT_SHA" to LOG for each connection (the bytes each way)
  big-sha                              sha256 of the /big body
  huge-sha                             sha256 of the /huge body
  half-close SOCK N                    POST N bytes, shutdown(SHUT_WR), read the answer to EOF
  slow-read SOCK OUT PAUSE_FILE        GET /huge; reads 1 MiB, then waits while PAUSE_FILE
                                       exists, then reads the rest; writes the body's sha to OUT
  idle SOCK READY                      connects, touches READY, waits for end of file
  fd-server SOCK OUT                   receives a descriptor (SCM_RIGHTS), writes "secret" into
                                       it, closes it, writes what came with it to OUT
  fd-client SOCK                       passes a pipe's write end, closes its own, reads the
                                       pipe to end of file (which needs every copy closed)
  cred-server SOCK OUT                 SO_PASSCRED server: writes "peercred=PID creds=PID" to OUT
  cred-client SOCK                     sends SCM_CREDENTIALS (its own), prints its pid
  echo-server SOCK TYPE                datagram or seqpacket echo server
  echo-client SOCK TYPE N MANIFEST [BIND]   N messages of known sizes (one empty), each echoed
                                       back and compared; MANIFEST gets "INDEX LEN SHA256" each
  stale SOCK                           leaves a socket file nobody listens on
"""

import hashlib
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

BIG_SIZE = 200000
HUGE_SIZE = 16 << 20


def pattern(size, seed):
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(b"%s-%d" % (seed, i)).hexdigest().encode() + b"\n"
        i += 1
    return bytes(out[:size])


BIG = pattern(BIG_SIZE, b"big")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def addr(name):
    """A socket name as unixcap takes it: @name is abstract."""
    return "\0" + name[1:] if name.startswith("@") else name


def serve_forever(srv, path):
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


class Conn:
    """Counts what goes each way on one connection."""

    def __init__(self, sock):
        self.sock, self.got, self.sent = sock, hashlib.sha256(), hashlib.sha256()

    def recv(self, n):
        data = self.sock.recv(n)
        self.got.update(data)
        return data

    def send(self, data):
        self.sock.sendall(data)
        self.sent.update(data)


def http_handler(log, barrier):
    lock = threading.Lock()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            c = Conn(self.request)
            head = b""
            while b"\r\n\r\n" not in head:
                data = c.recv(65536)
                if not data:
                    return
                head += data
            line = head.split(b"\r\n", 1)[0].decode()
            path = line.split(" ")[1]
            if path.startswith("/upload"):
                body = head.split(b"\r\n\r\n", 1)[1]
                while True:
                    data = c.recv(65536)
                    if not data:
                        break
                    body += data
                text = b"got %d %s\n" % (len(body), sha(body).encode())
                c.send(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(text) + text)
            elif path.startswith("/eof"):
                c.send(b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
                c.send(BIG)
            elif path.startswith("/huge"):
                c.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                       % HUGE_SIZE)
                for k in range(HUGE_SIZE // BIG_SIZE + 1):
                    c.send(pattern(min(BIG_SIZE, HUGE_SIZE - k * BIG_SIZE), b"huge%d" % k))
            else:
                code = b"200 OK"
                if barrier:
                    try:
                        barrier.wait()
                    except threading.BrokenBarrierError:
                        code = b"503 Service Unavailable"
                c.send(b"HTTP/1.1 " + code + b"\r\nContent-Length: %d\r\nConnection: close"
                       b"\r\n\r\n" % BIG_SIZE + BIG)
            self.request.shutdown(socket.SHUT_WR)
            while c.recv(65536):  # to the client's end: every byte it sent is counted
                pass
            with lock, open(log, "a") as f:
                f.write("conn %s %s\n" % (c.got.hexdigest(), c.sent.hexdigest()))

    return Handler


class ThreadingServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def http_server(path, log, *opts):
    n = int(opts[opts.index("--barrier") + 1]) if "--barrier" in opts else 0
    barrier = threading.Barrier(n, timeout=20) if n else None
    serve_forever(ThreadingServer(path, http_handler(log, barrier)), path)


def huge_sha():
    h = hashlib.sha256()
    for k in range(HUGE_SIZE // BIG_SIZE + 1):
        h.update(pattern(min(BIG_SIZE, HUGE_SIZE - k * BIG_SIZE), b"huge%d" % k))
    return h.hexdigest()


def recv_all(s):
    out = b""
    while True:
        data = s.recv(65536)
        if not data:
            return out
        out += data


def half_close(path, n):
    body = pattern(int(n), b"upload")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(addr(path))
    s.sendall(b"POST /upload HTTP/1.0\r\n\r\n" + body)
    s.shutdown(socket.SHUT_WR)  # the server answers only once it sees the end
    answer = recv_all(s)
    want = b"got %d %s\n" % (len(body), sha(body).encode())
    if not answer.endswith(want):
        sys.exit("half-close: answer %r, want it to end with %r" % (answer[-200:], want))


def slow_read(path, out, pause_file):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(addr(path))
    s.sendall(b"GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while len(data) < (1 << 20):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("slow-read: end of file after %d bytes" % len(data))
        data += chunk
    while os.path.exists(pause_file):
        time.sleep(0.05)
    data += recv_all(s)
    body = data.split(b"\r\n\r\n", 1)[1]
    with open(out, "w") as f:
        f.write("%d %s\n" % (len(body), sha(body)))


def idle(path, ready):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(addr(path))
    open(ready, "w").close()
    s.settimeout(20)
    sys.exit(0 if s.recv(1) == b"" else "idle: bytes instead of end of file")


def fd_server(path, out):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    while True:  # the proxy's probe of the socket type connects and sends nothing
        conn, _ = srv.accept()
        msg, fds, _, _ = socket.recv_fds(conn, 1024, 4)
        if msg:
            break
        conn.close()
    if len(fds) != 1:
        sys.exit("fd-server: %d descriptors arrived" % len(fds))
    os.write(fds[0], b"secret through the proxy")
    os.close(fds[0])
    conn.sendall(b"ok")
    with open(out, "wb") as f:
        f.write(msg)
    conn.close()
    srv.close()
    os.unlink(path)


def fd_client(path):
    r, w = os.pipe()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(addr(path))
    socket.send_fds(s, [b"a pipe follows"], [w])
    os.close(w)
    s.settimeout(20)
    got = b""
    while True:  # ends only when every copy of the write end is closed, the proxy's too
        data = os.read(r, 4096)
        if not data:
            break
        got += data
    if got != b"secret through the proxy" or s.recv(2) != b"ok":
        sys.exit("fd-client: got %r" % got)


def cred_server(path, out):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    srv.bind(path)
    srv.listen(1)
    while True:  # the proxy's probe of the socket type connects and sends nothing
        conn, _ = srv.accept()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        peer = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        msg, anc, _, _ = conn.recvmsg(64, socket.CMSG_SPACE(12))
        if msg:
            break
        conn.close()
    creds = [struct.unpack("3i", d[:12]) for lvl, typ, d in anc
             if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS]
    with open(out, "w") as f:
        f.write("peercred=%d creds=%s\n" % (peer[0], creds[0][0] if creds else "none"))
    conn.sendall(b"ok")
    conn.close()
    srv.close()
    os.unlink(path)


def cred_client(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(addr(path))
    own = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    s.sendmsg([b"who am i"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, own)])
    s.settimeout(20)
    if s.recv(2) != b"ok":
        sys.exit("cred-client: no answer")
    print(os.getpid())


def sock_type(name):
    return {"dgram": socket.SOCK_DGRAM, "seqpacket": socket.SOCK_SEQPACKET}[name]


def echo_server(path, type_name):
    srv = socket.socket(socket.AF_UNIX, sock_type(type_name))
    srv.bind(path)
    signal.signal(signal.SIGTERM, lambda *_: (os.unlink(path), os._exit(0)))
    if type_name == "dgram":
        while True:
            data, addr = srv.recvfrom(1 << 20)
            if addr:
                srv.sendto(data, addr)
    srv.listen(8)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=echo_conn, args=(conn,), daemon=True).start()


def echo_conn(conn):
    while True:
        data = conn.recv(1 << 20)
        if not data:  # an empty message before the end is echoed as such: see the client
            conn.close()
            return
        conn.send(data)


def message_sizes(n, type_name):
    # one empty datagram in the middle (not for seqpacket: the echo server could not tell it
    # from the end), the rest up to 60000 bytes
    return [0 if i == n // 2 and type_name == "dgram" else 1 + (i * 7919) % 60000
            for i in range(n)]


def echo_client(path, type_name, n, manifest, bind=None):
    s = socket.socket(socket.AF_UNIX, sock_type(type_name))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    if bind:
        s.bind(bind)
    s.connect(addr(path))
    s.settimeout(20)
    lines = []
    for i, size in enumerate(message_sizes(int(n), type_name)):
        data = pattern(size, b"msg%d" % i)
        s.send(data)
        echo = s.recv(1 << 20)
        if echo != data:
            sys.exit("echo-client: message %d: %d bytes back, sent %d" % (i, len(echo), size))
        lines.append("%d %d %s\n" % (i, size, sha(data)))
    with open(manifest, "w") as f:
        f.writelines(lines)
    if bind:
        os.unlink(bind)


def stale(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "big-sha":
        print(sha(BIG))
    elif cmd == "huge-sha":
        print(huge_sha())
    else:
        {"http-server": http_server, "half-close": half_close, "slow-read": slow_read,
         "idle": idle, "fd-server": fd_server, "fd-client": fd_client,
         "cred-server": cred_server, "cred-client": cred_client, "echo-server": echo_server,
         "echo-client": echo_client, "stale": stale}[cmd](*args)


if __name__ == "__main__":
    main()
