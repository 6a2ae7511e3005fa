/* The served correction: what the sync process learned, published in shared
 * memory for the workers, and the arithmetic that turns a reading of this
 * machine's clock into the time served.
 *
 * The sync process is the only writer; the workers read it on every
 * request. The record is a seqlock over two copies (a "latch"): the writer
 * updates one copy while readers use the other, so a reader never waits
 * for the writer, and a writer killed half-way through leaves the other
 * copy whole for the readers. */
#ifndef TSD_COMMON_CORRECTION_H
#define TSD_COMMON_CORRECTION_H

#include <stdint.h>
#include "tsd/plugin.h"

/* RFC 5905: the dispersion of a clock grows at PHI = 15 ppm per second
 * since its last update, and a root distance above MAXDIST = 1.5 s is
 * unsynchronised. */
#define CORRECTION_PHI 15e-6
#define CORRECTION_MAXDIST_S 1.5

/* One published state. The correction of a raw clock reading R (ns) is
 *   offset_ns + freq * (R - ref_raw_ns) + the part of slew_s done by then,
 * the slew running at slew_rate seconds per second until it is complete. */
struct correction_params {
	int synced;                /* 0: serve leap 3, stratum 16 */
	int64_t ref_raw_ns;        /* raw clock reading at the last update */
	int64_t ref_mono_ns;       /* CLOCK_MONOTONIC at the last update */
	int64_t offset_ns;         /* served minus raw at ref_raw_ns */
	double freq;               /* served rate minus raw rate (1e-6 = 1 ppm) */
	double slew_s;             /* phase still to add after ref_raw_ns */
	double slew_rate;          /* > 0 when slew_s != 0 */
	/* The hierarchy fields served (RFC 5905 section 7.3). */
	int leap;
	int stratum;
	char refid[4];
	int64_t reference_ns;      /* served time of the last update */
	double root_delay_s;
	double root_dispersion_s;  /* at the update; grows by CORRECTION_PHI */
	uint64_t updates;          /* how many updates the writer made */
};

struct correction_shared {
	volatile uint32_t seq;     /* even: copy 0 is readable; odd: copy 1 */
	uint32_t pad;
	struct correction_params copy[2];
};

/* The mapping: MAP_SHARED | MAP_ANONYMOUS, made before fork. */
struct correction_shared *correction_create(void);
void correction_destroy(struct correction_shared *sh);

/* Writer side (one writer). */
void correction_publish(struct correction_shared *sh, const struct correction_params *p);

/* Reader side: a consistent copy, never blocking (a bounded retry loop;
 * -EAGAIN only if a writer raced every try, which the caller treats as
 * "serve unsynchronised this once"). */
int correction_read(const struct correction_shared *sh, struct correction_params *out);

/* served - raw at raw reading raw_ns, in nanoseconds. */
int64_t correction_offset_ns(const struct correction_params *p, int64_t raw_ns);
/* The phase of the slew done by raw_ns. */
double correction_slew_done_s(const struct correction_params *p, int64_t raw_ns);
/* Root dispersion mono_ns after the update. */
double correction_dispersion_s(const struct correction_params *p, int64_t mono_ns);
/* Overwrite the hierarchy fields of info with what p serves at mono_ns:
 * unsynchronised before the first update and once the root distance passes
 * CORRECTION_MAXDIST_S. Precision stays the clock's. */
void correction_fill_info(const struct correction_params *p, int64_t mono_ns,
                          struct tsd_clock_info *info);

#endif
