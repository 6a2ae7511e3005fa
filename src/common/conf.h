/* The configuration file shared by tsd and tsclient: parse, check, defaults. */
#ifndef TSD_COMMON_CONF_H
#define TSD_COMMON_CONF_H

#include <stddef.h>
#include <stdio.h>
#include "tsd/plugin.h"
#include "common/conf_errors.h"

#define CONF_DEFAULT_PORT 11932
#define CONF_MAX_LISTEN 16
#define CONF_MAX_HWTIMESTAMP 16      /* server.udp.hwtimestamp interfaces */
#define CONF_MAX_SERVERS 64
#define CONF_MAX_SETTINGS 32
#define CONF_MAX_SAMPLES 1024         /* client.samples, and a measurement's room */
/* server.watchdog_timeout's floor: ten of the master's checks of the
 * workers' heartbeats (MASTER_TICK_MS, src/tsd/master.c), and four of an
 * idle worker's beats (every watchdog_timeout / 4). */
#define CONF_MIN_WATCHDOG_MS 1000
#define CONF_MASTER_TICK_MS 100
/* server.workers: one limit for the setting and the master (two full
 * generations must fit its slots while a reload drains the old one). */
#define CONF_MAX_WORKERS 128
#define CONF_MAX_SOCKET_PATH 108      /* sizeof(sun_path), with its NUL */

/* A plugin choice: its name and its own settings, nothing else. */
struct conf_plugin {
	char *name;                     /* "realtime", "minfilter", ... */
	int line;                       /* line of the section, 0 if default */
	size_t n_settings;
	struct tsd_setting settings[CONF_MAX_SETTINGS];
};

/* dispatch = "reuseport": which worker's socket a datagram goes to. CPU:
 * the one of the CPU the kernel received it on (that CPU mod the number of
 * workers); FLOW: the kernel's hash of the source address and port. */
enum udp_balance { UDP_BALANCE_CPU = 0, UDP_BALANCE_FLOW = 1 };

struct conf_udp {
	int enable;                     /* default 0 */
	int port;                       /* default 123 */
	int port_line;                  /* its line in the file, 0 if default */
	double ratelimit_interval;      /* seconds between packets allowed per address; default 0.125 */
	int ratelimit_burst;            /* packets allowed at once; default 16 */
	int ratelimit_leak;             /* answer 1 in N of the limited packets; default 4 (0: never) */
	int ratelimit_kod;              /* send a KoD RATE reply instead of the leaked one; default 1 */
	int ratelimit_table_size;       /* addresses tracked; default 65536 */
	enum udp_balance balance;       /* dispatch "reuseport": default UDP_BALANCE_CPU */
	/* Interfaces whose hardware timestamps are used, or the one entry
	 * "*" for every interface that has them; default none. */
	char *hwtimestamp[CONF_MAX_HWTIMESTAMP];
	size_t n_hwtimestamp;
};

/* Network Time Security (RFC 8915): the key exchange over TLS 1.3. */
struct conf_nts {
	int enable;                     /* default 0 */
	int port;                       /* NTS-KE over TCP; default 4460 */
	int port_line;                  /* its line in the file, 0 if default */
	char *certificate;              /* PEM chain; required with enable */
	char *key;                      /* PEM private key; required with enable */
	double rotate;                  /* seconds between master keys; default 86400 */
	char *key_file;                 /* NULL: keys only in memory */
};

enum dispatch_mode { DISPATCH_ACCEPT = 0, DISPATCH_HANDOFF = 1, DISPATCH_REUSEPORT = 2 };

struct conf_server {
	char *listen[CONF_MAX_LISTEN];/* default { "0.0.0.0" } */
	size_t n_listen;
	int workers;                    /* 0: one per CPU */
	int max_connections;            /* per worker; default 4096 */
	double request_timeout;         /* seconds, absolute per request; default 2.0 */
	double idle_timeout;            /* seconds between requests; default 30.0 */
	double shutdown_timeout;        /* seconds; default 5.0 */
	double watchdog_timeout;        /* seconds a worker may be stuck; default 10.0 */
	char *user;                     /* "" or NULL: do not drop privileges */
	enum dispatch_mode dispatch;    /* default DISPATCH_REUSEPORT */
	int log_syslog;                 /* log = "stderr" (0) | "syslog" (1) */
	int seccomp;                    /* system call filter in the children; default 1 */
	struct conf_udp udp;
	struct conf_nts nts;
};

