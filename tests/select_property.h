/* The promise of the selection (doc/algorithm.md, "Many servers"), checked
 * by test_select on seeded random trials and by fuzz_select on any input:
 * when the first `honest` of n candidates hold the truth and the others,
 * fewer than half, lie as they like, the selection succeeds, its bound
 * covers every point the honest servers all allow, its offset stays within
 * their span and its bound no wider than that span, and when no honest
 * server can be taken for a liar, the offset lies where they all agree. */
#ifndef TSD_TESTS_SELECT_PROPERTY_H
#define TSD_TESTS_SELECT_PROPERTY_H

#include <math.h>
#include <stddef.h>

#include "query/select.h"

struct honest_spans {
	double hull_low, hull_high;        /* every honest interval, end to end */
	double common_low, common_high;    /* where they all agree: holds the truth */
};

static inline struct honest_spans honest_spans(const struct select_candidate *c, size_t honest)
{
	struct honest_spans h = { INFINITY, -INFINITY, -INFINITY, INFINITY };

	for (size_t i = 0; i < honest; i++) {
		h.hull_low = fmin(h.hull_low, c[i].offset_s - c[i].distance_s);
		h.hull_high = fmax(h.hull_high, c[i].offset_s + c[i].distance_s);
		h.common_low = fmax(h.common_low, c[i].offset_s - c[i].distance_s);
		h.common_high = fmin(h.common_high, c[i].offset_s + c[i].distance_s);
	}
	return h;
}

static inline int intervals_meet(double lo1, double hi1, double lo2, double hi2)
{
	return lo1 <= hi2 && hi1 >= lo2;
}

/* 1 when a liar's interval meets an honest interval but not the honest
 * common part: then swapping the liar with that honest server gives the
 * same input, and no rule can keep the offset inside both common parts. */
static inline int liars_ambiguous(const struct select_candidate *c, size_t n, size_t honest,
                                  struct honest_spans h)
{
	for (size_t i = honest; i < n; i++) {
		double lo = c[i].offset_s - c[i].distance_s, hi = c[i].offset_s + c[i].distance_s;
		int meets_any = 0;

		for (size_t j = 0; j < honest; j++)
			meets_any |= intervals_meet(lo, hi, c[j].offset_s - c[j].distance_s,
			                            c[j].offset_s + c[j].distance_s);
		if (meets_any && !intervals_meet(lo, hi, h.common_low, h.common_high))
			return 1;
	}
	return 0;
}

/* NULL when select_sources' answer (rc, r) keeps the promise, else what it
 * broke. `honest` must be more than half of n, and the honest intervals
 * must share a point. */
static inline const char *select_property_broken(const struct select_candidate *c, size_t n,
                                                 size_t honest, int rc,
                                                 const struct select_result *r)
{
	struct honest_spans h = honest_spans(c, honest);
	double slack = 1e-12 * (h.hull_high - h.hull_low + fabs(h.hull_low) + fabs(h.hull_high));

	if (rc != 0)
		return "no majority found, though a majority is honest";
	if (!(r->error_s >= 0) || !isfinite(r->offset_s))
		return "the offset or the bound is not a number";
	if (r->offset_s - r->error_s > h.common_low + slack ||
	    r->offset_s + r->error_s < h.common_high - slack)
		return "the bound misses part of the honest common part (the truth may be there)";
	if (r->offset_s < h.hull_low - slack || r->offset_s > h.hull_high + slack)
		return "the offset is outside every honest interval";
	if (r->error_s > h.hull_high - h.hull_low + slack)
		return "the bound is wider than the honest intervals' span";
	if (!liars_ambiguous(c, n, honest, h) &&
	    (r->offset_s < h.common_low - slack || r->offset_s > h.common_high + slack))
		return "the offset is outside the honest common part, and no honest server "
		       "looked like a liar";
	return NULL;
}

#endif
