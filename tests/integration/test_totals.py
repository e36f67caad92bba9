#!/usr/bin/python3
"""The paths sql/002_feed_counts.sql and the queries in src/queries.c take
at scale, checked for exactness (never for speed):

- the feed of a reader following more than FEED_HEAVY (300) accounts walks
  posts by time; its pages, cursors and total must equal the light plan's;
- the total of a long list is the owner's trigger-kept count of active
  followers/followees (sql/003): exact as users are deactivated,
  reactivated and deleted;
- users.published_post_count stays exact under concurrent inserts, status
  changes, deleted_at, author moves, deletes and cascades (a hammer, like
  test_counters.py's), and after follow_caches_rebuild();
- users.newest_post_at (sql/007), which bounds a light reader's feed page,
  is the author's newest visible post's time after every kind of write,
  also under that hammer with times moved and REPEATABLE READ writers.
"""

import datetime
import os
import sys
import threading

import psycopg2

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402

T0 = datetime.datetime(2026, 11, 20, 9, 0, 0, tzinfo=ft.UTC)
HEAVY = 300         # FEED_HEAVY in src/queries.c
HEAVY_POSTS = 2000  # FEED_HEAVY_POSTS in src/queries.c
LIST_DIRECT = 2000  # a list longer than 2,000 (was LIST_DIRECT_MAX)
HAMMER_SECONDS = 4


def at(sec):
    return T0 + datetime.timedelta(seconds=sec)


class Base(ft.TestCase):

    def bulk_users(self, n, prefix):
        """n new users in one statement; returns their ids ascending."""
        tag = ft.unique_name(prefix)
        return [r[0] for r in self.sql(
            "INSERT INTO users (username) SELECT %s || '-' || i "
            "FROM generate_series(1, %s) i RETURNING id", (tag, n))]

    def expected_feed(self, viewer):
        return [r[0] for r in self.sql(
            "SELECT p.id FROM posts p JOIN users u ON u.id = p.author_id "
            "JOIN user_follows f ON f.following_id = p.author_id AND "
            "f.follower_id = %s WHERE p.status = 'published' AND "
            "p.deleted_at IS NULL AND u.is_active "
            "ORDER BY p.created_at DESC, p.id DESC", (viewer,))]

    def assert_post_counts_exact(self):
        bad = self.sql(
            "SELECT u.id, u.published_post_count, count(p.id) FROM users u "
            "LEFT JOIN posts p ON p.author_id = u.id AND "
            "p.status = 'published' AND p.deleted_at IS NULL "
            "GROUP BY u.id HAVING u.published_post_count <> count(p.id) "
            "ORDER BY u.id LIMIT 20")
        if bad:
            self.fail("published_post_count drifted (id, cached, real): %r"
                      % (bad,))

    def newest(self, author):
        """(cached newest_post_at, the newest visible post's time)."""
        return tuple(self.sql(
            "SELECT u.newest_post_at, (SELECT max(p.created_at) FROM posts p "
            "WHERE p.author_id = u.id AND p.status = 'published' AND "
            "p.deleted_at IS NULL) FROM users u WHERE u.id = %s",
            (author,))[0])


