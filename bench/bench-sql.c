/*
 * bench-sql.c - prints the SQL text of one of the service's statements, so
 * that bench/run hands pgbench exactly what the workers prepare.
 *
 * It must never connect anywhere nor print anything but the statement.
 */
#include <stdio.h>
#include <string.h>

#include "queries.h"

int
main(int argc, char **argv)
{
	int i;

	if (argc != 2) {
		fputs("usage: bench-sql STATEMENT-NAME\n", stderr);
		return 2;
	}
	for (i = 0; i < STMT__MAX; i++) {
		if (strcmp(queries[i].name, argv[1]) == 0) {
			printf("%s\n", queries[i].sql);
			return 0;
		}
	}
	fprintf(stderr, "bench-sql: no statement named %s\n", argv[1]);
	return 1;
}
