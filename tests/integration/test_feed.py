#!/usr/bin/python3
"""The feed (GET /users/me/feed and /me/feed): which posts, in which order,
the Post shape, page numbers, cursors under concurrent inserts, and 422s.

Must never rely on now() for order: every post's created_at is explicit.
"""

import datetime
import math
import os
import random
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402

T0 = datetime.datetime(2026, 11, 24, 9, 0, 0, 123456, tzinfo=ft.UTC)
POST_KEYS = {"id", "author", "title", "body", "status", "tags", "created_at"}


def at(sec, us=0):
    return T0 + datetime.timedelta(seconds=sec, microseconds=us)


class FeedBase(ft.TestCase):

    def setUp(self):
        self.need_keys()

    def expected_post(self, pid):
        row = self.sql(
            "SELECT p.id, p.author_id, u.username, u.display_name, p.title, "
            "p.body, p.status, p.created_at FROM posts p JOIN users u ON "
            "u.id = p.author_id WHERE p.id = %s", (pid,))[0]
        tags = [r[0] for r in self.sql(
            "SELECT t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id "
            "WHERE pt.post_id = %s", (pid,))]
        return {"id": row[0],
                "author": {"id": row[1], "username": row[2],
                           "display_name": row[3]},
                "title": row[4], "body": row[5], "status": row[6],
                "tags": sorted(tags), "created_at": ft.rfc3339(row[7])}

    def expected_feed(self, viewer):
        return [r[0] for r in self.sql(
            "SELECT p.id FROM posts p JOIN users u ON u.id = p.author_id "
            "JOIN user_follows f ON f.following_id = p.author_id AND "
            "f.follower_id = %s WHERE p.status = 'published' AND "
            "p.deleted_at IS NULL AND u.is_active "
            "ORDER BY p.created_at DESC, p.id DESC", (viewer,))]

    def viewer_following(self, n_posts, step=1):
        """A viewer who follows one author with n_posts posts."""
        viewer, author = self.make_user(), self.make_user()
        self.follow_sql(viewer, author)
        for i in range(n_posts):
            self.make_post(author, title="p%d" % i,
                           created_at=at(i * step, i))
        return viewer, author


class Content(FeedBase):

    def test_feed_content_order_and_shape(self):
        v = self.make_user()
        a = self.make_user(display_name="Ada")
        d = self.make_user()
        b = self.make_user()        # followed, later inactive
        c = self.make_user()        # not followed
        for u in (a, d, b):
            self.follow_sql(v, u)
        self.follow_sql(c, v)       # followed *by* c: irrelevant
        p1 = self.make_post(a, title="one", body='He said "hi"\n\t<b>\u2603',
                            created_at=at(10), tags=("sql", "c", "b", "ab"))
        self.make_post(a, status="draft", created_at=at(20))
        self.make_post(a, created_at=at(30), deleted=True)
        p4 = self.make_post(a, created_at=at(40), tags=("x",))
        p5 = self.make_post(a, created_at=at(40))
        p6 = self.make_post(a, created_at=at(25, 500000))
        d1 = self.make_post(d, created_at=at(35))
        self.make_post(b, created_at=at(50))
        self.sql("UPDATE users SET is_active = false WHERE id = %s", (b,))
        self.make_post(c, created_at=at(60))
        self.make_post(v, created_at=at(70))
        order = [p5, p4, d1, p6, p1]
        self.assertEqual(order, self.expected_feed(v))
        r = self.api("GET", "/users/me/feed", token=self.token_for(v))
        j = self.page_json(r)
        self.assertIn("no-store", r.headers.get("Cache-Control", ""))
        self.assertEqual(j["items"], [self.expected_post(p) for p in order])
        self.assertEqual((j["total"], j["page"], j["page_size"], j["pages"],
                          j["next_cursor"]), (5, 1, 20, 1, None))
        for item in j["items"]:
            self.assertEqual(set(item), POST_KEYS)
            self.assertEqual(set(item["author"]),
                             {"id", "username", "display_name"})
            self.assert_ts(item["created_at"])
        self.assertEqual(j["items"][-1]["tags"], ["ab", "b", "c", "sql"])
        self.assertEqual(j["items"][0]["tags"], [])
        self.assertEqual(j["items"][-1]["created_at"],
                         "2026-11-24T09:00:10.123456Z")

    def test_alias_same_answer(self):
        v, _ = self.viewer_following(4)
        tok = self.token_for(v)
        a = self.api("GET", "/users/me/feed", token=tok)
        b = self.api("GET", "/me/feed", token=tok)
        self.assertEqual(self.page_json(a), self.page_json(b))
        self.assertEqual(len(a.json()["items"]), 4)

    def test_requires_auth(self):
        for path in ("/users/me/feed", "/me/feed"):
            with self.subTest(path=path):
                r = self.api("GET", path)
                self.assert_error(r, 401, "Not authenticated")
                self.assertRegex(r.headers.get("WWW-Authenticate", ""),
                                 r"^Bearer\b")

    def test_no_follows_empty(self):
        v = self.make_user()
        self.make_post(v)
        j = self.page_json(self.api("GET", "/users/me/feed",
                                    token=self.token_for(v)))
        self.assertEqual((j["items"], j["total"], j["next_cursor"]),
                         ([], 0, None))

    def test_unfollow_removes_posts(self):
        v, author = self.viewer_following(3)
        tok = self.token_for(v)
        self.assertEqual(self.page_json(self.api(
            "GET", "/me/feed", token=tok))["total"], 3)
        self.assert_status(self.api("DELETE", "/users/%d/follow" % author,
                                    token=tok), 200)
        self.assertEqual(self.page_json(self.api(
            "GET", "/me/feed", token=tok))["total"], 0)

    def test_post_changes_show(self):
        v, author = self.viewer_following(3)
        tok = self.token_for(v)
        ids = self.expected_feed(v)
        self.sql("UPDATE posts SET deleted_at = now() WHERE id = %s",
                 (ids[0],))
        self.sql("UPDATE posts SET status = 'draft' WHERE id = %s", (ids[1],))
        j = self.page_json(self.api("GET", "/me/feed", token=tok))
        self.assertEqual([x["id"] for x in j["items"]], [ids[2]])
        self.assertEqual(j["total"], 1)


