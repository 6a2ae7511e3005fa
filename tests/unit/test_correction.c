/* Unit tests for the served correction (src/common/correction.c): the
 * two-copy seqlock (a reader always gets a whole record, even while a
 * writer in another process publishes, or after a writer died half-way)
 * and the arithmetic (offset, frequency, bounded slew, dispersion growth,
 * unsynchronised fields). */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/correction.h"

#define NS 1000000000LL

static struct correction_params params_at(int64_t ref_raw_ns)
{
	struct correction_params p;

	memset(&p, 0, sizeof(p));
	p.synced = 1;
	p.ref_raw_ns = ref_raw_ns;
	p.ref_mono_ns = 1000 * NS;
	p.stratum = 2;
	memcpy(p.refid, "\x7f\x00\x00\x01", 4);
	return p;
}

static void test_fresh_mapping_is_unsynchronised(void **state)
{
	struct correction_shared *sh = correction_create();
	struct correction_params p;
	struct tsd_clock_info info = { .stratum = 1 };

	(void)state;
	assert_non_null(sh);
	assert_int_equal(correction_read(sh, &p), 0);
	assert_int_equal(p.synced, 0);
	correction_fill_info(&p, 0, &info);
	assert_int_equal(info.leap, TSD_LEAP_UNSYNC);
	assert_int_equal(info.stratum, 16);
	assert_int_equal(info.reference_ns, 0);
	correction_destroy(sh);
}

static void test_publish_then_read(void **state)
{
	struct correction_shared *sh = correction_create();
	struct correction_params in = params_at(5 * NS), out;

	(void)state;
	in.offset_ns = 123456789;
	in.freq = -42e-6;
	for (int i = 0; i < 3; i++) {
		in.updates = (uint64_t)i;
		correction_publish(sh, &in);
		assert_int_equal(correction_read(sh, &out), 0);
		assert_memory_equal(&in, &out, sizeof(in));
	}
	correction_destroy(sh);
}

/* A writer killed between its two copies: seq is left odd and copy 0 torn.
 * Readers use copy 1 (the last whole record) and the next writer recovers. */
static void test_writer_died_midway(void **state)
{
	struct correction_shared *sh = correction_create();
	struct correction_params good = params_at(7 * NS), out;

	(void)state;
	good.offset_ns = 1111;
	correction_publish(sh, &good);
	sh->seq++;                                  /* what a dying writer leaves */
	memset(&sh->copy[0], 0x5a, sizeof(sh->copy[0]));
	assert_int_equal(correction_read(sh, &out), 0);
	assert_int_equal(out.offset_ns, 1111);
	good.offset_ns = 2222;
	correction_publish(sh, &good);
	assert_int_equal(sh->seq & 1, 0);
	assert_int_equal(correction_read(sh, &out), 0);
	assert_int_equal(out.offset_ns, 2222);
	correction_destroy(sh);
}

/* A child publishes records whose fields all derive from one counter while
 * the parent reads: every record read is whole. The child goes on until
 * the parent has read enough (a byte on a pipe), so a loaded machine that
 * keeps the parent off the CPU cannot leave it with nothing read. */
