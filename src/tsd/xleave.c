/* Interleaved NTP over UDP, server side (the table behind it). An entry
 * is found by the client's address alone, through a keyed hash, and is
 * used only when the request's origin equals the receive timestamp we
 * sent that address last: a request from another address cannot read it,
 * and one forged with the client's address can only make the client's
 * next reply a basic one (it replaces the entry), never a wrong one: the
 * transmit times in the table come from the kernel alone. */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/random.h>

#include "tsd/xleave.h"

/* Replies whose transmit stamp is still awaited: more than the replies a
 * worker sends before it reads the stamps back. */
#define XLEAVE_PENDING 256

struct xleave_entry {
	uint64_t addr[2];        /* the client's address, IPv4 as mapped IPv6 */
	ntp_ts rx;               /* receive field of the last reply; 0: free */
	ntp_ts tx;               /* its kernel transmit time; 0: not known */
};

struct xleave_pending {
	ntp_ts rx;
	uint32_t slot;
};

struct xleave {
	uint64_t seed[2];
	struct xleave_entry entry[XLEAVE_TABLE_SIZE];
	struct xleave_pending pending[XLEAVE_PENDING];
	unsigned next_pending;
};

static void seed_hash(struct xleave *x)
{
	struct timespec ts;

	if (getrandom(x->seed, sizeof(x->seed), GRND_NONBLOCK) == (ssize_t)sizeof(x->seed))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	x->seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
	x->seed[1] = (uint64_t)(uintptr_t)x * 0xc2b2ae3d27d4eb4full;
}

struct xleave *xleave_new(void)
{
	struct xleave *x = calloc(1, sizeof(*x));

	if (x != NULL)
		seed_hash(x);
	return x;
}

void xleave_free(struct xleave *x)
{
	free(x);
}

/* The whole address (a host, not a network: the entry is one client's). */
static int address_key(const struct sockaddr *sa, uint64_t key[2])
{
	uint8_t bytes[16] = { 0 };

	if (sa->sa_family == AF_INET) {
		bytes[10] = 0xff;
		bytes[11] = 0xff;
		memcpy(bytes + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		return -1;
	}
	memcpy(key, bytes, 16);
	return 0;
}

static uint64_t mix64(uint64_t v)
{
	v ^= v >> 30;
	v *= 0xbf58476d1ce4e5b9ull;
	v ^= v >> 27;
	v *= 0x94d049bb133111ebull;
	return v ^ (v >> 31);
}

/* Keyed, so that nobody can choose addresses that evict a given client. */
static uint32_t slot_of(const struct xleave *x, const uint64_t key[2])
{
	uint64_t h = mix64(key[0] ^ x->seed[0]);

	return (uint32_t)(mix64(h ^ key[1] ^ x->seed[1]) % XLEAVE_TABLE_SIZE);
}

int xleave_lookup(const struct xleave *x, const struct sockaddr *peer,
                  const struct ntp_packet *req, ntp_ts *prev_tx)
{
	const struct xleave_entry *e;
	uint64_t key[2];

	/* A basic-mode client sends equal (or zero) receive and transmit
	 * fields, or an origin that was never our receive timestamp. */
	if (req->origin == 0 || req->receive == req->transmit || address_key(peer, key) != 0)
		return 0;
	e = &x->entry[slot_of(x, key)];
	if (e->rx != req->origin || e->tx == 0 || memcmp(e->addr, key, sizeof(key)) != 0)
		return 0;
	*prev_tx = e->tx;
	return 1;
}

void xleave_sending(struct xleave *x, const struct sockaddr *peer, ntp_ts rx)
{
	struct xleave_pending *p;
	struct xleave_entry *e;
	uint64_t key[2];

	if (rx == 0 || address_key(peer, key) != 0)
		return;
	p = &x->pending[x->next_pending++ % XLEAVE_PENDING];
	p->slot = slot_of(x, key);
	p->rx = rx;
	e = &x->entry[p->slot];
	memcpy(e->addr, key, sizeof(key));
	e->rx = rx;
	e->tx = 0;
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
