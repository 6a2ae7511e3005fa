/* Unit tests for the NTS AEAD (src/common/nts_aead.c), cookies
 * (nts_cookie.c) and extension fields (nts_ef.c). The expected bytes were
 * computed with an independent RFC 5297 implementation (pyca/cryptography's
 * AESSIV, associated data then nonce as the S2V vector), so these tests
 * check our framing and Nettle's use against another reading of the RFCs. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/nts_aead.h"
#include "common/nts_cookie.h"
#include "common/nts_ef.h"

static const char AEAD_SEALED[] =
	"9d06776e47f4d8cae8affd6848898ff405a8d3a8cb776f9dd99050d7cc1c5b549b4dce88e003e53775";
static const char COOKIE[] =
	"01020304101112131415161718191a1b1c1d1e1f9cc9a22bcf1b48d8cc2fa91eb155ed2a69b1791f"
	"7d6a55f78d55a77d9d93af9da2368f359e36e3224e0d462d682877ada0dfbcdfad87e3567cecae75"
	"c14fc0044171152d1ff9750ef9b1d5ba613aa9ea";
/* A request with one placeholder, and the response with two cookies. */
static const char REQUEST[] =
	"23000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"e0e1e2e3e4e5e6e70104002455555555555555555555555555555555555555555555555555555555"
	"55555555020400687777777777777777777777777777777777777777777777777777777777777777"
	"77777777777777777777777777777777777777777777777777777777777777777777777777777777"
	"77777777777777777777777777777777777777777777777777777777030400680000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000404002800100010999999999999999999999999999999996a4544be"
	"a7ed3d80fabe502bc0d0484d";
static const char RESPONSE[] =
	"24020000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000104002455555555555555555555555555555555555555555555555555555555"
	"55555555040400f8001000e0333333333333333333333333333333330d195973d9b102df6da0353d"
	"25788603419796a36520526ccabcc365d5ac26c9ea0acbe64cf950519d57fd1862f3538a18d49203"
	"01d826e29657537c5f09a396877b4c8ded877011fed1dbb9ce9a03eb7ac4ddd6e1a69f044279b003"
	"370f93009f9bac59a9a2dc58dee38b14cdab4259b06f5a2b61fc39b5ec9a4d9602a0c6b2731f9237"
	"4ed3d1ed66434fbdf4a79b55058367253a96a14652f744fd1e6f0915949d658204eaaad8433604fe"
	"9e75fde6fa47c7bd30cfdd016ac13c04a027a63d790ce897d68d3f86dd4fe85bf525ee5d0019eaad"
	"cea01667561073a61686d5c7";

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t i, n = strlen(hex) / 2;
	unsigned v;

	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void session_keys(struct nts_session_keys *k)
{
	fill(k->c2s, sizeof(k->c2s), 0x00);
	fill(k->s2c, sizeof(k->s2c), 0x20);
}

static void test_aead_vector(void **state)
{
	uint8_t key[32], nonce[16], expect[64], out[64], back[64];
	const char *ad = "tsd nts test ad", *plain = "hello, authenticated time";
	size_t n = unhex(AEAD_SEALED, expect), plen = strlen(plain);
	struct nts_aead a;

	(void)state;
	fill(key, 32, 0);
	fill(nonce, 16, 0xa0);
	nts_aead_init(&a, key);
	nts_aead_seal(&a, nonce, 16, (const uint8_t *)ad, strlen(ad), (const uint8_t *)plain, plen, out);
	assert_int_equal(n, plen + NTS_AEAD_TAG_SIZE);
	assert_memory_equal(out, expect, n);
	assert_int_equal(nts_aead_open(&a, nonce, 16, (const uint8_t *)ad, strlen(ad), out, n, back), 0);
	assert_memory_equal(back, plain, plen);
	/* Any change to the ciphertext, the AD or the nonce is refused. */
	out[20] ^= 1;
	assert_int_equal(nts_aead_open(&a, nonce, 16, (const uint8_t *)ad, strlen(ad), out, n, back), -1);
	out[20] ^= 1;
	assert_int_equal(nts_aead_open(&a, nonce, 16, (const uint8_t *)ad, strlen(ad) - 1, out, n, back), -1);
	nonce[0] ^= 1;
	assert_int_equal(nts_aead_open(&a, nonce, 16, (const uint8_t *)ad, strlen(ad), out, n, back), -1);
	/* Shorter than a tag, or no nonce at all. */
	assert_int_equal(nts_aead_open(&a, nonce, 16, NULL, 0, out, 15, back), -1);
	assert_int_equal(nts_aead_open(&a, nonce, 0, NULL, 0, out, n, back), -1);
}

static void make_ring(struct nts_keyring *kr, uint32_t id, uint8_t first)
{
	struct nts_master_key mk = { .id = id };

	fill(mk.key, sizeof(mk.key), first);
	nts_keyring_init(kr, &mk, 1);
}

