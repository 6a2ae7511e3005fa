"""A man in the middle for NTS tests: tsd listens on 127.0.0.1 and the
relay on 127.0.0.2 at the same ports, so a client that makes its key
exchange with 127.0.0.2 (tsd names no other NTP server) sends its NTP
there too. The key exchange passes untouched (TLS); NTP requests and
replies, over UDP and over tsd's TCP protocol (plain 48-byte packets and
extended frames), go through hooks that may rewrite or drop them.

    with ntsmitm.Relay(tsd_nts) as mitm:
        mitm.use(on_reply=tamper)
        ...

A hook takes the packet (without the TCP frame header) and returns the
packet to send on, or None to drop it; on TCP a 48-byte packet goes on as
a plain message and a longer one in a frame."""

import select
import socket
import struct
import threading

MITM_HOST = "127.0.0.2"
UPSTREAM = "127.0.0.1"


def _recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_message(sock):
    """One message of tsd's TCP protocol: the NTP packet, or None at EOF."""
    head = _recv_exact(sock, 4)
    if head is None:
        return None
    if head[0] == 0:
        return _recv_exact(sock, struct.unpack(">H", head[2:])[0])
    rest = _recv_exact(sock, 44)
    return None if rest is None else head + rest


def write_message(sock, pkt):
    if len(pkt) != 48:
        pkt = struct.pack(">BBH", 0, 1, len(pkt)) + pkt
    sock.sendall(pkt)


def fields(pkt):
    """[(offset, type, length)] of the extension fields after the header."""
    out, pos = [], 48
    while pos + 4 <= len(pkt):
        ftype, flen = struct.unpack(">HH", pkt[pos:pos + 4])
        if flen < 4 or pos + flen > len(pkt):
            break
        out.append((pos, ftype, flen))
        pos += flen
    return out


def identity(pkt):
    return pkt


class Relay:
    """Relays tsd's NTS-KE port, UDP port and TCP port from 127.0.0.2."""

    def __init__(self, t, on_request=identity, on_reply=identity):
        self.on_request, self.on_reply = on_request, on_reply
        self.stopping = False
        self.socks = []
        self.threads = []
        self.replies_seen = 0
        ke = self._listen(t.ke_port)
        ntp_tcp = self._listen(t.tsd.port)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((MITM_HOST, t.udp_port))
        self.socks.append(udp)
        self._spawn(self._accept_loop, ke, t.ke_port, False)
        self._spawn(self._accept_loop, ntp_tcp, t.tsd.port, True)
        self._spawn(self._udp_loop, udp, t.udp_port)

    def _listen(self, port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((MITM_HOST, port))
        s.listen(16)
        self.socks.append(s)
        return s

    def _spawn(self, fn, *args):
        th = threading.Thread(target=fn, args=args, daemon=True)
        th.start()
        self.threads.append(th)

    def _accept_loop(self, lsock, port, ntp):
        while not self.stopping:
            try:
                r, _, _ = select.select([lsock], [], [], 0.1)
                if not r:
                    continue
                client, _ = lsock.accept()
            except (OSError, ValueError):
                return
            server = socket.create_connection((UPSTREAM, port), timeout=5)
            self.socks += [client, server]
            if ntp:
                self._spawn(self._pump_messages, client, server, self._request)
                self._spawn(self._pump_messages, server, client, self._reply)
            else:
                self._spawn(self._pump_bytes, client, server)
                self._spawn(self._pump_bytes, server, client)

    def use(self, on_request=identity, on_reply=identity):
        """The hooks for the connections and datagrams from now on."""
        self.on_request, self.on_reply = on_request, on_reply
        self.replies_seen = 0

    def _request(self, pkt):
        return self.on_request(pkt)

    def _reply(self, pkt):
        self.replies_seen += 1
        return self.on_reply(pkt)

    @staticmethod
    def _close_both(a, b):
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _pump_bytes(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        self._close_both(src, dst)

    def _pump_messages(self, src, dst, hook):
        try:
            while True:
                pkt = read_message(src)
                if pkt is None:
                    break
                out = hook(pkt)
                if out is not None:
                    write_message(dst, out)
        except OSError:
            pass
        self._close_both(src, dst)

    def _udp_loop(self, sock, port):
        upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        upstream.connect((UPSTREAM, port))
        self.socks.append(upstream)
        client = None
        while not self.stopping:
            try:
                r, _, _ = select.select([sock, upstream], [], [], 0.1)
                if sock in r:
                    data, client = sock.recvfrom(4096)
                    out = self._request(data)
                    if out is not None:
                        upstream.send(out)
                if upstream in r:
                    out = self._reply(upstream.recv(4096))
                    if out is not None and client is not None:
                        sock.sendto(out, client)
            except (OSError, ValueError):
                pass

    def close(self):
        self.stopping = True
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
