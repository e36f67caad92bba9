#!/usr/bin/python3
"""Followers and following lists (SPEC section 2, Pages, Orders): content,
order, UserSummary shape, page numbers, cursors, Link, and 422s.

Must never order rows by insertion timing: every follow's created_at is set
explicitly in SQL, so the expected order is known exactly.
"""

import datetime
import math
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402

T0 = datetime.datetime(2026, 3, 1, 8, 0, 0, 250000, tzinfo=ft.UTC)
ITEM_KEYS = {"id", "username", "display_name", "follower_count",
             "following_count", "followed_at"}


def at(sec, us=0):
    return T0 + datetime.timedelta(seconds=sec, microseconds=us)


class ListsBase(ft.TestCase):

    def summaries(self, pairs):
        """Expected UserSummary items for [(user id, followed_at)]."""
        out = []
        for uid, when in pairs:
            row = self.sql("SELECT username, display_name, follower_count, "
                           "following_count FROM users WHERE id = %s",
                           (uid,))[0]
            out.append({"id": uid, "username": row[0],
                        "display_name": row[1], "follower_count": row[2],
                        "following_count": row[3],
                        "followed_at": ft.rfc3339(when)})
        return out

    def expected_followers(self, target):
        rows = self.sql(
            "SELECT u.id, f.created_at FROM user_follows f JOIN users u ON "
            "u.id = f.follower_id WHERE f.following_id = %s AND u.is_active "
            "ORDER BY f.created_at DESC, u.id DESC", (target,))
        return [r[0] for r in rows]

    def target_with_followers(self, n, step=1):
        target = self.make_user()
        for i in range(n):
            self.follow_sql(self.make_user(), target, at(i * step, i))
        return target


class Content(ListsBase):

    def test_followers_order_and_shape(self):
        target = self.make_user()
        f = [self.make_user(display_name="F%d" % i) for i in range(6)]
        off = self.make_user()
        when = {f[0]: at(10), f[1]: at(30), f[2]: at(20), f[3]: at(40),
                f[4]: at(40), f[5]: at(20, 1), off: at(50)}
        for u, w in when.items():
            self.follow_sql(u, target, w)
        self.sql("UPDATE users SET is_active = false WHERE id = %s", (off,))
        # Give the summaries non-trivial counts of their own.
        self.follow_sql(f[1], f[0])
        self.follow_sql(f[2], f[1])
        self.follow_sql(off, f[2])
        order = [f[4], f[3], f[1], f[5], f[2], f[0]]
        r = self.api("GET", "/users/%d/followers" % target)
        j = self.page_json(r)
        self.assertEqual(j["items"],
                         self.summaries([(u, when[u]) for u in order]))
        self.assertEqual((j["total"], j["page"], j["page_size"], j["pages"],
                          j["next_cursor"]), (6, 1, 20, 1, None))
        for item in j["items"]:
            self.assertEqual(set(item), ITEM_KEYS)
            self.assert_ts(item["followed_at"])

    def test_following_order_and_shape(self):
        me = self.make_user()
        g = [self.make_user() for _ in range(5)]
        off = self.make_user(active=False)
        when = {g[0]: at(5, 999999), g[1]: at(6), g[2]: at(6), g[3]: at(1),
                g[4]: at(6, 1), off: at(100)}
        for u, w in when.items():
            self.follow_sql(me, u, w)
        self.follow_sql(g[3], g[0])
        order = [g[4], g[2], g[1], g[0], g[3]]
        j = self.page_json(self.api("GET", "/users/%d/following" % me))
        self.assertEqual(j["items"],
                         self.summaries([(u, when[u]) for u in order]))
        self.assertEqual(j["total"], 5)
        self.assertEqual(j["pages"], 1)

    def test_me_lists(self):
        me, a, b = self.make_user(), self.make_user(), self.make_user()
        self.follow_sql(a, me, at(1))
        self.follow_sql(me, b, at(2))
        tok = self.token_for(me)
        for kind in ("followers", "following"):
            with self.subTest(kind=kind):
                r = self.api("GET", "/users/me/" + kind, token=tok)
                pub = self.api("GET", "/users/%d/%s" % (me, kind))
                self.assertEqual(self.page_json(r), self.page_json(pub))
                self.assertEqual(len(r.json()["items"]), 1)

    def test_missing_or_inactive_target_404(self):
        gone = self.make_user()
        self.sql("DELETE FROM users WHERE id = %s", (gone,))
        off = self.make_user(active=False)
        for uid in (gone, off, 9223372036854775807):
            for kind in ("followers", "following"):
                with self.subTest(uid=uid, kind=kind):
                    self.assert_error(self.api("GET", "/users/%d/%s" % (
                        uid, kind)), 404, "User not found")

    def test_empty_list(self):
        u = self.make_user()
        j = self.page_json(self.api("GET", "/users/%d/followers" % u))
        self.assertEqual((j["items"], j["total"], j["next_cursor"]),
                         ([], 0, None))

    def test_no_auth_needed_and_auth_harmless(self):
        u = self.target_with_followers(2)
        anon = self.api("GET", "/users/%d/followers" % u)
        self.assertEqual(len(self.page_json(anon)["items"]), 2)
        r = self.api("GET", "/users/%d/followers" % u,
                     token=self.token_for(self.make_user()))
        self.assertEqual(self.page_json(r)["items"], anon.json()["items"])


