"""tsclient --udp against tsd: the offset of a sim clock, T1 and T4 from the
kernel's transmit and receive stamps, and the plain reasons it gives for a server that is unsynchronised, that sends a KoD, or
that is not there."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import udpchrony
import ports

OFFSET_S = 0.5


def tsclient(tmpdir, port, *extra):
    conf = os.path.join(tmpdir, "client.conf")
    with open(conf, "w") as f:
        f.write('plugin_dir = "%s";\nclock = { plugin = "realtime"; };\n'
                'client = { samples = 8; timeout = 2.0; };\n' % os.environ["PLUGIN_DIR"])
    return subprocess.run([os.environ["TSCLIENT"], "-c", conf, "--udp"] + list(extra) +
                          ["127.0.0.1:%d" % port], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=20)


def sim(offset_s=OFFSET_S, extra=""):
    return 'clock = { plugin = "sim"; offset = %.1f; %s };' % (offset_s, extra)


def test_offset(tmpdir):
    with udpchrony.TsdUdp(conf=sim()) as tsd:
        proc = tsclient(tmpdir, tsd.udp_port, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert abs(result["offset_s"] - OFFSET_S) < 0.001, result["offset_s"]
    s = result["servers"][0]
    assert s["samples"] == 8, s
    # Loopback gives software stamps both ways: T1 is when the request
    # left, not when tsclient read its clock before sending it. Every
    # exchange has both; interleaved mode makes one exchange more than
    # samples (the last sample waits for the next reply's T3), and one more
    # for each sample whose T3 never came (a reply answered basic on a
    # loaded machine), 2 x samples at most (tsclient(1)).
    assert s["kernel_t1"] == s["kernel_t4"] and 8 <= s["kernel_t1"] <= 16, s
    print("tsclient --udp vs tsd (sim %+.1f s): offset %+.6f s, kernel stamps T1 %d T4 %d "
          "for 8 samples" % (OFFSET_S, result["offset_s"], s["kernel_t1"], s["kernel_t4"]))


def expect_refusal(tmpdir, conf, udp, text):
    with udpchrony.TsdUdp(conf=conf, udp=udp) as tsd:
        proc = tsclient(tmpdir, tsd.udp_port)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, "exit %d, expected 1:\n%s" % (proc.returncode, out)
    assert text in out, "%r not in:\n%s" % (text, out)
    print("refused as expected: %s" % out.strip().splitlines()[-1])


def test_nobody_there(tmpdir):
    port = ports.free_port(udp=True, ipv6_too=False)
    proc = tsclient(tmpdir, port)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "127.0.0.1:%d" % port in proc.stderr, proc.stderr


def main():
    tmpdir = tempfile.mkdtemp(prefix="tsd-udp-tsclient-")
    try:
        test_offset(tmpdir)
        expect_refusal(tmpdir, sim(extra="leap = 3;"), "",
                       "is not synchronized (leap 3, stratum")
        expect_refusal(tmpdir, sim(extra="stratum = 16;"), "",
                       "is not synchronized (leap 0, stratum 16)")
        # One request allowed (the start-up probe takes it), then every
        # limited one answered with a KoD: no sample at all.
        expect_refusal(tmpdir, sim(),
                       "ratelimit = { interval = 10.0; burst = 1; leak = 1; kod = true; };",
                       "kiss-o'-death RATE")
        test_nobody_there(tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
