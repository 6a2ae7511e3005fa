/* Shared by the clock plugins: the kernel's clock state read without
 * changing it, a clock's precision, and the stratum and refid settings. */
#ifndef TSD_PLUGIN_CLOCK_KERNEL_H
#define TSD_PLUGIN_CLOCK_KERNEL_H

#include <stdint.h>
#include <sys/timex.h>
#include <time.h>

#include "tsd/plugin.h"

/* Linked into each plugin; hidden so that each .so still exports only
 * tsd_plugin and never binds these names to another object's. */
#define KERNEL_API __attribute__((visibility("hidden")))

#define NS_PER_S 1000000000LL

/* What a clock serves besides its time (struct tsd_clock_info). */
struct clock_identity {
	int stratum;
	char refid[4];
	int precision_log2;
	double precision_s;
};

KERNEL_API int64_t timespec_ns(const struct timespec *ts);

/* Read-only (modes = 0). Returns the kernel's clock state or -errno. */
KERNEL_API int kernel_read(struct timex *tx);
/* The leap second the kernel announces for the end of the day. */
KERNEL_API enum tsd_leap kernel_leap(const struct timex *tx);
/* The kernel's error estimate. It counts only while something disciplines
 * the clock: unsynchronised, an operator who serves it declares it the
 * reference, so only its precision bounds it. */
KERNEL_API double kernel_error_s(const struct timex *tx);

/* A clock's resolution in seconds; 1 ns when the kernel does not say. */
KERNEL_API double clock_resolution_s(clockid_t clock);
/* log2 of the resolution, rounded up: the precision NTP serves. */
KERNEL_API int clock_precision_log2(double resolution_s);
KERNEL_API void clock_identity_precision(struct clock_identity *id, clockid_t clock);

/* Fills out: precision and error_s make the root dispersion, the root
 * delay is 0. */
KERNEL_API void clock_identity_info(const struct clock_identity *id, enum tsd_leap leap,
                                    double error_s, struct tsd_clock_info *out);

/* The `stratum` (1..15) and `refid` (1 to 4 printable ASCII) settings. */
KERNEL_API int clock_set_stratum(struct clock_identity *id, const struct tsd_setting *s,
                                 int index, struct tsd_plugin_error *err);
KERNEL_API int clock_set_refid(struct clock_identity *id, const struct tsd_setting *s,
                               int index, struct tsd_plugin_error *err);
/* For a clock that knows no other settings: any other name is refused. */
KERNEL_API int clock_identity_settings(struct clock_identity *id,
                                       const struct tsd_setting *settings, size_t n,
                                       struct tsd_plugin_error *err);

#endif
