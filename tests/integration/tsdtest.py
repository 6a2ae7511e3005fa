"""The shared harness of the integration tests: write a configuration, start
the built tsd on a free port in a temporary directory, wait until it answers,
drive it (signals, native and text exchanges), stop it, and fail on any
sanitizer or valgrind report in its log.

Environment (set by tests/integration/Makefile.am): TSD, PLUGIN_DIR.
TSD_VALGRIND=1 runs tsd under valgrind (memcheck, children traced).

    import tsdtest
    with tsdtest.Tsd('server = { workers = 2; };') as tsd:
        reply = tsdtest.native_exchange(tsd.port)
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from ntpcodec import ns_to_ntp, ntp_to_ns
import ntpcodec
from ports import free_port, port_is_free  # noqa: F401  (the tests' free-port helper)
from procfs import alive, children, cmdline  # noqa: F401  (the tests' /proc reader)

START_TIMEOUT_S = 10.0

# Lines that mean a memory or undefined-behaviour error in the daemon.
# valgrind -q prints a definite leak only as "... are definitely lost in
# loss record ...", never as a summary.
BAD_LOG = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                     r"runtime error:|==\d+== (Invalid|Conditional jump|Syscall param|"
                     r"Mismatched free|Source and destination overlap|Use of uninitialised)|"
                     r"==\d+== ERROR SUMMARY: [1-9]|definitely lost: [1-9]|are definitely lost")

# A child of tsd killed by its seccomp filter (server.seccomp): at any
# time, exit included, a call its sandbox does not allow.
SECCOMP_KILL = re.compile(r"system call \d+ is not allowed by its seccomp filter")


def valgrind():
    return os.environ.get("TSD_VALGRIND") == "1"


def slow_factor():
    """Timeouts stretch under valgrind."""
    return 10.0 if valgrind() else 1.0


def wait_for(cond, timeout_s, step_s=0.02):
    """Poll cond() until it is true (returns its value) or time runs out (None)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(step_s)


# ---- processes ----

# ---- the wire ----

def native_request(cookie=None):
    """A 48-byte NTPv4 client request (mode 3) with transmit = cookie."""
    if cookie is None:
        cookie = ns_to_ntp(time.time_ns())
    return ntpcodec.packet(transmit=cookie)


def parse_reply(data):
    """A 48-byte reply as a dict; times in Unix ns."""
    assert len(data) == 48, "reply of %d bytes" % len(data)
    reply = ntpcodec.parse(data)
    reply["t2_ns"] = ntp_to_ns(reply["receive"])
    reply["t3_ns"] = ntp_to_ns(reply["transmit"])
    return reply


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def native_exchange(port, host="127.0.0.1", timeout_s=5.0, sock=None):
    """One native exchange (a new connection unless sock is given); the
    parsed reply plus t1_ns and t4_ns. Raises on any failure."""
    own = sock is None
    if own:
        sock = socket.create_connection((host, port), timeout_s)
    try:
        cookie = ns_to_ntp(time.time_ns()) | 1
        t1 = time.time_ns()
        sock.sendall(native_request(cookie))
        reply = parse_reply(recv_exact(sock, 48))
        reply["t4_ns"] = time.time_ns()
        reply["t1_ns"] = t1
        assert reply["mode"] == 4 and reply["origin"] == cookie, reply
        return reply
    finally:
        if own:
            sock.close()


def text_exchange(port, host="127.0.0.1", message=b"TIME\n", timeout_s=5.0):
    """One text exchange: (T2 ms, T3 ms). Raises on any failure."""
    with socket.create_connection((host, port), timeout_s) as s:
        s.sendall(message)
        data = b""
        while True:
            chunk = s.recv(100)
            if not chunk:
                break
            data += chunk
    m = re.fullmatch(rb"(\d+)\t(\d+)\n", data)
    assert m, "text reply %r" % data
    return int(m.group(1)), int(m.group(2))


# ---- the daemon ----

def plugins_readable_by_all():
    """A copy of $PLUGIN_DIR's plugins in a new directory (mode 0755, files
    0644) for a tsd whose workers run as server.user: the build tree may be
    closed to that user (a clone in a mode-0700 directory). The caller
    removes it (shutil.rmtree)."""
    copy = tempfile.mkdtemp(prefix="tsd-plugins-")
    os.chmod(copy, 0o755)
    for name in os.listdir(os.environ["PLUGIN_DIR"]):
        if name.endswith(".so"):
            shutil.copy(os.path.join(os.environ["PLUGIN_DIR"], name), copy)
            os.chmod(os.path.join(copy, name), 0o644)
    return copy


# The clock of a test that chooses none: the real clock, declared a
# reference. Build machines' kernel clocks are often unsynchronised, and tsd
# then serves leap 3 (test_clock_unsynced.py) unless local_stratum says the
# operator vouches for it.
DEFAULT_CLOCK = 'clock = { plugin = "realtime"; local_stratum = 1; };\n'


# The clocks a test may steer with sync.apply = "system": simulated or
# refusing. Never realtime (the default clock above), tai or phc: the tests
# run as root, and tsd would steer this machine's clock.
STEERABLE_IN_TESTS = ("sim", "denied")


