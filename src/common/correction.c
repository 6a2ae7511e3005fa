/* The served correction: a two-copy seqlock in a shared mapping, and the
 * arithmetic from a raw clock reading to the time and fields served. */
#include "common/correction.h"

#include <math.h>
#include <string.h>
#include <sys/mman.h>

#include "common/latch.h"

#define NS_PER_S 1000000000.0

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

void correction_publish(struct correction_shared *sh, const struct correction_params *p)
{
	latch_publish(&sh->seq, sh->copy, sizeof(*p), p);
}

int correction_read(const struct correction_shared *sh, struct correction_params *out)
{
	return latch_read(&sh->seq, sh->copy, sizeof(*out), out);
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
