/*
 * fuzz_qs.c - libFuzzer harness for qs_get and cookie_get.
 *
 * The input is the query string or Cookie header itself. Beyond crashes
 * and sanitizer reports it checks the contracts a caller relies on: a
 * value handed out is bounded, NUL-free and (for cookies) only
 * cookie-octets. Must never be linked into the service.
 *
 * Build and run by hand from the top of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       tests/fuzz/fuzz_qs.c src/qs.c -lsodium -o fuzz_qs
 *   mkdir -p /tmp/fuzz_qs && ./fuzz_qs -max_total_time=60 \
 *       /tmp/fuzz_qs tests/fuzz/corpus/fuzz_qs
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const names[] = {
	"page", "page_size", "cursor", "ids", "follow_session", "a", "",
};

static void
check_qs(const char *s, const char *name)
{
	char	*v = NULL;
	int	 r;

	r = qs_get(s, name, &v);
	if (r == 1) {
		if (v == NULL || strlen(v) > QS_MAX_VALUE)
			abort();
	} else if (v != NULL || (r != 0 && r != -1))
		abort();
	free(v);
}

static void
check_cookie(const char *s, const char *name)
{
	const unsigned char	*p;
	char			*v = NULL;
	int			 r;

	r = cookie_get(s, name, &v);
	if (r == 1) {
		if (v == NULL || strlen(v) > QS_MAX_VALUE)
			abort();
		for (p = (unsigned char *)v; *p != '\0'; p++)
			if (*p <= 0x20 || *p >= 0x7f || *p == '"' ||
			    *p == ',' || *p == ';' || *p == '\\')
				abort();
	} else if (v != NULL || (r != 0 && r != -1))
		abort();
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;
	size_t	 i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		check_qs(s, names[i]);
		check_cookie(s, names[i]);
	}
	free(s);
	return 0;
}
