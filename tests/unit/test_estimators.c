/* Unit tests for the estimator plugins (ntp, minfilter, median, regression,
 * bounds),
 * loaded with dlopen from $PLUGIN_DIR and fed synthetic samples whose true
 * offset is known. */

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plugin_dl.h"

#define NS_PER_S 1000000000LL
#define BASE_NS 1795718583000000000LL /* an instant in 2026 */

static const char *const files[] = {
	"estimator_ntp.so", "estimator_minfilter.so",
	"estimator_median.so", "estimator_regression.so", "estimator_bounds.so",
};
enum { NTP, MINFILTER, MEDIAN, REGRESSION, BOUNDS, N_ESTIMATORS };
static struct dl_plugin plugins[N_ESTIMATORS];

static uint64_t rng_state = 0x853c49e6748fea9bull;

static double uniform(double lo, double hi)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return lo + (hi - lo) * (double)(z >> 11) / 9007199254740992.0;
}

static int64_t ns(double seconds)
{
	return (int64_t)llround(seconds * 1e9);
}

/* An exchange starting at client time t1 against a server ahead by
 * offset_s, with the given one-way delays and 50 us in the server. */
static struct tsd_sample exchange(int64_t t1, double offset_s, double out_s,
                                  double back_s, double server_error_s)
{
	struct tsd_sample s;

	s.t1_ns = t1;
	s.t2_ns = t1 + ns(out_s + offset_s);
	s.t3_ns = s.t2_ns + 50000;
	s.t4_ns = s.t3_ns + ns(back_s - offset_s);
	s.server_error_s = server_error_s;
	return s;
}

static void *start(int which, const struct tsd_setting *settings, size_t n)
{
	struct tsd_plugin_error err = { "", -1 };
	void *state = NULL;

	assert_int_equal(plugins[which].desc->init(&state, settings, n, &err), 0);
	assert_non_null(state);
	return state;
}

static void stop(int which, void *state)
{
	plugins[which].desc->fini(state);
}

static const struct tsd_estimator_ops *ops(int which)
{
	return plugins[which].desc->estimator;
}

static void add(int which, void *state, const struct tsd_sample *s)
{
	assert_int_equal(ops(which)->add_sample(state, s), 0);
}

static void estimate(int which, void *state, struct tsd_estimate *e)
{
	assert_int_equal(ops(which)->estimate(state, e), 0);
	assert_true(isfinite(e->offset_s) && isfinite(e->error_s));
	assert_true(e->delay_s >= 0 && e->error_s >= 0 && e->jitter_s >= 0);
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < N_ESTIMATORS; i++)
		if (dl_plugin_open(&plugins[i], files[i]) != 0)
			return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < N_ESTIMATORS; i++)
		dl_plugin_close(&plugins[i]);
	return 0;
}

/* ---- what every estimator shares ---- */

static void test_descriptors(void **state)
{
	const char *names[] = { "ntp", "minfilter", "median", "regression", "bounds" };

	(void)state;
	for (int i = 0; i < N_ESTIMATORS; i++) {
		const struct tsd_plugin *d = plugins[i].desc;

		assert_int_equal(d->kind, TSD_PLUGIN_ESTIMATOR);
		assert_int_equal(d->size, sizeof(struct tsd_plugin));
		assert_string_equal(d->name, names[i]);
		assert_non_null(d->estimator);
		assert_null(d->clock);
	}
}

static void test_empty_and_reset(void **state)
{
	(void)state;
	for (int i = 0; i < N_ESTIMATORS; i++) {
		void *st = start(i, NULL, 0);
		struct tsd_sample s = exchange(BASE_NS, 0.1, 0.001, 0.001, 0);
		struct tsd_estimate e;

		assert_int_equal(ops(i)->estimate(st, &e), -EAGAIN);
		add(i, st, &s);
		estimate(i, st, &e);
		assert_int_equal(e.samples_used, 1);
		ops(i)->reset(st);
		assert_int_equal(ops(i)->estimate(st, &e), -EAGAIN);
		stop(i, st);
	}
}

