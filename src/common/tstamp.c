/* Kernel software timestamps (Documentation/networking/timestamping.rst):
 * finding the stamp in a received message's control data (TCP and UDP, the
 * daemon and the client), and on a TCP socket transmit stamps keyed by byte
 * offset and receive stamps with the data. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include "common/tstamp.h"

#define TSTAMP_RX_FLAGS (SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE)
#define TSTAMP_TX_FLAGS (SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | \
                         SOF_TIMESTAMPING_OPT_TSONLY)

void tstamp_enable(int fd, struct tstamp *ts)
{
	int flags = TSTAMP_RX_FLAGS | TSTAMP_TX_FLAGS;

	memset(ts, 0, sizeof(*ts));
	/* OPT_ID on TCP needs a connected socket; the key starts at the
	 * next byte sent. Older kernels refuse OPT_TSONLY or OPT_ID. */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) == 0) {
		ts->rx_enabled = 1;
		ts->tx_enabled = 1;
		return;
	}
	flags = TSTAMP_RX_FLAGS;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) == 0)
		ts->rx_enabled = 1;
}

uint32_t tstamp_sent(struct tstamp *ts, size_t len)
{
	ts->bytes_sent += len;
	return (uint32_t)(ts->bytes_sent - 1);
}

static tsd_time_ns timespec_ns(const struct timespec *t)
{
	return (tsd_time_ns)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The stamp one control message carries: SCM_TIMESTAMPING's software
 * stamp (ts[0]) or SCM_TIMESTAMPNS's. 0, or -1 for another message or one
 * too short to hold it. */
static int stamp_of(const struct cmsghdr *c, struct timespec *out)
{
	struct scm_timestamping st;

	if (c->cmsg_level != SOL_SOCKET)
		return -1;
	if (c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(*out))) {
		memcpy(out, CMSG_DATA(c), sizeof(*out));
		return 0;
	}
	if (c->cmsg_type == SCM_TIMESTAMPING && c->cmsg_len >= CMSG_LEN(sizeof(st))) {
		memcpy(&st, CMSG_DATA(c), sizeof(st));
		*out = st.ts[0];
		return 0;
	}
	return -1;
}

int tstamp_find(struct msghdr *msg, tsd_time_ns *rt_ns)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		struct timespec t;

		if (stamp_of(c, &t) != 0 || (t.tv_sec == 0 && t.tv_nsec == 0))
			continue;
		*rt_ns = timespec_ns(&t);
		return 0;
	}
	return -1;
}

/* The key of a transmit stamp from its IP(V6)_RECVERR message. */
static int find_tx_key(struct msghdr *msg, uint32_t *key)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		struct sock_extended_err ee;

		if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
			continue;
		if (c->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		if (ee.ee_errno != ENOMSG || ee.ee_origin != SO_EE_ORIGIN_TIMESTAMPING ||
		    ee.ee_info != SCM_TSTAMP_SND)
			continue;
		*key = ee.ee_data;
		return 0;
	}
	return -1;
}

ssize_t tstamp_recv(int fd, void *buf, size_t len, struct tstamp *ts)
{
	union { char buf[CMSG_SPACE(sizeof(struct scm_timestamping)) + 64]; struct cmsghdr align; } control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
	tsd_time_ns rt;

	if (n > 0 && ts->rx_enabled && tstamp_find(&msg, &rt) == 0) {
		ts->have_rx = 1;
		ts->rx_rt_ns = rt;
	}
	return n;
}

/* One message from the error queue: 0, or -1 when it is empty. */
static int read_one(int fd, struct tstamp *ts)
{
	union { char buf[512]; struct cmsghdr align; } control;
	char data[64];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	tsd_time_ns rt;
	uint32_t key;

	if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return -1;
	if (tstamp_find(&msg, &rt) == 0 && find_tx_key(&msg, &key) == 0) {
		ts->have_tx = 1;
		ts->tx_key = key;
		ts->tx_rt_ns = rt;
	}
	return 0;
}

int tstamp_drain(int fd, struct tstamp *ts)
{
	int i;

	for (i = 0; i < 64 && read_one(fd, ts) == 0; i++)
		continue;
	return i;
}

void tstamp_drain_to(int fd, struct tstamp *ts, uint32_t key)
{
	for (int i = 0; i < 64; i++) {
		if (ts->have_tx && ts->tx_key == key)
			return;
		if (read_one(fd, ts) != 0)
			return;
	}
}

int tstamp_tx(const struct tstamp *ts, uint32_t key, tsd_time_ns *rt_ns)
{
	if (!ts->tx_enabled || !ts->have_tx || ts->tx_key != key)
		return -1;
	*rt_ns = ts->tx_rt_ns;
	return 0;
}
