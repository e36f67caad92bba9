#!/usr/bin/python3
"""The shipped nginx snippet (nginx/follow-fcgi.conf and its params file),
proved with a real nginx: `nginx -t` on what tests/stack generates, then the
JSON error pages nginx itself produces under /api/, the FastCGI parameters a
worker receives, and that the service's own answers pass through untouched.

Needs only nginx: the upstream is a tiny FastCGI responder in this file, so
it must never start PostgreSQL or follow-fcgi, and never leave nginx
running.  Prints TAP for automake's tap-driver.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)
import fcgiwire as fw  # noqa: E402
SRCDIR = os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(
    os.path.dirname(HERE))
STACK = os.path.join(SRCDIR, "tests", "stack")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
JSON_CT = "application/json; charset=utf-8"

# ---------------------------------------------------------------- FastCGI

class Responder:
    """A one-connection-at-a-time FastCGI responder on a Unix socket,
    standing in for follow-fcgi.  PATH_INFO picks the answer."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.thread = None
        self.last = None

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)  # nginx's workers may run as nobody
        self.sock.listen(16)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def stop(self):
        s, self.sock = self.sock, None
        if s is not None:
            s.shutdown(socket.SHUT_RDWR)
            s.close()
        if self.thread is not None:
            self.thread.join(5)
        if os.path.exists(self.path):
            os.unlink(self.path)

    def _loop(self):
        while self.sock is not None:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self._serve(conn)
                except (EOFError, OSError):
                    pass

    def _serve(self, conn):
        params = b""
        stdin = b""
        flags = None
        rid = 1
        while True:
            rtype, rid, body = fw.read_record(conn)
            if rtype == fw.FCGI_BEGIN_REQUEST:
                flags = body[2]
            elif rtype == fw.FCGI_PARAMS:
                params += body
            elif rtype == fw.FCGI_STDIN:
                if not body:
                    break
                stdin += body
        env = fw.parse_params(params)
        self.last = {"params": env, "keep_conn": bool(flags & 1),
                     "stdin": stdin.decode("latin-1")}
        path = env.get("PATH_INFO", "")
        if path == "/app-503":
            head = "Status: 503 Service Unavailable\r\nX-From-App: 1\r\n"
            body = {"detail": "Service unavailable"}
        elif path == "/app-404":
            head = "Status: 404 Not Found\r\nX-From-App: 1\r\n"
            body = {"detail": "Not Found"}
        else:
            head = "Status: 200 OK\r\n"
            body = {"ok": True}
        out = (head + "Content-Type: " + JSON_CT + "\r\n\r\n" +
               json.dumps(body)).encode()
        conn.sendall(fw.record(fw.FCGI_STDOUT, rid, out) +
                     fw.record(fw.FCGI_STDOUT, rid, b"") +
                     fw.record(fw.FCGI_END_REQUEST, rid, b"\0" * 8))


# ---------------------------------------------------------------- nginx

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# A second server on its own port has a limit_req of one request a minute,
# as a production site would set it, to see the snippet's 429 page.
LIMITED_SERVER = """
	limit_req_zone $binary_remote_addr zone=follow_test:1m rate=1r/m;
	server {
		listen 127.0.0.1:%d;
		limit_req zone=follow_test;
		include snippets/follow-fcgi.conf;
	}
"""


