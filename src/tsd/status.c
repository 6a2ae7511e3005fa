/* The replies to tsdctl status, sources and stats. */
#include "config.h"

#include "tsd/status.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *status_leap_name(int leap)
{
	static const char *const names[] = { "none", "insert", "delete", "unsynchronized" };

	return leap >= 0 && leap <= 3 ? names[leap] : "unknown";
}

void status_refid_text(const char refid[4], char *buf, size_t len)
{
	int printable = 1;
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (refid[i] == '\0')
			break;
		if (refid[i] < 0x20 || refid[i] > 0x7e)
			printable = 0;
		n++;
	}
	if (printable)
		snprintf(buf, len, "%.*s", (int)n, refid);
	else
		snprintf(buf, len, "0x%02x%02x%02x%02x", (unsigned char)refid[0],
		         (unsigned char)refid[1], (unsigned char)refid[2], (unsigned char)refid[3]);
}

static void iso_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

int status_clock(const struct status_view *v, struct counters_clock *out)
{
	for (unsigned i = 0; i < v->n_workers; i++) {
		const struct worker_counters *c = &v->ctr[v->workers[i].slot];

		if (v->workers[i].draining || c->pid == 0 || !c->clock.valid)
			continue;
		*out = c->clock;
		return 1;
	}
	return 0;
}

static void write_clock(const struct status_view *v, struct ctl_out *o)
{
	struct counters_clock clk;
	char refid[16];

	ctl_out_object(o, "clock");
	ctl_out_str(o, "plugin", v->cfg->clock.name);
	if (status_clock(v, &clk)) {
		status_refid_text(clk.refid, refid, sizeof(refid));
		ctl_out_int(o, "stratum", clk.stratum);
		ctl_out_str(o, "leap", status_leap_name(clk.leap));
		ctl_out_str(o, "refid", refid);
		ctl_out_num(o, "root_delay_s", (double)clk.root_delay_ns / 1e9);
		ctl_out_num(o, "root_dispersion_s", (double)clk.root_dispersion_ns / 1e9);
	} else {
		/* No worker has read its clock yet (starting, or every one refused). */
		ctl_out_null(o, "stratum");
		ctl_out_null(o, "leap");
		ctl_out_null(o, "refid");
		ctl_out_null(o, "root_delay_s");
		ctl_out_null(o, "root_dispersion_s");
	}
	ctl_out_end(o);
}

static void write_workers(const struct status_view *v, struct ctl_out *o)
{
	ctl_out_array(o, "workers");
	for (unsigned i = 0; i < v->n_workers; i++) {
		const struct status_worker *w = &v->workers[i];
		const struct worker_counters *c = &v->ctr[w->slot];

		ctl_out_object(o, NULL);
		ctl_out_int(o, "pid", (long long)w->pid);
		ctl_out_uint(o, "generation", w->generation);
		ctl_out_str(o, "state", w->draining ? "draining" : "serving");
		ctl_out_uint(o, "connections", c->active_connections);
		ctl_out_uint(o, "exchanges", c->native_requests + c->text_requests + c->udp_served);
		ctl_out_uint(o, "restarts", w->restarts);
		ctl_out_end(o);
	}
	ctl_out_end(o);
}

static void write_exchanges(const struct worker_counters *t, struct ctl_out *o)
{
	ctl_out_object(o, "exchanges");
	ctl_out_uint(o, "tcp", t->native_requests);
	ctl_out_uint(o, "text", t->text_requests);
	ctl_out_uint(o, "udp", t->udp_served);
	ctl_out_uint(o, "nts", t->nts_udp_served);     /* authenticated UDP replies */
	ctl_out_uint(o, "nts_tcp", t->nts_tcp_served); /* authenticated TCP replies */
	ctl_out_end(o);
}

static void write_status(const struct status_view *v, const struct worker_counters *t,
                         struct ctl_out *o)
{
	char when[32];

