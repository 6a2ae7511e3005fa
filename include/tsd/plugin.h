/* tsd plugin ABI: the one public header. A plugin is a shared object that
 * exports exactly one symbol, `tsd_plugin`, a const struct tsd_plugin. */
#ifndef TSD_PLUGIN_H
#define TSD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ABI version log. Bump TSD_PLUGIN_ABI_VERSION on any change that breaks a
 * built plugin (a field moved, a signature changed, a meaning changed).
 * Appending a field at the end of struct tsd_plugin does not need a bump: the
 * loader reads `size` and treats fields past it as absent.
 *
 *   1  2026-11-26  first version: clock and estimator kinds.
 *   2  2026-12-06  clock: optional steering functions appended to struct
 *                  tsd_clock_ops (adjust_frequency, adjust_read,
 *                  adjust_status; with step, what sync.apply = "system"
 *                  needs), and TSD_SHARED_FD_ENV. The loader still takes
 *                  ABI 1 plugins: their tsd_clock_ops ends at slew, and
 *                  the host reads no further.
 */
#define TSD_PLUGIN_ABI_VERSION 2u
/* The oldest ABI version the host still loads. */
#define TSD_PLUGIN_ABI_OLDEST 1u

/* The host's origin: the environment variable the tsd master sets, before
 * it starts any other process, to its CLOCK_REALTIME start time in decimal
 * nanoseconds (unless it is set already). A plugin that simulates time
 * (drift, a scheduled step) counts from it, so every process of one tsd
 * (the master, each worker, the sync process, whenever it started) reads
 * the same simulated time. Absent (tsclient): count from the plugin's own
 * start. */
#define TSD_ORIGIN_ENV "TSD_ORIGIN_NS"

/* The host's shared memory (ABI 2): the tsd master creates, before it
 * starts any other process, a zero-filled memory file of TSD_SHARED_BYTES
 * bytes that every process of one tsd inherits, and sets this environment
 * variable to its descriptor number. It belongs to the clock plugin: a
 * clock that simulates what the kernel keeps for the real clock (the sim
 * plugin's steps and frequency) maps it MAP_SHARED, so an adjustment made
 * by the sync process is what every worker reads. Absent or not a memory
 * file of that size (tsclient): keep the state private. */
#define TSD_SHARED_FD_ENV "TSD_SHARED_FD"
#define TSD_SHARED_BYTES 4096u

/* The name of the one symbol a plugin exports. */
#define TSD_PLUGIN_SYMBOL "tsd_plugin"

enum tsd_plugin_kind {
	TSD_PLUGIN_CLOCK = 1,     /* file name clock_<name>.so */
	TSD_PLUGIN_ESTIMATOR = 2, /* file name estimator_<name>.so */
};

/* ---- settings: a plugin sees only its own configuration section ---- */

enum tsd_setting_type {
	TSD_SETTING_INT = 1,
	TSD_SETTING_FLOAT = 2,
	TSD_SETTING_STRING = 3,
	TSD_SETTING_BOOL = 4,
};

struct tsd_setting {
	const char *name;          /* never "plugin": the host consumes that */
	enum tsd_setting_type type;
	int64_t int_value;         /* TSD_SETTING_INT and TSD_SETTING_BOOL */
	double float_value;        /* TSD_SETTING_FLOAT (and INT, converted) */
	const char *string_value;  /* TSD_SETTING_STRING */
	int line;                  /* line in the configuration file, 0 if none */
};

/* Filled by a plugin when it refuses its settings or fails to start. */
struct tsd_plugin_error {
	char message[256];
	int setting_index; /* index into the settings array, or -1 */
};

/* ---- clock sources ---- */

/* Nanoseconds since 1970-01-01 00:00:00 UTC (POSIX time scale, no leap
 * seconds counted). 64 bits last until the year 2262. */
typedef int64_t tsd_time_ns;

struct tsd_clock_reading {
	tsd_time_ns time_ns;
	double error_s;            /* bound on |reading - true time|, >= 0 */
};

enum tsd_leap {
	TSD_LEAP_NONE = 0,
	TSD_LEAP_INSERT = 1,
	TSD_LEAP_DELETE = 2,
	TSD_LEAP_UNSYNC = 3,
};

struct tsd_clock_info {
	enum tsd_leap leap;
	int stratum;               /* 1..15 synchronised, 16 unsynchronised */
	int precision_log2;        /* log2 seconds, e.g. -20 for about 1 us */
	double root_delay_s;       /* >= 0 */
	double root_dispersion_s;  /* >= 0 */
	char refid[4];             /* 4 ASCII characters for stratum 1 */
	/* When the clock was last set or corrected (ns since 1970), or 0:
	 * the host then serves the last whole second before the receive
	 * time. Appended in ABI 1; a plugin built before leaves the host's
	 * zero. */
	tsd_time_ns reference_ns;
};

/* ABI 2: the steering state a clock reads back (adjust_read). */
struct tsd_clock_adjustment {
	double freq_ppm;           /* the frequency adjustment in force */
	double max_freq_ppm;       /* > 0: the largest |freq_ppm| it takes */
	int synced;                /* marked synchronised (adjust_status) */
	enum tsd_leap leap;        /* NONE, INSERT or DELETE */
	double error_s;            /* estimated error, >= 0 */
	double max_error_s;        /* maximum error, >= 0 */
};

