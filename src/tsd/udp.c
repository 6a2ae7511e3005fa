/* NTP over UDP, server side: bind the shared sockets (master) and answer
 * client requests in batches with recvmmsg/sendmmsg (workers). */
#include "common/conf.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/monotonic.h"
#include "common/nts_ef.h"
#include "common/tstamp.h"
#include "common/wire.h"
#include "tsd/hwclock.h"
#include "tsd/listen.h"
#include "tsd/nts_udp.h"
#include "tsd/ratelimit.h"
#include "tsd/udp.h"
#include "tsd/udp_txstamp.h"
#include "tsd/xleave.h"

/* Packets per recvmmsg, and per call: at most 64 packets are served
 * before the worker's event loop gets the CPU back. */
#define UDP_BATCH 32
#define UDP_MAX_PER_CALL 64
/* The rate limit charges a packet at most this long before the batch that
 * reads it (see arrival_ns). */
#define ARRIVAL_MAX_AGE_NS 1000000000ull
/* Replies per sendmmsg: each chunk gets a fresh T3 (see send_replies). */
#define UDP_SEND_CHUNK 4
/* Room for an NTS request (extension fields); longer requests arrive
 * truncated and, not being NTS, are answered with 48 bytes. */
#define UDP_RX_BYTES NTS_PACKET_MAX
/* Where the transmit timestamp (T3) sits in an encoded packet. */
#define NTP_TRANSMIT_OFFSET 40

struct udp_limiter {
	struct ratelimit *table;        /* NULL: no limit */
	struct xleave *xleave;          /* the interleaved-mode table */
	int kod;                        /* the leaked answer is a KoD RATE */
	const struct worker_counters *ctr; /* this worker's, for the summary at exit */
	struct nts_udp *nts;            /* NULL: NTS off, every request plain */
	struct hwclock *hw;             /* NULL: software stamps, not counted */
};

/* Room for a receive stamp in both forms (32 and 64 bytes: SO_TIMESTAMPING
 * for the transmit stamps makes the kernel add the second) and a
 * packet-info message (40 bytes on 64-bit Linux). */
#define UDP_CONTROL_BYTES 192
/* Where the receive timestamp (T2) sits in an encoded packet. */
#define NTP_RECEIVE_OFFSET 32

/* Not a union with struct cmsghdr: its flexible array member would make
 * this a variable-sized type inside struct udp_slot. */
struct udp_control {
	_Alignas(struct cmsghdr) char buf[UDP_CONTROL_BYTES];
};

/* One received packet and, in the same slot, its reply. */
struct udp_slot {
	uint8_t rx[UDP_RX_BYTES];
	uint8_t tx[UDP_RX_BYTES];
	union listen_addr peer;
	struct udp_control rx_control;
	struct udp_control tx_control;
	struct iovec rx_iov;
	struct iovec tx_iov;
	tsd_time_ns t2_ns;
	int kod;
	int sealed;                     /* NTS: T3 is authenticated, never rewritten */
	int interleaved;                /* transmit holds the last reply's true one */
};

struct udp_batch {
	struct udp_slot slot[UDP_BATCH];
	struct mmsghdr rx_msg[UDP_BATCH];
	struct mmsghdr tx_msg[UDP_BATCH];
	unsigned tx_slot[UDP_BATCH];    /* reply j answers slot tx_slot[j] */
	unsigned n_tx;
	struct tsd_clock_info info;
	int have_info;
	tsd_time_ns after_recv_ns;      /* the clock soon after recvmmsg, if needed */
	int after_recv_state;           /* 0 not read yet, 1 read, -1 refused */
	uint64_t now_ns;                /* monotonic, for the rate limiter */
	int64_t mono_minus_real_ns;     /* CLOCK_MONOTONIC - CLOCK_REALTIME at now_ns */
	int ready;                      /* the headers point into the slots */
	unsigned stamps_asked;          /* replies of this call that ask for one */
};

/* ---- master: the shared rate-limit table (udp_bind.c binds the sockets) ---- */

/* The limiter settings of a configuration; 0 when limiting is off:
 * no interval, or leak = 1 without KoD, which answers every limited packet
 * normally (so the table would only cost time). */
