#!/usr/bin/python3
"""Hostile HTTP: a bounded, seeded randomized fuzz of the running stack
over raw sockets -- odd methods, percent-encoding, dot segments, NUL
bytes, invalid UTF-8, huge and repeated headers and cookies, ids like 1e3
or 0x10, bodies where none belong, forged and mangled tokens.

Every answer for the service must be a 4xx JSON {"detail": ...} (or a 2xx
JSON for a request that happens to be valid), never a 5xx, never a hang;
afterwards /healthz is 200 and the same worker processes are running.
Requests that nginx itself maps outside /api/ (a dot segment above it, a
method it cannot parse) may get nginx's own non-JSON 4xx.  Must never
send anything but to the stack's loopback address, and never run longer
than HOSTILE_SECONDS.
"""

import json
import os
import posixpath
import random
import re
import socket
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reltest as rt  # noqa: E402
from reltest import ft  # noqa: E402

COUNT = int(os.environ.get("FOLLOW_HOSTILE_COUNT", "1500"))
SECONDS = float(os.environ.get("FOLLOW_HOSTILE_SECONDS", "60"))
SOCK_TIMEOUT = 10.0

IDS = ["1e3", "0x10", "007", "9223372036854775808", "9223372036854775807",
       "-1", "0", "+1", "1.0", "%31", "%00", "1%2F2", "..", "1;x", "",
       "18446744073709551617", "1 ", "%20", "\u0661", "%ff%fe", "\xff",
       "1" * 300, "me", "ME", "null", "[]", "%u0031", "1%0a", "1\t"]
PATHS = ["/users/{id}", "/users/{id}/follow", "/users/{id}/followers",
         "/users/{id}/following", "/users/me/feed", "/me/feed",
         "/users/me/relationships", "/healthz", "/users/{id}/follow/x",
         "/users", "/", "", "/users/{id}/../../healthz",
         "/users/./{id}", "/users//{id}", "/%2e%2e/{id}", "/users/{id}/%2e",
         "/../../etc/passwd", "/users/{id}%00", "/users/{id}?",
         "/healthz/", "/HEALTHZ", "/users/{id}#frag"]
METHODS = ["GET", "GET", "GET", "POST", "DELETE", "HEAD", "PUT", "PATCH",
           "OPTIONS", "TRACE", "get", "FOO", "G\x00T", "GET" * 40, "PROPFIND"]
PARAMS = ["page", "page_size", "cursor", "ids", "follow_session", "x", "",
          "page%00", "p\xe9ge"]
VALUES = ["1", "0", "-1", "100", "101", "1e3", "0x10", "007", "", "%",
          "%zz", "%00", "%ff", "%c3%28", "a" * 5000, "1,2,3", "1,,2", ",",
          "9223372036854775808", "AAAA" * 12, "%e2%82", "+", "1%2C2",
          ",".join(["1"] * 150), "\u00e9"]


