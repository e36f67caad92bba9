#!/usr/bin/python3
"""Stored feed totals (sql/004_feed_totals.sql): a reader following at
least follow_feed_stored_min() accounts has its feed `total` kept in
follow_feed_totals plus follow_feed_total_deltas, moved by triggers. The
feed must answer exactly what the sum over the followed authors would:

- through the API, at the default threshold (1,000 followed accounts):
  pages and total as posts are written, authors deactivated, reactivated
  and deleted, the reader unfollows and follows again, and while another
  transaction holds the reader's row (the amounts then go to deltas,
  which the next writer able to lock the row folds in);
- a reader that reaches the threshold by following through the API gets
  its row then, and loses it (and its deltas) when deleted;
- a hammer in a scratch database with the threshold lowered to 3, so that
  most users are stored readers: posts, status changes, follows and
  unfollows, activity changes, user deletes, host transactions posting
  by two authors in either order, and a transaction sitting on readers'
  rows, all at once; every stored total equals a recount in snapshots
  taken while it runs and at the end (follow_caches_wrong()).
"""

import os
import random
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402
from test_counters import ScratchCase, counter_drift, psycopg2  # noqa: E402
from test_totals import T0, Base  # noqa: E402

STORED = 1000        # follow_feed_stored_min() in sql/004_feed_totals.sql
HEAVY_POSTS = 2000   # FEED_HEAVY_POSTS in src/queries.c
HAMMER_SECONDS = float(os.environ.get("FOLLOW_HAMMER_SECONDS", "5"))


