/*
 * bench/gen.sql - a deterministic benchmark data set, generated inside
 * PostgreSQL (generate_series and random() after setseed), so that two runs
 * of the same scale load the same graph.
 *
 * psql variables (bench/run sets them per scale):
 *   users    number of users (ids 1 .. users)
 *   writers  the last `writers` ids follow nobody: the write scenarios use
 *            them as followers, so every follow they send inserts a row
 *   xm       Pareto scale of "how many accounts a user follows" (shape
 *            1.2, capped at 5000): mean about 4.2 * xm
 *   posts    number of posts
 *
 * Shape: users 1..3 are celebrities followed by 80%, 60% and 50% of all
 * users; everybody else is picked with probability falling as a power of
 * the id (low ids are popular). Every 50th reader (id % 50 = 7) is
 * inactive (writers are all active).
 * Posts are skewed by author the same way; 5% are drafts, 3% deleted;
 * about half carry one or two of 50 tags.
 *
 * The bulk load runs with the user_follows counter triggers disabled and
 * backfills the counters in one pass at the end: a million-row statement
 * is cheap through the statement-level triggers too, but their locking and
 * transition tables would double the load time for nothing here. It must
 * never run against a database that matters: it truncates every table.
 */

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
/* One process, one random() sequence: deterministic. */
SET max_parallel_workers_per_gather = 0;
SET maintenance_work_mem = '512MB';
SET work_mem = '256MB';
SET synchronous_commit = off;
/*
 * Skip the foreign key checks too (two index probes per row for ten
 * million follows): the generator only makes rows that satisfy them.
 * Needs a superuser, which the private tests/stack database user is;
 * without one the load is just slower.
 */
SELECT rolsuper AS is_super FROM pg_roles WHERE rolname = current_user \gset
\if :is_super
SET session_replication_role = replica;
\endif

TRUNCATE post_tags, tags, posts, user_follows, users RESTART IDENTITY CASCADE;

SELECT setseed(0.42);

INSERT INTO users (id, username, display_name, is_active, created_at)
SELECT i, 'user' || i, 'User ' || i,
    (i <= 3 OR i > :users - :writers OR i % 50 <> 7),
    timestamptz '2025-01-01' + i * interval '1 second'
FROM generate_series(1, :users) AS i;
SELECT setval(pg_get_serial_sequence('users', 'id'), :users);

ALTER TABLE user_follows DISABLE TRIGGER USER;
ALTER TABLE posts DISABLE TRIGGER USER;
ALTER TABLE users DISABLE TRIGGER USER;

/*
 * Secondary indexes are rebuilt after the load: one sort each instead of
 * ten million random inserts. The primary key stays (it is the dedup).
 */
DROP INDEX IF EXISTS user_follows_followers_idx;
DROP INDEX IF EXISTS user_follows_following_idx;
ALTER TABLE user_follows DROP CONSTRAINT IF EXISTS user_follows_pkey;

INSERT INTO user_follows (follower_id, following_id, created_at)
SELECT DISTINCT ON (follower_id, following_id) follower_id, following_id,
    created_at
FROM (
	/* Celebrities ("0 * f": one draw per pair, not per VALUES row). */
	SELECT f AS follower_id, c AS following_id,
	    timestamptz '2025-06-01' + random() * interval '300 days'
		AS created_at
	FROM generate_series(1, :users - :writers) AS f,
	    (VALUES (1, 0.8), (2, 0.6), (3, 0.5)) AS cel(c, p)
	WHERE random() + 0 * f < cel.p AND f <> c
	UNION ALL
	/*
	 * Users 11..20 follow exactly 5000 accounts and 21..30 exactly 50
	 * (the feed scenarios compare them): distinct ids by stepping a
	 * prime through the id space.
	 */
	SELECT f, 1 + (f * 7919 + j * 104729) % (:users - 1),
	    timestamptz '2025-06-01' + random() * interval '300 days'
	FROM generate_series(11, 30) AS f,
	    generate_series(1, CASE WHEN f <= 20 THEN 5000 ELSE 50 END) AS j
	UNION ALL
	/* Everybody else: k ~ Pareto(xm, 1.2) accounts, popular ones likelier. */
	SELECT u.f,
	    1 + floor((:users - 1) * power(random() + 0 * j, 2.2))::bigint,
	    timestamptz '2025-06-01' + random() * interval '300 days'
	FROM (SELECT f, least(5000,
		floor(:xm / power(1 - random() + 0 * f, 1 / 1.2)))::integer AS k
	    FROM generate_series(1, :users - :writers) AS f
	    WHERE f NOT BETWEEN 11 AND 30) u,
	    generate_series(1, u.k) AS j
) x
WHERE follower_id <> following_id
ORDER BY follower_id, following_id;

