/* NTP source selection (RFC 5905 section 11.2): intersect the servers'
 * correctness intervals (Marzullo's algorithm), mark the falsetickers, and
 * combine them into one offset and error bound that hold while fewer than
 * half of the servers lie (doc/algorithm.md). tsclient and the daemon's sync
 * engine both select with this. */
#ifndef TSD_SELECT_H
#define TSD_SELECT_H

#include <stddef.h>

/* No candidate's root distance is taken below this: select_sources raises a
 * smaller one to it (in place). RFC 5905 floors the delay term at MINDISP =
 * 10 ms and ntpd at 1 ms (tos mindist), sized for WAN paths; either would
 * hide the microseconds tsd resolves on a LAN (bounds of 16 us measured on
 * loopback). 10 us is below every honest bound measured and ten times the
 * precision assumed of one exchange. The selection's promise does not rest
 * on it (no one server's interval is trusted); it keeps the jitter's
 * 1 / distance weights and the choice of the system peer sane. */
#define SELECT_MIN_DISTANCE_S 1e-5

struct select_candidate {
	double offset_s;           /* server minus client */
	double distance_s;         /* root distance: half-width of the interval, > 0;
	                            * raised to SELECT_MIN_DISTANCE_S */
	int survivor;              /* out: 1 if its interval meets the intersection */
};

struct select_result {
	double offset_s;           /* in [low_s, high_s], nearest the middle of truth_* */
	double error_s;            /* bound on |offset_s - true offset|: reaches truth_* */
	double jitter_s;           /* RMS of survivor offsets about offset_s, weights 1 / distance */
	double low_s, high_s;      /* the intersection interval */
	/* Where the true offset lies whenever fewer than half of the candidates
	 * lie: the points at least n - (n - 1) / 2 intervals cover, end to end. */
	double truth_low_s, truth_high_s;
	size_t n_survivors;
	size_t best;               /* index of the survivor with the smallest distance */
	int falsetickers_allowed;  /* f at which a majority agreed */
};

/* Returns 0, or -1 when no majority of the candidates agrees (n == 0
 * included); then no candidate is marked a survivor. */
int select_sources(struct select_candidate *c, size_t n, struct select_result *out);

#endif
