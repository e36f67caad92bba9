"""Shared helpers for the reliability tests: a bounded, seeded load
generator against a running tests/stack, figures printed as TAP comments,
and the worker log checks.

Imports tests/integration/followtest.py for the stack and the HTTP client.
It must never send traffic anywhere but the stack's loopback address and
never run a loop without a deadline.
"""

import os
import random
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(
    os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), "tests", "integration"))
import followtest as ft  # noqa: E402,F401

SEED = int(os.environ.get("FOLLOW_TEST_SEED", "20261127"))


def figure(text):
    """One measured figure, as a TAP comment (tests/RELIABILITY.md)."""
    sys.stdout.write("# figure: %s\n" % text)
    sys.stdout.flush()


class Load:
    """Threads that send requests picked (seeded) from `requests` until
    stopped or `limit` seconds passed; every answer is recorded as
    (start, end, status or exception name, method, path)."""

    def __init__(self, case, requests, threads=4, limit=30.0, seed=SEED,
                 timeout=5.0):
        self.case = case
        self.requests = requests
        self.limit = limit
        self.timeout = timeout
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.log = []
        self.threads = [threading.Thread(target=self._run,
                                         args=(random.Random(seed + i),),
                                         daemon=True)
                        for i in range(threads)]

    def _run(self, rng):
        end = time.monotonic() + self.limit
        while not self.stop_ev.is_set() and time.monotonic() < end:
            method, path, token = rng.choice(self.requests)
            t0 = time.monotonic()
            try:
                r = self.case.api(method, path, token=token,
                                  timeout=self.timeout)
                res = r.status
                if r.status >= 400:
                    # Every error must still be the JSON shape.
                    try:
                        if list(r.json()) != ["detail"]:
                            res = "bad-body-%d" % r.status
                    except Exception:
                        res = "bad-body-%d" % r.status
                    if r.status == 503 and not r.headers.get(
                            "Retry-After", "").isdigit():
                        res = "503-no-retry-after"
            except Exception as e:  # noqa: BLE001 - recorded, then asserted
                res = type(e).__name__
            with self.lock:
                self.log.append((t0, time.monotonic(), res, method, path))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(self.timeout + 5)

    def since(self, t):
        with self.lock:
            return [e for e in self.log if e[0] >= t]

    def between(self, a, b):
        with self.lock:
            return [e for e in self.log if e[0] >= a and e[0] < b]

    def all(self):
        with self.lock:
            return list(self.log)


def statuses(entries):
    out = {}
    for e in entries:
        out[e[2]] = out.get(e[2], 0) + 1
    return out


def worker_log(case):
    """The text of the stack's worker log (stderr of master and workers)."""
    try:
        with open(os.path.join(case.stack.state, "follow-fcgi.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
