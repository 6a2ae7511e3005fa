/* A running clock source: the loaded clock plugin and its instance. Every
 * value it returns is checked here, so nothing out of range is ever served. */
#include "common/conf.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "common/clock.h"
#include "common/monotonic.h"

/* 2262-01-01T00:00:00Z: int64 nanoseconds run out in April 2262. */
#define CLOCK_MAX_NS (9214646400LL * 1000000000LL)

int clock_source_open(struct clock_source *cs, const struct conf *cfg,
                      struct conf_errors *errs)
{
	memset(cs, 0, sizeof(*cs));
	if (loader_start(&cs->plugin, &cs->state, cfg, &cfg->clock, TSD_PLUGIN_CLOCK,
	                 cfg->clock.name, errs) < 0)
		return -1;
	loader_clock_ops(cs->plugin.desc, &cs->ops);
	return 0;
}

void clock_source_close(struct clock_source *cs)
{
	if (cs == NULL || cs->plugin.desc == NULL)
		return;
	loader_stop(&cs->plugin, cs->state);
	memset(cs, 0, sizeof(*cs));
}

/* A plugin's return code: 0, or a negative errno (anything else is -EIO). */
static int plugin_rc(int rc)
{
	if (rc == 0)
		return 0;
	return rc < 0 ? rc : -EIO;
}

static int time_ok(tsd_time_ns t)
{
	return t >= 0 && t < CLOCK_MAX_NS;
}

static int bound_ok(double s)
{
	return isfinite(s) && s >= 0;
}

/* A raw reading plus the served correction, if one is attached. */
static int corrected(const struct clock_source *cs, tsd_time_ns *t)
{
	struct correction_params p;

	if (cs->correction == NULL)
		return 0;
	if (correction_read(cs->correction, &p) != 0)
		return -EAGAIN;
	*t += correction_offset_ns(&p, *t);
	return time_ok(*t) ? 0 : -ERANGE;
}

/* The reading R the clock would give without what the sync process did to
 * it: S = R + offset + freq * (R - ref), solved for R. */
static int uncorrected(const struct clock_source *cs, tsd_time_ns *t)
{
	const struct correction_params *a = cs->removed;
	double since_ns;

	if (a == NULL)
		return 0;
	since_ns = (double)(*t - a->ref_raw_ns - a->offset_ns);
	*t = a->ref_raw_ns + (int64_t)llround(since_ns / (1 + a->freq));
	return time_ok(*t) ? 0 : -ERANGE;
}

/* A plugin's reading as this process serves or measures it. */
static int adjusted(const struct clock_source *cs, tsd_time_ns *t)
{
	int rc = uncorrected(cs, t);

	return rc < 0 ? rc : corrected(cs, t);
}

int clock_now(struct clock_source *cs, struct tsd_clock_reading *out)
{
	struct tsd_clock_reading r = { 0, 0 };
	int rc = plugin_rc(cs->ops.now(cs->state, &r));

	if (rc < 0)
		return rc;
	if (!time_ok(r.time_ns) || !bound_ok(r.error_s))
		return -ERANGE;
	rc = adjusted(cs, &r.time_ns);
	if (rc < 0)
		return rc;
	*out = r;
	return 0;
}

/* The sync process's fields replace the plugin's hierarchy fields. */
static int corrected_info(const struct clock_source *cs, struct tsd_clock_info *info)
{
	struct correction_params p;

	if (cs->correction == NULL)
		return 0;
	if (correction_read(cs->correction, &p) != 0)
		return -EAGAIN;
	correction_fill_info(&p, (int64_t)monotonic_now_ns(), info);
	return 0;
}

int clock_info(struct clock_source *cs, struct tsd_clock_info *out)
{
	struct tsd_clock_info info;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = plugin_rc(cs->ops.info(cs->state, &info));
	if (rc < 0)
		return rc;
	if ((int)info.leap < 0 || (int)info.leap > 3)
		return -ERANGE;
	if (info.stratum < 0 || info.stratum > 16)
		return -ERANGE;
	if (info.precision_log2 < -32 || info.precision_log2 > 0)
		return -ERANGE;
	if (!bound_ok(info.root_delay_s) || !bound_ok(info.root_dispersion_s))
		return -ERANGE;
	if (!time_ok(info.reference_ns))
		info.reference_ns = 0;
	rc = corrected_info(cs, &info);
	if (rc < 0)
		return rc;
	*out = info;
	return 0;
}

int clock_from_realtime(struct clock_source *cs, tsd_time_ns rt, tsd_time_ns *out)
{
	tsd_time_ns t = 0;
	int rc;

	if (cs->ops.from_realtime == NULL)
		return -ENOTSUP;
	rc = plugin_rc(cs->ops.from_realtime(cs->state, rt, &t));
	if (rc < 0)
		return rc;
	if (!time_ok(t))
		return -ERANGE;
	rc = adjusted(cs, &t);
	if (rc < 0)
		return rc;
	*out = t;
	return 0;
}

/* A step or a slew: the plugin may have neither, and gets finite offsets only. */
static int adjust_by(struct clock_source *cs, int (*adjust)(void *state, double offset_s),
                     double offset_s)
{
	if (adjust == NULL)
		return -ENOTSUP;
	if (!isfinite(offset_s))
		return -EINVAL;
	return plugin_rc(adjust(cs->state, offset_s));
}

int clock_step(struct clock_source *cs, double offset_s)
{
	return adjust_by(cs, cs->ops.step, offset_s);
}

int clock_slew(struct clock_source *cs, double offset_s)
{
	return adjust_by(cs, cs->ops.slew, offset_s);
}

/* ---- steering (plugin ABI 2) ---- */

int clock_can_steer(const struct clock_source *cs)
{
	return cs->ops.step != NULL && cs->ops.adjust_frequency != NULL &&
	       cs->ops.adjust_read != NULL && cs->ops.adjust_status != NULL;
}

int clock_adjust_frequency(struct clock_source *cs, double freq_ppm)
{
	if (!clock_can_steer(cs))
		return -ENOTSUP;
	if (!isfinite(freq_ppm))
		return -EINVAL;
	return plugin_rc(cs->ops.adjust_frequency(cs->state, freq_ppm));
}

static int leap_ok(enum tsd_leap leap)
{
	return leap == TSD_LEAP_NONE || leap == TSD_LEAP_INSERT || leap == TSD_LEAP_DELETE;
}

int clock_adjust_read(struct clock_source *cs, struct tsd_clock_adjustment *out)
{
	struct tsd_clock_adjustment a;
	int rc;

	if (!clock_can_steer(cs))
		return -ENOTSUP;
	memset(&a, 0, sizeof(a));
	rc = plugin_rc(cs->ops.adjust_read(cs->state, &a));
	if (rc < 0)
		return rc;
	if (!isfinite(a.freq_ppm) || !isfinite(a.max_freq_ppm) || !(a.max_freq_ppm > 0) ||
	    !leap_ok(a.leap) || !bound_ok(a.error_s) || !bound_ok(a.max_error_s))
		return -ERANGE;
	*out = a;
	return 0;
}

int clock_adjust_status(struct clock_source *cs, const struct tsd_clock_status *status)
{
	if (!clock_can_steer(cs))
		return -ENOTSUP;
	if (!leap_ok(status->leap) || !bound_ok(status->error_s) ||
	    !bound_ok(status->max_error_s))
		return -EINVAL;
	return plugin_rc(cs->ops.adjust_status(cs->state, status));
}
