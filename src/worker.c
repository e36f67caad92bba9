/*
 * worker.c - one worker process: accept a request, dispatch it, repeat.
 *
 * The dispatcher is the request's fixed path: parse, route (404/405),
 * authenticate (401/403), validate (422), then exactly one handler. It
 * never answers twice and never lets a request's failure end the process.
 */
/* ppoll(2): Linux and the BSDs have it; glibc hides it otherwise. */
#define _GNU_SOURCE

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "page.h"
#include "params.h"
#include "qs.h"
#include "response.h"
#include "router.h"
#include "service.h"
#include "worker.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void
on_term(int sig)
{
	stop_requested = 1;
	FCGX_ShutdownPending();
}

static void
on_hup(int sig)
{
	reload_requested = 1;
}

/* Reads ids=1,2,3 into r->ids. Returns NULL or the 422 detail. */
static const char *
ids_parse(struct request *r)
{
	char *v = NULL;
	int n = -1;

	if (qs_get(r->query, "ids", &v) == 1)
		n = param_id_list(v, r->ids, REQUEST_IDS_MAX);
	free(v);
	if (n < 1)
		return "Invalid parameter: ids (1 to 100 comma-separated "
		    "user ids)";
	r->nids = n;
	return NULL;
}

/*
 * Authenticates, then validates {id} and the query parameters. Returns 0
 * when the handler may run, else -1 after answering.
 */
static int
prepare(struct request *r, const char *idseg)
{
	const struct route *rt = r->route;
	enum auth_mode mode = rt->auth;
	const char *detail = NULL;
	int64_t scope;

	if (strcmp(idseg, "me") == 0) {
		r->id_is_me = 1;
		mode = AUTH_REQUIRED;
	} else if (idseg[0] != '\0' && param_id(idseg, &r->id) == -1)
		detail = "Invalid parameter: id (a positive integer or me)";
	if (auth_request(r, mode) == -1)
		return -1;
	if (r->id_is_me)
		r->id = r->user_id;
	if (detail == NULL && (rt->params & RP_PAGE)) {
		scope = rt->cursor_kind == CURSOR_FEED ? r->user_id : r->id;
		detail = page_parse(r, rt->cursor_kind, scope);
	}
	if (detail == NULL && (rt->params & RP_IDS))
		detail = ids_parse(r);
	if (detail != NULL) {
		respond_error(r, ST_UNPROCESSABLE, detail);
		return -1;
	}
	return 0;
}

/* nginx's $request_id is hex; anything else is not worth logging. */
static const char *
log_id(const char *id)
{
	if (id == NULL || *id == '\0' || strlen(id) > 64 ||
	    id[strspn(id, "0123456789abcdefABCDEF-")] != '\0')
		return "-";
	return id;
}

static void
log_request(const struct request *r)
{
	double ms = request_elapsed_ms(r);

	if (r->status >= 500 || ms >= (double)r->svc->cfg->slow_ms)
		log_msg(r->status >= 500 ? LOG_LVL_ERR : LOG_LVL_WARN,
		    "request id=%s route=%s status=%d ms=%.1f db_ms=%.1f",
		    log_id(r->request_id), r->route ? r->route->name : "-",
		    r->status, ms, r->db_ms);
}

void
worker_dispatch(struct service *svc, const struct request_io *io)
{
	struct request r;
	char idseg[32], allow[64];

	if (request_init(&r, svc, io) == -1) {
		respond_error(&r, ST_NOT_FOUND, "Not Found");
		goto done;
	}
	if (request_drain_body(&r) == -1) {
		respond_error(&r, ST_PAYLOAD_TOO_LARGE,
		    "Request body too large");
		goto done;
	}
	switch (router_match(r.method, r.path, &r.route, idseg, sizeof(idseg),
	    allow, sizeof(allow))) {
	case ROUTE_NOT_FOUND:
		respond_error(&r, ST_NOT_FOUND, "Not Found");
		goto done;
	case ROUTE_BAD_METHOD:
		respond_header(&r, "Allow", allow);
		respond_error(&r, ST_METHOD_NOT_ALLOWED, "Method Not Allowed");
		goto done;
	case ROUTE_FOUND:
		break;
	}
	if (prepare(&r, idseg) == 0)
		r.route->handler(&r);
done:
	log_request(&r);
	request_free(&r);
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt a blocking accept(). */
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Plain CGI: one request from the environment and stdin, then exit. */
static int
serve_cgi(struct service *svc)
{
	extern char **environ;
	struct request_io io = { environ, NULL, NULL };

	worker_dispatch(svc, &io);
	return 0;
}

/*
 * Waits until the listening socket has a connection (1) or a signal
 * arrived (0); -1 on error. The signals are unblocked only inside
 * ppoll(), atomically, so none is lost between a check and the wait.
 */
static int
wait_for_connection(int fd, const sigset_t *waitmask)
{
	struct pollfd pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (ppoll(&pfd, 1, NULL, waitmask) == -1)
		return errno == EINTR ? 0 : -1;
	return 1;
}

static int
is_unix_socket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}

