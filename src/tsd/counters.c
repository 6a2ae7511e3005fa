/* Per-worker counters in a shared anonymous mapping the master can read. */

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "tsd/plugin.h"

#include "tsd/counters.h"

struct worker_counters *counters_create(unsigned slots)
{
	void *p;

	if (slots == 0)
		return NULL;
	/* MAP_SHARED before fork: every worker writes its own slot and the
	 * master sees the values without asking. */
	p = mmap(NULL, (size_t)slots * sizeof(struct worker_counters),
	         PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void counters_destroy(struct worker_counters *c, unsigned slots)
{
	if (c != NULL)
		munmap(c, (size_t)slots * sizeof(struct worker_counters));
}

static unsigned hist_bucket(int64_t ns)
{
	unsigned b;
	uint64_t v;

	if (ns < 2)
		return 0;
	v = (uint64_t)ns;
	b = 63u - (unsigned)__builtin_clzll(v);
	return b < COUNTERS_HIST_BUCKETS ? b : COUNTERS_HIST_BUCKETS - 1;
}

void counters_add_proc_time(struct worker_counters *c, int64_t ns)
{
	c->proc_time_hist[hist_bucket(ns)]++;
	c->proc_time_sum_ns += ns > 0 ? (uint64_t)ns : 0;
}

static uint64_t seconds_to_ns(double s)
{
	return s > 0.0 && s < 1e9 ? (uint64_t)(s * 1e9) : 0;
}

void counters_note_clock(struct worker_counters *c, const struct tsd_clock_info *info)
{
	c->clock.stratum = info->stratum;
	c->clock.leap = (int32_t)info->leap;
	memcpy(c->clock.refid, info->refid, sizeof(c->clock.refid));
	c->clock.root_delay_ns = seconds_to_ns(info->root_delay_s);
	c->clock.root_dispersion_ns = seconds_to_ns(info->root_dispersion_s);
	c->clock.valid = 1;
}

uint64_t counters_hist_quantile(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0, want;
	unsigned i;

	for (i = 0; i < COUNTERS_HIST_BUCKETS; i++)
		total += hist[i];
	if (total == 0)
		return 0;
	if (q < 0.0)
		q = 0.0;
	if (q > 1.0)
		q = 1.0;
	want = (uint64_t)(q * (double)total);
	if (want == 0)
		want = 1;
	for (i = 0; i < COUNTERS_HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen >= want)
			break;
	}
	if (i >= COUNTERS_HIST_BUCKETS - 1)
		return UINT64_MAX;
	return (uint64_t)1 << (i + 1);
}
