/* What tsdctl status, sources and stats print: the master's state and
 * the shared counters, written through ctl_out (text or JSON). */
#ifndef TSD_STATUS_H
#define TSD_STATUS_H

#include <stdint.h>
#include <sys/types.h>

#include "common/conf.h"
#include "common/control_wire.h"
#include "common/correction.h"
#include "tsd/ctl_out.h"
#include "tsd/hwstamp.h"
#include "tsd/stats.h"
#include "tsd/sync_state.h"

struct status_worker {
	pid_t pid;
	unsigned slot;                  /* its counters: ctr[slot] */
	unsigned generation;
	unsigned restarts;              /* of this worker position */
	int draining;
};

/* A picture of the master, filled in by master.c for one request. */
struct status_view {
	const struct conf *cfg;         /* the running configuration */
	const char *config_path;        /* NULL: the default, perhaps absent */
	pid_t master_pid;
	uint64_t started_realtime_ns;
	uint64_t loaded_realtime_ns;    /* the running configuration was read then */
	uint64_t uptime_ns;
	const char *dispatch;
	const struct hwstamp *hw;       /* the running generation's hardware stamps */
	const struct stats *stats;
	const struct worker_counters *ctr;
	unsigned n_slots;
	const struct status_worker *workers;
	unsigned n_workers;
	/* The sync engine (status_sync.c). */
	const struct correction_shared *correction;
	const struct sync_state_shared *sync_state;
	pid_t sync_pid;                 /* 0: not running */
	int sync_given_up;              /* it cannot run with this configuration */
	int64_t now_mono_ns;
};

/* The body for a status, sources or stats request. */
void status_write(const struct status_view *v, enum control_command cmd, struct ctl_out *o);
/* "none", "insert", "delete", "unsynchronized". */
const char *status_leap_name(int leap);
/* The clock information one of the running workers serves; 0 if none has it yet. */
int status_clock(const struct status_view *v, struct counters_clock *out);
/* A reference ID as text: the 4 characters when printable, else hex. */
void status_refid_text(const char refid[4], char *buf, size_t len);
/* status_sync.c: the "sync" object of status, and the sources of a tsd
 * with a sync group. */
void status_sync_write(const struct status_view *v, struct ctl_out *o);
void status_sync_sources(const struct status_view *v, struct ctl_out *o);

#endif
