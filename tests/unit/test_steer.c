/* Unit tests for apply = "system"'s steering (src/tsd/steer.c) against a
 * kernel simulated here: the test moves true time itself, so the account of
 * what was done is checked to the nanosecond. No real clock is involved. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tsd/steer.h"

/* ---- a kernel clock: the oscillator is true time, the clock adds a
 * phase and runs freq faster from freq_ref on ---- */

static int64_t true_ns, freq_ref_ns;
static double phase_ns, freq_ppm;
static int steps, freq_sets;
static struct tsd_clock_status status_seen;

/* The clock minus true time, in ns. */
static double clock_off_ns(void)
{
	return phase_ns + freq_ppm * 1e-6 * (double)(true_ns - freq_ref_ns);
}

static int k_now(void *state, struct tsd_clock_reading *out)
{
	(void)state;
	out->time_ns = true_ns + (int64_t)llround(clock_off_ns());
	out->error_s = 1e-6;
	return 0;
}

static int k_info(void *state, struct tsd_clock_info *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
	return 0;
}

static int k_step(void *state, double offset_s)
{
	(void)state;
	phase_ns += offset_s * 1e9;
	steps++;
	return 0;
}

static int k_frequency(void *state, double ppm)
{
	(void)state;
	phase_ns = clock_off_ns();
	freq_ref_ns = true_ns;
	freq_ppm = ppm;
	freq_sets++;
	return 0;
}

static int k_read(void *state, struct tsd_clock_adjustment *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
	out->freq_ppm = freq_ppm;
	out->max_freq_ppm = 500;
	return 0;
}

static int k_status(void *state, const struct tsd_clock_status *st)
{
	(void)state;
	status_seen = *st;
	return 0;
}

static struct clock_source cs;
static struct steer st;
static uint64_t mono_ns;

static void advance(double seconds)
{
	true_ns += (int64_t)llround(seconds * 1e9);
	mono_ns += (uint64_t)llround(seconds * 1e9);
}

static int64_t raw_now(void)
{
	struct tsd_clock_reading r;

	assert_int_equal(clock_now(&cs, &r), 0);
	return r.time_ns;
}

static int setup(void **state)
{
	struct tsd_clock_adjustment found;

	(void)state;
	memset(&cs, 0, sizeof(cs));
	cs.ops = (struct tsd_clock_ops){ .now = k_now, .info = k_info, .step = k_step,
	                                 .adjust_frequency = k_frequency, .adjust_read = k_read,
	                                 .adjust_status = k_status };
	true_ns = INT64_C(1800000000) * 1000000000;
	mono_ns = 1000000000;
	phase_ns = 0;
	freq_ppm = 20;
	freq_ref_ns = true_ns - INT64_C(1000000000000);  /* running at +20 ppm for a while */
	phase_ns = -freq_ppm * 1e-6 * 1e12;     /* ... and reading true time now */
	steps = freq_sets = 0;
	assert_int_equal(steer_open(&st, &cs, &found), 0);
	assert_true(fabs(found.freq_ppm - 20) < 1e-9);
	assert_true(found.max_freq_ppm == 500);
	assert_int_equal(freq_sets, 1);         /* the privilege probe */
	assert_true(freq_ppm == 20);
	return 0;
}

/* ---- tests ---- */

/* The sync process's readings are the untouched oscillator: here, true time. */
static void test_readings_leave_out_what_was_done(void **state)
{
	(void)state;
	assert_int_equal(raw_now(), true_ns);
	advance(100);
	assert_true(fabs(clock_off_ns() - 2000e3) < 1);  /* 20 ppm * 100 s */
	assert_int_equal(raw_now(), true_ns);
}

static struct correction_params next_at(int64_t raw, double offset_s, double freq,
                                        double slew_s, double slew_rate)
{
	struct correction_params p;

	memset(&p, 0, sizeof(p));
	p.ref_raw_ns = raw;
	p.offset_ns = (int64_t)llround(offset_s * 1e9);
	p.freq = freq;
	p.slew_s = slew_s;
	p.slew_rate = slew_rate;
	return p;
}

