#!/usr/bin/python3
"""The shipped service files: dist/follow-fcgi.service passes
`systemd-analyze verify` with no complaint and keeps its hardening;
dist/follow-fcgictl starts the pool on the test stack's socket (nginx then
serves through it), reports status, reloads, refuses to start twice,
stops after letting an in-flight request finish (SIGTERM drains), and
reports a bad configuration; and a master started as root with
FOLLOW_USER runs, with its workers, as that user.

Starts its own stack and stops its own workers first; prints TAP.
"""

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("FOLLOW_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests",
    "deploy"))
import deploytest as dt  # noqa: E402
import followtest as ft  # noqa: E402

os.environ["FOLLOW_STACK_WORKERS"] = "2"
RUN_USER = "followfcgi"
IS_ROOT = os.getuid() == 0


def subst(name, bindir, sysconfdir):
    with open(os.path.join(dt.SRCDIR, "dist", name + ".in")) as f:
        text = f.read()
    return (text.replace("@bindir@", bindir)
            .replace("@sysconfdir@", sysconfdir)
            .replace("@pkgdatadir@", "/usr/local/share/follow-fcgi"))


def proc_uid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


class Dist(ft.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.state = cls.stack.state
        cls.stack.workers_stop()
        cls.dir = tempfile.mkdtemp(prefix="follow-deploy-dist.")
        os.chmod(cls.dir, 0o755)
        cls.bin = os.path.join(cls.state, "bin", "follow-fcgi")
        cls.ctl = os.path.join(cls.dir, "follow-fcgictl")
        with open(cls.ctl, "w") as f:
            f.write(subst("follow-fcgictl", "/nonexistent", "/nonexistent"))
        os.chmod(cls.ctl, 0o755)
        cls.pidfile = os.path.join(cls.dir, "follow-fcgi.pid")
        cls.log = os.path.join(cls.dir, "follow-fcgi.log")
        cls.config = os.path.join(cls.dir, "follow-fcgi.conf")
        cls.write_config(["FOLLOW_DSN=" + cls.stack.dsn,
                          "FOLLOW_KEYFILE=" + cls.stack.keyfile,
                          "FOLLOW_WORKERS=3"])
        cls.ctlconf = os.path.join(cls.dir, "follow-fcgictl.conf")
        with open(cls.ctlconf, "w") as f:
            f.write("SOCKET=%s\nPIDFILE=%s\nCONFIG=%s\nBIN=%s\n"
                    "LOGFILE=%s\nRUN_USER=%s\nSOCKET_GROUP=%s\n" % (
                        os.path.join(cls.state, "follow.sock"), cls.pidfile,
                        cls.config, cls.bin, cls.log, RUN_USER, RUN_USER))
        os.chmod(cls.ctlconf, 0o600)

    @classmethod
    def tearDownClass(cls):
        cls.run_ctl("stop")
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def write_config(cls, lines):
        with open(cls.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(cls.config, 0o600)
        if IS_ROOT:
            pw = pwd.getpwnam(RUN_USER)
            os.chown(cls.config, pw.pw_uid, pw.pw_gid)

    @classmethod
    def run_ctl(cls, *args):
        env = dict(os.environ, FOLLOW_CTL_CONF=cls.ctlconf)
        return subprocess.run([cls.ctl] + list(args), env=env,
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=60)

    def master(self):
        with open(self.pidfile) as f:
            return int(f.read().split()[0])

    # ------------------------------------------------------------ systemd

    def test_1_systemd_unit_verifies(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        unit = os.path.join(self.dir, "follow-fcgi.service")
        with open(unit, "w") as f:
            f.write(subst("follow-fcgi.service", dt.BUILDDIR, "/etc"))
        r = subprocess.run(["systemd-analyze", "verify", unit],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual((r.returncode, r.stdout.decode()), (0, ""))
        with open(unit) as f:
            text = f.read()
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict",
                     "PrivateTmp=yes", "ExecReload=/bin/kill -HUP $MAINPID",
                     "-M 0660", "-G www-data", "spawn-fcgi -n"):
            self.assertIn(line, text)

    # ------------------------------------------------------------ ctl

    def test_2_ctl_start_status_reload(self):
        r = self.run_ctl("start")
        self.assertEqual(r.returncode, 0, r.stdout)
        pid = self.master()
        r = self.run_ctl("status")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn(b"3 workers", r.stdout)
        # nginx reaches the pool through the socket the script made.
        end = time.monotonic() + 5
        while self.api("GET", "/healthz").status != 200 and \
                time.monotonic() < end:
            time.sleep(0.1)
        self.assertEqual(self.api("GET", "/healthz").status, 200)
        if IS_ROOT:
            uid = pwd.getpwnam(RUN_USER).pw_uid
            self.assertEqual(proc_uid(pid), uid)
            st = os.stat(os.path.join(self.state, "follow.sock"))
            self.assertEqual(st.st_mode & 0o777, 0o660)
        # Twice: nothing new is started.
        r = self.run_ctl("start")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"already running", r.stdout)
        self.assertEqual(self.master(), pid)
        off = os.path.getsize(self.log)
        r = self.run_ctl("reload")
        self.assertEqual(r.returncode, 0, r.stdout)
        n = 0
        end = time.monotonic() + 5
        while n < 3 and time.monotonic() < end:
            with open(self.log) as f:
                f.seek(off)
                n = f.read().count("reloaded configuration")
            time.sleep(0.05)
        self.assertEqual(n, 3)

    def test_3_ctl_stop_drains_in_flight_request(self):
        if not os.path.exists(self.pidfile):
            self.run_ctl("start")
        a, b = self.make_users(2)
        tok = self.token_for(a)
        # Hold b's row: the follow's counter trigger waits for it.
        import psycopg2
        lock = psycopg2.connect(self.dsn)
        cur = lock.cursor()
        cur.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (b,))
        result = {}

        def follow():
            result["r"] = self.api("POST", "/users/%d/follow" % b,
                                   token=tok, timeout=20)
        t = threading.Thread(target=follow)
        t.start()
        time.sleep(0.5)
        stopper = threading.Thread(
            target=lambda: result.update(stop=self.run_ctl("stop")))
        stopper.start()
        time.sleep(0.5)
        self.assertNotIn("r", result, "the request did not wait")
        lock.commit()
        lock.close()
        t.join(20)
        stopper.join(30)
        self.assertEqual(result["r"].status, 200, result["r"].body)
        self.assertEqual(result["r"].json(),
                         {"following": True, "follower_count": 1})
        self.assertEqual(result["stop"].returncode, 0, result["stop"].stdout)
        self.assertFalse(os.path.exists(self.pidfile))
        r = self.run_ctl("status")
        self.assertEqual(r.returncode, 3)
        self.assertEqual(self.api("GET", "/healthz").status, 503)

    def test_4_ctl_reports_bad_config(self):
        self.run_ctl("stop")
        self.write_config(["FOLLOW_KEYFILE=" + self.stack.keyfile])
        try:
            r = self.run_ctl("start")
        finally:
            self.write_config(["FOLLOW_DSN=" + self.stack.dsn,
                               "FOLLOW_KEYFILE=" + self.stack.keyfile,
                               "FOLLOW_WORKERS=3"])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn(b"FOLLOW_DSN", r.stdout)

    # ------------------------------------------------------------ FOLLOW_USER

    def test_5_follow_user_drops_root(self):
        if not IS_ROOT:
            self.skipTest("needs root")
        self.run_ctl("stop")
        sock = os.path.join(self.state, "follow.sock")
        pidfile = os.path.join(self.dir, "direct.pid")
        env = dict(os.environ, FOLLOW_DSN=self.stack.dsn,
                   FOLLOW_KEYFILE=self.stack.keyfile, FOLLOW_WORKERS="2",
                   FOLLOW_USER=RUN_USER)
        env.pop("FOLLOW_CONFIG", None)
        subprocess.run(["spawn-fcgi", "-s", sock, "-M", "0666", "-P",
                        pidfile, "--", self.bin], env=env, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
        with open(pidfile) as f:
            pid = int(f.read().split()[0])
        try:
            uid = pwd.getpwnam(RUN_USER).pw_uid
            kids = []
            end = time.monotonic() + 5
            while len(kids) < 2 and time.monotonic() < end:
                kids = sorted(ft.children(pid))
                time.sleep(0.05)
            self.assertEqual(len(kids), 2)
            for p in [pid] + kids:
                self.assertEqual(proc_uid(p), uid, "pid %d" % p)
            self.assertEqual(self.api("GET", "/healthz").status, 200)
        finally:
            os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + 15
            while time.monotonic() < end and ft._alive(pid):
                time.sleep(0.05)
            try:
                os.unlink(sock)
            except OSError:
                pass


if __name__ == "__main__":
    if shutil.which("spawn-fcgi") is None:
        ft.skip_all("spawn-fcgi is not installed")
    ft.main()
