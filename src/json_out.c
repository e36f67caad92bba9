/*
 * json_out.c - the JSON writer behind every answer (see json_out.h).
 *
 * It must escape exactly as json-c's json_escape_str() does with
 * JSON_C_TO_STRING_NOSLASHESCAPE: the two-letter escapes for \b \f \n \r
 * \t " and \\, \u00xx (lower-case hex) for other bytes below 0x20, every
 * other byte as it is (no UTF-8 checks, like json-c). It never allocates
 * per value: one buffer that grows by doubling.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_out.h"

#define JOUT_FIRST_CAP	4096
#define ESCAPE_SLICE	4096

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

/* ---------------------------------------------------------------- escaping */

/*
 * What each byte becomes inside a string: 0 itself, 'u' \u00xx, any other
 * letter that letter after a backslash.
 */
static const char escapes[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	['"'] = '"', ['\\'] = '\\',
};

/*
 * True if none of the eight bytes of w needs an escape: none is below
 * 0x20, '"' or '\\'. The has-zero-byte trick (Hacker's Delight 6-1):
 * (x - 0x01..01) & ~x & 0x80..80 is non-zero exactly when a byte of x is
 * zero, and below n when x - n*0x01..01 is used instead (n <= 0x80).
 */
static inline int
plain_word(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & high ? 0 : 1;
}

/*
 * Writes len (at most ESCAPE_SLICE) bytes of s escaped. Room for the
 * worst case (six bytes per input byte) is made once, so the loop only
 * stores: eight plain bytes at a time where it can, else one byte or its
 * escape. No memcpy calls: most strings are a few bytes long, and a call
 * cost more than they do.
 */
static void
escape_slice(struct jout *j, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint64_t w;
	char *d, e;

	if (reserve(j, len * 6) == -1)
		return;
	d = j->buf + j->len;
	while (i < len) {
		if (i + 8 <= len) {
			memcpy(&w, u + i, 8);	/* one unaligned load */
			if (plain_word(w)) {
				memcpy(d, &w, 8);	/* one store */
				d += 8;
				i += 8;
				continue;
			}
		}
		if ((e = escapes[u[i]]) == 0) {
			*d++ = (char)u[i++];
			continue;
		}
		*d++ = '\\';
		*d++ = e;
		if (e == 'u') {
			*d++ = '0';
			*d++ = '0';
			*d++ = hex[u[i] >> 4];
			*d++ = hex[u[i] & 0xf];
		}
		i++;
	}
	j->len = (size_t)(d - j->buf);
}

/* In slices, so that the room made for the worst case stays small. */
static void
escape(struct jout *j, const char *s, size_t len)
{
	while (len > ESCAPE_SLICE) {
		escape_slice(j, s, ESCAPE_SLICE);
		s += ESCAPE_SLICE;
		len -= ESCAPE_SLICE;
	}
	escape_slice(j, s, len);
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
	put(j, "\"", 1);
	escape(j, s, len);
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