static int limiter_settings(const struct conf_udp *cfg, struct ratelimit_config *rc)
{
	if (cfg == NULL || cfg->ratelimit_interval <= 0)
		return 0;
	if (cfg->ratelimit_leak == 1 && !cfg->ratelimit_kod)
		return 0;
	rc->interval_s = cfg->ratelimit_interval;
	rc->burst = cfg->ratelimit_burst > 0 ? (unsigned)cfg->ratelimit_burst : 1;
	rc->leak = cfg->ratelimit_leak > 0 ? (unsigned)cfg->ratelimit_leak : 0;
	rc->table_size = cfg->ratelimit_table_size > 0 ? (size_t)cfg->ratelimit_table_size : 1;
	rc->shared = 1;
	return 1;
}

int udp_table_new(const struct conf *cfg, struct ratelimit **out, char *err, size_t errlen)
{
	struct ratelimit_config rc;

	*out = NULL;
	if (!cfg->server.udp.enable || !limiter_settings(&cfg->server.udp, &rc))
		return 0;
	*out = ratelimit_new(&rc);
	if (*out == NULL) {
		snprintf(err, errlen, "udp: rate limit table of %zu addresses: %s",
		         rc.table_size, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- worker: the limiter ---- */

struct udp_limiter *udp_limiter_new(const struct conf_udp *cfg, struct ratelimit *table)
{
	struct udp_limiter *rl;
	struct ratelimit_config rc;

	if (limiter_settings(cfg, &rc) && (table == NULL || !ratelimit_same_config(table, &rc))) {
		/* Never a table of its own: that multiplied the limit by the
		 * number of workers. */
		errno = EINVAL;
		return NULL;
	}
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	rl->xleave = xleave_new();
	if (rl->xleave == NULL) {
		free(rl);
		return NULL;
	}
	rl->kod = cfg->ratelimit_kod;
	rl->table = limiter_settings(cfg, &rc) ? table : NULL;
	return rl;
}

void udp_limiter_set_nts(struct udp_limiter *rl, struct nts_udp *nts)
{
	rl->nts = nts;
}

void udp_limiter_set_hwclock(struct udp_limiter *rl, struct hwclock *hw)
{
	rl->hw = hw;
}

/* One line per worker at exit, so a test or an operator sees what the
 * UDP service did without a status interface. */
static void log_summary(const struct worker_counters *c)
{
	if (c == NULL || c->udp_served + c->udp_dropped + c->udp_limited + c->udp_kod == 0)
		return;
	log_info("udp: served %llu, dropped %llu invalid, rate limited %llu, kiss-o'-death %llu",
	         (unsigned long long)c->udp_served, (unsigned long long)c->udp_dropped,
	         (unsigned long long)c->udp_limited, (unsigned long long)c->udp_kod);
}

void udp_limiter_free(struct udp_limiter *rl)
{
	if (rl == NULL)
		return;
	log_summary(rl->ctr);
	/* The table is the generation's: unmapped at exit. */
	xleave_free(rl->xleave);
	free(rl);
}

/* ---- worker: serving ---- */

/* Point every receive header at its slot, once per process. */
static void prepare_rx(struct udp_batch *b)
{
	b->ready = 1;
	for (int i = 0; i < UDP_BATCH; i++) {
		struct udp_slot *s = &b->slot[i];
		struct msghdr *h = &b->rx_msg[i].msg_hdr;

		s->rx_iov.iov_base = s->rx;
		s->rx_iov.iov_len = sizeof(s->rx);
		memset(h, 0, sizeof(*h));
		h->msg_name = &s->peer;
		h->msg_namelen = sizeof(s->peer);
		h->msg_iov = &s->rx_iov;
		h->msg_iovlen = 1;
		h->msg_control = s->rx_control.buf;
		h->msg_controllen = sizeof(s->rx_control.buf);
	}
}

/* T2: the kernel's receive stamp (the card's where hw converts it) in the
 * served clock's time, else the clock read right after recvmmsg. 0, or -1
 * when the clock refused. */
static int receive_time(struct udp_batch *b, struct clock_source *cs, struct hwclock *hw,
                        struct msghdr *h, tsd_time_ns *t2_ns)
{
	tsd_time_ns rt_ns;
	int rc;

	if (hwclock_find(hw, h, &rt_ns, NULL) == 0) {
		rc = clock_from_realtime(cs, rt_ns, t2_ns);
		if (rc == 0)
			return 0;
		if (rc != -ENOTSUP)
			return -1;
	}
	/* Read once a batch, the first time a packet has no usable stamp: a
	 * few microseconds after the receive at most. */
	if (b->after_recv_state == 0) {
		struct tsd_clock_reading now = { 0, 0 };

		b->after_recv_state = clock_now(cs, &now) == 0 ? 1 : -1;
		b->after_recv_ns = now.time_ns;
	}
	if (b->after_recv_state < 0)
		return -1;
	*t2_ns = b->after_recv_ns;
	return 0;
}

/* IP_PKTINFO for the reply: the request's destination as its source.
 * Returns the control length, 0 for no choice (multicast, broadcast). */
static size_t source_v4(const struct cmsghdr *c, struct cmsghdr *out)
{
	struct in_pktinfo pi;

	memcpy(&pi, CMSG_DATA(c), sizeof(pi));
	if (IN_MULTICAST(ntohl(pi.ipi_addr.s_addr)) || pi.ipi_addr.s_addr == htonl(INADDR_BROADCAST))
		return 0;
	pi.ipi_spec_dst = pi.ipi_addr;
	pi.ipi_ifindex = 0;
	out->cmsg_level = IPPROTO_IP;
	out->cmsg_type = IP_PKTINFO;
	out->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(out), &pi, sizeof(pi));
	return CMSG_SPACE(sizeof(pi));
}

/* IPV6_PKTINFO the same way; the interface stays (link-local peers). */
static size_t source_v6(const struct cmsghdr *c, struct cmsghdr *out)
{
	struct in6_pktinfo pi;

	memcpy(&pi, CMSG_DATA(c), sizeof(pi));
	if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
		return 0;
	out->cmsg_level = IPPROTO_IPV6;
	out->cmsg_type = IPV6_PKTINFO;
	out->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(out), &pi, sizeof(pi));
	return CMSG_SPACE(sizeof(pi));
}

/* On a wildcard socket the reply leaves from the address the request came
 * to, not from whatever the routing table prefers. */
static void reply_source(struct msghdr *rx, struct udp_slot *s, struct msghdr *tx)
{
	struct cmsghdr *out = (struct cmsghdr *)s->tx_control.buf;
	size_t len = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(rx); c != NULL && len == 0; c = CMSG_NXTHDR(rx, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo)))
			len = source_v4(c, out);
		else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		         c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo)))
			len = source_v6(c, out);
	}
	tx->msg_control = len > 0 ? out : NULL;
	tx->msg_controllen = len;
}

