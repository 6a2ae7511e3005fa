/* From measurements to a result: each server's samples through the
 * estimator, the selection across servers, and the system peer. */
#ifndef TSD_OUTCOME_H
#define TSD_OUTCOME_H

#include <stddef.h>
#include "common/estimator.h"
#include "query/measure.h"
#include "query/select.h"

enum server_status {
	SERVER_SELECTED = 0,
	SERVER_FALSETICKER,
	SERVER_UNREACHABLE,
	SERVER_UNSYNCED,
	SERVER_BAD_REPLY,
	SERVER_NO_ESTIMATE,        /* the estimator refused the samples */
};

struct server_result {
	const struct measurement *m;
	enum server_status status;
	int has_estimate;
	struct tsd_estimate est;
	double distance_s;         /* root distance used by the selection */
	size_t refused;            /* samples the estimator refused */
	char reason[320];          /* why it is not selected */
};

enum correction_mode { CORRECT_NONE = 0, CORRECT_STEP, CORRECT_SLEW };

struct correction {
	enum correction_mode mode;
	int applied;
	double offset_s;           /* what was asked of the clock */
	double observed_s;         /* clock reading jump across a step, else 0 */
	char error[256];
};

struct outcome {
	struct server_result *servers;
	size_t n_servers;
	int synced;                /* a majority agreed: sel and the fields below hold */
	struct select_result sel;
	tsd_time_ns local_ns;      /* newest T4 among the survivors */
	double delay_s;            /* the system peer's delay */
	const char *estimator;     /* the estimator's name */
	struct correction corr;
};

/* Fill `o` (servers must hold n entries). Returns 0 when synchronised. */
int outcome_build(struct outcome *o, struct server_result *servers,
                  const struct measurement *m, size_t n, struct estimator *est);

const char *outcome_status_name(enum server_status s);

#endif
