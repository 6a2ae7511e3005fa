/* tsclient's output: the REMOTE_TIME, LOCAL_TIME and RTT_ESTIMATE lines, the
 * verbose tables, JSON, and the reason for each server not used. */
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
/* "tsclient: HOST port PORT: STATUS: reason", one line per unused server,
 * whether or not the others gave a result; returns how many. */
size_t report_failures(FILE *f, const struct outcome *o);

/* A duration with its sign in the unit that suits it: "+12.3 us" below a
 * millisecond, "-4.567 ms" below a second, "+1.234567 s" above. */
#define DURATION_LEN 32
const char *report_duration(double s, char *buf, size_t len);

/* Milliseconds since the epoch, rounded down, of local_ns + offset_s. */
long long report_ms(tsd_time_ns local_ns, double offset_s);

#endif
