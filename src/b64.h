/*
 * b64.h - base64url (RFC 4648 section 5, no padding) for session tokens.
 *
 * One strict decoder for every caller: a token part that is not
 * canonical base64url is refused, never "repaired".  These functions do
 * no I/O and touch no globals.
 */
#ifndef FOLLOW_B64_H
#define FOLLOW_B64_H

#include <stddef.h>

/* Bytes needed by b64url_encode() for n input bytes, NUL included. */
#define B64URL_ENCODED_SIZE(n) \
	(((n) / 3) * 4 + ((n) % 3 != 0 ? (n) % 3 + 1 : 0) + 1)

/*
 * Encodes n bytes as base64url without padding into out (NUL-terminated).
 * Returns 0, or -1 if outsize is too small (out is then left untouched).
 */
int	b64url_encode(const unsigned char *in, size_t n, char *out,
	    size_t outsize);

/*
 * Strict base64url (no padding, no whitespace, canonical trailing bits)
 * decode of the n bytes at in, which need not be NUL-terminated.  Returns
 * the decoded length, or -1 if the input is invalid or does not fit in
 * outsize bytes.
 */
long	b64url_decode(const char *in, size_t n, unsigned char *out,
	    size_t outsize);

#endif
