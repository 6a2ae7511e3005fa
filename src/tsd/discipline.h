/* The discipline loop of the sync process: a history of combined offsets
 * (source minus this machine's raw clock), a weighted regression over it
 * for frequency and phase, and the decision to step or slew the served
 * correction. Pure arithmetic: no clock, no I/O (doc/algorithm.md). */
#ifndef TSD_DISCIPLINE_H
#define TSD_DISCIPLINE_H

#include <stddef.h>
#include <stdint.h>
#include "common/correction.h"

#define DISCIPLINE_MAX_POINTS 64
/* Past this phase error the correction steps instead of slewing: at the
 * first update, and later only after this many updates in a row agree. */
#define DISCIPLINE_STEP_S 0.128
#define DISCIPLINE_STEP_AFTER 3
/* The fastest slew: 10 ms per second. */
#define DISCIPLINE_MAX_SLEW_RATE 0.01
/* Points wider than this many times the DISCIPLINE_MIN_NARROW-th narrowest
 * error in the history (less than 1/64 of its weight) are left out of the
 * fit. */
#define DISCIPLINE_WIDE_RATIO 8.0
#define DISCIPLINE_MIN_NARROW 4

struct discipline_point {
	int64_t raw_ns;            /* raw clock reading of the measurement */
	double offset_s;           /* source minus raw clock then */
	double error_s;            /* its error bound, > 0 */
};

struct discipline {
	struct discipline_point pts[DISCIPLINE_MAX_POINTS];
	size_t n;
	struct discipline_point pending[DISCIPLINE_STEP_AFTER]; /* off the fit */
	size_t n_pending;
	double freq;               /* source rate minus raw rate */
	double rms_s;              /* residual RMS of the last fit */
	int started;               /* the correction was set once already */
	int far;                   /* updates in a row beyond DISCIPLINE_STEP_S */
	double poll_s, poll_min_s, poll_max_s;
	int calm;                  /* updates in a row within the noise */
};

enum discipline_action { DISCIPLINE_NONE = 0, DISCIPLINE_SLEW, DISCIPLINE_STEP };

struct discipline_result {
	enum discipline_action action;
	double phase_s;            /* what the correction lacked at the update */
	double error_s;            /* this node's error estimate */
};

/* freq_prior: from the drift file or the running correction. started: the
 * correction in force was set by an earlier update (a restarted sync
 * process then never steps at its first update). */
void discipline_init(struct discipline *d, double poll_min_s, double poll_max_s,
                     double freq_prior, int started);

/* Take one combined point and, from `old` (the correction in force) at raw
 * time now_raw_ns, make `next`. Only the timing fields of next (offset,
 * frequency, slew, ref_raw_ns) are set; the caller fills the rest. */
void discipline_update(struct discipline *d, const struct discipline_point *p,
                       const struct correction_params *old, int64_t now_raw_ns,
                       struct correction_params *next, struct discipline_result *r);

/* Least squares of offset on time, weighted by 1 / error^2, with x in
 * seconds from the newest point: a (offset at the newest) and b (slope).
 * Returns the residual RMS, weighted as the fit; n >= 2. Exposed for the
 * unit test. */
double discipline_fit(const struct discipline_point *pts, size_t n, double *a, double *b);

#endif
