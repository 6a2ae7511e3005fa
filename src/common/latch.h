/* A two-copy seqlock ("latch") in shared memory: one writer, any number of
 * readers that never wait. The writer updates one copy while the readers
 * use the other, so a writer killed half-way through leaves a whole copy
 * behind, and a reader that raced a switch sees the sequence move and
 * copies again. Used by the served correction and the sync state. */
#ifndef TSD_COMMON_LATCH_H
#define TSD_COMMON_LATCH_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A reader gives up after this many torn reads: writers publish a few
 * times a second at most, so even one retry is rare. */
#define LATCH_READ_TRIES 64

/* copies: two records of `size` bytes one after the other; *seq even means
 * readers use the first, odd the second. A zeroed area is a valid latch
 * whose readers see the zeroed first copy. Inline: the workers read the
 * correction on every request, and a constant size lets the copy inline. */
static inline void latch_set_seq(volatile uint32_t *seq, uint32_t value)
{
	__atomic_store_n(seq, value, __ATOMIC_RELEASE);
	/* The copy written next must not become visible before seq. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Readers use copy[seq & 1]: write the copy they are not using, switch
 * them to it, then bring the other copy up to date. An odd seq left by a
 * writer that died means readers are on the second copy already. */
static inline void latch_publish(volatile uint32_t *seq, void *copies, size_t size,
                                 const void *value)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);
	unsigned char *c = copies;

	if ((s & 1) == 0)
		latch_set_seq(seq, ++s);
	memcpy(c, value, size);
	latch_set_seq(seq, ++s);
	memcpy(c + size, value, size);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* 0 with a consistent copy in out, or -EAGAIN if a writer raced every try. */
static inline int latch_read(const volatile uint32_t *seq, const void *copies, size_t size,
                             void *out)
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

#endif
