#!/usr/bin/python3
"""Follow and unfollow (SPEC section 2): answers, exact counts, errors, and
32 concurrent clients hammering the same three accounts.

Must never check a count against the answer alone: every count is compared
with COUNT(*) of user_follows read straight from PostgreSQL.
"""

import os
import random
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402


class Follow(ft.TestCase):

    def setUp(self):
        self.need_keys()

    def test_follow_answer_and_exact_count(self):
        me, target = self.make_user(), self.make_user()
        for u in self.make_users(3):
            self.follow_sql(u, target)
        r = self.api("POST", "/users/%d/follow" % target,
                     token=self.token_for(me))
        self.assert_status(r, 200)
        self.assert_json_ct(r)
        self.assertEqual(r.json(), {"following": True, "follower_count": 4})
        self.assertEqual(self.count_follows(me, target), 1)
        self.assertEqual(self.counters(target)[0], 4)
        self.assertEqual(self.counters(me)[1], 1)
        self.assert_counters_exact()

    def test_follow_count_not_stale(self):
        # Rows written behind the service's back must show in the answer.
        me, target = self.make_user(), self.make_user()
        tok = self.token_for(me)
        self.api("GET", "/users/%d" % target, token=tok)
        for u in self.make_users(5):
            self.follow_sql(u, target)
        r = self.api("POST", "/users/%d/follow" % target, token=tok)
        self.assertEqual(r.json(), {"following": True, "follower_count": 6})
        self.sql("DELETE FROM user_follows WHERE following_id = %s AND "
                 "follower_id <> %s", (target, me))
        r = self.api("DELETE", "/users/%d/follow" % target, token=tok)
        self.assertEqual(r.json(), {"following": False, "follower_count": 0})

    def test_follow_twice_same_count(self):
        me, target = self.make_user(), self.make_user()
        self.follow_sql(self.make_user(), target)
        tok = self.token_for(me)
        first = self.api("POST", "/users/%d/follow" % target, token=tok)
        second = self.api("POST", "/users/%d/follow" % target, token=tok)
        self.assert_status(second, 200)
        self.assertEqual(first.json(), {"following": True,
                                        "follower_count": 2})
        self.assertEqual(second.json(), first.json())
        self.assertEqual(self.count_follows(me, target), 1)
        self.assert_counters_exact()

    def test_follow_keeps_original_followed_at(self):
        me, target = self.make_user(), self.make_user()
        when = ft.datetime.datetime(2020, 5, 1, 12, 0, 0, 123456,
                                    tzinfo=ft.UTC)
        self.follow_sql(me, target, when)
        self.api("POST", "/users/%d/follow" % target,
                 token=self.token_for(me))
        got = self.sql1("SELECT created_at FROM user_follows WHERE "
                        "follower_id = %s AND following_id = %s", (me, target))
        self.assertEqual(got, when)

    def test_follow_self(self):
        me = self.make_user()
        tok = self.token_for(me)
        for path in ("/users/%d/follow" % me, "/users/me/follow"):
            with self.subTest(path=path):
                self.assert_error(self.api("POST", path, token=tok), 400,
                                  "Cannot follow yourself")
        self.assertEqual(self.count_follows(me), 0)

    def test_follow_missing(self):
        me, gone = self.make_user(), self.make_user()
        self.sql("DELETE FROM users WHERE id = %s", (gone,))
        tok = self.token_for(me)
        for uid in (gone, 9223372036854775807):
            with self.subTest(uid=uid):
                self.assert_error(self.api("POST", "/users/%d/follow" % uid,
                                           token=tok), 404, "User not found")
        self.assertEqual(self.count_follows(me), 0)

    def test_follow_inactive(self):
        me, off = self.make_user(), self.make_user(active=False)
        self.assert_error(self.api("POST", "/users/%d/follow" % off,
                                   token=self.token_for(me)),
                          404, "User not found")
        self.assertEqual(self.count_follows(me, off), 0)

    def test_follow_needs_auth(self):
        target = self.make_user()
        r = self.api("POST", "/users/%d/follow" % target)
        self.assert_error(r, 401, "Not authenticated")
        self.assertEqual(self.count_follows(following=target), 0)

    def test_unfollow_answer_and_exact_count(self):
        me, target = self.make_user(), self.make_user()
        for u in self.make_users(2) + [me]:
            self.follow_sql(u, target)
        r = self.api("DELETE", "/users/%d/follow" % target,
                     token=self.token_for(me))
        self.assert_status(r, 200)
        self.assert_json_ct(r)
        self.assertEqual(r.json(), {"following": False, "follower_count": 2})
        self.assertEqual(self.count_follows(me, target), 0)
        self.assertEqual(self.counters(target)[0], 2)
        self.assertEqual(self.counters(me)[1], 0)
        self.assert_counters_exact()

    def test_unfollow_not_following(self):
        me, target = self.make_user(), self.make_user()
        self.follow_sql(target, me)
        tok = self.token_for(me)
        self.assert_error(self.api("DELETE", "/users/%d/follow" % target,
                                   token=tok), 400, "Not following this user")
        self.api("POST", "/users/%d/follow" % target, token=tok)
        self.api("DELETE", "/users/%d/follow" % target, token=tok)
        self.assert_error(self.api("DELETE", "/users/%d/follow" % target,
                                   token=tok), 400, "Not following this user")
        self.assertEqual(self.count_follows(target, me), 1)

    def test_unfollow_missing_or_inactive(self):
        me, gone = self.make_user(), self.make_user()
        off = self.make_user()
        self.follow_sql(me, off)
        self.sql("UPDATE users SET is_active = false WHERE id = %s", (off,))
        self.sql("DELETE FROM users WHERE id = %s", (gone,))
        tok = self.token_for(me)
        for uid in (gone, off):
            with self.subTest(uid=uid):
                self.assert_error(self.api("DELETE", "/users/%d/follow" % uid,
                                           token=tok), 404, "User not found")
        self.assertEqual(self.count_follows(me, off), 1)

    def test_unfollow_needs_auth(self):
        a, b = self.make_user(), self.make_user()
        self.follow_sql(a, b)
        self.assert_error(self.api("DELETE", "/users/%d/follow" % b), 401,
                          "Not authenticated")
        self.assertEqual(self.count_follows(a, b), 1)

    def test_me_summary_counts_sql_follows(self):
        me, target = self.make_user(), self.make_user()
        tok = self.token_for(target)
        self.follow_sql(me, target)
        j = self.api("GET", "/users/me", token=tok).json()
        self.assertEqual(j["follower_count"], 1)


