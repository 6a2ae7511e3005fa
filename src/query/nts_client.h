/* The client side of NTS (RFC 8915): the key exchange over TLS 1.3 and the
 * NTS extension fields of each NTP request and reply. Used by tsclient
 * --nts and, through measure_server_nts, by anything that measures a
 * server (the sync engine's protocol = "nts"). */
#ifndef TSD_QUERY_NTS_CLIENT_H
#define TSD_QUERY_NTS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "common/nts_aead.h"
#include "common/nts_ef.h"
#include "query/measure.h"

/* What one key exchange gives: where to send NTP, the keys, the cookies. */
struct nts_client {
	struct server_spec ntp;         /* from the Server and Port records, else KE host:123 */
	int tcp_port;                   /* NTS over tsd's TCP protocol: its port, 0 not offered */
	int aead;                       /* NTS_AEAD_ID */
	struct nts_aead c2s, s2c;
	int n_cookies;
	uint16_t cookie_len[NTS_MAX_COOKIES];
	uint8_t cookies[NTS_MAX_COOKIES][NTS_COOKIE_LEN_MAX];
};

/* Key exchange with ke (TLS 1.3, ALPN ntske/1, the certificate checked
 * against ke->host and ca_file, or the system's trust store when ca_file is
 * NULL or empty) before deadline_ns (CLOCK_MONOTONIC). With ask_tcp the
 * request asks for NTS over tsd's TCP protocol too (c->tcp_port). 0, or -1
 * with the reason in why (an untrusted certificate says why it is not
 * trusted). */
int nts_client_key_exchange(const struct server_spec *ke, const char *ca_file,
                            int64_t deadline_ns, int ask_tcp, struct nts_client *c, char *why,
                            size_t whylen);
/* The same, and with wait_close, read on until the server closes (its
 * close_notify or EOF) before closing, as chronyd's client does: the
 * session time then includes the server's close (a benchmark's view). */
int nts_client_key_exchange_ex(const struct server_spec *ke, const char *ca_file,
                               int64_t deadline_ns, int ask_tcp, int wait_close,
                               struct nts_client *c, char *why, size_t whylen);

/* An NTS request around header (48 bytes, encoded), using one cookie and
 * asking for enough to have eight again; uid is made fresh. The length,
 * or -1 when no cookie is left. */
int nts_client_request(struct nts_client *c, const uint8_t header[48], uint8_t uid[NTS_UID_SIZE],
                       uint8_t *out, size_t cap);

/* Check a reply to the request with uid and keep its cookies. */
enum nts_response_status nts_client_response(struct nts_client *c, const uint8_t uid[NTS_UID_SIZE],
                                             const uint8_t *pkt, size_t len);

/* What a client keeps between measurements of one server (the sync engine
 * keeps one per source): the keys and cookies of the last key exchange. A
 * new key exchange is made only when no cookie is left or the server sent
 * an NTS NAK. Zeroed: no keys yet. */
struct nts_session {
	struct nts_client client;
	int keyed;                      /* client holds keys from a key exchange */
	uint64_t key_exchanges;         /* made so far */
	uint64_t naks;                  /* NTS NAKs received */
};

/* How measure_server_nts reaches the server. */
struct nts_options {
	const char *ca_file;            /* NULL: the system's trust store */
	int tcp;                        /* NTP over tsd's TCP protocol, not UDP */
};

/* measure_server over NTS: key exchange with srv (an NTS-KE server) when
 * the session has no cookie, then authenticated NTP only. sess NULL: a
 * session for this call alone, wiped at the end. out->authenticated_aead
 * says it was. */
int measure_server_nts(const struct server_spec *srv, const struct nts_options *opt,
                       struct nts_session *sess, int samples, double timeout_s,
                       struct clock_source *cs, struct measurement *out);

#endif
