/* The master: fork the workers of the current generation, then supervise:
 * reap and respawn (throttled), watchdog, reload on SIGHUP, stop on SIGTERM.
 * In dispatch = "reuseport" it holds every worker's own sockets, so a crash
 * loses none; "handoff" passes connections on through dispatcher.c. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/conf.h"
#include "common/correction.h"
#include "common/log.h"
#include "common/monotonic.h"
#include "tsd/clockshare.h"
#include "tsd/control.h"
#include "tsd/counters.h"
#include "tsd/dispatcher.h"
#include "tsd/fdlimit.h"
#include "tsd/generation.h"
#include "tsd/master.h"
#include "tsd/master_state.h"
#include "tsd/privileges.h"
#include "tsd/nts_keys.h"
#include "tsd/proctitle.h"
#include "tsd/stats.h"
#include "tsd/sync_child.h"
#include "tsd/sync_state.h"
#include "tsd/throttle.h"
#include "tsd/worker.h"

/* The configuration's watchdog floor is ten of these. */
#define TICK_MS CONF_MASTER_TICK_MS
#define STATS_LOG_INTERVAL_NS 1000000000ull
_Static_assert(CONF_MIN_WATCHDOG_MS >= 10 * TICK_MS, "the watchdog floor is ten ticks");
#define TAG_SIGNAL 1u                   /* below DISPATCHER_TAG_LISTEN */
#define TAG_CONTROL 2u

static uint64_t realtime_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t seconds_ns(double s)
{
	return s <= 0.0 ? 0 : (uint64_t)(s * 1e9);
}

static void notify_systemd(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void log_errors(const struct conf_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->count; i++)
		log_err("%s", errs->messages[i]);
}

const char *master_dispatch_name(const struct master *m)
{
	return m->gen.reuseport ? "reuseport" : master_is_handoff(m) ? "handoff" : "accept";
}

/* ---- stopping workers ---- */

/* Tell a worker to finish what it holds and exit; SIGKILL at the deadline. */
static void retire(struct master *m, unsigned i, uint64_t grace_ns)
{
	struct slot *s = &m->slots[i];

	if (s->state == SLOT_RESPAWN) {
		s->state = SLOT_FREE;
		return;
	}
	if (s->state == SLOT_FREE || s->pid <= 0)
		return;
	/* Closing our end first lets a handoff worker take every descriptor
	 * already in flight before it sees the end. */
	dispatcher_close_peer(&m->dispatcher, i);
	if (s->state != SLOT_DRAINING || m->now_ns + grace_ns < s->kill_at_ns)
		s->kill_at_ns = m->now_ns + grace_ns;
	s->state = SLOT_DRAINING;
	kill(s->pid, SIGTERM);
}

static void retire_old_generations(struct master *m)
{
	uint64_t grace_ns = seconds_ns(m->gen.cfg->server.shutdown_timeout);
	unsigned i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].generation != m->gen.id)
			retire(m, i, grace_ns);
}

/* ---- reaping and respawning ---- */

static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static int current_workers_alive(const struct master *m)
{
	unsigned i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].generation == m->gen.id &&
		    (m->slots[i].state == SLOT_RUNNING || m->slots[i].state == SLOT_RESPAWN))
			return 1;
	return 0;
}

static void begin_stop(struct master *m, int status);

static void worker_exited(struct master *m, unsigned i, int status)
{
	struct slot *s = &m->slots[i];
	char how[96];

	stats_retire(m->stats, &m->ctr[i]);
	dispatcher_close_peer(&m->dispatcher, i);
	if (s->state != SLOT_RUNNING || m->stopping) {
		s->state = SLOT_FREE;
		return;
	}
	describe_exit(status, how, sizeof(how));
	if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_FATAL_CONFIG) {
		log_err("worker %d %s (configuration error): not restarted", (int)s->pid, how);
		s->state = SLOT_FREE;
		if (!current_workers_alive(m))
			begin_stop(m, 1);
		return;
	}
	throttle_crash(&m->throttle, m->now_ns);
	log_err("worker %d %s; restarting it%s", (int)s->pid, how,
	        throttle_next_ns(&m->throttle) > m->now_ns ? " after a back-off" : "");
	s->state = SLOT_RESPAWN;
	s->pid = 0;
}

