/* Sealing and opening NTS cookies under the master keys. */
#include "common/nts_cookie.h"

#include <string.h>

#define ID_SIZE 4

void nts_keyring_init(struct nts_keyring *kr, const struct nts_master_key *keys, size_t n)
{
	size_t i;

	if (n > NTS_KEYRING_SIZE)
		n = NTS_KEYRING_SIZE;
	kr->n = n;
	for (i = 0; i < n; i++) {
		kr->ids[i] = keys[i].id;
		nts_aead_init(&kr->aead[i], keys[i].key);
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The key id is the associated data: a cookie cannot be moved to another key. */
void nts_cookie_seal(const struct nts_keyring *kr, const struct nts_session_keys *k,
                     const uint8_t nonce[NTS_AEAD_NONCE_SIZE], uint8_t out[NTS_COOKIE_SIZE])
{
	uint8_t plain[2 * NTS_AEAD_KEY_SIZE];

	memcpy(plain, k->c2s, NTS_AEAD_KEY_SIZE);
	memcpy(plain + NTS_AEAD_KEY_SIZE, k->s2c, NTS_AEAD_KEY_SIZE);
	put32(out, kr->ids[0]);
	memcpy(out + ID_SIZE, nonce, NTS_AEAD_NONCE_SIZE);
	nts_aead_seal(&kr->aead[0], nonce, NTS_AEAD_NONCE_SIZE, out, ID_SIZE,
	              plain, sizeof(plain), out + ID_SIZE + NTS_AEAD_NONCE_SIZE);
}

int nts_cookie_open(const struct nts_keyring *kr, const uint8_t *cookie, size_t len,
                    struct nts_session_keys *k)
{
	uint8_t plain[2 * NTS_AEAD_KEY_SIZE];
	uint32_t id;
	size_t i;

	if (len != NTS_COOKIE_SIZE)
		return -1;
	id = get32(cookie);
	for (i = 0; i < kr->n && kr->ids[i] != id; i++)
		;
	if (i == kr->n)
		return -1;
	if (nts_aead_open(&kr->aead[i], cookie + ID_SIZE, NTS_AEAD_NONCE_SIZE, cookie, ID_SIZE,
	                  cookie + ID_SIZE + NTS_AEAD_NONCE_SIZE,
	                  len - ID_SIZE - NTS_AEAD_NONCE_SIZE, plain) != 0)
		return -1;
	memcpy(k->c2s, plain, NTS_AEAD_KEY_SIZE);
	memcpy(k->s2c, plain + NTS_AEAD_KEY_SIZE, NTS_AEAD_KEY_SIZE);
	return 0;
}
