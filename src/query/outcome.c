/* Each server's samples through the estimator plugin, then the NTP
 * selection across the servers that gave an estimate. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/plural.h"
#include "query/outcome.h"

const char *outcome_status_name(enum server_status s)
{
	switch (s) {
	case SERVER_SELECTED: return "selected";
	case SERVER_FALSETICKER: return "falseticker";
	case SERVER_UNREACHABLE: return "unreachable";
	case SERVER_UNSYNCED: return "unsynchronized";
	case SERVER_BAD_REPLY: return "bad_reply";
	case SERVER_NO_ESTIMATE: return "no_estimate";
	}
	return "unknown";
}

static enum server_status status_of(enum measure_status s)
{
	switch (s) {
	case MEASURE_OK: return SERVER_SELECTED;
	case MEASURE_UNSYNCED: return SERVER_UNSYNCED;
	case MEASURE_BAD_REPLY: return SERVER_BAD_REPLY;
	case MEASURE_UNREACHABLE: break;
	}
	return SERVER_UNREACHABLE;
}

/* Run one server's samples through the estimator. 0 with r->est set. */
static int estimate_server(struct server_result *r, struct estimator *est)
{
	const struct measurement *m = r->m;
	int rc;

	estimator_reset(est);
	for (size_t i = 0; i < m->n_samples; i++)
		if (estimator_add(est, &m->samples[i]) < 0)
			r->refused++;
	rc = estimator_estimate(est, &r->est);
	if (rc < 0) {
		r->status = SERVER_NO_ESTIMATE;
		snprintf(r->reason, sizeof(r->reason),
		         "the estimator gave no estimate from %zu %s (%zu refused)",
		         m->n_samples, plural(m->n_samples, "sample", "samples"), r->refused);
		return -1;
	}
	r->has_estimate = 1;
	r->distance_s = fmax(r->est.error_s, SELECT_MIN_DISTANCE_S);
	return 0;
}

static void mark_falsetickers(struct outcome *o, const struct select_candidate *c,
                              const size_t *idx, size_t k, int majority)
{
	for (size_t j = 0; j < k; j++) {
		struct server_result *r = &o->servers[idx[j]];

		if (majority && c[j].survivor)
			continue;
		r->status = SERVER_FALSETICKER;
		if (majority)
			snprintf(r->reason, sizeof(r->reason),
			         "offset %+.6f s is outside the majority's interval [%+.6f, %+.6f] s",
			         c[j].offset_s, o->sel.low_s, o->sel.high_s);
		else
			snprintf(r->reason, sizeof(r->reason),
			         "no majority of the %zu servers that answered agrees", k);
	}
}

/* The newest T4 among the survivors and the system peer's delay. */
static void system_peer(struct outcome *o, const size_t *idx)
{
	const struct server_result *best = &o->servers[idx[o->sel.best]];

	o->delay_s = best->est.delay_s;
	o->local_ns = 0;
	for (size_t i = 0; i < o->n_servers; i++) {
		const struct measurement *m = o->servers[i].m;

		if (o->servers[i].status == SERVER_SELECTED &&
		    m->samples[m->n_samples - 1].t4_ns > o->local_ns)
			o->local_ns = m->samples[m->n_samples - 1].t4_ns;
	}
}

int outcome_build(struct outcome *o, struct server_result *servers,
                  const struct measurement *m, size_t n, struct estimator *est)
{
	struct select_candidate *c = calloc(n ? n : 1, sizeof(*c));
	size_t *idx = calloc(n ? n : 1, sizeof(*idx));
	size_t k = 0;

	memset(servers, 0, n * sizeof(*servers));
	o->servers = servers;
	o->n_servers = n;
	o->synced = 0;
	if (c == NULL || idx == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		servers[i].m = &m[i];
		servers[i].status = status_of(m[i].status);
		snprintf(servers[i].reason, sizeof(servers[i].reason), "%s", m[i].why);
		if (servers[i].status != SERVER_SELECTED || estimate_server(&servers[i], est) < 0)
			continue;
		c[k] = (struct select_candidate){ servers[i].est.offset_s, servers[i].distance_s, 0 };
		idx[k++] = i;
	}
	o->synced = select_sources(c, k, &o->sel) == 0;
	mark_falsetickers(o, c, idx, k, o->synced);
	if (o->synced)
		system_peer(o, idx);
out:
	free(c);
	free(idx);
	return o->synced ? 0 : -1;
}
