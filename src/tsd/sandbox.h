/* The system call filter (seccomp) of the processes the master forks:
 * each may make only the calls doc/security.md lists for it. */
#ifndef TSD_SANDBOX_H
#define TSD_SANDBOX_H

enum sandbox_role {
	SANDBOX_WORKER,
	SANDBOX_SYNC,
	SANDBOX_METRICS,
};

/* Install the filter of `role` in this process (server.seccomp = true).
 * `syslog` adds what reconnecting to /dev/log needs. A call outside the
 * filter logs one line naming it on stderr and kills the process with
 * SIGSYS. Returns 0, or -1 after logging why (an architecture the lists
 * were not written for, or libseccomp failing): the caller exits rather
 * than run unfiltered. */
int sandbox_enter(enum sandbox_role role, int syslog);

/* Before a worker's sandbox_enter: its clock follows chronyd, so it also
 * needs connect and unlink (doc/security.md, "Following chronyd"). */
void sandbox_allow_chronyd_client(void);

/* The role's name in log lines: "worker", "sync", "metrics". */
const char *sandbox_role_name(enum sandbox_role role);

#endif