	ctl_out_str(o, "version", PACKAGE_VERSION);
	ctl_out_int(o, "pid", (long long)v->master_pid);
	ctl_out_num(o, "uptime_s", (double)v->uptime_ns / 1e9);
	iso_time(v->started_realtime_ns, when, sizeof(when));
	ctl_out_str(o, "started", when);
	ctl_out_object(o, "config");
	if (v->config_path != NULL)
		ctl_out_str(o, "file", v->config_path);
	else
		ctl_out_str(o, "file", conf_default_path());
	ctl_out_bool(o, "read", v->cfg->path != NULL);
	iso_time(v->loaded_realtime_ns, when, sizeof(when));
	ctl_out_str(o, "loaded", when);
	ctl_out_uint(o, "generation", v->stats->generation);
	ctl_out_uint(o, "reloads", v->stats->reloads);
	ctl_out_uint(o, "reloads_failed", v->stats->reloads_failed);
	ctl_out_end(o);
	ctl_out_uint(o, "generation", v->stats->generation);
	ctl_out_str(o, "dispatch", v->dispatch);
	write_workers(v, o);
	write_clock(v, o);
	status_sync_write(v, o);
	write_exchanges(t, o);
}

/* Until a sync engine runs, the one source is this machine's clock plugin. */
static void write_sources(const struct status_view *v, struct ctl_out *o)
{
	struct counters_clock clk;
	char refid[16] = "";
	int have = status_clock(v, &clk);

	if (have)
		status_refid_text(clk.refid, refid, sizeof(refid));
	ctl_out_bool(o, "sync_engine", 0);
	ctl_out_array(o, "sources");
	ctl_out_object(o, NULL);
	ctl_out_str(o, "name", v->cfg->clock.name);
	ctl_out_str(o, "kind", "clock plugin");
	if (have) {
		ctl_out_int(o, "stratum", clk.stratum);
		ctl_out_str(o, "refid", refid);
		ctl_out_str(o, "leap", status_leap_name(clk.leap));
	}
	ctl_out_bool(o, "selected", 1);
	ctl_out_str(o, "why", "served directly: no sync engine runs");
	ctl_out_end(o);
	ctl_out_end(o);
}

static int has_hardware(const struct hwstamp *hw, const char *name)
{
	for (unsigned i = 0; hw != NULL && i < hw->n; i++)
		if (strcmp(hw->ifs[i].name, name) == 0)
			return 1;
	return 0;
}

static void write_interface(struct ctl_out *o, const char *name)
{
	ctl_out_object(o, NULL);
	ctl_out_str(o, "name", name);
	ctl_out_str(o, "source", "software");
	ctl_out_end(o);
}

/* A card's: its PHC, how it is read, and the link speed the master read
 * at start or reload (0: unknown, receive stamps left uncorrected). */
static void write_hardware(struct ctl_out *o, const struct hwstamp_if *e)
{
	char phc[32];

	snprintf(phc, sizeof(phc), "/dev/ptp%d", e->phc_index);
	ctl_out_object(o, NULL);
	ctl_out_str(o, "name", e->name);
	ctl_out_str(o, "source", "hardware");
	ctl_out_str(o, "phc", phc);
	ctl_out_str(o, "phc_read", phcread_name(e->phc_method));
	ctl_out_uint(o, "link_mbps", e->link_mbps);
	ctl_out_end(o);
}

/* "*": every interface the kernel lists now (one added since has no
 * hardware stamps either). */
static void write_listed(const struct hwstamp *hw, struct ctl_out *o)
{
	struct if_nameindex *all = if_nameindex();

	for (struct if_nameindex *p = all; p != NULL && p->if_index != 0 && p->if_name != NULL; p++)
		if (!has_hardware(hw, p->if_name))
			write_interface(o, p->if_name);
	if (all != NULL)
		if_freenameindex(all);
}

/* The interfaces server.udp.hwtimestamp names: the card's stamps and its
 * PHC, or software. Every interface not listed stamps in software. */
static void write_stamp_sources(const struct status_view *v, struct ctl_out *o)
{
	const struct conf_udp *u = &v->cfg->server.udp;

	ctl_out_array(o, "interfaces");
	for (unsigned i = 0; v->hw != NULL && i < v->hw->n; i++)
		write_hardware(o, &v->hw->ifs[i]);
	if (u->enable && u->n_hwtimestamp > 0 && strcmp(u->hwtimestamp[0], "*") == 0)
		write_listed(v->hw, o);
	else
		for (size_t i = 0; u->enable && i < u->n_hwtimestamp; i++)
			if (!has_hardware(v->hw, u->hwtimestamp[i]))
				write_interface(o, u->hwtimestamp[i]);
	ctl_out_end(o);
}

