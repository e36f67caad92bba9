/*
 * test_jwt.c - HS256 verification, one behaviour per check: what is
 * accepted, every way a token is refused (shape, algorithm, key,
 * signature, time, claims), and that minted tokens verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "b64.h"
#include "jwt.h"
#include "keys.h"
#include "tap.h"

#define NOW	1700000000LL
#define SEC_A	"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="	/* 32 x 'A' */
#define SEC_B	"QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="	/* 32 x 'B' */
#define HDR	"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"
#define HDR_NOKID	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define PAY	"{\"sub\":\"42\",\"iat\":1699999990,\"exp\":1700003600}"

static struct keyring	*ring;
static char		 tokbuf[70000];

/* Signs hdr.pay with k (no signature part at all if k is NULL). */
static const char *
craft(const struct key *k, const char *hdr, const char *pay)
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			mac[32];
	size_t				off;

	if (b64url_encode((const unsigned char *)hdr, strlen(hdr), tokbuf,
	    sizeof(tokbuf)) != 0)
		abort();
	off = strlen(tokbuf);
	tokbuf[off++] = '.';
	if (b64url_encode((const unsigned char *)pay, strlen(pay),
	    tokbuf + off, sizeof(tokbuf) - off) != 0)
		abort();
	off += strlen(tokbuf + off);
	if (k == NULL)
		return tokbuf;
	crypto_auth_hmacsha256_init(&st, k->secret, k->len);
	crypto_auth_hmacsha256_update(&st, (unsigned char *)tokbuf, off);
	crypto_auth_hmacsha256_final(&st, mac);
	tokbuf[off++] = '.';
	if (b64url_encode(mac, sizeof(mac), tokbuf + off,
	    sizeof(tokbuf) - off) != 0)
		abort();
	return tokbuf;
}

static enum jwt_err
verify_at(const char *tok, int64_t now, int64_t leeway,
    struct jwt_claims *c)
{
	struct jwt_claims	dummy;

	return jwt_verify(ring, tok, strlen(tok), now, leeway,
	    c != NULL ? c : &dummy);
}

static enum jwt_err
verify(const char *tok)
{
	return verify_at(tok, NOW, 0, NULL);
}

/* Verifies header HDR with the given payload, signed by k1. */
static enum jwt_err
claims(const char *pay)
{
	return verify(craft(&ring->keys[0], HDR, pay));
}

/* Textbook HMAC-SHA-256 (RFC 2104) to check long-key handling. */
static void
ref_hmac(const unsigned char *key, size_t klen, const char *msg,
    unsigned char out[32])
{
	crypto_hash_sha256_state	st;
	unsigned char			k0[64], pad[64], inner[32];
	size_t				i;

	memset(k0, 0, sizeof(k0));
	if (klen > 64)
		crypto_hash_sha256(k0, key, klen);
	else
		memcpy(k0, key, klen);
	for (i = 0; i < 64; i++)
		pad[i] = k0[i] ^ 0x36;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, pad, 64);
	crypto_hash_sha256_update(&st, (const unsigned char *)msg,
	    strlen(msg));
	crypto_hash_sha256_final(&st, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k0[i] ^ 0x5c;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, pad, 64);
	crypto_hash_sha256_update(&st, inner, 32);
	crypto_hash_sha256_final(&st, out);
}

