#!/usr/bin/python3
"""Both shipped nginx configurations pass `nginx -t`: the test stack's
(the snippet in a plain and a TLS server) and nginx/example-site.conf in
the nginx.conf a Debian host has, with only host-specific paths and ports
substituted.  Then the example site runs for real (its upstream socket
absent, so nothing else is started): HTTP redirects to HTTPS, HSTS and the
security headers, cached static assets, and the write rate limit answering
429 JSON with Retry-After while GETs are not limited.

Never leaves nginx running; prints TAP.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.environ.get("FOLLOW_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests",
    "deploy"))
import deploytest as dt  # noqa: E402

sys.path.insert(0, os.path.join(dt.SRCDIR, "tests", "integration"))
import followtest as ft  # noqa: E402


def site_for_test(prefix, http_port, https_port, cert, key):
    """example-site.conf with this machine's paths and free ports."""
    with open(os.path.join(dt.SRCDIR, "nginx", "example-site.conf")) as f:
        text = f.read()
    subs = [
        ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;"
         % https_port),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/letsencrypt/live/example.com/fullchain.pem", cert),
        ("/etc/letsencrypt/live/example.com/privkey.pem", key),
        ("/var/log/nginx", prefix),
        ("/var/www", os.path.join(prefix, "www")),
        ("unix:/run/follow-fcgi/", "unix:%s/" % prefix),
    ]
    for old, new in subs:
        if old not in text:
            raise AssertionError("example-site.conf lost %r" % old)
        text = text.replace(old, new)
    return text


class NginxConfigs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="follow-deploy-nginx.")
        os.chmod(cls.dir, 0o755)
        cls.cert, cls.key = dt.make_cert(os.path.join(cls.dir, "tls"))
        os.chmod(cls.key, 0o644)   # nginx's master reads it as root anyway
        cls.http_port = ft.free_port()
        cls.https_port = ft.free_port()
        www = os.path.join(cls.dir, "www", "example")
        os.makedirs(www)
        with open(os.path.join(www, "app.css"), "w") as f:
            f.write("body { margin: 0 }\n")
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("<!doctype html><title>site</title>\n")
        os.chmod(os.path.join(cls.dir, "www"), 0o755)
        cls.conf = dt.nginx_wrapper(cls.dir, site_for_test(
            cls.dir, cls.http_port, cls.https_port, cls.cert, cls.key))
        cls.started = False

    @classmethod
    def tearDownClass(cls):
        if cls.started:
            dt.nginx(cls.dir, cls.conf, "-s", "stop")
            pidfile = os.path.join(cls.dir, "nginx.pid")
            end = time.monotonic() + 10
            while os.path.exists(pidfile) and time.monotonic() < end:
                time.sleep(0.05)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def start(self):
        if not type(self).started:
            r = dt.nginx(self.dir, self.conf)
            self.assertEqual(r.returncode, 0, r.stdout.decode())
            type(self).started = True
        self.tls = dt.https_context(self.cert)

    def test_1_stack_config_passes_nginx_t(self):
        r = subprocess.run([os.path.join(dt.SRCDIR, "tests", "stack"),
                            "check"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout.decode())

    def test_2_example_site_passes_nginx_t(self):
        r = dt.nginx(self.dir, self.conf, "-t")
        self.assertEqual(r.returncode, 0, r.stdout.decode())

    def test_3_http_redirects_to_https(self):
        self.start()
        st, h, _ = dt.request("127.0.0.1", self.http_port, "GET",
                              "/api/healthz?x=1")
        self.assertEqual(st, 301)
        self.assertEqual(h["Location"], "https://127.0.0.1/api/healthz?x=1")

    def test_4_security_headers_and_static_cache(self):
        self.start()
        st, h, _ = dt.request("127.0.0.1", self.https_port, "GET",
                              "/app.css", tls=self.tls)
        self.assertEqual(st, 200)
        self.assertIn("max-age=31536000", h["Cache-Control"])
        self.assertIn("max-age=63072000", h["Strict-Transport-Security"])
        self.assertEqual(h["X-Content-Type-Options"], "nosniff")
        self.assertEqual(h["X-Frame-Options"], "DENY")
        self.assertIn("Content-Security-Policy", h)
        st, h, _ = dt.request("127.0.0.1", self.https_port, "GET", "/",
                              tls=self.tls)
        self.assertEqual(st, 200)
        self.assertIn("no-cache", h["Cache-Control"])

    def test_5_api_path_never_taken_by_static_regex(self):
        # No worker socket here: the API answers its JSON 503.
        self.start()
        st, h, body = dt.request("127.0.0.1", self.https_port, "GET",
                                 "/api/users/1.css", tls=self.tls)
        self.assertEqual(st, 503)
        self.assertEqual(json.loads(body), {"detail": "Service unavailable"})

    def test_6_write_rate_limit_is_json_429(self):
        self.start()
        statuses = []
        last = None
        for _ in range(30):
            st, h, body = dt.request("127.0.0.1", self.https_port, "POST",
                                     "/api/users/7/follow", tls=self.tls)
            statuses.append(st)
            if st == 429:
                last = (h, body)
                break
        self.assertIsNotNone(last, statuses)
        h, body = last
        self.assertEqual(json.loads(body), {"detail": "Too Many Requests"})
        self.assertEqual(h["Retry-After"], "1")
        self.assertEqual(h["Content-Type"], ft.JSON_CT)
        # The burst of 10 passed before the limit (to the absent worker).
        self.assertGreaterEqual(len(statuses), 11)
        # GETs are not limited while writes are.
        for _ in range(15):
            st, _, _ = dt.request("127.0.0.1", self.https_port, "GET",
                                  "/api/healthz", tls=self.tls)
            self.assertEqual(st, 503)


if __name__ == "__main__":
    if not os.access(dt.NGINX, os.X_OK) or shutil.which("openssl") is None:
        ft.skip_all("nginx or openssl is not installed")
    out = sys.stdout
    result = ft._TapResult(out)
    unittest.TestLoader().loadTestsFromTestCase(NginxConfigs).run(result)
    out.write("1..%d\n" % result.n)
    sys.exit(0)
