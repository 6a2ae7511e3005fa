/* Unit tests for chronyd's tracking report on the wire
 * (plugins/clock/chronyd_tracking.c): replies built here byte by byte from
 * the layout of chrony's command protocol version 6, accepted with every
 * value read right, and refused for each way they can be wrong. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chronyd_tracking.h"

#define SEQ 0x12345678u

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* chronyd's float for a few exact values: coef * 2^(exp - 25). */
static uint32_t wire_float(int exp, int32_t coef)
{
	return ((uint32_t)(exp & 0x7f) << 25) | ((uint32_t)coef & 0x1ffffffu);
}

/* A good reply: stratum 3, leap 0, reference ID 127.0.0.1, updated at
 * 2026-01-01T00:00:00.5Z, root delay 2^-8 s, root dispersion 3 * 2^-11 s. */
static void good_reply(uint8_t b[CHRONYD_TRACKING_LEN])
{
	memset(b, 0, CHRONYD_TRACKING_LEN);
	b[0] = 6;
	b[1] = 2;
	put16(b + 4, 33);
	put16(b + 6, 5);
	put16(b + 8, 0);
	put32(b + 16, SEQ);
	put32(b + 28, 0x7f000001);
	put16(b + 48, 1);
	put16(b + 52, 3);
	put16(b + 54, 0);
	put32(b + 56, 0x7fffffff);
	put32(b + 60, 1767225600u);
	put32(b + 64, 500000000u);
	put32(b + 92, wire_float(-6, 1 << 23));     /* 2^23 * 2^-31 = 2^-8 */
	put32(b + 96, wire_float(-8, 3 << 22));     /* 3 * 2^22 * 2^-33 = 3 * 2^-11 */
	put32(b + 100, wire_float(7, 1 << 23));     /* update interval: ignored */
}

static int parse(const uint8_t *b, size_t len, struct chronyd_tracking *t, char *why)
{
	return chronyd_tracking_parse(b, len, SEQ, t, why, 160);
}

static void test_request_layout(void **state)
{
	uint8_t req[CHRONYD_TRACKING_LEN];

	(void)state;
	memset(req, 0xaa, sizeof(req));
	chronyd_tracking_request(req, 0xdeadbeef);
	assert_int_equal(req[0], 6);
	assert_int_equal(req[1], 1);
	assert_int_equal(req[2] | req[3], 0);
	assert_int_equal(req[4] << 8 | req[5], 33);
	assert_int_equal(req[6] << 8 | req[7], 0);
	assert_memory_equal(req + 8, "\xde\xad\xbe\xef", 4);
	for (size_t i = 12; i < sizeof(req); i++)
		assert_int_equal(req[i], 0);
}

static void test_float(void **state)
{
	(void)state;
	assert_true(chronyd_float(0) == 0.0);
	assert_true(chronyd_float(wire_float(2, 1 << 23)) == 1.0);
	assert_true(chronyd_float(wire_float(25, -1)) == -1.0);
	assert_true(chronyd_float(wire_float(-1, 1)) == ldexp(1.0, -26));
	assert_true(chronyd_float(wire_float(63, (1 << 24) - 1)) == ldexp((1 << 24) - 1, 38));
	assert_true(chronyd_float(wire_float(-64, 5)) == ldexp(5.0, -89));
}

static void test_good_reply(void **state)
{
	uint8_t b[CHRONYD_TRACKING_LEN];
	struct chronyd_tracking t;
	char why[160] = "";

	(void)state;
	good_reply(b);
	assert_int_equal(parse(b, sizeof(b), &t, why), 0);
	assert_int_equal(t.ref_id, 0x7f000001);
	assert_int_equal(t.stratum, 3);
	assert_int_equal(t.leap, TSD_LEAP_NONE);
	assert_true(t.ref_time_ns == 1767225600500000000LL);
	assert_true(t.root_delay_s == ldexp(1.0, -8));
	assert_true(t.root_dispersion_s == 3 * ldexp(1.0, -11));
	assert_true(chronyd_tracking_synced(&t));
}

static void test_reference_time(void **state)
{
	uint8_t b[CHRONYD_TRACKING_LEN];
	struct chronyd_tracking t;
	char why[160];

	(void)state;
	good_reply(b);
	put32(b + 56, 0);               /* a 64-bit time_t: high word 0 */
	assert_int_equal(parse(b, sizeof(b), &t, why), 0);
	assert_true(t.ref_time_ns == 1767225600500000000LL);
	put32(b + 56, 1);               /* 2106 and later */
	assert_int_equal(parse(b, sizeof(b), &t, why), 0);
	assert_true(t.ref_time_ns == (4294967296LL + 1767225600LL) * 1000000000LL + 500000000);
	put32(b + 60, 0);
	put32(b + 64, 0);
	put32(b + 56, 0x7fffffff);      /* never updated */
	assert_int_equal(parse(b, sizeof(b), &t, why), 0);
	assert_true(t.ref_time_ns == 0);
}

