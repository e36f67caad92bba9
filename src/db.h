/*
 * db.h - the worker's PostgreSQL connections and prepared statements.
 *
 * One connection per process (plus an optional read replica). Statements
 * are prepared once per connection; a connection that died is re-opened
 * and re-prepared on the next request, transparently.
 */
#ifndef FOLLOW_DB_H
#define FOLLOW_DB_H

#include <libpq-fe.h>

#include "queries.h"

struct db;

enum db_status {
	DB_OK,			/* a result is returned */
	DB_UNAVAILABLE,		/* cannot reach the database: answer 503 */
	DB_FAILED		/* the statement failed: answer 500, logged */
};

/*
 * Creates the connection holder and tries to connect; an unreachable
 * database is not an error here (requests answer 503 until it is back).
 * Returns NULL only when out of memory. Free with db_close.
 */
struct db *db_open(const char *dsn, const char *dsn_read,
	    long statement_timeout_ms);

void	db_close(struct db *db);

/*
 * Runs prepared statement id with text parameters (NULL = SQL NULL).
 * On DB_OK *res holds the result, which the caller frees with PQclear.
 * Reads, and writes whose retry is harmless, are retried once on a
 * connection that turns out to be dead; deadlocks are retried too.
 * *ms accumulates the time spent waiting for the database.
 */
enum db_status db_exec(struct db *db, enum stmt id, const char *const *params,
	    PGresult **res, double *ms);

/* Returns 1 if the primary connection is usable now (reconnecting if not). */
int	db_ping(struct db *db, double *ms);

#endif
