/* Transmit stamps of UDP replies (see udp_txstamp.h). */
#include "tsd/udp_txstamp.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tstamp.h"
#include "common/wire.h"
#include "common/clock.h"
#include "tsd/hwclock.h"
#include "tsd/xleave.h"

/* Stamps per recvmmsg, and at most this many batches per call. */
#define TX_BATCH 64
#define TX_BATCHES 2
/* What comes back with a stamp: the reply with its IP and UDP headers.
 * An NTS reply is longer and never asks for one. */
#define TX_DATA_BYTES 256
/* A software stamp in both forms, the extended error and, with hardware
 * stamps, the packet info naming the interface (IPv6: 200 bytes). */
#define TX_CONTROL_BYTES 256
/* Where the receive timestamp (T2) sits in an encoded packet. */
#define NTP_RECEIVE_OFFSET 32

enum txstamp_mode { TXSTAMP_UNKNOWN, TXSTAMP_OFF, TXSTAMP_PER_REPLY, TXSTAMP_EVERY };

/* Decided in the master before the workers are forked. */
static enum txstamp_mode mode = TXSTAMP_UNKNOWN;
/* server.udp.hwtimestamp: the hardware flags of the generation being
 * bound (hwstamp_socket_flags), 0 for software only; set by the master. */
static int hw_flags;

struct tx_control {
	_Alignas(struct cmsghdr) char buf[TX_CONTROL_BYTES];
};

/* One per process (a worker is single-threaded). */
static struct {
	struct mmsghdr msg[TX_BATCH];
	struct iovec iov[TX_BATCH];
	uint8_t data[TX_BATCH][TX_DATA_BYTES];
	struct tx_control control[TX_BATCH];
} q;

static void put_request(char *at)
{
	struct cmsghdr *c = (struct cmsghdr *)at;
	/* Both: a reply through a card without a PHC gets the software one. */
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | (hw_flags & SOF_TIMESTAMPING_TX_HARDWARE);

	memset(at, 0, CMSG_SPACE(sizeof(flags)));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_TIMESTAMPING;
	c->cmsg_len = CMSG_LEN(sizeof(flags));
	memcpy(CMSG_DATA(c), &flags, sizeof(flags));
}

/* Does the kernel take SO_TIMESTAMPING per message (Linux 4.13)? It
 * checks the control message before it routes, so only EINVAL says no;
 * a loopback that is down says yes. */
static int per_message_works(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct tx_control control;
	uint8_t byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr h = { .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &iov,
	                    .msg_iovlen = 1, .msg_control = control.buf,
	                    .msg_controllen = CMSG_SPACE(sizeof(int)) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ok;

	if (fd < 0)
		return 0;
	put_request(control.buf);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		/* No loopback address here: the probe proves nothing. */
		a.sin_port = htons(9);
	}
	ok = sendmsg(fd, &h, 0) >= 0 || errno != EINVAL;
	close(fd);
	return ok;
}

static void decide_mode(void)
{
	if (per_message_works()) {
		mode = TXSTAMP_PER_REPLY;
		log_info("udp: kernel software transmit timestamps, asked for each plain reply: "
		         "interleaved mode on");
	} else {
		mode = TXSTAMP_EVERY;
		log_info("udp: kernel software transmit timestamps on every reply "
		         "(no per-message request in this kernel): interleaved mode on");
	}
}

void udp_txstamp_hardware(int flags)
{
	hw_flags = flags;
}

/* The interface of each stamp: IP_PKTINFO on the error queue (with
 * OPT_CMSG) names the one a reply left by, which says whose PHC. */
