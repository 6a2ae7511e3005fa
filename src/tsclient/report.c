/* tsclient's output formats. The default is three lines, REMOTE_TIME,
 * LOCAL_TIME and RTT_ESTIMATE: the course report's names and units (integer
 * milliseconds) with the corrected formulas behind them. */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/nts_aead.h"
#include "common/plural.h"
#include "common/wire.h"
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

const char *report_duration(double s, char *buf, size_t len)
{
	double a = fabs(s);

	/* The unit switches where the rounded value would reach 1000. */
	if (!isfinite(s))
		snprintf(buf, len, "%+f s", s);
	else if (a < 999.95e-6)
		snprintf(buf, len, "%+.1f us", s * 1e6);
	else if (a < 999.9995e-3)
		snprintf(buf, len, "%+.3f ms", s * 1e3);
	else
		snprintf(buf, len, "%+.6f s", s);
	return buf;
}

/* The same without the plus sign: delays, bounds, jitter (a negative delay
 * keeps its minus). */
static const char *magnitude(double s, char *buf, size_t len)
{
	report_duration(s, buf, len);
	if (buf[0] == '+')
		memmove(buf, buf + 1, strlen(buf));
	return buf;
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
	char t[4][32], off[DURATION_LEN], del[DURATION_LEN];

	if (m->n_samples == 0)
		return;
	fprintf(f, "  %4s  %-15s  %-15s  %-15s  %-15s  %14s  %12s\n", "#", "T1 (UTC)",
	        "T2", "T3", "T4", "offset", "delay");
	for (size_t i = 0; i < m->n_samples; i++) {
		const struct tsd_sample *s = &m->samples[i];

		fprintf(f, "  %4zu  %s  %s  %s  %s  %14s  %12s\n", i + 1,
		        time_of_day(s->t1_ns, t[0], sizeof(t[0])),
		        time_of_day(s->t2_ns, t[1], sizeof(t[1])),
		        time_of_day(s->t3_ns, t[2], sizeof(t[2])),
		        time_of_day(s->t4_ns, t[3], sizeof(t[3])),
		        report_duration(wire_offset_s(s), off, sizeof(off)),
		        magnitude(wire_delay_s(s), del, sizeof(del)));
	}
}

/* Leap, stratum, reference ID and root values, as the server sent them. */
static void verbose_header(FILE *f, const struct measurement *m)
{
	char text[WIRE_REFID_TEXT_LEN], hex[WIRE_REFID_HEX_LEN];
	char rd[DURATION_LEN], rdisp[DURATION_LEN];

	if (!m->header_seen)
		return;
	wire_refid_text(m->refid, m->stratum, text, sizeof(text));
	wire_refid_hex(m->refid, hex, sizeof(hex));
	fprintf(f, "  stratum %d, leap %d, reference ID %s (%s), root delay %s, "
	        "root dispersion %s\n", m->stratum, m->leap, hex, text,
	        magnitude(m->root_delay_s, rd, sizeof(rd)),
	        magnitude(m->root_dispersion_s, rdisp, sizeof(rdisp)));
}

static void verbose_counts(FILE *f, const struct measurement *m)
{
	if (m->n_samples == 0 && m->n_bad == 0)
		return;
	fprintf(f, "  %zu %s, %zu invalid %s, kernel stamps for T1 %zu, T4 %zu, "
	        "T3 (interleaved) %zu\n", m->n_samples, plural(m->n_samples, "sample", "samples"),
	        m->n_bad, plural(m->n_bad, "reply", "replies"), m->n_kernel_tx, m->n_kernel_rx,
	        m->n_interleaved);
}

static void verbose_estimate(FILE *f, const struct tsd_estimate *e)
{
	char off[DURATION_LEN], del[DURATION_LEN], err[DURATION_LEN], jit[DURATION_LEN];

	fprintf(f, "  estimate: offset %s, delay %s, error bound %s, jitter %s",
	        report_duration(e->offset_s, off, sizeof(off)),
	        magnitude(e->delay_s, del, sizeof(del)), magnitude(e->error_s, err, sizeof(err)),
	        magnitude(e->jitter_s, jit, sizeof(jit)));
	if (e->has_freq)
		fprintf(f, ", frequency %+.3f ppm", e->freq_ppm);
	fprintf(f, " (%d %s used)\n", e->samples_used,
	        plural((size_t)e->samples_used, "sample", "samples"));
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
	verbose_header(f, m);
	verbose_counts(f, m);
	verbose_samples(f, m);
	if (r->has_estimate)
		verbose_estimate(f, &r->est);
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

static void verbose_combined(FILE *f, const struct outcome *o)
{
	char lo[DURATION_LEN], hi[DURATION_LEN], off[DURATION_LEN];
	char del[DURATION_LEN], err[DURATION_LEN], jit[DURATION_LEN];

	fprintf(f, "selection: survivors %zu of %zu, intersection [%s, %s]\n",
	        o->sel.n_survivors, o->n_servers, report_duration(o->sel.low_s, lo, sizeof(lo)),
	        report_duration(o->sel.high_s, hi, sizeof(hi)));
	fprintf(f, "combined (%s): offset %s, delay %s, error bound %s, jitter %s\n",
	        o->estimator, report_duration(o->sel.offset_s, off, sizeof(off)),
	        magnitude(o->delay_s, del, sizeof(del)), magnitude(o->sel.error_s, err, sizeof(err)),
	        magnitude(o->sel.jitter_s, jit, sizeof(jit)));
}

void report_verbose(FILE *f, const struct outcome *o)
{
	for (size_t i = 0; i < o->n_servers; i++)
		verbose_server(f, &o->servers[i]);
	if (o->synced)
		verbose_combined(f, o);
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

size_t report_failures(FILE *f, const struct outcome *o)
{
	int unsynced = 0;
	size_t unused = 0;

	for (size_t i = 0; i < o->n_servers; i++) {
		const struct server_result *r = &o->servers[i];

		if (r->status == SERVER_SELECTED)
			continue;
		fprintf(f, "tsclient: %s port %d: %s: %s\n", r->m->server.host, r->m->server.port,
		        outcome_status_name(r->status), r->reason);
		unsynced |= r->status == SERVER_UNSYNCED;
		unused++;
	}
	/* With a good result the lines above are enough for a monitor. */
	if (unsynced && !o->synced)
		explain_unsynced(f);
	return unused;
}
