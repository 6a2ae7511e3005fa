"""NTS over tsd's TCP protocol (doc/protocol.md, "NTS on a native
connection"): tsclient --nts --tcp reads the sim clock's offset through
authenticated replies in extended frames; on one connection plain 48-byte
requests and NTS frames mix, a cookie tsd cannot open gets a framed NTS
NAK and the connection goes on, a forged authenticator closes it after
the replies before it; a frame with a bad header is refused; without
NTS a frame gets a plain reply; a key exchange that does not ask for TCP
gets no TCP record."""

import json
import socket
import struct
import sys

import ntpcodec
import ntstest
import tsdtest

OFFSET_S = 0.5


def frame(pkt):
    return struct.pack(">BBH", 0, 1, len(pkt)) + pkt


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return data
        data += chunk
    return data


def read_message(sock):
    """One reply: ("frame", packet) or ("plain", 48 bytes), or (None, b"")
    when the server closed."""
    head = recv_exact(sock, 4)
    if len(head) < 4:
        return None, head
    if head[0] == 0:
        assert head[1] == 1, head
        return "frame", recv_exact(sock, struct.unpack(">H", head[2:])[0])
    return "plain", head + recv_exact(sock, 44)


def plain_request():
    return ntpcodec.packet()


def tcp_records(t, ask):
    req = ntstest.record(1, b"\x00\x00") + ntstest.record(4, b"\x00\x0f")
    if ask:
        req += ntstest.record(0x4e54, b"", critical=False)
    return [r for r in ntstest.key_exchange(t.ke_port, t.cert, req + ntstest.record(0))
            if r[1] == 0x4e54]


def tsclient_tcp(t):
    conf = ntstest.client_conf(t.dir, ca_file=t.cert)
    p = ntstest.tsclient_nts("127.0.0.1:%d" % t.ke_port, conf, "--tcp", "--json", "-n", "8")
    assert p.returncode == 0, p.stdout + p.stderr + t.tsd.log()
    s = json.loads(p.stdout)["servers"][0]
    off = json.loads(p.stdout)["offset_s"]
    print("tsclient --nts --tcp: offset %.6f s, %s" % (off, s["nts"]))
    assert abs(off - OFFSET_S) < 0.005, off
    assert s["authenticated"] and s["samples"] == 8 and s["bad_replies"] == 0, s
    assert s["nts"]["ntp_transport"] == "tcp" and s["nts"]["ntp_port"] == t.tsd.port, s
    st = t.stats()
    assert st["tcp_served"] == 8 and st["udp_served"] == 0, st


def mixed_connection(t):
    cookie = [r[2] for r in ntstest.key_exchange(t.ke_port, t.cert) if r[1] == 5][0]
    with socket.create_connection(("127.0.0.1", t.tsd.port), timeout=5) as s:
        # Plain, then an NTS frame with a cookie tsd cannot open, then plain.
        nak_req, uid = ntstest.nts_request(bytes(100))
        s.sendall(plain_request() + frame(nak_req) + plain_request())
        kind, rep = read_message(s)
        assert kind == "plain" and ntpcodec.parse(rep)["mode"] == 4, (kind, rep)
        kind, rep = read_message(s)
        assert kind == "frame" and rep[1] == 0 and rep[12:16] == b"NTSN" and uid in rep, rep
        assert len(rep) <= len(nak_req), (len(rep), len(nak_req))
        kind, rep = read_message(s)
        assert kind == "plain", kind
        # A good cookie under a forged authenticator: the plain request
        # before it is answered, then the connection closes.
        forged, _ = ntstest.nts_request(cookie)
        s.sendall(plain_request() + frame(forged) + plain_request())
        assert read_message(s)[0] == "plain"
        assert read_message(s)[0] is None
    st = t.stats()
    assert st["udp_nak"] == 1 and st["udp_auth_failed"] == 1, st


def bad_frames(t):
    """Bad frame headers close the connection: a length below one field, one
    beyond the limit, and a frame type other than 1."""
    before = t.stats()
    for head in (struct.pack(">BBH", 0, 1, 60), struct.pack(">BBH", 0, 1, 1028),
                 struct.pack(">BBH", 0, 1, 1030)):
        with socket.create_connection(("127.0.0.1", t.tsd.port), timeout=5) as s:
            s.sendall(plain_request() + head + bytes(64))
            assert read_message(s)[0] == "plain"
            assert read_message(s)[0] is None, head
    with socket.create_connection(("127.0.0.1", t.tsd.port), timeout=5) as s:
        s.sendall(plain_request() + struct.pack(">BBH", 0, 2, 64) + bytes(64))
        assert read_message(s)[0] == "plain"
        assert read_message(s)[0] is None
    after = t.stats()
    assert after["tcp_served"] == before["tcp_served"], after


def negotiation(t):
    assert tcp_records(t, ask=False) == []
    got = tcp_records(t, ask=True)
    assert got == [(False, 0x4e54, struct.pack(">H", t.tsd.port))], got


def without_nts():
    """NTS off: a frame is answered as plain NTP, so the client sees the
    reply is not authenticated."""
    with tsdtest.Tsd('server = { listen = [ "127.0.0.1" ]; };') as t:
        req, _ = ntstest.nts_request(bytes(100))
        with socket.create_connection(("127.0.0.1", t.port), timeout=5) as s:
            s.sendall(frame(req) + plain_request())
            assert read_message(s)[0] == "plain"
            assert read_message(s)[0] == "plain"


def main():
    with ntstest.TsdNts(conf='clock = { plugin = "sim"; offset = %.1f; };' % OFFSET_S) as t:
        tsclient_tcp(t)
        negotiation(t)
        mixed_connection(t)
        bad_frames(t)
    without_nts()
    return 0


if __name__ == "__main__":
    sys.exit(main())
