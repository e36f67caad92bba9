/*
 * 002_feed_counts.sql - what makes `total` and the feed cheap at ten
 * million follows (bench/RESULTS.md has the EXPLAIN ANALYZE figures):
 *
 *  - users.published_post_count, owned by triggers on posts like the
 *    follow counters are owned by triggers on user_follows: the feed's
 *    total becomes a sum over the followed authors instead of a count of
 *    all their posts;
 *  - users_inactive_idx, so that the total of a big followers/following
 *    list is the cached counter minus its few inactive members;
 *  - posts_feed_time_idx, the published posts newest first, which a user
 *    following thousands of accounts scans (stopping after one page)
 *    instead of sorting all the posts of everyone followed.
 *
 * Applied by sql/migrate in one transaction; idempotent; never needs a
 * superuser. Nothing but the triggers below may write
 * published_post_count.
 */

ALTER TABLE users
	ADD COLUMN IF NOT EXISTS published_post_count integer NOT NULL
	    DEFAULT 0;

CREATE INDEX IF NOT EXISTS users_inactive_idx ON users (id)
	WHERE NOT is_active;

CREATE INDEX IF NOT EXISTS posts_feed_time_idx
	ON posts (created_at DESC, id DESC)
	WHERE status = 'published' AND deleted_at IS NULL;

/*
 * published_post_count = the author's posts with status 'published' and
 * deleted_at NULL, at every commit, whoever writes posts. Statement-level
 * with transition tables, deltas applied as "n = n + d" (exact at READ
 * COMMITTED under any concurrency), the authors' rows locked in ascending
 * id order first, as user_follows_count_trg() does and for the same
 * reason: two statements touching the same authors never deadlock.
 */
CREATE OR REPLACE FUNCTION posts_count_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	v_ids	bigint[];
	v_d	integer[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(d.id ORDER BY d.id), array_agg(d.n ORDER BY d.id)
		    INTO v_ids, v_d
		FROM (SELECT n.author_id AS id, count(*)::integer AS n
		    FROM pc_new n
		    WHERE n.status = 'published' AND n.deleted_at IS NULL
			AND n.author_id IS NOT NULL
		    GROUP BY 1) d;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(d.id ORDER BY d.id), array_agg(d.n ORDER BY d.id)
		    INTO v_ids, v_d
		FROM (SELECT o.author_id AS id, -count(*)::integer AS n
		    FROM pc_old o
		    WHERE o.status = 'published' AND o.deleted_at IS NULL
			AND o.author_id IS NOT NULL
		    GROUP BY 1) d;
	ELSE
		SELECT array_agg(d.id ORDER BY d.id), array_agg(d.n ORDER BY d.id)
		    INTO v_ids, v_d
		FROM (SELECT x.id, sum(x.n)::integer AS n
		    FROM (SELECT n.author_id AS id, 1 AS n FROM pc_new n
			WHERE n.status = 'published' AND n.deleted_at IS NULL
			UNION ALL
			SELECT o.author_id, -1 FROM pc_old o
			WHERE o.status = 'published' AND o.deleted_at IS NULL) x
		    WHERE x.id IS NOT NULL
		    GROUP BY x.id HAVING sum(x.n) <> 0) d;
	END IF;

	IF v_ids IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM 1 FROM users u WHERE u.id = ANY (v_ids)
	    ORDER BY u.id FOR KEY SHARE;
	PERFORM 1 FROM users u WHERE u.id = ANY (v_ids)
	    ORDER BY u.id FOR NO KEY UPDATE;
	UPDATE users u SET published_post_count = u.published_post_count + d.n
	    FROM unnest(v_ids, v_d) AS d(id, n)
	    WHERE u.id = d.id;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION posts_truncate_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	UPDATE users SET published_post_count = 0
	    WHERE published_post_count <> 0;
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS posts_count_ins ON posts;
CREATE TRIGGER posts_count_ins AFTER INSERT ON posts
	REFERENCING NEW TABLE AS pc_new
	FOR EACH STATEMENT EXECUTE FUNCTION posts_count_trg();

DROP TRIGGER IF EXISTS posts_count_upd ON posts;
CREATE TRIGGER posts_count_upd AFTER UPDATE ON posts
	REFERENCING OLD TABLE AS pc_old NEW TABLE AS pc_new
	FOR EACH STATEMENT EXECUTE FUNCTION posts_count_trg();

DROP TRIGGER IF EXISTS posts_count_del ON posts;
CREATE TRIGGER posts_count_del AFTER DELETE ON posts
	REFERENCING OLD TABLE AS pc_old
	FOR EACH STATEMENT EXECUTE FUNCTION posts_count_trg();

DROP TRIGGER IF EXISTS posts_count_truncate ON posts;
CREATE TRIGGER posts_count_truncate AFTER TRUNCATE ON posts
	FOR EACH STATEMENT EXECUTE FUNCTION posts_truncate_trg();

/*
 * Recounts every cached counter from the rows, in one pass each; for bulk
 * loads that ran with the triggers disabled (bench/gen.sql). The caller
 * must keep writers out meanwhile (it takes SHARE locks to make sure).
 */
CREATE OR REPLACE FUNCTION follow_caches_rebuild() RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	LOCK TABLE posts, user_follows IN SHARE MODE;
	UPDATE users u SET follower_count = coalesce(fr.n, 0),
	    following_count = coalesce(fg.n, 0),
	    published_post_count = coalesce(pp.n, 0)
	FROM users v
	LEFT JOIN (SELECT following_id AS id, count(*)::integer AS n
		FROM user_follows GROUP BY 1) fr ON fr.id = v.id
	LEFT JOIN (SELECT follower_id AS id, count(*)::integer AS n
		FROM user_follows GROUP BY 1) fg ON fg.id = v.id
	LEFT JOIN (SELECT author_id AS id, count(*)::integer AS n
		FROM posts WHERE status = 'published' AND deleted_at IS NULL
		GROUP BY 1) pp ON pp.id = v.id
	WHERE u.id = v.id
	  AND (u.follower_count, u.following_count, u.published_post_count)
	    IS DISTINCT FROM (coalesce(fr.n, 0), coalesce(fg.n, 0),
		coalesce(pp.n, 0));
END
$$;

/* Existing posts: CREATE TRIGGER above holds off writers until commit. */
UPDATE users u SET published_post_count = c.n
FROM (SELECT author_id AS id, count(*)::integer AS n FROM posts
	WHERE status = 'published' AND deleted_at IS NULL
	GROUP BY 1) c
WHERE u.id = c.id AND u.published_post_count <> c.n;
