/* Unit tests for how the realtime clock steers the kernel's clock
 * (plugins/clock/adjust.c, through realtime.c's descriptor): the exact
 * modes, values and scaling it hands clock_adjtime. clock_adjtime,
 * adjtimex and adjtime are wrapped: this program never reaches the real calls, so the
 * machine's clock is neither read nor changed here. */

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include <cmocka.h>

#include "tsd/plugin.h"

extern const struct tsd_plugin tsd_plugin;   /* plugins/clock/realtime.c */

/* ---- the kernel, faked: every call is recorded, none goes through ---- */

int __wrap_clock_adjtime(clockid_t clock, struct timex *tx);
int __wrap_adjtimex(struct timex *tx);

#define MAX_CALLS 4
static struct timex calls[MAX_CALLS];
static clockid_t call_clock[MAX_CALLS];
static int n_calls;
static struct timex answer;      /* what a read (modes = 0) gets */
static int answer_state;
static int fail_errno;

int __wrap_clock_adjtime(clockid_t clock, struct timex *tx)
{
	if (n_calls < MAX_CALLS) {
		calls[n_calls] = *tx;
		call_clock[n_calls] = clock;
	}
	n_calls++;
	if (fail_errno != 0) {
		errno = fail_errno;
		return -1;
	}
	if (tx->modes == 0)
		*tx = answer;
	return answer_state;
}

/* slew (tsclient --slew) is adjtime: wrapped too, recorded. */
int __wrap_adjtime(const struct timeval *delta, struct timeval *old);
static struct timeval slew_seen;

int __wrap_adjtime(const struct timeval *delta, struct timeval *old)
{
	(void)old;
	slew_seen = *delta;
	return 0;
}

/* The plugin reads the kernel's state at init (kernel.c): unsynchronised. */
int __wrap_adjtimex(struct timex *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->status = STA_UNSYNC;
	return TIME_ERROR;
}

static void *rt;

static int setup(void **state)
{
	struct tsd_plugin_error err = { "", -1 };

	(void)state;
	memset(calls, 0, sizeof(calls));
	memset(&answer, 0, sizeof(answer));
	n_calls = 0;
	answer_state = TIME_OK;
	fail_errno = 0;
	return tsd_plugin.init(&rt, NULL, 0, &err);
}

static int teardown(void **state)
{
	(void)state;
	tsd_plugin.fini(rt);
	return 0;
}

static const struct tsd_clock_ops *ops(void)
{
	return tsd_plugin.clock;
}

/* ---- tests ---- */

static void test_descriptor_has_steering(void **state)
{
	(void)state;
	assert_int_equal(tsd_plugin.abi_version, 2);
	assert_non_null(ops()->step);
	assert_non_null(ops()->adjust_frequency);
	assert_non_null(ops()->adjust_read);
	assert_non_null(ops()->adjust_status);
}

static long frequency_sent(double ppm)
{
	n_calls = 0;
	assert_int_equal(ops()->adjust_frequency(rt, ppm), 0);
	assert_int_equal(n_calls, 1);
	assert_int_equal(call_clock[0], CLOCK_REALTIME);
	assert_int_equal(calls[0].modes, ADJ_FREQUENCY);
	return calls[0].freq;
}

/* ppm scaled by 2^16, clamped to the kernel's +-500 ppm. */
static void test_frequency_scaled_and_clamped(void **state)
{
	(void)state;
	assert_int_equal(frequency_sent(12.5), 819200);
	assert_int_equal(frequency_sent(-100.0), -6553600);
	assert_int_equal(frequency_sent(1.0 / 65536), 1);
	assert_int_equal(frequency_sent(0.0), 0);
	assert_int_equal(frequency_sent(750.0), 500L * 65536);
	assert_int_equal(frequency_sent(-1e6), -500L * 65536);
	n_calls = 0;
	assert_int_equal(ops()->adjust_frequency(rt, NAN), -EINVAL);
	assert_int_equal(n_calls, 0);
}

static void test_kernel_refusal_passed_back(void **state)
{
	struct tsd_clock_status st = { 1, TSD_LEAP_NONE, 1e-3, 1e-2 };

	(void)state;
	fail_errno = EPERM;
	assert_int_equal(ops()->adjust_frequency(rt, 1.0), -EPERM);
	assert_int_equal(ops()->step(rt, 1.0), -EPERM);
	assert_int_equal(ops()->adjust_status(rt, &st), -EPERM);
}

