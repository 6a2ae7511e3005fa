/* Accuracy regression tests: seeded synthetic exchanges with a known true
 * offset fed to every estimator plugin (and to the report's formulas), each
 * result held to a threshold derived from the scenario. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "plugin_dl.h"

#define NS_PER_S 1000000000LL
#define MAX_SAMPLES 64
#define N_ESTIMATORS 4
#define WINDOW 8

static const char *const estimator_names[N_ESTIMATORS] = {
	"ntp", "minfilter", "median", "regression"
};

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

static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform_open(uint64_t *state)
{
	return ((double)(splitmix(state) >> 11) + 0.5) / 9007199254740992.0;
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

/* Errors (estimate - truth) of every estimator and of the report's formulas. */
struct outcome {
	double error_s[N_ESTIMATORS];
	double bound_s[N_ESTIMATORS];     /* the estimator's own error bound */
	struct tsd_estimate est[N_ESTIMATORS];
	double report_error_s;
};

static void evaluate(const struct scenario *sc, struct outcome *o)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	generate(sc, &r);
	for (int k = 0; k < N_ESTIMATORS; k++) {
		assert_int_equal(run_estimator(estimator_names[k], &r, sc->n_samples, &o->est[k]), 0);
		o->error_s[k] = o->est[k].offset_s - r.truth_s;
		o->bound_s[k] = o->est[k].error_s;
	}
	o->report_error_s = report_offset_s(&r, sc->n_samples) - r.truth_s;
	print_message("%-11s", sc->name);
	for (int k = 0; k < N_ESTIMATORS; k++)
		print_message(" %s %+9.1f us", estimator_names[k], o->error_s[k] * 1e6);
	print_message("  report %+9.1f us\n", o->report_error_s * 1e6);
}

static void assert_within(const char *what, double value_s, double limit_s)
{
	if (fabs(value_s) > limit_s)
		fail_msg("%s: |%.1f us| exceeds %.1f us", what, value_s * 1e6, limit_s * 1e6);
}

/* Every estimator's own bound must cover its error where the scenario has no
 * drift or step (those break the bound's premise: a constant offset). */
static void assert_bounds_hold(const struct outcome *o)
{
	for (int k = 0; k < N_ESTIMATORS; k++)
		assert_within(estimator_names[k], o->error_s[k], o->bound_s[k] + 1e-9);
}

/* ---- scenarios ---- */

static const struct scenario symmetric = {
	"symmetric", 1, 16, 1.0, 0.250, 0,
	1e-3, 1e-3, 200e-6, 200e-6, 0, 0, -1, 0
};

/* Symmetric base delay, queueing jitter on both legs: the filtered
 * estimators keep the error well under one leg's mean jitter, while the
 * report's formulas are off by half a one-way delay (about -600 us). */
static void test_symmetric_jitter(void **unused)
{
	struct outcome o;

	(void)unused;
	evaluate(&symmetric, &o);
	assert_bounds_hold(&o);
	assert_within("minfilter", o.error_s[1], 100e-6);
	assert_within("median", o.error_s[2], 150e-6);
	assert_within("regression", o.error_s[3], 150e-6);
	assert_within("ntp", o.error_s[0], 400e-6);
	assert_true(o.report_error_s < -400e-6);
}

static const struct scenario asymmetric = {
	"asymmetric", 2, 16, 1.0, -0.040, 0,
	1e-3, 3e-3, 20e-6, 20e-6, 0, 0, -1, 0
};

/* 1 ms out, 3 ms back: no estimator can see the asymmetry, so each is off by
 * half of it (-1 ms: the estimate leans towards the slow leg). What is
 * checked is that it is that and no worse. */
static void test_asymmetric_delay(void **unused)
{
	const double half_asymmetry_s = (1e-3 - 3e-3) / 2;
	struct outcome o;

	(void)unused;
	evaluate(&asymmetric, &o);
	assert_bounds_hold(&o);
	for (int k = 0; k < N_ESTIMATORS; k++)
		assert_within(estimator_names[k], o.error_s[k] - half_asymmetry_s, 50e-6);
}

static const struct scenario spikes = {
	"spikes", 3, 24, 1.0, 1.5, 0,
	500e-6, 500e-6, 10e-6, 10e-6, 0.2, 20e-3, -1, 0
};

/* One leg in five is held 20 ms: a spiked sample's offset is off by up to
 * 10 ms. The least-delay and median choices ignore them. */
static void test_spikes(void **unused)
{
	struct outcome o;

	(void)unused;
	evaluate(&spikes, &o);
	assert_bounds_hold(&o);
	assert_within("minfilter", o.error_s[1], 30e-6);
	assert_within("median", o.error_s[2], 50e-6);
}

static const struct scenario drift = {
	"drift", 4, 32, 1.0, 0.010, 50,
	1e-3, 1e-3, 20e-6, 20e-6, 0, 0, -1, 0
};

/* 50 ppm over 8 s windows: a filter that picks an older sample is stale by
 * up to 400 us, the regression follows the line and measures the rate. */
static void test_drift(void **unused)
{
	struct outcome o;

	(void)unused;
	evaluate(&drift, &o);
	assert_within("regression", o.error_s[3], 30e-6);
	assert_true(o.est[3].has_freq);
	assert_within("regression freq (ppm as us)", (o.est[3].freq_ppm - 50) * 1e-6, 1e-6);
	assert_within("ntp", o.error_s[0], 60e-6);
	assert_within("minfilter", o.error_s[1], 8 * 50e-6 + 60e-6);
}

static const struct scenario step = {
	"step", 5, 24, 1.0, 0.0, 0,
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
		assert_within(estimator_names[k], o.error_s[k], 200e-6);
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