int
main(void)
{
	struct jwt_claims	 c;
	struct key		 other, longkey;
	const struct key	*k1, *k2;
	const char		*text = "k1 " SEC_A "\nk2 " SEC_B "\n";
	char			*tok, *copy, pay[5000];
	unsigned char		 mac[32], got[64];
	const char		*dot;
	size_t			 len, pad;
	clock_t			 t0;
	enum jwt_err		 e;
	int			 last;

	if (sodium_init() < 0 ||
	    keyring_parse(text, strlen(text), 0, &ring, NULL, 0) != 0)
		return 1;
	k1 = &ring->keys[0];
	k2 = &ring->keys[1];
	memset(&other, 0, sizeof(other));
	strcpy(other.kid, "k1");
	memset(other.secret, 'C', 32);
	other.len = 32;

	/* ---- accepted ---- */
	memset(&c, 0xff, sizeof(c));
	is_int(verify_at(craft(k1, HDR, PAY), NOW, 0, &c), JWT_OK,
	    "valid token verifies");
	ok(c.sub == 42 && c.exp == 1700003600 && c.has_iat &&
	    c.iat == 1699999990 && !c.has_nbf, "claims are filled in");
	is_int(verify(craft(k2, "{\"alg\":\"HS256\",\"kid\":\"k2\"}", PAY)),
	    JWT_OK, "kid selects the second key");
	is_int(verify(craft(k2, HDR_NOKID, PAY)), JWT_OK,
	    "no kid: a token signed with the 2nd key verifies");
	is_int(claims("{\"sub\":42,\"exp\":1700003600}"), JWT_OK,
	    "integer sub, no iat");
	is_int(claims("{\"sub\":\"9223372036854775807\",\"exp\":1700003600}"),
	    JWT_OK, "sub INT64_MAX as a string");
	is_int(claims("{\"sub\":\"1\",\"exp\":1700003600.9,\"x\":[{}]}"),
	    JWT_OK, "fractional exp and unknown claims are accepted");
	is_int(claims("{\"sub\":\"1\",\"exp\":9223372036854775807}"), JWT_OK,
	    "exp INT64_MAX does not overflow");
	is_int(verify_at(craft(k1, HDR, PAY), NOW, INT64_MAX, NULL), JWT_OK,
	    "huge leeway does not overflow");
	is_int(verify(craft(k1, " {\"alg\" : \"HS256\"}\n",
	    " {\"sub\" : \"7\", \"exp\" : 1700003600 } ")), JWT_OK,
	    "JSON whitespace is fine");

	/* ---- algorithm ---- */
	is_int(verify(craft(k1, "{\"alg\":\"none\"}", PAY)), JWT_BAD_ALG,
	    "alg none is refused");
	is_int(verify(craft(NULL, "{\"alg\":\"none\"}", PAY)), JWT_MALFORMED,
	    "alg none without a signature part is malformed");
	is_int(verify(craft(k1, "{\"alg\":\"HS512\"}", PAY)), JWT_BAD_ALG,
	    "alg HS512 is refused");
	is_int(verify(craft(k1, "{\"alg\":\"RS256\"}", PAY)), JWT_BAD_ALG,
	    "alg RS256 is refused");
	is_int(verify(craft(k1, "{\"typ\":\"JWT\"}", PAY)), JWT_BAD_ALG,
	    "missing alg is refused");
	is_int(verify(craft(k1, "{\"alg\":\"hs256\"}", PAY)), JWT_BAD_ALG,
	    "alg hs256 (wrong case) is refused");
	is_int(verify(craft(k1, "{\"alg\":\"HS256\\u0000\"}", PAY)),
	    JWT_BAD_ALG, "alg with an embedded NUL is refused");
	is_int(verify(craft(k1, "{\"alg\":[\"HS256\"]}", PAY)), JWT_BAD_ALG,
	    "alg that is not a string is refused");
	is_int(verify(craft(k1, "{\"alg\":\"none\",\"alg\":\"HS256\"}", PAY)),
	    JWT_MALFORMED, "duplicate alg is malformed");

	/* ---- keys and signatures ---- */
	tok = strdup(craft(k1, HDR, PAY));
	len = strlen(tok);
	tok[len - 1] = tok[len - 1] == 'A' ? 'Q' : 'A';
	is_int(verify(tok), JWT_BAD_SIG, "tampered signature is refused");
	free(tok);
	tok = strdup(craft(k1, HDR, PAY));
	dot = strchr(tok, '.');
	copy = strdup(craft(NULL, HDR,
	    "{\"sub\":\"43\",\"iat\":1699999990,\"exp\":1700003600}"));
	memcpy(tok + (dot - tok), strchr(copy, '.'), strlen(copy) -
	    (size_t)(strchr(copy, '.') - copy));
	is_int(verify(tok), JWT_BAD_SIG, "tampered payload is refused");
	free(copy);
	free(tok);
	is_int(verify(craft(&other, HDR, PAY)), JWT_BAD_SIG,
	    "token signed with a key not in the ring is refused");
	is_int(verify(craft(&other, HDR_NOKID, PAY)), JWT_BAD_SIG,
	    "no kid and no key matches is refused");
	is_int(verify(craft(k1, "{\"alg\":\"HS256\",\"kid\":\"k9\"}", PAY)),
	    JWT_UNKNOWN_KID, "unknown kid is refused");
	is_int(verify(craft(k1, "{\"alg\":\"HS256\",\"kid\":\"k1\\u0000x\"}",
	    PAY)), JWT_MALFORMED, "kid with an embedded NUL is malformed");
	is_int(verify(craft(k1, "{\"alg\":\"HS256\",\"kid\":1}", PAY)),
	    JWT_MALFORMED, "kid that is not a string is malformed");
	is_int(verify(craft(k2, HDR, PAY)), JWT_BAD_SIG,
	    "kid k1 but signed by k2 is refused");
	tok = strdup(craft(k1, HDR, PAY));
	tok[strlen(tok) - 3] = '\0';
	is_int(verify(tok), JWT_BAD_SIG, "30-byte signature is refused");
	free(tok);
	e = jwt_verify(NULL, craft(k1, HDR, PAY), strlen(tokbuf), NOW, 0, &c);
	is_int(e, JWT_UNKNOWN_KID, "NULL ring: kid is unknown");

	/* ---- time ---- */
	is_int(verify_at(craft(k1, HDR, PAY), 1700003601, 0, NULL),
	    JWT_EXPIRED, "expired token is refused");
	is_int(verify_at(craft(k1, HDR, PAY), 1700003600, 0, NULL), JWT_OK,
	    "token is valid at exactly exp");
	is_int(verify_at(craft(k1, HDR, PAY), 1700003630, 30, NULL), JWT_OK,
	    "expired within leeway is accepted");
	is_int(verify_at(craft(k1, HDR, PAY), 1700003631, 30, NULL),
	    JWT_EXPIRED, "expired beyond leeway is refused");
	is_int(verify_at(craft(k1, HDR, PAY), 1700003601, -100, NULL),
	    JWT_EXPIRED, "negative leeway counts as zero");
	is_int(claims("{\"sub\":\"1\",\"exp\":1700003600,\"nbf\":1700000100}"),
	    JWT_NOT_YET_VALID, "nbf in the future is refused");
	memset(&c, 0, sizeof(c));
	is_int(verify_at(craft(k1, HDR,
	    "{\"sub\":\"1\",\"exp\":1700003600,\"nbf\":1700000030}"), NOW, 30,
	    &c), JWT_OK, "nbf within leeway is accepted");
	ok(c.has_nbf && c.nbf == 1700000030, "nbf is reported");
	is_int(claims("{\"sub\":\"1\",\"exp\":1700003600,\"iat\":1700000100}"),
	    JWT_NOT_YET_VALID, "iat in the future is refused");
	is_int(claims("{\"sub\":\"1\",\"iat\":1699999990}"), JWT_BAD_CLAIMS,
	    "missing exp is refused");
	is_int(claims("{\"sub\":\"1\",\"exp\":\"1700003600\"}"), JWT_BAD_CLAIMS,
	    "exp as a string is refused");
	is_int(claims("{\"sub\":\"1\",\"exp\":null}"), JWT_BAD_CLAIMS,
	    "exp null is refused");
	is_int(claims("{\"sub\":\"1\",\"exp\":1e400}"), JWT_BAD_CLAIMS,
	    "exp out of range is refused");
	is_int(claims("{\"sub\":\"1\",\"exp\":NaN}"), JWT_BAD_CLAIMS,
	    "exp NaN is refused");
	is_int(claims("{\"sub\":\"1\",\"exp\":99999999999999999999}"),
	    JWT_BAD_CLAIMS, "exp beyond int64 is refused, not clamped");
	is_int(claims("{\"sub\":\"1\",\"exp\":1700003600,\"iat\":true}"),
	    JWT_BAD_CLAIMS, "iat that is not a number is refused");
	is_int(claims("{\"sub\":\"1\",\"exp\":1700003600,\"nbf\":\"0\"}"),
	    JWT_BAD_CLAIMS, "nbf that is not a number is refused");

	/* ---- sub ---- */
	is_int(claims("{\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "missing sub is refused");
	is_int(claims("{\"sub\":\"ada\",\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "non-numeric sub is refused");
	is_int(claims("{\"sub\":\"-1\",\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "negative sub string is refused");
	is_int(claims("{\"sub\":-1,\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "negative sub integer is refused");
	is_int(claims("{\"sub\":\"0\",\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "zero sub string is refused");
	is_int(claims("{\"sub\":0,\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "zero sub integer is refused");
	is_int(claims("{\"sub\":\"9223372036854775808\",\"exp\":1700003600}"),
	    JWT_BAD_CLAIMS, "sub 2^63 as a string is refused");
	is_int(claims("{\"sub\":9223372036854775808,\"exp\":1700003600}"),
	    JWT_BAD_CLAIMS, "sub 2^63 as an integer is refused, not clamped");
	is_int(claims("{\"sub\":\"042\",\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "sub with a leading zero is refused");
	is_int(claims("{\"sub\":\"+42\",\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "sub with a plus sign is refused");
	is_int(claims("{\"sub\":\" 42\",\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "sub with a space is refused");
	is_int(claims("{\"sub\":\"42\\u0000\",\"exp\":1700003600}"),
	    JWT_BAD_CLAIMS, "sub with an embedded NUL is refused");
	is_int(claims("{\"sub\":42.0,\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "float sub is refused");
	is_int(claims("{\"sub\":\"42.0\",\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "float sub string is refused");
	is_int(claims("{\"sub\":\"\",\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "empty sub is refused");
	is_int(claims("{\"sub\":true,\"exp\":1700003600}"), JWT_BAD_CLAIMS,
	    "boolean sub is refused");

	/* ---- shape ---- */
	is_int(verify("!!!.@@@.###"), JWT_MALFORMED, "garbage base64");
	is_int(verify(".."), JWT_MALFORMED, "two dots only");
	is_int(verify("abc"), JWT_MALFORMED, "no dots");
	is_int(verify(""), JWT_MALFORMED, "empty token");
	tok = malloc(strlen(craft(k1, HDR, PAY)) + 8);
	sprintf(tok, "%s.AAAA", tokbuf);
	is_int(verify(tok), JWT_MALFORMED, "four parts");
	sprintf(tok, "%s.", tokbuf);
	is_int(verify(tok), JWT_MALFORMED, "trailing dot (empty 4th part)");
	free(tok);
	tok = strdup(craft(k1, HDR, PAY));
	is_int(verify(strchr(tok, '.')), JWT_MALFORMED, "empty header part");
	dot = strrchr(tok, '.');
	copy = strndup(tok, (size_t)(dot - tok) + 1);
	is_int(verify(copy), JWT_MALFORMED, "empty signature part");
	free(copy);
	copy = strdup(tok);
	*strchr(copy, '.') = '\0';
	sprintf(pay, "%s..%s", copy, dot + 1);
	is_int(verify(pay), JWT_MALFORMED, "empty payload part");
	free(copy);
	sprintf(pay, "%s=", tok);
	is_int(verify(pay), JWT_MALFORMED, "padded signature");
	sprintf(pay, " %s", tok);
	is_int(verify(pay), JWT_MALFORMED, "leading space");
	sprintf(pay, "%s\n", tok);
	is_int(verify(pay), JWT_MALFORMED, "trailing newline");
	free(tok);

	tok = malloc(65536);
	memset(tok, 'A', 65536);
	tok[100] = '.';
	tok[200] = '.';
	t0 = clock();
	e = jwt_verify(ring, tok, 65536, NOW, 0, &c);
	is_int(e, JWT_MALFORMED, "a 64 KiB token is refused");
	ok(clock() - t0 < CLOCKS_PER_SEC / 100, "... in under 10 ms");
	free(tok);

	/* The length limit is exact: JWT_MAX_LEN passes, one more fails. */
	last = -1;
	for (pad = 2800; pad < 3100; pad++) {
		sprintf(pay, "{\"sub\":\"1\",\"exp\":1700003600,\"p\":\"%*s\"}",
		    (int)pad, "");
		len = strlen(craft(k1, HDR, pay));
		if (len == JWT_MAX_LEN)
			last = verify(tokbuf);
		if (len == JWT_MAX_LEN + 1 || len == JWT_MAX_LEN + 2) {
			is_int(verify(tokbuf), JWT_MALFORMED,
			    "token over JWT_MAX_LEN is refused");
			break;
		}
	}
	is_int(last, JWT_OK, "token of exactly JWT_MAX_LEN verifies");

	/* Not NUL-terminated: valid bytes followed by junk beyond len. */
	craft(k1, HDR, PAY);
	len = strlen(tokbuf);
	memcpy(pay, tokbuf, len);
	memcpy(pay + len, "AAAA.BBBB", 10);
	is_int(jwt_verify(ring, pay, len, NOW, 0, &c), JWT_OK,
	    "reads only len bytes (no NUL needed)");

	is_int(verify(craft(k1, "[\"HS256\"]", PAY)), JWT_MALFORMED,
	    "header that is an array is malformed");
	is_int(verify(craft(k1, "\"HS256\"", PAY)), JWT_MALFORMED,
	    "header that is a string is malformed");
	is_int(verify(craft(k1, "{\"alg\":\"HS256\"", PAY)), JWT_MALFORMED,
	    "truncated header JSON is malformed");
	is_int(verify(craft(k1, "{\"alg\":\"HS256\"}x", PAY)), JWT_MALFORMED,
	    "header with trailing bytes is malformed");
	is_int(verify(craft(k1, "{'alg':'HS256'}", PAY)), JWT_MALFORMED,
	    "single-quoted header is malformed");
	is_int(claims("[{\"sub\":\"1\",\"exp\":1700003600}]"), JWT_MALFORMED,
	    "payload that is an array is malformed");
	is_int(claims("{\"sub\":\"1\",\"exp\":1700003600,\"sub\":\"2\"}"),
	    JWT_MALFORMED, "duplicate sub is malformed");
	is_int(claims("{\"sub\":\"1\",\"exp\":1700003600,\"a\":\"\xff\"}"),
	    JWT_MALFORMED, "invalid UTF-8 in payload is malformed");
	is_int(claims("{\"sub\":\"1\",\"exp\":1700003600,\"a\":[[[[[[[[[[[[["
	    "[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]}"), JWT_MALFORMED,
	    "deep nesting is malformed");

	/* ---- mint ---- */
	tok = jwt_mint(k2, 1234, NOW, NOW + 60);
	ok(tok != NULL, "jwt_mint returns a token");
	memset(&c, 0, sizeof(c));
	is_int(tok != NULL ? (int)jwt_verify(ring, tok, strlen(tok), NOW, 0,
	    &c) : -1, JWT_OK, "minted token verifies");
	ok(c.sub == 1234 && c.exp == NOW + 60 && c.has_iat && c.iat == NOW,
	    "minted claims round-trip");
	len = tok != NULL ? strlen(tok) : 0;
	got[0] = 0;
	ok(tok != NULL && b64url_decode(tok, (size_t)(strchr(tok, '.') - tok),
	    got, sizeof(got)) > 0 &&
	    memcmp(got, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k2\"}",
	    38) == 0, "minted header names alg, typ and kid");
	free(tok);
	ok(jwt_mint(k1, 0, NOW, NOW + 60) == NULL &&
	    jwt_mint(k1, -5, NOW, NOW + 60) == NULL &&
	    jwt_mint(NULL, 1, NOW, NOW + 60) == NULL,
	    "jwt_mint refuses sub < 1 and no key");

	memset(&longkey, 0, sizeof(longkey));
	strcpy(longkey.kid, "long");
	randombytes_buf(longkey.secret, 100);
	longkey.len = 100;
	tok = jwt_mint(&longkey, 5, NOW, NOW + 60);
	dot = tok != NULL ? strrchr(tok, '.') : NULL;
	ok(dot != NULL, "jwt_mint with a 100-byte key");
	if (dot != NULL) {
		copy = strndup(tok, (size_t)(dot - tok));
		ref_hmac(longkey.secret, longkey.len, copy, mac);
		ok(b64url_decode(dot + 1, strlen(dot + 1), got, sizeof(got)) ==
		    32 && memcmp(got, mac, 32) == 0,
		    "100-byte key signs like textbook HMAC (key hashed first)");
		free(copy);
	}
	free(tok);

	ok(strcmp(jwt_strerror(JWT_OK), "valid") == 0 &&
	    strcmp(jwt_strerror(JWT_EXPIRED), "token expired") == 0 &&
	    jwt_strerror((enum jwt_err)99) != NULL, "jwt_strerror");

	keyring_free(ring);
	return tap_done();
}
