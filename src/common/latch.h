/* A two-copy seqlock ("latch") in shared memory: one writer, any number of
 * readers that never wait. The writer updates one copy while the readers
 * use the other, so a writer killed half-way through leaves a whole copy
 * behind, and a reader that raced a switch sees the sequence move and
 * copies again. Used by the served correction and the sync state. */
#ifndef TSD_COMMON_LATCH_H
#define TSD_COMMON_LATCH_H

#include <stddef.h>
#include <stdint.h>

/* A reader gives up after this many torn reads: writers publish a few
 * times a second at most, so even one retry is rare. */
#define LATCH_READ_TRIES 64

/* copies: two records of `size` bytes one after the other; *seq even means
 * readers use the first, odd the second. A zeroed area is a valid latch
 * whose readers see the zeroed first copy. */
void latch_publish(volatile uint32_t *seq, void *copies, size_t size, const void *value);

/* 0 with a consistent copy in out, or -EAGAIN if a writer raced every try. */
int latch_read(const volatile uint32_t *seq, const void *copies, size_t size, void *out);

#endif
