/* relay --udp: datagrams relayed with the same per-direction delays. */
#ifndef RELAY_UDP_H
#define RELAY_UDP_H

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

/* dir 0: client to target, 1: target to client; nanoseconds. */
typedef int64_t (*relay_delay_fn)(void *ctx, int dir);

/* Relay datagrams from the bound socket listen_fd to target and back until
 * *stop is set: each client address gets a socket of its own towards the
 * target, so replies find their way back. Returns 0, or -1 on a setup
 * error. */
int relay_udp_run(int listen_fd, const struct sockaddr_storage *target, socklen_t target_len,
                  relay_delay_fn delay, void *ctx, volatile sig_atomic_t *stop);

#endif
