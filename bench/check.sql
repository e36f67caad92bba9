/*
 * bench/check.sql - how many users rows disagree with a recount of the rows
 * their cached counters stand for. bench/run runs it after the write
 * scenarios; the answer must be 0. Read-only.
 */
SELECT count(*) AS wrong_counters
FROM users u
LEFT JOIN (SELECT following_id AS id, count(*) AS n FROM user_follows
	GROUP BY 1) fr ON fr.id = u.id
LEFT JOIN (SELECT follower_id AS id, count(*) AS n FROM user_follows
	GROUP BY 1) fg ON fg.id = u.id
LEFT JOIN (SELECT author_id AS id, count(*) AS n FROM posts
	WHERE status = 'published' AND deleted_at IS NULL
	GROUP BY 1) pp ON pp.id = u.id
WHERE u.follower_count <> coalesce(fr.n, 0)
   OR u.following_count <> coalesce(fg.n, 0)
   /* sql/002 and later; NULL (not compared) before. */
   OR (to_jsonb(u) ->> 'published_post_count')::bigint <> coalesce(pp.n, 0);
