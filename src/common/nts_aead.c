/* The AEAD of NTS: Nettle's SIV-CMAC with AES-128 halves (a 256-bit key). */
#include "common/nts_aead.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
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

/* The kernel's generator, read a page at a time: one getrandom for
 * dozens of replies instead of one each (about 8 % of a worker's time per
 * NTS reply under load went to the call). The page is wiped in a child
 * at fork (MADV_WIPEONFORK), so two processes never hand out the same
 * bytes: a child finds it empty and fills its own. Where the kernel cannot
 * wipe it, every call goes to the kernel. */
struct random_pool {
	size_t next;                    /* bytes of buf handed out; 0 after fork */
	size_t filled;                  /* bytes of buf from the kernel */
	uint8_t buf[4096 - 2 * sizeof(size_t)];
};

static struct random_pool *pool;
static int pool_tried;

static int kernel_random(void *buf, size_t len)
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

void nts_random_init(void)
{
	void *page;

	if (pool_tried)
		return;
	pool_tried = 1;
	page = mmap(NULL, sizeof(*pool), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	            -1, 0);
	if (page == MAP_FAILED)
		return;
	if (madvise(page, sizeof(*pool), MADV_WIPEONFORK) != 0 ||
	    madvise(page, sizeof(*pool), MADV_DONTDUMP) != 0) {
		munmap(page, sizeof(*pool));
		return;
	}
	pool = page;
}

/* Refill when what is left cannot serve len: the rest is dropped, never
 * handed out twice. */
static int pool_take(void *buf, size_t len)
{
	if (pool->filled - pool->next < len) {
		if (kernel_random(pool->buf, sizeof(pool->buf)) != 0)
			return -1;
		pool->filled = sizeof(pool->buf);
		pool->next = 0;
	}
	memcpy(buf, pool->buf + pool->next, len);
	explicit_bzero(pool->buf + pool->next, len);
	pool->next += len;
	return 0;
}

int nts_random(void *buf, size_t len)
{
	if (!pool_tried)
		nts_random_init();
	if (pool == NULL || len > sizeof(pool->buf) / 8)
		return kernel_random(buf, len);
	return pool_take(buf, len);
}
