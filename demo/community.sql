/*
 * demo/community.sql - a demo community for a freshly migrated database.
 *
 * 3000 users with a skewed follow graph (five celebrities most people
 * follow, a long tail followed by almost nobody; how many people a user
 * follows is log-uniform between 1 and 150), about 20000 posts with tags,
 * some drafts and deleted posts, and a few dozen inactive users. One user
 * is "demo": scripts/run mints its token. Deterministic: setseed() fixes
 * every random() below, so the same ids and rows come out on every run.
 *
 * Load with: psql "$FOLLOW_DSN" -X -v ON_ERROR_STOP=1 -f demo/community.sql
 * It must only ever run against a demo database: it refuses one that
 * already has a user named "demo", and it never deletes anything.
 * Counters are left to the user_follows triggers, as everywhere.
 */

\set ON_ERROR_STOP 1
BEGIN;

/* One plan, one order of random() calls: no parallel workers. */
SET LOCAL max_parallel_workers_per_gather = 0;

DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM users WHERE username = 'demo') THEN
		RAISE EXCEPTION 'demo/community.sql: this database already '
		    'has a user named demo';
	END IF;
END
$$;

SELECT setseed(0.4242) AS seeded \gset

/*
 * Users: rank 1..3000 decides popularity (rank 1-5 are the celebrities).
 * Ids come from the identity column, so the mapping is kept here.
 */
CREATE TEMP TABLE demo_users (rank int PRIMARY KEY, id bigint NOT NULL)
    ON COMMIT DROP;

WITH names AS (
	SELECT g AS rank,
	    (ARRAY['Ada', 'Alan', 'Barbara', 'Brian', 'Dennis', 'Donald',
		'Edsger', 'Frances', 'Grace', 'Hedy', 'Ken', 'Linus',
		'Margaret', 'Niklaus', 'Radia', 'Rob', 'Sophie', 'Tim',
		'Whitfield', 'Yukihiro'])[1 + floor(random() * 20)::int]
		AS first,
	    (ARRAY['Allen', 'Backus', 'Cerf', 'Dijkstra', 'Engelbart',
		'Floyd', 'Goldberg', 'Hamilton', 'Iverson', 'Jones',
		'Knuth', 'Liskov', 'McCarthy', 'Naur', 'Perlman', 'Ritchie',
		'Stroustrup', 'Thompson', 'Wilson', 'Wirth'])
		[1 + floor(random() * 20)::int] AS last
	FROM generate_series(1, 3000) AS g
), ins AS (
	INSERT INTO users (username, display_name, is_active, created_at)
	SELECT CASE n.rank
		WHEN 1 THEN 'demo'
		ELSE lower(n.first) || '_' || lower(n.last) || '_' || n.rank
	    END,
	    CASE n.rank WHEN 1 THEN 'Demo User'
		ELSE n.first || ' ' || n.last END,
	    /* About 1.5% inactive, never the demo user or a celebrity. */
	    n.rank <= 6 OR random() >= 0.015,
	    now() - interval '2 years' * random()
	FROM names n
	ORDER BY n.rank
	RETURNING id, username
)
INSERT INTO demo_users (rank, id)
SELECT CASE WHEN username = 'demo' THEN 1
	ELSE substring(username FROM '_([0-9]+)$')::int END, id
FROM ins;

/*
 * The demo user is rank 1 in the table above but an ordinary reader:
 * swap it to the end of the popularity order, so ranks 2-6 are the five
 * celebrities.
 */
UPDATE demo_users SET rank = CASE rank WHEN 1 THEN 3001 ELSE rank END;

/*
 * Follows: each user draws a log-uniform number of candidates; each
 * candidate's rank is 2 + floor(2999 * r^4), so low ranks (celebrities)
 * are drawn far more often than the tail. Duplicates and self-follows
 * are dropped.
 */
INSERT INTO user_follows (follower_id, following_id, created_at)
SELECT DISTINCT ON (f.id, t.id) f.id, t.id,
    now() - interval '300 days' * random()
