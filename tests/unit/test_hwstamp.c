/* Hardware timestamps without the hardware: the capability decision from a
 * given ETHTOOL_GET_TS_INFO answer (src/tsd/hwstamp.c), the PHC fit with
 * synthetic samples (src/tsd/phcfit.c), and the choice of a message's
 * hardware or software stamp from synthetic control messages
 * (src/tsd/hwclock.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tsd/hwclock.h"
#include "tsd/hwstamp.h"
#include "tsd/phcfit.h"
#include "tsd/udp_txstamp.h"

#define NS 1000000000ll
#define ALL_HW (SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE | \
                SOF_TIMESTAMPING_RAW_HARDWARE)
#define ALL_SW (SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE | \
                SOF_TIMESTAMPING_SOFTWARE)

/* What a card with a PHC reports (igb-like), to take parts away from. */
static struct ethtool_ts_info full_info(void)
{
	struct ethtool_ts_info info;

	memset(&info, 0, sizeof(info));
	info.cmd = ETHTOOL_GET_TS_INFO;
	info.so_timestamping = ALL_HW | ALL_SW;
	info.phc_index = 2;
	info.tx_types = (1u << HWTSTAMP_TX_OFF) | (1u << HWTSTAMP_TX_ON);
	info.rx_filters = (1u << HWTSTAMP_FILTER_NONE) | (1u << HWTSTAMP_FILTER_ALL) |
	                  (1u << HWTSTAMP_FILTER_NTP_ALL);
	return info;
}

