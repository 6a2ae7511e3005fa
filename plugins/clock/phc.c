/* Clock plugin "phc": a PTP hardware clock (/dev/ptpN), read through the
 * dynamic POSIX clock the kernel makes of its descriptor. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tsd/plugin.h"
#include "kernel.h"

#define CLOCKFD 3
#define FD_TO_CLOCKID(fd) ((~(clockid_t)(fd) << 3) | CLOCKFD)

struct phc {
	int fd;
	clockid_t clock_id;
	const char *device;      /* points into the settings only during init */
	int64_t utc_offset_s;    /* subtracted: a PHC run by ptp4l keeps TAI */
	double error_s;          /* the bound the operator vouches for */
	struct clock_identity id;
};

static int phc_now(void *state, struct tsd_clock_reading *out)
{
	const struct phc *p = state;
	struct timespec ts;

	if (clock_gettime(p->clock_id, &ts) != 0)
		return -errno;
	out->time_ns = timespec_ns(&ts) - p->utc_offset_s * NS_PER_S;
	out->error_s = p->id.precision_s + p->error_s;
	return 0;
}

static int phc_info(void *state, struct tsd_clock_info *out)
{
	const struct phc *p = state;

	clock_identity_info(&p->id, TSD_LEAP_NONE, p->error_s, out);
	return 0;
}

/* ---- settings ---- */

static int set_int(const struct tsd_setting *s, int i, int64_t min, int64_t max,
                   int64_t *out, struct tsd_plugin_error *err)
{
	if (s->type != TSD_SETTING_INT || s->int_value < min || s->int_value > max)
		return tsd_plugin_fail(err, i, -EINVAL,
		                       "%s must be an integer from %lld to %lld",
		                       s->name, (long long)min, (long long)max);
	*out = s->int_value;
	return 0;
}

static int apply_setting(struct phc *p, const struct tsd_setting *s, int i,
                         struct tsd_plugin_error *err)
{
	if (strcmp(s->name, "device") == 0) {
		if (s->type != TSD_SETTING_STRING || s->string_value == NULL ||
		    s->string_value[0] != '/')
			return tsd_plugin_fail(err, i, -EINVAL,
			                       "device must be an absolute path such as \"/dev/ptp0\"");
		p->device = s->string_value;
		return 0;
	}
	if (strcmp(s->name, "error") == 0) {
		double e;

		if (tsd_setting_number(s, &e) != 0 || !(e >= 0 && e <= 1000))
			return tsd_plugin_fail(err, i, -EINVAL,
			                       "error must be a number from 0 to 1000 (seconds)");
		p->error_s = e;
		return 0;
	}
	if (strcmp(s->name, "refid") == 0)
		return clock_set_refid(&p->id, s, i, err);
	if (strcmp(s->name, "stratum") == 0)
		return clock_set_stratum(&p->id, s, i, err);
	if (strcmp(s->name, "utc_offset") == 0)
		return set_int(s, i, -1000, 1000, &p->utc_offset_s, err);
	return tsd_plugin_fail(err, i, -EINVAL,
	                       "unknown setting \"%s\" (known: device, utc_offset, "
	                       "error, stratum, refid)", s->name);
}

static int device_index(const struct tsd_setting *settings, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(settings[i].name, "device") == 0)
			return (int)i;
	return -1;
}

static int open_device(struct phc *p, int index, struct tsd_plugin_error *err)
{
	struct timespec ts;

	p->fd = open(p->device, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0)
		return tsd_plugin_fail(err, index, -errno, "cannot open %s: %s",
		                       p->device, strerror(errno));
	p->clock_id = FD_TO_CLOCKID(p->fd);
	if (clock_gettime(p->clock_id, &ts) != 0) {
		int code = -errno;

		close(p->fd);
		return tsd_plugin_fail(err, index, code, "%s is not a PTP clock: %s",
		                       p->device, strerror(-code));
	}
	clock_identity_precision(&p->id, p->clock_id);
	return 0;
}

static int phc_init(void **state, const struct tsd_setting *settings,
                    size_t n_settings, struct tsd_plugin_error *err)
{
	struct phc *p = calloc(1, sizeof(*p));
	int rc = 0;

	if (p == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	p->device = "/dev/ptp0";
	p->error_s = 1e-6;
	p->id.stratum = 1;
	memcpy(p->id.refid, "PHC", 4);
	for (size_t i = 0; i < n_settings && rc == 0; i++)
		rc = apply_setting(p, &settings[i], (int)i, err);
	if (rc == 0)
		rc = open_device(p, device_index(settings, n_settings), err);
	if (rc != 0) {
		free(p);
		return rc;
	}
	p->device = NULL; /* the settings are not ours to keep */
	*state = p;
	return 0;
}

static void phc_fini(void *state)
{
	struct phc *p = state;

	if (p == NULL)
		return;
	close(p->fd);
	free(p);
}

/* No from_realtime: the PHC is a different oscillator, and how it relates
 * to a kernel timestamp would need a cross-timestamp (PTP_SYS_OFFSET).
 * No step or slew: ptp4l or phc2sys steer a PHC. */
static const struct tsd_clock_ops phc_ops = {
	.now = phc_now,
	.info = phc_info,
	.from_realtime = NULL,
	.step = NULL,
	.slew = NULL,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_CLOCK,
	.name = "phc",
	.description = "a PTP hardware clock (device = \"/dev/ptp0\"; utc_offset = 37 "
	               "if it keeps TAI, as under ptp4l)",
	.init = phc_init,
	.fini = phc_fini,
	.clock = &phc_ops,
	.estimator = NULL,
};
