/* The worker event loop: accept (or receive handed-off) connections, drive
 * each through conn.c, expire deadlines, serve UDP, drain on SIGTERM. */
#include "common/conf.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/loader.h"
#include "common/log.h"
#include "common/monotonic.h"
#include "tsd/conn.h"
#include "tsd/deadline.h"
#include "tsd/handoff.h"
#include "tsd/hwclock.h"
#include "tsd/nts_ke_server.h"
#include "tsd/nts_udp.h"
#include "tsd/udp.h"
#include "tsd/privileges.h"
#include "tsd/sandbox.h"
#include "tsd/worker.h"

/* epoll tags below any pointer value; connections are tagged by pointer. */
#define TAG_SIGNAL 1u
#define TAG_HANDOFF 2u
#define TAG_LISTEN 16u                  /* + index */
#define TAG_UDP 64u                     /* + index */
#define TAG_NTS_LISTEN 96u              /* + index */
#define TAG_MAX 128u                    /* above: a conn, or an NTS-KE session | 1 */

#define EVENTS_PER_TURN 64
#define ACCEPTS_PER_EVENT 64
#define DRAIN_ACCEPTS_MAX 4096          /* a whole listen backlog */
#define ACCEPT_PAUSE_NS 100000000ull    /* out of descriptors: retry in 100 ms */
#define MAX_WAIT_MS 1000

struct worker {
	const struct worker_args *args;
	struct worker_counters *ctr;
	struct conn_env env;
	struct clock_source clock;
	int clock_open;
	struct udp_limiter *limiter;
	struct hwclock hwclock;         /* server.udp.hwtimestamp's PHCs (n 0: none) */
	struct deadline_heap heap;
	struct conn *conns;
	uint32_t max_conns;
	uint32_t used_hwm;              /* conns[0..used_hwm) have been touched */
	uint32_t active;
	struct conn *free_list;
	int epfd;
	int sigfd;
	int handoff_fd;
	int listen_fds[CONF_MAX_LISTEN];
	size_t n_listen;
	int udp_fds[CONF_MAX_LISTEN];
	size_t n_udp;
	int nts_listen_fds[CONF_MAX_LISTEN];
	size_t n_nts_listen;
	struct nts_ke_server *nts_ke;   /* NULL: NTS off */
	struct nts_udp nts_udp;
	int accepting;
	uint64_t accept_resume_ns;      /* 0: not paused */
	int draining;
	uint64_t now_ns;
	uint64_t clock_noted_ns;        /* when the served fields were last noted */
	int wait_cap_ms;                /* wake often enough for the watchdog */
	uint64_t nts_deadline_ns;       /* the oldest NTS-KE session's */
};

