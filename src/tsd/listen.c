/* Binding the listening sockets: the TCP ones here, with kernel receive
 * timestamps on, and (listen_open) the UDP ones of udp.c the same way. */
#include "common/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "tsd/listen.h"

#define LISTEN_BACKLOG 4096

int listen_parse_addr(const char *text, int port, union listen_addr *out, socklen_t *len)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, &out->in.sin_addr) == 1) {
		out->in.sin_family = AF_INET;
		out->in.sin_port = htons((uint16_t)port);
		*len = sizeof(out->in);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &out->in6.sin6_addr) == 1) {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons((uint16_t)port);
		*len = sizeof(out->in6);
		return 0;
	}
	return -1;
}

/* SO_REUSEADDR, IPv6 only on an IPv6 socket, no Nagle, receive stamps. */
static int set_tcp_options(int fd, const union listen_addr *addr)
{
	int one = 1;
	int ts = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Accepted sockets inherit both: replies are single small writes,
	 * and the receive timestamp gives T2 from the kernel. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)) != 0)
		log_warn("SO_TIMESTAMPING: %s; T2 is read after each receive", strerror(errno));
	return 0;
}

static const struct listen_kind tcp_kind = {
	.prefix = "", .type = SOCK_STREAM, .backlog = LISTEN_BACKLOG,
	.set_options = set_tcp_options,
};

/* Options, SO_REUSEPORT, bind and listen: 0, or -1 with the message in err. */
static int bind_socket(int fd, const char *text, int port, int reuseport,
                       const union listen_addr *addr, socklen_t len,
                       const struct listen_kind *kind, char *err, size_t errlen)
{
	/* Without SO_REUSEPORT the second worker's socket could not bind:
	 * fail loudly. */
	if (kind->set_options(fd, addr) != 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int)) != 0)) {
		snprintf(err, errlen, "%ssocket options for %s: %s", kind->prefix, text,
		         strerror(errno));
		return -1;
	}
	if (bind(fd, &addr->sa, len) != 0) {
		snprintf(err, errlen, "%scannot bind %s port %d: %s", kind->prefix, text, port,
		         strerror(errno));
		return -1;
	}
	if (kind->backlog > 0 && listen(fd, kind->backlog) != 0) {
		snprintf(err, errlen, "%scannot listen on %s port %d: %s", kind->prefix, text,
		         port, strerror(errno));
		return -1;
	}
	return 0;
}

int listen_open(const char *text, int port, int reuseport, const struct listen_kind *kind,
                char *err, size_t errlen)
{
	union listen_addr addr;
	socklen_t len;
	int fd;

	if (listen_parse_addr(text, port, &addr, &len) != 0) {
		snprintf(err, errlen, "%slisten address \"%s\" is not an IPv4 or IPv6 address",
		         kind->prefix, text);
		return -1;
	}
	fd = socket(addr.sa.sa_family, kind->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%ssocket for %s: %s", kind->prefix, text, strerror(errno));
		return -1;
	}
	if (bind_socket(fd, text, port, reuseport, &addr, len, kind, err, errlen) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int find_reusable(const struct listen_set *reuse, const char *addr, int port,
                         int reuseport)
{
	size_t i;

	if (reuse == NULL || reuse->port != port || reuse->reuseport != reuseport)
		return -1;
	for (i = 0; i < reuse->n; i++)
		if (strcmp(reuse->addrs[i], addr) == 0)
			return fcntl(reuse->fds[i], F_DUPFD_CLOEXEC, 0);
	return -1;
}

int listen_set_open(struct listen_set *ls, const struct conf *cfg, int reuseport,
                    const struct listen_set *reuse, char *err, size_t errlen)
{
	return listen_set_open_port(ls, cfg, cfg->port, reuseport, reuse, err, errlen);
}

int listen_set_open_port(struct listen_set *ls, const struct conf *cfg, int port, int reuseport,
                         const struct listen_set *reuse, char *err, size_t errlen)
{
	size_t i;
	int fd;

	memset(ls, 0, sizeof(*ls));
	ls->port = port;
	ls->reuseport = reuseport;
	for (i = 0; i < cfg->server.n_listen; i++) {
		const char *addr = cfg->server.listen[i];

		fd = find_reusable(reuse, addr, port, reuseport);
		if (fd < 0)
			fd = listen_open(addr, port, reuseport, &tcp_kind, err, errlen);
		if (fd < 0)
			goto fail;
		ls->fds[ls->n] = fd;
		ls->addrs[ls->n] = strdup(addr);
		ls->n++;
		if (ls->addrs[ls->n - 1] == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	listen_set_close(ls);
	return -1;
}

void listen_set_close(struct listen_set *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (ls->fds[i] >= 0)
			close(ls->fds[i]);
		free(ls->addrs[i]);
	}
	ls->n = 0;
}
