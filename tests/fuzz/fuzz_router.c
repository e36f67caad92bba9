/*
 * fuzz_router.c - libFuzzer harness for router_match and the path
 * parameter check that follows it (param_id on the {id} segment).
 *
 * The input is "METHOD\0PATH".  Checks: the id buffer and the Allow text
 * stay within their sizes and NUL-terminated, a found route's method is
 * the one asked for (HEAD answered as GET), an id that param_id accepts
 * prints back to exactly the segment, Allow is set for ROUTE_BAD_METHOD
 * and empty for ROUTE_NOT_FOUND.  The handlers are stubs so the router
 * links alone.
 * Must never be linked into the service.
 *
 * Build and run: make fuzz (tests/fuzz/local.mk), or by hand from the top
 * of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       tests/fuzz/fuzz_router.c src/router.c src/params.c -o fuzz_router
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "params.h"
#include "router.h"

#define IDLEN		32
#define ALLOWLEN	64

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Stubs: the router only stores their addresses. */
void handle_health(struct request *r) { (void)r; }
void handle_follow(struct request *r) { (void)r; }
void handle_unfollow(struct request *r) { (void)r; }
void handle_feed(struct request *r) { (void)r; }
void handle_user(struct request *r) { (void)r; }
void handle_followers(struct request *r) { (void)r; }
void handle_following(struct request *r) { (void)r; }
void handle_relationships(struct request *r) { (void)r; }

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct route	*rt = NULL;
	enum route_match	 m;
	const char		*method, *path, *want;
	char			*s, id[IDLEN + 8], allow[ALLOWLEN + 8];
	char			 back[32];
	int64_t			 v;

	if ((s = malloc(size + 2)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = '\0';
	method = s;
	path = s + strlen(s) + 1;
	if (path > s + size)
		path = s + size + 1;

	/* Canaries past the sizes the router is told. */
	memset(id, 0x5a, sizeof(id));
	memset(allow, 0x5a, sizeof(allow));
	m = router_match(method, path, &rt, id, IDLEN, allow, ALLOWLEN);
	if (id[IDLEN] != 0x5a || allow[ALLOWLEN] != 0x5a)
		abort();
	if (memchr(id, '\0', IDLEN) == NULL ||
	    memchr(allow, '\0', ALLOWLEN) == NULL)
		abort();
	switch (m) {
	case ROUTE_FOUND:
		want = strcmp(method, "HEAD") == 0 ? "GET" : method;
		if (rt == NULL || strcmp(rt->method, want) != 0)
			abort();
		if (strstr(rt->pattern, "{id}") != NULL &&
		    param_id(id, &v) == 0) {
			snprintf(back, sizeof(back), "%" PRId64, v);
			if (v < 1 || strcmp(back, id) != 0)
				abort();
		}
		break;
	case ROUTE_BAD_METHOD:
		if (allow[0] == '\0')
			abort();
		break;
	case ROUTE_NOT_FOUND:
		if (allow[0] != '\0')
			abort();
		break;
	default:
		abort();
	}
	free(s);
	return 0;
}
