/*
 * b64.c - base64url for session tokens.
 *
 * Strictness is the point: a decoder that skips padding, whitespace or
 * non-zero trailing bits lets many texts map to one token, which makes
 * tokens malleable.  libsodium's decoder already checks trailing bits; this
 * file adds "the whole input must be consumed".  Must never read past n
 * bytes of input nor write past outsize bytes of output.
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

long
b64url_decode(const char *in, size_t n, unsigned char *out, size_t outsize)
{
	const char	*end = NULL;
	size_t		 len = 0, i;

	if (in == NULL || n > LONG_MAX / 2)
		return -1;
	if (n == 0)
		return 0;
	/*
	 * libsodium 1.0.18 decodes every byte >= 0x80 as '_', so one token
	 * would have many spellings: check the alphabet ourselves first.
	 */
	for (i = 0; i < n; i++)
		if (!((in[i] >= 'A' && in[i] <= 'Z') ||
		    (in[i] >= 'a' && in[i] <= 'z') ||
		    (in[i] >= '0' && in[i] <= '9') || in[i] == '-' ||
		    in[i] == '_'))
			return -1;
	if (sodium_base642bin(out, outsize, in, n, NULL, &len, &end,
	    B64URL_VARIANT) != 0)
		return -1;
	/* libsodium stops quietly at the first foreign byte ('=', space). */
	if (end != in + n)
		return -1;
	return (long)len;
}
