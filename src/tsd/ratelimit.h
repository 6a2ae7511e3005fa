/* Per-address rate limiting for the UDP server: a fixed-size table of
 * client addresses, each with a GCRA token bucket (interval, burst) and a
 * leak of 1 in N limited packets. Constant memory, O(1) per packet. A
 * shared table, made before fork, is one limit for all the workers. */
#ifndef TSD_RATELIMIT_H
#define TSD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Slots per hash set: a new address evicts the idlest entry of its set. */
#define RATELIMIT_WAYS 4
/* Largest table accepted (entries), so a typo cannot ask for gigabytes. */
#define RATELIMIT_MAX_TABLE (1u << 24)

struct ratelimit_config {
	double interval_s;      /* mean seconds between packets, > 0 */
	unsigned burst;         /* packets allowed at once, >= 1 */
	unsigned leak;          /* pass 1 in `leak` limited packets; 0: none */
	size_t table_size;      /* addresses tracked (rounded up to 2^k, >= RATELIMIT_WAYS) */
	int shared;             /* 1: in MAP_SHARED memory, one table across fork */
};

enum ratelimit_verdict {
	RATELIMIT_PASS = 0,     /* within the limit: answer */
	RATELIMIT_DROP = 1,     /* over the limit: no answer */
	RATELIMIT_LEAK = 2,     /* over the limit, but this one is leaked */
};

struct ratelimit;

/* NULL with errno EINVAL (a value out of range) or ENOMEM. */
struct ratelimit *ratelimit_new(const struct ratelimit_config *cfg);
/* Unmaps this process's view (a shared table lives on in the others). */
void ratelimit_free(struct ratelimit *rl);
/* Whether `rl` was made from exactly these settings. */
int ratelimit_same_config(const struct ratelimit *rl, const struct ratelimit_config *cfg);

/* One packet from `sa` (AF_INET or AF_INET6; IPv6 is limited per /64, so
 * one host cannot escape by rotating its interface identifier) at
 * `now_ns` on CLOCK_MONOTONIC (the same in every process). Other families
 * always pass. A packet whose set another process keeps locked (preempted
 * inside it) is dropped, never passed unchecked; a lock held for over a
 * second is taken over (a worker that died inside it must not stall the
 * rest). */
enum ratelimit_verdict ratelimit_check(struct ratelimit *rl, const struct sockaddr *sa,
                                       uint64_t now_ns);

/* For tests: leave the lock of the set `sa` falls in held since now_ns, as
 * a worker stopped or killed inside ratelimit_check would. */
void ratelimit_hold_for_test(struct ratelimit *rl, const struct sockaddr *sa, uint64_t now_ns);

/* For tests and status: slots in the table, and slots in use. */
size_t ratelimit_capacity(const struct ratelimit *rl);
size_t ratelimit_used(const struct ratelimit *rl);

#endif
