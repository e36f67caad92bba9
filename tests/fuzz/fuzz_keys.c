/*
 * fuzz_keys.c - libFuzzer harness for keyring_parse.
 *
 * The input is key file text.  Whatever is accepted must be a ring whose
 * every key has a valid kid, a secret of KEY_MIN_BYTES..KEY_MAX_BYTES and
 * no kid twice; an error text must be bounded and NUL-terminated and must
 * never contain a byte run of the input long enough to be a secret.  Must
 * never be linked into the service.
 *
 * Build and run: make fuzz (tests/fuzz/local.mk), or by hand from the top
 * of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       tests/fuzz/fuzz_keys.c src/keys.c -lsodium -o fuzz_keys
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_ring(const struct keyring *kr, int allow_empty)
{
	size_t	 i, j;

	if (kr->n == 0 && !allow_empty)
		abort();
	if (kr->n > KEY_RING_MAX)
		abort();
	for (i = 0; i < kr->n; i++) {
		if (!keyring_kid_valid(kr->keys[i].kid,
		    strlen(kr->keys[i].kid)))
			abort();
		if (kr->keys[i].len < KEY_MIN_BYTES ||
		    kr->keys[i].len > KEY_MAX_BYTES)
			abort();
		if (keyring_find(kr, kr->keys[i].kid) != &kr->keys[i])
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(kr->keys[i].kid, kr->keys[j].kid) == 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyring	*kr;
	char		*buf, err[160];
	int		 allow_empty;

	/* A copy without a NUL: the parser must not read past len. */
	if ((buf = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	for (allow_empty = 0; allow_empty < 2; allow_empty++) {
		kr = NULL;
		memset(err, 'x', sizeof(err));
		if (keyring_parse(buf, size, allow_empty, &kr, err,
		    sizeof(err)) == 0) {
			if (kr == NULL)
				abort();
			check_ring(kr, allow_empty);
			keyring_free(kr);
		} else if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
	}
	free(buf);
	return 0;
}
