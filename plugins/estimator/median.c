/* Estimator plugin "median": the median offset of the last `window`
 * samples. It ignores up to half the window of spikes in either direction,
 * where minfilter trusts one sample. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"

#define DEFAULT_WINDOW 8
#define MAX_WINDOW 1024

struct median {
	size_t window;
	size_t count;            /* samples held, at most window */
	size_t next;             /* ring slot the next sample goes to */
	double *offsets_s;       /* scratch for sorting, window long */
	double *delays_s;        /* scratch for sorting, window long */
	struct tsd_sample ring[];
};

static void md_reset(void *state)
{
	struct median *m = state;

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

static int md_add_sample(void *state, const struct tsd_sample *sample)
{
	struct median *m = state;

	if (!sample_ok(sample))
		return -EINVAL;
	m->ring[m->next] = *sample;
	m->next = (m->next + 1) % m->window;
	if (m->count < m->window)
		m->count++;
	return 0;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Of a sorted array. */
static double median_of(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Fills the scratch arrays, sorted; returns the largest server error. */
static double collect(struct median *m)
{
	double worst_server_s = 0;

	for (size_t i = 0; i < m->count; i++) {
		const struct tsd_sample *s = &m->ring[i];
		int64_t delay_ns = (s->t4_ns - s->t1_ns) - (s->t3_ns - s->t2_ns);

		m->offsets_s[i] = (double)((s->t2_ns - s->t1_ns) + (s->t3_ns - s->t4_ns)) / 2e9;
		/* A negative measured delay means the server's clock ran fast
		 * inside the exchange; the true delay is at least zero. */
		m->delays_s[i] = delay_ns > 0 ? (double)delay_ns / 1e9 : 0;
		if (s->server_error_s > worst_server_s)
			worst_server_s = s->server_error_s;
	}
	qsort(m->offsets_s, m->count, sizeof(double), compare_double);
	qsort(m->delays_s, m->count, sizeof(double), compare_double);
	return worst_server_s;
}

/*
 * The error bound. A typical sample is off by at most its delay / 2 (the
 * path asymmetry can be anything from all-out to all-back) plus what the
 * server itself does not know: hence median delay / 2 + server error. On top
 * comes how far the median may sit from a well-behaved sample: half the
 * spread of the middle half of the sorted offsets. The middle half, not the
 * full range, because the median is there to ignore spikes, and a bound that
 * one spike could blow up would throw that away. The server error is the
 * largest of the window, so a degrading server widens the bound at once.
 */
static double spread_middle_half(const double *sorted, size_t n)
{
	size_t cut = n / 4;

	return sorted[n - 1 - cut] - sorted[cut];
}

static int md_estimate(void *state, struct tsd_estimate *out)
{
	struct median *m = state;
	double server_s, med, sum_sq = 0;

	if (m->count == 0)
		return -EAGAIN;
	server_s = collect(m);
	med = median_of(m->offsets_s, m->count);
	for (size_t i = 0; i < m->count; i++)
		sum_sq += (m->offsets_s[i] - med) * (m->offsets_s[i] - med);
	memset(out, 0, sizeof(*out));
	out->offset_s = med;
	out->delay_s = median_of(m->delays_s, m->count);
	out->jitter_s = sqrt(sum_sq / (double)m->count);
	out->error_s = spread_middle_half(m->offsets_s, m->count) / 2 +
	               out->delay_s / 2 + server_s;
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

static void md_fini(void *state)
{
	struct median *m = state;

	if (m == NULL)
		return;
	free(m->offsets_s);
	free(m->delays_s);
	free(m);
}

static int md_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	size_t window = DEFAULT_WINDOW;
	struct median *m;
	int rc = parse_window(settings, n_settings, &window, err);

	if (rc != 0)
		return rc;
	m = calloc(1, sizeof(*m) + window * sizeof(m->ring[0]));
	if (m == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	m->window = window;
	m->offsets_s = calloc(window, sizeof(double));
	m->delays_s = calloc(window, sizeof(double));
	if (m->offsets_s == NULL || m->delays_s == NULL) {
		md_fini(m);
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	}
	*state = m;
	return 0;
}

static const struct tsd_estimator_ops median_ops = {
	.reset = md_reset,
	.add_sample = md_add_sample,
	.estimate = md_estimate,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_ESTIMATOR,
	.name = "median",
	.description = "the median offset of the last `window` samples (default 8)",
	.init = md_init,
	.fini = md_fini,
	.clock = NULL,
	.estimator = &median_ops,
};
