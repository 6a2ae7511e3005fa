/* The wire formats: NTPv4 packets, NTP timestamps, the text reply and
 * the first-bytes test. Pure functions: no I/O, no clock, no allocation. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/wire.h"

#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL

/* Floor division and the matching non-negative remainder (for b > 0), for
 * instants before 1970: C division truncates toward zero. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;

	return r < 0 ? r + b : r;
}

/* ---- timestamps ---- */

ntp_ts wire_ns_to_ntp(tsd_time_ns ns)
{
	int64_t seconds = floor_div(ns, NS_PER_S) + NTP_UNIX_EPOCH_DELTA;
	uint64_t sub_ns = (uint64_t)floor_mod(ns, NS_PER_S);
	/* Round to nearest: one fraction step is 0.23 ns, so the way back
	 * (also rounded) lands on the same nanosecond. The largest sub_ns
	 * rounds to 2^32 - 4, so there is never a carry into the seconds. */
	uint64_t fraction = ((sub_ns << 32) + NS_PER_S / 2) / NS_PER_S;

	/* The era is dropped here: only the low 32 bits of seconds travel. */
	return ((uint64_t)(uint32_t)seconds << 32) | fraction;
}

/* The signed distance a - b between two era-relative second counts, taken
 * as the shorter way round the 2^32 circle. */
static int64_t era_distance(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	return d >= 0x80000000u ? (int64_t)d - 0x100000000LL : (int64_t)d;
}

tsd_time_ns wire_ntp_to_ns(ntp_ts ts, tsd_time_ns pivot_ns)
{
	int64_t pivot_s = floor_div(pivot_ns, NS_PER_S) + NTP_UNIX_EPOCH_DELTA;
	int64_t ntp_s = pivot_s + era_distance((uint32_t)(ts >> 32), (uint32_t)pivot_s);
	int64_t unix_s = ntp_s - NTP_UNIX_EPOCH_DELTA;
	uint64_t fraction = ts & 0xffffffffu;
	int64_t sub_ns = (int64_t)((fraction * NS_PER_S + (1ull << 31)) >> 32);

	/* Saturate instead of overflowing near the ends of tsd_time_ns
	 * (years 1677 and 2262): only a pivot out there gets here. */
	if (unix_s >= INT64_MAX / NS_PER_S)
		return INT64_MAX;
	if (unix_s <= INT64_MIN / NS_PER_S)
		return INT64_MIN;
	return unix_s * NS_PER_S + sub_ns;
}

/* Root delay and dispersion are bounds: they round up (a 15 us step), so a
 * bound never shrinks on the way through the wire. */
uint32_t wire_seconds_to_short(double seconds)
{
	double units;
	uint32_t whole;

	/* NaN is not >= 0, so it lands on the largest value: an unknown
	 * dispersion must look as bad as possible, never perfect. */
	if (!(seconds >= 0.0))
		return seconds < 0.0 ? 0 : UINT32_MAX;
	if (seconds >= 65535.0 + 65535.0 / 65536.0)
		return UINT32_MAX;
	units = seconds * 65536.0;
	whole = (uint32_t)units;
	return (double)whole < units ? whole + 1 : whole;
}

double wire_short_to_seconds(uint32_t s)
{
	return s / 65536.0;
}

/* ---- packets ---- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void wire_encode(const struct ntp_packet *p, uint8_t out[NTP_PACKET_SIZE])
{
	out[0] = (uint8_t)((p->leap & 3) << 6 | (p->version & 7) << 3 | (p->mode & 7));
	out[1] = p->stratum;
	out[2] = (uint8_t)p->poll;
	out[3] = (uint8_t)p->precision;
	put32(out + 4, p->root_delay);
	put32(out + 8, p->root_dispersion);
	memcpy(out + 12, p->refid, 4);
	put64(out + 16, p->reference);
	put64(out + 24, p->origin);
	put64(out + 32, p->receive);
	put64(out + 40, p->transmit);
}

int wire_decode(const uint8_t *buf, size_t len, struct ntp_packet *p)
{
	if (buf == NULL || len < NTP_PACKET_SIZE)
		return -1;
	p->leap = buf[0] >> 6;
	p->version = (buf[0] >> 3) & 7;
	p->mode = buf[0] & 7;
	p->stratum = buf[1];
	p->poll = (int8_t)buf[2];
	p->precision = (int8_t)buf[3];
	p->root_delay = get32(buf + 4);
	p->root_dispersion = get32(buf + 8);
	memcpy(p->refid, buf + 12, 4);
	p->reference = get64(buf + 16);
	p->origin = get64(buf + 24);
	p->receive = get64(buf + 32);
	p->transmit = get64(buf + 40);
	return 0;
}

static int version_ok(uint8_t version)
{
	return version >= 1 && version <= 4;
}

int wire_valid_client_request(const struct ntp_packet *p)
{
	if (p->mode != NTP_MODE_CLIENT || !version_ok(p->version))
		return -1;
	/* A zero transmit would come back as a zero origin, which the
	 * client could not tell from "no request". */
	return p->transmit != 0 ? 0 : -1;
}

