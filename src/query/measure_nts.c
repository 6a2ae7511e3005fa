/* The measurement of one server over NTS: a key exchange when the session
 * has no cookie left, then NTP over UDP or over tsd's TCP protocol (in
 * extended frames) where only authenticated replies to our own requests
 * count. */

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/plural.h"
#include "common/monotonic.h"
#include "common/nts_ef.h"
#include "common/wire.h"
#include "query/measure.h"
#include "query/nts_client.h"
#include "query/reply.h"

/* Servers limit per-client rates (chronyd too): space the requests. */
#define NTS_SPACING_NS 2000000LL

/* What read_reply and exchange return besides a sample (1). */
enum { X_WAIT = 0, X_FAIL = -1, X_UNSYNCED = -2, X_NAK = -3, X_RESET = -4 };

struct nts_link {
	int fd;
	int tcp;
	struct clock_source *cs;
	struct nts_client *client;
	struct server_spec ntp;         /* where the NTP requests go */
	int64_t deadline_ns;
	char name[300];
};

static int open_udp(struct nts_link *l, struct measurement *out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res, *ai;
	char port[16];
	int rc;

	snprintf(port, sizeof(port), "%d", l->ntp.port);
	rc = getaddrinfo(l->ntp.host, port, &hints, &res);
	if (rc != 0) {
		measure_set_why(out, "cannot resolve %s: %s", l->ntp.host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && l->fd < 0; ai = ai->ai_next) {
		l->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		/* Connected: only the server's datagrams come up. */
		if (l->fd >= 0 && connect(l->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(l->fd);
			l->fd = -1;
		}
	}
	freeaddrinfo(res);
	if (l->fd < 0) {
		measure_set_why(out, "cannot open a UDP socket to %s", l->name);
		return -1;
	}
	return 0;
}

static int open_link(struct nts_link *l, struct measurement *out)
{
	char why[200];

	if (!l->tcp)
		return open_udp(l, out);
	l->fd = measure_connect_tcp(&l->ntp, l->deadline_ns, why, sizeof(why));
	if (l->fd < 0)
		measure_set_why(out, "%s: %s", l->name, why);
	return l->fd < 0 ? -1 : 0;
}

static void close_link(struct nts_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* The whole buffer, or -1 (the deadline passed, or the connection failed). */
static int send_all(struct nts_link *l, const uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = l->fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		n = send(l->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		} else if (poll(&p, 1, monotonic_ms_until(l->deadline_ns)) != 1) {
			return -1;
		}
	}
	return 0;
}

static int send_request(struct nts_link *l, ntp_ts *transmit, uint8_t uid[NTS_UID_SIZE],
                        struct tsd_sample *s, struct measurement *out)
{
	struct ntp_packet req = { .version = NTP_VERSION, .mode = NTP_MODE_CLIENT };
	struct tsd_clock_reading t1;
	uint8_t header[NTP_PACKET_SIZE], buf[WIRE_EXT_HEADER + NTS_PACKET_MAX];
	uint8_t *pkt = buf + WIRE_EXT_HEADER;
	int len;

	/* The transmit field is random: the server's clock is not revealed to
	 * an observer, and the origin check still ties the reply to us. */
	if (nts_random(&req.transmit, sizeof(req.transmit)) != 0)
		return -1;
	*transmit = req.transmit;
	wire_encode(&req, header);
	len = nts_client_request(l->client, header, uid, pkt,
	                         l->tcp ? WIRE_EXT_PACKET_MAX : NTS_PACKET_MAX);
	if (len < 0) {
		measure_set_why(out, "no NTS cookie left for %s", l->name);
		return -1;
	}
	if (l->tcp) {
		wire_ext_put_header(buf, (size_t)len);
		pkt = buf;
		len += WIRE_EXT_HEADER;
	}
	if (clock_now(l->cs, &t1) < 0)
		return -1;
	s->t1_ns = t1.time_ns;
	if (send_all(l, pkt, (size_t)len) != 0) {
		measure_set_why(out, "cannot send to %s: %s", l->name, strerror(errno));
		return -1;
	}
	return 0;
}

/* Exactly len bytes from the stream before until_ns; -1 otherwise. */
static int read_exact(struct nts_link *l, uint8_t *buf, size_t len, int64_t until_ns)
{
	struct pollfd p = { .fd = l->fd, .events = POLLIN };
	ssize_t n;

	while (len > 0) {
		n = recv(l->fd, buf, len, MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			return -1;
		} else if (monotonic_ms_until(until_ns) == 0 || poll(&p, 1, monotonic_ms_until(until_ns)) < 1) {
			return -1;
		}
	}
	return 0;
}

/* One reply from the stream: a frame's packet, or a plain 48-byte reply
 * (the server did not take the request as NTS). Its length, or -1. */
static ssize_t recv_tcp(struct nts_link *l, uint8_t *pkt, int64_t until_ns, int *plain)
{
	uint8_t head[WIRE_EXT_HEADER];
	size_t len;

	if (read_exact(l, head, sizeof(head), until_ns) != 0)
		return -1;
	*plain = head[0] != WIRE_EXT_MARK;
	if (*plain) {
		memcpy(pkt, head, sizeof(head));
		len = NTP_PACKET_SIZE - sizeof(head);
		return read_exact(l, pkt + sizeof(head), len, until_ns) != 0 ? -1 : NTP_PACKET_SIZE;
	}
	if (wire_ext_frame(head, sizeof(head), &len) != 1)
		return -1;
	return read_exact(l, pkt, len, until_ns) != 0 ? -1 : (ssize_t)len;
}

/* One datagram or frame: 1 a sample; X_WAIT not ours (UDP: keep waiting);
 * X_RESET a TCP reply not taken (the stream is reopened); X_FAIL; X_NAK;
 * X_UNSYNCED. */
static int read_reply(struct nts_link *l, ntp_ts transmit, const uint8_t uid[NTS_UID_SIZE],
                      int64_t until_ns, struct tsd_sample *s, struct measurement *out)
{
	uint8_t pkt[NTS_PACKET_MAX];
	struct tsd_clock_reading t4;
	struct ntp_packet rep;
	enum nts_response_status st;
	int plain = 0, refused = l->tcp ? X_RESET : X_WAIT;
	ssize_t n = l->tcp ? recv_tcp(l, pkt, until_ns, &plain)
	                   : recv(l->fd, pkt, sizeof(pkt), MSG_DONTWAIT);

	if (!l->tcp && n < 0 && (errno == EAGAIN || errno == EINTR))
		return X_WAIT;
	if (n < 0) {
		measure_set_why(out, "no NTS reply from %s%s%s", l->name, l->tcp ? "" : ": ",
		                l->tcp ? "" : strerror(errno));
		return l->tcp ? X_RESET : X_FAIL;
	}
	if (clock_now(l->cs, &t4) < 0)
		return X_FAIL;
	s->t4_ns = t4.time_ns;
	if (wire_decode(pkt, (size_t)n, &rep) != 0 || wire_valid_server_reply(&rep, transmit) != 0) {
		out->n_bad++;
		return refused;
	}
	st = plain ? NTS_RESPONSE_BAD : nts_client_response(l->client, uid, pkt, (size_t)n);
	if (st == NTS_RESPONSE_NAK) {
		measure_set_why(out, "%s sent an NTS NAK: it cannot open our cookie", l->name);
		return X_NAK;
	}
	if (st != NTS_RESPONSE_OK) {
		out->n_bad++;            /* forged, replayed or tampered: not ours */
		return refused;
	}
	if (reply_check_synced(&rep, out) < 0)
		return X_UNSYNCED;
	if (s->t4_ns < s->t1_ns || reply_take_sample(&rep, s, out, 0) < 0) {
		out->n_bad++;
		return refused;
	}
	out->samples[out->n_samples++] = *s;
	return 1;
}

static int exchange(struct nts_link *l, int64_t until_ns, struct measurement *out)
{
	uint8_t uid[NTS_UID_SIZE];
	struct tsd_sample s = { 0 };
	struct pollfd p;
	ntp_ts transmit;
	int rc = X_WAIT, ms;

	if (l->fd < 0 && open_link(l, out) != 0)
		return X_FAIL;
	p = (struct pollfd){ .fd = l->fd, .events = POLLIN };
	if (send_request(l, &transmit, uid, &s, out) != 0)
		return l->tcp ? X_RESET : X_FAIL;
	while (rc == X_WAIT) {
		ms = monotonic_ms_until(until_ns);
		if (ms == 0 || poll(&p, 1, ms) == 0)
			return l->tcp ? X_RESET : X_WAIT;
		rc = read_reply(l, transmit, uid, until_ns, &s, out);
	}
	return rc;
}

/* A TCP stream whose last reply was not taken is closed: whatever is
 * still in it can no longer be matched to a request. 1 when the server
 * sent an NTS NAK. */
static int run_exchanges(struct nts_link *l, int samples, double timeout_s,
                         struct measurement *out)
{
	int64_t wait_ns = (int64_t)(timeout_s * 1e9 / samples), now, until;
	int i, rc;

	if (wait_ns < 250000000LL)
		wait_ns = 250000000LL;
	for (i = 0; i < samples; i++) {
		now = (int64_t)monotonic_now_ns();
		if (now >= l->deadline_ns || l->client->n_cookies == 0)
			break;
		until = now + wait_ns < l->deadline_ns ? now + wait_ns : l->deadline_ns;
		rc = exchange(l, until, out);
		if (rc == X_RESET)
			close_link(l);
		if (rc == X_UNSYNCED || rc == X_NAK || rc == X_FAIL) {
			out->status = rc == X_FAIL ? MEASURE_UNREACHABLE : MEASURE_UNSYNCED;
			return rc == X_NAK;
		}
		if (i + 1 < samples) {
			struct timespec gap = { 0, NTS_SPACING_NS };

			nanosleep(&gap, NULL);
		}
	}
	out->status = out->n_samples > 0 ? MEASURE_OK
	            : out->n_bad > 0 ? MEASURE_BAD_REPLY : MEASURE_UNREACHABLE;
	return 0;
}

static void describe_shortfall(const struct nts_link *l, int samples, double timeout_s,
                               struct measurement *out)
{
	if (out->status == MEASURE_OK && out->n_samples < (size_t)samples)
		measure_set_why(out, "%zu of %d samples (%s)", out->n_samples, samples,
		                out->n_bad > 0 ? "replies not authentic" : "replies lost or late");
	else if (out->status == MEASURE_BAD_REPLY)
		measure_set_why(out, "%zu %s from %s failed NTS authentication, none passed",
		                out->n_bad, plural(out->n_bad, "reply", "replies"), l->name);
	else if (out->status == MEASURE_UNREACHABLE && out->why[0] == '\0')
		measure_set_why(out, "no authenticated reply from %s within %.3g s", l->name, timeout_s);
}

/* A key exchange for the session (asking for TCP when it is wanted). */
static int key_exchange(const struct server_spec *srv, const struct nts_options *opt,
                        struct nts_session *sess, int64_t deadline_ns, struct measurement *out)
{
	sess->keyed = 0;
	sess->key_exchanges++;
	if (nts_client_key_exchange(srv, opt->ca_file, deadline_ns, opt->tcp, &sess->client,
	                            out->why, sizeof(out->why)) != 0)
		return -1;
	if (opt->tcp && sess->client.tcp_port == 0) {
		measure_set_why(out, "the NTS-KE server %s offers no NTS over TCP", srv->host);
		return -1;
	}
	sess->keyed = 1;
	return 0;
}

static void link_to(struct nts_link *l, const struct nts_options *opt, struct nts_session *sess)
{
	l->tcp = opt->tcp;
	l->client = &sess->client;
	l->ntp = sess->client.ntp;
	if (opt->tcp)
		l->ntp.port = sess->client.tcp_port;
	reply_server_name(&l->ntp, l->name, sizeof(l->name));
}

/* Exchanges with the session's server; a NAK to cookies of an earlier key
 * exchange (the server's keys rotated out, or it restarted) makes one new
 * key exchange and goes on. */
static void measure_session(const struct server_spec *srv, const struct nts_options *opt,
                            struct nts_session *sess, struct nts_link *l, int samples,
                            double timeout_s, struct measurement *out)
{
	int fresh = 0, nak;

	for (;;) {
		if (!sess->keyed || sess->client.n_cookies == 0) {
			if (key_exchange(srv, opt, sess, l->deadline_ns, out) != 0)
				return;
			fresh = 1;
		}
		link_to(l, opt, sess);
		out->nts_ntp = l->ntp;
		out->nts_tcp = l->tcp;
		if (open_link(l, out) != 0)
			return;
		/* The NTP server's address, as the other protocols give it (the
		 * sync engine's loop test and reference ID). */
		measure_note_addresses(l->fd, out);
		nak = run_exchanges(l, samples - (int)out->n_samples, timeout_s, out);
		close_link(l);
		if (nak) {
			sess->naks++;
			sess->keyed = 0;
		}
		if (!nak || fresh)
			return;
		out->why[0] = '\0';
	}
}

int measure_server_nts(const struct server_spec *srv, const struct nts_options *opt,
                       struct nts_session *sess, int samples, double timeout_s,
                       struct clock_source *cs, struct measurement *out)
{
	static struct nts_session once;
	struct nts_link l = { .fd = -1, .cs = cs };

	if (samples < 1 || samples > MEASURE_MAX_SAMPLES)
		samples = samples < 1 ? 1 : MEASURE_MAX_SAMPLES;
	if (!(timeout_s > 0.001) || timeout_s > 86400)
		timeout_s = timeout_s > 86400 ? 86400 : 0.001;
	if (sess == NULL) {
		memset(&once, 0, sizeof(once));
		sess = &once;
	}
	/* A fresh measurement, as measure_server makes: the sync engine hands
	 * the same one in at every poll. */
	memset(out, 0, sizeof(*out));
	out->server = *srv;
	out->status = MEASURE_UNREACHABLE;
	l.deadline_ns = (int64_t)monotonic_now_ns() + (int64_t)(timeout_s * 1e9);
	measure_session(srv, opt, sess, &l, samples, timeout_s, out);
	if (sess == &once)
		explicit_bzero(&once, sizeof(once));
	if (out->status == MEASURE_OK)
		out->authenticated_aead = NTS_AEAD_ID;
	describe_shortfall(&l, samples, timeout_s, out);
	return out->status == MEASURE_OK ? 0 : -1;
}
