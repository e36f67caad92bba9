/*
 * queries.c - the SQL, all of it, in one place.
 *
 * Each statement is prepared once per connection (db.c) and runs only with
 * parameters. Authenticated statements check the session themselves
 * (follow_session_ok: its rule in sql/001_schema.sql, its current body in
 * 005_session_check.sql), so revocation costs no extra round trip.
 * Timestamps leave the database in its own ISO text output, the cheapest
 * for it to write; the worker derives RFC 3339 and the cursors'
 * microseconds from it (pgtime.c).
 *
 * Indexes relied on (created in sql/001_schema.sql to 004_feed_totals.sql
 * and 007_newest_post.sql; a post's tag names are a column of posts,
 * sql/006_post_tag_names.sql):
 *   user_follows_pkey (follower_id, following_id)    feed, relationships
 *   user_follows_followers_idx (following_id, created_at DESC,
 *       follower_id DESC)                            followers list
 *   user_follows_following_idx (follower_id, created_at DESC,
 *       following_id DESC)                           following list
 *   posts_feed_idx (author_id, created_at DESC, id DESC)
 *       WHERE status = 'published' AND deleted_at IS NULL    feed
 *   posts_feed_time_author_idx (created_at DESC, id DESC)
 *       INCLUDE (author_id) WHERE published and not deleted
 *                                                   feed, heavy readers
 *   users_active_posts_idx (id) INCLUDE (published_post_count,
 *       newest_post_at) WHERE is_active              feed authors, total
 *   follow_feed_totals_pkey (reader_id),
 *   follow_feed_total_deltas_reader_idx (reader_id) INCLUDE (delta)
 *                                                   heavy readers' total
 */
#include "queries.h"

#define FROM_MICROS(p)	"(timestamptz 'epoch' + " p " * interval '1 microsecond')"
/* A cursor's time; without a cursor, later than everything. */
#define CURSOR_TS(ts)	"coalesce(" FROM_MICROS(ts "::bigint") ", 'infinity')"
/*
 * "Before the cursor (ts, id), or anywhere when there is none": a NULL
 * cursor becomes the largest key. Written as one row comparison, never as
 * "cursor IS NULL OR ...", so that even a generic plan (the workers run
 * with plan_cache_mode=force_generic_plan, see db.c) starts its index
 * scan at the cursor instead of filtering every newer entry.
 */
#define BEFORE(cols, ts, id) \
	"(" cols ") < (" CURSOR_TS(ts) "," \
	" coalesce(" id "::bigint, 9223372036854775807))"

/*
 * A user list page ($1 whose list, $2 limit, $3 offset, $4/$5 cursor
 * position or NULL, $6/$7 caller and token iat when authenticated).
 * Returns one row even when the page is empty, so target_found,
 * session_ok and total always arrive.
 *
 * total is the list owner's trigger-kept count of its *active* followers
 * or followees (sql/003_active_counts.sql): one row read, whatever the
 * length of the list, and exact in the statement's snapshot, since the
 * counter moves in the same transaction as the rows and the activity.
 *
 * The page pins f.<self> to $1 itself, not to the target CTE's id: only
 * then does the planner know the index order (created_at DESC, id DESC)
 * is the page's order, and read 21 index entries instead of sorting the
 * whole list (1.1 s for 157k followers, generic plan or not).
 */
#define USER_LIST(self, other, cnt) \
	"WITH target AS (" \
	"  SELECT id, " cnt " AS cnt FROM users WHERE id = $1 AND is_active" \
	"), page AS (" \
	"  SELECT u.id, u.username, u.display_name, u.follower_count," \
	"         u.following_count, f.created_at AS followed_at" \
	"  FROM user_follows f" \
	"  JOIN users u ON u.id = f." other " AND u.is_active" \
	"  WHERE f." self " = $1 AND EXISTS (SELECT 1 FROM target)" \
	"    AND " BEFORE("f.created_at, f." other, "$4", "$5") \
	"  ORDER BY f.created_at DESC, f." other " DESC" \
	"  LIMIT $2 OFFSET $3" \
	") " \
	"SELECT (SELECT count(*) FROM target) AS target_found," \
	"       CASE WHEN $6::bigint IS NULL THEN NULL" \
	"            ELSE follow_session_ok($6, $7) END AS session_ok," \
	"       (SELECT t.cnt FROM target t) AS total," \
	"       p.id, p.username, p.display_name, p.follower_count," \
	"       p.following_count, p.followed_at" \
	" FROM (VALUES (1)) one LEFT JOIN page p ON true" \
	" ORDER BY p.followed_at DESC, p.id DESC"

/*
 * The feed's page is chosen by (created_at, id) alone, read from indexes
 * only (FEED_KEYS), and only its rows are then fetched from posts.
 */
#define FEED_KEYS	"  SELECT p.created_at, p.id"
#define FEED_CURSOR	"    AND " BEFORE("p.created_at, p.id", "$5", "$6")
#define FEED_ORDER \
	"  ORDER BY created_at DESC, id DESC" \
	"  LIMIT $3 OFFSET $4"
