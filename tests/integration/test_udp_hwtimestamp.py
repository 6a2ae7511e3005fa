"""server.udp.hwtimestamp where no interface has hardware timestamps (lo,
veth): every interface asked for is named in the log with the reason, one
line says software stamps are used, and the replies are as right as
without the setting (tsclient --udp, kernel stamps both ways, interleaved
mode). A name that is no interface is a warning, not a failure. tsdctl
stats and the metrics count the stamps (no card's, software ones rising
with the queries) and name each interface's source. The setting without
the UDP server is a warning at start and at reload. Runs in a private
network namespace (root and unshare), with a veth pair of its own, so that
"*" never reaches a real card's timestamping setting."""

import json
import os
import signal
import subprocess
import sys
import tempfile

import ports
import tsdtest
import udpchrony

OFFSET_S = 0.5
SIM = 'clock = { plugin = "sim"; offset = %.1f; };' % OFFSET_S


def tsclient(tmpdir, port):
    conf = os.path.join(tmpdir, "client.conf")
    with open(conf, "w") as f:
        f.write('plugin_dir = "%s";\nclock = { plugin = "realtime"; };\n'
                'client = { samples = 8; timeout = 2.0; };\n' % os.environ["PLUGIN_DIR"])
    proc = subprocess.run([os.environ["TSCLIENT"], "-c", conf, "--udp", "--json",
                           "127.0.0.1:%d" % port], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=20)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def stamp_counts(tsd, mport):
    """tsdctl stats' stamp counts and sources, once the metrics say the same."""
    import test_metrics     # its scrape and value (skips without the parser)

    def same():
        ts = tsd.tsd.ctl_json("stats")["udp"]["timestamps"]
        m = test_metrics.scrape(mport)
        got = (test_metrics.value(m, "tsd_udp_hw_timestamps_total"),
               test_metrics.value(m, "tsd_udp_hw_timestamps_fallback_total"),
               test_metrics.value(m, "tsd_udp_sw_timestamps_total"))
        return ts if got == (ts["hardware"], ts["hardware_fallback"], ts["software"]) else None
    ts = tsdtest.wait_for(same, 10 * tsdtest.slow_factor(), 0.1)
    assert ts, "tsdctl stats and the metrics never agreed:\n%s" % tsd.log()
    return ts


def serve(tmpdir, setting, sources=()):
    """Start tsd with the setting, check tsclient's answer and the stamps
    counted (software only, the interfaces' sources), return the log."""
    mport = ports.free_port()
    conf = SIM + '\nmetrics = { listen = "127.0.0.1:%d"; };' % mport
    with udpchrony.TsdUdp(conf=conf, udp=setting) as tsd:
        before = stamp_counts(tsd, mport)
        result = tsclient(tmpdir, tsd.udp_port)
        after = stamp_counts(tsd, mport)
        rc, text, err = tsd.tsd.ctl("stats")
        tsd.stop()
        log = tsd.log()
    assert rc == 0 and "timestamps:" in text and "hardware_fallback:" in text, text + err
    s = result["servers"][0]
    # Every request tsclient made had a software T2 (interleaved T3s add more).
    assert after["hardware"] == 0 and after["hardware_fallback"] == 0, after
    assert after["software"] - before["software"] >= s["kernel_t1"], (before, after, s)
    assert sorted((i["name"], i["source"]) for i in after["interfaces"]) == \
        sorted((name, "software") for name in sources), after
    print("%s: stamps hardware %d, fallback %d, software %d (+%d for %d exchanges)" %
          (setting or "no hwtimestamp", after["hardware"], after["hardware_fallback"],
           after["software"], after["software"] - before["software"], s["kernel_t1"]))
    assert abs(result["offset_s"] - OFFSET_S) < 0.001, result
    assert s["samples"] == 8, s
    # Software stamps both ways on every exchange, as without the setting
    # (tsclient makes up a sample that waited in vain for its interleaved
    # T3 with one more exchange, at most twice the samples in all).
    assert s["kernel_t1"] == s["kernel_t4"] and 8 <= s["kernel_t1"] <= 16, s
    return log


def lines(log, needle):
    return [line for line in log.splitlines() if needle in line]


