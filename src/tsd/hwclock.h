/* Hardware timestamps, worker side: each PHC the master opened, sampled
 * against the system clock about once a second, and the stamp of a
 * message: the card's (SCM_TIMESTAMPING ts[2]) converted to system time
 * where it can be, else the kernel's software stamp of the same packet. */
#ifndef TSD_HWCLOCK_H
#define TSD_HWCLOCK_H

#include <stdint.h>
#include "tsd/hwstamp.h"
#include "tsd/phcfit.h"
#include "tsd/phcread.h"
#include "tsd/plugin.h"   /* tsd_time_ns */

struct msghdr;
struct worker_counters;

/* How often the worker samples its PHCs. */
#define HWCLOCK_INTERVAL_NS 1000000000ull
/* Every this many rounds it reads the link speeds too: the request takes
 * the kernel's network configuration lock (rtnl), which the event loop
 * should meet seldom, and a link renegotiates seldom. */
#define HWCLOCK_LINK_ROUNDS 16

/* A receive stamp is taken where the frame starts (IEEE 1588's point,
 * after the start-of-frame delimiter); it is moved to where the frame
 * ends, as a software receive stamp and every peer's is, by the time the
 * frame and its 4-byte check sequence take at the link's speed. */
#define HWCLOCK_FCS_BYTES 4

struct hwclock_if {
	char name[IF_NAMESIZE];
	unsigned if_index;
	unsigned link_mbps;             /* refreshed with the samples; 0 unknown */
	int phc_fd;
	enum phcread_method method;     /* how its PHC is read (phcread.h) */
	struct phc_fit fit;
};

struct hwclock {
	struct hwclock_if ifs[HWSTAMP_MAX_IF];
	unsigned n;
	int sock;                       /* for the link speeds, -1 none */
	uint64_t sampled_ns;            /* monotonic, the last round of samples */
	unsigned rounds;                /* rounds of samples taken */
	uint64_t hardware;              /* card stamps used */
	uint64_t unconverted;           /* card stamps replaced by the software one */
	uint64_t software;              /* software stamps used (unconverted ones too) */
};

/* The worker's view of the master's interfaces (hw may be NULL: none),
 * and a socket to ask their link speeds with. */
void hwclock_init(struct hwclock *hc, const struct hwstamp *hw);

/* Close what hwclock_init opened (the PHCs are the worker's to close). */
void hwclock_fini(struct hwclock *hc);

/* Sample every PHC when HWCLOCK_INTERVAL_NS has passed since the last
 * round (now_ns monotonic), and read every link speed each
 * HWCLOCK_LINK_ROUNDS rounds; a PHC that cannot be read keeps its old fit,
 * which goes stale. Never blocks beyond the PHC and ethtool requests. */
void hwclock_tick(struct hwclock *hc, uint64_t now_ns);

/* One PHC's sample now: 0, or -1 (errno) when it cannot be read or no
 * reading had a sane window. */
int hwclock_sample(struct hwclock_if *e);

/* The stamp of a received message, or of a transmit stamp from the error
 * queue, in system (CLOCK_REALTIME) time: the hardware one when the
 * message carries it, the interface it names (SCM_TIMESTAMPING_PKTINFO,
 * else IP_PKTINFO / IPV6_PKTINFO) has a PHC here and its fit converts it;
 * else the software one (tstamp_find). A received frame's hardware stamp
 * (SCM_TIMESTAMPING_PKTINFO gives its length) is moved to its end when the
 * link speed is known. *hardware says which (may be NULL).
 * 0, or -1 with neither. hc empty: tstamp_find; hc NULL: tstamp_find,
 * nothing counted. Each stamp found adds one to hc's counts. */
int hwclock_find(struct hwclock *hc, struct msghdr *msg, tsd_time_ns *rt_ns, int *hardware);

/* Copy the counts into the worker's shared counters (three stores: once
 * per loop turn, never per packet). */
void hwclock_publish(const struct hwclock *hc, struct worker_counters *c);

/* At worker exit, when a card stamped anything: one line with the counts. */
void hwclock_log_summary(const struct hwclock *hc);

#endif
