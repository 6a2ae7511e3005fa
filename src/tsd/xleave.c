/* Interleaved NTP over UDP, server side (the table behind it). An entry
 * is found by the client's address alone, through a keyed hash to a set
 * of XLEAVE_WAYS entries, and is used only when the request's origin
 * equals the receive timestamp we sent that address last: a request from
 * another address cannot read it, and one forged with the client's
 * address can only make the client's next reply a basic one (it replaces
 * the entry), never a wrong one: the transmit times in the table come from
 * the kernel alone. A set holds the addresses whose replies went out
 * last: a new address takes the way unused longest, so two clients that
 * hash alike both keep their entries. */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/random.h>

#include "tsd/addrkey.h"
#include "tsd/xleave.h"

/* Replies whose transmit stamp is still awaited: more than the replies a
 * worker sends before it reads the stamps back. */
#define XLEAVE_PENDING 256

/* Entries a set: an address is looked for in all of them. */
#define XLEAVE_WAYS 4
#define XLEAVE_SETS (XLEAVE_TABLE_SIZE / XLEAVE_WAYS)

struct xleave_entry {
	uint64_t addr[2];        /* the client's address, IPv4 as mapped IPv6 */
	ntp_ts rx;               /* receive field of the last reply; 0: free */
	ntp_ts tx;               /* its kernel transmit time; 0: not known */
	uint64_t sent;           /* the table's count of replies at the last one */
};

struct xleave_pending {
	ntp_ts rx;
	uint32_t slot;           /* the entry's index */
};

struct xleave {
	uint64_t seed[2];
	uint64_t replies;        /* replies noted, the age of each entry */
	struct xleave_entry entry[XLEAVE_TABLE_SIZE];
	struct xleave_pending pending[XLEAVE_PENDING];
	unsigned next_pending;
};

struct xleave *xleave_new(void)
{
	struct xleave *x = calloc(1, sizeof(*x));

	if (x != NULL)
		addrkey_seed(x->seed, x);
	return x;
}

void xleave_free(struct xleave *x)
{
	free(x);
}

/* The first entry of the address's set. Keyed, so that nobody can choose
 * addresses that share a given client's set. */
static uint32_t set_of(const struct xleave *x, const uint64_t key[2])
{
	return (uint32_t)(addrkey_hash(key, x->seed) % XLEAVE_SETS) * XLEAVE_WAYS;
}

/* The address's entry in its set, or -1. */
static int64_t find(const struct xleave *x, uint32_t set, const uint64_t key[2])
{
	for (uint32_t i = set; i < set + XLEAVE_WAYS; i++)
		if (x->entry[i].rx != 0 && memcmp(x->entry[i].addr, key, 2 * sizeof(key[0])) == 0)
			return i;
	return -1;
}

/* Where a reply to an address goes: its own entry, else a free one, else
 * the one whose last reply is the oldest. */
static uint32_t place(const struct xleave *x, const uint64_t key[2])
{
	uint32_t set = set_of(x, key), oldest = set;
	int64_t own = find(x, set, key);

	if (own >= 0)
		return (uint32_t)own;
	for (uint32_t i = set; i < set + XLEAVE_WAYS; i++) {
		if (x->entry[i].rx == 0)
			return i;
		if (x->entry[i].sent < x->entry[oldest].sent)
			oldest = i;
	}
	return oldest;
}

int xleave_lookup(const struct xleave *x, const struct sockaddr *peer,
                  const struct ntp_packet *req, ntp_ts *prev_tx)
{
	const struct xleave_entry *e;
	uint64_t key[2];
	int64_t i;

	/* A basic-mode client sends equal (or zero) receive and transmit
	 * fields, or an origin that was never our receive timestamp. The key
	 * is the whole address: an entry is one client's, not a network's. */
	if (req->origin == 0 || req->receive == req->transmit ||
	    addrkey_of(peer, ADDRKEY_HOST, key) != 0 ||
	    (i = find(x, set_of(x, key), key)) < 0)
		return 0;
	e = &x->entry[i];
	if (e->rx != req->origin || e->tx == 0)
		return 0;
	*prev_tx = e->tx;
	return 1;
}

void xleave_sending(struct xleave *x, const struct sockaddr *peer, ntp_ts rx)
{
	struct xleave_pending *p;
	struct xleave_entry *e;
	uint64_t key[2];

	if (rx == 0 || addrkey_of(peer, ADDRKEY_HOST, key) != 0)
		return;
	p = &x->pending[x->next_pending++ % XLEAVE_PENDING];
	p->slot = place(x, key);
	p->rx = rx;
	e = &x->entry[p->slot];
	memcpy(e->addr, key, sizeof(key));
	e->rx = rx;
	e->tx = 0;
	e->sent = ++x->replies;
}

void xleave_transmitted(struct xleave *x, ntp_ts rx, ntp_ts tx)
{
	/* Newest first: the stamp usually belongs to a reply just sent. */
	for (unsigned i = 1; i <= XLEAVE_PENDING; i++) {
		struct xleave_pending *p = &x->pending[(x->next_pending - i) % XLEAVE_PENDING];

		if (p->rx != rx)
			continue;
		if (x->entry[p->slot].rx == rx && tx != rx)
			x->entry[p->slot].tx = tx;
		return;
	}
}
