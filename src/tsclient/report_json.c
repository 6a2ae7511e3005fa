/* tsclient --json: one object with the result and every server's part. */

#include <stdio.h>

#include "common/nts_aead.h"
#include "common/wire.h"
#include "tsclient/report.h"

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_estimate(FILE *f, const struct server_result *r)
{
	if (!r->has_estimate) {
		fprintf(f, "\"offset_s\": null, \"delay_s\": null, \"error_s\": null, "
		        "\"jitter_s\": null, \"distance_s\": null, \"samples_used\": null");
		return;
	}
	fprintf(f, "\"offset_s\": %.9f, \"delay_s\": %.9f, \"error_s\": %.9f, "
	        "\"jitter_s\": %.9f, \"distance_s\": %.9f, \"samples_used\": %d",
	        r->est.offset_s, r->est.delay_s, r->est.error_s, r->est.jitter_s,
	        r->distance_s, r->est.samples_used);
	if (r->est.has_freq)
		fprintf(f, ", \"freq_ppm\": %.6f", r->est.freq_ppm);
}

/* Every exchange as [T1, T2, T3, T4] in nanoseconds, for offline analysis
 * (the accuracy benchmark recomputes other formulas from them). */
static void json_exchanges(FILE *f, const struct measurement *m)
{
	fprintf(f, ", \"exchanges_ns\": [");
	for (size_t i = 0; i < m->n_samples; i++) {
		const struct tsd_sample *s = &m->samples[i];

		fprintf(f, "%s[%lld, %lld, %lld, %lld]", i > 0 ? ", " : "", (long long)s->t1_ns,
		        (long long)s->t2_ns, (long long)s->t3_ns, (long long)s->t4_ns);
	}
	fprintf(f, "]");
}

/* What the server says of itself, when it sent an NTP header. */
static void json_header(FILE *f, const struct measurement *m)
{
	char text[WIRE_REFID_TEXT_LEN], hex[WIRE_REFID_HEX_LEN];

	if (!m->header_seen)
		return;
	wire_refid_text(m->refid, m->stratum, text, sizeof(text));
	wire_refid_hex(m->refid, hex, sizeof(hex));
	fprintf(f, ", \"leap\": %d, \"stratum\": %d, \"refid\": ", m->leap, m->stratum);
	json_string(f, text);
	fprintf(f, ", \"refid_hex\": \"%s\", \"root_delay_s\": %.9f, \"root_dispersion_s\": %.9f",
	        hex, m->root_delay_s, m->root_dispersion_s);
}

static void json_server(FILE *f, const struct server_result *r)
{
	const struct measurement *m = r->m;

	fprintf(f, "    {\"host\": ");
	json_string(f, m->server.host);
	fprintf(f, ", \"port\": %d, \"status\": \"%s\", ", m->server.port,
	        outcome_status_name(r->status));
	json_estimate(f, r);
	fprintf(f, ", \"samples\": %zu, \"bad_replies\": %zu, \"refused\": %zu, "
	        "\"kernel_t1\": %zu, \"kernel_t4\": %zu, \"interleaved_t3\": %zu",
	        m->n_samples, m->n_bad, r->refused, m->n_kernel_tx, m->n_kernel_rx,
	        m->n_interleaved);
	fprintf(f, ", \"authenticated\": %s", m->authenticated_aead != 0 ? "true" : "false");
	if (m->authenticated_aead != 0) {
		fprintf(f, ", \"nts\": {\"aead\": \"%s\", \"aead_id\": %d, \"ntp_host\": ",
		        NTS_AEAD_NAME, m->authenticated_aead);
		json_string(f, m->nts_ntp.host);
		fprintf(f, ", \"ntp_port\": %d, \"ntp_transport\": \"%s\"}", m->nts_ntp.port,
		        m->nts_tcp ? "tcp" : "udp");
	}
	json_header(f, m);
	json_exchanges(f, m);
	if (r->reason[0] != '\0') {
		fprintf(f, ", \"reason\": ");
		json_string(f, r->reason);
	}
	fprintf(f, "}");
}

static void json_correction(FILE *f, const struct correction *c)
{
	if (c->mode == CORRECT_NONE) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"mode\": \"%s\", \"applied\": %s, \"offset_s\": %.9f",
	        c->mode == CORRECT_STEP ? "step" : "slew", c->applied ? "true" : "false",
	        c->offset_s);
	if (c->mode == CORRECT_STEP && c->applied)
		fprintf(f, ", \"observed_s\": %.9f", c->observed_s);
	if (!c->applied) {
		fprintf(f, ", \"error\": ");
		json_string(f, c->error);
	}
	fprintf(f, "}");
}

void report_json(FILE *f, const struct outcome *o)
{
	fprintf(f, "{\n  \"synced\": %s,\n  \"estimator\": ", o->synced ? "true" : "false");
	json_string(f, o->estimator);
	fprintf(f, ",\n");
	if (o->synced)
		fprintf(f, "  \"remote_time_ms\": %lld,\n  \"local_time_ms\": %lld,\n"
		        "  \"rtt_ms\": %.3f,\n  \"offset_s\": %.9f,\n  \"delay_s\": %.9f,\n"
		        "  \"error_s\": %.9f,\n  \"jitter_s\": %.9f,\n  \"survivors\": %zu,\n",
		        report_ms(o->local_ns, o->sel.offset_s), report_ms(o->local_ns, 0.0),
		        o->delay_s * 1e3, o->sel.offset_s, o->delay_s, o->sel.error_s,
		        o->sel.jitter_s, o->sel.n_survivors);
	else
		fprintf(f, "  \"remote_time_ms\": null,\n  \"local_time_ms\": null,\n"
		        "  \"rtt_ms\": null,\n  \"offset_s\": null,\n  \"delay_s\": null,\n"
		        "  \"error_s\": null,\n  \"jitter_s\": null,\n  \"survivors\": 0,\n");
	fprintf(f, "  \"correction\": ");
	json_correction(f, &o->corr);
	fprintf(f, ",\n  \"servers\": [\n");
	for (size_t i = 0; i < o->n_servers; i++) {
		json_server(f, &o->servers[i]);
		fprintf(f, "%s\n", i + 1 < o->n_servers ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}
