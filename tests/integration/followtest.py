"""Shared harness for follow-fcgi's integration tests.

Starts (or reuses) one real stack -- PostgreSQL, the follow-fcgi workers and
nginx, through tests/stack -- and gives test cases a small HTTP client, a
JWT minter for forgeries, direct-SQL fixtures and a TAP runner for automake's
tap-driver.

It must never start anything on import, never leave a stack running after the
process ends (normal exit, failure, SIGTERM or SIGINT), never follow
redirects, and never rewrite what a test sends: odd paths, headers and tokens
go out byte for byte.  Every answer that TestCase.api and get_url receive
from below the mount point is checked against doc/openapi.yaml (status,
Content-Type, required headers, body schema), so the document cannot drift
from the service.  Python stdlib plus psycopg2, python3-yaml and
python3-jsonschema.
"""

import atexit
import base64
import datetime
import hashlib
import hmac
import http.client
import itertools
import json
import os
import random
import socket
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest
import urllib.parse

try:
    import psycopg2
except ImportError:  # reported by TestCase.db, so HTTP-only tests still run
    psycopg2 = None

try:  # for the OpenAPI check; CI installs them (scripts/deps.d/kit.list)
    import jsonschema
    import yaml
except ImportError:
    jsonschema = yaml = None

UTC = datetime.timezone.utc
HERE = os.path.dirname(os.path.abspath(__file__))
STACK_VARS = ("FOLLOW_URL", "FOLLOW_DSN", "FOLLOW_KEYFILE", "FOLLOW_COOKIE",
              "FOLLOW_ORIGIN", "FOLLOW_STATE")
JSON_CT = "application/json; charset=utf-8"
_DEFAULT = object()


class StackError(Exception):
    """The stack could not be started or controlled."""


# ---------------------------------------------------------------- the stack

def _srcdir():
    return os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(
        os.path.dirname(HERE))


def _parse_assignments(text):
    """Parse the NAME=value lines `tests/stack up` prints (shell quoting)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):].strip()
        m = re.match(r"(FOLLOW_[A-Z_]+)=", line)
        if m is None:
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if not words:
            continue
        name, _, value = words[0].partition("=")
        out[name] = value
    return out


def parse_keyfile(path):
    """Return [(kid, secret bytes)] from a "KID BASE64SECRET" key file."""
    keys = []
    with open(path, "r", encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            kid, b64 = parts[0], parts[1]
            pad = "=" * (-len(b64) % 4)
            if "-" in b64 or "_" in b64:
                secret = base64.urlsafe_b64decode(b64 + pad)
            else:
                secret = base64.b64decode(b64 + pad)
            keys.append((kid, secret))
    return keys


class Stack:
    """One running stack: URL, DSN, key file, cookie name, allowed Origin."""

    def __init__(self, env, owned):
        self.url = env["FOLLOW_URL"].rstrip("/")
        self.dsn = env.get("FOLLOW_DSN", "")
        self.keyfile = env.get("FOLLOW_KEYFILE", "")
        self.cookie = env.get("FOLLOW_COOKIE", "follow_session")
        self.origin = env.get("FOLLOW_ORIGIN", "")
        self.state = env.get("FOLLOW_STATE", "")
        self.owned = owned
        u = urllib.parse.urlsplit(self.url)
        self.host = u.hostname
        self.port = u.port or 80
        self.prefix = u.path.rstrip("/")
        self.keys = []          # empty when unreadable: see keys_error
        self.keys_error = None
        try:
            self.keys = parse_keyfile(self.keyfile)
            if not self.keys:
                self.keys_error = "key file %s holds no keys" % self.keyfile
        except (OSError, ValueError) as e:
            self.keys_error = "cannot read key file %s (%s)" % (
                self.keyfile, e.__class__.__name__)

    def _ctl(self, *args):
        if not self.state:
            raise StackError("FOLLOW_STATE is not set: cannot control stack")
        script = os.path.join(_srcdir(), "tests", "stack")
        r = subprocess.run([script] + list(args) + [self.state],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            raise StackError("tests/stack %s failed (%d): %s" % (
                " ".join(args), r.returncode,
                r.stdout.decode("utf-8", "replace")[-2000:]))

    def pg_stop(self):
        self._ctl("pg", "stop")

    def pg_start(self):
        self._ctl("pg", "start")

    def workers_stop(self):
        self._ctl("workers", "stop")

    def workers_start(self):
        self._ctl("workers", "start")

    def pidfile_pids(self):
        """The pids listed in $FOLLOW_STATE/follow-fcgi.pid."""
        roots = set()
        try:
            with open(os.path.join(self.state, "follow-fcgi.pid")) as f:
                for tok in f.read().split():
                    if tok.isdigit():
                        roots.add(int(tok))
        except OSError:
            pass
        return roots

    def worker_pids(self):
        """Pids in $FOLLOW_STATE/follow-fcgi.pid plus all their descendants."""
        roots = self.pidfile_pids()
        if not roots:
            return set()
        children = _children_by_parent()
        alive = set()
        todo = [p for p in roots if _alive(p)]
        while todo:
            p = todo.pop()
            if p in alive:
                continue
            alive.add(p)
            todo.extend(children.get(p, []))
        return alive


def _children_by_parent():
    """{ppid: [pid, ...]} of every live (non-zombie) process, from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # comm may hold spaces and parentheses: ppid follows the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) < 2 or fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(d))
    return children


