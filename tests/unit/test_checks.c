/* Unit tests for the running clock and estimator (src/common/clock.c,
 * src/common/estimator.c): plugin errors point at their setting's line, and every
 * out-of-range value a plugin returns is refused. */
#include "common/conf.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/estimator.h"

#define GOOD_TIME_NS (1800000000LL * 1000000000LL)

static struct conf cfg;
static struct conf_errors errs;

static const char *plugin_dir(void)
{
	const char *dir = getenv("TEST_PLUGIN_DIR");

	return dir != NULL ? dir : ".libs";
}

/* Load "plugin_dir = <the test plugins>;" followed by body (so body's
 * first line is line 2). */
static void load(const char *body)
{
	char text[2048];

	conf_free(&cfg);
	conf_errors_free(&errs);
	snprintf(text, sizeof(text), "plugin_dir = \"%s\";\n%s", plugin_dir(), body);
	assert_int_equal(conf_load_string(&cfg, text, "t.conf", &errs), 0);
}

static int teardown(void **state)
{
	(void)state;
	conf_free(&cfg);
	conf_errors_free(&errs);
	return 0;
}

static void open_fake_clock(struct clock_source *cs, const char *fault)
{
	char body[256];

	snprintf(body, sizeof(body), "clock = { plugin = \"fake\"; fault = \"%s\"; };\n", fault);
	load(body);
	assert_int_equal(clock_source_open(cs, &cfg, &errs), 0);
	assert_int_equal(errs.count, 0);
}

static void open_fake_estimator(struct estimator *est, const char *fault)
{
	char body[256];

	snprintf(body, sizeof(body), "estimator = { plugin = \"fake\"; fault = \"%s\"; };\n", fault);
	load(body);
	assert_int_equal(estimator_open(est, &cfg, NULL, &errs), 0);
	assert_int_equal(errs.count, 0);
}

/* The plugins tests/unit builds into its .libs, as the loader lists them. */
#define UNIT_CLOCKS "badabi, fake, minimal, misnamed, noinit, nonow, nosym, small, wrongkind"
#define UNIT_ESTIMATORS "fake, noestimate"

static void expect_only_error(const char *want)
{
	for (size_t i = 0; i < errs.count; i++)
		print_message("  reported: %s\n", errs.messages[i]);
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.messages[0], want);
}

/* ---- clock ---- */

static void test_clock_good_values(void **state)
{
	struct clock_source cs;
	struct tsd_clock_reading r;
	struct tsd_clock_info info;
	tsd_time_ns t;

	(void)state;
	open_fake_clock(&cs, "none");
	assert_int_equal(clock_now(&cs, &r), 0);
	assert_int_equal(r.time_ns, GOOD_TIME_NS);
	assert_true(r.error_s == 0.001);
	assert_int_equal(clock_info(&cs, &info), 0);
	assert_int_equal(info.stratum, 1);
	assert_int_equal(info.precision_log2, -20);
	assert_memory_equal(info.refid, "FAKE", 4);
	assert_int_equal(clock_from_realtime(&cs, 12345, &t), 0);
	assert_int_equal(t, 12345);
	/* step and slew reach the plugin (which moves only its own time). */
	assert_int_equal(clock_step(&cs, 1.5), 0);
	assert_int_equal(clock_slew(&cs, -0.5), 0);
	assert_int_equal(clock_now(&cs, &r), 0);
	assert_int_equal(r.time_ns, GOOD_TIME_NS + 1000000000LL);
	clock_source_close(&cs);
	assert_null(cs.plugin.desc);
	clock_source_close(&cs);  /* twice is harmless */
}

static void test_clock_reading_refused(void **state)
{
	static const char *const faults[] = {
		"nan_error", "inf_error", "neg_error", "before_1970", "after_2262",
	};
	struct clock_source cs;
	struct tsd_clock_reading r;

	(void)state;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		open_fake_clock(&cs, faults[i]);
		r.time_ns = 77;
		r.error_s = 7.0;
		if (clock_now(&cs, &r) != -ERANGE)
			fail_msg("fault %s was not refused", faults[i]);
		/* Nothing of the bad reading reaches the caller. */
		assert_int_equal(r.time_ns, 77);
		assert_true(r.error_s == 7.0);
		clock_source_close(&cs);
	}
}

static void test_clock_info_refused(void **state)
{
	static const char *const faults[] = {
		"leap", "stratum", "precision", "nan_root", "neg_root", "inf_root",
	};
	struct clock_source cs;
	struct tsd_clock_info info;
	struct tsd_clock_reading r;

	(void)state;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		open_fake_clock(&cs, faults[i]);
		memset(&info, 0x5a, sizeof(info));
		if (clock_info(&cs, &info) != -ERANGE)
			fail_msg("fault %s was not refused", faults[i]);
		assert_int_equal(info.stratum, 0x5a5a5a5a);
		/* The reading itself is fine for these faults. */
		assert_int_equal(clock_now(&cs, &r), 0);
		clock_source_close(&cs);
	}
}

