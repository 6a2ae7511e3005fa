"""The realtime (and tai) clock's follow_chronyd: a tsd without `sync` on a host whose
clock chronyd keeps serves chronyd's stratum, reference ID, root delay, root
dispersion and leap, read from chronyd's command socket (`tracking`).

1. A real `chronyd -x` (its own config, pidfile and a command socket in a
   0700 directory; no NTP port) follows an upstream tsd (sim clock, stratum
   2) and reaches stratum 3 with reference ID 127.0.0.1. A tsd following it
   serves that over TCP and UDP. chronyd stopped: the tsd keeps the cached
   report while it is fresh, then serves unsynchronised.
2. A fake command socket (fakechronyd.py) with chosen values: each is
   served exactly, the dispersion grows with the report's age, an
   unsynchronised chronyd is not followed (local_stratum then decides), and
   oversized, wrong-version and wrong-sequence replies are refused with a
   log line each while tsd goes on serving."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import fakechronyd
import synctest
import tsdtest
import udpchrony
from ntpcodec import packet as ntp_packet

UNIT = 1.0 / 65536        # NTP short format: root delay and dispersion
MAX_AGE_S = 10.0          # CHRONYD_MAX_AGE_NS
QUERY_INTERVAL_S = 2.0    # CHRONYD_QUERY_INTERVAL_NS
RATE = 15e-6              # dispersion growth, s/s


def follower(sock_path, extra="", plugin="realtime"):
    """A tsd (TCP and UDP) whose realtime (or tai) clock follows the
    chronyd at sock_path; its own client sockets go in a directory of the
    test."""
    own_dir = tempfile.mkdtemp(prefix="tsd-chronyc-")
    conf = ('clock = { plugin = "%s"; follow_chronyd = "%s"; '
            'follow_chronyd_dir = "%s"; %s };' % (plugin, sock_path, own_dir, extra))
    t = udpchrony.TsdUdp(conf=conf)
    t.own_dir = own_dir
    return t


def served(t, udp=False):
    """The hierarchy fields of one reply: (stratum, leap, refid bytes,
    root delay s, root dispersion s, reference NTP seconds)."""
    if udp:
        data = udpchrony.exchange(t.udp_port, ntp_packet(), timeout=2.0)
        assert data is not None, "no UDP answer\n%s" % t.log()
        r = udpchrony.parse(data)
    else:
        r = tsdtest.native_exchange(t.tsd.port)
    return (r["stratum"], r["leap"], r["refid"], r["root_delay"] * UNIT,
            r["root_dispersion"] * UNIT, r["reference"] >> 32)


def wait_served(t, stratum, leap, timeout_s):
    got = tsdtest.wait_for(lambda: (lambda s: s if s[0] == stratum and s[1] == leap else None)(
        served(t)), timeout_s * tsdtest.slow_factor(), 0.1)
    assert got, "never stratum %d leap %d: %r\n%s" % (stratum, leap, served(t), t.log())
    return got


# ---- 1. a real chronyd -x, client of a stratum-2 tsd ----

class ChronydClient:
    """chronyd -x following 127.0.0.1:port, its command socket in a 0700
    directory, no NTP port, no command port."""

    def __init__(self, port):
        self.tmp = tempfile.mkdtemp(prefix="tsd-chronyd-client-")
        run = os.path.join(self.tmp, "run")
        os.mkdir(run, 0o700)
        self.sock = os.path.join(run, "sock")
        self.conf = os.path.join(self.tmp, "chrony.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join([
                "pidfile %s" % os.path.join(self.tmp, "chronyd.pid"),
                "bindcmdaddress %s" % self.sock, "cmdport 0", "port 0",
                "server 127.0.0.1 port %d minpoll 0 maxpoll 0 iburst" % port]) + "\n")
        self.log = open(os.path.join(self.tmp, "chronyd.log"), "w")
        self.proc = subprocess.Popen(
            [udpchrony.need_chronyd(), "-x", "-d", "-f", self.conf] + udpchrony.privilege_args(),
            stdout=self.log, stderr=subprocess.STDOUT)

    def tracking(self):
        return fakechronyd.chronyc_tracking(self.sock)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def check_against_chronyc(t, chrony):
    before = chrony.tracking()
    tcp = served(t)
    udp = served(t, udp=True)
    after = chrony.tracking()
    for s in (tcp, udp):
        stratum, leap, refid, delay, disp, _ = s
        assert stratum == before["stratum"] == 3 and leap == 0, (s, before)
        assert refid == b"\x7f\x00\x00\x01", s
        # The report tsd holds is at most a query interval (and a tick) old:
        # chronyd's root delay and dispersion then, within the NTP short
        # format's resolution, dispersion grown by at most 15 ppm/s since.
        lo_delay = min(before["root_delay"], after["root_delay"])
        hi_delay = max(before["root_delay"], after["root_delay"])
        assert lo_delay - 0.0002 - UNIT <= delay <= hi_delay + 0.0002 + UNIT, (s, before, after)
        assert 0 < disp < max(before["root_dispersion"], after["root_dispersion"]) + 0.001, \
            (s, before, after)
    print("chronyd: stratum %d refid %08X root delay %.6f dispersion %.6f; tsd serves "
          "stratum %d refid %s root delay %.6f dispersion %.6f"
          % (before["stratum"], before["ref_id"], before["root_delay"],
             before["root_dispersion"], tcp[0], tcp[2].hex(), tcp[3], tcp[4]))


def real_chronyd():
    with synctest.upstream(clock_extra="stratum = 2;") as up:
        with ChronydClient(up.udp_port) as chrony:
            ok = tsdtest.wait_for(lambda: (chrony.tracking() or {}).get("stratum") == 3,
                                  30.0 * tsdtest.slow_factor(), 0.5)
            assert ok, "chronyd never reached stratum 3: %r" % chrony.tracking()
            t = follower(chrony.sock)
            try:
                with t:
                    wait_served(t, 3, 0, 10.0)
                    # Every worker has asked chronyd by then.
                    time.sleep(QUERY_INTERVAL_S)
                    check_against_chronyc(t, chrony)
                    chrony.stop()
                    stopped = time.monotonic()
                    # The cached report stays served while it is fresh ...
                    time.sleep(1.0)
                    s = served(t)
                    assert s[0] == 3 and s[1] == 0, "dropped at once: %r" % (s,)
                    # ... then the tsd says it is unsynchronised.
                    wait_served(t, 16, 3, MAX_AGE_S + QUERY_INTERVAL_S + 5.0)
                    gone = time.monotonic() - stopped
                    assert gone >= MAX_AGE_S - QUERY_INTERVAL_S - 1.5, gone
                    assert "serving unsynchronised" in t.log(), t.log()
                    print("chronyd stopped: unsynchronised after %.1f s" % gone)
            finally:
                shutil.rmtree(t.own_dir, ignore_errors=True)


# ---- 2. a fake command socket: exact values, aging, refusals ----

REF_S = 1767225600      # 2026-01-01: chronyd's last update, as the fake says
# What the fake says from the start (every worker's first report).
FAKE_REPORT = dict(ref_id=0x0A000001, stratum=4, leap=1, root_delay=0.0125,
                   root_dispersion=0.0375, ref_time=(REF_S, 250000000))


def exact_values(fake, t):
    ref_s = REF_S
    stratum, leap, refid, delay, disp, ref_ntp = wait_served(t, 4, 1, 10.0)
    assert refid == b"\x0a\x00\x00\x01", refid
    assert abs(delay - 0.0125) <= UNIT, delay
    assert 0.0375 - UNIT <= disp <= 0.0375 + (QUERY_INTERVAL_S + 2) * RATE + UNIT, disp
    assert ref_ntp == ref_s + 2208988800, ref_ntp
    return disp


def aging(fake, t):
    fake.mode = "silent"
    time.sleep(6.0)
    stratum, leap, _, _, disp, _ = served(t)
    assert stratum == 4 and leap == 1, "not the cached report: %r" % (served(t),)
    assert disp >= 0.0375 + 6.0 * RATE - UNIT, disp
    wait_served(t, 16, 3, MAX_AGE_S + 3.0)
    print("silent: dispersion %.6f s after 6 s, then unsynchronised" % disp)


def refusals(fake, t):
    pids = sorted(t.tsd.workers())
    for mode, phrase in (("oversized", "reply refused: 2000 bytes, expected 104"),
                         ("version", "reply refused: protocol version 5, expected 6"),
                         ("sequence", "reply refused: sequence number")):
        fake.mode = mode
        ok = tsdtest.wait_for(lambda: phrase in t.log(), 3 * QUERY_INTERVAL_S + 2, 0.1)
        assert ok, "no %r in the log\n%s" % (phrase, t.log())
        s = served(t)
        assert s[0] == 16 and s[1] == 3, "a refused reply was served: %r" % (s,)
    assert sorted(t.tsd.workers()) == pids, "a worker died"
    fake.mode = "report"
    wait_served(t, 4, 1, 3 * QUERY_INTERVAL_S)


def unsynchronised(fake, t):
    fake.report.update(stratum=0, leap=3)
    # Each worker says so once it has the report, and serves leap 3 at once.
    phrase = "not synchronised (stratum 0, leap 3)"
    ok = tsdtest.wait_for(lambda: t.log().count(phrase) >= 2, 3 * QUERY_INTERVAL_S + 2, 0.1)
    assert ok, t.log()
    for _ in range(10):
        s = served(t)
        assert s[0] == 16 and s[1] == 3, s


def fake_chronyd():
    with fakechronyd.FakeChronyd() as fake:
        fake.report.update(FAKE_REPORT)
        t = follower(fake.path)
        try:
            with t:
                exact_values(fake, t)
                aging(fake, t)
                refusals(fake, t)
                unsynchronised(fake, t)
        finally:
            shutil.rmtree(t.own_dir, ignore_errors=True)
        fake.report.update(stratum=0, leap=3)
        # An unsynchronised chronyd: local_stratum decides, as for the
        # kernel's own unsynchronised flag.
        t = follower(fake.path, "local_stratum = 7;")
        try:
            with t:
                time.sleep(QUERY_INTERVAL_S)
                s = served(t)
                assert s[0] == 7 and s[1] == 0, s
        finally:
            shutil.rmtree(t.own_dir, ignore_errors=True)
        # The tai clock follows chronyd the same way.
        fake.report.update(FAKE_REPORT)
        t = follower(fake.path, plugin="tai")
        try:
            with t:
                s = wait_served(t, 4, 1, 10.0)
                assert s[2] == b"\x0a\x00\x00\x01", s
        finally:
            shutil.rmtree(t.own_dir, ignore_errors=True)


def test():
    udpchrony.need_chronyd()
    if shutil.which("chronyc") is None:
        raise tsdtest.SkipTest("chronyc not found (Debian's chrony package)")
    fake_chronyd()
    real_chronyd()


if __name__ == "__main__":
    tsdtest.main(test)
