/* NTS over tsd's TCP protocol: the same request and reply as on UDP
 * (nts_udp.c), each in an extended frame. No allocation, no blocking. */

#include <string.h>

#include "tsd/conn_ext.h"

/* The reply's header with T3 read now: the authenticator covers it. */
static int make_header(const struct conn_env *env, const struct ntp_packet *req,
                       tsd_time_ns t2_ns, struct ntp_packet *reply, tsd_time_ns *t3_ns)
{
	struct tsd_clock_info info;
	struct tsd_clock_reading t3;

	if (clock_info(env->clock, &info) != 0 || clock_now(env->clock, &t3) != 0) {
		conn_clock_refused(env);
		return -1;
	}
	counters_note_clock(env->ctr, &info);
	wire_make_reply(reply, req, &info, t2_ns, t3.time_ns);
	*t3_ns = t3.time_ns;
	return 0;
}

/* Into out (cap bytes): the framed NTS reply, or the plain 48-byte one.
 * Its length, or -1 to close. */
static int seal_or_plain(const struct conn_env *env, const uint8_t *pkt, size_t pkt_len,
                         uint8_t header[NTP_PACKET_SIZE], uint8_t *out, size_t cap)
{
	enum nts_udp_result r = NTS_UDP_PLAIN;
	size_t len = 0;

	if (env->nts != NULL && nts_udp_maybe(pkt, pkt_len))
		r = nts_udp_reply(env->nts, pkt, pkt_len, header, out + WIRE_EXT_HEADER,
		                  cap - WIRE_EXT_HEADER, &len, env->ctr);
	switch (r) {
	case NTS_UDP_DROP:
		return -1;
	case NTS_UDP_PLAIN:
		memcpy(out, header, NTP_PACKET_SIZE);
		env->ctr->native_requests++;
		return NTP_PACKET_SIZE;
	case NTS_UDP_SEALED:
		env->ctr->nts_tcp_served++;
		break;
	case NTS_UDP_NAK:
		break;
	}
	wire_ext_put_header(out, len);
	return (int)(WIRE_EXT_HEADER + len);
}

int conn_ext_answer(struct conn *c, const struct conn_env *env, const uint8_t *in, size_t size,
                    tsd_time_ns t2_ns)
{
	const uint8_t *pkt = in + WIRE_EXT_HEADER;
	size_t pkt_len = size - WIRE_EXT_HEADER;
	uint8_t header[NTP_PACKET_SIZE];
	struct ntp_packet req, reply;
	tsd_time_ns t3_ns;
	int len;

	if (wire_decode(pkt, NTP_PACKET_SIZE, &req) != 0 || wire_valid_client_request(&req) != 0) {
		env->ctr->closed_bad_request++;
		return -1;
	}
	/* Never interleaved: the reply is sealed with the T3 read here. */
	if (make_header(env, &req, t2_ns, &reply, &t3_ns) != 0)
		return -1;
	wire_encode(&reply, header);
	len = seal_or_plain(env, pkt, pkt_len, header, c->out + c->out_len,
	                    sizeof(c->out) - c->out_len);
	if (len < 0)
		return -1;
	conn_xleave_queued(&c->xleave, &reply, (size_t)len);
	c->out_len = (uint16_t)(c->out_len + len);
	counters_add_proc_time(env->ctr, t3_ns - t2_ns);
	return 0;
}
