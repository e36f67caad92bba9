/*
 * bench/check.sql - how many cached counters disagree with a recount of
 * the rows they stand for (follow_caches_wrong(), sql/003). bench/run runs
 * it after the write scenarios; the answer must be 0. Read-only.
 */
SELECT count(*) AS wrong_counters FROM follow_caches_wrong();
