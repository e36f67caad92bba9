/*
 * test_pgtime.c - unit tests for PostgreSQL timestamp text to microseconds
 * and RFC 3339, cross-checked against libc's timegm/gmtime_r.
 *
 * Must never depend on anything but the code under test and libc.
 */
#define _DEFAULT_SOURCE		/* timegm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgtime.h"
#include "tap.h"

static int
parses(const char *s, int64_t want)
{
	int64_t us = INT64_MIN;

	return pgtime_parse(s, &us) == 0 && us == want;
}

static const char *
rfc(int64_t us)
{
	static char buf[PGTIME_RFC3339_MAX];

	return pgtime_rfc3339(us, buf, sizeof(buf)) > 0 ? buf : NULL;
}

static void
test_good(void)
{
	int64_t t = INT64_C(1795510800) * 1000000;	/* 2026-11-24 09:00 */

	ok(parses("2026-11-24 09:00:00.123456+00", t + 123456),
	    "ISO output of a timestamptz in UTC");
	ok(parses("2026-11-24 09:00:00+00", t), "no fraction");
	ok(parses("2026-11-24 09:00:00.5+00", t + 500000),
	    "short fraction: tenths");
	ok(parses("2026-11-24 09:00:00.000001+00", t + 1), "one microsecond");
	ok(parses("2026-11-24 09:00:00", t), "no offset (timestamp) is UTC");
	ok(parses("2026-11-24 14:30:00+05:30", t), "offset +05:30");
	ok(parses("2026-11-24 01:00:00-08", t), "offset -08");
	ok(parses("2026-11-24 10:02:03+01:02:03", t), "offset +01:02:03");
	ok(parses("1970-01-01 00:00:00+00", 0), "the epoch");
	ok(parses("1969-12-31 23:59:59.999999+00", -1), "just before it");
	ok(parses("2024-02-29 00:00:00+00", INT64_C(1709164800) * 1000000),
	    "leap day");
	ok(parses("2000-02-29 00:00:00+00", INT64_C(951782400) * 1000000),
	    "leap day of a 400th year");
	ok(parses("0001-01-01 00:00:00+00", INT64_C(-62135596800) * 1000000),
	    "year 1");
	ok(parses("9999-12-31 23:59:59.999999+00",
	    INT64_C(253402300800) * 1000000 - 1), "the last instant of 9999");
	is_str(rfc(t + 123456), "2026-11-24T09:00:00.123456Z",
	    "RFC 3339 with microseconds");
	is_str(rfc(t), "2026-11-24T09:00:00.000000Z", "zero fraction kept");
	is_str(rfc(-1), "1969-12-31T23:59:59.999999Z", "before the epoch");
	is_str(rfc(INT64_C(-62135596800) * 1000000),
	    "0001-01-01T00:00:00.000000Z", "year 1, four digits");
	is_str(rfc(INT64_C(253402300800) * 1000000 - 1),
	    "9999-12-31T23:59:59.999999Z", "the last instant of 9999");
}

