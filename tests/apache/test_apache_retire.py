"""mod_fcgid retires and replaces workers under steady load, losing nothing.

FcgidMaxRequestsPerProcess is cut to 25, so during 300 requests from four
clients at once mod_fcgid sends SIGTERM to a dozen workers and starts new
ones.  Every request must get its right answer
(follow/unfollow pairs and reads), every retired worker must exit by itself
on SIGTERM (mod_fcgid never has to SIGKILL one), and the counters stay
exact.  The load is bounded in count and time and goes to 127.0.0.1 only.
mod_fcgid replaces retired workers only when its process manager next
looks (FcgidErrorScanInterval), so clients wait meanwhile: this measures
nothing about speed.
"""

import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apachetest as at  # noqa: E402

ft = at.ft
REQUESTS = 300          # at least a dozen generations of workers
SECONDS = 60            # the bound, on a very busy machine
CLIENTS = 4
MAX_REQUESTS = 25


class Retire(ft.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The process manager looks for retired workers every second and
        # may start many replacements; the defaults (3 s, a spawn score
        # of 10) would make clients queue for seconds, not lose requests.
        cls.ap = at.start("fcgid", loglevel="warn fcgid:info", globals_=[
            "FcgidErrorScanInterval 1", "FcgidSpawnScoreUpLimit 200",
        ], overrides=[
            ("FcgidMaxRequestsPerProcess 10000",
             "FcgidMaxRequestsPerProcess %d" % MAX_REQUESTS),
        ])
        cls.port = cls.ap.ports["fcgid"]

    def test_1_retiring_workers_lose_no_request(self):
        target = self.make_user()
        callers = self.make_users(CLIENTS)
        tokens = [self.token_for(u) for u in callers]
        bad, counts, seen = [], [0] * CLIENTS, set()
        stop = threading.Event()

        def call(method, path, tok):
            return ft.http_request("127.0.0.1", self.port, method,
                                   "/api" + path,
                                   {"Authorization": "Bearer " + tok},
                                   timeout=20)

        def client(i):
            path = "/users/%d/follow" % target
            end = time.monotonic() + SECONDS
            while time.monotonic() < end and sum(counts) < REQUESTS:
                for method, want in (("POST", True), ("DELETE", False)):
                    try:
                        r = call(method, path, tokens[i])
                        ok = r.status == 200 and \
                            r.json()["following"] is want
                    except Exception as e:  # a lost request, reported
                        r, ok = e, False
                    counts[i] += 1
                    if not ok:
                        bad.append(repr(r)[:300])
                try:
                    r = call("GET", "/users/%d" % callers[i], tokens[i])
                    ok = r.status == 200 and r.json()["id"] == callers[i]
                except Exception as e:
                    r, ok = e, False
                counts[i] += 1
                if not ok:
                    bad.append(repr(r)[:300])

        def watch():
            while not stop.is_set():
                seen.update(self.ap.worker_pids())
                time.sleep(0.05)

        w = threading.Thread(target=watch)
        w.start()
        threads = [threading.Thread(target=client, args=(i,))
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 60)
        stop.set()
        w.join(10)
        total = sum(counts)
        print("# %d requests, %d worker processes seen, %d failed" % (
            total, len(seen), len(bad)))
        self.assertEqual(bad[:5], [], "%d of %d failed" % (len(bad), total))
        self.assertGreaterEqual(total, REQUESTS, "too slow to finish")
        # Workers really were retired and replaced meanwhile: no process
        # may serve more than MAX_REQUESTS (the watcher may miss a few).
        self.assertGreaterEqual(len(seen), total // MAX_REQUESTS // 2)
        self.assertGreater(len(seen), 4)
        self.assertEqual(self.counters(target), (0, 0))
        self.assert_counters_exact()

    def test_2_retired_workers_exit_on_their_own(self):
        """mod_fcgid's log: exits with status 0 after SIGTERM, no SIGKILL,
        no crash."""
        log = ""
        end = time.monotonic() + 10
        while time.monotonic() < end:
            log = self.ap.error_log(200000)
            if "exit(" in log:
                break
            time.sleep(0.2)
        self.assertIn("exit(", log)
        for pat in (r"SIGKILL", r"graceful kill fail", r"signal 9",
                    r"segmentation|signal 11|signal 6|core dumped"):
            self.assertIsNone(re.search(pat, log, re.I), pat + "\n" +
                              log[-2000:])


if __name__ == "__main__":
    at.skip_unless_ready()
    ft.main()
