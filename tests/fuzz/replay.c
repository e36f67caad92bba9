/*
 * replay.c - runs one fuzz target's corpus through a normal build, so
 * make check replays every seed and every past crash input without
 * clang or libFuzzer.
 *
 * Linked with exactly one harness (FUZZ_TARGET names it); reads every
 * file in $FOLLOW_SRCDIR/tests/fuzz/corpus/FUZZ_TARGET (or the files and
 * folders given as arguments), calls LLVMFuzzerTestOneInput on each and
 * prints one TAP line per input.  A harness signals a bug by aborting, so
 * a failing input ends the run with the input's name as the last line.
 * Must never be linked into the service.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the harness"
#endif

/* Far above libFuzzer's default -max_len (4096). */
#define INPUT_MAX	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	ntests;

/* Reads the file at path and runs it; returns 0, or -1 if unreadable. */
static int
replay_file(const char *path, const char *name)
{
	FILE	*fp;
	uint8_t	*buf;
	size_t	 n;

	if ((buf = malloc(INPUT_MAX)) == NULL)
		return -1;
	if ((fp = fopen(path, "rb")) == NULL) {
		free(buf);
		return -1;
	}
	n = fread(buf, 1, INPUT_MAX, fp);
	fclose(fp);
	/* Say which input runs before it can abort. */
	printf("# %s (%zu bytes)\n", name, n);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	printf("ok %d - %s: %s\n", ++ntests, FUZZ_TARGET, name);
	fflush(stdout);
	return 0;
}

static int
replay_path(const char *path)
{
	struct dirent	**ents;
	struct stat	  st;
	char		  sub[4096];
	int		  i, n, rc = 0;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, path);
	if ((n = scandir(path, &ents, NULL, alphasort)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' &&
		    snprintf(sub, sizeof(sub), "%s/%s", path,
		    ents[i]->d_name) < (int)sizeof(sub) &&
		    replay_file(sub, ents[i]->d_name) == -1)
			rc = -1;
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char **argv)
{
	const char	*top;
	char		 dir[4096];
	int		 i, rc = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay_path(argv[i]) == -1)
				rc = -1;
	} else {
		if ((top = getenv("FOLLOW_SRCDIR")) == NULL)
			top = ".";
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top,
		    FUZZ_TARGET);
		rc = replay_path(dir);
	}
	if (rc == -1) {
		printf("not ok %d - %s: a corpus input was unreadable\n",
		    ++ntests, FUZZ_TARGET);
	}
	if (ntests == 0)
		printf("not ok %d - %s: empty corpus\n", ++ntests,
		    FUZZ_TARGET);
	printf("1..%d\n", ntests);
	return rc == -1 ? 1 : 0;
}
