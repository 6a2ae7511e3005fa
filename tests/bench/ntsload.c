/* NTS load for nts_vs_chronyd (RFC 8915 on both sides, through the query
 * library's client):
 *   ntsload ke  HOST PORT CAFILE THREADS SECONDS
 *       key exchanges back to back in THREADS threads, each read until the
 *       server closes (as chronyd's client does): sessions per second and
 *       the mean session time (connect to the server's close);
 *   ntsload ntp HOST PORT CAFILE WINDOW SECONDS
 *       one key exchange, then NTS-protected NTP with WINDOW requests in
 *       flight, every reply checked (identifier, authenticator) and its
 *       cookie kept: authenticated replies per second.
 * One line of JSON on stdout. */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netdb.h>
#include <time.h>
#include <unistd.h>

#include "common/monotonic.h"
#include "common/nts_aead.h"
#include "common/wire.h"
#include "query/nts_client.h"

#define MAX_THREADS 64
#define MAX_WINDOW 64

struct ke_thread {
	pthread_t id;
	struct server_spec srv;
	const char *ca;
	int64_t end_ns;
	long sessions, failures;
	double busy_s;
};

static void *ke_loop(void *arg)
{
	struct ke_thread *t = arg;
	struct nts_client c;
	char why[256];

	while ((int64_t)monotonic_now_ns() < t->end_ns) {
		int64_t start = (int64_t)monotonic_now_ns();

		if (nts_client_key_exchange_ex(&t->srv, t->ca, start + 5000000000LL, 0, 1, &c, why,
		                               sizeof(why)) == 0)
			t->sessions++;
		else if (t->failures++ == 0)
			fprintf(stderr, "ntsload: %s\n", why);
		t->busy_s += (double)((int64_t)monotonic_now_ns() - start) / 1e9;
	}
	return NULL;
}

static int run_ke(const struct server_spec *srv, const char *ca, int threads, double seconds)
{
	static struct ke_thread t[MAX_THREADS];
	int64_t start = (int64_t)monotonic_now_ns();
	long sessions = 0, failures = 0;
	double busy = 0, elapsed;
	int i;

	for (i = 0; i < threads; i++) {
		t[i] = (struct ke_thread){ .srv = *srv, .ca = ca,
		                           .end_ns = start + (int64_t)(seconds * 1e9) };
		pthread_create(&t[i].id, NULL, ke_loop, &t[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i].id, NULL);
		sessions += t[i].sessions;
		failures += t[i].failures;
		busy += t[i].busy_s;
	}
	elapsed = (double)((int64_t)monotonic_now_ns() - start) / 1e9;
	printf("{\"mode\": \"ke\", \"threads\": %d, \"sessions\": %ld, \"failures\": %ld, "
	       "\"seconds\": %.3f, \"per_second\": %.1f, \"mean_session_ms\": %.3f}\n",
	       threads, sessions, failures, elapsed, sessions / elapsed,
	       sessions > 0 ? busy / (double)(sessions + failures) * 1e3 : 0.0);
	return failures > sessions ? 1 : 0;
}

struct inflight {
	int busy;
	ntp_ts transmit;
	uint8_t uid[NTS_UID_SIZE];
};

static int open_udp(const struct server_spec *s)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *res;
	char port[16];
	int fd;

	snprintf(port, sizeof(port), "%d", s->port);
	if (getaddrinfo(s->host, port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int send_one(int fd, struct nts_client *c, struct inflight *f)
{
	struct ntp_packet req = { .version = NTP_VERSION, .mode = NTP_MODE_CLIENT };
	uint8_t header[NTP_PACKET_SIZE], pkt[NTS_PACKET_MAX];
	int len;

	nts_random(&req.transmit, sizeof(req.transmit));
	wire_encode(&req, header);
	len = nts_client_request(c, header, f->uid, pkt, sizeof(pkt));
	if (len < 0 || send(fd, pkt, (size_t)len, 0) != len)
		return -1;
	f->transmit = req.transmit;
	f->busy = 1;
	return 0;
}

/* A reply for one of the slots: which (or -1). Verified and its cookie kept. */
static int take_reply(struct nts_client *c, struct inflight *slots, int window,
                      const uint8_t *pkt, size_t len)
{
	struct ntp_packet rep;
	int i;

	if (wire_decode(pkt, len, &rep) != 0)
		return -1;
	for (i = 0; i < window; i++)
		if (slots[i].busy && slots[i].transmit == rep.origin)
			break;
	if (i == window || nts_client_response(c, slots[i].uid, pkt, len) != NTS_RESPONSE_OK)
		return -1;
	slots[i].busy = 0;
	return i;
}

static int run_ntp(const struct server_spec *ke, const char *ca, int window, double seconds)
{
	static struct inflight slots[MAX_WINDOW];
	static struct nts_client c;
	uint8_t pkt[NTS_PACKET_MAX];
	int64_t start, end, last_progress;
	long replies = 0, bad = 0, lost = 0;
	char why[256];
	int fd, i;

	if (nts_client_key_exchange(ke, ca, (int64_t)monotonic_now_ns() + 5000000000LL, 0, &c, why,
	                            sizeof(why)) != 0) {
		fprintf(stderr, "ntsload: %s\n", why);
		return 1;
	}
	fd = open_udp(&c.ntp);
	if (fd < 0)
		return 1;
	/* The first replies restock the cookies; a window deeper than the
	 * stock starts as deep as the cookies allow. */
	start = last_progress = (int64_t)monotonic_now_ns();
	end = start + (int64_t)(seconds * 1e9);
	for (i = 0; i < window && c.n_cookies > 0; i++)
		send_one(fd, &c, &slots[i]);
	while ((int64_t)monotonic_now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) == 0) {
			/* Lost replies: free their slots and send again. */
			for (i = 0; i < window; i++)
				if (slots[i].busy) {
					slots[i].busy = 0;
					lost++;
				}
		}
		while ((n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
			i = take_reply(&c, slots, window, pkt, (size_t)n);
			if (i < 0) {
				bad++;
				continue;
			}
			replies++;
		}
		for (i = 0; i < window; i++)
			if (!slots[i].busy && c.n_cookies > 0)
				send_one(fd, &c, &slots[i]);
		if (c.n_cookies == 0 && replies == 0 && (int64_t)monotonic_now_ns() - last_progress > 1000000000LL)
			break;
	}
	printf("{\"mode\": \"ntp\", \"window\": %d, \"replies\": %ld, \"bad\": %ld, \"lost\": %ld, "
	       "\"seconds\": %.3f, \"per_second\": %.1f}\n", window, replies, bad, lost,
	       seconds, replies / seconds);
	close(fd);
	return replies > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct server_spec srv = { .port = 4460 };
	int n;
	double seconds;

	if (argc != 7 || (strcmp(argv[1], "ke") != 0 && strcmp(argv[1], "ntp") != 0)) {
		fprintf(stderr, "usage: ntsload ke|ntp HOST PORT CAFILE THREADS|WINDOW SECONDS\n");
		return 2;
	}
	snprintf(srv.host, sizeof(srv.host), "%s", argv[2]);
	srv.port = atoi(argv[3]);
	n = atoi(argv[5]);
	seconds = atof(argv[6]);
	if (n < 1 || n > MAX_THREADS || seconds <= 0)
		return 2;
	if (strcmp(argv[1], "ke") == 0)
		return run_ke(&srv, argv[4], n, seconds);
	return run_ntp(&srv, argv[4], n, seconds);
}
