/*
 * service.h - what a worker holds for its whole life: configuration, keys,
 * the database connection. Loaded at start-up, reloaded on SIGHUP.
 */
#ifndef FOLLOW_SERVICE_H
#define FOLLOW_SERVICE_H

#include <stddef.h>

#include "request.h"

/*
 * Loads configuration (from cfgpath, or FOLLOW_CONFIG, and the
 * environment) and the key file into svc, and derives the cursor keys.
 * Does not connect to the database. Returns 0, or -1 with a one-line
 * reason in err. Free with service_free.
 */
int	service_load(struct service *svc, const char *cfgpath, char *err,
	    size_t errlen);

/*
 * Loads everything again and swaps it in only if all of it is valid;
 * otherwise logs why and keeps serving with the old settings. Reconnects
 * when the database settings changed. Call between requests only.
 */
void	service_reload(struct service *svc, const char *cfgpath);

/* Opens the database connection (after fork, before serving). */
int	service_connect(struct service *svc);

/* Releases everything svc holds, wiping secrets. */
void	service_free(struct service *svc);

#endif
