/* The sim clock's frequency wander. The frequency at whole second k after
 * the origin is the sum of k steps, each a Gaussian number of standard
 * deviation sigma drawn from a hash of (seed, step); between whole seconds
 * it moves linearly, and the phase is its integral. Each point is made
 * from the one before it by the same arithmetic, always walking forward
 * from the origin, so two processes that read the same instant compute the
 * same bits whatever each read before. */
#include "sim_wander.h"

#include <string.h>

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Standard normal (close to it): the sum of twelve uniforms, less 6. */
static double gaussian(uint64_t seed, int64_t k)
{
	uint64_t base = mix(seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull) ^
	                (uint64_t)k * 0xd1b54a32d192ed03ull;
	double sum = -6;

	for (uint64_t i = 0; i < 12; i++)
		sum += (double)(mix(base + i * 0x9e3779b97f4a7c15ull) >> 11) *
		       (1.0 / 9007199254740992.0);
	return sum;
}

void wander_init(struct wander *w, double sigma, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->sigma = sigma;
	w->seed = seed;
	for (size_t i = 0; i < WANDER_CHECKS; i++)
		w->checks[i].k = -1;
}

static double next_freq(const struct wander *w, const struct wander_point *p)
{
	return p->k >= WANDER_SPAN_S ? p->freq : p->freq + w->sigma * gaussian(w->seed, p->k + 1);
}

static void step(struct wander *w, struct wander_point *p)
{
	double f1 = next_freq(w, p);

	p->phase_s += (p->freq + f1) / 2;
	p->freq = f1;
	p->k++;
	if (p->k % WANDER_CHECK_EVERY == 0)
		w->checks[(p->k / WANDER_CHECK_EVERY) % WANDER_CHECKS] = *p;
}

/* The point at whole second k, from the nearest earlier point known. */
static void walk_to(struct wander *w, int64_t k)
{
	if (w->at.k > k) {
		const struct wander_point *c =
		        &w->checks[(k / WANDER_CHECK_EVERY) % WANDER_CHECKS];

		if (c->k >= 0 && c->k <= k && c->k > k - WANDER_CHECK_EVERY)
			w->at = *c;
		else
			memset(&w->at, 0, sizeof(w->at));
	}
	while (w->at.k < k)
		step(w, &w->at);
}

void wander_at(struct wander *w, double elapsed_s, double *phase_s, double *freq)
{
	double u, f1, p = 0, f = 0;
	int64_t k;

	if (w->sigma > 0 && elapsed_s > 0) {
		k = elapsed_s >= WANDER_SPAN_S ? WANDER_SPAN_S : (int64_t)elapsed_s;
		walk_to(w, k);
		u = elapsed_s - (double)k;
		f1 = next_freq(w, &w->at);
		p = w->at.phase_s + w->at.freq * u + (f1 - w->at.freq) * u * u / 2;
		f = w->at.freq + (f1 - w->at.freq) * (u < 1 ? u : 1);
		if (k == WANDER_SPAN_S)
			f = w->at.freq;
	}
	if (phase_s != NULL)
		*phase_s = p;
	if (freq != NULL)
		*freq = f;
}
