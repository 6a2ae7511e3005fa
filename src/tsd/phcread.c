/* A PHC read by the best method its driver has (see phcread.h). */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/ptp_clock.h>

#include "tsd/phcread.h"

static int64_t ptp_ns(const struct ptp_clock_time *t)
{
	return (int64_t)t->sec * 1000000000 + t->nsec;
}

/* The card took the PHC and system times at one instant: a window of 0. */
static int read_precise(int fd, struct phc_reading *r)
{
	struct ptp_sys_offset_precise req;

	memset(&req, 0, sizeof(req));
	if (ioctl(fd, PTP_SYS_OFFSET_PRECISE, &req) != 0)
		return -1;
	r[0].sys_before_ns = ptp_ns(&req.sys_realtime);
	r[0].phc_ns = ptp_ns(&req.device);
	r[0].sys_after_ns = r[0].sys_before_ns;
	return 1;
}

/* Each reading is system, PHC, system. */
static int read_extended(int fd, struct phc_reading *r)
{
	struct ptp_sys_offset_extended req;

	memset(&req, 0, sizeof(req));
	req.n_samples = PHCREAD_READINGS;
	if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &req) != 0)
		return -1;
	for (unsigned i = 0; i < PHCREAD_READINGS; i++) {
		r[i].sys_before_ns = ptp_ns(&req.ts[i][0]);
		r[i].phc_ns = ptp_ns(&req.ts[i][1]);
		r[i].sys_after_ns = ptp_ns(&req.ts[i][2]);
	}
	return PHCREAD_READINGS;
}

/* System, PHC, system, PHC, ... system: each PHC between its neighbours. */
static int read_basic(int fd, struct phc_reading *r)
{
	struct ptp_sys_offset req;

	memset(&req, 0, sizeof(req));
	req.n_samples = PHCREAD_READINGS;
	if (ioctl(fd, PTP_SYS_OFFSET, &req) != 0)
		return -1;
	for (unsigned i = 0; i < PHCREAD_READINGS; i++) {
		r[i].sys_before_ns = ptp_ns(&req.ts[2 * i]);
		r[i].phc_ns = ptp_ns(&req.ts[2 * i + 1]);
		r[i].sys_after_ns = ptp_ns(&req.ts[2 * i + 2]);
	}
	return PHCREAD_READINGS;
}

static int lacks_method(int err)
{
	return err == EOPNOTSUPP || err == ENOTTY || err == EINVAL;
}

int phcread(int fd, enum phcread_method *method, struct phc_reading *r)
{
	int n = -1;

	if (*method == PHCREAD_PRECISE) {
		n = read_precise(fd, r);
		if (n < 0 && lacks_method(errno))
			*method = PHCREAD_EXTENDED;
	}
	if (n < 0 && *method == PHCREAD_EXTENDED) {
		n = read_extended(fd, r);
		if (n < 0 && lacks_method(errno))
			*method = PHCREAD_BASIC;
	}
	if (n < 0 && *method == PHCREAD_BASIC)
		n = read_basic(fd, r);
	return n;
}

const char *phcread_name(enum phcread_method method)
{
	switch (method) {
	case PHCREAD_PRECISE:
		return "PTP_SYS_OFFSET_PRECISE (the card's cross-timestamp)";
	case PHCREAD_EXTENDED:
		return "PTP_SYS_OFFSET_EXTENDED";
	case PHCREAD_BASIC:
		return "PTP_SYS_OFFSET";
	}
	return "unknown";
}
