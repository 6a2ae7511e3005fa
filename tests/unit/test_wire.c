/* Unit tests for src/common/wire.c: the packet codec, NTP timestamps across the
 * 2036 era boundary, the first-bytes rule, the text reply and the
 * on-wire formulas. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/wire.h"

#define NS_PER_S 1000000000LL
/* 2036-02-07 06:28:16 UTC: NTP era 0 ends, the seconds field wraps to 0. */
#define ERA1_UNIX_S 2085978496LL
#define YEAR_S (365LL * 86400)

/* A fixed-seed generator so a failure reproduces. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A random instant in [lo_s, hi_s) seconds, with a random nanosecond part.
 * The span must stay under 292 years (2^63 ns). */
static int64_t random_ns(int64_t lo_s, int64_t hi_s)
{
	uint64_t span_ns = (uint64_t)(hi_s - lo_s) * NS_PER_S;

	return lo_s * NS_PER_S + (int64_t)(next_u64() % span_ns);
}

/* ---- packet codec ---- */

static void test_encode_layout(void **state)
{
	struct ntp_packet p = {
		.leap = 3, .version = 4, .mode = 3, .stratum = 2, .poll = -6,
		.precision = -20, .root_delay = 0x01020304, .root_dispersion = 0x05060708,
		.refid = { 'G', 'P', 'S', 0 }, .reference = 0x1112131415161718ull,
		.origin = 0x2122232425262728ull, .receive = 0x3132333435363738ull,
		.transmit = 0x4142434445464748ull,
	};
	const uint8_t want[NTP_PACKET_SIZE] = {
		0xe3, 0x02, 0xfa, 0xec, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		'G', 'P', 'S', 0, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
		0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
		0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
	};
	uint8_t out[NTP_PACKET_SIZE];
	struct ntp_packet back;

	(void)state;
	wire_encode(&p, out);
	assert_memory_equal(out, want, NTP_PACKET_SIZE);
	assert_int_equal(wire_decode(out, sizeof(out), &back), 0);
	assert_int_equal(back.leap, 3);
	assert_int_equal(back.version, 4);
	assert_int_equal(back.mode, 3);
	assert_int_equal(back.poll, -6);
	assert_int_equal(back.precision, -20);
	assert_int_equal(back.root_delay, 0x01020304);
	assert_true(back.transmit == 0x4142434445464748ull);
	assert_memory_equal(back.refid, "GPS", 4);
}

static void test_random_packets_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 2000; i++) {
		uint8_t in[NTP_PACKET_SIZE], out[NTP_PACKET_SIZE];
		struct ntp_packet p;

		for (size_t k = 0; k < sizeof(in); k += 8) {
			uint64_t r = next_u64();

			memcpy(in + k, &r, 8);
		}
		assert_int_equal(wire_decode(in, sizeof(in), &p), 0);
		wire_encode(&p, out);
		assert_memory_equal(in, out, NTP_PACKET_SIZE);
	}
}

static void test_decode_short_buffer(void **state)
{
	uint8_t buf[NTP_PACKET_SIZE + 4] = { 0x23 };
	struct ntp_packet p;

	(void)state;
	assert_int_equal(wire_decode(buf, NTP_PACKET_SIZE - 1, &p), -1);
	assert_int_equal(wire_decode(buf, 0, &p), -1);
	assert_int_equal(wire_decode(NULL, NTP_PACKET_SIZE, &p), -1);
	/* Longer is fine: only the first 48 bytes are read. */
	assert_int_equal(wire_decode(buf, sizeof(buf), &p), 0);
}

/* ---- timestamps ---- */

