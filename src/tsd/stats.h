/* The daemon's statistics on request (SIGUSR2 to the master): the counters
 * of the live workers and of every worker that has exited since start. */
#ifndef TSD_STATS_H
#define TSD_STATS_H

#include "tsd/counters.h"

struct stats {
	struct worker_counters retired; /* the sum over exited workers */
	unsigned workers_retired;
};

/* A worker exited: keep what it counted (its slot is reused). */
void stats_retire(struct stats *st, const struct worker_counters *c);
/* The totals since start: retired plus every live slot (pid != 0) of
 * slots[0..n_slots-1]; *live gets the number of live workers. */
void stats_total(const struct stats *st, const struct worker_counters *slots,
                 unsigned n_slots, struct worker_counters *total, unsigned *live);
/* Log the totals, three lines starting "statistics:". */
void stats_log(const struct stats *st, const struct worker_counters *slots, unsigned n_slots);

#endif
