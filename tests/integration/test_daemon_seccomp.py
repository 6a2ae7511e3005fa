"""The system call filter (server.seccomp, doc/security.md): on by default
in the workers, the sync process and the metrics process (/proc/PID/status
"Seccomp: 2"), not in the master; a worker that makes a call outside its
filter (a test clock whose now() unlinks a file) logs the call's number
and is killed with SIGSYS, the file stays, and the master starts another
worker; `seccomp = false` turns the filter off (the same clock then
unlinks the file and the worker serves)."""

import os
import re
import socket
import sys

import hostile
import ports
import procfs
import tsdtest

# unlink is 87 on x86_64; a C library may make it unlinkat (263).
FORBIDDEN = re.compile(r"tsd: worker: system call (87|263) is not allowed by its seccomp filter")

SERVING = """server = { listen = [ "127.0.0.1" ]; workers = 2; %(seccomp)s
  udp = { enable = true; port = %(udp)d; }; };
metrics = { listen = "127.0.0.1:%(metrics)d"; };
sync = { sources = ( { address = "127.0.0.1:%(dead)d"; protocol = "udp"; } );
  poll = { min = 0.5; max = 1.0; }; };
"""

FAULTY = """plugin_dir = "%(plugins)s";
clock = { plugin = "fault"; fault = "unlink_in_now"; once_file = "%(victim)s"; };
server = { listen = [ "127.0.0.1" ]; workers = 1; %(seccomp)s };
"""


def seccomp_mode(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Seccomp:"):
                return int(line.split()[1])
    raise AssertionError("no Seccomp line for pid %d" % pid)


def children_by_title(tsd):
    return {pid: procfs.cmdline(pid) for pid in procfs.children(tsd.pid)}


def udp_exchange(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5.0 * tsdtest.slow_factor())
        s.sendto(tsdtest.native_request(), ("127.0.0.1", port))
        data, _ = s.recvfrom(2048)
    return tsdtest.parse_reply(data[:48])


def serving(seccomp, want_mode):
    """Every child of a tsd serving TCP, UDP, metrics and a sync group has
    filter mode want_mode, the master none; TCP and UDP are answered."""
    params = {"seccomp": seccomp, "udp": ports.free_port(udp=True, ipv6_too=False),
              "metrics": ports.free_port(), "dead": ports.free_port(udp=True, ipv6_too=False)}
    tsd = tsdtest.Tsd(SERVING % params, start=False, name="seccomp")
    with tsd.start():
        tsd.wait_workers(4, 10)     # 2 workers, metrics, sync
        titles = children_by_title(tsd)
        tsdtest.wait_for(lambda: all(seccomp_mode(p) == want_mode for p in titles),
                         10 * tsdtest.slow_factor())
        print("seccomp %r: %r" % (seccomp or "default", titles))
        for kind in ("worker", "metrics", "sync"):
            assert any(("tsd: " + kind) in t for t in titles.values()), (kind, titles)
        for pid in titles:
            assert seccomp_mode(pid) == want_mode, (pid, titles[pid], seccomp_mode(pid))
        assert seccomp_mode(tsd.pid) == 0, "the master is filtered"
        for _ in range(10):
            assert tsdtest.native_exchange(tsd.port)["mode"] == 4
            assert udp_exchange(params["udp"])["mode"] == 4
        assert "not allowed" not in tsd.log(), tsd.log()
        assert tsd.stop() == 0, tsd.log()


def forbidden_call(filtered):
    """A request to the worker whose clock unlinks a file: with the filter
    the worker dies with a line naming the call and the file stays; without
    it the file goes and the request is answered. Returns the tsd log."""
    tsd = tsdtest.Tsd(start=False, name="seccomp-kill")
    tsd.seccomp_kills_expected = filtered
    victim = os.path.join(tsd.dir, "victim")
    tsd.write_conf(FAULTY % {"plugins": hostile.plugin_dir_with(tsd.dir, "clock_fault.so"),
                             "victim": victim,
                             "seccomp": "" if filtered else "seccomp = false;"})
    # Not the harness's readiness request: with the filter it would kill the worker.
    with tsd.start(wait_s=0):
        first = tsd.wait_workers(1, 10)
        open(victim, "w").close()
        try:
            answered = tsdtest.native_exchange(tsd.port, timeout_s=5 * tsdtest.slow_factor())
        except (OSError, AssertionError):
            answered = None
        if not filtered:
            assert answered and not os.path.exists(victim), tsd.log()
            assert seccomp_mode(first[0]) == 0
            assert "not allowed" not in tsd.log(), tsd.log()
        else:
            assert answered is None, "a reply from a worker that made a forbidden call"
            assert os.path.exists(victim), "the forbidden unlink ran"
            assert tsdtest.wait_for(lambda: FORBIDDEN.search(tsd.log()) and
                                    "killed by signal 31" in tsd.log(),
                                    5 * tsdtest.slow_factor()), tsd.log()
            # The master starts another worker (it dies too at its first request).
            again = tsd.wait_workers(1, 10)
            assert again != first, (first, again)
            # Filtered once set up: a worker just forked is not yet.
            assert tsdtest.wait_for(lambda: seccomp_mode(again[0]) == 2,
                                    10 * tsdtest.slow_factor()), seccomp_mode(again[0])
        log = tsd.log()
        assert tsd.stop() == 0, log
    return log


def test():
    if os.environ.get("TSD_VALGRIND"):
        print("SKIP: valgrind cannot run a process under a seccomp filter: tsd installs none there")
        sys.exit(77)
    serving("", 2)
    serving("seccomp = false;", 0)
    log = forbidden_call(True)
    print("\n".join(line for line in log.splitlines()
                    if "signal 31" in line or "not allowed" in line))
    forbidden_call(False)


if __name__ == "__main__":
    tsdtest.main(test)
