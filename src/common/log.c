/* Logging to stderr or syslog, with a per-second limit for messages a peer
 * can cause. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/monotonic.h"

#define LOG_LINE_MAX 1024

static char log_ident[32] = "tsd";
static enum log_target log_target = LOG_TARGET_STDERR;
static int log_verbose;

/* The rate limit window: one second of the monotonic clock. */
static time_t rate_window_s = -1;
static unsigned rate_sent;
static unsigned long rate_suppressed;

static void open_syslog(void)
{
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_init(const char *ident, enum log_target target, int verbose)
{
	if (ident != NULL) {
		const char *slash = strrchr(ident, '/');

		snprintf(log_ident, sizeof(log_ident), "%s", slash ? slash + 1 : ident);
	}
	log_verbose = verbose;
	/* Load the time zone now, in the master: the C library reads
	 * /etc/localtime at a process's first strftime (or syslog line), and a
	 * worker's first log line came after its seccomp filter, which has no
	 * openat (test_faults_clock.py). Forked processes inherit it. */
	tzset();
	log_set_target(target);
}

void log_set_target(enum log_target target)
{
	if (log_target == LOG_TARGET_SYSLOG && target != LOG_TARGET_SYSLOG)
		closelog();
	if (target == LOG_TARGET_SYSLOG && log_target != LOG_TARGET_SYSLOG)
		open_syslog();
	log_target = target;
}

void log_reopen(void)
{
	/* stderr belongs to whoever started us; only syslog has a connection
	 * worth renewing (syslogd restarted, /dev/log replaced). */
	if (log_target != LOG_TARGET_SYSLOG)
		return;
	closelog();
	open_syslog();
}

static const char *level_text(int priority)
{
	switch (priority & LOG_PRIMASK) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR: return "error: ";
	case LOG_WARNING: return "warning: ";
	case LOG_DEBUG: return "debug: ";
	default: return "";
	}
}

/* One line in one write(2), so lines from several workers never mix. */
static void write_stderr(int priority, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct timespec now;
	struct tm tm;
	size_t len;
	int n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + len, sizeof(line) - len, ".%03ldZ %s[%ld]: %s",
	             now.tv_nsec / 1000000L, log_ident, (long)getpid(),
	             level_text(priority));
	if (n > 0)
		len += (size_t)n < sizeof(line) - len ? (size_t)n : sizeof(line) - len - 1;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < sizeof(line) - len ? (size_t)n : sizeof(line) - len - 1;
	line[len++] = '\n';
	while (write(STDERR_FILENO, line, len) < 0 && errno == EINTR)
		;
}

void log_vmsg(int priority, const char *fmt, va_list ap)
{
	int saved = errno;

	if ((priority & LOG_PRIMASK) == LOG_DEBUG && !log_verbose)
		return;
	if (log_target == LOG_TARGET_SYSLOG)
		vsyslog(priority, fmt, ap);
	else
		write_stderr(priority, fmt, ap);
	errno = saved;
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(priority, fmt, ap);
	va_end(ap);
}

/* Close the window if its second is over, reporting what it swallowed. */
static void rate_roll(time_t now_s)
{
	if (now_s == rate_window_s)
		return;
	if (rate_suppressed > 0)
		log_msg(LOG_WARNING, "%lu messages suppressed", rate_suppressed);
	rate_window_s = now_s;
	rate_sent = 0;
	rate_suppressed = 0;
}

void log_ratelimit_flush(void)
{
	rate_roll((time_t)(monotonic_now_ns() / 1000000000));
}

void log_ratelimited(int priority, const char *fmt, ...)
{
	va_list ap;

	if ((priority & LOG_PRIMASK) == LOG_DEBUG && !log_verbose)
		return;
	rate_roll((time_t)(monotonic_now_ns() / 1000000000));
	if (rate_sent >= LOG_RATE_BURST) {
		rate_suppressed++;
		return;
	}
	rate_sent++;
	va_start(ap, fmt);
	log_vmsg(priority, fmt, ap);
	va_end(ap);
}
