"""tsd's UDP server, packet by packet: what it answers, with what, and what
it ignores; replies never larger than requests; the per-address rate limit
with and without KoD; the counters the workers log at exit; with dispatch
"reuseport" (a UDP socket per worker) both workers answer."""

import re
import socket
import sys
import time

import tsdtest
import udpchrony
from udpchrony import drain, drain_timed, ntp_packet, ntp_to_unix, parse

OFFSET_S = 0.5
SIM = 'clock = { plugin = "sim"; offset = %.1f; };' % OFFSET_S
# How long to wait for more replies (longer under valgrind).
WAIT_S = 0.3 * tsdtest.slow_factor()


def client(source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    return s


def ask(port, payload, source="127.0.0.1"):
    """Every reply to one datagram, within WAIT_S."""
    with client(source) as s:
        s.sendto(payload, ("127.0.0.1", port))
        return drain_timed(s, WAIT_S)


def check_reply(reply, request, sent_at):
    data, arrived_at = reply
    req, rep = parse(request), parse(data)
    assert len(data) == 48, "reply of %d bytes to a request of %d" % (len(data), len(request))
    assert rep["mode"] == 4, rep
    assert rep["version"] == req["version"], (req, rep)
    assert rep["origin"] == req["transmit"], "origin is not the request's transmit"
    assert rep["leap"] == 0 and 1 <= rep["stratum"] <= 15, rep
    t2, t3 = ntp_to_unix(rep["receive"]), ntp_to_unix(rep["transmit"])
    assert t2 <= t3, "T2 %.9f after T3 %.9f" % (t2, t3)
    # The server read T3 after the request left and before the reply came
    # back, so T3 - OFFSET_S lies in [sent_at, arrived_at] whatever the load.
    slack = 0.005
    assert sent_at - slack <= t3 - OFFSET_S <= arrived_at + slack, \
        "served time %.6f is not the sim clock (+%.1f s) between send %.6f and arrival %.6f" % (
            t3, OFFSET_S, sent_at, arrived_at)


def answered(port):
    """Valid requests: each gets one reply of exactly 48 bytes."""
    requests = [ntp_packet(), ntp_packet(version=3), ntp_packet(version=1),
                ntp_packet(version=2, leap=3, stratum=16),
                ntp_packet(extra=bytes(20)),            # a MAC of NTPv3 (key id + MD5)
                ntp_packet(extra=bytes(16 + 28)),       # an extension field and a MAC
                ntp_packet(extra=bytes(1000))]          # far more than a header
    for req in requests:
        sent_at = time.time()
        got = ask(port, req)
        assert len(got) == 1, "%d replies to a valid %d-byte request" % (len(got), len(req))
        check_reply(got[0], req, sent_at)
    return len(requests)


def ignored(port):
    """Not client requests: no reply at all."""
    bad = {
        "empty": b"",
        "1 byte": b"\x23",
        "47 bytes": ntp_packet()[:47],
        "mode 4 (a reply)": ntp_packet(mode=4),
        "mode 1 (symmetric active)": ntp_packet(mode=1),
        "mode 5 (broadcast)": ntp_packet(mode=5),
        "mode 6 (control)": ntp_packet(mode=6),
        "mode 7 (private)": ntp_packet(mode=7),
        "version 0": ntp_packet(version=0),
        "version 5": ntp_packet(version=5),
        "version 7": ntp_packet(version=7),
        "zero transmit": ntp_packet(transmit=0),
    }
    with client() as s:
        for payload in bad.values():
            s.sendto(payload, ("127.0.0.1", port))
        got = drain(s, WAIT_S * 2)
    assert got == [], "replies to invalid packets: %s" % [parse(g) for g in got if len(g) >= 48]
    return len(bad)


def ipv6(port):
    """The same over IPv6, on the ::1 socket."""
    req = ntp_packet()
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        sent_at = time.time()
        s.sendto(req, ("::1", port))
        got = drain_timed(s, WAIT_S)
    assert len(got) == 1, "%d replies over IPv6" % len(got)
    check_reply(got[0], req, sent_at)
    return 1


def test_packets():
    with udpchrony.TsdUdp(conf=SIM, listen='"127.0.0.1", "::1"') as tsd:
        n_ok = answered(tsd.udp_port) + ipv6(tsd.udp_port)
        n_bad = ignored(tsd.udp_port)
        tsd.stop()
        c = tsd.counters()
    # The start-up probe (wait_ntp) may have taken a few requests.
    assert n_ok <= c["served"] <= n_ok + 30, (n_ok, c)
    assert c["dropped"] == n_bad and c["limited"] == 0 and c["kod"] == 0, (n_bad, c)
    print("packets: %d answered with 48 bytes (one over IPv6), %d ignored; counters %s"
          % (n_ok, n_bad, c))


def burst(port, source, count):
    """`count` requests at once from one address: (normal replies, KoD replies)."""
    normal, kod = 0, 0
    sent = {}
    with client(source) as s:
        sent_at = time.time()
        for _ in range(count):
            req = ntp_packet()
            sent[parse(req)["transmit"]] = req
            s.sendto(req, ("127.0.0.1", port))
        replies = drain_timed(s, WAIT_S * 2)
    for data, arrived_at in replies:
        rep = parse(data)
        assert len(data) == 48 and rep["origin"] in sent, rep
        if rep["stratum"] == 0:
            assert rep["refid"] == b"RATE" and rep["leap"] == 3 and rep["mode"] == 4, rep
            kod += 1
        else:
            check_reply((data, arrived_at), sent[rep["origin"]], sent_at)
            normal += 1
    return normal, kod


def test_rate_limit(kod):
    # One token a second, 4 at once, every 3rd limited packet leaked: a burst
    # of 40 in well under a second gets exactly 4 replies and 12 leaks, on any
    # worker (the table is shared).
    limit = "ratelimit = { interval = 1.0; burst = 4; leak = 3; kod = %s; };" % (
        "true" if kod else "false")
    with udpchrony.TsdUdp(conf=SIM, udp=limit) as tsd:
        normal, kods = burst(tsd.udp_port, "127.0.0.3", 40)
        other_normal, other_kod = burst(tsd.udp_port, "127.0.0.4", 4)
        tsd.stop()
        c = tsd.counters()
    if kod:
        assert (normal, kods) == (4, 12), "burst of 40: %d replies, %d KoD" % (normal, kods)
    else:
        assert (normal, kods) == (16, 0), "burst of 40: %d replies, %d KoD" % (normal, kods)
    assert (other_normal, other_kod) == (4, 0), "another address was limited too"
    assert c["limited"] == 24, c
    assert c["kod"] == (12 if kod else 0), c
    # The start-up probe came from 127.0.0.1: 1 to a few more replies.
    expect_served = 8 if kod else 20
    assert expect_served < c["served"] <= expect_served + 10, c
    print("rate limit (kod %s): burst of 40 -> %d replies, %d KoD; counters %s"
          % (kod, normal, kods, c))


def test_reuseport():
    """32 clients on distinct ports: each answered, by both workers (with
    balance = "flow" the kernel hashes the source over the two sockets; all
    32 on one has a chance of 2 in 2^32), and each worker logs what it
    served. test_udp_balance.py tests the default, "cpu"."""
    with udpchrony.TsdUdp(conf=SIM, server='dispatch = "reuseport";',
                          udp='balance = "flow";') as tsd:
        for _ in range(32):
            req = ntp_packet()
            sent_at = time.time()
            got = ask(tsd.udp_port, req)
            assert len(got) == 1, "%d replies" % len(got)
            check_reply(got[0], req, sent_at)
        tsd.stop()
        log = tsd.log()
    assert "dispatch reuseport" in log, log
    served = [int(n) for n in re.findall(r"udp: served (\d+),", log)]
    assert len(served) == 2 and min(served) > 0, "served per worker: %r" % served
    assert 32 <= sum(served) <= 32 + 10, served     # and the start-up probes
    print("reuseport: 32 clients answered; served per worker %r" % served)


def main():
    test_reuseport()
    test_packets()
    test_rate_limit(kod=True)
    test_rate_limit(kod=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