static void test_concurrent_reader_sees_whole_records(void **state)
{
	struct correction_shared *sh = correction_create();
	struct correction_params p, out;
	int status, torn = 0, reads = 0, stop[2];
	pid_t child;

	(void)state;
	memset(&p, 0, sizeof(p));
	correction_publish(sh, &p);
	assert_int_equal(pipe(stop), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char c;

		close(stop[1]);
		fcntl(stop[0], F_SETFL, O_NONBLOCK);
		for (uint64_t k = 1;; k++) {
			p.updates = k;
			p.offset_ns = (int64_t)k * 3;
			p.ref_raw_ns = (int64_t)k * 7;
			p.freq = (double)k;
			correction_publish(sh, &p);
			if (k % 1024 == 0 && k >= 200000 && read(stop[0], &c, 1) != -1)
				_exit(0);
		}
	}
	close(stop[0]);
	while (reads < 200000) {
		if (correction_read(sh, &out) != 0)
			continue;
		reads++;
		torn += out.offset_ns != (int64_t)out.updates * 3 ||
		        out.ref_raw_ns != (int64_t)out.updates * 7 ||
		        out.freq != (double)out.updates;
	}
	assert_int_equal(write(stop[1], "x", 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	close(stop[1]);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(torn, 0);
	assert_int_equal(correction_read(sh, &out), 0);
	assert_true(out.updates >= 200000);
	assert_true(out.offset_ns == (int64_t)out.updates * 3);
	correction_destroy(sh);
}

static void test_offset_and_frequency(void **state)
{
	struct correction_params p = params_at(100 * NS);

	(void)state;
	p.offset_ns = 250000000;
	p.freq = 100e-6;
	assert_int_equal(correction_offset_ns(&p, 100 * NS), 250000000);
	/* 10 s later at +100 ppm: 1 ms more. */
	assert_int_equal(correction_offset_ns(&p, 110 * NS), 251000000);
	/* Before the reference the line runs backwards. */
	assert_int_equal(correction_offset_ns(&p, 90 * NS), 249000000);
}

static void test_slew_is_bounded(void **state)
{
	struct correction_params p = params_at(0);

	(void)state;
	p.slew_s = -0.002;
	p.slew_rate = 500e-6;
	/* 2 s at 500 ppm: 1 ms of the 2 ms; after 4 s and later: all of it. */
	assert_true(fabs(correction_slew_done_s(&p, 2 * NS) + 0.001) < 1e-12);
	assert_true(fabs(correction_slew_done_s(&p, 4 * NS) + 0.002) < 1e-12);
	assert_true(fabs(correction_slew_done_s(&p, 400 * NS) + 0.002) < 1e-12);
	assert_true(correction_slew_done_s(&p, -NS) == 0);
	assert_int_equal(correction_offset_ns(&p, 2 * NS), -1000000);
}

static void test_fields_and_dispersion_growth(void **state)
{
	struct correction_params p = params_at(0);
	struct tsd_clock_info info = { .precision_log2 = -20 };

	(void)state;
	p.root_delay_s = 0.010;
	p.root_dispersion_s = 0.001;
	p.reference_ns = 1700000000 * NS;
	p.leap = TSD_LEAP_INSERT;
	/* 1000 s after the update: 15 ms more dispersion. */
	correction_fill_info(&p, p.ref_mono_ns + 1000 * NS, &info);
	assert_int_equal(info.stratum, 2);
	assert_int_equal(info.leap, TSD_LEAP_INSERT);
	assert_int_equal(info.precision_log2, -20);
	assert_true(fabs(info.root_delay_s - 0.010) < 1e-12);
	assert_true(fabs(info.root_dispersion_s - 0.016) < 1e-9);
	assert_memory_equal(info.refid, "\x7f\x00\x00\x01", 4);
	assert_true(info.reference_ns == p.reference_ns);
}

/* Root distance delay/2 + dispersion past 1.5 s: unsynchronised. */
static void test_unsynchronised_past_max_distance(void **state)
{
	struct correction_params p = params_at(0);
	struct tsd_clock_info info;
	/* 5 ms + 1 ms + 15 ppm * t > 1.5 s from t = 99600 s. */
	int64_t before = p.ref_mono_ns + 99500 * NS, after = p.ref_mono_ns + 99700 * NS;

	(void)state;
	p.root_delay_s = 0.010;
	p.root_dispersion_s = 0.001;
	correction_fill_info(&p, before, &info);
	assert_int_equal(info.stratum, 2);
	correction_fill_info(&p, after, &info);
	assert_int_equal(info.stratum, 16);
	assert_int_equal(info.leap, TSD_LEAP_UNSYNC);
	assert_int_equal(info.reference_ns, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_mapping_is_unsynchronised),
		cmocka_unit_test(test_publish_then_read),
		cmocka_unit_test(test_writer_died_midway),
		cmocka_unit_test(test_concurrent_reader_sees_whole_records),
		cmocka_unit_test(test_offset_and_frequency),
		cmocka_unit_test(test_slew_is_bounded),
		cmocka_unit_test(test_fields_and_dispersion_growth),
		cmocka_unit_test(test_unsynchronised_past_max_distance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