static void test_cookie_vector(void **state)
{
	struct nts_keyring kr;
	struct nts_session_keys k, back;
	uint8_t nonce[16], expect[NTS_COOKIE_SIZE], out[NTS_COOKIE_SIZE];

	(void)state;
	assert_int_equal(NTS_COOKIE_SIZE, 100);
	make_ring(&kr, 0x01020304, 0x40);
	session_keys(&k);
	fill(nonce, 16, 0x10);
	nts_cookie_seal(&kr, &k, nonce, out);
	assert_int_equal(unhex(COOKIE, expect), NTS_COOKIE_SIZE);
	assert_memory_equal(out, expect, NTS_COOKIE_SIZE);
	assert_int_equal(nts_cookie_open(&kr, out, sizeof(out), &back), 0);
	assert_memory_equal(&back, &k, sizeof(k));
	assert_int_equal(nts_cookie_open(&kr, out, sizeof(out) - 1, &back), -1);
	out[60] ^= 0x80;
	assert_int_equal(nts_cookie_open(&kr, out, sizeof(out), &back), -1);
}

/* Another server's cookie (other key, same id), a key rotated out of the
 * ring, and a rotation that keeps the previous key. */
static void test_cookie_keys(void **state)
{
	struct nts_master_key keys[NTS_KEYRING_SIZE + 1];
	struct nts_keyring kr, other;
	struct nts_session_keys k, back;
	uint8_t nonce[16] = { 0 }, cookie[NTS_COOKIE_SIZE];
	size_t i;

	(void)state;
	session_keys(&k);
	make_ring(&kr, 7, 0x40);
	make_ring(&other, 7, 0x41);
	nts_cookie_seal(&kr, &k, nonce, cookie);
	assert_int_equal(nts_cookie_open(&other, cookie, sizeof(cookie), &back), -1);
	for (i = 0; i <= NTS_KEYRING_SIZE; i++) {
		keys[i].id = (uint32_t)(100 - i);
		fill(keys[i].key, 32, (uint8_t)(i * 32));
	}
	/* Sealed under key 98, the third newest: opens while it is in the ring. */
	nts_keyring_init(&kr, keys + 2, 1);
	nts_cookie_seal(&kr, &k, nonce, cookie);
	nts_keyring_init(&kr, keys, NTS_KEYRING_SIZE);
	assert_int_equal(nts_cookie_open(&kr, cookie, sizeof(cookie), &back), 0);
	assert_memory_equal(&back, &k, sizeof(k));
	nts_keyring_init(&kr, keys, 2);
	assert_int_equal(nts_cookie_open(&kr, cookie, sizeof(cookie), &back), -1);
}

static void request_parts(uint8_t header[48], uint8_t uid[32], uint8_t cookie[100])
{
	memset(header, 0, 48);
	header[0] = 0x23;
	fill(header + 40, 8, 0xe0);
	memset(uid, 0x55, 32);
	memset(cookie, 0x77, 100);
}

static void test_request_vector(void **state)
{
	uint8_t header[48], uid[32], cookie[100], nonce[16], expect[NTS_PACKET_MAX];
	uint8_t out[NTS_PACKET_MAX], plain[NTS_PACKET_MAX];
	struct nts_session_keys k;
	struct nts_aead c2s;
	struct nts_request req;
	size_t n = unhex(REQUEST, expect);
	int len;

	(void)state;
	request_parts(header, uid, cookie);
	memset(nonce, 0x99, 16);
	session_keys(&k);
	nts_aead_init(&c2s, k.c2s);
	len = nts_ef_write_request(out, sizeof(out), header, uid, cookie, 100, 1, &c2s, nonce);
	assert_int_equal(len, (int)n);
	assert_memory_equal(out, expect, n);
	assert_int_equal(nts_ef_parse_request(out, n, &req), NTS_EF_OK);
	assert_int_equal(req.uid_len, 32);
	assert_memory_equal(req.uid, uid, 32);
	assert_int_equal(req.cookie_len, 100);
	assert_memory_equal(req.cookie, cookie, 100);
	assert_int_equal(req.placeholders, 1);
	assert_int_equal(req.auth_offset, n - 40);
	assert_int_equal(nts_aead_open(&c2s, req.nonce, req.nonce_len, out, req.auth_offset,
	                               req.sealed, req.sealed_len, plain), 0);
	/* The response to it is exactly as long: never an amplifier. */
	assert_int_equal(nts_ef_response_size(32, 100, 2), n);
	/* Too small a buffer, or more placeholders than cookies can be asked. */
	assert_int_equal(nts_ef_write_request(out, n - 1, header, uid, cookie, 100, 1, &c2s, nonce), -1);
	assert_int_equal(nts_ef_write_request(out, sizeof(out), header, uid, cookie, 100, 8, &c2s, nonce), -1);
}

