/* Clock plugin "realtime": the system clock (CLOCK_REALTIME), with the
 * kernel's own error estimate and leap second warnings. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "tsd/plugin.h"

#define NS_PER_S 1000000000LL

struct realtime {
	int stratum;
	char refid[4];
	int precision_log2;
	double precision_s;
	/* The kernel's view, read at most once a second: now() is on every
	 * request's path and the kernel's estimate changes slowly. */
	int64_t kernel_read_ns;
	double kernel_error_s;
	enum tsd_leap kernel_leap;
};

/* log2 of the resolution, rounded up: the precision NTP serves. */
static int precision_log2_of(double resolution_s)
{
	int p = 0;
	double step = 1.0;

	while (p > -30 && step / 2 >= resolution_s) {
		step /= 2;
		p--;
	}
	return p;
}

static double clock_resolution_s(clockid_t id)
{
	struct timespec res;

	if (clock_getres(id, &res) != 0 || (res.tv_sec == 0 && res.tv_nsec == 0))
		return 1e-9;
	return (double)res.tv_sec + res.tv_nsec / 1e9;
}

/* Read-only (modes = 0): this never changes the kernel's state. */
static void refresh_kernel(struct realtime *rt, int64_t now_ns)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	rt->kernel_read_ns = now_ns;
	rt->kernel_error_s = 0;
	rt->kernel_leap = TSD_LEAP_NONE;
	if (state < 0)
		return;
	/* Unsynchronised means nothing disciplines this clock: the operator
	 * who serves it at stratum 1 declares it the reference, so only its
	 * precision bounds it. */
	if (state != TIME_ERROR && !(tx.status & STA_UNSYNC))
		rt->kernel_error_s = tx.esterror / 1e6;
	if (tx.status & STA_INS)
		rt->kernel_leap = TSD_LEAP_INSERT;
	else if (tx.status & STA_DEL)
		rt->kernel_leap = TSD_LEAP_DELETE;
}

static void maybe_refresh(struct realtime *rt, int64_t now_ns)
{
	int64_t age_ns = now_ns - rt->kernel_read_ns;

	if (age_ns >= NS_PER_S || age_ns < 0)
		refresh_kernel(rt, now_ns);
}

static int rt_now(void *state, struct tsd_clock_reading *out)
{
	struct realtime *rt = state;
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -errno;
	out->time_ns = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
	maybe_refresh(rt, out->time_ns);
	out->error_s = rt->precision_s + rt->kernel_error_s;
	return 0;
}

static int rt_info(void *state, struct tsd_clock_info *out)
{
	struct realtime *rt = state;
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		maybe_refresh(rt, (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec);
	memset(out, 0, sizeof(*out));
	out->leap = rt->kernel_leap;
	out->stratum = rt->stratum;
	out->precision_log2 = rt->precision_log2;
	out->root_delay_s = 0;
	out->root_dispersion_s = rt->precision_s + rt->kernel_error_s;
	memcpy(out->refid, rt->refid, 4);
	return 0;
}

static int rt_from_realtime(void *state, tsd_time_ns realtime_ns, tsd_time_ns *out)
{
	(void)state;
	*out = realtime_ns;
	return 0;
}

/* step and slew change the machine's clock: they need CAP_SYS_TIME, and the
 * errno (-EPERM) goes back unchanged so the caller can say so. */
static int rt_step(void *state, double offset_s)
{
	struct timespec ts;
	int64_t ns, offset_ns;

	(void)state;
	if (!(offset_s > -1e9 && offset_s < 1e9))
		return -EINVAL;
	offset_ns = (int64_t)(offset_s * 1e9);
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -errno;
	ns = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec + offset_ns;
	ts.tv_sec = (time_t)(ns / NS_PER_S);
	ts.tv_nsec = (long)(ns % NS_PER_S);
	if (ts.tv_nsec < 0) {
		ts.tv_nsec += NS_PER_S;
		ts.tv_sec--;
	}
	return clock_settime(CLOCK_REALTIME, &ts) == 0 ? 0 : -errno;
}

static int rt_slew(void *state, double offset_s)
{
	struct timeval tv;
	int64_t us;

	(void)state;
	/* adjtime takes about +-2145 s at most; beyond that, step. */
	if (!(offset_s > -2000.0 && offset_s < 2000.0))
		return -ERANGE;
	us = (int64_t)(offset_s * 1e6);
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	if (tv.tv_usec < 0) {
		tv.tv_usec += 1000000;
		tv.tv_sec--;
	}
	return adjtime(&tv, NULL) == 0 ? 0 : -errno;
}

/* ---- settings ---- */

static int set_stratum(struct realtime *rt, const struct tsd_setting *s, int i,
                       struct tsd_plugin_error *err)
{
	if (s->type != TSD_SETTING_INT || s->int_value < 1 || s->int_value > 15)
		return tsd_plugin_fail(err, i, -EINVAL,
		                       "stratum must be an integer from 1 to 15");
	rt->stratum = (int)s->int_value;
	return 0;
}

static int set_refid(struct realtime *rt, const struct tsd_setting *s, int i,
                     struct tsd_plugin_error *err)
{
	size_t len;

	if (s->type != TSD_SETTING_STRING || s->string_value == NULL)
		return tsd_plugin_fail(err, i, -EINVAL, "refid must be a string");
	len = strlen(s->string_value);
	if (len < 1 || len > 4)
		return tsd_plugin_fail(err, i, -EINVAL,
		                       "refid must be 1 to 4 characters, not \"%s\"",
		                       s->string_value);
	for (size_t k = 0; k < len; k++)
		if (s->string_value[k] < 0x20 || s->string_value[k] > 0x7e)
			return tsd_plugin_fail(err, i, -EINVAL,
			                       "refid must be printable ASCII");
	memset(rt->refid, 0, 4);
	memcpy(rt->refid, s->string_value, len);
	return 0;
}

static int apply_settings(struct realtime *rt, const struct tsd_setting *settings,
                          size_t n, struct tsd_plugin_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct tsd_setting *s = &settings[i];
		int rc;

		if (strcmp(s->name, "stratum") == 0)
			rc = set_stratum(rt, s, (int)i, err);
		else if (strcmp(s->name, "refid") == 0)
			rc = set_refid(rt, s, (int)i, err);
		else
			rc = tsd_plugin_fail(err, (int)i, -EINVAL,
			                     "unknown setting \"%s\" (known: stratum, refid)",
			                     s->name);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int rt_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	struct realtime *rt = calloc(1, sizeof(*rt));
	int rc;

	if (rt == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	rt->stratum = 1;
	memcpy(rt->refid, "LOCL", 4);
	rc = apply_settings(rt, settings, n_settings, err);
	if (rc != 0) {
		free(rt);
		return rc;
	}
	rt->precision_s = clock_resolution_s(CLOCK_REALTIME);
	rt->precision_log2 = precision_log2_of(rt->precision_s);
	refresh_kernel(rt, 0); /* stamped at 0: the first read refreshes */
	*state = rt;
	return 0;
}

static void rt_fini(void *state)
{
	free(state);
}

static const struct tsd_clock_ops realtime_ops = {
	.now = rt_now,
	.info = rt_info,
	.from_realtime = rt_from_realtime,
	.step = rt_step,
	.slew = rt_slew,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_CLOCK,
	.name = "realtime",
	.description = "the system clock (CLOCK_REALTIME) with the kernel's error estimate",
	.init = rt_init,
	.fini = rt_fini,
	.clock = &realtime_ops,
	.estimator = NULL,
};
