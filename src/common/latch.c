/* The two-copy seqlock shared by the served correction and the sync state. */
#include "common/latch.h"

#include <errno.h>
#include <string.h>

static void set_seq(volatile uint32_t *seq, uint32_t value)
{
	__atomic_store_n(seq, value, __ATOMIC_RELEASE);
	/* The copy written next must not become visible before seq. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Readers use copy[seq & 1]: write the copy they are not using, switch
 * them to it, then bring the other copy up to date. An odd seq left by a
 * writer that died means readers are on the second copy already. */
void latch_publish(volatile uint32_t *seq, void *copies, size_t size, const void *value)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);
	unsigned char *c = copies;

	if ((s & 1) == 0)
		set_seq(seq, ++s);
	memcpy(c, value, size);
	set_seq(seq, ++s);
	memcpy(c + size, value, size);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

int latch_read(const volatile uint32_t *seq, const void *copies, size_t size, void *out)
{
	const unsigned char *c = copies;

	for (int i = 0; i < LATCH_READ_TRIES; i++) {
		uint32_t before = __atomic_load_n(seq, __ATOMIC_ACQUIRE);

		memcpy(out, c + (before & 1) * size, size);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(seq, __ATOMIC_RELAXED) == before)
			return 0;
	}
	return -EAGAIN;
}
