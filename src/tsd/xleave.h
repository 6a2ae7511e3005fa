/* Interleaved NTP over UDP, server side: per client address, the receive
 * timestamp of the last reply and the time the kernel says that reply
 * really left, which the client's next interleaved request asks for. */
#ifndef TSD_XLEAVE_H
#define TSD_XLEAVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/wire.h"

/* Entries per worker, in sets of four: a client whose entry another one
 * took (four more recent clients in its set) gets a basic-mode reply,
 * never a wrong one. */
#define XLEAVE_TABLE_SIZE 4096

struct xleave;

/* At worker start: the whole table, so serving allocates nothing. NULL
 * when out of memory. */
struct xleave *xleave_new(void);
void xleave_free(struct xleave *x);

/* Whether req (from peer) asks for an interleaved reply that this table
 * can give: its receive and transmit fields differ and its origin is the
 * receive timestamp of our last reply to this same address, whose
 * transmit time is known. Then *prev_tx is that time, and 1 is returned. */
int xleave_lookup(const struct xleave *x, const struct sockaddr *peer,
                  const struct ntp_packet *req, ntp_ts *prev_tx);

/* A reply to peer whose receive field is rx goes out now; its transmit
 * time comes later from the kernel (xleave_transmitted). */
void xleave_sending(struct xleave *x, const struct sockaddr *peer, ntp_ts rx);

/* The kernel's transmit time of the reply whose receive field was rx.
 * Ignored unless that reply is still the last one to its address. */
void xleave_transmitted(struct xleave *x, ntp_ts rx, ntp_ts tx);

#endif
