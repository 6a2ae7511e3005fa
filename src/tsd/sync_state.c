/* The sync state in shared memory: publish, read back with every field
 * checked, and the operator's summary of it. */
#include "tsd/sync_state.h"

#include <math.h>
#include <string.h>
#include <sys/mman.h>

#include "common/latch.h"
#include "common/monotonic.h"

/* Plausibility bounds: nothing the engine computes comes near them, so
 * a value past one is damage, not news. */
#define MAX_SECONDS 2147483648.0        /* offsets, delays: 2^31 s */
#define MAX_POLL_S 1e7
#define MAX_FREQ 0.01                   /* 10,000 ppm */

struct sync_state_shared *sync_state_create(void)
{
	void *p = mmap(NULL, sizeof(struct sync_state_shared), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void sync_state_destroy(struct sync_state_shared *sh)
{
	if (sh != NULL)
		munmap(sh, sizeof(*sh));
}

void sync_state_publish(struct sync_state_shared *sh, struct sync_state *st)
{
	st->magic = SYNC_STATE_MAGIC;
	st->written_mono_ns = (int64_t)monotonic_now_ns();
	latch_publish(&sh->seq, sh->copy, sizeof(*st), st);
}

static int finite_within(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

static int flag(int32_t v)
{
	return v == 0 || v == 1;
}

static int source_ok(const struct sync_state_source *s)
{
	const char *end = memchr(s->address, '\0', sizeof(s->address));

	if (end == NULL || end == s->address)
		return 0;
	for (const char *c = s->address; c < end; c++)
		if (*c < 0x21 || *c > 0x7e)
			return 0;
	return s->protocol <= SYNC_PROTO_NTS && s->role < SYNC_ROLE_COUNT &&
	       s->have_point <= 1 && s->stratum >= 0 && s->stratum <= 255 &&
	       s->leap >= 0 && s->leap <= 3 && finite_within(s->poll_s, 0, MAX_POLL_S) &&
	       finite_within(s->offset_s, -MAX_SECONDS, MAX_SECONDS) &&
	       finite_within(s->served_offset_s, -MAX_SECONDS, MAX_SECONDS) &&
	       finite_within(s->delay_s, -MAX_SECONDS, MAX_SECONDS) &&
	       finite_within(s->jitter_s, 0, MAX_SECONDS) &&
	       finite_within(s->error_s, 0, MAX_SECONDS) &&
	       finite_within(s->root_delay_s, -MAX_SECONDS, MAX_SECONDS) &&
	       finite_within(s->root_dispersion_s, 0, MAX_SECONDS) &&
	       s->point_mono_ns >= 0 && s->replies <= s->polls;
}

static int state_ok(const struct sync_state *st)
{
	if (st->magic != SYNC_STATE_MAGIC || st->writer_pid <= 0 ||
	    st->n_sources > SYNC_STATE_MAX_SOURCES || st->started_mono_ns <= 0 ||
	    st->written_mono_ns < st->started_mono_ns || !flag(st->stopped) ||
	    !flag(st->selected) || !finite_within(st->freq, -MAX_FREQ, MAX_FREQ) ||
	    !finite_within(st->last_offset_s, -MAX_SECONDS, MAX_SECONDS) ||
	    !finite_within(st->rms_s, 0, MAX_SECONDS) ||
	    !finite_within(st->poll_s, 0, MAX_POLL_S))
		return 0;
	for (uint32_t i = 0; i < st->n_sources; i++)
		if (!source_ok(&st->src[i]))
			return 0;
	return 1;
}

enum sync_state_read_result sync_state_read(const struct sync_state_shared *sh,
                                            struct sync_state *out)
{
	if (latch_read(&sh->seq, sh->copy, sizeof(*out), out) != 0)
		return SYNC_STATE_TORN;
	if (out->magic == 0 && out->writer_pid == 0)
		return SYNC_STATE_NEVER;
	return state_ok(out) ? SYNC_STATE_OK : SYNC_STATE_INVALID;
}

int sync_state_live(const struct sync_state *st, int64_t mono_ns)
{
	return !st->stopped && mono_ns - st->written_mono_ns <= SYNC_STATE_STALE_NS;
}

enum sync_overall sync_state_overall(const struct correction_params *corr,
                                     const struct sync_state *st, int64_t mono_ns)
{
	if (corr == NULL || !corr->synced ||
	    corr->root_delay_s / 2 + correction_dispersion_s(corr, mono_ns) > CORRECTION_MAXDIST_S)
		return SYNC_UNSYNCHRONIZED;
	if (st != NULL && sync_state_live(st, mono_ns) && st->selected)
		return SYNC_SYNCHRONIZED;
	return SYNC_HOLDOVER;
}

const char *sync_role_name(int role)
{
	static const char *const names[SYNC_ROLE_COUNT] = {
		"new", "selected", "candidate", "falseticker", "no majority", "unreachable",
		"unsynchronized", "loop", "bad", "stale",
	};

	return role >= 0 && role < SYNC_ROLE_COUNT ? names[role] : "unknown";
}

const char *sync_overall_name(enum sync_overall o)
{
	return o == SYNC_SYNCHRONIZED ? "synchronized" : o == SYNC_HOLDOVER ? "holdover"
	                                                                    : "unsynchronized";
}

const char *sync_protocol_name(int protocol)
{
	static const char *const names[] = { "udp", "tcp", "nts" };

	return protocol >= 0 && protocol <= SYNC_PROTO_NTS ? names[protocol] : "unknown";
}
