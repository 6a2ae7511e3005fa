/* The tests' reproducible random numbers: splitmix64 (a 64-bit state, one
 * addition and three mixing steps per number), so a seed repeats a run
 * exactly. Shared by tests/unit/test_accuracy.c and tests/integration/relay.c. */
#ifndef TSD_TESTS_SPLITMIX64_H
#define TSD_TESTS_SPLITMIX64_H

#include <stdint.h>

static inline uint64_t splitmix64_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static inline double splitmix64_uniform(uint64_t *state)
{
	return (double)(splitmix64_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
