/* A clock plugin for the tests of the checked calls: it returns a fixed
 * good reading, or the bad value the `fault` setting names. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"

#define GOOD_TIME_NS (1800000000LL * 1000000000LL)

static const char *const faults[] = {
	"none", "fail", "positive", "nan_error", "inf_error", "neg_error",
	"before_1970", "after_2262", "leap", "stratum", "precision",
	"nan_root", "neg_root", "inf_root", NULL,
};

struct fake_clock {
	const char *fault;
	double stepped_s;   /* sum of the steps and slews received */
};

static int is(const struct fake_clock *fc, const char *fault)
{
	return strcmp(fc->fault, fault) == 0;
}

static int known_fault(const char *text)
{
	for (int i = 0; faults[i] != NULL; i++)
		if (strcmp(faults[i], text) == 0)
			return 1;
	return 0;
}

static int fake_init(void **state, const struct tsd_setting *settings,
                     size_t n_settings, struct tsd_plugin_error *err)
{
	struct fake_clock *fc = calloc(1, sizeof(*fc));

	if (fc == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	fc->fault = "none";
	for (size_t i = 0; i < n_settings; i++) {
		const struct tsd_setting *s = &settings[i];

		if (strcmp(s->name, "fault") != 0) {
			free(fc);
			return tsd_plugin_fail(err, (int)i, -EINVAL, "unknown setting '%s'", s->name);
		}
		if (s->type != TSD_SETTING_STRING || !known_fault(s->string_value)) {
			free(fc);
			return tsd_plugin_fail(err, (int)i, -EINVAL, "fault must name a known fault");
		}
		fc->fault = faults[0];
		for (int f = 0; faults[f] != NULL; f++)
			if (strcmp(faults[f], s->string_value) == 0)
				fc->fault = faults[f];
	}
	*state = fc;
	return 0;
}

static void fake_fini(void *state)
{
	free(state);
}

static int fake_now(void *state, struct tsd_clock_reading *out)
{
	struct fake_clock *fc = state;

	out->time_ns = GOOD_TIME_NS + (tsd_time_ns)(fc->stepped_s * 1e9);
	out->error_s = 0.001;
	if (is(fc, "fail"))
		return -ETIMEDOUT;
	if (is(fc, "positive"))
		return 1;
	if (is(fc, "nan_error"))
		out->error_s = NAN;
	if (is(fc, "inf_error"))
		out->error_s = INFINITY;
	if (is(fc, "neg_error"))
		out->error_s = -0.5;
	if (is(fc, "before_1970"))
		out->time_ns = -1;
	if (is(fc, "after_2262"))
		out->time_ns = INT64_MAX;
	return 0;
}

static int fake_info(void *state, struct tsd_clock_info *out)
{
	struct fake_clock *fc = state;

	out->leap = is(fc, "leap") ? (enum tsd_leap)4 : TSD_LEAP_NONE;
	out->stratum = is(fc, "stratum") ? 17 : 1;
	out->precision_log2 = is(fc, "precision") ? 1 : -20;
	out->root_delay_s = is(fc, "nan_root") ? NAN : 0.0;
	out->root_dispersion_s = is(fc, "neg_root") ? -1.0 : is(fc, "inf_root") ? INFINITY : 0.0;
	memcpy(out->refid, "FAKE", 4);
	return 0;
}

static int fake_from_realtime(void *state, tsd_time_ns realtime_ns, tsd_time_ns *out)
{
	struct fake_clock *fc = state;

	*out = is(fc, "after_2262") ? INT64_MAX : realtime_ns;
	return 0;
}

static int fake_step(void *state, double offset_s)
{
	struct fake_clock *fc = state;

	fc->stepped_s += offset_s;
	return 0;
}

static const struct tsd_clock_ops ops = {
	.now = fake_now,
	.info = fake_info,
	.from_realtime = fake_from_realtime,
	.step = fake_step,
	.slew = fake_step,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_CLOCK,
	.name = "fake",
	.description = "a clock with selectable faults, for tests",
	.init = fake_init,
	.fini = fake_fini,
	.clock = &ops,
};
