"""A stand-in for chronyd's command socket (a Unix datagram socket in a
0700 directory of the test) that answers `tracking` requests with what the
test says: a report with chosen values, or a reply that must be refused
(oversized, another protocol version, another sequence number), or nothing.
Also chronyd's float encoding and `chronyc -c tracking`, for the tests of
the realtime clock's follow_chronyd."""

import math
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading

PROTO_VERSION = 6
REQ_TRACKING = 33
RPY_TRACKING = 5
TRACKING_LEN = 104
REQUEST_HEADER = "!BBBBHHIII"      # version, type, res1, res2, command, attempt, seq, pad
REPLY_HEADER = "!BBBBHHHHHHIII"    # ..., command, reply, status, pad x3, seq, pad x2


def chrony_float(x):
    """chronyd's 32-bit float: 7-bit exponent, 25-bit coefficient, both
    signed; value = coef * 2^(exp - 25). Non-negative x only (all the
    test sends)."""
    assert x >= 0
    if x == 0:
        return 0
    exp = math.frexp(x)[1] + 1
    coef = int(round(x * 2.0 ** (25 - exp)))
    while coef >= 1 << 24:
        coef >>= 1
        exp += 1
    return ((exp & 0x7f) << 25) | coef


def tracking_reply(seq, ref_id, stratum, leap, root_delay, root_dispersion,
                   version=PROTO_VERSION, ref_time=(0, 0)):
    header = struct.pack(REPLY_HEADER, version, 2, 0, 0, REQ_TRACKING, RPY_TRACKING, 0,
                         0, 0, 0, seq, 0, 0)
    body = struct.pack("!I16sHHHH", ref_id, b"\0" * 16, 1, 0, stratum, leap)
    body += struct.pack("!III", 0x7fffffff, ref_time[0], ref_time[1])
    floats = [0.0] * 6 + [root_delay, root_dispersion, 1.0]
    body += struct.pack("!9I", *[chrony_float(v) for v in floats])
    data = header + body
    assert len(data) == TRACKING_LEN, len(data)
    return data


class FakeChronyd:
    """Answers on DIR/sock. `mode`: "report" (the values in `report`),
    "oversized", "version", "sequence", or "silent"."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tsd-fakechronyd-")
        os.chmod(self.dir, 0o700)
        self.path = os.path.join(self.dir, "sock")
        self.mode = "report"
        self.report = dict(ref_id=0x0A000001, stratum=4, leap=0, root_delay=0.0125,
                           root_dispersion=0.0375)
        self.requests = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def answer(self, seq):
        if self.mode == "silent":
            return None
        if self.mode == "oversized":
            return tracking_reply(seq, **self.report) + b"\xff" * 1896
        if self.mode == "version":
            return tracking_reply(seq, version=5, **self.report)
        if self.mode == "sequence":
            return tracking_reply(seq + 1, **self.report)
        return tracking_reply(seq, **self.report)

    def loop(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) != TRACKING_LEN:
                continue
            version, _, _, _, command, _, seq, _, _ = struct.unpack(REQUEST_HEADER, data[:20])
            if version != PROTO_VERSION or command != REQ_TRACKING:
                continue
            self.requests += 1
            reply = self.answer(seq)
            if reply is not None and peer:
                try:
                    self.sock.sendto(reply, peer)
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def chronyc_tracking(sock_path):
    """`chronyc -c tracking` over sock_path as a dict (ref_id, stratum,
    root_delay, root_dispersion, leap as text), or None if it failed."""
    proc = subprocess.run(["chronyc", "-h", sock_path, "-n", "-c", "tracking"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    fields = proc.stdout.decode(errors="replace").strip().split(",")
    if proc.returncode != 0 or len(fields) < 14:
        return None
    return {"ref_id": int(fields[0], 16), "stratum": int(fields[2]),
            "root_delay": float(fields[10]), "root_dispersion": float(fields[11]),
            "leap": fields[13]}
