/* Estimator plugin "median": the median offset of the last `window`
 * samples. It ignores up to half the window of spikes in either direction,
 * where minfilter trusts one sample. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/plugin.h"
#include "samples.h"

#define DEFAULT_WINDOW 8

struct median {
	struct sample_ring ring;
	double *offsets_s;       /* scratch for sorting, window long */
	double *delays_s;        /* scratch for sorting, window long */
};

static void md_reset(void *state)
{
	struct median *m = state;

	sample_ring_reset(&m->ring);
}

static int md_add_sample(void *state, const struct tsd_sample *sample)
{
	struct median *m = state;

	return sample_ring_add(&m->ring, sample);
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

	/* Slot order: the arrays are sorted, so age does not matter. */
	for (size_t i = 0; i < m->ring.count; i++) {
		const struct tsd_sample *s = &m->ring.slots[i];

		m->offsets_s[i] = sample_offset_s(s);
		m->delays_s[i] = sample_delay_s(s);
		if (s->server_error_s > worst_server_s)
			worst_server_s = s->server_error_s;
	}
	qsort(m->offsets_s, m->ring.count, sizeof(double), compare_double);
	qsort(m->delays_s, m->ring.count, sizeof(double), compare_double);
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
	size_t n = m->ring.count;
	double server_s, med, sum_sq = 0;

	if (n == 0)
		return -EAGAIN;
	server_s = collect(m);
	med = median_of(m->offsets_s, n);
	for (size_t i = 0; i < n; i++)
		sum_sq += (m->offsets_s[i] - med) * (m->offsets_s[i] - med);
	memset(out, 0, sizeof(*out));
	out->offset_s = med;
	out->delay_s = median_of(m->delays_s, n);
	out->jitter_s = sqrt(sum_sq / (double)n);
	out->error_s = spread_middle_half(m->offsets_s, n) / 2 +
	               out->delay_s / 2 + server_s;
	out->has_freq = 0;
	out->samples_used = (int)n;
	return 0;
}

static void md_fini(void *state)
{
	struct median *m = state;

	if (m == NULL)
		return;
	sample_ring_fini(&m->ring);
	free(m->offsets_s);
	free(m->delays_s);
	free(m);
}

static int md_init(void **state, const struct tsd_setting *settings,
                   size_t n_settings, struct tsd_plugin_error *err)
{
	size_t window = DEFAULT_WINDOW;
	struct median *m;
	int rc = samples_parse_window(settings, n_settings, &window, err);

	if (rc != 0)
		return rc;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	m->offsets_s = calloc(window, sizeof(double));
	m->delays_s = calloc(window, sizeof(double));
	if (sample_ring_init(&m->ring, window) != 0 || m->offsets_s == NULL ||
	    m->delays_s == NULL) {
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
