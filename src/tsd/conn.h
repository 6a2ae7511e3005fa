/* One client connection of a worker: the first-bytes test, the native NTP
 * exchange (any number per connection) and the text reply. */
#ifndef TSD_CONN_H
#define TSD_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/wire.h"
#include "tsd/conn_xleave.h"
#include "tsd/counters.h"
#include "tsd/nts_udp.h"

/* Room for the largest extended frame (an NTS request), or some twenty
 * pipelined 48-byte requests. A reply is never larger than its request and
 * the output buffer is empty when a read starts, so the replies to one read
 * always fit in the output buffer. */
#define CONN_BUF_SIZE WIRE_EXT_FRAME_MAX
/* A draining worker (reload, stop) answers at most this many more
 * requests on a connection, then closes it with a FIN. */
#define CONN_DRAIN_MAX_REQUESTS 64
/* What a closing connection still reads and discards, so that requests it
 * sent after its last answer do not turn the FIN into a reset. */
#define CONN_DISCARD_MAX_BYTES 65536

/* The kernel send buffer of a connection (SO_SNDBUF; the kernel doubles
 * it for its bookkeeping). Fixed, because autotuning grows the buffer of a
 * client that does not read, up to tcp_wmem's maximum (megabytes), and
 * every step lets tsd write again and restarts the write deadline: such a
 * client held a connection for seconds past request_timeout. A client that
 * reads needs room only for the replies it has not read yet; a reply is 48
 * bytes, so 16 KiB holds those of some hundreds of pipelined requests,
 * where tsd answers at most CONN_BUF_SIZE bytes of them per read. */
#define CONN_SNDBUF_BYTES 16384

/* What the deadline of a connection means when it passes. */
enum conn_deadline { CONN_DL_IDLE = 0, CONN_DL_REQUEST = 1, CONN_DL_WRITE = 2 };

/* What the event loop must do next with a connection. */
enum conn_next { CONN_READ = 0, CONN_WRITE = 1, CONN_CLOSE = 2 };

struct conn {
	int fd;                         /* -1: free */
	uint32_t heap_index;            /* position in the worker's deadline heap */
	uint64_t deadline_ns;           /* CLOCK_MONOTONIC */
	uint8_t kind;                   /* enum wire_kind */
	uint8_t deadline_kind;          /* enum conn_deadline */
	uint8_t polling_out;            /* registered for EPOLLOUT, not EPOLLIN */
	uint8_t answered;               /* at least one reply was sent */
	uint8_t close_after_write;      /* a bad request follows the replies */
	uint8_t drain_replies;          /* replies sent while draining */
	uint16_t in_len;
	uint16_t out_len;
	uint16_t out_off;
	struct conn *next_free;
	struct conn_xleave xleave;      /* interleaved mode, when asked for */
	uint8_t in[CONN_BUF_SIZE];
	uint8_t out[CONN_BUF_SIZE];
};

/* What every connection of a worker shares. */
struct conn_env {
	struct clock_source *clock;
	struct worker_counters *ctr;
	uint64_t request_timeout_ns;
	uint64_t idle_timeout_ns;
	struct nts_udp *nts;            /* NULL: NTS off, extended frames answered plain */
	int kernel_rx_time;             /* the clock converts kernel timestamps */
	int draining;                   /* close connections once they are idle */
};

/* A new connection at monotonic time now_ns: fixes its send buffer at
 * CONN_SNDBUF_BYTES, for accepted and handed-off sockets alike. */
void conn_start(struct conn *c, int fd, const struct conn_env *env, uint64_t now_ns);
/* The socket is readable (or has an error): read, answer, write. */
enum conn_next conn_on_readable(struct conn *c, const struct conn_env *env, uint64_t now_ns);
/* The socket signalled only an error (EPOLLERR, no input, no hang-up): on
 * an interleaved connection that is a transmit stamp to read back. 1 when
 * that was all; 0 when the caller must treat it as readable. */
int conn_on_stamps(struct conn *c);
/* The socket is writable again after a short write. */
enum conn_next conn_on_writable(struct conn *c, const struct conn_env *env, uint64_t now_ns);
/* The deadline passed: count why, and if replies are still unsent make
 * the caller's close a reset. The caller closes. */
void conn_on_deadline(struct conn *c, const struct conn_env *env);
/* Draining: may this connection be closed now without losing a request? */
int conn_is_idle(const struct conn *c);
/* Before a draining worker closes c: a FIN now, and what the client sent
 * since is read and dropped (bounded), so the close sends no reset. */
void conn_finish(struct conn *c);
/* The clock refused a reading: count and log it (the caller closes). */
void conn_clock_refused(const struct conn_env *env);

#endif
