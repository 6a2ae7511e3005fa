/* tsclient's output formats. The default is three lines, REMOTE_TIME,
 * LOCAL_TIME and RTT_ESTIMATE: the course report's names and units (integer
 * milliseconds) with the corrected formulas behind them. */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/wire.h"
#include "common/nts_aead.h"
#include "tsclient/report.h"

long long report_ms(tsd_time_ns local_ns, double offset_s)
{
	tsd_time_ns t = local_ns + (tsd_time_ns)llround(offset_s * 1e9);

	/* Floor, as Unix milliseconds are usually taken, also before 1970. */
	return t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
}

void report_lines(FILE *f, const struct outcome *o)
{
	fprintf(f, "REMOTE_TIME %lld\n", report_ms(o->local_ns, o->sel.offset_s));
	fprintf(f, "LOCAL_TIME %lld\n", report_ms(o->local_ns, 0.0));
	fprintf(f, "RTT_ESTIMATE %lld\n", (long long)llround(o->delay_s * 1e3));
}

/* "HH:MM:SS.uuuuuu" UTC: enough to read a sample table. */
static const char *time_of_day(tsd_time_ns ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	long us = (long)(ns % 1000000000) / 1000;
	struct tm tm;

	if (ns < 0 || gmtime_r(&s, &tm) == NULL) {
		snprintf(buf, len, "%lld", (long long)ns);
		return buf;
	}
	snprintf(buf, len, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	return buf;
}

static void verbose_samples(FILE *f, const struct measurement *m)
{
	char t[4][32];

	if (m->n_samples == 0)
		return;
	fprintf(f, "  %4s  %-15s  %-15s  %-15s  %-15s  %14s  %11s\n", "#", "T1 (UTC)",
	        "T2", "T3", "T4", "offset (us)", "delay (us)");
	for (size_t i = 0; i < m->n_samples; i++) {
		const struct tsd_sample *s = &m->samples[i];

		fprintf(f, "  %4zu  %s  %s  %s  %s  %+14.1f  %11.1f\n", i + 1,
		        time_of_day(s->t1_ns, t[0], sizeof(t[0])),
		        time_of_day(s->t2_ns, t[1], sizeof(t[1])),
		        time_of_day(s->t3_ns, t[2], sizeof(t[2])),
		        time_of_day(s->t4_ns, t[3], sizeof(t[3])), wire_offset_s(s) * 1e6,
		        wire_delay_s(s) * 1e6);
	}
}

static void verbose_server(FILE *f, const struct server_result *r)
{
	const struct measurement *m = r->m;

	fprintf(f, "server %s port %d: %s", m->server.host, m->server.port,
	        outcome_status_name(r->status));
	if (r->reason[0] != '\0')
		fprintf(f, " (%s)", r->reason);
	fprintf(f, "\n");
	if (m->authenticated_aead != 0)
		fprintf(f, "  authenticated: NTS, AEAD %s (%d), NTP server %s %s port %d\n",
		        NTS_AEAD_NAME, m->authenticated_aead, m->nts_ntp.host,
		        m->nts_tcp ? "TCP" : "UDP", m->nts_ntp.port);
	else
		fprintf(f, "  authenticated: no\n");
	if (m->stratum > 0)
		fprintf(f, "  stratum %d, root delay %.1f us, root dispersion %.1f us\n",
		        m->stratum, m->root_delay_s * 1e6, m->root_dispersion_s * 1e6);
	if (m->n_samples > 0 || m->n_bad > 0)
		fprintf(f, "  %zu samples, %zu invalid replies, kernel stamps for T1 %zu, T4 %zu, "
		        "T3 (interleaved) %zu\n", m->n_samples, m->n_bad, m->n_kernel_tx,
		        m->n_kernel_rx, m->n_interleaved);
	verbose_samples(f, m);
	if (!r->has_estimate)
		return;
	fprintf(f, "  estimate: offset %+.1f us, delay %.1f us, error bound %.1f us, "
	        "jitter %.1f us", r->est.offset_s * 1e6, r->est.delay_s * 1e6,
	        r->est.error_s * 1e6, r->est.jitter_s * 1e6);
	if (r->est.has_freq)
		fprintf(f, ", frequency %+.3f ppm", r->est.freq_ppm);
	fprintf(f, " (%d samples used)\n", r->est.samples_used);
}

static void verbose_correction(FILE *f, const struct correction *c)
{
	const char *what = c->mode == CORRECT_STEP ? "step" : "slew";

	if (c->mode == CORRECT_NONE)
		return;
	if (!c->applied) {
		fprintf(f, "%s: not applied: %s\n", what, c->error);
		return;
	}
	if (c->mode == CORRECT_STEP)
		fprintf(f, "step: applied %+.6f s to the clock (readings jumped by %+.6f s)\n",
		        c->offset_s, c->observed_s);
	else
		fprintf(f, "slew: asked the clock to slew by %+.6f s\n", c->offset_s);
}

void report_verbose(FILE *f, const struct outcome *o)
{
	for (size_t i = 0; i < o->n_servers; i++)
		verbose_server(f, &o->servers[i]);
	if (o->synced) {
		fprintf(f, "selection: %zu of %zu servers survive, intersection [%+.1f, %+.1f] us\n",
		        o->sel.n_survivors, o->n_servers, o->sel.low_s * 1e6, o->sel.high_s * 1e6);
		fprintf(f, "combined (%s): offset %+.1f us, delay %.1f us, error bound %.1f us, "
		        "jitter %.1f us\n", o->estimator, o->sel.offset_s * 1e6, o->delay_s * 1e6,
		        o->sel.error_s * 1e6, o->sel.jitter_s * 1e6);
	}
	verbose_correction(f, &o->corr);
	if (o->synced)
		report_lines(f, o);
}

/* Said once, after the list: leap 3 alone tells a new user nothing. */
static void explain_unsynced(FILE *f)
{
	fputs("tsclient: an unsynchronized server answers but says its own clock is not set\n"
	      "tsclient: from a reference (leap 3), so its time is not used. Point tsclient at\n"
	      "tsclient: a synchronized server, synchronize that server's clock (chronyd, ntpd),\n"
	      "tsclient: or, if its clock is your reference, set local_stratum in the clock\n"
	      "tsclient: section of its tsd.conf (see tsd.conf(5)).\n", f);
}

void report_failures(FILE *f, const struct outcome *o)
{
	int unsynced = 0;

	for (size_t i = 0; i < o->n_servers; i++) {
		const struct server_result *r = &o->servers[i];

		if (r->status == SERVER_SELECTED)
			continue;
		fprintf(f, "tsclient: %s port %d: %s: %s\n", r->m->server.host, r->m->server.port,
		        outcome_status_name(r->status), r->reason);
		unsynced |= r->status == SERVER_UNSYNCED;
	}
	if (unsynced)
		explain_unsynced(f);
}
