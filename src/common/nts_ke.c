/* NTS-KE records: a strict parser of one message and a writer. */
#include "common/nts_ke.h"

#include <string.h>

#define HEADER_SIZE 4

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void msg_clear(struct nts_ke_msg *msg)
{
	msg->n_protocols = -1;
	msg->n_aeads = -1;
	msg->error = -1;
	msg->warning = -1;
	msg->port = -1;
	msg->tcp_port = -1;
	msg->server[0] = '\0';
	msg->n_cookies = 0;
	msg->extra_cookies = 0;
}

/* Next Protocol and AEAD bodies: a list of 16-bit identifiers. */
static int read_list(const uint8_t *body, size_t len, uint16_t *out, int *n)
{
	size_t i;

	if (len % 2 != 0 || len / 2 > NTS_KE_MAX_OFFERS)
		return -1;
	for (i = 0; i < len / 2; i++)
		out[i] = get16(body + 2 * i);
	*n = (int)(len / 2);
	return 0;
}

static int read_u16(const uint8_t *body, size_t len, int *out)
{
	if (len != 2)
		return -1;
	*out = get16(body);
	return 0;
}

static int read_server(const uint8_t *body, size_t len, char *out)
{
	size_t i;

	if (len == 0 || len > NTS_KE_SERVER_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if (body[i] <= 0x20 || body[i] >= 0x7f)
			return -1;
	memcpy(out, body, len);
	out[len] = '\0';
	return 0;
}

/* Empty in a request (asking), a port in tsd's response. */
static int read_tcp_port(const uint8_t *body, size_t len, int *out)
{
	if (len == 0) {
		*out = 0;
		return 0;
	}
	if (read_u16(body, len, out) != 0 || *out == 0)
		return -1;
	return 0;
}

static int read_cookie(const uint8_t *body, size_t len, struct nts_ke_msg *msg)
{
	if (len == 0 || len > NTS_KE_COOKIE_MAX)
		return -1;
	if (msg->n_cookies == NTS_KE_MAX_COOKIES) {
		msg->extra_cookies++;
		return 0;
	}
	memcpy(msg->cookies[msg->n_cookies], body, len);
	msg->cookie_len[msg->n_cookies++] = (uint16_t)len;
	return 0;
}

/* One record's body into msg. 0, -1 (malformed) or 1 (unknown type). */
static int read_body(uint16_t type, const uint8_t *body, size_t len, struct nts_ke_msg *msg)
{
	switch (type) {
	case NTS_KE_NEXT_PROTOCOL:
		return read_list(body, len, msg->protocols, &msg->n_protocols);
	case NTS_KE_AEAD:
		return read_list(body, len, msg->aeads, &msg->n_aeads);
	case NTS_KE_ERROR:
		return read_u16(body, len, &msg->error);
	case NTS_KE_WARNING:
		return read_u16(body, len, &msg->warning);
	case NTS_KE_PORT_REC:
		return read_u16(body, len, &msg->port);
	case NTS_KE_SERVER:
		return read_server(body, len, msg->server);
	case NTS_KE_COOKIE:
		return read_cookie(body, len, msg);
	case NTS_KE_TSD_TCP:
		if (msg->tcp_port >= 0)
			return -1;          /* twice */
		return read_tcp_port(body, len, &msg->tcp_port);
	default:
		return 1;
	}
}

/* The records each message may hold once; a second one is malformed. */
static int seen_twice(uint16_t type, uint32_t *seen)
{
	uint32_t bit;

	if (type == NTS_KE_COOKIE || type > 31)
		return 0;
	bit = 1u << type;
	if (*seen & bit)
		return 1;
	*seen |= bit;
	return 0;
}

enum nts_ke_status nts_ke_parse(const uint8_t *buf, size_t len, struct nts_ke_msg *msg,
                                size_t *used)
{
	size_t pos = 0, body_len;
	uint16_t type;
	uint32_t seen = 0;
	int critical, r;

	msg_clear(msg);
	for (;;) {
		if (pos + HEADER_SIZE > len)
			break;
		critical = (get16(buf + pos) & NTS_KE_CRITICAL) != 0;
		type = get16(buf + pos) & ~NTS_KE_CRITICAL;
		body_len = get16(buf + pos + 2);
		if (pos + HEADER_SIZE + body_len > NTS_KE_MESSAGE_MAX)
			return NTS_KE_BAD;
		if (pos + HEADER_SIZE + body_len > len)
			break;
		pos += HEADER_SIZE;
		if (type == NTS_KE_END) {
			if (!critical || body_len != 0)
				return NTS_KE_BAD;
			*used = pos;
			return NTS_KE_OK;
		}
		if (seen_twice(type, &seen))
			return NTS_KE_BAD;
		r = read_body(type, buf + pos, body_len, msg);
		if (r < 0)
			return NTS_KE_BAD;
		if (r == 1 && critical)
			return NTS_KE_UNKNOWN_CRITICAL;
		pos += body_len;
	}
	return len >= NTS_KE_MESSAGE_MAX ? NTS_KE_BAD : NTS_KE_INCOMPLETE;
}

int nts_ke_put(uint8_t *buf, size_t cap, size_t *pos, int critical, uint16_t type,
               const uint8_t *body, size_t body_len)
{
	if (body_len > 0xffff || *pos > cap || cap - *pos < HEADER_SIZE + body_len)
		return -1;
	put16(buf + *pos, (uint16_t)(type | (critical ? NTS_KE_CRITICAL : 0)));
	put16(buf + *pos + 2, (uint16_t)body_len);
	if (body_len > 0)
		memcpy(buf + *pos + HEADER_SIZE, body, body_len);
	*pos += HEADER_SIZE + body_len;
	return 0;
}

int nts_ke_put_u16(uint8_t *buf, size_t cap, size_t *pos, int critical, uint16_t type,
                   uint16_t value)
{
	uint8_t body[2];

	put16(body, value);
	return nts_ke_put(buf, cap, pos, critical, type, body, sizeof(body));
}

int nts_ke_write_request(uint8_t *buf, size_t cap, int ask_tcp)
{
	size_t pos = 0;

	if (nts_ke_put_u16(buf, cap, &pos, 1, NTS_KE_NEXT_PROTOCOL, NTS_KE_PROTOCOL_NTPV4) != 0 ||
	    nts_ke_put_u16(buf, cap, &pos, 1, NTS_KE_AEAD, 15) != 0 ||
	    (ask_tcp && nts_ke_put(buf, cap, &pos, 0, NTS_KE_TSD_TCP, NULL, 0) != 0) ||
	    nts_ke_put(buf, cap, &pos, 1, NTS_KE_END, NULL, 0) != 0)
		return -1;
	return (int)pos;
}

int nts_ke_write_error(uint8_t *buf, size_t cap, uint16_t code)
{
	size_t pos = 0;

	if (nts_ke_put_u16(buf, cap, &pos, 1, NTS_KE_ERROR, code) != 0 ||
	    nts_ke_put(buf, cap, &pos, 1, NTS_KE_END, NULL, 0) != 0)
		return -1;
	return (int)pos;
}

void nts_ke_exporter_context(uint8_t ctx[5], int s2c)
{
	put16(ctx, NTS_KE_PROTOCOL_NTPV4);
	put16(ctx + 2, 15);
	ctx[4] = s2c ? 1 : 0;
}
