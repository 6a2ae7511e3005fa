/* libFuzzer target for the wire format: decode then encode gives back the
 * same 48 bytes, a reply to any valid request is well formed, an accepted
 * extended frame header is within its limits, and the first-bytes test and
 * the text parser never crash on any input. */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "common/wire.h"

static void check_classify(const uint8_t *data, size_t size)
{
	enum wire_kind kind = wire_classify(data, size);

	FUZZ_CHECK(kind == WIRE_UNDECIDED || kind == WIRE_NATIVE || kind == WIRE_TEXT);
	/* Two bytes are always enough to decide. */
	if (size >= 2)
		FUZZ_CHECK(kind != WIRE_UNDECIDED);
	/* The first two bytes decide: more bytes never change the answer. */
	if (size > 2)
		FUZZ_CHECK(wire_classify(data, 2) == kind);
}

static void check_round_trip(const uint8_t *data, size_t size)
{
	struct ntp_packet p;
	uint8_t out[NTP_PACKET_SIZE];

	if (size < NTP_PACKET_SIZE) {
		FUZZ_CHECK(wire_decode(data, size, &p) == -1);
		return;
	}
	FUZZ_CHECK(wire_decode(data, size, &p) == 0);
	wire_encode(&p, out);
	FUZZ_CHECK(memcmp(out, data, NTP_PACKET_SIZE) == 0);
}

/* The reply to a request the server would answer must be a mode-4 packet
 * that echoes the request's transmit timestamp and carries T2 and T3. */
static void check_reply(const uint8_t *data, size_t size)
{
	struct ntp_packet req, reply, back;
	struct tsd_clock_info info = { TSD_LEAP_NONE, 2, -20, 0.001, 0.002, "TEST", 0 };
	uint8_t out[NTP_PACKET_SIZE];
	const tsd_time_ns t2 = 1700000000123456789LL, t3 = t2 + 5000;

	if (wire_decode(data, size, &req) != 0 || wire_valid_client_request(&req) != 0)
		return;
	FUZZ_CHECK(req.mode == NTP_MODE_CLIENT);
	FUZZ_CHECK(req.version >= 1 && req.version <= 4);
	FUZZ_CHECK(req.transmit != 0);
	wire_make_reply(&reply, &req, &info, t2, t3);
	wire_encode(&reply, out);
	FUZZ_CHECK(wire_decode(out, sizeof(out), &back) == 0);
	FUZZ_CHECK(back.mode == NTP_MODE_SERVER);
	FUZZ_CHECK(back.origin == req.transmit);
	FUZZ_CHECK(back.receive == wire_ns_to_ntp(t2));
	FUZZ_CHECK(back.transmit == wire_ns_to_ntp(t3));
	FUZZ_CHECK(wire_valid_server_reply(&back, req.transmit) == 0);
}

/* Unix nanoseconds survive the trip through an NTP timestamp to within the
 * 2^-32 s resolution, in any era, when read back near themselves. */
static void check_timestamps(const uint8_t *data, size_t size)
{
	uint64_t raw;
	tsd_time_ns ns, back, diff;

	if (size < sizeof(raw))
		return;
	memcpy(&raw, data, sizeof(raw));
	ns = (tsd_time_ns)raw;
	/* tsd_time_ns saturates at its ends (years 1677 and 2262). */
	if (ns > 9200000000000000000LL || ns < -9200000000000000000LL)
		return;
	back = wire_ntp_to_ns(wire_ns_to_ntp(ns), ns);
	diff = back > ns ? back - ns : ns - back;
	FUZZ_CHECK(diff <= 1);
}

static void check_text(const uint8_t *data, size_t size)
{
	int64_t t2_ms, t3_ms, t2b, t3b;
	char line[WIRE_TEXT_REPLY_MAX];
	int len;

	if (wire_parse_text_reply((const char *)data, size, &t2_ms, &t3_ms) != 0)
		return;
	/* Only times the server could send (0 .. year 2262) go back out. */
	if (t2_ms < 0 || t3_ms < 0 || t2_ms > INT64_MAX / 1000000 || t3_ms > INT64_MAX / 1000000)
		return;
	len = wire_text_reply(line, sizeof(line), t2_ms * 1000000, t3_ms * 1000000);
	FUZZ_CHECK(len > 0 && len < WIRE_TEXT_REPLY_MAX);
	FUZZ_CHECK((size_t)len == strlen(line));
	FUZZ_CHECK(wire_parse_text_reply(line, (size_t)len, &t2b, &t3b) == 0);
	FUZZ_CHECK(t2b == t2_ms && t3b == t3_ms);
}

/* An extended frame's header: an accepted one is within the limits, opens
 * a native connection, and writes back the same four bytes. */
static void check_ext_frame(const uint8_t *data, size_t size)
{
	uint8_t back[WIRE_EXT_HEADER];
	size_t len = 0;
	int r = wire_ext_frame(data, size, &len);

	FUZZ_CHECK(r == 0 ? size < WIRE_EXT_HEADER : r == 1 || r == -1);
	if (r != 1)
		return;
	FUZZ_CHECK(len >= WIRE_EXT_PACKET_MIN && len <= WIRE_EXT_PACKET_MAX && len % 4 == 0);
	FUZZ_CHECK(wire_classify(data, size) == WIRE_NATIVE);
	wire_ext_put_header(back, len);
	FUZZ_CHECK(memcmp(back, data, WIRE_EXT_HEADER) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_classify(data, size);
	check_ext_frame(data, size);
	check_round_trip(data, size);
	check_reply(data, size);
	check_timestamps(data, size);
	check_text(data, size);
	return 0;
}
