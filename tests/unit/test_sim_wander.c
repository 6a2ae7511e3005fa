/* The sim clock's wander setting: a frequency random walk that two
 * instances with one origin read alike at the same instant, whatever order
 * they read in, and whose statistics follow the setting. Loaded with
 * dlopen from $PLUGIN_DIR, as test_clocks does. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "plugin_dl.h"

#define NS_PER_S 1000000000LL
/* An origin in the past (2026-01-01), so every instant below is after it. */
#define ORIGIN_NS (1767225600LL * NS_PER_S)

static struct dl_plugin sim;

static int setup(void **state)
{
	char text[32];

	(void)state;
	snprintf(text, sizeof(text), "%lld", (long long)ORIGIN_NS);
	if (setenv(TSD_ORIGIN_ENV, text, 1) != 0)
		return -1;
	return dl_plugin_open(&sim, "clock_sim.so");
}

static int teardown(void **state)
{
	(void)state;
	unsetenv(TSD_ORIGIN_ENV);
	dl_plugin_close(&sim);
	return 0;
}

static void *start(const struct tsd_setting *settings, size_t n)
{
	struct tsd_plugin_error err = { "", -1 };
	void *st = NULL;
	int rc = sim.desc->init(&st, settings, n, &err);

	if (rc != 0)
		fprintf(stderr, "init: %s\n", err.message);
	assert_int_equal(rc, 0);
	return st;
}

/* Simulated minus real time, seconds, `t_s` after the origin. */
static double offset_at(void *st, double t_s)
{
	int64_t real = ORIGIN_NS + (int64_t)llround(t_s * 1e9), sim_ns;

	assert_int_equal(sim.desc->clock->from_realtime(st, real, &sim_ns), 0);
	return (double)(sim_ns - real) / 1e9;
}

/* One instance reads forward, the other jumps back and forth (past the
 * checkpoints it keeps): every reading agrees to the nanosecond. */
static void test_wander_same_in_two_instances(void **state)
{
	const struct tsd_setting s[] = { FLOAT_SETTING("wander", 1e-6), INT_SETTING("seed", 7) };
	void *a = start(s, 2), *b = start(s, 2);
	const double jumps[] = { 5000.5, 12.25, 4999.75, 2600.1, 0.5, 7000.9, 100.0, 3000.3 };
	double moved = 0;

	(void)state;
	for (double t = 0; t < 7200; t += 17.3)
		(void)offset_at(a, t);
	for (size_t i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++) {
		double x = offset_at(b, jumps[i]), y = offset_at(a, jumps[i]);

		assert_true(x == y);
		moved = fmax(moved, fabs(x));
	}
	/* The walk moved the clock (about a millisecond here), and a
	 * different seed walks elsewhere. */
	assert_true(moved > 1e-5);
	{
		const struct tsd_setting other[] = { FLOAT_SETTING("wander", 1e-6),
		                                     INT_SETTING("seed", 8) };
		void *c = start(other, 2);

		assert_true(fabs(offset_at(c, 5000.5) - offset_at(a, 5000.5)) > 1e-7);
		sim.desc->fini(c);
	}
	sim.desc->fini(a);
	sim.desc->fini(b);
}

/* Frequencies averaged over consecutive windows of T seconds differ by
 * sigma^2 * 2T/3 in variance for a frequency random walk (the Allan
 * variance sigma^2 * T / 3), and the walk is continuous in phase. */
static void test_wander_statistics(void **state)
{
	const double sigma = 1e-6, window = 100;
	const int n = 1000;
	const struct tsd_setting s[] = { FLOAT_SETTING("wander", sigma), INT_SETTING("seed", 3) };
	void *st = start(s, 2);
	double prev_freq = 0, prev_phase = offset_at(st, 0), sum2 = 0, ratio;

	(void)state;
	for (int i = 1; i <= n; i++) {
		double phase = offset_at(st, i * window), freq = (phase - prev_phase) / window;

		if (i > 1)
			sum2 += (freq - prev_freq) * (freq - prev_freq);
		prev_freq = freq;
		prev_phase = phase;
	}
	ratio = sum2 / (n - 1) / (sigma * sigma * 2 * window / 3);
	assert_true(ratio > 0.8 && ratio < 1.25);
	/* Continuous: a nanosecond apart, readings differ by no more than the
	 * frequency the walk reached allows (plus rounding). */
	assert_true(fabs(offset_at(st, 50000.0) - offset_at(st, 50000.0 + 1e-9)) < 2e-9);
	sim.desc->fini(st);
}

/* Without wander the clock is the offset and drift alone; the setting's
 * range is checked. */
static void test_wander_off_and_refused(void **state)
{
	const struct tsd_setting off[] = { FLOAT_SETTING("drift_ppm", 10) };
	const struct tsd_setting bad[] = { FLOAT_SETTING("wander", -1e-9) };
	struct tsd_plugin_error err = { "", -7 };
	void *st = start(off, 1), *none = NULL;

	(void)state;
	assert_true(fabs(offset_at(st, 1000) - 10e-3) < 2e-9);
	sim.desc->fini(st);
	assert_int_not_equal(sim.desc->init(&none, bad, 1, &err), 0);
	assert_int_equal(err.setting_index, 0);
	assert_non_null(strstr(err.message, "wander"));
	assert_null(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wander_same_in_two_instances),
		cmocka_unit_test(test_wander_statistics),
		cmocka_unit_test(test_wander_off_and_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
