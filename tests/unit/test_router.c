/*
 * test_router.c - the route table: 404, 405 with Allow, {id} capture.
 */
#include <string.h>

#include "router.h"
#include "tap.h"

static const struct route *rt;
static char idseg[32], allow[64];

static enum route_match
match(const char *method, const char *path)
{
	rt = NULL;
	return router_match(method, path, &rt, idseg, sizeof(idseg), allow,
	    sizeof(allow));
}

static int
found(const char *method, const char *path, const char *name,
    const char *id)
{
	return match(method, path) == ROUTE_FOUND && rt != NULL &&
	    strcmp(rt->name, name) == 0 && strcmp(idseg, id) == 0;
}

int
main(void)
{
	ok(found("GET", "/healthz", "health", ""), "GET /healthz");
	ok(found("HEAD", "/healthz", "health", ""), "HEAD is answered as GET");
	ok(found("POST", "/users/42/follow", "follow", "42"),
	    "POST /users/{id}/follow captures the id");
	ok(found("DELETE", "/users/42/follow", "unfollow", "42"),
	    "DELETE /users/{id}/follow");
	ok(found("GET", "/users/me/feed", "feed", ""), "GET /users/me/feed");
	ok(found("GET", "/me/feed", "feed", ""), "GET /me/feed alias");
	ok(found("GET", "/users/me/relationships", "relationships", ""),
	    "relationships wins over /users/{id}/...");
	ok(found("GET", "/users/7/followers", "followers", "7"), "followers");
	ok(found("GET", "/users/7/following", "following", "7"), "following");
	ok(found("GET", "/users/me", "user", "me"), "/users/me is {id} = me");
	ok(found("GET", "/users/abc", "user", "abc"),
	    "a bad id still routes (the validator answers 422)");

	is_int(match("PUT", "/users/1/follow"), ROUTE_BAD_METHOD,
	    "PUT on follow is 405");
	is_str(allow, "POST, DELETE", "Allow lists POST and DELETE");
	is_int(match("POST", "/healthz"), ROUTE_BAD_METHOD, "POST /healthz 405");
	is_str(allow, "GET, HEAD", "Allow for a GET route includes HEAD");

	is_int(match("GET", "/nope"), ROUTE_NOT_FOUND, "unknown path 404");
	is_int(match("GET", "/users/1/"), ROUTE_NOT_FOUND,
	    "trailing slash is 404");
	is_int(match("GET", "//users/1"), ROUTE_NOT_FOUND,
	    "empty segment is 404");
	is_int(match("GET", "/users//follow"), ROUTE_NOT_FOUND,
	    "empty id segment is 404");
	is_int(match("GET", "/users/1/follow/x"), ROUTE_NOT_FOUND,
	    "extra segment is 404");
	is_int(match("GET", ""), ROUTE_NOT_FOUND, "empty path is 404");
	is_int(match("GET", "healthz"), ROUTE_NOT_FOUND,
	    "relative path is 404");
	ok(match("GET", "/users/12345678901234567890123456789012345678901234")
	    == ROUTE_FOUND && strlen(idseg) == sizeof(idseg) - 1,
	    "an overlong id is truncated, never overflows");
	return tap_done();
}
