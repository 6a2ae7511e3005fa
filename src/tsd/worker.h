/* A worker process: one epoll loop serving many connections. */
#ifndef TSD_WORKER_H
#define TSD_WORKER_H

#include <stddef.h>
#include <sys/types.h>

#include "common/conf.h"
#include "common/correction.h"
#include "tsd/counters.h"

/* Exit status of a worker that cannot start with this configuration (the
 * master does not restart it): EX_CONFIG. */
#define WORKER_EXIT_FATAL_CONFIG 78

struct ratelimit;
struct hwstamp;

struct worker_args {
	const struct conf *cfg;
	const int *listen_fds;          /* "accept" (shared), "reuseport" (own); else n_listen = 0 */
	size_t n_listen;
	int handoff_fd;                 /* dispatch = "handoff"; else -1 */
	const int *udp_fds;
	size_t n_udp;
	struct ratelimit *udp_table;    /* the generation's, shared by its workers */
	const struct hwstamp *hwstamp;  /* the generation's hardware stamps (NULL: none) */
	int own_sockets;                /* dispatch = "reuseport": no other worker reads them */
	struct worker_counters *ctr;    /* this worker's slot */
	pid_t master_pid;
	/* sync.apply = "serve": the correction added to every time served. */
	const struct correction_shared *correction;
	/* server.nts.enable: NTS-KE sockets (shared), TLS credentials, keys. */
	const int *nts_listen_fds;
	size_t n_nts_listen;
	const struct nts_tls *nts_tls;
	struct nts_keys_shared *nts_keys;
};

/* Run until told to stop (SIGTERM/SIGINT: finish the connections held, then
 * return) or the master dies. Returns the process exit status. */
int worker_run(const struct worker_args *args);

#endif