static void test_settings_refused(void **state)
{
	const struct tsd_setting unknown[] = { INT_SETTING("window", 4), INT_SETTING("windw", 4) };
	const struct tsd_setting zero[] = { INT_SETTING("window", 0) };
	const struct tsd_setting huge[] = { INT_SETTING("window", 1025) };
	const struct tsd_setting real[] = { FLOAT_SETTING("window", 8.0) };

	(void)state;
	for (int i = 0; i < N_ESTIMATORS; i++) {
		const struct tsd_plugin *d = plugins[i].desc;
		struct tsd_plugin_error err = { "", -7 };
		void *st = NULL;

		assert_int_equal(d->init(&st, unknown, 2, &err), -EINVAL);
		assert_int_equal(err.setting_index, 1);
		assert_non_null(strstr(err.message, "windw"));
		assert_int_equal(d->init(&st, zero, 1, &err), -EINVAL);
		assert_int_equal(err.setting_index, 0);
		assert_non_null(strstr(err.message, "1024"));
		assert_int_equal(d->init(&st, huge, 1, &err), -EINVAL);
		assert_int_equal(d->init(&st, real, 1, &err), -EINVAL);
		assert_null(st);
	}
}

static void test_bad_samples_refused(void **state)
{
	(void)state;
	for (int i = 0; i < N_ESTIMATORS; i++) {
		void *st = start(i, NULL, 0);
		struct tsd_sample backwards = exchange(BASE_NS, 0, 0.001, 0.001, 0);
		struct tsd_sample nan_error = exchange(BASE_NS, 0, 0.001, 0.001, NAN);
		struct tsd_sample inf_error = exchange(BASE_NS, 0, 0.001, 0.001, INFINITY);
		struct tsd_sample negative = exchange(BASE_NS, 0, 0.001, 0.001, -1e-3);
		/* Differences that would overflow int64 nanoseconds. */
		struct tsd_sample extreme = { INT64_MIN, INT64_MAX, INT64_MAX, 0, 0 };
		struct tsd_sample apart = { 0, INT64_C(1) << 62, INT64_C(1) << 62, 1, 0 };
		struct tsd_estimate e;

		backwards.t4_ns = backwards.t1_ns - 1;
		assert_int_equal(ops(i)->add_sample(st, &backwards), -EINVAL);
		assert_int_equal(ops(i)->add_sample(st, &nan_error), -EINVAL);
		assert_int_equal(ops(i)->add_sample(st, &inf_error), -EINVAL);
		assert_int_equal(ops(i)->add_sample(st, &negative), -EINVAL);
		assert_int_equal(ops(i)->add_sample(st, &extreme), -EINVAL);
		assert_int_equal(ops(i)->add_sample(st, &apart), -EINVAL);
		/* Nothing refused was kept. */
		assert_int_equal(ops(i)->estimate(st, &e), -EAGAIN);
		stop(i, st);
	}
}

/* The issue 17 liar: T3 - T2 = 0.5 s inside a 50 us round trip, with a
 * server error of 0. Taken with its delay as 0, it claimed an offset within
 * a few microseconds; no exchange produces it. Within twice the server's
 * error (plus 1 us) a negative delay is possible and counts by its size. */
static void test_negative_delay(void **state)
{
	(void)state;
	for (int i = 0; i < N_ESTIMATORS; i++) {
		void *st = start(i, NULL, 0);
		struct tsd_sample liar = exchange(BASE_NS, 0.0099, 0.000025, 0.000025, 0);
		struct tsd_sample slight = exchange(BASE_NS, 0, 0.0001, 0.0001, 0.0005);
		struct tsd_estimate e;

		liar.t2_ns -= 250000000;
		liar.t3_ns += 250000000 - 50000;
		assert_int_equal(ops(i)->add_sample(st, &liar), -EINVAL);
		liar.server_error_s = 0.2499;
		assert_int_equal(ops(i)->add_sample(st, &liar), -EINVAL);
		/* 250 us from T1 to T4, 1.05 ms from T2 to T3: -0.8 ms. */
		slight.t3_ns += 1000000;
		assert_int_equal(ops(i)->add_sample(st, &slight), 0);
		assert_int_equal(ops(i)->estimate(st, &e), 0);
		assert_true(fabs(e.delay_s - 0.0008) < 1e-9);
		slight.server_error_s = 0.0003;
		assert_int_equal(ops(i)->add_sample(st, &slight), -EINVAL);
		stop(i, st);
	}
}

