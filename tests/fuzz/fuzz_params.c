/*
 * fuzz_params.c - libFuzzer harness for param_id, param_int and
 * param_id_list.
 *
 * The oracle is canonicity: whatever is accepted must print back to
 * exactly the input, so no two spellings ever name the same number.
 * Must never be linked into the service.
 *
 * Build and run by hand from the top of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       tests/fuzz/fuzz_params.c src/params.c -lsodium -o fuzz_params
 *   mkdir -p /tmp/fuzz_params && ./fuzz_params -max_total_time=60 \
 *       /tmp/fuzz_params tests/fuzz/corpus/fuzz_params
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

#define LIST_MAX 100

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t	 v, list[LIST_MAX];
	char	*s, *back, *p;
	int	 n, i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* One id prints in at most 20 bytes with its comma. */
	if ((back = malloc((size_t)LIST_MAX * 21 + 1)) == NULL) {
		free(s);
		return 0;
	}

	if (param_id(s, &v) == 0) {
		snprintf(back, 32, "%" PRId64, v);
		if (v < 1 || strcmp(back, s) != 0)
			abort();
	}
	if (param_int(s, 1, 100, &v) == 0) {
		snprintf(back, 32, "%" PRId64, v);
		if (v < 1 || v > 100 || strcmp(back, s) != 0)
			abort();
	}
	if (param_int(s, 0, INT64_MAX, &v) == 0) {
		snprintf(back, 32, "%" PRId64, v);
		if (v < 0 || strcmp(back, s) != 0)
			abort();
	}
	if ((n = param_id_list(s, list, LIST_MAX)) != -1) {
		if (n < 1 || n > LIST_MAX)
			abort();
		p = back;
		for (i = 0; i < n; i++) {
			if (list[i] < 1)
				abort();
			p += sprintf(p, i == 0 ? "%" PRId64 : ",%" PRId64,
			    list[i]);
		}
		if (strcmp(back, s) != 0)
			abort();
	}
	free(back);
	free(s);
	return 0;
}
