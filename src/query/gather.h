/* Measure several servers at once: each in a child process of its own, so
 * dead servers cost one timeout in all, not one each. */
#ifndef TSD_GATHER_H
#define TSD_GATHER_H

#include <stddef.h>
#include "query/measure.h"

/* Fill out[0..n-1]; a server whose child fails is marked unreachable with
 * the reason. One server is measured in this process. */
void gather_measurements(const struct server_spec *servers, size_t n,
                         enum measure_proto proto, int samples, double timeout_s,
                         struct clock_source *cs, struct measurement *out);

#endif
