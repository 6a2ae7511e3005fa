/* Estimator plugin "ntp": the last sample alone, with the RFC 5905 on-wire
 * formulas. The baseline every other estimator is measured against. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"

struct ntp_estimator {
	struct tsd_sample last;
	int have_sample;
};

static void ntp_reset(void *state)
{
	struct ntp_estimator *e = state;

	e->have_sample = 0;
}

/* A sample no exchange produces is refused: a reply before its request,
 * an unknown server error, or clocks so far apart (over 73 years) that the
 * sums below could overflow. */
static int sample_ok(const struct tsd_sample *s)
{
	const int64_t limit_ns = INT64_C(1) << 61;
	int64_t out_ns, back_ns, server_ns;

	if (s->t4_ns < s->t1_ns || !isfinite(s->server_error_s) || s->server_error_s < 0)
		return 0;
	if (__builtin_sub_overflow(s->t2_ns, s->t1_ns, &out_ns) ||
	    __builtin_sub_overflow(s->t3_ns, s->t4_ns, &back_ns) ||
	    __builtin_sub_overflow(s->t3_ns, s->t2_ns, &server_ns))
		return 0;
	return out_ns > -limit_ns && out_ns < limit_ns && back_ns > -limit_ns &&
	       back_ns < limit_ns && server_ns > -limit_ns && server_ns < limit_ns;
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
	int64_t twice_offset_ns, delay_ns;

	if (!e->have_sample)
		return -EAGAIN;
	/* Integer nanoseconds first: exact differences, exact halving. */
	twice_offset_ns = (s->t2_ns - s->t1_ns) + (s->t3_ns - s->t4_ns);
	delay_ns = (s->t4_ns - s->t1_ns) - (s->t3_ns - s->t2_ns);
	/* A server whose clock ran fast inside the exchange can make the
	 * measured delay negative; the true delay is at least zero. */
	if (delay_ns < 0)
		delay_ns = 0;
	memset(out, 0, sizeof(*out));
	out->offset_s = (double)twice_offset_ns / 2e9;
	out->delay_s = (double)delay_ns / 1e9;
	out->error_s = out->delay_s / 2 + s->server_error_s;
	out->jitter_s = 0;
	out->has_freq = 0;
	out->samples_used = 1;
	return 0;
}

/* `window` is accepted (and range-checked) so that switching the estimator
 * plugin in a configuration that sets it is not an error; ntp uses only the
 * last sample whatever it says. */
static int check_settings(const struct tsd_setting *settings, size_t n,
                          struct tsd_plugin_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct tsd_setting *s = &settings[i];

		if (strcmp(s->name, "window") != 0)
			return tsd_plugin_fail(err, (int)i, -EINVAL,
			                       "unknown setting \"%s\" (known: window)",
			                       s->name);
		if (s->type != TSD_SETTING_INT || s->int_value < 1 || s->int_value > 1024)
			return tsd_plugin_fail(err, (int)i, -EINVAL,
			                       "window must be an integer from 1 to 1024");
	}
	return 0;
}

static int ntp_init(void **state, const struct tsd_setting *settings,
                    size_t n_settings, struct tsd_plugin_error *err)
{
	struct ntp_estimator *e;
	int rc = check_settings(settings, n_settings, err);

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
