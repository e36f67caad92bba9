/*
 * page.c - paging shared by the feed and the user lists.
 *
 * Offset paging (page, page_size) serves "page 3 of 7"; keyset paging
 * (cursor) serves infinite scroll and never repeats or skips a row while
 * rows are inserted, because it continues after a (timestamp, id) position
 * instead of a count. Parsing does no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "page.h"
#include "params.h"
#include "qs.h"
#include "response.h"

/* Reads one integer parameter; 1 found, 0 absent, -1 invalid. */
static int
int_param(const char *query, const char *name, int64_t min, int64_t max,
    int64_t *out)
{
	char *v = NULL;
	int rc;

	if ((rc = qs_get(query, name, &v)) == 1 &&
	    param_int(v, min, max, out) == -1)
		rc = -1;
	free(v);
	return rc;
}

const char *
page_parse(struct request *r, int kind, int64_t scope)
{
	struct page_params *p = &r->page;
	char *v = NULL;
	int rc, has_page;

	p->page = 1;
	p->page_size = PAGE_SIZE_DEFAULT;
	p->has_cursor = 0;
	if (int_param(r->query, "page_size", 1, PAGE_SIZE_MAX,
	    &p->page_size) == -1)
		return "Invalid parameter: page_size (an integer from 1 to 100)";
	has_page = int_param(r->query, "page", 1, PAGE_MAX, &p->page);
	if (has_page == -1)
		return "Invalid parameter: page (an integer from 1 to 1000000)";
	if ((rc = qs_get(r->query, "cursor", &v)) == 0)
		return NULL;
	if (rc == 1 && has_page == 1) {
		free(v);
		return "Invalid parameter: cursor (cannot be combined with page)";
	}
	if (rc == -1 || cursor_decode(v, (const unsigned char (*)[
	    CURSOR_KEY_BYTES])r->svc->cursor_keys, r->svc->ncursor_keys,
	    &p->cursor) == -1 || p->cursor.kind != kind ||
	    p->cursor.scope != scope) {
		free(v);
		return "Invalid parameter: cursor";
	}
	free(v);
	p->has_cursor = 1;
	p->page = 0;
	return NULL;
}

int64_t
page_limit(const struct page_params *p)
{
	return p->page_size + 1;
}

int64_t
page_offset(const struct page_params *p)
{
	return p->has_cursor ? 0 : (p->page - 1) * p->page_size;
}

/*
 * The public mount point: SCRIPT_NAME when the client asked for exactly
 * SCRIPT_NAME + the route (nginx, an Apache Alias, /cgi-bin/x.fcgi/...),
 * else FOLLOW_PREFIX: after a mod_rewrite from /api/ to the script, or
 * mod_proxy_fcgi's whole-path SCRIPT_NAME, the client never saw it.
 */
static const char *
mount_point(const struct request *r)
{
	const char *sn = request_param(r, "SCRIPT_NAME");
	const char *uri = request_param(r, "REQUEST_URI");
	size_t sl, pl;

	if (sn == NULL || *sn != '/' || (sl = strlen(sn)) >= 200 ||
	    sn[strspn(sn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/._~-")] != '\0')
		return r->svc->cfg->prefix;
	pl = strlen(r->path);
	if (uri != NULL && (strncmp(uri, sn, sl) != 0 ||
	    strncmp(uri + sl, r->path, pl) != 0 ||
	    (uri[sl + pl] != '\0' && uri[sl + pl] != '?')))
		return r->svc->cfg->prefix;
	return sn;
}

void
page_begin(struct jout *j)
{
	jout_object_begin(j);
	jout_key(j, "items");
	jout_array_begin(j);
}

void
page_end(struct request *r, struct jout *j, int64_t total, int has_more,
    const struct cursor *last)
{
	char cur[CURSOR_TEXT_MAX], link[1024];
	const struct page_params *p = &r->page;
	int64_t pages = (total + p->page_size - 1) / p->page_size;

	jout_array_end(j);
	jout_key(j, "total");
	jout_int64(j, total);
	jout_key(j, "page");
	if (p->has_cursor)
		jout_null(j);
	else
		jout_int64(j, p->page);
	jout_key(j, "page_size");
	jout_int64(j, p->page_size);
	jout_key(j, "pages");
	jout_int64(j, pages);
	jout_key(j, "next_cursor");
	if (!has_more || cursor_encode_ready(last, r->svc->cursor_signer, cur,
	    sizeof(cur)) == -1) {
		jout_null(j);
		jout_object_end(j);
		return;
	}
	jout_cstring(j, cur);
	jout_object_end(j);
	/* r->path matched a route and its id was validated: safe to echo. */
	snprintf(link, sizeof(link), "<%s%s?cursor=%s&page_size=%lld>; "
	    "rel=\"next\"", mount_point(r), r->path, cur,
	    (long long)p->page_size);
	respond_header(r, "Link", link);
}
