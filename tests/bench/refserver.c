/* Reference server: the least code that does tsd's job (native 48-byte NTP
 * exchanges over TCP, the text reply, optionally NTP over UDP) with one
 * SO_REUSEPORT epoll process per CPU. The benchmark's ceiling on a machine.
 * With --kernel-rx-time T2 is the kernel's receive stamp, as in tsd. */

#include <errno.h>
#include <getopt.h>
#include <time.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_ntp.h"

#define MAX_FD 65536
#define MAX_WORKERS 64

enum conn_kind { K_UNDECIDED, K_NATIVE, K_TEXT };

/* Per-connection state, indexed by descriptor. */
struct conn {
	uint8_t buf[BENCH_NTP_SIZE];
	uint8_t got;
	uint8_t kind;
};

static struct conn conns[MAX_FD];
static int kernel_rx_time;

union rx_cmsg {
	struct cmsghdr hdr;
	char buf[CMSG_SPACE(sizeof(struct scm_timestamping))];
};

static int listen_socket(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	int ts = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Accepted sockets inherit it. */
	if (kernel_rx_time && fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts));
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4096) < 0)) {
		perror("refserver: listen");
		exit(1);
	}
	return fd;
}

/* Fill a mode-4 reply to `req` in place. */
static void make_reply(uint8_t *pkt, uint64_t t2_ntp)
{
	uint64_t origin = bench_get64(pkt + BENCH_NTP_TRANSMIT);

	pkt[0] = (uint8_t)((pkt[0] & 0x38) | 4);
	pkt[1] = 1;        /* stratum */
	pkt[2] = 0;
	pkt[3] = (uint8_t)-20; /* precision about 1 us */
	memset(pkt + 4, 0, 8);
	memcpy(pkt + 12, "REF", 4);
	bench_put64(pkt + 16, t2_ntp);
	bench_put64(pkt + BENCH_NTP_ORIGIN, origin);
	bench_put64(pkt + BENCH_NTP_RECEIVE, t2_ntp);
	bench_put64(pkt + BENCH_NTP_TRANSMIT, bench_ns_to_ntp(bench_ns_now(CLOCK_REALTIME)));
}

/* The brief's two-byte rule: mode 3, version 1..4, stratum <= 16. */
static enum conn_kind classify(const uint8_t *b)
{
	int version = (b[0] >> 3) & 7;

	if ((b[0] & 7) == 3 && version >= 1 && version <= 4 && b[1] <= 16)
		return K_NATIVE;
	return K_TEXT;
}

static int reply_text(int fd, uint64_t t2_ns)
{
	char line[64];
	uint64_t t3_ns = bench_ns_now(CLOCK_REALTIME);
	int n = snprintf(line, sizeof(line), "%llu\t%llu\n",
	                 (unsigned long long)(t2_ns / 1000000), (unsigned long long)(t3_ns / 1000000));

	return write(fd, line, (size_t)n) == n ? 0 : -1;
}

/* Consume bytes read from a connection; -1 closes it. */
static int feed(int fd, struct conn *c, const uint8_t *data, size_t len, uint64_t t2_ns)
{
	while (len > 0) {
		size_t take = BENCH_NTP_SIZE - c->got;

		if (take > len)
			take = len;
		memcpy(c->buf + c->got, data, take);
		c->got = (uint8_t)(c->got + take);
		data += take;
		len -= take;
		if (c->kind == K_UNDECIDED && c->got >= 2)
			c->kind = (uint8_t)classify(c->buf);
		if (c->kind == K_TEXT) {
			reply_text(fd, t2_ns);
			return -1;
		}
		if (c->got < BENCH_NTP_SIZE)
			continue;
		make_reply(c->buf, bench_ns_to_ntp(t2_ns));
		if (write(fd, c->buf, BENCH_NTP_SIZE) != BENCH_NTP_SIZE)
			return -1;
		c->got = 0;
	}
	return 0;
}

/* A read that also returns the kernel's receive stamp (0 if none). */
static ssize_t read_stamped(int fd, uint8_t *buf, size_t len, uint64_t *rx_ns)
{
	union rx_cmsg cm;
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct scm_timestamping ts;
	ssize_t n = recvmsg(fd, &msg, 0);

	*rx_ns = 0;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); n > 0 && h != NULL; h = CMSG_NXTHDR(&msg, h)) {
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPING) {
			memcpy(&ts, CMSG_DATA(h), sizeof(ts));
			*rx_ns = (uint64_t)ts.ts[0].tv_sec * 1000000000ULL + (uint64_t)ts.ts[0].tv_nsec;
		}
	}
	return n;
}

static void on_conn(int fd)
{
	uint8_t buf[4096];
	uint64_t rx_ns = 0;
	ssize_t n = kernel_rx_time ? read_stamped(fd, buf, sizeof(buf), &rx_ns)
	                           : read(fd, buf, sizeof(buf));
	uint64_t t2_ns = rx_ns ? rx_ns : bench_ns_now(CLOCK_REALTIME);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0 || feed(fd, &conns[fd], buf, (size_t)n, t2_ns) < 0)
		close(fd);
}

static void on_listen(int epfd, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

		if (fd < 0)
			return;
		if (fd >= MAX_FD) {
			close(fd);
			continue;
		}
		memset(&conns[fd], 0, sizeof(conns[fd]));
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			close(fd);
	}
}

static void on_udp(int ufd)
{
	for (;;) {
		uint8_t pkt[BENCH_NTP_SIZE];
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(ufd, pkt, sizeof(pkt), MSG_TRUNC, (struct sockaddr *)&from, &fromlen);

		if (n < 0)
			return;
		if (n != BENCH_NTP_SIZE || (pkt[0] & 7) != 3)
			continue;
		make_reply(pkt, bench_ns_to_ntp(bench_ns_now(CLOCK_REALTIME)));
		sendto(ufd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, fromlen);
	}
}

static void worker(int port, int udp_port)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	int lfd = listen_socket(SOCK_STREAM, port);
	int ufd = udp_port > 0 ? listen_socket(SOCK_DGRAM, udp_port) : -1;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
	struct epoll_event events[256];

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
	if (ufd >= 0) {
		ev.data.fd = ufd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, ufd, &ev);
	}
	for (;;) {
		int n = epoll_wait(epfd, events, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == lfd)
				on_listen(epfd, lfd);
			else if (fd == ufd)
				on_udp(ufd);
			else
				on_conn(fd);
		}
	}
}

static int parse_options(int argc, char **argv, int *port, int *workers, int *udp_port)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "udp-port", required_argument, NULL, 'u' },
		{ "kernel-rx-time", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:w:u:k", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': *port = atoi(optarg); break;
		case 'w': *workers = atoi(optarg); break;
		case 'u': *udp_port = atoi(optarg); break;
		case 'k': kernel_rx_time = 1; break;
		default: return -1;
		}
	}
	if (optind != argc || *port <= 0 || *port > 65535 || *workers < 0 ||
	    *udp_port < 0 || *udp_port > 65535)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int port = 11932, workers = 0, udp_port = 0;
	pid_t pids[MAX_WORKERS];
	sigset_t set;
	int sig;

	if (parse_options(argc, argv, &port, &workers, &udp_port) < 0) {
		fprintf(stderr, "usage: refserver [--port P] [--workers N] [--udp-port P] "
		        "[--kernel-rx-time]\n  (workers 0: one per CPU)\n");
		return 2;
	}
	if (workers == 0)
		workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (workers < 1 || workers > MAX_WORKERS)
		workers = 1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			worker(port, udp_port);
			_exit(0);
		}
	}
	sigwait(&set, &sig);
	for (int i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
