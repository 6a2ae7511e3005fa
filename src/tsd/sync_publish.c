/* The sync process's side of the sync state: its sources as operators see
 * them. */
#include "tsd/sync_publish.h"

#include <stdio.h>
#include <string.h>

void sync_publish_name(struct sync_state *st, size_t i, const struct conf_sync_source *cfg)
{
	struct sync_state_source *out = &st->src[i];

	snprintf(out->address, sizeof(out->address), "%s", cfg->address);
	out->protocol = (uint8_t)cfg->protocol;
	out->role = SYNC_ROLE_NEW;
	if (i + 1 > st->n_sources)
		st->n_sources = (uint32_t)(i + 1);
}

/* The reason a source that is not among the candidates is left out. */
static enum sync_role idle_role(const struct sync_source *src)
{
	switch (src->state) {
	case SOURCE_NEW: return SYNC_ROLE_NEW;
	case SOURCE_OK: return SYNC_ROLE_STALE;
	case SOURCE_UNREACHABLE: return SYNC_ROLE_UNREACHABLE;
	case SOURCE_UNSYNCED: return SYNC_ROLE_UNSYNCHRONIZED;
	case SOURCE_LOOP: return SYNC_ROLE_LOOP;
	case SOURCE_BAD: return SYNC_ROLE_BAD;
	}
	return SYNC_ROLE_BAD;
}

void sync_publish_roles(struct sync_state *st, const struct sync_source *srcs, size_t n_srcs,
                        struct sync_source *const *map, const struct select_candidate *c,
                        size_t n, int ok, size_t best)
{
	for (size_t i = 0; i < n_srcs; i++)
		st->src[i].role = (uint8_t)idle_role(&srcs[i]);
	for (size_t j = 0; j < n; j++) {
		size_t i = (size_t)(map[j] - srcs);

		st->src[i].role = !ok ? SYNC_ROLE_NO_MAJORITY : j == best ? SYNC_ROLE_SELECTED
		                : c[j].survivor ? SYNC_ROLE_CANDIDATE : SYNC_ROLE_FALSETICKER;
	}
	st->selected = ok;
}

void sync_publish_polled(struct sync_state *st, size_t i, const struct sync_source *src)
{
	st->src[i].polls++;
	if (src->reach & 1)
		st->src[i].replies++;
	/* A source that stopped answering is not the one followed any more,
	 * whatever the last selection said. */
	if (src->state != SOURCE_OK)
		st->src[i].role = (uint8_t)idle_role(src);
}

void sync_publish_sources(struct sync_state *st, const struct sync_source *srcs, size_t n,
                          const struct correction_params *corr)
{
	for (size_t i = 0; i < n; i++) {
		const struct sync_source *s = &srcs[i];
		struct sync_state_source *out = &st->src[i];

		out->reach = (uint8_t)s->reach;
		out->poll_s = s->poll_s;
		out->stratum = s->stratum;
		out->leap = s->leap;
		memcpy(out->refid, s->refid, 4);
		out->have_point = s->point_mono_ns != 0;
		if (!out->have_point)
			continue;
		out->offset_s = s->offset_s;
		out->delay_s = s->delay_s;
		out->jitter_s = s->jitter_s;
		out->error_s = s->error_s;
		out->root_delay_s = s->root_delay_s;
		out->root_dispersion_s = s->root_dispersion_s;
		out->point_mono_ns = (int64_t)s->point_mono_ns;
		if (corr != NULL)
			out->served_offset_s = s->offset_s -
				(double)correction_offset_ns(corr, s->point_raw_ns) / 1e9;
	}
}