static int peer_port(const union listen_addr *p, socklen_t len)
{
	if (p->sa.sa_family == AF_INET && len >= sizeof(p->in))
		return ntohs(p->in.sin_port);
	if (p->sa.sa_family == AF_INET6 && len >= sizeof(p->in6))
		return ntohs(p->in6.sin6_port);
	return 0;
}

enum udp_action { UDP_IGNORE, UDP_ANSWER, UDP_KOD };

/* When a packet arrived, on the monotonic clock: its kernel stamp where it
 * has one. A worker that falls behind (a loaded machine) must not count
 * the time a flood waited in its queue as time between the packets: that
 * refilled the bucket and let more through than the client's rate allows.
 * Never later than the batch's reading, nor more than a second before it
 * (the real-time clock may have been stepped). */
static uint64_t arrival_ns(const struct udp_batch *b, struct msghdr *h)
{
	tsd_time_ns rt_ns;
	int64_t mono_ns;

	if (tstamp_find(h, &rt_ns) != 0)
		return b->now_ns;
	mono_ns = rt_ns + b->mono_minus_real_ns;
	if (mono_ns <= 0 || (uint64_t)mono_ns > b->now_ns)
		return b->now_ns;
	if (b->now_ns - (uint64_t)mono_ns > ARRIVAL_MAX_AGE_NS)
		return b->now_ns - ARRIVAL_MAX_AGE_NS;
	return (uint64_t)mono_ns;
}

/* Decide what one packet gets, counting the ones that get nothing. */
static enum udp_action classify(struct udp_batch *b, int i, struct ntp_packet *req,
                                struct udp_limiter *rl, struct worker_counters *ctr)
{
	struct udp_slot *s = &b->slot[i];
	struct mmsghdr *m = &b->rx_msg[i];

