/* Hardware timestamps for the UDP server (server.udp.hwtimestamp), master
 * side: which interfaces can stamp in a PHC, turning their stamping on, and
 * opening their PHCs for the workers (hwclock.c converts the stamps). */
#ifndef TSD_HWSTAMP_H
#define TSD_HWSTAMP_H

#include <net/if.h>
#include "common/conf.h"
#include "tsd/phcread.h"

struct ethtool_ts_info;

/* Interfaces with hardware stamps at most; more are served in software. */
#define HWSTAMP_MAX_IF CONF_MAX_HWTIMESTAMP

struct hwstamp_if {
	char name[IF_NAMESIZE];
	unsigned if_index;
	int phc_index;
	int phc_fd;                     /* /dev/ptpN, read-only */
	enum phcread_method phc_method; /* the best its driver answered at setup */
	unsigned link_mbps;             /* its link speed at setup, 0 unknown */
};

/* The interfaces whose hardware stamps are on. */
struct hwstamp {
	struct hwstamp_if ifs[HWSTAMP_MAX_IF];
	unsigned n;
};

/* Whether what ETHTOOL_GET_TS_INFO reports is enough: hardware stamps
 * both ways in raw PHC time, a PHC, transmit stamping that can be turned
 * on, and a receive filter taking NTP packets (NTP_ALL where listed, else
 * ALL) in *rx_filter. 0, or -1 with the reason in *why. */
int hwstamp_capable(const struct ethtool_ts_info *info, int *rx_filter, const char **why);

/* Master: for each interface cfg names ("*": every one), ask its driver,
 * turn stamping on, open its PHC and read it once (the method its driver
 * has); one log line per interface (the reason
 * for software where it fails), one summary line. An interface that prev
 * (the running generation's, or NULL) has on is kept as it is, its PHC
 * descriptor duplicated: a reload needs no privilege. Fills hw (zeroed
 * first) with the interfaces that have hardware stamps; returns how many.
 * Never fails: software stamps are the fallback. Nothing is done or logged
 * when cfg names none. */
unsigned hwstamp_setup(const struct conf_udp *cfg, const struct hwstamp *prev,
                       struct hwstamp *hw);

/* The SO_TIMESTAMPING flags a UDP socket adds when hw has any interface:
 * hardware stamps both ways in raw PHC time, and with each stamp the
 * interface it came from (OPT_PKTINFO on receive, OPT_CMSG for IP_PKTINFO
 * with a transmit stamp). 0 when hw is NULL or empty. */
int hwstamp_socket_flags(const struct hwstamp *hw);

/* The link speed of interface name in Mb/s (ETHTOOL_GLINKSETTINGS, no
 * privilege needed; sock any socket), or 0 when unknown (no link, a
 * virtual interface). */
unsigned hwstamp_link_mbps(int sock, const char *name);

/* Close the PHCs (the workers keep their copies); hw becomes empty. */
void hwstamp_close(struct hwstamp *hw);

#endif
