"""Helpers of the sync engine's integration tests: an upstream tsd with a
sim clock at a known offset (serving TCP and UDP), a follower tsd with a
sync group, and the follower's error measured against the upstream by
direct loopback exchanges (the minimum-delay one of several)."""

import os
import re
import time

import procfs
import tsdtest
import udpchrony

UPSTREAM_OFFSET_S = 0.25
# The follower's own clock: off and fast, as the issue describes.
FOLLOWER_CLOCK = 'clock = { plugin = "sim"; offset = -0.3; drift_ppm = 100; };'
FAST_POLL = "poll = { min = 0.5; max = 1.0; };"


def upstream(offset_s=UPSTREAM_OFFSET_S, clock_extra="", udp=""):
    """An upstream tsd (start it with `with`): sim clock at offset_s."""
    return udpchrony.TsdUdp(conf='clock = { plugin = "sim"; offset = %r; %s };'
                                 % (offset_s, clock_extra), udp=udp)


def source(up, protocol="udp"):
    port = up.udp_port if protocol == "udp" else up.tsd.port
    return '{ address = "127.0.0.1:%d"; protocol = "%s"; }' % (port, protocol)


def sync_group(sources, extra="", poll=FAST_POLL):
    return "sync = { sources = ( %s ); %s %s };" % (", ".join(sources), poll, extra)


def follower(sources, extra="", clock=FOLLOWER_CLOCK, server=""):
    """A follower tsd serving TCP and UDP, not started: use `with`."""
    return udpchrony.TsdUdp(conf="%s\n%s\n" % (clock, sync_group(sources, extra)),
                            server=server)


def served_offset_ns(port, n=5):
    """(offset of the server's clock from ours, its last reply), from the
    minimum-delay exchange of n over TCP."""
    best = None
    for _ in range(n):
        r = tsdtest.native_exchange(port)
        delay = (r["t4_ns"] - r["t1_ns"]) - (r["t3_ns"] - r["t2_ns"])
        offset = ((r["t2_ns"] - r["t1_ns"]) + (r["t3_ns"] - r["t4_ns"])) / 2
        if best is None or delay < best[0]:
            best = (delay, offset, r)
    return best[1], best[2]


def error_s(follower_port, upstream_port):
    """Follower minus upstream time, and the follower's last reply."""
    b, reply = served_offset_ns(follower_port)
    a, _ = served_offset_ns(upstream_port)
    return (b - a) / 1e9, reply


def wait_synced(fol, up, bound_s=0.001, timeout_s=30.0, stratum=2):
    """Wait until the follower serves the upstream's time within bound_s at
    `stratum`; returns the error. Fails with both logs otherwise."""
    end = time.monotonic() + timeout_s * tsdtest.slow_factor()
    err, reply = None, None
    while time.monotonic() < end:
        err, reply = error_s(fol.tsd.port, up.tsd.port)
        if abs(err) < bound_s and reply["stratum"] == stratum:
            return err
        time.sleep(0.2)
    raise AssertionError("not synchronised: error %r, reply %r\n---- follower ----\n%s"
                         % (err, reply, fol.log()))


def hold_within(fol, up, bound_s, seconds):
    """The worst |error| over `seconds`, failing past bound_s."""
    end = time.monotonic() + seconds
    worst = 0.0
    while time.monotonic() < end:
        err, reply = error_s(fol.tsd.port, up.tsd.port)
        worst = max(worst, abs(err))
        assert abs(err) < bound_s, "error %+.6f s past %g s\n%s" % (err, bound_s, fol.log())
        time.sleep(0.2)
    return worst


def sync_pid(tsd):
    """The PID of the `tsd: sync` child, or None."""
    for pid in procfs.children(tsd.pid):
        if "sync" in procfs.cmdline(pid):
            return pid
    return None


def log_count(fol, pattern):
    return len(re.findall(pattern, fol.log()))


def read_drift_ppm(path):
    with open(path) as f:
        return float(f.read())


def tmpfile(tsd, name):
    return os.path.join(tsd.tsd.dir, name)
