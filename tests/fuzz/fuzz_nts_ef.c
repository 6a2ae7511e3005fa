/* libFuzzer target for the NTS extension fields: the server's request
 * parser keeps every pointer inside the packet; a request it accepts gets a
 * response no larger than itself, which a client with the same identifier
 * accepts; the client's response parser and the placeholder count never
 * crash on anything. */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "common/nts_ef.h"

static struct nts_aead key;

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

static void check_request(const uint8_t *data, size_t size)
{
	static uint8_t out[NTS_PACKET_MAX * 2];
	static struct nts_response resp;
	struct nts_request req;
	uint8_t nonce[NTS_AEAD_NONCE_SIZE] = { 0 }, cookies[NTS_MAX_COOKIES * 100] = { 0 };
	size_t want;
	int n, len;

	if (nts_ef_parse_request(data, size, &req) != NTS_EF_OK)
		return;
	FUZZ_CHECK(inside(req.uid, req.uid_len, data, size));
	FUZZ_CHECK(inside(req.cookie, req.cookie_len, data, size));
	FUZZ_CHECK(inside(req.nonce, req.nonce_len, data, size));
	FUZZ_CHECK(inside(req.sealed, req.sealed_len, data, size));
	FUZZ_CHECK(req.auth_offset >= 48 && req.auth_offset < size);
	/* As many cookies as asked for and as fit in the request's size. */
	for (n = 1 + req.placeholders; n > 0; n--)
		if (n <= NTS_MAX_COOKIES && nts_ef_response_size(req.uid_len, 100, n) <= size)
			break;
	if (n == 0)
		return;
	want = nts_ef_response_size(req.uid_len, 100, n);
	len = nts_ef_write_response(out, sizeof(out), data, req.uid, req.uid_len, &key, nonce,
	                            cookies, 100, n);
	FUZZ_CHECK(len > 0 && (size_t)len == want && (size_t)len <= size);
	if (req.uid_len == NTS_UID_SIZE) {
		FUZZ_CHECK(nts_ef_parse_response(out, (size_t)len, req.uid, &key, &resp) == NTS_RESPONSE_OK);
		FUZZ_CHECK(resp.n_cookies == n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nts_response resp;
	static const uint8_t key_bytes[NTS_AEAD_KEY_SIZE] = { 1, 2, 3 };
	uint8_t uid[NTS_UID_SIZE] = { 0 };
	int r;

	nts_aead_init(&key, key_bytes);
	check_request(data, size);
	if (size >= 48 + 36)
		memcpy(uid, data + 52, sizeof(uid));
	r = nts_ef_parse_response(data, size, uid, &key, &resp);
	FUZZ_CHECK(r == NTS_RESPONSE_OK || r == NTS_RESPONSE_NAK || r == NTS_RESPONSE_BAD);
	FUZZ_CHECK(resp.n_cookies >= 0 && resp.n_cookies <= NTS_MAX_COOKIES);
	r = nts_ef_count_placeholders(data, size, 100);
	FUZZ_CHECK(r == -1 || (r >= 0 && (size_t)r <= size / NTS_EF_MIN));
	return 0;
}
