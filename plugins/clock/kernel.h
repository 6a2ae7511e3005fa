/* Shared by the clock plugins: the kernel's clock state read without
 * changing it, what a kernel clock serves when nothing disciplines it, a
 * clock's precision, and the stratum, refid and local_stratum settings. */
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
	/* Served while the kernel says nothing disciplines the clock; 0 =
	 * serve it as unsynchronised (leap 3, stratum 16). */
	int local_stratum;
	char refid[4];
	int precision_log2;
	double precision_s;
};

KERNEL_API int64_t timespec_ns(const struct timespec *ts);

/* What the kernel says about its clock, read at once. */
struct kernel_state {
	int synced;             /* something (chronyd, ntpd, ptp4l) disciplines it */
	enum tsd_leap leap;     /* the leap second announced for today */
	double error_s;         /* its estimated error; 0 while unsynchronised */
};

/* Read-only (modes = 0). Returns the kernel's clock state or -errno. */
KERNEL_API int kernel_read(struct timex *tx);
/* What adjtimex's answer (state, tx) means; a failed read (state < 0)
 * counts as unsynchronised. */
KERNEL_API void kernel_state_of(int state, const struct timex *tx, struct kernel_state *out);
KERNEL_API void kernel_state_read(struct kernel_state *out);
/* TIME_ERROR or STA_UNSYNC: the kernel does not call its clock synchronised. */
KERNEL_API int kernel_synced(int state, const struct timex *tx);
/* The leap second the kernel announces for the end of the day. */
KERNEL_API enum tsd_leap kernel_leap(const struct timex *tx);
/* The kernel's error estimate. It counts only while something disciplines
 * the clock: unsynchronised, it is served only by an operator who declares
 * it a reference (local_stratum), so only its precision bounds it. */
KERNEL_API double kernel_error_s(const struct timex *tx);

/* ---- steering (adjust.c): clock_adjtime on a kernel clock, for
 * sync.apply = "system". Each returns 0 or -errno (-EPERM without
 * CAP_SYS_TIME); only the read needs no privilege. ---- */

/* The kernel takes frequencies within +-500 ppm (MAXFREQ). */
#define KERNEL_MAX_FREQ_PPM 500.0
KERNEL_API double kernel_clamp_ppm(double freq_ppm);
/* ADJ_FREQUENCY, clamped to KERNEL_MAX_FREQ_PPM. */
KERNEL_API int kernel_adjust_frequency(clockid_t clock, double freq_ppm);
/* ADJ_SETOFFSET | ADJ_NANO: the kernel adds offset_s at once. */
KERNEL_API int kernel_adjust_step(clockid_t clock, double offset_s);
/* ADJ_STATUS (STA_UNSYNC, STA_INS, STA_DEL; STA_PLL and STA_FLL off),
 * ADJ_ESTERROR and ADJ_MAXERROR. */
KERNEL_API int kernel_adjust_status(clockid_t clock, const struct tsd_clock_status *st);
KERNEL_API int kernel_adjust_read(clockid_t clock, struct tsd_clock_adjustment *out);

/* A clock's resolution in seconds; 1 ns when the kernel does not say. */
KERNEL_API double clock_resolution_s(clockid_t clock);
/* log2 of the resolution, rounded up: the precision NTP serves. */
KERNEL_API int clock_precision_log2(double resolution_s);
KERNEL_API void clock_identity_precision(struct clock_identity *id, clockid_t clock);

/* Fills out: precision and error_s make the root dispersion, the root
 * delay is 0. */
KERNEL_API void clock_identity_info(const struct clock_identity *id, enum tsd_leap leap,
                                    double error_s, struct tsd_clock_info *out);
/* What a kernel clock serves: as clock_identity_info while synchronised;
 * unsynchronised, leap 3 and stratum 16 unless local_stratum declares the
 * clock a reference anyway. */
KERNEL_API void clock_identity_kernel_info(const struct clock_identity *id,
                                           const struct kernel_state *ks,
                                           struct tsd_clock_info *out);

/* The `stratum` (1..15) and `refid` (1 to 4 printable ASCII) settings. */
KERNEL_API int clock_set_stratum(struct clock_identity *id, const struct tsd_setting *s,
                                 int index, struct tsd_plugin_error *err);
KERNEL_API int clock_set_refid(struct clock_identity *id, const struct tsd_setting *s,
                               int index, struct tsd_plugin_error *err);
/* `local_stratum` (1..15), for the clocks the kernel disciplines. */
KERNEL_API int clock_set_local_stratum(struct clock_identity *id, const struct tsd_setting *s,
                                       int index, struct tsd_plugin_error *err);
/* One of stratum, refid and local_stratum: 0, a negative errno (err
 * filled), or 1 when the setting is none of them. */
KERNEL_API int clock_identity_setting(struct clock_identity *id, const struct tsd_setting *s,
                                      int index, struct tsd_plugin_error *err);
/* stratum, refid and local_stratum, for a kernel clock that knows no other
 * settings: any other name is refused. */
KERNEL_API int clock_identity_settings(struct clock_identity *id,
                                       const struct tsd_setting *settings, size_t n,
                                       struct tsd_plugin_error *err);

#endif
