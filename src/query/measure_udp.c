/* tsclient's measurement of one server over NTP/UDP: any NTP server
 * (tsd, chronyd, ntpd) answers. A random cookie in the transmit field ties
 * each reply to its request. Each request after the first also asks for
 * interleaved mode (interleave.h), which tsd and chronyd give: T3 becomes
 * the time the server's kernel sent the reply. T1 is the kernel's transmit
 * stamp of the request and T4 its receive stamp of the reply, where the
 * clock converts them. */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/plural.h"
#include "common/monotonic.h"
#include "common/tstamp.h"
#include "common/wire.h"
#include "query/interleave.h"
#include "query/measure.h"
#include "query/reply.h"

/* Gap between two requests of the first burst: servers (chronyd too) limit
 * per-client rates, and back-to-back packets measure the queue, not the path. */
#define UDP_SPACING_NS 2000000
/* A polite burst: what a server's rate limit lets through at once by default
 * (chronyd's ratelimit burst is 8, tsd's 16; iburst sends 4 to 8). Beyond
 * it the requests are paced at tsd's default sustained rate, 8 a second,
 * and the measurement's deadline grows by that pacing. */
#define UDP_POLITE_BURST 8
#define UDP_PACED_SPACING_NS 125000000LL
/* Least time one exchange waits for its reply before the next is sent. */
#define UDP_MIN_WAIT_NS 250000000LL

union udp_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

struct udp_link {
	int fd;
	union udp_addr server;
	socklen_t server_len;
	char name[300];                 /* "host:port" or "[v6]:port" for messages */
	struct clock_source *cs;
	int use_kernel;                 /* the clock converts kernel (realtime) stamps */
	int64_t deadline_ns;            /* CLOCK_MONOTONIC, the whole measurement */
	struct tstamp ts;               /* kernel stamps of requests and replies */
	struct interleave il;
};