static void write_udp(const struct status_view *v, const struct worker_counters *t,
                      struct ctl_out *o)
{
	ctl_out_object(o, "udp");
	ctl_out_uint(o, "served", t->udp_served);
	ctl_out_uint(o, "dropped_invalid", t->udp_dropped);
	ctl_out_uint(o, "rate_limited", t->udp_limited);
	ctl_out_uint(o, "rate_limited_kod", t->udp_kod);
	ctl_out_object(o, "timestamps");
	ctl_out_uint(o, "hardware", t->udp_stamps_hardware);
	ctl_out_uint(o, "hardware_fallback", t->udp_stamps_fallback);
	ctl_out_uint(o, "software", t->udp_stamps_software);
	write_stamp_sources(v, o);
	ctl_out_end(o);
	ctl_out_end(o);
}

static void write_stats(const struct status_view *v, const struct worker_counters *t,
                        unsigned live, struct ctl_out *o)
{
	uint64_t p50 = counters_hist_quantile(t->proc_time_hist, 0.5);
	uint64_t p99 = counters_hist_quantile(t->proc_time_hist, 0.99);
	uint64_t replies = 0;

	for (unsigned i = 0; i < COUNTERS_HIST_BUCKETS; i++)
		replies += t->proc_time_hist[i];
	ctl_out_uint(o, "workers_running", live);
	ctl_out_uint(o, "workers_exited", v->stats->workers_retired);
	ctl_out_uint(o, "worker_restarts", v->stats->worker_restarts);
	ctl_out_uint(o, "connections_open", t->active_connections);
	ctl_out_uint(o, "clock_errors", t->clock_errors);
	write_exchanges(t, o);
	ctl_out_object(o, "tcp");
	ctl_out_uint(o, "accepted", t->accepted);
	ctl_out_uint(o, "refused_overload", t->refused_overload);
	ctl_out_uint(o, "closed_request_timeout", t->closed_request_timeout);
	ctl_out_uint(o, "closed_idle_timeout", t->closed_idle_timeout);
	ctl_out_uint(o, "closed_bad_request", t->closed_bad_request);
	ctl_out_uint(o, "closed_error", t->closed_error);
	ctl_out_uint(o, "emfile_pauses", t->accept_emfile);
	ctl_out_end(o);
	write_udp(v, t, o);
	ctl_out_object(o, "nts");
	ctl_out_uint(o, "ke_served", t->nts_ke_served);
	ctl_out_uint(o, "ke_refused", t->nts_ke_refused);
	ctl_out_uint(o, "ke_tls_failed", t->nts_ke_tls_failed);
	ctl_out_uint(o, "ke_bad_request", t->nts_ke_bad_request);
	ctl_out_uint(o, "ke_timeout", t->nts_ke_timeout);
	ctl_out_uint(o, "ke_closed", t->nts_ke_closed);
	ctl_out_uint(o, "udp_served", t->nts_udp_served);
	ctl_out_uint(o, "tcp_served", t->nts_tcp_served);
	ctl_out_uint(o, "udp_nak", t->nts_udp_nak);
	ctl_out_uint(o, "udp_bad", t->nts_udp_bad);
	ctl_out_uint(o, "udp_auth_failed", t->nts_udp_auth_failed);
	ctl_out_end(o);
	ctl_out_object(o, "processing_time");
	ctl_out_uint(o, "replies", replies);
	ctl_out_num(o, "sum_s", (double)t->proc_time_sum_ns / 1e9);
	/* Upper edges of power-of-two buckets; null before the first reply. */
	if (p50 == 0 || p50 == UINT64_MAX)
		ctl_out_null(o, "p50_max_s");
	else
		ctl_out_num(o, "p50_max_s", (double)p50 / 1e9);
	if (p99 == 0 || p99 == UINT64_MAX)
		ctl_out_null(o, "p99_max_s");
	else
		ctl_out_num(o, "p99_max_s", (double)p99 / 1e9);
	ctl_out_end(o);
}

void status_write(const struct status_view *v, enum control_command cmd, struct ctl_out *o)
{
	struct worker_counters t;
	unsigned live;

	stats_total(v->stats, v->ctr, v->n_slots, &t, &live);
	switch (cmd) {
	case CONTROL_STATUS: write_status(v, &t, o); break;
	case CONTROL_SOURCES:
		if (v->cfg->sync.enabled)
			status_sync_sources(v, o);
		else
			write_sources(v, o);
		break;
	case CONTROL_STATS: write_stats(v, &t, live, o); break;
	default: break;
	}
}
