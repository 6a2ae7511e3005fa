/* Kernel software timestamps, CLOCK_REALTIME: the one reader of a received
 * message's stamp (tstamp_find, for TCP and UDP alike), and for a connected
 * TCP socket when a request left (SCM_TSTAMP_SND from the error queue) and
 * when a reply arrived (the SCM_TIMESTAMPING control message of recvmsg). */
#ifndef TSD_TSTAMP_H
#define TSD_TSTAMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "tsd/plugin.h"

struct msghdr;

/* The kernel's software receive (or transmit) stamp among msg's control
 * messages, SCM_TIMESTAMPING or SCM_TIMESTAMPNS, each checked for its length
 * before it is read. 0, or -1 when there is none. */
int tstamp_find(struct msghdr *msg, tsd_time_ns *rt_ns);

struct tstamp {
	int rx_enabled;            /* SO_TIMESTAMPING accepted for receive */
	int tx_enabled;            /* ... and for transmit with byte keys (OPT_ID) */
	uint64_t bytes_sent;       /* the TCP key of a send is its last byte's index */
	int have_tx;
	uint32_t tx_key;
	tsd_time_ns tx_rt_ns;      /* newest transmit stamp seen */
	int have_rx;
	tsd_time_ns rx_rt_ns;      /* stamp of the last data read */
};

/* Ask for stamps on a connected socket. Never fails: without support the
 * flags stay 0 and the caller reads its clock around the calls instead. */
void tstamp_enable(int fd, struct tstamp *ts);

/* Note a send of `len` bytes; returns the key its transmit stamp will carry. */
uint32_t tstamp_sent(struct tstamp *ts, size_t len);

/* recv() that also records the receive stamp. Returns what recvmsg returns. */
ssize_t tstamp_recv(int fd, void *buf, size_t len, struct tstamp *ts);

/* Read every pending transmit stamp from the error queue (non-blocking).
 * Returns how many messages it read. */
int tstamp_drain(int fd, struct tstamp *ts);
/* Read stamps only until the one of the send with `key` is in (or the queue
 * is empty): one call where the queue holds just that stamp. */
void tstamp_drain_to(int fd, struct tstamp *ts, uint32_t key);

/* The transmit stamp of the send with `key`, once drained: 0 or -1. */
int tstamp_tx(const struct tstamp *ts, uint32_t key, tsd_time_ns *rt_ns);

#endif
