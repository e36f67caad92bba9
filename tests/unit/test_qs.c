/*
 * test_qs.c - unit tests for qs_get and cookie_get, one behaviour per line.
 *
 * Must never depend on anything but the code under test and libc.
 */
#include <stdlib.h>
#include <string.h>

#include "qs.h"
#include "tap.h"

static char	*got;

/* Runs qs_get, keeping the value in got; returns its result. */
static int
q(const char *query, const char *name)
{
	free(got);
	got = NULL;
	return qs_get(query, name, &got);
}

/* Runs cookie_get, keeping the value in got; returns its result. */
static int
c(const char *header, const char *name)
{
	free(got);
	got = NULL;
	return cookie_get(header, name, &got);
}

/* Returns a malloc'd string of n copies of ch followed by tail. */
static char *
fill(const char *head, char ch, size_t n, const char *tail)
{
	size_t	 hl = strlen(head), tl = strlen(tail);
	char	*s;

	if ((s = malloc(hl + n + tl + 1)) == NULL)
		abort();
	memcpy(s, head, hl);
	memset(s + hl, ch, n);
	memcpy(s + hl + n, tail, tl + 1);
	return s;
}

static void
test_query(void)
{
	char	*s;
	size_t	 i;

	ok(q("page=2", "page") == 1 && strcmp(got, "2") == 0, "qs simple");
	ok(q("page=2&page_size=5&cursor=x", "page") == 1 &&
	    strcmp(got, "2") == 0, "qs first of three");
	ok(q("page=2&page_size=5&cursor=x", "page_size") == 1 &&
	    strcmp(got, "5") == 0, "qs middle of three");
	ok(q("page=2&page_size=5&cursor=x", "cursor") == 1 &&
	    strcmp(got, "x") == 0, "qs last of three");
	ok(q("page=2&page_size=5", "cursor") == 0 && got == NULL,
	    "qs absent is 0 and leaves out NULL");
	ok(q("pages=2&apage=3&pag=4", "page") == 0,
	    "qs names that only share a prefix or suffix do not match");
	ok(q("page=&x=1", "page") == 1 && strcmp(got, "") == 0,
	    "qs empty value");
	ok(q("x=1&page", "page") == 1 && strcmp(got, "") == 0,
	    "qs pair without '=' has an empty value");
	ok(q("a=1&&b=2&", "b") == 1 && strcmp(got, "2") == 0,
	    "qs empty pairs are skipped");
	ok(q("q=a=b", "q") == 1 && strcmp(got, "a=b") == 0,
	    "qs value may contain '='");
	ok(q("q=a+b%20c", "q") == 1 && strcmp(got, "a b c") == 0,
	    "qs '+' and %20 are spaces");
	ok(q("q=1%2B1", "q") == 1 && strcmp(got, "1+1") == 0,
	    "qs %2B is a plus sign");
	ok(q("q=%2c%2C", "q") == 1 && strcmp(got, ",,") == 0,
	    "qs hex escapes in either case");
	ok(q("q=%C3%A9", "q") == 1 && strcmp(got, "\xc3\xa9") == 0,
	    "qs valid UTF-8 is decoded");
	ok(q("q=%zz", "q") == -1, "qs %zz is malformed");
	ok(q("q=%4", "q") == -1, "qs %4 at end is malformed");
	ok(q("q=%4&x=1", "q") == -1, "qs %4 before '&' is malformed");
	ok(q("q=abc%", "q") == -1, "qs trailing % is malformed");
	ok(q("q=a%00b", "q") == -1, "qs %00 is refused");
	ok(q("q=%C3%28", "q") == -1, "qs invalid UTF-8 %C3%28 is refused");
	ok(q("q=%FF", "q") == -1, "qs invalid UTF-8 %FF is refused");
	ok(q("q=%C0%AF", "q") == -1, "qs overlong UTF-8 is refused");
	ok(q("q=%ED%A0%80", "q") == -1, "qs UTF-16 surrogate is refused");
	ok(q("q=%F4%90%80%80", "q") == -1, "qs code point > U+10FFFF refused");
	ok(q("q=%E2%82", "q") == -1, "qs truncated UTF-8 is refused");
	ok(q("q=\xff", "q") == -1, "qs raw invalid UTF-8 byte is refused");
	ok(q("q=%F0%9F%98%80", "q") == 1 &&
	    strcmp(got, "\xf0\x9f\x98\x80") == 0, "qs 4-byte UTF-8 accepted");

	s = fill("x=1&q=", 'a', QS_MAX_VALUE, "");
	ok(q(s, "q") == 1 && strlen(got) == QS_MAX_VALUE,
	    "qs value of exactly QS_MAX_VALUE bytes accepted");
	free(s);
	s = fill("q=", 'a', QS_MAX_VALUE + 1, "");
	ok(q(s, "q") == -1, "qs value over QS_MAX_VALUE is refused");
	free(s);
	/* 3 * 4096 raw bytes that decode to exactly the limit. */
	s = malloc(2 + 3 * QS_MAX_VALUE + 1);
	if (s == NULL)
		abort();
	memcpy(s, "q=", 2);
	for (i = 0; i < QS_MAX_VALUE; i++)
		memcpy(s + 2 + 3 * i, "%41", 3);
	s[2 + 3 * QS_MAX_VALUE] = '\0';
	ok(q(s, "q") == 1 && strlen(got) == QS_MAX_VALUE && got[0] == 'A',
	    "qs limit applies to the decoded length");
	free(s);

	ok(q("page=1&page=2", "page") == -1, "qs repeated parameter is -1");
	ok(q("page=1&x=1&page", "page") == -1,
	    "qs repeated parameter without '=' is -1");
	ok(q("page=1&pa%67e=1", "page") == -1,
	    "qs repeated parameter via encoded key is -1");
	ok(q("x=1&page=2&x=3", "page") == 1 && strcmp(got, "2") == 0,
	    "qs another parameter repeated is fine");
	ok(q("x=%zz&y=%00&z=%FF&page=2", "page") == 1 &&
	    strcmp(got, "2") == 0, "qs malformed other pairs are ignored");
	ok(q("%zz=1&page=2", "page") == 1 && strcmp(got, "2") == 0,
	    "qs malformed other key is ignored");
	ok(q("pa%67e=2", "page") == 1 && strcmp(got, "2") == 0,
	    "qs key is compared after decoding");
	ok(q("page+size=3", "page size") == 1 && strcmp(got, "3") == 0,
	    "qs '+' in key is a space");
	ok(q("page%00=3", "page") == 0, "qs key with %00 does not match");
	ok(q("PAGE=3", "page") == 0, "qs keys are case-sensitive");
	ok(q(NULL, "page") == 0 && got == NULL, "qs NULL query is absent");
	ok(q("", "page") == 0, "qs empty query is absent");
	ok(q("&", "page") == 0, "qs query of one '&' is absent");

	/* Must finish promptly and without copying the haystack. */
	s = fill("", '&', 100000, "page=7");
	ok(q(s, "page") == 1 && strcmp(got, "7") == 0,
	    "qs 100k '&' query is bounded");
	free(s);
	s = fill("x=", '%', 100000, "&page=7");
	ok(q(s, "page") == 1 && strcmp(got, "7") == 0,
	    "qs 100k-character malformed other value is bounded");
	free(s);
	s = fill("page=", '9', 100000, "");
	ok(q(s, "page") == -1, "qs 100k-character value is refused");
	free(s);
	s = fill("", 'p', 100000, "=1&page=7");
	ok(q(s, "page") == 1 && strcmp(got, "7") == 0,
	    "qs 100k-character other key is bounded");
	free(s);
}

