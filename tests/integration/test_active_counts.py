#!/usr/bin/python3
"""users.active_follower_count / active_following_count
(sql/003_active_counts.sql): the totals of the followers and following
pages. They must equal a recount of the rows whose other side is active at
every commit, whoever changes follows or activity: the API, the host's SQL
(single and multi-row), deactivation and reactivation, deleting active and
inactive users (whose cascades run after the row is gone), a delete vetoed
by a host trigger, TRUNCATE, and all of it at once.

The delete cases also guard an ordering PostgreSQL gives us: the schema's
"FOLLOW_users_delete" trigger must fire before the foreign keys' cascade
triggers ("RI_ConstraintTrigger_..."), by name. If that ever changed, the
counts of a deleted active user's neighbours would drift and these fail.
"""

import os
import random
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402
from test_counters import (SEED, SRCDIR, ScratchCase,  # noqa: E402
                           counter_drift, drop_db, pg_multixact_race,
                           psycopg2)

HAMMER_SECONDS = float(os.environ.get("FOLLOW_HAMMER_SECONDS", "5"))


class ActiveCounts(ft.TestCase):
    """Single changes, in the stack's database, each checked at once."""

    def active(self, uid):
        rows = self.sql("SELECT active_follower_count, active_following_count"
                        " FROM users WHERE id = %s", (uid,))
        return tuple(rows[0]) if rows else None

    def list_total(self, uid, which):
        r = self.api("GET", "/users/%d/%s" % (uid, which))
        return self.page_json(r)["total"]

    def star(self, n):
        """A star followed by n fans, who are all followed by one fan."""
        star, fan = self.make_users(2)
        crowd = self.make_users(n)
        for c in crowd:
            self.follow_sql(c, star)
            self.follow_sql(fan, c)
        return star, fan, crowd

    def test_deactivate_and_reactivate(self):
        star, fan, crowd = self.star(4)
        self.assertEqual(self.active(star), (4, 0))
        self.sql("UPDATE users SET is_active = false WHERE id = %s",
                 (crowd[0],))
        self.assertEqual(self.active(star), (3, 0))
        self.assertEqual(self.active(fan), (0, 3))
        self.assertEqual(self.counters(star), (4, 0))  # all rows, SPEC 1
        self.assertEqual(self.list_total(star, "followers"), 3)
        self.assertEqual(self.list_total(fan, "following"), 3)
        # Setting the same value again moves nothing.
        self.sql("UPDATE users SET is_active = false WHERE id = %s",
                 (crowd[0],))
        self.assertEqual(self.active(star), (3, 0))
        self.sql("UPDATE users SET is_active = true WHERE id = %s",
                 (crowd[0],))
        self.assertEqual(self.active(star), (4, 0))
        self.assertEqual(self.list_total(star, "followers"), 4)
        self.assert_counters_exact()

    def test_multi_row_deactivation_of_mutual_followers(self):
        a, b, c = self.make_users(3)
        for x, y in ((a, b), (b, a), (a, c), (c, b)):
            self.follow_sql(x, y)
        self.sql("UPDATE users SET is_active = NOT is_active "
                 "WHERE id = ANY (%s)", ([a, b],))
        self.assertEqual(self.active(c), (0, 0))
        self.assertEqual(self.active(a), (0, 1))   # b inactive, c active
        self.sql("UPDATE users SET is_active = true WHERE id = ANY (%s)",
                 ([a, b, c],))
        self.assertEqual(self.active(b), (2, 1))
        self.assert_counters_exact()

    def test_follow_of_and_by_inactive_users(self):
        a = self.make_user()
        off = self.make_user(active=False)
        self.follow_sql(a, off)
        self.follow_sql(off, a)
        self.assertEqual(self.active(a), (0, 0))
        self.assertEqual(self.active(off), (1, 1))
        self.assertEqual(self.counters(a), (1, 1))
        self.sql("DELETE FROM user_follows WHERE follower_id = %s", (off,))
        self.assertEqual(self.active(a), (0, 0))
        self.assertEqual(self.active(off), (1, 0))   # a still follows it
        self.assert_counters_exact()

    def test_delete_active_and_inactive_users(self):
        star, fan, crowd = self.star(6)
        self.sql("UPDATE users SET is_active = false WHERE id = %s",
                 (crowd[1],))
        self.sql("DELETE FROM users WHERE id = %s", (crowd[0],))   # active
        self.assertEqual(self.active(star), (4, 0))
        self.assertEqual(self.active(fan), (0, 4))
        self.sql("DELETE FROM users WHERE id = %s", (crowd[1],))   # inactive
        self.assertEqual(self.active(star), (4, 0))
        self.assertEqual(self.counters(star), (4, 0))
        # Several related users in one statement, the star among them.
        self.sql("DELETE FROM users WHERE id = ANY (%s)",
                 ([star, crowd[2], crowd[3]],))
        self.assertEqual(self.active(fan), (0, 2))
        self.assertEqual(self.list_total(fan, "following"), 2)
        self.assert_counters_exact()

    def test_delete_vetoed_by_a_host_trigger(self):
        star, fan, crowd = self.star(2)
        name = ft.unique_name("veto").replace("-", "_")
        self.sql("CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN RETURN NULL; END $$" % name)
        self.addCleanup(self.sql, "DROP FUNCTION %s() CASCADE" % name)
        self.sql("CREATE TRIGGER %s BEFORE DELETE ON users FOR EACH ROW "
                 "WHEN (OLD.id = %d) EXECUTE FUNCTION %s()"
                 % (name, crowd[0], name))
        self.sql("DELETE FROM users WHERE id = %s", (crowd[0],))
        self.assertEqual(self.count_follows(crowd[0]) +
                         self.count_follows(None, crowd[0]), 2)
        self.assertEqual(self.active(star), (2, 0))
        self.assert_counters_exact()

    def test_api_follow_of_a_user_followed_by_inactive_ones(self):
        self.need_keys()
        star, fan, crowd = self.star(3)
        self.sql("UPDATE users SET is_active = false WHERE id = %s",
                 (crowd[2],))
        me = self.make_user()
        r = self.api("POST", "/users/%d/follow" % star,
                     token=self.token_for(me))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["follower_count"], 4)  # every row counts
        self.assertEqual(self.list_total(star, "followers"), 3)
        self.assertEqual(self.active(me), (0, 1))
        self.assert_counters_exact()


