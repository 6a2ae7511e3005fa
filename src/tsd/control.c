/* The control socket: accept, read one request line, answer, close. All
 * non-blocking in the master's loop, each client with a deadline and a
 * size cap, so a silent or hostile client costs one slot for 2 s at most. */
#include "tsd/control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

#define TAG_LISTEN UINT64_MAX
#define MAX_PEER_GROUPS 64

void control_init(struct control *c, control_request_fn on_request, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->listen_fd = -1;
	c->epfd = -1;
	c->on_request = on_request;
	c->ctx = ctx;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
}

static int fill_address(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* A socket left by a tsd that died is replaced; one that answers is not. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "control socket %s: %s", path,
		                                       strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "control socket %s: another tsd answers on it", path);
		return -1;
	}
	unlink(path);
	return 0;
}

static int bind_socket(struct control *c, const struct sockaddr_un *sa, gid_t gid,
                       char *err, size_t errlen)
{
	mode_t old = umask(0117);
	int rc = bind(c->listen_fd, (const struct sockaddr *)sa, sizeof(*sa));

	umask(old);
	if (rc != 0) {
		snprintf(err, errlen, "control socket %s: %s", c->path, strerror(errno));
		return -1;
	}
	/* Owner and group only: the permission to use it. */
	if (chown(c->path, (uid_t)-1, gid) != 0 && getegid() != gid)
		log_warn("control socket %s: cannot give it group %d: %s", c->path, (int)gid,
		            strerror(errno));
	chmod(c->path, 0660);
	return 0;
}

int control_open(struct control *c, const char *path, gid_t gid, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };
	struct sockaddr_un sa;

	if (fill_address(&sa, path) != 0) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -1;
	}
	if (clear_stale(path, &sa, err, errlen) != 0)
		return -1;
	c->path = strdup(path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->path == NULL || c->listen_fd < 0 || c->epfd < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	if (bind_socket(c, &sa, gid, err, errlen) != 0)
		goto fail;
	if (listen(c->listen_fd, 16) != 0 ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->listen_fd, &ev) != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return 0;
fail:
	control_close(c, 0);
	return -1;
}

int control_poll_fd(const struct control *c)
{
	return c->epfd;
}

static void drop_client(struct control *c, struct control_client *cl)
{
	if (cl->fd >= 0) {
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
		close(cl->fd);
	}
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

/* The socket's owner (us), root, or a member of its group, primary or
 * supplementary. The file mode says the same; this holds even if someone
 * loosens the mode. */
static int peer_permitted(int fd)
{
	gid_t groups[MAX_PEER_GROUPS];
	socklen_t len = sizeof(struct ucred);
	struct ucred cred;
	size_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return 0;
	if (cred.uid == 0 || cred.uid == geteuid())
		return 1;
	if (cred.gid == getegid())
		return 1;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0)
		return 0;
	n = len / sizeof(gid_t);
	for (size_t i = 0; i < n; i++)
		if (groups[i] == getegid())
			return 1;
	return 0;
}

static void set_events(struct control *c, struct control_client *cl, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)(cl - c->clients) };

	epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ev);
}

static void write_some(struct control *c, struct control_client *cl)
{
	ssize_t n;

	while (cl->out_off < cl->out_len) {
		n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			drop_client(c, cl);
			return;
		}
		cl->out_off += (size_t)n;
	}
	drop_client(c, cl);
}

static void start_reply(struct control *c, struct control_client *cl, enum control_code code,
                        const char *body, size_t len, uint64_t now_ns)
{
	char header[CONTROL_MAX_HEADER];
	int hl;

	if (len > CONTROL_MAX_BODY)
		len = CONTROL_MAX_BODY;
	hl = control_format_header(header, sizeof(header), code, len);
	cl->out = malloc((size_t)hl + len);
	if (hl < 0 || cl->out == NULL) {
		drop_client(c, cl);
		return;
	}
	memcpy(cl->out, header, (size_t)hl);
	memcpy(cl->out + hl, body, len);
	cl->out_len = (size_t)hl + len;
	cl->out_off = 0;
	cl->state = CC_WRITING;
	cl->deadline_ns = now_ns + CONTROL_WRITE_TIMEOUT_NS;
	set_events(c, cl, EPOLLOUT);
	write_some(c, cl);
}

