/* Accuracy regression tests: seeded synthetic exchanges with a known true
 * offset fed to every estimator plugin (and to the report's formulas), each
 * result held to a threshold derived from the scenario. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "plugin_dl.h"
#include "../splitmix64.h"

#define NS_PER_S 1000000000LL
#define MAX_SAMPLES 64
#define N_ESTIMATORS 5
#define WINDOW 8

static const char *const estimator_names[N_ESTIMATORS] = {
	"ntp", "minfilter", "median", "regression", "bounds"
};
enum { E_NTP, E_MINFILTER, E_MEDIAN, E_REGRESSION, E_BOUNDS };

/* A network and two clocks. Delays are base + exponential queueing (mean
 * jitter); a spike adds spike_s to one direction of a sample. */
struct scenario {
	const char *name;
	uint64_t seed;
	int n_samples;
	double interval_s;
	double offset_s;          /* server minus client at the first sample */
	double drift_ppm;         /* server rate minus client rate */
	double fwd_base_s, back_base_s;
	double fwd_jitter_s, back_jitter_s;
	double spike_prob, spike_s;
	int step_at_sample;       /* -1: no step */
	double step_s;
};

struct run {
	struct tsd_sample samples[MAX_SAMPLES];
	double truth_s;           /* true offset at the last sample's T4 */
};

/* ---- the synthetic network ---- */

static double uniform_open(uint64_t *state)
{
	return splitmix64_uniform(state) + 0.5 / 9007199254740992.0;
}

static double one_way_s(uint64_t *rng, double base_s, double jitter_s,
                        const struct scenario *sc)
{
	double d = base_s - jitter_s * log(uniform_open(rng));

	if (sc->spike_prob > 0 && uniform_open(rng) < sc->spike_prob)
		d += sc->spike_s;
	return d;
}

/* Server minus client offset at client time t_s (seconds since the start). */
static double true_offset_s(const struct scenario *sc, int sample, double t_s)
{
	double off = sc->offset_s + sc->drift_ppm * 1e-6 * t_s;

	if (sc->step_at_sample >= 0 && sample >= sc->step_at_sample)
		off += sc->step_s;
	return off;
}

static tsd_time_ns to_ns(double s)
{
	return (tsd_time_ns)llround(s * 1e9);
}

static void generate(const struct scenario *sc, struct run *r)
{
	const tsd_time_ns epoch_ns = 1790000000LL * NS_PER_S;
	const double processing_s = 5e-6;
	uint64_t rng = sc->seed;

	assert_true(sc->n_samples <= MAX_SAMPLES);
	for (int i = 0; i < sc->n_samples; i++) {
		double t1 = i * sc->interval_s;
		double t_arrive = t1 + one_way_s(&rng, sc->fwd_base_s, sc->fwd_jitter_s, sc);
		double t_leave = t_arrive + processing_s;
		double t4 = t_leave + one_way_s(&rng, sc->back_base_s, sc->back_jitter_s, sc);
		struct tsd_sample *s = &r->samples[i];

		s->t1_ns = epoch_ns + to_ns(t1);
		s->t2_ns = epoch_ns + to_ns(t_arrive + true_offset_s(sc, i, t_arrive));
		s->t3_ns = epoch_ns + to_ns(t_leave + true_offset_s(sc, i, t_leave));
		s->t4_ns = epoch_ns + to_ns(t4);
		s->server_error_s = 1e-6;
		r->truth_s = true_offset_s(sc, i, t4);
	}
}

/* ---- what is measured ---- */

/* The report's formulas on the last sample: RTT = ((T2-T1) + (T4-T3)) / 2,
 * remote = T3 + RTT / 2, offset = remote - T4. */
static double report_offset_s(const struct run *r, int n)
{
	const struct tsd_sample *s = &r->samples[n - 1];
	double rtt_s = ((double)(s->t2_ns - s->t1_ns) + (double)(s->t4_ns - s->t3_ns)) / 2e9;

	return (double)(s->t3_ns - s->t4_ns) / 1e9 + rtt_s / 2;
}

static int run_estimator(const char *name, const struct run *r, int n,
                         struct tsd_estimate *est)
{
	struct tsd_setting window = INT_SETTING("window", WINDOW);
	struct tsd_plugin_error err = { "", -1 };
	struct dl_plugin p;
	char file[64];
	void *state = NULL;
	int rc;

