/* The sync process's delay test (delayfilter.h). */
#include "tsd/delayfilter.h"

#include <string.h>

static double minimum(const struct delay_filter *f)
{
	double m = f->delays[0];

	for (size_t i = 1; i < f->n; i++)
		if (f->delays[i] < m)
			m = f->delays[i];
	return m;
}

/* The median excess over the minimum: the path's typical queueing. */
static double typical_excess(const struct delay_filter *f, double min_s)
{
	double x[DELAY_HISTORY];
	size_t n = f->n;

	for (size_t i = 0; i < n; i++) {
		double v = f->delays[i] - min_s;
		size_t j = i;

		for (; j > 0 && x[j - 1] > v; j--)
			x[j] = x[j - 1];
		x[j] = v;
	}
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

static void remember(struct delay_filter *f, double delay_s)
{
	f->delays[f->next] = delay_s;
	f->next = (f->next + 1) % DELAY_HISTORY;
	if (f->n < DELAY_HISTORY)
		f->n++;
}

int delay_filter_check(struct delay_filter *f, double delay_s, double *excess_s)
{
	double min_s, limit_s;

	*excess_s = 0;
	if (f->n == 0) {
		remember(f, delay_s);
		return 1;
	}
	min_s = minimum(f);
	limit_s = DELAY_FLOOR_S + DELAY_DEV_RATIO * typical_excess(f, min_s);
	remember(f, delay_s);
	*excess_s = delay_s > min_s ? delay_s - min_s : 0;
	if (f->n > DELAY_MIN_POINTS && *excess_s > limit_s && f->rejected < DELAY_MAX_REJECTS) {
		f->rejected++;
		return 0;
	}
	f->rejected = 0;
	return 1;
}