static void
test_cookie(void)
{
	char	*s;

	ok(c("a=1; follow_session=tok; b=2", "follow_session") == 1 &&
	    strcmp(got, "tok") == 0, "cookie among several");
	ok(c("follow_session=tok; a=1", "follow_session") == 1 &&
	    strcmp(got, "tok") == 0, "cookie first");
	ok(c("a=1; follow_session=tok", "follow_session") == 1 &&
	    strcmp(got, "tok") == 0, "cookie last");
	ok(c("a=1;follow_session=tok;b=2", "follow_session") == 1 &&
	    strcmp(got, "tok") == 0, "cookie without spaces");
	ok(c("a=1;  follow_session = tok ;b=2", "follow_session") == 1 &&
	    strcmp(got, "tok") == 0, "cookie with extra spaces");
	ok(c("a=1; follow_session=\"tok\"", "follow_session") == 1 &&
	    strcmp(got, "tok") == 0, "cookie quoted value is unquoted");
	ok(c("follow_session=\"\"", "follow_session") == 1 &&
	    strcmp(got, "") == 0, "cookie quoted empty value");
	ok(c("follow_session=\"tok", "follow_session") == -1,
	    "cookie unbalanced quote is malformed");
	ok(c("follow_session=\"", "follow_session") == -1,
	    "cookie lone quote is malformed");
	ok(c("follow_session=a\"b", "follow_session") == -1,
	    "cookie quote inside value is malformed");
	ok(c("follow_session=a b", "follow_session") == -1,
	    "cookie space inside value is malformed");
	ok(c("follow_session=a\\b", "follow_session") == -1,
	    "cookie backslash in value is malformed");
	ok(c("follow_session=a,b", "follow_session") == -1,
	    "cookie comma in value is malformed");
	ok(c("follow_session=a\x01" "b", "follow_session") == -1,
	    "cookie control byte in value is malformed");
	ok(c("follow_session=\xc3\xa9", "follow_session") == -1,
	    "cookie non-ASCII value is malformed");
	ok(c("a=1; b=2", "follow_session") == 0 && got == NULL,
	    "cookie absent");
	ok(c("", "follow_session") == 0, "cookie empty header");
	ok(c(NULL, "follow_session") == 0, "cookie NULL header");
	ok(c("xfollow_session=1", "follow_session") == 0,
	    "cookie longer name does not match");
	ok(c("follow_session_x=1", "follow_session") == 0,
	    "cookie name with suffix does not match");
	ok(c("xfollow_session=1; follow_session=2", "follow_session") == 1 &&
	    strcmp(got, "2") == 0, "cookie prefix confusion skips to real one");
	ok(c("a=follow_session=1", "follow_session") == 0,
	    "cookie name inside another value does not match");
	ok(c("follow_session=; a=1", "follow_session") == 1 &&
	    strcmp(got, "") == 0, "cookie empty value");
	ok(c("follow_session=1; follow_session=2", "follow_session") == 1 &&
	    strcmp(got, "1") == 0, "cookie repeated: first wins");
	ok(c("follow_session=1; follow_session=\"", "follow_session") == 1 &&
	    strcmp(got, "1") == 0, "cookie repeated: later junk is ignored");
	ok(c("junk; a=\"; follow_session=x", "follow_session") == 1 &&
	    strcmp(got, "x") == 0, "cookie malformed other pairs ignored");
	ok(c("follow_session", "follow_session") == 0,
	    "cookie bare name without '=' is not a match");
	ok(c("abc.def-ghi_JKL=1", "abc.def-ghi_JKL") == 1 &&
	    strcmp(got, "1") == 0, "cookie name with punctuation");
	ok(c("follow_session=eyJh.eyJz-_x.sig", "follow_session") == 1 &&
	    strcmp(got, "eyJh.eyJz-_x.sig") == 0, "cookie JWT-shaped value");

	s = fill("follow_session=", 'a', QS_MAX_VALUE, "; b=1");
	ok(c(s, "follow_session") == 1 && strlen(got) == QS_MAX_VALUE,
	    "cookie value of exactly QS_MAX_VALUE accepted");
	free(s);
	s = fill("follow_session=", 'a', QS_MAX_VALUE + 1, "");
	ok(c(s, "follow_session") == -1, "cookie value over limit refused");
	free(s);
	s = fill("", ';', 100000, "follow_session=1");
	ok(c(s, "follow_session") == 1 && strcmp(got, "1") == 0,
	    "cookie 100k-character header is bounded");
	free(s);
}

int
main(void)
{
	test_query();
	test_cookie();
	free(got);
	return tap_done();
}
