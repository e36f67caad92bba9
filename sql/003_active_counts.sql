/*
 * 003_active_counts.sql - exact counts of *active* followers and followees,
 * and indexes from which the feed reads its page without touching the
 * heap (bench/RESULTS.md has the EXPLAIN ANALYZE figures):
 *
 *  - users.active_follower_count / active_following_count: what the
 *    followers and following pages enumerate (SPEC: active users only),
 *    so a list's `total` is one row read, the same for 157k followers as
 *    for 155, instead of a count or a probe per inactive user;
 *  - users_active_posts_idx: the active users with their
 *    published_post_count, so the feed's set of followed active authors
 *    and its total come from index-only probes;
 *  - posts_feed_time_idx now carries author_id, so a heavy reader's walk
 *    by time filters on the author without a heap fetch per post.
 *
 * Applied by sql/migrate in one transaction; never needs a superuser.
 * Nothing but the triggers below may write the counter columns.
 */

ALTER TABLE users
	ADD COLUMN IF NOT EXISTS active_follower_count integer NOT NULL
	    DEFAULT 0,
	ADD COLUMN IF NOT EXISTS active_following_count integer NOT NULL
	    DEFAULT 0;

CREATE INDEX IF NOT EXISTS users_active_posts_idx ON users (id)
	INCLUDE (published_post_count) WHERE is_active;

DROP INDEX IF EXISTS posts_feed_time_idx;
CREATE INDEX IF NOT EXISTS posts_feed_time_author_idx
	ON posts (created_at DESC, id DESC) INCLUDE (author_id)
	WHERE status = 'published' AND deleted_at IS NULL;

/*
 * The follow-row trigger of 001, now also moving the active counts:
 * a row F -> X adds to X's active_follower_count if F is active, and to
 * F's active_following_count if X is. Same lock order as before (see
 * 001_schema.sql): every user the statement touches, ascending id, KEY
 * SHARE then NO KEY UPDATE. is_active is read only after those locks,
 * and changing is_active needs the same row lock (UPDATE users takes NO
 * KEY UPDATE), so the value read is the one that holds until we commit;
 * users_active_trg() below, which fires on that change, then sees our row
 * (it waited for our commit) and moves the count exactly once.
 *
 * A user deleted earlier in this transaction has no row to read: it
 * counts as inactive, and users_delete_trg() has already moved the active
 * counts its rows stood for.
 */
