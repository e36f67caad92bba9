#!/usr/bin/python3
"""Hardening, end to end against a private tests/stack: tokens and key
secrets never reach any log, authenticated answers are never cached,
every answer says nosniff, the key file's permissions are enforced by the
real binary, and the workers do not run as root.

Every request is logged (FOLLOW_SLOW_MS=0) so the log check sees the most
a worker could ever write.  Must never change the stack's key file or
signal its processes.
"""

import os
import stat
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
# Log every request: the leak check must see everything a worker writes.
os.environ.setdefault("FOLLOW_SLOW_MS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reltest as rt  # noqa: E402
from reltest import ft  # noqa: E402

BUILDDIR = os.environ.get("FOLLOW_BUILDDIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Hardening(ft.TestCase):

    def setUp(self):
        self.need_keys()

    def authed_requests(self):
        a, b = self.make_user(), self.make_user()
        self.follow_sql(a, b)
        self.make_post(b)
        tok = self.token_for(a)
        return a, b, tok, [
            ("GET", "/users/me/feed", tok), ("GET", "/me/feed", tok),
            ("GET", "/users/me", tok), ("GET", "/users/%d" % b, tok),
            ("GET", "/users/me/relationships?ids=%d" % b, tok),
            ("GET", "/users/%d/followers" % b, tok),
            ("POST", "/users/%d/follow" % b, tok),
            ("DELETE", "/users/%d/follow" % b, tok),
            ("POST", "/users/%d/follow" % b, tok)]

    def test_1_authenticated_answers_not_cached(self):
        _, _, _, reqs = self.authed_requests()
        for method, path, tok in reqs:
            with self.subTest(method=method, path=path):
                r = self.api(method, path, token=tok)
                self.assertLess(r.status, 300, repr(r))
                self.assertEqual(r.headers.get("Cache-Control"), "no-store",
                                 repr(r))
                self.assertEqual(r.headers.get("X-Content-Type-Options"),
                                 "nosniff", repr(r))

    def test_2_nosniff_everywhere(self):
        a = self.make_user()
        for method, path, tok in [
                ("GET", "/healthz", None), ("GET", "/users/%d" % a, None),
                ("GET", "/users/%d/followers" % a, None),
                ("GET", "/nope", None), ("PUT", "/users/1/follow", None),
                ("GET", "/users/007", None), ("GET", "/users/me", None),
                ("GET", "/users/me", "x.y.z"), ("TRACE", "/healthz", None),
                ("GET", "/users/%d?page_size=0" % a, None)]:
            with self.subTest(method=method, path=path):
                r = self.api(method, path, token=tok)
                self.assertEqual(r.headers.get("X-Content-Type-Options"),
                                 "nosniff", repr(r))
                if r.status >= 400:
                    self.assertEqual(r.headers.get("Cache-Control"),
                                     "no-store", repr(r))

    def test_3_tokens_and_secrets_never_logged(self):
        _, _, tok, reqs = self.authed_requests()
        sent = [tok]
        for method, path, t in reqs:
            self.api(method, path, token=t)
        # Refused tokens are the ones a careless log line would print.
        bad = [tok[:-4] + "AAAA", self.mint("1", alg="none"),
               self.mint("007"), self.mint("1", exp=1), tok + "x"]
        for t in bad:
            sent.append(t)
            self.api("GET", "/users/me", token=t)
            self.api("GET", "/users/me", cookie=t,
                     headers={"Origin": self.stack.origin})
        text = rt.worker_log(self)
        self.assertTrue(text.strip(), "the worker log is empty: nothing "
                        "was checked (FOLLOW_SLOW_MS=0 logs every request)")
        for t in sent:
            for part in [t] + [p for p in t.split(".") if len(p) >= 16]:
                self.assertNotIn(part, text, "a token reached the log")
        with open(self.stack.keyfile) as f:
            secrets = [line.split()[1] for line in f
                       if line.strip() and not line.startswith("#")]
        for kid, raw in self.stack.keys:
            self.assertNotIn(raw.hex(), text)
        for s in secrets:
            self.assertNotIn(s, text, "a key secret reached the log")
        ngx = os.path.join(self.stack.state, "nginx")
        for name in ("access.log", "error.log"):
            try:
                with open(os.path.join(ngx, name), "rb") as f:
                    log = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            for t in sent:
                self.assertNotIn(t, log, "a token reached nginx's %s" % name)
        rt.figure("secrets: %d tokens and %d key secrets checked against "
                  "%d bytes of worker log: none found" % (
                      len(sent), len(secrets), len(text)))

    def run_cgi(self, keyfile, extra=None):
        env = {"PATH": "/usr/bin:/bin", "FOLLOW_DSN": self.dsn,
               "FOLLOW_KEYFILE": keyfile, "GATEWAY_INTERFACE": "CGI/1.1",
               "REQUEST_METHOD": "GET", "PATH_INFO": "/healthz",
               "SCRIPT_NAME": "/api", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1"}
        env.update(extra or {})
        return subprocess.run([os.path.join(BUILDDIR, "follow-fcgi")],
                              env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=30)

    def test_4_key_file_permissions_enforced(self):
        secret = "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldCE="
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "keys")
            with open(path, "w") as f:
                f.write("k1 %s\n" % secret)
            for mode in (0o644, 0o640, 0o604, 0o660):
                with self.subTest(mode=oct(mode)):
                    os.chmod(path, mode)
                    r = self.run_cgi(path)
                    self.assertNotEqual(r.returncode, 0, oct(mode))
                    err = r.stderr.decode("utf-8", "replace")
                    self.assertIn(path, err)
                    self.assertNotIn(secret, err + r.stdout.decode(
                        "utf-8", "replace"))
            os.chmod(path, 0o600)
            r = self.run_cgi(path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"200", r.stdout.split(b"\r\n", 1)[0] +
                          r.stdout[:200])

    def test_5_workers_unprivileged(self):
        if os.geteuid() != 0:
            self.skipTest("not root: nothing to drop")
        pids = self.stack.worker_pids()
        self.assertTrue(pids)
        for pid in pids:
            with open("/proc/%d/status" % pid) as f:
                ids = {line.split(":")[0]: line.split()[1:]
                       for line in f if line.startswith(("Uid", "Gid"))}
            with self.subTest(pid=pid):
                self.assertNotIn("0", ids["Uid"], "worker %d is root" % pid)
                self.assertNotIn("0", ids["Gid"], "worker %d is root" % pid)
        # FOLLOW_USER naming no user is refused, not ignored.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "keys")
            with open(path, "w") as f:
                f.write("k1 %s\n" % ("A" * 44))
            os.chmod(path, 0o600)
            r = self.run_cgi(path, {"FOLLOW_USER": "no-such-user-xyz"})
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"no such user", r.stderr)
        st = os.stat(self.stack.keyfile)
        self.assertEqual(stat.S_IMODE(st.st_mode) & 0o077, 0)


if __name__ == "__main__":
    ft.main()