class ServiceRole(ScratchCase):
    """sql/service-role.sql is enough for the API's writes, and the
    counters stay exact: the triggers run with the caller's rights."""

    prefix = "follow_role"

    def test_follow_and_unfollow_with_exactly_the_grants(self):
        cur = self.scratch().cursor()
        role = "follow_svc_%d" % os.getpid()
        cur.execute('CREATE ROLE "%s" LOGIN' % role)
        self.addCleanup(self.drop_role, role)
        r = subprocess.run(
            ["psql", "-X", "-q", "-v", "role=" + role, "-f",
             os.path.join(SRCDIR, "sql", "service-role.sql"),
             type(self).scratch_dsn], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout.decode(errors="replace"))
        cur.execute("INSERT INTO users (username, is_active) SELECT 'r' || g,"
                    " g <> 3 FROM generate_series(1, 4) g RETURNING id")
        a, b, off, c = sorted(x[0] for x in cur.fetchall())
        cur.execute("INSERT INTO user_follows VALUES (%s, %s)", (off, b))
        svc = psycopg2.connect(psycopg2.extensions.make_dsn(
            type(self).scratch_dsn, user=role))
        svc.autocommit = True
        self.addCleanup(svc.close)
        s = svc.cursor()
        for fn, x, y, want in (("follow_user", a, b, ("ok", 2)),
                               ("follow_user", c, b, ("ok", 3)),
                               ("unfollow_user", a, b, ("ok", 2)),
                               ("follow_user", b, a, ("ok", 1))):
            s.execute("SELECT * FROM %s(%%s, NULL, %%s)" % fn, (x, y))
            self.assertEqual(s.fetchone(), want)
        # Nothing else of users is the service's to write.
        with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
            s.execute("UPDATE users SET is_active = false WHERE id = %s",
                      (a,))
        cur.execute("SELECT active_follower_count FROM users WHERE id = %s",
                    (b,))
        self.assertEqual(cur.fetchone()[0], 1)      # c; off is inactive
        self.assertEqual(counter_drift(cur), [])

    def drop_role(self, role):
        drop_db(self.dsn, type(self).scratch_name)
        type(self).scratch_name = None
        conn = psycopg2.connect(self.dsn)
        conn.autocommit = True
        conn.cursor().execute('DROP ROLE IF EXISTS "%s"' % role)
        conn.close()