static void expect_refused(const struct ethtool_ts_info *info, const char *want)
{
	const char *why = NULL;
	int filter = -1;

	assert_int_equal(hwstamp_capable(info, &filter, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, want);
}

static void test_capable(void **state)
{
	struct ethtool_ts_info info = full_info();
	const char *why = NULL;
	int filter = -1;

	(void)state;
	assert_int_equal(hwstamp_capable(&info, &filter, &why), 0);
	assert_int_equal(filter, HWTSTAMP_FILTER_NTP_ALL);
	/* Without an NTP filter, all packets. */
	info.rx_filters &= ~(1u << HWTSTAMP_FILTER_NTP_ALL);
	assert_int_equal(hwstamp_capable(&info, &filter, &why), 0);
	assert_int_equal(filter, HWTSTAMP_FILTER_ALL);
	/* PTP event filters only: NTP packets would not be stamped. */
	info.rx_filters = (1u << HWTSTAMP_FILTER_NONE) | (1u << HWTSTAMP_FILTER_PTP_V2_EVENT);
	expect_refused(&info, "no receive filter for NTP packets (only PTP)");
}

static void test_not_capable(void **state)
{
	struct ethtool_ts_info info;

	(void)state;
	/* What loopback and veth answer. */
	info = full_info();
	info.so_timestamping = ALL_SW;
	info.phc_index = -1;
	info.tx_types = 0;
	info.rx_filters = 0;
	expect_refused(&info, "ethtool reports software only");
	info = full_info();
	info.so_timestamping &= ~(unsigned)SOF_TIMESTAMPING_TX_HARDWARE;
	expect_refused(&info, "hardware stamps not both ways in the PHC's time");
	info = full_info();
	info.so_timestamping &= ~(unsigned)SOF_TIMESTAMPING_RAW_HARDWARE;
	expect_refused(&info, "hardware stamps not both ways in the PHC's time");
	info = full_info();
	info.phc_index = -1;
	expect_refused(&info, "no PHC");
	info = full_info();
	info.tx_types = 1u << HWTSTAMP_TX_OFF;
	expect_refused(&info, "transmit stamping cannot be turned on");
}

/* hwstamp_setup on loopback, which has no hardware stamps: software,
 * unless the running generation has the interface on (a reload, when the
 * master may no longer be allowed to turn it on): then its PHC descriptor
 * is duplicated, nothing asked of the driver. Never "*" here: that would
 * turn on a real card's stamping (test_udp_hwtimestamp.py tries it in a
 * namespace of its own). */
static void test_setup_keeps_previous(void **state)
{
	char lo_name[] = "lo", missing[] = "tsdnosuch0";
	struct conf_udp cfg = { .enable = 1, .n_hwtimestamp = 1 };
	struct hwstamp prev = { .n = 1 }, hw;
	int flags;

	(void)state;
	cfg.hwtimestamp[0] = lo_name;
	assert_int_equal(hwstamp_setup(&cfg, NULL, &hw), 0);
	assert_int_equal(hw.n, 0);
	strcpy(prev.ifs[0].name, "lo");
	prev.ifs[0].if_index = if_nametoindex("lo");
	prev.ifs[0].phc_index = 7;
	prev.ifs[0].phc_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(prev.ifs[0].phc_fd >= 0);
	assert_int_equal(hwstamp_setup(&cfg, &prev, &hw), 1);
	assert_string_equal(hw.ifs[0].name, "lo");
	assert_int_equal(hw.ifs[0].phc_index, 7);
	assert_int_equal(hw.ifs[0].if_index, prev.ifs[0].if_index);
	assert_true(hw.ifs[0].phc_fd >= 0 && hw.ifs[0].phc_fd != prev.ifs[0].phc_fd);
	flags = fcntl(hw.ifs[0].phc_fd, F_GETFD);
	assert_true(flags >= 0 && (flags & FD_CLOEXEC));
	assert_int_equal(hwstamp_socket_flags(&hw) & SOF_TIMESTAMPING_RAW_HARDWARE,
	                 SOF_TIMESTAMPING_RAW_HARDWARE);
	hwstamp_close(&hw);
	assert_int_equal(hw.n, 0);
	assert_int_equal(hwstamp_socket_flags(&hw), 0);
	assert_int_equal(hwstamp_socket_flags(NULL), 0);
	/* Another interface under the same name (its index changed): asked again. */
	cfg.hwtimestamp[0] = lo_name;
	prev.ifs[0].if_index += 1000;
	assert_int_equal(hwstamp_setup(&cfg, &prev, &hw), 0);
	/* A name that is no interface, and none named at all. */
	cfg.hwtimestamp[0] = missing;
	assert_int_equal(hwstamp_setup(&cfg, &prev, &hw), 0);
	cfg.n_hwtimestamp = 0;
	assert_int_equal(hwstamp_setup(&cfg, &prev, &hw), 0);
	hwstamp_close(&prev);
}

/* The narrowest window wins, at its middle; impossible or wide ones never. */
static void test_pick(void **state)
{
	struct phc_reading r[4] = {
		{ 100 * NS, 7 * NS, 100 * NS + 3000 },
		{ 100 * NS + 5000, 7 * NS + 5500, 100 * NS + 5800 },
		{ 100 * NS + 9000, 7 * NS + 9000, 100 * NS + 8000 },     /* backwards */
		{ 100 * NS + 10000, 7 * NS + 10000, 100 * NS + 12000 },
	};
	struct phc_reading wide = { 0, 5, PHCFIT_MAX_WINDOW_NS + 1 };
	struct phc_sample s;

	(void)state;
	assert_int_equal(phcfit_pick(r, 4, &s), 0);
	assert_int_equal(s.phc_ns, 7 * NS + 5500);
	assert_int_equal(s.sys_ns, 100 * NS + 5400);
	assert_int_equal(s.window_ns, 800);
	assert_int_equal(phcfit_pick(&r[2], 1, &s), -1);
	assert_int_equal(phcfit_pick(&wide, 1, &s), -1);
	assert_int_equal(phcfit_pick(r, 0, &s), -1);
}

/* A PHC running 50 ppm fast of the system clock with an offset of about
 * 1000 s: sys = phc * (1 - 50e-6) + base, sampled once a second. */
static struct phc_sample fast_phc_sample(int64_t phc_ns)
{
	struct phc_sample s = { phc_ns, 0, 100 };

	s.sys_ns = phc_ns - (int64_t)((double)(phc_ns - 5 * NS) * 50e-6) + 1000 * NS;
	return s;
}

static void test_fit_offset_and_rate(void **state)
{
	struct phc_fit f;
	struct phc_sample s;
	int64_t sys, want;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(phcfit_convert(&f, 5 * NS, &sys), -1);
	for (int i = 0; i < 12; i++) {
		s = fast_phc_sample(5 * NS + i * NS);
		phcfit_add(&f, &s);
	}
	assert_int_equal(f.n, PHCFIT_SAMPLES);
	assert_true(f.rate > -50.01e-6 && f.rate < -49.99e-6);
	/* Half a second after the newest sample: the rate carries it (the
	 * offset alone would be 25 us off). */
	want = fast_phc_sample(16 * NS + NS / 2).sys_ns;
	assert_int_equal(phcfit_convert(&f, 16 * NS + NS / 2, &sys), 0);
	assert_true(sys - want < 5 && want - sys < 5);
	/* Stale: the newest sample is more than 4 s from the stamp. */
	assert_int_equal(phcfit_convert(&f, 16 * NS + PHCFIT_MAX_AGE_NS + 1, &sys), -1);
	assert_int_equal(phcfit_convert(&f, 16 * NS - PHCFIT_MAX_AGE_NS - 1, &sys), -1);
	assert_int_equal(phcfit_convert(&f, 16 * NS + PHCFIT_MAX_AGE_NS, &sys), 0);
}

/* Noise of +-2 us on each sample: the fitted offset is closer to the truth
 * than the newest sample alone. */
static void test_fit_averages_noise(void **state)
{
	static const int64_t noise[PHCFIT_SAMPLES] = { 2000, -2000, 1500, -1500, 1000, -1000,
	                                               -500, 2000 };
	struct phc_fit f;
	int64_t sys, want;

	(void)state;
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < PHCFIT_SAMPLES; i++) {
		struct phc_sample s = fast_phc_sample(5 * NS + i * NS);

		s.sys_ns += noise[i];
		phcfit_add(&f, &s);
	}
	want = fast_phc_sample(12 * NS).sys_ns;
	assert_int_equal(phcfit_convert(&f, 12 * NS, &sys), 0);
	assert_true(sys - want < 1500 && want - sys < 1500);
}

