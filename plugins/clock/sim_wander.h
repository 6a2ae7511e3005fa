/* The sim clock's frequency wander: a random walk of its frequency that is
 * a pure function of the seed and the time since the origin, so every
 * process of one tsd (each with its own copy of this state) reads the same
 * simulated time. */
#ifndef TSD_SIM_WANDER_H
#define TSD_SIM_WANDER_H

#include <stdint.h>

/* The walk moves for this long after the origin; then its frequency holds. */
#define WANDER_SPAN_S 1000000
/* Checkpoints kept: one every WANDER_CHECK_EVERY seconds, the newest
 * WANDER_CHECKS of them, so a reading a little in the past costs little. */
#define WANDER_CHECK_EVERY 64
#define WANDER_CHECKS 32

struct wander_point {
	int64_t k;                 /* whole seconds since the origin */
	double freq;               /* s/s at k */
	double phase_s;            /* the walk's integral from 0 to k */
};

struct wander {
	double sigma;              /* s/s per sqrt(s): the step of one second */
	uint64_t seed;
	struct wander_point at;    /* the newest point walked to */
	struct wander_point checks[WANDER_CHECKS];
};

void wander_init(struct wander *w, double sigma, uint64_t seed);

/* The walk's phase (seconds) and frequency at `elapsed_s` seconds after
 * the origin; 0 before it. Either output may be NULL. */
void wander_at(struct wander *w, double elapsed_s, double *phase_s, double *freq);

#endif
