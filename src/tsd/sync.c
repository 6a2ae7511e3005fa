/* The sync process: poll the sources when they are due, select and
 * combine them, run the discipline loop, publish the correction and the
 * hierarchy fields (or, with apply = "system", steer the clock through
 * steer.c and publish the fields alone), keep the drift file. It serves
 * nothing itself. */
#include "tsd/sync.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/estimator.h"
#include "common/loader.h"
#include "common/log.h"
#include "common/monotonic.h"
#include "query/select.h"
#include "tsd/discipline.h"
#include "tsd/driftfile.h"
#include "tsd/refid.h"
#include "tsd/sync_publish.h"
#include "tsd/sandbox.h"
#include "tsd/steer.h"
#include "tsd/sync_source.h"
#include "tsd/worker.h"

#define NS_PER_S 1000000000.0
/* The longest a poll of one source may take. */
#define MAX_TIMEOUT_S 2.0
/* Rewrite the drift file at most this often unless the frequency moved by
 * more than DRIFT_WRITE_PPM. */
#define DRIFT_WRITE_NS (3600 * 1000000000ull)
#define DRIFT_WRITE_PPM 1.0

static volatile sig_atomic_t stop_requested;

struct sync {
	const struct conf *cfg;
	struct correction_shared *shared;
	pid_t master_pid;
	struct clock_source clock;  /* raw: no correction attached */
	struct estimator est;
	int clock_open, est_open;
	struct sync_source sources[CONF_MAX_SYNC_SOURCES];
	size_t n_sources;
	struct discipline disc;
	struct measurement *scratch;
	int synced_logged;
	uint64_t drift_written_ns;
	double drift_written_ppm;
	int drift_ever_written;
	struct sync_state_shared *state_shared;
	struct sync_state view;     /* what operators see (sync_state.h) */
	struct refid_set own;       /* this server's addresses: the loop test */
	int64_t fed_raw_ns;        /* the newest point the discipline has had */
	struct steer steer;         /* apply = "system" */
	int steering;
	int exit_status;            /* set when the loop must end with it */
};

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void setup_signals(void)
{
	struct sigaction sa;
	sigset_t all;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;   /* no SA_RESTART: the sleep ends at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* The master blocks these for its signalfd; the child inherits that. */
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
}

/* ---- start ---- */

static void log_errors(struct conf_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		log_err("%s", errs->messages[i]);
	conf_errors_free(errs);
}

static int open_plugins(struct sync *s)
{
	struct conf_errors errs = { 0 };

	if (clock_source_open(&s->clock, s->cfg, &errs) != 0) {
		log_errors(&errs);
		return -1;
	}
	s->clock_open = 1;
	if (estimator_open(&s->est, s->cfg, NULL, &errs) != 0) {
		log_errors(&errs);
		return -1;
	}
	s->est_open = 1;
	conf_errors_free(&errs);
	return 0;
}

static int open_sources(struct sync *s)
{
	const struct conf_sync *sy = &s->cfg->sync;
	uint64_t now = monotonic_now_ns();

	for (size_t i = 0; i < sy->n_sources; i++) {
		if (sync_source_init(&s->sources[i], &sy->sources[i], s->cfg->port,
		                     sy->poll_min) != 0) {
			log_err("sync: source \"%s\" is not a host[:port]", sy->sources[i].address);
			return -1;
		}
		s->sources[i].nts_ca_file = s->cfg->client.nts_ca_file;
		s->sources[i].own = &s->own;
		sync_publish_name(&s->view, i, &sy->sources[i]);
		s->sources[i].next_poll_ns = now;
	}
	s->n_sources = sy->n_sources;
	return 0;
}

/* The frequency to start from: the drift file, else the correction in
 * force (an earlier sync process of this tsd), else none. Steering, the
 * clock's own: its frequency, and whether it is marked synchronised (by an
 * earlier steering sync process; a clock only served so far is not). */
static void start_discipline(struct sync *s, const struct tsd_clock_adjustment *clock)
{
	const struct conf_sync *sy = &s->cfg->sync;
	struct correction_params now;
	double ppm = 0, freq = 0;
	int started = 0;

	if (s->steering) {
		freq = clock->freq_ppm * 1e-6;
		started = clock->synced;
	} else if (correction_read(s->shared, &now) == 0 && now.synced) {
		freq = now.freq;
		started = 1;
	}
	if (sy->drift_file != NULL && driftfile_read(sy->drift_file, &ppm) == 0) {
		freq = ppm * 1e-6;
		log_info("sync: frequency %+.3f ppm from %s", ppm, sy->drift_file);
	}
	discipline_init(&s->disc, sy->poll_min, sy->poll_max, freq, started);
	s->drift_written_ppm = freq * 1e6;
}

