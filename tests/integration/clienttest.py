"""What the tsclient tests share: tsd servers with sim clocks of known offset,
client configurations, running tsclient and reading its output, the relay."""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import tsdtest

CLIENT_TIMEOUT_S = 30
LINES = re.compile(r"^REMOTE_TIME (-?\d+)\nLOCAL_TIME (-?\d+)\nRTT_ESTIMATE (\d+)\n$")


def server(offset_s, extra=""):
    """A started tsd whose clock is `sim` at offset_s (use it with `with`)."""
    conf = ('clock = { plugin = "sim"; offset = %r; };\n'
            'server = { listen = [ "127.0.0.1" ]; workers = 1; };\n' % offset_s) + extra
    return tsdtest.Tsd(conf)


def client_conf(directory, clock='{ plugin = "realtime"; }', timeout_s=2.0, extra="",
                plugin_dir=None):
    """A client configuration file in directory; returns its path. Tests
    that correct the clock must pass a sim clock here, never realtime."""
    path = os.path.join(directory, "client-%d.conf" % len(os.listdir(directory)))
    with open(path, "w") as f:
        f.write('plugin_dir = "%s";\nclock = %s;\n' % (
            plugin_dir or os.environ["PLUGIN_DIR"], clock))
        f.write('client = { samples = 8; timeout = %.1f; };\n' % timeout_s + extra)
    return path


def run(args, timeout=CLIENT_TIMEOUT_S):
    """Run tsclient; (exit status, stdout, stderr). Fails on a sanitizer report."""
    p = subprocess.run([os.environ["TSCLIENT"]] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    assert not tsdtest.BAD_LOG.search(p.stderr), "error report:\n" + p.stderr
    return p.returncode, p.stdout, p.stderr


def remote_local_rtt(out):
    """tsclient's default output, the lines REMOTE_TIME, LOCAL_TIME and
    RTT_ESTIMATE, as (remote_ms, local_ms, rtt_ms); exactly those lines."""
    m = LINES.match(out)
    assert m, "not exactly the REMOTE_TIME, LOCAL_TIME and RTT_ESTIMATE lines:\n" + out
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def run_json(args):
    rc, out, err = run(["--json"] + list(args))
    try:
        return rc, json.loads(out), err
    except ValueError:
        raise AssertionError("not JSON (exit %d):\n%s\n%s" % (rc, out, err))


def addr(port):
    return "127.0.0.1:%d" % port


def closed_port():
    """A port nothing listens on."""
    return tsdtest.free_port()


def wait_listening(port, proc, timeout_s=5.0):
    """True once something accepts on port; False if proc exits or time runs out."""
    def accepts():
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return proc.poll() is not None and None
    return bool(tsdtest.wait_for(accepts, timeout_s, 0.05)) and proc.poll() is None


class Relay:
    """tests/integration/relay in front of a target port (use it with `with`)."""

    def __init__(self, target_port, up_ms=0, down_ms=0, up_jitter_ms=0,
                 down_jitter_ms=0, seed=1, udp=False):
        exe = os.path.join(os.environ["TEST_BUILDDIR"], "relay")
        self.proc = subprocess.Popen(
            [exe, "--listen", "0", "--to", addr(target_port),
             "--up-delay-ms", str(up_ms), "--down-delay-ms", str(down_ms),
             "--up-jitter-ms", str(up_jitter_ms), "--down-jitter-ms", str(down_jitter_ms),
             "--seed", str(seed)] + (["--udp"] if udp else []),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"relay listening on .*:(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            raise AssertionError("relay did not start: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(m.group(1))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        err = self.proc.stderr.read()
        assert not tsdtest.BAD_LOG.search(err), "relay error report:\n" + err
        assert self.proc.returncode == 0, "relay exited %r: %s" % (self.proc.returncode, err)


def tempdir():
    return tempfile.TemporaryDirectory(prefix="tsclient-test-")


def elapsed(fn):
    t0 = time.monotonic()
    result = fn()
    return result, time.monotonic() - t0
