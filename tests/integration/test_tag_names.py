#!/usr/bin/python3
"""posts.tag_names (sql/006_post_tag_names.sql): each post's tag names,
sorted, kept by triggers on post_tags and tags, read by the feed.

Checked against a recount of the rows (follow_tag_names_recount, and
follow_caches_wrong() through assert_counters_exact) after every kind of
write: tagging and untagging one or many rows, moving rows, renaming
(one tag, several in one statement, a swap), deleting tags and posts,
TRUNCATE; under concurrent writers (a hammer, like test_totals.py's);
after the migration's backfill and follow_caches_rebuild(); and through
the feed itself.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402

HAMMER_SECONDS = 4
SQL_DIR = os.path.join(os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "sql")
# 006 and the migrations after it, as an operator re-applying 006 would
# run them: a later file wraps follow_caches_wrong() again, which 006
# alone would leave unwrapped.
SQL_006_ON = sorted(os.path.join(SQL_DIR, f) for f in os.listdir(SQL_DIR)
                    if f[:3].isdigit() and f[:3] >= "006" and
                    f.endswith(".sql"))


class Base(ft.TestCase):

    def tag(self, name):
        return self.sql1("INSERT INTO tags (name) VALUES (%s) "
                         "RETURNING id", (name,))

    def names(self, post):
        return self.sql1("SELECT tag_names FROM posts WHERE id = %s", (post,))

    def assert_names_exact(self, posts=None):
        bad = self.sql(
            "SELECT id, cached, recount FROM follow_tag_names_recount "
            "WHERE cached IS DISTINCT FROM recount AND "
            "(%s::bigint[] IS NULL OR id = ANY (%s::bigint[])) "
            "ORDER BY id LIMIT 20", (posts, posts))
        if bad:
            self.fail("tag_names drifted (post, cached, recount): %r"
                      % (bad,))


class Writes(Base):

    def setUp(self):
        self.author = self.make_user()
        self.p = [self.make_post(self.author) for _ in range(3)]
        n = ft.unique_name("t")
        # ids ascending in the opposite order to the names
        self.t = {k: self.tag(n + "-" + k) for k in ("d", "c", "b", "a")}
        self.n = {k: n + "-" + k for k in self.t}

    def add(self, post, *keys):
        self.sql("INSERT INTO post_tags (post_id, tag_id) "
                 "SELECT %s, unnest(%s::bigint[])",
                 (post, [self.t[k] for k in keys]))

    def expect(self, post, *keys):
        self.assertEqual(self.names(post), sorted(self.n[k] for k in keys))

    def test_tag_untag_sorted(self):
        self.assertEqual(self.names(self.p[0]), [])
        self.add(self.p[0], "c")
        self.add(self.p[0], "a", "d")
        self.expect(self.p[0], "a", "c", "d")
        # one statement over several posts
        self.sql("INSERT INTO post_tags (post_id, tag_id) "
                 "SELECT p, %s FROM unnest(%s::bigint[]) p",
                 (self.t["b"], self.p))
        self.expect(self.p[0], "a", "b", "c", "d")
        self.expect(self.p[1], "b")
        self.sql("DELETE FROM post_tags WHERE post_id = %s AND tag_id "
                 "IN (%s, %s)", (self.p[0], self.t["a"], self.t["c"]))
        self.expect(self.p[0], "b", "d")
        # a row moved to another post and another tag, one left alone
        self.sql("UPDATE post_tags SET post_id = %s, tag_id = %s "
                 "WHERE post_id = %s AND tag_id = %s",
                 (self.p[2], self.t["a"], self.p[0], self.t["d"]))
        self.sql("UPDATE post_tags SET tag_id = tag_id WHERE post_id = %s",
                 (self.p[1],))
        self.expect(self.p[0], "b")
        self.expect(self.p[1], "b")
        self.expect(self.p[2], "a", "b")
        # rolled back: nothing moves
        with self.db.cursor() as c:
            c.execute("BEGIN")
            c.execute("INSERT INTO post_tags VALUES (%s, %s)",
                      (self.p[1], self.t["c"]))
            c.execute("ROLLBACK")
        self.expect(self.p[1], "b")
        self.assert_names_exact(self.p)
        self.assert_counters_exact()

    def test_renames(self):
        self.add(self.p[0], "a", "b", "c")
        self.add(self.p[1], "d")
        # "a" renamed past the others: the order changes
        self.sql("UPDATE tags SET name = 'zz-' || name WHERE id = %s",
                 (self.t["a"],))
        self.n["a"] = "zz-" + self.n["a"]
        self.expect(self.p[0], "a", "b", "c")
        self.assertEqual(self.names(self.p[0])[-1], self.n["a"])
        # several in one statement
        self.sql("UPDATE tags SET name = CASE id WHEN %s THEN %s "
                 "ELSE name || '-y' END WHERE id IN (%s, %s)",
                 (self.t["c"], self.n["b"] + "-y-x", self.t["b"],
                  self.t["c"]))
        self.n["b"] += "-y"
        self.n["c"] = self.n["b"] + "-x"
        self.expect(self.p[0], "a", "b", "c")
        # a swap, the way a unique name allows it
        for tid, name in ((self.t["b"], "swap-tmp-" + self.n["b"]),
                          (self.t["d"], self.n["b"]),
                          (self.t["b"], self.n["d"])):
            self.sql("UPDATE tags SET name = %s WHERE id = %s", (name, tid))
        self.n["b"], self.n["d"] = self.n["d"], self.n["b"]
        self.expect(self.p[0], "a", "b", "c")
        self.expect(self.p[1], "d")
        self.assert_names_exact(self.p)

    def test_deletes_and_truncate(self):
        self.add(self.p[0], "a", "b")
        self.add(self.p[1], "b", "c")
        self.sql("DELETE FROM tags WHERE id = %s", (self.t["b"],))
        self.expect(self.p[0], "a")
        self.expect(self.p[1], "c")
        self.sql("DELETE FROM posts WHERE id = %s", (self.p[0],))
        self.assertEqual(self.sql1("SELECT count(*) FROM post_tags WHERE "
                                   "post_id = %s", (self.p[0],)), 0)
        self.expect(self.p[1], "c")
        # TRUNCATE clears every post; rolled back, so other tests'
        # tags stay
        with self.db.cursor() as c:
            c.execute("BEGIN")
            c.execute("TRUNCATE post_tags")
            c.execute("SELECT count(*) FROM posts WHERE tag_names <> '{}'")
            self.assertEqual(c.fetchone()[0], 0)
            c.execute("ROLLBACK")
        self.expect(self.p[1], "c")
        self.assert_names_exact(self.p)

    def test_feed_shows_the_names(self):
        self.need_keys()
        reader = self.make_user()
        self.follow_sql(reader, self.author)
        self.add(self.p[1], "c", "a")
        self.sql("UPDATE tags SET name = name || '-r' WHERE id = %s",
                 (self.t["c"],))
        r = self.api("GET", "/users/me/feed",
                     token=self.token_for(reader))
        self.assert_status(r, 200)
        tags = {item["id"]: item["tags"] for item in r.json()["items"]}
        self.assertEqual(tags[self.p[1]],
                         sorted([self.n["a"], self.n["c"] + "-r"]))
        self.assertEqual(tags[self.p[0]], [])


class Repair(Base):

    def test_backfill_and_rebuild(self):
        author = self.make_user()
        posts = [self.make_post(author) for _ in range(4)]
        n = ft.unique_name("r")
        tags = [self.tag("%s-%d" % (n, i)) for i in range(3)]
        # rows the triggers never saw, as a host's rows before 006
        with self.db.cursor() as c:
            c.execute("BEGIN")
            c.execute("SET LOCAL session_replication_role = replica")
            c.execute("INSERT INTO post_tags (post_id, tag_id) SELECT p, t "
                      "FROM unnest(%s::bigint[]) p, unnest(%s::bigint[]) t "
                      "WHERE (p + t) %% 2 = 0", (posts, tags))
            c.execute("COMMIT")
        wrong = self.sql("SELECT id FROM follow_caches_wrong() "
                         "WHERE counter = 'tag_names' ORDER BY id")
        self.assertTrue(wrong)
        self.assertLessEqual({r[0] for r in wrong}, set(posts))
        # the migration fills them, and running it again is harmless
        for _ in range(2):
            for fn in SQL_006_ON:
                r = subprocess.run(
                    ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                     "--single-transaction", "-d", self.dsn, "-f", fn],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, timeout=120)
                self.assertEqual(r.returncode, 0, r.stdout)
            self.assert_names_exact(posts)
        self.assertTrue(any(self.names(p) for p in posts))
        # drift repaired by follow_caches_rebuild()
        self.sql("ALTER TABLE post_tags DISABLE TRIGGER post_tags_names_del")
        try:
            self.sql("DELETE FROM post_tags WHERE post_id = %s",
                     (posts[0],))
        finally:
            self.sql("ALTER TABLE post_tags ENABLE TRIGGER "
                     "post_tags_names_del")
        self.assertEqual(self.sql1(
            "SELECT count(*) FROM follow_caches_wrong() WHERE id = %s AND "
            "counter = 'tag_names'", (posts[0],)), 1)
        self.sql("SELECT follow_caches_rebuild()")
        self.assertEqual(self.names(posts[0]), [])
        self.assert_names_exact()
        self.assert_counters_exact()


class Hammer(Base):
    """Concurrent writers of post_tags and tags, at READ COMMITTED."""

    def test_hammer(self):
        author = self.make_user()
        posts = [self.make_post(author) for _ in range(6)]
        n = ft.unique_name("h")
        tags = [self.tag("%s-%d" % (n, i)) for i in range(6)]

        def step(c, rnd):
            ps = rnd.sample(posts, rnd.randrange(1, 4))
            ts = rnd.sample(tags, rnd.randrange(1, 4))
            op = rnd.randrange(6)
            if op == 0:
                c.execute("INSERT INTO post_tags (post_id, tag_id) "
                          "SELECT p, t FROM unnest(%s::bigint[]) p, "
                          "unnest(%s::bigint[]) t ON CONFLICT DO NOTHING",
                          (ps, ts))
            elif op == 1:
                c.execute("DELETE FROM post_tags WHERE post_id = ANY (%s) "
                          "AND tag_id = ANY (%s)", (ps, ts))
            elif op == 2:
                # rename: a new name, never one in use
                c.execute("UPDATE tags SET name = %s || '-' || "
                          "nextval('tags_id_seq') WHERE id = %s", (n, ts[0]))
            elif op == 3:
                c.execute("UPDATE post_tags SET post_id = %s "
                          "WHERE post_id = %s AND tag_id = %s",
                          (ps[0], rnd.choice(posts), ts[0]))
            elif op == 4:
                # several statements, committed or not
                c.execute("BEGIN")
                c.execute("INSERT INTO post_tags VALUES (%s, %s) "
                          "ON CONFLICT DO NOTHING", (ps[0], ts[0]))
                c.execute("UPDATE tags SET name = name || 'x' "
                          "WHERE id = %s", (ts[-1],))
                c.execute("DELETE FROM post_tags WHERE post_id = %s "
                          "AND tag_id = %s", (ps[-1], ts[-1]))
                c.execute(rnd.choice(("COMMIT", "ROLLBACK")))
            else:
                c.execute("UPDATE tags SET name = name || 'y' "
                          "WHERE id = ANY (%s)", (ts,))

        # Host statements over several rows may deadlock on their own
        # rows or move a row onto one that exists; both are rolled back.
        errors = self.hammer(step, seconds=HAMMER_SECONDS,
                             allowed=("40P01", "23505"))
        self.assertEqual(errors, [])
        self.assertGreater(self.sql1("SELECT count(*) FROM post_tags "
                                     "WHERE post_id = ANY (%s)", (posts,)), 0)
        self.assert_names_exact(posts)
        self.assert_counters_exact()


if __name__ == "__main__":
    ft.main()
