/* relay --udp: each datagram is held for its direction's delay from its
 * kernel arrival stamp, then sent on at that instant (relay_clock.h), the
 * same way in both directions. A client address gets its own connected
 * socket towards the target, so the target's replies map back to it.
 * Datagrams may overtake each other, as they may on a network. */
#include "relay_udp.h"
#include "relay_clock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define MAX_HELD 4096
#define DATAGRAM_MAX 2048

struct held {
	int64_t release_ns;
	int dir;                   /* 0: to the target, 1: to the client */
	int client;
	size_t len;
	unsigned char *data;       /* its own DATAGRAM_MAX bytes in `pool` */
};

struct client {
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;                    /* connected to the target */
	int64_t last_ns;           /* last datagram from it */
};

struct udp_relay {
	int listen_fd;
	struct client clients[MAX_CLIENTS];
	int n_clients;
	/* MAX_HELD slots (len 0 = free), small so that a scan of them is a
	 * few microseconds; the datagrams themselves sit apart in pool. */
	struct held *held;
	unsigned char *pool;
	int n_held;
	relay_delay_fn delay;
	void *ctx;
	const struct sockaddr_storage *target;
	socklen_t target_len;
};

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Clients that use a new port for every request (chronyd, tsd's sync
 * process) would fill the table: the least recently heard one makes room,
 * and what is still held for it is dropped. */
static int make_room(struct udp_relay *u)
{
	int oldest = 0;

	if (u->n_clients < MAX_CLIENTS)
		return u->n_clients++;
	for (int i = 1; i < MAX_CLIENTS; i++)
		if (u->clients[i].last_ns < u->clients[oldest].last_ns)
			oldest = i;
	close(u->clients[oldest].fd);
	for (int i = 0; i < MAX_HELD; i++)
		if (u->held[i].len != 0 && u->held[i].client == oldest) {
			u->held[i].len = 0;
			u->n_held--;
		}
	return oldest;
}

static int client_of(struct udp_relay *u, const struct sockaddr_storage *a, socklen_t len)
{
	struct client *c;
	int i;

	for (i = 0; i < u->n_clients; i++)
		if (u->clients[i].len == len && memcmp(&u->clients[i].addr, a, len) == 0) {
			u->clients[i].last_ns = mono_ns();
			return i;
		}
	i = make_room(u);
	c = &u->clients[i];
	c->last_ns = mono_ns();
	c->fd = socket(u->target->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd >= 0)
		relay_clock_stamp(c->fd);
	if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)u->target, u->target_len) < 0) {
		if (c->fd >= 0)
			close(c->fd);
		/* The slot stays, unusable, until it is the oldest again. */
		c->fd = -1;
		c->len = 0;
		return -1;
	}
	memcpy(&c->addr, a, len);
	c->len = len;
	return i;
}

static void hold(struct udp_relay *u, int dir, int client, const unsigned char *data, size_t len,
                 int64_t arrival_ns)
{
	for (int i = 0; i < MAX_HELD; i++) {
		struct held *h = &u->held[i];

		if (h->len != 0)
			continue;
		h->release_ns = arrival_ns + u->delay(u->ctx, dir);
		h->dir = dir;
		h->client = client;
		h->len = len;
		memcpy(h->data, data, len);
		u->n_held++;
		return;
	}
	/* Full: dropped, as a congested link would. */
}

