/*
 * 004_feed_totals.sql - the feed `total` of readers who follow thousands
 * of accounts, kept instead of summed (bench/RESULTS.md has the figures).
 *
 * A feed's total is the sum of the followed active authors'
 * published_post_count. For a reader following 5,000 accounts that sum
 * was 5,000 index probes, 8 of the page's 11 ms. Readers following at
 * least follow_feed_stored_min() accounts get a row in follow_feed_totals,
 * moved by triggers whenever one of its terms moves:
 *
 *   - an author's published_post_count or is_active changes, or the author
 *     is deleted (users_feed_total_trg: every stored reader following them);
 *   - a stored reader follows or unfollows (user_follows_feed_total_trg).
 *
 * Those triggers run inside the host's own INSERT into posts, so they must
 * never wait for a lock there: a reader's row is hot (every post by any of
 * 5,000 authors moves it), and waiting on it would serialize unrelated
 * posts and deadlock two host transactions that post in opposite orders.
 * So follow_feed_add() updates a reader's row only when it can lock it at
 * once (SKIP LOCKED), folding in what accumulated meanwhile, and otherwise
 * appends the amount to follow_feed_total_deltas, an insert-only table.
 * The total is the row plus its deltas, exact in any snapshot, since
 * both move in the same transaction as the rows they count.
 *
 * Applied by sql/migrate in one transaction; never needs a superuser.
 * Nothing but the functions below may write these two tables.
 */

/*
 * How many followed accounts make a stored reader. A reader's row is made
 * when its following_count reaches this and is kept when it falls back,
 * so a reader at the edge does not pay a recount per follow. To change
 * it: CREATE OR REPLACE this function, then SELECT follow_caches_rebuild().
 */
CREATE OR REPLACE FUNCTION follow_feed_stored_min() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 1000';

CREATE TABLE IF NOT EXISTS follow_feed_totals (
	reader_id	bigint PRIMARY KEY
			REFERENCES users (id) ON DELETE CASCADE,
	total		bigint NOT NULL
);

