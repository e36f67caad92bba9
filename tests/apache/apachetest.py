"""Real Apache httpd in front of a tests/stack database, for tests/apache.

Builds one private Apache instance per call to `start()` (its own
ServerRoot, config, pid file, logs and sockets in a temporary directory,
on free loopback ports), from the shipped files in apache/ with only their
paths and ports substituted, and runs it as the stack's unprivileged user
(or as the caller, when not root).  Two instances cover the three modes:
"fcgid" loads mod_fcgid and mod_proxy_fcgi, "cgi" loads neither, so the
shipped .htaccess falls back to plain CGI (mod_cgid).

It must never signal a process it did not start (pids come from its own
pid file and are checked against their command line), never leave Apache
running after the test process ends, and never touch the system's
/etc/apache2.
"""

import atexit
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(
    os.path.dirname(HERE))
BUILDDIR = os.environ.get("FOLLOW_BUILDDIR") or SRCDIR
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))

import followtest as ft  # noqa: E402

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODDIR = "/usr/lib/apache2/modules"
RUN_USER = "followfcgi"     # the stack's user: it can read keys, socket
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

COMMON_MODULES = ("mpm_event", "authz_core", "authz_host", "mime", "alias",
                  "headers", "rewrite", "env", "setenvif", "dir")
MODE_MODULES = {
    "fcgid": ("fcgid", "proxy", "proxy_fcgi"),
    "cgi": ("cgid",),
}


class ApacheError(Exception):
    """Apache could not be configured or started."""


def missing():
    """Why Apache tests cannot run here, or None."""
    if not os.access(APACHE, os.X_OK):
        return "apache2 is not installed"
    for m in ("fcgid", "proxy_fcgi", "cgid", "rewrite", "mpm_event"):
        if not os.path.exists(os.path.join(MODDIR, "mod_%s.so" % m)):
            return "mod_%s is not installed" % m
    return None


def is_root():
    return os.geteuid() == 0


def run_user_ids():
    """(uid, gid) Apache and the files it writes belong to."""
    if not is_root():
        return os.getuid(), os.getgid()
    pw = pwd.getpwnam(RUN_USER)
    return pw.pw_uid, pw.pw_gid


def as_user(argv):
    """argv run as the unprivileged user, with a clean environment."""
    env = ["env", "-i", "PATH=" + CLEAN_PATH, "LANG=C"]
    if is_root():
        return ["runuser", "-u", RUN_USER, "--"] + env + argv
    return env + argv


def shipped(name, folder=None):
    """A shipped file's text (from folder, default the source's apache/)."""
    folder = folder or os.path.join(SRCDIR, "apache")
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        return f.read()


def substitute(text, pairs):
    """The shipped text with example paths and ports replaced; each
    replacement must apply, so a renamed path fails loudly."""
    for old, new in pairs:
        if old not in text:
            raise ApacheError("shipped config lacks %r" % old)
        text = text.replace(old, new)
    return text


