/*
 * log.c - one line per event, to stderr or syslog.
 *
 * Lines are written with a single write(2) so that the workers sharing one
 * stderr never interleave inside a line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int use_syslog;

void
log_init(int syslog_on)
{
	use_syslog = syslog_on;
	if (use_syslog)
		openlog("follow-fcgi", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO };
	char msg[1024], line[1200], stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (use_syslog) {
		syslog(prio[level], "%s", msg);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s follow-fcgi[%d] %s: %s\n", stamp,
	    (int)getpid(), names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