static int ep_add(int epfd, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- connections ---- */

static struct conn *conn_alloc(struct worker *w)
{
	struct conn *c = w->free_list;

	if (c != NULL) {
		w->free_list = c->next_free;
		return c;
	}
	if (w->used_hwm < w->max_conns)
		return &w->conns[w->used_hwm++];
	return NULL;
}

static void conn_close(struct worker *w, struct conn *c)
{
	/* A handed-off socket can still be open in the master for a moment (it
	 * closes its copy after sending); close() alone would then leave it in
	 * our epoll set, reporting events for a freed or reused conn. */
	if (w->args->handoff_fd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	deadline_heap_remove(&w->heap, c);
	close(c->fd);
	c->fd = -1;
	c->next_free = w->free_list;
	w->free_list = c;
	w->active--;
	w->ctr->active_connections = w->active;
}

static void conn_add(struct worker *w, int fd)
{
	struct conn *c;

	w->ctr->accepted++;
	c = w->active < w->max_conns ? conn_alloc(w) : NULL;
	if (c == NULL) {
		w->ctr->refused_overload++;
		close(fd);
		return;
	}
	conn_start(c, fd, &w->env, w->now_ns);
	if (ep_add(w->epfd, fd, EPOLLIN, (uint64_t)(uintptr_t)c) != 0) {
		close(fd);
		c->fd = -1;
		c->next_free = w->free_list;
		w->free_list = c;
		return;
	}
	deadline_heap_push(&w->heap, c);
	w->active++;
	w->ctr->active_connections = w->active;
}

/* Apply what conn.c decided: close, or watch for input or output. */
static void conn_apply(struct worker *w, struct conn *c, enum conn_next next, uint64_t old_deadline)
{
	struct epoll_event ev = { .data.u64 = (uint64_t)(uintptr_t)c };
	int want_out = next == CONN_WRITE;

	if (next == CONN_CLOSE) {
		conn_close(w, c);
		return;
	}
	if (want_out != c->polling_out) {
		ev.events = want_out ? EPOLLOUT : EPOLLIN;
		epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->polling_out = (uint8_t)want_out;
	}
	if (c->deadline_ns != old_deadline)
		deadline_heap_update(&w->heap, c);
}

static void conn_event(struct worker *w, struct conn *c, uint32_t events)
{
	uint64_t old_deadline = c->deadline_ns;
	enum conn_next next;

	if (c->fd < 0)
		return;                 /* closed earlier in this batch (drain) */
	if (c->polling_out && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		next = conn_on_writable(c, &w->env, w->now_ns);
	else if (!(events & (EPOLLIN | EPOLLHUP)) && conn_on_stamps(c))
		next = CONN_READ;       /* a transmit stamp, no request: no read */
	else
		next = conn_on_readable(c, &w->env, w->now_ns);
	conn_apply(w, c, next, old_deadline);
}

static void expire_deadlines(struct worker *w)
{
	struct conn *c;

	while ((c = deadline_heap_top(&w->heap)) != NULL && c->deadline_ns <= w->now_ns) {
		conn_on_deadline(c, &w->env);
		conn_close(w, c);
	}
}

/* ---- accepting ---- */

static void accept_watch(struct worker *w, int on)
{
	size_t i;
	struct epoll_event ev = { 0 };

	for (i = 0; i < w->n_listen; i++) {
		if (on)
			ep_add(w->epfd, w->listen_fds[i], EPOLLIN | EPOLLEXCLUSIVE, TAG_LISTEN + i);
		else
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listen_fds[i], &ev);
	}
	for (i = 0; i < w->n_nts_listen; i++) {
		if (on)
			ep_add(w->epfd, w->nts_listen_fds[i], EPOLLIN | EPOLLEXCLUSIVE, TAG_NTS_LISTEN + i);
		else
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->nts_listen_fds[i], &ev);
	}
	w->accepting = on;
}

/* Out of descriptors: stop polling the listening sockets for a moment
 * instead of spinning on a queue we cannot take from. */
static void accept_pause(struct worker *w, int err)
{
	w->ctr->accept_emfile++;
	log_ratelimited(LOG_WARNING, "accept: %s; pausing accepts for 100 ms", strerror(err));
	if (w->accepting)
		accept_watch(w, 0);
	w->accept_resume_ns = w->now_ns + ACCEPT_PAUSE_NS;
}

static void accept_ready(struct worker *w, int lfd, int max)
{
	int i, fd;

	for (i = 0; i < max; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_add(w, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			accept_pause(w, errno);
			return;
		}
		if (errno != ECONNABORTED && errno != EINTR && errno != EPROTO)
			return;                 /* EAGAIN: another worker took it */
	}
}

static void handoff_ready(struct worker *w)
{
	struct epoll_event ev = { 0 };
	int i, fd, r;

	for (i = 0; i < ACCEPTS_PER_EVENT; i++) {
		r = handoff_recv(w->handoff_fd, &fd);
		if (r == 1) {
			conn_add(w, fd);
			continue;
		}
		if (r < 0 && errno == EMFILE) {
			w->ctr->accept_emfile++;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* The master closed its end: nothing more will come. */
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->handoff_fd, &ev);
		close(w->handoff_fd);
		w->handoff_fd = -1;
		return;
	}
}

/* ---- stopping ---- */

/* take_queues (dispatch = "reuseport"): a socket of a worker position that
 * a reload removed closes with our copy, and the kernel resets what is still
 * queued on it then. So empty each queue right before its close: what is
 * accepted here is served like any connection of a draining worker, and
 * only a connection arriving in the instant between the last accept and the
 * close is lost. */
static void close_shared_fds(struct worker *w, int take_queues)
{
	struct epoll_event ev = { 0 };
	size_t i;

	/* The master and the other workers hold the same sockets, so closing
	 * our descriptor alone would leave them in our epoll set. */
	if (w->accepting)
		accept_watch(w, 0);
	for (i = 0; i < w->n_listen; i++) {
		if (take_queues)
			accept_ready(w, w->listen_fds[i], DRAIN_ACCEPTS_MAX);
		close(w->listen_fds[i]);
	}
	w->n_listen = 0;
	for (i = 0; i < w->n_nts_listen; i++)
		close(w->nts_listen_fds[i]);
	w->n_nts_listen = 0;
	w->accept_resume_ns = 0;
	for (i = 0; i < w->n_udp; i++) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->udp_fds[i], &ev);
		if (take_queues)
			udp_serve_ready(w->udp_fds[i], EPOLLIN | EPOLLERR, &w->clock, w->limiter,
			                w->ctr);
		close(w->udp_fds[i]);
	}
	w->n_udp = 0;
}

