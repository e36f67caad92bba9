/*
 * service-role.sql - the least a follow-fcgi login needs, granted to an
 * existing role. Run by the owner of the tables, after sql/migrate:
 *
 *     psql -v role=follow -f service-role.sql 'dbname=site user=site'
 *
 * The counter triggers run with the caller's rights: they lock the users
 * rows they move (FOR NO KEY UPDATE needs an UPDATE grant) and update the
 * counters, hence the column grants. Nothing else of users is writable.
 * A follow by a reader of thousands of accounts moves its stored feed
 * total (004_feed_totals.sql), hence the two tables' grants.
 * tests/integration/test_active_counts.py follows and unfollows through a
 * role granted exactly this.
 */
\set ON_ERROR_STOP on
GRANT SELECT ON users, posts, tags, post_tags, user_follows TO :"role";
GRANT INSERT, DELETE ON user_follows TO :"role";
GRANT UPDATE (follower_count, following_count, active_follower_count,
    active_following_count) ON users TO :"role";
GRANT SELECT, INSERT, UPDATE, DELETE
    ON follow_feed_totals, follow_feed_total_deltas TO :"role";
