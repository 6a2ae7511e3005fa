/* Unit tests for the sync state (src/tsd/sync_state.c) and the loop test's
 * address set (src/tsd/refid.c): a fresh mapping reads as "never written";
 * a writer that died half-way leaves the previous whole copy; a reader in
 * another process never sees a mixed record; every damaged field is
 * refused; the summary state follows the correction and the writer's
 * liveness; this server's IPv4 and IPv6 addresses (MD5) are recognised. */

#include <arpa/inet.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/monotonic.h"
#include "tsd/refid.h"
#include "tsd/sync_state.h"

static struct sync_state good_state(double offset_s)
{
	struct sync_state st;

	memset(&st, 0, sizeof(st));
	st.writer_pid = 1234;
	st.started_mono_ns = 1;
	st.selected = 1;
	st.freq = -100e-6;
	st.poll_s = 16;
	st.n_sources = 2;
	for (int i = 0; i < 2; i++) {
		struct sync_state_source *s = &st.src[i];

		snprintf(s->address, sizeof(s->address), "192.0.2.%d:123", i + 1);
		s->role = i == 0 ? SYNC_ROLE_SELECTED : SYNC_ROLE_CANDIDATE;
		s->reach = 0377;
		s->have_point = 1;
		s->stratum = 1;
		s->poll_s = 16;
		s->offset_s = offset_s;
		s->served_offset_s = offset_s;
		s->delay_s = 0.001;
		s->polls = 10;
		s->replies = 9;
	}
	return st;
}

static void test_fresh_mapping_reads_never(void **state)
{
	struct sync_state_shared *sh = sync_state_create();
	struct sync_state st;

	(void)state;
	assert_non_null(sh);
	assert_int_equal(sync_state_read(sh, &st), SYNC_STATE_NEVER);
	sync_state_destroy(sh);
}

static void test_publish_and_read_back(void **state)
{
	struct sync_state_shared *sh = sync_state_create();
	struct sync_state in = good_state(0.25), out;

	(void)state;
	sync_state_publish(sh, &in);
	assert_int_equal(sync_state_read(sh, &out), SYNC_STATE_OK);
	assert_int_equal(out.magic, SYNC_STATE_MAGIC);
	assert_true(out.written_mono_ns > 0);
	assert_int_equal(out.n_sources, 2);
	assert_string_equal(out.src[1].address, "192.0.2.2:123");
	assert_true(out.src[0].offset_s == 0.25);
	sync_state_destroy(sh);
}

/* A writer killed while writing the copy the readers do not use: seq is
 * odd, that copy is garbage, and readers still get the last whole one. */
static void test_dead_writer_leaves_whole_copy(void **state)
{
	struct sync_state_shared *sh = sync_state_create();
	struct sync_state in = good_state(0.25), out;

	(void)state;
	sync_state_publish(sh, &in);
	sh->seq++;                                  /* as the next publish starts */
	memset(&sh->copy[0], 0xa5, sizeof(sh->copy[0]));
	assert_int_equal(sync_state_read(sh, &out), SYNC_STATE_OK);
	assert_true(out.src[0].offset_s == 0.25);
	/* The next writer recovers from the odd sequence. */
	in = good_state(0.5);
	sync_state_publish(sh, &in);
	assert_int_equal(sync_state_read(sh, &out), SYNC_STATE_OK);
	assert_true(out.src[1].offset_s == 0.5);
	sync_state_destroy(sh);
}

/* One damage at a time, in both copies, as a broken writer would leave. */
static void damage(struct sync_state *st, int which)
{
	switch (which) {
	case 0: st->magic ^= 1; break;
	case 1: st->n_sources = SYNC_STATE_MAX_SOURCES + 1; break;
	case 2: st->src[1].role = SYNC_ROLE_COUNT; break;
	case 3: st->src[0].offset_s = NAN; break;
	case 4: memset(st->src[0].address, 'x', sizeof(st->src[0].address)); break;
	case 5: st->src[1].address[3] = '\n'; break;
	case 6: st->stopped = 7; break;
	case 7: st->src[0].replies = st->src[0].polls + 1; break;
	case 8: st->freq = 1.0; break;
	case 9: st->src[0].leap = 4; break;
	case 10: st->src[1].protocol = 3; break;
	case 11: st->written_mono_ns = st->started_mono_ns - 1; break;
	case 12: st->src[0].delay_s = INFINITY; break;
	case 13: st->writer_pid = 0; break;
	}
}

