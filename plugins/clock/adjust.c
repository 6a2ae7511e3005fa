/* Steering a kernel clock through clock_adjtime, for sync.apply = "system":
 * its frequency, one step, its synchronisation status, and reading them
 * back (doc/algorithm.md, "Applying to the system clock"). */

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "kernel.h"

/* The kernel's scaled ppm: ppm times 2^16 in a long (struct timex freq). */
#define PPM_SCALE 65536.0
/* The status bits this module owns. STA_PLL and STA_FLL stay off: the
 * kernel's own loop would move the frequency tsd sets. */
#define OWNED_STATUS (STA_UNSYNC | STA_INS | STA_DEL | STA_PLL | STA_FLL)
/* The kernel calls a clock unsynchronised once its maximum error reaches
 * 16 s (NTP_PHASE_LIMIT); the error fields are microseconds below that. */
#define MAX_SYNC_ERROR_S 16.0
/* Steps beyond about 30 years are not offsets but a broken caller. */
#define MAX_STEP_S 1e9

static int adjust(clockid_t clock, struct timex *tx)
{
	return clock_adjtime(clock, tx) < 0 ? -errno : 0;
}

double kernel_clamp_ppm(double freq_ppm)
{
	if (freq_ppm > KERNEL_MAX_FREQ_PPM)
		return KERNEL_MAX_FREQ_PPM;
	if (freq_ppm < -KERNEL_MAX_FREQ_PPM)
		return -KERNEL_MAX_FREQ_PPM;
	return freq_ppm;
}

int kernel_adjust_frequency(clockid_t clock, double freq_ppm)
{
	struct timex tx;

	if (!isfinite(freq_ppm))
		return -EINVAL;
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_FREQUENCY;
	tx.freq = lround(kernel_clamp_ppm(freq_ppm) * PPM_SCALE);
	return adjust(clock, &tx);
}

/* ADJ_SETOFFSET adds the offset in the kernel, at once: no reading of the
 * clock and setting it later, which would lose the time in between. */
int kernel_adjust_step(clockid_t clock, double offset_s)
{
	struct timex tx;
	int64_t ns, sec;

	if (!(offset_s > -MAX_STEP_S && offset_s < MAX_STEP_S))
		return -EINVAL;
	ns = llround(offset_s * 1e9);
	sec = ns / NS_PER_S;
	if (ns % NS_PER_S < 0)
		sec--;
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_SETOFFSET | ADJ_NANO;
	tx.time.tv_sec = (time_t)sec;
	tx.time.tv_usec = (suseconds_t)(ns - sec * NS_PER_S); /* nanoseconds, 0..1e9-1 */
	return adjust(clock, &tx);
}

static long error_us(double seconds)
{
	return lround(fmin(seconds, MAX_SYNC_ERROR_S) * 1e6);
}

static int status_bits(const struct tsd_clock_status *st)
{
	int bits = 0;

	if (!st->synced || st->max_error_s >= MAX_SYNC_ERROR_S)
		bits |= STA_UNSYNC;
	if (st->leap == TSD_LEAP_INSERT)
		bits |= STA_INS;
	else if (st->leap == TSD_LEAP_DELETE)
		bits |= STA_DEL;
	return bits;
}

/* Clearing STA_UNSYNC tells other programs the clock is synchronised, and
 * lets the kernel copy it to the RTC every 11 minutes where it is built to. */
int kernel_adjust_status(clockid_t clock, const struct tsd_clock_status *st)
{
	struct timex tx;
	int rc;

	memset(&tx, 0, sizeof(tx));
	rc = adjust(clock, &tx);
	if (rc < 0)
		return rc;
	tx.modes = ADJ_STATUS | ADJ_ESTERROR | ADJ_MAXERROR;
	tx.status = (tx.status & ~OWNED_STATUS) | status_bits(st);
	tx.esterror = error_us(st->error_s);
	tx.maxerror = error_us(st->max_error_s);
	return adjust(clock, &tx);
}

int kernel_adjust_read(clockid_t clock, struct tsd_clock_adjustment *out)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	state = clock_adjtime(clock, &tx);
	if (state < 0)
		return -errno;
	out->freq_ppm = (double)tx.freq / PPM_SCALE;
	out->max_freq_ppm = tx.tolerance > 0 ? (double)tx.tolerance / PPM_SCALE
	                                     : KERNEL_MAX_FREQ_PPM;
	out->synced = kernel_synced(state, &tx);
	out->leap = kernel_leap(&tx);
	out->error_s = (double)tx.esterror / 1e6;
	out->max_error_s = (double)tx.maxerror / 1e6;
	return 0;
}
