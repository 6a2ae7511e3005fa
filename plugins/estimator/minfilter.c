/* Estimator plugin "minfilter": the NTP clock filter. Of the last `window`
 * samples the one with the least delay met the least queueing, so its offset
 * is the most trustworthy; the others measure the jitter. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"
#include "samples.h"

#define DEFAULT_WINDOW 8

struct minfilter {
	struct sample_ring ring;
};

static void mf_reset(void *state)
{
	struct minfilter *m = state;

	sample_ring_reset(&m->ring);
}

static int mf_add_sample(void *state, const struct tsd_sample *sample)
{
	struct minfilter *m = state;

	return sample_ring_add(&m->ring, sample);
}

/* The newest of the least-delay samples: ties go to the fresher reading. */
static const struct tsd_sample *least_delay(const struct sample_ring *r)
{
	const struct tsd_sample *best = NULL;

	for (size_t age = 0; age < r->count; age++) {
		const struct tsd_sample *s = sample_ring_at_age(r, age);

		if (best == NULL || sample_delay_s(s) < sample_delay_s(best))
			best = s;
	}
	return best;
}

static int mf_estimate(void *state, struct tsd_estimate *out)
{
	const struct sample_ring *r = &((const struct minfilter *)state)->ring;
	const struct tsd_sample *best;
	double best_offset, sum_sq = 0;

	if (r->count == 0)
		return -EAGAIN;
	best = least_delay(r);
	best_offset = sample_offset_s(best);
	for (size_t i = 0; i < r->count; i++) {
		double d = sample_offset_s(&r->slots[i]) - best_offset;

		if (&r->slots[i] != best)
			sum_sq += d * d;
	}
	memset(out, 0, sizeof(*out));
	out->offset_s = best_offset;
	out->delay_s = sample_delay_s(best);
	out->jitter_s = r->count > 1 ? sqrt(sum_sq / (double)(r->count - 1)) : 0;
	out->error_s = out->delay_s / 2 + best->server_error_s + out->jitter_s;
	out->has_freq = 0;
	out->samples_used = (int)r->count;
	return 0;
}

static void mf_fini(void *state)
{
	struct minfilter *m = state;

	if (m == NULL)
		return;
	sample_ring_fini(&m->ring);
	free(m);
}

static int mf_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	size_t window = DEFAULT_WINDOW;
	struct minfilter *m;
	int rc = samples_parse_window(settings, n_settings, &window, err);

	if (rc != 0)
		return rc;
	m = calloc(1, sizeof(*m));
	if (m == NULL || sample_ring_init(&m->ring, window) != 0) {
		free(m);
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	}
	*state = m;
	return 0;
}

static const struct tsd_estimator_ops minfilter_ops = {
	.reset = mf_reset,
	.add_sample = mf_add_sample,
	.estimate = mf_estimate,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_ESTIMATOR,
	.name = "minfilter",
	.description = "NTP clock filter: the least-delay sample of the last `window` (default 8)",
	.init = mf_init,
	.fini = mf_fini,
	.clock = NULL,
	.estimator = &minfilter_ops,
};
