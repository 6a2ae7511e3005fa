/* NTP source selection: Marzullo's intersection of correctness intervals as
 * ntpd's clock_select does it (a majority must overlap; a falseticker's
 * interval misses the intersection), then a combined offset and error bound
 * that no minority of liars can move outside what the honest servers allow
 * (doc/algorithm.md, "Many servers"). */

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

/* The survivors reach into [low, high]; the best has the smallest distance. */
static void mark_survivors(struct select_candidate *c, size_t n, struct select_result *r)
{
	r->n_survivors = 0;
	for (size_t i = 0; i < n; i++) {
		c[i].survivor = c[i].offset_s - c[i].distance_s <= r->high_s &&
		                c[i].offset_s + c[i].distance_s >= r->low_s;
		if (!c[i].survivor)
			continue;
		if (r->n_survivors == 0 || c[i].distance_s < c[r->best].distance_s)
			r->best = i;
		r->n_survivors++;
	}
}

/* Weighted RMS of the survivors' offsets about the combined one. */
static double survivor_jitter(const struct select_candidate *c, size_t n, double offset_s)
{
	double wsum = 0.0, vsum = 0.0;

	for (size_t i = 0; i < n; i++) {
		double d = c[i].offset_s - offset_s;

		if (!c[i].survivor)
			continue;
		wsum += 1.0 / c[i].distance_s;
		vsum += d * d / c[i].distance_s;
	}
	return sqrt(vsum / wsum);
}

/* Any minority may lie, so no server's own interval is trusted: the truth
 * is only known to lie in [truth_low, truth_high], what at least n - f_max
 * intervals cover, which holds every honest majority's common part. The
 * offset is the point of the majority's intersection [low, high] (inside
 * every honest majority's common part when f = 0) nearest the middle of
 * that, and the bound reaches both its ends. */
static void combine(struct select_candidate *c, size_t n, struct select_result *r)
{
	double middle_s = (r->truth_low_s + r->truth_high_s) / 2;

	mark_survivors(c, n, r);
	r->offset_s = fmin(fmax(middle_s, r->low_s), r->high_s);
	r->error_s = fmax(r->offset_s - r->truth_low_s, r->truth_high_s - r->offset_s);
	r->jitter_s = survivor_jitter(c, n, r->offset_s);
}

int select_sources(struct select_candidate *c, size_t n, struct select_result *out)
{
	struct endpoint *e;
	size_t allow;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		c[i].survivor = 0;
		c[i].distance_s = fmax(c[i].distance_s, SELECT_MIN_DISTANCE_S);
	}
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
			rc = 0;
			break;
		}
	}
	/* What the most falsetickers a majority survives leave: it holds
	 * [low, high], so it is never empty. */
	if (rc == 0 && intersect(e, n, (n - 1) / 2, &out->truth_low_s, &out->truth_high_s) == 0)
		combine(c, n, out);
	else
		rc = -1;
	free(e);
	return rc;
}
