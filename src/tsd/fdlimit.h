/* The open files limit (RLIMIT_NOFILE) the workers inherit from the master:
 * room for server.max_connections connections in each. */
#ifndef TSD_FDLIMIT_H
#define TSD_FDLIMIT_H

/* Descriptors a worker needs besides its connections: listening and UDP
 * sockets, epoll, pipes, the log. */
#define FDLIMIT_SPARE_FDS 64

enum fdlimit_when { FDLIMIT_AT_START, FDLIMIT_ON_RELOAD };

/* Raise this process's soft limit to max_connections + FDLIMIT_SPARE_FDS,
 * or as far as the hard limit allows (that needs no privilege, so it works
 * after the master has switched to server.user). Never lowers it. Logs a
 * warning when the limit stays short, and on reload says at info level
 * that it was raised. Returns 0 when the limit is enough, -1 if not. */
int fdlimit_raise(int max_connections, enum fdlimit_when when);

#endif
