"""tsdctl status, sources and stats: the JSON has the documented fields, the
numbers follow the traffic sent (TCP, text, a bad request), a killed worker
shows as a restart and keeps its counts, and the text form is readable."""

import os
import signal
import socket
import subprocess

import tsdtest

CONF = """clock = { plugin = "sim"; stratum = 3; leap = 1; error = 0.25; };
server = { listen = [ "127.0.0.1" ]; workers = 2; };
"""


def settled(tsd, want_tcp, want_text):
    """stats --json once the exchanges are all counted (a worker counts a
    reply just after sending it)."""
    def check():
        s = tsd.ctl_json("stats")
        e = s["exchanges"]
        return s if (e["tcp"], e["text"]) == (want_tcp, want_text) else None
    s = tsdtest.wait_for(check, 5 * tsdtest.slow_factor(), 0.05)
    assert s, "counts never reached tcp %d text %d: %r" % (want_tcp, want_text,
                                                           tsd.ctl_json("stats"))
    return s


def main():
    with tsdtest.Tsd(CONF, name="ctl-status") as tsd:
        st = tsd.ctl_json("status")
        for key in ("version", "uptime_s", "workers", "clock", "exchanges", "config",
                    "generation"):
            assert key in st, (key, st)
        assert st["pid"] == tsd.pid
        assert st["config"]["file"] == tsd.conf_path
        pids = sorted(w["pid"] for w in st["workers"])
        assert pids == tsd.wait_workers(2), (pids, tsd.workers())
        clock = st["clock"]
        assert clock["plugin"] == "sim"
        assert clock["stratum"] == 3 and clock["leap"] == "insert", clock
        assert clock["refid"] == "SIM" and clock["root_dispersion_s"] == 0.25, clock
        # The harness made one native exchange to see that tsd is up.
        base = st["exchanges"]
        assert base["text"] == 0 and base["udp"] == 0 and base["nts"] == 0, base
        assert base["tcp"] <= 1, base
        stats = tsd.ctl_json("stats")
        base_accepted = stats["tcp"]["accepted"]

        for _ in range(7):
            tsdtest.native_exchange(tsd.port)
        with socket.create_connection(("127.0.0.1", tsd.port)) as s:
            for _ in range(5):
                tsdtest.native_exchange(tsd.port, sock=s)
        for _ in range(3):
            tsdtest.text_exchange(tsd.port)
        stats = settled(tsd, base["tcp"] + 12, 3)
        assert stats["tcp"]["accepted"] == base_accepted + 11, stats
        assert stats["processing_time"]["replies"] == base["tcp"] + 15, stats
        st = tsd.ctl_json("status")
        assert sum(w["exchanges"] for w in st["workers"]) == base["tcp"] + 15, st["workers"]

        # A killed worker: restarted, counted, its exchanges kept.
        victim = st["workers"][0]["pid"]
        os.kill(victim, signal.SIGKILL)
        assert tsdtest.wait_for(lambda: victim not in tsd.workers() and
                                len(tsd.workers()) == 2, 5 * tsdtest.slow_factor())
        st = tsdtest.wait_for(lambda: (lambda s: s if sum(w["restarts"] for w in s["workers"])
                                       == 1 else None)(tsd.ctl_json("status")),
                              5 * tsdtest.slow_factor())
        assert st, tsd.ctl_json("status")
        stats = settled(tsd, base["tcp"] + 12, 3)
        assert stats["worker_restarts"] == 1 and stats["workers_exited"] == 1, stats

        src = tsd.ctl_json("sources")
        assert src["sources"][0]["name"] == "sim" and src["sources"][0]["selected"], src

        rc, out, err = tsd.ctl("status")
        assert rc == 0 and "version: " in out and "  plugin: sim" in out, (rc, out, err)
        assert "  - pid: " in out, out
        rc, out, err = tsd.ctl("nonsense")
        assert rc == 2 and "unknown command" in err, (rc, out, err)

    # No daemon: exit 3 and say where it looked.
    rc, out, err = tsd_absent()
    assert rc == 3 and "cannot reach tsd" in err, (rc, out, err)
    print("ok")


def tsd_absent():
    p = subprocess.run([os.environ["TSDCTL"], "-s", "/nonexistent/tsd.sock", "status"],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


if __name__ == "__main__":
    main()
