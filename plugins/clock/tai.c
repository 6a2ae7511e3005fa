/* Clock plugin "tai": CLOCK_TAI converted back to UTC with the kernel's
 * TAI-UTC offset. Served times are UTC (the NTP time scale) like realtime's;
 * what this plugin adds is that it reads the kernel's atomic-time clock,
 * which never repeats a second at a leap, and the offset read with it. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "tsd/plugin.h"

#define NS_PER_S 1000000000LL
/* Reads of the offset that straddle a leap second are retried this often. */
#define MAX_TRIES 4

/*
 * When the kernel's TAI offset is unset (0, the default until a time daemon
 * such as chronyd with leapsectz or ptp4l sets it), CLOCK_TAI reads exactly
 * what CLOCK_REALTIME reads, so CLOCK_TAI - 0 is still correct UTC. We serve
 * it with the same error bound rather than refuse: the value is right, only
 * the leap second robustness this plugin exists for is missing. The
 * plugin description says so, for `tsd --check-config -v`.
 */
struct tai {
	int stratum;
	char refid[4];
	int precision_log2;
	double precision_s;
};

/* Read-only (modes = 0). Returns the kernel state or -errno. */
static int read_kernel(struct timex *tx)
{
	int state;

	memset(tx, 0, sizeof(*tx));
	state = adjtimex(tx);
	return state < 0 ? -errno : state;
}

/* CLOCK_TAI between two reads of the offset: if a leap second changed the
 * offset in between, the pair does not match and we read again. */
static int read_utc_ns(int64_t *utc_ns, struct timex *tx)
{
	struct timespec ts;
	int tai_before, rc;

	for (int tries = 0; tries < MAX_TRIES; tries++) {
		rc = read_kernel(tx);
		if (rc < 0)
			return rc;
		tai_before = tx->tai;
		if (clock_gettime(CLOCK_TAI, &ts) != 0)
			return -errno;
		rc = read_kernel(tx);
		if (rc < 0)
			return rc;
		if (tx->tai == tai_before) {
			*utc_ns = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec -
			          (int64_t)tx->tai * NS_PER_S;
			return 0;
		}
	}
	return -EAGAIN;
}

static int tai_now(void *state, struct tsd_clock_reading *out)
{
	const struct tai *t = state;
	struct timex tx;
	int rc = read_utc_ns(&out->time_ns, &tx);

	if (rc != 0)
		return rc;
	/* As realtime: the kernel's estimate counts only when it is synced. */
	out->error_s = t->precision_s;
	if (!(tx.status & STA_UNSYNC))
		out->error_s += tx.esterror / 1e6;
	return 0;
}

static int tai_info(void *state, struct tsd_clock_info *out)
{
	const struct tai *t = state;
	struct timex tx;
	int kernel = read_kernel(&tx);

	memset(out, 0, sizeof(*out));
	out->leap = TSD_LEAP_NONE;
	out->root_dispersion_s = t->precision_s;
	if (kernel >= 0 && (tx.status & STA_INS))
		out->leap = TSD_LEAP_INSERT;
	else if (kernel >= 0 && (tx.status & STA_DEL))
		out->leap = TSD_LEAP_DELETE;
	if (kernel >= 0 && !(tx.status & STA_UNSYNC))
		out->root_dispersion_s += tx.esterror / 1e6;
	out->stratum = t->stratum;
	out->precision_log2 = t->precision_log2;
	memcpy(out->refid, t->refid, 4);
	return 0;
}

/* ---- settings ---- */

static int set_refid(struct tai *t, const struct tsd_setting *s, int i,
                     struct tsd_plugin_error *err)
{
	size_t len;

	if (s->type != TSD_SETTING_STRING || s->string_value == NULL)
		return tsd_plugin_fail(err, i, -EINVAL, "refid must be a string");
	len = strlen(s->string_value);
	if (len < 1 || len > 4)
		return tsd_plugin_fail(err, i, -EINVAL,
		                       "refid must be 1 to 4 characters, not \"%s\"",
		                       s->string_value);
	for (size_t k = 0; k < len; k++)
		if (s->string_value[k] < 0x20 || s->string_value[k] > 0x7e)
			return tsd_plugin_fail(err, i, -EINVAL,
			                       "refid must be printable ASCII");
	memset(t->refid, 0, 4);
	memcpy(t->refid, s->string_value, len);
	return 0;
}

static int apply_settings(struct tai *t, const struct tsd_setting *settings,
                          size_t n, struct tsd_plugin_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct tsd_setting *s = &settings[i];
		int rc = 0;

		if (strcmp(s->name, "stratum") == 0) {
			if (s->type != TSD_SETTING_INT || s->int_value < 1 || s->int_value > 15)
				rc = tsd_plugin_fail(err, (int)i, -EINVAL,
				                     "stratum must be an integer from 1 to 15");
			else
				t->stratum = (int)s->int_value;
		} else if (strcmp(s->name, "refid") == 0) {
			rc = set_refid(t, s, (int)i, err);
		} else {
			rc = tsd_plugin_fail(err, (int)i, -EINVAL,
			                     "unknown setting \"%s\" (known: stratum, refid)",
			                     s->name);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void read_precision(struct tai *t)
{
	struct timespec res;
	double step = 1.0;

	t->precision_s = 1e-9;
	if (clock_getres(CLOCK_TAI, &res) == 0 && (res.tv_sec || res.tv_nsec))
		t->precision_s = (double)res.tv_sec + res.tv_nsec / 1e9;
	t->precision_log2 = 0;
	while (t->precision_log2 > -30 && step / 2 >= t->precision_s) {
		step /= 2;
		t->precision_log2--;
	}
}

static int tai_init(void **state, const struct tsd_setting *settings,
                    size_t n_settings, struct tsd_plugin_error *err)
{
	struct tai *t = calloc(1, sizeof(*t));
	struct timespec ts;
	int rc;

	if (t == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	t->stratum = 1;
	memcpy(t->refid, "TAI", 4);
	rc = apply_settings(t, settings, n_settings, err);
	if (rc == 0 && clock_gettime(CLOCK_TAI, &ts) != 0)
		rc = tsd_plugin_fail(err, -1, -errno, "cannot read CLOCK_TAI: %s",
		                     strerror(errno));
	if (rc != 0) {
		free(t);
		return rc;
	}
	read_precision(t);
	*state = t;
	return 0;
}

static void tai_fini(void *state)
{
	free(state);
}

/* The kernel keeps CLOCK_TAI = CLOCK_REALTIME + tai, so a kernel packet
 * timestamp (CLOCK_REALTIME) is already this clock's UTC. */
static int tai_from_realtime(void *state, tsd_time_ns realtime_ns, tsd_time_ns *out)
{
	(void)state;
	*out = realtime_ns;
	return 0;
}

/* No step or slew: the kernel steers both clocks as one; correct it through
 * the realtime plugin. */
static const struct tsd_clock_ops tai_ops = {
	.now = tai_now,
	.info = tai_info,
	.from_realtime = tai_from_realtime,
	.step = NULL,
	.slew = NULL,
};

const struct tsd_plugin tsd_plugin = {
	.abi_version = TSD_PLUGIN_ABI_VERSION,
	.size = sizeof(struct tsd_plugin),
	.kind = TSD_PLUGIN_CLOCK,
	.name = "tai",
	.description = "CLOCK_TAI less the kernel's TAI-UTC offset, served as UTC "
	               "(with the offset unset, 0, this equals CLOCK_REALTIME)",
	.init = tai_init,
	.fini = tai_fini,
	.clock = &tai_ops,
	.estimator = NULL,
};