static void test_ntp_known_values(void **state)
{
	(void)state;
	/* The Unix epoch is 2208988800 s into NTP era 0. */
	assert_true(wire_ns_to_ntp(0) == 0x83aa7e8000000000ull);
	assert_true(wire_ns_to_ntp(NS_PER_S / 2) == 0x83aa7e8080000000ull);
	assert_true(wire_ns_to_ntp(-NS_PER_S / 2) == 0x83aa7e7f80000000ull);
	assert_true(wire_ns_to_ntp(ERA1_UNIX_S * NS_PER_S) == 0);
	assert_true(wire_ns_to_ntp(ERA1_UNIX_S * NS_PER_S + NS_PER_S / 4) == 0x40000000ull);
	assert_true(wire_ns_to_ntp(ERA1_UNIX_S * NS_PER_S - 1) >> 32 == 0xffffffffull);
}

static void test_ns_ntp_ns_exact(void **state)
{
	(void)state;
	/* Any instant 1900..2185 comes back to the nanosecond when the pivot
	 * is within 60 years of it, on either side. */
	for (int i = 0; i < 100000; i++) {
		int64_t ns = random_ns(-70 * YEAR_S, 215 * YEAR_S);
		int64_t pivot = ns + random_ns(-60 * YEAR_S, 60 * YEAR_S);

		assert_int_equal(wire_ntp_to_ns(wire_ns_to_ntp(ns), pivot), ns);
	}
}

static void test_2036_boundary(void **state)
{
	const int64_t wrap_ns = ERA1_UNIX_S * NS_PER_S;
	const int64_t pivots[] = {
		wrap_ns - 20 * YEAR_S * NS_PER_S, wrap_ns - 1, wrap_ns,
		wrap_ns + 1, wrap_ns + 20 * YEAR_S * NS_PER_S,
	};

	(void)state;
	for (size_t p = 0; p < sizeof(pivots) / sizeof(pivots[0]); p++) {
		for (int64_t delta = -3 * NS_PER_S; delta <= 3 * NS_PER_S; delta += 333333331) {
			int64_t ns = wrap_ns + delta;

			assert_int_equal(wire_ntp_to_ns(wire_ns_to_ntp(ns), pivots[p]), ns);
		}
		assert_int_equal(wire_ntp_to_ns(wire_ns_to_ntp(wrap_ns - 1), pivots[p]), wrap_ns - 1);
		assert_int_equal(wire_ntp_to_ns(wire_ns_to_ntp(wrap_ns), pivots[p]), wrap_ns);
	}
}

static void test_pivot_picks_nearest_era(void **state)
{
	const int64_t t_2030 = (ERA1_UNIX_S - 6 * YEAR_S) * NS_PER_S + 123;
	ntp_ts ts = wire_ns_to_ntp(t_2030);
	const int64_t era_ns = 4294967296LL * NS_PER_S;

	(void)state;
	/* 70 years after 2030 the same bits are nearer to era 1's reading. */
	assert_int_equal(wire_ntp_to_ns(ts, t_2030 + 70 * YEAR_S * NS_PER_S), t_2030 + era_ns);
	/* 70 years before, they read as era -1. */
	assert_int_equal(wire_ntp_to_ns(ts, t_2030 - 70 * YEAR_S * NS_PER_S), t_2030 - era_ns);
	/* 60 years either side, still 2030. */
	assert_int_equal(wire_ntp_to_ns(ts, t_2030 + 60 * YEAR_S * NS_PER_S), t_2030);
	assert_int_equal(wire_ntp_to_ns(ts, t_2030 - 60 * YEAR_S * NS_PER_S), t_2030);
}

static void test_short_format(void **state)
{
	(void)state;
	assert_int_equal(wire_seconds_to_short(1.0), 0x00010000);
	assert_int_equal(wire_seconds_to_short(0.5), 0x00008000);
	assert_int_equal(wire_seconds_to_short(0.0), 0);
	assert_int_equal(wire_seconds_to_short(-1.0), 0);
	assert_int_equal(wire_seconds_to_short(1e9), UINT32_MAX);
	assert_int_equal(wire_seconds_to_short(INFINITY), UINT32_MAX);
	/* An unknown dispersion must read as the worst, never as perfect. */
	assert_int_equal(wire_seconds_to_short(NAN), UINT32_MAX);
	assert_true(wire_short_to_seconds(0x00018000) == 1.5);
	/* Bounds round up, never down, by less than one step. */
	assert_int_equal(wire_seconds_to_short(51e-6), 4);
	assert_int_equal(wire_seconds_to_short(1.0 / 65536), 1);
	for (double s = 0; s < 100; s += 0.0123) {
		double back = wire_short_to_seconds(wire_seconds_to_short(s));

		assert_true(back >= s && back - s < 1.0 / 65536);
	}
}

