/*
 * fuzz_cursor.c - libFuzzer harness for cursor_encode and cursor_decode.
 *
 * Two checks per input: the bytes as cursor text must decode only to a
 * cursor that re-encodes to the same text (one spelling per cursor), and
 * the first 26 bytes read as a struct must round-trip through encode and
 * decode. Keys are fixed test constants. Must never be linked into the
 * service.
 *
 * Build and run by hand from the top of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       tests/fuzz/fuzz_cursor.c src/cursor.c -lsodium -o fuzz_cursor
 *   mkdir -p /tmp/fuzz_cursor && ./fuzz_cursor -max_total_time=60 \
 *       /tmp/fuzz_cursor tests/fuzz/corpus/fuzz_cursor
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cursor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char	keys[2][CURSOR_KEY_BYTES];
static int		ready;

static int64_t
take64(const uint8_t *p)
{
	uint64_t	 u;

	memcpy(&u, p, sizeof(u));
	return (int64_t)u;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor	 c, got;
	char		 text[CURSOR_TEXT_MAX], *s;
	size_t		 k;
	int		 r;

	if (!ready) {
		if (sodium_init() == -1)
			abort();
		memset(keys[0], 0x11, sizeof(keys[0]));
		memset(keys[1], 0x22, sizeof(keys[1]));
		ready = 1;
	}

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cursor_decode(s, keys, 2, &got) == 0) {
		/* Only a forged tag could get here; re-encoding must agree. */
		for (k = 0; k < 2; k++)
			if (cursor_encode(&got, keys[k], text,
			    sizeof(text)) == 0 && strcmp(text, s) == 0)
				break;
		if (k == 2)
			abort();
	}
	free(s);

	if (size >= 1 + 3 * 8 + 1) {
		c.kind = data[0] % 5;
		c.scope = take64(data + 1);
		c.ts_us = take64(data + 9);
		c.id = take64(data + 17);
		k = data[25] & 1;
		r = cursor_encode(&c, keys[k], text, sizeof(text));
		if (r == 0) {
			if (cursor_decode(text, keys, 2, &got) != 0 ||
			    got.kind != c.kind || got.scope != c.scope ||
			    got.ts_us != c.ts_us || got.id != c.id)
				abort();
			/* The other key alone must refuse it. */
			if (cursor_decode(text, keys + (1 - k), 1, &got) == 0)
				abort();
		} else if (c.kind >= 1 && c.kind <= 3 && c.id >= 1)
			abort();
	}
	return 0;
}