class HeavyFeed(Base):
    """Both feed plans enumerate exactly the same posts, in order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def setUp(self):
        self.need_keys()

    def make_world(self, n_authors):
        authors = self.bulk_users(n_authors, "a")
        # Ten posts per author (more than FEED_HEAVY_POSTS in all), some
        # drafts, deleted, or with the same created_at as another
        # author's post (ties on id).
        self.sql(
            "INSERT INTO posts (author_id, title, body, status, created_at, "
            "deleted_at) SELECT a, 't', 'b', CASE WHEN (a + j) %% 9 = 0 "
            "THEN 'draft' ELSE 'published' END, "
            "%s::timestamptz + ((a * j) %% 997) * interval '1 minute', "
            "CASE WHEN (a + j) %% 13 = 0 THEN now() END "
            "FROM unnest(%s::bigint[]) a, generate_series(1, 10) j",
            (T0, authors))
        # A few inactive authors: their posts leave the feed and total.
        self.sql("UPDATE users SET is_active = false WHERE id = ANY(%s) "
                 "AND id %% 11 = 0", (authors,))
        return authors

    def check_feed(self, viewer, page_size):
        tok = self.token_for(viewer)
        want = self.expected_feed(viewer)
        items = self.walk("/users/me/feed", token=tok, page_size=page_size)
        self.assertEqual([p["id"] for p in items], want)
        r = self.api("GET", "/users/me/feed", token=tok,
                     query={"page": 2, "page_size": page_size})
        j = self.page_json(r)
        self.assertEqual(j["total"], len(want))
        self.assertEqual([p["id"] for p in j["items"]],
                         want[page_size:2 * page_size])
        return tok, want

    def test_heavy_and_light_agree(self):
        authors = self.make_world(HEAVY + 40)
        heavy, light = self.bulk_users(2, "v")
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT %s, a FROM unnest(%s::bigint[]) a", (heavy, authors))
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT %s, a FROM unnest(%s::bigint[]) a",
                 (light, authors[:40]))
        self.assertGreater(self.counters(heavy)[1], HEAVY)
        self.assertLessEqual(self.counters(light)[1], HEAVY)
        _, hw = self.check_feed(heavy, 97)
        _, lw = self.check_feed(light, 7)
        self.assertGreaterEqual(len(hw), HEAVY_POSTS)
        self.assertTrue(set(lw) <= set(hw))

    def test_many_quiet_accounts_use_the_join(self):
        """Following many accounts with few posts: still exact (the
        join plan, as the posts are below FEED_HEAVY_POSTS)."""
        quiet = self.bulk_users(HEAVY + 20, "q")
        viewer = self.bulk_users(1, "v")[0]
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT %s, a FROM unnest(%s::bigint[]) a", (viewer, quiet))
        for i, a in enumerate(quiet[:30]):
            self.make_post(a, created_at=at(i % 7))
        self.assertEqual(len(self.check_feed(viewer, 9)[1]), 30)

    def test_heavy_cursor_under_inserts(self):
        authors = self.make_world(HEAVY + 10)
        viewer = self.bulk_users(1, "v")[0]
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT %s, a FROM unnest(%s::bigint[]) a",
                 (viewer, authors))
        before = self.expected_feed(viewer)
        n = [0]

        def insert_newer():
            n[0] += 1
            self.make_post(authors[n[0] % len(authors)],
                           created_at=at(86400 * 30 + n[0]))

        items = self.walk("/users/me/feed", token=self.token_for(viewer),
                          page_size=100, between=insert_newer)
        ids = [p["id"] for p in items]
        self.assertEqual(len(ids), len(set(ids)), "a post repeated")
        self.assertEqual(ids, before)

    def test_total_follows_post_changes(self):
        authors = self.make_world(HEAVY + 5)
        viewer = self.bulk_users(1, "v")[0]
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT %s, a FROM unnest(%s::bigint[]) a",
                 (viewer, authors))
        tok = self.token_for(viewer)

        def total():
            r = self.api("GET", "/users/me/feed", token=tok)
            return self.page_json(r)["total"]

        t = total()
        self.assertEqual(t, len(self.expected_feed(viewer)))
        # an active author (make_world deactivates ids divisible by 11)
        pid = self.make_post(next(a for a in authors if a % 11))
        self.assertEqual(total(), t + 1)
        self.sql("UPDATE posts SET status = 'draft' WHERE id = %s", (pid,))
        self.assertEqual(total(), t)
        self.sql("UPDATE posts SET status = 'published', deleted_at = now() "
                 "WHERE id = %s", (pid,))
        self.assertEqual(total(), t)
        self.sql("UPDATE posts SET deleted_at = NULL WHERE id = %s", (pid,))
        self.assertEqual(total(), t + 1)
        self.sql("DELETE FROM posts WHERE id = %s", (pid,))
        self.assertEqual(total(), t)
        self.assertEqual(total(), len(self.expected_feed(viewer)))
        self.assert_post_counts_exact()


class LongLists(Base):
    """Totals of lists longer than LIST_DIRECT: counter minus inactive."""

    def list_total(self, uid, which):
        r = self.api("GET", "/users/%d/%s" % (uid, which),
                     query={"page_size": 100})
        return self.page_json(r)["total"]

    def active_count(self, uid, which):
        if which == "followers":
            q = ("SELECT count(*) FROM user_follows f JOIN users u ON "
                 "u.id = f.follower_id AND u.is_active "
                 "WHERE f.following_id = %s")
        else:
            q = ("SELECT count(*) FROM user_follows f JOIN users u ON "
                 "u.id = f.following_id AND u.is_active "
                 "WHERE f.follower_id = %s")
        return self.sql1(q, (uid,))

    def test_long_lists_exact_through_deactivation(self):
        star, fan = self.bulk_users(2, "s")
        crowd = self.bulk_users(LIST_DIRECT + 60, "c")
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT c, %s FROM unnest(%s::bigint[]) c", (star, crowd))
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT %s, c FROM unnest(%s::bigint[]) c", (fan, crowd))
        self.sql("UPDATE users SET is_active = false WHERE id = ANY(%s) "
                 "AND id %% 40 = 0", (crowd,))
        for uid, which in ((star, "followers"), (fan, "following")):
            self.assertGreater(self.counters(uid)[0 if which == "followers"
                                                  else 1], LIST_DIRECT)
            want = self.active_count(uid, which)
            self.assertLess(want, len(crowd))
            self.assertEqual(self.list_total(uid, which), want)
            items = self.walk("/users/%d/%s" % (uid, which), page_size=100,
                              max_pages=40)
            self.assertEqual(len(items), want)
        # Deactivate, reactivate, delete: the totals follow at once.
        self.sql("UPDATE users SET is_active = false WHERE id = %s",
                 (crowd[1],))
        self.assertEqual(self.list_total(star, "followers"),
                         self.active_count(star, "followers"))
        self.sql("UPDATE users SET is_active = true WHERE id = ANY(%s)",
                 (crowd,))
        self.assertEqual(self.list_total(star, "followers"), len(crowd))
        self.assertEqual(self.list_total(fan, "following"), len(crowd))
        self.sql("DELETE FROM users WHERE id = %s", (crowd[2],))
        self.assertEqual(self.list_total(star, "followers"), len(crowd) - 1)
        self.assertEqual(self.list_total(fan, "following"), len(crowd) - 1)
        self.assert_counters_exact()


class NewestPost(Base):
    """newest_post_at follows every write that changes which of an
    author's posts are visible, or when they were made."""

    def check(self, author, want):
        cached, real = self.newest(author)
        self.assertEqual(real, want, "the test's own expectation")
        self.assertEqual(cached, want)

    def test_every_kind_of_write(self):
        a, b = self.bulk_users(2, "n")
        self.check(a, None)
        p1 = self.make_post(a, created_at=at(10))
        self.check(a, at(10))
        self.make_post(a, created_at=at(5))
        self.make_post(a, created_at=at(30), status="draft")
        self.make_post(a, created_at=at(40), deleted=True)
        self.check(a, at(10))
        # Times moved, the number of visible posts unchanged.
        self.sql("UPDATE posts SET created_at = %s WHERE id = %s",
                 (at(20), p1))
        self.check(a, at(20))
        self.sql("UPDATE posts SET created_at = %s WHERE id = %s",
                 (at(1), p1))
        self.check(a, at(5))
        # A title edit leaves the row alone (no new version of it).
        xmin = self.sql1("SELECT xmin::text FROM users WHERE id = %s", (a,))
        self.sql("UPDATE posts SET title = 'edited' WHERE author_id = %s",
                 (a,))
        self.assertEqual(self.sql1("SELECT xmin::text FROM users "
                                   "WHERE id = %s", (a,)), xmin)
        # One statement hides the newest and shows the draft: count same.
        self.sql("UPDATE posts SET status = CASE status WHEN 'draft' THEN "
                 "'published' ELSE 'draft' END WHERE author_id = %s "
                 "AND created_at IN (%s, %s)", (a, at(5), at(30)))
        self.check(a, at(30))
        self.sql("UPDATE posts SET deleted_at = NULL WHERE author_id = %s",
                 (a,))
        self.check(a, at(40))
        # Moved to another author, then deleted.
        self.sql("UPDATE posts SET author_id = %s WHERE author_id = %s "
                 "AND created_at = %s", (b, a, at(40)))
        self.check(a, at(30))
        self.check(b, at(40))
        self.sql("DELETE FROM posts WHERE author_id = %s", (a,))
        self.check(a, None)
        self.assert_counters_exact()

    def race(self, isolation):
        """A writer hides the author's newest post while another holds a
        newer post uncommitted; the second commits first. Returns the
        first writer's error (None if it committed)."""
        a = self.bulk_users(1, "nr")[0]
        old = self.make_post(a, created_at=at(10))
        self.make_post(a, created_at=at(5))
        conns = [psycopg2.connect(self.dsn) for _ in range(2)]
        try:
            holder, hider = conns
            holder.cursor().execute(
                "INSERT INTO posts (author_id, created_at) VALUES (%s, %s)",
                (a, at(20)))
            hider.set_session(isolation_level=isolation)
            c = hider.cursor()
            c.execute("SELECT 1")      # the hider's snapshot starts here
            err = []

            def hide():
                try:
                    c.execute("UPDATE posts SET status = 'draft' "
                              "WHERE id = %s", (old,))
                    hider.commit()
                except psycopg2.Error as e:
                    err.append(e.pgcode)
                    hider.rollback()
            t = threading.Thread(target=hide)
            t.start()
            t.join(1)
            self.assertTrue(t.is_alive(), "the hider waits for the row")
            holder.commit()
            t.join(30)
            self.assertFalse(t.is_alive())
        finally:
            for conn in conns:
                conn.close()
        cached, real = self.newest(a)
        self.assertEqual(cached, real)
        return a, (err or [None])[0]

    def test_read_committed_waits_and_sees_the_newer_post(self):
        a, err = self.race(psycopg2.extensions.ISOLATION_LEVEL_READ_COMMITTED)
        self.assertIsNone(err)
        self.check(a, at(20))

    def test_repeatable_read_fails_rather_than_store_a_stale_time(self):
        a, err = self.race(
            psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ)
        self.assertEqual(err, "40001")
        self.check(a, at(20))