def children(pid):
    """Live (non-zombie) children of pid, from /proc."""
    return set(_children_by_parent().get(pid, []))


def free_port():
    """A loopback TCP port the kernel just handed out (a caller that loses
    the race for it to someone else retries, as tests/stack does)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _alive(pid):
    """True when pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[:1] != ["Z"]


_stack = None
_stack_error = None
_stack_lock = threading.Lock()
_owned_state = None     # set as soon as `up` names its state directory
_starting = None        # (Popen, stdout file) while `up` runs


def _down():
    """Stop the stack this process started, if any; idempotent."""
    global _owned_state
    state, _owned_state = _owned_state, None
    if not state:
        return
    script = os.path.join(_srcdir(), "tests", "stack")
    try:
        subprocess.run([script, "down", state],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=sys.stderr, timeout=120)
    except Exception as e:  # at exit there is nobody left to tell but stderr
        print("followtest: tests/stack down failed: %s" % e, file=sys.stderr)


def _on_signal(signum, frame):
    global _owned_state
    if _starting is not None:
        # `up` runs in its own session, so it is still going: let it finish,
        # then learn its state directory and take it down.
        proc, out = _starting
        end = time.monotonic() + 180
        while _alive(proc.pid) and time.monotonic() < end:
            time.sleep(0.05)
        try:
            out.seek(0)
            env = _parse_assignments(out.read().decode("utf-8", "replace"))
            _owned_state = _owned_state or env.get("FOLLOW_STATE")
        except (OSError, ValueError):
            pass
    _down()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_cleanup():
    atexit.register(_down)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        try:
            signal.signal(s, _on_signal)
        except (ValueError, OSError):  # not the main thread
            pass


def _start():
    global _owned_state, _starting
    if os.environ.get("FOLLOW_URL"):
        env = {k: os.environ[k] for k in STACK_VARS if k in os.environ}
        return Stack(env, owned=False)
    script = os.path.join(_srcdir(), "tests", "stack")
    if not os.access(script, os.X_OK):
        raise StackError("%s is missing or not executable" % script)
    _install_cleanup()
    # Files, not pipes: daemons that inherit stdout must not keep us waiting.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # Its own session: a ^C meant for us must not kill `up` halfway.
        proc = subprocess.Popen([script, "up"], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err,
                                start_new_session=True)
        _starting = (proc, out)
        try:
            end = time.monotonic() + 180
            while proc.poll() is None and time.monotonic() < end:
                time.sleep(0.05)
            rc = proc.poll()
            if rc is None:
                proc.kill()
                proc.wait()
                rc = "timeout"
        finally:
            _starting = None
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        errtext = err.read().decode("utf-8", "replace")
    env = _parse_assignments(text)
    # Even a half-started stack is ours to take down.
    _owned_state = env.get("FOLLOW_STATE") or None
    if rc != 0 or "FOLLOW_URL" not in env:
        tail = " | ".join((errtext.strip() or text.strip()).splitlines()[-5:])
        raise StackError("tests/stack up failed (%s): %s" % (rc, tail))
    return Stack(env, owned=True)


