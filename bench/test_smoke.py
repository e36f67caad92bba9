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


def only_checks(src):
    """bench/run --only picks exactly the scenarios it names."""
    path = os.path.join(src, "bench", "run")
    loader = importlib.machinery.SourceFileLoader("bench_run", path)
    mod = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("bench_run", loader))
    mod.__file__ = path
    loader.exec_module(mod)
    checks = [("--only %s selects %s" % (v, sorted(want)),
               mod.select_scenarios(NAMES, v) == want) for v, want in ONLY]
    try:
        mod.select_scenarios(NAMES, ["no such scenario"])
        refused = False
    except SystemExit:
        refused = True
    return checks + [("--only refuses a name no scenario has", refused)]


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
    checks = only_checks(src) + [
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