static void sleep_until(int64_t when_ns)
{
	struct timespec t = { .tv_sec = when_ns / 1000000000, .tv_nsec = when_ns % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

static int kernel_stamps_usable(struct clock_source *cs)
{
	struct timespec rt;
	tsd_time_ns probe;

	clock_gettime(CLOCK_REALTIME, &rt);
	return clock_from_realtime(cs, (tsd_time_ns)rt.tv_sec * 1000000000 + rt.tv_nsec,
	                           &probe) == 0;
}

static int open_socket(struct udp_link *l, const struct addrinfo *ai)
{
	int one = 1;
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* Connected: the kernel passes up only datagrams from the server's
	 * address and port, and reports its ICMP port-unreachable. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	tstamp_enable(fd, &l->ts);
	if (!l->ts.rx_enabled)
		(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	memcpy(&l->server, ai->ai_addr, ai->ai_addrlen);
	l->server_len = ai->ai_addrlen;
	l->fd = fd;
	return 0;
}

static int open_link(struct udp_link *l, const struct server_spec *srv, struct measurement *out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res, *ai;
	char port[16];
	int rc = -EADDRNOTAVAIL;

	snprintf(port, sizeof(port), "%d", srv->port);
	reply_server_name(srv, l->name, sizeof(l->name));
	rc = getaddrinfo(srv->host, port, &hints, &res);
	if (rc != 0) {
		measure_set_why(out, "cannot resolve %s: %s", srv->host, gai_strerror(rc));
		return -1;
	}
	rc = -EADDRNOTAVAIL;
	for (ai = res; ai != NULL && rc != 0; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(l->server))
			rc = open_socket(l, ai);
	freeaddrinfo(res);
	if (rc != 0) {
		measure_set_why(out, "cannot open a UDP socket to %s: %s", l->name, strerror(-rc));
		return -1;
	}
	return 0;
}

static int same_address(const union udp_addr *a, const union udp_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	return 0;
}

static int random_cookie(ntp_ts *cookie)
{
	do {
		if (getrandom(cookie, sizeof(*cookie), 0) != (ssize_t)sizeof(*cookie))
			return -1;
	} while (*cookie == 0);
	return 0;
}

/* The kernel's stamps as T1 (the request's transmit stamp, read from the
 * error queue) and T4 (the reply's receive stamp), each where it lies
 * inside what user space saw around the calls. */
static void kernel_stamps(struct udp_link *l, struct msghdr *h, uint32_t key,
                          struct tsd_sample *s, struct measurement *out)
{
	tsd_time_ns rt_ns, t;

	if (!l->use_kernel)
		return;
	tstamp_drain_to(l->fd, &l->ts, key);
	if (tstamp_tx(&l->ts, key, &rt_ns) == 0 && clock_from_realtime(l->cs, rt_ns, &t) == 0 &&
	    t >= s->t1_ns && t <= s->t4_ns) {
		s->t1_ns = t;
		out->n_kernel_tx++;
	}
	if (tstamp_find(h, &rt_ns) == 0 && clock_from_realtime(l->cs, rt_ns, &t) == 0 &&
	    t >= s->t1_ns && t <= s->t4_ns) {
		s->t4_ns = t;
		out->n_kernel_rx++;
	}
}

/* Take a valid reply into a sample (or, interleaved, complete the one
 * before it). 1: taken; 0: bad; -1: no randomness; -2: unsynchronised. */
static int accept_reply(struct udp_link *l, const struct ntp_packet *rep, int interleaved,
                        struct tsd_sample *s, struct measurement *out)
{
	ntp_ts name;

	if (reply_check_synced(rep, out) < 0)
		return -2;
	if (s->t4_ns < s->t1_ns || reply_take_sample(rep, s, out, interleaved) < 0) {
		out->n_bad++;
		return 0;
	}
	/* The next request names this reply by a random value: only who saw
	 * the request can make a reply that looks interleaved. */
	if (random_cookie(&name) < 0) {
		measure_set_why(out, "getrandom: %s", strerror(errno));
		return -1;
	}
	interleave_take(&l->il, rep, interleaved, s, name, out);
	return 1;
}

/* One datagram. 1: a sample; 0: nothing usable yet (keep waiting);
 * -1: a socket error (why set); -2: the server is unsynchronised. */
static int read_reply(struct udp_link *l, const struct ntp_packet *req, uint32_t key,
                      struct tsd_sample *s, struct measurement *out)
{
	union { char buf[128]; struct cmsghdr align; } control;   /* a receive stamp */
	uint8_t buf[NTP_PACKET_SIZE];
	union udp_addr from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr h = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
	                    .msg_iovlen = 1, .msg_control = control.buf,
	                    .msg_controllen = sizeof(control.buf) };
	struct tsd_clock_reading t4;
	struct ntp_packet rep;
	ssize_t n = recvmsg(l->fd, &h, MSG_DONTWAIT);
	int interleaved;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0) {
		measure_set_why(out, "no NTP server at %s: %s", l->name, strerror(errno));
		return -1;
	}
	if (clock_now(l->cs, &t4) < 0) {
		measure_set_why(out, "the local clock refused a reading");
		return -1;
	}
	s->t4_ns = t4.time_ns;
	/* A longer reply arrives truncated (MSG_TRUNC): its header is all we read. */
	if (n < NTP_PACKET_SIZE || !same_address(&from, &l->server) ||
	    wire_decode(buf, (size_t)n, &rep) != 0) {
		out->n_bad++;
		return 0;
	}
	interleaved = interleave_answered(&l->il, req, &rep);
	if (!interleaved && wire_valid_server_reply(&rep, req->transmit) != 0) {
		out->n_bad++;
		return 0;
	}
	kernel_stamps(l, &h, key, s, out);
	return accept_reply(l, &rep, interleaved, s, out);
}

/* Wait for a reply. A transmit stamp on the error queue raises POLLERR:
 * it is read here, so that the next wait sleeps. */
static int wait_readable(struct udp_link *l, int64_t deadline_ns)
{
	int timeout_ms = monotonic_ms_until(deadline_ns);
	struct pollfd p = { .fd = l->fd, .events = POLLIN };
	int n;

	if (timeout_ms == 0)
		return 0;
	n = poll(&p, 1, timeout_ms);
	/* A signal: say "readable"; the read finds nothing and we wait again. */
	if (n < 0 && errno == EINTR)
		return 1;
	if (n > 0 && (p.revents & POLLERR))
		tstamp_drain(l->fd, &l->ts);
	return n;
}

/* One request and its reply: 1 sample, 0 none in time, -1 failure, -2 unsynchronised. */
static int exchange(struct udp_link *l, int64_t wait_until_ns, struct measurement *out)
{
	struct ntp_packet req = { .version = NTP_VERSION, .mode = NTP_MODE_CLIENT };
	struct tsd_sample s = { 0 };
	struct tsd_clock_reading t1;
	uint8_t buf[NTP_PACKET_SIZE];
	uint32_t key;
	int rc = 0;

	if (random_cookie(&req.transmit) < 0) {
		measure_set_why(out, "getrandom: %s", strerror(errno));
		return -1;
	}
	interleave_request(&l->il, &req);
	wire_encode(&req, buf);
	if (clock_now(l->cs, &t1) < 0) {
		measure_set_why(out, "the local clock refused a reading");
		return -1;
	}
	s.t1_ns = t1.time_ns;
	key = tstamp_sent(&l->ts, 1);          /* UDP counts datagrams */
	if (send(l->fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
		measure_set_why(out, "cannot send to %s: %s", l->name, strerror(errno));
		return -1;
	}
	while (rc == 0) {
		int ready = wait_readable(l, wait_until_ns);

		if (ready <= 0)
			return ready;
		rc = read_reply(l, &req, key, &s, out);
	}
	return rc;
}

static int64_t exchange_wait_ns(int samples, double timeout_s)
{
	int64_t share = (int64_t)(timeout_s * 1e9 / samples);

	return share > UDP_MIN_WAIT_NS ? share : UDP_MIN_WAIT_NS;
}

/* The time pacing adds to a measurement of `samples` requests. */
static int64_t pacing_ns(int samples)
{
	return samples > UDP_POLITE_BURST
	       ? (int64_t)(samples - UDP_POLITE_BURST) * UDP_PACED_SPACING_NS : 0;
}

/* When request i (from 0) may go, `sent` after the previous one went. */
static int64_t next_send_ns(int i, int64_t sent)
{
	int64_t next = sent + (i < UDP_POLITE_BURST ? UDP_SPACING_NS : UDP_PACED_SPACING_NS);
	int64_t now = (int64_t)monotonic_now_ns();

	return next > now ? next : now;
}

/* A kiss-o'-death ends the asking (RFC 5905 section 7.4: RATE asks for
 * fewer requests, DENY and RSTR for none) but not what was measured before
 * it; an unsynchronised server's earlier replies are not trusted. */
static int stop_keeps_samples(const struct measurement *out)
{
	return out->kod[0] != '\0' && out->n_samples > 0;
}

static void run_exchanges(struct udp_link *l, int samples, double timeout_s,
                          struct measurement *out)
{
	int64_t wait_ns = exchange_wait_ns(samples, timeout_s), next_send = (int64_t)monotonic_now_ns();

	/* An interleaved reply's sample waits for the next reply: one request
	 * more than samples when the last one was answered interleaved, and
	 * one more for each sample that waited in vain (the server answered
	 * the next request in basic mode), never more than twice the samples. */
	for (int i = 0; next_send < l->deadline_ns && out->n_samples < (size_t)samples &&
	                i <= 2 * samples &&
	                (i < samples + (int)l->il.lost ||
	                 (i == samples + (int)l->il.lost && interleave_waiting(&l->il))); i++) {
		int64_t until;
		int rc;

		sleep_until(next_send);
		until = next_send + wait_ns < l->deadline_ns ? next_send + wait_ns : l->deadline_ns;
		rc = exchange(l, until, out);
		if (rc == -2 && stop_keeps_samples(out))
			break;
		if (rc == -2 || rc < 0) {
			out->status = rc == -2 ? MEASURE_UNSYNCED : MEASURE_UNREACHABLE;
			return;
		}
		next_send = next_send_ns(i + 1, next_send);
	}
	out->status = out->n_samples > 0 ? MEASURE_OK
	            : out->n_bad > 0 ? MEASURE_BAD_REPLY : MEASURE_UNREACHABLE;
}

/* Why there are fewer samples than asked, or none: the reason tsclient
 * shows beside the server. */
static void describe_shortfall(const struct udp_link *l, int samples, double timeout_s,
                               struct measurement *out)
{
	if (out->status == MEASURE_OK && out->n_samples < (size_t)samples && out->kod[0] != '\0')
		measure_set_why(out, "%zu of %d samples (then a kiss-o'-death %s: asking stopped)",
		        out->n_samples, samples, out->kod);
	else if (out->status == MEASURE_OK && out->n_samples < (size_t)samples)
		measure_set_why(out, "%zu of %d samples (%s)", out->n_samples, samples,
		        out->n_bad > 0 ? "invalid replies" : "replies lost or late");
	else if (out->status == MEASURE_BAD_REPLY)
		measure_set_why(out, "%zu invalid %s from %s, none valid", out->n_bad,
		                plural(out->n_bad, "reply", "replies"), l->name);
	else if (out->status == MEASURE_UNREACHABLE && out->why[0] == '\0')
		measure_set_why(out, "no reply from %s within %.3g s", l->name, timeout_s);
}

int measure_server_udp(const struct server_spec *srv, int samples,
                       double timeout_s, struct clock_source *cs,
                       struct measurement *out)
{
	struct udp_link l = { .fd = -1, .cs = cs };

	interleave_reset(&l.il, srv->basic);

	if (samples < 1 || samples > MEASURE_MAX_SAMPLES)
		samples = samples < 1 ? 1 : MEASURE_MAX_SAMPLES;
	/* Bounded both ways so the deadline arithmetic cannot overflow. */
	if (!(timeout_s > 0.001))
		timeout_s = 0.001;
	if (timeout_s > 86400)
		timeout_s = 86400;
	out->server = *srv;
	l.deadline_ns = (int64_t)monotonic_now_ns() + (int64_t)(timeout_s * 1e9) +
	                pacing_ns(samples + 1);
	if (open_link(&l, srv, out) < 0) {
		out->status = MEASURE_UNREACHABLE;
		return -1;
	}
	measure_note_addresses(l.fd, out);
	l.use_kernel = kernel_stamps_usable(cs);
	run_exchanges(&l, samples, timeout_s, out);
	close(l.fd);
	describe_shortfall(&l, samples, timeout_s, out);
	return out->status == MEASURE_OK ? 0 : -1;
}