/* Stop taking new connections; close the idle ones; give the rest until
 * their request is answered. */
static void start_drain(struct worker *w)
{
	uint64_t first_request_by = w->now_ns + w->env.request_timeout_ns;
	uint32_t i;

	if (w->draining)
		return;
	w->draining = 1;
	w->env.draining = 1;
	/* Not while paused for lack of descriptors: accept would fail anyway. */
	close_shared_fds(w, w->args->own_sockets && w->accepting);
	for (i = 0; i < w->used_hwm; i++) {
		struct conn *c = &w->conns[i];

		if (c->fd < 0)
			continue;
		if (conn_is_idle(c)) {
			conn_finish(c);
			conn_close(w, c);
		} else if (!c->answered && c->deadline_ns > first_request_by) {
			c->deadline_ns = first_request_by;
			deadline_heap_update(&w->heap, c);
		}
	}
}

static void signal_ready(struct worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			start_drain(w);
		else if (si.ssi_signo == SIGUSR1)
			log_reopen();
	}
}

/* ---- the loop ---- */

static void handle_event(struct worker *w, const struct epoll_event *ev)
{
	uint64_t tag = ev->data.u64;

	/* A socket closed earlier in this batch (drain) may still report. */
	if (tag >= TAG_MAX && (tag & 1u) && w->nts_ke != NULL)
		nts_ke_event(w->nts_ke, tag, w->now_ns);
	else if (tag >= TAG_MAX)
		conn_event(w, (struct conn *)(uintptr_t)tag, ev->events);
	else if (tag >= TAG_NTS_LISTEN && tag - TAG_NTS_LISTEN < w->n_nts_listen)
		nts_ke_accept(w->nts_ke, w->nts_listen_fds[tag - TAG_NTS_LISTEN], w->now_ns);
	else if (tag >= TAG_UDP && tag - TAG_UDP < w->n_udp)
		udp_serve_ready(w->udp_fds[tag - TAG_UDP], ev->events, &w->clock, w->limiter,
		                w->ctr);
	else if (tag >= TAG_LISTEN && tag < TAG_UDP && tag - TAG_LISTEN < w->n_listen)
		accept_ready(w, w->listen_fds[tag - TAG_LISTEN], ACCEPTS_PER_EVENT);
	else if (tag == TAG_HANDOFF && w->handoff_fd >= 0)
		handoff_ready(w);
	else if (tag == TAG_SIGNAL)
		signal_ready(w);
}

static int wait_ms(const struct worker *w)
{
	const struct conn *c = deadline_heap_top(&w->heap);
	uint64_t next = UINT64_MAX, ms;

	if (c != NULL)
		next = c->deadline_ns;
	if (w->nts_ke != NULL && w->nts_deadline_ns < next)
		next = w->nts_deadline_ns;
	if (w->accept_resume_ns != 0 && w->accept_resume_ns < next)
		next = w->accept_resume_ns;
	if (next == UINT64_MAX)
		return w->wait_cap_ms;
	if (next <= w->now_ns)
		return 0;
	ms = (next - w->now_ns + 999999) / 1000000;
	return ms < (uint64_t)w->wait_cap_ms ? (int)ms : w->wait_cap_ms;
}

/* Once a second, idle or not: tsdctl status shows what is served now, and
 * a plugin that refreshes its fields without blocking (the realtime
 * clock's follow_chronyd) gets its turn. */
static void note_clock(struct worker *w)
{
	struct tsd_clock_info info;

	if (w->now_ns - w->clock_noted_ns < 1000000000u)
		return;
	w->clock_noted_ns = w->now_ns;
	if (clock_info(&w->clock, &info) == 0)
		counters_note_clock(w->ctr, &info);
}

