"""bench/run smoke under `make check`: the benchmark still runs end to end
(service, pgbench and the static nginx ceiling in every scenario) and
leaves every counter exact. It asserts nothing about speed: figures from a
shared, busy machine mean nothing in a test. Prints TAP itself (one check
per scenario) rather than through followtest.main(), which would start a
second stack for nothing: bench/run starts its own."""

import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys

NAMES = ["feed page 1", "feed page 1, cursor users", "feed, following 5000",
         "feed, following 50", "followers p1, biggest (1)",
         "followers p1, small accounts", "following p1"]
# --only value(s) -> the scenarios they must select.
ONLY = [
    (["feed page 1"], {"feed page 1"}),
    (["feed, following 50"], {"feed, following 50"}),
    (["followers p1, biggest"], {"followers p1, biggest (1)"}),
    (["feed,following p1"], set(NAMES[:4]) | {"following p1"}),
    (["followers p1", "feed page 1"], {"feed page 1",
     "followers p1, biggest (1)", "followers p1, small accounts"}),
]


def bench_module(src):
    path = os.path.join(src, "bench", "run")
    loader = importlib.machinery.SourceFileLoader("bench_run", path)
    mod = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("bench_run", loader))
    mod.__file__ = path
    loader.exec_module(mod)
    return mod


def slice_checks(mod):
    """Measurements taken in turns and merged (bench/run's interleave)."""
    calls = []
    runs = [(n, lambda s, n=n: calls.append((n, s)) or n) for n in "abc"]
    parts = mod.interleave(runs, [5, 5, 5])
    q1 = [float(k) for k in range(1, 1001)]     # 1..1000 ms, 1000 requests
    q2 = [2000.0] * 1000                        # all at 2 s, 3000 requests
    m = mod.merged([{"rps": 100.0, "secs": 10.0, "requests": 1000,
                     "errors": 1, "quantiles": q1},
                    {"rps": 600.0, "secs": 5.0, "requests": 3000,
                     "errors": 0, "quantiles": q2}])
    return [
        ("slices: 15 s in three", mod.slice_secs(15, 3) == [5, 5, 5]),
        ("slices: 7 s as 3+2+2", mod.slice_secs(7, 3) == [3, 2, 2]),
        ("slices: 1 s stays whole", mod.slice_secs(1, 3) == [1]),
        ("interleave rotates the order",
         "".join(n for n, _ in calls) == "abcbcacab" and
         parts == {"a": ["a"] * 3, "b": ["b"] * 3, "c": ["c"] * 3}),
        ("percentiles of 1..100", mod.percentiles(
            [(v, 1) for v in range(100, 0, -1)]) == (50, 99)),
        ("merged: rate over the summed time, percentiles by requests",
         (round(m["rps"]), m["requests"], m["errors"], m["p50"], m["p99"])
         == (267, 4000, 1, 2000.0, 2000.0)),
        ("merged: each slice weighs by its requests", mod.merged(
            [{"rps": 1.0, "secs": 1.0, "requests": 98, "errors": 0,
              "quantiles": [1.0] * 1000},
             {"rps": 1.0, "secs": 1.0, "requests": 2, "errors": 0,
              "quantiles": [9.0] * 1000}])["p99"] == 9.0),
    ]


def pick_checks(mod):
    """One pgbench script for many users (bench/run's pgbench_pick)."""
    one = mod.pgbench_pick("followers", [[7, 21, 0, None, None, None, None]])
    many = mod.pgbench_pick("followers", [
        [7, 21, 0, None, None, None, None],
        [8, 21, 0, None, None, None, None],
        [9, 21, 0, None, None, None, None]])
    try:
        mod.pgbench_pick("feed", [[1, 2, 3, 0, None, None],
                                  [1, 2, 3, 0, 5, 6]])
        mixed = False
    except ValueError:
        mixed = True
    return [
        ("pgbench_pick: one user, no pick", "random" not in one and
         "\\set a1 7" in one),
        ("pgbench_pick: a CASE over the users, constants stay",
         "\\set i random(0, 2)" in many and
         "\\set p1 case when :i = 0 then 7 when :i = 1 then 8 else 9 end"
         in many and "\\set a2 21" in many and ":p1" in many.split(";")[0]
         and many.count(";") == 1),
        ("pgbench_pick: refuses NULL in some rows only", mixed),
    ]


def only_checks(mod):
    """bench/run --only picks exactly the scenarios it names."""
    checks = [("--only %s selects %s" % (v, sorted(want)),
               mod.select_scenarios(NAMES, v) == want) for v, want in ONLY]
    try:
        mod.select_scenarios(NAMES, ["no such scenario"])
        refused = False
    except SystemExit:
        refused = True
    return checks + [("--only refuses a name no scenario has", refused)]


def soak_checks(mod):
    """bench/run --soak-on picks one read scenario, and only one."""
    S = [(n, "read", [n]) for n in NAMES] + [("follow storm (user 1)",
                                              "write", {})]

    def refused(sel):
        try:
            mod.soak_scenario(S, sel)
            return False
        except SystemExit:
            return True

    return [
        ("--soak-on following p1 soaks it",
         mod.soak_scenario(S, "following p1")[0] == "following p1"),
        ("--soak-on feed page 1 soaks it, not the cursor users' page",
         mod.soak_scenario(S, "feed page 1")[0] == "feed page 1"),
        ("--soak-on refuses a name of two scenarios",
         refused("followers p1")),
        ("--soak-on refuses a write scenario", refused("follow storm")),
        ("--soak-on refuses a name no scenario has", refused("nothing")),
    ]


def main():
    src = os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            print("1..0 # SKIP %s is not installed (scripts/deps)" % tool)
            return
    try:
        p = subprocess.run([os.path.join(src, "bench", "run"), "smoke"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=300, stdin=subprocess.DEVNULL)
        out, rc = p.stdout.decode(errors="replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace"), -1
    rows = [line for line in out.splitlines()
            if line.startswith("| ") and "| scenario |" not in line]
    mod = bench_module(src)
    checks = (only_checks(mod) + soak_checks(mod) + slice_checks(mod) +
              pick_checks(mod)) + [
        ("bench/run smoke exits 0", rc == 0),
        ("counters exact after the write scenarios",
         "counters exact: True" in out),
        ("at least 11 scenarios in the table", len(rows) >= 11)]
    for line in rows:
        c = [x.strip() for x in line.strip().strip("|").split("|")]
        good = (len(c) >= 10 and float(c[1]) > 0 and c[4] == "0" and
                c[5] not in ("-", "0") and float(c[5]) > 0 and
                (c[8] != "-" or "follow" in c[0]))
        checks.append(("%s: service, pgbench and ceiling ran, no errors"
                       % c[0], good))
    print("1..%d" % len(checks))
    for i, (name, good) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if good else "not ok", i, name))
    if not all(g for _, g in checks):
        for line in out[-4000:].splitlines():
            print("# " + line)


if __name__ == "__main__":
    main()
