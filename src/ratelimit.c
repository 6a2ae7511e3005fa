/* Per-address rate limiting: a set-associative table of GCRA buckets. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ratelimit.h"

/* Longest interval accepted: an hour keeps burst * interval far from
 * overflowing 64-bit nanoseconds. */
#define MAX_INTERVAL_S 3600.0
#define MAX_BURST 1000000u

/* One tracked address. tat_ns is the GCRA "theoretical arrival time": the
 * instant the bucket would be full again; 0 marks a free slot. */
struct rl_entry {
	uint64_t key[2];
	uint64_t tat_ns;
	uint32_t limited;       /* limited packets since the last leak */
	uint32_t unused;
};

struct ratelimit {
	struct rl_entry *slots;
	size_t set_mask;        /* number of sets - 1 */
	uint64_t interval_ns;
	uint64_t tolerance_ns;  /* (burst - 1) * interval */
	uint32_t leak;
	uint64_t seed[2];       /* secret, so a client cannot aim at one set */
};

static size_t round_up_pow2(size_t n)
{
	size_t p = RATELIMIT_WAYS;

	while (p < n)
		p <<= 1;
	return p;
}

static int config_ok(const struct ratelimit_config *cfg)
{
	if (!isfinite(cfg->interval_s) || cfg->interval_s <= 0 || cfg->interval_s > MAX_INTERVAL_S)
		return 0;
	if (cfg->burst < 1 || cfg->burst > MAX_BURST)
		return 0;
	return cfg->table_size >= 1 && cfg->table_size <= RATELIMIT_MAX_TABLE;
}

static void seed_hash(struct ratelimit *rl)
{
	struct timespec ts;

	if (getrandom(rl->seed, sizeof(rl->seed), GRND_NONBLOCK) == (ssize_t)sizeof(rl->seed))
		return;
	/* Early boot without entropy: weaker, but the limiter still works. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	rl->seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
	rl->seed[1] = (uint64_t)(uintptr_t)rl * 0xc2b2ae3d27d4eb4full;
}

struct ratelimit *ratelimit_new(const struct ratelimit_config *cfg)
{
	struct ratelimit *rl;
	size_t n_slots;

	if (cfg == NULL || !config_ok(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	n_slots = round_up_pow2(cfg->table_size);
	rl->slots = calloc(n_slots, sizeof(*rl->slots));
	if (rl->slots == NULL) {
		free(rl);
		return NULL;
	}
	rl->set_mask = n_slots / RATELIMIT_WAYS - 1;
	rl->interval_ns = (uint64_t)llround(cfg->interval_s * 1e9);
	if (rl->interval_ns == 0)
		rl->interval_ns = 1;
	rl->tolerance_ns = (uint64_t)(cfg->burst - 1) * rl->interval_ns;
	rl->leak = cfg->leak;
	seed_hash(rl);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slots);
	free(rl);
}

/* IPv4 as its mapped IPv6 form, IPv6 cut to its /64. 0 on success. */
static int address_key(const struct sockaddr *sa, uint64_t key[2])
{
	uint8_t bytes[16] = { 0 };

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		bytes[10] = 0xff;
		bytes[11] = 0xff;
		memcpy(bytes + 12, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(bytes, &in6->sin6_addr, 16);
		/* A mapped IPv4 address is one host; anything else, one /64. */
		if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			memset(bytes + 8, 0, 8);
	} else {
		return -1;
	}
	memcpy(key, bytes, 16);
	return 0;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static struct rl_entry *find_set(struct ratelimit *rl, const uint64_t key[2])
{
	uint64_t h = mix64(key[0] ^ rl->seed[0]);

	h = mix64(h ^ key[1] ^ rl->seed[1]);
	return rl->slots + (size_t)(h & rl->set_mask) * RATELIMIT_WAYS;
}

/* The entry for `key`, or a fresh one in place of the set's idlest: the
 * smallest tat is the bucket closest to full, so forgetting it loses the
 * least. */
static struct rl_entry *lookup(struct ratelimit *rl, const uint64_t key[2])
{
	struct rl_entry *set = find_set(rl, key);
	struct rl_entry *victim = set;

	for (int i = 0; i < RATELIMIT_WAYS; i++) {
		struct rl_entry *e = set + i;

		if (e->tat_ns != 0 && e->key[0] == key[0] && e->key[1] == key[1])
			return e;
		if (e->tat_ns < victim->tat_ns)
			victim = e;
	}
	victim->key[0] = key[0];
	victim->key[1] = key[1];
	victim->tat_ns = 0;
	victim->limited = 0;
	return victim;
}

enum ratelimit_verdict ratelimit_check(struct ratelimit *rl, const struct sockaddr *sa,
                                       uint64_t now_ns)
{
	uint64_t key[2];
	struct rl_entry *e;
	uint64_t tat;

	if (address_key(sa, key) != 0)
		return RATELIMIT_PASS;
	e = lookup(rl, key);
	tat = e->tat_ns > now_ns ? e->tat_ns : now_ns;
	if (tat - now_ns <= rl->tolerance_ns) {
		e->tat_ns = tat + rl->interval_ns;
		return RATELIMIT_PASS;
	}
	if (rl->leak == 0)
		return RATELIMIT_DROP;
	if (++e->limited < rl->leak)
		return RATELIMIT_DROP;
	e->limited = 0;
	return RATELIMIT_LEAK;
}

size_t ratelimit_capacity(const struct ratelimit *rl)
{
	return (rl->set_mask + 1) * RATELIMIT_WAYS;
}

size_t ratelimit_used(const struct ratelimit *rl)
{
	size_t n = 0;

	for (size_t i = 0; i < ratelimit_capacity(rl); i++)
		n += rl->slots[i].tat_ns != 0;
	return n;
}