class Pages(FeedBase):

    def test_page_numbers(self):
        v, _ = self.viewer_following(23)
        full = self.expected_feed(v)
        tok = self.token_for(v)
        for page, size, n in ((1, 5, 5), (5, 5, 3), (6, 5, 0), (2, 20, 3),
                              (1, 100, 23), (23, 1, 1), (999999, 7, 0)):
            with self.subTest(page=page, page_size=size):
                j = self.page_json(self.api(
                    "GET", "/users/me/feed", token=tok,
                    query={"page": page, "page_size": size}),
                    "/users/me/feed", size)
                self.assertEqual((j["total"], j["page"], j["page_size"],
                                  j["pages"]),
                                 (23, page, size, math.ceil(23 / size)))
                start = (page - 1) * size
                self.assertEqual([x["id"] for x in j["items"]],
                                 full[start:start + size])
                self.assertEqual(len(j["items"]), n)
                self.assertEqual(j["next_cursor"] is None,
                                 start + size >= 23)

    def test_default_page_size(self):
        v, _ = self.viewer_following(21)
        j = self.page_json(self.api("GET", "/me/feed",
                                    token=self.token_for(v)))
        self.assertEqual((len(j["items"]), j["page_size"], j["pages"]),
                         (20, 20, 2))
        self.assertIsNotNone(j["next_cursor"])

    def test_follow_link(self):
        v, _ = self.viewer_following(10)
        tok = self.token_for(v)
        for path in ("/users/me/feed", "/me/feed"):
            with self.subTest(path=path):
                items = self.walk(path, token=tok, page_size=3,
                                  via_link=True)
                self.assertEqual([x["id"] for x in items],
                                 self.expected_feed(v))

    def test_cursor_stable_under_new_posts(self):
        v, author = self.viewer_following(19, step=60)
        other = self.make_user()
        self.follow_sql(v, other)
        before = self.expected_feed(v)
        k = [0]
        bottom = []

        def between():
            k[0] += 1
            for j in range(3):  # the newest posts: at the top
                self.make_post(author if j % 2 else other,
                               created_at=at(100000 + k[0] * 10 + j))
            bottom.append(self.make_post(other,
                                         created_at=at(-1000 * k[0])))

        ids = [x["id"] for x in self.walk("/users/me/feed",
                                          token=self.token_for(v),
                                          page_size=4, between=between)]
        self.assertEqual(len(ids), len(set(ids)), "repeated: %r" % ids)
        self.assertEqual(ids, before + bottom)

    def test_cursor_ties_and_microseconds(self):
        v, author = self.make_user(), self.make_user()
        self.follow_sql(v, author)
        for _ in range(11):
            self.make_post(author, created_at=at(3))
        for us in (1, -1, 2, -2, 999999, -999999):
            self.make_post(author, created_at=at(3, us))
        expect = self.expected_feed(v)
        tok = self.token_for(v)
        for size in (1, 3, 4):
            with self.subTest(page_size=size):
                ids = [x["id"] for x in self.walk("/me/feed", token=tok,
                                                  page_size=size)]
                self.assertEqual(ids, expect)

    def test_timestamps_far_and_before_1970(self):
        """The worker reads PostgreSQL's timestamp text itself (pgtime.c):
        every instant a cursor can hold prints as PostgreSQL's own
        to_char would, and cursors walk across them."""
        v, author = self.make_user(), self.make_user()
        self.follow_sql(v, author)
        for ts in ("0001-01-01 00:00:00.000001+00",
                   "1969-12-31 23:59:59.999999+00",
                   "1970-01-01 00:00:00+00",
                   "2000-02-29 12:00:00.5+00",
                   "2026-11-24 09:00:00.123456+00",
                   "9999-12-31 23:59:59.999999+00"):
            self.make_post(author, created_at=ts)
        want = {r[0]: r[1] for r in self.sql(
            "SELECT id, to_char(created_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM posts "
            "WHERE author_id = %s", (author,))}
        tok = self.token_for(v)
        items = self.walk("/me/feed", token=tok, page_size=2)
        self.assertEqual([x["id"] for x in items], self.expected_feed(v))
        self.assertEqual({x["id"]: x["created_at"] for x in items}, want)

    def test_timestamp_rfc3339_cannot_write(self):
        """A post dated after 9999 or at infinity (the host's data): RFC
        3339 has no text for it, so the page is a JSON 500, as when the
        database refused to format it, and the worker goes on."""
        for ts in ("12345-06-07 08:09:10+00", "infinity"):
            with self.subTest(created_at=ts):
                v, author = self.make_user(), self.make_user()
                self.follow_sql(v, author)
                self.make_post(author, created_at=ts)
                tok = self.token_for(v)
                for _ in range(2):
                    r = self.api("GET", "/me/feed", token=tok)
                    self.assert_error(r, 500, "Internal Server Error")
                r = self.api("GET", "/me/feed", token=self.token_for(
                    self.viewer_following(1)[0]))
                self.assert_status(r, 200)

    def test_cursor_is_per_viewer_position(self):
        # A cursor carries a position, not a snapshot of the viewer's
        # follows: following a new author shows their older posts later.
        v, _ = self.viewer_following(6, step=10)
        late = self.make_user()
        tok = self.token_for(v)
        j = self.page_json(self.api("GET", "/me/feed", token=tok,
                                    query={"page_size": 2}))
        old = self.make_post(late, created_at=at(-500))
        self.follow_sql(v, late)
        rest = []
        cur = j["next_cursor"]
        while cur is not None:
            jj = self.page_json(self.api("GET", "/me/feed", token=tok,
                                         query={"cursor": cur,
                                                "page_size": 2}))
            rest.extend(x["id"] for x in jj["items"])
            cur = jj["next_cursor"]
        self.assertEqual(rest[-1], old)


