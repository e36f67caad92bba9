/*
 * jwt.h - HS256 session tokens (compact JWS, RFC 7515/7519).
 *
 * Verification is pure: the caller passes the key ring and the time, gets
 * typed claims back, and decides what an error means for the request
 * (every error is a 401 to the client; the enum is for logs and tests).
 */
#ifndef FOLLOW_JWT_H
#define FOLLOW_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/* Longer tokens are refused before any decoding. */
#define JWT_MAX_LEN	4096
#define JWT_JSON_DEPTH	16	/* nesting allowed in header and payload JSON */

struct jwt_claims {
	int64_t	sub;		/* 1..INT64_MAX */
	int64_t	exp;
	int64_t	iat;		/* meaningful only if has_iat */
	int	has_iat;
	int64_t	nbf;		/* meaningful only if has_nbf */
	int	has_nbf;
};

enum jwt_err {
	JWT_OK = 0,
	JWT_MALFORMED,		/* not three base64url parts of JSON objects */
	JWT_BAD_ALG,		/* "alg" missing or not exactly "HS256" */
	JWT_UNKNOWN_KID,	/* "kid" names no key in the ring */
	JWT_BAD_SIG,
	JWT_EXPIRED,
	JWT_NOT_YET_VALID,	/* nbf or iat in the future */
	JWT_BAD_CLAIMS		/* sub, exp, nbf or iat missing or ill-typed */
};

/*
 * Verifies the compact JWS of len bytes at tok (need not be
 * NUL-terminated; never read beyond len) against kr at time now (Unix
 * seconds), allowing leeway seconds of clock skew (negative counts as 0).
 * The header must be a JSON object with "alg" exactly "HS256", optional
 * "typ" (ignored) and optional "kid" (a string; without it every key is
 * tried).  The payload is examined only after the signature checks out:
 * "sub" (canonical decimal string or integer, 1..INT64_MAX) and "exp"
 * (NumericDate) are required, "nbf" and "iat" honoured when present.
 * Duplicate top-level members in header or payload are JWT_MALFORMED.
 * Returns JWT_OK and fills *out, else an error and *out is zeroed.
 */
enum jwt_err	jwt_verify(const struct keyring *kr, const char *tok,
		    size_t len, int64_t now, int64_t leeway,
		    struct jwt_claims *out);

/*
 * Mints an HS256 token with header {"alg":"HS256","typ":"JWT","kid":KID}
 * and payload {"sub":"<sub>","iat":iat,"exp":exp}.  Returns a malloc'd
 * NUL-terminated string the caller frees, or NULL if sub < 1, the key is
 * unusable, or memory ran out.
 */
char		*jwt_mint(const struct key *k, int64_t sub, int64_t iat,
		    int64_t exp);

/* Returns short static English text for logs; never contains token data. */
const char	*jwt_strerror(enum jwt_err e);

#endif
