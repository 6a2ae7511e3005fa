/* A running clock source: a loaded clock plugin plus its instance, with
 * every value it returns checked before anyone uses it. */
#ifndef TSD_CLOCK_H
#define TSD_CLOCK_H

#include "common/conf.h"
#include "common/correction.h"
#include "common/loader.h"

struct clock_source {
	struct loaded_plugin plugin;
	void *state;
	/* The plugin's functions as this host knows them: those an older ABI
	 * cannot have are NULL (loader_clock_ops). */
	struct tsd_clock_ops ops;
	/* Set by a tsd worker with sync.apply = "serve": every reading and
	 * the hierarchy fields then carry the sync process's correction.
	 * NULL: the plugin's own time (tsclient, the sync process itself). */
	const struct correction_shared *correction;
	/* Set by the sync process with sync.apply = "system": what it has done
	 * to the clock (an offset at a reference reading and the frequency in
	 * force; never a slew), taken out of every reading, so that its
	 * discipline sees the clock as it would run without it. NULL: none. */
	const struct correction_params *removed;
};

/* Load plugin cfg->clock.name from cfg->plugin_dir and start it with its
 * settings. On failure appends "FILE:LINE: ..." errors and returns -1. */
int clock_source_open(struct clock_source *cs, const struct conf *cfg,
                      struct conf_errors *errs);
void clock_source_close(struct clock_source *cs);

/* Checked calls (with the correction applied when one is attached): a reading outside 1970..2262, a NaN, infinite or negative
 * error bound, or out-of-range info is refused with -ERANGE and never served. */
int clock_now(struct clock_source *cs, struct tsd_clock_reading *out);
int clock_info(struct clock_source *cs, struct tsd_clock_info *out);
/* -ENOTSUP when the plugin has no from_realtime. */
int clock_from_realtime(struct clock_source *cs, tsd_time_ns rt, tsd_time_ns *out);
int clock_step(struct clock_source *cs, double offset_s);  /* -ENOTSUP if absent */
int clock_slew(struct clock_source *cs, double offset_s);  /* -ENOTSUP if absent */

/* Steering (plugin ABI 2), for sync.apply = "system". */
/* The plugin has step, adjust_frequency, adjust_read and adjust_status. */
int clock_can_steer(const struct clock_source *cs);
/* -ENOTSUP without steering; -EINVAL for a value that is not finite. */
int clock_adjust_frequency(struct clock_source *cs, double freq_ppm);
/* What the plugin reads back, checked: a frequency that is not finite,
 * a max_freq_ppm not above 0, a leap other than none, insert or delete, or
 * an error bound that is negative or not finite is -ERANGE. */
int clock_adjust_read(struct clock_source *cs, struct tsd_clock_adjustment *out);
/* -EINVAL for a status the plugin must never see (checked here). */
int clock_adjust_status(struct clock_source *cs, const struct tsd_clock_status *status);

#endif
