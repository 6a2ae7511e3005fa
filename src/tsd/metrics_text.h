/* The Prometheus text exposition of tsd's counters (tsd(8), METRICS). */
#ifndef TSD_METRICS_TEXT_H
#define TSD_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "common/correction.h"
#include "tsd/counters.h"
#include "tsd/ctl_out.h"
#include "tsd/stats.h"
#include "tsd/sync_state.h"

struct metrics_source {
	const struct stats *stats;      /* shared with the master */
	const struct worker_counters *ctr;
	unsigned n_slots;
	const char *clock_plugin;
	double start_time_s;            /* Unix time the master started */
	int sync_enabled;               /* the configuration has a sync group */
	const struct correction_shared *correction;
	const struct sync_state_shared *sync_state;
};

/* The page being written (a growing buffer; ctl_out's text lines). */
struct metrics_page {
	struct ctl_out out;
};

void metrics_line(struct metrics_page *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* # HELP and # TYPE of one metric. */
void metrics_help(struct metrics_page *p, const char *name, const char *type, const char *text);
/* A label value with \, " and newlines escaped, cut to fit len. */
void metrics_label_value(const char *in, char *out, size_t len);
/* metrics_sync.c: the sync engine's metrics (tsd_sync_*). */
void metrics_sync(struct metrics_page *p, const struct metrics_source *src);

/* The whole page in a new string (free it), *len its length; NULL when the
 * master kept changing the counters or memory ran out. */
char *metrics_render(const struct metrics_source *src, size_t *len);

#endif
