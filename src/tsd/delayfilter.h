/* The sync process's delay test: a poll whose best round trip is well above
 * the recent minimum was queued somewhere (a loaded relay, a descheduled
 * process), and its offset may be off by half the excess. Such a point is
 * dropped, a few in a row at most (then the path itself changed); the
 * excess of the points kept widens their error, so the discipline's
 * weights follow the delay. Pure arithmetic (doc/algorithm.md). */
#ifndef TSD_DELAYFILTER_H
#define TSD_DELAYFILTER_H

#include <stddef.h>

/* Polls remembered, and the fewest before the test applies. */
#define DELAY_HISTORY 16
#define DELAY_MIN_POINTS 4
/* Allowed excess over the minimum: this many typical excesses (the median
 * over the history) plus a floor, so a path with no spread at all
 * (loopback) keeps a margin. */
#define DELAY_DEV_RATIO 4.0
#define DELAY_FLOOR_S 20e-6
/* After this many dropped in a row, the next point passes whatever it is. */
#define DELAY_MAX_REJECTS 4

struct delay_filter {
	double delays[DELAY_HISTORY];
	size_t n, next;
	int rejected;              /* points dropped in a row */
};

/* Test one poll's delay and remember it. 1: use the point, *excess_s its
 * delay above the recent minimum (>= 0); 0: drop it. */
int delay_filter_check(struct delay_filter *f, double delay_s, double *excess_s);

#endif