/* ---- validation ---- */

static struct ntp_packet client_request(void)
{
	struct ntp_packet p = { .version = 4, .mode = NTP_MODE_CLIENT, .transmit = 0x1234 };

	return p;
}

static void test_valid_client_request(void **state)
{
	struct ntp_packet p = client_request();

	(void)state;
	assert_int_equal(wire_valid_client_request(&p), 0);
	p.version = 1;
	assert_int_equal(wire_valid_client_request(&p), 0);
	p.version = 0;
	assert_int_equal(wire_valid_client_request(&p), -1);
	p.version = 5;
	assert_int_equal(wire_valid_client_request(&p), -1);
	p = client_request();
	p.mode = NTP_MODE_SERVER;
	assert_int_equal(wire_valid_client_request(&p), -1);
	p = client_request();
	p.transmit = 0;
	assert_int_equal(wire_valid_client_request(&p), -1);
}

static void test_valid_server_reply(void **state)
{
	struct ntp_packet p = { .version = 4, .mode = NTP_MODE_SERVER,
	                        .origin = 0xabcd, .transmit = 0x99 };

	(void)state;
	assert_int_equal(wire_valid_server_reply(&p, 0xabcd), 0);
	assert_int_equal(wire_valid_server_reply(&p, 0xabce), -1);
	p.mode = NTP_MODE_CLIENT;
	assert_int_equal(wire_valid_server_reply(&p, 0xabcd), -1);
	p.mode = NTP_MODE_SERVER;
	p.version = 7;
	assert_int_equal(wire_valid_server_reply(&p, 0xabcd), -1);
	p.version = 3;
	p.transmit = 0;
	assert_int_equal(wire_valid_server_reply(&p, 0xabcd), -1);
}

/* ---- the first-bytes rule ---- */

static void test_classify_native(void **state)
{
	const uint8_t first[] = { 0x23, 0xe3, 0x1b, 0x0b, 0x13 };

	(void)state;
	for (size_t i = 0; i < sizeof(first); i++) {
		for (unsigned stratum = 0; stratum <= 16; stratum++) {
			uint8_t buf[2] = { first[i], (uint8_t)stratum };

			assert_int_equal(wire_classify(buf, 2), WIRE_NATIVE);
		}
		uint8_t above[2] = { first[i], 17 };
		assert_int_equal(wire_classify(above, 2), WIRE_TEXT);
	}
}

