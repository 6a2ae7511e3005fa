/* Estimator plugin "bounds": the offset bracketed by every sample's two legs.
 *
 * A one-way delay is never negative, so each sample bounds the offset on
 * each side on its own: theta <= (T2 - T1) - outbound minimum, and
 * theta >= (T3 - T4) + return minimum. The smallest upper bound and the
 * largest lower bound over the window bracket the offset; with equal minimum
 * delays each way, the unknown minimum cancels from the midpoint. Its error
 * comes from the fastest outbound and the fastest return leg of the whole
 * window, where the least-delay sample carries the queueing of both its own
 * legs. Every bound is moved to the newest sample's instant along a
 * frequency estimated from the same envelopes; doc/algorithm.md has the
 * reasoning and the measurements. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"
#include "samples.h"

#define DEFAULT_WINDOW 16
/* The frequency search range: no working pair of clocks differs by more
 * (the kernel steers within 500 ppm; a sim clock may add as much). */
#define MAX_FREQ 1000e-6
/* Ternary steps: each keeps 2/3 of the range; 2/3^120 of 2000 ppm is far
 * below any frequency that moves a bound by a nanosecond. */
#define FREQ_SEARCH_STEPS 120

/* One sample as two legs at one instant: the middle of the exchange in
 * client time, relative to the newest sample's middle. With equal legs the
 * server read T2 and T3 then; the offset they bound is the one at that
 * instant. */
struct legs {
	double time_s;
	double out_s;            /* T2 - T1: offset + outbound delay */
	double back_s;           /* T4 - T3: return delay - offset */
	double server_error_s;
};

struct bounds {
	struct sample_ring ring;
	struct legs *legs;       /* scratch, window long, newest first */
};

/* The bracket at frequency freq: upper = min(out - f t) and lower =
 * -min(back + f t). Its width is what the two minimum delays leave, and is
 * negative when no offset fits every sample. */
struct bracket {
	double freq;
	double upper_s;          /* offset <= upper_s - outbound minimum */
	double lower_s;          /* offset >= lower_s + return minimum */
};

static void bd_reset(void *state)
{
	struct bounds *b = state;

	sample_ring_reset(&b->ring);
}

static int bd_add_sample(void *state, const struct tsd_sample *sample)
{
	struct bounds *b = state;

	return sample_ring_add(&b->ring, sample);
}

/* Differences first, in integer nanoseconds: exact, and no overflow for
 * times far from 1970. */
static void make_legs(const struct tsd_sample *s, const struct tsd_sample *newest,
                      struct legs *l)
{
	int64_t mid_ns = (s->t1_ns - newest->t1_ns) +
	                 ((s->t4_ns - s->t1_ns) - (newest->t4_ns - newest->t1_ns)) / 2;

	l->time_s = (double)mid_ns / 1e9;
	l->out_s = (double)(s->t2_ns - s->t1_ns) / 1e9;
	l->back_s = (double)(s->t4_ns - s->t3_ns) / 1e9;
	l->server_error_s = s->server_error_s;
}

static struct bracket bracket_at(const struct legs *l, size_t n, double freq)
{
	struct bracket br = { freq, INFINITY, -INFINITY };

	for (size_t i = 0; i < n; i++) {
		double up = l[i].out_s - freq * l[i].time_s;
		double low = -(l[i].back_s + freq * l[i].time_s);

		if (up < br.upper_s)
			br.upper_s = up;
		if (low > br.lower_s)
			br.lower_s = low;
	}
	return br;
}

static double width(const struct bracket *br)
{
	return br->upper_s - br->lower_s;
}

/* Three concave functions of the frequency: the width, the upper bound
 * and the negated lower bound (each a minimum of lines, or a sum of such). */
static double width_at(const struct legs *l, size_t n, double freq)
{
	struct bracket br = bracket_at(l, n, freq);

	return width(&br);
}

static double upper_at(const struct legs *l, size_t n, double freq)
{
	return bracket_at(l, n, freq).upper_s;
}

