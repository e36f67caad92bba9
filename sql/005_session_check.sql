/*
 * 005_session_check.sql - follow_session_ok() planned once per session,
 * not once per request.
 *
 * 001 wrote it in LANGUAGE sql. PostgreSQL (before 18) keeps the plan of
 * a SQL function that it cannot inline (this one reads a table, so it
 * never is) only while the calling statement runs: every feed page,
 * every authenticated list or user page and every follow or unfollow
 * parsed and planned its one-line body again. Measured on the benchmark's
 * large data set with pgbench, one client: `SELECT follow_session_ok(..)`
 * 195-215 µs a call against 100 µs for `SELECT 1` and 115-117 µs for the
 * same check inlined or in PL/pgSQL; a light reader's feed page 1.09-1.28
 * against 1.02-1.07 ms in four alternating runs (bench/RESULTS.md,
 * round 5). PL/pgSQL prepares the query at the first call in a session
 * and reuses it. Same signature, same result, same rule (001's comment).
 *
 * Replacing a function takes no table lock: instant on any data set.
 */
CREATE OR REPLACE FUNCTION follow_session_ok(p_user bigint, p_iat bigint)
RETURNS boolean LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
	RETURN EXISTS (SELECT 1 FROM users u
	    WHERE u.id = p_user AND u.is_active
	    AND (u.sessions_revoked_at IS NULL
		OR (p_iat IS NOT NULL
		    AND to_timestamp(p_iat) >= u.sessions_revoked_at)));
END
$$;
