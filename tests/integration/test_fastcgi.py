#!/usr/bin/python3
"""The workers' FastCGI connections, with the test as the web server: it
talks to the stack's worker socket directly, so it can send a request in
the pieces and at the pace nginx never uses but Apache's mod_proxy_fcgi
does.

A worker ends a Unix-socket connection by closing it at once, not by
libfcgi's lingering close (src/worker.c, finish()); these prove that no
web server loses an answer by it.  Must never depend on another test's
rows.
"""

import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fcgiwire as fw  # noqa: E402
import followtest as ft  # noqa: E402


def params_for(path, method="GET", **extra):
    p = {"REQUEST_METHOD": method, "SCRIPT_NAME": "/api",
         "PATH_INFO": path, "REQUEST_URI": "/api" + path,
         "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1"}
    p.update(extra)
    return fw.encode_params(p)


def read_answer(conn):
    """(stdout bytes, app status) up to END_REQUEST; then the worker must
    close: the next read is end-of-file while our end is still open."""
    out = b""
    while True:
        rtype, _, body = fw.read_record(conn)
        if rtype == fw.FCGI_STDOUT:
            out += body
        elif rtype == fw.FCGI_END_REQUEST:
            status = int.from_bytes(body[:4], "big")
            break
    conn.settimeout(5)
    closed = conn.recv(1) == b""
    return out, status, closed


class Connections(ft.TestCase):

    def connect(self):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(10)
        c.connect(os.path.join(self.stack.state, "follow.sock"))
        self.addCleanup(c.close)
        return c

    def test_end_of_input_sent_late(self):
        # mod_proxy_fcgi sends the empty STDIN record in a write of its
        # own. A worker that closed right after answering made that write
        # fail (EPIPE), and Apache answered 503 instead of our answer.
        c = self.connect()
        c.sendall(fw.begin_request(1) +
                  fw.record(fw.FCGI_PARAMS, 1, params_for("/healthz")) +
                  fw.record(fw.FCGI_PARAMS, 1, b""))
        time.sleep(0.3)
        c.sendall(fw.record(fw.FCGI_STDIN, 1, b""))
        out, status, closed = read_answer(c)
        self.assertEqual(status, 0)
        self.assertIn(b'{"status": "ok"}', out.replace(b'":"', b'": "'))
        self.assertTrue(closed, "the worker kept the connection open")

    def test_body_sent_in_pieces(self):
        user = self.make_user()
        c = self.connect()
        body = b'{"x": 1}'
        c.sendall(fw.begin_request(1) + fw.record(
            fw.FCGI_PARAMS, 1, params_for(
                "/users/%d" % user, CONTENT_LENGTH=str(len(body)),
                CONTENT_TYPE="application/json")) +
            fw.record(fw.FCGI_PARAMS, 1, b"") +
            fw.record(fw.FCGI_STDIN, 1, body[:3]))
        time.sleep(0.2)
        c.sendall(fw.record(fw.FCGI_STDIN, 1, body[3:]))
        time.sleep(0.2)
        c.sendall(fw.record(fw.FCGI_STDIN, 1, b""))
        out, status, closed = read_answer(c)
        self.assertEqual(status, 0)
        self.assertIn(b'"id":%d' % user, out.replace(b" ", b""))
        self.assertTrue(closed)

    def test_unread_input_still_gets_the_answer(self):
        # A body far over FOLLOW_MAX_BODY is refused unread; the worker
        # then reads only so much of it before closing, so here libfcgi's
        # lingering close must keep the answer from being reset away.
        c = self.connect()
        size = 1 << 20
        c.sendall(fw.begin_request(1) + fw.record(
            fw.FCGI_PARAMS, 1, params_for(
                "/healthz", CONTENT_LENGTH=str(size))) +
            fw.record(fw.FCGI_PARAMS, 1, b""))

        def send_body():
            chunk = fw.record(fw.FCGI_STDIN, 1, b"x" * 32768)
            try:
                for _ in range(size // 32768):
                    c.sendall(chunk)
                c.sendall(fw.record(fw.FCGI_STDIN, 1, b""))
            except OSError:
                pass  # the worker may close before all of it is sent
        t = threading.Thread(target=send_body, daemon=True)
        t.start()
        out, status, _ = read_answer(c)
        t.join(10)
        self.assertEqual(status, 0)
        self.assertIn(b"Status: 413", out)
        self.assertIn(b"Request body too large", out)

    def test_many_connections_in_a_row(self):
        # Each closed at once; none may be answered twice or lost.
        for i in range(200):
            c = self.connect()
            c.sendall(fw.begin_request(i % 65535 + 1) + fw.record(
                fw.FCGI_PARAMS, i % 65535 + 1, params_for("/healthz")) +
                fw.record(fw.FCGI_PARAMS, i % 65535 + 1, b"") +
                fw.record(fw.FCGI_STDIN, i % 65535 + 1, b""))
            out, status, closed = read_answer(c)
            self.assertEqual((status, closed), (0, True), i)
            self.assertIn(b"ok", out)
            c.close()


if __name__ == "__main__":
    ft.main()
