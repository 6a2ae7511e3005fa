/* NTS Key Establishment records (RFC 8915 section 4): the strict parser of
 * a whole message (up to End of Message) and the writer, for both sides. */
#ifndef TSD_NTS_KE_H
#define TSD_NTS_KE_H

#include <stddef.h>
#include <stdint.h>

#define NTS_KE_PORT 4460
#define NTS_KE_ALPN "ntske/1"
#define NTS_KE_EXPORTER_LABEL "EXPORTER-network-time-security"
#define NTS_KE_PROTOCOL_NTPV4 0

/* Record types; the critical bit is the top bit of the type field. */
#define NTS_KE_CRITICAL 0x8000u
enum nts_ke_type {
	NTS_KE_END = 0,
	NTS_KE_NEXT_PROTOCOL = 1,
	NTS_KE_ERROR = 2,
	NTS_KE_WARNING = 3,
	NTS_KE_AEAD = 4,
	NTS_KE_COOKIE = 5,
	NTS_KE_SERVER = 6,
	NTS_KE_PORT_REC = 7,
	/* tsd's own, from the private range (16384-32767), never critical:
	 * NTS over tsd's TCP protocol. A request asks with an empty body; tsd
	 * answers with its TCP port (doc/protocol.md). Other servers ignore it. */
	NTS_KE_TSD_TCP = 0x4e54,
};

/* Error record codes. */
#define NTS_KE_ERR_UNRECOGNIZED_CRITICAL 0
#define NTS_KE_ERR_BAD_REQUEST 1
#define NTS_KE_ERR_INTERNAL 2

/* Largest message we read or write: a response with eight 100-byte cookies
 * is about 900 bytes; a request a few dozen. */
#define NTS_KE_MESSAGE_MAX 4096
#define NTS_KE_MAX_COOKIES 8
#define NTS_KE_COOKIE_MAX 256
#define NTS_KE_SERVER_NAME_MAX 255
#define NTS_KE_MAX_OFFERS 16            /* protocols or algorithms listed */

/* A parsed message. Offers keep the order sent; the parser rejects what a
 * correct peer never sends (see nts_ke_parse). */
struct nts_ke_msg {
	int n_protocols;                /* -1: no Next Protocol record */
	uint16_t protocols[NTS_KE_MAX_OFFERS];
	int n_aeads;                    /* -1: no AEAD record */
	uint16_t aeads[NTS_KE_MAX_OFFERS];
	int error;                      /* -1, or the Error record's code */
	int warning;                    /* -1, or the Warning record's code */
	int port;                       /* -1, or the Port Negotiation value */
	int tcp_port;                   /* -1; 0 asked (empty body); or the TCP port */
	char server[NTS_KE_SERVER_NAME_MAX + 1];   /* "" when absent */
	int n_cookies;
	uint16_t cookie_len[NTS_KE_MAX_COOKIES];
	uint8_t cookies[NTS_KE_MAX_COOKIES][NTS_KE_COOKIE_MAX];
	int extra_cookies;              /* cookies beyond NTS_KE_MAX_COOKIES (dropped) */
};

enum nts_ke_status {
	NTS_KE_OK = 0,                  /* a whole message; *used bytes taken */
	NTS_KE_INCOMPLETE = 1,          /* read more (buffer < NTS_KE_MESSAGE_MAX) */
	NTS_KE_BAD = -1,                /* malformed: answer Bad Request */
	NTS_KE_UNKNOWN_CRITICAL = -2,   /* answer Unrecognized Critical Record */
};

/* Parse one message from buf. Strict: every record's length fits the
 * buffer and its type (End: critical and empty; Next Protocol, AEAD: even;
 * Error, Warning, Port: two bytes; Server: 1..255 printable ASCII; Cookie:
 * 1..NTS_KE_COOKIE_MAX; tsd's TCP record: empty or a port, 1..65535), no
 * record type twice except cookies, End last.
 * Unknown non-critical records are skipped. A message longer than
 * NTS_KE_MESSAGE_MAX without End is NTS_KE_BAD. */
enum nts_ke_status nts_ke_parse(const uint8_t *buf, size_t len, struct nts_ke_msg *msg,
                                size_t *used);

/* Writing: each appends one record at *pos, or returns -1 when it does not
 * fit in cap (nothing written). */
int nts_ke_put(uint8_t *buf, size_t cap, size_t *pos, int critical, uint16_t type,
               const uint8_t *body, size_t body_len);
int nts_ke_put_u16(uint8_t *buf, size_t cap, size_t *pos, int critical, uint16_t type,
                   uint16_t value);

/* Whole messages, each ending with End of Message; the length, or -1.
 * With ask_tcp the request also asks for NTS over tsd's TCP protocol. */
int nts_ke_write_request(uint8_t *buf, size_t cap, int ask_tcp);
int nts_ke_write_error(uint8_t *buf, size_t cap, uint16_t code);

/* The TLS exporter context for the key from client to server (s2c = 0) or
 * from server to client (s2c = 1), NTPv4 with AEAD 15 (RFC 8915 5.1). */
void nts_ke_exporter_context(uint8_t ctx[5], int s2c);

#endif
