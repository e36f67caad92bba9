"""tests/browser/test_docs.py: the manual pages and doc/openapi.yaml stay correct.

Checks that the man pages are lint-clean (mandoc -Tlint, or groff -ww) and
name every setting and subcommand the programs have, that openapi.json is
openapi.yaml as JSON, that the document is well-formed OpenAPI 3.1 whose
schemas are valid JSON Schema 2020-12 and covers every route and error of
SPEC section 2, and that the integration tests' OpenAPI check
(followtest.OpenAPI) really refuses answers that drift.  Needs no stack;
prints TAP.  It must never start a service or write outside the build tree.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import unittest

SRC = os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("FOLLOW_BUILDDIR") or SRC
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import followtest as ft  # noqa: E402

MANS = ("follow-fcgi.8", "followctl.1")
ROUTES = [("post", "/users/{id}/follow"), ("delete", "/users/{id}/follow"),
          ("get", "/users/me/feed"), ("get", "/me/feed"),
          ("get", "/users/{id}/followers"), ("get", "/users/{id}/following"),
          ("get", "/users/{id}"), ("get", "/users/me/relationships"),
          ("get", "/healthz")]
DETAILS = ["Cannot follow yourself", "User not found",
           "Not following this user", "Not authenticated", "Invalid token",
           "Not Found", "Method Not Allowed", "Too Many Requests",
           "Service unavailable", "Cross-site request refused"]


def doc(name):
    return os.path.join(SRC, "doc", name)


def need_modules(test):
    if ft.yaml is None or ft.jsonschema is None:
        test.skipTest("python3-yaml and python3-jsonschema are missing")


class ManPages(unittest.TestCase):
    def lint(self, path):
        if shutil.which("mandoc"):
            cmd = ["mandoc", "-Tlint", "-Wwarning", path]
        elif shutil.which("groff"):
            cmd = ["groff", "-ww", "-z", "-mandoc", path]
        else:
            self.skipTest("neither mandoc nor groff is installed")
        r = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        out = r.stdout.decode("utf-8", "replace").strip()
        self.assertEqual((r.returncode, out), (0, ""), " ".join(cmd))

    def test_lint_clean(self):
        for name in MANS:
            with self.subTest(page=name):
                self.lint(doc(name))

    def test_every_setting_documented(self):
        with open(os.path.join(SRC, "src", "config.c")) as f:
            names = set(re.findall(r'"(FOLLOW_[A-Z_]+)"', f.read()))
        self.assertIn("FOLLOW_DSN", names)
        with open(doc("follow-fcgi.8")) as f:
            page = f.read()
        missing = sorted(n for n in names if n not in page)
        self.assertEqual(missing, [], "not in follow-fcgi.8")

    def test_every_subcommand_documented(self):
        tool = os.path.join(BUILD, "followctl")
        if not os.access(tool, os.X_OK):
            self.skipTest("followctl is not built")
        r = subprocess.run([tool, "--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        text = r.stdout.decode()
        cmds = set(re.findall(r"followctl (\w+)", text))
        opts = set(re.findall(r"--([a-z]+)", text)) - {"help"}
        self.assertTrue(cmds and opts, text)
        with open(doc("followctl.1")) as f:
            page = f.read()
        for c in sorted(cmds):
            self.assertIn(".Cm %s" % c, page)
        for o in sorted(opts):
            self.assertIn("Fl -%s" % o, page)


class OpenAPIDocument(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = None
        if ft.yaml is not None and ft.jsonschema is not None:
            cls.api = ft.OpenAPI(doc("openapi.yaml"))

    def setUp(self):
        need_modules(self)

    def test_json_is_the_yaml(self):
        with open(doc("openapi.json")) as f:
            self.assertEqual(json.load(f), self.api.doc,
                             "doc/openapi.json is stale: make openapi-json")

    def test_openapi_31(self):
        d = self.api.doc
        self.assertRegex(d["openapi"], r"^3\.1\.\d+$")
        self.assertIn("title", d["info"])
        self.assertIn("version", d["info"])
        for path, item in d["paths"].items():
            self.assertTrue(path.startswith("/"), path)
            for method, op in item.items():
                if method == "parameters":
                    continue
                self.assertIn(method, ("get", "post", "delete"), path)
                self.assertTrue(op.get("responses"), (method, path))
                for code in op["responses"]:
                    self.assertRegex(code, r"^[1-5]\d\d$")

    def test_schemas_are_json_schema_2020_12(self):
        V = ft.jsonschema.Draft202012Validator
        for name, s in self.api.doc["components"]["schemas"].items():
            with self.subTest(schema=name):
                V.check_schema(s)

    def test_every_ref_resolves(self):
        refs = []

        def walk(o):
            if isinstance(o, dict):
                if "$ref" in o:
                    refs.append(o["$ref"])
                for v in o.values():
                    walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
        walk(self.api.doc)
        self.assertGreater(len(refs), 20)
        for r in sorted(set(refs)):
            with self.subTest(ref=r):
                self.api.resolver.resolve(r)

    def test_covers_spec_routes_and_errors(self):
        paths = self.api.doc["paths"]
        for method, path in ROUTES:
            self.assertIn(method, paths.get(path, {}), (method, path))
        with open(doc("openapi.yaml")) as f:
            text = f.read()
        for d in DETAILS:
            self.assertIn(d, text)
        for h in ("WWW-Authenticate", "Retry-After", "Allow", "Link",
                  "Authorization", "cookie"):
            self.assertIn(h, text)


def resp(status, body, **headers):
    h = {"Content-Type": ft.JSON_CT, "X-Content-Type-Options": "nosniff",
         "Cache-Control": "no-store"}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ft.Response(status, "", ft.Headers(h.items()), raw, "GET", "/")


class OpenAPICheck(unittest.TestCase):
    """The check the integration tests run on every answer refuses drift."""

    @classmethod
    def setUpClass(cls):
        cls.api = None
        if ft.yaml is not None and ft.jsonschema is not None:
            cls.api = ft.OpenAPI(doc("openapi.yaml"))

    def setUp(self):
        need_modules(self)

    def ok(self, method, target, r):
        self.assertEqual(self.api.problems(method, target, "/api", r), [])

    def bad(self, method, target, r, why):
        p = self.api.problems(method, target, "/api", r)
        self.assertTrue(p, "drift not noticed: " + why)

    def test_good_answers_pass(self):
        self.ok("POST", "/api/users/7/follow",
                resp(200, {"following": True, "follower_count": 3}))
        self.ok("GET", "/api/users/me/feed",
                resp(401, {"detail": "Not authenticated"},
                     WWW_Authenticate="Bearer"))
        self.ok("GET", "/api/nothing/here", resp(404, {"detail": "Not Found"}))
        self.ok("GET", "/healthz", resp(200, b"<html>"))  # not below /api

    def test_drift_is_refused(self):
        self.bad("POST", "/api/users/7/follow",
                 resp(200, {"following": True, "follower_count": 3, "x": 1}),
                 "extra property")
        self.bad("POST", "/api/users/7/follow",
                 resp(200, {"following": "yes", "follower_count": 3}),
                 "wrong type")
        self.bad("GET", "/api/users/me/feed",
                 resp(401, {"detail": "Not authenticated"}),
                 "WWW-Authenticate missing")
        self.bad("GET", "/api/users/7", resp(418, {"detail": "teapot"}),
                 "undocumented status")
        self.bad("GET", "/api/users/7",
                 resp(404, {"detail": "No such user"}), "wrong detail")
        r = resp(200, {"status": "ok"})
        r.headers = ft.Headers([("Content-Type", "text/html")])
        self.bad("GET", "/api/healthz", r, "content type")
        self.bad("DELETE", "/api/healthz",
                 resp(405, {"detail": "Method Not Allowed"}), "no Allow")


def main():
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromModule(sys.modules[__name__])
    result = ft._TapResult(sys.stdout)
    suite.run(result)
    sys.stdout.write("1..%d\n" % result.n)
    sys.exit(0)


if __name__ == "__main__":
    main()
