/* What the master tells: the log lines saying what it serves (at start and
 * after each reload), and the supervised metrics process. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "tsd/master_state.h"
#include "tsd/metrics.h"
#include "tsd/privileges.h"
#include "tsd/proctitle.h"
#include "tsd/sandbox.h"

/* ---- what it serves ---- */

/* How datagrams reach the workers, so the log says what serves UDP. */
void master_log_udp(const struct master *m)
{
	const struct conf_udp *udp = &m->gen.cfg->server.udp;

	if (m->gen.cfg->server.nts.enable)
		log_info("NTS-KE (TLS 1.3, ntske/1) on port %d", m->gen.cfg->server.nts.port);
	if (!udp->enable)
		return;
	if (!m->gen.reuseport) {
		log_info("NTP over UDP on port %d: one socket per address, shared by the workers",
		         udp->port);
		return;
	}
	log_info("NTP over UDP on port %d: a socket per worker, balance %s", udp->port,
	         udp->balance == UDP_BALANCE_CPU ? "cpu (the worker of the receiving CPU)"
	                                         : "flow (by client address and port)");
}

static void join_listen(const struct conf *cfg, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cfg->server.n_listen && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "",
		                         cfg->server.listen[i]);
}

/* What serves now: at start and after each reload, so the log alone says
 * which file, addresses, plugins and control socket are in effect. */
void master_log_serving(const struct master *m, const char *what)
{
	const struct conf *cfg = m->gen.cfg;
	char addrs[512];

	join_listen(cfg, addrs, sizeof(addrs));
	log_info("%s: generation %u, %u workers; tsd %s, configuration %s%s", what, m->gen.id,
	         m->gen.n_workers, PACKAGE_VERSION,
	         cfg->path != NULL ? cfg->path : conf_default_path(),
	         cfg->path != NULL ? "" : " (absent: defaults)");
	log_info("listening on %s port %d with %u workers (dispatch %s)", addrs, cfg->port,
	         m->gen.n_workers, master_dispatch_name(m));
	log_info("plugins: clock %s, estimator %s, from %s", cfg->clock.name,
	         cfg->estimator.name, cfg->plugin_dir);
	master_log_udp(m);
	if (m->ctl.path != NULL)
		log_info("control socket %s", m->ctl.path);
}


/* ---- the metrics process ---- */

#define METRICS_RESTART_NS 1000000000ull

/* In the child: keep only the metrics socket (as descriptor 3) and the
 * standard ones; the counters and statistics are shared mappings. */
static void master_metrics_child(struct master *m)
{
	struct metrics_source src = {
		.stats = m->stats, .ctr = m->ctr, .n_slots = MAX_SLOTS,
		.clock_plugin = m->gen.cfg->clock.name,
		.start_time_s = (double)m->started_realtime_ns / 1e9,
		.sync_enabled = m->gen.cfg->sync.enabled,
		.correction = m->correction, .sync_state = m->sync.state,
	};

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != m->pid)
		_exit(0);
	if (m->metrics_fd != 3 && dup2(m->metrics_fd, 3) != 3)
		_exit(1);
	close_range(4, ~0u, 0);
	log_reopen();
	privileges_drop_sys_time();
	proctitle_set("tsd: metrics");
	if (privileges_final() != 0)
		_exit(1);
	if (m->gen.cfg->server.seccomp &&
	    sandbox_enter(SANDBOX_METRICS, sandbox_needs(m->gen.cfg)) != 0)
		_exit(1);
	_exit(metrics_run(3, &src));
}

void master_metrics_spawn(struct master *m)
{
	pid_t pid;

	if (m->metrics_fd < 0 || m->metrics_pid > 0 || m->stopping)
		return;
	pid = fork();
	if (pid == 0)
		master_metrics_child(m);
	if (pid < 0) {
		log_err("fork (metrics): %s", strerror(errno));
		m->metrics_restart_ns = m->now_ns + METRICS_RESTART_NS;
		return;
	}
	m->metrics_pid = pid;
}

/* The running one goes; reap() forgets it, as it is no longer ours. */
void master_metrics_stop(struct master *m)
{
	if (m->metrics_pid > 0)
		kill(m->metrics_pid, SIGTERM);
	m->metrics_pid = 0;
}

void master_metrics_exited(struct master *m, int status)
{
	m->metrics_pid = 0;
	if (m->stopping)
		return;
	log_err("the metrics process %s; restarting it in 1 s",
	        WIFSIGNALED(status) ? "was killed" : "exited");
	m->metrics_restart_ns = m->now_ns + METRICS_RESTART_NS;
}

/* The socket cfg asks for: the one bound already when it is the same,
 * else a new one. 0 with *fd (-1: none), or -1 with a message. */
int master_metrics_socket_for(const struct master *m, const struct conf *cfg, int *fd,
                              char *err, size_t errlen)
{
	const char *want = cfg->ops.metrics_listen;

	*fd = -1;
	if (want == NULL)
		return 0;
	if (m->metrics_listen != NULL && strcmp(want, m->metrics_listen) == 0) {
		*fd = m->metrics_fd;
		return 0;
	}
	*fd = metrics_listen(want, err, errlen);
	return *fd >= 0 ? 0 : -1;
}

/* Switch to fd (from master_metrics_socket_for) and restart the process, so it
 * serves the new configuration's clock plugin name. */
void master_metrics_switch(struct master *m, const struct conf *cfg, int fd)
{
	master_metrics_stop(m);
	if (m->metrics_fd >= 0 && m->metrics_fd != fd)
		close(m->metrics_fd);
	m->metrics_fd = fd;
	free(m->metrics_listen);
	m->metrics_listen = fd >= 0 ? strdup(cfg->ops.metrics_listen) : NULL;
	master_metrics_spawn(m);
	if (fd >= 0)
		log_info("metrics at http://%s/metrics", cfg->ops.metrics_listen);
}
