/* The server side of NTS-protected NTP: cookie, authenticator, reply. */
#include "tsd/nts_udp.h"

#include <string.h>

#include "common/nts_cookie.h"
#include "common/nts_ef.h"

#define NTP_HEADER 48
#define NTP_LEAP_UNSYNC 3

int nts_udp_maybe(const uint8_t *req, size_t req_len)
{
	(void)req;
	return req_len >= NTP_HEADER + NTS_EF_MIN;
}

/* RFC 8915 5.7: a kiss-o'-death NTSN carrying the request's identifier. */
static enum nts_udp_result nak(const struct nts_request *r, uint8_t header[48], uint8_t *out,
                               size_t cap, size_t *out_len, struct worker_counters *ctr)
{
	int len;

	header[0] = (uint8_t)((header[0] & 0x3f) | NTP_LEAP_UNSYNC << 6);
	header[1] = 0;
	memcpy(header + 12, "NTSN", 4);
	len = nts_ef_write_nak(out, cap, header, r->uid, r->uid_len);
	if (len < 0)
		return NTS_UDP_DROP;
	ctr->nts_udp_nak++;
	*out_len = (size_t)len;
	return NTS_UDP_NAK;
}

/* As many cookies as the client asked for (one, plus one per placeholder),
 * at most eight, and only as many as keep the reply within the request's size. */
static int cookies_wanted(const struct nts_request *r, int hidden, size_t req_len)
{
	int n = 1 + r->placeholders + hidden;

	if (n > NTS_MAX_COOKIES)
		n = NTS_MAX_COOKIES;
	while (n > 0 && nts_ef_response_size(r->uid_len, NTS_COOKIE_SIZE, n) > req_len)
		n--;
	return n;
}

static enum nts_udp_result seal(struct nts_udp *n, const struct nts_request *r,
                                const struct nts_session_keys *k, int n_cookies,
                                const uint8_t header[48], uint8_t *out, size_t cap,
                                size_t *out_len)
{
	uint8_t nonces[NTS_MAX_COOKIES + 1][NTS_AEAD_NONCE_SIZE];
	uint8_t cookies[NTS_MAX_COOKIES][NTS_COOKIE_SIZE];
	struct nts_aead s2c;
	int i, len;

	if (nts_random(nonces, sizeof(nonces[0]) * (size_t)(n_cookies + 1)) != 0)
		return NTS_UDP_DROP;
	for (i = 0; i < n_cookies; i++)
		nts_cookie_seal(&n->view.ring, k, nonces[i + 1], cookies[i]);
	nts_aead_init(&s2c, k->s2c);
	len = nts_ef_write_response(out, cap, header, r->uid, r->uid_len, &s2c, nonces[0],
	                            cookies[0], NTS_COOKIE_SIZE, n_cookies);
	if (len < 0)
		return NTS_UDP_DROP;
	*out_len = (size_t)len;
	return NTS_UDP_SEALED;
}

enum nts_udp_result nts_udp_reply(struct nts_udp *n, const uint8_t *req, size_t req_len,
                                  uint8_t header[48], uint8_t *out, size_t cap,
                                  size_t *out_len, struct worker_counters *ctr)
{
	uint8_t plain[NTS_PACKET_MAX];
	struct nts_request r;
	struct nts_session_keys k;
	struct nts_aead c2s;
	enum nts_udp_result res;
	int hidden;

	switch (nts_ef_parse_request(req, req_len, &r)) {
	case NTS_EF_NONE:
		return NTS_UDP_PLAIN;
	case NTS_EF_BAD:
		ctr->nts_udp_bad++;
		return NTS_UDP_DROP;
	case NTS_EF_OK:
		break;
	}
	if (nts_keys_refresh(n->keys, &n->view) != 0 ||
	    nts_cookie_open(&n->view.ring, r.cookie, r.cookie_len, &k) != 0)
		return nak(&r, header, out, cap, out_len, ctr);
	nts_aead_init(&c2s, k.c2s);
	if (r.sealed_len > sizeof(plain) + NTS_AEAD_TAG_SIZE ||
	    nts_aead_open(&c2s, r.nonce, r.nonce_len, req, r.auth_offset, r.sealed, r.sealed_len,
	                  plain) != 0) {
		ctr->nts_udp_auth_failed++;
		return NTS_UDP_DROP;
	}
	hidden = nts_ef_count_placeholders(plain, r.sealed_len - NTS_AEAD_TAG_SIZE, r.cookie_len);
	res = seal(n, &r, &k, cookies_wanted(&r, hidden > 0 ? hidden : 0, req_len), header, out,
	           cap, out_len);
	explicit_bzero(&k, sizeof(k));
	return res;
}
