/* What the sync process writes into the sync state (sync_state.h) about
 * its sources: their measurements and why each is used or not. */
#ifndef TSD_SYNC_PUBLISH_H
#define TSD_SYNC_PUBLISH_H

#include <stddef.h>

#include "query/select.h"
#include "tsd/sync_source.h"
#include "tsd/sync_state.h"

/* The configured address and protocol of source i (once, at start). */
void sync_publish_name(struct sync_state *st, size_t i, const struct conf_sync_source *cfg);

/* The roles after a selection over the n usable sources map[0..n-1]
 * (pointers into srcs) with candidates c; ok: the selection found a
 * majority, whose system peer is c[best]. The others get the reason their
 * own state gives. */
void sync_publish_roles(struct sync_state *st, const struct sync_source *srcs, size_t n_srcs,
                        struct sync_source *const *map, const struct select_candidate *c,
                        size_t n, int ok, size_t best);

/* One poll of source i done: count it. */
void sync_publish_polled(struct sync_state *st, size_t i, const struct sync_source *src);

/* Each source's last measurement into st; corr (NULL: unknown this time)
 * is the correction in force, for the offsets from the time served. */
void sync_publish_sources(struct sync_state *st, const struct sync_source *srcs, size_t n,
                          const struct correction_params *corr);

#endif
