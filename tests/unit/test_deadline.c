/* Unit tests for the worker's deadline heap (src/tsd/deadline.c). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tsd/deadline.h"

#define N 200

static uint64_t earliest(struct conn *conns, const int *in_heap)
{
	uint64_t best = UINT64_MAX;
	int i;

	for (i = 0; i < N; i++)
		if (in_heap[i] && conns[i].deadline_ns < best)
			best = conns[i].deadline_ns;
	return best;
}

/* Random pushes, removes and updates against a brute-force minimum. */
static void test_heap_matches_brute_force(void **state)
{
	static struct conn conns[N];
	int in_heap[N] = { 0 };
	struct deadline_heap h;
	unsigned seed = 12345;
	int step, i;

	(void)state;
	assert_int_equal(deadline_heap_init(&h, N), 0);
	assert_null(deadline_heap_top(&h));
	for (step = 0; step < 20000; step++) {
		i = (int)(rand_r(&seed) % N);
		if (!in_heap[i]) {
			conns[i].deadline_ns = rand_r(&seed) % 1000;
			deadline_heap_push(&h, &conns[i]);
			in_heap[i] = 1;
		} else if (rand_r(&seed) % 3 == 0) {
			deadline_heap_remove(&h, &conns[i]);
			in_heap[i] = 0;
		} else {
			conns[i].deadline_ns = rand_r(&seed) % 1000;
			deadline_heap_update(&h, &conns[i]);
		}
		if (h.n == 0)
			assert_null(deadline_heap_top(&h));
		else
			assert_int_equal(deadline_heap_top(&h)->deadline_ns, earliest(conns, in_heap));
	}
	deadline_heap_free(&h);
}

/* Popping everything yields the deadlines in order. */
static void test_heap_pops_in_order(void **state)
{
	static struct conn conns[N];
	struct deadline_heap h;
	uint64_t last = 0;
	int i;

	(void)state;
	assert_int_equal(deadline_heap_init(&h, N), 0);
	for (i = 0; i < N; i++) {
		conns[i].deadline_ns = (uint64_t)((i * 7919) % N);
		deadline_heap_push(&h, &conns[i]);
	}
	for (i = 0; i < N; i++) {
		struct conn *c = deadline_heap_top(&h);

		assert_non_null(c);
		assert_true(c->deadline_ns >= last);
		last = c->deadline_ns;
		deadline_heap_remove(&h, c);
	}
	assert_int_equal(h.n, 0);
	deadline_heap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_matches_brute_force),
		cmocka_unit_test(test_heap_pops_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
