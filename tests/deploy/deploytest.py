"""Helpers shared by the tests in tests/deploy: paths, free ports, a
self-signed certificate, an nginx wrapper config around a site file, and
a bounded steady-load generator that records every failed request.

It must never start anything on import, never signal a process it did not
start, and never run a loop without a deadline.  Python stdlib only.
"""

import http.client
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(
    os.path.dirname(HERE))
BUILDDIR = os.environ.get("FOLLOW_BUILDDIR") or SRCDIR
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def make_cert(directory):
    """Write cert.pem and key.pem (self-signed, 127.0.0.1) into directory."""
    os.makedirs(directory, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", os.path.join(directory, "key.pem"),
         "-out", os.path.join(directory, "cert.pem")],
        check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, timeout=30)
    return os.path.join(directory, "cert.pem"), os.path.join(
        directory, "key.pem")


def nginx_wrapper(prefix, site_text):
    """The nginx.conf a Debian host would have, around one site file.

    Copies the shipped snippets to prefix/snippets and writes
    prefix/site.conf and prefix/nginx.conf; returns the latter's path."""
    os.makedirs(os.path.join(prefix, "snippets"), exist_ok=True)
    os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
    for f in ("follow-fcgi.conf", "follow-fcgi-params.conf"):
        shutil.copy(os.path.join(SRCDIR, "nginx", f),
                    os.path.join(prefix, "snippets", f))
    with open(os.path.join(prefix, "site.conf"), "w") as f:
        f.write(site_text)
    conf = os.path.join(prefix, "nginx.conf")
    user = "user followfcgi followfcgi;\n" if os.getuid() == 0 and \
        _has_user("followfcgi") else ""
    with open(conf, "w") as f:
        f.write("""%(user)sdaemon on;
worker_processes 2;
pid %(p)s/nginx.pid;
error_log %(p)s/error.log warn;
events { worker_connections 256; }
http {
	default_type application/octet-stream;
	client_body_temp_path %(p)s/tmp/client_body;
	fastcgi_temp_path %(p)s/tmp/fastcgi;
	proxy_temp_path %(p)s/tmp/proxy;
	uwsgi_temp_path %(p)s/tmp/uwsgi;
	scgi_temp_path %(p)s/tmp/scgi;
	access_log %(p)s/access.log;
	include site.conf;
}
""" % {"p": prefix, "user": user})
    return conf


def _has_user(name):
    import pwd
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def nginx(prefix, conf, *args):
    """Run nginx with prefix and conf; returns CompletedProcess."""
    return subprocess.run(
        [NGINX, "-p", prefix, "-c", conf, "-e",
         os.path.join(prefix, "error.log")] + list(args),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=30)


def https_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx


def request(url_host, port, method, path, headers=None, tls=None,
            timeout=10):
    """One request on a fresh connection; returns (status, headers, body)."""
    if tls is not None:
        c = http.client.HTTPSConnection(url_host, port, context=tls,
                                        timeout=timeout)
    else:
        c = http.client.HTTPConnection(url_host, port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


class Load:
    """A few client threads sending GETs until stop(); counts outcomes.

    Each thread opens a fresh connection per request (as the API's
    clients behind nginx do).  failures holds (time, what) for every
    request that did not answer 200."""

    def __init__(self, host, port, paths, threads=4, headers=None,
                 max_seconds=60):
        self.host, self.port, self.paths = host, port, paths
        self.headers = headers or {}
        self.ok = 0
        self.failures = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + max_seconds
        self.threads = [threading.Thread(target=self._run, args=(i,),
                                         daemon=True)
                        for i in range(threads)]

    def _run(self, n):
        i = n
        while not self.stopping.is_set() and \
                time.monotonic() < self.deadline:
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                h = self.headers() if callable(self.headers) else \
                    self.headers
                st, _, body = request(self.host, self.port, "GET", path,
                                      headers=h, timeout=10)
                what = None if st == 200 else "%d %s" % (st, body[:80])
            except Exception as e:  # a reset connection is a failure too
                what = "%s: %s" % (e.__class__.__name__, e)
            with self.lock:
                if what is None:
                    self.ok += 1
                else:
                    self.failures.append((time.monotonic(), what))

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(15)
        return self
