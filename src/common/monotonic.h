/* The monotonic clock (CLOCK_MONOTONIC) in nanoseconds, under one name for
 * every part: deadlines, heartbeats, back-offs and rate limits. */
#ifndef TSD_MONOTONIC_H
#define TSD_MONOTONIC_H

#include <limits.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t monotonic_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Milliseconds from now to deadline_ns (on monotonic_now_ns), rounded up:
 * a poll() timeout that does not wake before the deadline. 0 once it passed. */
static inline int monotonic_ms_until(int64_t deadline_ns)
{
	int64_t left = deadline_ns - (int64_t)monotonic_now_ns();

	if (left <= 0)
		return 0;
	if (left / 1000000 >= INT_MAX)
		return INT_MAX;
	return (int)((left + 999999) / 1000000);
}

#endif