	/* Port 0 cannot be answered: a forged or broken source. */
	if (m->msg_len < NTP_PACKET_SIZE || peer_port(&s->peer, m->msg_hdr.msg_namelen) == 0 ||
	    wire_decode(s->rx, m->msg_len, req) != 0 || wire_valid_client_request(req) != 0) {
		ctr->udp_dropped++;
		return UDP_IGNORE;
	}
	if (rl == NULL || rl->table == NULL)
		return UDP_ANSWER;
	switch (ratelimit_check(rl->table, &s->peer.sa, arrival_ns(b, &m->msg_hdr))) {
	case RATELIMIT_PASS:
		return UDP_ANSWER;
	case RATELIMIT_LEAK:
		return rl->kod ? UDP_KOD : UDP_ANSWER;
	case RATELIMIT_DROP:
		break;
	}
	ctr->udp_limited++;
	return UDP_IGNORE;
}

/* Interleaved (draft-ietf-ntp-interleaved-modes, as chronyd): the origin
 * is the client's receive time of our last reply, and the transmit field
 * the time that reply really left. */
static void make_interleaved(struct ntp_packet *reply, const struct ntp_packet *req,
                             ntp_ts prev_tx)
{
	reply->origin = req->receive;
	reply->transmit = prev_tx;
}

/* A plain reply asks for its transmit stamp (for the client's next,
 * interleaved request); a KoD or an NTS reply never will be interleaved. */
static void ask_stamp(struct udp_batch *b, struct udp_slot *s, struct msghdr *tx)
{
	size_t add = udp_txstamp_request(s->tx_control.buf, tx->msg_controllen,
	                                 sizeof(s->tx_control.buf));

	if (add == 0)
		return;
	tx->msg_control = s->tx_control.buf;
	tx->msg_controllen += add;
	b->stamps_asked++;
}

static void address_reply(struct udp_batch *b, int i, size_t len, int stamp)
{
	struct udp_slot *s = &b->slot[i];
	struct mmsghdr *m = &b->tx_msg[b->n_tx];

	s->tx_iov.iov_base = s->tx;
	s->tx_iov.iov_len = len;
	memset(&m->msg_hdr, 0, sizeof(m->msg_hdr));
	m->msg_hdr.msg_name = &s->peer;
	m->msg_hdr.msg_namelen = b->rx_msg[i].msg_hdr.msg_namelen;
	m->msg_hdr.msg_iov = &s->tx_iov;
	m->msg_hdr.msg_iovlen = 1;
	reply_source(&b->rx_msg[i].msg_hdr, s, &m->msg_hdr);
	if (stamp)
		ask_stamp(b, s, &m->msg_hdr);
	b->tx_slot[b->n_tx++] = (unsigned)i;
}

/* An NTS request: T3 is read now, because the authenticator covers it.
 * Returns the reply's length, 0 for a plain request, -1 for no reply. */
static int build_nts_reply(struct udp_batch *b, int i, struct ntp_packet *reply,
                           struct clock_source *cs, struct udp_limiter *rl,
                           struct worker_counters *ctr)
{
	struct udp_slot *s = &b->slot[i];
	struct tsd_clock_reading t3;
	uint8_t header[NTP_PACKET_SIZE];
	size_t len = 0;

	if (rl == NULL || rl->nts == NULL || !nts_udp_maybe(s->rx, b->rx_msg[i].msg_len))
		return 0;
	if (clock_now(cs, &t3) != 0) {
		ctr->clock_errors++;
		return -1;
	}
	reply->transmit = wire_ns_to_ntp(t3.time_ns);
	wire_encode(reply, header);
	switch (nts_udp_reply(rl->nts, s->rx, b->rx_msg[i].msg_len, header, s->tx, sizeof(s->tx),
	                      &len, ctr)) {
	case NTS_UDP_PLAIN:
		return 0;
	case NTS_UDP_DROP:
		return -1;
	case NTS_UDP_SEALED:
		ctr->nts_udp_served++;
		return (int)len;
	default:
		return (int)len;
	}
}

/* Build the reply in slot i (all but T3 of a plain reply, which is
 * written just before the send). */
static void build_reply(struct udp_batch *b, int i, const struct ntp_packet *req, int kod,
                        struct clock_source *cs, struct udp_limiter *rl,
                        struct worker_counters *ctr)
{
	struct udp_slot *s = &b->slot[i];
	struct ntp_packet reply;
	ntp_ts prev_tx;
	int len = 0;