static void test_fit_restarts(void **state)
{
	struct phc_fit f;
	struct phc_sample s;

	(void)state;
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 4; i++) {
		s = fast_phc_sample(5 * NS + i * NS);
		phcfit_add(&f, &s);
	}
	assert_int_equal(f.n, 4);
	/* The PHC stepped by 10 ms (ptp4l): only the new sample counts. */
	s = fast_phc_sample(9 * NS);
	s.phc_ns += 10000000;
	phcfit_add(&f, &s);
	assert_int_equal(f.n, 1);
	assert_true(f.rate == 0.0);
	/* Backwards in PHC time. */
	s.phc_ns -= NS;
	s.sys_ns += NS;
	phcfit_add(&f, &s);
	assert_int_equal(f.n, 1);
	/* A gap beyond the age limit starts again too. */
	s.phc_ns += 6 * NS;
	s.sys_ns += 6 * NS;
	phcfit_add(&f, &s);
	assert_int_equal(f.n, 1);
	/* 2000 ppm within the step limit is no crystal's rate. */
	s.phc_ns += NS / 4;
	s.sys_ns += NS / 4 + 500000;
	phcfit_add(&f, &s);
	assert_int_equal(f.n, 1);
}

/* A descriptor that is no PHC: each request is refused (ENOTTY), the
 * basic one is kept from then on, and the fit stays empty (stale). */
static void test_sample_not_a_phc(void **state)
{
	struct hwstamp hw = { .n = 1 };
	struct hwclock hc;

	(void)state;
	hw.ifs[0].if_index = 1;
	hw.ifs[0].phc_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(hw.ifs[0].phc_fd >= 0);
	hwclock_init(&hc, &hw);
	assert_int_equal(hc.n, 1);
	assert_int_equal(hc.ifs[0].method, PHCREAD_PRECISE);
	assert_int_equal(hwclock_sample(&hc.ifs[0]), -1);
	assert_int_equal(hc.ifs[0].method, PHCREAD_BASIC);
	assert_int_equal(hwclock_sample(&hc.ifs[0]), -1);
	assert_int_equal(hc.ifs[0].fit.n, 0);
	/* Once a second at most. */
	hwclock_tick(&hc, 5 * NS);
	assert_int_equal(hc.sampled_ns, 5 * NS);
	hwclock_tick(&hc, 5 * NS + NS / 2);
	assert_int_equal(hc.sampled_ns, 5 * NS);
	hwclock_tick(&hc, 6 * NS);
	assert_int_equal(hc.sampled_ns, 6 * NS);
	hwclock_fini(&hc);
	hwstamp_close(&hw);
}

/* ---- a message's stamp ---- */

/* Not a union with struct cmsghdr: its flexible array member would make
 * this a variable-sized type inside the struct. */
struct message {
	_Alignas(struct cmsghdr) char control[256];
	struct msghdr msg;
};

static struct cmsghdr *add_cmsg(struct message *m, int level, int type, const void *data,
                                size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)(m->control + m->msg.msg_controllen);

	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	m->msg.msg_controllen += CMSG_SPACE(len);
	return c;
}

/* SCM_TIMESTAMPING with a software stamp at 2000 s and the card's raw
 * stamp at 10 s of PHC time (0: none), and the interface it came in on. */
