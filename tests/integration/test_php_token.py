#!/usr/bin/python3
"""Tokens minted by the host site's snippets are the service's tokens.

examples/mint_token.php (Debian's php-cli) and examples/mint_token.py mint
tokens that `followctl verify` accepts, with keys made by `followctl
keygen`, including keys longer than a SHA-256 block; and the live API
accepts them as a Bearer token and as the session cookie.

Must never print a secret: key files live in a private temporary directory
and tokens travel to followctl on stdin.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(
    os.path.dirname(HERE))
BUILDDIR = os.environ.get("FOLLOW_BUILDDIR") or SRCDIR
FOLLOWCTL = os.path.join(BUILDDIR, "followctl")
PHP_SNIPPET = os.path.join(SRCDIR, "examples", "mint_token.php")
PY_SNIPPET = os.path.join(SRCDIR, "examples", "mint_token.py")
PHP = shutil.which("php")
# 100 bytes: longer than SHA-256's block, so HMAC hashes the key first.
LONG_SECRET = bytes(range(100))


def run(argv, stdin=None):
    r = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return (r.returncode, r.stdout.decode("utf-8", "replace"),
            r.stderr.decode("utf-8", "replace"))


def php_eval(code):
    """Runs PHP code after loading the snippet; returns its stdout."""
    rc, out, err = run([PHP, "-d", "display_errors=stderr", "-r",
                        "require %s; %s" % (json.dumps(PHP_SNIPPET), code)])
    if rc != 0:
        raise AssertionError("php failed (%d): %s" % (rc, err.strip()))
    return out.strip()


class SnippetTokens(ft.TestCase):
    """PHP and Python snippets against followctl verify (no HTTP)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.access(FOLLOWCTL, os.X_OK):
            raise unittest.SkipTest("%s is not built" % FOLLOWCTL)
        cls.tmp = tempfile.mkdtemp(prefix="follow-php-token.")
        cls.keyfile = os.path.join(cls.tmp, "keys")
        for args in (["--kid", "old"], ["--kid", "new", "--first"]):
            rc, out, err = run([FOLLOWCTL, "keygen"] + args + [cls.keyfile])
            if rc != 0:
                raise AssertionError("keygen: %s" % err.strip())
        cls.longfile = os.path.join(cls.tmp, "long")
        fd = os.open(cls.longfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     0o600)
        os.write(fd, b"long " + base64.b64encode(LONG_SECRET) + b"\n")
        os.close(fd)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "tmp", "/nonexistent"),
                      ignore_errors=True)
        super().tearDownClass()

    def verify(self, token, keyfile=None):
        """followctl verify; returns (exit status, claims or None, stderr)."""
        rc, out, err = run([FOLLOWCTL, "verify", "--keyfile",
                            keyfile or self.keyfile, "-"],
                           stdin=(token + "\n").encode("ascii"))
        return rc, (json.loads(out) if rc == 0 else None), err

    def need_php(self):
        if PHP is None:
            self.skipTest("php-cli is not installed")

    def assert_valid(self, token, sub, ttl=None, keyfile=None):
        rc, claims, err = self.verify(token, keyfile)
        self.assertEqual(rc, 0, "followctl verify refused: %s" % err)
        self.assertEqual(claims["sub"], sub)
        self.assertLessEqual(abs(claims["iat"] - time.time()), 5)
        if ttl is not None:
            self.assertEqual(claims["exp"] - claims["iat"], ttl)

    def test_keygen_file_is_private(self):
        self.assertEqual(os.stat(self.keyfile).st_mode & 0o777, 0o600)
        with open(self.keyfile) as f:
            kids = [line.split()[0] for line in f if line.strip()]
        self.assertEqual(kids, ["new", "old"])

    def test_php_cli_token_verifies(self):
        self.need_php()
        rc, out, err = run([PHP, PHP_SNIPPET, self.keyfile, "42", "600"])
        self.assertEqual(rc, 0, err)
        self.assert_valid(out.strip(), 42, ttl=600)

    def test_php_cli_signs_with_first_key(self):
        self.need_php()
        rc, out, err = run([PHP, PHP_SNIPPET, self.keyfile, "42"])
        self.assertEqual(rc, 0, err)
        header = php_eval("echo base64_decode(strtr(explode('.', %s)[0], "
                          "'-_', '+/'));" % json.dumps(out.strip()))
        self.assertEqual(json.loads(header),
                         {"alg": "HS256", "typ": "JWT", "kid": "new"})
        self.assert_valid(out.strip(), 42, ttl=3600)

    def test_php_function_with_raw_secret_and_long_key(self):
        self.need_php()
        tok = php_eval("echo follow_mint_token(implode('', array_map("
                       "'chr', range(0, 99))), 'long', 7, 60);")
        self.assert_valid(tok, 7, ttl=60, keyfile=self.longfile)

    def test_php_function_without_kid(self):
        self.need_php()
        tok = php_eval("echo follow_mint_token(implode('', array_map("
                       "'chr', range(0, 99))), '', 8, 60);")
        self.assert_valid(tok, 8, ttl=60, keyfile=self.longfile)

    def test_php_token_tampered_is_refused(self):
        self.need_php()
        rc, out, err = run([PHP, PHP_SNIPPET, self.keyfile, "42"])
        self.assertEqual(rc, 0, err)
        head, payload, sig = out.strip().split(".")
        forged = php_eval("echo follow_b64url(json_encode(['sub' => '1', "
                          "'exp' => time() + 60]));")
        rc, _, err = self.verify(".".join((head, forged, sig)))
        self.assertEqual(rc, 1)
        self.assertIn("bad signature", err)

    def test_php_cli_usage(self):
        self.need_php()
        rc, _, err = run([PHP, PHP_SNIPPET])
        self.assertEqual(rc, 2)
        self.assertIn("usage", err)

    def test_python_cli_token_verifies(self):
        rc, out, err = run([sys.executable, PY_SNIPPET, self.keyfile, "43",
                            "600"])
        self.assertEqual(rc, 0, err)
        self.assert_valid(out.strip(), 43, ttl=600)

    def test_python_function_with_raw_secret_and_long_key(self):
        sys.path.insert(0, os.path.dirname(PY_SNIPPET))
        try:
            import mint_token
        finally:
            sys.path.pop(0)
        tok = mint_token.mint_token(LONG_SECRET, "long", 9, 60)
        self.assert_valid(tok, 9, ttl=60, keyfile=self.longfile)

    def test_php_and_python_agree(self):
        """Same key, user and second: byte-identical tokens."""
        self.need_php()
        sys.path.insert(0, os.path.dirname(PY_SNIPPET))
        try:
            import mint_token
        finally:
            sys.path.pop(0)
        for _ in range(3):
            before = int(time.time())
            php_tok = php_eval("echo follow_mint_token(implode('', "
                               "array_map('chr', range(0, 99))), 'long', "
                               "5, 60);")
            py_tok = mint_token.mint_token(LONG_SECRET, "long", 5, 60,
                                           now=before)
            if int(time.time()) == before:
                break
        self.assertEqual(php_tok, py_tok)


