"""--text speaks the report's protocol: against the report's server
(tests/original/TSServer.py, real time) and against tsd's text mode (sim clock at
+0.25 s), one connection per sample."""

import os
import subprocess
import sys

import clienttest as ct
import tsdtest

OFFSET_S = 0.25


def original_server():
    """The report's server on a free port: (process, port)."""
    port = ct.closed_port()
    path = os.path.join(os.environ["TEST_SRCDIR"], "..", "original", "TSServer.py")
    proc = subprocess.Popen([sys.executable, path, str(port), "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not ct.wait_listening(port, proc):
        proc.kill()
        proc.wait()
        raise AssertionError("TSServer.py did not start")
    return proc, port


def main():
    with ct.tempdir() as d:
        conf = ct.client_conf(d)
        proc, port = original_server()
        try:
            rc, out, err = ct.run(["-c", conf, "--text", "-n", "4", ct.addr(port)])
        finally:
            proc.terminate()
            proc.wait()
        assert rc == 0, err
        remote, local, rtt = ct.remote_local_rtt(out)
        print("report's server: remote - local = %d ms, rtt %d ms" % (remote - local, rtt))
        assert abs(remote - local) <= 2, out

        with ct.server(OFFSET_S) as srv:
            rc, j, err = ct.run_json(["-c", conf, "--text", "-n", "4", ct.addr(srv.port)])
        assert rc == 0, err
        s = j["servers"][0]
        print("tsd text mode: offset %.6f s, bound %.6f s, %d samples" % (
            j["offset_s"], j["error_s"], s["samples"]))
        assert s["samples"] == 4 and s["status"] == "selected", s
        assert abs(j["offset_s"] - OFFSET_S) <= min(j["error_s"], 0.002), j
        assert abs(j["remote_time_ms"] - j["local_time_ms"] - OFFSET_S * 1e3) <= 2, j


if __name__ == "__main__":
    tsdtest.main(main)