static void test_classify_text(void **state)
{
	const char *texts[] = { "client", "SYNC", "# hello", "GET / HTTP/1.0", "hi\n", "\r\n" };
	const uint8_t mode3_printable[2] = { 0x23, 'a' };
	const uint8_t version0[2] = { 0x03, 0 };
	const uint8_t version5[2] = { 0x2b, 0 };
	const uint8_t mode4[2] = { 0x24, 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_int_equal(wire_classify((const uint8_t *)texts[i], strlen(texts[i])),
		                 WIRE_TEXT);
	assert_int_equal(wire_classify(mode3_printable, 2), WIRE_TEXT);
	assert_int_equal(wire_classify(version0, 2), WIRE_TEXT);
	assert_int_equal(wire_classify(version5, 2), WIRE_TEXT);
	assert_int_equal(wire_classify(mode4, 2), WIRE_TEXT);
	/* 'G' is mode 7: one byte already decides. */
	assert_int_equal(wire_classify((const uint8_t *)"G", 1), WIRE_TEXT);
}

static void test_classify_undecided(void **state)
{
	(void)state;
	assert_int_equal(wire_classify((const uint8_t *)"", 0), WIRE_UNDECIDED);
	assert_int_equal(wire_classify(NULL, 0), WIRE_UNDECIDED);
	/* 'c', 'S' and '#' all look like mode 3 with a good version: only the
	 * second byte tells. */
	assert_int_equal(wire_classify((const uint8_t *)"c", 1), WIRE_UNDECIDED);
	assert_int_equal(wire_classify((const uint8_t *)"S", 1), WIRE_UNDECIDED);
	assert_int_equal(wire_classify((const uint8_t *)"#", 1), WIRE_UNDECIDED);
	assert_int_equal(wire_classify((const uint8_t *)"\xe3", 1), WIRE_UNDECIDED);
}

/* An extended frame opens a native connection; any other byte 1 after a
 * zero byte 0 is text, as it always was. */
static void test_classify_extended_frame(void **state)
{
	(void)state;
	assert_int_equal(wire_classify((const uint8_t *)"\0", 1), WIRE_UNDECIDED);
	assert_int_equal(wire_classify((const uint8_t *)"\0\1\0\x44", 4), WIRE_NATIVE);
	assert_int_equal(wire_classify((const uint8_t *)"\0\2", 2), WIRE_TEXT);
	assert_int_equal(wire_classify((const uint8_t *)"\0a", 2), WIRE_TEXT);
}

static void test_ext_frame_header(void **state)
{
	uint8_t h[WIRE_EXT_HEADER];
	size_t len = 0;

	(void)state;
	wire_ext_put_header(h, 228);
	assert_memory_equal(h, "\0\1\0\xe4", 4);
	assert_int_equal(wire_ext_frame(h, 3, &len), 0);
	assert_int_equal(wire_ext_frame(h, 4, &len), 1);
	assert_int_equal(len, 228);
	wire_ext_put_header(h, WIRE_EXT_PACKET_MAX);
	assert_int_equal(wire_ext_frame(h, 4, &len), 1);
	wire_ext_put_header(h, WIRE_EXT_PACKET_MAX + 4);        /* too long */
	assert_int_equal(wire_ext_frame(h, 4, &len), -1);
	wire_ext_put_header(h, WIRE_EXT_PACKET_MIN - 4);        /* no room for a field */
	assert_int_equal(wire_ext_frame(h, 4, &len), -1);
	wire_ext_put_header(h, 230);                            /* not a multiple of 4 */
	assert_int_equal(wire_ext_frame(h, 4, &len), -1);
	assert_int_equal(wire_ext_frame((const uint8_t *)"\0\2\0\xe4", 4, &len), -1);
	assert_int_equal(wire_ext_frame((const uint8_t *)"\x23\0\0\0", 4, &len), -1);
}

/* ---- the text reply ---- */

static void test_text_reply_exact(void **state)
{
	char buf[WIRE_TEXT_REPLY_MAX];

	(void)state;
	assert_int_equal(wire_text_reply(buf, sizeof(buf), 1700000000123456789LL,
	                                 1700000000987999999LL), 28);
	assert_string_equal(buf, "1700000000123\t1700000000987\n");
	assert_int_equal(wire_text_reply(buf, sizeof(buf), 0, 999999), 4);
	assert_string_equal(buf, "0\t0\n");
	/* Floor, not truncation, before 1970. */
	assert_int_equal(wire_text_reply(buf, sizeof(buf), -1, -1000000), 6);
	assert_string_equal(buf, "-1\t-1\n");
	wire_text_reply(buf, sizeof(buf), -1000001, INT64_MIN);
	assert_string_equal(buf, "-2\t-9223372036855\n");
	wire_text_reply(buf, sizeof(buf), INT64_MAX, INT64_MAX);
	assert_string_equal(buf, "9223372036854\t9223372036854\n");
}

static void test_text_reply_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	/* "123\t456\n" needs 9 bytes with its NUL. */
	assert_int_equal(wire_text_reply(buf, 8, 123000000, 456000000), -1);
	assert_int_equal(wire_text_reply(buf, 0, 0, 0), -1);
	assert_int_equal(wire_text_reply(buf, 5, 1000000, 2000000), 4);
	assert_string_equal(buf, "1\t2\n");
}

