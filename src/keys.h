/*
 * keys.h - the HMAC key ring that signs and verifies session tokens.
 *
 * The ring comes from a key file (one "KID BASE64SECRET" per line); the
 * first key signs, every key verifies, which is what makes rotation
 * possible without logging anybody out.
 */
#ifndef FOLLOW_KEYS_H
#define FOLLOW_KEYS_H

#include <stddef.h>

#include <sodium.h>

#define KEY_MIN_BYTES	32
#define KEY_MAX_BYTES	128
#define KEY_KID_MAX	64
#define KEY_FILE_MAX	65536	/* larger key files are refused unread */
#define KEY_RING_MAX	64	/* more keys than this is a mistake */

struct key {
	char		kid[KEY_KID_MAX + 1];
	unsigned char	secret[KEY_MAX_BYTES];
	size_t		len;
	/*
	 * HMAC-SHA-256 after the key's inner and outer pads, computed once
	 * by keyring_parse(): two of the six SHA-256 blocks of checking a
	 * token. A key built by hand (has_pads 0) is used the long way.
	 */
	crypto_auth_hmacsha256_state pads;
	int		has_pads;
};

/* keys[0] signs; all verify. */
struct keyring {
	struct key	*keys;
	size_t		 n;
};

/*
 * Loads the key file at path.  Refuses (returns -1, one-line reason
 * starting with the path in err) a file that is not a regular file, that
 * group or others can read or write (mode & 077), a file larger than
 * KEY_FILE_MAX, an empty ring, a secret shorter than KEY_MIN_BYTES or longer than KEY_MAX_BYTES, a
 * duplicate kid, a bad line.  On success *out is owned by the caller: free
 * it with keyring_free().  Never puts secret bytes into err.  Calls
 * sodium_init(), which is idempotent.
 */
int	keyring_load(const char *path, struct keyring **out, char *err,
	    size_t errlen);

/*
 * Parses len bytes of key file text at buf (need not be NUL-terminated),
 * with the same rules as keyring_load() except the file checks; with
 * allow_empty a text without keys gives a ring with n == 0 instead of an
 * error.  Returns 0 and a ring the caller frees with keyring_free(), or -1
 * with a one-line reason in err that never contains secret bytes.
 */
int	keyring_parse(const char *buf, size_t len, int allow_empty,
	    struct keyring **out, char *err, size_t errlen);

/* Wipes every secret and frees kr; kr may be NULL. */
void	keyring_free(struct keyring *kr);

/* Returns the key with that kid, or NULL; borrowed from kr. */
const struct key *keyring_find(const struct keyring *kr, const char *kid);

/* Returns 1 if s is a valid kid: 1-64 characters of [A-Za-z0-9._-]. */
int	keyring_kid_valid(const char *s, size_t n);

#endif