static void test_damaged_state_is_refused(void **state)
{
	struct sync_state_shared *sh = sync_state_create();
	struct sync_state in, out;

	(void)state;
	for (int which = 0; which <= 13; which++) {
		in = good_state(0.25);
		sync_state_publish(sh, &in);
		damage(&sh->copy[0], which);
		damage(&sh->copy[1], which);
		assert_int_equal(sync_state_read(sh, &out), SYNC_STATE_INVALID);
	}
	/* The same record undamaged passes: the refusals are the damage's. */
	in = good_state(0.25);
	sync_state_publish(sh, &in);
	assert_int_equal(sync_state_read(sh, &out), SYNC_STATE_OK);
	sync_state_destroy(sh);
}

/* A writer in another process publishing as fast as it can: every record
 * read has all its offsets equal to its own frequency's mark. */
static void test_reader_never_sees_a_mixed_record(void **state)
{
	struct sync_state_shared *sh = sync_state_create();
	struct sync_state st, out;
	pid_t pid;
	int status, reads = 0;

	(void)state;
	st = good_state(0);
	sync_state_publish(sh, &st);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int k = 1; k < 200000; k++) {
			st = good_state(k);
			st.freq = k * 1e-9;
			sync_state_publish(sh, &st);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		enum sync_state_read_result r = sync_state_read(sh, &out);

		if (r == SYNC_STATE_TORN)
			continue;
		assert_int_equal(r, SYNC_STATE_OK);
		assert_true(out.src[0].offset_s == out.src[1].offset_s);
		assert_true(out.src[1].offset_s == 0 ||
		            fabs(out.freq * 1e9 - out.src[1].offset_s) < 1e-3);
		reads++;
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(reads > 0);
	sync_state_destroy(sh);
}

static void test_overall_state(void **state)
{
	int64_t now = (int64_t)monotonic_now_ns();
	struct correction_params corr;
	struct sync_state st = good_state(0);

	(void)state;
	memset(&corr, 0, sizeof(corr));
	st.written_mono_ns = now;
	assert_int_equal(sync_state_overall(&corr, &st, now), SYNC_UNSYNCHRONIZED);
	assert_int_equal(sync_state_overall(NULL, &st, now), SYNC_UNSYNCHRONIZED);
	corr.synced = 1;
	corr.ref_mono_ns = now - 1000000000;
	corr.root_dispersion_s = 0.001;
	assert_int_equal(sync_state_overall(&corr, &st, now), SYNC_SYNCHRONIZED);
	st.selected = 0;                            /* no majority now */
	assert_int_equal(sync_state_overall(&corr, &st, now), SYNC_HOLDOVER);
	st.selected = 1;
	assert_int_equal(sync_state_overall(&corr, NULL, now), SYNC_HOLDOVER);
	st.written_mono_ns = now - SYNC_STATE_STALE_NS - 1;    /* the writer is gone */
	assert_false(sync_state_live(&st, now));
	assert_int_equal(sync_state_overall(&corr, &st, now), SYNC_HOLDOVER);
	st.written_mono_ns = now;
	st.stopped = 1;
	assert_int_equal(sync_state_overall(&corr, &st, now), SYNC_HOLDOVER);
	/* 15 ppm/s for two days: 2.6 s, past the 1.5 s root distance. */
	corr.ref_mono_ns = now - 2 * 86400LL * 1000000000;
	assert_int_equal(sync_state_overall(&corr, &st, now), SYNC_UNSYNCHRONIZED);
}

static void id_of(const char *hex, uint8_t out[4])
{
	unsigned v;

	sscanf(hex, "%8x", &v);
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

/* The MD5 prefixes below were computed with Python's hashlib over the
 * 16 bytes of each address. */
static void test_own_addresses(void **state)
{
	char *listen[] = { "127.0.0.4", "::1", "0.0.0.0", "::", "not-an-address" };
	struct refid_set set;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	uint8_t id[4];
	size_t n;

	(void)state;
	refid_own_set(&set, listen, 5);
	assert_true(refid_set_has(&set, (const uint8_t *)"\x7f\x00\x00\x04"));
	id_of("cf404dc8", id);                      /* ::1 */
	assert_true(refid_set_has(&set, id));
	assert_false(refid_set_has(&set, (const uint8_t *)"\x00\x00\x00\x00"));
	/* Loopback interfaces are every host's: not a sign of a loop. */
	assert_false(refid_set_has(&set, (const uint8_t *)"\x7f\x00\x00\x01"));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", &in6->sin6_addr), 1);
	n = set.n;
	refid_set_add(&set, &ss);
	refid_set_add(&set, &ss);
	assert_int_equal(set.n, n + 1);
	id_of("e1b2c29d", id);
	assert_true(refid_set_has(&set, id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_mapping_reads_never),
		cmocka_unit_test(test_publish_and_read_back),
		cmocka_unit_test(test_dead_writer_leaves_whole_copy),
		cmocka_unit_test(test_damaged_state_is_refused),
		cmocka_unit_test(test_reader_never_sees_a_mixed_record),
		cmocka_unit_test(test_overall_state),
		cmocka_unit_test(test_own_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
