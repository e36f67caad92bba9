/*
 * json_out.c - the JSON writer behind every answer (see json_out.h).
 *
 * It joins the pieces of an answer in one buffer that grows by doubling;
 * it never allocates per value, except that a string needing an escape is
 * escaped by json-c (json_escape_str(), with JSON_C_TO_STRING_PLAIN |
 * NOSLASHESCAPE), so the text is exactly what json-c would print for the
 * same tree. It must never write a string it has not checked.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_out.h"

#define JOUT_FIRST_CAP	4096

void
jout_init(struct jout *j)
{
	memset(j, 0, sizeof(*j));
}

void
jout_free(struct jout *j)
{
	free(j->buf);
	jout_init(j);
}

/* Grows the buffer to hold n more bytes. Returns 0 or -1. */
static int
grow(struct jout *j, size_t n)
{
	size_t cap = j->cap ? j->cap : JOUT_FIRST_CAP;
	char *p;

	if (j->failed)
		return -1;
	while (cap < j->len + n) {
		if (cap > ((size_t)-1) / 2)
			goto fail;
		cap *= 2;
	}
	if ((p = realloc(j->buf, cap)) == NULL)
		goto fail;
	j->buf = p;
	j->cap = cap;
	return 0;
fail:
	j->failed = 1;
	return -1;
}

/* Makes room for n more bytes: the fast path is one comparison. */
static inline int
reserve(struct jout *j, size_t n)
{
	return j->len + n <= j->cap ? 0 : grow(j, n);
}

static inline void
put(struct jout *j, const char *s, size_t n)
{
	if (reserve(j, n) == -1)
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

/* The comma before a value, unless it is the first or follows a key. */
static void
value_start(struct jout *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->has_items[j->depth])
		put(j, ",", 1);
	j->has_items[j->depth] = 1;
}

/* ---------------------------------------------------------------- strings */

/*
 * Whether json-c would change any byte of s: those below 0x20, '"' and
 * '\\' (with NOSLASHESCAPE, nothing else). Most strings have none and are
 * copied as they are.
 */
static int
needs_escape(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++)
		if (u[i] < 0x20 || u[i] == '"' || u[i] == '\\')
			return 1;
	return 0;
}

/* The others are escaped by json-c itself: every escape is json-c's. */
static void
put_escaped(struct jout *j, const char *s, size_t len)
{
	json_object *o;
	const char *text;
	size_t n;

	if (len > INT_MAX ||
	    (o = json_object_new_string_len(s, (int)len)) == NULL) {
		j->failed = 1;
		return;
	}
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (text == NULL)
		j->failed = 1;
	else
		put(j, text, n);
	json_object_put(o);
}

/* ---------------------------------------------------------------- values */

static void
open_container(struct jout *j, const char *c)
{
	value_start(j);
	put(j, c, 1);
	if (j->depth == JOUT_DEPTH_MAX) {
		j->failed = 1;
		return;
	}
	j->has_items[++j->depth] = 0;
}

static void
close_container(struct jout *j, const char *c)
{
	if (j->depth == 0 || j->after_key) {
		j->failed = 1;
		return;
	}
	j->depth--;
	put(j, c, 1);
}

void
jout_object_begin(struct jout *j)
{
	open_container(j, "{");
}

void
jout_object_end(struct jout *j)
{
	close_container(j, "}");
}

void
jout_array_begin(struct jout *j)
{
	open_container(j, "[");
}

void
jout_array_end(struct jout *j)
{
	close_container(j, "]");
}

/* quoted is "key": (see jout_key in json_out.h). */
void
jout_key_text(struct jout *j, const char *quoted, size_t len)
{
	value_start(j);
	put(j, quoted, len);
	j->after_key = 1;
}

void
jout_string(struct jout *j, const char *s, size_t len)
{
	value_start(j);
	if (needs_escape(s, len)) {
		put_escaped(j, s, len);
		return;
	}
	put(j, "\"", 1);
	put(j, s, len);
	put(j, "\"", 1);
}

void
jout_cstring(struct jout *j, const char *s)
{
	if (s == NULL)
		jout_null(j);
	else
		jout_string(j, s, strlen(s));
}

size_t
jout_int64_text(char *buf, int64_t v)
{
	char tmp[JOUT_INT64_TEXT], *p = tmp + sizeof(tmp);
	/* Negate as unsigned: -INT64_MIN does not fit an int64_t. */
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t n;

	*--p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	return n - 1;
}

void
jout_int64(struct jout *j, int64_t v)
{
	char buf[JOUT_INT64_TEXT];
	size_t n = jout_int64_text(buf, v);

	value_start(j);
	put(j, buf, n);
}

void
jout_bool(struct jout *j, int v)
{
	value_start(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void
jout_null(struct jout *j)
{
	value_start(j);
	put(j, "null", 4);
}

void
jout_raw_value(struct jout *j, const char *text, size_t len)
{
	value_start(j);
	put(j, text, len);
}

/* ------------------------------------------------- PostgreSQL's json arrays */

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/*
 * The common case: an array of strings without a backslash or a control
 * byte, whose plain form is the text minus the spaces between tokens.
 * Returns 0 after writing it, -1 (nothing written) for anything else.
 */
static int
pg_simple_array(struct jout *j, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *q;
	size_t mark;

	p = skip_space(p, end);
	if (p == end || *p++ != '[')
		return -1;
	mark = j->len;
	value_start(j);
	put(j, "[", 1);
	p = skip_space(p, end);
	if (p < end && *p == ']')
		p++;
	else
		for (;;) {
			if (p == end || *p != '"')
				goto other;
			for (q = p + 1; q < end && *q != '"'; q++)
				if (*q == '\\' || (unsigned char)*q < 0x20)
					goto other;
			if (q == end)
				goto other;
			put(j, p, (size_t)(q + 1 - p));
			p = skip_space(q + 1, end);
			if (p < end && *p == ']') {
				p++;
				break;
			}
			if (p == end || *p != ',')
				goto other;
			put(j, ",", 1);
			p = skip_space(p + 1, end);
		}
	if (skip_space(p, end) != end)
		goto other;
	put(j, "]", 1);
	return 0;
other:
	/* Undo (the caller restores the comma state too). */
	if (!j->failed)
		j->len = mark;
	return -1;
}

void
jout_pg_json(struct jout *j, const char *text, size_t len)
{
	json_object *o;
	const char *s;
	size_t slen;
	int had_items = j->has_items[j->depth], after_key = j->after_key;

	if (pg_simple_array(j, text, len) == 0)
		return;
	j->has_items[j->depth] = (unsigned char)had_items;
	j->after_key = after_key;
	/* Escapes or another shape: json-c's own round trip, as before. */
	if ((o = json_tokener_parse(text)) == NULL) {
		jout_raw_value(j, "[]", 2);
		return;
	}
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
	jout_raw_value(j, s, slen);
	json_object_put(o);
}