static const struct {
	const char	*s;
	const char	*why;
} bad[] = {
	{ "", "empty" },
	{ "infinity", "infinity" },
	{ "-infinity", "minus infinity" },
	{ "2026-11-24 09:00:00+00 BC", "BC" },
	{ "2026-11-24T09:00:00Z", "RFC 3339 is not PostgreSQL's output" },
	{ "11/24/2026 09:00:00 UTC", "SQL DateStyle" },
	{ "Tue Nov 24 09:00:00 2026 UTC", "Postgres DateStyle" },
	{ "26-11-24 09:00:00+00", "two-digit year" },
	{ "0000-01-01 00:00:00+00", "year 0" },
	{ "10000-01-01 00:00:00+00", "five-digit year (RFC 3339 has four)" },
	{ "294276-01-01 00:00:00+00", "PostgreSQL's last year" },
	{ "1234567-01-01 00:00:00+00", "seven-digit year" },
	{ "02026-11-24 09:00:00+00", "zero-padded five digits" },
	{ "2026-13-01 00:00:00+00", "month 13" },
	{ "2026-00-01 00:00:00+00", "month 0" },
	{ "2026-11-31 00:00:00+00", "November 31" },
	{ "2026-11-00 00:00:00+00", "day 0" },
	{ "2023-02-29 00:00:00+00", "no leap day" },
	{ "1900-02-29 00:00:00+00", "no leap day in a 100th year" },
	{ "2026-11-24 24:00:00+00", "hour 24" },
	{ "2026-11-24 09:60:00+00", "minute 60" },
	{ "2026-11-24 09:00:60+00", "second 60" },
	{ "2026-11-24 9:00:00+00", "one-digit hour" },
	{ "2026-11-24 09:00:00.+00", "empty fraction" },
	{ "2026-11-24 09:00:00.1234567+00", "seven fraction digits" },
	{ "2026-11-24 09:00:00+0", "one-digit offset" },
	{ "2026-11-24 09:00:00+16", "offset past 15 hours" },
	{ "2026-11-24 09:00:00+05:60", "offset minute 60" },
	{ "2026-11-24 09:00:00+00 ", "trailing space" },
	{ "2026-11-24 09:00:00+00x", "trailing byte" },
	{ "2026-11-24  09:00:00+00", "two spaces" },
	{ "2026-1a-24 09:00:00+00", "letter in the month" },
	{ "9999-12-31 23:00:00-05", "year 10000 in UTC" },
	{ "0001-01-01 00:00:00+05", "year 0 in UTC" },
};

static void
test_bad(void)
{
	char name[160];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t us = 42;

		snprintf(name, sizeof(name), "refuses %s", bad[i].why);
		ok(pgtime_parse(bad[i].s, &us) == -1 && us == 42, name);
	}
	ok(rfc(INT64_C(-62135596800) * 1000000 - 1) == NULL,
	    "RFC 3339 refuses a time before year 1");
	ok(rfc(INT64_C(253402300800) * 1000000) == NULL,
	    "RFC 3339 refuses year 10000");
	ok(rfc(INT64_MAX) == NULL && rfc(INT64_MIN) == NULL,
	    "RFC 3339 refuses the int64 extremes");
	{
		char small[27];

		ok(pgtime_rfc3339(0, small, sizeof(small)) == -1,
		    "RFC 3339 refuses a short buffer");
	}
}

/* Random instants from 1900 to 2400 against timegm and gmtime_r. */
static void
test_against_libc(void)
{
	char pg[64], want[64], name[64];
	int i, bad_parse = 0, bad_rfc = 0;

	srand(42);
	for (i = 0; i < 200000; i++) {
		struct tm tm = { 0 };
		int64_t secs, us = 0;
		long frac = rand() % 1000000;
		int off = (rand() % 61 - 30) * 900;	/* -7:30 .. +7:30 */
		time_t t;

		secs = (int64_t)(((double)rand() / RAND_MAX) * 15778800000.0) -
		    INT64_C(2208988800);
		t = (time_t)secs;
		gmtime_r(&t, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d."
		    "%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
		/* The same instant as a session at offset off prints it. */
		t = (time_t)(secs + off);
		gmtime_r(&t, &tm);
		snprintf(pg, sizeof(pg), "%04d-%02d-%02d %02d:%02d:%02d.%06ld"
		    "%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac,
		    off < 0 ? '-' : '+', abs(off) / 3600, abs(off) / 60 % 60);
		if (pgtime_parse(pg, &us) == -1 ||
		    us != secs * 1000000 + frac)
			bad_parse++;
		else if (rfc(us) == NULL || strcmp(rfc(us), want) != 0)
			bad_rfc++;
	}
	snprintf(name, sizeof(name), "200000 instants 1900-2400 parse as "
	    "timegm does");
	is_int(bad_parse, 0, name);
	is_int(bad_rfc, 0, "and print as gmtime_r does");
}

int
main(void)
{
	test_good();
	test_bad();
	test_against_libc();
	return tap_done();
}
