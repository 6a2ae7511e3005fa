"""tsclient --udp against a real NTP server: chronyd -x serving this
machine's clock (local stratum 1) on a loopback port. Same clock on both
sides, so the offset must be tiny."""

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


def main():
    udpchrony.need_chronyd()
    tmpdir = tempfile.mkdtemp(prefix="tsd-udp-client-")
    with udpchrony.ChronyServer() as chrony:
        proc = subprocess.run([os.environ["TSCLIENT"], "-c", client_conf(tmpdir), "--udp",
                               "--json", "127.0.0.1:%d" % chrony.port],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=20)
        log = chrony.read_log()
    shutil.rmtree(tmpdir, ignore_errors=True)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
