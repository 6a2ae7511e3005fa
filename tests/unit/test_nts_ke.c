/* Unit tests for the NTS-KE record codec (src/common/nts_ke.c): messages
 * built byte by byte as RFC 8915 section 4 lays them out. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/nts_ke.h"

/* What chronyd's client sends: Next Protocol NTPv4, AEAD 15 (and 30, 17,
 * 16 in newer releases), End. Every record critical. */
static const uint8_t CLIENT_REQUEST[] = {
	0x80, 0x01, 0x00, 0x02, 0x00, 0x00,
	0x80, 0x04, 0x00, 0x04, 0x00, 0x1e, 0x00, 0x0f,
	0x80, 0x00, 0x00, 0x00,
};

static void test_request(void **state)
{
	struct nts_ke_msg m;
	size_t used = 0;

	(void)state;
	assert_int_equal(nts_ke_parse(CLIENT_REQUEST, sizeof(CLIENT_REQUEST), &m, &used), NTS_KE_OK);
	assert_int_equal(used, sizeof(CLIENT_REQUEST));
	assert_int_equal(m.n_protocols, 1);
	assert_int_equal(m.protocols[0], 0);
	assert_int_equal(m.n_aeads, 2);
	assert_int_equal(m.aeads[0], 30);
	assert_int_equal(m.aeads[1], 15);
	assert_int_equal(m.error, -1);
	assert_int_equal(m.port, -1);
	assert_int_equal(m.n_cookies, 0);
}

/* Every prefix is incomplete, never an error: TLS may deliver a byte at a time. */
static void test_incomplete(void **state)
{
	struct nts_ke_msg m;
	size_t used, n;

	(void)state;
	for (n = 0; n < sizeof(CLIENT_REQUEST); n++)
		assert_int_equal(nts_ke_parse(CLIENT_REQUEST, n, &m, &used), NTS_KE_INCOMPLETE);
}

static enum nts_ke_status parse(const uint8_t *buf, size_t len)
{
	struct nts_ke_msg m;
	size_t used;

	return nts_ke_parse(buf, len, &m, &used);
}

static void test_critical(void **state)
{
	/* An unknown record type 0x4000, critical, then non-critical. */
	uint8_t msg[] = { 0xc0, 0x00, 0x00, 0x01, 0xaa, 0x80, 0x00, 0x00, 0x00 };

	(void)state;
	assert_int_equal(parse(msg, sizeof(msg)), NTS_KE_UNKNOWN_CRITICAL);
	msg[0] = 0x40;
	assert_int_equal(parse(msg, sizeof(msg)), NTS_KE_OK);
	/* End of Message without the critical bit, or with a body. */
	msg[5] = 0x00;
	assert_int_equal(parse(msg, sizeof(msg)), NTS_KE_BAD);
	{
		const uint8_t end_body[] = { 0x80, 0x00, 0x00, 0x01, 0x00 };

		assert_int_equal(parse(end_body, sizeof(end_body)), NTS_KE_BAD);
	}
}

static void test_bad_bodies(void **state)
{
	const uint8_t odd_aead[] = { 0x80, 0x04, 0x00, 0x03, 0, 15, 0, 0x80, 0, 0, 0 };
	const uint8_t long_error[] = { 0x80, 0x02, 0x00, 0x03, 0, 1, 0, 0x80, 0, 0, 0 };
	const uint8_t short_port[] = { 0x80, 0x07, 0x00, 0x01, 0x7b, 0x80, 0, 0, 0 };
	const uint8_t bad_server[] = { 0x80, 0x06, 0x00, 0x02, 'a', '\n', 0x80, 0, 0, 0 };
	const uint8_t empty_cookie[] = { 0x00, 0x05, 0x00, 0x00, 0x80, 0, 0, 0 };
	const uint8_t twice[] = { 0x80, 1, 0, 2, 0, 0, 0x80, 1, 0, 2, 0, 0, 0x80, 0, 0, 0 };

	(void)state;
	assert_int_equal(parse(odd_aead, sizeof(odd_aead)), NTS_KE_BAD);
	assert_int_equal(parse(long_error, sizeof(long_error)), NTS_KE_BAD);
	assert_int_equal(parse(short_port, sizeof(short_port)), NTS_KE_BAD);
	assert_int_equal(parse(bad_server, sizeof(bad_server)), NTS_KE_BAD);
	assert_int_equal(parse(empty_cookie, sizeof(empty_cookie)), NTS_KE_BAD);
	assert_int_equal(parse(twice, sizeof(twice)), NTS_KE_BAD);
}

