/* Crash-loop back-off: the occasional crash is restarted at once; after
 * that, every crashed worker waits for one shared restart time that moves
 * out, doubling, up to a cap. */
#include "config.h"

#include "throttle.h"

uint64_t throttle_crash(struct throttle *t, uint64_t now_ns)
{
	/* Calm is measured from the last crash or the last restart, whichever
	 * is later: workers that crash right after each capped pause are
	 * still a crash loop. */
	uint64_t calm_since = t->last_crash_ns > t->restart_ns ? t->last_crash_ns : t->restart_ns;
	int first = t->last_crash_ns == 0;

	t->last_crash_ns = now_ns;
	if (t->restart_ns > now_ns)
		return t->restart_ns;
	if (first || now_ns - calm_since > THROTTLE_RESET_NS)
		t->backoff_ns = 0;
	if (t->backoff_ns == 0 && (first || now_ns - calm_since > THROTTLE_FREE_NS))
		return now_ns;
	t->backoff_ns = t->backoff_ns == 0 ? THROTTLE_MIN_NS : t->backoff_ns * 2;
	if (t->backoff_ns > THROTTLE_MAX_NS)
		t->backoff_ns = THROTTLE_MAX_NS;
	t->restart_ns = now_ns + t->backoff_ns;
	return t->restart_ns;
}