def refuse_real_clock_steering(conf):
    """Fail a test whose configuration would steer a real clock."""
    if not re.search(r'apply\s*=\s*"system"', conf):
        return
    m = re.search(r'^\s*clock\s*=\s*\{[^}]*plugin\s*=\s*"([a-z0-9_]+)"', conf, re.M)
    assert m and m.group(1) in STEERABLE_IN_TESTS, \
        'apply = "system" in a test needs clock plugin sim or denied:\n%s' % conf


class Tsd:
    """The built tsd on a free port in a temporary directory. Started by
    the constructor (start=False to start later); `with` stops it and
    checks its log. `conf` follows the generated port and plugin_dir lines
    (unless it sets plugin_dir itself) and comes before the clock line
    (unless it sets clock itself), so its lines are numbered from 3."""

    def __init__(self, conf="", start=True, args=(), preexec_fn=None, port=None,
                 wait_s=START_TIMEOUT_S, name="tsd", pass_fds=()):
        self.dir = tempfile.mkdtemp(prefix="tsd-%s-" % name)
        self.port = port or free_port()
        self.conf_path = os.path.join(self.dir, "tsd.conf")
        self.log_path = os.path.join(self.dir, "tsd.log")
        self.socket_path = os.path.join(self.dir, "tsd.sock")
        self.args = list(args)
        self.preexec_fn = preexec_fn
        self.pass_fds = tuple(pass_fds)
        self.proc = None
        self.pid = None
        # A child killed by its seccomp filter is a failure, unless the
        # test makes one on purpose.
        self.seccomp_kills_expected = False
        self.write_conf(conf)
        if start:
            self.start(wait_s)

    def write_conf(self, conf):
        """(Re)write the configuration file with this port."""
        refuse_real_clock_steering(conf)
        with open(self.conf_path, "w") as f:
            f.write("port = %d;\n" % self.port)
            if not re.search(r"^\s*plugin_dir\s*=", conf, re.M):
                f.write('plugin_dir = "%s";\n' % os.environ["PLUGIN_DIR"])
            f.write(conf)
            f.write("\n")
            if not re.search(r"^\s*clock\s*=", conf, re.M):
                f.write(DEFAULT_CLOCK)
            # Each test's own control socket (never the system's /run/tsd),
            # last so the lines of conf keep their numbers.
            if not re.search(r"^\s*control\s*=", conf, re.M):
                f.write('control = { socket = "%s"; };\n' % self.socket_path)

    def command(self):
        cmd = [os.environ["TSD"], "-c", self.conf_path] + self.args
        if valgrind():
            cmd = ["valgrind", "-q", "--trace-children=yes", "--leak-check=full",
                   "--track-fds=yes", "--errors-for-leak-kinds=definite",
                   "--error-exitcode=99"] + cmd
        return cmd

    def start(self, wait_s=START_TIMEOUT_S):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=self.preexec_fn,
                                         pass_fds=self.pass_fds)
        self.pid = self.proc.pid
        if wait_s and not self.wait_ready(wait_s * slow_factor()):
            self.kill()
            raise AssertionError("tsd did not answer on port %d:\n%s" % (self.port, self.log()))
        return self

    def answers(self):
        try:
            native_exchange(self.port, timeout_s=1.0)
            return True
        except (OSError, AssertionError):
            return False

    def wait_ready(self, timeout_s=START_TIMEOUT_S):
        """True once it answers a native request; False if it exits first."""
        return bool(wait_for(lambda: self.proc.poll() is not None or self.answers(),
                             timeout_s, 0.05)) and self.proc.poll() is None

    def log(self):
        """Everything tsd wrote so far ("" before its first start)."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def check_log(self):
        bad = [line for line in self.log().splitlines() if BAD_LOG.search(line) or
               (SECCOMP_KILL.search(line) and not self.seccomp_kills_expected)]
        assert not bad, "error report in the tsd log:\n" + self.log()

    def ctl(self, *args, timeout_s=60.0):
        """Run the built tsdctl with this configuration: (exit status, stdout, stderr)."""
        cmd = [os.environ["TSDCTL"], "-c", self.conf_path] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout_s * slow_factor())
        return p.returncode, p.stdout, p.stderr

    def ctl_json(self, command):
        """tsdctl COMMAND --json, parsed; fails unless it exits 0."""
        import json
        rc, out, err = self.ctl(command, "--json")
        assert rc == 0, "tsdctl %s: exit %d: %s%s" % (command, rc, out, err)
        return json.loads(out)

    def signal(self, sig):
        os.kill(self.pid, sig)

    def workers(self):
        """PIDs of the live workers."""
        return children(self.pid)

    def wait_workers(self, n, timeout_s=5.0):
        """Wait until exactly n workers run; returns their PIDs (or fails)."""
        pids = wait_for(lambda: (lambda w: w if len(w) == n else None)(self.workers()),
                        timeout_s * slow_factor())
        assert pids, "expected %d workers, have %r\n%s" % (n, self.workers(), self.log())
        return pids

    def wait_exit(self, timeout_s):
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout_s=10.0):
        """SIGTERM and wait; returns the exit status. Checks the log."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait_exit(timeout_s * slow_factor()) is None:
                self.kill()
                raise AssertionError("tsd did not stop within %.0f s" % timeout_s)
        self.check_log()
        return self.proc.returncode if self.proc else None

    def kill(self):
        """SIGKILL the master and its workers (cleanup after a failure)."""
        if self.proc is None:
            return
        # Once the master is reaped its PID may belong to another test's
        # tsd: only a live master's children are ours to kill.
        if self.proc.poll() is None:
            for pid in children(self.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.proc.kill()
        self.proc.wait()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
            else:
                self.kill()
                sys.stderr.write("---- tsd log ----\n%s\n" % self.log())
        finally:
            self.cleanup()
        return False


class Load:
    """Client threads making exchanges until stop(): kind "native" (a new
    connection per exchange), "text" (the text protocol) or "persistent"
    (many exchanges per connection; a connection the server closes while
    idle, before a reply began, is reopened and the request repeated, as a
    keep-alive client does). Counts successes and failures; keeps the
    (local receive time, server T3) of each native reply."""

    def __init__(self, port, kind="native", threads=4, host="127.0.0.1"):
        self.port, self.kind, self.host = port, kind, host
        self.ok = 0
        self.failed = 0
        self.reopened = 0
        self.errors = []
        self.samples = []
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def record(self, ok, what=None):
        with self.lock:
            if ok:
                self.ok += 1
            else:
                self.failed += 1
                if len(self.errors) < 10:
                    self.errors.append(what)

    def one(self, sock):
        if self.kind == "text":
            text_exchange(self.port, self.host)
            return sock
        if self.kind == "native":
            r = native_exchange(self.port, self.host)
        else:
            r, sock = self.persistent(sock)
        with self.lock:
            self.samples.append((r["t4_ns"], r["t3_ns"]))
        return sock

    def persistent(self, sock):
        for attempt in range(2):
            if sock is None:
                sock = socket.create_connection((self.host, self.port), 5.0)
            try:
                return native_exchange(self.port, sock=sock), sock
            except ConnectionError as e:
                sock.close()
                sock = None
                if attempt == 1 or "after 0 of" not in str(e) and not isinstance(
                        e, (ConnectionResetError, BrokenPipeError)):
                    raise
                with self.lock:
                    self.reopened += 1
        raise AssertionError("unreachable")

    def loop(self):
        sock = None
        while self.running:
            try:
                sock = self.one(sock)
                self.record(True)
            except Exception as e:  # every failure counts, whatever it is
                self.record(False, repr(e))
                if sock is not None:
                    sock.close()
                    sock = None
        if sock is not None:
            sock.close()

    def counts(self):
        with self.lock:
            return self.ok, self.failed

    def stop(self):
        self.running = False
        for t in self.threads:
            t.join(30)
        return self.ok, self.failed


def run_tsd(args, timeout_s=30):
    """Run tsd to completion (e.g. --check-config): (status, stdout, stderr)."""
    p = subprocess.run([os.environ["TSD"]] + list(args), capture_output=True, text=True,
                       timeout=timeout_s * slow_factor(), stdin=subprocess.DEVNULL)
    for text in (p.stdout, p.stderr):
        bad = [line for line in text.splitlines() if BAD_LOG.search(line)]
        assert not bad, "error report:\n" + text
    return p.returncode, p.stdout, p.stderr


STATS_LINE = re.compile(r"\[(\d+)\]: statistics: (.*)$", re.M)
STATS_NUMBER = re.compile(r"([a-z_][a-z_ ]*?) (\d+)")


def statistics(tsd):
    """Ask for the statistics; the three lines the master logs, merged
    into one dict ("tcp_native", "udp_kod", "workers_running", "exited",
    ...)."""
    before = len(STATS_LINE.findall(tsd.log()))
    tsd.signal(signal.SIGUSR2)
    assert wait_for(lambda: len(STATS_LINE.findall(tsd.log())) >= before + 3,
                    5 * slow_factor()), "no statistics logged:\n" + tsd.log()
    lines = STATS_LINE.findall(tsd.log())[before:before + 3]
    assert all(int(pid) == tsd.pid for pid, _ in lines), lines
    stats = {}
    for _, text in lines:
        part = text.split(" ", 1)[0]        # "tcp", "udp" or "workers"
        for name, n in STATS_NUMBER.findall(text):
            key = name.strip().replace(" ", "_")
            if part in ("tcp", "udp") and not key.startswith(part):
                key = part + "_" + key
            stats[key] = int(n)
    return stats


def main(test):
    """Run test() as a test program: exit 0 pass, 1 fail, 77 skip."""
    if "TSD" not in os.environ or "PLUGIN_DIR" not in os.environ:
        print("TSD and PLUGIN_DIR must be set (make check sets them)")
        sys.exit(77)
    try:
        test()
    except SkipTest as e:
        print("SKIP:", e)
        sys.exit(77)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    print("PASS")
    sys.exit(0)


class SkipTest(Exception):
    pass
