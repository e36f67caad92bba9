/*
 * log.h - one-line logs to stderr or syslog.
 *
 * Callers pass only values they produced themselves (ids, statuses, times,
 * SQLSTATEs): never a token, a secret, a cookie or raw request input.
 */
#ifndef FOLLOW_LOG_H
#define FOLLOW_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO };

/* Sends later messages to syslog (1) or stderr (0). */
void	log_init(int use_syslog);

/* Writes one line; the message must not end with a newline. */
void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)

#endif
