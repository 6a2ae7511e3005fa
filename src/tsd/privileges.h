/* Dropping privileges to server.user once the master has bound its sockets,
 * and the rest of what contains a compromised worker. */
#ifndef TSD_PRIVILEGES_H
#define TSD_PRIVILEGES_H

/* At start: close every descriptor above 2 that the launcher left open. */
void privileges_close_inherited(void);
/* At start: PR_SET_NO_NEW_PRIVS, for the master and all it forks. */
void privileges_no_new(void);

/* NULL or "": keep the current user. Not root: fine only if user is the
 * current user. As root: the bounding set is emptied, and the master runs
 * as user with root kept as its real and saved user ID (see
 * privileges_final and privileges_regain_at_exit). Returns 0, or -1 after logging. */
int privileges_drop(const char *user);
/* In each child (worker, sync): give up the real and saved root too, and
 * CAP_SYS_TIME if the process has it. */
int privileges_final(void);
/* The sync process with sync.apply = "system": the same, but CAP_SYS_TIME
 * is kept (permitted and effective) and every other capability dropped. */
int privileges_final_steering(void);
/* The metrics process: CAP_SYS_TIME out of its sets. */
void privileges_drop_sys_time(void);
/* The master, when it has stopped: root again if it kept it (to remove
 * its pidfile). */
void privileges_regain_at_exit(void);

#endif
