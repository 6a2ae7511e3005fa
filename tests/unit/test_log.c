/* Unit tests for logging (src/common/log.c): the line format, the debug switch and
 * the per-second rate limit, with the monotonic clock under the test's
 * control. */

#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

/* ---- the monotonic clock, frozen at fake_monotonic_s when asked ---- */

int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);

static int monotonic_frozen;
static time_t fake_monotonic_s;

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	if (id == CLOCK_MONOTONIC && monotonic_frozen) {
		ts->tv_sec = fake_monotonic_s;
		ts->tv_nsec = 0;
		return 0;
	}
	return __real_clock_gettime(id, ts);
}

/* ---- stderr captured in a temporary file ---- */

static int saved_stderr = -1;
static char capture_path[] = "/tmp/tsd-test-log-XXXXXX";
static char captured[1 << 16];

static int start_capture(void **state)
{
	int fd = mkstemp(capture_path);

	(void)state;
	if (fd < 0)
		return -1;
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	monotonic_frozen = 0;
	log_init("/usr/sbin/tsd", LOG_TARGET_STDERR, 0);
	return 0;
}

/* Everything written since start_capture, as one string. */
static const char *stop_capture(void)
{
	FILE *fp;
	size_t n;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fp = fopen(capture_path, "r");
	assert_non_null(fp);
	n = fread(captured, 1, sizeof(captured) - 1, fp);
	captured[n] = '\0';
	fclose(fp);
	unlink(capture_path);
	strcpy(capture_path, "/tmp/tsd-test-log-XXXXXX");
	return captured;
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- tests ---- */

static void test_line_format(void **state)
{
	char pattern[256];
	const char *out;
	regex_t re;

	(void)state;
	log_err("cannot bind %s: %s", "[::1]:11932", "Address in use");
	log_info("ready");
	out = stop_capture();
	snprintf(pattern, sizeof(pattern),
	         "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
	         "tsd\\[%ld\\]: error: cannot bind \\[::1\\]:11932: Address in use\n"
	         "[-0-9T:.]+Z tsd\\[%ld\\]: ready\n$", (long)getpid(), (long)getpid());
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED), 0);
	if (regexec(&re, out, 0, NULL, 0) != 0)
		fail_msg("unexpected log output: %s", out);
	regfree(&re);
}

static void test_debug_needs_verbose(void **state)
{
	const char *out;

	(void)state;
	log_debug("quiet %d", 1);
	log_init("tsd", LOG_TARGET_STDERR, 1);
	log_debug("loud %d", 2);
	log_warn("careful");
	out = stop_capture();
	assert_null(strstr(out, "quiet"));
	assert_non_null(strstr(out, "]: debug: loud 2\n"));
	assert_non_null(strstr(out, "]: warning: careful\n"));
}

static void test_errno_preserved(void **state)
{
	(void)state;
	errno = EADDRINUSE;
	log_info("something");
	assert_int_equal(errno, EADDRINUSE);
	stop_capture();
}

static void test_long_message_is_one_line(void **state)
{
	char big[5000];
	const char *out;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_err("%s", big);
	log_info("after");
	out = stop_capture();
	assert_int_equal(count_lines(out, "\n"), 2);
	assert_true(strchr(out, '\n') - out < 1024);
	assert_non_null(strstr(out, "]: after\n"));
}

static void test_ratelimit_burst_and_summary(void **state)
{
	const char *out;

	(void)state;
	monotonic_frozen = 1;
	fake_monotonic_s = 1000;
	for (int i = 0; i < 25; i++)
		log_ratelimited(LOG_WARNING, "bad request %d", i);
	/* Still the same second: nothing to report yet. */
	log_ratelimit_flush();
	fake_monotonic_s = 1001;
	log_ratelimit_flush();
	log_ratelimit_flush();  /* reported once only */
	log_ratelimited(LOG_WARNING, "bad request %d", 99);
	out = stop_capture();
	assert_int_equal(count_lines(out, "bad request"), LOG_RATE_BURST + 1);
	assert_non_null(strstr(out, "bad request 9\n"));
	assert_null(strstr(out, "bad request 10\n"));
	assert_non_null(strstr(out, "bad request 99\n"));
	assert_int_equal(count_lines(out, "messages suppressed"), 1);
	assert_non_null(strstr(out, "]: warning: 15 messages suppressed\n"));
	/* The summary comes before the next second's first message. */
	assert_true(strstr(out, "suppressed") < strstr(out, "bad request 99"));
}

static void test_ratelimit_summary_on_next_message(void **state)
{
	const char *out;

	(void)state;
	monotonic_frozen = 1;
	fake_monotonic_s = 2000;
	for (int i = 0; i < LOG_RATE_BURST + 3; i++)
		log_ratelimited(LOG_ERR, "peer %d", i);
	fake_monotonic_s = 2005;
	log_ratelimited(LOG_ERR, "peer later");
	out = stop_capture();
	assert_non_null(strstr(out, "3 messages suppressed\n"));
	assert_non_null(strstr(out, "peer later\n"));
	assert_int_equal(count_lines(out, "]: error: peer"), LOG_RATE_BURST + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_line_format, start_capture),
		cmocka_unit_test_setup(test_debug_needs_verbose, start_capture),
		cmocka_unit_test_setup(test_errno_preserved, start_capture),
		cmocka_unit_test_setup(test_long_message_is_one_line, start_capture),
		cmocka_unit_test_setup(test_ratelimit_burst_and_summary, start_capture),
		cmocka_unit_test_setup(test_ratelimit_summary_on_next_message, start_capture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
