/* The master's side of the sync process: start it when the configuration
 * has a sync group, restart it after a crash (throttled) or when a reload
 * changes the sync group or the clock, stop it with the daemon. */
#ifndef TSD_SYNC_CHILD_H
#define TSD_SYNC_CHILD_H

#include <stdint.h>
#include <sys/types.h>
#include "common/conf.h"
#include "common/correction.h"
#include "tsd/sync_state.h"
#include "tsd/throttle.h"

struct sync_child {
	pid_t pid;                      /* 0: not running */
	int wanted;                     /* the configuration has a sync group */
	int restart_pending;            /* start again once the old one is reaped */
	int given_up;                   /* exited with the fatal configuration code */
	uint64_t kill_at_ns;            /* stopping: SIGKILL then (0: not stopping) */
	struct throttle throttle;
	struct sync_state_shared *state;  /* the master's mapping, given to each sync process */
};

/* Called in the new child before it runs: close what belongs to the master. */
typedef void (*sync_child_prepare_fn)(void *ctx);

/* Fork `tsd: sync` for cfg if it has a sync group. */
void sync_child_start(struct sync_child *sc, const struct conf *cfg,
                      struct correction_shared *shared, pid_t master_pid,
                      sync_child_prepare_fn prepare, void *ctx);

/* A reload from old to next: restart when the sync group or the clock
 * changed; stop when next has none. */
void sync_child_reload(struct sync_child *sc, const struct conf *old, const struct conf *next,
                       struct correction_shared *shared, uint64_t now_ns);

/* Reaped pid: 1 if it was the sync process. */
int sync_child_exited(struct sync_child *sc, pid_t pid, int status, uint64_t now_ns);

/* Every master tick: a due restart, or SIGKILL past the stop deadline. */
void sync_child_tick(struct sync_child *sc, const struct conf *cfg,
                     struct correction_shared *shared, pid_t master_pid, uint64_t now_ns,
                     sync_child_prepare_fn prepare, void *ctx);

/* SIGTERM now, SIGKILL at now_ns + grace_ns. */
void sync_child_stop(struct sync_child *sc, uint64_t now_ns, uint64_t grace_ns);

#endif
