/* Unit tests for the interleaved-mode table (src/tsd/xleave.c): who may
 * read an entry, and which transmit stamps may fill one. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "tsd/xleave.h"

static struct sockaddr_in v4(const char *addr, int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, addr, &a.sin_addr), 1);
	return a;
}

static struct ntp_packet interleaved_request(ntp_ts origin)
{
	struct ntp_packet req;

	memset(&req, 0, sizeof(req));
	req.origin = origin;
	req.receive = 0x1111;
	req.transmit = 0x2222;
	return req;
}

static int lookup(const struct xleave *x, const struct sockaddr_in *peer, ntp_ts origin,
                  ntp_ts *tx)
{
	struct ntp_packet req = interleaved_request(origin);

	return xleave_lookup(x, (const struct sockaddr *)peer, &req, tx);
}

/* Sent, stamped, asked for by the same address: the stamp is given. Any
 * port: a client may send each request from a new one. */
static void test_same_address_reads_its_stamp(void **state)
{
	struct xleave *x = xleave_new();
	struct sockaddr_in a = v4("192.0.2.1", 40000), a2 = v4("192.0.2.1", 40001);
	ntp_ts tx = 0;

	(void)state;
	assert_non_null(x);
	xleave_sending(x, (struct sockaddr *)&a, 0xaaaa);
	assert_int_equal(lookup(x, &a, 0xaaaa, &tx), 0);   /* no stamp yet */
	xleave_transmitted(x, 0xaaaa, 0xbbbb);
	assert_int_equal(lookup(x, &a2, 0xaaaa, &tx), 1);
	assert_true(tx == 0xbbbb);
	xleave_free(x);
}

/* Another address with the right origin, the right address with another
 * origin, and a basic request (receive == transmit) all read nothing. */
static void test_others_read_nothing(void **state)
{
	struct xleave *x = xleave_new();
	struct sockaddr_in a = v4("192.0.2.1", 123), b = v4("192.0.2.2", 123);
	struct ntp_packet basic = interleaved_request(0xaaaa);
	ntp_ts tx = 0;

	(void)state;
	xleave_sending(x, (struct sockaddr *)&a, 0xaaaa);
	xleave_transmitted(x, 0xaaaa, 0xbbbb);
	assert_int_equal(lookup(x, &b, 0xaaaa, &tx), 0);
	assert_int_equal(lookup(x, &a, 0xaaab, &tx), 0);
	assert_int_equal(lookup(x, &a, 0, &tx), 0);
	basic.receive = basic.transmit;
	assert_int_equal(xleave_lookup(x, (struct sockaddr *)&a, &basic, &tx), 0);
	assert_true(tx == 0);
	xleave_free(x);
}

/* A newer reply to the address replaces the entry: the older reply's
 * stamp, arriving late, must not be taken for the newer one's. */
static void test_late_stamp_of_replaced_reply_ignored(void **state)
{
	struct xleave *x = xleave_new();
	struct sockaddr_in a = v4("198.51.100.7", 123);
	ntp_ts tx = 0;

	(void)state;
	xleave_sending(x, (struct sockaddr *)&a, 0x1000);
	xleave_sending(x, (struct sockaddr *)&a, 0x2000);
	xleave_transmitted(x, 0x1000, 0x1500);
	assert_int_equal(lookup(x, &a, 0x1000, &tx), 0);
	assert_int_equal(lookup(x, &a, 0x2000, &tx), 0);
	xleave_transmitted(x, 0x2000, 0x2500);
	assert_int_equal(lookup(x, &a, 0x2000, &tx), 1);
	assert_true(tx == 0x2500);
	/* A stamp for a receive time never sent changes nothing. */
	xleave_transmitted(x, 0x3000, 0x3500);
	assert_int_equal(lookup(x, &a, 0x2000, &tx), 1);
	assert_true(tx == 0x2500);
	xleave_free(x);
}

/* IPv6 clients are whole addresses (not /64 networks as in the rate
 * limit): a neighbour in the same /64 reads nothing. */
static void test_ipv6_whole_address(void **state)
{
	struct xleave *x = xleave_new();
	struct sockaddr_in6 a, b;
	struct ntp_packet req = interleaved_request(0x4000);
	ntp_ts tx = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &a.sin6_addr), 1);
	b = a;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", &b.sin6_addr), 1);
	xleave_sending(x, (struct sockaddr *)&a, 0x4000);
	xleave_transmitted(x, 0x4000, 0x4100);
	assert_int_equal(xleave_lookup(x, (struct sockaddr *)&b, &req, &tx), 0);
	assert_int_equal(xleave_lookup(x, (struct sockaddr *)&a, &req, &tx), 1);
	assert_true(tx == 0x4100);
	xleave_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_address_reads_its_stamp),
		cmocka_unit_test(test_others_read_nothing),
		cmocka_unit_test(test_late_stamp_of_replaced_reply_ignored),
		cmocka_unit_test(test_ipv6_whole_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
