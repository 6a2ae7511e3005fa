/* One configuration generation of the master: the configuration and the
 * sockets it binds. A reload opens the next one beside the running one
 * and swaps only when everything is ready. */
#ifndef TSD_GENERATION_H
#define TSD_GENERATION_H

#include <stddef.h>
#include "common/conf.h"
#include "tsd/hwstamp.h"
#include "tsd/listen.h"

struct ratelimit;

/* dispatch = "reuseport": the sockets of one worker position (slot k of
 * the generation), SO_REUSEPORT. The master keeps them open, so a worker
 * that dies loses nothing queued: its replacement takes the same ones. */
struct shard {
	struct listen_set listen;
	int udp_fds[CONF_MAX_LISTEN];
	size_t n_udp;
};

struct generation {
	unsigned id;
	struct conf *cfg;
	unsigned n_workers;
	/* Shared by every worker (dispatch "accept" and "handoff"). */
	struct listen_set listen;
	int udp_fds[CONF_MAX_LISTEN];
	size_t n_udp;
	/* dispatch "reuseport": n_workers sets of a worker's own sockets. */
	int reuseport;
	struct shard *shards;
	/* server.nts: the NTS-KE sockets (shared by every worker in any
	 * dispatch mode) and the certificate, read again for each generation. */
	struct listen_set nts_listen;
	struct nts_tls *nts_tls;
	/* The UDP rate-limit table of all this generation's workers (NULL:
	 * none), new with each generation, kept sockets or not. */
	struct ratelimit *udp_table;
	/* server.udp.hwtimestamp: the interfaces with hardware stamps on and
	 * their PHCs, opened again for each generation (none: software). */
	struct hwstamp hw;
};

/* Read the file (NULL: the default) and open its clock and estimator
 * plugins once, to prove they load and start. NULL on failure, with every
 * "FILE:LINE: message" in errs (the caller reports them). */
struct conf *generation_load_config(const char *path, struct conf_errors *errs);
/* conf_free and free. */
void generation_free_config(struct conf *cfg);

/* Bind what cfg asks for, sharing the sockets of `prev` (may be NULL) that
 * are the same (with "reuseport", worker k's sockets pass to the new worker
 * k). Takes cfg only on success. 0, or -1 with a message. */
int generation_open(struct generation *g, struct conf *cfg,
                    const struct generation *prev, char *err, size_t errlen);
/* Close the master's copies of the sockets (workers keep theirs). */
void generation_close_sockets(struct generation *g);
/* dispatch = "reuseport": (re)apply g's server.udp.balance to its UDP
 * sockets. generation_open does it; a reload that fails after that gives
 * the kept sockets back to the running generation with this. */
int generation_apply_balance(const struct generation *g, char *err, size_t errlen);
/* server.udp.hwtimestamp: (re)apply g's timestamping flags to its UDP
 * sockets and to the replies its workers will send. generation_open does
 * it; a reload that fails after that gives them back with this. */
void generation_apply_hwstamp(const struct generation *g);
/* Close the sockets and the PHCs, unmap the master's view of the
 * rate-limit table (the workers keep theirs) and free the configuration. */
void generation_free(struct generation *g);

#endif
