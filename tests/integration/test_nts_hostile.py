"""What tsd's NTS refuses, each with its counter, while a good client is
served all along: malformed and unknown-critical NTS-KE records (an Error
record back), TLS 1.2 and a wrong ALPN (handshake refused), a client that
stalls mid-handshake (cut at request_timeout), a flood of connections
beyond the cap (closed at once), and over UDP truncated, oversized and
forged NTS requests (dropped), a cookie it cannot open (NTS NAK, never
longer than the request), and plain NTP on the same port."""

import socket
import ssl
import struct
import sys
import time

import ntstest
import udpchrony


def error_code(records):
    for _, rtype, body in records:
        if rtype == 2:
            return struct.unpack(">H", body)[0]
    return None


def bad_records(t):
    rec = ntstest.record
    unknown_critical = rec(0x1234, b"x") + ntstest.GOOD_REQUEST
    assert error_code(ntstest.key_exchange(t.ke_port, t.cert, unknown_critical)) == 0
    no_protocol = rec(4, b"\x00\x0f") + rec(0)
    assert error_code(ntstest.key_exchange(t.ke_port, t.cert, no_protocol)) == 1
    odd_length = rec(1, b"\x00") + rec(0)
    assert error_code(ntstest.key_exchange(t.ke_port, t.cert, odd_length)) == 1
    # A record longer than any message may be: refused before its body.
    assert error_code(ntstest.key_exchange(t.ke_port, t.cert, struct.pack(">HH", 5, 0xffff))) == 1
    # No AEAD in common: an empty AEAD record and no cookies, not an error.
    other_aead = rec(1, b"\x00\x00") + rec(4, b"\x00\x1e") + rec(0)
    got = ntstest.key_exchange(t.ke_port, t.cert, other_aead)
    assert (True, 4, b"") in got and not [r for r in got if r[1] == 5], got
    assert t.stats()["ke_bad_request"] == 4


def handshake_refused(t, ctx):
    with socket.create_connection(("127.0.0.1", t.ke_port), timeout=5) as raw:
        try:
            ctx.wrap_socket(raw, server_hostname="127.0.0.1").close()
        except (ssl.SSLError, ConnectionError, OSError):
            return True
    return False


def tls_refusals(t):
    assert handshake_refused(t, ntstest.ke_context(t.cert, tls13=False)), "TLS 1.2 accepted"
    assert handshake_refused(t, ntstest.ke_context(t.cert, alpn=("http/1.1",))), "ALPN ignored"
    assert ntstest.wait_until(lambda: t.stats()["ke_tls_failed"] >= 2, 5.0), t.stats()


def stalled_handshake(t):
    raw = socket.create_connection(("127.0.0.1", t.ke_port), timeout=10)
    raw.sendall(b"\x16\x03\x01\x02\x00\x01")      # the start of a ClientHello, then nothing
    start = time.monotonic()
    # Everyone else is served meanwhile.
    assert len(ntstest.key_exchange(t.ke_port, t.cert)) >= 10
    raw.settimeout(10)
    try:
        data = raw.recv(4096)
    except ConnectionResetError:
        data = b""
    held = time.monotonic() - start
    raw.close()
    print("stalled handshake cut after %.2f s" % held)
    assert data == b"" and held >= 0.9, (data, held)
    assert ntstest.wait_until(lambda: t.stats()["ke_timeout"] >= 1, 5.0), t.stats()


def flood(t):
    socks = []
    for _ in range(40):
        s = socket.create_connection(("127.0.0.1", t.ke_port), timeout=5)
        socks.append(s)
    assert ntstest.wait_until(lambda: t.stats()["ke_refused"] >= 1, 5.0), t.stats()
    for s in socks:
        s.close()
    # The cap freed, key exchanges work again.
    assert ntstest.wait_until(lambda: _ke_works(t), 10.0)


def _ke_works(t):
    try:
        return len(ntstest.key_exchange(t.ke_port, t.cert)) >= 10
    except OSError:
        return False


def udp_refusals(t):
    cookie = [b for _, ty, b in ntstest.key_exchange(t.ke_port, t.cert) if ty == 5][0]
    port = t.udp_port
    good, _ = ntstest.nts_request(cookie)
    # Truncated inside the authenticator; a field length past the end.
    assert udpchrony.exchange(port, good[:-8], timeout=0.5) is None
    broken = bytearray(good)
    broken[48 + 36 + 2:48 + 36 + 4] = struct.pack(">H", 0x400)
    assert udpchrony.exchange(port, bytes(broken), timeout=0.5) is None
    # Oversized: longer than any NTS request, read truncated, dropped.
    big, _ = ntstest.nts_request(cookie, placeholders=20)
    assert udpchrony.exchange(port, big, timeout=0.5) is None
    # A good cookie under a forged authenticator.
    assert udpchrony.exchange(port, good, timeout=0.5) is None
    # A cookie we made up: an NTS NAK with our identifier, no longer than the request.
    forged, uid = ntstest.nts_request(bytes(100), placeholders=3)
    nak = udpchrony.exchange(port, forged, timeout=1.0)
    assert nak is not None and nak[1] == 0 and nak[12:16] == b"NTSN" and uid in nak, nak
    assert len(nak) <= len(forged)
    st = t.stats()
    print("NTS over UDP refused:", st)
    assert st["udp_bad"] == 3 and st["udp_auth_failed"] == 1 and st["udp_nak"] == 1, st
    # Plain NTP on the same port is untouched.
    reply = udpchrony.exchange(port, udpchrony.ntp_packet(), timeout=1.0)
    assert reply is not None and len(reply) == 48


def main():
    with ntstest.TsdNts(server="request_timeout = 1.0; max_connections = 8;", workers=1) as t:
        bad_records(t)
        tls_refusals(t)
        stalled_handshake(t)
        flood(t)
        udp_refusals(t)
        # And after all that, a whole NTS measurement still works.
        p = ntstest.tsclient_nts("127.0.0.1:%d" % t.ke_port, ntstest.client_conf(t.dir, t.cert))
        assert p.returncode == 0, p.stderr
    return 0


if __name__ == "__main__":
    sys.exit(main())