static void reply_text(struct control *c, struct control_client *cl, enum control_code code,
                       const char *text, uint64_t now_ns)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "%s\n", text);

	start_reply(c, cl, code, body, n > 0 ? (size_t)n : 0, now_ns);
}

static void accept_one(struct control *c, uint64_t now_ns)
{
	struct control_client *cl = NULL;
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS && cl == NULL; i++)
		if (c->clients[i].state == CC_FREE)
			cl = &c->clients[i];
	if (cl == NULL) {
		/* Full: a one-line refusal the socket buffer takes at once. */
		char busy[CONTROL_MAX_HEADER];
		int hl = control_format_header(busy, sizeof(busy), CONTROL_BUSY, 0);

		if (hl > 0 && send(fd, busy, (size_t)hl, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("control: busy reply not sent: %s", strerror(errno));
		close(fd);
		return;
	}
	cl->fd = fd;
	cl->id = ++c->next_id;
	cl->state = CC_READING;
	cl->deadline_ns = now_ns + CONTROL_REQUEST_TIMEOUT_NS;
	ev.data.u64 = (uint64_t)(cl - c->clients);
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		drop_client(c, cl);
		return;
	}
	if (!peer_permitted(fd))
		reply_text(c, cl, CONTROL_DENIED, "permission denied: neither the owner nor the "
		           "group of the control socket", now_ns);
}

static void read_request(struct control *c, struct control_client *cl, uint64_t now_ns)
{
	struct control_request req;
	const char *why = "";
	ssize_t n = recv(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len, MSG_DONTWAIT);
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(c, cl);
		return;
	}
	cl->in_len += (size_t)n;
	rc = control_parse_request(cl->in, cl->in_len, &req, &why);
	if (rc == 1)
		return;
	if (rc < 0) {
		reply_text(c, cl, CONTROL_BAD_REQUEST, why, now_ns);
		return;
	}
	cl->state = CC_WAITING;
	set_events(c, cl, 0);
	c->on_request(c->ctx, cl->id, &req);
}

static void client_event(struct control *c, unsigned i, uint64_t now_ns)
{
	struct control_client *cl = &c->clients[i];

	if (cl->state == CC_READING)
		read_request(c, cl, now_ns);
	else if (cl->state == CC_WRITING)
		write_some(c, cl);
}

void control_event(struct control *c, uint64_t now_ns)
{
	struct epoll_event events[CONTROL_MAX_CLIENTS + 1];
	int n;

	if (c->epfd < 0)
		return;
	n = epoll_wait(c->epfd, events, CONTROL_MAX_CLIENTS + 1, 0);
	for (int i = 0; i < n; i++) {
		if (events[i].data.u64 == TAG_LISTEN)
			accept_one(c, now_ns);
		else if (events[i].data.u64 < CONTROL_MAX_CLIENTS)
			client_event(c, (unsigned)events[i].data.u64, now_ns);
	}
}

void control_tick(struct control *c, uint64_t now_ns)
{
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = &c->clients[i];

		if ((cl->state == CC_READING || cl->state == CC_WRITING) && cl->deadline_ns <= now_ns)
			drop_client(c, cl);
	}
}

void control_reply(struct control *c, uint64_t id, enum control_code code,
                   const char *body, size_t len, uint64_t now_ns)
{
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->state == CC_WAITING && cl->id == id) {
			start_reply(c, cl, code, body, len, now_ns);
			return;
		}
	}
}

void control_close_in_child(struct control *c)
{
	/* The epoll set is the master's too (shared across fork): an
	 * EPOLL_CTL_DEL here would take the master's clients out of it. */
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			close(c->clients[i].fd);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->epfd >= 0)
		close(c->epfd);
}

void control_close(struct control *c, int unlink_path)
{
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].state != CC_FREE)
			drop_client(c, &c->clients[i]);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->epfd >= 0)
		close(c->epfd);
	if (unlink_path && c->path != NULL && c->listen_fd >= 0)
		unlink(c->path);
	free(c->path);
	c->path = NULL;
	c->listen_fd = -1;
	c->epfd = -1;
}
