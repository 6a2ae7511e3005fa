/* One upstream source of the sync process: how it is asked, when it is due,
 * its reachability, and the point its last poll gave. */
#ifndef TSD_SYNC_SOURCE_H
#define TSD_SYNC_SOURCE_H

#include <stdint.h>
#include "common/clock.h"
#include "common/conf.h"
#include "common/estimator.h"
#include "query/measure.h"
#include "tsd/refid.h"
#include "tsd/delayfilter.h"
#include "query/nts_client.h"

/* Exchanges per poll: the estimator keeps the best of them. */
#define SYNC_EXCHANGES 4

enum sync_source_state {
	SOURCE_NEW = 0,            /* not polled yet */
	SOURCE_OK,                 /* its last poll gave a point */
	SOURCE_UNREACHABLE,
	SOURCE_UNSYNCED,           /* leap 3, stratum 16 or a KoD */
	SOURCE_LOOP,               /* it follows us */
	SOURCE_BAD,                /* bad replies, or the estimator refused them */
};

struct sync_source {
	struct server_spec spec;
	enum sync_protocol protocol;
	const char *nts_ca_file;   /* protocol "nts": client.nts.ca_file (NULL: system store) */
	const struct refid_set *own;  /* this server's addresses (NULL: none known) */
	char name[300];
	enum sync_source_state state;
	unsigned reach;            /* last 8 polls, 1 = answered */
	double poll_s;             /* this source's interval (KoD RATE backs it off) */
	uint64_t next_poll_ns;     /* CLOCK_MONOTONIC */
	/* From the last good poll. */
	int64_t point_raw_ns;      /* raw clock reading of the estimate */
	uint64_t point_mono_ns;
	double offset_s;           /* source minus raw clock */
	double delay_s, error_s, jitter_s;
	int stratum, leap;
	double root_delay_s, root_dispersion_s;
	uint8_t refid_served[4];   /* what we serve when following it */
	uint8_t refid[4];          /* its own, from its last answer */
	struct delay_filter delays; /* the recent best delays, for the delay test */
	unsigned long dropped;     /* polls the delay test dropped */
	/* protocol "nts": keys and cookies kept from poll to poll, so a key
	 * exchange is made only when the cookies run out or a NAK comes. */
	struct nts_session nts;
	int nts_tcp;               /* NTS over tsd's TCP protocol (protocol "nts-tcp") */
};

/* From the configured source; -1 for an unparsable address. */
int sync_source_init(struct sync_source *src, const struct conf_sync_source *cfg,
                     int tcp_port, double poll_s);

/* Poll: SYNC_EXCHANGES exchanges through the raw clock `cs`, reduced by the
 * estimator to one point, which the delay test may drop (the point of the
 * last poll then stays). m is scratch room (it is large). Logs changes of
 * state once. */
void sync_source_poll(struct sync_source *src, struct clock_source *cs, struct estimator *est,
                      double timeout_s, double poll_max_s, struct measurement *m);

#endif
