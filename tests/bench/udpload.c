/* A batched NTP/UDP load generator: one socket keeps `window` requests in
 * flight, sent with sendmmsg and read with recvmmsg, so one client core can
 * outrun one server core and the server's capacity is what gets measured.
 * (loadgen --mode udp spends three system calls a reply of its own.) */

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_ntp.h"

#define BATCH 64
#define SOCKBUF_BYTES (4 * 1024 * 1024)
#define EXPIRE_EVERY_NS 10000000ULL
#define LATENCY_SAMPLE_EVERY 16

struct options {
	const char *host;
	const char *port;
	int window;
	double duration_s;
	int timeout_ms;
	int json;
};

/* One request in flight. */
struct slot {
	uint64_t seq;
	uint64_t sent_ns;
	int busy;
};

struct state {
	const struct options *opt;
	int fd;
	uint64_t salt;                  /* cookie = salt ^ seq */
	struct slot *slots;
	int *free_list;
	int n_free;
	uint64_t sent, replies, lost, bad;
	int64_t *lat_ns;
	size_t n_lat, cap_lat;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int open_socket(const struct options *opt)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
	                          .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res;
	int fd, size = SOCKBUF_BYTES, rc = getaddrinfo(opt->host, opt->port, &hints, &res);

	if (rc != 0) {
		fprintf(stderr, "udpload: %s port %s: %s\n", opt->host, opt->port, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		perror("udpload: socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return fd;
}

/* Fill free slots with new requests, up to BATCH a call. */
static void send_some(struct state *st)
{
	uint8_t pkt[BATCH][BENCH_NTP_SIZE];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];
	int idx[BATCH], n = 0, sent;
	uint64_t now = bench_ns_now(CLOCK_MONOTONIC);

	while (n < BATCH && st->n_free > 0) {
		int i = st->free_list[--st->n_free];
		struct slot *s = &st->slots[i];

		/* Each use of slot i gets a new seq with seq % window == i. */
		s->seq += (uint64_t)st->opt->window;
		s->sent_ns = now;
		bench_make_request(pkt[n], st->salt ^ s->seq);
		iov[n] = (struct iovec){ .iov_base = pkt[n], .iov_len = BENCH_NTP_SIZE };
		memset(&msg[n], 0, sizeof(msg[n]));
		msg[n].msg_hdr.msg_iov = &iov[n];
		msg[n].msg_hdr.msg_iovlen = 1;
		idx[n++] = i;
	}
	sent = n > 0 ? sendmmsg(st->fd, msg, (unsigned)n, 0) : 0;
	if (sent < 0)
		sent = 0;
	for (int k = 0; k < n; k++) {
		if (k < sent) {
			st->slots[idx[k]].busy = 1;
			st->sent++;
		} else {
			st->free_list[st->n_free++] = idx[k];
		}
	}
}

static void record_latency(struct state *st, int64_t ns)
{
	int64_t *grown;

	if (st->replies % LATENCY_SAMPLE_EVERY != 0)
		return;
	if (st->n_lat == st->cap_lat) {
		st->cap_lat = st->cap_lat ? st->cap_lat * 2 : 4096;
		grown = realloc(st->lat_ns, st->cap_lat * sizeof(*grown));
		if (grown == NULL)
			return;
		st->lat_ns = grown;
	}
	st->lat_ns[st->n_lat++] = ns;
}

/* One reply: it must be mode 4 and answer a request still in flight. */
static void take_reply(struct state *st, const uint8_t *buf, unsigned len, uint64_t now,
                       uint64_t deadline)
{
	uint64_t seq;
	struct slot *s;
	int i;

	if (len < BENCH_NTP_SIZE || (buf[0] & 7) != 4) {
		st->bad++;
		return;
	}
	seq = bench_get64(buf + BENCH_NTP_ORIGIN) ^ st->salt;
	i = (int)(seq % (uint64_t)st->opt->window);
	s = &st->slots[i];
	if (!s->busy || s->seq != seq) {
		st->bad++;      /* late, after its slot was given up */
		return;
	}
	s->busy = 0;
	st->free_list[st->n_free++] = i;
	if (now >= deadline)
		return;
	st->replies++;
	record_latency(st, (int64_t)(now - s->sent_ns));
}

static void receive_all(struct state *st, uint64_t deadline)
{
	uint8_t buf[BATCH][BENCH_NTP_SIZE + 16];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];

	for (;;) {
		int n;

		memset(msg, 0, sizeof(msg));
		for (int k = 0; k < BATCH; k++) {
			iov[k] = (struct iovec){ .iov_base = buf[k], .iov_len = sizeof(buf[k]) };
			msg[k].msg_hdr.msg_iov = &iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(st->fd, msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t now = bench_ns_now(CLOCK_MONOTONIC);
		for (int k = 0; k < n; k++)
			take_reply(st, buf[k], msg[k].msg_len, now, deadline);
		if (n < BATCH)
			return;
	}
}

/* Requests unanswered for timeout_ms are lost: free their slots. */
static void expire(struct state *st, uint64_t now)
{
	uint64_t limit = (uint64_t)st->opt->timeout_ms * 1000000ULL;

	for (int i = 0; i < st->opt->window; i++) {
		struct slot *s = &st->slots[i];

		if (s->busy && now - s->sent_ns > limit) {
			s->busy = 0;
			st->free_list[st->n_free++] = i;
			st->lost++;
		}
	}
}

static double percentile_us(struct state *st, double p)
{
	if (st->n_lat == 0)
		return 0;
	return st->lat_ns[(size_t)(p * (double)(st->n_lat - 1) + 0.5)] / 1e3;
}

static void report(struct state *st, double elapsed_s)
{
	double rate = (double)st->replies / elapsed_s;

	qsort(st->lat_ns, st->n_lat, sizeof(int64_t), cmp_i64);
	if (st->opt->json) {
		printf("{\"window\": %d, \"duration_s\": %.3f, \"sent\": %llu, \"exchanges\": %llu, "
		       "\"rate\": %.1f, \"lost\": %llu, \"bad\": %llu, "
		       "\"latency_us\": {\"p50\": %.1f, \"p99\": %.1f}, \"errors\": %llu}\n",
		       st->opt->window, elapsed_s, (unsigned long long)st->sent,
		       (unsigned long long)st->replies, rate, (unsigned long long)st->lost,
		       (unsigned long long)st->bad, percentile_us(st, 0.5), percentile_us(st, 0.99),
		       (unsigned long long)(st->lost + st->bad));
		return;
	}
	printf("window %d, %.2f s: %llu replies (%.0f/s), %llu lost, %llu bad; "
	       "latency us p50 %.1f p99 %.1f\n", st->opt->window, elapsed_s,
	       (unsigned long long)st->replies, rate, (unsigned long long)st->lost,
	       (unsigned long long)st->bad, percentile_us(st, 0.5), percentile_us(st, 0.99));
}

static int run(const struct options *opt)
{
	struct state st = { .opt = opt };
	uint64_t start, deadline, next_expire;
	struct pollfd p;

	st.fd = open_socket(opt);
	st.slots = calloc((size_t)opt->window, sizeof(*st.slots));
	st.free_list = calloc((size_t)opt->window, sizeof(*st.free_list));
	if (st.fd < 0 || st.slots == NULL || st.free_list == NULL)
		return 1;
	if (getrandom(&st.salt, sizeof(st.salt), 0) != (ssize_t)sizeof(st.salt))
		st.salt = bench_ns_now(CLOCK_REALTIME);
	for (int i = opt->window - 1; i >= 0; i--) {
		st.slots[i].seq = (uint64_t)i;
		st.free_list[st.n_free++] = i;
	}
	start = bench_ns_now(CLOCK_MONOTONIC);
	deadline = start + (uint64_t)(opt->duration_s * 1e9);
	next_expire = start + EXPIRE_EVERY_NS;
	p = (struct pollfd){ .fd = st.fd, .events = POLLIN };
	while (bench_ns_now(CLOCK_MONOTONIC) < deadline) {
		uint64_t now;

		send_some(&st);
		if (poll(&p, 1, 1) > 0)
			receive_all(&st, deadline);
		now = bench_ns_now(CLOCK_MONOTONIC);
		if (now >= next_expire) {
			expire(&st, now);
			next_expire = now + EXPIRE_EVERY_NS;
		}
	}
	report(&st, (double)(bench_ns_now(CLOCK_MONOTONIC) - start) / 1e9);
	close(st.fd);
	free(st.slots);
	free(st.free_list);
	free(st.lat_ns);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: udpload [--host ADDR] [--port PORT] [--window N] [--duration S]\n"
	           "               [--timeout MS] [--json]\n"
	           "  --window N   requests in flight (default 256)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "window", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = { "127.0.0.1", "123", 256, 3.0, 200, 0 };
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = optarg; break;
		case 'w': opt.window = atoi(optarg); break;
		case 'd': opt.duration_s = atof(optarg); break;
		case 't': opt.timeout_ms = atoi(optarg); break;
		case 'j': opt.json = 1; break;
		case 'H': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (opt.window < 1 || opt.window > 65536 || !(opt.duration_s > 0) ||
	    opt.duration_s > 3600 || opt.timeout_ms < 1) {
		usage(stderr);
		return 2;
	}
	return run(&opt);
}
