/* AES-SIV-CMAC-256 (RFC 5297; NTS AEAD algorithm 15) through Nettle: the one
 * AEAD that NTS cookies and NTS-protected NTP packets use here. */
#ifndef TSD_NTS_AEAD_H
#define TSD_NTS_AEAD_H

#include <stddef.h>
#include <stdint.h>
#include <nettle/siv-cmac.h>

#define NTS_AEAD_ID 15                  /* IANA: AEAD_AES_SIV_CMAC_256 */
#define NTS_AEAD_NAME "AES-SIV-CMAC-256"
#define NTS_AEAD_KEY_SIZE 32
#define NTS_AEAD_TAG_SIZE 16
#define NTS_AEAD_NONCE_SIZE 16          /* what we send; we accept 1..NTS_AEAD_NONCE_MAX */
#define NTS_AEAD_NONCE_MAX 64

/* A key made ready once (the AES key schedules and CMAC subkeys), so that
 * sealing a packet does no key setup. */
struct nts_aead {
	struct siv_cmac_aes128_ctx ctx;
};

void nts_aead_init(struct nts_aead *a, const uint8_t key[NTS_AEAD_KEY_SIZE]);

/* out gets NTS_AEAD_TAG_SIZE + plain_len bytes (the SIV, then the
 * ciphertext). nonce_len must be 1..NTS_AEAD_NONCE_MAX. */
void nts_aead_seal(const struct nts_aead *a, const uint8_t *nonce, size_t nonce_len,
                   const uint8_t *ad, size_t ad_len,
                   const uint8_t *plain, size_t plain_len, uint8_t *out);

/* sealed_len includes the tag. out gets sealed_len - NTS_AEAD_TAG_SIZE
 * bytes. Returns 0, or -1 when the input is too short or does not
 * authenticate (out is then garbage). */
int nts_aead_open(const struct nts_aead *a, const uint8_t *nonce, size_t nonce_len,
                  const uint8_t *ad, size_t ad_len,
                  const uint8_t *sealed, size_t sealed_len, uint8_t *out);

/* Fill buf with unpredictable bytes from the kernel's generator (read
 * ahead a page at a time). 0, or -1 on failure. */
int nts_random(void *buf, size_t len);

/* Map the read-ahead page now (tsd's master calls it before forking, so
 * that a worker never maps memory to serve; the first nts_random does it
 * otherwise). Without MADV_WIPEONFORK it maps nothing and nts_random reads
 * the kernel's generator each time. */
void nts_random_init(void);

#endif