static int ask_pktinfo(int fd)
{
	int domain = 0, one = 1;
	socklen_t len = sizeof(domain);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		return -1;
	if (domain == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
}

/* With hardware stamps: the card's raw stamps reported both ways, and the
 * software transmit stamp kept beside the card's (OPT_TX_SWHW), for when
 * the card's cannot be converted. Per-reply requests ask for the card's
 * transmit stamp themselves. */
static int hardware_flags(void)
{
	int flags = hw_flags | SOF_TIMESTAMPING_OPT_TX_SWHW;

	if (mode != TXSTAMP_EVERY)
		flags &= ~SOF_TIMESTAMPING_TX_HARDWARE;
	return flags;
}

void udp_txstamp_enable(int fd)
{
	int flags;

	if (mode == TXSTAMP_UNKNOWN)
		decide_mode();
	if (mode == TXSTAMP_OFF)
		return;
	flags = SOF_TIMESTAMPING_SOFTWARE;
	if (mode == TXSTAMP_EVERY)
		flags |= SOF_TIMESTAMPING_TX_SOFTWARE;
	if (hw_flags != 0) {
		int with_hw = flags | hardware_flags();

		if (ask_pktinfo(fd) == 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &with_hw, sizeof(with_hw)) == 0)
			return;
		log_warn("udp: the socket refused hardware timestamps (%s): software timestamps",
		         strerror(errno));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) != 0) {
		log_warn("udp: no kernel transmit timestamps (%s): interleaved mode off",
		         strerror(errno));
		mode = TXSTAMP_OFF;
	}
}

size_t udp_txstamp_request(char *control, size_t used, size_t room)
{
	if (mode != TXSTAMP_PER_REPLY || room - used < UDP_TXSTAMP_CONTROL_BYTES)
		return 0;
	put_request(control + used);
	return CMSG_SPACE(sizeof(int));
}

int udp_txstamp_every(void)
{
	return mode == TXSTAMP_EVERY;
}

/* 1 when an error-queue message is the transmit stamp of a packet sent. */
static int is_tx_stamp(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		struct sock_extended_err ee;

		if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) ||
		    c->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		return ee.ee_errno == ENOMSG && ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
		       ee.ee_info == SCM_TSTAMP_SND;
	}
	return 0;
}

/* One stamp: the reply came back whole with its headers, so its last 48
 * bytes are the NTP packet, whose receive field names it (whichever worker
 * sent it, on a socket they share). With hardware stamps a reply may come
 * back twice, software stamp first: the card's, later, replaces it. */
static void take(struct msghdr *h, size_t len, struct clock_source *cs, struct xleave *x,
                 struct hwclock *hc)
{
	const uint8_t *data = h->msg_iov[0].iov_base;
	tsd_time_ns rt_ns = 0, tx_ns;
	uint64_t rx;

	if (len < NTP_PACKET_SIZE || (h->msg_flags & MSG_TRUNC) || !is_tx_stamp(h) ||
	    hwclock_find(hc, h, &rt_ns, NULL) != 0 || clock_from_realtime(cs, rt_ns, &tx_ns) != 0)
		return;
	memcpy(&rx, data + len - NTP_PACKET_SIZE + NTP_RECEIVE_OFFSET, sizeof(rx));
	xleave_transmitted(x, be64toh(rx), wire_ns_to_ntp(tx_ns));
}

static void reset_queue(void)
{
	for (int i = 0; i < TX_BATCH; i++) {
		struct msghdr *h = &q.msg[i].msg_hdr;

		q.iov[i].iov_base = q.data[i];
		q.iov[i].iov_len = sizeof(q.data[i]);
		memset(h, 0, sizeof(*h));
		h->msg_iov = &q.iov[i];
		h->msg_iovlen = 1;
		h->msg_control = q.control[i].buf;
		h->msg_controllen = sizeof(q.control[i].buf);
	}
}

void udp_txstamp_drain(int fd, struct clock_source *cs, struct xleave *x, struct hwclock *hc)
{
	for (int b = 0; b < TX_BATCHES; b++) {
		int n;

		reset_queue();
		n = recvmmsg(fd, q.msg, TX_BATCH, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n && x != NULL; i++)
			take(&q.msg[i].msg_hdr, q.msg[i].msg_len, cs, x, hc);
		if (n < TX_BATCH)
			return;
	}
}
