/* sync.apply = "system": steering the clock through the plugin, and the
 * account of what was done that the sync process's readings leave out. */
#include "tsd/steer.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define NS_PER_S 1e9

/* What was done, at raw reading raw_ns (ns). */
static int64_t done_ns(const struct steer *st, int64_t raw_ns)
{
	return correction_offset_ns(&st->done, raw_ns);
}

/* The frequency set from raw_ns on: what was done until then is folded
 * into the offset, so the account stays exact whenever the change lands. */
static int set_frequency(struct steer *st, double freq, int64_t raw_ns, int64_t offset_ns)
{
	int rc = clock_adjust_frequency(st->clock, freq * 1e6);

	if (rc < 0)
		return rc;
	st->done.offset_ns = offset_ns;
	st->done.ref_raw_ns = raw_ns;
	st->done.freq = freq;
	return 0;
}

int steer_open(struct steer *st, struct clock_source *cs, struct tsd_clock_adjustment *found)
{
	struct tsd_clock_adjustment a;
	struct tsd_clock_reading now;
	int rc;

	memset(st, 0, sizeof(*st));
	st->clock = cs;
	cs->removed = NULL;
	rc = clock_adjust_read(cs, &a);
	if (rc == 0)
		rc = clock_now(cs, &now);
	if (rc < 0)
		return rc;
	st->max_freq = a.max_freq_ppm * 1e-6;
	st->base_freq = fmax(-st->max_freq, fmin(st->max_freq, a.freq_ppm * 1e-6));
	rc = set_frequency(st, st->base_freq, now.time_ns, 0);
	if (rc < 0)
		return rc;
	cs->removed = &st->done;
	*found = a;
	found->freq_ppm = st->base_freq * 1e6;
	return 0;
}

/* A slew cut short must not leave the clock running fast for good. */
void steer_close(struct steer *st)
{
	if (st->clock == NULL)
		return;
	if (st->slew_end_mono_ns != 0)
		clock_adjust_frequency(st->clock, st->base_freq * 1e6);
	st->slew_end_mono_ns = 0;
	st->clock->removed = NULL;
}

void steer_in_force(const struct steer *st, int64_t now_raw_ns, uint64_t now_mono_ns,
                    struct correction_params *out)
{
	double left_s = 0;

	memset(out, 0, sizeof(*out));
	out->synced = 1;
	out->ref_raw_ns = now_raw_ns;
	out->offset_ns = done_ns(st, now_raw_ns);
	out->freq = st->base_freq;
	if (st->slew_end_mono_ns > now_mono_ns)
		left_s = (double)(st->slew_end_mono_ns - now_mono_ns) / NS_PER_S;
	if (left_s > 0 && st->slew_rate != 0) {
		out->slew_s = st->slew_rate * left_s;
		out->slew_rate = fabs(st->slew_rate);
	}
}

static double clamp(double v, double limit)
{
	return fmax(-limit, fmin(limit, v));
}

int steer_apply(struct steer *st, const struct correction_params *next,
                enum discipline_action action, int64_t now_raw_ns, uint64_t now_mono_ns)
{
	int64_t offset_ns = done_ns(st, now_raw_ns);
	double base = clamp(next->freq, st->max_freq);
	double rate = fmin(next->slew_rate, st->max_freq - fabs(base));
	int rc;

	if (action == DISCIPLINE_STEP) {
		rc = clock_step(st->clock, (double)(next->offset_ns - offset_ns) / NS_PER_S);
		if (rc < 0)
			return rc;
		offset_ns = next->offset_ns;
	}
	if (next->slew_s == 0 || !(rate > 0))
		rate = 0;
	rc = set_frequency(st, base + (next->slew_s < 0 ? -rate : rate), now_raw_ns, offset_ns);
	if (rc < 0)
		return rc;
	st->base_freq = base;
	st->slew_rate = next->slew_s < 0 ? -rate : rate;
	st->slew_end_mono_ns = rate > 0 ?
		now_mono_ns + (uint64_t)(fabs(next->slew_s) / rate * NS_PER_S) + 1 : 0;
	return 0;
}

int steer_status(struct steer *st, const struct correction_params *p, double error_s)
{
	struct tsd_clock_status status = {
		.synced = 1,
		.leap = p->leap == TSD_LEAP_UNSYNC ? TSD_LEAP_NONE : (enum tsd_leap)p->leap,
		.error_s = error_s,
		.max_error_s = p->root_delay_s / 2 + p->root_dispersion_s,
	};

	return clock_adjust_status(st->clock, &status);
}

int steer_tick(struct steer *st, uint64_t now_mono_ns)
{
	struct tsd_clock_reading now;
	int rc;

	if (st->slew_end_mono_ns == 0 || now_mono_ns < st->slew_end_mono_ns)
		return 0;
	rc = clock_now(st->clock, &now);
	if (rc < 0)
		return rc;
	rc = set_frequency(st, st->base_freq, now.time_ns, done_ns(st, now.time_ns));
	if (rc < 0)
		return rc;
	st->slew_rate = 0;
	st->slew_end_mono_ns = 0;
	return 0;
}

uint64_t steer_due_ns(const struct steer *st)
{
	return st->slew_end_mono_ns != 0 ? st->slew_end_mono_ns : UINT64_MAX;
}
