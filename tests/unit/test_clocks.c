/* Unit tests for every clock plugin: sim in full (offset, drift, jitter,
 * seed, steps, slew, settings), and the settings checks of realtime, tai
 * and phc. The plugins are loaded with dlopen from $PLUGIN_DIR. No test
 * here touches the machine's clock: realtime's step and slew are never
 * called. */

#include <errno.h>
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

static struct dl_plugin sim, realtime, tai, phc;

static int setup(void **state)
{
	(void)state;
	if (dl_plugin_open(&sim, "clock_sim.so") != 0 ||
	    dl_plugin_open(&realtime, "clock_realtime.so") != 0 ||
	    dl_plugin_open(&tai, "clock_tai.so") != 0 ||
	    dl_plugin_open(&phc, "clock_phc.so") != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dl_plugin_close(&sim);
	dl_plugin_close(&realtime);
	dl_plugin_close(&tai);
	dl_plugin_close(&phc);
	return 0;
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void *start(const struct dl_plugin *p, const struct tsd_setting *settings, size_t n)
{
	struct tsd_plugin_error err = { "", -1 };
	void *state = NULL;
	int rc = p->desc->init(&state, settings, n, &err);

	if (rc != 0)
		fprintf(stderr, "init: %s\n", err.message);
	assert_int_equal(rc, 0);
	return state;
}

/* init must fail, blaming setting `index`, with `needle` in the message. */
static void refused(const struct dl_plugin *p, const struct tsd_setting *settings,
                    size_t n, int index, const char *needle)
{
	struct tsd_plugin_error err = { "", -7 };
	void *state = NULL;

	assert_int_equal(p->desc->init(&state, settings, n, &err), -EINVAL);
	assert_int_equal(err.setting_index, index);
	if (strstr(err.message, needle) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
	assert_null(state);
}

/* Reads sim now(), bracketed by real time: the simulated minus real time,
 * to within the width of the bracket (returned in *width_s). */
static double sim_minus_real_s(void *st, double *width_s)
{
	struct tsd_clock_reading r;
	int64_t before = real_ns(), after;

	assert_int_equal(sim.desc->clock->now(st, &r), 0);
	after = real_ns();
	*width_s = (double)(after - before) / 1e9;
	return (double)(r.time_ns - before) / 1e9;
}

/* ---- sim ---- */

static void test_sim_offset_applied(void **state)
{
	const struct tsd_setting s[] = { FLOAT_SETTING("offset", 0.25) };
	void *st = start(&sim, s, 1);
	struct tsd_clock_reading r;
	int64_t before, after;

	(void)state;
	before = real_ns();
	assert_int_equal(sim.desc->clock->now(st, &r), 0);
	after = real_ns();
	assert_true(r.time_ns >= before + 250000000);
	assert_true(r.time_ns <= after + 250000000 + 1);
	assert_true(fabs(r.error_s - 1e-6) < 1e-12);
	sim.desc->fini(st);
}

static void test_sim_drift_applied(void **state)
{
	const struct tsd_setting s[] = { FLOAT_SETTING("offset", -2.0),
	                                 FLOAT_SETTING("drift_ppm", 100) };
	void *st = start(&sim, s, 2);
	int64_t r0 = real_ns(), a, b;

	(void)state;
	/* 1000 s of real time gain 100 ppm: 0.1 s. */
	assert_int_equal(sim.desc->clock->from_realtime(st, r0, &a), 0);
	assert_int_equal(sim.desc->clock->from_realtime(st, r0 + 1000 * NS_PER_S, &b), 0);
	assert_true(llabs(b - a - 1000 * NS_PER_S - 100000000) <= 1);
	/* At start the offset alone: within the ms since init. */
	assert_true(llabs(a - r0 + 2 * NS_PER_S) < 1000000);
	sim.desc->fini(st);
}

/* Two instances started at different times agree when the host gives an
 * origin (as the tsd master does for its workers and sync process), and
 * the drift counts from that origin, not from each instance's start. */
static void test_sim_origin_shared(void **state)
{
	const struct tsd_setting s[] = { FLOAT_SETTING("drift_ppm", 1000) };
	int64_t origin = real_ns() - 100 * NS_PER_S, r0, a, b;
	struct timespec pause = { 0, 20000000 };
	char text[32];
	void *first, *second;

	(void)state;
	snprintf(text, sizeof(text), "%lld", (long long)origin);
	assert_int_equal(setenv(TSD_ORIGIN_ENV, text, 1), 0);
	first = start(&sim, s, 1);
	nanosleep(&pause, NULL);
	second = start(&sim, s, 1);
	unsetenv(TSD_ORIGIN_ENV);
	r0 = real_ns();
	assert_int_equal(sim.desc->clock->from_realtime(first, r0, &a), 0);
	assert_int_equal(sim.desc->clock->from_realtime(second, r0, &b), 0);
	assert_true(a == b);
	/* 100 s after the origin at 1000 ppm: 0.1 s ahead (to 10 ms: the
	 * test's own time since it chose the origin). */
	assert_true(llabs(a - r0 - 100000000) < 10000000);
	sim.desc->fini(first);
	sim.desc->fini(second);
}

/* Without an origin each instance counts from its own start. */
static void test_sim_no_origin_counts_from_init(void **state)
{
	const struct tsd_setting s[] = { FLOAT_SETTING("drift_ppm", 1000) };
	int64_t r0, a;
	void *st;

	(void)state;
	unsetenv(TSD_ORIGIN_ENV);
	st = start(&sim, s, 1);
	r0 = real_ns();
	assert_int_equal(sim.desc->clock->from_realtime(st, r0, &a), 0);
	assert_true(llabs(a - r0) < 1000000);
	sim.desc->fini(st);
}

static void jitter_stats(const char *shape, double *max_abs, double *rms)
{
	const struct tsd_setting s[] = { FLOAT_SETTING("jitter", 0.001),
	                                 STRING_SETTING("jitter_distribution", shape),
	                                 INT_SETTING("seed", 42) };
	void *st = start(&sim, s, 3);
	double sum_sq = 0, width;
	const int n = 20000;
	int kept = 0;

	*max_abs = 0;
	for (int i = 0; i < n; i++) {
		double d = sim_minus_real_s(st, &width);

		/* Real time moves a little between the brackets. */
		assert_true(d >= -0.001 - 1e-9 && d <= 0.001 + width + 1e-9);
		/* A read the scheduler interrupted says little about jitter. */
		if (width > 100e-6)
			continue;
		kept++;
		sum_sq += d * d;
		if (fabs(d) > *max_abs)
			*max_abs = fabs(d);
	}
	assert_true(kept > n * 9 / 10);
	*rms = sqrt(sum_sq / kept);
	sim.desc->fini(st);
}

static void test_sim_jitter_bounded(void **state)
{
	double max_abs, rms;

	(void)state;
	/* Uniform on +-1 ms: RMS 1/sqrt(3) ms, nearly reaching the edge. */
	jitter_stats("uniform", &max_abs, &rms);
	assert_true(max_abs > 0.0009);
	assert_true(fabs(rms - 0.001 / sqrt(3)) < 0.0001);
	/* Gaussian, sigma 1/3 ms, cut at 1 ms. */
	jitter_stats("gaussian", &max_abs, &rms);
	assert_true(max_abs > 0.0007);
	assert_true(fabs(rms - 0.001 / 3) < 0.00005);
}

static void test_sim_seed_reproducible(void **state)
{
	const struct tsd_setting a_set[] = { FLOAT_SETTING("jitter", 1.0), INT_SETTING("seed", 7) };
	const struct tsd_setting c_set[] = { FLOAT_SETTING("jitter", 1.0), INT_SETTING("seed", 8) };
	void *a = start(&sim, a_set, 2), *b = start(&sim, a_set, 2), *c = start(&sim, c_set, 2);
	double most_different = 0;

	(void)state;
	for (int i = 0; i < 100; i++) {
		struct tsd_clock_reading ra, rb, rc;

		sim.desc->clock->now(a, &ra);
		sim.desc->clock->now(b, &rb);
		sim.desc->clock->now(c, &rc);
		/* Same seed, same jitter: only the real time between the reads. */
		assert_true(llabs(rb.time_ns - ra.time_ns) < 10000000);
		if (fabs((double)(rc.time_ns - rb.time_ns)) / 1e9 > most_different)
			most_different = fabs((double)(rc.time_ns - rb.time_ns)) / 1e9;
	}
	assert_true(most_different > 0.5);
	sim.desc->fini(a);
	sim.desc->fini(b);
	sim.desc->fini(c);
}

static void test_sim_scheduled_step(void **state)
{
	const struct tsd_setting now_set[] = { FLOAT_SETTING("step_at", 0), FLOAT_SETTING("step_by", 5) };
	const struct tsd_setting later_set[] = { INT_SETTING("step_at", 1000), FLOAT_SETTING("step_by", -3) };
	void *now_st = start(&sim, now_set, 2), *later_st = start(&sim, later_set, 2);
	double width;
	int64_t r0 = real_ns(), before, after;

	(void)state;
	assert_true(fabs(sim_minus_real_s(now_st, &width) - 5) < 0.01);
	assert_true(fabs(sim_minus_real_s(later_st, &width)) < 0.01);
	sim.desc->clock->from_realtime(later_st, r0 + 999 * NS_PER_S, &before);
	sim.desc->clock->from_realtime(later_st, r0 + 1001 * NS_PER_S, &after);
	assert_true(llabs(after - before - (2 - 3) * NS_PER_S) <= 1);
	sim.desc->fini(now_st);
	sim.desc->fini(later_st);
}

static void test_sim_step(void **state)
{
	void *st = start(&sim, NULL, 0);
	double width;

	(void)state;
	assert_int_equal(sim.desc->clock->step(st, 2.5), 0);
	assert_true(fabs(sim_minus_real_s(st, &width) - 2.5) < 0.01);
	assert_int_equal(sim.desc->clock->step(st, -3.0), 0);
	assert_true(fabs(sim_minus_real_s(st, &width) + 0.5) < 0.01);
	assert_int_equal(sim.desc->clock->step(st, 1e12), -ERANGE);
	assert_int_equal(sim.desc->clock->step(st, NAN), -ERANGE);
	sim.desc->fini(st);
}

static void test_sim_slew(void **state)
{
	void *st = start(&sim, NULL, 0);
	int64_t r0, t;

	(void)state;
	r0 = real_ns();
	assert_int_equal(sim.desc->clock->slew(st, 1.0), 0);
	/* At most 500 ppm: after 1000 s half of it, after 3000 s all. */
	sim.desc->clock->from_realtime(st, r0 + 1000 * NS_PER_S, &t);
	assert_true(fabs((double)(t - r0 - 1000 * NS_PER_S) / 1e9 - 0.5) < 0.001);
	sim.desc->clock->from_realtime(st, r0 + 3000 * NS_PER_S, &t);
	assert_true(llabs(t - r0 - 3000 * NS_PER_S - NS_PER_S) <= 1);
	/* A new slew replaces what is left; negative works the same way. */
	assert_int_equal(sim.desc->clock->slew(st, -0.2), 0);
	sim.desc->clock->from_realtime(st, r0 + 3000 * NS_PER_S, &t);
	assert_true(fabs((double)(t - r0 - 3000 * NS_PER_S) / 1e9 + 0.2) < 0.001);
	assert_int_equal(sim.desc->clock->slew(st, 1e6), -ERANGE);
	sim.desc->fini(st);
}

static void test_sim_info_and_error(void **state)
{
	const struct tsd_setting s[] = { INT_SETTING("leap", 3), INT_SETTING("stratum", 16),
	                                 FLOAT_SETTING("error", 0.005) };
	const struct tsd_setting j[] = { FLOAT_SETTING("jitter", 0.002) };
	void *st = start(&sim, s, 3), *js = start(&sim, j, 1);
	struct tsd_clock_info info;
	struct tsd_clock_reading r;

	(void)state;
	assert_int_equal(sim.desc->clock->info(st, &info), 0);
	assert_int_equal(info.leap, TSD_LEAP_UNSYNC);
	assert_int_equal(info.stratum, 16);
	assert_true(info.root_dispersion_s == 0.005);
	assert_true(info.precision_log2 < 0 && info.precision_log2 >= -30);
	assert_int_equal(sim.desc->clock->now(st, &r), 0);
	assert_true(r.error_s == 0.005);
	/* Default bound: 1 us plus the jitter. */
	assert_int_equal(sim.desc->clock->now(js, &r), 0);
	assert_true(fabs(r.error_s - 0.002001) < 1e-12);
	sim.desc->fini(st);
	sim.desc->fini(js);
}

static void test_sim_from_realtime_consistent(void **state)
{
	const struct tsd_setting s[] = { FLOAT_SETTING("offset", 123.456),
	                                 FLOAT_SETTING("drift_ppm", -40) };
	void *st = start(&sim, s, 2);
	int64_t lo_out;

	(void)state;
	for (int i = 0; i < 100; i++) {
		struct tsd_clock_reading r;
		int64_t before = real_ns(), after, lo, hi;

		sim.desc->clock->now(st, &r);
		after = real_ns();
		sim.desc->clock->from_realtime(st, before, &lo);
		sim.desc->clock->from_realtime(st, after, &hi);
		assert_true(r.time_ns >= lo - 1 && r.time_ns <= hi + 1);
	}
	/* Outside 1970..2116 it refuses rather than overflow. */
	assert_int_equal(sim.desc->clock->from_realtime(st, -1, &lo_out), -ERANGE);
	assert_int_equal(sim.desc->clock->from_realtime(st, INT64_MAX, &lo_out), -ERANGE);
	sim.desc->fini(st);
}

static void test_sim_settings_refused(void **state)
{
	const struct tsd_setting unknown[] = { FLOAT_SETTING("offset", 1), FLOAT_SETTING("ofset", 1) };
	const struct tsd_setting leap[] = { INT_SETTING("leap", 4) };
	const struct tsd_setting stratum[] = { INT_SETTING("stratum", 0) };
	const struct tsd_setting drift[] = { FLOAT_SETTING("drift_ppm", 1e6) };
	const struct tsd_setting jitter[] = { FLOAT_SETTING("jitter", -0.1) };
	const struct tsd_setting type[] = { STRING_SETTING("offset", "1.0") };
	const struct tsd_setting seed[] = { FLOAT_SETTING("seed", 1.5) };
	const struct tsd_setting shape[] = { STRING_SETTING("jitter_distribution", "poisson") };
	const struct tsd_setting lone[] = { FLOAT_SETTING("jitter", 0), FLOAT_SETTING("step_by", 1) };

	(void)state;
	refused(&sim, unknown, 2, 1, "ofset");
	refused(&sim, leap, 1, 0, "leap");
	refused(&sim, stratum, 1, 0, "stratum");
	refused(&sim, drift, 1, 0, "drift_ppm");
	refused(&sim, jitter, 1, 0, "jitter");
	refused(&sim, type, 1, 0, "offset");
	refused(&sim, seed, 1, 0, "integer");
	refused(&sim, shape, 1, 0, "gaussian");
	refused(&sim, lone, 2, 1, "step_at");
}

/* ---- the other clocks: settings and what can be read safely ---- */

static void test_realtime_reads_and_refuses(void **state)
{
	/* local_stratum: the same stratum whether or not the kernel calls this
	 * machine's clock synchronised (test_clock_kernel tests the difference). */
	const struct tsd_setting good[] = { INT_SETTING("stratum", 2), STRING_SETTING("refid", "GPS"),
	                                    INT_SETTING("local_stratum", 2) };
	const struct tsd_setting unknown[] = { INT_SETTING("stratum", 2), INT_SETTING("offset", 1) };
	const struct tsd_setting stratum[] = { INT_SETTING("stratum", 16) };
	const struct tsd_setting refid[] = { STRING_SETTING("refid", "TOOLONG") };
	void *st = start(&realtime, good, 3);
	struct tsd_clock_reading r;
	struct tsd_clock_info info;
	int64_t before = real_ns(), after, same;

	(void)state;
	assert_int_equal(realtime.desc->clock->now(st, &r), 0);
	after = real_ns();
	assert_true(r.time_ns >= before && r.time_ns <= after);
	assert_true(r.error_s > 0 && r.error_s < 1);
	assert_int_equal(realtime.desc->clock->info(st, &info), 0);
	assert_int_equal(info.stratum, 2);
	assert_memory_equal(info.refid, "GPS", 4);
	assert_true(info.leap != TSD_LEAP_UNSYNC);
	assert_int_equal(realtime.desc->clock->from_realtime(st, 12345, &same), 0);
	assert_int_equal(same, 12345);
	assert_non_null(realtime.desc->clock->step);
	assert_non_null(realtime.desc->clock->slew);
	realtime.desc->fini(st);
	refused(&realtime, unknown, 2, 1, "offset");
	refused(&realtime, stratum, 1, 0, "stratum");
	refused(&realtime, refid, 1, 0, "refid");
}

static void test_tai_reads_utc(void **state)
{
	const struct tsd_setting unknown[] = { STRING_SETTING("device", "/dev/ptp0") };
	void *st = start(&tai, NULL, 0);
	struct tsd_clock_reading r;
	int64_t before = real_ns(), after;

	(void)state;
	assert_int_equal(tai.desc->clock->now(st, &r), 0);
	after = real_ns();
	/* CLOCK_TAI less the kernel's offset is UTC again. */
	assert_true(r.time_ns >= before - 1000000 && r.time_ns <= after + 1000000);
	assert_null(tai.desc->clock->step);
	assert_null(tai.desc->clock->slew);
	tai.desc->fini(st);
	refused(&tai, unknown, 1, 0, "device");
}

static void test_phc_missing_device(void **state)
{
	const struct tsd_setting missing[] = { STRING_SETTING("device", "/nonexistent/ptp9") };
	const struct tsd_setting unknown[] = { STRING_SETTING("devcie", "/dev/ptp0") };
	struct tsd_plugin_error err = { "", -7 };
	void *st = NULL;

	(void)state;
	assert_int_equal(phc.desc->init(&st, missing, 1, &err), -ENOENT);
	assert_string_equal(err.message,
	                    "cannot open /nonexistent/ptp9: No such file or directory");
	assert_int_equal(err.setting_index, 0);
	assert_null(st);
	assert_null(phc.desc->clock->from_realtime);
	refused(&phc, unknown, 1, 0, "devcie");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_offset_applied),
		cmocka_unit_test(test_sim_drift_applied),
		cmocka_unit_test(test_sim_origin_shared),
		cmocka_unit_test(test_sim_no_origin_counts_from_init),
		cmocka_unit_test(test_sim_jitter_bounded),
		cmocka_unit_test(test_sim_seed_reproducible),
		cmocka_unit_test(test_sim_scheduled_step),
		cmocka_unit_test(test_sim_step),
		cmocka_unit_test(test_sim_slew),
		cmocka_unit_test(test_sim_info_and_error),
		cmocka_unit_test(test_sim_from_realtime_consistent),
		cmocka_unit_test(test_sim_settings_refused),
		cmocka_unit_test(test_realtime_reads_and_refuses),
		cmocka_unit_test(test_tai_reads_utc),
		cmocka_unit_test(test_phc_missing_device),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
