/*
 * pgtime.h - timestamps as PostgreSQL sends them and as the API shows them.
 *
 * Pure functions: no I/O, no globals, no locale.
 */
#ifndef FOLLOW_PGTIME_H
#define FOLLOW_PGTIME_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" and a NUL. */
#define PGTIME_RFC3339_MAX 28

/*
 * Reads a timestamptz (or timestamp, taken as UTC) in PostgreSQL's ISO
 * output style, "2026-11-24 09:00:00.123456+00": a year from 0001 to
 * 9999 (what RFC 3339 can write), an optional fraction of up to six
 * digits, an optional offset (+HH, +HH:MM or +HH:MM:SS, or with '-'),
 * nothing else. Sets *us to microseconds since the Unix epoch (may be
 * < 0) and returns 0, or returns -1 (*us untouched) for anything else:
 * BC dates, later years, infinity, out of range fields, a different
 * DateStyle.
 */
int	pgtime_parse(const char *s, int64_t *us);

/*
 * Writes us (from pgtime_parse) as RFC 3339 in UTC with six fraction
 * digits, "2026-11-24T09:00:00.123456Z", NUL-terminated. Returns the
 * length, or -1 if us is outside the years 1 to 9999 or out must be
 * longer than len.
 */
int	pgtime_rfc3339(int64_t us, char *out, size_t len);

#endif
