/* Crash-loop back-off: the occasional crash is restarted at once; in a loop
 * one probe at a time is restarted at a time that moves out, doubling, up to
 * a cap, and a probe that survives the calm period brings back the rest. */

#include "tsd/throttle.h"

static void calm_down(struct throttle *t)
{
	t->backoff_ns = 0;
	t->probe_at_ns = 0;
	t->probe_started_ns = 0;
}

/* A probe that lived through the calm period ends the loop: the plugin
 * starts again, so every waiting worker may follow. */
static void settle(struct throttle *t, uint64_t now_ns)
{
	if (t->probe_started_ns != 0 && now_ns - t->probe_started_ns >= THROTTLE_FREE_NS)
		calm_down(t);
}

/* The next probe waits twice as long as the last, up to the cap. */
static void back_off(struct throttle *t, uint64_t now_ns)
{
	t->backoff_ns = t->backoff_ns == 0 ? THROTTLE_MIN_NS : t->backoff_ns * 2;
	if (t->backoff_ns > THROTTLE_MAX_NS)
		t->backoff_ns = THROTTLE_MAX_NS;
	t->probe_at_ns = now_ns + t->backoff_ns;
	t->probe_started_ns = 0;
}

void throttle_crash(struct throttle *t, uint64_t now_ns)
{
	uint64_t last_ns = t->last_crash_ns;

	settle(t, now_ns);
	t->last_crash_ns = now_ns;
	if (t->backoff_ns == 0) {
		if (last_ns == 0 || now_ns - last_ns > THROTTLE_FREE_NS)
			return;                 /* isolated: replaced at once */
		back_off(t, now_ns);
		return;
	}
	/* Crashes before the probe starts wait for it and do not push it
	 * out: with N workers crashing together that is one pause, not N. */
	if (t->probe_started_ns == 0 && t->probe_at_ns > now_ns)
		return;
	back_off(t, now_ns);
}

unsigned throttle_take(struct throttle *t, uint64_t now_ns, unsigned waiting)
{
	settle(t, now_ns);
	if (t->backoff_ns == 0)
		return waiting;
	if (t->probe_started_ns != 0 || now_ns < t->probe_at_ns)
		return 0;
	/* With no worker waiting the calm period still starts here, so a loop
	 * whose workers were all retired (a reload) ends in a second. */
	t->probe_started_ns = now_ns;
	return waiting > 0 ? 1 : 0;
}

uint64_t throttle_next_ns(const struct throttle *t)
{
	if (t->backoff_ns == 0)
		return 0;
	if (t->probe_started_ns != 0)
		return t->probe_started_ns + THROTTLE_FREE_NS;
	return t->probe_at_ns;
}