static void test_clock_errors_pass_through(void **state)
{
	struct clock_source cs;
	struct tsd_clock_reading r;

	(void)state;
	open_fake_clock(&cs, "fail");
	assert_int_equal(clock_now(&cs, &r), -ETIMEDOUT);
	clock_source_close(&cs);
	/* A positive return is not a success. */
	open_fake_clock(&cs, "positive");
	assert_int_equal(clock_now(&cs, &r), -EIO);
	clock_source_close(&cs);
}

static void test_clock_from_realtime_refused(void **state)
{
	struct clock_source cs;
	tsd_time_ns t = 5;

	(void)state;
	open_fake_clock(&cs, "after_2262");
	assert_int_equal(clock_from_realtime(&cs, GOOD_TIME_NS, &t), -ERANGE);
	assert_int_equal(t, 5);
	clock_source_close(&cs);
}

static void test_clock_step_slew_checks(void **state)
{
	struct clock_source cs;
	struct tsd_clock_reading r;
	tsd_time_ns t;

	(void)state;
	open_fake_clock(&cs, "none");
	assert_int_equal(clock_step(&cs, NAN), -EINVAL);
	assert_int_equal(clock_step(&cs, INFINITY), -EINVAL);
	assert_int_equal(clock_slew(&cs, -INFINITY), -EINVAL);
	assert_int_equal(clock_now(&cs, &r), 0);
	assert_int_equal(r.time_ns, GOOD_TIME_NS);  /* none of them applied */
	clock_source_close(&cs);

	/* A clock without the optional functions. */
	load("clock = { plugin = \"minimal\"; };\n");
	assert_int_equal(clock_source_open(&cs, &cfg, &errs), 0);
	assert_int_equal(clock_step(&cs, 1.0), -ENOTSUP);
	assert_int_equal(clock_slew(&cs, 1.0), -ENOTSUP);
	assert_int_equal(clock_from_realtime(&cs, 1, &t), -ENOTSUP);
	assert_int_equal(clock_now(&cs, &r), 0);
	clock_source_close(&cs);
}

static void test_clock_setting_error_line(void **state)
{
	struct clock_source cs;

	(void)state;
	load("clock = {\n"
	     "  plugin = \"fake\";\n"
	     "  offest = 5.0;\n"
	     "};\n");
	assert_int_equal(clock_source_open(&cs, &cfg, &errs), -1);
	expect_only_error("t.conf:4: clock plugin 'fake': unknown setting 'offest'");
	assert_null(cs.plugin.desc);
	assert_null(cs.plugin.handle);
}

static void test_clock_load_error_line(void **state)
{
	struct clock_source cs;
	char want[1024];

	(void)state;
	load("\nclock = { plugin = \"nosuch\"; };\n");
	assert_int_equal(clock_source_open(&cs, &cfg, &errs), -1);
	/* With the names of the clocks that are there: this directory holds
	 * the test plugins of tests/unit/Makefile.am. */
	snprintf(want, sizeof(want), "t.conf:3: clock plugin 'nosuch': %s/clock_nosuch.so: not found"
	         "; the clock plugins there: " UNIT_CLOCKS, plugin_dir());
	expect_only_error(want);

	conf_errors_free(&errs);
	load("clock = { plugin = \"badabi\"; };\n");
	assert_int_equal(clock_source_open(&cs, &cfg, &errs), -1);
	snprintf(want, sizeof(want),
	         "t.conf:2: clock plugin 'badabi': %s/clock_badabi.so: ABI version 7, expected 1 to 2",
	         plugin_dir());
	expect_only_error(want);
}

/* ---- estimator ---- */

static struct tsd_sample sample(double offset_s, double delay_s)
{
	struct tsd_sample s;

	s.t1_ns = GOOD_TIME_NS;
	s.t2_ns = s.t1_ns + (tsd_time_ns)((delay_s / 2 + offset_s) * 1e9);
	s.t3_ns = s.t2_ns + 1000;
	s.t4_ns = s.t1_ns + 1000 + (tsd_time_ns)(delay_s * 1e9);
	s.server_error_s = 0.0005;
	return s;
}

static void test_estimator_good_values(void **state)
{
	struct estimator est;
	struct tsd_estimate e;
	struct tsd_sample s = sample(0.25, 0.002);

	(void)state;
	open_fake_estimator(&est, "none");
	assert_int_equal(estimator_estimate(&est, &e), -EAGAIN);
	assert_int_equal(estimator_add(&est, &s), 0);
	assert_int_equal(estimator_estimate(&est, &e), 0);
	assert_float_equal(e.offset_s, 0.25, 1e-6);
	assert_float_equal(e.delay_s, 0.002, 1e-6);
	assert_int_equal(e.samples_used, 1);
	estimator_reset(&est);
	assert_int_equal(estimator_estimate(&est, &e), -EAGAIN);
	estimator_close(&est);
	assert_null(est.plugin.desc);
}