class Hostile(ft.TestCase):

    def setUp(self):
        self.need_keys()

    def rand_id(self, rng, real):
        return rng.choice(IDS + [str(x) for x in real])

    def rand_pct(self, rng, s):
        """Percent-encode a random subset of s's bytes (either case)."""
        out = []
        for ch in s.encode("utf-8", "surrogateescape"):
            if rng.random() < 0.15:
                h = "%%%02X" % ch
                out.append(h.lower() if rng.random() < 0.5 else h)
            else:
                out.append(chr(ch))
        return "".join(out)

    def rand_token(self, rng, good):
        t = rng.choice(good)
        k = rng.randrange(8)
        if k == 0:
            return t
        if k == 1:  # one character changed
            i = rng.randrange(len(t))
            return t[:i] + rng.choice("AZaz09-_.=+/\x00\xff") + t[i + 1:]
        if k == 2:
            return t[:rng.randrange(len(t))]
        if k == 3:
            return t + "." + t
        if k == 4:
            return self.mint("1", alg="none")
        if k == 5:
            return "A" * rng.choice([1, 100, 5000, 9000])
        if k == 6:
            return rng.choice(["", "null", "Bearer", "e30.e30.", ".."])
        return self.mint(rng.choice(["0", "-1", "1e3", "0x10", "007",
                                     "9223372036854775808", "abc"]))

    def build(self, rng, real, good):
        """One random raw request; returns (bytes, method, target)."""
        method = rng.choice(METHODS)
        path = rng.choice(PATHS).replace("{id}", self.rand_id(rng, real))
        if rng.random() < 0.3:
            path = self.rand_pct(rng, path)
        q = []
        for _ in range(rng.choice([0, 0, 1, 2, 3, 8])):
            q.append("%s=%s" % (rng.choice(PARAMS), rng.choice(VALUES)))
        if rng.random() < 0.1:
            q.append("ids=%s" % ",".join(self.rand_id(rng, real)
                                         for _ in range(rng.randrange(1, 5))))
        target = self.stack.prefix + path + ("?" + "&".join(q) if q else "")
        if rng.random() < 0.02:
            target = "/api/users/" + "9" * rng.choice([3000, 9000])
        headers = [("Host", "localhost"), ("Connection", "close")]
        k = rng.randrange(10)
        if k < 3:
            headers.append(("Authorization",
                            "Bearer " + self.rand_token(rng, good)))
        elif k < 5:
            headers.append(("Cookie", "%s=%s" % (
                self.stack.cookie, self.rand_token(rng, good))))
        elif k == 5:
            headers.append(("Authorization", rng.choice(
                ["Basic Zm9vOmJhcg==", "Bearer", "bearer x", "Bearer  a.b.c",
                 "Token abc", "Bearer " + "x" * 20000])))
        if rng.random() < 0.1:
            for _ in range(rng.choice([2, 50, 200])):
                headers.append(("Cookie", "%s=%s; a=b" % (
                    self.stack.cookie, self.rand_token(rng, good))))
        if rng.random() < 0.05:
            headers.append(("X-Big", "x" * rng.choice([4000, 9000, 40000])))
        if rng.random() < 0.05:
            for i in range(rng.choice([50, 120])):
                headers.append(("X-Rep-%d" % (i % 3), "v" * 60))
        if rng.random() < 0.05:
            headers.append(("Cookie", "\xff\xfe=\x80; " +
                            "%s=\"%s" % (self.stack.cookie, "a" * 10)))
        if rng.random() < 0.05:
            headers.append(("Authorization", "Bearer a"))
            headers.append(("Authorization", "Bearer " + good[0]))
        body = None
        if rng.random() < 0.25:
            body = rng.choice([b"{}", b'{"x":1}', b"\x00" * 10,
                               b"\xff\xfe" * 50, b"a" * 17000, b"[" * 5000,
                               json.dumps({"id": 1}).encode()])
        head = "%s %s HTTP/1.1\r\n" % (method, target)
        for k2, v in headers:
            head += "%s: %s\r\n" % (k2, v)
        if body is not None:
            if rng.random() < 0.1:
                head += "Transfer-Encoding: chunked\r\n\r\n"
                data = head.encode("latin-1", "replace") + (
                    b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
                return data, method, target
            head += "Content-Length: %d\r\n" % len(body)
        data = head.encode("utf-8", "surrogateescape") + b"\r\n" + (
            body or b"")
        return data, method, target

    def send(self, data):
        """Send raw bytes; return (status or None, headers, body) or raise
        socket.timeout for a hang."""
        s = socket.create_connection((self.stack.host, self.stack.port),
                                     timeout=SOCK_TIMEOUT)
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # nginx may refuse and close before reading it all
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except ConnectionResetError:
                    break
                if not b:
                    break
                chunks.append(b)
        finally:
            s.close()
        raw = b"".join(chunks)
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0] if lines else b"")
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode(
                "latin-1")
        return (int(m.group(1)) if m else None), hdrs, body

    def for_service(self, method, target):
        """Whether nginx routes this to /api/ (so the answer must be JSON):
        a parseable method and a path that stays under /api/ once decoded
        and normalised as nginx does."""
        if not re.fullmatch(r"[A-Z]+", method):
            return False
        # What nginx refuses before it picks a location is classified by
        # the raw request line alone (nginx/follow-fcgi.conf).
        if not re.match(r"/api([/?]|$)", target):
            return False
        path = target.split("?", 1)[0].split("#", 1)[0]
        dec = urllib.parse.unquote(path, encoding="latin-1")
        if "\x00" in dec:
            return False
        norm = posixpath.normpath(dec.replace("//", "/"))
        if dec.endswith("/"):
            norm += "/"
        return norm.startswith("/api/") or norm == "/api"

    def test_hostile_requests(self):
        rng = random.Random(rt.SEED)
        real = [self.make_user() for _ in range(3)]
        self.follow_sql(real[0], real[1])
        good = [self.token_for(u) for u in real]
        pids = self.stack.worker_pids()
        hist, bad, sent = {}, [], 0
        end = time.monotonic() + SECONDS
        while sent < COUNT and time.monotonic() < end:
            data, method, target = self.build(rng, real, good)
            sent += 1
            try:
                st, hdrs, body = self.send(data)
            except socket.timeout:
                bad.append(("hang", data[:200]))
                continue
            hist[st] = hist.get(st, 0) + 1
            why = self.judge(st, hdrs, body, method, target)
            if why:
                bad.append((why, data[:200]))
                if os.environ.get("FOLLOW_HOSTILE_DEBUG"):
                    print("# bad: %s %r" % (why, data[:120]))
        self.assertEqual(self.api("GET", "/healthz").status, 200)
        self.assertEqual(self.stack.worker_pids(), pids, "a worker died")
        rt.figure("hostile HTTP: %d requests (seed %d), answers %s, %d "
                  "bad" % (sent, rt.SEED, ", ".join(
                      "%s: %d" % (k, v) for k, v in sorted(
                          hist.items(), key=lambda x: str(x[0]))), len(bad)))
        self.assertGreater(sent, min(COUNT, 200), "too few requests sent")
        self.assertEqual(bad[:10], [], "%d bad answers" % len(bad))

    def judge(self, st, hdrs, body, method, target):
        """Returns why an answer is wrong, or None."""
        if st is None:
            return "no HTTP answer"
        if st >= 500:
            return "status %d" % st
        if st >= 300 and st < 400:
            return "redirect %d" % st
        if not self.for_service(method, target):
            return None if 400 <= st < 500 or st < 300 else "status %d" % st
        ct = hdrs.get("content-type", "").replace(" ", "").lower()
        if ct != "application/json;charset=utf-8":
            return "content-type %r (status %d)" % (ct, st)
        if hdrs.get("x-content-type-options") != "nosniff":
            return "no nosniff (status %d)" % st
        if method == "HEAD":
            return None
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return "body not JSON (status %d)" % st
        if st >= 400 and (not isinstance(doc, dict) or list(doc) !=
                          ["detail"] or not isinstance(doc["detail"], str)):
            return "error body %r" % (doc,)
        return None


if __name__ == "__main__":
    ft.main()
