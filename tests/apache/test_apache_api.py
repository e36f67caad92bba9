"""The API's core through Apache, answer for answer the same as nginx's.

One stack (PostgreSQL, spawn-fcgi workers, nginx) and two Apache instances
built from the shipped apache/ files: one with mod_fcgid and
mod_proxy_fcgi, one with neither, where the shipped .htaccess falls back to
plain CGI.  The same scripted session (follow, unfollow, counts, feed,
followers, Bearer and cookie auth with Origin, 401/403/404/405/422) runs
through nginx and through every Apache front; status, body and the headers
clients read must match.  Each session ends where it started, so all of
them see the same database.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apachetest as at  # noqa: E402

ft = at.ft
HEADERS = ("Content-Type", "Cache-Control", "X-Content-Type-Options",
           "WWW-Authenticate", "Allow")

# name: (instance, port key, mount point as the client sees it)
FRONTS = {
    "fcgid_vhost": ("fcgid", "fcgid", "/api"),
    "fcgid_htaccess_rewrite": ("fcgid", "htaccess", "/api"),
    "fcgid_htaccess_pathinfo": ("fcgid", "htaccess", "/follow.fcgi"),
    "proxy_fcgi": ("fcgid", "proxy", "/api"),
    "cgi_htaccess_rewrite": ("cgi", "htaccess", "/api"),
    "cgi_htaccess_pathinfo": ("cgi", "htaccess", "/follow.fcgi"),
}

_apaches = {}


def apaches():
    if not _apaches:
        _apaches["fcgid"] = at.start("fcgid")
        _apaches["cgi"] = at.start("cgi")
    return _apaches


class Front:
    """Where one front answers, and a client for it."""

    def __init__(self, name, host, port, prefix):
        self.name, self.host, self.port, self.prefix = name, host, port, \
            prefix

    def call(self, method, path, headers=None, body=None):
        return ft.http_request(self.host, self.port, method,
                               self.prefix + path, headers, body)

    def get_target(self, target, headers=None):
        return ft.http_request(self.host, self.port, "GET", target, headers)


def front(name):
    inst, key, prefix = FRONTS[name]
    return Front(name, "127.0.0.1", apaches()[inst].ports[key], prefix)


def nginx_front(stack):
    return Front("nginx", stack.host, stack.port, stack.prefix)


def normal(resp, volatile=()):
    """(status, JSON body with volatile keys blanked, headers clients
    read) of one answer."""
    try:
        body = json.loads(resp.body.decode("utf-8"))
    except ValueError:
        body = resp.body.decode("utf-8", "replace")

    def blank(o):
        if isinstance(o, dict):
            return {k: ("*" if k in volatile and v is not None else blank(v))
                    for k, v in o.items()}
        if isinstance(o, list):
            return [blank(v) for v in o]
        return o
    hdrs = {h: resp.headers.get(h) for h in HEADERS if h in resp.headers}
    return resp.status, blank(body), hdrs


class ApacheAPI(ft.TestCase):
    """Scripted sessions through nginx and every Apache front."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fx = None
        cls.reference = None

    def fixture(self):
        """Users a (the caller), b (to follow), c (followed by a and by
        three others, with posts), d (inactive)."""
        cls = type(self)
        if cls.fx is None:
            a, b, c = self.make_users(3)
            d = self.make_user(active=False)
            others = self.make_users(3)
            self.follow_sql(a, c)
            for o in others:
                self.follow_sql(o, c)
            self.make_post(c, title="first", tags=("c", "sql"))
            self.make_post(c, title="second")
            self.make_post(b, title="by b")
            cls.fx = dict(a=a, b=b, c=c, d=d)
        return cls.fx

    def session(self, fr):
        """The scripted session through front fr: [(label, answer)]."""
        fx = self.fixture()
        a, b, c, d = fx["a"], fx["b"], fx["c"], fx["d"]
        tok = self.token_for(a)
        bearer = {"Authorization": "Bearer " + tok}
        cookie = {"Cookie": "%s=%s" % (self.stack.cookie, tok)}
        origin = dict(cookie, Origin=self.stack.origin)
        out = []

        def step(label, method, path, headers=None, volatile=()):
            r = fr.call(method, path, headers)
            out.append((label, normal(r, volatile)))
            return r

        step("follow", "POST", "/users/%d/follow" % b, bearer)
        step("follow again", "POST", "/users/%d/follow" % b, bearer)
        step("user with auth", "GET", "/users/%d" % b, bearer)
        step("feed bearer", "GET", "/users/me/feed", bearer)
        step("feed cookie", "GET", "/me/feed", cookie)
        step("followers of b", "GET", "/users/%d/followers" % b,
             volatile=("followed_at",))
        step("following of a", "GET", "/users/%d/following" % a,
             volatile=("followed_at",))
        step("relationships", "GET",
             "/users/me/relationships?ids=%d,%d,%d" % (b, c, d), bearer)
        step("unfollow cookie+origin", "DELETE", "/users/%d/follow" % b,
             origin)
        step("counts after", "GET", "/users/%d" % b)
        step("unfollow again", "DELETE", "/users/%d/follow" % b, bearer)
        step("follow self", "POST", "/users/%d/follow" % a, bearer)
        step("follow inactive", "POST", "/users/%d/follow" % d, bearer)
        step("cookie, no Origin", "POST", "/users/%d/follow" % b, cookie)
        step("cookie, foreign Origin", "POST", "/users/%d/follow" % b,
             dict(cookie, Origin="https://evil.example"))
        step("no credentials", "POST", "/users/%d/follow" % b)
        step("bad token", "GET", "/users/me/feed",
             {"Authorization": "Bearer " + tok[:-2] + "xx"})
        step("unknown path", "GET", "/nope")
        step("wrong method", "PUT", "/users/%d/follow" % b, bearer)
        step("bad id", "GET", "/users/abc/followers")
        step("bad page_size", "GET", "/users/%d/followers?page_size=0" % c)
        step("page 1 of c's followers", "GET",
             "/users/%d/followers?page_size=2" % c)
        step("health", "GET", "/healthz")
        return out

    def ref(self):
        cls = type(self)
        if cls.reference is None:
            cls.reference = self.session(nginx_front(self.stack))
        return cls.reference

    def same_as_nginx(self, name):
        want = self.ref()
        got = self.session(front(name))
        self.assertEqual([lbl for lbl, _ in got], [lbl for lbl, _ in want])
        diffs = ["%s: nginx %r, %s %r" % (lbl, w, name, g)
                 for (lbl, w), (_, g) in zip(want, got) if w != g]
        self.assertEqual(diffs, [], "\n".join(diffs))
        # The session left the database as it found it.
        fx = self.fixture()
        self.assertEqual(self.counters(fx["b"]), (0, 0))
        self.assert_counters_exact()

    def test_reference_session_through_nginx(self):
        """The reference itself is the SPEC's answers (spot checks)."""
        got = dict(self.ref())
        self.assertEqual(got["follow"][:2],
                         (200, {"following": True, "follower_count": 1}))
        self.assertEqual(got["unfollow cookie+origin"][:2],
                         (200, {"following": False, "follower_count": 0}))
        self.assertEqual(got["no credentials"][0], 401)
        self.assertEqual(got["cookie, no Origin"][0], 403)
        self.assertEqual(got["wrong method"][0], 405)
        self.assertEqual(got["bad page_size"][0], 422)
        self.assertEqual(len(got["feed bearer"][1]["items"]), 3)

    def link_works(self, name):
        """The next-page Link, followed as given, continues the listing."""
        fr = front(name)
        fx = self.fixture()
        path = "/users/%d/followers" % fx["c"]
        r1 = fr.call("GET", path + "?page_size=2")
        self.assertEqual(r1.status, 200, repr(r1))
        link = self.next_link(r1)
        self.assertIsNotNone(link, repr(r1))
        u = urllib.parse.urlsplit(link)
        self.assertEqual((u.scheme, u.netloc), ("", ""), link)
        # The shipped configs give the client's own mount point; the
        # .htaccess rewrite gives the script's path until page.c prefers
        # FOLLOW_PREFIX when REQUEST_URI does not start with SCRIPT_NAME
        # (doc/shared-hosting.md), which also serves the next page.
        self.assertIn(u.path, (fr.prefix + path, "/follow.fcgi" + path),
                      link)
        r2 = fr.get_target(link)
        n2 = ft.http_request(self.stack.host, self.stack.port, "GET",
                             self.stack.prefix + path + "?" + u.query)
        self.assertEqual(normal(r2), normal(n2))
        self.assertEqual(len(r2.json()["items"]), 2)
        ids = [i["id"] for i in r1.json()["items"] + r2.json()["items"]]
        self.assertEqual(len(set(ids)), 4)

    def bearer_reaches_worker(self, name):
        """Authorization survives Apache: a valid token reads the feed,
        and the 401 without one is the service's, not Apache's."""
        fr = front(name)
        a = self.fixture()["a"]
        r = fr.call("GET", "/users/me/feed",
                    {"Authorization": "Bearer " + self.token_for(a)})
        self.assertEqual(r.status, 200, repr(r))
        r = fr.call("GET", "/users/me/feed")
        self.assert_error(r, 401, "Not authenticated")


