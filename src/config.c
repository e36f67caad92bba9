/*
 * config.c - reads FOLLOW_* settings from a file and the environment.
 *
 * Shared hosting often cannot set environment variables, so the same names
 * can be written as NAME=value lines in a file. The file may hold the
 * database password, so it is refused when others can read it. This module
 * never logs values: they may be secrets.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define CONFIG_LINE_MAX 4096

enum kind { K_STR, K_INT, K_ORIGINS, K_LOG };

struct setting {
	const char	*name;
	enum kind	 kind;
	size_t		 offset;
	int64_t		 min, max;
};

#define STR(n, f)	{ n, K_STR, offsetof(struct config, f), 0, 0 }
#define INT(n, f, lo, hi) { n, K_INT, offsetof(struct config, f), lo, hi }

static const struct setting settings[] = {
	STR("FOLLOW_DSN", dsn),
	STR("FOLLOW_DSN_READ", dsn_read),
	STR("FOLLOW_KEYFILE", keyfile),
	STR("FOLLOW_COOKIE", cookie),
	STR("FOLLOW_PREFIX", prefix),
	STR("FOLLOW_USER", user),
	{ "FOLLOW_ORIGINS", K_ORIGINS, 0, 0, 0 },
	{ "FOLLOW_LOG", K_LOG, 0, 0, 0 },
	INT("FOLLOW_WORKERS", workers, 1, 256),
	INT("FOLLOW_LEEWAY", leeway, 0, 3600),
	INT("FOLLOW_MAX_BODY", max_body, 0, 1 << 20),
	INT("FOLLOW_STATEMENT_TIMEOUT_MS", statement_timeout_ms, 0, 3600000),
	INT("FOLLOW_SLOW_MS", slow_ms, 0, 3600000),
};

static void
set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 1;
	cfg->leeway = 60;
	cfg->max_body = 16384;
	cfg->statement_timeout_ms = 5000;
	cfg->slow_ms = 500;
}

static int
parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Splits a comma- or space-separated list into cfg->origins. */
static int
set_origins(struct config *cfg, const char *value)
{
	const char *p = value;
	size_t len;

	while (cfg->norigins > 0)
		free(cfg->origins[--cfg->norigins]);
	while (*p != '\0') {
		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (len == 0)
			break;
		if (cfg->norigins == CONFIG_MAX_ORIGINS)
			return -1;
		if ((cfg->origins[cfg->norigins] = strndup(p, len)) == NULL)
			return -1;
		cfg->norigins++;
		p += len;
	}
	return 0;
}

static int
apply(struct config *cfg, const struct setting *s, const char *value,
    char *err, size_t errlen)
{
	char **sp;
	int64_t v;

	switch (s->kind) {
	case K_STR:
		sp = (char **)((char *)cfg + s->offset);
		free(*sp);
		if ((*sp = strdup(value)) == NULL)
			goto nomem;
		return 0;
	case K_ORIGINS:
		if (set_origins(cfg, value) == -1) {
			snprintf(err, errlen, "%s: at most %d origins", s->name,
			    CONFIG_MAX_ORIGINS);
			return -1;
		}
		return 0;
	case K_LOG:
		if (strcmp(value, "syslog") == 0)
			cfg->syslog = 1;
		else if (strcmp(value, "stderr") == 0)
			cfg->syslog = 0;
		else {
			snprintf(err, errlen, "%s: expected stderr or syslog",
			    s->name);
			return -1;
		}
		return 0;
	case K_INT:
		if (parse_int(value, s->min, s->max, &v) == -1) {
			snprintf(err, errlen, "%s: expected an integer from "
			    "%lld to %lld", s->name, (long long)s->min,
			    (long long)s->max);
			return -1;
		}
		if (s->offset == offsetof(struct config, workers))
			cfg->workers = (int)v;
		else
			*(int64_t *)((char *)cfg + s->offset) = v;
		return 0;
	}
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static const struct setting *
find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strlen(settings[i].name) == len &&
		    strncmp(settings[i].name, name, len) == 0)
			return &settings[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Reads NAME=value lines; '#' starts a comment line. */
static int
load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char line[CONFIG_LINE_MAX], *p, *eq;
	const struct setting *s;
	struct stat st;
	FILE *f;
	int lineno = 0, rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "config file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "config file %s: not a regular file",
		    path);
		goto done;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "config file %s: readable by others "
		    "(chmod 600 it)", path);
		goto done;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL ||
		    (s = find(p, strcspn(p, " \t="))) == NULL) {
			snprintf(err, errlen, "config file %s:%d: expected a "
			    "FOLLOW_* NAME=value line", path, lineno);
			goto done;
		}
		if (apply(cfg, s, trim(eq + 1), err, errlen) == -1)
			goto done;
	}
	rc = 0;
done:
	fclose(f);
	return rc;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	const char *v;
	size_t i;

	set_defaults(cfg);
	if (path == NULL)
		path = getenv("FOLLOW_CONFIG");
	if (path != NULL && *path != '\0' &&
	    load_file(cfg, path, err, errlen) == -1)
		goto fail;
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if ((v = getenv(settings[i].name)) == NULL)
			continue;
		if (apply(cfg, &settings[i], v, err, errlen) == -1)
			goto fail;
	}
	if ((cfg->cookie == NULL && (cfg->cookie = strdup("follow_session"))
	    == NULL) || (cfg->prefix == NULL &&
	    (cfg->prefix = strdup("/api")) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cfg->dsn == NULL) {
		snprintf(err, errlen, "FOLLOW_DSN is not set");
		goto fail;
	}
	if (cfg->keyfile == NULL) {
		snprintf(err, errlen, "FOLLOW_KEYFILE is not set");
		goto fail;
	}
	return 0;
fail:
	config_free(cfg);
	return -1;
}

/*
 * The default file sits beside the real program file (symlinks resolved):
 * under mod_fcgid argv[0] is the script's path, but mod_cgi passes only
 * its base name, so /proc/self/exe is the one answer that holds for every
 * way Apache, spawn-fcgi or a shell starts us.
 */
int
config_default_path(const char *argv0, char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	struct stat st;
	ssize_t n;
	int w;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0)
		exe[n] = '\0';
	else if (argv0 != NULL && strchr(argv0, '/') != NULL &&
	    strlen(argv0) < sizeof(exe))
		memcpy(exe, argv0, strlen(argv0) + 1);
	else
		return -1;
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	w = snprintf(buf, len, "%s/%s", exe, CONFIG_DEFAULT_NAME);
	if (w < 0 || (size_t)w >= len)
		return -1;
	/* Only a missing file means "none": anything else is reported. */
	if (stat(buf, &st) == -1 && errno == ENOENT)
		return -1;
	return 0;
}

void
config_free(struct config *cfg)
{
	free(cfg->dsn);
	free(cfg->dsn_read);
	free(cfg->keyfile);
	free(cfg->cookie);
	free(cfg->prefix);
	free(cfg->user);
	while (cfg->norigins > 0)
		free(cfg->origins[--cfg->norigins]);
	memset(cfg, 0, sizeof(*cfg));
}

int
config_origin_allowed(const struct config *cfg, const char *origin)
{
	size_t i;

	if (origin == NULL)
		return 0;
	for (i = 0; i < cfg->norigins; i++)
		if (strcmp(cfg->origins[i], origin) == 0)
			return 1;
	return 0;
}