	snprintf(file, sizeof(file), "estimator_%s.so", name);
	if (dl_plugin_open(&p, file) < 0)
		return -1;
	assert_int_equal(p.desc->kind, TSD_PLUGIN_ESTIMATOR);
	rc = p.desc->init(&state, &window, 1, &err);
	if (rc != 0)
		fprintf(stderr, "%s: init: %s\n", name, err.message);
	assert_int_equal(rc, 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(p.desc->estimator->add_sample(state, &r->samples[i]), 0);
	rc = p.desc->estimator->estimate(state, est);
	p.desc->fini(state);
	dl_plugin_close(&p);
	return rc;
}

static void assert_within(const char *what, double value_s, double limit_s)
{
	if (fabs(value_s) > limit_s)
		fail_msg("%s: |%.1f us| exceeds %.1f us", what, value_s * 1e6, limit_s * 1e6);
}

/* Each scenario runs with SEEDS seeds; the worst case of each is kept. */
#define SEEDS 16

struct outcome {
	double abs_error_s[N_ESTIMATORS][SEEDS];
	double max_abs_error_s[N_ESTIMATORS];
	double median_abs_error_s[N_ESTIMATORS];
	double max_freq_error_ppm;        /* regression only */
	int bound_misses[N_ESTIMATORS];   /* runs where |error| > own bound */
	double report_max_error_s;        /* the report's formulas: signed, the largest */
	double report_min_abs_error_s;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void evaluate_seed(const struct scenario *sc, int i, struct outcome *o)
{
	struct scenario seeded = *sc;
	struct tsd_estimate est;
	struct run r;
	double report_s;

	seeded.seed = sc->seed + (uint64_t)i;
	memset(&r, 0, sizeof(r));
	generate(&seeded, &r);
	for (int k = 0; k < N_ESTIMATORS; k++) {
		double err;

		assert_int_equal(run_estimator(estimator_names[k], &r, sc->n_samples, &est), 0);
		err = fabs(est.offset_s - r.truth_s);
		o->abs_error_s[k][i] = err;
		if (err > o->max_abs_error_s[k])
			o->max_abs_error_s[k] = err;
		o->bound_misses[k] += err > est.error_s + 1e-9;
		if (k == E_REGRESSION && est.has_freq && fabs(est.freq_ppm - sc->drift_ppm) > o->max_freq_error_ppm)
			o->max_freq_error_ppm = fabs(est.freq_ppm - sc->drift_ppm);
	}
	report_s = report_offset_s(&r, sc->n_samples) - r.truth_s;
	if (report_s > o->report_max_error_s)
		o->report_max_error_s = report_s;
	if (fabs(report_s) < o->report_min_abs_error_s)
		o->report_min_abs_error_s = fabs(report_s);
}

static void evaluate(const struct scenario *sc, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->report_max_error_s = -INFINITY;
	o->report_min_abs_error_s = INFINITY;
	for (int i = 0; i < SEEDS; i++)
		evaluate_seed(sc, i, o);
	print_message("%s, |error| over %d seeds, median/max (runs outside the own bound):\n",
	              sc->name, SEEDS);
	for (int k = 0; k < N_ESTIMATORS; k++) {
		qsort(o->abs_error_s[k], SEEDS, sizeof(double), cmp_double);
		o->median_abs_error_s[k] = o->abs_error_s[k][SEEDS / 2];
		print_message("  %-10s %8.1f / %8.1f us (%d)\n", estimator_names[k],
		              o->median_abs_error_s[k] * 1e6, o->max_abs_error_s[k] * 1e6,
		              o->bound_misses[k]);
	}
	if (sc->drift_ppm != 0)
		print_message("  regression frequency off by at most %.3f ppm\n",
		              o->max_freq_error_ppm);
	print_message("  report's formulas: |error| %.1f us at least, signed %+.1f us at most\n",
	              o->report_min_abs_error_s * 1e6, o->report_max_error_s * 1e6);
}

/* Every estimator's own bound must cover its error where the offset is
 * constant (drift and steps break that premise). */
static void assert_bounds_hold(const struct outcome *o)
{
	for (int k = 0; k < N_ESTIMATORS; k++)
		if (o->bound_misses[k] > 0)
			fail_msg("%s: error outside its own bound in %d runs", estimator_names[k],
			         o->bound_misses[k]);
}

/* ---- scenarios ---- */

static const struct scenario symmetric = {
	"symmetric", 100, 16, 1.0, 0.250, 0,
	1e-3, 1e-3, 200e-6, 200e-6, 0, 0, -1, 0
};

/* Symmetric base delay, exponential queueing (mean 200 us) on both legs.
 * One sample is off by half its legs' difference; the least-delay sample of
 * a window met little queueing. The report's formulas are off by half a
 * one-way delay (about -600 us) on every run. */
static void test_symmetric_jitter(void **unused)
{
	struct outcome o;

	(void)unused;
	evaluate(&symmetric, &o);
	assert_bounds_hold(&o);
	assert_within("minfilter", o.max_abs_error_s[E_MINFILTER], 150e-6);
	assert_within("median", o.max_abs_error_s[E_MEDIAN], 150e-6);
	assert_within("regression", o.max_abs_error_s[E_REGRESSION], 200e-6);
	assert_within("ntp", o.max_abs_error_s[E_NTP], 500e-6);
	/* The fastest leg each way of the whole window, not one sample's two. */
	assert_within("bounds", o.max_abs_error_s[E_BOUNDS], 80e-6);
	assert_true(o.median_abs_error_s[E_BOUNDS] < o.median_abs_error_s[E_MINFILTER] / 2);
	assert_true(o.report_max_error_s < -300e-6);
}

static const struct scenario asymmetric = {
	"asymmetric", 200, 16, 1.0, -0.040, 0,
	1e-3, 3e-3, 20e-6, 20e-6, 0, 0, -1, 0
};

/* 1 ms out, 3 ms back: no estimator can see the asymmetry, so each is off by
 * half of it (1 ms). Checked: that, and no worse than the jitter adds. */
static void test_asymmetric_delay(void **unused)
{
	const double half_asymmetry_s = (3e-3 - 1e-3) / 2;
	struct outcome o;

	(void)unused;
	evaluate(&asymmetric, &o);
	assert_bounds_hold(&o);
	for (int k = 0; k < N_ESTIMATORS; k++)
		assert_within(estimator_names[k], o.max_abs_error_s[k] - half_asymmetry_s, 60e-6);
	assert_true(o.report_min_abs_error_s > 1.5e-3);
}

static const struct scenario spikes = {
	"spikes", 300, 24, 1.0, 1.5, 0,
	500e-6, 500e-6, 10e-6, 10e-6, 0.1, 20e-3, -1, 0
};

/* One leg in ten is held 20 ms, so a sample in five is off by up to 10 ms.
 * The least-delay choice never sees them; the median does only when half of
 * its window is spiked (its breakdown point), so its typical run is held,
 * not its worst; the regression weighs a spiked sample down by its delay. */
static void test_spikes(void **unused)
{
	struct outcome o;

	(void)unused;
	evaluate(&spikes, &o);
	assert_bounds_hold(&o);
	assert_within("minfilter", o.max_abs_error_s[E_MINFILTER], 40e-6);
	assert_within("median (typical)", o.median_abs_error_s[E_MEDIAN], 20e-6);
	assert_within("regression", o.max_abs_error_s[E_REGRESSION], 100e-6);
	assert_within("bounds", o.max_abs_error_s[E_BOUNDS], 10e-6);
}

static const struct scenario drift = {
	"drift", 400, 32, 1.0, 0.010, 50,
	1e-3, 1e-3, 5e-6, 5e-6, 0, 0, -1, 0
};

/* 50 ppm over 8 s windows: a filter that picks an older sample is stale by
 * up to 350 us; the regression follows the line and measures the rate. The
 * offset noise (about 3.5 us RMS) over 8 samples a second apart leaves the
 * slope about 0.55 ppm RMS. */
static void test_drift(void **unused)
{
	struct outcome o;

	(void)unused;
	evaluate(&drift, &o);
	assert_within("regression", o.max_abs_error_s[E_REGRESSION], 15e-6);
	assert_true(o.max_freq_error_ppm < 2.0);
	assert_within("ntp", o.max_abs_error_s[E_NTP], 40e-6);
	assert_within("minfilter", o.max_abs_error_s[E_MINFILTER], 7 * 50e-6 + 40e-6);
	assert_within("median", o.max_abs_error_s[E_MEDIAN], 4 * 50e-6 + 40e-6);
	/* The bounds move along the frequency the envelopes show. */
	assert_within("bounds", o.max_abs_error_s[E_BOUNDS], 15e-6);
}

static const struct scenario step = {
	"step", 500, 24, 1.0, 0.0, 0,
	1e-3, 1e-3, 50e-6, 50e-6, 0, 0, 8, 0.100
};

/* The server's clock steps +100 ms at sample 8 of 24: two full windows later
 * no estimator may remember the old offset. */
static void test_step(void **unused)
{
	struct outcome o;

	(void)unused;
	evaluate(&step, &o);
	for (int k = 0; k < N_ESTIMATORS; k++)
		assert_within(estimator_names[k], o.max_abs_error_s[k], 200e-6);
	/* No offset fits both sides of the step: the samples since decide. */
	assert_within("bounds", o.max_abs_error_s[E_BOUNDS], 30e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symmetric_jitter),
		cmocka_unit_test(test_asymmetric_delay),
		cmocka_unit_test(test_spikes),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