	wire_make_reply(&reply, req, &b->info, s->t2_ns, s->t2_ns);
	s->interleaved = 0;
	if (kod) {
		reply.leap = TSD_LEAP_UNSYNC;
		reply.stratum = 0;
		reply.reference = 0;
		memcpy(reply.refid, "RATE", 4);
	} else {
		len = build_nts_reply(b, i, &reply, cs, rl, ctr);
		if (len < 0)
			return;
		/* An NTS reply is sealed with the T3 read now: never interleaved. */
		s->interleaved = len == 0 && rl != NULL &&
		                 xleave_lookup(rl->xleave, &s->peer.sa, req, &prev_tx);
		if (s->interleaved)
			make_interleaved(&reply, req, prev_tx);
	}
	s->kod = kod;
	s->sealed = len > 0;
	if (len == 0) {
		wire_encode(&reply, s->tx);
		len = NTP_PACKET_SIZE;
	}
	address_reply(b, i, (size_t)len, !kod && !s->sealed && rl != NULL);
}

static void handle_packet(struct udp_batch *b, int i, struct clock_source *cs,
                          struct udp_limiter *rl, struct worker_counters *ctr)
{
	struct ntp_packet req;
	enum udp_action act = classify(b, i, &req, rl, ctr);

	if (act == UDP_IGNORE)
		return;
	if (!b->have_info || receive_time(b, cs, rl != NULL ? rl->hw : NULL, &b->rx_msg[i].msg_hdr,
	                                  &b->slot[i].t2_ns) != 0) {
		ctr->clock_errors++;
		return;
	}
	build_reply(b, i, &req, act == UDP_KOD, cs, rl, ctr);
}

static void count_sent(struct udp_batch *b, unsigned from, unsigned to, tsd_time_ns t3_ns,
                       struct worker_counters *ctr)
{
	for (unsigned j = from; j < to; j++) {
		struct udp_slot *s = &b->slot[b->tx_slot[j]];

		if (s->kod) {
			ctr->udp_kod++;
			continue;
		}
		/* NTS replies have their own counters: the protocols add up. */
		if (!s->sealed)
			ctr->udp_served++;
		counters_add_proc_time(ctr, t3_ns - s->t2_ns);
	}
}

/* Write T3 into replies [from, to) and hand them to the kernel. Returns
 * how many left, or -1 when the kernel will take no more now. */
/* Note each reply in the interleaved table before it leaves, so that its
 * transmit stamp finds it. */
static void note_sending(struct udp_batch *b, unsigned from, unsigned to,
                         struct udp_limiter *rl)
{
	for (unsigned j = from; j < to && rl != NULL; j++) {
		struct udp_slot *s = &b->slot[b->tx_slot[j]];
		uint64_t rx;

		/* An NTS reply's stamp is never matched: its header is not last. */
		if (s->kod || s->sealed)
			continue;
		memcpy(&rx, s->tx + NTP_RECEIVE_OFFSET, sizeof(rx));
		xleave_sending(rl->xleave, &s->peer.sa, be64toh(rx));
	}
}

static int send_chunk(struct udp_batch *b, int fd, struct clock_source *cs,
                      unsigned from, unsigned to, struct udp_limiter *rl,
                      struct worker_counters *ctr)
{
	struct tsd_clock_reading t3;
	uint64_t wire_t3;
	int n;

