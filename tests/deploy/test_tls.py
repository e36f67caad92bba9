#!/usr/bin/python3
"""The API over TLS through the shipped snippet (tests/stack with
FOLLOW_STACK_TLS=1): the certificate verifies for 127.0.0.1, healthz and a
follow/unfollow round trip answer as over plain HTTP, and the worker's log
line for a request carries nginx's $request_id (passed as REQUEST_ID),
route, status and database time, never the token.  A file named by
FOLLOW_STACK_SERVER_INCLUDE is served beside /api/ on both servers.

Starts its own stack (every request logged: FOLLOW_SLOW_MS=0); prints TAP.
"""

import atexit
import json
import os
import re
import ssl
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.environ.get("FOLLOW_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests",
    "deploy"))
import deploytest as dt  # noqa: E402
import followtest as ft  # noqa: E402

os.environ["FOLLOW_STACK_TLS"] = "1"
os.environ["FOLLOW_SLOW_MS"] = "0"
# A site beside the API, as the PHP demo mounts itself.
_include = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
_include.write('location = /site-probe {\n'
               '\tdefault_type text/plain;\n'
               '\treturn 200 "site include\\n";\n}\n')
_include.close()
atexit.register(os.unlink, _include.name)
os.environ["FOLLOW_STACK_SERVER_INCLUDE"] = _include.name


def stack_env(state):
    """The FOLLOW_* assignments `up` wrote to STATE/env."""
    with open(os.path.join(state, "env")) as f:
        return ft._parse_assignments(f.read())


class Tls(ft.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = stack_env(cls.stack.state)
        u = urllib.parse.urlsplit(env["FOLLOW_HTTPS_URL"])
        cls.host, cls.port, cls.prefix = u.hostname, u.port, u.path
        cls.cacert = env["FOLLOW_CACERT"]
        cls.ctx = dt.https_context(cls.cacert)

    def https(self, method, path, token=None):
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        return dt.request(self.host, self.port, method, self.prefix + path,
                          headers=h, tls=self.ctx)

    def test_certificate_is_verified(self):
        # A context without the stack's CA refuses the self-signed cert.
        with self.assertRaises(ssl.SSLError):
            dt.request(self.host, self.port, "GET",
                       self.prefix + "/healthz",
                       tls=ssl.create_default_context())

    def test_healthz_over_https(self):
        st, h, body = self.https("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(h["Content-Type"], ft.JSON_CT)
        self.assertEqual(json.loads(body), {"status": "ok"})

    def test_follow_round_trip_over_https(self):
        a, b = self.make_users(2)
        tok = self.token_for(a)
        st, _, body = self.https("POST", "/users/%d/follow" % b, tok)
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body),
                         {"following": True, "follower_count": 1})
        st, _, body = self.https("GET", "/users/%d" % b, tok)
        self.assertEqual(st, 200, body)
        self.assertTrue(json.loads(body)["following"])
        st, _, body = self.https("DELETE", "/users/%d/follow" % b, tok)
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body),
                         {"following": False, "follower_count": 0})
        st, _, body = self.https("GET", "/users/me/feed")
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body), {"detail": "Not authenticated"})

    def test_server_include_on_both_servers(self):
        st, _, body = dt.request(self.host, self.port, "GET",
                                 "/site-probe", tls=self.ctx)
        self.assertEqual((st, body), (200, b"site include\n"))
        st, _, body = dt.request(self.stack.host, self.stack.port, "GET",
                                 "/site-probe")
        self.assertEqual((st, body), (200, b"site include\n"))
        self.assertEqual(self.api("GET", "/healthz").status, 200)

    def test_log_line_carries_nginx_request_id(self):
        a, = self.make_users(1)
        tok = self.token_for(a)
        st, _, _ = self.https("GET", "/users/me/feed?page_size=2", tok)
        self.assertEqual(st, 200)
        logf = os.path.join(self.stack.state, "follow-fcgi.log")
        accf = os.path.join(self.stack.state, "nginx", "access.log")
        line = None
        end = time.monotonic() + 5
        while time.monotonic() < end:
            with open(logf, errors="replace") as f:
                lines = [ln for ln in f if "route=" in ln and
                         "status=200" in ln and "feed" in ln]
            if lines:
                line = lines[-1]
                break
            time.sleep(0.1)
        self.assertIsNotNone(line, "no log line for the feed request")
        m = re.search(r"request id=([0-9a-f]{32}) route=(\S+) status=200 "
                      r"ms=[0-9.]+ db_ms=[0-9.]+", line)
        self.assertIsNotNone(m, line)
        # The same id is in nginx's access log (flushed every second).
        found = False
        end = time.monotonic() + 5
        while time.monotonic() < end and not found:
            with open(accf, errors="replace") as f:
                found = any(m.group(1) in ln for ln in f)
            if not found:
                time.sleep(0.2)
        self.assertTrue(found, "request id %s not in access.log" % m.group(1))
        with open(logf, errors="replace") as f:
            text = f.read()
        self.assertNotIn(tok, text)
        self.assertNotIn(tok.split(".")[2], text)


if __name__ == "__main__":
    ft.main()
