/* The sync process ("tsd: sync"): follows the configured sources and
 * publishes the served correction in the shared mapping. */
#ifndef TSD_SYNC_H
#define TSD_SYNC_H

#include <sys/types.h>
#include "common/conf.h"
#include "common/correction.h"
#include "tsd/sync_state.h"

struct sync_args {
	const struct conf *cfg;
	struct correction_shared *shared;
	struct sync_state_shared *state;   /* what operators see (sync_state.h) */
	pid_t master_pid;
};

/* Run until SIGTERM or the master's death. Returns the exit status
 * (WORKER_EXIT_FATAL_CONFIG when it cannot start with this configuration). */
int sync_run(const struct sync_args *args);

#endif
