/* Interleaved mode on a native TCP connection (doc/protocol.md): a reply
 * can carry the time the connection's previous reply really left. */
#ifndef TSD_CONN_XLEAVE_H
#define TSD_CONN_XLEAVE_H

#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/tstamp.h"
#include "common/wire.h"

struct conn_xleave {
	uint8_t on;                /* transmit stamps are enabled on the socket */
	uint32_t last_key;         /* stamp key of the last reply's last byte */
	ntp_ts last_rx;            /* the receive field of the last reply */
	struct tstamp ts;          /* the keys and the newest stamp read back */
};

/* A new connection: off until its client asks. */
void conn_xleave_reset(struct conn_xleave *x);

/* A request arrived; `queued` reply bytes wait unsent before its reply. A
 * request whose receive field is set and differs from its transmit field
 * asks for interleaved mode: the connection's transmit stamps are turned on
 * (if the kernel has nothing unacknowledged, so the stamp keys start at a
 * known byte). Then, when its origin is the last reply's receive field and
 * that reply's stamp is back, *prev_tx is that reply's true transmit time
 * in the served clock and 1 is returned. */
int conn_xleave_request(struct conn_xleave *x, int fd, const struct ntp_packet *req,
                        size_t queued, struct clock_source *cs, ntp_ts *prev_tx);

/* A reply of len bytes (an extended frame is longer than 48) was queued
 * for sending. */
void conn_xleave_queued(struct conn_xleave *x, const struct ntp_packet *reply, size_t len);

/* Read back the transmit stamps waiting on the error queue (bounded).
 * Returns how many it read (0 when interleaved mode is off). */
int conn_xleave_drain(struct conn_xleave *x, int fd);
/* The same, but only while the last reply's stamp is not back yet. */
void conn_xleave_catch_up(struct conn_xleave *x, int fd);

#endif