int wire_valid_server_reply(const struct ntp_packet *p, ntp_ts cookie)
{
	if (p->mode != NTP_MODE_SERVER || !version_ok(p->version))
		return -1;
	if (p->origin != cookie || p->transmit == 0)
		return -1;
	return 0;
}

/* ---- the first-bytes rule ---- */

enum wire_kind wire_classify(const uint8_t *buf, size_t len)
{
	if (len < 1)
		return WIRE_UNDECIDED;
	if (buf[0] == WIRE_EXT_MARK) {
		if (len < 2)
			return WIRE_UNDECIDED;
		return buf[1] == WIRE_EXT_TYPE_NTP ? WIRE_NATIVE : WIRE_TEXT;
	}
	if ((buf[0] & 7) != NTP_MODE_CLIENT || !version_ok((buf[0] >> 3) & 7))
		return WIRE_TEXT;
	if (len < 2)
		return WIRE_UNDECIDED;
	/* Every printable character is above 16, so text never passes. */
	return buf[1] <= NTP_STRATUM_UNSYNC ? WIRE_NATIVE : WIRE_TEXT;
}

int wire_ext_frame(const uint8_t *buf, size_t len, size_t *packet_len)
{
	size_t n;

	if (len < WIRE_EXT_HEADER)
		return 0;
	if (buf[0] != WIRE_EXT_MARK || buf[1] != WIRE_EXT_TYPE_NTP)
		return -1;
	n = (size_t)buf[2] << 8 | buf[3];
	if (n < WIRE_EXT_PACKET_MIN || n > WIRE_EXT_PACKET_MAX || n % 4 != 0)
		return -1;
	*packet_len = n;
	return 1;
}

void wire_ext_put_header(uint8_t out[WIRE_EXT_HEADER], size_t packet_len)
{
	out[0] = WIRE_EXT_MARK;
	out[1] = WIRE_EXT_TYPE_NTP;
	out[2] = (uint8_t)(packet_len >> 8);
	out[3] = (uint8_t)packet_len;
}

/* ---- the text protocol ---- */

int wire_text_reply(char *out, size_t outlen, tsd_time_ns t2, tsd_time_ns t3)
{
	int n;

	if (out == NULL || outlen == 0)
		return -1;
	n = snprintf(out, outlen, "%" PRId64 "\t%" PRId64 "\n",
	             floor_div(t2, NS_PER_MS), floor_div(t3, NS_PER_MS));
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

/* One integer: an optional '-' (what wire_text_reply writes for instants
 * before 1970) and 1..18 digits, which cannot overflow int64. Returns the
 * characters used, or -1. */
static int parse_ms(const char *buf, size_t len, int64_t *out)
{
	size_t i = 0, first_digit;
	int64_t value = 0;
	int negative = 0;

	if (i < len && buf[i] == '-') {
		negative = 1;
		i++;
	}
	first_digit = i;
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (i - first_digit == 18)
			return -1;
		value = value * 10 + (buf[i] - '0');
		i++;
	}
	if (i == first_digit)
		return -1;
	*out = negative ? -value : value;
	return (int)i;
}

int wire_parse_text_reply(const char *buf, size_t len, int64_t *t2_ms, int64_t *t3_ms)
{
	int64_t t2, t3;
	int used = parse_ms(buf, len, &t2);

	if (used < 0 || (size_t)used >= len || buf[used] != '\t')
		return -1;
	buf += used + 1;
	len -= (size_t)used + 1;
	used = parse_ms(buf, len, &t3);
	if (used < 0)
		return -1;
	if ((size_t)used != len && !((size_t)used + 1 == len && buf[used] == '\n'))
		return -1;
	*t2_ms = t2;
	*t3_ms = t3;
	return 0;
}

/* The NTP path reads a timestamp as the instant nearest the pivot, within
 * half an era; the text path accepts no more. */
#define TEXT_MAX_DISTANCE_MS ((INT64_C(1) << 31) * 1000)
#define TEXT_HALF_MS_NS (NS_PER_MS / 2)

