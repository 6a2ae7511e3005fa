/* What a valid NTP reply says (reply.h): one reading for the TCP and the UDP
 * exchanges. */
#include "query/reply.h"

#include <stdio.h>
#include <string.h>

void reply_server_name(const struct server_spec *srv, char *buf, size_t len)
{
	if (strchr(srv->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", srv->host, srv->port);
	else
		snprintf(buf, len, "%s:%d", srv->host, srv->port);
}

/* What the server says of itself: kept also from an unsynchronised reply,
 * so that the output can show its leap indicator and reference ID. */
static void note_header(const struct ntp_packet *p, struct measurement *out)
{
	out->header_seen = 1;
	out->leap = p->leap;
	out->stratum = p->stratum;
	memcpy(out->refid, p->refid, 4);
	out->root_delay_s = wire_short_to_seconds(p->root_delay);
	out->root_dispersion_s = wire_short_to_seconds(p->root_dispersion);
}

int reply_check_synced(const struct ntp_packet *p, struct measurement *out)
{
	char name[sizeof(out->server.host) + 16];

	reply_server_name(&out->server, name, sizeof(name));
	switch (wire_server_state(p, out->kod)) {
	case WIRE_SERVER_KOD:
		measure_set_why(out, "server %s sent a kiss-o'-death %s", name, out->kod);
		return -1;
	case WIRE_SERVER_UNSYNC:
		note_header(p, out);
		measure_set_why(out, "server %s is not synchronized (leap %d, stratum %d)",
		        name, p->leap, p->stratum);
		return -1;
	case WIRE_SERVER_OK:
		break;
	}
	return 0;
}

int reply_take_sample(const struct ntp_packet *p, struct tsd_sample *s,
                      struct measurement *out, int interleaved)
{
	s->t2_ns = wire_ntp_to_ns(p->receive, s->t1_ns);
	/* An interleaved reply's transmit field is the last reply's: this
	 * sample's T3 comes with the next reply. */
	s->t3_ns = interleaved ? s->t2_ns : wire_ntp_to_ns(p->transmit, s->t1_ns);
	if (s->t3_ns < s->t2_ns)
		return -1;
	note_header(p, out);
	s->server_error_s = out->root_dispersion_s + out->root_delay_s / 2;
	return 0;
}
