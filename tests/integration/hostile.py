"""What the hostile-client and fault tests share, beyond tsdtest: reading
until the server closes, a normal client running beside hostile ones, the
daemon's CPU time, descriptors and memory from /proc, descriptor limits,
and a plugin directory holding test plugins beside the real ones."""

import os
import resource
import shutil
import socket
import threading
import time

from tsdtest import native_exchange

CLK_TCK = os.sysconf("SC_CLK_TCK")
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
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if (int(fields[1].split(":")[1], 16) == theirs and
                    int(fields[2].split(":")[1], 16) == ours and int(fields[9]) != 0):
                return True
    return False


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


# ---- the daemon's processes ----

def _stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    # The command name may hold spaces: the fields start after its ')'.
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pids):
    """User plus system CPU time of the processes, in seconds."""
    total = 0
    for pid in pids:
        try:
            f = _stat_fields(pid)
        except OSError:
            continue
        total += int(f[11]) + int(f[12])  # utime, stime
    return total / CLK_TCK


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def nofile_limit(pid):
    """The soft RLIMIT_NOFILE of a process."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError("no open-files limit for %d" % pid)


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
