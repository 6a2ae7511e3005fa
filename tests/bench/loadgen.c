/* Load generator for tsd and its comparison servers: many concurrent
 * exchanges from one process (epoll, optionally several threads), reporting
 * exchanges per second, latency percentiles and the server's T3 - T2. */

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_ntp.h"

enum mode { MODE_CONN, MODE_PERSISTENT, MODE_TEXT, MODE_UDP };
enum slot_state { S_IDLE, S_CONNECTING, S_WAITING, S_BACKOFF };
enum error_kind { E_CONNECT, E_IO, E_TIMEOUT, E_BAD_REPLY, E_COUNT };

static const char *const error_names[E_COUNT] = {
	"connect", "io", "timeout", "bad_reply"
};

#define TEXT_REQUEST "time\n"
#define TEXT_BUF_MAX 64
#define BACKOFF_NS 10000000ULL  /* after an error, so a dead server is not a busy loop */
#define TICK_MS 10

struct options {
	enum mode mode;
	const char *host;
	const char *port;
	int concurrency;
	double duration_s;
	int threads;
	int json;
	uint64_t timeout_ns;
	int sources;            /* bind to 127.0.0.2 .. 127.0.0.(1+sources); 0: no bind */
	int per_conn;           /* persistent: close after this many exchanges; 0: never */
	int interleaved;        /* native: ask for interleaved mode (doc/protocol.md) */
};

/* A growable array of int64 measurements. */
struct series {
	int64_t *v;
	size_t n, cap;
};

struct slot {
	int fd;
	enum slot_state state;
	uint64_t start_ns;      /* monotonic, when this exchange began */
	uint64_t cookie;
	uint64_t last_rx;       /* receive field of the connection's last reply */
	size_t got;
	uint8_t buf[TEXT_BUF_MAX];
	int source_index;
	int exchanges;          /* on the current connection */
};

struct worker {
	pthread_t thread;
	const struct options *opt;
	const struct sockaddr_storage *addr;
	socklen_t addrlen;
	int epfd;
	int n_slots;
	struct slot *slots;
	uint64_t deadline_ns;
	struct series latency_ns;
	struct series server_ns;
	uint64_t errors[E_COUNT];
	uint64_t interleaved;   /* replies in interleaved mode */
};

static int series_push(struct series *s, int64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		int64_t *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted series; 0 when empty. */
static int64_t percentile(const struct series *s, double p)
{
	if (s->n == 0)
		return 0;
	return s->v[(size_t)(p * (double)(s->n - 1) + 0.5)];
}

/* ---- sockets ---- */

static int bind_source(int fd, int index, int sources)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	int one = 1;

	if (sources <= 0)
		return 0;
	src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(index % sources));
	/* Pick the port at connect time, so the 4-tuple, not the address, must be unique. */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (struct sockaddr *)&src, sizeof(src));
}

