/* A network card with a PHC for tsd on loopback, preloaded into the daemon
 * (LD_PRELOAD) by test_udp_hwfake.py. Nothing reaches a real card:
 *
 * - the ethtool and SIOC[GS]HWTSTAMP requests for the interface named by
 *   FAKEPHC_IF (default "lo") are answered as an igb-like card would: hardware
 *   stamps both ways, PHC 7, the NTP receive filter, a 1000 Mb/s link;
 * - opening /dev/ptp7 opens /dev/null, and the PTP requests are answered
 *   from CLOCK_REALTIME: the PHC runs FAKEPHC_OFFSET_S (37 s) ahead of it.
 *   The cross-timestamp is refused (EOPNOTSUPP), as on most cards, so tsd
 *   steps down to PTP_SYS_OFFSET_EXTENDED;
 * - every message tsd receives (recvmsg, recvmmsg: requests and the error
 *   queue's transmit stamps) that carries a software stamp gets the card's
 *   raw stamp beside it: the same moment in the PHC's time.
 *
 * So a hardware stamp converted right is the software one again, and one
 * converted wrong is 37 s off, which tsclient would see. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/ptp_clock.h>
#include <linux/sockios.h>

#define FAKEPHC_OFFSET_S 37
#define FAKEPHC_PATH "/dev/ptp7"

static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_open)(const char *, int, ...);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static int (*real_recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
static char if_name[IF_NAMESIZE] = "lo";

/* Looked up before tsd's sandbox is entered. */
__attribute__((constructor)) static void fakephc_init(void)
{
	const char *name = getenv("FAKEPHC_IF");

	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_recvmsg = (ssize_t (*)(int, struct msghdr *, int))dlsym(RTLD_NEXT, "recvmsg");
	real_recvmmsg = (int (*)(int, struct mmsghdr *, unsigned int, int, struct timespec *))
		dlsym(RTLD_NEXT, "recvmmsg");
	if (name != NULL && strlen(name) < sizeof(if_name))
		strcpy(if_name, name);
}

static struct ptp_clock_time ptp_time(const struct timespec *t, int phc)
{
	struct ptp_clock_time p = { .sec = t->tv_sec + (phc ? FAKEPHC_OFFSET_S : 0),
	                            .nsec = (uint32_t)t->tv_nsec };

	return p;
}

static void now(struct timespec *t)
{
	clock_gettime(CLOCK_REALTIME, t);
}

static int fake_extended(struct ptp_sys_offset_extended *p)
{
	struct timespec t;

	if (p->n_samples == 0 || p->n_samples > PTP_MAX_SAMPLES) {
		errno = EINVAL;
		return -1;
	}
	for (unsigned i = 0; i < p->n_samples; i++) {
		now(&t);
		p->ts[i][0] = ptp_time(&t, 0);
		now(&t);
		p->ts[i][1] = ptp_time(&t, 1);
		now(&t);
		p->ts[i][2] = ptp_time(&t, 0);
	}
	return 0;
}

static int fake_basic(struct ptp_sys_offset *p)
{
	struct timespec t;

	if (p->n_samples == 0 || p->n_samples > PTP_MAX_SAMPLES) {
		errno = EINVAL;
		return -1;
	}
	now(&t);
	p->ts[0] = ptp_time(&t, 0);
	for (unsigned i = 0; i < p->n_samples; i++) {
		now(&t);
		p->ts[2 * i + 1] = ptp_time(&t, 1);
		now(&t);
		p->ts[2 * i + 2] = ptp_time(&t, 0);
	}
	return 0;
}

static int fake_ethtool(void *data)
{
	uint32_t cmd;

	memcpy(&cmd, data, sizeof(cmd));
	if (cmd == ETHTOOL_GET_TS_INFO) {
		struct ethtool_ts_info info;

		memset(&info, 0, sizeof(info));
		info.cmd = cmd;
		info.so_timestamping = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE |
		                       SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_TX_SOFTWARE |
		                       SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
		info.phc_index = 7;
		info.tx_types = (1u << HWTSTAMP_TX_OFF) | (1u << HWTSTAMP_TX_ON);
		info.rx_filters = (1u << HWTSTAMP_FILTER_NONE) | (1u << HWTSTAMP_FILTER_NTP_ALL);
		memcpy(data, &info, sizeof(info));
		return 0;
	}
	if (cmd == ETHTOOL_GLINKSETTINGS) {
		struct ethtool_link_settings ls;

		memcpy(&ls, data, sizeof(ls));
		if (ls.link_mode_masks_nwords == 0)
			ls.link_mode_masks_nwords = -3;
		else
			ls.speed = 1000;
		memcpy(data, &ls, sizeof(ls));
		return 0;
	}
	errno = EOPNOTSUPP;
	return -1;
}

static int fake_nic(unsigned long request, struct ifreq *ifr)
{
	struct hwtstamp_config hc;

	if (request == SIOCETHTOOL)
		return fake_ethtool(ifr->ifr_data);
	memcpy(&hc, ifr->ifr_data, sizeof(hc));
	if (request == SIOCGHWTSTAMP) {
		memset(&hc, 0, sizeof(hc));        /* off, as after boot */
	} else {
		hc.tx_type = HWTSTAMP_TX_ON;
		hc.rx_filter = HWTSTAMP_FILTER_NTP_ALL;
	}
	memcpy(ifr->ifr_data, &hc, sizeof(hc));
	return 0;
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* tsd asks these of its PHC descriptors only. */
	if (request == PTP_SYS_OFFSET_PRECISE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (request == PTP_SYS_OFFSET_EXTENDED)
		return fake_extended(arg);
	if (request == PTP_SYS_OFFSET)
		return fake_basic(arg);
	if ((request == SIOCETHTOOL || request == SIOCGHWTSTAMP || request == SIOCSHWTSTAMP) &&
	    strcmp(((struct ifreq *)arg)->ifr_name, if_name) == 0)
		return fake_nic(request, arg);
	return real_ioctl(fd, request, arg);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (strcmp(path, FAKEPHC_PATH) == 0)
		return real_open("/dev/null", flags);
	return real_open(path, flags, mode);
}

/* The card's raw stamp beside the software one, where there is none. */
static void add_raw_stamp(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		struct scm_timestamping st;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPING ||
		    c->cmsg_len < CMSG_LEN(sizeof(st)))
			continue;
		memcpy(&st, CMSG_DATA(c), sizeof(st));
		if (st.ts[0].tv_sec == 0 || st.ts[2].tv_sec != 0)
			continue;
		st.ts[2] = st.ts[0];
		st.ts[2].tv_sec += FAKEPHC_OFFSET_S;
		memcpy(CMSG_DATA(c), &st, sizeof(st));
	}
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t n = real_recvmsg(fd, msg, flags);

	if (n >= 0)
		add_raw_stamp(msg);
	return n;
}

int recvmmsg(int fd, struct mmsghdr *v, unsigned int len, int flags, struct timespec *timeout)
{
	int n = real_recvmmsg(fd, v, len, flags, timeout);

	for (int i = 0; i < n; i++)
		add_raw_stamp(&v[i].msg_hdr);
	return n;
}
