/*
 * jwt.c - verifies and mints HS256 session tokens.
 *
 * Pure: no I/O, no globals, no logging; the time comes from the caller.
 * Every input is hostile and will be fuzzed, so work is bounded by
 * JWT_MAX_LEN before anything is decoded, buffers are fixed-size, and the
 * payload is not even parsed until the signature is good.  Must never
 * compare MACs with memcmp() nor accept any algorithm but HS256.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "b64.h"
#include "jwt.h"
#include "keys.h"

#define MAC_BYTES	crypto_auth_hmacsha256_BYTES

/* ---- helpers -------------------------------------------------------- */

static void
hmac(const struct key *k, const char *msg, size_t n,
    unsigned char mac[MAC_BYTES])
{
	crypto_auth_hmacsha256_state	st;

	/* The streaming API takes keys of any length, unlike _verify(). */
	if (k->has_pads)
		st = k->pads;
	else
		crypto_auth_hmacsha256_init(&st, k->secret, k->len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/*
 * Counts the members of the top-level object in JSON text that json-c has
 * already accepted.  json-c keeps the last of two equal keys silently, so
 * a count larger than json_object_object_length() means a duplicate.
 * Returns -1 on a single-quoted string, which json-c tolerates but JSON is
 * not, and which would make the count unreliable.
 */
static long
member_count(const unsigned char *s, size_t n)
{
	size_t	i;
	long	commas = 0, depth = 0;
	int	instr = 0, any = 0;

	for (i = 0; i < n; i++) {
		if (instr) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			instr = 1;
			if (depth == 1)
				any = 1;
			break;
		case '\'':
			return -1;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ',':
			if (depth == 1)
				commas++;
			break;
		}
	}
	return any ? commas + 1 : 0;
}

/*
 * Parses n bytes of strict JSON that must be one object with unique
 * top-level keys.  Returns the object (caller puts it) or NULL.
 */
static struct json_object *
parse_object(const unsigned char *s, size_t n)
{
	struct json_tokener	*tok;
	struct json_object	*obj = NULL;

	/* json-c would stop at a NUL and hide whatever follows it. */
	if (n == 0 || n > JWT_MAX_LEN || memchr(s, '\0', n) != NULL)
		return NULL;
	if ((tok = json_tokener_new_ex(JWT_JSON_DEPTH)) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, (const char *)s, (int)n);
	if (obj == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n ||
	    !json_object_is_type(obj, json_type_object) ||
	    member_count(s, n) != json_object_object_length(obj)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* Returns the string member name of o if it has no embedded NUL, or NULL. */
static const char *
get_string(struct json_object *o, const char *name, int *present)
{
	struct json_object	*v;
	const char		*s;

	*present = json_object_object_get_ex(o, name, &v);
	if (!*present || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL || strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/*
 * Reads a JSON integer member into *val, refusing values json-c clamped
 * because they did not fit in int64_t.  Returns 0, or -1.
 */
static int
get_int64(struct json_object *v, int64_t *val)
{
	int64_t	i;

	if (!json_object_is_type(v, json_type_int))
		return -1;
	i = json_object_get_int64(v);
	if (i == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
		return -1;
	if (i == INT64_MIN) {
		/* json-c clamps below INT64_MIN silently; refuse the edge. */
		return -1;
	}
	*val = i;
	return 0;
}

/*
 * Reads a NumericDate member: an integer, or a finite number whose
 * fraction is dropped.  Returns 1 if present and valid, 0 if absent, -1
 * if present but not a usable number.
 */
static int
get_numeric_date(struct json_object *o, const char *name, int64_t *val)
{
	struct json_object	*v;
	double			 d;

	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (json_object_is_type(v, json_type_int))
		return get_int64(v, val) == 0 ? 1 : -1;
	if (!json_object_is_type(v, json_type_double))
		return -1;
	d = json_object_get_double(v);
	/* The bounds are exact powers of two, so the casts are exact. */
	if (!isfinite(d) || d >= 9223372036854775808.0 ||
	    d <= -9223372036854775808.0)
		return -1;
	*val = (int64_t)d;
	return 1;
}

/* Canonical decimal 1..INT64_MAX: no sign, no leading zero, no space. */
static int
parse_sub_string(const char *s, int64_t *val)
{
	int64_t	v = 0;
	size_t	i;

	if (s == NULL || s[0] < '1' || s[0] > '9')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*val = v;
	return 0;
}

static enum jwt_err
check_claims(struct json_object *p, int64_t now, int64_t leeway,
    struct jwt_claims *c)
{
	struct json_object	*v;
	const char		*s;
	int			 present, r;

	if (json_object_object_get_ex(p, "sub", &v) &&
	    json_object_is_type(v, json_type_int)) {
		if (get_int64(v, &c->sub) == -1 || c->sub < 1)
			return JWT_BAD_CLAIMS;
	} else {
		s = get_string(p, "sub", &present);
		if (parse_sub_string(s, &c->sub) == -1)
			return JWT_BAD_CLAIMS;
	}
	if (get_numeric_date(p, "exp", &c->exp) != 1)
		return JWT_BAD_CLAIMS;
	if ((r = get_numeric_date(p, "nbf", &c->nbf)) == -1)
		return JWT_BAD_CLAIMS;
	c->has_nbf = r;
	if ((r = get_numeric_date(p, "iat", &c->iat)) == -1)
		return JWT_BAD_CLAIMS;
	c->has_iat = r;

	if (now > sat_add(c->exp, leeway))
		return JWT_EXPIRED;
	if (c->has_nbf && sat_add(now, leeway) < c->nbf)
		return JWT_NOT_YET_VALID;
	if (c->has_iat && c->iat > sat_add(now, leeway))
		return JWT_NOT_YET_VALID;
	return JWT_OK;
}

/* ---- verify --------------------------------------------------------- */

enum jwt_err
jwt_verify(const struct keyring *kr, const char *tok, size_t len,
    int64_t now, int64_t leeway, struct jwt_claims *out)
{
	unsigned char		 buf[JWT_MAX_LEN];
	unsigned char		 mac[MAC_BYTES], sig[MAC_BYTES];
	struct json_object	*hdr = NULL, *pay = NULL;
	struct jwt_claims	 c;
	const struct key	*k = NULL;
	const char		*d1, *d2, *alg, *kid;
	size_t			 hlen, plen, slen, i;
	long			 n;
	int			 present, good = 0;
	enum jwt_err		 e;

	memset(&c, 0, sizeof(c));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (leeway < 0)
		leeway = 0;

	/* Shape first: bounded length, exactly three non-empty parts. */
	if (tok == NULL || len == 0 || len > JWT_MAX_LEN)
		return JWT_MALFORMED;
	if ((d1 = memchr(tok, '.', len)) == NULL)
		return JWT_MALFORMED;
	if ((d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok))) == NULL)
		return JWT_MALFORMED;
	if (memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL)
		return JWT_MALFORMED;
	hlen = (size_t)(d1 - tok);
	plen = (size_t)(d2 - d1 - 1);
	slen = len - (size_t)(d2 + 1 - tok);
	if (hlen == 0 || plen == 0 || slen == 0)
		return JWT_MALFORMED;

	/* Header: the algorithm is pinned, never taken from the token. */
	if ((n = b64url_decode(tok, hlen, buf, sizeof(buf))) <= 0 ||
	    (hdr = parse_object(buf, (size_t)n)) == NULL) {
		e = JWT_MALFORMED;
		goto cleanup;
	}
	alg = get_string(hdr, "alg", &present);
	if (alg == NULL || strcmp(alg, "HS256") != 0) {
		e = JWT_BAD_ALG;
		goto cleanup;
	}
	kid = get_string(hdr, "kid", &present);
	if (present && kid == NULL) {
		e = JWT_MALFORMED;
		goto cleanup;
	}
	if (present && (k = keyring_find(kr, kid)) == NULL) {
		e = JWT_UNKNOWN_KID;
		goto cleanup;
	}

	/* Signature over the ASCII "header.payload", as sent. */
	if ((n = b64url_decode(d2 + 1, slen, buf, sizeof(buf))) < 0) {
		e = JWT_MALFORMED;
		goto cleanup;
	}
	if (n != MAC_BYTES) {
		e = JWT_BAD_SIG;
		goto cleanup;
	}
	memcpy(sig, buf, sizeof(sig));
	if (k != NULL) {
		hmac(k, tok, (size_t)(d2 - tok), mac);
		good = sodium_memcmp(mac, sig, sizeof(mac)) == 0;
	} else if (kr != NULL) {
		/* No kid: any key of the ring may have signed it. */
		for (i = 0; i < kr->n && !good; i++) {
			hmac(&kr->keys[i], tok, (size_t)(d2 - tok), mac);
			good = sodium_memcmp(mac, sig, sizeof(mac)) == 0;
		}
	}
	sodium_memzero(mac, sizeof(mac));
	if (!good) {
		e = JWT_BAD_SIG;
		goto cleanup;
	}

	/* Payload: only a key holder can have written it from here on. */
	if ((n = b64url_decode(d1 + 1, plen, buf, sizeof(buf))) <= 0 ||
	    (pay = parse_object(buf, (size_t)n)) == NULL) {
		e = JWT_MALFORMED;
		goto cleanup;
	}
	if ((e = check_claims(pay, now, leeway, &c)) == JWT_OK && out != NULL)
		*out = c;
cleanup:
	json_object_put(pay);
	json_object_put(hdr);
	return e;
}

/* ---- mint ----------------------------------------------------------- */

char *
jwt_mint(const struct key *k, int64_t sub, int64_t iat, int64_t exp)
{
	char		 hdr[128 + KEY_KID_MAX], pay[128];
	char		*tok = NULL;
	unsigned char	 mac[MAC_BYTES];
	size_t		 kidlen, hlen, plen, siglen, off, size;
	int		 r;

	if (k == NULL || sub < 1 || k->len == 0 || k->len > KEY_MAX_BYTES)
		return NULL;
	kidlen = strnlen(k->kid, sizeof(k->kid));
	if (!keyring_kid_valid(k->kid, kidlen))
		return NULL;
	/* A valid kid needs no JSON escaping. */
	r = snprintf(hdr, sizeof(hdr),
	    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->kid);
	if (r < 0 || (size_t)r >= sizeof(hdr))
		return NULL;
	hlen = (size_t)r;
	r = snprintf(pay, sizeof(pay),
	    "{\"sub\":\"%lld\",\"iat\":%lld,\"exp\":%lld}",
	    (long long)sub, (long long)iat, (long long)exp);
	if (r < 0 || (size_t)r >= sizeof(pay))
		return NULL;
	plen = (size_t)r;

	siglen = B64URL_ENCODED_SIZE(MAC_BYTES);
	size = B64URL_ENCODED_SIZE(hlen) + B64URL_ENCODED_SIZE(plen) + siglen;
	if ((tok = malloc(size)) == NULL)
		return NULL;
	if (b64url_encode((const unsigned char *)hdr, hlen, tok, size) == -1)
		goto fail;
	off = strlen(tok);
	tok[off++] = '.';
	if (b64url_encode((const unsigned char *)pay, plen, tok + off,
	    size - off) == -1)
		goto fail;
	off += strlen(tok + off);
	hmac(k, tok, off, mac);
	tok[off++] = '.';
	r = b64url_encode(mac, sizeof(mac), tok + off, size - off);
	sodium_memzero(mac, sizeof(mac));
	if (r == -1)
		goto fail;
	return tok;
fail:
	free(tok);
	return NULL;
}

const char *
jwt_strerror(enum jwt_err e)
{
	switch (e) {
	case JWT_OK:
		return "valid";
	case JWT_MALFORMED:
		return "malformed token";
	case JWT_BAD_ALG:
		return "algorithm not allowed (only HS256)";
	case JWT_UNKNOWN_KID:
		return "unknown key id";
	case JWT_BAD_SIG:
		return "bad signature";
	case JWT_EXPIRED:
		return "token expired";
	case JWT_NOT_YET_VALID:
		return "token not yet valid";
	case JWT_BAD_CLAIMS:
		return "missing or invalid claims";
	}
	return "unknown error";
}
