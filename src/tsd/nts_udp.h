/* NTS-protected NTP (RFC 8915 section 5) for the worker's UDP path: check a
 * request's cookie and authenticator, and seal the reply with fresh
 * cookies. No allocation, no blocking. */
#ifndef TSD_NTS_UDP_H
#define TSD_NTS_UDP_H

#include <stddef.h>
#include <stdint.h>
#include "tsd/counters.h"
#include "tsd/nts_keys.h"

struct nts_udp {
	struct nts_keys_shared *keys;
	struct nts_keys_view view;
};

enum nts_udp_result {
	NTS_UDP_PLAIN = 0,              /* not NTS: answer as plain NTP */
	NTS_UDP_SEALED = 1,             /* out holds the authenticated reply */
	NTS_UDP_NAK = 2,                /* out holds an NTS NAK */
	NTS_UDP_DROP = -1,              /* malformed or forged: no reply (counted) */
};

/* req is the whole request; header the 48-byte reply already encoded with
 * its final T3 (it is authenticated). The reply is never longer than the
 * request; *out_len its length. */
enum nts_udp_result nts_udp_reply(struct nts_udp *n, const uint8_t *req, size_t req_len,
                                  uint8_t header[48], uint8_t *out, size_t cap,
                                  size_t *out_len, struct worker_counters *ctr);

/* Whether req (longer than 48 bytes) could be NTS: the cheap test that
 * keeps a plain request off the NTS path. */
int nts_udp_maybe(const uint8_t *req, size_t req_len);

#endif