/* Whatever the path asymmetry, the truth lies within the error bound.
 * Regression's bound assumes a straight line, which a constant offset is. */
static void test_error_bound_holds(void **state)
{
	(void)state;
	for (int i = 0; i < N_ESTIMATORS; i++) {
		for (int trial = 0; trial < 200; trial++) {
			void *st = start(i, NULL, 0);
			const double truth = uniform(-1, 1);
			struct tsd_estimate e;

			for (int k = 0; k < 8; k++) {
				struct tsd_sample s = exchange(BASE_NS + k * NS_PER_S, truth,
				                               uniform(0, 0.02), uniform(0, 0.02),
				                               uniform(0, 1e-3));
				add(i, st, &s);
			}
			estimate(i, st, &e);
			assert_true(fabs(e.offset_s - truth) <= e.error_s + 2e-9);
			stop(i, st);
		}
	}
}

/* ---- ntp ---- */

static void test_ntp_last_sample(void **state)
{
	void *st = start(NTP, NULL, 0);
	struct tsd_sample first = exchange(BASE_NS, 0.5, 0.004, 0.004, 0);
	struct tsd_sample last = exchange(BASE_NS + NS_PER_S, 0.25, 0.003, 0.001, 1e-4);
	struct tsd_estimate e;

	(void)state;
	add(NTP, st, &first);
	add(NTP, st, &last);
	estimate(NTP, st, &e);
	/* 3 ms out, 1 ms back: the formula is off by half the difference. */
	assert_true(fabs(e.offset_s - (0.25 + 0.001)) < 1e-9);
	assert_true(fabs(e.delay_s - 0.004) < 1e-9);
	assert_true(fabs(e.error_s - (0.002 + 1e-4)) < 1e-9);
	assert_int_equal(e.samples_used, 1);
	assert_int_equal(e.has_freq, 0);
	stop(NTP, st);
}

/* ---- minfilter ---- */

static void test_minfilter_known_offset_with_spike(void **state)
{
	void *st = start(MINFILTER, NULL, 0);
	const double truth = 0.1;
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 8; k++) {
		/* Symmetric jitter: 1 to 10 ms each way, up to 0.5 ms uneven. */
		double d = uniform(0.001, 0.010), skew = uniform(-0.0005, 0.0005);
		struct tsd_sample s = exchange(BASE_NS + k * NS_PER_S, truth,
		                               d + skew, d - skew, 0);

		if (k == 5) /* a spike: 300 ms stuck in one direction */
			s = exchange(BASE_NS + k * NS_PER_S, truth, 0.3, 0.001, 0);
		add(MINFILTER, st, &s);
	}
	estimate(MINFILTER, st, &e);
	assert_true(fabs(e.offset_s - truth) < 0.0005);
	assert_true(e.delay_s < 0.021);
	assert_int_equal(e.samples_used, 8);
	stop(MINFILTER, st);
}

static void test_minfilter_jitter_is_rms_of_others(void **state)
{
	void *st = start(MINFILTER, NULL, 0);
	struct tsd_sample a = exchange(BASE_NS, 0.000, 0.001, 0.001, 1e-5);
	struct tsd_sample b = exchange(BASE_NS + 1, 0.003, 0.002, 0.002, 0);
	struct tsd_sample c = exchange(BASE_NS + 2, -0.004, 0.003, 0.003, 0);
	struct tsd_estimate e;
	const double jitter = sqrt((0.003 * 0.003 + 0.004 * 0.004) / 2);

	(void)state;
	add(MINFILTER, st, &b);
	add(MINFILTER, st, &a);
	add(MINFILTER, st, &c);
	estimate(MINFILTER, st, &e);
	assert_true(fabs(e.offset_s) < 1e-9);
	assert_true(fabs(e.delay_s - 0.002) < 1e-9);
	assert_true(fabs(e.jitter_s - jitter) < 1e-9);
	assert_true(fabs(e.error_s - (0.001 + 1e-5 + jitter)) < 1e-9);
	stop(MINFILTER, st);
}