class ManyAuthors(FeedBase):
    """A reader following more authors than a page holds: the light plan
    takes at most offset + limit posts from each author and sorts those,
    so one author may fill whole pages and others none."""

    def check_all_ways(self, viewer):
        expect = self.expected_feed(viewer)
        tok = self.token_for(viewer)
        for size in (1, 2, 3, 7):
            with self.subTest(page_size=size, by="cursor"):
                ids = [x["id"] for x in self.walk("/me/feed", token=tok,
                                                  page_size=size)]
                self.assertEqual(ids, expect)
            with self.subTest(page_size=size, by="page"):
                for page in range(1, len(expect) // size + 2):
                    j = self.page_json(self.api(
                        "GET", "/me/feed", token=tok,
                        query={"page": page, "page_size": size}),
                        "/me/feed", size)
                    start = (page - 1) * size
                    self.assertEqual([x["id"] for x in j["items"]],
                                     expect[start:start + size])
                    self.assertEqual(j["total"], len(expect))
        return expect

    def test_one_author_fills_the_page(self):
        """Eleven authors with one old post each while the one prolific
        author's posts fill the first pages; posts at the same instant
        across authors are ordered by id."""
        v = self.make_user()
        busy, *quiet = self.make_users(12)
        for a in (busy, *quiet):
            self.follow_sql(v, a)
        for i in range(15):
            self.make_post(busy, created_at=at(1000 + i))
        for i, a in enumerate(quiet):
            self.make_post(a, created_at=at(10 * (i % 4)))  # ties
        self.make_post(busy, created_at=at(10))   # ties with quiet ones
        self.make_post(busy, created_at=at(-5))
        ids = self.check_all_ways(v)
        self.assertEqual(len(ids), 28)

    def test_hidden_posts_take_no_place(self):
        """Drafts, deleted posts and an inactive author's posts, all newer
        than everything else, neither show nor push shown posts off a
        page."""
        v = self.make_user()
        authors = self.make_users(8)
        for a in authors:
            self.follow_sql(v, a)
        shown = []
        for i, a in enumerate(authors):
            shown.append(self.make_post(a, created_at=at(i)))
            self.make_post(a, created_at=at(100 + i), status="draft")
            self.make_post(a, created_at=at(200 + i), deleted=True)
        gone = self.make_user()
        self.follow_sql(v, gone)
        for i in range(5):
            self.make_post(gone, created_at=at(300 + i))
        self.sql("UPDATE users SET is_active = false WHERE id = %s", (gone,))
        self.assertEqual(self.check_all_ways(v), shown[::-1])

    def test_random_worlds(self):
        """Seeded random worlds: 30 authors, skewed post counts, times
        drawn from few values so that keys tie across authors."""
        for seed in (1, 2, 3):
            with self.subTest(seed=seed):
                rnd = random.Random(seed)
                v = self.make_user()
                authors = self.make_users(30)
                for a in authors:
                    self.follow_sql(v, a)
                for _ in range(90):
                    a = authors[min(29, int(30 * rnd.random() ** 2.5))]
                    self.make_post(a, created_at=at(rnd.randrange(40)),
                                   status=rnd.choice(
                                       ("published",) * 9 + ("draft",)),
                                   deleted=rnd.random() < 0.05)
                self.check_all_ways(v)


class BadParams(FeedBase):

    def test_bad_page_page_size(self):
        v, _ = self.viewer_following(2)
        tok = self.token_for(v)
        for path in ("/users/me/feed", "/me/feed"):
            for v_ in ("0", "-1", "abc", "99999999999999999999", "1.5"):
                with self.subTest(path=path, page=v_):
                    self.assert_422(self.api("GET", path, token=tok,
                                             query={"page": v_}), "page")
            for v_ in ("0", "-1", "101", "abc", "99999999999999999999"):
                with self.subTest(path=path, page_size=v_):
                    self.assert_422(self.api("GET", path, token=tok,
                                             query={"page_size": v_}),
                                    "page_size")

    def test_bad_cursor(self):
        v, _ = self.viewer_following(3)
        tok = self.token_for(v)
        good = self.page_json(self.api("GET", "/me/feed", token=tok,
                                       query={"page_size": 1}))["next_cursor"]
        self.assertIsNotNone(good)
        mid = len(good) // 2
        swapped = good[:mid] + ("A" if good[mid] != "A" else "B") + \
            good[mid + 1:]
        for c in (swapped, good[:-2], good + "x", "abc", "%%%", "A" * 3000,
                  ft.b64url('{"t":0,"id":1}')):
            with self.subTest(cursor=c[:40]):
                self.assert_422(self.api("GET", "/me/feed", token=tok,
                                         query={"cursor": c}), "cursor")

    def test_feed_cursor_on_followers_and_back(self):
        v, author = self.viewer_following(3)
        tok = self.token_for(v)
        feed_cur = self.page_json(self.api(
            "GET", "/me/feed", token=tok,
            query={"page_size": 1}))["next_cursor"]
        for u in self.make_users(3):
            self.follow_sql(u, author)
        fol_cur = self.page_json(self.api(
            "GET", "/users/%d/followers" % author,
            query={"page_size": 1}))["next_cursor"]
        self.assert_422(self.api("GET", "/users/%d/followers" % author,
                                 query={"cursor": feed_cur}), "cursor")
        self.assert_422(self.api("GET", "/users/me/feed", token=tok,
                                 query={"cursor": fol_cur}), "cursor")


if __name__ == "__main__":
    ft.main()
