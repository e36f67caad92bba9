/*
 * config.h - the service's settings, from the environment or a file.
 *
 * Read once at start-up (and again on SIGHUP by the master); never changed
 * while a request runs.
 */
#ifndef FOLLOW_CONFIG_H
#define FOLLOW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_ORIGINS 16
#define CONFIG_DEFAULT_NAME "follow-fcgi.conf"	/* beside the binary */

struct config {
	char	*dsn;			/* FOLLOW_DSN: libpq conninfo (required) */
	char	*dsn_read;		/* FOLLOW_DSN_READ: replica, or NULL */
	char	*keyfile;		/* FOLLOW_KEYFILE (required) */
	char	*cookie;		/* FOLLOW_COOKIE: session cookie name */
	char	*origins[CONFIG_MAX_ORIGINS];	/* FOLLOW_ORIGINS */
	size_t	 norigins;
	char	*prefix;		/* FOLLOW_PREFIX: mount without PATH_INFO */
	char	*user;			/* FOLLOW_USER: drop root to this user */
	int	 workers;		/* FOLLOW_WORKERS: 1 = no master */
	int64_t	 leeway;		/* FOLLOW_LEEWAY: seconds for exp/nbf/iat */
	int64_t	 max_body;		/* FOLLOW_MAX_BODY: bytes */
	int64_t	 statement_timeout_ms;	/* FOLLOW_STATEMENT_TIMEOUT_MS */
	int64_t	 slow_ms;		/* FOLLOW_SLOW_MS: log slower requests */
	int	 syslog;		/* FOLLOW_LOG=syslog */
};

/*
 * Fills cfg from the file named by path (NULL: FOLLOW_CONFIG, if set), then
 * from FOLLOW_* environment variables, which win. Returns 0, or -1 with a
 * one-line reason in err. The caller frees cfg with config_free.
 */
int	config_load(struct config *cfg, const char *path, char *err,
	    size_t errlen);

/*
 * Writes the path of CONFIG_DEFAULT_NAME in the directory of the running
 * program (from /proc/self/exe, else argv0) to buf. Returns 0 when that
 * file exists (or cannot be checked), -1 when there is none.
 */
int	config_default_path(const char *argv0, char *buf, size_t len);

/* Frees what config_load allocated; cfg may be reused afterwards. */
void	config_free(struct config *cfg);

/* Returns 1 if origin is one of the configured origins, else 0. */
int	config_origin_allowed(const struct config *cfg, const char *origin);

#endif
