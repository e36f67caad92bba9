/*
 * users.c - GET /users/{id}, its followers and following lists, and
 * GET /users/me/relationships.
 *
 * Each endpoint is one statement (queries.c). Lists fetch one row more
 * than a page to know whether a next page exists, and never more.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "handlers.h"
#include "page.h"
#include "request.h"
#include "response.h"

/* UserSummary's members from columns col .. col+4 (id, username,
 * display_name, follower_count, following_count), in an open object. */
static void
user_summary(struct jout *j, const PGresult *res, int row, int col)
{
	jout_key(j, "id");
	jout_int64(j, col_int64(res, row, col));
	jout_key(j, "username");
	col_string(j, res, row, col + 1);
	jout_key(j, "display_name");
	col_string(j, res, row, col + 2);
	jout_key(j, "follower_count");
	jout_int64(j, col_int64(res, row, col + 3));
	jout_key(j, "following_count");
	jout_int64(j, col_int64(res, row, col + 4));
}

void
handle_user(struct request *r)
{
	char target[INT64_TEXT], caller[INT64_TEXT], iat[INT64_TEXT];
	const char *params[3];
	PGresult *res;
	struct jout j;

	params[0] = int64_text(target, r->id);
	params[1] = r->authed ? int64_text(caller, r->user_id) : NULL;
	params[2] = r->authed ? iat_param(r, iat) : NULL;
	if (handler_exec(r, STMT_USER, params, &res) == -1)
		return;
	if (r->authed && !col_bool(res, 0, 0))
		auth_reject(r);
	else if (col_null(res, 0, 1))
		respond_error(r, ST_NOT_FOUND, "User not found");
	else {
		jout_init(&j);
		jout_object_begin(&j);
		user_summary(&j, res, 0, 1);
		if (r->authed) {
			jout_key(&j, "following");
			jout_bool(&j, col_bool(res, 0, 6));
			jout_key(&j, "followed_by");
			jout_bool(&j, col_bool(res, 0, 7));
		}
		jout_object_end(&j);
		respond_json(r, ST_OK, &j);
	}
	PQclear(res);
}

/*
 * Columns of USER_LIST: 0 target_found, 1 session_ok, 2 total, 3..7 the
 * UserSummary, 8 followed_at.
 */
static void
user_list(struct request *r, enum stmt id, int kind)
{
	char p[7][INT64_TEXT];
	const char *params[7];
	struct cursor last = { kind, r->id, 0, 0 };
	PGresult *res;
	struct jout j;
	int i, n;

	params[0] = int64_text(p[0], r->id);
	params[1] = int64_text(p[1], page_limit(&r->page));
	params[2] = int64_text(p[2], page_offset(&r->page));
	params[3] = r->page.has_cursor ?
	    int64_text(p[3], r->page.cursor.ts_us) : NULL;
	params[4] = r->page.has_cursor ? int64_text(p[4], r->page.cursor.id) :
	    NULL;
	params[5] = r->authed ? int64_text(p[5], r->user_id) : NULL;
	params[6] = r->authed ? iat_param(r, p[6]) : NULL;
	if (handler_exec(r, id, params, &res) == -1)
		return;
	if (r->authed && !col_bool(res, 0, 1)) {
		auth_reject(r);
		goto done;
	}
	if (col_int64(res, 0, 0) == 0) {
		respond_error(r, ST_NOT_FOUND, "User not found");
		goto done;
	}
	jout_init(&j);
	page_begin(&j);
	n = col_null(res, 0, 3) ? 0 : PQntuples(res);
	for (i = 0; i < n && i < r->page.page_size; i++) {
		jout_object_begin(&j);
		user_summary(&j, res, i, 3);
		jout_key(&j, "followed_at");
		if (col_time(&j, res, i, 8, &last.ts_us) == -1) {
			jout_free(&j);
			respond_internal(r);
			goto done;
		}
		jout_object_end(&j);
		last.id = col_int64(res, i, 3);
	}
	page_end(r, &j, col_int64(res, 0, 2), n > r->page.page_size, &last);
	respond_json(r, ST_OK, &j);
done:
	PQclear(res);
}

void
handle_followers(struct request *r)
{
	user_list(r, STMT_FOLLOWERS, CURSOR_FOLLOWERS);
}

void
handle_following(struct request *r)
{
	user_list(r, STMT_FOLLOWING, CURSOR_FOLLOWING);
}

/* Writes the ids as a PostgreSQL array literal: {1,2,3}. */
static void
ids_literal(const struct request *r, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[used++] = '{';
	for (i = 0; i < r->nids && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%lld",
		    i > 0 ? "," : "", (long long)r->ids[i]);
	if (used + 2 <= len) {
		buf[used++] = '}';
		buf[used] = '\0';
	}
}

void
handle_relationships(struct request *r)
{
	char caller[INT64_TEXT], iat[INT64_TEXT];
	char ids[REQUEST_IDS_MAX * (INT64_TEXT + 1) + 3];
	const char *params[3];
	PGresult *res;
	struct jout j;
	int i;

	ids_literal(r, ids, sizeof(ids));
	params[0] = int64_text(caller, r->user_id);
	params[1] = iat_param(r, iat);
	params[2] = ids;
	if (handler_exec(r, STMT_RELATIONSHIPS, params, &res) == -1)
		return;
	if (PQntuples(res) == 0 || !col_bool(res, 0, 0)) {
		auth_reject(r);
		PQclear(res);
		return;
	}
	jout_init(&j);
	jout_array_begin(&j);
	for (i = 0; i < PQntuples(res); i++) {
		jout_object_begin(&j);
		jout_key(&j, "id");
		jout_int64(&j, col_int64(res, i, 1));
		jout_key(&j, "following");
		jout_bool(&j, col_bool(res, i, 2));
		jout_key(&j, "followed_by");
		jout_bool(&j, col_bool(res, i, 3));
		jout_object_end(&j);
	}
	jout_array_end(&j);
	respond_json(r, ST_OK, &j);
	PQclear(res);
}
