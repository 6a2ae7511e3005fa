/* The TCP listening sockets of tsd: one per server.listen address (with
 * dispatch = "reuseport", one such set per worker). */
#ifndef TSD_LISTEN_H
#define TSD_LISTEN_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "common/conf.h"

/* A socket address of either family (what listen addresses parse into). */
union listen_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct listen_set {
	size_t n;
	int port;
	int reuseport;                  /* SO_REUSEPORT: one of a worker's own set */
	int fds[CONF_MAX_LISTEN];
	char *addrs[CONF_MAX_LISTEN];
};

/* Bind every address of cfg->server.listen on cfg->port: non-blocking,
 * SO_REUSEADDR, IPV6_V6ONLY for IPv6, receive timestamps enabled, and
 * SO_REUSEPORT when `reuseport` (dispatch = "reuseport": one such set per
 * worker, the kernel spreading connections over them). A socket of `reuse`
 * (may be NULL) with the same address, port and reuseport flag is shared
 * (dup) rather than bound again, so a reload keeps the queue of pending
 * connections. Returns 0, or -1 with a message in err and nothing left open. */
int listen_set_open(struct listen_set *ls, const struct conf *cfg, int reuseport,
                    const struct listen_set *reuse, char *err, size_t errlen);
/* The same on another port (server.nts.port). */
int listen_set_open_port(struct listen_set *ls, const struct conf *cfg, int port, int reuseport,
                         const struct listen_set *reuse, char *err, size_t errlen);
void listen_set_close(struct listen_set *ls);

/* What differs between a TCP and a UDP listening socket. */
struct listen_kind {
	const char *prefix;             /* before each message: "" or "udp: " */
	int type;                       /* SOCK_STREAM or SOCK_DGRAM */
	int backlog;                    /* listen() with it; 0: bind only */
	int (*set_options)(int fd, const union listen_addr *addr);  /* 0 or -1 */
};

/* The one way a listening socket is made: parse text (a numeric address),
 * open a non-blocking close-on-exec socket of kind->type, set its options
 * and SO_REUSEPORT when reuseport, bind it to port and listen when it has a
 * backlog. The descriptor, or -1 with a message in err and nothing open. */
int listen_open(const char *text, int port, int reuseport, const struct listen_kind *kind,
                char *err, size_t errlen);

/* A numeric IPv4 or IPv6 address (a server.listen entry) with a port.
 * Returns 0, or -1 when text is neither; *len is the address length. */
int listen_parse_addr(const char *text, int port, union listen_addr *out, socklen_t *len);

#endif
