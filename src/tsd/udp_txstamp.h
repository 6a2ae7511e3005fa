/* Transmit stamps of UDP replies, for interleaved mode: the kernel's time
 * of each plain reply's departure, asked for reply by reply and read back
 * from the socket's error queue in batches. */
#ifndef TSD_UDP_TXSTAMP_H
#define TSD_UDP_TXSTAMP_H

#include <stddef.h>

struct clock_source;
struct hwclock;
struct xleave;

/* Room a reply's control buffer needs for the request (one SO_TIMESTAMPING
 * control message with its alignment). */
#define UDP_TXSTAMP_CONTROL_BYTES 24

/* Master, for each UDP socket it binds: turn on reporting of software
 * stamps. The first call finds out (once, with a datagram to itself on
 * loopback) whether this kernel takes the request per message; if not,
 * every reply on the socket is stamped. Logs one line which. Best effort:
 * without stamps every reply is a basic one. */
void udp_txstamp_enable(int fd);

/* Master, before binding (or re-enabling) a generation's sockets: the
 * hardware flags of its interfaces (hwstamp_socket_flags; 0: software
 * only). udp_txstamp_enable then also asks for the card's stamps and the
 * interface of each, and each reply's request for the card's transmit
 * stamp beside the software one. The workers inherit it at fork. */
void udp_txstamp_hardware(int flags);

/* Worker: append the request for this reply's stamp at control + used
 * (room bytes in all, aligned for struct cmsghdr). Returns the bytes
 * added: 0 when stamps are off or every reply is stamped anyway. */
size_t udp_txstamp_request(char *control, size_t used, size_t room);

/* 1 when every reply on the sockets is stamped (an NTS reply or a KoD
 * too): the kernel takes no per-message request. */
int udp_txstamp_every(void);

/* Worker: read the stamps waiting on fd (at most a bounded number, in
 * batches of one recvmmsg) into the interleaved table x; x NULL just
 * discards them. A card's stamp is used where hc converts it (hc NULL:
 * software stamps only). Never blocks. */
void udp_txstamp_drain(int fd, struct clock_source *cs, struct xleave *x, struct hwclock *hc);

#endif