/* A step adds what next lacks, once; the frequency is next's. */
static void test_step(void **state)
{
	struct correction_params p;
	int64_t raw;

	(void)state;
	advance(10);
	raw = raw_now();
	p = next_at(raw, 0.5, -100e-6, 0, 0);
	assert_int_equal(steer_apply(&st, &p, DISCIPLINE_STEP, raw, mono_ns), 0);
	assert_int_equal(steps, 1);
	assert_true(freq_ppm == -100);
	assert_true(fabs(clock_off_ns() - 0.5e9) < 2);
	advance(50);
	assert_true(fabs(clock_off_ns() - (0.5e9 - 100e-6 * 50e9)) < 2);
	assert_int_equal(raw_now(), true_ns);
	assert_int_equal(steer_due_ns(&st), UINT64_MAX);
}

/* A slew is a frequency offset for as long as it takes, within the
 * kernel's 500 ppm; then the base frequency again, the phase added exactly. */
static void test_slew_through_frequency(void **state)
{
	struct correction_params p, in_force;
	double before;
	int64_t raw;

	(void)state;
	raw = raw_now();
	p = next_at(raw, 0, -100e-6, 0.001, 1e-3);  /* asks 1000 ppm */
	before = clock_off_ns();
	assert_int_equal(steer_apply(&st, &p, DISCIPLINE_SLEW, raw, mono_ns), 0);
	assert_int_equal(steps, 0);
	assert_true(fabs(freq_ppm - 300) < 1e-9);    /* -100 + (500 - 100) */
	assert_int_equal(steer_due_ns(&st), mono_ns + 2500000000u + 1);
	advance(1.0);
	steer_in_force(&st, raw_now(), mono_ns, &in_force);
	assert_true(fabs(in_force.slew_s - 0.0006) < 1e-9);
	assert_true(fabs(in_force.freq + 100e-6) < 1e-15);
	assert_int_equal(steer_tick(&st, mono_ns), 0);  /* not due yet */
	assert_true(fabs(freq_ppm - 300) < 1e-9);
	advance(1.6);                                   /* 0.1 s late */
	assert_int_equal(steer_tick(&st, mono_ns), 0);
	assert_true(fabs(freq_ppm + 100) < 1e-9);
	/* -100 ppm * 2.6 s plus 400 ppm for the 2.6 s the slew really ran. */
	assert_true(fabs(clock_off_ns() - before - (-100e-6 + 400e-6) * 2.6e9) < 2);
	assert_int_equal(raw_now(), true_ns);
	steer_in_force(&st, raw_now(), mono_ns, &in_force);
	assert_true(in_force.slew_s == 0);
	assert_int_equal(steer_due_ns(&st), UINT64_MAX);
}

/* Stopping mid-slew leaves the clock at the learned frequency. */
static void test_close_ends_slew(void **state)
{
	struct correction_params p;
	int64_t raw;

	(void)state;
	raw = raw_now();
	p = next_at(raw, 0, 50e-6, -0.01, 1e-4);
	assert_int_equal(steer_apply(&st, &p, DISCIPLINE_SLEW, raw, mono_ns), 0);
	assert_true(fabs(freq_ppm + 50) < 1e-9);      /* 50 - 100 */
	advance(1);
	steer_close(&st);
	assert_true(fabs(freq_ppm - 50) < 1e-9);
	assert_null(cs.removed);
}

/* Synchronised, with the leap and the root distance. */
static void test_status(void **state)
{
	struct correction_params p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.leap = TSD_LEAP_INSERT;
	p.root_delay_s = 0.004;
	p.root_dispersion_s = 0.001;
	assert_int_equal(steer_status(&st, &p, 0.0002), 0);
	assert_int_equal(status_seen.synced, 1);
	assert_int_equal(status_seen.leap, TSD_LEAP_INSERT);
	assert_true(fabs(status_seen.max_error_s - 0.003) < 1e-12);
	assert_true(fabs(status_seen.error_s - 0.0002) < 1e-12);
	p.leap = TSD_LEAP_UNSYNC;
	assert_int_equal(steer_status(&st, &p, 0.0002), 0);
	assert_int_equal(status_seen.leap, TSD_LEAP_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_readings_leave_out_what_was_done, setup),
		cmocka_unit_test_setup(test_step, setup),
		cmocka_unit_test_setup(test_slew_through_frequency, setup),
		cmocka_unit_test_setup(test_close_ends_slew, setup),
		cmocka_unit_test_setup(test_status, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
