#!/usr/bin/python3
"""users.follower_count / following_count and the SQL functions the worker
calls (sql/001_schema.sql): single operations through follow_user(),
unfollow_user() and plain SQL, then a concurrent hammer that must leave every
counter equal to the real count and never deadlock an API call.

Must never depend on another test's rows and never change them: the single
operations make their own users in the stack's database; TRUNCATE and the
hammer run in a scratch database of their own (created with the stack's DSN,
a superuser there, migrated with sql/migrate, dropped afterwards).
"""

import os
import random
import subprocess
import sys
import threading
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
SEED = int(os.environ.get("FOLLOW_TEST_SEED", "20261124"))
HAMMER_SECONDS = float(os.environ.get("FOLLOW_HAMMER_SECONDS", "5"))
THREADS = 16
API_THREADS = 6


def scratch_db(test, dsn, prefix):
    """Create and migrate a scratch database; return its DSN.  The test's
    class drops it in tearDownClass (see ScratchCase)."""
    if psycopg2 is None:
        test.skipTest("python3-psycopg2 is not installed")
    name = "%s_%d_%d" % (prefix, os.getpid(), int(time.time() * 1000))
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    with admin.cursor() as c:
        c.execute('CREATE DATABASE "%s"' % name)
        # Deadlocks between host-style transactions are expected in the
        # hammer; detect them in 20ms rather than a second, so the rest of
        # the threads are not stuck behind them (superuser only: optional).
        try:
            c.execute('ALTER DATABASE "%s" SET deadlock_timeout = 20' % name)
        except psycopg2.Error:
            pass
    admin.close()
    sdsn = psycopg2.extensions.make_dsn(dsn, dbname=name)
    r = subprocess.run([os.path.join(SRCDIR, "sql", "migrate"), sdsn],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    if r.returncode != 0:
        raise AssertionError("sql/migrate failed: %s" %
                             r.stdout.decode("utf-8", "replace"))
    return name, sdsn


def drop_db(dsn, name):
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    with admin.cursor() as c:
        c.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    admin.close()


def counter_drift(cur, ids=None):
    """Cached counters that differ from a recount (at most 20), as
    (id, counter, cached, recount)."""
    cur.execute("SELECT * FROM follow_caches_wrong() "
                "WHERE %s::bigint[] IS NULL OR id = ANY (%s) LIMIT 20",
                (ids, ids))
    return cur.fetchall()


# ------------------------------------------------------ single operations

class FollowFunctions(ft.TestCase):
    """follow_user() / unfollow_user() answers, in the stack's database."""

    def call(self, fn, caller, target, iat=None):
        rows = self.sql("SELECT result, follower_count FROM %s(%%s, %%s, %%s)"
                        % fn, (caller, iat, target))
        self.assertEqual(len(rows), 1, "%s must return exactly one row" % fn)
        return tuple(rows[0])

    def follow(self, caller, target, iat=None):
        return self.call("follow_user", caller, target, iat)

    def unfollow(self, caller, target, iat=None):
        return self.call("unfollow_user", caller, target, iat)

    def test_follow_then_unfollow(self):
        a, b, c = self.make_users(3)
        self.assertEqual(self.follow(a, b), ("ok", 1))
        self.assertEqual(self.follow(c, b), ("ok", 2))
        self.assertEqual(self.counters(a), (0, 1))
        self.assertEqual(self.unfollow(a, b), ("ok", 1))
        self.assertEqual(self.counters(a), (0, 0))
        self.assertEqual(self.counters(b), (1, 0))
        self.assertEqual(self.count_follows(a, b), 0)
        self.assert_counters_exact()

    def test_follow_twice_is_ok_unchanged(self):
        a, b = self.make_users(2)
        self.assertEqual(self.follow(a, b), ("ok", 1))
        self.assertEqual(self.follow(a, b), ("ok", 1))
        self.assertEqual(self.count_follows(a, b), 1)
        self.assertEqual(self.counters(a), (0, 1))

    def test_unfollow_not_following(self):
        a, b = self.make_users(2)
        self.assertEqual(self.unfollow(a, b), ("not_following", None))
        self.follow(a, b)
        self.unfollow(a, b)
        self.assertEqual(self.unfollow(a, b), ("not_following", None))
        self.assertEqual(self.counters(b), (0, 0))

    def test_self(self):
        a = self.make_user()
        self.assertEqual(self.follow(a, a), ("self", None))
        self.assertEqual(self.unfollow(a, a), ("self", None))
        self.assertEqual(self.counters(a), (0, 0))

    def test_target_missing_or_inactive(self):
        a = self.make_user()
        gone = self.make_user()
        self.sql("DELETE FROM users WHERE id = %s", (gone,))
        off = self.make_user(active=False)
        for fn in ("follow_user", "unfollow_user"):
            for t in (gone, off, 9000000000000000000):
                with self.subTest(fn=fn, target=t):
                    self.assertEqual(self.call(fn, a, t), ("not_found", None))
        self.assertEqual(self.counters(a), (0, 0))
        self.assertEqual(self.counters(off), (0, 0))

    def test_unfollow_inactive_target_keeps_row(self):
        a, b = self.make_users(2)
        self.follow(a, b)
        self.sql("UPDATE users SET is_active = false WHERE id = %s", (b,))
        self.assertEqual(self.unfollow(a, b), ("not_found", None))
        self.assertEqual(self.count_follows(a, b), 1)

    def test_invalid_caller(self):
        b = self.make_user()
        gone = self.make_user()
        self.sql("DELETE FROM users WHERE id = %s", (gone,))
        off = self.make_user(active=False)
        for fn in ("follow_user", "unfollow_user"):
            for caller in (gone, off, None):
                with self.subTest(fn=fn, caller=caller):
                    self.assertEqual(self.call(fn, caller, b),
                                     ("invalid_token", None))
            # invalid_token is checked before self and not_found
            self.assertEqual(self.call(fn, off, off), ("invalid_token", None))
            self.assertEqual(self.call(fn, gone, gone),
                             ("invalid_token", None))
        self.assertEqual(self.counters(b), (0, 0))

    def test_revocation_is_exact(self):
        """SPEC 3: a token whose iat is earlier than sessions_revoked_at is
        refused, also when both fall in the same second."""
        a, b = self.make_users(2)
        t = 1800000000
        self.sql("UPDATE users SET sessions_revoked_at = "
                 "to_timestamp(%s + 0.75) WHERE id = %s", (t, a))
        for iat, ok in ((None, False), (t - 1, False), (t, False),
                        (t + 1, True)):
            with self.subTest(iat=iat):
                self.assertIs(self.sql1("SELECT follow_session_ok(%s, %s)",
                                        (a, iat)), ok)
                self.assertEqual(self.follow(a, b, iat)[0],
                                 "ok" if ok else "invalid_token")
        self.assertIs(self.sql1("SELECT follow_session_ok(%s, NULL)", (b,)),
                      True)
        self.assertIs(self.sql1("SELECT follow_session_ok(%s, 1)", (b,)),
                      True)
        self.assertIs(self.sql1("SELECT follow_session_ok(NULL, 1)"), False)

    def test_count_is_after_own_change(self):
        """The count answered is the target's count including this follow,
        also when others follow the same target in the same second."""
        t = self.make_user()
        fans = self.make_users(5)
        for i, f in enumerate(fans, 1):
            self.assertEqual(self.follow(f, t), ("ok", i))
        for i, f in enumerate(fans, 1):
            self.assertEqual(self.unfollow(f, t), ("ok", 5 - i))


class CountersBySql(ft.TestCase):
    """Whatever SQL changes user_follows, the counters follow."""

    def test_self_follow_refused(self):
        a = self.make_user()
        with self.assertRaises(psycopg2.errors.CheckViolation):
            self.follow_sql(a, a)
        self.assertEqual(self.counters(a), (0, 0))

    def test_duplicate_refused(self):
        a, b = self.make_users(2)
        self.follow_sql(a, b)
        with self.assertRaises(psycopg2.errors.UniqueViolation):
            self.follow_sql(a, b)
        self.assertEqual(self.counters(b), (1, 0))

    def test_insert_select_and_delete_bulk(self):
        us = self.make_users(12)
        self.sql("INSERT INTO user_follows (follower_id, following_id) "
                 "SELECT a, b FROM unnest(%s::bigint[]) a, "
                 "unnest(%s::bigint[]) b WHERE a <> b", (us, us))
        for u in us:
            self.assertEqual(self.counters(u), (11, 11))
        self.sql("DELETE FROM user_follows WHERE follower_id = ANY (%s) "
                 "AND following_id = ANY (%s)", (us[:4], us))
        self.assertEqual(self.counters(us[0]), (11 - 3, 0))
        self.assertEqual(self.counters(us[5]), (11 - 4, 11))
        self.assertEqual(counter_drift(self.db.cursor(), us), [])

    def test_update_moves_counts(self):
        a, b, c, d = self.make_users(4)
        self.follow_sql(a, b)
        self.follow_sql(c, b)
        # a -> b becomes a -> d: b loses a follower, d gains one
        self.sql("UPDATE user_follows SET following_id = %s "
                 "WHERE follower_id = %s AND following_id = %s", (d, a, b))
        self.assertEqual(self.counters(b), (1, 0))
        self.assertEqual(self.counters(d), (1, 0))
        # c -> b becomes d -> b: c follows nobody, d follows b
        self.sql("UPDATE user_follows SET follower_id = %s "
                 "WHERE follower_id = %s AND following_id = %s", (d, c, b))
        self.assertEqual(self.counters(c), (0, 0))
        self.assertEqual(self.counters(d), (1, 1))
        self.assertEqual(self.counters(b), (1, 0))
        # swapping both columns of several rows at once
        self.follow_sql(a, b)
        self.sql("UPDATE user_follows SET follower_id = following_id, "
                 "following_id = follower_id WHERE follower_id = ANY (%s)",
                 ([a, d],))
        self.assertEqual(self.counters(a), (2, 0))
        self.assertEqual(counter_drift(self.db.cursor(), [a, b, c, d]), [])
        # touching created_at only changes nothing
        self.sql("UPDATE user_follows SET created_at = created_at - "
                 "interval '1 day' WHERE following_id = ANY (%s)", ([a, b],))
        self.assertEqual(counter_drift(self.db.cursor(), [a, b, c, d]), [])

    def test_user_delete_cascades(self):
        a, b, c, d = self.make_users(4)
        self.follow_sql(a, b)
        self.follow_sql(a, c)
        self.follow_sql(d, a)
        self.follow_sql(b, c)
        self.sql("DELETE FROM users WHERE id = %s", (a,))
        self.assertEqual(self.count_follows(a), 0)
        self.assertEqual(self.count_follows(None, a), 0)
        self.assertEqual(self.counters(b), (0, 1))
        self.assertEqual(self.counters(c), (1, 0))
        self.assertEqual(self.counters(d), (0, 0))
        # several related users in one statement
        self.follow_sql(c, d)
        self.follow_sql(d, b)
        self.sql("DELETE FROM users WHERE id = ANY (%s)", ([b, d],))
        self.assertEqual(self.counters(c), (0, 0))

    def test_transaction_rollback_leaves_counts(self):
        a, b = self.make_users(2)
        with self.db.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO user_follows (follower_id, following_id)"
                        " VALUES (%s, %s)", (a, b))
            cur.execute("SELECT follower_count FROM users WHERE id = %s",
                        (b,))
            self.assertEqual(cur.fetchone()[0], 1)
            cur.execute("ROLLBACK")
        self.assertEqual(self.counters(b), (0, 0))


