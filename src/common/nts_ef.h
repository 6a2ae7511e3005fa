/* NTP extension fields of NTS (RFC 8915 section 5, RFC 7822 framing): the
 * parsers of a request (server side) and of a response (client side), and
 * the writers of both. No allocation: packets and plaintext live in the
 * caller's buffers. */
#ifndef TSD_NTS_EF_H
#define TSD_NTS_EF_H

#include <stddef.h>
#include <stdint.h>
#include "common/nts_aead.h"

#define NTS_EF_UNIQUE_ID 0x0104
#define NTS_EF_COOKIE 0x0204
#define NTS_EF_PLACEHOLDER 0x0304
#define NTS_EF_AUTHENTICATOR 0x0404

#define NTS_EF_HEADER 4
#define NTS_EF_MIN 16                   /* RFC 7822: at least 16 bytes, */
                                        /* a multiple of 4 */
#define NTS_UID_MIN 32
#define NTS_UID_MAX 128
#define NTS_UID_SIZE 32                 /* what our client sends */
/* The largest NTS packet either side handles (a request with seven
 * placeholders for 100-byte cookies is 956 bytes). */
#define NTS_PACKET_MAX 1280
#define NTS_MAX_COOKIES 8
#define NTS_COOKIE_LEN_MAX 256

/* Walk extension fields from *pos. 1 with one field (type, body), 0 at the
 * end of the packet, -1 when a field is malformed (length below 16, not a
 * multiple of 4, or past the end). */
int nts_ef_next(const uint8_t *pkt, size_t len, size_t *pos, uint16_t *type,
                const uint8_t **body, size_t *body_len);

/* What a server needs from an NTS request. Pointers are into the packet. */
struct nts_request {
	const uint8_t *uid;
	size_t uid_len;
	const uint8_t *cookie;
	size_t cookie_len;
	int placeholders;               /* in the clear, of the cookie's size */
	size_t auth_offset;             /* where the authenticator starts: the AD's end */
	const uint8_t *nonce;
	size_t nonce_len;
	const uint8_t *sealed;
	size_t sealed_len;
};

enum nts_ef_status {
	NTS_EF_OK = 0,
	NTS_EF_NONE = 1,                /* not NTS: no field of NTS before the end or */
	                                /* a malformed field (answer as plain NTP) */
	NTS_EF_BAD = -1,                /* NTS, malformed: drop */
};

/* A request: 48-byte header, then exactly one Unique Identifier (32..128
 * bytes), exactly one Cookie, placeholders (each the cookie's size), and an
 * Authenticator that is the last field. Unknown fields before it are
 * covered by the authenticator and ignored. */
enum nts_ef_status nts_ef_parse_request(const uint8_t *pkt, size_t len, struct nts_request *req);

/* Placeholders of cookie_len in the decrypted plaintext of a request (RFC
 * 8915 lets a client hide them there), or -1 if it is malformed. */
int nts_ef_count_placeholders(const uint8_t *plain, size_t len, size_t cookie_len);

/* The authenticated response: header (48 bytes, already encoded), the
 * request's Unique Identifier, then an Authenticator sealing n cookie
 * fields under s2c with nonce. Returns its length, or -1 when it would be
 * longer than cap. */
int nts_ef_write_response(uint8_t *out, size_t cap, const uint8_t header[48],
                          const uint8_t *uid, size_t uid_len, const struct nts_aead *s2c,
                          const uint8_t nonce[NTS_AEAD_NONCE_SIZE],
                          const uint8_t *cookies, size_t cookie_len, int n);
/* Its length, without writing it. */
size_t nts_ef_response_size(size_t uid_len, size_t cookie_len, int n);

/* The NTS NAK: header (a kiss-o'-death NTSN, encoded) and the Unique
 * Identifier, not authenticated (RFC 8915 5.7). Length or -1. */
int nts_ef_write_nak(uint8_t *out, size_t cap, const uint8_t header[48],
                     const uint8_t *uid, size_t uid_len);

/* Client: a request with uid (NTS_UID_SIZE bytes), a cookie, n_placeholders
 * placeholders of its size, and an Authenticator over an empty plaintext
 * under c2s. Length or -1. */
int nts_ef_write_request(uint8_t *out, size_t cap, const uint8_t header[48],
                         const uint8_t uid[NTS_UID_SIZE], const uint8_t *cookie,
                         size_t cookie_len, int n_placeholders, const struct nts_aead *c2s,
                         const uint8_t nonce[NTS_AEAD_NONCE_SIZE]);

/* What a client takes from a response. */
struct nts_response {
	int n_cookies;
	uint16_t cookie_len[NTS_MAX_COOKIES];
	uint8_t cookies[NTS_MAX_COOKIES][NTS_COOKIE_LEN_MAX];
};

enum nts_response_status {
	NTS_RESPONSE_OK = 0,
	NTS_RESPONSE_NAK = 1,           /* the server could not open our cookie */
	NTS_RESPONSE_BAD = -1,          /* malformed, wrong identifier, or forged */
};

/* Client: check a response to the request with uid: the header is already
 * known to be a reply (the caller checks mode and origin); its identifier
 * must match, and the Authenticator, the last field, must open under s2c
 * over everything before it. The cookies inside go to resp. A NAK is a
 * stratum-0 NTSN with the same identifier and no authenticator. */
enum nts_response_status nts_ef_parse_response(const uint8_t *pkt, size_t len,
                                               const uint8_t uid[NTS_UID_SIZE],
                                               const struct nts_aead *s2c,
                                               struct nts_response *resp);

#endif
