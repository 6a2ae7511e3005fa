/* tsclient's measurement of one server over NTS: a key exchange, then NTP
 * over UDP where only authenticated replies to our own requests count. */

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

struct nts_link {
	int fd;
	struct clock_source *cs;
	struct nts_client client;
	int64_t deadline_ns;
	char name[300];
};

static int open_udp(struct nts_link *l, struct measurement *out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res, *ai;
	char port[16];
	int rc;

	snprintf(port, sizeof(port), "%d", l->client.ntp.port);
	reply_server_name(&l->client.ntp, l->name, sizeof(l->name));
	rc = getaddrinfo(l->client.ntp.host, port, &hints, &res);
	if (rc != 0) {
		measure_set_why(out, "cannot resolve %s: %s", l->client.ntp.host, gai_strerror(rc));
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

static int send_request(struct nts_link *l, ntp_ts *transmit, uint8_t uid[NTS_UID_SIZE],
                        struct tsd_sample *s, struct measurement *out)
{
	struct ntp_packet req = { .version = NTP_VERSION, .mode = NTP_MODE_CLIENT };
	struct tsd_clock_reading t1;
	uint8_t header[NTP_PACKET_SIZE], pkt[NTS_PACKET_MAX];
	int len;

	/* The transmit field is random: the server's clock is not revealed to
	 * an observer, and the origin check still ties the reply to us. */
	if (nts_random(&req.transmit, sizeof(req.transmit)) != 0)
		return -1;
	*transmit = req.transmit;
	wire_encode(&req, header);
	len = nts_client_request(&l->client, header, uid, pkt, sizeof(pkt));
	if (len < 0) {
		measure_set_why(out, "no NTS cookie left for %s", l->name);
		return -1;
	}
	if (clock_now(l->cs, &t1) < 0)
		return -1;
	s->t1_ns = t1.time_ns;
	if (send(l->fd, pkt, (size_t)len, 0) != len) {
		measure_set_why(out, "cannot send to %s: %s", l->name, strerror(errno));
		return -1;
	}
	return 0;
}

/* One datagram: 1 a sample, 0 not ours or not authentic (keep waiting),
 * -1 failure, -2 the server cannot serve (unsynchronised, or an NTS NAK). */
static int read_reply(struct nts_link *l, ntp_ts transmit, const uint8_t uid[NTS_UID_SIZE],
                      struct tsd_sample *s, struct measurement *out)
{
	uint8_t pkt[NTS_PACKET_MAX];
	struct tsd_clock_reading t4;
	struct ntp_packet rep;
	enum nts_response_status st;
	ssize_t n = recv(l->fd, pkt, sizeof(pkt), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0) {
		measure_set_why(out, "no NTP server at %s: %s", l->name, strerror(errno));
		return -1;
	}
	if (clock_now(l->cs, &t4) < 0)
		return -1;
	s->t4_ns = t4.time_ns;
	if (wire_decode(pkt, (size_t)n, &rep) != 0 || wire_valid_server_reply(&rep, transmit) != 0) {
		out->n_bad++;
		return 0;
	}
	st = nts_client_response(&l->client, uid, pkt, (size_t)n);
	if (st == NTS_RESPONSE_NAK) {
		measure_set_why(out, "%s sent an NTS NAK: it cannot open our cookie", l->name);
		return -2;
	}
	if (st != NTS_RESPONSE_OK) {
		out->n_bad++;            /* forged, replayed or tampered: not ours */
		return 0;
	}
	if (reply_check_synced(&rep, out) < 0)
		return -2;
	if (s->t4_ns < s->t1_ns || reply_take_sample(&rep, s, out, 0) < 0) {
		out->n_bad++;
		return 0;
	}
	out->samples[out->n_samples++] = *s;
	return 1;
}

static int exchange(struct nts_link *l, int64_t until_ns, struct measurement *out)
{
	uint8_t uid[NTS_UID_SIZE];
	struct tsd_sample s = { 0 };
	struct pollfd p = { .fd = l->fd, .events = POLLIN };
	ntp_ts transmit;
	int rc = 0, ms;

	if (send_request(l, &transmit, uid, &s, out) != 0)
		return -1;
	while (rc == 0) {
		ms = monotonic_ms_until(until_ns);
		if (ms == 0 || poll(&p, 1, ms) == 0)
			return 0;
		rc = read_reply(l, transmit, uid, &s, out);
	}
	return rc;
}

static void run_exchanges(struct nts_link *l, int samples, double timeout_s,
                          struct measurement *out)
{
	int64_t wait_ns = (int64_t)(timeout_s * 1e9 / samples), now, until;
	int i, rc;

	if (wait_ns < 250000000LL)
		wait_ns = 250000000LL;
	for (i = 0; i < samples; i++) {
		now = (int64_t)monotonic_now_ns();
		if (now >= l->deadline_ns)
			break;
		until = now + wait_ns < l->deadline_ns ? now + wait_ns : l->deadline_ns;
		rc = exchange(l, until, out);
		if (rc == -2 || rc == -1) {
			out->status = rc == -2 ? MEASURE_UNSYNCED : MEASURE_UNREACHABLE;
			return;
		}
		if (i + 1 < samples) {
			struct timespec gap = { 0, NTS_SPACING_NS };

			nanosleep(&gap, NULL);
		}
	}
	out->status = out->n_samples > 0 ? MEASURE_OK
	            : out->n_bad > 0 ? MEASURE_BAD_REPLY : MEASURE_UNREACHABLE;
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

int measure_server_nts(const struct server_spec *srv, const char *ca_file, int samples,
                       double timeout_s, struct clock_source *cs, struct measurement *out)
{
	static struct nts_link l;

	if (samples < 1 || samples > MEASURE_MAX_SAMPLES)
		samples = samples < 1 ? 1 : MEASURE_MAX_SAMPLES;
	if (!(timeout_s > 0.001) || timeout_s > 86400)
		timeout_s = timeout_s > 86400 ? 86400 : 0.001;
	memset(&l, 0, sizeof(l));
	l.fd = -1;
	l.cs = cs;
	/* A fresh measurement, as measure_server makes: the sync engine hands
	 * the same one in at every poll. */
	memset(out, 0, sizeof(*out));
	out->server = *srv;
	out->status = MEASURE_UNREACHABLE;
	l.deadline_ns = (int64_t)monotonic_now_ns() + (int64_t)(timeout_s * 1e9);
	if (nts_client_key_exchange(srv, ca_file, l.deadline_ns, &l.client, out->why,
	                            sizeof(out->why)) != 0)
		return -1;
	out->nts_ntp = l.client.ntp;
	if (open_udp(&l, out) != 0)
		return -1;
	/* The NTP server's address, as the other protocols give it (the sync
	 * engine's loop test and reference ID). */
	measure_note_addresses(l.fd, out);
	run_exchanges(&l, samples, timeout_s, out);
	close(l.fd);
	explicit_bzero(&l.client, sizeof(l.client));
	if (out->status == MEASURE_OK)
		out->authenticated_aead = NTS_AEAD_ID;
	describe_shortfall(&l, samples, timeout_s, out);
	return out->status == MEASURE_OK ? 0 : -1;
}
