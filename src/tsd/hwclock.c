/* Hardware timestamps, worker side: the PHCs sampled against the system
 * clock from the event loop's once-a-second turn (never per packet), and
 * the choice between a message's hardware and software stamps. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include "common/log.h"
#include "common/tstamp.h"
#include "tsd/counters.h"
#include "tsd/hwclock.h"

void hwclock_init(struct hwclock *hc, const struct hwstamp *hw)
{
	memset(hc, 0, sizeof(*hc));
	for (unsigned i = 0; hw != NULL && i < hw->n; i++) {
		memcpy(hc->ifs[i].name, hw->ifs[i].name, sizeof(hc->ifs[i].name));
		hc->ifs[i].if_index = hw->ifs[i].if_index;
		hc->ifs[i].link_mbps = hw->ifs[i].link_mbps;
		hc->ifs[i].phc_fd = hw->ifs[i].phc_fd;
		hc->ifs[i].method = hw->ifs[i].phc_method;
	}
	hc->n = hw != NULL ? hw->n : 0;
	/* Without it the speeds stay those the master read. */
	hc->sock = hc->n > 0 ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
}

void hwclock_fini(struct hwclock *hc)
{
	if (hc->n > 0 && hc->sock >= 0)
		close(hc->sock);
	hc->sock = -1;
}

int hwclock_sample(struct hwclock_if *e)
{
	struct phc_reading r[PHCREAD_READINGS];
	struct phc_sample s;
	int n = phcread(e->phc_fd, &e->method, r);

	if (n < 0)
		return -1;
	if (phcfit_pick(r, (unsigned)n, &s) != 0) {
		errno = ERANGE;
		return -1;
	}
	phcfit_add(&e->fit, &s);
	return 0;
}

void hwclock_tick(struct hwclock *hc, uint64_t now_ns)
{
	int link;

	if (hc == NULL || hc->n == 0 || now_ns - hc->sampled_ns < HWCLOCK_INTERVAL_NS)
		return;
	hc->sampled_ns = now_ns;
	/* The first round is the master's reading, a moment old. */
	link = ++hc->rounds % HWCLOCK_LINK_ROUNDS == 0 && hc->sock >= 0;
	for (unsigned i = 0; i < hc->n; i++) {
		(void)hwclock_sample(&hc->ifs[i]);
		if (link)
			hc->ifs[i].link_mbps = hwstamp_link_mbps(hc->sock, hc->ifs[i].name);
	}
}

/* What a message says about its hardware stamp: ts[2] of SCM_TIMESTAMPING
 * (0 when the card did not stamp it) and the interface, each control
 * message checked for its length before it is read. */
struct hw_cmsgs {
	struct timespec raw;
	unsigned ts_if_index;           /* SCM_TIMESTAMPING_PKTINFO, on receive */
	unsigned pkt_length;            /* the same: the frame from its MAC header */
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
		out->pkt_length = pi.pkt_length;
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
	for (unsigned i = 0; i < hc->n; i++) {
		const struct hwclock_if *e = &hc->ifs[i];

		if (e->if_index != if_index)
			continue;
		if (m->pkt_length > 0 && e->link_mbps > 0)
			raw_ns += ((int64_t)m->pkt_length + HWCLOCK_FCS_BYTES) * 8000 / e->link_mbps;
		return phcfit_convert(&e->fit, raw_ns, rt_ns);
	}
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
