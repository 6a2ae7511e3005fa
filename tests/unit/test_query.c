/* Unit tests for the client's pure code in src/query/: parsing a server
 * address (measure.c), reading a server's reply (reply.c) and interleaved
 * mode's bookkeeping (interleave.c). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/wire.h"
#include "query/interleave.h"
#include "query/measure.h"
#include "query/reply.h"

static void expect_spec(const char *text, const char *host, int port)
{
	struct server_spec s;

	if (measure_parse_spec(text, 11932, &s) != 0)
		fail_msg("'%s' was refused", text);
	assert_string_equal(s.host, host);
	assert_int_equal(s.port, port);
}

static void test_parse_host_and_port(void **state)
{
	(void)state;
	expect_spec("example.org", "example.org", 11932);
	expect_spec("example.org:123", "example.org", 123);
	expect_spec("127.0.0.1:65535", "127.0.0.1", 65535);
	expect_spec("h:1", "h", 1);
}

static void test_parse_ipv6(void **state)
{
	(void)state;
	expect_spec("[::1]:8123", "::1", 8123);
	expect_spec("[::1]", "::1", 11932);
	/* Two colons or more and no brackets: the whole text is the address. */
	expect_spec("::1", "::1", 11932);
	expect_spec("fe80::1:2", "fe80::1:2", 11932);
}

