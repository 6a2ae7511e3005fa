/* What a valid NTP reply says, the same over TCP and UDP: whether the
 * server can serve time, and the sample and server state it gives. */
#ifndef TSD_QUERY_REPLY_H
#define TSD_QUERY_REPLY_H

#include <stddef.h>
#include "common/wire.h"
#include "query/measure.h"

/* "host:port", or "[v6]:port" for an IPv6 literal: a server in messages. */
void reply_server_name(const struct server_spec *srv, char *buf, size_t len);

/* A server that cannot serve time (leap 3, stratum 0 or 16, a kiss-o'-death)
 * ends the measurement: -1 with the reason in out->why (and, unless it was a
 * kiss-o'-death, what it says of itself: leap, stratum, reference ID); 0
 * when it can. */
int reply_check_synced(const struct ntp_packet *p, struct measurement *out);

/* T2 and T3 from the reply into s (T1 already set), and the server's leap,
 * stratum, reference ID, root delay and dispersion into out. -1, changing nothing in out,
 * when the server's transmit precedes its receive. An interleaved reply
 * carries no T3 of its own: T3 is set to T2 until the next reply tells. */
int reply_take_sample(const struct ntp_packet *p, struct tsd_sample *s,
                      struct measurement *out, int interleaved);

#endif
