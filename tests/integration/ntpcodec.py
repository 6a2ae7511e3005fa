"""The NTP packet for the tests and benchmarks: one encoder and one decoder
of the 48-byte header, and the timestamp conversions (RFC 5905)."""

import os
import struct

NTP_UNIX_DELTA = 2208988800         # seconds from 1900 to 1970
NTP_FORMAT = "!BBbbII4sQQQQ"
NTP_HEADER_BYTES = 48


def ntp_to_ns(ts):
    """A 64-bit NTP timestamp as Unix nanoseconds."""
    return ((ts >> 32) - NTP_UNIX_DELTA) * 1000000000 + ((ts & 0xffffffff) * 1000000000 >> 32)


def ns_to_ntp(ns):
    sec, frac = divmod(ns, 1000000000)
    return ((sec + NTP_UNIX_DELTA) << 32) | ((frac << 32) // 1000000000)


def ntp_to_unix(ts):
    """A 64-bit NTP timestamp as Unix seconds (a float)."""
    return (ts >> 32) - NTP_UNIX_DELTA + (ts & 0xffffffff) / 2**32


def packet(mode=3, version=4, leap=0, stratum=0, transmit=None, extra=b""):
    """A 48-byte NTP header (plus `extra` bytes); a random odd transmit
    timestamp unless one is given."""
    if transmit is None:
        transmit = int.from_bytes(os.urandom(8), "big") | 1
    first = (leap << 6) | (version << 3) | mode
    return struct.pack(NTP_FORMAT, first, stratum, 0, 0, 0, 0, b"\0\0\0\0",
                       0, 0, 0, transmit) + extra


def parse(data):
    """The fields of the first 48 bytes of a packet as a dict; timestamps
    raw (ntp_to_ns or ntp_to_unix converts them)."""
    (first, stratum, poll, precision, root_delay, root_dispersion, refid, reference,
     origin, receive, transmit) = struct.unpack(NTP_FORMAT, data[:NTP_HEADER_BYTES])
    return {"leap": first >> 6, "version": (first >> 3) & 7, "mode": first & 7,
            "stratum": stratum, "poll": poll, "precision": precision,
            "root_delay": root_delay, "root_dispersion": root_dispersion,
            "refid": refid, "reference": reference, "origin": origin,
            "receive": receive, "transmit": transmit}
