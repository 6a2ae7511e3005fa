/* Unit tests for tsclient's output (src/tsclient/report.c, report_json.c):
 * the REMOTE_TIME, LOCAL_TIME and RTT_ESTIMATE lines with the corrected
 * formulas, the reasons for unused servers, and the JSON object. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client_fixture.h"
#include "tsclient/report.h"

/* What f wrote, as a string the caller frees. */
struct capture {
	FILE *f;
	char *text;
	size_t len;
};

static void capture_start(struct capture *c)
{
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
}

static char *capture_end(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->text;
}

/* report_json's text for o, which the caller frees. */
static char *json_of(const struct outcome *o)
{
	struct capture c;

	capture_start(&c);
	report_json(c.f, o);
	return capture_end(&c);
}

static void test_report_ms_floors(void **state)
{
	(void)state;
	assert_int_equal(report_ms(1764170000123456789LL, 0.0), 1764170000123LL);
	assert_int_equal(report_ms(1764170000123456789LL, 0.25), 1764170000373LL);
	assert_int_equal(report_ms(1764170000123456789LL, -0.5), 1764169999623LL);
	/* Before 1970 the floor goes down, not toward zero. */
	assert_int_equal(report_ms(-1, 0.0), -1);
	assert_int_equal(report_ms(-1000000, 0.0), -1);
	assert_int_equal(report_ms(-1000001, 0.0), -2);
}

/* One exchange, T1 = 1000 ms, T2 = 1060, T3 = 1061, T4 = 1021 (past a base):
 * the offset is 50 ms and the round trip 20 ms. tsclient prints the
 * server's time at T4, T4 + 50 = 1071, and the whole round trip, 20. The
 * course report's formulas would give T3 + RTT / 2 = 1066 with its RTT
 * [(T2 - T1) + (T4 - T3)] / 2 = 10: the lines come from the corrected ones. */
static void test_lines_use_the_corrected_formulas(void **state)
{
	const tsd_time_ns base = 1764170000000LL * MS_NS;
	struct tsd_sample s = { base + 1000 * MS_NS, base + 1060 * MS_NS,
	                        base + 1061 * MS_NS, base + 1021 * MS_NS, 0 };
	struct measurement *m = test_calloc(1, sizeof(*m));
	struct server_result server;
	struct estimator est;
	struct outcome o = { 0 };
	struct capture c;
	char *text;

	(void)state;
	open_minfilter(&est);
	measured(m, "127.0.0.1", 11932, &s, 1);
	assert_int_equal(outcome_build(&o, &server, m, 1, &est), 0);
	capture_start(&c);
	report_lines(c.f, &o);
	text = capture_end(&c);
	assert_string_equal(text, "REMOTE_TIME 1764170001071\n"
	                          "LOCAL_TIME 1764170001021\n"
	                          "RTT_ESTIMATE 20\n");
	free(text);
	estimator_close(&est);
	test_free(m);
}

static void test_failures_name_each_unused_server(void **state)
{
	struct measurement m[2];
	struct server_result r[2] = { 0 };
	struct outcome o = { .servers = r, .n_servers = 2 };
	struct capture c;
	char *text;

	(void)state;
	m[0].server = (struct server_spec){ "a.example", 11932 };
	m[1].server = (struct server_spec){ "::1", 123 };
	r[0] = (struct server_result){ .m = &m[0], .status = SERVER_SELECTED };
	r[1] = (struct server_result){ .m = &m[1], .status = SERVER_UNREACHABLE };
	strcpy(r[1].reason, "no reply from [::1]:123 within 2 s");
	capture_start(&c);
	report_failures(c.f, &o);
	text = capture_end(&c);
	assert_string_equal(text, "tsclient: ::1 port 123: unreachable: "
	                          "no reply from [::1]:123 within 2 s\n");
	free(text);
}

