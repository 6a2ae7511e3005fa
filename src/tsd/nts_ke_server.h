/* The NTS-KE server of a worker (RFC 8915 section 4): TLS 1.3 sessions
 * driven by the worker's epoll loop, each a small state machine (handshake,
 * read the request, write the response, close_notify), under one deadline. */
#ifndef TSD_NTS_KE_SERVER_H
#define TSD_NTS_KE_SERVER_H

#include <stdint.h>
#include "common/conf.h"
#include "tsd/counters.h"
#include "tsd/nts_keys.h"

/* The certificate, key and TLS settings: loaded by the master for each
 * generation (so a reload re-reads them, and a bad file fails the reload),
 * inherited by its workers. */
struct nts_tls;
struct nts_tls *nts_tls_load(const struct conf_nts *cfg, char *err, size_t errlen);
void nts_tls_free(struct nts_tls *tls);

struct nts_ke_server;

/* Worker: sessions register in epfd tagged (pointer | 1). At most
 * max_sessions at once; each must finish within timeout_ns. ntp_port is
 * the UDP port a response names, tcp_port the TCP one. */
struct nts_ke_server *nts_ke_server_new(const struct nts_tls *tls, struct nts_keys_shared *keys,
                                        int epfd, uint32_t max_sessions, uint64_t timeout_ns,
                                        int ntp_port, int tcp_port, struct worker_counters *ctr);
void nts_ke_server_free(struct nts_ke_server *srv);

/* A listening socket is readable: accept (bounded). */
void nts_ke_accept(struct nts_ke_server *srv, int listen_fd, uint64_t now_ns);
/* An event for the session tagged `tag`. */
void nts_ke_event(struct nts_ke_server *srv, uint64_t tag, uint64_t now_ns);
/* Cut sessions past their deadline. The next deadline (UINT64_MAX: none). */
uint64_t nts_ke_expire(struct nts_ke_server *srv, uint64_t now_ns);
uint32_t nts_ke_active(const struct nts_ke_server *srv);

#endif
