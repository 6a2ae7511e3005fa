/* Crash-loop back-off: the occasional crash is restarted at once; after
 * that, every crashed worker waits for one shared restart time that moves
 * out, doubling, up to a cap. */
#include "config.h"

#include "throttle.h"

uint64_t throttle_crash(struct throttle *t, uint64_t now_ns)
{
	uint64_t previous = t->last_crash_ns;

	t->last_crash_ns = now_ns;
	if (t->restart_ns > now_ns)
		return t->restart_ns;
	if (previous == 0 || now_ns - previous > THROTTLE_RESET_NS)
		t->backoff_ns = 0;
	if (t->backoff_ns == 0 && (previous == 0 || now_ns - previous > THROTTLE_FREE_NS))
		return now_ns;
	t->backoff_ns = t->backoff_ns == 0 ? THROTTLE_MIN_NS : t->backoff_ns * 2;
	if (t->backoff_ns > THROTTLE_MAX_NS)
		t->backoff_ns = THROTTLE_MAX_NS;
	t->restart_ns = now_ns + t->backoff_ns;
	return t->restart_ns;
}