# ------------------------------------------------------------- scratch db

class ScratchCase(ft.TestCase):
    """A TestCase owning a freshly migrated database of its own."""

    prefix = "follow_scratch"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scratch_name = None

    @classmethod
    def tearDownClass(cls):
        if cls.scratch_name is not None:
            drop_db(cls.dsn, cls.scratch_name)
        super().tearDownClass()

    def scratch(self):
        cls = type(self)
        if cls.scratch_name is None:
            cls.scratch_name, cls.scratch_dsn = scratch_db(
                self, self.dsn, self.prefix)
        conn = psycopg2.connect(cls.scratch_dsn)
        conn.autocommit = True
        self.addCleanup(conn.close)
        return conn


class Truncate(ScratchCase):
    prefix = "follow_trunc"

    def test_truncate_zeroes_counters(self):
        cur = self.scratch().cursor()
        cur.execute("INSERT INTO users (username) SELECT 'tz' || g "
                    "FROM generate_series(1, 20) g RETURNING id")
        us = sorted(r[0] for r in cur.fetchall())
        cur.execute("INSERT INTO user_follows (follower_id, following_id) "
                    "SELECT a, b FROM unnest(%s::bigint[]) a, "
                    "unnest(%s::bigint[]) b "
                    "WHERE a <> b AND (a + b) %% 3 = 0", (us, us))
        cur.execute("SELECT sum(follower_count), sum(following_count) "
                    "FROM users")
        self.assertGreater(cur.fetchone()[0], 0)
        self.assertEqual(counter_drift(cur), [])
        cur.execute("TRUNCATE user_follows")
        cur.execute("SELECT count(*) FROM users WHERE follower_count <> 0 "
                    "OR following_count <> 0")
        self.assertEqual(cur.fetchone()[0], 0)
        # and counting starts again from zero
        cur.execute("SELECT result, follower_count FROM "
                    "follow_user(%s, NULL, %s)", (us[0], us[1]))
        self.assertEqual(cur.fetchone(), ("ok", 1))
        self.assertEqual(counter_drift(cur), [])

    def test_truncate_rolled_back(self):
        cur = self.scratch().cursor()
        cur.execute("INSERT INTO users (username) VALUES ('tr1'), ('tr2') "
                    "RETURNING id")
        a, b = [r[0] for r in cur.fetchall()]
        cur.execute("INSERT INTO user_follows (follower_id, following_id) "
                    "VALUES (%s, %s)", (a, b))
        cur.execute("BEGIN")
        cur.execute("TRUNCATE user_follows")
        cur.execute("ROLLBACK")
        self.assertEqual(counter_drift(cur), [])
        cur.execute("SELECT follower_count FROM users WHERE id = %s", (b,))
        self.assertEqual(cur.fetchone()[0], 1)


