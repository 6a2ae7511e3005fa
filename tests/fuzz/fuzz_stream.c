/* libFuzzer target for the TCP connection handler (src/tsd/conn.c): arbitrary
 * bytes, cut into arbitrary reads, go through the worker's real per-connection
 * code over a socketpair. It must never crash, and what it sends back must
 * stay within the protocol: one mode-4 reply per complete native request
 * (origin = that request's transmit field), or one short text line and
 * close, and nothing at all when the clock refuses.
 *
 * Input: one flags byte, then chunks of [length byte][that many bytes]. */

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tsd/conn.h"
#include "fuzz.h"

#define FLAG_CLOCK_MASK 0x03     /* 0 good, 1 fails, 2 NaN error, 3 before 1970 */
#define FLAG_KERNEL_RX 0x04
#define FLAG_DRAINING 0x08
#define FLAG_EOF 0x10
#define MAX_STEPS 64
#define MAX_IN 4096

struct fake_clock {
	int mode;
	tsd_time_ns next_ns;
};

static int fake_now(void *state, struct tsd_clock_reading *out)
{
	struct fake_clock *fc = state;

	if (fc->mode == 1)
		return -EIO;
	fc->next_ns += 1000;
	out->time_ns = fc->mode == 3 ? -1 : fc->next_ns;
	out->error_s = fc->mode == 2 ? NAN : 1e-6;
	return 0;
}

static int fake_info(void *state, struct tsd_clock_info *out)
{
	(void)state;
	*out = (struct tsd_clock_info){ TSD_LEAP_NONE, 1, -20, 0.0, 1e-6, "FUZZ", 0 };
	return 0;
}

static int fake_from_realtime(void *state, tsd_time_ns rt, tsd_time_ns *out)
{
	(void)state;
	*out = rt;
	return 0;
}

static const struct tsd_clock_ops fake_ops = {
	.now = fake_now, .info = fake_info, .from_realtime = fake_from_realtime,
};

/* One connection's run: what went in, what came out. */
struct run {
	struct conn conn;
	struct conn_env env;
	struct clock_source cs;
	struct fake_clock fc;
	struct worker_counters ctr;
	int peer;
	uint8_t in[MAX_IN];
	size_t in_len;
	uint8_t out[MAX_IN + WIRE_TEXT_REPLY_MAX];
	size_t out_len;
	uint64_t now_ns;
};

static void drain_peer(struct run *r)
{
	ssize_t n;

	for (;;) {
		n = recv(r->peer, r->out + r->out_len, sizeof(r->out) - r->out_len, MSG_DONTWAIT);
		if (n <= 0)
			return;
		r->out_len += (size_t)n;
		/* More out than in (plus one text line) is already a failure. */
		FUZZ_CHECK(r->out_len <= r->in_len + WIRE_TEXT_REPLY_MAX);
	}
}

static void check_conn_state(const struct conn *c)
{
	FUZZ_CHECK(c->in_len < CONN_BUF_SIZE);
	FUZZ_CHECK(c->out_off <= c->out_len && c->out_len <= CONN_BUF_SIZE);
}

/* Read until the socket is empty, as a level-triggered loop would. */
static enum conn_next read_all(struct run *r)
{
	enum conn_next next = CONN_READ;
	int pending, guard;

	for (guard = 0; guard < 16 && next == CONN_READ; guard++) {
		r->now_ns += 1000;
		next = conn_on_readable(&r->conn, &r->env, r->now_ns);
		check_conn_state(&r->conn);
		if (ioctl(r->conn.fd, FIONREAD, &pending) != 0 || pending == 0)
			break;
	}
	/* The peer reads everything, so a short write cannot last. */
	if (next == CONN_WRITE) {
		drain_peer(r);
		next = conn_on_writable(&r->conn, &r->env, r->now_ns);
		check_conn_state(&r->conn);
	}
	drain_peer(r);
	return next;
}

static enum conn_next feed(struct run *r, const uint8_t *data, size_t size)
{
	enum conn_next next = CONN_READ;
	size_t off = 0, len;
	int steps = 0;

