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

/*
 * The text of every 500 the service writes, the same as nginx's and
 * Apache's own (nginx/, apache/) and doc/openapi.yaml's.
 */
#define INTERNAL_DETAIL	"Internal Server Error"

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

/* Copies the C string s to d; returns the end. */
static char *
append(char *d, const char *s)
{
	size_t n = strlen(s);

	memcpy(d, s, n);
	return d + n;
}

/*
 * Writes the header block into head (REQUEST_HEADERS_MAX + 512 bytes:
 * r->headers is shorter than REQUEST_HEADERS_MAX, the rest is bounded
 * text) and returns its length. Pieces are copied, not printed: snprintf
 * cost as much as the rest of a small answer.
 */
static size_t
head_block(const struct request *r, enum status st, size_t len, char *head)
{
	char num[JOUT_INT64_TEXT];
	char *d = head;

	(void)jout_int64_text(num, (int64_t)st);
	d = append(d, "Status: ");
	d = append(d, num);
	d = append(d, " ");
	d = append(d, reason(st));
	d = append(d, "\r\nContent-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: ");
	(void)jout_int64_text(num, (int64_t)len);
	d = append(d, num);
	/*
	 * Answers that depend on who asks must never be stored by a shared
	 * cache; public lists may be cached by the browser but revalidated.
	 */
	d = append(d, "\r\nCache-Control: ");
	d = append(d, r->authed || st >= 400 ? "no-store" : "no-cache");
	d = append(d, "\r\nX-Content-Type-Options: nosniff\r\n");
	memcpy(d, r->headers, r->headers_len);
	d += r->headers_len;
	return (size_t)(append(d, "\r\n") - head);
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
	static const char internal[] = "{\"detail\":\"" INTERNAL_DETAIL "\"}";
	char head[REQUEST_HEADERS_MAX + 512];
	const char *text = body->buf;
	size_t len = body->len;

	/* Out of memory: a fixed answer, without the headers meant for 200. */
	if (body->failed || body->depth != 0 || body->len == 0) {
		st = ST_INTERNAL;
		text = internal;
		len = sizeof(internal) - 1;
		r->headers_len = 0;
		r->headers[0] = '\0';
	}
	r->status = st;
	(void)request_write(r, head, head_block(r, st, len, head));
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
respond_internal(struct request *r)
{
	respond_error(r, ST_INTERNAL, INTERNAL_DETAIL);
}

void
respond_unavailable(struct request *r)
{
	respond_header(r, "Retry-After", "1");
	respond_error(r, ST_UNAVAILABLE, "Service unavailable");
}
