/*
 * test_b64.c - base64url: RFC 4648 vectors, round trips, and the inputs a
 * strict decoder must refuse (padding, whitespace, foreign alphabets,
 * non-canonical trailing bits, impossible lengths, short buffers).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "b64.h"
#include "tap.h"

static int
enc_is(const char *in, const char *want)
{
	char	out[64];

	if (b64url_encode((const unsigned char *)in, strlen(in), out,
	    sizeof(out)) != 0)
		return 0;
	return strcmp(out, want) == 0;
}

static int
dec_is(const char *in, const char *want)
{
	unsigned char	out[64];
	long		n;

	n = b64url_decode(in, strlen(in), out, sizeof(out));
	return n == (long)strlen(want) && memcmp(out, want, (size_t)n) == 0;
}

static long
dec(const char *in)
{
	unsigned char	out[64];

	return b64url_decode(in, strlen(in), out, sizeof(out));
}

/* The decoder before it stopped using libsodium: the reference. */
static long
sodium_decode(const char *in, size_t n, unsigned char *out, size_t outsize)
{
	const char *end = NULL;
	size_t len = 0, i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((in[i] >= 'A' && in[i] <= 'Z') ||
		    (in[i] >= 'a' && in[i] <= 'z') ||
		    (in[i] >= '0' && in[i] <= '9') || in[i] == '-' ||
		    in[i] == '_'))
			return -1;
	if (sodium_base642bin(out, outsize, in, n, NULL, &len, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || end != in + n)
		return -1;
	return (long)len;
}

/* Random texts, mostly of the alphabet, random output room: same answer. */
static void
test_same_as_sodium(void)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_=+/ .\x80";
	char in[48];
	unsigned char a[40], b[40];
	long ra, rb;
	int i, k, n, bad = 0, good = 0;
	size_t room;

	srand(4242);
	for (i = 0; i < 200000; i++) {
		n = rand() % (int)sizeof(in);
		for (k = 0; k < n; k++)
			in[k] = rand() % 50 == 0 ?
			    alpha[64 + rand() % (int)(sizeof(alpha) - 65)] :
			    alpha[rand() % 64];
		room = (size_t)(rand() % (int)sizeof(a));
		ra = b64url_decode(in, (size_t)n, a, room);
		rb = sodium_decode(in, (size_t)n, b, room);
		if (ra != rb || (ra > 0 && memcmp(a, b, (size_t)ra) != 0))
			bad++;
		good += ra > 0;
	}
	is_int(bad, 0, "200000 random texts decode as libsodium decoded them");
	ok(good > 1000, "and many of them were valid");
}

int
main(void)
{
	unsigned char	bin[256], back[256];
	char		txt[512], small[4];
	size_t		n;
	int		good;

	if (sodium_init() < 0)
		return 1;

	ok(enc_is("", "") && enc_is("f", "Zg") && enc_is("fo", "Zm8") &&
	    enc_is("foo", "Zm9v") && enc_is("foob", "Zm9vYg") &&
	    enc_is("fooba", "Zm9vYmE") && enc_is("foobar", "Zm9vYmFy"),
	    "encode: RFC 4648 vectors without padding");
	ok(dec_is("", "") && dec_is("Zg", "f") && dec_is("Zm8", "fo") &&
	    dec_is("Zm9v", "foo") && dec_is("Zm9vYmFy", "foobar"),
	    "decode: RFC 4648 vectors without padding");
	bin[0] = 0xfb;
	bin[1] = 0xff;
	ok(b64url_encode(bin, 2, txt, sizeof(txt)) == 0 &&
	    strcmp(txt, "-_8") == 0, "encode: uses the URL-safe alphabet");
	ok(b64url_decode("-_8", 3, back, sizeof(back)) == 2 &&
	    back[0] == 0xfb && back[1] == 0xff,
	    "decode: accepts the URL-safe alphabet");

	good = 1;
	for (n = 0; n < sizeof(bin); n++) {
		long r;

		randombytes_buf(bin, n);
		if (b64url_encode(bin, n, txt, sizeof(txt)) != 0 ||
		    strlen(txt) + 1 != B64URL_ENCODED_SIZE(n)) {
			good = 0;
			break;
		}
		r = b64url_decode(txt, strlen(txt), back, n);
		if (r != (long)n || memcmp(bin, back, n) != 0) {
			good = 0;
			break;
		}
	}
	ok(good, "round trip: 0..255 random bytes, exact-size buffers");

	is_int(dec("Zg=="), -1, "decode: refuses padding");
	is_int(dec("Zg="), -1, "decode: refuses a single pad");
	is_int(dec("Zm9v\n"), -1, "decode: refuses a trailing newline");
	is_int(dec("Zm9v Yg"), -1, "decode: refuses inner whitespace");
	is_int(dec(" Zm9v"), -1, "decode: refuses leading whitespace");
	is_int(dec("+/8"), -1, "decode: refuses the standard alphabet");
	is_int(dec("Zm9v!"), -1, "decode: refuses a foreign character");
	is_int(dec("Z"), -1, "decode: refuses an impossible length");
	is_int(dec("Zm9\xff"), -1,
	    "decode: refuses a byte >= 0x80 (libsodium reads it as '_')");
	is_int(dec("Zh"), -1, "decode: refuses non-zero trailing bits (1)");
	is_int(dec("Zm9"), -1, "decode: refuses non-zero trailing bits (2)");
	is_int(b64url_decode("Zm\0v", 4, back, sizeof(back)), -1,
	    "decode: refuses an embedded NUL");
	is_int(b64url_decode("Zm9vYmFy", 8, back, 5), -1,
	    "decode: refuses an output buffer one byte short");
	is_int(b64url_decode("Zm9vYmFyXXXX", 4, back, sizeof(back)), 3,
	    "decode: reads only n bytes");

	memset(small, 'x', sizeof(small));
	ok(b64url_encode((const unsigned char *)"foo", 3, small, 4) == -1 &&
	    small[0] == 'x', "encode: short buffer is -1 and untouched");
	ok(b64url_encode((const unsigned char *)"foo", 3, txt, 5) == 0 &&
	    strcmp(txt, "Zm9v") == 0, "encode: exact buffer holds the NUL");
	test_same_as_sodium();
	return tap_done();
}