class Concurrency(ft.TestCase):
    CALLERS = 32
    SECONDS = 4.0

    def test_concurrent_follow_unfollow(self):
        self.need_keys()
        targets = self.make_users(3)
        callers = self.make_users(self.CALLERS)
        tokens = {c: self.token_for(c) for c in callers}
        results = {c: [] for c in callers}
        errors = []
        start = threading.Barrier(self.CALLERS)
        deadline = [0.0]

        def run(caller):
            rng = random.Random(caller)
            following = set()
            try:
                start.wait(30)
                if deadline[0] == 0.0:
                    deadline[0] = time.monotonic() + self.SECONDS
                while time.monotonic() < deadline[0]:
                    t = rng.choice(targets)
                    method = rng.choice(("POST", "DELETE"))
                    r = self.api(method, "/users/%d/follow" % t,
                                 token=tokens[caller])
                    expect_400 = method == "DELETE" and t not in following
                    if method == "POST":
                        following.add(t)
                    else:
                        following.discard(t)
                    results[caller].append((method, t, expect_400, r.status,
                                            r.body))
            except Exception as e:  # reported below, in the main thread
                errors.append("%d: %r" % (caller, e))
            results[caller].append(("final", following))

        threads = [threading.Thread(target=run, args=(c,)) for c in callers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(self.SECONDS + 60)
        self.assertFalse(any(t.is_alive() for t in threads),
                         "client threads hung")
        self.assertEqual(errors, [])
        total = 0
        for c in callers:
            *answers, (_, final) = results[c]
            for method, t, expect_400, status, body in answers:
                total += 1
                resp = ft.Response(status, "", ft.Headers([]), body, method,
                                   "/users/%d/follow" % t)
                if expect_400:
                    self.assertEqual(status, 400, repr(resp))
                    self.assertEqual(resp.json(),
                                     {"detail": "Not following this user"})
                    continue
                self.assertEqual(status, 200, repr(resp))
                j = resp.json()
                self.assertEqual(set(j), {"following", "follower_count"})
                self.assertIs(j["following"], method == "POST")
                n = j["follower_count"]
                self.assertIsInstance(n, int)
                lo = 1 if method == "POST" else 0
                hi = self.CALLERS if method == "POST" else self.CALLERS - 1
                self.assertTrue(lo <= n <= hi, repr(resp))
            rows = {r[0] for r in self.sql(
                "SELECT following_id FROM user_follows WHERE follower_id = "
                "%s", (c,))}
            self.assertEqual(rows, final, "caller %d" % c)
        self.assertGreater(total, self.CALLERS * 5,
                           "too few requests to mean anything")
        self.assert_counters_exact()
        for t in targets:
            self.assertEqual(self.counters(t)[0],
                             self.count_follows(following=t))


if __name__ == "__main__":
    ft.main()
