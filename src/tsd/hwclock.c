/* Hardware timestamps, worker side: the PHCs sampled against the system
 * clock from the event loop's once-a-second turn (never per packet), and
 * the choice between a message's hardware and software stamps. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/ptp_clock.h>

#include "common/log.h"
#include "common/tstamp.h"
#include "tsd/counters.h"
#include "tsd/hwclock.h"

void hwclock_init(struct hwclock *hc, const struct hwstamp *hw)
{
	memset(hc, 0, sizeof(*hc));
	for (unsigned i = 0; hw != NULL && i < hw->n; i++) {
		hc->ifs[i].if_index = hw->ifs[i].if_index;
		hc->ifs[i].phc_fd = hw->ifs[i].phc_fd;
		hc->ifs[i].extended = 1;
	}
	hc->n = hw != NULL ? hw->n : 0;
}

static int64_t ptp_ns(const struct ptp_clock_time *t)
{
	return (int64_t)t->sec * 1000000000 + t->nsec;
}

/* PTP_SYS_OFFSET_EXTENDED: each reading is system, PHC, system. */
static int read_extended(int fd, struct phc_reading *r)
{
	struct ptp_sys_offset_extended req;

	memset(&req, 0, sizeof(req));
	req.n_samples = HWCLOCK_READINGS;
	if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &req) != 0)
		return -1;
	for (unsigned i = 0; i < HWCLOCK_READINGS; i++) {
		r[i].sys_before_ns = ptp_ns(&req.ts[i][0]);
		r[i].phc_ns = ptp_ns(&req.ts[i][1]);
		r[i].sys_after_ns = ptp_ns(&req.ts[i][2]);
	}
	return 0;
}

/* PTP_SYS_OFFSET (older drivers): system, PHC, system, PHC, ... system. */
static int read_basic(int fd, struct phc_reading *r)
{
	struct ptp_sys_offset req;

	memset(&req, 0, sizeof(req));
	req.n_samples = HWCLOCK_READINGS;
	if (ioctl(fd, PTP_SYS_OFFSET, &req) != 0)
		return -1;
	for (unsigned i = 0; i < HWCLOCK_READINGS; i++) {
		r[i].sys_before_ns = ptp_ns(&req.ts[2 * i]);
		r[i].phc_ns = ptp_ns(&req.ts[2 * i + 1]);
		r[i].sys_after_ns = ptp_ns(&req.ts[2 * i + 2]);
	}
	return 0;
}

int hwclock_sample(struct hwclock_if *e)
{
	struct phc_reading r[HWCLOCK_READINGS];
	struct phc_sample s;
	int rc = -1;

	if (e->extended) {
		rc = read_extended(e->phc_fd, r);
		/* A driver without it says so once; the basic one from then on. */
		if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOTTY || errno == EINVAL))
			e->extended = 0;
	}
	if (rc != 0 && !e->extended)
		rc = read_basic(e->phc_fd, r);
	if (rc != 0)
		return -1;
	if (phcfit_pick(r, HWCLOCK_READINGS, &s) != 0) {
		errno = ERANGE;
		return -1;
	}
	phcfit_add(&e->fit, &s);
	return 0;
}

void hwclock_tick(struct hwclock *hc, uint64_t now_ns)
{
	if (hc == NULL || hc->n == 0 || now_ns - hc->sampled_ns < HWCLOCK_INTERVAL_NS)
		return;
	hc->sampled_ns = now_ns;
	for (unsigned i = 0; i < hc->n; i++)
		(void)hwclock_sample(&hc->ifs[i]);
}

/* What a message says about its hardware stamp: ts[2] of SCM_TIMESTAMPING
 * (0 when the card did not stamp it) and the interface, each control
 * message checked for its length before it is read. */
struct hw_cmsgs {
	struct timespec raw;
	unsigned ts_if_index;           /* SCM_TIMESTAMPING_PKTINFO */
	unsigned ip_if_index;           /* IP_PKTINFO, IPV6_PKTINFO */
};

static void read_socket_level(const struct cmsghdr *c, struct hw_cmsgs *out)
{
	struct scm_timestamping st;
	struct scm_ts_pktinfo pi;

	if (c->cmsg_type == SCM_TIMESTAMPING && c->cmsg_len >= CMSG_LEN(sizeof(st))) {
		memcpy(&st, CMSG_DATA(c), sizeof(st));
		out->raw = st.ts[2];
	} else if (c->cmsg_type == SCM_TIMESTAMPING_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(pi))) {
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		out->ts_if_index = pi.if_index;
	}
}

static void read_cmsgs(struct msghdr *msg, struct hw_cmsgs *out)
{
	memset(out, 0, sizeof(*out));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET) {
			read_socket_level(c, out);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		           c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			out->ip_if_index = (unsigned)pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		           c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			out->ip_if_index = pi.ipi6_ifindex;
		}
	}
}

/* The hardware stamp in system time: 0, or -1 when there is none or it
 * cannot be converted. */
static int hardware_stamp(const struct hwclock *hc, const struct hw_cmsgs *m,
                          tsd_time_ns *rt_ns)
{
	unsigned if_index = m->ts_if_index != 0 ? m->ts_if_index : m->ip_if_index;
	int64_t raw_ns = (int64_t)m->raw.tv_sec * 1000000000 + m->raw.tv_nsec;

	if (raw_ns == 0 || if_index == 0)
		return -1;
	for (unsigned i = 0; i < hc->n; i++)
		if (hc->ifs[i].if_index == if_index)
			return phcfit_convert(&hc->ifs[i].fit, raw_ns, rt_ns);
	return -1;
}

int hwclock_find(struct hwclock *hc, struct msghdr *msg, tsd_time_ns *rt_ns, int *hardware)
{
	struct hw_cmsgs m;
	int hw = 0, rc;

	if (hc != NULL && hc->n > 0) {
		read_cmsgs(msg, &m);
		hw = hardware_stamp(hc, &m, rt_ns) == 0;
		if (hw)
			hc->hardware++;
		else if (m.raw.tv_sec != 0 || m.raw.tv_nsec != 0)
			hc->unconverted++;
	}
	if (hardware != NULL)
		*hardware = hw;
	if (hw)
		return 0;
	rc = tstamp_find(msg, rt_ns);
	if (rc == 0 && hc != NULL)
		hc->software++;
	return rc;
}

void hwclock_publish(const struct hwclock *hc, struct worker_counters *c)
{
	c->udp_stamps_hardware = hc->hardware;
	c->udp_stamps_fallback = hc->unconverted;
	c->udp_stamps_software = hc->software;
}

void hwclock_log_summary(const struct hwclock *hc)
{
	if (hc->n == 0 || hc->hardware + hc->unconverted == 0)
		return;
	log_info("udp: hardware timestamps: %llu used, %llu replaced by the software stamp "
	         "(PHC not sampled lately, or an interface without one)",
	         (unsigned long long)hc->hardware, (unsigned long long)hc->unconverted);
}
