/*
 * pgtime.c - timestamps as PostgreSQL sends them and as the API shows them.
 *
 * The statements return timestamps in PostgreSQL's own text output, which
 * is cheap for it to write, and the worker derives both forms the API
 * needs from it: microseconds for cursors, RFC 3339 for JSON. Done with
 * to_char() and extract(epoch) in SQL, that cost PostgreSQL a few
 * microseconds a row on every page (bench/RESULTS.md, round 7).
 *
 * The calendar arithmetic is proleptic Gregorian on day numbers (the
 * algorithms of H. Hinnant's "chrono-compatible low-level date
 * algorithms"), as PostgreSQL's is; no libc time function is involved,
 * so no time zone or locale can change the result.
 */
#include <stdio.h>

#include "pgtime.h"

#define US_PER_SEC	INT64_C(1000000)
#define US_PER_DAY	(INT64_C(86400) * US_PER_SEC)
/* RFC 3339 has four-digit years (PostgreSQL goes on to 294276 AD). */
#define YEAR_MAX	9999

/* Days from 1970-01-01 to y-m-d. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Exactly n digits at *sp, at most max in value; advances *sp. */
static int
digits(const char **sp, int n, int max, int *out)
{
	const char *s = *sp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*sp = s + n;
	*out = v;
	return 0;
}

/* "+HH", "+HH:MM" or "+HH:MM:SS" (or '-'): seconds east of UTC. */
static int
offset(const char **sp, int64_t *secs)
{
	const char *s = *sp;
	int sign, h, mi = 0, se = 0;

	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (digits(&s, 2, 15, &h) == -1)
		return -1;
	if (*s == ':' && (s++, digits(&s, 2, 59, &mi) == -1))
		return -1;
	if (*s == ':' && (s++, digits(&s, 2, 59, &se) == -1))
		return -1;
	*secs = sign * (h * 3600 + mi * 60 + se);
	*sp = s;
	return 0;
}

int
pgtime_parse(const char *s, int64_t *us)
{
	int64_t y = 0, off = 0, frac = 0, scale = US_PER_SEC, t;
	int n, mo, d, h, mi, se;

	for (n = 0; *s >= '0' && *s <= '9'; n++, s++)
		if (n < 5)
			y = y * 10 + (*s - '0');
	if (n != 4 || y < 1 || y > YEAR_MAX || *s++ != '-' ||
	    digits(&s, 2, 12, &mo) == -1 || mo < 1 || *s++ != '-' ||
	    digits(&s, 2, 31, &d) == -1 || d < 1 ||
	    d > month_days(y, mo) || *s++ != ' ' ||
	    digits(&s, 2, 23, &h) == -1 || *s++ != ':' ||
	    digits(&s, 2, 59, &mi) == -1 || *s++ != ':' ||
	    digits(&s, 2, 59, &se) == -1)
		return -1;
	if (*s == '.') {
		for (s++, n = 0; *s >= '0' && *s <= '9' && n < 6; s++, n++) {
			frac = frac * 10 + (*s - '0');
			scale /= 10;
		}
		if (n == 0 || (*s >= '0' && *s <= '9'))
			return -1;
	}
	if (*s != '\0' && offset(&s, &off) == -1)
		return -1;
	if (*s != '\0')
		return -1;
	t = days_from_civil(y, mo, d) * US_PER_DAY +
	    ((int64_t)h * 3600 + mi * 60 + se - off) * US_PER_SEC +
	    frac * scale;
	/* An offset can carry 9999-12-31 or 0001-01-01 out of range in UTC. */
	if (t < days_from_civil(1, 1, 1) * US_PER_DAY ||
	    t >= days_from_civil(YEAR_MAX + 1, 1, 1) * US_PER_DAY)
		return -1;
	*us = t;
	return 0;
}

int
pgtime_rfc3339(int64_t us, char *out, size_t len)
{
	int64_t days, rem, y;
	int m, d, n;

	days = us / US_PER_DAY;
	rem = us % US_PER_DAY;
	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > YEAR_MAX)
		return -1;
	n = snprintf(out, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    (long long)y, m, d, (int)(rem / (3600 * US_PER_SEC)),
	    (int)(rem / (60 * US_PER_SEC) % 60),
	    (int)(rem / US_PER_SEC % 60), (int)(rem % US_PER_SEC));
	return n < 0 || (size_t)n >= len ? -1 : n;
}