CREATE OR REPLACE FUNCTION user_follows_count_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	v_fr	bigint[];	/* follower_id of each row added or removed */
	v_fg	bigint[];	/* following_id */
	v_s	integer[];	/* +1 added, -1 removed */
	v_ids	bigint[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(n.follower_id), array_agg(n.following_id),
		    array_agg(1) INTO v_fr, v_fg, v_s
		FROM uf_new n;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(o.follower_id), array_agg(o.following_id),
		    array_agg(-1) INTO v_fr, v_fg, v_s
		FROM uf_old o;
	ELSE
		/* A row moved between users: -1 on the old, +1 on the new. */
		SELECT array_agg(x.fr), array_agg(x.fg), array_agg(x.s)
		    INTO v_fr, v_fg, v_s
		FROM (SELECT n.follower_id AS fr, n.following_id AS fg, 1 AS s
			FROM uf_new n
		    UNION ALL
		    SELECT o.follower_id, o.following_id, -1 FROM uf_old o) x;
	END IF;
	IF v_s IS NULL THEN
		RETURN NULL;
	END IF;

	SELECT array_agg(DISTINCT x.id ORDER BY x.id) INTO v_ids
	    FROM unnest(v_fr || v_fg) AS x(id);
	PERFORM 1 FROM users u WHERE u.id = ANY (v_ids)
	    ORDER BY u.id FOR KEY SHARE;
	PERFORM 1 FROM users u WHERE u.id = ANY (v_ids)
	    ORDER BY u.id FOR NO KEY UPDATE;

	/* Per user: fr/fg = change of follower/following_count, a* active. */
	UPDATE users u
	    SET follower_count = u.follower_count + d.fr,
		following_count = u.following_count + d.fg,
		active_follower_count = u.active_follower_count + d.afr,
		active_following_count = u.active_following_count + d.afg
	    FROM (SELECT x.id, sum(x.fr)::integer AS fr,
		    sum(x.fg)::integer AS fg, sum(x.afr)::integer AS afr,
		    sum(x.afg)::integer AS afg
		FROM (SELECT r.fg AS id, r.s AS fr, 0 AS fg,
			CASE WHEN o.is_active THEN r.s ELSE 0 END AS afr,
			0 AS afg
		    FROM unnest(v_fr, v_fg, v_s) AS r(fr, fg, s)
		    LEFT JOIN users o ON o.id = r.fr
		    UNION ALL
		    SELECT r.fr, 0, r.s, 0,
			CASE WHEN o.is_active THEN r.s ELSE 0 END
		    FROM unnest(v_fr, v_fg, v_s) AS r(fr, fg, s)
		    LEFT JOIN users o ON o.id = r.fg) x
		GROUP BY x.id
		HAVING sum(x.fr) <> 0 OR sum(x.fg) <> 0
		    OR sum(x.afr) <> 0 OR sum(x.afg) <> 0) d
	    WHERE u.id = d.id;
	RETURN NULL;
END
$$;

/* TRUNCATE has no transition table: nobody follows anybody any more. */
CREATE OR REPLACE FUNCTION user_follows_truncate_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	UPDATE users SET follower_count = 0, following_count = 0,
	    active_follower_count = 0, active_following_count = 0
	    WHERE follower_count <> 0 OR following_count <> 0
		OR active_follower_count <> 0 OR active_following_count <> 0;
	RETURN NULL;
END
$$;

/*
 * p_user's activity changed by p_s (+1 activated, -1 deactivated or
 * deleted while active, 0 only lock): everyone it follows gains or loses
 * an active follower, everyone following it an active followee. The
 * statement that fired this holds p_user's row, so no follow of or by it
 * can commit meanwhile (the counter trigger needs that row too): the rows
 * read here are all there are. The neighbours are locked in ascending id
 * order, but after p_user's own row, so a concurrent follow involving a
 * neighbour and p_user can deadlock with it; PostgreSQL aborts one of the
 * two whole (the service retries its statement) and no count is left half
 * moved. Cost: one row update per neighbour; deactivating the celebrity
 * rewrites 157k rows, once.
 */
CREATE OR REPLACE FUNCTION follow_active_move(p_user bigint, p_s integer)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM 1 FROM users u
	    WHERE u.id IN (SELECT f.following_id FROM user_follows f
			WHERE f.follower_id = p_user
		    UNION
		    SELECT f.follower_id FROM user_follows f
			WHERE f.following_id = p_user)
	    ORDER BY u.id FOR NO KEY UPDATE;
	IF p_s = 0 THEN
		RETURN;
	END IF;
	UPDATE users u
	    SET active_follower_count = u.active_follower_count + p_s * d.fr,
		active_following_count =
		    u.active_following_count + p_s * d.fg
	    FROM (SELECT x.id, sum(x.fr)::integer AS fr,
		    sum(x.fg)::integer AS fg
		FROM (SELECT f.following_id AS id, 1 AS fr, 0 AS fg
			FROM user_follows f WHERE f.follower_id = p_user
		    UNION ALL
		    SELECT f.follower_id, 0, 1
			FROM user_follows f WHERE f.following_id = p_user) x
		GROUP BY x.id) d
	    WHERE u.id = d.id;
END
$$;

CREATE OR REPLACE FUNCTION users_active_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM follow_active_move(NEW.id,
	    CASE WHEN NEW.is_active THEN 1 ELSE -1 END);
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS users_active_count ON users;
CREATE TRIGGER users_active_count AFTER UPDATE OF is_active ON users
	FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active)
	EXECUTE FUNCTION users_active_trg();

/*
 * Deleting a user: its follows go by the foreign keys' cascades, two
 * statements after the user's row is gone, when user_follows_count_trg()
 * can no longer tell whether it was active (it counts a missing user as
 * inactive). So this trigger moves the active counts first, as a
 * deactivation would, with the rows still there, and locks every
 * neighbour in one ascending pass (two cascades are two passes, which
 * could deadlock with a concurrent follow). AFTER, so a delete vetoed by
 * a host's BEFORE trigger moves nothing; and it must fire before the
 * cascades, which are AFTER ROW triggers too, named "RI_Constraint...":
 * PostgreSQL fires a row's triggers in name order, byte-wise, hence the
 * quoted name in capitals. tests/integration/test_active_counts.py fails
 * if that order ever changes.
 */
