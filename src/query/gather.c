/* Concurrent measurement: a child per server writes its struct measurement
 * back through a pipe. Children share nothing with each other, so the clock
 * plugin need not be thread-safe. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/monotonic.h"
#include "query/gather.h"

/* Time a child gets beyond its own timeout before it is killed. */
#define GATHER_GRACE_NS 2000000000LL

struct child {
	pid_t pid;
	int fd;                    /* read end of its pipe, -1 when done */
	size_t got;                /* bytes of its measurement received */
};

static void mark_failed(struct measurement *m, const struct server_spec *srv, const char *why)
{
	memset(m, 0, sizeof(*m));
	m->server = *srv;
	m->status = MEASURE_UNREACHABLE;
	snprintf(m->why, sizeof(m->why), "%s", why);
}

static void child_main(int fd, const struct server_spec *srv, enum measure_proto proto,
                       int samples, double timeout_s, struct clock_source *cs,
                       struct measurement *m)
{
	const char *p = (const char *)m;
	size_t left = sizeof(*m);

	measure_server(srv, proto, samples, timeout_s, cs, m);
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		p += n;
		left -= (size_t)n;
	}
	_exit(0);
}

static int spawn(struct child *c, const struct server_spec *srv, enum measure_proto proto,
                 int samples, double timeout_s, struct clock_source *cs,
                 struct measurement *m)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (c->pid == 0) {
		close(fds[0]);
		child_main(fds[1], srv, proto, samples, timeout_s, cs, m);
	}
	close(fds[1]);
	c->fd = fds[0];
	c->got = 0;
	return 0;
}

/* Read what is ready from one child; close its pipe at the end. */
static void collect(struct child *c, struct measurement *m)
{
	ssize_t n = read(c->fd, (char *)m + c->got, sizeof(*m) - c->got);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0)
		c->got += (size_t)n;
	if (n <= 0 || c->got == sizeof(*m)) {
		close(c->fd);
		c->fd = -1;
	}
}

static void wait_all(struct child *c, size_t n, struct measurement *out, int64_t deadline_ns)
{
	struct pollfd *p = calloc(n, sizeof(*p));
	size_t open = 0;

	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		open += c[i].fd >= 0;
	for (int left_ms; open > 0 && (left_ms = monotonic_ms_until(deadline_ns)) > 0;) {
		for (size_t i = 0; i < n; i++)
			p[i] = (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
		if (poll(p, n, left_ms) <= 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (c[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				collect(&c[i], &out[i]);
				open -= c[i].fd < 0;
			}
	}
	free(p);
}

void gather_measurements(const struct server_spec *servers, size_t n,
                         enum measure_proto proto, int samples, double timeout_s,
                         struct clock_source *cs, struct measurement *out)
{
	struct child *c;

	if (n == 1) {
		measure_server(&servers[0], proto, samples, timeout_s, cs, &out[0]);
		return;
	}
	c = calloc(n, sizeof(*c));
	if (c == NULL) {
		for (size_t i = 0; i < n; i++)
			mark_failed(&out[i], &servers[i], "out of memory");
		return;
	}
	fflush(NULL);
	for (size_t i = 0; i < n; i++)
		if (spawn(&c[i], &servers[i], proto, samples, timeout_s, cs, &out[i]) < 0) {
			c[i] = (struct child){ .pid = -1, .fd = -1 };
			mark_failed(&out[i], &servers[i], "cannot start a measurement process");
		}
	wait_all(c, n, out, (int64_t)monotonic_now_ns() + (int64_t)(timeout_s * 1e9) + GATHER_GRACE_NS);
	for (size_t i = 0; i < n; i++) {
		if (c[i].pid <= 0)
			continue;
		if (c[i].fd >= 0) {
			kill(c[i].pid, SIGKILL);
			close(c[i].fd);
		}
		waitpid(c[i].pid, NULL, 0);
		if (c[i].got != sizeof(out[i]))
			mark_failed(&out[i], &servers[i], "the measurement process did not finish");
	}
	free(c);
}
