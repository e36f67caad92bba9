/*
 * cursor.h - opaque, authenticated keyset cursors for page continuation.
 *
 * Pure functions: no I/O, no globals, no logging. Needs sodium_init() to
 * have run once in the process.
 */
#ifndef FOLLOW_CURSOR_H
#define FOLLOW_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

enum cursor_kind {
	CURSOR_FEED = 1,
	CURSOR_FOLLOWERS = 2,
	CURSOR_FOLLOWING = 3
};

struct cursor {
	int	kind;		/* enum cursor_kind */
	/* Whose list: the caller (feed) or the target user (lists). */
	int64_t	scope;
	/* Sort timestamp, microseconds since the Unix epoch (may be < 0). */
	int64_t	ts_us;
	int64_t	id;		/* tie-breaker id (post id or user id) */
};

#define CURSOR_KEY_BYTES 32
#define CURSOR_TEXT_MAX 96	/* enough for the encoded form + NUL */
/* Exact length of every encoded cursor, without the NUL. */
#define CURSOR_TEXT_LEN 46

/*
 * Encodes c as base64url (no padding) of: version byte 1 | kind byte |
 * scope | ts_us | id (big-endian int64) | first 8 bytes of HMAC-SHA-256
 * over the preceding bytes with key, and writes it NUL-terminated to out.
 * Returns 0, or -1 if outsize is too small (< CURSOR_TEXT_LEN + 1) or c
 * could never decode (kind outside 1..3, id < 1); out is then untouched.
 */
int	cursor_encode(const struct cursor *c,
	    const unsigned char key[CURSOR_KEY_BYTES], char *out,
	    size_t outsize);

/*
 * cursor_encode() with a key made ready once by cursor_key_ready(): the
 * HMAC's two pad blocks are then hashed per process, not per page.
 */
int	cursor_encode_ready(const struct cursor *c,
	    const crypto_auth_hmacsha256_state *ready, char *out,
	    size_t outsize);

/* Makes key ready for cursor_encode_ready(); wipe *ready when done. */
void	cursor_key_ready(crypto_auth_hmacsha256_state *ready,
	    const unsigned char key[CURSOR_KEY_BYTES]);

/*
 * Decodes and authenticates s against each of the nkeys keys in turn (so
 * key rotation keeps cursors valid), comparing tags in constant time.
 * Returns 0 and fills *out only if the length, version, kind (1..3), tag
 * and id (>= 1) are all valid; else -1 and *out is untouched. The caller
 * must still check that out->kind and out->scope are those of the request:
 * a valid cursor from another list is not a valid cursor for this one.
 */
int	cursor_decode(const char *s,
	    const unsigned char (*keys)[CURSOR_KEY_BYTES], size_t nkeys,
	    struct cursor *out);

#endif
