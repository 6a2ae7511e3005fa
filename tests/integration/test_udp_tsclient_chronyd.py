"""tsclient --udp against a real NTP server: chronyd -x serving this
machine's clock (local stratum 1) on a loopback port. Same clock on both
sides, so the offset must be tiny. A chronyd with no reference is reported
as unsynchronised."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import udpchrony

LIMIT_S = 0.001


def client_conf(tmpdir):
    path = os.path.join(tmpdir, "client.conf")
    with open(path, "w") as f:
        f.write('plugin_dir = "%s";\nclock = { plugin = "realtime"; };\n'
                'client = { samples = 8; timeout = 2.0; };\n' % os.environ["PLUGIN_DIR"])
    return path


def run_tsclient(tmpdir, port, *extra):
    return subprocess.run([os.environ["TSCLIENT"], "-c", client_conf(tmpdir), "--udp"] +
                          list(extra) + ["127.0.0.1:%d" % port], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=20)


def synced(tmpdir):
    with udpchrony.ChronyServer() as chrony:
        proc = run_tsclient(tmpdir, chrony.port, "--json")
        log = chrony.read_log()
    assert proc.returncode == 0, "tsclient --udp exit %d:\n%s%s\nchronyd:\n%s" % (
        proc.returncode, proc.stdout, proc.stderr, log)
    result = json.loads(proc.stdout)
    server = result["servers"][0]
    print("tsclient --udp vs chronyd: offset %+.1f us, delay %.1f us, %d samples, stratum %d"
          % (result["offset_s"] * 1e6, result["delay_s"] * 1e6, server["samples"],
             server["stratum"]))
    assert result["synced"] is True, result
    assert abs(result["offset_s"]) < LIMIT_S, "offset %.6f s" % result["offset_s"]
    assert server["samples"] == 8 and server["bad_replies"] == 0, server
    assert server["stratum"] == 1, server


def unsynced(tmpdir):
    """A chronyd with no reference answers leap 3, stratum 0 and a zero
    reference ID: unsynchronised, not a kiss-o'-death."""
    with udpchrony.ChronyServer(local=False) as chrony:
        proc = run_tsclient(tmpdir, chrony.port)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, "exit %d:\n%s" % (proc.returncode, out)
    assert "is not synchronized (leap 3, stratum 0)" in out, out
    assert "kiss" not in out, out
    print("unsynchronised chronyd: " + out.strip().splitlines()[-1])


def main():
    udpchrony.need_chronyd()
    tmpdir = tempfile.mkdtemp(prefix="tsd-udp-client-")
    try:
        synced(tmpdir)
        unsynced(tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
