#!/usr/bin/python3
"""Faults under load against a private tests/stack: the database stopped
and started, the workers' database connections killed, a statement that
would wait forever, slow clients, a worker killed mid-request, nginx
reloaded.  Each test runs a bounded, seeded load (reltest.Load) while the
fault happens, then asserts what every client saw and prints the figures
that tests/RELIABILITY.md records.

Must never leave PostgreSQL stopped or a row locked for the next test
(every fault is undone in a finally block), never signal a process that
is not this stack's, and never run a loop without a deadline.
"""

import os
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
# A statement may wait this long; the timeout test relies on it.
os.environ.setdefault("FOLLOW_STATEMENT_TIMEOUT_MS", "1500")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reltest as rt  # noqa: E402
from reltest import ft  # noqa: E402

TIMEOUT_S = int(os.environ["FOLLOW_STATEMENT_TIMEOUT_MS"]) / 1000.0
FAST = 1.0      # an answer while the database is down (issue 6)
BACK = 2.0      # service back after the database is (issue 6)
SLACK = 0.5     # CPU contention on a shared 2-core machine


class Faults(ft.TestCase):

    def setUp(self):
        self.need_keys()

    def users_with_tokens(self, n):
        ids = [self.make_user() for _ in range(n)]
        return ids, [self.token_for(i) for i in ids]

    def warm(self, path, n=20):
        for _ in range(n):
            self.assert_status(self.api("GET", path), 200)

    def children(self):
        """The worker processes (the master excluded)."""
        return self.stack.worker_pids() - self.stack.pidfile_pids()

    def wait_workers(self, n, limit):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            now = self.children()
            if len(now) >= n:
                return now
            time.sleep(0.05)
        return self.children()

    def lock_user(self, uid):
        """A second session holding uid's row: a follow of it waits."""
        import psycopg2
        conn = psycopg2.connect(self.dsn)
        conn.autocommit = False
        with conn.cursor() as c:
            c.execute("SELECT id FROM users WHERE id = %s FOR UPDATE",
                      (uid,))
        return conn

    # ------------------------------------------------------------ tests

    def test_1_database_stopped_under_load(self):
        (a, b), (tok, _) = self.users_with_tokens(2)
        self.follow_sql(a, b)
        self.warm("/users/%d" % b)
        reqs = [("GET", "/users/%d" % b, None), ("GET", "/healthz", None),
                ("GET", "/users/%d/followers" % b, None),
                ("GET", "/users/me/feed", tok)]
        pids = self.stack.worker_pids()
        with rt.Load(self, reqs, threads=4, limit=40) as load:
            time.sleep(1.0)
            try:
                stop0 = time.monotonic()
                self.stack.pg_stop()
                stopped = time.monotonic()
                time.sleep(2.5)
            finally:
                started0 = time.monotonic()
                self.stack.pg_start()
            started = time.monotonic()
            # Until 40 answers in a row are 200, at most 10 s.
            end = started + 10
            while time.monotonic() < end:
                tail = load.since(started)[-40:]
                if len(tail) == 40 and all(e[2] == 200 for e in tail):
                    break
                time.sleep(0.1)
            time.sleep(0.5)
        log = load.all()
        down = [e for e in log if stopped <= e[0] < started0]
        self.assertTrue(down, "no request while the database was down")
        self.assertEqual(rt.statuses(down), {503: len(down)},
                         "answers while down: %r" % rt.statuses(down))
        worst = max(e[1] - e[0] for e in down)
        self.assertLess(worst, FAST + SLACK,
                        "an answer took %.3fs while down" % worst)
        first_503 = min(e[1] for e in log if e[2] == 503) - stop0
        after = [e for e in log if e[0] >= started]
        first_ok = min(e[1] for e in after if e[2] == 200) - started
        late = [e[1] - started for e in after if e[2] != 200]
        back_all = max(late) if late else 0.0
        self.assertLess(back_all, BACK,
                        "503s until %.2fs after the restart" % back_all)
        others = {k: v for k, v in rt.statuses(log).items()
                  if k not in (200, 503)}
        self.assertEqual(others, {}, "unexpected answers")
        self.assertEqual(self.stack.worker_pids(), pids, "a worker died")
        self.assert_counters_exact()
        rt.figure("database stopped for %.1fs: %d requests in all, %d "
                  "503s in all, the %d started while it was down all 503 "
                  "with Retry-After, 0 other failures; slowest answer while"
                  " down %.3fs; first 503 %.3fs after pg_ctl stop began "
                  "(it took %.3fs); after pg_ctl start returned: first 200 "
                  "at %.3fs, last 503 at %.3fs; workers restarted: 0" % (
                      started0 - stopped, len(log),
                      rt.statuses(log).get(503, 0), len(down), worst,
                      first_503, stopped - stop0, first_ok, back_all))

    def test_2_connections_killed(self):
        (a, b), (tok, _) = self.users_with_tokens(2)
        self.follow_sql(a, b)
        self.warm("/users/%d" % b)
        reqs = [("GET", "/users/%d" % b, None),
                ("GET", "/users/%d/following" % a, None),
                ("GET", "/users/me/feed", tok),
                ("GET", "/users/me/relationships?ids=%d" % b, tok)]
        killed = 0
        with rt.Load(self, reqs, threads=4, limit=30) as load:
            end = time.monotonic() + 4.0
            while time.monotonic() < end:
                time.sleep(0.4)
                killed += self.sql1(
                    "SELECT count(pg_terminate_backend(pid)) FROM "
                    "pg_stat_activity WHERE application_name = "
                    "'follow-fcgi'")
        log = load.all()
        self.assertGreater(killed, 0, "no backend was terminated")
        self.assertEqual(rt.statuses(log), {200: len(log)},
                         "reads after a killed connection")
        # Writes: a follow or unfollow whose connection died is never
        # resent (503), so whatever happened, each is applied at most once
        # and the counters equal the rows.
        targets = [self.make_user() for _ in range(12)]
        outcome = {}
        writes = fails = 0
        for rnd in range(3):
            for i, t in enumerate(targets):
                self.sql("SELECT pg_terminate_backend(pid) FROM "
                         "pg_stat_activity WHERE application_name = "
                         "'follow-fcgi'")
                method = "DELETE" if rnd == 1 else "POST"
                r = self.api(method, "/users/%d/follow" % t, token=tok)
                writes += 1
                if r.status == 400 and t not in outcome:
                    # An unfollow after a follow whose fate is unknown.
                    self.assert_error(r, 400, "Not following this user")
                    outcome[t] = False
                    continue
                self.assertIn(r.status, (200, 503), repr(r))
                if r.status == 200:
                    self.assertEqual(r.json()["following"],
                                     method == "POST", repr(r))
                    self.assertEqual(r.json()["follower_count"],
                                     1 if method == "POST" else 0)
                    outcome[t] = method == "POST"
                else:
                    fails += 1
                    outcome.pop(t, None)
        for t, following in outcome.items():
            self.assertEqual(self.count_follows(a, t), int(following))
        for t in targets:
            self.assertIn(self.count_follows(a, t), (0, 1))
        self.assert_counters_exact()
        rt.figure("connections killed: %d backends terminated under %d "
                  "reads, %d reads failed; %d writes each after a kill, "
                  "%d answered 503, 0 applied twice (counters exact)" % (
                      killed, len(log), len(log) - rt.statuses(log)[200],
                      writes, fails))

    def test_3_statement_timeout(self):
        ids, toks = self.users_with_tokens(4)
        target, other = self.make_user(), self.make_user()
        self.warm("/users/%d" % other)
        reqs = [("GET", "/users/%d" % other, None), ("GET", "/healthz", None)]
        lock = self.lock_user(target)
        answers = []

        def follow(tok):
            t0 = time.monotonic()
            try:
                r = self.api("POST", "/users/%d/follow" % target, token=tok,
                             timeout=TIMEOUT_S + 10)
                answers.append((r, time.monotonic() - t0))
            except OSError as e:
                answers.append((repr(e), time.monotonic() - t0))

        try:
            with rt.Load(self, reqs, threads=2, limit=20) as load:
                time.sleep(0.3)
                begin = time.monotonic()
                th = [threading.Thread(target=follow, args=(t,))
                      for t in toks[:2]]
                for t in th:
                    t.start()
                for t in th:
                    t.join(TIMEOUT_S + 15)
                done = time.monotonic()
        finally:
            lock.rollback()
            lock.close()
        during = load.between(begin, done)
        self.assertEqual(len(answers), 2)
        for r, took in answers:
            self.assertNotIsInstance(r, str, r)
            self.assert_error(r, 503, "Service unavailable")
            self.assertTrue(r.headers.get("Retry-After", "").isdigit())
            self.assertGreater(took, TIMEOUT_S - 0.2)
            self.assertLess(took, TIMEOUT_S + 2 * SLACK + 1.0)
        self.assertTrue(during)
        self.assertEqual(rt.statuses(during), {200: len(during)})
        worst = max(e[1] - e[0] for e in during)
        self.assertLess(worst, 1.0 + SLACK,
                        "others waited %.3fs behind the slow query" % worst)
        self.assertEqual(self.count_follows(following=target), 0,
                         "a cancelled follow was applied")
        r = self.api("POST", "/users/%d/follow" % target, token=toks[2])
        self.assert_status(r, 200)
        self.assertEqual(r.json()["follower_count"], 1)
        self.assert_counters_exact()
        rt.figure("statement_timeout %.1fs: 2 follows of a locked row "
                  "answered 503 after %s s; %d other requests meanwhile, "
                  "0 failed, slowest %.3fs" % (
                      TIMEOUT_S, "/".join("%.2f" % t for _, t in answers),
                      len(during), worst))

    def test_4_slow_clients(self):
        a = self.make_user()
        for _ in range(60):
            self.follow_sql(self.make_user(), a)
        host, port = self.stack.host, self.stack.port
        big = "%s/users/%d/followers?page_size=100" % (self.stack.prefix, a)
        n_slow = 2 * len(self.children()) + 2
        results = []

        def slow_sender():
            req = ("GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: "
                   "slow-sender\r\nAccept: application/json\r\nConnection:"
                   " close\r\n\r\n" % big).encode()
            s = socket.create_connection((host, port), timeout=15)
            try:
                step = max(1, len(req) // 10)
                for i in range(0, len(req), step):
                    s.sendall(req[i:i + step])
                    time.sleep(0.25)
                results.append(read_all(s).split(b" ", 2)[1])
            finally:
                s.close()

        def slow_reader():
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
            s.settimeout(15)
            s.connect((host, port))
            try:
                s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n"
                           "Connection: close\r\n\r\n" % big).encode())
                time.sleep(2.5)
                data = read_all(s, slow=True)
                head, _, body = data.partition(b"\r\n\r\n")
                results.append(head.split(b" ", 2)[1])
                if b'"items"' not in body and b"[" not in body:
                    results.append(b"short body")
            finally:
                s.close()

        th = [threading.Thread(target=f) for f in
              [slow_sender] * n_slow + [slow_reader] * n_slow]
        for t in th:
            t.start()
        time.sleep(0.5)
        lat = []
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            t0 = time.monotonic()
            r = self.api("GET", "/users/%d" % a, timeout=5)
            lat.append(time.monotonic() - t0)
            self.assert_status(r, 200)
        for t in th:
            t.join(20)
        self.assertEqual(results.count(b"200"), 2 * n_slow, results)
        self.assertLess(max(lat), 1.0 + SLACK,
                        "slow clients held the workers: %.3fs" % max(lat))
        rt.figure("slow clients: %d slow senders and %d slow readers "
                  "(%d workers) while %d other requests ran, 0 failed, "
                  "slowest %.3fs" % (n_slow, n_slow, len(self.children()),
                                     len(lat), max(lat)))

    def test_5_worker_killed_mid_request(self):
        if not self.stack.owned:
            self.skipTest("stack not started by this test")
        workers = self.children()
        n = len(workers)
        ids, toks = self.users_with_tokens(n)
        target = self.make_user()
        self.warm("/users/%d" % target)
        lock = self.lock_user(target)
        answers = []

        def follow(tok):
            try:
                answers.append(self.api("POST", "/users/%d/follow" % target,
                                        token=tok, timeout=TIMEOUT_S + 10))
            except OSError as e:
                answers.append(repr(e))

        th = [threading.Thread(target=follow, args=(t,)) for t in toks]
        try:
            for t in th:
                t.start()
            # Every worker now waits on the lock inside one request.
            end = time.monotonic() + 1.0
            while time.monotonic() < end and self.sql1(
                    "SELECT count(*) FROM pg_stat_activity WHERE "
                    "application_name = 'follow-fcgi' AND wait_event_type"
                    " = 'Lock'") < n:
                time.sleep(0.02)
            victim = sorted(workers)[0]
            os.kill(victim, signal.SIGKILL)
            killed = time.monotonic()
            time.sleep(0.2)
        finally:
            lock.rollback()
            lock.close()
        for t in th:
            t.join(TIMEOUT_S + 15)
        now = self.wait_workers(n, 5.0)
        replaced = time.monotonic() - killed
        self.assertNotIn(victim, now)
        self.assertEqual(len(now), n, "worker not replaced")
        bad = [r for r in answers if isinstance(r, str) or r.status != 200]
        self.assertEqual(len(answers), n)
        self.assertEqual(len(bad), 1, "answers: %r" % (answers,))
        self.assert_error(bad[0], 503, "Service unavailable")
        for _ in range(20):
            self.assert_status(self.api("GET", "/users/%d" % target), 200)
        # The killed request's follow may or may not have committed, once.
        self.assertIn(self.count_follows(following=target), (n - 1, n))
        self.assert_counters_exact()
        rt.figure("SIGKILL mid-request: %d requests in flight, 1 failed "
                  "(503 JSON from nginx), replacement worker up after "
                  "%.3fs" % (n, replaced))

    def test_6_nginx_reload_under_load(self):
        if not self.stack.owned:
            self.skipTest("stack not started by this test")
        a = self.make_user()
        self.warm("/users/%d" % a)
        with open(os.path.join(self.stack.state, "nginx",
                               "nginx.pid")) as f:
            master = int(f.read().split()[0])
        with open("/proc/%d/cmdline" % master, "rb") as f:
            self.assertIn(self.stack.state.encode(), f.read())
        reqs = [("GET", "/users/%d" % a, None), ("GET", "/healthz", None)]
        with rt.Load(self, reqs, threads=4, limit=20) as load:
            for _ in range(3):
                time.sleep(0.8)
                os.kill(master, signal.SIGHUP)
            time.sleep(1.0)
        log = load.all()
        self.assertEqual(rt.statuses(log), {200: len(log)})
        rt.figure("nginx reloaded 3 times under load: %d requests, 0 "
                  "failed" % len(log))


def read_all(s, slow=False):
    chunks = []
    end = time.monotonic() + 15
    while time.monotonic() < end:
        b = s.recv(512 if slow else 65536)
        if not b:
            break
        chunks.append(b)
        if slow:
            time.sleep(0.01)
    return b"".join(chunks)


if __name__ == "__main__":
    ft.main()