/*
 * Reads what is left of the request's input up to its end-of-stream
 * record; 1 when it got there. Apache sends that record in a write of its
 * own, and a peer that is still writing when we close gets EPIPE and
 * answers 503 instead of our answer. nginx sends the whole request at
 * once, so there this reads libfcgi's buffer and makes no system call.
 */
static int
input_ended(FCGX_Stream *in)
{
	char buf[1024];
	int n, left = 64 * 1024;

	while (left > 0 && (n = FCGX_GetStr(buf, sizeof(buf), in)) > 0)
		left -= n;
	return FCGX_HasSeenEOF(in) == EOF && FCGX_GetError(in) == 0;
}

/*
 * Ends the request and, unless the web server keeps it, its connection.
 * libfcgi closes by shutdown(2), then sleeping until the web server has
 * read the answer and closed its end: over TCP, closing with unread
 * input sends a reset that can destroy an answer still in flight. Over
 * a Unix socket, with the input read to its end, there is nothing left
 * to protect, so the worker closes at once: three system calls and a
 * sleep fewer per request (a list page's HTTP path got 20% cheaper,
 * bench/RESULTS.md). libfcgi has no call for it: we take its keep-alive
 * path and close the fd ourselves.
 */
static void
finish(FCGX_Request *fr, int unix_socket)
{
	int keep = fr->keepConnection;
	int plain = unix_socket && !keep && input_ended(fr->in);

	if (plain)
		fr->keepConnection = 1;
	FCGX_Finish_r(fr);
	if (plain && fr->ipcFd >= 0) {
		close(fr->ipcFd);
		fr->ipcFd = -1;
	}
}

int
worker_run(struct service *svc, const char *cfgpath)
{
	struct request_io io;
	FCGX_Request fr;
	sigset_t sigs, waitmask;
	int rc, fl, unix_socket;

	install_signals();
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (service_connect(svc) == -1) {
		log_err("out of memory");
		return 1;
	}
	if (FCGX_IsCGI())
		return serve_cgi(svc);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		log_err("cannot initialise libfcgi");
		return 1;
	}
	/*
	 * Signals must never land inside FCGX_Accept_r: after accept(2),
	 * libfcgi waits in select(2) for the first bytes of a Unix socket
	 * connection and closes the connection if that select is
	 * interrupted, so a SIGHUP at that moment cost nginx a 502. So the
	 * signals stay blocked except while waiting in ppoll(), and the
	 * listening socket is non-blocking: a worker that another one beat
	 * to the connection gets EAGAIN and waits again.
	 */
	sigprocmask(SIG_BLOCK, &sigs, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
	if ((fl = fcntl(fr.listen_sock, F_GETFL)) == -1 ||
	    fcntl(fr.listen_sock, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_err("cannot make the socket non-blocking: %s",
		    strerror(errno));
		return 1;
	}
	unix_socket = is_unix_socket(fr.listen_sock);
	while (!stop_requested) {
		if (reload_requested) {
			reload_requested = 0;
			service_reload(svc, cfgpath);
			continue;
		}
		if ((rc = wait_for_connection(fr.listen_sock, &waitmask)) != 1) {
			if (rc == 0)
				continue;
			log_err("poll failed (%s); worker exits",
			    strerror(errno));
			break;
		}
		rc = FCGX_Accept_r(&fr);
		if (rc < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
				continue;
			log_err("accept failed (%d); worker exits", rc);
			break;
		}
		io.envp = fr.envp;
		io.in = fr.in;
		io.out = fr.out;
		worker_dispatch(svc, &io);
		finish(&fr, unix_socket);
	}
	FCGX_Free(&fr, 1);
	return 0;
}
