/* Interleaved mode on a native TCP connection. The connection is the key:
 * no table, and no other client can reach its state. Stamps are enabled
 * only for a client that asks, so every other connection costs nothing. */

#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "tsd/conn_xleave.h"

void conn_xleave_reset(struct conn_xleave *x)
{
	x->on = 0;
	x->last_rx = 0;
}

static int asks_interleaved(const struct ntp_packet *req)
{
	return req->receive != 0 && req->receive != req->transmit;
}

/* With OPT_ID the kernel numbers bytes from the oldest unacknowledged one:
 * start only when there is none, so the keys count from the next reply. */
static void start(struct conn_xleave *x, int fd, size_t queued)
{
	int unacked = -1;

	if (ioctl(fd, SIOCOUTQ, &unacked) != 0 || unacked != 0)
		return;
	tstamp_enable(fd, &x->ts);
	if (!x->ts.tx_enabled)
		return;
	x->on = 1;
	if (queued > 0)
		(void)tstamp_sent(&x->ts, queued);
}

int conn_xleave_request(struct conn_xleave *x, int fd, const struct ntp_packet *req,
                        size_t queued, struct clock_source *cs, ntp_ts *prev_tx)
{
	tsd_time_ns rt_ns, tx_ns;

	if (!asks_interleaved(req))
		return 0;
	if (!x->on) {
		start(x, fd, queued);
		return 0;
	}
	if (req->origin == 0 || req->origin != x->last_rx ||
	    tstamp_tx(&x->ts, x->last_key, &rt_ns) != 0 ||
	    clock_from_realtime(cs, rt_ns, &tx_ns) != 0)
		return 0;
	*prev_tx = wire_ns_to_ntp(tx_ns);
	return *prev_tx != x->last_rx;
}

void conn_xleave_queued(struct conn_xleave *x, const struct ntp_packet *reply, size_t len)
{
	if (!x->on)
		return;
	x->last_key = tstamp_sent(&x->ts, len);
	x->last_rx = reply->receive;
}

int conn_xleave_drain(struct conn_xleave *x, int fd)
{
	return x->on ? tstamp_drain(fd, &x->ts) : 0;
}

/* Stamps left queued wake the loop again (EPOLLERR): nothing is lost by
 * not reading them now, and a request whose stamp is in costs no call. */
void conn_xleave_catch_up(struct conn_xleave *x, int fd)
{
	if (x->on)
		tstamp_drain_to(fd, &x->ts, x->last_key);
}