struct bad {
	size_t offset;     /* where to write */
	int width;         /* 1, 2 or 4 bytes */
	uint32_t value;
	const char *why;   /* in the reason */
};

static const struct bad bad_replies[] = {
	{ 0, 1, 5, "protocol version 5, expected 6" },
	{ 1, 1, 1, "not a reply (packet type 1)" },
	{ 2, 1, 1, "not a reply" },
	{ 3, 1, 9, "not a reply" },
	{ 4, 2, 34, "answers command 34, not tracking" },
	{ 6, 2, 6, "reply type 6, not tracking" },
	{ 8, 2, 2, "status 2 (request refused)" },
	{ 16, 4, SEQ + 1, "sequence number 305419897, expected 305419896" },
	{ 48, 2, 4, "address family 4 unknown" },
	{ 52, 2, 17, "stratum 17 out of range" },
	{ 54, 2, 4, "leap status 4 out of range" },
	{ 56, 4, 3, "reference time out of range" },
	{ 64, 4, 1000000000u, "reference time out of range" },
	{ 92, 4, 0x01ffffffu, "root delay" },                     /* -2^-25 */
	{ 96, 4, 0x01ffffffu, "root dispersion" },
	{ 92, 4, (8u << 25) | (1u << 22), "root delay 32 s out of range" },
	{ 96, 4, (6u << 25) | ((1u << 24) - 1), "root dispersion" }, /* just under 32 s */
};

static void poke(uint8_t *b, const struct bad *bad)
{
	if (bad->width == 1)
		b[bad->offset] = (uint8_t)bad->value;
	else if (bad->width == 2)
		put16(b + bad->offset, bad->value);
	else
		put32(b + bad->offset, bad->value);
}

static void test_refused_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_replies) / sizeof(bad_replies[0]); i++) {
		uint8_t b[CHRONYD_TRACKING_LEN];
		struct chronyd_tracking t = { .stratum = 99 };
		char why[160] = "";

		good_reply(b);
		poke(b, &bad_replies[i]);
		assert_int_equal(parse(b, sizeof(b), &t, why), -1);
		if (strstr(why, bad_replies[i].why) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, why, bad_replies[i].why);
		assert_int_equal(t.stratum, 99); /* nothing written */
	}
}

static void test_refused_sizes(void **state)
{
	uint8_t b[2048];
	struct chronyd_tracking t;
	char why[160];

	(void)state;
	memset(b, 0, sizeof(b));
	good_reply(b);
	assert_int_equal(parse(b, 0, &t, why), -1);
	assert_string_equal(why, "0 bytes, expected 104");
	assert_int_equal(parse(b, 28, &t, why), -1);
	assert_int_equal(parse(b, CHRONYD_TRACKING_LEN - 1, &t, why), -1);
	assert_string_equal(why, "103 bytes, expected 104");
	assert_int_equal(parse(b, CHRONYD_TRACKING_LEN + 1, &t, why), -1);
	assert_int_equal(parse(b, sizeof(b), &t, why), -1);
	assert_string_equal(why, "2048 bytes, expected 104");
}

static void test_synced(void **state)
{
	struct chronyd_tracking t = { .stratum = 3, .leap = TSD_LEAP_NONE };

	(void)state;
	assert_true(chronyd_tracking_synced(&t));
	t.leap = TSD_LEAP_INSERT;
	assert_true(chronyd_tracking_synced(&t));
	t.leap = TSD_LEAP_UNSYNC;
	assert_false(chronyd_tracking_synced(&t));
	t.leap = TSD_LEAP_NONE;
	t.stratum = 0;               /* chronyd's "no reference" */
	assert_false(chronyd_tracking_synced(&t));
	t.stratum = 16;
	assert_false(chronyd_tracking_synced(&t));
	t.stratum = 15;
	assert_true(chronyd_tracking_synced(&t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_layout),
		cmocka_unit_test(test_float),
		cmocka_unit_test(test_good_reply),
		cmocka_unit_test(test_reference_time),
		cmocka_unit_test(test_refused_fields),
		cmocka_unit_test(test_refused_sizes),
		cmocka_unit_test(test_synced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
