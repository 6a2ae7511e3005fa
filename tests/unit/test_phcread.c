/* A network card with a PHC, faked under the code that talks to one:
 * ioctl and open are wrapped (-Wl,--wrap), so the PTP requests on the
 * fake PHC's descriptor and the ethtool and SIOC*HWTSTAMP requests for
 * interface "lo" are answered here; every other call goes to the kernel.
 * Covered: each way of reading a PHC (src/tsd/phcread.c) and the step
 * down from one the driver lacks, the master's setup of an interface
 * (src/tsd/hwstamp.c), a worker's sample and conversion
 * (src/tsd/hwclock.c) and what tsdctl stats shows of the card
 * (src/tsd/status.c). Nothing here touches a real card or clock. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/ptp_clock.h>
#include <linux/sockios.h>
#include <cmocka.h>

#include "tsd/hwclock.h"
#include "tsd/hwstamp.h"
#include "tsd/phcread.h"
#include "tsd/stats.h"
#include "tsd/status.h"

#define NS 1000000000ll
#define FAKE_PHC_PATH "/dev/ptp7"

/* The fake card. Its PHC runs OFFSET_NS ahead of a fake system clock that
 * each reading moves on; a reading's PHC is taken three quarters into
 * its window, so only the narrowest window converts to within a few ns. */
#define OFFSET_NS (-1000 * NS + 123456789)
static const int64_t windows_ns[PHCREAD_READINGS] = { 900, 700, 100, 800, 600 };

static struct {
	int fd;                         /* the PHC's descriptor, -1 none */
	int nic;                        /* answer ethtool requests for "lo" */
	unsigned lacks;                 /* 1 << method: the driver has no such request */
	int busy;                       /* the next request fails with EBUSY */
	int broken;                     /* every request fails with EIO */
	uint32_t mbps;                  /* link speed, SPEED_UNKNOWN for none */
	int64_t sys_ns;
	unsigned calls[3];              /* requests per method */
	struct hwtstamp_config set;     /* what SIOCSHWTSTAMP was given */
} card;

int __real_ioctl(int fd, unsigned long request, ...);
int __real_open(const char *path, int flags, ...);

static struct ptp_clock_time ptp_time(int64_t ns)
{
	struct ptp_clock_time t = { .sec = ns / NS, .nsec = (uint32_t)(ns % NS) };

	return t;
}

static int fail_with(int err)
{
	errno = err;
	return -1;
}

static int refused(enum phcread_method m)
{
	card.calls[m]++;
	if (card.broken)
		return EIO;
	if (card.lacks & (1u << m))
		return EOPNOTSUPP;
	if (card.busy) {
		card.busy = 0;
		return EBUSY;
	}
	return 0;
}

static int fake_precise(struct ptp_sys_offset_precise *p)
{
	int err = refused(PHCREAD_PRECISE);

	if (err != 0)
		return fail_with(err);
	card.sys_ns += 1000;
	p->sys_realtime = ptp_time(card.sys_ns);
	p->device = ptp_time(card.sys_ns + OFFSET_NS);
	return 0;
}

static int fake_extended(struct ptp_sys_offset_extended *p)
{
	int err = refused(PHCREAD_EXTENDED);

	if (err != 0)
		return fail_with(err);
	if (p->n_samples != PHCREAD_READINGS)
		return fail_with(EINVAL);
	for (unsigned i = 0; i < p->n_samples; i++) {
		p->ts[i][0] = ptp_time(card.sys_ns);
		p->ts[i][1] = ptp_time(card.sys_ns + windows_ns[i] * 3 / 4 + OFFSET_NS);
		card.sys_ns += windows_ns[i];
		p->ts[i][2] = ptp_time(card.sys_ns);
		card.sys_ns += 50;
	}
	return 0;
}