int wire_text_ms_to_ns(int64_t ms, tsd_time_ns pivot_ns, tsd_time_ns *out_ns)
{
	/* parse_ms gives at most 18 digits and the pivot is a clock reading:
	 * the difference cannot overflow; the product is checked. */
	int64_t from_pivot_ms = ms - floor_div(pivot_ns, NS_PER_MS);

	if (from_pivot_ms > TEXT_MAX_DISTANCE_MS || from_pivot_ms < -TEXT_MAX_DISTANCE_MS)
		return -1;
	if (ms > (INT64_MAX - TEXT_HALF_MS_NS) / NS_PER_MS || ms < INT64_MIN / NS_PER_MS)
		return -1;
	*out_ns = ms * NS_PER_MS + TEXT_HALF_MS_NS;
	return 0;
}

/* ---- replies and the on-wire quantities ---- */

void wire_make_reply(struct ntp_packet *reply, const struct ntp_packet *req,
                     const struct tsd_clock_info *info,
                     tsd_time_ns t2, tsd_time_ns t3)
{
	memset(reply, 0, sizeof(*reply));
	reply->leap = (uint8_t)(info->leap & 3);
	reply->version = req->version;
	reply->mode = NTP_MODE_SERVER;
	reply->stratum = (uint8_t)info->stratum;
	reply->poll = req->poll;
	reply->precision = (int8_t)info->precision_log2;
	reply->root_delay = wire_seconds_to_short(info->root_delay_s);
	reply->root_dispersion = wire_seconds_to_short(info->root_dispersion_s);
	memcpy(reply->refid, info->refid, 4);
	/* A clock disciplined continuously has no "last set" time of its own:
	 * the last whole second before T2 stands for it (never after the
	 * receive time, never stale) unless the clock or the sync engine says
	 * when it was last updated. An unsynchronised clock has no reference
	 * time (zero, as RFC 5905 says). */
	if (info->leap != TSD_LEAP_UNSYNC && info->stratum < NTP_STRATUM_UNSYNC)
		reply->reference = wire_ns_to_ntp(info->reference_ns > 0 && info->reference_ns <= t2
		                                  ? info->reference_ns
		                                  : floor_div(t2, NS_PER_S) * NS_PER_S);
	reply->origin = req->transmit;
	reply->receive = wire_ns_to_ntp(t2);
	reply->transmit = wire_ns_to_ntp(t3);
}

/* The times of one exchange are within 68 years of each other (wire_decode
 * with a pivot of the client's clock makes sure), so no sum overflows. */
double wire_offset_s(const struct tsd_sample *s)
{
	/* Sum first in integer nanoseconds: the halving is then exact and
	 * the large absolute times never meet a double. */
	int64_t twice_ns = (s->t2_ns - s->t1_ns) + (s->t3_ns - s->t4_ns);

	return (double)twice_ns / (2.0 * NS_PER_S);
}

double wire_delay_s(const struct tsd_sample *s)
{
	int64_t delay_ns = (s->t4_ns - s->t1_ns) - (s->t3_ns - s->t2_ns);

	return (double)delay_ns / NS_PER_S;
}

static int is_kiss_code(const uint8_t refid[4])
{
	for (int i = 0; i < 4; i++)
		if (refid[i] < 'A' || refid[i] > 'Z')
			return 0;
	return 1;
}

enum wire_server_state wire_server_state(const struct ntp_packet *p, char kod[5])
{
	kod[0] = '\0';
	if (p->stratum == 0 && is_kiss_code(p->refid)) {
		memcpy(kod, p->refid, 4);
		kod[4] = '\0';
		return WIRE_SERVER_KOD;
	}
	if (p->leap == TSD_LEAP_UNSYNC || p->stratum == 0 || p->stratum >= NTP_STRATUM_UNSYNC)
		return WIRE_SERVER_UNSYNC;
	return WIRE_SERVER_OK;
}

/* Printable ASCII, then NUL padding if any: "INIT", "SIM". */
static int is_refid_name(const uint8_t refid[4])
{
	int i = 0;

	while (i < 4 && refid[i] >= 0x20 && refid[i] < 0x7f)
		i++;
	if (i == 0)
		return 0;
	while (i < 4 && refid[i] == '\0')
		i++;
	return i == 4;
}

void wire_refid_text(const uint8_t refid[4], int stratum, char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return;
	if (stratum > 1 && !(stratum >= NTP_STRATUM_UNSYNC && is_refid_name(refid))) {
		snprintf(buf, len, "%u.%u.%u.%u", refid[0], refid[1], refid[2], refid[3]);
		return;
	}
	for (int i = 0; i < 4 && refid[i] != '\0' && n + 1 < len; i++)
		buf[n++] = refid[i] >= 0x20 && refid[i] < 0x7f ? (char)refid[i] : '?';
	buf[n] = '\0';
}

void wire_refid_hex(const uint8_t refid[4], char *buf, size_t len)
{
	snprintf(buf, len, "%02X%02X%02X%02X", refid[0], refid[1], refid[2], refid[3]);
}
