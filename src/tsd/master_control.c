/* The master's side of the control socket: the answers to tsdctl's
 * status, sources and stats, and a reload that answers once the new
 * generation serves (or with the errors that refused it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/monotonic.h"
#include "tsd/control.h"
#include "tsd/ctl_out.h"
#include "tsd/master_state.h"
#include "tsd/status.h"

/* tsdctl reload waits this long for the new workers to serve. */
#define RELOAD_SERVE_TIMEOUT_NS 30000000000ull

static unsigned view_workers(const struct master *m, struct status_worker *out)
{
	unsigned i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++) {
		const struct slot *s = &m->slots[i];

		if (s->state != SLOT_RUNNING && s->state != SLOT_DRAINING)
			continue;
		out[n++] = (struct status_worker){ .pid = s->pid, .slot = i,
			.generation = s->generation, .restarts = s->restarts,
			.draining = s->state == SLOT_DRAINING };
	}
	return n;
}

static void answer_status(struct master *m, uint64_t id, const struct control_request *req)
{
	static struct status_worker workers[MAX_SLOTS];
	struct status_view v = {
		.cfg = m->gen.cfg, .config_path = m->config_path, .master_pid = m->pid,
		.started_realtime_ns = m->started_realtime_ns,
		.loaded_realtime_ns = m->loaded_realtime_ns,
		.uptime_ns = m->now_ns - m->started_ns, .dispatch = master_dispatch_name(m),
		.stats = m->stats, .ctr = m->ctr, .n_slots = MAX_SLOTS, .workers = workers,
	};
	struct ctl_out o;
	const char *body;

	v.n_workers = view_workers(m, workers);
	v.hw = &m->gen.hw;
	v.correction = m->correction;
	v.sync_state = m->sync.state;
	v.sync_pid = m->sync.pid;
	v.sync_given_up = m->sync.given_up;
	v.now_mono_ns = (int64_t)monotonic_now_ns();
	ctl_out_init(&o, req->json);
	status_write(&v, req->command, &o);
	body = ctl_out_finish(&o);
	if (body != NULL)
		control_reply(&m->ctl, id, CONTROL_OK, body, o.len, m->now_ns);
	else
		control_reply(&m->ctl, id, CONTROL_FAILED, "out of memory\n", 14, m->now_ns);
	ctl_out_free(&o);
}

/* Every message of a failed reload, one a line, as the log has them. */
static void answer_reload_failed(struct master *m, uint64_t id, const struct conf_errors *errs)
{
	struct ctl_out o;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.buf = NULL;
	for (i = 0; i < errs->count; i++)
		ctl_out_text_line(&o, errs->messages[i]);
	ctl_out_text_line(&o, "reload failed; the running configuration stays in service");
	if (o.buf != NULL && !o.failed)
		control_reply(&m->ctl, id, CONTROL_FAILED, o.buf, o.len, m->now_ns);
	else
		control_reply(&m->ctl, id, CONTROL_FAILED, "reload failed\n", 14, m->now_ns);
	ctl_out_free(&o);
}

static void control_reload(struct master *m, uint64_t id)
{
	struct conf_errors errs = { 0 };
	struct pending_reload *p = &m->pending;

	if (m->stopping) {
		control_reply(&m->ctl, id, CONTROL_FAILED, "tsd is stopping\n", 16, m->now_ns);
		return;
	}
	if (master_reload(m, &errs) != 0) {
		answer_reload_failed(m, id, &errs);
		conf_errors_free(&errs);
		return;
	}
	conf_errors_free(&errs);
	/* Earlier waiters now wait for this newer generation too. */
	p->ids[p->n++] = id;
	p->generation = m->gen.id;
	p->deadline_ns = m->now_ns + RELOAD_SERVE_TIMEOUT_NS;
}

void master_control_request(void *ctx, uint64_t id, const struct control_request *req)
{
	struct master *m = ctx;

	if (req->command == CONTROL_RELOAD)
		control_reload(m, id);
	else
		answer_status(m, id, req);
}

/* Every worker of the running generation has entered its loop. */
static int generation_serves(const struct master *m)
{
	unsigned i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++) {
		const struct slot *s = &m->slots[i];

		if (s->generation != m->gen.id || s->state == SLOT_FREE ||
		    s->state == SLOT_DRAINING)
			continue;
		if (s->state != SLOT_RUNNING || !m->ctr[i].ready)
			return 0;
		n++;
	}
	return n > 0;
}

void master_answer_pending_reloads(struct master *m)
{
	struct pending_reload *p = &m->pending;
	char text[160];
	int n;

	if (p->n == 0)
		return;
	if (generation_serves(m)) {
		n = snprintf(text, sizeof(text), "reloaded: generation %u serves with %u worker%s\n",
		             m->gen.id, m->gen.n_workers, m->gen.n_workers == 1 ? "" : "s");
		for (unsigned i = 0; i < p->n; i++)
			control_reply(&m->ctl, p->ids[i], CONTROL_OK, text, (size_t)n, m->now_ns);
	} else if (m->now_ns >= p->deadline_ns || m->stopping) {
		n = snprintf(text, sizeof(text), "generation %u was started but its workers did not "
		             "all serve within %llu s; see the log\n", m->gen.id,
		             (unsigned long long)(RELOAD_SERVE_TIMEOUT_NS / 1000000000u));
		for (unsigned i = 0; i < p->n; i++)
			control_reply(&m->ctl, p->ids[i], CONTROL_FAILED, text, (size_t)n, m->now_ns);
	} else {
		return;
	}
	p->n = 0;
}
