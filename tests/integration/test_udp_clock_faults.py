"""A clock reading the checked clock calls refuse is never served over UDP:
for every fault of tests/unit's clock_fake (now() failing or out of range,
info() out of range) a valid request gets no reply and the worker lives
on; the same plugin without a fault is answered."""

import socket
import sys

import hostile
import tsdtest
import udpchrony

NOW_FAULTS = ["fail", "positive", "nan_error", "inf_error", "neg_error", "before_1970",
              "after_2262"]
INFO_FAULTS = ["leap", "stratum", "precision", "nan_root", "neg_root", "inf_root"]
WAIT_S = 0.3 * tsdtest.slow_factor()


def replies(port, count=3):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(count):
            s.sendto(udpchrony.ntp_packet(), ("127.0.0.1", port))
        return udpchrony.drain(s, WAIT_S)


def check(plugins, fault):
    conf = 'plugin_dir = "%s";\nclock = { plugin = "fake"; fault = "%s"; };' % (plugins, fault)
    with udpchrony.TsdUdp(conf=conf, wait_udp=False) as tsd:
        workers = tsd.tsd.wait_workers(2)
        got = replies(tsd.udp_port)
        if fault == "none":
            assert len(got) == 3 and all(len(g) == 48 for g in got), got
            assert udpchrony.parse(got[0])["refid"] == b"FAKE", udpchrony.parse(got[0])
        else:
            assert got == [], "clock fault %s was served over UDP: %r" % (fault, got)
        assert tsd.tsd.workers() == workers, "a worker died on clock fault " + fault
        assert tsd.stop() == 0, "tsd did not exit 0"
        c = tsd.counters()
    # Refused readings are clock errors, not invalid packets.
    assert c["dropped"] == 0, (fault, c)
    assert c["served"] == (3 if fault == "none" else 0), (fault, c)


def main():
    tmp = tsdtest.Tsd(start=False, name="udp-clock-faults")
    try:
        plugins = hostile.plugin_dir_with(tmp.dir, "clock_fake.so")
        for fault in ["none"] + NOW_FAULTS + INFO_FAULTS:
            check(plugins, fault)
    finally:
        tmp.cleanup()
    print("UDP: no reply for clock faults " + " ".join(NOW_FAULTS + INFO_FAULTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