/* A refusal from the clock, said once. Without the privilege nothing
 * changes until the operator grants it: the process ends with the status
 * the master does not restart (until a reload); any other error ends it
 * with 1, and the master restarts it, throttled. */
static int steer_failed(struct sync *s, const char *what, int rc)
{
	if (rc == -EPERM || rc == -EACCES) {
		log_err("sync: %s: the clock plugin '%s' may not adjust the clock (%s): "
		        "apply = \"system\" needs CAP_SYS_TIME in the sync process; see tsd(8), "
		        "CAPABILITIES", what, s->cfg->clock.name, strerror(-rc));
		return WORKER_EXIT_FATAL_CONFIG;
	}
	log_err("sync: %s: the clock plugin '%s' failed: %s", what, s->cfg->clock.name,
	        strerror(-rc));
	return 1;
}

/* Returns 0, or the status to exit with. */
static int sync_init(struct sync *s, const struct sync_args *args)
{
	struct tsd_clock_adjustment clock;
	int rc;

	memset(&clock, 0, sizeof(clock));
	s->cfg = args->cfg;
	s->shared = args->shared;
	s->master_pid = args->master_pid;
	s->state_shared = args->state;
	s->view.writer_pid = (int32_t)getpid();
	s->view.started_mono_ns = (int64_t)monotonic_now_ns();
	refid_own_set(&s->own, s->cfg->server.listen, s->cfg->server.n_listen);
	s->scratch = malloc(sizeof(*s->scratch));
	if (s->scratch == NULL) {
		log_err("sync: out of memory");
		return 1;
	}
	if (open_plugins(s) != 0 || open_sources(s) != 0)
		return WORKER_EXIT_FATAL_CONFIG;
	if (s->cfg->sync.apply == SYNC_APPLY_SYSTEM) {
		rc = steer_open(&s->steer, &s->clock, &clock);
		if (rc < 0)
			return steer_failed(s, "start", rc);
		s->steering = 1;
	}
	start_discipline(s, &clock);
	log_info("sync: following %zu source%s, poll %g..%g s, %s", s->n_sources,
	         s->n_sources == 1 ? "" : "s", s->cfg->sync.poll_min, s->cfg->sync.poll_max,
	         s->steering ? "steering the clock" : "serving a correction");
	return 0;
}

static void sync_fini(struct sync *s)
{
	loader_exiting();
	if (s->steering)
		steer_close(&s->steer);
	if (s->est_open)
		estimator_close(&s->est);
	if (s->clock_open)
		clock_source_close(&s->clock);
	free(s->scratch);
}

/* ---- one update ---- */

/* A point is usable while it is younger than a few of its polls. */
static int usable(const struct sync_source *src, uint64_t now_ns)
{
	double age_s = (double)(now_ns - src->point_mono_ns) / NS_PER_S;

	return src->state == SOURCE_OK && age_s <= 4 * fmax(src->poll_s, 1.0) + MAX_TIMEOUT_S;
}

/* Root distance of a source's point, as the selection weighs it. */
static double distance_s(const struct sync_source *src, uint64_t now_ns)
{
	double age_s = (double)(now_ns - src->point_mono_ns) / NS_PER_S;

	return src->root_delay_s / 2 + src->root_dispersion_s + src->delay_s / 2 +
	       src->error_s + CORRECTION_PHI * age_s + 1e-9;
}

struct chosen {
	struct select_result sel;
	struct sync_source *best;
	int64_t newest_raw_ns;
};

static int choose(struct sync *s, uint64_t now_ns, struct chosen *out)
{
	struct select_candidate c[CONF_MAX_SYNC_SOURCES];
	struct sync_source *map[CONF_MAX_SYNC_SOURCES] = { NULL };
	size_t n = 0;
	int ok;

	for (size_t i = 0; i < s->n_sources; i++) {
		if (!usable(&s->sources[i], now_ns))
			continue;
		map[n] = &s->sources[i];
		c[n] = (struct select_candidate){ s->sources[i].offset_s,
		                                  distance_s(&s->sources[i], now_ns), 0 };
		n++;
	}
	ok = select_sources(c, n, &out->sel) == 0;
	sync_publish_roles(&s->view, s->sources, s->n_sources, map, c, n, ok, ok ? out->sel.best : 0);
	if (!ok)
		return -1;
	out->best = map[out->sel.best];
	out->newest_raw_ns = 0;
	for (size_t i = 0; i < n; i++)
		if (c[i].survivor && map[i]->point_raw_ns > out->newest_raw_ns)
			out->newest_raw_ns = map[i]->point_raw_ns;
	return 0;
}