/* One datagram from fd with its arrival instant: its length, or <= 0. */
static ssize_t read_stamped(int fd, unsigned char *buf, struct sockaddr_storage *from,
                            socklen_t *fromlen, int64_t *arrival_ns)
{
	union { char buf[128]; struct cmsghdr align; } control;
	struct iovec iov = { .iov_base = buf, .iov_len = DATAGRAM_MAX };
	struct msghdr m = { .msg_name = from, .msg_namelen = from ? *fromlen : 0,
	                    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
	                    .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

	if (n > 0)
		*arrival_ns = relay_clock_arrival(&m);
	if (from != NULL)
		*fromlen = m.msg_namelen;
	return n;
}

static void read_listener(struct udp_relay *u)
{
	unsigned char buf[DATAGRAM_MAX];
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	int64_t arrival;
	ssize_t n;
	int c;

	while ((n = read_stamped(u->listen_fd, buf, &from, &len, &arrival)) > 0) {
		c = client_of(u, &from, len);
		if (c >= 0)
			hold(u, 0, c, buf, (size_t)n, arrival);
		len = sizeof(from);
	}
}

static void read_client_side(struct udp_relay *u, int c)
{
	unsigned char buf[DATAGRAM_MAX];
	int64_t arrival;
	ssize_t n;

	while ((n = read_stamped(u->clients[c].fd, buf, NULL, NULL, &arrival)) > 0)
		hold(u, 1, c, buf, (size_t)n, arrival);
}

/* The held datagram released first, or -1 when none is held. */
static int earliest(const struct udp_relay *u)
{
	int first = -1;

	for (int i = 0; i < MAX_HELD && u->n_held > 0; i++)
		if (u->held[i].len != 0 &&
		    (first < 0 || u->held[i].release_ns < u->held[first].release_ns))
			first = i;
	return first;
}

/* Send what falls due within the spin, each at its instant, earliest
 * first; the next release instant (INT64_MAX: none held). */
static int64_t release_due(struct udp_relay *u)
{
	int i;

	while ((i = earliest(u)) >= 0) {
		struct held *h = &u->held[i];
		struct client *c = &u->clients[h->client];

		if (h->release_ns > mono_ns() + RELAY_SPIN_NS)
			return h->release_ns;
		relay_clock_spin_until(h->release_ns);
		if (h->dir == 0)
			(void)send(c->fd, h->data, h->len, 0);
		else
			(void)sendto(u->listen_fd, h->data, h->len, 0, (struct sockaddr *)&c->addr,
			             c->len);
		h->len = 0;
		u->n_held--;
	}
	return INT64_MAX;
}

/* Sleep until the spin before the next release. */
static const struct timespec *wait_for(int64_t next)
{
	static struct timespec ts;
	int64_t left = next == INT64_MAX ? 100000000 : next - RELAY_SPIN_NS - mono_ns();

	if (left < 0)
		left = 0;
	ts.tv_sec = (time_t)(left / 1000000000);
	ts.tv_nsec = (long)(left % 1000000000);
	return &ts;
}

int relay_udp_run(int listen_fd, const struct sockaddr_storage *target, socklen_t target_len,
                  relay_delay_fn delay, void *ctx, volatile sig_atomic_t *stop)
{
	struct udp_relay u = { .listen_fd = listen_fd, .delay = delay, .ctx = ctx,
	                       .target = target, .target_len = target_len };
	struct pollfd p[1 + MAX_CLIENTS];
	int64_t next;

	u.held = calloc(MAX_HELD, sizeof(*u.held));
	u.pool = malloc((size_t)MAX_HELD * DATAGRAM_MAX);
	if (u.held == NULL || u.pool == NULL) {
		free(u.held);
		free(u.pool);
		return -1;
	}
	for (int i = 0; i < MAX_HELD; i++)
		u.held[i].data = u.pool + (size_t)i * DATAGRAM_MAX;
	relay_clock_stamp(listen_fd);
	while (!*stop) {
		next = release_due(&u);
		p[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (int i = 0; i < u.n_clients; i++)
			p[1 + i] = (struct pollfd){ .fd = u.clients[i].fd, .events = POLLIN };
		if (ppoll(p, (nfds_t)(1 + u.n_clients), wait_for(next), NULL) < 0 &&
		    errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			read_listener(&u);
		for (int i = 0; i < u.n_clients; i++)
			if (p[1 + i].revents & POLLIN)
				read_client_side(&u, i);
	}
	for (int i = 0; i < u.n_clients; i++)
		close(u.clients[i].fd);
	free(u.held);
	free(u.pool);
	return 0;
}
