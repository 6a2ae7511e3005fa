/* The crash-loop throttle of the master: a worker that crashes now and then
 * is replaced at once; several crashes a second back off, doubling, capped. */
#ifndef TSD_THROTTLE_H
#define TSD_THROTTLE_H

#include <stdint.h>

#define THROTTLE_FREE_CRASHES 2         /* per second, replaced at once */
#define THROTTLE_MIN_NS (100 * 1000000ull)
#define THROTTLE_MAX_NS (10 * 1000000000ull)
#define THROTTLE_RESET_NS (10 * 1000000000ull)  /* calm this long: start over */

struct throttle {
	uint64_t crash_ns[THROTTLE_FREE_CRASHES];
	unsigned next;
	uint64_t backoff_ns;
	uint64_t last_crash_ns;
};

/* A crash at now_ns (CLOCK_MONOTONIC): how long to wait before the restart. */
uint64_t throttle_crash(struct throttle *t, uint64_t now_ns);

#endif
