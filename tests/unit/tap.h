/*
 * tap.h - a minimal TAP producer for the unit tests.
 *
 * Each check prints one "ok N - name" line, so automake's tap-driver counts
 * every behaviour separately. Call tap_done() last: it prints the plan and
 * returns the exit status.
 */
#ifndef FOLLOW_TAP_H
#define FOLLOW_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

static inline int
tap_ok(int cond, const char *name, const char *file, int line)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return cond;
}

#define ok(cond, name) tap_ok((cond) ? 1 : 0, (name), __FILE__, __LINE__)
#define is_int(got, want, name) \
	tap_ok((long long)(got) == (long long)(want), (name), __FILE__, __LINE__)
#define is_str(got, want, name) \
	tap_ok((got) != NULL && strcmp((got), (want)) == 0, (name), \
	    __FILE__, __LINE__)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed == 0 ? 0 : 1;
}

#endif
