/*
 * test_cursor.c - unit tests for cursor_encode and cursor_decode, one
 * behaviour per line.
 *
 * Must never depend on anything but the code under test, libsodium and
 * libc; keys here are test constants, never real secrets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cursor.h"
#include "tap.h"

static unsigned char	keys[2][CURSOR_KEY_BYTES];

/* Returns 1 if a and b hold the same position. */
static int
same(const struct cursor *a, const struct cursor *b)
{
	return a->kind == b->kind && a->scope == b->scope &&
	    a->ts_us == b->ts_us && a->id == b->id;
}

/* Returns 1 if text decodes with the first key alone. */
static int
decodes(const char *text)
{
	struct cursor	 got;

	return cursor_decode(text, keys, 1, &got) == 0;
}

/* Flips the base64url character at i to another valid one. */
static void
tamper(char *text, size_t i)
{
	text[i] = text[i] == 'A' ? 'B' : 'A';
}

static void
test_round_trips(void)
{
	static const struct cursor	 cases[] = {
		{ CURSOR_FEED, 7, 1764000000123456LL, 9 },
		{ CURSOR_FOLLOWERS, 3, 1764000000000000LL, 4 },
		{ CURSOR_FOLLOWING, 3, 0, 1 },
		{ CURSOR_FEED, 1, -1234567890123LL, 5 },
		{ CURSOR_FEED, 1, INT64_MIN, INT64_MAX },
		{ CURSOR_FOLLOWING, INT64_MAX, INT64_MAX, 1 },
		{ CURSOR_FOLLOWERS, -5, -1, 2 },
	};
	static const char	*names[] = {
		"round trip feed",
		"round trip followers",
		"round trip following with ts 0",
		"round trip negative ts",
		"round trip INT64_MIN ts, INT64_MAX id",
		"round trip INT64_MAX scope and ts",
		"round trip negative scope",
	};
	struct cursor	 got;
	char		 text[CURSOR_TEXT_MAX];
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&got, 0, sizeof(got));
		r = cursor_encode(&cases[i], keys[0], text, sizeof(text));
		ok(r == 0 && strlen(text) == CURSOR_TEXT_LEN &&
		    cursor_decode(text, keys, 1, &got) == 0 &&
		    same(&got, &cases[i]), names[i]);
	}
	ok(cursor_encode(&cases[0], keys[0], text, CURSOR_TEXT_LEN + 1) == 0,
	    "encode fits in exactly CURSOR_TEXT_LEN + 1 bytes");
	ok(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == CURSOR_TEXT_LEN,
	    "encoded text is plain base64url, no padding");
}

static void
test_encode_refuses(void)
{
	struct cursor	 c = { CURSOR_FEED, 1, 2, 3 };
	char		 text[CURSOR_TEXT_MAX];

	memset(text, 'x', sizeof(text));
	ok(cursor_encode(&c, keys[0], text, CURSOR_TEXT_LEN) == -1 &&
	    text[0] == 'x', "encode refuses a buffer one byte short");
	ok(cursor_encode(&c, keys[0], text, 0) == -1, "encode refuses size 0");
	c.kind = 0;
	ok(cursor_encode(&c, keys[0], text, sizeof(text)) == -1,
	    "encode refuses kind 0");
	c.kind = 4;
	ok(cursor_encode(&c, keys[0], text, sizeof(text)) == -1,
	    "encode refuses kind 4");
	c.kind = CURSOR_FEED;
	c.id = 0;
	ok(cursor_encode(&c, keys[0], text, sizeof(text)) == -1,
	    "encode refuses id 0");
}

/*
 * Builds the text of a correctly tagged cursor with arbitrary version and
 * kind bytes and id, as a future or buggy encoder might.
 */
