/* A client address as a key of the daemon's per-address tables (the rate
 * limit, interleaved mode), and the keyed hash that places it: one copy
 * for both. Inline: both are on the hot path. */
#ifndef TSD_ADDRKEY_H
#define TSD_ADDRKEY_H

#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "common/monotonic.h"

/* HOST: the address itself. PREFIX64: an IPv6 address (not IPv4-mapped)
 * cut to its /64, which one client may hold whole. */
enum addrkey_scope { ADDRKEY_HOST, ADDRKEY_PREFIX64 };

/* IPv4 as its mapped IPv6 form, in 128 bits. 0, or -1 for another family. */
static inline int addrkey_of(const struct sockaddr *sa, enum addrkey_scope scope,
                             uint64_t key[2])
{
	uint8_t bytes[16] = { 0 };

	if (sa->sa_family == AF_INET) {
		bytes[10] = 0xff;
		bytes[11] = 0xff;
		memcpy(bytes + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		memcpy(bytes, a, 16);
		if (scope == ADDRKEY_PREFIX64 && !IN6_IS_ADDR_V4MAPPED(a))
			memset(bytes + 8, 0, 8);
	} else {
		return -1;
	}
	memcpy(key, bytes, 16);
	return 0;
}

/* splitmix64's finaliser. */
static inline uint64_t addrkey_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Keyed by a random seed, so that nobody can choose addresses that land in
 * one place and evict a given client. */
static inline uint64_t addrkey_hash(const uint64_t key[2], const uint64_t seed[2])
{
	return addrkey_mix(addrkey_mix(key[0] ^ seed[0]) ^ key[1] ^ seed[1]);
}

/* A fresh random seed for addrkey_hash; in early boot without entropy a
 * weaker one from the clock and `salt` (a table's address), with which the
 * table still works. */
static inline void addrkey_seed(uint64_t seed[2], const void *salt)
{
	uint64_t now_ns;

	if (getrandom(seed, 2 * sizeof(seed[0]), GRND_NONBLOCK) == (ssize_t)(2 * sizeof(seed[0])))
		return;
	now_ns = monotonic_now_ns();
	seed[0] = now_ns * 0x9e3779b97f4a7c15ull ^ (now_ns >> 30);
	seed[1] = (uint64_t)(uintptr_t)salt * 0xc2b2ae3d27d4eb4full;
}

#endif
