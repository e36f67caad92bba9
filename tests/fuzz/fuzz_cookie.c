/*
 * fuzz_cookie.c - libFuzzer harness for cookie_get with a cookie name the
 * fuzzer chooses too (fuzz_qs tries a fixed list of names).
 *
 * The input is "NAME\0HEADER".  Beyond sanitizer reports it checks that
 * a value handed out is really the named cookie's: the header holds NAME,
 * optional spaces, '=', optional spaces and an optional '"', then exactly
 * the value; that the value has only RFC 6265 cookie-octets and at most
 * QS_MAX_VALUE bytes; and that a lookup is deterministic.  Must never be
 * linked into the service.
 *
 * Build and run: make fuzz (tests/fuzz/local.mk), or by hand from the top
 * of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       tests/fuzz/fuzz_cookie.c src/qs.c -o fuzz_cookie
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* 1 if the header has NAME OWS '=' OWS ['"'] VALUE somewhere. */
static int
value_of_name(const char *h, const char *name, const char *v)
{
	size_t		 nl = strlen(name), vl = strlen(v);
	const char	*p, *q;

	for (p = strstr(h, name); p != NULL; p = strstr(p + 1, name)) {
		q = p + nl;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q++ != '=')
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, v, vl) == 0 ||
		    (*q == '"' && strncmp(q + 1, v, vl) == 0))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char	*p;
	const char		*name, *header;
	char			*s, *v = NULL, *again = NULL;
	int			 r, r2;

	if ((s = malloc(size + 2)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = '\0';
	name = s;
	header = s + strlen(s) + 1;
	if (header > s + size)
		header = s + size + 1;

	r = cookie_get(header, name, &v);
	r2 = cookie_get(header, name, &again);
	if (r != r2 || (r == 1 && strcmp(v, again) != 0))
		abort();
	if (r == 1) {
		if (v == NULL || strlen(v) > QS_MAX_VALUE)
			abort();
		for (p = (unsigned char *)v; *p != '\0'; p++)
			if (*p <= 0x20 || *p >= 0x7f || *p == '"' ||
			    *p == ',' || *p == ';' || *p == '\\')
				abort();
		if (!value_of_name(header, name, v))
			abort();
	} else if (v != NULL || (r != 0 && r != -1))
		abort();
	free(v);
	free(again);
	free(s);
	return 0;
}
