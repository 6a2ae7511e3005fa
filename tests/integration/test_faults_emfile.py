"""Out of descriptors: tsd started with `ulimit -n 40` and 200 clients
holding connections. It does not exit, does not spin (near idle while
saturated, measured from /proc/PID/stat), and serves again as soon as the
clients let go. Both dispatch modes."""

import resource
import socket
import time

import hostile
import tsdtest
import procfs

NOFILE = 40
CLIENTS = 200
MEASURE_S = 2.0
# Near idle: a paused accept retried every 100 ms costs microseconds.
MAX_CPU_SHARE = 0.05
CONF = """server = { listen = [ "127.0.0.1" ]; workers = 2; dispatch = "%s";
  request_timeout = 1.0; idle_timeout = 60.0; };
"""


def limit_descriptors():
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def saturate(port):
    socks = []
    for _ in range(CLIENTS):
        s = socket.socket()
        s.settimeout(5)
        s.connect(("127.0.0.1", port))  # the kernel completes it; tsd may not take it
        socks.append(s)
    return socks


def check(dispatch):
    with tsdtest.Tsd(CONF % dispatch, preexec_fn=limit_descriptors, name="emfile") as tsd:
        pids = [tsd.pid] + tsd.wait_workers(2)
        assert procfs.nofile_limits(tsd.pid)[0] == NOFILE
        socks = saturate(tsd.port)
        try:
            # Let tsd take what it can and hit the limit.
            full = tsdtest.wait_for(lambda: sum(procfs.fd_count(p) for p in pids[1:]) >=
                                    2 * NOFILE - 4, 3)
            held = sum(procfs.fd_count(p) for p in pids[1:])
            cpu0 = procfs.cpu_seconds(pids)
            time.sleep(MEASURE_S)
            cpu_s = procfs.cpu_seconds(pids) - cpu0
            print("%s: %d clients, workers hold %d descriptors (limit %d each)%s; "
                  "CPU %.3f s in %.1f s (%.1f%%)" % (
                      dispatch, CLIENTS, held, NOFILE, "" if full else " (not full)",
                      cpu_s, MEASURE_S, 100 * cpu_s / MEASURE_S))
            assert tsd.proc.poll() is None, "tsd exited: " + tsd.log()
            assert tsd.workers() == pids[1:], "a worker died"
            assert cpu_s <= MAX_CPU_SHARE * MEASURE_S, "tsd spins while out of descriptors"
        finally:
            for s in socks:
                s.close()
        t0 = time.monotonic()
        served = tsd.wait_ready(5)
        print("%s: served again %.3f s after the clients closed" % (
            dispatch, time.monotonic() - t0))
        assert served, "no recovery after the descriptors were freed"
        assert hostile.exchange_latency(tsd.port, count=10) < hostile.PROMPT_S
        assert tsd.workers() == pids[1:], "a worker died"
        assert tsd.stop() == 0, "tsd did not exit 0"


def test():
    hostile.raise_nofile(CLIENTS + 100)
    for dispatch in ("accept", "handoff"):
        check(dispatch)


if __name__ == "__main__":
    tsdtest.main(test)
