/* Unit tests of the UDP server's per-address rate limiter. */

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tsd/ratelimit.h"

#define SEC 1000000000ull
/* Monotonic clocks start far from zero; so do these tests. */
#define T0 (1000 * SEC)

static struct sockaddr_in v4(const char *text)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(123) };

	assert_int_equal(inet_pton(AF_INET, text, &sa.sin_addr), 1);
	return sa;
}

static struct sockaddr_in6 v6(const char *text)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(123) };

	assert_int_equal(inet_pton(AF_INET6, text, &sa.sin6_addr), 1);
	return sa;
}

static struct ratelimit *make_shared(double interval_s, unsigned burst, unsigned leak,
                                     size_t table, int shared)
{
	struct ratelimit_config cfg = {
		.interval_s = interval_s, .burst = burst, .leak = leak, .table_size = table,
		.shared = shared,
	};
	struct ratelimit *rl = ratelimit_new(&cfg);

	assert_non_null(rl);
	assert_true(ratelimit_same_config(rl, &cfg));
	return rl;
}

static struct ratelimit *make(double interval_s, unsigned burst, unsigned leak, size_t table)
{
	return make_shared(interval_s, burst, leak, table, 0);
}

static enum ratelimit_verdict check4(struct ratelimit *rl, const char *addr, uint64_t now_ns)
{
	struct sockaddr_in sa = v4(addr);

	return ratelimit_check(rl, (struct sockaddr *)&sa, now_ns);
}

static enum ratelimit_verdict check6(struct ratelimit *rl, const char *addr, uint64_t now_ns)
{
	struct sockaddr_in6 sa = v6(addr);

	return ratelimit_check(rl, (struct sockaddr *)&sa, now_ns);
}

static void test_burst_then_drop(void **state)
{
	struct ratelimit *rl = make(0.125, 16, 0, 1024);

	(void)state;
	for (int i = 0; i < 16; i++)
		assert_int_equal(check4(rl, "192.0.2.1", T0), RATELIMIT_PASS);
	for (int i = 0; i < 100; i++)
		assert_int_equal(check4(rl, "192.0.2.1", T0), RATELIMIT_DROP);
	ratelimit_free(rl);
}

