/*
 * follow.c - POST and DELETE /users/{id}/follow.
 *
 * The whole change happens in one SQL function call (follow_user or
 * unfollow_user in sql/001_schema.sql): session check, the insert or
 * delete, and the target's exact follower_count after it. This file only
 * maps the function's result to the contract's answers.
 */
#include <string.h>

#include "auth.h"
#include "handlers.h"
#include "request.h"
#include "response.h"

static void
follow_change(struct request *r, enum stmt id, int following)
{
	char caller[INT64_TEXT], iat[INT64_TEXT], target[INT64_TEXT];
	const char *params[3];
	const char *result;
	PGresult *res;
	struct jout j;

	params[0] = int64_text(caller, r->user_id);
	params[1] = iat_param(r, iat);
	params[2] = int64_text(target, r->id);
	if (handler_exec(r, id, params, &res) == -1)
		return;
	result = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	if (strcmp(result, "ok") == 0) {
		jout_init(&j);
		jout_object_begin(&j);
		jout_key(&j, "following");
		jout_bool(&j, following);
		jout_key(&j, "follower_count");
		jout_int64(&j, col_int64(res, 0, 1));
		jout_object_end(&j);
		respond_json(r, ST_OK, &j);
	} else if (strcmp(result, "invalid_token") == 0)
		auth_reject(r);
	else if (strcmp(result, "self") == 0)
		respond_error(r, ST_BAD_REQUEST, following ?
		    "Cannot follow yourself" : "Not following this user");
	else if (strcmp(result, "not_found") == 0)
		respond_error(r, ST_NOT_FOUND, "User not found");
	else if (strcmp(result, "not_following") == 0)
		respond_error(r, ST_BAD_REQUEST, "Not following this user");
	else
		respond_internal(r);
	PQclear(res);
}

void
handle_follow(struct request *r)
{
	follow_change(r, STMT_FOLLOW, 1);
}

void
handle_unfollow(struct request *r)
{
	follow_change(r, STMT_UNFOLLOW, 0);
}
