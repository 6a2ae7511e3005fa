/* A min-heap of connection deadlines: O(log n) insert, remove and update. */

#include <assert.h>
#include <stdlib.h>

#include "tsd/deadline.h"

int deadline_heap_init(struct deadline_heap *h, uint32_t cap)
{
	h->n = 0;
	h->cap = cap;
	h->items = calloc(cap > 0 ? cap : 1, sizeof(*h->items));
	return h->items != NULL ? 0 : -1;
}

void deadline_heap_free(struct deadline_heap *h)
{
	free(h->items);
	h->items = NULL;
	h->n = 0;
}

static void place(struct deadline_heap *h, uint32_t i, struct conn *c)
{
	h->items[i] = c;
	c->heap_index = i;
}

static void sift_up(struct deadline_heap *h, uint32_t i)
{
	struct conn *c = h->items[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (h->items[parent]->deadline_ns <= c->deadline_ns)
			break;
		place(h, i, h->items[parent]);
		i = parent;
	}
	place(h, i, c);
}

static void sift_down(struct deadline_heap *h, uint32_t i)
{
	struct conn *c = h->items[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n &&
		    h->items[child + 1]->deadline_ns < h->items[child]->deadline_ns)
			child++;
		if (c->deadline_ns <= h->items[child]->deadline_ns)
			break;
		place(h, i, h->items[child]);
		i = child;
	}
	place(h, i, c);
}

void deadline_heap_push(struct deadline_heap *h, struct conn *c)
{
	assert(h->n < h->cap);
	place(h, h->n, c);
	h->n++;
	sift_up(h, h->n - 1);
}

void deadline_heap_remove(struct deadline_heap *h, struct conn *c)
{
	uint32_t i = c->heap_index;

	assert(i < h->n && h->items[i] == c);
	h->n--;
	if (i == h->n)
		return;
	place(h, i, h->items[h->n]);
	deadline_heap_update(h, h->items[i]);
}

void deadline_heap_update(struct deadline_heap *h, struct conn *c)
{
	uint32_t i = c->heap_index;

	if (i > 0 && h->items[(i - 1) / 2]->deadline_ns > c->deadline_ns)
		sift_up(h, i);
	else
		sift_down(h, i);
}
