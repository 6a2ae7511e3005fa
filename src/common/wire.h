/* The wire formats: the 48-byte NTPv4 packet, NTP timestamps, the text
 * reply, and the first-bytes test that tells a native client from a text one. */
#ifndef TSD_WIRE_H
#define TSD_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "tsd/plugin.h"

#define NTP_PACKET_SIZE 48
#define NTP_MODE_CLIENT 3
#define NTP_MODE_SERVER 4
#define NTP_VERSION 4
#define NTP_STRATUM_UNSYNC 16
/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
#define NTP_UNIX_EPOCH_DELTA 2208988800LL
/* Longest text reply: two 20-digit numbers, a tab and a newline. */
#define WIRE_TEXT_REPLY_MAX 48

/* A 64-bit NTP timestamp: seconds since the era start and a binary fraction. */
typedef uint64_t ntp_ts;

struct ntp_packet {
	uint8_t leap;                   /* 0..3 */
	uint8_t version;                /* 1..7 */
	uint8_t mode;                   /* 0..7 */
	uint8_t stratum;
	int8_t poll;
	int8_t precision;
	uint32_t root_delay;            /* NTP short format, 16.16 seconds */
	uint32_t root_dispersion;       /* NTP short format */
	uint8_t refid[4];
	ntp_ts reference;
	ntp_ts origin;
	ntp_ts receive;
	ntp_ts transmit;
};

/* Nanoseconds since the Unix epoch to an NTP timestamp and back. The era is
 * taken from a pivot: the NTP timestamp is read as the instant nearest the
 * pivot (RFC 5905 era handling), so 2036's wrap is invisible. */
ntp_ts wire_ns_to_ntp(tsd_time_ns ns);
tsd_time_ns wire_ntp_to_ns(ntp_ts ts, tsd_time_ns pivot_ns);
uint32_t wire_seconds_to_short(double seconds);   /* clamps to 0..65535.99 */
double wire_short_to_seconds(uint32_t s);

/* Exactly 48 bytes each way. decode fails (-1) only on a short buffer;
 * validity is a separate question. */
void wire_encode(const struct ntp_packet *p, uint8_t out[NTP_PACKET_SIZE]);
int wire_decode(const uint8_t *buf, size_t len, struct ntp_packet *p);

/* A request a server answers: mode 3, version 1..4 (0 and 5..7 refused),
 * transmit timestamp not zero. Returns 0 or -1. */
int wire_valid_client_request(const struct ntp_packet *p);
/* A reply a client accepts for a request whose transmit field was `cookie`:
 * mode 4, version 1..4, origin == cookie, transmit not zero. Leap 3 and
 * stratum 0 or 16 are returned as a separate condition by the caller. */
int wire_valid_server_reply(const struct ntp_packet *p, ntp_ts cookie);

/* What a valid reply says of the server. A kiss-o'-death is stratum 0 with
 * a kiss code (four ASCII capitals: "RATE", "DENY", ...), copied to kod[]; a
 * stratum 0 reply without one (an unsynchronised chronyd sends a zero
 * reference ID), leap 3 or stratum 16 and above is unsynchronised. */
enum wire_server_state { WIRE_SERVER_OK = 0, WIRE_SERVER_KOD = 1, WIRE_SERVER_UNSYNC = 2 };
enum wire_server_state wire_server_state(const struct ntp_packet *p, char kod[5]);

/* A reference ID as people read it: its ASCII characters at stratum 0 or 1
 * (a kiss code, a reference clock's name) and for a printable name like
 * "INIT" at stratum 16, else an IPv4 address in dots (for an IPv6 upstream, the first
 * four bytes of its address's MD5). Non-printing characters become '?'.
 * `len` of WIRE_REFID_TEXT_LEN is enough; WIRE_REFID_HEX_LEN for the hex. */
#define WIRE_REFID_TEXT_LEN 16
#define WIRE_REFID_HEX_LEN 9
void wire_refid_text(const uint8_t refid[4], int stratum, char *buf, size_t len);
/* The reference ID as 8 upper-case hexadecimal digits, "7F000001". */
void wire_refid_hex(const uint8_t refid[4], char *buf, size_t len);

/* The first-bytes rule. Returns WIRE_NATIVE, WIRE_TEXT, or WIRE_UNDECIDED
 * when fewer than the bytes needed have arrived. An extended frame's header
 * (below) also opens a native connection. */
enum wire_kind { WIRE_UNDECIDED = 0, WIRE_NATIVE = 1, WIRE_TEXT = 2 };
enum wire_kind wire_classify(const uint8_t *buf, size_t len);

/* An extended frame on a native connection (doc/protocol.md): a 4-byte
 * header, 0x00, 0x01, the packet's length (16 bits, big-endian), then an
 * NTP packet with extension fields (NTS). Byte 0 is never an NTP header
 * (mode 0, version 0), so frames and plain 48-byte packets mix on one
 * stream in both directions. */
#define WIRE_EXT_HEADER 4
#define WIRE_EXT_MARK 0x00
#define WIRE_EXT_TYPE_NTP 0x01
#define WIRE_EXT_PACKET_MIN 64          /* the header and one 16-byte field */
#define WIRE_EXT_PACKET_MAX 1024
#define WIRE_EXT_FRAME_MAX (WIRE_EXT_HEADER + WIRE_EXT_PACKET_MAX)
/* The frame at buf: 1 with its packet's length in *packet_len, 0 when
 * fewer than WIRE_EXT_HEADER bytes are there, -1 when the header is not an
 * extended frame's or the length is outside [MIN, MAX] or not a multiple
 * of 4. */
int wire_ext_frame(const uint8_t *buf, size_t len, size_t *packet_len);
/* Write the frame header for a packet of packet_len bytes. */
void wire_ext_put_header(uint8_t out[WIRE_EXT_HEADER], size_t packet_len);

/* "T2<TAB>T3\n" in Unix milliseconds (floor). Returns the length written
 * (at most WIRE_TEXT_REPLY_MAX - 1, NUL-terminated), or -1 if out is too small. */
int wire_text_reply(char *out, size_t outlen, tsd_time_ns t2, tsd_time_ns t3);
/* Parse "T2<TAB>T3\n" (the newline optional); -1 on anything else. */
int wire_parse_text_reply(const char *buf, size_t len, int64_t *t2_ms, int64_t *t3_ms);
/* A text reply's milliseconds as nanoseconds, each the midpoint of its
 * millisecond (the server truncates). -1 when either is more than 68 years
 * (2^31 s, as wire_ntp_to_ns) from the pivot, the client's clock at T1:
 * farther apart, the offset and delay sums could overflow. */
int wire_text_ms_to_ns(int64_t ms, tsd_time_ns pivot_ns, tsd_time_ns *out_ns);

/* Build a server reply to `req` from the clock's info, T2 and T3. */
void wire_make_reply(struct ntp_packet *reply, const struct ntp_packet *req,
                     const struct tsd_clock_info *info,
                     tsd_time_ns t2, tsd_time_ns t3);

/* The NTP on-wire quantities (RFC 5905), in seconds. */
double wire_offset_s(const struct tsd_sample *s);
double wire_delay_s(const struct tsd_sample *s);

#endif