class ActiveHammer(ScratchCase):
    """Follows, unfollows, host SQL, (de)activation, deletes and creations
    at once, in a database of its own; every counter exact at the end.
    Deadlocks are allowed here (and counted): a deactivation holds its
    user's row while it locks the neighbours, which a concurrent change of
    a follow between them locks the other way round; PostgreSQL aborts one
    of the two whole, and the service retries its statement."""

    prefix = "follow_active"

    def test_hammer(self):
        setup = self.scratch().cursor()
        dsn = type(self).scratch_dsn
        setup.execute("INSERT INTO users (username) SELECT 'h' || g "
                      "FROM generate_series(1, 40) g RETURNING id")
        users = sorted(r[0] for r in setup.fetchall())
        setup.execute("INSERT INTO user_follows (follower_id, following_id) "
                      "SELECT a, b FROM unnest(%s::bigint[]) a, "
                      "unnest(%s::bigint[]) b WHERE a <> b AND "
                      "(a * 7 + b) %% 5 = 0", (users, users))
        lock = threading.Lock()
        pool = list(users)
        stats = {"ops": 0, "deadlocks": 0, "pg_multixact_race": 0,
                 "toggles": 0, "deleted": 0, "gone": 0}
        errors = []
        deadline = time.monotonic() + HAMMER_SECONDS

        def bump(key):
            with lock:
                stats[key] += 1

        def two(rng):
            with lock:
                return rng.choice(pool), rng.choice(pool)

        def step(cur, rng):
            a, b = two(rng)
            op = rng.randrange(10)
            if op < 4:
                fn = "follow_user" if op < 2 else "unfollow_user"
                cur.execute("SELECT * FROM %s(%%s, NULL, %%s)" % fn, (a, b))
            elif op < 6:
                cur.execute("UPDATE users SET is_active = NOT is_active "
                            "WHERE id = %s", (a,))
                bump("toggles")
            elif op == 6:
                cur.execute("INSERT INTO user_follows (follower_id, "
                            "following_id) SELECT x, y FROM unnest(%s::"
                            "bigint[]) x, unnest(%s::bigint[]) y WHERE "
                            "x <> y ON CONFLICT DO NOTHING",
                            (list(two(rng)), list(two(rng))))
            elif op == 7:
                cur.execute("DELETE FROM user_follows WHERE follower_id = "
                            "%s OR following_id = %s", (a, b))
            elif op == 8:
                cur.execute("UPDATE users SET is_active = (id %% 2 = 0) "
                            "WHERE id = ANY (%s)", (list(two(rng)),))
                bump("toggles")
            else:
                with lock:
                    if len(pool) < 24:
                        return
                    pool.remove(a)
                cur.execute("DELETE FROM users WHERE id = %s", (a,))
                cur.execute("INSERT INTO users (username, is_active) "
                            "VALUES (%s, %s) RETURNING id",
                            (ft.unique_name("n"), rng.random() < 0.7))
                new = cur.fetchone()[0]
                with lock:
                    pool.append(new)
                bump("deleted")

        def worker(i):
            rng = random.Random(SEED * 10 + i)
            try:
                conn = psycopg2.connect(dsn)
                conn.autocommit = True
                cur = conn.cursor()
                while time.monotonic() < deadline:
                    try:
                        step(cur, rng)
                        bump("ops")
                    except psycopg2.errors.DeadlockDetected:
                        bump("deadlocks")
                    except psycopg2.errors.ForeignKeyViolation:
                        bump("gone")        # a user deleted meanwhile
                    except psycopg2.errors.InternalError_ as e:
                        if not pg_multixact_race(e):
                            raise
                        bump("pg_multixact_race")
                conn.close()
            except Exception as e:
                with lock:
                    errors.append("thread %d: %s: %s" %
                                  (i, e.__class__.__name__, e))

        threads = [threading.Thread(target=worker, args=(i,))
                   for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HAMMER_SECONDS + 60)
        self.assertFalse(any(t.is_alive() for t in threads), "hung threads")
        print("# active hammer seed=%d %.1fs: %s" % (SEED, HAMMER_SECONDS,
              ", ".join("%s=%d" % kv for kv in sorted(stats.items()))))
        sys.stdout.flush()
        self.assertEqual(errors, [])
        self.assertGreater(stats["ops"], 200, "the threads barely ran")
        self.assertGreater(stats["toggles"], 0)
        self.assertGreater(stats["deleted"], 0)
        self.assertEqual(counter_drift(setup), [])


if __name__ == "__main__":
    ft.main()