static void test_parse_text_reply_accepts(void **state)
{
	int64_t t2 = 0, t3 = 0;
	char buf[WIRE_TEXT_REPLY_MAX];
	int n;

	(void)state;
	assert_int_equal(wire_parse_text_reply("1700000000123\t1700000000987\n", 28, &t2, &t3), 0);
	assert_int_equal(t2, 1700000000123LL);
	assert_int_equal(t3, 1700000000987LL);
	assert_int_equal(wire_parse_text_reply("5\t6", 3, &t2, &t3), 0);
	assert_int_equal(t2, 5);
	assert_int_equal(t3, 6);
	/* Whatever the writer writes, the parser reads back. */
	n = wire_text_reply(buf, sizeof(buf), -2500000, 1795718583228859163LL);
	assert_int_equal(wire_parse_text_reply(buf, (size_t)n, &t2, &t3), 0);
	assert_int_equal(t2, -3);
	assert_int_equal(t3, 1795718583228LL);
}

static void test_parse_text_reply_rejects(void **state)
{
	const char *bad[] = {
		"", "123", "123\t", "\t456", "123 456", "123\t\t456", "+1\t2",
		"1\t2\n\n", "1\t2\r\n", "a\t2", "1\t2x", " 1\t2", "1\t 2", "-\t1",
		"1\t--2", "1234567890123456789\t1", "1\t2\t3",
	};
	int64_t t2 = 77, t3 = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wire_parse_text_reply(bad[i], strlen(bad[i]), &t2, &t3), -1);
	/* A NUL inside the length is a byte like any other: refused. */
	assert_int_equal(wire_parse_text_reply("1\t2\0", 4, &t2, &t3), -1);
	/* Outputs untouched on refusal. */
	assert_int_equal(t2, 77);
	assert_int_equal(t3, 77);
}

/* ---- replies ---- */

/* The issue 17 reply: milliseconds near INT64_MAX / 1e6 passed the old
 * checks and overflowed the offset's sum (UBSan: signed integer overflow). */
static void test_text_ms_far_from_pivot_refused(void **state)
{
	const tsd_time_ns now = 1700000000LL * NS_PER_S + 123456789;
	const int64_t now_ms = now / 1000000, era_ms = (1LL << 31) * 1000;
	tsd_time_ns t = 42;

	(void)state;
	assert_int_equal(wire_text_ms_to_ns(9223372036853LL, now, &t), -1);
	assert_int_equal(wire_text_ms_to_ns(999999999999999999LL, now, &t), -1);
	assert_int_equal(wire_text_ms_to_ns(now_ms + era_ms + 1, now, &t), -1);
	assert_int_equal(wire_text_ms_to_ns(now_ms - era_ms - 1, now, &t), -1);
	assert_int_equal(t, 42);
	/* A pivot near the end of tsd_time_ns: within 68 years, yet the
	 * nanoseconds would not fit. */
	assert_int_equal(wire_text_ms_to_ns(INT64_MAX / 1000000 + 5, INT64_MAX - 1, &t), -1);
}

static void test_text_ms_near_pivot_exact(void **state)
{
	const tsd_time_ns now = 1700000000LL * NS_PER_S + 123456789;
	const int64_t now_ms = now / 1000000, era_ms = (1LL << 31) * 1000;
	tsd_time_ns t = 0;

	(void)state;
	assert_int_equal(wire_text_ms_to_ns(now_ms, now, &t), 0);
	assert_true(t == now_ms * 1000000 + 500000);
	assert_int_equal(wire_text_ms_to_ns(now_ms + era_ms, now, &t), 0);
	assert_true(t == (now_ms + era_ms) * 1000000 + 500000);
	assert_int_equal(wire_text_ms_to_ns(0, 1000, &t), 0);
	assert_true(t == 500000);
}