static void fill_fields(struct correction_params *p, const struct chosen *ch,
                        const struct discipline_result *r, int64_t now_raw_ns)
{
	const struct sync_source *b = ch->best;

	p->synced = 1;
	p->ref_mono_ns = (int64_t)monotonic_now_ns();
	p->leap = b->leap == TSD_LEAP_UNSYNC ? TSD_LEAP_NONE : b->leap;
	p->stratum = b->stratum + 1 > 15 ? 15 : b->stratum + 1;
	memcpy(p->refid, b->refid_served, 4);
	p->reference_ns = now_raw_ns + correction_offset_ns(p, now_raw_ns);
	p->root_delay_s = b->root_delay_s + b->delay_s;
	/* A slew leaves its phase to be corrected; a step leaves none. */
	p->root_dispersion_s = b->root_dispersion_s + r->error_s + ch->sel.jitter_s +
	                       (r->action == DISCIPLINE_SLEW ? fabs(r->phase_s) : 0);
	p->updates++;
}

static void keep_drift(struct sync *s)
{
	const char *path = s->cfg->sync.drift_file;
	double ppm = s->disc.freq * 1e6;
	uint64_t now = monotonic_now_ns();

	if (path == NULL || s->disc.n < 3)
		return;
	if (s->drift_ever_written && now - s->drift_written_ns < DRIFT_WRITE_NS &&
	    fabs(ppm - s->drift_written_ppm) < DRIFT_WRITE_PPM)
		return;
	if (driftfile_write(path, ppm) != 0) {
		log_ratelimited(LOG_ERR, "sync: cannot write %s: %s", path, strerror(errno));
		return;
	}
	s->drift_ever_written = 1;
	s->drift_written_ns = now;
	s->drift_written_ppm = ppm;
}

static void log_update(struct sync *s, const struct chosen *ch,
                       const struct discipline_result *r, const struct correction_params *p)
{
	if (r->action == DISCIPLINE_STEP)
		log_info("sync: stepped the %s by %+.6f s", s->steering ? "clock" : "served time",
		         r->phase_s);
	if (!s->synced_logged)
		log_info("sync: synchronised to %s, stratum %d, frequency %+.3f ppm",
		         ch->best->name, p->stratum, p->freq * 1e6);
	s->synced_logged = 1;
}

/* The correction in force and the raw clock now. With apply = "system"
 * it is what was done to the clock, and always counts as set: the clock
 * keeps its time, and the first update steps it only past the threshold. */
static int in_force(struct sync *s, struct correction_params *old,
                    struct tsd_clock_reading *now, uint64_t mono)
{
	if (clock_now(&s->clock, now) != 0)
		return -1;
	if (!s->steering)
		return correction_read(s->shared, old);
	steer_in_force(&s->steer, now->time_ns, mono, old);
	return 0;
}

/* apply = "system": the clock takes the correction; the workers serve it
 * as it is, so what they add is zero and only the fields are published. */
static int steer(struct sync *s, struct correction_params *next,
                 const struct discipline_result *r, int64_t now_raw_ns, uint64_t mono)
{
	int rc = steer_apply(&s->steer, next, r->action, now_raw_ns, mono);

	if (rc == 0)
		rc = steer_status(&s->steer, next, r->error_s);
	if (rc < 0) {
		s->exit_status = steer_failed(s, "update", rc);
		return -1;
	}
	next->offset_ns = 0;
	next->freq = 0;
	next->slew_s = 0;
	next->slew_rate = 0;
	return 0;
}

static void update(struct sync *s)
{
	struct correction_params old, next;
	struct discipline_result r;
	struct discipline_point pt;
	struct tsd_clock_reading now;
	struct chosen ch;
	uint64_t mono = monotonic_now_ns();

	if (choose(s, mono, &ch) != 0) {
		if (s->synced_logged)
			log_info("sync: no majority of the sources agrees; holding over");
		s->synced_logged = 0;
		return;
	}
	/* No source has a point newer than the last update's: nothing to learn
	 * (a dropped poll, or sources that stopped answering). */
	if (ch.newest_raw_ns <= s->fed_raw_ns)
		return;
	if (in_force(s, &old, &now, mono) != 0)
		return;
	s->fed_raw_ns = ch.newest_raw_ns;
	pt = (struct discipline_point){ ch.newest_raw_ns, ch.sel.offset_s,
	                                fmax(ch.sel.error_s, 1e-9) };
	discipline_update(&s->disc, &pt, &old, now.time_ns, &next, &r);
	log_debug("sync: point %+.6f s (error %.1f us), phase %+.1f us, %+.3f ppm, %zu points, "
	          "rms %.1f us, %s, poll %g s", pt.offset_s, pt.error_s * 1e6, r.phase_s * 1e6,
	          s->disc.freq * 1e6, s->disc.n, s->disc.rms_s * 1e6,
	          r.action == DISCIPLINE_STEP ? "step" : r.action == DISCIPLINE_SLEW ? "slew" : "held",
	          s->disc.poll_s);
	if (r.action == DISCIPLINE_NONE)
		return;
	s->view.last_offset_s = r.phase_s;
	fill_fields(&next, &ch, &r, now.time_ns);
	if (s->steering && steer(s, &next, &r, now.time_ns, mono) != 0)
		return;
	correction_publish(s->shared, &next);
	log_update(s, &ch, &r, &next);
	keep_drift(s);
}