	if (clock_now(cs, &t3) != 0) {
		ctr->clock_errors += to - from;
		return (int)(to - from);
	}
	wire_t3 = htobe64(wire_ns_to_ntp(t3.time_ns));
	for (unsigned j = from; j < to; j++)
		if (!b->slot[b->tx_slot[j]].sealed && !b->slot[b->tx_slot[j]].interleaved)
			memcpy(b->slot[b->tx_slot[j]].tx + NTP_TRANSMIT_OFFSET, &wire_t3, sizeof(wire_t3));
	note_sending(b, from, to, rl);
	do {
		n = sendmmsg(fd, b->tx_msg + from, to - from, 0);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		count_sent(b, from, from + (unsigned)n, t3.time_ns, ctr);
		return n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return -1;
	/* The kernel refused the first message (an unroutable peer): skip it. */
	return 1;
}

/* Where the chunk from `from` ends: after UDP_SEND_CHUNK replies that take
 * their T3 at the send. NTS replies (T3 sealed when built) and interleaved
 * ones (T3 the previous reply's) ride along: one sendmmsg for a batch of
 * them, not one per four. */
static unsigned chunk_end(const struct udp_batch *b, unsigned from)
{
	unsigned fresh = 0, j = from;

	while (j < b->n_tx && fresh < UDP_SEND_CHUNK) {
		const struct udp_slot *s = &b->slot[b->tx_slot[j++]];

		fresh += !s->sealed && !s->interleaved;
	}
	return j;
}

/* T3 as late as possible: read right before each sendmmsg of at most
 * UDP_SEND_CHUNK replies that take it, so the last of a chunk carries a T3
 * early by the time the kernel takes to send the ones before it (about
 * 1.7 us a packet on loopback, where sending also runs the receiver's
 * side). */
static void send_replies(struct udp_batch *b, int fd, struct clock_source *cs,
                         struct udp_limiter *rl, struct worker_counters *ctr)
{
	unsigned sent = 0;

	while (sent < b->n_tx) {
		int n = send_chunk(b, fd, cs, sent, chunk_end(b, sent), rl, ctr);

		if (n < 0)
			return;
		sent += (unsigned)n;
	}
}

/* The kernel wrote the lengths of name and control: give back the room. */
static void reset_rx(struct udp_batch *b, int n)
{
	for (int i = 0; i < n; i++) {
		b->rx_msg[i].msg_hdr.msg_namelen = sizeof(b->slot[i].peer);
		b->rx_msg[i].msg_hdr.msg_controllen = sizeof(b->slot[i].rx_control.buf);
	}
}

static void note_batch_time(struct udp_batch *b)
{
	struct timespec rt;

	b->now_ns = monotonic_now_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	b->mono_minus_real_ns = (int64_t)b->now_ns -
	                        ((int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec);
}

/* One recvmmsg and its replies. Returns the packets received. */
static int serve_batch(struct udp_batch *b, int fd, struct clock_source *cs,
                       struct udp_limiter *rl, struct worker_counters *ctr)
{
	int n;

	if (!b->ready)
		prepare_rx(b);
	n = recvmmsg(fd, b->rx_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	b->after_recv_state = 0;
	b->have_info = clock_info(cs, &b->info) == 0;
	if (b->have_info)
		counters_note_clock(ctr, &b->info);
	if (rl != NULL && rl->table != NULL)
		note_batch_time(b);
	b->n_tx = 0;
	for (int i = 0; i < n; i++)
		handle_packet(b, i, cs, rl, ctr);
	send_replies(b, fd, cs, rl, ctr);
	reset_rx(b, n);
	return n;
}

void udp_serve_ready(int fd, uint32_t events, struct clock_source *cs,
                     struct udp_limiter *rl, struct worker_counters *ctr)
{
	/* One per process (a worker is single-threaded): 17 KiB that need not
	 * be set up again for every call. */
	static struct udp_batch batch;
	struct worker_counters scratch;
	int total = 0;

	/* Counting is never optional for the serving code. */
	if (ctr == NULL) {
		memset(&scratch, 0, sizeof(scratch));
		ctr = &scratch;
	} else if (rl != NULL) {
		rl->ctr = ctr;
	}
	/* Stamps waiting (the socket reports an error while any are): read
	 * them before the requests that may name them. */
	if (events & EPOLLERR)
		udp_txstamp_drain(fd, cs, rl != NULL ? rl->xleave : NULL, rl != NULL ? rl->hw : NULL);
	batch.stamps_asked = 0;
	/* A short batch means the queue was empty: no call just for EAGAIN.
	 * At most UDP_MAX_PER_CALL packets, then back to the event loop. */
	while (total < UDP_MAX_PER_CALL) {
		int n = serve_batch(&batch, fd, cs, rl, ctr);

		total += n;
		if (n < UDP_BATCH)
			break;
	}
	/* On loopback and most drivers the stamps are there once sendmmsg
	 * returns: the next request of an interleaved client can use them.
	 * A call that asked for none (NTS replies, KoDs) makes no read. */
	if (batch.stamps_asked > 0 || (total > 0 && udp_txstamp_every()))
		udp_txstamp_drain(fd, cs, rl != NULL ? rl->xleave : NULL, rl != NULL ? rl->hw : NULL);
}