def stack():
    """Return the process-wide Stack, starting it on first use."""
    global _stack, _stack_error
    with _stack_lock:
        if _stack is not None:
            return _stack
        if _stack_error is not None:
            raise StackError(_stack_error)
        try:
            _stack = _start()
        except Exception as e:
            _stack_error = str(e)
            raise StackError(_stack_error) from None
        return _stack


# ---------------------------------------------------------------- HTTP

class Headers:
    """Case-insensitive response headers; repeated ones joined by ", "."""

    def __init__(self, pairs):
        self._h = {}
        for k, v in pairs:
            self._h.setdefault(k.lower(), []).append(v)

    def __getitem__(self, name):
        return ", ".join(self._h[name.lower()])

    def __contains__(self, name):
        return name.lower() in self._h

    def get(self, name, default=None):
        v = self._h.get(name.lower())
        return default if v is None else ", ".join(v)

    def get_all(self, name):
        return list(self._h.get(name.lower(), []))

    def items(self):
        return [(k, ", ".join(v)) for k, v in self._h.items()]

    def __repr__(self):
        return "Headers(%r)" % self.items()


class Response:
    """One HTTP answer: status, headers, body bytes, and the request URL."""

    def __init__(self, status, reason, headers, body, method, url):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.method = method
        self.url = url

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise AssertionError("%s %s: %d body is not JSON: %r" % (
                self.method, self.url[:200], self.status,
                self.body[:500])) from None

    def __repr__(self):
        return "<%s %s -> %d %r>" % (self.method, self.url[:120],
                                     self.status, self.body[:300])


class _RawConnection(http.client.HTTPConnection):
    """HTTPConnection that sends the request target exactly as given."""

    def _validate_path(self, url):
        pass

    def _encode_request(self, request):
        return request.encode("latin-1")


def _target(path, query):
    if isinstance(path, bytes):
        path = path.decode("latin-1")
    else:
        path = path.encode("utf-8").decode("latin-1")
    if query is not None:
        if isinstance(query, (dict, list, tuple)):
            q = urllib.parse.urlencode(query, safe=",")
        else:
            q = query
        path += ("&" if "?" in path else "?") + q
    return path


def http_request(host, port, method, target, headers=None, body=None,
                 timeout=10):
    """Send one request; return Response.  Never follows redirects."""
    conn = _RawConnection(host, port, timeout=timeout)
    hdrs = dict(headers or {})
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        if body is not None and not any(
                k.lower() == "content-length" for k in hdrs):
            hdrs["Content-Length"] = str(len(body))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        try:
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError):
            # nginx may answer (413) and close before it read everything.
            pass
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.reason, Headers(r.getheaders()), data,
                        method, target)
    finally:
        conn.close()


# ---------------------------------------------------------------- OpenAPI

