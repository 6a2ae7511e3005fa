"""What the hostile-client and fault tests share, beyond tsdtest: reading
until the server closes, a normal client running beside hostile ones,
raising the descriptor limit, and a plugin directory holding test plugins beside the real ones."""

import os
import resource
import shutil
import socket
import threading
import time

import procfs
from tsdtest import native_exchange

# A normal exchange on loopback takes well under a millisecond; on a shared,
# loaded machine the test itself may wait this long for a CPU. A loop that
# stalls on a hostile client stalls for a request_timeout (1 s) or more.
PROMPT_S = 0.5


# ---- the native protocol over TCP ----

def connect(port, timeout=2.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def exchange_latency(port, count=10, timeout=2.0):
    """The slowest of `count` fresh-connection exchanges, in seconds."""
    worst = 0.0
    for _ in range(count):
        t0 = time.monotonic()
        native_exchange(port, timeout_s=timeout)
        worst = max(worst, time.monotonic() - t0)
    return worst


def read_until_closed(sock, limit_s):
    """Read until EOF or reset; (bytes read, seconds until the close), or
    (bytes, None) if the peer kept it open for limit_s."""
    sock.settimeout(0.05)
    t0 = time.monotonic()
    got = b""
    while time.monotonic() - t0 < limit_s:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return got, time.monotonic() - t0
        if not chunk:
            return got, time.monotonic() - t0
        got += chunk
    return got, None


def server_holds(sock):
    """Whether a process still holds the server's end of this loopback
    connection. A server that closes a connection the client never reads
    leaves the kernel an orphan (FIN-WAIT-1 behind unsent data) that the
    client cannot see; /proc/net/tcp shows it with inode 0."""
    ours, theirs = sock.getsockname()[1], sock.getpeername()[1]
    return any(s["local_port"] == theirs and s["remote_port"] == ours and s["inode"] != 0
               for s in procfs.tcp_sockets())


# Fewer exchanges than this while the hostile clients ran means starved.
PROBER_MIN_EXCHANGES = 5


class Prober(threading.Thread):
    """A normal client beside the hostile ones: one exchange every 50 ms,
    keeping its count and its worst latency."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.worst, self.count, self.error = port, 0.0, 0, None
        self.stop = threading.Event()

    def run(self):
        try:
            while not self.stop.wait(0.05):
                t0 = time.monotonic()
                native_exchange(self.port)
                self.worst = max(self.worst, time.monotonic() - t0)
                self.count += 1
        except Exception as e:  # reported by finish()
            self.error = e

    def finish(self, prompt_s):
        """Stop; fail unless every exchange worked within prompt_s."""
        self.stop.set()
        self.join()
        print("normal client meanwhile: %d exchanges, worst %.3f s" % (self.count, self.worst))
        if self.error is not None:
            raise AssertionError("the normal client failed: %r" % self.error)
        if self.count < PROBER_MIN_EXCHANGES or self.worst >= prompt_s:
            raise AssertionError("the normal client was starved: %d exchanges, worst %.3f s"
                                 % (self.count, self.worst))


def raise_nofile(want):
    """Raise this process's descriptor limit (children inherit it); returns
    the new soft limit, which may be lower than asked if the hard one is."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if new > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return max(new, soft)


# ---- plugins ----

def plugin_dir_with(tmpdir, *test_plugins):
    """A plugin directory in tmpdir with every built plugin plus the named
    test plugins (clock_fault.so from here, clock_fake.so, clock_badabi.so
    ... from tests/unit), copied: the loader takes regular files only."""
    path = os.path.join(tmpdir, "plugins")
    os.makedirs(path, exist_ok=True)
    src = os.environ["PLUGIN_DIR"]
    for name in os.listdir(src):
        if name.endswith(".so"):
            shutil.copy(os.path.join(src, name), path)
    builddir = os.environ["TEST_BUILDDIR"]
    places = [os.path.join(builddir, ".libs"), os.path.join(builddir, "..", "unit", ".libs")]
    for name in test_plugins:
        found = [p for p in places if os.path.exists(os.path.join(p, name))]
        if not found:
            raise AssertionError("test plugin %s not built (make check in tests/unit "
                                 "and tests/integration builds it)" % name)
        shutil.copy(os.path.join(found[0], name), path)
    return path