class PostCountHammer(Base):
    """Every kind of concurrent write to posts; the cache stays exact."""

    def test_hammer(self):
        authors = self.bulk_users(12, "h")

        def step(c, rnd):
            a, b = rnd.sample(authors, 2)
            op = rnd.randrange(10)
            if op == 0:
                c.execute(
                    "INSERT INTO posts (author_id, status) "
                    "SELECT %s, CASE WHEN random() < 0.3 THEN "
                    "'draft' ELSE 'published' END "
                    "FROM generate_series(1, %s)",
                    (a, rnd.randrange(1, 4)))
            elif op == 1:
                c.execute(
                    "UPDATE posts SET status = CASE status WHEN "
                    "'draft' THEN 'published' ELSE 'draft' END "
                    "WHERE author_id IN (%s, %s) AND "
                    "id %% 3 = %s", (a, b, rnd.randrange(3)))
            elif op == 2:
                c.execute(
                    "UPDATE posts SET deleted_at = CASE WHEN "
                    "deleted_at IS NULL THEN now() END "
                    "WHERE author_id = %s AND id %% 4 = %s",
                    (a, rnd.randrange(4)))
            elif op == 3:
                c.execute(
                    "UPDATE posts SET author_id = %s "
                    "WHERE author_id = %s AND id %% 5 = %s",
                    (b, a, rnd.randrange(5)))
            elif op == 4:
                c.execute(
                    "DELETE FROM posts WHERE author_id = %s "
                    "AND id %% 6 = %s", (a, rnd.randrange(6)))
            elif op == 5:
                # Multi-statement transaction, rolled back.
                c.execute("BEGIN")
                c.execute("INSERT INTO posts (author_id) "
                          "VALUES (%s)", (a,))
                c.execute("UPDATE posts SET status = 'draft' "
                          "WHERE author_id = %s", (b,))
                c.execute("ROLLBACK")
            elif op == 6:
                # An author deleted (cascade), another created.
                c.execute("INSERT INTO users (username) VALUES "
                          "(%s) RETURNING id",
                          (ft.unique_name("r"),))
                new = c.fetchone()[0]
                c.execute("INSERT INTO posts (author_id) "
                          "SELECT %s FROM generate_series(1,3)",
                          (new,))
                if rnd.random() < 0.5:
                    c.execute("DELETE FROM users WHERE id = %s",
                              (new,))
            elif op == 7:
                c.execute("UPDATE users SET is_active = NOT "
                          "is_active WHERE id = %s", (a,))
            elif op == 8:
                # Times moved, visible posts among them (newest_post_at).
                c.execute(
                    "UPDATE posts SET created_at = created_at + "
                    "(random() - 0.5) * interval '1 hour' "
                    "WHERE author_id = %s AND id %% 3 = %s",
                    (a, rnd.randrange(3)))
            else:
                # A REPEATABLE READ writer: hides the author's newest post
                # and posts again, on a snapshot others may have moved on
                # from (it must fail, 40001, rather than store a stale
                # newest_post_at).
                c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                c.execute("SELECT 1")
                c.execute(
                    "UPDATE posts SET status = 'draft' WHERE id = "
                    "(SELECT id FROM posts WHERE author_id = %s AND "
                    "status = 'published' AND deleted_at IS NULL "
                    "ORDER BY created_at DESC, id DESC LIMIT 1)", (a,))
                c.execute("INSERT INTO posts (author_id, created_at) "
                          "VALUES (%s, now() - random() * "
                          "interval '1 hour')", (a,))
                c.execute("COMMIT")

        # Deadlocks between multi-row host statements are allowed (rolled
        # back whole); nothing else is.
        errors = self.hammer(step, seconds=HAMMER_SECONDS,
                             allowed=("40P01", "40001", "XX000"))
        self.assertEqual(errors, [])
        self.assert_post_counts_exact()
        self.assert_counters_exact()
        for a in authors:
            cached, real = self.newest(a)
            self.assertEqual(cached, real)

    def test_rebuild_repairs_drift(self):
        a = self.bulk_users(1, "d")[0]
        self.make_post(a)
        self.make_post(a, status="draft")
        self.sql("ALTER TABLE posts DISABLE TRIGGER posts_count_ins")
        try:
            self.make_post(a)
        finally:
            self.sql("ALTER TABLE posts ENABLE TRIGGER posts_count_ins")
        self.assertEqual(self.sql1("SELECT published_post_count FROM users "
                                   "WHERE id = %s", (a,)), 1)
        cached, real = self.newest(a)
        self.assertLess(cached, real)
        self.assertEqual(self.sql1(
            "SELECT array_agg(counter ORDER BY counter) FROM "
            "follow_caches_wrong() WHERE id = %s", (a,)),
            ["newest_post_at", "published_post_count"])
        self.sql("SELECT follow_caches_rebuild()")
        self.assertEqual(self.sql1("SELECT published_post_count FROM users "
                                   "WHERE id = %s", (a,)), 2)
        self.assertEqual(self.newest(a), (real, real))
        self.assert_post_counts_exact()
        self.assert_counters_exact()


if __name__ == "__main__":
    ft.main()