# ------------------------------------------------------------------ hammer

RETRYABLE = ()
if psycopg2 is not None:
    RETRYABLE = (psycopg2.errors.DeadlockDetected,
                 psycopg2.errors.SerializationFailure)
    # An operation on users/follows that another thread just deleted.
    EXPECTED = (psycopg2.errors.UniqueViolation,
                psycopg2.errors.ForeignKeyViolation)


def pg_multixact_race(e):
    """PostgreSQL's own race, not a counter bug: a transaction that holds a
    KEY SHARE lock (a foreign key check) and then updates the row, just as
    another updater of that row is aborting (a deadlock victim), can fail
    with this internal error; that transaction is rolled back, nothing is
    miscounted, and a retry succeeds. Counted and reported, not failed."""
    return isinstance(e, psycopg2.errors.InternalError_) and \
        "more than one updating member" in str(e)


class Hammer(ScratchCase):
    """16 connections for a few seconds of random follows, unfollows, bulk
    statements, transactions, user deletions and creations."""

    prefix = "follow_hammer"

    def test_hammer(self):
        setup = self.scratch().cursor()
        dsn = type(self).scratch_dsn
        # Who touches whom. A transaction that changes follows in several
        # statements locks users out of order by construction; it can
        # deadlock with anything that waits on it, directly or through a
        # chain of waits (a user DELETE, a statement waiting for a key it
        # inserted, ...), an API call included. So the "txn" users are
        # touched only by such transactions, and never follow or are
        # followed by anyone else. Everything else shares the "api" and
        # "sql" users: the API threads call follow_user()/unfollow_user()
        # on "api" users, single SQL statements (the host's, incl. multi-
        # row ones) change follows among "api" and "sql" users, and one
        # thread deletes (cascade) and creates "api" and "sql" users. None
        # of that may ever deadlock an API call.
        setup.execute("INSERT INTO users (username) SELECT 'api' || g "
                      "FROM generate_series(1, 24) g RETURNING id")
        api_users = sorted(r[0] for r in setup.fetchall())
        setup.execute("INSERT INTO users (username) SELECT 'sql' || g "
                      "FROM generate_series(1, 40) g RETURNING id")
        sql_users = sorted(r[0] for r in setup.fetchall())
        setup.execute("INSERT INTO users (username) SELECT 'txn' || g "
                      "FROM generate_series(1, 16) g RETURNING id")
        txn_users = sorted(r[0] for r in setup.fetchall())
        pairs = [(api_users[i], api_users[i + 1])
                 for i in range(0, 8, 2)]        # hot A<->B pairs

        lock = threading.Lock()
        stats = {"ops": 0, "api": 0, "api_deadlocks": 0, "sql_deadlocks": 0,
                 "serialization": 0, "expected_errors": 0, "created": 0,
                 "deleted": 0, "pg_multixact_race": 0}
        errors = []
        pool = {"api": list(api_users), "sql": list(sql_users),
                "txn": txn_users}
        deadline = time.monotonic() + HAMMER_SECONDS

        def bump(key, n=1):
            with lock:
                stats[key] += n

        def pick(rng, kind, n=1):
            with lock:
                p = pool[kind]
                return [rng.choice(p) for _ in range(n)]

        def both(rng, n):
            with lock:
                p = pool["api"] + pool["sql"]
                return [rng.choice(p) for _ in range(n)]

        def api_worker(rng, conn):
            cur = conn.cursor()
            while time.monotonic() < deadline:
                if rng.random() < 0.6:
                    a, b = rng.choice(pairs)
                    if rng.random() < 0.5:
                        a, b = b, a
                else:
                    a, b = pick(rng, "api", 2)
                fn = "follow_user" if rng.random() < 0.6 else "unfollow_user"
                try:
                    cur.execute("SELECT result, follower_count FROM "
                                "%s(%%s, NULL, %%s)" % fn, (a, b))
                    res, n = cur.fetchone()
                except psycopg2.errors.DeadlockDetected as e:
                    bump("api_deadlocks")
                    with lock:
                        errors.append("API deadlock: %s" % e)
                    continue
                except psycopg2.errors.SerializationFailure:
                    bump("serialization")
                    continue
                except psycopg2.errors.InternalError_ as e:
                    if not pg_multixact_race(e):
                        raise
                    bump("pg_multixact_race")
                    continue
                bump("api")
                ok = {"follow_user": {"ok", "self", "not_found",
                                      "invalid_token"},
                      "unfollow_user": {"ok", "self", "not_found",
                                        "invalid_token", "not_following"}}
                least = 1 if fn == "follow_user" else 0
                if res not in ok[fn] or (res == "ok") != (n is not None) or \
                        (res == "ok" and n < least):
                    with lock:
                        errors.append("%s(%s, %s) -> %r, %r" %
                                      (fn, a, b, res, n))

        def run_sql(cur, rng, op):
            if op == "insert":
                a, b = both(rng, 2)
                if a == b:
                    return
                cur.execute("INSERT INTO user_follows (follower_id, "
                            "following_id) VALUES (%s, %s)" +
                            (" ON CONFLICT DO NOTHING"
                             if rng.random() < 0.5 else ""), (a, b))
            elif op == "delete":
                a, b = both(rng, 2)
                cur.execute("DELETE FROM user_follows WHERE follower_id = %s "
                            "AND following_id = %s", (a, b))
            elif op == "insert_select":
                fs = both(rng, rng.randint(1, 5))
                ts = both(rng, rng.randint(1, 8))
                cur.execute("INSERT INTO user_follows (follower_id, "
                            "following_id) SELECT a, b FROM "
                            "unnest(%s::bigint[]) a, unnest(%s::bigint[]) b "
                            "WHERE a <> b ON CONFLICT DO NOTHING", (fs, ts))
            elif op == "delete_many":
                fs = both(rng, rng.randint(1, 4))
                ts = both(rng, rng.randint(1, 10))
                cur.execute("DELETE FROM user_follows WHERE follower_id = "
                            "ANY (%s) AND following_id = ANY (%s)", (fs, ts))
            elif op == "update":
                a, b, c = both(rng, 3)
                cur.execute("UPDATE user_follows SET following_id = %s "
                            "WHERE follower_id = %s AND following_id = %s "
                            "AND %s <> follower_id", (c, a, b, c))
            elif op == "transaction":
                cur.execute("BEGIN")
                try:
                    for _ in range(rng.randint(2, 5)):
                        a, b = pick(rng, "txn", 2)
                        if a == b:
                            continue
                        if rng.random() < 0.6:
                            cur.execute("INSERT INTO user_follows "
                                        "(follower_id, following_id) VALUES "
                                        "(%s, %s) ON CONFLICT DO NOTHING",
                                        (a, b))
                        else:
                            cur.execute("DELETE FROM user_follows WHERE "
                                        "follower_id = %s AND following_id "
                                        "= %s", (a, b))
                    cur.execute("COMMIT" if rng.random() < 0.8
                                else "ROLLBACK")
                except Exception:
                    cur.execute("ROLLBACK")
                    raise

        def lifecycle_worker(rng, conn):
            """The one thread that deletes (cascade) and creates users.
            One only: two DELETEs of related users lock each other's rows
            out of order, like any host transaction doing so."""
            cur = conn.cursor()
            hot = {u for p in pairs for u in p}
            n = 0
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0, 0.02))
                kind = "api" if rng.random() < 0.4 else "sql"
                try:
                    if rng.random() < 0.5:
                        with lock:
                            cand = [u for u in pool[kind] if u not in hot]
                            if len(cand) < 12:
                                continue
                            u = rng.choice(cand)
                            pool[kind].remove(u)
                        cur.execute("DELETE FROM users WHERE id = %s", (u,))
                        bump("deleted")
                    else:
                        n += 1
                        cur.execute("INSERT INTO users (username) VALUES "
                                    "(%s) RETURNING id", ("new%d" % n,))
                        u = cur.fetchone()[0]
                        with lock:
                            pool[kind].append(u)
                        bump("created")
                except psycopg2.errors.DeadlockDetected:
                    bump("sql_deadlocks")
                except psycopg2.errors.InternalError_ as e:
                    if not pg_multixact_race(e):
                        raise
                    bump("pg_multixact_race")

        ops = (["insert"] * 30 + ["delete"] * 15 + ["insert_select"] * 10 +
               ["delete_many"] * 8 + ["update"] * 6 + ["transaction"] * 10)

        def sql_worker(rng, conn):
            cur = conn.cursor()
            while time.monotonic() < deadline:
                op = rng.choice(ops)
                try:
                    run_sql(cur, rng, op)
                    bump("ops")
                except psycopg2.errors.DeadlockDetected:
                    bump("sql_deadlocks")
                except psycopg2.errors.SerializationFailure:
                    bump("serialization")
                except EXPECTED:
                    bump("expected_errors")
                except psycopg2.errors.InternalError_ as e:
                    if not pg_multixact_race(e):
                        raise
                    bump("pg_multixact_race")
                    if cur.connection.get_transaction_status() != \
                            psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                        cur.execute("ROLLBACK")

        def thread_main(i):
            rng = random.Random(SEED * 100 + i)
            try:
                conn = psycopg2.connect(dsn)
                conn.autocommit = True
                try:
                    if i < API_THREADS:
                        api_worker(rng, conn)
                    elif i == API_THREADS:
                        lifecycle_worker(rng, conn)
                    else:
                        sql_worker(rng, conn)
                finally:
                    conn.close()
            except Exception as e:
                with lock:
                    errors.append("thread %d: %s: %s" %
                                  (i, e.__class__.__name__, e))

        threads = [threading.Thread(target=thread_main, args=(i,))
                   for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HAMMER_SECONDS + 60)
        self.assertFalse(any(t.is_alive() for t in threads), "hung threads")

        setup.execute("SELECT count(*), (SELECT count(*) FROM users) "
                      "FROM user_follows")
        rows, users = setup.fetchone()
        print("# hammer seed=%d %.1fs: %s; %d follows, %d users at the end"
              % (SEED, HAMMER_SECONDS, ", ".join(
                  "%s=%d" % kv for kv in sorted(stats.items())), rows, users))
        sys.stdout.flush()
        self.assertEqual(errors, [])
        self.assertEqual(stats["api_deadlocks"], 0)
        self.assertGreater(stats["api"], 100, "the API threads barely ran")
        self.assertGreater(stats["ops"], 300, "the SQL threads barely ran")
        self.assertGreater(stats["deleted"], 0)
        self.assertEqual(counter_drift(setup), [])


if __name__ == "__main__":
    ft.main()
