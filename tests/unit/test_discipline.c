/* Unit tests for the discipline loop (src/tsd/discipline.c) on synthetic
 * points with known truth: the regression's frequency and phase, the step
 * at the first update, slews after it, spikes held back, a source's step
 * followed after three points, and the poll interval. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tsd/discipline.h"

#define NS 1000000000LL

/* The source runs 100 ppm slower than the raw clock, 0.55 s ahead at 0. */
static double truth_s(int64_t raw_ns)
{
	return 0.55 - 100e-6 * (double)raw_ns / 1e9;
}

static struct discipline_point point(int64_t raw_ns, double noise_s)
{
	return (struct discipline_point){ raw_ns, truth_s(raw_ns) + noise_s, 20e-6 };
}

static void test_fit_recovers_line(void **state)
{
	struct discipline_point pts[10];
	double a, b, rms;

	(void)state;
	for (int i = 0; i < 10; i++)
		pts[i] = point((int64_t)i * NS, (i % 2 ? 1 : -1) * 5e-6);
	rms = discipline_fit(pts, 10, &a, &b);
	assert_true(fabs(b + 100e-6) < 2e-6);
	assert_true(fabs(a - truth_s(9 * NS)) < 6e-6);
	assert_true(rms < 6e-6);
}

/* First update: a step to the truth; then slews that bring the served
 * correction onto the source, with the frequency learned. */
static void test_step_then_slew_converges(void **state)
{
	struct discipline d;
	struct correction_params c, next;
	struct discipline_result r;
	int steps = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	discipline_init(&d, 1.0, 1.0, 0, 0);
	for (int i = 1; i <= 30; i++) {
		int64_t t = (int64_t)i * NS;
		struct discipline_point p = point(t, (i % 3 - 1) * 3e-6);

		discipline_update(&d, &p, &c, t + NS / 100, &next, &r);
		assert_int_not_equal(r.action, DISCIPLINE_NONE);
		steps += r.action == DISCIPLINE_STEP;
		next.synced = 1;
		c = next;
	}
	assert_int_equal(steps, 1);
	assert_true(fabs(c.freq + 100e-6) < 1e-6);
	/* The correction one poll on is the source's offset to 10 us. */
	assert_true(fabs((double)correction_offset_ns(&c, 32 * NS) / 1e9 - truth_s(32 * NS)) <
	            10e-6);
}

/* A started correction (a restarted sync process) is never stepped at once
 * for an offset below the threshold... and a spike is held back. */
static void test_spike_held_and_source_step_followed(void **state)
{
	struct discipline d;
	struct correction_params c, next;
	struct discipline_result r;
	int64_t t;
	int i;

	(void)state;
	memset(&c, 0, sizeof(c));
	discipline_init(&d, 0.5, 8.0, 0, 0);
	for (i = 1; i <= 10; i++) {
		t = (int64_t)i * NS;
		struct discipline_point p = point(t, 0);

		discipline_update(&d, &p, &c, t, &next, &r);
		next.synced = 1;
		c = next;
	}
	/* One point 1 s off: held back, nothing changes. */
	t = 11 * NS;
	struct discipline_point spike = point(t, 1.0);
	discipline_update(&d, &spike, &c, t, &next, &r);
	assert_int_equal(r.action, DISCIPLINE_NONE);
	assert_memory_equal(&next, &c, sizeof(c));
	/* Two more: the source moved; the third point steps to it. */
	for (i = 12; i <= 13; i++) {
		t = (int64_t)i * NS;
		struct discipline_point p = point(t, 1.0);

		discipline_update(&d, &p, &c, t, &next, &r);
		if (r.action != DISCIPLINE_NONE) {
			next.synced = 1;
			c = next;
		}
	}
	assert_int_equal(r.action, DISCIPLINE_STEP);
	assert_true(fabs(r.phase_s - 1.0) < 1e-3);
}

/* Loaded moments leave a few points with wide errors in the history; the
 * residual RMS is weighted as the fit, so it stays that of the good points
 * (the outlier test scales with it) instead of the loaded moments'. */
static void test_noisy_points_do_not_blind_outlier_test(void **state)
{
	struct discipline_point pts[24];
	double a, b, rms;

	(void)state;
	for (int i = 0; i < 24; i++) {
		pts[i] = point((int64_t)i * NS, (i % 2 ? 1 : -1) * 3e-6);
		if (i % 8 == 3) {        /* milliseconds off, and saying so */
			pts[i].offset_s += (i % 16 == 3 ? 1 : -1) * 3e-3;
			pts[i].error_s = 5e-3;
		}
	}
	rms = discipline_fit(pts, 24, &a, &b);
	assert_true(fabs(a - truth_s(23 * NS)) < 10e-6);
	assert_true(rms < 20e-6);
}

/* A loaded minute: 40 points 4 ms wide, 3 ms high and 2 ms low in turn
 * (no trend for the runs test to see), then the load ends and 6 points
 * 0.4 ms wide sit on the truth. The wide points, each weighing 1/100 of a narrow one, are
 * left out: the correction follows the narrow ones at once. */
static void test_wide_points_left_out_once_narrow_ones_come(void **state)
{
	struct discipline d;
	struct correction_params c, next;
	struct discipline_result r;
	int64_t t = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	discipline_init(&d, 1.0, 1.0, -100e-6, 1);
	for (int i = 1; i <= 46; i++) {
		struct discipline_point p;

		t = (int64_t)i * NS;
		p = (struct discipline_point){ t, truth_s(t), 400e-6 };
		if (i <= 40) {
			p.offset_s += i % 2 ? 3e-3 : -2e-3;
			p.error_s = 4e-3;
		}
		discipline_update(&d, &p, &c, t + NS / 100, &next, &r);
		next.synced = 1;
		c = next;
	}
	/* The phase the last update aimed for is the truth to 5 us. */
	assert_true(fabs(c.offset_ns / 1e9 + c.slew_s - truth_s(t + NS / 100)) < 5e-6);
}

static void test_poll_grows_when_calm(void **state)
{
	struct discipline d;
	struct correction_params c, next;
	struct discipline_result r;

	(void)state;
	memset(&c, 0, sizeof(c));
	discipline_init(&d, 0.5, 4.0, -100e-6, 0);
	for (int i = 1; i <= 40; i++) {
		int64_t t = (int64_t)i * NS;
		struct discipline_point p = point(t, 0);

		discipline_update(&d, &p, &c, t, &next, &r);
		next.synced = 1;
		c = next;
	}
	assert_true(d.poll_s > 0.5);
	assert_true(d.poll_s <= 4.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_recovers_line),
		cmocka_unit_test(test_step_then_slew_converges),
		cmocka_unit_test(test_spike_held_and_source_step_followed),
		cmocka_unit_test(test_noisy_points_do_not_blind_outlier_test),
		cmocka_unit_test(test_wide_points_left_out_once_narrow_ones_come),
		cmocka_unit_test(test_poll_grows_when_calm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
