/* A network card's clock (PHC) against the system's real-time clock: the
 * best of a set of readings, an offset and a rate from the last few, and
 * the conversion of a hardware stamp, refused when the readings are stale.
 * Pure arithmetic: hwclock.c takes the readings, the unit tests make them. */
#ifndef TSD_PHCFIT_H
#define TSD_PHCFIT_H

#include <stdint.h>

/* Samples kept for the rate. */
#define PHCFIT_SAMPLES 8
/* A reading whose system-time window is wider than this (the PHC read took
 * too long: preempted, a slow bus) says little about when it was taken. */
#define PHCFIT_MAX_WINDOW_NS 500000
/* A stamp more than this (in PHC time) from the newest sample is not
 * converted: the worker has not sampled lately, or the stamp is garbage. */
#define PHCFIT_MAX_AGE_NS 4000000000ll
/* A new sample this far from what the fit predicts means the PHC (or the
 * system clock) was stepped: the history starts again from it. */
#define PHCFIT_STEP_NS 1000000
/* A rate beyond this is not a crystal's: the fit starts again. */
#define PHCFIT_MAX_RATE 0.001

/* One reading: the system clock before, the PHC, the system clock after. */
struct phc_reading {
	int64_t sys_before_ns;
	int64_t phc_ns;
	int64_t sys_after_ns;
};

/* The PHC at one instant and the system time at the same instant. */
struct phc_sample {
	int64_t phc_ns;
	int64_t sys_ns;
	int64_t window_ns;
};

struct phc_fit {
	struct phc_sample s[PHCFIT_SAMPLES];
	unsigned n;                     /* samples held, oldest first */
	double rate;                    /* d(sys - phc) / d(phc) */
	int64_t offset_ns;              /* sys - phc at the newest sample, fitted */
};

/* The reading with the narrowest window, as a sample at its middle.
 * 0, or -1 when none has a window from 0 to PHCFIT_MAX_WINDOW_NS. */
int phcfit_pick(const struct phc_reading *r, unsigned n, struct phc_sample *out);

/* Add a sample: the oldest goes when full; the history restarts when the
 * sample goes backwards, comes after more than PHCFIT_MAX_AGE_NS or jumps
 * (PHCFIT_STEP_NS). The offset and rate are the least-squares line of
 * (sys - phc) over phc (rate 0 with one sample); the history restarts when
 * the rate is beyond PHCFIT_MAX_RATE. A zeroed struct is an empty fit. */
void phcfit_add(struct phc_fit *f, const struct phc_sample *s);

/* A PHC stamp as system (CLOCK_REALTIME) time: the fitted offset at the
 * newest sample, carried to the stamp at the fitted rate. 0, or -1 with no sample or one
 * more than PHCFIT_MAX_AGE_NS from the stamp. */
int phcfit_convert(const struct phc_fit *f, int64_t phc_ns, int64_t *sys_ns);

#endif
