/* Per-address rate limiting: a set-associative table of GCRA buckets. */

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "common/monotonic.h"
#include "tsd/addrkey.h"
#include "tsd/ratelimit.h"

/* Longest interval accepted: an hour keeps burst * interval far from
 * overflowing 64-bit nanoseconds. */
#define MAX_INTERVAL_S 3600.0
#define MAX_BURST 1000000u
/* Tries for a set's lock before the packet is dropped. The lock is held
 * for a few dozen instructions; only a process stopped inside it
 * (preempted, or killed) makes the others wait this long. A packet must
 * never pass unchecked then: with the holder preempted on a loaded
 * machine, the other workers passed every packet of a flood for as long
 * as it stayed off the CPU (112 answers of 200 where the limit was 9). */
#define LOCK_SPINS 100000
/* A lock held this long belongs to a process that died inside it (or is
 * stopped): it is taken over. Far beyond any preemption. */
#define LOCK_STALE_NS 1000000000ull

/* One tracked address. tat_ns is the GCRA "theoretical arrival time": the
 * instant the bucket would be full again; 0 marks a free slot. */
struct rl_entry {
	uint64_t key[2];
	uint64_t tat_ns;
	uint32_t limited;       /* limited packets since the last leak */
	uint32_t unused;
};

/* The header, the slots and one lock per set live in one mapping, private
 * or shared; nothing in it changes after creation but the slots and the
 * locks. A lock is 0 when free, else the monotonic time it was taken. */
struct ratelimit {
	size_t map_bytes;
	struct rl_entry *slots;
	_Atomic uint64_t *locks;
	size_t set_mask;        /* number of sets - 1 */
	uint64_t interval_ns;
	uint64_t tolerance_ns;  /* (burst - 1) * interval */
	uint32_t leak;
	uint64_t seed[2];       /* secret, so a client cannot aim at one set */
	struct ratelimit_config cfg;
};

static size_t round_up_pow2(size_t n)
{
	size_t p = RATELIMIT_WAYS;

	while (p < n)
		p <<= 1;
	return p;
}

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

static int config_ok(const struct ratelimit_config *cfg)
{
	if (!isfinite(cfg->interval_s) || cfg->interval_s <= 0 || cfg->interval_s > MAX_INTERVAL_S)
		return 0;
	if (cfg->burst < 1 || cfg->burst > MAX_BURST)
		return 0;
	return cfg->table_size >= 1 && cfg->table_size <= RATELIMIT_MAX_TABLE;
}

struct ratelimit *ratelimit_new(const struct ratelimit_config *cfg)
{
	struct ratelimit *rl;
	size_t n_slots, n_sets, slots_at, locks_at, bytes;
	void *map;

	if (cfg == NULL || !config_ok(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	n_slots = round_up_pow2(cfg->table_size);
	n_sets = n_slots / RATELIMIT_WAYS;
	slots_at = align64(sizeof(*rl));
	locks_at = slots_at + n_slots * sizeof(struct rl_entry);
	bytes = locks_at + n_sets * sizeof(_Atomic uint64_t);
	/* Anonymous memory is zero (free slots, open locks) and is only
	 * backed by RAM where it is touched. */
	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	           (cfg->shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	rl = map;
	rl->map_bytes = bytes;
	rl->slots = (struct rl_entry *)((char *)map + slots_at);
	rl->locks = (_Atomic uint64_t *)((char *)map + locks_at);
	rl->set_mask = n_sets - 1;
	rl->interval_ns = (uint64_t)llround(cfg->interval_s * 1e9);
	if (rl->interval_ns == 0)
		rl->interval_ns = 1;
	rl->tolerance_ns = (uint64_t)(cfg->burst - 1) * rl->interval_ns;
	rl->leak = cfg->leak;
	rl->cfg = *cfg;
	addrkey_seed(rl->seed, rl);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl != NULL)
		munmap(rl, rl->map_bytes);
}

int ratelimit_same_config(const struct ratelimit *rl, const struct ratelimit_config *cfg)
{
	return rl->cfg.interval_s == cfg->interval_s && rl->cfg.burst == cfg->burst &&
	       rl->cfg.leak == cfg->leak && rl->cfg.table_size == cfg->table_size &&
	       rl->cfg.shared == cfg->shared;
}

static size_t find_set(const struct ratelimit *rl, const uint64_t key[2])
{
	return (size_t)(addrkey_hash(key, rl->seed) & rl->set_mask);
}

static int try_lock(_Atomic uint64_t *lock, uint64_t expected, uint64_t stamp)
{
	return atomic_compare_exchange_strong_explicit(lock, &expected, stamp,
	                                               memory_order_acquire, memory_order_relaxed);
}

/* 0 with the set locked; -1 when another process holds it (not for long
 * enough to be dead). */
static int set_lock(_Atomic uint64_t *lock, uint64_t now_ns)
{
	uint64_t stamp = now_ns | 1, held = 0;

	for (unsigned spins = 0; spins < LOCK_SPINS; spins++) {
		held = atomic_load_explicit(lock, memory_order_relaxed);
		if (held == 0 && try_lock(lock, 0, stamp))
			return 0;
	}
	if (held != 0 && now_ns > held && now_ns - held > LOCK_STALE_NS && try_lock(lock, held, stamp))
		return 0;
	return -1;
}

static void set_unlock(_Atomic uint64_t *lock)
{
	atomic_store_explicit(lock, 0, memory_order_release);
}

/* The entry for `key` in its set, or a fresh one in place of the set's
 * idlest: the smallest tat is the bucket closest to full, so forgetting it
 * loses the least. */
static struct rl_entry *find_or_replace_entry(struct rl_entry *set, const uint64_t key[2])
{
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

/* The GCRA step on one entry (its set locked). */
static enum ratelimit_verdict apply_gcra(const struct ratelimit *rl, struct rl_entry *e,
                                     uint64_t now_ns)
{
	uint64_t tat = e->tat_ns > now_ns ? e->tat_ns : now_ns;

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

enum ratelimit_verdict ratelimit_check(struct ratelimit *rl, const struct sockaddr *sa,
                                       uint64_t now_ns)
{
	enum ratelimit_verdict v;
	uint64_t key[2];
	size_t set;

	if (addrkey_of(sa, ADDRKEY_PREFIX64, key) != 0)
		return RATELIMIT_PASS;
	set = find_set(rl, key);
	if (set_lock(&rl->locks[set], now_ns) != 0)
		return RATELIMIT_DROP;
	v = apply_gcra(rl, find_or_replace_entry(rl->slots + set * RATELIMIT_WAYS, key), now_ns);
	set_unlock(&rl->locks[set]);
	return v;
}

void ratelimit_hold_for_test(struct ratelimit *rl, const struct sockaddr *sa, uint64_t now_ns)
{
	uint64_t key[2];

	if (addrkey_of(sa, ADDRKEY_PREFIX64, key) == 0)
		atomic_store(&rl->locks[find_set(rl, key)], now_ns | 1);
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
