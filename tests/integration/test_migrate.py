#!/usr/bin/python3
"""sql/migrate and sql/001_schema.sql on scratch databases: an empty one, a
host site's legacy users/posts tables (integer and bigint ids), a second run
that must skip and change nothing, concurrent runs, a plain database owner
(no superuser), and a failing migration that must roll back.

Must never touch the stack's own database: every test creates its databases
(and role) with the stack's DSN, a superuser in the test cluster, and drops
them afterwards.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402

try:
    import psycopg2
    import psycopg2.errors
    import psycopg2.extensions
except ImportError:
    psycopg2 = None

SRCDIR = os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIGRATE = os.path.join(SRCDIR, "sql", "migrate")
# How many migrations sql/ ships (each is applied once, then skipped).
NMIG = len([f for f in os.listdir(os.path.dirname(MIGRATE))
            if f[:3].isdigit() and f.endswith(".sql")])

# The SPEC's required columns: (table, column) -> (type, NOT NULL).
REQUIRED = {
    ("users", "id"): ("bigint", True),
    ("users", "username"): ("text", True),
    ("users", "display_name"): ("text", False),
    ("users", "is_active"): ("boolean", True),
    ("users", "follower_count"): ("integer", True),
    ("users", "following_count"): ("integer", True),
    ("users", "created_at"): ("timestamp with time zone", True),
    ("users", "sessions_revoked_at"): ("timestamp with time zone", False),
    ("posts", "id"): ("bigint", True),
    ("posts", "author_id"): ("bigint", True),
    ("posts", "title"): ("text", False),
    ("posts", "body"): ("text", False),
    ("posts", "status"): ("text", True),
    ("posts", "created_at"): ("timestamp with time zone", True),
    ("posts", "deleted_at"): ("timestamp with time zone", False),
    ("tags", "id"): ("bigint", True),
    ("tags", "name"): ("text", True),
    ("post_tags", "post_id"): ("bigint", True),
    ("post_tags", "tag_id"): ("bigint", True),
    ("user_follows", "follower_id"): ("bigint", True),
    ("user_follows", "following_id"): ("bigint", True),
    ("user_follows", "created_at"): ("timestamp with time zone", True),
}
INDEXES = {"users_pkey", "user_follows_pkey", "user_follows_followers_idx",
           "user_follows_following_idx", "posts_feed_idx", "post_tags_pkey",
           "post_tags_tag_id_idx", "tags_name_key"}
FUNCTIONS = {"follow_session_ok", "follow_user", "unfollow_user"}

# Everything a migration could change: catalog and data, as one value.
FINGERPRINT = """
SELECT md5(string_agg(x, E'\\n' ORDER BY x)) FROM (
  SELECT format('col %s.%s %s %s %s', c.relname, a.attname,
         format_type(a.atttypid, a.atttypmod), a.attnotnull,
         pg_get_expr(d.adbin, d.adrelid))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'i')
  UNION ALL
  SELECT format('con %s %s %s', conrelid::regclass, conname,
         pg_get_constraintdef(oid))
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('idx %s', indexdef) FROM pg_indexes
  WHERE schemaname = 'public'
  UNION ALL
  SELECT format('trg %s', pg_get_triggerdef(oid)) FROM pg_trigger
  WHERE NOT tgisinternal
  UNION ALL
  SELECT format('fn %s %s', oid::regprocedure, md5(prosrc)) FROM pg_proc
  WHERE pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('users %s', md5(string_agg(t::text, ',' ORDER BY id)))
  FROM users t
  UNION ALL
  SELECT format('posts %s', md5(string_agg(t::text, ',' ORDER BY id)))
  FROM posts t
  UNION ALL
  SELECT format('schema_version %s', string_agg(version::text, ','))
  FROM schema_version
) s(x)
"""


def run_migrate(dsn, script=MIGRATE):
    """Run sql/migrate; return (exit status, stderr+stdout text)."""
    env = dict(os.environ)
    env.pop("FOLLOW_DSN", None)
    args = [script] + ([dsn] if dsn is not None else [])
    r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env, timeout=120)
    return r.returncode, r.stdout.decode("utf-8", "replace")


class Migrate(ft.TestCase):

    def admin(self, query):
        """Run one statement on the stack's database (a superuser)."""
        conn = psycopg2.connect(self.dsn)
        try:
            conn.autocommit = True
            with conn.cursor() as c:
                c.execute(query)
        finally:
            conn.close()

    def new_db(self, owner=None):
        """A new empty database, dropped at cleanup; return (name, dsn)."""
        if psycopg2 is None:
            self.skipTest("python3-psycopg2 is not installed")
        name = "follow_mig_%d_%d" % (os.getpid(), int(time.time() * 1e6))
        self.admin('CREATE DATABASE "%s"%s' % (
            name, ' OWNER "%s"' % owner if owner else ""))
        self.addCleanup(self.drop_db, name)
        kw = {"dbname": name}
        if owner:
            kw["user"] = owner
        return name, psycopg2.extensions.make_dsn(self.dsn, **kw)

    def drop_db(self, name):
        self.admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def connect(self, dsn):
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        self.addCleanup(conn.close)
        return conn.cursor()

    def one(self, cur, query, params=None):
        cur.execute(query, params)
        return cur.fetchone()[0]

    def migrate_ok(self, dsn, expect):
        rc, out = run_migrate(dsn)
        self.assertEqual(rc, 0, out)
        want = {"applied": "version 1 (001_schema.sql): applied",
                "skipped": "version 1 (001_schema.sql): skipped"}[expect]
        self.assertIn(want, out)
        return out

    def assert_schema(self, cur):
        cur.execute("SELECT table_name, column_name, data_type, "
                    "is_nullable = 'NO' FROM information_schema.columns "
                    "WHERE table_schema = 'public'")
        have = {(t, c): (ty, nn) for t, c, ty, nn in cur.fetchall()}
        for key, (ty, nn) in REQUIRED.items():
            with self.subTest(column=key):
                self.assertIn(key, have)
                # a host's integer ids and varchar names are kept on
                # purpose (see 001)
                if ty == "bigint" and key[1] in ("id", "author_id"):
                    self.assertIn(have[key][0], ("bigint", "integer"))
                elif key == ("users", "username"):
                    self.assertIn(have[key][0], ("text", "character varying"))
                else:
                    self.assertEqual(have[key][0], ty)
                self.assertEqual(have[key][1], nn)
        cur.execute("SELECT indexname FROM pg_indexes "
                    "WHERE schemaname = 'public'")
        self.assertLessEqual(INDEXES, {r[0] for r in cur.fetchall()})
        cur.execute("SELECT proname FROM pg_proc "
                    "WHERE pronamespace = 'public'::regnamespace")
        self.assertLessEqual(FUNCTIONS, {r[0] for r in cur.fetchall()})
        cur.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'user_follows'::regclass")
        defs = {r[0] for r in cur.fetchall()}
        for d in ("PRIMARY KEY (follower_id, following_id)",
                  "CHECK ((follower_id <> following_id))",
                  "FOREIGN KEY (follower_id) REFERENCES users(id) "
                  "ON DELETE CASCADE",
                  "FOREIGN KEY (following_id) REFERENCES users(id) "
                  "ON DELETE CASCADE"):
            self.assertIn(d, defs)

    def assert_counters_work(self, cur):
        """Follow through the API function and plain SQL, delete a user:
        the counters stay exact."""
        cur.execute("INSERT INTO users (username) SELECT 'mig' || g || '_' "
                    "|| md5(random()::text) FROM generate_series(1, 6) g "
                    "RETURNING id")
        us = sorted(r[0] for r in cur.fetchall())
        cur.execute("SELECT * FROM follow_user(%s, NULL, %s)", (us[0], us[1]))
        self.assertEqual(cur.fetchone(), ("ok", 1))
        cur.execute("INSERT INTO user_follows (follower_id, following_id) "
                    "SELECT a, b FROM unnest(%s::bigint[]) a, "
                    "unnest(%s::bigint[]) b WHERE a <> b "
                    "ON CONFLICT DO NOTHING", (us, us))
        cur.execute("DELETE FROM users WHERE id = %s", (us[2],))
        cur.execute("SELECT u.id FROM users u WHERE u.follower_count <> "
                    "(SELECT count(*) FROM user_follows f "
                    " WHERE f.following_id = u.id) OR u.following_count <> "
                    "(SELECT count(*) FROM user_follows f "
                    " WHERE f.follower_id = u.id)")
        self.assertEqual(cur.fetchall(), [])
        self.assertEqual(self.one(cur, "SELECT follower_count FROM users "
                                       "WHERE id = %s", (us[0],)), 4)

    # ------------------------------------------------------------ tests

    def test_empty_database(self):
        _, dsn = self.new_db()
        self.migrate_ok(dsn, "applied")
        cur = self.connect(dsn)
        self.assert_schema(cur)
        self.assertEqual(self.one(cur, "SELECT data_type FROM "
                                       "information_schema.columns WHERE "
                                       "table_name = 'users' AND "
                                       "column_name = 'id'"), "bigint")
        before = self.one(cur, FINGERPRINT)
        self.migrate_ok(dsn, "skipped")
        self.assertEqual(self.one(cur, FINGERPRINT), before)
        self.assertEqual(self.one(cur, "SELECT count(*) FROM schema_version"),
                         NMIG)
        self.assert_counters_work(cur)
        # new posts default to published, and status is checked
        cur.execute("INSERT INTO posts (author_id, title) SELECT min(id), 'x'"
                    " FROM users RETURNING status")
        self.assertEqual(cur.fetchone()[0], "published")
        with self.assertRaises(psycopg2.errors.CheckViolation):
            cur.execute("INSERT INTO posts (author_id, status) "
                        "SELECT min(id), 'bogus' FROM users")

    def test_host_with_integer_ids(self):
        _, dsn = self.new_db()
        cur = self.connect(dsn)
        cur.execute("""
            CREATE TABLE users (
                id serial PRIMARY KEY,
                username varchar(50) NOT NULL UNIQUE,
                email text,
                joined timestamp DEFAULT now());
            CREATE TABLE posts (
                id serial PRIMARY KEY,
                author_id integer NOT NULL REFERENCES users (id),
                title text, body text,
                created_at timestamptz DEFAULT now());
            CREATE TABLE comments (
                id serial PRIMARY KEY,
                user_id integer REFERENCES users (id),
                post_id integer REFERENCES posts (id),
                text text);
            INSERT INTO users (username, email)
                SELECT 'host' || g, 'h' || g || '@example.org'
                FROM generate_series(1, 50) g;
            INSERT INTO posts (author_id, title, body, created_at)
                SELECT 1 + g % 50, 'title ' || g, 'body ' || g,
                       now() - g * interval '1 hour'
                FROM generate_series(1, 200) g;
            INSERT INTO comments (user_id, post_id, text)
                SELECT 1 + g % 50, g, 'c' FROM generate_series(1, 100) g;
        """)
        users = self.one(cur, "SELECT md5(string_agg(format('%s %s %s %s', "
                              "id, username, email, joined), ',' ORDER BY id))"
                              " FROM users")
        posts = self.one(cur, "SELECT md5(string_agg(format('%s %s %s %s %s',"
                              " id, author_id, title, body, created_at), ','"
                              " ORDER BY id)) FROM posts")
        self.migrate_ok(dsn, "applied")
        self.assert_schema(cur)
        self.assertEqual(self.one(cur, "SELECT md5(string_agg(format("
                                       "'%s %s %s %s', id, username, email, "
                                       "joined), ',' ORDER BY id)) "
                                       "FROM users"), users)
        self.assertEqual(self.one(cur, "SELECT md5(string_agg(format("
                                       "'%s %s %s %s %s', id, author_id, "
                                       "title, body, created_at), ',' "
                                       "ORDER BY id)) FROM posts"), posts)
        self.assertEqual(self.one(cur, "SELECT count(*) FROM comments"), 100)
        cur.execute("SELECT status, deleted_at IS NULL, count(*) FROM posts "
                    "GROUP BY 1, 2")
        self.assertEqual(cur.fetchall(), [("published", True, 200)])
        cur.execute("SELECT count(*), sum(follower_count + following_count), "
                    "bool_and(is_active), count(created_at) FROM users")
        self.assertEqual(cur.fetchone(), (50, 0, True, 50))
        # users.id stays integer; the service's columns are bigint
        cur.execute("SELECT table_name || '.' || column_name, data_type "
                    "FROM information_schema.columns WHERE (table_name, "
                    "column_name) IN (('users', 'id'), ('user_follows', "
                    "'follower_id')) ORDER BY 1")
        self.assertEqual(cur.fetchall(), [("user_follows.follower_id",
                                           "bigint"), ("users.id", "integer")])
        # the host's serial keeps numbering users
        cur.execute("INSERT INTO users (username) VALUES ('newcomer') "
                    "RETURNING id")
        self.assertEqual(cur.fetchone()[0], 51)

        # second run: skipped, nothing changed
        before = self.one(cur, FINGERPRINT)
        self.migrate_ok(dsn, "skipped")
        self.assertEqual(self.one(cur, FINGERPRINT), before)

        # follows work against integer ids; the host's comments keep
        # their NO ACTION key, so delete a user without any
        cur.execute("DELETE FROM comments")
        cur.execute("DELETE FROM posts")
        self.assert_counters_work(cur)
        self.assertEqual(self.one(cur, "SELECT count(*) FROM users "
                                       "WHERE username LIKE 'host%%'"), 50)

    def test_host_with_bigint_ids_and_partial_columns(self):
        _, dsn = self.new_db()
        cur = self.connect(dsn)
        cur.execute("""
            CREATE TABLE users (
                id bigserial PRIMARY KEY,
                username text UNIQUE NOT NULL,
                display_name text,
                is_active boolean,
                follower_count integer DEFAULT 0);
            CREATE TABLE posts (
                id bigserial PRIMARY KEY,
                author_id bigint,
                title text,
                status text,
                created_at timestamptz);
            INSERT INTO users (username, display_name, is_active,
                               follower_count)
                VALUES ('ann', 'Ann', true, 7), ('bob', NULL, NULL, 3),
                       ('cy', 'Cy', false, NULL);
            INSERT INTO posts (author_id, title, status, created_at)
                VALUES (1, 'a', 'draft', now()), (1, 'b', NULL, NULL),
                       (2, 'c', 'archived', now()), (99, 'orphan',
                       'published', now());
        """)
        self.migrate_ok(dsn, "applied")
        self.assert_schema(cur)
        cur.execute("SELECT username, display_name, is_active, "
                    "follower_count, following_count FROM users ORDER BY id")
        self.assertEqual(cur.fetchall(), [("ann", "Ann", True, 0, 0),
                                          ("bob", None, True, 0, 0),
                                          ("cy", "Cy", False, 0, 0)])
        cur.execute("SELECT title, status, created_at IS NOT NULL "
                    "FROM posts ORDER BY id")
        self.assertEqual(cur.fetchall(), [("a", "draft", True),
                                          ("b", "published", True),
                                          ("c", "archived", True),
                                          ("orphan", "published", True)])
        # the orphan post is kept: the new foreign key is NOT VALID
        cur.execute("SELECT convalidated, pg_get_constraintdef(oid) "
                    "FROM pg_constraint WHERE conrelid = 'posts'::regclass "
                    "AND contype = 'f'")
        self.assertEqual(cur.fetchall(), [
            (False, "FOREIGN KEY (author_id) REFERENCES users(id) "
                    "ON DELETE CASCADE NOT VALID")])
        cur.execute("DELETE FROM users WHERE id = 1")
        self.assertEqual(self.one(cur, "SELECT count(*) FROM posts"), 2)
        self.migrate_ok(dsn, "skipped")
        self.assert_counters_work(cur)

    def test_schema_file_rerun_backfills(self):
        """001_schema.sql itself is idempotent, and recounts counters that
        were wrong (rows written while the triggers did not fire)."""
        _, dsn = self.new_db()
        self.migrate_ok(dsn, "applied")
        cur = self.connect(dsn)
        cur.execute("INSERT INTO users (username) SELECT 'b' || g "
                    "FROM generate_series(1, 30) g")
        cur.execute("SET session_replication_role = replica")
        cur.execute("INSERT INTO user_follows (follower_id, following_id) "
                    "SELECT a.id, b.id FROM users a, users b "
                    "WHERE a.id < b.id")
        cur.execute("RESET session_replication_role")
        self.assertEqual(self.one(cur, "SELECT sum(follower_count) "
                                       "FROM users"), 0)
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                            "--single-transaction", "-d", dsn, "-f",
                            os.path.join(SRCDIR, "sql", "001_schema.sql")],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout)
        cur.execute("SELECT id, follower_count, following_count FROM users "
                    "ORDER BY id")
        rows = cur.fetchall()
        self.assertEqual([(f, g) for _, f, g in rows],
                         [(i, 29 - i) for i in range(30)])

    def test_concurrent_runs(self):
        _, dsn = self.new_db()
        env = dict(os.environ)
        env.pop("FOLLOW_DSN", None)
        procs = [subprocess.Popen([MIGRATE, dsn], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=env)
                 for _ in range(4)]
        outs = []
        for p in procs:
            out, _ = p.communicate(timeout=120)
            outs.append((p.returncode, out.decode("utf-8", "replace")))
        self.assertEqual([rc for rc, _ in outs], [0] * 4, outs)
        text = "".join(o for _, o in outs)
        self.assertEqual(text.count("): applied"), NMIG, text)
        self.assertEqual(text.count("): skipped"), 3 * NMIG, text)
        cur = self.connect(dsn)
        self.assertEqual(self.one(cur, "SELECT count(*) FROM schema_version"),
                         NMIG)
        self.assert_schema(cur)

    def test_plain_owner_no_superuser(self):
        role = "follow_owner_%d" % os.getpid()
        self.admin('CREATE ROLE "%s" LOGIN NOSUPERUSER NOCREATEDB '
                   'NOCREATEROLE' % role)
        # cleanups run last first: the database goes before its owner
        self.addCleanup(self.admin, 'DROP ROLE IF EXISTS "%s"' % role)
        _, dsn = self.new_db(owner=role)
        cur = self.connect(dsn)
        self.assertFalse(self.one(cur, "SELECT rolsuper FROM pg_roles "
                                       "WHERE rolname = current_user"))
        self.migrate_ok(dsn, "applied")
        self.migrate_ok(dsn, "skipped")
        self.assert_schema(cur)
        self.assert_counters_work(cur)

    def test_failure_rolls_back(self):
        _, dsn = self.new_db()
        tmp = tempfile.mkdtemp(prefix="follow_mig_")
        self.addCleanup(shutil.rmtree, tmp)
        shutil.copy(MIGRATE, tmp)
        shutil.copy(os.path.join(SRCDIR, "sql", "001_schema.sql"), tmp)
        bad = os.path.join(tmp, "002_broken.sql")
        with open(bad, "w") as f:
            f.write("CREATE TABLE half_done (id integer);\n"
                    "ALTER TABLE users ADD COLUMN half_done integer;\n"
                    "SELECT 1 / 0;\n")
        script = os.path.join(tmp, "migrate")
        rc, out = run_migrate(dsn, script)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("version 1 (001_schema.sql): applied", out)
        self.assertIn("version 2 (002_broken.sql): FAILED", out)
        self.assertIn("division by zero", out)
        cur = self.connect(dsn)
        self.assertEqual(self.one(cur, "SELECT string_agg(version::text, "
                                       "',' ORDER BY version) "
                                       "FROM schema_version"), "1")
        self.assertIsNone(self.one(cur, "SELECT to_regclass('half_done')"))
        self.assertEqual(self.one(cur, "SELECT count(*) FROM "
                                       "information_schema.columns WHERE "
                                       "column_name = 'half_done'"), 0)
        with open(bad, "w") as f:
            f.write("CREATE TABLE half_done (id integer);\n")
        rc, out = run_migrate(dsn, script)
        self.assertEqual(rc, 0, out)
        self.assertIn("version 1 (001_schema.sql): skipped", out)
        self.assertIn("version 2 (002_broken.sql): applied", out)
        # two files claiming one version are refused before anything runs
        shutil.copy(bad, os.path.join(tmp, "002_again.sql"))
        rc, out = run_migrate(dsn, script)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("version 2 twice", out)

    def test_usage_and_bad_dsn(self):
        rc, out = run_migrate(None)
        self.assertEqual(rc, 2, out)
        self.assertIn("usage", out)
        rc, out = run_migrate(
            "host=127.0.0.1 port=1 dbname=nothing connect_timeout=3")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("FAILED", out)


if __name__ == "__main__":
    ft.main()
