/* sync.apply = "system": the sync process steers the clock itself through
 * the clock plugin's steering functions (plugin ABI 2), and keeps the
 * account of what it did. That account is taken out of every reading the
 * sync process makes (clock_source.removed), so the discipline sees the
 * clock as it would run untouched, as with apply = "serve"; only where its
 * output goes differs (doc/algorithm.md, "Applying to the system clock"). */
#ifndef TSD_STEER_H
#define TSD_STEER_H

#include <stdint.h>
#include "common/clock.h"
#include "common/correction.h"
#include "tsd/discipline.h"

struct steer {
	struct clock_source *clock;
	/* What was done, since steer_open: the clock reads raw + offset_ns +
	 * freq * (raw - ref_raw_ns), freq being the frequency set now (the
	 * base plus a slew in progress). Attached as clock->removed. */
	struct correction_params done;
	double base_freq;           /* the discipline's frequency */
	double max_freq;            /* the plugin's limit; both fractions (1e-6 = 1 ppm) */
	double slew_rate;           /* signed: what the slew adds to base_freq */
	uint64_t slew_end_mono_ns;  /* 0: no slew in progress */
};

/* Read the clock's state back (into *found) and set its frequency again to
 * what it is: a process that may not steer the clock (-EPERM) learns it
 * here, at start. Returns 0 or a negative errno. */
int steer_open(struct steer *st, struct clock_source *cs, struct tsd_clock_adjustment *found);
/* At exit: a slew in progress is ended (the base frequency set again), so
 * the clock keeps the learned frequency and nothing more. */
void steer_close(struct steer *st);

/* The correction in force at raw reading now_raw_ns, as the discipline
 * takes it: the offset done, the base frequency and what is left of a slew. */
void steer_in_force(const struct steer *st, int64_t now_raw_ns, uint64_t now_mono_ns,
                    struct correction_params *out);

/* Make the clock follow the discipline's output: step it by what next adds
 * (DISCIPLINE_STEP), then run it at next's frequency plus next's slew, at
 * the slew's rate within the plugin's limit. Returns 0 or a negative errno. */
int steer_apply(struct steer *st, const struct correction_params *next,
                enum discipline_action action, int64_t now_raw_ns, uint64_t now_mono_ns);

/* Tell the clock it is synchronised, with p's leap and root distance and
 * error_s as its estimated error. */
int steer_status(struct steer *st, const struct correction_params *p, double error_s);

/* End a slew whose time has come: back to the base frequency. */
int steer_tick(struct steer *st, uint64_t now_mono_ns);
/* When steer_tick next has work (monotonic ns), or UINT64_MAX. */
uint64_t steer_due_ns(const struct steer *st);

#endif
