/* A PHC against the system clock: sample selection, offset and rate,
 * conversion of hardware stamps (see phcfit.h). */
#include <string.h>

#include "tsd/phcfit.h"

int phcfit_pick(const struct phc_reading *r, unsigned n, struct phc_sample *out)
{
	int found = 0;

	for (unsigned i = 0; i < n; i++) {
		int64_t window = r[i].sys_after_ns - r[i].sys_before_ns;

		if (window < 0 || window > PHCFIT_MAX_WINDOW_NS)
			continue;
		if (found && window >= out->window_ns)
			continue;
		out->phc_ns = r[i].phc_ns;
		out->sys_ns = r[i].sys_before_ns + window / 2;
		out->window_ns = window;
		found = 1;
	}
	return found ? 0 : -1;
}

/* The least-squares line of (sys - phc) against phc over the samples,
 * relative to the newest one so the doubles hold small numbers: its slope
 * (the rate) and its value at the newest sample (the offset there, less
 * noisy than that sample's own). */
static void fit_line(struct phc_fit *f)
{
	const struct phc_sample *last = &f->s[f->n - 1];
	int64_t last_off = last->sys_ns - last->phc_ns;
	double x[PHCFIT_SAMPLES], y[PHCFIT_SAMPLES];
	double mean_x = 0, mean_y = 0, sxx = 0, sxy = 0;

	for (unsigned i = 0; i < f->n; i++) {
		x[i] = (double)(f->s[i].phc_ns - last->phc_ns);
		y[i] = (double)((f->s[i].sys_ns - f->s[i].phc_ns) - last_off);
		mean_x += x[i] / f->n;
		mean_y += y[i] / f->n;
	}
	for (unsigned i = 0; i < f->n; i++) {
		sxx += (x[i] - mean_x) * (x[i] - mean_x);
		sxy += (x[i] - mean_x) * (y[i] - mean_y);
	}
	f->rate = sxx > 0 ? sxy / sxx : 0.0;
	f->offset_ns = last_off + (int64_t)(mean_y - f->rate * mean_x);
}

static void restart(struct phc_fit *f, const struct phc_sample *s)
{
	f->s[0] = *s;
	f->n = 1;
	f->rate = 0.0;
	f->offset_ns = s->sys_ns - s->phc_ns;
}

/* 1 when s continues the history: later on both clocks, within the age
 * limit of the newest sample, and on the line within PHCFIT_STEP_NS. */
static int continues(const struct phc_fit *f, const struct phc_sample *s)
{
	const struct phc_sample *last = &f->s[f->n - 1];
	int64_t predicted, off;

	if (s->phc_ns <= last->phc_ns || s->sys_ns <= last->sys_ns ||
	    phcfit_convert(f, s->phc_ns, &predicted) != 0)
		return 0;
	off = predicted - s->sys_ns;
	return off <= PHCFIT_STEP_NS && off >= -PHCFIT_STEP_NS;
}

void phcfit_add(struct phc_fit *f, const struct phc_sample *s)
{
	if (f->n == 0 || !continues(f, s)) {
		restart(f, s);
		return;
	}
	if (f->n == PHCFIT_SAMPLES) {
		memmove(&f->s[0], &f->s[1], (PHCFIT_SAMPLES - 1) * sizeof(f->s[0]));
		f->n--;
	}
	f->s[f->n++] = *s;
	fit_line(f);
	if (f->rate > PHCFIT_MAX_RATE || f->rate < -PHCFIT_MAX_RATE)
		restart(f, s);
}

int phcfit_convert(const struct phc_fit *f, int64_t phc_ns, int64_t *sys_ns)
{
	const struct phc_sample *last;
	int64_t since;

	if (f->n == 0)
		return -1;
	last = &f->s[f->n - 1];
	since = phc_ns - last->phc_ns;
	if (since > PHCFIT_MAX_AGE_NS || since < -PHCFIT_MAX_AGE_NS)
		return -1;
	*sys_ns = phc_ns + f->offset_ns + (int64_t)(f->rate * (double)since);
	return 0;
}
