/* Unit tests for the clock correction's checks (src/tsclient/correct.c):
 * the kernel discipline test reads adjtimex only with modes 0 (adjtimex is
 * wrapped: the real one is never called here), and a correction beyond
 * client.max_step is refused without --force before the clock is touched. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>
#include <cmocka.h>

#include "tsclient/correct.h"

static int fake_status;
static int fake_result;
static int calls;

int __wrap_adjtimex(struct timex *tx);
int __wrap_adjtimex(struct timex *tx)
{
	calls++;
	/* Anything but a pure read would change this machine's clock. */
	assert_int_equal(tx->modes, 0);
	tx->status = fake_status;
	return fake_result;
}

static int disciplined(int status, int result, char *why, size_t len)
{
	fake_status = status;
	fake_result = result;
	return correct_kernel_disciplined(why, len);
}

static void test_unsynchronised_kernel_is_free(void **state)
{
	char why[96] = "";

	(void)state;
	calls = 0;
	/* What these build machines report: nobody disciplines the clock. */
	assert_int_equal(disciplined(STA_UNSYNC, TIME_ERROR, why, sizeof(why)), 0);
	assert_int_equal(disciplined(STA_UNSYNC | STA_NANO, TIME_ERROR, why, sizeof(why)), 0);
	/* adjtimex failing says nothing. */
	assert_int_equal(disciplined(0, -1, why, sizeof(why)), 0);
	assert_int_equal(calls, 3);
}

static void test_disciplined_kernel_is_noticed(void **state)
{
	char why[96];

	(void)state;
	/* chronyd: synchronised, PLL off. */
	assert_int_equal(disciplined(STA_NANO, TIME_OK, why, sizeof(why)), 1);
	assert_string_equal(why, "the kernel reports it synchronised");
	/* ntpd: the kernel PLL on. */
	assert_int_equal(disciplined(STA_PLL | STA_NANO, TIME_OK, why, sizeof(why)), 1);
	assert_string_equal(why, "the kernel reports it synchronised, PLL on");
	/* A daemon that just started: PLL on, not yet synchronised. */
	assert_int_equal(disciplined(STA_PLL | STA_UNSYNC, TIME_ERROR, why, sizeof(why)), 1);
	assert_string_equal(why, "the kernel reports it unsynchronised, PLL on");
	assert_int_equal(disciplined(STA_FLL, TIME_OK, why, sizeof(why)), 1);
	assert_string_equal(why, "the kernel reports it synchronised, FLL on");
}

static void test_kernel_clocks(void **state)
{
	(void)state;
	assert_true(correct_touches_kernel("realtime"));
	assert_true(correct_touches_kernel("tai"));
	assert_false(correct_touches_kernel("sim"));
	assert_false(correct_touches_kernel("phc"));
	assert_false(correct_touches_kernel(NULL));
}

/* Refused before the clock is read or adjusted: the clock source here is
 * empty, and adjtimex is not even asked. */
static void test_beyond_max_step_refused(void **state)
{
	struct clock_source none;
	struct outcome o;

	(void)state;
	memset(&none, 0, sizeof(none));
	memset(&o, 0, sizeof(o));
	calls = 0;
	o.sel.offset_s = -1000.5;
	o.corr.mode = CORRECT_STEP;
	assert_int_equal(correct_clock(&o, &none, "realtime", 1000.0, 0), -1);
	assert_false(o.corr.applied);
	assert_true(o.corr.offset_s == -1000.5);
	assert_non_null(strstr(o.corr.error, "larger than client.max_step (1000 s)"));
	assert_non_null(strstr(o.corr.error, "--force steps anyway"));
	o.corr.mode = CORRECT_SLEW;
	o.sel.offset_s = 3.0;
	assert_int_equal(correct_clock(&o, &none, "realtime", 2.5, 0), -1);
	assert_non_null(strstr(o.corr.error, "--force slews anyway"));
	assert_int_equal(calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsynchronised_kernel_is_free),
		cmocka_unit_test(test_disciplined_kernel_is_noticed),
		cmocka_unit_test(test_kernel_clocks),
		cmocka_unit_test(test_beyond_max_step_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