static void
forge(unsigned char version, unsigned char kind, int64_t id, char *text)
{
	unsigned char	 bin[34], mac[crypto_auth_hmacsha256_BYTES];
	uint64_t	 u;
	int		 i;

	memset(bin, 0, sizeof(bin));
	bin[0] = version;
	bin[1] = kind;
	bin[9] = 1;			/* scope 1 */
	u = (uint64_t)id;
	for (i = 25; i >= 18; i--, u >>= 8)
		bin[i] = (unsigned char)(u & 0xff);
	crypto_auth_hmacsha256(mac, bin, 26, keys[0]);
	memcpy(bin + 26, mac, 8);
	sodium_bin2base64(text, CURSOR_TEXT_MAX, bin, sizeof(bin),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void
test_decode_refuses(void)
{
	struct cursor	 c = { CURSOR_FOLLOWERS, 12, 1764000000123456LL, 34 };
	struct cursor	 got, untouched;
	char		 text[CURSOR_TEXT_MAX], bad[CURSOR_TEXT_MAX * 2];
	char		*big, *p = NULL;
	size_t		 i;
	int		 all;

	if (cursor_encode(&c, keys[0], text, sizeof(text)) == -1)
		abort();

	memset(&got, 0x5a, sizeof(got));
	memcpy(&untouched, &got, sizeof(got));
	ok(cursor_decode(text, keys + 1, 1, &got) == -1 &&
	    memcmp(&got, &untouched, sizeof(got)) == 0,
	    "wrong key is refused and out is untouched");
	ok(cursor_decode(text, keys, 0, &got) == -1, "no keys refuses all");
	ok(cursor_encode(&c, keys[1], bad, sizeof(bad)) == 0 &&
	    cursor_decode(bad, keys, 2, &got) == 0 && same(&got, &c),
	    "cursor made with the second of two keys is accepted");
	ok(cursor_decode(text, keys, 2, &got) == 0 && same(&got, &c),
	    "cursor made with the first of two keys is accepted");

	all = 1;
	for (i = 0; i < CURSOR_TEXT_LEN; i++) {
		memcpy(bad, text, sizeof(text));
		tamper(bad, i);
		all = all && !decodes(bad);
	}
	ok(all, "any single tampered character is refused");
	/*
	 * 34 bytes fill 46 characters with 4 bits to spare; the last character
	 * is one of A, Q, g, w, and its successor differs only in those bits.
	 */
	memcpy(bad, text, sizeof(text));
	bad[CURSOR_TEXT_LEN - 1] = (char)(text[CURSOR_TEXT_LEN - 1] + 1);
	ok(strchr("AQgw", text[CURSOR_TEXT_LEN - 1]) != NULL && !decodes(bad),
	    "non-zero spare bits are refused (one spelling per cursor)");

	memcpy(bad, text, sizeof(text));
	bad[CURSOR_TEXT_LEN - 1] = '\0';
	ok(!decodes(bad), "truncated by one character is refused");
	bad[CURSOR_TEXT_LEN - 4] = '\0';
	ok(!decodes(bad), "truncated by four characters is refused");
	snprintf(bad, sizeof(bad), "%sA", text);
	ok(!decodes(bad), "extended by one character is refused");
	snprintf(bad, sizeof(bad), "%sAAAA", text);
	ok(!decodes(bad), "extended by four characters is refused");
	snprintf(bad, sizeof(bad), "%s==", text);
	ok(!decodes(bad), "padding '=' characters are refused");
	memcpy(bad, text, sizeof(text));
	bad[CURSOR_TEXT_LEN - 2] = '=';
	bad[CURSOR_TEXT_LEN - 1] = '=';
	ok(!decodes(bad), "padding in place of data is refused");
	snprintf(bad, sizeof(bad), " %s", text);
	bad[CURSOR_TEXT_LEN] = '\0';
	ok(!decodes(bad), "a leading space is refused");
	memcpy(bad, text, sizeof(text));
	bad[0] = '+';
	ok(!decodes(bad), "standard base64 '+' is refused");
	bad[0] = '/';
	ok(!decodes(bad), "standard base64 '/' is refused");
	/*
	 * libsodium 1.0.18 alone reads any byte >= 0x80 as '_', so find a
	 * cursor whose text has a '_' and swap in such a byte.
	 */
	for (c.id = 1; c.id < 1000; c.id++) {
		if (cursor_encode(&c, keys[0], bad, sizeof(bad)) == -1)
			abort();
		if ((p = strchr(bad, '_')) != NULL)
			break;
	}
	all = p != NULL && decodes(bad);
	if (p != NULL)
		*p = (char)0xdf;
	ok(all && !decodes(bad), "a byte >= 0x80 in place of '_' is refused");

	forge(1, CURSOR_FEED, 5, bad);
	ok(decodes(bad), "forge() builds an acceptable cursor");
	forge(2, CURSOR_FEED, 5, bad);
	ok(!decodes(bad), "version 2 is refused even with a good tag");
	forge(0, CURSOR_FEED, 5, bad);
	ok(!decodes(bad), "version 0 is refused");
	forge(1, 0, 5, bad);
	ok(!decodes(bad), "kind 0 is refused");
	forge(1, 4, 5, bad);
	ok(!decodes(bad), "kind 4 is refused");
	forge(1, CURSOR_FEED, 0, bad);
	ok(!decodes(bad), "id 0 is refused");
	forge(1, CURSOR_FEED, -1, bad);
	ok(!decodes(bad), "negative id is refused");

	ok(!decodes(""), "empty string is refused");
	ok(cursor_decode(NULL, keys, 1, &got) == -1, "NULL is refused");
	ok(!decodes("garbage"), "short garbage is refused");
	ok(!decodes("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"),
	    "garbage of the right length is refused");
	ok(!decodes("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	    "all-zero cursor is refused");

	if ((big = malloc(10 * 1024 + 1)) == NULL)
		abort();
	for (i = 0; i < 10 * 1024; i++)
		big[i] = text[i % CURSOR_TEXT_LEN];
	big[10 * 1024] = '\0';
	ok(!decodes(big), "10 KiB string is refused");
	memcpy(big, text, CURSOR_TEXT_LEN);
	ok(!decodes(big), "valid cursor followed by 10 KiB is refused");
	free(big);
}

/* A key made ready once signs exactly as the key itself. */
static void
test_ready_key(void)
{
	crypto_auth_hmacsha256_state ready;
	struct cursor c = { CURSOR_FOLLOWERS, 42, -1234567, 99 };
	char a[CURSOR_TEXT_MAX], b[CURSOR_TEXT_MAX];
	int i, bad = 0;

	cursor_key_ready(&ready, keys[1]);
	for (i = 0; i < 100; i++) {
		c.ts_us += 7777 * i;
		c.id += i;
		if (cursor_encode(&c, keys[1], a, sizeof(a)) != 0 ||
		    cursor_encode_ready(&c, &ready, b, sizeof(b)) != 0 ||
		    strcmp(a, b) != 0)
			bad++;
	}
	is_int(bad, 0, "cursor_encode_ready: same text as cursor_encode");
	ok(cursor_encode_ready(&c, &ready, b, CURSOR_TEXT_LEN) == -1,
	    "cursor_encode_ready: refuses a short buffer too");
	sodium_memzero(&ready, sizeof(ready));
}

int
main(void)
{
	if (sodium_init() == -1) {
		printf("Bail out! sodium_init failed\n");
		return 1;
	}
	memset(keys[0], 0x11, sizeof(keys[0]));
	memset(keys[1], 0x22, sizeof(keys[1]));
	test_round_trips();
	test_encode_refuses();
	test_decode_refuses();
	test_ready_key();
	return tap_done();
}
