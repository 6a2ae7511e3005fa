/* Per-worker counters in memory shared with the master: workers write their
 * own slot without locks, the master (and a future status interface) reads. */
#ifndef TSD_COUNTERS_H
#define TSD_COUNTERS_H

#include <stdint.h>
#include <sys/types.h>

/* Processing time T3 - T2 histogram: bucket i counts times in
 * [2^i, 2^(i+1)) nanoseconds; bucket 0 also holds 0 and 1 ns. */
#define COUNTERS_HIST_BUCKETS 40

/* The clock information last served (for the status and the metrics). */
struct counters_clock {
	int32_t valid;                  /* 0 until the worker read it once */
	int32_t stratum;
	int32_t leap;                   /* enum tsd_leap */
	char refid[4];
	uint64_t root_delay_ns;
	uint64_t root_dispersion_ns;
};

struct worker_counters {
	pid_t pid;                      /* 0: slot free */
	uint32_t generation;
	uint32_t ready;                 /* set when its loop starts: it serves */
	uint64_t heartbeat_ns;          /* CLOCK_MONOTONIC, updated every loop turn (watchdog) */
	uint64_t accepted;
	uint64_t active_connections;
	uint64_t native_requests;       /* TCP NTP exchanges answered */
	uint64_t text_requests;         /* text replies sent */
	uint64_t refused_overload;      /* closed at accept: max_connections reached */
	uint64_t closed_request_timeout;
	uint64_t closed_idle_timeout;
	uint64_t closed_bad_request;    /* invalid native request */
	uint64_t closed_error;          /* read/write errors, peer reset */
	uint64_t clock_errors;          /* clock plugin readings refused */
	uint64_t accept_emfile;         /* accept paused for lack of descriptors */
	uint64_t udp_served;
	uint64_t udp_dropped;           /* invalid packets, no reply */
	uint64_t udp_limited;           /* rate limited, no reply */
	uint64_t udp_kod;               /* rate limited, KoD RATE sent */
	/* Stamps taken for T2 and interleaved T3 (struct hwclock's counts,
	 * copied once per loop turn): the card's, a card's replaced by the
	 * software one, and the kernel's software stamps. */
	uint64_t udp_stamps_hardware;
	uint64_t udp_stamps_fallback;
	uint64_t udp_stamps_software;
	uint64_t nts_ke_served;         /* NTS-KE sessions answered with cookies */
	uint64_t nts_ke_refused;        /* closed at accept: the NTS-KE session cap */
	uint64_t nts_ke_tls_failed;     /* handshake failed: not TLS 1.3, no ntske/1, ... */
	uint64_t nts_ke_bad_request;    /* answered with an Error record */
	uint64_t nts_ke_timeout;        /* cut at request_timeout (a stalled client) */
	uint64_t nts_ke_closed;         /* closed before a whole request, or I/O error */
	uint64_t nts_udp_served;        /* authenticated replies over UDP */
	uint64_t nts_tcp_served;        /* authenticated replies over TCP (extended frames) */
	uint64_t nts_udp_nak;           /* cookie did not open: NTS NAK sent (UDP or TCP) */
	uint64_t nts_udp_bad;           /* malformed NTS request, dropped */
	uint64_t nts_udp_auth_failed;   /* authenticator did not verify, dropped */
	uint64_t proc_time_hist[COUNTERS_HIST_BUCKETS];
	uint64_t proc_time_sum_ns;      /* the sum of the times in the histogram */
	struct counters_clock clock;    /* what this worker's clock serves */
};

/* Shared anonymous mapping for `slots` workers (MAP_SHARED, made before
 * fork). Returns NULL on failure. */
struct worker_counters *counters_create(unsigned slots);
void counters_destroy(struct worker_counters *c, unsigned slots);
/* Add one processing time to the histogram. */
void counters_add_proc_time(struct worker_counters *c, int64_t ns);
struct tsd_clock_info;
/* Keep what the clock serves now (cheap: a few stores). */
void counters_note_clock(struct worker_counters *c, const struct tsd_clock_info *info);
/* The q-quantile (0..1) of a histogram, as the upper edge of its bucket, ns. */
uint64_t counters_hist_quantile(const uint64_t *hist, double q);

#endif
