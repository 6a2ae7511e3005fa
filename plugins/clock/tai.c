/* Clock plugin "tai": CLOCK_TAI converted back to UTC with the kernel's
 * TAI-UTC offset. Served times are UTC (the NTP time scale) like realtime's;
 * what this plugin adds is that it reads the kernel's atomic-time clock,
 * which never repeats a second at a leap, and the offset read with it. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "tsd/plugin.h"
#include "chronyd_follow.h"
#include "kernel.h"

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
	struct clock_identity id;
	/* follow_chronyd: chronyd's hierarchy fields, or NULL. */
	struct chronyd_follow *chronyd;
};

/* CLOCK_TAI between two reads of the offset: if a leap second changed the
 * offset in between, the pair does not match and we read again. */
static int read_utc_ns(int64_t *utc_ns, struct timex *tx)
{
	struct timespec ts;
	int tai_before, rc;

	for (int tries = 0; tries < MAX_TRIES; tries++) {
		rc = kernel_read(tx);
		if (rc < 0)
			return rc;
		tai_before = tx->tai;
		if (clock_gettime(CLOCK_TAI, &ts) != 0)
			return -errno;
		rc = kernel_read(tx);
		if (rc < 0)
			return rc;
		if (tx->tai == tai_before) {
			*utc_ns = timespec_ns(&ts) - (int64_t)tx->tai * NS_PER_S;
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
	out->error_s = t->id.precision_s + kernel_error_s(&tx);
	return 0;
}

static int tai_info(void *state, struct tsd_clock_info *out)
{
	struct tai *t = state;
	struct kernel_state ks;

	if (t->chronyd != NULL) {
		chronyd_follow_info(t->chronyd, &t->id, chronyd_follow_now_ns(), out);
		return 0;
	}
	kernel_state_read(&ks);
	clock_identity_kernel_info(&t->id, &ks, out);
	return 0;
}

static int tai_init(void **state, const struct tsd_setting *settings,
                    size_t n_settings, struct tsd_plugin_error *err)
{
	struct tai *t = calloc(1, sizeof(*t));
	struct timespec ts;
	int rc;

	if (t == NULL)
		return tsd_plugin_fail(err, -1, -ENOMEM, "out of memory");
	t->id.stratum = 1;
	memcpy(t->id.refid, "TAI", 4);
	rc = chronyd_follow_settings(&t->id, settings, n_settings, &t->chronyd, err);
	if (rc == 0 && clock_gettime(CLOCK_TAI, &ts) != 0)
		rc = tsd_plugin_fail(err, -1, -errno, "cannot read CLOCK_TAI: %s",
		                     strerror(errno));
	if (rc != 0) {
		chronyd_follow_free(t->chronyd);
		free(t);
		return rc;
	}
	clock_identity_precision(&t->id, CLOCK_TAI);
	*state = t;
	return 0;
}

static void tai_fini(void *state)
{
	struct tai *t = state;

	chronyd_follow_free(t->chronyd);
	free(t);
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
	.set_log = chronyd_follow_set_log,
};