static int worker_loop(struct worker *w)
{
	struct epoll_event events[EVENTS_PER_TURN];
	int i, n;

	for (;;) {
		if (w->draining && w->active == 0 && w->handoff_fd < 0 &&
		    (w->nts_ke == NULL || nts_ke_active(w->nts_ke) == 0))
			return 0;
		n = epoll_wait(w->epfd, events, EVENTS_PER_TURN, wait_ms(w));
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		w->now_ns = monotonic_now_ns();
		w->ctr->heartbeat_ns = w->now_ns;
		for (i = 0; i < n; i++)
			handle_event(w, &events[i]);
		expire_deadlines(w);
		note_clock(w);
		hwclock_tick(&w->hwclock, w->now_ns);
		hwclock_publish(&w->hwclock, w->ctr);
		if (w->nts_ke != NULL)
			w->nts_deadline_ns = nts_ke_expire(w->nts_ke, w->now_ns);
		if (w->accept_resume_ns != 0 && w->accept_resume_ns <= w->now_ns) {
			w->accept_resume_ns = 0;
			accept_watch(w, 1);
		}
	}
}

/* ---- start and end ---- */

static int open_signals(struct worker *w)
{
	sigset_t set;

	signal(SIGHUP, SIG_IGN);        /* reloads are the master's business */
	signal(SIGUSR2, SIG_IGN);       /* so are statistics (pkill -USR2 tsd) */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return w->sigfd;
}

static int open_clock(struct worker *w, const struct conf *cfg)
{
	struct conf_errors errs = { 0 };
	struct tsd_clock_info info;
	tsd_time_ns probe;
	struct timespec rt;
	size_t i;

	if (clock_source_open(&w->clock, cfg, &errs) != 0) {
		for (i = 0; i < errs.count; i++)
			log_err("%s", errs.messages[i]);
		conf_errors_free(&errs);
		return -1;
	}
	conf_errors_free(&errs);
	w->clock_open = 1;
	/* What it serves is known before the first request (tsdctl status). */
	if (clock_info(&w->clock, &info) == 0)
		counters_note_clock(w->ctr, &info);
	/* Kernel receive timestamps are CLOCK_REALTIME: usable only if the
	 * clock can convert them. */
	clock_gettime(CLOCK_REALTIME, &rt);
	w->env.kernel_rx_time = clock_from_realtime(&w->clock,
		(tsd_time_ns)rt.tv_sec * 1000000000 + rt.tv_nsec, &probe) == 0;
	return 0;
}

static void setup_env(struct worker *w, const struct conf *cfg)
{
	double wd_ms = cfg->server.watchdog_timeout * 1000.0 / 4.0;

	w->env.clock = &w->clock;
	w->env.ctr = w->ctr;
	w->env.request_timeout_ns = (uint64_t)(cfg->server.request_timeout * 1e9);
	w->env.idle_timeout_ns = (uint64_t)(cfg->server.idle_timeout * 1e9);
	/* watchdog_timeout = 0 turns the watchdog off: no need to wake for it. */
	if (wd_ms <= 0.0 || wd_ms > MAX_WAIT_MS)
		wd_ms = MAX_WAIT_MS;
	w->wait_cap_ms = wd_ms < 1.0 ? 1 : (int)wd_ms;
	w->max_conns = cfg->server.max_connections > 0 ? (uint32_t)cfg->server.max_connections : 1;
}

static int register_fds(struct worker *w)
{
	size_t i;

	if (ep_add(w->epfd, w->sigfd, EPOLLIN, TAG_SIGNAL) != 0)
		return -1;
	if (w->handoff_fd >= 0 && ep_add(w->epfd, w->handoff_fd, EPOLLIN, TAG_HANDOFF) != 0)
		return -1;
	for (i = 0; i < w->n_udp; i++)
		if (ep_add(w->epfd, w->udp_fds[i], EPOLLIN | EPOLLEXCLUSIVE, TAG_UDP + i) != 0)
			return -1;
	accept_watch(w, 1);
	return 0;
}

/* NTS-KE sessions count apart from connections, with the same cap and
 * request_timeout as their deadline for the whole exchange. */