FROM (
	SELECT u.id, u.rank,
	    floor(exp(random() * ln(150)))::int AS k
	FROM demo_users u
	ORDER BY u.rank
) f
CROSS JOIN LATERAL (
	SELECT 2 + floor(2999 * power(random(), 4))::int AS rank
	FROM generate_series(1, f.k) AS s
) c
JOIN demo_users t ON t.rank = LEAST(c.rank, 3001)
WHERE t.id <> f.id
ORDER BY f.id, t.id;

/* The demo user follows every celebrity and a few ordinary people. */
INSERT INTO user_follows (follower_id, following_id, created_at)
SELECT d.id, t.id, now() - interval '1 day' * t.rank
FROM demo_users d, demo_users t
WHERE d.rank = 3001 AND t.rank IN (2, 3, 4, 5, 6, 40, 150, 700, 1200, 2500)
ON CONFLICT DO NOTHING;

/* Some people follow the demo user back. */
INSERT INTO user_follows (follower_id, following_id)
SELECT t.id, d.id
FROM demo_users d, demo_users t
WHERE d.rank = 3001 AND t.rank IN (3, 40, 700, 1999, 2222)
ON CONFLICT DO NOTHING;

/* Tags. */
INSERT INTO tags (name)
SELECT unnest(ARRAY['c', 'postgres', 'nginx', 'unix', 'security',
    'history', 'compilers', 'networking', 'databases', 'performance',
    'testing', 'design', 'music', 'travel', 'food', 'books', 'photography',
    'hiking', 'science', 'art'])
ON CONFLICT (name) DO NOTHING;

/*
 * Posts: celebrities write a lot, most people a little, many nothing.
 * 5% drafts (never in a feed), 1% deleted.
 */
CREATE TEMP TABLE demo_posts (id bigint PRIMARY KEY) ON COMMIT DROP;

WITH plan AS (
	SELECT u.id, u.rank,
	    CASE WHEN u.rank <= 6 THEN 150
		ELSE floor(power(random(), 2.5) * 25)::int END AS n
	FROM demo_users u
	ORDER BY u.rank
), ins AS (
	INSERT INTO posts (author_id, title, body, status, created_at,
	    deleted_at)
	SELECT p.id,
	    (ARRAY['Notes on', 'Why I like', 'A week with', 'Thoughts about',
		'Getting started with', 'Lessons from', 'Against',
		'In defence of'])[1 + floor(random() * 8)::int] || ' ' ||
	    (ARRAY['pointers', 'indexes', 'queues', 'small programs',
		'old manuals', 'the shell', 'slow queries', 'good logs',
		'rate limits', 'trains'])[1 + floor(random() * 10)::int],
	    'Post ' || s || ' by user rank ' || p.rank || '.',
	    CASE WHEN random() < 0.05 THEN 'draft' ELSE 'published' END,
	    now() - interval '180 days' * power(random(), 2),
	    CASE WHEN random() < 0.01 THEN now() ELSE NULL END
	FROM plan p
	CROSS JOIN LATERAL generate_series(1, p.n) AS s
	ORDER BY p.rank, s
	RETURNING id
)
INSERT INTO demo_posts SELECT id FROM ins;

/* Zero to three tags per post, drawn per row in the lateral subquery. */
INSERT INTO post_tags (post_id, tag_id)
SELECT p.id, t.id
FROM demo_posts p
CROSS JOIN LATERAL (
	SELECT (ARRAY['c', 'postgres', 'nginx', 'unix', 'security', 'history',
	    'compilers', 'networking', 'databases', 'performance', 'testing',
	    'design', 'music', 'travel', 'food', 'books', 'photography',
	    'hiking', 'science', 'art'])[1 + floor(random() * 20)::int] AS name
	FROM generate_series(1, floor(random() * 4)::int + 0 * p.id::int) AS s
) d
JOIN tags t ON t.name = d.name
ON CONFLICT DO NOTHING;

COMMIT;

ANALYZE users;
ANALYZE posts;
ANALYZE user_follows;
ANALYZE post_tags;

/* What was made, for the log. */
SELECT count(*) AS users,
    count(*) FILTER (WHERE NOT is_active) AS inactive,
    max(follower_count) AS most_followers,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY follower_count)
	AS median_followers
FROM users;
SELECT count(*) AS posts, count(*) FILTER (WHERE status = 'draft') AS drafts,
    count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted
FROM posts;
