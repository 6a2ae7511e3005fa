/* The Prometheus text exposition of tsd's counters (tsd(8), METRICS). */
#ifndef TSD_METRICS_TEXT_H
#define TSD_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "tsd/counters.h"
#include "tsd/stats.h"

struct metrics_source {
	const struct stats *stats;      /* shared with the master */
	const struct worker_counters *ctr;
	unsigned n_slots;
	const char *clock_plugin;
	double start_time_s;            /* Unix time the master started */
};

/* The whole page in a new string (free it), *len its length; NULL when the
 * master kept changing the counters or memory ran out. */
char *metrics_render(const struct metrics_source *src, size_t *len);

#endif
