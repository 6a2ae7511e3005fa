/* The crash-loop throttle of the master: a worker that crashes now and then
 * is replaced at once; repeated crashes restart the workers together, in
 * bursts, with pauses that double up to a cap. */
#ifndef TSD_THROTTLE_H
#define TSD_THROTTLE_H

#include <stdint.h>

#define THROTTLE_MIN_NS (100 * 1000000ull)
#define THROTTLE_MAX_NS (10 * 1000000000ull)
#define THROTTLE_FREE_NS 1000000000ull          /* one crash per second is free */
#define THROTTLE_RESET_NS (10 * 1000000000ull)  /* calm this long after a restart: start over */

struct throttle {
	uint64_t last_crash_ns;         /* 0: none yet */
	uint64_t backoff_ns;            /* 0: not backing off */
	uint64_t restart_ns;            /* the pending burst of restarts */
};

/* A worker crashed at now_ns (CLOCK_MONOTONIC): when to restart it; now_ns
 * means at once. A crash while a burst is pending joins that burst. */
uint64_t throttle_crash(struct throttle *t, uint64_t now_ns);

#endif
