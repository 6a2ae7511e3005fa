"""server.udp.hwtimestamp with a network card faked under tsd: fakephc.c,
preloaded into the daemon, answers the driver's requests for lo as an
igb-like card with PHC /dev/ptp7 (the cross-timestamp refused, as most
cards do), a PHC running 37 s ahead of the system clock, and puts the
card's raw stamp beside the kernel's software stamp of every message tsd
receives. So the whole hardware path of the daemon runs: the master's
setup and its log line, the PHC descriptor handed to the workers and read
from their event loops under the sandbox, the card's stamps of requests
(T2) and of replies (the interleaved T3) converted back to system time,
the counts in tsdctl stats and the metrics, a reload keeping the card,
and each worker's summary at exit. A stamp converted wrong would be 37 s
off, which tsclient would see. Nothing reaches a real card or clock."""

import os
import sys
import tempfile

import tsdtest
import udpchrony
from test_udp_hwtimestamp import OFFSET_S, SIM, lines, stamp_counts, tsclient

import ports

CARD = ("udp: interface lo: hardware timestamps (PHC /dev/ptp7, read with "
        "PTP_SYS_OFFSET_EXTENDED; link 1000 Mb/s")


def preloaded(path):
    """The environment tsd starts with: the fake card preloaded (and ASan
    told that its runtime need not come first)."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = path
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
    return env


def check_exchanges(tmpdir, tsd, mport, before):
    """tsclient right within 100 us (a stamp converted wrong is 37 s off,
    or off by the PHC's readings) with kernel stamps and interleaved T3s,
    and the stamps it caused counted as the card's."""
    result = tsclient(tmpdir, tsd.udp_port)
    after = stamp_counts(tsd, mport)
    s = result["servers"][0]
    assert abs(result["offset_s"] - OFFSET_S) < 100e-6, result
    assert s["samples"] == 8 and s["interleaved_t3"] >= 1, s
    # Each request's T2 at least, from the card; nothing fell back.
    assert after["hardware"] - before["hardware"] >= s["kernel_t1"], (before, after, s)
    assert after["hardware_fallback"] == 0, after
    assert after["interfaces"] == [{"name": "lo", "source": "hardware", "phc": "/dev/ptp7",
                                    "phc_read": "PTP_SYS_OFFSET_EXTENDED",
                                    "link_mbps": 1000}], after
    print("offset %+.6f s (sim %+.2f s), %d exchanges, %d interleaved T3; card stamps "
          "%d (+%d), fallback %d, software %d" %
          (result["offset_s"], OFFSET_S, s["kernel_t1"], s["interleaved_t3"],
           after["hardware"], after["hardware"] - before["hardware"],
           after["hardware_fallback"], after["software"]))
    return after


def main():
    shim = os.path.join(os.environ["TEST_BUILDDIR"], ".libs", "fakephc.so")
    if not os.path.exists(shim):
        print("no %s: built by make check" % shim)
        return 77
    tmpdir = tempfile.mkdtemp(prefix="tsd-udp-hwfake-")
    mport = ports.free_port()
    conf = SIM + '\nmetrics = { listen = "127.0.0.1:%d"; };' % mport
    tsd = udpchrony.TsdUdp(conf=conf, udp='hwtimestamp = [ "lo" ];')
    saved, env = os.environ.copy(), preloaded(shim)
    os.environ.clear()
    os.environ.update(env)
    try:
        tsd.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        log = serve(tmpdir, tsd, mport)
    finally:
        tsd.tsd.__exit__(*sys.exc_info())
    used = lines(log, "udp: hardware timestamps: ")
    assert used and all(", 0 replaced" in line for line in used), log
    print(used[0].split("]: ", 1)[-1])
    return 0


def serve(tmpdir, tsd, mport):
    """The card named in the log, exchanges right, then again after a reload."""
    log = tsd.log()
    assert len(lines(log, CARD + ")")) == 1, log
    assert len(lines(log, "udp: timestamps: hardware on 1 of 1 interface (lo)")) == 1, log
    counts = check_exchanges(tmpdir, tsd, mport, stamp_counts(tsd, mport))

    # A reload keeps the card (its PHC descriptor duplicated, nothing
    # asked of the driver) and the new workers read it too.
    old = set(tsd.tsd.workers())        # the two workers and the metrics process
    rc, out, err = tsd.tsd.ctl("reload")
    assert rc == 0, (rc, out, err)
    assert tsdtest.wait_for(lambda: (lambda w: len(w) >= 2 and not w & old)(
        set(tsd.tsd.workers())), 20 * tsdtest.slow_factor()), tsd.log()
    assert len(lines(tsd.log(), CARD + "; kept)")) == 1, tsd.log()
    check_exchanges(tmpdir, tsd, mport, counts)
    tsd.stop()
    return tsd.log()


if __name__ == "__main__":
    sys.exit(main())