static void test_refills_at_interval(void **state)
{
	struct ratelimit *rl = make(0.125, 4, 0, 1024);
	uint64_t t = T0;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(check4(rl, "192.0.2.1", t), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.1", t), RATELIMIT_DROP);
	/* Just short of one interval: still empty. */
	t += SEC / 8 - 1;
	assert_int_equal(check4(rl, "192.0.2.1", t), RATELIMIT_DROP);
	/* One interval later exactly one more packet. */
	t += 1;
	assert_int_equal(check4(rl, "192.0.2.1", t), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.1", t), RATELIMIT_DROP);
	/* Steady at the allowed rate: every packet passes. */
	for (int i = 0; i < 50; i++) {
		t += SEC / 8;
		assert_int_equal(check4(rl, "192.0.2.1", t), RATELIMIT_PASS);
	}
	/* After a long silence the whole burst is back, no more. */
	t += 3600 * SEC;
	for (int i = 0; i < 4; i++)
		assert_int_equal(check4(rl, "192.0.2.1", t), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.1", t), RATELIMIT_DROP);
	ratelimit_free(rl);
}

static void test_leak_one_in_n(void **state)
{
	struct ratelimit *rl = make(1.0, 1, 4, 1024);
	int leaked = 0, dropped = 0;

	(void)state;
	assert_int_equal(check4(rl, "198.51.100.7", T0), RATELIMIT_PASS);
	for (int i = 0; i < 400; i++) {
		enum ratelimit_verdict v = check4(rl, "198.51.100.7", T0);

		assert_true(v == RATELIMIT_DROP || v == RATELIMIT_LEAK);
		leaked += v == RATELIMIT_LEAK;
		dropped += v == RATELIMIT_DROP;
		/* The leak is every 4th limited packet, not a random share. */
		assert_int_equal(v == RATELIMIT_LEAK, (i + 1) % 4 == 0);
	}
	assert_int_equal(leaked, 100);
	assert_int_equal(dropped, 300);
	ratelimit_free(rl);
}

static void test_addresses_independent(void **state)
{
	struct ratelimit *rl = make(1.0, 2, 0, 1024);

	(void)state;
	assert_int_equal(check4(rl, "192.0.2.1", T0), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.1", T0), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.1", T0), RATELIMIT_DROP);
	assert_int_equal(check4(rl, "192.0.2.2", T0), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.2", T0), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.2", T0), RATELIMIT_DROP);
	assert_int_equal(ratelimit_used(rl), 2);
	ratelimit_free(rl);
}

static void test_ipv6_per_prefix(void **state)
{
	struct ratelimit *rl = make(1.0, 2, 0, 1024);

	(void)state;
	/* Two addresses of one /64 share a bucket. */
	assert_int_equal(check6(rl, "2001:db8:1:2::1", T0), RATELIMIT_PASS);
	assert_int_equal(check6(rl, "2001:db8:1:2:aaaa::9", T0), RATELIMIT_PASS);
	assert_int_equal(check6(rl, "2001:db8:1:2::77", T0), RATELIMIT_DROP);
	/* Another /64 has its own. */
	assert_int_equal(check6(rl, "2001:db8:1:3::1", T0), RATELIMIT_PASS);
	/* A mapped IPv4 address is that IPv4 host, not a /64. */
	assert_int_equal(check6(rl, "::ffff:192.0.2.9", T0), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.9", T0), RATELIMIT_PASS);
	assert_int_equal(check6(rl, "::ffff:192.0.2.9", T0), RATELIMIT_DROP);
	assert_int_equal(check6(rl, "::ffff:192.0.2.10", T0), RATELIMIT_PASS);
	ratelimit_free(rl);
}

static void test_table_bounded(void **state)
{
	struct ratelimit *rl = make(1.0, 1, 0, 100);
	char addr[32];

	(void)state;
	assert_int_equal(ratelimit_capacity(rl), 128);
	for (int i = 0; i < 20000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		assert_int_equal(check4(rl, addr, T0 + (uint64_t)i), RATELIMIT_PASS);
	}
	assert_true(ratelimit_used(rl) <= 128);
	assert_true(ratelimit_used(rl) > 64);
	ratelimit_free(rl);
}

static void test_evicts_idlest(void **state)
{
	/* One set of RATELIMIT_WAYS slots: every address lands in it. */
	struct ratelimit *rl = make(10.0, 4, 0, RATELIMIT_WAYS);
	char addr[32];

	(void)state;
	assert_int_equal(ratelimit_capacity(rl), RATELIMIT_WAYS);
	/* A client that spent its whole burst (its bucket is refilled only
	 * 40 s from now)... */
	for (int i = 0; i < 4; i++)
		assert_int_equal(check4(rl, "203.0.113.1", T0), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "203.0.113.1", T0), RATELIMIT_DROP);
	/* ...then a crowd of new addresses, each seen once (full again in
	 * 10 s): they evict each other, never the client that owes more. */
	for (int i = 0; i < 50; i++) {
		snprintf(addr, sizeof(addr), "198.18.0.%d", i + 1);
		assert_int_equal(check4(rl, addr, T0 + SEC), RATELIMIT_PASS);
	}
	assert_int_equal(ratelimit_used(rl), RATELIMIT_WAYS);
	assert_int_equal(check4(rl, "203.0.113.1", T0 + SEC), RATELIMIT_DROP);
	/* The first of the crowd was evicted: it starts over with a full bucket. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(check4(rl, "198.18.0.1", T0 + SEC), RATELIMIT_PASS);
	ratelimit_free(rl);
}

static void test_clock_going_back(void **state)
{
	struct ratelimit *rl = make(1.0, 1, 0, 64);

	(void)state;
	assert_int_equal(check4(rl, "192.0.2.1", T0), RATELIMIT_PASS);
	/* An earlier instant must not underflow into a huge credit. */
	assert_int_equal(check4(rl, "192.0.2.1", T0 - SEC / 2), RATELIMIT_DROP);
	ratelimit_free(rl);
}

static void test_other_family_passes(void **state)
{
	struct ratelimit *rl = make(1.0, 1, 0, 64);
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_check(rl, (struct sockaddr *)&un, T0), RATELIMIT_PASS);
	assert_int_equal(ratelimit_used(rl), 0);
	ratelimit_free(rl);
}