/* An outcome by hand: one server selected with two exchanges, a step. */
static void synced_outcome(struct outcome *o, struct server_result *r, struct measurement *m)
{
	const tsd_time_ns t1 = 1764170000000LL * MS_NS;

	memset(m, 0, sizeof(*m));
	m->server = (struct server_spec){ "ntp \"one\"", 11932 };
	m->samples[0] = (struct tsd_sample){ t1, t1 + 7, t1 + 8, t1 + 20, 0 };
	m->n_samples = 1;
	m->header_seen = 1;
	m->leap = 1;
	m->stratum = 2;
	memcpy(m->refid, "\xc0\x00\x02\x01", 4);
	m->root_delay_s = 0.5;
	m->root_dispersion_s = 0.25;
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->status = SERVER_SELECTED;
	r->has_estimate = 1;
	r->est = (struct tsd_estimate){ .offset_s = 0.25, .delay_s = 0.02, .error_s = 0.01,
	                                .jitter_s = 0.0, .samples_used = 1 };
	r->distance_s = 0.01;
	memset(o, 0, sizeof(*o));
	o->servers = r;
	o->n_servers = 1;
	o->synced = 1;
	o->sel = (struct select_result){ .offset_s = 0.25, .error_s = 0.01, .n_survivors = 1 };
	o->local_ns = t1 + 20;
	o->delay_s = 0.02;
	o->estimator = "minfilter";
	o->corr = (struct correction){ .mode = CORRECT_STEP, .applied = 1, .offset_s = 0.25,
	                               .observed_s = 0.25 };
}

static void test_json_synced(void **state)
{
	struct measurement *m = test_calloc(1, sizeof(*m));
	struct server_result r;
	struct outcome o;
	char *text;

	(void)state;
	synced_outcome(&o, &r, m);
	text = json_of(&o);
	assert_string_equal(text,
		"{\n"
		"  \"synced\": true,\n"
		"  \"estimator\": \"minfilter\",\n"
		"  \"remote_time_ms\": 1764170000250,\n"
		"  \"local_time_ms\": 1764170000000,\n"
		"  \"rtt_ms\": 20.000,\n"
		"  \"offset_s\": 0.250000000,\n"
		"  \"delay_s\": 0.020000000,\n"
		"  \"error_s\": 0.010000000,\n"
		"  \"jitter_s\": 0.000000000,\n"
		"  \"survivors\": 1,\n"
		"  \"correction\": {\"mode\": \"step\", \"applied\": true, \"offset_s\": 0.250000000, "
		"\"observed_s\": 0.250000000},\n"
		"  \"servers\": [\n"
		"    {\"host\": \"ntp \\\"one\\\"\", \"port\": 11932, \"status\": \"selected\", "
		"\"offset_s\": 0.250000000, \"delay_s\": 0.020000000, \"error_s\": 0.010000000, "
		"\"jitter_s\": 0.000000000, \"distance_s\": 0.010000000, \"samples_used\": 1, "
		"\"samples\": 1, \"bad_replies\": 0, \"refused\": 0, \"kernel_t1\": 0, "
		"\"kernel_t4\": 0, \"interleaved_t3\": 0, \"authenticated\": false, \"leap\": 1, "
		"\"stratum\": 2, \"refid\": \"192.0.2.1\", \"refid_hex\": \"C0000201\", "
		"\"root_delay_s\": 0.500000000, "
		"\"root_dispersion_s\": 0.250000000, \"exchanges_ns\": [[1764170000000000000, "
		"1764170000000000007, 1764170000000000008, 1764170000000000020]]}\n"
		"  ]\n"
		"}\n");
	free(text);
	test_free(m);
}

/* Not synchronised: nulls where there is no answer, the reason escaped
 * (quotes, backslashes and control characters). */
static void test_json_unsynced_escapes_reason(void **state)
{
	struct measurement *m = test_calloc(1, sizeof(*m));
	struct server_result r = { 0 };
	struct outcome o = { .servers = &r, .n_servers = 1, .estimator = "ntp" };
	char *text;

	(void)state;
	m->server = (struct server_spec){ "h", 1 };
	r.m = m;
	r.status = SERVER_BAD_REPLY;
	strcpy(r.reason, "bad \"x\"\\\n\x7f");
	text = json_of(&o);
	assert_string_equal(text,
		"{\n"
		"  \"synced\": false,\n"
		"  \"estimator\": \"ntp\",\n"
		"  \"remote_time_ms\": null,\n"
		"  \"local_time_ms\": null,\n"
		"  \"rtt_ms\": null,\n"
		"  \"offset_s\": null,\n"
		"  \"delay_s\": null,\n"
		"  \"error_s\": null,\n"
		"  \"jitter_s\": null,\n"
		"  \"survivors\": 0,\n"
		"  \"correction\": null,\n"
		"  \"servers\": [\n"
		"    {\"host\": \"h\", \"port\": 1, \"status\": \"bad_reply\", \"offset_s\": null, "
		"\"delay_s\": null, \"error_s\": null, \"jitter_s\": null, \"distance_s\": null, "
		"\"samples_used\": null, \"samples\": 0, \"bad_replies\": 0, "
		"\"refused\": 0, \"kernel_t1\": 0, \"kernel_t4\": 0, \"interleaved_t3\": 0, \"authenticated\": false, \"exchanges_ns\": [], "
		"\"reason\": \"bad \\\"x\\\"\\\\\\u000a\\u007f\"}\n"
		"  ]\n"
		"}\n");
	free(text);
	test_free(m);
}