def _add(name):
    setattr(ApacheAPI, "test_same_answers_as_nginx_" + name,
            lambda self: self.same_as_nginx(name))
    setattr(ApacheAPI, "test_link_header_" + name,
            lambda self: self.link_works(name))
    setattr(ApacheAPI, "test_bearer_" + name,
            lambda self: self.bearer_reaches_worker(name))


for _n in FRONTS:
    _add(_n)


class SharedHosting(ft.TestCase):
    """What the shipped .htaccess and the settings file promise."""

    def test_settings_and_keys_are_not_served(self):
        for inst in ("fcgid", "cgi"):
            port = apaches()[inst].ports["htaccess"]
            for name in ("follow-fcgi.conf", "keys", ".htaccess"):
                r = ft.http_request("127.0.0.1", port, "GET", "/" + name)
                self.assertEqual(r.status, 403, "%s %s: %r" % (inst, name,
                                                               r))
                self.assertNotIn(b"FOLLOW_", r.body)

    def test_settings_file_beside_binary_is_used(self):
        """No FOLLOW_* variable reaches the .htaccess worker: it read
        follow-fcgi.conf beside follow.fcgi (its application_name says
        so in pg_stat_activity)."""
        port = apaches()["fcgid"].ports["htaccess"]
        r = ft.http_request("127.0.0.1", port, "GET", "/api/healthz")
        self.assertEqual(r.status, 200, repr(r))
        n = self.sql1("SELECT count(*) FROM pg_stat_activity WHERE "
                      "application_name = 'apache-fcgid-htaccess'")
        self.assertGreaterEqual(n, 1)

    def test_world_readable_settings_are_refused(self):
        """chmod 644 on the settings file: the worker refuses to start
        (Apache answers 500, and nothing of the file is shown)."""
        ap = apaches()["cgi"]
        conf = ap.path("htdocs", "follow-fcgi.conf")
        os.chmod(conf, 0o644)
        try:
            r = ft.http_request("127.0.0.1", ap.ports["htaccess"], "GET",
                                "/api/healthz")
        finally:
            os.chmod(conf, 0o600)
        self.assert_error(r, 500, "Internal Server Error")
        self.assertNotIn(b"FOLLOW_", r.body)
        self.assertIn("readable by others", ap.error_log())
        r = ft.http_request("127.0.0.1", ap.ports["htaccess"], "GET",
                            "/api/healthz")
        self.assertEqual(r.status, 200, repr(r))

    def test_mod_fcgid_one_connection_per_process(self):
        """Every process mod_fcgid runs holds exactly one connection."""
        ap = apaches()["fcgid"]
        port = ap.ports["fcgid"]
        for _ in range(20):
            r = ft.http_request("127.0.0.1", port, "GET", "/api/healthz")
            self.assertEqual(r.status, 200, repr(r))
        want = got = None
        end = time.monotonic() + 10
        while time.monotonic() < end:
            want = len({p for p in ap.worker_pids() if
                        os.readlink("/proc/%d/exe" % p).endswith(
                            "/bin/follow-fcgi")})
            got = self.sql1("SELECT count(*) FROM pg_stat_activity WHERE "
                            "application_name = 'apache-fcgid-vhost'")
            if want >= 1 and want == got:
                break
            time.sleep(0.2)
        self.assertGreaterEqual(want, 1)
        self.assertEqual(got, want, "connections vs processes")


