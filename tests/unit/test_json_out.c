/*
 * test_json_out.c - the hand-written JSON writer produces exactly the bytes
 * json-c produced before it (JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE): every single byte value, random
 * strings, integers at the limits, nesting and the Page shape; and
 * PostgreSQL's json_agg arrays come out as json-c's parse-and-print did.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_out.h"
#include "tap.h"

#define FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* True if j holds exactly what json-c prints for o; puts o. */
static int
same(struct jout *j, json_object *o)
{
	size_t len;
	const char *want = json_object_to_json_string_length(o, FLAGS, &len);
	int eq = !j->failed && j->len == len &&
	    memcmp(j->buf, want, len) == 0;

	if (!eq)
		printf("# got  %.*s\n# want %s\n", (int)j->len,
		    j->buf ? j->buf : "", want);
	json_object_put(o);
	jout_free(j);
	return eq;
}

static int
string_same(const char *s, size_t len)
{
	struct jout j;

	jout_init(&j);
	jout_string(&j, s, len);
	return same(&j, json_object_new_string_len(s, (int)len));
}

static void
test_every_byte(void)
{
	char s[3];
	int c, bad = 0;

	for (c = 0; c < 256; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'z';
		if (!string_same(s, 3))
			bad++;
	}
	is_int(bad, 0, "every byte value escapes as json-c escapes it");
	bad = 0;
	for (c = 0; c < 256; c++) {
		char t[20];
		int at;

		for (at = 0; at < (int)sizeof(t); at++) {
			memset(t, 'x', sizeof(t));
			t[at] = (char)c;
			if (at > 0)
				t[at - 1] = (char)(0x80 + c / 2);
			if (!string_same(t, sizeof(t)))
				bad++;
		}
	}
	is_int(bad, 0, "every byte at every place of a 20-byte string");
	ok(string_same("", 0), "empty string");
	{
		static char big[3 * 4096 + 77];
		size_t i;

		for (i = 0; i < sizeof(big); i++)
			big[i] = (char)(i % 7 == 0 ? '"' : i % 11 == 0 ?
			    0x01 : 'a' + (int)(i % 26));
		ok(string_same(big, sizeof(big)), "a long string with escapes");
	}
	ok(string_same("a/b</script>", 12), "slash not escaped");
	ok(string_same("\"\\\"", 3), "quotes and backslash");
	ok(string_same("caf\xc3\xa9 \xe2\x82\xac \xff\x7f", 12),
	    "UTF-8 and stray bytes copied as they are");
}

static void
test_random_strings(void)
{
	char s[64];
	int i, k, len, bad = 0;

	srand(12345);
	for (i = 0; i < 20000; i++) {
		len = rand() % (int)sizeof(s);
		for (k = 0; k < len; k++)
			s[k] = (char)(rand() % 4 == 0 ? rand() % 48 :
			    rand() % 256);
		if (!string_same(s, (size_t)len))
			bad++;
	}
	is_int(bad, 0, "20000 random strings, weighted to escapes");
}

static void
test_numbers(void)
{
	static const int64_t v[] = { 0, 1, -1, 9, 10, -10, 123456789,
	    INT64_MAX, INT64_MIN, INT64_MIN + 1, 4294967296LL };
	struct jout j;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		jout_init(&j);
		jout_int64(&j, v[i]);
		if (!same(&j, json_object_new_int64(v[i])))
			bad++;
	}
	is_int(bad, 0, "int64 values, limits included");
	bad = 0;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char got[JOUT_INT64_TEXT], want[32];
		size_t n = jout_int64_text(got, v[i]);

		snprintf(want, sizeof(want), "%lld", (long long)v[i]);
		if (strcmp(got, want) != 0 || n != strlen(want))
			bad++;
	}
	is_int(bad, 0, "jout_int64_text prints as %lld does");
	jout_init(&j);
	jout_array_begin(&j);
	jout_bool(&j, 1);
	jout_bool(&j, 0);
	jout_null(&j);
	jout_cstring(&j, NULL);
	jout_array_end(&j);
	{
		json_object *a = json_object_new_array();

		json_object_array_add(a, json_object_new_boolean(1));
		json_object_array_add(a, json_object_new_boolean(0));
		json_object_array_add(a, NULL);
		json_object_array_add(a, NULL);
		ok(same(&j, a), "true, false, null");
	}
}

