/* NTS cookies: the two session keys sealed under a server master key, so
 * that the server keeps no per-client state (RFC 8915 section 6). A cookie
 * is the master key's id (4 bytes), a nonce (16) and the sealed keys (80):
 * 100 bytes, the size chronyd's are. */
#ifndef TSD_NTS_COOKIE_H
#define TSD_NTS_COOKIE_H

#include <stddef.h>
#include <stdint.h>
#include "common/nts_aead.h"

#define NTS_COOKIE_SIZE (4 + NTS_AEAD_NONCE_SIZE + 2 * NTS_AEAD_KEY_SIZE + NTS_AEAD_TAG_SIZE)
/* The current master key and the ones before it, whose cookies clients may
 * still hold: a cookie outlives its key by at most (NTS_KEYRING_SIZE - 1)
 * rotations. */
#define NTS_KEYRING_SIZE 3

struct nts_session_keys {
	uint8_t c2s[NTS_AEAD_KEY_SIZE];
	uint8_t s2c[NTS_AEAD_KEY_SIZE];
};

struct nts_master_key {
	uint32_t id;
	uint8_t key[NTS_AEAD_KEY_SIZE];
};

/* Master keys made ready for use; keys[0] is the current one, seals new
 * cookies; the others only open. */
struct nts_keyring {
	size_t n;
	uint32_t ids[NTS_KEYRING_SIZE];
	struct nts_aead aead[NTS_KEYRING_SIZE];
};

/* n is 1..NTS_KEYRING_SIZE, newest first. */
void nts_keyring_init(struct nts_keyring *kr, const struct nts_master_key *keys, size_t n);

/* Seal k under the current key with the given nonce (fresh random bytes
 * from the caller, who may fetch them in bulk). */
void nts_cookie_seal(const struct nts_keyring *kr, const struct nts_session_keys *k,
                     const uint8_t nonce[NTS_AEAD_NONCE_SIZE], uint8_t out[NTS_COOKIE_SIZE]);

/* 0 with k filled, or -1: wrong size, a key id not in the ring (another
 * server's, or one rotated out), or the seal does not verify. */
int nts_cookie_open(const struct nts_keyring *kr, const uint8_t *cookie, size_t len,
                    struct nts_session_keys *k);

#endif
