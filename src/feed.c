/*
 * feed.c - GET /users/me/feed (and /me/feed): posts of followed users.
 *
 * One statement joins the caller's follows, the active authors and their
 * published posts, newest first, with tags (queries.c, STMT_FEED). The
 * page is rendered row by row; nothing else is held in memory.
 */
#include <json-c/json.h>

#include "auth.h"
#include "handlers.h"
#include "page.h"
#include "request.h"
#include "response.h"

/*
 * Columns: 0 session_ok, 1 total, 2 post id, 3 author id, 4 username,
 * 5 display_name, 6 title, 7 body, 8 status, 9 created_at text,
 * 10 created_at microseconds, 11 tags as a JSON array.
 */
static json_object *
post_json(const PGresult *res, int row)
{
	json_object *o = json_object_new_object();
	json_object *author = json_object_new_object();
	json_object *tags;

	json_object_object_add(author, "id",
	    json_object_new_int64(col_int64(res, row, 3)));
	json_object_object_add(author, "username", col_string(res, row, 4));
	json_object_object_add(author, "display_name",
	    col_string(res, row, 5));
	/* The database built this array itself; it is always valid JSON. */
	tags = json_tokener_parse(PQgetvalue(res, row, 11));
	if (tags == NULL)
		tags = json_object_new_array();
	json_object_object_add(o, "id",
	    json_object_new_int64(col_int64(res, row, 2)));
	json_object_object_add(o, "author", author);
	json_object_object_add(o, "title", col_string(res, row, 6));
	json_object_object_add(o, "body", col_string(res, row, 7));
	json_object_object_add(o, "status", col_string(res, row, 8));
	json_object_object_add(o, "tags", tags);
	json_object_object_add(o, "created_at", col_string(res, row, 9));
	return o;
}

void
handle_feed(struct request *r)
{
	char p[6][INT64_TEXT];
	const char *params[6];
	struct cursor last = { CURSOR_FEED, r->user_id, 0, 0 };
	PGresult *res;
	json_object *items;
	int i, n;

	params[0] = int64_text(p[0], r->user_id);
	params[1] = iat_param(r, p[1]);
	params[2] = int64_text(p[2], page_limit(&r->page));
	params[3] = int64_text(p[3], page_offset(&r->page));
	params[4] = r->page.has_cursor ?
	    int64_text(p[4], r->page.cursor.ts_us) : NULL;
	params[5] = r->page.has_cursor ? int64_text(p[5], r->page.cursor.id) :
	    NULL;
	if (handler_exec(r, STMT_FEED, params, &res) == -1)
		return;
	if (col_int64(res, 0, 0) == 0) {
		auth_reject(r);
		PQclear(res);
		return;
	}
	items = json_object_new_array();
	n = col_null(res, 0, 2) ? 0 : PQntuples(res);
	for (i = 0; i < n && i < r->page.page_size; i++) {
		json_object_array_add(items, post_json(res, i));
		last.ts_us = col_int64(res, i, 10);
		last.id = col_int64(res, i, 2);
	}
	respond_json(r, ST_OK, page_render(r, items, col_int64(res, 0, 1),
	    n > r->page.page_size, &last));
	PQclear(res);
}