static int open_socket(struct worker *w, struct slot *s)
{
	int udp = w->opt->mode == MODE_UDP;
	int type = (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
	int fd = socket(w->addr->ss_family, type, 0);
	int one = 1;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = s };

	if (fd < 0)
		return -1;
	if (!udp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (w->addr->ss_family == AF_INET && bind_source(fd, s->source_index, w->opt->sources) < 0)
		goto fail;
	if (connect(fd, (const struct sockaddr *)w->addr, w->addrlen) < 0 && errno != EINPROGRESS)
		goto fail;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	s->fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

static void close_slot(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->last_rx = 0;       /* a new connection has no last reply */
	s->state = S_IDLE;
	s->exchanges = 0;
}

static void fail_slot(struct worker *w, struct slot *s, enum error_kind kind)
{
	if (bench_ns_now(CLOCK_MONOTONIC) < w->deadline_ns)
		w->errors[kind]++;
	close_slot(s);
	s->state = S_BACKOFF;
	s->start_ns = bench_ns_now(CLOCK_MONOTONIC);
}

/* ---- one exchange ---- */

static int send_request(struct worker *w, struct slot *s)
{
	uint8_t req[BENCH_NTP_SIZE];
	const void *data = req;
	size_t len = sizeof(req);
	ssize_t n;

	if (w->opt->mode == MODE_TEXT) {
		data = TEXT_REQUEST;
		len = strlen(TEXT_REQUEST);
	} else {
		s->cookie = bench_ns_to_ntp(bench_ns_now(CLOCK_REALTIME)) ^ (uint64_t)(uintptr_t)s;
		bench_make_request(req, s->cookie);
		if (w->opt->interleaved) {
			/* Name the last reply; a receive field unlike the cookie asks. */
			bench_put64(req + BENCH_NTP_ORIGIN, s->last_rx);
			bench_put64(req + BENCH_NTP_RECEIVE, s->cookie ^ 1);
		}
	}
	n = send(s->fd, data, len, MSG_NOSIGNAL);
	if (n == (ssize_t)len) {
		s->state = S_WAITING;
		s->got = 0;
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == ENOTCONN))
		return 0;   /* still connecting: EPOLLOUT will call again */
	return -1;
}

/* Start the next exchange on a slot (a new connection where the mode wants one). */
static void start_exchange(struct worker *w, struct slot *s)
{
	s->start_ns = bench_ns_now(CLOCK_MONOTONIC);
	if (s->fd < 0) {
		if (open_socket(w, s) < 0) {
			fail_slot(w, s, E_CONNECT);
			return;
		}
		s->state = S_CONNECTING;
	}
	if (send_request(w, s) < 0)
		fail_slot(w, s, s->state == S_CONNECTING ? E_CONNECT : E_IO);
}

/* A native reply is complete: check it and take T3 - T2 from it. */
static int finish_native(struct worker *w, struct slot *s, uint64_t now_ns)
{
	const uint8_t *r = s->buf;
	uint64_t origin = bench_get64(r + BENCH_NTP_ORIGIN);
	int interleaved = w->opt->interleaved && origin == (s->cookie ^ 1);

	if ((r[0] & 7) != 4 || (origin != s->cookie && !interleaved))
		return -1;
	s->last_rx = bench_get64(r + BENCH_NTP_RECEIVE);
	if (now_ns < w->deadline_ns) {
		series_push(&w->latency_ns, (int64_t)(now_ns - s->start_ns));
		/* An interleaved reply's transmit is the last reply's: no T3 - T2. */
		if (interleaved)
			w->interleaved++;
		else
			series_push(&w->server_ns,
			            bench_ntp_diff_ns(bench_get64(r + BENCH_NTP_RECEIVE),
			                              bench_get64(r + BENCH_NTP_TRANSMIT)));
	}
	return 0;
}

/* A text reply "T2<TAB>T3\n" in milliseconds. */
static int finish_text(struct worker *w, struct slot *s, uint64_t now_ns)
{
	long long t2_ms, t3_ms;
	char line[TEXT_BUF_MAX + 1];

	memcpy(line, s->buf, s->got);
	line[s->got] = '\0';
	if (sscanf(line, "%lld\t%lld", &t2_ms, &t3_ms) != 2 || t3_ms < t2_ms)
		return -1;
	if (now_ns < w->deadline_ns) {
		series_push(&w->latency_ns, (int64_t)(now_ns - s->start_ns));
		series_push(&w->server_ns, (int64_t)(t3_ms - t2_ms) * 1000000);
	}
	return 0;
}

static void complete(struct worker *w, struct slot *s)
{
	uint64_t now_ns = bench_ns_now(CLOCK_MONOTONIC);
	int rc = w->opt->mode == MODE_TEXT ? finish_text(w, s, now_ns)
	                                   : finish_native(w, s, now_ns);

	if (rc < 0 && w->opt->mode == MODE_UDP)
		return;     /* a late reply to an earlier request: keep waiting */
	if (rc < 0) {
		fail_slot(w, s, E_BAD_REPLY);
		return;
	}
	s->exchanges++;
	if (w->opt->mode == MODE_CONN || w->opt->mode == MODE_TEXT ||
	    (w->opt->per_conn > 0 && s->exchanges >= w->opt->per_conn))
		close_slot(s);
	s->state = S_IDLE;
	if (now_ns < w->deadline_ns)
		start_exchange(w, s);
}

static int reply_done(const struct worker *w, const struct slot *s)
{
	if (w->opt->mode != MODE_TEXT)
		return s->got >= BENCH_NTP_SIZE;
	return memchr(s->buf, '\n', s->got) != NULL;
}

static void on_readable(struct worker *w, struct slot *s)
{
	for (;;) {
		size_t room = (w->opt->mode == MODE_TEXT ? TEXT_BUF_MAX : BENCH_NTP_SIZE) - s->got;
		ssize_t n = recv(s->fd, s->buf + s->got, room, 0);

		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 || (n == 0 && w->opt->mode != MODE_TEXT)) {
			fail_slot(w, s, E_IO);
			return;
		}
		if (w->opt->mode == MODE_UDP)
			s->got = 0;   /* each datagram is a whole reply */
		s->got += (size_t)n;
		if (n == 0 || reply_done(w, s) || s->got == TEXT_BUF_MAX) {
			complete(w, s);
			return;
		}
	}
}