class OpenAPI:
    """doc/openapi.yaml, able to say what is wrong with one live answer."""

    def __init__(self, path):
        with open(path, "r", encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.resolver = jsonschema.RefResolver("", self.doc)
        self.routes = []
        for tmpl, item in self.doc["paths"].items():
            rx = "".join("/[^/]+" if seg.startswith("{") else
                         "/" + re.escape(seg)
                         for seg in tmpl.strip("/").split("/"))
            self.routes.append((tmpl.count("{"), re.compile(rx + "$"),
                                tmpl, item))
        # Literal paths first: /users/me/feed before /users/{id}/...
        self.routes.sort(key=lambda r: r[0])

    def deref(self, obj):
        for _ in range(16):
            if not isinstance(obj, dict) or "$ref" not in obj:
                return obj
            _, obj = self.resolver.resolve(obj["$ref"])
        raise ValueError("$ref loop")

    @staticmethod
    def route_path(target, prefix):
        """The path below prefix as nginx routes it (decoded, dot segments
        and repeated slashes removed), or None when not below it."""
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", target):
            target = urllib.parse.urlsplit(target).path
        path = target.split("?", 1)[0].split("#", 1)[0]
        path = urllib.parse.unquote(path, errors="surrogateescape")
        out = []
        for seg in path.split("/"):
            if seg in ("", "."):
                continue
            if seg == "..":
                if out:
                    out.pop()
                continue
            out.append(seg)
        path = "/" + "/".join(out)
        want = prefix.strip("/").split("/") if prefix.strip("/") else []
        if out[:len(want)] != want:
            return None
        return "/" + "/".join(out[len(want):])

    def problems(self, method, target, prefix, resp):
        """What in resp contradicts the document ([] when nothing)."""
        path = self.route_path(target, prefix)
        if path is None:
            return []
        status = str(resp.status)
        where = "%s %s -> %s" % (method, path, status)
        specs = []
        for _, rx, tmpl, item in self.routes:
            if rx.match(path):
                op = item.get("get" if method == "HEAD" else method.lower())
                if op is not None and status in op.get("responses", {}):
                    specs.append(op["responses"][status])
                    where = "%s %s -> %s" % (method, tmpl, status)
                break
        # The answers any request may get (unknown path, wrong method,
        # nginx's own errors) are the fallback for every operation.
        if status in self.doc.get("x-any-request", {}):
            specs.append(self.doc["x-any-request"][status])
        if not specs:
            return ["%s: status not documented" % where]
        first = None
        for spec in specs:
            bad = self._check(where, method, self.deref(spec), resp)
            if not bad:
                return []
            first = first or bad
        return first

    def _check(self, where, method, spec, resp):
        bad = []
        for name, h in spec.get("headers", {}).items():
            h = self.deref(h)
            value = resp.headers.get(name)
            if value is None:
                if h.get("required"):
                    bad.append("%s: header %s missing" % (where, name))
                continue
            for e in jsonschema.Draft202012Validator(
                    h.get("schema", {}), resolver=self.resolver
            ).iter_errors(value):
                bad.append("%s: header %s: %s" % (where, name, e.message))
        content = spec.get("content")
        if not content or method == "HEAD":
            return bad
        ct = resp.headers.get("Content-Type", "")
        base = ct.split(";", 1)[0].strip().lower()
        params = [p.strip().lower() for p in ct.split(";")[1:]]
        if base not in content:
            return bad + ["%s: Content-Type %r not in %s" % (
                where, ct, sorted(content))]
        if base == "application/json" and "charset=utf-8" not in params:
            bad.append("%s: Content-Type %r lacks charset=utf-8" % (
                where, ct))
        try:
            body = json.loads(resp.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return bad + ["%s: body is not JSON: %r" % (where,
                                                          resp.body[:200])]
        schema = content[base].get("schema", {})
        for e in jsonschema.Draft202012Validator(
                schema, resolver=self.resolver).iter_errors(body):
            bad.append("%s: body %s: %s" % (
                where, "/".join(str(p) for p in e.absolute_path) or "(root)",
                e.message[:300]))
        return bad


_openapi = None
_openapi_error = None


def openapi():
    """The parsed doc/openapi.yaml (None when the modules are missing)."""
    global _openapi, _openapi_error
    if _openapi is None and _openapi_error is None:
        if yaml is None or jsonschema is None:
            _openapi_error = ("python3-yaml and python3-jsonschema are "
                              "needed to check answers against "
                              "doc/openapi.yaml")
        else:
            _openapi = OpenAPI(os.path.join(_srcdir(), "doc",
                                            "openapi.yaml"))
    return _openapi


def check_openapi(method, target, prefix, resp):
    """Raise AssertionError when resp contradicts doc/openapi.yaml."""
    doc = openapi()
    if doc is None:
        # Outside CI the other checks still run; CI installs the modules.
        if os.environ.get("CI"):
            raise AssertionError(_openapi_error)
        return
    bad = doc.problems(method, target, prefix, resp)
    if bad:
        raise AssertionError("answer contradicts doc/openapi.yaml: %s; %r" %
                             ("; ".join(bad[:5]), resp))


# ---------------------------------------------------------------- JWT

def b64url(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(obj):
    if isinstance(obj, (bytes, str)):
        return b64url(obj)
    return b64url(json.dumps(obj, separators=(",", ":")))


def _merge(base, over):
    if over is None:
        return base
    if not isinstance(over, dict):
        return over
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------- helpers

def rfc3339(dt):
    """The SPEC's timestamp text for an aware datetime: UTC, microseconds."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_names = itertools.count(1)
_names_lock = threading.Lock()


def unique_name(prefix="u"):
    with _names_lock:
        n = next(_names)
    return "%s%d_%d_%d" % (prefix, os.getpid(), int(time.time() * 1000) %
                           100000000, n)


def param_named(detail, name):
    """True when a 422 detail names the parameter as a whole word."""
    return isinstance(detail, str) and re.search(
        r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(name),
        detail) is not None


LEAK_RE = re.compile(
    r"(SELECT|INSERT INTO|UPDATE |DELETE FROM|syntax error|relation \"|"
    r"PQ[a-z]|libpq|postgres|psql|nginx|FastCGI|\.c:\d|/tmp/|/usr/|/var/|"
    r"/home/|/work/|Traceback|<html|<body|segfault)", re.IGNORECASE)


class TestCase(unittest.TestCase):
    """unittest.TestCase with the stack, an HTTP client and SQL fixtures."""

    _db = None
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stack = stack()
        cls.dsn = cls.stack.dsn

    @classmethod
    def tearDownClass(cls):
        if cls.__dict__.get("_db") is not None:
            try:
                cls._db.close()
            except Exception:
                pass
            cls._db = None
        super().tearDownClass()

    # -- database

    @property
    def db(self):
        """Autocommit psycopg2 connection, shared by the class."""
        cls = type(self)
        conn = cls.__dict__.get("_db")
        if conn is None or conn.closed:
            if psycopg2 is None:
                self.skipTest("python3-psycopg2 is not installed")
            conn = psycopg2.connect(self.dsn)
            conn.autocommit = True
            cls._db = conn
        return conn

    def reconnect_db(self):
        cls = type(self)
        if cls.__dict__.get("_db") is not None:
            try:
                cls._db.close()
            except Exception:
                pass
            cls._db = None
        return self.db

    def sql(self, query, params=None):
        """Run one statement; return all rows (or [] when none)."""
        for attempt in (0, 1):
            try:
                with self.db.cursor() as c:
                    c.execute(query, params)
                    return c.fetchall() if c.description else []
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                if attempt:
                    raise
                self.reconnect_db()

    def sql1(self, query, params=None):
        """Run one statement; return the first column of the first row."""
        rows = self.sql(query, params)
        return rows[0][0] if rows else None

    def make_user(self, username=None, display_name=None, active=True):
        if username is None:
            username = unique_name("u")
        return self.sql1(
            "INSERT INTO users (username, display_name, is_active) "
            "VALUES (%s, %s, %s) RETURNING id",
            (username, display_name, active))

    def make_users(self, n, **kw):
        return [self.make_user(**kw) for _ in range(n)]

    def make_post(self, author, title="t", body="b", status="published",
                  created_at=None, deleted=False, tags=()):
        pid = self.sql1(
            "INSERT INTO posts (author_id, title, body, status, created_at, "
            "deleted_at) VALUES (%s, %s, %s, %s, COALESCE(%s, now()), "
            "CASE WHEN %s THEN now() END) RETURNING id",
            (author, title, body, status, created_at, bool(deleted)))
        for name in tags:
            tid = self.sql1(
                "INSERT INTO tags (name) VALUES (%s) ON CONFLICT (name) "
                "DO UPDATE SET name = EXCLUDED.name RETURNING id", (name,))
            self.sql("INSERT INTO post_tags (post_id, tag_id) VALUES (%s, %s)",
                     (pid, tid))
        return pid

    def follow_sql(self, a, b, created_at=None):
        self.sql("INSERT INTO user_follows (follower_id, following_id, "
                 "created_at) VALUES (%s, %s, COALESCE(%s, now()))",
                 (a, b, created_at))

    def count_follows(self, follower=None, following=None):
        return self.sql1(
            "SELECT count(*) FROM user_follows WHERE "
            "(%s::bigint IS NULL OR follower_id = %s) AND "
            "(%s::bigint IS NULL OR following_id = %s)",
            (follower, follower, following, following))

    def counters(self, uid):
        """(follower_count, following_count) as stored on the users row."""
        rows = self.sql("SELECT follower_count, following_count FROM users "
                        "WHERE id = %s", (uid,))
        return tuple(rows[0]) if rows else None

    def assert_counters_exact(self):
        """Every cached counter equals a recount of its rows (the schema's
        own follow_caches_wrong(), sql/003_active_counts.sql)."""
        bad = self.sql("SELECT * FROM follow_caches_wrong() LIMIT 20")
        if bad:
            self.fail("counters drifted (id, counter, cached, recount): %r"
                      % (bad,))

    def hammer(self, step, threads=6, seconds=4, allowed=("40P01",)):
        """Calls step(cursor, rnd) over and over on `threads` autocommit
        connections for `seconds`, each with its own seeded random.Random.
        A database error whose SQLSTATE is in `allowed` (by default a
        deadlock, which PostgreSQL rolls back whole) is rolled back and the
        loop goes on; any other is collected, as is anything else that
        stops a thread or a thread still running a minute after the end.
        Returns those, as text."""
        if psycopg2 is None:
            self.skipTest("python3-psycopg2 is not installed")
        errors = []
        deadline = time.monotonic() + seconds

        def loop(seed):
            rnd = random.Random(seed)
            conn = psycopg2.connect(self.dsn)
            conn.autocommit = True
            c = conn.cursor()
            try:
                while time.monotonic() < deadline:
                    try:
                        step(c, rnd)
                    except psycopg2.Error as e:
                        if e.pgcode not in allowed:
                            errors.append("%s: %s" % (e.pgcode, e))
                        if (conn.get_transaction_status() !=
                                psycopg2.extensions.TRANSACTION_STATUS_IDLE):
                            c.execute("ROLLBACK")
            finally:
                conn.close()

        def run(seed):
            try:
                loop(seed)
            except Exception as e:
                errors.append("thread %d: %s: %s" %
                              (seed, e.__class__.__name__, e))

        pool = [threading.Thread(target=run, args=(i,))
                for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(seconds + 60)
        errors += ["thread %d hung" % i for i, t in enumerate(pool)
                   if t.is_alive()]
        return errors

    # -- HTTP

    def api(self, method, path, token=None, cookie=None, headers=None,
            body=None, query=None, timeout=10):
        """Request FOLLOW_URL + path; body dict/list is sent as JSON."""
        h = {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
            h["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode("utf-8")
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if cookie is not None:
            h["Cookie"] = "%s=%s" % (self.stack.cookie, cookie)
        h.update(headers or {})
        target = self.stack.prefix + _target(path, query)
        resp = http_request(self.stack.host, self.stack.port, method, target,
                            h, body, timeout)
        check_openapi(method, target, self.stack.prefix, resp)
        return resp

    def get_url(self, url, token=None, headers=None):
        """GET an absolute or root-relative URL (e.g. from a Link header)."""
        base = "http://%s:%d%s/" % (self.stack.host, self.stack.port,
                                    self.stack.prefix)
        full = urllib.parse.urlsplit(urllib.parse.urljoin(base, url))
        self.assertEqual((full.hostname, full.port or 80),
                         (self.stack.host, self.stack.port),
                         "link points elsewhere: %s" % url)
        target = full.path + ("?" + full.query if full.query else "")
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        resp = http_request(self.stack.host, self.stack.port, "GET", target,
                            h)
        check_openapi("GET", target, self.stack.prefix, resp)
        return resp

    def next_link(self, resp):
        """The target of `Link: <...>; rel="next"`, or None."""
        for v in resp.headers.get_all("Link"):
            for part in re.finditer(r'<([^>]*)>\s*((?:;\s*[^,;]+)*)', v):
                if re.search(r'rel\s*=\s*"?next"?', part.group(2)):
                    return part.group(1)
        return None

    # -- pages

    PAGE_KEYS = {"items", "total", "page", "page_size", "pages",
                 "next_cursor"}

    def page_json(self, resp, path=None, page_size=None):
        """Check a Page answer (shape, next_cursor agrees with Link: same
        path, same cursor, same page_size); return the parsed body."""
        self.assert_status(resp, 200)
        self.assert_json_ct(resp)
        self.assertEqual(resp.headers.get("X-Content-Type-Options"),
                         "nosniff", repr(resp))
        j = resp.json()
        self.assertEqual(set(j), self.PAGE_KEYS, repr(resp))
        self.assertIsInstance(j["items"], list)
        self.assertIsInstance(j["total"], int)
        link = self.next_link(resp)
        if j["next_cursor"] is None:
            self.assertIsNone(link, "Link without next_cursor: %r" % resp)
            return j
        self.assertIsInstance(j["next_cursor"], str)
        self.assertIsNotNone(link, "next_cursor without Link: %r" % resp)
        full = urllib.parse.urlsplit(urllib.parse.urljoin(
            "http://%s:%d%s/" % (self.stack.host, self.stack.port,
                                 self.stack.prefix), link))
        q = urllib.parse.parse_qs(full.query, keep_blank_values=True)
        self.assertEqual(q.get("cursor"), [j["next_cursor"]],
                         "Link %s vs next_cursor %s" % (link,
                                                        j["next_cursor"]))
        if path is not None:
            self.assertEqual(full.path, self.stack.prefix + path,
                             "Link path: %s" % link)
        if page_size is not None:
            self.assertEqual(q.get("page_size"), [str(page_size)],
                             "Link page_size: %s" % link)
        return j

    def walk(self, path, token=None, page_size=None, between=None,
             via_link=False, max_pages=200):
        """Page through path by cursor; return all items in order.
        between() runs after each page that has a next one."""
        query = {"page_size": page_size} if page_size else None
        r = self.api("GET", path, token=token, query=query)
        items = []
        for _ in range(max_pages):
            j = self.page_json(r, path, page_size)
            if page_size is not None:
                self.assertEqual(j["page_size"], page_size)
                self.assertLessEqual(len(j["items"]), page_size)
            items.extend(j["items"])
            if j["next_cursor"] is None:
                return items
            if between is not None:
                between()
            if via_link:
                r = self.get_url(self.next_link(r), token=token)
            else:
                q = {"cursor": j["next_cursor"]}
                if page_size:
                    q["page_size"] = page_size
                r = self.api("GET", path, token=token, query=q)
        self.fail("more than %d pages at %s" % (max_pages, path))

    # -- tokens

    def need_keys(self):
        if not self.stack.keys:
            self.skipTest("tokens unavailable: %s (run as root or as the "
                          "stack's user)" % self.stack.keys_error)
        return self.stack.keys

    def mint(self, sub, exp=_DEFAULT, iat=_DEFAULT, nbf=None, kid=_DEFAULT,
             alg="HS256", key=None, header=None, payload=None,
             signature=None):
        """A compact JWT.  exp/iat/kid/alg None leave the field out;
        header/payload dicts are merged (None values delete keys), or
        bytes/str are used as the raw segment JSON; signature bytes replace
        the computed HMAC-SHA-256."""
        keys = self.need_keys()
        now = int(time.time())
        if kid is _DEFAULT:
            kid = keys[0][0]
        if key is None:
            key = dict(keys).get(kid, keys[0][1])
        h = {"typ": "JWT"}
        if alg is not None:
            h["alg"] = alg
        if kid is not None:
            h["kid"] = kid
        h = _merge(h, header)
        p = {}
        if sub is not None:
            p["sub"] = sub
        if iat is _DEFAULT:
            iat = now
        if iat is not None:
            p["iat"] = iat
        if exp is _DEFAULT:
            exp = now + 3600
        if exp is not None:
            p["exp"] = exp
        if nbf is not None:
            p["nbf"] = nbf
        p = _merge(p, payload)
        signing_input = _segment(h) + "." + _segment(p)
        if signature is None:
            signature = hmac.new(key, signing_input.encode("ascii"),
                                 hashlib.sha256).digest()
        return signing_input + "." + b64url(signature)

    def token_for(self, uid):
        return self.mint(str(uid))

    # -- assertions

    def assert_json_ct(self, resp):
        ct = resp.headers.get("Content-Type", "")
        self.assertEqual(re.sub(r"\s+", "", ct.lower()),
                         JSON_CT.replace(" ", ""),
                         "Content-Type of %r" % resp)

    def assert_status(self, resp, status):
        self.assertEqual(resp.status, status, repr(resp))

    def assert_error(self, resp, status, detail):
        self.assertEqual(resp.status, status, repr(resp))
        self.assertEqual(resp.json(), {"detail": detail}, repr(resp))
        self.assert_json_ct(resp)
        self.assertEqual(resp.headers.get("X-Content-Type-Options"),
                         "nosniff", repr(resp))

    def assert_422(self, resp, param):
        self.assertEqual(resp.status, 422, repr(resp))
        body = resp.json()
        self.assertEqual(list(body), ["detail"], repr(resp))
        self.assertTrue(param_named(body["detail"], param),
                        "422 detail does not name %r: %r" % (param, resp))
        self.assert_json_ct(resp)

    def assert_no_leak(self, resp):
        text = resp.body.decode("utf-8", "replace")
        m = LEAK_RE.search(text)
        self.assertIsNone(m, "answer leaks internals: %r" % resp)

    def assert_ts(self, value, expected=None):
        self.assertIsInstance(value, str)
        self.assertRegex(value, TS_RE)
        if expected is not None:
            self.assertEqual(value, rfc3339(expected))


# ---------------------------------------------------------------- TAP

class _TapResult(unittest.TestResult):
    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.n = 0

    @staticmethod
    def _name(test):
        parent = getattr(test, "test_case", None)
        if parent is not None:  # a failing subTest
            return "%s %s" % (_TapResult._name(parent),
                              test._subDescription())
        if isinstance(test, unittest.TestCase):
            return "%s.%s" % (type(test).__name__, test._testMethodName)
        return str(getattr(test, "description", test))

    def _line(self, text, comment=None):
        self.n += 1
        self.stream.write(text.replace("\n", " ") % self.n + "\n")
        if comment:
            for line in comment.rstrip().splitlines():
                self.stream.write("# " + line + "\n")
        self.stream.flush()

    def addSuccess(self, test):
        self._line("ok %d - " + self._name(test).replace("%", "%%"))

    def addFailure(self, test, err):
        self._line("not ok %d - " + self._name(test).replace("%", "%%"),
                   self._exc_info_to_string(err, test))

    addError = addFailure

    def addSkip(self, test, reason):
        self._line("ok %d - " + self._name(test).replace("%", "%%") +
                   " # SKIP " + reason.replace("%", "%%").replace("#", ""))

    def addExpectedFailure(self, test, err):
        self._line("ok %d - " + self._name(test).replace("%", "%%") +
                   " # TODO expected failure")

    def addUnexpectedSuccess(self, test):
        self._line("not ok %d - " + self._name(test).replace("%", "%%") +
                   " # TODO unexpected success")

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self.addFailure(subtest, err)


def skip_all(reason):
    """Skip the whole file the TAP way (tap-driver treats exit 77 as error)."""
    print("1..0 # SKIP %s" % reason)
    sys.stdout.flush()
    sys.exit(0)


def main():
    """Run every TestCase in __main__ as TAP; exit 0 unless the harness broke.

    Arguments, if any, are substrings: only tests whose Class.test_name
    contains one of them run."""
    out = sys.stdout
    try:
        stack()
    except StackError as e:
        out.write("Bail out! %s\n" % str(e).replace("\n", " "))
        out.flush()
        _down()
        sys.exit(1)
    try:
        loader = unittest.TestLoader()
        suite = loader.loadTestsFromModule(sys.modules["__main__"])
        pats = sys.argv[1:]
        if pats:
            def keep(t):
                return any(p in _TapResult._name(t) for p in pats)
            flat = unittest.TestSuite()

            def walk(s):
                for t in s:
                    if isinstance(t, unittest.TestSuite):
                        walk(t)
                    elif keep(t):
                        flat.addTest(t)
            walk(suite)
            suite = flat
        result = _TapResult(out)
        suite.run(result)
        out.write("1..%d\n" % result.n)
        out.flush()
    except Exception:
        out.write("Bail out! harness error: %s\n" %
                  traceback.format_exc().splitlines()[-1])
        out.flush()
        _down()
        sys.exit(1)
    _down()
    sys.exit(0)
