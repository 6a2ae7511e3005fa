/* The AEAD of NTS: Nettle's SIV-CMAC with AES-128 halves (a 256-bit key). */
#include "common/nts_aead.h"

#include <errno.h>
#include <sys/random.h>

void nts_aead_init(struct nts_aead *a, const uint8_t key[NTS_AEAD_KEY_SIZE])
{
	siv_cmac_aes128_set_key(&a->ctx, key);
}

void nts_aead_seal(const struct nts_aead *a, const uint8_t *nonce, size_t nonce_len,
                   const uint8_t *ad, size_t ad_len,
                   const uint8_t *plain, size_t plain_len, uint8_t *out)
{
	siv_cmac_aes128_encrypt_message(&a->ctx, nonce_len, nonce, ad_len, ad,
	                                plain_len + NTS_AEAD_TAG_SIZE, out, plain);
}

int nts_aead_open(const struct nts_aead *a, const uint8_t *nonce, size_t nonce_len,
                  const uint8_t *ad, size_t ad_len,
                  const uint8_t *sealed, size_t sealed_len, uint8_t *out)
{
	if (sealed_len < NTS_AEAD_TAG_SIZE || nonce_len < SIV_MIN_NONCE_SIZE ||
	    nonce_len > NTS_AEAD_NONCE_MAX)
		return -1;
	if (!siv_cmac_aes128_decrypt_message(&a->ctx, nonce_len, nonce, ad_len, ad,
	                                     sealed_len - NTS_AEAD_TAG_SIZE, out, sealed))
		return -1;
	return 0;
}

int nts_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