/* No foreign key: its check would share-lock the reader's row. */
CREATE TABLE IF NOT EXISTS follow_feed_total_deltas (
	reader_id	bigint NOT NULL,
	delta		bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS follow_feed_total_deltas_reader_idx
	ON follow_feed_total_deltas (reader_id) INCLUDE (delta);

/*
 * Adds p_d[i] to stored reader p_readers[i]'s total (readers without a
 * row are skipped) without waiting for any lock. A row this transaction
 * can lock now is updated in place, with the deltas committed for it so
 * far folded in (deleted and added, atomically, under that lock: only the
 * row's locker folds); the rest go to follow_feed_total_deltas. PL/pgSQL
 * for its plan cache: planning this statement costs more than running it.
 */
CREATE OR REPLACE FUNCTION follow_feed_add(p_readers bigint[],
    p_d bigint[])
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	WITH d AS (
		SELECT r.id, sum(r.d)::bigint AS d
		FROM unnest(p_readers, p_d) AS r(id, d)
		GROUP BY r.id HAVING sum(r.d) <> 0
	), mine AS (
		SELECT h.reader_id FROM follow_feed_totals h
		WHERE h.reader_id IN (SELECT d.id FROM d)
		ORDER BY h.reader_id
		FOR NO KEY UPDATE SKIP LOCKED
	), folded AS (
		DELETE FROM follow_feed_total_deltas x USING mine m
		WHERE x.reader_id = m.reader_id
		RETURNING x.reader_id, x.delta
	), moved AS (
		UPDATE follow_feed_totals h
		SET total = h.total + d.d + coalesce((SELECT sum(f.delta)
			FROM folded f WHERE f.reader_id = h.reader_id), 0)
		FROM mine m JOIN d ON d.id = m.reader_id
		WHERE h.reader_id = m.reader_id
		RETURNING h.reader_id
	)
	INSERT INTO follow_feed_total_deltas (reader_id, delta)
	SELECT d.id, d.d FROM d
	WHERE d.id NOT IN (SELECT m.reader_id FROM moved m)
	  AND EXISTS (SELECT 1 FROM follow_feed_totals h
		WHERE h.reader_id = d.id);
END
$$;

/*
 * Author p_author's visible posts, as a feed counts them, moved by p_d:
 * every stored reader following the author moves by as much. The caller
 * holds the author's row lock (it fired on an UPDATE or DELETE of it), so
 * no follow of the author commits meanwhile and the followers read here
 * are all there are. Reads the shorter side: the author's followers (a
 * few dozen, usually) or the stored readers (a few hundred), each probed
 * for a follow of the author.
 */
CREATE OR REPLACE FUNCTION follow_feed_author_moved(p_author bigint,
    p_followers integer, p_d bigint)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	v_readers	bigint[];
BEGIN
	IF p_followers <= (SELECT count(*) FROM follow_feed_totals) THEN
		SELECT array_agg(f.follower_id) INTO v_readers
		FROM user_follows f
		JOIN follow_feed_totals h ON h.reader_id = f.follower_id
		WHERE f.following_id = p_author;
	ELSE
		SELECT array_agg(h.reader_id) INTO v_readers
		FROM follow_feed_totals h
		WHERE EXISTS (SELECT 1 FROM user_follows f
			WHERE f.follower_id = h.reader_id
			  AND f.following_id = p_author);
	END IF;
	IF v_readers IS NOT NULL THEN
		PERFORM follow_feed_add(v_readers,
		    array_fill(p_d, ARRAY[cardinality(v_readers)]));
	END IF;
END
$$;

/* What an author adds to its readers' totals. */
CREATE OR REPLACE FUNCTION follow_feed_share(p_active boolean,
    p_posts integer)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
	'SELECT CASE WHEN p_active THEN p_posts ELSE 0 END';

CREATE OR REPLACE FUNCTION users_feed_total_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM follow_feed_author_moved(OLD.id, OLD.follower_count,
		    -follow_feed_share(OLD.is_active,
			OLD.published_post_count));
	ELSE
		PERFORM follow_feed_author_moved(NEW.id, NEW.follower_count,
		    follow_feed_share(NEW.is_active, NEW.published_post_count)
		    - follow_feed_share(OLD.is_active,
			OLD.published_post_count));
	END IF;
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS users_feed_total ON users;
CREATE TRIGGER users_feed_total
	AFTER UPDATE OF published_post_count, is_active ON users
	FOR EACH ROW WHEN (follow_feed_share(OLD.is_active,
	    OLD.published_post_count) <> follow_feed_share(NEW.is_active,
	    NEW.published_post_count))
	EXECUTE FUNCTION users_feed_total_trg();

/*
 * Before the foreign keys' cascades remove the deleted author's follows,
 * for the reason and by the naming rule given at "FOLLOW_users_delete"
 * (003_active_counts.sql); the follow trigger below then counts the
 * missing author as inactive and moves nothing twice.
 */
DROP TRIGGER IF EXISTS "FOLLOW_users_delete_feed" ON users;
CREATE TRIGGER "FOLLOW_users_delete_feed" AFTER DELETE ON users
	FOR EACH ROW WHEN (follow_feed_share(OLD.is_active,
	    OLD.published_post_count) <> 0)
	EXECUTE FUNCTION users_feed_total_trg();

/*
 * Stores the totals of p_readers that have no row yet. Every account they
 * follow is share-locked first, in ascending id order: a post or
 * activity change of one of them still in flight is waited for and then
 * counted here, and one starting later waits for this transaction and
 * then finds the new row (users_feed_total_trg). Deltas left by a deleted
 * user whose id came back are dropped.
 */
CREATE OR REPLACE FUNCTION follow_feed_store(p_readers bigint[])
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM 1 FROM users u
	    WHERE u.id IN (SELECT f.following_id FROM user_follows f
		WHERE f.follower_id = ANY (p_readers))
	    ORDER BY u.id FOR SHARE;
	DELETE FROM follow_feed_total_deltas x
	    WHERE x.reader_id = ANY (p_readers);
	INSERT INTO follow_feed_totals (reader_id, total)
	SELECT r.id, coalesce(sum(follow_feed_share(a.is_active,
		a.published_post_count)), 0)
	FROM unnest(p_readers) AS r(id)
	LEFT JOIN user_follows f ON f.follower_id = r.id
	LEFT JOIN users a ON a.id = f.following_id
	GROUP BY r.id
	ON CONFLICT (reader_id) DO NOTHING;
END
$$;

/*
 * A follow R -> A added or removed moves stored reader R's total by A's
 * share. Fires after user_follows_count_trg() (trigger names sort so),
 * which has locked R and A: A's share read here holds until commit, and
 * R's following_count is final, so a reader that has just reached
 * follow_feed_stored_min() is stored with everything it follows now.
 */
CREATE OR REPLACE FUNCTION user_follows_feed_total_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	v_fr	bigint[];	/* follower_id of each row added or removed */
	v_fg	bigint[];	/* following_id */
	v_s	integer[];	/* +1 added, -1 removed */
	v_d	bigint[];
	v_new	bigint[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(n.follower_id), array_agg(n.following_id),
		    array_agg(1) INTO v_fr, v_fg, v_s
		FROM uf_new n
		WHERE n.follower_id IN (SELECT h.reader_id
			FROM follow_feed_totals h);
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(o.follower_id), array_agg(o.following_id),
		    array_agg(-1) INTO v_fr, v_fg, v_s
		FROM uf_old o
		WHERE o.follower_id IN (SELECT h.reader_id
			FROM follow_feed_totals h);
	ELSE
		SELECT array_agg(x.fr), array_agg(x.fg), array_agg(x.s)
		    INTO v_fr, v_fg, v_s
		FROM (SELECT n.follower_id AS fr, n.following_id AS fg, 1 AS s
			FROM uf_new n
		    UNION ALL
		    SELECT o.follower_id, o.following_id, -1 FROM uf_old o) x
		WHERE x.fr IN (SELECT h.reader_id FROM follow_feed_totals h);
	END IF;
	IF v_fr IS NOT NULL THEN
		/* A user deleted in this transaction counts as inactive. */
		SELECT array_agg(e.fr), array_agg(e.s *
			coalesce(follow_feed_share(a.is_active,
			    a.published_post_count), 0))
		    INTO v_fr, v_d
		FROM unnest(v_fr, v_fg, v_s) AS e(fr, fg, s)
		LEFT JOIN users a ON a.id = e.fg;
		PERFORM follow_feed_add(v_fr, v_d);
	END IF;

	IF TG_OP <> 'DELETE' THEN
		SELECT array_agg(u.id ORDER BY u.id) INTO v_new
		FROM users u
		WHERE u.id IN (SELECT n.follower_id FROM uf_new n)
		  AND u.following_count >= follow_feed_stored_min()
		  AND NOT EXISTS (SELECT 1 FROM follow_feed_totals h
			WHERE h.reader_id = u.id);
		IF v_new IS NOT NULL THEN
			PERFORM follow_feed_store(v_new);
		END IF;
	END IF;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION user_follows_feed_truncate_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	DELETE FROM follow_feed_total_deltas;
	UPDATE follow_feed_totals SET total = 0 WHERE total <> 0;
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS user_follows_feed_ins ON user_follows;
CREATE TRIGGER user_follows_feed_ins AFTER INSERT ON user_follows
	REFERENCING NEW TABLE AS uf_new
	FOR EACH STATEMENT EXECUTE FUNCTION user_follows_feed_total_trg();
DROP TRIGGER IF EXISTS user_follows_feed_upd ON user_follows;
CREATE TRIGGER user_follows_feed_upd AFTER UPDATE ON user_follows
	REFERENCING OLD TABLE AS uf_old NEW TABLE AS uf_new
	FOR EACH STATEMENT EXECUTE FUNCTION user_follows_feed_total_trg();
DROP TRIGGER IF EXISTS user_follows_feed_del ON user_follows;
CREATE TRIGGER user_follows_feed_del AFTER DELETE ON user_follows
	REFERENCING OLD TABLE AS uf_old
	FOR EACH STATEMENT EXECUTE FUNCTION user_follows_feed_total_trg();
DROP TRIGGER IF EXISTS user_follows_feed_truncate ON user_follows;
CREATE TRIGGER user_follows_feed_truncate AFTER TRUNCATE ON user_follows
	FOR EACH STATEMENT EXECUTE FUNCTION user_follows_feed_truncate_trg();

/* A stored reader deleted with its user leaves no deltas behind. */
CREATE OR REPLACE FUNCTION follow_feed_totals_delete_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	DELETE FROM follow_feed_total_deltas x
	    WHERE x.reader_id IN (SELECT o.reader_id FROM fft_old o);
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS follow_feed_totals_delete ON follow_feed_totals;
CREATE TRIGGER follow_feed_totals_delete AFTER DELETE ON follow_feed_totals
	REFERENCING OLD TABLE AS fft_old
	FOR EACH STATEMENT EXECUTE FUNCTION follow_feed_totals_delete_trg();

/*
 * What every stored total should be, from the rows, and which readers
 * should have one: the one definition follow_caches_wrong() and
 * follow_caches_rebuild() use. cached is NULL for a missing row.
 */
CREATE OR REPLACE VIEW follow_feed_totals_recount AS
SELECT r.id,
    (SELECT h.total + coalesce((SELECT sum(x.delta)
	FROM follow_feed_total_deltas x WHERE x.reader_id = h.reader_id), 0)
     FROM follow_feed_totals h WHERE h.reader_id = r.id) AS cached,
    coalesce((SELECT sum(follow_feed_share(a.is_active,
	a.published_post_count))
     FROM user_follows f JOIN users a ON a.id = f.following_id
     WHERE f.follower_id = r.id), 0)::bigint AS recount
FROM users r
WHERE r.following_count >= follow_feed_stored_min()
   OR r.id IN (SELECT h.reader_id FROM follow_feed_totals h);

/*
 * 003's follow_caches_wrong() and follow_caches_rebuild() keep their
 * bodies under the names follow_counters_wrong/_rebuild; the old names
 * now also cover the stored totals (below), so every caller checks and
 * repairs them too. Renamed once, whatever runs this file again.
 */
DO $$
BEGIN
	IF to_regproc('follow_counters_wrong') IS NULL THEN
		ALTER FUNCTION follow_caches_wrong()
		    RENAME TO follow_counters_wrong;
		ALTER FUNCTION follow_caches_rebuild()
		    RENAME TO follow_counters_rebuild;
	END IF;
END
$$;

/* Plus one 'feed_total' row per stored total that is wrong or missing. */
CREATE OR REPLACE FUNCTION follow_caches_wrong()
RETURNS TABLE (id bigint, counter text, cached bigint, recount bigint)
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
	SELECT * FROM follow_counters_wrong()
	UNION ALL
	SELECT t.id, 'feed_total', t.cached, t.recount
	FROM follow_feed_totals_recount t
	WHERE t.cached IS DISTINCT FROM t.recount
	ORDER BY 1, 2
$$;

/*
 * 003's recount of the users' counters first (it takes the locks that
 * keep writers out, held to commit): it moves published_post_count and
 * so fires users_feed_total_trg, whose deltas the stored totals' recount
 * below then replaces, storing the missing ones too.
 */
CREATE OR REPLACE FUNCTION follow_caches_rebuild() RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM follow_counters_rebuild();
	DELETE FROM follow_feed_total_deltas;
	INSERT INTO follow_feed_totals AS h (reader_id, total)
	SELECT t.id, t.recount FROM follow_feed_totals_recount t
	ON CONFLICT (reader_id) DO UPDATE SET total = excluded.total
	    WHERE h.total IS DISTINCT FROM excluded.total;
END
$$;

/* The readers already past the threshold; the locks hold off writers. */
SELECT follow_caches_rebuild();
