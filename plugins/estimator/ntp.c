/* Estimator plugin "ntp": the last sample alone, with the RFC 5905 on-wire
 * formulas. The baseline every other estimator is measured against. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"
#include "samples.h"

struct ntp_estimator {
	struct tsd_sample last;
	int have_sample;
};

static void ntp_reset(void *state)
{
	struct ntp_estimator *e = state;

	e->have_sample = 0;
}

static int ntp_add_sample(void *state, const struct tsd_sample *sample)
{
	struct ntp_estimator *e = state;

	if (!sample_ok(sample))
		return -EINVAL;
	e->last = *sample;
	e->have_sample = 1;
	return 0;
}

static int ntp_estimate(void *state, struct tsd_estimate *out)
{
	const struct ntp_estimator *e = state;
	const struct tsd_sample *s = &e->last;

	if (!e->have_sample)
		return -EAGAIN;
	memset(out, 0, sizeof(*out));
	out->offset_s = sample_offset_s(s);
	out->delay_s = sample_delay_s(s);
	out->error_s = out->delay_s / 2 + s->server_error_s;
	out->jitter_s = 0;
	out->has_freq = 0;
	out->samples_used = 1;
	return 0;
}

/* `window` is accepted (and range-checked) so that switching the estimator
 * plugin in a configuration that sets it is not an error; ntp uses only the
 * last sample whatever it says. */
static int ntp_init(void **state, const struct tsd_setting *settings,
                    size_t n_settings, struct tsd_plugin_error *err)
{
	struct ntp_estimator *e;
	size_t unused_window = 1;
	int rc = samples_parse_window(settings, n_settings, &unused_window, err);

	if (rc != 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	*state = e;
	return 0;
}

static void ntp_fini(void *state)
{
	free(state);
}

static const struct tsd_estimator_ops ntp_ops = {
	.reset = ntp_reset,
	.add_sample = ntp_add_sample,
	.estimate = ntp_estimate,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_ESTIMATOR,
	.name = "ntp",
	.description = "the last sample alone (RFC 5905 offset and delay)",
	.init = ntp_init,
	.fini = ntp_fini,
	.clock = NULL,
	.estimator = &ntp_ops,
};