def expect_software(log, names):
    for name in names:
        got = lines(log, "udp: interface %s: " % name)
        assert len(got) == 1 and "software timestamps" in got[0], \
            "interface %s: %r in:\n%s" % (name, got, log)
    summary = lines(log, "udp: timestamps: ")
    assert len(summary) == 1, "not one summary line:\n%s" % log
    assert "software only" in summary[0], summary[0]
    assert not lines(log, "hardware timestamps (PHC"), log
    return summary[0]


def reload(tmpdir):
    """A reload from lo to the veth pair: each interface named again, one
    summary line per generation, and the new workers serve right."""
    with udpchrony.TsdUdp(conf=SIM, udp='hwtimestamp = [ "lo" ];') as tsd:
        old = set(tsd.tsd.wait_workers(2))
        with open(tsd.tsd.conf_path) as f:
            text = f.read()
        with open(tsd.tsd.conf_path, "w") as f:
            f.write(text.replace('hwtimestamp = [ "lo" ];',
                                 'hwtimestamp = [ "tsdhw0", "tsdhw1" ];'))
        tsd.tsd.signal(signal.SIGHUP)
        assert tsdtest.wait_for(lambda: (lambda w: len(w) == 2 and not w & old)(
            set(tsd.tsd.workers())), 20 * tsdtest.slow_factor()), tsd.log()
        result = tsclient(tmpdir, tsd.udp_port)
        tsd.stop()
        log = tsd.log()
    assert "reload failed" not in log and "configuration reloaded" in log, log
    assert abs(result["offset_s"] - OFFSET_S) < 0.001, result
    assert len(lines(log, "udp: timestamps: software only")) == 2, log
    for name in ("lo", "tsdhw0", "tsdhw1"):
        assert len(lines(log, "udp: interface %s: " % name)) == 1, log
    print("reload from lo to tsdhw0, tsdhw1: each named once, software, served right")


def without_udp():
    """The setting with the UDP server off: a warning at start and at each
    reload, nothing turned on, and the TCP service runs."""
    warning = "server.udp.hwtimestamp is set but server.udp.enable is false"
    conf = ('%s\nserver = { listen = [ "127.0.0.1" ]; workers = 1;\n'
            '  udp = { enable = false; hwtimestamp = [ "lo" ]; }; };\n' % SIM)
    with tsdtest.Tsd(conf, name="udp-off") as tsd:
        assert len(lines(tsd.log(), warning)) == 1, tsd.log()
        rc, out, err = tsd.ctl("reload")
        assert rc == 0, (rc, out, err)
        assert len(lines(tsd.log(), warning)) == 2, tsd.log()
        tsdtest.native_exchange(tsd.port)
        tsd.stop()
        log = tsd.log()
    assert not lines(log, "udp: interface ") and not lines(log, "udp: timestamps: "), log
    print(lines(log, warning)[0].split("]: ", 1)[-1])


def main():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "link", "add", "tsdhw0", "type", "veth", "peer", "name", "tsdhw1"],
                   check=True)
    tmpdir = tempfile.mkdtemp(prefix="tsd-udp-hwtimestamp-")

    log = serve(tmpdir, 'hwtimestamp = [ "lo" ];', ["lo"])
    expect_software(log, ["lo"])
    why = lines(log, "udp: interface lo: ")[0]
    assert "no hardware timestamping (ethtool reports software only)" in why, why
    print(why.split("]: ", 1)[-1])

    log = serve(tmpdir, 'hwtimestamp = [ "*" ];', ["lo", "tsdhw0", "tsdhw1"])
    summary = expect_software(log, ["lo", "tsdhw0", "tsdhw1"])
    print(summary.split("]: ", 1)[-1])

    log = serve(tmpdir, 'hwtimestamp = [ "tsdnosuch0", "lo" ];', ["tsdnosuch0", "lo"])
    expect_software(log, ["tsdnosuch0", "lo"])
    missing = lines(log, "udp: interface tsdnosuch0: ")[0]
    assert "no such interface" in missing and "warn" in missing.lower(), missing
    print(missing.split("]: ", 1)[-1])

    reload(tmpdir)
    without_udp()

    # Not asked for: nothing is said and nothing is touched.
    log = serve(tmpdir, "")
    assert not lines(log, "udp: interface ") and not lines(log, "udp: timestamps: "), log
    print("hwtimestamp: every interface named with its reason, software stamps used, "
          "replies right (offset within 1 ms, 8 samples with kernel stamps)")
    return 0


if __name__ == "__main__":
    if not udpchrony.in_private_netns():
        sys.exit(udpchrony.reenter_in_netns(__file__))
    sys.exit(main())
