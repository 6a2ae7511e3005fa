/* Estimator plugin "minfilter": the NTP clock filter. Of the last `window`
 * samples the one with the least delay met the least queueing, so its offset
 * is the most trustworthy; the others measure the jitter. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"

#define DEFAULT_WINDOW 8
#define MAX_WINDOW 1024

struct minfilter {
	size_t window;
	size_t count;            /* samples held, at most window */
	size_t next;             /* ring slot the next sample goes to */
	struct tsd_sample ring[];
};

static void mf_reset(void *state)
{
	struct minfilter *m = state;

	m->count = 0;
	m->next = 0;
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

static int mf_add_sample(void *state, const struct tsd_sample *sample)
{
	struct minfilter *m = state;

	if (!sample_ok(sample))
		return -EINVAL;
	m->ring[m->next] = *sample;
	m->next = (m->next + 1) % m->window;
	if (m->count < m->window)
		m->count++;
	return 0;
}

static double offset_s(const struct tsd_sample *s)
{
	return (double)((s->t2_ns - s->t1_ns) + (s->t3_ns - s->t4_ns)) / 2e9;
}

/* Negative when the server's clock ran fast inside the exchange; the true
 * delay is at least zero. */
static double delay_s(const struct tsd_sample *s)
{
	int64_t ns = (s->t4_ns - s->t1_ns) - (s->t3_ns - s->t2_ns);

	return ns > 0 ? (double)ns / 1e9 : 0.0;
}

/* The newest of the least-delay samples: ties go to the fresher reading. */
static const struct tsd_sample *least_delay(const struct minfilter *m)
{
	const struct tsd_sample *best = NULL;

	for (size_t age = 0; age < m->count; age++) {
		size_t slot = (m->next + m->window - 1 - age) % m->window;
		const struct tsd_sample *s = &m->ring[slot];

		if (best == NULL || delay_s(s) < delay_s(best))
			best = s;
	}
	return best;
}

static int mf_estimate(void *state, struct tsd_estimate *out)
{
	const struct minfilter *m = state;
	const struct tsd_sample *best;
	double best_offset, sum_sq = 0;

	if (m->count == 0)
		return -EAGAIN;
	best = least_delay(m);
	best_offset = offset_s(best);
	for (size_t i = 0; i < m->count; i++) {
		double d = offset_s(&m->ring[i]) - best_offset;

		if (&m->ring[i] != best)
			sum_sq += d * d;
	}
	memset(out, 0, sizeof(*out));
	out->offset_s = best_offset;
	out->delay_s = delay_s(best);
	out->jitter_s = m->count > 1 ? sqrt(sum_sq / (double)(m->count - 1)) : 0;
	out->error_s = out->delay_s / 2 + best->server_error_s + out->jitter_s;
	out->has_freq = 0;
	out->samples_used = (int)m->count;
	return 0;
}

static int parse_window(const struct tsd_setting *settings, size_t n,
                        size_t *window, struct tsd_plugin_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct tsd_setting *s = &settings[i];

		if (strcmp(s->name, "window") != 0)
			return tsd_plugin_fail(err, (int)i, -EINVAL,
			                       "unknown setting \"%s\" (known: window)",
			                       s->name);
		if (s->type != TSD_SETTING_INT || s->int_value < 1 ||
		    s->int_value > MAX_WINDOW)
			return tsd_plugin_fail(err, (int)i, -EINVAL,
			                       "window must be an integer from 1 to %d",
			                       MAX_WINDOW);
		*window = (size_t)s->int_value;
	}
	return 0;
}

static int mf_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	size_t window = DEFAULT_WINDOW;
	struct minfilter *m;
	int rc = parse_window(settings, n_settings, &window, err);

	if (rc != 0)
		return rc;
	m = calloc(1, sizeof(*m) + window * sizeof(m->ring[0]));
	if (m == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	m->window = window;
	*state = m;
	return 0;
}

static void mf_fini(void *state)
{
	free(state);
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