class Pages(ListsBase):

    def test_page_numbers(self):
        target = self.target_with_followers(25)
        full = self.expected_followers(target)
        path = "/users/%d/followers" % target
        cases = [(None, None, 20, 1, 20), ("2", None, 5, 2, 20),
                 ("3", None, 0, 3, 20), ("4", "7", 4, 4, 7),
                 ("1", "100", 25, 1, 100), ("25", "1", 1, 25, 1),
                 ("26", "1", 0, 26, 1), ("1000000", None, 0, 1000000, 20)]
        for page, size, n, want_page, want_size in cases:
            with self.subTest(page=page, page_size=size):
                q = {}
                if page is not None:
                    q["page"] = page
                if size is not None:
                    q["page_size"] = size
                j = self.page_json(self.api("GET", path, query=q),
                                   path, want_size)
                self.assertEqual(j["total"], 25)
                self.assertEqual(j["page"], want_page)
                self.assertEqual(j["page_size"], want_size)
                self.assertEqual(j["pages"], math.ceil(25 / want_size))
                start = (want_page - 1) * want_size
                self.assertEqual([x["id"] for x in j["items"]],
                                 full[start:start + want_size])
                self.assertEqual(len(j["items"]), n)
                last = start + want_size >= 25
                self.assertEqual(j["next_cursor"] is None, last,
                                 "next_cursor on page %s" % want_page)

    def test_follow_link_to_the_end(self):
        target = self.target_with_followers(11)
        path = "/users/%d/followers" % target
        items = self.walk(path, page_size=4, via_link=True)
        self.assertEqual([x["id"] for x in items],
                         self.expected_followers(target))

    def test_cursor_then_page_agree(self):
        target = self.target_with_followers(9)
        path = "/users/%d/followers" % target
        ids = [x["id"] for x in self.walk(path, page_size=3)]
        self.assertEqual(ids, self.expected_followers(target))

    def test_cursor_stable_under_inserts(self):
        target = self.target_with_followers(17, step=10)
        before = self.expected_followers(target)
        added_bottom = []
        k = [0]

        def between():
            k[0] += 1
            for j in range(2):  # newer than everything: at the top
                self.follow_sql(self.make_user(), target,
                                at(100000 + k[0] * 10 + j))
            u = self.make_user()  # older than everything: still to come
            self.follow_sql(u, target, at(-1000 * k[0]))
            added_bottom.append(u)

        items = self.walk("/users/%d/followers" % target, page_size=5,
                          between=between)
        ids = [x["id"] for x in items]
        self.assertEqual(len(ids), len(set(ids)), "repeated: %r" % ids)
        self.assertEqual(ids, before + added_bottom)

    def test_following_cursor_stable_under_inserts(self):
        me = self.make_user()
        for i in range(12):
            self.follow_sql(me, self.make_user(), at(i * 3))
        path = "/users/%d/following" % me
        before = [x["id"] for x in self.walk(path, page_size=50)]
        self.assertEqual(len(before), 12)
        k = [0]

        def between():
            k[0] += 1
            self.follow_sql(me, self.make_user(), at(5000 + k[0]))

        ids = [x["id"] for x in self.walk(path, page_size=5,
                                          between=between)]
        self.assertEqual(ids, before)

    def test_cursor_ties_and_microseconds(self):
        target = self.make_user()
        for i in range(13):
            self.follow_sql(self.make_user(), target, at(7))
        for us in (1, 2, -1, -2, 1000, -1000):
            self.follow_sql(self.make_user(), target, at(7, us))
        expect = self.expected_followers(target)
        for size in (1, 4, 5):
            with self.subTest(page_size=size):
                ids = [x["id"] for x in self.walk(
                    "/users/%d/followers" % target, page_size=size)]
                self.assertEqual(ids, expect)

    def test_inactive_follower_not_counted(self):
        target = self.target_with_followers(6)
        victim = self.expected_followers(target)[2]
        self.sql("UPDATE users SET is_active = false WHERE id = %s",
                 (victim,))
        j = self.page_json(self.api("GET", "/users/%d/followers" % target,
                                    query={"page_size": 2}))
        self.assertEqual(j["total"], 5)
        self.assertEqual(j["pages"], 3)
        ids = [x["id"] for x in self.walk("/users/%d/followers" % target,
                                          page_size=2)]
        self.assertEqual(len(ids), 5)
        self.assertNotIn(victim, ids)


