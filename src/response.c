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
respond_json(struct request *r, enum status st, json_object *body)
{
	const char *text;
	char head[REQUEST_HEADERS_MAX + 512];
	size_t len;
	int n;

	text = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
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
	json_object_put(body);
}

void
respond_error(struct request *r, enum status st, const char *detail)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "detail", json_object_new_string(detail));
	respond_json(r, st, o);
}

void
respond_unavailable(struct request *r)
{
	respond_header(r, "Retry-After", "1");
	respond_error(r, ST_UNAVAILABLE, "Service unavailable");
}