static int start_nts(struct worker *w, const struct conf *cfg)
{
	const struct worker_args *a = w->args;

	w->nts_deadline_ns = UINT64_MAX;
	if (!cfg->server.nts.enable || a->nts_tls == NULL || a->nts_keys == NULL)
		return 0;
	w->nts_ke = nts_ke_server_new(a->nts_tls, a->nts_keys, w->epfd, w->max_conns,
	                              w->env.request_timeout_ns, cfg->server.udp.port, cfg->port,
	                              w->ctr);
	if (w->nts_ke == NULL)
		return -1;
	w->nts_udp.keys = a->nts_keys;
	w->env.nts = &w->nts_udp;               /* NTS over TCP: extended frames */
	if (w->limiter != NULL)
		udp_limiter_set_nts(w->limiter, &w->nts_udp);
	return 0;
}

static int worker_init(struct worker *w, const struct worker_args *a)
{
	const struct conf *cfg = a->cfg;

	w->args = a;
	w->ctr = a->ctr;
	w->handoff_fd = a->handoff_fd;
	for (w->n_listen = 0; w->n_listen < a->n_listen; w->n_listen++)
		w->listen_fds[w->n_listen] = a->listen_fds[w->n_listen];
	for (w->n_udp = 0; w->n_udp < a->n_udp; w->n_udp++)
		w->udp_fds[w->n_udp] = a->udp_fds[w->n_udp];
	for (w->n_nts_listen = 0; w->n_nts_listen < a->n_nts_listen; w->n_nts_listen++)
		w->nts_listen_fds[w->n_nts_listen] = a->nts_listen_fds[w->n_nts_listen];
	w->now_ns = monotonic_now_ns();
	w->ctr->heartbeat_ns = w->now_ns;
	setup_env(w, cfg);
	if (open_clock(w, cfg) != 0)
		return WORKER_EXIT_FATAL_CONFIG;
	/* From here every reading, T2, T3 and the fields served carry the
	 * sync process's correction (src/common/clock.c). */
	w->clock.correction = a->correction;
	if (w->n_udp > 0 &&
	    (w->limiter = udp_limiter_new(&cfg->server.udp, a->udp_table)) == NULL) {
		log_err("worker setup: the UDP rate limit: %s", strerror(errno));
		return 1;
	}
	hwclock_init(&w->hwclock, a->hwstamp);
	/* Without PHCs too: it counts the software stamps. */
	if (w->limiter != NULL)
		udp_limiter_set_hwclock(w->limiter, &w->hwclock);
	hwclock_tick(&w->hwclock, w->now_ns);   /* a fit before the first packet */
	w->conns = calloc(w->max_conns, sizeof(*w->conns));
	if (w->conns == NULL || deadline_heap_init(&w->heap, w->max_conns) != 0)
		return 1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd >= 0 && start_nts(w, cfg) != 0)
		return 1;
	if (w->epfd < 0 || open_signals(w) < 0 || register_fds(w) != 0) {
		log_err("worker setup: %s", strerror(errno));
		return 1;
	}
	return 0;
}

static void worker_fini(struct worker *w)
{
	uint32_t i;

	for (i = 0; i < w->used_hwm; i++)
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
	close_shared_fds(w, 0);
	if (w->handoff_fd >= 0)
		close(w->handoff_fd);
	if (w->sigfd >= 0)
		close(w->sigfd);
	if (w->epfd >= 0)
		close(w->epfd);
	deadline_heap_free(&w->heap);
	free(w->conns);
	if (w->limiter != NULL)
		udp_limiter_free(w->limiter);
	hwclock_publish(&w->hwclock, w->ctr);
	hwclock_log_summary(&w->hwclock);
	hwclock_fini(&w->hwclock);
	nts_ke_server_free(w->nts_ke);
	explicit_bzero(&w->nts_udp, sizeof(w->nts_udp));
	loader_exiting();
	if (w->clock_open)
		clock_source_close(&w->clock);
}

int worker_run(const struct worker_args *args)
{
	struct worker w;
	int status;

	memset(&w, 0, sizeof(w));
	w.epfd = -1;
	w.sigfd = -1;
	if (privileges_final() != 0)
		return WORKER_EXIT_FATAL_CONFIG;
	/* Leave with the master: a worker must never outlive it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != args->master_pid)
		return 0;
	status = worker_init(&w, args);
	/* Everything is open: from here only the calls of serving. */
	if (status == 0 && args->cfg->server.seccomp &&
	    sandbox_enter(SANDBOX_WORKER, sandbox_needs(args->cfg)) != 0)
		status = WORKER_EXIT_FATAL_CONFIG;
	if (status == 0) {
		w.ctr->ready = 1;
		status = worker_loop(&w);
	}
	worker_fini(&w);
	return status;
}