static void reap(struct master *m)
{
	unsigned i;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (sync_child_exited(&m->sync, pid, status, m->now_ns))
			continue;
		if (pid == m->metrics_pid) {
			master_metrics_exited(m, status);
			continue;
		}
		for (i = 0; i < MAX_SLOTS; i++) {
			if (m->slots[i].pid == pid && m->slots[i].state != SLOT_FREE) {
				worker_exited(m, i, status);
				break;
			}
		}
	}
}

/* Restart as many crashed workers as the throttle gives: all when calm, one
 * probe at a time in a crash loop. A failed fork counts as a crash and ends
 * the round, so a fork that keeps failing backs off too. */
static void respawn(struct master *m)
{
	unsigned i, n;

	if (m->stopping)
		return;
	n = throttle_take(&m->throttle, m->now_ns, master_count_slots(m, SLOT_RESPAWN));
	for (i = 0; i < MAX_SLOTS && n > 0; i++) {
		if (m->slots[i].state != SLOT_RESPAWN)
			continue;
		unsigned restarts = m->slots[i].restarts + 1;

		n--;
		if (master_spawn(m, i, m->slots[i].shard) != 0) {
			throttle_crash(&m->throttle, m->now_ns);
			return;
		}
		m->slots[i].restarts = restarts;
		stats_write_begin(m->stats);
		m->stats->worker_restarts++;
		stats_write_end(m->stats);
	}
}

/* Every tick: respawns that are due, the watchdog, drain deadlines. */
static void supervise(struct master *m)
{
	uint64_t watchdog_ns = seconds_ns(m->gen.cfg->server.watchdog_timeout);
	unsigned i;

	respawn(m);
	master_tick_sync(m);
	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &m->slots[i];
		uint64_t beat = m->ctr[i].heartbeat_ns;

		if (s->state == SLOT_DRAINING && s->kill_at_ns <= m->now_ns) {
			kill(s->pid, SIGKILL);
		} else if (s->state == SLOT_RUNNING && watchdog_ns > 0 &&
		           beat + watchdog_ns < m->now_ns) {
			log_err("worker %d has not returned to its event loop for %.1f s; killing it",
			        (int)s->pid, (double)(m->now_ns - beat) / 1e9);
			kill(s->pid, SIGKILL);
		}
	}
	if (!m->stopping)
		dispatcher_tick(&m->dispatcher, m->now_ns);
	if (m->gen.cfg->server.nts.enable)
		nts_keys_tick(m->nts_keys, &m->gen.cfg->server.nts, m->now_ns);
	control_tick(&m->ctl, m->now_ns);
	master_answer_pending_reloads(m);
	if (m->metrics_pid == 0 && m->metrics_restart_ns <= m->now_ns)
		master_metrics_spawn(m);
}

/* The cookie keys for cfg, before its workers start. 0, or -1 logged. */
static int load_nts_keys(struct master *m, const struct conf *cfg)
{
	char err[512];

	if (!cfg->server.nts.enable)
		return 0;
	if (nts_keys_load(m->nts_keys, &cfg->server.nts, m->now_ns, err, sizeof(err)) != 0) {
		log_err("server.nts: %s", err);
		return -1;
	}
	return 0;
}

/* ---- reload and stop ---- */

/* The errors go to the log and stay in errs for the caller. */
static struct conf *load_config(const char *path, struct conf_errors *errs)
{
	struct conf *cfg = generation_load_config(path, errs);

	log_errors(errs);
	return cfg;
}

static void notify_reloading(void)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)(monotonic_now_ns() / 1000));
	notify_systemd(msg);
}

/* Build the next generation completely before touching the running one. */
/* An error for the log and for the tsdctl that asked. */
static void reload_error(struct conf_errors *errs, const char *text)
{
	log_err("%s", text);
	conf_error(errs, NULL, 0, "%s", text);
}

