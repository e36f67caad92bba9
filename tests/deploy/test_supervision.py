#!/usr/bin/python3
"""Worker supervision under a steady load of GETs (4 client threads
through nginx, a fresh connection per request, some authenticated):

- kill -9 of one worker: no request fails except at most the one that
  worker was serving, and the master has N workers again within a second
  (children counted through /proc);
- SIGHUP to the master after a new key is added to the key file, 40
  times in a row, and `nginx -s reload`: zero failed requests; every worker logs
  the reload; a token signed with the new key works afterwards, and so
  does the old key's until the old key is removed (then 401);
- a worker re-forked after the reload knows the new key (the master
  reloads its copy too).

Starts its own stack (4 workers); prints TAP.  Every wait is bounded.
"""

import base64
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("FOLLOW_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests",
    "deploy"))
import deploytest as dt  # noqa: E402
import followtest as ft  # noqa: E402

WORKERS = 4
os.environ["FOLLOW_STACK_WORKERS"] = str(WORKERS)


class Supervision(ft.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.master,) = cls.stack.pidfile_pids()
        cls.logf = os.path.join(cls.stack.state, "follow-fcgi.log")

    def setUp(self):
        self.user, self.other = self.make_users(2)
        self.follow_sql(self.user, self.other)

    def load(self, token):
        p = self.stack.prefix
        paths = [p + "/healthz", p + "/users/%d" % self.other,
                 p + "/users/%d/followers" % self.other,
                 p + "/users/me/feed"]
        return dt.Load(self.stack.host, self.stack.port, paths, threads=4,
                       headers={"Authorization": "Bearer " + token},
                       max_seconds=60).start()

    def wait_pool(self, before, timeout):
        """Seconds until the master has WORKERS children again, not
        counting the ones in before that died; None on timeout."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            now = ft.children(self.master)
            if len(now) == WORKERS and now != before:
                return time.monotonic() - t0
            time.sleep(0.005)
        return None

    def log_size(self):
        return os.path.getsize(self.logf)

    def wait_log(self, offset, needle, count, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(self.logf, errors="replace") as f:
                f.seek(offset)
                n = f.read().count(needle)
            if n >= count:
                return n
            time.sleep(0.05)
        return n

    def status_with(self, token, n=12):
        """Statuses of n authenticated GETs (enough to reach every
        worker, each request on a new connection)."""
        out = set()
        for _ in range(n):
            r = self.api("GET", "/users/me/feed", token=token)
            out.add(r.status)
        return out

    # ------------------------------------------------------------ kill -9

    def test_1_kill_9_one_worker_under_load(self):
        before = ft.children(self.master)
        self.assertEqual(len(before), WORKERS)
        load = self.load(self.token_for(self.user))
        time.sleep(1.0)
        victim = sorted(before)[0]
        os.kill(victim, signal.SIGKILL)
        back = self.wait_pool(before, 2.0)
        time.sleep(1.0)
        load.stop()
        self.assertIsNotNone(back, "pool not back to %d" % WORKERS)
        self.assertLess(back, 1.0, "pool back only after %.3fs" % back)
        self.assertNotIn(victim, ft.children(self.master))
        self.assertGreater(load.ok, 50, "the load did not run")
        # A worker serves one request at a time: at most that one fails.
        self.assertLessEqual(len(load.failures), 1, load.failures)
        print("# kill -9: pool back in %.1f ms; %d ok, %d failed" % (
            back * 1000, load.ok, len(load.failures)))

    # ------------------------------------------------------------ reload

    def keyfile_write(self, lines):
        """Replace the key file atomically, keeping its owner and 0600."""
        path = self.stack.keyfile
        st = os.stat(path)
        tmp = path + ".new"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("".join(l + "\n" for l in lines))
        os.chown(tmp, st.st_uid, st.st_gid)
        os.rename(tmp, path)
        self.stack.keys = ft.parse_keyfile(path)

    def test_2_sighup_key_rotation_and_nginx_reload_under_load(self):
        keys = self.need_keys()
        with open(self.stack.keyfile) as f:
            original = [l.rstrip("\n") for l in f]
        old_kid = keys[0][0]
        old_token = self.mint(str(self.user), kid=old_kid)
        self.assertEqual(self.status_with(old_token), {200})

        new_secret = os.urandom(32)
        new_line = "rot1 " + base64.b64encode(new_secret).decode()
        load = self.load(old_token)
        try:
            time.sleep(0.5)
            off = self.log_size()
            # 1. add the new key last; reload, many times in a row so
            #    some signals land while workers accept or read a
            #    request (libfcgi used to drop the connection then).
            self.keyfile_write(original + [new_line])
            for _ in range(40):
                os.kill(self.master, signal.SIGHUP)
                time.sleep(0.03)
            got = self.wait_log(off, "reloaded configuration and 3 key(s)",
                                WORKERS)
            self.assertGreaterEqual(got, WORKERS,
                                    "not every worker reloaded")
            # 2. nginx reload while the load runs.
            n = os.path.join(self.stack.state, "nginx")
            r = dt.nginx(n, os.path.join(n, "nginx.conf"), "-s", "reload")
            self.assertEqual(r.returncode, 0, r.stdout)
            time.sleep(1.0)
            new_token = self.mint(str(self.user), kid="rot1",
                                  key=new_secret)
            self.assertEqual(self.status_with(new_token), {200})
            self.assertEqual(self.status_with(old_token), {200})
        finally:
            load.stop()
        self.assertGreater(load.ok, 50, "the load did not run")
        self.assertEqual(load.failures, [], "requests failed during reload")
        print("# reload under load: %d ok, 0 failed" % load.ok)

        # 3. a worker forked after the reload knows the new key too.
        before = ft.children(self.master)
        os.kill(sorted(before)[-1], signal.SIGKILL)
        self.assertIsNotNone(self.wait_pool(before, 2.0))
        time.sleep(0.3)   # the new worker connects to PostgreSQL
        self.assertEqual(self.status_with(new_token, 16), {200})

        # 4. remove the old key: its tokens are refused, the new one works.
        off = self.log_size()
        self.keyfile_write([l for l in original + [new_line]
                            if not l.startswith(old_kid + " ")])
        os.kill(self.master, signal.SIGHUP)
        self.assertGreaterEqual(self.wait_log(
            off, "reloaded configuration and 2 key(s)", WORKERS), WORKERS)
        self.assertEqual(self.status_with(old_token), {401})
        r = self.api("GET", "/users/me/feed", token=old_token)
        self.assertEqual(r.json(), {"detail": "Invalid token"})
        self.assertEqual(self.status_with(new_token), {200})
        with open(self.logf, errors="replace") as f:
            text = f.read()
        self.assertNotIn(base64.b64encode(new_secret).decode(), text)


if __name__ == "__main__":
    ft.main()
