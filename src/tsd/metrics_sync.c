/* The sync engine's metrics: the correction served and the sync state
 * (sync_state.h), read through their seqlocks and checked. Per-source
 * metrics only while the sync process runs: a dead one's numbers go
 * stale, and Prometheus marks what disappears as such. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>

#include "common/monotonic.h"
#include "tsd/metrics_text.h"
#include "tsd/sync_state.h"

#define LABELS_LEN 320

static void gauge(struct metrics_page *p, const char *name, const char *help_text, double v)
{
	metrics_help(p, name, "gauge", help_text);
	metrics_line(p, "%s %.9g", name, v);
}

static void overall(struct metrics_page *p, enum sync_overall now, int running)
{
	static const enum sync_overall all[] = { SYNC_UNSYNCHRONIZED, SYNC_SYNCHRONIZED,
	                                         SYNC_HOLDOVER };

	gauge(p, "tsd_sync_running", "1 while the sync process runs and publishes its state.",
	      running);
	gauge(p, "tsd_sync_synchronized", "1 while the time served is synchronized to a source.",
	      now == SYNC_SYNCHRONIZED);
	metrics_help(p, "tsd_sync_state", "gauge",
	             "The sync state: 1 for the current one of unsynchronized, synchronized, "
	             "holdover.");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		metrics_line(p, "tsd_sync_state{state=\"%s\"} %d", sync_overall_name(all[i]),
		             all[i] == now);
}

static void correction_metrics(struct metrics_page *p, const struct correction_params *c,
                               int64_t mono_ns)
{
	int64_t since = mono_ns - c->ref_mono_ns;

	metrics_help(p, "tsd_sync_updates_total", "counter",
	             "Updates of the served correction by the sync process.");
	metrics_line(p, "tsd_sync_updates_total %llu", (unsigned long long)c->updates);
	if (!c->synced)
		return;
	gauge(p, "tsd_sync_correction_seconds",
	      "The correction served: served time minus this machine's clock.",
	      (double)correction_offset_ns(c, c->ref_raw_ns + (since > 0 ? since : 0)) / 1e9);
	gauge(p, "tsd_sync_last_update_age_seconds", "Time since the last update.",
	      (double)(since > 0 ? since : 0) / 1e9);
}

static void engine(struct metrics_page *p, const struct sync_state *st)
{
	gauge(p, "tsd_sync_offset_seconds",
	      "Offset of the sources from the time served at the last update.", st->last_offset_s);
	gauge(p, "tsd_sync_frequency_ratio",
	      "Frequency of the time served relative to this machine's clock (1e-6 = 1 ppm).",
	      st->freq);
	gauge(p, "tsd_sync_residual_rms_seconds",
	      "RMS residual of the discipline's regression.", st->rms_s);
	gauge(p, "tsd_sync_poll_seconds", "The discipline's poll interval.", st->poll_s);
}

struct per_source {
	const char *name, *type, *help;
	double (*value)(const struct sync_state_source *s);
	int needs_point;
};

static double offset(const struct sync_state_source *s) { return s->served_offset_s; }
static double clock_offset(const struct sync_state_source *s) { return s->offset_s; }
static double delay(const struct sync_state_source *s) { return s->delay_s; }
static double jitter(const struct sync_state_source *s) { return s->jitter_s; }
static double reachable(const struct sync_state_source *s) { return s->reach & 1; }
static double reach(const struct sync_state_source *s) { return s->reach; }
static double selected(const struct sync_state_source *s)
{
	return s->role == SYNC_ROLE_SELECTED;
}
static double stratum(const struct sync_state_source *s) { return s->stratum; }
static double poll(const struct sync_state_source *s) { return s->poll_s; }
static double polls(const struct sync_state_source *s) { return (double)s->polls; }
static double replies(const struct sync_state_source *s) { return (double)s->replies; }

static const struct per_source per_source[] = {
	{ "tsd_sync_source_offset_seconds", "gauge",
	  "Source minus the time served, at its last sample.", offset, 1 },
	{ "tsd_sync_source_clock_offset_seconds", "gauge",
	  "Source minus this machine's clock, at its last sample.", clock_offset, 1 },
	{ "tsd_sync_source_delay_seconds", "gauge", "Round-trip delay to the source.", delay, 1 },
	{ "tsd_sync_source_jitter_seconds", "gauge", "Jitter of the source's samples.", jitter, 1 },
	{ "tsd_sync_source_reachable", "gauge", "1 if the source answered its last poll.",
	  reachable, 0 },
	{ "tsd_sync_source_reach", "gauge", "The reach register: the last 8 polls, newest in bit 0.",
	  reach, 0 },
	{ "tsd_sync_source_selected", "gauge", "1 for the source whose fields are served.",
	  selected, 0 },
	{ "tsd_sync_source_stratum", "gauge", "The stratum the source reports (0: none yet).",
	  stratum, 0 },
	{ "tsd_sync_source_poll_seconds", "gauge", "The source's poll interval.", poll, 0 },
	{ "tsd_sync_polls_total", "counter", "Polls of the source by this sync process.",
	  polls, 0 },
	{ "tsd_sync_replies_total", "counter", "Polls the source answered.", replies, 0 },
};

static void source_labels(const struct sync_state_source *s, char *out, size_t len)
{
	char address[LABELS_LEN / 2];

	metrics_label_value(s->address, address, sizeof(address));
	snprintf(out, len, "source=\"%s\",protocol=\"%s\"", address,
	         sync_protocol_name(s->protocol));
}

static void sources(struct metrics_page *p, const struct sync_state *st)
{
	char labels[LABELS_LEN];

	for (size_t k = 0; k < sizeof(per_source) / sizeof(per_source[0]); k++) {
		const struct per_source *m = &per_source[k];

		metrics_help(p, m->name, m->type, m->help);
		for (uint32_t i = 0; i < st->n_sources; i++) {
			if (m->needs_point && !st->src[i].have_point)
				continue;
			source_labels(&st->src[i], labels, sizeof(labels));
			metrics_line(p, "%s{%s} %.9g", m->name, labels, m->value(&st->src[i]));
		}
	}
	metrics_help(p, "tsd_sync_source_state", "gauge",
	             "Why the source is used or not: 1 for its current state.");
	for (uint32_t i = 0; i < st->n_sources; i++) {
		source_labels(&st->src[i], labels, sizeof(labels));
		metrics_line(p, "tsd_sync_source_state{%s,state=\"%s\"} 1", labels,
		             sync_role_name(st->src[i].role));
	}
}

void metrics_sync(struct metrics_page *p, const struct metrics_source *src)
{
	int64_t now = (int64_t)monotonic_now_ns();
	struct correction_params corr;
	struct sync_state st;
	int have_corr = correction_read(src->correction, &corr) == 0;
	/* This process does not know the sync process's PID: a state that is
	 * fresh but whose writer is gone (killed) is not live either. */
	int live = sync_state_read(src->sync_state, &st) == SYNC_STATE_OK &&
	           sync_state_live(&st, now) &&
	           (kill((pid_t)st.writer_pid, 0) == 0 || errno == EPERM);

	overall(p, sync_state_overall(have_corr ? &corr : NULL, live ? &st : NULL, now), live);
	if (have_corr)
		correction_metrics(p, &corr, now);
	if (!live)
		return;
	engine(p, &st);
	sources(p, &st);
}