static void note_reload(struct master *m, int ok)
{
	stats_write_begin(m->stats);
	if (ok)
		m->stats->reloads++;
	else
		m->stats->reloads_failed++;
	m->stats->generation = m->gen.id;
	stats_write_end(m->stats);
}

/* Settings a reload cannot change: say so rather than ignore them. */
static void warn_restart_only(const struct master *m, const struct conf *next)
{
	const char *now = m->ctl.path != NULL ? m->ctl.path : "";

	if (strcmp(now, next->ops.control_socket) != 0 && !(now[0] == '\0' &&
	    strcmp(next->ops.control_socket, TSD_CONTROL_SOCKET) == 0))
		log_warn("control.socket changed to \"%s\": it takes effect when tsd restarts",
		         next->ops.control_socket);
}

/* Build the next generation completely before touching the running one.
 * 0, or -1 with every reason in errs (also logged). */
int master_reload(struct master *m, struct conf_errors *errs)
{
	struct generation next;
	struct conf *cfg;
	char err[512];
	int metrics_fd;

	notify_reloading();
	log_info("reloading the configuration");
	cfg = load_config(m->config_path, errs);
	if (cfg == NULL)
		goto keep;
	if (generation_open(&next, cfg, &m->gen, err, sizeof(err)) != 0) {
		reload_error(errs, err);
		generation_free_config(cfg);
		goto keep;
	}
	if (load_nts_keys(m, cfg) != 0) {
		reload_error(errs, "server.nts: the cookie keys could not be loaded (see the log)");
		generation_free(&next);
		goto keep;
	}
	if (master_count_slots(m, SLOT_FREE) < next.n_workers) {
		reload_error(errs, "too many workers still draining from earlier reloads");
		generation_free(&next);
		goto keep;
	}
	if (master_metrics_socket_for(m, cfg, &metrics_fd, err, sizeof(err)) != 0) {
		reload_error(errs, err);
		generation_free(&next);
		goto keep;
	}
	warn_restart_only(m, cfg);
	dispatcher_watch(&m->dispatcher, 0);
	sync_child_reload(&m->sync, m->gen.cfg, next.cfg, m->correction, m->now_ns);
	generation_free(&m->gen);
	m->gen = next;
	log_set_target(cfg->server.log_syslog ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR);
	/* Before the fork: the new workers inherit the limit. */
	fdlimit_raise(cfg->server.max_connections, FDLIMIT_ON_RELOAD);
	if (master_spawn_generation(m) != 0)
		log_err("could not start every worker of the new configuration");
	retire_old_generations(m);
	dispatcher_watch(&m->dispatcher, 1);
	m->loaded_realtime_ns = realtime_now_ns();
	note_reload(m, 1);
	master_log_serving(m, "configuration reloaded");
	master_metrics_switch(m, cfg, metrics_fd);
	notify_systemd("READY=1");
	return 0;
keep:
	/* The failed generation may have re-aimed the kept UDP sockets. */
	if (generation_apply_balance(&m->gen, err, sizeof(err)) != 0)
		log_err("%s", err);
	generation_apply_hwstamp(&m->gen);
	note_reload(m, 0);
	log_err("reload failed; the running configuration stays in service");
	notify_systemd("READY=1");
	return -1;
}

/* ---- the control socket ---- */

/* Close the listeners first so the port is free at once, then let every
 * worker finish within shutdown_timeout. */
static void begin_stop(struct master *m, int status)
{
	uint64_t grace_ns = seconds_ns(m->gen.cfg->server.shutdown_timeout);
	unsigned i;

	if (m->stopping)
		return;
	m->stopping = 1;
	m->exit_status = status;
	notify_systemd("STOPPING=1");
	master_metrics_stop(m);
	dispatcher_watch(&m->dispatcher, 0);
	generation_close_sockets(&m->gen);
	for (i = 0; i < MAX_SLOTS; i++)
		retire(m, i, grace_ns);
	sync_child_stop(&m->sync, m->now_ns, grace_ns);
}

