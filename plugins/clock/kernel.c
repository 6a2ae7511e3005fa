/* Shared by the clock plugins: the kernel's clock state read without
 * changing it, what a kernel clock serves when nothing disciplines it, a
 * clock's precision, and the stratum, refid and local_stratum settings. */

#include <errno.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "kernel.h"

int64_t timespec_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NS_PER_S + ts->tv_nsec;
}

/* modes = 0: tsd reads the kernel's state and never changes it here. */
int kernel_read(struct timex *tx)
{
	int state;

	memset(tx, 0, sizeof(*tx));
	state = adjtimex(tx);
	return state < 0 ? -errno : state;
}

int kernel_synced(int state, const struct timex *tx)
{
	return state >= 0 && state != TIME_ERROR && !(tx->status & STA_UNSYNC);
}

void kernel_state_of(int state, const struct timex *tx, struct kernel_state *out)
{
	out->synced = kernel_synced(state, tx);
	out->leap = state < 0 ? TSD_LEAP_NONE : kernel_leap(tx);
	out->error_s = out->synced ? kernel_error_s(tx) : 0;
}

void kernel_state_read(struct kernel_state *out)
{
	struct timex tx;

	kernel_state_of(kernel_read(&tx), &tx, out);
}

enum tsd_leap kernel_leap(const struct timex *tx)
{
	if (tx->status & STA_INS)
		return TSD_LEAP_INSERT;
	if (tx->status & STA_DEL)
		return TSD_LEAP_DELETE;
	return TSD_LEAP_NONE;
}

double kernel_error_s(const struct timex *tx)
{
	if (tx->status & STA_UNSYNC)
		return 0;
	return tx->esterror / 1e6;
}

double clock_resolution_s(clockid_t clock)
{
	struct timespec res;

	if (clock_getres(clock, &res) != 0 || (res.tv_sec == 0 && res.tv_nsec == 0))
		return 1e-9;
	return (double)res.tv_sec + res.tv_nsec / 1e9;
}

int clock_precision_log2(double resolution_s)
{
	int p = 0;
	double step = 1.0;

	while (p > -30 && step / 2 >= resolution_s) {
		step /= 2;
		p--;
	}
	return p;
}

void clock_identity_precision(struct clock_identity *id, clockid_t clock)
{
	id->precision_s = clock_resolution_s(clock);
	id->precision_log2 = clock_precision_log2(id->precision_s);
}

void clock_identity_info(const struct clock_identity *id, enum tsd_leap leap,
                         double error_s, struct tsd_clock_info *out)
{
	memset(out, 0, sizeof(*out));
	out->leap = leap;
	out->stratum = id->stratum;
	out->precision_log2 = id->precision_log2;
	out->root_delay_s = 0;
	out->root_dispersion_s = id->precision_s + error_s;
	memcpy(out->refid, id->refid, 4);
}

void clock_identity_kernel_info(const struct clock_identity *id,
                                const struct kernel_state *ks, struct tsd_clock_info *out)
{
	if (ks->synced) {
		clock_identity_info(id, ks->leap, ks->error_s, out);
		return;
	}
	clock_identity_info(id, ks->leap, 0, out);
	if (id->local_stratum != 0) {
		out->stratum = id->local_stratum;
		return;
	}
	/* As chronyd and ntpd answer before they are synchronised: clients
	 * must not take this clock's time. */
	out->leap = TSD_LEAP_UNSYNC;
	out->stratum = 16;
}

static int stratum_value(const struct tsd_setting *s, int index, struct tsd_plugin_error *err)
{
	if (s->type != TSD_SETTING_INT || s->int_value < 1 || s->int_value > 15)
		return tsd_plugin_fail(err, index, -EINVAL,
		                       "%s must be an integer from 1 to 15", s->name);
	return (int)s->int_value;
}

int clock_set_local_stratum(struct clock_identity *id, const struct tsd_setting *s,
                            int index, struct tsd_plugin_error *err)
{
	int v = stratum_value(s, index, err);

	if (v < 0)
		return v;
	id->local_stratum = v;
	return 0;
}

int clock_set_stratum(struct clock_identity *id, const struct tsd_setting *s,
                      int index, struct tsd_plugin_error *err)
{
	int v = stratum_value(s, index, err);

	if (v < 0)
		return v;
	id->stratum = v;
	return 0;
}

int clock_set_refid(struct clock_identity *id, const struct tsd_setting *s,
                    int index, struct tsd_plugin_error *err)
{
	size_t len;

	if (s->type != TSD_SETTING_STRING || s->string_value == NULL)
		return tsd_plugin_fail(err, index, -EINVAL, "refid must be a string");
	len = strlen(s->string_value);
	if (len < 1 || len > 4)
		return tsd_plugin_fail(err, index, -EINVAL,
		                       "refid must be 1 to 4 characters, not \"%s\"",
		                       s->string_value);
	for (size_t k = 0; k < len; k++)
		if (s->string_value[k] < 0x20 || s->string_value[k] > 0x7e)
			return tsd_plugin_fail(err, index, -EINVAL,
			                       "refid must be printable ASCII");
	memset(id->refid, 0, 4);
	memcpy(id->refid, s->string_value, len);
	return 0;
}

int clock_identity_setting(struct clock_identity *id, const struct tsd_setting *s,
                           int index, struct tsd_plugin_error *err)
{
	if (strcmp(s->name, "stratum") == 0)
		return clock_set_stratum(id, s, index, err);
	if (strcmp(s->name, "refid") == 0)
		return clock_set_refid(id, s, index, err);
	if (strcmp(s->name, "local_stratum") == 0)
		return clock_set_local_stratum(id, s, index, err);
	return 1;
}

int clock_identity_settings(struct clock_identity *id, const struct tsd_setting *settings,
                            size_t n, struct tsd_plugin_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = clock_identity_setting(id, &settings[i], (int)i, err);

		if (rc > 0)
			rc = tsd_plugin_fail(err, (int)i, -EINVAL,
			                     "unknown setting \"%s\" (known: stratum, refid, "
			                     "local_stratum)", settings[i].name);
		if (rc != 0)
			return rc;
	}
	return 0;
}
