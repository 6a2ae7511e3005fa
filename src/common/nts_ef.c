/* NTS extension fields: parse and write requests and responses. */
#include "common/nts_ef.h"

#include <string.h>

#define NTP_HEADER 48
#define PAD4(n) (((n) + 3) & ~(size_t)3)
#define AUTH_FIXED 4                    /* nonce length, ciphertext length */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int nts_ef_next(const uint8_t *pkt, size_t len, size_t *pos, uint16_t *type,
                const uint8_t **body, size_t *body_len)
{
	size_t field_len;

	if (*pos == len)
		return 0;
	if (*pos > len || len - *pos < NTS_EF_MIN)
		return -1;
	field_len = get16(pkt + *pos + 2);
	if (field_len < NTS_EF_MIN || field_len % 4 != 0 || field_len > len - *pos)
		return -1;
	*type = get16(pkt + *pos);
	*body = pkt + *pos + NTS_EF_HEADER;
	*body_len = field_len - NTS_EF_HEADER;
	*pos += field_len;
	return 1;
}

/* An Authenticator body: nonce and sealed text, each padded to 4 bytes. */
static int read_authenticator(const uint8_t *body, size_t len, const uint8_t **nonce,
                              size_t *nonce_len, const uint8_t **sealed, size_t *sealed_len)
{
	if (len < AUTH_FIXED)
		return -1;
	*nonce_len = get16(body);
	*sealed_len = get16(body + 2);
	if (*nonce_len < 1 || *nonce_len > NTS_AEAD_NONCE_MAX || *sealed_len < NTS_AEAD_TAG_SIZE)
		return -1;
	if (AUTH_FIXED + PAD4(*nonce_len) + PAD4(*sealed_len) > len)
		return -1;
	*nonce = body + AUTH_FIXED;
	*sealed = body + AUTH_FIXED + PAD4(*nonce_len);
	return 0;
}

/* One field of a request before its authenticator. */
static int take_request_field(uint16_t type, const uint8_t *body, size_t len,
                              struct nts_request *req, int *seen_nts)
{
	switch (type) {
	case NTS_EF_UNIQUE_ID:
		if (req->uid != NULL || len < NTS_UID_MIN || len > NTS_UID_MAX)
			return -1;
		req->uid = body;
		req->uid_len = len;
		break;
	case NTS_EF_COOKIE:
		if (req->cookie != NULL || len > NTS_COOKIE_LEN_MAX)
			return -1;
		req->cookie = body;
		req->cookie_len = len;
		break;
	case NTS_EF_PLACEHOLDER:
		req->placeholders++;
		/* Their size is checked against the cookie's at the end. */
		if (req->cookie_len != 0 && len != req->cookie_len)
			return -1;
		break;
	default:
		return 0;
	}
	*seen_nts = 1;
	return 0;
}

enum nts_ef_status nts_ef_parse_request(const uint8_t *pkt, size_t len, struct nts_request *req)
{
	size_t pos = NTP_HEADER, field_start, body_len;
	const uint8_t *body;
	uint16_t type;
	int r, seen_nts = 0;

	memset(req, 0, sizeof(*req));
	if (len < NTP_HEADER)
		return NTS_EF_BAD;
	for (;;) {
		field_start = pos;
		r = nts_ef_next(pkt, len, &pos, &type, &body, &body_len);
		if (r <= 0)
			return seen_nts ? NTS_EF_BAD : NTS_EF_NONE;
		if (type == NTS_EF_AUTHENTICATOR)
			break;
		if (take_request_field(type, body, body_len, req, &seen_nts) != 0)
			return NTS_EF_BAD;
	}
	/* The authenticator is last: nothing unauthenticated follows it. */
	if (pos != len || req->uid == NULL || req->cookie == NULL)
		return NTS_EF_BAD;
	req->auth_offset = field_start;
	if (read_authenticator(body, body_len, &req->nonce, &req->nonce_len,
	                       &req->sealed, &req->sealed_len) != 0)
		return NTS_EF_BAD;
	return NTS_EF_OK;
}

int nts_ef_count_placeholders(const uint8_t *plain, size_t len, size_t cookie_len)
{
	size_t pos = 0, body_len;
	const uint8_t *body;
	uint16_t type;
	int r, n = 0;

	while ((r = nts_ef_next(plain, len, &pos, &type, &body, &body_len)) == 1)
		if (type == NTS_EF_PLACEHOLDER && body_len == cookie_len)
			n++;
	return r < 0 ? -1 : n;
}

