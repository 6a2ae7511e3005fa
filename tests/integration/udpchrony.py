"""NTP over UDP for the tests: raw packets, and chronyd as a peer.

chronyd is always run with -x (it never touches the clock), on a loopback
port, with its own files in a temporary directory (no command port, no
command socket, no drift file, no /var or /run paths), and always stopped.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import ports
from ntpcodec import ntp_to_unix, parse  # noqa: F401  (the tests' one NTP codec)
from ntpcodec import packet as ntp_packet


# ---- packets ----

def exchange(port, payload, timeout=0.5, host="127.0.0.1", sock=None):
    """Send one datagram; return the reply bytes, or None if none came."""
    own = sock is None
    if own:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.settimeout(timeout)
        sock.sendto(payload, (host, port))
        try:
            data, _ = sock.recvfrom(2048)
            return data
        except socket.timeout:
            return None
    finally:
        if own:
            sock.close()


def drain(sock, wait=0.3):
    """Every datagram that arrives within `wait` seconds of the last one."""
    return [data for data, _ in drain_timed(sock, wait)]


def drain_timed(sock, wait=0.3):
    """Like drain, with each datagram's arrival time: [(data, time.time())]."""
    got = []
    sock.settimeout(wait)
    while True:
        try:
            data, _ = sock.recvfrom(2048)
        except socket.timeout:
            return got
        got.append((data, time.time()))


def wait_ntp(port, deadline_s=5.0):
    """True once something answers a client request on the port."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if exchange(port, ntp_packet(), timeout=0.2) is not None:
            return True
    return False


# ---- a private network namespace ----

NETNS_MARK = "TSD_UDP_TEST_NETNS"


def in_private_netns():
    """True in the copy of a test that reenter_in_netns started."""
    return os.environ.get(NETNS_MARK) == "1"


def reenter_in_netns(path):
    """Run the test file `path` again in a new network namespace (where
    it may bind any address and port without disturbing the machine);
    its exit status, or 77 (skip) without root, unshare or ip. The copy
    must bring up lo itself (ip link set lo up)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        print("SKIP: needs root, unshare and ip for a private network namespace")
        return 77
    env = dict(os.environ, **{NETNS_MARK: "1"})
    return subprocess.run(["unshare", "--net", sys.executable, os.path.abspath(path)],
                          env=env, timeout=120).returncode


# ---- chronyd ----

def find_chronyd():
    path = shutil.which("chronyd")
    for candidate in (path, "/usr/sbin/chronyd", "/sbin/chronyd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def need_chronyd():
    """The chronyd binary, or exit 77 (skip) saying how to get it."""
    path = find_chronyd()
    if path is None:
        print("SKIP: chronyd not found (install Debian's chrony package: "
              "scripts/install-deps does)")
        sys.exit(77)
    return path


def privilege_args():
    # As root chronyd would switch to its own user (_chrony), which cannot
    # write our temporary directory; staying root is harmless with -x.
    # As another user, -U skips its check for root.
    return ["-u", "root"] if os.geteuid() == 0 else ["-U"]


def private_directives(tmpdir):
    return ["cmdport 0", "bindcmdaddress /",
            "pidfile %s" % os.path.join(tmpdir, "chronyd.pid")]


class ChronyServer:
    """chronyd -x serving its own clock (local stratum 1) on 127.0.0.1:port;
    with local=False it has no reference and answers unsynchronised."""

    def __init__(self, port=None, extra=(), local=True):
        self.chronyd = need_chronyd()
        self.port = port or ports.free_port(udp=True, ipv6_too=False)
        self.tmp = tempfile.mkdtemp(prefix="tsd-chronyd-")
        self.log_path = os.path.join(self.tmp, "chronyd.log")
        self.extra = list(extra) + (["local stratum 1"] if local else [])
        self.proc = None

    def start(self):
        conf = os.path.join(self.tmp, "chrony.conf")
        lines = ["port %d" % self.port, "bindaddress 127.0.0.1",
                 "allow 127.0.0.1"] + private_directives(self.tmp) + self.extra
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [self.chronyd, "-x", "-d", "-f", conf] + privilege_args(),
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_ntp(self.port):
            self.stop()
            raise RuntimeError("chronyd did not answer on port %d:\n%s"
                               % (self.port, self.read_log()))
        return self

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.log.close()
        self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


OFFSET_RE = re.compile(r"System clock wrong by (-?[0-9.]+) seconds")


def chronyd_query(port, timeout_s=10, server=None, directives=()):
    """chronyd -x -Q against 127.0.0.1:port (or the given `server` line, with
    more `directives`, in which "{tmp}" names chronyd's private directory).
    Returns (offset_s or None, output).

    chrony prints how wrong the local clock is: positive when the server is
    ahead of us."""
    chronyd = need_chronyd()
    tmp = tempfile.mkdtemp(prefix="tsd-chronyq-")
    # minpoll/maxpoll -6: a request every 1/64 s, so chronyd has the samples it
    # wants within a second instead of several.
    if server is None:
        server = "server 127.0.0.1 port %d iburst minpoll -6 maxpoll -6" % port
    cmd = ([chronyd, "-x", "-Q", "-t", str(timeout_s), "-f", "/dev/null"] +
           privilege_args() + [server] + [d.format(tmp=tmp) for d in directives] +
           private_directives(tmp))
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout_s + 10)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = proc.stdout.decode(errors="replace")
    m = OFFSET_RE.search(out)
    return (float(m.group(1)) if m else None), out


# ---- tsd with UDP on ----

class TsdUdp:
    """tsdtest.Tsd (the shared harness: a free TCP port, a temporary
    directory, a log checked for sanitizer and valgrind reports) with NTP
    over UDP enabled on a free port (or the one given), `udp_port`. `conf` goes into the file,
    `udp` into the server.udp group, `server` into the server group. With wait_udp it is ready once it
    answers over TCP and UDP; without, start() does not wait (a test of a
    clock that is never served waits for the workers instead)."""

    def __init__(self, conf="", udp="", listen='"127.0.0.1"', wait_udp=True, server="",
                 udp_port=None):
        import tsdtest   # the integration harness; only the tests need it

        self.tsdtest = tsdtest
        self.wait_udp = wait_udp
        self.udp_port = udp_port or ports.free_port(udp=True, ipv6_too=False)
        self.tsd = tsdtest.Tsd('%s\nserver = { listen = [ %s ]; workers = 2; %s\n'
                               '  udp = { enable = true; port = %d; %s }; };\n'
                               % (conf, listen, server, self.udp_port, udp), start=False,
                               name="udp")

    def start(self):
        if not self.wait_udp:
            self.tsd.start(wait_s=0)
            return self
        self.tsd.start()
        if not wait_ntp(self.udp_port, 5.0 * self.tsdtest.slow_factor()):
            self.tsd.kill()
            raise AssertionError("tsd did not answer on UDP port %d:\n%s"
                                 % (self.udp_port, self.tsd.log()))
        return self

    def stop(self):
        """SIGTERM, wait, check the log; returns the exit status."""
        return self.tsd.stop()

    def log(self):
        return self.tsd.log()

    def counters(self):
        """The workers' UDP counters, summed from the lines they log at exit."""
        total = {"served": 0, "dropped": 0, "limited": 0, "kod": 0}
        pat = re.compile(r"udp: served (\d+), dropped (\d+) invalid, rate limited (\d+), "
                         r"kiss-o'-death (\d+)")
        for m in pat.finditer(self.log()):
            for key, value in zip(("served", "dropped", "limited", "kod"), m.groups()):
                total[key] += int(value)
        return total

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        return self.tsd.__exit__(exc_type, exc, tb)
