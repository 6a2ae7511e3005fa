/* Correcting the local clock by the combined offset: the size limit
 * (client.max_step, overridden by --force), the warning when something else
 * disciplines the kernel clock, then the clock plugin's step or slew. */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>

#include "tsclient/correct.h"

int correct_touches_kernel(const char *clock_name)
{
	return clock_name != NULL &&
	       (strcmp(clock_name, "realtime") == 0 || strcmp(clock_name, "tai") == 0);
}

int correct_kernel_disciplined(char *why, size_t len)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	tx.modes = 0;
	state = adjtimex(&tx);
	if (state < 0)
		return 0;
	/* chronyd and ntpd clear STA_UNSYNC while they hold the clock; the
	 * kernel's own PLL or FLL runs only when one of them turned it on. */
	if ((tx.status & STA_UNSYNC) && !(tx.status & (STA_PLL | STA_FLL)))
		return 0;
	snprintf(why, len, "the kernel reports it %s%s%s",
	         tx.status & STA_UNSYNC ? "unsynchronised" : "synchronised",
	         tx.status & STA_PLL ? ", PLL on" : "", tx.status & STA_FLL ? ", FLL on" : "");
	return 1;
}

static double read_clock_s(struct clock_source *cs)
{
	struct tsd_clock_reading r = { 0 };

	clock_now(cs, &r);
	return (double)r.time_ns / 1e9;
}

/* ntpdate's sanity check: a correction this large is more likely a wrong
 * server or a typo than the clock's real error. */
static int within_limit(struct correction *c, const char *verb, double max_step_s, int force)
{
	if (force || fabs(c->offset_s) <= max_step_s)
		return 1;
	snprintf(c->error, sizeof(c->error),
	         "the offset %+.6f s is larger than client.max_step (%g s); "
	         "--force %ss anyway", c->offset_s, max_step_s, verb);
	fprintf(stderr, "tsclient: will not %s the clock: %s\n", verb, c->error);
	return 0;
}

static void warn_if_disciplined(const char *clock_name, const char *verb)
{
	char why[96];

	if (correct_touches_kernel(clock_name) && correct_kernel_disciplined(why, sizeof(why)))
		fprintf(stderr, "tsclient: warning: another program (chronyd, ntpd, ...) seems to "
		        "discipline this clock (%s); a %s now works against it\n", why, verb);
}

int correct_clock(struct outcome *o, struct clock_source *cs, const char *clock_name,
                  double max_step_s, int force)
{
	struct correction *c = &o->corr;
	const char *verb = c->mode == CORRECT_STEP ? "step" : "slew";
	double before;
	int rc;

	c->offset_s = o->sel.offset_s;
	if (!within_limit(c, verb, max_step_s, force))
		return -1;
	warn_if_disciplined(clock_name, verb);
	before = read_clock_s(cs);
	rc = c->mode == CORRECT_STEP ? clock_step(cs, c->offset_s) : clock_slew(cs, c->offset_s);
	if (rc == 0) {
		c->applied = 1;
		if (c->mode == CORRECT_STEP)
			c->observed_s = read_clock_s(cs) - before;
		return 0;
	}
	if (rc == -EPERM)
		snprintf(c->error, sizeof(c->error),
		         "Operation not permitted (needs CAP_SYS_TIME, run as root)");
	else if (rc == -ENOTSUP)
		snprintf(c->error, sizeof(c->error), "the clock plugin \"%s\" cannot %s",
		         clock_name, verb);
	else
		snprintf(c->error, sizeof(c->error), "%s", strerror(-rc));
	fprintf(stderr, "tsclient: cannot %s the clock: %s\n", verb, c->error);
	return -1;
}