static void test_estimate_refused(void **state)
{
	static const char *const faults[] = {
		"nan_offset", "inf_offset", "nan_delay", "neg_error", "neg_jitter", "nan_freq",
	};
	struct estimator est;
	struct tsd_estimate e;
	struct tsd_sample s = sample(0.25, 0.002);

	(void)state;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		open_fake_estimator(&est, faults[i]);
		assert_int_equal(estimator_add(&est, &s), 0);
		memset(&e, 0, sizeof(e));
		e.samples_used = 99;
		if (estimator_estimate(&est, &e) != -ERANGE)
			fail_msg("fault %s was not refused", faults[i]);
		assert_int_equal(e.samples_used, 99);
		estimator_close(&est);
	}
	open_fake_estimator(&est, "positive");
	assert_int_equal(estimator_add(&est, &s), 0);
	assert_int_equal(estimator_estimate(&est, &e), -EIO);
	estimator_close(&est);
}

static void test_estimator_sample_checks(void **state)
{
	struct estimator est;
	struct tsd_sample s = sample(0.0, 0.001);
	struct tsd_estimate e;

	(void)state;
	open_fake_estimator(&est, "none");
	s.server_error_s = NAN;
	assert_int_equal(estimator_add(&est, &s), -EINVAL);
	s.server_error_s = -1e-3;
	assert_int_equal(estimator_add(&est, &s), -EINVAL);
	s.server_error_s = INFINITY;
	assert_int_equal(estimator_add(&est, &s), -EINVAL);
	/* The plugin's own refusal comes back as it is. */
	s.server_error_s = 0;
	s.t4_ns = s.t1_ns - 1;
	assert_int_equal(estimator_add(&est, &s), -EINVAL);
	assert_int_equal(estimator_estimate(&est, &e), -EAGAIN);
	estimator_close(&est);
}

/* tsclient -e NAME: the file's settings go only to the plugin they were
 * written for. */
static void test_estimator_name_override(void **state)
{
	struct estimator est;
	char want[1024];

	(void)state;
	load("estimator = { plugin = \"minimal\"; window = 8; };\n");
	assert_int_equal(estimator_open(&est, &cfg, "fake", &errs), 0);
	assert_string_equal(est.plugin.desc->name, "fake");
	estimator_close(&est);

	load("estimator = { plugin = \"fake\";\n bogus = 1; };\n");
	assert_int_equal(estimator_open(&est, &cfg, "fake", &errs), -1);
	expect_only_error("t.conf:3: estimator plugin 'fake': unknown setting 'bogus'");

	/* A name from the command line has no line in the file. */
	conf_errors_free(&errs);
	assert_int_equal(estimator_open(&est, &cfg, "nosuch", &errs), -1);
	snprintf(want, sizeof(want), "estimator plugin 'nosuch': %s/estimator_nosuch.so: not found"
	         "; the estimator plugins there: " UNIT_ESTIMATORS, plugin_dir());
	expect_only_error(want);

	conf_errors_free(&errs);
	assert_int_equal(estimator_open(&est, &cfg, "../x", &errs), -1);
	expect_only_error("estimator plugin '../x': invalid estimator plugin name '../x' "
	                  "(a-z, 0-9 and _ only); the estimator plugins there: " UNIT_ESTIMATORS);
}

static void test_estimator_wrong_kind(void **state)
{
	struct estimator est;
	char want[1024];

	(void)state;
	load("estimator = { plugin = \"noestimate\"; };\n");
	assert_int_equal(estimator_open(&est, &cfg, NULL, &errs), -1);
	snprintf(want, sizeof(want), "t.conf:2: estimator plugin 'noestimate': "
	         "%s/estimator_noestimate.so: required function estimator.estimate is missing",
	         plugin_dir());
	expect_only_error(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_clock_good_values, teardown),
		cmocka_unit_test_teardown(test_clock_reading_refused, teardown),
		cmocka_unit_test_teardown(test_clock_info_refused, teardown),
		cmocka_unit_test_teardown(test_clock_errors_pass_through, teardown),
		cmocka_unit_test_teardown(test_clock_from_realtime_refused, teardown),
		cmocka_unit_test_teardown(test_clock_step_slew_checks, teardown),
		cmocka_unit_test_teardown(test_clock_setting_error_line, teardown),
		cmocka_unit_test_teardown(test_clock_load_error_line, teardown),
		cmocka_unit_test_teardown(test_estimator_good_values, teardown),
		cmocka_unit_test_teardown(test_estimate_refused, teardown),
		cmocka_unit_test_teardown(test_estimator_sample_checks, teardown),
		cmocka_unit_test_teardown(test_estimator_name_override, teardown),
		cmocka_unit_test_teardown(test_estimator_wrong_kind, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
