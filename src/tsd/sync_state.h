/* The sync engine's state for operators: what the sync process knows of
 * each source and of the discipline, published in a shared mapping through
 * a two-copy seqlock (common/latch.h) for the master's control answers and
 * the metrics process. The sync process is the only writer; it never waits
 * for a reader, and the workers never read it. Everything read back is
 * checked (sync_state_read): a crashed or broken writer gets "no state",
 * never a wrong one. */
#ifndef TSD_SYNC_STATE_H
#define TSD_SYNC_STATE_H

#include <stdint.h>
#include <sys/types.h>

#include "common/conf.h"
#include "common/correction.h"

#define SYNC_STATE_MAGIC 0x74736473u    /* "tsds"; also the layout's version */
#define SYNC_STATE_MAX_SOURCES CONF_MAX_SYNC_SOURCES
#define SYNC_STATE_ADDRESS_LEN 264      /* a host name, a port, brackets */
/* The sync process writes at least once a second and after every poll (a
 * poll takes at most a few seconds); older than this, it is not running. */
#define SYNC_STATE_STALE_NS (15 * 1000000000ll)

/* Why a source is used or not. */
enum sync_role {
	SYNC_ROLE_NEW = 0,          /* not polled yet */
	SYNC_ROLE_SELECTED,         /* the system peer: its fields are served */
	SYNC_ROLE_CANDIDATE,        /* in the majority, combined */
	SYNC_ROLE_FALSETICKER,      /* outside the majority's intersection */
	SYNC_ROLE_NO_MAJORITY,      /* answers, but no majority of the sources agrees */
	SYNC_ROLE_UNREACHABLE,
	SYNC_ROLE_UNSYNCHRONIZED,   /* it says so (leap 3, stratum 16, a KoD) */
	SYNC_ROLE_LOOP,             /* its reference ID is one of our addresses */
	SYNC_ROLE_BAD,              /* bad replies, or the estimator refused them */
	SYNC_ROLE_STALE,            /* its last point is too old to use */
	SYNC_ROLE_COUNT
};

struct sync_state_source {
	char address[SYNC_STATE_ADDRESS_LEN];  /* as configured, NUL-terminated */
	uint8_t protocol;           /* enum sync_protocol */
	uint8_t role;               /* enum sync_role */
	uint8_t reach;              /* the last 8 polls, newest in bit 0 */
	uint8_t have_point;         /* offset..root_dispersion_s are from a poll */
	int32_t stratum;            /* as the source reported it; 0 before */
	int32_t leap;
	char refid[4];              /* the source's own reference ID */
	double poll_s;
	double offset_s;            /* source minus this machine's raw clock */
	double served_offset_s;     /* source minus the time served, at its last point */
	double delay_s, jitter_s, error_s;
	double root_delay_s, root_dispersion_s;
	int64_t point_mono_ns;      /* CLOCK_MONOTONIC of its last point */
	uint64_t polls, replies;    /* since this sync process started */
};

struct sync_state {
	uint32_t magic;
	int32_t writer_pid;
	int64_t started_mono_ns;    /* the writer started (CLOCK_MONOTONIC) */
	int64_t written_mono_ns;    /* its last write */
	int32_t stopped;            /* it exited cleanly after this write */
	int32_t selected;           /* its last update chose a system peer */
	double freq;                /* the discipline's frequency (1e-6 = 1 ppm) */
	double last_offset_s;       /* what the served time lacked at the last update */
	double rms_s;               /* the regression's residual RMS */
	double poll_s;              /* the discipline's poll interval */
	uint32_t n_points;          /* points in the regression */
	uint32_t n_sources;
	struct sync_state_source src[SYNC_STATE_MAX_SOURCES];
};

struct sync_state_shared {
	volatile uint32_t seq;
	uint32_t pad;
	struct sync_state copy[2];
};

/* MAP_SHARED | MAP_ANONYMOUS, made by the master before it forks; zero,
 * which readers take as "never written". */
struct sync_state_shared *sync_state_create(void);
void sync_state_destroy(struct sync_state_shared *sh);

/* Writer: stamps magic and written_mono_ns. */
void sync_state_publish(struct sync_state_shared *sh, struct sync_state *st);

enum sync_state_read_result {
	SYNC_STATE_OK = 0,
	SYNC_STATE_NEVER,           /* no sync process has written yet */
	SYNC_STATE_TORN,            /* a writer raced every try */
	SYNC_STATE_INVALID,         /* a copy that fails the checks */
};

/* A checked copy. Strings are terminated, enumerations in range, numbers
 * finite and plausible; anything else is SYNC_STATE_INVALID. */
enum sync_state_read_result sync_state_read(const struct sync_state_shared *sh,
                                            struct sync_state *out);

/* The state as the operator sees it: "unsynchronized", "synchronized"
 * or "holdover" (serving the last correction without a current peer). */
enum sync_overall { SYNC_UNSYNCHRONIZED = 0, SYNC_SYNCHRONIZED, SYNC_HOLDOVER };
/* From the correction in force and the state (NULL when there is none, or
 * when its writer is gone), at CLOCK_MONOTONIC mono_ns. */
enum sync_overall sync_state_overall(const struct correction_params *corr,
                                     const struct sync_state *st, int64_t mono_ns);
/* A written state from a live writer: fresh and not stopped. */
int sync_state_live(const struct sync_state *st, int64_t mono_ns);

const char *sync_role_name(int role);
const char *sync_overall_name(enum sync_overall o);
const char *sync_protocol_name(int protocol);

#endif