/* Fields are padded to 4 bytes and are at least 16 long. */
static size_t field_size(size_t body_len)
{
	size_t n = NTS_EF_HEADER + PAD4(body_len);

	return n < NTS_EF_MIN ? NTS_EF_MIN : n;
}

static size_t put_field(uint8_t *out, uint16_t type, const uint8_t *body, size_t body_len)
{
	size_t field_len = field_size(body_len);

	put16(out, type);
	put16(out + 2, field_len);
	if (body != NULL)
		memcpy(out + NTS_EF_HEADER, body, body_len);
	else
		memset(out + NTS_EF_HEADER, 0, body_len);
	memset(out + NTS_EF_HEADER + body_len, 0, field_len - NTS_EF_HEADER - body_len);
	return field_len;
}

static size_t auth_size(size_t plain_len)
{
	return field_size(AUTH_FIXED + NTS_AEAD_NONCE_SIZE + PAD4(plain_len + NTS_AEAD_TAG_SIZE));
}

/* Write an Authenticator at out sealing plain (which may be at out's
 * plaintext place already) with AD = pkt[0..ad_len). */
static size_t put_authenticator(uint8_t *pkt, size_t ad_len, const struct nts_aead *key,
                                const uint8_t nonce[NTS_AEAD_NONCE_SIZE],
                                const uint8_t *plain, size_t plain_len)
{
	uint8_t *out = pkt + ad_len, *body = out + NTS_EF_HEADER;
	size_t sealed_len = plain_len + NTS_AEAD_TAG_SIZE, total = auth_size(plain_len);

	put16(out, NTS_EF_AUTHENTICATOR);
	put16(out + 2, total);
	put16(body, NTS_AEAD_NONCE_SIZE);
	put16(body + 2, sealed_len);
	memcpy(body + AUTH_FIXED, nonce, NTS_AEAD_NONCE_SIZE);
	nts_aead_seal(key, nonce, NTS_AEAD_NONCE_SIZE, pkt, ad_len, plain, plain_len,
	              body + AUTH_FIXED + NTS_AEAD_NONCE_SIZE);
	memset(body + AUTH_FIXED + NTS_AEAD_NONCE_SIZE + sealed_len, 0,
	       total - NTS_EF_HEADER - AUTH_FIXED - NTS_AEAD_NONCE_SIZE - sealed_len);
	return total;
}

size_t nts_ef_response_size(size_t uid_len, size_t cookie_len, int n)
{
	return NTP_HEADER + field_size(uid_len) + auth_size((size_t)n * field_size(cookie_len));
}

int nts_ef_write_response(uint8_t *out, size_t cap, const uint8_t header[48],
                          const uint8_t *uid, size_t uid_len, const struct nts_aead *s2c,
                          const uint8_t nonce[NTS_AEAD_NONCE_SIZE],
                          const uint8_t *cookies, size_t cookie_len, int n)
{
	uint8_t plain[NTS_PACKET_MAX];
	size_t pos, plain_len = 0;
	int i;

	if (n < 0 || n > NTS_MAX_COOKIES || cookie_len > NTS_COOKIE_LEN_MAX ||
	    uid_len > NTS_UID_MAX || nts_ef_response_size(uid_len, cookie_len, n) > cap ||
	    (size_t)n * field_size(cookie_len) > sizeof(plain))
		return -1;
	for (i = 0; i < n; i++)
		plain_len += put_field(plain + plain_len, NTS_EF_COOKIE,
		                       cookies + (size_t)i * cookie_len, cookie_len);
	memcpy(out, header, NTP_HEADER);
	pos = NTP_HEADER + put_field(out + NTP_HEADER, NTS_EF_UNIQUE_ID, uid, uid_len);
	pos += put_authenticator(out, pos, s2c, nonce, plain, plain_len);
	return (int)pos;
}

int nts_ef_write_nak(uint8_t *out, size_t cap, const uint8_t header[48],
                     const uint8_t *uid, size_t uid_len)
{
	if (uid_len > NTS_UID_MAX || NTP_HEADER + field_size(uid_len) > cap)
		return -1;
	memcpy(out, header, NTP_HEADER);
	return (int)(NTP_HEADER + put_field(out + NTP_HEADER, NTS_EF_UNIQUE_ID, uid, uid_len));
}

