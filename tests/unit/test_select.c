/* Unit tests for the NTP selection and combining (src/query/select.c). */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "query/select.h"

static void test_three_servers_one_falseticker(void **state)
{
	struct select_candidate c[3] = { { 0.2501, 0.001, 0 }, { 0.2499, 0.001, 0 },
	                                 { 0.9, 0.001, 0 } };
	struct select_result r;

	(void)state;
	assert_int_equal(select_sources(c, 3, &r), 0);
	assert_true(c[0].survivor && c[1].survivor);
	assert_false(c[2].survivor);
	assert_int_equal(r.n_survivors, 2);
	assert_int_equal(r.falsetickers_allowed, 1);
	assert_true(fabs(r.offset_s - 0.25) < 1e-9);
	/* Both intervals hold the truth: [0.2491, 0.2509] is what is left. */
	assert_true(fabs(r.low_s - 0.2491) < 1e-9 && fabs(r.high_s - 0.2509) < 1e-9);
	assert_true(fabs(r.error_s - 0.0009) < 1e-9);
}

static void test_one_server_is_its_own_result(void **state)
{
	struct select_candidate c[1] = { { -0.125, 0.002, 0 } };
	struct select_result r;

	(void)state;
	assert_int_equal(select_sources(c, 1, &r), 0);
	assert_true(c[0].survivor);
	assert_int_equal(r.best, 0);
	assert_true(fabs(r.offset_s + 0.125) < 1e-12);
	assert_true(fabs(r.error_s - 0.002) < 1e-12);
	assert_true(r.jitter_s < 1e-12);
}

static void test_two_that_disagree_have_no_majority(void **state)
{
	struct select_candidate c[2] = { { 0.0, 0.001, 1 }, { 1.0, 0.001, 1 } };
	struct select_result r;

	(void)state;
	assert_int_equal(select_sources(c, 2, &r), -1);
	assert_false(c[0].survivor || c[1].survivor);
	assert_int_equal(select_sources(c, 0, &r), -1);
}

/* A wide interval whose midpoint lies outside a narrow one, yet holds it:
 * both are truechimers. */
static void test_wide_and_narrow_both_survive(void **state)
{
	struct select_candidate c[2] = { { 0.0, 0.0001, 0 }, { 0.0002, 0.001, 0 } };
	struct select_result r;

	(void)state;
	assert_int_equal(select_sources(c, 2, &r), 0);
	assert_true(c[0].survivor && c[1].survivor);
	assert_int_equal(r.best, 0);
}

/* Weights are 1 / distance; the bound covers the survivors' common part. */
static void test_combine_weights_by_distance(void **state)
{
	struct select_candidate c[2] = { { 0.0, 1.0, 0 }, { 0.5, 0.5, 0 } };
	struct select_result r;

	(void)state;
	assert_int_equal(select_sources(c, 2, &r), 0);
	assert_true(fabs(r.offset_s - 1.0 / 3.0) < 1e-12);
	assert_int_equal(r.best, 1);
	/* Common part [0, 1]: the far end is 2/3 away. */
	assert_true(fabs(r.error_s - 2.0 / 3.0) < 1e-12);
}

static void test_majority_of_five_against_two_outliers(void **state)
{
	struct select_candidate c[5] = { { -3.0, 0.01, 0 }, { 0.001, 0.01, 0 },
	                                 { 0.0, 0.01, 0 }, { 7.0, 0.01, 0 },
	                                 { -0.002, 0.01, 0 } };
	struct select_result r;

	(void)state;
	assert_int_equal(select_sources(c, 5, &r), 0);
	assert_int_equal(r.n_survivors, 3);
	assert_false(c[0].survivor || c[3].survivor);
	assert_true(fabs(r.offset_s - (-0.001 / 3)) < 1e-9);
}

/* Three that disagree pairwise: no two overlap, so no majority. */
static void test_three_apart_have_no_majority(void **state)
{
	struct select_candidate c[3] = { { 0.0, 0.1, 0 }, { 1.0, 0.1, 0 }, { 2.0, 0.1, 0 } };
	struct select_result r;

	(void)state;
	assert_int_equal(select_sources(c, 3, &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_servers_one_falseticker),
		cmocka_unit_test(test_one_server_is_its_own_result),
		cmocka_unit_test(test_two_that_disagree_have_no_majority),
		cmocka_unit_test(test_wide_and_narrow_both_survive),
		cmocka_unit_test(test_combine_weights_by_distance),
		cmocka_unit_test(test_majority_of_five_against_two_outliers),
		cmocka_unit_test(test_three_apart_have_no_majority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
