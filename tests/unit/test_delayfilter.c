/* The sync process's delay test: points whose delay is well above the
 * recent minimum are dropped, at most DELAY_MAX_REJECTS in a row; the excess
 * of the points kept is reported. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tsd/delayfilter.h"

/* A path of 200 us with 20..60 us of queueing. */
static void fill(struct delay_filter *f)
{
	static const double q[] = { 20, 40, 60, 30, 50, 25, 45, 35 };
	double excess;

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		assert_int_equal(delay_filter_check(f, (200 + q[i]) * 1e-6, &excess), 1);
}

static void test_spike_dropped(void **state)
{
	struct delay_filter f = { 0 };
	double excess;

	(void)state;
	fill(&f);
	/* 5 ms of queueing: dropped. */
	assert_int_equal(delay_filter_check(&f, 5200e-6, &excess), 0);
	/* The usual queueing passes, its excess over the 220 us minimum told. */
	assert_int_equal(delay_filter_check(&f, 250e-6, &excess), 1);
	assert_true(fabs(excess - 30e-6) < 1e-9);
	/* Within the margin (20 us + 4 x the median excess of about 20 us). */
	assert_int_equal(delay_filter_check(&f, 290e-6, &excess), 1);
}

static void test_path_change_accepted(void **state)
{
	struct delay_filter f = { 0 };
	double excess;
	int dropped = 0;

	(void)state;
	fill(&f);
	/* The path grows to 2 ms for good: a few polls are dropped, then the
	 * points pass again. */
	for (int i = 0; i < DELAY_MAX_REJECTS; i++)
		dropped += !delay_filter_check(&f, 2000e-6, &excess);
	assert_int_equal(dropped, DELAY_MAX_REJECTS);
	assert_int_equal(delay_filter_check(&f, 2000e-6, &excess), 1);
	/* Once the history holds mostly the new path, its points pass. */
	for (int i = 0; i < DELAY_HISTORY; i++)
		(void)delay_filter_check(&f, 2000e-6, &excess);
	assert_int_equal(delay_filter_check(&f, 2010e-6, &excess), 1);
	assert_true(excess < 11e-6);
}

static void test_young_history_passes(void **state)
{
	struct delay_filter f = { 0 };
	double excess;

	(void)state;
	assert_int_equal(delay_filter_check(&f, 100e-6, &excess), 1);
	assert_true(excess == 0);
	for (int i = 0; i < DELAY_MIN_POINTS - 1; i++)
		assert_int_equal(delay_filter_check(&f, 100e-6, &excess), 1);
	/* With DELAY_MIN_POINTS remembered the test applies. */
	assert_int_equal(delay_filter_check(&f, 10000e-6, &excess), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spike_dropped),
		cmocka_unit_test(test_path_change_accepted),
		cmocka_unit_test(test_young_history_passes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