int nts_ef_write_request(uint8_t *out, size_t cap, const uint8_t header[48],
                         const uint8_t uid[NTS_UID_SIZE], const uint8_t *cookie,
                         size_t cookie_len, int n_placeholders, const struct nts_aead *c2s,
                         const uint8_t nonce[NTS_AEAD_NONCE_SIZE])
{
	size_t pos, need;
	int i;

	if (n_placeholders < 0 || n_placeholders >= NTS_MAX_COOKIES || cookie_len < 1 ||
	    cookie_len > NTS_COOKIE_LEN_MAX)
		return -1;
	need = NTP_HEADER + field_size(NTS_UID_SIZE) +
	       (size_t)(1 + n_placeholders) * field_size(cookie_len) + auth_size(0);
	if (need > cap)
		return -1;
	memcpy(out, header, NTP_HEADER);
	pos = NTP_HEADER + put_field(out + NTP_HEADER, NTS_EF_UNIQUE_ID, uid, NTS_UID_SIZE);
	pos += put_field(out + pos, NTS_EF_COOKIE, cookie, cookie_len);
	for (i = 0; i < n_placeholders; i++)
		pos += put_field(out + pos, NTS_EF_PLACEHOLDER, NULL, cookie_len);
	pos += put_authenticator(out, pos, c2s, nonce, NULL, 0);
	return (int)pos;
}

/* The cookies inside a response's plaintext; other fields are ignored. */
static int take_cookies(const uint8_t *plain, size_t len, struct nts_response *resp)
{
	size_t pos = 0, body_len;
	const uint8_t *body;
	uint16_t type;
	int r;

	while ((r = nts_ef_next(plain, len, &pos, &type, &body, &body_len)) == 1) {
		if (type != NTS_EF_COOKIE || resp->n_cookies == NTS_MAX_COOKIES)
			continue;
		if (body_len > NTS_COOKIE_LEN_MAX)
			return -1;
		memcpy(resp->cookies[resp->n_cookies], body, body_len);
		resp->cookie_len[resp->n_cookies++] = (uint16_t)body_len;
	}
	return r;
}

static int is_nak_header(const uint8_t *pkt)
{
	return pkt[1] == 0 && memcmp(pkt + 12, "NTSN", 4) == 0;
}

/* The fields of a response before its authenticator: the identifier must
 * be ours and present once. Returns the authenticator's offset (0: none). */
static int scan_response(const uint8_t *pkt, size_t len, const uint8_t uid[NTS_UID_SIZE],
                         size_t *auth_start, const uint8_t **auth, size_t *auth_len)
{
	size_t pos = NTP_HEADER, start;
	const uint8_t *body;
	size_t body_len;
	uint16_t type;
	int r, uid_ok = 0;

	*auth_start = 0;
	for (;;) {
		start = pos;
		r = nts_ef_next(pkt, len, &pos, &type, &body, &body_len);
		if (r < 0)
			return -1;
		if (r == 0)
			return uid_ok ? 0 : -1;
		if (type == NTS_EF_AUTHENTICATOR) {
			*auth_start = start;
			*auth = body;
			*auth_len = body_len;
			return uid_ok && pos == len ? 0 : -1;
		}
		if (type == NTS_EF_UNIQUE_ID) {
			if (uid_ok || body_len != NTS_UID_SIZE || memcmp(body, uid, NTS_UID_SIZE) != 0)
				return -1;
			uid_ok = 1;
		}
	}
}

enum nts_response_status nts_ef_parse_response(const uint8_t *pkt, size_t len,
                                               const uint8_t uid[NTS_UID_SIZE],
                                               const struct nts_aead *s2c,
                                               struct nts_response *resp)
{
	uint8_t plain[NTS_PACKET_MAX];
	const uint8_t *auth = NULL, *nonce, *sealed;
	size_t auth_start, auth_len = 0, nonce_len, sealed_len;

	resp->n_cookies = 0;
	if (len < NTP_HEADER || len > NTS_PACKET_MAX ||
	    scan_response(pkt, len, uid, &auth_start, &auth, &auth_len) != 0)
		return NTS_RESPONSE_BAD;
	if (auth_start == 0)
		return is_nak_header(pkt) ? NTS_RESPONSE_NAK : NTS_RESPONSE_BAD;
	if (read_authenticator(auth, auth_len, &nonce, &nonce_len, &sealed, &sealed_len) != 0 ||
	    nts_aead_open(s2c, nonce, nonce_len, pkt, auth_start, sealed, sealed_len, plain) != 0)
		return NTS_RESPONSE_BAD;
	if (take_cookies(plain, sealed_len - NTS_AEAD_TAG_SIZE, resp) != 0)
		return NTS_RESPONSE_BAD;
	return NTS_RESPONSE_OK;
}
