/*
 * test_params.c - unit tests for the integer validators, one behaviour per
 * line.
 *
 * Must never depend on anything but the code under test and libc.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "tap.h"

/* Every spelling param_id must refuse, with why. */
static const struct {
	const char	*s;
	const char	*why;
} bad_ids[] = {
	{ "", "empty" },
	{ "0", "zero" },
	{ "00", "double zero" },
	{ "007", "leading zero" },
	{ "-1", "negative" },
	{ "+1", "plus sign" },
	{ "-0", "negative zero" },
	{ " 1", "leading space" },
	{ "1 ", "trailing space" },
	{ "1\n", "trailing newline" },
	{ "1e3", "exponent" },
	{ "1.0", "decimal point" },
	{ "1.", "trailing point" },
	{ "0x10", "hex" },
	{ "1_000", "digit separator" },
	{ "1,000", "thousands comma" },
	{ "abc", "letters" },
	{ "12a", "trailing letter" },
	{ "\xd9\xa1", "non-ASCII digit (Arabic-Indic one)" },
	{ "9223372036854775808", "INT64_MAX + 1" },
	{ "18446744073709551616", "UINT64_MAX + 1" },
	{ "99999999999999999999", "20 digits" },
	{ "10000000000000000000", "20 digits over uint64 range" },
	{ "00000000000000000001", "zero-padded 1 to 20 digits" },
	{ "me", "the word me" },
};

static void
test_id(void)
{
	int64_t	 v;
	size_t	 i;
	char	 name[128];
	char	*s;

	v = 0;
	ok(param_id("1", &v) == 0 && v == 1, "id 1 is the smallest");
	v = 0;
	ok(param_id("42", &v) == 0 && v == 42, "id 42");
	v = 0;
	ok(param_id("9223372036854775807", &v) == 0 && v == INT64_MAX,
	    "id INT64_MAX is the largest");
	v = 0;
	ok(param_id("1000000000000000000", &v) == 0 &&
	    v == 1000000000000000000LL, "id with 19 digits");
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		v = 77;
		snprintf(name, sizeof(name), "id refuses %s", bad_ids[i].why);
		ok(param_id(bad_ids[i].s, &v) == -1 && v == 77, name);
	}
	v = 77;
	ok(param_id(NULL, &v) == -1 && v == 77, "id refuses NULL");
	ok(param_id("1\0" "2", &v) == 0 && v == 1,
	    "id stops at the NUL terminator");

	if ((s = malloc(100001)) == NULL)
		abort();
	memset(s, '1', 100000);
	s[100000] = '\0';
	ok(param_id(s, &v) == -1, "id refuses 100k digits");
	free(s);
}

static void
test_int(void)
{
	int64_t	 v;

	ok(param_int("1", 1, 100, &v) == 0 && v == 1, "int page_size 1");
	ok(param_int("100", 1, 100, &v) == 0 && v == 100,
	    "int page_size 100");
	ok(param_int("20", 1, 100, &v) == 0 && v == 20, "int page_size 20");
	v = 77;
	ok(param_int("101", 1, 100, &v) == -1 && v == 77,
	    "int page_size 101 is out of range");
	ok(param_int("0", 1, 100, &v) == -1, "int page_size 0 out of range");
	ok(param_int("-1", 1, 100, &v) == -1, "int refuses negative");
	ok(param_int("010", 1, 100, &v) == -1, "int refuses leading zero");
	ok(param_int("1e2", 1, 100, &v) == -1, "int refuses exponent");
	ok(param_int(" 5", 1, 100, &v) == -1, "int refuses space");
	ok(param_int("", 1, 100, &v) == -1, "int refuses empty");
	ok(param_int(NULL, 1, 100, &v) == -1, "int refuses NULL");
	ok(param_int("0", 0, 10, &v) == 0 && v == 0,
	    "int 0 accepted when in range");
	ok(param_int("00", 0, 10, &v) == -1, "int 00 refused even if 0 is ok");
	ok(param_int("9223372036854775807", 1, INT64_MAX, &v) == 0 &&
	    v == INT64_MAX, "int page INT64_MAX");
	ok(param_int("9223372036854775808", 1, INT64_MAX, &v) == -1,
	    "int page overflow");
	ok(param_int("5", 5, 5, &v) == 0 && v == 5, "int min == max");
	ok(param_int("5", 6, 4, &v) == -1, "int empty range refuses all");
}

/* Returns a malloc'd list "1,2,...,n". */
static char *
list_of(int n)
{
	char	*s, *p;
	int	 i;

	if ((s = malloc((size_t)n * 12 + 1)) == NULL)
		abort();
	p = s;
	*p = '\0';
	for (i = 1; i <= n; i++)
		p += sprintf(p, i == 1 ? "%d" : ",%d", i);
	return s;
}

static void
test_list(void)
{
	int64_t	 v[101];
	char	*s;
	int	 i, good;

	ok(param_id_list("1", v, 100) == 1 && v[0] == 1, "list one item");
	ok(param_id_list("1,2,3", v, 100) == 3 && v[0] == 1 && v[1] == 2 &&
	    v[2] == 3, "list three items in order");
	ok(param_id_list("3,1,3", v, 100) == 3 && v[0] == 3 && v[1] == 1 &&
	    v[2] == 3, "list keeps duplicates");
	ok(param_id_list("9223372036854775807", v, 100) == 1 &&
	    v[0] == INT64_MAX, "list INT64_MAX item");

	s = list_of(100);
	good = param_id_list(s, v, 100) == 100;
	for (i = 0; good && i < 100; i++)
		good = v[i] == i + 1;
	ok(good, "list of 100 items");
	free(s);
	s = list_of(101);
	v[100] = 777;
	ok(param_id_list(s, v, 100) == -1 && v[100] == 777,
	    "list of 101 items is refused without writing past max");
	free(s);
	ok(param_id_list("1,2", v, 1) == -1, "list over a small max");
	ok(param_id_list("1", v, 0) == -1, "list max 0 refuses all");

	ok(param_id_list("", v, 100) == -1, "list empty");
	ok(param_id_list(NULL, v, 100) == -1, "list NULL");
	ok(param_id_list(",", v, 100) == -1, "list lone comma");
	ok(param_id_list(",1", v, 100) == -1, "list leading comma");
	ok(param_id_list("1,", v, 100) == -1, "list trailing comma");
	ok(param_id_list("1,,2", v, 100) == -1, "list empty middle item");
	ok(param_id_list("1, 2", v, 100) == -1, "list space after comma");
	ok(param_id_list("1 ,2", v, 100) == -1, "list space before comma");
	ok(param_id_list(" 1", v, 100) == -1, "list leading space");
	ok(param_id_list("1,a", v, 100) == -1, "list non-number item");
	ok(param_id_list("1,0", v, 100) == -1, "list zero item");
	ok(param_id_list("1,-2", v, 100) == -1, "list negative item");
	ok(param_id_list("1,02", v, 100) == -1, "list leading-zero item");
	ok(param_id_list("1;2", v, 100) == -1, "list other separator");
	ok(param_id_list("1,9223372036854775808", v, 100) == -1,
	    "list overflowing item");

	if ((s = malloc(200001)) == NULL)
		abort();
	memset(s, ',', 200000);
	s[200000] = '\0';
	ok(param_id_list(s, v, 100) == -1, "list of 200k commas is refused");
	free(s);
}

int
main(void)
{
	test_id();
	test_int();
	test_list();
	return tap_done();
}
