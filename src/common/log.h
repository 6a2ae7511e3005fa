/* Logging to stderr or syslog, with a rate limit for per-request messages. */
#ifndef TSD_LOG_H
#define TSD_LOG_H

#include <stdarg.h>
#include <syslog.h>

enum log_target { LOG_TARGET_STDERR = 0, LOG_TARGET_SYSLOG = 1 };

/* ident is the program name; verbose lets LOG_DEBUG through. */
void log_init(const char *ident, enum log_target target, int verbose);
void log_set_target(enum log_target target);
/* Reopen the log (SIGUSR1): closes and reopens syslog. */
void log_reopen(void);

void log_msg(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(int priority, const char *fmt, va_list ap);

/* For messages caused by a peer: at most `LOG_RATE_BURST` a second per
 * process; the rest are counted and summarised once the second is over. */
#define LOG_RATE_BURST 10
void log_ratelimited(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Report "N messages suppressed" now if the last second swallowed any
 * (an event loop calls this from its timer; otherwise the summary waits for
 * the next rate-limited message). */
void log_ratelimit_flush(void);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
