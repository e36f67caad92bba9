/*
 * 006_post_tag_names.sql - each post carries its tag names, so the feed
 * reads a page's tags with the post rows it fetches anyway.
 *
 * Until now the feed found a page's tags with a post_tags scan over the
 * page's ids, a hash of tags, a sort and an aggregate: a fifth of a light
 * reader's page in PostgreSQL (bench/RESULTS.md, round 7). posts.tag_names
 * holds the same thing, already sorted; the feed selects it as it is.
 *
 * posts.tag_names = the names of the post's tags (post_tags joined to
 * tags), sorted ascending, at every commit, whoever writes post_tags or
 * tags: kept by the triggers below, and by nothing else. Like the
 * counters, every change is applied as a delta to the row's current
 * value ("remove these names, add those"), never recounted from rows a
 * snapshot may not see yet, so concurrent statements compose: a second
 * writer of the same post waits for the first one's row lock and then
 * applies its delta to the row the first one left.
 *
 * A name is read under a KEY SHARE lock on its tags row (taken by the
 * triggers, ascending id, before the posts' rows): renaming a tag changes
 * a unique column, so it waits for every transaction that is tagging or
 * untagging with it, and they wait for the rename, which then sees their
 * rows. That makes renames exact at READ COMMITTED, PostgreSQL's default.
 * A rename inside a REPEATABLE READ or SERIALIZABLE transaction cannot see
 * tags added by transactions that committed after its snapshot was taken,
 * and may leave those few posts with the old name: follow_caches_wrong()
 * lists them and follow_caches_rebuild() repairs them.
 *
 * Applied by sql/migrate in one transaction; never needs a superuser.
 * Adding the column is instant (a constant default); filling it rewrites
 * the tagged posts' rows while the triggers' creation holds off writers
 * of posts and post_tags (51 s for the 2 M tagged posts of the
 * benchmark's large data set).
 */

ALTER TABLE posts
	ADD COLUMN IF NOT EXISTS tag_names text[] NOT NULL DEFAULT '{}';

/*
 * The one rule for changing a post's names, used by every trigger below:
 * keep those not dropped, add the new ones, as a set (names are unique),
 * sorted as the feed shows them.
 */
