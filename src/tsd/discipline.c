/* The discipline loop: regression over a sample history (frequency and
 * phase), a runs test that trims the history when the residuals show a
 * trend, outlier rejection, step-or-slew, and the poll interval. */
#include "tsd/discipline.h"

#include <math.h>
#include <string.h>

#define NS_PER_S 1e9
/* A point this many residual RMS off the fit (and off its own error) is
 * held back: a spike, or the start of a source's step. */
#define OUTLIER_RMS 6.0
#define OUTLIER_ERRORS 3.0
/* Poll: longer after this many calm updates, shorter when the phase error
 * passes this many RMS. */
#define CALM_UPDATES 4
#define NOISY_RMS 8.0

void discipline_init(struct discipline *d, double poll_min_s, double poll_max_s,
                     double freq_prior, int started)
{
	memset(d, 0, sizeof(*d));
	d->freq = freq_prior;
	d->started = started;
	d->poll_min_s = poll_min_s;
	d->poll_max_s = poll_max_s;
	d->poll_s = poll_min_s;
}

static double seconds_between(int64_t from_ns, int64_t to_ns)
{
	return (double)(to_ns - from_ns) / NS_PER_S;
}

double discipline_fit(const struct discipline_point *pts, size_t n, double *a, double *b)
{
	int64_t t0 = pts[n - 1].raw_ns;
	double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, ss = 0, mx, my, den;

	for (size_t i = 0; i < n; i++) {
		double w = 1.0 / (pts[i].error_s * pts[i].error_s);
		double x = seconds_between(t0, pts[i].raw_ns);

		sw += w;
		sx += w * x;
		sy += w * pts[i].offset_s;
	}
	mx = sx / sw;
	my = sy / sw;
	for (size_t i = 0; i < n; i++) {
		double w = 1.0 / (pts[i].error_s * pts[i].error_s);
		double x = seconds_between(t0, pts[i].raw_ns) - mx;

		sxx += w * x * x;
		sxy += w * x * (pts[i].offset_s - my);
	}
	den = sxx;
	*b = den > 0 ? sxy / den : 0;
	*a = my - *b * mx;
	/* Weighted like the fit: a few noisy points (a loaded start) must not
	 * hide the spread of the good ones from the outlier test. */
	for (size_t i = 0; i < n; i++) {
		double x = seconds_between(t0, pts[i].raw_ns);
		double r = pts[i].offset_s - (*a + *b * x);

		ss += r * r / (pts[i].error_s * pts[i].error_s);
	}
	return sqrt(ss / sw);
}

/* Runs of residuals of one sign: a trend the line does not follow (the
 * frequency changed) gives too few. */
static size_t runs(const struct discipline_point *pts, size_t n, double a, double b)
{
	int64_t t0 = pts[n - 1].raw_ns;
	size_t count = 0;
	int last = 0;

	for (size_t i = 0; i < n; i++) {
		double r = pts[i].offset_s - (a + b * seconds_between(t0, pts[i].raw_ns));
		int sign = r >= 0 ? 1 : -1;

		count += sign != last;
		last = sign;
	}
	return count;
}

/* Fewest runs expected of n random signs, about 2.3 sigma below the mean
 * (n/2 + 1, sigma about sqrt(n - 1) / 2). */
static int too_few_runs(size_t n, size_t observed)
{
	double mean = (double)n / 2 + 1, sigma = sqrt((double)(n - 1)) / 2;

	return n >= 8 && (double)observed < mean - 2.3 * sigma;
}

static void drop_oldest(struct discipline *d, size_t k)
{
	memmove(d->pts, d->pts + k, (d->n - k) * sizeof(d->pts[0]));
	d->n -= k;
}

/* The DISCIPLINE_MIN_NARROW-th narrowest error of the history (n is at
 * least that): one lucky narrow point does not set the bar alone. */
static double narrow_error(const struct discipline *d)
{
	double e[DISCIPLINE_MAX_POINTS];

	for (size_t i = 0; i < d->n; i++) {
		double v = d->pts[i].error_s;
		size_t j = i;

		for (; j > 0 && e[j - 1] > v; j--)
			e[j] = e[j - 1];
		e[j] = v;
	}
	return e[DISCIPLINE_MIN_NARROW - 1];
}

/* The points the fit uses: those within DISCIPLINE_WIDE_RATIO of the
 * narrow error. A loaded minute leaves dozens of wide points; each weighs
 * little, but together they would pull the line away from the few good
 * ones after it. */
static size_t narrow_points(const struct discipline *d, struct discipline_point *out)
{
	double limit_s;
	size_t m = 0;

	if (d->n < DISCIPLINE_MIN_NARROW) {
		memcpy(out, d->pts, d->n * sizeof(d->pts[0]));
		return d->n;
	}
	limit_s = DISCIPLINE_WIDE_RATIO * narrow_error(d);
	for (size_t i = 0; i < d->n; i++)
		if (d->pts[i].error_s <= limit_s)
			out[m++] = d->pts[i];
	return m;
}