static void test_minfilter_window_forgets(void **state)
{
	const struct tsd_setting settings[] = { INT_SETTING("window", 3) };
	void *st = start(MINFILTER, settings, 1);
	struct tsd_sample fast = exchange(BASE_NS, 0.7, 0.0001, 0.0001, 0);
	struct tsd_estimate e;

	(void)state;
	add(MINFILTER, st, &fast);
	for (int k = 1; k <= 3; k++) {
		struct tsd_sample slow = exchange(BASE_NS + k, 0.2, 0.005, 0.005, 0);

		add(MINFILTER, st, &slow);
	}
	/* The fast sample is four old in a window of three: gone. */
	estimate(MINFILTER, st, &e);
	assert_true(fabs(e.offset_s - 0.2) < 1e-9);
	assert_int_equal(e.samples_used, 3);
	stop(MINFILTER, st);
}

/* ---- median ---- */

static void test_median_rejects_spikes(void **state)
{
	void *st = start(MEDIAN, NULL, 0);
	const double truth = -0.05;
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 8; k++) {
		double d = uniform(0.001, 0.003), skew = uniform(-0.0002, 0.0002);
		struct tsd_sample s = exchange(BASE_NS + k * NS_PER_S, truth,
		                               d + skew, d - skew, 0);

		if (k == 2) /* a spike: half a second out, an instant back */
			s = exchange(BASE_NS + k * NS_PER_S, truth, 1.0, 0.0, 0);
		if (k == 6) /* and one the other way */
			s = exchange(BASE_NS + k * NS_PER_S, truth, 0.0, 0.8, 0);
		add(MEDIAN, st, &s);
	}
	estimate(MEDIAN, st, &e);
	assert_true(fabs(e.offset_s - truth) < 0.0002);
	/* Neither spike widened the bound: only the middle half counts. */
	assert_true(e.error_s < 0.005);
	assert_true(fabs(e.offset_s - truth) <= e.error_s);
	stop(MEDIAN, st);
}

static void test_median_even_count_and_delay(void **state)
{
	void *st = start(MEDIAN, NULL, 0);
	const double offsets[] = { 0.004, 0.001, 0.003, 0.002 };
	const double delays[] = { 0.010, 0.002, 0.004, 0.008 };
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 4; k++) {
		struct tsd_sample s = exchange(BASE_NS + k, offsets[k], delays[k] / 2,
		                               delays[k] / 2, 1e-4);
		/* Exact delays: exchange() adds 50 us in the server, which the
		 * delay formula takes out again. */
		add(MEDIAN, st, &s);
	}
	estimate(MEDIAN, st, &e);
	assert_true(fabs(e.offset_s - 0.0025) < 1e-9);
	assert_true(fabs(e.delay_s - 0.006) < 1e-9);
	/* Middle half of 4 is the middle two: spread 1 ms. */
	assert_true(fabs(e.error_s - (0.0005 + 0.003 + 1e-4)) < 1e-9);
	stop(MEDIAN, st);
}

/* ---- regression ---- */

static void test_regression_recovers_drift(void **state)
{
	void *st = start(REGRESSION, NULL, 0);
	const double base_offset = 0.02, drift_ppm = 50;
	double t_s = 0, truth_now = 0;
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 16; k++) {
		double d = uniform(0.001, 0.002);
		/* Up to 20 us asymmetry each sample: the noise the fit averages. */
		double skew = uniform(-0.00002, 0.00002);
		struct tsd_sample s;

		t_s = 4.0 * k;
		truth_now = base_offset + drift_ppm * 1e-6 * t_s;
		s = exchange(BASE_NS + ns(t_s), truth_now, d + skew, d - skew, 0);
		add(REGRESSION, st, &s);
	}
	estimate(REGRESSION, st, &e);
	print_message("regression: %.0f ppm drift read as %.3f ppm, offset off by %.1f us\n",
	              drift_ppm, e.freq_ppm, (e.offset_s - truth_now) * 1e6);
	assert_int_equal(e.has_freq, 1);
	assert_true(fabs(e.freq_ppm - drift_ppm) < 1.0);
	/* Extrapolated to the newest sample, not averaged over the window:
	 * the mean would be 1.5 ms behind. */
	assert_true(fabs(e.offset_s - truth_now) < 5e-5);
	assert_true(fabs(e.offset_s - truth_now) <= e.error_s);
	assert_int_equal(e.samples_used, 16);
	stop(REGRESSION, st);
}