CREATE OR REPLACE FUNCTION follow_tag_names(p_keep text[], p_drop text[],
    p_add text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce(array_agg(n.x ORDER BY n.x), '{}')
	FROM (SELECT k.x FROM unnest(p_keep) k(x)
	    WHERE k.x <> ALL (coalesce(p_drop, '{}'))
	    UNION
	    SELECT a.x FROM unnest(p_add) a(x)) n
$$;

/*
 * Applies rows added (+1) and removed (-1) from post_tags: one delta per
 * post, the tags' rows and then the posts' rows locked in ascending id
 * order, so that two statements never deadlock on them. A tag or post
 * that is gone (deleted earlier in this transaction: a cascade) has
 * nothing left to update; tags_delete_names_trg() already took the name
 * of a deleted tag off its posts.
 */
CREATE OR REPLACE FUNCTION follow_post_tags_apply(p_post bigint[],
    p_tag bigint[], p_sign integer[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	v_tags	bigint[];
	v_posts	bigint[];
BEGIN
	SELECT array_agg(DISTINCT d.tag_id), array_agg(DISTINCT d.post_id)
	    INTO v_tags, v_posts
	FROM unnest(p_post, p_tag, p_sign) AS d(post_id, tag_id, s);
	IF v_posts IS NULL THEN
		RETURN;
	END IF;
	PERFORM 1 FROM tags t WHERE t.id = ANY (v_tags)
	    ORDER BY t.id FOR KEY SHARE;
	PERFORM 1 FROM posts p WHERE p.id = ANY (v_posts)
	    ORDER BY p.id FOR NO KEY UPDATE;
	UPDATE posts p
	SET tag_names = follow_tag_names(p.tag_names, c.gone, c.added)
	FROM (SELECT d.post_id,
		array_agg(t.name) FILTER (WHERE d.n < 0) AS gone,
		array_agg(t.name) FILTER (WHERE d.n > 0) AS added
	    FROM (SELECT x.post_id, x.tag_id, sum(x.s) AS n
		FROM unnest(p_post, p_tag, p_sign) AS x(post_id, tag_id, s)
		GROUP BY 1, 2 HAVING sum(x.s) <> 0) d
	    JOIN tags t ON t.id = d.tag_id
	    GROUP BY d.post_id) c
	WHERE p.id = c.post_id;
END
$$;

CREATE OR REPLACE FUNCTION post_tags_names_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	v_post	bigint[];
	v_tag	bigint[];
	v_s	integer[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(n.post_id), array_agg(n.tag_id), array_agg(1)
		    INTO v_post, v_tag, v_s
		FROM ptn_new n;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(o.post_id), array_agg(o.tag_id), array_agg(-1)
		    INTO v_post, v_tag, v_s
		FROM ptn_old o;
	ELSE
		SELECT array_agg(x.post_id), array_agg(x.tag_id),
		    array_agg(x.s) INTO v_post, v_tag, v_s
		FROM (SELECT n.post_id, n.tag_id, 1 AS s FROM ptn_new n
		    UNION ALL
		    SELECT o.post_id, o.tag_id, -1 FROM ptn_old o) x;
	END IF;
	PERFORM follow_post_tags_apply(v_post, v_tag, v_s);
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION post_tags_names_truncate_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	UPDATE posts SET tag_names = '{}' WHERE tag_names <> '{}';
	RETURN NULL;
END
$$;

/*
 * Tags p_ids renamed from p_old to p_new (NULL: deleted): the posts that
 * carry them (post_tags_tag_id_idx), locked in id order, get each new
 * name in place of the old one, as a delta on their current names. All
 * of a statement's renames at once, so that names swapped by one
 * statement are each replaced once.
 */
CREATE OR REPLACE FUNCTION follow_tags_renamed(p_ids bigint[],
    p_old text[], p_new text[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM 1 FROM posts p
	    WHERE p.id IN (SELECT pt.post_id FROM post_tags pt
		WHERE pt.tag_id = ANY (p_ids))
	    ORDER BY p.id FOR NO KEY UPDATE;
	UPDATE posts p
	SET tag_names = follow_tag_names(p.tag_names, p_old,
	    ARRAY(SELECT r.new FROM unnest(p_old, p_new) r(old, new)
		WHERE r.old = ANY (p.tag_names) AND r.new IS NOT NULL))
	WHERE p.id IN (SELECT pt.post_id FROM post_tags pt
	    WHERE pt.tag_id = ANY (p_ids))
	  AND p.tag_names && p_old;
END
$$;

CREATE OR REPLACE FUNCTION tags_rename_names_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	v_ids	bigint[];
	v_old	text[];
	v_new	text[];
BEGIN
	SELECT array_agg(o.id), array_agg(o.name), array_agg(n.name)
	    INTO v_ids, v_old, v_new
	FROM tn_old o JOIN tn_new n ON n.id = o.id
	WHERE n.name IS DISTINCT FROM o.name;
	IF v_ids IS NOT NULL THEN
		PERFORM follow_tags_renamed(v_ids, v_old, v_new);
	END IF;
	RETURN NULL;
END
$$;

/* Before the cascade takes the rows away, while the name is readable. */
CREATE OR REPLACE FUNCTION tags_delete_names_trg() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM follow_tags_renamed(ARRAY[OLD.id], ARRAY[OLD.name],
	    ARRAY[NULL::text]);
	RETURN OLD;
END
$$;

DROP TRIGGER IF EXISTS post_tags_names_ins ON post_tags;
CREATE TRIGGER post_tags_names_ins AFTER INSERT ON post_tags
	REFERENCING NEW TABLE AS ptn_new
	FOR EACH STATEMENT EXECUTE FUNCTION post_tags_names_trg();
DROP TRIGGER IF EXISTS post_tags_names_upd ON post_tags;
CREATE TRIGGER post_tags_names_upd AFTER UPDATE ON post_tags
	REFERENCING OLD TABLE AS ptn_old NEW TABLE AS ptn_new
	FOR EACH STATEMENT EXECUTE FUNCTION post_tags_names_trg();
DROP TRIGGER IF EXISTS post_tags_names_del ON post_tags;
CREATE TRIGGER post_tags_names_del AFTER DELETE ON post_tags
	REFERENCING OLD TABLE AS ptn_old
	FOR EACH STATEMENT EXECUTE FUNCTION post_tags_names_trg();
DROP TRIGGER IF EXISTS post_tags_names_truncate ON post_tags;
CREATE TRIGGER post_tags_names_truncate AFTER TRUNCATE ON post_tags
	FOR EACH STATEMENT EXECUTE FUNCTION post_tags_names_truncate_trg();
DROP TRIGGER IF EXISTS tags_rename_names ON tags;
CREATE TRIGGER tags_rename_names AFTER UPDATE ON tags
	REFERENCING OLD TABLE AS tn_old NEW TABLE AS tn_new
	FOR EACH STATEMENT EXECUTE FUNCTION tags_rename_names_trg();
DROP TRIGGER IF EXISTS tags_delete_names ON tags;
CREATE TRIGGER tags_delete_names BEFORE DELETE ON tags
	FOR EACH ROW EXECUTE FUNCTION tags_delete_names_trg();

/*
 * What every post's names should be, from the rows: one pass over
 * post_tags and posts, not a lookup per post. The names are unique, so
 * sorting them is all follow_tag_names() would add.
 */
CREATE OR REPLACE VIEW follow_tag_names_recount AS
SELECT p.id, p.tag_names AS cached, coalesce(c.names, '{}') AS recount
FROM posts p
LEFT JOIN (SELECT pt.post_id, array_agg(t.name ORDER BY t.name) AS names
    FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
    GROUP BY pt.post_id) c ON c.post_id = p.id;

/*
 * 004's checks and repairs, plus the posts' names: a 'tag_names' row per
 * post whose names are wrong (cached and recount are how many names each
 * side has; the names themselves are in follow_tag_names_recount).
 */
DO $$
BEGIN
	IF to_regproc('follow_totals_wrong') IS NULL THEN
		ALTER FUNCTION follow_caches_wrong()
		    RENAME TO follow_totals_wrong;
		ALTER FUNCTION follow_caches_rebuild()
		    RENAME TO follow_totals_rebuild;
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION follow_caches_wrong()
RETURNS TABLE (id bigint, counter text, cached bigint, recount bigint)
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
	SELECT * FROM follow_totals_wrong()
	UNION ALL
	SELECT r.id, 'tag_names', cardinality(r.cached),
	    cardinality(r.recount)
	FROM follow_tag_names_recount r
	WHERE r.cached IS DISTINCT FROM r.recount
	ORDER BY 1, 2
$$;

/*
 * Every post's names from the rows, rewriting only those that differ;
 * the migration's backfill, the repair, and bench/gen.sql's bulk load.
 */
CREATE OR REPLACE FUNCTION follow_tag_names_rebuild() RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	LOCK TABLE post_tags, tags IN SHARE MODE;
	UPDATE posts p SET tag_names = r.recount
	FROM follow_tag_names_recount r
	WHERE p.id = r.id AND r.cached IS DISTINCT FROM r.recount;
END
$$;

CREATE OR REPLACE FUNCTION follow_caches_rebuild() RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM follow_totals_rebuild();
	PERFORM follow_tag_names_rebuild();
END
$$;

/* Existing tags: CREATE TRIGGER above holds off writers until commit. */
SELECT follow_tag_names_rebuild();
