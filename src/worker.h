/*
 * worker.h - the FastCGI accept loop, and the master that keeps a pool of
 * worker processes alive.
 */
#ifndef FOLLOW_WORKER_H
#define FOLLOW_WORKER_H

#include "request.h"

/*
 * Answers requests on the FastCGI socket inherited as fd 0 (or the one
 * CGI request, when started as CGI) until SIGTERM, then returns the exit
 * status. SIGHUP reloads settings between requests. Connects to the
 * database first; an unreachable database only makes answers 503.
 */
int	worker_run(struct service *svc, const char *cfgpath);

/*
 * Pre-forks svc->cfg->workers workers and replaces any that dies, until
 * SIGTERM (stops them all, waiting for in-flight requests). SIGHUP is
 * passed on to the workers. Returns the exit status.
 */
int	master_run(struct service *svc, const char *cfgpath);

/* Answers one accepted FastCGI request (route, auth, handler, log). */
void	worker_dispatch(struct service *svc, const struct request_io *io);

#endif