	while (off < size && next == CONN_READ && steps++ < MAX_STEPS) {
		len = data[off++];
		if (len > size - off)
			len = size - off;
		if (len > sizeof(r->in) - r->in_len)
			break;
		if (len > 0 && send(r->peer, data + off, len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
		memcpy(r->in + r->in_len, data + off, len);
		r->in_len += len;
		off += len;
		next = read_all(r);
	}
	return next;
}

/* The next complete request in the input from *at, plain or in an
 * extended frame (doc/protocol.md): its NTP packet's first 48 bytes, or
 * NULL when none is complete. */
static const uint8_t *next_request(const struct run *r, size_t *at)
{
	const uint8_t *p = r->in + *at;
	size_t left = r->in_len - *at, packet_len;

	if (left == 0)
		return NULL;
	if (p[0] != WIRE_EXT_MARK) {
		if (left < NTP_PACKET_SIZE)
			return NULL;
		*at += NTP_PACKET_SIZE;
		return p;
	}
	if (wire_ext_frame(p, left, &packet_len) != 1 || left < WIRE_EXT_HEADER + packet_len)
		return NULL;
	*at += WIRE_EXT_HEADER + packet_len;
	return p + WIRE_EXT_HEADER;
}

/* With NTS off (as here) every request, framed or not, gets a plain
 * 48-byte reply that answers it. */
static void check_native_replies(const struct run *r)
{
	struct ntp_packet req, reply;
	size_t at = 0;

	FUZZ_CHECK(r->out_len % NTP_PACKET_SIZE == 0);
	FUZZ_CHECK(r->out_len <= r->in_len);
	for (size_t i = 0; i + NTP_PACKET_SIZE <= r->out_len; i += NTP_PACKET_SIZE) {
		const uint8_t *in = next_request(r, &at);

		FUZZ_CHECK(in != NULL);
		FUZZ_CHECK(wire_decode(in, NTP_PACKET_SIZE, &req) == 0);
		FUZZ_CHECK(wire_valid_client_request(&req) == 0);
		FUZZ_CHECK(wire_decode(r->out + i, NTP_PACKET_SIZE, &reply) == 0);
		FUZZ_CHECK(reply.mode == NTP_MODE_SERVER);
		FUZZ_CHECK(reply.origin == req.transmit);
		FUZZ_CHECK(reply.receive != 0 && reply.transmit != 0);
	}
}

static void check_text_reply(const struct run *r, enum conn_next next)
{
	int64_t t2_ms, t3_ms;

	if (r->out_len == 0)
		return;
	FUZZ_CHECK(r->out_len < WIRE_TEXT_REPLY_MAX);
	FUZZ_CHECK(r->out[r->out_len - 1] == '\n');
	FUZZ_CHECK(wire_parse_text_reply((const char *)r->out, r->out_len, &t2_ms, &t3_ms) == 0);
	FUZZ_CHECK(t2_ms <= t3_ms);
	/* One reply, then the connection ends. */
	FUZZ_CHECK(next == CONN_CLOSE);
}

static void check_replies(const struct run *r, enum conn_next next)
{
	/* A clock that refuses is never served. */
	if (r->fc.mode != 0)
		FUZZ_CHECK(r->out_len == 0);
	if (r->conn.kind == WIRE_NATIVE)
		check_native_replies(r);
	else if (r->conn.kind == WIRE_TEXT)
		check_text_reply(r, next);
	else
		FUZZ_CHECK(r->out_len == 0);
}

static void setup(struct run *r, uint8_t flags, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fc.mode = flags & FLAG_CLOCK_MASK;
	r->fc.next_ns = 1700000000LL * 1000000000LL;
	r->cs.ops = fake_ops;
	r->cs.state = &r->fc;
	r->env.clock = &r->cs;
	r->env.ctr = &r->ctr;
	r->env.request_timeout_ns = 2000000000;
	r->env.idle_timeout_ns = 30000000000;
	r->env.kernel_rx_time = (flags & FLAG_KERNEL_RX) != 0;
	r->env.draining = (flags & FLAG_DRAINING) != 0;
	r->now_ns = 1000000000;
	conn_start(&r->conn, fd, &r->env, r->now_ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	enum conn_next next;
	int sv[2];

	if (size < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
		return 0;
	setup(&r, data[0], sv[0]);
	r.peer = sv[1];
	next = feed(&r, data + 1, size - 1);
	if (next == CONN_READ && (data[0] & FLAG_EOF)) {
		shutdown(r.peer, SHUT_WR);
		next = read_all(&r);
	}
	if (next != CONN_CLOSE)
		conn_on_deadline(&r.conn, &r.env);
	check_replies(&r, next);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
