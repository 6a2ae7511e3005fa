/* Unit tests for combining the samples into a result (src/query/outcome.c):
 * each server's samples through the estimator (minfilter, from
 * $PLUGIN_DIR), the selection across servers, the system peer, and the
 * status and reason of every server left out. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client_fixture.h"
#include "query/outcome.h"

static const tsd_time_ns base = 1795718583000000000LL;

/* Two samples: offset 10 ms at delay 4 ms, and 12 ms at 8 ms; minfilter
 * takes the first (the least delay). */
static void good_server(struct measurement *m, const char *host, tsd_time_ns t1)
{
	struct tsd_sample s[2] = { exchange_with(t1, 10 * MS_NS, 4 * MS_NS),
	                           exchange_with(t1 + 100 * MS_NS, 12 * MS_NS, 8 * MS_NS) };

	measured(m, host, 11932, s, 2);
}

static void test_two_agree_one_falseticker_one_unreachable(void **state)
{
	struct measurement *m = test_calloc(4, sizeof(*m));
	struct server_result servers[4];
	struct tsd_sample far = exchange_with(base, 5000 * MS_NS, 4 * MS_NS);
	struct estimator est;
	struct outcome o = { 0 };

	(void)state;
	open_minfilter(&est);
	good_server(&m[0], "a", base);
	good_server(&m[1], "b", base + 1000 * MS_NS);   /* the newer T4 */
	measured(&m[2], "c", 11932, &far, 1);
	m[3].server = (struct server_spec){ "d", 11932 };
	m[3].status = MEASURE_UNREACHABLE;
	strcpy(m[3].why, "no reply");
	assert_int_equal(outcome_build(&o, servers, m, 4, &est), 0);

	assert_true(o.synced);
	assert_int_equal(o.sel.n_survivors, 2);
	assert_true(fabs(o.sel.offset_s - 0.010) < 1e-9);
	assert_true(fabs(o.delay_s - 0.004) < 1e-9);
	assert_int_equal(o.local_ns, m[1].samples[1].t4_ns);
	assert_int_equal(servers[0].status, SERVER_SELECTED);
	assert_int_equal(servers[1].status, SERVER_SELECTED);
	/* minfilter's bound: half the delay plus the other sample's spread. */
	assert_true(fabs(servers[0].est.error_s - 0.004) < 1e-9);
	assert_int_equal(servers[0].est.samples_used, 2);
	assert_int_equal(servers[2].status, SERVER_FALSETICKER);
	assert_non_null(strstr(servers[2].reason, "offset +5.000000 s is outside the majority's"));
	assert_int_equal(servers[3].status, SERVER_UNREACHABLE);
	assert_string_equal(servers[3].reason, "no reply");
	assert_false(servers[3].has_estimate);
	estimator_close(&est);
	test_free(m);
}

/* Servers that agree on different offsets are combined to the middle of
 * what both allow: near [9, 11] ms and far [8, 14] ms give 10 +- 1 ms, so
 * the wider interval cannot pull the result (query/select.c). */
static void test_combined_offset_is_the_common_part(void **state)
{
	struct measurement *m = test_calloc(2, sizeof(*m));
	struct server_result servers[2];
	struct tsd_sample near = exchange_with(base, 10 * MS_NS, 2 * MS_NS);
	struct tsd_sample far = exchange_with(base, 11 * MS_NS, 6 * MS_NS);
	struct estimator est;
	struct outcome o = { 0 };

	(void)state;
	open_minfilter(&est);
	measured(&m[0], "near", 11932, &near, 1);
	measured(&m[1], "far", 11932, &far, 1);
	assert_int_equal(outcome_build(&o, servers, m, 2, &est), 0);
	assert_int_equal(o.sel.n_survivors, 2);
	assert_true(fabs(servers[0].distance_s - 0.001) < 1e-12);
	assert_true(fabs(servers[1].distance_s - 0.003) < 1e-12);
	assert_true(fabs(o.sel.offset_s - 0.010) < 1e-9);
	assert_true(fabs(o.sel.error_s - 0.001) < 1e-9);
	assert_true(fabs(o.delay_s - 0.002) < 1e-9);           /* the system peer: near */
	estimator_close(&est);
	test_free(m);
}

static void test_nothing_usable_is_not_synced(void **state)
{
	struct measurement *m = test_calloc(2, sizeof(*m));
	struct server_result servers[2];
	struct estimator est;
	struct outcome o = { 0 };

	(void)state;
	open_minfilter(&est);
	m[0].status = MEASURE_UNSYNCED;
	strcpy(m[0].why, "server a:1 is not synchronized (leap 3, stratum 0)");
	m[1].status = MEASURE_BAD_REPLY;
	assert_int_equal(outcome_build(&o, servers, m, 2, &est), -1);
	assert_false(o.synced);
	assert_int_equal(servers[0].status, SERVER_UNSYNCED);
	assert_string_equal(servers[0].reason, m[0].why);
	assert_int_equal(servers[1].status, SERVER_BAD_REPLY);
	assert_string_equal(outcome_status_name(servers[0].status), "unsynchronized");
	assert_string_equal(outcome_status_name(SERVER_FALSETICKER), "falseticker");
	estimator_close(&est);
	test_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_agree_one_falseticker_one_unreachable),
		cmocka_unit_test(test_combined_offset_is_the_common_part),
		cmocka_unit_test(test_nothing_usable_is_not_synced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