/* A Page with two items, one of them nested, as the handlers write it. */
static void
test_page_shape(void)
{
	struct jout j;
	json_object *page = json_object_new_object();
	json_object *items = json_object_new_array();
	json_object *post = json_object_new_object();
	json_object *author = json_object_new_object();
	json_object *empty = json_object_new_object();

	json_object_object_add(author, "id", json_object_new_int64(3));
	json_object_object_add(author, "display_name", NULL);
	json_object_object_add(post, "id", json_object_new_int64(9));
	json_object_object_add(post, "author", author);
	json_object_object_add(post, "tags", json_object_new_array());
	json_object_object_add(post, "title", json_object_new_string("a\"b"));
	json_object_array_add(items, post);
	json_object_array_add(items, empty);
	json_object_object_add(page, "items", items);
	json_object_object_add(page, "total", json_object_new_int64(57));
	json_object_object_add(page, "page", NULL);
	json_object_object_add(page, "next_cursor",
	    json_object_new_string("abc_-"));

	jout_init(&j);
	jout_object_begin(&j);
	jout_key(&j, "items");
	jout_array_begin(&j);
	jout_object_begin(&j);
	jout_key(&j, "id");
	jout_int64(&j, 9);
	jout_key(&j, "author");
	jout_object_begin(&j);
	jout_key(&j, "id");
	jout_int64(&j, 3);
	jout_key(&j, "display_name");
	jout_null(&j);
	jout_object_end(&j);
	jout_key(&j, "tags");
	jout_array_begin(&j);
	jout_array_end(&j);
	jout_key(&j, "title");
	jout_cstring(&j, "a\"b");
	jout_object_end(&j);
	jout_object_begin(&j);
	jout_object_end(&j);
	jout_array_end(&j);
	jout_key(&j, "total");
	jout_int64(&j, 57);
	jout_key(&j, "page");
	jout_null(&j);
	jout_key(&j, "next_cursor");
	jout_cstring(&j, "abc_-");
	jout_object_end(&j);
	is_int(j.depth, 0, "page: every container closed");
	ok(same(&j, page), "page: nesting, commas, null members");
}

/* jout_pg_json(text) inside an array == json-c's parse-and-print. */
static int
pg_same(const char *text)
{
	struct jout j;
	json_object *a = json_object_new_array();
	json_object *t = json_tokener_parse(text);

	json_object_array_add(a, json_object_new_int64(1));
	json_object_array_add(a, t != NULL ? t : json_object_new_array());
	json_object_array_add(a, json_object_new_int64(2));
	jout_init(&j);
	jout_array_begin(&j);
	jout_int64(&j, 1);
	jout_pg_json(&j, text, strlen(text));
	jout_int64(&j, 2);
	jout_array_end(&j);
	return same(&j, a);
}

static void
test_pg_json(void)
{
	ok(pg_same("[]"), "pg: empty array");
	ok(pg_same("[\"c\"]"), "pg: one tag");
	ok(pg_same("[\"c\", \"sql\"]"), "pg: json_agg's spaces dropped");
	ok(pg_same(" [ \"a b\" ,\"c,d\" ] "), "pg: spaces inside strings kept");
	ok(pg_same("[\"caf\xc3\xa9\", \"a/b\"]"), "pg: UTF-8 and slash");
	ok(pg_same("[\"a\\\"b\", \"c\\\\d\"]"), "pg: escaped quote, backslash");
	ok(pg_same("[\"\\u0001\\n\\t\\/\"]"), "pg: escapes re-encoded");
	ok(pg_same("[\"\\u00e9\"]"), "pg: \\u escape of a letter decoded");
	ok(pg_same("[1, \"a\"]"), "pg: not only strings");
	ok(pg_same("{\"a\": 1}"), "pg: not an array");
	ok(pg_same("[\"a\", ]"), "pg: trailing comma as json-c reads it");
	ok(pg_same("[\"a\""), "pg: unterminated");
	ok(pg_same(""), "pg: empty text");
	ok(pg_same("garbage"), "pg: not JSON");
}

static void
test_misuse(void)
{
	struct jout j;

	jout_init(&j);
	jout_array_end(&j);
	ok(j.failed, "closing what was never opened fails the writer");
	jout_free(&j);
	jout_init(&j);
	jout_object_begin(&j);
	jout_key(&j, "a");
	jout_object_end(&j);
	ok(j.failed, "a key without a value fails the writer");
	jout_free(&j);
}

int
main(void)
{
	test_every_byte();
	test_random_strings();
	test_numbers();
	test_page_shape();
	test_pg_json();
	test_misuse();
	return tap_done();
}
