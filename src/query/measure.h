/* tsclient's measurement of one server: N exchanges over the native TCP
 * protocol, the text protocol, or NTP over UDP. */
#ifndef TSD_MEASURE_H
#define TSD_MEASURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "common/clock.h"
#include "common/conf.h"
#include "tsd/plugin.h"

#define MEASURE_MAX_SAMPLES CONF_MAX_SAMPLES

enum measure_proto { PROTO_NATIVE = 0, PROTO_TEXT = 1, PROTO_UDP = 2, PROTO_NTS = 3 };

enum measure_status {
	MEASURE_OK = 0,
	MEASURE_UNREACHABLE = 1,   /* resolve, connect or timeout */
	MEASURE_BAD_REPLY = 2,     /* malformed or mismatched replies only */
	MEASURE_UNSYNCED = 3,      /* leap 3, stratum 0 or 16, or KoD */
};

struct server_spec {
	char host[256];
	int port;
	int basic;                 /* never ask for interleaved mode (client.interleaved) */
};

struct measurement {
	struct server_spec server;
	enum measure_status status;
	char why[256];             /* human reason when status != MEASURE_OK */
	size_t n_samples;
	struct tsd_sample samples[MEASURE_MAX_SAMPLES];
	/* From the last valid reply (native and UDP), or the unsynchronised
	 * one that ended the measurement; header_seen says they hold. */
	int header_seen;
	int leap;
	int stratum;
	double root_delay_s;
	double root_dispersion_s;
	uint8_t refid[4];          /* the server's reference ID */
	char kod[5];               /* KoD code if the server sent one */
	/* The addresses of the exchange (family AF_UNSPEC until connected):
	 * the server's gives the reference ID of a node that follows it, our
	 * own tells a synchronisation loop. */
	struct sockaddr_storage peer_addr;
	struct sockaddr_storage local_addr;
	size_t n_bad;              /* replies discarded as invalid */
	size_t n_kernel_tx;        /* samples whose T1 is the kernel's transmit stamp */
	size_t n_kernel_rx;        /* samples whose T4 is the kernel's receive stamp */
	size_t n_interleaved;      /* samples whose T3 is the server's kernel
	                            * transmit stamp (interleaved mode) */
	/* NTS: every sample came in a reply authenticated with this AEAD
	 * (0: not authenticated), from this NTP server. */
	int authenticated_aead;
	struct server_spec nts_ntp;
	int nts_tcp;               /* NTS over tsd's TCP protocol, not UDP */
};

/* Set the reason a measurement failed; a long host name is cut, never
 * overflows. */
void measure_set_why(struct measurement *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "host", "host:port", "[v6addr]:port" or "v6addr"; -1 on a malformed spec. */
int measure_parse_spec(const char *text, int default_port, struct server_spec *out);

/* A TCP connection to srv before deadline_ns (CLOCK_MONOTONIC), with
 * TCP_NODELAY; the socket is non-blocking. The descriptor, or -1 with the
 * reason in why. */
int measure_connect_tcp(const struct server_spec *srv, int64_t deadline_ns, char *why,
                        size_t whylen);

/* Record the two ends of the connected socket fd in out. */
void measure_note_addresses(int fd, struct measurement *out);

/* Take `samples` exchanges with `timeout_s` for the whole server. T1 and T4
 * come from `cs` (kernel timestamps converted where the clock allows). */
int measure_server(const struct server_spec *srv, enum measure_proto proto,
                   int samples, double timeout_s, struct clock_source *cs,
                   struct measurement *out);

/* The UDP part (measure_udp.c). */
int measure_server_udp(const struct server_spec *srv, int samples,
                       double timeout_s, struct clock_source *cs,
                       struct measurement *out);

#endif
