/*
 * router.c - the route table and the matcher.
 *
 * Routes are data: adding an endpoint is one line here plus its handler.
 * The matcher only compares path segments; it never validates ids (see
 * params.c) and never touches the request.
 */
#include <string.h>

#include "cursor.h"
#include "handlers.h"
#include "router.h"

static const struct route routes[] = {
	{ "GET", "/healthz", handle_health, AUTH_NONE, RP_NONE, 0, "health" },
	{ "GET", "/users/me/feed", handle_feed, AUTH_REQUIRED, RP_PAGE,
	    CURSOR_FEED, "feed" },
	{ "GET", "/me/feed", handle_feed, AUTH_REQUIRED, RP_PAGE,
	    CURSOR_FEED, "feed" },
	{ "GET", "/users/me/relationships", handle_relationships,
	    AUTH_REQUIRED, RP_IDS, 0, "relationships" },
	{ "POST", "/users/{id}/follow", handle_follow, AUTH_REQUIRED, RP_NONE,
	    0, "follow" },
	{ "DELETE", "/users/{id}/follow", handle_unfollow, AUTH_REQUIRED,
	    RP_NONE, 0, "unfollow" },
	{ "GET", "/users/{id}/followers", handle_followers, AUTH_NONE,
	    RP_PAGE, CURSOR_FOLLOWERS, "followers" },
	{ "GET", "/users/{id}/following", handle_following, AUTH_NONE,
	    RP_PAGE, CURSOR_FOLLOWING, "following" },
	{ "GET", "/users/{id}", handle_user, AUTH_OPTIONAL, RP_NONE, 0,
	    "user" },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/*
 * Compares path with pattern segment by segment. Returns 1 on a match,
 * copying the {id} segment into idbuf.
 */
static int
path_matches(const char *pattern, const char *path, char *idbuf,
    size_t idlen)
{
	size_t plen, slen;

	while (*pattern != '\0' && *path != '\0') {
		if (*pattern != '/' || *path != '/')
			return 0;
		pattern++;
		path++;
		plen = strcspn(pattern, "/");
		slen = strcspn(path, "/");
		if (slen == 0)
			return 0;
		if (plen == 4 && strncmp(pattern, "{id}", 4) == 0) {
			if (slen >= idlen)
				slen = idlen - 1;
			memcpy(idbuf, path, slen);
			idbuf[slen] = '\0';
			path += strcspn(path, "/");
		} else {
			if (plen != slen || strncmp(pattern, path, plen) != 0)
				return 0;
			path += slen;
		}
		pattern += plen;
	}
	return *pattern == '\0' && *path == '\0';
}

static void
allow_add(char *allow, size_t allowlen, const char *method)
{
	size_t used = strlen(allow);

	if (strstr(allow, method) != NULL)
		return;
	if (used + strlen(method) + 3 > allowlen)
		return;
	if (used > 0)
		strcat(allow, ", ");
	strcat(allow, method);
}

enum route_match
router_match(const char *method, const char *path, const struct route **out,
    char *idbuf, size_t idlen, char *allow, size_t allowlen)
{
	enum route_match m = ROUTE_NOT_FOUND;
	const char *want;
	size_t i;

	/* HEAD is answered like GET, without a body. */
	want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	allow[0] = '\0';
	idbuf[0] = '\0';
	for (i = 0; i < NROUTES; i++) {
		if (!path_matches(routes[i].pattern, path, idbuf, idlen))
			continue;
		if (strcmp(routes[i].method, want) == 0) {
			*out = &routes[i];
			return ROUTE_FOUND;
		}
		allow_add(allow, allowlen, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			allow_add(allow, allowlen, "HEAD");
		m = ROUTE_BAD_METHOD;
	}
	return m;
}
