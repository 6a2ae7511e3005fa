/* Hardware timestamps, master side (server.udp.hwtimestamp): ask each
 * interface's driver what it can stamp (ETHTOOL_GET_TS_INFO), turn
 * stamping on (SIOCSHWTSTAMP), open its PHC; every failure leaves that
 * interface on software stamps and says why. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>

#include "common/log.h"
#include "tsd/hwstamp.h"

#define HW_FLAGS (SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE | \
                  SOF_TIMESTAMPING_RAW_HARDWARE)

int hwstamp_capable(const struct ethtool_ts_info *info, int *rx_filter, const char **why)
{
	if ((info->so_timestamping & HW_FLAGS) == 0) {
		*why = "ethtool reports software only";
		return -1;
	}
	if ((info->so_timestamping & HW_FLAGS) != HW_FLAGS) {
		*why = "hardware stamps not both ways in the PHC's time";
		return -1;
	}
	if (info->phc_index < 0) {
		*why = "no PHC";
		return -1;
	}
	if (!(info->tx_types & (1u << HWTSTAMP_TX_ON))) {
		*why = "transmit stamping cannot be turned on";
		return -1;
	}
	if (info->rx_filters & (1u << HWTSTAMP_FILTER_NTP_ALL))
		*rx_filter = HWTSTAMP_FILTER_NTP_ALL;
	else if (info->rx_filters & (1u << HWTSTAMP_FILTER_ALL))
		*rx_filter = HWTSTAMP_FILTER_ALL;
	else {
		*why = "no receive filter for NTP packets (only PTP)";
		return -1;
	}
	return 0;
}

static int ifreq_ioctl(int sock, const char *name, unsigned long request, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = data;
	return ioctl(sock, request, &ifr);
}

unsigned hwstamp_link_mbps(int sock, const char *name)
{
	/* Room after the settings for the largest mask set the kernel may
	 * name (3 x 127 words). */
	union {
		struct ethtool_link_settings s;
		uint32_t room[sizeof(struct ethtool_link_settings) / 4 + 3 * 127];
	} req;

	/* The first call says how many mask words the kernel has (negated). */
	memset(&req, 0, sizeof(req));
	req.s.cmd = ETHTOOL_GLINKSETTINGS;
	if (ifreq_ioctl(sock, name, SIOCETHTOOL, &req) != 0 ||
	    req.s.link_mode_masks_nwords >= 0 || req.s.link_mode_masks_nwords < -127)
		return 0;
	req.s.link_mode_masks_nwords = (int8_t)-req.s.link_mode_masks_nwords;
	if (ifreq_ioctl(sock, name, SIOCETHTOOL, &req) != 0 || req.s.cmd != ETHTOOL_GLINKSETTINGS)
		return 0;
	return req.s.speed == (uint32_t)SPEED_UNKNOWN ? 0 : req.s.speed;
}

/* Stamping already on for every sent packet and every received one (by
 * ptp4l with its filter ALL, or hwstamp_ctl): nothing to change, and no
 * CAP_NET_ADMIN needed. SIOCGHWTSTAMP asks without privilege. */
static int already_on(int sock, const char *name)
{
	struct hwtstamp_config hc;

	memset(&hc, 0, sizeof(hc));
	if (ifreq_ioctl(sock, name, SIOCGHWTSTAMP, &hc) != 0)
		return 0;
	return hc.tx_type == HWTSTAMP_TX_ON &&
	       (hc.rx_filter == HWTSTAMP_FILTER_ALL || hc.rx_filter == HWTSTAMP_FILTER_NTP_ALL);
}

/* Ask, check, turn on: 0 with the PHC's index, or -1 with the reason. */
static int enable_one(int sock, const char *name, int *phc_index, char *why, size_t len)
{
	struct ethtool_ts_info info;
	struct hwtstamp_config hc;
	const char *reason;
	int rx_filter;

	memset(&info, 0, sizeof(info));
	info.cmd = ETHTOOL_GET_TS_INFO;
	if (ifreq_ioctl(sock, name, SIOCETHTOOL, &info) != 0) {
		snprintf(why, len, "ethtool timestamping info: %s", strerror(errno));
		return -1;
	}
	if (hwstamp_capable(&info, &rx_filter, &reason) != 0) {
		snprintf(why, len, "no hardware timestamping (%s)", reason);
		return -1;
	}
	if (already_on(sock, name)) {
		*phc_index = info.phc_index;
		return 0;
	}
	memset(&hc, 0, sizeof(hc));
	hc.tx_type = HWTSTAMP_TX_ON;
	hc.rx_filter = rx_filter;
	/* The driver may widen the filter (to ALL); none at all is a refusal. */
	errno = 0;
	if (ifreq_ioctl(sock, name, SIOCSHWTSTAMP, &hc) != 0 ||
	    hc.tx_type != HWTSTAMP_TX_ON || hc.rx_filter == HWTSTAMP_FILTER_NONE) {
		snprintf(why, len, "the driver refused to turn stamping on (SIOCSHWTSTAMP: %s)",
		         errno != 0 ? strerror(errno) : "another setting");
		return -1;
	}
	*phc_index = info.phc_index;
	return 0;
}

/* A reload keeps what the previous generation turned on: the master may
 * run as server.user by then, without CAP_NET_ADMIN or the right to open
 * /dev/ptpN. 1 when e now holds a copy of prev's entry for the interface. */
static int keep_previous(const struct hwstamp *prev, const char *name, unsigned index,
                         struct hwstamp_if *e)
{
	for (unsigned i = 0; prev != NULL && i < prev->n; i++) {
		const struct hwstamp_if *p = &prev->ifs[i];

		if (strcmp(p->name, name) != 0 || p->if_index != index)
			continue;
		*e = *p;
		e->phc_fd = fcntl(p->phc_fd, F_DUPFD_CLOEXEC, 0);
		return e->phc_fd >= 0;
	}
	return 0;
}

