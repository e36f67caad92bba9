/*
 * cursor.c - encodes and authenticates keyset page cursors.
 *
 * A cursor is a position (sort timestamp, tie-breaker id) in one list,
 * signed so that clients can hold it but not forge it. Cursor text comes
 * back from clients, so decoding must never trust it: it is length-checked
 * before anything else, authenticated before its fields are believed, and
 * fuzzed. This file must never do I/O, keep state, log, or hold a key
 * longer than one call.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "b64.h"
#include "cursor.h"

#define CURSOR_VERSION	1
#define CURSOR_TAG_LEN	8
/* version | kind | scope | ts_us | id */
#define CURSOR_BODY_LEN	(1 + 1 + 8 + 8 + 8)
#define CURSOR_BIN_LEN	(CURSOR_BODY_LEN + CURSOR_TAG_LEN)

_Static_assert(CURSOR_KEY_BYTES == crypto_auth_hmacsha256_KEYBYTES,
    "cursor keys are HMAC-SHA-256 keys");
_Static_assert(CURSOR_TEXT_LEN + 1 == B64URL_ENCODED_SIZE(CURSOR_BIN_LEN),
    "CURSOR_TEXT_LEN is the encoded length");
_Static_assert(CURSOR_TEXT_LEN + 1 <= CURSOR_TEXT_MAX,
    "CURSOR_TEXT_MAX holds a cursor");

static void	put_be64(unsigned char *, int64_t);
static int64_t	get_be64(const unsigned char *);
static void	cursor_tag(const unsigned char *,
		    const unsigned char [CURSOR_KEY_BYTES], unsigned char *);

static void
put_be64(unsigned char *p, int64_t v)
{
	uint64_t	 u = (uint64_t)v;
	int		 i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(u & 0xff);
		u >>= 8;
	}
}

static int64_t
get_be64(const unsigned char *p)
{
	uint64_t	 u = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		u = u << 8 | p[i];
	/* Converting an out-of-range uint64_t is implementation-defined. */
	if (u <= INT64_MAX)
		return (int64_t)u;
	return -(int64_t)(~u) - 1;
}

/* Writes the CURSOR_TAG_LEN-byte tag of body[0..CURSOR_BODY_LEN) to tag. */
static void
cursor_tag(const unsigned char *body, const unsigned char key[CURSOR_KEY_BYTES],
    unsigned char *tag)
{
	unsigned char	 mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, body, CURSOR_BODY_LEN, key);
	memcpy(tag, mac, CURSOR_TAG_LEN);
}

/* cursor_tag() from a key made ready by cursor_key_ready(). */
static void
cursor_tag_ready(const unsigned char *body,
    const crypto_auth_hmacsha256_state *ready, unsigned char *tag)
{
	crypto_auth_hmacsha256_state	 st = *ready;
	unsigned char			 mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_update(&st, body, CURSOR_BODY_LEN);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(tag, mac, CURSOR_TAG_LEN);
	sodium_memzero(&st, sizeof(st));
}

void
cursor_key_ready(crypto_auth_hmacsha256_state *ready,
    const unsigned char key[CURSOR_KEY_BYTES])
{
	crypto_auth_hmacsha256_init(ready, key, CURSOR_KEY_BYTES);
}

int
cursor_encode(const struct cursor *c, const unsigned char key[CURSOR_KEY_BYTES],
    char *out, size_t outsize)
{
	crypto_auth_hmacsha256_state	 ready;
	int				 rc;

	cursor_key_ready(&ready, key);
	rc = cursor_encode_ready(c, &ready, out, outsize);
	sodium_memzero(&ready, sizeof(ready));
	return rc;
}

int
cursor_encode_ready(const struct cursor *c,
    const crypto_auth_hmacsha256_state *ready, char *out, size_t outsize)
{
	unsigned char	 bin[CURSOR_BIN_LEN];

	if (outsize < B64URL_ENCODED_SIZE(CURSOR_BIN_LEN))
		return -1;
	if (c->kind < CURSOR_FEED || c->kind > CURSOR_FOLLOWING || c->id < 1)
		return -1;
	bin[0] = CURSOR_VERSION;
	bin[1] = (unsigned char)c->kind;
	put_be64(bin + 2, c->scope);
	put_be64(bin + 10, c->ts_us);
	put_be64(bin + 18, c->id);
	cursor_tag_ready(bin, ready, bin + CURSOR_BODY_LEN);
	return b64url_encode(bin, sizeof(bin), out, outsize);
}

int
cursor_decode(const char *s, const unsigned char (*keys)[CURSOR_KEY_BYTES],
    size_t nkeys, struct cursor *out)
{
	unsigned char	 bin[CURSOR_BIN_LEN], tag[CURSOR_TAG_LEN];
	size_t		 k;
	int		 ok = 0;

	if (s == NULL || keys == NULL)
		return -1;
	/* Every cursor has one length; this also bounds the work below. */
	if (strnlen(s, CURSOR_TEXT_LEN + 1) != CURSOR_TEXT_LEN)
		return -1;
	/* The strict decoder: each cursor has exactly one spelling. */
	if (b64url_decode(s, CURSOR_TEXT_LEN, bin, sizeof(bin)) !=
	    (long)sizeof(bin))
		return -1;
	for (k = 0; k < nkeys && !ok; k++) {
		cursor_tag(bin, keys[k], tag);
		ok = sodium_memcmp(tag, bin + CURSOR_BODY_LEN,
		    CURSOR_TAG_LEN) == 0;
	}
	if (!ok)
		return -1;
	/* Authentic now, but a future version or kind is still refused. */
	if (bin[0] != CURSOR_VERSION || bin[1] < CURSOR_FEED ||
	    bin[1] > CURSOR_FOLLOWING || get_be64(bin + 18) < 1)
		return -1;
	out->kind = bin[1];
	out->scope = get_be64(bin + 2);
	out->ts_us = get_be64(bin + 10);
	out->id = get_be64(bin + 18);
	return 0;
}