static int fake_basic(struct ptp_sys_offset *p)
{
	int err = refused(PHCREAD_BASIC);

	if (err != 0)
		return fail_with(err);
	if (p->n_samples != PHCREAD_READINGS)
		return fail_with(EINVAL);
	p->ts[0] = ptp_time(card.sys_ns);
	for (unsigned i = 0; i < p->n_samples; i++) {
		p->ts[2 * i + 1] = ptp_time(card.sys_ns + windows_ns[i] * 3 / 4 + OFFSET_NS);
		card.sys_ns += windows_ns[i];
		p->ts[2 * i + 2] = ptp_time(card.sys_ns);
	}
	return 0;
}

/* ETHTOOL_GLINKSETTINGS as the kernel answers it: first the number of
 * mask words (negated) to a request with none, then the settings. */
static int fake_link(struct ifreq *ifr)
{
	struct ethtool_link_settings ls;

	memcpy(&ls, ifr->ifr_data, sizeof(ls));
	if (ls.link_mode_masks_nwords == 0) {
		ls.link_mode_masks_nwords = -3;
	} else {
		if (ls.link_mode_masks_nwords != 3)
			return fail_with(EINVAL);
		ls.speed = card.mbps;
	}
	memcpy(ifr->ifr_data, &ls, sizeof(ls));
	return 0;
}

/* An igb-like answer: hardware stamps both ways, PHC 7, NTP_ALL. */
static int fake_ethtool(struct ifreq *ifr)
{
	struct ethtool_ts_info info;

	memcpy(&info, ifr->ifr_data, sizeof(info));
	if (info.cmd == ETHTOOL_GLINKSETTINGS)
		return fake_link(ifr);
	if (info.cmd != ETHTOOL_GET_TS_INFO)
		return fail_with(EOPNOTSUPP);
	info.so_timestamping = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE |
	                       SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_SOFTWARE;
	info.phc_index = 7;
	info.tx_types = (1u << HWTSTAMP_TX_OFF) | (1u << HWTSTAMP_TX_ON);
	info.rx_filters = (1u << HWTSTAMP_FILTER_NONE) | (1u << HWTSTAMP_FILTER_NTP_ALL);
	memcpy(ifr->ifr_data, &info, sizeof(info));
	return 0;
}

static int fake_nic(unsigned long request, struct ifreq *ifr)
{
	struct hwtstamp_config hc;

	switch (request) {
	case SIOCETHTOOL:
		return fake_ethtool(ifr);
	case SIOCGHWTSTAMP:
		memset(&hc, 0, sizeof(hc));     /* off, as after boot */
		memcpy(ifr->ifr_data, &hc, sizeof(hc));
		return 0;
	case SIOCSHWTSTAMP:
		memcpy(&card.set, ifr->ifr_data, sizeof(card.set));
		return 0;
	}
	return -2;
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (card.fd >= 0 && fd == card.fd) {
		if (request == PTP_SYS_OFFSET_PRECISE)
			return fake_precise(arg);
		if (request == PTP_SYS_OFFSET_EXTENDED)
			return fake_extended(arg);
		if (request == PTP_SYS_OFFSET)
			return fake_basic(arg);
		return fail_with(ENOTTY);
	}
	if (card.nic && (request == SIOCETHTOOL || request == SIOCGHWTSTAMP ||
	                 request == SIOCSHWTSTAMP) &&
	    strcmp(((struct ifreq *)arg)->ifr_name, "lo") == 0) {
		int rc = fake_nic(request, arg);

		if (rc != -2)
			return rc;
	}
	return __real_ioctl(fd, request, arg);
}

/* The fake PHC's device opens /dev/null; the descriptor is remembered. */
int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;
	va_end(ap);
	if (card.nic && strcmp(path, FAKE_PHC_PATH) == 0) {
		card.fd = __real_open("/dev/null", flags);
		return card.fd;
	}
	return __real_open(path, flags, mode);
}

static int setup(void **state)
{
	(void)state;
	memset(&card, 0, sizeof(card));
	card.fd = -1;
	card.sys_ns = 1700000000 * NS;
	card.mbps = 1000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (card.fd >= 0)
		close(card.fd);
	card.fd = -1;
	return 0;
}

static void open_card(void)
{
	card.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(card.fd >= 0);
}

