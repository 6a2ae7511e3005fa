/* CLOCK_MONOTONIC in nanoseconds: deadlines, heartbeats and back-offs. */
#ifndef TSD_MONOTONIC_H
#define TSD_MONOTONIC_H

#include <stdint.h>
#include <time.h>

static inline uint64_t monotonic_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
