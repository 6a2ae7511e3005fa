/* Unit tests for the control protocol's framing (src/common/control_wire.c)
 * and the reply writer (src/tsd/ctl_out.c): round trips, every kind of bad
 * request, incomplete input, and the same tree as JSON and as text. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/control_wire.h"
#include "tsd/ctl_out.h"

static int parse(const char *text, struct control_request *req, const char **why)
{
	return control_parse_request(text, strlen(text), req, why);
}

static void request_round_trip(void **state)
{
	struct control_request in = { CONTROL_STATS, 1 }, out = { 0 };
	const char *why = NULL;
	char buf[CONTROL_MAX_REQUEST];
	int n;

	(void)state;
	n = control_format_request(buf, sizeof(buf), &in);
	assert_int_equal(n, (int)strlen("TSDCTL/1 stats json\n"));
	assert_memory_equal(buf, "TSDCTL/1 stats json\n", (size_t)n);
	assert_int_equal(control_parse_request(buf, (size_t)n, &out, &why), 0);
	assert_int_equal(out.command, CONTROL_STATS);
	assert_int_equal(out.json, 1);
	assert_int_equal(parse("TSDCTL/1 reload\n", &out, &why), 0);
	assert_int_equal(out.command, CONTROL_RELOAD);
	assert_int_equal(out.json, 0);
}

static void request_incomplete(void **state)
{
	struct control_request req;
	const char *why;

	(void)state;
	assert_int_equal(parse("", &req, &why), 1);
	assert_int_equal(parse("TSDCTL/1 sta", &req, &why), 1);
	char full[CONTROL_MAX_REQUEST];
	memset(full, 'A', sizeof(full));
	/* A full buffer without a newline can never complete. */
	assert_int_equal(control_parse_request(full, sizeof(full), &req, &why), -1);
}

static void request_bad(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.0\n", "TSDCTL/2 status\n", "TSDCTL/1\n", "TSDCTL/1 \n",
		"TSDCTL/1 stop\n", "TSDCTL/1 status xml\n", "TSDCTL/1 status\nmore",
		"tsdctl/1 status\n",
	};
	struct control_request req;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(parse(bad[i], &req, &why), -1);
		assert_non_null(why);
	}
	assert_int_equal(control_parse_request("TSDCTL/1 st\0tus\n", 16, &req, &why), -1);
}

static void header_round_trip(void **state)
{
	struct control_header h;
	char buf[CONTROL_MAX_HEADER + 8];
	size_t hl;
	int n;

	(void)state;
	n = control_format_header(buf, sizeof(buf), CONTROL_FAILED, 1234);
	assert_true(n > 0);
	memcpy(buf + n, "body", 4);
	assert_int_equal(control_parse_header(buf, (size_t)n + 4, &h, &hl), 0);
	assert_int_equal(hl, (size_t)n);
	assert_int_equal(h.version, CONTROL_VERSION);
	assert_int_equal(h.code, CONTROL_FAILED);
	assert_int_equal(h.body_len, 1234);
	assert_int_equal(control_parse_header(buf, (size_t)n - 1, &h, &hl), 1);
	assert_int_equal(control_parse_header("TSDCTL/1 0 99999999999\n", 23, &h, &hl), -1);
	assert_int_equal(control_parse_header("TSDCTL/1 9 1\n", 13, &h, &hl), -1);
	assert_int_equal(control_parse_header("HTTP/1.0 200 OK\n", 16, &h, &hl), -1);
	assert_int_equal(control_parse_header("TSDCTL/1 0 1 2\n", 15, &h, &hl), -1);
}

static void tree(struct ctl_out *o)
{
	ctl_out_str(o, "version", "1.\"2\"");
	ctl_out_object(o, "clock");
	ctl_out_int(o, "stratum", -1);
	ctl_out_num(o, "root_s", 0.5);
	ctl_out_null(o, "refid");
	ctl_out_end(o);
	ctl_out_array(o, "workers");
	for (int i = 0; i < 2; i++) {
		ctl_out_object(o, NULL);
		ctl_out_uint(o, "pid", 10u + (unsigned)i);
		ctl_out_bool(o, "ok", i);
		ctl_out_end(o);
	}
	ctl_out_end(o);
	ctl_out_array(o, "none");
	ctl_out_end(o);
}

static void out_json(void **state)
{
	struct ctl_out o;

	(void)state;
	ctl_out_init(&o, 1);
	tree(&o);
	assert_string_equal(ctl_out_finish(&o),
		"{\"version\":\"1.\\\"2\\\"\",\"clock\":{\"stratum\":-1,\"root_s\":0.5,"
		"\"refid\":null},\"workers\":[{\"pid\":10,\"ok\":false},{\"pid\":11,\"ok\":true}],"
		"\"none\":[]}\n");
	ctl_out_free(&o);
}

static void out_text(void **state)
{
	struct ctl_out o;

	(void)state;
	ctl_out_init(&o, 0);
	tree(&o);
	assert_string_equal(ctl_out_finish(&o),
		"version: 1.\"2\"\n"
		"clock:\n  stratum: -1\n  root_s: 0.5\n  refid: -\n"
		"workers:\n  - pid: 10\n    ok: false\n  - pid: 11\n    ok: true\n"
		"none:\n  (none)\n");
	ctl_out_free(&o);
}

static void out_too_deep(void **state)
{
	struct ctl_out o;

	(void)state;
	ctl_out_init(&o, 1);
	for (int i = 0; i < CTL_OUT_MAX_DEPTH + 2; i++)
		ctl_out_object(&o, "x");
	assert_null(ctl_out_finish(&o));
	ctl_out_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_round_trip),
		cmocka_unit_test(request_incomplete),
		cmocka_unit_test(request_bad),
		cmocka_unit_test(header_round_trip),
		cmocka_unit_test(out_json),
		cmocka_unit_test(out_text),
		cmocka_unit_test(out_too_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
