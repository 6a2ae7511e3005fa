/* Unit tests for the master's crash-loop throttle (src/tsd/throttle.c):
 * alone, and in a model of the master restarting crashed workers. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tsd/throttle.h"

#define MS 1000000ull

/* The throttle alone: an occasional crash restarts at once; in a loop one
 * probe at a time, whose pauses double up to the cap, while crashes of
 * other workers wait without pushing it out; a probe that lives through
 * the calm period brings back every waiting worker and resets the pause. */
static void test_throttle_backs_off(void **state)
{
	struct throttle t = { 0 };
	uint64_t now = 1000 * MS, at, pause = THROTTLE_MIN_NS;
	int i;

	(void)state;
	throttle_crash(&t, now);
	assert_int_equal(throttle_take(&t, now, 1), 1);         /* the first: at once */
	now += 2000 * MS;
	throttle_crash(&t, now);
	assert_int_equal(throttle_take(&t, now, 1), 1);         /* a second later: free */
	now += 5 * MS;
	throttle_crash(&t, now);
	assert_int_equal(throttle_take(&t, now, 1), 0);
	at = throttle_next_ns(&t);
	assert_int_equal(at, now + THROTTLE_MIN_NS);
	throttle_crash(&t, now + MS);                            /* another worker */
	assert_int_equal(throttle_next_ns(&t), at);             /* waits, no push */
	assert_int_equal(throttle_take(&t, at - 1, 2), 0);
	assert_int_equal(throttle_take(&t, at, 2), 1);          /* the probe */
	assert_int_equal(throttle_take(&t, at, 1), 0);          /* only one */
	for (i = 0; i < 12; i++) {
		now = at + 5 * MS;                                   /* the probe crashes */
		pause = pause * 2 > THROTTLE_MAX_NS ? THROTTLE_MAX_NS : pause * 2;
		throttle_crash(&t, now);
		at = throttle_next_ns(&t);
		assert_int_equal(at, now + pause);
		assert_int_equal(throttle_take(&t, at - 1, 2), 0);
		assert_int_equal(throttle_take(&t, at, 2), 1);
	}
	assert_int_equal(pause, THROTTLE_MAX_NS);
	assert_int_equal(throttle_next_ns(&t), at + THROTTLE_FREE_NS);
	assert_int_equal(throttle_take(&t, at + THROTTLE_FREE_NS - 1, 2), 0);
	assert_int_equal(throttle_take(&t, at + THROTTLE_FREE_NS, 2), 2);  /* all */
	assert_int_equal(throttle_next_ns(&t), 0);
	now = at + THROTTLE_FREE_NS + 5 * MS;
	throttle_crash(&t, now);
	assert_int_equal(throttle_take(&t, now, 1), 1);         /* calm: at once again */
}

/* A model of the master: n workers; one started before healthy_ns crashes
 * 1 ms after it starts, as with a clock plugin that aborts at start. Every
 * millisecond the crashes are reported, then the throttle is asked. */
#define SIM_MAX_WORKERS 16
#define SIM_MAX_FORKS 200

struct sim {
	struct throttle t;
	unsigned n;
	uint64_t now_ns;
	uint64_t healthy_ns;
	uint64_t started_ns[SIM_MAX_WORKERS];   /* 0: waiting for a restart */
	uint64_t fork_ns[SIM_MAX_FORKS];        /* restarts, not the first starts */
	unsigned forks;
};

static void sim_start(struct sim *s, unsigned n, uint64_t healthy_ns)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->now_ns = 1000 * MS;
	s->healthy_ns = healthy_ns;
	for (i = 0; i < n; i++)
		s->started_ns[i] = s->now_ns;
}

static unsigned sim_crashes(struct sim *s)
{
	unsigned i, waiting = 0;

	for (i = 0; i < s->n; i++) {
		uint64_t at = s->started_ns[i];

		if (at != 0 && at < s->healthy_ns && s->now_ns >= at + MS) {
			s->started_ns[i] = 0;
			throttle_crash(&s->t, s->now_ns);
		}
		waiting += s->started_ns[i] == 0;
	}
	return waiting;
}

static void sim_step(struct sim *s)
{
	unsigned i, take = throttle_take(&s->t, s->now_ns, sim_crashes(s));

	for (i = 0; i < s->n && take > 0; i++) {
		if (s->started_ns[i] != 0)
			continue;
		take--;
		s->started_ns[i] = s->now_ns;
		assert_true(s->forks < SIM_MAX_FORKS);
		s->fork_ns[s->forks++] = s->now_ns;
	}
	assert_int_equal(take, 0);
	s->now_ns += MS;
}

