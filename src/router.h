/*
 * router.h - the route table: which handler answers which method and path.
 */
#ifndef FOLLOW_ROUTER_H
#define FOLLOW_ROUTER_H

#include <stddef.h>

struct request;

typedef void handler_fn(struct request *);

enum auth_mode { AUTH_NONE, AUTH_OPTIONAL, AUTH_REQUIRED };

/* Which query parameters a route takes; validated before the handler. */
enum route_params {
	RP_NONE = 0,
	RP_PAGE = 1 << 0,	/* page, page_size, cursor */
	RP_IDS = 1 << 1		/* ids=1,2,3 */
};

struct route {
	const char	*method;
	const char	*pattern;	/* literal segments and "{id}" */
	handler_fn	*handler;
	enum auth_mode	 auth;
	unsigned	 params;
	int		 cursor_kind;	/* enum cursor_kind for RP_PAGE */
	const char	*name;		/* for logs */
};

enum route_match { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/*
 * Finds the route for method and path. On ROUTE_FOUND sets *out and, when
 * the pattern has {id}, copies that segment (at most idlen - 1 bytes, else
 * it is truncated and will fail validation) into idbuf. On
 * ROUTE_BAD_METHOD writes the allowed methods ("POST, DELETE") to allow.
 * Pure: no I/O, no allocation.
 */
enum route_match router_match(const char *method, const char *path,
	    const struct route **out, char *idbuf, size_t idlen,
	    char *allow, size_t allowlen);

#endif
