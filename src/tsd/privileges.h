/* Dropping privileges to server.user once the master has bound its sockets. */
#ifndef TSD_PRIVILEGES_H
#define TSD_PRIVILEGES_H

/* NULL or "": keep the current user. Not root: fine only if user is the
 * current user. Returns 0, or -1 after logging why. */
int privileges_drop(const char *user);

#endif
