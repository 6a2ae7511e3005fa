/* Interleaved mode, client side, the same over tsd's TCP protocol and NTP
 * over UDP (RFC 5905's interleaved variant, as chronyd's `xleave`): each
 * request names the last reply (origin = that reply's receive field,
 * receive = a value of ours unlike the transmit field), and a server that
 * supports it answers with origin = that value and, in its transmit field,
 * the time the last reply really left, which replaces the T3 it carried.
 * A sample whose reply was interleaved waits for the next reply to learn
 * its own T3. A server that does not support it answers in basic mode
 * (origin = our transmit field), and its replies are used as they are. */
#ifndef TSD_QUERY_INTERLEAVE_H
#define TSD_QUERY_INTERLEAVE_H

#include "common/wire.h"
#include "query/measure.h"

struct interleave {
	ntp_ts last_rx;            /* the last reply's receive field, or 0 */
	ntp_ts name;               /* what the next request's receive field says */
	int upgradable;            /* samples[n_samples - 1] carries a basic T3 */
	int held;                  /* `waiting` has no T3 yet */
	struct tsd_sample waiting;
	unsigned lost;             /* waiting samples that never learnt their T3 */
	int basic;                 /* never ask: every request a basic one */
};

/* Forget every reply (a new connection, or a new measurement); basic:
 * never ask for interleaved mode (requests as an old client sends them:
 * origin and receive 0). */
void interleave_reset(struct interleave *il, int basic);

/* Fill a request's origin and receive fields (its transmit is the cookie,
 * already set): the last reply named, or before any reply an origin of 0
 * (a server answers basic) with the asking receive field. */
void interleave_request(const struct interleave *il, struct ntp_packet *req);

/* Whether rep answers req in interleaved mode (its origin is the receive
 * field we named); otherwise the caller checks it as a basic reply. */
int interleave_answered(const struct interleave *il, const struct ntp_packet *req,
                        const struct ntp_packet *rep);

/* Take the sample s (T1..T4 of this exchange, T3 = T2 when interleaved)
 * of a valid reply rep: a basic one goes into out at once, an interleaved
 * one completes the sample waiting for it (or corrects the newest one's
 * T3) and waits for the next reply. `name` is what the next request's
 * receive field will say: never 0, nor its cookie. */
void interleave_take(struct interleave *il, const struct ntp_packet *rep, int interleaved,
                     const struct tsd_sample *s, ntp_ts name, struct measurement *out);

/* Whether a sample waits for the next reply's transmit field. */
int interleave_waiting(const struct interleave *il);

#endif