class ApacheErrors(ft.TestCase):
    """Errors Apache answers itself are JSON, as nginx's are."""

    def test_body_too_large_like_nginx(self):
        body = b"x" * 20000
        hdrs = {"Content-Type": "application/json"}
        want = normal(ft.http_request(
            self.stack.host, self.stack.port, "POST",
            self.stack.prefix + "/users/1/follow", hdrs, body))
        self.assertEqual(want[0], 413)
        for name in ("fcgid_vhost", "proxy_fcgi"):
            r = front(name).call("POST", "/users/1/follow", hdrs, body)
            self.assertEqual(normal(r), want, "%s: %r" % (name, r))

    def test_no_worker_pool_is_503_like_nginx(self):
        """mod_proxy_fcgi with nothing on the socket, as nginx with its
        workers stopped: 503 Service unavailable, Retry-After."""
        r = ft.http_request("127.0.0.1",
                            apaches()["fcgid"].ports["proxy_dead"], "GET",
                            "/api/healthz")
        self.assert_error(r, 503, "Service unavailable")
        self.assertEqual(r.headers.get("Retry-After"), "1")
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")


class SettingsFile(ft.TestCase):
    """Where the binary finds its settings without any environment: -c,
    else FOLLOW_CONFIG, else follow-fcgi.conf beside the real binary.
    Run as plain CGI from a shell; FOLLOW_PREFIX tells which file won."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="follow-conf.")
        self.bin = os.path.join(self.dir, "bin", "follow.fcgi")
        os.makedirs(os.path.dirname(self.bin))
        shutil.copy2(os.path.join(at.BUILDDIR, "follow-fcgi"), self.bin)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def conf(self, path, prefix, mode=0o600):
        at.write(path, at.follow_conf(self.stack, "settings-test") +
                 "FOLLOW_PREFIX=%s\n" % prefix, mode)
        return path

    def cgi(self, uri, argv=(), env=None, exe=None):
        e = {"PATH": at.CLEAN_PATH, "GATEWAY_INTERFACE": "CGI/1.1",
             "REQUEST_METHOD": "GET", "REQUEST_URI": uri}
        e.update(env or {})
        r = subprocess.run([exe or self.bin] + list(argv), env=e,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        status = r.stdout.split(b"\r\n", 1)[0].decode("latin-1")
        return r.returncode, status, r.stderr.decode("utf-8", "replace")

    def test_default_beside_binary(self):
        self.conf(os.path.join(self.dir, "bin", "follow-fcgi.conf"), "/d")
        self.assertEqual(self.cgi("/d/users/abc")[1],
                         "Status: 422 Unprocessable Entity")

    def test_default_found_through_a_symlink(self):
        """The real file's folder counts, not the link's."""
        self.conf(os.path.join(self.dir, "bin", "follow-fcgi.conf"), "/d")
        link = os.path.join(self.dir, "link.fcgi")
        os.symlink(self.bin, link)
        self.assertEqual(self.cgi("/d/users/abc", exe=link)[1],
                         "Status: 422 Unprocessable Entity")

    def test_follow_config_wins_over_default(self):
        self.conf(os.path.join(self.dir, "bin", "follow-fcgi.conf"), "/d")
        other = self.conf(os.path.join(self.dir, "other.conf"), "/o")
        rc, st, err = self.cgi("/o/users/abc", env={"FOLLOW_CONFIG": other})
        self.assertEqual(st, "Status: 422 Unprocessable Entity", err)

    def test_dash_c_wins_over_follow_config(self):
        a = self.conf(os.path.join(self.dir, "a.conf"), "/a")
        b = self.conf(os.path.join(self.dir, "b.conf"), "/b")
        rc, st, err = self.cgi("/b/users/abc", argv=("-c", b),
                               env={"FOLLOW_CONFIG": a})
        self.assertEqual(st, "Status: 422 Unprocessable Entity", err)

    def test_readable_default_is_refused(self):
        self.conf(os.path.join(self.dir, "bin", "follow-fcgi.conf"), "/d",
                  0o644)
        rc, st, err = self.cgi("/d/users/abc")
        self.assertEqual(rc, 1, err)
        self.assertIn("readable by others", err)
        self.assertNotIn("FOLLOW_DSN=", err)

    def test_no_file_no_settings(self):
        rc, st, err = self.cgi("/api/users/abc")
        self.assertEqual(rc, 1)
        self.assertIn("FOLLOW_DSN is not set", err)


class Configs(ft.TestCase):
    """Each shipped file passes apache2 -t (as the tests run it)."""

    def test_configs_pass_apache_t(self):
        for inst in ("fcgid", "cgi"):
            rc, out = apaches()[inst].check()
            self.assertEqual(rc, 0, out)
            self.assertIn("Syntax OK", out)

    def test_htaccess_passes_apache_t(self):
        """apache2 -t never reads .htaccess files, so check the shipped
        one as the body of a <Directory> (the same context), with and
        without mod_fcgid."""
        for inst in ("fcgid", "cgi"):
            ap = apaches()[inst]
            conf = ap.path("etc", "htaccess-check.conf")
            with open(ap.path("etc", "httpd.conf")) as f:
                base = f.read()
            base = "\n".join(ln for ln in base.splitlines()
                              if not ln.startswith("Include "))
            at.write(conf, base + "\n<Directory %s>\n%s</Directory>\n" % (
                ap.path("htdocs"), at.shipped("htaccess")))
            r = subprocess.run(at.as_user([at.APACHE, "-t", "-f", conf]),
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60)
            out = r.stdout.decode("utf-8", "replace")
            self.assertEqual(r.returncode, 0, out)
            self.assertIn("Syntax OK", out)

    def test_shipped_vhosts_name_no_test_paths(self):
        for name in ("follow-fcgid.conf", "follow-proxy-fcgi.conf",
                     "htaccess"):
            text = at.shipped(name)
            self.assertIsNone(re.search(r"/tmp/|127\.0\.0\.1", text), name)


if __name__ == "__main__":
    at.skip_unless_ready()
    ft.main()