/* A record claiming more than a message may hold is refused at once,
 * before its body arrives; so is a message that never ends. */
static void test_oversized(void **state)
{
	static uint8_t big[NTS_KE_MESSAGE_MAX + 8];
	static const uint8_t body[100];
	const uint8_t huge[] = { 0x00, 0x05, 0xff, 0xff };
	size_t pos = 0;

	(void)state;
	assert_int_equal(parse(huge, sizeof(huge)), NTS_KE_BAD);
	/* Unknown non-critical records to the limit, and no End. */
	while (pos + 4 + 100 <= sizeof(big))
		assert_int_equal(nts_ke_put(big, sizeof(big), &pos, 0, 0x123, body, sizeof(body)), 0);
	assert_int_equal(parse(big, sizeof(big)), NTS_KE_BAD);
}

/* A server's response with nine cookies: eight kept, one counted. */
static void test_response(void **state)
{
	uint8_t buf[NTS_KE_MESSAGE_MAX], cookie[100];
	struct nts_ke_msg m;
	size_t pos = 0, used;
	int i;

	(void)state;
	memset(cookie, 0xab, sizeof(cookie));
	assert_int_equal(nts_ke_put_u16(buf, sizeof(buf), &pos, 1, NTS_KE_NEXT_PROTOCOL, 0), 0);
	assert_int_equal(nts_ke_put_u16(buf, sizeof(buf), &pos, 1, NTS_KE_AEAD, 15), 0);
	assert_int_equal(nts_ke_put_u16(buf, sizeof(buf), &pos, 1, NTS_KE_PORT_REC, 11123), 0);
	assert_int_equal(nts_ke_put(buf, sizeof(buf), &pos, 1, NTS_KE_SERVER,
	                            (const uint8_t *)"ntp.example", 11), 0);
	for (i = 0; i < 9; i++)
		assert_int_equal(nts_ke_put(buf, sizeof(buf), &pos, 0, NTS_KE_COOKIE, cookie, 100), 0);
	assert_int_equal(nts_ke_put(buf, sizeof(buf), &pos, 1, NTS_KE_END, NULL, 0), 0);
	assert_int_equal(nts_ke_parse(buf, pos, &m, &used), NTS_KE_OK);
	assert_int_equal(m.port, 11123);
	assert_string_equal(m.server, "ntp.example");
	assert_int_equal(m.n_cookies, 8);
	assert_int_equal(m.extra_cookies, 1);
	assert_memory_equal(m.cookies[7], cookie, 100);
	/* A record that does not fit is not written. */
	pos = 0;
	assert_int_equal(nts_ke_put(buf, 5, &pos, 0, NTS_KE_COOKIE, cookie, 2), -1);
	assert_int_equal(pos, 0);
}

static void test_writers(void **state)
{
	uint8_t buf[64], ctx[5];
	const uint8_t error[] = { 0x80, 0x02, 0x00, 0x02, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00 };
	const uint8_t c2s[] = { 0, 0, 0, 15, 0 };
	struct nts_ke_msg m;
	size_t used;
	int n;

	(void)state;
	n = nts_ke_write_request(buf, sizeof(buf), 0);
	assert_int_equal(nts_ke_parse(buf, (size_t)n, &m, &used), NTS_KE_OK);
	assert_int_equal(m.n_aeads, 1);
	assert_int_equal(m.aeads[0], 15);
	assert_int_equal(nts_ke_write_error(buf, sizeof(buf), NTS_KE_ERR_BAD_REQUEST), (int)sizeof(error));
	assert_memory_equal(buf, error, sizeof(error));
	assert_int_equal(nts_ke_write_error(buf, 9, 1), -1);
	nts_ke_exporter_context(ctx, 0);
	assert_memory_equal(ctx, c2s, 5);
	nts_ke_exporter_context(ctx, 1);
	assert_int_equal(ctx[4], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_critical),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
