#!/usr/bin/python3
"""HTTP surface of follow-fcgi: routing (404/405), `{id}` validation, user
summaries, relationships, /healthz, common headers, oversized bodies.

Must never depend on another test's rows: every test makes its own users.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402

BAD_IDS = ["0", "-1", "abc", "1e3", "0x10", "007", "9223372036854775808",
           "18446744073709551617", "1.5", "+1", "1a", "00"]
SUMMARY_KEYS = {"id", "username", "display_name", "follower_count",
                "following_count"}


def allow_set(resp):
    return {m.strip().upper() for m in resp.headers.get("Allow", "").split(",")
            if m.strip()}


class Routing(ft.TestCase):

    def test_healthz_ok(self):
        r = self.api("GET", "/healthz")
        self.assert_status(r, 200)
        self.assertEqual(r.json(), {"status": "ok"})
        self.assert_json_ct(r)
        self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff")

    def test_unknown_path_404(self):
        for path in ("/nope", "/users", "/users/1/nope", "/users/1/follow/x",
                     "/users/me/feed/x", "/me", "/me/feed/x", "/healthz/x",
                     "/users/1/followers/2"):
            with self.subTest(path=path):
                self.assert_error(self.api("GET", path), 404, "Not Found")

    def test_wrong_method_405_with_allow(self):
        tok = self.token_for(self.make_user())
        cases = [("PUT", "/users/1/follow", {"POST", "DELETE"}),
                 ("GET", "/users/1/follow", {"POST", "DELETE"}),
                 ("PATCH", "/users/1/follow", {"POST", "DELETE"}),
                 ("POST", "/healthz", {"GET"}),
                 ("DELETE", "/users/1", {"GET"}),
                 ("POST", "/users/1/followers", {"GET"}),
                 ("PUT", "/users/1/following", {"GET"}),
                 ("POST", "/users/me/feed", {"GET"}),
                 ("DELETE", "/me/feed", {"GET"}),
                 ("POST", "/users/me/relationships", {"GET"})]
        for method, path, allowed in cases:
            with self.subTest(method=method, path=path):
                r = self.api(method, path, token=tok)
                self.assert_error(r, 405, "Method Not Allowed")
                got = allow_set(r)
                self.assertTrue(allowed <= got, "Allow %r lacks %r: %r" % (
                    got, allowed, r))
                self.assertNotIn(method, got)

    def test_bad_id_422_names_id(self):
        tok = self.token_for(self.make_user())
        for bad in BAD_IDS:
            for method, fmt in (("GET", "/users/%s"),
                                ("GET", "/users/%s/followers"),
                                ("GET", "/users/%s/following"),
                                ("POST", "/users/%s/follow"),
                                ("DELETE", "/users/%s/follow")):
                with self.subTest(method=method, path=fmt % bad):
                    r = self.api(method, fmt % bad, token=tok)
                    self.assert_422(r, "id")

    def test_largest_id_is_valid_but_missing(self):
        self.assert_error(self.api("GET", "/users/9223372036854775807"),
                          404, "User not found")

    def test_odd_bytes_never_5xx(self):
        for path in (b"/users/\xff", b"/users/1%00", b"/users/%00",
                     b"/users/%2e%2e/1", b"/users/1;drop", b"/users/1'--",
                     b"/users/" + b"9" * 4000, b"/users/1?page=\xff",
                     b"/users/1/followers?page=%00", b"/users/%31"):
            with self.subTest(path=path):
                r = self.api("GET", path)
                self.assertTrue(200 <= r.status < 500, repr(r))
                body = r.json()
                if r.status >= 400:
                    self.assertEqual(list(body), ["detail"], repr(r))
                self.assert_no_leak(r)


class Users(ft.TestCase):

    def test_get_user_anonymous_shape(self):
        a = self.make_user(display_name="Ada L.")
        b, c = self.make_user(), self.make_user()
        self.follow_sql(b, a)
        self.follow_sql(c, a)
        self.follow_sql(a, b)
        r = self.api("GET", "/users/%d" % a)
        self.assert_status(r, 200)
        self.assert_json_ct(r)
        j = r.json()
        name = self.sql1("SELECT username FROM users WHERE id = %s", (a,))
        self.assertEqual(j, {"id": a, "username": name,
                             "display_name": "Ada L.", "follower_count": 2,
                             "following_count": 1})

    def test_get_user_null_display_name(self):
        a = self.make_user(display_name=None)
        j = self.api("GET", "/users/%d" % a).json()
        self.assertEqual(set(j), SUMMARY_KEYS)
        self.assertIsNone(j["display_name"])

    def test_get_user_unicode_round_trip(self):
        a = self.make_user(display_name='Zoë "Q" \\ \u2603 \U0001F600\n')
        j = self.api("GET", "/users/%d" % a).json()
        self.assertEqual(j["display_name"], 'Zoë "Q" \\ \u2603 \U0001F600\n')

    def test_get_user_missing_or_inactive_404(self):
        gone = self.make_user()
        self.sql("DELETE FROM users WHERE id = %s", (gone,))
        off = self.make_user(active=False)
        for uid in (gone, off):
            with self.subTest(uid=uid):
                self.assert_error(self.api("GET", "/users/%d" % uid), 404,
                                  "User not found")

    def test_get_user_with_auth_adds_relationship(self):
        a, b, c = self.make_user(), self.make_user(), self.make_user()
        self.follow_sql(a, b)
        ta, tb = self.token_for(a), self.token_for(b)
        cases = [(ta, b, True, False), (tb, a, False, True),
                 (ta, c, False, False)]
        for tok, target, following, followed_by in cases:
            with self.subTest(target=target):
                r = self.api("GET", "/users/%d" % target, token=tok)
                self.assert_status(r, 200)
                j = r.json()
                self.assertEqual(set(j), SUMMARY_KEYS |
                                 {"following", "followed_by"})
                self.assertIs(j["following"], following)
                self.assertIs(j["followed_by"], followed_by)
                self.assertIn("no-store", r.headers.get("Cache-Control", ""))
        self.follow_sql(b, a)
        j = self.api("GET", "/users/%d" % b, token=ta).json()
        self.assertEqual((j["following"], j["followed_by"]), (True, True))

    def test_get_user_anonymous_has_no_relationship(self):
        a = self.make_user()
        j = self.api("GET", "/users/%d" % a).json()
        self.assertNotIn("following", j)
        self.assertNotIn("followed_by", j)

    def test_users_me(self):
        self.assert_error(self.api("GET", "/users/me"), 401,
                          "Not authenticated")
        a = self.make_user(display_name="Me")
        r = self.api("GET", "/users/me", token=self.token_for(a))
        self.assert_status(r, 200)
        j = r.json()
        self.assertEqual(j["id"], a)
        self.assertEqual(j["display_name"], "Me")
        self.assertTrue(SUMMARY_KEYS <= set(j), j)

    def test_me_in_lists_requires_auth(self):
        for path in ("/users/me/followers", "/users/me/following"):
            with self.subTest(path=path):
                self.assert_error(self.api("GET", path), 401,
                                  "Not authenticated")


class Relationships(ft.TestCase):

    def test_order_duplicates_missing(self):
        me, a, b, c = (self.make_user() for _ in range(4))
        gone = self.make_user()
        self.sql("DELETE FROM users WHERE id = %s", (gone,))
        self.follow_sql(me, a)
        self.follow_sql(b, me)
        self.follow_sql(me, c)
        self.follow_sql(c, me)
        ids = [c, gone, a, b, a, me]
        r = self.api("GET", "/users/me/relationships",
                     token=self.token_for(me),
                     query="ids=" + ",".join(map(str, ids)))
        self.assert_status(r, 200)
        self.assert_json_ct(r)
        self.assertIn("no-store", r.headers.get("Cache-Control", ""))
        self.assertEqual(r.json(), [
            {"id": c, "following": True, "followed_by": True},
            {"id": gone, "following": False, "followed_by": False},
            {"id": a, "following": True, "followed_by": False},
            {"id": b, "following": False, "followed_by": True},
            {"id": a, "following": True, "followed_by": False},
            {"id": me, "following": False, "followed_by": False}])

    def test_requires_auth(self):
        self.assert_error(self.api("GET", "/users/me/relationships",
                                   query="ids=1"), 401, "Not authenticated")

    def test_at_most_100(self):
        tok = self.token_for(self.make_user())
        base = 9000000000
        r = self.api("GET", "/users/me/relationships", token=tok,
                     query="ids=" + ",".join(str(base + i)
                                             for i in range(100)))
        self.assert_status(r, 200)
        self.assertEqual([x["id"] for x in r.json()],
                         [base + i for i in range(100)])
        r = self.api("GET", "/users/me/relationships", token=tok,
                     query="ids=" + ",".join(str(base + i)
                                             for i in range(101)))
        self.assert_422(r, "ids")

    def test_bad_ids_422(self):
        tok = self.token_for(self.make_user())
        for q in ("ids=", None, "ids=abc", "ids=1,x", "ids=1,,2", "ids=0",
                  "ids=-1", "ids=1,", "ids=,1", "ids=9223372036854775808",
                  "ids=007", "ids=1%202", "ids=1.5"):
            with self.subTest(query=q):
                r = self.api("GET", "/users/me/relationships", token=tok,
                             query=q)
                self.assert_422(r, "ids")


class Headers(ft.TestCase):

    def test_every_answer_json_and_nosniff(self):
        a = self.make_user()
        tok = self.token_for(a)
        reqs = [("GET", "/healthz", None), ("GET", "/nope", None),
                ("PUT", "/users/1/follow", tok), ("GET", "/users/abc", None),
                ("GET", "/users/%d" % a, None), ("GET", "/users/me", None),
                ("GET", "/users/me", "x.y.z"), ("GET", "/users/me", tok),
                ("POST", "/users/%d/follow" % a, tok),
                ("DELETE", "/users/%d/follow" % a, tok),
                ("GET", "/users/%d/followers" % a, None),
                ("GET", "/users/%d/followers?page=0" % a, None),
                ("GET", "/users/me/feed", tok), ("GET", "/me/feed", tok)]
        for method, path, t in reqs:
            with self.subTest(method=method, path=path):
                r = self.api(method, path, token=t)
                self.assert_json_ct(r)
                self.assertEqual(r.headers.get("X-Content-Type-Options"),
                                 "nosniff", repr(r))
                r.json()

    def test_authenticated_answers_no_store(self):
        a, b = self.make_user(), self.make_user()
        self.follow_sql(b, a)
        tok = self.token_for(a)
        reqs = [("GET", "/users/me"), ("GET", "/users/%d" % b),
                ("GET", "/users/me/feed"), ("GET", "/me/feed"),
                ("GET", "/users/me/followers"), ("GET", "/users/me/following"),
                ("GET", "/users/me/relationships?ids=%d" % b),
                ("POST", "/users/%d/follow" % b),
                ("DELETE", "/users/%d/follow" % b),
                ("DELETE", "/users/%d/follow" % b),
                ("POST", "/users/%d/follow" % a)]
        for method, path in reqs:
            with self.subTest(method=method, path=path):
                r = self.api(method, path, token=tok)
                self.assertLess(r.status, 500, repr(r))
                cc = r.headers.get("Cache-Control", "")
                self.assertIn("no-store", cc.lower(), repr(r))

    def test_error_bodies_do_not_leak(self):
        tok = self.token_for(self.make_user())
        reqs = [("GET", "/users/1'%20OR%201=1--", None),
                ("GET", "/users/1/followers?cursor=%27%3B--", None),
                ("GET", "/users/1/followers?page=1e400", None),
                ("GET", "/users/me/relationships?ids=1;select", tok),
                ("GET", "/users/999999999999/followers", None),
                ("POST", "/users/999999999999/follow", tok),
                ("GET", "/users/me/feed?cursor=" + "A" * 3000, tok),
                ("GET", "/../../etc/passwd", None),
                ("GET", "/users/me", "a" * 500 + ".b.c")]
        for method, path, t in reqs:
            with self.subTest(path=path[:60]):
                r = self.api(method, path, token=t)
                self.assertTrue(400 <= r.status < 500, repr(r))
                self.assertEqual(list(r.json()), ["detail"], repr(r))
                self.assert_no_leak(r)


class Bodies(ft.TestCase):

    def test_oversized_body_413_then_still_serving(self):
        a, b = self.make_user(), self.make_user()
        tok = self.token_for(a)
        big = b"{" + b" " * (4 * 1024 * 1024) + b"}"
        r = self.api("POST", "/users/%d/follow" % b, token=tok, body=big,
                     headers={"Content-Type": "application/json"})
        self.assert_status(r, 413)
        self.assertIsInstance(r.json().get("detail"), str, repr(r))
        self.assertEqual(list(r.json()), ["detail"])
        self.assert_json_ct(r)
        self.assertEqual(self.api("GET", "/healthz").status, 200)
        r = self.api("POST", "/users/%d/follow" % b, token=tok)
        self.assert_status(r, 200)
        self.assertEqual(r.json(), {"following": True, "follower_count": 1})

    def test_declared_huge_body_413(self):
        a, b = self.make_user(), self.make_user()
        r = self.api("POST", "/users/%d/follow" % b,
                     token=self.token_for(a), body=b"{}",
                     headers={"Content-Length": str(1 << 30)}, timeout=5)
        self.assert_status(r, 413)
        self.assertEqual(list(r.json()), ["detail"])
        self.assertEqual(self.api("GET", "/healthz").status, 200)

    def test_small_body_is_ignored(self):
        a, b = self.make_user(), self.make_user()
        r = self.api("POST", "/users/%d/follow" % b, token=self.token_for(a),
                     body={"x": 1})
        self.assert_status(r, 200)


if __name__ == "__main__":
    ft.main()
