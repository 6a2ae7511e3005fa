/* The master's side of the sync process: fork, reap, respawn with the
 * crash-loop throttle, restart on a reload that changes what it follows. */
#include "tsd/sync_child.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "tsd/privileges.h"
#include "tsd/proctitle.h"
#include "tsd/sync.h"
#include "tsd/worker.h"

/* A sync process asked to stop has this long before SIGKILL. */
#define STOP_GRACE_NS (5 * 1000000000ull)

void sync_child_start(struct sync_child *sc, const struct conf *cfg,
                      struct correction_shared *shared, pid_t master_pid,
                      sync_child_prepare_fn prepare, void *ctx)
{
	struct sync_args args = { cfg, shared, sc->state, master_pid };
	pid_t pid;

	sc->wanted = cfg->sync.enabled;
	if (!sc->wanted || sc->pid > 0 || sc->given_up)
		return;
	pid = fork();
	if (pid < 0) {
		log_err("fork (sync): %s", strerror(errno));
		sc->restart_pending = 1;
		return;
	}
	if (pid == 0) {
		prepare(ctx);
		if ((cfg->sync.apply == SYNC_APPLY_SYSTEM ? privileges_final_steering()
		                                          : privileges_final()) != 0)
			_exit(1);
		proctitle_set("tsd: sync");
		_exit(sync_run(&args));
	}
	sc->pid = pid;
	sc->restart_pending = 0;
	sc->kill_at_ns = 0;
}

void sync_child_stop(struct sync_child *sc, uint64_t now_ns, uint64_t grace_ns)
{
	sc->restart_pending = 0;
	if (sc->pid <= 0)
		return;
	if (sc->kill_at_ns == 0)
		sc->kill_at_ns = now_ns + grace_ns;
	kill(sc->pid, SIGTERM);
}

void sync_child_reload(struct sync_child *sc, const struct conf *old, const struct conf *next,
                       struct correction_shared *shared, uint64_t now_ns)
{
	int changed = !conf_sync_equal(&old->sync, &next->sync) ||
	              !conf_clock_equal(&old->clock, &next->clock) ||
	              strcmp(old->estimator.name, next->estimator.name) != 0;

	(void)shared;
	sc->given_up = 0;
	sc->wanted = next->sync.enabled;
	if (!changed && sc->pid > 0)
		return;
	if (sc->pid > 0) {
		log_info("the sync configuration changed; restarting the sync process");
		sync_child_stop(sc, now_ns, STOP_GRACE_NS);
	}
	sc->restart_pending = sc->wanted;
}

int sync_child_exited(struct sync_child *sc, pid_t pid, int status, uint64_t now_ns)
{
	int asked = sc->kill_at_ns != 0;

	if (pid != sc->pid || pid <= 0)
		return 0;
	sc->pid = 0;
	sc->kill_at_ns = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_FATAL_CONFIG) {
		log_err("the sync process cannot run with this configuration: not restarted");
		sc->given_up = 1;
		return 1;
	}
	if (asked) {
		/* Stopped for a reload: the new one starts at the next tick. */
		return 1;
	}
	if (!sc->wanted)
		return 1;
	throttle_crash(&sc->throttle, now_ns);
	log_err("the sync process %s %d; restarting it",
	        WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
	        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	sc->restart_pending = 1;
	return 1;
}

void sync_child_tick(struct sync_child *sc, const struct conf *cfg,
                     struct correction_shared *shared, pid_t master_pid, uint64_t now_ns,
                     sync_child_prepare_fn prepare, void *ctx)
{
	if (sc->pid > 0 && sc->kill_at_ns != 0 && now_ns >= sc->kill_at_ns)
		kill(sc->pid, SIGKILL);
	if (sc->pid > 0 || !sc->restart_pending || !sc->wanted)
		return;
	if (throttle_take(&sc->throttle, now_ns, 1) == 0)
		return;
	sync_child_start(sc, cfg, shared, master_pid, prepare, ctx);
}