static void sim_run(struct sim *s, uint64_t for_ns)
{
	uint64_t end_ns = s->now_ns + for_ns;

	while (s->now_ns < end_ns)
		sim_step(s);
}

static unsigned forks_before(const struct sim *s, uint64_t end_ns)
{
	unsigned i, n = 0;

	for (i = 0; i < s->forks; i++)
		n += s->fork_ns[i] < end_ns;
	return n;
}

/* Restarts come one at a time after the first, with gaps that never
 * shrink and reach the cap. */
static void assert_backs_off(const struct sim *s)
{
	uint64_t gap, last_gap = 0;
	unsigned i;

	for (i = 1; i < s->forks; i++) {
		gap = s->fork_ns[i] - s->fork_ns[i - 1];
		assert_true(gap >= last_gap);
		assert_true(gap <= THROTTLE_MAX_NS + 2 * MS);
		last_gap = gap;
	}
	assert_true(last_gap >= THROTTLE_MAX_NS);
}

/* Workers that all crash at start: the restarts in the first second and in
 * a minute are the same few for 2, 4 or 16 workers; with 2 or 4 the first
 * second holds at most 10 forks, the generation's own first starts too. */
static void test_throttle_bounds_forks_of_any_worker_count(void **state)
{
	static const unsigned counts[] = { 2, 4, 16 };
	static struct sim s;
	unsigned k, first_s, minute, first_s_2 = 0, minute_2 = 0;
	uint64_t t0;

	(void)state;
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		sim_start(&s, counts[k], UINT64_MAX);
		t0 = s.now_ns;
		sim_run(&s, 60000 * MS);
		first_s = forks_before(&s, t0 + 1000 * MS);
		minute = s.forks;
		assert_true(first_s >= 1 && first_s <= 4);
		assert_true(minute <= 15);
		if (counts[k] <= 4)
			assert_true(counts[k] + first_s <= 10);
		if (k == 0) {
			first_s_2 = first_s;
			minute_2 = minute;
		}
		assert_int_equal(first_s, first_s_2);
		assert_int_equal(minute, minute_2);
		assert_backs_off(&s);
	}
}

/* The plugin works again from 2.5 s on: the first probe after that lives
 * through the calm period, then the other workers all restart at once and
 * the back-off is reset. */
static void test_throttle_probe_then_all(void **state)
{
	static struct sim s;
	uint64_t probe_ns = 0;
	unsigned i, before;

	(void)state;
	sim_start(&s, 4, 1000 * MS + 2500 * MS);
	sim_run(&s, 10000 * MS);
	for (i = 0; i < s.forks && probe_ns == 0; i++)
		if (s.fork_ns[i] >= s.healthy_ns)
			probe_ns = s.fork_ns[i];
	assert_true(probe_ns != 0);
	before = i;
	assert_int_equal(s.forks, before + 3);                  /* the probe, then 3 */
	for (; i < s.forks; i++)
		assert_int_equal(s.fork_ns[i], probe_ns + THROTTLE_FREE_NS);
	for (i = 0; i < s.n; i++)
		assert_true(s.started_ns[i] != 0);
	assert_int_equal(throttle_next_ns(&s.t), 0);
}

/* Healthy workers: one that crashes now and then is replaced at once, each
 * time; the second of two crashes within a second waits. */
static void test_throttle_isolated_crash_at_once(void **state)
{
	static struct sim s;
	uint64_t crash_ns = 0;
	int i;

	(void)state;
	sim_start(&s, 4, 0);
	sim_run(&s, 5000 * MS);
	assert_int_equal(s.forks, 0);
	for (i = 0; i < 3; i++) {
		crash_ns = s.now_ns + (uint64_t)i * 3000 * MS;
		throttle_crash(&s.t, crash_ns);
		assert_int_equal(throttle_take(&s.t, crash_ns, 1), 1);
	}
	crash_ns += 500 * MS;
	throttle_crash(&s.t, crash_ns);
	assert_int_equal(throttle_take(&s.t, crash_ns, 1), 0);
	assert_int_equal(throttle_next_ns(&s.t), crash_ns + THROTTLE_MIN_NS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttle_backs_off),
		cmocka_unit_test(test_throttle_bounds_forks_of_any_worker_count),
		cmocka_unit_test(test_throttle_probe_then_all),
		cmocka_unit_test(test_throttle_isolated_crash_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
