/* NTP over UDP for tsd: the shared socket every worker serves, with a
 * per-address rate limit in a bounded table. */
#ifndef TSD_UDP_H
#define TSD_UDP_H

#include <stddef.h>
#include "common/clock.h"
#include "common/conf.h"
#include "tsd/counters.h"

struct udp_limiter;
struct ratelimit;

/* Master: bind one UDP socket per server.listen address on
 * server.udp.port, non-blocking, with receive timestamps enabled, with
 * SO_REUSEPORT when `reuseport` (dispatch = "reuseport": each worker has
 * its own). Returns the number bound (fds[0..n-1]) or -1 with a message. */
int udp_bind_sockets(const struct conf *cfg, int reuseport, int *fds, size_t max_fds,
                     char *err, size_t errlen);
/* Master: the rate-limit table of a generation, in memory shared across
 * fork, so all its workers count an address's packets in one place (the
 * kernel spreads one client's packets over them). *out is NULL when UDP or
 * limiting is off. 0, or -1 with a message. */
int udp_table_new(const struct conf *cfg, struct ratelimit **out, char *err, size_t errlen);

/* dispatch = "reuseport": apply server.udp.balance to the reuseport group
 * of fd (any one of its n_sockets sockets, all bound): "cpu" attaches a
 * program choosing socket (receiving CPU mod n_sockets), "flow" removes
 * any program, leaving the kernel's hash. 0, or -1 with a message. */
int udp_set_balance(const struct conf *cfg, int fd, unsigned n_sockets,
                    char *err, size_t errlen);

/* Worker: its limiter, counting in `table`, its generation's (NULL config
 * disables rate limiting). NULL on out-of-memory, or (EINVAL) when the
 * settings limit but `table` was not made from them: a worker never counts
 * alone. */
struct udp_limiter *udp_limiter_new(const struct conf_udp *cfg, struct ratelimit *table);
/* Worker: serve NTS-protected requests with nts (owned by the caller). */
struct nts_udp;
void udp_limiter_set_nts(struct udp_limiter *rl, struct nts_udp *nts);
/* Worker: take the card's stamps where hw (owned by the caller) converts
 * them (server.udp.hwtimestamp), and count every stamp taken in hw. */
struct hwclock;
void udp_limiter_set_hwclock(struct udp_limiter *rl, struct hwclock *hw);
/* At worker exit: also logs one line with this worker's UDP counters
 * ("udp: served N, dropped N invalid, rate limited N, kiss-o'-death N")
 * if it saw any UDP packet. */
void udp_limiter_free(struct udp_limiter *rl);

/* Worker: the socket is readable (events: what epoll reported; EPOLLERR
 * when transmit stamps wait on its error queue). Drain it (bounded, so the
 * event loop stays fair), answering valid client requests. Never blocks. */
void udp_serve_ready(int fd, uint32_t events, struct clock_source *cs,
                     struct udp_limiter *rl, struct worker_counters *ctr);

#endif
