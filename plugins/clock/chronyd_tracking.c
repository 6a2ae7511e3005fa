/* chronyd's command protocol (version 6): the `tracking` request and a
 * strict parser of its reply. Layout from chrony's candm.h, all fields
 * big-endian:
 *
 *   request (20-byte header, then zero padding to the reply's length)
 *     0 version (6)  1 packet type (1)  2,3 reserved (0)  4 command (33)
 *     6 attempt  8 sequence  12,16 padding
 *   reply (28-byte header, then the tracking report)
 *     0 version  1 packet type (2)  2,3 reserved  4 command  6 reply (5)
 *     8 status (0 = success)  10..15 padding  16 sequence  20..27 padding
 *     28 ref_id  32 address (16 bytes, then family and padding, 2 each)
 *     52 stratum  54 leap status  56 reference time (seconds high, low,
 *     nanoseconds)  68 correction  72 last offset  76 RMS offset
 *     80 frequency  84 residual frequency  88 skew  92 root delay
 *     96 root dispersion  100 update interval (floats, chronyd_float) */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chronyd_tracking.h"

#define PROTO_VERSION 6
#define PKT_REQUEST 1
#define PKT_REPLY 2
#define REQ_TRACKING 33
#define RPY_TRACKING 5
#define STT_SUCCESS 0

#define OFF_SEQUENCE_REQ 8
#define OFF_COMMAND 4
#define OFF_REPLY 6
#define OFF_STATUS 8
#define OFF_SEQUENCE 16
#define OFF_REF_ID 28
#define OFF_FAMILY 48
#define OFF_STRATUM 52
#define OFF_LEAP 54
#define OFF_REF_TIME 56
#define OFF_ROOT_DELAY 92
#define OFF_ROOT_DISPERSION 96

/* The reference time's high word when chronyd's time_t has 32 bits. */
#define NO_HIGH_SECONDS 0x7fffffffu
/* 2262: where tsd's nanoseconds end (as src/common/clock.c). */
#define MAX_REF_SECONDS 9214646400LL
#define MAX_FAMILY 3

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void chronyd_tracking_request(uint8_t out[CHRONYD_TRACKING_LEN], uint32_t sequence)
{
	memset(out, 0, CHRONYD_TRACKING_LEN);
	out[0] = PROTO_VERSION;
	out[1] = PKT_REQUEST;
	put16(out + OFF_COMMAND, REQ_TRACKING);
	put32(out + OFF_SEQUENCE_REQ, sequence);
}

double chronyd_float(uint32_t wire)
{
	int32_t exponent = (int32_t)(wire >> 25);
	int32_t coef = (int32_t)(wire & 0x1ffffffu);

	if (exponent >= 64)
		exponent -= 128;
	if (coef >= (1 << 24))
		coef -= (1 << 25);
	return ldexp((double)coef, exponent - 25);
}

static int refuse(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_header(const uint8_t *b, size_t len, uint32_t sequence,
                        char *why, size_t why_len)
{
	if (len != CHRONYD_TRACKING_LEN)
		return refuse(why, why_len, "%zu bytes, expected %d", len, CHRONYD_TRACKING_LEN);
	if (b[0] != PROTO_VERSION)
		return refuse(why, why_len, "protocol version %u, expected %d", b[0], PROTO_VERSION);
	if (b[1] != PKT_REPLY || b[2] != 0 || b[3] != 0)
		return refuse(why, why_len, "not a reply (packet type %u)", b[1]);
	if (get16(b + OFF_COMMAND) != REQ_TRACKING)
		return refuse(why, why_len, "answers command %u, not tracking", get16(b + OFF_COMMAND));
	if (get16(b + OFF_STATUS) != STT_SUCCESS)
		return refuse(why, why_len, "status %u (request refused)", get16(b + OFF_STATUS));
	if (get16(b + OFF_REPLY) != RPY_TRACKING)
		return refuse(why, why_len, "reply type %u, not tracking", get16(b + OFF_REPLY));
	if (get32(b + OFF_SEQUENCE) != sequence)
		return refuse(why, why_len, "sequence number %u, expected %u",
		              get32(b + OFF_SEQUENCE), sequence);
	return 0;
}

static int root_value(const uint8_t *p, const char *name, double *out,
                      char *why, size_t why_len)
{
	double v = chronyd_float(get32(p));

	if (!isfinite(v) || v < 0 || v > CHRONYD_MAX_ROOT_S)
		return refuse(why, why_len, "%s %g s out of range (0 to %g)", name, v,
		              CHRONYD_MAX_ROOT_S);
	*out = v;
	return 0;
}

static int ref_time(const uint8_t *p, int64_t *out, char *why, size_t why_len)
{
	uint32_t high = get32(p), low = get32(p + 4), nsec = get32(p + 8);
	int64_t seconds = (int64_t)low;

	if (high != NO_HIGH_SECONDS)
		seconds += (int64_t)high << 32;
	if (high != NO_HIGH_SECONDS && high > 2)
		return refuse(why, why_len, "reference time out of range");
	if (nsec >= 1000000000u || seconds >= MAX_REF_SECONDS)
		return refuse(why, why_len, "reference time out of range");
	*out = seconds * 1000000000LL + nsec;
	return 0;
}

static int check_body(const uint8_t *b, struct chronyd_tracking *t, char *why, size_t why_len)
{
	unsigned stratum = get16(b + OFF_STRATUM), leap = get16(b + OFF_LEAP);

	if (get16(b + OFF_FAMILY) > MAX_FAMILY)
		return refuse(why, why_len, "address family %u unknown", get16(b + OFF_FAMILY));
	if (stratum > 16)
		return refuse(why, why_len, "stratum %u out of range (0 to 16)", stratum);
	if (leap > 3)
		return refuse(why, why_len, "leap status %u out of range (0 to 3)", leap);
	t->ref_id = get32(b + OFF_REF_ID);
	t->stratum = (int)stratum;
	t->leap = (enum tsd_leap)leap;
	if (ref_time(b + OFF_REF_TIME, &t->ref_time_ns, why, why_len) != 0)
		return -1;
	if (root_value(b + OFF_ROOT_DELAY, "root delay", &t->root_delay_s, why, why_len) != 0)
		return -1;
	return root_value(b + OFF_ROOT_DISPERSION, "root dispersion", &t->root_dispersion_s,
	                  why, why_len);
}

int chronyd_tracking_parse(const uint8_t *buf, size_t len, uint32_t sequence,
                           struct chronyd_tracking *out, char *why, size_t why_len)
{
	struct chronyd_tracking t;

	memset(&t, 0, sizeof(t));
	if (check_header(buf, len, sequence, why, why_len) != 0 ||
	    check_body(buf, &t, why, why_len) != 0)
		return -1;
	*out = t;
	return 0;
}

int chronyd_tracking_synced(const struct chronyd_tracking *t)
{
	return t->leap != TSD_LEAP_UNSYNC && t->stratum >= 1 && t->stratum <= 15;
}