/* Each duration in the unit that suits it; the unit changes where the
 * rounded value would reach 1000, so nothing prints as "1000.0 us". */
static void test_duration_units(void **state)
{
	char buf[DURATION_LEN];

	(void)state;
	assert_string_equal(report_duration(0.0, buf, sizeof(buf)), "+0.0 us");
	assert_string_equal(report_duration(12.34e-6, buf, sizeof(buf)), "+12.3 us");
	assert_string_equal(report_duration(-999.9e-6, buf, sizeof(buf)), "-999.9 us");
	assert_string_equal(report_duration(999.96e-6, buf, sizeof(buf)), "+1.000 ms");
	assert_string_equal(report_duration(-0.25, buf, sizeof(buf)), "-250.000 ms");
	assert_string_equal(report_duration(0.9999999, buf, sizeof(buf)), "+1.000000 s");
	assert_string_equal(report_duration(-1234.5, buf, sizeof(buf)), "-1234.500000 s");
}

/* -v of one sample: units that suit each value, the server's leap and
 * reference ID, and "1 sample", never "1 samples". */
static void test_verbose_units_and_counts(void **state)
{
	struct measurement *m = test_calloc(1, sizeof(*m));
	struct server_result r;
	struct outcome o;
	struct capture c;
	char *text;

	(void)state;
	synced_outcome(&o, &r, m);
	m->n_bad = 1;
	capture_start(&c);
	report_verbose(c.f, &o);
	text = capture_end(&c);
	assert_non_null(strstr(text, "  stratum 2, leap 1, reference ID C0000201 (192.0.2.1), "
	                             "root delay 500.000 ms, root dispersion 250.000 ms\n"));
	assert_non_null(strstr(text, "  1 sample, 1 invalid reply, "));
	assert_non_null(strstr(text, "estimate: offset +250.000 ms, delay 20.000 ms, "
	                             "error bound 10.000 ms, jitter 0.0 us (1 sample used)\n"));
	assert_non_null(strstr(text, "combined (minfilter): offset +250.000 ms, "));
	/* The sample's row: offset (7 + 8 - 0 - 20) / 2 ns, delay 20 - 1 ns. */
	assert_non_null(strstr(text, "  -0.0 us        0.0 us\n"));
	assert_null(strstr(text, "1 samples"));
	assert_null(strstr(text, "1 servers"));
	free(text);
	test_free(m);
}

/* With a result, the servers not used are still named, one line each,
 * without the long advice that is only for a run that gives nothing. */
static void test_failures_with_a_result(void **state)
{
	struct measurement *m = test_calloc(3, sizeof(*m));
	struct server_result r[3];
	struct outcome o;
	struct capture c;
	char *text;

	(void)state;
	synced_outcome(&o, &r[0], &m[0]);
	o.servers = r;
	o.n_servers = 3;
	m[1].server = (struct server_spec){ "b.example", 11932 };
	m[2].server = (struct server_spec){ "c.example", 123 };
	r[1] = (struct server_result){ .m = &m[1], .status = SERVER_UNREACHABLE };
	strcpy(r[1].reason, "cannot connect: Connection refused");
	r[2] = (struct server_result){ .m = &m[2], .status = SERVER_UNSYNCED };
	strcpy(r[2].reason, "leap 3");
	capture_start(&c);
	assert_int_equal(report_failures(c.f, &o), 2);
	text = capture_end(&c);
	assert_string_equal(text, "tsclient: b.example port 11932: unreachable: "
	                          "cannot connect: Connection refused\n"
	                          "tsclient: c.example port 123: unsynchronized: leap 3\n");
	free(text);
	o.synced = 0;
	capture_start(&c);
	assert_int_equal(report_failures(c.f, &o), 2);
	text = capture_end(&c);
	assert_non_null(strstr(text, "local_stratum"));
	free(text);
	test_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_ms_floors),
		cmocka_unit_test(test_lines_use_the_corrected_formulas),
		cmocka_unit_test(test_failures_name_each_unused_server),
		cmocka_unit_test(test_json_synced),
		cmocka_unit_test(test_json_unsynced_escapes_reason),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_verbose_units_and_counts),
		cmocka_unit_test(test_failures_with_a_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