static double neg_lower_at(const struct legs *l, size_t n, double freq)
{
	return -bracket_at(l, n, freq).lower_s;
}

typedef double (*freq_fn)(const struct legs *l, size_t n, double freq);

/* Where a concave function of the frequency is largest in [lo, hi]. */
static double argmax_freq(const struct legs *l, size_t n, freq_fn value, double lo, double hi)
{
	for (int step = 0; step < FREQ_SEARCH_STEPS; step++) {
		double f1 = lo + (hi - lo) / 3, f2 = hi - (hi - lo) / 3;

		if (value(l, n, f1) < value(l, n, f2))
			lo = f1;
		else
			hi = f2;
	}
	return (lo + hi) / 2;
}

/*
 * The width is a minimum of lines minus a maximum of lines in the
 * frequency: concave. A wrong frequency tilts the envelopes so that some
 * sample cuts into them, so the true frequency is where the width is
 * largest.
 */
static struct bracket widest_bracket(const struct legs *l, size_t n)
{
	return bracket_at(l, n, argmax_freq(l, n, width_at, -MAX_FREQ, MAX_FREQ));
}

/* The edge of the frequencies at which some offset fits every sample,
 * from fits (width >= 0) towards beyond (width < 0), by bisection. */
static double fit_edge(const struct legs *l, size_t n, double fits, double beyond)
{
	if (width_at(l, n, beyond) >= 0)
		return beyond;
	for (int step = 0; step < FREQ_SEARCH_STEPS; step++) {
		double mid = (fits + beyond) / 2;

		if (width_at(l, n, mid) >= 0)
			fits = mid;
		else
			beyond = mid;
	}
	return fits;
}

/*
 * The error bound must hold whatever the frequency was, not only at the
 * one chosen: the true one is among those at which the samples fit (an
 * interval, the width being concave), so the bound reaches the highest
 * upper and the lowest lower bound over that interval.
 */
static double error_bound_s(const struct legs *l, size_t n, const struct bracket *br)
{
	struct bracket widest = widest_bracket(l, n);
	double lo, hi, mid = (br->upper_s + br->lower_s) / 2, up, low;

	if (width(&widest) < 0)
		return fabs(width(br)) / 2;
	lo = fit_edge(l, n, widest.freq, -MAX_FREQ);
	hi = fit_edge(l, n, widest.freq, MAX_FREQ);
	up = upper_at(l, n, argmax_freq(l, n, upper_at, lo, hi));
	low = -neg_lower_at(l, n, argmax_freq(l, n, neg_lower_at, lo, hi));
	return fmax(fmax(up - mid, mid - low), fabs(width(br)) / 2);
}

/* How far apart the three fastest round trips are: the scale on which
 * chance moves the envelopes, which a loaded path's slow samples do not
 * inflate. Needs n >= 3. */
static double fast_delay_gap_s(const struct legs *l, size_t n)
{
	double fastest[3] = { INFINITY, INFINITY, INFINITY };

	for (size_t i = 0; i < n; i++) {
		double d = l[i].out_s + l[i].back_s;

		if (d < fastest[2]) {
			fastest[2] = d;
			for (int k = 2; k > 0 && fastest[k] < fastest[k - 1]; k--) {
				double t = fastest[k];

				fastest[k] = fastest[k - 1];
				fastest[k - 1] = t;
			}
		}
	}
	return fastest[2] - fastest[0];
}

/*
 * Over a short window the frequency is mostly noise: the envelopes can be
 * widened a little by tilting them to fit chance. Keep frequency zero
 * unless the tilt widens the bracket by more than the gap between the
 * three fastest round trips (which chance alone rarely beats), or zero
 * does not fit at all. Two samples cannot tell a frequency from a change
 * of asymmetry.
 */
static struct bracket choose_bracket(const struct legs *l, size_t n)
{
	struct bracket flat = bracket_at(l, n, 0);
	struct bracket best;