static void make_message(struct message *m, time_t raw_s, unsigned ts_if_index,
                         unsigned ip_if_index)
{
	struct scm_timestamping st;

	memset(m, 0, sizeof(*m));
	m->msg.msg_control = m->control;
	memset(&st, 0, sizeof(st));
	st.ts[0].tv_sec = 2000;
	st.ts[2].tv_sec = raw_s;
	add_cmsg(m, SOL_SOCKET, SCM_TIMESTAMPING, &st, sizeof(st));
	if (ts_if_index != 0) {
		struct scm_ts_pktinfo pi = { .if_index = ts_if_index, .pkt_length = 90 };

		add_cmsg(m, SOL_SOCKET, SCM_TIMESTAMPING_PKTINFO, &pi, sizeof(pi));
	}
	if (ip_if_index != 0) {
		struct in_pktinfo pi = { .ipi_ifindex = (int)ip_if_index };

		add_cmsg(m, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
}

/* Interface 3 with a PHC at 1000 s behind the system clock, sampled at
 * PHC time 9 s. */
static void one_phc(struct hwclock *hc)
{
	struct phc_sample s = { 9 * NS, 1009 * NS, 100 };

	memset(hc, 0, sizeof(*hc));
	hc->n = 1;
	hc->ifs[0].if_index = 3;
	hc->ifs[0].phc_fd = -1;
	phcfit_add(&hc->ifs[0].fit, &s);
}

static void expect_stamp(struct hwclock *hc, struct message *m, tsd_time_ns want, int want_hw)
{
	tsd_time_ns rt = 0;
	int hw = -1;

	assert_int_equal(hwclock_find(hc, &m->msg, &rt, &hw), 0);
	assert_int_equal(hw, want_hw);
	assert_int_equal(rt, want);
}

static void test_find_hardware(void **state)
{
	struct hwclock hc;
	struct message m;

	(void)state;
	one_phc(&hc);
	/* Receive: the interface from SCM_TIMESTAMPING_PKTINFO. */
	make_message(&m, 10, 3, 0);
	expect_stamp(&hc, &m, 1010 * NS, 1);
	/* Transmit (the error queue): from IP_PKTINFO. */
	make_message(&m, 10, 0, 3);
	expect_stamp(&hc, &m, 1010 * NS, 1);
	/* Both: the timestamping one names the card (a VLAN's IP_PKTINFO does not). */
	make_message(&m, 10, 3, 7);
	expect_stamp(&hc, &m, 1010 * NS, 1);
	assert_int_equal(hc.hardware, 3);
	assert_int_equal(hc.unconverted, 0);
}

/* A received frame's stamp moves to its end: the 90 bytes the kernel
 * reports and the check sequence, 94 x 8 bits at the link's speed. A
 * transmit stamp (no SCM_TIMESTAMPING_PKTINFO) and an unknown speed stay. */
static void test_find_frame_end(void **state)
{
	struct hwclock hc;
	struct message m;

	(void)state;
	one_phc(&hc);
	hc.ifs[0].link_mbps = 1000;
	make_message(&m, 10, 3, 0);
	expect_stamp(&hc, &m, 1010 * NS + 752, 1);
	hc.ifs[0].link_mbps = 100;
	expect_stamp(&hc, &m, 1010 * NS + 7520, 1);
	make_message(&m, 10, 0, 3);
	expect_stamp(&hc, &m, 1010 * NS, 1);
	hc.ifs[0].link_mbps = 0;
	make_message(&m, 10, 3, 0);
	expect_stamp(&hc, &m, 1010 * NS, 1);
}

static void test_find_falls_back(void **state)
{
	struct hwclock hc;
	struct message m;

	(void)state;
	one_phc(&hc);
	make_message(&m, 0, 3, 0);              /* the card did not stamp it */
	expect_stamp(&hc, &m, 2000 * NS, 0);
	make_message(&m, 10, 5, 0);             /* an interface without a PHC here */
	expect_stamp(&hc, &m, 2000 * NS, 0);
	make_message(&m, 10, 0, 0);             /* no interface named */
	expect_stamp(&hc, &m, 2000 * NS, 0);
	make_message(&m, 14, 3, 0);             /* 5 s after the last sample: stale */
	expect_stamp(&hc, &m, 2000 * NS, 0);
	/* Counted only where the card had stamped the packet. */
	assert_int_equal(hc.hardware, 0);
	assert_int_equal(hc.unconverted, 3);
	/* Without hardware interfaces the software stamp, uncounted. */
	make_message(&m, 10, 3, 0);
	expect_stamp(NULL, &m, 2000 * NS, 0);
	hc.n = 0;
	expect_stamp(&hc, &m, 2000 * NS, 0);
	assert_int_equal(hc.unconverted, 3);
}

/* A control message too short for what its type says is not read. */
static void test_find_short_cmsg(void **state)
{
	struct hwclock hc;
	struct message m;
	struct cmsghdr *c;
	tsd_time_ns rt = 0;

	(void)state;
	one_phc(&hc);
	make_message(&m, 10, 3, 0);
	c = CMSG_FIRSTHDR(&m.msg);
	c->cmsg_len = CMSG_LEN(sizeof(struct timespec) * 2);
	assert_int_equal(hwclock_find(&hc, &m.msg, &rt, NULL), -1);
}

/* ---- a socket with the hardware flags, on loopback (no hardware) ---- */

static int64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * NS + t.tv_nsec;
}

static unsigned pktinfo_index(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		struct in_pktinfo pi;

		if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO)
			continue;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		return (unsigned)pi.ipi_ifindex;
	}
	return 0;
}

