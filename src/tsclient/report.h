/* tsclient's output: the REMOTE_TIME, LOCAL_TIME and RTT_ESTIMATE lines, the
 * verbose tables, JSON, and the per-server reasons when nothing could be
 * used. */
#ifndef TSD_REPORT_H
#define TSD_REPORT_H

#include <stdio.h>
#include "query/outcome.h"

/* REMOTE_TIME, LOCAL_TIME, RTT_ESTIMATE in integer milliseconds. */
void report_lines(FILE *f, const struct outcome *o);
/* A table of samples per server, each estimate, the selection, the correction. */
void report_verbose(FILE *f, const struct outcome *o);
/* One JSON object with everything, synchronised or not. */
void report_json(FILE *f, const struct outcome *o);
/* "tsclient: HOST:PORT: STATUS: reason", one line per unused server. */
void report_failures(FILE *f, const struct outcome *o);

/* Milliseconds since the epoch, rounded down, of local_ns + offset_s. */
long long report_ms(tsd_time_ns local_ns, double offset_s);

#endif
