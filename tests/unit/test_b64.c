/*
 * test_b64.c - base64url: RFC 4648 vectors, round trips, and the inputs a
 * strict decoder must refuse (padding, whitespace, foreign alphabets,
 * non-canonical trailing bits, impossible lengths, short buffers).
 */
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
	return tap_done();
}