static void on_event(struct worker *w, struct slot *s, uint32_t events)
{
	if (s->fd < 0)
		return;
	if ((events & EPOLLERR) && s->state == S_CONNECTING) {
		fail_slot(w, s, E_CONNECT);
		return;
	}
	if ((events & EPOLLOUT) && s->state == S_CONNECTING && send_request(w, s) < 0) {
		fail_slot(w, s, E_CONNECT);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && s->state == S_WAITING)
		on_readable(w, s);
}

/* Restart slots past their backoff; cut off exchanges past the timeout. */
static void scan_slots(struct worker *w, uint64_t now_ns)
{
	for (int i = 0; i < w->n_slots; i++) {
		struct slot *s = &w->slots[i];

		if (s->state == S_BACKOFF && now_ns - s->start_ns >= BACKOFF_NS) {
			s->state = S_IDLE;
			start_exchange(w, s);
		} else if (s->state != S_BACKOFF && s->state != S_IDLE &&
		           now_ns - s->start_ns >= w->opt->timeout_ns) {
			if (w->opt->mode == MODE_UDP) {
				w->errors[E_TIMEOUT]++;
				start_exchange(w, s);   /* lost datagram: ask again */
			} else {
				fail_slot(w, s, E_TIMEOUT);
			}
		}
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event events[256];
	uint64_t next_scan_ns = 0;

	for (int i = 0; i < w->n_slots; i++)
		start_exchange(w, &w->slots[i]);
	for (;;) {
		uint64_t now_ns = bench_ns_now(CLOCK_MONOTONIC);
		int n;

		if (now_ns >= w->deadline_ns)
			break;
		if (now_ns >= next_scan_ns) {
			scan_slots(w, now_ns);
			next_scan_ns = now_ns + TICK_MS * 1000000ULL;
		}
		n = epoll_wait(w->epfd, events, 256, TICK_MS);
		for (int i = 0; i < n; i++)
			on_event(w, events[i].data.ptr, events[i].events);
	}
	for (int i = 0; i < w->n_slots; i++)
		close_slot(&w->slots[i]);
	return NULL;
}

/* ---- set-up and report ---- */

static int resolve(const struct options *opt, struct sockaddr_storage *addr, socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res;
	int rc;

	hints.ai_socktype = opt->mode == MODE_UDP ? SOCK_DGRAM : SOCK_STREAM;
	rc = getaddrinfo(opt->host, opt->port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "loadgen: %s port %s: %s\n", opt->host, opt->port, gai_strerror(rc));
		return -1;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int worker_init(struct worker *w, const struct options *opt, int n_slots,
                       int first_index, uint64_t deadline_ns)
{
	w->opt = opt;
	w->n_slots = n_slots;
	w->deadline_ns = deadline_ns;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->slots = calloc((size_t)(n_slots > 0 ? n_slots : 1), sizeof(*w->slots));
	if (w->epfd < 0 || w->slots == NULL)
		return -1;
	for (int i = 0; i < n_slots; i++) {
		w->slots[i].fd = -1;
		w->slots[i].source_index = first_index + i;
	}
	return 0;
}

static void worker_free(struct worker *w)
{
	free(w->latency_ns.v);
	free(w->server_ns.v);
	free(w->slots);
	if (w->epfd >= 0)
		close(w->epfd);
}

/* Move every worker's measurements into the first one. */
static void merge(struct worker *ws, int n)
{
	for (int i = 1; i < n; i++) {
		for (size_t j = 0; j < ws[i].latency_ns.n; j++)
			series_push(&ws[0].latency_ns, ws[i].latency_ns.v[j]);
		for (size_t j = 0; j < ws[i].server_ns.n; j++)
			series_push(&ws[0].server_ns, ws[i].server_ns.v[j]);
		for (int k = 0; k < E_COUNT; k++)
			ws[0].errors[k] += ws[i].errors[k];
	}
	qsort(ws[0].latency_ns.v, ws[0].latency_ns.n, sizeof(int64_t), cmp_i64);
	qsort(ws[0].server_ns.v, ws[0].server_ns.n, sizeof(int64_t), cmp_i64);
}

static const char *mode_name(enum mode m)
{
	static const char *const names[] = { "conn", "persistent", "text", "udp" };

	return names[m];
}

static void report(const struct options *opt, const struct worker *w, double elapsed_s)
{
	const struct series *lat = &w->latency_ns, *srv = &w->server_ns;
	uint64_t errors = 0;
	double rate = (double)lat->n / elapsed_s;

	for (int k = 0; k < E_COUNT; k++)
		errors += w->errors[k];
	if (opt->json) {
		printf("{\"mode\": \"%s\", \"concurrency\": %d, \"threads\": %d, "
		       "\"duration_s\": %.3f, \"exchanges\": %zu, \"rate\": %.1f, "
		       "\"latency_us\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}, "
		       "\"server_us\": {\"p50\": %.2f, \"p99\": %.2f, \"max\": %.2f}, "
		       "\"interleaved\": %llu, \"errors\": %llu",
		       mode_name(opt->mode), opt->concurrency, opt->threads, elapsed_s, lat->n, rate,
		       percentile(lat, 0.5) / 1e3, percentile(lat, 0.99) / 1e3,
		       lat->n ? lat->v[lat->n - 1] / 1e3 : 0.0,
		       percentile(srv, 0.5) / 1e3, percentile(srv, 0.99) / 1e3,
		       srv->n ? srv->v[srv->n - 1] / 1e3 : 0.0, (unsigned long long)w->interleaved,
		       (unsigned long long)errors);
		for (int k = 0; k < E_COUNT; k++)
			printf(", \"errors_%s\": %llu", error_names[k], (unsigned long long)w->errors[k]);
		printf("}\n");
		return;
	}
	printf("mode %s, concurrency %d, threads %d, %.2f s\n", mode_name(opt->mode),
	       opt->concurrency, opt->threads, elapsed_s);
	printf("exchanges   %zu (%.0f/s)\n", lat->n, rate);
	printf("latency us  p50 %.1f  p99 %.1f  max %.1f\n", percentile(lat, 0.5) / 1e3,
	       percentile(lat, 0.99) / 1e3, lat->n ? lat->v[lat->n - 1] / 1e3 : 0.0);
	printf("T3-T2 us    p50 %.2f  p99 %.2f\n", percentile(srv, 0.5) / 1e3,
	       percentile(srv, 0.99) / 1e3);
	if (opt->interleaved)
		printf("interleaved %llu replies\n", (unsigned long long)w->interleaved);
	printf("errors      %llu", (unsigned long long)errors);
	for (int k = 0; k < E_COUNT; k++)
		printf(" %s=%llu", error_names[k], (unsigned long long)w->errors[k]);
	printf("\n");
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: loadgen [--mode conn|persistent|text|udp] [--host ADDR] [--port PORT]\n"
	        "               [--concurrency N] [--duration SECONDS] [--threads N]\n"
	        "               [--timeout MS] [--sources N] [--per-conn N] [--interleaved]\n"
	        "               [--json]\n"
	        "  conn        a TCP connection per native (48-byte NTP) exchange\n"
	        "  persistent  many native exchanges per connection\n"
	        "  text        a connection per text exchange (\"T2<TAB>T3\" reply)\n"
	        "  udp         NTPv4 over UDP\n"
	        "  --sources N spread IPv4 clients over 127.0.0.2 .. 127.0.0.(N+1)\n"
	        "  --per-conn N  persistent: a new connection after N exchanges (as tsclient)\n"
	        "  --interleaved native: each request names the last reply, asking for\n"
	        "              interleaved mode (the server stamps its replies' departures)\n");
}

static int parse_mode(const char *s, enum mode *out)
{
	static const char *const names[] = { "conn", "persistent", "text", "udp" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum mode)i;
			return 0;
		}
	}
	return -1;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "sources", required_argument, NULL, 's' },
		{ "per-conn", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "interleaved", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "m:H:p:c:d:t:T:s:P:jih", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': if (parse_mode(optarg, &opt->mode) < 0) return -1; break;
		case 'H': opt->host = optarg; break;
		case 'p': opt->port = optarg; break;
		case 'c': opt->concurrency = atoi(optarg); break;
		case 'd': opt->duration_s = atof(optarg); break;
		case 't': opt->threads = atoi(optarg); break;
		case 'T': opt->timeout_ns = (uint64_t)(atof(optarg) * 1e6); break;
		case 's': opt->sources = atoi(optarg); break;
		case 'P': opt->per_conn = atoi(optarg); break;
		case 'j': opt->json = 1; break;
		case 'i': opt->interleaved = 1; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind != argc || opt->concurrency < 1 || opt->concurrency > 100000 ||
	    opt->duration_s <= 0 || opt->duration_s > 3600 || opt->threads < 1 ||
	    opt->threads > 64 || opt->timeout_ns == 0 || opt->sources < 0 || opt->sources > 250 ||
	    opt->per_conn < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt = { MODE_CONN, "127.0.0.1", "11932", 16, 5.0, 1, 0, 2000000000ULL, 0, 0, 0 };
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct worker *ws;
	uint64_t start_ns, deadline_ns;

	if (parse_options(argc, argv, &opt) < 0) {
		usage(stderr);
		return 2;
	}
	if (resolve(&opt, &addr, &addrlen) < 0)
		return 2;
	if (opt.threads > opt.concurrency)
		opt.threads = opt.concurrency;
	ws = calloc((size_t)opt.threads, sizeof(*ws));
	if (ws == NULL)
		return 1;
	start_ns = bench_ns_now(CLOCK_MONOTONIC);
	deadline_ns = start_ns + (uint64_t)(opt.duration_s * 1e9);
	for (int i = 0, first = 0; i < opt.threads; i++) {
		int n = opt.concurrency / opt.threads + (i < opt.concurrency % opt.threads);

		ws[i].addr = &addr;
		ws[i].addrlen = addrlen;
		if (worker_init(&ws[i], &opt, n, first, deadline_ns) < 0) {
			perror("loadgen");
			return 1;
		}
		first += n;
	}
	for (int i = 0; i < opt.threads; i++)
		pthread_create(&ws[i].thread, NULL, worker_run, &ws[i]);
	for (int i = 0; i < opt.threads; i++)
		pthread_join(ws[i].thread, NULL);
	merge(ws, opt.threads);
	report(&opt, &ws[0], (double)(deadline_ns - start_ns) / 1e9);
	for (int i = 0; i < opt.threads; i++)
		worker_free(&ws[i]);
	free(ws);
	return 0;
}
