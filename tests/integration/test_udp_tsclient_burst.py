"""tsclient --udp -n 32 against a default tsd (issue 17, item 5). Before:
exit 1 with "kiss-o'-death RATE", requests 2 ms apart beyond the default
burst of 16, and the one KoD threw away every good sample already taken.
Now the first 8 requests go 2 ms apart and the rest at 8 a second (tsd's
default rate), so a default server answers all 32; and a server that does
send a KoD RATE ends the asking without losing the samples taken before."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import udpchrony

SIM = 'clock = { plugin = "sim"; offset = 0.5; };'


def tsclient(tmpdir, port, samples):
    conf = os.path.join(tmpdir, "client.conf")
    with open(conf, "w") as f:
        f.write('plugin_dir = "%s";\nclock = { plugin = "realtime"; };\n'
                'client = { timeout = 2.0; };\n' % os.environ["PLUGIN_DIR"])
    start = time.monotonic()
    proc = subprocess.run([os.environ["TSCLIENT"], "-c", conf, "--udp", "--json", "-n",
                           str(samples), "127.0.0.1:%d" % port], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    took = time.monotonic() - start
    assert proc.stdout, "exit %d, no output:\n%s" % (proc.returncode, proc.stderr)
    return proc.returncode, json.loads(proc.stdout), took


def main():
    tmpdir = tempfile.mkdtemp(prefix="tsd-udp-burst-")
    try:
        with udpchrony.TsdUdp(conf=SIM) as tsd:
            rc, j, took = tsclient(tmpdir, tsd.udp_port, 32)
        server = j["servers"][0]
        print("-n 32 against a default tsd: exit %d, %d samples in %.2f s, offset %+.6f s" % (
            rc, server["samples"], took, j.get("offset_s") or 0))
        assert rc == 0 and server["samples"] == 32, (rc, server)
        assert "kiss" not in json.dumps(server), server
        assert abs(j["offset_s"] - 0.5) < 0.001, j

        # Two requests allowed, then every limited one gets a KoD RATE.
        limit = "ratelimit = { interval = 10.0; burst = 2; leak = 1; kod = true; };"
        with udpchrony.TsdUdp(conf=SIM, udp=limit) as tsd:
            # wait_ntp's probe took one of the two.
            rc, j, took = tsclient(tmpdir, tsd.udp_port, 8)
        server = j["servers"][0]
        print("burst 2 with KoD: exit %d, %d samples in %.2f s: %s" % (
            rc, server["samples"], took, server.get("reason", "")))
        assert rc == 0 and server["status"] == "selected", (rc, server)
        assert 1 <= server["samples"] <= 2, server
        assert "kiss-o'-death RATE: asking stopped" in server["reason"], server
        assert took < 2.0, "kept asking after the KoD: %.2f s" % took
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
