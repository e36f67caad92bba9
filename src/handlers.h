/*
 * handlers.h - one function per endpoint, and what they share.
 *
 * A handler runs after the dispatcher (worker.c) has routed, authenticated
 * and validated the request: it reads typed values from struct request,
 * runs one statement, renders JSON and answers. Each handler answers
 * exactly once, whatever happens.
 */
#ifndef FOLLOW_HANDLERS_H
#define FOLLOW_HANDLERS_H

#include <stdint.h>

#include <libpq-fe.h>

#include "json_out.h"
#include "queries.h"

struct request;

void	handle_health(struct request *r);		/* 200, 503 */
void	handle_follow(struct request *r);		/* 200, 400, 401, 404 */
void	handle_unfollow(struct request *r);		/* 200, 400, 401, 404 */
void	handle_feed(struct request *r);			/* 200, 401 */
void	handle_user(struct request *r);			/* 200, 401, 404 */
void	handle_followers(struct request *r);		/* 200, 401, 404 */
void	handle_following(struct request *r);		/* 200, 401, 404 */
void	handle_relationships(struct request *r);	/* 200, 401 */

/* Room for an int64 in decimal, sign and NUL included. */
#define INT64_TEXT JOUT_INT64_TEXT

/*
 * Runs statement id; on failure answers 503 (database away) or 500 and
 * returns -1. On success returns 0 and *res is the caller's to PQclear.
 */
int	handler_exec(struct request *r, enum stmt id,
	    const char *const *params, PGresult **res);

/* Writes v in decimal into buf (INT64_TEXT bytes) and returns buf. */
const char *int64_text(char *buf, int64_t v);

/* The caller's token iat as a parameter: NULL when the token had none. */
const char *iat_param(const struct request *r, char *buf);

/* Column accessors: NULL-aware conversions of text results. */
int64_t	 col_int64(const PGresult *res, int row, int col);
int	 col_bool(const PGresult *res, int row, int col);
int	 col_null(const PGresult *res, int row, int col);
/* Writes a text column as a JSON string, or null when it is NULL. */
void	 col_string(struct jout *j, const PGresult *res, int row, int col);
/*
 * Writes a timestamp column as an RFC 3339 string and sets *us to its
 * microseconds since the epoch (pgtime.c); -1, nothing written, when it
 * is NULL or not one pgtime_parse() reads.
 */
int	 col_time(struct jout *j, const PGresult *res, int row, int col,
	    int64_t *us);

#endif