/* The link for the log: its speed, or why receive stamps go uncorrected. */
static const char *link_text(unsigned mbps, char *buf, size_t len)
{
	if (mbps == 0)
		return "link speed unknown";
	snprintf(buf, len, "link %u Mb/s", mbps);
	return buf;
}

/* Open the PHC and read it once, which finds the method its driver has
 * and refuses a PHC that cannot be read at all (every worker would only
 * fall back to software stamps, one packet at a time). */
static int open_phc(const char *path, struct hwstamp_if *e, char *why, size_t len)
{
	struct phc_reading r[PHCREAD_READINGS];

	e->phc_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->phc_fd < 0) {
		snprintf(why, len, "cannot open its PHC %s: %s", path, strerror(errno));
		return -1;
	}
	e->phc_method = PHCREAD_PRECISE;
	if (phcread(e->phc_fd, &e->phc_method, r) < 0) {
		snprintf(why, len, "cannot read its PHC %s: %s", path, strerror(errno));
		close(e->phc_fd);
		return -1;
	}
	return 0;
}

/* One interface: a line either way; 1 when it joined hw. */
static int add_interface(int sock, const char *name, const struct hwstamp *prev,
                         struct hwstamp *hw)
{
	struct hwstamp_if *e = &hw->ifs[hw->n];
	char why[160], path[32], link[32];
	unsigned index = if_nametoindex(name);

	if (index == 0) {
		log_warn("udp: interface %s: %s; software timestamps", name,
		         errno == ENODEV ? "no such interface" : strerror(errno));
		return 0;
	}
	if (hw->n == HWSTAMP_MAX_IF) {
		log_warn("udp: interface %s: more than %d interfaces with hardware stamps; "
		         "software timestamps", name, HWSTAMP_MAX_IF);
		return 0;
	}
	if (keep_previous(prev, name, index, e)) {
		e->link_mbps = hwstamp_link_mbps(sock, name);
		hw->n++;
		log_info("udp: interface %s: hardware timestamps (PHC /dev/ptp%d, read with %s; "
		         "%s; kept)", name, e->phc_index, phcread_name(e->phc_method),
		         link_text(e->link_mbps, link, sizeof(link)));
		return 1;
	}
	if (enable_one(sock, name, &e->phc_index, why, sizeof(why)) != 0) {
		log_info("udp: interface %s: %s; software timestamps", name, why);
		return 0;
	}
	snprintf(path, sizeof(path), "/dev/ptp%d", e->phc_index);
	if (open_phc(path, e, why, sizeof(why)) != 0) {
		log_warn("udp: interface %s: %s; software timestamps", name, why);
		return 0;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->if_index = index;
	e->link_mbps = hwstamp_link_mbps(sock, name);
	hw->n++;
	log_info("udp: interface %s: hardware timestamps (PHC %s, read with %s; %s)", name,
	         path, phcread_name(e->phc_method), link_text(e->link_mbps, link, sizeof(link)));
	return 1;
}

/* "*": every interface the kernel lists. Returns how many were tried. */
static unsigned add_all(int sock, const struct hwstamp *prev, struct hwstamp *hw)
{
	struct if_nameindex *list = if_nameindex();
	unsigned tried = 0;

	if (list == NULL) {
		log_warn("udp: cannot list the interfaces: %s; software timestamps",
		         strerror(errno));
		return 0;
	}
	for (struct if_nameindex *p = list; p->if_index != 0 && p->if_name != NULL; p++, tried++)
		(void)add_interface(sock, p->if_name, prev, hw);
	if_freenameindex(list);
	return tried;
}

static void log_summary(const struct hwstamp *hw, unsigned tried)
{
	char names[HWSTAMP_MAX_IF * (IF_NAMESIZE + 2)] = "";
	size_t used = 0;

	if (hw->n == 0) {
		log_info("udp: timestamps: software only (no interface of server.udp.hwtimestamp "
		         "has hardware timestamps)");
		return;
	}
	for (unsigned i = 0; i < hw->n; i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
		                         i > 0 ? ", " : "", hw->ifs[i].name);
	log_info("udp: timestamps: hardware on %u of %u interface%s (%s)%s", hw->n, tried,
	         tried == 1 ? "" : "s", names, hw->n < tried ? ", software on the rest" : "");
}

unsigned hwstamp_setup(const struct conf_udp *cfg, const struct hwstamp *prev,
                       struct hwstamp *hw)
{
	unsigned tried = 0;
	int sock;

	memset(hw, 0, sizeof(*hw));
	if (cfg->n_hwtimestamp == 0)
		return 0;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		log_warn("udp: hardware timestamps: socket: %s; software timestamps",
		         strerror(errno));
		return 0;
	}
	if (strcmp(cfg->hwtimestamp[0], "*") == 0)
		tried = add_all(sock, prev, hw);
	else
		for (; tried < cfg->n_hwtimestamp; tried++)
			(void)add_interface(sock, cfg->hwtimestamp[tried], prev, hw);
	close(sock);
	log_summary(hw, tried);
	return hw->n;
}

int hwstamp_socket_flags(const struct hwstamp *hw)
{
	if (hw == NULL || hw->n == 0)
		return 0;
	return HW_FLAGS | SOF_TIMESTAMPING_OPT_PKTINFO | SOF_TIMESTAMPING_OPT_CMSG;
}

void hwstamp_close(struct hwstamp *hw)
{
	for (unsigned i = 0; i < hw->n; i++)
		close(hw->ifs[i].phc_fd);
	hw->n = 0;
}
