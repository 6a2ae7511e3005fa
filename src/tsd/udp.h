/* NTP over UDP for tsd: the shared socket every worker serves, with a
 * per-address rate limit in a bounded table. */
#ifndef TSD_UDP_H
#define TSD_UDP_H

#include <stddef.h>
#include "common/clock.h"
#include "common/conf.h"
#include "tsd/counters.h"

struct udp_limiter;

/* Master: bind one UDP socket per server.listen address on
 * server.udp.port, non-blocking, with receive timestamps enabled. Returns
 * the number bound (fds[0..n-1]) or -1 with a message in err. */
int udp_bind(const struct conf *cfg, int *fds, size_t max_fds, char *err, size_t errlen);
/* The two halves of udp_bind, for dispatch = "reuseport", where each worker
 * has its own sockets (SO_REUSEPORT when reuseport) and all of them one
 * rate-limit table, made once per set of new sockets. */
int udp_make_table(const struct conf *cfg, char *err, size_t errlen);
int udp_bind_sockets(const struct conf *cfg, int reuseport, int *fds, size_t max_fds,
                     char *err, size_t errlen);

/* dispatch = "reuseport": apply server.udp.balance to the reuseport group
 * of fd (any one of its n_sockets sockets, all bound): "cpu" attaches a
 * program choosing socket (receiving CPU mod n_sockets), "flow" removes
 * any program, leaving the kernel's hash. 0, or -1 with a message. */
int udp_set_balance(const struct conf *cfg, int fd, unsigned n_sockets,
                    char *err, size_t errlen);

/* Worker: its own limiter (NULL config disables rate limiting). It uses
 * the table udp_bind made before fork when the settings are the same, so
 * all workers share one limit per address. NULL only on out-of-memory. */
struct udp_limiter *udp_limiter_new(const struct conf_udp *cfg);
/* Worker: serve NTS-protected requests with nts (owned by the caller). */
struct nts_udp;
void udp_limiter_set_nts(struct udp_limiter *rl, struct nts_udp *nts);
/* At worker exit: also logs one line with this worker's UDP counters
 * ("udp: served N, dropped N invalid, rate limited N, kiss-o'-death N")
 * if it saw any UDP packet. */
void udp_limiter_free(struct udp_limiter *rl);

/* Worker: the socket is readable. Drain it (bounded, so the event loop
 * stays fair), answering valid client requests. Never blocks. */
void udp_serve_ready(int fd, struct clock_source *cs, struct udp_limiter *rl,
                     struct worker_counters *ctr);

#endif
