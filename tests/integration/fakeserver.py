"""Lying servers for the tsclient tests (doc/security.md): a TCP server on a
free loopback port whose replies a test writes, native (48-byte NTP, many
per connection) or text (one line per connection).

    with fakeserver.Native(lambda t2_ns: (t2_ns + d, t3_ns, 0.0)) as fake:
        ... tsclient 127.0.0.1:fake.port ...
"""

import socket
import struct
import threading
import time

import ntpcodec
import tsdtest


class _Server:
    """Accepts on 127.0.0.1 in a thread; serve(conn) handles a connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.replies = 0
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5.0)
                try:
                    self.serve(conn)
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.thread.join(5.0)
        self.sock.close()


class Native(_Server):
    """Answers NTP requests on a connection. times(t2_ns) returns
    (t2_ns, t3_ns, root_dispersion_s) to put in each reply, leap 0,
    stratum 1, precision -20."""

    def __init__(self, times):
        super().__init__()
        self.times = times

    def serve(self, conn):
        while True:
            try:
                req = tsdtest.recv_exact(conn, 48)
            except ConnectionError:
                return
            cookie = struct.unpack(ntpcodec.NTP_FORMAT, req)[10]
            t2, t3, disp_s = self.times(time.time_ns())
            disp = min(int(disp_s * 65536 + 0.999), 0xffffffff)
            conn.sendall(struct.pack(ntpcodec.NTP_FORMAT, (0 << 6) | (4 << 3) | 4, 1, 0, -20,
                                     0, disp, b"FAKE", ntpcodec.ns_to_ntp(t2), cookie,
                                     ntpcodec.ns_to_ntp(t2), ntpcodec.ns_to_ntp(t3)))
            self.replies += 1


class Text(_Server):
    """Answers each text request with the bytes line() returns."""

    def __init__(self, line):
        super().__init__()
        self.line = line

    def serve(self, conn):
        conn.recv(100)
        conn.sendall(self.line())
        self.replies += 1