/* A set locked by another process (preempted inside the lock on a loaded
 * machine) drops the packet: it used to pass unchecked, and the other
 * workers answered a flood for as long as the holder was off the CPU. A
 * lock held for over a second is a dead holder's and is taken over. */
static void test_locked_set_never_passes(void **state)
{
	struct ratelimit *rl = make(1.0, 16, 0, 64);
	struct sockaddr_in sa = v4("192.0.2.60");

	(void)state;
	ratelimit_hold_for_test(rl, (struct sockaddr *)&sa, T0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(check4(rl, "192.0.2.60", T0 + (uint64_t)i * 1000000), RATELIMIT_DROP);
	assert_int_equal(ratelimit_used(rl), 0);
	assert_int_equal(check4(rl, "192.0.2.60", T0 + 2 * SEC), RATELIMIT_PASS);
	assert_int_equal(check4(rl, "192.0.2.60", T0 + 2 * SEC), RATELIMIT_PASS);
	assert_int_equal(ratelimit_used(rl), 1);
	ratelimit_free(rl);
}

/* Made before fork, a shared table is one limit for every process; a
 * private one is a copy. */
static void spend_in_child(struct ratelimit *rl, int n)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < n; i++)
			check4(rl, "192.0.2.50", T0);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_shared_across_fork(void **state)
{
	struct ratelimit *shared = make_shared(1.0, 3, 0, 64, 1);
	struct ratelimit *private = make(1.0, 3, 0, 64);

	(void)state;
	spend_in_child(shared, 3);
	spend_in_child(private, 3);
	assert_int_equal(check4(shared, "192.0.2.50", T0), RATELIMIT_DROP);
	assert_int_equal(check4(private, "192.0.2.50", T0), RATELIMIT_PASS);
	ratelimit_free(shared);
	ratelimit_free(private);
}

static void test_same_config(void **state)
{
	struct ratelimit *rl = make(0.125, 16, 4, 65536);
	struct ratelimit_config other = {
		.interval_s = 0.125, .burst = 16, .leak = 4, .table_size = 65536, .shared = 1,
	};

	(void)state;
	assert_false(ratelimit_same_config(rl, &other));
	other.shared = 0;
	assert_true(ratelimit_same_config(rl, &other));
	other.burst = 8;
	assert_false(ratelimit_same_config(rl, &other));
	ratelimit_free(rl);
}

static void expect_einval(double interval_s, unsigned burst, size_t table)
{
	struct ratelimit_config cfg = {
		.interval_s = interval_s, .burst = burst, .leak = 0, .table_size = table,
	};

	errno = 0;
	assert_null(ratelimit_new(&cfg));
	assert_int_equal(errno, EINVAL);
}

static void test_bad_config(void **state)
{
	(void)state;
	expect_einval(0.0, 16, 1024);
	expect_einval(-1.0, 16, 1024);
	expect_einval(NAN, 16, 1024);
	expect_einval(INFINITY, 16, 1024);
	expect_einval(1e9, 16, 1024);
	expect_einval(0.125, 0, 1024);
	expect_einval(0.125, 16, 0);
	expect_einval(0.125, 16, (size_t)RATELIMIT_MAX_TABLE + 1);
	errno = 0;
	assert_null(ratelimit_new(NULL));
	assert_int_equal(errno, EINVAL);
	ratelimit_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_drop),
		cmocka_unit_test(test_refills_at_interval),
		cmocka_unit_test(test_leak_one_in_n),
		cmocka_unit_test(test_addresses_independent),
		cmocka_unit_test(test_ipv6_per_prefix),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test(test_evicts_idlest),
		cmocka_unit_test(test_clock_going_back),
		cmocka_unit_test(test_other_family_passes),
		cmocka_unit_test(test_locked_set_never_passes),
		cmocka_unit_test(test_shared_across_fork),
		cmocka_unit_test(test_same_config),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