/* The narrowest reading converts to the system time within a few ns. */
static void expect_readings(const struct phc_reading *r, int n, int want_n)
{
	struct phc_sample s;

	assert_int_equal(n, want_n);
	assert_int_equal(phcfit_pick(r, (unsigned)n, &s), 0);
	assert_true(s.window_ns == (want_n == 1 ? 0 : 100));
	assert_true(llabs(s.phc_ns - OFFSET_NS - s.sys_ns) <= 25);
}

static void test_precise(void **state)
{
	enum phcread_method m = PHCREAD_PRECISE;
	struct phc_reading r[PHCREAD_READINGS];

	(void)state;
	open_card();
	expect_readings(r, phcread(card.fd, &m, r), 1);
	assert_int_equal(m, PHCREAD_PRECISE);
	assert_int_equal(r[0].sys_before_ns, r[0].sys_after_ns);
	/* Busy for once: no readings, and the method stays. */
	card.busy = 1;
	assert_int_equal(phcread(card.fd, &m, r), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(m, PHCREAD_PRECISE);
	assert_int_equal(card.calls[PHCREAD_EXTENDED], 0);
}

/* A driver without cross-timestamps: extended, from the same call on. */
static void test_steps_to_extended(void **state)
{
	enum phcread_method m = PHCREAD_PRECISE;
	struct phc_reading r[PHCREAD_READINGS];

	(void)state;
	open_card();
	card.lacks = 1u << PHCREAD_PRECISE;
	expect_readings(r, phcread(card.fd, &m, r), PHCREAD_READINGS);
	assert_int_equal(m, PHCREAD_EXTENDED);
	expect_readings(r, phcread(card.fd, &m, r), PHCREAD_READINGS);
	assert_int_equal(card.calls[PHCREAD_PRECISE], 1);
	assert_int_equal(card.calls[PHCREAD_EXTENDED], 2);
	assert_int_equal(card.calls[PHCREAD_BASIC], 0);
}

/* An old driver: the basic request, its system readings shared between
 * neighbouring PHC readings. */
static void test_steps_to_basic(void **state)
{
	enum phcread_method m = PHCREAD_PRECISE;
	struct phc_reading r[PHCREAD_READINGS];

	(void)state;
	open_card();
	card.lacks = (1u << PHCREAD_PRECISE) | (1u << PHCREAD_EXTENDED);
	expect_readings(r, phcread(card.fd, &m, r), PHCREAD_READINGS);
	assert_int_equal(m, PHCREAD_BASIC);
	for (unsigned i = 1; i < PHCREAD_READINGS; i++)
		assert_int_equal(r[i].sys_before_ns, r[i - 1].sys_after_ns);
	assert_string_equal(phcread_name(m), "PTP_SYS_OFFSET");
}

/* A PHC that fails with an error of its own is not given up on. */
static void test_broken_keeps_method(void **state)
{
	enum phcread_method m = PHCREAD_EXTENDED;
	struct phc_reading r[PHCREAD_READINGS];

	(void)state;
	open_card();
	card.broken = 1;
	assert_int_equal(phcread(card.fd, &m, r), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(m, PHCREAD_EXTENDED);
	assert_int_equal(card.calls[PHCREAD_PRECISE] + card.calls[PHCREAD_BASIC], 0);
}

static struct conf_udp lo_config(void)
{
	static char lo_name[] = "lo";
	struct conf_udp cfg = { .enable = 1, .n_hwtimestamp = 1 };

	cfg.hwtimestamp[0] = lo_name;
	return cfg;
}

/* What tsdctl stats shows of the interface. */
static void expect_stats(const struct conf_udp *udp, const struct hwstamp *hw)
{
	static struct conf cfg;
	struct worker_counters ctr[1];
	struct stats *st = stats_create();
	struct status_view v;
	struct ctl_out o;
	const char *text;

	assert_non_null(st);
	memset(ctr, 0, sizeof(ctr));
	memset(&v, 0, sizeof(v));
	cfg.server.udp = *udp;
	v.cfg = &cfg;
	v.hw = hw;
	v.stats = st;
	v.ctr = ctr;
	v.n_slots = 1;
	ctl_out_init(&o, 1);
	status_write(&v, CONTROL_STATS, &o);
	text = ctl_out_finish(&o);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"interfaces\":[{\"name\":\"lo\",\"source\":\"hardware\","
	                             "\"phc\":\"/dev/ptp7\",\"phc_read\":\"PTP_SYS_OFFSET_EXTENDED\","
	                             "\"link_mbps\":1000}]"));
	ctl_out_free(&o);
	stats_destroy(st);
}