class Nginx:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="follow-nginx-test.")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.limited_port = free_port()
        self.sock = os.path.join(self.dir, "app.sock")
        self.started = False
        os.makedirs(os.path.join(self.dir, "snippets"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        for f in ("follow-fcgi.conf", "follow-fcgi-params.conf"):
            shutil.copy(os.path.join(SRCDIR, "nginx", f),
                        os.path.join(self.dir, "snippets", f))
        conf = subprocess.run(
            [STACK, "nginx-conf", self.dir, str(self.port), self.sock],
            stdout=subprocess.PIPE, check=True,
            stdin=subprocess.DEVNULL).stdout.decode()
        # Before the last "}", which closes http {}.
        cut = conf.rstrip().rfind("}")
        conf = (conf[:cut] + LIMITED_SERVER % self.limited_port +
                conf[cut:])
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)

    def cmd(self, *extra):
        return [NGINX, "-p", self.dir, "-c", self.conf, "-e",
                os.path.join(self.dir, "error.log")] + list(extra)

    def test_config(self):
        return subprocess.run(self.cmd("-t", "-q"), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)

    def start(self):
        subprocess.run(self.cmd(), check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started = True
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx does not listen on %d" % self.port)

    def stop(self):
        pidfile = os.path.join(self.dir, "nginx.pid")
        if self.started and os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read().split()[0])
            os.kill(pid, 15)
            deadline = time.time() + 10
            while time.time() < deadline and os.path.exists(pidfile):
                time.sleep(0.05)
        self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def request(port, method, target, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, target, skip_host=False,
                        skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def raw(port, data):
    """Send bytes as they are (for requests http.client refuses to build)
    and return (status, headers, body) of the answer."""
    s = socket.create_connection(("127.0.0.1", port), 10)
    try:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


# ---------------------------------------------------------------- tests

NG = None
APP = None


class Config(unittest.TestCase):

    def test_stack_check(self):
        r = subprocess.run([STACK, "check"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(r.returncode, 0, r.stdout.decode())

    def test_nginx_t_with_rate_limit(self):
        r = NG.test_config()
        self.assertEqual(r.returncode, 0, r.stdout.decode())

    def test_snippet_sets_no_rate_limit(self):
        with open(os.path.join(SRCDIR, "nginx", "follow-fcgi.conf")) as f:
            words = [line.split()[0] for line in f
                     if line.strip() and not line.lstrip().startswith("#")]
        self.assertNotIn("limit_req", words)
        self.assertNotIn("limit_req_zone", words)
        self.assertNotIn("limit_conn", words)


class Errors(unittest.TestCase):
    """Errors nginx produces itself: JSON, right status, right headers."""

    def check(self, got, status, detail, retry_after=False):
        st, hdrs, body = got
        self.assertEqual(st, status, (hdrs, body))
        self.assertEqual(hdrs.get("content-type"), JSON_CT)
        self.assertEqual(json.loads(body.decode()), {"detail": detail})
        self.assertEqual(hdrs.get("cache-control"), "no-store")
        self.assertEqual(hdrs.get("x-content-type-options"), "nosniff")
        if retry_after:
            self.assertEqual(hdrs.get("retry-after"), "1")

    def test_413_body_too_large(self):
        body = b'{"x": "' + b"a" * (17 * 1024) + b'"}'
        self.check(request(NG.port, "POST", "/api/users/1/follow",
                           {"Content-Type": "application/json"}, body),
                   413, "Request body too large")

    def test_16k_body_is_accepted(self):
        body = b"[" + b" " * (16 * 1024 - 2) + b"]"
        st, _, _ = request(NG.port, "POST", "/api/echo",
                           {"Content-Type": "application/json"}, body)
        self.assertEqual(st, 200)
        self.assertEqual(len(APP.last["stdin"]), 16 * 1024)

    def test_414_uri_too_long(self):
        self.check(request(NG.port, "GET", "/api/users/1?x=" + "a" * 10000),
                   414, "Request URI too long")

    def test_431_headers_too_large(self):
        self.check(request(NG.port, "GET", "/api/healthz",
                           {"X-Big": "a" * 10000}),
                   431, "Request headers too large")

    def test_431_outside_api_keeps_nginx_page(self):
        st, hdrs, _ = request(NG.port, "GET", "/elsewhere",
                              {"X-Big": "a" * 10000})
        self.assertEqual(st, 400)
        self.assertNotIn("json", hdrs.get("content-type", ""))

    def test_400_bad_header(self):
        self.check(raw(NG.port, b"GET /api/healthz HTTP/1.1\r\nHost: a\r\n"
                                b"Host: b\r\n\r\n"),
                   400, "Bad Request")

    def test_400_refused_uri(self):
        # Refused while parsing the request line, before $request_uri.
        for path in (b"/api/../../etc/passwd", b"/api/users/1%00",
                     b"http://a/api/x/../../.."):
            with self.subTest(path=path):
                self.check(raw(NG.port, b"GET " + path + b" HTTP/1.1\r\n"
                                        b"Host: a\r\n\r\n"),
                           400, "Bad Request")

    def test_400_outside_api_keeps_nginx_page(self):
        st, hdrs, _ = raw(NG.port, b"GET /x/../../etc HTTP/1.1\r\n"
                                   b"Host: a\r\n\r\n")
        self.assertEqual(st, 400)
        self.assertNotIn("json", hdrs.get("content-type", ""))

    def test_400_bad_chunked_body(self):
        self.check(raw(NG.port, b"POST /api/users/1/follow HTTP/1.1\r\n"
                                b"Host: a\r\nTransfer-Encoding: chunked\r\n"
                                b"\r\nzz\r\n\r\n"),
                   400, "Bad Request")

    def test_404_mount_point(self):
        self.check(request(NG.port, "GET", "/api"), 404, "Not Found")

    def test_429_rate_limited(self):
        first = request(NG.limited_port, "GET", "/api/echo")
        self.assertEqual(first[0], 200)
        self.check(request(NG.limited_port, "GET", "/api/echo"),
                   429, "Too Many Requests", retry_after=True)

    def test_503_when_workers_are_gone(self):
        APP.stop()
        try:
            for method in ("GET", "POST"):
                self.check(request(NG.port, method, "/api/healthz",
                                   body=b"{}" if method == "POST" else None),
                           503, "Service unavailable", retry_after=True)
        finally:
            APP.start()


class Passing(unittest.TestCase):
    """What reaches the worker, and what the worker's answers become."""

    def test_params(self):
        st, _, _ = request(NG.port, "GET", "/api/users/7/followers?page=2",
                           {"Proxy": "http://evil.test"})
        self.assertEqual(st, 200)
        p = APP.last["params"]
        self.assertEqual(p.get("SCRIPT_NAME"), "/api")
        self.assertEqual(p.get("PATH_INFO"), "/users/7/followers")
        self.assertEqual(p.get("QUERY_STRING"), "page=2")
        self.assertEqual(p.get("REQUEST_METHOD"), "GET")
        self.assertEqual(p.get("REQUEST_URI"),
                         "/api/users/7/followers?page=2")
        self.assertEqual(p.get("REMOTE_ADDR"), "127.0.0.1")
        self.assertEqual(p.get("SERVER_PROTOCOL"), "HTTP/1.1")
        self.assertRegex(p.get("REQUEST_ID", ""), r"^[0-9a-f]{32}$")
        self.assertEqual(p.get("HTTP_PROXY", ""), "")
        self.assertNotIn("HTTPS", p)

    def test_body_params(self):
        st, _, _ = request(NG.port, "POST", "/api/users/me/x",
                           {"Content-Type": "application/json"}, b"{}")
        self.assertEqual(st, 200)
        p = APP.last["params"]
        self.assertEqual(p.get("CONTENT_TYPE"), "application/json")
        self.assertEqual(p.get("CONTENT_LENGTH"), "2")
        self.assertEqual(APP.last["stdin"], "{}")

    def test_no_keep_conn(self):
        request(NG.port, "GET", "/api/echo")
        self.assertFalse(APP.last["keep_conn"])

    def test_app_errors_pass_through(self):
        for path, status in (("/api/app-503", 503), ("/api/app-404", 404)):
            st, hdrs, body = request(NG.port, "GET", path)
            self.assertEqual(st, status)
            self.assertEqual(hdrs.get("x-from-app"), "1")
            self.assertEqual(hdrs.get("content-type"), JSON_CT)
            self.assertIn(b"detail", body)

    def test_outside_api_untouched(self):
        st, _, body = request(NG.port, "GET", "/api-not/x")
        self.assertEqual(st, 404)
        self.assertIn(b"not part of", body)


# ---------------------------------------------------------------- TAP

class Tap(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, ok, test, comment=""):
        self.n += 1
        parent = getattr(test, "test_case", None)  # a subTest
        if parent is not None:
            name = "%s.%s %s" % (type(parent).__name__,
                                 parent._testMethodName,
                                 test._subDescription())
        else:
            name = "%s.%s" % (type(test).__name__, test._testMethodName)
        print("%s %d - %s%s" % ("ok" if ok else "not ok", self.n, name,
                                comment))
        sys.stdout.flush()

    def addSuccess(self, test):
        self._line(True, test)

    def addFailure(self, test, err):
        self._line(False, test)
        for line in self._exc_info_to_string(err, test).splitlines():
            print("# " + line)

    addError = addFailure

    def addSubTest(self, test, subtest, err):
        # A failing subTest keeps its test from reporting success.
        if err is not None:
            self.addFailure(subtest, err)

    def addSkip(self, test, reason):
        self._line(True, test, " # SKIP " + reason.replace("#", ""))


def main():
    global NG, APP
    if not os.path.exists(NGINX):
        print("1..0 # SKIP nginx is not installed")
        return 0
    try:
        NG = Nginx()
        APP = Responder(NG.sock)
        APP.start()
        NG.start()
    except Exception:
        print("Bail out! cannot start nginx: %s" %
              traceback.format_exc().splitlines()[-1])
        if NG is not None:
            NG.stop()
        return 1
    try:
        suite = unittest.TestLoader().loadTestsFromModule(
            sys.modules[__name__])
        result = Tap()
        suite.run(result)
        print("1..%d" % result.n)
    finally:
        NG.stop()
        APP.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
