/* The master's side of dispatch = "handoff": accept on the shared listening
 * sockets and pass each connection to the least-loaded worker. */
#ifndef TSD_DISPATCHER_H
#define TSD_DISPATCHER_H

#include <stdint.h>
#include "tsd/counters.h"
#include "tsd/generation.h"

/* epoll tag of listener i: DISPATCHER_TAG_LISTEN + i. The master keeps the
 * tags below it for its own descriptors. */
#define DISPATCHER_TAG_LISTEN 16u

/* The master's end of one worker's socketpair. The master closes it when it
 * retires or reaps the worker, so an open peer is a worker of the running
 * generation that takes connections. */
struct handoff_peer {
	int fd;                         /* -1: none */
	uint64_t handed;                /* connections passed to it */
};

struct dispatcher {
	const struct generation *gen;   /* the running one: its mode and listeners */
	int epfd;                       /* the master's epoll set */
	const struct worker_counters *ctr;      /* worker i's load: ctr[i] */
	struct handoff_peer *peers;     /* n_peers of them, peer i beside ctr[i] */
	unsigned n_peers;
	int watching;                   /* the listeners are in the epoll set */
	uint64_t resume_ns;             /* accepts paused until then; 0: not paused */
};

/* gen is read at every call, so it follows the master's reloads. Marks the
 * n peers closed. Until this is called, d zeroed has no peers. */
void dispatcher_init(struct dispatcher *d, const struct generation *gen, int epfd,
                     const struct worker_counters *ctr, struct handoff_peer *peers, unsigned n);
/* Before forking worker i: in "handoff", its socketpair, with the worker's
 * end in *worker_fd for the child (the parent closes it); else -1 there.
 * 0, or -1 with errno. */
int dispatcher_open_peer(struct dispatcher *d, unsigned i, int *worker_fd);
void dispatcher_close_peer(struct dispatcher *d, unsigned i);
void dispatcher_close_peers(struct dispatcher *d);
/* Put the listeners in the epoll set (on) or take them out; nothing unless
 * the running generation is "handoff". */
void dispatcher_watch(struct dispatcher *d, int on);
/* An epoll event of the master's that is not its own: accept and pass on. */
void dispatcher_event(struct dispatcher *d, uint64_t tag, uint64_t now_ns);
/* Every tick: resume accepting when a pause for lack of descriptors ends. */
void dispatcher_tick(struct dispatcher *d, uint64_t now_ns);

#endif