CREATE OR REPLACE FUNCTION users_delete_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM follow_active_move(OLD.id,
	    CASE WHEN OLD.is_active THEN -1 ELSE 0 END);
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS users_follow_delete_lock ON users;
DROP FUNCTION IF EXISTS users_delete_lock_trg();
DROP TRIGGER IF EXISTS "FOLLOW_users_delete" ON users;
CREATE TRIGGER "FOLLOW_users_delete" AFTER DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION users_delete_trg();

/*
 * What every cached counter of every user should be, counted from the
 * rows: the one definition follow_caches_wrong() and
 * follow_caches_rebuild() both use. A full scan of user_follows and posts.
 */
CREATE OR REPLACE VIEW follow_caches_recount AS
SELECT u.id,
    coalesce(fr.n, 0)::integer AS follower_count,
    coalesce(fg.n, 0)::integer AS following_count,
    coalesce(fr.na, 0)::integer AS active_follower_count,
    coalesce(fg.na, 0)::integer AS active_following_count,
    coalesce(pp.n, 0)::integer AS published_post_count
FROM users u
LEFT JOIN (SELECT f.following_id AS id, count(*) AS n,
	count(*) FILTER (WHERE a.is_active) AS na
    FROM user_follows f JOIN users a ON a.id = f.follower_id
    GROUP BY 1) fr ON fr.id = u.id
LEFT JOIN (SELECT f.follower_id AS id, count(*) AS n,
	count(*) FILTER (WHERE a.is_active) AS na
    FROM user_follows f JOIN users a ON a.id = f.following_id
    GROUP BY 1) fg ON fg.id = u.id
LEFT JOIN (SELECT p.author_id AS id, count(*) AS n FROM posts p
    WHERE p.status = 'published' AND p.deleted_at IS NULL
    GROUP BY 1) pp ON pp.id = u.id;

/*
 * The rows whose cached counters disagree with a recount, one row per
 * wrong column; empty when all is well. Read-only: for bench/check.sql,
 * the tests and an operator's peace of mind.
 */
CREATE OR REPLACE FUNCTION follow_caches_wrong()
RETURNS TABLE (id bigint, counter text, cached bigint, recount bigint)
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
	SELECT c.id, c.counter, c.cached, c.recount
	FROM users u
	JOIN follow_caches_recount r ON r.id = u.id
	CROSS JOIN LATERAL (VALUES
	    (u.id, 'follower_count', u.follower_count, r.follower_count),
	    (u.id, 'following_count', u.following_count, r.following_count),
	    (u.id, 'active_follower_count', u.active_follower_count,
		r.active_follower_count),
	    (u.id, 'active_following_count', u.active_following_count,
		r.active_following_count),
	    (u.id, 'published_post_count', u.published_post_count,
		r.published_post_count)) AS c(id, counter, cached, recount)
	WHERE c.cached <> c.recount
	ORDER BY c.id, c.counter
$$;

/*
 * Recounts every cached counter from the rows; for bulk loads that ran
 * with the triggers disabled (bench/gen.sql), and below to fill the new
 * columns. The caller must keep writers out meanwhile (it takes SHARE
 * locks to make sure).
 */
CREATE OR REPLACE FUNCTION follow_caches_rebuild() RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	LOCK TABLE posts, user_follows IN SHARE MODE;
	LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;
	UPDATE users u SET follower_count = r.follower_count,
	    following_count = r.following_count,
	    active_follower_count = r.active_follower_count,
	    active_following_count = r.active_following_count,
	    published_post_count = r.published_post_count
	FROM follow_caches_recount r
	WHERE u.id = r.id
	  AND (u.follower_count, u.following_count, u.active_follower_count,
		u.active_following_count, u.published_post_count)
	    IS DISTINCT FROM (r.follower_count, r.following_count,
		r.active_follower_count, r.active_following_count,
		r.published_post_count);
END
$$;

/*
 * Fill the new columns. The locks taken here (and by CREATE TRIGGER above)
 * hold off every writer of users, posts and user_follows until commit.
 */
SELECT follow_caches_rebuild();
