/* What the client's unit tests share: samples with a chosen offset and
 * delay, and the minfilter estimator loaded from $PLUGIN_DIR. */
#ifndef TSD_TESTS_CLIENT_FIXTURE_H
#define TSD_TESTS_CLIENT_FIXTURE_H

#include "common/estimator.h"
#include "query/measure.h"

#define MS_NS 1000000LL

/* An exchange starting at t1_ns whose on-wire offset and delay are
 * offset_ns and delay_ns (the server's time spent is 0). */
struct tsd_sample exchange_with(tsd_time_ns t1_ns, int64_t offset_ns, int64_t delay_ns);

/* A measurement of host:port that succeeded with these samples. */
void measured(struct measurement *m, const char *host, int port,
              const struct tsd_sample *samples, size_t n);

/* Open the minfilter estimator (the offset of the least-delay sample). */
void open_minfilter(struct estimator *est);

#endif
