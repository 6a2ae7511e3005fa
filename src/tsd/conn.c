/* The per-connection state machine: classify the first bytes, then answer
 * native NTP requests and extended frames (any number; conn_ext.c) or one
 * text request. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/errqueue.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tstamp.h"
#include "tsd/conn.h"
#include "tsd/conn_ext.h"

union ts_cmsg {
	struct cmsghdr hdr;
	char buf[CMSG_SPACE(sizeof(struct scm_timestamping))];
};

/* Best effort: a socket we cannot set still works, only its write
 * deadline may be restarted while the kernel grows its buffer. */
static void cap_send_buffer(int fd)
{
	int bytes = CONN_SNDBUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) != 0)
		log_ratelimited(LOG_WARNING, "SO_SNDBUF: %s", strerror(errno));
}

/* A close that resets: the kernel drops the unsent replies at once instead
 * of keeping an orphaned socket that retransmits them into a zero window. */
static void reset_on_close(int fd)
{
	struct linger now = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now)) != 0)
		log_ratelimited(LOG_WARNING, "SO_LINGER: %s", strerror(errno));
}

static void set_deadline(struct conn *c, enum conn_deadline kind, uint64_t at_ns)
{
	c->deadline_kind = (uint8_t)kind;
	c->deadline_ns = at_ns;
}

void conn_start(struct conn *c, int fd, const struct conn_env *env, uint64_t now_ns)
{
	c->fd = fd;
	cap_send_buffer(fd);
	c->kind = WIRE_UNDECIDED;
	c->polling_out = 0;
	c->answered = 0;
	c->close_after_write = 0;
	c->drain_replies = 0;
	c->in_len = 0;
	c->out_len = 0;
	c->out_off = 0;
	conn_xleave_reset(&c->xleave);
	/* Until its first byte a connection is idle; the request deadline
	 * starts with the first byte. */
	set_deadline(c, CONN_DL_IDLE, now_ns + env->idle_timeout_ns);
}

