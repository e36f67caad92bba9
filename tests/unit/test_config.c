/*
 * test_config.c - settings from the environment and the config file.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char err[256];

static int
load(struct config *cfg, const char *path)
{
	return config_load(cfg, path, err, sizeof(err));
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

int
main(void)
{
	struct config cfg;
	char path[] = "/tmp/follow-config-XXXXXX";
	int fd;

	unsetenv("FOLLOW_CONFIG");
	unsetenv("FOLLOW_DSN");
	setenv("FOLLOW_KEYFILE", "/k", 1);
	is_int(load(&cfg, NULL), -1, "FOLLOW_DSN is required");
	is_str(err, "FOLLOW_DSN is not set", "the reason names it");

	setenv("FOLLOW_DSN", "dbname=x", 1);
	is_int(load(&cfg, NULL), 0, "loads from the environment");
	is_str(cfg.cookie, "follow_session", "cookie name default");
	is_str(cfg.prefix, "/api", "prefix default");
	is_int(cfg.workers, 1, "one worker by default");
	is_int(cfg.max_body, 16384, "body limit default");
	config_free(&cfg);

	setenv("FOLLOW_ORIGINS", "https://a.test, https://b.test", 1);
	setenv("FOLLOW_WORKERS", "8", 1);
	is_int(load(&cfg, NULL), 0, "loads origins and workers");
	is_int(cfg.norigins, 2, "two origins");
	ok(config_origin_allowed(&cfg, "https://b.test"), "origin allowed");
	ok(!config_origin_allowed(&cfg, "https://b.test.evil"),
	    "a longer origin is not allowed");
	ok(!config_origin_allowed(&cfg, NULL), "a missing origin is refused");
	is_int(cfg.workers, 8, "FOLLOW_WORKERS read");
	config_free(&cfg);

	setenv("FOLLOW_WORKERS", "8x", 1);
	is_int(load(&cfg, NULL), -1, "a malformed integer is refused");
	setenv("FOLLOW_WORKERS", "0", 1);
	is_int(load(&cfg, NULL), -1, "an out-of-range integer is refused");
	unsetenv("FOLLOW_WORKERS");
	setenv("FOLLOW_LOG", "file", 1);
	is_int(load(&cfg, NULL), -1, "FOLLOW_LOG takes stderr or syslog");
	unsetenv("FOLLOW_LOG");

	fd = mkstemp(path);
	close(fd);
	write_file(path, "# comment\nFOLLOW_COOKIE = sid\n"
	    "FOLLOW_SLOW_MS=50\n", 0600);
	is_int(load(&cfg, path), 0, "reads a config file");
	is_str(cfg.cookie, "sid", "file value, spaces trimmed");
	is_int(cfg.slow_ms, 50, "file integer");
	config_free(&cfg);

	setenv("FOLLOW_COOKIE", "envsid", 1);
	is_int(load(&cfg, path), 0, "file plus environment");
	is_str(cfg.cookie, "envsid", "the environment wins over the file");
	config_free(&cfg);
	unsetenv("FOLLOW_COOKIE");

	chmod(path, 0644);
	is_int(load(&cfg, path), -1, "a file others can read is refused");
	write_file(path, "FOLLOW_NOPE=1\n", 0600);
	is_int(load(&cfg, path), -1, "an unknown setting is refused");
	write_file(path, "just words\n", 0600);
	is_int(load(&cfg, path), -1, "a line without = is refused");
	unlink(path);
	is_int(load(&cfg, path), -1, "a missing file is refused");
	return tap_done();
}