struct conf_client {
	char *servers[CONF_MAX_SERVERS]; /* "host", "host:port", "[v6]:port"; default { "127.0.0.1" } */
	size_t n_servers;
	int samples;                    /* default 8 */
	double timeout;                 /* seconds per server; default 2.0 */
	double max_step;                /* largest --step/--slew without --force; default 1000 */
	int interleaved;                /* ask for interleaved mode (native, UDP); default 1 */
	char *nts_ca_file;              /* client.nts.ca_file; NULL: the system's trust store */
};

#define CONF_MAX_SYNC_SOURCES 16

/* How a source is asked. A new protocol (NTS) is one more value here, one
 * more name in conf_sync.c and one more case in the sync process's poll. */
/* nts: NTS-KE, then NTP over UDP; nts-tcp: NTS-KE, then NTP over tsd's
 * TCP protocol (doc/protocol.md). */
enum sync_protocol { SYNC_PROTO_UDP = 0, SYNC_PROTO_TCP = 1, SYNC_PROTO_NTS = 2,
                     SYNC_PROTO_NTS_TCP = 3 };

/* "serve": the workers add the correction to what they serve; "system":
 * the sync process steers the clock through the clock plugin. */
enum sync_apply { SYNC_APPLY_SERVE = 0, SYNC_APPLY_SYSTEM = 1 };

struct conf_sync_source {
	char *address;                  /* "host", "host:port", "[v6]:port" */
	enum sync_protocol protocol;    /* default udp */
	int line;
};

struct conf_sync {
	int enabled;                    /* a sync group is present */
	struct conf_sync_source sources[CONF_MAX_SYNC_SOURCES];
	size_t n_sources;
	double poll_min;                /* seconds; default 16 */
	double poll_max;                /* seconds; default 1024 */
	enum sync_apply apply;          /* default serve */
	int apply_line;                 /* 0 when not set */
	char *drift_file;               /* absolute path, or NULL: none */
	int line;
};

/* The master's control socket (tsdctl) and the Prometheus endpoint. */
struct conf_ops {
	char *control_socket;           /* default TSD_CONTROL_SOCKET; "": none */
	char *metrics_listen;           /* "address:port"; NULL: no metrics */
};

struct conf {
	char *path;                     /* the file read, NULL if none */
	int port;
	int port_line;                  /* its line in the file, 0 if default */
	char *plugin_dir;               /* absolute, or resolved against the file's directory */
	struct conf_plugin clock;     /* default "realtime" */
	struct conf_plugin estimator; /* default "bounds" */
	struct conf_server server;
	struct conf_client client;
	struct conf_sync sync;          /* enabled = 0 without a sync group */
	struct conf_ops ops;
};

/* 1 when two configurations follow the same sources the same way (the
 * sync process needs no restart on a reload). */
int conf_sync_equal(const struct conf_sync *a, const struct conf_sync *b);
/* 1 when two configurations choose the same clock with the same settings. */
int conf_clock_equal(const struct conf_plugin *a, const struct conf_plugin *b);

/* Defaults only (no file). Never fails except on out-of-memory (-ENOMEM). */
int conf_defaults(struct conf *cfg);

/* Read `path` over the defaults. If `path` is NULL the default path is used,
 * and a missing default file is not an error. Returns 0, or -1 with every
 * problem found appended to `errs` (the caller prints them).
 * cfg need not be initialised: conf_load fills in the defaults itself (do
 * not call conf_defaults first). On success free it with conf_free; on
 * failure it has been freed and zeroed already (conf_free is harmless). */
int conf_load(struct conf *cfg, const char *path, struct conf_errors *errs);

/* Same, from a string (for tests and the fuzzer); `name` stands for the file. */
int conf_load_string(struct conf *cfg, const char *text, const char *name,
                       struct conf_errors *errs);

void conf_free(struct conf *cfg);

/* The compiled-in default configuration path ($(sysconfdir)/tsd.conf). */
const char *conf_default_path(void);

#endif
