/* chronyd's command protocol (version 6), just enough of it to ask the
 * chronyd on this host for its `tracking` report: the request, and a strict
 * parser of the reply. No I/O here (chronyd_follow.c does that). */
#ifndef TSD_PLUGIN_CLOCK_CHRONYD_TRACKING_H
#define TSD_PLUGIN_CLOCK_CHRONYD_TRACKING_H

#include <stddef.h>
#include <stdint.h>

#include "tsd/plugin.h"
#include "kernel.h"

/* A tracking request is padded to the size of its reply (chronyd answers
 * nothing larger than the request), and both are this long. */
#define CHRONYD_TRACKING_LEN 104
/* The largest root delay or dispersion taken from chronyd: NTP's MAXDISP.
 * chronyd reports 1 s for each while it has no reference. */
#define CHRONYD_MAX_ROOT_S 16.0

/* What tsd takes from chronyd's tracking report. */
struct chronyd_tracking {
	uint32_t ref_id;          /* chronyd's reference ID, host order */
	int stratum;              /* 0 (unsynchronised) .. 16 */
	enum tsd_leap leap;       /* 0..3 */
	int64_t ref_time_ns;      /* chronyd's last clock update, 0 if none */
	double root_delay_s;      /* 0 .. CHRONYD_MAX_ROOT_S */
	double root_dispersion_s; /* 0 .. CHRONYD_MAX_ROOT_S */
};

/* The request with this sequence number (CHRONYD_TRACKING_LEN bytes). */
KERNEL_API void chronyd_tracking_request(uint8_t out[CHRONYD_TRACKING_LEN], uint32_t sequence);

/* Parse a reply of len bytes to the request with `sequence`. Returns 0, or
 * -1 with the reason in why (one phrase, no newline): a wrong size,
 * version, packet type, command, reply type, status or sequence number, or
 * a value out of range. */
KERNEL_API int chronyd_tracking_parse(const uint8_t *buf, size_t len, uint32_t sequence,
                                      struct chronyd_tracking *out, char *why, size_t why_len);

/* chronyd's 32-bit float on the wire (big-endian): a 7-bit signed
 * exponent over a 25-bit signed coefficient, value = coef * 2^(exp - 25). */
KERNEL_API double chronyd_float(uint32_t wire);

/* True when chronyd's report says it keeps the clock synchronised. */
KERNEL_API int chronyd_tracking_synced(const struct chronyd_tracking *t);

#endif
