/*
 * main.c - start-up: settings, keys, libsodium, privileges, then serve.
 *
 * Fatal problems at start-up end the process with one clear line on
 * stderr; nothing after start-up is fatal.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "config.h"
#include "log.h"
#include "service.h"
#include "worker.h"

static void
usage(void)
{
	fprintf(stderr, "usage: follow-fcgi [-c config-file]\n"
	    "Settings come from FOLLOW_* environment variables and the "
	    "config file\n(-c, else $FOLLOW_CONFIG, else %s beside the "
	    "binary);\nsee the README.\n", CONFIG_DEFAULT_NAME);
	exit(2);
}

/* Leaves root for cfg->user: the socket and the key file are open. */
static int
drop_privileges(const struct config *cfg)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (cfg->user == NULL) {
		log_warn("running as root: set FOLLOW_USER to drop privileges");
		return 0;
	}
	if ((pw = getpwnam(cfg->user)) == NULL) {
		fprintf(stderr, "follow-fcgi: FOLLOW_USER %s: no such user\n",
		    cfg->user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		fprintf(stderr, "follow-fcgi: cannot become %s: %s\n",
		    cfg->user, strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct service svc;
	const char *cfgpath = NULL;
	char err[512], defpath[PATH_MAX];
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:h")) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		default:
			usage();
		}
	}
	/*
	 * Shared hosting may not let us set the environment: a file beside
	 * the binary is the one place a user can always put settings.
	 */
	if (cfgpath == NULL && getenv("FOLLOW_CONFIG") == NULL &&
	    config_default_path(argv[0], defpath, sizeof(defpath)) == 0)
		cfgpath = defpath;
	if (sodium_init() < 0) {
		fprintf(stderr, "follow-fcgi: libsodium failed to start\n");
		return 1;
	}
	if (service_load(&svc, cfgpath, err, sizeof(err)) == -1) {
		fprintf(stderr, "follow-fcgi: %s\n", err);
		return 1;
	}
	log_init(svc.cfg->syslog);
	if (drop_privileges(svc.cfg) == -1) {
		service_free(&svc);
		return 1;
	}
	/* Under mod_fcgid or as CGI the web server manages processes. */
	if (svc.cfg->workers > 1 && !FCGX_IsCGI())
		rc = master_run(&svc, cfgpath);
	else
		rc = worker_run(&svc, cfgpath);
	/* Nothing leaks at exit, so leak checkers see only real leaks. */
	service_free(&svc);
	return rc;
}