ALTER TABLE user_follows ADD CONSTRAINT user_follows_pkey
	PRIMARY KEY (follower_id, following_id);
CREATE INDEX user_follows_followers_idx
	ON user_follows (following_id, created_at DESC, follower_id DESC);
CREATE INDEX user_follows_following_idx
	ON user_follows (follower_id, created_at DESC, following_id DESC);
ALTER TABLE user_follows ENABLE TRIGGER USER;

INSERT INTO tags (id, name)
SELECT i, 'tag' || i FROM generate_series(1, 50) AS i;
SELECT setval(pg_get_serial_sequence('tags', 'id'), 50);

/* Secondary post indexes after the load, for the same reason. */
DROP INDEX IF EXISTS posts_feed_idx;
DROP INDEX IF EXISTS posts_author_id_idx;
SELECT to_regclass('posts_feed_time_author_idx') IS NOT NULL
    AS had_time_idx \gset
DROP INDEX IF EXISTS posts_feed_time_author_idx;

INSERT INTO posts (id, author_id, title, body, status, created_at,
    deleted_at)
SELECT i, a, 'Post ' || i, 'Body of post ' || i || ' by user ' || a || '.',
    CASE WHEN r < 0.05 THEN 'draft' ELSE 'published' END, t,
    CASE WHEN r >= 0.05 AND r < 0.08 THEN t + interval '1 day' END
FROM (SELECT i, 1 + floor((:users - 1) * power(random(), 2.0))::bigint AS a,
	random() AS r,
	timestamptz '2025-06-01' + random() * interval '300 days' AS t
    FROM generate_series(1, :posts) AS i) p;
SELECT setval(pg_get_serial_sequence('posts', 'id'), :posts);

ALTER TABLE post_tags DISABLE TRIGGER USER;
INSERT INTO post_tags (post_id, tag_id)
SELECT DISTINCT p.id, 1 + floor(50 * power(random(), 1.5))::bigint
FROM posts p, generate_series(1, 2) AS j
WHERE p.id % 2 = 0 AND (j = 1 OR p.id % 3 = 0);
ALTER TABLE post_tags ENABLE TRIGGER USER;
/*
 * The names each post carries since 006, in one pass, before the
 * secondary indexes exist (a row rewritten then updates only the key).
 */
SELECT to_regproc('follow_tag_names_rebuild') IS NOT NULL
    AS has_tag_names \gset
\if :has_tag_names
SELECT follow_tag_names_rebuild();
\endif

CREATE INDEX IF NOT EXISTS posts_author_id_idx ON posts (author_id);
CREATE INDEX IF NOT EXISTS posts_feed_idx
	ON posts (author_id, created_at DESC, id DESC)
	WHERE status = 'published' AND deleted_at IS NULL;
\if :had_time_idx
CREATE INDEX posts_feed_time_author_idx ON posts (created_at DESC, id DESC)
	INCLUDE (author_id) WHERE status = 'published' AND deleted_at IS NULL;
\endif

ALTER TABLE posts ENABLE TRIGGER USER;
ALTER TABLE users ENABLE TRIGGER USER;
RESET session_replication_role;
/*
 * The cached counters, exactly, in one pass each (the triggers were off):
 * the schema's own recount, or on a schema older than 002 (which has
 * none) the two follow counters it had.
 */
DO $$
BEGIN
	IF to_regproc('follow_caches_rebuild') IS NOT NULL THEN
		PERFORM follow_caches_rebuild();
	ELSE
		UPDATE users u SET follower_count = coalesce(fr.n, 0),
		    following_count = coalesce(fg.n, 0)
		FROM users v
		LEFT JOIN (SELECT following_id AS id, count(*)::integer AS n
			FROM user_follows GROUP BY 1) fr ON fr.id = v.id
		LEFT JOIN (SELECT follower_id AS id, count(*)::integer AS n
			FROM user_follows GROUP BY 1) fg ON fg.id = v.id
		WHERE u.id = v.id;
	END IF;
END
$$;

VACUUM ANALYZE;
