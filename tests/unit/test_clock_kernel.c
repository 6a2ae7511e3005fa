/* Unit tests for what the kernel clocks serve (plugins/clock/kernel.c):
 * unsynchronised, leap 3 and stratum 16 unless local_stratum is set. The
 * kernel's answer is faked through adjtimex (wrapped): the real clock is
 * never read here, let alone changed. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>

#include <cmocka.h>

#include "kernel.h"

/* ---- adjtimex answering what the test says ---- */

int __wrap_adjtimex(struct timex *tx);

static int fake_state;
static int fake_status;
static long fake_esterror_us;
static int fake_errno;
static unsigned fake_modes_seen;

int __wrap_adjtimex(struct timex *tx)
{
	fake_modes_seen |= tx->modes;
	if (fake_errno != 0) {
		errno = fake_errno;
		return -1;
	}
	tx->status = fake_status;
	tx->esterror = fake_esterror_us;
	tx->maxerror = 16000000;
	return fake_state;
}

static void kernel_says(int state, int status, long esterror_us)
{
	fake_state = state;
	fake_status = status;
	fake_esterror_us = esterror_us;
	fake_errno = 0;
}

static struct clock_identity identity(int local_stratum)
{
	struct clock_identity id = { .stratum = 2, .local_stratum = local_stratum,
	                             .precision_log2 = -20, .precision_s = 1e-6 };

	memcpy(id.refid, "LOCL", 4);
	return id;
}

static struct tsd_clock_info served(int local_stratum)
{
	struct clock_identity id = identity(local_stratum);
	struct kernel_state ks;
	struct tsd_clock_info info;

	kernel_state_read(&ks);
	clock_identity_kernel_info(&id, &ks, &info);
	return info;
}

/* ---- tests ---- */

static void test_synced_serves_stratum_and_error(void **state)
{
	struct tsd_clock_info info;

	(void)state;
	kernel_says(TIME_OK, STA_PLL, 250);
	info = served(0);
	assert_int_equal(info.leap, TSD_LEAP_NONE);
	assert_int_equal(info.stratum, 2);
	assert_true(info.root_dispersion_s > 250e-6 && info.root_dispersion_s < 252e-6);
	assert_memory_equal(info.refid, "LOCL", 4);
	assert_int_equal(fake_modes_seen, 0);
}

static void test_unsync_flag_serves_leap3_stratum16(void **state)
{
	struct tsd_clock_info info;

	(void)state;
	kernel_says(TIME_ERROR, STA_UNSYNC, 16000000);
	info = served(0);
	assert_int_equal(info.leap, TSD_LEAP_UNSYNC);
	assert_int_equal(info.stratum, 16);
	/* STA_UNSYNC with TIME_OK (a kernel that has not yet said TIME_ERROR). */
	kernel_says(TIME_OK, STA_UNSYNC, 0);
	info = served(0);
	assert_int_equal(info.leap, TSD_LEAP_UNSYNC);
	assert_int_equal(info.stratum, 16);
	assert_int_equal(fake_modes_seen, 0);
}

static void test_time_error_alone_is_unsynced(void **state)
{
	(void)state;
	kernel_says(TIME_ERROR, STA_PLL, 100);
	assert_int_equal(served(0).leap, TSD_LEAP_UNSYNC);
	assert_int_equal(served(0).stratum, 16);
}

static void test_failed_read_is_unsynced(void **state)
{
	(void)state;
	kernel_says(TIME_OK, 0, 0);
	fake_errno = EPERM;
	assert_int_equal(served(0).leap, TSD_LEAP_UNSYNC);
	assert_int_equal(served(0).stratum, 16);
	assert_int_equal(served(5).stratum, 5);
	assert_int_equal(served(5).leap, TSD_LEAP_NONE);
}

static void test_local_stratum_serves_unsynced_clock(void **state)
{
	struct tsd_clock_info info;

	(void)state;
	kernel_says(TIME_ERROR, STA_UNSYNC, 16000000);
	info = served(7);
	assert_int_equal(info.leap, TSD_LEAP_NONE);
	assert_int_equal(info.stratum, 7);
	/* The kernel's 16 s estimate is meaningless while unsynchronised. */
	assert_true(info.root_dispersion_s < 2e-6);
	/* A leap second announced to an unsynchronised kernel still counts. */
	kernel_says(TIME_ERROR, STA_UNSYNC | STA_INS, 0);
	assert_int_equal(served(7).leap, TSD_LEAP_INSERT);
	/* Synchronised again: the ordinary stratum. */
	kernel_says(TIME_OK, 0, 10);
	assert_int_equal(served(7).stratum, 2);
}

static int set(struct clock_identity *id, const char *name, int64_t v)
{
	struct tsd_setting s = { .name = name, .type = TSD_SETTING_INT, .int_value = v };
	struct tsd_plugin_error err = { 0 };

	return clock_identity_settings(id, &s, 1, &err);
}

static void test_local_stratum_setting(void **state)
{
	struct clock_identity id = identity(0);
	struct tsd_setting str = { .name = "local_stratum", .type = TSD_SETTING_STRING,
	                           .string_value = "3" };
	struct tsd_plugin_error err = { 0 };

	(void)state;
	assert_int_equal(set(&id, "local_stratum", 3), 0);
	assert_int_equal(id.local_stratum, 3);
	assert_int_equal(set(&id, "local_stratum", 0), -EINVAL);
	assert_int_equal(set(&id, "local_stratum", 16), -EINVAL);
	assert_int_equal(clock_identity_settings(&id, &str, 1, &err), -EINVAL);
	assert_string_equal(err.message, "local_stratum must be an integer from 1 to 15");
	assert_int_equal(id.local_stratum, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synced_serves_stratum_and_error),
		cmocka_unit_test(test_unsync_flag_serves_leap3_stratum16),
		cmocka_unit_test(test_time_error_alone_is_unsynced),
		cmocka_unit_test(test_failed_read_is_unsynced),
		cmocka_unit_test(test_local_stratum_serves_unsynced_clock),
		cmocka_unit_test(test_local_stratum_setting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