static void step_sent(double offset_s, long sec, long nsec)
{
	n_calls = 0;
	assert_int_equal(ops()->step(rt, offset_s), 0);
	assert_int_equal(n_calls, 1);
	assert_int_equal(call_clock[0], CLOCK_REALTIME);
	assert_int_equal(calls[0].modes, ADJ_SETOFFSET | ADJ_NANO);
	assert_int_equal(calls[0].time.tv_sec, sec);
	assert_int_equal(calls[0].time.tv_usec, nsec);
}

/* One ADJ_SETOFFSET in nanoseconds, the fraction always 0..1e9-1. */
static void test_step_is_setoffset_nano(void **state)
{
	(void)state;
	step_sent(0.25, 0, 250000000);
	step_sent(-0.25, -1, 750000000);
	step_sent(1.5, 1, 500000000);
	step_sent(-2.000000001, -3, 999999999);
	step_sent(-3.0, -3, 0);
	step_sent(123456.000000007, 123456, 7);
	n_calls = 0;
	assert_int_equal(ops()->step(rt, 2e9), -EINVAL);
	assert_int_equal(ops()->step(rt, NAN), -EINVAL);
	assert_int_equal(n_calls, 0);
}

/* The status is read, then written with the owned bits replaced. */
static void status_sent(const struct tsd_clock_status *st, int old_status)
{
	n_calls = 0;
	answer.status = old_status;
	assert_int_equal(ops()->adjust_status(rt, st), 0);
	assert_int_equal(n_calls, 2);
	assert_int_equal(calls[0].modes, 0);
	assert_int_equal(call_clock[1], CLOCK_REALTIME);
	assert_int_equal(calls[1].modes, ADJ_STATUS | ADJ_ESTERROR | ADJ_MAXERROR);
}

static void test_status_synced_with_leap(void **state)
{
	struct tsd_clock_status st = { 1, TSD_LEAP_INSERT, 0.0005, 0.0123 };

	(void)state;
	status_sent(&st, STA_UNSYNC | STA_PLL | STA_NANO | STA_DEL);
	assert_int_equal(calls[1].status, STA_NANO | STA_INS);
	assert_int_equal(calls[1].esterror, 500);
	assert_int_equal(calls[1].maxerror, 12300);
	st.leap = TSD_LEAP_DELETE;
	status_sent(&st, STA_INS);
	assert_int_equal(calls[1].status, STA_DEL);
	st.leap = TSD_LEAP_NONE;
	status_sent(&st, STA_FLL | STA_INS);
	assert_int_equal(calls[1].status, 0);
}

/* Unsynchronised, or past the kernel's 16 s limit: STA_UNSYNC, errors capped. */
static void test_status_unsynced(void **state)
{
	struct tsd_clock_status st = { 0, TSD_LEAP_NONE, 0.001, 0.002 };

	(void)state;
	status_sent(&st, 0);
	assert_int_equal(calls[1].status, STA_UNSYNC);
	st.synced = 1;
	st.error_s = 30;
	st.max_error_s = 20;
	status_sent(&st, 0);
	assert_int_equal(calls[1].status, STA_UNSYNC);
	assert_int_equal(calls[1].esterror, 16000000);
	assert_int_equal(calls[1].maxerror, 16000000);
}

static void test_read_back(void **state)
{
	struct tsd_clock_adjustment a;

	(void)state;
	answer.freq = -6553600;
	answer.tolerance = 500L * 65536;
	answer.status = STA_INS;
	answer.esterror = 300;
	answer.maxerror = 5000;
	answer_state = TIME_INS;
	assert_int_equal(ops()->adjust_read(rt, &a), 0);
	assert_int_equal(calls[0].modes, 0);
	assert_int_equal(call_clock[0], CLOCK_REALTIME);
	assert_true(a.freq_ppm == -100.0);
	assert_true(a.max_freq_ppm == 500.0);
	assert_int_equal(a.synced, 1);
	assert_int_equal(a.leap, TSD_LEAP_INSERT);
	assert_true(fabs(a.error_s - 300e-6) < 1e-12);
	assert_true(fabs(a.max_error_s - 5e-3) < 1e-12);
	answer.status = STA_UNSYNC;
	answer_state = TIME_ERROR;
	assert_int_equal(ops()->adjust_read(rt, &a), 0);
	assert_int_equal(a.synced, 0);
	assert_int_equal(a.leap, TSD_LEAP_NONE);
}

static void test_slew_is_adjtime(void **state)
{
	(void)state;
	assert_int_equal(ops()->slew(rt, -0.5), 0);
	assert_int_equal(slew_seen.tv_sec, -1);
	assert_int_equal(slew_seen.tv_usec, 500000);
	assert_int_equal(n_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_descriptor_has_steering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frequency_scaled_and_clamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_refusal_passed_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_is_setoffset_nano, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_synced_with_leap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_unsynced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slew_is_adjtime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
