/* An estimator plugin for the tests of the checked calls: the offset of the
 * last sample, or the bad estimate the `fault` setting names. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"

struct fake_estimator {
	char fault[32];
	int n_samples;
	struct tsd_sample last;
};

static int fake_init(void **state, const struct tsd_setting *settings,
                     size_t n_settings, struct tsd_plugin_error *err)
{
	struct fake_estimator *fe = calloc(1, sizeof(*fe));

	if (fe == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	strcpy(fe->fault, "none");
	for (size_t i = 0; i < n_settings; i++) {
		const struct tsd_setting *s = &settings[i];

		if (strcmp(s->name, "fault") != 0 || s->type != TSD_SETTING_STRING ||
		    strlen(s->string_value) >= sizeof(fe->fault)) {
			free(fe);
			return tsd_plugin_fail(err, (int)i, -EINVAL, "unknown setting '%s'", s->name);
		}
		strcpy(fe->fault, s->string_value);
	}
	*state = fe;
	return 0;
}

static void fake_fini(void *state)
{
	free(state);
}

static void fake_reset(void *state)
{
	struct fake_estimator *fe = state;

	fe->n_samples = 0;
}

static int fake_add(void *state, const struct tsd_sample *s)
{
	struct fake_estimator *fe = state;

	if (s->t4_ns < s->t1_ns)
		return -EINVAL;
	fe->last = *s;
	fe->n_samples++;
	return 0;
}

static int fake_estimate(void *state, struct tsd_estimate *out)
{
	struct fake_estimator *fe = state;
	const struct tsd_sample *s = &fe->last;

	if (fe->n_samples == 0)
		return -EAGAIN;
	out->offset_s = ((double)(s->t2_ns - s->t1_ns) + (double)(s->t3_ns - s->t4_ns)) / 2e9;
	out->delay_s = ((double)(s->t4_ns - s->t1_ns) - (double)(s->t3_ns - s->t2_ns)) / 1e9;
	out->error_s = out->delay_s / 2 + s->server_error_s;
	out->jitter_s = 0;
	out->samples_used = 1;
	if (strcmp(fe->fault, "nan_offset") == 0)
		out->offset_s = NAN;
	else if (strcmp(fe->fault, "inf_offset") == 0)
		out->offset_s = INFINITY;
	else if (strcmp(fe->fault, "nan_delay") == 0)
		out->delay_s = NAN;
	else if (strcmp(fe->fault, "neg_error") == 0)
		out->error_s = -1e-3;
	else if (strcmp(fe->fault, "neg_jitter") == 0)
		out->jitter_s = -1e-3;
	else if (strcmp(fe->fault, "nan_freq") == 0)
		out->has_freq = 1, out->freq_ppm = NAN;
	else if (strcmp(fe->fault, "positive") == 0)
		return 1;
	return 0;
}

static const struct tsd_estimator_ops ops = {
	.reset = fake_reset,
	.add_sample = fake_add,
	.estimate = fake_estimate,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_ESTIMATOR,
	.name = "fake",
	.description = "an estimator with selectable faults, for tests",
	.init = fake_init,
	.fini = fake_fini,
	.estimator = &ops,
};
