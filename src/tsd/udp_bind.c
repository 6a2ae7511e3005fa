/* NTP over UDP, master side: binding the sockets (receive and transmit
 * timestamps, the destination address on a wildcard socket) and, with
 * dispatch = "reuseport", how the kernel balances datagrams over the
 * workers' sockets (server.udp.balance). udp.c serves them. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/log.h"
#include "tsd/listen.h"
#include "tsd/udp.h"
#include "tsd/udp_txstamp.h"

/* The kernel caps this at net.core.rmem_max; a deep queue absorbs bursts. */
#define UDP_RCVBUF_BYTES (4 * 1024 * 1024)

static int is_wildcard(const union listen_addr *addr)
{
	if (addr->sa.sa_family == AF_INET)
		return addr->in.sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&addr->in6.sin6_addr);
}

/* Receive timestamps, and on a wildcard socket the destination address
 * (so the reply leaves from the address the client asked). */
static int set_options(int fd, const union listen_addr *addr)
{
	int one = 1, rcvbuf = UDP_RCVBUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0)
		return -1;
	udp_txstamp_enable(fd);
	/* Best effort: a smaller queue only drops more under a flood. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Replies (76 bytes with the IPv4 header) never need fragmenting: with
	 * DF set the kernel skips choosing an IP ID for every packet from a
	 * table all CPUs share (about 3% of a worker's time in a profile
	 * under load). PROBE sets DF without acting on path MTU reports.
	 * Best effort too. */
	if (addr->sa.sa_family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &(int){ IP_PMTUDISC_PROBE },
		                 sizeof(int));
	if (addr->sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
		return -1;
	if (!is_wildcard(addr))
		return 0;
	if (addr->sa.sa_family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
}

static const struct listen_kind udp_kind = {
	.prefix = "udp: ", .type = SOCK_DGRAM, .backlog = 0, .set_options = set_options,
};

int udp_bind_sockets(const struct conf *cfg, int reuseport, int *fds, size_t max_fds,
                     char *err, size_t errlen)
{
	const struct conf_server *srv = &cfg->server;
	size_t n = 0;

	if (!srv->udp.enable)
		return 0;
	for (size_t i = 0; i < srv->n_listen; i++) {
		int fd;

		if (n == max_fds) {
			snprintf(err, errlen, "udp: more than %zu listen addresses", max_fds);
			goto fail;
		}
		fd = listen_open(srv->listen[i], srv->udp.port, reuseport, &udp_kind, err, errlen);
		if (fd < 0)
			goto fail;
		fds[n++] = fd;
	}
	return (int)n;
fail:
	while (n > 0)
		close(fds[--n]);
	return -1;
}

/* server.udp.balance = "cpu": a classic BPF program for the reuseport
 * group picks the socket (index in the order the sockets joined, which is
 * the order of the worker positions) from the CPU the datagram was
 * received on. A client on one CPU is then served by one worker, whose
 * batches grow instead of two workers waking for half of them each, and
 * with a multi-queue NIC each worker serves the queue of "its" CPU. */
static int balance_by_cpu(int fd, unsigned n_sockets)
{
	struct sock_filter code[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU) },
		{ BPF_ALU | BPF_MOD | BPF_K, 0, 0, n_sockets },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	struct sock_fprog prog;

	/* No uninitialised padding goes to the kernel (valgrind checks). */
	memset(&prog, 0, sizeof(prog));
	prog.len = sizeof(code) / sizeof(code[0]);
	prog.filter = code;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

/* "flow": the kernel's own hash of the source address and port. A kept
 * socket may carry the program of an earlier configuration: remove it. */
static int balance_by_flow(int fd)
{
#ifdef SO_DETACH_REUSEPORT_BPF
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &(int){ 0 }, sizeof(int)) == 0 ||
	    errno == ENOENT)
		return 0;
	return -1;
#else
	(void)fd;
	return 0;
#endif
}

int udp_set_balance(const struct conf *cfg, int fd, unsigned n_sockets,
                    char *err, size_t errlen)
{
	int by_cpu = cfg->server.udp.balance == UDP_BALANCE_CPU;

	if (n_sockets == 0)
		return 0;
	if ((by_cpu ? balance_by_cpu(fd, n_sockets) : balance_by_flow(fd)) == 0)
		return 0;
	snprintf(err, errlen, "udp: server.udp.balance = \"%s\": the kernel refused the "
	         "socket program: %s%s", by_cpu ? "cpu" : "flow", strerror(errno),
	         by_cpu ? " (set server.udp.balance = \"flow\")" : " (restart tsd)");
	return -1;
}