/* ---- the loop ---- */

/* apply = "system": a slew ends on time, between polls too. */
static void steer_due(struct sync *s)
{
	int rc;

	if (!s->steering || s->exit_status != 0)
		return;
	rc = steer_tick(&s->steer, monotonic_now_ns());
	if (rc < 0)
		s->exit_status = steer_failed(s, "end of a slew", rc);
}

static double interval_s(const struct sync *s, const struct sync_source *src)
{
	return fmax(s->disc.poll_s, src->poll_s);
}

/* The sync state for tsdctl and the metrics: after every poll and every
 * turn of the loop, so that its age tells whether this process runs. */
static void publish_state(struct sync *s)
{
	struct correction_params corr;
	int have;

	if (s->state_shared == NULL)
		return;
	have = correction_read(s->shared, &corr) == 0;
	sync_publish_sources(&s->view, s->sources, s->n_sources, have ? &corr : NULL);
	s->view.freq = s->disc.freq;
	s->view.rms_s = s->disc.rms_s;
	s->view.poll_s = s->disc.poll_s;
	s->view.n_points = (uint32_t)s->disc.n;
	sync_state_publish(s->state_shared, &s->view);
}

/* Poll every source that is due; 1 if any was. */
static int poll_due(struct sync *s)
{
	double timeout = fmin(MAX_TIMEOUT_S, fmax(s->cfg->sync.poll_min, 0.2));
	int polled = 0;

	for (size_t i = 0; i < s->n_sources && !stop_requested; i++) {
		struct sync_source *src = &s->sources[i];

		if (src->next_poll_ns > monotonic_now_ns())
			continue;
		sync_source_poll(src, &s->clock, &s->est, timeout, s->cfg->sync.poll_max, s->scratch);
		sync_publish_polled(&s->view, i, src);
		publish_state(s);
		steer_due(s);
		src->next_poll_ns = monotonic_now_ns() + (uint64_t)(interval_s(s, src) * NS_PER_S);
		polled = 1;
	}
	return polled;
}

static void sleep_until_due(const struct sync *s)
{
	uint64_t next = s->steering ? steer_due_ns(&s->steer) : UINT64_MAX;
	uint64_t now = monotonic_now_ns();
	struct timespec ts;
	uint64_t wait;

	for (size_t i = 0; i < s->n_sources; i++)
		if (s->sources[i].next_poll_ns < next)
			next = s->sources[i].next_poll_ns;
	if (next <= now)
		return;
	/* At most a second, so the loop sees its master go. */
	wait = next - now < 1000000000ull ? next - now : 1000000000ull;
	ts.tv_sec = (time_t)(wait / 1000000000ull);
	ts.tv_nsec = (long)(wait % 1000000000ull);
	nanosleep(&ts, NULL);
}

static void sync_loop(struct sync *s)
{
	while (!stop_requested && s->exit_status == 0 && getppid() == s->master_pid) {
		if (poll_due(s))
			update(s);
		publish_state(s);
		steer_due(s);
		if (s->exit_status == 0)
			sleep_until_due(s);
	}
}

int sync_run(const struct sync_args *args)
{
	static struct sync s;
	int status = 0;

	memset(&s, 0, sizeof(s));
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	setup_signals();
	if (getppid() != args->master_pid)
		return 0;
	status = sync_init(&s, args);
	if (status == 0 && args->cfg->server.seccomp &&
	    sandbox_enter(SANDBOX_SYNC, sandbox_needs(args->cfg)) != 0)
		status = WORKER_EXIT_FATAL_CONFIG;
	if (status == 0) {
		sync_loop(&s);
		status = s.exit_status;
	}
	if (status == 0) {
		s.view.stopped = 1;
		publish_state(&s);
	}
	sync_fini(&s);
	return status;
}
