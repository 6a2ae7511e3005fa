"""SIGUSR2 to the master logs the statistics: the workers' counters summed,
with what exited workers counted kept. Checked by differences: the numbers
between two requests for statistics must grow by exactly what the test did
in between (native and text exchanges, a bad request, UDP replies, invalid
datagrams, rate-limited ones and KoDs), and a worker killed or retired by
a reload takes nothing away."""

import os
import signal
import socket
import time

import tsdtest
import udpchrony
from udpchrony import drain_timed, ntp_packet
import ports

WAIT_S = 0.3 * tsdtest.slow_factor()
# One packet a second per address, 4 at once, every 3rd limited one a KoD.
CONF = """clock = { plugin = "sim"; offset = 0.5; };
server = { listen = [ "127.0.0.1" ]; workers = 2;
  udp = { enable = true; port = %d;
          ratelimit = { interval = 1; burst = 4; leak = 3; kod = true; }; }; };
"""
def delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after}


def settled(tsd, before, want):
    """Statistics once they have grown by `want` (a worker counts a reply
    just after sending it, so the last count may land a moment after the
    reply), or after 3 s, whichever is first."""
    end = time.monotonic() + 3 * tsdtest.slow_factor()
    while True:
        now = tsdtest.statistics(tsd)
        d = delta(now, before)
        if all(d[k] == n for k, n in want.items()) or time.monotonic() > end:
            return now
        time.sleep(0.05)


def udp_burst(port, source, count, want):
    """count requests at once from one address; the number of replies,
    waiting up to 2 s for `want` of them and then WAIT_S for any more."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        for _ in range(count):
            s.sendto(ntp_packet(), ("127.0.0.1", port))
        got = 0
        s.settimeout(2 * tsdtest.slow_factor())
        try:
            while got < want:
                s.recv(2048)
                got += 1
        except socket.timeout:
            return got
        return got + len(drain_timed(s, WAIT_S))


def traffic(tsd, udp_port):
    """What the statistics must show afterwards, exactly."""
    for _ in range(7):
        tsdtest.native_exchange(tsd.port)
    for _ in range(3):
        tsdtest.text_exchange(tsd.port)
    # A bad native request (a client header, transmit field 0) ends its
    # connection unanswered.
    with socket.create_connection(("127.0.0.1", tsd.port), 5) as s:
        s.sendall(b"\x23" + bytes(47))
        s.settimeout(5 * tsdtest.slow_factor())
        assert s.recv(100) == b"", "a bad request was answered"
    # UDP: 3 fresh addresses within their burst, 2 invalid datagrams, and a
    # burst of 16 from one more address: 4 answered, 12 limited, of which
    # every 3rd (4) gets a KoD and 8 nothing.
    for i in range(3):
        assert udp_burst(udp_port, "127.0.1.%d" % (i + 1), 1, 1) == 1
    for payload in (ntp_packet(mode=4), b"\x23" * 10):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.1.9", 0))
            s.sendto(payload, ("127.0.0.1", udp_port))
            assert drain_timed(s, WAIT_S) == [], "an invalid datagram was answered"
    assert udp_burst(udp_port, "127.0.2.1", 16, 4 + 4) == 4 + 4
    return {"tcp_native": 7, "tcp_text": 3, "tcp_bad_request": 1,
            "udp_served": 3 + 4, "udp_dropped": 2, "udp_rate_limited": 8, "udp_kod": 4}


def test():
    udp_port = ports.free_port(udp=True, ipv6_too=False)
    with tsdtest.Tsd(CONF % udp_port, name="stats") as tsd:
        assert udpchrony.wait_ntp(udp_port, 5 * tsdtest.slow_factor())
        workers = tsd.wait_workers(2)
        time.sleep(0.2)                     # the start-up probes are answered
        s0 = tsdtest.statistics(tsd)
        assert s0["workers_running"] == 2 and s0["exited"] == 0, s0
        want = traffic(tsd, udp_port)
        # The connections the workers count as accepted: 7 + 3 + 1.
        want["tcp_accepted"] = 11
        s1 = settled(tsd, s0, want)
        d = delta(s1, s0)
        print("statistics after the traffic (differences): %r" % {k: d[k] for k in want})
        for key, n in want.items():
            assert d[key] == n, "%s grew by %d, want %d (%r -> %r)" % (key, d[key], n, s0, s1)
        assert d["tcp_refused"] == 0 and d["clock_errors"] == 0, d

        # A killed worker's counts stay in the totals.
        os.kill(workers[0], signal.SIGKILL)
        tsdtest.wait_for(lambda: workers[0] not in tsd.workers() and len(tsd.workers()) == 2,
                         5 * tsdtest.slow_factor())
        s2 = tsdtest.statistics(tsd)
        assert s2["exited"] == 1 and s2["workers_running"] == 2, s2
        # A reload retires both workers; their counts stay too.
        tsd.signal(signal.SIGHUP)
        assert tsdtest.wait_for(lambda: tsdtest.statistics(tsd)["exited"] == 3,
                                10 * tsdtest.slow_factor()), tsd.log()
        s3 = tsdtest.statistics(tsd)
        for key in want:
            assert s2[key] == s1[key] == s3[key], \
                "%s changed without traffic: %d, %d, %d" % (key, s1[key], s2[key], s3[key])
        print("after a worker was killed and a reload: %d exited, totals kept: %r"
              % (s3["exited"], {k: s3[k] for k in want}))
        # SIGUSR2 to a worker (pkill -USR2 tsd) must not kill it.
        live = tsd.workers()
        for pid in live:
            os.kill(pid, signal.SIGUSR2)
        time.sleep(0.2)
        assert sorted(tsd.workers()) == sorted(live), "a worker died of SIGUSR2"


if __name__ == "__main__":
    tsdtest.main(test)