def write(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def follow_conf(stack, appname):
    """A follow-fcgi.conf for this stack (NAME=value lines)."""
    return ("# written by tests/apache\n"
            "FOLLOW_DSN=%s application_name=%s\n"
            "FOLLOW_KEYFILE=%s\n"
            "FOLLOW_COOKIE=%s\n"
            "FOLLOW_ORIGINS=%s\n" % (stack.dsn, appname, stack.keyfile,
                                     stack.cookie, stack.origin))


class Apache:
    """One running Apache; `ports` maps a front name to its port."""

    def __init__(self, mode, stack, binary=None, overrides=(),
                 loglevel="warn", installed=None, globals_=(),
                 settings=None):
        if mode not in MODE_MODULES:
            raise ValueError(mode)
        self.mode = mode
        self.stack = stack
        self.binary = binary or os.path.join(BUILDDIR, "follow-fcgi")
        self.overrides = list(overrides)
        self.loglevel = loglevel
        self.globals = list(globals_)
        # The mod_fcgid vhost's settings file; default: one for the stack.
        self.settings = settings
        # An installed prefix: its bin/follow-fcgi and its copies of the
        # shipped files are used in place, as a user would.
        self.installed = installed
        if installed:
            self.binary = os.path.join(installed, "bin", "follow-fcgi")
        self.confdir = os.path.join(installed, "share", "follow-fcgi",
                                    "apache") if installed else None
        parent = os.environ.get("FOLLOW_STATE_PARENT") or \
            tempfile.gettempdir()
        self.dir = tempfile.mkdtemp(prefix="follow-apache.", dir=parent)
        os.chmod(self.dir, 0o755)
        self.pid = None
        self.ports = {}

    # -- files

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def _prepare(self):
        d = self.path
        for sub in ("bin", "etc", "logs", "run", "fcgid", "htdocs", "empty"):
            os.makedirs(d(sub), exist_ok=True)
        shutil.copy2(self.binary, d("bin", "follow-fcgi"))
        write(d("etc", "follow-fcgi.conf"),
              follow_conf(self.stack, "apache-" + self.mode + "-vhost"),
              0o600)
        # The shared-hosting folder: binary, settings beside it, a key file
        # that must not be served, and the shipped .htaccess.
        shutil.copy2(self.binary, d("htdocs", "follow.fcgi"))
        os.chmod(d("htdocs", "follow.fcgi"), 0o755)
        write(d("htdocs", "follow-fcgi.conf"),
              follow_conf(self.stack, "apache-" + self.mode + "-htaccess"),
              0o600)
        shutil.copy2(self.stack.keyfile, d("htdocs", "keys"))
        os.chmod(d("htdocs", "keys"), 0o600)
        write(d("htdocs", ".htaccess"), shipped("htaccess", self.confdir))
        write(d("htdocs", "index.html"), "site\n")

        self.ports["htaccess"] = ft.free_port()
        listen = [self.ports["htaccess"]]
        vhosts = ["<VirtualHost 127.0.0.1:%d>\n\tDocumentRoot %s\n"
                  "</VirtualHost>\n" % (self.ports["htaccess"],
                                        d("htdocs"))]
        if self.mode == "fcgid":
            self.ports["fcgid"] = ft.free_port()
            self.ports["proxy"] = ft.free_port()
            self.ports["proxy_dead"] = ft.free_port()
            listen += [self.ports["fcgid"], self.ports["proxy"],
                       self.ports["proxy_dead"]]
            vhosts.append(substitute(shipped("follow-fcgid.conf",
                                             self.confdir), [
                ("*:80", "127.0.0.1:%d" % self.ports["fcgid"]),
                ("/usr/local/bin/follow-fcgi", self.binary if self.installed
                 else d("bin", "follow-fcgi")),
                ("/etc/follow-fcgi/follow-fcgi.conf",
                 self.settings or d("etc", "follow-fcgi.conf")),
            ] + self.overrides))
            vhosts.append(substitute(shipped("follow-proxy-fcgi.conf",
                                             self.confdir), [
                ("*:80", "127.0.0.1:%d" % self.ports["proxy"]),
                ("/run/follow-fcgi/follow.sock",
                 os.path.join(self.stack.state, "follow.sock")),
            ]))
            # The same vhost with no worker pool behind it.
            vhosts.append(substitute(shipped("follow-proxy-fcgi.conf",
                                             self.confdir), [
                ("*:80", "127.0.0.1:%d" % self.ports["proxy_dead"]),
                ("/run/follow-fcgi/follow.sock", d("run", "nobody.sock")),
            ]))
        for i, v in enumerate(vhosts):
            write(d("etc", "vhost%d.conf" % i), v)
        write(d("etc", "httpd.conf"), self._httpd_conf(listen, len(vhosts)))
        uid, gid = run_user_ids()
        for root, dirs, files in os.walk(self.dir):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), uid, gid)
        os.lchown(self.dir, uid, gid)

    def _httpd_conf(self, listen, nvhosts):
        d = self.path
        mods = COMMON_MODULES + MODE_MODULES[self.mode]
        lines = ["# generated by tests/apache/apachetest.py",
                 "ServerRoot %s" % self.dir,
                 "ServerName 127.0.0.1",
                 "PidFile %s" % d("run", "httpd.pid"),
                 "DefaultRuntimeDir %s" % d("run"),
                 "ErrorLog %s" % d("logs", "error.log"),
                 "LogLevel %s" % self.loglevel,
                 "DocumentRoot %s" % d("empty"),
                 "TypesConfig /etc/mime.types",
                 "StartServers 1",
                 "ServerLimit 4",
                 "ThreadsPerChild 25",
                 "MaxRequestWorkers 100",
                 "Timeout 30"]
        lines += ["Listen 127.0.0.1:%d" % p for p in listen]
        lines += ["LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m)
                  for m in mods]
        if self.mode == "fcgid":
            lines += ["FcgidIPCDir %s" % d("fcgid"),
                      "FcgidProcessTableFile %s" % d("fcgid", "shm")]
            lines += self.globals
        else:
            lines += ["ScriptSock %s" % d("run", "cgid.sock")]
        lines += ["<Directory />", "\tAllowOverride None",
                  "\tRequire all denied", "</Directory>",
                  "<Directory %s>" % d("htdocs"), "\tAllowOverride All",
                  "\tRequire all granted", "</Directory>"]
        lines += ["Include %s" % d("etc", "vhost%d.conf" % i)
                  for i in range(nvhosts)]
        return "\n".join(lines) + "\n"

    # -- processes

    def check(self):
        """apache2 -t on the generated configuration: (rc, output)."""
        r = subprocess.run(as_user([APACHE, "-t", "-f",
                                    self.path("etc", "httpd.conf")]),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def start(self):
        # A port the kernel called free may be taken before Apache binds
        # it (other suites run in parallel): try again with new ones.
        for attempt in range(5):
            self.ports = {}
            self._prepare()
            rc, out = self.check()
            if rc != 0:
                raise ApacheError("apache2 -t failed: %s" % out.strip())
            r = subprocess.run(as_user([APACHE, "-f",
                                        self.path("etc", "httpd.conf"),
                                        "-k", "start"]),
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60)
            out = r.stdout.decode("utf-8", "replace")
            if r.returncode == 0:
                break
            if "Address already in use" not in out + self.error_log() \
                    or attempt == 4:
                raise ApacheError("apache2 -k start failed: %s" %
                                  out[-1500:])
        end = time.monotonic() + 20
        while time.monotonic() < end:
            self.pid = self._pidfile()
            if self.pid and self._answers():
                return self
            time.sleep(0.1)
        raise ApacheError("apache did not come up: %s" % self.error_log())

    def _pidfile(self):
        try:
            with open(self.path("run", "httpd.pid")) as f:
                t = f.read().strip()
            return int(t) if t.isdigit() else None
        except OSError:
            return None

    def _answers(self):
        try:
            r = ft.http_request("127.0.0.1", self.ports["htaccess"], "GET",
                                "/index.html", timeout=2)
            return r.status == 200
        except OSError:
            return False

    def ours(self, pid):
        """True when pid is alive and runs our configuration."""
        if not pid or not ft._alive(pid):
            return False
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return self.dir.encode() in f.read()
        except OSError:
            return False

    def stop(self):
        """Stop Apache (mod_fcgid stops its workers) and remove the dir."""
        pid, self.pid = self.pid or self._pidfile(), None
        if pid and self.ours(pid):
            os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + 15
            while ft._alive(pid) and time.monotonic() < end:
                time.sleep(0.05)
            if ft._alive(pid) and self.ours(pid):
                os.kill(pid, signal.SIGKILL)
        if os.environ.get("FOLLOW_KEEP_STATE") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def error_log(self, tail=3000):
        try:
            with open(self.path("logs", "error.log"), errors="replace") as f:
                return f.read()[-tail:]
        except OSError:
            return ""

    def worker_pids(self):
        """Live processes running this instance's follow-fcgi binaries."""
        want = (self.path("bin", "follow-fcgi"),
                self.path("htdocs", "follow.fcgi"), self.binary)
        out = set()
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                exe = os.readlink("/proc/%s/exe" % p)
            except OSError:
                continue
            if exe in want and ft._alive(int(p)):
                out.add(int(p))
        return out


# ---------------------------------------------------------------- lifetime

_running = []


def _stop_all():
    while _running:
        a = _running.pop()
        try:
            a.stop()
        except Exception as e:  # at exit only stderr is left to tell
            print("apachetest: stop failed: %s" % e, file=sys.stderr)


def _on_signal(signum, frame):
    _stop_all()
    ft._on_signal(signum, frame)


def start(mode, **kw):
    """A started Apache in front of the process-wide stack; stopped at
    exit, also on SIGTERM/SIGINT/SIGHUP."""
    stack = ft.stack()
    if not _running:
        atexit.register(_stop_all)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, _on_signal)
    a = Apache(mode, stack, **kw)
    _running.append(a)
    try:
        a.start()
    except Exception:
        log = a.error_log()
        _running.remove(a)
        a.stop()
        raise ApacheError("%s (error log: %s)" % (
            sys.exc_info()[1], log.strip()[-1500:]))
    return a


def skip_unless_ready():
    """TAP skip for the whole file when Apache is missing."""
    why = missing()
    if why is not None:
        ft.skip_all(why)
