/*
 * qs.h - query-string and Cookie header lookups.
 *
 * Pure functions over untrusted text: no I/O, no globals, no logging.
 */
#ifndef FOLLOW_QS_H
#define FOLLOW_QS_H

/* Longest decoded value either lookup hands out, in bytes. */
#define QS_MAX_VALUE 4096

/*
 * Looks up parameter name in a raw query string (as in QUERY_STRING, without
 * '?'; may be NULL or empty). Pairs split on '&'; a pair without '=' has an
 * empty value; '+' means space; %XX is decoded (hex either case); keys are
 * compared after decoding. Returns 1 and sets *out to a malloc'd
 * NUL-terminated decoded value (caller frees), 0 if absent, -1 if the
 * parameter is present but malformed: bad %-escape, decoded NUL byte,
 * invalid UTF-8 after decoding, value longer than QS_MAX_VALUE, or the
 * parameter given more than once (ambiguous); -1 also if malloc fails.
 * Malformed pairs of other parameters are ignored. *out is NULL unless 1.
 */
int	qs_get(const char *query, const char *name, char **out);

/*
 * Looks up a cookie by name in a Cookie header value (RFC 6265 "a=1; b=2",
 * tolerating missing or extra spaces and double quotes around the value; no
 * %-decoding). Returns 1 with *out a malloc'd copy of the value (caller
 * frees), 0 if absent (or header NULL), -1 if the first pair with that name
 * is malformed (a value byte outside RFC 6265 cookie-octet, an unbalanced
 * quote), its value exceeds QS_MAX_VALUE, or malloc fails. A repeated
 * cookie yields its first occurrence (browsers send the most specific
 * first). *out is NULL unless 1.
 */
int	cookie_get(const char *header, const char *name, char **out);

#endif
