/*
 * b64.c - base64url for session tokens.
 *
 * Strictness is the point: a decoder that skips padding, whitespace or
 * non-zero trailing bits lets many texts map to one token, which makes
 * tokens malleable.  Encoding is libsodium's; decoding is a plain loop
 * that refuses all of those.  Must never read past n bytes of input nor
 * write past outsize bytes of output.
 */
#include <limits.h>
#include <stdint.h>

#include <sodium.h>

#include "b64.h"

#define B64URL_VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING

int
b64url_encode(const unsigned char *in, size_t n, char *out, size_t outsize)
{
	/* Guard the size arithmetic before trusting it. */
	if (n > (SIZE_MAX / 4) * 3 - 3)
		return -1;
	/* sodium_bin2base64() aborts the process on a short buffer. */
	if (out == NULL ||
	    outsize < sodium_base64_ENCODED_LEN(n, B64URL_VARIANT))
		return -1;
	sodium_bin2base64(out, outsize, in, n, B64URL_VARIANT);
	return 0;
}

/* The value of a base64url character, or -1 for any other byte. */
static int
sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decoded here rather than by sodium_base642bin(): its constant-time
 * character lookup made decoding a token's three parts an eighth of an
 * authenticated request, and nothing decoded here is secret (token
 * parts and cursors arrive in requests; key files are read by keys.c).
 */
long
b64url_decode(const char *in, size_t n, unsigned char *out, size_t outsize)
{
	uint32_t	 acc = 0;
	size_t		 i, bits = 0, len = 0;
	int		 v;

	if (in == NULL || n > LONG_MAX / 2)
		return -1;
	/* 4k+1 characters leave 6 bits: no byte, so no valid text. */
	if (n % 4 == 1)
		return -1;
	if ((n / 4) * 3 + (n % 4 != 0 ? n % 4 - 1 : 0) > outsize)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = sextet((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
		}
	}
	/* Canonical: the 2 or 4 bits left over must be zero. */
	if ((acc & ((1U << bits) - 1)) != 0)
		return -1;
	return (long)len;
}