class StoredFeed(Base):
    """The stack's own database, default threshold, through the API."""

    def setUp(self):
        self.need_keys()

    def world(self, n_authors, posts_each):
        authors = self.bulk_users(n_authors, "sa")
        self.sql(
            "INSERT INTO posts (author_id, title, body, status, created_at, "
            "deleted_at) SELECT a, 't', 'b', CASE WHEN (a + j) %% 7 = 0 "
            "THEN 'draft' ELSE 'published' END, "
            "%s::timestamptz + ((a * j) %% 991) * interval '1 minute', "
            "CASE WHEN (a + j) %% 11 = 0 THEN now() END "
            "FROM unnest(%s::bigint[]) a, generate_series(1, %s) j",
            (T0, authors, posts_each))
        return authors

    def reader_of(self, authors):
        viewer = self.bulk_users(1, "sv")[0]
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT %s, a FROM unnest(%s::bigint[]) a",
                 (viewer, authors))
        return viewer

    def stored(self, uid):
        return self.sql1("SELECT count(*) FROM follow_feed_totals "
                         "WHERE reader_id = %s", (uid,)) == 1

    def deltas(self, uid):
        return self.sql1("SELECT count(*) FROM follow_feed_total_deltas "
                         "WHERE reader_id = %s", (uid,))

    def total(self, tok):
        return self.page_json(self.api("GET", "/users/me/feed",
                                       token=tok))["total"]

    def assert_exact(self, viewer, tok):
        self.assertEqual(self.total(tok), len(self.expected_feed(viewer)))
        self.assert_counters_exact()

    def test_pages_and_total_of_a_stored_reader(self):
        authors = self.world(STORED + 10, 3)
        viewer = self.reader_of(authors)
        self.assertTrue(self.stored(viewer))
        tok = self.token_for(viewer)
        want = self.expected_feed(viewer)
        self.assertGreater(len(want), HEAVY_POSTS)  # the time walk
        items = self.walk("/users/me/feed", token=tok, page_size=100)
        self.assertEqual([p["id"] for p in items], want)
        r = self.api("GET", "/users/me/feed", token=tok,
                     query={"page": 3, "page_size": 50})
        j = self.page_json(r)
        self.assertEqual(j["total"], len(want))
        self.assertEqual([p["id"] for p in j["items"]], want[100:150])
        self.assert_counters_exact()

    def test_total_follows_every_change(self):
        authors = self.world(STORED + 5, 3)
        viewer = self.reader_of(authors)
        tok = self.token_for(viewer)
        a, b, c = authors[1], authors[2], authors[3]
        t = self.total(tok)
        self.assert_exact(viewer, tok)
        pid = self.make_post(a)
        self.assertEqual(self.total(tok), t + 1)
        self.sql("UPDATE posts SET status = 'draft' WHERE id = %s", (pid,))
        self.assertEqual(self.total(tok), t)
        self.sql("UPDATE posts SET status = 'published' WHERE id = %s",
                 (pid,))
        n_b = self.sql1("SELECT published_post_count FROM users "
                        "WHERE id = %s", (b,))
        self.assertGreater(n_b, 0)
        self.sql("UPDATE users SET is_active = false WHERE id = %s", (b,))
        self.assertEqual(self.total(tok), t + 1 - n_b)
        self.assert_exact(viewer, tok)
        self.sql("UPDATE users SET is_active = true WHERE id = %s", (b,))
        self.assertEqual(self.total(tok), t + 1)
        self.sql("DELETE FROM users WHERE id = %s", (c,))
        self.assert_exact(viewer, tok)
        self.assertEqual(self.api("DELETE", "/users/%d/follow" % a,
                                  token=tok).status, 200)
        self.assert_exact(viewer, tok)
        self.assertEqual(self.api("POST", "/users/%d/follow" % a,
                                  token=tok).status, 200)
        self.assert_exact(viewer, tok)
        self.sql("DELETE FROM posts WHERE author_id = %s", (a,))
        self.assert_exact(viewer, tok)

    def test_held_row_takes_deltas_then_folds_them(self):
        authors = self.world(STORED + 2, 2)
        viewer = self.reader_of(authors)
        tok = self.token_for(viewer)
        t = self.total(tok)
        holder = psycopg2.connect(self.dsn)
        self.addCleanup(holder.close)
        with holder.cursor() as h:
            # A long host transaction that moved this reader's row.
            h.execute("SELECT 1 FROM follow_feed_totals WHERE reader_id = %s "
                      "FOR NO KEY UPDATE", (viewer,))
            for a in authors[:3]:
                self.make_post(a)       # never waits for the holder
            self.assertEqual(self.deltas(viewer), 3)
            self.assertEqual(self.total(tok), t + 3)
            self.assert_counters_exact()
        holder.rollback()
        self.make_post(authors[5])      # can lock: folds the three
        self.assertEqual(self.deltas(viewer), 0)
        self.assertEqual(self.total(tok), t + 4)
        self.assert_exact(viewer, tok)

    def test_quiet_stored_reader_uses_the_join(self):
        quiet = self.bulk_users(STORED, "sq")
        viewer = self.reader_of(quiet)
        self.assertTrue(self.stored(viewer))
        for i, a in enumerate(quiet[:25]):
            self.make_post(a, created_at=T0)  # ties: ordered by id
        tok = self.token_for(viewer)
        items = self.walk("/users/me/feed", token=tok, page_size=10)
        self.assertEqual([p["id"] for p in items],
                         self.expected_feed(viewer))
        self.assertEqual(len(items), 25)
        self.assert_exact(viewer, tok)

    def test_row_kept_after_unfollowing_most(self):
        """Down to 20 follows the row stays, exact, but the feed no longer
        walks by time on its strength: the light plan and its sum."""
        authors = self.world(STORED + 1, 3)
        viewer = self.reader_of(authors)
        self.sql("DELETE FROM user_follows WHERE follower_id = %s "
                 "AND following_id <> ALL (%s)", (viewer, authors[:20]))
        self.assertTrue(self.stored(viewer))
        tok = self.token_for(viewer)
        items = self.walk("/users/me/feed", token=tok, page_size=9)
        self.assertEqual([p["id"] for p in items],
                         self.expected_feed(viewer))
        self.assert_exact(viewer, tok)

    def test_reaching_the_threshold_and_leaving(self):
        authors = self.world(STORED, 1)
        viewer = self.reader_of(authors[:-1])
        self.assertFalse(self.stored(viewer))
        tok = self.token_for(viewer)
        self.assertEqual(self.api("POST", "/users/%d/follow" % authors[-1],
                                  token=tok).status, 200)
        self.assertTrue(self.stored(viewer))
        self.assert_exact(viewer, tok)
        # Below the threshold again, the row stays and stays exact.
        self.assertEqual(self.api("DELETE", "/users/%d/follow" % authors[0],
                                  token=tok).status, 200)
        self.assertTrue(self.stored(viewer))
        self.assert_exact(viewer, tok)
        holder = psycopg2.connect(self.dsn)
        self.addCleanup(holder.close)
        with holder.cursor() as h:
            h.execute("SELECT 1 FROM follow_feed_totals WHERE reader_id = %s "
                      "FOR NO KEY UPDATE", (viewer,))
            self.make_post(authors[3])
        holder.rollback()
        self.assertEqual(self.deltas(viewer), 1)
        self.sql("DELETE FROM users WHERE id = %s", (viewer,))
        self.assertFalse(self.stored(viewer))
        self.assertEqual(self.deltas(viewer), 0)
        self.assert_counters_exact()