/* One read; *rx_rt_ns gets the kernel's CLOCK_REALTIME receive time, or 0. */
static ssize_t conn_recv(struct conn *c, tsd_time_ns *rx_rt_ns)
{
	union ts_cmsg cm;
	struct iovec iov = { c->in + c->in_len, (size_t)(CONN_BUF_SIZE - c->in_len) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	ssize_t n;

	*rx_rt_ns = 0;
	n = recvmsg(c->fd, &msg, 0);
	if (n > 0)
		(void)tstamp_find(&msg, rx_rt_ns);      /* none: it stays 0 */
	return n;
}

/* T2: the kernel's receive time in the served clock, else the clock now. */
static int arrival_time(const struct conn_env *env, tsd_time_ns rx_rt_ns, tsd_time_ns *t2_ns)
{
	struct tsd_clock_reading r;

	if (rx_rt_ns > 0 && env->kernel_rx_time &&
	    clock_from_realtime(env->clock, rx_rt_ns, t2_ns) == 0)
		return 0;
	if (clock_now(env->clock, &r) != 0)
		return -1;
	*t2_ns = r.time_ns;
	return 0;
}

void conn_clock_refused(const struct conn_env *env)
{
	env->ctr->clock_errors++;
	log_ratelimited(LOG_ERR, "the clock refused a reading; connection closed");
}

static int answer_one_native(struct conn *c, const struct conn_env *env,
                             const uint8_t *in, tsd_time_ns t2_ns)
{
	struct ntp_packet req, reply;
	struct tsd_clock_info info;
	struct tsd_clock_reading t3;
	ntp_ts prev_tx;
	int interleaved;

	if (wire_decode(in, NTP_PACKET_SIZE, &req) != 0 ||
	    wire_valid_client_request(&req) != 0) {
		env->ctr->closed_bad_request++;
		return -1;
	}
	interleaved = conn_xleave_request(&c->xleave, c->fd, &req,
	                                  (size_t)(c->out_len - c->out_off), env->clock, &prev_tx);
	/* T3 is read last, just before the reply is encoded and written. */
	if (clock_info(env->clock, &info) != 0 || clock_now(env->clock, &t3) != 0) {
		conn_clock_refused(env);
		return -1;
	}
	counters_note_clock(env->ctr, &info);
	wire_make_reply(&reply, &req, &info, t2_ns, t3.time_ns);
	if (interleaved) {
		reply.origin = req.receive;
		reply.transmit = prev_tx;
	}
	wire_encode(&reply, c->out + c->out_len);
	conn_xleave_queued(&c->xleave, &reply, NTP_PACKET_SIZE);
	c->out_len += NTP_PACKET_SIZE;
	env->ctr->native_requests++;
	counters_add_proc_time(env->ctr, t3.time_ns - t2_ns);
	return 0;
}

/* The size of the message at in: a 48-byte packet or an extended frame
 * (doc/protocol.md). 0 while it is incomplete, -1 for a frame header that
 * is refused. */
static ssize_t message_size(const uint8_t *in, size_t len)
{
	size_t packet_len;
	int r;

	if (in[0] != WIRE_EXT_MARK)
		return len >= NTP_PACKET_SIZE ? NTP_PACKET_SIZE : 0;
	r = wire_ext_frame(in, len, &packet_len);
	if (r <= 0)
		return r;
	return len >= WIRE_EXT_HEADER + packet_len ? (ssize_t)(WIRE_EXT_HEADER + packet_len) : 0;
}

static int answer_one(struct conn *c, const struct conn_env *env, const uint8_t *in,
                      ssize_t size, tsd_time_ns t2_ns)
{
	if (size < 0) {
		env->ctr->closed_bad_request++;
		return -1;
	}
	if (size == NTP_PACKET_SIZE)
		return answer_one_native(c, env, in, t2_ns);
	return conn_ext_answer(c, env, in, (size_t)size, t2_ns);
}

/* Answer every complete request in the buffer; keep a partial one. */
static void answer_native(struct conn *c, const struct conn_env *env, tsd_time_ns t2_ns)
{
	size_t off = 0;
	ssize_t size;

	while (off < c->in_len && (size = message_size(c->in + off, c->in_len - off)) != 0) {
		if (env->draining && c->drain_replies++ >= CONN_DRAIN_MAX_REQUESTS) {
			c->close_after_write = 1;
			c->in_len = 0;
			break;
		}
		if (answer_one(c, env, c->in + off, size, t2_ns) != 0) {
			c->close_after_write = 1;
			c->in_len = 0;
			return;
		}
		off += (size_t)size;
	}
	if (off == 0)
		return;
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len = (uint16_t)(c->in_len - off);
	/* The request is done; a partial one that follows gets its own deadline. */
	c->deadline_kind = CONN_DL_IDLE;
}

/* The text reply carries no clock info, but a clock whose info is refused
 * is broken, and nothing it says is served on either protocol. */
static int answer_text(struct conn *c, const struct conn_env *env, tsd_time_ns t2_ns)
{
	struct tsd_clock_info info;
	struct tsd_clock_reading t3;
	int n;

	c->in_len = 0;
	if (clock_info(env->clock, &info) != 0 || clock_now(env->clock, &t3) != 0) {
		conn_clock_refused(env);
		return -1;
	}
	counters_note_clock(env->ctr, &info);
	n = wire_text_reply((char *)c->out, sizeof(c->out), t2_ns, t3.time_ns);
	if (n < 0)
		return -1;
	c->out_len = (uint16_t)n;
	env->ctr->text_requests++;
	counters_add_proc_time(env->ctr, t3.time_ns - t2_ns);
	return 0;
}

void conn_finish(struct conn *c)
{
	size_t dropped = 0;
	ssize_t n;

	(void)shutdown(c->fd, SHUT_WR);
	while (dropped < CONN_DISCARD_MAX_BYTES) {
		n = recv(c->fd, c->in, sizeof(c->in), MSG_DONTWAIT);
		if (n <= 0)
			break;
		dropped += (size_t)n;
	}
	c->in_len = 0;
}

/* Draining: whether the client has sent more that we have not read yet. */
static int more_pending(const struct conn *c)
{
	uint8_t byte;

	return recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

static enum conn_next close_now(struct conn *c, const struct conn_env *env)
{
	if (env->draining)
		conn_finish(c);
	return CONN_CLOSE;
}

/* Everything written: decide what the connection waits for next. A draining
 * worker answers what a connection keeps sending (up to
 * CONN_DRAIN_MAX_REQUESTS), and closes it once nothing more is queued. */
static enum conn_next after_write(struct conn *c, const struct conn_env *env, uint64_t now_ns)
{
	if (c->kind == WIRE_TEXT || c->close_after_write)
		return close_now(c, env);
	if (c->in_len == 0) {
		if (env->draining && c->answered && !more_pending(c))
			return close_now(c, env);
		set_deadline(c, CONN_DL_IDLE, now_ns + env->idle_timeout_ns);
		return CONN_READ;
	}
	if (c->deadline_kind != CONN_DL_REQUEST)
		set_deadline(c, CONN_DL_REQUEST, now_ns + env->request_timeout_ns);
	return CONN_READ;
}

static enum conn_next flush(struct conn *c, const struct conn_env *env, uint64_t now_ns)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, (size_t)(c->out_len - c->out_off), MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off = (uint16_t)(c->out_off + n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A client that does not read is cut at the deadline. */
			if (c->deadline_kind != CONN_DL_WRITE)
				set_deadline(c, CONN_DL_WRITE, now_ns + env->request_timeout_ns);
			return CONN_WRITE;
		}
		env->ctr->closed_error++;
		return CONN_CLOSE;
	}
	if (c->out_len > 0)
		c->answered = 1;
	c->out_off = 0;
	c->out_len = 0;
	return after_write(c, env, now_ns);
}

