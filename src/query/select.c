/* NTP source selection: Marzullo's intersection of correctness intervals as
 * ntpd's clock_select does it (a majority must overlap; a falseticker's
 * interval misses the intersection), then the survivors combined with
 * weights 1 / root distance. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/select.h"

/* One end of a correctness interval. Sorting by value, with lower edges
 * before upper edges at equal values, makes intervals that only touch count
 * as overlapping. */
struct endpoint {
	double value_s;
	int type;                  /* -1 lower edge, +1 upper edge */
};

static int endpoint_cmp(const void *a, const void *b)
{
	const struct endpoint *x = a, *y = b;

	if (x->value_s != y->value_s)
		return x->value_s < y->value_s ? -1 : 1;
	return x->type - y->type;
}

/* The smallest interval holding points of at least n - allow intervals:
 * its low end is where the count of open intervals first reaches that from
 * below, its high end likewise from above. 0 with low/high set, or -1. */
static int intersect(const struct endpoint *e, size_t n, size_t allow,
                     double *low, double *high)
{
	long need = (long)(n - allow), chime = 0;
	int found_low = 0, found_high = 0;

	for (size_t i = 0; i < 2 * n && !found_low; i++) {
		chime -= e[i].type;
		if (chime >= need) {
			*low = e[i].value_s;
			found_low = 1;
		}
	}
	chime = 0;
	for (size_t i = 2 * n; i-- > 0 && !found_high;) {
		chime += e[i].type;
		if (chime >= need) {
			*high = e[i].value_s;
			found_high = 1;
		}
	}
	return found_low && found_high && *low <= *high ? 0 : -1;
}

/* The bound on the combined offset's error: if every survivor is a
 * truechimer the true offset lies in all their intervals at once. */
static double combined_error(const struct select_candidate *c, size_t n, double offset_s)
{
	double lo = -INFINITY, hi = INFINITY, worst = 0.0;

	for (size_t i = 0; i < n; i++) {
		if (!c[i].survivor)
			continue;
		lo = fmax(lo, c[i].offset_s - c[i].distance_s);
		hi = fmin(hi, c[i].offset_s + c[i].distance_s);
		worst = fmax(worst, fabs(offset_s - c[i].offset_s) + c[i].distance_s);
	}
	if (lo <= hi)
		return fmax(fabs(offset_s - lo), fabs(hi - offset_s));
	return worst;
}

static void combine(struct select_candidate *c, size_t n, struct select_result *r)
{
	double wsum = 0.0, osum = 0.0, vsum = 0.0;

	r->n_survivors = 0;
	for (size_t i = 0; i < n; i++) {
		/* A truechimer's interval reaches into the intersection. */
		c[i].survivor = c[i].offset_s - c[i].distance_s <= r->high_s &&
		                c[i].offset_s + c[i].distance_s >= r->low_s;
		if (!c[i].survivor)
			continue;
		if (r->n_survivors == 0 || c[i].distance_s < c[r->best].distance_s)
			r->best = i;
		r->n_survivors++;
		wsum += 1.0 / c[i].distance_s;
		osum += c[i].offset_s / c[i].distance_s;
	}
	r->offset_s = osum / wsum;
	for (size_t i = 0; i < n; i++) {
		double d = c[i].offset_s - r->offset_s;

		if (c[i].survivor)
			vsum += d * d / c[i].distance_s;
	}
	r->jitter_s = sqrt(vsum / wsum);
	r->error_s = combined_error(c, n, r->offset_s);
}

int select_sources(struct select_candidate *c, size_t n, struct select_result *out)
{
	struct endpoint *e;
	size_t allow;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		c[i].survivor = 0;
	if (n == 0)
		return -1;
	e = calloc(2 * n, sizeof(*e));
	if (e == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		e[2 * i] = (struct endpoint){ c[i].offset_s - c[i].distance_s, -1 };
		e[2 * i + 1] = (struct endpoint){ c[i].offset_s + c[i].distance_s, +1 };
	}
	qsort(e, 2 * n, sizeof(*e), endpoint_cmp);
	/* A majority must agree: allow fewer than half to be falsetickers. */
	for (allow = 0; 2 * allow < n; allow++) {
		if (intersect(e, n, allow, &out->low_s, &out->high_s) == 0) {
			out->falsetickers_allowed = (int)allow;
			combine(c, n, out);
			rc = 0;
			break;
		}
	}
	free(e);
	return rc;
}
