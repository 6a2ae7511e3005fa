/* relay: a TCP relay that delays each direction by a base delay plus seeded
 * jitter, simulated in user space (for kernels without netem). Used by the
 * accuracy tests and benchmarks; see usage() for the options. */

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/monotonic.h"
#include "../splitmix64.h"
#include "relay_clock.h"
#include "relay_udp.h"

#define CHUNK_MAX 16384
/* Stop reading a side while this much of its data waits to be released. */
#define QUEUE_LIMIT_BYTES (4u << 20)

enum { UP = 0, DOWN = 1 };      /* UP: client to target; DOWN: target to client */

struct chunk {
	struct chunk *next;
	int64_t release_ns;        /* CLOCK_MONOTONIC instant it may be written */
	size_t len, off;
	char data[];
};

struct direction {
	struct chunk *head, *tail;
	size_t queued_bytes;
	int64_t last_release_ns;   /* releases never go backwards: TCP keeps order */
	int eof;                   /* the source side closed its sending half */
	int shut;                  /* the end was passed on (shutdown SHUT_WR) */
	uint64_t bytes;
};

struct relay_conn {
	int fd[2];                 /* [UP] the client side, [DOWN] the target side */
	int connecting;            /* the target connect is still in progress */
	struct direction dir[2];   /* dir[UP] reads fd[0] and writes fd[1] */
};

struct options {
	const char *listen;        /* [HOST:]PORT */
	const char *target;        /* HOST:PORT */
	double delay_ms[2], jitter_ms[2];
	double spike_prob, spike_ms;   /* a chunk is held spike_ms more with this probability */
	uint64_t seed;
	int max_connections;
	const char *port_file;
	int quiet;
	int udp;                   /* relay datagrams instead of TCP connections */
	int exponential;           /* jitter exponential with mean JITTER, not uniform */
};

struct relay {
	struct options opt;
	int listen_fd;
	struct sockaddr_storage target;
	socklen_t target_len;
	struct relay_conn **conns;
	size_t n_conns;
	uint64_t rng[2];           /* one stream per direction */
	uint64_t accepted;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
	"Usage: relay --listen [HOST:]PORT --to HOST:PORT [OPTION]...\n"
	"Relay TCP connections to a target, delaying the bytes of each direction.\n\n"
	"  --listen [HOST:]PORT   where to accept connections (HOST default 127.0.0.1;\n"
	"                         PORT 0 picks a free port). The address actually bound\n"
	"                         is printed on the first line of standard output:\n"
	"                         \"relay listening on HOST:PORT\"\n"
	"  --to HOST:PORT         the target each accepted connection is relayed to\n"
	"  --up-delay-ms MS       base delay, client to target (default 0)\n"
	"  --up-jitter-ms MS      jitter added to the up delay (default 0)\n"
	"  --down-delay-ms MS     base delay, target to client (default 0)\n"
	"  --down-jitter-ms MS    jitter added to the down delay (default 0)\n"
	"  --seed N               seed of the jitter generator (default 1)\n"
	"  --spike-prob P         each chunk, either direction, is held --spike-ms\n"
	"  --spike-ms MS          longer with probability P (default 0: never)\n"
	"  --max-connections N    relayed connections at once; more are closed (1024)\n"
	"  --port-file FILE       also write the bound port to FILE\n"
	"  --udp                  relay UDP datagrams (each client address gets its own\n"
	"                         socket towards the target) instead of TCP\n"
	"  --jitter exponential   jitter drawn exponentially with mean JITTER instead\n"
	"                         of uniformly from [0, JITTER) (--jitter uniform)\n"
	"  --quiet                no statistics on standard error at exit\n"
	"  -h, --help             this help\n\n"
	"Each chunk read from one side is stamped on arrival (the kernel's receive\n"
	"stamp, on CLOCK_MONOTONIC) and written to the other side at arrival + base\n"
	"+ jitter (sleeping until shortly before, then spinning: both directions\n"
	"add the same few microseconds of one send), where jitter is drawn\n"
	"uniformly from [0, JITTER) by a seeded generator (splitmix64, one stream per\n"
	"direction), so a run is reproducible for a given seed and chunking. A\n"
	"chunk is never released before the one ahead of it: byte order is kept, as\n"
	"TCP requires, so jitter larger than the spacing of the chunks queues them.\n"
	"A closed sending half is passed on (shutdown) once its data is released.\n"
	"Connection set-up is not delayed: the target is connected at accept.\n"
	"The delays are simulated in user space; the timer resolution is that of\n"
	"ppoll (tens of microseconds on an idle machine). SIGINT or SIGTERM stops.\n");
}