static void test_regression_needs_three_spanning(void **state)
{
	void *st = start(REGRESSION, NULL, 0);
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct tsd_sample s = exchange(BASE_NS + k * NS_PER_S, 0.1 + k * 1e-4,
		                               0.001, 0.001, 0);
		add(REGRESSION, st, &s);
	}
	estimate(REGRESSION, st, &e);
	assert_int_equal(e.has_freq, 0);
	ops(REGRESSION)->reset(st);
	/* Three samples at one instant span no time. */
	for (int k = 0; k < 3; k++) {
		struct tsd_sample s = exchange(BASE_NS, 0.1 + k * 1e-4, 0.001, 0.001, 0);

		add(REGRESSION, st, &s);
	}
	estimate(REGRESSION, st, &e);
	assert_int_equal(e.has_freq, 0);
	assert_true(fabs(e.offset_s - 0.1001) < 1e-9);
	/* 100 us apart with 2 ms round trips: noise could fake any slope. */
	ops(REGRESSION)->reset(st);
	for (int k = 0; k < 3; k++) {
		struct tsd_sample s = exchange(BASE_NS + k * 100000, 0.1, 0.001, 0.001, 0);

		add(REGRESSION, st, &s);
	}
	estimate(REGRESSION, st, &e);
	assert_int_equal(e.has_freq, 0);
	/* 10 s apart, the same samples pin a frequency within 50 ppm. */
	ops(REGRESSION)->reset(st);
	for (int k = 0; k < 3; k++) {
		struct tsd_sample s = exchange(BASE_NS + k * 10 * NS_PER_S, 0.1 + k * 1e-4,
		                               0.001, 0.001, 0);

		add(REGRESSION, st, &s);
	}
	estimate(REGRESSION, st, &e);
	assert_int_equal(e.has_freq, 1);
	assert_true(fabs(e.freq_ppm - 10) < 1e-3);
	assert_true(fabs(e.offset_s - 0.1002) < 1e-9);
	stop(REGRESSION, st);
}

static void test_regression_spike_weighted_down(void **state)
{
	void *st = start(REGRESSION, NULL, 0);
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 16; k++) {
		struct tsd_sample s = exchange(BASE_NS + k * NS_PER_S, 0.3, 0.001, 0.001, 0);

		if (k == 9) /* 200 ms stuck one way: offset off by 100 ms */
			s = exchange(BASE_NS + k * NS_PER_S, 0.3, 0.2, 0.0, 0);
		add(REGRESSION, st, &s);
	}
	estimate(REGRESSION, st, &e);
	assert_true(fabs(e.offset_s - 0.3) < 1e-4);
	assert_true(fabs(e.freq_ppm) < 10);
	stop(REGRESSION, st);
}

/* ---- bounds ---- */

/* Two samples whose fast legs are in different samples: each one alone is
 * off by 200 us, and the least-delay choice must take one of them; their
 * legs together bracket the offset on both sides. */
static void test_bounds_combines_fastest_legs(void **state)
{
	void *st = start(BOUNDS, NULL, 0);
	struct tsd_sample a = exchange(BASE_NS, 0.1, 0.0010, 0.0014, 2e-6);
	struct tsd_sample b = exchange(BASE_NS + NS_PER_S / 100, 0.1, 0.0014, 0.0010, 1e-6);
	struct tsd_estimate e;

	(void)state;
	add(BOUNDS, st, &a);
	add(BOUNDS, st, &b);
	estimate(BOUNDS, st, &e);
	assert_true(fabs(e.offset_s - 0.1) < 2e-9);
	/* Half of the 1 ms + 1 ms left between them, plus the larger server
	 * error, plus what any frequency up to 1000 ppm could move the older
	 * sample's bound over the 10 ms between them. */
	assert_true(e.error_s >= 0.0010 + 2e-6 - 2e-9);
	assert_true(e.error_s <= 0.0010 + 2e-6 + 1000e-6 * 0.0101);
	assert_true(fabs(e.delay_s - 0.0024) < 2e-9);
	assert_true(fabs(e.jitter_s - 0.0002) < 2e-9);
	assert_int_equal(e.samples_used, 2);
	assert_int_equal(e.has_freq, 0);
	stop(BOUNDS, st);
}