static void test_make_reply_fields(void **state)
{
	struct ntp_packet req = { .leap = 0, .version = 3, .mode = 3, .poll = 6,
	                          .transmit = 0xdeadbeefcafef00dull };
	struct tsd_clock_info info = { .leap = TSD_LEAP_INSERT, .stratum = 2,
	                               .precision_log2 = -20, .root_delay_s = 0.5,
	                               .root_dispersion_s = 0.25, .refid = { 'G', 'P', 'S', 0 } };
	const int64_t t2 = 1795718583228859163LL, t3 = t2 + 12345;
	struct ntp_packet r;
	uint8_t bytes[NTP_PACKET_SIZE];

	(void)state;
	wire_make_reply(&r, &req, &info, t2, t3);
	assert_int_equal(r.mode, NTP_MODE_SERVER);
	assert_int_equal(r.version, 3);
	assert_int_equal(r.poll, 6);
	assert_int_equal(r.leap, 1);
	assert_int_equal(r.stratum, 2);
	assert_int_equal(r.precision, -20);
	assert_int_equal(r.root_delay, 0x8000);
	assert_int_equal(r.root_dispersion, 0x4000);
	assert_memory_equal(r.refid, "GPS", 4);
	assert_true(r.origin == req.transmit);
	assert_true(r.receive == wire_ns_to_ntp(t2));
	assert_true(r.transmit == wire_ns_to_ntp(t3));
	/* The reference time is set, not after T2 and less than a second before. */
	assert_true(r.reference != 0);
	assert_true(r.reference <= r.receive);
	assert_true(r.receive - r.reference < (1ull << 32));
	assert_int_equal(wire_valid_server_reply(&r, req.transmit), 0);
	wire_encode(&r, bytes);
	assert_int_equal(bytes[0], 1 << 6 | 3 << 3 | 4);
}

static void test_make_reply_unsynchronised(void **state)
{
	struct ntp_packet req = client_request();
	struct tsd_clock_info info = { .leap = TSD_LEAP_UNSYNC, .stratum = 16 };
	struct ntp_packet r;

	(void)state;
	req.version = 4;
	wire_make_reply(&r, &req, &info, 1000, 2000);
	assert_int_equal(r.leap, 3);
	assert_int_equal(r.stratum, 16);
	assert_true(r.reference == 0);
	assert_int_equal(r.version, 4);
}

static void test_server_state(void **state)
{
	struct ntp_packet p = { .leap = 0, .version = 4, .mode = 4, .stratum = 2 };
	char kod[5];

	(void)state;
	assert_int_equal(wire_server_state(&p, kod), WIRE_SERVER_OK);
	assert_string_equal(kod, "");
	p.leap = 3;
	assert_int_equal(wire_server_state(&p, kod), WIRE_SERVER_UNSYNC);
	p.leap = 0;
	p.stratum = 16;
	assert_int_equal(wire_server_state(&p, kod), WIRE_SERVER_UNSYNC);
	/* Stratum 0 with a kiss code is a KoD; with a zero ID it is not. */
	p.stratum = 0;
	memcpy(p.refid, "RATE", 4);
	assert_int_equal(wire_server_state(&p, kod), WIRE_SERVER_KOD);
	assert_string_equal(kod, "RATE");
	memset(p.refid, 0, 4);
	assert_int_equal(wire_server_state(&p, kod), WIRE_SERVER_UNSYNC);
	memcpy(p.refid, "rate", 4);
	assert_int_equal(wire_server_state(&p, kod), WIRE_SERVER_UNSYNC);
}

/* The reference ID as chronyc shows it: a name at stratum 0 and 1, a name
 * at stratum 16 only when it reads as one, an IPv4 address otherwise. */