class StoredTotalsHammer(ScratchCase):
    """Everything that moves a stored total, concurrently."""

    prefix = "follow_feedtot"

    def setUp(self):
        cur = self.scratch().cursor()
        cur.execute("CREATE OR REPLACE FUNCTION follow_feed_stored_min() "
                    "RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE "
                    "AS 'SELECT 3'")
        cur.execute("INSERT INTO users (username) SELECT 'h' || g "
                    "FROM generate_series(1, 24) g RETURNING id")
        self.users = sorted(r[0] for r in cur.fetchall())
        cur.execute("INSERT INTO user_follows (follower_id, following_id) "
                    "SELECT a, b FROM unnest(%s::bigint[]) a, "
                    "unnest(%s::bigint[]) b "
                    "WHERE a <> b AND (a * 7 + b) %% 3 = 0",
                    (self.users, self.users))
        cur.execute("INSERT INTO posts (author_id) SELECT a FROM "
                    "unnest(%s::bigint[]) a, generate_series(1, 3)",
                    (self.users,))
        cur.execute("SELECT follow_caches_rebuild()")
        cur.execute("SELECT count(*) FROM follow_feed_totals")
        self.assertGreater(cur.fetchone()[0], 10)
        self.assertEqual(counter_drift(cur), [])

    def op(self, c, rnd, users):
        a, b = rnd.sample(users, 2)
        op = rnd.randrange(9)
        if op == 0:
            c.execute("INSERT INTO posts (author_id, status) SELECT %s, "
                      "CASE WHEN random() < 0.3 THEN 'draft' "
                      "ELSE 'published' END FROM generate_series(1, %s)",
                      (a, rnd.randrange(1, 4)))
        elif op == 1:
            c.execute("UPDATE posts SET status = CASE status WHEN 'draft' "
                      "THEN 'published' ELSE 'draft' END "
                      "WHERE author_id = %s AND id %% 3 = %s",
                      (a, rnd.randrange(3)))
        elif op == 2:
            c.execute("DELETE FROM posts WHERE author_id = %s "
                      "AND id %% 5 = %s", (a, rnd.randrange(5)))
        elif op == 3:
            c.execute("SELECT follow_user(%s, NULL, %s)", (a, b))
        elif op == 4:
            c.execute("SELECT unfollow_user(%s, NULL, %s)", (a, b))
        elif op == 5:
            c.execute("UPDATE users SET is_active = NOT is_active "
                      "WHERE id = %s", (a,))
        elif op == 6:
            # A host transaction posting by two authors, either order.
            c.execute("BEGIN")
            c.execute("INSERT INTO posts (author_id) VALUES (%s)", (a,))
            c.execute("INSERT INTO posts (author_id) VALUES (%s)", (b,))
            c.execute("COMMIT")
        elif op == 7:
            # A user who follows a few, posts, and is deleted (or not).
            c.execute("INSERT INTO users (username) VALUES (%s) "
                      "RETURNING id", (ft.unique_name("n"),))
            new = c.fetchone()[0]
            c.execute("INSERT INTO user_follows (follower_id, following_id) "
                      "SELECT %s, u FROM unnest(%s::bigint[]) u",
                      (new, rnd.sample(users, 4)))
            c.execute("INSERT INTO posts (author_id) VALUES (%s)", (new,))
            if rnd.random() < 0.5:
                c.execute("DELETE FROM users WHERE id = %s", (new,))
        else:
            # Sits on some readers' rows, as a long host transaction would.
            c.execute("BEGIN")
            c.execute("SELECT 1 FROM follow_feed_totals WHERE reader_id = "
                      "ANY (%s) FOR NO KEY UPDATE SKIP LOCKED",
                      (rnd.sample(users, 5),))
            time.sleep(0.05)
            c.execute("COMMIT")

    def test_hammer(self):
        errors, checks, deadlocks = [], [0], {}
        deadline = time.monotonic() + HAMMER_SECONDS
        dsn = type(self).scratch_dsn

        def worker(seed):
            rnd = random.Random(seed)
            conn = psycopg2.connect(dsn)
            conn.autocommit = True
            c = conn.cursor()
            try:
                while time.monotonic() < deadline:
                    try:
                        self.op(c, rnd, self.users)
                    except psycopg2.Error as e:
                        # Two host transactions locking users in opposite
                        # orders may deadlock (rolled back whole, as
                        # before stored totals); nothing else may fail.
                        if e.pgcode == "40P01":
                            where = str(e).strip().splitlines()[-1]
                            deadlocks[where] = deadlocks.get(where, 0) + 1
                        else:
                            errors.append("%s: %s" % (e.pgcode, e))
                        if (conn.get_transaction_status() !=
                                psycopg2.extensions.TRANSACTION_STATUS_IDLE):
                            c.execute("ROLLBACK")
            finally:
                conn.close()

        def checker():
            # Exact at every commit: each check is one snapshot.
            conn = psycopg2.connect(dsn)
            conn.autocommit = True
            c = conn.cursor()
            try:
                while time.monotonic() < deadline:
                    bad = counter_drift(c)
                    if bad:
                        errors.append("drift mid-run: %r" % (bad,))
                        return
                    checks[0] += 1
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(i,))
                   for i in range(6)]
        threads.append(threading.Thread(target=checker))
        for t in threads:
            t.start()
        for t in threads:
            t.join(HAMMER_SECONDS + 60)
        self.assertEqual(errors, [])
        self.assertGreater(checks[0], 0)
        cur = self.scratch().cursor()
        self.assertEqual(counter_drift(cur), [])
        cur.execute("SELECT count(*) FROM follow_feed_totals")
        self.assertGreater(cur.fetchone()[0], 10)
        print("# %d snapshots checked; deadlocks: %r" % (checks[0],
                                                         deadlocks))


if __name__ == "__main__":
    ft.main()