/*
 * The feed scans posts by time (see STMT_FEED) when the caller follows
 * more than FEED_HEAVY active accounts (or has a stored total) with
 * together at least FEED_HEAVY_POSTS visible posts: below that many posts
 * the join reads them all cheaply, and above it the scan finds a page's
 * row within (all posts / FEED_HEAVY_POSTS) index entries, so following
 * thousands of accounts that never post cannot make it walk the whole
 * index.
 */
#define FEED_HEAVY		"300"
#define FEED_HEAVY_POSTS	"2000"

const struct stmt_def queries[STMT__MAX] = {
	[STMT_PING] = { "ping", 0, STMT_RETRY, "SELECT 1" },

	/* sql/001_schema.sql: one transaction, exact count after it. */
	[STMT_FOLLOW] = { "follow", 3, STMT_RETRY,
	    "SELECT result, follower_count FROM follow_user($1, $2, $3)" },
	/* Not STMT_RETRY: a resent unfollow would answer 400. */
	[STMT_UNFOLLOW] = { "unfollow", 3, 0,
	    "SELECT result, follower_count FROM unfollow_user($1, $2, $3)" },

	/* $1 target, $2 caller or NULL, $3 iat or NULL. */
	[STMT_USER] = { "user", 3, STMT_READ | STMT_RETRY,
	    "SELECT CASE WHEN $2::bigint IS NULL THEN NULL"
	    "            ELSE follow_session_ok($2, $3) END AS session_ok,"
	    "       u.id, u.username, u.display_name, u.follower_count,"
	    "       u.following_count,"
	    "       EXISTS (SELECT 1 FROM user_follows f"
	    "               WHERE f.follower_id = $2 AND f.following_id = u.id),"
	    "       EXISTS (SELECT 1 FROM user_follows f"
	    "               WHERE f.follower_id = u.id AND f.following_id = $2)"
	    " FROM (VALUES (1)) one"
	    " LEFT JOIN users u ON u.id = $1 AND u.is_active" },

	[STMT_FOLLOWERS] = { "followers", 7, STMT_READ | STMT_RETRY,
	    USER_LIST("following_id", "follower_id", "active_follower_count") },
	[STMT_FOLLOWING] = { "following", 7, STMT_READ | STMT_RETRY,
	    USER_LIST("follower_id", "following_id", "active_following_count") },

	/*
	 * The feed: $1 caller, $2 iat, $3 limit, $4 offset, $5/$6 cursor.
	 * One statement, two plans, one of which a one-time filter (choice)
	 * switches off. Both pick the page's (created_at, id) from index
	 * entries alone (no heap fetch per candidate post), then fetch just
	 * those posts and their authors:
	 *  - light (few followed accounts): per followed active author, at
	 *    most offset + limit of their newest posts after the cursor
	 *    (posts_feed_idx: ordering by author_id first, a no-op here,
	 *    is what keeps the planner from filtering the time index by
	 *    author instead), then a top-N sort of those few. Only authors
	 *    that can be on the page are read, and only down to its floor:
	 *    of the authors whose newest post (users.newest_post_at, kept
	 *    exact by sql/007_newest_post.sql) is before the cursor, the
	 *    (offset + limit)-th newest such post bounds the page from
	 *    below (no floor when there are fewer such authors);
	 *  - heavy (see FEED_HEAVY_POSTS): walk posts_feed_time_author_idx
	 *    newest first from the cursor, keeping posts whose author the
	 *    caller follows (a hash of the follows, "IN (...) IS TRUE" keeps
	 *    it a hashed filter instead of a join) and is active (a probe per
	 *    kept post), and stop after one page: with thousands of followed
	 *    accounts a page is found after a short walk, where the join
	 *    would sort all of their posts.
	 * total: a reader following follow_feed_stored_min() accounts or more
	 * has it stored (sql/004_feed_totals.sql: a row plus its deltas; the
	 * row outlives unfollows, so it is used only while the reader still
	 * follows more than FEED_HEAVY, where the time walk pays);
	 * for the others it is the sum of the followed active authors'
	 * trigger-kept published_post_count (sql/002_feed_counts.sql), from
	 * users_active_posts_idx alone, one probe per followed account. The
	 * authors' set is built only where the light plan or that sum needs
	 * it, so a stored heavy reader never reads it.
	 */
	[STMT_FEED] = { "feed", 6, STMT_READ | STMT_RETRY,
	    "WITH me AS ("
	    "  SELECT $1::bigint AS id WHERE follow_session_ok($1, $2)"
	    "), stored AS ("
	    "  SELECT h.total + coalesce((SELECT sum(x.delta)"
	    "    FROM follow_feed_total_deltas x"
	    "    WHERE x.reader_id = h.reader_id), 0) AS total"
	    "  FROM me JOIN follow_feed_totals h ON h.reader_id = me.id"
	    "  JOIN users u ON u.id = me.id"
	    "   AND u.following_count > " FEED_HEAVY
	    "), authors AS MATERIALIZED ("
	    "  SELECT a.id, a.published_post_count, a.newest_post_at"
	    "  FROM me JOIN user_follows f ON f.follower_id = me.id"
	    "  JOIN users a ON a.id = f.following_id AND a.is_active"
	    "  WHERE NOT EXISTS (SELECT 1 FROM stored s"
	    "                    WHERE s.total >= " FEED_HEAVY_POSTS ")"
	    "), choice AS ("
	    "  SELECT coalesce((SELECT s.total >= " FEED_HEAVY_POSTS
	    "                   FROM stored s),"
	    "                  count(*) > " FEED_HEAVY
	    "                  AND sum(a.published_post_count) >= "
	    FEED_HEAVY_POSTS ") AS heavy,"
	    "         coalesce((SELECT s.total FROM stored s),"
	    "                  sum(a.published_post_count), 0)::bigint AS total"
	    "  FROM authors a"
	    "), floor AS ("
	    "  SELECT coalesce((SELECT a.newest_post_at FROM authors a"
	    "    WHERE a.newest_post_at < " CURSOR_TS("$5")
	    "    ORDER BY a.newest_post_at DESC"
	    "    OFFSET $3::bigint + $4::bigint - 1 LIMIT 1),"
	    "    '-infinity') AS t"
	    "), page AS ("
	    "  (SELECT k.* FROM authors a CROSS JOIN LATERAL ("
	    "  " FEED_KEYS
	    "  FROM posts p"
	    "  WHERE p.author_id = a.id"
	    "    AND p.status = 'published' AND p.deleted_at IS NULL"
	    FEED_CURSOR
	    "    AND p.created_at >= (SELECT t FROM floor)"
	    "  ORDER BY p.author_id, p.created_at DESC, p.id DESC"
	    "  LIMIT $3::bigint + $4::bigint) k"
	    "  WHERE NOT (SELECT heavy FROM choice)"
	    /* NULL: an author without a visible post is never read. */
	    "    AND a.newest_post_at >= (SELECT t FROM floor)"
	    FEED_ORDER ")"
	    "  UNION ALL"
	    "  (" FEED_KEYS
	    "  FROM posts p"
	    "  WHERE (SELECT heavy FROM choice)"
	    "    AND p.status = 'published' AND p.deleted_at IS NULL"
	    FEED_CURSOR
	    "    AND (p.author_id IN (SELECT f.following_id"
	    "         FROM me JOIN user_follows f ON f.follower_id = me.id))"
	    "        IS TRUE"
	    /*
	     * A subquery, not a join: a probe per post the hash kept, and
	     * no Memoize node, whose cache a generic plan sizes for its
	     * estimate of millions and builds on every execution.
	     */
	    "    AND (SELECT a.is_active FROM users a WHERE a.id = p.author_id)"
	    FEED_ORDER ")"
	    ") "
	    "SELECT (SELECT count(*) FROM me) AS session_ok,"
	    "       (SELECT total FROM choice) AS total,"
	    "       p.id, p.author_id, p.username, p.display_name, p.title,"
	    "       p.body, p.status, p.created_at,"
	    /*
	     * Tags come with the post row (sql/006_post_tag_names.sql keeps
	     * them there, sorted): reading them from post_tags and tags took
	     * a fifth of a light page (bench/RESULTS.md, round 7).
	     */
	    "       array_to_json(p.tag_names) AS tags"
	    /*
	     * LATERAL ... LIMIT 1: one posts_pkey probe per row of the page,
	     * also in a generic plan, which does not know the page is short
	     * and would otherwise merge-join the whole of posts (0.9 s).
	     */
	    " FROM (VALUES (1)) one LEFT JOIN (page k CROSS JOIN LATERAL ("
	    "   SELECT p.*, a.username, a.display_name FROM posts p"
	    "   JOIN users a ON a.id = p.author_id"
	    "   WHERE p.id = k.id LIMIT 1) p) ON true"
	    " ORDER BY k.created_at DESC, k.id DESC" },

	/* $1 caller, $2 iat, $3 ids as a bigint[] literal; order kept. */
	[STMT_RELATIONSHIPS] = { "relationships", 3, STMT_READ | STMT_RETRY,
	    "SELECT follow_session_ok($1, $2) AS session_ok, q.id,"
	    "       EXISTS (SELECT 1 FROM user_follows f"
	    "               JOIN users u ON u.id = f.following_id"
	    "                AND u.is_active"
	    "               WHERE f.follower_id = $1 AND f.following_id = q.id),"
	    "       EXISTS (SELECT 1 FROM user_follows f"
	    "               JOIN users u ON u.id = f.follower_id"
	    "                AND u.is_active"
	    "               WHERE f.follower_id = q.id AND f.following_id = $1)"
	    " FROM unnest($3::bigint[]) WITH ORDINALITY AS q(id, ord)"
	    " ORDER BY q.ord" },
};