static void test_parse_refuses_malformed(void **state)
{
	static const char *const bad[] = {
		"", ":123", "host:", "host:0", "host:65536", "host:12x", "host:-1",
		"[::1", "[::1]x", "[]:1", "[::1]:", "[::1]:99999",
	};
	struct server_spec s;
	char long_host[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (measure_parse_spec(bad[i], 11932, &s) != -1)
			fail_msg("'%s' was accepted", bad[i]);
	memset(long_host, 'a', sizeof(long_host) - 1);
	long_host[sizeof(long_host) - 1] = '\0';
	assert_int_equal(measure_parse_spec(long_host, 11932, &s), -1);
	/* The longest host that fits is taken whole. */
	long_host[sizeof(s.host) - 1] = '\0';
	assert_int_equal(measure_parse_spec(long_host, 11932, &s), 0);
	assert_int_equal(strlen(s.host), sizeof(s.host) - 1);
	/* A default port out of range is the caller's error. */
	assert_int_equal(measure_parse_spec("host", 0, &s), -1);
	assert_int_equal(measure_parse_spec("host", 65536, &s), -1);
}

static void test_server_name(void **state)
{
	struct server_spec v4 = { "192.0.2.1", 123 }, v6 = { "2001:db8::1", 11932 };
	char buf[300];

	(void)state;
	reply_server_name(&v4, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1:123");
	reply_server_name(&v6, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:11932");
}

static void test_check_synced(void **state)
{
	struct measurement *m = test_calloc(1, sizeof(*m));
	struct ntp_packet p = { .leap = 0, .stratum = 2 };

	(void)state;
	m->server = (struct server_spec){ "192.0.2.1", 123 };
	assert_int_equal(reply_check_synced(&p, m), 0);
	assert_string_equal(m->why, "");
	p.leap = 3;
	assert_int_equal(reply_check_synced(&p, m), -1);
	assert_string_equal(m->why, "server 192.0.2.1:123 is not synchronized (leap 3, stratum 2)");
	p = (struct ntp_packet){ .leap = 0, .stratum = 16 };
	assert_int_equal(reply_check_synced(&p, m), -1);
	assert_string_equal(m->why, "server 192.0.2.1:123 is not synchronized (leap 0, stratum 16)");
	p = (struct ntp_packet){ .leap = 3, .stratum = 0, .refid = { 'R', 'A', 'T', 'E' } };
	assert_int_equal(reply_check_synced(&p, m), -1);
	assert_string_equal(m->why, "server 192.0.2.1:123 sent a kiss-o'-death RATE");
	assert_string_equal(m->kod, "RATE");
	test_free(m);
}

/* T2 and T3 come from the reply, read near T1; the server's state goes to
 * the measurement; a basic reply whose T3 precedes T2 changes nothing. */
static void test_take_sample(void **state)
{
	const tsd_time_ns t1 = 1795718583000000000LL;
	struct measurement *m = test_calloc(1, sizeof(*m));
	struct ntp_packet p = { .leap = 1, .stratum = 3,
		.root_delay = 0x00008000u,            /* 0.5 s */
		.root_dispersion = 0x00004000u };     /* 0.25 s */
	struct tsd_sample s = { .t1_ns = t1 };

	(void)state;
	p.receive = wire_ns_to_ntp(t1 + 50000000);
	p.transmit = wire_ns_to_ntp(t1 + 51000000);
	assert_int_equal(reply_take_sample(&p, &s, m, 0), 0);
	assert_true(llabs(s.t2_ns - (t1 + 50000000)) <= 1);
	assert_true(llabs(s.t3_ns - (t1 + 51000000)) <= 1);
	assert_int_equal(m->leap, 1);
	assert_int_equal(m->stratum, 3);
	assert_true(m->root_delay_s == 0.5 && m->root_dispersion_s == 0.25);
	/* What the server adds to the error: its dispersion and half its delay. */
	assert_true(s.server_error_s == 0.5);

	m->stratum = 0;
	p.stratum = 9;
	p.transmit = wire_ns_to_ntp(t1 + 49000000);
	assert_int_equal(reply_take_sample(&p, &s, m, 0), -1);
	assert_int_equal(m->stratum, 0);
	/* Interleaved, the transmit field is the last reply's (before this
	 * T2): the sample's T3 waits as T2. */
	assert_int_equal(reply_take_sample(&p, &s, m, 1), 0);
	assert_true(s.t3_ns == s.t2_ns);
	assert_int_equal(m->stratum, 9);
	test_free(m);
}

/* A reply as a server gives it: origin, receive (T2) and transmit. */
static struct ntp_packet reply_of(ntp_ts origin, tsd_time_ns t2, ntp_ts transmit)
{
	struct ntp_packet p = { .version = 4, .mode = NTP_MODE_SERVER, .stratum = 1 };

	p.origin = origin;
	p.receive = wire_ns_to_ntp(t2);
	p.transmit = transmit;
	return p;
}

static struct tsd_sample sample_at(tsd_time_ns t1)
{
	return (struct tsd_sample){ .t1_ns = t1, .t2_ns = t1 + 1000, .t3_ns = t1 + 1000,
	                            .t4_ns = t1 + 2000 };
}

/* The first request asks without naming a reply; later ones name the last
 * reply, and only a reply that echoes the name is interleaved. */
static void test_interleave_requests(void **state)
{
	struct interleave il;
	struct ntp_packet req = { .transmit = 0x1111 }, rep;
	struct measurement *out = calloc(1, sizeof(*out));
	struct tsd_sample s = sample_at(1700000000000000000LL);

	(void)state;
	interleave_reset(&il, 0);
	interleave_request(&il, &req);
	assert_true(req.origin == 0 && req.receive != 0 && req.receive != req.transmit);
	rep = reply_of(req.receive, s.t2_ns, wire_ns_to_ntp(s.t3_ns));
	assert_false(interleave_answered(&il, &req, &rep));   /* nothing was named */
	interleave_take(&il, &rep, 0, &s, 0x5555, out);
	req = (struct ntp_packet){ .transmit = 0x2222 };
	interleave_request(&il, &req);
	assert_true(req.origin == rep.receive && req.receive == 0x5555);
	rep = reply_of(0x5555, s.t2_ns + 5000, wire_ns_to_ntp(s.t3_ns));
	assert_true(interleave_answered(&il, &req, &rep));
	rep.origin = req.origin;                   /* the wrong field echoed */
	assert_false(interleave_answered(&il, &req, &rep));
	/* client.interleaved = false: requests as an old client's, and no
	 * reply is taken for an interleaved one. */
	interleave_reset(&il, 1);
	rep = reply_of(0x1111, s.t2_ns, wire_ns_to_ntp(s.t3_ns));
	interleave_take(&il, &rep, 0, &s, 0x5555, out);
	req = (struct ntp_packet){ .transmit = 0x3333 };
	interleave_request(&il, &req);
	assert_true(req.origin == 0 && req.receive == 0);
	rep = reply_of(0x5555, s.t2_ns + 5000, wire_ns_to_ntp(s.t3_ns));
	assert_false(interleave_answered(&il, &req, &rep));
	free(out);
}

/* A basic sample is taken at once and upgraded by the next reply's true
 * T3; an interleaved exchange's sample waits for the reply after it; a T3
 * outside its sample's T2 and the next T2 is not taken; a waiting sample
 * that never learns its T3 is counted lost (the client asks once more). */
static void test_interleave_samples(void **state)
{
	struct interleave il;
	struct measurement *out = calloc(1, sizeof(*out));
	tsd_time_ns t0 = 1700000000000000000LL;
	struct tsd_sample a = sample_at(t0), b = sample_at(t0 + 10000), c = sample_at(t0 + 20000), d;
	struct ntp_packet rep;

	(void)state;
	interleave_reset(&il, 0);
	interleave_take(&il, &(struct ntp_packet){ .receive = 1 }, 0, &a, 7, out);
	assert_int_equal(out->n_samples, 1);
	rep = reply_of(7, b.t2_ns, wire_ns_to_ntp(a.t2_ns + 300));
	interleave_take(&il, &rep, 1, &b, 8, out);
	assert_int_equal(out->n_samples, 1);
	assert_true(out->samples[0].t3_ns == a.t2_ns + 300);
	assert_true(interleave_waiting(&il));
	rep = reply_of(8, c.t2_ns, wire_ns_to_ntp(c.t2_ns + 1));   /* after the next T2 */
	interleave_take(&il, &rep, 1, &c, 9, out);
	assert_int_equal(out->n_samples, 1);
	assert_int_equal(out->n_interleaved, 1);
	assert_int_equal(il.lost, 1);              /* b never learnt its T3 */
	d = sample_at(t0 + 30000);
	rep = reply_of(9, d.t2_ns, wire_ns_to_ntp(c.t2_ns + 400));
	interleave_take(&il, &rep, 1, &d, 10, out);
	assert_int_equal(out->n_samples, 2);
	assert_true(out->samples[1].t1_ns == c.t1_ns && out->samples[1].t3_ns == c.t2_ns + 400);
	interleave_take(&il, &(struct ntp_packet){ .receive = 2 }, 0, &a, 11, out);
	assert_false(interleave_waiting(&il));
	assert_int_equal(out->n_samples, 3);
	assert_int_equal(il.lost, 2);              /* d waited, then a basic reply */
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_host_and_port),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_refuses_malformed),
		cmocka_unit_test(test_server_name),
		cmocka_unit_test(test_check_synced),
		cmocka_unit_test(test_take_sample),
		cmocka_unit_test(test_interleave_requests),
		cmocka_unit_test(test_interleave_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
