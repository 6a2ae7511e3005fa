/* The configuration file shared by tsd and tsclient: parse, check, defaults. */
#ifndef TSD_CONFIG_H
#define TSD_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include "tsd/plugin.h"

#define CONFIG_DEFAULT_PORT 11932
#define CONFIG_MAX_LISTEN 16
#define CONFIG_MAX_SERVERS 64
#define CONFIG_MAX_SETTINGS 32

/* A plugin choice: its name and its own settings, nothing else. */
struct config_plugin {
	char *name;                     /* "realtime", "minfilter", ... */
	int line;                       /* line of the section, 0 if default */
	size_t n_settings;
	struct tsd_setting settings[CONFIG_MAX_SETTINGS];
};

/* dispatch = "reuseport": which worker's socket a datagram goes to. CPU:
 * the one of the CPU the kernel received it on (that CPU mod the number of
 * workers); FLOW: the kernel's hash of the source address and port. */
enum udp_balance { UDP_BALANCE_CPU = 0, UDP_BALANCE_FLOW = 1 };

struct config_udp {
	int enable;                     /* default 0 */
	int port;                       /* default 123 */
	double ratelimit_interval;      /* seconds between packets allowed per address; default 0.125 */
	int ratelimit_burst;            /* packets allowed at once; default 16 */
	int ratelimit_leak;             /* answer 1 in N of the limited packets; default 4 (0: never) */
	int ratelimit_kod;              /* send a KoD RATE reply instead of the leaked one; default 1 */
	int ratelimit_table_size;       /* addresses tracked; default 65536 */
	enum udp_balance balance;       /* dispatch "reuseport": default UDP_BALANCE_CPU */
};

enum dispatch_mode { DISPATCH_ACCEPT = 0, DISPATCH_HANDOFF = 1, DISPATCH_REUSEPORT = 2 };

struct config_server {
	char *listen[CONFIG_MAX_LISTEN];/* default { "0.0.0.0" } */
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
	struct config_udp udp;
};

struct config_client {
	char *servers[CONFIG_MAX_SERVERS]; /* "host", "host:port", "[v6]:port"; default { "127.0.0.1" } */
	size_t n_servers;
	int samples;                    /* default 8 */
	double timeout;                 /* seconds per server; default 2.0 */
};

struct config {
	char *path;                     /* the file read, NULL if none */
	int port;
	char *plugin_dir;               /* absolute, or resolved against the file's directory */
	struct config_plugin clock;     /* default "realtime" */
	struct config_plugin estimator; /* default "minfilter" */
	struct config_server server;
	struct config_client client;
};

/* Where the error messages go: each is "FILE:LINE: message". */
struct config_errors {
	char **messages;
	size_t count;
};

/* Defaults only (no file). Never fails except on out-of-memory (-ENOMEM). */
int config_defaults(struct config *cfg);

/* Read `path` over the defaults. If `path` is NULL the default path is used,
 * and a missing default file is not an error. Returns 0, or -1 with every
 * problem found appended to `errs` (the caller prints them).
 * cfg need not be initialised: config_load fills in the defaults itself (do
 * not call config_defaults first). On success free it with config_free; on
 * failure it has been freed and zeroed already (config_free is harmless). */
int config_load(struct config *cfg, const char *path, struct config_errors *errs);

/* Same, from a string (for tests and the fuzzer); `name` stands for the file. */
int config_load_string(struct config *cfg, const char *text, const char *name,
                       struct config_errors *errs);

void config_free(struct config *cfg);
void config_errors_free(struct config_errors *errs);
/* Print each message on its own line. */
void config_errors_print(const struct config_errors *errs, FILE *out);
/* Append one "FILE:LINE: message" (line 0 leaves out the line). */
void config_error(struct config_errors *errs, const char *file, int line,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The compiled-in default configuration path ($(sysconfdir)/tsd.conf). */
const char *config_default_path(void);

#endif
