/* Prometheus text format: names with the tsd_ prefix, base units, _total
 * counters that add up over exited workers, one histogram. */
#include "config.h"

#include "tsd/metrics_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsd/ctl_out.h"

/* Buckets of tsd_processing_seconds: the upper edges 2^(i+1) ns of the
 * counters' power-of-two buckets from about 1 us to about 1 s. */
#define HIST_FIRST 9
#define HIST_LAST 29

void metrics_line(struct metrics_page *p, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ctl_out_text_line(&p->out, text);
}

void metrics_help(struct metrics_page *p, const char *name, const char *type, const char *text)
{
	metrics_line(p, "# HELP %s %s", name, text);
	metrics_line(p, "# TYPE %s %s", name, type);
}

static void counter(struct metrics_page *p, const char *name, const char *labels, uint64_t v)
{
	metrics_line(p, "%s%s %llu", name, labels, (unsigned long long)v);
}

void metrics_label_value(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in != '\0' && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static void exchanges(struct metrics_page *p, const struct worker_counters *t)
{
	metrics_help(p, "tsd_exchanges_total", "counter", "Exchanges answered, by protocol.");
	counter(p, "tsd_exchanges_total", "{protocol=\"tcp\"}", t->native_requests);
	counter(p, "tsd_exchanges_total", "{protocol=\"text\"}", t->text_requests);
	counter(p, "tsd_exchanges_total", "{protocol=\"udp\"}", t->udp_served);
	counter(p, "tsd_exchanges_total", "{protocol=\"nts\"}", t->nts_udp_served);
	counter(p, "tsd_exchanges_total", "{protocol=\"nts-tcp\"}", t->nts_tcp_served);
	metrics_help(p, "tsd_requests_refused_total", "counter", "Requests refused, by reason.");
	counter(p, "tsd_requests_refused_total", "{reason=\"overload\"}", t->refused_overload);
	counter(p, "tsd_requests_refused_total", "{reason=\"request_timeout\"}",
	        t->closed_request_timeout);
	counter(p, "tsd_requests_refused_total", "{reason=\"bad_request\"}", t->closed_bad_request);
	counter(p, "tsd_requests_refused_total", "{reason=\"udp_invalid\"}", t->udp_dropped);
	counter(p, "tsd_requests_refused_total", "{reason=\"udp_rate_limited\"}", t->udp_limited);
	counter(p, "tsd_requests_refused_total", "{reason=\"udp_rate_limited_kod\"}", t->udp_kod);
	metrics_help(p, "tsd_connections_accepted_total", "counter", "TCP connections accepted.");
	counter(p, "tsd_connections_accepted_total", "", t->accepted);
	metrics_help(p, "tsd_connections_closed_total", "counter",
	     "TCP connections closed other than by a refusal, by reason.");
	counter(p, "tsd_connections_closed_total", "{reason=\"idle_timeout\"}",
	        t->closed_idle_timeout);
	counter(p, "tsd_connections_closed_total", "{reason=\"error\"}", t->closed_error);
	metrics_help(p, "tsd_clock_errors_total", "counter", "Clock readings the clock plugin refused.");
	counter(p, "tsd_clock_errors_total", "", t->clock_errors);
	metrics_help(p, "tsd_accept_paused_total", "counter",
	     "Times accepting paused for lack of file descriptors.");
	counter(p, "tsd_accept_paused_total", "", t->accept_emfile);
}

/* The stamps taken for T2 and interleaved T3 over UDP: an operator sees
 * how many the cards gave (server.udp.hwtimestamp). */
static void udp_stamps(struct metrics_page *p, const struct worker_counters *t)
{
	metrics_help(p, "tsd_udp_hw_timestamps_total", "counter",
	     "UDP receive and interleaved transmit stamps taken from a card's PHC.");
	counter(p, "tsd_udp_hw_timestamps_total", "", t->udp_stamps_hardware);
	metrics_help(p, "tsd_udp_hw_timestamps_fallback_total", "counter",
	     "Card stamps replaced by the software stamp (PHC not sampled lately, no PHC).");
	counter(p, "tsd_udp_hw_timestamps_fallback_total", "", t->udp_stamps_fallback);
	metrics_help(p, "tsd_udp_sw_timestamps_total", "counter",
	     "UDP receive and interleaved transmit stamps taken from the kernel's software stamp.");
	counter(p, "tsd_udp_sw_timestamps_total", "", t->udp_stamps_software);
}

static void histogram(struct metrics_page *p, const struct worker_counters *t)
{
	uint64_t cum = 0, total = 0;
	unsigned i;

	for (i = 0; i < COUNTERS_HIST_BUCKETS; i++)
		total += t->proc_time_hist[i];
	metrics_help(p, "tsd_processing_seconds", "histogram",
	     "Time from a request's arrival (T2) to its reply (T3).");
	for (i = 0; i < HIST_FIRST; i++)
		cum += t->proc_time_hist[i];
	for (i = HIST_FIRST; i <= HIST_LAST; i++) {
		cum += t->proc_time_hist[i];
		metrics_line(p, "tsd_processing_seconds_bucket{le=\"%.10g\"} %llu",
		     (double)((uint64_t)1 << (i + 1)) / 1e9, (unsigned long long)cum);
	}
	metrics_line(p, "tsd_processing_seconds_bucket{le=\"+Inf\"} %llu", (unsigned long long)total);
	metrics_line(p, "tsd_processing_seconds_sum %.9f", (double)t->proc_time_sum_ns / 1e9);
	metrics_line(p, "tsd_processing_seconds_count %llu", (unsigned long long)total);
}

static void workers(struct metrics_page *p, const struct metrics_source *src,
                    const struct stats *st, unsigned live)
{
	metrics_help(p, "tsd_workers", "gauge", "Worker processes running.");
	metrics_line(p, "tsd_workers %u", live);
	metrics_help(p, "tsd_connections", "gauge", "TCP connections open, by worker process.");
	for (unsigned i = 0; i < src->n_slots; i++)
		if (src->ctr[i].pid != 0)
			metrics_line(p, "tsd_connections{worker=\"%d\"} %llu", (int)src->ctr[i].pid,
			     (unsigned long long)src->ctr[i].active_connections);
	metrics_help(p, "tsd_worker_restarts_total", "counter",
	     "Workers started again after a crash or a kill.");
	counter(p, "tsd_worker_restarts_total", "", st->worker_restarts);
	metrics_help(p, "tsd_reloads_total", "counter", "Configuration reloads, by result.");
	counter(p, "tsd_reloads_total", "{result=\"ok\"}", st->reloads);
	counter(p, "tsd_reloads_total", "{result=\"failed\"}", st->reloads_failed);
	metrics_help(p, "tsd_generation", "gauge", "The running configuration generation.");
	metrics_line(p, "tsd_generation %u", st->generation);
}

/* What a worker of the running generation serves. */
static const struct counters_clock *served_clock(const struct metrics_source *src,
                                                 uint32_t generation)
{
	for (unsigned i = 0; i < src->n_slots; i++)
		if (src->ctr[i].pid != 0 && src->ctr[i].generation == generation &&
		    src->ctr[i].clock.valid)
			return &src->ctr[i].clock;
	return NULL;
}

static void clock_metrics(struct metrics_page *p, const struct metrics_source *src,
                          const struct stats *st)
{
	const struct counters_clock *c = served_clock(src, st->generation);
	char plugin[64], refid[16] = "", esc[40];

	metrics_label_value(src->clock_plugin, plugin, sizeof(plugin));
	if (c != NULL) {
		snprintf(refid, sizeof(refid), "%.4s", c->refid);
		metrics_label_value(refid, esc, sizeof(esc));
	}
	metrics_help(p, "tsd_clock_info", "gauge", "The clock plugin served and its reference ID.");
	metrics_line(p, "tsd_clock_info{plugin=\"%s\",refid=\"%s\"} 1", plugin, c != NULL ? esc : "");
	if (c == NULL)
		return;
	metrics_help(p, "tsd_stratum", "gauge", "Stratum served.");
	metrics_line(p, "tsd_stratum %d", (int)c->stratum);
	metrics_help(p, "tsd_leap", "gauge",
	     "Leap indicator served (0 none, 1 insert, 2 delete, 3 unsynchronized).");
	metrics_line(p, "tsd_leap %d", (int)c->leap);
	metrics_help(p, "tsd_root_delay_seconds", "gauge", "Root delay served.");
	metrics_line(p, "tsd_root_delay_seconds %.9f", (double)c->root_delay_ns / 1e9);
	metrics_help(p, "tsd_root_dispersion_seconds", "gauge", "Root dispersion served.");
	metrics_line(p, "tsd_root_dispersion_seconds %.9f", (double)c->root_dispersion_ns / 1e9);
}

char *metrics_render(const struct metrics_source *src, size_t *len)
{
	struct worker_counters t;
	struct stats st;
	struct metrics_page p;
	unsigned live;

	if (stats_snapshot(src->stats, src->ctr, src->n_slots, &st, &t, &live) != 0)
		return NULL;
	ctl_out_init(&p.out, 0);
	p.out.len = 0;                  /* text lines only: no tree */
	metrics_help(&p, "tsd_build_info", "gauge", "The version of tsd.");
	metrics_line(&p, "tsd_build_info{version=\"%s\"} 1", PACKAGE_VERSION);
	metrics_help(&p, "tsd_start_time_seconds", "gauge", "When the master started, Unix time.");
	metrics_line(&p, "tsd_start_time_seconds %.3f", src->start_time_s);
	exchanges(&p, &t);
	udp_stamps(&p, &t);
	histogram(&p, &t);
	workers(&p, src, &st, live);
	clock_metrics(&p, src, &st);
	if (src->sync_enabled)
		metrics_sync(&p, src);
	if (p.out.failed) {
		ctl_out_free(&p.out);
		return NULL;
	}
	*len = p.out.len;
	return p.out.buf;
}