/* The peer closed its side. A lone undecided byte is not an NTP header
 * yet, so it is a (very short) text request. */
static enum conn_next on_eof(struct conn *c, const struct conn_env *env, uint64_t now_ns)
{
	tsd_time_ns t2_ns;

	if (c->kind != WIRE_UNDECIDED || c->in_len == 0)
		return CONN_CLOSE;
	c->kind = WIRE_TEXT;
	if (arrival_time(env, 0, &t2_ns) != 0) {
		conn_clock_refused(env);
		return CONN_CLOSE;
	}
	if (answer_text(c, env, t2_ns) != 0)
		return CONN_CLOSE;
	return flush(c, env, now_ns);
}

enum conn_next conn_on_readable(struct conn *c, const struct conn_env *env, uint64_t now_ns)
{
	tsd_time_ns rx_rt_ns, t2_ns;
	ssize_t n;

	/* The last reply's stamp, if it is not in yet. */
	conn_xleave_catch_up(&c->xleave, c->fd);
	n = conn_recv(c, &rx_rt_ns);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return CONN_READ;
		env->ctr->closed_error++;
		return CONN_CLOSE;
	}
	if (n == 0)
		return on_eof(c, env, now_ns);
	c->in_len = (uint16_t)(c->in_len + n);
	if (c->kind == WIRE_UNDECIDED)
		c->kind = (uint8_t)wire_classify(c->in, c->in_len);
	if (c->kind == WIRE_UNDECIDED || (c->kind == WIRE_NATIVE && c->in_len < NTP_PACKET_SIZE))
		return after_write(c, env, now_ns);
	if (arrival_time(env, rx_rt_ns, &t2_ns) != 0) {
		conn_clock_refused(env);
		return CONN_CLOSE;
	}
	if (c->kind == WIRE_TEXT) {
		if (answer_text(c, env, t2_ns) != 0)
			return CONN_CLOSE;
	} else {
		answer_native(c, env, t2_ns);
	}
	return flush(c, env, now_ns);
}

int conn_on_stamps(struct conn *c)
{
	return conn_xleave_drain(&c->xleave, c->fd) > 0;
}

enum conn_next conn_on_writable(struct conn *c, const struct conn_env *env, uint64_t now_ns)
{
	/* Here EPOLLERR also means stamps waiting: read them all. */
	(void)conn_xleave_drain(&c->xleave, c->fd);
	return flush(c, env, now_ns);
}

void conn_on_deadline(struct conn *c, const struct conn_env *env)
{
	if (c->deadline_kind == CONN_DL_IDLE)
		env->ctr->closed_idle_timeout++;
	else
		env->ctr->closed_request_timeout++;
	/* The client does not read: a graceful close would wait behind replies
	 * it will never take. */
	if (c->out_off < c->out_len)
		reset_on_close(c->fd);
}

int conn_is_idle(const struct conn *c)
{
	return c->answered && c->in_len == 0 && c->out_len == 0;
}
