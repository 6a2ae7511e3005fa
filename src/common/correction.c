/* The served correction: a two-copy seqlock in a shared mapping, and the
 * arithmetic from a raw clock reading to the time and fields served. */
#include "common/correction.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>

#define NS_PER_S 1000000000.0
/* A reader gives up after this many torn reads: a writer updates a few
 * times a second at most, so even one retry is rare. */
#define READ_TRIES 64

struct correction_shared *correction_create(void)
{
	void *p = mmap(NULL, sizeof(struct correction_shared), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	/* A fresh anonymous mapping is zero: seq 0, copy 0 unsynchronised. */
	return p == MAP_FAILED ? NULL : p;
}

void correction_destroy(struct correction_shared *sh)
{
	if (sh != NULL)
		munmap(sh, sizeof(*sh));
}

static void set_seq(struct correction_shared *sh, uint32_t seq)
{
	__atomic_store_n(&sh->seq, seq, __ATOMIC_RELEASE);
	/* The copy written next must not become visible before seq. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Readers use copy[seq & 1]: write the copy they are not using, switch
 * them to it, then bring the other copy up to date. An odd seq left by a
 * writer that died means readers are on copy 1 already. */
void correction_publish(struct correction_shared *sh, const struct correction_params *p)
{
	uint32_t seq = __atomic_load_n(&sh->seq, __ATOMIC_RELAXED);

	if ((seq & 1) == 0)
		set_seq(sh, ++seq);
	memcpy(&sh->copy[0], p, sizeof(*p));
	set_seq(sh, ++seq);
	memcpy(&sh->copy[1], p, sizeof(*p));
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

int correction_read(const struct correction_shared *sh, struct correction_params *out)
{
	for (int i = 0; i < READ_TRIES; i++) {
		uint32_t before = __atomic_load_n(&sh->seq, __ATOMIC_ACQUIRE);

		memcpy(out, &sh->copy[before & 1], sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&sh->seq, __ATOMIC_RELAXED) == before)
			return 0;
	}
	return -EAGAIN;
}

double correction_slew_done_s(const struct correction_params *p, int64_t raw_ns)
{
	double moved;

	if (p->slew_s == 0 || raw_ns <= p->ref_raw_ns)
		return 0;
	moved = p->slew_rate * (double)(raw_ns - p->ref_raw_ns) / NS_PER_S;
	if (!(moved < fabs(p->slew_s)))
		return p->slew_s;
	return p->slew_s > 0 ? moved : -moved;
}

int64_t correction_offset_ns(const struct correction_params *p, int64_t raw_ns)
{
	double since_ns = (double)(raw_ns - p->ref_raw_ns);
	double extra_ns = p->freq * since_ns + correction_slew_done_s(p, raw_ns) * NS_PER_S;

	return p->offset_ns + (int64_t)llround(extra_ns);
}

double correction_dispersion_s(const struct correction_params *p, int64_t mono_ns)
{
	double since_s = (double)(mono_ns - p->ref_mono_ns) / NS_PER_S;

	if (since_s < 0)
		since_s = 0;
	return p->root_dispersion_s + CORRECTION_PHI * since_s;
}

void correction_fill_info(const struct correction_params *p, int64_t mono_ns,
                          struct tsd_clock_info *info)
{
	double dispersion = correction_dispersion_s(p, mono_ns);

	info->reference_ns = 0;
	if (!p->synced || p->root_delay_s / 2 + dispersion > CORRECTION_MAXDIST_S) {
		info->leap = TSD_LEAP_UNSYNC;
		info->stratum = 16;
		info->root_delay_s = p->synced ? p->root_delay_s : 0;
		info->root_dispersion_s = p->synced ? dispersion : 0;
		memcpy(info->refid, p->synced ? p->refid : "INIT", 4);
		return;
	}
	info->leap = (enum tsd_leap)p->leap;
	info->stratum = p->stratum;
	info->root_delay_s = p->root_delay_s;
	info->root_dispersion_s = dispersion;
	info->reference_ns = p->reference_ns;
	memcpy(info->refid, p->refid, 4);
}