static void forward_signal(const struct master *m, int sig)
{
	unsigned i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].pid > 0 && m->slots[i].state != SLOT_FREE)
			kill(m->slots[i].pid, sig);
}

/* At most once a second: a SIGUSR2 loop from anyone who may signal the
 * master must not flood the log (470,511 lines in one second before). A
 * request that comes sooner is answered by one later log, at the tick. */
static void log_statistics(struct master *m)
{
	if (m->stats_logged_ns != 0 && m->now_ns - m->stats_logged_ns < STATS_LOG_INTERVAL_NS) {
		m->stats_deferred++;
		return;
	}
	if (m->stats_deferred > 1)
		log_info("statistics: %u requests of the last second answered by these lines",
		         m->stats_deferred);
	m->stats_deferred = 0;
	m->stats_logged_ns = m->now_ns;
	stats_log(m->stats, m->ctr, MAX_SLOTS);
}

static void log_deferred_statistics(struct master *m)
{
	if (m->stats_deferred > 0 && m->now_ns - m->stats_logged_ns >= STATS_LOG_INTERVAL_NS)
		log_statistics(m);
}

static void signal_ready(struct master *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(m);
			break;
		case SIGHUP:
			if (!m->stopping) {
				struct conf_errors errs = { 0 };

				master_reload(m, &errs);
				conf_errors_free(&errs);
			}
			break;
		case SIGTERM:
		case SIGINT:
			log_info("stopping");
			begin_stop(m, 0);
			break;
		case SIGUSR1:
			log_reopen();
			forward_signal(m, SIGUSR1);
			break;
		case SIGUSR2:
			log_statistics(m);
			break;
		default:
			break;
		}
	}
}

/* ---- the loop ---- */

static int any_worker(const struct master *m)
{
	unsigned i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].state != SLOT_FREE)
			return 1;
	return 0;
}

/* The tick, or sooner when the throttle lets a waiting worker restart. */
static int wait_ms(const struct master *m)
{
	uint64_t next = m->now_ns + TICK_MS * 1000000ull;
	uint64_t restart_ns;

	if (!m->stopping && master_count_slots(m, SLOT_RESPAWN) > 0) {
		restart_ns = throttle_next_ns(&m->throttle);
		if (restart_ns < next)
			next = restart_ns;
	}
	return next <= m->now_ns ? 0 : (int)((next - m->now_ns + 999999) / 1000000);
}

static int master_loop(struct master *m)
{
	struct epoll_event events[16];
	int i, n;

	while (!m->stopping || any_worker(m) || m->sync.pid > 0) {
		n = epoll_wait(m->epfd, events, 16, wait_ms(m));
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		m->now_ns = monotonic_now_ns();
		for (i = 0; i < n; i++) {
			if (events[i].data.u64 == TAG_SIGNAL)
				signal_ready(m);
			else if (events[i].data.u64 == TAG_CONTROL)
				control_event(&m->ctl, m->now_ns);
			else
				dispatcher_event(&m->dispatcher, events[i].data.u64, m->now_ns);
		}
		supervise(m);
		log_deferred_statistics(m);
	}
	return m->exit_status;
}

/* ---- start ---- */

static int open_signals(struct master *m)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_SIGNAL };
	sigset_t set;

	/* Replies go out with MSG_NOSIGNAL; a stray SIGPIPE must not kill. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->sigfd < 0 || m->epfd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->sigfd, &ev) != 0) {
		log_err("signal setup: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The group that may use the control socket: server.user's, else ours. */
static gid_t control_group(const struct conf *cfg)
{
	const struct passwd *pw;

	if (cfg->server.user == NULL || cfg->server.user[0] == '\0')
		return getegid();
	pw = getpwnam(cfg->server.user);
	return pw != NULL ? pw->pw_gid : getegid();
}

/* The compiled-in socket is optional (its directory may not exist when tsd
 * runs by hand); one the configuration names must work. */
