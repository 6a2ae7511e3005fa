"""What the benchmark scripts share: waiting for a server, stopping one,
finding the build tree; and, from the integration tests' helpers, free
loopback ports (ports.py) and the /proc reader (procfs.py)."""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
import procfs  # noqa: E402,F401  (the tests' /proc reader)
from ports import free_port  # noqa: E402,F401  (the tests' free-port helper)

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


def wait_port(port, proc, timeout_s=READY_TIMEOUT_S):
    """True once 127.0.0.1:port accepts; False if proc exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def stop(proc, stragglers=()):
    """SIGTERM, then SIGKILL (to proc and to the stragglers' PIDs) after
    STOP_TIMEOUT_S."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        for pid in stragglers:
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()


def find_builddir(given, needed, program):
    """The build tree: --builddir, $BUILDDIR, the current directory or two up
    (tests/bench of a build tree), the first holding every path in needed."""
    candidates = [given] if given else [os.environ.get("BUILDDIR"), os.getcwd(),
                                        os.path.join(os.getcwd(), "..", "..")]
    for c in candidates:
        if c and all(os.path.exists(os.path.join(c, p)) for p in needed):
            return os.path.abspath(c)
    sys.exit("%s: no build found (%s); give --builddir" % (program, ", ".join(needed)))