static void test_refid_text(void **state)
{
	const uint8_t sim[4] = { 'S', 'I', 'M', 0 }, addr[4] = { 127, 0, 0, 1 };
	const uint8_t odd[4] = { 'G', 0x01, 'S', 0 }, zero[4] = { 0 };
	char buf[WIRE_REFID_TEXT_LEN], hex[WIRE_REFID_HEX_LEN], small[3];

	(void)state;
	wire_refid_text(sim, 1, buf, sizeof(buf));
	assert_string_equal(buf, "SIM");
	wire_refid_text(sim, 2, buf, sizeof(buf));
	assert_string_equal(buf, "83.73.77.0");
	wire_refid_text(sim, 16, buf, sizeof(buf));
	assert_string_equal(buf, "SIM");
	wire_refid_text(addr, 16, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1");
	wire_refid_text(addr, 3, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1");
	wire_refid_text(odd, 1, buf, sizeof(buf));
	assert_string_equal(buf, "G?S");
	wire_refid_text(zero, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	wire_refid_text(sim, 1, small, sizeof(small));
	assert_string_equal(small, "SI");
	wire_refid_hex(addr, hex, sizeof(hex));
	assert_string_equal(hex, "7F000001");
	wire_refid_hex(sim, hex, sizeof(hex));
	assert_string_equal(hex, "53494D00");
}

/* ---- the on-wire quantities ---- */

/* True offset +50 ms, 10 ms each way, 1 ms in the server. */
static const struct tsd_sample known = {
	.t1_ns = 1000000000000LL,
	.t2_ns = 1000060000000LL,
	.t3_ns = 1000061000000LL,
	.t4_ns = 1000021000000LL,
};

static void test_offset_delay_known_case(void **state)
{
	(void)state;
	assert_true(fabs(wire_offset_s(&known) - 0.050) < 1e-12);
	assert_true(fabs(wire_delay_s(&known) - 0.020) < 1e-12);
}

static void test_offset_asymmetry_and_precision(void **state)
{
	/* 30 ms out, 10 ms back, offset 0: the estimate is off by half the
	 * asymmetry, as the on-wire formula must be. */
	const int64_t base = 1795718583000000000LL;
	struct tsd_sample s = { base, base + 30000000, base + 30000000, base + 40000000, 0 };
	struct tsd_sample tiny = { base, base + 1, base + 1, base + 1, 0 };

	(void)state;
	assert_true(fabs(wire_offset_s(&s) - 0.010) < 1e-12);
	assert_true(fabs(wire_delay_s(&s) - 0.040) < 1e-12);
	/* Nanoseconds survive at today's absolute times. */
	assert_true(wire_offset_s(&tiny) == 0.5e-9);
	assert_true(wire_delay_s(&tiny) == 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_random_packets_round_trip),
		cmocka_unit_test(test_decode_short_buffer),
		cmocka_unit_test(test_ntp_known_values),
		cmocka_unit_test(test_ns_ntp_ns_exact),
		cmocka_unit_test(test_2036_boundary),
		cmocka_unit_test(test_pivot_picks_nearest_era),
		cmocka_unit_test(test_short_format),
		cmocka_unit_test(test_valid_client_request),
		cmocka_unit_test(test_valid_server_reply),
		cmocka_unit_test(test_classify_native),
		cmocka_unit_test(test_classify_text),
		cmocka_unit_test(test_classify_undecided),
		cmocka_unit_test(test_classify_extended_frame),
		cmocka_unit_test(test_ext_frame_header),
		cmocka_unit_test(test_text_reply_exact),
		cmocka_unit_test(test_text_reply_small_buffer),
		cmocka_unit_test(test_parse_text_reply_accepts),
		cmocka_unit_test(test_parse_text_reply_rejects),
		cmocka_unit_test(test_text_ms_far_from_pivot_refused),
		cmocka_unit_test(test_text_ms_near_pivot_exact),
		cmocka_unit_test(test_make_reply_fields),
		cmocka_unit_test(test_make_reply_unsynchronised),
		cmocka_unit_test(test_server_state),
		cmocka_unit_test(test_refid_text),
		cmocka_unit_test(test_offset_delay_known_case),
		cmocka_unit_test(test_offset_asymmetry_and_precision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
