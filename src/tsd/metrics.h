/* The metrics process, "tsd: metrics": a child of the master serving
 * http://LISTEN/metrics with GNU libmicrohttpd from the shared counters.
 * Its threads live in a process that never forks; the master only binds
 * the socket, forks, and restarts it. */
#ifndef TSD_METRICS_H
#define TSD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tsd/metrics_text.h"

/* Bind and listen on "address:port" (metrics.listen). The descriptor, or
 * -1 with a message. */
int metrics_listen(const char *listen, char *err, size_t errlen);
/* In the forked child: serve on fd until SIGTERM; the exit status. Every
 * other descriptor above 2 has been closed by then (the caller's job). */
int metrics_run(int fd, const struct metrics_source *src);

#endif
