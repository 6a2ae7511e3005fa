/* Estimator plugin "regression": offset and frequency by weighted least
 * squares over the last `window` samples. For a client that keeps sampling,
 * it sees the drift between the clocks and predicts the offset now, where
 * the other estimators only average the past. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"
#include "samples.h"

#define DEFAULT_WINDOW 16
/* A floor under each sample's error, so a zero-delay sample cannot take
 * an infinite weight. */
#define MIN_SAMPLE_ERROR_S 1e-9
/* A slope less certain than this says nothing: clocks that work at all
 * differ by less (the kernel steers only within 500 ppm). */
#define MAX_SLOPE_BOUND 500e-6

/* One sample as a point of the fit. */
struct point {
	double time_s;           /* client time, relative to the newest sample */
	double offset_s;
	double delay_s;
	double bound_s;          /* delay / 2 + server error: how far it may be off */
	double weight;
};

struct regression {
	struct sample_ring ring;
	struct point *points;    /* scratch for the fit, window long */
};

/* The weighted sums of a fit, centred on the weighted mean time. */
struct fit {
	double offset_s;         /* at time 0: the newest sample's instant */
	double slope;            /* seconds per second */
	int has_slope;
	double jitter_s;         /* weighted RMS of the residuals */
	double bound_s;          /* on |offset_s - true offset at time 0| */
};

static void rg_reset(void *state)
{
	struct regression *r = state;

	sample_ring_reset(&r->ring);
}

static int rg_add_sample(void *state, const struct tsd_sample *sample)
{
	struct regression *r = state;

	return sample_ring_add(&r->ring, sample);
}

/* Seconds from the middle of `newest`'s exchange to the middle of s's: the
 * instants the offsets describe, given symmetric paths. Differences first,
 * so times far from 1970 cannot overflow. */
static double time_since_newest_s(const struct tsd_sample *s,
                                  const struct tsd_sample *newest)
{
	double half_rtt_diff_ns = ((double)(s->t4_ns - s->t1_ns) -
	                           (double)(newest->t4_ns - newest->t1_ns)) / 2;

	return ((double)(s->t1_ns - newest->t1_ns) + half_rtt_diff_ns) / 1e9;
}

/* Weights are inverse variances with the sample's error bound standing in
 * for its standard deviation: a sample that waited in a queue has a long
 * delay and a wide bound, and counts for little. */
static void make_point(const struct tsd_sample *s, const struct tsd_sample *newest,
                       struct point *p)
{
	double bound;

	p->time_s = time_since_newest_s(s, newest);
	p->offset_s = sample_offset_s(s);
	p->delay_s = sample_delay_s(s);
	p->bound_s = p->delay_s / 2 + s->server_error_s;
	bound = p->bound_s > MIN_SAMPLE_ERROR_S ? p->bound_s : MIN_SAMPLE_ERROR_S;
	p->weight = 1 / (bound * bound);
}

/*
 * The fitted offset at time 0 is a linear combination sum(h_i * y_i) of the
 * samples' offsets, with h_i = w_i / sw + w_i (0 - mx)(x_i - mx) / sxx. If
 * the true offset is a straight line and each sample is within b_i of it,
 * the fit is within sum(|h_i| * b_i) of the truth: a real bound, which grows
 * as it should when the newest sample lies far from the centre of the data.
 */
static double fit_bound(const struct point *pt, size_t n, double sw, double mx,
                        double sxx, int has_slope)
{
	double bound = 0;

	for (size_t i = 0; i < n; i++) {
		double h = pt[i].weight / sw;

		if (has_slope)
			h += pt[i].weight * (0 - mx) * (pt[i].time_s - mx) / sxx;
		bound += fabs(h) * pt[i].bound_s;
	}
	return bound;
}

/* The same for the slope: sum(|g_i| * b_i) with g_i = w_i (x_i - mx) / sxx.
 * Samples close together in time cannot tell a frequency from noise. */
static double slope_bound(const struct point *pt, size_t n, double mx, double sxx)
{
	double bound = 0;

	for (size_t i = 0; i < n; i++)
		bound += fabs(pt[i].weight * (pt[i].time_s - mx) / sxx) * pt[i].bound_s;
	return bound;
}

static void fit_points(const struct point *pt, size_t n, struct fit *f)
{
	double sw = 0, swx = 0, swy = 0, sxx = 0, sxy = 0, sr = 0, mx, my;

	for (size_t i = 0; i < n; i++) {
		sw += pt[i].weight;
		swx += pt[i].weight * pt[i].time_s;
		swy += pt[i].weight * pt[i].offset_s;
	}
	mx = swx / sw;
	my = swy / sw;
	for (size_t i = 0; i < n; i++) {
		double dx = pt[i].time_s - mx;

		sxx += pt[i].weight * dx * dx;
		sxy += pt[i].weight * dx * (pt[i].offset_s - my);
	}
	/* Three points at least: two always fit a line exactly, and a
	 * frequency from them would carry no sign of its own noise. Without a
	 * slope worth having, the fit is the weighted mean. */
	f->has_slope = n >= 3 && sxx > 0 && slope_bound(pt, n, mx, sxx) <= MAX_SLOPE_BOUND;
	f->slope = f->has_slope ? sxy / sxx : 0;
	f->offset_s = my - f->slope * mx;
	for (size_t i = 0; i < n; i++) {
		double res = pt[i].offset_s - (f->offset_s + f->slope * pt[i].time_s);

		sr += pt[i].weight * res * res;
	}
	f->jitter_s = sqrt(sr / sw);
	f->bound_s = fit_bound(pt, n, sw, mx, sxx, f->has_slope);
}

static int rg_estimate(void *state, struct tsd_estimate *out)
{
	const struct regression *r = state;
	const struct sample_ring *ring = &r->ring;
	struct point *pt = r->points;
	const struct point *best = &pt[0];
	const struct tsd_sample *newest;
	struct fit f;

	if (ring->count == 0)
		return -EAGAIN;
	newest = sample_ring_at_age(ring, 0);
	/* Slot order: each point carries its own time. */
	for (size_t i = 0; i < ring->count; i++) {
		make_point(&ring->slots[i], newest, &pt[i]);
		if (pt[i].bound_s < best->bound_s)
			best = &pt[i];
	}
	fit_points(pt, ring->count, &f);
	memset(out, 0, sizeof(*out));
	out->offset_s = f.offset_s;
	out->delay_s = best->delay_s;
	out->jitter_s = f.jitter_s;
	out->error_s = f.bound_s;
	out->freq_ppm = f.slope * 1e6;
	out->has_freq = f.has_slope;
	out->samples_used = (int)ring->count;
	return 0;
}

static void rg_fini(void *state)
{
	struct regression *r = state;

	if (r == NULL)
		return;
	sample_ring_fini(&r->ring);
	free(r->points);
	free(r);
}

static int rg_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	size_t window = DEFAULT_WINDOW;
	struct regression *r;
	int rc = samples_parse_window(settings, n_settings, &window, err);

	if (rc != 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	r->points = calloc(window, sizeof(r->points[0]));
	if (sample_ring_init(&r->ring, window) != 0 || r->points == NULL) {
		rg_fini(r);
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	}
	*state = r;
	return 0;
}

static const struct tsd_estimator_ops regression_ops = {
	.reset = rg_reset,
	.add_sample = rg_add_sample,
	.estimate = rg_estimate,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_ESTIMATOR,
	.name = "regression",
	.description = "offset and frequency (ppm) by weighted least squares over `window` (default 16)",
	.init = rg_init,
	.fini = rg_fini,
	.clock = NULL,
	.estimator = &regression_ops,
};
