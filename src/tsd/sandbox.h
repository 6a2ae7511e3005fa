/* The system call filter (seccomp) of the processes the master forks:
 * each may make only the calls doc/security.md lists for it. */
#ifndef TSD_SANDBOX_H
#define TSD_SANDBOX_H

enum sandbox_role {
	SANDBOX_WORKER,
	SANDBOX_SYNC,
	SANDBOX_METRICS,
};

/* What a process needs beyond its role's list. */
enum {
	SANDBOX_SYSLOG = 1,       /* log = "syslog": reconnecting to /dev/log */
	SANDBOX_LOCAL_CLIENT = 2, /* the clock asks a local daemon over a Unix
	                           * datagram socket of its own (follow_chronyd) */
};

/* Install the filter of `role` in this process (server.seccomp = true),
 * with the SANDBOX_* `needs`. A call outside the
 * filter logs one line naming it on stderr and kills the process with
 * SIGSYS. Returns 0, or -1 after logging why (an architecture the lists
 * were not written for, or libseccomp failing): the caller exits rather
 * than run unfiltered. */
int sandbox_enter(enum sandbox_role role, unsigned needs);

struct conf;

/* The needs of a configuration: syslog, and a clock that follows chronyd. */
unsigned sandbox_needs(const struct conf *cfg);

/* The role's name in log lines: "worker", "sync", "metrics". */
const char *sandbox_role_name(enum sandbox_role role);

#endif
