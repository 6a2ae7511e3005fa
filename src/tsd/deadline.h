/* The deadlines of a worker's connections: a binary min-heap keyed by
 * deadline_ns, with each connection knowing its own position. */
#ifndef TSD_DEADLINE_H
#define TSD_DEADLINE_H

#include <stdint.h>
#include "tsd/conn.h"

struct deadline_heap {
	struct conn **items;
	uint32_t n;
	uint32_t cap;
};

int deadline_heap_init(struct deadline_heap *h, uint32_t cap);
void deadline_heap_free(struct deadline_heap *h);
/* The caller guarantees room: at most cap connections are ever pushed. */
void deadline_heap_push(struct deadline_heap *h, struct conn *c);
void deadline_heap_remove(struct deadline_heap *h, struct conn *c);
/* c->deadline_ns changed: restore the heap order. */
void deadline_heap_update(struct deadline_heap *h, struct conn *c);
/* The earliest deadline, or NULL when empty. */
static inline struct conn *deadline_heap_top(const struct deadline_heap *h)
{
	return h->n > 0 ? h->items[0] : NULL;
}

#endif
