/*
 * feed.c - GET /users/me/feed (and /me/feed): posts of followed users.
 *
 * One statement joins the caller's follows, the active authors and their
 * published posts, newest first, with tags (queries.c, STMT_FEED). The
 * page is rendered row by row; nothing else is held in memory.
 */
#include "auth.h"
#include "handlers.h"
#include "page.h"
#include "request.h"
#include "response.h"

/*
 * Columns: 0 session_ok, 1 total, 2 post id, 3 author id, 4 username,
 * 5 display_name, 6 title, 7 body, 8 status, 9 created_at, 10 tags as a
 * JSON array. Returns -1 if created_at is not a timestamp (col_time).
 */
static int
post_json(struct jout *j, const PGresult *res, int row, int64_t *us)
{
	jout_object_begin(j);
	jout_key(j, "id");
	jout_int64(j, col_int64(res, row, 2));
	jout_key(j, "author");
	jout_object_begin(j);
	jout_key(j, "id");
	jout_int64(j, col_int64(res, row, 3));
	jout_key(j, "username");
	col_string(j, res, row, 4);
	jout_key(j, "display_name");
	col_string(j, res, row, 5);
	jout_object_end(j);
	jout_key(j, "title");
	col_string(j, res, row, 6);
	jout_key(j, "body");
	col_string(j, res, row, 7);
	jout_key(j, "status");
	col_string(j, res, row, 8);
	/* The database built this array itself; it is always valid JSON. */
	jout_key(j, "tags");
	jout_pg_json(j, PQgetvalue(res, row, 10),
	    (size_t)PQgetlength(res, row, 10));
	jout_key(j, "created_at");
	if (col_time(j, res, row, 9, us) == -1)
		return -1;
	jout_object_end(j);
	return 0;
}

void
handle_feed(struct request *r)
{
	char p[6][INT64_TEXT];
	const char *params[6];
	struct cursor last = { CURSOR_FEED, r->user_id, 0, 0 };
	PGresult *res;
	struct jout j;
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
	jout_init(&j);
	page_begin(&j);
	n = col_null(res, 0, 2) ? 0 : PQntuples(res);
	for (i = 0; i < n && i < r->page.page_size; i++) {
		if (post_json(&j, res, i, &last.ts_us) == -1) {
			jout_free(&j);
			respond_internal(r);
			PQclear(res);
			return;
		}
		last.id = col_int64(res, i, 2);
	}
	page_end(r, &j, col_int64(res, 0, 1), n > r->page.page_size, &last);
	respond_json(r, ST_OK, &j);
	PQclear(res);
}
