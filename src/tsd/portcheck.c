/* Refusing a port another process holds: a probe socket without
 * SO_REUSEPORT cannot bind where anyone else listens. */
#include "common/conf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tsd/listen.h"
#include "tsd/portcheck.h"

/* 1 when another socket holds addr:port for this type. Any other failure
 * is left to the real bind, which says what it is. */
static int in_use(int type, const char *addr, int port)
{
	union listen_addr sa;
	socklen_t len;
	int fd, one = 1, busy;

	if (listen_parse_addr(addr, port, &sa, &len) != 0)
		return 0;
	fd = socket(sa.sa.sa_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	/* TCP: connections of an earlier tsd in TIME_WAIT hold nothing. UDP
	 * gets no SO_REUSEADDR: there it would share the port too. */
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa.sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	busy = bind(fd, &sa.sa, len) != 0 && errno == EADDRINUSE;
	close(fd);
	return busy;
}

static int listed(const struct conf *cfg, const char *addr)
{
	for (size_t i = 0; i < cfg->server.n_listen; i++)
		if (strcmp(cfg->server.listen[i], addr) == 0)
			return 1;
	return 0;
}

static int held_tcp(const struct conf *held, int port, const char *addr)
{
	return held != NULL && held->port == port && listed(held, addr);
}

static int held_udp(const struct conf *held, int port, const char *addr)
{
	return held != NULL && held->server.udp.enable && held->server.udp.port == port &&
	       listed(held, addr);
}

static void say_in_use(const struct conf *cfg, const char *setting, int line, const char *proto,
                       int port, const char *addr, char *err, size_t errlen)
{
	const char *file = cfg->path != NULL ? cfg->path : "(built-in defaults)";

	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s = %d: %s port %d on %s is already in use by "
		         "another process; tsd does not share its ports (stop the other server, "
		         "or choose another port)", file, line, setting, port, proto, port, addr);
	else
		snprintf(err, errlen, "%s: %s = %d (the default): %s port %d on %s is already in "
		         "use by another process; tsd does not share its ports (stop the other "
		         "server, or set %s)", file, setting, port, proto, port, addr, setting);
}

static int held_nts(const struct conf *held, int port, const char *addr)
{
	return held != NULL && held->server.nts.enable && held->server.nts.port == port &&
	       listed(held, addr);
}

/* Each port of cfg on one listen address. */
static int address_free(const struct conf *cfg, const struct conf *held, const char *addr,
                        char *err, size_t errlen)
{
	const struct conf_server *srv = &cfg->server;

	if (!held_tcp(held, cfg->port, addr) && in_use(SOCK_STREAM, addr, cfg->port)) {
		say_in_use(cfg, "port", cfg->port_line, "TCP", cfg->port, addr, err, errlen);
		return -1;
	}
	if (srv->udp.enable && !held_udp(held, srv->udp.port, addr) &&
	    in_use(SOCK_DGRAM, addr, srv->udp.port)) {
		say_in_use(cfg, "server.udp.port", srv->udp.port_line, "UDP", srv->udp.port,
		           addr, err, errlen);
		return -1;
	}
	if (srv->nts.enable && !held_nts(held, srv->nts.port, addr) &&
	    in_use(SOCK_STREAM, addr, srv->nts.port)) {
		say_in_use(cfg, "server.nts.port", srv->nts.port_line, "NTS-KE (TCP)",
		           srv->nts.port, addr, err, errlen);
		return -1;
	}
	return 0;
}

int portcheck_free(const struct conf *cfg, const struct conf *held, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->server.n_listen; i++)
		if (address_free(cfg, held, cfg->server.listen[i], err, errlen) != 0)
			return -1;
	return 0;
}
