/* An example tsd clock plugin: the system clock plus a fixed offset.
 *
 * Built outside the tsd source tree against the installed SDK:
 *     cc $(pkg-config --cflags tsd-plugin) -shared -fPIC -o clock_example.so clock_example.c
 * Used from tsd.conf:
 *     clock = { plugin = "example"; offset = 0.25; stratum = 2; };
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tsd/plugin.h>

#define NS_PER_S 1000000000LL
/* Offsets beyond a day are almost certainly a mistake in the file. */
#define MAX_OFFSET_S 86400.0

struct example_clock {
	tsd_time_ns offset_ns;
	int stratum;
	int precision_log2;
	double resolution_s;
};

/* log2 of the clock's resolution, rounded up: what NTP calls precision. */
static int precision_of(double resolution_s)
{
	int p = -30;
	double step_s = 1.0 / (1 << 30);

	while (p < 0 && step_s < resolution_s) {
		p++;
		step_s *= 2.0;
	}
	return p;
}

/* One setting; returns 0 or fills err. The host has already taken out
 * "plugin"; every other name must be one we know. */
static int apply_setting(struct example_clock *c, const struct tsd_setting *s,
                         int index, struct tsd_plugin_error *err)
{
	double v;

	if (strcmp(s->name, "offset") == 0) {
		if (tsd_setting_number(s, &v) != 0 || !isfinite(v) ||
		    v > MAX_OFFSET_S || v < -MAX_OFFSET_S)
			return tsd_plugin_fail(err, index, -EINVAL,
			                       "offset must be a number of seconds within +-%.0f",
			                       MAX_OFFSET_S);
		c->offset_ns = (tsd_time_ns)(v * NS_PER_S + (v < 0 ? -0.5 : 0.5));
		return 0;
	}
	if (strcmp(s->name, "stratum") == 0) {
		if (s->type != TSD_SETTING_INT || s->int_value < 1 || s->int_value > 15)
			return tsd_plugin_fail(err, index, -EINVAL,
			                       "stratum must be an integer from 1 to 15");
		c->stratum = (int)s->int_value;
		return 0;
	}
	return tsd_plugin_fail(err, index, -EINVAL,
	                       "unknown setting \"%s\" (the example clock knows offset and stratum)",
	                       s->name);
}

static int example_init(void **state, const struct tsd_setting *settings,
                        size_t n_settings, struct tsd_plugin_error *err)
{
	struct example_clock *c;
	struct timespec res;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	c->stratum = 1;
	for (size_t i = 0; i < n_settings; i++) {
		rc = apply_setting(c, &settings[i], (int)i, err);
		if (rc != 0)
			goto fail;
	}
	if (clock_getres(CLOCK_REALTIME, &res) != 0) {
		rc = tsd_plugin_fail(err, -1, -errno, "clock_getres: %s", strerror(errno));
		goto fail;
	}
	c->resolution_s = (double)res.tv_sec + (double)res.tv_nsec / NS_PER_S;
	c->precision_log2 = precision_of(c->resolution_s);
	*state = c;
	return 0;
fail:
	free(c);
	return rc;
}

static void example_fini(void *state)
{
	free(state);
}

/* Called for every request: no allocation, no blocking. */
static int example_now(void *state, struct tsd_clock_reading *out)
{
	const struct example_clock *c = state;
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -errno;
	out->time_ns = (tsd_time_ns)ts.tv_sec * NS_PER_S + ts.tv_nsec + c->offset_ns;
	out->error_s = c->resolution_s;
	return 0;
}

static int example_info(void *state, struct tsd_clock_info *out)
{
	const struct example_clock *c = state;

	memset(out, 0, sizeof(*out));
	out->leap = TSD_LEAP_NONE;
	out->stratum = c->stratum;
	out->precision_log2 = c->precision_log2;
	out->root_delay_s = 0.0;
	out->root_dispersion_s = c->resolution_s;
	memcpy(out->refid, "XMPL", 4);
	return 0;
}

/* Kernel packet timestamps are CLOCK_REALTIME: shift them the same way, so
 * the host can use them for T2 instead of reading the clock later. */
static int example_from_realtime(void *state, tsd_time_ns realtime_ns, tsd_time_ns *out)
{
	const struct example_clock *c = state;

	*out = realtime_ns + c->offset_ns;
	return 0;
}

static const struct tsd_clock_ops example_ops = {
	.now = example_now,
	.info = example_info,
	.from_realtime = example_from_realtime,
	.step = NULL, /* this clock cannot be corrected: tsclient --step says so */
	.slew = NULL,
};

/* The one exported symbol. */
const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_CLOCK,
	.name = "example",
	.description = "the system clock plus a fixed offset (example plugin)",
	.init = example_init,
	.fini = example_fini,
	.clock = &example_ops,
	.estimator = NULL,
};