	if (n < 3 && width(&flat) >= 0)
		return flat;
	best = widest_bracket(l, n);
	if (width(&flat) >= 0 && width(&best) - width(&flat) <= fast_delay_gap_s(l, n))
		return flat;
	return best;
}

/* 1 if an offset and a frequency in range fit the newest n samples. */
static int consistent(const struct legs *l, size_t n)
{
	struct bracket br = widest_bracket(l, n);

	return width(&br) >= 0;
}

/*
 * A server that stepped, or a path that changed, can leave no offset that
 * fits every sample. Then the newest samples that do fit tell the present:
 * fitting only shrinks as samples are added, so a binary search finds the
 * longest such run. The newest sample alone always fits.
 */
static size_t consistent_count(const struct legs *l, size_t n)
{
	size_t good = 1, bad = n;

	if (consistent(l, n))
		return n;
	while (bad - good > 1) {
		size_t mid = good + (bad - good) / 2;

		if (consistent(l, mid))
			good = mid;
		else
			bad = mid;
	}
	return good;
}

static void fill_estimate(const struct legs *l, size_t n, const struct bracket *br,
                          int freq_known, struct tsd_estimate *out)
{
	double mid = (br->upper_s + br->lower_s) / 2, sum_sq = 0, least = INFINITY;
	double server_error = 0;

	for (size_t i = 0; i < n; i++) {
		double off = (l[i].out_s - l[i].back_s) / 2 - br->freq * l[i].time_s;
		/* A negative delay the server's error allows counts by its size,
		 * as in every estimator (samples.c). */
		double delay = fabs(l[i].out_s + l[i].back_s);

		sum_sq += (off - mid) * (off - mid);
		if (delay < least)
			least = delay;
		if (l[i].server_error_s > server_error)
			server_error = l[i].server_error_s;
	}
	memset(out, 0, sizeof(*out));
	out->offset_s = mid;
	out->delay_s = least;
	out->jitter_s = sqrt(sum_sq / (double)n);
	out->error_s = error_bound_s(l, n, br) + server_error;
	out->freq_ppm = br->freq * 1e6;
	out->has_freq = freq_known;
	out->samples_used = (int)n;
}

static int bd_estimate(void *state, struct tsd_estimate *out)
{
	const struct bounds *b = state;
	const struct sample_ring *ring = &b->ring;
	const struct tsd_sample *newest;
	struct bracket br;
	size_t n;

	if (ring->count == 0)
		return -EAGAIN;
	newest = sample_ring_at_age(ring, 0);
	for (size_t age = 0; age < ring->count; age++)
		make_legs(sample_ring_at_age(ring, age), newest, &b->legs[age]);
	n = consistent_count(b->legs, ring->count);
	br = choose_bracket(b->legs, n);
	fill_estimate(b->legs, n, &br, n >= 3 && br.freq != 0, out);
	return 0;
}

static void bd_fini(void *state)
{
	struct bounds *b = state;

	if (b == NULL)
		return;
	sample_ring_fini(&b->ring);
	free(b->legs);
	free(b);
}

static int bd_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	size_t window = DEFAULT_WINDOW;
	struct bounds *b;
	int rc = samples_parse_window(settings, n_settings, &window, err);

	if (rc != 0)
		return rc;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	b->legs = calloc(window, sizeof(b->legs[0]));
	if (sample_ring_init(&b->ring, window) != 0 || b->legs == NULL) {
		bd_fini(b);
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	}
	*state = b;
	return 0;
}

static const struct tsd_estimator_ops bounds_ops = {
	.reset = bd_reset,
	.add_sample = bd_add_sample,
	.estimate = bd_estimate,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_ESTIMATOR,
	.name = "bounds",
	.description = "the offset bracketed by every sample's outbound and return legs over `window` (default 16)",
	.init = bd_init,
	.fini = bd_fini,
	.clock = NULL,
	.estimator = &bounds_ops,
};