/* 50 ppm over a minute: the bounds, moved along the frequency the
 * envelopes show, still bracket the offset of the newest sample. */
static void test_bounds_follows_drift(void **state)
{
	void *st = start(BOUNDS, NULL, 0);
	const double drift_ppm = 50;
	double truth_now = 0;
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 16; k++) {
		double t_s = 4.0 * k;

		truth_now = 0.02 + drift_ppm * 1e-6 * t_s;
		struct tsd_sample s = exchange(BASE_NS + ns(t_s), truth_now,
		                               0.001 + uniform(0, 2e-4), 0.001 + uniform(0, 2e-4), 0);
		add(BOUNDS, st, &s);
	}
	estimate(BOUNDS, st, &e);
	print_message("bounds: %.0f ppm drift read as %.3f ppm, offset off by %.1f us\n",
	              drift_ppm, e.freq_ppm, (e.offset_s - truth_now) * 1e6);
	assert_int_equal(e.has_freq, 1);
	assert_true(fabs(e.freq_ppm - drift_ppm) < 2.0);
	assert_true(fabs(e.offset_s - truth_now) < 5e-5);
	assert_true(fabs(e.offset_s - truth_now) <= e.error_s);
	stop(BOUNDS, st);
}

/* Samples milliseconds apart cannot show a frequency: it stays zero, and
 * the noise does not tilt the bounds. */
static void test_bounds_short_window_no_freq(void **state)
{
	void *st = start(BOUNDS, NULL, 0);
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 16; k++) {
		struct tsd_sample s = exchange(BASE_NS + k * 5000000, -0.3, 0.002 + uniform(0, 1e-3),
		                               0.002 + uniform(0, 1e-3), 0);
		add(BOUNDS, st, &s);
	}
	estimate(BOUNDS, st, &e);
	assert_int_equal(e.has_freq, 0);
	assert_true(e.freq_ppm == 0);
	assert_true(fabs(e.offset_s + 0.3) < 2e-4);
	stop(BOUNDS, st);
}

/* The server steps 100 ms: no offset fits the window, and the samples
 * since the step (the longest run of the newest that fits) decide. */
static void test_bounds_step_falls_back_to_recent(void **state)
{
	const struct tsd_setting window = INT_SETTING("window", 32);
	void *st = start(BOUNDS, &window, 1);
	struct tsd_estimate e;

	(void)state;
	for (int k = 0; k < 24; k++) {
		double truth = k < 16 ? 0.4 : 0.5;
		struct tsd_sample s = exchange(BASE_NS + k * NS_PER_S, truth,
		                               0.001 + uniform(0, 1e-4), 0.001 + uniform(0, 1e-4), 0);
		add(BOUNDS, st, &s);
	}
	estimate(BOUNDS, st, &e);
	assert_int_equal(e.samples_used, 8);
	assert_true(fabs(e.offset_s - 0.5) < 1e-4);
	assert_true(fabs(e.offset_s - 0.5) <= e.error_s);
	stop(BOUNDS, st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptors),
		cmocka_unit_test(test_empty_and_reset),
		cmocka_unit_test(test_settings_refused),
		cmocka_unit_test(test_bad_samples_refused),
		cmocka_unit_test(test_error_bound_holds),
		cmocka_unit_test(test_ntp_last_sample),
		cmocka_unit_test(test_minfilter_known_offset_with_spike),
		cmocka_unit_test(test_minfilter_jitter_is_rms_of_others),
		cmocka_unit_test(test_minfilter_window_forgets),
		cmocka_unit_test(test_median_rejects_spikes),
		cmocka_unit_test(test_median_even_count_and_delay),
		cmocka_unit_test(test_negative_delay),
		cmocka_unit_test(test_regression_recovers_drift),
		cmocka_unit_test(test_regression_needs_three_spanning),
		cmocka_unit_test(test_regression_spike_weighted_down),
		cmocka_unit_test(test_bounds_combines_fastest_legs),
		cmocka_unit_test(test_bounds_follows_drift),
		cmocka_unit_test(test_bounds_short_window_no_freq),
		cmocka_unit_test(test_bounds_step_falls_back_to_recent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
