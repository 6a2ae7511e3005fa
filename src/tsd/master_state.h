/* The master's state, shared by the files of the master only (master.c,
 * master_fork.c): its worker slots and everything it holds. */
#ifndef TSD_MASTER_STATE_H
#define TSD_MASTER_STATE_H

#include <stdint.h>
#include <sys/types.h>

#include "common/conf.h"
#include "common/correction.h"
#include "tsd/control.h"
#include "tsd/counters.h"
#include "tsd/dispatcher.h"
#include "tsd/generation.h"
#include "tsd/nts_keys.h"
#include "tsd/stats.h"
#include "tsd/sync_child.h"
#include "tsd/throttle.h"

#define MAX_SLOTS (2 * CONF_MAX_WORKERS) /* two full generations */

enum slot_state { SLOT_FREE = 0, SLOT_RUNNING, SLOT_RESPAWN, SLOT_DRAINING };

struct slot {
	enum slot_state state;
	pid_t pid;
	unsigned generation;
	unsigned shard;                 /* reuseport: which of the generation's socket sets */
	uint64_t kill_at_ns;            /* draining: SIGKILL then */
	unsigned restarts;              /* of this worker position since its generation began */
};

/* tsdctl reload clients waiting for the new generation to serve. */
struct pending_reload {
	uint64_t ids[CONTROL_MAX_CLIENTS];
	unsigned n;
	unsigned generation;
	uint64_t deadline_ns;
};

struct master {
	struct generation gen;
	const char *config_path;
	pid_t pid;
	struct worker_counters *ctr;
	struct stats *stats;            /* shared: what exited workers counted, reloads */
	uint64_t stats_logged_ns;       /* when SIGUSR2 last logged them */
	unsigned stats_deferred;        /* SIGUSR2s since, answered at the next log */
	struct slot slots[MAX_SLOTS];
	struct handoff_peer peers[MAX_SLOTS];   /* handoff: peer i is slot i's */
	struct dispatcher dispatcher;
	int sigfd;
	int epfd;
	int stopping;
	int exit_status;
	uint64_t now_ns;
	struct throttle throttle;
	struct correction_shared *correction;   /* written by the sync process */
	struct sync_child sync;
	struct nts_keys_shared *nts_keys;       /* made once, kept across reloads */
	struct control ctl;
	struct pending_reload pending;
	uint64_t started_realtime_ns;
	uint64_t started_ns;
	uint64_t loaded_realtime_ns;
	int metrics_fd;                 /* metrics.listen bound; -1: no metrics */
	char *metrics_listen;           /* what metrics_fd is bound to */
	pid_t metrics_pid;              /* "tsd: metrics"; 0: not running */
	uint64_t metrics_restart_ns;    /* a dead one starts again then */
};

static inline int master_is_handoff(const struct master *m)
{
	return m->gen.cfg->server.dispatch == DISPATCH_HANDOFF;
}

/* master_fork.c: forking a worker into slot i with socket set `shard`
 * (reuseport); 0, or -1 after logging why. */
int master_spawn(struct master *m, unsigned i, unsigned shard);
/* Every worker of the current generation, each into a free slot. */
int master_spawn_generation(struct master *m);
/* The sync process, when the configuration asks for one; every tick, its
 * supervision (sync_child_tick). */
void master_start_sync(struct master *m);
void master_tick_sync(struct master *m);
/* How many worker slots are in `state`. */
unsigned master_count_slots(const struct master *m, enum slot_state state);


/* master.c */
int master_reload(struct master *m, struct conf_errors *errs);
const char *master_dispatch_name(const struct master *m);
/* master_control.c: the control socket's requests */
void master_control_request(void *ctx, uint64_t id, const struct control_request *req);
void master_answer_pending_reloads(struct master *m);
/* master_report.c: the log lines on what is served, and the metrics process */
void master_log_udp(const struct master *m);
void master_log_serving(const struct master *m, const char *what);
void master_metrics_spawn(struct master *m);
void master_metrics_stop(struct master *m);
void master_metrics_exited(struct master *m, int status);
int master_metrics_socket_for(const struct master *m, const struct conf *cfg, int *fd,
                              char *err, size_t errlen);
void master_metrics_switch(struct master *m, const struct conf *cfg, int fd);

#endif
