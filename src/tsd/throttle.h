/* The crash-loop throttle of the master: a worker that crashes now and then
 * is replaced at once; in a crash loop one worker at a time is restarted as
 * a probe, after pauses that double up to a cap, and the other crashed
 * workers follow all together once a probe has lived through a calm period.
 * So a loop forks about as often with 16 workers as with 2. */
#ifndef TSD_THROTTLE_H
#define TSD_THROTTLE_H

#include <stdint.h>

#define THROTTLE_MIN_NS (100 * 1000000ull)
#define THROTTLE_MAX_NS (10 * 1000000000ull)
/* One crash a second is free; a probe that lives a second ends the loop. */
#define THROTTLE_FREE_NS 1000000000ull

struct throttle {
	uint64_t last_crash_ns;         /* 0: none yet */
	uint64_t backoff_ns;            /* 0: calm, a crash is replaced at once */
	uint64_t probe_at_ns;           /* in a loop: the next probe may start then */
	uint64_t probe_started_ns;      /* in a loop: the probe under way, 0: none */
};

/* A worker crashed, or could not be forked, at now_ns (CLOCK_MONOTONIC). */
void throttle_crash(struct throttle *t, uint64_t now_ns);

/* Of `waiting` crashed workers, how many to restart at now_ns: all of them
 * when calm, else 0 or 1 (the probe). The caller starts them at once. */
unsigned throttle_take(struct throttle *t, uint64_t now_ns, unsigned waiting);

/* When throttle_take may next give more to waiting workers: the next probe
 * or the end of the probe's calm period; 0 (at once) when calm. */
uint64_t throttle_next_ns(const struct throttle *t);

#endif
