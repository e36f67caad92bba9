/*
 * fuzz_jwt.c - libFuzzer harness for jwt_verify.
 *
 * The first byte picks how the rest is used.  Even: the bytes are a token
 * as a client sends it, verified against a fixed two-key ring; anything
 * accepted would be a forgery, so acceptance aborts.  Odd: the bytes are
 * "HEADER\nPAYLOAD" JSON text, which the harness signs with a ring key so
 * the fuzzer reaches the claim checks behind the signature; whatever is
 * accepted must carry a sub >= 1 and an exp not in the past.  Must never
 * be linked into the service.
 *
 * Build and run: make fuzz (tests/fuzz/local.mk), or by hand from the top
 * of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       tests/fuzz/fuzz_jwt.c src/jwt.c src/keys.c src/b64.c \
 *       -ljson-c -lsodium -o fuzz_jwt
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "b64.h"
#include "jwt.h"
#include "keys.h"

#define NOW	1700000000LL
/* Two keys of 32 bytes each ('A' x 32, 'B' x 32), kids k1 and k2. */
#define RING	"k1 QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n" \
		"k2 QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct keyring	*ring;

/* Makes HEADER.PAYLOAD.MAC in out (outlen bytes); returns its length. */
static size_t
sign(const struct key *k, const uint8_t *hdr, size_t hlen,
    const uint8_t *pay, size_t plen, char *out, size_t outlen)
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 mac[32];
	size_t				 off;

	if (b64url_encode(hdr, hlen, out, outlen) != 0)
		return 0;
	off = strlen(out);
	out[off++] = '.';
	if (b64url_encode(pay, plen, out + off, outlen - off) != 0)
		return 0;
	off += strlen(out + off);
	crypto_auth_hmacsha256_init(&st, k->secret, k->len);
	crypto_auth_hmacsha256_update(&st, (unsigned char *)out, off);
	crypto_auth_hmacsha256_final(&st, mac);
	out[off++] = '.';
	if (b64url_encode(mac, sizeof(mac), out + off, outlen - off) != 0)
		return 0;
	return off + strlen(out + off);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_claims	 c;
	const uint8_t		*nl;
	enum jwt_err		 e;
	char			 err[128], *tok;
	size_t			 hlen, len, cap;

	if (ring == NULL && keyring_parse(RING, strlen(RING), 0, &ring, err,
	    sizeof(err)) != 0)
		abort();
	if (size == 0)
		return 0;

	if ((data[0] & 1) == 0) {
		/* An unsigned copy: jwt_verify must not read past len. */
		if ((tok = malloc(size - 1 + 1)) == NULL)
			return 0;
		memcpy(tok, data + 1, size - 1);
		e = jwt_verify(ring, tok, size - 1, NOW, data[0] >> 1, &c);
		if (e == JWT_OK)
			abort();
		if (c.sub != 0 || c.exp != 0)
			abort();
		free(tok);
		return 0;
	}

	data++;
	size--;
	if ((nl = memchr(data, '\n', size)) == NULL)
		return 0;
	hlen = (size_t)(nl - data);
	/* base64url grows 4/3, plus two dots and the MAC. */
	cap = (size + 2) / 3 * 4 + 64;
	if ((tok = malloc(cap)) == NULL)
		return 0;
	len = sign(&ring->keys[size & 1], data, hlen, nl + 1,
	    size - hlen - 1, tok, cap);
	if (len > 0) {
		e = jwt_verify(ring, tok, len, NOW, 0, &c);
		if (e == JWT_OK && (c.sub < 1 || c.exp < NOW))
			abort();
		if (e != JWT_OK && (c.sub != 0 || c.exp != 0))
			abort();
	}
	free(tok);
	return 0;
}
