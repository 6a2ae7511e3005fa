/* Test clock plugin "denied": the system clock read-only, whose step, slew
 * and steering fail with -EPERM as the realtime clock's do without
 * CAP_SYS_TIME (the read back works, as the kernel's does). Lets the tests
 * see tsclient's and the sync process's refusal without ever touching the
 * machine's clock. */

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "tsd/plugin.h"

static int denied_init(void **state, const struct tsd_setting *settings, size_t n,
                       struct tsd_plugin_error *err)
{
	static int instance;

	if (n > 0)
		return tsd_plugin_fail(err, 0, -EINVAL, "unknown setting '%s'", settings[0].name);
	*state = &instance;
	return 0;
}

static void denied_fini(void *state)
{
	(void)state;
}

static int denied_now(void *state, struct tsd_clock_reading *out)
{
	struct timespec t;

	(void)state;
	if (clock_gettime(CLOCK_REALTIME, &t) < 0)
		return -errno;
	out->time_ns = (tsd_time_ns)t.tv_sec * 1000000000 + t.tv_nsec;
	out->error_s = 1e-6;
	return 0;
}

static int denied_info(void *state, struct tsd_clock_info *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
	out->stratum = 1;
	out->precision_log2 = -20;
	memcpy(out->refid, "TEST", 4);
	return 0;
}

static int denied_change(void *state, double offset_s)
{
	(void)state;
	(void)offset_s;
	return -EPERM;
}

static int denied_frequency(void *state, double freq_ppm)
{
	(void)state;
	(void)freq_ppm;
	return -EPERM;
}

static int denied_read(void *state, struct tsd_clock_adjustment *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
	out->max_freq_ppm = 500;
	return 0;
}

static int denied_status(void *state, const struct tsd_clock_status *status)
{
	(void)state;
	(void)status;
	return -EPERM;
}

static const struct tsd_clock_ops denied_ops = {
	.now = denied_now,
	.info = denied_info,
	.step = denied_change,
	.slew = denied_change,
	.adjust_frequency = denied_frequency,
	.adjust_read = denied_read,
	.adjust_status = denied_status,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_CLOCK,
	.name = "denied",
	.description = "test clock: the system clock, step, slew and steering refused (EPERM)",
	.init = denied_init,
	.fini = denied_fini,
	.clock = &denied_ops,
};
