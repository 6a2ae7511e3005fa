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

/* Client i: 10.0.x.y; its reply with receive field rx is sent and
 * stamped (transmit rx + 0x80000); whether its entry gives that stamp. */
static struct sockaddr_in client(int i)
{
	struct sockaddr_in a = v4("10.0.0.0", 123);

	a.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i);
	return a;
}

static void answer(struct xleave *x, int i, ntp_ts rx)
{
	struct sockaddr_in a = client(i);

	xleave_sending(x, (struct sockaddr *)&a, rx);
	xleave_transmitted(x, rx, rx + 0x80000);
}

static int has(const struct xleave *x, int i, ntp_ts rx)
{
	struct sockaddr_in a = client(i);
	ntp_ts tx = 0;

	if (lookup(x, &a, rx, &tx) != 1)
		return 0;
	assert_true(tx == rx + 0x80000);
	return 1;
}

/* 800 clients, each answered once, then each asking: the entries are in
 * sets, so clients whose addresses hash alike keep theirs (one entry an
 * address, 4096 of them, lost about 9% here, 73 clients: each later
 * client that hashed alike took an earlier one's). A set of four loses
 * entries only to a fifth client in it: 1.5 in all on average, and more
 * than 16 too seldom to see (a model of 20 000 runs: at most 11). */
static void test_clients_that_hash_alike_keep_entries(void **state)
{
	struct xleave *x = xleave_new();
	enum { CLIENTS = 800 };
	int found = 0;

	(void)state;
	for (int i = 0; i < CLIENTS; i++)
		answer(x, i, 0x10000 + (ntp_ts)i);
	for (int i = 0; i < CLIENTS; i++)
		found += has(x, i, 0x10000 + (ntp_ts)i);
	assert_true(found >= CLIENTS - 16);
	xleave_free(x);
}

/* A full set: the client answered longest ago gives up its entry. Clients
 * are added until one takes an earlier one's entry (their set was full,
 * and the one lost was its oldest); that one answered again takes the
 * entry of the next oldest, never the newest client's. */
static void test_full_set_gives_up_oldest(void **state)
{
	struct xleave *x = xleave_new();
	enum { MAX = 4096 };
	int n, lost = -1, lost_again = -1, newest;

	(void)state;
	for (n = 0; n < MAX && lost < 0; n++) {
		answer(x, n, 0x10000 + (ntp_ts)n);
		for (int i = 0; i < n && lost < 0; i++)
			if (!has(x, i, 0x10000 + (ntp_ts)i))
				lost = i;
	}
	assert_true(lost >= 0);
	newest = n - 1;
	answer(x, lost, 0x20000);
	assert_true(has(x, lost, 0x20000));
	assert_true(has(x, newest, 0x10000 + (ntp_ts)newest));
	for (int i = 0; i < newest; i++) {
		if (i == lost || has(x, i, 0x10000 + (ntp_ts)i))
			continue;
		assert_int_equal(lost_again, -1);      /* one entry taken, no more */
		lost_again = i;
	}
	assert_true(lost_again > lost);
	xleave_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_address_reads_its_stamp),
		cmocka_unit_test(test_others_read_nothing),
		cmocka_unit_test(test_late_stamp_of_replaced_reply_ignored),
		cmocka_unit_test(test_ipv6_whole_address),
		cmocka_unit_test(test_clients_that_hash_alike_keep_entries),
		cmocka_unit_test(test_full_set_gives_up_oldest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
