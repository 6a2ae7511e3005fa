/* tsclient's measurement of one server over TCP: N native NTP exchanges on
 * one connection, or N text exchanges on N connections. */

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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


/* Reconnections per measurement after the server closed the connection. */
#define MEASURE_MAX_RECONNECTS 3
/* The line a text exchange sends: anything that is not an NTP header. */
#define TEXT_REQUEST "TIME\n"
/* Text replies are whole milliseconds, truncated: the true instant lies in
 * [ms, ms + 1), so its midpoint is used and half of it is the server error. */
#define TEXT_SERVER_ERROR_S 0.0005

/* Everything one exchange needs: the socket, its stamps, the deadline. */
struct link {
	int fd;
	struct tstamp ts;
	int64_t deadline_ns;       /* CLOCK_MONOTONIC */
	struct clock_source *cs;
	int use_kernel;            /* the clock converts kernel (realtime) stamps */
	struct interleave il;
};

static int wait_fd(int fd, short events, int64_t deadline_ns, short *revents)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&p, 1, monotonic_ms_until(deadline_ns));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	*revents = p.revents;
	return 0;
}

int measure_parse_spec(const char *text, int default_port, struct server_spec *out)
{
	const char *host = text, *port = NULL, *colon;
	size_t host_len;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		host = text + 1;
		host_len = (size_t)(close - host);
		port = close[1] == ':' ? close + 2 : NULL;
	} else {
		colon = strchr(text, ':');
		/* Two colons or more: a bare IPv6 address, no port. */
		if (colon != NULL && strchr(colon + 1, ':') == NULL)
			port = colon + 1;
		host_len = port != NULL ? (size_t)(colon - text) : strlen(text);
	}
	if (host_len == 0 || host_len >= sizeof(out->host))
		return -1;
	memcpy(out->host, host, host_len);
	out->port = default_port;
	if (port != NULL) {
		char *end;
		long p;

		errno = 0;
		p = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
			return -1;
		out->port = (int)p;
	}
	return default_port >= 1 && default_port <= 65535 ? 0 : -1;
}

/* Connect one address before the deadline; the socket stays non-blocking. */
static int connect_addr(const struct addrinfo *ai, int64_t deadline_ns)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                ai->ai_protocol);
	int err = 0, one = 1;
	socklen_t len = sizeof(err);
	short rev;

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		err = -wait_fd(fd, POLLOUT, deadline_ns, &rev);
		if (err == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0)
			goto fail;
	}
	/* Each request must leave at once, in its own segment. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	close(fd);
	return -err;
}

int measure_connect_tcp(const struct server_spec *srv, int64_t deadline_ns, char *why,
                        size_t whylen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char port[16];
	int rc, fd = -ETIMEDOUT;

	snprintf(port, sizeof(port), "%d", srv->port);
	rc = getaddrinfo(srv->host, port, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "cannot resolve %.160s: %s", srv->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = connect_addr(ai, deadline_ns);
		if (fd >= 0 || fd == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, whylen, "cannot connect: %s",
		         fd == -ETIMEDOUT ? "no answer within the timeout" : strerror(-fd));
		return -1;
	}
	return fd;
}

static int open_link(struct link *l, const struct server_spec *srv, char *why, size_t whylen)
{
	int fd = measure_connect_tcp(srv, l->deadline_ns, why, whylen);

	if (fd < 0)
		return -1;
	l->fd = fd;
	tstamp_enable(fd, &l->ts);
	return 0;
}

void measure_note_addresses(int fd, struct measurement *out)
{
	socklen_t len = sizeof(out->peer_addr);

	if (getpeername(fd, (struct sockaddr *)&out->peer_addr, &len) != 0)
		out->peer_addr.ss_family = AF_UNSPEC;
	len = sizeof(out->local_addr);
	if (getsockname(fd, (struct sockaddr *)&out->local_addr, &len) != 0)
		out->local_addr.ss_family = AF_UNSPEC;
}

static void close_link(struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void measure_set_why(struct measurement *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

static int fail_why(struct measurement *out, const char *why)
{
	snprintf(out->why, sizeof(out->why), "%s", why);
	return -1;
}

/* Why a connection failed, with how far it got. */
static int io_failure(struct measurement *out, int err)
{
	if (err == ETIMEDOUT)
		snprintf(out->why, sizeof(out->why), "no reply within the timeout");
	else if (err == ECONNRESET)
		snprintf(out->why, sizeof(out->why), "connection closed by the server");
	else
		snprintf(out->why, sizeof(out->why), "%s", strerror(err));
	return -1;
}

