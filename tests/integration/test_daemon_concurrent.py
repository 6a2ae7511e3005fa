"""500 connections open at once are all answered, with dispatch "accept",
with dispatch "handoff" (the master passing each connection on) and with
dispatch "reuseport" (a listening socket per worker)."""
import re
import socket

import tsdtest

CONNECTIONS = 500
CONF = 'server = { listen = [ "127.0.0.1" ]; workers = 2; dispatch = "%s"; };'


def all_at_once(port):
    """Open every connection first, then send on each, then read each."""
    socks = [socket.create_connection(("127.0.0.1", port), 10) for _ in range(CONNECTIONS)]
    try:
        for i, s in enumerate(socks):
            s.sendall(tsdtest.native_request(i + 1) if i % 2 else b"TIME\n")
        answered = 0
        for i, s in enumerate(socks):
            if i % 2:
                r = tsdtest.parse_reply(tsdtest.recv_exact(s, 48))
                assert r["mode"] == 4 and r["origin"] == i + 1, r
            else:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(64)
                    assert chunk, "closed without a text reply"
                    data += chunk
                assert re.fullmatch(rb"\d+\t\d+\n", data), data
            answered += 1
        return answered
    finally:
        for s in socks:
            s.close()


def test():
    for dispatch in ("accept", "handoff", "reuseport"):
        with tsdtest.Tsd(CONF % dispatch, name="concurrent") as tsd:
            assert all_at_once(tsd.port) == CONNECTIONS
            workers = tsd.workers()
            assert len(workers) == 2, workers
            # Still serving afterwards, and after a short persistent load.
            load = tsdtest.Load(tsd.port, "persistent", threads=4)
            tsdtest.wait_for(lambda: load.counts()[0] >= 2000, 10)
            ok, failed = load.stop()
            assert failed == 0 and ok >= 2000, (dispatch, ok, failed, load.errors)
            print("%s: %d concurrent answered; %d persistent exchanges" %
                  (dispatch, CONNECTIONS, ok))


tsdtest.main(test)
