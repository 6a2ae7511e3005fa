/* libFuzzer target for the selection and combining (src/query/select.c):
 * any set of up to 15 correctness intervals of which fewer than half lie,
 * the honest ones holding the truth 0, must keep the promise of
 * tests/select_property.h: the bound covers the honest common part, the
 * offset stays within the honest span, and inside the common part when no
 * honest server looks like a liar.
 *
 * Input: byte 0 picks n (1 to 15) and the number of liars (up to (n-1)/2);
 * then 5 bytes per honest interval and 9 per liar (below). Missing bytes
 * read as zero, so every input is a case. */

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "query/select.h"
#include "../select_property.h"

#define MAX_CANDIDATES 15

struct reader {
	const uint8_t *data;
	size_t size, at;
};

static uint64_t take(struct reader *r, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++, r->at++)
		v = v << 8 | (r->at < r->size ? r->data[r->at] : 0);
	return v;
}

/* A half-width from 1 ns to 1000 s: one byte of decades, kept apart so that
 * equal widths (ties at the ends) are easy to hit. */
static double distance_from(uint8_t b)
{
	return pow(10.0, -9.0 + 12.0 * (double)b / 255.0);
}

/* An honest interval: a width, and where in [-d, +d] the truth 0 sits. */
static struct select_candidate honest_from(struct reader *r)
{
	double d = distance_from((uint8_t)take(r, 1));
	double where = (double)(int32_t)take(r, 4) / 2147483648.0;

	return (struct select_candidate){ d * where, d, 0 };
}

/* A liar: a mode, a width, and 7 bytes of position. Mode 0-3 pins its
 * centre or an edge to an end of the honest common part or span (exact
 * ties are where Marzullo's sort order matters); otherwise the position is
 * a fraction of three times the honest span around it. */
static struct select_candidate liar_from(struct reader *r, struct honest_spans h)
{
	uint8_t mode = (uint8_t)take(r, 1);
	double d = distance_from((uint8_t)take(r, 1));
	double frac = (double)(int64_t)(take(r, 7) << 8) / 9223372036854775808.0;
	double width = h.hull_high - h.hull_low;
	double pins[4] = { h.common_low, h.common_high, h.hull_low, h.hull_high };
	double at;

	if (mode % 8 < 4)
		at = pins[mode % 4] + (mode & 0x10 ? d : 0) - (mode & 0x20 ? d : 0);
	else
		at = (h.hull_low + h.hull_high) / 2 + 1.5 * width * frac;
	return (struct select_candidate){ at, d, 0 };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size, 0 };
	struct select_candidate c[MAX_CANDIDATES];
	struct select_result res;
	struct honest_spans h;
	size_t n, liars, honest;
	uint8_t first = (uint8_t)take(&r, 1);
	const char *broken;
	int rc;

	n = 1 + first % MAX_CANDIDATES;
	liars = (first / MAX_CANDIDATES) % ((n - 1) / 2 + 1);
	honest = n - liars;
	for (size_t i = 0; i < honest; i++)
		c[i] = honest_from(&r);
	h = honest_spans(c, honest);
	for (size_t i = honest; i < n; i++)
		c[i] = liar_from(&r, h);
	rc = select_sources(c, n, &res);
	broken = select_property_broken(c, n, honest, rc, &res);
	if (broken != NULL)
		fprintf(stderr, "n %zu, %zu liars: %s (offset %.17g, bound %.17g)\n",
		        n, liars, broken, res.offset_s, res.error_s);
	FUZZ_CHECK(broken == NULL);
	/* The survivors are what meets [low, high], and there is one at least. */
	FUZZ_CHECK(res.n_survivors >= 1 && res.n_survivors <= n);
	return 0;
}