/* Fit the history, trimming its oldest quarter while a trend remains; the
 * line is a + b x (t - *t0_ns). */
static void fit_history(struct discipline *d, double *a, double *b, int64_t *t0_ns)
{
	struct discipline_point use[DISCIPLINE_MAX_POINTS];
	size_t m;

	*t0_ns = d->pts[d->n - 1].raw_ns;
	if (d->n < 3) {
		*a = d->pts[d->n - 1].offset_s;
		*b = d->freq;
		d->rms_s = d->pts[d->n - 1].error_s;
		return;
	}
	m = narrow_points(d, use);
	d->rms_s = discipline_fit(use, m, a, b);
	while (too_few_runs(m, runs(use, m, *a, *b))) {
		drop_oldest(d, d->n / 4);
		m = narrow_points(d, use);
		d->rms_s = discipline_fit(use, m, a, b);
	}
	*t0_ns = use[m - 1].raw_ns;
}

static int is_outlier(const struct discipline *d, const struct discipline_point *p)
{
	const struct discipline_point *last;
	double predicted, limit;

	if (d->n < 3)
		return 0;
	last = &d->pts[d->n - 1];
	predicted = last->offset_s + d->freq * seconds_between(last->raw_ns, p->raw_ns);
	limit = fmax(OUTLIER_RMS * d->rms_s, OUTLIER_ERRORS * p->error_s);
	return fabs(p->offset_s - predicted) > limit;
}

static void add_point(struct discipline *d, const struct discipline_point *p)
{
	if (d->n == DISCIPLINE_MAX_POINTS)
		drop_oldest(d, 1);
	d->pts[d->n++] = *p;
}

/* A point off the fit is held back; DISCIPLINE_STEP_AFTER of them in a row
 * mean the source moved: they become the history. 0: held back; 1: use p;
 * 2: use p, the source moved. */
static int accept_point(struct discipline *d, const struct discipline_point *p)
{
	if (!is_outlier(d, p)) {
		d->n_pending = 0;
		add_point(d, p);
		return 1;
	}
	d->pending[d->n_pending++] = *p;
	if (d->n_pending < DISCIPLINE_STEP_AFTER)
		return 0;
	memcpy(d->pts, d->pending, sizeof(d->pending));
	d->n = d->n_pending;
	d->n_pending = 0;
	return 2;
}

static void adapt_poll(struct discipline *d, double phase_s)
{
	double noise = fmax(d->rms_s, 1e-6);

	if (fabs(phase_s) > NOISY_RMS * noise) {
		d->calm = 0;
		d->poll_s = fmax(d->poll_s / 2, d->poll_min_s);
		return;
	}
	if (++d->calm < CALM_UPDATES)
		return;
	d->calm = 0;
	d->poll_s = fmin(d->poll_s * 2, d->poll_max_s);
}

static int wants_step(struct discipline *d, double phase_s)
{
	if (fabs(phase_s) <= DISCIPLINE_STEP_S) {
		d->far = 0;
		return 0;
	}
	d->far++;
	return !d->started || d->far >= DISCIPLINE_STEP_AFTER;
}

void discipline_update(struct discipline *d, const struct discipline_point *p,
                       const struct correction_params *old, int64_t now_raw_ns,
                       struct correction_params *next, struct discipline_result *r)
{
	double a, b, target, slew_time;
	int64_t in_force = correction_offset_ns(old, now_raw_ns), t0_ns;
	int use;

	memset(r, 0, sizeof(*r));
	*next = *old;
	use = accept_point(d, p);
	if (use == 0)
		return;
	/* The held points agreed with each other: the source moved as much. */
	if (use == 2)
		d->far = DISCIPLINE_STEP_AFTER - 1;
	fit_history(d, &a, &b, &t0_ns);
	d->freq = b;
	target = a + b * seconds_between(t0_ns, now_raw_ns);
	r->phase_s = target - (double)in_force / NS_PER_S;
	r->error_s = d->rms_s / sqrt((double)d->n) + p->error_s;
	next->ref_raw_ns = now_raw_ns;
	next->freq = b;
	next->slew_s = 0;
	next->slew_rate = 0;
	if (!old->synced || wants_step(d, r->phase_s)) {
		r->action = DISCIPLINE_STEP;
		next->offset_ns = (int64_t)llround(target * NS_PER_S);
		d->started = 1;
		d->far = 0;
		return;
	}
	r->action = DISCIPLINE_SLEW;
	d->started = 1;
	next->offset_ns = in_force;
	next->slew_s = r->phase_s;
	slew_time = fmax(d->poll_s, 1.0);
	next->slew_rate = fmin(fabs(r->phase_s) / slew_time, DISCIPLINE_MAX_SLEW_RATE);
	if (next->slew_rate <= 0)
		next->slew_s = 0;
	adapt_poll(d, r->phase_s);
}
