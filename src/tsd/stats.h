/* The daemon's statistics on request (SIGUSR2 to the master): the counters
 * of the live workers and of every worker that has exited since start. */
#ifndef TSD_STATS_H
#define TSD_STATS_H

#include <stdint.h>

#include "tsd/counters.h"

/* In a shared mapping the master writes and the metrics process reads:
 * `seq` is odd while the master changes it (a reader retries), so a
 * worker's counts are never seen both in its slot and in `retired`. */
struct stats {
	uint32_t seq;
	struct worker_counters retired; /* the sum over exited workers */
	unsigned workers_retired;
	uint64_t worker_restarts;       /* crashed or killed workers started again */
	uint64_t reloads;               /* successful reloads */
	uint64_t reloads_failed;
	uint32_t generation;            /* the running generation */
};

/* A shared anonymous mapping (made before the metrics process forks), or NULL. */
struct stats *stats_create(void);
void stats_destroy(struct stats *st);
/* A worker exited: keep what it counted and free its slot (pid = 0). */
void stats_retire(struct stats *st, struct worker_counters *c);
/* The master changes other fields between these two calls. */
void stats_write_begin(struct stats *st);
void stats_write_end(struct stats *st);
/* A consistent copy of *st and the totals (stats_total) from another
 * process. 0, or -1 if the master kept writing. */
int stats_snapshot(const struct stats *st, const struct worker_counters *slots,
                   unsigned n_slots, struct stats *copy, struct worker_counters *total,
                   unsigned *live);
/* The totals since start: retired plus every live slot (pid != 0) of
 * slots[0..n_slots-1]; *live gets the number of live workers. */
void stats_total(const struct stats *st, const struct worker_counters *slots,
                 unsigned n_slots, struct worker_counters *total, unsigned *live);
/* Log the totals, three lines starting "statistics:". */
void stats_log(const struct stats *st, const struct worker_counters *slots, unsigned n_slots);

#endif
