/* relay --udp: each datagram is held for its direction's delay, then sent
 * on. A client address gets its own connected socket towards the target, so
 * the target's replies map back to it. Datagrams may overtake each other,
 * as they may on a network. */
#include "relay_udp.h"

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
	unsigned char data[DATAGRAM_MAX];
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
	struct held *held;         /* MAX_HELD slots; len 0 = free */
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
		if (u->held[i].client == oldest)
			u->held[i].len = 0;
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

static void hold(struct udp_relay *u, int dir, int client, const unsigned char *data, size_t len)
{
	for (int i = 0; i < MAX_HELD; i++) {
		struct held *h = &u->held[i];

		if (h->len != 0)
			continue;
		h->release_ns = mono_ns() + u->delay(u->ctx, dir);
		h->dir = dir;
		h->client = client;
		h->len = len;
		memcpy(h->data, data, len);
		return;
	}
	/* Full: dropped, as a congested link would. */
}

static void read_listener(struct udp_relay *u)
{
	unsigned char buf[DATAGRAM_MAX];
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	ssize_t n;
	int c;

	while ((n = recvfrom(u->listen_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	                     &len)) > 0) {
		c = client_of(u, &from, len);
		if (c >= 0)
			hold(u, 0, c, buf, (size_t)n);
		len = sizeof(from);
	}
}

static void read_client_side(struct udp_relay *u, int c)
{
	unsigned char buf[DATAGRAM_MAX];
	ssize_t n;

	while ((n = recv(u->clients[c].fd, buf, sizeof(buf), 0)) > 0)
		hold(u, 1, c, buf, (size_t)n);
}

/* Send what is due; the next release instant (INT64_MAX: none held). */
static int64_t release_due(struct udp_relay *u)
{
	int64_t now = mono_ns(), next = INT64_MAX;

	for (int i = 0; i < MAX_HELD; i++) {
		struct held *h = &u->held[i];
		struct client *c = &u->clients[h->client];

		if (h->len == 0)
			continue;
		if (h->release_ns > now) {
			next = h->release_ns < next ? h->release_ns : next;
			continue;
		}
		if (h->dir == 0)
			(void)send(c->fd, h->data, h->len, 0);
		else
			(void)sendto(u->listen_fd, h->data, h->len, 0, (struct sockaddr *)&c->addr,
			             c->len);
		h->len = 0;
	}
	return next;
}

/* Nanosecond waits: the delays are tens of microseconds. */
static const struct timespec *wait_for(int64_t next)
{
	static struct timespec ts;
	int64_t left = next == INT64_MAX ? 100000000 : next - mono_ns();

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
	if (u.held == NULL)
		return -1;
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
	return 0;
}
