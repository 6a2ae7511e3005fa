/* Crash-loop back-off: free restarts for the occasional crash, then a delay
 * that doubles with every further crash up to a cap. */
#include "config.h"

#include "throttle.h"

uint64_t throttle_crash(struct throttle *t, uint64_t now_ns)
{
	uint64_t oldest = t->crash_ns[t->next];

	if (now_ns - t->last_crash_ns > THROTTLE_RESET_NS)
		t->backoff_ns = 0;
	t->last_crash_ns = now_ns;
	t->crash_ns[t->next] = now_ns;
	t->next = (t->next + 1) % THROTTLE_FREE_CRASHES;
	/* Fewer than THROTTLE_FREE_CRASHES in the last second, and no back-off
	 * running: restart at once. */
	if (t->backoff_ns == 0 && (oldest == 0 || now_ns - oldest > 1000000000ull))
		return 0;
	t->backoff_ns = t->backoff_ns == 0 ? THROTTLE_MIN_NS : t->backoff_ns * 2;
	if (t->backoff_ns > THROTTLE_MAX_NS)
		t->backoff_ns = THROTTLE_MAX_NS;
	return t->backoff_ns;
}
