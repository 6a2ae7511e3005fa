/* Unit tests for what a clock following chronyd serves
 * (plugins/clock/chronyd_follow.c): a socket of the test stands in for
 * chronyd's, and the monotonic time is the test's, so the served root
 * dispersion's growth, the age-out, the answer timeout and a restarted
 * chronyd are checked exactly. The settings are checked too. */

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "chronyd_follow.h"
#include "chronyd_tracking.h"

#define T0 (1000 * NS_PER_S)
#define MS 1000000LL

static char dir[64];
/* Socket paths are at most what sockaddr_un holds. */
#define PATH_CAP sizeof(((struct sockaddr_un *)0)->sun_path)

static char server_path[PATH_CAP];
static int server_fd = -1;
static char last_log[512];

static void test_log(int priority, const char *fmt, ...)
{
	va_list ap;

	(void)priority;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
}

static void open_server(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", server_path);
	unlink(server_path);
	server_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(server_fd >= 0);
	assert_int_equal(bind(server_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tsd-follow-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(server_path, sizeof(server_path), "%s/chronyd.sock", dir);
	open_server();
	chronyd_follow_set_log(test_log);
	last_log[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(server_fd);
	unlink(server_path);
	rmdir(dir);
	return 0;
}

static struct clock_identity identity(void)
{
	struct clock_identity id = { .stratum = 1, .precision_log2 = -20, .precision_s = 1e-6 };

	memcpy(id.refid, "LOCL", 4);
	return id;
}

static struct chronyd_follow *follow(struct clock_identity *id, const char *extra_name,
                                     int64_t extra_value)
{
	struct tsd_setting s[3] = {
		{ .name = "follow_chronyd", .type = TSD_SETTING_STRING, .string_value = server_path },
		{ .name = "follow_chronyd_dir", .type = TSD_SETTING_STRING, .string_value = dir },
		{ .name = extra_name, .type = TSD_SETTING_INT, .int_value = extra_value },
	};
	struct tsd_plugin_error err = { "", -1 };
	struct chronyd_follow *f = NULL;

	assert_int_equal(chronyd_follow_settings(id, s, extra_name ? 3 : 2, &f, &err), 0);
	assert_non_null(f);
	return f;
}

/* The request the plugin sent (its sequence number), or -1 if none. */
static int64_t take_request(void)
{
	uint8_t req[256];
	struct sockaddr_un from;
	socklen_t len = sizeof(from);
	char own[PATH_CAP];
	ssize_t n = recvfrom(server_fd, req, sizeof(req), 0, (struct sockaddr *)&from, &len);

	if (n < 0)
		return -1;
	assert_int_equal(n, CHRONYD_TRACKING_LEN);
	snprintf(own, sizeof(own), "%s/chronyd-client.%ld.sock", dir, (long)getpid());
	assert_string_equal(from.sun_path, own);
	return (int64_t)((uint32_t)req[8] << 24 | (uint32_t)req[9] << 16 |
	                 (uint32_t)req[10] << 8 | req[11]);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The given stratum and leap, reference ID 127.0.0.1, root delay 2^-7 s,
 * dispersion 2^-10 s, len bytes long. */
static void answer(uint32_t seq, size_t len, int stratum, int leap)
{
	uint8_t b[2048];
	char own[PATH_CAP];
	struct sockaddr_un to = { .sun_family = AF_UNIX };

	memset(b, 0, sizeof(b));
	b[0] = 6;
	b[1] = 2;
	b[5] = 33;
	b[7] = 5;
	put32(b + 16, seq);
	put32(b + 28, 0x7f000001);
	b[53] = (uint8_t)stratum;
	b[55] = (uint8_t)leap;
	put32(b + 56, 0x7fffffff);
	put32(b + 92, (2u << 25) | (1u << 16));   /* 2^16 * 2^-23 = 2^-7 */
	put32(b + 96, (0u << 25) | (1u << 15));   /* 2^15 * 2^-25 = 2^-10 */
	snprintf(own, sizeof(own), "%s/chronyd-client.%ld.sock", dir, (long)getpid());
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", own);
	assert_int_equal(sendto(server_fd, b, len, 0, (struct sockaddr *)&to, sizeof(to)),
	                 (ssize_t)len);
}

#define ROOT_DELAY (1.0 / 128)
#define ROOT_DISP (1.0 / 1024)

static struct tsd_clock_info at(struct chronyd_follow *f, const struct clock_identity *id,
                                int64_t now_ns)
{
	struct tsd_clock_info out;

	memset(&out, 0x55, sizeof(out));
	chronyd_follow_info(f, id, now_ns, &out);
	return out;
}

static void assert_unsynced(const struct tsd_clock_info *i)
{
	assert_int_equal(i->leap, TSD_LEAP_UNSYNC);
	assert_int_equal(i->stratum, 16);
}

/* The first answer at T0 + 2 ms: what is served, and how it ages. */
static struct chronyd_follow *synced(struct clock_identity *id)
{
	struct chronyd_follow *f = follow(id, NULL, 0);
	struct tsd_clock_info i = at(f, id, T0);
	int64_t seq;

	assert_unsynced(&i);           /* nothing known yet */
	seq = take_request();
	assert_true(seq >= 0);
	answer((uint32_t)seq, CHRONYD_TRACKING_LEN, 3, 0);
	i = at(f, id, T0 + 2 * MS);
	assert_int_equal(i.stratum, 3);
	assert_int_equal(i.leap, TSD_LEAP_NONE);
	assert_memory_equal(i.refid, "\x7f\x00\x00\x01", 4);
	assert_true(i.root_delay_s == ROOT_DELAY);
	/* Aged from the request (T0): chronyd answered after it. */
	assert_true(fabs(i.root_dispersion_s - (ROOT_DISP + 0.002 * 15e-6)) < 1e-12);
	assert_int_equal(i.precision_log2, -20);
	assert_non_null(strstr(last_log, "following: stratum 3, reference ID 7F000001"));
	return f;
}

static void test_serves_and_ages(void **state)
{
	struct clock_identity id = identity();
	struct chronyd_follow *f = synced(&id);
	struct tsd_clock_info i;

	(void)state;
	/* 5 s later: a new request goes out; the report served is 5 s old. */
	i = at(f, &id, T0 + 5 * NS_PER_S);
	assert_true(take_request() >= 0);
	assert_int_equal(i.stratum, 3);
	assert_true(fabs(i.root_dispersion_s - (ROOT_DISP + 5 * 15e-6)) < 1e-12);
	/* No answer: said once, and the report is still served while fresh. */
	i = at(f, &id, T0 + 6500 * MS);
	assert_non_null(strstr(last_log, "no answer within 1.0 s"));
	assert_int_equal(i.stratum, 3);
	/* At 10 s it ages out. */
	i = at(f, &id, T0 + 10 * NS_PER_S);
	assert_int_equal(i.stratum, 3);
	(void)take_request();
	i = at(f, &id, T0 + 1 * MS + 10 * NS_PER_S);
	assert_unsynced(&i);
	assert_non_null(strstr(last_log, "no report for 10 s: serving unsynchronised"));
	chronyd_follow_free(f);
}

static void test_local_stratum(void **state)
{
	struct clock_identity id = identity();
	struct chronyd_follow *f = follow(&id, "local_stratum", 5);
	struct tsd_clock_info i = at(f, &id, T0);
	int64_t seq = take_request();

	(void)state;
	/* Unsynchronised chronyd: local_stratum decides, as for the kernel. */
	assert_int_equal(i.stratum, 5);
	assert_int_equal(i.leap, TSD_LEAP_NONE);
	assert_memory_equal(i.refid, "LOCL", 4);
	answer((uint32_t)seq, CHRONYD_TRACKING_LEN, 0, 3);
	i = at(f, &id, T0 + 2 * MS);
	assert_int_equal(i.stratum, 5);
	assert_non_null(strstr(last_log, "not synchronised (stratum 0, leap 3)"));
	chronyd_follow_free(f);
}

static void test_unsynced_report_replaces(void **state)
{
	struct clock_identity id = identity();
	struct chronyd_follow *f = synced(&id);
	struct tsd_clock_info i = at(f, &id, T0 + 3 * NS_PER_S);
	int64_t seq = take_request();

	(void)state;
	assert_int_equal(i.stratum, 3);
	answer((uint32_t)seq, CHRONYD_TRACKING_LEN, 3, 3);      /* leap 3 */
	i = at(f, &id, T0 + 3 * NS_PER_S + 2 * MS);
	assert_unsynced(&i);
	chronyd_follow_free(f);
}

static void test_refused_replies(void **state)
{
	struct clock_identity id = identity();
	struct chronyd_follow *f = synced(&id);
	struct tsd_clock_info i = at(f, &id, T0 + 3 * NS_PER_S);
	int64_t seq = take_request();

	(void)state;
	answer((uint32_t)seq, 2000, 9, 0);                        /* oversized */
	i = at(f, &id, T0 + 3 * NS_PER_S + 2 * MS);
	assert_non_null(strstr(last_log, "reply refused: 2000 bytes, expected 104"));
	assert_int_equal(i.stratum, 3);                          /* the old report */
	answer((uint32_t)seq + 7, CHRONYD_TRACKING_LEN, 9, 0);    /* stale */
	i = at(f, &id, T0 + 3 * NS_PER_S + 4 * MS);
	assert_non_null(strstr(last_log, "reply refused: sequence number"));
	answer((uint32_t)seq, CHRONYD_TRACKING_LEN, 17, 0);       /* out of range */
	i = at(f, &id, T0 + 3 * NS_PER_S + 6 * MS);
	assert_non_null(strstr(last_log, "stratum 17 out of range"));
	assert_int_equal(i.stratum, 3);
	answer((uint32_t)seq, CHRONYD_TRACKING_LEN, 4, 0);        /* the real one */
	i = at(f, &id, T0 + 3 * NS_PER_S + 8 * MS);
	assert_int_equal(i.stratum, 4);
	chronyd_follow_free(f);
}

static void test_chronyd_restarts(void **state)
{
	struct clock_identity id = identity();
	struct chronyd_follow *f = synced(&id);
	char own[PATH_CAP];

	(void)state;
	close(server_fd);
	(void)at(f, &id, T0 + 3 * NS_PER_S);
	assert_non_null(strstr(last_log, "cannot send: Connection refused"));
	open_server();
	(void)at(f, &id, T0 + 5 * NS_PER_S);
	assert_true(take_request() >= 0);   /* connected to the new socket */
	snprintf(own, sizeof(own), "%s/chronyd-client.%ld.sock", dir, (long)getpid());
	assert_int_equal(access(own, F_OK), 0);
	chronyd_follow_free(f);
	assert_int_equal(access(own, F_OK), -1);  /* removed at the end */
}

static void test_unreachable(void **state)
{
	struct clock_identity id = identity();
	struct chronyd_follow *f;
	struct tsd_clock_info i;

	(void)state;
	close(server_fd);
	unlink(server_path);
	f = follow(&id, NULL, 0);
	i = at(f, &id, T0);
	assert_unsynced(&i);
	assert_non_null(strstr(last_log, "cannot reach it: No such file or directory"));
	chronyd_follow_free(f);
	open_server();
}

static int settings_error(const struct tsd_setting *s, size_t n, char *message)
{
	struct clock_identity id = identity();
	struct tsd_plugin_error err = { "", -1 };
	struct chronyd_follow *f = (struct chronyd_follow *)1;
	int rc = chronyd_follow_settings(&id, s, n, &f, &err);

	assert_null(f);
	snprintf(message, 256, "%s", err.message);
	return rc;
}

static void test_settings(void **state)
{
	char long_dir[120], msg[256];
	struct tsd_setting rel[] = { { .name = "follow_chronyd", .type = TSD_SETTING_STRING,
	                               .string_value = "run/chronyd.sock" } };
	struct tsd_setting num[] = { { .name = "follow_chronyd", .type = TSD_SETTING_INT } };
	struct tsd_setting dir_only[] = { { .name = "follow_chronyd_dir",
	                                    .type = TSD_SETTING_STRING, .string_value = "/run" } };
	struct tsd_setting longd[] = {
		{ .name = "follow_chronyd", .type = TSD_SETTING_STRING, .string_value = "/x" },
		{ .name = "follow_chronyd_dir", .type = TSD_SETTING_STRING, .string_value = long_dir } };
	struct tsd_setting typo[] = { { .name = "follow_chrony", .type = TSD_SETTING_STRING,
	                                .string_value = "/x" } };
	struct clock_identity id = identity();
	struct tsd_plugin_error err = { "", -1 };
	struct chronyd_follow *f = (struct chronyd_follow *)1;

	(void)state;
	memset(long_dir, 'd', sizeof(long_dir) - 1);
	long_dir[0] = '/';
	long_dir[80] = '\0';
	assert_int_equal(settings_error(rel, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "follow_chronyd must be an absolute path"));
	assert_int_equal(settings_error(num, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "follow_chronyd must be a string"));
	assert_int_equal(settings_error(dir_only, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "follow_chronyd_dir needs follow_chronyd"));
	assert_int_equal(settings_error(longd, 2, msg), -ENAMETOOLONG);
	assert_non_null(strstr(msg, "follow_chronyd_dir is 80 characters"));
	assert_int_equal(settings_error(typo, 1, msg), -EINVAL);
	assert_non_null(strstr(msg, "known: stratum, refid, local_stratum, follow_chronyd, "
	                            "follow_chronyd_dir"));
	/* Not configured: nothing to follow, the kernel's word is served. */
	assert_int_equal(chronyd_follow_settings(&id, NULL, 0, &f, &err), 0);
	assert_null(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_serves_and_ages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_stratum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsynced_report_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chronyd_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
