/* The master's side of dispatch = "handoff": accept, choose a worker, pass. */
#include "common/conf.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "tsd/dispatcher.h"
#include "tsd/handoff.h"

#define ACCEPT_PAUSE_NS (100 * 1000000ull)

static int is_handoff(const struct dispatcher *d)
{
	return d->gen->cfg->server.dispatch == DISPATCH_HANDOFF;
}

void dispatcher_init(struct dispatcher *d, const struct generation *gen, int epfd,
                     const struct worker_counters *ctr, struct handoff_peer *peers, unsigned n)
{
	unsigned i;

	*d = (struct dispatcher){ .gen = gen, .epfd = epfd, .ctr = ctr,
	                          .peers = peers, .n_peers = n };
	for (i = 0; i < n; i++)
		peers[i] = (struct handoff_peer){ .fd = -1 };
}

int dispatcher_open_peer(struct dispatcher *d, unsigned i, int *worker_fd)
{
	int sv[2];

	*worker_fd = -1;
	if (!is_handoff(d))
		return 0;
	if (handoff_pair(sv) != 0)
		return -1;
	d->peers[i] = (struct handoff_peer){ .fd = sv[0] };
	*worker_fd = sv[1];
	return 0;
}

void dispatcher_close_peer(struct dispatcher *d, unsigned i)
{
	if (d->peers[i].fd >= 0)
		close(d->peers[i].fd);
	d->peers[i].fd = -1;
}

void dispatcher_close_peers(struct dispatcher *d)
{
	unsigned i;

	for (i = 0; i < d->n_peers; i++)
		dispatcher_close_peer(d, i);
}

void dispatcher_watch(struct dispatcher *d, int on)
{
	struct epoll_event ev = { .events = EPOLLIN };
	size_t i;

	if (!is_handoff(d) || d->watching == on)
		return;
	for (i = 0; i < d->gen->listen.n; i++) {
		ev.data.u64 = DISPATCHER_TAG_LISTEN + i;
		epoll_ctl(d->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, d->gen->listen.fds[i], &ev);
	}
	d->watching = on;
}

/* What the worker holds plus what was sent and not yet taken. */
static uint64_t peer_load(const struct dispatcher *d, unsigned i)
{
	const struct worker_counters *c = &d->ctr[i];
	uint64_t handed = d->peers[i].handed;
	uint64_t in_flight = handed > c->accepted ? handed - c->accepted : 0;

	return c->active_connections + in_flight;
}

static int least_loaded(const struct dispatcher *d, int skip)
{
	uint64_t best_load = UINT64_MAX, load;
	int best = -1;
	unsigned i;

	for (i = 0; i < d->n_peers; i++) {
		if ((int)i == skip || d->peers[i].fd < 0)
			continue;
		load = peer_load(d, i);
		if (load < best_load) {
			best_load = load;
			best = (int)i;
		}
	}
	return best;
}

/* Pass fd to the least-loaded worker; if its queue is full, to the next
 * one; else the connection is dropped. */
static void hand_off(struct dispatcher *d, int fd)
{
	int i = least_loaded(d, -1);

	if (i >= 0 && handoff_send(d->peers[i].fd, fd) != 0) {
		i = least_loaded(d, i);
		if (i >= 0 && handoff_send(d->peers[i].fd, fd) != 0)
			i = -1;
	}
	if (i >= 0)
		d->peers[i].handed++;
}

static void accept_from(struct dispatcher *d, int lfd, uint64_t now_ns)
{
	int i, fd;

	for (i = 0; i < 64; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			hand_off(d, fd);
			close(fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_ratelimited(LOG_WARNING, "accept: %s; pausing accepts for 100 ms",
			                strerror(errno));
			dispatcher_watch(d, 0);
			d->resume_ns = now_ns + ACCEPT_PAUSE_NS;
			return;
		}
		if (errno != ECONNABORTED && errno != EINTR && errno != EPROTO)
			return;
	}
}

void dispatcher_event(struct dispatcher *d, uint64_t tag, uint64_t now_ns)
{
	if (tag - DISPATCHER_TAG_LISTEN < d->gen->listen.n)
		accept_from(d, d->gen->listen.fds[tag - DISPATCHER_TAG_LISTEN], now_ns);
}

void dispatcher_tick(struct dispatcher *d, uint64_t now_ns)
{
	if (d->resume_ns == 0 || d->resume_ns > now_ns)
		return;
	d->resume_ns = 0;
	dispatcher_watch(d, 1);
}