static int open_control(struct master *m, const struct conf *cfg)
{
	const char *path = cfg->ops.control_socket;
	char err[256];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_CONTROL };

	if (path[0] == '\0')
		return 0;
	if (control_open(&m->ctl, path, control_group(cfg), err, sizeof(err)) != 0) {
		if (strcmp(path, TSD_CONTROL_SOCKET) != 0) {
			log_err("%s", err);
			return -1;
		}
		log_warn("%s; tsdctl cannot reach this tsd (set control.socket)", err);
		return 0;
	}
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, control_poll_fd(&m->ctl), &ev) != 0) {
		log_err("control socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int master_start(struct master *m, struct conf *cfg)
{
	char err[512];

	if (open_signals(m) != 0)
		return -1;
	m->ctr = counters_create(MAX_SLOTS);
	m->correction = correction_create();
	m->stats = stats_create();
	m->sync.state = sync_state_create();
	if (m->ctr == NULL || m->correction == NULL || m->stats == NULL ||
	    m->sync.state == NULL) {
		log_err("cannot map the worker counters and the served correction");
		return -1;
	}
	m->nts_keys = nts_keys_create();
	if (m->nts_keys == NULL) {
		log_err("cannot map the NTS keys");
		return -1;
	}
	dispatcher_init(&m->dispatcher, &m->gen, m->epfd, m->ctr, m->peers, MAX_SLOTS);
	if (generation_open(&m->gen, cfg, NULL, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return -1;
	}
	if (open_control(m, cfg) != 0)
		return -1;
	if (master_metrics_socket_for(m, cfg, &m->metrics_fd, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return -1;
	}
	/* After the drop: the key file belongs to the user that rotates it. */
	if (privileges_drop(cfg->server.user) != 0 || load_nts_keys(m, cfg) != 0)
		return -1;
	proctitle_set("tsd: master");
	m->stats->generation = m->gen.id;
	m->loaded_realtime_ns = realtime_now_ns();
	if (master_spawn_generation(m) != 0)
		return -1;
	master_start_sync(m);
	dispatcher_watch(&m->dispatcher, 1);
	master_log_serving(m, "started");
	master_metrics_switch(m, cfg, m->metrics_fd);
	notify_systemd("READY=1");
	return 0;
}

/* Start-up failed, perhaps after some workers were forked: take them down. */
static void abort_start(struct master *m)
{
	unsigned i;

	for (i = 0; i < MAX_SLOTS; i++) {
		if (m->slots[i].pid <= 0)
			continue;
		kill(m->slots[i].pid, SIGKILL);
		waitpid(m->slots[i].pid, NULL, 0);
		m->slots[i].state = SLOT_FREE;
	}
	if (m->sync.pid > 0) {
		kill(m->sync.pid, SIGKILL);
		waitpid(m->sync.pid, NULL, 0);
		m->sync.pid = 0;
	}
}

static void master_cleanup(struct master *m)
{
	dispatcher_close_peers(&m->dispatcher);
	control_close(&m->ctl, 1);
	master_metrics_stop(m);
	if (m->metrics_fd >= 0)
		close(m->metrics_fd);
	free(m->metrics_listen);
	generation_free(&m->gen);
	counters_destroy(m->ctr, MAX_SLOTS);
	stats_destroy(m->stats);
	correction_destroy(m->correction);
	sync_state_destroy(m->sync.state);
	nts_keys_destroy(m->nts_keys);
	if (m->sigfd >= 0)
		close(m->sigfd);
	if (m->epfd >= 0)
		close(m->epfd);
}

int master_run(struct conf *cfg, const char *config_path)
{
	static struct master m;
	int status = 1;

	memset(&m, 0, sizeof(m));
	m.config_path = config_path;
	m.pid = getpid();
	m.sigfd = -1;
	m.epfd = -1;
	m.metrics_fd = -1;
	m.now_ns = monotonic_now_ns();
	m.started_ns = m.now_ns;
	m.started_realtime_ns = realtime_now_ns();
	control_init(&m.ctl, master_control_request, &m);
	clockshare_setup();
	if (master_start(&m, cfg) == 0)
		status = master_loop(&m);
	else
		abort_start(&m);
	if (m.gen.cfg == NULL)
		generation_free_config(cfg);
	master_cleanup(&m);
	return status;
}