static int bad_reply(struct measurement *out)
{
	out->n_bad++;
	return 0;
}

/* Read our clock; a refused reading ends the measurement. */
static int read_clock(struct link *l, tsd_time_ns *out)
{
	struct tsd_clock_reading r;

	if (clock_now(l->cs, &r) < 0)
		return -1;
	*out = r.time_ns;
	return 0;
}

static int send_all(struct link *l, const void *buf, size_t len)
{
	const char *p = buf;
	short rev;

	while (len > 0) {
		ssize_t n = send(l->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (wait_fd(l->fd, POLLOUT, l->deadline_ns, &rev) < 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Read until `want` bytes, or (text) a newline or the end of the stream.
 * A pending transmit stamp raises POLLERR; it is drained, not an error. */
static ssize_t recv_reply(struct link *l, char *buf, size_t want, int text)
{
	size_t got = 0;
	short rev;

	while (got < want) {
		ssize_t n = tstamp_recv(l->fd, buf + got, want - got, &l->ts);

		if (n > 0) {
			got += (size_t)n;
			if (text && memchr(buf, '\n', got) != NULL)
				break;
			continue;
		}
		if (n == 0)
			return text ? (ssize_t)got : -ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (wait_fd(l->fd, POLLIN, l->deadline_ns, &rev) < 0)
			return -ETIMEDOUT;
		if ((rev & POLLERR) && !(rev & POLLIN))
			tstamp_drain(l->fd, &l->ts);
	}
	return (ssize_t)got;
}

/* Replace T1 and T4 with the kernel's stamps where the socket gave them and
 * they fall inside what user space saw around the calls. */
static void use_kernel_stamps(struct link *l, uint32_t key, struct tsd_sample *s,
                              struct measurement *out)
{
	tsd_time_ns rt, t1 = s->t1_ns, t4 = s->t4_ns;

	if (!l->use_kernel)
		return;
	tstamp_drain(l->fd, &l->ts);
	if (tstamp_tx(&l->ts, key, &rt) == 0 && clock_from_realtime(l->cs, rt, &t1) == 0 &&
	    t1 >= s->t1_ns && t1 <= s->t4_ns) {
		s->t1_ns = t1;
		out->n_kernel_tx++;
	}
	if (l->ts.have_rx && clock_from_realtime(l->cs, l->ts.rx_rt_ns, &t4) == 0 &&
	    t4 >= s->t1_ns && t4 <= s->t4_ns) {
		s->t4_ns = t4;
		out->n_kernel_rx++;
	}
	l->ts.have_rx = 0;
}

/* The request of one exchange: the cookie in transmit, and the last reply
 * named for interleaved mode (interleave.h). */
static void make_request(const struct interleave *il, ntp_ts cookie, uint8_t buf[NTP_PACKET_SIZE],
                         struct ntp_packet *req)
{
	memset(req, 0, sizeof(*req));
	req->version = NTP_VERSION;
	req->mode = NTP_MODE_CLIENT;
	req->transmit = cookie;
	interleave_request(il, req);
	wire_encode(req, buf);
}

/* One native exchange. 1: a reply was taken; 0: a bad reply was counted;
 * -1: the connection failed (why is set); -2: the server is unsynchronised;
 * -3: the server closed the connection (why is set). */
static int native_exchange(struct link *l, struct measurement *out)
{
	struct ntp_packet req, rep;
	uint8_t buf[NTP_PACKET_SIZE];
	struct tsd_sample s = { 0 };
	uint32_t key;
	ssize_t n;
	ntp_ts cookie;
	int interleaved;

	if (read_clock(l, &s.t1_ns) < 0)
		return fail_why(out, "the local clock refused a reading");
	cookie = wire_ns_to_ntp(s.t1_ns);
	make_request(&l->il, cookie, buf, &req);
	key = tstamp_sent(&l->ts, sizeof(buf));
	n = send_all(l, buf, sizeof(buf));
	if (n == 0)
		n = recv_reply(l, (char *)buf, sizeof(buf), 0);
	if (n < 0) {
		io_failure(out, (int)-n);
		return n == -ECONNRESET || n == -EPIPE ? -3 : -1;
	}
	if (read_clock(l, &s.t4_ns) < 0)
		return fail_why(out, "the local clock refused a reading");
	if (wire_decode(buf, sizeof(buf), &rep) < 0)
		return bad_reply(out);
	interleaved = interleave_answered(&l->il, &req, &rep);
	if (!interleaved && wire_valid_server_reply(&rep, cookie) < 0)
		return bad_reply(out);
	if (reply_check_synced(&rep, out) < 0)
		return -2;
	if (reply_take_sample(&rep, &s, out, interleaved) < 0)
		return bad_reply(out);
	use_kernel_stamps(l, key, &s, out);
	/* The next request names this reply by our receive time of it. */
	interleave_take(&l->il, &rep, interleaved, &s, wire_ns_to_ntp(s.t4_ns), out);
	return 1;
}

/* A server that closes a connection it has answered on (a reload of tsd
 * closes idle and finished connections) is asked again on a new one, a few
 * times per measurement, within the same deadline. 0: reconnected. */
static int reconnect(struct link *l, const struct server_spec *srv, struct measurement *out,
                     int *reconnects)
{
	if (out->n_samples + out->n_bad == 0 || *reconnects >= MEASURE_MAX_RECONNECTS)
		return -1;
	(*reconnects)++;
	close_link(l);
	if (open_link(l, srv, out->why, sizeof(out->why)) < 0)
		return -1;
	/* Interleaving names a reply of the connection that is gone. */
	interleave_reset(&l->il, srv->basic);
	out->why[0] = '\0';
	return 0;
}

static void measure_native(struct link *l, const struct server_spec *srv, int samples,
                           struct measurement *out)
{
	int rc = 0, reconnects = 0;

	if (open_link(l, srv, out->why, sizeof(out->why)) == 0)
		measure_note_addresses(l->fd, out);
	if (l->fd < 0) {
		out->status = MEASURE_UNREACHABLE;
		return;
	}
	interleave_reset(&l->il, srv->basic);
	/* An interleaved sample waits for the next reply: one exchange more,
	 * and a bounded number whatever the server answers. */
	for (int ex = 0; ex <= 2 * samples && out->n_samples + out->n_bad < (size_t)samples; ex++) {
		rc = native_exchange(l, out);
		if (rc == -3 && reconnect(l, srv, out, &reconnects) == 0)
			continue;
		if (rc < 0)
			break;
	}
	close_link(l);
	if (rc == -2)
		out->status = MEASURE_UNSYNCED;
	else if (out->n_samples > 0)
		out->status = MEASURE_OK;
	else if (out->n_bad > 0)
		out->status = MEASURE_BAD_REPLY;
	else
		out->status = MEASURE_UNREACHABLE;
	if (out->status == MEASURE_BAD_REPLY)
		snprintf(out->why, sizeof(out->why), "%zu invalid %s, none valid", out->n_bad,
		         plural(out->n_bad, "reply", "replies"));
}

/* One text exchange on its own connection: 1 sample, 0 bad reply, -1 failure. */
static int text_exchange(struct link *l, const struct server_spec *srv,
                         struct measurement *out)
{
	char buf[WIRE_TEXT_REPLY_MAX];
	struct tsd_sample s = { .server_error_s = TEXT_SERVER_ERROR_S };
	int64_t t2_ms, t3_ms;
	uint32_t key;
	ssize_t n;

	if (open_link(l, srv, out->why, sizeof(out->why)) < 0)
		return -1;
	measure_note_addresses(l->fd, out);
	if (read_clock(l, &s.t1_ns) < 0)
		goto fail;
	key = tstamp_sent(&l->ts, strlen(TEXT_REQUEST));
	n = send_all(l, TEXT_REQUEST, strlen(TEXT_REQUEST));
	if (n == 0)
		n = recv_reply(l, buf, sizeof(buf) - 1, 1);
	if (n < 0) {
		io_failure(out, (int)-n);
		goto fail;
	}
	if (read_clock(l, &s.t4_ns) < 0) {
		fail_why(out, "the local clock refused a reading");
		goto fail;
	}
	/* Times more than 68 years from ours are refused, as on the NTP path:
	 * the offset's sums would overflow. */
	if (wire_parse_text_reply(buf, (size_t)n, &t2_ms, &t3_ms) < 0 || t3_ms < t2_ms ||
	    t2_ms < 0 || wire_text_ms_to_ns(t2_ms, s.t1_ns, &s.t2_ns) < 0 ||
	    wire_text_ms_to_ns(t3_ms, s.t1_ns, &s.t3_ns) < 0) {
		close_link(l);
		return bad_reply(out);
	}
	use_kernel_stamps(l, key, &s, out);
	close_link(l);
	out->samples[out->n_samples++] = s;
	return 1;
fail:
	close_link(l);
	return -1;
}

static void measure_text(struct link *l, const struct server_spec *srv, int samples,
                         struct measurement *out)
{
	while (out->n_samples + out->n_bad < (size_t)samples)
		if (text_exchange(l, srv, out) < 0)
			break;
	if (out->n_samples > 0) {
		out->status = MEASURE_OK;
	} else if (out->n_bad > 0) {
		out->status = MEASURE_BAD_REPLY;
		snprintf(out->why, sizeof(out->why), "%zu malformed text %s", out->n_bad,
		         plural(out->n_bad, "reply", "replies"));
	} else {
		out->status = MEASURE_UNREACHABLE;
	}
}

int measure_server(const struct server_spec *srv, enum measure_proto proto,
                   int samples, double timeout_s, struct clock_source *cs,
                   struct measurement *out)
{
	struct link l = { .fd = -1, .cs = cs };
	struct timespec rt;
	tsd_time_ns probe;

	memset(out, 0, sizeof(*out));
	out->server = *srv;
	if (samples < 1 || samples > MEASURE_MAX_SAMPLES)
		samples = samples < 1 ? 1 : MEASURE_MAX_SAMPLES;
	if (proto == PROTO_UDP)
		return measure_server_udp(srv, samples, timeout_s, cs, out);
	l.deadline_ns = (int64_t)monotonic_now_ns() + (int64_t)(timeout_s * 1e9);
	clock_gettime(CLOCK_REALTIME, &rt);
	l.use_kernel = clock_from_realtime(cs, (tsd_time_ns)rt.tv_sec * 1000000000 + rt.tv_nsec,
	                                   &probe) == 0;
	if (proto == PROTO_TEXT)
		measure_text(&l, srv, samples, out);
	else
		measure_native(&l, srv, samples, out);
	if (out->status == MEASURE_OK && out->n_samples < (size_t)samples)
		snprintf(out->why + strlen(out->why), sizeof(out->why) - strlen(out->why),
		         "%s%zu of %d samples", out->why[0] ? ": " : "", out->n_samples, samples);
	return out->status == MEASURE_OK ? 0 : -1;
}
