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
	int aead;                       /* NTS_AEAD_ID */
	struct nts_aead c2s, s2c;
	int n_cookies;
	uint16_t cookie_len[NTS_MAX_COOKIES];
	uint8_t cookies[NTS_MAX_COOKIES][NTS_COOKIE_LEN_MAX];
};

/* Key exchange with ke (TLS 1.3, ALPN ntske/1, the certificate checked
 * against ke->host and ca_file, or the system's trust store when ca_file is
 * NULL or empty) before deadline_ns (CLOCK_MONOTONIC). 0, or -1 with the
 * reason in why (an untrusted certificate says why it is not trusted). */
int nts_client_key_exchange(const struct server_spec *ke, const char *ca_file,
                            int64_t deadline_ns, struct nts_client *c, char *why, size_t whylen);
/* The same, and with wait_close, read on until the server closes (its
 * close_notify or EOF) before closing, as chronyd's client does: the
 * session time then includes the server's close (a benchmark's view). */
int nts_client_key_exchange_ex(const struct server_spec *ke, const char *ca_file,
                               int64_t deadline_ns, int wait_close, struct nts_client *c,
                               char *why, size_t whylen);

/* An NTS request around header (48 bytes, encoded), using one cookie and
 * asking for enough to have eight again; uid is made fresh. The length,
 * or -1 when no cookie is left. */
int nts_client_request(struct nts_client *c, const uint8_t header[48], uint8_t uid[NTS_UID_SIZE],
                       uint8_t *out, size_t cap);

/* Check a reply to the request with uid and keep its cookies. */
enum nts_response_status nts_client_response(struct nts_client *c, const uint8_t uid[NTS_UID_SIZE],
                                             const uint8_t *pkt, size_t len);

/* measure_server over NTS: key exchange with srv (an NTS-KE server), then
 * authenticated NTP only. out->authenticated says it was. */
int measure_server_nts(const struct server_spec *srv, const char *ca_file, int samples,
                       double timeout_s, struct clock_source *cs, struct measurement *out);

#endif
