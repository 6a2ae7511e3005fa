/* Interleaved mode, client side: what each request names and how a reply
 * completes the sample of the exchange before it (interleave.h). */

#include <string.h>

#include "query/interleave.h"

void interleave_reset(struct interleave *il, int basic)
{
	memset(il, 0, sizeof(*il));
	il->basic = basic;
}

void interleave_request(const struct interleave *il, struct ntp_packet *req)
{
	if (il->basic) {
		req->origin = 0;
		req->receive = 0;
		return;
	}
	req->origin = il->last_rx;
	/* Never 0 nor the cookie, so an interleaved reply can be told from a
	 * basic one. Before any reply it names nothing but still asks (tsd
	 * turns a connection's transmit stamps on at the first asking). */
	req->receive = il->name != 0 && il->name != req->transmit ? il->name : req->transmit + 1;
	if (req->receive == 0)
		req->receive = 1;
}

int interleave_answered(const struct interleave *il, const struct ntp_packet *req,
                        const struct ntp_packet *rep)
{
	return !il->basic && il->last_rx != 0 && wire_valid_server_reply(rep, req->receive) == 0;
}

/* The true T3 of the last reply, if it is one: after its T2, before this
 * reply's. */
static int true_t3(const struct ntp_packet *rep, const struct tsd_sample *last,
                   const struct tsd_sample *now, tsd_time_ns *t3_ns)
{
	tsd_time_ns t3 = wire_ntp_to_ns(rep->transmit, last->t2_ns);

	if (t3 < last->t2_ns || t3 > now->t2_ns)
		return -1;
	*t3_ns = t3;
	return 0;
}

static void take_interleaved(struct interleave *il, const struct ntp_packet *rep,
                             const struct tsd_sample *s, struct measurement *out)
{
	struct tsd_sample *last = NULL;
	tsd_time_ns t3;

	if (il->held)
		last = &il->waiting;
	else if (il->upgradable)
		last = &out->samples[out->n_samples - 1];
	if (last != NULL && true_t3(rep, last, s, &t3) == 0) {
		last->t3_ns = t3;
		out->n_interleaved++;
		if (il->held)
			out->samples[out->n_samples++] = *last;
	} else if (il->held) {
		il->lost++;
	}
	il->waiting = *s;
	il->held = 1;
	il->upgradable = 0;
}

static void take_basic(struct interleave *il, const struct tsd_sample *s,
                       struct measurement *out)
{
	/* A sample left waiting never learns its T3 (the server answered
	 * basic: another worker, or its transmit stamp not read yet). */
	if (il->held)
		il->lost++;
	il->held = 0;
	out->samples[out->n_samples++] = *s;
	il->upgradable = 1;
}

void interleave_take(struct interleave *il, const struct ntp_packet *rep, int interleaved,
                     const struct tsd_sample *s, ntp_ts name, struct measurement *out)
{
	if (interleaved)
		take_interleaved(il, rep, s, out);
	else
		take_basic(il, s, out);
	il->last_rx = rep->receive;
	il->name = name;
}

int interleave_waiting(const struct interleave *il)
{
	return il->held;
}
