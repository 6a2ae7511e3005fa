"""Hostile UDP traffic (the packet-by-packet rules are test_udp_packets.py's):
random datagrams from hundreds of source addresses get replies only when
they are valid client requests, never larger than the request; a rate-limit
table far smaller than the number of sources does not lock anyone out; tsd
survives it all and still serves TCP and UDP."""

import os
import random
import socket
import time

import tsdtest
import udpchrony
import ports

SOURCES = 600           # 127.0.x.y addresses
PER_SOURCE = 4          # datagrams each, well within the burst of 16
TABLE = 64              # addresses the rate limiter tracks
CONF = """server = { listen = [ "127.0.0.1" ]; workers = 2;
  udp = { enable = true; port = %d; ratelimit = { table_size = %d; }; }; };
"""


def is_valid(payload):
    """A client request tsd answers: 48 bytes or more, mode 3, version 1-4,
    transmit not zero."""
    return (len(payload) >= 48 and payload[0] & 7 == 3 and 1 <= (payload[0] >> 3) & 7 <= 4
            and any(payload[40:48]))


def random_payload(rng):
    size = rng.choice([0, 1, 2, 47, 48, 48, 49, 68, 200, 1400])
    data = bytearray(rng.getrandbits(8) for _ in range(size))
    if data and rng.random() < 0.5:
        data[0] = rng.choice([0x23, 0x1b, 0xe3, 0x0b, 0x24, 0x26, 0x27, 0x3b])
    return bytes(data)


def source(i):
    return "127.0.%d.%d" % (1 + i // 250, 1 + i % 250)


def spray(port, rng):
    """Send every source's datagrams, then check every reply against them."""
    socks, sent = [], {}
    try:
        for i in range(SOURCES):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((source(i), 0))
            socks.append(s)
            for _ in range(PER_SOURCE):
                payload = random_payload(rng)
                sent.setdefault(s.getsockname(), []).append(payload)
                s.sendto(payload, ("127.0.0.1", port))
        time.sleep(0.3 * tsdtest.slow_factor())
        answered = valid = 0
        for s in socks:
            mine = sent[s.getsockname()]
            valid += sum(1 for p in mine if is_valid(p))
            for reply in udpchrony.drain(s, 0.001):
                answered += 1
                check_reply(reply, mine)
    finally:
        for s in socks:
            s.close()
    print("%d datagrams from %d sources: %d valid requests, %d replies" % (
        SOURCES * PER_SOURCE, SOURCES, valid, answered))
    # The limiter may leak a KoD or drop, but most valid ones are answered.
    assert answered >= valid * 0.9, "valid requests unanswered: %d of %d" % (answered, valid)


def check_reply(reply, requests):
    r = udpchrony.parse(reply)
    matches = [p for p in requests if is_valid(p) and p[40:48] == reply[24:32]]
    assert matches, "a reply to no valid request: %r" % (r,)
    assert r["mode"] == 4, r
    assert len(reply) <= min(len(p) for p in matches), "a reply larger than its request"


def test():
    rng = random.Random(int(os.environ.get("TSD_TEST_SEED", time.time())))
    udp_port = ports.free_port(udp=True, ipv6_too=False)
    with tsdtest.Tsd(CONF % (udp_port, TABLE), name="hostile-udp") as tsd:
        workers = tsd.wait_workers(2)
        spray(udp_port, rng)
        assert udpchrony.exchange(udp_port, udpchrony.ntp_packet(), host="127.0.0.1"), \
            "a fresh client got no UDP reply after the spray"
        tsdtest.native_exchange(tsd.port)
        assert tsd.workers() == workers, "a worker died"
        assert tsd.stop() == 0, "tsd did not exit 0"


if __name__ == "__main__":
    tsdtest.main(test)
