/*
 * fuzz_pgtime.c - libFuzzer harness for pgtime_parse and pgtime_rfc3339.
 *
 * The text comes from PostgreSQL, not a client, but a parser is a parser.
 * The oracle: whatever is accepted prints as RFC 3339, and that instant,
 * written back in PostgreSQL's style at UTC, parses to the same
 * microsecond. Must never be linked into the service.
 *
 * Build and run by hand from the top of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       tests/fuzz/fuzz_pgtime.c src/pgtime.c -o fuzz_pgtime
 *   mkdir -p /tmp/fuzz_pgtime && ./fuzz_pgtime -max_total_time=60 \
 *       /tmp/fuzz_pgtime tests/fuzz/corpus/fuzz_pgtime
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgtime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, text[PGTIME_RFC3339_MAX];
	int64_t us, again;
	int n;

	if (size > 64 || (s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (pgtime_parse(s, &us) == 0) {
		if ((n = pgtime_rfc3339(us, text, sizeof(text))) != 27 ||
		    text[10] != 'T' || text[26] != 'Z')
			abort();
		/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" -> "YYYY-MM-DD HH:MM:SS.ffffff" */
		text[10] = ' ';
		text[26] = '\0';
		if (pgtime_parse(text, &again) != 0 || again != us)
			abort();
	}
	free(s);
	return 0;
}
