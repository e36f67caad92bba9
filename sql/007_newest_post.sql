/*
 * 007_newest_post.sql - users.newest_post_at: when the author's newest
 * visible post was made (NULL: none), so that a light reader's feed page
 * reads only the authors that can be on it.
 *
 * A page of n posts (after offset o) holds the o + n newest of the
 * followed authors' posts. Each author's newest post is one of them or
 * older, so the (o + n)-th newest of the authors' newest_post_at, F, is
 * a floor: the page holds no post older than F, and an author whose
 * newest post is older than F has nothing on it. Below a cursor, only
 * the authors whose newest post is before it count toward F (the others'
 * posts below the cursor are unknown, so they are always read). The
 * feed (src/queries.c) reads F from the probe it already makes per
 * followed author (users_active_posts_idx, below, now carries the
 * column) and then scans only the authors at or above it, only down to
 * it. For a reader
 * following 50 authors that is about 20 index scans of a few entries
 * instead of 50 of up to n + 1 entries: the backend's CPU for a light
 * reader's page 1 fell by 25-50%, for a page 980 posts deep by 17-20%
 * (bench/RESULTS.md, round 9).
 *
 * The floor is only right if the column is exact at every commit: too
 * new or too old both hide posts. posts_count_trg() already locks the
 * author's row, in id order, in every statement that changes which of
 * their posts are visible; it now also recomputes the column there, by
 * one descent of posts_feed_idx, in a statement that starts after the
 * lock is granted:
 *  - READ COMMITTED: that statement's snapshot sees every transaction
 *    that changed the author's visible posts and committed; any other
 *    waits for our lock in its own trigger and recomputes after we
 *    commit.
 *  - REPEATABLE READ / SERIALIZABLE: the author's row is rewritten on
 *    every such change, so a transaction whose snapshot misses one
 *    cannot lock the row and fails with a serialization error (40001)
 *    instead of storing a stale time.
 * Edits that leave an author's visible posts and their times as they
 * were (a title, a body, a draft) do not touch the row, as before.
 *
 * Applied by sql/migrate in one transaction; idempotent; never needs a
 * superuser. It holds writers off users and posts while it rebuilds
 * users_active_posts_idx and fills the column: 2.6 s on the benchmark's
 * 200,000 users and 4 M posts.
 */

ALTER TABLE users ADD COLUMN IF NOT EXISTS newest_post_at timestamptz;

DROP INDEX IF EXISTS users_active_posts_idx;
CREATE INDEX users_active_posts_idx ON users (id)
	INCLUDE (published_post_count, newest_post_at) WHERE is_active;

/*
 * 002's trigger function, which counts the visible posts per author,
 * now also lists the authors whose visible posts changed without
 * changing their number (a created_at moved; one post hidden and another
 * shown in one statement) with a delta of 0, and recomputes
 * newest_post_at for every author it lists.
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
		/* Per (author, time) first: a title edit cancels out there. */
		SELECT array_agg(d.id ORDER BY d.id), array_agg(d.n ORDER BY d.id)
		    INTO v_ids, v_d
		FROM (SELECT y.id, sum(y.n)::integer AS n
		    FROM (SELECT x.id, x.t, sum(x.n) AS n
			FROM (SELECT n.author_id AS id, n.created_at AS t, 1 AS n
			    FROM pc_new n
			    WHERE n.status = 'published' AND n.deleted_at IS NULL
			    UNION ALL
			    SELECT o.author_id, o.created_at, -1 FROM pc_old o
			    WHERE o.status = 'published'
				AND o.deleted_at IS NULL) x
			WHERE x.id IS NOT NULL
			GROUP BY x.id, x.t HAVING sum(x.n) <> 0) y
		    GROUP BY y.id) d;
	END IF;

	IF v_ids IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM 1 FROM users u WHERE u.id = ANY (v_ids)
	    ORDER BY u.id FOR KEY SHARE;
	PERFORM 1 FROM users u WHERE u.id = ANY (v_ids)
	    ORDER BY u.id FOR NO KEY UPDATE;
	/* A new statement, so a snapshot taken with the locks held. */
	UPDATE users u SET published_post_count = u.published_post_count + d.n,
	    newest_post_at = (SELECT p.created_at FROM posts p
		WHERE p.author_id = u.id
		  AND p.status = 'published' AND p.deleted_at IS NULL
		ORDER BY p.author_id, p.created_at DESC, p.id DESC LIMIT 1)
	    FROM unnest(v_ids, v_d) AS d(id, n)
	    WHERE u.id = d.id;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION posts_truncate_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	UPDATE users SET published_post_count = 0, newest_post_at = NULL
	    WHERE published_post_count <> 0 OR newest_post_at IS NOT NULL;
	RETURN NULL;
END
$$;

/*
 * What every author's newest_post_at should be, from the rows, in one
 * pass over posts: for follow_caches_wrong() and follow_caches_rebuild().
 */
CREATE OR REPLACE VIEW follow_newest_post_recount AS
SELECT u.id, u.newest_post_at AS cached, m.t AS recount
FROM users u
LEFT JOIN (SELECT p.author_id, max(p.created_at) AS t FROM posts p
    WHERE p.status = 'published' AND p.deleted_at IS NULL
    GROUP BY 1) m ON m.author_id = u.id;

/*
 * 006's checks and repairs keep their bodies under new names; the old
 * names now also cover newest_post_at (a 'newest_post_at' row, the times
 * as microseconds since the epoch). Renamed once, whatever runs this
 * file again.
 */
DO $$
BEGIN
	IF to_regproc('follow_tagged_wrong') IS NULL THEN
		ALTER FUNCTION follow_caches_wrong()
		    RENAME TO follow_tagged_wrong;
		ALTER FUNCTION follow_caches_rebuild()
		    RENAME TO follow_tagged_rebuild;
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION follow_caches_wrong()
RETURNS TABLE (id bigint, counter text, cached bigint, recount bigint)
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
	SELECT * FROM follow_tagged_wrong()
	UNION ALL
	SELECT r.id, 'newest_post_at',
	    (extract(epoch FROM r.cached) * 1000000)::bigint,
	    (extract(epoch FROM r.recount) * 1000000)::bigint
	FROM follow_newest_post_recount r
	WHERE r.cached IS DISTINCT FROM r.recount
	ORDER BY 1, 2
$$;

/* The repair, the migration's backfill and bench/gen.sql's bulk load. */
CREATE OR REPLACE FUNCTION follow_newest_post_rebuild() RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	LOCK TABLE posts IN SHARE MODE;
	UPDATE users u SET newest_post_at = r.recount
	FROM follow_newest_post_recount r
	WHERE u.id = r.id AND r.cached IS DISTINCT FROM r.recount;
END
$$;

CREATE OR REPLACE FUNCTION follow_caches_rebuild() RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM follow_tagged_rebuild();
	PERFORM follow_newest_post_rebuild();
END
$$;

/*
 * Existing posts. ALTER TABLE users above holds off every writer of
 * posts that would fire the trigger, and the SHARE lock on posts the
 * others, until commit.
 */
SELECT follow_newest_post_rebuild();
