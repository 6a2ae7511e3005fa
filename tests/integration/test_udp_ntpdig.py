"""ntpdig (NTPsec's SNTP client, what Debian's `sntp` and `ntpdate` now
run) against tsd serving a `sim` clock at +0.5 s: it reports the offset,
stratum 1 and no leap warning; against a server that says it is
unsynchronized it reports that. ntpdig only asks port 123, so the test runs
in a private network namespace (root, unshare), where tsd can bind it
without touching the machine's own NTP service. ntpdig is only asked,
never told to set the clock (no -S, no -s)."""

import json
import shutil
import subprocess
import sys

import udpchrony

OFFSET_S = 0.5
SIM = 'clock = { plugin = "sim"; offset = %.1f; %s };'


def ntpdig(samples=4):
    """ntpdig's JSON report of 127.0.0.1 (one object per line)."""
    p = subprocess.run(["ntpdig", "-j", "-p", str(samples), "-t", "2", "127.0.0.1"],
                       capture_output=True, text=True, timeout=30)
    print("ntpdig: exit %d, %s%s" % (p.returncode, p.stdout.strip(), p.stderr.strip()))
    lines = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return p.returncode, lines


def synchronized():
    with udpchrony.TsdUdp(conf=SIM % (OFFSET_S, ""), udp_port=123):
        rc, reports = ntpdig()
    assert rc == 0 and len(reports) == 1, (rc, reports)
    r = reports[0]
    assert abs(r["offset"] - OFFSET_S) < 0.005, "offset %r, want %.1f s" % (r["offset"], OFFSET_S)
    assert r["stratum"] == 1 and r["leap"] == "no-leap", r
    assert r["adjusted"] is False, "ntpdig says it adjusted the clock: %r" % r


def unsynchronized():
    with udpchrony.TsdUdp(conf=SIM % (OFFSET_S, "leap = 3; stratum = 16;"), udp_port=123):
        rc, reports = ntpdig(samples=1)
    # ntpdig refuses an unsynchronized server: no time report, exit 1.
    assert rc != 0 and not [r for r in reports if "offset" in r], (rc, reports)


def main():
    if shutil.which("ntpdig") is None:
        print("SKIP: ntpdig not installed (Debian: apt-get install ntpsec-ntpdig; "
              "scripts/install-deps does)")
        return 77
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    synchronized()
    unsynchronized()
    print("ntpdig: +%.1f s of sim offset reported, stratum 1; an unsynchronized tsd refused"
          % OFFSET_S)
    return 0


if __name__ == "__main__":
    if not udpchrony.in_private_netns():
        sys.exit(udpchrony.reenter_in_netns(__file__))
    sys.exit(main())