class LiveApi(ft.TestCase):
    """Snippet tokens against the running service."""

    def setUp(self):
        self.need_keys()
        self.uid = self.make_user()
        self.other = self.make_user()

    def assert_accepted(self, token):
        path = "/users/me/relationships?ids=%d" % self.other
        r = self.api("GET", path, token=token)
        self.assert_status(r, 200)
        self.assertEqual(r.json(), [{"id": self.other, "following": False,
                                     "followed_by": False}])
        r = self.api("GET", path, cookie=token)
        self.assert_status(r, 200)

    def test_php_token_on_live_api(self):
        if PHP is None:
            self.skipTest("php-cli is not installed")
        rc, out, err = run([PHP, PHP_SNIPPET, self.stack.keyfile,
                            str(self.uid), "300"])
        self.assertEqual(rc, 0, err)
        self.assert_accepted(out.strip())

    def test_python_token_on_live_api(self):
        rc, out, err = run([sys.executable, PY_SNIPPET, self.stack.keyfile,
                            str(self.uid), "300"])
        self.assertEqual(rc, 0, err)
        self.assert_accepted(out.strip())

    def test_followctl_token_on_live_api(self):
        if not os.access(FOLLOWCTL, os.X_OK):
            self.skipTest("%s is not built" % FOLLOWCTL)
        rc, out, err = run([FOLLOWCTL, "mint", "--keyfile",
                            self.stack.keyfile, "--sub", str(self.uid),
                            "--ttl", "300"])
        self.assertEqual(rc, 0, err)
        self.assert_accepted(out.strip())


if __name__ == "__main__":
    ft.main()
