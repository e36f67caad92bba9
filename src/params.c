/*
 * params.c - strict integer validators for query parameters and path ids.
 *
 * Only one spelling of each number is accepted, so that "007", "7" and
 * "7.0" can never name the same row in one place and differ in another
 * (caches, logs, rate-limit keys). This file must never do I/O, keep state,
 * log, or read past the end of its input: it is fuzzed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "params.h"

/* Digits in INT64_MAX (9223372036854775807). */
#define DEC_DIGITS_MAX	19

static int	param_span(const char *, size_t, int64_t *);

/*
 * Parses s[0..n) as a canonical non-negative decimal int64: digits only,
 * no leading zero except "0" itself. Returns 0 and sets *out, else -1.
 */
static int
param_span(const char *s, size_t n, int64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (n == 0 || n > DEC_DIGITS_MAX)
		return -1;
	if (s[0] == '0' && n > 1)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		/* 19 digits always fit in uint64_t: check the range once. */
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
param_id(const char *s, int64_t *out)
{
	return param_int(s, 1, INT64_MAX, out);
}

int
param_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t	 v;

	if (s == NULL)
		return -1;
	/* Bounded so a megabyte of digits is refused after 20 bytes. */
	if (param_span(s, strnlen(s, DEC_DIGITS_MAX + 1), &v) == -1)
		return -1;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
param_id_list(const char *s, int64_t *out, int max)
{
	const char	*p, *comma;
	int		 n = 0;

	if (s == NULL || *s == '\0' || max < 1)
		return -1;
	for (p = s;; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		if (n == max)
			return -1;
		if (param_span(p, (size_t)(comma - p), &out[n]) == -1 ||
		    out[n] < 1)
			return -1;
		n++;
		if (*comma == '\0')
			break;
	}
	return n;
}
