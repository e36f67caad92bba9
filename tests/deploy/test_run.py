#!/usr/bin/python3
"""The README's run command as a newcomer uses it: `scripts/run` (here
with --no-build, on this build tree) starts a stack with HTTPS, loads the
demo community and prints curl lines; pasted into a shell each answers 200,
and the printed stop command takes everything down.

Starts and stops its own stack (through scripts/run); prints TAP.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("FOLLOW_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests",
    "deploy"))
import deploytest as dt  # noqa: E402
import followtest as ft  # noqa: E402


class Run(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.parent = tempfile.mkdtemp(prefix="follow-deploy-run.")
        os.chmod(cls.parent, 0o755)
        env = dict(os.environ, FOLLOW_BUILDDIR=dt.BUILDDIR,
                   FOLLOW_STATE_PARENT=cls.parent)
        for k in ("FOLLOW_URL", "FOLLOW_STATE", "FOLLOW_STACK_TLS"):
            env.pop(k, None)
        cls.r = subprocess.run(
            [os.path.join(dt.SRCDIR, "scripts", "run"), "--no-build"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=240)
        cls.out = cls.r.stdout.decode("utf-8", "replace")
        m = re.search(r"^Stop it:\s+(.*)$", cls.out, re.M)
        cls.stop = m.group(1).strip() if m else None

    @classmethod
    def tearDownClass(cls):
        # Whatever happened, nothing may stay running.
        stack = os.path.join(dt.SRCDIR, "tests", "stack")
        for d in os.listdir(cls.parent):
            p = os.path.join(cls.parent, d)
            if os.path.exists(os.path.join(p, ".follow-stack")):
                subprocess.run([stack, "down", p], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=120)
        shutil.rmtree(cls.parent, ignore_errors=True)

    def test_1_run_succeeds(self):
        self.assertEqual(self.r.returncode, 0,
                         self.r.stderr.decode("utf-8", "replace")[-2000:])
        self.assertIsNotNone(self.stop, self.out)
        self.assertIn("https://127.0.0.1:", self.out)

    def test_2_printed_curl_lines_answer_200(self):
        tok = re.search(r"^  (TOKEN='[^']+')$", self.out, re.M)
        self.assertIsNotNone(tok, self.out)
        lines = re.findall(r"^  (curl .*)$", self.out, re.M)
        self.assertGreaterEqual(len(lines), 6, self.out)
        self.assertTrue(all("https://" in ln for ln in lines))
        self.assertTrue(any("follow" in ln and "-X POST" in ln
                            for ln in lines))
        # Exactly as pasted, twice: the lines are repeatable.
        for attempt in (1, 2):
            for line in lines:
                script = "%s\n%s -o /dev/null -w '%%{http_code}'\n" % (
                    tok.group(1), line)
                r = subprocess.run(["bash", "-c", script],
                                   stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, timeout=30)
                self.assertEqual(r.stdout.decode(), "200",
                                 "run %d: %s" % (attempt, line))

    def test_3_feed_is_not_empty(self):
        tok = re.search(r"^  TOKEN='([^']+)'$", self.out, re.M).group(1)
        feed = [ln for ln in re.findall(r"^  (curl .*)$", self.out, re.M)
                if "/users/me/feed" in ln][0]
        r = subprocess.run(["bash", "-c", "TOKEN='%s'\n%s" % (tok, feed)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           timeout=30)
        self.assertIn(b'"items":[{"id":', r.stdout)
        self.assertIn(b'"tags":[', r.stdout)

    def test_4_stop_command_takes_it_down(self):
        self.assertIsNotNone(self.stop)
        state = self.stop.split()[-1]
        r = subprocess.run(["bash", "-c", self.stop], cwd=dt.SRCDIR,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertFalse(os.path.exists(state))


if __name__ == "__main__":
    for tool in ("psql", "curl", "openssl"):
        if shutil.which(tool) is None:
            ft.skip_all("%s is not installed" % tool)
    out = sys.stdout
    result = ft._TapResult(out)
    unittest.TestLoader().loadTestsFromTestCase(Run).run(result)
    out.write("1..%d\n" % result.n)
    sys.exit(0)
