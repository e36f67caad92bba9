/*
 * params.h - validators that turn untrusted parameter text into integers.
 *
 * Pure functions: no I/O, no globals, no logging.
 */
#ifndef FOLLOW_PARAMS_H
#define FOLLOW_PARAMS_H

#include <stdint.h>

/*
 * Returns 0 and sets *out if s is a canonical positive decimal int64
 * (1..9223372036854775807): ASCII digits only, no sign, no leading zero,
 * no spaces, no exponent, no hex, at most 19 digits, no overflow; else -1
 * (also for NULL) and *out is untouched.
 */
int	param_id(const char *s, int64_t *out);

/*
 * Same canonical decimal rules as param_id, with the value in [min, max]
 * (e.g. page_size 1..100); "0" is accepted when 0 is in range, a sign never
 * is, so negative values can never be given. Returns 0 and sets *out, or -1
 * and leaves *out untouched.
 */
int	param_int(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Parses a comma-separated list of ids ("1,2,3", each per param_id) into
 * out[0..max). Returns the count (>= 1), or -1 if s is NULL or empty, any
 * item is invalid or empty (",", "1,,2", a trailing comma), max < 1, or
 * there are more than max items; out[] may then hold partial results.
 * Duplicates are allowed and kept in order.
 */
int	param_id_list(const char *s, int64_t *out, int max);

#endif
