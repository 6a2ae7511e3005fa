"""The per-worker limits: over max_connections a connection is closed at
once (and the others keep being served); idle_timeout closes a connection
that waits between requests; a draining worker (SIGTERM) still answers a
request that was half sent when the stop began."""
import signal
import socket
import time

import tsdtest

CONF = ('server = { listen = [ "127.0.0.1" ]; workers = 1; max_connections = 10;'
        ' idle_timeout = 1.0; request_timeout = 2.0; shutdown_timeout = 3.0; };')


def closed_within(sock, timeout_s):
    """Seconds until the server closes sock (EOF or reset), or None."""
    sock.settimeout(timeout_s)
    t0 = time.monotonic()
    try:
        data = sock.recv(100)
    except socket.timeout:
        return None
    except ConnectionResetError:
        data = b""
    assert data == b"", data
    return time.monotonic() - t0


def over_max_connections(tsd):
    held = [socket.create_connection(("127.0.0.1", tsd.port), 5) for _ in range(10)]
    for s in held:
        tsdtest.native_exchange(tsd.port, sock=s)      # all ten are taken
    extra = socket.create_connection(("127.0.0.1", tsd.port), 5)
    took = closed_within(extra, 0.5)
    assert took is not None, "the eleventh connection was not closed"
    extra.close()
    for s in held[:5]:
        tsdtest.native_exchange(tsd.port, sock=s)      # the others still served
    held[0].close()
    time.sleep(0.05)
    assert tsdtest.wait_for(tsd.answers, 2), "a freed place was not reused"
    for s in held[1:]:
        s.close()
    print("over max_connections: closed after %.3f s" % took)


def idle_timeout(tsd):
    s = socket.create_connection(("127.0.0.1", tsd.port), 5)
    tsdtest.native_exchange(tsd.port, sock=s)
    took = closed_within(s, 3.0)
    s.close()
    assert took is not None and 0.9 < took < 1.4, took
    print("idle connection closed after %.3f s (idle_timeout 1.0 s)" % took)


def drain_answers_half_sent(tsd):
    s = socket.create_connection(("127.0.0.1", tsd.port), 5)
    req = tsdtest.native_request(12345)
    s.sendall(req[:20])
    time.sleep(0.1)
    tsd.signal(signal.SIGTERM)
    time.sleep(0.2)
    s.sendall(req[20:])
    reply = tsdtest.parse_reply(tsdtest.recv_exact(s, 48))
    assert reply["origin"] == 12345, reply
    assert closed_within(s, 2.0) is not None, "not closed after the reply while draining"
    s.close()
    assert tsd.wait_exit(5) == 0, tsd.log()
    print("draining worker answered the half-sent request, then closed")


def test():
    with tsdtest.Tsd(CONF, name="limits") as tsd:
        over_max_connections(tsd)
        idle_timeout(tsd)
        drain_answers_half_sent(tsd)


tsdtest.main(test)
