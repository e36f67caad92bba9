/*
 * response.c - writes status, headers and a JSON body to the web server.
 *
 * The only file that writes to FastCGI's output stream. It never puts
 * request input into a header: callers pass fixed names and values built
 * from validated numbers.
 */
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "response.h"

static const char *
reason(enum status st)
{
	switch (st) {
	case ST_OK:			return "OK";
	case ST_BAD_REQUEST:		return "Bad Request";
	case ST_UNAUTHORIZED:		return "Unauthorized";
	case ST_FORBIDDEN:		return "Forbidden";
	case ST_NOT_FOUND:		return "Not Found";
	case ST_METHOD_NOT_ALLOWED:	return "Method Not Allowed";
	case ST_PAYLOAD_TOO_LARGE:	return "Payload Too Large";
	case ST_UNPROCESSABLE:		return "Unprocessable Entity";
	case ST_INTERNAL:		return "Internal Server Error";
	case ST_UNAVAILABLE:		return "Service Unavailable";
	}
	return "Unknown";
}

int
respond_header(struct request *r, const char *name, const char *value)
{
	size_t room = sizeof(r->headers) - r->headers_len;
	int n;

	if (strpbrk(value, "\r\n") != NULL)
		return -1;
	n = snprintf(r->headers + r->headers_len, room, "%s: %s\r\n", name,
	    value);
	if (n < 0 || (size_t)n >= room) {
		r->headers[r->headers_len] = '\0';
		return -1;
	}
	r->headers_len += (size_t)n;
	return 0;
}

void
respond_json(struct request *r, enum status st, struct jout *body)
{
	static const char internal[] = "{\"detail\":\"Internal error\"}";
	char head[REQUEST_HEADERS_MAX + 512];
	const char *text = body->buf;
	size_t len = body->len;
	int n;

	/* Out of memory: a fixed answer, without the headers meant for 200. */
	if (body->failed || body->depth != 0 || body->len == 0) {
		st = ST_INTERNAL;
		text = internal;
		len = sizeof(internal) - 1;
		r->headers_len = 0;
		r->headers[0] = '\0';
	}
	r->status = st;
	/*
	 * Answers that depend on who asks must never be stored by a shared
	 * cache; public lists may be cached by the browser but revalidated.
	 */
	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s\r\n",
	    (int)st, reason(st), len,
	    r->authed || st >= 400 ? "no-store" : "no-cache",
	    r->headers);
	if (n > 0 && (size_t)n < sizeof(head))
		(void)request_write(r, head, (size_t)n);
	if (!r->head)
		(void)request_write(r, text, len);
	jout_free(body);
}

void
respond_error(struct request *r, enum status st, const char *detail)
{
	struct jout j;

	jout_init(&j);
	jout_object_begin(&j);
	jout_key(&j, "detail");
	jout_cstring(&j, detail);
	jout_object_end(&j);
	respond_json(r, st, &j);
}

void
respond_unavailable(struct request *r)
{
	respond_header(r, "Retry-After", "1");
	respond_error(r, ST_UNAVAILABLE, "Service unavailable");
}
