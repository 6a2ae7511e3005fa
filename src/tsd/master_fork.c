/* Forking the master's children: a worker into a slot (keeping only its
 * own descriptors), a generation's workers, and the sync process. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/monotonic.h"
#include "tsd/clockshare.h"
#include "tsd/master_state.h"
#include "tsd/proctitle.h"
#include "tsd/worker.h"

/* In a new reuseport worker: keep only its own socket set. A copy of
 * another set left here would keep that socket open (and hashed to) after
 * the master closes it. */
static void child_close_other_shards(struct master *m, unsigned own)
{
	struct shard *sh;
	unsigned k;
	size_t i;

	for (k = 0; m->gen.shards != NULL && k < m->gen.n_workers; k++) {
		if (k == own)
			continue;
		sh = &m->gen.shards[k];
		for (i = 0; i < sh->listen.n; i++)
			close(sh->listen.fds[i]);
		for (i = 0; i < sh->n_udp; i++)
			close(sh->udp_fds[i]);
	}
}

/* In the new worker: drop every descriptor that belongs to the master. */
static void child_close_master_fds(struct master *m, unsigned shard)
{
	size_t i;

	close(m->sigfd);
	close(m->epfd);
	if (m->metrics_fd >= 0)
		close(m->metrics_fd);
	control_close_in_child(&m->ctl);
	dispatcher_close_peers(&m->dispatcher);
	if (master_is_handoff(m)) {
		for (i = 0; i < m->gen.listen.n; i++)
			close(m->gen.listen.fds[i]);
		m->gen.listen.n = 0;
	}
	if (m->gen.reuseport)
		child_close_other_shards(m, shard);
}

static void child_run(struct master *m, unsigned i, unsigned shard, int handoff_fd)
{
	struct worker_args args = {
		.cfg = m->gen.cfg,
		.handoff_fd = handoff_fd,
		.udp_fds = m->gen.udp_fds,
		.n_udp = m->gen.n_udp,
		.udp_table = m->gen.udp_table,
		.hwstamp = &m->gen.hw,
		.ctr = &m->ctr[i],
		.master_pid = m->pid,
		.nts_listen_fds = m->gen.nts_listen.fds,
		.n_nts_listen = m->gen.nts_listen.n,
		.nts_tls = m->gen.nts_tls,
		.nts_keys = m->nts_keys,
	};

	/* apply = "system" publishes no timing (zero), only the fields the
	 * sync process knows: stratum, reference ID, root delay and dispersion. */
	if (m->gen.cfg->sync.enabled)
		args.correction = m->correction;

	child_close_master_fds(m, shard);
	if (m->gen.reuseport) {
		args.listen_fds = m->gen.shards[shard].listen.fds;
		args.n_listen = m->gen.shards[shard].listen.n;
		args.udp_fds = m->gen.shards[shard].udp_fds;
		args.n_udp = m->gen.shards[shard].n_udp;
		args.own_sockets = 1;
	} else if (!master_is_handoff(m)) {
		args.listen_fds = m->gen.listen.fds;
		args.n_listen = m->gen.listen.n;
	}
	proctitle_set("tsd: worker");
	_exit(worker_run(&args));
}

int master_spawn(struct master *m, unsigned i, unsigned shard)
{
	struct slot *s = &m->slots[i];
	int worker_end;
	pid_t pid;

	if (dispatcher_open_peer(&m->dispatcher, i, &worker_end) != 0) {
		log_err("socketpair: %s", strerror(errno));
		return -1;
	}
	memset(&m->ctr[i], 0, sizeof(m->ctr[i]));
	m->ctr[i].generation = m->gen.id;
	m->ctr[i].heartbeat_ns = monotonic_now_ns();
	pid = fork();
	if (pid == 0)
		child_run(m, i, shard, worker_end);
	if (worker_end >= 0)
		close(worker_end);
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		dispatcher_close_peer(&m->dispatcher, i);
		return -1;
	}
	m->ctr[i].pid = pid;
	*s = (struct slot){ .state = SLOT_RUNNING, .pid = pid, .generation = m->gen.id,
	                    .shard = shard };
	return 0;
}

static void close_from_to(unsigned first, unsigned last)
{
	if (first > last)
		return;
	if (syscall(SYS_close_range, first, last, 0u) != 0)
		for (unsigned fd = first; fd <= last && fd < 65536; fd++)
			close((int)fd);
}

/* In the new sync process: it needs none of the master's descriptors (the
 * listeners, the workers' sockets, the signalfd); only the standard three
 * and the clock's shared memory, where its steering of a simulated clock
 * is kept. */
static void sync_child_prepare(void *ctx)
{
	int keep = clockshare_fd();

	(void)ctx;
	if (keep < 3) {
		close_from_to(3, ~0u);
	} else {
		close_from_to(3, (unsigned)keep - 1);
		close_from_to((unsigned)keep + 1, ~0u);
	}
	log_reopen();
}

void master_start_sync(struct master *m)
{
	sync_child_start(&m->sync, m->gen.cfg, m->correction, m->pid, sync_child_prepare, m);
}

void master_tick_sync(struct master *m)
{
	sync_child_tick(&m->sync, m->gen.cfg, m->correction, m->pid, m->now_ns,
	                sync_child_prepare, m);
}

static int free_slot(const struct master *m)
{
	unsigned i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].state == SLOT_FREE)
			return (int)i;
	return -1;
}

unsigned master_count_slots(const struct master *m, enum slot_state state)
{
	unsigned i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		n += m->slots[i].state == state;
	return n;
}

int master_spawn_generation(struct master *m)
{
	unsigned k;
	int i;

	for (k = 0; k < m->gen.n_workers; k++) {
		i = free_slot(m);
		if (i < 0 || master_spawn(m, (unsigned)i, k) != 0)
			return -1;
	}
	return 0;
}