static int64_t delay_ns(struct relay *r, int d)
{
	double u = splitmix64_uniform(&r->rng[d]);
	double ms = r->opt.delay_ms[d] +
	            (r->opt.exponential ? -log1p(-u) : u) * r->opt.jitter_ms[d];

	/* Drawn only when asked for, so runs without spikes keep their sequence. */
	if (r->opt.spike_prob > 0 && splitmix64_uniform(&r->rng[d]) < r->opt.spike_prob)
		ms += r->opt.spike_ms;
	return (int64_t)(ms * 1e6);
}

/* ---- addresses ---- */

/* Split "HOST:PORT", "[V6]:PORT" or "PORT" (only when allowed). */
static int split_hostport(const char *text, const char *default_host, char *host,
                          size_t hostlen, char *port, size_t portlen)
{
	const char *colon = strrchr(text, ':');
	const char *h = text;
	size_t hl;

	if (colon == NULL) {
		if (default_host == NULL)
			return -1;
		snprintf(host, hostlen, "%s", default_host);
		snprintf(port, portlen, "%s", text);
		return 0;
	}
	hl = (size_t)(colon - text);
	if (hl >= 2 && text[0] == '[' && text[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostlen || strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

static int resolve(const char *text, const char *default_host, int passive,
                   struct sockaddr_storage *out, socklen_t *outlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = passive ? AI_PASSIVE : 0 };
	struct addrinfo *res;
	char host[256], port[32];
	int rc;

	if (split_hostport(text, default_host, host, sizeof(host), port, sizeof(port)) < 0) {
		fprintf(stderr, "relay: '%s' is not [HOST:]PORT\n", text);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "relay: cannot resolve '%s': %s\n", text, gai_strerror(rc));
		return -1;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*outlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void print_address(FILE *f, const struct sockaddr_storage *a)
{
	char host[128] = "?";
	int port = 0;

	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)a;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		fprintf(f, "%s:%d", host, port);
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		fprintf(f, "[%s]:%d", host, port);
	}
}

static int open_listener(struct relay *r)
{
	struct sockaddr_storage a;
	socklen_t alen;
	int one = 1, fd;

	if (resolve(r->opt.listen, "127.0.0.1", 1, &a, &alen) < 0)
		return -1;
	fd = socket(a.ss_family, (r->opt.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
	            SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, alen) < 0 || (!r->opt.udp && listen(fd, 128) < 0) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		fprintf(stderr, "relay: cannot listen on %s: %s\n", r->opt.listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	r->listen_fd = fd;
	printf("relay listening on ");
	print_address(stdout, &a);
	printf("\n");
	fflush(stdout);
	if (r->opt.port_file != NULL) {
		FILE *f = fopen(r->opt.port_file, "w");
		int port = ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
		                                        : ((struct sockaddr_in6 *)&a)->sin6_port);

		if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0) {
			fprintf(stderr, "relay: cannot write %s\n", r->opt.port_file);
			return -1;
		}
	}
	return 0;
}

/* ---- connections ---- */

static void free_queue(struct direction *d)
{
	while (d->head != NULL) {
		struct chunk *c = d->head;

		d->head = c->next;
		free(c);
	}
	d->tail = NULL;
}

static void conn_close(struct relay *r, size_t i)
{
	struct relay_conn *c = r->conns[i];

	for (int d = 0; d < 2; d++) {
		close(c->fd[d]);
		free_queue(&c->dir[d]);
	}
	free(c);
	r->conns[i] = r->conns[--r->n_conns];
}

static void accept_one(struct relay *r)
{
	int cfd = accept4(r->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int one = 1, tfd;
	struct relay_conn *c;

	if (cfd < 0)
		return;
	if (r->n_conns >= (size_t)r->opt.max_connections) {
		close(cfd);
		return;
	}
	tfd = socket(r->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c = calloc(1, sizeof(*c));
	if (tfd < 0 || c == NULL ||
	    (connect(tfd, (struct sockaddr *)&r->target, r->target_len) < 0 && errno != EINPROGRESS)) {
		close(cfd);
		if (tfd >= 0)
			close(tfd);
		free(c);
		return;
	}
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(tfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	relay_clock_stamp(cfd);
	relay_clock_stamp(tfd);
	c->fd[0] = cfd;
	c->fd[1] = tfd;
	c->connecting = 1;
	r->conns[r->n_conns++] = c;
	r->accepted++;
}

/* Read what one side has and queue it for the other. -1: drop the connection. */
static int read_side(struct relay *r, struct relay_conn *c, int d)
{
	struct direction *dir = &c->dir[d];
	char buf[CHUNK_MAX];
	union { char buf[128]; struct cmsghdr align; } control;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
	                    .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(c->fd[d], &m, 0);
	int64_t arrival, release;
	struct chunk *ch;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		dir->eof = 1;
		return 0;
	}
	ch = malloc(sizeof(*ch) + (size_t)n);
	if (ch == NULL)
		return -1;
	arrival = relay_clock_arrival(&m);
	release = arrival + delay_ns(r, d);
	if (release < dir->last_release_ns)
		release = dir->last_release_ns;
	dir->last_release_ns = release;
	*ch = (struct chunk){ .release_ns = release, .len = (size_t)n };
	memcpy(ch->data, buf, (size_t)n);
	if (dir->tail != NULL)
		dir->tail->next = ch;
	else
		dir->head = ch;
	dir->tail = ch;
	dir->queued_bytes += (size_t)n;
	return 0;
}

/* Write the chunks that fall due before `horizon`, each at its instant.
 * -1: drop the connection. */
static int write_side(struct relay_conn *c, int d, int64_t horizon)
{
	struct direction *dir = &c->dir[d];
	int out = c->fd[1 - d];

	while (dir->head != NULL && dir->head->release_ns <= horizon) {
		struct chunk *ch = dir->head;
		ssize_t n;

		relay_clock_spin_until(ch->release_ns);
		n = send(out, ch->data + ch->off, ch->len - ch->off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		ch->off += (size_t)n;
		dir->bytes += (uint64_t)n;
		dir->queued_bytes -= (size_t)n;
		if (ch->off < ch->len)
			return 0;
		dir->head = ch->next;
		if (dir->head == NULL)
			dir->tail = NULL;
		free(ch);
	}
	if (dir->eof && dir->head == NULL && !dir->shut) {
		shutdown(out, SHUT_WR);
		dir->shut = 1;
	}
	return 0;
}

static int finish_connect(struct relay_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
		return -1;
	c->connecting = 0;
	return 0;
}

/* ---- the loop ---- */

static short events_for(const struct relay_conn *c, int side, int64_t now)
{
	const struct direction *in = &c->dir[side], *out = &c->dir[1 - side];
	short ev = 0;

	if (side == DOWN && c->connecting)
		return POLLOUT;
	if (!in->eof && in->queued_bytes < QUEUE_LIMIT_BYTES)
		ev |= POLLIN;
	if (out->head != NULL && out->head->release_ns <= now && !(side == DOWN && c->connecting))
		ev |= POLLOUT;
	return ev;
}

/* The next chunk to fall due. Chunks already due wait for POLLOUT instead:
 * they are due but their socket was full. */
static int64_t next_release(const struct relay *r, int64_t now)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < r->n_conns; i++)
		for (int d = 0; d < 2; d++) {
			const struct chunk *h = r->conns[i]->dir[d].head;

			if (h != NULL && h->release_ns > now && h->release_ns < next)
				next = h->release_ns;
		}
	return next;
}

/* Handle one connection after poll. -1: it is finished or broken. */
static int service(struct relay *r, struct relay_conn *c, const struct pollfd *p)
{
	int64_t now;

	if (c->connecting && (p[1].revents & (POLLOUT | POLLERR | POLLHUP)) && finish_connect(c) < 0)
		return -1;
	for (int d = 0; d < 2; d++)
		if ((p[d].revents & (POLLIN | POLLHUP | POLLERR)) && !c->dir[d].eof &&
		    read_side(r, c, d) < 0)
			return -1;
	/* What falls due within the spin is written at its instant. */
	now = (int64_t)monotonic_now_ns() + RELAY_SPIN_NS;
	for (int d = 0; d < 2; d++)
		if (!(d == UP && c->connecting) && write_side(c, d, now) < 0)
			return -1;
	return c->dir[UP].shut && c->dir[DOWN].shut ? -1 : 0;
}

static int loop_once(struct relay *r, struct pollfd *p, const sigset_t *mask)
{
	/* Chunks due within the spin count as due: their sockets are polled
	 * for POLLOUT and the wait ends at once; later ones end the sleep
	 * that long before their instant. */
	int64_t now = (int64_t)monotonic_now_ns() + RELAY_SPIN_NS, next = next_release(r, now);
	struct timespec ts, *tsp = NULL;

	p[0] = (struct pollfd){ .fd = r->listen_fd, .events = POLLIN };
	for (size_t i = 0; i < r->n_conns; i++)
		for (int s = 0; s < 2; s++) {
			short ev = events_for(r->conns[i], s, now);

			/* A side with nothing to wait for is left out, so a hang-up
			 * it reports cannot spin the loop. */
			p[1 + 2 * i + s] = (struct pollfd){ .fd = ev ? r->conns[i]->fd[s] : -1,
			                                    .events = ev };
		}
	if (next != INT64_MAX) {
		int64_t wait = next > now ? next - now : 0;

		ts = (struct timespec){ wait / 1000000000, wait % 1000000000 };
		tsp = &ts;
	}
	if (ppoll(p, 1 + 2 * r->n_conns, tsp, mask) < 0)
		return errno == EINTR ? 0 : -1;
	for (size_t i = r->n_conns; i-- > 0;)
		if (service(r, r->conns[i], &p[1 + 2 * i]) < 0)
			conn_close(r, i);
	if (p[0].revents & POLLIN)
		accept_one(r);
	return 0;
}

static int run(struct relay *r)
{
	struct pollfd *p = calloc(1 + 2 * (size_t)r->opt.max_connections, sizeof(*p));
	sigset_t block, old;
	struct sigaction sa = { .sa_handler = on_signal };

	r->conns = calloc((size_t)r->opt.max_connections, sizeof(*r->conns));
	if (p == NULL || r->conns == NULL)
		return -1;
	/* Signals are delivered only inside ppoll, so none is lost between
	 * the check of stop_requested and the wait. */
	/* Wake-ups as close to the release instants as the kernel allows. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!stop_requested)
		if (loop_once(r, p, &old) < 0) {
			perror("relay: ppoll");
			break;
		}
	free(p);
	return 0;
}

static int64_t udp_delay(void *ctx, int dir)
{
	return delay_ns(ctx, dir);
}

static int run_udp(struct relay *r)
{
	struct sigaction sa = { .sa_handler = on_signal };

	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return relay_udp_run(r->listen_fd, &r->target, r->target_len, udp_delay, r,
	                     &stop_requested);
}

/* ---- options ---- */

static int parse_number(const char *name, const char *text, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (*text == '\0' || *end != '\0' || errno != 0 || !(*out >= lo && *out <= hi)) {
		fprintf(stderr, "relay: --%s needs a number from %g to %g, not '%s'\n",
		        name, lo, hi, text);
		return -1;
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "up-delay-ms", required_argument, NULL, 'u' },
		{ "up-jitter-ms", required_argument, NULL, 'U' },
		{ "down-delay-ms", required_argument, NULL, 'd' },
		{ "down-jitter-ms", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 's' },
		{ "spike-prob", required_argument, NULL, 'P' },
		{ "spike-ms", required_argument, NULL, 'S' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "udp", no_argument, NULL, 'w' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c, rc = 0;

	*o = (struct options){ .seed = 1, .max_connections = 1024 };
	while (rc == 0 && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 't': o->target = optarg; break;
		case 'p': o->port_file = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'w': o->udp = 1; break;
		case 'j':
			o->exponential = strcmp(optarg, "exponential") == 0;
			if (!o->exponential && strcmp(optarg, "uniform") != 0) {
				fprintf(stderr, "relay: --jitter is uniform or exponential\n");
				rc = -1;
			}
			break;
		case 'u': rc = parse_number("up-delay-ms", optarg, 0, 1e6, &o->delay_ms[UP]); break;
		case 'U': rc = parse_number("up-jitter-ms", optarg, 0, 1e6, &o->jitter_ms[UP]); break;
		case 'd': rc = parse_number("down-delay-ms", optarg, 0, 1e6, &o->delay_ms[DOWN]); break;
		case 'D': rc = parse_number("down-jitter-ms", optarg, 0, 1e6, &o->jitter_ms[DOWN]); break;
		case 'P': rc = parse_number("spike-prob", optarg, 0, 1, &o->spike_prob); break;
		case 'S': rc = parse_number("spike-ms", optarg, 0, 1e6, &o->spike_ms); break;
		case 's': rc = parse_number("seed", optarg, 0, 9007199254740992.0, &v);
			o->seed = (uint64_t)v; break;
		case 'm': rc = parse_number("max-connections", optarg, 1, 100000, &v);
			o->max_connections = (int)v; break;
		case 'h': usage(stdout); exit(0);
		default: rc = -1;
		}
	}
	if (rc == 0 && (optind != argc || o->listen == NULL || o->target == NULL)) {
		fprintf(stderr, "relay: --listen and --to are required, and nothing else\n");
		rc = -1;
	}
	if (rc < 0)
		fprintf(stderr, "Try 'relay --help'.\n");
	return rc;
}

int main(int argc, char **argv)
{
	struct relay r = { .listen_fd = -1 };

	if (parse_options(argc, argv, &r.opt) < 0)
		return 2;
	r.rng[UP] = r.opt.seed * 2 + 1;
	r.rng[DOWN] = r.opt.seed * 2 + 2;
	if (resolve(r.opt.target, NULL, 0, &r.target, &r.target_len) < 0 || open_listener(&r) < 0)
		return 1;
	if (r.opt.udp)
		run_udp(&r);
	else
		run(&r);
	if (!r.opt.quiet)
		fprintf(stderr, "relay: %llu connections\n", (unsigned long long)r.accepted);
	while (r.n_conns > 0)
		conn_close(&r, r.n_conns - 1);
	free(r.conns);
	close(r.listen_fd);
	return 0;
}
