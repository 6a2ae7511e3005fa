"""The relay adds what it is asked to and the same overhead both ways:
2 ms each way without jitter, in front of a tsd whose sim clock is +0.25 s
(so each sample's two legs are known: T2 - T1 - 0.25 s out, T4 - T3 +
0.25 s back, with T1, T4 and, interleaved, T3 the kernel's stamps). Each
leg's least overhead beyond the 2 ms is a few microseconds, over TCP and
UDP; a relay that stamped arrivals after its wake-up, slept into its
release instants or scanned its whole queue memory on every turn added
tens of microseconds to milliseconds, different each way."""

import statistics

import clienttest as ct
import ports
import tsdtest
import udpchrony as u

OFFSET_S = 0.25
DELAY_US = 2000.0
SAMPLES = 16
# The least overhead of a leg: a send and a wake-up of the receiver's
# kernel stamp, never a sleep.
MIN_LIMIT_US = 30.0
# The median: a leg released on time, give or take a busy machine.
MEDIAN_LIMIT_US = 1000.0


def legs(conf, port, udp):
    rc, j, err = ct.run_json(["-c", conf, "-n", str(SAMPLES)] + (["--udp"] if udp else []) +
                             [ct.addr(port)])
    assert rc == 0, err
    s = j["servers"][0]
    assert s["interleaved_t3"] >= SAMPLES - 1 and s["kernel_t1"] >= SAMPLES, s
    up = [(t2 - t1) / 1e3 - OFFSET_S * 1e6 - DELAY_US for t1, t2, _, _ in s["exchanges_ns"]]
    down = [(t4 - t3) / 1e3 + OFFSET_S * 1e6 - DELAY_US for _, _, t3, t4 in s["exchanges_ns"]]
    return up, down


def check(name, up, down):
    print("%s: overhead out min %.1f median %.1f us, back min %.1f median %.1f us" % (
        name, min(up), statistics.median(up), min(down), statistics.median(down)))
    for leg in (up, down):
        assert -5.0 <= min(leg) <= MIN_LIMIT_US, (name, leg)
        assert statistics.median(leg) <= MEDIAN_LIMIT_US, (name, leg)


def main():
    udp_port = ports.free_port(udp=True, ipv6_too=False)
    conf_text = ('clock = { plugin = "sim"; offset = %r; };\n'
                 'server = { listen = [ "127.0.0.1" ]; workers = 1;\n'
                 '  udp = { enable = true; port = %d; }; };\n' % (OFFSET_S, udp_port))
    with ct.tempdir() as d, tsdtest.Tsd(conf_text, name="relay-legs") as srv:
        assert u.wait_ntp(udp_port, 5.0 * tsdtest.slow_factor()), srv.log()
        conf = ct.client_conf(d)
        with ct.Relay(srv.port, DELAY_US / 1e3, DELAY_US / 1e3) as relay:
            check("tcp", *legs(conf, relay.port, False))
        with ct.Relay(udp_port, DELAY_US / 1e3, DELAY_US / 1e3, udp=True) as relay:
            check("udp", *legs(conf, relay.port, True))


if __name__ == "__main__":
    tsdtest.main(main)