static size_t good_request(uint8_t *out)
{
	return unhex(REQUEST, out);
}

/* Each mutation of a valid request that the server must drop. */
static void test_request_refused(void **state)
{
	uint8_t pkt[NTS_PACKET_MAX] = { 0 };
	struct nts_request req;
	size_t n;

	(void)state;
	n = good_request(pkt);
	/* Truncated inside the authenticator, or with a byte beyond it. */
	assert_int_equal(nts_ef_parse_request(pkt, n - 4, &req), NTS_EF_BAD);
	pkt[n] = 0;
	assert_int_equal(nts_ef_parse_request(pkt, n + 4, &req), NTS_EF_BAD);
	/* A field length not a multiple of 4, or past the end. */
	pkt[48 + 36 + 3] = 0x69;
	assert_int_equal(nts_ef_parse_request(pkt, n, &req), NTS_EF_BAD);
	pkt[48 + 36 + 2] = 0x10;
	pkt[48 + 36 + 3] = 0x00;
	assert_int_equal(nts_ef_parse_request(pkt, n, &req), NTS_EF_BAD);
	/* A unique identifier shorter than 32 bytes. */
	n = good_request(pkt);
	pkt[48 + 3] = 0x20;
	memmove(pkt + 48 + 32, pkt + 48 + 36, n - 84);
	assert_int_equal(nts_ef_parse_request(pkt, n - 4, &req), NTS_EF_BAD);
	/* A placeholder not of the cookie's size. */
	n = good_request(pkt);
	pkt[48 + 36 + 104 + 3] = 0x64;
	assert_int_equal(nts_ef_parse_request(pkt, n, &req), NTS_EF_BAD);
	/* Two cookies. */
	n = good_request(pkt);
	pkt[48 + 36 + 104 + 1] = 0x04;
	pkt[48 + 36 + 104] = 0x02;
	assert_int_equal(nts_ef_parse_request(pkt, n, &req), NTS_EF_BAD);
	/* An authenticator whose nonce runs past its field. */
	n = good_request(pkt);
	pkt[n - 40 + 4] = 0x01;
	assert_int_equal(nts_ef_parse_request(pkt, n, &req), NTS_EF_BAD);
	/* No authenticator at all. */
	n = good_request(pkt);
	assert_int_equal(nts_ef_parse_request(pkt, n - 40, &req), NTS_EF_BAD);
}

static void test_request_not_nts(void **state)
{
	uint8_t pkt[NTS_PACKET_MAX] = { 0x23 };
	struct nts_request req;

	(void)state;
	assert_int_equal(nts_ef_parse_request(pkt, 48, &req), NTS_EF_NONE);
	/* An unknown field alone, or a 20-byte legacy MAC, is not NTS. */
	pkt[48] = 0x20;
	pkt[51] = 16;
	assert_int_equal(nts_ef_parse_request(pkt, 64, &req), NTS_EF_NONE);
	assert_int_equal(nts_ef_parse_request(pkt, 68, &req), NTS_EF_NONE);
	/* A malformed first field: what a server without NTS would see. */
	pkt[51] = 15;
	assert_int_equal(nts_ef_parse_request(pkt, 64, &req), NTS_EF_NONE);
	assert_int_equal(nts_ef_parse_request(pkt, 47, &req), NTS_EF_BAD);
}

static void response_cookies(uint8_t cookies[200])
{
	memset(cookies, 0xc1, 100);
	memset(cookies + 100, 0xc2, 100);
}

static void test_response_vector(void **state)
{
	uint8_t header[48] = { 0x24, 2 }, uid[32], nonce[16], cookies[200];
	uint8_t expect[NTS_PACKET_MAX], out[NTS_PACKET_MAX];
	struct nts_session_keys k;
	struct nts_aead s2c, c2s;
	struct nts_response resp;
	size_t n = unhex(RESPONSE, expect);
	int len;

	(void)state;
	memset(uid, 0x55, 32);
	memset(nonce, 0x33, 16);
	response_cookies(cookies);
	session_keys(&k);
	nts_aead_init(&s2c, k.s2c);
	nts_aead_init(&c2s, k.c2s);
	len = nts_ef_write_response(out, sizeof(out), header, uid, 32, &s2c, nonce, cookies, 100, 2);
	assert_int_equal(len, (int)n);
	assert_memory_equal(out, expect, n);
	assert_int_equal(nts_ef_parse_response(out, n, uid, &s2c, &resp), NTS_RESPONSE_OK);
	assert_int_equal(resp.n_cookies, 2);
	assert_int_equal(resp.cookie_len[1], 100);
	assert_memory_equal(resp.cookies[1], cookies + 100, 100);
	/* The wrong key (a reply sealed for another session). */
	assert_int_equal(nts_ef_parse_response(out, n, uid, &c2s, &resp), NTS_RESPONSE_BAD);
	/* Does not fit. */
	assert_int_equal(nts_ef_write_response(out, n - 1, header, uid, 32, &s2c, nonce, cookies, 100, 2), -1);
}