/* The master: the card asked, stamping turned on with the NTP filter, the
 * PHC opened and read once (the method found is handed to the workers).
 * A worker: the method taken over, a sample, a card stamp converted. */
static void test_master_and_worker(void **state)
{
	struct conf_udp cfg = lo_config();
	struct hwstamp hw;
	struct hwclock hc;
	tsd_time_ns rt;

	(void)state;
	card.nic = 1;
	card.lacks = 1u << PHCREAD_PRECISE;
	assert_int_equal(hwstamp_setup(&cfg, NULL, &hw), 1);
	assert_int_equal(card.set.tx_type, HWTSTAMP_TX_ON);
	assert_int_equal(card.set.rx_filter, HWTSTAMP_FILTER_NTP_ALL);
	assert_int_equal(hw.ifs[0].phc_index, 7);
	assert_int_equal(hw.ifs[0].phc_fd, card.fd);
	assert_int_equal(hw.ifs[0].phc_method, PHCREAD_EXTENDED);
	assert_int_equal(hw.ifs[0].if_index, if_nametoindex("lo"));
	assert_int_equal(card.calls[PHCREAD_PRECISE], 1);

	hwclock_init(&hc, &hw);
	assert_int_equal(hc.ifs[0].method, PHCREAD_EXTENDED);
	assert_int_equal(hwclock_sample(&hc.ifs[0]), 0);
	assert_int_equal(card.calls[PHCREAD_PRECISE], 1);      /* not asked again */
	assert_int_equal(phcfit_convert(&hc.ifs[0].fit, card.sys_ns + OFFSET_NS, &rt), 0);
	assert_true(llabs(rt - card.sys_ns) <= 25);
	/* The link speed: the master's, then the worker's own each second. */
	assert_int_equal(hw.ifs[0].link_mbps, 1000);
	assert_int_equal(hc.ifs[0].link_mbps, 1000);
	card.mbps = 100;
	for (int64_t s = 1; s < HWCLOCK_LINK_ROUNDS; s++) {
		hwclock_tick(&hc, 10 * NS + s * NS);
		assert_int_equal(hc.ifs[0].link_mbps, 1000);
	}
	hwclock_tick(&hc, 10 * NS + HWCLOCK_LINK_ROUNDS * NS);
	assert_int_equal(hc.ifs[0].link_mbps, 100);
	card.mbps = (uint32_t)SPEED_UNKNOWN;
	for (int64_t s = 1; s <= HWCLOCK_LINK_ROUNDS; s++)
		hwclock_tick(&hc, 100 * NS + s * NS);
	assert_int_equal(hc.ifs[0].link_mbps, 0);
	/* At setup, the worker's first sample, then one a round. */
	assert_int_equal(card.calls[PHCREAD_EXTENDED], 2 + 2 * HWCLOCK_LINK_ROUNDS);
	hwclock_fini(&hc);
	expect_stats(&cfg, &hw);
	hwstamp_close(&hw);
	card.fd = -1;
}

/* A PHC that cannot be read at setup leaves the interface on software
 * stamps, its descriptor closed. */
static void test_master_refuses_unreadable_phc(void **state)
{
	struct conf_udp cfg = lo_config();
	struct hwstamp hw;

	(void)state;
	card.nic = 1;
	card.broken = 1;
	assert_int_equal(hwstamp_setup(&cfg, NULL, &hw), 0);
	assert_int_equal(hw.n, 0);
	assert_true(card.fd >= 0);
	assert_int_equal(fcntl(card.fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	card.fd = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_precise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steps_to_extended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steps_to_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_keeps_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_master_and_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_master_refuses_unreadable_phc, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