class BadParams(ListsBase):

    BAD_PAGE = ["0", "-1", "abc", "99999999999999999999", "1.5", "1e3",
                "0x10", "+1", " 1"]
    BAD_SIZE = ["0", "-1", "101", "abc", "99999999999999999999", "1.5",
                "1000", "0x10"]

    def test_bad_page_and_page_size(self):
        target = self.target_with_followers(3)
        for kind in ("followers", "following"):
            path = "/users/%d/%s" % (target, kind)
            for v in self.BAD_PAGE:
                with self.subTest(path=path, page=v):
                    self.assert_422(self.api("GET", path, query={"page": v}),
                                    "page")
            for v in self.BAD_SIZE:
                with self.subTest(path=path, page_size=v):
                    self.assert_422(self.api("GET", path,
                                             query={"page_size": v}),
                                    "page_size")

    def cursor_of(self, path, token=None):
        j = self.page_json(self.api("GET", path, token=token,
                                    query={"page_size": 1}))
        self.assertIsNotNone(j["next_cursor"], path)
        return j["next_cursor"]

    def test_forged_cursor(self):
        target = self.target_with_followers(3)
        path = "/users/%d/followers" % target
        good = self.cursor_of(path)
        mid = len(good) // 2
        swapped = good[:mid] + ("A" if good[mid] != "A" else "B") + \
            good[mid + 1:]
        forged = [swapped, good[:-3], good + "A", good[::-1], "abc", "!!!",
                  "", ft.b64url('{"t":"2026-01-01T00:00:00Z","id":1}'),
                  ft.b64url("1767225600.000000:1"), "A" * 2000, "%00"]
        for c in forged:
            with self.subTest(cursor=c[:40]):
                self.assert_422(self.api("GET", path, query={"cursor": c}),
                                "cursor")

    def test_cursor_of_another_list(self):
        a = self.target_with_followers(3)
        b = self.target_with_followers(3)
        for u in self.make_users(3):
            self.follow_sql(a, u)
        from_a = self.cursor_of("/users/%d/followers" % a)
        tok = self.token_for(a)
        for method_path in ("/users/%d/followers" % b,
                            "/users/%d/following" % a,
                            "/users/me/feed", "/me/feed"):
            with self.subTest(path=method_path):
                r = self.api("GET", method_path, token=tok,
                             query={"cursor": from_a})
                self.assert_422(r, "cursor")
        # The cursor still works where it came from.
        r = self.api("GET", "/users/%d/followers" % a,
                     query={"cursor": from_a})
        self.assertEqual(self.page_json(r)["total"], 3)


if __name__ == "__main__":
    ft.main()