/* A message from fd (the error queue with MSG_ERRQUEUE), waiting up to a
 * second for it; the software stamp is chosen, and it is recent. */
static void expect_software_message(struct hwclock *hc, int fd, int flags, unsigned lo)
{
	struct message m;
	char data[256];
	struct iovec iov = { data, sizeof(data) };
	struct pollfd p = { .fd = fd, .events = flags != 0 ? POLLERR : POLLIN };
	tsd_time_ns rt = 0;
	int hw = -1;

	memset(&m, 0, sizeof(m));
	m.msg.msg_iov = &iov;
	m.msg.msg_iovlen = 1;
	m.msg.msg_control = m.control;
	m.msg.msg_controllen = sizeof(m.control);
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_true(recvmsg(fd, &m.msg, flags | MSG_DONTWAIT) > 0);
	assert_int_equal(m.msg.msg_flags & MSG_CTRUNC, 0);
	/* The interface is named, so a card's stamp would find its PHC. */
	assert_int_equal(pktinfo_index(&m.msg), lo);
	assert_int_equal(hwclock_find(hc, &m.msg, &rt, &hw), 0);
	assert_int_equal(hw, 0);
	assert_true(rt > realtime_ns() - NS && rt <= realtime_ns());
}

/* The flags a socket gets with hardware stamps on: the kernel takes them,
 * a reply on a card without hardware stamps still gets its software
 * transmit stamp (OPT_TX_SWHW) with the interface (OPT_CMSG, IP_PKTINFO),
 * and a request its software receive stamp. */
static void test_socket_flags_on_loopback(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct hwstamp hw = { .n = 1 };
	struct hwclock hc;
	_Alignas(struct cmsghdr) char control[64];
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct msghdr h = { .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &iov,
	                    .msg_iovlen = 1, .msg_control = control };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, flags = 0;
	socklen_t flen = sizeof(flags);
	unsigned lo = if_nametoindex("lo");

	(void)state;
	assert_true(fd >= 0 && lo > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)), 0);
	udp_txstamp_hardware(hwstamp_socket_flags(&hw));
	udp_txstamp_enable(fd);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, &flen), 0);
	assert_int_equal(flags & (SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_OPT_PKTINFO |
	                          SOF_TIMESTAMPING_OPT_CMSG | SOF_TIMESTAMPING_OPT_TX_SWHW),
	                 SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_OPT_PKTINFO |
	                 SOF_TIMESTAMPING_OPT_CMSG | SOF_TIMESTAMPING_OPT_TX_SWHW);
	h.msg_controllen = udp_txstamp_request(control, 0, sizeof(control));
	if (h.msg_controllen == 0)
		h.msg_control = NULL;            /* every reply is stamped anyway */
	assert_int_equal(sendmsg(fd, &h, 0), 1);
	one_phc(&hc);
	hc.ifs[0].if_index = lo;
	expect_software_message(&hc, fd, MSG_ERRQUEUE, lo);
	expect_software_message(&hc, fd, 0, lo);
	udp_txstamp_hardware(0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capable),
		cmocka_unit_test(test_not_capable),
		cmocka_unit_test(test_setup_keeps_previous),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_fit_offset_and_rate),
		cmocka_unit_test(test_fit_averages_noise),
		cmocka_unit_test(test_fit_restarts),
		cmocka_unit_test(test_sample_not_a_phc),
		cmocka_unit_test(test_find_hardware),
		cmocka_unit_test(test_find_frame_end),
		cmocka_unit_test(test_find_falls_back),
		cmocka_unit_test(test_find_short_cmsg),
		cmocka_unit_test(test_socket_flags_on_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