/* ABI 2: what adjust_status tells the clock. */
struct tsd_clock_status {
	int synced;                /* 0: mark the clock unsynchronised */
	enum tsd_leap leap;        /* NONE, INSERT or DELETE (never UNSYNC) */
	double error_s;            /* estimated error, >= 0 */
	double max_error_s;        /* maximum error (the root distance), >= 0 */
};

struct tsd_clock_ops {
	/* Required. Read the clock. Returns 0, or a negative errno. */
	int (*now)(void *state, struct tsd_clock_reading *out);
	/* Required. Leap, stratum, precision and root values to serve. */
	int (*info)(void *state, struct tsd_clock_info *out);
	/* Optional (NULL): convert a CLOCK_REALTIME instant (a kernel packet
	 * timestamp) to this clock's time. Without it, kernel timestamps are
	 * not used and the host reads now() after the packet arrives. */
	int (*from_realtime)(void *state, tsd_time_ns realtime_ns, tsd_time_ns *out);
	/* Optional (NULL): add offset_s to the clock at once. */
	int (*step)(void *state, double offset_s);
	/* Optional (NULL): correct offset_s gradually. */
	int (*slew)(void *state, double offset_s);

	/* ABI 2: steering, for sync.apply = "system". Optional, but as a set:
	 * a clock with any of the three has all three and step; a clock
	 * without them cannot be used with apply = "system" (the configuration
	 * check says so). They act on the clock every process reads (the
	 * kernel's, for realtime), not on this instance. Each returns 0 or a
	 * negative errno (-EPERM: the process may not; realtime needs
	 * CAP_SYS_TIME). */

	/* Make the clock run freq_ppm faster (negative: slower) than its
	 * oscillator, from now on: an absolute setting, not added to the
	 * last one. A value beyond adjust_read's max_freq_ppm is clamped. */
	int (*adjust_frequency)(void *state, double freq_ppm);
	/* Read back what the clock's steering state is now. */
	int (*adjust_read)(void *state, struct tsd_clock_adjustment *out);
	/* Tell the clock, and through it other programs, whether it is
	 * synchronised, its error estimates and the leap second announced
	 * for the end of the UTC day. */
	int (*adjust_status)(void *state, const struct tsd_clock_status *status);
};

/* ---- offset estimators ---- */

/* One exchange, all in the client's (t1, t4) and the server's (t2, t3)
 * clock readings. */
struct tsd_sample {
	tsd_time_ns t1_ns;         /* client transmit */
	tsd_time_ns t2_ns;         /* server receive */
	tsd_time_ns t3_ns;         /* server transmit */
	tsd_time_ns t4_ns;         /* client receive */
	double server_error_s;     /* server root dispersion + root delay / 2 */
};

struct tsd_estimate {
	double offset_s;           /* server minus client */
	double delay_s;            /* round-trip delay, >= 0 */
	double error_s;            /* bound on |offset_s - true offset|, >= 0 */
	double jitter_s;           /* RMS spread of the samples used, >= 0 */
	double freq_ppm;           /* server rate minus client rate */
	int has_freq;              /* freq_ppm is meaningful */
	int samples_used;
};

struct tsd_estimator_ops {
	/* Required. Forget every sample. */
	void (*reset)(void *state);
	/* Required. Returns 0, or a negative errno (-EINVAL: sample refused). */
	int (*add_sample)(void *state, const struct tsd_sample *sample);
	/* Required. Returns 0, or -EAGAIN when it has too few samples. */
	int (*estimate)(void *state, struct tsd_estimate *out);
};

/* ---- the descriptor ---- */

/* The host's logger: priority as syslog(3) (LOG_ERR, LOG_WARNING,
 * LOG_INFO), printf format, one line without a newline. */
typedef void (*tsd_log_fn)(int priority, const char *fmt, ...);

struct tsd_plugin {
	uint32_t abi_version;      /* TSD_PLUGIN_ABI_VERSION */
	uint32_t size;             /* sizeof(struct tsd_plugin) */
	uint32_t kind;             /* enum tsd_plugin_kind */
	const char *name;          /* must match the file name */
	const char *description;   /* one line, for --check-config -v */

	/* Required. Check the settings and create an instance. Reject any
	 * setting it does not know (fill err, return a negative errno). */
	int (*init)(void **state, const struct tsd_setting *settings,
	            size_t n_settings, struct tsd_plugin_error *err);
	/* Required. Free an instance. */
	void (*fini)(void *state);

	const struct tsd_clock_ops *clock;         /* kind == CLOCK */
	const struct tsd_estimator_ops *estimator; /* kind == ESTIMATOR */

	/* Optional (NULL), appended in ABI 1 (2026-12-06) and read only when
	 * `size` covers it: the host calls it once, before init, with its
	 * logger, for what a plugin finds at run time (the realtime clock:
	 * what chronyd answers). The pointer stays valid while the plugin is
	 * loaded. */
	void (*set_log)(tsd_log_fn log);
};

/* Convenience for plugin authors: fill a tsd_plugin_error. */
#include <stdarg.h>
#include <stdio.h>
static inline int tsd_plugin_fail(struct tsd_plugin_error *err, int index,
                                  int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int tsd_plugin_fail(struct tsd_plugin_error *err, int index,
                                  int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->setting_index = index;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* A setting's value as a number (INT or FLOAT); 0 on success, -1 otherwise. */
static inline int tsd_setting_number(const struct tsd_setting *s, double *out)
{
	if (s->type == TSD_SETTING_FLOAT)
		*out = s->float_value;
	else if (s->type == TSD_SETTING_INT)
		*out = (double)s->int_value;
	else
		return -1;
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* TSD_PLUGIN_H */
