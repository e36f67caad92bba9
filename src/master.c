/*
 * master.c - keeps FOLLOW_WORKERS worker processes on the shared socket.
 *
 * spawn-fcgi (or systemd, or a shell script) starts this one process with
 * the listening socket as fd 0; it forks the workers, which inherit it,
 * and replaces any that dies at once, so a crash costs only the requests
 * that worker was serving. The master itself never touches a request or
 * the database.
 *
 * On SIGHUP it reloads its own copy of the settings and keys too (without
 * a database connection), so a worker forked after a key rotation starts
 * with the new key file, not with the one the master read at start-up.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "service.h"
#include "worker.h"

#define MAX_WORKERS	256
/* If workers die faster than this, something is broken: slow down. */
#define RESPAWN_BURST	16

static volatile sig_atomic_t got_chld, got_term, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static pid_t
spawn(struct service *svc, const char *cfgpath, const sigset_t *oldmask)
{
	struct sigaction sa;
	pid_t pid;
	int rc;

	if ((pid = fork()) != 0) {
		if (pid == -1)
			log_err("fork: %s", strerror(errno));
		return pid;
	}
	/* The worker: default dispositions, die with the master. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	rc = worker_run(svc, cfgpath);
	/* Leak checkers (valgrind) then report only real leaks. */
	service_free(svc);
	_exit(rc);
}

static int
slot_of(const pid_t *pids, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return i;
	return -1;
}

static void
signal_all(const pid_t *pids, int n, int sig)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], sig);
}

/*
 * Reloads the settings and keys that future workers inherit; a bad file
 * keeps the running ones (the workers log the same reason).
 */
static void
master_reload(struct service *svc, const char *cfgpath)
{
	struct service fresh;
	char err[256];

	if (service_load(&fresh, cfgpath, err, sizeof(err)) == -1) {
		log_err("master: reload refused, keeping the running "
		    "settings: %s", err);
		return;
	}
	service_free(svc);
	*svc = fresh;
}

/* Reaps dead workers; returns how many are still alive. */
static int
reap(pid_t *pids, int n, int stopping)
{
	int status, i, alive = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((i = slot_of(pids, n, pid)) == -1)
			continue;
		pids[i] = 0;
		if (!stopping && WIFSIGNALED(status))
			log_warn("worker %d killed by signal %d; replacing it",
			    (int)pid, WTERMSIG(status));
		else if (!stopping)
			log_warn("worker %d exited with status %d; replacing "
			    "it", (int)pid, WEXITSTATUS(status));
	}
	for (i = 0; i < n; i++)
		alive += pids[i] > 0;
	return alive;
}

static void
stop_all(pid_t *pids, int n)
{
	struct timespec ts = { 0, 50 * 1000000L };
	int waited;

	signal_all(pids, n, SIGTERM);
	/* In-flight requests finish; give them ten seconds. */
	for (waited = 0; reap(pids, n, 1) > 0; waited++) {
		if (waited == 200)
			signal_all(pids, n, SIGKILL);
		nanosleep(&ts, NULL);
	}
}

int
master_run(struct service *svc, const char *cfgpath)
{
	pid_t pids[MAX_WORKERS] = { 0 };
	int n = svc->cfg->workers, i, burst = 0;
	struct sigaction sa;
	sigset_t block, oldmask, empty;
	time_t window = time(NULL);

	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	sigemptyset(&empty);
	log_info("master started with %d workers", n);

	while (!got_term) {
		reap(pids, n, 0);
		for (i = 0; i < n; i++) {
			if (pids[i] > 0)
				continue;
			if (time(NULL) != window) {
				window = time(NULL);
				burst = 0;
			}
			if (++burst > RESPAWN_BURST) {
				log_err("workers keep dying; pausing a second");
				sleep(1);
				continue;
			}
			if ((pids[i] = spawn(svc, cfgpath, &oldmask)) == -1)
				pids[i] = 0;
		}
		got_chld = 0;
		if (got_hup) {
			got_hup = 0;
			master_reload(svc, cfgpath);
			signal_all(pids, n, SIGHUP);
		}
		if (!got_chld && !got_term && !got_hup)
			sigsuspend(&empty);
	}
	log_info("master stopping");
	stop_all(pids, n);
	return 0;
}
