/* Shared by the estimator plugins: the sample check, the on-wire offset and
 * delay, the ring of the last `window` samples and the `window` setting. */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"

/* As measured: it can be negative. Only for samples within the limits
 * sample_ok checks. */
static int64_t delay_ns(const struct tsd_sample *s)
{
	return (s->t4_ns - s->t1_ns) - (s->t3_ns - s->t2_ns);
}

/* The true round trip is at least zero. Each of the server's two readings
 * is within server_error of the truth, so its T3 - T2 can exceed the time it
 * held the request by twice that, and the readings at both ends by their
 * precision: a delay more negative than that is a server contradicting
 * itself (the issue 17 liar: T3 - T2 = 0.5 s inside a 50 us round trip,
 * with an error of 0, made a 3 us interval for any offset it liked). */
static int delay_possible(const struct tsd_sample *s)
{
	double slack_ns = 2e9 * s->server_error_s + SAMPLES_PRECISION_NS;

	return (double)delay_ns(s) >= -slack_ns;
}

/* A sample no exchange produces is refused: a reply before its request,
 * an unknown server error, clocks so far apart (over 73 years) that the
 * sums the estimators make could overflow, or an impossible delay. */
int sample_ok(const struct tsd_sample *s)
{
	const int64_t limit_ns = INT64_C(1) << 61;
	int64_t out_ns, back_ns, server_ns;

	if (s->t4_ns < s->t1_ns || !isfinite(s->server_error_s) || s->server_error_s < 0)
		return 0;
	if (__builtin_sub_overflow(s->t2_ns, s->t1_ns, &out_ns) ||
	    __builtin_sub_overflow(s->t3_ns, s->t4_ns, &back_ns) ||
	    __builtin_sub_overflow(s->t3_ns, s->t2_ns, &server_ns))
		return 0;
	if (!(out_ns > -limit_ns && out_ns < limit_ns && back_ns > -limit_ns &&
	      back_ns < limit_ns && server_ns > -limit_ns && server_ns < limit_ns))
		return 0;
	return delay_possible(s);
}

/* Integer nanoseconds first: exact differences, exact halving later. */
static int64_t twice_offset_ns(const struct tsd_sample *s)
{
	return (s->t2_ns - s->t1_ns) + (s->t3_ns - s->t4_ns);
}

double sample_offset_s(const struct tsd_sample *s)
{
	return (double)twice_offset_ns(s) / 2e9;
}

/* A slightly negative delay (within what sample_ok allows) counts by its
 * size, as chrony counts it: taking it as 0 made the interval narrower than
 * the readings can tell. */
double sample_delay_s(const struct tsd_sample *s)
{
	int64_t ns = delay_ns(s);

	return (double)(ns < 0 ? -ns : ns) / 1e9;
}

int sample_ring_init(struct sample_ring *r, size_t window)
{
	memset(r, 0, sizeof(*r));
	r->slots = calloc(window, sizeof(r->slots[0]));
	if (r->slots == NULL)
		return -ENOMEM;
	r->window = window;
	return 0;
}

void sample_ring_fini(struct sample_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

void sample_ring_reset(struct sample_ring *r)
{
	r->count = 0;
	r->next = 0;
}

int sample_ring_add(struct sample_ring *r, const struct tsd_sample *s)
{
	if (!sample_ok(s))
		return -EINVAL;
	r->slots[r->next] = *s;
	r->next = (r->next + 1) % r->window;
	if (r->count < r->window)
		r->count++;
	return 0;
}

const struct tsd_sample *sample_ring_at_age(const struct sample_ring *r, size_t age)
{
	return &r->slots[(r->next + r->window - 1 - age) % r->window];
}

int samples_parse_window(const struct tsd_setting *settings, size_t n,
                         size_t *window, struct tsd_plugin_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct tsd_setting *s = &settings[i];

		if (strcmp(s->name, "window") != 0)
			return tsd_plugin_fail(err, (int)i, -EINVAL,
			                       "unknown setting \"%s\" (known: window)",
			                       s->name);
		if (s->type != TSD_SETTING_INT || s->int_value < 1 ||
		    s->int_value > SAMPLES_MAX_WINDOW)
			return tsd_plugin_fail(err, (int)i, -EINVAL,
			                       "window must be an integer from 1 to %d",
			                       SAMPLES_MAX_WINDOW);
		*window = (size_t)s->int_value;
	}
	return 0;
}