static void test_response_refused(void **state)
{
	uint8_t uid[32], other[32], pkt[NTS_PACKET_MAX] = { 0 };
	struct nts_session_keys k;
	struct nts_aead s2c;
	struct nts_response resp;
	size_t n;

	(void)state;
	memset(uid, 0x55, 32);
	memset(other, 0x56, 32);
	session_keys(&k);
	nts_aead_init(&s2c, k.s2c);
	n = unhex(RESPONSE, pkt);
	/* Another request's identifier. */
	assert_int_equal(nts_ef_parse_response(pkt, n, other, &s2c, &resp), NTS_RESPONSE_BAD);
	/* A timestamp changed on the way (it is in the associated data). */
	pkt[40] ^= 1;
	assert_int_equal(nts_ef_parse_response(pkt, n, uid, &s2c, &resp), NTS_RESPONSE_BAD);
	pkt[40] ^= 1;
	/* A field after the authenticator, which it would not cover. */
	memset(pkt + n, 0, 16);
	pkt[n + 3] = 16;
	assert_int_equal(nts_ef_parse_response(pkt, n + 16, uid, &s2c, &resp), NTS_RESPONSE_BAD);
	/* Truncated. */
	assert_int_equal(nts_ef_parse_response(pkt, n - 8, uid, &s2c, &resp), NTS_RESPONSE_BAD);
	/* No authenticator: only a NAK (stratum 0, NTSN) is told apart. */
	assert_int_equal(nts_ef_parse_response(pkt, 84, uid, &s2c, &resp), NTS_RESPONSE_BAD);
	pkt[1] = 0;
	memcpy(pkt + 12, "NTSN", 4);
	assert_int_equal(nts_ef_parse_response(pkt, 84, uid, &s2c, &resp), NTS_RESPONSE_NAK);
	assert_int_equal(nts_ef_parse_response(pkt, 84, other, &s2c, &resp), NTS_RESPONSE_BAD);
}

static void test_nak_and_placeholders(void **state)
{
	uint8_t header[48] = { 0x24, 0 }, uid[32], out[NTS_PACKET_MAX], plain[256] = { 0 };

	(void)state;
	memset(uid, 0x55, 32);
	assert_int_equal(nts_ef_write_nak(out, sizeof(out), header, uid, 32), 84);
	assert_int_equal(nts_ef_write_nak(out, 83, header, uid, 32), -1);
	assert_memory_equal(out + 52, uid, 32);
	/* Two placeholders of 100 bytes, one of another size. */
	plain[0] = 0x03; plain[1] = 0x04; plain[3] = 104;
	plain[104] = 0x03; plain[105] = 0x04; plain[107] = 104;
	assert_int_equal(nts_ef_count_placeholders(plain, 208, 100), 2);
	assert_int_equal(nts_ef_count_placeholders(plain, 208, 96), 0);
	assert_int_equal(nts_ef_count_placeholders(plain, 207, 100), -1);
}

/* The read-ahead of random bytes: never the same bytes twice, and a child
 * of fork never hands out what its parent will (the page is wiped). */
static void test_random_after_fork(void **state)
{
	uint8_t a[16], b[16], parent[16], child[16];
	int fds[2], status;
	pid_t pid;

	(void)state;
	nts_random_init();
	assert_int_equal(nts_random(a, sizeof(a)), 0);
	assert_int_equal(nts_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_exit(nts_random(child, sizeof(child)) != 0 ||
		      write(fds[1], child, sizeof(child)) != (ssize_t)sizeof(child));
	}
	assert_int_equal(nts_random(parent, sizeof(parent)), 0);
	assert_int_equal(read(fds[0], child, sizeof(child)), (ssize_t)sizeof(child));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_memory_not_equal(parent, child, sizeof(parent));
	/* More than a page's worth, past the refill. */
	for (int i = 0; i < 600; i++) {
		memcpy(a, b, sizeof(a));
		assert_int_equal(nts_random(b, sizeof(b)), 0);
		assert_memory_not_equal(a, b, sizeof(a));
	}
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aead_vector),
		cmocka_unit_test(test_cookie_vector),
		cmocka_unit_test(test_cookie_keys),
		cmocka_unit_test(test_request_vector),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_request_not_nts),
		cmocka_unit_test(test_response_vector),
		cmocka_unit_test(test_response_refused),
		cmocka_unit_test(test_nak_and_placeholders),
		cmocka_unit_test(test_random_after_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
