/* The few NTP packet bits the load generator and the reference server need,
 * kept apart from src/common/wire.c so the benchmark measures tsd, not itself. */
#ifndef BENCH_NTP_H
#define BENCH_NTP_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#define BENCH_NTP_SIZE 48
#define BENCH_NTP_EPOCH_DELTA 2208988800ULL
/* Offsets of the 64-bit timestamps in the packet. */
#define BENCH_NTP_ORIGIN 24
#define BENCH_NTP_RECEIVE 32
#define BENCH_NTP_TRANSMIT 40

static inline uint64_t bench_ns_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Unix nanoseconds to a 64-bit NTP timestamp. */
static inline uint64_t bench_ns_to_ntp(uint64_t unix_ns)
{
	uint64_t sec = unix_ns / 1000000000ULL;
	uint64_t frac_ns = unix_ns % 1000000000ULL;

	return ((sec + BENCH_NTP_EPOCH_DELTA) << 32) |
	       ((frac_ns << 32) / 1000000000ULL);
}

/* A difference of two NTP timestamps in nanoseconds (b - a). */
static inline int64_t bench_ntp_diff_ns(uint64_t a, uint64_t b)
{
	int64_t d = (int64_t)(b - a);

	return (int64_t)(((__int128)d * 1000000000) >> 32);
}

static inline void bench_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t bench_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* A client request: LI 0, version 4, mode 3, transmit = cookie. */
static inline void bench_make_request(uint8_t out[BENCH_NTP_SIZE], uint64_t cookie)
{
	memset(out, 0, BENCH_NTP_SIZE);
	out[0] = 0x23;
	bench_put64(out + BENCH_NTP_TRANSMIT, cookie);
}

#endif
