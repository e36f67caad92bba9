/*
 * auth.h - who is asking: credentials from the request, checked.
 */
#ifndef FOLLOW_AUTH_H
#define FOLLOW_AUTH_H

#include "router.h"

struct request;

/*
 * Authenticates r for a route with the given mode. Takes the token from
 * "Authorization: Bearer" or else the session cookie, verifies it
 * (jwt.c), and for a cookie on POST/DELETE requires an allowed Origin.
 * On success returns 0 with r->authed, r->user_id and r->iat set (or
 * r->authed = 0 when the mode allows anonymous callers). Otherwise it
 * answers 401 or 403 itself and returns -1. The database check of the
 * user (exists, active, not revoked) happens in each handler's statement.
 */
int	auth_request(struct request *r, enum auth_mode mode);

/* Answers 401 "Invalid token" (the database refused the session). */
void	auth_reject(struct request *r);

#endif
