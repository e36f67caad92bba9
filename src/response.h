/*
 * response.h - the one way an answer is written.
 *
 * Every answer goes through respond_json() or respond_error(), which write
 * the status, Content-Type, Cache-Control and X-Content-Type-Options, any
 * headers added with respond_header(), then the JSON body.
 */
#ifndef FOLLOW_RESPONSE_H
#define FOLLOW_RESPONSE_H

#include "json_out.h"

struct request;

/* The statuses this service produces, chosen only from here. */
enum status {
	ST_OK = 200,
	ST_BAD_REQUEST = 400,
	ST_UNAUTHORIZED = 401,
	ST_FORBIDDEN = 403,
	ST_NOT_FOUND = 404,
	ST_METHOD_NOT_ALLOWED = 405,
	ST_PAYLOAD_TOO_LARGE = 413,
	ST_UNPROCESSABLE = 422,
	ST_INTERNAL = 500,
	ST_UNAVAILABLE = 503
};

/*
 * Queues one header line for the answer. name and value must come from
 * this program, never from request input. Returns 0, or -1 if the header
 * buffer is full (the header is dropped).
 */
int	respond_header(struct request *r, const char *name, const char *value);

/*
 * Writes the answer with body's JSON text, then frees body (jout_free).
 * A body whose writer failed (out of memory) becomes a 500 instead.
 */
void	respond_json(struct request *r, enum status st, struct jout *body);

/* Writes {"detail": detail} with status st. detail is a fixed text. */
void	respond_error(struct request *r, enum status st, const char *detail);

/* 500 "Internal Server Error": a failure that must not show details. */
void	respond_internal(struct request *r);

/* 503 "Service unavailable" with Retry-After: the database is away. */
void	respond_unavailable(struct request *r);

#endif
