/*
 * auth.c - turns request headers into an authenticated user id.
 *
 * The token itself is checked by jwt.c; this file decides where the token
 * comes from and which answer a failure gets. It never logs a token or a
 * cookie, and never copies either beyond this function's stack frame and
 * the cookie buffer it frees.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "jwt.h"
#include "qs.h"
#include "request.h"
#include "response.h"

void
auth_reject(struct request *r)
{
	respond_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	respond_error(r, ST_UNAUTHORIZED, "Invalid token");
}

static void
auth_missing(struct request *r)
{
	respond_header(r, "WWW-Authenticate", "Bearer");
	respond_error(r, ST_UNAUTHORIZED, "Not authenticated");
}

/* Returns the token after "Bearer ", or NULL if there is none. */
static const char *
bearer_token(const char *header)
{
	if (header == NULL || strncasecmp(header, "Bearer", 6) != 0 ||
	    (header[6] != ' ' && header[6] != '\0'))
		return NULL;
	header += 6;
	while (*header == ' ')
		header++;
	return header;
}

static int
unsafe_method(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

int
auth_request(struct request *r, enum auth_mode mode)
{
	const struct config *cfg = r->svc->cfg;
	struct jwt_claims claims;
	const char *token, *hdr;
	char *cookie = NULL;
	int via_cookie = 0, rc = -1, found;

	/*
	 * Apache drops Authorization unless told otherwise; where a host
	 * forbids CGIPassAuth, the usual mod_rewrite idiom hands it over as
	 * REDIRECT_HTTP_AUTHORIZATION instead.
	 */
	if ((hdr = request_param(r, "HTTP_AUTHORIZATION")) == NULL)
		hdr = request_param(r, "REDIRECT_HTTP_AUTHORIZATION");
	token = bearer_token(hdr);
	if (token == NULL) {
		found = cookie_get(request_param(r, "HTTP_COOKIE"),
		    cfg->cookie, &cookie);
		if (found == -1) {
			auth_reject(r);
			goto done;
		}
		token = cookie;
		via_cookie = 1;
	}
	if (token == NULL) {
		if (mode == AUTH_REQUIRED)
			auth_missing(r);
		else
			rc = 0;
		goto done;
	}
	if (jwt_verify(r->svc->keys, token, strlen(token), (int64_t)time(NULL),
	    cfg->leeway, &claims) != JWT_OK) {
		auth_reject(r);
		goto done;
	}
	/* A cookie rides along on cross-site requests; a header cannot. */
	if (via_cookie && unsafe_method(r->method) &&
	    !config_origin_allowed(cfg, request_param(r, "HTTP_ORIGIN"))) {
		respond_error(r, ST_FORBIDDEN, "Cross-site request refused");
		goto done;
	}
	r->authed = 1;
	r->user_id = claims.sub;
	r->iat = claims.has_iat ? claims.iat : -1;
	rc = 0;
done:
	free(cookie);
	return rc;
}
