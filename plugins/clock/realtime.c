/* Clock plugin "realtime": the system clock (CLOCK_REALTIME), with the
 * kernel's own error estimate and leap second warnings; steered through
 * clock_adjtime for sync.apply = "system" (adjust.c). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "tsd/plugin.h"
#include "chronyd_follow.h"
#include "kernel.h"

struct realtime {
	struct clock_identity id;
	/* The kernel's view, read at most once a second: now() is on every
	 * request's path and the kernel's estimate changes slowly. */
	int64_t kernel_read_ns;
	struct kernel_state kernel;
	/* follow_chronyd: chronyd's hierarchy fields, or NULL. */
	struct chronyd_follow *chronyd;
};

static void refresh_kernel(struct realtime *rt, int64_t now_ns)
{
	rt->kernel_read_ns = now_ns;
	kernel_state_read(&rt->kernel);
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
	out->time_ns = timespec_ns(&ts);
	maybe_refresh(rt, out->time_ns);
	out->error_s = rt->id.precision_s + rt->kernel.error_s;
	return 0;
}

static int rt_info(void *state, struct tsd_clock_info *out)
{
	struct realtime *rt = state;
	struct timespec ts;

	if (rt->chronyd != NULL) {
		chronyd_follow_info(rt->chronyd, &rt->id, chronyd_follow_now_ns(), out);
		return 0;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		maybe_refresh(rt, timespec_ns(&ts));
	clock_identity_kernel_info(&rt->id, &rt->kernel, out);
	return 0;
}

static int rt_from_realtime(void *state, tsd_time_ns realtime_ns, tsd_time_ns *out)
{
	(void)state;
	*out = realtime_ns;
	return 0;
}

/* step, slew and the adjust functions change the machine's clock: they
 * need CAP_SYS_TIME, and the errno (-EPERM) goes back unchanged so the
 * caller can say so. */
static int rt_step(void *state, double offset_s)
{
	(void)state;
	return kernel_adjust_step(CLOCK_REALTIME, offset_s);
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

static int rt_adjust_frequency(void *state, double freq_ppm)
{
	(void)state;
	return kernel_adjust_frequency(CLOCK_REALTIME, freq_ppm);
}

static int rt_adjust_read(void *state, struct tsd_clock_adjustment *out)
{
	(void)state;
	return kernel_adjust_read(CLOCK_REALTIME, out);
}

static int rt_adjust_status(void *state, const struct tsd_clock_status *status)
{
	struct realtime *rt = state;

	rt->kernel_read_ns = 0; /* the next reading sees what changed */
	return kernel_adjust_status(CLOCK_REALTIME, status);
}

static int rt_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	struct realtime *rt = calloc(1, sizeof(*rt));
	int rc;

	if (rt == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	rt->id.stratum = 1;
	memcpy(rt->id.refid, "LOCL", 4);
	rc = chronyd_follow_settings(&rt->id, settings, n_settings, &rt->chronyd, err);
	if (rc != 0) {
		free(rt);
		return rc;
	}
	clock_identity_precision(&rt->id, CLOCK_REALTIME);
	refresh_kernel(rt, 0); /* stamped at 0: the first read refreshes */
	*state = rt;
	return 0;
}

static void rt_fini(void *state)
{
	struct realtime *rt = state;

	chronyd_follow_free(rt->chronyd);
	free(rt);
}

static const struct tsd_clock_ops realtime_ops = {
	.now = rt_now,
	.info = rt_info,
	.from_realtime = rt_from_realtime,
	.step = rt_step,
	.slew = rt_slew,
	.adjust_frequency = rt_adjust_frequency,
	.adjust_read = rt_adjust_read,
	.adjust_status = rt_adjust_status,
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
	.set_log = chronyd_follow_set_log,
};
